//! # ispvm-collector: tiered, jittered polling of device adapters
//!
//! Drives [`DeviceAdapter`](ispvm_model::DeviceAdapter)s over an inventory of targets, each on
//! the tiers of its [`Intervals`] (fast / medium / slow), and delivers one [`PollReport`] per
//! poll to a [`ReportSink`]. It knows nothing of HTTP, storage or the analysis pipeline: the
//! service that embeds it turns reports into observations and metrics.
//!
//! ```text
//! inventory ──> Collector ──(per target: spread start, jittered tiers, backoff)──> adapter
//!                  │  global concurrency limit, poll deadline, cancel-safe shutdown
//!                  └──> PollReport { tenant, target, tier, started_at, duration, outcome } ──> sink
//!                                                   (Collection | error | timeout)
//! ```
//!
//! - **Schedule**: each tier's first poll falls uniformly in its first interval (no herd at
//!   start or after a restart); every next poll is `interval * (1 ± jitter)` after the previous
//!   due time (no drift). A poll that overran skips, never bursts.
//! - **Failures**: after the n-th failure in a row every tier waits at least a backoff drawn in
//!   `[c/2, c]`, `c = min(max, base * 2^(n-1))`; the first success resets it. The failure's
//!   kind (`error` or `timeout`) comes from the typed [`AdapterError`](ispvm_model::AdapterError).
//! - **Connections**: adapters are long-lived and shared by every poll of their target; the
//!   RouterOS adapter (see [`routeros`]) keeps one logged-in connection per router.
//! - **Runtime changes**: [`Collector::upsert`], [`Collector::remove`] and [`Collector::sync`]
//!   touch only the targets they name.
//! - **Time**: only `tokio::time`, so tests run with a paused clock.
//!
//! ## Example
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use ispvm_collector::{Collector, CollectorConfig, Intervals, Target};
//! use ispvm_model::Tier;
//! use ispvm_routeros::client::ClientConfig;
//! use ispvm_routeros::sim::{SimRouter, SimState};
//! use ispvm_routeros::Secret;
//! use tokio_util::sync::CancellationToken;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sim = SimRouter::builder().state(SimState::concentrator("bras1", 800)).user("monitor", "pw").start().await?;
//! // fast tier every 200 ms so that this example's first poll comes quickly
//! let fast = Intervals::default().with(Tier::Fast, Some(Duration::from_millis(200)));
//! let config = CollectorConfig::default().with_intervals(fast);
//! let client = ClientConfig::new("127.0.0.1", "monitor", Secret::new("pw")).with_port(sim.addr().port());
//! let adapter = ispvm_collector::routeros::adapter(client, &config.timeouts);
//!
//! let (tx, mut rx) = tokio::sync::mpsc::channel(64);
//! let collector = Collector::new(config, tx)?;
//! collector.upsert(Target::new("demo-isp".parse()?, "bras1".parse()?, Arc::new(adapter)))?;
//! let cancel = CancellationToken::new();
//! let task = tokio::spawn({ let (c, t) = (collector.clone(), cancel.clone()); async move { c.run(t).await } });
//! let report = rx.recv().await.ok_or("no report")?;
//! println!("{} {} {}: {}", report.tenant, report.target, report.tier, report.result());
//! cancel.cancel();
//! task.await??;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod collector;
mod config;
mod report;
#[cfg(feature = "routeros")]
#[cfg_attr(docsrs, doc(cfg(feature = "routeros")))]
pub mod routeros;
pub mod schedule;

pub use collector::{Collector, RunError, SyncSummary, Target, TargetKey, TargetStats, Upsert};
pub use config::{CollectorConfig, ConfigError, Intervals, MIN_INTERVAL, Timeouts};
pub use report::{FailureKind, PollFailure, PollOutcome, PollReport, ReportSink};

pub use tokio_util::sync::CancellationToken;

#[doc = include_str!("../README.md")]
#[doc(hidden)]
pub mod readme {}
