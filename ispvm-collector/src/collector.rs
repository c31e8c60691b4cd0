//! The [`Collector`]: one task per target, a global concurrency limit, runtime changes.
//!
//! ```text
//! Collector::run(cancel) ──> one worker task per Target (spawned on run or on upsert)
//!   worker: first due per tier = now + U[0, interval)        (spread starts)
//!     loop: sleep until the earliest tier is due ─> permit (global semaphore)
//!           ─> adapter.collect_tier(tier) under the poll deadline ─> PollReport ─> sink
//!           ok:   next due = due + interval * (1 ± jitter)      (no drift, no herd)
//!           fail: every tier waits >= now + backoff(failures)  (capped, jittered)
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use ispvm_model::{DeviceAdapter, EntityId, TenantId, Tier};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::{CollectorConfig, ConfigError, Intervals};
use crate::report::{PollFailure, PollOutcome, PollReport, ReportSink};
use crate::schedule;

/// A target's identity: its tenant and its id (the device's entity id).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TargetKey {
    /// Tenant.
    pub tenant: TenantId,
    /// Target id.
    pub target: EntityId,
}

impl fmt::Display for TargetKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.tenant, self.target)
    }
}

/// One device to poll: its key, its adapter and, optionally, its own tier intervals.
///
/// The adapter is shared (`Arc`) and long-lived: an adapter that keeps its connection (as
/// `RouterOsAdapter` does) serves every poll of the target over one connection.
#[derive(Clone)]
pub struct Target {
    key: TargetKey,
    adapter: Arc<dyn DeviceAdapter>,
    intervals: Option<Intervals>,
    revision: Option<u64>,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("key", &self.key)
            .field("intervals", &self.intervals)
            .field("revision", &self.revision)
            .finish_non_exhaustive()
    }
}

impl Target {
    /// A target polled at the collector's default intervals.
    #[must_use]
    pub fn new(tenant: TenantId, id: EntityId, adapter: Arc<dyn DeviceAdapter>) -> Self {
        Self {
            key: TargetKey { tenant, target: id },
            adapter,
            intervals: None,
            revision: None,
        }
    }

    /// Polls this target at its own intervals.
    #[must_use]
    pub fn with_intervals(mut self, intervals: Intervals) -> Self {
        self.intervals = Some(intervals);
        self
    }

    /// Marks this target's configuration with a revision (e.g. a hash of its config entry):
    /// [`Collector::sync`] keeps a running target whose key, intervals and revision are
    /// unchanged even when its adapter is a new object.
    #[must_use]
    pub fn with_revision(mut self, revision: u64) -> Self {
        self.revision = Some(revision);
        self
    }

    /// The key.
    #[must_use]
    pub fn key(&self) -> &TargetKey {
        &self.key
    }

    fn same_as(&self, other: &Target) -> bool {
        self.key == other.key
            && self.intervals == other.intervals
            && (Arc::ptr_eq(&self.adapter, &other.adapter)
                || (self.revision.is_some() && self.revision == other.revision))
    }
}

/// Per-target poll statistics (for a status page and readiness).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TargetStats {
    /// End of the last successful poll (any tier).
    pub last_ok: Option<DateTime<Utc>>,
    /// End of the last failed poll.
    pub last_failure: Option<DateTime<Utc>>,
    /// One-line message of the last failure.
    pub last_error: Option<String>,
    /// Failures in a row (0 after a success).
    pub consecutive_failures: u32,
    /// When the next poll is due (`None` while not running).
    pub next_due: Option<DateTime<Utc>>,
    /// Successful polls since the target was added.
    pub polls_ok: u64,
    /// Failed polls since the target was added.
    pub polls_failed: u64,
}

#[derive(Debug, Default)]
struct StatsCell {
    stats: TargetStats,
    next_due: Option<Instant>,
}

/// What [`Collector::upsert`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Upsert {
    /// A new target.
    Added,
    /// A target with this key existed with another adapter or intervals; it was restarted.
    Replaced,
    /// The same target was already there; its schedule goes on untouched.
    Unchanged,
}

/// What [`Collector::sync`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyncSummary {
    /// New targets.
    pub added: usize,
    /// Restarted targets.
    pub replaced: usize,
    /// Removed targets.
    pub removed: usize,
    /// Targets left running as they were.
    pub unchanged: usize,
}

/// Why [`Collector::run`] could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// `run` is already running on this collector (or a clone of it).
    #[error("the collector is already running")]
    AlreadyRunning,
}

struct Entry {
    target: Target,
    stats: Arc<Mutex<StatsCell>>,
    cancel: Option<CancellationToken>,
}

