//! Incidents: applying an analysis (open, change, close), reading incident records, feedback.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use ispvm_model::{
    CauseKind, CauseRole, Confidence, EntityId, Evidence, Incident, RootCause, TenantId,
};
use ispvm_schemas::analysis::AnalysisDocument;
use ispvm_schemas::incident::{
    FeedbackLabel, IncidentChange, IncidentChangeKind, IncidentRecord, IncidentState,
};

use crate::store::{begin_write, from_micros, micros, on_pool, truncate};
use crate::{Store, StoreError};

/// Which incidents [`Store::incidents`] lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum StateFilter {
    /// Open incidents (default).
    #[default]
    Open,
    /// Closed incidents.
    Closed,
    /// Both.
    All,
}

impl StateFilter {
    /// Parses the API's `state` query value: `open`, `closed` or `all`.
    ///
    /// # Examples
    /// ```
    /// use ispvm_store::StateFilter;
    /// assert_eq!(StateFilter::parse("closed"), Some(StateFilter::Closed));
    /// assert_eq!(StateFilter::parse("nope"), None);
    /// ```
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(Self::Open),
            "closed" => Some(Self::Closed),
            "all" => Some(Self::All),
            _ => None,
        }
    }
}

/// One incident whose causes or impact changed in [`Store::apply_analysis`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IncidentUpdate {
    /// The incident id.
    pub id: String,
    /// What changed (`causes_changed`, `impact_changed`); empty when only details such as
    /// confidence, evidence or summary changed (stored, but not a history entry).
    pub changes: Vec<IncidentChangeKind>,
}

/// What [`Store::apply_analysis`] changed, ids in the analysis' order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct AppliedChanges {
    /// Incidents opened (new ids, or closed ids the analysis reports open again).
    pub opened: Vec<String>,
    /// Open incidents whose stored description changed.
    pub updated: Vec<IncidentUpdate>,
    /// Incidents closed because the analysis no longer lists them.
    pub closed: Vec<String>,
}

impl AppliedChanges {
    /// Whether nothing was written except the evaluation time.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.opened.is_empty() && self.updated.is_empty() && self.closed.is_empty()
    }
}

/// One incident row as stored, plus its causes (no history, no feedback).
#[derive(Debug, Clone)]
struct Stored {
    incident: Incident,
    state: IncidentState,
    closed_at: Option<DateTime<Utc>>,
}

type HeaderRow = (String, String, i64, Option<i64>, String, i64, String);
type CauseRow = (String, i64, String, String, String, f64, Option<String>);
type HistoryRow = (String, i64, i64, String, String);
type FeedbackRow = (String, String, i64);

fn role_str(r: CauseRole) -> &'static str {
    match r {
        CauseRole::Primary => "primary",
        _ => "contributing",
    }
}

fn kind_str(k: CauseKind) -> &'static str {
    match k {
        CauseKind::Failure => "failure",
        CauseKind::Maintenance => "maintenance",
        _ => "degradation",
    }
}

fn parse_role(s: &str) -> Result<CauseRole, StoreError> {
    match s {
        "primary" => Ok(CauseRole::Primary),
        "contributing" => Ok(CauseRole::Contributing),
        _ => Err(StoreError::corrupt(format!("cause role {s:?}"))),
    }
}

fn parse_kind(s: &str) -> Result<CauseKind, StoreError> {
    match s {
        "failure" => Ok(CauseKind::Failure),
        "maintenance" => Ok(CauseKind::Maintenance),
        "degradation" => Ok(CauseKind::Degradation),
        _ => Err(StoreError::corrupt(format!("cause kind {s:?}"))),
    }
}

fn parse_state(s: &str) -> Result<IncidentState, StoreError> {
    match s {
        "open" => Ok(IncidentState::Open),
        "closed" => Ok(IncidentState::Closed),
        _ => Err(StoreError::corrupt(format!("incident state {s:?}"))),
    }
}

