//! [`Pipeline`]: one tenant's engine, session tracker, RADIUS rates and classifier, fed with
//! samples and asked for snapshots.

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use ispvm_model::{
    EntityId, EntityKind, EntityReport, Event, Incident, MaintenanceWindow, Observation,
    ObservationValue, Sample, Signal, Topology,
};
use ispvm_pppoe::auth::{AuthCounters, AuthDelta, counters_from_samples};
use ispvm_pppoe::classes::{ConcentratorSignals, classify};
use ispvm_pppoe::tracker::{ConcentratorTracker, Update};
use ispvm_rca::{Engine, EngineError, EvidenceKind, SESSIONS_METRIC, Weights};
use ispvm_schemas::ingest::IngestBatch;
use ispvm_schemas::registry::names;
use serde::{Deserialize, Serialize};

use crate::config::PipelineConfig;
use crate::error::{FeedbackError, PipelineError};
use crate::rules::{
    PppActiveRow, failed_poll_sample, observations_from_samples, radius_client_parts,
    radius_experience, session_snapshot,
};
use crate::snapshot::{
    BatchId, ChurnReport, IncidentClasses, IngestOutcome, IngestStats, RadiusRate, Snapshot,
};

/// Why a poll failed. Every kind stands for `device.up` 0 (the registry's `device.up` is "the
/// device answers its management protocol"); the kind is part of the call so that a rule that
/// tells them apart later does not change the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PollFailure {
    /// No answer in time.
    Timeout,
    /// The connection was refused or reset.
    Refused,
    /// The device answered but the login failed.
    Login,
    /// The device answered something that is not the protocol.
    Protocol,
    /// Anything else.
    Other,
}

/// What [`Pipeline::replace_topology`] kept and changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[non_exhaustive]
pub struct TopologyChange {
    /// Entities in both topologies (their state was kept).
    pub kept: usize,
    /// Entities only in the new topology.
    pub added: usize,
    /// Entities only in the old topology (their state was dropped).
    pub removed: usize,
    /// Maintenance windows dropped because none of their entities remains.
    pub windows_dropped: usize,
}

/// Metrics the classifier reads; a concentrator's samples of these are kept for it.
const CLASSIFIER_METRICS: [&str; 12] = [
    names::PPPOE_SESSIONS_ACTIVE,
    names::PPPOE_SESSIONS_CHURN_PER_MIN,
    names::DEVICE_UP,
    names::DEVICE_CPU_PCT,
    names::PROBE_PING_RTT_MS,
    names::PROBE_PING_LOSS_PCT,
    names::RADIUS_UP,
    names::RADIUS_REQUESTS_TOTAL,
    names::RADIUS_ACCEPTS_TOTAL,
    names::RADIUS_REJECTS_TOTAL,
    names::RADIUS_TIMEOUTS_TOTAL,
    names::INTERFACE_UTILIZATION_PCT,
];

/// Metrics an observation rule reads.
const OBSERVED_METRICS: [&str; 8] = [
    names::DEVICE_UP,
    names::RADIUS_UP,
    names::INTERFACE_OPER_UP,
    names::INTERFACE_ADMIN_UP,
    names::BGP_PEER_UP,
    names::OSPF_NEIGHBOR_UP,
    names::PROBE_PING_LOSS_PCT,
    names::PPPOE_SESSIONS_ACTIVE,
];

const RADIUS_COUNTERS: [&str; 4] = [
    names::RADIUS_REQUESTS_TOTAL,
    names::RADIUS_ACCEPTS_TOTAL,
    names::RADIUS_REJECTS_TOTAL,
    names::RADIUS_TIMEOUTS_TOTAL,
];

/// The batch ids applied recently, oldest first, at most `cap`.
#[derive(Debug, Clone)]
struct RecentIds {
    cap: usize,
    set: HashSet<BatchId>,
    order: VecDeque<BatchId>,
}

impl RecentIds {
    fn new(cap: usize) -> Self {
        Self {
            cap: cap.max(1),
            set: HashSet::new(),
            order: VecDeque::new(),
        }
    }

    fn contains(&self, id: &BatchId) -> bool {
        self.set.contains(id)
    }

    fn insert(&mut self, id: BatchId) {
        if self.set.insert(id.clone()) {
            self.order.push_back(id);
            while self.order.len() > self.cap {
                if let Some(old) = self.order.pop_front() {
                    self.set.remove(&old);
                }
            }
        }
    }
}

