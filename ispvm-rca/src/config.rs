//! Engine configuration: time windows, confidence weights and the subscriber-impact rule.

use std::fmt;
use std::sync::Arc;

use chrono::Duration;
use ispvm_model::SubscriberImpact;

use crate::subscribers::ContractSessionRule;

/// The categories of evidence the engine recognises, each with a default weight taken from the
/// product's design notes. [`EngineConfig::weights`] holds the current weights; operator feedback
/// ([`Engine::record_feedback`](crate::Engine::record_feedback)) moves them within bounds.
///
/// | category | default weight | where it comes from |
/// |---|---|---|
/// | [`UplinkInterfaceDown`](Self::UplinkInterfaceDown) | 10 | `link` down on the cause (a link or interface) or on one of its interfaces/links |
/// | [`OspfDown`](Self::OspfDown) | 7 | `routing` down on an OSPF adjacency (the cause or `CAUSE/ospf/...`) |
/// | [`BgpDown`](Self::BgpDown) | 7 | `routing` down on a BGP session (the cause or `CAUSE/bgp/...`) |
/// | [`RoutingDown`](Self::RoutingDown) | 7 | `routing` down on any other entity |
/// | [`PingLossMultiVantage`](Self::PingLossMultiVantage) | 6 | `reachability`/`experience` down from two or more sources |
/// | [`SyslogLinkDown`](Self::SyslogLinkDown) | 6 | `link` down whose source mentions `syslog` |
/// | [`SessionDrop`](Self::SessionDrop) | 6 | a significant `pppoe.sessions.active` drop |
/// | [`Unreachable`](Self::Unreachable) | 4 | `reachability` down from a single source |
/// | [`ApiUnreachablePingOk`](Self::ApiUnreachablePingOk) | 3 | `reachability` down from an API source while `experience` (ping) is up |
/// | [`Flapping`](Self::Flapping) | 3 | the entity flaps (its latest failure is still evidence) |
/// | [`DependentsDown`](Self::DependentsDown) | 3 | per dependent that needs the entity and is reported unreachable too (support of a failure, and of an [inferred](ispvm_model::CauseKind::Inferred) cause that missed a poll) |
/// | [`VantageBurst`](Self::VantageBurst) | 3 | per contradicted down reported only by a vantage point, for its inferred isolation |
/// | [`ReachedByOtherSource`](Self::ReachedByOtherSource) | 10 | *counter-evidence*: another source reached the entity after it was reported down |
/// | [`DependentAnswers`](Self::DependentAnswers) | 8 | *counter-evidence*: a dependent that needs the entity answered after it was reported down |
/// | [`PathLost`](Self::PathLost) | 6 | *counter-evidence*: something that needs the entity has also lost every path to it, so the entity's `down` may only mean the pollers cannot reach it |
/// | [`SourceIsolated`](Self::SourceIsolated) | 20 | *counter-evidence*: the only source of the report is a vantage point that lost its own path |
///
/// Items of one category count once per source (a poller that repeats itself is one item);
/// the same category from several sources is corroboration. The last four categories are
/// counter-evidence: they lower the confidence ([`Confidence::combine`](ispvm_model::Confidence::combine)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum EvidenceKind {
    /// The uplink interface or link is down.
    UplinkInterfaceDown,
    /// OSPF is down on the same link.
    OspfDown,
    /// The upstream BGP session is down.
    BgpDown,
    /// Another routing adjacency is down.
    RoutingDown,
    /// Ping loss seen from several vantage points.
    PingLossMultiVantage,
    /// A syslog link-down message.
    SyslogLinkDown,
    /// PPPoE sessions dropped significantly.
    SessionDrop,
    /// Unreachable from a single vantage point.
    Unreachable,
    /// The API is unreachable but ping answers.
    ApiUnreachablePingOk,
    /// The entity flaps.
    Flapping,
    /// A dependent of an inferred cause is down.
    DependentsDown,
    /// A vantage point reported a down that no other source corroborates and another contradicts.
    VantageBurst,
    /// Counter-evidence: another source reaches the entity.
    ReachedByOtherSource,
    /// Counter-evidence: a dependent that needs the entity answers.
    DependentAnswers,
    /// Counter-evidence: what needs the entity has lost every path to it as well.
    PathLost,
    /// Counter-evidence: the report comes only from a vantage point that lost its own path.
    SourceIsolated,
}

