//! Confidence, feedback calibration, staleness, flapping, correlation window, and robustness
//! (nothing panics on any input).

use chrono::{DateTime, Duration, Utc};
use ispvm_model::{
    CauseKind, CauseRole, DependencyGroup, Entity, EntityId, EntityKind, EntityStatus, GroupMode,
    MaintenanceWindow, Observation, Signal, SignalState, Topology, TopologyBuilder,
};
use ispvm_rca::{
    Engine, EngineConfig, EngineError, EvidenceKind, SINGLE_SIGNAL_CAP, Weights,
    confidence_from_weights,
};
use proptest::prelude::*;

fn id(s: &str) -> EntityId {
    s.parse().unwrap()
}

fn t(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600 + seconds, 0).unwrap()
}

const MIN: i64 = 60;

/// `entities` as (id, kind); `groups` as (dependent, mode, members).
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

fn sig(at: i64, e: &str, s: Signal, st: SignalState, src: &str) -> Observation {
    Observation::signal(t(at), id(e), s, st).with_source(src)
}

fn down(at: i64, e: &str) -> Observation {
    sig(at, e, Signal::Reachability, SignalState::Down, "ping")
}

fn up(at: i64, e: &str) -> Observation {
    sig(at, e, Signal::Reachability, SignalState::Up, "ping")
}

fn chain() -> Topology {
    topo(
        &[("dev1", EntityKind::Device), ("acc1", EntityKind::Device)],
        &[("acc1", GroupMode::All, &["dev1"])],
    )
}

// ---------------------------------------------------------------- confidence

#[test]
fn one_signal_never_reaches_the_cap_and_corroboration_raises_confidence() {
    // Feedback keeps weights at most 4x their default (40 for the strongest category).
    for w in [0.1, 1.0, 3.0, 10.0, 40.0] {
        let c = confidence_from_weights(&[w]);
        assert!(c > 0.0 && c < SINGLE_SIGNAL_CAP, "{w} -> {c}");
    }
    assert_eq!(confidence_from_weights(&[1e9]), SINGLE_SIGNAL_CAP);
    assert_eq!(confidence_from_weights(&[]), 0.01);
    assert_eq!(confidence_from_weights(&[f64::NAN, -3.0]), 0.01);
    // Exact values of the documented formula p = 0.8 w / (w + 5), 1 - prod(1 - p).
    assert_eq!(confidence_from_weights(&[10.0]), 0.533);
    assert_eq!(confidence_from_weights(&[10.0, 7.0]), 0.751);
    assert_eq!(confidence_from_weights(&[10.0, 7.0, 6.0]), 0.86);
    assert!(confidence_from_weights(&[1e9; 20]) <= 0.99);
}

#[test]
fn evidence_lists_each_item_with_its_weight_and_counts_a_category_once() {
    let topo = topo(
        &[
            ("core1", EntityKind::Device),
            ("core1/ether1", EntityKind::Interface),
            ("agg1", EntityKind::Device),
        ],
        &[("agg1", GroupMode::All, &["core1/ether1"])],
    );
    let mut e = Engine::new(topo, EngineConfig::default());
    let l = |at, src| sig(at, "core1/ether1", Signal::Link, SignalState::Down, src);
    // Two API link-downs are one category; syslog is another, independent one.
    e.observe_batch(&[l(0, "routeros_api"), l(1, "routeros_api"), l(2, "syslog")])
        .unwrap();
    let a = e.evaluate(t(2));
    let cause = &a.incidents()[0].root_causes[0];
    let weights: Vec<f64> = cause.evidence.iter().map(|ev| ev.weight).collect();
    assert_eq!(weights, [10.0, 6.0]);
    assert_eq!(
        cause.confidence.get(),
        confidence_from_weights(&[10.0, 6.0])
    );
    assert_eq!(
        cause.evidence[0].note.as_deref(),
        Some("uplink interface down")
    );
    assert_eq!(cause.evidence[1].note.as_deref(), Some("syslog link-down"));
}

// ---------------------------------------------------------------- feedback

