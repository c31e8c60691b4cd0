//! A validated [`Topology`], built with a [`TopologyBuilder`].
//!
//! The builder is the single gate for structure: once a `Topology` exists, every reference
//! resolves, every group has members and a valid `k`, no entity depends on itself and the
//! dependency graph has no cycle. Downstream code (the RCA engine) relies on that.

use std::collections::HashMap;
use std::fmt;
use std::hash::BuildHasher;

use petgraph::graph::{DiGraph, NodeIndex};

use crate::dependency::DependencyGroup;
use crate::entity::Entity;
use crate::id::{EntityId, TenantId};
use crate::quote::{ELLIPSIS, MAX_QUOTED_CHARS, bounded, cut};

/// Names one dependency group in an error: its position in the input and how it reads.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GroupRef {
    /// Zero-based position of the group in the order it was added (the index in a scenario's
    /// `dependencies` array).
    pub index: usize,
    /// The group's dependent.
    pub dependent: EntityId,
    /// The group as text, e.g. `any of [agg1, agg2]` (cut to about 80 characters, see
    /// [`crate::quote`]).
    pub description: String,
}

impl GroupRef {
    fn new(index: usize, group: &DependencyGroup) -> Self {
        Self {
            index,
            dependent: group.dependent.clone(),
            description: bounded(&group.to_string()).to_string(),
        }
    }
}

impl fmt::Display for GroupRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "dependency #{} ({} needs {})",
            self.index,
            bounded(self.dependent.as_str()),
            self.description
        )
    }
}

/// Why a topology was refused. Every variant names the offending entity or group.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TopologyError {
    /// Two entities share an id.
    #[error("duplicate entity id {} (entities #{first} and #{second})", bounded(.id.as_str()))]
    DuplicateEntity {
        /// The repeated id.
        id: EntityId,
        /// Position of the first entity with this id.
        first: usize,
        /// Position of the repeat.
        second: usize,
    },
    /// An entity declares a tenant other than the topology's.
    #[error(
        "entity {} belongs to tenant {}, not to {}",
        bounded(.id.as_str()),
        bounded(.tenant.as_str()),
        bounded(.expected.as_str())
    )]
    ForeignTenant {
        /// The entity.
        id: EntityId,
        /// The tenant it declares.
        tenant: TenantId,
        /// The topology's tenant.
        expected: TenantId,
    },
    /// A link endpoint is not an entity of the topology.
    #[error(
        "entity {} has unknown endpoint {}",
        bounded(.entity.as_str()),
        bounded(.endpoint.as_str())
    )]
    UnknownEndpoint {
        /// The link.
        entity: EntityId,
        /// The missing endpoint.
        endpoint: EntityId,
    },
    /// A group's dependent is not an entity of the topology.
    #[error("{group}: unknown dependent {}", bounded(.id.as_str()))]
    UnknownDependent {
        /// The group.
        group: GroupRef,
        /// The missing id.
        id: EntityId,
    },
    /// A group member is not an entity of the topology.
    #[error("{group}: unknown member {}", bounded(.id.as_str()))]
    UnknownMember {
        /// The group.
        group: GroupRef,
        /// The missing id.
        id: EntityId,
    },
    /// A group has no members.
    #[error("{group}: no members")]
    EmptyGroup {
        /// The group.
        group: GroupRef,
    },
    /// A group lists the same member twice.
    #[error("{group}: member {} listed twice", bounded(.id.as_str()))]
    DuplicateMember {
        /// The group.
        group: GroupRef,
        /// The repeated member.
        id: EntityId,
    },
    /// `k` is not in `1..=members`.
    #[error("{group}: k = {k} is out of range 1..={members}")]
    KOutOfRange {
        /// The group.
        group: GroupRef,
        /// The refused `k`.
        k: u32,
        /// Number of members.
        members: usize,
    },
    /// An entity is a member of its own group.
    #[error("{group}: {} depends on itself", bounded(.group.dependent.as_str()))]
    SelfDependency {
        /// The group.
        group: GroupRef,
    },
    /// The dependencies form a cycle; `cycle` lists it, first id repeated at the end
    /// (`a` needs `b` needs `c` needs `a`).
    #[error("dependency cycle: {}", join_arrow(cycle))]
    Cycle {
        /// The cycle, starting at its smallest id and ending with that id again.
        cycle: Vec<EntityId>,
    },
}

