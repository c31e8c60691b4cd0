//! A small layered ("Sugiyama-style") layout, written here so that the report needs no external
//! program: layers from the dependency order, dummy nodes on long edges, barycentre ordering to
//! reduce crossings, then x positions pulled towards neighbours.
//!
//! Members are drawn above their dependents (upstream at the top), so every edge points down.
//! The result is deterministic: it depends only on the node order given (the report passes nodes
//! sorted by id) and the edge set, never on hashing or timing.

use std::collections::BTreeSet;

/// A point in SVG user units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Point {
    pub x: f64,
    pub y: f64,
}

/// Height of every node box.
pub(crate) const NODE_HEIGHT: f64 = 46.0;
/// Vertical distance between layers (centre to centre).
const LAYER_GAP: f64 = 112.0;
/// Horizontal gap between two boxes.
const NODE_GAP: f64 = 26.0;
/// Horizontal gap next to an edge bend (dummy node).
const DUMMY_GAP: f64 = 12.0;
/// Outer margin.
pub(crate) const MARGIN: f64 = 24.0;
/// Past this many dummy nodes, long edges are drawn straight (bounds the work on huge inputs).
const MAX_DUMMIES: usize = 20_000;
/// Ordering sweeps.
const SWEEPS: usize = 12;
/// Positioning rounds.
const ROUNDS: usize = 6;

/// Where everything goes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Layout {
    /// Centre of each node, in input order.
    pub nodes: Vec<Point>,
    /// Layer of each node (0 at the top).
    pub layers: Vec<usize>,
    /// Each distinct edge `(from, to)`, sorted, with the points of its path: the bottom of
    /// `from`, bends, the top of `to`.
    pub edges: Vec<((usize, usize), Vec<Point>)>,
    /// Total width.
    pub width: f64,
    /// Total height.
    pub height: f64,
}