/// One labelled case: `acc` needs any of [`link`, `dev`]; the link has an API link-down (weight
/// 10), the device a single-source reachability down (weight 4). Both explain `acc`: one
/// incident, two causes. `truth_is_link` says which one the operator confirmed.
fn labelled(engine_weights: Weights, truth_is_link: bool) -> (Engine, String, EntityId) {
    let topo = topo(
        &[
            ("core", EntityKind::Device),
            ("core-acc", EntityKind::Link),
            ("dev", EntityKind::Device),
            ("acc", EntityKind::Device),
        ],
        &[("acc", GroupMode::Any, &["core-acc", "dev"])],
    );
    let mut e = Engine::new(
        topo,
        EngineConfig::builder().weights(engine_weights).build(),
    );
    e.observe(&sig(
        0,
        "core-acc",
        Signal::Link,
        SignalState::Down,
        "routeros_api",
    ))
    .unwrap();
    e.observe(&down(10, "dev")).unwrap();
    let a = e.evaluate(t(10));
    assert_eq!(a.incidents().len(), 1);
    let inc = a.incidents()[0].id.clone();
    let truth = id(if truth_is_link { "core-acc" } else { "dev" });
    (e, inc, truth)
}

/// Brier score of the causes' confidences on the labelled cases, with `weights`.
fn brier(weights: Weights, labels: &[bool]) -> f64 {
    let mut sum = 0.0;
    let mut n = 0.0;
    for &truth_is_link in labels {
        let (mut e, _, truth) = labelled(weights, truth_is_link);
        let a = e.evaluate(t(10));
        for c in &a.incidents()[0].root_causes {
            let y = if c.entity == truth { 1.0 } else { 0.0 };
            sum += (c.confidence.get() - y).powi(2);
            n += 1.0;
        }
    }
    sum / n
}

#[test]
fn feedback_improves_calibration_on_held_out_cases() {
    // In the field a link-down is the true cause 4 times in 5; a lone ping loss rarely is.
    let labels = |n: usize| (0..n).map(|i| i % 5 != 0).collect::<Vec<bool>>();
    let (train, test) = (labels(40), labels(25));
    let mut weights = Weights::default();
    let before = brier(weights, &test);
    for &truth_is_link in &train {
        let (mut e, inc, truth) = labelled(weights, truth_is_link);
        e.record_feedback(&inc, &truth).unwrap();
        weights = *e.weights();
    }
    let after = brier(weights, &test);
    assert!(after < before - 0.02, "Brier {before:.4} -> {after:.4}");
    assert!(weights.get(EvidenceKind::UplinkInterfaceDown) > 10.0);
    assert!(weights.get(EvidenceKind::Unreachable) < 4.0);
    // Untouched categories stay at their defaults; bounds hold after any amount of feedback.
    assert_eq!(weights.get(EvidenceKind::BgpDown), 7.0);
    for _ in 0..500 {
        let (mut e, inc, truth) = labelled(weights, true);
        e.record_feedback(&inc, &truth).unwrap();
        weights = *e.weights();
    }
    assert_eq!(weights.get(EvidenceKind::Unreachable), 1.0);
    assert_eq!(weights.get(EvidenceKind::UplinkInterfaceDown), 40.0);
    let (_, _, _) = labelled(weights, true);
}

#[test]
fn feedback_errors_are_typed_and_change_nothing() {
    let (mut e, inc, _) = labelled(Weights::default(), true);
    let w = *e.weights();
    assert_eq!(
        e.record_feedback("inc-nope", &id("dev")),
        Err(EngineError::UnknownIncident {
            id: "inc-nope".into()
        })
    );
    assert_eq!(
        e.record_feedback(&inc, &id("ghost")),
        Err(EngineError::UnknownEntity { id: id("ghost") })
    );
    assert_eq!(*e.weights(), w);
}

// ---------------------------------------------------------------- staleness

