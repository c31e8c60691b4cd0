//! The Alertmanager alert (API v2 `postableAlert`) and the label and alert names of the
//! contract.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `alertname` of the alert of an open incident.
pub const INCIDENT_ALERT: &str = "IspvmIncident";
/// `alertname` of the heartbeat alert, firing for as long as the agent is healthy.
pub const WATCHDOG_ALERT: &str = "IspvmWatchdog";
/// `alertname` of the optional alert of an entity that lost redundancy but still works.
pub const REDUNDANCY_ALERT: &str = "IspvmRedundancyLost";

/// One alert as `POST /api/v2/alerts` takes it (a `postableAlert`).
///
/// Its labels are its identity in Alertmanager; `ends_at` in the past resolves it, in the
/// future lets it expire on its own when it is not posted again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Alert {
    /// Identity: `alertname`, `tenant`, `incident`, `severity`, `page` (see the contract).
    pub labels: BTreeMap<String, String>,
    /// Descriptive text: `summary`, `primary_cause`, `site`, `subscribers_affected`...
    pub annotations: BTreeMap<String, String>,
    /// When the alert began (an incident's `opened_at`).
    pub starts_at: DateTime<Utc>,
    /// When it ends (resolved once this is past).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<DateTime<Utc>>,
}

impl Alert {
    /// An alert with the given labels, no annotation and no end.
    #[must_use]
    pub fn new(labels: BTreeMap<String, String>, starts_at: DateTime<Utc>) -> Self {
        Self {
            labels,
            annotations: BTreeMap::new(),
            starts_at,
            ends_at: None,
        }
    }

    /// The value of a label.
    #[must_use]
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels.get(name).map(String::as_str)
    }

    /// The value of an annotation.
    #[must_use]
    pub fn annotation(&self, name: &str) -> Option<&str> {
        self.annotations.get(name).map(String::as_str)
    }

    /// Whether the alert is resolved at `now` (its end is not after `now`).
    #[must_use]
    pub fn is_resolved_at(&self, now: DateTime<Utc>) -> bool {
        self.ends_at.is_some_and(|e| e <= now)
    }
}

/// Labels from pairs.
pub(crate) fn labels<const N: usize>(pairs: [(&str, &str); N]) -> BTreeMap<String, String> {
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}
