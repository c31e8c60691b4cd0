//! The embedded ISP: the demo's world (17 RouterOS routers, 3 transits, `internet`, `radius1`)
//! with its physical links as link entities named `<a>-<b>`, served by simulators on 127.0.0.1.
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
//! every link `<a>-<b>` = all(a, b)
//! ```
//!
//! The poller sits behind the cores: a router answers when a path of up links joins it to a
//! core (see [`ispvm_routeros::sim::world`]).
//!
//! # Examples
//! ```
//! let topology = ispvm_service::embedded::topology()?;
//! assert_eq!(topology.entity("agg1-agg2").map(|e| e.kind), Some(ispvm_model::EntityKind::Link));
//! assert_eq!(ispvm_service::embedded::LINKS.len(), 31);
//! # Ok::<(), ispvm_service::embedded::EmbeddedError>(())
//! ```

use std::collections::BTreeMap;

use ispvm_model::{
    DependencyGroup, Entity, EntityId, EntityKind, GroupMode, IdError, Role, TenantId, Topology,
    TopologyBuilder, TopologyError,
};
use ispvm_pipeline::PipelineConfig;
use ispvm_routeros::sim::world::{WorldLink, WorldRouter, WorldSpec};
use ispvm_routeros::sim::{SimBgpPeer, SimPppoe, SimState};

/// The tenant of the embedded ISP.
pub const TENANT: &str = "demo-isp";

/// The read-only API user the embedded routers accept.
pub const USER: &str = "ispvm-ro";

/// Its password: a constant of the simulated world, not a secret of anyone's network.
pub const PASSWORD: &str = "embedded-demo-password";

/// What a simulated router is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RouterKind {
    /// A core router with transit BGP sessions (the poller sits behind the cores).
    Core,
    /// An aggregation ring router.
    Aggregation,
    /// A dual-homed access switch.
    Access,
    /// A PPPoE concentrator (BRAS).
    Concentrator,
}

/// One router of the embedded ISP.
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

const fn r(
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

/// The 17 routers, in polling order.
pub const ROUTERS: [RouterSpec; 17] = {
    use RouterKind::{Access, Aggregation, Core};
    [
        RouterSpec {
            id: "core1",
            kind: Core,
            site: "dc-central",
            version: "7.18.2",
            tls: true,
            sessions: 0,
        },
        r("core2", Core, "dc-central", "7.18.2"),
        r("agg1", Aggregation, "pop-north", "7.18.2"),
        r("agg2", Aggregation, "pop-east", "7.18.2"),
        r("agg3", Aggregation, "pop-south", "7.18.2"),
        r("agg4", Aggregation, "pop-west", "7.16.1"),
        r("acc1", Access, "pop-north", "7.18.2"),
        r("acc2", Access, "pop-north", "7.18.2"),
        r("acc3", Access, "pop-east", "7.18.2"),
        r("acc4", Access, "pop-east", "7.18.2"),
        r("acc5", Access, "pop-south", "7.18.2"),
        r("acc6", Access, "pop-south", "7.18.2"),
        r("acc7", Access, "pop-west", "6.49.10"),
        r("acc8", Access, "pop-west", "6.49.10"),
        bras("bras1", "pop-north", 3200),
        bras("bras2", "pop-east", 2100),
        bras("bras3", "pop-south", 900),
    ]
};

/// The physical links `(a, b)`; each is the link entity `<a>-<b>`.
pub const LINKS: [(&str, &str); 31] = [
    ("core1", "core2"),
    ("core1", "agg1"),
    ("core1", "agg3"),
    ("core2", "agg1"),
    ("core2", "agg3"),
    ("agg1", "agg2"),
    ("agg2", "agg3"),
    ("agg3", "agg4"),
    ("agg1", "agg4"),
    ("agg1", "acc1"),
    ("agg2", "acc1"),
    ("agg1", "acc2"),
    ("agg2", "acc2"),
    ("agg2", "acc3"),
    ("agg3", "acc3"),
    ("agg2", "acc4"),
    ("agg3", "acc4"),
    ("agg3", "acc5"),
    ("agg4", "acc5"),
    ("agg3", "acc6"),
    ("agg4", "acc6"),
    ("agg4", "acc7"),
    ("agg1", "acc7"),
    ("agg4", "acc8"),
    ("agg1", "acc8"),
    ("agg1", "bras1"),
    ("agg2", "bras1"),
    ("agg2", "bras2"),
    ("agg3", "bras2"),
    ("agg3", "bras3"),
    ("agg4", "bras3"),
];

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

/// The device dependency groups: `(dependent, mode, members)`.
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

/// Why the embedded description could not be built (never happens: a test builds it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmbeddedError {
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

fn id(s: &str) -> Result<EntityId, EmbeddedError> {
    EntityId::new(s).map_err(|source| EmbeddedError::Id {
        id: s.to_owned(),
        source,
    })
}

/// The link id of `(a, b)`: `<a>-<b>`.
#[must_use]
pub fn link_id(a: &str, b: &str) -> String {
    format!("{a}-{b}")
}

fn port_prefix(kind: RouterKind) -> &'static str {
    match kind {
        RouterKind::Core => "sfp28-",
        RouterKind::Aggregation | RouterKind::Access => "sfp-sfpplus",
        RouterKind::Concentrator => "sfp",
    }
}

