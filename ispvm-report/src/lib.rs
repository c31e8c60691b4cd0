//! # ispvm-report: an analysis, for people
//!
//! Renders the [`AnalysisDocument`] the RCA engine produced for a [`Topology`] as what an
//! operator reads or looks at. Pure functions from values to `String`s: no I/O, no clock, no
//! external program.
//!
//! ```text
//!                                       ┌─> text()  ─> terminal / `ispvm-analyze --format text`
//! Topology ─┐                           ├─> dot()   ─> topology.dot  (Graphviz)
//!           ├─> ispvm-rca ─> Analysis ──┼─> svg()   ─> an <svg> to embed (live pages recolour it)
//! samples  ─┘   (ispvm-pipeline)        └─> html()  ─> report.html   (self-contained page)
//! ```
//!
//! The drawing puts upstream entities at the top and draws one arrow from each group member to
//! its dependent: solid for `all` groups, dashed for `any` and `k of n` groups. Entities that
//! name a site are drawn inside a labelled box for that site. Nodes are coloured by status,
//! suppressed entities (unreachable, maintenance) are greyed, root causes get a thick dark red
//! outline and link to their incident. The layout is a layered layout computed here over the
//! topology's own dependency order ([`Topology::topological_order`]).
//!
//! Every string that comes from the analysis or the topology (ids, summaries, reasons,
//! evidence notes, timeline text) is untrusted and is escaped; the HTML page also carries a
//! Content-Security-Policy that allows only its own inline script and style.
//!
//! # Examples
//! ```
//! use ispvm_report::{ReportOptions, SvgOptions, TextOptions, TimelineEntry};
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
//! let text = ispvm_report::text(&analysis, &TextOptions::default());
//! assert!(text.contains("INCIDENT inc-1 (opened 2026-01-01T00:10:00Z)"));
//!
//! let dot = ispvm_report::dot(&topology, &analysis);
//! // agg1 is down: its edge is red, and it is outlined as the primary cause.
//! assert!(dot.contains(r##""agg1" -> "acc1" [color="#c62828"];"##));
//! assert!(dot.contains(r#"label="agg1\ndown · primary cause""#));
//!
//! let svg = ispvm_report::svg(&topology, &analysis, &SvgOptions::default());
//! assert!(svg.contains(r#"data-entity="agg1""#));
//!
//! let options = ReportOptions::new("Outage at pop-north")
//!     .with_timeline(vec![TimelineEntry::new(at, "agg1 stops answering")]);
//! let page = ispvm_report::html(&topology, &analysis, &options);
//! assert!(page.starts_with("<!DOCTYPE html>"));
//! assert!(page.contains("<svg class=\"ispvm-topology\""));
//! assert!(page.contains("agg1 stops answering"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod dot;
mod escape;
mod html;
mod layout;
pub mod svg;
pub mod text;
mod view;

use chrono::{DateTime, Utc};
use ispvm_model::Topology;
use ispvm_schemas::analysis::AnalysisDocument;
use serde::{Deserialize, Serialize};

pub use svg::SvgOptions;
pub use text::TextOptions;

/// Above this many entities the HTML report lists the topology instead of drawing it (the DOT
/// file is always complete). A drawing that large is unreadable and slow to lay out.
pub const DEFAULT_MAX_DRAWN_ENTITIES: usize = 400;

/// One line of the story shown in the report's timeline.
///
/// # Examples
/// ```
/// use ispvm_report::TimelineEntry;
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

/// What the HTML report shows besides the analysis: its title, the timeline, limits and how
/// the topology is drawn.
///
/// Built with [`ReportOptions::new`] and the `with_*` methods, so that options can be added
/// without breaking callers.
///
/// # Examples
/// ```
/// use ispvm_report::{ReportOptions, SvgOptions, TimelineEntry};
/// let at = "2026-01-01T00:10:00Z".parse()?;
/// let options = ReportOptions::new("ispvm demo")
///     .with_timeline(vec![TimelineEntry::new(at, "agg1 fails")])
///     .with_max_drawn_entities(200)
///     .with_svg(SvgOptions::default().with_site_groups(false));
/// assert_eq!(options.title, "ispvm demo");
/// assert_eq!(options.max_drawn_entities, 200);
/// assert!(!options.svg.site_groups);
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
    /// How the topology is drawn (site boxes, links to incidents).
    pub svg: SvgOptions,
}

impl ReportOptions {
    /// Options with this title, no timeline and the default limits and drawing.
    #[must_use]
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            timeline: Vec::new(),
            max_drawn_entities: DEFAULT_MAX_DRAWN_ENTITIES,
            svg: SvgOptions::default(),
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

    /// Sets how the topology is drawn.
    #[must_use]
    pub fn with_svg(mut self, svg: SvgOptions) -> Self {
        self.svg = svg;
        self
    }
}

impl Default for ReportOptions {
    fn default() -> Self {
        Self::new("ispvm incident report")
    }
}

