//! An in-memory [`Backend`] for the router's tests, and a real server on 127.0.0.1:0.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use ispvm_http::{
    Actor, AgentMetrics, ApiToken, AuditAction, AuditEntry, Backend, BackendError, EntityView,
    Fault, FaultError, FaultKind, FaultRequest, FeedbackError, HttpOptions, IncidentFilter,
    Readiness, Role, TokenStore, Window, WindowError, WindowKind, WindowRequest, async_trait,
};
use ispvm_model::{
    CauseKind, CauseRole, Confidence, DependencyGroup, Entity, EntityId, EntityKind, EntityReport,
    EntityStatus, Evidence, GroupMode, Incident, RootCause, SignalState, TenantId, Topology,
    TopologyBuilder,
};
use ispvm_schemas::analysis::AnalysisDocument;
use ispvm_schemas::incident::{FeedbackLabel, IncidentRecord, IncidentState};
use tokio::sync::{broadcast, oneshot};

pub const DEMO: &str = "demo-isp";
pub const OTHER: &str = "other-isp";
pub const INCIDENT: &str = "inc-20260314T090500Z-agg2";
/// An incident id with a slash, to test percent-encoding.
pub const SLASHED_INCIDENT: &str = "inc/2026/agg2";

pub fn t(s: &str) -> TenantId {
    s.parse().unwrap()
}

pub fn e(s: &str) -> EntityId {
    s.parse().unwrap()
}

pub fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

struct TenantData {
    analysis: Option<Arc<AnalysisDocument>>,
    incidents: Vec<IncidentRecord>,
    topology: Arc<Topology>,
    sender: broadcast::Sender<Arc<AnalysisDocument>>,
    faults: Vec<Fault>,
    windows: Vec<Window>,
    audit: Vec<AuditEntry>,
    simulated: bool,
}

/// Every call that changed something, for assertions.
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    Feedback {
        tenant: String,
        incident: String,
        cause: String,
        actor: Actor,
    },
}

pub struct MemoryBackend {
    tenants: Mutex<Vec<(TenantId, TenantData)>>,
    pub calls: Mutex<Vec<Call>>,
    metrics: AgentMetrics,
    ready: Mutex<bool>,
    next_id: Mutex<u32>,
}

pub fn topology(tenant: &str) -> Topology {
    let mut b = TopologyBuilder::new(t(tenant));
    for id in ["core1", "agg1", "agg2", "acc3", "bras2"] {
        b.add_entity(Entity::new(e(id), EntityKind::Device));
    }
    b.add_entity(Entity::new(e("agg2/ether1"), EntityKind::Interface));
    b.add_entity(
        Entity::new(e("agg1-agg2"), EntityKind::Link).with_endpoints(e("agg1"), e("agg2")),
    );
    b.add_group(DependencyGroup::new(
        e("agg1"),
        GroupMode::All,
        vec![e("core1")],
    ));
    b.add_group(DependencyGroup::new(
        e("agg2"),
        GroupMode::All,
        vec![e("core1")],
    ));
    b.add_group(DependencyGroup::new(
        e("acc3"),
        GroupMode::Any,
        vec![e("agg2")],
    ));
    b.add_group(DependencyGroup::new(
        e("bras2"),
        GroupMode::All,
        vec![e("acc3")],
    ));
    b.add_group(DependencyGroup::new(
        e("agg2/ether1"),
        GroupMode::All,
        vec![e("agg2")],
    ));
    b.build().unwrap()
}

/// All good at `when`.
pub fn healthy(tenant: &str, when: &str) -> AnalysisDocument {
    let rows = [
        "acc3",
        "agg1",
        "agg1-agg2",
        "agg2",
        "agg2/ether1",
        "bras2",
        "core1",
    ]
    .iter()
    .map(|id| EntityReport::new(e(id), EntityStatus::Up))
    .collect();
    AnalysisDocument::new(t(tenant), at(when), rows, vec![])
}

pub fn outage_incident(id: &str, when: &str) -> Incident {
    let evidence = vec![
        Evidence::signal("reachability", SignalState::Down, at(when), 0.6),
        Evidence::signal("link", SignalState::Down, at(when), 0.3),
    ];
    Incident::new(
        id,
        at(when),
        vec![
            RootCause::new(
                e("agg2"),
                CauseRole::Primary,
                CauseKind::Failure,
                Confidence::new(0.87).unwrap(),
                evidence,
            ),
            RootCause::new(
                e("agg1-agg2"),
                CauseRole::Contributing,
                CauseKind::Failure,
                Confidence::new(0.55).unwrap(),
                vec![Evidence::signal("link", SignalState::Down, at(when), 0.4)],
            ),
        ],
        vec![e("acc3"), e("agg2/ether1"), e("bras2")],
        2100,
        "agg2 down: acc3, bras2 unreachable",
    )
}