/// The interface of every link end: `(router, interface) -> link id`. A router's link ports
/// are numbered in [`LINKS`] order from 1 (`sfp28-N` on cores, `sfp-sfpplusN` on aggregation
/// and access routers, `sfpN` on concentrators).
///
/// # Examples
/// ```
/// let ports = ispvm_service::embedded::link_ports();
/// assert_eq!(ports.get(&("agg2".to_owned(), "sfp-sfpplus1".to_owned())).map(String::as_str), Some("agg1-agg2"));
/// ```
#[must_use]
pub fn link_ports() -> BTreeMap<(String, String), String> {
    let mut next: BTreeMap<&str, usize> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for (a, b) in LINKS {
        for end in [a, b] {
            let kind = ROUTERS
                .iter()
                .find(|r| r.id == end)
                .map_or(RouterKind::Access, |r| r.kind);
            let n = next.entry(end).or_insert(0);
            *n += 1;
            out.insert(
                (end.to_owned(), format!("{}{n}", port_prefix(kind))),
                link_id(a, b),
            );
        }
    }
    out
}

/// The embedded topology: 53 entities (17 routers, 31 links, 3 transit BGP sessions,
/// `internet`, `radius1`) and their dependency groups (the devices' 20 and one `all(a, b)` per
/// link).
///
/// # Errors
/// [`EmbeddedError`] if the embedded description were inconsistent (it is not: a test builds it).
pub fn topology() -> Result<Topology, EmbeddedError> {
    build(true)
}

/// The same ISP without its link entities: 22 entities (17 routers, 3 transit BGP sessions,
/// `internet`, `radius1`) and the devices' 20 dependency groups, as the scripted demo and its
/// report draw it.
///
/// # Errors
/// As [`topology`].
///
/// # Examples
/// ```
/// let topology = ispvm_service::embedded::device_topology()?;
/// assert_eq!(topology.entities().len(), 22);
/// assert_eq!(topology.groups().len(), 20);
/// # Ok::<(), ispvm_service::embedded::EmbeddedError>(())
/// ```
pub fn device_topology() -> Result<Topology, EmbeddedError> {
    build(false)
}

