//! A small layered ("Sugiyama-style") layout, written here so that the report needs no external
//! program: layers from the topology's own topological order, dummy nodes on long edges,
//! barycentre ordering to reduce crossings, then x positions pulled towards neighbours.
//!
//! Members are drawn above their dependents (upstream at the top), so every edge points down.
//! Nodes may belong to a cluster (a site): each cluster then gets a vertical band of its own
//! (a column spanning every layer), so that a box drawn around the band holds exactly the
//! cluster's nodes; nodes without a cluster share one more band without a box.
//!
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
/// Room above the first layer for the group captions drawn over nodes.
const CAPTION_ROOM: f64 = 20.0;
/// Padding between a cluster's band and its box.
pub(crate) const CLUSTER_PAD: f64 = 12.0;
/// Room at the top of a cluster box for its label.
pub(crate) const CLUSTER_LABEL_ROOM: f64 = 18.0;
/// Horizontal gap between two cluster boxes.
const CLUSTER_GAP: f64 = 22.0;
/// Past this many dummy nodes, long edges are drawn straight (bounds the work on huge inputs).
const MAX_DUMMIES: usize = 20_000;
/// Up to this many nodes without a cluster get a column each (placed into the room the
/// cluster boxes leave); more share one column (bounds the placement work).
const MAX_OWN_COLUMNS: usize = 64;
/// Ordering sweeps.
const SWEEPS: usize = 12;
/// Positioning rounds.
const ROUNDS: usize = 6;

/// The box of one cluster.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ClusterBox {
    /// The cluster (index into the cluster list given to [`layered`]).
    pub cluster: usize,
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

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
    /// One box per cluster that has nodes, in cluster order.
    pub clusters: Vec<ClusterBox>,
    /// Total width.
    pub width: f64,
    /// Total height.
    pub height: f64,
}

/// The graph to lay out.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Graph<'a> {
    /// Width of each node.
    pub widths: &'a [f64],
    /// Edges `(from, to)`: `from` is drawn above `to`. Unknown nodes and self-loops are ignored.
    pub edges: &'a [(usize, usize)],
    /// The nodes in a topological order (every `from` before its `to`), as the validated
    /// topology computed it. Nodes missing from it are appended; if it is not topological
    /// (a validated topology never has a cycle) the layout still completes and the offending
    /// edges point up.
    pub order: &'a [usize],
    /// The cluster of each node (`None`: no cluster); missing entries mean `None`.
    pub cluster_of: &'a [Option<usize>],
    /// The least width of each cluster's box content (room for its label).
    pub cluster_widths: &'a [f64],
}