/// A copy of what the engine stores per entity, with the engine's bound, so that
/// [`Pipeline::replace_topology`] can rebuild the engine without losing history.
#[derive(Debug, Clone, Default)]
struct EntityLog {
    signals: VecDeque<Observation>,
    sessions: VecDeque<Observation>,
    first_metric: Option<Observation>,
}

fn insert_sorted(q: &mut VecDeque<Observation>, o: Observation, limit: usize) {
    let pos = q.partition_point(|x| x.at <= o.at);
    q.insert(pos, o);
    while q.len() > limit {
        q.pop_front();
    }
}

#[derive(Debug, Clone)]
struct ObservationLog {
    limit: usize,
    entities: BTreeMap<EntityId, EntityLog>,
}

impl ObservationLog {
    fn new(limit: usize) -> Self {
        Self {
            limit: limit.max(1),
            entities: BTreeMap::new(),
        }
    }

    fn push(&mut self, o: &Observation) {
        let log = self.entities.entry(o.entity.clone()).or_default();
        match &o.value {
            ObservationValue::Signal { .. } => {
                insert_sorted(&mut log.signals, o.clone(), self.limit)
            }
            ObservationValue::Metric { name, .. } if name == SESSIONS_METRIC => {
                insert_sorted(&mut log.sessions, o.clone(), self.limit);
            }
            ObservationValue::Metric { .. }
                if log.first_metric.as_ref().is_none_or(|m| o.at < m.at) =>
            {
                log.first_metric = Some(o.clone());
            }
            _ => {}
        }
    }

    fn retain(&mut self, topology: &Topology) {
        self.entities
            .retain(|id, _| topology.index_of(id.as_str()).is_some());
    }

    fn all(&self) -> Vec<&Observation> {
        let mut out: Vec<&Observation> = self
            .entities
            .values()
            .flat_map(|l| l.signals.iter().chain(&l.sessions).chain(&l.first_metric))
            .collect();
        out.sort_by_key(|o| o.at);
        out
    }
}

/// What a snapshot is compared on to tell whether something changed.
#[derive(Debug, Clone, PartialEq)]
struct View {
    entities: Vec<EntityReport>,
    incidents: Vec<Incident>,
    classes: Vec<IncidentClasses>,
    churn: Vec<ChurnReport>,
    radius: Vec<RadiusRate>,
}

/// One tenant's analysis pipeline: the RCA engine plus the PPPoE session tracker, RADIUS
/// failure rates and the incident classifier, behind one synchronous, deterministic API.
///
/// Feed it with [`ingest_batch`](Self::ingest_batch), [`ingest_samples`](Self::ingest_samples),
/// [`ingest_events`](Self::ingest_events), [`ingest_observations`](Self::ingest_observations),
/// [`poll_failed`](Self::poll_failed) and [`ppp_active`](Self::ppp_active), in any order; ask
/// for a [`Snapshot`] at any instant with [`snapshot`](Self::snapshot). Time is always an
/// argument; the pipeline never reads a clock and never does I/O. It is `Send`, so one task can
/// own it.
///
/// # Examples
/// ```
/// use ispvm_model::{Entity, EntityKind, Sample, SampleValue, TopologyBuilder};
/// use ispvm_pipeline::{Pipeline, PipelineConfig};
///
/// let mut b = TopologyBuilder::new("isp".parse()?);
/// b.add_entity(Entity::new("agg1".parse()?, EntityKind::Device));
/// let mut pipeline = Pipeline::new(b.build()?, PipelineConfig::standard());
/// let t = "2026-01-01T00:10:00Z".parse()?;
/// pipeline.ingest_samples(&[Sample::new(t, "device.up", EntityKind::Device, "agg1".parse()?,
///     SampleValue::Num(0.0), "bool", "routeros_api")]);
/// let snap = pipeline.snapshot(t);
/// assert_eq!(snap.analysis.incidents[0].id, "inc-20260101T001000Z-agg1");
/// assert!(snap.changed);
/// assert!(!pipeline.snapshot(t).changed);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Pipeline {
    topology: Arc<Topology>,
    config: PipelineConfig,
    engine: Engine,
    log: ObservationLog,
    maintenance: Vec<MaintenanceWindow>,
    /// One session tracker per concentrator of the topology (dropped with it on a reload).
    sessions: BTreeMap<EntityId, ConcentratorTracker>,
    listed_at: BTreeMap<EntityId, DateTime<Utc>>,
    auth: BTreeMap<EntityId, AuthCounters>,
    radius: BTreeMap<EntityId, RadiusRate>,
    /// RADIUS client entries whose latest rate said "server unreachable".
    radius_down: BTreeSet<EntityId>,
    churn: BTreeMap<EntityId, ChurnReport>,
    history: BTreeMap<EntityId, VecDeque<Sample>>,
    concentrators: BTreeSet<EntityId>,
    radius_entities: Vec<EntityId>,
    recent: RecentIds,
    events: VecDeque<Event>,
    events_dropped: u64,
    sequence: u64,
    last_at: Option<DateTime<Utc>>,
    last_view: Option<View>,
    open: BTreeMap<String, Incident>,
    /// Engine incident id -> (public id, opened_at), for incidents that inherited the id of an
    /// incident open before a topology replacement.
    renamed: BTreeMap<String, (String, DateTime<Utc>)>,
    /// Incidents open at the last topology replacement, waiting to be matched.
    carried: Vec<Incident>,
}

