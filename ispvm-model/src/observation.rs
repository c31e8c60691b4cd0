//! Observations: what was seen about one entity at one instant.
//!
//! An observation is either a signal with a state (`reachability` `down`, `routing` `up`...)
//! or a metric sample (`pppoe.sessions.active` = 3200). The RCA engine keeps the latest
//! observation of each signal at or before the evaluation time.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::EntityId;

/// The kind of health signal an observation carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Signal {
    /// Can the entity be reached (ping, API login)?
    Reachability,
    /// Is the link or interface operationally up?
    Link,
    /// Is the routing adjacency (BGP session, OSPF neighbour) established?
    Routing,
    /// Is the service experience good (loss, latency, success rate)?
    Experience,
}

impl Signal {
    /// Every signal, in declaration order.
    pub const ALL: [Signal; 4] = [
        Signal::Reachability,
        Signal::Link,
        Signal::Routing,
        Signal::Experience,
    ];

    /// The serialized name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Signal::Reachability => "reachability",
            Signal::Link => "link",
            Signal::Routing => "routing",
            Signal::Experience => "experience",
        }
    }

    /// Whether `down` on this signal makes the entity failed (`reachability`, `link`,
    /// `routing`); `experience` only ever degrades.
    #[must_use]
    pub const fn can_fail(self) -> bool {
        !matches!(self, Signal::Experience)
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The state of a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SignalState {
    /// Working.
    Up,
    /// Not working.
    Down,
    /// Working, but worse than it should.
    Degraded,
}

impl SignalState {
    /// The serialized name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            SignalState::Up => "up",
            SignalState::Down => "down",
            SignalState::Degraded => "degraded",
        }
    }
}

impl fmt::Display for SignalState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an observation says.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ObservationValue {
    /// A signal and its state.
    Signal {
        /// Which signal.
        signal: Signal,
        /// Its state.
        state: SignalState,
    },
    /// A metric sample; `name` is a registry name such as `pppoe.sessions.active`.
    Metric {
        /// Registry metric name.
        name: String,
        /// Finite value.
        value: f64,
    },
}

/// One observation of one entity.
///
/// Serialized as in the scenario contract, either
/// `{"at": "...", "entity": "agg1", "signal": "reachability", "state": "down"}` or
/// `{"at": "...", "entity": "bras1", "metric": "pppoe.sessions.active", "value": 3200}`,
/// with an optional `source` naming where it came from (`ping`, `routeros_api`, `syslog`,
/// a vantage point...), used to tell independent evidence apart.
///
/// # Examples
/// ```
/// use ispvm_model::{Observation, ObservationValue, Signal, SignalState};
/// let o: Observation = serde_json::from_str(
///     r#"{"at":"2026-01-01T00:10:00Z","entity":"agg1","signal":"reachability","state":"down"}"#,
/// ).unwrap();
/// assert_eq!(o.value, ObservationValue::Signal { signal: Signal::Reachability, state: SignalState::Down });
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ObservationWire", into = "ObservationWire")]
#[non_exhaustive]
pub struct Observation {
    /// When it was observed.
    pub at: DateTime<Utc>,
    /// The observed entity.
    pub entity: EntityId,
    /// What was observed.
    pub value: ObservationValue,
    /// Where it came from, if known.
    pub source: Option<String>,
}

impl Observation {
    /// A signal observation.
    #[must_use]
    pub fn signal(at: DateTime<Utc>, entity: EntityId, signal: Signal, state: SignalState) -> Self {
        Self {
            at,
            entity,
            value: ObservationValue::Signal { signal, state },
            source: None,
        }
    }

    /// A metric observation.
    ///
    /// # Errors
    /// [`ObservationError::NonFiniteValue`] when `value` is NaN or infinite.
    pub fn metric(
        at: DateTime<Utc>,
        entity: EntityId,
        name: impl Into<String>,
        value: f64,
    ) -> Result<Self, ObservationError> {
        if !value.is_finite() {
            return Err(ObservationError::NonFiniteValue);
        }
        Ok(Self {
            at,
            entity,
            value: ObservationValue::Metric {
                name: name.into(),
                value,
            },
            source: None,
        })
    }

    /// Sets the source.
    #[must_use]
    pub fn with_source(mut self, source: impl Into<String>) -> Self {
        self.source = Some(source.into());
        self
    }
}

