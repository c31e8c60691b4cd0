//! Confidence under noise: corroboration by independent sources, counter-evidence, suspected
//! glitches and paging, inferred causes (a silent entity that missed a poll), vantage points
//! that lose their own path, and per-source reliability learned from feedback.

use chrono::{DateTime, Duration, Utc};
use ispvm_model::{
    CauseKind, CauseRole, DependencyGroup, Entity, EntityId, EntityKind, EntityStatus, GroupMode,
    Incident, Observation, RootCause, Signal, SignalState, Topology, TopologyBuilder,
};
use ispvm_rca::{DEFAULT_PAGE_THRESHOLD, Engine, EngineConfig, EvidenceKind};
use proptest::prelude::*;

fn id(s: &str) -> EntityId {
    s.parse().unwrap()
}

fn t(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600 + seconds, 0).unwrap()
}

fn topo(entities: &[(&str, EntityKind)], groups: &[(&str, GroupMode, &[&str])]) -> Topology {
    let mut b = TopologyBuilder::new("demo-isp".parse().unwrap());
    for (e, k) in entities {
        b.add_entity(Entity::new(id(e), *k));
    }
    for (d, m, members) in groups {
        b.add_group(DependencyGroup::new(
            id(d),
            *m,
            members.iter().map(|m| id(m)).collect(),
        ));
    }
    b.build().unwrap()
}

fn obs(at: i64, e: &str, s: Signal, st: SignalState, src: &str) -> Observation {
    Observation::signal(t(at), id(e), s, st).with_source(src)
}

fn reach(at: i64, e: &str, st: SignalState, src: &str) -> Observation {
    obs(at, e, Signal::Reachability, st, src)
}

/// A link `l1`, devices `agg1` (behind `l1`), `acc1` and `acc2` (behind `agg1`), and two vantage
/// points `vp1`, `vp2` with their own uplinks `vp1-up`, `vp2-up`.
fn net() -> Topology {
    topo(
        &[
            ("l1", EntityKind::Link),
            ("agg1", EntityKind::Device),
            ("acc1", EntityKind::Device),
            ("acc2", EntityKind::Device),
            ("vp1-up", EntityKind::Link),
            ("vp2-up", EntityKind::Link),
            ("vp1", EntityKind::Device),
            ("vp2", EntityKind::Device),
        ],
        &[
            ("agg1", GroupMode::All, &["l1"]),
            ("acc1", GroupMode::All, &["agg1"]),
            ("acc2", GroupMode::All, &["agg1"]),
            ("vp1", GroupMode::All, &["vp1-up"]),
            ("vp2", GroupMode::All, &["vp2-up"]),
        ],
    )
}

fn engine(config: EngineConfig) -> Engine {
    Engine::new(net(), config)
}

fn cause<'a>(incidents: &'a [Incident], e: &str) -> &'a RootCause {
    incidents
        .iter()
        .flat_map(|i| &i.root_causes)
        .find(|c| c.entity.as_str() == e)
        .unwrap_or_else(|| panic!("no cause {e} in {incidents:#?}"))
}

fn incident_of<'a>(incidents: &'a [Incident], e: &str) -> &'a Incident {
    incidents
        .iter()
        .find(|i| i.root_causes.iter().any(|c| c.entity.as_str() == e))
        .unwrap_or_else(|| panic!("no incident with {e}"))
}

fn link_conf(reports: &[(&str, SignalState)]) -> f64 {
    let mut e = engine(EngineConfig::default());
    for (src, st) in reports {
        e.observe(&obs(60, "l1", Signal::Link, *st, src)).unwrap();
    }
    cause(e.evaluate(t(61)).incidents(), "l1").confidence.get()
}

#[test]
fn independent_sources_corroborate_repeated_reports_do_not() {
    let one = link_conf(&[("vp1", SignalState::Down)]);
    assert_eq!(one, 0.533);
    // The example: both vantage points saw the link fail.
    let both = link_conf(&[("vp1", SignalState::Down), ("vp2", SignalState::Down)]);
    assert_eq!(both, 0.782);
    let mut e = engine(EngineConfig::default());
    for at in [60, 61, 62] {
        e.observe(&obs(at, "l1", Signal::Link, SignalState::Down, "vp1"))
            .unwrap();
    }
    assert_eq!(
        cause(e.evaluate(t(63)).incidents(), "l1").confidence.get(),
        one
    );
}

