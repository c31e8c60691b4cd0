//! # The visual incident report: `topology.dot` and `report.html`
//!
//! Turns a [`Topology`] and the [`AnalysisDocument`] the RCA engine produced for it into what an
//! operator looks at: a Graphviz file and one self-contained HTML page (inline CSS, inline SVG,
//! no external URL of any kind, works offline and prints well).
//!
//! ```text
//! Topology ─┐                              ┌─> render_dot  ─> topology.dot  (Graphviz)
//!           ├─> ispvm-rca ─> AnalysisDocument
//! scenario ─┘         (+ timeline, title)  └─> render_html ─> report.html   (SVG laid out in Rust)
//! ```
//!
//! The drawing puts upstream entities at the top and draws one arrow from each group member to
//! its dependent: solid for `all` groups, dashed and labelled for `any` and `k of n` groups.
//! Nodes are coloured by status, suppressed entities (unreachable, maintenance) are greyed,
//! root causes get a thick dark red outline and link to their incident. The layout is computed
//! here (a layered layout over the dependency order), so no external program runs.
//!
//! Every string that comes from the analysis or the topology (ids, summaries, reasons,
//! evidence notes, timeline text) is untrusted and is escaped; the page also carries a
//! Content-Security-Policy that allows only its own inline script and style.
//!
//! # Examples
//! ```
//! use ispvm_examples::report::{render_dot, render_html, ReportOptions, TimelineEntry};
//! use ispvm_model::{
//!     CauseKind, CauseRole, Confidence, DependencyGroup, Entity, EntityKind, EntityReport,
//!     EntityStatus, Evidence, GroupMode, Incident, RootCause, SignalState, TopologyBuilder,
//! };
//! use ispvm_schemas::analysis::AnalysisDocument;
//!
//! let id = |s: &str| s.parse::<ispvm_model::EntityId>().unwrap();
//! let mut b = TopologyBuilder::new("demo-isp".parse()?);
//! b.add_entity(Entity::new(id("agg1"), EntityKind::Device));
//! b.add_entity(Entity::new(id("acc1"), EntityKind::Device));
//! b.add_group(DependencyGroup::new(id("acc1"), GroupMode::All, vec![id("agg1")]));
//! let topology = b.build()?;
//!
//! let at = "2026-01-01T00:10:00Z".parse()?;
//! let mut acc1 = EntityReport::new(id("acc1"), EntityStatus::Unreachable);
//! acc1.explained_by = vec![id("agg1")];
//! let cause = RootCause::new(
//!     id("agg1"), CauseRole::Primary, CauseKind::Failure, Confidence::new(0.62)?,
//!     vec![Evidence::signal("reachability", SignalState::Down, at, 0.5)],
//! );
//! let incident = Incident::new("inc-1", at, vec![cause], vec![id("acc1")], 0, "agg1 down");
//! let analysis = AnalysisDocument::new(
//!     "demo-isp".parse()?, at,
//!     vec![acc1, EntityReport::new(id("agg1"), EntityStatus::Down)],
//!     vec![incident],
//! );
//!
//! let dot = render_dot(&topology, &analysis);
//! // agg1 is down: its edge is red, and it is outlined as the primary cause.
//! assert!(dot.contains(r##""agg1" -> "acc1" [color="#c62828"];"##));
//! assert!(dot.contains(r#"label="agg1\ndown · primary cause""#));
//!
//! let options = ReportOptions::new("Outage at pop-north")
//!     .with_timeline(vec![TimelineEntry::new(at, "agg1 stops answering")]);
//! let page = render_html(&topology, &analysis, &options);
//! assert!(page.starts_with("<!DOCTYPE html>"));
//! assert!(page.contains("<svg class=\"topology\""));
//! assert!(page.contains("agg1 stops answering"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod dot;
mod escape;
mod html;
mod layout;
mod svg;
mod view;

use chrono::{DateTime, Utc};
use ispvm_model::Topology;
use ispvm_schemas::analysis::AnalysisDocument;
use serde::{Deserialize, Serialize};

/// Above this many entities the HTML report lists the topology instead of drawing it (the DOT
/// file is always complete). A drawing that large is unreadable and slow to lay out.
pub const DEFAULT_MAX_DRAWN_ENTITIES: usize = 400;

/// One line of the story shown in the report's timeline.
///
/// # Examples
/// ```
/// use ispvm_examples::report::TimelineEntry;
/// let e = TimelineEntry::new("2026-01-01T00:10:00Z".parse()?, "agg1 fails");
/// assert_eq!(e.text, "agg1 fails");
/// # Ok::<(), chrono::ParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TimelineEntry {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// What happened, for a person (untrusted: it is escaped when rendered).
    pub text: String,
}

impl TimelineEntry {
    /// An entry.
    #[must_use]
    pub fn new(at: DateTime<Utc>, text: impl Into<String>) -> Self {
        Self {
            at,
            text: text.into(),
        }
    }
}

