//! Throughput of the ingest path on a full batch (50,000 samples): bounded parse, conformance
//! check, JSON Schema validation, serialization.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ispvm_model::{EntityKind, SampleValue};
use ispvm_schemas::MetricSample;
use ispvm_schemas::conformance::check_samples;
use ispvm_schemas::ingest::{AgentInfo, IngestBatch, MAX_METRICS};
use ispvm_schemas::validation::{DocumentKind, validate};

fn full_batch() -> IngestBatch {
    let ts = "2026-01-01T00:00:00Z".parse().unwrap_or_default();
    let metrics: Vec<MetricSample> = (0..MAX_METRICS)
        .map(|i| {
            MetricSample::new(
                ts,
                "interface.rx_bytes_total",
                EntityKind::Interface,
                format!("agg{}/ether{}", i / 100, i % 100).parse().unwrap(),
                SampleValue::Num(i as f64 * 1500.0),
                "By",
                "routeros_api",
            )
            .with_label("if_name", format!("ether{}", i % 100))
            .with_label("if_type", "ether")
        })
        .collect();
    IngestBatch::new(AgentInfo::new("bench", "bench", "0"), ts, metrics, vec![]).unwrap()
}

fn ingest(c: &mut Criterion) {
    let batch = full_batch();
    let json = batch.to_json();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let mut group = c.benchmark_group("ingest_50k_samples");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    group.warm_up_time(Duration::from_secs(1));
    group.throughput(Throughput::Elements(MAX_METRICS as u64));
    group.bench_function("parse", |b| {
        b.iter(|| IngestBatch::parse(black_box(json.as_bytes())).map(|b| b.metrics().len()))
    });
    group.bench_function("check_samples", |b| {
        b.iter(|| check_samples(black_box(batch.metrics())).len())
    });
    group.bench_function("validate_json_schema", |b| {
        b.iter(|| validate(DocumentKind::IngestBatch, black_box(&value)).is_ok())
    });
    group.bench_function("to_json", |b| b.iter(|| black_box(&batch).to_json().len()));
    group.finish();
}

criterion_group!(benches, ingest);
criterion_main!(benches);
