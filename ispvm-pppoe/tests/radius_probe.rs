//! The Status-Server probe over real UDP: against a real FreeRADIUS (started here as a child
//! process with a private config directory), a silent socket, a closed port and a fake server
//! signing with the wrong secret.
//!
//! Needs the Debian package `freeradius` (`scripts/install-test-deps` installs it). Without it
//! the FreeRADIUS test fails when `CI=true` and is skipped with a message otherwise.
//! `ISPVM_FREERADIUS=/path/to/freeradius` picks another binary.

use std::net::{SocketAddr, UdpSocket as StdUdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ispvm_pppoe::radius::packet::{self, Code, Packet, VerifyError};
use ispvm_pppoe::radius::{ProbeConfig, ProbeError, RadiusSecret, StatusProbe, probe_samples};

const TEMPLATE: &str = include_str!("../../scripts/freeradius/radiusd.conf.in");
const SECRET: &str = "ispvm-test-secret";

/// `ISPVM_FREERADIUS` (a path) overrides the search; a path that does not exist counts as
/// "not installed", which is how the CI=true failure is checked on a machine that has it.
fn freeradius_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ISPVM_FREERADIUS") {
        let p = PathBuf::from(p);
        return p.exists().then_some(p);
    }
    let candidates = ["/usr/sbin/freeradius", "/usr/sbin/radiusd"];
    if let Some(p) = candidates.iter().map(PathBuf::from).find(|p| p.exists()) {
        return Some(p);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .flat_map(|d| [d.join("freeradius"), d.join("radiusd")])
            .find(|p| p.exists())
    })
}

/// The binary, or `None` after explaining why the test is skipped (panics on CI).
fn require_freeradius() -> Option<PathBuf> {
    match freeradius_binary() {
        Some(p) => Some(p),
        None if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("freeradius is not installed (Debian package `freeradius`), and CI=true")
        }
        None => {
            eprintln!(
                "SKIPPED: freeradius is not installed (apt-get install -y freeradius); \
                 set CI=true to make this a failure"
            );
            None
        }
    }
}

/// A FreeRADIUS child process, killed on drop.
struct FreeRadius {
    child: Child,
    addr: SocketAddr,
    dir: tempfile::TempDir,
}

