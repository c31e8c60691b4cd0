//! The noisy benchmark: does the confidence tell a real failure from a glitch?
//!
//! Generates ISP-like topologies (two cores, dual-uplinked aggregation routers, access rings
//! between pairs of aggregation routers, single-homed customer edges, PPPoE concentrators
//! dual-homed to two aggregation routers, an `internet` service needing 2 of 3 transit BGP
//! sessions) watched by two vantage points (`vp1`, `vp2`, entities with their own uplink),
//! injects failures, makes the reports noisy (each vantage point misses a report with
//! probability 0.1; 2 % of healthy entities get one false `down` from one vantage point;
//! optionally (`--vp-isolation`) a vantage point loses its own uplink in a share of the trials
//! and reports everything down), feeds the engine and
//! scores its causes, paging decisions and confidence against the injected truth, next to naive
//! Zabbix-style suppression. Deterministic for a seed.
//!
//! ```text
//! cargo run --release -p ispvm-rca --example noisy_benchmark -- [--seed N] [--trials N] \
//!     [--missed P] [--false-down P] [--vp-isolation P]
//! ```
//!
//! Results and how to read them: `docs/research/noisy-benchmark.md`. Diagnostics on stderr:
//! `NOISY_DEBUG=1` lists every wrong cause and every visible failure that was not paged
//! (`NOISY_DUMP=1` adds the incidents of that trial), `NOISY_PAGED=1` every wrongly paged
//! primary, `NOISY_TRUTH=1` the injected failures and the truly unavailable entities.
#![forbid(unsafe_code)]

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use ispvm_model::{
    CauseKind, DependencyGroup, Entity, EntityId, EntityKind, GroupMode, Incident, Observation,
    Signal, SignalState, Topology, TopologyBuilder,
};
use ispvm_rca::{Engine, EngineConfig};

/// SplitMix64: small, deterministic, good enough for sampling.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

/// Noise of the reports.
#[derive(Clone, Copy)]
pub struct Noise {
    /// Probability that a vantage point misses one report.
    pub missed: f64,
    /// Probability that a healthy entity gets one false `down` from one vantage point.
    pub false_down: f64,
    /// Probability that a trial also isolates one vantage point (its uplink fails).
    pub vp_isolation: f64,
}

/// A generated network.
struct Net {
    topology: Topology,
    /// Observed entities and the signal that observes them.
    observed: Vec<(String, Signal)>,
    /// Entities a failure can be injected into.
    candidates: Vec<String>,
    /// Naive parent (Zabbix-style single host dependency) of each observed entity.
    parent: BTreeMap<String, String>,
    /// Ring devices are roots; a vantage point reaches one when its site is available.
    reach_via: BTreeMap<String, String>,
}

fn id(s: &str) -> EntityId {
    s.parse()
        .unwrap_or_else(|e| panic!("generated id {s}: {e}"))
}

