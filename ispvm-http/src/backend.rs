//! The seam between the HTTP layer and the service that owns the data: the [`Backend`] trait,
//! the values it exchanges and its typed errors.
//!
//! Nothing here knows about HTTP: no status codes, headers, tokens or cookies. The router maps
//! each error variant to a status code (documented on the variant), checks authentication,
//! tenant access and roles *before* calling the backend, and passes the acting principal as an
//! [`Actor`] so that the backend can write its audit log.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ispvm_model::lint::{LintOptions, LintReport, lint_topology};
use ispvm_model::{EntityId, EntityStatus, Evidence, TenantId, Topology};
use ispvm_schemas::analysis::AnalysisDocument;
use ispvm_schemas::incident::{IncidentRecord, IncidentState};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use utoipa::ToSchema;

use crate::auth::Role;
use crate::metrics::AgentMetrics;

/// What the HTTP layer needs from the service behind it (the agent, or a test double).
///
/// Every method that takes a tenant is only called for a tenant listed by
/// [`tenants`](Backend::tenants) and readable by the caller; an implementation may still answer
/// [`BackendError::UnknownTenant`] (for example when a reload removed the tenant meanwhile), which
/// becomes 404. Methods that change state receive the [`Actor`] so the backend can append to the
/// tenant's audit log (see [`audit`](Backend::audit)); the HTTP layer itself only appends
/// `login`/`logout` entries, through [`record_audit`](Backend::record_audit).
///
/// The trait is object safe: the router holds an `Arc<dyn Backend>`.
///
/// # Examples
/// A backend is usually a handle onto per-tenant tasks; see the crate's tests for a complete
/// in-memory implementation. Object safety:
/// ```
/// use std::sync::Arc;
/// fn mount(backend: Arc<dyn ispvm_http::Backend>) -> axum::Router {
///     ispvm_http::router(backend, ispvm_http::HttpOptions::default())
/// }
/// ```
#[async_trait]
pub trait Backend: Send + Sync + 'static {
    /// Every tenant this process serves, sorted.
    fn tenants(&self) -> Vec<TenantId>;

    /// Whether the process is ready to answer (`/readyz`): every owned tenant evaluated at
    /// least once.
    async fn readiness(&self) -> Readiness;

    /// The latest analysis of `tenant`, `Ok(None)` before its first evaluation (answered 503,
    /// retryable).
    async fn analysis(
        &self,
        tenant: &TenantId,
    ) -> Result<Option<Arc<AnalysisDocument>>, BackendError>;

    /// Incidents of `tenant` in the given state, newest `opened_at` first.
    async fn incidents(
        &self,
        tenant: &TenantId,
        filter: IncidentFilter,
    ) -> Result<Vec<IncidentRecord>, BackendError>;

    /// One incident, `Ok(None)` when unknown (404).
    async fn incident(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Option<IncidentRecord>, BackendError>;

    /// One entity as the latest analysis sees it, `Ok(None)` when the entity is unknown (404).
    /// [`EntityView::from_analysis`] builds it from an analysis document.
    async fn entity(
        &self,
        tenant: &TenantId,
        id: &EntityId,
    ) -> Result<Option<EntityView>, BackendError>;

    /// Labels the true cause of an incident (an operator's feedback).
    ///
    /// # Errors
    /// [`FeedbackError::UnknownIncident`] (404), [`FeedbackError::CauseNotInIncident`] (422).
    async fn feedback(
        &self,
        tenant: &TenantId,
        incident: &str,
        true_cause: &EntityId,
        actor: &Actor,
    ) -> Result<(), FeedbackError>;

    /// A receiver of every analysis of `tenant` whose evaluation changed something, `None` when
    /// the tenant is unknown. Lagging receivers skip to newer analyses.
    fn subscribe(&self, tenant: &TenantId) -> Option<broadcast::Receiver<Arc<AnalysisDocument>>>;

    /// The topology of `tenant`, drawn by the live page; `Ok(None)` when none is loaded.
    async fn topology(&self, tenant: &TenantId) -> Result<Option<Arc<Topology>>, BackendError>;

    /// The style guide's findings on the topology of `tenant`
    /// (`GET /api/v1/tenants/{tenant}/lint`, the live page's lint panel); `Ok(None)` when no
    /// topology is loaded yet (answered 503, retryable).
    ///
    /// The default lints [`topology`](Backend::topology) with [`LintOptions::default`]; a backend
    /// that knows the tenant's declared aliases or its maintenance limit overrides it, so that
    /// the page shows what `ispvm-agent check-config` prints.
    async fn lint(&self, tenant: &TenantId) -> Result<Option<LintReport>, BackendError> {
        Ok(self
            .topology(tenant)
            .await?
            .map(|t| lint_topology(&t, &[], &LintOptions::default())))
    }

    /// Injects a fault into the simulated world of `tenant`.
    ///
    /// # Errors
    /// [`FaultError::NotSimulated`] (404), [`FaultError::UnknownTarget`] and
    /// [`FaultError::UnsupportedTarget`] (422). An unknown fault name never reaches the backend
    /// (the request body does not parse into [`FaultKind`]: 422).
    async fn create_fault(
        &self,
        tenant: &TenantId,
        request: &FaultRequest,
        actor: &Actor,
    ) -> Result<Fault, FaultError>;

    /// Repairs (removes) a fault.
    ///
    /// # Errors
    /// [`FaultError::NotSimulated`] and [`FaultError::UnknownFault`] (404).
    async fn repair_fault(
        &self,
        tenant: &TenantId,
        id: &str,
        actor: &Actor,
    ) -> Result<(), FaultError>;

    /// The active faults of the simulated world.
    ///
    /// # Errors
    /// [`FaultError::NotSimulated`] (404) when `tenant` is not simulated: the page uses this to
    /// decide whether to show its break/repair buttons.
    async fn faults(&self, tenant: &TenantId) -> Result<Vec<Fault>, FaultError>;

    /// Creates a maintenance window or a silence.
    ///
    /// # Errors
    /// [`WindowError::Invalid`] (422) for an empty entity list, an unknown entity or
    /// `end <= start`.
    async fn create_window(
        &self,
        tenant: &TenantId,
        kind: WindowKind,
        request: &WindowRequest,
        actor: &Actor,
    ) -> Result<Window, WindowError>;

    /// Maintenance windows or silences of `tenant` that have not ended yet, by start.
    async fn windows(
        &self,
        tenant: &TenantId,
        kind: WindowKind,
    ) -> Result<Vec<Window>, WindowError>;

    /// Ends a window or silence now (early); returns it as ended.
    ///
    /// # Errors
    /// [`WindowError::UnknownWindow`] (404).
    async fn end_window(
        &self,
        tenant: &TenantId,
        kind: WindowKind,
        id: &str,
        actor: &Actor,
    ) -> Result<Window, WindowError>;

    /// The newest `limit` audit entries of `tenant`, newest first.
    async fn audit(&self, tenant: &TenantId, limit: usize)
    -> Result<Vec<AuditEntry>, BackendError>;

    /// Appends an entry to the audit log of `tenant` (used by the HTTP layer for logins,
    /// logouts and token rotations).
    async fn record_audit(&self, tenant: &TenantId, entry: AuditEntry) -> Result<(), BackendError>;

    /// The metrics exposed at `/metrics`.
    fn metrics(&self) -> &AgentMetrics;
}

