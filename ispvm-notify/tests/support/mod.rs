//! Real servers for the notifier's tests: a request catcher (axum on 127.0.0.1:0) and private
//! Prometheus Alertmanager instances (Debian's `prometheus-alertmanager`, installed by
//! `scripts/install-test-deps`). Without the binary a test skips, and fails under `CI=true`.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;

/// One request the catcher received.
#[derive(Debug, Clone)]
pub struct Caught {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The status the catcher answered.
    pub status: u16,
}

impl Caught {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

/// An HTTP receiver that records every request and refuses (503) the next `refuse` ones.
#[derive(Clone)]
pub struct Catcher {
    pub addr: SocketAddr,
    pub caught: Arc<Mutex<Vec<Caught>>>,
    pub refuse: Arc<AtomicU32>,
}

impl Catcher {
    pub async fn start() -> Catcher {
        let caught: Arc<Mutex<Vec<Caught>>> = Arc::default();
        let refuse = Arc::new(AtomicU32::new(0));
        let (c, r) = (caught.clone(), refuse.clone());
        let app = axum::Router::new().fallback(
            move |uri: axum::http::Uri, headers: HeaderMap, body: Bytes| {
                let (c, r) = (c.clone(), r.clone());
                async move {
                    let refused = r
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                        .is_ok();
                    let status = if refused {
                        StatusCode::SERVICE_UNAVAILABLE
                    } else {
                        StatusCode::OK
                    };
                    c.lock().unwrap().push(Caught {
                        path: uri.path().to_owned(),
                        headers,
                        body,
                        status: status.as_u16(),
                    });
                    status
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Catcher {
            addr,
            caught,
            refuse,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn all(&self) -> Vec<Caught> {
        self.caught.lock().unwrap().clone()
    }

    /// Waits until `pred` holds over what was caught.
    pub async fn wait_for(&self, what: &str, timeout: Duration, pred: impl Fn(&[Caught]) -> bool) {
        let start = Instant::now();
        loop {
            if pred(&self.all()) {
                return;
            }
            assert!(
                start.elapsed() < timeout,
                "timed out waiting for {what}; caught: {:#?}",
                self.all()
                    .iter()
                    .map(|c| (
                        c.path.clone(),
                        c.status,
                        String::from_utf8_lossy(&c.body).into_owned()
                    ))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The Alertmanager binary, or `None` (after saying so) when it is missing outside CI.
pub fn alertmanager_binary() -> Option<PathBuf> {
    let from_env = std::env::var_os("ISPVM_ALERTMANAGER_BIN").map(PathBuf::from);
    let found = from_env.or_else(|| {
        ["prometheus-alertmanager", "alertmanager"]
            .iter()
            .find_map(|name| {
                std::env::var_os("PATH").and_then(|paths| {
                    std::env::split_paths(&paths)
                        .map(|d| d.join(name))
                        .find(|p| p.is_file())
                })
            })
    });
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "Alertmanager is missing (install prometheus-alertmanager: scripts/install-test-deps)"
        );
        eprintln!("SKIP: Alertmanager is not installed (scripts/install-test-deps installs it)");
    }
    found
}

/// A private Alertmanager whose single receiver is a webhook to `receiver`, grouping by
/// tenant and incident, flushing fast.
pub struct Alertmanager {
    bin: PathBuf,
    dir: tempfile::TempDir,
    pub port: u16,
    child: Option<tokio::process::Child>,
}

impl Alertmanager {
    pub async fn start(bin: PathBuf, receiver: &str) -> Alertmanager {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("alertmanager.yml"),
            format!(
                "route:\n  receiver: catcher\n  group_by: [tenant, incident]\n  group_wait: 100ms\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: catcher\n    webhook_configs:\n      - url: {receiver}\n        send_resolved: true\n"
            ),
        )
        .unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut am = Alertmanager {
            bin,
            dir,
            port,
            child: None,
        };
        am.spawn().await;
        am
    }

    async fn spawn(&mut self) {
        let child = tokio::process::Command::new(&self.bin)
            .arg(format!(
                "--config.file={}",
                self.dir.path().join("alertmanager.yml").display()
            ))
            .arg(format!(
                "--storage.path={}",
                self.dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{}", self.port))
            .arg("--cluster.listen-address=")
            .arg("--log.level=warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        self.child = Some(child);
        let client = reqwest::Client::new();
        let start = Instant::now();
        while client
            .get(format!("{}/-/ready", self.url()))
            .send()
            .await
            .map(|r| r.status().is_success())
            .ok()
            != Some(true)
        {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "Alertmanager did not become ready"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Kills the process (alerts are held in memory: they are gone) and starts it again on
    /// the same port and storage.
    pub async fn restart(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().await.unwrap();
        }
        self.spawn().await;
    }

    /// Stops the process with SIGTERM (it writes its notification log to disk), for
    /// [`Alertmanager::resume`] on the same port.
    pub async fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let pid = c.id().unwrap().to_string();
            let ok = std::process::Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap();
            assert!(ok.success());
            tokio::time::timeout(Duration::from_secs(10), c.wait())
                .await
                .unwrap()
                .unwrap();
        }
    }

    /// Starts a stopped instance again on the same port and storage.
    pub async fn resume(&mut self) {
        self.spawn().await;
    }

    /// `GET /api/v2/alerts`: the active alerts.
    pub async fn alerts(&self) -> Vec<Value> {
        let v: Value = reqwest::Client::new()
            .get(format!("{}/api/v2/alerts", self.url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v.as_array().unwrap().clone()
    }

    /// Waits until `pred` holds over the active alerts, returns them.
    pub async fn wait_alerts(
        &self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let start = Instant::now();
        loop {
            let a = self.alerts().await;
            if pred(&a) {
                return a;
            }
            assert!(
                start.elapsed() < timeout,
                "timed out waiting for {what}; alerts: {a:#?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// `alertname` of an alert of the API's answer.
pub fn name(a: &Value) -> &str {
    a["labels"]["alertname"].as_str().unwrap_or_default()
}