fn generate(rng: &mut Rng) -> Net {
    let mut b = TopologyBuilder::new(
        "bench-isp"
            .parse()
            .unwrap_or_else(|e| panic!("tenant: {e}")),
    );
    let mut observed: Vec<(String, Signal)> = Vec::new();
    let mut candidates: Vec<String> = Vec::new();
    let mut parent: BTreeMap<String, String> = BTreeMap::new();
    let mut reach_via: BTreeMap<String, String> = BTreeMap::new();
    let device = |b: &mut TopologyBuilder, n: &str, obs: &mut Vec<(String, Signal)>| {
        b.add_entity(Entity::new(id(n), EntityKind::Device));
        obs.push((n.to_string(), Signal::Reachability));
    };
    let link = |b: &mut TopologyBuilder, a: &str, z: &str, obs: &mut Vec<(String, Signal)>| {
        let l = format!("{a}-{z}");
        b.add_entity(Entity::new(id(&l), EntityKind::Link).with_endpoints(id(a), id(z)));
        obs.push((l.clone(), Signal::Link));
        l
    };
    let group = |b: &mut TopologyBuilder, d: &str, mode: GroupMode, members: &[String]| {
        b.add_group(DependencyGroup::new(
            id(d),
            mode,
            members.iter().map(|m| id(m)).collect(),
        ));
    };
    for c in ["core0", "core1"] {
        device(&mut b, c, &mut observed);
        candidates.push(c.to_string());
    }
    let cc = link(&mut b, "core0", "core1", &mut observed);
    group(
        &mut b,
        &cc,
        GroupMode::All,
        &["core0".into(), "core1".into()],
    );
    candidates.push(cc);
    // Vantage points, each behind its own uplink to one core.
    for (vp, core) in [("vp1", "core0"), ("vp2", "core1")] {
        b.add_entity(Entity::new(id(vp), EntityKind::Device));
        let up = link(&mut b, vp, core, &mut observed);
        group(&mut b, &up, GroupMode::All, &[core.to_string()]);
        group(&mut b, vp, GroupMode::All, &[up]);
    }
    // Transit and the internet service (2 of 3).
    let mut transits = Vec::new();
    for (i, core) in [(0, "core0"), (1, "core0"), (2, "core1")] {
        let s = format!("{core}/bgp/transit{i}");
        b.add_entity(Entity::new(id(&s), EntityKind::BgpSession));
        group(&mut b, &s, GroupMode::All, &[core.to_string()]);
        observed.push((s.clone(), Signal::Routing));
        candidates.push(s.clone());
        transits.push(s);
    }
    b.add_entity(Entity::new(id("internet"), EntityKind::Service));
    group(&mut b, "internet", GroupMode::KofN(2), &transits);
    // Aggregation routers, dual-uplinked.
    let aggs = 4 + 2 * rng.below(3);
    for a in 0..aggs {
        let agg = format!("agg{a}");
        device(&mut b, &agg, &mut observed);
        candidates.push(agg.clone());
        let mut ups = Vec::new();
        for core in ["core0", "core1"] {
            let l = link(&mut b, &agg, core, &mut observed);
            group(&mut b, &l, GroupMode::All, &[core.to_string()]);
            candidates.push(l.clone());
            ups.push(l);
        }
        group(&mut b, &agg, GroupMode::Any, &ups);
        parent.insert(agg.clone(), "core0".into());
    }
    // Access rings between pairs of aggregation routers; customer edges single-homed.
    let mut acc_n = 0;
    for r in 0..aggs / 2 {
        let (left, right) = (format!("agg{}", 2 * r), format!("agg{}", 2 * r + 1));
        let m = 3 + rng.below(3);
        let names: Vec<String> = (0..m).map(|j| format!("acc{}", acc_n + j)).collect();
        acc_n += m;
        for n in &names {
            device(&mut b, n, &mut observed);
            candidates.push(n.clone());
        }
        // Ring links: left - acc0 - acc1 - ... - right.
        let mut hops = vec![left.clone()];
        hops.extend(names.iter().cloned());
        hops.push(right.clone());
        let mut ring_links = Vec::new();
        for w in hops.windows(2) {
            let l = link(&mut b, &w[0], &w[1], &mut observed);
            candidates.push(l.clone());
            ring_links.push(l);
        }
        // Each ring node is a device (a root: its own health) and a site that needs the
        // device and either path around the ring (flat lists of devices and links, as in
        // examples/scenarios/aggregation-ring.json); customer edges hang off the site.
        for j in 0..m {
            let mut west: Vec<String> = vec![left.clone()];
            for h in 0..=j {
                west.push(ring_links[h].clone());
                if h < j {
                    west.push(names[h].clone());
                }
            }
            let mut east: Vec<String> = vec![right.clone()];
            for h in (j + 1..=m).rev() {
                east.push(ring_links[h].clone());
                if h > j + 1 {
                    east.push(names[h - 1].clone());
                }
            }
            let site = format!("site-{}", names[j]);
            b.add_entity(Entity::new(id(&site), EntityKind::Site));
            let (w, e) = (format!("{site}/west"), format!("{site}/east"));
            for (p, members) in [(&w, &west), (&e, &east)] {
                b.add_entity(Entity::new(id(p), EntityKind::Service));
                group(&mut b, p, GroupMode::All, members);
            }
            group(&mut b, &site, GroupMode::All, &[names[j].clone()]);
            group(&mut b, &site, GroupMode::Any, &[w, e]);
            reach_via.insert(names[j].clone(), site.clone());
            parent.insert(names[j].clone(), left.clone());
            for k in 0..2 {
                let cpe = format!("{}/cpe{k}", names[j]);
                device(&mut b, &cpe, &mut observed);
                group(&mut b, &cpe, GroupMode::All, std::slice::from_ref(&site));
                candidates.push(cpe.clone());
                parent.insert(cpe, names[j].clone());
            }
        }
    }
    // PPPoE concentrators, dual-homed.
    for i in 0..aggs / 2 {
        let bras = format!("bras{i}");
        device(&mut b, &bras, &mut observed);
        candidates.push(bras.clone());
        group(
            &mut b,
            &bras,
            GroupMode::Any,
            &[format!("agg{}", 2 * i), format!("agg{}", 2 * i + 1)],
        );
        parent.insert(bras, format!("agg{}", 2 * i));
    }
    observed.retain(|(e, _)| e != "vp1" && e != "vp2");
    observed.push(("vp1".into(), Signal::Reachability));
    observed.push(("vp2".into(), Signal::Reachability));
    Net {
        topology: b
            .build()
            .unwrap_or_else(|e| panic!("generated topology: {e}")),
        observed,
        candidates,
        parent,
        reach_via,
    }
}