/// `a -> b -> a`, cut to a bounded length (with the cycle's length when cut).
fn join_arrow(ids: &[EntityId]) -> String {
    let joined = ids
        .iter()
        .map(EntityId::as_str)
        .collect::<Vec<_>>()
        .join(" -> ");
    match cut(&joined, 2 * MAX_QUOTED_CHARS) {
        (_, false) => joined,
        (kept, true) => format!(
            "{kept}{ELLIPSIS} ({} entities)",
            ids.len().saturating_sub(1)
        ),
    }
}

/// Collects entities and groups, then validates them into a [`Topology`].
///
/// # Examples
/// ```
/// use ispvm_model::{DependencyGroup, Entity, EntityKind, GroupMode, TopologyBuilder, TopologyError};
/// let id = |s: &str| s.parse::<ispvm_model::EntityId>().unwrap();
/// let mut b = TopologyBuilder::new("demo-isp".parse().unwrap());
/// for name in ["agg1", "agg2", "acc1"] {
///     b.add_entity(Entity::new(id(name), EntityKind::Device));
/// }
/// b.add_group(DependencyGroup::new(id("acc1"), GroupMode::Any, vec![id("agg1"), id("agg2")]));
/// let topology = b.build()?;
/// assert_eq!(topology.entities().len(), 3);
///
/// // A cycle is refused and named.
/// let mut b = TopologyBuilder::new("demo-isp".parse().unwrap());
/// b.add_entity(Entity::new(id("a"), EntityKind::Device));
/// b.add_entity(Entity::new(id("b"), EntityKind::Device));
/// b.add_group(DependencyGroup::new(id("a"), GroupMode::All, vec![id("b")]));
/// b.add_group(DependencyGroup::new(id("b"), GroupMode::All, vec![id("a")]));
/// let err = b.build().unwrap_err();
/// assert_eq!(err.to_string(), "dependency cycle: a -> b -> a");
/// # Ok::<(), TopologyError>(())
/// ```
#[derive(Debug, Clone)]
pub struct TopologyBuilder {
    tenant: TenantId,
    entities: Vec<Entity>,
    groups: Vec<DependencyGroup>,
}

impl TopologyBuilder {
    /// An empty builder for `tenant`.
    #[must_use]
    pub fn new(tenant: TenantId) -> Self {
        Self {
            tenant,
            entities: Vec::new(),
            groups: Vec::new(),
        }
    }

    /// A builder for `tenant` holding `entities` and `groups` as they are (no copy): the way
    /// to build a large topology already read into vectors.
    #[must_use]
    pub fn from_parts(
        tenant: TenantId,
        entities: Vec<Entity>,
        groups: Vec<DependencyGroup>,
    ) -> Self {
        Self {
            tenant,
            entities,
            groups,
        }
    }

    /// Reserves room for `entities` entities and `groups` groups.
    pub fn reserve(&mut self, entities: usize, groups: usize) -> &mut Self {
        self.entities.reserve(entities);
        self.groups.reserve(groups);
        self
    }

    /// Adds an entity.
    pub fn add_entity(&mut self, entity: Entity) -> &mut Self {
        self.entities.push(entity);
        self
    }

    /// Adds a dependency group.
    pub fn add_group(&mut self, group: DependencyGroup) -> &mut Self {
        self.groups.push(group);
        self
    }

    /// Adds many entities.
    pub fn entities(&mut self, entities: impl IntoIterator<Item = Entity>) -> &mut Self {
        self.entities.extend(entities);
        self
    }

    /// Adds many groups.
    pub fn groups(&mut self, groups: impl IntoIterator<Item = DependencyGroup>) -> &mut Self {
        self.groups.extend(groups);
        self
    }

    /// Validates and freezes the topology.
    ///
    /// Checks, in this order: duplicate ids and foreign tenants (entity order), link endpoints,
    /// then each group in order (unknown dependent, empty, unknown member, duplicate member,
    /// self-dependency, `k` out of range), and finally cycles.
    ///
    /// # Errors
    /// The first [`TopologyError`] found.
    pub fn build(self) -> Result<Topology, TopologyError> {
        self.try_build().map_err(|(e, _)| e)
    }

