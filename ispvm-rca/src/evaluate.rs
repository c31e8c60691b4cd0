//! One evaluation: from availability state and stored observations to statuses, explanations,
//! incidents, evidence and confidence (an [`Analysis`]), plus what feedback needs to remember.
//!
//! It reads the engine's parts through [`Inputs`] and never the engine itself, so the engine
//! depends on this module and not the other way round.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Duration, Utc};
use ispvm_model::{
    CauseKind, CauseRole, Confidence, EntityId, EntityKind, EntityStatus, Evidence, IdPath,
    Incident, RootCause, SessionAssessment, Signal, SignalState, Topology,
};

use crate::analysis::Analysis;
use crate::config::{EngineConfig, EvidenceKind};
use crate::index::{Index, NONE};
use crate::state::{State, Window};
use crate::store::{self, FlapInfo, IdMap, Store};

/// The metric the default subscriber rule reads (`pppoe.sessions.active`).
const SESSIONS_METRIC: &str = ispvm_model::names::PPPOE_SESSIONS_ACTIVE;

/// What an evaluation reads: the engine's compiled topology, configuration, maintenance and
/// observation store.
pub(crate) struct Inputs<'a> {
    pub topology: &'a Arc<Topology>,
    pub index: &'a Arc<Index>,
    pub config: &'a EngineConfig,
    pub maintenance: &'a [Window],
    pub store: &'a Store,
}

/// What feedback needs to know about one cause of a reported incident.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CauseRecord {
    pub entity: u32,
    /// Categories of its supporting evidence.
    pub kinds: Vec<EvidenceKind>,
    /// Categories of its counter-evidence.
    pub counter_kinds: Vec<EvidenceKind>,
    /// Named sources of its supporting evidence.
    pub sources: Vec<String>,
    pub confidence: f64,
}

/// What the engine keeps of one evaluation for [`Engine::record_feedback`](crate::Engine::record_feedback):
/// per incident id, its causes.
pub(crate) type FeedbackRecords = Vec<(String, Vec<CauseRecord>)>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Failure,
    Maintenance,
    Degradation,
    /// Flapping, currently working: held open so the incident does not open and close.
    Held,
    /// Inferred: a silent entity whose dependents are down, or an isolated vantage point.
    Inferred,
}

/// One evidence item with what makes it independent of others: its category, its source and,
/// for per-entity categories, the entity it is about (`NONE` otherwise).
#[derive(Debug, Clone)]
struct Item {
    kind: EvidenceKind,
    source: u32,
    about: u32,
    /// A report about a related entity (an interface, a link of the device), not the cause's own.
    related: bool,
    ev: Evidence,
}

struct Cause {
    entity: u32,
    kind: Kind,
    start: DateTime<Utc>,
    impact: u64,
    confidence: f64,
    support: Vec<Item>,
    counter: Vec<Item>,
    /// Causes an inferred cause explains (joined into its incident).
    explains: Vec<usize>,
    /// Reported only by a vantage point that lost its own path.
    demoted: bool,
    glitch: bool,
}

impl Cause {
    fn new(entity: u32, kind: Kind, start: DateTime<Utc>) -> Self {
        Self {
            entity,
            kind,
            start,
            impact: 0,
            confidence: 0.0,
            support: Vec::new(),
            counter: Vec::new(),
            explains: Vec::new(),
            demoted: false,
            glitch: false,
        }
    }
}

/// Sets every item's weight (category weight times its source's reliability) and the cause's
/// confidence ([`Confidence::combine`]).
fn score(eng: &Inputs<'_>, c: &mut Cause) {
    let w = &eng.config.weights;
    let rel = &eng.config.reliability;
    let weigh = |it: &mut Item| {
        let m = eng
            .store
            .source(it.source)
            .map_or(1.0, |s| rel.multiplier(s));
        it.ev.weight = round3(w.get(it.kind) * m);
    };
    c.support.iter_mut().for_each(weigh);
    c.counter.iter_mut().for_each(weigh);
    c.confidence = Confidence::combine(
        c.support
            .iter()
            .map(|i| ((i.kind, i.source, i.about), i.ev.weight)),
        c.counter.iter().map(|i| i.ev.weight),
        1.0,
    )
    .get();
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

struct UnionFind(Vec<usize>);

impl UnionFind {
    fn find(&mut self, mut x: usize) -> usize {
        while self.0[x] != x {
            self.0[x] = self.0[self.0[x]];
            x = self.0[x];
        }
        x
    }
    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            let (lo, hi) = if a < b { (a, b) } else { (b, a) };
            self.0[hi] = lo;
        }
    }
}

