//! The ingest payload: what a collector (agent) sends, one [`IngestBatch`] at a time.
//!
//! ```text
//! adapter --Collection--> IngestBatch::new / chunked --JSON--> any bus --> IngestBatch::parse --> consumer
//! ```
//!
//! A batch carries at most [`MAX_METRICS`] samples and [`MAX_EVENTS`] events, and its JSON at
//! most [`MAX_BATCH_BYTES`] bytes. The limits are enforced when a batch is built
//! ([`IngestBatch::new`]), when it is read from untrusted bytes ([`IngestBatch::parse`], which
//! never holds more than the limit in memory), and in the JSON Schema (`maxItems`).
//! `schema_version` is checked with the [versioning rules](crate::version).
//!
//! Parsing checks the shape; whether names, units and labels follow the registry is the job of
//! the [conformance kit](crate::conformance).
//!
//! # Examples
//! ```
//! use ispvm_schemas::ingest::{AgentInfo, IngestBatch, IngestError};
//!
//! let json = br#"{"schema_version": "1.0", "sent_at": "2026-01-01T00:00:05Z",
//!   "agent": {"id": "poller-1", "name": "ispvm-poll", "version": "0.1.0", "capabilities": ["routeros"]},
//!   "metrics": [{"ts": "2026-01-01T00:00:00Z", "metric_name": "device.cpu_pct", "entity_type": "device",
//!                "entity_id": "agg1", "value_num": 17.0, "unit": "%", "labels": {},
//!                "source": "routeros_api", "quality": "good"}],
//!   "events": []}"#;
//! let batch = IngestBatch::parse(json)?;
//! assert_eq!(batch.metrics()[0].metric_name, "device.cpu_pct");
//! assert_eq!(batch.agent().name, "ispvm-poll");
//!
//! let too_new = br#"{"schema_version": "2.0", "sent_at": "2026-01-01T00:00:05Z"}"#;
//! assert!(matches!(IngestBatch::parse(too_new), Err(IngestError::Version(_))));
//! # Ok::<(), IngestError>(())
//! ```

use std::fmt;
use std::marker::PhantomData;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::de::{IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::version::{SchemaVersion, VersionError};
use crate::{Event, MetricSample};

/// Most metric samples in one batch.
pub const MAX_METRICS: usize = 50_000;
/// Most events in one batch.
pub const MAX_EVENTS: usize = 10_000;
/// Largest JSON batch [`IngestBatch::parse`] reads, in bytes (32 MiB).
pub const MAX_BATCH_BYTES: usize = 32 * 1024 * 1024;

/// The collector that sent a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "AgentInfo")]
#[non_exhaustive]
pub struct AgentInfo {
    /// Stable id of this agent instance (host name, UUID...).
    #[schemars(length(min = 1, max = 256))]
    pub id: String,
    /// Program name, e.g. `ispvm-poll`.
    #[schemars(length(min = 1, max = 256))]
    pub name: String,
    /// Program version, e.g. `0.1.0`.
    #[schemars(length(min = 1, max = 256))]
    pub version: String,
    /// What the agent collects (`routeros`, `radius_probe`, `ping`...).
    #[serde(default)]
    pub capabilities: Vec<String>,
}

impl AgentInfo {
    /// An agent with no capabilities listed.
    #[must_use]
    pub fn new(id: impl Into<String>, name: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            version: version.into(),
            capabilities: Vec::new(),
        }
    }

    /// Checks that `id`, `name` and `version` have 1 to 256 characters.
    fn check(&self) -> Result<(), IngestError> {
        for (field, value) in [
            ("id", &self.id),
            ("name", &self.name),
            ("version", &self.version),
        ] {
            if value.is_empty() || value.chars().count() > 256 {
                return Err(IngestError::InvalidAgent { field });
            }
        }
        Ok(())
    }

    /// Adds a capability.
    #[must_use]
    pub fn with_capability(mut self, capability: impl Into<String>) -> Self {
        self.capabilities.push(capability.into());
        self
    }
}

/// One batch of samples and events from one agent (wire schema: `IngestBatch`, version
/// [`SchemaVersion::CURRENT`]).
///
/// The fields are private so that the limits always hold; read them with the accessors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "IngestWire")]
pub struct IngestBatch {
    schema_version: SchemaVersion,
    sent_at: DateTime<Utc>,
    agent: AgentInfo,
    metrics: Vec<MetricSample>,
    events: Vec<Event>,
}

