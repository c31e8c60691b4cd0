//! Authentication failure rate from a concentrator's RADIUS client counters (`/radius/monitor`:
//! requests, accepts, rejects, timeouts), as `radius.*_total` samples from `ispvm-routeros`.
//!
//! Counters only grow; a counter that goes down means the router restarted or the counters were
//! reset, and the delta is then the new value itself (counted since the reset).

use ispvm_model::names;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use ispvm_model::{EntityId, Sample};
use serde::{Deserialize, Serialize};

/// One reading of the four RADIUS client counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuthCounters {
    /// When they were read.
    pub at: DateTime<Utc>,
    /// `radius.requests_total`.
    pub requests: u64,
    /// `radius.accepts_total`.
    pub accepts: u64,
    /// `radius.rejects_total`.
    pub rejects: u64,
    /// `radius.timeouts_total`.
    pub timeouts: u64,
}

impl AuthCounters {
    /// A reading.
    #[must_use]
    pub fn new(
        at: DateTime<Utc>,
        requests: u64,
        accepts: u64,
        rejects: u64,
        timeouts: u64,
    ) -> Self {
        Self {
            at,
            requests,
            accepts,
            rejects,
            timeouts,
        }
    }
}

/// What happened between two readings.
///
/// # Examples
/// ```
/// use ispvm_pppoe::auth::{AuthCounters, AuthDelta};
/// let t = |s: &str| s.parse().unwrap();
/// let a = AuthCounters::new(t("2026-01-01T00:00:00Z"), 1000, 990, 10, 0);
/// let b = AuthCounters::new(t("2026-01-01T00:01:00Z"), 1100, 1010, 20, 70);
/// let d = AuthDelta::between(&a, &b).unwrap();
/// assert_eq!((d.requests, d.accepts, d.rejects, d.timeouts), (100, 20, 10, 70));
/// assert_eq!(d.failure_rate(), Some(0.8));
/// assert_eq!(d.requests_per_min(), Some(100.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuthDelta {
    /// Time of the earlier reading.
    pub from: DateTime<Utc>,
    /// Time of the later reading.
    pub to: DateTime<Utc>,
    /// Requests sent in between.
    pub requests: u64,
    /// Accepts received.
    pub accepts: u64,
    /// Rejects received.
    pub rejects: u64,
    /// Requests that timed out.
    pub timeouts: u64,
    /// Whether a counter reset was seen (the deltas then count from the reset).
    pub reset: bool,
}

impl AuthDelta {
    /// The delta from `earlier` to `later`, or `None` unless `later` is strictly later.
    #[must_use]
    pub fn between(earlier: &AuthCounters, later: &AuthCounters) -> Option<Self> {
        if later.at <= earlier.at {
            return None;
        }
        let reset = later.requests < earlier.requests
            || later.accepts < earlier.accepts
            || later.rejects < earlier.rejects
            || later.timeouts < earlier.timeouts;
        let d = |a: u64, b: u64| if reset { b } else { b.saturating_sub(a) };
        Some(Self {
            from: earlier.at,
            to: later.at,
            requests: d(earlier.requests, later.requests),
            accepts: d(earlier.accepts, later.accepts),
            rejects: d(earlier.rejects, later.rejects),
            timeouts: d(earlier.timeouts, later.timeouts),
            reset,
        })
    }

    /// Share of requests that failed (rejected or timed out), over the larger of requests and
    /// outcomes; `None` when nothing happened.
    #[must_use]
    pub fn failure_rate(&self) -> Option<f64> {
        let failed = self.rejects.saturating_add(self.timeouts);
        let total = self.requests.max(failed.saturating_add(self.accepts));
        #[allow(clippy::cast_precision_loss)]
        (total > 0).then(|| failed as f64 / total as f64)
    }

    /// Requests per minute.
    #[must_use]
    pub fn requests_per_min(&self) -> Option<f64> {
        let ms = (self.to - self.from).num_milliseconds();
        #[allow(clippy::cast_precision_loss)]
        (ms > 0).then(|| self.requests as f64 * 60_000.0 / ms as f64)
    }

    /// Adds another server's delta over the same interval (a concentrator with several RADIUS
    /// servers); the interval is the union.
    #[must_use]
    pub fn merge(self, other: &AuthDelta) -> AuthDelta {
        AuthDelta {
            from: self.from.min(other.from),
            to: self.to.max(other.to),
            requests: self.requests.saturating_add(other.requests),
            accepts: self.accepts.saturating_add(other.accepts),
            rejects: self.rejects.saturating_add(other.rejects),
            timeouts: self.timeouts.saturating_add(other.timeouts),
            reset: self.reset || other.reset,
        }
    }
}

/// Why samples could not be read as counters.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// A counter sample is not a finite, non-negative number.
    #[error("{entity}: {metric} = {value} is not a valid counter")]
    BadValue {
        /// The entity.
        entity: EntityId,
        /// The metric.
        metric: String,
        /// The value (NaN for text values).
        value: f64,
    },
    /// One of the four counters is missing for an entity and time.
    #[error("{entity} at {at}: {metric} is missing")]
    Missing {
        /// The entity.
        entity: EntityId,
        /// When.
        at: DateTime<Utc>,
        /// The missing metric.
        metric: &'static str,
    },
}

const METRICS: [&str; 4] = [
    names::RADIUS_REQUESTS_TOTAL,
    names::RADIUS_ACCEPTS_TOTAL,
    names::RADIUS_REJECTS_TOTAL,
    names::RADIUS_TIMEOUTS_TOTAL,
];

