//! Unit tests of the report: exact DOT, escaping, colours, determinism, completeness.

use ispvm_model::{
    CauseKind, CauseRole, Confidence, DependencyGroup, Entity, EntityId, EntityKind, EntityReport,
    EntityStatus, Evidence, GroupMode, Incident, Role, RootCause, SignalState, Topology,
    TopologyBuilder,
};
use ispvm_schemas::analysis::AnalysisDocument;
use proptest::prelude::*;
use sha2::{Digest, Sha256};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::*;

fn id(s: &str) -> EntityId {
    s.parse().unwrap()
}

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    s.parse().unwrap()
}

/// agg1, agg2 -> acc1 (any); agg1 is down and the primary cause of one incident.
fn small() -> (Topology, AnalysisDocument) {
    let mut b = TopologyBuilder::new("demo-isp".parse().unwrap());
    b.add_entity(Entity::new(id("agg1"), EntityKind::Device).with_role(Role::Aggregation));
    b.add_entity(Entity::new(id("agg2"), EntityKind::Device).with_role(Role::Aggregation));
    b.add_entity(Entity::new(id("acc1"), EntityKind::Device));
    b.add_group(DependencyGroup::new(
        id("acc1"),
        GroupMode::Any,
        vec![id("agg1"), id("agg2")],
    ));
    let topology = b.build().unwrap();
    let t = at("2026-01-01T00:10:00Z");
    let mut acc1 = EntityReport::new(id("acc1"), EntityStatus::Degraded);
    acc1.redundancy_lost = vec!["any of [agg1, agg2]".into()];
    let cause = RootCause::new(
        id("agg1"),
        CauseRole::Primary,
        CauseKind::Failure,
        Confidence::new(0.62).unwrap(),
        vec![
            Evidence::signal("reachability", SignalState::Down, t, 0.5),
            Evidence::signal("link", SignalState::Down, t, 0.25).with_note("uplink down"),
        ],
    );
    let analysis = AnalysisDocument::new(
        "demo-isp".parse().unwrap(),
        t,
        vec![
            acc1,
            EntityReport::new(id("agg1"), EntityStatus::Down),
            EntityReport::new(id("agg2"), EntityStatus::Up),
        ],
        vec![Incident::new(
            "inc-agg1",
            t,
            vec![cause],
            vec![],
            0,
            "agg1 down; no impact (redundant via agg2)",
        )],
    );
    (topology, analysis)
}

#[test]
fn dot_output_is_exact() {
    let (topology, analysis) = small();
    let want = r##"// ispvm topology: edges point from a member to its dependent; dashed edges belong to
// `any` and `k of n` groups; thick dark red outlines mark root causes.
digraph "ispvm" {
  graph [rankdir=TB, labelloc=t, fontname="Helvetica,Arial,sans-serif", label="demo-isp at 2026-01-01T00:10:00Z"];
  node [shape=box, style="rounded,filled", fontname="Helvetica,Arial,sans-serif", fontsize=11];
  edge [color="#607d8b", fontname="Helvetica,Arial,sans-serif", fontsize=9, arrowsize=0.7];
  "acc1" [label="acc1\ndegraded", tooltip="device", fillcolor="#ffe9a8", fontcolor="#4a3000", color="#b26a00"];
  "agg1" [label="agg1\ndown · primary cause", tooltip="device · aggregation", fillcolor="#f8c4c4", fontcolor="#4a0d0d", color="#7f0000", penwidth=4];
  "agg2" [label="agg2\nup", tooltip="device · aggregation", fillcolor="#d7f0d8", fontcolor="#1b3d1d", color="#2e7d32"];
  "agg1" -> "acc1" [style=dashed, label="any of 2", color="#c62828"];
  "agg2" -> "acc1" [style=dashed, label="any of 2"];
}
"##;
    assert_eq!(dot(&topology, &analysis), want);
}