/// Why a batch was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// The JSON is larger than [`MAX_BATCH_BYTES`].
    #[error("batch is {len} bytes, the limit is {max}")]
    TooLarge {
        /// Size of the input.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// More than [`MAX_METRICS`] samples.
    #[error("batch has {count} metrics, the limit is {max}")]
    TooManyMetrics {
        /// Samples in the batch.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// More than [`MAX_EVENTS`] events.
    #[error("batch has {count} events, the limit is {max}")]
    TooManyEvents {
        /// Events in the batch.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// An agent field (`id`, `name`, `version`) is empty or longer than 256 characters.
    #[error("/agent/{field}: must be 1 to 256 characters")]
    InvalidAgent {
        /// The field.
        field: &'static str,
    },
    /// `schema_version` is malformed or not accepted by this reader.
    #[error("/schema_version: {0}")]
    Version(#[from] VersionError),
    /// The bytes are not a well-formed batch.
    #[error("invalid batch at line {line}, column {column}: {message}")]
    Json {
        /// What was wrong.
        message: String,
        /// 1-based line of the fault (0 when unknown).
        line: usize,
        /// 1-based column of the fault (0 when unknown).
        column: usize,
    },
}

impl From<serde_json::Error> for IngestError {
    fn from(e: serde_json::Error) -> Self {
        IngestError::Json {
            message: e.to_string(),
            line: e.line(),
            column: e.column(),
        }
    }
}

impl IngestBatch {
    /// A batch at the current schema version.
    ///
    /// # Errors
    /// [`IngestError::TooManyMetrics`] or [`IngestError::TooManyEvents`] past the limits (use
    /// [`IngestBatch::chunked`] to split a large collection); [`IngestError::InvalidAgent`]
    /// when an agent field is empty or too long.
    pub fn new(
        agent: AgentInfo,
        sent_at: DateTime<Utc>,
        metrics: Vec<MetricSample>,
        events: Vec<Event>,
    ) -> Result<Self, IngestError> {
        agent.check()?;
        check_counts(metrics.len(), events.len())?;
        Ok(Self {
            schema_version: SchemaVersion::CURRENT,
            sent_at,
            agent,
            metrics,
            events,
        })
    }

    /// Splits any number of samples and events into batches that respect the limits, in order.
    /// Returns one empty batch when both are empty.
    ///
    /// # Errors
    /// [`IngestError::InvalidAgent`] when an agent field is empty or too long.
    ///
    /// # Examples
    /// ```
    /// use ispvm_schemas::ingest::{AgentInfo, IngestBatch, MAX_METRICS};
    /// use ispvm_model::{EntityKind, SampleValue};
    /// use ispvm_schemas::MetricSample;
    /// let ts = "2026-01-01T00:00:00Z".parse().unwrap();
    /// let s = MetricSample::new(ts, "device.up", EntityKind::Device, "a".parse().unwrap(),
    ///     SampleValue::Num(1.0), "bool", "test");
    /// let batches = IngestBatch::chunked(AgentInfo::new("a1", "test", "0"), ts,
    ///     vec![s; MAX_METRICS + 1], vec![])?;
    /// assert_eq!(batches.iter().map(|b| b.metrics().len()).collect::<Vec<_>>(), [MAX_METRICS, 1]);
    /// # Ok::<(), ispvm_schemas::ingest::IngestError>(())
    /// ```
    pub fn chunked(
        agent: AgentInfo,
        sent_at: DateTime<Utc>,
        metrics: Vec<MetricSample>,
        events: Vec<Event>,
    ) -> Result<Vec<IngestBatch>, IngestError> {
        agent.check()?;
        let mut metrics = metrics.into_iter().peekable();
        let mut events = events.into_iter().peekable();
        let mut out = Vec::new();
        loop {
            let m: Vec<_> = metrics.by_ref().take(MAX_METRICS).collect();
            let e: Vec<_> = events.by_ref().take(MAX_EVENTS).collect();
            out.push(IngestBatch {
                schema_version: SchemaVersion::CURRENT,
                sent_at,
                agent: agent.clone(),
                metrics: m,
                events: e,
            });
            if metrics.peek().is_none() && events.peek().is_none() {
                return Ok(out);
            }
        }
    }

    /// Reads a batch from untrusted bytes.
    ///
    /// Bounded: input over [`MAX_BATCH_BYTES`] is refused before parsing, items past the limits
    /// are counted but never stored, nesting depth is limited by `serde_json`. The schema version
    /// is checked first: a batch of an unknown major is refused with [`IngestError::Version`]
    /// even when the rest of it does not parse as v1.
    ///
    /// # Errors
    /// [`IngestError`]: too large, too many items, unsupported version or malformed JSON.
    pub fn parse(bytes: &[u8]) -> Result<Self, IngestError> {
        if bytes.len() > MAX_BATCH_BYTES {
            return Err(IngestError::TooLarge {
                len: bytes.len(),
                max: MAX_BATCH_BYTES,
            });
        }
        match serde_json::from_slice::<IngestWire>(bytes) {
            Ok(wire) => wire.into_batch(),
            Err(e) => {
                // Prefer a version error over a shape error: a v2 batch need not look like v1.
                if let Ok(VersionPeek {
                    schema_version: Some(v),
                }) = serde_json::from_slice::<VersionPeek>(bytes)
                {
                    SchemaVersion::CURRENT.accepts(v.parse()?)?;
                }
                Err(e.into())
            }
        }
    }

    /// Serializes the batch as compact JSON.
    #[must_use]
    pub fn to_json(&self) -> String {
        // Serializing plain data with string keys cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The schema version the batch was written at.
    #[must_use]
    pub fn schema_version(&self) -> SchemaVersion {
        self.schema_version
    }

    /// When the agent sent the batch.
    #[must_use]
    pub fn sent_at(&self) -> DateTime<Utc> {
        self.sent_at
    }

    /// The agent that sent it.
    #[must_use]
    pub fn agent(&self) -> &AgentInfo {
        &self.agent
    }

    /// The samples, at most [`MAX_METRICS`].
    #[must_use]
    pub fn metrics(&self) -> &[MetricSample] {
        &self.metrics
    }

    /// The events, at most [`MAX_EVENTS`].
    #[must_use]
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Takes the batch apart: agent, samples and events.
    #[must_use]
    pub fn into_parts(self) -> (AgentInfo, Vec<MetricSample>, Vec<Event>) {
        (self.agent, self.metrics, self.events)
    }
}

fn check_counts(metrics: usize, events: usize) -> Result<(), IngestError> {
    if metrics > MAX_METRICS {
        return Err(IngestError::TooManyMetrics {
            count: metrics,
            max: MAX_METRICS,
        });
    }
    if events > MAX_EVENTS {
        return Err(IngestError::TooManyEvents {
            count: events,
            max: MAX_EVENTS,
        });
    }
    Ok(())
}

#[derive(Deserialize)]
struct VersionPeek {
    schema_version: Option<String>,
}

/// The wire shape of a batch, and the source of its JSON Schema.
#[derive(Deserialize, JsonSchema)]
#[schemars(
    rename = "IngestBatch",
    title = "ispvm ingest batch",
    description = "One batch of metric samples and events sent by one agent."
)]
struct IngestWire {
    /// Schema version `MAJOR.MINOR`; this is version 1.0.
    #[schemars(with = "SchemaVersion")]
    schema_version: String,
    /// When the agent sent the batch (RFC 3339).
    sent_at: DateTime<Utc>,
    /// The agent that sent the batch.
    agent: AgentInfo,
    /// Metric samples, at most 50000.
    #[serde(default)]
    metrics: BoundedVec<MetricSample, MAX_METRICS>,
    /// Events, at most 10000.
    #[serde(default)]
    events: BoundedVec<Event, MAX_EVENTS>,
}

impl IngestWire {
    fn into_batch(self) -> Result<IngestBatch, IngestError> {
        let version: SchemaVersion = self.schema_version.parse()?;
        SchemaVersion::CURRENT.accepts(version)?;
        check_counts(self.metrics.total, self.events.total)?;
        self.agent.check()?;
        Ok(IngestBatch {
            schema_version: version,
            sent_at: self.sent_at,
            agent: self.agent,
            metrics: self.metrics.items,
            events: self.events.items,
        })
    }
}

impl TryFrom<IngestWire> for IngestBatch {
    type Error = IngestError;
    fn try_from(w: IngestWire) -> Result<Self, Self::Error> {
        w.into_batch()
    }
}

impl JsonSchema for IngestBatch {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "IngestBatch".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        IngestWire::json_schema(generator)
    }
}

/// A sequence that stores at most `N` items and counts the rest (skipping them unparsed as
/// items, so memory stays bounded whatever the input).
struct BoundedVec<T, const N: usize> {
    items: Vec<T>,
    total: usize,
}

impl<T, const N: usize> Default for BoundedVec<T, N> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            total: 0,
        }
    }
}

