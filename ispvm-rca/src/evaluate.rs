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
    Incident, RootCause, SessionAssessment, SignalState, Topology,
};

use crate::analysis::{Analysis, confidence_from_weights};
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
    pub kinds: Vec<EvidenceKind>,
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
}

struct Cause {
    entity: u32,
    kind: Kind,
    start: DateTime<Utc>,
    impact: u64,
    confidence: f64,
    evidence: Vec<Evidence>,
    kinds: Vec<EvidenceKind>,
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
        causes.push(Cause {
            entity: e as u32,
            kind,
            start: at,
            impact: 0,
            confidence: 0.0,
            evidence: Vec::new(),
            kinds: Vec::new(),
        });
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
        };
        let items = gather_evidence(
            eng,
            c,
            &fi,
            flapping[e as usize],
            sessions.get(&e),
            at,
            stale_before,
        );
        let weights: Vec<f64> = items.iter().map(|(_, ev)| ev.weight).collect();
        c.confidence = confidence_from_weights(&weights);
        c.kinds = items.iter().map(|(k, _)| *k).collect();
        c.evidence = items.into_iter().map(|(_, ev)| ev).collect();
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
            cb.impact
                .cmp(&ca.impact)
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
                    },
                    Confidence::saturating(c.confidence),
                    c.evidence.clone(),
                )
            })
            .collect();
        feedback.push((
            id.clone(),
            order
                .iter()
                .map(|&ci| CauseRecord {
                    entity: causes[ci].entity,
                    kinds: causes[ci].kinds.clone(),
                    confidence: causes[ci].confidence,
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
            ),
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

/// Evidence for one cause: at most one item per category (the latest), sorted by category.
fn gather_evidence(
    eng: &Inputs<'_>,
    c: &Cause,
    fi: &FlapInfo,
    flapping: bool,
    session: Option<&SessionAssessment>,
    at: DateTime<Utc>,
    stale_before: Option<DateTime<Utc>>,
) -> Vec<(EvidenceKind, Evidence)> {
    let w = &eng.config.weights;
    let entities = eng.topology.entities();
    let e = c.entity as usize;
    let kind = entities[e].kind;
    let mut items: Vec<(EvidenceKind, Evidence)> = Vec::new();
    let push = |k: EvidenceKind, ev: Evidence, items: &mut Vec<(EvidenceKind, Evidence)>| {
        let mut ev = ev;
        ev.weight = w.get(k);
        match items.iter_mut().find(|(kk, _)| *kk == k) {
            Some(slot) if slot.1.at < ev.at => *slot = (k, ev),
            Some(_) => {}
            None => items.push((k, ev)),
        }
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
        Kind::Degradation => {
            if let (Some(a), Some(r)) = (session, eng.store.sessions_until(c.entity, at).last()) {
                let note = format!(
                    "sessions dropped from {} to {}",
                    a.baseline.unwrap_or(0),
                    a.current.unwrap_or(0)
                );
                push(
                    EvidenceKind::SessionDrop,
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
                push(EvidenceKind::Flapping, sig_ev(o, note), &mut items);
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
            let mut sources: Vec<u32> = Vec::new();
            let mut last_bad: Option<store::SigObs> = None;
            for ((slot, src), o) in &per_source {
                match slot {
                    1 if o.state == SignalState::Down => {
                        let k = link_kind(eng.store.source(*src));
                        push(k, sig_ev(o, k.description().to_string()), &mut items);
                    }
                    2 if o.state == SignalState::Down => {
                        let k = routing_kind(kind, &entities[e].id);
                        push(k, sig_ev(o, k.description().to_string()), &mut items);
                    }
                    0 | 3
                        if (*slot == 0 && o.state == SignalState::Down)
                            || (*slot == 3 && o.state != SignalState::Up) =>
                    {
                        if *src != 0 && !sources.contains(src) {
                            sources.push(*src);
                        }
                        if last_bad.is_none_or(|b| b.at <= o.at) {
                            last_bad = Some(*o);
                        }
                    }
                    _ => {}
                }
            }
            let reach_down = latest[0].filter(|o| o.state == SignalState::Down);
            if sources.len() >= 2 {
                if let Some(o) = last_bad {
                    let mut names: Vec<String> =
                        sources.iter().filter_map(|&s| source(s)).collect();
                    names.sort();
                    let mut ev = sig_ev(
                        &o,
                        format!(
                            "{} ({})",
                            EvidenceKind::PingLossMultiVantage,
                            names.join(", ")
                        ),
                    );
                    ev.source = Some(names.join(", "));
                    push(EvidenceKind::PingLossMultiVantage, ev, &mut items);
                }
            } else if let Some(o) = reach_down {
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
                push(k, sig_ev(&o, k.description().to_string()), &mut items);
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
                    push(
                        k,
                        sig_ev(&o, format!("{} ({rid})", k.description())),
                        &mut items,
                    );
                }
                if let Some(o) = rl[2].filter(|o| o.state == SignalState::Down && near(o)) {
                    let k = routing_kind(entities[r as usize].kind, &entities[r as usize].id);
                    push(
                        k,
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
                    push(EvidenceKind::Flapping, sig_ev(o, note), &mut items);
                }
            }
        }
    }
    items.sort_by_key(|(k, _)| *k);
    items
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