/// Lays out `graph`.
pub(crate) fn layered(graph: Graph<'_>) -> Layout {
    let widths = graph.widths;
    let n = widths.len();
    let pairs: BTreeSet<(usize, usize)> = graph
        .edges
        .iter()
        .copied()
        .filter(|&(a, b)| a != b && a < n && b < n)
        .collect();
    let mut succ = vec![Vec::new(); n];
    let mut pred = vec![Vec::new(); n];
    for &(a, b) in &pairs {
        succ[a].push(b);
        pred[b].push(a);
    }

    let order = complete_order(n, graph.order);
    let layer = assign_layers(n, &order, &succ, &pred);

    // Columns: one per cluster, one more (`free`) for nodes without a cluster. Without any
    // cluster, everything is in column 0 and no box is drawn.
    let free = graph.cluster_widths.len();
    let grouped = graph.cluster_of.iter().any(|c| c.is_some_and(|c| c < free));
    // Without clusters everything is in column 0. With clusters, each cluster is a column
    // (drawn with a box) and each node without a cluster is a column of its own (no box),
    // placed afterwards into the room the boxes leave.
    let unclustered = (0..n)
        .filter(|&v| {
            graph
                .cluster_of
                .get(v)
                .copied()
                .flatten()
                .is_none_or(|c| c >= free)
        })
        .count();
    let mut node_column: Vec<usize> = Vec::with_capacity(n);
    let mut columns = if !grouped {
        1
    } else if unclustered <= MAX_OWN_COLUMNS {
        free
    } else {
        free + 1
    };
    for v in 0..n {
        let cluster = graph
            .cluster_of
            .get(v)
            .copied()
            .flatten()
            .filter(|&c| c < free);
        node_column.push(match (grouped, cluster) {
            (false, _) => 0,
            (true, Some(c)) => c,
            (true, None) if unclustered <= MAX_OWN_COLUMNS => {
                columns += 1;
                columns - 1
            }
            (true, None) => free,
        });
    }

    // Dummy nodes: every edge spanning k > 1 layers gets k - 1 bends, in the column of its
    // dependent (the edge enters the dependent's site early and runs down inside it).
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
                node_column.push(node_column[b]);
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
    set_positions(&rows, &mut pos);

    // 1. Free ordering, to learn where each column wants to be.
    let no_rank = vec![0usize; columns];
    let rows_free = order_rows(rows, &mut pos, &up, &down, &no_rank, &node_column);
    // 2. Columns ranked by the mean relative position of their nodes, then ordered again
    // with every row sorted by column first.
    let rank = if grouped {
        column_ranks(&rows_free, &node_column, columns)
    } else {
        no_rank
    };
    let mut rows = rows_free;
    if grouped {
        for row in &mut rows {
            row.sort_by_key(|&v| (rank[node_column[v]], pos[v]));
        }
        set_positions(&rows, &mut pos);
        rows = order_rows(rows, &mut pos, &up, &down, &rank, &node_column);
    }
    transpose(&mut rows, &mut pos, &up, &down, &node_column);

    // x positions: each column as wide as its widest row (or its label); every row of a
    // column centred in it, then nodes pulled towards their neighbours within the column.
    let gap = |a: usize, b: usize| {
        let g = if a < n && b < n { NODE_GAP } else { DUMMY_GAP };
        (width[a] + width[b]) / 2.0 + g
    };
    let packed = |seg: &[usize]| -> f64 {
        match (seg.first(), seg.last()) {
            (Some(&first), Some(&last)) => {
                width[first] / 2.0
                    + seg.windows(2).map(|p| gap(p[0], p[1])).sum::<f64>()
                    + width[last] / 2.0
            }
            _ => 0.0,
        }
    };
    // segments[l][c]: the nodes of row l in column c, in order.
    let mut segments: Vec<Vec<Vec<usize>>> = vec![vec![Vec::new(); columns]; depth];
    for (l, row) in rows.iter().enumerate() {
        for &v in row {
            segments[l][node_column[v]].push(v);
        }
    }
    let mut column_width = vec![0.0f64; columns];
    let mut used = vec![false; columns];
    for row in &segments {
        for (c, seg) in row.iter().enumerate() {
            column_width[c] = column_width[c].max(packed(seg));
            used[c] |= seg.iter().any(|&v| v < n);
        }
    }
    for (c, w) in graph.cluster_widths.iter().enumerate() {
        if grouped && used[c] {
            column_width[c] = column_width[c].max(*w);
        }
    }
    let pad = if grouped { CLUSTER_PAD } else { 0.0 };
    let mut extent: Vec<Option<(usize, usize)>> = vec![None; columns];
    for (v, &c) in node_column.iter().enumerate() {
        let l = node_layer[v];
        extent[c] = Some(extent[c].map_or((l, l), |(t, b)| (t.min(l), b.max(l))));
    }
    // Where each node sits in its column's row, 0 (left) .. 1 (right).
    let mut relative = vec![0.5f64; total];
    for row in &segments {
        for seg in row {
            for (i, &v) in seg.iter().enumerate() {
                relative[v] = (i as f64 + 0.5) / seg.len() as f64;
            }
        }
    }
    let column_left = place_columns(
        &Columns {
            extent: &extent,
            width: &column_width,
            rank: &rank,
            boxes: if grouped { free } else { 0 },
            pad,
        },
        &node_column,
        &relative,
        &pairs,
    );
    let mut x = vec![0.0f64; total];
    for row in &segments {
        for (c, seg) in row.iter().enumerate() {
            let mut at = column_left[c] + (column_width[c] - packed(seg)) / 2.0;
            for (i, &v) in seg.iter().enumerate() {
                if i == 0 {
                    at += width[v] / 2.0;
                } else {
                    at += gap(seg[i - 1], v);
                }
                x[v] = at;
            }
        }
    }
    for round in 0..ROUNDS {
        let (downward, layer_ids) = sweep_layers(round, depth);
        for l in layer_ids {
            let neighbours = if downward { &up } else { &down };
            for (c, seg) in segments[l].iter().enumerate() {
                let desired: Vec<f64> = seg
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
                let bounds = (column_left[c], column_left[c] + column_width[c]);
                let placed = place(seg, &desired, &gap, &width, bounds);
                for (&v, px) in seg.iter().zip(placed) {
                    x[v] = px;
                }
            }
        }
    }

    let top = MARGIN
        + CAPTION_ROOM
        + if grouped {
            CLUSTER_LABEL_ROOM + CLUSTER_PAD
        } else {
            0.0
        };
    let y_of = |l: usize| top + NODE_HEIGHT / 2.0 + l as f64 * LAYER_GAP;
    let point = |v: usize| Point {
        x: x[v],
        y: y_of(node_layer[v]),
    };
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

    let mut clusters = Vec::new();
    if grouped {
        for c in 0..free {
            let layers_of = (0..n).filter(|&v| node_column[v] == c).map(|v| layer[v]);
            let (Some(first), Some(last)) = (layers_of.clone().min(), layers_of.max()) else {
                continue;
            };
            let y = y_of(first) - NODE_HEIGHT / 2.0 - CAPTION_ROOM - CLUSTER_LABEL_ROOM;
            clusters.push(ClusterBox {
                cluster: c,
                x: column_left[c] - pad,
                y,
                width: column_width[c] + 2.0 * pad,
                height: y_of(last) + NODE_HEIGHT / 2.0 + pad - y,
            });
        }
    }
    let right = (0..total)
        .map(|v| x[v] + width[v] / 2.0)
        .chain(clusters.iter().map(|b| b.x + b.width))
        .fold(0.0f64, f64::max);
    Layout {
        nodes,
        layers: layer,
        edges,
        clusters,
        width: (right + MARGIN).max(2.0 * MARGIN),
        height: if n == 0 {
            2.0 * MARGIN
        } else {
            y_of(depth.saturating_sub(1)) + NODE_HEIGHT / 2.0 + pad + MARGIN
        },
    }
}

