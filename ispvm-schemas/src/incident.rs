//! The incident record (`ispvm.incident/v1`): an incident of the analysis with its lifecycle.
//!
//! The analysis document only lists the incidents open at one instant. A long-running service
//! (the agent's HTTP API, the store, notification sinks) also needs what happened to each
//! incident over time: whether it is still open, when it closed, each change of its causes or
//! impact, and the operator's feedback label. [`IncidentRecord`] is that object: every field of
//! the analysis' [`Incident`] (flattened, so a reader of the analysis reads a record the same
//! way) plus `state`, `closed_at`, `history` and, once labelled, `feedback`.
//!
//! # Examples
//! ```
//! use ispvm_model::Incident;
//! use ispvm_schemas::incident::{IncidentRecord, IncidentState};
//!
//! let at = "2026-03-14T09:05:00Z".parse()?;
//! let incident = Incident::new("inc-20260314T090500Z-agg2", at, vec![], vec![], 0, "agg2 down");
//! let record = IncidentRecord::opened(incident);
//! assert_eq!(record.state, IncidentState::Open);
//! let json = serde_json::to_value(&record)?;
//! assert_eq!(json["id"], "inc-20260314T090500Z-agg2");
//! assert_eq!(json["state"], "open");
//! assert_eq!(json["history"][0]["change"], "opened");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use chrono::{DateTime, Utc};
use ispvm_model::{EntityId, Incident};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The `schema` name of an incident record (records carry no `schema` field of their own; the
/// name identifies the payload in the API description and the notification schema).
pub const INCIDENT_RECORD_SCHEMA: &str = "ispvm.incident/v1";

/// Whether an incident is still open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum IncidentState {
    /// At least one of its causes is still failed.
    Open,
    /// Every cause recovered (or the incident was superseded).
    Closed,
}

impl IncidentState {
    /// The wire name: `open` or `closed`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }
}

/// What changed in one history entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum IncidentChangeKind {
    /// The incident appeared.
    Opened,
    /// Its set of root causes, their roles or the primary cause changed.
    CausesChanged,
    /// Its impacted entities or subscriber count changed.
    ImpactChanged,
    /// An operator labelled its true cause.
    Feedback,
    /// It closed.
    Closed,
}

/// One time-stamped change of an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct IncidentChange {
    /// When the change was seen (the evaluation instant, or the feedback time).
    pub at: DateTime<Utc>,
    /// What changed.
    pub change: IncidentChangeKind,
    /// One line for a person (e.g. `agg3 joined as contributing cause`).
    pub summary: String,
}

impl IncidentChange {
    /// A history entry.
    #[must_use]
    pub fn new(at: DateTime<Utc>, change: IncidentChangeKind, summary: impl Into<String>) -> Self {
        Self {
            at,
            change,
            summary: summary.into(),
        }
    }
}

/// An operator's label of an incident's true cause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct FeedbackLabel {
    /// The entity the operator says really caused the incident (one of its root causes).
    pub true_cause: EntityId,
    /// When the label was given.
    pub at: DateTime<Utc>,
}

impl FeedbackLabel {
    /// A label.
    #[must_use]
    pub fn new(true_cause: EntityId, at: DateTime<Utc>) -> Self {
        Self { true_cause, at }
    }
}

/// An incident with its lifecycle, as the agent's API, the store and notifications carry it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(
    title = "ispvm incident record",
    rename = "IncidentRecord",
    description = "An incident of the analysis (every field of it) plus its state, close time, history and operator feedback."
)]
#[non_exhaustive]
pub struct IncidentRecord {
    /// The incident as the latest analysis that contained it described it.
    #[serde(flatten)]
    pub incident: Incident,
    /// `open` or `closed`.
    pub state: IncidentState,
    /// When it closed (absent while open).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    /// Time-stamped changes, oldest first; the first entry is `opened`.
    pub history: Vec<IncidentChange>,
    /// The operator's label, once given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<FeedbackLabel>,
}

impl IncidentRecord {
    /// A newly opened record: state `open`, one `opened` history entry at `opened_at`.
    #[must_use]
    pub fn opened(incident: Incident) -> Self {
        let history = vec![IncidentChange::new(
            incident.opened_at,
            IncidentChangeKind::Opened,
            incident.summary.clone(),
        )];
        Self {
            incident,
            state: IncidentState::Open,
            closed_at: None,
            history,
            feedback: None,
        }
    }

    /// Assembles a record from stored parts.
    #[must_use]
    pub fn from_parts(
        incident: Incident,
        state: IncidentState,
        closed_at: Option<DateTime<Utc>>,
        history: Vec<IncidentChange>,
        feedback: Option<FeedbackLabel>,
    ) -> Self {
        Self {
            incident,
            state,
            closed_at,
            history,
            feedback,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips_and_flattens_the_incident() {
        let at: DateTime<Utc> = "2026-03-14T09:05:00Z".parse().unwrap();
        let incident = Incident::new("inc-a", at, vec![], vec![], 12, "agg2 down");
        let mut record = IncidentRecord::opened(incident);
        record.state = IncidentState::Closed;
        record.closed_at = Some("2026-03-14T09:30:00Z".parse().unwrap());
        record.feedback = Some(FeedbackLabel::new("agg2".parse().unwrap(), at));
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["subscribers_affected"], 12);
        assert_eq!(json["state"], "closed");
        assert_eq!(json["closed_at"], "2026-03-14T09:30:00Z");
        assert_eq!(json["feedback"]["true_cause"], "agg2");
        let back: IncidentRecord = serde_json::from_value(json).unwrap();
        assert_eq!(back, record);
    }

    #[test]
    fn open_record_omits_closed_at_and_feedback() {
        let at: DateTime<Utc> = "2026-03-14T09:05:00Z".parse().unwrap();
        let record = IncidentRecord::opened(Incident::new("inc-a", at, vec![], vec![], 0, "s"));
        let json = serde_json::to_value(&record).unwrap();
        assert!(json.get("closed_at").is_none());
        assert!(json.get("feedback").is_none());
        assert_eq!(IncidentState::Open.as_str(), "open");
    }
}
