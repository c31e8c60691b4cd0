//! Robust baseline and subscriber impact of one concentrator ([`RobustImpact`]).
//!
//! ## The rule (binding: scenario contract, "Subscribers")
//! - **Baseline**: the median of the concentrator's readings *before* the latest one, within
//!   [`ImpactConfig::window`] (default 2 h). Readings from the last
//!   [`ImpactConfig::recent_exclusion`] (default 10 min) are left out when at least three older
//!   ones exist, so a
//!   drop that lasts a few polls does not become "normal" at once; a lasting change becomes the
//!   new normal after about half the window. A median is not moved by one noisy sample.
//!   With no earlier reading inside the window there is no baseline (no drop), unless
//!   [`ImpactConfig::sparse_fallback`] is on: then the last few earlier readings count, however
//!   old, as in the contract's plain rule.
//! - **Significant drop**: `baseline - current >= significance * baseline` (default 10%).
//! - **Up** (not failed, not unreachable): affected = `baseline - current` when the drop is
//!   significant, else 0. 3200 -> 50 counts 3150; 3200 -> 3000 counts 0.
//! - **Down or unreachable**: affected = its last known count, or the baseline if that count had
//!   already fallen significantly just before it went down.
//!
//! Readings that are NaN, infinite or negative are ignored.

use chrono::{DateTime, Duration, Utc};
use ispvm_model::{SessionAssessment, SessionReading, SubscriberImpact};
use serde::{Deserialize, Serialize};

/// Settings of the baseline and drop detection.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct ImpactConfig {
    /// How far back readings count towards the baseline (default 2 h).
    pub window: Duration,
    /// Readings this recent are left out of the baseline when at least three older ones exist
    /// (default 10 min).
    pub recent_exclusion: Duration,
    /// Smallest share of the baseline that makes a drop significant (default 0.10).
    pub significance: f64,
    /// Share of the baseline under which sessions are "near zero" (default 0.05).
    pub near_zero: f64,
    /// When no earlier reading lies within the window (a concentrator polled rarely), use the
    /// median of the last [`SPARSE_FALLBACK_READINGS`] earlier readings, however old, instead
    /// of "no baseline" (default `false`). With it, 3200 then 50 three hours later counts 3150,
    /// as the scenario contract's plain rule does.
    pub sparse_fallback: bool,
}

/// How many of the latest earlier readings [`ImpactConfig::sparse_fallback`] uses.
pub const SPARSE_FALLBACK_READINGS: usize = 5;

impl Default for ImpactConfig {
    fn default() -> Self {
        Self {
            window: Duration::hours(2),
            recent_exclusion: Duration::minutes(10),
            significance: 0.10,
            near_zero: 0.05,
            sparse_fallback: false,
        }
    }
}

impl ImpactConfig {
    /// Sets the significance threshold (clamped into `[0, 1]`, NaN gives the default).
    #[must_use]
    pub fn with_significance(mut self, significance: f64) -> Self {
        self.significance = if significance.is_nan() {
            0.10
        } else {
            significance.clamp(0.0, 1.0)
        };
        self
    }

    /// Turns [`ImpactConfig::sparse_fallback`] on or off.
    ///
    /// # Examples
    /// ```
    /// use ispvm_model::{SessionReading, SubscriberImpact};
    /// use ispvm_pppoe::impact::{ImpactConfig, RobustImpact};
    /// let h = [
    ///     SessionReading::new("2026-01-01T00:00:00Z".parse().unwrap(), 3200.0),
    ///     SessionReading::new("2026-01-01T03:00:00Z".parse().unwrap(), 50.0),
    /// ];
    /// assert_eq!(RobustImpact::default().assess(&h, false).affected, 0);
    /// let sparse = RobustImpact::new(ImpactConfig::default().with_sparse_fallback(true));
    /// assert_eq!(sparse.assess(&h, false).affected, 3150);
    /// ```
    #[must_use]
    pub fn with_sparse_fallback(mut self, on: bool) -> Self {
        self.sparse_fallback = on;
        self
    }

