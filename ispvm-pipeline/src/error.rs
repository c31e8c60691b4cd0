//! The pipeline's typed errors. None is transient: retrying the same call gives the same
//! answer ([`PipelineError::is_retryable`] is false for every variant today), and a refused call
//! changes nothing.

use ispvm_model::EntityId;
use ispvm_pppoe::tracker::TrackError;
use ispvm_rca::EngineError;

use crate::rules::PppRowError;

/// Why the pipeline refused an input. Nothing is changed when an error is returned.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    /// The call names an entity the topology does not have.
    #[error("unknown entity {id}")]
    UnknownEntity {
        /// The entity.
        id: EntityId,
    },
    /// `/ppp/active` was given for an entity that is not a PPPoE concentrator.
    #[error("{id} is not a PPPoE concentrator of the topology")]
    NotAConcentrator {
        /// The entity.
        id: EntityId,
    },
    /// A `/ppp/active` listing has an unusable row.
    #[error("/ppp/active of {concentrator}: {source}")]
    PppActive {
        /// The concentrator.
        concentrator: EntityId,
        /// What was wrong.
        #[source]
        source: PppRowError,
    },
    /// The session tracker refused a listing (older than the newest reading of the
    /// concentrator).
    #[error("sessions: {0}")]
    Sessions(#[from] TrackError),
    /// The engine refused an input (an observation or a maintenance window naming an unknown
    /// entity).
    #[error("engine: {0}")]
    Engine(#[from] EngineError),
}

impl PipelineError {
    /// Whether the same call could succeed later without a change: never, today (the pipeline
    /// does no I/O); callers that branch on it stay correct if a transient kind appears.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        false
    }
}

/// Why operator feedback was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FeedbackError {
    /// The incident is not open in the latest snapshot.
    #[error("unknown incident {id}")]
    UnknownIncident {
        /// The incident id.
        id: String,
    },
    /// The named cause is not a root cause of the incident.
    #[error("{cause} is not a root cause of incident {incident}")]
    CauseNotInIncident {
        /// The incident id.
        incident: String,
        /// The named cause.
        cause: EntityId,
    },
}
