//! # ispvm-schemas: names and payloads that cross a process boundary
//!
//! Everything another program may depend on: the metric/event [registry] (names, kinds, UCUM
//! units, entity types, labels), the versioned wire types ([ingest batches](ingest),
//! [scenario] and [analysis] documents), their JSON Schemas (draft 2020-12, committed under
//! `schemas/v1/`) with [validation] that names every fault by JSON pointer, the
//! [versioning](version) rules, and a [conformance] kit for adapter authors.
//!
//! ```text
//! DeviceAdapter --Sample/Event--> conformance::check_samples   (names from registry)
//!        \--> IngestBatch (schema_version "1.0") --JSON--> IngestBatch::parse --> consumers
//! scenario file --validate + ScenarioDocument::into_scenario--> ispvm-rca --> AnalysisDocument
//!        ^ this crate: every name, payload, schema and version on these lines ^
//! ```
//!
//! ## Example
//! Check an adapter's output against the registry, then validate a document by its schema.
//! ```
//! use ispvm_model::{EntityKind, SampleValue};
//! use ispvm_schemas::{conformance, registry, validation, MetricSample};
//!
//! let s = MetricSample::new("2026-01-01T00:00:00Z".parse()?, "device.cpu_pct",
//!     EntityKind::Device, "agg1".parse()?, SampleValue::Num(17.0), "%", "routeros_api");
//! assert!(conformance::check_samples(&[s.clone()]).is_empty());
//! assert_eq!(registry::lookup("device.cpu_pct").map(|d| d.prometheus_name()),
//!            Some("ispvm_device_cpu_pct".to_string()));
//!
//! let doc = serde_json::to_value(&s)?;
//! assert_eq!(validation::validate(validation::DocumentKind::MetricSample, &doc), Ok(()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The command-line face of this crate is `ispvm-schema` (package `ispvm-examples`):
//! `ispvm-schema registry`, `ispvm-schema show KIND`, `ispvm-schema validate FILE`.
//!
//! ## Features
//! - `validation` (default): the [validation] module, JSON Schema validation of documents with
//!   the `jsonschema` crate. Crates that only need the wire types and the registry (the RCA
//!   engine) turn default features off and do without it.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod analysis;
pub mod conformance;
pub mod incident;
pub mod ingest;
pub mod notification;
pub mod registry;
pub mod scenario;
#[cfg(feature = "validation")]
#[cfg_attr(docsrs, doc(cfg(feature = "validation")))]
pub mod validation;
pub mod version;

/// A canonical event (an item of [`ingest::IngestBatch::events`]).
pub use ispvm_model::Event;
/// A canonical metric sample (an item of [`ingest::IngestBatch::metrics`]).
pub use ispvm_model::Sample as MetricSample;

/// The code blocks of `docs/writing-an-adapter.md`, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/writing-an-adapter.md")]
pub struct WritingAnAdapterDoc;