#[test]
fn dot_escapes_hostile_ids_and_shows_group_modes() {
    let names = [r#"q"uote"#, r"back\slash\", "core/ge-0/0/1", "ünï😀", "up3"];
    let mut b = TopologyBuilder::new("t".parse().unwrap());
    for n in names {
        b.add_entity(Entity::new(id(n), EntityKind::Device));
    }
    b.add_group(DependencyGroup::new(
        id("ünï😀"),
        GroupMode::KofN(2),
        vec![id(r#"q"uote"#), id(r"back\slash\"), id("up3")],
    ));
    b.add_group(DependencyGroup::new(
        id("core/ge-0/0/1"),
        GroupMode::All,
        vec![id("ünï😀")],
    ));
    let topology = b.build().unwrap();
    let analysis = AnalysisDocument::new(
        "t".parse().unwrap(),
        at("2026-01-01T00:00:00Z"),
        vec![],
        vec![],
    );
    let dot = dot(&topology, &analysis);
    assert!(
        dot.contains(r#"  "q\"uote" [label="q\"uote\nunknown""#),
        "{dot}"
    );
    assert!(
        dot.contains(r#"  "back\\slash\\" [label="back\\slash\\\nunknown""#),
        "{dot}"
    );
    assert!(dot.contains(r#"  "back\\slash\\" -> "ünï😀" [style=dashed, label="2 of 3"];"#));
    assert!(dot.contains(r#"  "ünï😀" -> "core/ge-0/0/1";"#));
    // Unknown entities are white and dashed.
    assert!(
        dot.contains(
            r##"fillcolor="#ffffff", fontcolor="#424242", style="rounded,filled,dashed""##
        )
    );
    // Every quote in the file is either escaped or balanced: an even number of unescaped quotes
    // per line.
    for line in dot.lines() {
        let unescaped = line
            .replace(r"\\", "")
            .replace(r#"\""#, "")
            .matches('"')
            .count();
        assert_eq!(unescaped % 2, 0, "{line}");
    }
}

#[test]
fn html_has_one_node_per_entity_and_every_incident() {
    let (topology, analysis) = small();
    let page = html(&topology, &analysis, &ReportOptions::new("t"));
    assert_eq!(page.matches("<g class=\"node ").count(), 3);
    for e in ["agg1", "agg2", "acc1"] {
        assert_eq!(
            page.matches(&format!("data-entity=\"{e}\" data-status"))
                .count(),
            1,
            "{e}"
        );
    }
    assert_eq!(page.matches("<article class=\"incident\"").count(), 1);
    assert!(page.contains("data-incident-id=\"inc-agg1\""));
    assert!(page.contains("agg1 down; no impact (redundant via agg2)"));
    assert!(page.contains("<h2>Incidents (1 open)</h2>"));
    // Evidence table with weights and their total.
    assert!(page.contains("<td class=\"num-cell\">0.5</td>"));
    assert!(page.contains("<td class=\"num-cell\">0.25</td>"));
    assert!(page.contains("Total weight</th><td class=\"num-cell\">0.75</td>"));
    assert!(page.contains("confidence <b>0.62</b>"));
    assert!(
        page.contains(
            "<span class=\"tag primary\">primary</span><span class=\"tag\">failure</span>"
        )
    );
    // Redundancy lost is listed, no suppression.
    assert!(page.contains("<h2>Redundancy lost (1)</h2>"));
    assert!(page.contains("any of [agg1, agg2]"));
    assert!(page.contains("<h2>Suppressed entities (0)</h2>"));
    assert!(page.contains("No timeline was recorded."));
}

#[test]
fn html_colours_follow_status_and_causes_are_outlined() {
    let (topology, mut analysis) = small();
    analysis.entities[0] = EntityReport::new(id("acc1"), EntityStatus::Unreachable);
    analysis.entities[0].explained_by = vec![id("agg1")];
    analysis.entities[2] = EntityReport::new(id("agg2"), EntityStatus::Maintenance);
    let page = html(&topology, &analysis, &ReportOptions::default());
    let node = |name: &str| {
        let start = page
            .find(&format!("data-entity=\"{name}\" data-status"))
            .unwrap();
        let end = start + page[start..].find("</g>").unwrap();
        page[start..end].to_string()
    };
    let agg1 = node("agg1");
    assert!(
        agg1.contains("fill=\"#f8c4c4\" stroke=\"#7f0000\" stroke-width=\"4\""),
        "{agg1}"
    );
    assert!(agg1.contains("down · primary cause"));
    let acc1 = node("acc1");
    assert!(
        acc1.contains("fill=\"#e6e6e6\" stroke=\"#9e9e9e\""),
        "{acc1}"
    );
    let agg2 = node("agg2");
    assert!(
        agg2.contains(
            "fill=\"#e6e6e6\" stroke=\"#3f5bd8\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\""
        ),
        "{agg2}"
    );
    assert!(page.contains("<g class=\"node status-unreachable suppressed\" data-entity=\"acc1\""));
    assert!(page.contains("<g class=\"node status-maintenance suppressed\" data-entity=\"agg2\""));
    assert!(page.contains(
        "<a href=\"#incident-1\"><g class=\"node status-down cause primary\" data-entity=\"agg1\""
    ));
    // Both edges are dashed (any group); the one from the down agg1 is red.
    assert_eq!(
        page.matches(
            "<path class=\"edge status-down redundant\" data-from=\"agg1\" data-to=\"acc1\""
        )
        .count(),
        1
    );
    assert_eq!(
        page.matches(
            "<path class=\"edge status-maintenance redundant\" data-from=\"agg2\" data-to=\"acc1\""
        )
        .count(),
        1
    );
    assert_eq!(
        page.matches("stroke=\"#c62828\" stroke-width=\"1.4\"")
            .count(),
        2
    );
    assert!(page.contains("<h2>Suppressed entities (2)</h2>"));
}

#[test]
fn untrusted_text_is_escaped_everywhere() {
    let evil = r#"<img src=x onerror=alert(1)>"&'"#;
    let mut b = TopologyBuilder::new(evil.parse().unwrap());
    b.add_entity(Entity::new(id(evil), EntityKind::Device));
    b.add_entity(Entity::new(id("acc</title><script>"), EntityKind::Device));
    b.add_group(DependencyGroup::new(
        id("acc</title><script>"),
        GroupMode::All,
        vec![id(evil)],
    ));
    let topology = b.build().unwrap();
    let t = at("2026-01-01T00:00:00Z");
    let mut acc = EntityReport::new(id("acc</title><script>"), EntityStatus::Unreachable);
    acc.explained_by = vec![id(evil)];
    acc.reasons = vec![format!("all of [{evil}]: {evil} unavailable")];
    let cause = RootCause::new(
        id(evil),
        CauseRole::Primary,
        CauseKind::Failure,
        Confidence::new(0.5).unwrap(),
        vec![
            Evidence::signal(evil, SignalState::Down, t, 0.5)
                .with_source(evil)
                .with_note(evil),
        ],
    );
    let analysis = AnalysisDocument::new(
        evil.parse().unwrap(),
        t,
        vec![acc, EntityReport::new(id(evil), EntityStatus::Down)],
        vec![Incident::new(
            evil,
            t,
            vec![cause],
            vec![id("acc</title><script>")],
            1,
            evil,
        )],
    );
    let options = ReportOptions::new(evil).with_entry(TimelineEntry::new(t, evil));
    let page = html(&topology, &analysis, &options);
    assert!(!page.contains("<img"), "raw markup leaked");
    assert!(!page.contains("</title><script>"), "raw markup leaked");
    assert_eq!(page.matches("<script").count(), 1);
    assert_eq!(page.matches("</script>").count(), 1);
    assert_eq!(
        page.matches("<title").count(),
        4,
        "page, drawing, and one per node"
    );
    let escaped = "&lt;img src=x onerror=alert(1)&gt;&quot;&amp;&#39;";
    // title, heading, tenant, node label and tooltip, incident id twice, summary, cause, source,
    // note, signal, reasons, explained_by, timeline, entity table...
    assert!(
        page.matches(escaped).count() >= 15,
        "{}",
        page.matches(escaped).count()
    );
}

#[test]
fn the_page_loads_nothing_from_outside_and_pins_its_inline_code() {
    let (topology, analysis) = small();
    let page = html(&topology, &analysis, &ReportOptions::default());
    // The SVG namespace is a name, not a reference: nothing is fetched from it.
    assert_eq!(
        page.matches("xmlns=\"http://www.w3.org/2000/svg\"").count(),
        1
    );
    let page = page.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    for needle in [
        "http:", "https:", "src=", "@import", "//", "<link", "<iframe", "<img", "<object",
    ] {
        assert!(!page.contains(needle), "found {needle}");
    }
    // Only local references.
    assert_eq!(
        page.matches("url(").count(),
        page.matches("url(#ispvm-arrow").count()
    );
    assert_eq!(
        page.matches("href=\"").count(),
        page.matches("href=\"#").count()
    );
    // The CSP hashes are those of the inline script and style, byte for byte.
    let between = |open: &str, close: &str| {
        let s = page.find(open).unwrap() + open.len();
        let e = s + page[s..].find(close).unwrap();
        page[s..e].to_string()
    };
    let hash = |s: &str| format!("'sha256-{}'", BASE64.encode(Sha256::digest(s.as_bytes())));
    let csp = between("http-equiv=\"Content-Security-Policy\" content=\"", "\"");
    assert!(csp.starts_with("default-src 'none'; "), "{csp}");
    assert!(csp.contains(&format!(
        "script-src {};",
        hash(&between("<script>", "</script>"))
    )));
    assert!(csp.contains(&format!(
        "style-src {};",
        hash(&between("<style>", "</style>"))
    )));
    // Nothing needs inline style attributes (the policy would block them).
    assert!(!page.contains(" style=\""));
}

#[test]
fn output_does_not_depend_on_insertion_order() {
    let build = |reverse: bool| {
        let mut entities = vec![
            Entity::new(id("core"), EntityKind::Device),
            Entity::new(id("agg1"), EntityKind::Device),
            Entity::new(id("agg2"), EntityKind::Device),
            Entity::new(id("acc1"), EntityKind::Device),
            Entity::new(id("acc2"), EntityKind::Device),
            Entity::new(id("bras"), EntityKind::PppoeConcentrator),
        ];
        let mut groups = vec![
            DependencyGroup::new(id("agg1"), GroupMode::All, vec![id("core")]),
            DependencyGroup::new(id("agg2"), GroupMode::All, vec![id("core")]),
            DependencyGroup::new(id("acc1"), GroupMode::Any, vec![id("agg1"), id("agg2")]),
            DependencyGroup::new(id("acc2"), GroupMode::Any, vec![id("agg2"), id("agg1")]),
            DependencyGroup::new(id("bras"), GroupMode::KofN(1), vec![id("acc1"), id("acc2")]),
        ];
        if reverse {
            entities.reverse();
            groups.reverse();
        }
        let mut b = TopologyBuilder::new("t".parse().unwrap());
        b.entities(entities).groups(groups);
        b.build().unwrap()
    };
    let (a, b) = (build(false), build(true));
    let analysis = AnalysisDocument::new(
        "t".parse().unwrap(),
        at("2026-01-01T00:00:00Z"),
        vec![],
        vec![],
    );
    let options = ReportOptions::default();
    assert_eq!(dot(&a, &analysis), dot(&b, &analysis));
    assert_eq!(html(&a, &analysis, &options), html(&b, &analysis, &options));
    assert_eq!(html(&a, &analysis, &options), html(&a, &analysis, &options));
}

#[test]
fn large_topologies_are_listed_not_drawn() {
    let (topology, analysis) = small();
    let page = html(
        &topology,
        &analysis,
        &ReportOptions::default().with_max_drawn_entities(2),
    );
    assert!(page.contains("id=\"topology-too-large\""));
    assert!(page.contains("The topology has 3 entities, more than the 2 this report draws."));
    assert!(!page.contains("<svg"));
    assert_eq!(page.matches("<article class=\"incident\"").count(), 1);
}

#[test]
fn empty_analysis_and_maintenance_only_incident() {
    let (topology, _) = small();
    let t = at("2026-01-01T00:00:00Z");
    let empty = AnalysisDocument::new("demo-isp".parse().unwrap(), t, vec![], vec![]);
    let page = html(&topology, &empty, &ReportOptions::default());
    assert!(page.contains("<p class=\"ok\">No open incident.</p>"));
    assert_eq!(page.matches("data-status=\"unknown\"").count(), 3);

    let cause = RootCause::new(
        id("agg2"),
        CauseRole::Contributing,
        CauseKind::Maintenance,
        Confidence::new(0.4).unwrap(),
        vec![],
    );
    let doc = AnalysisDocument::new(
        "demo-isp".parse().unwrap(),
        t,
        vec![EntityReport::new(id("agg2"), EntityStatus::Maintenance)],
        vec![Incident::new(
            "m",
            t,
            vec![cause],
            vec![],
            0,
            "agg2 in maintenance",
        )],
    );
    let page = html(&topology, &doc, &ReportOptions::default());
    assert!(page.contains("<dt>Primary cause</dt><dd>none (maintenance only)</dd>"));
    assert!(
        page.contains(
            "<span class=\"tag\">contributing</span><span class=\"tag\">maintenance</span>"
        )
    );
    assert!(page.contains("No evidence recorded."));
    assert!(page.contains("maintenance · contributing cause"));
}

#[test]
fn timeline_is_rendered_in_order() {
    let (topology, analysis) = small();
    let options = ReportOptions::new("story")
        .with_entry(TimelineEntry::new(at("2026-01-01T00:10:00Z"), "agg1 fails"))
        .with_entry(TimelineEntry::new(
            at("2026-01-01T00:05:00Z"),
            "polling starts",
        ));
    let page = html(&topology, &analysis, &options);
    let a = page
        .find("<li><time datetime=\"2026-01-01T00:10:00Z\">2026-01-01 00:10:00Z</time>agg1 fails</li>")
        .unwrap();
    let b = page.find("polling starts</li>").unwrap();
    assert!(a < b, "entries keep the order given");
}

#[test]
fn the_svg_style_sheet_has_the_colours_of_the_drawing() {
    // The presentation attributes (for a standalone SVG) and the class rules (for recolouring)
    // must agree, or a recoloured node would look different from a freshly drawn one.
    for (status, _) in view::LEGEND {
        let look = view::look(Some(status));
        let s = status.as_str();
        let rect = format!(
            ".ispvm-topology .node.status-{s} > rect {{ fill: {}; stroke: {};{} }}",
            look.fill,
            look.stroke,
            if look.dashed {
                " stroke-dasharray: 5 3;"
            } else {
                ""
            }
        );
        assert!(svg::STYLE.contains(&rect), "{rect}");
        let text = format!(
            ".ispvm-topology .node.status-{s} text {{ fill: {}; }}",
            look.text
        );
        assert!(svg::STYLE.contains(&text), "{text}");
        let lost = format!(".ispvm-topology .edge.status-{s}");
        assert_eq!(
            svg::STYLE.contains(&lost),
            view::unavailable(Some(status)),
            "{s}"
        );
    }
    assert!(svg::STYLE.contains(&format!(
        ".ispvm-topology .node.cause > rect {{ stroke: {}; stroke-width: 3; }}",
        view::CAUSE_STROKE
    )));
    assert!(svg::STYLE.contains(&format!(
        "stroke: {}; stroke-width: 1.4;",
        view::EDGE_COLOUR
    )));
    assert!(svg::STYLE.contains(&format!("stroke: {}; marker-end", view::EDGE_LOST_COLOUR)));
}

fn arb_case() -> impl Strategy<Value = (Topology, AnalysisDocument)> {
    let statuses = [
        EntityStatus::Up,
        EntityStatus::Down,
        EntityStatus::Degraded,
        EntityStatus::Unreachable,
        EntityStatus::Maintenance,
        EntityStatus::Unknown,
    ];
    (2usize..24)
        .prop_flat_map(move |n| {
            (
                Just(n),
                proptest::collection::vec((0usize..n, 0usize..n, 0u8..3), 0..n * 2),
                proptest::collection::vec(0usize..6, n),
                proptest::collection::vec(proptest::collection::vec(0usize..n, 1..4), 0..4),
            )
        })
        .prop_map(move |(n, edges, status, incidents)| {
            let name = |i: usize| id(&format!("n{i:02}<\"&{}", i % 3));
            let mut b = TopologyBuilder::new("t".parse().unwrap());
            for i in 0..n {
                b.add_entity(Entity::new(name(i), EntityKind::Device));
            }
            // Members always have a smaller index than the dependent: no cycles.
            let mut groups: std::collections::BTreeMap<usize, (u8, Vec<usize>)> =
                Default::default();
            for (a, b2, mode) in edges {
                let (m, d) = (a.min(b2), a.max(b2));
                if m == d {
                    continue;
                }
                let g = groups.entry(d).or_insert((mode, Vec::new()));
                if !g.1.contains(&m) {
                    g.1.push(m);
                }
            }
            for (d, (mode, members)) in groups {
                let mode = match mode {
                    0 => GroupMode::All,
                    1 => GroupMode::Any,
                    _ => GroupMode::KofN(1),
                };
                b.add_group(DependencyGroup::new(
                    name(d),
                    mode,
                    members.into_iter().map(name).collect(),
                ));
            }
            let topology = b.build().unwrap();
            let t = at("2026-01-01T00:00:00Z");
            let entities = (0..n)
                .map(|i| EntityReport::new(name(i), statuses[status[i]]))
                .collect();
            let incidents = incidents
                .into_iter()
                .enumerate()
                .map(|(k, causes)| {
                    let causes = causes
                        .into_iter()
                        .enumerate()
                        .map(|(j, c)| {
                            let role = if j == 0 {
                                CauseRole::Primary
                            } else {
                                CauseRole::Contributing
                            };
                            RootCause::new(
                                name(c),
                                role,
                                CauseKind::Failure,
                                Confidence::new(0.5).unwrap(),
                                vec![],
                            )
                        })
                        .collect();
                    Incident::new(
                        format!("inc-{k}<x>"),
                        t,
                        causes,
                        vec![],
                        0,
                        format!("summary {k} & more"),
                    )
                })
                .collect();
            (
                topology,
                AnalysisDocument::new("t".parse().unwrap(), t, entities, incidents),
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_valid_input_renders_completely((topology, analysis) in arb_case()) {
        let page = html(&topology, &analysis, &ReportOptions::default());
        prop_assert_eq!(page.matches("<g class=\"node ").count(), topology.entities().len());
        prop_assert_eq!(page.matches("<article class=\"incident\"").count(), analysis.incidents.len());
        for (k, _) in analysis.incidents.iter().enumerate() {
            let incident_id = format!("data-incident-id=\"inc-{k}&lt;x&gt;\"");
            prop_assert!(page.contains(&incident_id));
            let summary = format!("summary {k} &amp; more");
            prop_assert!(page.contains(&summary));
        }
        prop_assert!(!page.contains("<\"&"));
        let memberships: usize = topology.groups().iter().map(|g| g.members.len()).sum();
        prop_assert_eq!(page.matches("<path class=\"edge").count(), memberships);

        let graph = dot(&topology, &analysis);
        prop_assert_eq!(graph.matches(" -> ").count(), memberships);
        prop_assert_eq!(graph.matches(" [label=").count(), topology.entities().len());
        prop_assert_eq!(graph, dot(&topology, &analysis));
    }
}
