//! # ispvm-store
//!
//! Persistence for a long-running ispvm service: every tenant's topology (entities, links,
//! normalized dependency groups), the incident history (opened, each change of causes or
//! impact, closed), operator feedback labels, learned evidence weights, maintenance windows,
//! poll summaries and an audit log, in **one embedded SQLite file** (`ispvm.sqlite` in the
//! agent's data directory) or in **PostgreSQL**, behind one concrete [`Store`] type.
//!
//! ```text
//!  collectors -> engine (ispvm-rca) -> AnalysisDocument --apply_analysis--> Store --incidents--> HTTP API
//!                     ^                                                       |
//!                     +---- weights / feedback / maintenance <----------------+
//! ```
//!
//! The store holds no domain logic: it records what the engine decided and answers with the
//! contract's incident objects ([`IncidentRecord`]). Every write is one transaction; a call
//! that returned `Ok` is durable (see [`Durability`]). Schema migrations are embedded and run
//! at [`Store::open`]; [`Store::schema_version`] tells the version. Errors say whether to retry
//! ([`StoreError::is_retryable`]).
//!
//! No subscriber-level data is stored: incidents carry subscriber *counts* only.
//!
//! # Examples
//! ```
//! use ispvm_model::Incident;
//! use ispvm_schemas::analysis::AnalysisDocument;
//! use ispvm_store::{StateFilter, Store};
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! let dir = tempfile::tempdir()?;
//! let store = Store::open_data_dir(dir.path()).await?; // or Store::open("postgres://...")
//! let tenant = "demo-isp".parse()?;
//! let at = "2026-03-14T09:05:00Z".parse()?;
//! let doc = AnalysisDocument::new(
//!     "demo-isp".parse()?, at, vec![], vec![Incident::new("inc-1", at, vec![], vec![], 40, "agg2 down")],
//! );
//! store.apply_analysis(&tenant, &doc).await?;
//! drop(store);
//! // After a restart the incident keeps its id and opened_at.
//! let store = Store::open_data_dir(dir.path()).await?;
//! let open = store.incidents(&tenant, StateFilter::Open).await?;
//! assert_eq!(open[0].incident.id, "inc-1");
//! assert_eq!(open[0].incident.opened_at, at);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

mod audit;
mod error;
mod incidents;
mod learning;
mod maintenance;
mod migrations;
pub mod netbox;
mod outbox;
mod retention;
mod store;
mod topology;

pub use audit::AuditEntry;
pub use error::StoreError;
pub use incidents::{AppliedChanges, IncidentUpdate, StateFilter};
pub use ispvm_schemas::incident::IncidentRecord;
pub use learning::{POLL_BUCKET_SECONDS, PollOutcome, PollSummary};
pub use maintenance::{StoredMaintenance, WindowFilter};
pub use outbox::OutboxEntry;
pub use retention::{RetentionPolicy, RetentionReport, spawn_retention};
pub use store::{Backend, Durability, SQLITE_FILE_NAME, Store, StoreOptions};
pub use topology::{ImportMode, TopologyDiff, TopologyPlan};
