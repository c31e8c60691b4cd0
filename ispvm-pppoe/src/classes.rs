//! PPPoE incident classes: "sessions down" is not "experience degraded".
//!
//! [`classify`] looks at one concentrator's recent signals and says which of four classes they fit,
//! with the evidence and a conservative confidence:
//!
//! | class | needs (all of) | runbook |
//! |---|---|---|
//! | [`ConcentratorDown`](IncidentClass::ConcentratorDown) | unreachable (`device.up` 0 or ping loss >= 90%), **or** sessions near zero (< 5% of the baseline) with no RADIUS trouble | `docs/runbooks/concentrator-down.md` |
//! | [`BrasCpuExhaustion`](IncidentClass::BrasCpuExhaustion) | sessions stable, CPU high (median >= 90%), latency up | `docs/runbooks/bras-cpu.md` |
//! | [`RadiusFailure`](IncidentClass::RadiusFailure) | concentrator healthy (reachable, CPU not high), RADIUS trouble (failure rate up or `radius.up` 0), and a subscriber symptom (churn up, sessions dropped, or the failure rate itself over enough requests) | `docs/runbooks/radius-outage.md` |
//! | [`UpstreamCongestion`](IncidentClass::UpstreamCongestion) | sessions stable, loss or latency up, uplink utilisation high (median >= 90%), CPU not high | `docs/runbooks/congestion.md` |
//!
//! ## How signals are judged
//! Every series is cut at the evaluation time `at`. The **recent** value is the median of the
//! readings in `(at - recent, at]` (default 5 min); the **baseline** is the median of the readings
//! in `[at - baseline_window, at - recent]` (default 1 h). Medians need no trust in any one poll.
//! A signal with no recent reading is *unknown*, never "fine" and never "bad".
//!
//! ## Confidence (conservative)
//! Each evidence item has a weight (the RCA engine's scale: 4 for one unreachable signal, 6 for a
//! session drop...); an item gives `p = 0.8 * w / (w + 5)`, independent items combine as
//! `1 - prod(1 - p)`. So one signal never exceeds 0.8 and corroboration raises the value. Then:
//! - every context signal the class needs to rule out its rivals but that is unknown multiplies
//!   it by 0.85 (e.g. BRAS CPU without uplink utilisation: congestion cannot be ruled out);
//! - a recent value backed by a single reading multiplies it by 0.85;
//! - when two classes fit at once (CPU high *and* uplink saturated) both are reported, each
//!   multiplied by 0.7;
//! - the result is kept in `[0.01, 0.95]`.

use ispvm_model::names;
use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use ispvm_model::{
    CauseKind, CauseRole, Confidence, EntityId, Evidence, IdPath, RootCause, Sample, SessionReading,
};
use serde::{Deserialize, Serialize};

use crate::SOURCE;
use crate::auth::{AuthDelta, AuthRateTracker, counters_from_samples};
use crate::impact::median;

/// One reading of a numeric signal.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Point {
    /// When it was read.
    pub at: DateTime<Utc>,
    /// The value.
    pub value: f64,
}

impl Point {
    /// A reading.
    #[must_use]
    pub fn new(at: DateTime<Utc>, value: f64) -> Self {
        Self { at, value }
    }
}

/// The four PPPoE incident classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum IncidentClass {
    /// The concentrator is unreachable or its sessions fell to near zero.
    ConcentratorDown,
    /// Sessions stay up but the BRAS is CPU-bound: latency up, CPU high.
    BrasCpuExhaustion,
    /// Authentication fails: RADIUS rejects/timeouts up while the concentrator is healthy.
    RadiusFailure,
    /// Sessions stay up but the uplink is saturated: loss or latency up, utilisation high.
    UpstreamCongestion,
}

impl IncidentClass {
    /// Every class.
    pub const ALL: [IncidentClass; 4] = [
        IncidentClass::ConcentratorDown,
        IncidentClass::BrasCpuExhaustion,
        IncidentClass::RadiusFailure,
        IncidentClass::UpstreamCongestion,
    ];

