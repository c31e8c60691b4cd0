//! The demo ISP: 17 RouterOS routers, 3 transits, an upstream service and a RADIUS server.
//!
//! ```text
//!                  transit1  transit2      transit3        internet = 2 of [transit1..3]
//!                       \     /               |
//!                       core1 (TLS) ------- core2          radius1 = any(core1, core2)
//!                         |   \           /   |
//!                       agg1 ---- ring ---- agg3           agg1, agg3 = any(core1, core2)
//!                      /  |  \            /  |  \
//!                  agg2 = any(agg1, agg3)   agg4 = any(agg3, agg1)
//!
//! access (dual-homed to adjacent ring routers)      concentrators (PPPoE)
//!   acc1, acc2 = any(agg1, agg2)                      bras1 3200 sessions = any(agg1, agg2)
//!   acc3, acc4 = any(agg2, agg3)                      bras2 2100 sessions = any(agg2, agg3)
//!   acc5, acc6 = any(agg3, agg4)                      bras3  900 sessions = any(agg3, agg4)
//!   acc7, acc8 = any(agg4, agg1)
//! ```
//!
//! The ring agg1-agg2-agg3-agg4-agg1 is cut open into an acyclic dependency graph: agg1 and agg3
//! hang off the cores, agg2 and agg4 off their two ring neighbours. The same dependencies model
//! the management path: the poller sits behind the cores, so a router is reachable when it is
//! powered and one of its upstream paths is (see [`reachable_routers`]).

use std::collections::BTreeSet;

use ispvm_model::{
    DependencyGroup, Entity, EntityId, EntityKind, GroupMode, IdError, Role, TenantId, Topology,
    TopologyBuilder, TopologyError,
};
use ispvm_routeros::sim::{SimBgpPeer, SimPppoe, SimState};

/// The tenant of the demo ISP.
pub const TENANT: &str = "demo-isp";

/// What a simulated router is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RouterKind {
    /// A core router with transit BGP sessions.
    Core,
    /// An aggregation ring router.
    Aggregation,
    /// A dual-homed access switch.
    Access,
    /// A PPPoE concentrator (BRAS).
    Concentrator,
}

/// One simulated RouterOS router of the demo ISP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RouterSpec {
    /// Entity id, also its `/system/identity`.
    pub id: &'static str,
    /// What it is.
    pub kind: RouterKind,
    /// Its site.
    pub site: &'static str,
    /// RouterOS version it runs.
    pub version: &'static str,
    /// Polled over API-SSL (TLS) instead of plain API.
    pub tls: bool,
    /// Active PPPoE sessions in normal operation (concentrators only).
    pub sessions: u32,
}

const fn router(
    id: &'static str,
    kind: RouterKind,
    site: &'static str,
    version: &'static str,
) -> RouterSpec {
    RouterSpec {
        id,
        kind,
        site,
        version,
        tls: false,
        sessions: 0,
    }
}

const fn bras(id: &'static str, site: &'static str, sessions: u32) -> RouterSpec {
    RouterSpec {
        id,
        kind: RouterKind::Concentrator,
        site,
        version: "7.18.2",
        tls: false,
        sessions,
    }
}

/// The 17 routers, in polling (and printing) order.
pub const ROUTERS: [RouterSpec; 17] = {
    use RouterKind::{Access, Aggregation};
    [
        RouterSpec {
            id: "core1",
            kind: RouterKind::Core,
            site: "dc-central",
            version: "7.18.2",
            tls: true,
            sessions: 0,
        },
        router("core2", RouterKind::Core, "dc-central", "7.18.2"),
        router("agg1", Aggregation, "pop-north", "7.18.2"),
        router("agg2", Aggregation, "pop-east", "7.18.2"),
        router("agg3", Aggregation, "pop-south", "7.18.2"),
        router("agg4", Aggregation, "pop-west", "7.16.1"),
        router("acc1", Access, "pop-north", "7.18.2"),
        router("acc2", Access, "pop-north", "7.18.2"),
        router("acc3", Access, "pop-east", "7.18.2"),
        router("acc4", Access, "pop-east", "7.18.2"),
        router("acc5", Access, "pop-south", "7.18.2"),
        router("acc6", Access, "pop-south", "7.18.2"),
        router("acc7", Access, "pop-west", "6.49.10"),
        router("acc8", Access, "pop-west", "6.49.10"),
        bras("bras1", "pop-north", 3200),
        bras("bras2", "pop-east", 2100),
        bras("bras3", "pop-south", 900),
    ]
};

/// A transit BGP session: `(entity id, core router, remote address, remote AS)`.
pub const TRANSITS: [(&str, &str, &str, u32); 3] = [
    ("transit1", "core1", "198.51.100.1", 64496),
    ("transit2", "core1", "203.0.113.1", 64497),
    ("transit3", "core2", "192.0.2.1", 64499),
];

