//! Availability state (failed flags, unsatisfied groups, available members) and the compiled
//! maintenance windows: what the engine maintains and an evaluation reads.

use chrono::{DateTime, Utc};

use crate::index::Index;

/// Availability state: what the incremental propagation maintains and a full evaluation rebuilds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct State {
    pub failed: Vec<bool>,
    /// Unsatisfied groups per entity.
    pub unsat: Vec<u32>,
    pub available: Vec<bool>,
    /// Available members per group.
    pub grp_avail: Vec<u32>,
}

impl State {
    /// Builds the whole state from the failed flags, in topological order.
    pub(crate) fn full(index: &Index, failed: Vec<bool>) -> Self {
        let n = index.len();
        let mut unsat = vec![0u32; n];
        let mut available = vec![true; n];
        let mut grp_avail = vec![0u32; index.group_count()];
        for &e in &index.order {
            let e = e as usize;
            let mut u = 0;
            for &g in index.groups_of.row(e) {
                let g = g as usize;
                let count = index
                    .members
                    .row(g)
                    .iter()
                    .filter(|&&m| available.get(m as usize).copied().unwrap_or(false))
                    .count() as u32;
                if let Some(slot) = grp_avail.get_mut(g) {
                    *slot = count;
                }
                if count < index.required.get(g).copied().unwrap_or(0) {
                    u += 1;
                }
            }
            unsat[e] = u;
            available[e] = !failed[e] && u == 0;
        }
        Self {
            failed,
            unsat,
            available,
            grp_avail,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Window {
    pub entities: Vec<u32>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}
