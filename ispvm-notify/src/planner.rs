//! The alert planner: pure, no I/O, time is an argument.
//!
//! From the successive analyses of each tenant it computes what to post to Alertmanager (one
//! alert per notifiable incident, ended under its old labels when `severity` or `page` changes,
//! posted once more with `endsAt` when the incident closes) and which webhook notifications to
//! send (`open`, `changed`, `closed`). [`AlertPlanner::tick`] says when every active alert (and
//! the watchdog) is due again.
//!
//! An incident is *notifiable* when it has a primary cause and that cause's entity is not
//! suppressed (`unreachable` or `maintenance`) in the same analysis: a suppressed entity never
//! produces an alert, and an incident that only consists of maintenance has no primary cause.
//!
//! An incident whose causes are all under an operator's silence ([`Context::silenced`]) is
//! *muted*: its alert ends (it stops paging) and no webhook notification is sent while it is
//! muted; if it is still open when the silence ends, it is notified as `open` again.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeDelta, Utc};
use ispvm_model::{EntityId, EntityReport, EntityStatus, Incident, TenantId, Topology};
use ispvm_schemas::analysis::AnalysisDocument;
use ispvm_schemas::notification::{Notification, NotificationKind, Severity};

use crate::alert::{Alert, INCIDENT_ALERT, REDUNDANCY_ALERT, WATCHDOG_ALERT, labels};

/// Default resend interval: active alerts are posted again at least this often.
pub const DEFAULT_RESEND: TimeDelta = TimeDelta::seconds(60);

/// A firing alert expires this many resend intervals after it was posted, unless posted again
/// (as Prometheus does): a dead agent's alerts resolve on their own, and its watchdog stops.
pub const EXPIRY_RESENDS: i32 = 4;

/// What the planner is told besides the analyses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlannerConfig {
    /// Resend interval of active alerts (default 60 s, at least 1 s).
    pub resend: TimeDelta,
    /// Whether to fire an `IspvmRedundancyLost` alert per entity that lost redundancy but
    /// still works (default off).
    pub redundancy_alerts: bool,
}

impl Default for PlannerConfig {
    fn default() -> Self {
        Self {
            resend: DEFAULT_RESEND,
            redundancy_alerts: false,
        }
    }
}

impl PlannerConfig {
    /// Sets the resend interval (clamped to at least one second).
    #[must_use]
    pub fn resend(mut self, resend: TimeDelta) -> Self {
        self.resend = resend.max(TimeDelta::seconds(1));
        self
    }

    /// Turns the `IspvmRedundancyLost` alerts on or off.
    #[must_use]
    pub fn redundancy_alerts(mut self, on: bool) -> Self {
        self.redundancy_alerts = on;
        self
    }
}

/// Facts about a tenant that the analysis does not carry: each entity's site, each
/// incident's paging decision and runbook.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Context {
    /// Site label of each entity.
    pub sites: BTreeMap<EntityId, String>,
    /// Paging decision of each incident, overriding the incident's own `page` (the engine's
    /// decision: the confidence of its primary cause reaches the paging threshold).
    pub pages: BTreeMap<String, bool>,
    /// Runbook URL of each incident (absent: no `runbook_url` annotation).
    pub runbooks: BTreeMap<String, String>,
    /// Entities under an active silence: an incident whose causes are all silenced is muted.
    pub silenced: BTreeSet<EntityId>,
}

impl Context {
    /// An empty context: each incident pages as the engine decided, no site, no runbook.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The sites of a topology's entities.
    #[must_use]
    pub fn from_topology(topology: &Topology) -> Self {
        Self {
            sites: topology
                .entities()
                .iter()
                .filter_map(|e| e.site.clone().map(|s| (e.id.clone(), s)))
                .collect(),
            ..Self::default()
        }
    }

    /// Sets an entity's site.
    #[must_use]
    pub fn with_site(mut self, entity: EntityId, site: impl Into<String>) -> Self {
        self.sites.insert(entity, site.into());
        self
    }

    /// Sets an incident's paging decision.
    #[must_use]
    pub fn with_page(mut self, incident: impl Into<String>, page: bool) -> Self {
        self.pages.insert(incident.into(), page);
        self
    }

    /// Silences an entity (see [`Context::silenced`]).
    #[must_use]
    pub fn with_silenced(mut self, entity: EntityId) -> Self {
        self.silenced.insert(entity);
        self
    }

