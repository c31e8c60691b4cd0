//! # ispvm-schemas: names and payloads that cross a process boundary
//!
//! Registry, wire types, JSON Schemas and versioning of ispvm (work in progress).
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod analysis;
pub mod conformance;
pub mod ingest;
pub mod registry;
pub mod scenario;
pub mod validation;
pub mod version;

pub use ispvm_model::{Event, Sample as MetricSample};
