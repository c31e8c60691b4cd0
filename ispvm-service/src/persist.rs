//! A tenant's state in [`ispvm_store`]: incident records, feedback, learned weights,
//! maintenance windows and the audit log survive a restart (or a crash) of the agent.
//!
//! ```text
//! start:   Store ── weights ──> Pipeline::set_weights
//!                ── maintenance windows still in force ──> Pipeline::set_maintenance
//!                ── open incidents ──> IdMap (pending, held open for the grace period)
//! each evaluation: Pipeline::snapshot ── IdMap (stored ids) ──> Store::apply_analysis ──> view
//! feedback, windows: Store first (committed), then the pipeline, then the answer
//! ```
//!
//! **Incident ids across a restart.** The engine names an incident after the start of its
//! earliest cause's failure run as it observed it, so after a restart it gives a still-open
//! incident a new id and a later `opened_at`. [`IdMap`] keeps the stored ones: an incident the
//! engine reports that it has not seen before takes the id and `opened_at` of a stored open
//! incident with the **same primary cause**, else of one that **shares a root cause** with it
//! (stored incidents are matched at most once, in `opened_at` order). Stored open incidents
//! are held open for a grace period after the first evaluation ([`grace`]: four fast
//! intervals, at least 30 s), time for the engine to observe them again; those not
//! re-discovered by then are closed at that evaluation's time.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use ispvm_http::{AuditAction, AuditEntry, Window, WindowKind, WindowRequest};
use ispvm_model::{EntityId, Incident, MaintenanceWindow, TenantId};
use ispvm_rca::{EvidenceKind, Weights};
use ispvm_schemas::analysis::AnalysisDocument;
use ispvm_schemas::incident::IncidentRecord;
use ispvm_store::{StateFilter, Store, StoreError, WindowFilter};

/// The shortest time stored open incidents are held open after a restart.
pub const MIN_GRACE: Duration = Duration::from_secs(30);

/// Most closed incidents the API lists at once (the newest).
pub const CLOSED_PAGE: u32 = 5_000;

/// How long stored open incidents are held open after a restart, waiting for the engine to
/// observe them again: four fast intervals, at least [`MIN_GRACE`].
///
/// # Examples
/// ```
/// use std::time::Duration;
/// assert_eq!(ispvm_service::persist::grace(Duration::from_secs(5)), Duration::from_secs(30));
/// assert_eq!(ispvm_service::persist::grace(Duration::from_secs(30)), Duration::from_secs(120));
/// ```
#[must_use]
pub fn grace(fast: Duration) -> Duration {
    fast.saturating_mul(4).max(MIN_GRACE)
}