/// What the HTML report shows besides the analysis: its title, the timeline, and limits.
///
/// Built with [`ReportOptions::new`] and the `with_*` methods, so that options can be added
/// without breaking callers.
///
/// # Examples
/// ```
/// use ispvm_examples::report::{ReportOptions, TimelineEntry};
/// let at = "2026-01-01T00:10:00Z".parse()?;
/// let options = ReportOptions::new("ispvm demo")
///     .with_timeline(vec![TimelineEntry::new(at, "agg1 fails")])
///     .with_max_drawn_entities(200);
/// assert_eq!(options.title, "ispvm demo");
/// assert_eq!(options.max_drawn_entities, 200);
/// # Ok::<(), chrono::ParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReportOptions {
    /// Page title and heading (untrusted: escaped).
    pub title: String,
    /// Timeline entries, shown in the order given.
    pub timeline: Vec<TimelineEntry>,
    /// Draw the topology only up to this many entities (default
    /// [`DEFAULT_MAX_DRAWN_ENTITIES`]); larger topologies get a note instead of a drawing.
    pub max_drawn_entities: usize,
}

impl ReportOptions {
    /// Options with this title, no timeline and the default limits.
    #[must_use]
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            timeline: Vec::new(),
            max_drawn_entities: DEFAULT_MAX_DRAWN_ENTITIES,
        }
    }

    /// Sets the timeline.
    #[must_use]
    pub fn with_timeline(mut self, timeline: Vec<TimelineEntry>) -> Self {
        self.timeline = timeline;
        self
    }

    /// Adds one timeline entry at the end.
    #[must_use]
    pub fn with_entry(mut self, entry: TimelineEntry) -> Self {
        self.timeline.push(entry);
        self
    }

    /// Sets the largest topology that is drawn.
    #[must_use]
    pub fn with_max_drawn_entities(mut self, max: usize) -> Self {
        self.max_drawn_entities = max;
        self
    }
}

impl Default for ReportOptions {
    fn default() -> Self {
        Self::new("ispvm incident report")
    }
}

/// The topology as a Graphviz digraph (`topology.dot`), coloured by the analysis.
///
/// One node per entity and one edge per group membership, from the member to its dependent;
/// `any` and `k of n` groups give dashed edges labelled `any of 2`, `2 of 3`. Nodes are filled by
/// status (suppressed ones grey), root causes have a thick dark red outline, and edges leaving
/// an unavailable entity are red. Nodes and edges are sorted by id, so the output depends only
/// on the content of the inputs, and every id is quoted and escaped (quotes, backslashes,
/// `/`, any Unicode). Entities the analysis does not mention are drawn as `unknown`.
///
/// # Examples
/// ```
/// use ispvm_examples::report::render_dot;
/// use ispvm_model::{DependencyGroup, Entity, EntityKind, GroupMode, TopologyBuilder};
/// use ispvm_schemas::analysis::AnalysisDocument;
/// let id = |s: &str| s.parse::<ispvm_model::EntityId>().unwrap();
/// let mut b = TopologyBuilder::new("t".parse()?);
/// for n in ["agg1", "agg2", "acc1"] {
///     b.add_entity(Entity::new(id(n), EntityKind::Device));
/// }
/// b.add_group(DependencyGroup::new(id("acc1"), GroupMode::Any, vec![id("agg1"), id("agg2")]));
/// let topology = b.build()?;
/// let analysis = AnalysisDocument::new("t".parse()?, "2026-01-01T00:00:00Z".parse()?, vec![], vec![]);
/// let dot = render_dot(&topology, &analysis);
/// assert!(dot.contains(r#""agg2" -> "acc1" [style=dashed, label="any of 2"];"#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn render_dot(topology: &Topology, analysis: &AnalysisDocument) -> String {
    dot::render(topology, analysis)
}

/// The self-contained HTML report (`report.html`).
///
/// Contains: a header with counts; the topology drawn as inline SVG (laid out here, coloured
/// by status, suppressed entities greyed, causes outlined and linked to their incident) with a
/// legend; every incident with its summary, opening time, primary and contributing causes
/// (kind, confidence, evidence table with weights), impacted entities and subscribers
/// affected; the suppressed entities with what explains them and why; entities that lost
/// redundancy; the timeline; and a table of all entities.
///
/// The page references nothing outside itself: no URL, font, image or CDN. Its
/// Content-Security-Policy allows only its own inline style and script (pinned by hash); the
/// script only records load errors into the page (`#report-errors`, `data-errors` on `<html>`)
/// and sets `data-loaded="true"` on `<html>` once the document is parsed.
///
/// # Examples
/// ```
/// use ispvm_examples::report::{render_html, ReportOptions};
/// use ispvm_model::{Entity, EntityKind, TopologyBuilder};
/// use ispvm_schemas::analysis::AnalysisDocument;
/// let mut b = TopologyBuilder::new("t".parse()?);
/// b.add_entity(Entity::new("<b>core</b>".parse()?, EntityKind::Device));
/// let topology = b.build()?;
/// let analysis = AnalysisDocument::new("t".parse()?, "2026-01-01T00:00:00Z".parse()?, vec![], vec![]);
/// let page = render_html(&topology, &analysis, &ReportOptions::default());
/// assert!(page.contains("&lt;b&gt;core&lt;/b&gt;"));
/// assert!(!page.contains("<b>core"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn render_html(
    topology: &Topology,
    analysis: &AnalysisDocument,
    options: &ReportOptions,
) -> String {
    html::render(topology, analysis, options)
}

#[cfg(test)]
mod tests;