/// Which incidents to list (`?state=open|closed|all`, default `open`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum IncidentFilter {
    /// Open incidents only.
    #[default]
    Open,
    /// Closed incidents only.
    Closed,
    /// Every incident.
    All,
}

impl IncidentFilter {
    /// Whether an incident in `state` passes the filter.
    ///
    /// # Examples
    /// ```
    /// use ispvm_http::IncidentFilter;
    /// use ispvm_schemas::incident::IncidentState;
    /// assert!(IncidentFilter::All.matches(IncidentState::Closed));
    /// assert!(!IncidentFilter::Open.matches(IncidentState::Closed));
    /// ```
    #[must_use]
    pub fn matches(self, state: IncidentState) -> bool {
        match self {
            Self::All => true,
            Self::Open => state == IncidentState::Open,
            Self::Closed => state == IncidentState::Closed,
        }
    }
}

/// Readiness of the process (`/readyz`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[non_exhaustive]
pub struct Readiness {
    /// Tenants not evaluated yet; ready when empty.
    #[schema(value_type = Vec<String>)]
    pub pending: Vec<TenantId>,
}

impl Readiness {
    /// Readiness with these tenants still pending.
    #[must_use]
    pub fn pending(pending: Vec<TenantId>) -> Self {
        Self { pending }
    }

