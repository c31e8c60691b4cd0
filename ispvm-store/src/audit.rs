//! The per-tenant audit log of operator actions.

use chrono::{DateTime, Utc};
use ispvm_model::TenantId;

use crate::store::{begin_write, from_micros, micros, on_pool};
use crate::{Store, StoreError};

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuditEntry {
    /// Its sequence number (increasing within the store).
    pub id: i64,
    /// When the action happened.
    pub at: DateTime<Utc>,
    /// Who acted: a token's name or a user, never a secret.
    pub actor: String,
    /// What was done, dotted (`incident.feedback`, `maintenance.create`, `maintenance.end`,
    /// `topology.apply`, or the caller's own names).
    pub action: String,
    /// What it was done to (an incident id, a window id...).
    pub target: String,
    /// Details as a JSON object.
    pub detail: serde_json::Value,
}

/// Inserts one audit row inside an open transaction `$tx` (both backends).
macro_rules! insert_audit {
    ($tx:ident, $tenant:expr, $at:expr, $actor:expr, $action:expr, $target:expr, $detail:expr) => {
        sqlx::query(
            "INSERT INTO audit_log (tenant_id, at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind($tenant)
        .bind($at)
        .bind($actor)
        .bind($action)
        .bind($target)
        .bind($detail)
        .execute(&mut *$tx)
        .await?
    };
}
pub(crate) use insert_audit;

/// Inserts the tenant row if missing inside an open transaction `$tx`.
macro_rules! ensure_tenant {
    ($tx:ident, $tenant:expr) => {
        sqlx::query(
            "INSERT INTO tenants (id, created_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
        )
        .bind($tenant)
        .bind($crate::store::micros(chrono::Utc::now()))
        .execute(&mut *$tx)
        .await?
    };
}
pub(crate) use ensure_tenant;

impl Store {
    /// Appends an operator action to the tenant's audit log. Feedback, maintenance and topology
    /// writes of this crate record their own entries; call this for actions taken elsewhere
    /// (a fault injected, a token used to reconfigure...). `actor` must not be a secret.
    ///
    /// # Errors
    /// Database errors.
    ///
    /// # Examples
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let store = ispvm_store::Store::open_data_dir(dir.path()).await?;
    /// let tenant = "demo-isp".parse()?;
    /// let at = "2026-03-14T09:05:00Z".parse()?;
    /// store.record_audit(&tenant, at, "ops-token", "sim.fault", "agg2", serde_json::json!({"fault": "power_off"})).await?;
    /// let log = store.audit_log(&tenant, 10).await?;
    /// assert_eq!(log[0].action, "sim.fault");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn record_audit(
        &self,
        tenant: &TenantId,
        at: DateTime<Utc>,
        actor: &str,
        action: &str,
        target: &str,
        detail: serde_json::Value,
    ) -> Result<i64, StoreError> {
        let t = tenant.as_str();
        let detail = detail.to_string();
        on_pool!(self, p => {
            let mut tx = begin_write!(p);
            ensure_tenant!(tx, t);
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO audit_log (tenant_id, at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
                .bind(t).bind(micros(at)).bind(actor).bind(action).bind(target).bind(&detail)
                .fetch_one(&mut *tx).await?;
            tx.commit().await?;
            Ok(id)
        })
    }

    /// The tenant's newest `limit` audit entries, newest first.
    ///
    /// # Errors
    /// Database errors; [`StoreError::Corrupt`] when a row does not decode.
    pub async fn audit_log(
        &self,
        tenant: &TenantId,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let t = tenant.as_str();
        let rows: Vec<(i64, i64, String, String, String, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, at, actor, action, target, detail FROM audit_log WHERE tenant_id = $1 ORDER BY id DESC LIMIT $2")
            .bind(t).bind(i64::from(limit)).fetch_all(p).await?);
        rows.into_iter()
            .map(|(id, at, actor, action, target, detail)| {
                Ok(AuditEntry {
                    id,
                    at: from_micros(at)?,
                    actor,
                    action,
                    target,
                    detail: serde_json::from_str(&detail)
                        .map_err(|e| StoreError::corrupt(format!("audit detail: {e}")))?,
                })
            })
            .collect()
    }
}