/// True availability of every entity given the failed set: the same semantics as the engine,
/// computed by the engine on noiseless input.
fn truth(net: &Net, failed: &BTreeSet<String>, at: DateTime<Utc>) -> BTreeMap<String, bool> {
    let mut e = Engine::new(net.topology.clone(), EngineConfig::default());
    for f in failed {
        let sig = net
            .observed
            .iter()
            .find(|(n, _)| n == f)
            .map_or(Signal::Reachability, |(_, s)| *s);
        e.observe(&Observation::signal(at, id(f), sig, SignalState::Down))
            .unwrap_or_else(|err| panic!("{err}"));
    }
    let a = e.evaluate(at);
    net.topology
        .entities()
        .iter()
        .map(|x| {
            let s = x.id.as_str();
            (s.to_string(), a.is_available(s).unwrap_or(true))
        })
        .collect()
}

/// One trial: a network, injected failures, noisy reports.
struct Trial {
    net: Net,
    failed: BTreeSet<String>,
    /// Injected failures not hidden behind another failure (their groups hold in the truth).
    visible: BTreeSet<String>,
    /// An isolated vantage point and its uplink, if any.
    isolated: Option<(String, String)>,
    observations: Vec<Observation>,
    at: DateTime<Utc>,
}

fn trial(rng: &mut Rng, noise: Noise) -> Trial {
    let net = generate(rng);
    let t0: DateTime<Utc> = DateTime::from_timestamp(1_767_225_600, 0).unwrap_or_default();
    let t1 = t0 + Duration::seconds(60);
    let mut failed = BTreeSet::new();
    let k = 1 + rng.below(3);
    while failed.len() < k {
        failed.insert(net.candidates[rng.below(net.candidates.len())].clone());
    }
    let mut isolated = None;
    if rng.chance(noise.vp_isolation) {
        let (vp, up) = if rng.chance(0.5) {
            ("vp1", "vp1-core0")
        } else {
            ("vp2", "vp2-core1")
        };
        failed.insert(up.to_string());
        isolated = Some((vp.to_string(), up.to_string()));
    }
    let avail = truth(&net, &failed, t1);
    if std::env::var_os("NOISY_TRUTH").is_some() {
        let down: Vec<&String> = avail.iter().filter(|(_, a)| !**a).map(|(k, _)| k).collect();
        eprintln!("failed {failed:?} unavailable {down:?}");
    }
    let visible: BTreeSet<String> = failed
        .iter()
        .filter(|f| {
            // Hidden when it would be unavailable anyway: some group of it is unsatisfied.
            let others: BTreeSet<String> = failed.iter().filter(|o| o != f).cloned().collect();
            let without = truth(&net, &others, t1);
            without.get(*f).copied().unwrap_or(true)
        })
        .cloned()
        .collect();
    let mut observations = Vec::new();
    // Baseline round: everything up, from both vantage points.
    for vp in ["vp1", "vp2"] {
        for (e, sig) in &net.observed {
            if e == vp {
                continue;
            }
            observations
                .push(Observation::signal(t0, id(e), *sig, SignalState::Up).with_source(vp));
        }
    }
    // The noisy round.
    let mut false_from: BTreeMap<&str, &str> = BTreeMap::new();
    for (e, _) in &net.observed {
        let via = net.reach_via.get(e).unwrap_or(e);
        let healthy =
            avail.get(e).copied().unwrap_or(true) && avail.get(via).copied().unwrap_or(true);
        if healthy && rng.chance(noise.false_down) {
            false_from.insert(e, if rng.chance(0.5) { "vp1" } else { "vp2" });
        }
    }
    for vp in ["vp1", "vp2"] {
        let cut = isolated.as_ref().is_some_and(|(v, _)| v == vp);
        for (e, sig) in &net.observed {
            if e == vp || rng.chance(noise.missed) {
                continue;
            }
            let via = net.reach_via.get(e).unwrap_or(e);
            let up = !cut
                && avail.get(e).copied().unwrap_or(true)
                && avail.get(via).copied().unwrap_or(true)
                && false_from.get(e.as_str()) != Some(&vp);
            let state = if up {
                SignalState::Up
            } else {
                SignalState::Down
            };
            observations.push(Observation::signal(t1, id(e), *sig, state).with_source(vp));
        }
    }
    Trial {
        net,
        failed,
        visible,
        isolated,
        observations,
        at: t1 + Duration::seconds(5),
    }
}

