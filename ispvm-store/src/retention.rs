//! Retention: how long closed incidents' evidence, incident headers, audit entries and poll
//! summaries are kept, enforced by [`Store::enforce_retention`] (call it periodically) or the
//! task [`spawn_retention`] starts.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use crate::store::{micros, on_pool};
use crate::{Store, StoreError};

/// How long each kind of record is kept, counted from when it stopped changing.
///
/// Open incidents are never purged, whatever their age.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetentionPolicy {
    /// Evidence of incidents closed longer ago than this is dropped (default 14 days); the
    /// incident, its causes, history and feedback stay.
    pub evidence: TimeDelta,
    /// Incidents closed longer ago than this are deleted with everything attached (default
    /// 400 days).
    pub incident_headers: TimeDelta,
    /// Audit entries older than this are deleted (default 400 days).
    pub audit: TimeDelta,
    /// Poll summaries older than this are deleted (default 30 days).
    pub poll_results: TimeDelta,
    /// Maintenance windows that ended longer ago than this are deleted (default 400 days).
    pub maintenance: TimeDelta,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        Self {
            evidence: TimeDelta::days(14),
            incident_headers: TimeDelta::days(400),
            audit: TimeDelta::days(400),
            poll_results: TimeDelta::days(30),
            maintenance: TimeDelta::days(400),
        }
    }
}

impl RetentionPolicy {
    /// Sets the evidence horizon.
    #[must_use]
    pub fn evidence(mut self, keep: TimeDelta) -> Self {
        self.evidence = keep;
        self
    }

    /// Sets the incident header horizon.
    #[must_use]
    pub fn incident_headers(mut self, keep: TimeDelta) -> Self {
        self.incident_headers = keep;
        self
    }
}

/// What one retention pass removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RetentionReport {
    /// Closed incidents whose evidence was dropped.
    pub evidence_purged: u64,
    /// Closed incidents deleted.
    pub incidents_deleted: u64,
    /// Audit entries deleted.
    pub audit_deleted: u64,
    /// Poll summaries deleted.
    pub poll_results_deleted: u64,
    /// Maintenance windows deleted.
    pub maintenance_deleted: u64,
}

impl Store {
    /// Applies `policy` as of `now` to every tenant. Each step is its own transaction, so an
    /// interrupted pass leaves a consistent database and the next pass finishes the work.
    ///
    /// # Errors
    /// Database errors ([`StoreError::is_retryable`] tells whether the next pass may succeed).
    ///
    /// # Examples
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let store = ispvm_store::Store::open_data_dir(dir.path()).await?;
    /// let report = store.enforce_retention(&Default::default(), chrono::Utc::now()).await?;
    /// assert_eq!(report.incidents_deleted, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn enforce_retention(
        &self,
        policy: &RetentionPolicy,
        now: DateTime<Utc>,
    ) -> Result<RetentionReport, StoreError> {
        let cut = |keep: TimeDelta| micros(now.checked_sub_signed(keep).unwrap_or(now));
        let evidence_cut = cut(policy.evidence);
        let header_cut = cut(policy.incident_headers);
        let audit_cut = cut(policy.audit);
        let poll_cut = cut(policy.poll_results);
        let maint_cut = cut(policy.maintenance);
        let now_us = micros(now);
        on_pool!(self, p => {
            let mut report = RetentionReport::default();
            let mut tx = p.begin().await?;
            sqlx::query(
                "UPDATE root_causes SET evidence = NULL WHERE evidence IS NOT NULL AND EXISTS (\
                 SELECT 1 FROM incidents i WHERE i.tenant_id = root_causes.tenant_id AND i.id = root_causes.incident_id \
                 AND i.state = 'closed' AND i.closed_at < $1)")
                .bind(evidence_cut).execute(&mut *tx).await?;
            report.evidence_purged = sqlx::query(
                "UPDATE incidents SET evidence_purged_at = $2 WHERE state = 'closed' AND closed_at < $1 AND evidence_purged_at IS NULL")
                .bind(evidence_cut).bind(now_us).execute(&mut *tx).await?.rows_affected();
            tx.commit().await?;
            report.incidents_deleted = sqlx::query("DELETE FROM incidents WHERE state = 'closed' AND closed_at < $1")
                .bind(header_cut).execute(p).await?.rows_affected();
            report.audit_deleted = sqlx::query("DELETE FROM audit_log WHERE at < $1")
                .bind(audit_cut).execute(p).await?.rows_affected();
            report.poll_results_deleted = sqlx::query("DELETE FROM poll_results WHERE bucket_start < $1")
                .bind(poll_cut).execute(p).await?.rows_affected();
            report.maintenance_deleted = sqlx::query(
                "DELETE FROM maintenance_windows WHERE COALESCE(ended_early_at, ends_at) < $1")
                .bind(maint_cut).execute(p).await?.rows_affected();
            if report != RetentionReport::default() {
                tracing::info!(?report, "store retention pass");
            }
            Ok(report)
        })
    }
}

/// Starts a tokio task that runs [`Store::enforce_retention`] (then [`Store::optimize`]) now
/// and then every `every`, logging failures (a failed pass is simply tried again at the next tick). Abort the returned
/// handle to stop it.
///
/// # Examples
/// ```
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let dir = tempfile::tempdir()?;
/// let store = ispvm_store::Store::open_data_dir(dir.path()).await?;
/// let task = ispvm_store::spawn_retention(store, Default::default(), std::time::Duration::from_secs(3600));
/// task.abort();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn spawn_retention(
    store: Store,
    policy: RetentionPolicy,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every.max(Duration::from_millis(10)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = store.enforce_retention(&policy, Utc::now()).await {
                tracing::warn!(error = %e, retryable = e.is_retryable(), "store retention pass failed");
            }
            if let Err(e) = store.optimize().await {
                tracing::warn!(error = %e, "store statistics refresh failed");
            }
        }
    })
}
