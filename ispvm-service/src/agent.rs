//! The agent: its tenants (from a configuration file or the embedded world), the
//! [`ispvm_http::Backend`] over them, reload and shutdown.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ispvm_collector::Target;
use ispvm_http::{
    Actor, AgentMetrics, AuditAction, AuditEntry, Backend, BackendError, EntityView, Fault,
    FaultError, FaultKind, FaultRequest, FeedbackError, HttpOptions, IncidentFilter, Readiness,
    Role, TokenStore, Window, WindowError, WindowKind, WindowRequest,
};
use ispvm_model::{Entity, EntityId, EntityKind, TenantId, Topology, TopologyBuilder};
use ispvm_pipeline::PipelineConfig;
use ispvm_routeros::Secret;
use ispvm_routeros::client::{ClientConfig, TlsOptions};
use ispvm_routeros::sim::world::{self, SimWorld, WorldError, WorldOptions};
use ispvm_schemas::analysis::AnalysisDocument;
use ispvm_schemas::incident::IncidentRecord;
use ispvm_schemas::scenario::ScenarioDocument;
use ispvm_store::{RetentionPolicy, Store};
use tokio::sync::{broadcast, watch};

use crate::config::Config;
use crate::embedded;
use crate::polling;
use crate::tenant::{self, TenantHandle, TenantSpec, TenantTasks, WindowFailure};

/// How often the agent's retention task enforces [`RetentionPolicy::default`] on its store.
pub const RETENTION_INTERVAL: Duration = Duration::from_secs(3600);

/// How long the maintenance window opened by a `maintenance` fault lasts.
pub const FAULT_MAINTENANCE: Duration = Duration::from_secs(30 * 60);

/// Why the agent could not start or reload.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// The configuration is invalid (exit 2).
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// A topology file could not be used (exit 2).
    #[error("{file}: {message}")]
    Topology {
        /// The file.
        file: PathBuf,
        /// Why.
        message: String,
    },
    /// A command-line argument or a file it names is unusable (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The embedded world could not start (exit 1).
    #[error("the embedded world: {0}")]
    World(String),
    /// The store could not be opened or read (exit 1): unreachable, a schema newer than this
    /// program, a damaged file. Never contains the database URL.
    #[error("the store: {0}")]
    Store(#[from] ispvm_store::StoreError),
    /// Anything else at run time (exit 1).
    #[error("{0}")]
    Runtime(String),
}

impl ServiceError {
    /// Whether the error is the operator's input (exit 2) rather than a run-time failure (1).
    #[must_use]
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            Self::Config(_) | Self::Topology { .. } | Self::Usage(_)
        )
    }
}

#[derive(Debug, Clone)]
struct FaultRecord {
    tenant: TenantId,
    kind: FaultKind,
    target: EntityId,
    created_at: DateTime<Utc>,
    window: Option<String>,
}

/// The running agent. Implements [`Backend`].
pub struct Agent {
    tenants: RwLock<BTreeMap<TenantId, TenantHandle>>,
    tasks: Mutex<Vec<TenantTasks>>,
    metrics: Arc<AgentMetrics>,
    shutdown: watch::Sender<bool>,
    faults: Mutex<BTreeMap<String, FaultRecord>>,
    world: Option<SimWorld>,
    config: Option<PathBuf>,
    tokens: Arc<TokenStore>,
    store: Option<Store>,
    retention: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent")
            .field("tenants", &self.tenants())
            .field("embedded", &self.world.is_some())
            .finish_non_exhaustive()
    }
}

fn eid(s: &str) -> Result<EntityId, ServiceError> {
    EntityId::new(s).map_err(|e| ServiceError::Runtime(format!("bad id {s:?}: {e}")))
}

fn tls_material() -> Result<(String, String, String), ServiceError> {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let tls = |e: rcgen::Error| ServiceError::World(format!("TLS material: {e}"));
    let ca_key = KeyPair::generate().map_err(tls)?;
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(tls)?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "ispvm embedded CA");
    let ca_cert = ca.self_signed(&ca_key).map_err(tls)?;
    let key = KeyPair::generate().map_err(tls)?;
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .map_err(tls)?;
    leaf.distinguished_name.push(DnType::CommonName, "core1");
    let cert = leaf.signed_by(&key, &ca_cert, &ca_key).map_err(tls)?;
    Ok((ca_cert.pem(), cert.pem(), key.serialize_pem()))
}