/// Whether a reported cause entity is one of the injected failures (an isolated vantage point
/// counts for its failed uplink: it is the same fault).
fn correct(t: &Trial, entity: &str) -> bool {
    t.failed.contains(entity) || t.isolated.as_ref().is_some_and(|(vp, _)| vp == entity)
}

fn matches_truth(t: &Trial, truth: &str, entity: &str) -> bool {
    entity == truth
        || t.isolated
            .as_ref()
            .is_some_and(|(vp, up)| up == truth && vp == entity)
}

/// What one method got right and wrong over a run.
#[derive(Default)]
pub struct Score {
    /// Causes listed (failure or inferred).
    pub causes: usize,
    /// Of them, injected failures.
    pub causes_right: usize,
    /// Causes that are not suspected glitches.
    pub trusted: usize,
    /// Of them, injected failures.
    pub trusted_right: usize,
    /// Injected failures not hidden behind another.
    pub visible: usize,
    /// Of them, listed as a cause.
    pub visible_found: usize,
    /// Paged incidents.
    pub paged: usize,
    /// Of them, with a right primary.
    pub paged_right: usize,
    /// Visible failures that are a cause of a paged incident.
    pub visible_paged: usize,
    /// Incidents.
    pub incidents: usize,
    /// (confidence, label) of every reported cause.
    pub scored: Vec<(f64, bool)>,
}

/// `a / b`, NaN for `b = 0`.
pub fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        f64::NAN
    } else {
        a as f64 / b as f64
    }
}

fn failure_like(k: CauseKind) -> bool {
    matches!(k, CauseKind::Failure | CauseKind::Inferred)
}

