//! Properties of the parsers of untrusted input: never panic, bounded, consistent.

use ispvm_model::{EntityKind, SampleValue};
use ispvm_schemas::MetricSample;
use ispvm_schemas::conformance::check_samples;
use ispvm_schemas::ingest::{AgentInfo, IngestBatch};
use ispvm_schemas::registry::{REGISTRY, is_valid_name, lookup};
use ispvm_schemas::version::{DocumentId, SchemaVersion};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn ingest_parse_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = IngestBatch::parse(&bytes);
    }

    #[test]
    fn ingest_parse_never_panics_on_near_json(
        version in "[0-9.]{0,6}",
        name in "[a-z._]{0,20}",
        value in prop_oneof![Just("1".to_string()), Just("\"x\"".to_string()), Just("1e999".to_string()), Just("null".to_string()), Just("-0".to_string())],
        kind in "[a-z_]{0,12}",
    ) {
        let json = format!(
            r#"{{"schema_version":"{version}","sent_at":"2026-01-01T00:00:00Z","agent":{{"id":"a","name":"b","version":"c"}},
               "metrics":[{{"ts":"2026-01-01T00:00:00Z","metric_name":"{name}","entity_type":"{kind}","entity_id":"x","value_num":{value},"unit":"1","source":"s"}}]}}"#
        );
        if let Ok(batch) = IngestBatch::parse(json.as_bytes()) {
            // Anything accepted round-trips and is version 1.0.
            prop_assert_eq!(batch.schema_version(), SchemaVersion::CURRENT);
            let again = IngestBatch::parse(batch.to_json().as_bytes()).unwrap();
            prop_assert_eq!(again, batch);
        }
    }

    #[test]
    fn version_strings_round_trip(major in 0u16..100, minor in 0u16..100) {
        let v = SchemaVersion::new(major, minor);
        prop_assert_eq!(v.to_string().parse::<SchemaVersion>(), Ok(v));
        let id = format!("ispvm.scenario/v{major}.{minor}");
        let parsed = DocumentId::parse(&id).unwrap();
        prop_assert_eq!((parsed.major, parsed.minor), (major, Some(minor)));
    }

    #[test]
    fn version_parsers_never_panic(s in "\\PC{0,40}") {
        let _ = s.parse::<SchemaVersion>();
        let _ = DocumentId::parse(&s);
    }

    #[test]
    fn reader_window_is_exactly_three_minors(reader in 0u16..50, found in 0u16..60) {
        let r = SchemaVersion::new(1, reader);
        let accepted = r.accepts(SchemaVersion::new(1, found)).is_ok();
        prop_assert_eq!(accepted, found <= reader && found + 2 >= reader);
        prop_assert!(r.accepts(SchemaVersion::new(2, found)).is_err());
    }

    #[test]
    fn conformance_reports_at_most_one_name_error_and_valid_indexes(
        idx in 0..REGISTRY.len(),
        unit in prop_oneof![Just(None), "[a-zA-Z%/1]{1,4}".prop_map(Some)],
        value in prop_oneof![any::<f64>(), Just(f64::NAN), Just(0.0), Just(1.0)],
        label in prop_oneof![Just(None), "[a-z_]{1,10}".prop_map(Some)],
    ) {
        let def = &REGISTRY[idx];
        let mut s = MetricSample::new(
            "2026-01-01T00:00:00Z".parse().unwrap(), def.name, def.entity_type,
            "x".parse().unwrap(), SampleValue::Num(value), unit.clone().unwrap_or_else(|| def.unit.to_string()), "s");
        if let Some(l) = &label {
            s = s.with_label(l.clone(), "v");
        }
        let other = MetricSample::new(
            "2026-01-01T00:00:00Z".parse().unwrap(), "not.registered", EntityKind::Device,
            "x".parse().unwrap(), SampleValue::Num(1.0), "1", "s");
        let v = check_samples(&[other, s]);
        prop_assert!(v.iter().all(|v| v.index() <= 1));
        prop_assert_eq!(v.iter().filter(|v| v.index() == 0).count(), 1);
        let clean = value.is_finite()
            && unit.as_deref().is_none_or(|u| u == def.unit)
            && label.as_deref().is_none_or(|l| def.allows_label(l))
            && (def.kind != ispvm_schemas::registry::MetricKind::State || value == 0.0 || value == 1.0)
            && (def.kind != ispvm_schemas::registry::MetricKind::Counter || value >= 0.0)
            && def.kind != ispvm_schemas::registry::MetricKind::Event;
        prop_assert_eq!(v.len() == 1, clean, "{:?}", v);
    }

    #[test]
    fn names_outside_the_registry_are_never_found(name in "[a-z._]{0,30}") {
        if let Some(def) = lookup(&name) {
            prop_assert_eq!(def.name, name.as_str());
            prop_assert!(is_valid_name(&name));
        }
    }
}

#[test]
fn chunks_always_respect_the_limits() {
    let ts = "2026-01-01T00:00:00Z".parse().unwrap();
    let s = MetricSample::new(
        ts,
        "device.up",
        EntityKind::Device,
        "a".parse().unwrap(),
        SampleValue::Num(1.0),
        "bool",
        "t",
    );
    for n in [0, 1, 49_999, 50_000, 50_001, 120_000] {
        let batches = IngestBatch::chunked(
            AgentInfo::new("a", "b", "c"),
            ts,
            vec![s.clone(); n],
            vec![],
        )
        .unwrap();
        let total: usize = batches.iter().map(|b| b.metrics().len()).sum();
        assert_eq!(total, n);
        assert_eq!(batches.len(), n.div_ceil(50_000).max(1));
        assert!(batches.iter().all(|b| b.metrics().len() <= 50_000));
    }
}
