//! Properties of the topology linter on generated topologies: it never panics, its findings
//! depend only on the input (twice the same; the same whatever the order of the entities), each
//! finding's severity is its code's, and a topology the builder accepts has no structural error.

use chrono::{DateTime, Duration, Utc};
use ispvm_model::lint::{Code, LintOptions, LintSeverity, lint};
use ispvm_model::{
    DependencyGroup, Entity, EntityId, EntityKind, GroupMode, MaintenanceWindow, Role, TenantId,
    TopologyBuilder,
};
use proptest::prelude::*;

/// Ids from a small vocabulary, so that references often resolve, links often name their ends
/// and ids often break the grammar.
fn id_strategy() -> impl Strategy<Value = String> {
    let names = prop::sample::select(vec![
        "core1",
        "core2",
        "agg1",
        "agg2",
        "acc1",
        "acc2",
        "bras1",
        "Sw-9",
        "pop-north",
        "x",
    ]);
    prop_oneof![
        4 => names.clone().prop_map(str::to_owned),
        2 => (names.clone(), names.clone()).prop_map(|(a, b)| format!("{a}-{b}")),
        1 => (names.clone(), prop::sample::select(vec!["ether1", "sfp 2", "bgp/192.0.2.1", "bgp/peer", "ospf/10.0.0.1", "radius/10.0.0.5", "ospf/x"]))
            .prop_map(|(a, b)| format!("{a}/{b}")),
        1 => "[a-zA-Z0-9/ ._-]{1,12}",
    ]
}

fn kind_strategy() -> impl Strategy<Value = EntityKind> {
    prop::sample::select(EntityKind::ALL.to_vec())
}

fn role_strategy() -> impl Strategy<Value = Option<Role>> {
    prop::option::of(prop::sample::select(vec![
        Role::Core,
        Role::Aggregation,
        Role::Access,
        Role::Edge,
        Role::Upstream,
        Role::Cpe,
    ]))
}

fn entity_strategy() -> impl Strategy<Value = Entity> {
    (
        id_strategy(),
        kind_strategy(),
        role_strategy(),
        prop::option::of(prop::sample::select(vec![
            "pop-north",
            "pop-south",
            "POP 3",
        ])),
        prop::option::of((id_strategy(), id_strategy())),
        prop::bool::weighted(0.1),
    )
        .prop_map(|(id, kind, role, site, ends, foreign)| {
            let mut e = Entity::new(EntityId::new(id).unwrap(), kind);
            e.role = role;
            e.site = site.map(str::to_owned);
            if kind == EntityKind::Link {
                e.endpoints =
                    ends.map(|(a, b)| [EntityId::new(a).unwrap(), EntityId::new(b).unwrap()]);
            }
            if foreign {
                e.tenant = Some(TenantId::new("other-isp").unwrap());
            }
            e
        })
}

fn group_strategy() -> impl Strategy<Value = DependencyGroup> {
    (
        id_strategy(),
        prop_oneof![
            Just(GroupMode::All),
            Just(GroupMode::Any),
            (0u32..5).prop_map(GroupMode::KofN)
        ],
        prop::collection::vec(id_strategy(), 0..5),
    )
        .prop_map(|(dep, mode, members)| {
            DependencyGroup::new(
                EntityId::new(dep).unwrap(),
                mode,
                members
                    .into_iter()
                    .map(|m| EntityId::new(m).unwrap())
                    .collect(),
            )
        })
}