/// Builds the analysis of `state` at `at`, and the records feedback needs.
pub(crate) fn build(
    eng: &Inputs<'_>,
    state: &State,
    at: DateTime<Utc>,
) -> (Analysis, FeedbackRecords) {
    let idx = &**eng.index;
    let n = idx.len();
    let entities = eng.topology.entities();
    let cfg = &eng.config;
    let stale_before = cfg.staleness.map(|s| store::minus(at, s));

    // Maintenance.
    let mut maint = vec![false; n];
    let mut maintenance_end: IdMap<DateTime<Utc>> = IdMap::default();
    for w in eng.maintenance {
        if w.start <= at && at < w.end {
            for &e in &w.entities {
                if let Some(m) = maint.get_mut(e as usize) {
                    *m = true;
                    let end = maintenance_end.entry(e).or_insert(w.end);
                    if w.end > *end {
                        *end = w.end;
                    }
                }
            }
        }
    }

    // What the observations say.
    let mut observed = vec![false; n];
    let mut degraded = vec![false; n];
    let mut flapping = vec![false; n];
    let mut flaps: IdMap<FlapInfo> = IdMap::default();
    for (&e, h) in &eng.store.signals {
        let i = e as usize;
        if i >= n {
            continue;
        }
        let l = store::latest(h, at, stale_before);
        observed[i] = l.iter().any(Option::is_some);
        degraded[i] = store::is_degraded(&l);
        if h.len() >= cfg.flap_threshold as usize {
            let fi = store::flap_info(h, at, cfg.flap_window);
            if fi.transitions >= cfg.flap_threshold {
                flapping[i] = true;
                flaps.insert(e, fi);
            }
        }
    }
    for (&e, first) in &eng.store.metric_seen {
        if *first <= at {
            if let Some(o) = observed.get_mut(e as usize) {
                *o = true;
            }
        }
    }
    let mut sessions: IdMap<SessionAssessment> = IdMap::default();
    let mut sig_drop = vec![false; n];
    for &e in eng.store.sessions.keys() {
        let h = eng.store.sessions_until(e, at);
        if h.is_empty() {
            continue;
        }
        let i = e as usize;
        let Some(&avail) = state.available.get(i) else {
            continue;
        };
        observed[i] = true;
        let a = cfg.impact.assess(h, !avail);
        sig_drop[i] = avail && a.significant_drop;
        sessions.insert(e, a);
    }
    let mut red_lost = vec![false; n];
    for g in 0..idx.group_count() {
        let count = state.grp_avail[g];
        if count >= idx.required[g] && (count as usize) < idx.members.row(g).len() {
            if let Some(r) = red_lost.get_mut(idx.dependent[g] as usize) {
                *r = true;
            }
        }
    }

    // Status.
    let status: Vec<EntityStatus> = (0..n)
        .map(|i| {
            if maint[i] {
                EntityStatus::Maintenance
            } else if state.unsat[i] > 0 {
                EntityStatus::Unreachable
            } else if state.failed[i] {
                EntityStatus::Down
            } else if degraded[i] || red_lost[i] || sig_drop[i] {
                EntityStatus::Degraded
            } else if observed[i] {
                EntityStatus::Up
            } else {
                EntityStatus::Unknown
            }
        })
        .collect();

    // Explanations: walk unsatisfied groups upstream through unavailable members.
    let mut explained = vec![NONE; n];
    let mut sets: Vec<Box<[u32]>> = Vec::new();
    let mut singleton: IdMap<u32> = IdMap::default();
    let mut interned: HashMap<Box<[u32]>, u32> = HashMap::new();
    let mut ids: Vec<u32> = Vec::new();
    for &e in &idx.order {
        let e = e as usize;
        if state.unsat[e] == 0 {
            continue;
        }
        ids.clear();
        for &g in idx.groups_of.row(e) {
            let g = g as usize;
            if state.grp_avail[g] >= idx.required[g] {
                continue;
            }
            for &m in idx.members.row(g) {
                let mi = m as usize;
                if state.available[mi] {
                    continue;
                }
                let sid = if state.unsat[mi] == 0 {
                    *singleton.entry(m).or_insert_with(|| {
                        sets.push(Box::new([m]));
                        (sets.len() - 1) as u32
                    })
                } else {
                    explained[mi]
                };
                if sid != NONE {
                    ids.push(sid);
                }
            }
        }
        ids.sort_unstable();
        ids.dedup();
        explained[e] = match ids.as_slice() {
            [] => NONE,
            [one] => *one,
            many => {
                let mut merged: Vec<u32> = many
                    .iter()
                    .flat_map(|&s| sets[s as usize].iter().copied())
                    .collect();
                merged.sort_unstable();
                merged.dedup();
                let merged = merged.into_boxed_slice();
                if let Some(&sid) = interned.get(&merged) {
                    sid
                } else {
                    sets.push(merged.clone());
                    let sid = (sets.len() - 1) as u32;
                    interned.insert(merged, sid);
                    sid
                }
            }
        };
    }

    // Causes.
    let mut cause_of: IdMap<usize> = IdMap::default();
    let mut causes: Vec<Cause> = Vec::new();
    let mut add_cause = |e: usize, kind: Kind, causes: &mut Vec<Cause>| {
        cause_of.insert(e as u32, causes.len());
        causes.push(Cause::new(e as u32, kind, at));
    };
    for i in 0..n {
        let kind = if status[i] == EntityStatus::Down {
            Some(Kind::Failure)
        } else if maint[i] && state.failed[i] && state.unsat[i] == 0 {
            singleton
                .contains_key(&(i as u32))
                .then_some(Kind::Maintenance)
        } else if sig_drop[i] && !maint[i] {
            Some(Kind::Degradation)
        } else if cfg.hold_flapping
            && flapping[i]
            && !state.failed[i]
            && state.unsat[i] == 0
            && !maint[i]
        {
            Some(Kind::Held)
        } else {
            None
        };
        if let Some(k) = kind {
            add_cause(i, k, &mut causes);
        }
    }
    let mut set_count = vec![0u64; sets.len()];
    for &sid in &explained {
        if let Some(c) = set_count.get_mut(sid as usize) {
            *c += 1;
        }
    }
    for (sid, set) in sets.iter().enumerate() {
        for c in set.iter() {
            if let Some(&ci) = cause_of.get(c) {
                causes[ci].impact += set_count[sid];
            }
        }
    }

    // Start times and evidence.
    for c in &mut causes {
        let e = c.entity;
        let h = eng.store.history(e);
        let fi = flaps
            .get(&e)
            .copied()
            .unwrap_or_else(|| store::flap_info(h, at, cfg.flap_window));
        c.start = match c.kind {
            Kind::Failure | Kind::Maintenance => {
                if flapping[e as usize] {
                    fi.first_onset_in_window.or(fi.run_start).unwrap_or(at)
                } else {
                    fi.run_start.unwrap_or(at)
                }
            }
            Kind::Held => fi.first_onset_in_window.unwrap_or(at),
            Kind::Degradation => drop_start(eng, e, at, sessions.get(&e)),
            Kind::Inferred => c.start,
        };
        let (support, counter) = gather_evidence(
            eng,
            state,
            c,
            &fi,
            flapping[e as usize],
            sessions.get(&e),
            at,
            stale_before,
        );
        c.support = support;
        c.counter = counter;
        score(eng, c);
    }

    // Inferred causes: a silent entity whose dependents are all down.
    if cfg.infer_causes {
        infer_silent(eng, &status, state, at, &mut causes, &mut cause_of);
    }
    // Vantage points that lost their own path: their uncorroborated downs are one cause.
    vantage_isolation(eng, state, &explained, &sets, &mut causes, &mut cause_of);
    for c in &mut causes {
        c.glitch = c.demoted || (!c.counter.is_empty() && c.confidence < cfg.page_threshold);
    }

    // Incidents: causes sharing an explained entity, plus related isolated causes that began
    // within the correlation window of each other.
    let mut uf = UnionFind((0..causes.len()).collect());
    for set in &sets {
        let mut it = set.iter().filter_map(|c| cause_of.get(c).copied());
        if let Some(first) = it.next() {
            for other in it {
                uf.union(first, other);
            }
        }
    }
    for (ci, c) in causes.iter().enumerate() {
        for &other in &c.explains {
            uf.union(ci, other);
        }
    }
    if cfg.correlation_window > Duration::zero() {
        for ci in 0..causes.len() {
            if causes[ci].impact != 0 {
                continue;
            }
            for r in related(idx, causes[ci].entity) {
                if let Some(&cj) = cause_of.get(&r) {
                    let gap = (causes[ci].start - causes[cj].start).abs();
                    if cj != ci && gap <= cfg.correlation_window {
                        uf.union(ci, cj);
                    }
                }
            }
        }
    }
    let mut groups: Vec<Vec<usize>> = vec![Vec::new(); causes.len()];
    for ci in 0..causes.len() {
        let root = uf.find(ci);
        groups[root].push(ci);
    }
    let mut impacted: Vec<Vec<u32>> = vec![Vec::new(); causes.len()];
    for (e, &sid) in explained.iter().enumerate() {
        let Some(first) = sets.get(sid as usize).and_then(|s| s.first()) else {
            continue;
        };
        if let Some(&ci) = cause_of.get(first) {
            let root = uf.find(ci);
            impacted[root].push(e as u32);
        }
    }

    let id_of = |e: u32| &entities[e as usize].id;
    let mut incidents: Vec<(Incident, String)> = Vec::new();
    let mut feedback = Vec::new();
    for (root, members) in groups.iter().enumerate() {
        if members.is_empty() {
            continue;
        }
        let mut order: Vec<usize> = members.clone();
        // Primary ordering: most impact, higher confidence, earlier failure, smaller id.
        order.sort_by(|&a, &b| {
            let (ca, cb) = (&causes[a], &causes[b]);
            // Suspected glitches (contradicted, never the case on consistent observations)
            // come last, then the contract's order.
            ca.glitch
                .cmp(&cb.glitch)
                .then(cb.impact.cmp(&ca.impact))
                .then(cb.confidence.total_cmp(&ca.confidence))
                .then(ca.start.cmp(&cb.start))
                .then(id_of(ca.entity).cmp(id_of(cb.entity)))
        });
        let primary = order
            .iter()
            .copied()
            .find(|&ci| causes[ci].kind != Kind::Maintenance);
        if let Some(p) = primary {
            order.retain(|&ci| ci != p);
            order.insert(0, p);
        }
        let opener = members
            .iter()
            .copied()
            .min_by(|&a, &b| {
                causes[a]
                    .start
                    .cmp(&causes[b].start)
                    .then(id_of(causes[a].entity).cmp(id_of(causes[b].entity)))
            })
            .unwrap_or(root);
        let opened_at = causes[opener].start;
        let id = format!(
            "inc-{}-{}",
            opened_at.format("%Y%m%dT%H%M%SZ"),
            id_of(causes[opener].entity)
        );
        let mut hit: Vec<u32> = impacted[root].clone();
        hit.sort_by(|&a, &b| id_of(a).cmp(id_of(b)));
        let mut subscribers = 0u64;
        for &e in members
            .iter()
            .map(|&ci| &causes[ci].entity)
            .chain(hit.iter())
        {
            if let Some(a) = sessions.get(&e) {
                subscribers = subscribers.saturating_add(a.affected);
            }
        }
        let summary = summarize(
            eng,
            state,
            &causes,
            &order,
            primary,
            hit.len(),
            subscribers,
            &sessions,
        );
        let root_causes: Vec<RootCause> = order
            .iter()
            .map(|&ci| {
                let c = &causes[ci];
                RootCause::new(
                    id_of(c.entity).clone(),
                    if Some(ci) == primary {
                        CauseRole::Primary
                    } else {
                        CauseRole::Contributing
                    },
                    match c.kind {
                        Kind::Failure | Kind::Held => CauseKind::Failure,
                        Kind::Maintenance => CauseKind::Maintenance,
                        Kind::Degradation => CauseKind::Degradation,
                        Kind::Inferred => CauseKind::Inferred,
                    },
                    Confidence::saturating(c.confidence),
                    c.support.iter().map(|i| i.ev.clone()).collect(),
                )
                .with_counter_evidence(c.counter.iter().map(|i| i.ev.clone()).collect())
                .with_suspected_glitch(c.glitch)
            })
            .collect();
        let page = primary
            .is_some_and(|p| !causes[p].glitch && causes[p].confidence >= cfg.page_threshold);
        feedback.push((
            id.clone(),
            order
                .iter()
                .map(|&ci| {
                    let c = &causes[ci];
                    let mut sources: Vec<String> = c
                        .support
                        .iter()
                        .filter_map(|i| eng.store.source(i.source))
                        .map(str::to_string)
                        .collect();
                    sources.sort();
                    sources.dedup();
                    CauseRecord {
                        entity: c.entity,
                        kinds: c.support.iter().map(|i| i.kind).collect(),
                        counter_kinds: c.counter.iter().map(|i| i.kind).collect(),
                        sources,
                        confidence: c.confidence,
                    }
                })
                .collect(),
        ));
        let sort_key = primary
            .map(|p| id_of(causes[p].entity).to_string())
            .unwrap_or_else(|| id_of(causes[order[0]].entity).to_string());
        incidents.push((
            Incident::new(
                id,
                opened_at,
                root_causes,
                hit.into_iter().map(|e| id_of(e).clone()).collect(),
                subscribers,
                summary,
            )
            .with_page(page),
            sort_key,
        ));
    }
    incidents.sort_by(|(a, ka), (b, kb)| a.opened_at.cmp(&b.opened_at).then(ka.cmp(kb)));

    let analysis = Analysis {
        topology: Arc::clone(eng.topology),
        index: Arc::clone(eng.index),
        evaluated_at: at,
        status,
        available: state.available.clone(),
        grp_avail: state.grp_avail.clone(),
        unsat: state.unsat.clone(),
        explained,
        sets,
        flapping,
        maintenance_end,
        incidents: incidents.into_iter().map(|(i, _)| i).collect(),
        sorted: Arc::new(OnceLock::new()),
    };
    (analysis, feedback)
}

