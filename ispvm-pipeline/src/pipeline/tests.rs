//! Unit tests of the pipeline's rules and bookkeeping, with exact outputs.
use super::*;
use crate::rules::PppRowError;
use ispvm_model::{
    CauseKind, DependencyGroup, Entity, EntityStatus, GroupMode, SampleValue, SignalState,
    TopologyBuilder,
};
use ispvm_pppoe::classes::IncidentClass;
use ispvm_schemas::MetricSample;
use ispvm_schemas::ingest::AgentInfo;

fn id(s: &str) -> EntityId {
    s.parse().unwrap()
}

fn t(minute: i64) -> DateTime<Utc> {
    "2026-03-14T09:00:00Z".parse::<DateTime<Utc>>().unwrap() + chrono::Duration::minutes(minute)
}

/// agg1 <- bras1 (concentrator), radius1, transit1 (a BGP session of agg1), acc1 (any of agg1,
/// agg2), agg2.
fn topology(with_acc: bool) -> Topology {
    let mut b = TopologyBuilder::new("isp".parse().unwrap());
    b.add_entity(Entity::new(id("agg1"), EntityKind::Device));
    b.add_entity(Entity::new(id("agg2"), EntityKind::Device));
    b.add_entity(Entity::new(id("bras1"), EntityKind::PppoeConcentrator));
    b.add_entity(Entity::new(id("radius1"), EntityKind::RadiusServer));
    b.add_entity(Entity::new(id("transit1"), EntityKind::BgpSession));
    b.add_group(DependencyGroup::new(
        id("bras1"),
        GroupMode::All,
        vec![id("agg1")],
    ));
    if with_acc {
        b.add_entity(Entity::new(id("acc1"), EntityKind::Device));
        b.add_group(DependencyGroup::new(
            id("acc1"),
            GroupMode::Any,
            vec![id("agg1"), id("agg2")],
        ));
    }
    b.build().unwrap()
}

fn config() -> PipelineConfig {
    PipelineConfig::standard()
        .with_radius_server("10.0.0.10", id("radius1"))
        .with_alias("agg1/bgp/198.51.100.1", id("transit1"))
}

fn pipeline() -> Pipeline {
    Pipeline::new(topology(true), config())
}

fn sample(minute: i64, metric: &str, entity: &str, v: f64) -> Sample {
    Sample::new(
        t(minute),
        metric,
        EntityKind::Device,
        id(entity),
        SampleValue::Num(v),
        "1",
        "test",
    )
}

fn status(s: &Snapshot, entity: &str) -> EntityStatus {
    s.analysis
        .entities
        .iter()
        .find(|e| e.id.as_str() == entity)
        .map(|e| e.status)
        .unwrap()
}

fn rows(ids: std::ops::Range<u32>) -> Vec<PppActiveRow> {
    ids.map(|i| PppActiveRow::new(format!("*{i:X}"))).collect()
}

#[test]
fn a_pipeline_is_send_and_sync() {
    fn check<T: Send + Sync + 'static>() {}
    check::<Pipeline>();
    check::<Snapshot>();
    check::<PipelineError>();
    check::<FeedbackError>();
}

#[test]
fn ingest_stats_count_every_sample_once() {
    let mut p = pipeline();
    let stats = p.ingest_samples(&[
        sample(0, names::DEVICE_UP, "agg1", 1.0),
        sample(0, names::DEVICE_CPU_PCT, "agg1", 10.0),
        sample(0, names::DEVICE_CPU_PCT, "bras1", 10.0),
        sample(0, names::DEVICE_UP, "ghost", 1.0),
        sample(0, names::INTERFACE_OPER_UP, "agg1/ether1", 1.0),
        sample(0, names::DEVICE_UP, "agg2", f64::NAN),
        sample(0, names::BGP_PEER_UP, "agg1/bgp/198.51.100.1", 0.0),
    ]);
    assert_eq!(
        stats,
        IngestStats {
            used: 4,
            unknown_entity: 1,
            unused: 1,
            invalid: 1,
            // agg1 reachability and transit1 (aliased) routing; agg1/ether1 is no topology
            // entity.
            observations: 2,
            events: 0,
        }
    );
    let s = p.snapshot(t(0));
    assert_eq!(status(&s, "transit1"), EntityStatus::Down);
    assert_eq!(status(&s, "agg1"), EntityStatus::Up);
}