fn score_engine(t: &Trial, incidents: &[Incident], s: &mut Score) {
    s.visible += t.visible.len();
    let mut found = BTreeSet::new();
    let mut paged_found = BTreeSet::new();
    for inc in incidents {
        s.incidents += 1;
        for c in inc.root_causes.iter().filter(|c| failure_like(c.kind)) {
            let ok = correct(t, c.entity.as_str());
            if std::env::var_os("NOISY_DEBUG").is_some() && !ok {
                eprintln!(
                    "false cause {} {} {:.3} role {} glitch {} counter {} ev [{}] failed {:?}",
                    c.entity,
                    c.kind,
                    c.confidence.get(),
                    c.role,
                    c.suspected_glitch,
                    c.counter_evidence.len(),
                    c.evidence
                        .iter()
                        .map(|e| format!("{}:{}", e.note.as_deref().unwrap_or(""), e.weight))
                        .collect::<Vec<_>>()
                        .join(", "),
                    t.failed
                );
            }
            s.causes += 1;
            s.causes_right += usize::from(ok);
            if !c.suspected_glitch {
                s.trusted += 1;
                s.trusted_right += usize::from(ok);
            }
            s.scored.push((c.confidence.get(), ok));
            for v in &t.visible {
                if matches_truth(t, v, c.entity.as_str()) {
                    found.insert(v.clone());
                    if inc.page {
                        paged_found.insert(v.clone());
                    }
                }
            }
        }
        if let Some(p) = inc.primary() {
            let ok = correct(t, p.entity.as_str());
            if inc.page && !ok && std::env::var_os("NOISY_PAGED").is_some() {
                let c = p;
                eprintln!(
                    "false page {} {} {:.3} ev [{}] counter [{}] failed {:?}",
                    c.entity,
                    c.kind,
                    c.confidence.get(),
                    c.evidence
                        .iter()
                        .map(|e| format!("{}:{}", e.note.as_deref().unwrap_or(""), e.weight))
                        .collect::<Vec<_>>()
                        .join(", "),
                    c.counter_evidence
                        .iter()
                        .map(|e| format!("{}:{}", e.note.as_deref().unwrap_or(""), e.weight))
                        .collect::<Vec<_>>()
                        .join(", "),
                    t.failed
                );
            }
            if inc.page {
                s.paged += 1;
                s.paged_right += usize::from(ok);
            }
        }
    }
    if std::env::var_os("NOISY_DEBUG").is_some() {
        for v in t.visible.iter().filter(|v| !paged_found.contains(*v)) {
            let obs: Vec<String> = t
                .observations
                .iter()
                .filter(|o| o.entity.as_str() == v.as_str() && o.at > t.at - Duration::seconds(30))
                .map(|o| {
                    format!("{:?}", o.value)
                        .replace("Signal { signal: ", "")
                        .replace(" }", "")
                        + " "
                        + o.source.as_deref().unwrap_or("")
                })
                .collect();
            let listed: Vec<String> = incidents
                .iter()
                .flat_map(|i| i.root_causes.iter().map(move |c| (i, c)))
                .filter(|(_, c)| c.entity.as_str() == v.as_str())
                .map(|(i, c)| {
                    format!(
                        "{} {} {:.3} page {}",
                        c.role,
                        c.kind,
                        c.confidence.get(),
                        i.page
                    )
                })
                .collect();
            eprintln!(
                "visible not paged {v}: obs {obs:?} listed {listed:?} failed {:?}",
                t.failed
            );
            if listed.is_empty() && std::env::var_os("NOISY_DUMP").is_some() {
                for i in incidents {
                    eprintln!("  {} page {} | {}", i.id, i.page, i.summary);
                }
            }
        }
    }
    s.visible_found += found.len();
    s.visible_paged += paged_found.len();
}

/// Naive suppression: alert on every entity reported down (latest report of any vantage point)
/// whose single configured parent is not reported down; every alert pages.
fn score_naive(t: &Trial, s: &mut Score) {
    let mut latest: BTreeMap<(String, String), (DateTime<Utc>, SignalState)> = BTreeMap::new();
    for o in &t.observations {
        if let ispvm_model::ObservationValue::Signal { state, .. } = o.value {
            let key = (o.entity.to_string(), o.source.clone().unwrap_or_default());
            latest.insert(key, (o.at, state));
        }
    }
    let down = |e: &str| {
        latest
            .iter()
            .any(|((x, _), (_, st))| x == e && *st == SignalState::Down)
    };
    s.visible += t.visible.len();
    let mut found = BTreeSet::new();
    for (e, _) in &t.net.observed {
        if !down(e) || t.net.parent.get(e).is_some_and(|p| down(p)) {
            continue;
        }
        let ok = correct(t, e);
        s.causes += 1;
        s.causes_right += usize::from(ok);
        s.paged += 1;
        s.paged_right += usize::from(ok);
        s.incidents += 1;
        if t.visible.contains(e) {
            found.insert(e.clone());
        }
    }
    s.visible_found += found.len();
    s.visible_paged += found.len();
}

