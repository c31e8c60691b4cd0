//! One preset for every binary: `ispvm-analyze` and the pipeline `ispvm-demo` runs (its
//! [`pipeline_config`]) give the same analysis, subscriber counts included, on the same input.
//!
//! Every scenario of `examples/scenarios/` goes through the real `ispvm-analyze` binary and
//! through an `ispvm_pipeline::Pipeline` built as the demo builds it.

use std::path::PathBuf;
use std::process::Command;

use ispvm_examples::demo::pipeline_config;
use ispvm_pipeline::Pipeline;
use ispvm_schemas::analysis::AnalysisDocument;
use ispvm_schemas::scenario::ScenarioDocument;

const BIN: &str = env!("CARGO_BIN_EXE_ispvm-analyze");

fn scenarios() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
        .collect();
    out.sort();
    out
}

#[test]
fn the_demo_pipeline_and_ispvm_analyze_agree_on_every_scenario() {
    let mut subscribers_seen = 0;
    let cases = scenarios();
    assert!(cases.len() >= 9, "{cases:?}");
    for path in cases {
        let o = Command::new(BIN).arg(&path).output().unwrap();
        assert!(o.status.success(), "{}", path.display());
        let from_analyze: AnalysisDocument = serde_json::from_slice(&o.stdout).unwrap();

        let json = std::fs::read_to_string(&path).unwrap();
        let doc: ScenarioDocument = serde_json::from_str(&json).unwrap();
        let scenario = doc.into_scenario().unwrap();
        let at = scenario.latest_observation_time().unwrap();
        let mut pipeline = Pipeline::new(scenario.topology, pipeline_config().unwrap());
        pipeline.set_maintenance(&scenario.maintenance).unwrap();
        pipeline
            .ingest_observations(&scenario.observations)
            .unwrap();
        let snap = pipeline.snapshot(at);

        let counts = |d: &AnalysisDocument| -> Vec<(String, u64)> {
            d.incidents
                .iter()
                .map(|i| (i.id.clone(), i.subscribers_affected))
                .collect()
        };
        assert_eq!(
            counts(&snap.analysis),
            counts(&from_analyze),
            "{}",
            path.display()
        );
        assert_eq!(snap.analysis, from_analyze, "{}", path.display());
        subscribers_seen += snap.subscribers_affected();
    }
    // The comparison covers subscriber counts, not only zeros.
    assert!(subscribers_seen > 0);
}

/// Where the preset matters: 30 minutes at 3200 sessions then 38 at 50, one reading a minute,
/// bras1 still answering. The engine's default (the contract's plain median) would count 0;
/// the preset's robust model counts 3150, in `ispvm-analyze` (scenario observations) and in the
/// demo's pipeline (fed with samples, as the demo feeds it).
#[test]
fn a_lasting_drop_counts_the_same_in_the_demo_pipeline_and_ispvm_analyze() {
    use std::io::Write;
    use std::process::Stdio;

    use ispvm_model::{EntityKind, Sample, SampleValue};

    let t0: chrono::DateTime<chrono::Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
    let at = |m: i64| t0 + chrono::Duration::minutes(m);
    let readings: Vec<(i64, f64)> = (0..30)
        .map(|m| (m, 3200.0))
        .chain((30..68).map(|m| (m, 50.0)))
        .collect();

    let mut obs: Vec<serde_json::Value> = readings
        .iter()
        .map(|&(m, v)| {
            serde_json::json!({"at": at(m).to_rfc3339(), "entity": "bras1",
                "metric": "pppoe.sessions.active", "value": v})
        })
        .collect();
    obs.push(
        serde_json::json!({"at": at(67).to_rfc3339(), "entity": "bras1",
        "signal": "reachability", "state": "up"}),
    );
    let scenario = serde_json::json!({"schema": "ispvm.scenario/v1", "tenant": "t",
        "entities": [{"id": "bras1", "kind": "pppoe_concentrator"}],
        "dependencies": [], "observations": obs})
    .to_string();
    let mut child = Command::new(BIN)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(scenario.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    let from_analyze: AnalysisDocument = serde_json::from_slice(&o.stdout).unwrap();

    let topology = ScenarioDocument::into_scenario(serde_json::from_str(&scenario).unwrap())
        .unwrap()
        .topology;
    let mut pipeline = Pipeline::new(topology, pipeline_config().unwrap());
    let sample = |m: i64, metric: &str, v: f64| {
        Sample::new(
            at(m),
            metric,
            EntityKind::PppoeConcentrator,
            "bras1".parse().unwrap(),
            SampleValue::Num(v),
            "1",
            "routeros_api",
        )
    };
    for &(m, v) in &readings {
        pipeline.ingest_samples(&[sample(m, "pppoe.sessions.active", v)]);
    }
    pipeline.ingest_samples(&[sample(67, "device.up", 1.0)]);
    let snap = pipeline.snapshot(at(67));

    let counts = |d: &AnalysisDocument| -> Vec<u64> {
        d.incidents.iter().map(|i| i.subscribers_affected).collect()
    };
    assert_eq!(counts(&from_analyze), [3150]);
    assert_eq!(counts(&snap.analysis), [3150]);
}
