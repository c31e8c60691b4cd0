//! Maintenance windows: create, list, end early.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use ispvm_model::{EntityId, MaintenanceWindow, TenantId};

use crate::audit::{ensure_tenant, insert_audit};
use crate::store::{begin_write, from_micros, micros, on_pool};
use crate::{Store, StoreError};

/// A stored maintenance window.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredMaintenance {
    /// The window's id within the store.
    pub id: i64,
    /// The window as planned (entities, start, end, reason).
    pub planned: MaintenanceWindow,
    /// When an operator ended it early, if they did.
    pub ended_early_at: Option<DateTime<Utc>>,
    /// Who created it.
    pub created_by: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl StoredMaintenance {
    /// The window in force: the planned one, cut at `ended_early_at`; `None` when it was ended
    /// before it started (cancelled).
    #[must_use]
    pub fn effective(&self) -> Option<MaintenanceWindow> {
        match self.ended_early_at {
            None => Some(self.planned.clone()),
            Some(end) if end >= self.planned.end() => Some(self.planned.clone()),
            Some(end) => {
                let w = MaintenanceWindow::new(
                    self.planned.entities().to_vec(),
                    self.planned.start(),
                    end,
                )
                .ok()?;
                Some(match self.planned.reason() {
                    Some(r) => w.with_reason(r),
                    None => w,
                })
            }
        }
    }
}

/// Which windows [`Store::maintenance_windows`] lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WindowFilter {
    /// Every stored window.
    All,
    /// Windows whose effective end is after this instant (active or future).
    EndingAfter(DateTime<Utc>),
}

type WindowRow = (i64, i64, i64, Option<String>, i64, String, Option<i64>);

impl Store {
    /// Stores a maintenance window and an audit entry (`maintenance.create`) by `actor`; returns
    /// its id.
    ///
    /// # Errors
    /// Database errors.
    ///
    /// # Examples
    /// ```
    /// use ispvm_model::MaintenanceWindow;
    /// use ispvm_store::{Store, WindowFilter};
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let store = Store::open_data_dir(dir.path()).await?;
    /// let tenant = "demo-isp".parse()?;
    /// let w = MaintenanceWindow::new(vec!["agg2".parse()?], "2026-03-14T22:00:00Z".parse()?, "2026-03-15T02:00:00Z".parse()?)?;
    /// let id = store.create_maintenance(&tenant, &w, "alice", "2026-03-14T12:00:00Z".parse()?).await?;
    /// store.end_maintenance(&tenant, id, "alice", "2026-03-14T23:00:00Z".parse()?).await?;
    /// let stored = store.maintenance_windows(&tenant, WindowFilter::All).await?;
    /// assert_eq!(stored[0].effective().unwrap().end(), "2026-03-14T23:00:00Z".parse::<chrono::DateTime<chrono::Utc>>()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn create_maintenance(
        &self,
        tenant: &TenantId,
        window: &MaintenanceWindow,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let t = tenant.as_str();
        let detail =
            serde_json::to_string(window).map_err(|e| StoreError::Invalid(e.to_string()))?;
        on_pool!(self, p => {
            let mut tx = begin_write!(p);
            ensure_tenant!(tx, t);
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO maintenance_windows (tenant_id, starts_at, ends_at, reason, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
                .bind(t).bind(micros(window.start())).bind(micros(window.end()))
                .bind(window.reason()).bind(micros(now)).bind(actor)
                .fetch_one(&mut *tx).await?;
            for (pos, e) in window.entities().iter().enumerate() {
                sqlx::query("INSERT INTO maintenance_window_entities (window_id, position, entity_id) VALUES ($1, $2, $3)")
                    .bind(id).bind(pos as i64).bind(e.as_str()).execute(&mut *tx).await?;
            }
            insert_audit!(tx, t, micros(now), actor, "maintenance.create", id.to_string(), detail);
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Ends a window early at `at` (a window ended before its start is cancelled), with an audit
    /// entry (`maintenance.end`). Ending an already ended window keeps the earlier end.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown window of this tenant; database errors.
    pub async fn end_maintenance(
        &self,
        tenant: &TenantId,
        id: i64,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let t = tenant.as_str();
        on_pool!(self, p => {
            let mut tx = begin_write!(p);
            let n = sqlx::query(
                "UPDATE maintenance_windows SET ended_early_at = CASE \
                 WHEN ended_early_at IS NOT NULL AND ended_early_at <= $3 THEN ended_early_at ELSE $3 END \
                 WHERE tenant_id = $1 AND id = $2")
                .bind(t).bind(id).bind(micros(at)).execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound { what: "maintenance window", id: id.to_string() });
            }
            insert_audit!(tx, t, micros(at), actor, "maintenance.end", id.to_string(), "{}");
            tx.commit().await?;
            Ok(())
        })
    }

    /// The tenant's maintenance windows, by start time.
    ///
    /// # Errors
    /// Database errors; [`StoreError::Corrupt`] when a row does not decode.
    pub async fn maintenance_windows(
        &self,
        tenant: &TenantId,
        filter: WindowFilter,
    ) -> Result<Vec<StoredMaintenance>, StoreError> {
        let t = tenant.as_str();
        let after = match filter {
            WindowFilter::All => i64::MIN,
            WindowFilter::EndingAfter(at) => micros(at),
        };
        let (rows, members): (Vec<WindowRow>, Vec<(i64, String)>) = on_pool!(self, p => {
            let rows: Vec<WindowRow> = sqlx::query_as(
                "SELECT id, starts_at, ends_at, reason, created_at, created_by, ended_early_at FROM maintenance_windows \
                 WHERE tenant_id = $1 AND COALESCE(ended_early_at, ends_at) > $2 ORDER BY starts_at, id")
                .bind(t).bind(after).fetch_all(p).await?;
            let members: Vec<(i64, String)> = sqlx::query_as(
                "SELECT e.window_id, e.entity_id FROM maintenance_window_entities e \
                 JOIN maintenance_windows w ON w.id = e.window_id \
                 WHERE w.tenant_id = $1 AND COALESCE(w.ended_early_at, w.ends_at) > $2 ORDER BY e.window_id, e.position")
                .bind(t).bind(after).fetch_all(p).await?;
            (rows, members)
        });
        let mut by_window: HashMap<i64, Vec<EntityId>> = HashMap::new();
        for (w, e) in members {
            let e = e
                .parse()
                .map_err(|e| StoreError::corrupt(format!("window entity: {e}")))?;
            by_window.entry(w).or_default().push(e);
        }
        rows.into_iter()
            .map(|(id, start, end, reason, created_at, created_by, ended)| {
                let w = MaintenanceWindow::new(
                    by_window.remove(&id).unwrap_or_default(),
                    from_micros(start)?,
                    from_micros(end)?,
                )
                .map_err(|e| StoreError::corrupt(format!("window {id}: {e}")))?;
                Ok(StoredMaintenance {
                    id,
                    planned: match reason {
                        Some(r) => w.with_reason(r),
                        None => w,
                    },
                    ended_early_at: ended.map(from_micros).transpose()?,
                    created_by,
                    created_at: from_micros(created_at)?,
                })
            })
            .collect()
    }
}
