//! # ispvm-pipeline: one tenant's analysis, from samples to a snapshot
//!
//! The composition every ispvm program needs: canonical samples and events (from device
//! adapters, probes or ingest batches) become observations, the RCA engine explains them, the
//! PPPoE session tracker counts churn and drops, RADIUS counters become failure rates, and
//! ispvm-pppoe's classifier names the class of incidents at concentrators. No I/O, no clock,
//! no async: time is always an argument, so a pipeline is deterministic and replayable, and one
//! tokio task can own it.
//!
//! ```text
//! IngestBatch / Sample / Event / failed poll / /ppp/active rows
//!     │  rules (this crate): device.up 0 for a failed poll, samples -> observations,
//!     │  rows -> SessionSnapshot, RADIUS failure rate -> experience
//!     ▼
//! ispvm-rca Engine (standard preset: RobustImpact)  +  ispvm-pppoe SessionTracker, classes
//!     ▼
//! Snapshot { analysis (ispvm.analysis/v1), classes, churn, radius, events, changed }
//! ```
//!
//! ## The API's shape (stable)
//! - [`Pipeline::new`]`(topology, `[`PipelineConfig::standard`]`())`;
//! - feed: [`Pipeline::ingest_batch`] (idempotent by [`BatchId`], outcome
//!   [`IngestOutcome::Duplicate`] for a repeat), [`Pipeline::ingest_samples`],
//!   [`Pipeline::ingest_events`], [`Pipeline::ingest_observations`],
//!   [`Pipeline::poll_failed`]`(device, at, kind)`, [`Pipeline::ppp_active`]`(concentrator, at, rows)`;
//! - operate: [`Pipeline::set_maintenance`], [`Pipeline::record_feedback`] (typed
//!   [`FeedbackError`]), [`Pipeline::weights`] / [`Pipeline::set_weights`] (to persist what
//!   feedback taught), [`Pipeline::replace_topology`] (a configuration reload that keeps state
//!   and open incident ids);
//! - read: [`Pipeline::snapshot`]`(at) -> `[`Snapshot`], whose `changed` says whether anything
//!   but the time moved since the previous snapshot.
//!
//! ## Bounded memory
//! Everything a pipeline keeps has a bound, so a pipeline can run for months:
//! - the engine keeps at most `history_limit` (256) signal observations and session readings
//!   per entity, and the pipeline a copy of the same, for [`Pipeline::replace_topology`];
//! - the session tracker keeps its configured retention (6 h, 4,320 readings per concentrator)
//!   for the concentrators of the topology only;
//! - the classifier input is 2 h and at most 20,000 samples per concentrator, of the metrics
//!   it reads only;
//! - RADIUS rates: one reading per `DEV/radius/ADDR` entry of a topology device, at most
//!   10,000 entries;
//! - batch ids: the last 4,096; events between two snapshots: 1,024 (the oldest are dropped
//!   and counted in [`Snapshot::events_dropped`]).
//!
//! ## Example: a pipeline on simulated samples
//! (`docs/embedding.md` starts from a simulated RouterOS router polled by the real client.)
//! ```
//! use ispvm_model::{DependencyGroup, Entity, EntityKind, GroupMode, Sample, SampleValue, TopologyBuilder};
//! use ispvm_pipeline::{Pipeline, PipelineConfig};
//!
//! let id = |s: &str| s.parse::<ispvm_model::EntityId>().unwrap();
//! let mut b = TopologyBuilder::new("demo-isp".parse()?);
//! b.add_entity(Entity::new(id("agg1"), EntityKind::Device));
//! b.add_entity(Entity::new(id("bras1"), EntityKind::PppoeConcentrator));
//! b.add_group(DependencyGroup::new(id("bras1"), GroupMode::All, vec![id("agg1")]));
//! let mut pipeline = Pipeline::new(b.build()?, PipelineConfig::standard());
//!
//! let sample = |minute: u32, name: &str, entity: &str, v: f64| Sample::new(
//!     format!("2026-01-01T00:{minute:02}:00Z").parse().unwrap(), name, EntityKind::Device,
//!     id(entity), SampleValue::Num(v), "1", "sim");
//! for minute in 0..10 {
//!     let agg1_up = if minute < 9 { 1.0 } else { 0.0 };
//!     pipeline.ingest_samples(&[
//!         sample(minute, "device.up", "agg1", agg1_up),
//!         sample(minute, "pppoe.sessions.active", "bras1", 3200.0),
//!     ]);
//! }
//! let snap = pipeline.snapshot("2026-01-01T00:09:00Z".parse()?);
//! let incident = &snap.analysis.incidents[0];
//! assert_eq!(incident.primary().map(|c| c.entity.as_str()), Some("agg1"));
//! assert_eq!(incident.impacted, [id("bras1")]);
//! assert_eq!(incident.subscribers_affected, 3200);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod config;
mod error;
mod pipeline;
pub mod rules;
mod snapshot;

pub use config::{CLASSIFY_HISTORY, PipelineConfig};
pub use error::{FeedbackError, PipelineError};
pub use pipeline::{Pipeline, PollFailure, TopologyChange};
pub use rules::{PppActiveRow, PppRowError};
pub use snapshot::{
    BatchId, ChurnReport, IncidentClasses, IngestOutcome, IngestStats, RadiusRate, Snapshot,
};

#[doc(hidden)]
pub mod embedding_guide;

/// The crate README, compiled as documentation so its examples run as doc tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub mod readme {}