struct State {
    running: Option<CancellationToken>,
    targets: HashMap<TargetKey, Entry>,
    spawned: u64,
}

struct Inner {
    config: CollectorConfig,
    sink: Arc<dyn ReportSink>,
    permits: Arc<Semaphore>,
    tracker: TaskTracker,
    state: Mutex<State>,
}

/// Polls targets on their tiers' schedules and delivers a [`PollReport`] per poll.
///
/// Cheap to clone (a handle): keep one to add, replace or remove targets and read statistics
/// while [`Collector::run`] runs.
///
/// # Examples
/// Poll one in-process simulated router once and stop:
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use ispvm_collector::{Collector, CollectorConfig, Intervals, PollOutcome, Target};
/// use ispvm_routeros::client::ClientConfig;
/// use ispvm_routeros::sim::{SimRouter, SimState};
/// use ispvm_routeros::Secret;
/// use tokio_util::sync::CancellationToken;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let sim = SimRouter::builder()
///     .state(SimState::concentrator("bras1", 1200))
///     .user("monitor", "pw")
///     .start()
///     .await?;
/// let config = CollectorConfig::default()
///     .with_intervals(Intervals::new(Duration::from_millis(200), Duration::from_secs(60), Duration::from_secs(600)));
/// let client = ClientConfig::new("127.0.0.1", "monitor", Secret::new("pw")).with_port(sim.addr().port());
/// let adapter = ispvm_collector::routeros::adapter(client, &config.timeouts).with_device_id("bras1".parse()?);
///
/// let (tx, mut rx) = tokio::sync::mpsc::channel(16);
/// let collector = Collector::new(config, tx)?;
/// collector.upsert(Target::new("demo-isp".parse()?, "bras1".parse()?, Arc::new(adapter)))?;
/// let cancel = CancellationToken::new();
/// let run = tokio::spawn({ let (c, t) = (collector.clone(), cancel.clone()); async move { c.run(t).await } });
///
/// let report = rx.recv().await.ok_or("no report")?;
/// assert_eq!(report.result(), "ok");
/// if let PollOutcome::Collected(c) = &report.outcome {
///     assert!(c.samples.iter().any(|s| s.metric_name == "pppoe.sessions.active"));
/// }
/// cancel.cancel();
/// run.await??;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Collector {
    inner: Arc<Inner>,
}

impl fmt::Debug for Collector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Collector")
            .field("config", &self.inner.config)
            .field("targets", &self.len())
            .finish_non_exhaustive()
    }
}