#[test]
fn another_source_reaching_it_is_counter_evidence_and_a_suspected_glitch_does_not_page() {
    let mut e = engine(EngineConfig::default());
    e.observe_batch(&[
        obs(60, "l1", Signal::Link, SignalState::Down, "vp1"),
        obs(60, "l1", Signal::Link, SignalState::Up, "vp2"),
    ])
    .unwrap();
    let a = e.evaluate(t(61));
    // Statuses follow the contract: at equal times the worse state wins.
    assert_eq!(a.status("l1"), Some(EntityStatus::Down));
    let c = cause(a.incidents(), "l1");
    assert_eq!(c.counter_evidence.len(), 1);
    let ce = &c.counter_evidence[0];
    assert_eq!(ce.source.as_deref(), Some("vp2"));
    assert_eq!(ce.weight, 10.0);
    assert_eq!(ce.note.as_deref(), Some("reached by another source (vp2)"));
    // 0.533 * (1 - 0.533)
    assert_eq!(c.confidence.get(), 0.249);
    assert!(c.suspected_glitch);
    assert!(!incident_of(a.incidents(), "l1").page);
    // Not silently dropped: still listed, its dependents still explained by it.
    assert_eq!(a.report("agg1").unwrap().explained_by, [id("l1")]);
}

#[test]
fn a_dependent_that_needs_it_and_answers_is_counter_evidence() {
    let mut e = engine(EngineConfig::default());
    e.observe_batch(&[
        reach(60, "agg1", SignalState::Down, "vp1"),
        reach(60, "acc1", SignalState::Up, "vp1"),
    ])
    .unwrap();
    let a = e.evaluate(t(61));
    let c = cause(a.incidents(), "agg1");
    let kinds: Vec<&str> = c
        .counter_evidence
        .iter()
        .filter_map(|x| x.note.as_deref())
        .collect();
    assert_eq!(kinds, ["acc1 answers though it needs agg1"]);
    assert_eq!(c.counter_evidence[0].weight, 8.0);
    // 0.356 * (1 - 0.8 * 8 / 13)
    assert_eq!(c.confidence.get(), 0.181);
    assert!(c.suspected_glitch);
}

#[test]
fn dependents_reported_down_corroborate_a_failure() {
    let mut e = engine(EngineConfig::default());
    e.observe_batch(&[
        reach(60, "agg1", SignalState::Down, "vp1"),
        reach(60, "acc1", SignalState::Down, "vp1"),
        reach(60, "acc2", SignalState::Down, "vp1"),
    ])
    .unwrap();
    let a = e.evaluate(t(61));
    let c = cause(a.incidents(), "agg1");
    let dependents: Vec<&str> = c
        .evidence
        .iter()
        .filter(|x| x.weight == EvidenceKind::DependentsDown.default_weight())
        .filter_map(|x| x.note.as_deref())
        .collect();
    assert_eq!(
        dependents,
        [
            "dependent down (acc1 needs it)",
            "dependent down (acc2 needs it)"
        ]
    );
    assert!(c.confidence.get() > 0.356);
    assert!(!c.suspected_glitch);
    assert!(incident_of(a.incidents(), "agg1").page);
}

/// `agg1` answered at t=0 and then missed the poll at t=60 while both its dependents were
/// reported down.
fn silent_agg(config: EngineConfig) -> Vec<Incident> {
    let mut e = engine(config);
    e.observe_batch(&[
        reach(0, "agg1", SignalState::Up, "vp1"),
        reach(0, "acc1", SignalState::Up, "vp1"),
        reach(0, "acc2", SignalState::Up, "vp1"),
        reach(60, "acc1", SignalState::Down, "vp1"),
        reach(60, "acc2", SignalState::Down, "vp1"),
    ])
    .unwrap();
    e.evaluate(t(65)).incidents().to_vec()
}