/// Address of radius1 as the concentrators know it.
pub const RADIUS_ADDRESS: &str = "10.0.0.10";

/// The RADIUS server entity.
pub const RADIUS_ID: &str = "radius1";

/// The upstream service entity.
pub const INTERNET_ID: &str = "internet";

#[derive(Clone, Copy)]
enum Mode {
    All,
    Any,
    TwoOf,
}

/// Every dependency group: `(dependent, mode, members)`.
const GROUPS: [(&str, Mode, &[&str]); 20] = [
    ("transit1", Mode::All, &["core1"]),
    ("transit2", Mode::All, &["core1"]),
    ("transit3", Mode::All, &["core2"]),
    (
        "internet",
        Mode::TwoOf,
        &["transit1", "transit2", "transit3"],
    ),
    ("radius1", Mode::Any, &["core1", "core2"]),
    ("agg1", Mode::Any, &["core1", "core2"]),
    ("agg3", Mode::Any, &["core1", "core2"]),
    ("agg2", Mode::Any, &["agg1", "agg3"]),
    ("agg4", Mode::Any, &["agg3", "agg1"]),
    ("acc1", Mode::Any, &["agg1", "agg2"]),
    ("acc2", Mode::Any, &["agg1", "agg2"]),
    ("acc3", Mode::Any, &["agg2", "agg3"]),
    ("acc4", Mode::Any, &["agg2", "agg3"]),
    ("acc5", Mode::Any, &["agg3", "agg4"]),
    ("acc6", Mode::Any, &["agg3", "agg4"]),
    ("acc7", Mode::Any, &["agg4", "agg1"]),
    ("acc8", Mode::Any, &["agg4", "agg1"]),
    ("bras1", Mode::Any, &["agg1", "agg2"]),
    ("bras2", Mode::Any, &["agg2", "agg3"]),
    ("bras3", Mode::Any, &["agg3", "agg4"]),
];

/// Why the demo topology could not be built (never happens with the embedded description; a
/// test builds it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IspError {
    /// An embedded id is not a valid identifier.
    #[error("bad id {id:?}: {source}")]
    Id {
        /// The id.
        id: String,
        /// Why.
        source: IdError,
    },
    /// The topology was refused.
    #[error("topology: {0}")]
    Topology(#[from] TopologyError),
}

fn id(s: &str) -> Result<EntityId, IspError> {
    EntityId::new(s).map_err(|source| IspError::Id {
        id: s.to_owned(),
        source,
    })
}

/// The demo topology: 22 entities (17 routers, 3 transit BGP sessions, `internet`, `radius1`)
/// and their dependency groups.
///
/// # Errors
/// [`IspError`] if the embedded description were inconsistent (it is not: a test builds it).
///
/// # Examples
/// ```
/// let topology = ispvm_examples::demo::isp::topology()?;
/// assert_eq!(topology.entities().len(), 22);
/// assert_eq!(topology.entity("bras2").map(|e| e.kind), Some(ispvm_model::EntityKind::PppoeConcentrator));
/// # Ok::<(), ispvm_examples::demo::isp::IspError>(())
/// ```
pub fn topology() -> Result<Topology, IspError> {
    let tenant = TenantId::new(TENANT).map_err(|source| IspError::Id {
        id: TENANT.to_owned(),
        source,
    })?;
    let mut b = TopologyBuilder::new(tenant);
    for r in &ROUTERS {
        let (kind, role) = match r.kind {
            RouterKind::Core => (EntityKind::Device, Role::Core),
            RouterKind::Aggregation => (EntityKind::Device, Role::Aggregation),
            RouterKind::Access => (EntityKind::Device, Role::Access),
            RouterKind::Concentrator => (EntityKind::PppoeConcentrator, Role::Edge),
        };
        b.add_entity(
            Entity::new(id(r.id)?, kind)
                .with_role(role)
                .with_site(r.site),
        );
    }
    for (t, _, _, _) in &TRANSITS {
        b.add_entity(Entity::new(id(t)?, EntityKind::BgpSession).with_role(Role::Upstream));
    }
    b.add_entity(Entity::new(id(INTERNET_ID)?, EntityKind::Service).with_role(Role::Upstream));
    b.add_entity(Entity::new(id(RADIUS_ID)?, EntityKind::RadiusServer).with_site("dc-central"));
    for (dependent, mode, members) in &GROUPS {
        let members = members
            .iter()
            .map(|m| id(m))
            .collect::<Result<Vec<_>, _>>()?;
        let mode = match mode {
            Mode::All => GroupMode::All,
            Mode::Any => GroupMode::Any,
            Mode::TwoOf => GroupMode::KofN(2),
        };
        b.add_group(DependencyGroup::new(id(dependent)?, mode, members));
    }
    Ok(b.build()?)
}