fn change_str(c: IncidentChangeKind) -> &'static str {
    match c {
        IncidentChangeKind::Opened => "opened",
        IncidentChangeKind::CausesChanged => "causes_changed",
        IncidentChangeKind::ImpactChanged => "impact_changed",
        IncidentChangeKind::Feedback => "feedback",
        _ => "closed",
    }
}

fn parse_change(s: &str) -> Result<IncidentChangeKind, StoreError> {
    match s {
        "opened" => Ok(IncidentChangeKind::Opened),
        "causes_changed" => Ok(IncidentChangeKind::CausesChanged),
        "impact_changed" => Ok(IncidentChangeKind::ImpactChanged),
        "feedback" => Ok(IncidentChangeKind::Feedback),
        "closed" => Ok(IncidentChangeKind::Closed),
        _ => Err(StoreError::corrupt(format!("history change {s:?}"))),
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Invalid(e.to_string()))
}

fn header_to_stored(row: HeaderRow) -> Result<(String, Stored), StoreError> {
    let (id, state, opened_at, closed_at, summary, subs, impacted) = row;
    let impacted: Vec<EntityId> = serde_json::from_str(&impacted)
        .map_err(|e| StoreError::corrupt(format!("impacted: {e}")))?;
    let incident = Incident::new(
        id.clone(),
        from_micros(opened_at)?,
        Vec::new(),
        impacted,
        u64::try_from(subs).unwrap_or(0),
        summary,
    );
    Ok((
        id,
        Stored {
            incident,
            state: parse_state(&state)?,
            closed_at: closed_at.map(from_micros).transpose()?,
        },
    ))
}

fn cause_from_row(row: &CauseRow) -> Result<RootCause, StoreError> {
    let (_, _, entity, role, kind, confidence, evidence) = row;
    let evidence: Vec<Evidence> = match evidence {
        Some(json) => {
            serde_json::from_str(json).map_err(|e| StoreError::corrupt(format!("evidence: {e}")))?
        }
        None => Vec::new(),
    };
    Ok(RootCause::new(
        entity
            .parse()
            .map_err(|e| StoreError::corrupt(format!("cause entity: {e}")))?,
        parse_role(role)?,
        parse_kind(kind)?,
        Confidence::saturating(*confidence),
        evidence,
    ))
}

/// Attaches causes (ordered by incident then position) to their incidents.
fn attach_causes(
    stored: &mut HashMap<String, Stored>,
    causes: &[CauseRow],
) -> Result<(), StoreError> {
    for row in causes {
        if let Some(s) = stored.get_mut(&row.0) {
            s.incident.root_causes.push(cause_from_row(row)?);
        }
    }
    Ok(())
}

/// The comparable identity of an incident's causes: (entity, role, kind) in order.
fn causes_key(i: &Incident) -> Vec<(&str, CauseRole, CauseKind)> {
    i.root_causes
        .iter()
        .map(|c| (c.entity.as_str(), c.role, c.kind))
        .collect()
}

fn describe_causes(old: &Incident, new: &Incident) -> String {
    let before: BTreeSet<&str> = old.root_causes.iter().map(|c| c.entity.as_str()).collect();
    let after: BTreeSet<&str> = new.root_causes.iter().map(|c| c.entity.as_str()).collect();
    let mut parts = Vec::new();
    for c in &new.root_causes {
        if !before.contains(c.entity.as_str()) {
            parts.push(format!("{} joined as {} cause", c.entity, role_str(c.role)));
        }
    }
    for c in &old.root_causes {
        if !after.contains(c.entity.as_str()) {
            parts.push(format!("{} left the causes", c.entity));
        }
    }
    let p_old = old.primary().map(|c| c.entity.as_str());
    let p_new = new.primary().map(|c| c.entity.as_str());
    if p_old != p_new {
        parts.push(format!(
            "primary cause {} -> {}",
            p_old.unwrap_or("none"),
            p_new.unwrap_or("none")
        ));
    }
    if parts.is_empty() {
        parts.push("cause roles or kinds changed".into());
    }
    parts.join("; ")
}

