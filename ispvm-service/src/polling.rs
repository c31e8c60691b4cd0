//! The agent's polling: one [`ispvm_collector::Collector`] per tenant, and what its reports do
//! to the tenant's [`Pipeline`].
//!
//! ```text
//! [polling] + tenant overrides ──> CollectorConfig, Target::with_intervals (per router)
//! Collector (tiers, jitter, backoff, concurrency, poll deadline) ──PollReport──> tenant task
//!   router report, collected ──> Pipeline::ingest_samples
//!   router report, failed    ──> ping answers? yes: reachability `degraded` (API unreachable)
//!                                               no:  Pipeline::poll_failed (device.up = 0)
//!   probe report (embedded world: the agent's pings) ──> probe.ping.loss_pct samples, and the
//!                                 routers whose API fails are judged again
//! ```
//!
//! - **API down, router alive**: a router whose API poll fails while the agent's ping still
//!   gets an answer is *reachable but unmanageable*: its reachability is `degraded` (source
//!   `routeros_api`), so its status is `degraded`, nothing downstream becomes unreachable, and
//!   the incident names it as a degradation, not a dead router. When the ping fails too it is
//!   `down` (`device.up` = 0), as without pings.
//! - **Logs**: one `WARN` when a router's polls start failing, one `INFO` when it answers
//!   again; every failed retry in between is `DEBUG` only.
//! - **Metrics**: every router report counts in `ispvm_polls_total{tenant,result}` and
//!   `ispvm_poll_duration_seconds` (the probe does not: it polls no router).

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use ispvm_collector::{
    CollectorConfig, ConfigError, Intervals, PollOutcome, PollReport, Target, Timeouts,
};
use ispvm_http::{AgentMetrics, PollResult};
use ispvm_model::{
    AdapterError, Collection, DeviceAdapter, DeviceIdentity, EntityId, EntityKind, Observation,
    Sample, SampleValue, Signal, SignalState, TenantId, Tier,
};
use ispvm_pipeline::{Pipeline, PipelineConfig};
use ispvm_routeros::sim::world::SimWorld;

use crate::config::{Polling, TenantConfig};

/// The collector target id of the embedded world's ping probe (not an entity of the topology).
pub const PROBE_TARGET: &str = "agent-ping";

/// The `vantage` label and source of the agent's pings.
pub const PING_SOURCE: &str = "agent_ping";

/// The collector configuration of `[polling]`, with a tenant's interval overrides.
///
/// # Errors
/// [`ConfigError`] when the settings are refused by the collector (the configuration file's
/// validation refuses them first).
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use ispvm_model::Tier;
/// let polling = ispvm_service::config::Polling::default();
/// let c = ispvm_service::polling::collector_config(&polling, None)?;
/// assert_eq!(c.intervals.get(Tier::Fast), Some(Duration::from_secs(30)));
/// assert_eq!(c.timeouts.command, Duration::from_secs(5));
/// assert_eq!(c.max_concurrent_polls, 64);
/// # Ok::<(), ispvm_collector::ConfigError>(())
/// ```
pub fn collector_config(
    polling: &Polling,
    tenant: Option<&TenantConfig>,
) -> Result<CollectorConfig, ConfigError> {
    let secs = Duration::from_secs;
    let pick = |o: Option<&toml::Spanned<u64>>, d: u64| secs(o.map_or(d, |v| *v.get_ref()));
    let intervals = Intervals::new(
        pick(
            tenant.and_then(|t| t.fast_seconds.as_ref()),
            polling.fast_seconds,
        ),
        pick(
            tenant.and_then(|t| t.medium_seconds.as_ref()),
            polling.medium_seconds,
        ),
        pick(
            tenant.and_then(|t| t.slow_seconds.as_ref()),
            polling.slow_seconds,
        ),
    );
    let t = secs(polling.timeout_seconds);
    let config = CollectorConfig::default()
        .with_intervals(intervals)
        .with_jitter_percent(polling.jitter_percent)
        .with_backoff(
            secs(polling.backoff_base_seconds),
            secs(polling.backoff_max_seconds),
        )
        .with_max_concurrent_polls(polling.concurrency)
        .with_poll_timeout(secs(polling.poll_timeout_seconds))
        .with_timeouts(Timeouts {
            connect: t,
            login: t,
            command: t,
        });
    config.validate()?;
    Ok(config)
}

