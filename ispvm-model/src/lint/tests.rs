use super::*;
use crate::{DependencyGroup, Entity, EntityKind, GroupMode, MaintenanceWindow, Role};

fn id(s: &str) -> EntityId {
    s.parse().unwrap()
}

fn dev(name: &str, role: Role, site: &str) -> Entity {
    Entity::new(id(name), EntityKind::Device)
        .with_role(role)
        .with_site(site)
}

fn group(dep: &str, mode: GroupMode, members: &[&str]) -> DependencyGroup {
    DependencyGroup::new(id(dep), mode, members.iter().map(|m| id(m)).collect())
}

fn link(a: &str, b: &str) -> Entity {
    Entity::new(id(&format!("{a}-{b}")), EntityKind::Link).with_endpoints(id(a), id(b))
}

fn run(entities: &[Entity], groups: &[DependencyGroup]) -> LintReport {
    lint(
        &"demo-isp".parse().unwrap(),
        entities,
        groups,
        &[],
        &LintOptions::default(),
    )
}

fn lines(report: &LintReport) -> Vec<String> {
    report.findings().iter().map(ToString::to_string).collect()
}

/// A clean dual-homed PoP: two aggregation routers, an access switch and a concentrator.
fn clean() -> (Vec<Entity>, Vec<DependencyGroup>) {
    let entities = vec![
        dev("core1", Role::Core, "dc-central"),
        dev("core2", Role::Core, "dc-central"),
        dev("agg1", Role::Aggregation, "pop-north"),
        dev("agg2", Role::Aggregation, "pop-north"),
        dev("acc1", Role::Access, "pop-north"),
        Entity::new(id("bras1"), EntityKind::PppoeConcentrator)
            .with_role(Role::Edge)
            .with_site("pop-north"),
        Entity::new(id("agg1/sfp-sfpplus1"), EntityKind::Interface),
        Entity::new(id("core1/bgp/198.51.100.1"), EntityKind::BgpSession).with_role(Role::Upstream),
        Entity::new(id("core1/ospf/10.0.0.2"), EntityKind::OspfAdjacency),
        link("agg1", "acc1"),
        link("agg2", "acc1"),
        link("core1", "agg1"),
        link("core2", "agg2"),
    ];
    let groups = vec![
        group("agg1", GroupMode::Any, &["core1", "core2"]),
        group("agg2", GroupMode::Any, &["core1", "core2"]),
        group("acc1", GroupMode::Any, &["agg1", "agg2"]),
        group("bras1", GroupMode::Any, &["agg1", "agg2"]),
        group("core1/bgp/198.51.100.1", GroupMode::All, &["core1"]),
        group("agg1-acc1", GroupMode::All, &["agg1", "acc1"]),
    ];
    (entities, groups)
}

#[test]
fn a_clean_topology_has_no_finding() {
    let (e, g) = clean();
    let report = run(&e, &g);
    assert_eq!(lines(&report), Vec::<String>::new());
    assert_eq!(report.exit_code(), 0);
}

#[test]
fn structural_faults_are_errors() {
    let (mut e, mut g) = clean();
    e.push(dev("agg1", Role::Aggregation, "pop-north"));
    e.push(Entity::new(id("ghost/ether1"), EntityKind::Interface));
    e.push(Entity::new(id("agg9-acc1"), EntityKind::Link).with_endpoints(id("agg9"), id("acc1")));
    e.push(dev("rogue", Role::Core, "dc-central").with_tenant("other-isp".parse().unwrap()));
    g.push(group("acc1", GroupMode::All, &["nowhere"]));
    g.push(group("acc1", GroupMode::All, &["rogue"]));
    g.push(group("lost", GroupMode::All, &["acc1"]));
    let report = run(&e, &g);
    assert_eq!(
        lines(&report),
        [
            "error L001 agg1: entities #2 and #13 share this id; fix: give each entity its own id, or remove the repeat",
            "error L002 dependency #6: acc1 needs nowhere, which is not an entity; fix: add nowhere to the entities or correct the name",
            "error L002 dependency #8: the dependent lost is not an entity; fix: add lost to the entities or correct the name",
            "error L003 agg9-acc1: endpoint agg9 is not an entity; fix: add agg9 to the entities or correct the endpoint",
            "error L004 ghost/ether1: is found on device ghost, which is not an entity; fix: add the device ghost or correct the id",
            "error L005 dependency #7: acc1 needs rogue, an entity of tenant other-isp; fix: a tenant's groups name only its own entities: model the shared element in this tenant",
            "error L005 rogue: declares tenant other-isp, the topology is of tenant demo-isp; fix: move it to its own tenant's topology, or drop its tenant field",
        ]
    );
    assert_eq!(report.exit_code(), 2);
    assert_eq!(report.count(LintSeverity::Error), 7);
}

