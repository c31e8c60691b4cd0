//! The compiled topology: dense CSR arrays built once from a validated [`Topology`].

use ispvm_model::{EntityKind, GroupMode, Topology};

/// Offsets + values: row `i` is `values[offsets[i]..offsets[i + 1]]`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Csr {
    offsets: Vec<u32>,
    values: Vec<u32>,
}

impl Csr {
    fn from_rows(rows: usize, pairs: &mut [(u32, u32)]) -> Self {
        // Counting sort by row keeps values in input order within each row.
        let mut offsets = vec![0u32; rows + 1];
        for &(r, _) in pairs.iter() {
            if let Some(o) = offsets.get_mut(r as usize + 1) {
                *o += 1;
            }
        }
        for i in 0..rows {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets.clone();
        let mut values = vec![0u32; pairs.len()];
        for &(r, v) in pairs.iter() {
            if let Some(pos) = fill.get_mut(r as usize) {
                if let Some(slot) = values.get_mut(*pos as usize) {
                    *slot = v;
                }
                *pos += 1;
            }
        }
        Self { offsets, values }
    }

    #[inline]
    pub(crate) fn row(&self, i: usize) -> &[u32] {
        match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&a), Some(&b)) => self.values.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    fn heap_bytes(&self) -> usize {
        (self.offsets.capacity() + self.values.capacity()) * 4
    }
}

/// Entity -> groups -> members, reverse edges, required counts and the topological order.
#[derive(Debug, Clone)]
pub(crate) struct Index {
    /// Groups whose dependent is the entity.
    pub groups_of: Csr,
    /// Members of each group.
    pub members: Csr,
    /// Groups the entity is a member of (reverse edges).
    pub member_of: Csr,
    /// Dependent of each group.
    pub dependent: Vec<u32>,
    /// Members each group needs.
    pub required: Vec<u32>,
    /// Entity indices in topological order (members first).
    pub order: Vec<u32>,
    /// Position of each entity in `order`.
    pub rank: Vec<u32>,
    /// Links whose endpoints include the entity.
    pub links_of: Csr,
    /// Endpoints of each entity (links), as a row.
    pub endpoints: Csr,
    /// The entity named by the id prefix before the first `/` (`agg1` for `agg1/ether1`).
    pub parent: Vec<u32>,
    /// Entities whose parent is this entity.
    pub children: Csr,
    /// Kind of each entity.
    pub kinds: Vec<EntityKind>,
}

pub(crate) const NONE: u32 = u32::MAX;

impl Index {
    pub(crate) fn compile(t: &Topology) -> Self {
        let n = t.entities().len();
        let groups = t.groups();
        let mut groups_of_pairs = Vec::with_capacity(groups.len());
        let mut member_pairs = Vec::new();
        let mut member_of_pairs = Vec::new();
        let mut dependent = Vec::with_capacity(groups.len());
        let mut required = Vec::with_capacity(groups.len());
        for (gi, g) in groups.iter().enumerate() {
            let gi = gi as u32;
            let members = t.group_members(gi as usize);
            let dep = t.index_of(g.dependent.as_str()).unwrap_or(0) as u32;
            dependent.push(dep);
            let req = match g.mode {
                GroupMode::All => members.len(),
                GroupMode::Any => 1,
                GroupMode::KofN(k) => k as usize,
                _ => members.len(),
            };
            required.push(req as u32);
            groups_of_pairs.push((dep, gi));
            for &m in members {
                member_pairs.push((gi, m));
                member_of_pairs.push((m, gi));
            }
        }
        let order: Vec<u32> = t.topological_order().to_vec();
        let mut rank = vec![0u32; n];
        for (pos, &e) in order.iter().enumerate() {
            if let Some(r) = rank.get_mut(e as usize) {
                *r = pos as u32;
            }
        }
        let mut link_pairs = Vec::new();
        let mut endpoint_pairs = Vec::new();
        let mut parent = vec![NONE; n];
        let mut child_pairs = Vec::new();
        let mut kinds = Vec::with_capacity(n);
        for (i, e) in t.entities().iter().enumerate() {
            kinds.push(e.kind);
            for ep in e.endpoints.iter().flatten() {
                if let Some(j) = t.index_of(ep.as_str()) {
                    link_pairs.push((j as u32, i as u32));
                    endpoint_pairs.push((i as u32, j as u32));
                }
            }
            if let Some(head) = e.id.parent_device() {
                if let Some(j) = t.index_of(head) {
                    if j != i {
                        parent[i] = j as u32;
                        child_pairs.push((j as u32, i as u32));
                    }
                }
            }
        }
        Self {
            groups_of: Csr::from_rows(n, &mut groups_of_pairs),
            members: Csr::from_rows(groups.len(), &mut member_pairs),
            member_of: Csr::from_rows(n, &mut member_of_pairs),
            dependent,
            required,
            order,
            rank,
            links_of: Csr::from_rows(n, &mut link_pairs),
            endpoints: Csr::from_rows(n, &mut endpoint_pairs),
            parent,
            children: Csr::from_rows(n, &mut child_pairs),
            kinds,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.rank.len()
    }

    pub(crate) fn group_count(&self) -> usize {
        self.dependent.len()
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.groups_of.heap_bytes()
            + self.members.heap_bytes()
            + self.member_of.heap_bytes()
            + self.links_of.heap_bytes()
            + self.endpoints.heap_bytes()
            + self.children.heap_bytes()
            + (self.dependent.capacity()
                + self.required.capacity()
                + self.order.capacity()
                + self.rank.capacity()
                + self.parent.capacity())
                * 4
            + self.kinds.capacity()
    }
}
