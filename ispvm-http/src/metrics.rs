//! The agent's Prometheus metrics ([`AgentMetrics`]) and their two text formats.
//!
//! Names and labels are part of the contract and never change:
//! `ispvm_incidents_open{tenant}`, `ispvm_entities{tenant,status}`,
//! `ispvm_subscribers_affected{tenant}`, `ispvm_polls_total{tenant,result}`,
//! `ispvm_poll_duration_seconds`, `ispvm_evaluation_duration_seconds`,
//! `ispvm_notifications_total{sink,result}`.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use ispvm_model::{EntityStatus, TenantId};
use ispvm_schemas::analysis::AnalysisDocument;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Content type of the Prometheus text format 0.0.4.
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";
/// Content type of the OpenMetrics 1.0 text format.
pub const OPENMETRICS_TEXT: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Every status, in the order the `ispvm_entities` series are written.
const STATUSES: [EntityStatus; 6] = [
    EntityStatus::Up,
    EntityStatus::Degraded,
    EntityStatus::Down,
    EntityStatus::Unreachable,
    EntityStatus::Maintenance,
    EntityStatus::Unknown,
];

/// Result of one poll, the `result` label of `ispvm_polls_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PollResult {
    /// The poll answered.
    Ok,
    /// The poll failed (connection refused, login failed, trap...).
    Error,
    /// The poll timed out.
    Timeout,
}

impl PollResult {
    /// `ok`, `error` or `timeout`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Error => "error",
            Self::Timeout => "timeout",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct TenantLabel {
    tenant: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct EntitiesLabels {
    tenant: String,
    status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct PollLabels {
    tenant: String,
    result: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct NotificationLabels {
    sink: String,
    result: String,
}

/// Why the metrics could not be written (a formatting failure; not expected in practice).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("could not encode the metrics")]
#[non_exhaustive]
pub struct EncodeError;

/// The agent's metrics: the agent updates them, `/metrics` writes them.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use ispvm_http::{AgentMetrics, PollResult};
/// let metrics = AgentMetrics::new();
/// let tenant = "demo-isp".parse()?;
/// metrics.observe_poll(&tenant, PollResult::Ok, Duration::from_millis(40));
/// let text = metrics.encode_prometheus()?;
/// assert!(text.contains("ispvm_polls_total{tenant=\"demo-isp\",result=\"ok\"} 1\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct AgentMetrics {
    registry: Registry,
    incidents_open: Family<TenantLabel, Gauge>,
    entities: Family<EntitiesLabels, Gauge>,
    subscribers_affected: Family<TenantLabel, Gauge>,
    polls: Family<PollLabels, Counter>,
    poll_duration: Histogram,
    evaluation_duration: Histogram,
    notifications: Family<NotificationLabels, Counter>,
    /// Serializes `set_analysis` so the per-status gauges of one tenant are written together.
    analysis_lock: Mutex<()>,
}

/// Histogram buckets in seconds, from 1 ms to 30 s.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0,
];

impl Default for AgentMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl AgentMetrics {
    /// Metrics with every family registered and no series yet.
    #[must_use]
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let incidents_open = Family::<TenantLabel, Gauge>::default();
        let entities = Family::<EntitiesLabels, Gauge>::default();
        let subscribers_affected = Family::<TenantLabel, Gauge>::default();
        let polls = Family::<PollLabels, Counter>::default();
        let poll_duration = Histogram::new(BUCKETS);
        let evaluation_duration = Histogram::new(BUCKETS);
        let notifications = Family::<NotificationLabels, Counter>::default();
        registry.register(
            "ispvm_incidents_open",
            "Open incidents",
            incidents_open.clone(),
        );
        registry.register("ispvm_entities", "Entities by status", entities.clone());
        registry.register(
            "ispvm_subscribers_affected",
            "PPPoE subscribers affected by open incidents",
            subscribers_affected.clone(),
        );
        // prometheus-client appends `_total` to counters.
        registry.register("ispvm_polls", "Polls of devices by result", polls.clone());
        registry.register(
            "ispvm_poll_duration_seconds",
            "Duration of one device poll",
            poll_duration.clone(),
        );
        registry.register(
            "ispvm_evaluation_duration_seconds",
            "Duration of one evaluation of a tenant's engine",
            evaluation_duration.clone(),
        );
        registry.register(
            "ispvm_notifications",
            "Notifications sent by sink and result",
            notifications.clone(),
        );
        Self {
            registry,
            incidents_open,
            entities,
            subscribers_affected,
            polls,
            poll_duration,
            evaluation_duration,
            notifications,
            analysis_lock: Mutex::new(()),
        }
    }

    /// Sets the gauges of the analysis' tenant: open incidents, entities by status (every
    /// status, zero included), subscribers affected (the sum over open incidents).
    pub fn set_analysis(&self, analysis: &AnalysisDocument) {
        let _guard = self
            .analysis_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let tenant = analysis.tenant.as_str().to_string();
        let open = i64::try_from(analysis.incidents.len()).unwrap_or(i64::MAX);
        self.incidents_open
            .get_or_create(&TenantLabel {
                tenant: tenant.clone(),
            })
            .set(open);
        for status in STATUSES {
            let count = analysis
                .entities
                .iter()
                .filter(|e| e.status == status)
                .count();
            self.entities
                .get_or_create(&EntitiesLabels {
                    tenant: tenant.clone(),
                    status: status.as_str().to_string(),
                })
                .set(i64::try_from(count).unwrap_or(i64::MAX));
        }
        let subscribers: u64 = analysis
            .incidents
            .iter()
            .map(|i| i.subscribers_affected)
            .sum();
        self.subscribers_affected
            .get_or_create(&TenantLabel { tenant })
            .set(i64::try_from(subscribers).unwrap_or(i64::MAX));
    }

    /// Removes every series of a tenant (when a reload drops it).
    pub fn remove_tenant(&self, tenant: &TenantId) {
        let t = tenant.as_str().to_string();
        self.incidents_open
            .remove(&TenantLabel { tenant: t.clone() });
        self.subscribers_affected
            .remove(&TenantLabel { tenant: t.clone() });
        for status in STATUSES {
            self.entities.remove(&EntitiesLabels {
                tenant: t.clone(),
                status: status.as_str().to_string(),
            });
        }
        for result in [PollResult::Ok, PollResult::Error, PollResult::Timeout] {
            self.polls.remove(&PollLabels {
                tenant: t.clone(),
                result: result.as_str().to_string(),
            });
        }
    }

    /// Counts one poll and records its duration.
    pub fn observe_poll(&self, tenant: &TenantId, result: PollResult, duration: Duration) {
        self.polls
            .get_or_create(&PollLabels {
                tenant: tenant.as_str().to_string(),
                result: result.as_str().to_string(),
            })
            .inc();
        self.poll_duration.observe(duration.as_secs_f64());
    }

    /// Records the duration of one evaluation.
    pub fn observe_evaluation(&self, duration: Duration) {
        self.evaluation_duration.observe(duration.as_secs_f64());
    }

    /// Counts one notification of `sink` (e.g. `alertmanager`, `webhook`) with `result`
    /// (e.g. `ok`, `error`).
    pub fn count_notification(&self, sink: &str, result: &str) {
        self.notifications
            .get_or_create(&NotificationLabels {
                sink: sink.to_string(),
                result: result.to_string(),
            })
            .inc();
    }

    /// OpenMetrics 1.0 text, ending with `# EOF`.
    ///
    /// # Errors
    /// [`EncodeError`] if formatting fails.
    pub fn encode_openmetrics(&self) -> Result<String, EncodeError> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .map_err(|_| EncodeError)?;
        Ok(out)
    }

