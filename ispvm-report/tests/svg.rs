//! The SVG drawing as a live page uses it: every entity and edge once, with its data
//! attributes and status class, ids escaped, sites as boxes.

use ispvm_model::{
    DependencyGroup, Entity, EntityId, EntityKind, EntityReport, EntityStatus, GroupMode, Topology,
    TopologyBuilder,
};
use ispvm_report::SvgOptions;
use ispvm_schemas::analysis::AnalysisDocument;

fn id(s: &str) -> EntityId {
    s.parse().unwrap()
}

/// Escaped as the report escapes attribute values and text.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

const HOSTILE: &str = r#"<core&"1'>"#;

/// core (hostile id, site `<dc>&"'`), two aggregation routers in pop-a, an access router in
/// pop-b needing any of them, and an upstream without a site.
fn world() -> (Topology, AnalysisDocument) {
    let mut b = TopologyBuilder::new("t".parse().unwrap());
    b.add_entity(Entity::new(id(HOSTILE), EntityKind::Device).with_site(r#"<dc>&"'"#));
    b.add_entity(Entity::new(id("agg1"), EntityKind::Device).with_site("pop-a"));
    b.add_entity(Entity::new(id("agg2"), EntityKind::Device).with_site("pop-a"));
    b.add_entity(Entity::new(id("acc1"), EntityKind::Device).with_site("pop-b"));
    b.add_entity(Entity::new(id("upstream"), EntityKind::Service));
    b.add_group(DependencyGroup::new(
        id("agg1"),
        GroupMode::All,
        vec![id(HOSTILE)],
    ));
    b.add_group(DependencyGroup::new(
        id("agg2"),
        GroupMode::All,
        vec![id(HOSTILE)],
    ));
    b.add_group(DependencyGroup::new(
        id("acc1"),
        GroupMode::Any,
        vec![id("agg1"), id("agg2")],
    ));
    b.add_group(DependencyGroup::new(
        id("upstream"),
        GroupMode::All,
        vec![id(HOSTILE)],
    ));
    let topology = b.build().unwrap();
    let analysis = AnalysisDocument::new(
        "t".parse().unwrap(),
        "2026-01-01T00:00:00Z".parse().unwrap(),
        vec![
            EntityReport::new(id(HOSTILE), EntityStatus::Up),
            EntityReport::new(id("agg1"), EntityStatus::Down),
            EntityReport::new(id("agg2"), EntityStatus::Maintenance),
            EntityReport::new(id("acc1"), EntityStatus::Unreachable),
        ],
        vec![],
    );
    (topology, analysis)
}

#[test]
fn every_entity_is_one_node_with_its_id_and_status_class() {
    let (topology, analysis) = world();
    let svg = ispvm_report::svg(&topology, &analysis, &SvgOptions::default());
    assert!(svg.starts_with("<svg class=\"ispvm-topology\""));
    assert!(svg.ends_with("</svg>\n"));
    for (name, status) in [
        (HOSTILE, "up"),
        ("agg1", "down"),
        ("agg2", "maintenance"),
        ("acc1", "unreachable"),
        ("upstream", "unknown"),
    ] {
        let attr = format!("data-entity=\"{}\"", esc(name));
        assert_eq!(svg.matches(&attr).count(), 1, "{name}");
        let start = svg.find(&attr).unwrap();
        let tag_start = svg[..start].rfind('<').unwrap();
        let tag = &svg[tag_start..start + svg[start..].find('>').unwrap()];
        assert!(
            tag.starts_with(&format!("<g class=\"node status-{status}")),
            "{tag}"
        );
        assert!(tag.contains(&format!("data-status=\"{status}\"")), "{tag}");
        // The status word is its own element, for a live page to replace.
        let node_end = start + svg[start..].find("</g>").unwrap();
        assert!(
            svg[start..node_end]
                .contains(&format!("<tspan class=\"status-text\">{status}</tspan>")),
            "{name}"
        );
    }
    assert_eq!(
        svg.matches("<g class=\"node ").count(),
        topology.entities().len()
    );
    assert_eq!(
        svg.matches("data-entity=").count(),
        topology.entities().len()
    );
}

#[test]
fn every_membership_is_one_edge_with_its_ends_and_the_member_status() {
    let (topology, analysis) = world();
    let svg = ispvm_report::svg(&topology, &analysis, &SvgOptions::default());
    let h = esc(HOSTILE);
    for (from, to, class) in [
        (h.as_str(), "agg1", "edge status-up"),
        (h.as_str(), "agg2", "edge status-up"),
        (h.as_str(), "upstream", "edge status-up"),
        ("agg1", "acc1", "edge status-down redundant"),
        ("agg2", "acc1", "edge status-maintenance redundant"),
    ] {
        let edge = format!("<path class=\"{class}\" data-from=\"{from}\" data-to=\"{to}\" d=\"");
        assert_eq!(svg.matches(&edge).count(), 1, "{edge}\n{svg}");
    }
    let memberships: usize = topology.groups().iter().map(|g| g.members.len()).sum();
    assert_eq!(svg.matches("<path class=\"edge ").count(), memberships);
    assert_eq!(svg.matches("data-from=").count(), memberships);
}

#[test]
fn hostile_ids_and_sites_stay_text() {
    let (topology, analysis) = world();
    let svg = ispvm_report::svg(&topology, &analysis, &SvgOptions::default());
    assert!(!svg.contains(HOSTILE));
    assert!(!svg.contains("<dc>"));
    assert!(!svg.contains("<core"));
    assert!(svg.contains("<g class=\"site\" data-site=\"&lt;dc&gt;&amp;&quot;&#39;\">"));
    // In the node's tooltip and label too.
    assert!(svg.contains("<title>&lt;core&amp;&quot;1&#39;&gt; (device, site &lt;dc&gt;"));
    assert!(svg.contains(">&lt;core&amp;&quot;1&#39;&gt;</text>"));
    // Every element that opens is one the renderer writes.
    for tag in svg.split('<').skip(1) {
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        assert!(
            [
                "svg", "title", "defs", "marker", "path", "g", "rect", "text", "tspan", "a"
            ]
            .contains(&name.as_str()),
            "unexpected element {name:?} in {tag:?}"
        );
    }
}

#[test]
fn sites_are_boxes_unless_turned_off() {
    let (topology, analysis) = world();
    let svg = ispvm_report::svg(&topology, &analysis, &SvgOptions::default());
    assert_eq!(svg.matches("<g class=\"site\"").count(), 3);
    assert!(svg.contains("<g class=\"site\" data-site=\"pop-a\"><title>site pop-a</title>"));
    assert!(svg.contains(">pop-b</text></g>"));
    let flat = ispvm_report::svg(
        &topology,
        &analysis,
        &SvgOptions::default().with_site_groups(false),
    );
    assert!(!flat.contains("class=\"site"));
    assert_eq!(
        flat.matches("<g class=\"node ").count(),
        topology.entities().len()
    );
}

#[test]
fn the_drawing_depends_on_content_only() {
    let (topology, analysis) = world();
    let (tenant, mut entities, mut groups) = topology.clone().into_parts();
    entities.reverse();
    groups.reverse();
    let mut b = TopologyBuilder::new(tenant);
    b.entities(entities).groups(groups);
    let reversed = b.build().unwrap();
    let options = SvgOptions::default();
    assert_eq!(
        ispvm_report::svg(&topology, &analysis, &options),
        ispvm_report::svg(&reversed, &analysis, &options)
    );
}

#[test]
fn causes_link_to_their_incident_unless_turned_off() {
    use ispvm_model::{CauseKind, CauseRole, Confidence, Incident, RootCause};
    let (topology, mut analysis) = world();
    let t = analysis.evaluated_at;
    analysis.incidents.push(Incident::new(
        "inc-1",
        t,
        vec![RootCause::new(
            id("agg1"),
            CauseRole::Primary,
            CauseKind::Failure,
            Confidence::new(0.5).unwrap(),
            vec![],
        )],
        vec![],
        0,
        "agg1 down",
    ));
    let linked = ispvm_report::svg(&topology, &analysis, &SvgOptions::default());
    assert!(linked.contains(
        "<a href=\"#incident-1\"><g class=\"node status-down cause primary\" data-entity=\"agg1\""
    ));
    assert_eq!(linked.matches("<a ").count(), 1);
    let plain = ispvm_report::svg(
        &topology,
        &analysis,
        &SvgOptions::default().with_incident_links(false),
    );
    assert!(plain.contains("<g class=\"node status-down cause primary\" data-entity=\"agg1\""));
    assert!(!plain.contains("<a "));
}
