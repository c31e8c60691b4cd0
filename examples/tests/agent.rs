//! End-to-end tests of the real `ispvm-agent` binary: the embedded world through the fault
//! API, configured routers (real simulators over TCP and TLS) with faults, signals, and
//! `check-config`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use ispvm_routeros::Secret;
use ispvm_routeros::sim::{SimHandle, SimRouter, SimState};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_ispvm-agent");

/// A running agent, killed when dropped.
struct Agent {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(args: &[&str], envs: &[(&str, &str)]) -> Agent {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
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
        .unwrap_or_else(|| panic!("first line: {line:?}"))
        .parse()
        .unwrap();
    Agent { child, addr }
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

/// One HTTP/1.1 request; returns the status and the body.
fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    let body = body.unwrap_or("");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    (status, body)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(rest.get(..n).unwrap_or(rest));
        s = rest.get(n + 2..).unwrap_or("");
    }
    out
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
    let analysis = json(a, &format!("{t}/analysis"), None);
    assert_eq!(status_of(&analysis, "agg1-agg2").0, "up");
    assert_eq!(
        json(a, &format!("{t}/incidents"), None)["incidents"],
        serde_json::json!([])
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

async fn sim(id: &str, tls: Option<&Tls>) -> SimHandle {
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let mut b = SimRouter::builder()
        .state(SimState::access(id))
        .user("ro", Secret::new("good-password"))
        .listen(any);
    if let Some(t) = tls {
        b = b.tls(any, t.cert.clone().into_bytes(), t.key.clone().into_bytes());
    }
    b.start().await.unwrap()
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn configured_routers_over_tcp_and_tls_with_faults_reload_and_shutdown() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let good = tls();
    let other = tls();
    let (plain, secure, wrong_ca, bad_pw, slow) = rt.block_on(async {
        (
            sim("plain", None).await,
            sim("secure", Some(&good)).await,
            sim("wrongca", Some(&good)).await,
            sim("badpw", None).await,
            sim("slow", None).await,
        )
    });
    slow.set_reply_delay(Duration::from_secs(3));
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "ca.pem", &good.ca);
    write(d.path(), "other-ca.pem", &other.ca);
    write(d.path(), "good.pw", "good-password\n");
    write(d.path(), "bad.pw", "wrong-password\n");
    let router = |id: &str, port: u16, extra: &str, pw: &str| {
        format!(
            "[[tenants.routers]]\nid = \"{id}\"\nhost = \"127.0.0.1\"\nport = {port}\nuser = \"ro\"\npassword_file = \"{pw}\"\n{extra}\n"
        )
    };
    let config = format!(
        "[polling]\nfast_seconds = 1\ntimeout_seconds = 1\n\n[[tenants]]\nid = \"acme\"\n\n{}{}{}{}{}[[tenants.tokens]]\nname = \"ops\"\nrole = \"operator\"\ntoken_env = \"ACME_TOKEN\"\n",
        router("plain", plain.addr().port(), "", "good.pw"),
        router(
            "secure",
            secure.tls_addr().unwrap().port(),
            "tls = true\nca_file = \"ca.pem\"",
            "good.pw"
        ),
        router(
            "wrongca",
            wrong_ca.tls_addr().unwrap().port(),
            "tls = true\nca_file = \"other-ca.pem\"",
            "good.pw"
        ),
        router("badpw", bad_pw.addr().port(), "", "bad.pw"),
        router("slow", slow.addr().port(), "", "good.pw"),
    );
    write(d.path(), "agent.toml", &config);
    let token = "acme-operator-token-0123456789abcdef";
    let file = d.path().join("agent.toml");
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
    // The first round waits for the slow router's timeout: not ready before it.
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

    // The plain router dies: the analysis and incidents follow.
    rt.block_on(plain.shutdown());
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

    // SIGHUP reloads without losing incidents or their ids.
    signal(&agent, "-HUP");
    eventually(Duration::from_secs(5), || {
        json(a, &format!("{t}/audit"), Some(token))
            .to_string()
            .contains("reload")
            .then_some(())
    });
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(open_ids(a), before);

    signal(&agent, "-TERM");
    assert_eq!(
        wait_exit(&mut agent, Duration::from_secs(15)).code(),
        Some(0)
    );
    rt.block_on(async {
        secure.shutdown().await;
        wrong_ca.shutdown().await;
        bad_pw.shutdown().await;
        slow.shutdown().await;
    });
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
        format!("{}: valid (1 tenant(s), 2 router(s))\n", file.display())
    );

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
