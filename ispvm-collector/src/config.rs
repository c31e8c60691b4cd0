//! Collector settings: tier intervals, jitter, backoff, timeouts, concurrency.

use std::time::Duration;

use ispvm_model::Tier;

/// Why a setting was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// An interval is shorter than [`MIN_INTERVAL`].
    #[error("{tier} interval {interval:?} is shorter than the minimum {MIN_INTERVAL:?}")]
    IntervalTooShort {
        /// The tier.
        tier: Tier,
        /// The interval given.
        interval: Duration,
    },
    /// Every tier of a target is disabled: there would be nothing to poll.
    #[error("every tier is disabled")]
    NoTier,
    /// The jitter is outside `0..=50` percent.
    #[error("jitter {percent} % is outside 0..=50 %")]
    Jitter {
        /// The jitter given, in percent.
        percent: u8,
    },
    /// The concurrency limit is zero.
    #[error("the concurrency limit must be at least 1")]
    Concurrency,
    /// The backoff's first delay is zero or above its cap.
    #[error("backoff base {base:?} must be above zero and at most the cap {max:?}")]
    Backoff {
        /// First delay.
        base: Duration,
        /// Cap.
        max: Duration,
    },
    /// A timeout is zero.
    #[error("the {which} timeout must be above zero")]
    Timeout {
        /// `connect`, `login`, `command` or `poll`.
        which: &'static str,
    },
}

/// The shortest interval a tier may have.
pub const MIN_INTERVAL: Duration = Duration::from_millis(100);

/// How often each tier is polled; `None` disables a tier.
///
/// Defaults: fast 30 s, medium 120 s, slow 600 s.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use ispvm_collector::Intervals;
/// use ispvm_model::Tier;
/// let i = Intervals::default().with(Tier::Fast, Some(Duration::from_secs(10)));
/// assert_eq!(i.get(Tier::Fast), Some(Duration::from_secs(10)));
/// assert_eq!(i.get(Tier::Slow), Some(Duration::from_secs(600)));
/// assert!(i.validate().is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intervals {
    fast: Option<Duration>,
    medium: Option<Duration>,
    slow: Option<Duration>,
}

impl Default for Intervals {
    fn default() -> Self {
        Self {
            fast: Some(Duration::from_secs(30)),
            medium: Some(Duration::from_secs(120)),
            slow: Some(Duration::from_secs(600)),
        }
    }
}

impl Intervals {
    /// Every tier at the given intervals.
    #[must_use]
    pub fn new(fast: Duration, medium: Duration, slow: Duration) -> Self {
        Self {
            fast: Some(fast),
            medium: Some(medium),
            slow: Some(slow),
        }
    }

    /// Sets (or with `None` disables) one tier.
    #[must_use]
    pub fn with(mut self, tier: Tier, interval: Option<Duration>) -> Self {
        match tier {
            Tier::Medium => self.medium = interval,
            Tier::Slow => self.slow = interval,
            _ => self.fast = interval,
        }
        self
    }

    /// The interval of a tier, `None` when disabled.
    #[must_use]
    pub fn get(&self, tier: Tier) -> Option<Duration> {
        match tier {
            Tier::Medium => self.medium,
            Tier::Slow => self.slow,
            _ => self.fast,
        }
    }

    /// Checks that at least one tier is on and none is shorter than [`MIN_INTERVAL`].
    ///
    /// # Errors
    /// [`ConfigError::IntervalTooShort`], [`ConfigError::NoTier`].
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut any = false;
        for tier in Tier::ALL {
            if let Some(interval) = self.get(tier) {
                any = true;
                if interval < MIN_INTERVAL {
                    return Err(ConfigError::IntervalTooShort { tier, interval });
                }
            }
        }
        if any {
            Ok(())
        } else {
            Err(ConfigError::NoTier)
        }
    }
}

/// Connection timeouts handed to adapters the collector builds (see the `routeros` module).
///
/// Defaults: connect 5 s, login 5 s, command 10 s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP connect and TLS handshake.
    pub connect: Duration,
    /// Login exchange.
    pub login: Duration,
    /// Each command. A command that times out closes its connection.
    pub command: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            login: Duration::from_secs(5),
            command: Duration::from_secs(10),
        }
    }
}

impl Timeouts {
    /// Checks that no timeout is zero.
    ///
    /// # Errors
    /// [`ConfigError::Timeout`].
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (which, t) in [
            ("connect", self.connect),
            ("login", self.login),
            ("command", self.command),
        ] {
            if t.is_zero() {
                return Err(ConfigError::Timeout { which });
            }
        }
        Ok(())
    }
}

