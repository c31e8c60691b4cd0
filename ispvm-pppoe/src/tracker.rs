//! Session tracking per concentrator: counts, churn, drops, and the samples and events they yield.
//!
//! A [`SessionTracker`] holds one [`ConcentratorTracker`] per concentrator (bounded in number).
//! Feed it `/ppp/active` snapshots ([`SessionSnapshot`]) for churn and segments, or plain
//! `pppoe.sessions.active` samples from any adapter for counts only. Each update returns the
//! registry samples (`pppoe.sessions.active`, `pppoe.sessions.by_profile`,
//! `pppoe.sessions.churn_per_min`, `pppoe.sessions.connects_total`,
//! `pppoe.sessions.disconnects_total`) and, when a significant drop starts, one
//! `pppoe.sessions.dropped` event.

use ispvm_model::names;
use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Utc};
use ispvm_model::{
    EntityId, EntityKind, Event, Sample, SampleValue, SessionAssessment, SessionReading, Severity,
    SubscriberImpact,
};

use crate::SOURCE;
use crate::impact::{ImpactConfig, RobustImpact, SessionLevel, level};
use crate::segments::SegmentCounts;
use crate::series::{Retention, SeriesError, SessionSeries};
use crate::session::{SessionSnapshot, SnapshotDiff};

/// Settings shared by every concentrator of a [`SessionTracker`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct TrackerConfig {
    /// Retention of the count and churn series.
    pub retention: Retention,
    /// Baseline and significance.
    pub impact: ImpactConfig,
    /// Most concentrators tracked at once (default 10,000).
    pub max_concentrators: usize,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        Self {
            retention: Retention::default(),
            impact: ImpactConfig::default(),
            max_concentrators: 10_000,
        }
    }
}

impl TrackerConfig {
    /// Sets the retention.
    #[must_use]
    pub fn with_retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }

    /// Sets the impact settings.
    #[must_use]
    pub fn with_impact(mut self, impact: ImpactConfig) -> Self {
        self.impact = impact;
        self
    }

    /// Sets the most concentrators tracked.
    #[must_use]
    pub fn with_max_concentrators(mut self, max: usize) -> Self {
        self.max_concentrators = max;
        self
    }
}

/// Why an input was refused by a tracker.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TrackError {
    /// The reading could not join the series.
    #[error("{concentrator}: {source}")]
    Series {
        /// The concentrator.
        concentrator: EntityId,
        /// What was wrong.
        #[source]
        source: SeriesError,
    },
    /// The sample is not a numeric `pppoe.sessions.active` sample of a concentrator.
    #[error("sample {metric} of {entity} is not a numeric pppoe.sessions.active sample")]
    NotASessionSample {
        /// Its metric name.
        metric: String,
        /// Its entity.
        entity: EntityId,
    },
    /// Tracking one more concentrator would pass [`TrackerConfig::max_concentrators`].
    #[error("tracking {entity} would pass the limit of {limit} concentrators")]
    TooManyConcentrators {
        /// The refused concentrator.
        entity: EntityId,
        /// The limit.
        limit: usize,
    },
}

/// What one input changed.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Update {
    /// The diff with the previous snapshot (snapshot input with a previous snapshot only).
    pub diff: Option<SnapshotDiff>,
    /// Registry samples to publish.
    pub samples: Vec<Sample>,
    /// Registry events to publish (`pppoe.sessions.dropped` when a drop starts).
    pub events: Vec<Event>,
}

/// The state of one concentrator.
#[derive(Debug, Clone)]
pub struct ConcentratorTracker {
    id: EntityId,
    impact: ImpactConfig,
    counts: SessionSeries,
    churn: VecDeque<(DateTime<Utc>, f64)>,
    last: Option<SessionSnapshot>,
    connects_total: u64,
    disconnects_total: u64,
    in_drop: bool,
}

fn num(v: u64) -> SampleValue {
    #[allow(clippy::cast_precision_loss)]
    SampleValue::Num(v as f64)
}

impl ConcentratorTracker {
    /// A tracker for concentrator `id`.
    #[must_use]
    pub fn new(id: EntityId, config: &TrackerConfig) -> Self {
        Self {
            id,
            impact: config.impact,
            counts: SessionSeries::new(config.retention),
            churn: VecDeque::new(),
            last: None,
            connects_total: 0,
            disconnects_total: 0,
            in_drop: false,
        }
    }

    /// The concentrator.
    #[must_use]
    pub fn id(&self) -> &EntityId {
        &self.id
    }