/// The stable name of an evidence kind in the store (`uplink_interface_down`, ...).
///
/// # Examples
/// ```
/// use ispvm_rca::EvidenceKind;
/// assert_eq!(ispvm_service::persist::weight_key(EvidenceKind::UplinkInterfaceDown), "uplink_interface_down");
/// assert_eq!(ispvm_service::persist::weight_key(EvidenceKind::ApiUnreachablePingOk), "api_unreachable_ping_ok");
/// ```
#[must_use]
pub fn weight_key(kind: EvidenceKind) -> String {
    let mut out = String::new();
    for (i, c) in format!("{kind:?}").chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The weights as the store keeps them.
fn weight_rows(w: &Weights) -> Vec<(String, f64)> {
    EvidenceKind::ALL
        .iter()
        .map(|k| (weight_key(*k), w.get(*k)))
        .collect()
}

/// Weights from stored rows (unknown names ignored, missing ones at their default).
fn weights_from(rows: &BTreeMap<String, f64>) -> Weights {
    let mut w = Weights::default();
    for k in EvidenceKind::ALL {
        if let Some(v) = rows.get(&weight_key(k)).filter(|v| v.is_finite()) {
            w.set(k, *v);
        }
    }
    w
}

/// Maps the engine's incident ids onto the stored ones across a restart (see the module
/// documentation).
#[derive(Debug, Clone)]
pub struct IdMap {
    /// Engine id -> (stored id, stored `opened_at`), while the engine reports it.
    renamed: BTreeMap<String, (String, DateTime<Utc>)>,
    /// Stored open incidents not matched yet, oldest first.
    pending: Vec<Incident>,
    /// Held open until this evaluation time (set at the first evaluation).
    hold_until: Option<DateTime<Utc>>,
    grace: Duration,
}

fn primary(i: &Incident) -> Option<&EntityId> {
    i.primary().map(|c| &c.entity)
}

fn shares_cause(a: &Incident, b: &Incident) -> bool {
    a.root_causes
        .iter()
        .any(|x| b.root_causes.iter().any(|y| x.entity == y.entity))
}

impl IdMap {
    /// A map holding `stored_open` (the store's open incidents) for `grace` after the first
    /// evaluation.
    #[must_use]
    pub fn new(mut stored_open: Vec<Incident>, grace: Duration) -> Self {
        stored_open.sort_by(|a, b| (a.opened_at, &a.id).cmp(&(b.opened_at, &b.id)));
        Self {
            renamed: BTreeMap::new(),
            pending: stored_open,
            hold_until: None,
            grace,
        }
    }

    /// Gives the incidents of an evaluation at `at` their stored ids and `opened_at`, and
    /// returns the stored open incidents still held open (not matched, grace not over), to be
    /// kept open in the store.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use ispvm_model::{CauseKind, CauseRole, Confidence, Incident, RootCause};
    /// use ispvm_service::persist::IdMap;
    /// let cause = |e: &str| RootCause::new(e.parse().unwrap(), CauseRole::Primary, CauseKind::Failure, Confidence::saturating(0.9), vec![]);
    /// let before = "2026-03-14T09:00:00Z".parse()?;
    /// let stored = Incident::new("inc-old", before, vec![cause("agg2")], vec![], 40, "agg2 down");
    /// let mut map = IdMap::new(vec![stored], Duration::from_secs(30));
    /// let after = "2026-03-14T10:00:00Z".parse()?;
    /// let mut now = vec![Incident::new("inc-new", after, vec![cause("agg2")], vec![], 40, "agg2 down")];
    /// assert!(map.apply(&mut now, after).is_empty());
    /// assert_eq!((now[0].id.as_str(), now[0].opened_at), ("inc-old", before));
    /// assert_eq!(map.engine_id("inc-old"), "inc-new");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn apply(&mut self, incidents: &mut [Incident], at: DateTime<Utc>) -> Vec<Incident> {
        let grace = chrono::Duration::from_std(self.grace).unwrap_or(chrono::Duration::MAX);
        let hold_until = *self
            .hold_until
            .get_or_insert_with(|| at.checked_add_signed(grace).unwrap_or(at));
        let present: BTreeSet<&str> = incidents.iter().map(|i| i.id.as_str()).collect();
        self.renamed.retain(|e, _| present.contains(e.as_str()));
        // A stored incident the engine names with the same id (its failure began in the same
        // second) continues under it, with its stored opening time.
        let mut i = 0;
        while i < self.pending.len() {
            if present.contains(self.pending[i].id.as_str()) {
                let p = self.pending.remove(i);
                self.renamed.insert(p.id.clone(), (p.id, p.opened_at));
            } else {
                i += 1;
            }
        }
        let taken: BTreeSet<String> = self.renamed.values().map(|(s, _)| s.clone()).collect();
        for i in incidents.iter_mut() {
            if !self.renamed.contains_key(&i.id) {
                let pos = self
                    .pending
                    .iter()
                    .position(|p| primary(p).is_some() && primary(p) == primary(i))
                    .or_else(|| self.pending.iter().position(|p| shares_cause(p, i)));
                if let Some(p) = pos.map(|pos| self.pending.remove(pos)) {
                    if !taken.contains(&p.id) {
                        self.renamed.insert(i.id.clone(), (p.id, p.opened_at));
                    }
                }
            }
            if let Some((id, opened_at)) = self.renamed.get(&i.id) {
                i.id.clone_from(id);
                i.opened_at = *opened_at;
            }
        }
        if at >= hold_until {
            self.pending.clear();
        }
        self.pending.clone()
    }

    /// The engine's id of an incident known by its stored id (the same id when not renamed).
    #[must_use]
    pub fn engine_id<'a>(&'a self, public: &'a str) -> &'a str {
        self.renamed
            .iter()
            .find(|(_, (stored, _))| stored == public)
            .map_or(public, |(engine, _)| engine.as_str())
    }
}

