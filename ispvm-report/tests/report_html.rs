//! Renders `report.html` for a demo-sized fixture and opens it in headless Chromium: the page
//! must load without errors (no script error, nothing blocked by its Content-Security-Policy),
//! show every incident and draw the topology.
//!
//! Needs the Debian package `chromium` (`/usr/bin/chromium`, or set `ISPVM_CHROMIUM`). Without
//! it the test fails when `CI=true` and otherwise prints why and passes. Set
//! `ISPVM_REPORT_KEEP=DIR` to keep the rendered page and a screenshot in `DIR`.

use std::path::{Path, PathBuf};

use ispvm_model::Topology;
use ispvm_report::{ReportOptions, TimelineEntry};
use ispvm_schemas::analysis::AnalysisDocument;
use ispvm_schemas::scenario::ScenarioDocument;

#[path = "support/chromium.rs"]
mod chromium;

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/report")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn load() -> (Topology, AnalysisDocument, Vec<TimelineEntry>) {
    let scenario: ScenarioDocument = serde_json::from_str(&fixture("scenario.json")).unwrap();
    let topology = scenario.into_scenario().unwrap().topology;
    let analysis: AnalysisDocument = serde_json::from_str(&fixture("analysis.json")).unwrap();
    let timeline: Vec<TimelineEntry> = serde_json::from_str(&fixture("timeline.json")).unwrap();
    (topology, analysis, timeline)
}

/// Text as the DOM serializer writes it inside an element.
fn dom_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\u{a0}', "&nbsp;")
}

/// An attribute value as the DOM serializer writes it.
fn dom_attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('\u{a0}', "&nbsp;")
}

#[test]
fn report_renders_in_headless_chromium() {
    let (topology, analysis, timeline) = load();
    let options = ReportOptions::new("ispvm demo: ring failure and RADIUS outage")
        .with_timeline(timeline.clone());
    let html = ispvm_report::html(&topology, &analysis, &options);
    let dot = ispvm_report::dot(&topology, &analysis);
    assert_eq!(dot.matches(" [label=").count(), topology.entities().len());

    let Some(binary) = chromium::find() else {
        return;
    };

    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, &html).unwrap();

    // 1. The DOM after load.
    let dom = chromium::dump_dom(&binary, dir.path(), &page);
    assert!(
        dom.contains("data-loaded=\"true\""),
        "the page did not finish loading its script:\n{}",
        &dom[..dom.len().min(2000)]
    );
    assert!(!dom.contains("data-errors="), "errors while loading: {dom}");
    assert!(dom.contains("<pre id=\"report-errors\" hidden=\"\"></pre>"));

    // Every incident, by id and summary.
    for incident in &analysis.incidents {
        assert!(
            dom.contains(&format!("data-incident-id=\"{}\"", dom_attr(&incident.id))),
            "incident {} missing",
            incident.id
        );
        assert!(
            dom.contains(&dom_text(&incident.summary)),
            "{}",
            incident.summary
        );
        for cause in &incident.root_causes {
            assert!(dom.contains(&format!(
                "<div class=\"cause{}\" data-entity=\"{}\"",
                if incident.primary() == Some(cause) {
                    " primary"
                } else {
                    ""
                },
                dom_attr(cause.entity.as_str())
            )));
        }
    }
    assert_eq!(
        dom.matches("<article class=\"incident\"").count(),
        analysis.incidents.len()
    );
    // The drawing: one node per entity, the edges, the causes linked to their incidents.
    assert!(dom.contains("<svg class=\"ispvm-topology\""));
    assert_eq!(
        dom.matches("<g class=\"node ").count(),
        topology.entities().len()
    );
    let memberships: usize = topology.groups().iter().map(|g| g.members.len()).sum();
    assert_eq!(dom.matches("<path class=\"edge").count(), memberships);
    assert!(dom.contains(
        "<a href=\"#incident-1\"><g class=\"node status-down cause primary\" data-entity=\"agg1\""
    ));
    assert!(dom.contains("<a href=\"#incident-2\"><g class=\"node status-degraded cause primary\" data-entity=\"bras2\""));
    // The hostile probe id stays text: no <b> element appeared.
    let probe = r#"probe "lab" <b>ü</b>/1"#;
    assert!(dom.contains(&dom_text(probe)));
    assert!(!dom.contains("<b>ü</b>"));
    // Timeline and suppressed entities.
    for entry in &timeline {
        assert!(dom.contains(&dom_text(&entry.text)), "{}", entry.text);
    }
    assert!(dom.contains("<h2>Suppressed entities (5)</h2>"));

    // 2. A screenshot, to check the page paints (and for a person to look at).
    let png = dir.path().join("report.png");
    chromium::run(
        &binary,
        dir.path(),
        &page,
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1280,1800".to_string(),
        ],
        &dir.path().join("screenshot-stdout.txt"),
    );
    let image = std::fs::read(&png).unwrap();
    assert!(image.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(
        image.len() > 20_000,
        "suspiciously small screenshot: {} bytes",
        image.len()
    );

    if let Some(keep) = std::env::var_os("ISPVM_REPORT_KEEP") {
        let keep = PathBuf::from(keep);
        std::fs::create_dir_all(&keep).unwrap();
        std::fs::copy(&page, keep.join("report.html")).unwrap();
        std::fs::copy(&png, keep.join("report.png")).unwrap();
        std::fs::write(keep.join("topology.dot"), &dot).unwrap();
    }
}