    /// Its session counts.
    #[must_use]
    pub fn counts(&self) -> &SessionSeries {
        &self.counts
    }

    /// Churn per minute, oldest first (one point per pair of successive snapshots).
    pub fn churn(&self) -> impl Iterator<Item = (DateTime<Utc>, f64)> + '_ {
        self.churn.iter().copied()
    }

    /// Sessions that connected / disconnected since tracking began (from snapshot diffs).
    #[must_use]
    pub fn totals(&self) -> (u64, u64) {
        (self.connects_total, self.disconnects_total)
    }

    /// Segments of the latest snapshot, if any.
    #[must_use]
    pub fn segments(&self) -> Option<SegmentCounts> {
        self.last.as_ref().map(SessionSnapshot::segments)
    }

    /// The latest level and baseline.
    #[must_use]
    pub fn level(&self) -> Option<SessionLevel> {
        level(self.counts.readings(), &self.impact)
    }

    /// The impact assessment at `at` (readings after `at` are ignored).
    #[must_use]
    pub fn assess(&self, at: DateTime<Utc>, unavailable: bool) -> SessionAssessment {
        RobustImpact::new(self.impact).assess(self.counts.readings_until(at), unavailable)
    }

    /// Records a count only (from a `pppoe.sessions.active` sample).
    ///
    /// # Errors
    /// [`TrackError::Series`] for an invalid or out-of-order reading.
    pub fn observe_count(
        &mut self,
        at: DateTime<Utc>,
        sessions: f64,
    ) -> Result<Update, TrackError> {
        self.counts
            .push(SessionReading::new(at, sessions))
            .map_err(|source| TrackError::Series {
                concentrator: self.id.clone(),
                source,
            })?;
        let mut update = Update::default();
        self.check_drop(at, &mut update);
        Ok(update)
    }

    /// Records a full `/ppp/active` snapshot: count, churn against the previous snapshot,
    /// segments.
    ///
    /// # Errors
    /// [`TrackError::Series`] when the snapshot is older than the newest reading.
    pub fn observe_snapshot(&mut self, snapshot: SessionSnapshot) -> Result<Update, TrackError> {
        let at = snapshot.at();
        #[allow(clippy::cast_precision_loss)]
        let count = snapshot.len() as f64;
        self.counts
            .push(SessionReading::new(at, count))
            .map_err(|source| TrackError::Series {
                concentrator: self.id.clone(),
                source,
            })?;
        let mut update = Update::default();
        let s = |name: &str, unit: &str, v: SampleValue| {
            Sample::new(
                at,
                name,
                EntityKind::PppoeConcentrator,
                self.id.clone(),
                v,
                unit,
                SOURCE,
            )
        };
        update.samples.push(s(
            names::PPPOE_SESSIONS_ACTIVE,
            "1",
            num(snapshot.len() as u64),
        ));
        update
            .samples
            .extend(snapshot.segments().to_samples(&self.id, at));
        if let Some(prev) = &self.last {
            let diff = prev.diff(&snapshot);
            self.connects_total = self.connects_total.saturating_add(diff.connects as u64);
            self.disconnects_total = self
                .disconnects_total
                .saturating_add(diff.disconnects as u64);
            if let Some(churn) = diff.churn_per_min() {
                self.churn.push_back((at, churn));
                let cutoff = at - self.counts.retention().max_age;
                while self.churn.len() > self.counts.retention().max_readings
                    || self.churn.front().is_some_and(|(t, _)| *t < cutoff)
                {
                    self.churn.pop_front();
                }
                update.samples.push(s(
                    names::PPPOE_SESSIONS_CHURN_PER_MIN,
                    "1/min",
                    SampleValue::Num(churn),
                ));
            }
            update.diff = Some(diff);
        }
        update.samples.push(s(
            names::PPPOE_SESSIONS_CONNECTS_TOTAL,
            "1",
            num(self.connects_total),
        ));
        update.samples.push(s(
            names::PPPOE_SESSIONS_DISCONNECTS_TOTAL,
            "1",
            num(self.disconnects_total),
        ));
        self.last = Some(snapshot);
        self.check_drop(at, &mut update);
        Ok(update)
    }

    fn check_drop(&mut self, at: DateTime<Utc>, update: &mut Update) {
        let Some(l) = self.level() else { return };
        let dropping = l.is_significant_drop(self.impact.significance);
        if dropping && !self.in_drop {
            let severity = if l.is_near_zero(self.impact.near_zero) {
                Severity::Critical
            } else {
                Severity::Major
            };
            let event = Event::new(
                format!(
                    "{}/{}/{}",
                    self.id,
                    names::PPPOE_SESSIONS_DROPPED,
                    at.to_rfc3339()
                ),
                at,
                names::PPPOE_SESSIONS_DROPPED,
                severity,
                EntityKind::PppoeConcentrator,
                self.id.clone(),
            )
            .with_payload(serde_json::json!({
                "before": l.baseline.round(),
                "after": l.current.round(),
            }));
            update.events.push(event);
        }
        self.in_drop = dropping;
    }
}