/// agg2 down, acc3/bras2/agg2/ether1 unreachable, one incident with 2,100 subscribers.
pub fn outage(tenant: &str, when: &str) -> AnalysisDocument {
    let mut rows = Vec::new();
    for (id, status) in [
        ("acc3", EntityStatus::Unreachable),
        ("agg1", EntityStatus::Degraded),
        ("agg1-agg2", EntityStatus::Down),
        ("agg2", EntityStatus::Down),
        ("agg2/ether1", EntityStatus::Unreachable),
        ("bras2", EntityStatus::Unreachable),
        ("core1", EntityStatus::Up),
    ] {
        let mut row = EntityReport::new(e(id), status);
        if status == EntityStatus::Unreachable {
            row.explained_by = vec![e("agg2")];
            row.reasons = vec!["any of [agg2]: agg2 missing".to_string()];
        }
        if id == "agg1" {
            row.redundancy_lost = vec!["any of [agg1, agg2]".to_string()];
        }
        rows.push(row);
    }
    AnalysisDocument::new(
        t(tenant),
        at(when),
        rows,
        vec![outage_incident(INCIDENT, when)],
    )
}

impl MemoryBackend {
    /// `demo-isp` (simulated, healthy, one closed and one open incident) and `other-isp`.
    pub fn new() -> Arc<Self> {
        let mut tenants = Vec::new();
        for (name, simulated) in [(DEMO, true), (OTHER, false)] {
            let (sender, _) = broadcast::channel(16);
            let open = IncidentRecord::opened(outage_incident(INCIDENT, "2026-03-14T09:05:00Z"));
            let mut closed =
                IncidentRecord::opened(outage_incident(SLASHED_INCIDENT, "2026-03-13T08:00:00Z"));
            closed.state = IncidentState::Closed;
            closed.closed_at = Some(at("2026-03-13T09:00:00Z"));
            tenants.push((
                t(name),
                TenantData {
                    analysis: Some(Arc::new(healthy(name, "2026-03-14T09:00:00Z"))),
                    incidents: vec![open, closed],
                    topology: Arc::new(topology(name)),
                    sender,
                    faults: Vec::new(),
                    windows: Vec::new(),
                    audit: Vec::new(),
                    simulated,
                },
            ));
        }
        Arc::new(Self {
            tenants: Mutex::new(tenants),
            calls: Mutex::new(Vec::new()),
            metrics: AgentMetrics::new(),
            ready: Mutex::new(true),
            next_id: Mutex::new(0),
        })
    }

    pub fn set_ready(&self, ready: bool) {
        *self.ready.lock().unwrap() = ready;
    }

    /// Stores `doc` as the latest analysis and broadcasts it.
    pub fn push(&self, doc: AnalysisDocument) {
        let doc = Arc::new(doc);
        self.metrics.set_analysis(&doc);
        let mut tenants = self.tenants.lock().unwrap();
        let data = &mut tenants
            .iter_mut()
            .find(|(t, _)| *t == doc.tenant)
            .unwrap()
            .1;
        data.analysis = Some(doc.clone());
        let _ = data.sender.send(doc);
    }

    pub fn clear_analysis(&self, tenant: &str) {
        let mut tenants = self.tenants.lock().unwrap();
        tenants
            .iter_mut()
            .find(|(t, _)| t.as_str() == tenant)
            .unwrap()
            .1
            .analysis = None;
    }

    pub fn feedback_calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    fn with<R>(
        &self,
        tenant: &TenantId,
        f: impl FnOnce(&mut TenantData) -> R,
    ) -> Result<R, BackendError> {
        let mut tenants = self.tenants.lock().unwrap();
        let data = tenants
            .iter_mut()
            .find(|(t, _)| t == tenant)
            .ok_or(BackendError::UnknownTenant)?;
        Ok(f(&mut data.1))
    }

    fn id(&self, prefix: &str) -> String {
        let mut n = self.next_id.lock().unwrap();
        *n += 1;
        format!("{prefix}-{n}")
    }
}

#[async_trait]
impl Backend for MemoryBackend {
    fn tenants(&self) -> Vec<TenantId> {
        self.tenants
            .lock()
            .unwrap()
            .iter()
            .map(|(t, _)| t.clone())
            .collect()
    }

    async fn readiness(&self) -> Readiness {
        if *self.ready.lock().unwrap() {
            Readiness::default()
        } else {
            Readiness::pending(vec![t(DEMO)])
        }
    }