#[test]
fn a_failed_poll_is_device_up_zero() {
    let mut p = pipeline();
    p.poll_failed(&id("agg1"), t(3), PollFailure::Timeout)
        .unwrap();
    let s = p.snapshot(t(3));
    assert_eq!(status(&s, "agg1"), EntityStatus::Down);
    assert_eq!(status(&s, "bras1"), EntityStatus::Unreachable);
    let i = &s.analysis.incidents[0];
    assert_eq!(i.id, "inc-20260314T090300Z-agg1");
    assert_eq!(
        i.root_causes[0].evidence[0].source.as_deref(),
        Some("routeros_api")
    );
    assert_eq!(
        p.poll_failed(&id("ghost"), t(3), PollFailure::Login),
        Err(PipelineError::UnknownEntity { id: id("ghost") })
    );
}

#[test]
fn ppp_active_listings_give_churn_and_refuse_bad_input_without_change() {
    let mut p = pipeline();
    let first = p.ppp_active(&id("bras1"), t(0), &rows(0..100)).unwrap();
    assert_eq!(
        (
            first.churn_per_min,
            first.connects,
            first.disconnects,
            first.active
        ),
        (None, 0, 0, 100)
    );
    // Two minutes later: 10 left, 30 new.
    let second = p.ppp_active(&id("bras1"), t(2), &rows(10..130)).unwrap();
    assert_eq!(
        second,
        ChurnReport {
            concentrator: id("bras1"),
            at: t(2),
            churn_per_min: Some(20.0),
            connects: 30,
            disconnects: 10,
            active: 120,
            connects_total: 30,
            disconnects_total: 10,
        }
    );
    assert_eq!(
        p.ppp_active(&id("agg1"), t(3), &rows(0..1)),
        Err(PipelineError::NotAConcentrator { id: id("agg1") })
    );
    assert_eq!(
        p.ppp_active(&id("ghost"), t(3), &rows(0..1)),
        Err(PipelineError::UnknownEntity { id: id("ghost") })
    );
    let bad = [PppActiveRow::new("*1"), PppActiveRow::new("")];
    assert_eq!(
        p.ppp_active(&id("bras1"), t(3), &bad),
        Err(PipelineError::PppActive {
            concentrator: id("bras1"),
            source: PppRowError::BadId { index: 1 }
        })
    );
    assert!(matches!(
        p.ppp_active(&id("bras1"), t(1), &rows(0..1)),
        Err(PipelineError::Sessions(_))
    ));
    let s = p.snapshot(t(3));
    assert_eq!(s.churn, [second]);
}

#[test]
fn a_listing_is_the_better_source_at_its_instant() {
    let mut p = pipeline();
    p.ppp_active(&id("bras1"), t(0), &rows(0..100)).unwrap();
    // A count at the same instant does not reach the tracker (the listing wins); a later one
    // does.
    p.ingest_samples(&[sample(0, names::PPPOE_SESSIONS_ACTIVE, "bras1", 7.0)]);
    let tracker = p.sessions.get("bras1").unwrap();
    assert_eq!(
        tracker.counts().readings().last().map(|r| r.sessions),
        Some(100.0)
    );
    p.ingest_samples(&[sample(1, names::PPPOE_SESSIONS_ACTIVE, "bras1", 99.0)]);
    let tracker = p.sessions.get("bras1").unwrap();
    assert_eq!(
        tracker.counts().readings().last().map(|r| r.sessions),
        Some(99.0)
    );
}

fn radius(minute: i64, requests: f64, accepts: f64, rejects: f64, timeouts: f64) -> Vec<Sample> {
    let c = "bras1/radius/10.0.0.10";
    vec![
        sample(minute, names::RADIUS_REQUESTS_TOTAL, c, requests),
        sample(minute, names::RADIUS_ACCEPTS_TOTAL, c, accepts),
        sample(minute, names::RADIUS_REJECTS_TOTAL, c, rejects),
        sample(minute, names::RADIUS_TIMEOUTS_TOTAL, c, timeouts),
    ]
}