    /// The runbook, relative to the repository root.
    #[must_use]
    pub fn runbook(self) -> &'static str {
        match self {
            IncidentClass::ConcentratorDown => "docs/runbooks/concentrator-down.md",
            IncidentClass::BrasCpuExhaustion => "docs/runbooks/bras-cpu.md",
            IncidentClass::RadiusFailure => "docs/runbooks/radius-outage.md",
            IncidentClass::UpstreamCongestion => "docs/runbooks/congestion.md",
        }
    }

    /// The snake_case name (`concentrator_down`...).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentClass::ConcentratorDown => "concentrator_down",
            IncidentClass::BrasCpuExhaustion => "bras_cpu_exhaustion",
            IncidentClass::RadiusFailure => "radius_failure",
            IncidentClass::UpstreamCongestion => "upstream_congestion",
        }
    }

    /// The root-cause kind the RCA engine would give it: `failure` for a down concentrator,
    /// `degradation` for the others.
    #[must_use]
    pub fn cause_kind(self) -> CauseKind {
        match self {
            IncidentClass::ConcentratorDown => CauseKind::Failure,
            _ => CauseKind::Degradation,
        }
    }
}

/// Thresholds of the classifier.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct ClassifierConfig {
    /// Readings this recent give the current value (default 5 min).
    pub recent: Duration,
    /// Readings up to this far back (and older than `recent`) give the baseline (default 1 h).
    pub baseline_window: Duration,
    /// Significant session drop, share of the baseline (default 0.10).
    pub session_drop: f64,
    /// Sessions under this share of the baseline are "near zero" (default 0.05).
    pub near_zero: f64,
    /// Smallest baseline for which a drop to near zero means anything (default 10 sessions).
    pub min_sessions: f64,
    /// CPU is high at or above this percentage (default 90).
    pub cpu_high_pct: f64,
    /// Uplink utilisation is high at or above this percentage (default 90).
    pub util_high_pct: f64,
    /// Latency is up when at least this factor of its baseline (default 1.5) ...
    pub latency_factor: f64,
    /// ... and at least this many milliseconds above it (default 10).
    pub latency_min_increase_ms: f64,
    /// Loss is up when at least this many percentage points above its baseline (default 2).
    pub loss_increase_pct: f64,
    /// The concentrator is unreachable by ping at or above this loss (default 90%).
    pub loss_unreachable_pct: f64,
    /// Churn is up when at least this factor of its baseline (default 3) ...
    pub churn_factor: f64,
    /// ... and at least this many events per minute (default 10).
    pub churn_min_per_min: f64,
    /// The RADIUS failure rate is high at or above this share (default 0.2) ...
    pub auth_failure_rate: f64,
    /// ... over at least this many requests (default 10) ...
    pub auth_min_requests: u64,
    /// ... and at least this factor of its baseline rate (default 2).
    pub auth_factor: f64,
}

impl Default for ClassifierConfig {
    fn default() -> Self {
        Self {
            recent: Duration::minutes(5),
            baseline_window: Duration::hours(1),
            session_drop: 0.10,
            near_zero: 0.05,
            min_sessions: 10.0,
            cpu_high_pct: 90.0,
            util_high_pct: 90.0,
            latency_factor: 1.5,
            latency_min_increase_ms: 10.0,
            loss_increase_pct: 2.0,
            loss_unreachable_pct: 90.0,
            churn_factor: 3.0,
            churn_min_per_min: 10.0,
            auth_failure_rate: 0.2,
            auth_min_requests: 10,
            auth_factor: 2.0,
        }
    }
}

impl ClassifierConfig {
    /// Sets the recent and baseline windows.
    #[must_use]
    pub fn with_windows(mut self, recent: Duration, baseline_window: Duration) -> Self {
        self.recent = recent;
        self.baseline_window = baseline_window;
        self
    }

    /// Sets the CPU and uplink utilisation thresholds (percent).
    #[must_use]
    pub fn with_high_pct(mut self, cpu: f64, uplink: f64) -> Self {
        self.cpu_high_pct = cpu;
        self.util_high_pct = uplink;
        self
    }
}