/// Entities related to `e` for correlation and corroborating evidence: its link endpoints, the
/// links it terminates, its parent (`agg1` for `agg1/ether1`) and children, the members of its
/// groups and the dependents of the groups it is a member of.
fn related(idx: &Index, e: u32) -> Vec<u32> {
    let i = e as usize;
    let mut out: Vec<u32> = Vec::new();
    out.extend_from_slice(idx.endpoints.row(i));
    out.extend_from_slice(idx.links_of.row(i));
    out.extend_from_slice(idx.children.row(i));
    if let Some(&p) = idx.parent.get(i) {
        if p != NONE {
            out.push(p);
        }
    }
    // Two hops through devices: the interfaces of a link's endpoints, the links of an
    // interface's device.
    for &p in idx.endpoints.row(i) {
        out.extend_from_slice(idx.children.row(p as usize));
    }
    if let Some(&p) = idx.parent.get(i) {
        if p != NONE {
            out.extend_from_slice(idx.links_of.row(p as usize));
        }
    }
    for &g in idx.groups_of.row(i) {
        out.extend_from_slice(idx.members.row(g as usize));
    }
    for &g in idx.member_of.row(i) {
        if let Some(&d) = idx.dependent.get(g as usize) {
            out.push(d);
        }
    }
    out.sort_unstable();
    out.dedup();
    out.retain(|&r| r != e);
    out
}