impl<'de, T: Deserialize<'de>, const N: usize> Deserialize<'de> for BoundedVec<T, N> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<T, const N: usize>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>, const N: usize> Visitor<'de> for V<T, N> {
            type Value = BoundedVec<T, N>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "an array of at most {N} items")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(N).min(1024));
                while items.len() < N {
                    match seq.next_element()? {
                        Some(item) => items.push(item),
                        None => {
                            let total = items.len();
                            return Ok(BoundedVec { items, total });
                        }
                    }
                }
                let mut total = items.len();
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    total += 1;
                }
                Ok(BoundedVec { items, total })
            }
        }
        deserializer.deserialize_seq(V::<T, N>(PhantomData))
    }
}

impl<T: JsonSchema, const N: usize> JsonSchema for BoundedVec<T, N> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("Array_max{N}_of_{}", T::schema_name()).into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let items = generator.subschema_for::<T>();
        schemars::json_schema!({
            "type": "array",
            "items": items,
            "maxItems": N,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ispvm_model::{EntityKind, SampleValue, Severity};

    fn sample() -> MetricSample {
        MetricSample::new(
            "2026-01-01T00:00:00Z".parse().unwrap(),
            "device.up",
            EntityKind::Device,
            "agg1".parse().unwrap(),
            SampleValue::Num(1.0),
            "bool",
            "test",
        )
    }

    fn event(i: usize) -> Event {
        Event::new(
            format!("e{i}"),
            "2026-01-01T00:00:00Z".parse().unwrap(),
            "device.reachable.changed",
            Severity::Major,
            EntityKind::Device,
            "agg1".parse().unwrap(),
        )
    }

    fn agent() -> AgentInfo {
        AgentInfo::new("a1", "test", "0.1.0").with_capability("routeros")
    }

    fn batch_json(metrics: usize, events: usize, version: &str) -> String {
        let m = serde_json::to_string(&sample()).unwrap();
        let e = serde_json::to_string(&event(0)).unwrap();
        format!(
            r#"{{"schema_version":"{version}","sent_at":"2026-01-01T00:00:05Z","agent":{{"id":"a1","name":"test","version":"0.1.0"}},"metrics":[{}],"events":[{}]}}"#,
            vec![m; metrics].join(","),
            vec![e; events].join(",")
        )
    }

    #[test]
    fn round_trip() {
        let ts = "2026-01-01T00:00:05Z".parse().unwrap();
        let b = IngestBatch::new(agent(), ts, vec![sample()], vec![event(1)]).unwrap();
        let json = b.to_json();
        assert!(json.starts_with(r#"{"schema_version":"1.0","sent_at":"2026-01-01T00:00:05Z","agent":{"id":"a1","name":"test","version":"0.1.0","capabilities":["routeros"]},"metrics":[{"ts":"#), "{json}");
        assert_eq!(IngestBatch::parse(json.as_bytes()).unwrap(), b);
        assert_eq!(serde_json::from_str::<IngestBatch>(&json).unwrap(), b);
        assert_eq!(
            IngestBatch::new(AgentInfo::new("a1", "", "0"), ts, vec![], vec![]).unwrap_err(),
            IngestError::InvalidAgent { field: "name" }
        );
        let long = IngestBatch::parse(
            json.replace(r#""id":"a1""#, &format!(r#""id":"{}""#, "é".repeat(257)))
                .as_bytes(),
        );
        assert_eq!(
            long.unwrap_err().to_string(),
            "/agent/id: must be 1 to 256 characters"
        );
        let (a, m, e) = b.into_parts();
        assert_eq!((a.id.as_str(), m.len(), e.len()), ("a1", 1, 1));
    }

    #[test]
    fn limits_when_constructing() {
        let ts = Utc::now();
        assert!(IngestBatch::new(agent(), ts, vec![sample(); MAX_METRICS], vec![]).is_ok());
        assert_eq!(
            IngestBatch::new(agent(), ts, vec![sample(); MAX_METRICS + 1], vec![]).unwrap_err(),
            IngestError::TooManyMetrics {
                count: MAX_METRICS + 1,
                max: MAX_METRICS
            }
        );
        assert_eq!(
            IngestBatch::new(agent(), ts, vec![], vec![event(0); MAX_EVENTS + 1]).unwrap_err(),
            IngestError::TooManyEvents {
                count: MAX_EVENTS + 1,
                max: MAX_EVENTS
            }
        );
        let chunks = IngestBatch::chunked(
            agent(),
            ts,
            vec![sample(); 3],
            vec![event(0); 2 * MAX_EVENTS + 1],
        )
        .unwrap();
        let sizes: Vec<_> = chunks
            .iter()
            .map(|b| (b.metrics().len(), b.events().len()))
            .collect();
        assert_eq!(sizes, [(3, MAX_EVENTS), (0, MAX_EVENTS), (0, 1)]);
        assert_eq!(
            IngestBatch::chunked(agent(), ts, vec![], vec![])
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn limits_when_parsing() {
        let ok = batch_json(MAX_METRICS, MAX_EVENTS, "1.0");
        let b = IngestBatch::parse(ok.as_bytes()).unwrap();
        assert_eq!(
            (b.metrics().len(), b.events().len()),
            (MAX_METRICS, MAX_EVENTS)
        );
        let over = batch_json(MAX_METRICS + 2, 0, "1.0");
        assert_eq!(
            IngestBatch::parse(over.as_bytes()).unwrap_err(),
            IngestError::TooManyMetrics {
                count: MAX_METRICS + 2,
                max: MAX_METRICS
            }
        );
        let over = batch_json(0, MAX_EVENTS + 1, "1.0");
        assert_eq!(
            IngestBatch::parse(over.as_bytes()).unwrap_err(),
            IngestError::TooManyEvents {
                count: MAX_EVENTS + 1,
                max: MAX_EVENTS
            }
        );
        // serde path too, with a readable message.
        let e =
            serde_json::from_str::<IngestBatch>(&batch_json(0, MAX_EVENTS + 1, "1.0")).unwrap_err();
        assert!(
            e.to_string()
                .contains("batch has 10001 events, the limit is 10000"),
            "{e}"
        );
        let huge = vec![b' '; MAX_BATCH_BYTES + 1];
        assert_eq!(
            IngestBatch::parse(&huge).unwrap_err(),
            IngestError::TooLarge {
                len: MAX_BATCH_BYTES + 1,
                max: MAX_BATCH_BYTES
            }
        );
    }

    #[test]
    fn versions_when_parsing() {
        assert!(IngestBatch::parse(batch_json(1, 0, "1.0").as_bytes()).is_ok());
        assert_eq!(
            IngestBatch::parse(batch_json(1, 0, "2.0").as_bytes()).unwrap_err(),
            IngestError::Version(VersionError::UnknownMajor {
                found: "2.0".into(),
                supported: 1
            })
        );
        assert!(matches!(
            IngestBatch::parse(batch_json(1, 0, "1.1").as_bytes()).unwrap_err(),
            IngestError::Version(VersionError::TooNew { .. })
        ));
        assert!(matches!(
            IngestBatch::parse(batch_json(1, 0, "one").as_bytes()).unwrap_err(),
            IngestError::Version(VersionError::Malformed { .. })
        ));
        // An unknown major wins over a shape that is not v1.
        let e = IngestBatch::parse(br#"{"schema_version":"3.1","payload":[1,2]}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/schema_version: unsupported major version 3.1: this reader supports major 1 only"
        );
    }

    #[test]
    fn malformed_input_is_a_typed_error() {
        let e = IngestBatch::parse(b"{\"schema_version\":\"1.0\",\n\"sent_at\":42}").unwrap_err();
        let IngestError::Json { line, .. } = e else {
            panic!("{e:?}")
        };
        assert_eq!(line, 2);
        for bad in [
            &b""[..],
            b"[]",
            b"null",
            b"{",
            b"\xff\xfe",
            b"{\"schema_version\":\"1.0\"}",
        ] {
            assert!(
                matches!(IngestBatch::parse(bad), Err(IngestError::Json { .. })),
                "{bad:?}"
            );
        }
        let deep = format!(
            r#"{{"schema_version":"1.0","sent_at":"2026-01-01T00:00:05Z","agent":{{"id":"a","name":"b","version":"c"}},"events":[{{"id":"x","ts":"2026-01-01T00:00:00Z","event_type":"a.b","severity":"info","entity_type":"device","entity_id":"d","payload":{}{}}}]}}"#,
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        assert!(matches!(
            IngestBatch::parse(deep.as_bytes()),
            Err(IngestError::Json { .. })
        ));
    }
}