    /// Like [`TopologyBuilder::build`], but hands the entities back with the error, so that a
    /// caller can locate the fault (an entity's position in its input) without keeping a copy
    /// of everything it gave the builder.
    ///
    /// # Errors
    /// The first [`TopologyError`] found, with the entities.
    pub fn try_build(self) -> Result<Topology, (TopologyError, Vec<Entity>)> {
        let TopologyBuilder {
            tenant,
            entities,
            groups,
        } = self;
        match validate(&tenant, &entities, &groups) {
            Ok(checked) => Ok(Topology {
                tenant,
                entities,
                groups,
                index: checked.index,
                group_members: checked.group_members,
                groups_of: checked.groups_of,
                order: checked.order,
            }),
            Err(e) => Err((e, entities)),
        }
    }
}

/// What [`validate`] derives from a valid topology.
struct Checked {
    index: IdIndex,
    group_members: Csr,
    groups_of: Csr,
    order: Vec<u32>,
}

fn validate(
    tenant: &TenantId,
    entities: &[Entity],
    groups: &[DependencyGroup],
) -> Result<Checked, TopologyError> {
    let mut index = IdIndex::with_capacity(entities.len());
    for (i, e) in entities.iter().enumerate() {
        if let Some(t) = &e.tenant {
            if t != tenant {
                return Err(TopologyError::ForeignTenant {
                    id: e.id.clone(),
                    tenant: t.clone(),
                    expected: tenant.clone(),
                });
            }
        }
        if let Err(first) = index.insert(entities, i) {
            return Err(TopologyError::DuplicateEntity {
                id: e.id.clone(),
                first,
                second: i,
            });
        }
    }
    for e in entities {
        for endpoint in e.endpoints.iter().flatten() {
            if index.get(entities, endpoint.as_str()).is_none() {
                return Err(TopologyError::UnknownEndpoint {
                    entity: e.id.clone(),
                    endpoint: endpoint.clone(),
                });
            }
        }
    }

    let memberships = groups.iter().map(|g| g.members.len()).sum();
    let mut graph: DiGraph<(), (), u32> = DiGraph::with_capacity(entities.len(), memberships);
    for _ in 0..entities.len() {
        graph.add_node(());
    }
    let mut group_members = Csr::with_capacity(groups.len(), memberships);
    let mut dependents: Vec<u32> = Vec::with_capacity(groups.len());
    let mut sorted: Vec<u32> = Vec::new();
    for (gi, g) in groups.iter().enumerate() {
        let gref = || GroupRef::new(gi, g);
        let Some(dep) = index.get(entities, g.dependent.as_str()) else {
            return Err(TopologyError::UnknownDependent {
                group: gref(),
                id: g.dependent.clone(),
            });
        };
        if g.members.is_empty() {
            return Err(TopologyError::EmptyGroup { group: gref() });
        }
        let mut members = Vec::with_capacity(g.members.len());
        for m in &g.members {
            let Some(mi) = index.get(entities, m.as_str()) else {
                return Err(TopologyError::UnknownMember {
                    group: gref(),
                    id: m.clone(),
                });
            };
            members.push(mi);
        }
        sorted.clear();
        sorted.extend_from_slice(&members);
        sorted.sort_unstable();
        if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return Err(TopologyError::DuplicateMember {
                group: gref(),
                id: entities[w[0] as usize].id.clone(),
            });
        }
        if members.contains(&dep) {
            return Err(TopologyError::SelfDependency { group: gref() });
        }
        if g.mode.required(members.len()).is_none() {
            let k = match g.mode {
                crate::GroupMode::KofN(k) => k,
                _ => 0,
            };
            return Err(TopologyError::KOutOfRange {
                group: gref(),
                k,
                members: members.len(),
            });
        }
        for &mi in &members {
            // Edge from member to dependent: a topological order lists members first.
            graph.add_edge(
                NodeIndex::new(mi as usize),
                NodeIndex::new(dep as usize),
                (),
            );
        }
        group_members.push_row(&members);
        dependents.push(dep);
    }
    let groups_of = Csr::group_by(entities.len(), &dependents);

    let order = match petgraph::algo::toposort(&graph, None) {
        Ok(order) => order.into_iter().map(|n| n.index() as u32).collect(),
        Err(cycle) => {
            return Err(TopologyError::Cycle {
                cycle: find_cycle(&graph, cycle.node_id(), entities),
            });
        }
    };

    Ok(Checked {
        index,
        group_members,
        groups_of,
        order,
    })
}

