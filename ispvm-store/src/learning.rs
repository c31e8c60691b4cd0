//! Learned evidence weights and poll result summaries.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use ispvm_model::TenantId;

use crate::audit::ensure_tenant;
use crate::store::{begin_write, from_micros, micros, on_pool};
use crate::{Store, StoreError};

/// One poll outcome to add to the summary of its target and time bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PollOutcome {
    /// The poll answered.
    Ok,
    /// It failed with an error.
    Error,
    /// It timed out.
    Timeout,
}

/// The summary of one target's polls in one time bucket.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PollSummary {
    /// The polled target (a device id).
    pub target: String,
    /// Start of the bucket.
    pub bucket_start: DateTime<Utc>,
    /// Polls that answered.
    pub ok: u64,
    /// Polls that failed.
    pub errors: u64,
    /// Polls that timed out.
    pub timeouts: u64,
    /// Sum of poll durations, milliseconds.
    pub duration_sum_ms: f64,
    /// Longest poll, milliseconds.
    pub duration_max_ms: f64,
    /// The latest poll counted.
    pub last_at: DateTime<Utc>,
}

/// The bucket width of poll summaries: one row per target and hour.
pub const POLL_BUCKET_SECONDS: i64 = 3600;

impl Store {
    /// Replaces the tenant's learned evidence weights with `weights` (evidence kind name ->
    /// weight), as the engine computed them. Kinds not named keep their stored weight.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a non-finite weight; database errors.
    ///
    /// # Examples
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let store = ispvm_store::Store::open_data_dir(dir.path()).await?;
    /// let tenant = "demo-isp".parse()?;
    /// let at = "2026-03-14T09:05:00Z".parse()?;
    /// store.save_weights(&tenant, &[("uplink_interface_down".to_string(), 12.5)], at).await?;
    /// assert_eq!(store.weights(&tenant).await?["uplink_interface_down"], 12.5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn save_weights(
        &self,
        tenant: &TenantId,
        weights: &[(String, f64)],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if let Some((k, w)) = weights.iter().find(|(_, w)| !w.is_finite()) {
            return Err(StoreError::Invalid(format!("weight of {k} is {w}")));
        }
        let t = tenant.as_str();
        on_pool!(self, p => {
            let mut tx = begin_write!(p);
            ensure_tenant!(tx, t);
            for (k, w) in weights {
                sqlx::query(
                    "INSERT INTO evidence_weights (tenant_id, evidence, weight, updated_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (tenant_id, evidence) DO UPDATE SET weight = excluded.weight, updated_at = excluded.updated_at")
                    .bind(t).bind(k).bind(*w).bind(micros(at)).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// The tenant's learned evidence weights (empty when nothing was learned yet).
    ///
    /// # Errors
    /// Database errors.
    pub async fn weights(&self, tenant: &TenantId) -> Result<BTreeMap<String, f64>, StoreError> {
        let t = tenant.as_str();
        let rows: Vec<(String, f64)> = on_pool!(self, p => sqlx::query_as(
            "SELECT evidence, weight FROM evidence_weights WHERE tenant_id = $1")
            .bind(t).fetch_all(p).await?);
        Ok(rows.into_iter().collect())
    }

    /// Adds poll outcomes to the hourly summaries (`(target, outcome, duration_ms, at)` each),
    /// in one transaction.
    ///
    /// # Errors
    /// Database errors.
    pub async fn record_polls(
        &self,
        tenant: &TenantId,
        polls: &[(String, PollOutcome, f64, DateTime<Utc>)],
    ) -> Result<(), StoreError> {
        let t = tenant.as_str();
        on_pool!(self, p => {
            let mut tx = begin_write!(p);
            ensure_tenant!(tx, t);
            for (target, outcome, ms, at) in polls {
                let secs = at.timestamp();
                let bucket = (secs - secs.rem_euclid(POLL_BUCKET_SECONDS)) * 1_000_000;
                let (ok, err, to) = match outcome {
                    PollOutcome::Ok => (1_i64, 0_i64, 0_i64),
                    PollOutcome::Error => (0, 1, 0),
                    PollOutcome::Timeout => (0, 0, 1),
                };
                let ms = if ms.is_finite() && *ms >= 0.0 { *ms } else { 0.0 };
                sqlx::query(
                    "INSERT INTO poll_results (tenant_id, target, bucket_start, ok, errors, timeouts, duration_sum_ms, duration_max_ms, last_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8) \
                     ON CONFLICT (tenant_id, target, bucket_start) DO UPDATE SET \
                     ok = poll_results.ok + excluded.ok, errors = poll_results.errors + excluded.errors, \
                     timeouts = poll_results.timeouts + excluded.timeouts, \
                     duration_sum_ms = poll_results.duration_sum_ms + excluded.duration_sum_ms, \
                     duration_max_ms = CASE WHEN excluded.duration_max_ms > poll_results.duration_max_ms THEN excluded.duration_max_ms ELSE poll_results.duration_max_ms END, \
                     last_at = CASE WHEN excluded.last_at > poll_results.last_at THEN excluded.last_at ELSE poll_results.last_at END")
                    .bind(t).bind(target).bind(bucket).bind(ok).bind(err).bind(to).bind(ms).bind(micros(*at))
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// The tenant's poll summaries whose bucket starts at or after `since`, by bucket then
    /// target.
    ///
    /// # Errors
    /// Database errors.
    pub async fn poll_summaries(
        &self,
        tenant: &TenantId,
        since: DateTime<Utc>,
    ) -> Result<Vec<PollSummary>, StoreError> {
        let t = tenant.as_str();
        type Row = (String, i64, i64, i64, i64, f64, f64, i64);
        let rows: Vec<Row> = on_pool!(self, p => sqlx::query_as(
            "SELECT target, bucket_start, ok, errors, timeouts, duration_sum_ms, duration_max_ms, last_at \
             FROM poll_results WHERE tenant_id = $1 AND bucket_start >= $2 ORDER BY bucket_start, target")
            .bind(t).bind(micros(since) - micros(since).rem_euclid(POLL_BUCKET_SECONDS * 1_000_000))
            .fetch_all(p).await?);
        rows.into_iter()
            .map(|(target, b, ok, errors, timeouts, sum, max, last)| {
                Ok(PollSummary {
                    target,
                    bucket_start: from_micros(b)?,
                    ok: u64::try_from(ok).unwrap_or(0),
                    errors: u64::try_from(errors).unwrap_or(0),
                    timeouts: u64::try_from(timeouts).unwrap_or(0),
                    duration_sum_ms: sum,
                    duration_max_ms: max,
                    last_at: from_micros(last)?,
                })
            })
            .collect()
    }
}