/// Lays out `widths.len()` nodes of the given widths joined by `edges` (`from` above `to`).
/// Edges naming unknown nodes and self-loops are ignored; if the edges have a cycle (a
/// validated topology never has one) the layout still completes and the offending edges point up.
pub(crate) fn layered(widths: &[f64], edges: &[(usize, usize)]) -> Layout {
    let n = widths.len();
    let pairs: BTreeSet<(usize, usize)> = edges
        .iter()
        .copied()
        .filter(|&(a, b)| a != b && a < n && b < n)
        .collect();
    let mut succ = vec![Vec::new(); n];
    let mut pred = vec![Vec::new(); n];
    for &(a, b) in &pairs {
        if let Some(s) = succ.get_mut(a) {
            s.push(b);
        }
        if let Some(p) = pred.get_mut(b) {
            p.push(a);
        }
    }

    let order = topological(n, &succ, &pred);
    let layer = assign_layers(n, &order, &succ, &pred);

    // Dummy nodes: every edge spanning k > 1 layers gets k - 1 bends.
    let total_span: usize = pairs
        .iter()
        .map(|&(a, b)| layer[b].saturating_sub(layer[a]).saturating_sub(1))
        .sum();
    let with_dummies = total_span <= MAX_DUMMIES;
    let mut node_layer = layer.clone();
    let mut width = widths.to_vec();
    let mut chains: Vec<((usize, usize), Vec<usize>)> = Vec::with_capacity(pairs.len());
    for &(a, b) in &pairs {
        let mut chain = vec![a];
        if with_dummies && layer[b] > layer[a] + 1 {
            for l in layer[a] + 1..layer[b] {
                chain.push(node_layer.len());
                node_layer.push(l);
                width.push(0.0);
            }
        }
        chain.push(b);
        chains.push(((a, b), chain));
    }
    let total = node_layer.len();
    let depth = node_layer.iter().copied().max().map_or(0, |m| m + 1);

    // Adjacent-layer edges of the proper layered graph.
    let mut up = vec![Vec::new(); total];
    let mut down = vec![Vec::new(); total];
    for (_, chain) in &chains {
        for w in chain.windows(2) {
            let (a, b) = (w[0], w[1]);
            if node_layer[b] == node_layer[a] + 1 {
                down[a].push(b);
                up[b].push(a);
            }
        }
    }

    // Initial order: input order for real nodes, dummies after them in creation order.
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); depth];
    for (v, &l) in node_layer.iter().enumerate() {
        rows[l].push(v);
    }
    let mut pos = vec![0usize; total];
    let set_pos = |rows: &[Vec<usize>], pos: &mut [usize]| {
        for row in rows {
            for (i, &v) in row.iter().enumerate() {
                pos[v] = i;
            }
        }
    };
    set_pos(&rows, &mut pos);
    let mut best = rows.clone();
    let mut best_crossings = crossings(&rows, &down, &pos);
    for sweep in 0..SWEEPS {
        let (downward, layer_ids) = sweep_layers(sweep, depth);
        for l in layer_ids {
            let neighbours = if downward { &up } else { &down };
            let mut keyed: Vec<(f64, usize, usize)> = rows[l]
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    let ns = &neighbours[v];
                    let key = if ns.is_empty() {
                        i as f64
                    } else {
                        ns.iter().map(|&u| pos[u] as f64).sum::<f64>() / ns.len() as f64
                    };
                    (key, i, v)
                })
                .collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            rows[l] = keyed.into_iter().map(|(_, _, v)| v).collect();
            for (i, &v) in rows[l].iter().enumerate() {
                pos[v] = i;
            }
        }
        let c = crossings(&rows, &down, &pos);
        if c < best_crossings {
            best_crossings = c;
            best = rows.clone();
        }
    }
    let mut rows = best;
    set_pos(&rows, &mut pos);
    transpose(&mut rows, &mut pos, &up, &down);

    // x positions: pack each row, centre it, then pull nodes towards their neighbours.
    let gap = |a: usize, b: usize| {
        let g = if a < n && b < n { NODE_GAP } else { DUMMY_GAP };
        (width[a] + width[b]) / 2.0 + g
    };
    let mut x = vec![0.0f64; total];
    let row_width = |row: &[usize]| -> f64 {
        match (row.first(), row.last()) {
            (Some(&first), Some(&last)) => {
                width[first] / 2.0
                    + row.windows(2).map(|p| gap(p[0], p[1])).sum::<f64>()
                    + width[last] / 2.0
            }
            _ => 0.0,
        }
    };
    let widest = rows.iter().map(|r| row_width(r)).fold(0.0f64, f64::max);
    for row in &rows {
        let mut cursor = (widest - row_width(row)) / 2.0;
        for (i, &v) in row.iter().enumerate() {
            if i == 0 {
                cursor += width[v] / 2.0;
            } else {
                cursor += gap(row[i - 1], v);
            }
            x[v] = cursor;
        }
    }
    for round in 0..ROUNDS {
        let (downward, layer_ids) = sweep_layers(round, depth);
        for l in layer_ids {
            let neighbours = if downward { &up } else { &down };
            let row = &rows[l];
            let desired: Vec<f64> = row
                .iter()
                .map(|&v| {
                    let ns = &neighbours[v];
                    if ns.is_empty() {
                        x[v]
                    } else {
                        ns.iter().map(|&u| x[u]).sum::<f64>() / ns.len() as f64
                    }
                })
                .collect();
            let placed = place(row, &desired, &gap);
            for (&v, px) in row.iter().zip(placed) {
                x[v] = px;
            }
        }
    }

    // Normalise: leftmost box edge at the margin.
    let left = (0..total)
        .map(|v| x[v] - width[v] / 2.0)
        .fold(f64::INFINITY, f64::min);
    let shift = if left.is_finite() { MARGIN - left } else { 0.0 };
    let y_of = |v: usize| MARGIN + 20.0 + NODE_HEIGHT / 2.0 + node_layer[v] as f64 * LAYER_GAP;
    let point = |v: usize| Point {
        x: x[v] + shift,
        y: y_of(v),
    };
    let right = (0..total)
        .map(|v| x[v] + shift + width[v] / 2.0)
        .fold(0.0f64, f64::max);
    let nodes: Vec<Point> = (0..n).map(point).collect();
    let edges = chains
        .iter()
        .map(|(pair, chain)| {
            let last = chain.len().saturating_sub(1);
            let pts = chain
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    let p = point(v);
                    if i == 0 {
                        Point {
                            x: p.x,
                            y: p.y + NODE_HEIGHT / 2.0,
                        }
                    } else if i == last {
                        Point {
                            x: p.x,
                            y: p.y - NODE_HEIGHT / 2.0,
                        }
                    } else {
                        p
                    }
                })
                .collect();
            (*pair, pts)
        })
        .collect();
    Layout {
        nodes,
        layers: layer,
        edges,
        width: (right + MARGIN).max(2.0 * MARGIN),
        height: if n == 0 {
            2.0 * MARGIN
        } else {
            MARGIN * 2.0 + 20.0 + NODE_HEIGHT + (depth.saturating_sub(1)) as f64 * LAYER_GAP
        },
    }
}