impl EvidenceKind {
    /// Every category, in declaration order.
    pub const ALL: [EvidenceKind; 16] = [
        EvidenceKind::UplinkInterfaceDown,
        EvidenceKind::OspfDown,
        EvidenceKind::BgpDown,
        EvidenceKind::RoutingDown,
        EvidenceKind::PingLossMultiVantage,
        EvidenceKind::SyslogLinkDown,
        EvidenceKind::SessionDrop,
        EvidenceKind::Unreachable,
        EvidenceKind::ApiUnreachablePingOk,
        EvidenceKind::Flapping,
        EvidenceKind::DependentsDown,
        EvidenceKind::VantageBurst,
        EvidenceKind::ReachedByOtherSource,
        EvidenceKind::DependentAnswers,
        EvidenceKind::PathLost,
        EvidenceKind::SourceIsolated,
    ];

    /// The default weight (design notes of the product).
    #[must_use]
    pub const fn default_weight(self) -> f64 {
        match self {
            EvidenceKind::UplinkInterfaceDown => 10.0,
            EvidenceKind::OspfDown | EvidenceKind::BgpDown | EvidenceKind::RoutingDown => 7.0,
            EvidenceKind::PingLossMultiVantage
            | EvidenceKind::SyslogLinkDown
            | EvidenceKind::SessionDrop => 6.0,
            EvidenceKind::Unreachable => 4.0,
            EvidenceKind::ApiUnreachablePingOk
            | EvidenceKind::Flapping
            | EvidenceKind::DependentsDown
            | EvidenceKind::VantageBurst => 3.0,
            EvidenceKind::PathLost => 6.0,
            EvidenceKind::ReachedByOtherSource => 10.0,
            EvidenceKind::DependentAnswers => 8.0,
            EvidenceKind::SourceIsolated => 20.0,
        }
    }

    /// Whether the category is counter-evidence (it says the entity still works).
    #[must_use]
    pub const fn is_counter(self) -> bool {
        matches!(
            self,
            EvidenceKind::ReachedByOtherSource
                | EvidenceKind::DependentAnswers
                | EvidenceKind::PathLost
                | EvidenceKind::SourceIsolated
        )
    }

    /// A short human description, used as the evidence note.
    #[must_use]
    pub const fn description(self) -> &'static str {
        match self {
            EvidenceKind::UplinkInterfaceDown => "uplink interface down",
            EvidenceKind::OspfDown => "OSPF down on the same link",
            EvidenceKind::BgpDown => "upstream BGP down",
            EvidenceKind::RoutingDown => "routing adjacency down",
            EvidenceKind::PingLossMultiVantage => "ping loss from several vantage points",
            EvidenceKind::SyslogLinkDown => "syslog link-down",
            EvidenceKind::SessionDrop => "PPPoE sessions dropped",
            EvidenceKind::Unreachable => "unreachable from one vantage point",
            EvidenceKind::ApiUnreachablePingOk => "API unreachable but ping OK",
            EvidenceKind::Flapping => "flapping",
            EvidenceKind::DependentsDown => "dependent down",
            EvidenceKind::VantageBurst => "uncorroborated down from this vantage point",
            EvidenceKind::ReachedByOtherSource => "reached by another source",
            EvidenceKind::DependentAnswers => "a dependent that needs it answers",
            EvidenceKind::PathLost => "what needs it lost every path to it too",
            EvidenceKind::SourceIsolated => "its only source lost its own path",
        }
    }

    pub(crate) const fn slot(self) -> usize {
        self as usize
    }
}

impl fmt::Display for EvidenceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