/// When the current significant drop began: the first reading of the final run of readings
/// below the midpoint between baseline and current.
fn drop_start(
    eng: &Inputs<'_>,
    e: u32,
    at: DateTime<Utc>,
    a: Option<&SessionAssessment>,
) -> DateTime<Utc> {
    let h = eng.store.sessions_until(e, at);
    let (Some(a), Some(last)) = (a, h.last()) else {
        return at;
    };
    let (Some(b), Some(c)) = (a.baseline, a.current) else {
        return last.at;
    };
    let mid = (b as f64 + c as f64) / 2.0;
    let mut start = last.at;
    for r in h.iter().rev() {
        if r.sessions < mid {
            start = r.at;
        } else {
            break;
        }
    }
    start
}

fn routing_kind(kind: EntityKind, id: &EntityId) -> EvidenceKind {
    let path = id.path();
    if kind == EntityKind::BgpSession || matches!(path, IdPath::BgpSession { .. }) {
        EvidenceKind::BgpDown
    } else if kind == EntityKind::OspfAdjacency || matches!(path, IdPath::OspfAdjacency { .. }) {
        EvidenceKind::OspfDown
    } else {
        EvidenceKind::RoutingDown
    }
}

fn link_kind(source: Option<&str>) -> EvidenceKind {
    if source.is_some_and(|s| s.to_ascii_lowercase().contains("syslog")) {
        EvidenceKind::SyslogLinkDown
    } else {
        EvidenceKind::UplinkInterfaceDown
    }
}