    /// Whether every tenant was evaluated.
    #[must_use]
    pub fn is_ready(&self) -> bool {
        self.pending.is_empty()
    }
}

/// How a request was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuthMethod {
    /// `Authorization: Bearer`.
    Bearer,
    /// The page's session cookie.
    Session,
    /// No credentials, allowed by [`HttpOptions::with_anonymous`](crate::HttpOptions::with_anonymous).
    Anonymous,
}

/// Who performs an action: for the audit log. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[non_exhaustive]
pub struct Actor {
    /// The token's name (from the configuration), or `anonymous`.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// How the request authenticated.
    pub via: AuthMethod,
}

impl Actor {
    /// An actor.
    #[must_use]
    pub fn new(name: impl Into<String>, role: Role, via: AuthMethod) -> Self {
        Self {
            name: name.into(),
            role,
            via,
        }
    }
}

/// One entity as the latest analysis sees it (`GET .../entities/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[non_exhaustive]
pub struct EntityView {
    /// The entity.
    #[schema(value_type = String)]
    pub id: EntityId,
    /// Its status (`up`, `down`, `degraded`, `unreachable`, `maintenance`, `unknown`).
    #[schema(value_type = String)]
    pub status: EntityStatus,
    /// Whether its alerts are suppressed.
    pub suppressed: bool,
    /// Why it is suppressed: each unsatisfied group and its missing members.
    pub reasons: Vec<String>,
    /// The root causes that explain it.
    #[schema(value_type = Vec<String>)]
    pub explained_by: Vec<EntityId>,
    /// Groups that still hold but lost redundancy.
    pub redundancy_lost: Vec<String>,
    /// Whether it flaps.
    pub flapping: bool,
    /// Evidence against it, when it is a root cause of an open incident.
    #[schema(value_type = Vec<Object>)]
    pub evidence: Vec<Evidence>,
    /// Ids of the open incidents it causes or is impacted by.
    pub incidents: Vec<String>,
    /// When the analysis was made.
    pub evaluated_at: DateTime<Utc>,
}

impl EntityView {
    /// The view of entity `id` in `analysis`, `None` when the analysis has no row for it.
    ///
    /// # Examples
    /// ```
    /// use ispvm_http::EntityView;
    /// use ispvm_model::{EntityReport, EntityStatus};
    /// use ispvm_schemas::analysis::AnalysisDocument;
    /// let doc = AnalysisDocument::new(
    ///     "demo-isp".parse()?,
    ///     "2026-01-01T00:00:00Z".parse()?,
    ///     vec![EntityReport::new("agg2".parse()?, EntityStatus::Down)],
    ///     vec![],
    /// );
    /// let view = EntityView::from_analysis(&doc, &"agg2".parse()?).unwrap();
    /// assert_eq!(view.status, EntityStatus::Down);
    /// assert!(EntityView::from_analysis(&doc, &"nope".parse()?).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn from_analysis(analysis: &AnalysisDocument, id: &EntityId) -> Option<Self> {
        let row = analysis.entities.iter().find(|e| &e.id == id)?;
        let mut evidence = Vec::new();
        let mut incidents = Vec::new();
        for incident in &analysis.incidents {
            let mut involved = incident.impacted.contains(id);
            for cause in incident.root_causes.iter().filter(|c| &c.entity == id) {
                involved = true;
                evidence.extend(cause.evidence.iter().cloned());
            }
            if involved {
                incidents.push(incident.id.clone());
            }
        }
        Some(Self {
            id: row.id.clone(),
            status: row.status,
            suppressed: row.suppressed,
            reasons: row.reasons.clone(),
            explained_by: row.explained_by.clone(),
            redundancy_lost: row.redundancy_lost.clone(),
            flapping: row.flapping,
            evidence,
            incidents,
            evaluated_at: analysis.evaluated_at,
        })
    }
}

