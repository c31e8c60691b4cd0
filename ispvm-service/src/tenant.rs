//! One tenant: a task that owns its [`Pipeline`] (pure steps, thin actor) and an
//! [`ispvm_collector::Collector`] that feeds it (see [`crate::polling`]).
//!
//! ```text
//! Collector (tiers, jitter, backoff, concurrency, deadline; one connection per router)
//!   │  PollReport per poll (and the embedded world's pings)
//!   ▼
//! tenant task (owns Pipeline, incident records, windows) ── once every router reported (or
//!   │  after one fast interval plus the poll deadline), then whenever reports arrived (at
//!   │  most every `settle`), and at least every fast interval: snapshot(now)
//!   │  ──> watch<TenantView> (latest), broadcast (changed)
//!   ▼
//! TenantHandle: commands (feedback, windows, reload, shutdown) and lock-free reads
//! ```

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use ispvm_collector::{
    CancellationToken, Collector, CollectorConfig, PollReport, SyncSummary, Target, TargetKey,
    TargetStats,
};
use ispvm_http::{AgentMetrics, AuditEntry, Window, WindowKind, WindowRequest};
use ispvm_model::{EntityId, MaintenanceWindow, TenantId, Tier, Topology};
use ispvm_pipeline::{Pipeline, PipelineConfig};
use ispvm_routeros::sim::world::SimWorld;
use ispvm_schemas::analysis::AnalysisDocument;
use ispvm_schemas::incident::{
    FeedbackLabel, IncidentChange, IncidentChangeKind, IncidentRecord, IncidentState,
};
use ispvm_store::Store;
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use crate::persist::{self, Persist, Restored};

/// Most audit entries kept in memory per tenant.
pub const AUDIT_LIMIT: usize = 10_000;
/// Most closed incidents kept in memory per tenant.
pub const CLOSED_LIMIT: usize = 5_000;

/// Everything a tenant task starts from.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TenantSpec {
    /// The tenant.
    pub id: TenantId,
    /// Its topology.
    pub topology: Arc<Topology>,
    /// Its pipeline configuration.
    pub pipeline: PipelineConfig,
    /// The collector's targets: the routers (and, for the embedded world, the ping probe).
    pub targets: Vec<Target>,
    /// The collector's settings (its fast interval also paces evaluations).
    pub collector: CollectorConfig,
    /// The simulated world, for the embedded tenant.
    pub world: Option<SimWorld>,
}

impl TenantSpec {
    /// A spec with the given parts, the collector's default settings, no world.
    #[must_use]
    pub fn new(
        id: TenantId,
        topology: Topology,
        pipeline: PipelineConfig,
        targets: Vec<Target>,
    ) -> Self {
        Self {
            id,
            topology: Arc::new(topology),
            pipeline,
            targets,
            collector: CollectorConfig::default(),
            world: None,
        }
    }
}

/// What readers see of a tenant: the latest evaluation and the incident records.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TenantView {
    /// The latest analysis (with the stored incident ids when the tenant has a store).
    pub analysis: Arc<AnalysisDocument>,
    /// Every incident record kept in memory, newest `opened_at` first; empty when the tenant
    /// keeps its incidents in a store (read them there).
    pub incidents: Arc<Vec<IncidentRecord>>,
    /// The topology it was made with.
    pub topology: Arc<Topology>,
}

/// Why a feedback was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FeedbackOutcome {
    Ok,
    UnknownIncident,
    CauseNotInIncident,
    /// The store failed (nothing was acknowledged).
    Failed(String),
}

/// Why a window could not be created or ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WindowFailure {
    /// The request does not fit (422).
    Invalid(String),
    /// The store failed (503; nothing was acknowledged).
    Store(String),
}

enum Command {
    Feedback {
        incident: String,
        cause: EntityId,
        actor: String,
        reply: oneshot::Sender<FeedbackOutcome>,
    },
    CreateWindow {
        kind: WindowKind,
        request: WindowRequest,
        created_by: String,
        reply: oneshot::Sender<Result<Window, WindowFailure>>,
    },
    EndWindow {
        kind: WindowKind,
        id: String,
        actor: String,
        reply: oneshot::Sender<Result<Option<Window>, WindowFailure>>,
    },
    ListWindows {
        kind: WindowKind,
        reply: oneshot::Sender<Vec<Window>>,
    },
    Reload {
        topology: Arc<Topology>,
        pipeline: Box<PipelineConfig>,
        reply: oneshot::Sender<String>,
    },
}

