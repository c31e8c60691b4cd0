//! The engine: compiled index + incremental availability state + observation store.

use ispvm_model::names;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use ispvm_model::quote::bounded;
use ispvm_model::{
    EntityId, MaintenanceWindow, Observation, ObservationValue, SessionReading, Topology,
};

use crate::analysis::Analysis;
use crate::config::{EngineConfig, EvidenceKind, Weights};
use crate::evaluate::{self, CauseRecord, Inputs};
use crate::index::Index;
use crate::state::{State, Window};
use crate::store::{self, SigObs, Store};

/// The metric the default subscriber rule reads.
pub const SESSIONS_METRIC: &str = names::PPPOE_SESSIONS_ACTIVE;

/// Why the engine refused an input. Nothing is changed when an error is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// An observation or maintenance window names an entity the topology does not have.
    #[error("unknown entity {}", bounded(.id.as_str()))]
    UnknownEntity {
        /// The unknown id.
        id: EntityId,
    },
    /// An item of a batch names an unknown entity; no item of the batch was applied.
    #[error("item {index} of the batch: unknown entity {}", bounded(.id.as_str()))]
    UnknownEntityInBatch {
        /// Zero-based position in the batch.
        index: usize,
        /// The unknown id.
        id: EntityId,
    },
    /// Feedback names an incident the last [`Engine::evaluate`] did not report.
    #[error("unknown incident {}", bounded(.id))]
    UnknownIncident {
        /// The incident id.
        id: String,
    },
}

/// The redundancy-aware root-cause engine of one tenant.
///
/// Feed it [`Observation`]s (one by one or in batches, in any order), give it maintenance
/// windows, and ask it for an [`Analysis`] at any instant. It never reads a clock and never does
/// I/O: time is always an argument.
///
/// # Examples
/// ```
/// use ispvm_model::{DependencyGroup, Entity, EntityKind, EntityStatus, GroupMode, Observation,
///     Signal, SignalState, TopologyBuilder};
/// use ispvm_rca::{Engine, EngineConfig};
///
/// let id = |s: &str| s.parse::<ispvm_model::EntityId>().unwrap();
/// let mut b = TopologyBuilder::new("demo-isp".parse()?);
/// for n in ["agg1", "agg2", "acc1"] {
///     b.add_entity(Entity::new(id(n), EntityKind::Device));
/// }
/// b.add_group(DependencyGroup::new(id("acc1"), GroupMode::Any, vec![id("agg1"), id("agg2")]));
/// let mut engine = Engine::new(b.build()?, EngineConfig::default());
///
/// let t = "2026-01-01T00:10:00Z".parse()?;
/// engine.observe(&Observation::signal(t, id("agg1"), Signal::Reachability, SignalState::Down))?;
/// let a = engine.evaluate(t);
/// assert_eq!(a.status("acc1"), Some(EntityStatus::Degraded)); // redundancy lost, not suppressed
/// assert_eq!(a.incidents()[0].summary, "agg1 down; no impact (redundant via agg2)");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Engine {
    pub(crate) topology: Arc<Topology>,
    pub(crate) index: Arc<Index>,
    pub(crate) config: EngineConfig,
    pub(crate) store: Store,
    pub(crate) state: State,
    pub(crate) maintenance: Vec<Window>,
    queued: Vec<bool>,
    heap: BinaryHeap<Reverse<u32>>,
    now: Option<DateTime<Utc>>,
    expiry: BinaryHeap<Reverse<(DateTime<Utc>, u32)>>,
    last_incidents: HashMap<String, Vec<CauseRecord>>,
    last_cone: usize,
}

impl Engine {
    /// Compiles `topology` into the engine's dense index. Everything starts available.
    ///
    /// Takes a [`Topology`] or an `Arc<Topology>` (shared, not copied).
    #[must_use]
    pub fn new(topology: impl Into<Arc<Topology>>, config: EngineConfig) -> Self {
        let topology = topology.into();
        let index = Index::compile(&topology);
        let n = index.len();
        let state = State::full(&index, vec![false; n]);
        Self {
            topology,
            index: Arc::new(index),
            store: Store::new(config.history_limit),
            config,
            state,
            maintenance: Vec::new(),
            queued: vec![false; n],
            heap: BinaryHeap::new(),
            now: None,
            expiry: BinaryHeap::new(),
            last_incidents: HashMap::new(),
            last_cone: 0,
        }
    }