/// The analysis as plain text, for a terminal or a log; see [`TextOptions`] for the two
/// layouts (the full one of `ispvm-analyze --format text`, and a compact summary of the open
/// incidents and suppressions) and for optional ANSI colours.
///
/// # Examples
/// ```
/// use ispvm_report::TextOptions;
/// use ispvm_schemas::analysis::AnalysisDocument;
/// let analysis = AnalysisDocument::new("t".parse()?, "2026-01-01T00:00:00Z".parse()?, vec![], vec![]);
/// assert_eq!(
///     ispvm_report::text(&analysis, &TextOptions::default()),
///     "ispvm analysis of t at 2026-01-01T00:00:00Z\n0 entities, 0 incident(s), 0 suppressed\n"
/// );
/// assert_eq!(
///     ispvm_report::text(&analysis, &TextOptions::compact()),
///     "   no open incident\n   suppressed: none\n"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn text(analysis: &AnalysisDocument, options: &TextOptions) -> String {
    text::render(analysis, options)
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
/// let dot = ispvm_report::dot(&topology, &analysis);
/// assert!(dot.contains(r#""agg2" -> "acc1" [style=dashed, label="any of 2"];"#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn dot(topology: &Topology, analysis: &AnalysisDocument) -> String {
    dot::render(topology, analysis)
}

/// The topology drawn as one `<svg>` element, coloured by the analysis, to embed in a page.
///
/// Upstream entities are at the top; one arrow per group membership points from the member
/// to its dependent (dashed for `any` and `k of n` groups, whose dependents are captioned
/// `needs any of 2`); entities with a site are drawn inside a labelled box per site (see
/// [`SvgOptions::with_site_groups`]).
///
/// The drawing is made to be **recoloured without re-layout** (by a live page that receives
/// status changes), and these names are a stable contract:
/// - every entity is one `<g class="node status-<status> ..." data-entity="<id>"
///   data-status="<status>">` (the `status-*` names are those of
///   [`EntityStatus::as_str`](ispvm_model::EntityStatus::as_str), `status-unknown` when the
///   analysis does not mention the entity); root causes also have the classes `cause` (and
///   `primary`); the status word shown in the node is a `<tspan class="status-text">`;
/// - every edge is one `<path class="edge status-<status of the member> [redundant]"
///   data-from="<member id>" data-to="<dependent id>">`;
/// - every site box is a `<g class="site" data-site="<site>">`.
///
/// Colours are also written as presentation attributes, so the SVG reads well on its own,
/// and [`svg::STYLE`] (a style sheet keyed on those classes, which CSS gives precedence over
/// presentation attributes) recolours it when a class changes. Ids are escaped in attribute
/// values and text; the output is deterministic.
///
/// The layout costs roughly quadratic time in the number of entities of a layer: the HTML
/// report stops drawing above [`DEFAULT_MAX_DRAWN_ENTITIES`], callers of this function
/// decide for themselves.
///
/// # Examples
/// ```
/// use ispvm_model::{DependencyGroup, Entity, EntityKind, EntityReport, EntityStatus, GroupMode, TopologyBuilder};
/// use ispvm_report::SvgOptions;
/// use ispvm_schemas::analysis::AnalysisDocument;
/// let id = |s: &str| s.parse::<ispvm_model::EntityId>().unwrap();
/// let mut b = TopologyBuilder::new("t".parse()?);
/// b.add_entity(Entity::new(id("agg1"), EntityKind::Device).with_site("pop-north"));
/// b.add_entity(Entity::new(id("acc1"), EntityKind::Device).with_site("pop-north"));
/// b.add_group(DependencyGroup::new(id("acc1"), GroupMode::All, vec![id("agg1")]));
/// let topology = b.build()?;
/// let analysis = AnalysisDocument::new(
///     "t".parse()?,
///     "2026-01-01T00:00:00Z".parse()?,
///     vec![EntityReport::new(id("agg1"), EntityStatus::Down)],
///     vec![],
/// );
/// let svg = ispvm_report::svg(&topology, &analysis, &SvgOptions::default());
/// assert!(svg.starts_with("<svg class=\"ispvm-topology\""));
/// assert!(svg.contains(r#"<g class="node status-down" data-entity="agg1" data-status="down""#));
/// assert!(svg.contains(r#"<g class="node status-unknown" data-entity="acc1" data-status="unknown""#));
/// assert!(svg.contains(r#"class="edge status-down" data-from="agg1" data-to="acc1""#));
/// assert!(svg.contains(r#"<g class="site" data-site="pop-north">"#));
/// // The style sheet that recolours it by class, for the embedding page.
/// assert!(ispvm_report::svg::STYLE.contains(".ispvm-topology .node.status-down > rect"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn svg(topology: &Topology, analysis: &AnalysisDocument, options: &SvgOptions) -> String {
    let view = view::View::new(analysis);
    let mut out = String::with_capacity(2048 + topology.entities().len() * 700);
    svg::render(&mut out, topology, &view, options);
    out
}

/// The self-contained HTML report (`report.html`).
///
/// Contains: a header with counts; the topology drawn as inline SVG (see [`svg()`]) with a
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
/// use ispvm_report::ReportOptions;
/// use ispvm_model::{Entity, EntityKind, TopologyBuilder};
/// use ispvm_schemas::analysis::AnalysisDocument;
/// let mut b = TopologyBuilder::new("t".parse()?);
/// b.add_entity(Entity::new("<b>core</b>".parse()?, EntityKind::Device));
/// let topology = b.build()?;
/// let analysis = AnalysisDocument::new("t".parse()?, "2026-01-01T00:00:00Z".parse()?, vec![], vec![]);
/// let page = ispvm_report::html(&topology, &analysis, &ReportOptions::default());
/// assert!(page.contains("&lt;b&gt;core&lt;/b&gt;"));
/// assert!(!page.contains("<b>core"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn html(topology: &Topology, analysis: &AnalysisDocument, options: &ReportOptions) -> String {
    html::render(topology, analysis, options)
}

#[cfg(test)]
mod tests;