/// Evidence for one cause: supporting items (at most one per category and source, the latest;
/// per related entity for per-entity categories), sorted by category, and counter-evidence.
#[allow(clippy::too_many_arguments)]
fn gather_evidence(
    eng: &Inputs<'_>,
    state: &State,
    c: &Cause,
    fi: &FlapInfo,
    flapping: bool,
    session: Option<&SessionAssessment>,
    at: DateTime<Utc>,
    stale_before: Option<DateTime<Utc>>,
) -> (Vec<Item>, Vec<Item>) {
    let entities = eng.topology.entities();
    let e = c.entity as usize;
    let kind = entities[e].kind;
    let mut items: Vec<Item> = Vec::new();
    let mut counter: Vec<Item> = Vec::new();
    let push_item = |it: Item, items: &mut Vec<Item>| {
        let (k, source, about) = (it.kind, it.source, it.about);
        match items
            .iter_mut()
            .find(|x| x.kind == k && x.source == source && x.about == about)
        {
            Some(slot) if slot.ev.at < it.ev.at => *slot = it,
            Some(_) => {}
            None => items.push(it),
        }
    };
    let push_own =
        |k: EvidenceKind, source: u32, about: u32, ev: Evidence, items: &mut Vec<Item>| {
            push_item(
                Item {
                    kind: k,
                    source,
                    about,
                    related: false,
                    ev,
                },
                items,
            );
        };
    let push_rel = |k: EvidenceKind, source: u32, ev: Evidence, items: &mut Vec<Item>| {
        push_item(
            Item {
                kind: k,
                source,
                about: NONE,
                related: true,
                ev,
            },
            items,
        );
    };
    let source = |s: u32| eng.store.source(s).map(str::to_string);
    let sig_ev = |o: &store::SigObs, note: String| {
        let mut ev = Evidence::signal(o.signal.as_str(), o.state, o.at, 0.0).with_note(note);
        ev.source = source(o.source);
        ev
    };
    let h = eng.store.history(c.entity);
    let latest = store::latest(h, at, stale_before);
    match c.kind {
        Kind::Inferred => {}
        Kind::Degradation => {
            if let (Some(a), Some(r)) = (session, eng.store.sessions_until(c.entity, at).last()) {
                let note = format!(
                    "sessions dropped from {} to {}",
                    a.baseline.unwrap_or(0),
                    a.current.unwrap_or(0)
                );
                push_own(
                    EvidenceKind::SessionDrop,
                    0,
                    NONE,
                    Evidence::metric(SESSIONS_METRIC, r.sessions, r.at, 0.0).with_note(note),
                    &mut items,
                );
            }
        }
        Kind::Held => {
            if let Some(o) = h
                .iter()
                .rev()
                .filter(|o| o.at <= at)
                .find(|o| store::slot(o.signal) < 3 && o.state == SignalState::Down)
            {
                let note = format!(
                    "flapping: {} transitions in {} s, currently up",
                    fi.transitions,
                    eng.config.flap_window.num_seconds()
                );
                push_own(
                    EvidenceKind::Flapping,
                    o.source,
                    NONE,
                    sig_ev(o, note),
                    &mut items,
                );
            }
        }
        Kind::Failure | Kind::Maintenance => {
            // The latest observation of each (signal, source) since shortly before the failure
            // began: every source that still reports a fault is evidence.
            let from = store::minus(c.start, eng.config.correlation_window);
            let mut per_source: Vec<((usize, u32), store::SigObs)> = Vec::new();
            for o in h.iter().filter(|o| o.at >= from && o.at <= at) {
                if stale_before.is_some_and(|s| o.at < s) {
                    continue;
                }
                let key = (store::slot(o.signal), o.source);
                match per_source.iter_mut().find(|(k, _)| *k == key) {
                    Some(slot) => slot.1 = *o,
                    None => per_source.push((key, *o)),
                }
            }
            // Sources whose reachability or experience is bad: (source, latest bad report).
            let mut bad: Vec<(u32, store::SigObs)> = Vec::new();
            for ((slot, src), o) in &per_source {
                match slot {
                    1 if o.state == SignalState::Down => {
                        let k = link_kind(eng.store.source(*src));
                        push_own(
                            k,
                            *src,
                            NONE,
                            sig_ev(o, k.description().to_string()),
                            &mut items,
                        );
                    }
                    2 if o.state == SignalState::Down => {
                        let k = routing_kind(kind, &entities[e].id);
                        push_own(
                            k,
                            *src,
                            NONE,
                            sig_ev(o, k.description().to_string()),
                            &mut items,
                        );
                    }
                    0 | 3
                        if (*slot == 0 && o.state == SignalState::Down)
                            || (*slot == 3 && o.state != SignalState::Up) =>
                    {
                        match bad.iter_mut().find(|(s, _)| s == src) {
                            Some(b) if b.1.at <= o.at => b.1 = *o,
                            Some(_) => {}
                            None => bad.push((*src, *o)),
                        }
                    }
                    _ => {}
                }
            }
            let named = bad.iter().filter(|(s, _)| *s != 0).count();
            if named >= 2 {
                // Several vantage points agree: each is an independent item.
                for (src, o) in &bad {
                    push_own(
                        EvidenceKind::PingLossMultiVantage,
                        *src,
                        NONE,
                        sig_ev(
                            o,
                            EvidenceKind::PingLossMultiVantage.description().to_string(),
                        ),
                        &mut items,
                    );
                }
            } else if let Some(o) = latest[0].filter(|o| o.state == SignalState::Down) {
                let api = eng
                    .store
                    .source(o.source)
                    .is_some_and(|s| s.to_ascii_lowercase().contains("api"));
                let ping_ok = latest[3].is_some_and(|x| x.state == SignalState::Up);
                let k = if api && ping_ok {
                    EvidenceKind::ApiUnreachablePingOk
                } else {
                    EvidenceKind::Unreachable
                };
                push_own(
                    k,
                    o.source,
                    NONE,
                    sig_ev(&o, k.description().to_string()),
                    &mut items,
                );
            }
            // Corroboration from related interfaces, links and adjacencies.
            let idx = &**eng.index;
            let mut rel: Vec<u32> = Vec::new();
            rel.extend_from_slice(idx.children.row(e));
            rel.extend_from_slice(idx.links_of.row(e));
            for &p in idx.endpoints.row(e) {
                rel.extend_from_slice(idx.children.row(p as usize));
            }
            rel.sort_unstable();
            rel.dedup();
            for r in rel {
                let rl = store::latest(eng.store.history(r), at, stale_before);
                let rid = entities[r as usize].id.as_str();
                let near =
                    |o: &store::SigObs| (o.at - c.start).abs() <= eng.config.correlation_window;
                if let Some(o) = rl[1].filter(|o| o.state == SignalState::Down && near(o)) {
                    let k = link_kind(eng.store.source(o.source));
                    push_rel(
                        k,
                        o.source,
                        sig_ev(&o, format!("{} ({rid})", k.description())),
                        &mut items,
                    );
                }
                if let Some(o) = rl[2].filter(|o| o.state == SignalState::Down && near(o)) {
                    let k = routing_kind(entities[r as usize].kind, &entities[r as usize].id);
                    push_rel(
                        k,
                        o.source,
                        sig_ev(&o, format!("{} ({rid})", k.description())),
                        &mut items,
                    );
                }
            }
            if flapping {
                if let Some(o) = latest[..3]
                    .iter()
                    .flatten()
                    .filter(|o| o.state == SignalState::Down)
                    .max_by_key(|o| o.at)
                {
                    let note = format!(
                        "flapping: {} transitions in {} s",
                        fi.transitions,
                        eng.config.flap_window.num_seconds()
                    );
                    push_own(
                        EvidenceKind::Flapping,
                        o.source,
                        NONE,
                        sig_ev(o, note),
                        &mut items,
                    );
                }
            }
            if c.kind == Kind::Failure {
                // Corroboration: dependents that cannot work without it are reported down too.
                let mut down = 0;
                for &g in idx.member_of.row(e) {
                    let g = g as usize;
                    if state.grp_avail[g] >= idx.required[g] || down >= MAX_DEPENDENTS_LISTED {
                        continue;
                    }
                    let d = idx.dependent[g];
                    let dl = store::latest(eng.store.history(d), at, stale_before);
                    let near = |o: &store::SigObs| {
                        o.at >= store::minus(c.start, eng.config.correlation_window)
                    };
                    if let Some(o) = dl[0].filter(|o| o.state == SignalState::Down && near(o)) {
                        let note = format!(
                            "{} ({} needs it)",
                            EvidenceKind::DependentsDown.description(),
                            entities[d as usize].id.as_str()
                        );
                        push_own(
                            EvidenceKind::DependentsDown,
                            0,
                            d,
                            sig_ev(&o, note),
                            &mut items,
                        );
                        down += 1;
                    }
                }
                // Counter-evidence: a source that did not report it down reached it since
                // (its reachability, experience, link or routing is up).
                let reported_down = |src: u32| {
                    bad.iter().any(|(b, _)| *b == src)
                        || per_source.iter().any(|((slot, s), o)| {
                            *s == src && *slot < 3 && o.state == SignalState::Down
                        })
                };
                let mut reached: Vec<u32> = Vec::new();
                for ((_, src), o) in &per_source {
                    if o.state == SignalState::Up
                        && o.at >= c.start
                        && !reported_down(*src)
                        && !reached.contains(src)
                    {
                        reached.push(*src);
                        let k = EvidenceKind::ReachedByOtherSource;
                        let note = match source(*src) {
                            Some(s) => format!("{} ({s})", k.description()),
                            None => k.description().to_string(),
                        };
                        push_own(k, *src, NONE, sig_ev(o, note), &mut counter);
                    }
                }
                // Counter-evidence: something that needs it has lost every path to it too (a
                // group of that dependent not involving it is unsatisfied), so its `down` may be
                // only the pollers' view from behind the lost paths.
                let mut lost = 0;
                for &g in idx.member_of.row(e) {
                    if lost >= MAX_DEPENDENTS_LISTED {
                        break;
                    }
                    let d = idx.dependent[g as usize];
                    for &g2 in idx.groups_of.row(d as usize) {
                        let g2 = g2 as usize;
                        let members = idx.members.row(g2);
                        if g2 == g as usize
                            || state.grp_avail[g2] >= idx.required[g2]
                            || members.contains(&c.entity)
                        {
                            continue;
                        }
                        let k = EvidenceKind::PathLost;
                        let note = format!(
                            "{}: {} needs it and has lost {}",
                            k.description(),
                            entities[d as usize].id.as_str(),
                            eng.topology
                                .groups()
                                .get(g2)
                                .map_or_else(String::new, ToString::to_string)
                        );
                        let mut ev = Evidence::signal(
                            Signal::Reachability.as_str(),
                            SignalState::Down,
                            c.start,
                            0.0,
                        )
                        .with_note(note);
                        ev.state = None;
                        push_own(k, 0, d, ev, &mut counter);
                        lost += 1;
                        break;
                    }
                }
                // Counter-evidence: a dependent that cannot work without it answers.
                let mut answering = 0;
                for &g in idx.member_of.row(e) {
                    let g = g as usize;
                    if state.grp_avail[g] >= idx.required[g] || answering >= MAX_DEPENDENTS_LISTED {
                        continue;
                    }
                    let d = idx.dependent[g];
                    let dl = store::latest(eng.store.history(d), at, stale_before);
                    if store::is_failed(&dl) {
                        continue;
                    }
                    let up = dl
                        .into_iter()
                        .flatten()
                        .filter(|o| o.state == SignalState::Up && o.at >= c.start)
                        .max_by_key(|o| o.at);
                    if let Some(o) = up {
                        let k = EvidenceKind::DependentAnswers;
                        let note = format!(
                            "{} answers though it needs {}",
                            entities[d as usize].id.as_str(),
                            entities[e].id.as_str()
                        );
                        let mut ev = sig_ev(&o, note);
                        ev.signal = o.signal.as_str().to_string();
                        push_own(k, o.source, d, ev, &mut counter);
                        answering += 1;
                    }
                }
            }
        }
    }
    items.sort_by_key(|i| i.kind);
    counter.sort_by_key(|i| i.kind);
    (items, counter)
}

