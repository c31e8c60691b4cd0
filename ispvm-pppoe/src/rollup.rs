//! Subscriber impact rolled up through the topology: how many subscribers a service, a PoP
//! (site) or the whole tenant lost, from the per-concentrator assessments.
//!
//! ## The rule
//! 1. **Who counts under an entity.** The concentrators an entity depends on, directly or through
//!    other entities (its dependency groups' members, recursively), plus itself if it is one.
//!    Each concentrator is counted **once**, however many paths lead to it (a PoP that needs two
//!    services that both need `bras1` counts `bras1` once).
//! 2. **Redundancy clusters.** Concentrators that share an `any` group, or a `kofn` group with
//!    `k` smaller than its member count, can take each other's subscribers: they form one cluster
//!    (clusters are joined transitively). `all` groups and `kofn` with `k = n` form none.
//! 3. **Failover is not double counted.** Within one cluster, and among the concentrators
//!    counted under the entity, `lost` is the sum of their affected subscribers and `gained` is
//!    the sum of `current - baseline` over the members that are **available** and grew (a down
//!    or unreachable concentrator absorbs nobody). The cluster contributes
//!    `lost - min(lost, gained)`: a subscriber who dropped from `bras1` and reconnected on
//!    `bras2` is not affected, and one who could not reconnect is counted exactly once.
//! 4. **Per concentrator** nothing changes: `bras1` still reports its own loss (the RCA incident
//!    of `bras1` says 3000); only the roll-up above it credits the failover.
//! 5. **Sites.** Concentrators with the same `site` form a PoP, rolled up by the same rule; the
//!    tenant total rolls up every concentrator.
//!
//! Example: service `pppoe-north` needs `any [bras1, bras2]`; `bras1` goes down with 3000
//! sessions, `bras2` grows from 3000 to 5900. `pppoe-north` reports 100 affected (2900 absorbed),
//! not 3000, and never 3000 + something for `bras2`.

use std::collections::{BTreeMap, BTreeSet};

use ispvm_model::{EntityId, GroupMode, SessionAssessment, Topology};
use serde::Serialize;

/// One concentrator's assessment and whether it is available (not down, not unreachable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ConcentratorImpact {
    /// What its session history says (see [`crate::impact::RobustImpact`]).
    pub assessment: SessionAssessment,
    /// Whether it is available (an unavailable one absorbs no failover).
    pub available: bool,
}

impl ConcentratorImpact {
    /// An impact.
    #[must_use]
    pub fn new(assessment: SessionAssessment, available: bool) -> Self {
        Self {
            assessment,
            available,
        }
    }

    /// Sessions it gained over its baseline, if available (subscribers it may have taken over).
    #[must_use]
    pub fn gained(&self) -> u64 {
        if !self.available {
            return 0;
        }
        match (self.assessment.current, self.assessment.baseline) {
            (Some(c), Some(b)) => c.saturating_sub(b),
            _ => 0,
        }
    }
}

/// The roll-up of one entity, site or tenant.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[non_exhaustive]
pub struct RolledUp {
    /// Subscribers affected after failover credit.
    pub affected: u64,
    /// Sum of the concentrators' own affected counts (before credit).
    pub lost: u64,
    /// Subscribers taken over by redundant partners (`lost - affected`).
    pub absorbed: u64,
    /// The concentrators counted, sorted.
    pub concentrators: Vec<EntityId>,
}

/// Roll-up of every entity with concentrators under it, every site, and the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ImpactRollup {
    entities: BTreeMap<EntityId, RolledUp>,
    sites: BTreeMap<String, RolledUp>,
    total: RolledUp,
    unknown: Vec<EntityId>,
}

impl ImpactRollup {
    /// The roll-up of entity `id` (`None` when no concentrator counts under it).
    #[must_use]
    pub fn get(&self, id: &str) -> Option<&RolledUp> {
        self.entities.get(id)
    }

    /// Every entity with concentrators under it, by id.
    pub fn entities(&self) -> impl Iterator<Item = (&EntityId, &RolledUp)> {
        self.entities.iter()
    }

    /// The roll-up of the concentrators of `site`.
    #[must_use]
    pub fn site(&self, site: &str) -> Option<&RolledUp> {
        self.sites.get(site)
    }

    /// Every site with concentrators, by name.
    pub fn sites(&self) -> impl Iterator<Item = (&String, &RolledUp)> {
        self.sites.iter()
    }

    /// The whole tenant.
    #[must_use]
    pub fn total(&self) -> &RolledUp {
        &self.total
    }