/// Current weight of every [`EvidenceKind`], with the bounds feedback may move them within.
///
/// # Examples
/// ```
/// use ispvm_rca::{EvidenceKind, Weights};
/// let mut w = Weights::default();
/// assert_eq!(w.get(EvidenceKind::UplinkInterfaceDown), 10.0);
/// w.set(EvidenceKind::UplinkInterfaceDown, 1000.0);
/// // Clamped to 4x the default.
/// assert_eq!(w.get(EvidenceKind::UplinkInterfaceDown), 40.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    values: [f64; EvidenceKind::ALL.len()],
}

/// Feedback and [`Weights::set`] keep every weight within `default / WEIGHT_BOUND ..= default * WEIGHT_BOUND`.
pub const WEIGHT_BOUND: f64 = 4.0;

impl Default for Weights {
    fn default() -> Self {
        let mut values = [0.0; EvidenceKind::ALL.len()];
        for k in EvidenceKind::ALL {
            values[k.slot()] = k.default_weight();
        }
        Self { values }
    }
}

impl Weights {
    /// The weight of `kind`.
    #[must_use]
    pub fn get(&self, kind: EvidenceKind) -> f64 {
        self.values[kind.slot()]
    }

    /// Sets the weight of `kind`, clamped to the bounds (a NaN leaves it unchanged).
    pub fn set(&mut self, kind: EvidenceKind, weight: f64) {
        if weight.is_nan() {
            return;
        }
        let d = kind.default_weight();
        self.values[kind.slot()] = weight.clamp(d / WEIGHT_BOUND, d * WEIGHT_BOUND);
    }
}

/// How much the engine trusts each source (vantage point, poller, syslog), learned from
/// feedback with a Beta prior.
///
/// A source starts with the prior `Beta(alpha, beta)` (default 9, 1: a source is right nine
/// times out of ten); each labelled incident whose cause the source supported adds one
/// confirmation (the label names it) or one refutation (the label says false alarm). Its
/// reliability is the posterior mean `(alpha + confirmed) / (alpha + beta + confirmed +
/// refuted)`, and every evidence item from the source has its category weight multiplied by
/// `reliability / prior mean` (1 for a source without feedback, so the defaults are unchanged).
///
/// # Examples
/// ```
/// use ispvm_rca::Reliability;
/// let mut r = Reliability::default();
/// assert_eq!(r.multiplier("vp1"), 1.0);
/// for _ in 0..10 {
///     r.record("vp1", false);
/// }
/// assert!((r.reliability("vp1") - 0.45).abs() < 1e-9);
/// assert!((r.multiplier("vp1") - 0.5).abs() < 1e-9);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Reliability {
    alpha: f64,
    beta: f64,
    counts: std::collections::BTreeMap<String, (u32, u32)>,
}

/// Most distinct sources [`Reliability`] remembers (further ones keep the prior).
pub const MAX_RELIABILITY_SOURCES: usize = 4096;

impl Default for Reliability {
    fn default() -> Self {
        Self::with_prior(9.0, 1.0)
    }
}

impl Reliability {
    /// A table with the prior `Beta(alpha, beta)` (each clamped to at least 0.01).
    #[must_use]
    pub fn with_prior(alpha: f64, beta: f64) -> Self {
        let fix = |x: f64| if x.is_finite() { x.max(0.01) } else { 1.0 };
        Self {
            alpha: fix(alpha),
            beta: fix(beta),
            counts: std::collections::BTreeMap::new(),
        }
    }

    /// The prior mean `alpha / (alpha + beta)`.
    #[must_use]
    pub fn prior_mean(&self) -> f64 {
        self.alpha / (self.alpha + self.beta)
    }

    /// The posterior mean reliability of `source`.
    #[must_use]
    pub fn reliability(&self, source: &str) -> f64 {
        let (c, r) = self.counts.get(source).copied().unwrap_or((0, 0));
        (self.alpha + f64::from(c)) / (self.alpha + self.beta + f64::from(c) + f64::from(r))
    }