/// Everything the classifier knows about one concentrator. Every series is optional; build it
/// with the `with_*` methods or [`ConcentratorSignals::from_samples`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConcentratorSignals {
    sessions: Vec<SessionReading>,
    reachable: Vec<Point>,
    cpu_pct: Vec<Point>,
    rtt_ms: Vec<Point>,
    loss_pct: Vec<Point>,
    churn_per_min: Vec<Point>,
    auth: Vec<AuthDelta>,
    radius_up: BTreeMap<EntityId, Vec<Point>>,
    uplink_util_pct: BTreeMap<EntityId, Vec<Point>>,
}

impl ConcentratorSignals {
    /// No signals yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// `pppoe.sessions.active` readings.
    #[must_use]
    pub fn with_sessions(mut self, sessions: Vec<SessionReading>) -> Self {
        self.sessions = sessions;
        self
    }

    /// `device.up` readings (1 reachable, 0 not).
    #[must_use]
    pub fn with_reachable(mut self, reachable: Vec<Point>) -> Self {
        self.reachable = reachable;
        self
    }

    /// `device.cpu_pct` readings.
    #[must_use]
    pub fn with_cpu_pct(mut self, cpu: Vec<Point>) -> Self {
        self.cpu_pct = cpu;
        self
    }

    /// `probe.ping.rtt_ms` readings (through the concentrator, towards subscribers or upstream).
    #[must_use]
    pub fn with_rtt_ms(mut self, rtt: Vec<Point>) -> Self {
        self.rtt_ms = rtt;
        self
    }

    /// `probe.ping.loss_pct` readings.
    #[must_use]
    pub fn with_loss_pct(mut self, loss: Vec<Point>) -> Self {
        self.loss_pct = loss;
        self
    }

    /// `pppoe.sessions.churn_per_min` readings.
    #[must_use]
    pub fn with_churn_per_min(mut self, churn: Vec<Point>) -> Self {
        self.churn_per_min = churn;
        self
    }

    /// RADIUS counter deltas of the concentrator (see [`crate::auth`]), any server.
    #[must_use]
    pub fn with_auth(mut self, auth: Vec<AuthDelta>) -> Self {
        self.auth = auth;
        self
    }

    /// `radius.up` readings of one RADIUS server the concentrator uses.
    #[must_use]
    pub fn with_radius_up(mut self, server: EntityId, up: Vec<Point>) -> Self {
        self.radius_up.insert(server, up);
        self
    }

    /// `interface.utilization_pct` readings of one uplink of the concentrator.
    #[must_use]
    pub fn with_uplink_util_pct(mut self, uplink: EntityId, util: Vec<Point>) -> Self {
        self.uplink_util_pct.insert(uplink, util);
        self
    }