fn entities_of_kind(topology: &Topology, kind: EntityKind) -> impl Iterator<Item = &EntityId> {
    topology
        .entities()
        .iter()
        .filter(move |e| e.kind == kind)
        .map(|e| &e.id)
}

impl Pipeline {
    /// A pipeline for `topology` (a [`Topology`] or an `Arc<Topology>`), with nothing observed.
    #[must_use]
    pub fn new(topology: impl Into<Arc<Topology>>, config: PipelineConfig) -> Self {
        let topology = topology.into();
        let engine = Engine::new(Arc::clone(&topology), config.engine_config().clone());
        let mut p = Self {
            log: ObservationLog::new(config.engine_config().history_limit()),
            engine,
            maintenance: Vec::new(),
            sessions: BTreeMap::new(),
            listed_at: BTreeMap::new(),
            auth: BTreeMap::new(),
            radius: BTreeMap::new(),
            radius_down: BTreeSet::new(),
            churn: BTreeMap::new(),
            history: BTreeMap::new(),
            concentrators: BTreeSet::new(),
            radius_entities: Vec::new(),
            recent: RecentIds::new(config.recent_batches),
            events: VecDeque::new(),
            events_dropped: 0,
            sequence: 0,
            last_at: None,
            last_view: None,
            open: BTreeMap::new(),
            renamed: BTreeMap::new(),
            carried: Vec::new(),
            topology,
            config,
        };
        p.index_kinds();
        p
    }

    fn index_kinds(&mut self) {
        self.concentrators = entities_of_kind(&self.topology, EntityKind::PppoeConcentrator)
            .cloned()
            .collect();
        self.radius_entities = entities_of_kind(&self.topology, EntityKind::RadiusServer)
            .cloned()
            .collect();
    }

    /// The topology.
    #[must_use]
    pub fn topology(&self) -> &Arc<Topology> {
        &self.topology
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &PipelineConfig {
        &self.config
    }

    /// The engine (read only), e.g. for [`Engine::evaluate_full`] in an audit.
    #[must_use]
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The maintenance windows in force.
    #[must_use]
    pub fn maintenance(&self) -> &[MaintenanceWindow] {
        &self.maintenance
    }

    /// Applies an ingest batch once: a batch whose [`BatchId::of`] was applied among the last
    /// [`PipelineConfig::recent_batches`] batches is not applied again.
    ///
    /// # Examples
    /// ```
    /// # use ispvm_model::{Entity, EntityKind, SampleValue, TopologyBuilder};
    /// use ispvm_pipeline::{Pipeline, PipelineConfig};
    /// use ispvm_schemas::{MetricSample, ingest::{AgentInfo, IngestBatch}};
    /// # let mut b = TopologyBuilder::new("isp".parse()?);
    /// # b.add_entity(Entity::new("agg1".parse()?, EntityKind::Device));
    /// let mut p = Pipeline::new(b.build()?, PipelineConfig::standard());
    /// let t = "2026-01-01T00:10:00Z".parse()?;
    /// let s = MetricSample::new(t, "device.up", EntityKind::Device, "agg1".parse()?,
    ///     SampleValue::Num(0.0), "bool", "routeros_api");
    /// let batch = IngestBatch::new(AgentInfo::new("a1", "poller", "0.1.0"), t, vec![s], vec![])?;
    /// assert!(!p.ingest_batch(&batch).is_duplicate());
    /// assert!(p.ingest_batch(&batch).is_duplicate());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ingest_batch(&mut self, batch: &IngestBatch) -> IngestOutcome {
        self.ingest_batch_with_id(BatchId::of(batch), batch)
    }