#[test]
fn grammar_kind_and_link_names_are_warnings() {
    let (mut e, g) = clean();
    e.push(dev("Core-3", Role::Core, "dc-central"));
    e.push(Entity::new(
        id("edge1/bgp/transit-a"),
        EntityKind::BgpSession,
    ));
    e.push(Entity::new(id("transit1"), EntityKind::BgpSession));
    e.push(Entity::new(id("agg1/ether 2"), EntityKind::Interface));
    e.push(
        Entity::new(id("agg2/ether3"), EntityKind::Device)
            .with_role(Role::Access)
            .with_site("pop-north"),
    );
    e.push(Entity::new(id("uplink7"), EntityKind::Link).with_endpoints(id("agg1"), id("agg2")));
    e.push(Entity::new(id("mystery"), EntityKind::Link));
    e.push(dev("edge1", Role::Edge, "dc-central"));
    let report = run(&e, &g);
    let got = lines(&report);
    assert!(got.iter().all(|l| l.starts_with("warning ")), "{got:#?}");
    let codes: Vec<(&str, &str)> = report
        .findings()
        .iter()
        .map(|f| (f.code.as_str(), f.subject.as_str()))
        .collect();
    assert_eq!(
        codes,
        [
            ("L101", "Core-3"),
            ("L101", "agg1/ether 2"),
            ("L101", "edge1/bgp/transit-a"),
            ("L102", "agg2/ether3"),
            ("L102", "transit1"),
            ("L103", "mystery"),
            ("L103", "uplink7"),
        ]
    );
    assert_eq!(report.exit_code(), 1);
    assert_eq!(
        got[6],
        "warning L103 uplink7: a link id names its two ends: <a>-<b>; fix: rename it agg1-agg2"
    );

    // Declared aliases are exempt.
    let options = LintOptions::default()
        .with_alias(id("transit1"))
        .with_alias(id("edge1/bgp/transit-a"))
        .with_aliases([id("uplink7"), id("mystery")]);
    let report = lint(&"demo-isp".parse().unwrap(), &e, &g, &[], &options);
    let codes: Vec<&str> = report
        .findings()
        .iter()
        .map(|f| f.subject.as_str())
        .collect();
    assert_eq!(codes, ["Core-3", "agg1/ether 2", "agg2/ether3"]);
}

#[test]
fn link_ids_without_endpoints_split_on_a_dash_between_two_entities() {
    let (mut e, g) = clean();
    e.push(dev("pop-a-r1", Role::Aggregation, "pop-a"));
    e.push(Entity::new(id("pop-a-r1-agg1"), EntityKind::Link));
    e.push(Entity::new(id("pop-a-r1-agg7"), EntityKind::Link));
    let report = run(&e, &g);
    let subjects: Vec<&str> = report
        .findings()
        .iter()
        .map(|f| f.subject.as_str())
        .collect();
    assert_eq!(subjects, ["pop-a-r1-agg7"]);
}

#[test]
fn site_and_role_are_warnings() {
    let (mut e, g) = clean();
    e.push(Entity::new(id("sw9"), EntityKind::Device));
    e.push(
        Entity::new(id("bras9"), EntityKind::PppoeConcentrator)
            .with_role(Role::Edge)
            .with_site("POP North"),
    );
    let report = run(&e, &g);
    assert_eq!(
        lines(&report),
        [
            "warning L201 bras9: site label \"POP North\" breaks the grammar; fix: name sites in lower case: KIND-PLACE such as pop-north or dc-central",
            "warning L201 sw9: device without a site; fix: set \"site\" to its PoP or data centre (e.g. \"pop-north\")",
            "warning L202 sw9: device without a role; fix: set \"role\": core, aggregation, access, edge, upstream or cpe",
        ]
    );
}

#[test]
fn single_upstream_with_two_links_suggests_any() {
    let (e, mut g) = clean();
    g[2] = group("acc1", GroupMode::All, &["agg1"]);
    let report = run(&e, &g);
    assert_eq!(
        lines(&report),
        [
            "warning L301 acc1: depends on agg1 alone, but links reach agg1 and agg2; fix: make it {\"mode\": \"any\", \"members\": [\"agg1\", \"agg2\"]}"
        ]
    );
    // The same findings whatever the order of the entities.
    let mut reversed = e.clone();
    reversed.reverse();
    assert_eq!(run(&reversed, &g), report);
    // Links given by name only (no endpoints) count too, and an `all` of both does not help.
    let (mut e, mut g) = clean();
    for l in e.iter_mut().filter(|l| l.kind == EntityKind::Link) {
        l.endpoints = None;
    }
    g[3] = group("bras1", GroupMode::All, &["agg2"]);
    e.push(link("agg1", "bras1"));
    e.push(link("agg2", "bras1"));
    let report = run(&e, &g);
    assert_eq!(report.findings().len(), 1);
    assert_eq!(report.findings()[0].code, Code::SingleUpstream);
    assert_eq!(report.findings()[0].subject, "bras1");
    // One link only: nothing to suggest.
    let (mut e, mut g) = clean();
    e.retain(|l| l.id != "agg2-acc1");
    g[2] = group("acc1", GroupMode::All, &["agg1"]);
    assert_eq!(run(&e, &g).findings().len(), 0);
}

