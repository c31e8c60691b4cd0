//! [`PipelineConfig`]: the one named preset every ispvm binary uses, and its knobs.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Duration;
use ispvm_model::EntityId;
use ispvm_pppoe::classes::ClassifierConfig;
use ispvm_pppoe::impact::{ImpactConfig, RobustImpact};
use ispvm_pppoe::tracker::TrackerConfig;
use ispvm_rca::EngineConfig;

use crate::rules::{PING_LOSS_DEGRADED_PCT, RADIUS_FAILURE_THRESHOLD};

/// How long the samples of a concentrator are kept for its classification (the classifier
/// looks back 5 min + 1 h by default).
pub const CLASSIFY_HISTORY: Duration = Duration::hours(2);

/// The settings of a [`Pipeline`](crate::Pipeline). Start from [`PipelineConfig::standard`]
/// (the preset `ispvm-demo`, `ispvm-analyze` and the agent share) and change what you need with
/// the `with_*` methods.
///
/// | setting | standard | meaning |
/// |---|---|---|
/// | engine | [`EngineConfig`] defaults + [`RobustImpact`] (sparse fallback on) | the RCA engine |
/// | impact | [`ImpactConfig`] default, sparse fallback on | baseline and drop significance (engine and session tracker) |
/// | ping loss | 2 % | `probe.ping.loss_pct` from which experience is degraded |
/// | RADIUS threshold | 0.5 | failure rate from which a RADIUS server's experience is degraded |
/// | RADIUS down threshold | off | share of timed-out requests from which a client sees its RADIUS server as unreachable (`reachability` down); the agent sets [`RADIUS_DOWN_THRESHOLD`](crate::rules::RADIUS_DOWN_THRESHOLD) (0.95) |
/// | classify history | 2 h, 20,000 samples per concentrator | classifier input kept |
/// | recent batches | 4,096 | batch ids remembered for idempotent ingest |
/// | pending events | 1,024 | events held for the next snapshot (oldest dropped, counted) |
/// | poll source | `routeros_api` | the source of the `device.up` 0 a failed poll stands for |
/// | RADIUS clients | 10,000 | `DEV/radius/ADDR` entries whose rate is tracked |
///
/// # Examples
/// ```
/// use ispvm_pipeline::PipelineConfig;
/// let config = PipelineConfig::standard()
///     .with_radius_server("10.0.0.10", "radius1".parse()?)
///     .with_alias("core1/bgp/198.51.100.1", "transit1".parse()?);
/// assert_eq!(config.radius_failure_threshold, 0.5);
/// assert!(config.impact.sparse_fallback);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PipelineConfig {
    /// Baseline and drop significance of the subscriber model (engine) and session tracker.
    pub impact: ImpactConfig,
    /// The PPPoE session tracker (retention, concentrator limit).
    pub tracker: TrackerConfig,
    /// The incident classifier.
    pub classifier: ClassifierConfig,
    /// Loss (%) from which a ping probe reports degraded experience.
    pub ping_loss_degraded_pct: f64,
    /// RADIUS failure rate (0 to 1) from which a server's experience is degraded.
    pub radius_failure_threshold: f64,
    /// Share of timed-out RADIUS requests (0 to 1) from which a client sees the server as
    /// unreachable; off (infinite) in the standard preset, where a RADIUS outage is the
    /// concentrator's degradation of the AAA class.
    pub radius_down_threshold: f64,
    /// How far back a concentrator's samples are kept for the classifier.
    pub classify_history: Duration,
    /// Most samples kept per concentrator for the classifier.
    pub classify_history_max_samples: usize,
    /// How many batch ids are remembered to recognise a duplicate batch.
    pub recent_batches: usize,
    /// Most events held between two snapshots.
    pub max_pending_events: usize,
    /// Most RADIUS client entries whose failure rate is tracked.
    pub max_radius_clients: usize,
    /// The `source` of the `device.up` 0 sample a failed poll stands for.
    pub poll_source: String,
    /// Sample entity ids mapped to topology ids before anything else (e.g. a BGP session
    /// `core1/bgp/198.51.100.1` that the topology calls `transit1`).
    pub aliases: BTreeMap<String, EntityId>,
    /// RADIUS server addresses mapped to their topology entity (`10.0.0.10` -> `radius1`); a
    /// `DEV/radius/ADDR` counter group whose address is not listed is matched to an entity with
    /// the address as id, if the topology has one.
    pub radius_servers: BTreeMap<String, EntityId>,
    engine: EngineConfig,
}

