//! # ispvm-notify: root-cause alerts into Alertmanager, and signed webhooks, losing nothing
//!
//! Operators route pages through Prometheus Alertmanager. ispvm already knows which failures
//! are root causes and which entities are merely unreachable behind them, so it hands
//! Alertmanager exactly one alert per incident (`IspvmIncident`, labels `tenant`, `incident`,
//! `severity`, `page`), never one for a suppressed entity, plus an always-firing
//! `IspvmWatchdog` for a dead man's switch. Webhooks receive one signed JSON document
//! (`ispvm.notification/v1`) per incident transition, through an outbox with retries.
//!
//! ```text
//! AnalysisDocument (per tenant, each change) ──> planner (pure: what to post, when)
//!        ──> Alertmanager: POST /api/v2/alerts to every URL; resent every `resend`
//!        ──> outbox (store table notification_outbox | bounded memory)
//!               ──> webhook: X-Ispvm-Signature (HMAC-SHA256 of t.body), Idempotency-Key
//! ```
//!
//! The [`planner`] is pure and deterministic (time comes from the analyses and the caller);
//! the [`Notifier`] wraps it in tasks. An embedder with a pipeline and no HTTP server feeds
//! its analyses to [`Notifier::submit`].
//!
//! # Examples
//! ```no_run
//! use std::sync::Arc;
//! use ispvm_model::Secret;
//! use ispvm_notify::{Notifier, NotifierConfig, planner::Context, sink::Webhook};
//! # async fn run(analysis: ispvm_schemas::analysis::AnalysisDocument) -> Result<(), Box<dyn std::error::Error>> {
//! let notifier = Notifier::spawn(
//!     NotifierConfig::default()
//!         .alertmanager("http://127.0.0.1:9093")
//!         .webhook(Webhook::new("https://hooks.example.net/ispvm", Secret::new(std::env::var("HOOK_KEY")?))),
//! )?;
//! notifier.submit(Arc::new(analysis), Context::new()).await;
//! notifier.shutdown().await;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod alert;
pub mod backoff;
mod notifier;
pub mod outbox;
pub mod planner;
pub mod sign;
pub mod sink;

pub use alert::Alert;
pub use notifier::{
    CountHook, Notifier, NotifierConfig, NotifyError, SINK_ALERTMANAGER, SINK_WEBHOOK,
};
pub use planner::{AlertPlanner, Context, Plan, PlannerConfig};

/// `docs/notifications.md`, whose Rust blocks (signature verification) run as doc tests.
#[doc = include_str!("../../docs/notifications.md")]
#[cfg(doctest)]
pub mod notifications_guide {}

/// The crate README, compiled as documentation so its example builds.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub mod readme {}