    async fn analysis(
        &self,
        tenant: &TenantId,
    ) -> Result<Option<Arc<AnalysisDocument>>, BackendError> {
        self.with(tenant, |d| d.analysis.clone())
    }

    async fn incidents(
        &self,
        tenant: &TenantId,
        filter: IncidentFilter,
    ) -> Result<Vec<IncidentRecord>, BackendError> {
        self.with(tenant, |d| {
            d.incidents
                .iter()
                .filter(|i| filter.matches(i.state))
                .cloned()
                .collect()
        })
    }

    async fn incident(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Option<IncidentRecord>, BackendError> {
        self.with(tenant, |d| {
            d.incidents.iter().find(|i| i.incident.id == id).cloned()
        })
    }

    async fn entity(
        &self,
        tenant: &TenantId,
        id: &EntityId,
    ) -> Result<Option<EntityView>, BackendError> {
        self.with(tenant, |d| {
            d.analysis
                .as_ref()
                .and_then(|a| EntityView::from_analysis(a, id))
        })
    }

    async fn feedback(
        &self,
        tenant: &TenantId,
        incident: &str,
        true_cause: &EntityId,
        actor: &Actor,
    ) -> Result<(), FeedbackError> {
        self.with(tenant, |d| {
            let record = d
                .incidents
                .iter_mut()
                .find(|i| i.incident.id == incident)
                .ok_or(FeedbackError::UnknownIncident)?;
            if !record
                .incident
                .root_causes
                .iter()
                .any(|c| &c.entity == true_cause)
            {
                return Err(FeedbackError::CauseNotInIncident {
                    cause: true_cause.clone(),
                });
            }
            record.feedback = Some(FeedbackLabel::new(true_cause.clone(), Utc::now()));
            d.audit.push(AuditEntry::new(
                Utc::now(),
                actor.name.clone(),
                AuditAction::Feedback,
                incident,
                format!("true cause {true_cause}"),
            ));
            Ok(())
        })??;
        self.calls.lock().unwrap().push(Call::Feedback {
            tenant: tenant.to_string(),
            incident: incident.to_string(),
            cause: true_cause.to_string(),
            actor: actor.clone(),
        });
        Ok(())
    }

    fn subscribe(&self, tenant: &TenantId) -> Option<broadcast::Receiver<Arc<AnalysisDocument>>> {
        self.with(tenant, |d| d.sender.subscribe()).ok()
    }

    async fn topology(&self, tenant: &TenantId) -> Result<Option<Arc<Topology>>, BackendError> {
        self.with(tenant, |d| Some(d.topology.clone()))
    }

    async fn create_fault(
        &self,
        tenant: &TenantId,
        request: &FaultRequest,
        actor: &Actor,
    ) -> Result<Fault, FaultError> {
        let id = self.id("fault");
        self.with(tenant, |d| {
            if !d.simulated {
                return Err(FaultError::NotSimulated);
            }
            let Some(entity) = d.topology.entity(request.target.as_str()) else {
                return Err(FaultError::UnknownTarget(request.target.clone()));
            };
            if request.fault == FaultKind::LinkDown && entity.kind != EntityKind::Link {
                return Err(FaultError::UnsupportedTarget {
                    fault: "link_down",
                    target: request.target.clone(),
                });
            }
            let fault = Fault::new(id, request.fault, request.target.clone(), Utc::now());
            d.faults.push(fault.clone());
            d.audit.push(AuditEntry::new(
                Utc::now(),
                actor.name.clone(),
                AuditAction::FaultCreated,
                fault.id.clone(),
                request.fault.as_str(),
            ));
            Ok(fault)
        })?
    }

    async fn repair_fault(
        &self,
        tenant: &TenantId,
        id: &str,
        actor: &Actor,
    ) -> Result<(), FaultError> {
        self.with(tenant, |d| {
            if !d.simulated {
                return Err(FaultError::NotSimulated);
            }
            let before = d.faults.len();
            d.faults.retain(|f| f.id != id);
            if d.faults.len() == before {
                return Err(FaultError::UnknownFault);
            }
            d.audit.push(AuditEntry::new(
                Utc::now(),
                actor.name.clone(),
                AuditAction::FaultRepaired,
                id,
                "repaired",
            ));
            Ok(())
        })?
    }

    async fn faults(&self, tenant: &TenantId) -> Result<Vec<Fault>, FaultError> {
        self.with(tenant, |d| {
            if d.simulated {
                Ok(d.faults.clone())
            } else {
                Err(FaultError::NotSimulated)
            }
        })?
    }

    async fn create_window(
        &self,
        tenant: &TenantId,
        kind: WindowKind,
        request: &WindowRequest,
        actor: &Actor,
    ) -> Result<Window, WindowError> {
        let id = self.id(kind.as_str());
        self.with(tenant, |d| {
            if request.entities.is_empty() {
                return Err(WindowError::Invalid(
                    "a window needs at least one entity".into(),
                ));
            }
            if let Some(unknown) = request
                .entities
                .iter()
                .find(|e| d.topology.entity(e.as_str()).is_none())
            {
                return Err(WindowError::Invalid(format!("unknown entity {unknown}")));
            }
            let now = Utc::now();
            let window = Window::from_request(id, kind, request, actor.name.clone(), now);
            if window.end <= window.start {
                return Err(WindowError::Invalid("end must be after start".into()));
            }
            d.windows.push(window.clone());
            let action = match kind {
                WindowKind::Maintenance => AuditAction::MaintenanceCreated,
                _ => AuditAction::SilenceCreated,
            };
            d.audit.push(AuditEntry::new(
                now,
                actor.name.clone(),
                action,
                window.id.clone(),
                "created",
            ));
            Ok(window)
        })?
    }

    async fn windows(
        &self,
        tenant: &TenantId,
        kind: WindowKind,
    ) -> Result<Vec<Window>, WindowError> {
        Ok(self.with(tenant, |d| {
            d.windows
                .iter()
                .filter(|w| w.kind == kind && w.ended_early_at.is_none())
                .cloned()
                .collect()
        })?)
    }

    async fn end_window(
        &self,
        tenant: &TenantId,
        kind: WindowKind,
        id: &str,
        actor: &Actor,
    ) -> Result<Window, WindowError> {
        self.with(tenant, |d| {
            let now = Utc::now();
            let window = d
                .windows
                .iter_mut()
                .find(|w| w.kind == kind && w.id == id && w.ended_early_at.is_none())
                .ok_or(WindowError::UnknownWindow)?;
            window.ended_early_at = Some(now);
            window.end = now;
            let action = match kind {
                WindowKind::Maintenance => AuditAction::MaintenanceEnded,
                _ => AuditAction::SilenceEnded,
            };
            let w = window.clone();
            d.audit.push(AuditEntry::new(
                now,
                actor.name.clone(),
                action,
                id,
                "ended early",
            ));
            Ok(w)
        })?
    }

    async fn audit(
        &self,
        tenant: &TenantId,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, BackendError> {
        self.with(tenant, |d| {
            d.audit.iter().rev().take(limit).cloned().collect()
        })
    }

    async fn record_audit(&self, tenant: &TenantId, entry: AuditEntry) -> Result<(), BackendError> {
        self.with(tenant, |d| d.audit.push(entry))
    }

    fn metrics(&self) -> &AgentMetrics {
        &self.metrics
    }
}

/// Tokens of the tests: a viewer and an operator of `demo-isp`, an operator of `other-isp`.
pub struct Tokens {
    pub store: Arc<TokenStore>,
    pub viewer: ApiToken,
    pub operator: ApiToken,
    pub other: ApiToken,
}

pub fn tokens() -> Tokens {
    let store = Arc::new(TokenStore::new());
    let viewer = ApiToken::generate();
    let operator = ApiToken::generate();
    let other = ApiToken::generate();
    store
        .insert_token("noc-viewer", t(DEMO), Role::Viewer, &viewer)
        .unwrap();
    store
        .insert_token("noc-operator", t(DEMO), Role::Operator, &operator)
        .unwrap();
    store
        .insert_token("other-operator", t(OTHER), Role::Operator, &other)
        .unwrap();
    Tokens {
        store,
        viewer,
        operator,
        other,
    }
}

/// A running server; dropping it shuts the server down.
pub struct Server {
    pub addr: SocketAddr,
    pub backend: Arc<MemoryBackend>,
    stop: Option<oneshot::Sender<()>>,
    pub task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Asks the server to stop and waits for `serve` to return.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.take().unwrap().await.unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub async fn start(options: HttpOptions) -> Server {
    start_with(MemoryBackend::new(), options, None).await
}

pub async fn start_with(
    backend: Arc<MemoryBackend>,
    options: HttpOptions,
    tls: Option<ispvm_http::TlsConfig>,
) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = ispvm_http::router(backend.clone(), options);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(ispvm_http::serve(listener, router, tls, async move {
        let _ = stopped.await;
    }));
    Server {
        addr,
        backend,
        stop: Some(stop),
        task: Some(task),
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}