/// Kahn's algorithm, smallest index first; nodes left over by a cycle come last.
fn topological(n: usize, succ: &[Vec<usize>], pred: &[Vec<usize>]) -> Vec<usize> {
    let mut indegree: Vec<usize> = pred.iter().map(Vec::len).collect();
    let mut ready: BTreeSet<usize> = (0..n).filter(|&v| indegree[v] == 0).collect();
    let mut order = Vec::with_capacity(n);
    let mut done = vec![false; n];
    while let Some(v) = ready.pop_first() {
        order.push(v);
        done[v] = true;
        for &s in &succ[v] {
            indegree[s] = indegree[s].saturating_sub(1);
            if indegree[s] == 0 {
                ready.insert(s);
            }
        }
    }
    order.extend((0..n).filter(|&v| !done[v]));
    order
}

/// Longest path from the sources, then each node pulled down next to its highest dependent.
fn assign_layers(
    n: usize,
    order: &[usize],
    succ: &[Vec<usize>],
    pred: &[Vec<usize>],
) -> Vec<usize> {
    let mut layer = vec![0usize; n];
    let mut seen = vec![false; n];
    for &v in order {
        layer[v] = pred[v]
            .iter()
            .filter(|&&p| seen[p])
            .map(|&p| layer[p] + 1)
            .max()
            .unwrap_or(0);
        seen[v] = true;
    }
    for &v in order.iter().rev() {
        if succ[v].is_empty() || succ[v].iter().any(|&s| layer[s] <= layer[v]) {
            continue;
        }
        if let Some(lowest) = succ[v].iter().map(|&s| layer[s]).min() {
            layer[v] = layer[v].max(lowest - 1);
        }
    }
    layer
}

/// Number of edge crossings between adjacent layers.
fn crossings(rows: &[Vec<usize>], down: &[Vec<usize>], pos: &[usize]) -> usize {
    let mut total = 0;
    for row in rows {
        let mut segs: Vec<(usize, usize)> = row
            .iter()
            .flat_map(|&a| down[a].iter().map(move |&b| (pos[a], pos[b])))
            .collect();
        segs.sort_unstable();
        for (i, s) in segs.iter().enumerate() {
            total += segs[i + 1..]
                .iter()
                .filter(|t| t.0 > s.0 && t.1 < s.1)
                .count();
        }
    }
    total
}

/// The layers one sweep visits: even sweeps go down (layers 1.., ordered by the layer above),
/// odd sweeps go up (layers ..depth-1 in reverse, ordered by the layer below).
fn sweep_layers(sweep: usize, depth: usize) -> (bool, Vec<usize>) {
    let downward = sweep % 2 == 0;
    let layers = if downward {
        (1..depth).collect()
    } else {
        (0..depth.saturating_sub(1)).rev().collect()
    };
    (downward, layers)
}

/// Crossings between the edges of `u` and those of `v` (in `neighbours`) when `u` is left of `v`.
fn pair_crossings(u: usize, v: usize, neighbours: &[Vec<usize>], pos: &[usize]) -> usize {
    let mut c = 0;
    for &a in &neighbours[u] {
        for &b in &neighbours[v] {
            if pos[a] > pos[b] {
                c += 1;
            }
        }
    }
    c
}

/// Swaps neighbours in a row while that strictly removes crossings (bounded number of passes).
fn transpose(rows: &mut [Vec<usize>], pos: &mut [usize], up: &[Vec<usize>], down: &[Vec<usize>]) {
    for _ in 0..SWEEPS {
        let mut improved = false;
        for row in rows.iter_mut() {
            for i in 1..row.len() {
                let (u, v) = (row[i - 1], row[i]);
                let now = pair_crossings(u, v, up, pos) + pair_crossings(u, v, down, pos);
                let swapped = pair_crossings(v, u, up, pos) + pair_crossings(v, u, down, pos);
                if swapped < now {
                    row.swap(i - 1, i);
                    pos[u] = i;
                    pos[v] = i - 1;
                    improved = true;
                }
            }
        }
        if !improved {
            break;
        }
    }
}