    /// [`Pipeline::ingest_batch`] with an id given by the transport.
    pub fn ingest_batch_with_id(&mut self, id: BatchId, batch: &IngestBatch) -> IngestOutcome {
        if self.recent.contains(&id) {
            return IngestOutcome::Duplicate { id };
        }
        let mut stats = self.ingest_samples(batch.metrics());
        stats.add(&self.ingest_events(batch.events()));
        self.recent.insert(id.clone());
        IngestOutcome::Applied { id, stats }
    }

    /// Feeds canonical samples (any order, any entities): each rule of [`crate::rules`] takes
    /// what it reads, the rest is counted in the returned [`IngestStats`]. Unlike batches,
    /// samples are not deduplicated.
    pub fn ingest_samples(&mut self, samples: &[Sample]) -> IngestStats {
        let aliased: Vec<Sample>;
        let samples: &[Sample] = if self.config.aliases.is_empty() {
            samples
        } else {
            aliased = samples
                .iter()
                .map(|s| {
                    let mut s = s.clone();
                    if let Some(to) = self.config.aliases.get(s.entity_id.as_str()) {
                        s.entity_id = to.clone();
                    }
                    s
                })
                .collect();
            &aliased
        };
        let mut stats = IngestStats::default();
        let mut radius_groups: BTreeMap<(EntityId, DateTime<Utc>), Vec<Sample>> = BTreeMap::new();
        for s in samples {
            let name = s.metric_name.as_str();
            let device = s.entity_id.as_str().split('/').next().unwrap_or("");
            let known = self.topology.index_of(s.entity_id.as_str()).is_some()
                || self.topology.index_of(device).is_some();
            if !known {
                stats.unknown_entity += 1;
                continue;
            }
            let read = OBSERVED_METRICS.contains(&name) || RADIUS_COUNTERS.contains(&name);
            let kept = self.keep_for_classifier(s);
            if !read && !kept {
                stats.unused += 1;
                continue;
            }
            if !s.as_f64().is_some_and(f64::is_finite) {
                stats.invalid += 1;
                continue;
            }
            if name == names::PPPOE_SESSIONS_ACTIVE && self.concentrators.contains(&s.entity_id) {
                let listed = self.listed_at.get(&s.entity_id).is_some_and(|t| *t >= s.ts);
                if !listed {
                    let tracker = self.tracker(&s.entity_id);
                    match tracker.observe_count(s.ts, s.as_f64().unwrap_or(f64::NAN)) {
                        Ok(update) => self.take_events(update),
                        Err(_) => {
                            stats.invalid += 1;
                            continue;
                        }
                    }
                }
            }
            if RADIUS_COUNTERS.contains(&name) {
                if let Some((dev, _)) = radius_client_parts(&s.entity_id) {
                    if self.topology.index_of(dev).is_some() {
                        radius_groups
                            .entry((s.entity_id.clone(), s.ts))
                            .or_default()
                            .push(s.clone());
                    }
                }
            }
            stats.used += 1;
        }
        let mut observations: Vec<Observation> =
            observations_from_samples(samples, self.config.ping_loss_degraded_pct)
                .into_iter()
                .filter(|o| self.topology.index_of(o.entity.as_str()).is_some())
                .collect();
        for ((client, _), group) in radius_groups {
            match counters_from_samples(&group) {
                Ok(counters) => {
                    for (_, c) in counters {
                        observations.extend(self.radius_rate(&client, c));
                    }
                }
                Err(_) => {
                    stats.used = stats.used.saturating_sub(group.len());
                    stats.invalid += group.len();
                }
            }
        }
        self.observe(&observations, &mut stats);
        stats
    }

    /// Gives observations to the engine and the log; they name topology entities only.
    fn observe(&mut self, observations: &[Observation], stats: &mut IngestStats) {
        if observations.is_empty() {
            return;
        }
        if self.engine.observe_batch(observations).is_ok() {
            for o in observations {
                self.log.push(o);
            }
            stats.observations += observations.len();
        }
    }