impl Collector {
    /// A collector delivering to `sink` (an `mpsc::Sender<PollReport>` or your
    /// [`ReportSink`]). It polls nothing before [`Collector::run`].
    ///
    /// # Errors
    /// [`ConfigError`] when the configuration is invalid.
    pub fn new(config: CollectorConfig, sink: impl ReportSink) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Self {
            inner: Arc::new(Inner {
                permits: Arc::new(Semaphore::new(config.max_concurrent_polls)),
                config,
                sink: Arc::new(sink),
                tracker: TaskTracker::new(),
                state: Mutex::new(State {
                    running: None,
                    targets: HashMap::new(),
                    spawned: 0,
                }),
            }),
        })
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &CollectorConfig {
        &self.inner.config
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        match self.inner.state.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Adds a target, or replaces the one with the same key (restarting only that target's
    /// schedule). Starts polling at once when the collector runs.
    ///
    /// # Errors
    /// [`ConfigError`] when the target's own intervals are invalid.
    pub fn upsert(&self, target: Target) -> Result<Upsert, ConfigError> {
        if let Some(i) = &target.intervals {
            i.validate()?;
        }
        let mut st = self.state();
        let result = match st.targets.get(&target.key) {
            Some(e) if e.target.same_as(&target) => return Ok(Upsert::Unchanged),
            Some(_) => Upsert::Replaced,
            None => Upsert::Added,
        };
        if let Some(old) = st.targets.remove(&target.key) {
            if let Some(c) = old.cancel {
                c.cancel();
            }
        }
        let mut entry = Entry {
            target,
            stats: Arc::new(Mutex::new(StatsCell::default())),
            cancel: None,
        };
        if let Some(root) = st.running.clone() {
            st.spawned += 1;
            let n = st.spawned;
            entry.cancel = Some(self.spawn(&entry, &root, n));
        }
        st.targets.insert(entry.target.key.clone(), entry);
        Ok(result)
    }

    /// Stops polling a target and forgets it. False when there was none.
    pub fn remove(&self, key: &TargetKey) -> bool {
        let mut st = self.state();
        match st.targets.remove(key) {
            Some(e) => {
                if let Some(c) = e.cancel {
                    c.cancel();
                }
                true
            }
            None => false,
        }
    }

    /// Makes the target set equal to `targets` (a configuration reload): new keys are added,
    /// missing ones removed, changed ones restarted; the others keep their schedule.
    ///
    /// # Errors
    /// [`ConfigError`] when a target's intervals are invalid; nothing is changed then.
    pub fn sync(&self, targets: Vec<Target>) -> Result<SyncSummary, ConfigError> {
        for t in &targets {
            if let Some(i) = &t.intervals {
                i.validate()?;
            }
        }
        let mut summary = SyncSummary::default();
        let keep: std::collections::HashSet<TargetKey> =
            targets.iter().map(|t| t.key.clone()).collect();
        let gone: Vec<TargetKey> = self
            .state()
            .targets
            .keys()
            .filter(|k| !keep.contains(*k))
            .cloned()
            .collect();
        for k in gone {
            if self.remove(&k) {
                summary.removed += 1;
            }
        }
        for t in targets {
            match self.upsert(t)? {
                Upsert::Added => summary.added += 1,
                Upsert::Replaced => summary.replaced += 1,
                Upsert::Unchanged => summary.unchanged += 1,
            }
        }
        Ok(summary)
    }

    /// Number of targets.
    #[must_use]
    pub fn len(&self) -> usize {
        self.state().targets.len()
    }

    /// True when there is no target.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The statistics of one target.
    #[must_use]
    pub fn stats(&self, key: &TargetKey) -> Option<TargetStats> {
        let cell = self.state().targets.get(key).map(|e| e.stats.clone())?;
        Some(snapshot(&cell))
    }

    /// The statistics of every target, sorted by key.
    #[must_use]
    pub fn all_stats(&self) -> Vec<(TargetKey, TargetStats)> {
        let cells: Vec<(TargetKey, Arc<Mutex<StatsCell>>)> = self
            .state()
            .targets
            .iter()
            .map(|(k, e)| (k.clone(), e.stats.clone()))
            .collect();
        let mut out: Vec<_> = cells.into_iter().map(|(k, c)| (k, snapshot(&c))).collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Polls every target until `cancel` is cancelled, then stops every worker (in-flight
    /// polls get [`CollectorConfig::shutdown_grace`] to finish, then are dropped, which
    /// closes their connections' pending commands) and returns once all have stopped.
    ///
    /// # Errors
    /// [`RunError::AlreadyRunning`] when `run` is already running.
    pub async fn run(&self, cancel: CancellationToken) -> Result<(), RunError> {
        {
            let mut st = self.state();
            if st.running.is_some() {
                return Err(RunError::AlreadyRunning);
            }
            self.inner.tracker.reopen();
            st.running = Some(cancel.clone());
            let mut spawned = st.spawned;
            let mut entries: Vec<&mut Entry> = st.targets.values_mut().collect();
            entries.sort_by(|a, b| a.target.key.cmp(&b.target.key));
            for e in entries {
                spawned += 1;
                e.cancel = Some(self.spawn(e, &cancel, spawned));
            }
            st.spawned = spawned;
        }
        cancel.cancelled().await;
        {
            let mut st = self.state();
            st.running = None;
            for e in st.targets.values_mut() {
                e.cancel = None;
            }
        }
        self.inner.tracker.close();
        self.inner.tracker.wait().await;
        Ok(())
    }

    fn spawn(&self, entry: &Entry, root: &CancellationToken, n: u64) -> CancellationToken {
        let cancel = root.child_token();
        let seed = match self.inner.config.seed {
            Some(s) => s.wrapping_add(n.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            None => rand::thread_rng().r#gen(),
        };
        let worker = Worker {
            inner: self.inner.clone(),
            target: entry.target.clone(),
            intervals: entry
                .target
                .intervals
                .unwrap_or(self.inner.config.intervals),
            stats: entry.stats.clone(),
            cancel: cancel.clone(),
            rng: StdRng::seed_from_u64(seed),
        };
        self.inner.tracker.spawn(worker.run());
        cancel
    }
}

fn snapshot(cell: &Mutex<StatsCell>) -> TargetStats {
    let c = match cell.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    let mut s = c.stats.clone();
    s.next_due = c.next_due.map(|due| {
        let now = Instant::now();
        let ahead = due.saturating_duration_since(now);
        Utc::now() + chrono::Duration::from_std(ahead).unwrap_or_default()
    });
    s
}

struct Worker {
    inner: Arc<Inner>,
    target: Target,
    intervals: Intervals,
    stats: Arc<Mutex<StatsCell>>,
    cancel: CancellationToken,
    rng: StdRng,
}

impl Worker {
    fn with_stats(&self, f: impl FnOnce(&mut StatsCell)) {
        match self.stats.lock() {
            Ok(mut g) => f(&mut g),
            Err(p) => f(&mut p.into_inner()),
        }
    }

    async fn run(mut self) {
        /// Clears the next due time however the worker ends (cancelled, removed, replaced).
        struct NotDue(Arc<Mutex<StatsCell>>);
        impl Drop for NotDue {
            fn drop(&mut self) {
                match self.0.lock() {
                    Ok(mut g) => g.next_due = None,
                    Err(p) => p.into_inner().next_due = None,
                }
            }
        }
        let _not_due = NotDue(self.stats.clone());
        let cfg = &self.inner.config;
        let (jitter, base, max, deadline, grace) = (
            cfg.jitter_percent,
            cfg.backoff_base,
            cfg.backoff_max,
            cfg.poll_timeout,
            cfg.shutdown_grace,
        );
        let start = Instant::now();
        let mut due: Vec<(Tier, Duration, Instant)> = Vec::new();
        for tier in Tier::ALL {
            if let Some(interval) = self.intervals.get(tier) {
                let offset = schedule::start_offset(interval, &mut self.rng);
                due.push((tier, interval, start + offset));
            }
        }
        let mut failures: u32 = 0;
        loop {
            // earliest due tier; ties go to the faster tier (listed first)
            let Some(i) = (0..due.len()).min_by_key(|&i| (due[i].2, i)) else {
                return;
            };
            let (tier, interval, at) = due[i];
            self.with_stats(|s| s.next_due = Some(at));
            tokio::select! {
                biased;
                () = self.cancel.cancelled() => return,
                () = tokio::time::sleep_until(at) => {}
            }
            let permit = tokio::select! {
                biased;
                () = self.cancel.cancelled() => return,
                p = self.inner.permits.clone().acquire_owned() => match p {
                    Ok(p) => p,
                    Err(_) => return,
                },
            };
            let started_at = Utc::now();
            let t0 = Instant::now();
            let adapter = self.target.adapter.clone();
            let poll = tokio::time::timeout(deadline, adapter.collect_tier(tier));
            tokio::pin!(poll);
            let result = tokio::select! {
                biased;
                r = &mut poll => r,
                () = self.cancel.cancelled() => {
                    match tokio::time::timeout(grace, &mut poll).await {
                        Ok(r) => r,
                        Err(_) => return,
                    }
                }
            };
            drop(permit);
            let duration = t0.elapsed();
            let outcome = match result {
                Ok(Ok(c)) => PollOutcome::Collected(c),
                Ok(Err(e)) => PollOutcome::Failed(PollFailure::from_adapter(e)),
                Err(_) => PollOutcome::Failed(PollFailure::deadline(deadline)),
            };
            let now = Instant::now();
            let ended = Utc::now();
            match &outcome {
                PollOutcome::Collected(_) => {
                    failures = 0;
                    let mut next = at + schedule::jittered(interval, jitter, &mut self.rng);
                    if next <= now {
                        // the poll (or its wait for a permit) overran: skip, never burst
                        next = now + schedule::jittered(interval, jitter, &mut self.rng);
                    }
                    due[i].2 = next;
                    self.with_stats(|s| {
                        s.stats.last_ok = Some(ended);
                        s.stats.consecutive_failures = 0;
                        s.stats.polls_ok += 1;
                    });
                }
                PollOutcome::Failed(f) => {
                    failures = failures.saturating_add(1);
                    let retry = now + schedule::backoff_delay(base, max, failures, &mut self.rng);
                    tracing::debug!(target_key = %self.target.key, %tier, failures, error = %f.message, "poll failed");
                    due[i].2 = retry;
                    for d in &mut due {
                        d.2 = d.2.max(retry);
                    }
                    let msg = f.message.clone();
                    self.with_stats(|s| {
                        s.stats.last_failure = Some(ended);
                        s.stats.last_error = Some(msg);
                        s.stats.consecutive_failures = failures;
                        s.stats.polls_failed += 1;
                    });
                }
            }
            let report = PollReport::new(
                self.target.key.tenant.clone(),
                self.target.key.target.clone(),
                tier,
                started_at,
                duration,
                outcome,
            );
            tokio::select! {
                biased;
                () = self.inner.sink.deliver(report) => {}
                () = self.cancel.cancelled() => return,
            }
            if self.cancel.is_cancelled() {
                return;
            }
        }
    }
}