#[test]
fn a_silent_entity_whose_dependents_are_down_is_an_inferred_cause() {
    let incidents = silent_agg(
        EngineConfig::builder()
            .poll_interval(Some(Duration::seconds(60)))
            .build(),
    );
    assert_eq!(incidents.len(), 1, "{incidents:#?}");
    let i = &incidents[0];
    let p = i.primary().unwrap();
    assert_eq!(p.entity, id("agg1"));
    assert_eq!(p.kind, CauseKind::Inferred);
    assert_eq!(p.evidence.len(), 2);
    assert_eq!(
        p.evidence[0].note.as_deref(),
        Some("acc1 down and needs agg1; no report of agg1 since 2026-01-01T00:00:00Z")
    );
    // 1 - (1 - 0.8 * 3 / 8)^2
    assert_eq!(p.confidence.get(), 0.51);
    let others: Vec<(&str, CauseRole)> = i.root_causes[1..]
        .iter()
        .map(|c| (c.entity.as_str(), c.role))
        .collect();
    assert_eq!(
        others,
        [
            ("acc1", CauseRole::Contributing),
            ("acc2", CauseRole::Contributing)
        ]
    );
    assert_eq!(
        i.summary,
        "agg1 inferred down, with acc1 down, acc2 down; no impact"
    );
}

#[test]
fn inferred_causes_can_be_switched_off_and_need_a_poll_interval() {
    let off = silent_agg(
        EngineConfig::builder()
            .poll_interval(Some(Duration::seconds(60)))
            .inferred_causes(false, 2)
            .build(),
    );
    let unknown = silent_agg(EngineConfig::default());
    for incidents in [off, unknown] {
        assert_eq!(incidents.len(), 2);
        assert!(
            incidents
                .iter()
                .flat_map(|i| &i.root_causes)
                .all(|c| c.kind == CauseKind::Failure)
        );
    }
    // Reported since: no missed poll, nothing inferred.
    let mut e = engine(
        EngineConfig::builder()
            .poll_interval(Some(Duration::seconds(60)))
            .build(),
    );
    e.observe_batch(&[
        reach(0, "agg1", SignalState::Up, "vp1"),
        reach(60, "agg1", SignalState::Up, "vp1"),
        reach(60, "acc1", SignalState::Down, "vp1"),
        reach(60, "acc2", SignalState::Down, "vp1"),
    ])
    .unwrap();
    assert_eq!(e.evaluate(t(65)).incidents().len(), 2);
}

#[test]
fn a_vantage_point_that_lost_its_path_is_one_cause_in_its_own_incident() {
    let mut e = engine(EngineConfig::default());
    // vp2 sees vp1's uplink down; vp1, cut off, reports everything down; vp2 reaches them.
    let mut batch = vec![obs(60, "vp1-up", Signal::Link, SignalState::Down, "vp2")];
    for x in ["agg1", "acc1", "acc2"] {
        batch.push(reach(60, x, SignalState::Down, "vp1"));
        batch.push(reach(60, x, SignalState::Up, "vp2"));
    }
    batch.push(obs(60, "l1", Signal::Link, SignalState::Down, "vp1"));
    batch.push(obs(60, "l1", Signal::Link, SignalState::Up, "vp2"));
    e.observe_batch(&batch).unwrap();
    let a = e.evaluate(t(61));
    assert_eq!(a.status("vp1"), Some(EntityStatus::Unreachable));
    let i = incident_of(a.incidents(), "vp1-up");
    assert_eq!(a.incidents().len(), 1, "{:#?}", a.incidents());
    let p = i.primary().unwrap();
    assert_eq!(p.entity, id("vp1-up"));
    assert!(i.page);
    for c in &i.root_causes[1..] {
        assert!(c.suspected_glitch, "{c:#?}");
        assert!(
            c.counter_evidence.iter().any(|x| x
                .note
                .as_deref()
                .is_some_and(|n| n.contains("vp1 lost its own path"))),
            "{c:#?}"
        );
        assert!(c.confidence.get() < DEFAULT_PAGE_THRESHOLD);
    }
}