/// Positions for `row` as close as possible to `desired`, keeping order and separation:
/// the average of a left-to-right and a right-to-left placement, both of which keep the gaps.
fn place(row: &[usize], desired: &[f64], gap: &impl Fn(usize, usize) -> f64) -> Vec<f64> {
    let k = row.len();
    let mut left = desired.to_vec();
    for i in 1..k {
        left[i] = left[i].max(left[i - 1] + gap(row[i - 1], row[i]));
    }
    let mut right = desired.to_vec();
    for i in (0..k.saturating_sub(1)).rev() {
        right[i] = right[i].min(right[i + 1] - gap(row[i], row[i + 1]));
    }
    left.iter()
        .zip(&right)
        .map(|(l, r)| (l + r) / 2.0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_overlap(l: &Layout, widths: &[f64]) {
        for a in 0..widths.len() {
            for b in a + 1..widths.len() {
                if l.layers[a] == l.layers[b] {
                    let dist = (l.nodes[a].x - l.nodes[b].x).abs();
                    assert!(
                        dist + 1e-9 >= (widths[a] + widths[b]) / 2.0 + NODE_GAP,
                        "{a} and {b} overlap: {dist}"
                    );
                }
            }
        }
    }

    #[test]
    fn members_sit_above_dependents_and_nothing_overlaps() {
        // 0 core, 1-2 aggregation, 3-5 access, 6 radius (only needed by 5).
        let widths = [100.0, 90.0, 90.0, 80.0, 80.0, 80.0, 120.0];
        let edges = [
            (0, 1),
            (0, 2),
            (1, 3),
            (2, 3),
            (1, 4),
            (2, 4),
            (2, 5),
            (6, 5),
            (0, 5),
        ];
        let l = layered(&widths, &edges);
        assert_eq!(l.layers, vec![0, 1, 1, 2, 2, 2, 1]);
        for &(a, b) in &edges {
            assert!(l.nodes[a].y < l.nodes[b].y, "{a} -> {b}");
        }
        no_overlap(&l, &widths);
        // The long edge 0 -> 5 bends once, every other edge is straight.
        for ((a, b), pts) in &l.edges {
            let want = if (*a, *b) == (0, 5) { 3 } else { 2 };
            assert_eq!(pts.len(), want, "{a} -> {b}");
            assert_eq!(pts[0].y, l.nodes[*a].y + NODE_HEIGHT / 2.0);
            assert_eq!(pts[pts.len() - 1].x, l.nodes[*b].x);
        }
        for p in &l.nodes {
            assert!(p.x >= MARGIN && p.x <= l.width - MARGIN);
            assert!(p.y > 0.0 && p.y < l.height);
        }
    }

    #[test]
    fn a_crossing_that_can_be_undone_is_undone() {
        // Without reordering, 0->3 and 1->2 cross.
        let widths = [50.0; 4];
        let l = layered(&widths, &[(0, 3), (1, 2)]);
        let order_top = l.nodes[0].x < l.nodes[1].x;
        let order_bottom = l.nodes[3].x < l.nodes[2].x;
        assert_eq!(order_top, order_bottom);
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        let l = layered(&[], &[]);
        assert!(l.nodes.is_empty());
        assert_eq!(l.width, 2.0 * MARGIN);
        let l = layered(&[10.0], &[(0, 0), (0, 7), (9, 0)]);
        assert_eq!(l.nodes.len(), 1);
        assert!(l.edges.is_empty());
        // A cycle is not valid topology, but must not hang or panic.
        let l = layered(&[10.0; 3], &[(0, 1), (1, 2), (2, 0)]);
        assert_eq!(l.nodes.len(), 3);
        assert_eq!(l.edges.len(), 3);
    }

    #[test]
    fn same_input_same_layout() {
        let widths: Vec<f64> = (0..30).map(|i| 60.0 + f64::from(i % 5) * 10.0).collect();
        let edges: Vec<(usize, usize)> = (0..30)
            .flat_map(|i| [(i / 3, i), (i / 5, i)])
            .filter(|(a, b)| a < b)
            .collect();
        assert_eq!(layered(&widths, &edges), layered(&widths, &edges));
    }
}