/// ROC AUC by the rank statistic (ties count half).
pub fn auc(scored: &[(f64, bool)]) -> f64 {
    let pos: Vec<f64> = scored.iter().filter(|x| x.1).map(|x| x.0).collect();
    let neg: Vec<f64> = scored.iter().filter(|x| !x.1).map(|x| x.0).collect();
    if pos.is_empty() || neg.is_empty() {
        return f64::NAN;
    }
    let mut sum = 0.0;
    for p in &pos {
        for n in &neg {
            sum += if p > n {
                1.0
            } else if p == n {
                0.5
            } else {
                0.0
            };
        }
    }
    sum / (pos.len() * neg.len()) as f64
}

/// Mean squared error of the confidences against the labels.
pub fn brier(scored: &[(f64, bool)]) -> f64 {
    scored
        .iter()
        .map(|(c, y)| (c - f64::from(u8::from(*y))).powi(2))
        .sum::<f64>()
        / scored.len().max(1) as f64
}

/// Brier score of the best constant (the base rate).
pub fn brier_constant(scored: &[(f64, bool)]) -> f64 {
    let base = scored.iter().filter(|x| x.1).count() as f64 / scored.len().max(1) as f64;
    base * (1.0 - base)
}

/// Runs `trials` trials from `seed`: the engine's and the naive method's scores, and the config.
pub fn run(
    seed: u64,
    trials: usize,
    noise: Noise,
    config: &EngineConfig,
) -> (Score, Score, EngineConfig) {
    let mut rng = Rng(seed);
    let (mut eng_s, mut naive_s) = (Score::default(), Score::default());
    for _ in 0..trials {
        let t = trial(&mut rng, noise);
        let mut e = Engine::new(t.net.topology.clone(), config.clone());
        e.observe_batch(&t.observations)
            .unwrap_or_else(|err| panic!("{err}"));
        let a = e.evaluate(t.at);
        score_engine(&t, a.incidents(), &mut eng_s);
        score_naive(&t, &mut naive_s);
    }
    (eng_s, naive_s, config.clone())
}

/// Labels incidents of fresh trials until `n` are labelled, carrying the learned weights and
/// reliabilities from engine to engine; returns the trained configuration.
pub fn train(seed: u64, n: usize, noise: Noise, config: &EngineConfig) -> EngineConfig {
    let mut rng = Rng(seed);
    let mut config = config.clone();
    let mut labelled = 0;
    while labelled < n {
        let t = trial(&mut rng, noise);
        let mut e = Engine::new(t.net.topology.clone(), config.clone());
        e.observe_batch(&t.observations)
            .unwrap_or_else(|err| panic!("{err}"));
        let a = e.evaluate(t.at);
        let incidents: Vec<Incident> = a.incidents().to_vec();
        for inc in &incidents {
            if labelled >= n {
                break;
            }
            let truth = inc
                .root_causes
                .iter()
                .find(|c| failure_like(c.kind) && correct(&t, c.entity.as_str()));
            let r = match truth {
                Some(c) => e.record_feedback(&inc.id, &c.entity),
                None => e.record_false_alarm(&inc.id),
            };
            r.unwrap_or_else(|err| panic!("{err}"));
            labelled += 1;
        }
        config = e.config().clone();
    }
    config
}