    /// The factor applied to the weight of evidence from `source`.
    #[must_use]
    pub fn multiplier(&self, source: &str) -> f64 {
        self.reliability(source) / self.prior_mean()
    }

    /// Records one confirmation (`right = true`) or refutation of `source`.
    pub fn record(&mut self, source: &str, right: bool) {
        if !self.counts.contains_key(source) && self.counts.len() >= MAX_RELIABILITY_SOURCES {
            return;
        }
        let e = self.counts.entry(source.to_string()).or_insert((0, 0));
        if right {
            e.0 = e.0.saturating_add(1);
        } else {
            e.1 = e.1.saturating_add(1);
        }
    }

    /// Every source with feedback: (name, confirmed, refuted).
    pub fn sources(&self) -> impl Iterator<Item = (&str, u32, u32)> + '_ {
        self.counts.iter().map(|(k, &(c, r))| (k.as_str(), c, r))
    }
}

/// Default [`EngineConfig::page_threshold`]: chosen on the noisy benchmark
/// (`docs/research/noisy-benchmark.md`).
pub const DEFAULT_PAGE_THRESHOLD: f64 = 0.35;

/// How the engine treats time, evidence and subscribers. Build it with [`EngineConfig::builder`]
/// or take [`EngineConfig::default`], which follows the scenario contract exactly.
///
/// | setting | default | meaning |
/// |---|---|---|
/// | staleness | none | signal observations older than this stop counting (state and evidence) |
/// | flap window / threshold | 600 s / 4 | that many transitions of the failed state within the window = flapping |
/// | hold flapping | off | keep a flapping entity's incident open while it is momentarily up (off: the contract, a recovered cause closes its incident) |
/// | correlation window | 120 s | related evidence and related isolated causes join within this window |
/// | history limit | 256 | signal observations kept per entity (the oldest are dropped) |
/// | weights | [`Weights::default`] | confidence weights |
/// | subscriber impact | [`ContractSessionRule`] | counts lost PPPoE subscribers |
/// | page threshold | [`DEFAULT_PAGE_THRESHOLD`] | an incident pages when its primary's confidence reaches it |
/// | inferred causes | on, 2 dependents | propose an entity that missed a poll whose dependents (at least that many) are all down |
/// | poll interval | none | how often every entity is reported; an entity whose last report is at least this much older than its dependents' failure missed a poll (none: never judged missed, so no inferred silent causes, as the contract requires) |
/// | vantage burst | 5 | that many contradicted downs reported only by one vantage point (a source that is an entity) infer its isolation; 0 disables |
/// | reliability | [`Reliability::default`] | per-source trust, learned from feedback |
#[derive(Clone)]
pub struct EngineConfig {
    pub(crate) staleness: Option<Duration>,
    pub(crate) flap_window: Duration,
    pub(crate) flap_threshold: u32,
    pub(crate) hold_flapping: bool,
    pub(crate) correlation_window: Duration,
    pub(crate) history_limit: usize,
    pub(crate) weights: Weights,
    pub(crate) impact: Arc<dyn SubscriberImpact>,
    pub(crate) page_threshold: f64,
    pub(crate) infer_causes: bool,
    pub(crate) inferred_min_dependents: u32,
    pub(crate) poll_interval: Option<Duration>,
    pub(crate) vantage_burst: u32,
    pub(crate) reliability: Reliability,
}

impl fmt::Debug for EngineConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EngineConfig")
            .field("staleness", &self.staleness)
            .field("flap_window", &self.flap_window)
            .field("flap_threshold", &self.flap_threshold)
            .field("hold_flapping", &self.hold_flapping)
            .field("correlation_window", &self.correlation_window)
            .field("history_limit", &self.history_limit)
            .field("weights", &self.weights)
            .field("page_threshold", &self.page_threshold)
            .field("infer_causes", &self.infer_causes)
            .field("inferred_min_dependents", &self.inferred_min_dependents)
            .field("poll_interval", &self.poll_interval)
            .field("vantage_burst", &self.vantage_burst)
            .field("reliability", &self.reliability)
            .finish_non_exhaustive()
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            staleness: None,
            flap_window: Duration::seconds(600),
            flap_threshold: 4,
            hold_flapping: false,
            correlation_window: Duration::seconds(120),
            history_limit: 256,
            weights: Weights::default(),
            impact: Arc::new(ContractSessionRule::default()),
            page_threshold: DEFAULT_PAGE_THRESHOLD,
            infer_causes: true,
            inferred_min_dependents: 2,
            poll_interval: None,
            vantage_burst: 5,
            reliability: Reliability::default(),
        }
    }
}

