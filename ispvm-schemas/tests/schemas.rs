//! The committed JSON Schemas match the code, the shipped examples are valid (for the schema
//! and for the Rust readers), bad documents are rejected at the right JSON pointer, and the v1
//! schemas only ever grow.
//!
//! Regenerate the committed schemas after changing a wire type:
//! `ISPVM_BLESS=1 cargo test -p ispvm-schemas --test schemas`.

use std::path::{Path, PathBuf};

use ispvm_schemas::analysis::AnalysisDocument;
use ispvm_schemas::conformance::{check_events, check_samples};
use ispvm_schemas::ingest::IngestBatch;
use ispvm_schemas::scenario::ScenarioDocument;
use ispvm_schemas::validation::{DocumentKind, schema_text, validate};
use ispvm_schemas::version::additive_violations;
use ispvm_schemas::{Event, MetricSample};
use serde_json::{Value, json};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/v1")
}

fn bless() -> bool {
    std::env::var_os("ISPVM_BLESS").is_some_and(|v| v == "1")
}

fn example(name: &str) -> Value {
    let path = dir().join("examples").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn committed_schemas_match_the_code() {
    let mut drifted = Vec::new();
    for kind in DocumentKind::ALL {
        let path = dir().join(kind.file_name());
        let generated = schema_text(kind);
        if bless() {
            std::fs::write(&path, &generated).unwrap();
            continue;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != generated {
            drifted.push(path.display().to_string());
        }
    }
    assert!(
        drifted.is_empty(),
        "committed JSON Schemas differ from the code: {drifted:?}\n\
         If the change is intended (and additive, see docs/schema-versioning.md), regenerate them with\n\
         ISPVM_BLESS=1 cargo test -p ispvm-schemas --test schemas"
    );
}

/// Rule 1 of docs/schema-versioning.md, on the real schemas: every v1 schema is a superset of
/// the frozen 1.0 baseline. The baseline is written once (by a bless run when missing) and never
/// regenerated.
#[test]
fn v1_schemas_only_grow_from_the_1_0_baseline() {
    for kind in DocumentKind::ALL {
        let path = dir().join("baseline-1.0").join(kind.file_name());
        if bless() && !path.exists() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, schema_text(kind)).unwrap();
        }
        let baseline: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| {
                panic!("{}: {e} (run with ISPVM_BLESS=1 once)", path.display())
            }))
            .unwrap();
        let current = ispvm_schemas::validation::schema(kind);
        assert_eq!(
            additive_violations(&baseline, &current),
            Vec::<String>::new(),
            "{kind}: the v1 schema must only grow (additive changes); a breaking change needs v2"
        );
    }
}

#[test]
fn shipped_examples_are_valid_for_schema_and_code() {
    let cases = [
        (DocumentKind::Scenario, "scenario.json"),
        (DocumentKind::Scenario, "scenario-contract.json"),
        (DocumentKind::Analysis, "analysis.json"),
        (DocumentKind::IngestBatch, "ingest-batch.json"),
        (DocumentKind::MetricSample, "metric-sample.json"),
        (DocumentKind::Event, "event.json"),
        (DocumentKind::Incident, "incident.json"),
        (DocumentKind::Notification, "notification.json"),
    ];
    for (kind, file) in cases {
        let doc = example(file);
        assert_eq!(validate(kind, &doc), Ok(()), "{file}");
        assert_eq!(DocumentKind::detect(&doc), Some(kind), "{file}");
    }

    let scenario: ScenarioDocument = serde_json::from_value(example("scenario.json")).unwrap();
    let scenario = scenario.into_scenario().unwrap();
    assert_eq!(scenario.topology.entities().len(), 11);
    assert_eq!(scenario.observations.len(), 5);

    // The contract's example is well-formed, but names entities it does not declare
    // (agg2, up1..up3): the structural check names the first one.
    let contract: ScenarioDocument =
        serde_json::from_value(example("scenario-contract.json")).unwrap();
    let e = contract.into_scenario().unwrap_err();
    assert_eq!(e.pointer(), "/maintenance/0/entities/0");

    let n: ispvm_schemas::notification::Notification =
        serde_json::from_value(example("notification.json")).unwrap();
    assert_eq!(
        n.key,
        ispvm_schemas::notification::Notification::key_of(&n.tenant, &n.incident.id, n.kind, n.at)
    );

    let analysis: AnalysisDocument = serde_json::from_value(example("analysis.json")).unwrap();
    assert_eq!(analysis.incidents.len(), 1);
    assert_eq!(
        serde_json::to_value(&analysis).unwrap()["incidents"][0]["root_causes"][0]["confidence"],
        json!(0.62)
    );

    let bytes = serde_json::to_vec(&example("ingest-batch.json")).unwrap();
    let batch = IngestBatch::parse(&bytes).unwrap();
    assert_eq!(batch.metrics().len(), 5);
    assert_eq!(check_samples(batch.metrics()), vec![]);
    assert_eq!(check_events(batch.events()), vec![]);

    let sample: MetricSample = serde_json::from_value(example("metric-sample.json")).unwrap();
    assert_eq!(sample.as_f64(), Some(17.0));
    let event: Event = serde_json::from_value(example("event.json")).unwrap();
    assert_eq!(event.payload["to"], "down");
}

