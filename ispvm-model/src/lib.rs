//! # ispvm-model: the vocabulary of ispvm
//!
//! Everything the other ispvm crates share, and what an embedding developer learns first:
//! validated ids, entities and their kinds, dependency groups (`all`, `any`, `k`-of-`n`), the
//! validated [`Topology`], observations, maintenance windows, canonical samples and events, the
//! results of analysis (status, incidents, root causes, evidence, confidence) and the
//! [`DeviceAdapter`] trait that vendors implement. Pure data and logic: no I/O, no runtime.
//!
//! ```text
//! devices --DeviceAdapter--> Sample/Event --> Observation --> ispvm-rca --> Incident/RootCause
//!                 ^ this crate defines every noun on this line ^
//! ```
//!
//! ## Example
//! A dual-homed access switch: it needs *any* of its two aggregation routers.
//! ```
//! use ispvm_model::{DependencyGroup, Entity, EntityKind, GroupMode, Role, TopologyBuilder};
//!
//! let id = |s: &str| s.parse::<ispvm_model::EntityId>().unwrap();
//! let mut builder = TopologyBuilder::new("demo-isp".parse()?);
//! builder
//!     .add_entity(Entity::new(id("agg1"), EntityKind::Device).with_role(Role::Aggregation))
//!     .add_entity(Entity::new(id("agg2"), EntityKind::Device).with_role(Role::Aggregation))
//!     .add_entity(Entity::new(id("acc1"), EntityKind::Device).with_role(Role::Access))
//!     .add_group(DependencyGroup::new(id("acc1"), GroupMode::Any, vec![id("agg1"), id("agg2")]));
//! let topology = builder.build()?;
//! assert_eq!(topology.groups()[0].to_string(), "any of [agg1, agg2]");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Features
//! - `json-schema`: derives `schemars::JsonSchema` for every wire type (used by `ispvm-schemas`).
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod adapter;
mod cause;
mod dependency;
mod entity;
mod id;
mod incident;
mod ingest;
pub mod lint;
mod maintenance;
pub mod names;
mod observation;
pub mod quote;
mod secret;
mod subscribers;
mod topology;

pub use adapter::{AdapterError, Collection, DeviceAdapter, DeviceIdentity, Tier, UnknownTier};
pub use cause::ErrorCause;
pub use dependency::{DependencyGroup, GroupFormatError, GroupMode};
pub use entity::{Entity, EntityKind, Role};
pub use id::{EntityId, IdError, IdPath, Label, MAX_ID_LEN, MAX_LABEL_LEN, TenantId};
pub use incident::{
    CauseKind, CauseRole, Confidence, ConfidenceError, EntityReport, EntityStatus, Evidence,
    Incident, RootCause,
};
pub use ingest::{Event, Quality, Sample, SampleValue, Severity};
pub use maintenance::{MaintenanceError, MaintenanceWindow};
pub use observation::{Observation, ObservationError, ObservationValue, Signal, SignalState};
pub use secret::Secret;
pub use subscribers::{SessionAssessment, SessionReading, SubscriberImpact};
pub use topology::{GroupRef, Topology, TopologyBuilder, TopologyError};

/// Re-exported so that adapter authors use the same `async_trait` as the trait.
pub use async_trait::async_trait;

/// The code blocks of `docs/style-guide.md`, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/style-guide.md")]
pub struct StyleGuideDoc;