/// The collector configuration of the embedded world polled every `fast`: medium tier every
/// two fast intervals (RADIUS counters), slow every twelve, timeouts `min(fast, 3 s)`, and a
/// backoff of at most one fast interval (a repaired router shows at the next poll).
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use ispvm_model::Tier;
/// let c = ispvm_service::polling::embedded_config(Duration::from_secs(5));
/// assert_eq!(c.intervals.get(Tier::Medium), Some(Duration::from_secs(10)));
/// assert_eq!(c.backoff_max, Duration::from_secs(5));
/// assert!(c.validate().is_ok());
/// ```
#[must_use]
pub fn embedded_config(fast: Duration) -> CollectorConfig {
    let fast = fast.max(ispvm_collector::MIN_INTERVAL);
    let timeout = fast.min(Duration::from_secs(3));
    CollectorConfig::default()
        .with_intervals(Intervals::new(fast, fast * 2, fast * 12))
        .with_backoff(fast / 2, fast)
        .with_poll_timeout(timeout * 3)
        .with_timeouts(Timeouts {
            connect: timeout,
            login: timeout,
            command: timeout,
        })
}

/// The pipeline settings with the engine told how often every router reports: twice the
/// fast-tier interval (jitter and a slow poll stay inside it). A router whose last report is
/// older than that when everything behind it fails has *missed a poll* and can be proposed as
/// an inferred cause; without it the engine never infers a silent entity.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use ispvm_pipeline::PipelineConfig;
/// use ispvm_service::polling::{embedded_config, with_poll_interval};
/// let p = with_poll_interval(PipelineConfig::standard(), &embedded_config(Duration::from_secs(5)));
/// assert_eq!(p.engine_config().poll_interval(), Some(chrono::Duration::seconds(10)));
/// ```
#[must_use]
pub fn with_poll_interval(pipeline: PipelineConfig, collector: &CollectorConfig) -> PipelineConfig {
    let Some(fast) = collector.intervals.get(ispvm_model::Tier::Fast) else {
        return pipeline;
    };
    let Ok(every) = chrono::Duration::from_std(fast * 2) else {
        return pipeline;
    };
    let engine = pipeline
        .engine_config()
        .to_builder()
        .poll_interval(Some(every))
        .build();
    pipeline.with_engine(engine)
}

/// A revision of a router's configuration entry (host, port, user, TLS, CA, password) for
/// [`Target::with_revision`]: a reload keeps the running poller (and its connection) of a
/// router whose entry did not change. Hashed with a per-process random key: the value says
/// nothing about the password.
#[must_use]
pub fn revision(parts: &[&[u8]]) -> u64 {
    static KEY: OnceLock<std::collections::hash_map::RandomState> = OnceLock::new();
    let mut h = KEY.get_or_init(Default::default).build_hasher();
    for p in parts {
        p.len().hash(&mut h);
        p.hash(&mut h);
    }
    h.finish()
}

/// The embedded world's ping probe: one fast-tier "poll" pings every router of the world
/// from the agent and yields one `probe.ping.loss_pct` sample (0 or 100 %) per router.
#[derive(Clone)]
pub struct WorldProbe {
    world: SimWorld,
    routers: Vec<EntityId>,
}

impl std::fmt::Debug for WorldProbe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorldProbe")
            .field("routers", &self.routers.len())
            .finish_non_exhaustive()
    }
}

impl WorldProbe {
    /// A probe of `routers` in `world`.
    #[must_use]
    pub fn new(world: SimWorld, routers: Vec<EntityId>) -> Self {
        Self { world, routers }
    }

    /// The collector target of this probe (fast tier only, every `fast`).
    ///
    /// # Errors
    /// [`ispvm_model::IdError`] never in practice ([`PROBE_TARGET`] is a valid id).
    pub fn target(self, tenant: TenantId, fast: Duration) -> Result<Target, ispvm_model::IdError> {
        let intervals = Intervals::new(fast, fast, fast)
            .with(Tier::Medium, None)
            .with(Tier::Slow, None);
        Ok(
            Target::new(tenant, EntityId::new(PROBE_TARGET)?, Arc::new(self))
                .with_intervals(intervals)
                .with_revision(0),
        )
    }
}