    /// Prometheus text exposition format 0.0.4: the OpenMetrics text without `# EOF` and
    /// `# UNIT` lines, with counters' `# TYPE`/`# HELP` named like their samples (`_total`).
    ///
    /// # Errors
    /// [`EncodeError`] if formatting fails.
    pub fn encode_prometheus(&self) -> Result<String, EncodeError> {
        Ok(openmetrics_to_prometheus(&self.encode_openmetrics()?))
    }
}

/// Converts the OpenMetrics text written by prometheus-client (counters, gauges, histograms)
/// to the Prometheus 0.0.4 text format.
fn openmetrics_to_prometheus(text: &str) -> String {
    let mut counters: Vec<&str> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            if let Some(name) = rest.strip_suffix(" counter") {
                counters.push(name);
            }
        }
    }
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let mut written = false;
        for prefix in ["# TYPE ", "# HELP "] {
            if let Some(rest) = line.strip_prefix(prefix) {
                let name = rest.split(' ').next().unwrap_or_default();
                if counters.contains(&name) && !name.ends_with("_total") {
                    out.push_str(prefix);
                    out.push_str(name);
                    out.push_str("_total");
                    out.push_str(&rest[name.len()..]);
                    out.push('\n');
                    written = true;
                }
            }
        }
        if !written {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Whether an `Accept` header asks for OpenMetrics (as Prometheus does when it can parse it).
pub(crate) fn wants_openmetrics(accept: &str) -> bool {
    accept.split(',').any(|part| {
        let mut params = part.split(';').map(str::trim);
        let media = params.next().unwrap_or_default();
        let q_zero = params.any(|p| p.replace(' ', "") == "q=0");
        media.eq_ignore_ascii_case("application/openmetrics-text") && !q_zero
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_negotiation() {
        assert!(wants_openmetrics(
            "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
        ));
        assert!(!wants_openmetrics("text/plain;version=0.0.4"));
        assert!(!wants_openmetrics("*/*"));
        assert!(!wants_openmetrics("application/openmetrics-text;q=0"));
    }
}