/// The topology of a configured tenant: its scenario file, or its routers as devices.
fn tenant_topology(
    config: &Config,
    t: &crate::config::TenantConfig,
) -> Result<Topology, ServiceError> {
    let tenant =
        TenantId::new(t.id.get_ref().as_str()).map_err(|e| ServiceError::Runtime(e.to_string()))?;
    let Some(file) = &t.topology else {
        let mut b = TopologyBuilder::new(tenant);
        for r in &t.routers {
            b.add_entity(Entity::new(eid(r.id.get_ref())?, EntityKind::Device));
        }
        return b.build().map_err(|e| ServiceError::Runtime(e.to_string()));
    };
    let path = config.resolve(file.get_ref());
    let err = |message: String| ServiceError::Topology {
        file: path.clone(),
        message,
    };
    let text = std::fs::read_to_string(&path).map_err(|e| err(format!("cannot read: {e}")))?;
    let doc: ScenarioDocument =
        serde_json::from_str(&text).map_err(|e| err(format!("line {}: {e}", e.line())))?;
    if doc.tenant != tenant {
        return Err(err(format!(
            "the file is of tenant {}, not {tenant}",
            doc.tenant
        )));
    }
    let scenario = doc.into_scenario().map_err(|e| err(e.to_string()))?;
    for r in &t.routers {
        if scenario.topology.index_of(r.id.get_ref()).is_none() {
            return Err(err(format!(
                "router {} is not an entity of the topology",
                r.id.get_ref()
            )));
        }
    }
    Ok(scenario.topology)
}

fn tenant_targets(
    config: &Config,
    t: &crate::config::TenantConfig,
    collector: &ispvm_collector::CollectorConfig,
) -> Result<Vec<Target>, ServiceError> {
    let tenant =
        TenantId::new(t.id.get_ref().as_str()).map_err(|e| ServiceError::Runtime(e.to_string()))?;
    let mut out = Vec::new();
    for r in &t.routers {
        let id = eid(r.id.get_ref())?;
        let password = config
            .router_password(r)
            .map_err(|m| ServiceError::Runtime(format!("router {id}: {m}")))?;
        let port = r.port().to_be_bytes();
        let mut ca_pem = Vec::new();
        let mut c = ClientConfig::new(r.host.get_ref().clone(), r.user.clone(), password.clone())
            .with_port(r.port());
        if r.tls {
            let mut tls = TlsOptions::new();
            if let Some(ca) = &r.ca_file {
                ca_pem = std::fs::read(config.resolve(ca.get_ref()))
                    .map_err(|e| ServiceError::Runtime(format!("router {id}: CA file: {e}")))?;
                tls = tls.with_ca_pem(ca_pem.clone());
            }
            c = c.with_tls(tls);
        }
        let revision = polling::revision(&[
            r.host.get_ref().as_bytes(),
            &port,
            r.user.as_bytes(),
            &[u8::from(r.tls)],
            &ca_pem,
            password.expose(),
        ]);
        let adapter =
            ispvm_collector::routeros::adapter(c, &collector.timeouts).with_device_id(id.clone());
        out.push(
            Target::new(tenant.clone(), id, Arc::new(adapter))
                .with_intervals(collector.intervals)
                .with_revision(revision),
        );
    }
    Ok(out)
}

fn tenant_specs(config: &Config) -> Result<Vec<TenantSpec>, ServiceError> {
    let mut out = Vec::new();
    for t in &config.tenants {
        let id = TenantId::new(t.id.get_ref().as_str())
            .map_err(|e| ServiceError::Runtime(e.to_string()))?;
        let collector = polling::collector_config(&config.polling, Some(t))
            .map_err(|e| ServiceError::Runtime(format!("tenant {id}: polling: {e}")))?;
        let mut spec = TenantSpec::new(
            id,
            tenant_topology(config, t)?,
            PipelineConfig::standard()
                .with_radius_down_threshold(ispvm_pipeline::rules::RADIUS_DOWN_THRESHOLD),
            tenant_targets(config, t, &collector)?,
        );
        spec.collector = collector;
        out.push(spec);
    }
    Ok(out)
}