    /// The topology the engine was built from.
    #[must_use]
    pub fn topology(&self) -> &Arc<Topology> {
        &self.topology
    }

    /// The configuration (with the current, feedback-adjusted weights).
    #[must_use]
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The current confidence weights.
    #[must_use]
    pub fn weights(&self) -> &Weights {
        &self.config.weights
    }

    /// The engine's notion of "now": the latest observation or evaluation time seen.
    #[must_use]
    pub fn now(&self) -> Option<DateTime<Utc>> {
        self.now
    }

    /// Number of entities whose availability was re-examined by the last propagation: the
    /// size of the changed cone (0 when an observation changed nothing).
    #[must_use]
    pub fn last_cone_size(&self) -> usize {
        self.last_cone
    }

    /// Whether the entity is available now (not failed, every group satisfied).
    #[must_use]
    pub fn is_available(&self, id: &str) -> Option<bool> {
        let i = self.topology.index_of(id)?;
        self.state.available.get(i).copied()
    }

    /// Approximate heap memory of the compiled index and state, in bytes.
    #[must_use]
    pub fn index_bytes(&self) -> usize {
        self.index.heap_bytes()
            + self.state.failed.capacity()
            + self.state.available.capacity()
            + self.queued.capacity()
            + (self.state.unsat.capacity() + self.state.grp_avail.capacity()) * 4
    }

    /// Replaces the maintenance windows.
    ///
    /// # Errors
    /// [`EngineError::UnknownEntity`] when a window names an entity the topology lacks (then
    /// nothing changes).
    pub fn set_maintenance(&mut self, windows: &[MaintenanceWindow]) -> Result<(), EngineError> {
        let mut out = Vec::with_capacity(windows.len());
        for w in windows {
            let mut entities = Vec::with_capacity(w.entities().len());
            for id in w.entities() {
                let i = self
                    .topology
                    .index_of(id.as_str())
                    .ok_or_else(|| EngineError::UnknownEntity { id: id.clone() })?;
                entities.push(i as u32);
            }
            out.push(Window {
                entities,
                start: w.start(),
                end: w.end(),
            });
        }
        self.maintenance = out;
        Ok(())
    }

    /// Feeds one observation and propagates its effect downstream (only through what changes).
    ///
    /// # Errors
    /// [`EngineError::UnknownEntity`] when the entity is not in the topology.
    pub fn observe(&mut self, observation: &Observation) -> Result<(), EngineError> {
        let e = self
            .topology
            .index_of(observation.entity.as_str())
            .ok_or_else(|| EngineError::UnknownEntity {
                id: observation.entity.clone(),
            })? as u32;
        self.advance_clock(observation.at);
        self.last_cone = 0;
        if self.ingest(e, observation) {
            self.refresh(e);
        }
        self.propagate();
        Ok(())
    }

