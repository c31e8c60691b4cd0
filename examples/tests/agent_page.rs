//! The real agent's live page in headless Chromium: `ispvm-agent` on its embedded simulated ISP
//! (polled every 5 s), the page opened once, a router powered off through the API. The page
//! must draw the failure and list the incident without a reload, within two poll intervals,
//! keep the dual-homed access router behind it out of the outage, draw the repair the same
//! way, and log no console error. A screenshot of the outage is
//! written to the target's `tmp/ispvm-agent-page.png` for people to look at.

#[path = "../../ispvm-http/tests/devtools/mod.rs"]
mod devtools;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use devtools::{Browser, Page, chromium};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_ispvm-agent");
/// The embedded world's fast-tier interval.
const POLL: Duration = Duration::from_secs(5);

/// The agent process, killed when dropped.
struct Agent(Child);

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_agent(data: &Path) -> (Agent, SocketAddr) {
    let mut child = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("ispvm-agent starts");
    let stdout = child.stdout.take().expect("stdout");
    let agent = Agent(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the agent's first line");
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .parse()
        .expect("an address");
    (agent, addr)
}

/// Waits for `expression` and returns how long it took from `since`.
async fn drawn(page: &mut Page, expression: &str, what: &str, since: Instant) -> Duration {
    page.wait_for(expression, what).await;
    since.elapsed()
}

fn map_class(entity: &str, class: &str) -> String {
    format!(
        "document.querySelector('#map [data-entity=\"{entity}\"]').classList.contains('{class}')"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_router_powered_off_in_the_embedded_world_reaches_the_open_page_without_reload() {
    let Some(binary) = chromium() else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let (agent, addr) = start_agent(data.path());
    let base = format!("http://{addr}");
    let browser = Browser::start(&binary);
    let mut page = Page::open(&browser).await;
    let navigated = page
        .call("Page.navigate", json!({"url": format!("{base}/")}))
        .await;
    assert!(navigated.get("errorText").is_none(), "{navigated}");

    // The first evaluation of the healthy world, then the event stream.
    page.wait_for(
        "document.getElementById('conn').dataset.state === 'live'",
        "the event stream",
    )
    .await;
    page.wait_for(&map_class("agg2", "status-up"), "agg2 drawn up")
        .await;
    page.wait_for(&map_class("acc3", "status-up"), "acc3 drawn up")
        .await;
    page.eval("window.__marker = 'same page'").await;

    // Break agg2 through the API, as an operator would from a terminal.
    let http = reqwest::Client::new();
    let faults = format!("{base}/api/v1/tenants/demo-isp/sim/faults");
    let broken = Instant::now();
    let answer = http
        .post(&faults)
        .json(&json!({"fault": "power_off", "target": "agg2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 201);
    let fault: Value = answer.json().await.unwrap();
    let fault_id = fault["id"].as_str().expect("a fault id").to_owned();

    let took = drawn(
        &mut page,
        &map_class("agg2", "status-down"),
        "agg2 drawn down",
        broken,
    )
    .await;
    assert!(
        took <= 2 * POLL,
        "agg2 was drawn down {took:?} after the fault; the page must follow within two poll intervals"
    );
    // The incident names agg2; acc3, dual-homed to agg2 and agg3, still has a path: it is
    // neither down nor suppressed on the page.
    page.wait_for(
        "document.getElementById('incidents').textContent.includes('agg2')",
        "the incident naming agg2",
    )
    .await;
    for class in ["status-down", "status-unreachable"] {
        assert_eq!(
            page.eval(&map_class("acc3", class)).await,
            json!(false),
            "acc3 drawn {class} while agg3 still serves it"
        );
    }
    assert_eq!(page.eval("window.__marker").await, json!("same page"));

    let png = page
        .call(
            "Page.captureScreenshot",
            json!({"format": "png", "captureBeyondViewport": true}),
        )
        .await;
    let bytes = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        png["data"].as_str().expect("screenshot data"),
    )
    .unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    std::fs::write(
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("ispvm-agent-page.png"),
        bytes,
    )
    .unwrap();

    // Repair: drawn up again, still the same page.
    let repaired = Instant::now();
    let answer = http
        .delete(format!("{faults}/{fault_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 204);
    let took = drawn(
        &mut page,
        &map_class("agg2", "status-up"),
        "agg2 drawn up again",
        repaired,
    )
    .await;
    assert!(took <= 2 * POLL, "the repair was drawn after {took:?}");
    assert_eq!(page.eval("window.__marker").await, json!("same page"));

    // Drain pending events before judging the console.
    page.eval("1").await;
    assert!(page.errors.is_empty(), "console errors: {:#?}", page.errors);
    drop(agent);
}
