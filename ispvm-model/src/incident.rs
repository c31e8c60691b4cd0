//! Results of root-cause analysis: entity status, incidents, root causes, evidence, confidence.
//!
//! These types are produced by `ispvm-rca` and serialized in the analysis document
//! (`ispvm.analysis/v1`).

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::EntityId;
use crate::observation::SignalState;

/// The status of one entity at the evaluation time. The first matching status wins, in the
/// order of the variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EntityStatus {
    /// Inside an active maintenance window.
    Maintenance,
    /// Some dependency group is unsatisfied: the entity cannot work, whatever it says.
    Unreachable,
    /// Failed: its latest reachability, link or routing state is `down`.
    Down,
    /// Working but worse: a `degraded` state, redundancy lost, or a significant session drop.
    Degraded,
    /// Observed and working.
    Up,
    /// Never observed and nothing known against it.
    Unknown,
}

impl EntityStatus {
    /// Whether alerts for an entity in this status are suppressed (`unreachable` or
    /// `maintenance`; nothing else ever is).
    #[must_use]
    pub const fn is_suppressed(self) -> bool {
        matches!(self, EntityStatus::Unreachable | EntityStatus::Maintenance)
    }

    /// The serialized name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            EntityStatus::Maintenance => "maintenance",
            EntityStatus::Unreachable => "unreachable",
            EntityStatus::Down => "down",
            EntityStatus::Degraded => "degraded",
            EntityStatus::Up => "up",
            EntityStatus::Unknown => "unknown",
        }
    }
}

impl fmt::Display for EntityStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of the analysis: the status of one entity and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct EntityReport {
    /// The entity.
    pub id: EntityId,
    /// Its status.
    pub status: EntityStatus,
    /// Whether its alerts are suppressed (status `unreachable` or `maintenance`).
    pub suppressed: bool,
    /// Sorted ids of the root causes that explain it (empty unless suppressed).
    #[serde(default)]
    pub explained_by: Vec<EntityId>,
    /// Groups that still hold but have lost redundancy, e.g. `any of [agg1, agg2]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redundancy_lost: Vec<String>,
    /// Why it is suppressed: each unsatisfied group and its missing members.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// Whether the entity flaps (too many state changes in the flap window).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub flapping: bool,
}

impl EntityReport {
    /// A report with the given status; `suppressed` follows from it, everything else is empty.
    #[must_use]
    pub fn new(id: EntityId, status: EntityStatus) -> Self {
        Self {
            id,
            status,
            suppressed: status.is_suppressed(),
            explained_by: Vec::new(),
            redundancy_lost: Vec::new(),
            reasons: Vec::new(),
            flapping: false,
        }
    }
}

/// A probability-like confidence in the open interval (0, 1).
///
/// # Examples
/// ```
/// use ispvm_model::Confidence;
/// assert!(Confidence::new(0.62).is_ok());
/// assert!(Confidence::new(1.0).is_err());
/// assert!(Confidence::new(0.0).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Confidence(f64);

/// A confidence outside (0, 1).
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("confidence must be strictly between 0 and 1, got {0}")]
pub struct ConfidenceError(pub f64);

impl Confidence {
    /// Wraps `value`.
    ///
    /// # Errors
    /// [`ConfidenceError`] unless `0 < value < 1`.
    pub fn new(value: f64) -> Result<Self, ConfidenceError> {
        if value > 0.0 && value < 1.0 {
            Ok(Self(value))
        } else {
            Err(ConfidenceError(value))
        }
    }

    /// Clamps any number into `[min, max]` with `min = 0.01`, `max = 0.99` (NaN gives `min`).
    #[must_use]
    pub fn saturating(value: f64) -> Self {
        if value.is_nan() {
            return Self(0.01);
        }
        Self(value.clamp(0.01, 0.99))
    }

    /// The value.
    #[must_use]
    pub fn get(self) -> f64 {
        self.0
    }

    /// Most a single evidence item can contribute (never 1.0 from one signal).
    pub const SINGLE_SIGNAL_CAP: f64 = 0.8;
    /// Half-saturation constant of the weight -> probability map.
    pub const HALF_SATURATION: f64 = 5.0;