/// The routers the poller can reach when the routers in `off` are down: a router is reachable
/// when it is not off and each of its dependency groups keeps enough reachable members
/// (entities that are not routers, like transits, count as reachable).
///
/// # Examples
/// ```
/// use ispvm_examples::demo::isp::reachable_routers;
/// let live = reachable_routers(&["agg2", "agg3"]);
/// assert!(!live.contains("bras2")); // any(agg2, agg3): both gone
/// assert!(live.contains("bras1")); // any(agg1, agg2): still via agg1
/// assert_eq!(live.len(), 12);
/// ```
#[must_use]
pub fn reachable_routers(off: &[&str]) -> BTreeSet<&'static str> {
    let mut live: BTreeSet<&'static str> = ROUTERS
        .iter()
        .map(|r| r.id)
        .filter(|r| !off.contains(r))
        .collect();
    let is_router = |e: &str| ROUTERS.iter().any(|r| r.id == e);
    loop {
        let before = live.len();
        for (dependent, mode, members) in &GROUPS {
            if !live.contains(dependent) {
                continue;
            }
            let up = members
                .iter()
                .filter(|m| !is_router(m) || live.contains(*m))
                .count();
            let need = match mode {
                Mode::All => members.len(),
                Mode::Any => 1,
                Mode::TwoOf => 2,
            };
            if up < need {
                live.remove(dependent);
            }
        }
        if live.len() == before {
            return live;
        }
    }
}

/// The simulated state of one router: the simulator's believable defaults, with this ISP's
/// identity, version, transit BGP sessions (cores) and PPPoE sessions (concentrators only).
#[must_use]
pub fn sim_state(spec: &RouterSpec) -> SimState {
    let mut s = match spec.kind {
        RouterKind::Core => {
            let mut s = SimState::core(spec.id);
            s.bgp_peers = TRANSITS
                .iter()
                .filter(|(_, core, _, _)| *core == spec.id)
                .map(|(name, _, addr, asn)| SimBgpPeer::new(*name, *addr, *asn, 987_000))
                .collect();
            s
        }
        RouterKind::Aggregation => {
            let mut s = SimState::aggregation(spec.id);
            // Ring routers here do not terminate PPPoE nor talk to RADIUS.
            s.pppoe = SimPppoe::default();
            s.radius.clear();
            s
        }
        RouterKind::Access => SimState::access(spec.id),
        RouterKind::Concentrator => {
            let mut s = SimState::concentrator(spec.id, spec.sessions);
            for r in &mut s.radius {
                RADIUS_ADDRESS.clone_into(&mut r.address);
            }
            s
        }
    };
    spec.version.clone_into(&mut s.version);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topology_builds_with_the_expected_groups() {
        let t = topology().unwrap();
        assert_eq!(t.entities().len(), 22);
        assert_eq!(t.groups().len(), 20);
        let g: Vec<String> = t
            .groups()
            .iter()
            .filter(|g| g.dependent.as_str() == "internet" || g.dependent.as_str() == "agg4")
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            g,
            ["2 of [transit1, transit2, transit3]", "any of [agg3, agg1]"]
        );
        let roles: Vec<_> = ["core1", "agg2", "acc5", "bras3", "transit2"]
            .iter()
            .map(|e| t.entity(e).and_then(|e| e.role))
            .collect();
        assert_eq!(
            roles,
            [
                Some(Role::Core),
                Some(Role::Aggregation),
                Some(Role::Access),
                Some(Role::Edge),
                Some(Role::Upstream)
            ]
        );
    }

    #[test]
    fn reachability_follows_the_ring() {
        assert_eq!(reachable_routers(&[]).len(), 17);
        let only_agg2 = reachable_routers(&["agg2"]);
        assert_eq!(only_agg2.len(), 16);
        let all_three = reachable_routers(&["agg2", "agg3", "agg4"]);
        let lost: Vec<_> = ROUTERS
            .iter()
            .map(|r| r.id)
            .filter(|r| !all_three.contains(r))
            .collect();
        assert_eq!(
            lost,
            [
                "agg2", "agg3", "agg4", "acc3", "acc4", "acc5", "acc6", "bras2", "bras3"
            ]
        );
        // Losing both cores cuts everything.
        assert!(reachable_routers(&["core1", "core2"]).is_empty());
    }

    #[test]
    fn sim_states_match_the_isp() {
        let core1 = sim_state(&ROUTERS[0]);
        let peers: Vec<_> = core1
            .bgp_peers
            .iter()
            .map(|p| p.remote_address.as_str())
            .collect();
        assert_eq!(peers, ["198.51.100.1", "203.0.113.1"]);
        let agg = sim_state(&ROUTERS[2]);
        assert_eq!((agg.pppoe.sessions, agg.radius.len()), (0, 0));
        let bras2 = sim_state(&ROUTERS[15]);
        assert_eq!(bras2.pppoe.sessions, 2100);
        assert_eq!(bras2.radius[0].address, RADIUS_ADDRESS);
        assert_eq!(sim_state(&ROUTERS[12]).version, "6.49.10");
    }
}