/// Every concentrator of a tenant.
///
/// # Examples
/// ```
/// use ispvm_model::{EntityKind, Sample, SampleValue};
/// use ispvm_pppoe::tracker::{SessionTracker, TrackerConfig};
///
/// let mut tracker = SessionTracker::new(TrackerConfig::default());
/// let sample = |ts: &str, v: f64| Sample::new(ts.parse().unwrap(), "pppoe.sessions.active",
///     EntityKind::PppoeConcentrator, "bras1".parse().unwrap(), SampleValue::Num(v), "1", "routeros_api");
/// tracker.ingest_sample(&sample("2026-01-01T00:09:00Z", 3200.0))?;
/// let update = tracker.ingest_sample(&sample("2026-01-01T00:10:00Z", 50.0))?;
/// assert_eq!(update.events[0].event_type, "pppoe.sessions.dropped");
/// let a = tracker.assess("bras1", "2026-01-01T00:10:00Z".parse().unwrap(), false).unwrap();
/// assert_eq!(a.affected, 3150);
/// # Ok::<(), ispvm_pppoe::tracker::TrackError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct SessionTracker {
    config: TrackerConfig,
    concentrators: BTreeMap<EntityId, ConcentratorTracker>,
}

impl SessionTracker {
    /// An empty tracker.
    #[must_use]
    pub fn new(config: TrackerConfig) -> Self {
        Self {
            config,
            concentrators: BTreeMap::new(),
        }
    }

    fn entry(&mut self, id: &EntityId) -> Result<&mut ConcentratorTracker, TrackError> {
        if !self.concentrators.contains_key(id) {
            if self.concentrators.len() >= self.config.max_concentrators {
                return Err(TrackError::TooManyConcentrators {
                    entity: id.clone(),
                    limit: self.config.max_concentrators,
                });
            }
            self.concentrators.insert(
                id.clone(),
                ConcentratorTracker::new(id.clone(), &self.config),
            );
        }
        self.concentrators
            .get_mut(id)
            .ok_or_else(|| TrackError::TooManyConcentrators {
                entity: id.clone(),
                limit: self.config.max_concentrators,
            })
    }

    /// Records a `pppoe.sessions.active` sample (from any adapter).
    ///
    /// # Errors
    /// [`TrackError::NotASessionSample`] for any other sample, [`TrackError::Series`] for a bad
    /// or out-of-order value, [`TrackError::TooManyConcentrators`] past the limit.
    pub fn ingest_sample(&mut self, sample: &Sample) -> Result<Update, TrackError> {
        let value = sample
            .as_f64()
            .filter(|_| sample.metric_name == names::PPPOE_SESSIONS_ACTIVE)
            .ok_or_else(|| TrackError::NotASessionSample {
                metric: sample.metric_name.clone(),
                entity: sample.entity_id.clone(),
            })?;
        self.entry(&sample.entity_id)?
            .observe_count(sample.ts, value)
    }

    /// Records a `/ppp/active` snapshot of `concentrator`.
    ///
    /// # Errors
    /// As [`ConcentratorTracker::observe_snapshot`], and [`TrackError::TooManyConcentrators`].
    pub fn observe_snapshot(
        &mut self,
        concentrator: &EntityId,
        snapshot: SessionSnapshot,
    ) -> Result<Update, TrackError> {
        self.entry(concentrator)?.observe_snapshot(snapshot)
    }

    /// The tracker of one concentrator.
    #[must_use]
    pub fn get(&self, concentrator: &str) -> Option<&ConcentratorTracker> {
        self.concentrators.get(concentrator)
    }

    /// Every concentrator tracker, by id.
    pub fn iter(&self) -> impl Iterator<Item = &ConcentratorTracker> {
        self.concentrators.values()
    }