impl EngineConfig {
    /// A builder starting from the defaults.
    ///
    /// # Examples
    /// ```
    /// use chrono::Duration;
    /// use ispvm_rca::EngineConfig;
    /// let config = EngineConfig::builder()
    ///     .staleness(Some(Duration::minutes(15)))
    ///     .flapping(Duration::minutes(10), 6)
    ///     .correlation_window(Duration::seconds(60))
    ///     .build();
    /// assert_eq!(config.correlation_window(), Duration::seconds(60));
    /// ```
    #[must_use]
    pub fn builder() -> EngineConfigBuilder {
        EngineConfigBuilder {
            config: Self::default(),
        }
    }

    /// A builder starting from this configuration: changes one setting of a preset and keeps
    /// the rest (its subscriber model, weights, thresholds).
    ///
    /// # Examples
    /// ```
    /// use chrono::Duration;
    /// use ispvm_rca::EngineConfig;
    /// let preset = EngineConfig::builder().correlation_window(Duration::seconds(60)).build();
    /// let polled = preset.to_builder().poll_interval(Some(Duration::seconds(10))).build();
    /// assert_eq!(polled.correlation_window(), Duration::seconds(60));
    /// assert_eq!(polled.poll_interval(), Some(Duration::seconds(10)));
    /// ```
    #[must_use]
    pub fn to_builder(&self) -> EngineConfigBuilder {
        EngineConfigBuilder {
            config: self.clone(),
        }
    }

    /// The staleness window, if any.
    #[must_use]
    pub fn staleness(&self) -> Option<Duration> {
        self.staleness
    }

    /// The flap window and threshold (transitions within the window).
    #[must_use]
    pub fn flapping(&self) -> (Duration, u32) {
        (self.flap_window, self.flap_threshold)
    }

    /// Whether a flapping entity that is momentarily up stays a cause (see
    /// [`EngineConfigBuilder::hold_flapping`]).
    #[must_use]
    pub fn hold_flapping(&self) -> bool {
        self.hold_flapping
    }

    /// The correlation window.
    #[must_use]
    pub fn correlation_window(&self) -> Duration {
        self.correlation_window
    }

    /// The confidence weights.
    #[must_use]
    pub fn weights(&self) -> &Weights {
        &self.weights
    }

    /// Signal observations kept per entity.
    #[must_use]
    pub fn history_limit(&self) -> usize {
        self.history_limit
    }

    /// The confidence an incident's primary needs for the incident to page.
    #[must_use]
    pub fn page_threshold(&self) -> f64 {
        self.page_threshold
    }

    /// Whether inferred causes are proposed, and how many dependents an inferred cause needs.
    #[must_use]
    pub fn inferred_causes(&self) -> (bool, u32) {
        (self.infer_causes, self.inferred_min_dependents)
    }

    /// The poll interval, if known (see [`EngineConfigBuilder::poll_interval`]).
    #[must_use]
    pub fn poll_interval(&self) -> Option<Duration> {
        self.poll_interval
    }

    /// Contradicted downs from one vantage point that infer its isolation (0: never).
    #[must_use]
    pub fn vantage_burst(&self) -> u32 {
        self.vantage_burst
    }

    /// The per-source reliability table.
    #[must_use]
    pub fn reliability(&self) -> &Reliability {
        &self.reliability
    }
}

/// Builds an [`EngineConfig`]; every setter has a sane bound (negative windows become zero).
#[derive(Debug, Clone)]
pub struct EngineConfigBuilder {
    config: EngineConfig,
}