#[async_trait]
impl DeviceAdapter for WorldProbe {
    async fn identity(&self) -> Result<DeviceIdentity, AdapterError> {
        let id = EntityId::new(PROBE_TARGET).map_err(|e| AdapterError::Protocol {
            device: PROBE_TARGET.to_owned(),
            message: e.to_string(),
            source: None,
        })?;
        Ok(DeviceIdentity::new(id, "ispvm"))
    }

    async fn collect(&self) -> Result<Collection, AdapterError> {
        let at = Utc::now();
        let mut c = Collection::new();
        for r in &self.routers {
            let answers = self.world.ping(r.as_str()).await;
            let mut s = Sample::new(
                at,
                ispvm_model::names::PROBE_PING_LOSS_PCT,
                EntityKind::Device,
                r.clone(),
                SampleValue::Num(if answers { 0.0 } else { 100.0 }),
                "%",
                PING_SOURCE,
            );
            s.labels.insert("vantage".into(), "agent".into());
            c.samples.push(s);
        }
        Ok(c)
    }
}

fn failure_kind(report: &PollReport) -> ispvm_pipeline::PollFailure {
    use ispvm_pipeline::PollFailure as P;
    match &report.outcome {
        PollOutcome::Failed(f) => match &f.error {
            None | Some(AdapterError::Timeout { .. }) => P::Timeout,
            Some(AdapterError::Unreachable { .. }) => P::Refused,
            Some(AdapterError::Authentication { .. }) => P::Login,
            Some(AdapterError::Protocol { .. }) => P::Protocol,
            Some(_) => P::Other,
        },
        _ => P::Other,
    }
}

/// How a failing router was last fed to the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Judged {
    /// `device.up` = 0.
    Down,
    /// Reachability degraded: the API fails, the ping answers.
    ApiUnreachable,
}

#[derive(Debug, Clone)]
struct Failing {
    kind: ispvm_pipeline::PollFailure,
    judged: Judged,
}

/// The tenant task's side of polling: turns [`PollReport`]s into pipeline input, counts them
/// in the metrics and logs routers' state changes.
#[derive(Debug)]
pub(crate) struct Reports {
    tenant: TenantId,
    metrics: Arc<AgentMetrics>,
    /// The latest ping of each router (true: it answered).
    pings: BTreeMap<EntityId, bool>,
    /// Routers whose latest poll failed.
    failing: BTreeMap<EntityId, Failing>,
    /// Routers not heard of yet (first evaluation waits for them, up to a deadline).
    awaiting: BTreeSet<EntityId>,
}

impl Reports {
    pub(crate) fn new(
        tenant: TenantId,
        metrics: Arc<AgentMetrics>,
        routers: impl IntoIterator<Item = EntityId>,
    ) -> Self {
        Self {
            tenant,
            metrics,
            pings: BTreeMap::new(),
            failing: BTreeMap::new(),
            awaiting: routers.into_iter().collect(),
        }
    }

    /// True once every router has reported at least once.
    pub(crate) fn all_heard(&self) -> bool {
        self.awaiting.is_empty()
    }

    /// Feeds one report; true when the pipeline got something.
    pub(crate) fn apply(&mut self, pipeline: &mut Pipeline, report: &PollReport) -> bool {
        let at =
            report.started_at + chrono::Duration::from_std(report.duration).unwrap_or_default();
        if report.target.as_str() == PROBE_TARGET {
            let PollOutcome::Collected(c) = &report.outcome else {
                return false;
            };
            for s in &c.samples {
                if s.metric_name == ispvm_model::names::PROBE_PING_LOSS_PCT {
                    self.pings
                        .insert(s.entity_id.clone(), s.as_f64().is_some_and(|l| l < 100.0));
                }
            }
            pipeline.ingest_samples(&c.samples);
            let failing: Vec<EntityId> = self.failing.keys().cloned().collect();
            for d in failing {
                self.judge(pipeline, &d, at);
            }
            return true;
        }
        self.awaiting.remove(&report.target);
        let result = match report.result() {
            "ok" => PollResult::Ok,
            "timeout" => PollResult::Timeout,
            _ => PollResult::Error,
        };
        self.metrics
            .observe_poll(&self.tenant, result, report.duration);
        match &report.outcome {
            PollOutcome::Collected(c) => {
                if self.failing.remove(&report.target).is_some() {
                    tracing::info!(tenant = %self.tenant, router = %report.target, "router answers again");
                }
                pipeline.ingest_samples(&c.samples);
            }
            PollOutcome::Failed(f) => {
                let kind = failure_kind(report);
                match self.failing.get_mut(&report.target) {
                    Some(s) => s.kind = kind,
                    None => {
                        tracing::warn!(tenant = %self.tenant, router = %report.target, error = %f.message, "router polls failing; retrying with backoff");
                        self.failing.insert(
                            report.target.clone(),
                            Failing {
                                kind,
                                judged: Judged::Down,
                            },
                        );
                    }
                }
                tracing::debug!(tenant = %self.tenant, router = %report.target, tier = %report.tier, error = %f.message, "poll failed");
                let target = report.target.clone();
                self.feed_failure(pipeline, &target, at);
            }
            _ => return false,
        }
        true
    }

