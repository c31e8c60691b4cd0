//! The analysis document (`ispvm.analysis/v1`): what the RCA engine concluded at one instant.

use chrono::{DateTime, Utc};
use ispvm_model::{EntityReport, Incident, TenantId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The `schema` value of an analysis document.
pub const ANALYSIS_SCHEMA: &str = "ispvm.analysis/v1";

/// The analysis document written by `ispvm-analyze` and `ispvm-demo`.
///
/// `entities` holds one row per entity, sorted by id; `incidents` those open at `evaluated_at`,
/// sorted by `opened_at`, then primary cause id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(
    title = "ispvm analysis document",
    rename = "AnalysisDocument",
    description = "What the RCA engine concluded at one instant: one row per entity (sorted by id) and the incidents open at evaluated_at."
)]
#[non_exhaustive]
pub struct AnalysisDocument {
    /// Document type and version: `ispvm.analysis/v1` (or `ispvm.analysis/v1.MINOR`).
    #[schemars(regex(pattern = r"^ispvm\.analysis/v1(\.(0|[1-9][0-9]{0,4}))?$"))]
    pub schema: String,
    /// The tenant analysed.
    pub tenant: TenantId,
    /// The evaluation time.
    pub evaluated_at: DateTime<Utc>,
    /// One row per entity, sorted by id.
    pub entities: Vec<EntityReport>,
    /// Open incidents.
    pub incidents: Vec<Incident>,
}

impl AnalysisDocument {
    /// Checks `schema` with the [versioning rules](crate::version), for programs that read
    /// analysis documents.
    ///
    /// # Errors
    /// [`VersionError`](crate::version::VersionError) when `schema` is not an analysis id of a
    /// version this reader accepts.
    ///
    /// # Examples
    /// ```
    /// use ispvm_schemas::analysis::AnalysisDocument;
    /// let mut doc = AnalysisDocument::new("demo-isp".parse()?, "2026-01-01T00:10:00Z".parse()?, vec![], vec![]);
    /// assert!(doc.check_schema().is_ok());
    /// doc.schema = "ispvm.analysis/v2".into();
    /// assert!(doc.check_schema().is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check_schema(&self) -> Result<(), crate::version::VersionError> {
        crate::version::check_document_id(&self.schema, "analysis")
    }

    /// A document with the current schema id.
    #[must_use]
    pub fn new(
        tenant: TenantId,
        evaluated_at: DateTime<Utc>,
        entities: Vec<EntityReport>,
        incidents: Vec<Incident>,
    ) -> Self {
        Self {
            schema: ANALYSIS_SCHEMA.to_string(),
            tenant,
            evaluated_at,
            entities,
            incidents,
        }
    }
}