    /// The assessment of one concentrator at `at`, if it is tracked.
    #[must_use]
    pub fn assess(
        &self,
        concentrator: &str,
        at: DateTime<Utc>,
        unavailable: bool,
    ) -> Option<SessionAssessment> {
        self.get(concentrator).map(|c| c.assess(at, unavailable))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::ActiveSession;
    use chrono::Duration;

    fn t(s: i64) -> DateTime<Utc> {
        "2026-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::seconds(s)
    }

    fn snap(at: i64, keys: impl IntoIterator<Item = u32>) -> SessionSnapshot {
        SessionSnapshot::new(
            t(at),
            keys.into_iter()
                .map(|k| {
                    let plan = if k % 4 == 0 { "business" } else { "10M" };
                    ActiveSession::new(format!("*{k:X}").parse().unwrap())
                        .with_plan(plan.parse().unwrap())
                })
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn snapshots_give_churn_totals_segments_and_conforming_samples() {
        let id: EntityId = "bras1".parse().unwrap();
        let mut tr = SessionTracker::new(TrackerConfig::default());
        let u0 = tr.observe_snapshot(&id, snap(0, 0..100)).unwrap();
        assert_eq!(u0.diff, None);
        // 30 s later: 10 left, 20 arrived.
        let u1 = tr.observe_snapshot(&id, snap(30, 10..120)).unwrap();
        let d = u1.diff.unwrap();
        assert_eq!((d.connects, d.disconnects, d.stayed), (20, 10, 90));
        let churn = u1
            .samples
            .iter()
            .find(|s| s.metric_name == "pppoe.sessions.churn_per_min")
            .unwrap();
        assert_eq!(churn.as_f64(), Some(60.0));
        let c = tr.get("bras1").unwrap();
        assert_eq!(c.totals(), (20, 10));
        let seg = c.segments().unwrap();
        assert_eq!(seg.get(&"business".parse().unwrap()), 27);
        assert_eq!(seg.total(), 110);
        assert!(u1.events.is_empty());
        let v = ispvm_schemas::conformance::check_samples(&u1.samples);
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn drop_event_fires_once_per_drop() {
        let id: EntityId = "bras1".parse().unwrap();
        let mut tr = SessionTracker::new(TrackerConfig::default());
        tr.observe_snapshot(&id, snap(0, 0..3200)).unwrap();
        let u = tr.observe_snapshot(&id, snap(60, 0..50)).unwrap();
        assert_eq!(u.events.len(), 1);
        let e = &u.events[0];
        assert_eq!(e.severity, Severity::Critical);
        assert_eq!(
            e.payload,
            serde_json::json!({"before": 3200.0, "after": 50.0})
        );
        assert!(ispvm_schemas::conformance::check_events(&u.events).is_empty());
        // Still down: no new event. Recovery, then a new drop: a new event.
        assert!(
            tr.observe_snapshot(&id, snap(120, 0..50))
                .unwrap()
                .events
                .is_empty()
        );
        for m in 3..=30 {
            let u = tr.observe_snapshot(&id, snap(m * 60, 0..3200)).unwrap();
            assert!(u.events.is_empty());
        }
        let again = tr.observe_snapshot(&id, snap(31 * 60, 0..2000)).unwrap();
        assert_eq!(again.events.len(), 1);
        assert_eq!(again.events[0].severity, Severity::Major);
        assert_eq!(
            tr.assess("bras1", t(31 * 60), false).unwrap().affected,
            1200
        );
        // Asked about an earlier time, the later readings do not count.
        assert_eq!(tr.assess("bras1", t(30 * 60), false).unwrap().affected, 0);
    }

    #[test]
    fn sample_input_and_limits() {
        let mut tr = SessionTracker::new(TrackerConfig::default().with_max_concentrators(1));
        let s = |id: &str, name: &str, v: f64| {
            Sample::new(
                t(0),
                name,
                EntityKind::PppoeConcentrator,
                id.parse().unwrap(),
                SampleValue::Num(v),
                "1",
                "x",
            )
        };
        assert!(matches!(
            tr.ingest_sample(&s("bras1", "device.cpu_pct", 5.0)),
            Err(TrackError::NotASessionSample { .. })
        ));
        tr.ingest_sample(&s("bras1", "pppoe.sessions.active", 5.0))
            .unwrap();
        assert_eq!(
            tr.ingest_sample(&s("bras2", "pppoe.sessions.active", 5.0)),
            Err(TrackError::TooManyConcentrators {
                entity: "bras2".parse().unwrap(),
                limit: 1
            })
        );
        assert!(matches!(
            tr.ingest_sample(&s("bras1", "pppoe.sessions.active", f64::NAN)),
            Err(TrackError::Series { .. })
        ));
    }
}