/// The columns to place.
#[derive(Debug, Clone, Copy)]
struct Columns<'a> {
    /// First and last layer of each column (`None`: empty).
    extent: &'a [Option<(usize, usize)>],
    /// Width of each column's band.
    width: &'a [f64],
    /// Left-to-right rank of each column.
    rank: &'a [usize],
    /// Columns `0..boxes` are drawn with a box.
    boxes: usize,
    /// Padding between a band and its box.
    pad: f64,
}

/// The left edge of each column's band. Columns with a box (`boxed`) are placed first, in rank
/// order, each as far left as the boxes already placed in its layers allow (a skyline: a box
/// spanning the top layers may sit above one spanning the bottom layers). The other columns
/// follow in rank order, each at the free spot of its layers nearest to the centre of the
/// columns it has edges to. Finally everything is shifted so the leftmost box starts at the
/// margin.
fn place_columns(
    cols: &Columns<'_>,
    node_column: &[usize],
    relative: &[f64],
    pairs: &BTreeSet<(usize, usize)>,
) -> Vec<f64> {
    let Columns {
        extent,
        width,
        rank,
        boxes,
        pad,
    } = *cols;
    let boxed = |c: usize| c < boxes;
    let columns = extent.len();
    let depth = extent
        .iter()
        .flatten()
        .map(|&(_, b)| b + 1)
        .max()
        .unwrap_or(0);
    let mut by_rank: Vec<usize> = (0..columns).filter(|&c| extent[c].is_some()).collect();
    by_rank.sort_by_key(|&c| (rank[c], c));
    // Occupied outer intervals per layer.
    let mut occupied: Vec<Vec<(f64, f64)>> = vec![Vec::new(); depth];
    let mut sky = vec![0.0f64; depth];
    let mut left = vec![0.0f64; columns];
    let mut placed = vec![false; columns];
    for &c in by_rank.iter().filter(|&&c| boxed(c)) {
        let Some((t, b)) = extent[c] else { continue };
        let outer = width[c] + 2.0 * pad;
        let x = (t..=b).map(|l| sky[l]).fold(0.0f64, f64::max);
        for l in t..=b {
            sky[l] = x + outer + CLUSTER_GAP;
            occupied[l].push((x, x + outer));
        }
        left[c] = x + pad;
        placed[c] = true;
    }
    // For each column, the nodes of other columns it has edges to.
    let mut neighbours: Vec<Vec<usize>> = vec![Vec::new(); columns];
    for &(a, b) in pairs {
        let (ca, cb) = (node_column[a], node_column[b]);
        if ca != cb {
            neighbours[ca].push(b);
            neighbours[cb].push(a);
        }
    }
    // The others by where the boxes pull them (then by index: input order), those tied only
    // to other free columns last.
    let pull = |c: usize, placed: &[bool], left: &[f64]| -> Option<f64> {
        let near: Vec<f64> = neighbours[c]
            .iter()
            .filter(|&&u| placed[node_column[u]])
            .map(|&u| left[node_column[u]] + width[node_column[u]] * relative[u])
            .collect();
        (!near.is_empty()).then(|| near.iter().sum::<f64>() / near.len() as f64)
    };
    let mut rest: Vec<(f64, usize)> = by_rank
        .iter()
        .filter(|&&c| !boxed(c))
        .map(|&c| (pull(c, &placed, &left).unwrap_or(f64::INFINITY), c))
        .collect();
    rest.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    for (_, c) in rest {
        let Some((t, b)) = extent[c] else { continue };
        let w = width[c];
        let intervals: Vec<(f64, f64)> =
            (t..=b).flat_map(|l| occupied[l].iter().copied()).collect();
        let rightmost = intervals
            .iter()
            .map(|&(_, hi)| hi + NODE_GAP)
            .fold(0.0f64, f64::max);
        let desired = pull(c, &placed, &left).unwrap_or(rightmost + w / 2.0);
        let fits = |x: f64| {
            intervals
                .iter()
                .all(|&(lo, hi)| x + w + NODE_GAP <= lo + 1e-9 || x >= hi + NODE_GAP - 1e-9)
        };
        let mut best = rightmost;
        let mut candidates = vec![desired - w / 2.0];
        for &(lo, hi) in &intervals {
            candidates.push(hi + NODE_GAP);
            candidates.push(lo - NODE_GAP - w);
        }
        // Nearest to the wish; between equally near spots the right one, so that columns
        // placed later (ranked further right) tend to stay right of earlier ones.
        let cost = |x: f64| (x + w / 2.0 - desired).abs() - x * 1e-9;
        for x in candidates {
            if cost(x) < cost(best) && fits(x) {
                best = x;
            }
        }
        for row in &mut occupied[t..=b] {
            row.push((best, best + w));
        }
        left[c] = best;
        placed[c] = true;
    }
    let min_left = (0..columns)
        .filter(|&c| extent[c].is_some())
        .map(|c| left[c] - if boxed(c) { pad } else { 0.0 })
        .fold(f64::INFINITY, f64::min);
    let shift = if min_left.is_finite() {
        MARGIN - min_left
    } else {
        MARGIN
    };
    left.iter().map(|x| x + shift).collect()
}