#[test]
fn radius_failure_rate_becomes_the_servers_experience() {
    let mut p = pipeline();
    p.ingest_samples(&radius(0, 100.0, 100.0, 0.0, 0.0));
    assert!(p.snapshot(t(0)).radius.is_empty());
    // 200 more requests, 40 accepted, 60 rejected, 100 timed out: 80 % failed.
    let stats = p.ingest_samples(&radius(1, 300.0, 140.0, 60.0, 100.0));
    assert_eq!((stats.used, stats.observations), (4, 1));
    let s = p.snapshot(t(1));
    assert_eq!(
        s.radius,
        [RadiusRate {
            client: id("bras1/radius/10.0.0.10"),
            concentrator: id("bras1"),
            server: Some(id("radius1")),
            at: t(1),
            failure_rate: 0.8,
            degraded: true,
        }]
    );
    assert_eq!(status(&s, "radius1"), EntityStatus::Degraded);
    // 100 more, all accepted: up again.
    p.ingest_samples(&radius(2, 400.0, 240.0, 60.0, 100.0));
    let s = p.snapshot(t(2));
    assert_eq!(
        (s.radius[0].failure_rate, s.radius[0].degraded),
        (0.0, false)
    );
    assert_eq!(status(&s, "radius1"), EntityStatus::Up);
    // An incomplete group is invalid and changes nothing.
    let mut partial = radius(3, 500.0, 250.0, 60.0, 190.0);
    partial.pop();
    let stats = p.ingest_samples(&partial);
    assert_eq!((stats.used, stats.invalid, stats.observations), (0, 3, 0));
    assert_eq!(p.snapshot(t(3)).radius[0].at, t(2));
}

#[test]
fn a_radius_server_that_answers_nothing_is_a_failed_root_cause() {
    // Off in the standard preset: a degradation only.
    let mut p = pipeline();
    p.ingest_samples(&radius(0, 100.0, 100.0, 0.0, 0.0));
    let stats = p.ingest_samples(&radius(1, 200.0, 100.0, 0.0, 100.0));
    assert_eq!(stats.observations, 1);
    assert_eq!(status(&p.snapshot(t(1)), "radius1"), EntityStatus::Degraded);
    let mut p = Pipeline::new(
        topology(true),
        config().with_radius_down_threshold(crate::rules::RADIUS_DOWN_THRESHOLD),
    );
    p.ingest_samples(&radius(0, 100.0, 100.0, 0.0, 0.0));
    // 100 more requests, every one timed out: the server answers nothing (rate 1.0).
    let stats = p.ingest_samples(&radius(1, 200.0, 100.0, 0.0, 100.0));
    assert_eq!(stats.observations, 2, "experience and reachability");
    let s = p.snapshot(t(1));
    assert_eq!(status(&s, "radius1"), EntityStatus::Down);
    let blamed: Vec<&str> = s
        .analysis
        .incidents
        .iter()
        .flat_map(|i| i.root_causes.iter().map(|c| c.entity.as_str()))
        .collect();
    assert!(blamed.contains(&"radius1"), "{blamed:?}");
    // Answers again: reachability up from the same client, the incident closes.
    let stats = p.ingest_samples(&radius(2, 300.0, 200.0, 0.0, 100.0));
    assert_eq!(stats.observations, 2);
    let s = p.snapshot(t(2));
    assert_eq!(status(&s, "radius1"), EntityStatus::Up);
    assert!(s.analysis.incidents.is_empty());
    // Every request rejected: the server answers (rejects), degraded, not down.
    let stats = p.ingest_samples(&radius(3, 400.0, 200.0, 100.0, 100.0));
    assert_eq!(stats.observations, 1);
    assert_eq!(status(&p.snapshot(t(3)), "radius1"), EntityStatus::Degraded);
}

#[test]
fn batches_are_applied_once_by_id_and_the_memory_of_ids_is_bounded() {
    let mut p = Pipeline::new(topology(true), config().with_recent_batches(2));
    let batch = |minute: i64| {
        let s: MetricSample = sample(minute, names::DEVICE_UP, "agg1", 0.0);
        IngestBatch::new(
            AgentInfo::new("a1", "poller", "0"),
            t(minute),
            vec![s],
            vec![],
        )
        .unwrap()
    };
    let (b0, b1, b2) = (batch(0), batch(1), batch(2));
    let first = p.ingest_batch(&b0);
    assert!(matches!(&first, IngestOutcome::Applied { stats, .. } if stats.observations == 1));
    assert_eq!(
        p.ingest_batch(&b0),
        IngestOutcome::Duplicate {
            id: BatchId::of(&b0)
        }
    );
    assert!(!p.ingest_batch(&b1).is_duplicate());
    assert!(!p.ingest_batch(&b2).is_duplicate());
    // b0 was forgotten (only 2 ids are kept): applied again.
    assert!(!p.ingest_batch(&b0).is_duplicate());
    assert!(p.ingest_batch(&b2).is_duplicate());
    // A transport id overrides the content id.
    assert!(
        !p.ingest_batch_with_id(BatchId::new("js-1"), &b2)
            .is_duplicate()
    );
    assert!(
        p.ingest_batch_with_id(BatchId::new("js-1"), &b1)
            .is_duplicate()
    );
}