    /// Records the samples of concentrators the classifier reads; returns whether `s` is one.
    fn keep_for_classifier(&mut self, s: &Sample) -> bool {
        if !CLASSIFIER_METRICS.contains(&s.metric_name.as_str()) {
            return false;
        }
        let id = s.entity_id.as_str();
        let owner = id.split('/').next().unwrap_or(id);
        let Some(conc) = self.concentrators.get(owner) else {
            return false;
        };
        if !s.as_f64().is_some_and(f64::is_finite) {
            return false;
        }
        let horizon = s.ts - self.config.classify_history;
        let kept = self.history.entry(conc.clone()).or_default();
        // The same reading again (same entity, metric, labels, instant) replaces the older;
        // only the readings at or after its instant at the back are looked at (samples come
        // in time order), so this stays O(samples per instant).
        let same = kept
            .iter()
            .enumerate()
            .rev()
            .take_while(|(_, x)| x.ts >= s.ts)
            .find(|(_, x)| {
                x.ts == s.ts
                    && x.metric_name == s.metric_name
                    && x.entity_id == s.entity_id
                    && x.labels == s.labels
            })
            .map(|(i, _)| i);
        match same {
            Some(i) => {
                if let Some(slot) = kept.get_mut(i) {
                    *slot = s.clone();
                }
            }
            None => kept.push_back(s.clone()),
        }
        while kept.len() > self.config.classify_history_max_samples
            || kept.front().is_some_and(|x| x.ts < horizon)
        {
            kept.pop_front();
        }
        true
    }

    /// The RADIUS rule: the delta of `client`'s counters since its previous reading, its
    /// failure rate, and the server's `experience` as seen from the client's device (plus its
    /// `reachability`: down from the down threshold of timed-out requests, up again below it).
    fn radius_rate(&mut self, client: &EntityId, counters: AuthCounters) -> Vec<Observation> {
        let Some((experience, timeout_rate)) = self.radius_experience(client, counters) else {
            return Vec::new();
        };
        let at = experience.at;
        // Down only when the server answers nothing: timeouts, not rejects (a reject is an
        // answer).
        let down = timeout_rate >= self.config.radius_down_threshold;
        let was_down = if down {
            !self.radius_down.insert(client.clone())
        } else {
            self.radius_down.remove(client)
        };
        let source = experience.source.clone();
        let server = experience.entity.clone();
        let mut out = vec![experience];
        if down || was_down {
            let state = if down {
                ispvm_model::SignalState::Down
            } else {
                ispvm_model::SignalState::Up
            };
            let mut o = Observation::signal(at, server, Signal::Reachability, state);
            o.source = source;
            out.push(o);
        }
        out
    }

    /// The server's `experience` from `client`'s failure rate, and the share of requests that
    /// timed out.
    fn radius_experience(
        &mut self,
        client: &EntityId,
        counters: AuthCounters,
    ) -> Option<(Observation, f64)> {
        let (dev, addr) = radius_client_parts(client)?;
        if !self.auth.contains_key(client) && self.auth.len() >= self.config.max_radius_clients {
            return None;
        }
        let delta = match self.auth.get(client) {
            Some(prev) if counters.at <= prev.at => return None,
            Some(prev) => AuthDelta::between(prev, &counters),
            None => None,
        };
        self.auth.insert(client.clone(), counters);
        let delta = delta?;
        let rate = delta.failure_rate()?;
        let timeout_rate = if delta.requests == 0 {
            0.0
        } else {
            (delta.timeouts as f64 / delta.requests as f64).min(1.0)
        };
        let server = self
            .config
            .radius_servers
            .get(addr)
            .cloned()
            .or_else(|| EntityId::new(addr).ok())
            .filter(|s| self.topology.index_of(s.as_str()).is_some());
        let state = radius_experience(rate, self.config.radius_failure_threshold);
        let concentrator = EntityId::new(dev).ok()?;
        self.radius.insert(
            client.clone(),
            RadiusRate {
                client: client.clone(),
                concentrator: concentrator.clone(),
                server: server.clone(),
                at: counters.at,
                failure_rate: rate,
                degraded: state == ispvm_model::SignalState::Degraded,
            },
        );
        let server = server?;
        Some((
            Observation::signal(counters.at, server, Signal::Experience, state)
                .with_source(concentrator.as_str()),
            timeout_rate,
        ))
    }

    /// The session tracker of a concentrator of the topology.
    fn tracker(&mut self, concentrator: &EntityId) -> &mut ConcentratorTracker {
        let config = &self.config.tracker;
        self.sessions
            .entry(concentrator.clone())
            .or_insert_with(|| ConcentratorTracker::new(concentrator.clone(), config))
    }

    fn take_events(&mut self, update: Update) {
        for e in update.events {
            self.push_event(e);
        }
    }

    fn push_event(&mut self, e: Event) {
        self.events.push_back(e);
        while self.events.len() > self.config.max_pending_events {
            self.events.pop_front();
            self.events_dropped += 1;
        }
    }