/// A handle onto a running tenant: cheap to clone.
#[derive(Clone)]
pub struct TenantHandle {
    id: TenantId,
    commands: mpsc::Sender<Command>,
    latest: watch::Receiver<Option<TenantView>>,
    changes: broadcast::Sender<Arc<AnalysisDocument>>,
    audit: Arc<Mutex<VecDeque<AuditEntry>>>,
    store: Option<Store>,
    world: Option<SimWorld>,
    collector: Collector,
}

impl std::fmt::Debug for TenantHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantHandle")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// The tasks of a tenant, to wait for at shutdown.
#[derive(Debug)]
pub struct TenantTasks {
    actor: tokio::task::JoinHandle<()>,
    poller: tokio::task::JoinHandle<()>,
}

impl TenantTasks {
    /// Waits until both tasks ended (after the shutdown signal; the collector's in-flight
    /// polls are cancelled).
    pub async fn join(self) {
        let _ = self.poller.await;
        let _ = self.actor.await;
    }
}

impl TenantHandle {
    /// The tenant.
    #[must_use]
    pub fn id(&self) -> &TenantId {
        &self.id
    }
    /// The latest view, `None` before the first evaluation.
    #[must_use]
    pub fn latest(&self) -> Option<TenantView> {
        self.latest.borrow().clone()
    }
    /// A receiver of the analyses whose evaluation changed something.
    #[must_use]
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<AnalysisDocument>> {
        self.changes.subscribe()
    }
    /// Waits for the next evaluation (for tests and readiness waits).
    ///
    /// # Errors
    /// When the tenant task ended.
    pub async fn changed(&self) -> Result<(), watch::error::RecvError> {
        let mut rx = self.latest.clone();
        rx.changed().await
    }
    /// The poll statistics of every collector target, sorted by key.
    #[must_use]
    pub fn poll_stats(&self) -> Vec<(TargetKey, TargetStats)> {
        self.collector.all_stats()
    }
    /// The simulated world, for the embedded tenant.
    #[must_use]
    pub fn world(&self) -> Option<&SimWorld> {
        self.world.as_ref()
    }
    /// The store keeping this tenant's state, if it has one.
    #[must_use]
    pub fn store(&self) -> Option<&Store> {
        self.store.as_ref()
    }
    /// Appends to the audit log: the store's when the tenant has one (committed when this
    /// returns `Ok`), else the in-memory log (bounded: the oldest entries go first).
    ///
    /// # Errors
    /// The store's error (the entry was not recorded).
    pub async fn audit(&self, entry: AuditEntry) -> Result<(), ispvm_store::StoreError> {
        if let Some(store) = &self.store {
            return persist::record_audit(store, &self.id, &entry).await;
        }
        if let Ok(mut a) = self.audit.lock() {
            if a.len() >= AUDIT_LIMIT {
                a.pop_front();
            }
            a.push_back(entry);
        }
        Ok(())
    }
    /// The newest `limit` audit entries, newest first (from the store when the tenant has one).
    ///
    /// # Errors
    /// The store's error.
    pub async fn audit_entries(
        &self,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, ispvm_store::StoreError> {
        if let Some(store) = &self.store {
            return persist::audit_log(store, &self.id, limit).await;
        }
        Ok(self
            .audit
            .lock()
            .map(|a| a.iter().rev().take(limit).cloned().collect())
            .unwrap_or_default())
    }

    pub(crate) async fn feedback(
        &self,
        incident: &str,
        cause: &EntityId,
        actor: &str,
    ) -> Option<FeedbackOutcome> {
        let (reply, rx) = oneshot::channel();
        self.commands
            .send(Command::Feedback {
                incident: incident.to_owned(),
                cause: cause.clone(),
                actor: actor.to_owned(),
                reply,
            })
            .await
            .ok()?;
        rx.await.ok()
    }

    pub(crate) async fn create_window(
        &self,
        kind: WindowKind,
        request: WindowRequest,
        created_by: String,
    ) -> Option<Result<Window, WindowFailure>> {
        let (reply, rx) = oneshot::channel();
        self.commands
            .send(Command::CreateWindow {
                kind,
                request,
                created_by,
                reply,
            })
            .await
            .ok()?;
        rx.await.ok()
    }

    pub(crate) async fn end_window(
        &self,
        kind: WindowKind,
        id: &str,
        actor: &str,
    ) -> Option<Result<Option<Window>, WindowFailure>> {
        let (reply, rx) = oneshot::channel();
        self.commands
            .send(Command::EndWindow {
                kind,
                id: id.to_owned(),
                actor: actor.to_owned(),
                reply,
            })
            .await
            .ok()?;
        rx.await.ok()
    }

    pub(crate) async fn windows(&self, kind: WindowKind) -> Option<Vec<Window>> {
        let (reply, rx) = oneshot::channel();
        self.commands
            .send(Command::ListWindows { kind, reply })
            .await
            .ok()?;
        rx.await.ok()
    }

    /// Replaces topology, pipeline configuration and routers ([`Collector::sync`]: unchanged
    /// routers keep their schedule and connection), keeping engine state and incident ids;
    /// returns a one-line summary.
    pub async fn reload(
        &self,
        topology: Arc<Topology>,
        pipeline: PipelineConfig,
        targets: Vec<Target>,
    ) -> Option<String> {
        let polls = match self.collector.sync(targets) {
            Ok(SyncSummary {
                added,
                replaced,
                removed,
                unchanged,
                ..
            }) => format!(
                "routers: {added} added, {replaced} changed, {removed} removed, {unchanged} unchanged"
            ),
            Err(e) => format!("routers kept: {e}"),
        };
        let (reply, rx) = oneshot::channel();
        self.commands
            .send(Command::Reload {
                topology,
                pipeline: Box::new(pipeline),
                reply,
            })
            .await
            .ok()?;
        rx.await.ok().map(|s| format!("{s}; {polls}"))
    }
}

/// Starts a tenant's actor and its collector; both stop when `shutdown` turns true (in-flight
/// polls are cancelled, the last state stays readable through the handle).
///
/// # Errors
/// [`ispvm_collector::ConfigError`] when the collector refuses its settings or a target's
/// intervals.
pub fn spawn(
    spec: TenantSpec,
    metrics: Arc<AgentMetrics>,
    shutdown: watch::Receiver<bool>,
) -> Result<(TenantHandle, TenantTasks), ispvm_collector::ConfigError> {
    spawn_with(spec, metrics, shutdown, None)
}

/// Why a tenant's tasks could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpawnError {
    /// The collector refused the polling settings or a target.
    #[error("polling: {0}")]
    Polling(#[from] ispvm_collector::ConfigError),
    /// The tenant's stored state could not be read.
    #[error("store: {0}")]
    Store(#[from] ispvm_store::StoreError),
}

/// The fast-tier interval of a tenant's polling (30 s when the tier is off).
fn fast_interval(spec: &TenantSpec) -> Duration {
    spec.collector
        .intervals
        .get(Tier::Fast)
        .unwrap_or(Duration::from_secs(30))
}

/// Like [`spawn`], keeping the tenant's state in `store`: the state it holds for the tenant
/// (open incidents, learned weights, maintenance windows in force) is restored before the
/// tasks start, and every evaluation, feedback, window and audit entry is written there.
///
/// # Errors
/// [`SpawnError::Store`] when the state cannot be read, [`SpawnError::Polling`] when the
/// collector refuses the settings.
pub async fn spawn_stored(
    spec: TenantSpec,
    store: Store,
    metrics: Arc<AgentMetrics>,
    shutdown: watch::Receiver<bool>,
) -> Result<(TenantHandle, TenantTasks), SpawnError> {
    let fast = fast_interval(&spec);
    let (p, restored) = Persist::load(store.clone(), spec.id.clone(), fast, Utc::now()).await?;
    Ok(spawn_with(
        spec,
        metrics,
        shutdown,
        Some((store, p, restored)),
    )?)
}

fn spawn_with(
    spec: TenantSpec,
    metrics: Arc<AgentMetrics>,
    shutdown: watch::Receiver<bool>,
    stored: Option<(Store, Persist, Restored)>,
) -> Result<(TenantHandle, TenantTasks), ispvm_collector::ConfigError> {
    let (store, persist, restored) = match stored {
        Some((s, p, r)) => (Some(s), Some(p), Some(r)),
        None => (None, None, None),
    };
    let (commands, rx) = mpsc::channel(64);
    let (reports_tx, reports_rx) = mpsc::channel::<PollReport>(1024);
    let (latest_tx, latest) = watch::channel(None);
    let (changes, _) = broadcast::channel(16);
    let fast = fast_interval(&spec);
    let first_deadline = fast + spec.collector.poll_timeout;
    let collector_config = spec.collector.clone();
    let collector = Collector::new(spec.collector, reports_tx)?;
    let routers: Vec<EntityId> = spec
        .targets
        .iter()
        .map(|t| t.key().target.clone())
        .filter(|t| t.as_str() != crate::polling::PROBE_TARGET)
        .collect();
    collector.sync(spec.targets)?;
    let handle = TenantHandle {
        id: spec.id.clone(),
        commands,
        latest,
        changes: changes.clone(),
        audit: Arc::new(Mutex::new(VecDeque::new())),
        store,
        world: spec.world.clone(),
        collector: collector.clone(),
    };
    let poller = tokio::spawn(run_collector(collector, shutdown.clone()));
    let mut actor = Actor {
        id: spec.id.clone(),
        pipeline: Pipeline::new(
            spec.topology.clone(),
            crate::polling::with_poll_interval(spec.pipeline, &collector_config),
        ),
        topology: spec.topology,
        records: BTreeMap::new(),
        windows: Vec::new(),
        next_window: 1,
        latest: latest_tx,
        changes,
        reports: crate::polling::Reports::new(spec.id, metrics.clone(), routers),
        metrics,
        persist,
    };
    if let Some(r) = restored {
        actor.restore(r);
    }
    let actor = tokio::spawn(actor.run(rx, reports_rx, fast, first_deadline, shutdown));
    Ok((handle, TenantTasks { actor, poller }))
}

/// Runs the collector until `shutdown` turns true (or its sender is gone), then cancels it
/// and waits for its workers.
async fn run_collector(collector: Collector, mut shutdown: watch::Receiver<bool>) {
    let cancel = CancellationToken::new();
    let run = collector.run(cancel.clone());
    tokio::pin!(run);
    loop {
        if *shutdown.borrow() {
            break;
        }
        tokio::select! {
            r = &mut run => {
                if let Err(e) = r {
                    tracing::error!(error = %e, "the collector did not run");
                }
                return;
            }
            c = shutdown.changed() => if c.is_err() { break },
        }
    }
    cancel.cancel();
    let _ = run.await;
}

struct Actor {
    id: TenantId,
    pipeline: Pipeline,
    topology: Arc<Topology>,
    records: BTreeMap<String, IncidentRecord>,
    windows: Vec<Window>,
    next_window: u64,
    latest: watch::Sender<Option<TenantView>>,
    changes: broadcast::Sender<Arc<AnalysisDocument>>,
    reports: crate::polling::Reports,
    metrics: Arc<AgentMetrics>,
    persist: Option<Persist>,
}

impl Actor {
    /// Applies the state restored from the store: weights, maintenance windows.
    fn restore(&mut self, r: Restored) {
        self.pipeline.set_weights(&r.weights);
        self.windows = r
            .windows
            .into_iter()
            .filter(|w| {
                w.entities
                    .iter()
                    .all(|e| self.topology.index_of(e.as_str()).is_some())
            })
            .collect();
        self.apply_windows();
    }

    async fn run(
        mut self,
        mut commands: mpsc::Receiver<Command>,
        mut reports: mpsc::Receiver<PollReport>,
        fast: Duration,
        first_deadline: Duration,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let first_by = tokio::time::Instant::now() + first_deadline;
        let mut every = tokio::time::interval(fast);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        every.tick().await;
        // Reports are batched: one evaluation per `settle` at most.
        let settle = (fast / 5).clamp(Duration::from_millis(100), Duration::from_secs(1));
        let mut settle_tick = tokio::time::interval(settle);
        settle_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut dirty = false;
        loop {
            tokio::select! {
                c = commands.recv() => match c {
                    Some(c) => self.handle(c).await,
                    None => break,
                },
                r = reports.recv() => match r {
                    Some(r) => {
                        dirty |= self.reports.apply(&mut self.pipeline, &r);
                        // The first evaluation once every router was heard of.
                        if self.latest.borrow().is_none() && self.reports.all_heard() {
                            self.evaluate(Utc::now()).await;
                            dirty = false;
                        }
                    }
                    None => break,
                },
                _ = settle_tick.tick() => {
                    let first = self.latest.borrow().is_none();
                    if (dirty && !first) || (first && tokio::time::Instant::now() >= first_by) {
                        self.evaluate(Utc::now()).await;
                        dirty = false;
                    }
                }
                _ = every.tick() => {
                    // At least one evaluation per fast interval, reports or not.
                    if self.latest.borrow().as_ref().is_some_and(|v| {
                        (Utc::now() - v.analysis.evaluated_at).to_std().unwrap_or_default() >= fast
                    }) {
                        self.evaluate(Utc::now()).await;
                    }
                }
                _ = shutdown.changed() => break,
            }
        }
        tracing::debug!(tenant = %self.id, "tenant task ended");
    }

    async fn handle(&mut self, c: Command) {
        match c {
            Command::Feedback {
                incident,
                cause,
                actor,
                reply,
            } => {
                if self.persist.is_some() {
                    let outcome = self.stored_feedback(&incident, &cause, &actor).await;
                    let _ = reply.send(outcome);
                    return;
                }
                let outcome = match self.pipeline.record_feedback(&incident, &cause) {
                    Ok(()) => {
                        if let Some(r) = self.records.get_mut(&incident) {
                            let now = Utc::now();
                            r.feedback = Some(FeedbackLabel::new(cause.clone(), now));
                            r.history.push(IncidentChange::new(
                                now,
                                IncidentChangeKind::Feedback,
                                format!("true cause: {cause}"),
                            ));
                        }
                        self.publish_records();
                        FeedbackOutcome::Ok
                    }
                    Err(ispvm_pipeline::FeedbackError::CauseNotInIncident { .. }) => {
                        FeedbackOutcome::CauseNotInIncident
                    }
                    Err(_) => FeedbackOutcome::UnknownIncident,
                };
                let _ = reply.send(outcome);
            }
            Command::CreateWindow {
                kind,
                request,
                created_by,
                reply,
            } => {
                let _ = reply.send(self.create_window(kind, &request, created_by).await);
            }
            Command::EndWindow {
                kind,
                id,
                actor,
                reply,
            } => {
                let now = Utc::now();
                let known = self.windows.iter().any(|w| {
                    w.kind == kind && w.id == id && w.ended_early_at.is_none() && w.end > now
                });
                if known && kind == WindowKind::Maintenance {
                    if let Some(p) = &self.persist {
                        match p.end_window(&id, &actor, now).await {
                            Ok(true) => {}
                            Ok(false) => {
                                let _ = reply.send(Ok(None));
                                return;
                            }
                            Err(e) => {
                                let _ = reply.send(Err(WindowFailure::Store(e.to_string())));
                                return;
                            }
                        }
                    }
                }
                let ended = self
                    .windows
                    .iter_mut()
                    .find(|w| {
                        w.kind == kind && w.id == id && w.ended_early_at.is_none() && w.end > now
                    })
                    .map(|w| {
                        w.end = now.max(w.start + chrono::Duration::milliseconds(1));
                        w.ended_early_at = Some(now);
                        w.clone()
                    });
                if ended.is_some() {
                    self.apply_windows();
                    self.evaluate(now).await;
                }
                let _ = reply.send(Ok(ended));
            }
            Command::ListWindows { kind, reply } => {
                let now = Utc::now();
                let mut list: Vec<Window> = self
                    .windows
                    .iter()
                    .filter(|w| w.kind == kind && w.ended_early_at.is_none() && w.end > now)
                    .cloned()
                    .collect();
                list.sort_by_key(|w| w.start);
                let _ = reply.send(list);
            }
            Command::Reload {
                topology,
                pipeline,
                reply,
            } => {
                let _ = pipeline;
                let change = self.pipeline.replace_topology(topology.clone());
                self.topology = topology;
                self.windows.retain(|w| {
                    w.entities
                        .iter()
                        .all(|e| self.topology.index_of(e.as_str()).is_some())
                });
                self.apply_windows();
                self.evaluate(Utc::now()).await;
                let _ = reply.send(format!(
                    "{} entities kept, {} added, {} removed",
                    change.kept, change.added, change.removed
                ));
            }
        }
    }

    async fn create_window(
        &mut self,
        kind: WindowKind,
        request: &WindowRequest,
        created_by: String,
    ) -> Result<Window, WindowFailure> {
        let now = Utc::now();
        let invalid = |m: String| WindowFailure::Invalid(m);
        if request.entities.is_empty() {
            return Err(invalid("a window names at least one entity".into()));
        }
        if let Some(e) = request
            .entities
            .iter()
            .find(|e| self.topology.index_of(e.as_str()).is_none())
        {
            return Err(invalid(format!("unknown entity {e}")));
        }
        let start = request.start.unwrap_or(now);
        if request.end <= start {
            return Err(invalid("the end is not after the start".into()));
        }
        let stored = match (&self.persist, kind) {
            (Some(p), WindowKind::Maintenance) => {
                let m = MaintenanceWindow::new(request.entities.clone(), start, request.end)
                    .map_err(|e| invalid(e.to_string()))?;
                let m = match &request.reason {
                    Some(r) => m.with_reason(r.clone()),
                    None => m,
                };
                Some(
                    p.create_window(&m, &created_by, now)
                        .await
                        .map_err(|e| WindowFailure::Store(e.to_string()))?,
                )
            }
            _ => None,
        };
        let id = stored.unwrap_or_else(|| {
            let prefix = match kind {
                WindowKind::Silence => "sl",
                _ => "mw",
            };
            let id = format!("{prefix}{}", self.next_window);
            self.next_window += 1;
            id
        });
        let w = Window::from_request(id, kind, request, created_by, now);
        self.windows.push(w.clone());
        if kind == WindowKind::Maintenance {
            self.apply_windows();
            self.evaluate(now).await;
        }
        Ok(w)
    }

    /// Feedback with a store: the label is committed first (404/422 decided by the stored
    /// incident, open or closed), then the engine learns from it if the incident is open in it,
    /// and the learned weights are stored.
    async fn stored_feedback(
        &mut self,
        incident: &str,
        cause: &EntityId,
        actor: &str,
    ) -> FeedbackOutcome {
        let Some(p) = &self.persist else {
            return FeedbackOutcome::Failed("no store".into());
        };
        let now = Utc::now();
        match p.set_feedback(incident, cause, now, actor).await {
            Ok(()) => {}
            Err(ispvm_store::StoreError::NotFound { .. }) => {
                return FeedbackOutcome::UnknownIncident;
            }
            Err(ispvm_store::StoreError::CauseNotInIncident { .. }) => {
                return FeedbackOutcome::CauseNotInIncident;
            }
            Err(e) => return FeedbackOutcome::Failed(e.to_string()),
        }
        let engine_id = p.engine_id(incident).to_owned();
        match self.pipeline.record_feedback(&engine_id, cause) {
            Ok(()) => {
                if let Err(e) = p.save_weights(&self.pipeline.weights(), now).await {
                    tracing::warn!(tenant = %self.id, error = %e, "learned weights not stored");
                }
            }
            Err(e) => {
                tracing::debug!(tenant = %self.id, incident, error = %e, "feedback stored; the engine does not learn from it");
            }
        }
        FeedbackOutcome::Ok
    }

    fn apply_windows(&mut self) {
        let now = Utc::now();
        self.windows
            .retain(|w| w.end > now - chrono::Duration::hours(24));
        let windows: Vec<MaintenanceWindow> = self
            .windows
            .iter()
            .filter(|w| w.kind == WindowKind::Maintenance)
            .filter_map(|w| {
                let m = MaintenanceWindow::new(w.entities.clone(), w.start, w.end).ok()?;
                Some(match &w.reason {
                    Some(r) => m.with_reason(r.clone()),
                    None => m,
                })
            })
            .collect();
        if let Err(e) = self.pipeline.set_maintenance(&windows) {
            tracing::warn!(tenant = %self.id, error = %e, "maintenance windows refused");
        }
    }

    async fn evaluate(&mut self, at: DateTime<Utc>) {
        let started = Instant::now();
        let mut snapshot = self.pipeline.snapshot(at);
        self.metrics.observe_evaluation(started.elapsed());
        match &mut self.persist {
            // Stored before it is published: what the API shows is committed.
            Some(p) => p.record(&mut snapshot.analysis).await,
            None => self.track_incidents(&snapshot.analysis),
        }
        let analysis = Arc::new(snapshot.analysis);
        self.metrics.set_analysis(&analysis);
        let incidents = Arc::new(self.sorted_records());
        self.latest.send_replace(Some(TenantView {
            analysis: analysis.clone(),
            incidents,
            topology: self.topology.clone(),
        }));
        if snapshot.changed {
            let _ = self.changes.send(analysis);
        }
    }

    fn sorted_records(&self) -> Vec<IncidentRecord> {
        let mut v: Vec<IncidentRecord> = self.records.values().cloned().collect();
        v.sort_by_key(|r| std::cmp::Reverse(r.incident.opened_at));
        v
    }

    fn publish_records(&mut self) {
        let incidents = Arc::new(self.sorted_records());
        self.latest.send_modify(|v| {
            if let Some(v) = v {
                v.incidents = incidents;
            }
        });
    }

    fn track_incidents(&mut self, analysis: &AnalysisDocument) {
        let at = analysis.evaluated_at;
        let open_now: Vec<&str> = analysis.incidents.iter().map(|i| i.id.as_str()).collect();
        for incident in &analysis.incidents {
            match self.records.get_mut(&incident.id) {
                None => {
                    self.records.insert(
                        incident.id.clone(),
                        IncidentRecord::opened(incident.clone()),
                    );
                }
                Some(r) => {
                    let causes = |i: &ispvm_model::Incident| {
                        i.root_causes
                            .iter()
                            .map(|c| (c.entity.clone(), format!("{:?}", c.role)))
                            .collect::<Vec<_>>()
                    };
                    if r.state == IncidentState::Closed {
                        r.state = IncidentState::Open;
                        r.closed_at = None;
                        r.history.push(IncidentChange::new(
                            at,
                            IncidentChangeKind::Opened,
                            "reopened",
                        ));
                    }
                    if causes(&r.incident) != causes(incident) {
                        r.history.push(IncidentChange::new(
                            at,
                            IncidentChangeKind::CausesChanged,
                            incident.summary.clone(),
                        ));
                    } else if r.incident.impacted != incident.impacted
                        || r.incident.subscribers_affected != incident.subscribers_affected
                    {
                        r.history.push(IncidentChange::new(
                            at,
                            IncidentChangeKind::ImpactChanged,
                            incident.summary.clone(),
                        ));
                    }
                    r.incident = incident.clone();
                }
            }
        }
        for (id, r) in &mut self.records {
            if r.state == IncidentState::Open && !open_now.contains(&id.as_str()) {
                r.state = IncidentState::Closed;
                r.closed_at = Some(at);
                r.history.push(IncidentChange::new(
                    at,
                    IncidentChangeKind::Closed,
                    "every cause recovered",
                ));
            }
        }
        let closed = self
            .records
            .values()
            .filter(|r| r.state == IncidentState::Closed)
            .count();
        if closed > CLOSED_LIMIT {
            let mut by_close: Vec<(DateTime<Utc>, String)> = self
                .records
                .iter()
                .filter(|(_, r)| r.state == IncidentState::Closed)
                .map(|(id, r)| (r.closed_at.unwrap_or(at), id.clone()))
                .collect();
            by_close.sort();
            for (_, id) in by_close.into_iter().take(closed - CLOSED_LIMIT) {
                self.records.remove(&id);
            }
        }
    }
}