#[test]
fn snapshots_say_when_something_changed_and_hand_events_out_once() {
    let mut p = Pipeline::new(topology(true), {
        let mut c = config();
        c.max_pending_events = 2;
        c
    });
    assert!(p.snapshot(t(0)).changed);
    assert!(!p.snapshot(t(1)).changed, "only the time moved");
    p.ingest_samples(&[sample(2, names::DEVICE_UP, "agg1", 1.0)]);
    let s = p.snapshot(t(2));
    assert!(s.changed, "agg1 went from unknown to up");
    assert_eq!(s.sequence, 3);
    let e = |n: u32| {
        Event::new(
            format!("e{n}"),
            t(2),
            names::DEVICE_REACHABLE_CHANGED,
            ispvm_model::Severity::Info,
            EntityKind::Device,
            id("agg1"),
        )
    };
    assert_eq!(p.ingest_events(&[e(1), e(2), e(3)]).events, 3);
    let s = p.snapshot(t(2));
    assert!(s.changed);
    assert_eq!(
        s.events.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
        ["e2", "e3"]
    );
    assert_eq!(s.events_dropped, 1);
    let s = p.snapshot(t(2));
    assert!(!s.changed);
    assert!(s.events.is_empty());
    assert_eq!(s.events_dropped, 0);
}

#[test]
fn maintenance_turns_a_failure_into_a_maintenance_cause() {
    let mut p = pipeline();
    let w = MaintenanceWindow::new(vec![id("agg1")], t(0), t(30)).unwrap();
    p.set_maintenance(std::slice::from_ref(&w)).unwrap();
    p.poll_failed(&id("agg1"), t(5), PollFailure::Refused)
        .unwrap();
    let s = p.snapshot(t(5));
    assert_eq!(
        s.analysis.incidents[0].root_causes[0].kind,
        CauseKind::Maintenance
    );
    let bad = MaintenanceWindow::new(vec![id("ghost")], t(0), t(30)).unwrap();
    assert!(matches!(
        p.set_maintenance(&[bad]),
        Err(PipelineError::Engine(EngineError::UnknownEntity { .. }))
    ));
    assert_eq!(p.maintenance(), [w]);
}

#[test]
fn feedback_is_typed_and_teaches_the_weights() {
    let mut p = pipeline();
    p.poll_failed(&id("agg1"), t(3), PollFailure::Timeout)
        .unwrap();
    assert_eq!(
        p.record_feedback("inc-20260314T090300Z-agg1", &id("agg1")),
        Err(FeedbackError::UnknownIncident {
            id: "inc-20260314T090300Z-agg1".into()
        }),
        "no snapshot yet"
    );
    let s = p.snapshot(t(3));
    let incident = s.analysis.incidents[0].id.clone();
    assert_eq!(
        p.record_feedback(&incident, &id("agg2")),
        Err(FeedbackError::CauseNotInIncident {
            incident: incident.clone(),
            cause: id("agg2")
        })
    );
    assert_eq!(
        p.record_feedback("inc-nope", &id("agg1")),
        Err(FeedbackError::UnknownIncident {
            id: "inc-nope".into()
        })
    );
    let before = p.weights();
    p.record_feedback(&incident, &id("agg1")).unwrap();
    let after = p.weights();
    assert!(
        after.get(EvidenceKind::Unreachable) > before.get(EvidenceKind::Unreachable),
        "{before:?} -> {after:?}"
    );
    // Weights can be restored (e.g. from a store) into a fresh pipeline.
    let mut fresh = pipeline();
    fresh.set_weights(&after);
    assert_eq!(fresh.weights(), after);
}