    /// The one confidence formula of ispvm, shared by the RCA engine and the PPPoE incident
    /// classifier: each evidence weight `w` gives `p = 0.8 * w / (w + 5)` (negative and
    /// non-finite weights count as 0), independent items combine as `1 - prod(1 - p)`, the
    /// result is multiplied by `factor` (1.0 for none; the classifier lowers it for unknown or
    /// ambiguous context), rounded to 3 decimals and kept in `[0.01, 0.99]` ([`Self::saturating`]).
    ///
    /// # Examples
    /// ```
    /// use ispvm_model::Confidence;
    /// let one = Confidence::from_weights([10.0], 1.0).get();
    /// assert_eq!(one, 0.533);
    /// assert!(Confidence::from_weights([1e9], 1.0).get() <= Confidence::SINGLE_SIGNAL_CAP);
    /// assert!(Confidence::from_weights([10.0, 7.0], 1.0).get() > one); // corroboration
    /// assert_eq!(Confidence::from_weights([10.0], 0.5).get(), 0.267);
    /// ```
    #[must_use]
    pub fn from_weights(weights: impl IntoIterator<Item = f64>, factor: f64) -> Self {
        let mut miss = 1.0;
        for w in weights {
            let w = if w.is_finite() { w.max(0.0) } else { 0.0 };
            miss *= 1.0 - Self::SINGLE_SIGNAL_CAP * w / (w + Self::HALF_SATURATION);
        }
        let c = ((1.0 - miss) * factor * 1000.0).round() / 1000.0;
        Self::saturating(c)
    }
}

impl Confidence {
    /// The weight -> probability map of one evidence item: `0.8 * w / (w + 5)` (negative and
    /// non-finite weights count as 0).
    #[must_use]
    pub fn item_probability(weight: f64) -> f64 {
        let w = if weight.is_finite() {
            weight.max(0.0)
        } else {
            0.0
        };
        Self::SINGLE_SIGNAL_CAP * w / (w + Self::HALF_SATURATION)
    }

    /// Confidence from keyed supporting evidence and counter-evidence: the extension of
    /// [`Self::from_weights`] for corroboration and contradiction.
    ///
    /// - Each supporting item is `(key, weight)`; the key names what would make two items
    ///   *dependent* (the engine uses the evidence category and the source: a poller that says
    ///   the same thing twice is one item). Of the items sharing a key only the largest weight
    ///   counts; items with different keys are independent and combine as `1 - prod(1 - p)`
    ///   with `p` = [`Self::item_probability`]. So independent corroboration raises the
    ///   confidence, repeated reports from one source do not.
    /// - Each counter-evidence weight `v` (something shows the entity still works) multiplies
    ///   the supporting probability by `1 - item_probability(v)`: counter-evidence only ever
    ///   lowers the confidence, by a bounded factor per item.
    /// - The result is multiplied by `factor`, rounded to 3 decimals and kept in
    ///   `[0.01, 0.99]` ([`Self::saturating`]). With distinct keys and no counter-evidence it
    ///   equals [`Self::from_weights`].
    ///
    /// # Examples
    /// ```
    /// use ispvm_model::Confidence;
    /// let one = Confidence::combine([("link:vp1", 10.0)], [], 1.0).get();
    /// assert_eq!(one, 0.533);
    /// // The same source again: unchanged. Another source: corroboration.
    /// assert_eq!(Confidence::combine([("link:vp1", 10.0), ("link:vp1", 10.0)], [], 1.0).get(), one);
    /// let two = Confidence::combine([("link:vp1", 10.0), ("link:vp2", 10.0)], [], 1.0).get();
    /// assert_eq!(two, 0.782);
    /// // A dependent still answers: counter-evidence of weight 8 lowers it.
    /// assert_eq!(Confidence::combine([("link:vp1", 10.0)], [8.0], 1.0).get(), 0.271);
    /// ```
    #[must_use]
    pub fn combine<K: PartialEq>(
        support: impl IntoIterator<Item = (K, f64)>,
        counter: impl IntoIterator<Item = f64>,
        factor: f64,
    ) -> Self {
        let mut best: Vec<(K, f64)> = Vec::new();
        for (k, w) in support {
            let w = if w.is_finite() { w.max(0.0) } else { 0.0 };
            match best.iter_mut().find(|(bk, _)| *bk == k) {
                Some(slot) => slot.1 = slot.1.max(w),
                None => best.push((k, w)),
            }
        }
        let mut miss = 1.0;
        for (_, w) in &best {
            miss *= 1.0 - Self::item_probability(*w);
        }
        let mut p = 1.0 - miss;
        for v in counter {
            p *= 1.0 - Self::item_probability(v);
        }
        let factor = if factor.is_finite() { factor } else { 0.0 };
        let c = (p * factor * 1000.0).round() / 1000.0;
        Self::saturating(c)
    }
}

