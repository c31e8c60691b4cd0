//! Retry delays: capped exponential backoff with jitter.

use std::time::Duration;

/// Retry policy of the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Backoff {
    /// The first delay (default 1 s).
    pub base: Duration,
    /// The longest delay (default 5 min).
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(300),
        }
    }
}

impl Backoff {
    /// A policy from its first and longest delay (`cap` at least `base`).
    #[must_use]
    pub fn new(base: Duration, cap: Duration) -> Self {
        Self {
            base,
            cap: cap.max(base),
        }
    }

    /// The delay before the attempt that follows `failures` failed attempts, for a random
    /// `unit` in `[0, 1)`: `min(cap, base * 2^(failures-1))` scaled into its upper half
    /// (`[d/2, d)`), so that receivers coming back are not hit by every sender at once.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use ispvm_notify::backoff::Backoff;
    /// let b = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
    /// assert_eq!(b.delay(1, 0.0), Duration::from_millis(500));
    /// assert_eq!(b.delay(3, 0.0), Duration::from_secs(2));
    /// assert_eq!(b.delay(30, 0.0), Duration::from_secs(30));
    /// assert!(b.delay(30, 0.999) < Duration::from_secs(60));
    /// ```
    #[must_use]
    pub fn delay(&self, failures: u32, unit: f64) -> Duration {
        let exp = failures.saturating_sub(1).min(32);
        let full = self
            .base
            .checked_mul(1u32 << exp.min(31))
            .unwrap_or(self.cap)
            .min(self.cap);
        let unit = if unit.is_finite() {
            unit.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let half = full / 2;
        half + (full - half).mul_f64(unit).min(full - half)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn delays_stay_in_the_upper_half_of_the_capped_exponential(
            base_ms in 1u64..5_000, cap_ms in 1u64..600_000, failures in 0u32..100, unit in 0.0f64..1.0
        ) {
            let b = Backoff::new(Duration::from_millis(base_ms), Duration::from_millis(cap_ms));
            let d = b.delay(failures, unit);
            let exp = failures.saturating_sub(1).min(31);
            let full = Duration::from_millis(base_ms)
                .checked_mul(1 << exp).unwrap_or(b.cap).min(b.cap);
            prop_assert!(d >= full / 2 && d <= full, "{d:?} not in [{:?}, {full:?}]", full / 2);
            // Monotone in the number of failures at the same jitter.
            prop_assert!(b.delay(failures + 1, 0.0) >= b.delay(failures, 0.0));
        }
    }
}