fn set_positions(rows: &[Vec<usize>], pos: &mut [usize]) {
    for row in rows {
        for (i, &v) in row.iter().enumerate() {
            pos[v] = i;
        }
    }
}

/// Barycentre sweeps; each row stays sorted by column rank first. Returns the order with the
/// fewest crossings seen (the input order when no sweep improves on it); `pos` matches it.
fn order_rows(
    rows: Vec<Vec<usize>>,
    pos: &mut [usize],
    up: &[Vec<usize>],
    down: &[Vec<usize>],
    rank: &[usize],
    column: &[usize],
) -> Vec<Vec<usize>> {
    let depth = rows.len();
    let mut rows = rows;
    let mut best = rows.clone();
    let mut best_crossings = crossings(&rows, down, pos);
    for sweep in 0..SWEEPS {
        let (downward, layer_ids) = sweep_layers(sweep, depth);
        for l in layer_ids {
            let neighbours = if downward { up } else { down };
            let mut keyed: Vec<(usize, f64, usize, usize)> = rows[l]
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    let ns = &neighbours[v];
                    let key = if ns.is_empty() {
                        i as f64
                    } else {
                        ns.iter().map(|&u| pos[u] as f64).sum::<f64>() / ns.len() as f64
                    };
                    (rank[column[v]], key, i, v)
                })
                .collect();
            keyed.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.cmp(&b.2)));
            rows[l] = keyed.into_iter().map(|(_, _, _, v)| v).collect();
            for (i, &v) in rows[l].iter().enumerate() {
                pos[v] = i;
            }
        }
        let c = crossings(&rows, down, pos);
        if c < best_crossings {
            best_crossings = c;
            best = rows.clone();
        }
    }
    set_positions(&best, pos);
    best
}