/// A fault of the simulated world (the contract's fault API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FaultKind {
    /// The router and all its links go dark.
    PowerOff,
    /// Only the router's API service stops; it still forwards and answers pings.
    ApiDown,
    /// One link (target: a link entity such as `agg1-agg2`) goes down.
    LinkDown,
    /// A concentrator's RADIUS requests time out.
    RadiusTimeout,
    /// A maintenance window on the target starts now and the target reloads inside it.
    Maintenance,
}

impl FaultKind {
    /// The wire name (`power_off`, ...).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::PowerOff => "power_off",
            Self::ApiDown => "api_down",
            Self::LinkDown => "link_down",
            Self::RadiusTimeout => "radius_timeout",
            Self::Maintenance => "maintenance",
        }
    }
}

/// Body of `POST .../sim/faults`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct FaultRequest {
    /// Which fault.
    pub fault: FaultKind,
    /// The entity it applies to.
    #[schema(value_type = String)]
    pub target: EntityId,
}

impl FaultRequest {
    /// A request.
    #[must_use]
    pub fn new(fault: FaultKind, target: EntityId) -> Self {
        Self { fault, target }
    }
}

/// An active fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[non_exhaustive]
pub struct Fault {
    /// Its id (used to repair it).
    pub id: String,
    /// Which fault.
    pub fault: FaultKind,
    /// The entity it applies to.
    #[schema(value_type = String)]
    pub target: EntityId,
    /// When it was injected.
    pub created_at: DateTime<Utc>,
}

impl Fault {
    /// A fault.
    #[must_use]
    pub fn new(
        id: impl Into<String>,
        fault: FaultKind,
        target: EntityId,
        created_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id: id.into(),
            fault,
            target,
            created_at,
        }
    }
}

/// A maintenance window or a silence.
///
/// A maintenance window changes the analysis (its entities report `maintenance` and their
/// failures are expected); a silence only mutes notifications about incidents whose causes are
/// all among its entities, and leaves the analysis untouched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum WindowKind {
    /// Planned work: failures are expected.
    Maintenance,
    /// Notifications muted; the analysis is unchanged.
    Silence,
}

impl WindowKind {
    /// `maintenance` or `silence`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Maintenance => "maintenance",
            Self::Silence => "silence",
        }
    }
}

/// Body of `POST .../maintenance` and `POST .../silences`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct WindowRequest {
    /// The entities covered (at least one).
    #[schema(value_type = Vec<String>)]
    pub entities: Vec<EntityId>,
    /// Start (default: now).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<DateTime<Utc>>,
    /// End (exclusive), after the start.
    pub end: DateTime<Utc>,
    /// Why (free text for people).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl WindowRequest {
    /// A request from now (or `start`) to `end`.
    #[must_use]
    pub fn new(entities: Vec<EntityId>, start: Option<DateTime<Utc>>, end: DateTime<Utc>) -> Self {
        Self {
            entities,
            start,
            end,
            reason: None,
        }
    }

    /// Sets the reason.
    #[must_use]
    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }
}

/// A maintenance window or silence as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[non_exhaustive]
pub struct Window {
    /// Its id.
    pub id: String,
    /// Maintenance or silence.
    pub kind: WindowKind,
    /// The entities covered.
    #[schema(value_type = Vec<String>)]
    pub entities: Vec<EntityId>,
    /// Start (inclusive).
    pub start: DateTime<Utc>,
    /// End (exclusive); set to the end time when ended early.
    pub end: DateTime<Utc>,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Who created it (token name).
    pub created_by: String,
    /// When it was ended early, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_early_at: Option<DateTime<Utc>>,
}