    /// Picks the signals of `concentrator` out of canonical samples:
    /// - `pppoe.sessions.active`, `pppoe.sessions.churn_per_min`, `device.up`, `device.cpu_pct`,
    ///   `probe.ping.rtt_ms`, `probe.ping.loss_pct` of the concentrator itself;
    /// - `radius.*_total` counters of entities under `CONCENTRATOR/radius/` (as `ispvm-routeros`
    ///   names them), turned into deltas; `radius.up` of the entities in `radius_servers` and
    ///   of those under `CONCENTRATOR/radius/`;
    /// - `interface.utilization_pct` of the entities in `uplinks`.
    ///
    /// Non-numeric and non-finite values are skipped; so are counter groups that are incomplete.
    #[must_use]
    pub fn from_samples(
        concentrator: &EntityId,
        samples: &[Sample],
        uplinks: &[EntityId],
        radius_servers: &[EntityId],
    ) -> Self {
        let mut s = Self::new();
        let mut counters = Vec::new();
        let mut ordered: Vec<&Sample> = samples.iter().collect();
        ordered.sort_by_key(|x| x.ts);
        for x in ordered {
            let Some(v) = x.as_f64().filter(|v| v.is_finite()) else {
                continue;
            };
            let p = Point::new(x.ts, v);
            let own = &x.entity_id == concentrator;
            let client = matches!(
                x.entity_id.path(),
                IdPath::RadiusClient { device, .. } if device == concentrator.as_str()
            );
            let radius = client || radius_servers.contains(&x.entity_id);
            match x.metric_name.as_str() {
                names::PPPOE_SESSIONS_ACTIVE if own => {
                    s.sessions.push(SessionReading::new(x.ts, v));
                }
                names::PPPOE_SESSIONS_CHURN_PER_MIN if own => s.churn_per_min.push(p),
                names::DEVICE_UP if own => s.reachable.push(p),
                names::DEVICE_CPU_PCT if own => s.cpu_pct.push(p),
                names::PROBE_PING_RTT_MS if own => s.rtt_ms.push(p),
                names::PROBE_PING_LOSS_PCT if own => s.loss_pct.push(p),
                names::RADIUS_UP if radius => {
                    s.radius_up.entry(x.entity_id.clone()).or_default().push(p);
                }
                names::RADIUS_REQUESTS_TOTAL
                | names::RADIUS_ACCEPTS_TOTAL
                | names::RADIUS_REJECTS_TOTAL
                | names::RADIUS_TIMEOUTS_TOTAL
                    if client =>
                {
                    counters.push(x.clone());
                }
                names::INTERFACE_UTILIZATION_PCT if uplinks.contains(&x.entity_id) => {
                    s.uplink_util_pct
                        .entry(x.entity_id.clone())
                        .or_default()
                        .push(p);
                }
                _ => {}
            }
        }
        // Counters: one group per entity and time; an incomplete or invalid group is skipped
        // without losing the others.
        let mut groups: BTreeMap<(EntityId, DateTime<Utc>), Vec<Sample>> = BTreeMap::new();
        for c in counters {
            groups
                .entry((c.entity_id.clone(), c.ts))
                .or_default()
                .push(c);
        }
        let mut readings: Vec<_> = groups
            .values()
            .filter_map(|g| counters_from_samples(g).ok())
            .flatten()
            .collect();
        readings.sort_by_key(|(_, c)| c.at);
        let mut tracker = AuthRateTracker::new();
        for (entity, c) in readings {
            if let Some(d) = tracker.observe(&entity, c) {
                s.auth.push(d);
            }
        }
        s
    }
}

/// One class the signals fit, with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Classification {
    /// The class.
    pub class: IncidentClass,
    /// The concentrator whose signals were classified.
    pub concentrator: EntityId,
    /// The entity most likely at fault: the concentrator, the failing RADIUS server (when one
    /// is known) or the saturated uplink.
    pub suspect: EntityId,
    /// The evaluation time.
    pub at: DateTime<Utc>,
    /// Conservative confidence (see the module docs).
    pub confidence: Confidence,
    /// What the confidence came from.
    pub evidence: Vec<Evidence>,
    /// One line for humans.
    pub summary: String,
}

impl Classification {
    /// The classification as an RCA root cause (kind from [`IncidentClass::cause_kind`]).
    #[must_use]
    pub fn root_cause(&self, role: CauseRole) -> RootCause {
        RootCause::new(
            self.suspect.clone(),
            role,
            self.class.cause_kind(),
            self.confidence,
            self.evidence.clone(),
        )
    }

    /// The runbook of the class.
    #[must_use]
    pub fn runbook(&self) -> &'static str {
        self.class.runbook()
    }
}

/// Recent and baseline medians of one series.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Judged {
    recent: f64,
    recent_n: usize,
    recent_at: DateTime<Utc>,
    baseline: Option<f64>,
}

fn judge(
    points: impl Iterator<Item = Point>,
    at: DateTime<Utc>,
    cfg: &ClassifierConfig,
) -> Option<Judged> {
    let recent_from = at - cfg.recent;
    let base_from = recent_from - cfg.baseline_window;
    let mut recent = Vec::new();
    let mut base = Vec::new();
    let mut last = None;
    for p in points {
        if !p.value.is_finite() || p.at > at {
            continue;
        }
        if p.at > recent_from {
            recent.push(p.value);
            if last.is_none_or(|l| p.at > l) {
                last = Some(p.at);
            }
        } else if p.at >= base_from {
            base.push(p.value);
        }
    }
    let n = recent.len();
    Some(Judged {
        recent: median(&mut recent)?,
        recent_n: n,
        recent_at: last?,
        baseline: median(&mut base),
    })
}

