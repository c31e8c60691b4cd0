//! What every poll yields: [`PollReport`], and where it goes: [`ReportSink`].

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ispvm_model::{AdapterError, Collection, EntityId, TenantId, Tier};
use tokio::sync::mpsc;

/// How a failed poll failed, as counted in `ispvm_polls_total{result}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureKind {
    /// The device refused, broke the protocol or could not be reached.
    Error,
    /// The device (or the whole poll) did not answer in time.
    Timeout,
}

impl FailureKind {
    /// `error` or `timeout`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Error => "error",
            FailureKind::Timeout => "timeout",
        }
    }
}

/// A failed poll.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PollFailure {
    /// Error or timeout, decided from the typed error (never from its text).
    pub kind: FailureKind,
    /// One line, without secrets.
    pub message: String,
    /// The adapter's error; `None` when the collector's own poll deadline ran out.
    pub error: Option<AdapterError>,
}

impl PollFailure {
    /// The failure of an adapter error.
    #[must_use]
    pub fn from_adapter(error: AdapterError) -> Self {
        let kind = if error.is_timeout() {
            FailureKind::Timeout
        } else {
            FailureKind::Error
        };
        Self {
            kind,
            message: one_line(&error.to_string()),
            error: Some(error),
        }
    }

    /// The failure of a poll that outlived the collector's poll deadline.
    #[must_use]
    pub fn deadline(after: Duration) -> Self {
        Self {
            kind: FailureKind::Timeout,
            message: format!("poll timed out after {after:?}"),
            error: None,
        }
    }
}

fn one_line(s: &str) -> String {
    s.split(['\r', '\n'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The outcome of one poll.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PollOutcome {
    /// The adapter collected (samples, events, warnings).
    Collected(Collection),
    /// The poll failed.
    Failed(PollFailure),
}

/// One poll of one tier of one target.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PollReport {
    /// The target's tenant.
    pub tenant: TenantId,
    /// The target's id (its device's entity id).
    pub target: EntityId,
    /// The tier polled.
    pub tier: Tier,
    /// Wall-clock time the poll started (after it got its concurrency permit).
    pub started_at: DateTime<Utc>,
    /// How long the poll took.
    pub duration: Duration,
    /// What it produced.
    pub outcome: PollOutcome,
}

impl PollReport {
    /// `ok`, `error` or `timeout`: the `result` label of `ispvm_polls_total`.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use ispvm_collector::{PollFailure, PollOutcome, PollReport};
    /// use ispvm_model::{Collection, Tier};
    /// let ok = PollReport::new(
    ///     "demo-isp".parse()?, "agg1".parse()?, Tier::Fast, chrono::Utc::now(),
    ///     Duration::from_millis(12), PollOutcome::Collected(Collection::new()),
    /// );
    /// assert_eq!(ok.result(), "ok");
    /// let mut late = ok.clone();
    /// late.outcome = PollOutcome::Failed(PollFailure::deadline(Duration::from_secs(60)));
    /// assert_eq!(late.result(), "timeout");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn result(&self) -> &'static str {
        match &self.outcome {
            PollOutcome::Collected(_) => "ok",
            PollOutcome::Failed(f) => f.kind.as_str(),
        }
    }

    /// A report (the collector makes these; tests and other pollers may too).
    #[must_use]
    pub fn new(
        tenant: TenantId,
        target: EntityId,
        tier: Tier,
        started_at: DateTime<Utc>,
        duration: Duration,
        outcome: PollOutcome,
    ) -> Self {
        Self {
            tenant,
            target,
            tier,
            started_at,
            duration,
            outcome,
        }
    }

    /// True when the poll collected.
    #[must_use]
    pub fn is_ok(&self) -> bool {
        matches!(self.outcome, PollOutcome::Collected(_))
    }
}

/// Where the collector delivers every [`PollReport`].
///
/// Implemented for `mpsc::Sender<PollReport>` (waits for room: a slow consumer slows the
/// polls down rather than losing reports) and `mpsc::UnboundedSender<PollReport>`. A closed
/// channel drops reports silently.
#[async_trait]
pub trait ReportSink: Send + Sync + 'static {
    /// Takes one report.
    async fn deliver(&self, report: PollReport);
}

#[async_trait]
impl ReportSink for mpsc::Sender<PollReport> {
    async fn deliver(&self, report: PollReport) {
        let _ = self.send(report).await;
    }
}

#[async_trait]
impl ReportSink for mpsc::UnboundedSender<PollReport> {
    async fn deliver(&self, report: PollReport) {
        let _ = self.send(report);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_kind_comes_from_the_error_variant() {
        let t = PollFailure::from_adapter(AdapterError::Timeout {
            device: "agg1".into(),
            operation: "/interface/print".into(),
        });
        assert_eq!(t.kind, FailureKind::Timeout);
        assert_eq!(t.message, "device agg1: /interface/print timed out");
        let e = PollFailure::from_adapter(AdapterError::Protocol {
            device: "agg1".into(),
            message: "timed out\nsecond line".into(),
            source: None,
        });
        assert_eq!(e.kind, FailureKind::Error);
        assert_eq!(
            e.message,
            "device agg1: protocol error: timed out second line"
        );
    }
}
