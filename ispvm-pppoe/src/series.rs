//! A bounded, time-ordered series of session counts for one concentrator.
//!
//! Memory is bounded twice: by a maximum number of readings and by a retention duration
//! measured back from the newest reading. Pushing costs amortised O(1).

use chrono::{DateTime, Duration, Utc};
use ispvm_model::SessionReading;

/// Limits of a [`SessionSeries`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Retention {
    /// Readings older than the newest reading minus this are dropped.
    pub max_age: Duration,
    /// At most this many readings are kept (the oldest go first). At least 2.
    pub max_readings: usize,
}

impl Default for Retention {
    /// Six hours, at most 4,320 readings (one every 5 s).
    fn default() -> Self {
        Self {
            max_age: Duration::hours(6),
            max_readings: 4_320,
        }
    }
}

impl Retention {
    /// A retention of `max_age`, at most `max_readings` readings (raised to 2 if lower).
    #[must_use]
    pub fn new(max_age: Duration, max_readings: usize) -> Self {
        Self {
            max_age,
            max_readings: max_readings.max(2),
        }
    }
}

/// Why a reading was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SeriesError {
    /// The value is NaN, infinite or negative.
    #[error("session count {value} is not a finite non-negative number")]
    InvalidValue {
        /// The refused value.
        value: f64,
    },
    /// The reading is older than the newest one already held.
    #[error("reading at {at} is older than the newest reading at {newest}")]
    OutOfOrder {
        /// Time of the refused reading.
        at: DateTime<Utc>,
        /// Time of the newest reading held.
        newest: DateTime<Utc>,
    },
}

/// Session counts of one concentrator, oldest first.
///
/// # Examples
/// ```
/// use chrono::Duration;
/// use ispvm_model::SessionReading;
/// use ispvm_pppoe::series::{Retention, SessionSeries};
///
/// let mut s = SessionSeries::new(Retention::new(Duration::minutes(10), 100));
/// let t0: chrono::DateTime<chrono::Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
/// for m in 0..30 {
///     s.push(SessionReading::new(t0 + Duration::minutes(m), 3200.0))?;
/// }
/// // Only the last ten minutes (and the reading exactly ten minutes old) survive.
/// assert_eq!(s.readings().len(), 11);
/// assert_eq!(s.readings()[0].at, t0 + Duration::minutes(19));
/// # Ok::<(), ispvm_pppoe::series::SeriesError>(())
/// ```
#[derive(Debug, Clone)]
pub struct SessionSeries {
    retention: Retention,
    buf: Vec<SessionReading>,
    head: usize,
}

impl SessionSeries {
    /// An empty series.
    #[must_use]
    pub fn new(retention: Retention) -> Self {
        Self {
            retention: Retention::new(retention.max_age, retention.max_readings),
            buf: Vec::new(),
            head: 0,
        }
    }

    /// The retention in force.
    #[must_use]
    pub fn retention(&self) -> Retention {
        self.retention
    }

    /// Appends a reading. A reading at the same instant as the newest replaces it.
    ///
    /// # Errors
    /// [`SeriesError::InvalidValue`] for NaN, infinite or negative counts,
    /// [`SeriesError::OutOfOrder`] for a reading older than the newest one.
    pub fn push(&mut self, reading: SessionReading) -> Result<(), SeriesError> {
        if !reading.sessions.is_finite() || reading.sessions < 0.0 {
            return Err(SeriesError::InvalidValue {
                value: reading.sessions,
            });
        }
        // The newest reading is always live: eviction never reaches it.
        if let Some(last) = self.buf.last_mut() {
            if reading.at < last.at {
                return Err(SeriesError::OutOfOrder {
                    at: reading.at,
                    newest: last.at,
                });
            }
            if reading.at == last.at {
                *last = reading;
                return Ok(());
            }
        }
        self.buf.push(reading);
        let cutoff = reading.at - self.retention.max_age;
        while self.head < self.buf.len()
            && (self.buf.len() - self.head > self.retention.max_readings
                || self.buf.get(self.head).is_some_and(|r| r.at < cutoff))
        {
            self.head += 1;
        }
        // Compact once the dead prefix is as large as the live part: amortised O(1).
        if self.head > 0 && self.head >= self.buf.len() - self.head {
            self.buf.drain(..self.head);
            self.head = 0;
        }
        Ok(())
    }

    /// The readings held, oldest first.
    #[must_use]
    pub fn readings(&self) -> &[SessionReading] {
        self.buf.get(self.head..).unwrap_or(&[])
    }

    /// The readings at or before `at`, oldest first.
    #[must_use]
    pub fn readings_until(&self, at: DateTime<Utc>) -> &[SessionReading] {
        let r = self.readings();
        let end = r.partition_point(|x| x.at <= at);
        r.get(..end).unwrap_or(&[])
    }

    /// The newest reading.
    #[must_use]
    pub fn latest(&self) -> Option<SessionReading> {
        self.readings().last().copied()
    }

    /// Slots allocated (for memory-bound tests): never more than twice `max_readings` plus one.
    #[must_use]
    pub fn allocated_len(&self) -> usize {
        self.buf.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t0() -> DateTime<Utc> {
        "2026-01-01T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn refuses_bad_values_and_order() {
        let mut s = SessionSeries::new(Retention::default());
        assert_eq!(
            s.push(SessionReading::new(t0(), -1.0)),
            Err(SeriesError::InvalidValue { value: -1.0 })
        );
        assert!(matches!(
            s.push(SessionReading::new(t0(), f64::NAN)),
            Err(SeriesError::InvalidValue { .. })
        ));
        s.push(SessionReading::new(t0(), 5.0)).unwrap();
        assert_eq!(
            s.push(SessionReading::new(t0() - Duration::seconds(1), 5.0)),
            Err(SeriesError::OutOfOrder {
                at: t0() - Duration::seconds(1),
                newest: t0()
            })
        );
        s.push(SessionReading::new(t0(), 7.0)).unwrap();
        assert_eq!(s.readings(), &[SessionReading::new(t0(), 7.0)]);
    }

    #[test]
    fn readings_until_cuts_at_time() {
        let mut s = SessionSeries::new(Retention::default());
        for m in 0..5 {
            s.push(SessionReading::new(t0() + Duration::minutes(m), m as f64))
                .unwrap();
        }
        assert_eq!(s.readings_until(t0() + Duration::seconds(150)).len(), 3);
        assert!(s.readings_until(t0() - Duration::minutes(1)).is_empty());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Whatever is pushed, the series stays sorted, within its bounds, and keeps the newest.
        #[test]
        fn bounded_and_sorted(steps in proptest::collection::vec((0i64..120, 0.0f64..10_000.0), 1..400),
                              max_readings in 2usize..50, max_age_s in 1i64..3_000) {
            let mut s = SessionSeries::new(Retention::new(Duration::seconds(max_age_s), max_readings));
            let mut at = t0();
            for (gap, v) in steps {
                at += Duration::seconds(gap);
                s.push(SessionReading::new(at, v)).unwrap();
                let r = s.readings();
                prop_assert!(r.len() <= max_readings);
                prop_assert!(s.allocated_len() <= 2 * max_readings + 1);
                prop_assert!(r.windows(2).all(|w| w[0].at < w[1].at));
                prop_assert!(r.iter().all(|x| x.at >= at - Duration::seconds(max_age_s)));
                prop_assert_eq!(r.last().map(|x| x.at), Some(at));
            }
        }
    }
}
