//! A generator of realistic ISP topologies and scenario files for the benchmarks (shared by
//! `benches/engine.rs`, `examples/compile_memory.rs`, `examples/scenario.rs` and the end-to-end
//! `ispvm-analyze` benchmark of the examples package).
//!
//! Shape: a core ring of 8 routers; 3 transit BGP sessions on 2 edge routers and an `internet`
//! service that needs 2 of them; aggregation routers dual-homed to two core routers through
//! links (`any` of two links); access sites dual-homed to two aggregation routers through
//! uplinks; per access site 3 ports, 3 CPE-facing circuits (each `any` of two ports and `all` of
//! the access router) and one site service needing 2 of the 3 circuits; one PPPoE concentrator
//! per 50 access sites (`any` of two aggregation routers, `all` of the RADIUS service).
#![allow(dead_code)]

use ispvm_model::{
    DependencyGroup, Entity, EntityId, EntityKind, GroupMode, Topology, TopologyBuilder,
};

/// Entities and groups as plain data (for a `Topology` or a scenario JSON).
pub struct Net {
    /// (id, kind).
    pub entities: Vec<(String, EntityKind)>,
    /// (dependent, mode, members).
    pub groups: Vec<(String, GroupMode, Vec<String>)>,
    /// Access router ids (a failure of one has a cone of about 10 entities).
    pub access: Vec<String>,
}

impl Net {
    /// Total group memberships.
    pub fn memberships(&self) -> usize {
        self.groups.iter().map(|g| g.2.len()).sum()
    }

    /// The validated topology.
    pub fn topology(&self) -> Topology {
        let id = |s: &str| s.parse::<EntityId>().unwrap();
        let mut b = TopologyBuilder::new("bench-isp".parse().unwrap());
        b.reserve(self.entities.len(), self.groups.len());
        for (e, k) in &self.entities {
            b.add_entity(Entity::new(id(e), *k));
        }
        for (d, m, members) in &self.groups {
            b.add_group(DependencyGroup::new(
                id(d),
                *m,
                members.iter().map(|m| id(m)).collect(),
            ));
        }
        b.build().unwrap()
    }
}

