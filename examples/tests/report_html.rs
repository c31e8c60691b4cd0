//! Renders `report.html` for a demo-sized fixture and opens it in headless Chromium: the page
//! must load without errors (no script error, nothing blocked by its Content-Security-Policy),
//! show every incident and draw the topology.
//!
//! Needs the Debian package `chromium` (`/usr/bin/chromium`, or set `ISPVM_CHROMIUM`). Without
//! it the test fails when `CI=true` and otherwise prints why and passes. Set
//! `ISPVM_REPORT_KEEP=DIR` to keep the rendered page and a screenshot in `DIR`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ispvm_examples::report::{ReportOptions, TimelineEntry, render_dot, render_html};
use ispvm_model::Topology;
use ispvm_schemas::analysis::AnalysisDocument;
use ispvm_schemas::scenario::ScenarioDocument;

const CHROMIUM_TIMEOUT: Duration = Duration::from_secs(60);

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

fn chromium() -> Option<PathBuf> {
    let candidate = std::env::var_os("ISPVM_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    candidate.is_file().then_some(candidate)
}

/// Runs Chromium headless on `page` with `extra` arguments, stdout to `stdout`, killed after
/// [`CHROMIUM_TIMEOUT`]. Panics (fails the test) on timeout or a non-zero exit.
fn run_chromium(binary: &Path, dir: &Path, page: &Path, extra: &[String], stdout: &Path) {
    let profile = tempfile::tempdir_in(dir).unwrap();
    let mut child = Command::new(binary)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(File::create(stdout).unwrap())
        .stderr(File::create(dir.join("chromium-stderr.txt")).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + CHROMIUM_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within {CHROMIUM_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stderr = std::fs::read_to_string(dir.join("chromium-stderr.txt")).unwrap_or_default();
    assert!(status.success(), "chromium failed with {status}:\n{stderr}");
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
    let html = render_html(&topology, &analysis, &options);
    let dot = render_dot(&topology, &analysis);
    assert_eq!(dot.matches(" [label=").count(), topology.entities().len());

    let Some(binary) = chromium() else {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true");
        assert!(
            !ci,
            "chromium is not installed (apt-get install -y chromium), and CI=true requires it"
        );
        eprintln!(
            "skipping the browser check: /usr/bin/chromium not found (apt-get install -y chromium)"
        );
        return;
    };

    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, &html).unwrap();

    // 1. The DOM after load.
    let dom_file = dir.path().join("dom.html");
    run_chromium(
        &binary,
        dir.path(),
        &page,
        &["--dump-dom".to_string()],
        &dom_file,
    );
    let dom = std::fs::read_to_string(&dom_file).unwrap();
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
    assert!(dom.contains("<svg class=\"topology\""));
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
    run_chromium(
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