impl Agent {
    fn new(
        world: Option<SimWorld>,
        config: Option<PathBuf>,
        tokens: Arc<TokenStore>,
        store: Option<Store>,
    ) -> Self {
        let retention = store.as_ref().map(|s| {
            ispvm_store::spawn_retention(s.clone(), RetentionPolicy::default(), RETENTION_INTERVAL)
        });
        Self {
            tenants: RwLock::new(BTreeMap::new()),
            tasks: Mutex::new(Vec::new()),
            metrics: Arc::new(AgentMetrics::new()),
            shutdown: watch::channel(false).0,
            faults: Mutex::new(BTreeMap::new()),
            world,
            config,
            tokens,
            store,
            retention: Mutex::new(retention),
        }
    }

    async fn add(&self, spec: TenantSpec) -> Result<(), ServiceError> {
        let id = spec.id.clone();
        let spawned = match &self.store {
            Some(store) => {
                tenant::spawn_stored(
                    spec,
                    store.clone(),
                    self.metrics.clone(),
                    self.shutdown.subscribe(),
                )
                .await
            }
            None => tenant::spawn(spec, self.metrics.clone(), self.shutdown.subscribe())
                .map_err(tenant::SpawnError::from),
        };
        let (handle, tasks) = spawned.map_err(|e| match e {
            tenant::SpawnError::Store(e) => ServiceError::Store(e),
            other => ServiceError::Runtime(format!("tenant {id}: {other}")),
        })?;
        if let Ok(mut t) = self.tenants.write() {
            t.insert(handle.id().clone(), handle);
        }
        if let Ok(mut t) = self.tasks.lock() {
            t.push(tasks);
        }
        Ok(())
    }

    /// Starts the embedded world (the simulated ISP of [`embedded`]) and its tenant
    /// `demo-isp`, polled every `fast`, with its state in memory (see
    /// [`Agent::start_embedded_stored`]).
    ///
    /// # Errors
    /// [`ServiceError::World`] when a simulator cannot start.
    pub async fn start_embedded(fast: Duration) -> Result<Arc<Self>, ServiceError> {
        Self::start_embedded_stored(fast, None).await
    }

