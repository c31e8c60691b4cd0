//! Reconnection: jittered exponential [`Backoff`] and a self-healing [`Session`].

use std::time::Duration;

use rand::Rng;
use tokio::time::Instant;

use super::{Client, ClientConfig, ClientError};

/// Jittered exponential backoff ("equal jitter"): attempt `n` waits a uniformly random time
/// in `[d/2, d]` where `d = min(max, base * 2^n)`.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use ispvm_routeros::client::Backoff;
/// let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(10));
/// let first = b.next_delay();
/// assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
/// let second = b.next_delay();
/// assert!(second >= Duration::from_millis(100) && second <= Duration::from_millis(200));
/// b.reset();
/// assert_eq!(b.attempts(), 0);
/// ```
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    /// Backoff starting at `base`, never above `max`.
    #[must_use]
    pub fn new(base: Duration, max: Duration) -> Self {
        Self {
            base,
            max,
            attempt: 0,
        }
    }

    /// The ceiling of the current attempt (before jitter).
    #[must_use]
    pub fn ceiling(&self) -> Duration {
        let factor = 1u32.checked_shl(self.attempt.min(31)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.max)
    }

    /// The delay before the next attempt; advances the attempt counter.
    pub fn next_delay(&mut self) -> Duration {
        let d = self.ceiling();
        self.attempt = self.attempt.saturating_add(1);
        let half = d / 2;
        let nanos = u64::try_from((d - half).as_nanos()).unwrap_or(u64::MAX);
        half + Duration::from_nanos(rand::thread_rng().gen_range(0..=nanos))
    }

    /// Failed attempts since the last success.
    #[must_use]
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// Back to the first delay (after a success).
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

impl Default for Backoff {
    /// 1 s doubling up to 5 minutes.
    fn default() -> Self {
        Self::new(Duration::from_secs(1), Duration::from_secs(300))
    }
}

#[derive(Debug)]
struct State {
    client: Option<Client>,
    backoff: Backoff,
    retry_at: Option<(Instant, ClientError)>,
    /// The latest connection attempt failed (logs state changes, not every retry).
    failing: bool,
}

/// A connection that heals itself: [`Session::client`] returns the live client or reconnects,
/// but not before the backoff delay after a failed attempt has passed (it then fails fast with
/// [`ClientError::Backoff`] so a poller is never blocked by a dead device).
///
/// # Examples
/// ```no_run
/// use ispvm_routeros::client::{ClientConfig, Session};
/// use ispvm_routeros::Secret;
/// # async fn run() -> Result<(), ispvm_routeros::client::ClientError> {
/// let session = Session::new(ClientConfig::new("192.0.2.1", "monitor", Secret::new("pw")));
/// let client = session.client().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Session {
    config: ClientConfig,
    state: tokio::sync::Mutex<State>,
    logins: std::sync::atomic::AtomicU64,
}

impl Session {
    /// A session with the default [`Backoff`].
    #[must_use]
    pub fn new(config: ClientConfig) -> Self {
        Self::with_backoff(config, Backoff::default())
    }

    /// A session with the given backoff.
    #[must_use]
    pub fn with_backoff(config: ClientConfig, backoff: Backoff) -> Self {
        Self {
            config,
            state: tokio::sync::Mutex::new(State {
                client: None,
                backoff,
                retry_at: None,
                failing: false,
            }),
            logins: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Successful logins so far: 1 while the first connection lives, one more per
    /// reconnection (a reused connection logs in once).
    #[must_use]
    pub fn logins(&self) -> u64 {
        self.logins.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The live client, reconnecting if needed.
    ///
    /// # Errors
    /// [`ClientError::Backoff`] while waiting after a failure, else the connection's error.
    pub async fn client(&self) -> Result<Client, ClientError> {
        let mut st = self.state.lock().await;
        if let Some(c) = &st.client {
            if !c.is_closed() {
                return Ok(c.clone());
            }
            st.client = None;
        }
        if let Some((at, last)) = &st.retry_at {
            let now = Instant::now();
            if now < *at {
                return Err(ClientError::Backoff {
                    retry_in: *at - now,
                    last_error: Box::new(last.clone()),
                });
            }
        }
        match Client::connect(&self.config).await {
            Ok(c) => {
                self.logins
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                st.backoff.reset();
                st.retry_at = None;
                if std::mem::take(&mut st.failing) {
                    tracing::info!(device = %self.config.address(), "RouterOS connection restored");
                }
                st.client = Some(c.clone());
                Ok(c)
            }
            Err(e) => {
                let delay = st.backoff.next_delay();
                // A state change is a warning; every further failed retry only a debug line.
                if std::mem::replace(&mut st.failing, true) {
                    tracing::debug!(device = %self.config.address(), error = %e, retry_in = ?delay, "RouterOS connection failed again");
                } else {
                    tracing::warn!(device = %self.config.address(), error = %e, retry_in = ?delay, "RouterOS connection failed");
                }
                st.retry_at = Some((Instant::now() + delay, e.clone()));
                Err(e)
            }
        }
    }

    /// Drops the current connection (the next [`Session::client`] reconnects at once).
    pub async fn reset(&self) {
        let mut st = self.state.lock().await;
        if let Some(c) = st.client.take() {
            c.close();
        }
        st.retry_at = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_within_bounds_and_cap() {
        let base = Duration::from_millis(10);
        let max = Duration::from_millis(500);
        let mut b = Backoff::new(base, max);
        for n in 0..40u32 {
            let ceiling = base
                .saturating_mul(1u32.checked_shl(n.min(31)).unwrap_or(u32::MAX))
                .min(max);
            assert_eq!(b.ceiling(), ceiling);
            let d = b.next_delay();
            assert!(
                d >= ceiling / 2 && d <= ceiling,
                "attempt {n}: {d:?} vs {ceiling:?}"
            );
        }
        assert_eq!(b.attempts(), 40);
    }

    #[test]
    fn jitter_actually_varies() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..20 {
            let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(1));
            seen.insert(b.next_delay());
        }
        assert!(seen.len() > 1);
    }
}