/// Dependents listed as counter-evidence (or as support of an inferred cause) at most.
const MAX_DEPENDENTS_LISTED: usize = 8;

/// Latest signal observation time of `e` at or before `at` (stale or not), if any.
fn last_report(eng: &Inputs<'_>, e: u32, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    eng.store
        .history(e)
        .iter()
        .rev()
        .find(|o| o.at <= at)
        .map(|o| o.at)
}

/// Proposes inferred causes: an available entity that has been reported before but missed a
/// poll (its latest report is at least the poll interval older than its dependents' failure), every one of its dependents (at least the configured number) down,
/// each needing it (one of its groups would be unsatisfied without it). The inferred cause
/// explains those failures: they join its incident.
fn infer_silent(
    eng: &Inputs<'_>,
    status: &[EntityStatus],
    state: &State,
    at: DateTime<Utc>,
    causes: &mut Vec<Cause>,
    cause_of: &mut IdMap<usize>,
) {
    let idx = &**eng.index;
    let entities = eng.topology.entities();
    let mut candidates: Vec<u32> = Vec::new();
    for c in causes.iter().filter(|c| c.kind == Kind::Failure) {
        for &g in idx.groups_of.row(c.entity as usize) {
            candidates.extend_from_slice(idx.members.row(g as usize));
        }
    }
    candidates.sort_unstable();
    candidates.dedup();
    for x in candidates {
        let xi = x as usize;
        if cause_of.contains_key(&x) || !state.available[xi] || status[xi].is_suppressed() {
            continue;
        }
        let Some(poll) = eng.config.poll_interval else {
            return; // without a poll interval no report counts as missed
        };
        let Some(last) = last_report(eng, x, at) else {
            continue; // never polled: nothing was missed
        };
        let mut deps: Vec<u32> = idx
            .member_of
            .row(xi)
            .iter()
            .map(|&g| idx.dependent[g as usize])
            .collect();
        deps.sort_unstable();
        deps.dedup();
        if deps.len() < eng.config.inferred_min_dependents as usize {
            continue;
        }
        let mut explained: Vec<usize> = Vec::new();
        let all = deps.iter().all(|&d| {
            let Some(&ci) = cause_of.get(&d) else {
                return false;
            };
            let c = &causes[ci];
            // It needs x: some group of d holding x would be unsatisfied without x.
            let needs = idx.groups_of.row(d as usize).iter().any(|&g| {
                let g = g as usize;
                idx.members.row(g).contains(&x)
                    && state.grp_avail[g].saturating_sub(1) < idx.required[g]
            });
            explained.push(ci);
            c.kind == Kind::Failure && needs && c.start - last >= poll && c.start > last
        });
        if !all {
            continue;
        }
        let xid = entities[xi].id.as_str();
        let mut c = Cause::new(x, Kind::Inferred, at);
        c.start = explained
            .iter()
            .map(|&ci| causes[ci].start)
            .min()
            .unwrap_or(at);
        c.impact = explained
            .iter()
            .map(|&ci| causes[ci].impact.saturating_add(1))
            .fold(0u64, u64::saturating_add);
        for &ci in explained.iter().take(MAX_DEPENDENTS_LISTED) {
            let d = causes[ci].entity;
            let did = entities[d as usize].id.as_str();
            let mut ev = Evidence::signal("reachability", SignalState::Down, causes[ci].start, 0.0)
                .with_note(format!(
                    "{did} down and needs {xid}; no report of {xid} since {}",
                    last.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
                ));
            if let Some(first) = causes[ci].support.first() {
                ev.signal.clone_from(&first.ev.signal);
                ev.state = first.ev.state;
                ev.source.clone_from(&first.ev.source);
            }
            c.support.push(Item {
                kind: EvidenceKind::DependentsDown,
                related: false,
                source: 0,
                about: d,
                ev,
            });
        }
        c.explains = explained;
        score(eng, &mut c);
        cause_of.insert(x, causes.len());
        causes.push(c);
    }
}

