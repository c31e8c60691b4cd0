//! Replays JSONL files of ingest batches through a pipeline and compares what it reports with
//! committed expectations, fixtures beside their inputs:
//!
//! `tests/replay/<case>/topology.json` (an `ispvm.scenario/v1` document: its topology and
//! maintenance), `input.jsonl` (one `IngestBatch` per line, in delivery order; a line may
//! repeat, as a redelivery does) and `expected.json`: the outcome of every line and the
//! snapshot at the newest `sent_at`.
//!
//! Rewrite the expectations with `ISPVM_UPDATE_TEST_OUTPUTS=1 cargo test -p ispvm-pipeline
//! --test replay`, then review the diff before committing it.

use std::path::{Path, PathBuf};

use ispvm_pipeline::{Pipeline, PipelineConfig};
use ispvm_schemas::ingest::IngestBatch;
use ispvm_schemas::scenario::ScenarioDocument;

fn update() -> bool {
    std::env::var_os("ISPVM_UPDATE_TEST_OUTPUTS").is_some_and(|v| v == "1")
}

fn replay(dir: &Path) -> String {
    let topology = std::fs::read_to_string(dir.join("topology.json")).unwrap();
    let scenario = serde_json::from_str::<ScenarioDocument>(&topology)
        .unwrap()
        .into_scenario()
        .unwrap();
    let config =
        PipelineConfig::standard().with_radius_server("10.0.0.10", "radius1".parse().unwrap());
    let mut pipeline = Pipeline::new(scenario.topology, config);
    pipeline.set_maintenance(&scenario.maintenance).unwrap();
    let input = std::fs::read_to_string(dir.join("input.jsonl")).unwrap();
    let mut outcomes = Vec::new();
    let mut latest = None;
    for (n, line) in input.lines().enumerate() {
        let batch = IngestBatch::parse(line.as_bytes())
            .unwrap_or_else(|e| panic!("{}:{}: {e}", dir.display(), n + 1));
        latest = latest.max(Some(batch.sent_at()));
        outcomes.push(pipeline.ingest_batch(&batch));
    }
    let snapshot = pipeline.snapshot(latest.unwrap());
    let mut out = serde_json::to_string_pretty(&serde_json::json!({
        "outcomes": outcomes,
        "snapshot": snapshot,
    }))
    .unwrap();
    out.push('\n');
    out
}

#[test]
fn replays_match_their_expected_snapshots() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/replay");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(!cases.is_empty());
    let mut failures = Vec::new();
    for dir in cases {
        let actual = replay(&dir);
        let expected = dir.join("expected.json");
        if update() {
            std::fs::write(&expected, &actual).unwrap();
            continue;
        }
        match std::fs::read_to_string(&expected) {
            Ok(want) if want == actual => {}
            Ok(want) => failures.push(format!(
                "{} differs\n--- expected\n{want}\n--- actual\n{actual}",
                expected.display()
            )),
            Err(e) => failures.push(format!(
                "{}: {e} (write it with ISPVM_UPDATE_TEST_OUTPUTS=1)",
                expected.display()
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