    /// Accepts events: they are held (at most
    /// [`PipelineConfig::max_pending_events`]) and handed out with the next snapshot. No rule
    /// reads events today.
    pub fn ingest_events(&mut self, events: &[Event]) -> IngestStats {
        for e in events {
            self.push_event(e.clone());
        }
        IngestStats {
            events: events.len(),
            ..IngestStats::default()
        }
    }

    /// Feeds observations directly (a scenario file, a replay), all or nothing.
    ///
    /// # Errors
    /// [`PipelineError::Engine`] when one names an entity the topology lacks (then none is
    /// applied).
    pub fn ingest_observations(
        &mut self,
        observations: &[Observation],
    ) -> Result<IngestStats, PipelineError> {
        self.engine.observe_batch(observations)?;
        for o in observations {
            self.log.push(o);
        }
        Ok(IngestStats {
            observations: observations.len(),
            ..IngestStats::default()
        })
    }

    /// A poll of `device` failed at `at`: `device.up` 0 ([`crate::rules::failed_poll_sample`]),
    /// fed like any sample.
    ///
    /// # Errors
    /// [`PipelineError::UnknownEntity`] when the topology lacks `device`.
    pub fn poll_failed(
        &mut self,
        device: &EntityId,
        at: DateTime<Utc>,
        kind: PollFailure,
    ) -> Result<IngestStats, PipelineError> {
        let _ = kind;
        if self.topology.index_of(device.as_str()).is_none() {
            return Err(PipelineError::UnknownEntity { id: device.clone() });
        }
        let sample = failed_poll_sample(Some(&self.topology), device, at, &self.config.poll_source);
        Ok(self.ingest_samples(std::slice::from_ref(&sample)))
    }

    /// A full `/ppp/active` listing of `concentrator` at `at`: the session tracker counts
    /// connects, disconnects and churn per minute against the previous listing and detects
    /// drops (a `pppoe.sessions.dropped` event for the next snapshot); the classifier gets the
    /// count and churn. The engine's subscriber count comes from `pppoe.sessions.active`
    /// samples, not from listings; a `pppoe.sessions.active` sample at or before the latest
    /// listing's time no longer reaches the tracker (the listing is the better source).
    ///
    /// # Errors
    /// [`PipelineError::UnknownEntity`], [`PipelineError::NotAConcentrator`],
    /// [`PipelineError::PppActive`] for an unusable row, [`PipelineError::Sessions`] for a
    /// listing older than the concentrator's newest reading. Nothing changes on error.
    pub fn ppp_active(
        &mut self,
        concentrator: &EntityId,
        at: DateTime<Utc>,
        rows: &[PppActiveRow],
    ) -> Result<ChurnReport, PipelineError> {
        let entity = self.topology.entity(concentrator.as_str()).ok_or_else(|| {
            PipelineError::UnknownEntity {
                id: concentrator.clone(),
            }
        })?;
        if entity.kind != EntityKind::PppoeConcentrator {
            return Err(PipelineError::NotAConcentrator {
                id: concentrator.clone(),
            });
        }
        let snapshot = session_snapshot(at, rows).map_err(|source| PipelineError::PppActive {
            concentrator: concentrator.clone(),
            source,
        })?;
        let active = snapshot.len() as u64;
        let update = self.tracker(concentrator).observe_snapshot(snapshot)?;
        self.listed_at.insert(concentrator.clone(), at);
        for s in &update.samples {
            self.keep_for_classifier(s);
        }
        let (connects_total, disconnects_total) = self
            .sessions
            .get(concentrator)
            .map_or((0, 0), ConcentratorTracker::totals);
        let report = ChurnReport {
            concentrator: concentrator.clone(),
            at,
            churn_per_min: update.diff.and_then(|d| d.churn_per_min()),
            connects: update.diff.map_or(0, |d| d.connects as u64),
            disconnects: update.diff.map_or(0, |d| d.disconnects as u64),
            active,
            connects_total,
            disconnects_total,
        };
        self.take_events(update);
        self.churn.insert(concentrator.clone(), report.clone());
        Ok(report)
    }

    /// Replaces the maintenance windows.
    ///
    /// # Errors
    /// [`PipelineError::Engine`] when a window names an entity the topology lacks (then nothing
    /// changes).
    pub fn set_maintenance(&mut self, windows: &[MaintenanceWindow]) -> Result<(), PipelineError> {
        self.engine.set_maintenance(windows)?;
        self.maintenance = windows.to_vec();
        Ok(())
    }