    /// Assessed concentrators that are not in the topology (ignored), sorted.
    #[must_use]
    pub fn unknown(&self) -> &[EntityId] {
        &self.unknown
    }
}

fn find(parent: &mut [usize], mut x: usize) -> usize {
    while let Some(&p) = parent.get(x) {
        if p == x {
            break;
        }
        let gp = parent.get(p).copied().unwrap_or(p);
        if let Some(slot) = parent.get_mut(x) {
            *slot = gp;
        }
        x = p;
    }
    x
}

fn union(parent: &mut [usize], a: usize, b: usize) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra != rb {
        let (lo, hi) = (ra.min(rb), ra.max(rb));
        if let Some(slot) = parent.get_mut(hi) {
            *slot = lo;
        }
    }
}

/// Rolls the per-concentrator `impacts` up through `topology` (see the module docs for the rule).
///
/// # Examples
/// ```
/// use std::collections::BTreeMap;
/// use ispvm_model::{DependencyGroup, Entity, EntityKind, GroupMode, SessionAssessment,
///                   TopologyBuilder};
/// use ispvm_pppoe::rollup::{roll_up, ConcentratorImpact};
///
/// let id = |s: &str| s.parse::<ispvm_model::EntityId>().unwrap();
/// let mut b = TopologyBuilder::new("isp".parse().unwrap());
/// b.add_entity(Entity::new(id("bras1"), EntityKind::PppoeConcentrator))
///  .add_entity(Entity::new(id("bras2"), EntityKind::PppoeConcentrator))
///  .add_entity(Entity::new(id("pppoe-north"), EntityKind::Service))
///  .add_group(DependencyGroup::new(id("pppoe-north"), GroupMode::Any,
///                                  vec![id("bras1"), id("bras2")]));
/// let topo = b.build().unwrap();
/// let impacts = BTreeMap::from([
///     // bras1 down with its 3000 sessions; bras2 took 2900 of them.
///     (id("bras1"), ConcentratorImpact::new(
///         SessionAssessment::new(Some(3000), Some(3000), 3000, false), false)),
///     (id("bras2"), ConcentratorImpact::new(
///         SessionAssessment::new(Some(3000), Some(5900), 0, false), true)),
/// ]);
/// let r = roll_up(&topo, &impacts);
/// let north = r.get("pppoe-north").unwrap();
/// assert_eq!((north.affected, north.lost, north.absorbed), (100, 3000, 2900));
/// assert_eq!(r.get("bras1").unwrap().affected, 3000); // its own loss is unchanged
/// ```
#[must_use]
pub fn roll_up(
    topology: &Topology,
    impacts: &BTreeMap<EntityId, ConcentratorImpact>,
) -> ImpactRollup {
    let n = topology.entities().len();
    // Concentrators: assessed entities of the topology, by index.
    let mut conc: BTreeMap<usize, ConcentratorImpact> = BTreeMap::new();
    let mut unknown = Vec::new();
    for (id, imp) in impacts {
        match topology.index_of(id.as_str()) {
            Some(i) => {
                conc.insert(i, *imp);
            }
            None => unknown.push(id.clone()),
        }
    }

    // Redundancy clusters.
    let mut parent: Vec<usize> = (0..n).collect();
    for (g, group) in topology.groups().iter().enumerate() {
        let members = topology.group_members(g);
        let redundant = match group.mode {
            GroupMode::All => false,
            GroupMode::Any => members.len() > 1,
            GroupMode::KofN(k) => usize::try_from(k).is_ok_and(|k| k < members.len()),
            _ => false,
        };
        if !redundant {
            continue;
        }
        let mut first = None;
        for &m in members {
            let m = m as usize;
            if conc.contains_key(&m) {
                match first {
                    None => first = Some(m),
                    Some(f) => union(&mut parent, f, m),
                }
            }
        }
    }

    let sum = |set: &BTreeSet<usize>, parent: &mut Vec<usize>| -> RolledUp {
        // Per cluster: (lost, gained).
        let mut clusters: BTreeMap<usize, (u64, u64)> = BTreeMap::new();
        let mut ids = Vec::with_capacity(set.len());
        for &c in set {
            let Some(imp) = conc.get(&c) else { continue };
            let root = find(parent, c);
            let e = clusters.entry(root).or_default();
            e.0 = e.0.saturating_add(imp.assessment.affected);
            e.1 = e.1.saturating_add(imp.gained());
            if let Some(ent) = topology.entities().get(c) {
                ids.push(ent.id.clone());
            }
        }
        ids.sort();
        let mut r = RolledUp {
            concentrators: ids,
            ..RolledUp::default()
        };
        for (lost, gained) in clusters.into_values() {
            let absorbed = lost.min(gained);
            r.lost = r.lost.saturating_add(lost);
            r.absorbed = r.absorbed.saturating_add(absorbed);
            r.affected = r.affected.saturating_add(lost - absorbed);
        }
        r
    };

    // Downstream closure in topological order (members before dependents).
    let mut under: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
    for &x in topology.topological_order() {
        let x = x as usize;
        let mut set = BTreeSet::new();
        if conc.contains_key(&x) {
            set.insert(x);
        }
        for &g in topology.groups_of(x) {
            for &m in topology.group_members(g as usize) {
                if let Some(s) = under.get(m as usize) {
                    set.extend(s.iter().copied());
                }
            }
        }
        if let Some(slot) = under.get_mut(x) {
            *slot = set;
        }
    }

    let mut out = ImpactRollup {
        unknown,
        ..ImpactRollup::default()
    };
    for (x, set) in under.iter().enumerate() {
        if set.is_empty() {
            continue;
        }
        if let Some(ent) = topology.entities().get(x) {
            out.entities.insert(ent.id.clone(), sum(set, &mut parent));
        }
    }
    let mut by_site: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    for &c in conc.keys() {
        if let Some(site) = topology.entities().get(c).and_then(|e| e.site.clone()) {
            by_site.entry(site).or_default().insert(c);
        }
    }
    for (site, set) in by_site {
        out.sites.insert(site, sum(&set, &mut parent));
    }
    let all: BTreeSet<usize> = conc.keys().copied().collect();
    out.total = sum(&all, &mut parent);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ispvm_model::{DependencyGroup, Entity, EntityKind, TopologyBuilder};
    use proptest::prelude::*;

    fn id(s: &str) -> EntityId {
        s.parse().unwrap()
    }

    fn lost(baseline: u64, affected: u64, available: bool) -> ConcentratorImpact {
        let current = if available {
            baseline - affected
        } else {
            baseline
        };
        ConcentratorImpact::new(
            SessionAssessment::new(Some(baseline), Some(current), affected, available),
            available,
        )
    }

    fn grew(baseline: u64, current: u64) -> ConcentratorImpact {
        ConcentratorImpact::new(
            SessionAssessment::new(Some(baseline), Some(current), 0, false),
            true,
        )
    }

    /// agg1 <- bras1, bras2 (site north), bras3 (site south);
    /// pppoe-north: any [bras1, bras2]; business: all [bras2, bras3];
    /// pop: all [pppoe-north, business].
    fn topo(mode_north: GroupMode) -> Topology {
        let mut b = TopologyBuilder::new("isp".parse().unwrap());
        b.add_entity(Entity::new(id("agg1"), EntityKind::Device))
            .add_entity(Entity::new(id("bras1"), EntityKind::PppoeConcentrator).with_site("north"))
            .add_entity(Entity::new(id("bras2"), EntityKind::PppoeConcentrator).with_site("north"))
            .add_entity(Entity::new(id("bras3"), EntityKind::PppoeConcentrator).with_site("south"))
            .add_entity(Entity::new(id("pppoe-north"), EntityKind::Service))
            .add_entity(Entity::new(id("business"), EntityKind::Service))
            .add_entity(Entity::new(id("pop"), EntityKind::Site));
        for bras in ["bras1", "bras2", "bras3"] {
            b.add_group(DependencyGroup::new(
                id(bras),
                GroupMode::All,
                vec![id("agg1")],
            ));
        }
        b.add_group(DependencyGroup::new(
            id("pppoe-north"),
            mode_north,
            vec![id("bras1"), id("bras2")],
        ))
        .add_group(DependencyGroup::new(
            id("business"),
            GroupMode::All,
            vec![id("bras2"), id("bras3")],
        ))
        .add_group(DependencyGroup::new(
            id("pop"),
            GroupMode::All,
            vec![id("pppoe-north"), id("business")],
        ));
        b.build().unwrap()
    }

    #[test]
    fn failover_within_a_redundant_pair_is_not_double_counted() {
        let impacts = BTreeMap::from([
            (id("bras1"), lost(3000, 3000, false)),
            (id("bras2"), grew(3000, 5900)),
            (id("bras3"), grew(1000, 1000)),
        ]);
        let r = roll_up(&topo(GroupMode::Any), &impacts);
        let north = r.get("pppoe-north").unwrap();
        assert_eq!(
            (north.affected, north.lost, north.absorbed),
            (100, 3000, 2900)
        );
        assert_eq!(north.concentrators, vec![id("bras1"), id("bras2")]);
        // The PoP reaches bras2 twice (via both services): counted once, credit used once.
        let pop = r.get("pop").unwrap();
        assert_eq!((pop.affected, pop.lost, pop.absorbed), (100, 3000, 2900));
        assert_eq!(pop.concentrators.len(), 3);
        // business does not contain bras1: nothing lost there.
        assert_eq!(r.get("business").unwrap().affected, 0);
        // Each concentrator keeps its own count.
        assert_eq!(r.get("bras1").unwrap().affected, 3000);
        assert_eq!(r.site("north").unwrap().affected, 100);
        assert_eq!(r.site("south").unwrap().affected, 0);
        assert_eq!(r.total().affected, 100);
        // Entities without concentrators under them have no roll-up.
        assert_eq!(r.get("agg1"), None);
    }

    #[test]
    fn no_failover_counts_the_full_loss() {
        let impacts = BTreeMap::from([
            (id("bras1"), lost(3000, 3000, false)),
            (id("bras2"), grew(3000, 3010)),
        ]);
        let r = roll_up(&topo(GroupMode::Any), &impacts);
        assert_eq!(r.get("pppoe-north").unwrap().affected, 2990);
        // Both down: no one absorbs (a down concentrator's last count is not a gain).
        let both = BTreeMap::from([
            (id("bras1"), lost(3000, 3000, false)),
            (
                id("bras2"),
                ConcentratorImpact::new(
                    SessionAssessment::new(Some(3000), Some(3500), 3500, false),
                    false,
                ),
            ),
        ]);
        let r = roll_up(&topo(GroupMode::Any), &both);
        let north = r.get("pppoe-north").unwrap();
        assert_eq!((north.affected, north.absorbed), (6500, 0));
    }

    #[test]
    fn all_groups_give_no_failover_credit() {
        let impacts = BTreeMap::from([
            (id("bras1"), lost(3000, 3000, false)),
            (id("bras2"), grew(3000, 5900)),
        ]);
        // pppoe-north needs both: they are not a redundant pair, but business still joins
        // bras2 and bras3 with `all`, so no cluster anywhere.
        let r = roll_up(&topo(GroupMode::All), &impacts);
        assert_eq!(r.get("pppoe-north").unwrap().affected, 3000);
        assert_eq!(r.total().affected, 3000);
        // kofn with k = n is `all`.
        let r = roll_up(&topo(GroupMode::KofN(2)), &impacts);
        assert_eq!(r.get("pppoe-north").unwrap().affected, 3000);
        // kofn with k < n is redundant.
        let r = roll_up(&topo(GroupMode::KofN(1)), &impacts);
        assert_eq!(r.get("pppoe-north").unwrap().affected, 100);
    }

    #[test]
    fn drops_while_up_sum_and_unknown_ids_are_listed() {
        let impacts = BTreeMap::from([
            (id("bras1"), lost(3200, 3150, true)),
            (id("bras3"), lost(900, 900, false)),
            (id("bras-ghost"), lost(10, 10, false)),
        ]);
        let r = roll_up(&topo(GroupMode::Any), &impacts);
        assert_eq!(r.get("pop").unwrap().affected, 4050);
        assert_eq!(r.total().affected, 4050);
        assert_eq!(r.unknown(), &[id("bras-ghost")]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Every roll-up lies between 0 and the sum of its distinct concentrators' losses, and
        /// `affected + absorbed == lost`.
        #[test]
        fn bounded_by_the_distinct_sum(
            vals in proptest::collection::vec((0u64..5000, 0u64..5000, any::<bool>()), 3),
            mode in prop_oneof![Just(GroupMode::Any), Just(GroupMode::All), Just(GroupMode::KofN(1))],
        ) {
            let names = ["bras1", "bras2", "bras3"];
            let impacts: BTreeMap<EntityId, ConcentratorImpact> = names.iter().zip(&vals)
                .map(|(n, &(b, c, avail))| {
                    let affected = if avail { b.saturating_sub(c) } else { c };
                    (id(n), ConcentratorImpact::new(
                        SessionAssessment::new(Some(b), Some(c), affected, false), avail))
                })
                .collect();
            let r = roll_up(&topo(mode), &impacts);
            for (_, row) in r.entities() {
                let distinct: u64 = row.concentrators.iter()
                    .map(|c| impacts[c].assessment.affected).sum();
                prop_assert_eq!(row.lost, distinct);
                prop_assert!(row.affected <= distinct);
                prop_assert_eq!(row.affected + row.absorbed, row.lost);
            }
            prop_assert!(r.total().affected <= r.total().lost);
        }
    }
}