/// What a tenant restores from the store at start.
#[derive(Debug)]
pub(crate) struct Restored {
    pub(crate) weights: Weights,
    pub(crate) windows: Vec<Window>,
}

/// A tenant's handle onto the store, owned by its task.
#[derive(Debug)]
pub(crate) struct Persist {
    store: Store,
    tenant: TenantId,
    ids: IdMap,
}

/// The API id of a stored maintenance window.
fn window_id(id: i64) -> String {
    format!("mw{id}")
}

/// The stored id of a maintenance window's API id.
fn stored_window_id(id: &str) -> Option<i64> {
    id.strip_prefix("mw")?.parse().ok()
}

impl Persist {
    /// Reads what the tenant restores: open incidents (into the id map), weights, windows in
    /// force at `now`.
    pub(crate) async fn load(
        store: Store,
        tenant: TenantId,
        fast: Duration,
        now: DateTime<Utc>,
    ) -> Result<(Self, Restored), StoreError> {
        let open: Vec<Incident> = store
            .incidents(&tenant, StateFilter::Open)
            .await?
            .into_iter()
            .map(|r| r.incident)
            .collect();
        let weights = weights_from(&store.weights(&tenant).await?);
        let windows = store
            .maintenance_windows(&tenant, WindowFilter::EndingAfter(now))
            .await?
            .into_iter()
            .filter_map(|w| {
                let effective = w.effective()?;
                let mut request = WindowRequest::new(
                    effective.entities().to_vec(),
                    Some(effective.start()),
                    effective.end(),
                );
                if let Some(r) = effective.reason() {
                    request = request.with_reason(r);
                }
                let mut window = Window::from_request(
                    window_id(w.id),
                    WindowKind::Maintenance,
                    &request,
                    w.created_by,
                    w.created_at,
                );
                window.ended_early_at = w.ended_early_at;
                Some(window)
            })
            .collect();
        tracing::info!(tenant = %tenant, open = open.len(), "tenant state restored from the store");
        let p = Self {
            store,
            tenant,
            ids: IdMap::new(open, grace(fast)),
        };
        Ok((p, Restored { weights, windows }))
    }

    /// Gives the analysis' incidents their stored ids and applies it to the store (incidents
    /// held open are kept open there). A failure is logged: the next evaluation applies the
    /// whole state again.
    pub(crate) async fn record(&mut self, analysis: &mut AnalysisDocument) {
        let held = self
            .ids
            .apply(&mut analysis.incidents, analysis.evaluated_at);
        let result = if held.is_empty() {
            self.store.apply_analysis(&self.tenant, analysis).await
        } else {
            let mut doc = analysis.clone();
            doc.incidents.extend(held);
            self.store.apply_analysis(&self.tenant, &doc).await
        };
        match result {
            Ok(changes) if !changes.is_empty() => {
                tracing::debug!(tenant = %self.tenant, opened = ?changes.opened, closed = ?changes.closed, "incidents stored");
            }
            Ok(_) => {}
            Err(e @ StoreError::StaleAnalysis { .. }) => {
                tracing::debug!(tenant = %self.tenant, error = %e, "stale analysis not stored");
            }
            Err(e) => {
                tracing::warn!(tenant = %self.tenant, error = %e, retryable = e.is_retryable(), "analysis not stored");
            }
        }
    }

    /// The engine's id of an incident's stored id.
    pub(crate) fn engine_id<'a>(&'a self, public: &'a str) -> &'a str {
        self.ids.engine_id(public)
    }

    /// Stores a feedback label (with its history and audit entries).
    pub(crate) async fn set_feedback(
        &self,
        incident: &str,
        cause: &EntityId,
        at: DateTime<Utc>,
        actor: &str,
    ) -> Result<(), StoreError> {
        self.store
            .set_feedback(&self.tenant, incident, cause, at, actor)
            .await
            .map(|_| ())
    }