fn window_strategy() -> impl Strategy<Value = MaintenanceWindow> {
    (prop::collection::vec(id_strategy(), 1..3), 1i64..100_000).prop_map(|(ids, minutes)| {
        let start: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        MaintenanceWindow::new(
            ids.into_iter().map(|i| EntityId::new(i).unwrap()).collect(),
            start,
            start + Duration::minutes(minutes),
        )
        .unwrap()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_panics_and_is_deterministic(
        entities in prop::collection::vec(entity_strategy(), 0..24),
        groups in prop::collection::vec(group_strategy(), 0..16),
        windows in prop::collection::vec(window_strategy(), 0..3),
        aliases in prop::collection::vec(id_strategy(), 0..3),
        tenant in prop::sample::select(vec!["demo-isp", "Demo ISP"]),
        rotate in 0usize..24,
    ) {
        let tenant = TenantId::new(tenant).unwrap();
        let options = LintOptions::default()
            .with_aliases(aliases.into_iter().map(|a| EntityId::new(a).unwrap()));
        let a = lint(&tenant, &entities, &groups, &windows, &options);
        let b = lint(&tenant, &entities, &groups, &windows, &options);
        prop_assert_eq!(&a, &b);

        let mut sorted = a.findings().to_vec();
        sorted.sort();
        prop_assert_eq!(&sorted, a.findings(), "findings come sorted");
        for f in a.findings() {
            prop_assert_eq!(f.severity, f.code.severity());
            prop_assert!(!f.message.is_empty() && !f.fix.is_empty());
            prop_assert!(!f.to_string().contains('\n'), "one line: {}", f);
        }
        let expected_exit = if a.count(LintSeverity::Error) > 0 { 2 } else if a.count(LintSeverity::Warning) > 0 { 1 } else { 0 };
        prop_assert_eq!(a.exit_code(), expected_exit);

        // Without repeated ids, the order of the entities does not matter.
        let mut seen = std::collections::HashSet::new();
        let unique: Vec<Entity> = entities.iter().filter(|e| seen.insert(e.id.clone())).cloned().collect();
        let mut rotated = unique.clone();
        if !rotated.is_empty() {
            let n = rotate % rotated.len();
            rotated.rotate_left(n);
        }
        prop_assert_eq!(
            lint(&tenant, &unique, &groups, &windows, &options),
            lint(&tenant, &rotated, &groups, &windows, &options)
        );

        // What the builder accepts has no structural error but, possibly, a missing device.
        if TopologyBuilder::from_parts(tenant.clone(), entities.clone(), groups.clone()).build().is_ok() {
            let structural: Vec<_> = lint(&tenant, &entities, &groups, &[], &options)
                .findings()
                .iter()
                .filter(|f| f.severity == LintSeverity::Error && f.code != Code::MissingDevice)
                .cloned()
                .collect();
            prop_assert!(structural.is_empty(), "{:?}", structural);
        }
    }
}

/// A large ring-and-star ISP lints in linear time (no quadratic blow-up on many entities).
#[test]
fn a_large_topology_lints_quickly_and_cleanly() {
    let id = |s: String| EntityId::new(s).unwrap();
    let mut entities = vec![
        Entity::new(id("core1".into()), EntityKind::Device)
            .with_role(Role::Core)
            .with_site("dc-central"),
        Entity::new(id("core2".into()), EntityKind::Device)
            .with_role(Role::Core)
            .with_site("dc-central"),
    ];
    let mut groups = Vec::new();
    for p in 0..500 {
        let site = format!("pop-{p}");
        for a in 0..2 {
            let agg = format!("agg{p}x{a}");
            entities.push(
                Entity::new(id(agg.clone()), EntityKind::Device)
                    .with_role(Role::Aggregation)
                    .with_site(&site),
            );
            groups.push(DependencyGroup::new(
                id(agg.clone()),
                GroupMode::Any,
                vec![id("core1".into()), id("core2".into())],
            ));
        }
        for c in 0..8 {
            let acc = format!("acc{p}x{c}");
            entities.push(
                Entity::new(id(acc.clone()), EntityKind::Device)
                    .with_role(Role::Access)
                    .with_site(&site),
            );
            let (a0, a1) = (format!("agg{p}x0"), format!("agg{p}x1"));
            entities.push(Entity::new(id(format!("{a0}-{acc}")), EntityKind::Link));
            entities.push(Entity::new(id(format!("{a1}-{acc}")), EntityKind::Link));
            groups.push(DependencyGroup::new(
                id(acc),
                GroupMode::Any,
                vec![id(a0), id(a1)],
            ));
        }
    }
    let started = std::time::Instant::now();
    let report = lint(
        &TenantId::new("big-isp").unwrap(),
        &entities,
        &groups,
        &[],
        &LintOptions::default(),
    );
    let took = started.elapsed();
    assert_eq!(report.findings(), &[], "{:?}", report.findings().first());
    assert!(entities.len() > 13_000);
    assert!(took < std::time::Duration::from_secs(5), "{took:?}");
}
