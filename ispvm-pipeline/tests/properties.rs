//! Properties of the pipeline, with proptest:
//! - ingesting a batch twice is the same as ingesting it once;
//! - the order of batches within one instant does not change any status or incident;
//! - `replace_topology` with the same topology changes nothing.

use chrono::{DateTime, Duration, Utc};
use ispvm_model::{
    DependencyGroup, Entity, EntityId, EntityKind, GroupMode, Sample, SampleValue, Topology,
    TopologyBuilder,
};
use ispvm_pipeline::{Pipeline, PipelineConfig, PppActiveRow, Snapshot};
use ispvm_schemas::ingest::{AgentInfo, IngestBatch};
use proptest::prelude::*;

const DEVICES: [&str; 6] = ["core1", "agg1", "agg2", "acc1", "acc2", "bras1"];

fn id(s: &str) -> EntityId {
    s.parse().unwrap()
}

/// core1 <- agg1, agg2 <- acc1 (any), acc2 (all agg2) <- bras1 (any acc1, acc2); radius1.
fn topology() -> Topology {
    let mut b = TopologyBuilder::new("prop".parse().unwrap());
    for d in DEVICES {
        let kind = if d == "bras1" {
            EntityKind::PppoeConcentrator
        } else {
            EntityKind::Device
        };
        b.add_entity(Entity::new(id(d), kind));
    }
    b.add_entity(Entity::new(id("radius1"), EntityKind::RadiusServer));
    b.add_group(DependencyGroup::new(
        id("agg1"),
        GroupMode::All,
        vec![id("core1")],
    ));
    b.add_group(DependencyGroup::new(
        id("agg2"),
        GroupMode::All,
        vec![id("core1")],
    ));
    b.add_group(DependencyGroup::new(
        id("acc1"),
        GroupMode::Any,
        vec![id("agg1"), id("agg2")],
    ));
    b.add_group(DependencyGroup::new(
        id("acc2"),
        GroupMode::All,
        vec![id("agg2")],
    ));
    b.add_group(DependencyGroup::new(
        id("bras1"),
        GroupMode::Any,
        vec![id("acc1"), id("acc2")],
    ));
    b.build().unwrap()
}

fn config() -> PipelineConfig {
    PipelineConfig::standard().with_radius_server("10.0.0.10", id("radius1"))
}

fn t(minute: u32) -> DateTime<Utc> {
    "2026-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::minutes(minute.into())
}

fn sample(minute: u32, metric: &str, entity: &str, v: f64) -> Sample {
    Sample::new(
        t(minute),
        metric,
        EntityKind::Device,
        id(entity),
        SampleValue::Num(v),
        "1",
        "prop",
    )
}

/// What one device reports at one minute.
#[derive(Debug, Clone)]
struct Report {
    up: bool,
    sessions: u32,
    radius_requests: u32,
    radius_failed: u32,
}

fn report() -> impl Strategy<Value = Report> {
    (
        prop::bool::weighted(0.8),
        prop_oneof![Just(3200u32), Just(3100u32), 0u32..4000],
        0u32..200,
        0u32..200,
    )
        .prop_map(|(up, sessions, radius_requests, f)| Report {
            up,
            sessions,
            radius_requests,
            radius_failed: f.min(radius_requests),
        })
}

/// One batch per device per minute, `minutes` minutes: the devices' reports.
fn history(minutes: usize) -> impl Strategy<Value = Vec<Vec<Report>>> {
    prop::collection::vec(prop::collection::vec(report(), DEVICES.len()), 1..=minutes)
}

/// The batches of minute `m`, one per device (the RADIUS counters are cumulative, so they are
/// computed from every earlier minute).
fn batches(history: &[Vec<Report>], m: usize) -> Vec<IngestBatch> {
    let minute = m as u32;
    DEVICES
        .iter()
        .enumerate()
        .map(|(d, name)| {
            let r = &history[m][d];
            let mut metrics = vec![sample(minute, "device.up", name, f64::from(u8::from(r.up)))];
            if *name == "bras1" {
                let (mut req, mut failed) = (0u64, 0u64);
                for h in &history[..=m] {
                    req += u64::from(h[d].radius_requests);
                    failed += u64::from(h[d].radius_failed);
                }
                let c = "bras1/radius/10.0.0.10";
                metrics.extend([
                    sample(minute, "pppoe.sessions.active", name, f64::from(r.sessions)),
                    sample(minute, "radius.requests_total", c, req as f64),
                    sample(minute, "radius.accepts_total", c, (req - failed) as f64),
                    sample(minute, "radius.rejects_total", c, 0.0),
                    sample(minute, "radius.timeouts_total", c, failed as f64),
                ]);
            }
            IngestBatch::new(
                AgentInfo::new(format!("agent-{name}"), "prop", "0"),
                t(minute),
                metrics,
                vec![],
            )
            .unwrap()
        })
        .collect()
}