impl PipelineConfig {
    /// The standard preset, used by every ispvm binary: the engine's defaults (the scenario
    /// contract) with ispvm-pppoe's [`RobustImpact`] as subscriber model, its sparse fallback on
    /// (a concentrator polled rarely still gets a baseline), and the defaults of the table above.
    ///
    /// # Examples
    /// ```
    /// use ispvm_pipeline::PipelineConfig;
    /// let c = PipelineConfig::standard();
    /// assert_eq!(c.engine_config().history_limit(), 256);
    /// ```
    #[must_use]
    pub fn standard() -> Self {
        let impact = ImpactConfig::default().with_sparse_fallback(true);
        Self {
            impact,
            tracker: TrackerConfig::default().with_impact(impact),
            classifier: ClassifierConfig::default(),
            ping_loss_degraded_pct: PING_LOSS_DEGRADED_PCT,
            radius_failure_threshold: RADIUS_FAILURE_THRESHOLD,
            radius_down_threshold: f64::INFINITY,
            classify_history: CLASSIFY_HISTORY,
            classify_history_max_samples: 20_000,
            recent_batches: 4_096,
            max_pending_events: 1_024,
            max_radius_clients: 10_000,
            poll_source: "routeros_api".to_owned(),
            aliases: BTreeMap::new(),
            radius_servers: BTreeMap::new(),
            engine: standard_engine(impact),
        }
    }

    /// The engine settings of this configuration.
    #[must_use]
    pub fn engine_config(&self) -> &EngineConfig {
        &self.engine
    }

    /// Replaces the engine settings (the standard preset builds them from [`Self::impact`]).
    #[must_use]
    pub fn with_engine(mut self, engine: EngineConfig) -> Self {
        self.engine = engine;
        self
    }

    /// Sets the impact settings of the engine's subscriber model and of the session tracker
    /// (rebuilds the engine settings as the standard preset does).
    #[must_use]
    pub fn with_impact(mut self, impact: ImpactConfig) -> Self {
        self.impact = impact;
        self.tracker = self.tracker.with_impact(impact);
        self.engine = standard_engine(impact);
        self
    }

    /// Maps a sample entity id to a topology id.
    #[must_use]
    pub fn with_alias(mut self, sample_id: impl Into<String>, topology_id: EntityId) -> Self {
        self.aliases.insert(sample_id.into(), topology_id);
        self
    }

    /// Names the topology entity of the RADIUS server at `address`.
    #[must_use]
    pub fn with_radius_server(mut self, address: impl Into<String>, server: EntityId) -> Self {
        self.radius_servers.insert(address.into(), server);
        self
    }

    /// Sets the RADIUS failure-rate threshold (0 to 1).
    #[must_use]
    pub fn with_radius_failure_threshold(mut self, threshold: f64) -> Self {
        self.radius_failure_threshold = threshold;
        self
    }

    /// Sets the share of timed-out RADIUS requests (0 to 1) from which a client sees the
    /// server as unreachable (a RADIUS server that answers nothing becomes a failed root
    /// cause); above 1 never. [`crate::rules::RADIUS_DOWN_THRESHOLD`] is the agent's value.
    #[must_use]
    pub fn with_radius_down_threshold(mut self, threshold: f64) -> Self {
        self.radius_down_threshold = threshold;
        self
    }

    /// Sets how many batch ids are remembered (at least 1).
    #[must_use]
    pub fn with_recent_batches(mut self, n: usize) -> Self {
        self.recent_batches = n.max(1);
        self
    }

    /// Sets the source of a failed poll's `device.up` 0.
    #[must_use]
    pub fn with_poll_source(mut self, source: impl Into<String>) -> Self {
        self.poll_source = source.into();
        self
    }

    /// Sets the classifier settings.
    #[must_use]
    pub fn with_classifier(mut self, classifier: ClassifierConfig) -> Self {
        self.classifier = classifier;
        self
    }
}

impl Default for PipelineConfig {
    /// [`PipelineConfig::standard`].
    fn default() -> Self {
        Self::standard()
    }
}

fn standard_engine(impact: ImpactConfig) -> EngineConfig {
    EngineConfig::builder()
        .subscriber_impact(Arc::new(RobustImpact::new(impact)))
        .build()
}
