//! Canonical samples and events: what collectors (device adapters, probes) produce.
//!
//! These are the items of the versioned ingest payload (`IngestBatch` in `ispvm-schemas`).
//! Metric and event names come from the registry in `ispvm-schemas`.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::entity::EntityKind;
use crate::id::EntityId;

/// The value of a sample: a number or a text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub enum SampleValue {
    /// A number (booleans are 1 or 0). Serialized as `value_num`.
    #[serde(rename = "value_num")]
    Num(f64),
    /// A text. Serialized as `value_text`.
    #[serde(rename = "value_text")]
    Text(String),
}

/// How much a sample can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Quality {
    /// Read directly and completely.
    #[default]
    Good,
    /// Read, but partially or with a fallback (lossy text decoding, estimated value).
    Uncertain,
    /// Known to be wrong or stale.
    Bad,
}

/// One metric sample.
///
/// Serialized as one line of `ispvm-poll --format jsonl`:
/// `{"ts":"...","metric_name":"device.cpu_pct","entity_type":"device","entity_id":"agg1",
/// "value_num":17.0,"unit":"%","labels":{},"source":"routeros_api","quality":"good"}`.
///
/// # Examples
/// ```
/// use ispvm_model::{EntityKind, Sample, SampleValue};
/// let s = Sample::new(
///     "2026-01-01T00:00:00Z".parse().unwrap(),
///     "device.cpu_pct",
///     EntityKind::Device,
///     "agg1".parse().unwrap(),
///     SampleValue::Num(17.0),
///     "%",
///     "routeros_api",
/// );
/// let json = serde_json::to_string(&s).unwrap();
/// assert_eq!(json, r#"{"ts":"2026-01-01T00:00:00Z","metric_name":"device.cpu_pct","entity_type":"device","entity_id":"agg1","value_num":17.0,"unit":"%","labels":{},"source":"routeros_api","quality":"good"}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "json-schema", schemars(rename = "MetricSample"))]
#[non_exhaustive]
pub struct Sample {
    /// When the value was read.
    pub ts: DateTime<Utc>,
    /// Registry metric name, e.g. `device.cpu_pct`.
    pub metric_name: String,
    /// Kind of the entity the sample is about.
    pub entity_type: EntityKind,
    /// The entity (`agg1`, `agg1/ether1`, `agg1/bgp/10.0.0.1`...).
    pub entity_id: EntityId,
    /// The value (`value_num` or `value_text`).
    #[serde(flatten)]
    pub value: SampleValue,
    /// UCUM unit as in the registry (`%`, `By`, `s`, `1`, `bool`...).
    pub unit: String,
    /// Labels allowed by the registry for this metric.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Collector that produced the sample (`routeros_api`, `radius_probe`...).
    pub source: String,
    /// Trust in the value.
    #[serde(default)]
    pub quality: Quality,
}

impl Sample {
    /// A sample with no labels and `good` quality.
    #[must_use]
    pub fn new(
        ts: DateTime<Utc>,
        metric_name: impl Into<String>,
        entity_type: EntityKind,
        entity_id: EntityId,
        value: SampleValue,
        unit: impl Into<String>,
        source: impl Into<String>,
    ) -> Self {
        Self {
            ts,
            metric_name: metric_name.into(),
            entity_type,
            entity_id,
            value,
            unit: unit.into(),
            labels: BTreeMap::new(),
            source: source.into(),
            quality: Quality::Good,
        }
    }

    /// Adds a label.
    #[must_use]
    pub fn with_label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.insert(key.into(), value.into());
        self
    }

    /// Sets the quality.
    #[must_use]
    pub fn with_quality(mut self, quality: Quality) -> Self {
        self.quality = quality;
        self
    }

    /// The numeric value, if the sample is numeric.
    #[must_use]
    pub fn as_f64(&self) -> Option<f64> {
        match self.value {
            SampleValue::Num(v) => Some(v),
            SampleValue::Text(_) => None,
        }
    }
}

/// Severity of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Severity {
    /// Informational.
    Info,
    /// Worth a look.
    Warning,
    /// Something is broken with limited impact.
    Minor,
    /// Something is broken with customer impact.
    Major,
    /// Large customer impact.
    Critical,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Minor => "minor",
            Severity::Major => "major",
            Severity::Critical => "critical",
        })
    }
}

/// A discrete event (a state change, a drop), named by the registry (`interface.oper.changed`).
///
/// # Examples
/// ```
/// use ispvm_model::{EntityKind, Event, Severity};
/// let e = Event::new(
///     "evt-1",
///     "2026-01-01T00:00:00Z".parse().unwrap(),
///     "interface.oper.changed",
///     Severity::Major,
///     EntityKind::Interface,
///     "agg1/ether1".parse().unwrap(),
/// )
/// .with_payload(serde_json::json!({"from": "up", "to": "down"}));
/// assert_eq!(e.payload["to"], "down");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Event {
    /// Unique id chosen by the producer (used to deduplicate).
    pub id: String,
    /// When it happened.
    pub ts: DateTime<Utc>,
    /// Registry event name, e.g. `bgp.peer.state.changed`.
    pub event_type: String,
    /// Severity.
    pub severity: Severity,
    /// Kind of the entity concerned.
    pub entity_type: EntityKind,
    /// The entity concerned.
    pub entity_id: EntityId,
    /// Event details (free-form JSON object).
    #[serde(default)]
    pub payload: serde_json::Value,
}

impl Event {
    /// An event with an empty payload.
    #[must_use]
    pub fn new(
        id: impl Into<String>,
        ts: DateTime<Utc>,
        event_type: impl Into<String>,
        severity: Severity,
        entity_type: EntityKind,
        entity_id: EntityId,
    ) -> Self {
        Self {
            id: id.into(),
            ts,
            event_type: event_type.into(),
            severity,
            entity_type,
            entity_id,
            payload: serde_json::Value::Object(serde_json::Map::new()),
        }
    }

    /// Sets the payload.
    #[must_use]
    pub fn with_payload(mut self, payload: serde_json::Value) -> Self {
        self.payload = payload;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_value_round_trips() {
        let json = r#"{"ts":"2026-01-01T00:00:00Z","metric_name":"device.version","entity_type":"device","entity_id":"agg1","value_text":"7.18.2","unit":"1","labels":{"menu":"system"},"source":"routeros_api","quality":"uncertain"}"#;
        let s: Sample = serde_json::from_str(json).unwrap();
        assert_eq!(s.value, SampleValue::Text("7.18.2".into()));
        assert_eq!(s.quality, Quality::Uncertain);
        assert_eq!(serde_json::to_string(&s).unwrap(), json);
    }

    #[test]
    fn integer_values_read_as_numbers() {
        let s: Sample = serde_json::from_str(
            r#"{"ts":"2026-01-01T00:00:00Z","metric_name":"m","entity_type":"device","entity_id":"a","value_num":3,"unit":"1","source":"x"}"#,
        )
        .unwrap();
        assert_eq!(s.as_f64(), Some(3.0));
        assert_eq!(s.quality, Quality::Good);
    }
}