    fn muted(&self, incident: &Incident) -> bool {
        !self.silenced.is_empty()
            && !incident.root_causes.is_empty()
            && incident
                .root_causes
                .iter()
                .all(|c| self.silenced.contains(&c.entity))
    }

    /// Sets an incident's runbook URL.
    #[must_use]
    pub fn with_runbook(mut self, incident: impl Into<String>, url: impl Into<String>) -> Self {
        self.runbooks.insert(incident.into(), url.into());
        self
    }
}

/// What one analysis asks for.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Plan {
    /// Alerts to post now (to every Alertmanager), ended ones included.
    pub alerts: Vec<Alert>,
    /// Notifications to send to every webhook.
    pub notifications: Vec<Notification>,
}

impl Plan {
    /// Whether there is nothing to send.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.alerts.is_empty() && self.notifications.is_empty()
    }
}

/// What makes a webhook `changed` notification: causes and their roles, impact, paging.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Shape {
    causes: Vec<(EntityId, &'static str)>,
    impacted: Vec<EntityId>,
    subscribers: u64,
    severity: Severity,
    page: bool,
}

#[derive(Debug, Clone)]
struct Tracked {
    alert: Alert,
    shape: Shape,
    incident: Incident,
}

/// The planner's state: what it has fired, per tenant.
///
/// # Examples
/// ```
/// use ispvm_model::{CauseKind, CauseRole, Confidence, EntityReport, EntityStatus, Incident, RootCause};
/// use ispvm_notify::planner::{AlertPlanner, Context, PlannerConfig};
/// use ispvm_schemas::analysis::AnalysisDocument;
///
/// let tenant: ispvm_model::TenantId = "demo-isp".parse()?;
/// let at = "2026-03-14T09:05:00Z".parse()?;
/// let cause = RootCause::new("agg2".parse()?, CauseRole::Primary, CauseKind::Failure,
///     Confidence::new(0.62)?, vec![]);
/// let incident = Incident::new("inc-1", at, vec![cause], vec!["acc2".parse()?], 120, "agg2 down");
/// let entities = vec![EntityReport::new("agg2".parse()?, EntityStatus::Down),
///                     EntityReport::new("acc2".parse()?, EntityStatus::Unreachable)];
/// let doc = AnalysisDocument::new(tenant.clone(), at, entities, vec![incident]);
///
/// let mut planner = AlertPlanner::new(PlannerConfig::default());
/// let plan = planner.observe(&doc, &Context::new());
/// assert_eq!(plan.alerts.len(), 1);                     // one alert, none for acc2
/// assert_eq!(plan.alerts[0].label("severity"), Some("critical"));
/// assert_eq!(plan.alerts[0].annotation("primary_cause"), Some("agg2"));
/// assert_eq!(plan.notifications[0].kind.as_str(), "open");
///
/// // Recovery: the incident is gone from the next analysis.
/// let later = "2026-03-14T09:20:00Z".parse()?;
/// let plan = planner.observe(&AnalysisDocument::new(tenant, later, vec![], vec![]), &Context::new());
/// assert_eq!(plan.alerts[0].ends_at, Some(later));
/// assert_eq!(plan.notifications[0].kind.as_str(), "closed");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct AlertPlanner {
    config: PlannerConfig,
    incidents: BTreeMap<(TenantId, String), Tracked>,
    redundancy: BTreeMap<(TenantId, EntityId), Alert>,
    evaluated: BTreeMap<TenantId, DateTime<Utc>>,
    last_resend: Option<DateTime<Utc>>,
    started: Option<DateTime<Utc>>,
}

