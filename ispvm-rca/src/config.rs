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
}

impl EvidenceKind {
    /// Every category, in declaration order.
    pub const ALL: [EvidenceKind; 10] = [
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
            EvidenceKind::ApiUnreachablePingOk | EvidenceKind::Flapping => 3.0,
        }
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
    values: [f64; 10],
}

/// Feedback and [`Weights::set`] keep every weight within `default / WEIGHT_BOUND ..= default * WEIGHT_BOUND`.
pub const WEIGHT_BOUND: f64 = 4.0;

impl Default for Weights {
    fn default() -> Self {
        let mut values = [0.0; 10];
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

    /// The configuration.
    #[must_use]
    pub fn build(self) -> EngineConfig {
        self.config
    }
}
