//! Criterion benchmarks of the pipeline on a 10k-entity ISP: one poll round (every entity's
//! `device.up` and every concentrator's session count, one aggregation router toggling) fed
//! as samples or as an ingest batch, and the snapshot after it.
//!
//! `cargo bench -p ispvm-pipeline`; numbers in the crate README.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Utc};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use ispvm_model::{
    DependencyGroup, Entity, EntityId, EntityKind, GroupMode, Sample, SampleValue, Topology,
    TopologyBuilder,
};
use ispvm_pipeline::{Pipeline, PipelineConfig};
use ispvm_schemas::ingest::{AgentInfo, IngestBatch};

const CORES: usize = 10;
const AGGS: usize = 100;
const ACCESS: usize = 8_900;
const BRAS: usize = 990;

fn t(minute: u64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600 + 60 * minute as i64, 0).unwrap_or_default()
}

fn id(s: String) -> EntityId {
    EntityId::new(s).unwrap_or_else(|e| panic!("{e}"))
}

/// 10 cores, 100 aggregation routers (any of two cores), 8,900 access switches (any of two
/// aggregation routers) and 990 concentrators (all of one access switch): 10,000 entities.
fn topology() -> (Topology, Vec<(EntityId, EntityKind)>) {
    let mut b = TopologyBuilder::new("bench".parse().unwrap_or_else(|e| panic!("{e}")));
    let mut all = Vec::new();
    let mut add = |b: &mut TopologyBuilder, name: String, kind| {
        let e = id(name);
        b.add_entity(Entity::new(e.clone(), kind));
        all.push((e.clone(), kind));
        e
    };
    let cores: Vec<EntityId> = (0..CORES)
        .map(|i| add(&mut b, format!("core{i}"), EntityKind::Device))
        .collect();
    let aggs: Vec<EntityId> = (0..AGGS)
        .map(|i| {
            let a = add(&mut b, format!("agg{i}"), EntityKind::Device);
            let (x, y) = (cores[i % CORES].clone(), cores[(i + 1) % CORES].clone());
            b.add_group(DependencyGroup::new(a.clone(), GroupMode::Any, vec![x, y]));
            a
        })
        .collect();
    let access: Vec<EntityId> = (0..ACCESS)
        .map(|i| {
            let a = add(&mut b, format!("acc{i}"), EntityKind::Device);
            let (x, y) = (aggs[i % AGGS].clone(), aggs[(i + 1) % AGGS].clone());
            b.add_group(DependencyGroup::new(a.clone(), GroupMode::Any, vec![x, y]));
            a
        })
        .collect();
    for (i, acc) in access.iter().take(BRAS).enumerate() {
        let c = add(&mut b, format!("bras{i}"), EntityKind::PppoeConcentrator);
        b.add_group(DependencyGroup::new(c, GroupMode::All, vec![acc.clone()]));
    }
    (b.build().unwrap_or_else(|e| panic!("{e}")), all)
}

/// One poll round at `minute`: every entity's `device.up` (agg0 and agg1 down on odd
/// minutes, which cuts off acc0's concentrator) and every concentrator's session count.
fn round(entities: &[(EntityId, EntityKind)], minute: u64) -> Vec<Sample> {
    let at = t(minute);
    let mut out = Vec::with_capacity(entities.len() + BRAS);
    for (e, kind) in entities {
        let down = minute % 2 == 1 && (e.as_str() == "agg0" || e.as_str() == "agg1");
        let v = if down { 0.0 } else { 1.0 };
        out.push(Sample::new(
            at,
            "device.up",
            *kind,
            e.clone(),
            SampleValue::Num(v),
            "bool",
            "bench",
        ));
        if *kind == EntityKind::PppoeConcentrator {
            out.push(Sample::new(
                at,
                "pppoe.sessions.active",
                *kind,
                e.clone(),
                SampleValue::Num(3000.0 + (minute % 7) as f64),
                "1",
                "bench",
            ));
        }
    }
    out
}

fn warmed(entities: &[(EntityId, EntityKind)], topology: &Topology) -> Pipeline {
    let mut p = Pipeline::new(topology.clone(), PipelineConfig::standard());
    for m in 0..10 {
        p.ingest_samples(&round(entities, m));
        p.snapshot(t(m));
    }
    p
}

fn bench(c: &mut Criterion) {
    let (topology, entities) = topology();
    let mut g = c.benchmark_group("pipeline_10k");
    g.sample_size(20);
    g.measurement_time(StdDuration::from_secs(8));

    let mut p = warmed(&entities, &topology);
    let mut minute = 10;
    g.bench_function("ingest_samples (10,990 samples)", |b| {
        b.iter_batched(
            || {
                minute += 1;
                round(&entities, minute)
            },
            |samples| black_box(p.ingest_samples(&samples)),
            BatchSize::LargeInput,
        );
    });

    let mut p = warmed(&entities, &topology);
    let mut minute = 10;
    g.bench_function("snapshot after a round", |b| {
        b.iter_custom(|iters| {
            let mut total = StdDuration::ZERO;
            for _ in 0..iters {
                minute += 1;
                p.ingest_samples(&round(&entities, minute));
                let start = Instant::now();
                black_box(p.snapshot(t(minute)).changed);
                total += start.elapsed();
            }
            total
        });
    });

    let mut p = warmed(&entities, &topology);
    let mut minute = 10;
    let agent = AgentInfo::new("bench", "bench", "0");
    g.bench_function("ingest_batch + snapshot", |b| {
        b.iter_batched(
            || {
                minute += 1;
                let batch =
                    IngestBatch::new(agent.clone(), t(minute), round(&entities, minute), vec![])
                        .unwrap_or_else(|e| panic!("{e}"));
                (batch, t(minute))
            },
            |(batch, at)| {
                black_box(p.ingest_batch(&batch));
                black_box(p.snapshot(at).changed)
            },
            BatchSize::LargeInput,
        );
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
