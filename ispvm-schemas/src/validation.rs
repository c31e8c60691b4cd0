//! JSON Schemas (draft 2020-12) of every wire document, and validation against them.
//!
//! The schemas are generated from the Rust types with `schemars` ([`schema`]) and committed
//! under `ispvm-schemas/schemas/v1/` (a test fails when the files drift from the code). [`validate`]
//! checks any JSON value against one of them, with compiled validators cached for the life of
//! the process, and names every fault by its JSON pointer.
//!
//! # Examples
//! ```
//! use ispvm_schemas::validation::{validate, DocumentKind, SchemaError};
//! use serde_json::json;
//!
//! let doc = json!({"schema": "ispvm.scenario/v1", "tenant": "demo-isp",
//!                  "entities": [{"id": "agg1", "kind": "router"}]});
//! let errors = validate(DocumentKind::Scenario, &doc).unwrap_err();
//! assert_eq!(errors[0].pointer, "/entities/0/kind");
//! assert_eq!(DocumentKind::detect(&doc), Some(DocumentKind::Scenario));
//! ```

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::Value;

use crate::analysis::AnalysisDocument;
use crate::incident::IncidentRecord;
use crate::ingest::IngestBatch;
use crate::notification::Notification;
use crate::scenario::ScenarioDocument;
use crate::{Event, MetricSample};

/// At most this many errors are reported for one document.
pub const MAX_ERRORS: usize = 100;

/// The wire documents that have a JSON Schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DocumentKind {
    /// A scenario file (`ispvm.scenario/v1`).
    Scenario,
    /// An analysis (`ispvm.analysis/v1`).
    Analysis,
    /// An ingest batch (`schema_version: "1.0"`).
    IngestBatch,
    /// One metric sample (one line of `ispvm-poll --format jsonl`).
    MetricSample,
    /// One event.
    Event,
    /// An incident record (`ispvm.incident/v1`, the agent API's incident object).
    Incident,
    /// A notification (`ispvm.notification/v1`, what a webhook receives).
    Notification,
}

impl DocumentKind {
    /// Every kind.
    pub const ALL: [DocumentKind; 7] = [
        DocumentKind::Scenario,
        DocumentKind::Analysis,
        DocumentKind::IngestBatch,
        DocumentKind::MetricSample,
        DocumentKind::Event,
        DocumentKind::Incident,
        DocumentKind::Notification,
    ];

    /// The name used on the command line and in file names: `scenario`, `analysis`,
    /// `ingest-batch`, `metric-sample`, `event`, `incident`, `notification`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Scenario => "scenario",
            DocumentKind::Analysis => "analysis",
            DocumentKind::IngestBatch => "ingest-batch",
            DocumentKind::MetricSample => "metric-sample",
            DocumentKind::Event => "event",
            DocumentKind::Incident => "incident",
            DocumentKind::Notification => "notification",
        }
    }

    /// The file of the committed schema, under `ispvm-schemas/schemas/v1/`: `scenario.json`...
    #[must_use]
    pub fn file_name(self) -> String {
        format!("{}.json", self.as_str())
    }

    /// Guesses the kind of a document: from its `schema` field (`ispvm.scenario/...`,
    /// `ispvm.analysis/...`), else `schema_version` (an ingest batch), else `metric_name`
    /// (a sample), `event_type` (an event), or `root_causes` with `state` (an incident record).
    #[must_use]
    pub fn detect(document: &Value) -> Option<DocumentKind> {
        let object = document.as_object()?;
        if let Some(schema) = object.get("schema") {
            let schema = schema.as_str()?;
            return if schema.starts_with("ispvm.scenario/") {
                Some(DocumentKind::Scenario)
            } else if schema.starts_with("ispvm.analysis/") {
                Some(DocumentKind::Analysis)
            } else if schema.starts_with("ispvm.notification/") {
                Some(DocumentKind::Notification)
            } else {
                None
            };
        }
        if object.contains_key("schema_version") {
            Some(DocumentKind::IngestBatch)
        } else if object.contains_key("metric_name") {
            Some(DocumentKind::MetricSample)
        } else if object.contains_key("event_type") {
            Some(DocumentKind::Event)
        } else if object.contains_key("root_causes") && object.contains_key("state") {
            Some(DocumentKind::Incident)
        } else {
            None
        }
    }
}

impl fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a [`DocumentKind`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown document kind {0:?} (expected scenario, analysis, ingest-batch, metric-sample, event, incident or notification)"
)]
pub struct UnknownKind(pub String);

impl FromStr for DocumentKind {
    type Err = UnknownKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DocumentKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownKind(s.chars().take(64).collect()))
    }
}