/// The evidence signal of a RADIUS authentication failure rate (derived from the
/// `radius.*_total` counters; not a registry name, it is never emitted as a sample).
pub const AUTH_FAILURE_SIGNAL: &str = "radius.failure_rate";

/// Factor per unknown context signal or thin recent value.
const UNKNOWN_FACTOR: f64 = 0.85;
/// Factor when two classes fit at once.
const AMBIGUOUS_FACTOR: f64 = 0.7;
/// Highest confidence the classifier ever reports.
const MAX_CONFIDENCE: f64 = 0.95;

/// [`Confidence::from_weights`] (the formula the RCA engine uses), capped at [`MAX_CONFIDENCE`].
fn combine(evidence: &[Evidence], factor: f64) -> Confidence {
    let c = Confidence::from_weights(evidence.iter().map(|e| e.weight), factor);
    Confidence::saturating(c.get().min(MAX_CONFIDENCE))
}

/// Evidence weights (the RCA engine's scale).
mod weight {
    pub const UNREACHABLE: f64 = 4.0;
    pub const PING_LOSS: f64 = 6.0;
    pub const SESSION_DROP: f64 = 6.0;
    pub const CPU_HIGH: f64 = 6.0;
    pub const LATENCY_UP: f64 = 4.0;
    pub const LOSS_UP: f64 = 5.0;
    pub const UTIL_HIGH: f64 = 6.0;
    pub const AUTH_FAILURES: f64 = 6.0;
    pub const RADIUS_DOWN: f64 = 6.0;
    pub const CHURN_UP: f64 = 4.0;
}

fn ev(name: &str, j: &Judged, weight: f64, note: String) -> Evidence {
    Evidence::metric(name, j.recent, j.recent_at, weight)
        .with_source(SOURCE)
        .with_note(note)
}

/// What one concentrator's signals say, judged once.
struct View<'a> {
    cfg: &'a ClassifierConfig,
    sessions: Option<Judged>,
    reachable: Option<Judged>,
    cpu: Option<Judged>,
    rtt: Option<Judged>,
    loss: Option<Judged>,
    churn: Option<Judged>,
    util: Option<(EntityId, Judged)>,
    radius_down: Option<(EntityId, Judged)>,
    auth: Option<AuthJudged>,
}

struct AuthJudged {
    rate: f64,
    requests: u64,
    at: DateTime<Utc>,
    baseline: Option<f64>,
}

fn judge_auth(
    deltas: &[AuthDelta],
    at: DateTime<Utc>,
    cfg: &ClassifierConfig,
) -> Option<AuthJudged> {
    let recent_from = at - cfg.recent;
    let base_from = recent_from - cfg.baseline_window;
    let mut recent: Option<AuthDelta> = None;
    let mut base: Option<AuthDelta> = None;
    for d in deltas.iter().filter(|d| d.to <= at) {
        let slot = if d.to > recent_from {
            &mut recent
        } else if d.to >= base_from {
            &mut base
        } else {
            continue;
        };
        *slot = Some(match slot.take() {
            Some(acc) => acc.merge(d),
            None => *d,
        });
    }
    let recent = recent?;
    Some(AuthJudged {
        rate: recent.failure_rate()?,
        requests: recent
            .requests
            .max(recent.accepts + recent.rejects + recent.timeouts),
        at: recent.to,
        baseline: base.and_then(|b| b.failure_rate()),
    })
}