/// The devices' dependency groups: `(dependent, mode, members)`, links left out.
pub fn device_groups() -> impl Iterator<Item = (&'static str, GroupMode, &'static [&'static str])> {
    GROUPS.iter().map(|(dependent, mode, members)| {
        let mode = match mode {
            Mode::All => GroupMode::All,
            Mode::Any => GroupMode::Any,
            Mode::TwoOf => GroupMode::KofN(2),
        };
        (*dependent, mode, *members)
    })
}

fn build(with_links: bool) -> Result<Topology, EmbeddedError> {
    let tenant = TenantId::new(TENANT).map_err(|source| EmbeddedError::Id {
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
    let links: &[(&str, &str)] = if with_links { &LINKS } else { &[] };
    for (a, l) in links {
        b.add_entity(Entity::new(id(&link_id(a, l))?, EntityKind::Link));
    }
    for (t, _, _, _) in &TRANSITS {
        b.add_entity(Entity::new(id(t)?, EntityKind::BgpSession).with_role(Role::Upstream));
    }
    b.add_entity(Entity::new(id(INTERNET_ID)?, EntityKind::Service).with_role(Role::Upstream));
    b.add_entity(Entity::new(id(RADIUS_ID)?, EntityKind::RadiusServer).with_site("dc-central"));
    for (dependent, mode, members) in device_groups() {
        let members = members
            .iter()
            .map(|m| id(m))
            .collect::<Result<Vec<_>, _>>()?;
        b.add_group(DependencyGroup::new(id(dependent)?, mode, members));
    }
    for (a, l) in links {
        b.add_group(DependencyGroup::new(
            id(&link_id(a, l))?,
            GroupMode::All,
            vec![id(a)?, id(l)?],
        ));
    }
    Ok(b.build()?)
}

/// The pipeline configuration of the embedded ISP: the standard preset, radius1's address,
/// the transits' BGP sessions, every link port aliased to its link entity, and a RADIUS server
/// that answers nothing is down ([`ispvm_pipeline::rules::RADIUS_DOWN_THRESHOLD`]).
///
/// # Errors
/// [`EmbeddedError::Id`] if an embedded id were invalid (it is not).
pub fn pipeline_config() -> Result<PipelineConfig, EmbeddedError> {
    let mut config = PipelineConfig::standard()
        .with_radius_server(RADIUS_ADDRESS, id(RADIUS_ID)?)
        .with_radius_down_threshold(ispvm_pipeline::rules::RADIUS_DOWN_THRESHOLD);
    for (transit, core, address, _) in TRANSITS {
        let session = id(core)?
            .bgp_session(address)
            .map_err(|source| EmbeddedError::Id {
                id: format!("{core}/bgp/{address}"),
                source,
            })?;
        config = config.with_alias(session.as_str(), id(transit)?);
    }
    for ((router, port), link) in link_ports() {
        let port_id = id(&router)?
            .child(&port)
            .map_err(|source| EmbeddedError::Id {
                id: format!("{router}/{port}"),
                source,
            })?;
        config = config.with_alias(port_id.as_str(), id(&link)?);
    }
    Ok(config)
}

/// The simulated state of one router in normal operation.
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
    // The OSPF neighbours of the simulator's defaults name ports of another layout.
    s.ospf_neighbors.clear();
    spec.version.clone_into(&mut s.version);
    s
}

/// The world of simulators: every router (the cores as roots, core1 with API-SSL) and link.
#[must_use]
pub fn world_spec() -> WorldSpec {
    let mut spec = WorldSpec::new();
    for r in &ROUTERS {
        let mut w = WorldRouter::new(r.id, sim_state(r));
        if r.kind == RouterKind::Core {
            w = w.root();
        }
        if r.tls {
            w = w.tls();
        }
        spec = spec.router(w);
    }
    let ports = link_ports();
    let port_of = |router: &str, link: &str| {
        ports
            .iter()
            .find(|((r, _), l)| r == router && l.as_str() == link)
            .map(|((_, p), _)| p.clone())
            .unwrap_or_default()
    };
    for (a, b) in LINKS {
        let l = link_id(a, b);
        spec = spec.link(WorldLink::new(a, port_of(a, &l), b, port_of(b, &l)));
    }
    spec
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topology_builds_with_links() {
        let t = topology().unwrap();
        assert_eq!(t.entities().len(), 17 + 31 + 3 + 2);
        assert_eq!(t.groups().len(), 20 + 31);
        let g: Vec<String> = t
            .groups()
            .iter()
            .filter(|g| g.dependent.as_str() == "agg1-agg2")
            .map(ToString::to_string)
            .collect();
        assert_eq!(g, ["all of [agg1, agg2]"]);
    }

    #[test]
    fn every_link_has_one_port_at_each_end() {
        let ports = link_ports();
        assert_eq!(ports.len(), 62);
        let agg1: Vec<_> = ports
            .iter()
            .filter(|((r, _), _)| r == "agg1")
            .map(|((_, p), l)| format!("{p}={l}"))
            .collect();
        assert_eq!(agg1.len(), 9);
        assert!(
            agg1.contains(&"sfp-sfpplus1=core1-agg1".to_owned()),
            "{agg1:?}"
        );
        let spec = world_spec();
        assert_eq!(spec.links.len(), 31);
        assert!(
            spec.links
                .iter()
                .all(|l| !l.a_interface.is_empty() && !l.b_interface.is_empty())
        );
        let config = pipeline_config().unwrap();
        assert_eq!(
            config.aliases.get("bras2/sfp2").map(EntityId::as_str),
            Some("agg3-bras2")
        );
        assert_eq!(
            config
                .aliases
                .get("core2/bgp/192.0.2.1")
                .map(EntityId::as_str),
            Some("transit3")
        );
    }
}