    /// A failing router's state went with a new ping: feed it again if the verdict changed.
    fn judge(&mut self, pipeline: &mut Pipeline, device: &EntityId, at: chrono::DateTime<Utc>) {
        let want = self.verdict(device);
        if self.failing.get(device).is_some_and(|f| f.judged != want) {
            self.feed_failure(pipeline, device, at);
        }
    }

    fn verdict(&self, device: &EntityId) -> Judged {
        if self.pings.get(device) == Some(&true) {
            Judged::ApiUnreachable
        } else {
            Judged::Down
        }
    }

    fn feed_failure(
        &mut self,
        pipeline: &mut Pipeline,
        device: &EntityId,
        at: chrono::DateTime<Utc>,
    ) {
        let verdict = self.verdict(device);
        let Some(f) = self.failing.get_mut(device) else {
            return;
        };
        f.judged = verdict;
        let kind = f.kind;
        match verdict {
            Judged::Down => {
                if let Err(e) = pipeline.poll_failed(device, at, kind) {
                    tracing::debug!(tenant = %self.tenant, %device, error = %e, "failed poll of an unknown device");
                }
            }
            Judged::ApiUnreachable => {
                if pipeline.topology().index_of(device.as_str()).is_none() {
                    return;
                }
                let source = pipeline.config().poll_source.clone();
                let o = Observation::signal(
                    at,
                    device.clone(),
                    Signal::Reachability,
                    SignalState::Degraded,
                )
                .with_source(source);
                if let Err(e) = pipeline.ingest_observations(std::slice::from_ref(&o)) {
                    tracing::debug!(tenant = %self.tenant, %device, error = %e, "observation refused");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ispvm_collector::PollFailure;
    use ispvm_model::EntityStatus;

    fn pipeline() -> Pipeline {
        let topology = Arc::new(crate::embedded::topology().unwrap());
        Pipeline::new(topology, crate::embedded::pipeline_config().unwrap())
    }

    fn tenant() -> TenantId {
        crate::embedded::TENANT.parse().unwrap()
    }

    fn at(s: i64) -> chrono::DateTime<Utc> {
        chrono::DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    fn failed(router: &str, s: i64) -> PollReport {
        PollReport::new(
            tenant(),
            router.parse().unwrap(),
            Tier::Fast,
            at(s),
            Duration::ZERO,
            PollOutcome::Failed(PollFailure::from_adapter(AdapterError::Unreachable {
                device: router.into(),
                reason: "connection refused".into(),
                source: None,
            })),
        )
    }

    fn up(router: &str, s: i64) -> PollReport {
        let mut c = Collection::new();
        c.samples.push(Sample::new(
            at(s),
            ispvm_model::names::DEVICE_UP,
            EntityKind::Device,
            router.parse().unwrap(),
            SampleValue::Num(1.0),
            "bool",
            "routeros_api",
        ));
        PollReport::new(
            tenant(),
            router.parse().unwrap(),
            Tier::Fast,
            at(s),
            Duration::ZERO,
            PollOutcome::Collected(c),
        )
    }

    fn pings(answers: &[(&str, bool)], s: i64) -> PollReport {
        let mut c = Collection::new();
        for (r, ok) in answers {
            let mut x = Sample::new(
                at(s),
                ispvm_model::names::PROBE_PING_LOSS_PCT,
                EntityKind::Device,
                r.parse().unwrap(),
                SampleValue::Num(if *ok { 0.0 } else { 100.0 }),
                "%",
                PING_SOURCE,
            );
            x.labels.insert("vantage".into(), "agent".into());
            c.samples.push(x);
        }
        PollReport::new(
            tenant(),
            PROBE_TARGET.parse().unwrap(),
            Tier::Fast,
            at(s),
            Duration::ZERO,
            PollOutcome::Collected(c),
        )
    }

    fn status(p: &mut Pipeline, id: &str, s: i64) -> EntityStatus {
        let snap = p.snapshot(at(s));
        snap.analysis
            .entities
            .iter()
            .find(|e| e.id.as_str() == id)
            .map(|e| e.status)
            .unwrap()
    }

    #[test]
    fn a_failed_poll_is_down_unless_the_ping_answers() {
        let metrics = Arc::new(AgentMetrics::new());
        let mut r = Reports::new(tenant(), metrics, ["agg2".parse().unwrap()]);
        let mut p = pipeline();
        assert!(!r.all_heard());
        assert!(r.apply(&mut p, &up("agg2", 0)));
        assert!(r.all_heard());
        assert_eq!(status(&mut p, "agg2", 0), EntityStatus::Up);
        // No ping known: a failed poll is a dead router.
        r.apply(&mut p, &failed("agg2", 10));
        assert_eq!(status(&mut p, "agg2", 10), EntityStatus::Down);
        // The ping answers: judged again at once, API unreachable, not dead.
        r.apply(&mut p, &pings(&[("agg2", true)], 11));
        assert_eq!(status(&mut p, "agg2", 11), EntityStatus::Degraded);
        r.apply(&mut p, &failed("agg2", 20));
        assert_eq!(status(&mut p, "agg2", 20), EntityStatus::Degraded);
        assert_eq!(status(&mut p, "agg1-agg2", 20), EntityStatus::Unknown);
        // The ping stops too (power off): down without waiting for the next poll.
        r.apply(&mut p, &pings(&[("agg2", false)], 21));
        assert_eq!(status(&mut p, "agg2", 21), EntityStatus::Down);
        // Back: the next poll answers.
        r.apply(&mut p, &pings(&[("agg2", true)], 30));
        r.apply(&mut p, &up("agg2", 31));
        assert_eq!(status(&mut p, "agg2", 31), EntityStatus::Up);
        // A failed probe changes nothing.
        let mut probe_failed = failed(PROBE_TARGET, 40);
        probe_failed.target = PROBE_TARGET.parse().unwrap();
        assert!(!r.apply(&mut p, &probe_failed));
    }

    #[test]
    fn config_and_overrides_become_collector_settings() {
        let text = "[polling]\nfast_seconds = 20\nmedium_seconds = 90\njitter_percent = 5\nbackoff_base_seconds = 2\nbackoff_max_seconds = 30\ntimeout_seconds = 4\npoll_timeout_seconds = 12\nconcurrency = 8\n\n[[tenants]]\nid = \"acme\"\nslow_seconds = 900\n\n[[tenants.routers]]\nid = \"r1\"\nhost = \"192.0.2.1\"\nuser = \"ro\"\npassword_env = \"PATH\"\n";
        let c = crate::config::Config::parse(text, std::path::Path::new("a.toml")).unwrap();
        let cc = collector_config(&c.polling, c.tenants.first()).unwrap();
        let secs = Duration::from_secs;
        assert_eq!(
            (
                cc.intervals.get(Tier::Fast),
                cc.intervals.get(Tier::Medium),
                cc.intervals.get(Tier::Slow)
            ),
            (Some(secs(20)), Some(secs(90)), Some(secs(900)))
        );
        assert_eq!(
            (cc.jitter_percent, cc.backoff_base, cc.backoff_max),
            (5, secs(2), secs(30))
        );
        assert_eq!(
            (cc.timeouts.connect, cc.timeouts.command, cc.poll_timeout),
            (secs(4), secs(4), secs(12))
        );
        assert_eq!(cc.max_concurrent_polls, 8);
        // Revisions: equal parts, equal revision; any part changed, another.
        assert_eq!(revision(&[b"a", b"b"]), revision(&[b"a", b"b"]));
        assert_ne!(revision(&[b"a", b"b"]), revision(&[b"ab", b""]));
    }
}