impl View<'_> {
    fn sessions_stable(&self) -> Option<bool> {
        let s = self.sessions?;
        let b = s.baseline?;
        Some(b - s.recent < self.cfg.session_drop * b || b <= 0.0)
    }

    fn sessions_dropped(&self) -> Option<(Judged, f64)> {
        let s = self.sessions?;
        let b = s.baseline?;
        (b >= self.cfg.min_sessions && b - s.recent >= self.cfg.session_drop * b).then_some((s, b))
    }

    fn cpu_high(&self) -> Option<bool> {
        self.cpu.map(|c| c.recent >= self.cfg.cpu_high_pct)
    }

    fn latency_up(&self) -> Option<(Judged, f64)> {
        let r = self.rtt?;
        let b = r.baseline?;
        (r.recent >= b * self.cfg.latency_factor
            && r.recent - b >= self.cfg.latency_min_increase_ms)
            .then_some((r, b))
    }

    fn loss_up(&self) -> Option<(Judged, f64)> {
        let l = self.loss?;
        let b = l.baseline.unwrap_or(0.0);
        (l.recent - b >= self.cfg.loss_increase_pct).then_some((l, b))
    }

    fn unreachable(&self) -> Vec<Evidence> {
        let mut out = Vec::new();
        if let Some(r) = self.reachable.filter(|r| r.recent < 0.5) {
            out.push(ev(
                names::DEVICE_UP,
                &r,
                weight::UNREACHABLE,
                "the concentrator does not answer its management API".into(),
            ));
        }
        if let Some(l) = self
            .loss
            .filter(|l| l.recent >= self.cfg.loss_unreachable_pct)
        {
            out.push(ev(
                names::PROBE_PING_LOSS_PCT,
                &l,
                weight::PING_LOSS,
                format!("{:.0}% ping loss to the concentrator", l.recent),
            ));
        }
        out
    }

    fn reachable_known_up(&self) -> Option<bool> {
        if let Some(r) = self.reachable {
            return Some(r.recent >= 0.5);
        }
        // A recent session count means the API answered.
        self.sessions.map(|_| true)
    }

    fn thin(j: Option<&Judged>) -> bool {
        j.is_some_and(|j| j.recent_n < 2)
    }

    fn radius_trouble(&self) -> Vec<Evidence> {
        let mut out = Vec::new();
        if let Some(a) = &self.auth {
            let base_ok = a
                .baseline
                .is_none_or(|b| a.rate >= (b * self.cfg.auth_factor).max(b + 0.05));
            if a.rate >= self.cfg.auth_failure_rate
                && a.requests >= self.cfg.auth_min_requests
                && base_ok
            {
                let note = match a.baseline {
                    Some(b) => format!(
                        "{:.0}% of {} RADIUS requests rejected or timed out (usually {:.0}%)",
                        a.rate * 100.0,
                        a.requests,
                        b * 100.0
                    ),
                    None => format!(
                        "{:.0}% of {} RADIUS requests rejected or timed out",
                        a.rate * 100.0,
                        a.requests
                    ),
                };
                out.push(
                    Evidence::metric(AUTH_FAILURE_SIGNAL, a.rate, a.at, weight::AUTH_FAILURES)
                        .with_source(SOURCE)
                        .with_note(note),
                );
            }
        }
        if let Some((server, r)) = &self.radius_down {
            out.push(ev(
                names::RADIUS_UP,
                r,
                weight::RADIUS_DOWN,
                format!("RADIUS server {server} does not answer Status-Server"),
            ));
        }
        out
    }
}

