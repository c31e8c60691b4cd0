//! A router that stays unreachable logs one warning when its polls start failing, not one
//! per retry (its own binary: the log capture is process-wide).

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ispvm_service::Agent;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_router_warns_once_then_retries_quietly() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();
    // A port nothing listens on: every connection is refused at once.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("pw"), "pw\n").unwrap();
    let file = d.path().join("agent.toml");
    std::fs::write(
        &file,
        format!(
            "[polling]\nfast_seconds = 1\ntimeout_seconds = 1\nbackoff_base_seconds = 1\nbackoff_max_seconds = 1\njitter_percent = 0\n\n[[tenants]]\nid = \"acme\"\n\n[[tenants.routers]]\nid = \"gone\"\nhost = \"127.0.0.1\"\nport = {port}\nuser = \"ro\"\npassword_file = \"pw\"\n"
        ),
    )
    .unwrap();
    let agent = Agent::start_from_config(&file).await.unwrap();
    let h = agent.tenant(&"acme".parse().unwrap()).unwrap();
    // Wait for at least four failed polls.
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            if h.poll_stats().iter().any(|(_, s)| s.polls_failed >= 4) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .unwrap();
    agent.shutdown().await;
    let text = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    let warns: Vec<&str> = text.lines().filter(|l| l.contains(" WARN ")).collect();
    assert_eq!(warns.len(), 2, "{text}");
    assert!(
        warns
            .iter()
            .any(|l| l.contains("router polls failing") && l.contains("router=gone")),
        "{text}"
    );
    assert!(
        warns
            .iter()
            .any(|l| l.contains("RouterOS connection failed")),
        "{text}"
    );
    assert!(
        !text.contains("pw\n") && !text.contains("password"),
        "{text}"
    );
}