/// One validation fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{pointer}: {message}")]
#[non_exhaustive]
pub struct SchemaError {
    /// JSON pointer of the offending value in the document (`""` for the whole document).
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

impl SchemaError {
    /// A fault at `pointer`.
    #[must_use]
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

fn generate<T: JsonSchema>() -> Value {
    let schema = SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<T>();
    let mut value = schema.to_value();
    clean_descriptions(&mut value);
    value
}

/// Turns rustdoc comments into plain schema descriptions: drops sections (`# Examples`...)
/// and intra-doc link targets (`` [`Foo`](crate::Foo) `` becomes `` `Foo` ``).
fn clean_descriptions(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match v {
                    Value::String(s) if key == "description" => *s = clean_doc(s),
                    _ => clean_descriptions(v),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(clean_descriptions),
        _ => {}
    }
}

fn clean_doc(doc: &str) -> String {
    let doc = doc.split("\n\n# ").next().unwrap_or(doc).trim_end();
    let mut out = String::with_capacity(doc.len());
    let mut rest = doc;
    while let Some(start) = rest.find("[`") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find("`]") else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        out.push_str(&after[..=end]);
        rest = &after[end + 2..];
        if rest.starts_with('(') {
            if let Some(close) = rest.find(')') {
                rest = &rest[close + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The JSON Schema (draft 2020-12) of `kind`, generated from the Rust types.
#[must_use]
pub fn schema(kind: DocumentKind) -> Value {
    match kind {
        DocumentKind::Scenario => generate::<ScenarioDocument>(),
        DocumentKind::Analysis => generate::<AnalysisDocument>(),
        DocumentKind::IngestBatch => generate::<IngestBatch>(),
        DocumentKind::MetricSample => generate::<MetricSample>(),
        DocumentKind::Event => generate::<Event>(),
        DocumentKind::Incident => generate::<IncidentRecord>(),
        DocumentKind::Notification => generate::<Notification>(),
    }
}

/// The schema of `kind` as committed: pretty-printed JSON with a final newline.
#[must_use]
pub fn schema_text(kind: DocumentKind) -> String {
    let mut text = serde_json::to_string_pretty(&schema(kind)).unwrap_or_default();
    text.push('\n');
    text
}

type Compiled = Result<jsonschema::Validator, String>;

fn validator(kind: DocumentKind) -> &'static Compiled {
    static CACHE: [OnceLock<Compiled>; 7] = [const { OnceLock::new() }; 7];
    let slot = match kind {
        DocumentKind::Scenario => &CACHE[0],
        DocumentKind::Analysis => &CACHE[1],
        DocumentKind::IngestBatch => &CACHE[2],
        DocumentKind::MetricSample => &CACHE[3],
        DocumentKind::Event => &CACHE[4],
        DocumentKind::Incident => &CACHE[5],
        DocumentKind::Notification => &CACHE[6],
    };
    slot.get_or_init(|| {
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&schema(kind))
            .map_err(|e| e.to_string())
    })
}

/// The validator's message, with the offending value it quotes cut to about 80 characters
/// (see [`ispvm_model::quote`]): a 1 MB string is not echoed back whole.
fn bounded_message(e: &jsonschema::ValidationError<'_>) -> String {
    use ispvm_model::quote::{MAX_QUOTED_CHARS, bound_quoted, bounded};
    let message = e.to_string();
    if message.len() <= MAX_QUOTED_CHARS {
        return message;
    }
    // The message quotes the instance as compact JSON; cut that quote first, as a whole.
    let instance = e.instance.to_string();
    let message = if instance.chars().count() > MAX_QUOTED_CHARS {
        // A string keeps its quotes around the cut text.
        let shown = match &*e.instance {
            Value::String(s) => serde_json::to_string(&bounded(s).to_string())
                .unwrap_or_else(|_| bounded(&instance).to_string()),
            _ => bounded(&instance).to_string(),
        };
        message.replacen(&instance, &shown, 1)
    } else {
        message
    };
    bound_quoted(&message).into_owned()
}

/// Validates `document` against the schema of `kind`.
///
/// Validators are compiled once per kind and cached. Formats (`date-time`) are checked.
///
/// # Errors
/// Every fault found (at most [`MAX_ERRORS`]), each with the JSON pointer of the offending value.
/// A value quoted in a message is cut to about 80 characters.
pub fn validate(kind: DocumentKind, document: &Value) -> Result<(), Vec<SchemaError>> {
    let validator = match validator(kind) {
        Ok(v) => v,
        Err(e) => {
            return Err(vec![SchemaError::new(
                "",
                format!("internal error: the {kind} schema does not compile: {e}"),
            )]);
        }
    };
    let errors: Vec<SchemaError> = validator
        .iter_errors(document)
        .take(MAX_ERRORS)
        .map(|e| SchemaError::new(e.instance_path.as_str(), bounded_message(&e)))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        for k in DocumentKind::ALL {
            assert_eq!(k.as_str().parse(), Ok(k));
            assert!(
                validator(k).is_ok(),
                "{k}: {:?}",
                validator(k).as_ref().err()
            );
        }
        assert_eq!(
            "graph".parse::<DocumentKind>().unwrap_err().to_string(),
            "unknown document kind \"graph\" (expected scenario, analysis, ingest-batch, metric-sample, event, incident or notification)"
        );
        let detect = |v: Value| DocumentKind::detect(&v);
        assert_eq!(
            detect(serde_json::json!({"schema": "ispvm.analysis/v1"})),
            Some(DocumentKind::Analysis)
        );
        assert_eq!(
            detect(serde_json::json!({"schema": "ispvm.notification/v1"})),
            Some(DocumentKind::Notification)
        );
        assert_eq!(detect(serde_json::json!({"schema": "other/v1"})), None);
        assert_eq!(detect(serde_json::json!({"schema": 1})), None);
        assert_eq!(
            detect(serde_json::json!({"schema_version": "1.0"})),
            Some(DocumentKind::IngestBatch)
        );
        assert_eq!(
            detect(serde_json::json!({"metric_name": "a.b"})),
            Some(DocumentKind::MetricSample)
        );
        assert_eq!(
            detect(serde_json::json!({"event_type": "a.b"})),
            Some(DocumentKind::Event)
        );
        assert_eq!(detect(serde_json::json!([])), None);
    }

    #[test]
    fn descriptions_are_cleaned() {
        assert_eq!(
            clean_doc(
                "A [`Topology`] built by the [`TopologyBuilder`](crate::TopologyBuilder).\n\n# Examples\n```\ncode\n```"
            ),
            "A `Topology` built by the `TopologyBuilder`."
        );
        assert_eq!(clean_doc("odd [`x"), "odd [`x");
        for kind in DocumentKind::ALL {
            let text = schema_text(kind);
            assert!(!text.contains("```") && !text.contains("[`"), "{kind}");
        }
    }
}
