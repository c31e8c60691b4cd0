//! The scenario document (`ispvm.scenario/v1`): a topology, maintenance windows and
//! observations, as read by `ispvm-analyze` (see `docs/spec/scenario.md`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use ispvm_model::{
    DependencyGroup, Entity, EntityId, MaintenanceWindow, Observation, TenantId, Topology,
    TopologyBuilder, TopologyError,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The `schema` value of a scenario document.
pub const SCENARIO_SCHEMA: &str = "ispvm.scenario/v1";

/// A scenario document as it is written in a file.
///
/// Reading it (serde) checks the shape of each item; [`ScenarioDocument::into_scenario`] then
/// checks the structure (references, cycles...) and names the offending place.
///
/// # Examples
/// ```
/// use ispvm_schemas::scenario::ScenarioDocument;
/// let doc: ScenarioDocument = serde_json::from_str(r#"{
///   "schema": "ispvm.scenario/v1", "tenant": "demo-isp",
///   "entities": [{"id": "agg1", "kind": "device"}, {"id": "acc1", "kind": "device"}],
///   "dependencies": [{"dependent": "acc1", "mode": "all", "members": ["agg1"]}],
///   "observations": [{"at": "2026-01-01T00:10:00Z", "entity": "agg1", "signal": "reachability", "state": "down"}]
/// }"#)?;
/// let scenario = doc.into_scenario()?;
/// assert_eq!(scenario.topology.entities().len(), 2);
/// assert_eq!(scenario.latest_observation_time(), Some("2026-01-01T00:10:00Z".parse()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(
    title = "ispvm scenario document",
    rename = "ScenarioDocument",
    description = "A topology (entities and dependency groups), maintenance windows and observations of one tenant, as read by ispvm-analyze."
)]
#[non_exhaustive]
pub struct ScenarioDocument {
    /// Document type and version: `ispvm.scenario/v1` (or `ispvm.scenario/v1.MINOR`).
    #[schemars(regex(pattern = r"^ispvm\.scenario/v1(\.(0|[1-9][0-9]{0,4}))?$"))]
    pub schema: String,
    /// The tenant the scenario belongs to.
    pub tenant: TenantId,
    /// Every entity of the topology.
    pub entities: Vec<Entity>,
    /// Dependency groups; a dependent needs every one of its groups.
    #[serde(default)]
    pub dependencies: Vec<DependencyGroup>,
    /// Maintenance windows.
    #[serde(default)]
    pub maintenance: Vec<MaintenanceWindow>,
    /// Observations, in any order.
    #[serde(default)]
    pub observations: Vec<Observation>,
}

/// A validated scenario, ready for the RCA engine.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Scenario {
    /// The validated topology.
    pub topology: Topology,
    /// Maintenance windows (every entity they name exists).
    pub maintenance: Vec<MaintenanceWindow>,
    /// Observations (every entity they name exists), in document order.
    pub observations: Vec<Observation>,
}

impl Scenario {
    /// The time of the latest observation, the default evaluation time of `ispvm-analyze`.
    #[must_use]
    pub fn latest_observation_time(&self) -> Option<DateTime<Utc>> {
        self.observations.iter().map(|o| o.at).max()
    }
}

/// Why a scenario document is structurally invalid. [`ScenarioError::pointer`] names the place.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// `schema` is not a scenario document id (`ispvm.scenario/v1`).
    #[error("unsupported schema {found:?}, expected {SCENARIO_SCHEMA:?}")]
    UnsupportedSchema {
        /// The `schema` value found.
        found: String,
    },
    /// `schema` names a scenario version this reader does not accept (unknown major, or a
    /// minor outside the reader's window; see [`crate::version`]).
    #[error("/schema: {0}")]
    Version(crate::version::VersionError),
    /// The topology is invalid.
    #[error("{pointer}: {source}")]
    Topology {
        /// JSON pointer of the offending place.
        pointer: String,
        /// The topology error.
        source: TopologyError,
    },
    /// A maintenance window names an unknown entity.
    #[error("{pointer}: maintenance names unknown entity {id}")]
    UnknownMaintenanceEntity {
        /// JSON pointer of the offending id.
        pointer: String,
        /// The unknown id.
        id: EntityId,
    },
    /// An observation names an unknown entity.
    #[error("{pointer}: observation of unknown entity {id}")]
    UnknownObservedEntity {
        /// JSON pointer of the offending id.
        pointer: String,
        /// The unknown id.
        id: EntityId,
    },
}

impl ScenarioError {
    /// JSON pointer of the offending place in the document.
    #[must_use]
    pub fn pointer(&self) -> &str {
        match self {
            ScenarioError::UnsupportedSchema { .. } | ScenarioError::Version(_) => "/schema",
            ScenarioError::Topology { pointer, .. }
            | ScenarioError::UnknownMaintenanceEntity { pointer, .. }
            | ScenarioError::UnknownObservedEntity { pointer, .. } => pointer,
        }
    }
}