#[test]
fn replace_topology_keeps_state_and_open_incident_ids() {
    let mut p = pipeline();
    p.ingest_samples(&[sample(0, names::DEVICE_UP, "agg1", 1.0)]);
    p.poll_failed(&id("agg2"), t(2), PollFailure::Timeout)
        .unwrap();
    p.ingest_samples(&[sample(2, names::PPPOE_SESSIONS_ACTIVE, "bras1", 10.0)]);
    p.ppp_active(&id("bras1"), t(2), &rows(0..10)).unwrap();
    let before = p.snapshot(t(3));
    let incident = before.analysis.incidents[0].clone();
    assert_eq!(incident.id, "inc-20260314T090200Z-agg2");
    assert_eq!(
        incident.summary,
        "agg2 down; no impact (redundant via agg1)"
    );
    // Same topology: nothing changes.
    let same = p.replace_topology(topology(true));
    assert_eq!(
        same,
        TopologyChange {
            kept: 6,
            added: 0,
            removed: 0,
            windows_dropped: 0
        }
    );
    let again = p.snapshot(t(3));
    assert_eq!(again.analysis, before.analysis);
    assert!(!again.changed);
    // acc1 removed: agg2's incident stays open with its id and opened_at.
    let change = p.replace_topology(topology(false));
    assert_eq!((change.kept, change.added, change.removed), (5, 0, 1));
    let after = p.snapshot(t(4));
    assert_eq!(after.analysis.incidents.len(), 1);
    let i = &after.analysis.incidents[0];
    assert_eq!(
        (i.id.as_str(), i.opened_at),
        (incident.id.as_str(), incident.opened_at)
    );
    assert_eq!(status(&after, "agg2"), EntityStatus::Down);
    assert!(
        after
            .analysis
            .entities
            .iter()
            .all(|e| e.id.as_str() != "acc1")
    );
    // The session tracker kept bras1's listing: the next one diffs against it.
    let churn = p.ppp_active(&id("bras1"), t(5), &rows(5..10)).unwrap();
    assert_eq!((churn.connects, churn.disconnects), (0, 5));
    // The feedback memory was rebuilt: the kept incident still takes feedback.
    p.record_feedback(&incident.id, &id("agg2")).unwrap();
}

/// bras1's samples: 3200 sessions and ~80 RADIUS requests a minute for 20 minutes, then from
/// minute 20 on (`outage`) 98% of 1600 requests time out and sessions fall to 320.
fn bras1_samples(minutes: i64, outage: bool) -> Vec<Vec<Sample>> {
    let client = "bras1/radius/10.0.0.10";
    let (mut req, mut acc, mut to) = (0.0, 0.0, 0.0);
    (0..minutes)
        .map(|m| {
            let bad = outage && m >= 20;
            let (r, a) = if bad { (1600.0, 32.0) } else { (80.0, 80.0) };
            req += r;
            acc += a;
            to += r - a;
            vec![
                sample(
                    m,
                    names::PPPOE_SESSIONS_ACTIVE,
                    "bras1",
                    if bad { 320.0 } else { 3200.0 },
                ),
                sample(m, names::DEVICE_UP, "bras1", 1.0),
                sample(m, names::DEVICE_UP, "agg1", 1.0),
                sample(m, names::RADIUS_REQUESTS_TOTAL, client, req),
                sample(m, names::RADIUS_ACCEPTS_TOTAL, client, acc),
                sample(m, names::RADIUS_REJECTS_TOTAL, client, 0.0),
                sample(m, names::RADIUS_TIMEOUTS_TOTAL, client, to),
            ]
        })
        .collect()
}

#[test]
fn the_classifier_names_the_radius_class_with_confidence_and_runbook() {
    let mut p = pipeline();
    for tick in bras1_samples(23, true) {
        p.ingest_samples(&tick);
    }
    // Only bras1's own samples and its RADIUS client's are kept for the classifier.
    assert_eq!(p.history["bras1"].len(), 23 * 6);
    let s = p.snapshot(t(22));
    let bras1 = s
        .analysis
        .incidents
        .iter()
        .find(|i| i.primary().is_some_and(|c| c.entity.as_str() == "bras1"))
        .unwrap();
    assert_eq!(bras1.subscribers_affected, 2880);
    let classes = s.classes_of(&bras1.id);
    assert_eq!(classes.len(), 1);
    let c = &classes[0];
    assert_eq!(c.class, IncidentClass::RadiusFailure);
    assert_eq!(c.concentrator, id("bras1"));
    assert_eq!(c.runbook(), "docs/runbooks/radius-outage.md");
    assert!(
        c.evidence
            .iter()
            .filter_map(|e| e.note.as_deref())
            .any(|n| n.contains("RADIUS requests rejected or timed out")),
        "{c:?}"
    );
    // The same concentrator without the outage: no incident, no class.
    let mut calm = pipeline();
    for tick in bras1_samples(23, false) {
        calm.ingest_samples(&tick);
    }
    let s = calm.snapshot(t(22));
    assert!(s.analysis.incidents.is_empty());
    assert!(s.classes.is_empty());
}

