//! The topology map of the live page: a layered drawing where every entity is a
//! `<g data-entity="ID" class="node status-STATUS">` and every dependency an
//! `<line data-from="MEMBER" data-to="DEPENDENT">`, so the page can recolour it from the event
//! stream without drawing it again.
//!
//! This is a plain layout of its own until the report crate's SVG is wired in; the attributes
//! and classes are the same.

use std::collections::HashMap;
use std::fmt::Write as _;

use ispvm_model::{EntityKind, EntityStatus, Topology};
use ispvm_schemas::analysis::AnalysisDocument;

const NODE_W: usize = 112;
const NODE_H: usize = 30;
const GAP_X: usize = 14;
const ROW_H: usize = 78;
const MARGIN: usize = 16;
const MAX_PER_ROW: usize = 12;

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Draws `topology` coloured by `analysis` (entities without a row are `unknown`).
pub(crate) fn render(topology: &Topology, analysis: Option<&AnalysisDocument>) -> String {
    let entities = topology.entities();
    let status: HashMap<&str, EntityStatus> = analysis
        .map(|a| {
            a.entities
                .iter()
                .map(|e| (e.id.as_str(), e.status))
                .collect()
        })
        .unwrap_or_default();
    // Depth: 0 for entities without groups, else 1 + the deepest member. Links are drawn as
    // edges, not as boxes, when they have endpoints.
    let mut depth = vec![0usize; entities.len()];
    for &i in topology.topological_order() {
        let i = i as usize;
        let mut d = 0;
        for &g in topology.groups_of(i) {
            for &m in topology.group_members(g as usize) {
                d = d.max(depth[m as usize] + 1);
            }
        }
        depth[i] = d;
    }
    let is_link =
        |i: usize| entities[i].kind == EntityKind::Link && entities[i].endpoints.is_some();
    let mut rows: Vec<Vec<usize>> = Vec::new();
    for (i, _) in entities.iter().enumerate() {
        if is_link(i) {
            continue;
        }
        let mut row = depth[i];
        // Wrap wide layers.
        while rows.len() <= row {
            rows.push(Vec::new());
        }
        while rows[row].len() >= MAX_PER_ROW {
            row += 1;
            if rows.len() <= row {
                rows.push(Vec::new());
            }
        }
        rows[row].push(i);
    }
    rows.retain(|r| !r.is_empty());
    let widest = rows.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let width = 2 * MARGIN + widest * NODE_W + (widest - 1) * GAP_X;
    let height = 2 * MARGIN + rows.len().max(1) * ROW_H - (ROW_H - NODE_H);
    let mut pos: HashMap<usize, (usize, usize)> = HashMap::new();
    for (r, row) in rows.iter().enumerate() {
        let row_w = row.len() * NODE_W + row.len().saturating_sub(1) * GAP_X;
        let x0 = (width - row_w) / 2;
        for (k, &i) in row.iter().enumerate() {
            pos.insert(i, (x0 + k * (NODE_W + GAP_X), MARGIN + r * ROW_H));
        }
    }
    let status_of = |id: &str| status.get(id).copied().unwrap_or(EntityStatus::Unknown);
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="ispvm-map" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="topology map">"#
    );
    out.push_str(r#"<g class="edges">"#);
    // Physical links between their endpoints.
    for (i, e) in entities.iter().enumerate() {
        if !is_link(i) {
            continue;
        }
        let Some([a, b]) = &e.endpoints else { continue };
        let (Some(ia), Some(ib)) = (topology.index_of(a.as_str()), topology.index_of(b.as_str()))
        else {
            continue;
        };
        let (Some(&(xa, ya)), Some(&(xb, yb))) = (pos.get(&ia), pos.get(&ib)) else {
            continue;
        };
        let _ = write!(
            out,
            r#"<line data-entity="{id}" class="link status-{st}" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}"><title>{id}: {st}</title></line>"#,
            id = escape(e.id.as_str()),
            st = status_of(e.id.as_str()),
            x1 = xa + NODE_W / 2,
            y1 = ya + NODE_H / 2,
            x2 = xb + NODE_W / 2,
            y2 = yb + NODE_H / 2,
        );
    }
    // Dependencies: member above, dependent below.
    for g in topology.groups() {
        let Some(d) = topology.index_of(g.dependent.as_str()) else {
            continue;
        };
        let Some(&(xd, yd)) = pos.get(&d) else {
            continue;
        };
        for m in &g.members {
            let Some(im) = topology.index_of(m.as_str()) else {
                continue;
            };
            let Some(&(xm, ym)) = pos.get(&im) else {
                continue;
            };
            let _ = write!(
                out,
                r#"<line class="dep" data-from="{from}" data-to="{to}" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}"/>"#,
                from = escape(m.as_str()),
                to = escape(g.dependent.as_str()),
                x1 = xm + NODE_W / 2,
                y1 = ym + NODE_H,
                x2 = xd + NODE_W / 2,
                y2 = yd,
            );
        }
    }
    out.push_str("</g><g class=\"nodes\">");
    for row in &rows {
        for &i in row {
            let (x, y) = pos[&i];
            let id = entities[i].id.as_str();
            let label: String = if id.chars().count() > 14 {
                id.chars().take(13).chain(std::iter::once('…')).collect()
            } else {
                id.to_string()
            };
            let _ = write!(
                out,
                r#"<g data-entity="{eid}" class="node status-{st}" tabindex="0"><title>{eid}: {st}</title><rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="6"/><text x="{tx}" y="{ty}">{label}</text></g>"#,
                eid = escape(id),
                st = status_of(id),
                tx = x + NODE_W / 2,
                ty = y + NODE_H / 2 + 4,
                label = escape(&label),
            );
        }
    }
    out.push_str("</g></svg>");
    out
}