#[test]
fn stale_observations_stop_counting() {
    let cfg = EngineConfig::builder()
        .staleness(Some(Duration::minutes(5)))
        .build();
    let mut e = Engine::new(chain(), cfg);
    e.observe(&down(0, "dev1")).unwrap();
    let a = e.evaluate(t(4 * MIN));
    assert_eq!(a.status("acc1"), Some(EntityStatus::Unreachable));
    assert_eq!(a.status("dev1"), Some(EntityStatus::Down));
    // Exactly at the boundary the observation still counts; after it, it is gone.
    assert_eq!(
        e.evaluate(t(5 * MIN)).status("dev1"),
        Some(EntityStatus::Down)
    );
    let a = e.evaluate(t(5 * MIN + 1));
    assert_eq!(a.status("dev1"), Some(EntityStatus::Unknown));
    assert_eq!(a.status("acc1"), Some(EntityStatus::Unknown));
    assert!(a.incidents().is_empty());
    assert_eq!(e.is_available("acc1"), Some(true));
    assert!(a == e.evaluate_full(t(5 * MIN + 1)));
    // A past instant is still answered from history.
    assert_eq!(
        e.evaluate(t(MIN)).status("acc1"),
        Some(EntityStatus::Unreachable)
    );

    // Without staleness (the contract's default) the old observation keeps counting.
    let mut e = Engine::new(chain(), EngineConfig::default());
    e.observe(&down(0, "dev1")).unwrap();
    assert_eq!(
        e.evaluate(t(600 * MIN)).status("acc1"),
        Some(EntityStatus::Unreachable)
    );
}

#[test]
fn stale_evidence_is_not_listed() {
    let topo = topo(
        &[("dev1", EntityKind::Device), ("acc1", EntityKind::Device)],
        &[("acc1", GroupMode::All, &["dev1"])],
    );
    let cfg = EngineConfig::builder()
        .staleness(Some(Duration::minutes(5)))
        .build();
    let mut e = Engine::new(topo, cfg);
    e.observe(&sig(0, "dev1", Signal::Link, SignalState::Down, "syslog"))
        .unwrap();
    e.observe(&down(4 * MIN, "dev1")).unwrap();
    let a = e.evaluate(t(6 * MIN));
    let cause = &a.incidents()[0].root_causes[0];
    assert_eq!(cause.evidence.len(), 1, "{:?}", cause.evidence);
    assert_eq!(cause.evidence[0].signal, "reachability");
}

// ---------------------------------------------------------------- flapping

#[test]
fn flapping_is_a_row_flag_and_keeps_one_incident_identity() {
    let cfg = EngineConfig::builder()
        .flapping(Duration::minutes(10), 4)
        .build();
    let mut e = Engine::new(chain(), cfg.clone());
    // Below the threshold: a recovered cause closes its incident; a new failure is a new one.
    e.observe(&down(0, "dev1")).unwrap();
    let first = e.evaluate(t(0)).incidents()[0].id.clone();
    e.observe(&up(MIN, "dev1")).unwrap();
    let a = e.evaluate(t(MIN));
    assert!(a.incidents().is_empty());
    assert!(!a.report("dev1").unwrap().flapping);
    e.observe(&down(2 * MIN, "dev1")).unwrap();
    let a = e.evaluate(t(2 * MIN));
    assert_ne!(a.incidents()[0].id, first);
    assert_eq!(a.incidents()[0].opened_at, t(2 * MIN));
    // Fourth transition: flapping. The incident is the first one again (same id, opened_at).
    e.observe(&up(3 * MIN, "dev1")).unwrap();
    let a = e.evaluate(t(3 * MIN));
    assert!(a.report("dev1").unwrap().flapping);
    assert_eq!(a.status("dev1"), Some(EntityStatus::Up));
    assert!(a.incidents().is_empty(), "contract: recovered cause closes");
    e.observe(&down(4 * MIN, "dev1")).unwrap();
    let a = e.evaluate(t(4 * MIN));
    assert_eq!(a.incidents()[0].id, first);
    assert_eq!(a.incidents()[0].opened_at, t(0));
    let notes: Vec<_> = a.incidents()[0].root_causes[0]
        .evidence
        .iter()
        .filter_map(|ev| ev.note.clone())
        .collect();
    assert!(
        notes.contains(&"flapping: 5 transitions in 600 s".to_string()),
        "{notes:?}"
    );
    // Long after, the window is quiet again: no longer flapping.
    e.observe(&up(30 * MIN, "dev1")).unwrap();
    assert!(!e.evaluate(t(30 * MIN)).report("dev1").unwrap().flapping);

    // hold_flapping keeps the incident open while the flapping entity is momentarily up.
    let mut e = Engine::new(
        chain(),
        EngineConfig::builder()
            .flapping(Duration::minutes(10), 4)
            .hold_flapping(true)
            .build(),
    );
    e.observe_batch(&[
        down(0, "dev1"),
        up(MIN, "dev1"),
        down(2 * MIN, "dev1"),
        up(3 * MIN, "dev1"),
    ])
    .unwrap();
    let a = e.evaluate(t(3 * MIN));
    assert_eq!(a.incidents().len(), 1);
    assert_eq!(a.incidents()[0].opened_at, t(0));
    assert_eq!(a.incidents()[0].summary, "dev1 flapping; no impact");
}

