//! End-to-end tests of the real `ispvm-agent` binary: the embedded world through the fault
//! API, configured routers (real `ispvm-sim` processes over TCP and TLS) with faults (a router
//! dies and comes back, wrong CA, slow replies, wrong password), signals, the HTTPS listener,
//! and `check-config`.

#[path = "support/http.rs"]
mod http_client;

use http_client::http;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_ispvm-agent");

/// A running agent, killed when dropped; its data directory is temporary.
struct Agent {
    child: Child,
    addr: SocketAddr,
    _data: tempfile::TempDir,
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(args: &[&str], envs: &[(&str, &str)]) -> Agent {
    let data = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .arg("--data-dir")
        .arg(data.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .env("RUST_LOG", "warn");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .or_else(|| line.trim().strip_prefix("listening on https://"))
        .unwrap_or_else(|| panic!("first line: {line:?}"))
        .parse()
        .unwrap();
    Agent {
        child,
        addr,
        _data: data,
    }
}

fn signal(agent: &Agent, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &agent.child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

fn wait_exit(agent: &mut Agent, within: Duration) -> ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(s) = agent.child.try_wait().unwrap() {
            return s;
        }
        assert!(Instant::now() < deadline, "the agent did not exit");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn json(addr: SocketAddr, path: &str, token: Option<&str>) -> Value {
    let (status, body) = http(addr, "GET", path, token, None);
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap()
}

/// Polls `f` every 200 ms until it returns `Some`, at most `within`.
fn eventually<T>(within: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "condition not met within {within:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn status_of(analysis: &Value, entity: &str) -> (String, bool) {
    let e = analysis["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == entity)
        .unwrap_or_else(|| panic!("no {entity}"));
    (
        e["status"].as_str().unwrap().to_owned(),
        e["suppressed"].as_bool().unwrap_or(false),
    )
}

#[test]
fn embedded_power_off_of_agg2_then_agg3_is_one_incident_with_suppression() {
    let mut agent = start(&["--listen", "127.0.0.1:0"], &[]);
    let a = agent.addr;
    eventually(Duration::from_secs(20), || {
        (http(a, "GET", "/readyz", None, None).0 == 200).then_some(())
    });
    let t = "/api/v1/tenants/demo-isp";
    // Ready means evaluated once; under load a first poll may have failed: wait until every
    // router answered once (the subscriber counts below need bras2's sessions).
    let analysis = eventually(Duration::from_secs(20), || {
        let v = json(a, &format!("{t}/analysis"), None);
        ["agg2", "agg3", "acc3", "acc4", "bras2"]
            .iter()
            .all(|e| status_of(&v, e).0 == "up")
            .then_some(v)
    });
    assert_eq!(status_of(&analysis, "agg1-agg2").0, "up");
    assert_eq!(
        json(a, &format!("{t}/incidents"), None)["incidents"],
        serde_json::json!([])
    );
    // The demo world follows the style guide (its transits and links are declared aliases).
    assert_eq!(
        json(a, &format!("{t}/lint"), None),
        serde_json::json!({
            "schema": "ispvm.lint/v1",
            "tenant": "demo-isp",
            "summary": {"errors": 0, "warnings": 0, "hints": 0, "exit": 0},
            "findings": []
        })
    );
    // Unknown targets and other tenants.
    let (code, _) = http(
        a,
        "POST",
        &format!("{t}/sim/faults"),
        None,
        Some(r#"{"fault":"power_off","target":"agg9"}"#),
    );
    assert_eq!(code, 422);
    let (code, _) = http(
        a,
        "POST",
        &format!("{t}/sim/faults"),
        None,
        Some(r#"{"fault":"link_down","target":"agg2"}"#),
    );
    assert_eq!(code, 422);
    assert_eq!(
        http(a, "GET", "/api/v1/tenants/other/analysis", None, None).0,
        404
    );

    let broke_at = Instant::now();
    for target in ["agg2", "agg3"] {
        let (code, body) = http(
            a,
            "POST",
            &format!("{t}/sim/faults"),
            None,
            Some(&format!(r#"{{"fault":"power_off","target":"{target}"}}"#)),
        );
        assert_eq!(code, 201, "{body}");
    }
    // Within two poll intervals (5 s each): one incident, acc3/acc4/bras2 suppressed.
    let incidents = eventually(Duration::from_secs(10) + Duration::from_secs(2), || {
        let v = json(a, &format!("{t}/incidents"), None);
        let list = v["incidents"].as_array()?.clone();
        let causes: Vec<String> = list.first()?["root_causes"]
            .as_array()?
            .iter()
            .map(|c| c["entity"].as_str().unwrap_or("").to_owned())
            .collect();
        (list.len() == 1
            && causes.contains(&"agg2".to_owned())
            && causes.contains(&"agg3".to_owned()))
        .then_some(list)
    });
    assert!(broke_at.elapsed() <= Duration::from_secs(12));
    let impacted: Vec<&str> = incidents[0]["impacted"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for e in ["acc3", "acc4", "bras2"] {
        assert!(impacted.contains(&e), "{e} in {impacted:?}");
    }
    assert_eq!(incidents[0]["subscribers_affected"], 2100);
    let analysis = json(a, &format!("{t}/analysis"), None);
    for e in ["acc3", "acc4", "bras2"] {
        assert_eq!(
            status_of(&analysis, e),
            ("unreachable".to_owned(), true),
            "{e}"
        );
    }
    assert_eq!(status_of(&analysis, "agg2").0, "down");
    let faults = json(a, &format!("{t}/sim/faults"), None);
    assert_eq!(
        faults["faults"].as_array().map(Vec::len),
        Some(2),
        "{faults}"
    );
    let audit = json(a, &format!("{t}/audit"), None);
    assert!(audit.to_string().contains("fault_created"), "{audit}");

    // A maintenance fault opens a window on its target; repairing it ends the window.
    let (code, body) = http(
        a,
        "POST",
        &format!("{t}/sim/faults"),
        None,
        Some(r#"{"fault":"maintenance","target":"acc1"}"#),
    );
    assert_eq!(code, 201, "{body}");
    let id: Value = serde_json::from_str(&body).unwrap();
    let id = id["id"].as_str().unwrap().to_owned();
    let windows = json(a, &format!("{t}/maintenance"), None).to_string();
    assert!(windows.contains("\"acc1\""), "{windows}");
    assert_eq!(
        http(a, "DELETE", &format!("{t}/sim/faults/{id}"), None, None).0,
        204
    );
    assert_eq!(
        http(a, "DELETE", &format!("{t}/sim/faults/{id}"), None, None).0,
        404
    );
    let windows = json(a, &format!("{t}/maintenance"), None).to_string();
    assert!(!windows.contains("\"acc1\""), "{windows}");
    let (code, metrics) = http(a, "GET", "/metrics", None, None);
    assert_eq!(code, 200);
    assert!(
        metrics.contains("ispvm_polls_total{tenant=\"demo-isp\",result=\"ok\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("ispvm_incidents_open{tenant=\"demo-isp\"} 1"),
        "{metrics}"
    );

    signal(&agent, "-TERM");
    let status = wait_exit(&mut agent, Duration::from_secs(15));
    assert_eq!(status.code(), Some(0));
}

struct Tls {
    ca: String,
    cert: String,
    key: String,
}

fn tls() -> Tls {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    let cert = leaf.signed_by(&key, &ca_cert, &ca_key).unwrap();
    Tls {
        ca: ca_cert.pem(),
        cert: cert.pem(),
        key: key.serialize_pem(),
    }
}

const SIM: &str = env!("CARGO_BIN_EXE_ispvm-sim");

/// A running `ispvm-sim` process (user `ro`, password `good-password`), killed when dropped.
struct Sim {
    child: Child,
    port: u16,
    tls_port: Option<u16>,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `ispvm-sim` on `listen` (TLS on a free port with `tls`'s certificate, written into
/// `dir`), every reply delayed by `delay_ms`.
fn sim(dir: &Path, listen: &str, tls: Option<&Tls>, delay_ms: u64) -> Sim {
    let mut cmd = Command::new(SIM);
    cmd.args([
        "--listen",
        listen,
        "--user",
        "ro",
        "--password-env",
        "SIM_PW",
    ])
    .args(["--reply-delay-ms", &delay_ms.to_string()])
    .env("SIM_PW", "good-password")
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    if let Some(t) = tls {
        write(dir, "sim-cert.pem", &t.cert);
        write(dir, "sim-key.pem", &t.key);
        cmd.args(["--tls-listen", "127.0.0.1:0", "--cert"])
            .arg(dir.join("sim-cert.pem"))
            .arg("--key")
            .arg(dir.join("sim-key.pem"));
    }
    let mut child = cmd.spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut port_of = |prefix: &str| {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        line.trim()
            .strip_prefix(prefix)
            .and_then(|a| a.parse::<SocketAddr>().ok())
            .unwrap_or_else(|| panic!("ispvm-sim said {line:?}"))
            .port()
    };
    let port = port_of("listening on ");
    let tls_port = tls.map(|_| port_of("listening tls on "));
    Sim {
        child,
        port,
        tls_port,
    }
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn metric(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(&format!("{name}{{")) && labels.iter().all(|x| l.contains(x)))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[test]
fn configured_ispvm_sim_routers_over_tcp_and_tls_with_faults_reload_and_shutdown() {
    let good = tls();
    let other = tls();
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let plain = sim(dir, "127.0.0.1:0", None, 0);
    let secure = sim(dir, "127.0.0.1:0", Some(&good), 0);
    let wrong_ca = sim(dir, "127.0.0.1:0", Some(&good), 0);
    let bad_pw = sim(dir, "127.0.0.1:0", None, 0);
    let slow = sim(dir, "127.0.0.1:0", None, 3000);
    write(dir, "ca.pem", &good.ca);
    write(dir, "other-ca.pem", &other.ca);
    write(dir, "good.pw", "good-password\n");
    write(dir, "bad.pw", "wrong-password\n");
    let router = |id: &str, port: u16, extra: &str, pw: &str| {
        format!(
            "[[tenants.routers]]\nid = \"{id}\"\nhost = \"127.0.0.1\"\nport = {port}\nuser = \"ro\"\npassword_file = \"{pw}\"\n{extra}\n"
        )
    };
    let config = format!(
        "[polling]\nfast_seconds = 1\ntimeout_seconds = 1\npoll_timeout_seconds = 2\nbackoff_base_seconds = 1\nbackoff_max_seconds = 1\n\n[[tenants]]\nid = \"acme\"\n\n{}{}{}{}{}[[tenants.tokens]]\nname = \"ops\"\nrole = \"operator\"\ntoken_env = \"ACME_TOKEN\"\n",
        router("plain", plain.port, "", "good.pw"),
        router(
            "secure",
            secure.tls_port.unwrap(),
            "tls = true\nca_file = \"ca.pem\"",
            "good.pw"
        ),
        router(
            "wrongca",
            wrong_ca.tls_port.unwrap(),
            "tls = true\nca_file = \"other-ca.pem\"",
            "good.pw"
        ),
        router("badpw", bad_pw.port, "", "bad.pw"),
        router("slow", slow.port, "", "good.pw"),
    );
    write(dir, "agent.toml", &config);
    let token = "acme-operator-token-0123456789abcdef";
    let file = dir.join("agent.toml");
    let mut agent = start(
        &[
            "--config",
            file.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
        &[("ACME_TOKEN", token)],
    );
    let a = agent.addr;
    // Not ready before every router was heard of (the slow one times out after 1 s).
    assert_eq!(http(a, "GET", "/readyz", None, None).0, 503);
    eventually(Duration::from_secs(10), || {
        (http(a, "GET", "/readyz", None, None).0 == 200).then_some(())
    });
    let t = "/api/v1/tenants/acme";
    assert_eq!(http(a, "GET", &format!("{t}/analysis"), None, None).0, 401);
    assert_eq!(
        http(
            a,
            "GET",
            &format!("{t}/analysis"),
            Some("wrong-token-wrong-token-wrong"),
            None
        )
        .0,
        401
    );
    let analysis = json(a, &format!("{t}/analysis"), Some(token));
    assert_eq!(status_of(&analysis, "plain").0, "up");
    // A tenant without a topology file: its routers, with neither site nor role.
    let lint = json(a, &format!("{t}/lint"), Some(token));
    assert_eq!(
        lint["summary"],
        serde_json::json!({"errors": 0, "warnings": 10, "hints": 0, "exit": 1})
    );
    assert_eq!(lint["findings"][0]["subject"], "badpw");
    assert_eq!(
        status_of(&analysis, "secure").0,
        "up",
        "TLS with the right CA"
    );
    assert_eq!(
        status_of(&analysis, "wrongca").0,
        "down",
        "TLS with another CA"
    );
    assert_eq!(status_of(&analysis, "badpw").0, "down", "wrong password");
    assert_eq!(
        status_of(&analysis, "slow").0,
        "down",
        "replies slower than the timeout"
    );
    // Each failed router is the cause of an open incident.
    let causes = |a| -> String { json(a, &format!("{t}/incidents"), Some(token)).to_string() };
    eventually(Duration::from_secs(5), || {
        let c = causes(a);
        ["\"wrongca\"", "\"badpw\"", "\"slow\""]
            .iter()
            .all(|r| c.contains(r))
            .then_some(())
    });
    // The collector's polls in the contract's metrics: ok, error (CA, password), timeout.
    let m = http(a, "GET", "/metrics", None, None).1;
    for result in ["ok", "error", "timeout"] {
        let n = metric(
            &m,
            "ispvm_polls_total",
            &["tenant=\"acme\"", &format!("result=\"{result}\"")],
        );
        assert!(n.is_some_and(|n| n >= 1.0), "{result}: {m}");
    }

    // The plain router dies: the analysis and incidents follow; readiness stays (the contract:
    // ready once every tenant was evaluated).
    let plain_port = plain.port;
    drop(plain);
    let id = eventually(Duration::from_secs(8), || {
        let v = json(a, &format!("{t}/incidents"), Some(token));
        v["incidents"]
            .as_array()?
            .iter()
            .find(|i| i["root_causes"].to_string().contains("\"plain\""))
            .and_then(|i| i["id"].as_str().map(str::to_owned))
    });
    assert_eq!(
        status_of(&json(a, &format!("{t}/analysis"), Some(token)), "plain").0,
        "down"
    );
    assert_eq!(http(a, "GET", "/readyz", None, None).0, 200);
    let open_ids = |a| -> Vec<String> {
        let mut v: Vec<String> = json(a, &format!("{t}/incidents"), Some(token))["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect();
        v.sort();
        v
    };
    let before = open_ids(a);
    assert!(before.contains(&id));

    // SIGHUP with the same file: every router kept as it was (Collector::sync), no incident
    // or id lost.
    signal(&agent, "-HUP");
    let detail = eventually(Duration::from_secs(5), || {
        let v = json(a, &format!("{t}/audit"), Some(token));
        v["entries"]
            .as_array()?
            .iter()
            .find(|e| e["action"] == "reload")
            .and_then(|e| e["detail"].as_str().map(str::to_owned))
    });
    assert!(
        detail.contains("routers: 0 added, 0 changed, 0 removed, 5 unchanged"),
        "{detail}"
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(open_ids(a), before);

    // The router comes back where it was: up again, its incident closed.
    let _plain = sim(dir, &format!("127.0.0.1:{plain_port}"), None, 0);
    eventually(Duration::from_secs(10), || {
        let v = json(a, &format!("{t}/incidents/{id}"), Some(token));
        (v["state"] == "closed").then_some(())
    });
    assert_eq!(
        status_of(&json(a, &format!("{t}/analysis"), Some(token)), "plain").0,
        "up"
    );

    signal(&agent, "-TERM");
    assert_eq!(
        wait_exit(&mut agent, Duration::from_secs(15)).code(),
        Some(0)
    );
    drop((secure, wrong_ca, bad_pw, slow));
}

/// One HTTPS/1.1 GET trusting only `ca` (PEM), server name `localhost`; the status and the
/// body, or the TLS or I/O error.
fn https_get(addr: SocketAddr, ca: &str, path: &str) -> Result<(u16, String), String> {
    use std::sync::Arc;
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls_pemfile::certs(&mut ca.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let tcp = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let req = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    tls.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    match tls.read_to_end(&mut out) {
        Ok(_) => {}
        // Some servers close without close_notify; what was read counts.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !out.is_empty() => {}
        Err(e) => return Err(e.to_string()),
    }
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    Ok((status, body))
}

#[test]
fn the_listener_serves_https_to_clients_that_trust_its_ca_only() {
    let good = tls();
    let other = tls();
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "cert.pem", &good.cert);
    write(d.path(), "key.pem", &good.key);
    let cert = d.path().join("cert.pem");
    let key = d.path().join("key.pem");
    let agent = start(
        &[
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
        &[],
    );
    let a = agent.addr;
    assert_eq!(https_get(a, &good.ca, "/healthz").unwrap().0, 200);
    eventually(Duration::from_secs(20), || {
        (https_get(a, &good.ca, "/readyz").ok()?.0 == 200).then_some(())
    });
    let (status, body) = https_get(a, &good.ca, "/api/v1/tenants/demo-isp/analysis").unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("\"schema\":\"ispvm.analysis/v1\""), "{body}");
    // A client that does not trust the CA fails the handshake.
    let e = https_get(a, &other.ca, "/healthz").unwrap_err();
    assert!(
        e.contains("UnknownIssuer") || e.contains("certificate"),
        "{e}"
    );
    // Plain HTTP on the TLS port gets no HTTP answer.
    let mut s = TcpStream::connect(a).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    assert!(!String::from_utf8_lossy(&out).starts_with("HTTP/1.1 200"));

    // A key that is not PEM: exit 2, one line naming the file, nothing served.
    write(d.path(), "bad.pem", "not a key\n");
    let out = Command::new(BIN)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            d.path().join("bad.pem").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no private key found"), "{err}");
    assert!(out.stdout.is_empty());
    // --tls-cert without --tls-key is a usage error.
    let out = Command::new(BIN)
        .args(["--tls-cert", cert.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_configuration_files_tls_table_serves_https() {
    let good = tls();
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let router = sim(dir, "127.0.0.1:0", None, 0);
    write(dir, "cert.pem", &good.cert);
    write(dir, "key.pem", &good.key);
    write(dir, "good.pw", "good-password\n");
    write(
        dir,
        "agent.toml",
        &format!(
            "[polling]\nfast_seconds = 1\n\n[tls]\ncert_file = \"cert.pem\"\nkey_file = \"key.pem\"\n\n[[tenants]]\nid = \"acme\"\n\n[[tenants.routers]]\nid = \"r1\"\nhost = \"127.0.0.1\"\nport = {}\nuser = \"ro\"\npassword_file = \"good.pw\"\n",
            router.port
        ),
    );
    let file = dir.join("agent.toml");
    let mut agent = start(
        &[
            "--config",
            file.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
        &[],
    );
    let a = agent.addr;
    eventually(Duration::from_secs(10), || {
        (https_get(a, &good.ca, "/readyz").ok()?.0 == 200).then_some(())
    });
    // A configured agent wants a token: 401 over HTTPS as over HTTP.
    assert_eq!(
        https_get(a, &good.ca, "/api/v1/tenants/acme/analysis")
            .unwrap()
            .0,
        401
    );
    signal(&agent, "-TERM");
    assert_eq!(
        wait_exit(&mut agent, Duration::from_secs(15)).code(),
        Some(0)
    );
}

fn check_config(file: &Path, envs: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let mut cmd = Command::new(BIN);
    cmd.arg("check-config").arg(file);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_config_names_file_line_and_key_and_accepts_the_contrib_example() {
    let d = tempfile::tempdir().unwrap();
    let contrib = Path::new(env!("CARGO_MANIFEST_DIR")).join("../contrib");
    for f in ["ispvm-agent.toml", "acme-topology.json", "acme-ca.pem"] {
        std::fs::copy(contrib.join(f), d.path().join(f)).unwrap();
    }
    std::fs::create_dir(d.path().join("secrets")).unwrap();
    write(
        &d.path().join("secrets"),
        "acme-bras1.password",
        "example\n",
    );
    write(
        &d.path().join("secrets"),
        "webhook.key",
        "example-webhook-key\n",
    );
    let file = d.path().join("ispvm-agent.toml");
    let envs = [
        ("ACME_CORE1_PASSWORD", "example"),
        ("ACME_OPERATOR_TOKEN", "an-operator-token-of-enough-length"),
    ];
    let (code, out, err) = check_config(&file, &envs);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        out,
        format!(
            "{}: valid (1 tenant(s), 2 router(s), 0 style warning(s))\n",
            file.display()
        )
    );

    // The style guide's findings on the topology: warnings are printed, errors exit 2.
    let topology = d.path().join("acme-topology.json");
    let clean = std::fs::read_to_string(&topology).unwrap();
    std::fs::write(
        &topology,
        clean.replace("\"site\": \"pop1\"", "\"site\": \"Pop 1\""),
    )
    .unwrap();
    let (code, out, err) = check_config(&file, &envs);
    assert_eq!((code, err.as_str()), (Some(0), ""));
    assert_eq!(
        out,
        format!(
            "acme-isp: warning L201 bras1: site label \"Pop 1\" breaks the grammar; fix: name sites in lower case: KIND-PLACE such as pop-north or dc-central\n\
             {}: valid (1 tenant(s), 2 router(s), 1 style warning(s))\n",
            file.display()
        )
    );
    std::fs::write(
        &topology,
        clean.replace("\"members\": [\"core1\"]", "\"members\": [\"core9\"]"),
    )
    .unwrap();
    let (code, out, err) = check_config(&file, &envs);
    assert_eq!(code, Some(2));
    assert_eq!(
        out,
        "acme-isp: error L002 dependency #0: bras1 needs core9, which is not an entity; fix: add core9 to the entities or correct the name\n"
    );
    assert_eq!(
        err,
        format!(
            "ispvm-agent: {}: 1 structural error(s) in the tenants' topologies (the lines above)\n",
            file.display()
        )
    );
    std::fs::write(&topology, &clean).unwrap();

    // Without the operator token's variable: exit 2, one line naming file, line and key.
    let (code, _, err) = check_config(&file, &envs[..1]);
    assert_eq!(code, Some(2));
    let text = std::fs::read_to_string(&file).unwrap();
    let line = text
        .lines()
        .position(|l| l.starts_with("token_env"))
        .unwrap()
        + 1;
    assert_eq!(
        err,
        format!(
            "ispvm-agent: {}:{line}: key `tenants[0].tokens[1].token_env`: environment variable ACME_OPERATOR_TOKEN is not set\n",
            file.display()
        )
    );

    // A port of the wrong type.
    let bad = d.path().join("bad.toml");
    write(
        d.path(),
        "bad.toml",
        &text.replace("port = 8728", "port = \"8728\""),
    );
    let (code, _, err) = check_config(&bad, &envs);
    assert_eq!(code, Some(2));
    let line = text.lines().position(|l| l == "port = 8728").unwrap() + 1;
    assert!(
        err.starts_with(&format!(
            "ispvm-agent: {}:{line}: key `tenants[0].routers[1].port`: ",
            bad.display()
        )),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    // Unbuilt flags are a usage error.
    let out = Command::new(BIN)
        .args(["--role", "collector"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not available yet"));
}