    /// Feeds many observations, then propagates once. All or nothing: when one names an unknown
    /// entity, none is applied.
    ///
    /// # Errors
    /// [`EngineError::UnknownEntityInBatch`] naming the first bad item.
    pub fn observe_batch<'a>(
        &mut self,
        observations: impl IntoIterator<Item = &'a Observation>,
    ) -> Result<(), EngineError> {
        let mut resolved = Vec::new();
        for (index, o) in observations.into_iter().enumerate() {
            let e = self.topology.index_of(o.entity.as_str()).ok_or_else(|| {
                EngineError::UnknownEntityInBatch {
                    index,
                    id: o.entity.clone(),
                }
            })?;
            resolved.push((e as u32, o));
        }
        if let Some(max) = resolved.iter().map(|(_, o)| o.at).max() {
            self.advance_clock(max);
        }
        self.last_cone = 0;
        let mut touched = Vec::new();
        for (e, o) in resolved {
            if self.ingest(e, o) {
                touched.push(e);
            }
        }
        touched.sort_unstable();
        touched.dedup();
        for e in touched {
            self.refresh(e);
        }
        self.propagate();
        Ok(())
    }

    /// Stores an observation; returns whether it can change the entity's failed state.
    fn ingest(&mut self, e: u32, o: &Observation) -> bool {
        match &o.value {
            ObservationValue::Signal { signal, state } => {
                let source = self.store.intern(o.source.as_deref());
                self.store.insert_signal(
                    e,
                    SigObs {
                        at: o.at,
                        signal: *signal,
                        state: *state,
                        source,
                    },
                );
                signal.can_fail()
            }
            ObservationValue::Metric { name, value } => {
                if name == SESSIONS_METRIC {
                    self.store
                        .insert_session(e, SessionReading::new(o.at, *value));
                } else {
                    self.store.note_metric(e, o.at);
                }
                false
            }
            _ => false,
        }
    }

    fn stale_before(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.config.staleness.map(|s| store::minus(t, s))
    }

    /// Recomputes the failed flag of `e` at `now`; schedules its expiry.
    fn refresh(&mut self, e: u32) {
        let Some(now) = self.now else { return };
        let latest = store::latest(self.store.history(e), now, self.stale_before(now));
        let failed = store::is_failed(&latest);
        if let Some(staleness) = self.config.staleness {
            if let Some(first) = latest.iter().flatten().map(|o| o.at).min() {
                self.expiry
                    .push(Reverse((store::plus(first, staleness), e)));
            }
        }
        if let Some(f) = self.state.failed.get_mut(e as usize) {
            if *f != failed {
                *f = failed;
                self.enqueue(e);
            }
        }
    }

    /// Moves "now" forward to `t` (never backward), expiring stale observations.
    fn advance_clock(&mut self, t: DateTime<Utc>) {
        if self.now.is_some_and(|now| now >= t) {
            return;
        }
        self.now = Some(t);
        while let Some(Reverse((when, e))) = self.expiry.peek().copied() {
            if when >= t {
                break;
            }
            self.expiry.pop();
            self.refresh(e);
        }
    }

    fn enqueue(&mut self, e: u32) {
        if let Some(q) = self.queued.get_mut(e as usize) {
            if !*q {
                *q = true;
                let rank = self.index.rank.get(e as usize).copied().unwrap_or(0);
                self.heap.push(Reverse(rank));
            }
        }
    }

    /// Propagates queued changes downstream in topological order, stopping where nothing changes.
    fn propagate(&mut self) {
        let index = Arc::clone(&self.index);
        while let Some(Reverse(rank)) = self.heap.pop() {
            let Some(&e) = index.order.get(rank as usize) else {
                continue;
            };
            let e = e as usize;
            self.queued[e] = false;
            self.last_cone += 1;
            let now_available = !self.state.failed[e] && self.state.unsat[e] == 0;
            if now_available == self.state.available[e] {
                continue;
            }
            self.state.available[e] = now_available;
            for &g in index.member_of.row(e) {
                let g = g as usize;
                let required = index.required[g];
                let count = &mut self.state.grp_avail[g];
                let before = *count >= required;
                if now_available {
                    *count += 1;
                } else {
                    *count = count.saturating_sub(1);
                }
                let after = *count >= required;
                if before != after {
                    let d = index.dependent[g];
                    let u = &mut self.state.unsat[d as usize];
                    if after {
                        *u = u.saturating_sub(1);
                    } else {
                        *u += 1;
                    }
                    self.enqueue(d);
                }
            }
        }
    }

    /// Failed flags of every entity at `t`, from the stored observations.
    fn failed_at(&self, t: DateTime<Utc>) -> Vec<bool> {
        let mut failed = vec![false; self.index.len()];
        let stale = self.stale_before(t);
        for (&e, h) in &self.store.signals {
            if let Some(f) = failed.get_mut(e as usize) {
                *f = store::is_failed(&store::latest(h, t, stale));
            }
        }
        failed
    }

    /// The analysis at `at`.
    ///
    /// When `at` is at or after [`Engine::now`], the incrementally maintained state is used (and
    /// "now" moves to `at`, expiring stale observations); an earlier `at` is answered by a full
    /// evaluation over the stored history, leaving the engine's state alone. The incidents of
    /// the returned analysis are remembered for [`Engine::record_feedback`].
    pub fn evaluate(&mut self, at: DateTime<Utc>) -> Analysis {
        let (analysis, feedback) = if self.now.is_some_and(|now| at < now) {
            let state = State::full(&self.index, self.failed_at(at));
            evaluate::build(&self.inputs(), &state, at)
        } else {
            self.advance_clock(at);
            self.last_cone = 0;
            self.propagate();
            evaluate::build(&self.inputs(), &self.state, at)
        };
        self.last_incidents = feedback.into_iter().collect();
        analysis
    }

    fn inputs(&self) -> Inputs<'_> {
        Inputs {
            topology: &self.topology,
            index: &self.index,
            config: &self.config,
            maintenance: &self.maintenance,
            store: &self.store,
        }
    }

    /// The analysis at `at`, rebuilt from scratch (every availability recomputed in
    /// topological order) without touching the incremental state. It always equals what
    /// [`Engine::evaluate`] returns; it exists for audits, tests and benchmarks.
    #[must_use]
    pub fn evaluate_full(&self, at: DateTime<Utc>) -> Analysis {
        let state = State::full(&self.index, self.failed_at(at));
        evaluate::build(&self.inputs(), &state, at).0
    }

    /// Operator feedback: `true_cause` was the real cause of incident `incident_id` (from the
    /// last [`Engine::evaluate`]).
    ///
    /// Update rule (bounded, documented in the crate docs): for each cause `c` of the incident
    /// with confidence `p` and label `y` (1 for the true cause, 0 for the others), every evidence
    /// category `k` that supported `c` moves by `w_k <- w_k * exp(0.5 * (y - p))`, clamped to
    /// `default / 4 ..= default * 4`. A true cause the incident did not list only lowers the
    /// listed ones.
    ///
    /// # Errors
    /// [`EngineError::UnknownIncident`] when the incident was not in the last evaluation;
    /// [`EngineError::UnknownEntity`] when `true_cause` is not in the topology.
    pub fn record_feedback(
        &mut self,
        incident_id: &str,
        true_cause: &EntityId,
    ) -> Result<(), EngineError> {
        let truth = self.topology.index_of(true_cause.as_str()).ok_or_else(|| {
            EngineError::UnknownEntity {
                id: true_cause.clone(),
            }
        })? as u32;
        let causes =
            self.last_incidents
                .get(incident_id)
                .ok_or_else(|| EngineError::UnknownIncident {
                    id: incident_id.to_string(),
                })?;
        let causes = causes.clone();
        for c in &causes {
            let right = c.entity == truth;
            self.learn(c, right);
            if right {
                for s in &c.sources {
                    self.config.reliability.record(s, true);
                }
            }
        }
        Ok(())
    }

    /// Operator feedback: incident `incident_id` (from the last [`Engine::evaluate`]) was a
    /// false alarm, a glitch of the monitoring: none of its causes failed.
    ///
    /// Every cause is labelled 0 (the same weight update as [`Engine::record_feedback`]), and
    /// every source that supported one of its causes is recorded as wrong once in the
    /// [`Reliability`](crate::Reliability) table, so its later reports weigh less.
    ///
    /// # Errors
    /// [`EngineError::UnknownIncident`] when the incident was not in the last evaluation.
    pub fn record_false_alarm(&mut self, incident_id: &str) -> Result<(), EngineError> {
        let causes = self
            .last_incidents
            .get(incident_id)
            .ok_or_else(|| EngineError::UnknownIncident {
                id: incident_id.to_string(),
            })?
            .clone();
        let mut sources: Vec<&String> = causes.iter().flat_map(|c| &c.sources).collect();
        sources.sort();
        sources.dedup();
        for s in sources {
            self.config.reliability.record(s, false);
        }
        for c in &causes {
            self.learn(c, false);
        }
        Ok(())
    }

    /// The weight update of one labelled cause: supporting categories move by
    /// `exp(rate * (y - p))`, counter-evidence categories by `exp(rate * (p - y))`.
    fn learn(&mut self, c: &CauseRecord, right: bool) {
        let y = if right { 1.0 } else { 0.0 };
        let up = (FEEDBACK_RATE * (y - c.confidence)).exp();
        let mut kinds = c.kinds.clone();
        kinds.sort_unstable();
        kinds.dedup();
        for k in kinds {
            let w = self.config.weights.get(k);
            self.config.weights.set(k, w * up);
        }
        let mut counter = c.counter_kinds.clone();
        counter.sort_unstable();
        counter.dedup();
        for k in counter {
            let w = self.config.weights.get(k);
            self.config.weights.set(k, w / up);
        }
    }

    /// The per-source reliability table (learned from feedback).
    #[must_use]
    pub fn reliability(&self) -> &crate::Reliability {
        &self.config.reliability
    }

    /// Sets one weight directly (clamped like feedback).
    pub fn set_weight(&mut self, kind: EvidenceKind, weight: f64) {
        self.config.weights.set(kind, weight);
    }
}

/// Learning rate of [`Engine::record_feedback`].
pub const FEEDBACK_RATE: f64 = 0.5;