    /// Like [`Agent::start_embedded`], keeping the tenant's state (incidents, feedback, learned
    /// weights, maintenance windows, audit log) in `store` when given: what the store holds is
    /// restored first, and a retention task (hourly, [`RetentionPolicy::default`]) runs until
    /// [`Agent::shutdown`].
    ///
    /// # Errors
    /// [`ServiceError::World`] when a simulator cannot start; [`ServiceError::Store`] when the
    /// stored state cannot be read.
    ///
    /// # Examples
    /// ```no_run
    /// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let store = ispvm_store::Store::open_data_dir("./ispvm-data").await?;
    /// let agent = ispvm_service::Agent::start_embedded_stored(std::time::Duration::from_secs(5), Some(store)).await?;
    /// agent.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn start_embedded_stored(
        fast: Duration,
        store: Option<Store>,
    ) -> Result<Arc<Self>, ServiceError> {
        let (ca, cert, key) = tls_material()?;
        let options = WorldOptions::new(embedded::USER, Secret::new(embedded::PASSWORD))
            .with_tls(cert, key)
            .with_reload(fast.mul_f64(2.0).max(Duration::from_secs(2)));
        let world = SimWorld::start(embedded::world_spec(), options)
            .await
            .map_err(|e| ServiceError::World(e.to_string()))?;
        let topology = embedded::topology().map_err(|e| ServiceError::World(e.to_string()))?;
        let pipeline =
            embedded::pipeline_config().map_err(|e| ServiceError::World(e.to_string()))?;
        let tenant =
            TenantId::new(embedded::TENANT).map_err(|e| ServiceError::World(e.to_string()))?;
        let collector = polling::embedded_config(fast);
        let mut targets = Vec::new();
        let mut routers = Vec::new();
        for r in &embedded::ROUTERS {
            let id = eid(r.id)?;
            let Some(addr) = world.addr(r.id).await else {
                continue;
            };
            let mut c =
                ClientConfig::new("127.0.0.1", embedded::USER, Secret::new(embedded::PASSWORD));
            c = match addr.api_ssl {
                Some(t) => c
                    .with_port(t.port())
                    .with_tls(TlsOptions::new().with_ca_pem(ca.clone())),
                None => c.with_port(addr.api.port()),
            };
            let adapter = ispvm_collector::routeros::adapter(c, &collector.timeouts)
                .with_device_id(id.clone());
            targets.push(Target::new(tenant.clone(), id.clone(), Arc::new(adapter)));
            routers.push(id);
        }
        let probe = polling::WorldProbe::new(world.clone(), routers)
            .target(
                tenant.clone(),
                collector
                    .intervals
                    .get(ispvm_model::Tier::Fast)
                    .unwrap_or(fast),
            )
            .map_err(|e| ServiceError::World(e.to_string()))?;
        targets.push(probe);
        let mut spec = TenantSpec::new(tenant, topology, pipeline, targets);
        spec.collector = collector;
        spec.world = Some(world.clone());
        let agent = Arc::new(Self::new(
            Some(world),
            None,
            Arc::new(TokenStore::new()),
            store,
        ));
        if let Err(e) = agent.add(spec).await {
            agent.shutdown().await;
            return Err(e);
        }
        Ok(agent)
    }

    /// Starts the tenants of a configuration file, with their state in memory (see
    /// [`Agent::start_from_config_stored`]).
    ///
    /// # Errors
    /// [`ServiceError`] when the file, a topology or a secret is unusable.
    pub async fn start_from_config(path: &Path) -> Result<Arc<Self>, ServiceError> {
        Self::start_from_config_stored(path, None).await
    }

    /// Starts the tenants of a configuration file, keeping their state in `store` when given
    /// (as [`Agent::start_embedded_stored`]).
    ///
    /// # Errors
    /// [`ServiceError`] when the file, a topology or a secret is unusable, or the stored state
    /// cannot be read.
    pub async fn start_from_config_stored(
        path: &Path,
        store: Option<Store>,
    ) -> Result<Arc<Self>, ServiceError> {
        let config = Config::load(path)?;
        let specs = tenant_specs(&config)?;
        let tokens = Arc::new(TokenStore::with_entries(config.token_entries(path)?));
        let agent = Arc::new(Self::new(None, Some(path.to_owned()), tokens, store));
        for spec in specs {
            if let Err(e) = agent.add(spec).await {
                agent.shutdown().await;
                return Err(e);
            }
        }
        Ok(agent)
    }

    /// The store keeping the tenants' state, if the agent has one.
    #[must_use]
    pub fn store(&self) -> Option<&Store> {
        self.store.as_ref()
    }

    /// The HTTP options for this agent: its tokens, and for the embedded world on a loopback
    /// listener, anonymous `operator` access to `demo-isp`.
    #[must_use]
    pub fn http_options(&self, listen: SocketAddr) -> HttpOptions {
        let mut o = HttpOptions::new().with_tokens(self.tokens.clone());
        if self.world.is_some() && listen.ip().is_loopback() {
            if let Ok(t) = TenantId::new(embedded::TENANT) {
                o = o.with_anonymous(t, Role::Operator);
            }
        }
        o
    }

    /// A handle onto a tenant.
    #[must_use]
    pub fn tenant(&self, id: &TenantId) -> Option<TenantHandle> {
        self.tenants.read().ok()?.get(id).cloned()
    }

    /// The metrics, shared.
    #[must_use]
    pub fn shared_metrics(&self) -> Arc<AgentMetrics> {
        self.metrics.clone()
    }

    /// Reloads the configuration file: routers and topologies of the tenants it names,
    /// keeping engine state and incident ids (a tenant added or removed needs a restart and
    /// is reported). Tokens are replaced. The embedded world has nothing to reload.
    ///
    /// # Errors
    /// [`ServiceError`] when the new file is unusable; the running state is then unchanged.
    pub async fn reload(&self) -> Result<String, ServiceError> {
        let Some(path) = &self.config else {
            return Ok("the embedded world has no configuration to reload".into());
        };
        let config = Config::load(path)?;
        let specs = tenant_specs(&config)?;
        let entries = config.token_entries(path)?;
        let mut lines = Vec::new();
        let known: Vec<TenantId> = self.tenants();
        for spec in specs {
            match self.tenant(&spec.id) {
                Some(h) => {
                    let summary = h
                        .reload(
                            spec.topology.clone(),
                            spec.pipeline.clone(),
                            spec.targets.clone(),
                        )
                        .await
                        .unwrap_or_else(|| "tenant task ended".into());
                    if let Err(e) = h
                        .audit(AuditEntry::new(
                            Utc::now(),
                            "system",
                            AuditAction::Reload,
                            "",
                            summary.clone(),
                        ))
                        .await
                    {
                        tracing::warn!(tenant = %spec.id, error = %e, "reload not audited");
                    }
                    lines.push(format!("{}: {summary}", spec.id));
                }
                None => lines.push(format!("{}: new tenant, needs a restart", spec.id)),
            }
        }
        for t in known {
            if !config.tenants.iter().any(|c| c.id.get_ref() == t.as_str()) {
                lines.push(format!(
                    "{t}: removed from the file, still served until a restart"
                ));
            }
        }
        self.tokens.replace(entries);
        Ok(lines.join("; "))
    }

    /// Stops polling and evaluation, waits for the tenant tasks (an evaluation in progress
    /// is stored first), stops the retention task and the world, and closes the store.
    pub async fn shutdown(&self) {
        self.shutdown.send_replace(true);
        if let Some(r) = self.retention.lock().ok().and_then(|mut r| r.take()) {
            r.abort();
            let _ = r.await;
        }
        let tasks: Vec<TenantTasks> = self
            .tasks
            .lock()
            .map(|mut t| t.drain(..).collect())
            .unwrap_or_default();
        for t in tasks {
            t.join().await;
        }
        if let Some(w) = &self.world {
            w.shutdown().await;
        }
        if let Some(s) = &self.store {
            s.close().await;
        }
    }

    fn handle(&self, tenant: &TenantId) -> Result<TenantHandle, BackendError> {
        self.tenant(tenant).ok_or(BackendError::UnknownTenant)
    }

    fn world_kind(kind: FaultKind) -> world::FaultKind {
        match kind {
            FaultKind::PowerOff => world::FaultKind::PowerOff,
            FaultKind::ApiDown => world::FaultKind::ApiDown,
            FaultKind::LinkDown => world::FaultKind::LinkDown,
            FaultKind::RadiusTimeout => world::FaultKind::RadiusTimeout,
            _ => world::FaultKind::Maintenance,
        }
    }
}

