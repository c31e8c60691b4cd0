//! [`Analysis`]: the result of one evaluation (statuses, explanations, incidents), and the
//! confidence formula it reports with.

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use ispvm_model::{Confidence, EntityId, EntityReport, EntityStatus, Incident, TenantId, Topology};
use ispvm_schemas::analysis::AnalysisDocument;

use crate::index::Index;
use crate::store::IdMap;

/// Most a single evidence item can contribute to a confidence (never 1.0 from one signal).
pub const SINGLE_SIGNAL_CAP: f64 = Confidence::SINGLE_SIGNAL_CAP;
/// Half-saturation constant of the weight -> probability map.
pub const HALF_SATURATION: f64 = Confidence::HALF_SATURATION;

/// Confidence from evidence weights: [`Confidence::from_weights`] without a factor (each item
/// gives `p = 0.8 * w / (w + 5)`, independent items combine as `1 - prod(1 - p)`, the result is
/// rounded to 3 decimals and kept in `[0.01, 0.99]`).
///
/// # Examples
/// ```
/// use ispvm_rca::confidence_from_weights;
/// let one = confidence_from_weights(&[10.0]);
/// assert!((one - 0.533).abs() < 1e-9);
/// assert!(confidence_from_weights(&[1e9]) <= 0.8); // one signal never reaches 1.0
/// assert!(confidence_from_weights(&[10.0, 7.0]) > one); // corroboration raises it
/// ```
#[must_use]
pub fn confidence_from_weights(weights: &[f64]) -> f64 {
    Confidence::from_weights(weights.iter().copied(), 1.0).get()
}

/// The result of [`Engine::evaluate`](crate::Engine::evaluate): every entity's status and explanation, and the open
/// incidents. Compact: per-entity rows are materialised on demand ([`Analysis::report`],
/// [`Analysis::to_document`]).
#[derive(Debug, Clone)]
pub struct Analysis {
    pub(crate) topology: Arc<Topology>,
    pub(crate) index: Arc<Index>,
    pub(crate) evaluated_at: DateTime<Utc>,
    pub(crate) status: Vec<EntityStatus>,
    pub(crate) available: Vec<bool>,
    pub(crate) grp_avail: Vec<u32>,
    pub(crate) unsat: Vec<u32>,
    pub(crate) explained: Vec<u32>,
    pub(crate) sets: Vec<Box<[u32]>>,
    pub(crate) flapping: Vec<bool>,
    pub(crate) maintenance_end: IdMap<DateTime<Utc>>,
    pub(crate) incidents: Vec<Incident>,
    pub(crate) sorted: Arc<OnceLock<Vec<u32>>>,
}

impl PartialEq for Analysis {
    fn eq(&self, o: &Self) -> bool {
        self.evaluated_at == o.evaluated_at
            && self.status == o.status
            && self.available == o.available
            && self.grp_avail == o.grp_avail
            && self.unsat == o.unsat
            && self.flapping == o.flapping
            && self.incidents == o.incidents
            && (0..self.status.len()).all(|i| self.explained_by_idx(i) == o.explained_by_idx(i))
    }
}

impl Analysis {
    /// The evaluation time.
    #[must_use]
    pub fn evaluated_at(&self) -> DateTime<Utc> {
        self.evaluated_at
    }

    /// The tenant.
    #[must_use]
    pub fn tenant(&self) -> &TenantId {
        self.topology.tenant()
    }

    /// Open incidents, sorted by `opened_at`, then primary cause id.
    #[must_use]
    pub fn incidents(&self) -> &[Incident] {
        &self.incidents
    }

    /// The status of entity `id`.
    #[must_use]
    pub fn status(&self, id: &str) -> Option<EntityStatus> {
        self.status.get(self.topology.index_of(id)?).copied()
    }

    /// Whether entity `id` is available (not failed, every group satisfied).
    #[must_use]
    pub fn is_available(&self, id: &str) -> Option<bool> {
        self.available.get(self.topology.index_of(id)?).copied()
    }

    /// Ids of the suppressed entities (status `unreachable` or `maintenance`), in entity order.
    pub fn suppressed(&self) -> impl Iterator<Item = &EntityId> + '_ {
        self.status
            .iter()
            .zip(self.topology.entities())
            .filter(|(s, _)| s.is_suppressed())
            .map(|(_, e)| &e.id)
    }

    fn explained_by_idx(&self, i: usize) -> Vec<&EntityId> {
        let Some(&sid) = self.explained.get(i) else {
            return Vec::new();
        };
        let Some(set) = self.sets.get(sid as usize) else {
            return Vec::new();
        };
        let entities = self.topology.entities();
        let mut ids: Vec<&EntityId> = set
            .iter()
            .filter_map(|&c| entities.get(c as usize).map(|e| &e.id))
            .collect();
        ids.sort();
        ids
    }

    fn report_idx(&self, i: usize) -> Option<EntityReport> {
        let entity = self.topology.entities().get(i)?;
        let status = *self.status.get(i)?;
        let mut r = EntityReport::new(entity.id.clone(), status);
        r.explained_by = self.explained_by_idx(i).into_iter().cloned().collect();
        let groups = self.topology.groups();
        let entities = self.topology.entities();
        for &g in self.index.groups_of.row(i) {
            let g = g as usize;
            let (Some(group), Some(&count), Some(&required)) = (
                groups.get(g),
                self.grp_avail.get(g),
                self.index.required.get(g),
            ) else {
                continue;
            };
            let members = self.index.members.row(g);
            if count < required {
                let missing: Vec<&str> = members
                    .iter()
                    .filter(|&&m| !self.available.get(m as usize).copied().unwrap_or(true))
                    .filter_map(|&m| entities.get(m as usize).map(|e| e.id.as_str()))
                    .collect();
                r.reasons.push(format!(
                    "{group} unsatisfied: {} unavailable",
                    missing.join(", ")
                ));
            } else if (count as usize) < members.len() {
                r.redundancy_lost.push(group.to_string());
            }
        }
        if status == EntityStatus::Maintenance {
            if let Some(end) = self.maintenance_end.get(&(i as u32)) {
                r.reasons.push(format!(
                    "in maintenance until {}",
                    end.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
                ));
            }
        }
        r.flapping = self.flapping.get(i).copied().unwrap_or(false);
        Some(r)
    }

    /// The full report row of entity `id`.
    #[must_use]
    pub fn report(&self, id: &str) -> Option<EntityReport> {
        self.report_idx(self.topology.index_of(id)?)
    }

    fn sorted_indices(&self) -> &[u32] {
        self.sorted.get_or_init(|| {
            let entities = self.topology.entities();
            let mut v: Vec<u32> = (0..entities.len() as u32).collect();
            v.sort_by(|&a, &b| entities[a as usize].id.cmp(&entities[b as usize].id));
            v
        })
    }

    /// Every entity's report row, sorted by id.
    #[must_use]
    pub fn reports(&self) -> Vec<EntityReport> {
        self.sorted_indices()
            .iter()
            .filter_map(|&i| self.report_idx(i as usize))
            .collect()
    }

    /// The analysis document (`ispvm.analysis/v1`) of the scenario contract.
    #[must_use]
    pub fn to_document(&self) -> AnalysisDocument {
        AnalysisDocument::new(
            self.topology.tenant().clone(),
            self.evaluated_at,
            self.reports(),
            self.incidents.clone(),
        )
    }
}

impl From<Analysis> for AnalysisDocument {
    fn from(a: Analysis) -> Self {
        a.to_document()
    }
}

impl From<&Analysis> for AnalysisDocument {
    fn from(a: &Analysis) -> Self {
        a.to_document()
    }
}