/// Extracts one concrete cycle, in "depends on" direction, starting at its smallest id.
fn find_cycle(
    graph: &DiGraph<(), (), u32>,
    start: NodeIndex<u32>,
    entities: &[Entity],
) -> Vec<EntityId> {
    // The strongly connected component holding `start` contains a cycle through its smallest id.
    let scc = petgraph::algo::tarjan_scc(graph)
        .into_iter()
        .find(|c| c.contains(&start))
        .unwrap_or_else(|| vec![start]);
    let in_scc: std::collections::HashSet<NodeIndex<u32>> = scc.iter().copied().collect();
    let Some(&first) = scc
        .iter()
        .min_by(|a, b| entities[a.index()].id.cmp(&entities[b.index()].id))
    else {
        return Vec::new();
    };
    // Graph edges point member -> dependent; "depends on" is the reverse direction.
    // Breadth-first search from `first` along reversed edges back to `first`, visiting
    // neighbours in id order so that the reported cycle is deterministic.
    let mut parent: HashMap<NodeIndex<u32>, NodeIndex<u32>> = HashMap::new();
    let mut queue = std::collections::VecDeque::from([first]);
    let mut closing = None;
    'search: while let Some(n) = queue.pop_front() {
        let mut next: Vec<NodeIndex<u32>> = graph
            .neighbors_directed(n, petgraph::Direction::Incoming)
            .filter(|m| in_scc.contains(m))
            .collect();
        next.sort_by(|a, b| entities[a.index()].id.cmp(&entities[b.index()].id));
        for m in next {
            if m == first {
                closing = Some(n);
                break 'search;
            }
            if let std::collections::hash_map::Entry::Vacant(e) = parent.entry(m) {
                e.insert(n);
                queue.push_back(m);
            }
        }
    }
    let mut path = vec![first];
    if let Some(mut n) = closing {
        let mut back = Vec::new();
        while n != first {
            back.push(n);
            match parent.get(&n) {
                Some(&p) => n = p,
                None => break,
            }
        }
        path.extend(back.into_iter().rev());
    }
    path.push(first);
    path.into_iter()
        .map(|n| entities[n.index()].id.clone())
        .collect()
}

/// Entity id -> dense index, without a second copy of the ids: the table holds indices and
/// compares through the entity list. Hashed with hashbrown's default (foldhash, seeded per
/// process), several times faster than SipHash on short ids.
#[derive(Clone)]
struct IdIndex {
    table: hashbrown::HashTable<u32>,
    hasher: hashbrown::DefaultHashBuilder,
}

impl fmt::Debug for IdIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdIndex")
            .field("len", &self.table.len())
            .finish()
    }
}

impl IdIndex {
    fn with_capacity(n: usize) -> Self {
        Self {
            table: hashbrown::HashTable::with_capacity(n),
            hasher: hashbrown::DefaultHashBuilder::default(),
        }
    }

    fn get(&self, entities: &[Entity], id: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(id);
        self.table
            .find(hash, |&i| entities[i as usize].id.as_str() == id)
            .copied()
    }

    /// Adds entity `i`; `Err(first)` when an entity with its id is already there.
    fn insert(&mut self, entities: &[Entity], i: usize) -> Result<(), usize> {
        let id = entities[i].id.as_str();
        let hash = self.hasher.hash_one(id);
        let hasher = &self.hasher;
        match self.table.entry(
            hash,
            |&j| entities[j as usize].id.as_str() == id,
            |&j| hasher.hash_one(entities[j as usize].id.as_str()),
        ) {
            hashbrown::hash_table::Entry::Occupied(e) => Err(*e.get() as usize),
            hashbrown::hash_table::Entry::Vacant(e) => {
                e.insert(u32::try_from(i).unwrap_or(u32::MAX));
                Ok(())
            }
        }
    }
}