/// About `target` entities.
pub fn isp(target: usize) -> Net {
    let mut n = Net {
        entities: Vec::new(),
        groups: Vec::new(),
        access: Vec::new(),
    };
    let ent = |n: &mut Net, id: String, k: EntityKind| {
        n.entities.push((id, k));
    };
    let cores = 8;
    for c in 0..cores {
        ent(&mut n, format!("core{c}"), EntityKind::Device);
    }
    for c in 0..cores {
        let l = format!("core{c}-core{}", (c + 1) % cores);
        ent(&mut n, l.clone(), EntityKind::Link);
    }
    for e in 0..2 {
        ent(&mut n, format!("edge{e}"), EntityKind::Device);
        n.groups.push((
            format!("edge{e}"),
            GroupMode::Any,
            vec![format!("core{e}"), format!("core{}", e + 1)],
        ));
    }
    for (i, e) in [(0, 0), (1, 1), (2, 1)] {
        let s = format!("edge{e}/bgp/transit{i}");
        ent(&mut n, s.clone(), EntityKind::BgpSession);
        n.groups.push((s, GroupMode::All, vec![format!("edge{e}")]));
    }
    ent(&mut n, "internet".into(), EntityKind::Service);
    n.groups.push((
        "internet".into(),
        GroupMode::KofN(2),
        (0..3)
            .map(|i| format!("edge{}/bgp/transit{i}", if i == 0 { 0 } else { 1 }))
            .collect(),
    ));
    ent(&mut n, "radius".into(), EntityKind::RadiusServer);
    n.groups.push((
        "radius".into(),
        GroupMode::Any,
        vec!["core0".into(), "core4".into()],
    ));
    // Each access site is 11 entities; one aggregation router per 40 sites (+3 entities).
    let sites = target.saturating_sub(40) / 11;
    let aggs = sites.div_ceil(40).max(2);
    for a in 0..aggs {
        let (c1, c2) = (a % cores, (a + 3) % cores);
        let agg = format!("agg{a}");
        for c in [c1, c2] {
            let l = format!("{agg}-core{c}");
            ent(&mut n, l.clone(), EntityKind::Link);
            n.groups.push((l, GroupMode::All, vec![format!("core{c}")]));
        }
        ent(&mut n, agg.clone(), EntityKind::Device);
        n.groups.push((
            agg,
            GroupMode::Any,
            vec![format!("agg{a}-core{c1}"), format!("agg{a}-core{c2}")],
        ));
    }
    for s in 0..sites {
        let (a1, a2) = (s / 40 % aggs, (s / 40 + 1) % aggs);
        let acc = format!("acc{s}");
        let mut ups = Vec::new();
        for a in [a1, a2] {
            let l = format!("{acc}-agg{a}");
            ent(&mut n, l.clone(), EntityKind::Link);
            n.groups
                .push((l.clone(), GroupMode::All, vec![format!("agg{a}")]));
            ups.push(l);
        }
        ent(&mut n, acc.clone(), EntityKind::Device);
        n.groups.push((acc.clone(), GroupMode::Any, ups));
        for p in 0..3 {
            let port = format!("{acc}/ether{p}");
            ent(&mut n, port.clone(), EntityKind::Interface);
            n.groups.push((port, GroupMode::All, vec![acc.clone()]));
        }
        let mut circuits = Vec::new();
        for c in 0..3 {
            let ckt = format!("{acc}/ckt{c}");
            ent(&mut n, ckt.clone(), EntityKind::Service);
            n.groups.push((
                ckt.clone(),
                GroupMode::Any,
                vec![
                    format!("{acc}/ether{c}"),
                    format!("{acc}/ether{}", (c + 1) % 3),
                ],
            ));
            n.groups.push((
                ckt.clone(),
                GroupMode::All,
                vec![acc.clone(), "internet".into()],
            ));
            circuits.push(ckt);
        }
        let svc = format!("{acc}/svc");
        ent(&mut n, svc.clone(), EntityKind::Service);
        n.groups.push((svc, GroupMode::KofN(2), circuits));
        ent(&mut n, format!("{acc}/cpe"), EntityKind::Device);
        n.groups.push((
            format!("{acc}/cpe"),
            GroupMode::Any,
            vec![format!("{acc}/ckt0"), format!("{acc}/ckt1")],
        ));
        if s % 50 == 0 {
            let bras = format!("bras{}", s / 50);
            ent(&mut n, bras.clone(), EntityKind::PppoeConcentrator);
            n.groups.push((
                bras.clone(),
                GroupMode::Any,
                vec![format!("agg{a1}"), format!("agg{a2}")],
            ));
            n.groups.push((bras, GroupMode::All, vec!["radius".into()]));
        }
        n.access.push(acc);
    }
    n
}

/// A scenario file (`ispvm.scenario/v1`, compact JSON) of `net` with `obs` observations: access
/// routers failing and recovering, access ports going down, one per second.
pub fn scenario_json(net: &Net, obs: usize) -> Vec<u8> {
    use serde_json::json;
    let entities: Vec<_> = net
        .entities
        .iter()
        .map(|(id, k)| json!({"id": id, "kind": k}))
        .collect();
    let deps: Vec<_> = net
        .groups
        .iter()
        .map(|(d, m, members)| match m {
            GroupMode::KofN(k) => {
                json!({"dependent": d, "mode": "kofn", "k": k, "members": members})
            }
            GroupMode::Any => json!({"dependent": d, "mode": "any", "members": members}),
            _ => json!({"dependent": d, "mode": "all", "members": members}),
        })
        .collect();
    let mut observations = Vec::with_capacity(obs);
    for i in 0..obs {
        let a = &net.access[(i * 7919) % net.access.len()];
        let at = chrono::DateTime::from_timestamp(1_767_225_600 + i as i64, 0)
            .unwrap()
            .to_rfc3339();
        observations.push(match i % 4 {
            0 | 1 => json!({"at": at, "entity": a, "signal": "reachability", "state": "down", "source": "ping"}),
            2 => json!({"at": at, "entity": a, "signal": "reachability", "state": "up", "source": "ping"}),
            _ => json!({"at": at, "entity": format!("{a}/ether0"), "signal": "link", "state": "down", "source": "routeros_api"}),
        });
    }
    serde_json::to_vec(&json!({
        "schema": "ispvm.scenario/v1", "tenant": "bench-isp",
        "entities": entities, "dependencies": deps, "observations": observations,
    }))
    .unwrap()
}