fn describe_impact(old: &Incident, new: &Incident) -> String {
    format!(
        "impact: {} -> {} subscribers affected, {} -> {} entities impacted",
        old.subscribers_affected,
        new.subscribers_affected,
        old.impacted.len(),
        new.impacted.len()
    )
}

fn impact_key(i: &Incident) -> (BTreeSet<&str>, u64) {
    (
        i.impacted.iter().map(EntityId::as_str).collect(),
        i.subscribers_affected,
    )
}

/// The incident with times truncated to the stored precision, for comparison and writing.
fn normalized(i: &Incident) -> Incident {
    let mut n = i.clone();
    n.opened_at = truncate(n.opened_at);
    n
}

enum Op {
    Insert(Incident),
    /// The new description, its history entries, and whether it reopens a closed incident.
    Update(Incident, Vec<IncidentChange>, bool),
    Close(String),
}

/// Pure diff: what to write, given the stored open incidents and the closed ids named again.
fn plan(
    doc: &AnalysisDocument,
    open: &HashMap<String, Stored>,
    closed_named: &BTreeSet<String>,
) -> (Vec<Op>, AppliedChanges) {
    let at = truncate(doc.evaluated_at);
    let mut ops = Vec::new();
    let mut changes = AppliedChanges::default();
    let mut seen = BTreeSet::new();
    for inc in &doc.incidents {
        if !seen.insert(inc.id.as_str()) {
            continue; // a duplicate id in one analysis: the first wins
        }
        let new = normalized(inc);
        match open.get(&inc.id) {
            Some(old) => {
                if old.incident == new {
                    continue;
                }
                let mut history = Vec::new();
                let mut kinds = Vec::new();
                if causes_key(&old.incident) != causes_key(&new) {
                    kinds.push(IncidentChangeKind::CausesChanged);
                    history.push(IncidentChange::new(
                        at,
                        IncidentChangeKind::CausesChanged,
                        describe_causes(&old.incident, &new),
                    ));
                }
                if impact_key(&old.incident) != impact_key(&new) {
                    kinds.push(IncidentChangeKind::ImpactChanged);
                    history.push(IncidentChange::new(
                        at,
                        IncidentChangeKind::ImpactChanged,
                        describe_impact(&old.incident, &new),
                    ));
                }
                changes.updated.push(IncidentUpdate {
                    id: inc.id.clone(),
                    changes: kinds,
                });
                ops.push(Op::Update(new, history, false));
            }
            None => {
                changes.opened.push(inc.id.clone());
                if closed_named.contains(&inc.id) {
                    let h = vec![IncidentChange::new(
                        at,
                        IncidentChangeKind::Opened,
                        format!("reopened: {}", new.summary),
                    )];
                    ops.push(Op::Update(new, h, true));
                } else {
                    ops.push(Op::Insert(new));
                }
            }
        }
    }
    let mut vanished: Vec<&String> = open
        .keys()
        .filter(|id| !seen.contains(id.as_str()))
        .collect();
    vanished.sort();
    for id in vanished {
        changes.closed.push(id.clone());
        ops.push(Op::Close(id.clone()));
    }
    (ops, changes)
}