#[test]
fn classifier_history_is_bounded_in_time_and_count() {
    let mut p = pipeline();
    for tick in bras1_samples(200, false) {
        p.ingest_samples(&tick);
    }
    // Two hours of minutes (120 and the current one), 6 samples each.
    assert_eq!(p.history["bras1"].len(), 121 * 6);
    let mut small = Pipeline::new(topology(true), {
        let mut c = config();
        c.classify_history_max_samples = 10;
        c
    });
    for tick in bras1_samples(5, false) {
        small.ingest_samples(&tick);
    }
    assert_eq!(small.history["bras1"].len(), 10);
    assert_eq!(small.history["bras1"].front().map(|s| s.ts), Some(t(3)));
}

#[test]
fn the_observation_log_keeps_what_the_engine_keeps() {
    let mut log = ObservationLog::new(3);
    for m in [4, 1, 3, 2, 5] {
        log.push(&Observation::signal(
            t(m),
            id("a"),
            Signal::Reachability,
            SignalState::Up,
        ));
    }
    let times: Vec<DateTime<Utc>> = log.all().iter().map(|o| o.at).collect();
    assert_eq!(times, [t(3), t(4), t(5)]);
    for m in [7, 6] {
        log.push(&Observation::metric(t(m), id("a"), names::DEVICE_CPU_PCT, 1.0).unwrap());
    }
    assert_eq!(
        log.entities["a"].first_metric.as_ref().map(|o| o.at),
        Some(t(6))
    );
}

#[test]
fn a_reload_drops_the_state_of_removed_entities() {
    let mut p = pipeline();
    p.ppp_active(&id("bras1"), t(0), &rows(0..10)).unwrap();
    p.ingest_samples(&radius(0, 10.0, 10.0, 0.0, 0.0));
    p.ingest_samples(&radius(1, 20.0, 20.0, 0.0, 0.0));
    p.ingest_samples(&[sample(1, names::PPPOE_SESSIONS_ACTIVE, "bras1", 10.0)]);
    assert_eq!(
        (
            p.sessions.len(),
            p.churn.len(),
            p.radius.len(),
            p.history.len()
        ),
        (1, 1, 1, 1)
    );
    let mut b = TopologyBuilder::new("isp".parse().unwrap());
    b.add_entity(Entity::new(id("agg1"), EntityKind::Device));
    let change = p.replace_topology(b.build().unwrap());
    assert_eq!((change.kept, change.removed), (1, 5));
    assert_eq!(
        (
            p.sessions.len(),
            p.churn.len(),
            p.radius.len(),
            p.history.len(),
            p.auth.len()
        ),
        (0, 0, 0, 0, 0)
    );
    assert_eq!(
        p.ppp_active(&id("bras1"), t(2), &rows(0..1)),
        Err(PipelineError::UnknownEntity { id: id("bras1") })
    );
    let s = p.snapshot(t(2));
    assert_eq!(s.analysis.entities.len(), 1);
    assert!(s.churn.is_empty() && s.radius.is_empty());
}

#[test]
fn every_metric_a_rule_reads_is_registered() {
    for name in CLASSIFIER_METRICS
        .iter()
        .chain(&OBSERVED_METRICS)
        .chain(&RADIUS_COUNTERS)
    {
        assert!(
            ispvm_schemas::registry::lookup(name).is_some(),
            "{name} is not in the registry"
        );
    }
}

#[test]
fn snapshots_list_the_incidents_opened_and_closed_since_the_previous_one() {
    let mut p = pipeline();
    p.ingest_samples(&[sample(0, names::DEVICE_UP, "agg1", 1.0)]);
    let s = p.snapshot(t(0));
    assert!(s.opened.is_empty() && s.closed.is_empty());
    p.poll_failed(&id("agg1"), t(1), PollFailure::Timeout)
        .unwrap();
    let s = p.snapshot(t(1));
    assert_eq!(s.opened, ["inc-20260314T090100Z-agg1"]);
    assert!(s.closed.is_empty());
    let s = p.snapshot(t(2));
    assert!(s.opened.is_empty() && s.closed.is_empty());
    p.ingest_samples(&[sample(3, names::DEVICE_UP, "agg1", 1.0)]);
    let s = p.snapshot(t(3));
    assert!(s.analysis.incidents.is_empty());
    assert_eq!(
        s.closed.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        ["inc-20260314T090100Z-agg1"]
    );
    assert_eq!(s.closed[0].summary, "agg1 down; 1 entity unreachable");
}