fn non_negative(d: Duration) -> Duration {
    d.max(Duration::zero())
}

impl EngineConfigBuilder {
    /// Observations older than `window` stop counting; `None` keeps them forever (the contract).
    #[must_use]
    pub fn staleness(mut self, window: Option<Duration>) -> Self {
        self.config.staleness = window.map(non_negative);
        self
    }

    /// `threshold` transitions of an entity's failed state within `window` make it flapping
    /// (a threshold of 0 is taken as 1).
    #[must_use]
    pub fn flapping(mut self, window: Duration, threshold: u32) -> Self {
        self.config.flap_window = non_negative(window);
        self.config.flap_threshold = threshold.max(1);
        self
    }

    /// Keep the incident of a flapping entity open while it is momentarily up (its cause is
    /// then reported with a `flapping ... currently up` evidence item). Off by default: the
    /// scenario contract says a recovered cause closes its incident. Either way a flapping
    /// entity's incident keeps the id and `opened_at` of its first failure in the flap window,
    /// so it comes back as the *same* incident, not a new one.
    #[must_use]
    pub fn hold_flapping(mut self, hold: bool) -> Self {
        self.config.hold_flapping = hold;
        self
    }

    /// The correlation window (zero disables correlation of isolated causes).
    #[must_use]
    pub fn correlation_window(mut self, window: Duration) -> Self {
        self.config.correlation_window = non_negative(window);
        self
    }

    /// Signal observations kept per entity (at least 8).
    #[must_use]
    pub fn history_limit(mut self, limit: usize) -> Self {
        self.config.history_limit = limit.max(8);
        self
    }

    /// Starting confidence weights.
    #[must_use]
    pub fn weights(mut self, weights: Weights) -> Self {
        self.config.weights = weights;
        self
    }

    /// The subscriber-impact rule (default [`ContractSessionRule`]).
    #[must_use]
    pub fn subscriber_impact(mut self, impact: Arc<dyn SubscriberImpact>) -> Self {
        self.config.impact = impact;
        self
    }

    /// The confidence an incident's primary needs for `page: true` (clamped to `[0, 1]`; NaN
    /// keeps the default [`DEFAULT_PAGE_THRESHOLD`]).
    #[must_use]
    pub fn page_threshold(mut self, threshold: f64) -> Self {
        if !threshold.is_nan() {
            self.config.page_threshold = threshold.clamp(0.0, 1.0);
        }
        self
    }

    /// Propose inferred causes (on by default): an entity with no report since its dependents
    /// failed, all of them down and at least `min_dependents` of them (at least 1).
    #[must_use]
    pub fn inferred_causes(mut self, on: bool, min_dependents: u32) -> Self {
        self.config.infer_causes = on;
        self.config.inferred_min_dependents = min_dependents.max(1);
        self
    }

    /// How often the pollers report every entity. An entity whose latest report is at least
    /// this much older than the first failure of its dependents *missed a poll*: it can be an
    /// inferred cause. Unknown (`None`, the default) means a silent entity is never judged to
    /// have missed a poll (a scenario file lists only what changed), so no silent entity is
    /// inferred. Negative values become zero.
    #[must_use]
    pub fn poll_interval(mut self, interval: Option<Duration>) -> Self {
        self.config.poll_interval = interval.map(non_negative);
        self
    }

    /// Contradicted, uncorroborated downs from one vantage point that infer the vantage point
    /// lost its own path (default 5; 0 disables the inference). A vantage point is a source
    /// whose name is the id of an entity of the topology.
    #[must_use]
    pub fn vantage_burst(mut self, burst: u32) -> Self {
        self.config.vantage_burst = burst;
        self
    }

    /// Starting per-source reliabilities (e.g. restored from a store).
    #[must_use]
    pub fn reliability(mut self, reliability: Reliability) -> Self {
        self.config.reliability = reliability;
        self
    }

    /// The configuration.
    #[must_use]
    pub fn build(self) -> EngineConfig {
        self.config
    }
}
