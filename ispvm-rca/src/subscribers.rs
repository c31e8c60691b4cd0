//! The scenario contract's subscriber rule, the default [`SubscriberImpact`] of the engine.

use ispvm_model::{SessionAssessment, SessionReading, SubscriberImpact};

/// The subscriber rule of the scenario contract.
///
/// - **baseline**: the median of the readings before the latest one (the latest reading itself
///   when there is only one); non-finite and negative readings count as 0.
/// - **significant drop**: `baseline - current >= threshold * baseline` (threshold 10 %).
/// - a concentrator that is **unavailable** (down or unreachable) counts its sessions from before
///   the failure: its last known count, or the baseline when that count had already dropped
///   significantly;
/// - one that stays **up** and drops significantly counts `baseline - current`; a dip under the
///   threshold counts 0.
///
/// # Examples
/// ```
/// use ispvm_model::{SessionReading, SubscriberImpact};
/// use ispvm_rca::ContractSessionRule;
/// let t = |m: u32| format!("2026-01-01T00:{m:02}:00Z").parse().unwrap();
/// let h = [SessionReading::new(t(0), 3200.0), SessionReading::new(t(5), 50.0)];
/// let a = ContractSessionRule::default().assess(&h, false);
/// assert_eq!((a.affected, a.significant_drop), (3150, true));
/// // Down after the drop: the baseline counts.
/// assert_eq!(ContractSessionRule::default().assess(&h, true).affected, 3200);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ContractSessionRule {
    threshold: f64,
}

impl Default for ContractSessionRule {
    fn default() -> Self {
        Self { threshold: 0.10 }
    }
}

impl ContractSessionRule {
    /// A rule with another significance threshold (a fraction of the baseline, clamped to
    /// `0.0..=1.0`; NaN gives the default 0.10).
    #[must_use]
    pub fn with_threshold(threshold: f64) -> Self {
        if threshold.is_nan() {
            return Self::default();
        }
        Self {
            threshold: threshold.clamp(0.0, 1.0),
        }
    }
}

fn count(v: f64) -> u64 {
    if v.is_finite() && v > 0.0 {
        // Saturating float-to-int conversion; session counts are far below 2^53.
        v.round() as u64
    } else {
        0
    }
}

impl SubscriberImpact for ContractSessionRule {
    fn assess(&self, history: &[SessionReading], unavailable: bool) -> SessionAssessment {
        let Some((last, before)) = history.split_last() else {
            return SessionAssessment::default();
        };
        let current = count(last.sessions);
        let baseline = if before.is_empty() {
            current
        } else {
            let mut v: Vec<u64> = before.iter().map(|r| count(r.sessions)).collect();
            v.sort_unstable();
            let mid = v.len() / 2;
            if v.len() % 2 == 1 {
                v.get(mid).copied().unwrap_or(0)
            } else {
                let a = v.get(mid.saturating_sub(1)).copied().unwrap_or(0);
                let b = v.get(mid).copied().unwrap_or(0);
                a / 2 + b / 2 + (a % 2 + b % 2) / 2
            }
        };
        let drop = baseline.saturating_sub(current);
        let significant = baseline > 0 && (drop as f64) >= self.threshold * baseline as f64;
        let affected = match (unavailable, significant) {
            (true, true) => baseline,
            (true, false) => current,
            (false, true) => drop,
            (false, false) => 0,
        };
        SessionAssessment::new(
            Some(baseline),
            Some(current),
            affected,
            significant && !unavailable,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(values: &[f64]) -> Vec<SessionReading> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                SessionReading::new(
                    chrono::DateTime::from_timestamp(i as i64 * 60, 0).unwrap(),
                    *v,
                )
            })
            .collect()
    }

    #[test]
    fn contract_cases() {
        let r = ContractSessionRule::default();
        assert_eq!(r.assess(&h(&[3200.0, 50.0]), false).affected, 3150);
        assert!(r.assess(&h(&[3200.0, 50.0]), false).significant_drop);
        // Under 10 %: not significant.
        let a = r.assess(&h(&[3200.0, 2900.0]), false);
        assert_eq!((a.affected, a.significant_drop), (0, false));
        // Exactly 10 %: significant.
        assert_eq!(r.assess(&h(&[1000.0, 900.0]), false).affected, 100);
        // Unavailable: last known count, or the baseline after a drop.
        assert_eq!(r.assess(&h(&[3200.0, 3100.0]), true).affected, 3100);
        assert_eq!(r.assess(&h(&[3200.0, 3200.0, 10.0]), true).affected, 3200);
        assert_eq!(r.assess(&[], true).affected, 0);
        // One noisy spike does not move a median baseline.
        assert_eq!(
            r.assess(&h(&[3000.0, 9000.0, 3000.0, 2990.0]), false)
                .affected,
            0
        );
        // Garbage readings count as zero, never panic.
        let a = r.assess(&h(&[f64::NAN, -5.0, f64::INFINITY]), true);
        assert_eq!(a.affected, 0);
        assert_eq!(ContractSessionRule::with_threshold(f64::NAN), r);
    }
}