/// Rows of `u32` in one allocation (compressed sparse rows).
#[derive(Debug, Clone, Default)]
struct Csr {
    offsets: Vec<u32>,
    items: Vec<u32>,
}

impl Csr {
    fn with_capacity(rows: usize, items: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        Self {
            offsets,
            items: Vec::with_capacity(items),
        }
    }

    fn push_row(&mut self, row: &[u32]) {
        self.items.extend_from_slice(row);
        self.offsets
            .push(u32::try_from(self.items.len()).unwrap_or(u32::MAX));
    }

    /// Row `k` lists, in increasing order, the positions `i` with `keys[i] == k`.
    fn group_by(rows: usize, keys: &[u32]) -> Self {
        let mut offsets = vec![0u32; rows + 1];
        for &k in keys {
            offsets[k as usize + 1] += 1;
        }
        for r in 0..rows {
            offsets[r + 1] += offsets[r];
        }
        let mut fill = offsets.clone();
        let mut items = vec![0u32; keys.len()];
        for (i, &k) in keys.iter().enumerate() {
            let slot = &mut fill[k as usize];
            items[*slot as usize] = u32::try_from(i).unwrap_or(u32::MAX);
            *slot += 1;
        }
        Self { offsets, items }
    }

    fn row(&self, r: usize) -> &[u32] {
        match (self.offsets.get(r), self.offsets.get(r + 1)) {
            (Some(&a), Some(&b)) => &self.items[a as usize..b as usize],
            _ => &[],
        }
    }
}

/// A validated, immutable topology of one tenant.
///
/// Entities are addressed by their position in [`Topology::entities`] (a dense index, `usize`),
/// groups by their position in [`Topology::groups`].
#[derive(Debug, Clone)]
pub struct Topology {
    tenant: TenantId,
    entities: Vec<Entity>,
    groups: Vec<DependencyGroup>,
    index: IdIndex,
    group_members: Csr,
    groups_of: Csr,
    order: Vec<u32>,
}

impl Topology {
    /// The owning tenant.
    #[must_use]
    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    /// Entities in the order they were added.
    #[must_use]
    pub fn entities(&self) -> &[Entity] {
        &self.entities
    }

    /// Dependency groups in the order they were added.
    #[must_use]
    pub fn groups(&self) -> &[DependencyGroup] {
        &self.groups
    }

