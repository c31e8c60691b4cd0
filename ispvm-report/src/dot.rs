//! `topology.dot`: the topology as a Graphviz digraph, coloured by the analysis.

use std::fmt::Write as _;

use chrono::SecondsFormat;
use ispvm_model::Topology;
use ispvm_schemas::analysis::AnalysisDocument;

use super::escape::{dot_into, dot_quoted};
use super::view::{self, CAUSE_STROKE, EDGE_COLOUR, EDGE_LOST_COLOUR, View};

const FONT: &str = "Helvetica,Arial,sans-serif";

/// Renders the topology as Graphviz DOT (see [`render_dot`](super::render_dot)).
pub(crate) fn render(topology: &Topology, analysis: &AnalysisDocument) -> String {
    let view = View::new(analysis);
    let mut out = String::with_capacity(256 + topology.entities().len() * 160);
    out.push_str(
        "// ispvm topology: edges point from a member to its dependent; dashed edges belong to\n\
         // `any` and `k of n` groups; thick dark red outlines mark root causes.\n",
    );
    out.push_str("digraph \"ispvm\" {\n");
    let title = format!(
        "{} at {}",
        analysis.tenant,
        analysis
            .evaluated_at
            .to_rfc3339_opts(SecondsFormat::Secs, true)
    );
    let _ = writeln!(
        out,
        "  graph [rankdir=TB, labelloc=t, fontname=\"{FONT}\", label={}];",
        dot_quoted(&title)
    );
    let _ = writeln!(
        out,
        "  node [shape=box, style=\"rounded,filled\", fontname=\"{FONT}\", fontsize=11];"
    );
    let _ = writeln!(
        out,
        "  edge [color=\"{EDGE_COLOUR}\", fontname=\"{FONT}\", fontsize=9, arrowsize=0.7];"
    );

    let mut entities: Vec<_> = topology.entities().iter().collect();
    entities.sort_by(|a, b| a.id.cmp(&b.id));
    for e in &entities {
        let id = e.id.as_str();
        let status = view.status(id);
        let look = view::look(status);
        let cause = view.cause(id);
        let mut label = String::new();
        dot_into(&mut label, id);
        label.push_str("\\n");
        dot_into(&mut label, &view.caption(id));
        let mut tooltip = e.kind.as_str().to_string();
        if let Some(role) = e.role {
            tooltip.push_str(" · ");
            tooltip.push_str(role.as_str());
        }
        let _ = write!(
            out,
            "  {} [label=\"{label}\", tooltip={}, fillcolor=\"{}\", fontcolor=\"{}\"",
            dot_quoted(id),
            dot_quoted(&tooltip),
            look.fill,
            look.text
        );
        if look.dashed {
            out.push_str(", style=\"rounded,filled,dashed\"");
        }
        match cause {
            Some(c) => {
                let _ = write!(
                    out,
                    ", color=\"{CAUSE_STROKE}\", penwidth={}",
                    if c.primary { 4 } else { 3 }
                );
            }
            None => {
                let _ = write!(out, ", color=\"{}\"", look.stroke);
            }
        }
        out.push_str("];\n");
    }

    // Edges member -> dependent, one per group membership, sorted.
    let mut edges: Vec<(&str, &str, usize, Option<String>)> = Vec::new();
    for (gi, g) in topology.groups().iter().enumerate() {
        let label = view::group_label(g);
        for m in &g.members {
            edges.push((m.as_str(), g.dependent.as_str(), gi, label.clone()));
        }
    }
    edges.sort_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
    for (member, dependent, _, label) in &edges {
        let mut attrs: Vec<String> = Vec::new();
        if let Some(label) = label {
            attrs.push("style=dashed".to_string());
            attrs.push(format!("label={}", dot_quoted(label)));
        }
        if view::unavailable(view.status(member)) {
            attrs.push(format!("color=\"{EDGE_LOST_COLOUR}\""));
        }
        let _ = write!(out, "  {} -> {}", dot_quoted(member), dot_quoted(dependent));
        if !attrs.is_empty() {
            let _ = write!(out, " [{}]", attrs.join(", "));
        }
        out.push_str(";\n");
    }
    out.push_str("}\n");
    out
}