/// Why an observation could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ObservationError {
    /// Neither `signal`+`state` nor `metric`+`value` was given.
    #[error("an observation needs either signal and state, or metric and value")]
    Incomplete,
    /// Both forms were mixed.
    #[error("an observation cannot carry both a signal and a metric")]
    Mixed,
    /// The metric value is NaN or infinite.
    #[error("metric value must be a finite number")]
    NonFiniteValue,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
struct ObservationWire {
    at: DateTime<Utc>,
    entity: EntityId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signal: Option<Signal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    state: Option<SignalState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    metric: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source: Option<String>,
}

impl TryFrom<ObservationWire> for Observation {
    type Error = ObservationError;
    fn try_from(w: ObservationWire) -> Result<Self, Self::Error> {
        let value = match (w.signal, w.state, w.metric, w.value) {
            (Some(signal), Some(state), None, None) => ObservationValue::Signal { signal, state },
            (None, None, Some(name), Some(value)) => {
                if !value.is_finite() {
                    return Err(ObservationError::NonFiniteValue);
                }
                ObservationValue::Metric { name, value }
            }
            (s, st, m, v) if (s.is_some() || st.is_some()) && (m.is_some() || v.is_some()) => {
                return Err(ObservationError::Mixed);
            }
            _ => return Err(ObservationError::Incomplete),
        };
        Ok(Observation {
            at: w.at,
            entity: w.entity,
            value,
            source: w.source,
        })
    }
}

impl From<Observation> for ObservationWire {
    fn from(o: Observation) -> Self {
        let (signal, state, metric, value) = match o.value {
            ObservationValue::Signal { signal, state } => (Some(signal), Some(state), None, None),
            ObservationValue::Metric { name, value } => (None, None, Some(name), Some(value)),
        };
        ObservationWire {
            at: o.at,
            entity: o.entity,
            signal,
            state,
            metric,
            value,
            source: o.source,
        }
    }
}

#[cfg(feature = "json-schema")]
impl schemars::JsonSchema for Observation {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Observation".into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let entity = generator.subschema_for::<EntityId>();
        let signal = generator.subschema_for::<Signal>();
        let state = generator.subschema_for::<SignalState>();
        schemars::json_schema!({
            "description": "One observation: a signal with a state, or a metric sample.",
            "type": "object",
            "properties": {
                "at": {"type": "string", "format": "date-time", "description": "When it was observed (RFC 3339)."},
                "entity": entity,
                "signal": signal,
                "state": state,
                "metric": {"type": "string", "description": "Registry metric name, e.g. pppoe.sessions.active."},
                "value": {"type": "number", "description": "Metric value."},
                "source": {"type": "string", "description": "Where the observation came from (ping, routeros_api, syslog, a vantage point)."}
            },
            "required": ["at", "entity"],
            "oneOf": [
                {"required": ["signal", "state"], "not": {"anyOf": [{"required": ["metric"]}, {"required": ["value"]}]}},
                {"required": ["metric", "value"], "not": {"anyOf": [{"required": ["signal"]}, {"required": ["state"]}]}}
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_round_trip() {
        for json in [
            r#"{"at":"2026-01-01T00:10:00Z","entity":"agg1","signal":"reachability","state":"down"}"#,
            r#"{"at":"2026-01-01T00:09:00Z","entity":"bras1","metric":"pppoe.sessions.active","value":3200.0,"source":"routeros_api"}"#,
        ] {
            let o: Observation = serde_json::from_str(json).unwrap();
            assert_eq!(serde_json::to_string(&o).unwrap(), json);
        }
    }

    #[test]
    fn malformed_forms() {
        let e = serde_json::from_str::<Observation>(
            r#"{"at":"2026-01-01T00:10:00Z","entity":"a","signal":"link"}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("needs either"), "{e}");
        let e = serde_json::from_str::<Observation>(
            r#"{"at":"2026-01-01T00:10:00Z","entity":"a","signal":"link","state":"up","metric":"x","value":1}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("both"), "{e}");
        assert!(
            serde_json::from_str::<Observation>(
                r#"{"at":"yesterday","entity":"a","signal":"link","state":"up"}"#
            )
            .is_err()
        );
        assert!(
            serde_json::from_str::<Observation>(
                r#"{"at":"2026-01-01T00:10:00Z","entity":"a","signal":"smoke","state":"up"}"#
            )
            .is_err()
        );
        assert_eq!(
            Observation::metric(Utc::now(), "a".parse().unwrap(), "m", f64::NAN).unwrap_err(),
            ObservationError::NonFiniteValue
        );
    }
}