#[async_trait]
impl Backend for Agent {
    fn tenants(&self) -> Vec<TenantId> {
        self.tenants
            .read()
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default()
    }

    async fn readiness(&self) -> Readiness {
        let pending = self
            .tenants
            .read()
            .map(|t| {
                t.values()
                    .filter(|h| h.latest().is_none())
                    .map(|h| h.id().clone())
                    .collect()
            })
            .unwrap_or_default();
        Readiness::pending(pending)
    }

    async fn analysis(
        &self,
        tenant: &TenantId,
    ) -> Result<Option<Arc<AnalysisDocument>>, BackendError> {
        Ok(self.handle(tenant)?.latest().map(|v| v.analysis))
    }

    async fn incidents(
        &self,
        tenant: &TenantId,
        filter: IncidentFilter,
    ) -> Result<Vec<IncidentRecord>, BackendError> {
        let h = self.handle(tenant)?;
        if let Some(store) = h.store() {
            let (open, closed) = match filter {
                IncidentFilter::Open => (true, false),
                IncidentFilter::Closed => (false, true),
                _ => (true, true),
            };
            return crate::persist::incidents(store, tenant, open, closed)
                .await
                .map_err(unavailable);
        }
        Ok(h.latest()
            .map(|v| {
                v.incidents
                    .iter()
                    .filter(|r| filter.matches(r.state))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn incident(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Option<IncidentRecord>, BackendError> {
        let h = self.handle(tenant)?;
        if let Some(store) = h.store() {
            return store.incident(tenant, id).await.map_err(unavailable);
        }
        Ok(h.latest()
            .and_then(|v| v.incidents.iter().find(|r| r.incident.id == id).cloned()))
    }

    async fn entity(
        &self,
        tenant: &TenantId,
        id: &EntityId,
    ) -> Result<Option<EntityView>, BackendError> {
        let h = self.handle(tenant)?;
        Ok(h.latest()
            .and_then(|v| EntityView::from_analysis(&v.analysis, id)))
    }

    async fn feedback(
        &self,
        tenant: &TenantId,
        incident: &str,
        true_cause: &EntityId,
        actor: &Actor,
    ) -> Result<(), FeedbackError> {
        let h = self.handle(tenant)?;
        match h.feedback(incident, true_cause, &actor.name).await {
            // With a store, the label and its audit entry were committed together.
            Some(tenant::FeedbackOutcome::Ok) if h.store().is_some() => Ok(()),
            Some(tenant::FeedbackOutcome::Ok) => {
                let _ = h
                    .audit(AuditEntry::new(
                        Utc::now(),
                        actor.name.clone(),
                        AuditAction::Feedback,
                        incident,
                        format!("true cause {true_cause}"),
                    ))
                    .await;
                Ok(())
            }
            Some(tenant::FeedbackOutcome::Failed(e)) => Err(BackendError::Unavailable(e).into()),
            Some(tenant::FeedbackOutcome::UnknownIncident) => Err(FeedbackError::UnknownIncident),
            Some(tenant::FeedbackOutcome::CauseNotInIncident) => {
                Err(FeedbackError::CauseNotInIncident {
                    cause: true_cause.clone(),
                })
            }
            None => Err(BackendError::Unavailable("the tenant task ended".into()).into()),
        }
    }

    fn subscribe(&self, tenant: &TenantId) -> Option<broadcast::Receiver<Arc<AnalysisDocument>>> {
        self.tenant(tenant).map(|h| h.subscribe())
    }

    async fn topology(&self, tenant: &TenantId) -> Result<Option<Arc<Topology>>, BackendError> {
        Ok(self.handle(tenant)?.latest().map(|v| v.topology))
    }

    async fn lint(
        &self,
        tenant: &TenantId,
    ) -> Result<Option<ispvm_model::lint::LintReport>, BackendError> {
        let topology = self.handle(tenant)?.latest().map(|v| v.topology);
        Ok(topology.map(|t| crate::lint::running_tenant(&t, self.world.is_some())))
    }

    async fn create_fault(
        &self,
        tenant: &TenantId,
        request: &FaultRequest,
        actor: &Actor,
    ) -> Result<Fault, FaultError> {
        let h = self.handle(tenant)?;
        let world = h.world().ok_or(FaultError::NotSimulated)?.clone();
        let target = request.target.clone();
        let known = h
            .latest()
            .is_some_and(|v| v.topology.index_of(target.as_str()).is_some());
        let injected = world
            .inject(world::Fault::new(
                Self::world_kind(request.fault),
                target.as_str(),
            ))
            .await;
        let id = match injected {
            Ok(id) => id,
            Err(WorldError::BadTarget { .. }) if known => {
                return Err(FaultError::UnsupportedTarget {
                    fault: request.fault.as_str(),
                    target,
                });
            }
            Err(WorldError::BadTarget { .. }) => return Err(FaultError::UnknownTarget(target)),
            Err(e) => return Err(BackendError::Internal(e.to_string()).into()),
        };
        let now = Utc::now();
        let mut window = None;
        if request.fault == FaultKind::Maintenance {
            let end = now + chrono::Duration::from_std(FAULT_MAINTENANCE).unwrap_or_default();
            let req = WindowRequest::new(vec![target.clone()], Some(now), end)
                .with_reason(format!("fault {id}: maintenance with a reload"));
            if let Some(Ok(w)) = h
                .create_window(WindowKind::Maintenance, req, actor.name.clone())
                .await
            {
                window = Some(w.id);
            }
        }
        if let Ok(mut f) = self.faults.lock() {
            f.insert(
                id.to_string(),
                FaultRecord {
                    tenant: tenant.clone(),
                    kind: request.fault,
                    target: target.clone(),
                    created_at: now,
                    window,
                },
            );
        }
        h.audit(AuditEntry::new(
            now,
            actor.name.clone(),
            AuditAction::FaultCreated,
            id.as_str(),
            format!("{} on {target}", request.fault.as_str()),
        ))
        .await
        .map_err(unavailable)?;
        Ok(Fault::new(id.as_str(), request.fault, target, now))
    }

    async fn repair_fault(
        &self,
        tenant: &TenantId,
        id: &str,
        actor: &Actor,
    ) -> Result<(), FaultError> {
        let h = self.handle(tenant)?;
        let world = h.world().ok_or(FaultError::NotSimulated)?.clone();
        let record = self.faults.lock().ok().and_then(|f| f.get(id).cloned());
        let Some(record) = record.filter(|r| &r.tenant == tenant) else {
            return Err(FaultError::UnknownFault);
        };
        match world.repair(&world::FaultId::from(id)).await {
            Ok(()) => {}
            Err(WorldError::UnknownFault(_)) => return Err(FaultError::UnknownFault),
            Err(e) => return Err(BackendError::Internal(e.to_string()).into()),
        }
        if let Ok(mut f) = self.faults.lock() {
            f.remove(id);
        }
        if let Some(w) = &record.window {
            let _ = h.end_window(WindowKind::Maintenance, w, &actor.name).await;
        }
        h.audit(AuditEntry::new(
            Utc::now(),
            actor.name.clone(),
            AuditAction::FaultRepaired,
            id,
            format!("{} on {}", record.kind.as_str(), record.target),
        ))
        .await
        .map_err(unavailable)?;
        Ok(())
    }

    async fn faults(&self, tenant: &TenantId) -> Result<Vec<Fault>, FaultError> {
        let h = self.handle(tenant)?;
        if h.world().is_none() {
            return Err(FaultError::NotSimulated);
        }
        let f = self.faults.lock().map(|f| f.clone()).unwrap_or_default();
        let mut out: Vec<Fault> = f
            .into_iter()
            .filter(|(_, r)| &r.tenant == tenant)
            .map(|(id, r)| Fault::new(id, r.kind, r.target, r.created_at))
            .collect();
        out.sort_by_key(|f| f.created_at);
        Ok(out)
    }

    async fn create_window(
        &self,
        tenant: &TenantId,
        kind: WindowKind,
        request: &WindowRequest,
        actor: &Actor,
    ) -> Result<Window, WindowError> {
        let h = self.handle(tenant)?;
        let w = h
            .create_window(kind, request.clone(), actor.name.clone())
            .await
            .ok_or_else(|| BackendError::Unavailable("the tenant task ended".into()))?
            .map_err(window_failure)?;
        // A stored maintenance window's audit entry was committed with it.
        if h.store().is_none() || kind == WindowKind::Silence {
            let action = match kind {
                WindowKind::Silence => AuditAction::SilenceCreated,
                _ => AuditAction::MaintenanceCreated,
            };
            let entities: Vec<&str> = w.entities.iter().map(EntityId::as_str).collect();
            h.audit(AuditEntry::new(
                Utc::now(),
                actor.name.clone(),
                action,
                w.id.clone(),
                format!("{} until {}", entities.join(", "), w.end),
            ))
            .await
            .map_err(unavailable)?;
        }
        Ok(w)
    }

    async fn windows(
        &self,
        tenant: &TenantId,
        kind: WindowKind,
    ) -> Result<Vec<Window>, WindowError> {
        let h = self.handle(tenant)?;
        Ok(h.windows(kind).await.unwrap_or_default())
    }

    async fn end_window(
        &self,
        tenant: &TenantId,
        kind: WindowKind,
        id: &str,
        actor: &Actor,
    ) -> Result<Window, WindowError> {
        let h = self.handle(tenant)?;
        let w = h
            .end_window(kind, id, &actor.name)
            .await
            .ok_or_else(|| BackendError::Unavailable("the tenant task ended".into()))?
            .map_err(window_failure)?
            .ok_or(WindowError::UnknownWindow)?;
        if h.store().is_none() || kind == WindowKind::Silence {
            let action = match kind {
                WindowKind::Silence => AuditAction::SilenceEnded,
                _ => AuditAction::MaintenanceEnded,
            };
            h.audit(AuditEntry::new(
                Utc::now(),
                actor.name.clone(),
                action,
                id,
                "ended early",
            ))
            .await
            .map_err(unavailable)?;
        }
        Ok(w)
    }

    async fn audit(
        &self,
        tenant: &TenantId,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, BackendError> {
        self.handle(tenant)?
            .audit_entries(limit)
            .await
            .map_err(unavailable)
    }

    async fn record_audit(&self, tenant: &TenantId, entry: AuditEntry) -> Result<(), BackendError> {
        self.handle(tenant)?.audit(entry).await.map_err(unavailable)
    }

    fn metrics(&self) -> &AgentMetrics {
        &self.metrics
    }
}

/// A store failure as the API shows it: 503, retry later (the message names no URL).
fn unavailable(e: ispvm_store::StoreError) -> BackendError {
    BackendError::Unavailable(format!("the store: {e}"))
}

fn window_failure(f: WindowFailure) -> WindowError {
    match f {
        WindowFailure::Invalid(m) => WindowError::Invalid(m),
        WindowFailure::Store(m) => BackendError::Unavailable(format!("the store: {m}")).into(),
    }
}
