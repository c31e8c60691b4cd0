//! Arbitrary bytes as a scenario: schema validation, document parsing and topology
//! construction never panic, and every accepted scenario has a valid topological order.
//! `scenario::parse` (typed reading, the schema only to locate a fault) never panics, and its
//! error line stays short whatever the input (quoted values are cut). The style guide's linter
//! never panics on any document that reads, its findings are the same twice, and a scenario that
//! builds has no structural finding but a missing device (`L004`).
#![no_main]

use ispvm_schemas::scenario::ScenarioDocument;
use ispvm_schemas::validation::{DocumentKind, validate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match ispvm_schemas::scenario::parse(data) {
        Ok(scenario) => {
            let topology = &scenario.topology;
            assert_eq!(topology.topological_order().len(), topology.entities().len());
        }
        Err(e) => {
            let line = e.to_string();
            assert!(line.len() < 2048, "{} bytes", line.len());
        }
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let _ = validate(DocumentKind::Scenario, &value);
    let Ok(document) = serde_json::from_value::<ScenarioDocument>(value) else {
        return;
    };
    let options = ispvm_model::lint::LintOptions::default();
    let report = ispvm_model::lint::lint(
        &document.tenant,
        &document.entities,
        &document.dependencies,
        &[],
        &options,
    );
    let again = ispvm_model::lint::lint(
        &document.tenant,
        &document.entities,
        &document.dependencies,
        &[],
        &options,
    );
    assert_eq!(report, again);
    if let Ok(scenario) = document.into_scenario() {
        let topology = &scenario.topology;
        assert_eq!(topology.topological_order().len(), topology.entities().len());
        assert!(report.findings().iter().all(|f| {
            f.severity != ispvm_model::lint::LintSeverity::Error
                || f.code == ispvm_model::lint::Code::MissingDevice
        }));
    }
});
