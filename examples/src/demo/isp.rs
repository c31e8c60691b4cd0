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

use ispvm_model::{GroupMode, Topology};
use ispvm_routeros::sim::{SimBgpPeer, SimPppoe, SimState};

pub use ispvm_service::embedded::{
    EmbeddedError as IspError, INTERNET_ID, RADIUS_ADDRESS, RADIUS_ID, ROUTERS, RouterKind,
    RouterSpec, TENANT, TRANSITS,
};

/// The demo topology: the embedded ISP's 22 entities (17 routers, 3 transit BGP sessions,
/// `internet`, `radius1`) and their dependency groups, without the physical links the agent
/// also models ([`ispvm_service::embedded::device_topology`]).
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
    ispvm_service::embedded::device_topology()
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
        for (dependent, mode, members) in ispvm_service::embedded::device_groups() {
            if !live.contains(dependent) {
                continue;
            }
            let up = members
                .iter()
                .filter(|m| !is_router(m) || live.contains(*m))
                .count();
            let need = match mode {
                GroupMode::Any => 1,
                GroupMode::KofN(k) => k as usize,
                _ => members.len(),
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
        RouterKind::Concentrator => {
            let mut s = SimState::concentrator(spec.id, spec.sessions);
            for r in &mut s.radius {
                RADIUS_ADDRESS.clone_into(&mut r.address);
            }
            s
        }
        // Access switches, and any kind the embedded world may add.
        _ => SimState::access(spec.id),
    };
    spec.version.clone_into(&mut s.version);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use ispvm_model::Role;

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