// ---------------------------------------------------------------- correlation window

fn correlated(interface_delay: i64, window: Duration) -> Vec<(Vec<String>, DateTime<Utc>)> {
    let topo = topo(
        &[
            ("dev1", EntityKind::Device),
            ("dev1/ether1", EntityKind::Interface),
            ("acc1", EntityKind::Device),
        ],
        &[("acc1", GroupMode::All, &["dev1"])],
    );
    let mut e = Engine::new(
        topo,
        EngineConfig::builder().correlation_window(window).build(),
    );
    e.observe(&down(0, "dev1")).unwrap();
    e.observe(&sig(
        interface_delay,
        "dev1/ether1",
        Signal::Link,
        SignalState::Down,
        "syslog",
    ))
    .unwrap();
    let a = e.evaluate(t(interface_delay));
    a.incidents()
        .iter()
        .map(|i| {
            (
                i.root_causes.iter().map(|c| c.entity.to_string()).collect(),
                i.opened_at,
            )
        })
        .collect()
}

#[test]
fn related_isolated_causes_join_within_the_correlation_window() {
    let w = Duration::seconds(120);
    assert_eq!(
        correlated(60, w),
        [(vec!["dev1".to_string(), "dev1/ether1".to_string()], t(0))]
    );
    assert_eq!(
        correlated(120, w),
        [(vec!["dev1".to_string(), "dev1/ether1".to_string()], t(0))]
    );
    assert_eq!(
        correlated(121, w),
        [
            (vec!["dev1".to_string()], t(0)),
            (vec!["dev1/ether1".to_string()], t(121))
        ]
    );
    assert_eq!(correlated(60, Duration::zero()).len(), 2);
}

#[test]
fn an_incident_keeps_its_opening_time_while_causes_join() {
    // internet needs 2 of 3 sessions; two fail 90 s apart: one incident, opened at the first.
    let topo = topo(
        &[
            ("a", EntityKind::BgpSession),
            ("b", EntityKind::BgpSession),
            ("c", EntityKind::BgpSession),
            ("internet", EntityKind::Service),
        ],
        &[("internet", GroupMode::KofN(2), &["a", "b", "c"])],
    );
    let mut e = Engine::new(topo, EngineConfig::default());
    let r = |at, x| sig(at, x, Signal::Routing, SignalState::Down, "routeros_api");
    e.observe(&r(0, "a")).unwrap();
    let first = e.evaluate(t(0)).incidents()[0].clone();
    assert_eq!(first.summary, "a down; no impact (redundant via b, c)");
    e.observe(&r(90, "b")).unwrap();
    let a = e.evaluate(t(90));
    assert_eq!(a.incidents().len(), 1);
    let inc = &a.incidents()[0];
    assert_eq!((inc.id.as_str(), inc.opened_at), (first.id.as_str(), t(0)));
    let roles: Vec<_> = inc
        .root_causes
        .iter()
        .map(|c| (c.entity.to_string(), c.role, c.kind))
        .collect();
    assert_eq!(
        roles,
        [
            ("a".to_string(), CauseRole::Primary, CauseKind::Failure),
            ("b".to_string(), CauseRole::Contributing, CauseKind::Failure)
        ]
    );
    assert_eq!(inc.impacted, [id("internet")]);
}

// ---------------------------------------------------------------- robustness