impl Drop for FreeRadius {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_udp_port() -> u16 {
    StdUdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn write_config(dir: &Path, port: u16) {
    for sub in ["log", "run", "radacct"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    std::fs::write(dir.join("dictionary"), "").unwrap();
    let conf = TEMPLATE
        .replace("@DIR@", dir.to_str().unwrap())
        .replace("@PORT@", &port.to_string())
        .replace("@SECRET@", SECRET);
    std::fs::write(dir.join("radiusd.conf"), conf).unwrap();
}

/// Starts FreeRADIUS and waits until it answers a probe (up to 15 s; three tries with fresh
/// ports in case another process took the port in between).
async fn start(bin: &Path) -> FreeRadius {
    let mut last_log = String::new();
    for _ in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let port = free_udp_port();
        write_config(dir.path(), port);
        let log = std::fs::File::create(dir.path().join("stdout.log")).unwrap();
        let child = Command::new(bin)
            .args(["-f", "-l", "stdout", "-d"])
            .arg(dir.path())
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap();
        let mut server = FreeRadius {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            dir,
        };
        let probe = StatusProbe::new(
            server.addr,
            RadiusSecret::new(SECRET).unwrap(),
            ProbeConfig::new(Duration::from_millis(200), 0),
        );
        for _ in 0..75 {
            if probe.probe().await.is_ok() {
                return server;
            }
            if server.child.try_wait().unwrap().is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        last_log =
            std::fs::read_to_string(server.dir.path().join("stdout.log")).unwrap_or_default();
    }
    panic!("FreeRADIUS did not come up; its output:\n{last_log}");
}

#[tokio::test]
async fn real_freeradius_answers_and_rejects_a_wrong_secret() {
    let Some(bin) = require_freeradius() else {
        return;
    };
    let server = start(&bin).await;

    let probe = StatusProbe::new(
        server.addr,
        RadiusSecret::new(SECRET).unwrap(),
        ProbeConfig::new(Duration::from_secs(2), 1),
    );
    let outcome = probe.probe().await;
    let ok = outcome.clone().unwrap();
    assert_eq!(ok.code, Code::AccessAccept);
    assert_eq!(ok.attempts, 1);
    assert!(ok.rtt < Duration::from_secs(2));

    let at = "2026-01-01T00:00:00Z".parse().unwrap();
    let samples = probe_samples(&"radius1".parse().unwrap(), server.addr, at, &outcome);
    assert_eq!(samples.len(), 2);
    assert_eq!(samples[0].metric_name, "radius.up");
    assert_eq!(samples[0].as_f64(), Some(1.0));
    assert_eq!(samples[0].labels["address"], server.addr.to_string());
    assert_eq!(samples[1].metric_name, "radius.rtt_ms");
    assert!(samples[1].as_f64().unwrap() > 0.0);
    let v = ispvm_schemas::conformance::check_samples(&samples);
    assert!(v.is_empty(), "{v:?}");

    // FreeRADIUS silently drops a Status-Server whose Message-Authenticator does not verify:
    // with a wrong secret the probe sees no answer at all, and reports the server down.
    let wrong = StatusProbe::new(
        server.addr,
        RadiusSecret::new("not-the-secret").unwrap(),
        ProbeConfig::new(Duration::from_millis(300), 1),
    );
    let outcome = wrong.probe().await;
    assert_eq!(outcome, Err(ProbeError::Timeout { attempts: 2 }));
    let samples = probe_samples(&"radius1".parse().unwrap(), server.addr, at, &outcome);
    assert_eq!(samples.len(), 1);
    assert_eq!(samples[0].as_f64(), Some(0.0));
    assert!(ispvm_schemas::conformance::check_samples(&samples).is_empty());

    // And the right secret still works afterwards.
    assert!(probe.probe().await.is_ok());
    drop(server);
}

#[tokio::test]
async fn silent_server_times_out_after_retries() {
    let silent = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let probe = StatusProbe::new(
        silent.local_addr().unwrap(),
        RadiusSecret::new(SECRET).unwrap(),
        ProbeConfig::new(Duration::from_millis(150), 2),
    );
    let started = std::time::Instant::now();
    assert_eq!(
        probe.probe().await,
        Err(ProbeError::Timeout { attempts: 3 })
    );
    assert!(started.elapsed() >= Duration::from_millis(450));
    // Three requests reached the socket, each a valid Status-Server with its own identifier.
    let mut ids = Vec::new();
    let mut buf = [0u8; 4096];
    for _ in 0..3 {
        let (n, _) = silent.recv_from(&mut buf).await.unwrap();
        let p = packet::decode(&buf[..n]).unwrap();
        assert_eq!(p.code, Code::StatusServer);
        assert!(packet::verify_request_message_authenticator(
            &buf[..n],
            &RadiusSecret::new(SECRET).unwrap()
        ));
        ids.push((p.identifier, p.authenticator));
    }
    ids.dedup();
    assert_eq!(ids.len(), 3);
}

#[tokio::test]
async fn nobody_listening_is_refused_or_times_out() {
    // A port nobody listens on: loopback answers ICMP port unreachable.
    let port = free_udp_port();
    let probe = StatusProbe::new(
        SocketAddr::from(([127, 0, 0, 1], port)),
        RadiusSecret::new(SECRET).unwrap(),
        ProbeConfig::new(Duration::from_millis(150), 1),
    );
    let outcome = probe.probe().await;
    assert!(
        matches!(
            outcome,
            Err(ProbeError::Refused { attempts: 2 } | ProbeError::Timeout { attempts: 2 })
        ),
        "{outcome:?}"
    );
}

/// A fake server that answers with a response signed with another secret, then (on the retry)
/// with a response to the wrong identifier.
#[tokio::test]
async fn answer_signed_with_wrong_secret_is_not_trusted() {
    let server = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr().unwrap();
    let fake = tokio::spawn(async move {
        let mut buf = [0u8; 4096];
        let wrong = RadiusSecret::new("other-secret").unwrap();
        let right = RadiusSecret::new(SECRET).unwrap();
        // 1st request: signed with the wrong secret.
        let (n, peer) = server.recv_from(&mut buf).await.unwrap();
        let req = packet::decode(&buf[..n]).unwrap();
        let mut resp = Packet::new(Code::AccessAccept, req.identifier, [0; 16])
            .encode()
            .unwrap();
        packet::sign_response(&mut resp, &req.authenticator, &wrong);
        server.send_to(&resp, peer).await.unwrap();
        // 2nd request: a correctly signed answer with the wrong identifier, then garbage,
        // then the right answer.
        let (n, peer) = server.recv_from(&mut buf).await.unwrap();
        let req = packet::decode(&buf[..n]).unwrap();
        let mut stale = Packet::new(Code::AccessAccept, req.identifier.wrapping_add(1), [0; 16])
            .encode()
            .unwrap();
        packet::sign_response(&mut stale, &req.authenticator, &right);
        server.send_to(&stale, peer).await.unwrap();
        server.send_to(&[0xff; 7], peer).await.unwrap();
        let mut good = Packet::new(Code::AccessAccept, req.identifier, [0; 16])
            .encode()
            .unwrap();
        packet::sign_response(&mut good, &req.authenticator, &right);
        server.send_to(&good, peer).await.unwrap();
    });
    let probe = StatusProbe::new(
        addr,
        RadiusSecret::new(SECRET).unwrap(),
        ProbeConfig::new(Duration::from_millis(300), 1),
    );
    let ok = probe.probe().await.unwrap();
    assert_eq!(ok.attempts, 2);
    fake.await.unwrap();

    // Only wrong-secret answers: reported as unverified, naming the check.
    let server = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr().unwrap();
    let fake = tokio::spawn(async move {
        let mut buf = [0u8; 4096];
        let wrong = RadiusSecret::new("other-secret").unwrap();
        for _ in 0..2 {
            let (n, peer) = server.recv_from(&mut buf).await.unwrap();
            let req = packet::decode(&buf[..n]).unwrap();
            let mut resp = Packet::new(Code::AccessAccept, req.identifier, [0; 16])
                .encode()
                .unwrap();
            packet::sign_response(&mut resp, &req.authenticator, &wrong);
            server.send_to(&resp, peer).await.unwrap();
        }
    });
    let probe = StatusProbe::new(
        addr,
        RadiusSecret::new(SECRET).unwrap(),
        ProbeConfig::new(Duration::from_millis(200), 1),
    );
    assert_eq!(
        probe.probe().await,
        Err(ProbeError::Unverified {
            attempts: 2,
            last: VerifyError::BadResponseAuthenticator
        })
    );
    fake.await.unwrap();
}
