//! Headless Chromium driven over the DevTools protocol, for the tests of every page ispvm
//! serves (the live page in `ispvm-http`'s tests with an in-memory backend, and the real
//! agent's page in `examples/tests/agent_page.rs`, which includes this file by path).
//!
//! The binary is Debian's `chromium` (`/usr/bin/chromium`) or `ISPVM_CHROMIUM`; under `CI=true`
//! a missing browser fails the test instead of skipping it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

/// The Chromium binary, or `None` after saying why the browser test is skipped.
pub fn chromium() -> Option<PathBuf> {
    let candidate = std::env::var_os("ISPVM_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if candidate.is_file() {
        return Some(candidate);
    }
    assert!(
        std::env::var("CI").map_or(true, |v| v != "true"),
        "chromium is not installed (apt-get install -y chromium), and CI=true requires it"
    );
    eprintln!(
        "skipping the browser test: {} not found",
        candidate.display()
    );
    None
}

pub const FLAGS: [&str; 9] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
];

/// A Chromium process, killed on drop.
pub struct Browser {
    child: Child,
    _profile: tempfile::TempDir,
    port: u16,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    pub fn start(binary: &Path) -> Self {
        let profile = tempfile::tempdir().unwrap();
        let child = Command::new(binary)
            .args(FLAGS)
            .arg("--remote-debugging-port=0")
            .arg("--remote-allow-origins=*")
            .arg("--window-size=1400,1000")
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let port_file = profile.path().join("DevToolsActivePort");
        let deadline = Instant::now() + Duration::from_secs(30);
        let port = loop {
            if let Ok(text) = std::fs::read_to_string(&port_file) {
                if let Some(port) = text.lines().next().and_then(|l| l.parse().ok()) {
                    break port;
                }
            }
            assert!(
                Instant::now() < deadline,
                "chromium did not open its DevTools port"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        Self {
            child,
            _profile: profile,
            port,
        }
    }
}

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A minimal DevTools protocol client for one page.
pub struct Page {
    socket: Socket,
    next_id: u64,
    /// Console errors, uncaught exceptions and failed loads seen so far.
    pub errors: Vec<String>,
}

impl Page {
    pub async fn open(browser: &Browser) -> Self {
        let targets: Value = reqwest::get(format!("http://127.0.0.1:{}/json/list", browser.port))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let ws = targets
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["type"] == "page")
            .and_then(|t| t["webSocketDebuggerUrl"].as_str())
            .unwrap()
            .to_string();
        let (socket, _) = tokio_tungstenite::connect_async(ws).await.unwrap();
        let mut page = Self {
            socket,
            next_id: 0,
            errors: Vec::new(),
        };
        for method in ["Runtime.enable", "Log.enable", "Page.enable"] {
            page.call(method, json!({})).await;
        }
        page
    }

    fn note_event(&mut self, message: &Value) {
        let params = &message["params"];
        match message["method"].as_str() {
            Some("Runtime.consoleAPICalled") if params["type"] == "error" => {
                self.errors
                    .push(format!("console.error: {}", params["args"]));
            }
            Some("Runtime.exceptionThrown") => {
                self.errors
                    .push(format!("exception: {}", params["exceptionDetails"]));
            }
            Some("Log.entryAdded") if params["entry"]["level"] == "error" => {
                self.errors.push(format!("log: {}", params["entry"]));
            }
            _ => {}
        }
    }

    pub async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let text = json!({"id": id, "method": method, "params": params}).to_string();
        self.socket.send(Message::text(text)).await.unwrap();
        loop {
            let message = tokio::time::timeout(Duration::from_secs(20), self.socket.next())
                .await
                .expect("DevTools answer within 20 s")
                .unwrap()
                .unwrap();
            let Message::Text(text) = message else {
                continue;
            };
            let value: Value = serde_json::from_str(&text).unwrap();
            if value["id"] == id {
                assert!(value.get("error").is_none(), "{method}: {value}");
                return value["result"].clone();
            }
            self.note_event(&value);
        }
    }

    pub async fn eval(&mut self, expression: &str) -> Value {
        let result = self
            .call(
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
            )
            .await;
        assert!(
            result.get("exceptionDetails").is_none(),
            "{expression}: {result}"
        );
        result["result"]["value"].clone()
    }

    /// Polls `expression` until it is `true`.
    pub async fn wait_for(&mut self, expression: &str, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        // Until the page has loaded, elements may be missing: that is "not yet".
        let guarded = format!(
            "(() => {{ try {{ return ({expression}); }} catch (e) {{ return false; }} }})()"
        );
        loop {
            if self.eval(&guarded).await == json!(true) {
                return;
            }
            if Instant::now() > deadline {
                let headline = self
                    .eval("location.href + ' | ' + String(document.getElementById('headline') && document.getElementById('headline').textContent) + ' | ' + document.body.innerText.slice(0, 300)")
                    .await;
                panic!("timed out waiting for {what} (headline: {headline})");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
