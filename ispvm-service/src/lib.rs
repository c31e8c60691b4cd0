//! # ispvm-service: the ispvm agent as a library
//!
//! What the `ispvm-agent` binary runs, for embedders that want the same service in their own
//! process: a configuration file ([`config`]), one task per tenant owning its
//! [`ispvm_pipeline::Pipeline`] fed by an [`ispvm_collector::Collector`] ([`tenant`],
//! [`polling`]), the [`ispvm_http::Backend`]
//! over them ([`Agent`]), reload on SIGHUP, graceful shutdown, and the embedded simulated ISP
//! ([`embedded`]) that runs when no configuration is given.
//!
//! ```text
//! routers (RouterOS API / API-SSL)       embedded: SimWorld (ispvm-routeros sim::world)
//!        │ ispvm-collector per tenant (fast/medium/slow tiers, jitter, backoff, timeouts,
//!        │ bounded concurrency, one connection per router; embedded: the agent's pings)
//!        ▼
//! tenant task: Pipeline (ingest, poll_failed, snapshot) ─ incidents, windows, audit
//!        │ ─ persist: ispvm-store (SQLite in the data dir, or PostgreSQL) ─ survives restarts
//!        │ watch (latest view)  broadcast (changed analyses)
//!        ▼
//! Agent: ispvm_http::Backend ──> ispvm_http::router ──> HTTP API, live page, /metrics
//!        └─ notify: broadcast subscribers ──> ispvm_notify (Alertmanager, signed webhooks)
//! ```
//!
//! # Examples
//! The embedded world, evaluated once:
//! ```no_run
//! use std::time::Duration;
//! use ispvm_http::Backend;
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let agent = ispvm_service::Agent::start_embedded(Duration::from_secs(5)).await?;
//! let tenant = "demo-isp".parse()?;
//! agent.tenant(&tenant).expect("the embedded tenant").changed().await?;
//! assert!(agent.readiness().await.is_ready());
//! agent.shutdown().await;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod agent;
pub mod config;
pub mod embedded;
pub mod lint;
pub mod notify;
pub mod persist;
pub mod polling;
mod run;
pub mod tenant;

pub use agent::{Agent, FAULT_MAINTENANCE, RETENTION_INTERVAL, ServiceError};
pub use run::{DEFAULT_DATA_DIR, RunOptions, listener_tls, run};

/// The crate README, compiled as documentation so its example builds.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub mod readme {}