fn extreme_time() -> impl Strategy<Value = DateTime<Utc>> {
    prop_oneof![
        Just(DateTime::<Utc>::MIN_UTC),
        Just(DateTime::<Utc>::MAX_UTC),
        (-10_000i64..10_000).prop_map(t),
        (DateTime::<Utc>::MIN_UTC.timestamp()..=DateTime::<Utc>::MAX_UTC.timestamp())
            .prop_map(|s| DateTime::from_timestamp(s, 0).unwrap()),
    ]
}

fn extreme_duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        Just(Duration::MAX),
        Just(Duration::MIN),
        Just(Duration::zero()),
        (-100_000i64..100_000).prop_map(Duration::seconds),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Any observation (any time, any value, unknown entities, odd metrics), any windows and
    /// any configuration: typed errors or results, never a panic.
    #[test]
    fn nothing_panics(
        obs in proptest::collection::vec(
            (extreme_time(), 0usize..5, 0u8..6, any::<f64>(), proptest::option::of("[a-z_]{0,8}")),
            0..40),
        evals in proptest::collection::vec(extreme_time(), 1..4),
        staleness in proptest::option::of(extreme_duration()),
        flap in (extreme_duration(), any::<u32>()),
        corr in extreme_duration(),
        window in proptest::option::of((extreme_time(), extreme_time())),
        hold in any::<bool>(),
    ) {
        let topo = topo(
            &[("a", EntityKind::Device), ("b", EntityKind::PppoeConcentrator),
              ("a/ether1", EntityKind::Interface), ("l", EntityKind::Link)],
            &[("b", GroupMode::Any, &["a", "l"]), ("l", GroupMode::All, &["a/ether1"])],
        );
        let names = ["a", "b", "a/ether1", "l", "ghost"];
        let cfg = EngineConfig::builder()
            .staleness(staleness)
            .flapping(flap.0, flap.1)
            .correlation_window(corr)
            .hold_flapping(hold)
            .history_limit(8)
            .build();
        let mut e = Engine::new(topo, cfg);
        if let Some((s, end)) = window {
            if let Ok(w) = MaintenanceWindow::new(vec![id("a"), id("l")], s, end) {
                e.set_maintenance(&[w]).unwrap();
            }
        }
        for (at, who, what, value, source) in &obs {
            let entity = id(names[*who]);
            let mut o = match what {
                0 => Observation::signal(*at, entity, Signal::Reachability, SignalState::Down),
                1 => Observation::signal(*at, entity, Signal::Link, SignalState::Down),
                2 => Observation::signal(*at, entity, Signal::Routing, SignalState::Up),
                3 => Observation::signal(*at, entity, Signal::Experience, SignalState::Degraded),
                4 | 5 => {
                    let name = if *what == 4 { "pppoe.sessions.active" } else { "if.in.octets" };
                    match Observation::metric(*at, entity, name, *value) {
                        Ok(o) => o,
                        Err(_) => continue, // non-finite values cannot be built
                    }
                }
                _ => unreachable!(),
            };
            if let Some(s) = source {
                o = o.with_source(s.clone());
            }
            let r = e.observe(&o);
            prop_assert_eq!(r.is_err(), *who == 4);
        }
        for at in evals {
            let a = e.evaluate(at);
            let _ = a.to_document();
            let _ = e.evaluate_full(at);
            for i in a.incidents().to_vec() {
                for c in &i.root_causes {
                    let v = c.confidence.get();
                    prop_assert!(v > 0.0 && v < 1.0);
                    let _ = e.record_feedback(&i.id, &c.entity);
                }
            }
        }
    }
}

/// Regression (found by `nothing_panics`): windows of `Duration::MAX` at the first instant of
/// the calendar overflowed `DateTime - Duration`.
#[test]
fn huge_windows_at_the_ends_of_time_do_not_overflow() {
    let cfg = EngineConfig::builder()
        .staleness(Some(Duration::MAX))
        .flapping(Duration::MAX, 0)
        .correlation_window(Duration::MAX)
        .build();
    let mut e = Engine::new(chain(), cfg);
    for at in [DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC] {
        e.observe(&Observation::signal(
            at,
            id("dev1"),
            Signal::Reachability,
            SignalState::Down,
        ))
        .unwrap();
        let a = e.evaluate(at);
        assert_eq!(a.status("acc1"), Some(EntityStatus::Unreachable));
        assert!(a == e.evaluate_full(at));
    }
}