impl ScenarioDocument {
    /// Validates the document into a [`Scenario`].
    ///
    /// # Errors
    /// [`ScenarioError`] naming the offending place: an unsupported `schema` (another document,
    /// or a version refused by the [versioning rules](crate::version)), an invalid topology
    /// (duplicate ids, unknown references, empty groups, `k` out of range, self-dependency,
    /// cycles, foreign tenants), or maintenance/observations naming unknown entities.
    pub fn into_scenario(self) -> Result<Scenario, ScenarioError> {
        use crate::version::{DocumentId, SchemaVersion};
        match DocumentId::parse(&self.schema) {
            Ok(id) if id.document == "scenario" => id
                .check("scenario", SchemaVersion::CURRENT)
                .map_err(ScenarioError::Version)?,
            _ => {
                let found = self.schema.chars().take(64).collect();
                return Err(ScenarioError::UnsupportedSchema { found });
            }
        }
        let positions: HashMap<&EntityId, usize> = self
            .entities
            .iter()
            .enumerate()
            .map(|(i, e)| (&e.id, i))
            .collect();
        let entity_pointer = |id: &EntityId| {
            positions
                .get(id)
                .map_or_else(|| "/entities".to_string(), |i| format!("/entities/{i}"))
        };
        let topology_pointer = |e: &TopologyError| -> String {
            match e {
                TopologyError::DuplicateEntity { second, .. } => format!("/entities/{second}"),
                TopologyError::ForeignTenant { id, .. } => format!("{}/tenant", entity_pointer(id)),
                TopologyError::UnknownEndpoint { entity, .. } => {
                    format!("{}/endpoints", entity_pointer(entity))
                }
                TopologyError::UnknownDependent { group, .. }
                | TopologyError::EmptyGroup { group }
                | TopologyError::SelfDependency { group } => {
                    format!("/dependencies/{}", group.index)
                }
                TopologyError::UnknownMember { group, .. }
                | TopologyError::DuplicateMember { group, .. } => {
                    format!("/dependencies/{}/members", group.index)
                }
                TopologyError::KOutOfRange { group, .. } => {
                    format!("/dependencies/{}/k", group.index)
                }
                _ => "/dependencies".to_string(),
            }
        };
        let known: std::collections::HashSet<&EntityId> = positions.keys().copied().collect();
        for (wi, w) in self.maintenance.iter().enumerate() {
            for (ei, id) in w.entities().iter().enumerate() {
                if !known.contains(id) {
                    return Err(ScenarioError::UnknownMaintenanceEntity {
                        pointer: format!("/maintenance/{wi}/entities/{ei}"),
                        id: id.clone(),
                    });
                }
            }
        }
        for (oi, o) in self.observations.iter().enumerate() {
            if !known.contains(&o.entity) {
                return Err(ScenarioError::UnknownObservedEntity {
                    pointer: format!("/observations/{oi}/entity"),
                    id: o.entity.clone(),
                });
            }
        }
        let mut builder = TopologyBuilder::new(self.tenant.clone());
        builder.reserve(self.entities.len(), self.dependencies.len());
        builder
            .entities(self.entities.iter().cloned())
            .groups(self.dependencies.iter().cloned());
        let topology = builder.build().map_err(|source| ScenarioError::Topology {
            pointer: topology_pointer(&source),
            source,
        })?;
        Ok(Scenario {
            topology,
            maintenance: self.maintenance,
            observations: self.observations,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(deps: &str) -> ScenarioDocument {
        serde_json::from_str(&format!(
            r#"{{"schema":"ispvm.scenario/v1","tenant":"t",
                "entities":[{{"id":"a","kind":"device"}},{{"id":"b","kind":"device"}}],
                "dependencies":{deps}}}"#
        ))
        .unwrap()
    }

    #[test]
    fn errors_carry_pointers() {
        let e = doc(r#"[{"dependent":"a","mode":"all","members":["b"]},{"dependent":"b","mode":"kofn","k":3,"members":["a"]}]"#)
            .into_scenario()
            .unwrap_err();
        assert_eq!(e.pointer(), "/dependencies/1/k");
        let e = doc(r#"[{"dependent":"a","mode":"all","members":["b"]},{"dependent":"b","mode":"all","members":["a"]}]"#)
            .into_scenario()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "/dependencies: dependency cycle: a -> b -> a"
        );
        let mut d = doc("[]");
        d.schema = "ispvm.scenario/v9".into();
        assert_eq!(d.into_scenario().unwrap_err().pointer(), "/schema");
    }

    #[test]
    fn schema_versions() {
        use crate::version::{SchemaVersion, VersionError};
        let with = |schema: &str| {
            let mut d = doc("[]");
            d.schema = schema.into();
            d.into_scenario().map(drop)
        };
        assert!(with("ispvm.scenario/v1").is_ok());
        assert!(with("ispvm.scenario/v1.0").is_ok());
        let e = with("ispvm.scenario/v2").unwrap_err();
        assert_eq!(
            e,
            ScenarioError::Version(VersionError::UnknownMajor {
                found: "v2".into(),
                supported: 1
            })
        );
        assert_eq!(
            e.to_string(),
            "/schema: unsupported major version v2: this reader supports major 1 only"
        );
        assert_eq!(
            with("ispvm.scenario/v1.3").unwrap_err(),
            ScenarioError::Version(VersionError::TooNew {
                found: SchemaVersion::new(1, 3),
                oldest: SchemaVersion::new(1, 0),
                newest: SchemaVersion::new(1, 0),
            })
        );
        for other in ["ispvm.analysis/v1", "scenario", ""] {
            assert_eq!(
                with(other).unwrap_err(),
                ScenarioError::UnsupportedSchema {
                    found: other.into()
                },
                "{other}"
            );
        }
    }
}