impl TryFrom<f64> for Confidence {
    type Error = ConfidenceError;
    fn try_from(value: f64) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Confidence> for f64 {
    fn from(c: Confidence) -> f64 {
        c.0
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}", self.0)
    }
}

#[cfg(feature = "json-schema")]
impl schemars::JsonSchema for Confidence {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Confidence".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "number",
            "exclusiveMinimum": 0.0,
            "exclusiveMaximum": 1.0,
            "description": "Confidence in the open interval (0, 1)."
        })
    }
}

/// The role of a root cause within its incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CauseRole {
    /// The cause that explains the most impact.
    Primary,
    /// Any other cause of the same incident.
    Contributing,
}

impl CauseRole {
    /// The serialized name: `primary`, `contributing`.
    ///
    /// # Examples
    /// ```
    /// use ispvm_model::CauseRole;
    /// assert_eq!(CauseRole::Primary.as_str(), "primary");
    /// assert_eq!(CauseRole::Contributing.to_string(), "contributing");
    /// ```
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            CauseRole::Primary => "primary",
            CauseRole::Contributing => "contributing",
        }
    }
}

impl fmt::Display for CauseRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of root cause this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CauseKind {
    /// The entity failed.
    Failure,
    /// The entity is down inside a maintenance window (always contributing).
    Maintenance,
    /// The entity answers but its subscribers are gone (significant PPPoE session drop).
    Degradation,
    /// Nothing reported the entity down, but what depends on it is down while it has no fresh
    /// report (a missed poll), or it is a vantage point whose reports are a burst of
    /// uncorroborated, contradicted downs (it lost its own path). Its evidence says why.
    Inferred,
}

impl CauseKind {
    /// The serialized name: `failure`, `maintenance`, `degradation`, `inferred`.
    ///
    /// # Examples
    /// ```
    /// use ispvm_model::CauseKind;
    /// assert_eq!(CauseKind::Maintenance.as_str(), "maintenance");
    /// assert_eq!(CauseKind::Degradation.to_string(), "degradation");
    /// ```
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            CauseKind::Failure => "failure",
            CauseKind::Maintenance => "maintenance",
            CauseKind::Degradation => "degradation",
            CauseKind::Inferred => "inferred",
        }
    }
}

impl fmt::Display for CauseKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One piece of evidence behind a root cause, with the weight it was given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Evidence {
    /// The signal (`reachability`, `link`, `routing`, `experience`) or metric name
    /// (`pppoe.sessions.active`) the evidence comes from.
    pub signal: String,
    /// The observed state, for signals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<SignalState>,
    /// The observed value, for metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// When it was observed.
    pub at: DateTime<Utc>,
    /// The weight it contributed to the confidence.
    pub weight: f64,
    /// Where it came from (collector, vantage point), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// A short human explanation, e.g. `uplink interface down`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Evidence {
    /// Evidence from a signal state.
    #[must_use]
    pub fn signal(
        signal: impl Into<String>,
        state: SignalState,
        at: DateTime<Utc>,
        weight: f64,
    ) -> Self {
        Self {
            signal: signal.into(),
            state: Some(state),
            value: None,
            at,
            weight,
            source: None,
            note: None,
        }
    }

    /// Evidence from a metric value.
    #[must_use]
    pub fn metric(name: impl Into<String>, value: f64, at: DateTime<Utc>, weight: f64) -> Self {
        Self {
            signal: name.into(),
            state: None,
            value: Some(value),
            at,
            weight,
            source: None,
            note: None,
        }
    }

    /// Sets the source.
    #[must_use]
    pub fn with_source(mut self, source: impl Into<String>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Sets the note.
    #[must_use]
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }
}

/// One root cause of an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct RootCause {
    /// The entity at fault.
    pub entity: EntityId,
    /// Primary or contributing.
    pub role: CauseRole,
    /// Failure, maintenance or degradation.
    pub kind: CauseKind,
    /// Confidence in (0, 1).
    pub confidence: Confidence,
    /// The evidence the confidence came from.
    pub evidence: Vec<Evidence>,
    /// Evidence that the entity still works (another source reaches it, a dependent that
    /// needs it answers), each with the weight it took off; empty when nothing contradicts it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub counter_evidence: Vec<Evidence>,
    /// Whether the cause is more likely a glitch of the monitoring than a failure (it is
    /// contradicted and its confidence is below the paging threshold, or its only reports come
    /// from a vantage point that lost its own path).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub suspected_glitch: bool,
}