impl AlertPlanner {
    /// A planner that has fired nothing yet.
    #[must_use]
    pub fn new(config: PlannerConfig) -> Self {
        Self {
            config,
            incidents: BTreeMap::new(),
            redundancy: BTreeMap::new(),
            evaluated: BTreeMap::new(),
            last_resend: None,
            started: None,
        }
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> PlannerConfig {
        self.config
    }

    /// Takes one tenant's analysis and returns what to post now. An analysis older than the
    /// last one seen for its tenant is ignored (empty plan).
    pub fn observe(&mut self, doc: &AnalysisDocument, ctx: &Context) -> Plan {
        let now = doc.evaluated_at;
        let tenant = &doc.tenant;
        if self.evaluated.get(tenant).is_some_and(|last| now < *last) {
            return Plan::default();
        }
        self.evaluated.insert(tenant.clone(), now);
        let reports: BTreeMap<&EntityId, &EntityReport> =
            doc.entities.iter().map(|r| (&r.id, r)).collect();
        let mut plan = Plan::default();
        let mut seen = BTreeSet::new();
        let mut muted = BTreeSet::new();
        for incident in doc.incidents.iter().filter(|i| notifiable(i, &reports)) {
            if ctx.muted(incident) {
                muted.insert(incident.id.clone());
                continue;
            }
            seen.insert(incident.id.clone());
            let page = ctx
                .pages
                .get(&incident.id)
                .copied()
                .unwrap_or(incident.page);
            let severity = Severity::of(page, incident.subscribers_affected);
            let alert = incident_alert(tenant, incident, severity, page, ctx);
            let shape = shape(incident, severity, page);
            let key = (tenant.clone(), incident.id.clone());
            let notify = |kind| {
                Notification::new(
                    kind,
                    tenant.clone(),
                    now,
                    severity,
                    page,
                    incident.clone(),
                    None,
                )
            };
            match self.incidents.get(&key) {
                None => {
                    plan.alerts.push(self.firing(&alert, now));
                    plan.notifications.push(notify(NotificationKind::Open));
                }
                Some(old) => {
                    if old.alert.labels != alert.labels {
                        let mut ended = old.alert.clone();
                        ended.ends_at = Some(now);
                        plan.alerts.push(ended);
                        plan.alerts.push(self.firing(&alert, now));
                    } else if old.alert.annotations != alert.annotations {
                        plan.alerts.push(self.firing(&alert, now));
                    }
                    if old.shape != shape {
                        plan.notifications.push(notify(NotificationKind::Changed));
                    }
                }
            }
            self.incidents.insert(
                key,
                Tracked {
                    alert,
                    shape,
                    incident: incident.clone(),
                },
            );
        }
        let gone: Vec<(TenantId, String)> = self
            .incidents
            .keys()
            .filter(|(t, id)| t == tenant && !seen.contains(id))
            .cloned()
            .collect();
        for key in gone {
            if let Some(old) = self.incidents.remove(&key) {
                let mut ended = old.alert;
                ended.ends_at = Some(now);
                if muted.contains(&key.1) {
                    // Silenced: stop paging, say nothing to webhooks.
                    plan.alerts.push(ended);
                    continue;
                }
                let page = old.shape.page;
                let severity = old.shape.severity;
                // The incident as last seen: the closing analysis no longer lists it.
                let incident = old.incident;
                plan.alerts.push(ended);
                plan.notifications.push(Notification::new(
                    NotificationKind::Closed,
                    tenant.clone(),
                    now,
                    severity,
                    page,
                    incident,
                    Some(now),
                ));
            }
        }
        if self.config.redundancy_alerts {
            self.plan_redundancy(doc, now, &mut plan);
        }
        plan
    }

    fn plan_redundancy(&mut self, doc: &AnalysisDocument, now: DateTime<Utc>, plan: &mut Plan) {
        let tenant = &doc.tenant;
        let mut seen = BTreeSet::new();
        for r in &doc.entities {
            let works = matches!(r.status, EntityStatus::Up | EntityStatus::Degraded);
            if r.suppressed || !works || r.redundancy_lost.is_empty() {
                continue;
            }
            seen.insert(r.id.clone());
            let key = (tenant.clone(), r.id.clone());
            let summary = format!(
                "{}: redundancy lost ({})",
                r.id,
                r.redundancy_lost.join("; ")
            );
            match self.redundancy.get_mut(&key) {
                Some(a) => {
                    if a.annotation("summary") != Some(summary.as_str()) {
                        a.annotations.insert("summary".into(), summary);
                        let a = a.clone();
                        plan.alerts.push(self.firing(&a, now));
                    }
                }
                None => {
                    let mut a = Alert::new(
                        labels([
                            ("alertname", REDUNDANCY_ALERT),
                            ("tenant", tenant.as_str()),
                            ("entity", r.id.as_str()),
                            ("severity", Severity::Info.as_str()),
                        ]),
                        now,
                    );
                    a.annotations.insert("summary".into(), summary);
                    plan.alerts.push(self.firing(&a, now));
                    self.redundancy.insert(key, a);
                }
            }
        }
        let gone: Vec<_> = self
            .redundancy
            .keys()
            .filter(|(t, e)| t == tenant && !seen.contains(e))
            .cloned()
            .collect();
        for key in gone {
            if let Some(mut a) = self.redundancy.remove(&key) {
                a.ends_at = Some(now);
                plan.alerts.push(a);
            }
        }
    }

    /// Forgets a tenant (removed by a reload): its alerts, ended at `now`, to post.
    pub fn forget_tenant(&mut self, tenant: &TenantId, now: DateTime<Utc>) -> Vec<Alert> {
        let mut out = Vec::new();
        self.incidents.retain(|(t, _), tr| {
            if t == tenant {
                let mut a = tr.alert.clone();
                a.ends_at = Some(now);
                out.push(a);
                false
            } else {
                true
            }
        });
        self.redundancy.retain(|(t, _), a| {
            if t == tenant {
                let mut a = a.clone();
                a.ends_at = Some(now);
                out.push(a);
                false
            } else {
                true
            }
        });
        self.evaluated.remove(tenant);
        out
    }

    /// When the resend interval has passed since the last full post (or nothing was posted
    /// yet): every active alert and the watchdog, to post now. Otherwise `None`.
    pub fn tick(&mut self, now: DateTime<Utc>) -> Option<Vec<Alert>> {
        if self
            .last_resend
            .is_some_and(|last| now - last < self.config.resend)
        {
            return None;
        }
        self.last_resend = Some(now);
        Some(self.active(now))
    }

    /// Every active alert (incidents, redundancy alerts, the watchdog) as it would be posted
    /// at `now`, sorted by labels.
    #[must_use]
    pub fn active(&mut self, now: DateTime<Utc>) -> Vec<Alert> {
        let started = *self.started.get_or_insert(now);
        let mut watchdog = Alert::new(
            labels([("alertname", WATCHDOG_ALERT), ("severity", "none")]),
            started,
        );
        watchdog.annotations.insert(
            "summary".into(),
            "the ispvm agent is alive: this alert always fires (route it to a dead man's switch)"
                .into(),
        );
        let mut out: Vec<Alert> = self
            .incidents
            .values()
            .map(|t| &t.alert)
            .chain(self.redundancy.values())
            .chain(std::iter::once(&watchdog))
            .map(|a| self.firing(a, now))
            .collect();
        out.sort_by(|a, b| a.labels.cmp(&b.labels));
        out
    }

    /// The labels of every incident alert currently firing, per tenant and incident.
    #[must_use]
    pub fn open_incidents(&self) -> Vec<(TenantId, String)> {
        self.incidents.keys().cloned().collect()
    }

    fn firing(&self, alert: &Alert, now: DateTime<Utc>) -> Alert {
        let mut a = alert.clone();
        a.ends_at = Some(now + self.config.resend * EXPIRY_RESENDS);
        a
    }
}

fn notifiable(incident: &Incident, reports: &BTreeMap<&EntityId, &EntityReport>) -> bool {
    incident
        .primary()
        .is_some_and(|p| !reports.get(&p.entity).is_some_and(|r| r.suppressed))
}

fn shape(incident: &Incident, severity: Severity, page: bool) -> Shape {
    Shape {
        causes: incident
            .root_causes
            .iter()
            .map(|c| (c.entity.clone(), c.role.as_str()))
            .collect(),
        impacted: incident.impacted.clone(),
        subscribers: incident.subscribers_affected,
        severity,
        page,
    }
}

fn incident_alert(
    tenant: &TenantId,
    incident: &Incident,
    severity: Severity,
    page: bool,
    ctx: &Context,
) -> Alert {
    let mut a = Alert::new(
        labels([
            ("alertname", INCIDENT_ALERT),
            ("tenant", tenant.as_str()),
            ("incident", incident.id.as_str()),
            ("severity", severity.as_str()),
            ("page", if page { "true" } else { "false" }),
        ]),
        incident.opened_at,
    );
    let mut note = |k: &str, v: String| {
        a.annotations.insert(k.to_owned(), v);
    };
    note("summary", incident.summary.clone());
    if let Some(p) = incident.primary() {
        note("primary_cause", p.entity.to_string());
        note("confidence", format!("{:.2}", p.confidence.get()));
        if let Some(site) = ctx.sites.get(&p.entity) {
            note("site", site.clone());
        }
    }
    note(
        "subscribers_affected",
        incident.subscribers_affected.to_string(),
    );
    note(
        "root_causes",
        incident
            .root_causes
            .iter()
            .map(|c| format!("{} ({}, {})", c.entity, c.role.as_str(), c.kind.as_str()))
            .collect::<Vec<_>>()
            .join(", "),
    );
    if let Some(url) = ctx.runbooks.get(&incident.id) {
        note("runbook_url", url.clone());
    }
    a
}

#[cfg(test)]
mod tests;