/// Where-clause variants of the record loader.
enum Which<'a> {
    State(&'static str),
    All,
    One(&'a str),
}

impl Store {
    /// Records one evaluation's incidents for `tenant`, in one transaction: incidents not yet
    /// stored are opened (history `opened` at their `opened_at`); stored open incidents whose
    /// causes or impact changed are updated with a history entry per kind of change; stored
    /// open incidents the analysis no longer lists are closed at `evaluated_at`. An id that was
    /// closed and appears again is reopened (its `closed_at` cleared, a new `opened` entry).
    ///
    /// Applying the same analysis twice changes nothing the second time (idempotent, for
    /// at-least-once delivery).
    ///
    /// # Errors
    /// [`StoreError::StaleAnalysis`] when an analysis with a later `evaluated_at` was already
    /// applied for the tenant (nothing is written); [`StoreError::Invalid`] when the document's
    /// tenant differs; database errors ([`StoreError::is_retryable`] tells whether to retry).
    ///
    /// # Examples
    /// ```
    /// use ispvm_model::Incident;
    /// use ispvm_schemas::analysis::AnalysisDocument;
    /// use ispvm_store::{StateFilter, Store};
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let store = Store::open_data_dir(dir.path()).await?;
    /// let tenant: ispvm_model::TenantId = "demo-isp".parse()?;
    /// let t0 = "2026-03-14T09:05:00Z".parse()?;
    /// let inc = Incident::new("inc-1", t0, vec![], vec![], 3, "agg2 down");
    /// let open = AnalysisDocument::new(tenant.clone(), t0, vec![], vec![inc]);
    /// assert_eq!(store.apply_analysis(&tenant, &open).await?.opened, ["inc-1"]);
    /// let later = AnalysisDocument::new(tenant.clone(), "2026-03-14T09:20:00Z".parse()?, vec![], vec![]);
    /// assert_eq!(store.apply_analysis(&tenant, &later).await?.closed, ["inc-1"]);
    /// let closed = store.incidents(&tenant, StateFilter::Closed).await?;
    /// assert_eq!(closed[0].history.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn apply_analysis(
        &self,
        tenant: &TenantId,
        doc: &AnalysisDocument,
    ) -> Result<AppliedChanges, StoreError> {
        if &doc.tenant != tenant {
            return Err(StoreError::Invalid(format!(
                "analysis of tenant {} applied to tenant {tenant}",
                doc.tenant
            )));
        }
        let t = tenant.as_str();
        let now = micros(doc.evaluated_at);
        // PostgreSQL: lock the tenant row, so two writers of one tenant apply one after the
        // other (SQLite's BEGIN IMMEDIATE already serializes every writer).
        let last_sql = match self.backend() {
            crate::Backend::Postgres => {
                "SELECT last_evaluated_at FROM tenants WHERE id = $1 FOR UPDATE"
            }
            _ => "SELECT last_evaluated_at FROM tenants WHERE id = $1",
        };
        on_pool!(self, p => {
            let mut tx = begin_write!(p);
            sqlx::query("INSERT INTO tenants (id, created_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING")
                .bind(t).bind(micros(Utc::now())).execute(&mut *tx).await?;
            let last: Option<i64> = sqlx::query_scalar(last_sql)
                .bind(t).fetch_one(&mut *tx).await?;
            if let Some(last) = last.filter(|l| *l > now) {
                return Err(StoreError::StaleAnalysis {
                    evaluated_at: doc.evaluated_at,
                    last_applied: from_micros(last)?,
                });
            }
            let headers: Vec<HeaderRow> = sqlx::query_as(
                "SELECT id, state, opened_at, closed_at, summary, subscribers_affected, impacted \
                 FROM incidents WHERE tenant_id = $1 AND state = 'open'")
                .bind(t).fetch_all(&mut *tx).await?;
            let mut open = HashMap::with_capacity(headers.len());
            for h in headers {
                let (id, s) = header_to_stored(h)?;
                open.insert(id, s);
            }
            if !open.is_empty() {
                let mut causes: Vec<CauseRow> = sqlx::query_as(
                    "SELECT rc.incident_id, rc.position, rc.entity_id, rc.role, rc.kind, rc.confidence, rc.evidence \
                     FROM root_causes rc WHERE rc.tenant_id = $1 AND rc.incident_id IN \
                     (SELECT i.id FROM incidents i WHERE i.tenant_id = $1 AND i.state = 'open')")
                    .bind(t).fetch_all(&mut *tx).await?;
                causes.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
                attach_causes(&mut open, &causes)?;
            }
            let mut closed_named = BTreeSet::new();
            for inc in doc.incidents.iter().filter(|i| !open.contains_key(&i.id)) {
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM incidents WHERE tenant_id = $1 AND id = $2")
                    .bind(t).bind(&inc.id).fetch_one(&mut *tx).await?;
                if n > 0 {
                    closed_named.insert(inc.id.clone());
                }
            }
            let (ops, changes) = plan(doc, &open, &closed_named);
            for op in ops {
                match op {
                    Op::Insert(inc) => {
                        sqlx::query(
                            "INSERT INTO incidents (tenant_id, id, state, opened_at, closed_at, updated_at, summary, \
                             subscribers_affected, impacted, primary_cause) VALUES ($1, $2, 'open', $3, NULL, $4, $5, $6, $7, $8)")
                            .bind(t).bind(&inc.id).bind(micros(inc.opened_at)).bind(now)
                            .bind(&inc.summary).bind(i64::try_from(inc.subscribers_affected).unwrap_or(i64::MAX))
                            .bind(to_json(&inc.impacted)?)
                            .bind(inc.primary().map(|c| c.entity.as_str().to_string()))
                            .execute(&mut *tx).await?;
                        for (pos, c) in inc.root_causes.iter().enumerate() {
                            sqlx::query(
                                "INSERT INTO root_causes (tenant_id, incident_id, position, entity_id, role, kind, confidence, evidence) \
                                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                                .bind(t).bind(&inc.id).bind(pos as i64).bind(c.entity.as_str())
                                .bind(role_str(c.role)).bind(kind_str(c.kind)).bind(c.confidence.get())
                                .bind(to_json(&c.evidence)?).execute(&mut *tx).await?;
                        }
                        sqlx::query("INSERT INTO incident_history (tenant_id, incident_id, at, change, summary) VALUES ($1, $2, $3, 'opened', $4)")
                            .bind(t).bind(&inc.id).bind(micros(inc.opened_at)).bind(&inc.summary)
                            .execute(&mut *tx).await?;
                    }
                    Op::Update(inc, history, reopen) => {
                        sqlx::query(
                            "UPDATE incidents SET state = 'open', closed_at = NULL, updated_at = $3, summary = $4, \
                             subscribers_affected = $5, impacted = $6, primary_cause = $7, \
                             evidence_purged_at = CASE WHEN $8 = 1 THEN NULL ELSE evidence_purged_at END \
                             WHERE tenant_id = $1 AND id = $2")
                            .bind(t).bind(&inc.id).bind(now).bind(&inc.summary)
                            .bind(i64::try_from(inc.subscribers_affected).unwrap_or(i64::MAX))
                            .bind(to_json(&inc.impacted)?)
                            .bind(inc.primary().map(|c| c.entity.as_str().to_string()))
                            .bind(i64::from(reopen))
                            .execute(&mut *tx).await?;
                        sqlx::query("DELETE FROM root_causes WHERE tenant_id = $1 AND incident_id = $2")
                            .bind(t).bind(&inc.id).execute(&mut *tx).await?;
                        for (pos, c) in inc.root_causes.iter().enumerate() {
                            sqlx::query(
                                "INSERT INTO root_causes (tenant_id, incident_id, position, entity_id, role, kind, confidence, evidence) \
                                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                                .bind(t).bind(&inc.id).bind(pos as i64).bind(c.entity.as_str())
                                .bind(role_str(c.role)).bind(kind_str(c.kind)).bind(c.confidence.get())
                                .bind(to_json(&c.evidence)?).execute(&mut *tx).await?;
                        }
                        for h in history {
                            sqlx::query("INSERT INTO incident_history (tenant_id, incident_id, at, change, summary) VALUES ($1, $2, $3, $4, $5)")
                                .bind(t).bind(&inc.id).bind(micros(h.at)).bind(change_str(h.change)).bind(&h.summary)
                                .execute(&mut *tx).await?;
                        }
                    }
                    Op::Close(id) => {
                        sqlx::query("UPDATE incidents SET state = 'closed', closed_at = $3, updated_at = $3 WHERE tenant_id = $1 AND id = $2")
                            .bind(t).bind(&id).bind(now).execute(&mut *tx).await?;
                        sqlx::query("INSERT INTO incident_history (tenant_id, incident_id, at, change, summary) VALUES ($1, $2, $3, 'closed', $4)")
                            .bind(t).bind(&id).bind(now).bind("closed: no longer in the analysis")
                            .execute(&mut *tx).await?;
                    }
                }
            }
            sqlx::query("UPDATE tenants SET last_evaluated_at = $2 WHERE id = $1")
                .bind(t).bind(now).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(changes)
        })
    }

    /// The tenant's incidents in `state`, oldest `opened_at` first (then id), as the contract's
    /// incident objects (the analysis incident plus `state`, `closed_at`, `history`,
    /// `feedback`). An unknown tenant has none.
    ///
    /// # Errors
    /// Database errors; [`StoreError::Corrupt`] when a stored row does not decode.
    pub async fn incidents(
        &self,
        tenant: &TenantId,
        state: StateFilter,
    ) -> Result<Vec<IncidentRecord>, StoreError> {
        let which = match state {
            StateFilter::Open => Which::State("open"),
            StateFilter::Closed => Which::State("closed"),
            StateFilter::All => Which::All,
        };
        self.load(tenant, which, None).await
    }

    /// The tenant's newest `limit` incidents in `state` (by `opened_at`), returned oldest first
    /// like [`Store::incidents`]: for listing a long history page by page without loading it
    /// whole.
    ///
    /// # Errors
    /// Database errors; [`StoreError::Corrupt`] when a stored row does not decode.
    pub async fn latest_incidents(
        &self,
        tenant: &TenantId,
        state: StateFilter,
        limit: u32,
    ) -> Result<Vec<IncidentRecord>, StoreError> {
        let which = match state {
            StateFilter::Open => Which::State("open"),
            StateFilter::Closed => Which::State("closed"),
            StateFilter::All => Which::All,
        };
        self.load(tenant, which, Some(limit)).await
    }

    /// One incident of the tenant, `None` when unknown.
    ///
    /// # Errors
    /// Database errors; [`StoreError::Corrupt`] when a stored row does not decode.
    pub async fn incident(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Option<IncidentRecord>, StoreError> {
        Ok(self.load(tenant, Which::One(id), None).await?.pop())
    }

    async fn load(
        &self,
        tenant: &TenantId,
        which: Which<'_>,
        limit: Option<u32>,
    ) -> Result<Vec<IncidentRecord>, StoreError> {
        let (clause, arg): (&str, Option<&str>) = match which {
            Which::State(s) => ("AND i.state = $2", Some(s)),
            Which::All => ("", None),
            Which::One(id) => ("AND i.id = $2", Some(id)),
        };
        let t = tenant.as_str();
        let order = match limit {
            Some(n) => format!("ORDER BY i.opened_at DESC, i.id DESC LIMIT {n}"),
            None => "ORDER BY i.opened_at, i.id".to_string(),
        };
        let header_sql = format!(
            "SELECT i.id, i.state, i.opened_at, i.closed_at, i.summary, i.subscribers_affected, i.impacted \
             FROM incidents i WHERE i.tenant_id = $1 {clause} {order}"
        );
        // `IN (subquery)` rather than a join: it makes SQLite walk the few selected incidents
        // instead of every cause row of the tenant. Rows are ordered here, not in SQL, for the
        // same reason.
        let selected = match limit {
            Some(_) => {
                format!("SELECT i.id FROM incidents i WHERE i.tenant_id = $1 {clause} {order}")
            }
            None => format!("SELECT i.id FROM incidents i WHERE i.tenant_id = $1 {clause}"),
        };
        let cause_sql = format!(
            "SELECT rc.incident_id, rc.position, rc.entity_id, rc.role, rc.kind, rc.confidence, rc.evidence \
             FROM root_causes rc WHERE rc.tenant_id = $1 AND rc.incident_id IN ({selected})"
        );
        let history_sql = format!(
            "SELECT h.incident_id, h.id, h.at, h.change, h.summary \
             FROM incident_history h WHERE h.tenant_id = $1 AND h.incident_id IN ({selected})"
        );
        let feedback_sql = format!(
            "SELECT f.incident_id, f.true_cause, f.at \
             FROM incident_feedback f WHERE f.tenant_id = $1 AND f.incident_id IN ({selected})"
        );
        let (headers, mut causes, mut history, feedback): (
            Vec<HeaderRow>,
            Vec<CauseRow>,
            Vec<HistoryRow>,
            Vec<FeedbackRow>,
        ) = on_pool!(self, p => {
            let mut conn = p.acquire().await?;
            let mut q = sqlx::query_as(&header_sql).bind(t);
            if let Some(a) = arg { q = q.bind(a); }
            let headers: Vec<HeaderRow> = q.fetch_all(&mut *conn).await?;
            if headers.is_empty() {
                (headers, Vec::new(), Vec::new(), Vec::new())
            } else {
                let mut q = sqlx::query_as(&cause_sql).bind(t);
                if let Some(a) = arg { q = q.bind(a); }
                let causes: Vec<CauseRow> = q.fetch_all(&mut *conn).await?;
                let mut q = sqlx::query_as(&history_sql).bind(t);
                if let Some(a) = arg { q = q.bind(a); }
                let history: Vec<HistoryRow> = q.fetch_all(&mut *conn).await?;
                let mut q = sqlx::query_as(&feedback_sql).bind(t);
                if let Some(a) = arg { q = q.bind(a); }
                let feedback: Vec<FeedbackRow> = q.fetch_all(&mut *conn).await?;
                (headers, causes, history, feedback)
            }
        });
        let mut headers = headers;
        if limit.is_some() {
            headers.reverse();
        }
        let mut ids_in_order = Vec::with_capacity(headers.len());
        let mut stored = HashMap::with_capacity(headers.len());
        for h in headers {
            let (id, s) = header_to_stored(h)?;
            ids_in_order.push(id.clone());
            stored.insert(id, s);
        }
        causes.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        attach_causes(&mut stored, &causes)?;
        history.sort_by_key(|h| h.1);
        let mut histories: HashMap<String, Vec<IncidentChange>> = HashMap::new();
        for (id, _, at, change, summary) in history {
            histories.entry(id).or_default().push(IncidentChange::new(
                from_micros(at)?,
                parse_change(&change)?,
                summary,
            ));
        }
        let mut labels: HashMap<String, FeedbackLabel> = HashMap::new();
        for (id, cause, at) in feedback {
            let cause = cause
                .parse()
                .map_err(|e| StoreError::corrupt(format!("feedback cause: {e}")))?;
            labels.insert(id, FeedbackLabel::new(cause, from_micros(at)?));
        }
        let mut out = Vec::with_capacity(order.len());
        for id in ids_in_order {
            if let Some(s) = stored.remove(&id) {
                out.push(IncidentRecord::from_parts(
                    s.incident,
                    s.state,
                    s.closed_at,
                    histories.remove(&id).unwrap_or_default(),
                    labels.remove(&id),
                ));
            }
        }
        Ok(out)
    }

    /// Records an operator's label of an incident's true cause (replacing an earlier label),
    /// with a `feedback` history entry and an audit entry by `actor`, in one transaction, and
    /// returns the updated record.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown incident (HTTP 404);
    /// [`StoreError::CauseNotInIncident`] when `true_cause` is not one of its root causes
    /// (HTTP 422); database errors.
    pub async fn set_feedback(
        &self,
        tenant: &TenantId,
        incident_id: &str,
        true_cause: &EntityId,
        at: DateTime<Utc>,
        actor: &str,
    ) -> Result<IncidentRecord, StoreError> {
        let t = tenant.as_str();
        let at_us = micros(at);
        on_pool!(self, p => {
            let mut tx = begin_write!(p);
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM incidents WHERE tenant_id = $1 AND id = $2")
                .bind(t).bind(incident_id).fetch_one(&mut *tx).await?;
            if n == 0 {
                return Err(StoreError::NotFound { what: "incident", id: incident_id.to_string() });
            }
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM root_causes WHERE tenant_id = $1 AND incident_id = $2 AND entity_id = $3")
                .bind(t).bind(incident_id).bind(true_cause.as_str()).fetch_one(&mut *tx).await?;
            if n == 0 {
                return Err(StoreError::CauseNotInIncident {
                    incident: incident_id.to_string(),
                    cause: true_cause.to_string(),
                });
            }
            sqlx::query(
                "INSERT INTO incident_feedback (tenant_id, incident_id, true_cause, at, actor) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (tenant_id, incident_id) DO UPDATE SET true_cause = excluded.true_cause, at = excluded.at, actor = excluded.actor")
                .bind(t).bind(incident_id).bind(true_cause.as_str()).bind(at_us).bind(actor)
                .execute(&mut *tx).await?;
            sqlx::query("INSERT INTO incident_history (tenant_id, incident_id, at, change, summary) VALUES ($1, $2, $3, 'feedback', $4)")
                .bind(t).bind(incident_id).bind(at_us).bind(format!("true cause labelled {true_cause} by {actor}"))
                .execute(&mut *tx).await?;
            crate::audit::insert_audit!(tx, t, at_us, actor, "incident.feedback", incident_id,
                serde_json::json!({ "true_cause": true_cause.as_str() }).to_string());
            tx.commit().await?;
        });
        self.incident(tenant, incident_id)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "incident",
                id: incident_id.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inc(id: &str, causes: &[(&str, CauseRole)], subs: u64) -> Incident {
        let at = "2026-03-14T09:05:00Z".parse().unwrap();
        let rc = causes
            .iter()
            .map(|(e, r)| {
                RootCause::new(
                    e.parse().unwrap(),
                    *r,
                    CauseKind::Failure,
                    Confidence::saturating(0.9),
                    vec![],
                )
            })
            .collect();
        Incident::new(id, at, rc, vec![], subs, "s")
    }

    #[test]
    fn plan_opens_updates_and_closes() {
        let mut open = HashMap::new();
        for i in [
            inc("a", &[("x", CauseRole::Primary)], 1),
            inc("b", &[("y", CauseRole::Primary)], 1),
        ] {
            open.insert(
                i.id.clone(),
                Stored {
                    incident: i,
                    state: IncidentState::Open,
                    closed_at: None,
                },
            );
        }
        let doc = AnalysisDocument::new(
            "t".parse().unwrap(),
            "2026-03-14T09:10:00Z".parse().unwrap(),
            vec![],
            vec![
                inc(
                    "a",
                    &[("x", CauseRole::Primary), ("z", CauseRole::Contributing)],
                    5,
                ),
                inc("c", &[("w", CauseRole::Primary)], 0),
            ],
        );
        let (ops, changes) = plan(&doc, &open, &BTreeSet::new());
        assert_eq!(ops.len(), 3);
        assert_eq!(changes.opened, ["c"]);
        assert_eq!(changes.closed, ["b"]);
        assert_eq!(
            changes.updated,
            [IncidentUpdate {
                id: "a".into(),
                changes: vec![
                    IncidentChangeKind::CausesChanged,
                    IncidentChangeKind::ImpactChanged
                ]
            }]
        );
        let Op::Update(_, h, false) = &ops[0] else {
            panic!("first op is the update")
        };
        assert_eq!(h[0].summary, "z joined as contributing cause");
        assert_eq!(
            h[1].summary,
            "impact: 1 -> 5 subscribers affected, 0 -> 0 entities impacted"
        );
    }
}
