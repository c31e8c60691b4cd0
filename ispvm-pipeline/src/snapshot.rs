//! What the pipeline reports: [`Snapshot`], ingest outcomes, churn and RADIUS rates.

use std::fmt;

use chrono::{DateTime, Utc};
use ispvm_model::{EntityId, Event, Incident};
use ispvm_pppoe::classes::Classification;
use ispvm_schemas::analysis::AnalysisDocument;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The id of an ingest batch: what makes [`Pipeline::ingest_batch`](crate::Pipeline::ingest_batch)
/// idempotent.
///
/// The wire batch has no id field, so [`BatchId::of`] derives one from its content (SHA-256 of
/// its canonical JSON): a batch delivered twice has the same id. A transport that has its own
/// message id (a JetStream sequence, an HTTP idempotency key) can use [`BatchId::new`].
///
/// # Examples
/// ```
/// use ispvm_pipeline::BatchId;
/// assert_eq!(BatchId::new("js-42").as_str(), "js-42");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct BatchId(String);

impl BatchId {
    /// An id given by the transport.
    #[must_use]
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The id derived from a batch's content: `sha256:` and the hex digest of its JSON.
    #[must_use]
    pub fn of(batch: &ispvm_schemas::ingest::IngestBatch) -> Self {
        let digest = Sha256::digest(batch.to_json().as_bytes());
        Self(format!("sha256:{}", hex::encode(digest)))
    }

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BatchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What one ingest call used.
///
/// Every sample lands in exactly one of `used`, `unknown_entity`, `unused` and `invalid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[non_exhaustive]
pub struct IngestStats {
    /// Samples that fed a rule (an observation, the session tracker, a RADIUS rate or the
    /// classifier's history).
    pub used: usize,
    /// Samples of entities neither in the topology nor under one of its entities.
    pub unknown_entity: usize,
    /// Samples of metrics no rule reads.
    pub unused: usize,
    /// Samples refused by a rule (text or non-finite value, a session count older than the
    /// newest, an incomplete RADIUS counter group).
    pub invalid: usize,
    /// Observations given to the engine.
    pub observations: usize,
    /// Events accepted (held for the next snapshot).
    pub events: usize,
}

impl IngestStats {
    pub(crate) fn add(&mut self, other: &IngestStats) {
        self.used += other.used;
        self.unknown_entity += other.unknown_entity;
        self.unused += other.unused;
        self.invalid += other.invalid;
        self.observations += other.observations;
        self.events += other.events;
    }
}

/// The outcome of [`Pipeline::ingest_batch`](crate::Pipeline::ingest_batch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum IngestOutcome {
    /// The batch was applied.
    Applied {
        /// Its id.
        id: BatchId,
        /// What it fed.
        stats: IngestStats,
    },
    /// A batch with this id was applied recently: nothing was done.
    Duplicate {
        /// Its id.
        id: BatchId,
    },
}

impl IngestOutcome {
    /// Whether the batch was a duplicate.
    #[must_use]
    pub fn is_duplicate(&self) -> bool {
        matches!(self, IngestOutcome::Duplicate { .. })
    }
}

/// Session churn of one concentrator, from its last two `/ppp/active` listings.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ChurnReport {
    /// The concentrator.
    pub concentrator: EntityId,
    /// Time of the latest listing.
    pub at: DateTime<Utc>,
    /// Connects plus disconnects per minute between the last two listings.
    pub churn_per_min: Option<f64>,
    /// Sessions only in the latest listing.
    pub connects: u64,
    /// Sessions only in the previous listing.
    pub disconnects: u64,
    /// Sessions in the latest listing.
    pub active: u64,
    /// Connects since tracking began.
    pub connects_total: u64,
    /// Disconnects since tracking began.
    pub disconnects_total: u64,
}

/// The latest RADIUS failure rate one concentrator measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct RadiusRate {
    /// The RADIUS client entry (`DEV/radius/ADDR`).
    pub client: EntityId,
    /// The device that measured it (`DEV`).
    pub concentrator: EntityId,
    /// The server's topology entity, when known.
    pub server: Option<EntityId>,
    /// Time of the later counter reading.
    pub at: DateTime<Utc>,
    /// Rejects plus timeouts over requests, 0 to 1.
    pub failure_rate: f64,
    /// Whether it is at or above the configured threshold.
    pub degraded: bool,
}

/// The classes ispvm-pppoe's classifier gives one incident: the most confident class of each
/// concentrator among its root causes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct IncidentClasses {
    /// The incident id (as in the analysis).
    pub incident: String,
    /// One class per classified concentrator, in root-cause order.
    pub classes: Vec<Classification>,
}

/// The state of one tenant at an instant: what [`Pipeline::snapshot`](crate::Pipeline::snapshot)
/// returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Snapshot {
    /// The evaluation time.
    pub at: DateTime<Utc>,
    /// 1 for the first snapshot of the pipeline, then +1 per snapshot.
    pub sequence: u64,
    /// Whether anything but the time differs from the previous snapshot (analysis, classes,
    /// churn, RADIUS rates), or events arrived since; always true for the first snapshot.
    pub changed: bool,
    /// The analysis (`ispvm.analysis/v1`).
    pub analysis: AnalysisDocument,
    /// Ids of the incidents open now that were not open in the previous snapshot, in incident
    /// order.
    pub opened: Vec<String>,
    /// The incidents open in the previous snapshot that are not open now, as they were last
    /// reported, by id.
    pub closed: Vec<Incident>,
    /// The classes of the open incidents that have any, in incident order.
    pub classes: Vec<IncidentClasses>,
    /// Churn of every concentrator listed at least twice, by id.
    pub churn: Vec<ChurnReport>,
    /// The latest RADIUS failure rate of every client entry, by id.
    pub radius: Vec<RadiusRate>,
    /// Events since the previous snapshot: ingested ones and those the pipeline derived
    /// (`pppoe.sessions.dropped`), in arrival order.
    pub events: Vec<Event>,
    /// Events dropped since the previous snapshot because more than
    /// [`PipelineConfig::max_pending_events`](crate::PipelineConfig::max_pending_events) were held.
    pub events_dropped: u64,
}

impl Snapshot {
    /// The total number of subscribers affected by the open incidents.
    ///
    /// # Examples
    /// ```
    /// # use ispvm_pipeline::{Pipeline, PipelineConfig};
    /// # let t = { let mut b = ispvm_model::TopologyBuilder::new("t".parse()?); b.add_entity(ispvm_model::Entity::new("a".parse()?, ispvm_model::EntityKind::Device)); b.build()? };
    /// let mut p = Pipeline::new(t, PipelineConfig::standard());
    /// assert_eq!(p.snapshot("2026-01-01T00:00:00Z".parse()?).subscribers_affected(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn subscribers_affected(&self) -> u64 {
        self.analysis
            .incidents
            .iter()
            .map(|i| i.subscribers_affected)
            .sum()
    }

    /// The classes of one incident (empty when the classifier recognised nothing).
    #[must_use]
    pub fn classes_of(&self, incident: &str) -> &[Classification] {
        self.classes
            .iter()
            .find(|c| c.incident == incident)
            .map_or(&[], |c| c.classes.as_slice())
    }
}