impl Window {
    /// A window from a request, starting at `request.start` or `now`.
    #[must_use]
    pub fn from_request(
        id: impl Into<String>,
        kind: WindowKind,
        request: &WindowRequest,
        created_by: impl Into<String>,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id: id.into(),
            kind,
            entities: request.entities.clone(),
            start: request.start.unwrap_or(now),
            end: request.end,
            reason: request.reason.clone(),
            created_by: created_by.into(),
            ended_early_at: None,
        }
    }
}

/// What an audit entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuditAction {
    /// Feedback on an incident's true cause.
    Feedback,
    /// A maintenance window was created.
    MaintenanceCreated,
    /// A maintenance window was ended early.
    MaintenanceEnded,
    /// A silence was created.
    SilenceCreated,
    /// A silence was ended early.
    SilenceEnded,
    /// A fault was injected into the simulated world.
    FaultCreated,
    /// A fault was repaired.
    FaultRepaired,
    /// Inventory and topology were reloaded.
    Reload,
    /// A browser session was opened with a token.
    Login,
    /// A browser session was closed.
    Logout,
    /// A token was rotated (a new one issued, the old one given a deadline).
    TokenRotated,
}

/// One entry of a tenant's audit log. Holds token names, never token values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[non_exhaustive]
pub struct AuditEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (token name, `anonymous`, or `system` for reloads).
    pub actor: String,
    /// What.
    pub action: AuditAction,
    /// On what (incident id, window id, fault id, entity id), empty when nothing.
    pub target: String,
    /// One line for a person.
    pub detail: String,
}

impl AuditEntry {
    /// An entry.
    #[must_use]
    pub fn new(
        at: DateTime<Utc>,
        actor: impl Into<String>,
        action: AuditAction,
        target: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            at,
            actor: actor.into(),
            action,
            target: target.into(),
            detail: detail.into(),
        }
    }
}

/// A failure of the backend that is not specific to one operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    /// The tenant is not (or no longer) served here: 404.
    #[error("unknown tenant")]
    UnknownTenant,
    /// The data is not available yet or the tenant's task is busy: 503. Retry later.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// Anything else: 500. Not worth retrying as is.
    #[error("internal error: {0}")]
    Internal(String),
}

impl BackendError {
    /// Whether the same call may succeed later.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// Why feedback was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FeedbackError {
    /// No such incident: 404.
    #[error("unknown incident")]
    UnknownIncident,
    /// The named cause is not a root cause of the incident: 422.
    #[error("{cause} is not a root cause of this incident")]
    CauseNotInIncident {
        /// The cause given.
        cause: EntityId,
    },
    /// The backend failed.
    #[error(transparent)]
    Backend(#[from] BackendError),
}

/// Why a fault could not be created or repaired.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FaultError {
    /// The tenant has no simulated world: 404.
    #[error("tenant is not simulated")]
    NotSimulated,
    /// No active fault has this id: 404.
    #[error("unknown fault")]
    UnknownFault,
    /// The target is not an entity of the world: 422.
    #[error("unknown target {0}")]
    UnknownTarget(EntityId),
    /// The fault does not apply to this kind of target (e.g. `link_down` on a router): 422.
    #[error("{fault} does not apply to {target}")]
    UnsupportedTarget {
        /// The fault's wire name.
        fault: &'static str,
        /// The target.
        target: EntityId,
    },
    /// The backend failed.
    #[error(transparent)]
    Backend(#[from] BackendError),
}

/// Why a maintenance window or silence was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WindowError {
    /// No window or silence has this id: 404.
    #[error("unknown window")]
    UnknownWindow,
    /// The request is invalid (no entity, unknown entity, end not after start): 422.
    #[error("{0}")]
    Invalid(String),
    /// The backend failed.
    #[error(transparent)]
    Backend(#[from] BackendError),
}
