//! What the report shows about each entity: the analysis joined to the topology, and the
//! colours shared by the DOT and SVG renderings.

use std::collections::HashMap;

use ispvm_model::{CauseKind, CauseRole, DependencyGroup, EntityReport, EntityStatus, GroupMode};
use ispvm_schemas::analysis::AnalysisDocument;

/// How an entity is drawn: fill, outline and text colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Look {
    /// Fill colour.
    pub fill: &'static str,
    /// Outline colour.
    pub stroke: &'static str,
    /// Text colour.
    pub text: &'static str,
    /// Dashed outline (maintenance, unknown).
    pub dashed: bool,
    /// Greyed out: the entity is suppressed.
    pub greyed: bool,
}

/// Outline colour of a root cause.
pub(crate) const CAUSE_STROKE: &str = "#7f0000";
/// Colour of edges.
pub(crate) const EDGE_COLOUR: &str = "#607d8b";
/// Colour of edges leaving an entity that is not available (down, unreachable, maintenance).
pub(crate) const EDGE_LOST_COLOUR: &str = "#c62828";

/// The look of a status; `None` (an entity the analysis does not mention) looks `unknown`.
pub(crate) fn look(status: Option<EntityStatus>) -> Look {
    let plain = |fill, stroke, text| Look {
        fill,
        stroke,
        text,
        dashed: false,
        greyed: false,
    };
    match status {
        Some(EntityStatus::Up) => plain("#d7f0d8", "#2e7d32", "#1b3d1d"),
        Some(EntityStatus::Degraded) => plain("#ffe9a8", "#b26a00", "#4a3000"),
        Some(EntityStatus::Down) => plain("#f8c4c4", "#c62828", "#4a0d0d"),
        Some(EntityStatus::Unreachable) => Look {
            fill: "#e6e6e6",
            stroke: "#9e9e9e",
            text: "#6b6b6b",
            dashed: false,
            greyed: true,
        },
        Some(EntityStatus::Maintenance) => Look {
            fill: "#e6e6e6",
            stroke: "#3f5bd8",
            text: "#6b6b6b",
            dashed: true,
            greyed: true,
        },
        _ => Look {
            fill: "#ffffff",
            stroke: "#9e9e9e",
            text: "#424242",
            dashed: true,
            greyed: false,
        },
    }
}

/// Every status, in legend order, with a one-line meaning.
pub(crate) const LEGEND: [(EntityStatus, &str); 6] = [
    (EntityStatus::Up, "observed and working"),
    (
        EntityStatus::Degraded,
        "working but worse, or redundancy lost",
    ),
    (EntityStatus::Down, "failed"),
    (
        EntityStatus::Unreachable,
        "suppressed: something it needs is gone",
    ),
    (
        EntityStatus::Maintenance,
        "suppressed: inside a maintenance window",
    ),
    (EntityStatus::Unknown, "never observed"),
];

/// Whether an entity in this status is usable by its dependents.
pub(crate) fn unavailable(status: Option<EntityStatus>) -> bool {
    matches!(
        status,
        Some(EntityStatus::Down | EntityStatus::Unreachable | EntityStatus::Maintenance)
    )
}

/// An entity's part in the incidents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CauseMark {
    /// Primary cause of some incident.
    pub primary: bool,
    /// Its kind (of the first incident that names it, the primary one when there is one).
    pub kind: CauseKind,
    /// Position of its incident in the analysis.
    pub incident: usize,
}

impl CauseMark {
    /// `primary cause`, `contributing cause`.
    pub(crate) fn label(self) -> &'static str {
        if self.primary {
            "primary cause"
        } else {
            "contributing cause"
        }
    }
}

/// The analysis indexed by entity id.
#[derive(Debug)]
pub(crate) struct View<'a> {
    reports: HashMap<&'a str, &'a EntityReport>,
    causes: HashMap<&'a str, CauseMark>,
}

impl<'a> View<'a> {
    /// Indexes `analysis`. When an id has several rows, the first one counts.
    pub(crate) fn new(analysis: &'a AnalysisDocument) -> Self {
        let mut reports = HashMap::with_capacity(analysis.entities.len());
        for r in &analysis.entities {
            reports.entry(r.id.as_str()).or_insert(r);
        }
        let mut causes: HashMap<&'a str, CauseMark> = HashMap::new();
        for (i, incident) in analysis.incidents.iter().enumerate() {
            for c in &incident.root_causes {
                let mark = CauseMark {
                    primary: c.role == CauseRole::Primary,
                    kind: c.kind,
                    incident: i,
                };
                causes
                    .entry(c.entity.as_str())
                    .and_modify(|m| {
                        if mark.primary && !m.primary {
                            *m = mark;
                        }
                    })
                    .or_insert(mark);
            }
        }
        Self { reports, causes }
    }

    /// The analysis row of `id`.
    pub(crate) fn report(&self, id: &str) -> Option<&'a EntityReport> {
        self.reports.get(id).copied()
    }

    /// The status of `id`, `None` when the analysis does not mention it.
    pub(crate) fn status(&self, id: &str) -> Option<EntityStatus> {
        self.report(id).map(|r| r.status)
    }

    /// Whether `id` is a root cause, and how.
    pub(crate) fn cause(&self, id: &str) -> Option<CauseMark> {
        self.causes.get(id).copied()
    }

    /// The second line of a node: status, cause role, flapping.
    pub(crate) fn caption(&self, id: &str) -> String {
        let mut s = self
            .status(id)
            .map_or("unknown", EntityStatus::as_str)
            .to_string();
        if let Some(c) = self.cause(id) {
            s.push_str(" · ");
            s.push_str(c.label());
        }
        if self.report(id).is_some_and(|r| r.flapping) {
            s.push_str(" · flapping");
        }
        s
    }
}

/// The label of a group's edges: `None` for `all`, `any of 2`, `2 of 3`.
pub(crate) fn group_label(g: &DependencyGroup) -> Option<String> {
    match g.mode {
        GroupMode::All => None,
        GroupMode::Any => Some(format!("any of {}", g.members.len())),
        GroupMode::KofN(k) => Some(format!("{k} of {}", g.members.len())),
        other => Some(other.as_str().to_string()),
    }
}
