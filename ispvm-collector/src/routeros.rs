//! RouterOS adapters built with the collector's timeouts (feature `routeros`, on by default).

use std::time::Duration;

use ispvm_routeros::RouterOsAdapter;
use ispvm_routeros::client::{Backoff, ClientConfig};

use crate::config::Timeouts;

/// A [`RouterOsAdapter`] for the collector: `timeouts` applied to `config`, and no reconnection
/// backoff of its own (the collector's backoff decides when to try again, so a retry is never
/// refused by a second, hidden backoff).
///
/// The adapter keeps one logged-in connection and reuses it for every poll; it logs in again
/// only after that connection failed (closed by the device, a cut or garbled reply, or a
/// command timeout, which always closes the connection).
///
/// # Examples
/// ```
/// use ispvm_collector::Timeouts;
/// use ispvm_routeros::client::ClientConfig;
/// use ispvm_routeros::Secret;
/// let adapter = ispvm_collector::routeros::adapter(
///     ClientConfig::new("192.0.2.1", "monitor", Secret::new("pw")),
///     &Timeouts::default(),
/// )
/// .with_device_id("agg1".parse().unwrap());
/// # drop(adapter);
/// ```
#[must_use]
pub fn adapter(config: ClientConfig, timeouts: &Timeouts) -> RouterOsAdapter {
    let config = config
        .with_connect_timeout(timeouts.connect)
        .with_login_timeout(timeouts.login)
        .with_command_timeout(timeouts.command);
    RouterOsAdapter::new(config).with_backoff(Backoff::new(Duration::ZERO, Duration::ZERO))
}