    /// Dense index of the entity with this id.
    #[must_use]
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.index.get(&self.entities, id).map(|i| i as usize)
    }

    /// The entity with this id.
    #[must_use]
    pub fn entity(&self, id: &str) -> Option<&Entity> {
        self.index_of(id).map(|i| &self.entities[i])
    }

    /// Indices of the groups whose dependent is entity `entity` (empty when out of range).
    #[must_use]
    pub fn groups_of(&self, entity: usize) -> &[u32] {
        self.groups_of.row(entity)
    }

    /// Entity indices of the members of group `group` (empty when out of range).
    #[must_use]
    pub fn group_members(&self, group: usize) -> &[u32] {
        self.group_members.row(group)
    }

    /// Entity indices in a topological order: every member comes before its dependents.
    #[must_use]
    pub fn topological_order(&self) -> &[u32] {
        &self.order
    }

    /// Takes the topology apart into its tenant, entities and groups.
    #[must_use]
    pub fn into_parts(self) -> (TenantId, Vec<Entity>, Vec<DependencyGroup>) {
        (self.tenant, self.entities, self.groups)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EntityKind, GroupMode};

    fn id(s: &str) -> EntityId {
        s.parse().unwrap()
    }

    fn builder(names: &[&str]) -> TopologyBuilder {
        let mut b = TopologyBuilder::new("t".parse().unwrap());
        for n in names {
            b.add_entity(Entity::new(id(n), EntityKind::Device));
        }
        b
    }

    fn group(dep: &str, mode: GroupMode, members: &[&str]) -> DependencyGroup {
        DependencyGroup::new(id(dep), mode, members.iter().map(|m| id(m)).collect())
    }

    #[test]
    fn rejects_each_fault_with_its_name() {
        let mut b = builder(&["a", "b", "a"]);
        assert_eq!(
            b.clone().build().unwrap_err(),
            TopologyError::DuplicateEntity {
                id: id("a"),
                first: 0,
                second: 2
            }
        );
        b = builder(&["a", "b"]);
        b.add_group(group("a", GroupMode::All, &["zz"]));
        let err = b.build().unwrap_err();
        assert!(
            matches!(&err, TopologyError::UnknownMember { id, group } if id == "zz" && group.index == 0)
        );
        assert_eq!(
            err.to_string(),
            "dependency #0 (a needs all of [zz]): unknown member zz"
        );

        let mut b = builder(&["a", "b"]);
        b.add_group(group("x", GroupMode::All, &["a"]));
        assert!(matches!(
            b.build().unwrap_err(),
            TopologyError::UnknownDependent { .. }
        ));

        let mut b = builder(&["a", "b"]);
        b.add_group(group("a", GroupMode::Any, &[]));
        assert!(matches!(
            b.build().unwrap_err(),
            TopologyError::EmptyGroup { .. }
        ));

        let mut b = builder(&["a", "b"]);
        b.add_group(group("a", GroupMode::KofN(3), &["b"]));
        assert!(matches!(
            b.build().unwrap_err(),
            TopologyError::KOutOfRange {
                k: 3,
                members: 1,
                ..
            }
        ));

        let mut b = builder(&["a", "b"]);
        b.add_group(group("a", GroupMode::KofN(0), &["b"]));
        assert!(matches!(
            b.build().unwrap_err(),
            TopologyError::KOutOfRange { k: 0, .. }
        ));

        let mut b = builder(&["a", "b"]);
        b.add_group(group("a", GroupMode::Any, &["b", "a"]));
        assert!(matches!(
            b.build().unwrap_err(),
            TopologyError::SelfDependency { .. }
        ));

        let mut b = builder(&["a", "b"]);
        b.add_group(group("a", GroupMode::Any, &["b", "b"]));
        assert!(matches!(
            b.build().unwrap_err(),
            TopologyError::DuplicateMember { .. }
        ));

        let mut b = builder(&["a"]);
        b.add_entity(Entity::new(id("l"), EntityKind::Link).with_endpoints(id("a"), id("q")));
        assert!(matches!(
            b.build().unwrap_err(),
            TopologyError::UnknownEndpoint { .. }
        ));

        let mut b = builder(&["a"]);
        b.add_entity(
            Entity::new(id("x"), EntityKind::Device).with_tenant("other".parse().unwrap()),
        );
        assert!(matches!(
            b.build().unwrap_err(),
            TopologyError::ForeignTenant { .. }
        ));
    }

    #[test]
    fn names_the_cycle() {
        let mut b = builder(&["d", "c", "b", "a", "e"]);
        b.add_group(group("e", GroupMode::All, &["a"]));
        b.add_group(group("b", GroupMode::Any, &["c", "e"]));
        b.add_group(group("c", GroupMode::All, &["d"]));
        b.add_group(group("d", GroupMode::All, &["b"]));
        let err = b.build().unwrap_err();
        assert_eq!(
            err,
            TopologyError::Cycle {
                cycle: vec![id("b"), id("c"), id("d"), id("b")]
            }
        );
    }

    #[test]
    fn order_lists_members_first() {
        let mut b = builder(&["acc", "agg1", "agg2", "core"]);
        b.add_group(group("acc", GroupMode::Any, &["agg1", "agg2"]));
        b.add_group(group("agg1", GroupMode::All, &["core"]));
        b.add_group(group("agg2", GroupMode::All, &["core"]));
        let t = b.build().unwrap();
        let pos = |n: &str| {
            let i = t.index_of(n).unwrap() as u32;
            t.topological_order().iter().position(|&x| x == i).unwrap()
        };
        assert!(pos("core") < pos("agg1"));
        assert!(pos("agg1") < pos("acc"));
        assert!(pos("agg2") < pos("acc"));
        assert_eq!(t.groups_of(t.index_of("acc").unwrap()), &[0]);
        assert_eq!(t.group_members(0).len(), 2);
    }
}
