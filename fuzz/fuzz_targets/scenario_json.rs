//! Arbitrary bytes as a scenario: schema validation, document parsing and topology
//! construction never panic, and every accepted scenario has a valid topological order.
#![no_main]

use ispvm_schemas::scenario::ScenarioDocument;
use ispvm_schemas::validation::{DocumentKind, validate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let _ = validate(DocumentKind::Scenario, &value);
    let Ok(document) = serde_json::from_value::<ScenarioDocument>(value) else {
        return;
    };
    if let Ok(scenario) = document.into_scenario() {
        let topology = &scenario.topology;
        assert_eq!(topology.topological_order().len(), topology.entities().len());
    }
});