    /// Operator feedback: `true_cause` was the real cause of the open incident `incident_id`
    /// (as in the latest snapshot). The engine's evidence weights learn from it (see
    /// [`Engine::record_feedback`]); read them with [`Pipeline::weights`] to persist them.
    ///
    /// # Errors
    /// [`FeedbackError::UnknownIncident`] when the incident is not open in the latest snapshot,
    /// [`FeedbackError::CauseNotInIncident`] when `true_cause` is not one of its root causes.
    pub fn record_feedback(
        &mut self,
        incident_id: &str,
        true_cause: &EntityId,
    ) -> Result<(), FeedbackError> {
        let incident =
            self.open
                .get(incident_id)
                .ok_or_else(|| FeedbackError::UnknownIncident {
                    id: incident_id.to_owned(),
                })?;
        if !incident.root_causes.iter().any(|c| &c.entity == true_cause) {
            return Err(FeedbackError::CauseNotInIncident {
                incident: incident_id.to_owned(),
                cause: true_cause.clone(),
            });
        }
        let engine_id = self
            .renamed
            .iter()
            .find(|(_, (public, _))| public == incident_id)
            .map_or(incident_id, |(engine_id, _)| engine_id.as_str());
        self.engine
            .record_feedback(engine_id, true_cause)
            .map_err(|e| match e {
                EngineError::UnknownEntity { id } => FeedbackError::CauseNotInIncident {
                    incident: incident_id.to_owned(),
                    cause: id,
                },
                _ => FeedbackError::UnknownIncident {
                    id: incident_id.to_owned(),
                },
            })
    }

    /// The current evidence weights (learned from feedback).
    #[must_use]
    pub fn weights(&self) -> Weights {
        *self.engine.weights()
    }

    /// Sets every evidence weight (e.g. restored from a store), clamped like feedback.
    pub fn set_weights(&mut self, weights: &Weights) {
        for k in EvidenceKind::ALL {
            self.engine.set_weight(k, weights.get(k));
        }
    }

    /// Replaces the topology (a configuration reload). The state of entities that still exist
    /// is kept (observation history, session tracking, RADIUS rates, classifier input, learned
    /// weights, maintenance windows restricted to remaining entities); that of removed entities
    /// is dropped. Incidents open in the latest snapshot keep their id and `opened_at` while
    /// they stay open: a new incident that shares a root cause with one of them inherits them.
    pub fn replace_topology(&mut self, new: impl Into<Arc<Topology>>) -> TopologyChange {
        let new = new.into();
        let old: BTreeSet<&str> = self
            .topology
            .entities()
            .iter()
            .map(|e| e.id.as_str())
            .collect();
        let kept = new
            .entities()
            .iter()
            .filter(|e| old.contains(e.id.as_str()))
            .count();
        let mut change = TopologyChange {
            kept,
            added: new.entities().len() - kept,
            removed: old.len() - kept,
            windows_dropped: 0,
        };
        let weights = self.weights();
        let mut engine = Engine::new(Arc::clone(&new), self.config.engine_config().clone());
        for k in EvidenceKind::ALL {
            engine.set_weight(k, weights.get(k));
        }
        self.log.retain(&new);
        let replay = self.log.all();
        // Every logged observation names an entity of `new`: the log was just filtered.
        let _ = engine.observe_batch(replay);
        let mut windows = Vec::new();
        for w in &self.maintenance {
            let entities: Vec<EntityId> = w
                .entities()
                .iter()
                .filter(|id| new.index_of(id.as_str()).is_some())
                .cloned()
                .collect();
            match MaintenanceWindow::new(entities, w.start(), w.end()) {
                Ok(mut nw) => {
                    if let Some(r) = w.reason() {
                        nw = nw.with_reason(r);
                    }
                    windows.push(nw);
                }
                Err(_) => change.windows_dropped += 1,
            }
        }
        let _ = engine.set_maintenance(&windows);
        self.maintenance = windows;
        let exists = |id: &EntityId| new.index_of(id.as_str()).is_some();
        let device_exists = |id: &EntityId| {
            let dev = id.as_str().split('/').next().unwrap_or("");
            new.index_of(dev).is_some()
        };
        self.listed_at.retain(|id, _| exists(id));
        self.sessions.retain(|id, _| exists(id));
        self.churn.retain(|id, _| exists(id));
        self.history.retain(|id, _| exists(id));
        self.auth.retain(|id, _| device_exists(id));
        self.radius.retain(|id, _| device_exists(id));
        self.radius_down.retain(|id| device_exists(id));
        if let Some(at) = self.last_at {
            // Rebuilds the engine's memory of the incidents, for feedback.
            let _ = engine.evaluate(at);
        }
        self.engine = engine;
        self.topology = new;
        self.index_kinds();
        self.carried = self.open.values().cloned().collect();
        change
    }