    /// Stores the learned weights.
    pub(crate) async fn save_weights(
        &self,
        weights: &Weights,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.store
            .save_weights(&self.tenant, &weight_rows(weights), at)
            .await
    }

    /// Stores a maintenance window (with its audit entry); returns its API id.
    pub(crate) async fn create_window(
        &self,
        window: &MaintenanceWindow,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        let id = self
            .store
            .create_maintenance(&self.tenant, window, actor, now)
            .await?;
        Ok(window_id(id))
    }

    /// Ends a stored maintenance window early (with its audit entry); `false` when the id is
    /// not a stored window's.
    pub(crate) async fn end_window(
        &self,
        id: &str,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let Some(n) = stored_window_id(id) else {
            return Ok(false);
        };
        match self.store.end_maintenance(&self.tenant, n, actor, at).await {
            Ok(()) => Ok(true),
            Err(StoreError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// The store's name of an audit action: its API name (`silence_created`, `fault_created`...).
fn action_name(action: AuditAction) -> String {
    match serde_json::to_value(action) {
        Ok(serde_json::Value::String(s)) => s,
        _ => format!("{action:?}"),
    }
}

/// Appends an API audit entry to the store's log.
///
/// # Errors
/// Database errors.
pub(crate) async fn record_audit(
    store: &Store,
    tenant: &TenantId,
    entry: &AuditEntry,
) -> Result<(), StoreError> {
    store
        .record_audit(
            tenant,
            entry.at,
            &entry.actor,
            &action_name(entry.action),
            &entry.target,
            serde_json::json!({ "detail": entry.detail }),
        )
        .await
        .map(|_| ())
}

/// The API's view of a stored audit entry: the store's own actions (`incident.feedback`,
/// `maintenance.create`, `maintenance.end`) and the API's names; `None` for other actions
/// (e.g. `topology.apply` of another tool).
fn audit_from_store(e: ispvm_store::AuditEntry) -> Option<AuditEntry> {
    audit_view(e.at, e.actor, &e.action, e.target, &e.detail)
}

fn audit_view(
    at: DateTime<Utc>,
    actor: String,
    action: &str,
    target: String,
    detail: &serde_json::Value,
) -> Option<AuditEntry> {
    let text = |k: &str| detail.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    let (action, line) = match action {
        "incident.feedback" => (
            AuditAction::Feedback,
            format!("true cause {}", text("true_cause").unwrap_or_default()),
        ),
        "maintenance.create" => {
            let line = match serde_json::from_value::<MaintenanceWindow>(detail.clone()) {
                Ok(w) => {
                    let entities: Vec<&str> = w.entities().iter().map(EntityId::as_str).collect();
                    format!("{} until {}", entities.join(", "), w.end())
                }
                Err(_) => String::new(),
            };
            (AuditAction::MaintenanceCreated, line)
        }
        "maintenance.end" => (AuditAction::MaintenanceEnded, "ended early".to_owned()),
        other => (
            serde_json::from_value(serde_json::Value::String(other.to_owned())).ok()?,
            text("detail").unwrap_or_default(),
        ),
    };
    let target = match action {
        AuditAction::MaintenanceCreated | AuditAction::MaintenanceEnded => {
            match target.parse::<i64>() {
                Ok(n) => window_id(n),
                Err(_) => target,
            }
        }
        _ => target,
    };
    Some(AuditEntry::new(at, actor, action, target, line))
}

/// The newest `limit` audit entries of the tenant as the API shows them, newest first.
///
/// # Errors
/// Database errors.
pub(crate) async fn audit_log(
    store: &Store,
    tenant: &TenantId,
    limit: usize,
) -> Result<Vec<AuditEntry>, StoreError> {
    let limit = u32::try_from(limit).unwrap_or(u32::MAX);
    Ok(store
        .audit_log(tenant, limit)
        .await?
        .into_iter()
        .filter_map(audit_from_store)
        .collect())
}

/// The tenant's incident records for the API, newest `opened_at` first: every open one, and
/// the newest [`CLOSED_PAGE`] closed ones.
///
/// # Errors
/// Database errors.
pub(crate) async fn incidents(
    store: &Store,
    tenant: &TenantId,
    open: bool,
    closed: bool,
) -> Result<Vec<IncidentRecord>, StoreError> {
    let mut out = Vec::new();
    if open {
        out.extend(store.incidents(tenant, StateFilter::Open).await?);
    }
    if closed {
        out.extend(
            store
                .latest_incidents(tenant, StateFilter::Closed, CLOSED_PAGE)
                .await?,
        );
    }
    out.sort_by(|a, b| {
        (b.incident.opened_at, &b.incident.id).cmp(&(a.incident.opened_at, &a.incident.id))
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ispvm_model::{CauseKind, CauseRole, Confidence, RootCause};

    fn cause(e: &str, role: CauseRole) -> RootCause {
        RootCause::new(
            e.parse().unwrap(),
            role,
            CauseKind::Failure,
            Confidence::saturating(0.9),
            vec![],
        )
    }

    fn inc(id: &str, at: &str, causes: &[(&str, CauseRole)]) -> Incident {
        Incident::new(
            id,
            at.parse().unwrap(),
            causes.iter().map(|(e, r)| cause(e, *r)).collect(),
            vec![],
            1,
            "s",
        )
    }

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    use CauseRole::{Contributing, Primary};

    #[test]
    fn the_same_primary_cause_wins_over_a_shared_contributing_cause() {
        let stored = vec![
            inc(
                "inc-a",
                "2026-03-14T09:00:00Z",
                &[("agg3", Primary), ("agg2", Contributing)],
            ),
            inc("inc-b", "2026-03-14T09:01:00Z", &[("agg2", Primary)]),
        ];
        let mut map = IdMap::new(stored, Duration::from_secs(30));
        let mut now = vec![inc("inc-x", "2026-03-14T10:00:00Z", &[("agg2", Primary)])];
        let held = map.apply(&mut now, t("2026-03-14T10:00:05Z"));
        assert_eq!(now[0].id, "inc-b");
        assert_eq!(now[0].opened_at, t("2026-03-14T09:01:00Z"));
        assert_eq!(held.len(), 1);
        assert_eq!(held[0].id, "inc-a");
        // Later the engine reports inc-a's causes under another engine id: shared cause.
        let mut now = vec![
            inc("inc-x", "2026-03-14T10:00:00Z", &[("agg2", Primary)]),
            inc(
                "inc-y",
                "2026-03-14T10:00:10Z",
                &[("agg4", Primary), ("agg3", Contributing)],
            ),
        ];
        let held = map.apply(&mut now, t("2026-03-14T10:00:10Z"));
        assert!(held.is_empty());
        assert_eq!(
            now.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
            ["inc-b", "inc-a"]
        );
        assert_eq!(map.engine_id("inc-a"), "inc-y");
        assert_eq!(map.engine_id("inc-b"), "inc-x");
        assert_eq!(map.engine_id("inc-other"), "inc-other");
    }

    #[test]
    fn unmatched_stored_incidents_are_held_for_the_grace_period_only() {
        let stored = vec![inc("inc-a", "2026-03-14T09:00:00Z", &[("agg2", Primary)])];
        let mut map = IdMap::new(stored, Duration::from_secs(30));
        let mut none: Vec<Incident> = vec![];
        assert_eq!(map.apply(&mut none, t("2026-03-14T10:00:00Z")).len(), 1);
        assert_eq!(map.apply(&mut none, t("2026-03-14T10:00:29Z")).len(), 1);
        assert!(map.apply(&mut none, t("2026-03-14T10:00:30Z")).is_empty());
        // Too late: a re-discovered incident keeps the engine's id.
        let mut now = vec![inc("inc-x", "2026-03-14T10:00:31Z", &[("agg2", Primary)])];
        assert!(map.apply(&mut now, t("2026-03-14T10:00:31Z")).is_empty());
        assert_eq!(now[0].id, "inc-x");
    }

    #[test]
    fn a_renamed_incident_keeps_its_stored_id_until_the_engine_closes_it() {
        let stored = vec![inc("inc-a", "2026-03-14T09:00:00Z", &[("agg2", Primary)])];
        let mut map = IdMap::new(stored, Duration::from_secs(30));
        let engine = || vec![inc("inc-x", "2026-03-14T10:00:00Z", &[("agg2", Primary)])];
        for s in 0..100 {
            let mut now = engine();
            let at = t("2026-03-14T10:00:00Z") + chrono::Duration::seconds(s);
            map.apply(&mut now, at);
            assert_eq!(now[0].id, "inc-a");
        }
        let mut none: Vec<Incident> = vec![];
        map.apply(&mut none, t("2026-03-14T10:10:00Z"));
        // Closed by the engine: a new incident on the same cause is a new incident.
        let mut now = vec![inc("inc-z", "2026-03-14T10:11:00Z", &[("agg2", Primary)])];
        map.apply(&mut now, t("2026-03-14T10:11:00Z"));
        assert_eq!(now[0].id, "inc-z");
        assert_eq!(map.engine_id("inc-a"), "inc-a");
    }

    #[test]
    fn a_stored_incident_the_engine_names_alike_is_not_matched_twice() {
        let stored = vec![inc("inc-a", "2026-03-14T09:00:00Z", &[("agg2", Primary)])];
        let mut map = IdMap::new(stored, Duration::from_secs(30));
        let mut now = vec![
            inc("inc-a", "2026-03-14T09:00:00Z", &[("agg2", Primary)]),
            inc("inc-x", "2026-03-14T10:00:00Z", &[("agg2", Contributing)]),
        ];
        now[0].opened_at = t("2026-03-14T09:00:00.5Z");
        assert!(map.apply(&mut now, t("2026-03-14T10:00:00Z")).is_empty());
        assert_eq!(
            now.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
            ["inc-a", "inc-x"]
        );
        // The engine's opening time within that second gives way to the stored one.
        assert_eq!(now[0].opened_at, t("2026-03-14T09:00:00Z"));
    }

    #[test]
    fn weights_round_trip_through_their_stored_names() {
        let mut w = Weights::default();
        w.set(EvidenceKind::Unreachable, 9.5);
        let rows: BTreeMap<String, f64> = weight_rows(&w).into_iter().collect();
        assert_eq!(rows.len(), EvidenceKind::ALL.len());
        assert_eq!(rows["unreachable"], 9.5);
        assert_eq!(weights_from(&rows), w);
        let mut odd = rows.clone();
        odd.insert("from_the_future".into(), 1.0);
        odd.insert("flapping".into(), f64::NAN);
        assert_eq!(
            weights_from(&odd).get(EvidenceKind::Flapping),
            Weights::default().get(EvidenceKind::Flapping)
        );
    }

    #[test]
    fn stored_audit_entries_read_as_the_api_names_them() {
        let entry = |action: &str, target: &str, detail: serde_json::Value| {
            audit_view(
                t("2026-03-14T10:00:00Z"),
                "alice".into(),
                action,
                target.into(),
                &detail,
            )
        };
        let f = entry(
            "incident.feedback",
            "inc-a",
            serde_json::json!({"true_cause": "agg2"}),
        )
        .unwrap();
        assert_eq!(
            (f.action, f.target.as_str(), f.detail.as_str()),
            (AuditAction::Feedback, "inc-a", "true cause agg2")
        );
        let m = entry("maintenance.end", "7", serde_json::json!({})).unwrap();
        assert_eq!(
            (m.action, m.target.as_str()),
            (AuditAction::MaintenanceEnded, "mw7")
        );
        let s = entry(
            "silence_created",
            "sl1",
            serde_json::json!({"detail": "agg2 until x"}),
        )
        .unwrap();
        assert_eq!(
            (s.action, s.detail.as_str()),
            (AuditAction::SilenceCreated, "agg2 until x")
        );
        assert!(entry("topology.apply", "", serde_json::json!({})).is_none());
        assert_eq!(action_name(AuditAction::FaultCreated), "fault_created");
    }
}