    /// Sets the baseline window and the recent exclusion.
    #[must_use]
    pub fn with_window(mut self, window: Duration, recent_exclusion: Duration) -> Self {
        self.window = window;
        self.recent_exclusion = recent_exclusion;
        self
    }
}

/// The recent exclusion applies only when at least this many older readings remain.
const MIN_EXCLUSION_READINGS: usize = 3;

/// The median of `values` (average of the two middle values for an even count).
pub(crate) fn median(values: &mut [f64]) -> Option<f64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    values.sort_unstable_by(f64::total_cmp);
    let hi = *values.get(n / 2)?;
    if n % 2 == 1 {
        Some(hi)
    } else {
        Some((*values.get(n / 2 - 1)? + hi) / 2.0)
    }
}

/// What the session history says at its latest reading.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SessionLevel {
    /// Time of the latest valid reading.
    pub at: DateTime<Utc>,
    /// The latest valid count.
    pub current: f64,
    /// The robust baseline (the current count when there is no earlier reading).
    pub baseline: f64,
}

impl SessionLevel {
    /// `baseline - current`, never negative.
    #[must_use]
    pub fn drop(&self) -> f64 {
        (self.baseline - self.current).max(0.0)
    }

    /// Whether the drop is at least `significance` of the baseline (and not zero).
    #[must_use]
    pub fn is_significant_drop(&self, significance: f64) -> bool {
        let d = self.drop();
        d > 0.0 && d >= significance * self.baseline
    }

    /// Whether the current count is under `near_zero` of a non-zero baseline.
    #[must_use]
    pub fn is_near_zero(&self, near_zero: f64) -> bool {
        self.baseline > 0.0 && self.current <= near_zero * self.baseline
    }
}

/// The latest level and robust baseline of `history` (oldest first), or `None` without a valid
/// reading.
///
/// # Examples
/// ```
/// use ispvm_model::SessionReading;
/// use ispvm_pppoe::impact::{level, ImpactConfig};
///
/// let t = |m: i64| "2026-01-01T00:00:00Z".parse::<chrono::DateTime<chrono::Utc>>().unwrap()
///     + chrono::Duration::minutes(m);
/// // One noisy zero among steady readings does not move the baseline.
/// let h: Vec<_> = [3200.0, 3190.0, 0.0, 3210.0, 3200.0, 3205.0]
///     .iter().enumerate().map(|(i, &v)| SessionReading::new(t(i as i64), v)).collect();
/// let l = level(&h, &ImpactConfig::default()).unwrap();
/// assert_eq!(l.baseline, 3200.0);
/// assert_eq!(l.current, 3205.0);
/// ```
#[must_use]
pub fn level(history: &[SessionReading], config: &ImpactConfig) -> Option<SessionLevel> {
    let valid = |r: &&SessionReading| r.sessions.is_finite() && r.sessions >= 0.0;
    let (pos, latest) = history.iter().enumerate().rev().find(|(_, r)| valid(r))?;
    let earlier = history.get(..pos).unwrap_or(&[]);
    let from = latest.at - config.window;
    let recent = latest.at - config.recent_exclusion;
    let mut older: Vec<f64> = earlier
        .iter()
        .filter(valid)
        .filter(|r| r.at >= from && r.at <= recent)
        .map(|r| r.sessions)
        .collect();
    // Too few old readings to outvote one noisy sample: use every earlier reading instead.
    if older.len() < MIN_EXCLUSION_READINGS {
        older = earlier
            .iter()
            .filter(valid)
            .filter(|r| r.at >= from)
            .map(|r| r.sessions)
            .collect();
    }
    if older.is_empty() && config.sparse_fallback {
        older = earlier
            .iter()
            .rev()
            .filter(valid)
            .take(SPARSE_FALLBACK_READINGS)
            .map(|r| r.sessions)
            .collect();
    }
    let baseline = median(&mut older).unwrap_or(latest.sessions);
    Some(SessionLevel {
        at: latest.at,
        current: latest.sessions,
        baseline,
    })
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn count(v: f64) -> u64 {
    // `as` saturates for floats; inputs are finite and non-negative here.
    v.round() as u64
}

/// The ispvm-pppoe subscriber-impact model: robust baseline, contract rules (see the module
/// docs). Plug it into the RCA engine wherever a [`SubscriberImpact`] is expected.
///
/// # Examples
/// ```
/// use ispvm_model::{SessionReading, SubscriberImpact};
/// use ispvm_pppoe::impact::RobustImpact;
///
/// let t = |s: &str| s.parse().unwrap();
/// let h = [
///     SessionReading::new(t("2026-01-01T00:08:00Z"), 3200.0),
///     SessionReading::new(t("2026-01-01T00:09:00Z"), 3200.0),
///     SessionReading::new(t("2026-01-01T00:10:00Z"), 50.0),
/// ];
/// let model = RobustImpact::default();
/// let up = model.assess(&h, false);
/// assert_eq!((up.baseline, up.current, up.affected, up.significant_drop),
///            (Some(3200), Some(50), 3150, true));
/// // Down right after the fall: the baseline counts, not the last 50.
/// assert_eq!(model.assess(&h, true).affected, 3200);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RobustImpact {
    config: ImpactConfig,
}