/// Vantage points that lost their own path. A vantage point is a source named like an entity
/// of the topology. It is isolated when that entity is unavailable, or when at least
/// `vantage_burst` causes are reported down by it alone and contradicted by another source or
/// a dependent. Then every cause reported by it alone gets `SourceIsolated` counter-evidence,
/// is marked a glitch and joins the incident of the vantage point's isolation: the cause that
/// explains it, or an inferred cause on the vantage point itself.
fn vantage_isolation(
    eng: &Inputs<'_>,
    state: &State,
    explained: &[u32],
    sets: &[Box<[u32]>],
    causes: &mut Vec<Cause>,
    cause_of: &mut IdMap<usize>,
) {
    let entities = eng.topology.entities();
    // Per vantage point: (entity index, source id, causes reported by it alone).
    let mut vps: Vec<(u32, u32, Vec<usize>)> = Vec::new();
    for (ci, c) in causes.iter().enumerate() {
        if c.kind != Kind::Failure {
            continue;
        }
        let mut srcs = c
            .support
            .iter()
            .filter(|i| i.kind != EvidenceKind::DependentsDown && !i.related)
            .map(|i| i.source);
        let Some(first) = srcs.next() else { continue };
        if first == 0 || srcs.any(|s| s != first) {
            continue;
        }
        let Some(name) = eng.store.source(first) else {
            continue;
        };
        let Some(v) = eng.topology.index_of(name) else {
            continue;
        };
        if v == c.entity as usize {
            continue;
        }
        match vps.iter_mut().find(|(_, s, _)| *s == first) {
            Some(vp) => vp.2.push(ci),
            None => vps.push((v as u32, first, vec![ci])),
        }
    }
    for (v, src, alone) in vps {
        let vi = v as usize;
        let contradicted: Vec<usize> = alone
            .iter()
            .copied()
            .filter(|&ci| !causes[ci].counter.is_empty())
            .collect();
        let burst =
            eng.config.vantage_burst > 0 && contradicted.len() >= eng.config.vantage_burst as usize;
        let known = !state.available.get(vi).copied().unwrap_or(true);
        if !known && !burst {
            continue;
        }
        let vname = eng.store.source(src).unwrap_or_default().to_string();
        for &ci in &alone {
            let c = &mut causes[ci];
            let mut ev = Evidence::signal("reachability", SignalState::Down, c.start, 0.0)
                .with_note(format!(
                    "{}: only {vname} reports it, and {vname} lost its own path",
                    EvidenceKind::SourceIsolated.description()
                ));
            ev.source = Some(vname.clone());
            c.counter.push(Item {
                kind: EvidenceKind::SourceIsolated,
                related: false,
                source: 0,
                about: v,
                ev,
            });
            c.demoted = true;
            score(eng, c);
        }
        // The cause the burst joins: the vantage point's own cause, what explains it, or an
        // inferred isolation.
        let anchor = if let Some(&ci) = cause_of.get(&v) {
            Some(ci)
        } else if let Some(set) = explained.get(vi).and_then(|&sid| sets.get(sid as usize)) {
            set.iter().find_map(|c| cause_of.get(c).copied())
        } else {
            None
        };
        match anchor {
            Some(a) => causes[a].explains.extend(alone.iter().copied()),
            None => {
                let mut c = Cause::new(v, Kind::Inferred, state_start(causes, &alone));
                c.impact = alone.len() as u64;
                for &ci in contradicted.iter().take(MAX_DEPENDENTS_LISTED) {
                    let x = causes[ci].entity;
                    let xid = entities[x as usize].id.as_str();
                    let mut ev =
                        Evidence::signal("reachability", SignalState::Down, causes[ci].start, 0.0)
                            .with_note(format!(
                                "{xid} reported down only by {vname}, reached by others"
                            ));
                    ev.source = Some(vname.clone());
                    c.support.push(Item {
                        kind: EvidenceKind::VantageBurst,
                        related: false,
                        source: 0,
                        about: x,
                        ev,
                    });
                }
                c.explains = alone;
                score(eng, &mut c);
                cause_of.insert(v, causes.len());
                causes.push(c);
            }
        }
    }
}