/// Applies `edit` to a copy of `doc` (a JSON pointer to a parent and a key to set or remove).
fn edited(doc: &Value, pointer: &str, key: &str, value: Option<Value>) -> Value {
    let mut doc = doc.clone();
    let target = doc.pointer_mut(pointer).unwrap();
    match (target, value) {
        (Value::Object(map), Some(v)) => {
            map.insert(key.to_string(), v);
        }
        (Value::Object(map), None) => {
            map.remove(key);
        }
        (Value::Array(items), Some(v)) => {
            items[key.parse::<usize>().unwrap()] = v;
        }
        _ => panic!("cannot edit {pointer}"),
    }
    doc
}

/// Every bad document is rejected by the schema with the exact pointer of the fault, and also
/// by the Rust reader (schema and code agree).
#[test]
fn bad_documents_are_rejected_at_the_fault() {
    let scenario = example("scenario.json");
    let analysis = example("analysis.json");
    let batch = example("ingest-batch.json");
    let sample = example("metric-sample.json");
    let event = example("event.json");
    let cases: Vec<(DocumentKind, Value, &str)> = vec![
        (
            DocumentKind::Scenario,
            edited(&scenario, "/entities/2", "kind", Some(json!("router"))),
            "/entities/2/kind",
        ),
        (
            DocumentKind::Scenario,
            edited(&scenario, "/entities/1", "role", Some(json!("spine"))),
            "/entities/1/role",
        ),
        (
            DocumentKind::Scenario,
            edited(&scenario, "/dependencies/4", "k", None),
            "/dependencies/4",
        ),
        (
            DocumentKind::Scenario,
            edited(&scenario, "/dependencies/0", "mode", Some(json!("most"))),
            "/dependencies/0/mode",
        ),
        (
            DocumentKind::Scenario,
            edited(&scenario, "/observations/1", "at", Some(json!("yesterday"))),
            "/observations/1/at",
        ),
        (
            DocumentKind::Scenario,
            edited(&scenario, "/observations/0", "signal", Some(json!("smoke"))),
            "/observations/0/signal",
        ),
        (
            DocumentKind::Scenario,
            edited(&scenario, "/maintenance/0", "entities", Some(json!([]))),
            "/maintenance/0/entities",
        ),
        (
            DocumentKind::Scenario,
            edited(&scenario, "", "tenant", Some(json!(""))),
            "/tenant",
        ),
        (
            DocumentKind::Scenario,
            edited(&scenario, "/entities/0", "id", Some(json!("a\u{7}b"))),
            "/entities/0/id",
        ),
        (
            DocumentKind::Analysis,
            edited(
                &analysis,
                "/incidents/0/root_causes/0",
                "confidence",
                Some(json!(1.5)),
            ),
            "/incidents/0/root_causes/0/confidence",
        ),
        (
            DocumentKind::Analysis,
            edited(&analysis, "/entities/0", "status", Some(json!("sad"))),
            "/entities/0/status",
        ),
        (
            DocumentKind::Analysis,
            edited(
                &analysis,
                "",
                "evaluated_at",
                Some(json!("2026-13-01T00:00:00Z")),
            ),
            "/evaluated_at",
        ),
        (
            DocumentKind::IngestBatch,
            edited(&batch, "/metrics/1", "entity_type", Some(json!("router"))),
            "/metrics/1/entity_type",
        ),
        (
            DocumentKind::IngestBatch,
            edited(&batch, "", "schema_version", Some(json!("1"))),
            "/schema_version",
        ),
        (
            DocumentKind::IngestBatch,
            edited(&batch, "/agent", "id", Some(json!(""))),
            "/agent/id",
        ),
        (
            DocumentKind::IngestBatch,
            edited(&batch, "/events/0", "severity", Some(json!("fatal"))),
            "/events/0/severity",
        ),
        (
            DocumentKind::IngestBatch,
            edited(&batch, "/metrics/2", "quality", Some(json!("great"))),
            "/metrics/2/quality",
        ),
        (
            DocumentKind::MetricSample,
            edited(&sample, "", "entity_id", Some(json!(""))),
            "/entity_id",
        ),
        (
            DocumentKind::MetricSample,
            edited(&sample, "", "ts", Some(json!(17))),
            "/ts",
        ),
        (
            DocumentKind::MetricSample,
            edited(&sample, "/labels", "if_name", Some(json!(1))),
            "/labels/if_name",
        ),
        (
            DocumentKind::Event,
            edited(&event, "", "severity", Some(json!("fatal"))),
            "/severity",
        ),
        (
            DocumentKind::Event,
            edited(&event, "", "entity_type", Some(json!(7))),
            "/entity_type",
        ),
    ];
    for (kind, doc, pointer) in cases {
        let errors = validate(kind, &doc).expect_err(pointer);
        let mut pointers: Vec<_> = errors.iter().map(|e| e.pointer.as_str()).collect();
        pointers.dedup();
        assert_eq!(pointers, [pointer], "{kind}: {errors:?}");
        let rust_refuses = match kind {
            DocumentKind::Scenario => serde_json::from_value::<ScenarioDocument>(doc)
                .map_err(|e| e.to_string())
                .and_then(|d| d.into_scenario().map(drop).map_err(|e| e.to_string()))
                .is_err(),
            DocumentKind::Analysis => serde_json::from_value::<AnalysisDocument>(doc).is_err(),
            DocumentKind::IngestBatch => {
                IngestBatch::parse(&serde_json::to_vec(&doc).unwrap()).is_err()
            }
            DocumentKind::MetricSample => serde_json::from_value::<MetricSample>(doc).is_err(),
            _ => serde_json::from_value::<Event>(doc).is_err(),
        };
        assert!(
            rust_refuses,
            "{kind} {pointer}: the Rust reader accepts what the schema refuses"
        );
    }
}