#[test]
fn a_burst_of_contradicted_downs_from_one_vantage_point_infers_its_isolation() {
    // Four independent routers; nothing says vp1 lost its path, but it alone reports them
    // down while vp2 reaches them.
    let flat = || {
        topo(
            &[
                ("r1", EntityKind::Device),
                ("r2", EntityKind::Device),
                ("r3", EntityKind::Device),
                ("r4", EntityKind::Device),
                ("vp1", EntityKind::Device),
                ("vp2", EntityKind::Device),
            ],
            &[],
        )
    };
    let mut e = Engine::new(flat(), EngineConfig::builder().vantage_burst(3).build());
    let mut batch = Vec::new();
    for x in ["r1", "r2", "r3"] {
        batch.push(reach(60, x, SignalState::Down, "vp1"));
        batch.push(reach(60, x, SignalState::Up, "vp2"));
    }
    // Missed by vp2: uncontradicted, still only vp1's word.
    batch.push(reach(60, "r4", SignalState::Down, "vp1"));
    e.observe_batch(&batch).unwrap();
    let a = e.evaluate(t(61));
    assert_eq!(a.incidents().len(), 1, "{:#?}", a.incidents());
    let i = &a.incidents()[0];
    let p = i.primary().unwrap();
    assert_eq!(
        (p.entity.as_str(), p.kind),
        ("vp1", CauseKind::Inferred),
        "{i:#?}"
    );
    assert_eq!(p.evidence.len(), 3);
    assert_eq!(
        p.evidence[0].note.as_deref(),
        Some("r1 reported down only by vp1, reached by others")
    );
    assert!(i.page);
    let rest: Vec<&str> = i.root_causes[1..]
        .iter()
        .map(|c| c.entity.as_str())
        .collect();
    // Ordered by the contract (impact, then confidence): r4 is not contradicted.
    assert_eq!(rest, ["r4", "r1", "r2", "r3"]);
    assert!(i.root_causes[1..].iter().all(|c| c.suspected_glitch));
    // Below the burst size nothing is inferred.
    let mut e = Engine::new(flat(), EngineConfig::builder().vantage_burst(5).build());
    e.observe_batch(&batch).unwrap();
    let a = e.evaluate(t(61));
    assert!(
        a.incidents()
            .iter()
            .flat_map(|i| &i.root_causes)
            .all(|c| c.kind == CauseKind::Failure)
    );
}

#[test]
fn a_false_alarm_lowers_the_reliability_of_its_sources() {
    let mut e = engine(EngineConfig::default());
    e.observe(&reach(60, "acc1", SignalState::Down, "vp1"))
        .unwrap();
    let a = e.evaluate(t(61));
    let before = cause(a.incidents(), "acc1").confidence.get();
    let inc = a.incidents()[0].id.clone();
    e.record_false_alarm(&inc).unwrap();
    assert!(e.reliability().reliability("vp1") < e.reliability().prior_mean());
    assert_eq!(
        e.reliability().reliability("vp2"),
        e.reliability().prior_mean()
    );
    let after = cause(e.evaluate(t(61)).incidents(), "acc1")
        .confidence
        .get();
    assert!(after < before, "{before} -> {after}");
    assert!(e.record_false_alarm("inc-nope").is_err());
}

proptest! {
    /// More vantage points agreeing never lowers a link's confidence; more contradicting ones
    /// never raise it; it stays in [0.01, 0.99].
    #[test]
    fn confidence_is_monotone_in_agreeing_and_contradicting_sources(down in 1usize..5, up in 0usize..4) {
        let reports = |d: usize, u: usize| {
            let mut v: Vec<(String, SignalState)> = Vec::new();
            for i in 0..d { v.push((format!("d{i}"), SignalState::Down)); }
            for i in 0..u { v.push((format!("u{i}"), SignalState::Up)); }
            v
        };
        let conf = |d: usize, u: usize| {
            let r = reports(d, u);
            let r: Vec<(&str, SignalState)> = r.iter().map(|(s, st)| (s.as_str(), *st)).collect();
            link_conf(&r)
        };
        let c = conf(down, up);
        prop_assert!((0.01..=0.99).contains(&c));
        prop_assert!(conf(down + 1, up) >= c);
        prop_assert!(conf(down, up + 1) <= c);
    }
}