#[test]
fn degenerate_kofn_is_named_all_or_any() {
    let (e, mut g) = clean();
    g.push(group("acc1", GroupMode::KofN(2), &["agg1", "agg2"]));
    g.push(group("bras1", GroupMode::KofN(1), &["agg1", "agg2"]));
    g.push(group(
        "agg2",
        GroupMode::KofN(2),
        &["core1", "core2", "agg1"],
    ));
    let report = run(&e, &g);
    assert_eq!(
        lines(&report),
        [
            "warning L302 dependency #6: acc1 needs 2 of 2 members, which is \"all\"; fix: write \"mode\": \"all\" without k",
            "warning L302 dependency #7: bras1 needs 1 of 2 members, which is \"any\"; fix: write \"mode\": \"any\" without k",
        ]
    );
}

#[test]
fn long_maintenance_and_unknown_entities_in_windows() {
    let (e, g) = clean();
    let t = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
    let windows = [
        MaintenanceWindow::new(
            vec![id("agg1")],
            t("2026-01-01T00:00:00Z"),
            t("2026-01-01T08:00:00Z"),
        )
        .unwrap(),
        MaintenanceWindow::new(
            vec![id("agg2"), id("agg7")],
            t("2026-01-01T00:00:00Z"),
            t("2026-01-02T09:30:00Z"),
        )
        .unwrap(),
    ];
    let report = lint(
        &"demo-isp".parse().unwrap(),
        &e,
        &g,
        &windows,
        &LintOptions::default(),
    );
    assert_eq!(
        lines(&report),
        [
            "error L002 maintenance #1: names agg7, which is not an entity; fix: add agg7 to the entities or correct the name",
            "warning L401 maintenance #1: lasts 1d9h30m, longer than the limit of 8h; fix: split the work into windows within the limit, or raise the limit for this change",
        ]
    );
    let options = LintOptions::default().with_max_maintenance(chrono::Duration::hours(2));
    let report = lint(&"demo-isp".parse().unwrap(), &e, &g, &windows, &options);
    assert_eq!(report.count(LintSeverity::Warning), 2);
    assert!(
        report.findings()[1]
            .message
            .contains("lasts 8h, longer than the limit of 2h")
    );
}

#[test]
fn a_site_hanging_off_one_upstream_is_a_hint() {
    let mut e = vec![
        dev("core1", Role::Core, "dc-central"),
        dev("agg5", Role::Aggregation, "pop-south"),
        dev("acc5", Role::Access, "pop-south"),
        dev("acc6", Role::Access, "pop-south"),
    ];
    let g = vec![
        group("agg5", GroupMode::All, &["core1"]),
        group("acc5", GroupMode::All, &["agg5"]),
        group("acc6", GroupMode::All, &["agg5"]),
    ];
    let report = run(&e, &g);
    assert_eq!(
        lines(&report),
        [
            "hint L501 site pop-south: all 3 devices hang off core1 (a single point of failure); fix: give the site a second uplink and an \"any\" group, or accept the risk"
        ]
    );
    assert_eq!(report.exit_code(), 0, "hints alone are clean");
    // A device of the site without any group: not every device hangs off core1.
    e.push(dev("acc7", Role::Access, "pop-south"));
    assert_eq!(run(&e, &g).findings().len(), 0);
}

#[test]
fn tenant_grammar() {
    let (e, g) = clean();
    let report = lint(
        &"Demo ISP".parse().unwrap(),
        &e,
        &g,
        &[],
        &LintOptions::default(),
    );
    assert_eq!(report.findings().len(), 1);
    assert_eq!(report.findings()[0].subject, "tenant Demo ISP");
    assert_eq!(report.findings()[0].code, Code::Grammar);
}

#[test]
fn codes_are_stable_and_serialize_as_written() {
    let written: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        written,
        [
            "L001", "L002", "L003", "L004", "L005", "L101", "L102", "L103", "L201", "L202", "L301",
            "L302", "L401", "L501"
        ]
    );
    for c in Code::ALL {
        assert_eq!(serde_json::to_string(&c).unwrap(), format!("\"{c}\""));
        let severity = if c.as_str() < "L100" {
            LintSeverity::Error
        } else if c == Code::SiteSinglePoint {
            LintSeverity::Hint
        } else {
            LintSeverity::Warning
        };
        assert_eq!(c.severity(), severity, "{c}");
    }
    let f = Finding::new(Code::Role, "sw9", "m".into(), "f".into());
    assert_eq!(
        serde_json::to_string(&f).unwrap(),
        r#"{"severity":"warning","code":"L202","subject":"sw9","message":"m","fix":"f"}"#
    );
}

#[test]
fn durations_read_like_an_operator_writes_them() {
    assert_eq!(human(chrono::Duration::minutes(45)), "45m");
    assert_eq!(human(chrono::Duration::minutes(90)), "1h30m");
    assert_eq!(human(chrono::Duration::hours(48)), "2d");
    assert_eq!(human(chrono::Duration::zero()), "0m");
}