fn main() {
    let mut seed = 16u64;
    let mut trials = 400usize;
    let mut noise = Noise {
        missed: 0.10,
        false_down: 0.02,
        vp_isolation: 0.0,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next().and_then(|v| v.parse::<f64>().ok());
        match (a.as_str(), v) {
            ("--seed", Some(v)) if v >= 0.0 => seed = v as u64,
            ("--trials", Some(v)) if v >= 1.0 => trials = v as usize,
            ("--missed", Some(v)) => noise.missed = v,
            ("--false-down", Some(v)) => noise.false_down = v,
            ("--vp-isolation", Some(v)) => noise.vp_isolation = v,
            _ => {
                eprintln!(
                    "usage: noisy_benchmark [--seed N] [--trials N] [--missed P] [--false-down P] [--vp-isolation P]"
                );
                std::process::exit(2);
            }
        }
    }
    let config = EngineConfig::builder()
        .poll_interval(Some(Duration::seconds(60)))
        .build();
    let (eng, naive, _) = run(seed, trials, noise, &config);
    println!(
        "seed {seed}, {trials} trials; noise: {:.0} % missed reports per vantage point, {:.0} % single-vantage false downs, {:.0} % of trials isolate a vantage point",
        noise.missed * 100.0,
        noise.false_down * 100.0,
        noise.vp_isolation * 100.0
    );
    println!(
        "visible injected failures {}, engine incidents {}, reported causes {}",
        eng.visible, eng.incidents, eng.causes
    );
    println!();
    println!(
        "causes listed: {}, of them suspected glitches: {}; precision of the causes that are not suspected glitches: {:.3}",
        eng.causes,
        eng.causes - eng.trusted,
        ratio(eng.trusted_right, eng.trusted)
    );
    println!();
    println!(
        "| method | cause precision | cause recall | paged incidents | paged precision | paged recall | confidence AUC | Brier | Brier of a constant |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    println!(
        "| naive suppression (single parent, every alert pages) | {:.3} | {:.3} | {} | {:.3} | {:.3} | - | - | - |",
        ratio(naive.causes_right, naive.causes),
        ratio(naive.visible_found, naive.visible),
        naive.paged,
        ratio(naive.paged_right, naive.paged),
        ratio(naive.visible_paged, naive.visible),
    );
    println!(
        "| ispvm-rca, threshold {:.2} | {:.3} | {:.3} | {} | {:.3} | {:.3} | {:.3} | {:.4} | {:.4} |",
        config.page_threshold(),
        ratio(eng.causes_right, eng.causes),
        ratio(eng.visible_found, eng.visible),
        eng.paged,
        ratio(eng.paged_right, eng.paged),
        ratio(eng.visible_paged, eng.visible),
        auc(&eng.scored),
        brier(&eng.scored),
        brier_constant(&eng.scored),
    );
    println!();
    println!("paging threshold sweep (the whole benchmark run again with each threshold):");
    println!();
    println!("| threshold | paged incidents | paged precision | paged recall |");
    println!("|---|---|---|---|");
    for t in [0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6] {
        let c = EngineConfig::builder()
            .poll_interval(Some(Duration::seconds(60)))
            .page_threshold(t)
            .build();
        let (s, _, _) = run(seed, trials, noise, &c);
        println!(
            "| {t:.2} | {} | {:.3} | {:.3} |",
            s.paged,
            ratio(s.paged_right, s.paged),
            ratio(s.visible_paged, s.visible)
        );
    }
    // Feedback: 50 labelled incidents from other trials, then the same evaluation.
    let trained = train(seed ^ 0x5EED, 50, noise, &config);
    let (after, _, _) = run(seed, trials, noise, &trained);
    println!();
    println!(
        "feedback: Brier {:.4} before, {:.4} after 50 labelled incidents (AUC {:.3} -> {:.3}; paged precision {:.3} -> {:.3}, recall {:.3} -> {:.3})",
        brier(&eng.scored),
        brier(&after.scored),
        auc(&eng.scored),
        auc(&after.scored),
        ratio(eng.paged_right, eng.paged),
        ratio(after.paged_right, after.paged),
        ratio(eng.visible_paged, eng.visible),
        ratio(after.visible_paged, after.visible),
    );
    let mut weights: Vec<String> = Vec::new();
    for k in ispvm_rca::EvidenceKind::ALL {
        let (a, b) = (config.weights().get(k), trained.weights().get(k));
        if (a - b).abs() > 1e-9 {
            weights.push(format!("{k}: {a} -> {b:.2}"));
        }
    }
    println!("learned weights: {}", weights.join("; "));
    let rel: Vec<String> = trained
        .reliability()
        .sources()
        .map(|(s, c, r)| {
            format!(
                "{s}: {c} confirmed, {r} refuted, reliability {:.3}",
                trained.reliability().reliability(s)
            )
        })
        .collect();
    println!("learned source reliabilities: {}", rel.join("; "));
}
