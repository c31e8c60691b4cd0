//! The inline SVG drawing of the topology.

use std::collections::HashMap;
use std::fmt::Write as _;

use ispvm_model::Topology;

use super::escape::{html, html_into, truncate_chars};
use super::layout::{self, NODE_HEIGHT, Point};
use super::view::{self, CAUSE_STROKE, EDGE_COLOUR, EDGE_LOST_COLOUR, View};

/// Longest id drawn in a node, in characters (the full id is in the tooltip).
const MAX_LABEL_CHARS: usize = 28;

fn node_width(label: &str, caption: &str) -> f64 {
    let id_w = label.chars().count() as f64 * 7.6 + 26.0;
    let cap_w = caption.chars().count() as f64 * 6.0 + 22.0;
    id_w.max(cap_w).clamp(84.0, 260.0)
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

/// Appends the `<svg>` of `topology`, or a note when it has more than `max_entities` entities.
pub(crate) fn render(out: &mut String, topology: &Topology, view: &View<'_>, max_entities: usize) {
    let mut entities: Vec<_> = topology.entities().iter().collect();
    if entities.len() > max_entities {
        let _ = writeln!(
            out,
            "<p class=\"note\" id=\"topology-too-large\">The topology has {} entities, more than \
             the {} this report draws. Render <code>topology.dot</code> with Graphviz to see \
             it; the tables below list every incident and suppressed entity.</p>",
            entities.len(),
            max_entities
        );
        return;
    }
    entities.sort_by(|a, b| a.id.cmp(&b.id));
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
    let lay = layout::layered(&widths, &pairs);
    let paths: HashMap<(usize, usize), &Vec<Point>> =
        lay.edges.iter().map(|(p, pts)| (*p, pts)).collect();

    let _ = write!(
        out,
        "<svg class=\"topology\" id=\"topology\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" \
         height=\"{h}\" role=\"img\" aria-labelledby=\"topology-title\">\n\
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

    out.push_str("<g class=\"edges\">\n");
    for (member, dep, label) in &memberships {
        let Some(pts) = paths.get(&(*member, *dep)) else {
            continue;
        };
        let lost = entities
            .get(*member)
            .is_some_and(|e| view::unavailable(view.status(e.id.as_str())));
        let (colour, marker) = if lost {
            (EDGE_LOST_COLOUR, "ispvm-arrow-lost")
        } else {
            (EDGE_COLOUR, "ispvm-arrow")
        };
        let _ = writeln!(
            out,
            "<path class=\"edge{}{}\" d=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.4\"{} marker-end=\"url(#{marker})\"/>",
            if label.is_some() { " redundant" } else { "" },
            if lost { " lost" } else { "" },
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
        if let Some(c) = cause {
            class.push_str(if c.primary {
                " cause primary"
            } else {
                " cause"
            });
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
        html_into(out, captions.get(i).map_or("", String::as_str));
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
        if cause.is_some() {
            out.push_str("</a>");
        }
        out.push('\n');
    }
    out.push_str("</g>\n</svg>\n");
}
