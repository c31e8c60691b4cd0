//! The schedule's arithmetic, apart from any clock: start spread, jittered intervals, backoff.
//!
//! Pure functions of their inputs and a random source, so their bounds are property-tested.

use std::time::Duration;

use rand::Rng;

/// The first poll's offset from the start: uniform in `[0, interval)`, so that targets started
/// together (at start or after a restart) spread over the first interval instead of all
/// polling in the same second.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// let mut rng = rand::thread_rng();
/// let d = ispvm_collector::schedule::start_offset(Duration::from_secs(30), &mut rng);
/// assert!(d < Duration::from_secs(30));
/// ```
pub fn start_offset(interval: Duration, rng: &mut impl Rng) -> Duration {
    let nanos = interval.as_nanos().min(u128::from(u64::MAX)) as u64;
    if nanos == 0 {
        return Duration::ZERO;
    }
    Duration::from_nanos(rng.gen_range(0..nanos))
}

/// One jittered interval: uniform in `[interval * (1 - j), interval * (1 + j)]` with
/// `j = jitter_percent / 100`. The mean stays `interval`.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// let mut rng = rand::thread_rng();
/// let d = ispvm_collector::schedule::jittered(Duration::from_secs(30), 15, &mut rng);
/// assert!(d >= Duration::from_millis(25_500) && d <= Duration::from_millis(34_500));
/// ```
pub fn jittered(interval: Duration, jitter_percent: u8, rng: &mut impl Rng) -> Duration {
    let j = f64::from(jitter_percent.min(100)) / 100.0;
    if j == 0.0 {
        return interval;
    }
    let factor = rng.gen_range((1.0 - j)..=(1.0 + j));
    interval.mul_f64(factor)
}

/// The ceiling of the backoff before the try after the `failures`-th failure in a row
/// (`failures >= 1`): `min(max, base * 2^(failures - 1))`.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use ispvm_collector::schedule::backoff_ceiling;
/// let s = |n| backoff_ceiling(Duration::from_secs(5), Duration::from_secs(120), n);
/// assert_eq!(
///     [s(1), s(2), s(3), s(4), s(5), s(6), s(60)].map(|d| d.as_secs()),
///     [5, 10, 20, 40, 80, 120, 120],
/// );
/// ```
#[must_use]
pub fn backoff_ceiling(base: Duration, max: Duration, failures: u32) -> Duration {
    let shift = failures.saturating_sub(1).min(31);
    base.saturating_mul(1u32 << shift).min(max)
}

/// The backoff delay after the `failures`-th failure in a row: uniform in `[c/2, c]` where
/// `c` is [`backoff_ceiling`] ("equal jitter": never shorter than half the ceiling, so
/// failing targets that failed together do not retry together).
pub fn backoff_delay(base: Duration, max: Duration, failures: u32, rng: &mut impl Rng) -> Duration {
    let c = backoff_ceiling(base, max, failures);
    let half = c / 2;
    let span = (c - half).as_nanos().min(u128::from(u64::MAX)) as u64;
    half + Duration::from_nanos(rng.gen_range(0..=span))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    proptest! {
        #[test]
        fn jitter_stays_within_bounds(secs in 1u64..3600, j in 0u8..=50, seed: u64) {
            let mut rng = StdRng::seed_from_u64(seed);
            let i = Duration::from_secs(secs);
            let d = jittered(i, j, &mut rng);
            let lo = i.mul_f64(1.0 - f64::from(j) / 100.0);
            let hi = i.mul_f64(1.0 + f64::from(j) / 100.0);
            prop_assert!(d >= lo && d <= hi, "{d:?} not in [{lo:?}, {hi:?}]");
        }

        #[test]
        fn start_offset_is_inside_the_first_interval(ms in 100u64..3_600_000, seed: u64) {
            let mut rng = StdRng::seed_from_u64(seed);
            prop_assert!(start_offset(Duration::from_millis(ms), &mut rng) < Duration::from_millis(ms));
        }

        #[test]
        fn backoff_is_capped_and_never_below_half(base_ms in 1u64..10_000, max_ms in 10_000u64..1_000_000, n in 1u32..200, seed: u64) {
            let mut rng = StdRng::seed_from_u64(seed);
            let (base, max) = (Duration::from_millis(base_ms), Duration::from_millis(max_ms));
            let c = backoff_ceiling(base, max, n);
            let d = backoff_delay(base, max, n, &mut rng);
            prop_assert!(c <= max);
            prop_assert!(d >= c / 2 && d <= c);
            prop_assert!(backoff_ceiling(base, max, n + 1) >= c);
        }
    }

    #[test]
    fn jitter_spreads_values() {
        let mut rng = StdRng::seed_from_u64(7);
        let i = Duration::from_secs(30);
        let draws: Vec<Duration> = (0..1000).map(|_| jittered(i, 15, &mut rng)).collect();
        let below = draws
            .iter()
            .filter(|d| **d < Duration::from_millis(27_000))
            .count();
        let above = draws
            .iter()
            .filter(|d| **d > Duration::from_millis(33_000))
            .count();
        // a uniform draw lands in each outer fifth about 200 times in 1000
        assert!(below > 120 && above > 120, "{below} {above}");
        assert_eq!(jittered(i, 0, &mut rng), i);
    }
}
