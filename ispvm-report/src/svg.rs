//! The topology drawn as SVG: [`svg()`](crate::svg()), its options and the style sheet
//! ([`STYLE`]) that colours it by the status classes, so that a live page can recolour the
//! drawing without laying it out again.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use ispvm_model::Topology;

use super::escape::{html, html_into, truncate_chars};
use super::layout::{self, CLUSTER_LABEL_ROOM, Graph, NODE_HEIGHT, Point};
use super::view::{self, CAUSE_STROKE, EDGE_COLOUR, EDGE_LOST_COLOUR, View};

/// Longest id drawn in a node, in characters (the full id is in the tooltip).
const MAX_LABEL_CHARS: usize = 28;
/// Longest site name drawn on its box, in characters (the full name is in the tooltip).
const MAX_SITE_CHARS: usize = 40;

/// The style sheet of the drawing, keyed on the classes [`svg()`](crate::svg()) writes
/// (`.ispvm-topology`, `.node.status-*`, `.edge.status-*`, `.cause`, `.primary`, `.site`).
///
/// Include it once in a page that embeds the SVG: CSS rules take precedence over the SVG's
/// presentation attributes, so changing a node's `status-*` class (and an edge's, which
/// carries its member's status) recolours it. The HTML report includes it. It loads nothing
/// (its only `url()`s are the arrow markers inside the SVG).
///
/// # Examples
/// ```
/// let css = ispvm_report::svg::STYLE;
/// assert!(css.contains(".ispvm-topology .node.status-up > rect"));
/// assert!(!css.contains("http"));
/// ```
pub const STYLE: &str = r#"
svg.ispvm-topology { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
.ispvm-topology .label { font-size: 12.5px; font-weight: 600; }
.ispvm-topology .caption { font-size: 10.5px; }
.ispvm-topology .group { font-size: 10px; fill: #455a64; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
.ispvm-topology .site > rect { fill: #f5f8fb; stroke: #b0bec5; stroke-width: 1.2; }
.ispvm-topology .site > text { font-size: 11.5px; font-weight: 700; fill: #37474f; letter-spacing: 0.02em; }
.ispvm-topology .node > rect { stroke-width: 1.5; stroke-dasharray: none; }
.ispvm-topology .node.status-up > rect { fill: #d7f0d8; stroke: #2e7d32; }
.ispvm-topology .node.status-up text { fill: #1b3d1d; }
.ispvm-topology .node.status-degraded > rect { fill: #ffe9a8; stroke: #b26a00; }
.ispvm-topology .node.status-degraded text { fill: #4a3000; }
.ispvm-topology .node.status-down > rect { fill: #f8c4c4; stroke: #c62828; }
.ispvm-topology .node.status-down text { fill: #4a0d0d; }
.ispvm-topology .node.status-unreachable > rect { fill: #e6e6e6; stroke: #9e9e9e; }
.ispvm-topology .node.status-unreachable text { fill: #6b6b6b; }
.ispvm-topology .node.status-maintenance > rect { fill: #e6e6e6; stroke: #3f5bd8; stroke-dasharray: 5 3; }
.ispvm-topology .node.status-maintenance text { fill: #6b6b6b; }
.ispvm-topology .node.status-unknown > rect { fill: #ffffff; stroke: #9e9e9e; stroke-dasharray: 5 3; }
.ispvm-topology .node.status-unknown text { fill: #424242; }
.ispvm-topology .node.cause > rect { stroke: #7f0000; stroke-width: 3; }
.ispvm-topology .node.cause.primary > rect { stroke-width: 4; }
.ispvm-topology .node.cause text.caption { fill: #7f0000; }
.ispvm-topology a:hover rect, .ispvm-topology a:focus rect { stroke-width: 5; }
.ispvm-topology .edge { fill: none; stroke: #607d8b; stroke-width: 1.4; marker-end: url(#ispvm-arrow); }
.ispvm-topology .edge.redundant { stroke-dasharray: 6 4; }
.ispvm-topology .edge.status-down, .ispvm-topology .edge.status-unreachable, .ispvm-topology .edge.status-maintenance { stroke: #c62828; marker-end: url(#ispvm-arrow-lost); }
"#;

/// How [`svg()`](crate::svg()) draws the topology.
///
/// # Examples
/// ```
/// use ispvm_report::SvgOptions;
/// let options = SvgOptions::default().with_site_groups(false).with_incident_links(false);
/// assert!(!options.site_groups);
/// assert!(!options.incident_links);
/// assert!(SvgOptions::default().site_groups);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SvgOptions {
    /// Draw the entities of each site inside a labelled box (default `true`). Entities
    /// without a site are drawn outside any box. Without any site in the topology this
    /// changes nothing.
    pub site_groups: bool,
    /// Wrap each root cause in a link to `#incident-N`, the N-th incident of the analysis
    /// counting from 1 (default `true`: the HTML report has those anchors). Turn it off when
    /// the embedding page has no such anchors.
    pub incident_links: bool,
}

impl Default for SvgOptions {
    fn default() -> Self {
        Self {
            site_groups: true,
            incident_links: true,
        }
    }
}

impl SvgOptions {
    /// Sets whether sites are drawn as boxes.
    #[must_use]
    pub fn with_site_groups(mut self, on: bool) -> Self {
        self.site_groups = on;
        self
    }

    /// Sets whether root causes link to their incident.
    #[must_use]
    pub fn with_incident_links(mut self, on: bool) -> Self {
        self.incident_links = on;
        self
    }
}

fn node_width(label: &str, caption: &str) -> f64 {
    let id_w = label.chars().count() as f64 * 7.6 + 26.0;
    let cap_w = caption.chars().count() as f64 * 6.0 + 22.0;
    id_w.max(cap_w).clamp(84.0, 260.0)
}

fn site_label_width(label: &str) -> f64 {
    label.chars().count() as f64 * 7.6 + 16.0
}

fn f(v: f64) -> String {
    // One decimal is plenty for screen coordinates and keeps the output short and stable.
    let r = (v * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// A smooth path through `pts`: vertical tangents at every point, like Graphviz splines.
fn path_d(pts: &[Point]) -> String {
    let mut d = String::new();
    let Some(first) = pts.first() else {
        return d;
    };
    let _ = write!(d, "M{},{}", f(first.x), f(first.y));
    for w in pts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let my = (a.y + b.y) / 2.0;
        let _ = write!(
            d,
            " C{},{} {},{} {},{}",
            f(a.x),
            f(my),
            f(b.x),
            f(my),
            f(b.x),
            f(b.y)
        );
    }
    d
}

/// Appends the `<svg>` of `topology` (see [`svg()`](crate::svg())).
pub(crate) fn render(out: &mut String, topology: &Topology, view: &View<'_>, options: &SvgOptions) {
    // Entities sorted by id: the drawing depends on content only, not on insertion order.
    let mut sorted: Vec<usize> = (0..topology.entities().len()).collect();
    let all = topology.entities();
    sorted.sort_by(|&a, &b| all[a].id.cmp(&all[b].id));
    let entities: Vec<_> = sorted.iter().map(|&i| &all[i]).collect();
    let mut rank_of = vec![0usize; all.len()];
    for (r, &i) in sorted.iter().enumerate() {
        rank_of[i] = r;
    }
    let position: HashMap<&str, usize> = entities
        .iter()
        .enumerate()
        .map(|(i, e)| (e.id.as_str(), i))
        .collect();
    let labels: Vec<String> = entities
        .iter()
        .map(|e| truncate_chars(e.id.as_str(), MAX_LABEL_CHARS).into_owned())
        .collect();
    let captions: Vec<String> = entities
        .iter()
        .map(|e| view.caption(e.id.as_str()))
        .collect();
    let widths: Vec<f64> = labels
        .iter()
        .zip(&captions)
        .map(|(l, c)| node_width(l, c))
        .collect();

    // Sites, by name.
    let mut sites: BTreeMap<&str, usize> = BTreeMap::new();
    if options.site_groups {
        for e in &entities {
            if let Some(site) = e.site.as_deref() {
                let next = sites.len();
                sites.entry(site).or_insert(next);
            }
        }
        for (i, v) in sites.values_mut().enumerate() {
            *v = i;
        }
    }
    let site_names: Vec<&str> = sites.keys().copied().collect();
    let site_labels: Vec<String> = site_names
        .iter()
        .map(|s| truncate_chars(s, MAX_SITE_CHARS).into_owned())
        .collect();
    let cluster_of: Vec<Option<usize>> = entities
        .iter()
        .map(|e| e.site.as_deref().and_then(|s| sites.get(s).copied()))
        .collect();
    let cluster_widths: Vec<f64> = site_labels.iter().map(|l| site_label_width(l)).collect();

    // Edge memberships: (member, dependent, group label).
    let mut memberships: Vec<(usize, usize, Option<String>)> = Vec::new();
    let mut group_captions: Vec<Vec<String>> = vec![Vec::new(); entities.len()];
    for g in topology.groups() {
        let Some(&dep) = position.get(g.dependent.as_str()) else {
            continue;
        };
        let label = view::group_label(g);
        if let (Some(l), Some(caps)) = (&label, group_captions.get_mut(dep)) {
            caps.push(format!("needs {l}"));
        }
        for m in &g.members {
            if let Some(&mi) = position.get(m.as_str()) {
                memberships.push((mi, dep, label.clone()));
            }
        }
    }
    memberships.sort();
    let pairs: Vec<(usize, usize)> = memberships.iter().map(|&(a, b, _)| (a, b)).collect();
    // The topology's own dependency order, in drawing indices.
    let order: Vec<usize> = topology
        .topological_order()
        .iter()
        .filter_map(|&i| rank_of.get(i as usize).copied())
        .collect();
    let lay = layout::layered(Graph {
        widths: &widths,
        edges: &pairs,
        order: &order,
        cluster_of: &cluster_of,
        cluster_widths: &cluster_widths,
    });
    let paths: HashMap<(usize, usize), &Vec<Point>> =
        lay.edges.iter().map(|(p, pts)| (*p, pts)).collect();

    let _ = write!(
        out,
        "<svg class=\"ispvm-topology\" id=\"topology\" xmlns=\"http://www.w3.org/2000/svg\" \
         viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" \
         aria-labelledby=\"topology-title\">\n\
         <title id=\"topology-title\">Topology: {n} entities, upstream at the top</title>\n\
         <defs>\
         <marker id=\"ispvm-arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"8\" \
         markerHeight=\"8\" orient=\"auto\"><path d=\"M0,1 L10,5 L0,9 z\" fill=\"{EDGE_COLOUR}\"/></marker>\
         <marker id=\"ispvm-arrow-lost\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"8\" \
         markerHeight=\"8\" orient=\"auto\"><path d=\"M0,1 L10,5 L0,9 z\" fill=\"{EDGE_LOST_COLOUR}\"/></marker>\
         </defs>\n",
        w = f(lay.width),
        h = f(lay.height),
        n = entities.len(),
    );

    if !lay.clusters.is_empty() {
        out.push_str("<g class=\"sites\">\n");
        for b in &lay.clusters {
            let name = site_names.get(b.cluster).copied().unwrap_or("");
            let label = site_labels.get(b.cluster).map_or("", String::as_str);
            let _ = write!(
                out,
                "<g class=\"site\" data-site=\"{}\"><title>site ",
                html(name)
            );
            html_into(out, name);
            let _ = write!(
                out,
                "</title><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"12\" \
                 fill=\"#f5f8fb\" stroke=\"#b0bec5\" stroke-width=\"1.2\"/>\
                 <text x=\"{}\" y=\"{}\" fill=\"#37474f\">",
                f(b.x),
                f(b.y),
                f(b.width),
                f(b.height),
                f(b.x + 10.0),
                f(b.y + CLUSTER_LABEL_ROOM - 2.0),
            );
            html_into(out, label);
            out.push_str("</text></g>\n");
        }
        out.push_str("</g>\n");
    }

    out.push_str("<g class=\"edges\">\n");
    for (member, dep, label) in &memberships {
        let Some(pts) = paths.get(&(*member, *dep)) else {
            continue;
        };
        let (Some(from), Some(to)) = (entities.get(*member), entities.get(*dep)) else {
            continue;
        };
        let status = view.status(from.id.as_str());
        let status_name = status.map_or("unknown", |s| s.as_str());
        let lost = view::unavailable(status);
        let (colour, marker) = if lost {
            (EDGE_LOST_COLOUR, "ispvm-arrow-lost")
        } else {
            (EDGE_COLOUR, "ispvm-arrow")
        };
        let _ = writeln!(
            out,
            "<path class=\"edge status-{status_name}{}\" data-from=\"{}\" data-to=\"{}\" d=\"{}\" \
             fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.4\"{} marker-end=\"url(#{marker})\"/>",
            if label.is_some() { " redundant" } else { "" },
            html(from.id.as_str()),
            html(to.id.as_str()),
            path_d(pts),
            if label.is_some() {
                " stroke-dasharray=\"6 4\""
            } else {
                ""
            },
        );
    }
    out.push_str("</g>\n<g class=\"nodes\">\n");

    for (i, e) in entities.iter().enumerate() {
        let id = e.id.as_str();
        let Some(p) = lay.nodes.get(i) else {
            continue;
        };
        let w = widths.get(i).copied().unwrap_or(84.0);
        let status = view.status(id);
        let look = view::look(status);
        let cause = view.cause(id);
        let status_name = status.map_or("unknown", |s| s.as_str());
        let mut class = format!("node status-{status_name}");
        if look.greyed {
            class.push_str(" suppressed");
        }
        let link = cause.filter(|_| options.incident_links);
        if let Some(c) = cause {
            class.push_str(if c.primary {
                " cause primary"
            } else {
                " cause"
            });
        }
        if let Some(c) = link {
            let _ = write!(out, "<a href=\"#incident-{}\">", c.incident + 1);
        }
        let _ = write!(
            out,
            "<g class=\"{class}\" data-entity=\"{}\" data-status=\"{status_name}\" transform=\"translate({},{})\">",
            html(id),
            f(p.x),
            f(p.y)
        );
        out.push_str("<title>");
        html_into(out, id);
        let _ = write!(out, " ({}", e.kind.as_str());
        if let Some(role) = e.role {
            let _ = write!(out, ", {}", role.as_str());
        }
        if let Some(site) = e.site.as_deref() {
            out.push_str(", site ");
            html_into(out, site);
        }
        out.push_str("): ");
        html_into(out, captions.get(i).map_or("", String::as_str));
        out.push_str("</title>");
        let (stroke, stroke_w) = match cause {
            Some(c) if c.primary => (CAUSE_STROKE, "4"),
            Some(_) => (CAUSE_STROKE, "3"),
            None => (look.stroke, "1.5"),
        };
        let _ = write!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"9\" fill=\"{}\" stroke=\"{stroke}\" stroke-width=\"{stroke_w}\"{}/>",
            f(-w / 2.0),
            f(-NODE_HEIGHT / 2.0),
            f(w),
            f(NODE_HEIGHT),
            look.fill,
            if look.dashed {
                " stroke-dasharray=\"5 3\""
            } else {
                ""
            }
        );
        let _ = write!(
            out,
            "<text class=\"label\" y=\"-4\" text-anchor=\"middle\" fill=\"{}\">",
            look.text
        );
        html_into(out, labels.get(i).map_or("", String::as_str));
        let caption_colour = if cause.is_some() {
            CAUSE_STROKE
        } else {
            look.text
        };
        let _ = write!(
            out,
            "</text><text class=\"caption\" y=\"13\" text-anchor=\"middle\" fill=\"{caption_colour}\">"
        );
        // The status word in its own element, for a live page to replace.
        let caption = captions.get(i).map_or("", String::as_str);
        let rest = caption.strip_prefix(status_name).unwrap_or(caption);
        let _ = write!(out, "<tspan class=\"status-text\">{status_name}</tspan>");
        html_into(out, rest);
        out.push_str("</text>");
        if let Some(caps) = group_captions.get(i).filter(|c| !c.is_empty()) {
            let _ = write!(
                out,
                "<text class=\"group\" y=\"{}\" text-anchor=\"middle\">",
                f(-NODE_HEIGHT / 2.0 - 6.0)
            );
            html_into(out, &caps.join(" · "));
            out.push_str("</text>");
        }
        out.push_str("</g>");
        if link.is_some() {
            out.push_str("</a>");
        }
        out.push('\n');
    }
    out.push_str("</g>\n</svg>\n");
}