    /// The state at `at`: the analysis, the classes of its incidents, churn, RADIUS rates and
    /// the events since the previous snapshot; `changed` tells whether anything but the time
    /// differs from the previous snapshot.
    pub fn snapshot(&mut self, at: DateTime<Utc>) -> Snapshot {
        let mut analysis = self.engine.evaluate(at).to_document();
        self.keep_ids(&mut analysis.incidents);
        let classes: Vec<IncidentClasses> = analysis
            .incidents
            .iter()
            .filter_map(|i| {
                let classes = self.classes_of(i, at);
                (!classes.is_empty()).then(|| IncidentClasses {
                    incident: i.id.clone(),
                    classes,
                })
            })
            .collect();
        let churn: Vec<ChurnReport> = self.churn.values().cloned().collect();
        let radius: Vec<RadiusRate> = self.radius.values().cloned().collect();
        let events: Vec<Event> = self.events.drain(..).collect();
        let events_dropped = std::mem::take(&mut self.events_dropped);
        let view = View {
            entities: analysis.entities.clone(),
            incidents: analysis.incidents.clone(),
            classes: classes.clone(),
            churn: churn.clone(),
            radius: radius.clone(),
        };
        let changed =
            self.last_view.as_ref() != Some(&view) || !events.is_empty() || events_dropped > 0;
        self.last_view = Some(view);
        let now: BTreeMap<String, Incident> = analysis
            .incidents
            .iter()
            .map(|i| (i.id.clone(), i.clone()))
            .collect();
        let opened: Vec<String> = analysis
            .incidents
            .iter()
            .filter(|i| !self.open.contains_key(&i.id))
            .map(|i| i.id.clone())
            .collect();
        let closed: Vec<Incident> = std::mem::replace(&mut self.open, now)
            .into_iter()
            .filter(|(id, _)| !self.open.contains_key(id))
            .map(|(_, i)| i)
            .collect();
        self.sequence += 1;
        self.last_at = Some(self.last_at.map_or(at, |t| t.max(at)));
        Snapshot {
            at,
            sequence: self.sequence,
            changed,
            analysis,
            opened,
            closed,
            classes,
            churn,
            radius,
            events,
            events_dropped,
        }
    }

    /// Gives incidents that continue one open before a topology replacement its id and
    /// `opened_at`.
    fn keep_ids(&mut self, incidents: &mut [Incident]) {
        let present: BTreeSet<String> = incidents.iter().map(|i| i.id.clone()).collect();
        self.renamed
            .retain(|engine_id, _| present.contains(engine_id));
        let taken: BTreeSet<String> = present
            .iter()
            .cloned()
            .chain(self.renamed.values().map(|(p, _)| p.clone()))
            .collect();
        let carried = std::mem::take(&mut self.carried);
        let mut unmatched: Vec<Incident> = carried
            .into_iter()
            .filter(|c| !taken.contains(&c.id))
            .collect();
        for i in incidents.iter_mut() {
            if !self.renamed.contains_key(&i.id) && !self.open.contains_key(&i.id) {
                let pos = unmatched.iter().position(|c| {
                    c.root_causes
                        .iter()
                        .any(|rc| i.root_causes.iter().any(|x| x.entity == rc.entity))
                });
                if let Some(pos) = pos {
                    let c = unmatched.remove(pos);
                    self.renamed.insert(i.id.clone(), (c.id, c.opened_at));
                }
            }
            if let Some((public, opened_at)) = self.renamed.get(&i.id) {
                i.id.clone_from(public);
                i.opened_at = *opened_at;
            }
        }
    }

    /// The most confident class of each concentrator among the root causes of `incident`.
    fn classes_of(
        &mut self,
        incident: &Incident,
        at: DateTime<Utc>,
    ) -> Vec<ispvm_pppoe::classes::Classification> {
        let mut out = Vec::new();
        for c in &incident.root_causes {
            let Some(samples) = self.history.get_mut(&c.entity) else {
                continue;
            };
            let signals = ConcentratorSignals::from_samples(
                &c.entity,
                samples.make_contiguous(),
                &[],
                &self.radius_entities,
            );
            if let Some(first) = classify(&c.entity, &signals, at, &self.config.classifier)
                .into_iter()
                .next()
            {
                out.push(first);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;
