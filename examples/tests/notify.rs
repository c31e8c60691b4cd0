//! The real `ispvm-agent` with `--alertmanager` against a real Alertmanager (started by
//! `scripts/alertmanager` on a private port): powering off agg2 in the embedded world fires
//! exactly one root-cause alert (none for the access routers and the concentrator behind it),
//! repairing it resolves the alert, the watchdog fires throughout, and `/metrics` counts the
//! posts. Without Alertmanager the test skips, and fails under `CI=true`.

#[path = "support/http.rs"]
mod http_client;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_ispvm-agent");

struct Kill(Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A throw-away Alertmanager of `scripts/alertmanager`, stopped when dropped.
struct Am {
    state: PathBuf,
    url: String,
    _dir: tempfile::TempDir,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/alertmanager")
}

impl Am {
    fn start() -> Option<Am> {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("am.state");
        let out = Command::new(script())
            .arg("start")
            .env("ISPVM_AM_STATE", &state)
            .stderr(Stdio::inherit())
            .output()
            .unwrap();
        if !out.status.success() {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "scripts/alertmanager start failed under CI"
            );
            eprintln!("SKIP: Alertmanager could not be started");
            return None;
        }
        let url = String::from_utf8(out.stdout).unwrap().trim().to_owned();
        Some(Am {
            state,
            url,
            _dir: dir,
        })
    }
    fn addr(&self) -> SocketAddr {
        self.url.trim_start_matches("http://").parse().unwrap()
    }
}

impl Drop for Am {
    fn drop(&mut self) {
        let _ = Command::new(script())
            .arg("stop")
            .env("ISPVM_AM_STATE", &self.state)
            .status();
    }
}

/// One HTTP/1.1 request without a token; returns the status and the body.
fn http(addr: SocketAddr, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    http_client::http(addr, method, path, None, body)
}

fn eventually<T>(what: &str, within: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn alerts(am: &Am) -> Vec<Value> {
    let (code, body) = http(am.addr(), "GET", "/api/v2/alerts", None);
    assert_eq!(code, 200, "{body}");
    serde_json::from_str::<Value>(&body)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn named<'a>(alerts: &'a [Value], name: &str) -> Vec<&'a Value> {
    alerts
        .iter()
        .filter(|a| a["labels"]["alertname"] == name)
        .collect()
}

#[test]
fn agent_with_alertmanager_fires_one_root_cause_alert_and_resolves_it() {
    let Some(am) = Am::start() else { return };
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--alertmanager",
            &am.url,
            "--data-dir",
        ])
        .arg(data.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .env("RUST_LOG", "warn")
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let agent = Kill(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let a: SocketAddr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap()
        .parse()
        .unwrap();
    let _ = &agent;

    // Healthy: the watchdog fires, no incident.
    eventually("the watchdog", Duration::from_secs(30), || {
        let x = alerts(&am);
        (named(&x, "IspvmWatchdog").len() == 1).then_some(())
    });
    assert!(named(&alerts(&am), "IspvmIncident").is_empty());

    let t = "/api/v1/tenants/demo-isp";
    let (code, body) = http(
        a,
        "POST",
        &format!("{t}/sim/faults"),
        Some(r#"{"fault":"power_off","target":"agg2"}"#),
    );
    assert_eq!(code, 201, "{body}");
    let id = serde_json::from_str::<Value>(&body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let fired = eventually("the incident alert", Duration::from_secs(30), || {
        let x = alerts(&am);
        let inc: Vec<Value> = named(&x, "IspvmIncident").into_iter().cloned().collect();
        (inc.len() == 1).then(|| inc[0].clone())
    });
    assert_eq!(fired["labels"]["tenant"], "demo-isp");
    assert_eq!(fired["annotations"]["primary_cause"], "agg2");
    let severity = fired["labels"]["severity"].as_str().unwrap();
    let subs: u64 = fired["annotations"]["subscribers_affected"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(severity, if subs > 0 { "critical" } else { "warning" });
    assert_eq!(fired["labels"]["page"], "true");
    // The incident agrees with the agent's own API.
    let (_, incidents) = http(a, "GET", &format!("{t}/incidents"), None);
    let incidents: Value = serde_json::from_str(&incidents).unwrap();
    assert_eq!(fired["labels"]["incident"], incidents["incidents"][0]["id"]);
    // Nothing fires for the entities suppressed behind agg2.
    let all = alerts(&am);
    assert_eq!(named(&all, "IspvmIncident").len(), 1, "{all:#?}");
    assert_eq!(all.len(), 2, "{all:#?}");

    let (code, _) = http(a, "DELETE", &format!("{t}/sim/faults/{id}"), None);
    assert_eq!(code, 204);
    eventually("the alert resolved", Duration::from_secs(40), || {
        named(&alerts(&am), "IspvmIncident")
            .is_empty()
            .then_some(())
    });
    let (code, metrics) = http(a, "GET", "/metrics", None);
    assert_eq!(code, 200);
    assert!(
        metrics.contains("ispvm_notifications_total{sink=\"alertmanager\",result=\"ok\"}"),
        "{metrics}"
    );
}

#[test]
fn a_bad_alertmanager_url_is_a_usage_error() {
    let out = Command::new(BIN)
        .args(["--alertmanager", "ftp://x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "ispvm-agent: --alertmanager ftp://x: not an http(s) URL"
    );
}