impl RootCause {
    /// A root cause.
    #[must_use]
    pub fn new(
        entity: EntityId,
        role: CauseRole,
        kind: CauseKind,
        confidence: Confidence,
        evidence: Vec<Evidence>,
    ) -> Self {
        Self {
            entity,
            role,
            kind,
            confidence,
            evidence,
            counter_evidence: Vec::new(),
            suspected_glitch: false,
        }
    }

    /// Sets the counter-evidence.
    #[must_use]
    pub fn with_counter_evidence(mut self, counter: Vec<Evidence>) -> Self {
        self.counter_evidence = counter;
        self
    }

    /// Marks the cause as a suspected glitch.
    #[must_use]
    pub fn with_suspected_glitch(mut self, glitch: bool) -> Self {
        self.suspected_glitch = glitch;
        self
    }
}

/// An incident: root causes that share impact, what they impact and how many subscribers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Incident {
    /// Stable id (derived from the causes and the opening time).
    pub id: String,
    /// When the incident opened (earliest cause).
    pub opened_at: DateTime<Utc>,
    /// Causes, primary first.
    pub root_causes: Vec<RootCause>,
    /// Sorted ids of the impacted (unreachable) entities.
    pub impacted: Vec<EntityId>,
    /// PPPoE subscribers affected.
    pub subscribers_affected: u64,
    /// One line for a person.
    pub summary: String,
    /// Whether the incident should page someone: the confidence of its primary cause reaches
    /// the engine's paging threshold. Incidents that do not page (suspected glitches,
    /// maintenance-only incidents) are still listed. Absent in older documents, read as `true`.
    #[serde(default = "page_default")]
    pub page: bool,
}

fn page_default() -> bool {
    true
}

impl Incident {
    /// An incident.
    #[must_use]
    pub fn new(
        id: impl Into<String>,
        opened_at: DateTime<Utc>,
        root_causes: Vec<RootCause>,
        impacted: Vec<EntityId>,
        subscribers_affected: u64,
        summary: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            opened_at,
            root_causes,
            impacted,
            subscribers_affected,
            summary: summary.into(),
            page: true,
        }
    }

    /// Sets whether the incident pages (see [`Incident::page`]).
    #[must_use]
    pub fn with_page(mut self, page: bool) -> Self {
        self.page = page;
        self
    }

    /// The primary cause, if the incident has one (maintenance-only incidents do not).
    #[must_use]
    pub fn primary(&self) -> Option<&RootCause> {
        self.root_causes
            .iter()
            .find(|c| c.role == CauseRole::Primary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suppression_follows_status() {
        for (s, want) in [
            (EntityStatus::Maintenance, true),
            (EntityStatus::Unreachable, true),
            (EntityStatus::Down, false),
            (EntityStatus::Degraded, false),
            (EntityStatus::Up, false),
            (EntityStatus::Unknown, false),
        ] {
            assert_eq!(s.is_suppressed(), want, "{s}");
            assert_eq!(EntityReport::new("a".parse().unwrap(), s).suppressed, want);
        }
    }

    #[test]
    fn cause_names_are_the_serialized_ones() {
        for role in [CauseRole::Primary, CauseRole::Contributing] {
            assert_eq!(
                serde_json::to_string(&role).unwrap(),
                format!("\"{}\"", role.as_str())
            );
        }
        for kind in [
            CauseKind::Failure,
            CauseKind::Maintenance,
            CauseKind::Degradation,
            CauseKind::Inferred,
        ] {
            assert_eq!(
                serde_json::to_string(&kind).unwrap(),
                format!("\"{}\"", kind.as_str())
            );
        }
    }

    #[test]
    fn contract_example_row_shape() {
        let r = EntityReport::new("agg1".parse().unwrap(), EntityStatus::Down);
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"id":"agg1","status":"down","suppressed":false,"explained_by":[]}"#
        );
        assert!(serde_json::from_str::<Confidence>("1.0").is_err());
        assert_eq!(Confidence::saturating(7.0).get(), 0.99);
    }
}