/// Everything of a snapshot but its sequence number and change flag.
fn content(s: &Snapshot) -> String {
    let mut v = serde_json::to_value(s).unwrap();
    if let Some(o) = v.as_object_mut() {
        o.remove("sequence");
        o.remove("changed");
    }
    v.to_string()
}

/// Statuses, suppression and incidents.
fn statuses(s: &Snapshot) -> String {
    serde_json::to_string(&(&s.analysis.entities, &s.analysis.incidents)).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_batch_twice_is_the_same_as_once(h in history(8), repeat in prop::collection::vec(any::<bool>(), 48)) {
        let mut once = Pipeline::new(topology(), config());
        let mut twice = Pipeline::new(topology(), config());
        for m in 0..h.len() {
            for (i, b) in batches(&h, m).iter().enumerate() {
                prop_assert!(!once.ingest_batch(b).is_duplicate());
                prop_assert!(!twice.ingest_batch(b).is_duplicate());
                if repeat[(m * DEVICES.len() + i) % repeat.len()] {
                    prop_assert!(twice.ingest_batch(b).is_duplicate());
                }
            }
            prop_assert_eq!(content(&once.snapshot(t(m as u32))), content(&twice.snapshot(t(m as u32))));
        }
    }

    #[test]
    fn the_order_of_batches_within_an_instant_does_not_change_statuses(
        h in history(8),
        order in Just((0..DEVICES.len()).collect::<Vec<usize>>()).prop_shuffle(),
    ) {
        let mut sorted = Pipeline::new(topology(), config());
        let mut shuffled = Pipeline::new(topology(), config());
        for m in 0..h.len() {
            let bs = batches(&h, m);
            for b in &bs {
                sorted.ingest_batch(b);
            }
            for &i in &order {
                shuffled.ingest_batch(&bs[i]);
            }
            let at = t(m as u32);
            prop_assert_eq!(statuses(&sorted.snapshot(at)), statuses(&shuffled.snapshot(at)));
        }
    }

    #[test]
    fn replacing_the_topology_with_itself_changes_nothing(h in history(10), listings in prop::collection::vec(0u32..50, 0..4)) {
        let mut p = Pipeline::new(topology(), config());
        for m in 0..h.len() {
            for b in batches(&h, m) {
                p.ingest_batch(&b);
            }
        }
        let last = (h.len() - 1) as u32;
        for (i, n) in listings.iter().enumerate() {
            let rows: Vec<PppActiveRow> = (0..*n).map(|k| PppActiveRow::new(format!("*{k}"))).collect();
            p.ppp_active(&id("bras1"), t(last) + Duration::seconds(i as i64), &rows).unwrap();
        }
        let at = t(last) + Duration::minutes(1);
        let before = p.snapshot(at);
        let change = p.replace_topology(topology());
        prop_assert_eq!((change.added, change.removed), (0, 0));
        let after = p.snapshot(at);
        prop_assert_eq!(&after.analysis, &before.analysis);
        // Events and opened/closed incidents are deltas, handed out once (by the first
        // snapshot); everything else is the same.
        prop_assert!(after.events.is_empty() && after.opened.is_empty() && after.closed.is_empty());
        let without_events = |s: &Snapshot| {
            let mut s = s.clone();
            s.events.clear();
            s.opened.clear();
            s.closed.clear();
            content(&s)
        };
        prop_assert_eq!(without_events(&after), without_events(&before));
        prop_assert!(!after.changed);
        // And the next inputs land on the same state as without the replacement.
        let mut fresh = Pipeline::new(topology(), config());
        for m in 0..h.len() {
            for b in batches(&h, m) {
                fresh.ingest_batch(&b);
            }
        }
        for (i, n) in listings.iter().enumerate() {
            let rows: Vec<PppActiveRow> = (0..*n).map(|k| PppActiveRow::new(format!("*{k}"))).collect();
            fresh.ppp_active(&id("bras1"), t(last) + Duration::seconds(i as i64), &rows).unwrap();
        }
        let next = [sample(last + 2, "device.up", "core1", 0.0)];
        p.ingest_samples(&next);
        fresh.ingest_samples(&next);
        prop_assert_eq!(statuses(&p.snapshot(t(last + 2))), statuses(&fresh.snapshot(t(last + 2))));
    }
}
