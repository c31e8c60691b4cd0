//! The subscriber-impact hook: how many PPPoE subscribers a concentrator has lost.
//!
//! The RCA engine asks a [`SubscriberImpact`] about each concentrator's history of
//! `pppoe.sessions.active` readings. `ispvm-rca` ships the scenario contract's rule as its
//! default; `ispvm-pppoe` offers a richer model (robust baseline, churn) behind the same trait.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One `pppoe.sessions.active` reading of a concentrator.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SessionReading {
    /// When it was read.
    pub at: DateTime<Utc>,
    /// Active sessions (finite, non-negative for a sane device).
    pub sessions: f64,
}

impl SessionReading {
    /// A reading.
    #[must_use]
    pub fn new(at: DateTime<Utc>, sessions: f64) -> Self {
        Self { at, sessions }
    }
}

/// What a concentrator's session history says about lost subscribers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SessionAssessment {
    /// The normal number of sessions, if known.
    pub baseline: Option<u64>,
    /// The latest number of sessions, if known.
    pub current: Option<u64>,
    /// Subscribers counted as affected (0 when the drop is not significant).
    pub affected: u64,
    /// Whether the concentrator lost a significant share of its sessions while staying up.
    pub significant_drop: bool,
}

impl SessionAssessment {
    /// An assessment.
    #[must_use]
    pub fn new(
        baseline: Option<u64>,
        current: Option<u64>,
        affected: u64,
        significant_drop: bool,
    ) -> Self {
        Self {
            baseline,
            current,
            affected,
            significant_drop,
        }
    }
}

/// Counts the subscribers a concentrator has lost.
///
/// # Examples
/// ```
/// use ispvm_model::{SessionAssessment, SessionReading, SubscriberImpact};
///
/// /// Counts every session of an unavailable concentrator, nothing else.
/// struct LastKnown;
/// impl SubscriberImpact for LastKnown {
///     fn assess(&self, history: &[SessionReading], unavailable: bool) -> SessionAssessment {
///         let last = history.last().map(|r| r.sessions.max(0.0) as u64);
///         let affected = if unavailable { last.unwrap_or(0) } else { 0 };
///         SessionAssessment::new(last, last, affected, false)
///     }
/// }
/// let h = [SessionReading::new("2026-01-01T00:00:00Z".parse().unwrap(), 3200.0)];
/// assert_eq!(LastKnown.assess(&h, true).affected, 3200);
/// ```
pub trait SubscriberImpact: Send + Sync {
    /// Assesses one concentrator.
    ///
    /// `history` holds its readings at or before the evaluation time, sorted by time (oldest
    /// first); `unavailable` tells whether the concentrator is failed or unreachable at the
    /// evaluation time (then its sessions from before the failure count as affected).
    fn assess(&self, history: &[SessionReading], unavailable: bool) -> SessionAssessment;
}