/// Groups `radius.*_total` samples by entity and time into counters, ignoring other metrics.
///
/// # Errors
/// [`AuthError::BadValue`] for a negative, non-finite or text value, [`AuthError::Missing`] when
/// a group lacks one of the four counters.
pub fn counters_from_samples(
    samples: &[Sample],
) -> Result<Vec<(EntityId, AuthCounters)>, AuthError> {
    let mut groups: BTreeMap<(EntityId, DateTime<Utc>), [Option<u64>; 4]> = BTreeMap::new();
    for s in samples {
        let Some(slot) = METRICS.iter().position(|m| *m == s.metric_name) else {
            continue;
        };
        let v = s.as_f64().unwrap_or(f64::NAN);
        if !v.is_finite() || v < 0.0 {
            return Err(AuthError::BadValue {
                entity: s.entity_id.clone(),
                metric: s.metric_name.clone(),
                value: v,
            });
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let n = v as u64;
        if let Some(cell) = groups
            .entry((s.entity_id.clone(), s.ts))
            .or_default()
            .get_mut(slot)
        {
            *cell = Some(n);
        }
    }
    groups
        .into_iter()
        .map(|((entity, at), [r, a, j, t])| {
            let need = |v: Option<u64>, metric: &'static str| {
                v.ok_or_else(|| AuthError::Missing {
                    entity: entity.clone(),
                    at,
                    metric,
                })
            };
            let c = AuthCounters::new(
                at,
                need(r, METRICS[0])?,
                need(a, METRICS[1])?,
                need(j, METRICS[2])?,
                need(t, METRICS[3])?,
            );
            Ok((entity, c))
        })
        .collect()
}

/// Keeps the previous counters of each RADIUS client entry and turns new readings into deltas.
#[derive(Debug, Clone, Default)]
pub struct AuthRateTracker {
    last: BTreeMap<EntityId, AuthCounters>,
}

impl AuthRateTracker {
    /// An empty tracker.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `counters` of `entity`; returns the delta since its previous reading (none for
    /// the first reading or a reading that is not newer).
    pub fn observe(&mut self, entity: &EntityId, counters: AuthCounters) -> Option<AuthDelta> {
        match self.last.get(entity) {
            Some(prev) if counters.at <= prev.at => None,
            Some(prev) => {
                let d = AuthDelta::between(prev, &counters);
                self.last.insert(entity.clone(), counters);
                d
            }
            None => {
                self.last.insert(entity.clone(), counters);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ispvm_model::{EntityKind, SampleValue};

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn reset_counts_from_zero() {
        let a = AuthCounters::new(t("2026-01-01T00:00:00Z"), 1000, 990, 10, 0);
        let b = AuthCounters::new(t("2026-01-01T00:01:00Z"), 30, 25, 5, 0);
        let d = AuthDelta::between(&a, &b).unwrap();
        assert!(d.reset);
        assert_eq!((d.requests, d.accepts, d.rejects), (30, 25, 5));
        assert_eq!(AuthDelta::between(&b, &a), None);
        let quiet = AuthDelta::between(&a, &AuthCounters { at: b.at, ..a }).unwrap();
        assert_eq!(quiet.failure_rate(), None);
    }

    #[test]
    fn samples_group_into_counters() {
        let s = |m: &str, v: f64| {
            Sample::new(
                t("2026-01-01T00:00:00Z"),
                m,
                EntityKind::RadiusServer,
                "bras1/radius/10.0.0.5".parse().unwrap(),
                SampleValue::Num(v),
                "1",
                "routeros_api",
            )
        };
        let mut v = vec![
            s("radius.requests_total", 10.0),
            s("radius.accepts_total", 8.0),
            s("radius.rejects_total", 1.0),
            s("radius.timeouts_total", 1.0),
            s("device.cpu_pct", 50.0),
        ];
        let c = counters_from_samples(&v).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(
            c[0].1,
            AuthCounters::new(t("2026-01-01T00:00:00Z"), 10, 8, 1, 1)
        );
        v.remove(3);
        assert_eq!(
            counters_from_samples(&v),
            Err(AuthError::Missing {
                entity: "bras1/radius/10.0.0.5".parse().unwrap(),
                at: t("2026-01-01T00:00:00Z"),
                metric: "radius.timeouts_total"
            })
        );
        v[0] = s("radius.requests_total", -1.0);
        assert!(matches!(
            counters_from_samples(&v),
            Err(AuthError::BadValue { .. })
        ));
    }

    #[test]
    fn tracker_yields_deltas() {
        let id: EntityId = "bras1/radius/10.0.0.5".parse().unwrap();
        let mut tr = AuthRateTracker::new();
        assert_eq!(
            tr.observe(
                &id,
                AuthCounters::new(t("2026-01-01T00:00:00Z"), 10, 10, 0, 0)
            ),
            None
        );
        let d = tr
            .observe(
                &id,
                AuthCounters::new(t("2026-01-01T00:00:30Z"), 40, 12, 8, 20),
            )
            .unwrap();
        assert_eq!(d.failure_rate(), Some(28.0 / 30.0));
        assert_eq!(d.requests_per_min(), Some(60.0));
        assert_eq!(
            tr.observe(
                &id,
                AuthCounters::new(t("2026-01-01T00:00:10Z"), 50, 12, 8, 30)
            ),
            None
        );
        let merged = d.merge(&d);
        assert_eq!(merged.requests, 60);
    }
}
