//! Property tests: the builder never panics, what it accepts is acyclic, serde round-trips.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, TimeZone, Utc};
use ispvm_model::*;
use proptest::prelude::*;

fn arb_name() -> impl Strategy<Value = String> {
    // Small alphabet so that references collide often (duplicates, cycles, self-dependency).
    prop_oneof![
        4 => "[a-f][0-9]?",
        1 => ".{0,3}",
    ]
}

fn arb_mode() -> impl Strategy<Value = GroupMode> {
    prop_oneof![
        Just(GroupMode::All),
        Just(GroupMode::Any),
        (0u32..6).prop_map(GroupMode::KofN),
    ]
}

fn arb_time() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..4_000_000_000).prop_map(|s| Utc.timestamp_opt(s, 0).single().unwrap_or_default())
}

fn arb_kind() -> impl Strategy<Value = EntityKind> {
    prop::sample::select(EntityKind::ALL.to_vec())
}

type RawGroup = (String, GroupMode, Vec<String>);

proptest! {
    #[test]
    fn builder_never_panics_and_accepts_only_acyclic(
        names in prop::collection::vec(arb_name(), 0..12),
        groups in prop::collection::vec((arb_name(), arb_mode(), prop::collection::vec(arb_name(), 0..5)), 0..14),
    ) {
        let mut b = TopologyBuilder::new("t".parse().unwrap());
        let mut valid_ids = true;
        for n in &names {
            match EntityId::new(n.clone()) {
                Ok(id) => { b.add_entity(Entity::new(id, EntityKind::Device)); }
                Err(_) => valid_ids = false,
            }
        }
        let mut raw: Vec<RawGroup> = Vec::new();
        for (dep, mode, members) in &groups {
            let Ok(dep_id) = EntityId::new(dep.clone()) else { continue };
            let ms: Vec<EntityId> = members.iter().filter_map(|m| EntityId::new(m.clone()).ok()).collect();
            raw.push((dep.clone(), *mode, ms.iter().map(|m| m.to_string()).collect()));
            b.add_group(DependencyGroup::new(dep_id, *mode, ms));
        }
        let _ = valid_ids;
        if let Ok(t) = b.build() {
            // Every group is structurally valid.
            for g in t.groups() {
                prop_assert!(!g.members.is_empty());
                prop_assert!(g.mode.required(g.members.len()).is_some());
                prop_assert!(!g.members.contains(&g.dependent));
            }
            // The topological order is a permutation where every member precedes its dependents.
            let order = t.topological_order();
            prop_assert_eq!(order.len(), t.entities().len());
            let pos: HashMap<u32, usize> = order.iter().enumerate().map(|(p, &i)| (i, p)).collect();
            prop_assert_eq!(pos.len(), order.len());
            for (gi, g) in t.groups().iter().enumerate() {
                let dep = t.index_of(g.dependent.as_str()).unwrap() as u32;
                for &m in t.group_members(gi) {
                    prop_assert!(pos[&m] < pos[&dep]);
                }
            }
            // Independent acyclicity check: DFS colouring.
            let n = t.entities().len();
            let mut adj: Vec<Vec<usize>> = vec![Vec::new(); n];
            for (gi, g) in t.groups().iter().enumerate() {
                let dep = t.index_of(g.dependent.as_str()).unwrap();
                adj[dep].extend(t.group_members(gi).iter().map(|&m| m as usize));
            }
            fn visit(v: usize, adj: &[Vec<usize>], colour: &mut [u8]) -> bool {
                colour[v] = 1;
                for &w in &adj[v] {
                    if colour[w] == 1 || (colour[w] == 0 && !visit(w, adj, colour)) { return false; }
                }
                colour[v] = 2;
                true
            }
            let mut colour = vec![0u8; n];
            for v in 0..n {
                if colour[v] == 0 { prop_assert!(visit(v, &adj, &mut colour)); }
            }
        }
    }

    #[test]
    fn reported_cycles_are_real(
        edges in prop::collection::vec((0usize..6, 0usize..6), 1..12),
    ) {
        let names = ["a", "b", "c", "d", "e", "f"];
        let mut b = TopologyBuilder::new("t".parse().unwrap());
        for n in names { b.add_entity(Entity::new(n.parse().unwrap(), EntityKind::Device)); }
        let mut seen = HashSet::new();
        let mut real: HashSet<(String, String)> = HashSet::new();
        for (d, m) in edges {
            if d == m || !seen.insert((d, m)) { continue; }
            real.insert((names[d].to_string(), names[m].to_string()));
            b.add_group(DependencyGroup::new(names[d].parse().unwrap(), GroupMode::All, vec![names[m].parse().unwrap()]));
        }
        if let Err(TopologyError::Cycle { cycle }) = b.build() {
            prop_assert!(cycle.len() >= 3);
            prop_assert_eq!(cycle.first(), cycle.last());
            for w in cycle.windows(2) {
                prop_assert!(real.contains(&(w[0].to_string(), w[1].to_string())), "{:?}", cycle);
            }
        }
    }

    #[test]
    fn serde_round_trips(
        kind in arb_kind(),
        at in arb_time(),
        secs in 1i64..100_000,
        value in -1e12f64..1e12,
        text in "[ -~]{0,20}",
        mode in arb_mode(),
        state in prop::sample::select(vec![SignalState::Up, SignalState::Down, SignalState::Degraded]),
        signal in prop::sample::select(Signal::ALL.to_vec()),
    ) {
        let id: EntityId = "agg1/ether1".parse().unwrap();
        fn rt<T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(v: &T) -> Result<(), TestCaseError> {
            let json = serde_json::to_string(v).unwrap();
            let back: T = serde_json::from_str(&json).map_err(|e| TestCaseError::fail(format!("{e}: {json}")))?;
            prop_assert_eq!(&back, v);
            Ok(())
        }
        rt(&Entity::new(id.clone(), kind).with_role(Role::Edge).with_site(text.clone()))?;
        let members = vec![id.clone(), "x".parse().unwrap(), "y".parse().unwrap()];
        let group = DependencyGroup::new("dep".parse().unwrap(), mode, members);
        rt(&group)?;
        rt(&Observation::signal(at, id.clone(), signal, state).with_source(text.clone()))?;
        rt(&Observation::metric(at, id.clone(), "pppoe.sessions.active", value).unwrap())?;
        rt(&MaintenanceWindow::new(vec![id.clone()], at, at + chrono::Duration::seconds(secs)).unwrap().with_reason(text.clone()))?;
        rt(&Sample::new(at, "device.cpu_pct", kind, id.clone(), SampleValue::Num(value), "%", "x").with_label("k", text.clone()))?;
        rt(&Sample::new(at, "device.version", kind, id.clone(), SampleValue::Text(text.clone()), "1", "x").with_quality(Quality::Bad))?;
        rt(&Event::new("e1", at, "interface.oper.changed", Severity::Major, kind, id.clone()).with_payload(serde_json::json!({"to": text})))?;
        let ev = Evidence::signal(signal.as_str(), state, at, 10.0).with_source("ping").with_note(text.clone());
        let cause = RootCause::new(id.clone(), CauseRole::Primary, CauseKind::Failure, Confidence::saturating(value), vec![ev, Evidence::metric("m", value, at, 3.0)]);
        rt(&Incident::new("inc-1", at, vec![cause], vec![id.clone()], 3150, text.clone()))?;
        let mut report = EntityReport::new(id.clone(), EntityStatus::Degraded);
        report.redundancy_lost.push(group.to_string());
        report.flapping = true;
        rt(&report)?;
        rt(&DeviceIdentity::new(id, "mikrotik").with_model("CCR2004").with_version("7.18.2"))?;
    }

    #[test]
    fn id_validation_never_panics(s in ".{0,300}") {
        match EntityId::new(s.clone()) {
            Ok(id) => {
                prop_assert!(!s.is_empty() && s.len() <= MAX_ID_LEN && !s.chars().any(char::is_control));
                prop_assert_eq!(id.as_str(), s.as_str());
            }
            Err(_) => prop_assert!(s.is_empty() || s.len() > MAX_ID_LEN || s.chars().any(char::is_control)),
        }
    }
}