impl RobustImpact {
    /// A model with `config`.
    #[must_use]
    pub fn new(config: ImpactConfig) -> Self {
        Self { config }
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &ImpactConfig {
        &self.config
    }
}

impl SubscriberImpact for RobustImpact {
    fn assess(&self, history: &[SessionReading], unavailable: bool) -> SessionAssessment {
        let Some(l) = level(history, &self.config) else {
            return SessionAssessment::default();
        };
        let significant = l.is_significant_drop(self.config.significance);
        let (baseline, current) = (count(l.baseline), count(l.current));
        if unavailable {
            let affected = if significant { baseline } else { current };
            SessionAssessment::new(Some(baseline), Some(current), affected, false)
        } else if significant {
            SessionAssessment::new(
                Some(baseline),
                Some(current),
                baseline.saturating_sub(current),
                true,
            )
        } else {
            SessionAssessment::new(Some(baseline), Some(current), 0, false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(m: i64) -> DateTime<Utc> {
        "2026-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::minutes(m)
    }

    fn hist(vals: &[(i64, f64)]) -> Vec<SessionReading> {
        vals.iter()
            .map(|&(m, v)| SessionReading::new(t(m), v))
            .collect()
    }

    fn assess(vals: &[(i64, f64)], unavailable: bool) -> SessionAssessment {
        RobustImpact::default().assess(&hist(vals), unavailable)
    }

    #[test]
    fn contract_3200_to_50_counts_3150() {
        let a = assess(&[(9, 3200.0), (10, 50.0)], false);
        assert_eq!(a, SessionAssessment::new(Some(3200), Some(50), 3150, true));
    }

    #[test]
    fn contract_small_dip_counts_zero() {
        // 9.4% below the baseline: not significant.
        let a = assess(&[(0, 3200.0), (1, 3200.0), (2, 2900.0)], false);
        assert_eq!(a, SessionAssessment::new(Some(3200), Some(2900), 0, false));
        // Exactly 10%: significant.
        let a = assess(&[(0, 3200.0), (1, 2880.0)], false);
        assert_eq!((a.affected, a.significant_drop), (320, true));
    }

    #[test]
    fn contract_down_counts_last_known() {
        let a = assess(&[(0, 3200.0), (5, 3180.0)], true);
        assert_eq!(
            a,
            SessionAssessment::new(Some(3200), Some(3180), 3180, false)
        );
    }

    #[test]
    fn contract_down_after_fall_counts_baseline() {
        let a = assess(&[(0, 3200.0), (5, 3200.0), (9, 40.0)], true);
        assert_eq!(a, SessionAssessment::new(Some(3200), Some(40), 3200, false));
    }

    #[test]
    fn empty_or_garbage_history_is_harmless() {
        assert_eq!(assess(&[], true), SessionAssessment::default());
        assert_eq!(
            assess(&[(0, f64::NAN), (1, -5.0)], true),
            SessionAssessment::default()
        );
        // A garbage latest reading is skipped, the valid one before it counts.
        let a = assess(&[(0, 3200.0), (1, f64::INFINITY)], true);
        assert_eq!(a.affected, 3200);
        // A single reading is its own baseline.
        assert_eq!(
            assess(&[(0, 900.0)], false),
            SessionAssessment::new(Some(900), Some(900), 0, false)
        );
    }

    #[test]
    fn one_noisy_sample_does_not_fool_the_baseline() {
        let mut v: Vec<(i64, f64)> = (0..20).map(|m| (m, 3200.0)).collect();
        v[10].1 = 0.0; // one bogus reading (a poll that returned an empty list)
        v.push((20, 3195.0));
        let a = assess(&v, false);
        assert_eq!(a, SessionAssessment::new(Some(3200), Some(3195), 0, false));
        // One absurd spike does not make a normal reading look like a drop either.
        v[12].1 = 1_000_000.0;
        assert_eq!(assess(&v, false).affected, 0);
    }

    #[test]
    fn a_lasting_drop_is_still_a_drop_within_the_exclusion() {
        // 60 minutes at 3200, then 9 minutes at 50: the recent readings are excluded.
        let mut v: Vec<(i64, f64)> = (0..60).map(|m| (m, 3200.0)).collect();
        v.extend((60..70).map(|m| (m, 50.0)));
        assert_eq!(assess(&v, false).affected, 3150);
        // Two hours later, 50 is the new normal.
        let mut w = v.clone();
        w.extend((70..200).map(|m| (m, 50.0)));
        assert_eq!(assess(&w, false).affected, 0);
    }

    #[test]
    fn sparse_fallback_uses_old_readings_only_when_the_window_is_empty() {
        let sparse = RobustImpact::new(ImpactConfig::default().with_sparse_fallback(true));
        let h = hist(&[(0, 3100.0), (60, 3200.0), (180, 3300.0), (360, 50.0)]);
        // Nothing in the 2 h window: the last readings, however old, give the baseline.
        assert_eq!(
            sparse.assess(&h, false),
            SessionAssessment::new(Some(3200), Some(50), 3150, true)
        );
        assert_eq!(RobustImpact::default().assess(&h, false).affected, 0);
        // A reading inside the window wins: the fallback is not used.
        let h = hist(&[(0, 3200.0), (300, 60.0), (360, 55.0)]);
        assert_eq!(sparse.assess(&h, false).affected, 0);
        assert_eq!(sparse.assess(&h, false).baseline, Some(60));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        /// Never panics; affected never exceeds the larger of baseline and current; an up
        /// concentrator's affected is zero or at least the significance share of the baseline.
        #[test]
        fn invariants(vals in proptest::collection::vec(prop_oneof![
                Just(f64::NAN), Just(-1.0), 0.0f64..100_000.0], 0..40),
            unavailable in any::<bool>()) {
            let h: Vec<_> = vals.iter().enumerate()
                .map(|(i, &v)| SessionReading::new(t(i as i64), v)).collect();
            let a = RobustImpact::default().assess(&h, unavailable);
            let top = a.baseline.unwrap_or(0).max(a.current.unwrap_or(0));
            prop_assert!(a.affected <= top);
            if !unavailable && a.affected > 0 {
                let b = a.baseline.unwrap_or(0) as f64;
                prop_assert!(a.affected as f64 + 1.0 >= 0.10 * b);
                prop_assert!(a.significant_drop);
            }
            if unavailable {
                prop_assert!(!a.significant_drop);
            }
        }

        /// The baseline of a steady series with one outlier stays within the steady values.
        #[test]
        fn one_outlier_is_ignored(steady in 100.0f64..10_000.0, outlier in 0.0f64..1e7,
                                  n in 3usize..30, pos in 0usize..30) {
            let mut vals = vec![steady; n];
            let pos = pos % n;
            vals[pos] = outlier;
            vals.push(steady);
            let h: Vec<_> = vals.iter().enumerate()
                .map(|(i, &v)| SessionReading::new(t(i as i64), v)).collect();
            let l = level(&h, &ImpactConfig::default()).unwrap();
            prop_assert_eq!(l.baseline, steady);
        }
    }
}