/// Classifies one concentrator's signals at `at`. Returns every class that fits, most confident
/// first; an empty list means nothing fits (which is the normal case).
///
/// # Examples
/// ```
/// use chrono::{DateTime, Duration, Utc};
/// use ispvm_model::SessionReading;
/// use ispvm_pppoe::classes::{classify, ClassifierConfig, ConcentratorSignals, IncidentClass, Point};
///
/// let t0: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
/// let t = |m: i64| t0 + Duration::minutes(m);
/// // 40 minutes at 3200 sessions, then 4 minutes at 12, and the API stops answering.
/// let sessions = (0..44).map(|m| SessionReading::new(t(m), if m < 40 { 3200.0 } else { 12.0 }));
/// let up = (0..44).map(|m| Point::new(t(m), if m < 40 { 1.0 } else { 0.0 }));
/// let s = ConcentratorSignals::new()
///     .with_sessions(sessions.collect())
///     .with_reachable(up.collect());
/// let found = classify(&"bras1".parse().unwrap(), &s, t(43), &ClassifierConfig::default());
/// assert_eq!(found[0].class, IncidentClass::ConcentratorDown);
/// assert!(found[0].confidence.get() > 0.5 && found[0].confidence.get() < 0.95);
/// ```
#[must_use]
pub fn classify(
    concentrator: &EntityId,
    signals: &ConcentratorSignals,
    at: DateTime<Utc>,
    cfg: &ClassifierConfig,
) -> Vec<Classification> {
    let pts = |v: &[Point]| judge(v.iter().copied(), at, cfg);
    let worst = |m: &BTreeMap<EntityId, Vec<Point>>, bad: &dyn Fn(&Judged) -> bool| {
        m.iter()
            .filter_map(|(id, v)| pts(v).map(|j| (id.clone(), j)))
            .filter(|(_, j)| bad(j))
            .max_by(|a, b| a.1.recent.total_cmp(&b.1.recent))
    };
    let view = View {
        cfg,
        sessions: judge(
            signals
                .sessions
                .iter()
                .map(|r| Point::new(r.at, r.sessions))
                .filter(|p| p.value >= 0.0),
            at,
            cfg,
        ),
        reachable: pts(&signals.reachable),
        cpu: pts(&signals.cpu_pct),
        rtt: pts(&signals.rtt_ms),
        loss: pts(&signals.loss_pct),
        churn: pts(&signals.churn_per_min),
        util: worst(&signals.uplink_util_pct, &|_| true),
        radius_down: worst(&signals.radius_up, &|j| j.recent < 0.5),
        auth: judge_auth(&signals.auth, at, cfg),
    };
    let mut out = Vec::new();
    let make =
        |class, suspect: &EntityId, evidence: Vec<Evidence>, factor: f64, summary: String| {
            Classification {
                class,
                concentrator: concentrator.clone(),
                suspect: suspect.clone(),
                at,
                confidence: combine(&evidence, factor),
                evidence,
                summary,
            }
        };

    let radius = view.radius_trouble();
    let unreachable = view.unreachable();
    let near_zero = view.sessions.and_then(|s| {
        let b = s.baseline?;
        (b >= cfg.min_sessions && s.recent <= cfg.near_zero * b).then_some((s, b))
    });

    // 1. Concentrator down.
    if !unreachable.is_empty() || (near_zero.is_some() && radius.is_empty()) {
        let mut evidence = unreachable.clone();
        let mut factor = 1.0;
        if let Some((s, b)) = near_zero {
            evidence.push(ev(
                names::PPPOE_SESSIONS_ACTIVE,
                &s,
                weight::SESSION_DROP,
                format!("sessions fell from about {b:.0} to {:.0}", s.recent),
            ));
            if View::thin(Some(&s)) {
                factor *= UNKNOWN_FACTOR;
            }
        }
        if unreachable.is_empty() {
            // The box answers but nobody is connected: could also be the access side.
            factor *= UNKNOWN_FACTOR;
        }
        if view.reachable.is_none() && view.loss.is_none() {
            factor *= UNKNOWN_FACTOR;
        }
        let summary = if unreachable.is_empty() {
            format!("{concentrator}: sessions near zero although it answers")
        } else {
            format!("{concentrator} unreachable")
        };
        out.push(make(
            IncidentClass::ConcentratorDown,
            concentrator,
            evidence,
            factor,
            summary,
        ));
        // A down box explains everything else it shows.
        return out;
    }

    // 2. AAA/RADIUS failure: healthy box, RADIUS trouble, a subscriber symptom.
    let healthy = view.reachable_known_up() == Some(true) && view.cpu_high() != Some(true);
    if healthy && !radius.is_empty() {
        let mut symptoms = Vec::new();
        if let Some(c) = view.churn {
            let b = c.baseline.unwrap_or(0.0);
            if c.recent >= (b * cfg.churn_factor).max(b + cfg.churn_min_per_min) {
                symptoms.push(ev(
                    names::PPPOE_SESSIONS_CHURN_PER_MIN,
                    &c,
                    weight::CHURN_UP,
                    format!("churn {:.0}/min, usually {b:.0}/min", c.recent),
                ));
            }
        }
        if let Some((s, b)) = view.sessions_dropped() {
            symptoms.push(ev(
                names::PPPOE_SESSIONS_ACTIVE,
                &s,
                weight::SESSION_DROP,
                format!(
                    "sessions fell from about {b:.0} to {:.0} while the box answers",
                    s.recent
                ),
            ));
        }
        let auth_symptom = radius.iter().any(|e| e.signal == AUTH_FAILURE_SIGNAL);
        if !symptoms.is_empty() || auth_symptom {
            let mut factor = 1.0;
            if view.cpu.is_none() {
                factor *= UNKNOWN_FACTOR;
            }
            if symptoms.is_empty() {
                // Failures seen only in the counters: subscribers may not notice yet.
                factor *= UNKNOWN_FACTOR;
            }
            let suspect = view.radius_down.as_ref().map_or(concentrator, |(id, _)| id);
            let mut evidence = radius.clone();
            evidence.extend(symptoms);
            out.push(make(
                IncidentClass::RadiusFailure,
                suspect,
                evidence,
                factor,
                format!("{concentrator}: authentication failing (RADIUS), concentrator healthy"),
            ));
            return out;
        }
    }

    // 3 and 4 need stable sessions: "experience degraded", not "sessions down".
    if view.sessions_stable() != Some(true) {
        return out;
    }
    let latency = view.latency_up();
    let loss = view.loss_up();
    let cpu_high = view.cpu_high();
    let util_high = view
        .util
        .as_ref()
        .filter(|(_, u)| u.recent >= cfg.util_high_pct);

    let mut cpu_case = None;
    if let (Some(true), Some((r, b))) = (cpu_high, latency) {
        let mut evidence = Vec::new();
        if let Some(c) = view.cpu {
            evidence.push(ev(
                names::DEVICE_CPU_PCT,
                &c,
                weight::CPU_HIGH,
                format!("CPU at {:.0}%", c.recent),
            ));
        }
        evidence.push(ev(
            names::PROBE_PING_RTT_MS,
            &r,
            weight::LATENCY_UP,
            format!("latency {:.0} ms, usually {b:.0} ms", r.recent),
        ));
        let mut factor = 1.0;
        if view.util.is_none() {
            factor *= UNKNOWN_FACTOR;
        }
        if View::thin(view.cpu.as_ref()) {
            factor *= UNKNOWN_FACTOR;
        }
        cpu_case = Some((evidence, factor));
    }

    let mut congestion_case = None;
    if let Some((uplink, u)) = util_high {
        let mut evidence = vec![ev(
            names::INTERFACE_UTILIZATION_PCT,
            u,
            weight::UTIL_HIGH,
            format!("uplink {uplink} at {:.0}%", u.recent),
        )];
        if let Some((l, b)) = loss {
            evidence.push(ev(
                names::PROBE_PING_LOSS_PCT,
                &l,
                weight::LOSS_UP,
                format!("loss {:.1}%, usually {b:.1}%", l.recent),
            ));
        }
        if let Some((r, b)) = latency {
            evidence.push(ev(
                names::PROBE_PING_RTT_MS,
                &r,
                weight::LATENCY_UP,
                format!("latency {:.0} ms, usually {b:.0} ms", r.recent),
            ));
        }
        let symptom = evidence.len() > 1;
        if symptom && (cpu_high != Some(true) || cpu_case.is_some()) {
            let mut factor = 1.0;
            if cpu_high.is_none() {
                factor *= UNKNOWN_FACTOR;
            }
            if View::thin(Some(u)) {
                factor *= UNKNOWN_FACTOR;
            }
            congestion_case = Some((uplink.clone(), evidence, factor));
        }
    }

    let both = cpu_case.is_some() && congestion_case.is_some();
    let amb = if both { AMBIGUOUS_FACTOR } else { 1.0 };
    if let Some((evidence, factor)) = cpu_case {
        out.push(make(
            IncidentClass::BrasCpuExhaustion,
            concentrator,
            evidence,
            factor * amb,
            format!("{concentrator}: CPU exhausted, sessions up but latency rising"),
        ));
    }
    if let Some((uplink, evidence, factor)) = congestion_case {
        out.push(make(
            IncidentClass::UpstreamCongestion,
            &uplink,
            evidence,
            factor * amb,
            format!(
                "{concentrator}: uplink {uplink} congested, sessions up but loss/latency rising"
            ),
        ));
    }
    out.sort_by(|a, b| b.confidence.get().total_cmp(&a.confidence.get()));
    out
}