/// Everything that shapes the collector's schedule.
///
/// | setting | default | meaning |
/// |---|---|---|
/// | `intervals` | 30 s / 120 s / 600 s | per tier, for targets without their own |
/// | `jitter_percent` | 15 | each interval is drawn uniformly in `interval * (1 ± jitter)` |
/// | `backoff_base`, `backoff_max` | 5 s, 120 s | after the n-th failure in a row the next try waits a uniform time in `[d/2, d]`, `d = min(max, base * 2^(n-1))` |
/// | `max_concurrent_polls` | 256 | polls in flight at once, over every target |
/// | `poll_timeout` | 60 s | a whole poll (all commands of one tier); past it the poll is dropped and reported as a timeout |
/// | `shutdown_grace` | 0 s | how long in-flight polls may finish after cancellation |
/// | `timeouts` | 5 s / 5 s / 10 s | connect / login / command, for adapters the collector builds |
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use ispvm_collector::CollectorConfig;
/// let config = CollectorConfig::default()
///     .with_jitter_percent(20)
///     .with_max_concurrent_polls(64)
///     .with_backoff(Duration::from_secs(2), Duration::from_secs(60));
/// assert!(config.validate().is_ok());
/// assert!(CollectorConfig::default().with_jitter_percent(80).validate().is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CollectorConfig {
    /// Default tier intervals.
    pub intervals: Intervals,
    /// Jitter of every interval, in percent (0..=50).
    pub jitter_percent: u8,
    /// First backoff delay (ceiling) after a failure.
    pub backoff_base: Duration,
    /// Cap of the backoff delay.
    pub backoff_max: Duration,
    /// Global limit of polls in flight.
    pub max_concurrent_polls: usize,
    /// Deadline of one whole poll.
    pub poll_timeout: Duration,
    /// Time in-flight polls get to finish after cancellation.
    pub shutdown_grace: Duration,
    /// Connection timeouts for adapters the collector builds.
    pub timeouts: Timeouts,
    /// Seed of the schedule's random draws (reproducible schedules in tests); `None` seeds
    /// from the operating system.
    pub seed: Option<u64>,
}

impl Default for CollectorConfig {
    fn default() -> Self {
        Self {
            intervals: Intervals::default(),
            jitter_percent: 15,
            backoff_base: Duration::from_secs(5),
            backoff_max: Duration::from_secs(120),
            max_concurrent_polls: 256,
            poll_timeout: Duration::from_secs(60),
            shutdown_grace: Duration::ZERO,
            timeouts: Timeouts::default(),
            seed: None,
        }
    }
}

impl CollectorConfig {
    /// Sets the default intervals.
    #[must_use]
    pub fn with_intervals(mut self, intervals: Intervals) -> Self {
        self.intervals = intervals;
        self
    }
    /// Sets the jitter in percent.
    #[must_use]
    pub fn with_jitter_percent(mut self, percent: u8) -> Self {
        self.jitter_percent = percent;
        self
    }
    /// Sets the backoff's first delay and cap.
    #[must_use]
    pub fn with_backoff(mut self, base: Duration, max: Duration) -> Self {
        self.backoff_base = base;
        self.backoff_max = max;
        self
    }
    /// Sets the global concurrency limit.
    #[must_use]
    pub fn with_max_concurrent_polls(mut self, n: usize) -> Self {
        self.max_concurrent_polls = n;
        self
    }
    /// Sets the deadline of one poll.
    #[must_use]
    pub fn with_poll_timeout(mut self, t: Duration) -> Self {
        self.poll_timeout = t;
        self
    }
    /// Sets the shutdown grace.
    #[must_use]
    pub fn with_shutdown_grace(mut self, t: Duration) -> Self {
        self.shutdown_grace = t;
        self
    }
    /// Sets the connection timeouts.
    #[must_use]
    pub fn with_timeouts(mut self, t: Timeouts) -> Self {
        self.timeouts = t;
        self
    }
    /// Seeds the schedule's random draws.
    #[must_use]
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Checks every setting.
    ///
    /// # Errors
    /// The first [`ConfigError`] found.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.intervals.validate()?;
        self.timeouts.validate()?;
        if self.jitter_percent > 50 {
            return Err(ConfigError::Jitter {
                percent: self.jitter_percent,
            });
        }
        if self.max_concurrent_polls == 0 {
            return Err(ConfigError::Concurrency);
        }
        if self.backoff_base.is_zero() || self.backoff_base > self.backoff_max {
            return Err(ConfigError::Backoff {
                base: self.backoff_base,
                max: self.backoff_max,
            });
        }
        if self.poll_timeout.is_zero() {
            return Err(ConfigError::Timeout { which: "poll" });
        }
        Ok(())
    }
}