#[test]
fn shape_errors_without_a_deeper_place_point_at_the_parent() {
    let sample = example("metric-sample.json");
    let missing_unit = edited(&sample, "", "unit", None);
    let errors = validate(DocumentKind::MetricSample, &missing_unit).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].pointer, "");
    assert_eq!(errors[0].message, "\"unit\" is a required property");
    assert_eq!(errors[0].to_string(), ": \"unit\" is a required property");

    // value_num and value_text together: neither or both alternatives hold.
    let both = edited(&sample, "", "value_text", Some(json!("x")));
    let errors = validate(DocumentKind::MetricSample, &both).unwrap_err();
    assert_eq!(errors[0].pointer, "");

    // Too many events: maxItems on the array.
    let mut batch = example("ingest-batch.json");
    let one = batch["events"][0].clone();
    batch["events"] = Value::Array(vec![one; 10_001]);
    let errors = validate(DocumentKind::IngestBatch, &batch).unwrap_err();
    let pointers: Vec<_> = errors.iter().map(|e| e.pointer.as_str()).collect();
    assert_eq!(pointers, ["/events"]);
}

#[test]
fn error_lists_are_bounded() {
    let sample = example("metric-sample.json");
    let mut batch = example("ingest-batch.json");
    let bad = edited(&sample, "", "entity_type", Some(json!("router")));
    batch["metrics"] = Value::Array(vec![bad; 500]);
    let errors = validate(DocumentKind::IngestBatch, &batch).unwrap_err();
    assert_eq!(errors.len(), ispvm_schemas::validation::MAX_ERRORS);
    assert_eq!(errors[0].pointer, "/metrics/0/entity_type");
}