/// Columns ranked by the mean relative position (0 left .. 1 right) of their nodes in `rows`;
/// ties (and empty columns) by index.
fn column_ranks(rows: &[Vec<usize>], column: &[usize], columns: usize) -> Vec<usize> {
    let mut sum = vec![0.0f64; columns];
    let mut count = vec![0usize; columns];
    for row in rows {
        let len = row.len() as f64;
        for (i, &v) in row.iter().enumerate() {
            let c = column[v];
            sum[c] += (i as f64 + 0.5) / len;
            count[c] += 1;
        }
    }
    let mean = |c: usize| {
        if count[c] == 0 {
            f64::INFINITY
        } else {
            sum[c] / count[c] as f64
        }
    };
    let mut by_mean: Vec<usize> = (0..columns).collect();
    by_mean.sort_by(|&a, &b| mean(a).total_cmp(&mean(b)).then(a.cmp(&b)));
    let mut rank = vec![0usize; columns];
    for (r, c) in by_mean.into_iter().enumerate() {
        rank[c] = r;
    }
    rank
}

/// `order` restricted to valid, first occurrences, then every node it misses in index order.
fn complete_order(n: usize, order: &[usize]) -> Vec<usize> {
    let mut seen = vec![false; n];
    let mut out = Vec::with_capacity(n);
    for &v in order {
        if v < n && !seen[v] {
            seen[v] = true;
            out.push(v);
        }
    }
    out.extend((0..n).filter(|&v| !seen[v]));
    out
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

/// Swaps neighbours of the same column in a row while that strictly removes crossings
/// (bounded number of passes).
fn transpose(
    rows: &mut [Vec<usize>],
    pos: &mut [usize],
    up: &[Vec<usize>],
    down: &[Vec<usize>],
    column: &[usize],
) {
    for _ in 0..SWEEPS {
        let mut improved = false;
        for row in rows.iter_mut() {
            for i in 1..row.len() {
                let (u, v) = (row[i - 1], row[i]);
                if column[u] != column[v] {
                    continue;
                }
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

/// Positions for `row` as close as possible to `desired`, keeping order, separation and the
/// boxes inside `(lo, hi)`: the average of a left-to-right and a right-to-left placement, both
/// of which keep the gaps and the bounds (the band is at least as wide as the packed row).
fn place(
    row: &[usize],
    desired: &[f64],
    gap: &impl Fn(usize, usize) -> f64,
    width: &[f64],
    (lo, hi): (f64, f64),
) -> Vec<f64> {
    let k = row.len();
    let clamp = |i: usize| {
        let half = width[row[i]] / 2.0;
        desired[i].max(lo + half).min(hi - half)
    };
    let mut left: Vec<f64> = (0..k).map(clamp).collect();
    for i in 1..k {
        left[i] = left[i].max(left[i - 1] + gap(row[i - 1], row[i]));
    }
    let mut right: Vec<f64> = (0..k).map(clamp).collect();
    for i in (0..k.saturating_sub(1)).rev() {
        right[i] = right[i].min(right[i + 1] - gap(row[i], row[i + 1]));
    }
    let mut x: Vec<f64> = left
        .iter()
        .zip(&right)
        .map(|(l, r)| (l + r) / 2.0)
        .collect();
    // The average keeps the gaps but may leave the band at an end: push back in, first from
    // the left, then from the right (the band holds the packed row, so both bounds hold after).
    for i in 0..k {
        let floor = if i == 0 {
            lo + width[row[0]] / 2.0
        } else {
            x[i - 1] + gap(row[i - 1], row[i])
        };
        x[i] = x[i].max(floor);
    }
    for i in (0..k).rev() {
        let ceiling = if i + 1 == k {
            hi - width[row[i]] / 2.0
        } else {
            x[i + 1] - gap(row[i], row[i + 1])
        };
        x[i] = x[i].min(ceiling);
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A topological order (Kahn, smallest index first), as the validated topology gives one.
    fn topo(n: usize, edges: &[(usize, usize)]) -> Vec<usize> {
        let mut indegree = vec![0usize; n];
        let edges: Vec<(usize, usize)> = edges
            .iter()
            .copied()
            .filter(|&(a, b)| a < n && b < n && a != b)
            .collect();
        for &(_, b) in &edges {
            indegree[b] += 1;
        }
        let mut ready: BTreeSet<usize> = (0..n).filter(|&v| indegree[v] == 0).collect();
        let mut order = Vec::new();
        while let Some(v) = ready.pop_first() {
            order.push(v);
            for &(a, b) in &edges {
                if a == v {
                    indegree[b] -= 1;
                    if indegree[b] == 0 {
                        ready.insert(b);
                    }
                }
            }
        }
        order
    }

    fn layered_plain(widths: &[f64], edges: &[(usize, usize)]) -> Layout {
        let order = topo(widths.len(), edges);
        layered(Graph {
            widths,
            edges,
            order: &order,
            cluster_of: &[],
            cluster_widths: &[],
        })
    }

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
        let l = layered_plain(&widths, &edges);
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
        let l = layered_plain(&widths, &[(0, 3), (1, 2)]);
        let order_top = l.nodes[0].x < l.nodes[1].x;
        let order_bottom = l.nodes[3].x < l.nodes[2].x;
        assert_eq!(order_top, order_bottom);
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        let l = layered_plain(&[], &[]);
        assert!(l.nodes.is_empty());
        assert_eq!(l.width, 2.0 * MARGIN);
        let l = layered_plain(&[10.0], &[(0, 0), (0, 7), (9, 0)]);
        assert_eq!(l.nodes.len(), 1);
        assert!(l.edges.is_empty());
        // A cycle is not valid topology, but must not hang or panic.
        let l = layered(Graph {
            widths: &[10.0; 3],
            edges: &[(0, 1), (1, 2), (2, 0)],
            order: &[2, 9, 2],
            cluster_of: &[Some(0), None, Some(7)],
            cluster_widths: &[40.0],
        });
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
        assert_eq!(
            layered_plain(&widths, &edges),
            layered_plain(&widths, &edges)
        );
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn arb_graph() -> impl Strategy<Value = (Vec<f64>, Vec<(usize, usize)>, Vec<Option<usize>>)> {
        (2usize..28).prop_flat_map(|n| {
            (
                proptest::collection::vec(60.0f64..200.0, n),
                proptest::collection::vec((0..n, 0..n), 0..n * 2),
                proptest::collection::vec(proptest::option::of(0usize..4), n),
            )
                .prop_map(|(w, e, c)| {
                    // Edges from the smaller index to the larger: a DAG, 0..n is topological.
                    let e = e
                        .into_iter()
                        .filter(|(a, b)| a != b)
                        .map(|(a, b)| (a.min(b), a.max(b)))
                        .collect();
                    (w, e, c)
                })
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn boxes_hold_exactly_their_nodes_and_nothing_overlaps((widths, edges, cluster_of) in arb_graph()) {
            let n = widths.len();
            let order: Vec<usize> = (0..n).collect();
            let l = layered(Graph {
                widths: &widths,
                edges: &edges,
                order: &order,
                cluster_of: &cluster_of,
                cluster_widths: &[50.0, 80.0, 120.0, 40.0],
            });
            for &(a, b) in &edges {
                prop_assert!(l.nodes[a].y < l.nodes[b].y);
            }
            let rect = |v: usize| {
                let p = l.nodes[v];
                (p.x - widths[v] / 2.0, p.y - NODE_HEIGHT / 2.0, p.x + widths[v] / 2.0, p.y + NODE_HEIGHT / 2.0)
            };
            for a in 0..n {
                let ra = rect(a);
                prop_assert!(ra.0 >= MARGIN - 1e-6 && ra.2 <= l.width - MARGIN + 1e-6);
                prop_assert!(ra.1 >= 0.0 && ra.3 <= l.height);
                for b in a + 1..n {
                    let rb = rect(b);
                    // Two boxes are at least NODE_GAP apart, or 2 * DUMMY_GAP with an
                    // edge bend between them.
                    let gap = 2.0 * DUMMY_GAP - 1e-6;
                    let apart = ra.2 + gap <= rb.0 || rb.2 + gap <= ra.0
                        || ra.3 <= rb.1 || rb.3 <= ra.1;
                    prop_assert!(apart, "{a} {ra:?} and {b} {rb:?} overlap");
                }
            }
            for (i, b) in l.clusters.iter().enumerate() {
                prop_assert!(b.x >= 0.0 && b.x + b.width <= l.width + 1e-6);
                prop_assert!(b.y >= 0.0 && b.y + b.height <= l.height + 1e-6);
                for v in 0..n {
                    let r = rect(v);
                    let inside = r.0 >= b.x - 1e-6 && r.2 <= b.x + b.width + 1e-6
                        && r.1 >= b.y - 1e-6 && r.3 <= b.y + b.height + 1e-6;
                    let touches = r.0 < b.x + b.width && r.2 > b.x && r.1 < b.y + b.height && r.3 > b.y;
                    if cluster_of[v] == Some(b.cluster) {
                        prop_assert!(inside, "{v} outside its box {b:?}");
                    } else {
                        prop_assert!(!touches, "{v} {r:?} inside the box {b:?} of another cluster");
                    }
                }
                for c in &l.clusters[i + 1..] {
                    let apart = b.x + b.width < c.x || c.x + c.width < b.x
                        || b.y + b.height < c.y || c.y + c.height < b.y;
                    prop_assert!(apart, "{b:?} and {c:?} overlap");
                }
            }
        }
    }
}