fn state_start(causes: &[Cause], members: &[usize]) -> DateTime<Utc> {
    members
        .iter()
        .map(|&ci| causes[ci].start)
        .min()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

#[allow(clippy::too_many_arguments)]
fn summarize(
    eng: &Inputs<'_>,
    state: &State,
    causes: &[Cause],
    order: &[usize],
    primary: Option<usize>,
    impacted: usize,
    subscribers: u64,
    sessions: &IdMap<SessionAssessment>,
) -> String {
    let entities = eng.topology.entities();
    let describe = |c: &Cause| {
        let id = entities[c.entity as usize].id.as_str();
        match c.kind {
            Kind::Failure => format!("{id} down"),
            Kind::Maintenance => format!("{id} down in maintenance"),
            Kind::Held => format!("{id} flapping"),
            Kind::Inferred => format!("{id} inferred down"),
            Kind::Degradation => {
                let a = sessions.get(&c.entity);
                format!(
                    "{id} sessions dropped {} -> {}",
                    a.and_then(|a| a.baseline).unwrap_or(0),
                    a.and_then(|a| a.current).unwrap_or(0)
                )
            }
        }
    };
    let mut parts: Vec<String> = order.iter().map(|&ci| describe(&causes[ci])).collect();
    let head = if parts.len() > 1 {
        let first = parts.remove(0);
        format!("{first}, with {}", parts.join(", "))
    } else {
        parts.pop().unwrap_or_default()
    };
    let mut parts: Vec<String> = Vec::new();
    if impacted == 1 {
        parts.push("1 entity unreachable".to_string());
    } else if impacted > 1 {
        parts.push(format!("{impacted} entities unreachable"));
    }
    if subscribers > 0 {
        parts.push(format!("{subscribers} subscribers affected"));
    }
    if parts.is_empty() {
        let lead = primary
            .or(order.first().copied())
            .map(|ci| causes[ci].entity);
        let mut via: Vec<&str> = Vec::new();
        if let Some(c) = lead {
            let idx = &**eng.index;
            for &g in idx.member_of.row(c as usize) {
                for &m in idx.members.row(g as usize) {
                    if m != c && state.available.get(m as usize).copied().unwrap_or(false) {
                        via.push(entities[m as usize].id.as_str());
                    }
                }
            }
        }
        via.sort_unstable();
        via.dedup();
        if via.is_empty() {
            parts.push("no impact".to_string());
        } else {
            parts.push(format!("no impact (redundant via {})", via.join(", ")));
        }
    }
    let impact = parts.join(", ");
    format!("{head}; {impact}")
}
