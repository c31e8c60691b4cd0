//! End to end: the real `ispvm-poll` binary against the real `ispvm-sim` binary on loopback
//! (contract: `docs/spec/routeros.md`). TCP and TLS, v6 and v7, wrong password and
//! unreachable port (exit 3), bad arguments (exit 2), non-UTF-8 words.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use ispvm_schemas::MetricSample;
use ispvm_schemas::validation::{DocumentKind, validate};
use serde_json::Value;

const POLL: &str = env!("CARGO_BIN_EXE_ispvm-poll");
const SIM: &str = env!("CARGO_BIN_EXE_ispvm-sim");

/// A running `ispvm-sim`, killed on drop.
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

fn port_of(line: &str, prefix: &str) -> u16 {
    let addr = line
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("expected {prefix:?}, got {line:?}"));
    assert!(addr.starts_with("127.0.0.1:"), "{line:?}");
    addr.rsplit(':').next().unwrap().parse().unwrap()
}

fn start_sim(args: &[&str], envs: &[(&str, &str)]) -> Sim {
    let mut cmd = Command::new(SIM);
    cmd.args(["--listen", "127.0.0.1:0"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let port = port_of(line.trim_end(), "listening on ");
    let tls_port = args.contains(&"--tls-listen").then(|| {
        line.clear();
        out.read_line(&mut line).unwrap();
        port_of(line.trim_end(), "listening tls on ")
    });
    Sim {
        child,
        port,
        tls_port,
    }
}

fn poll(args: &[&str], password: Option<&str>) -> Output {
    let mut cmd = Command::new(POLL);
    cmd.args(args).env_remove("ISPVM_PASSWORD");
    if let Some(p) = password {
        cmd.env("ISPVM_PASSWORD", p);
    }
    cmd.output().unwrap()
}

fn poll_port(port: u16, extra: &[&str], password: Option<&str>) -> Output {
    let port = port.to_string();
    let mut args = vec!["--host", "127.0.0.1", "--port", &port, "--user", "admin"];
    args.extend_from_slice(extra);
    poll(&args, password)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Parses jsonl output, checks every line against the MetricSample schema and the conformance
/// kit, and returns `(metric_name, entity_id) -> line`.
fn samples(o: &Output) -> BTreeMap<(String, String), Value> {
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(o));
    let text = std::str::from_utf8(&o.stdout).expect("jsonl output is UTF-8");
    let mut map = BTreeMap::new();
    let mut parsed = Vec::new();
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        validate(DocumentKind::MetricSample, &v).unwrap_or_else(|e| panic!("{line}: {e:?}"));
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        for k in [
            "ts",
            "metric_name",
            "entity_type",
            "entity_id",
            "unit",
            "labels",
            "source",
            "quality",
        ] {
            assert!(keys.contains(&k), "{k} missing in {line}");
        }
        assert_eq!(v["source"], "routeros_api");
        parsed.push(serde_json::from_value::<MetricSample>(v.clone()).unwrap());
        let key = (
            v["metric_name"].as_str().unwrap().to_owned(),
            v["entity_id"].as_str().unwrap().to_owned(),
        );
        assert!(map.insert(key, v).is_none(), "duplicate sample: {line}");
    }
    let violations = ispvm_schemas::conformance::check_samples(&parsed);
    assert!(violations.is_empty(), "{violations:?}");
    map
}

fn num(map: &BTreeMap<(String, String), Value>, metric: &str, entity: &str) -> f64 {
    map.get(&(metric.to_owned(), entity.to_owned()))
        .unwrap_or_else(|| panic!("no {metric} for {entity}"))["value_num"]
        .as_f64()
        .unwrap()
}

/// Every metric name the contract lists, read from v7 and v6 alike.
fn assert_contract_names(map: &BTreeMap<(String, String), Value>, dev: &str) {
    assert_eq!(num(map, "device.up", dev), 1.0);
    assert_eq!(num(map, "device.cpu_pct", dev), 12.0);
    assert!(num(map, "device.uptime_seconds", dev) >= 1_919_829.0);
    assert_eq!(num(map, "device.mem_total_bytes", dev), 1_073_741_824.0);
    assert_eq!(
        num(map, "device.mem_used_bytes", dev),
        1_073_741_824.0 - 734_003_200.0
    );
    let eth = format!("{dev}/ether1");
    assert_eq!(num(map, "interface.oper_up", &eth), 1.0);
    assert_eq!(num(map, "interface.admin_up", &eth), 1.0);
    assert!(num(map, "interface.rx_bytes_total", &eth) >= 3e12);
    assert!(num(map, "interface.tx_bytes_total", &eth) >= 1.3e12);
    assert_eq!(num(map, "interface.rx_errors_total", &eth), 0.0);
    assert_eq!(num(map, "interface.tx_errors_total", &eth), 0.0);
    let bgp = format!("{dev}/bgp/10.255.0.1");
    assert_eq!(num(map, "bgp.peer.up", &bgp), 1.0);
    assert_eq!(num(map, "bgp.peer.prefixes_in", &bgp), 912_345.0);
    let line = &map[&("bgp.peer.up".to_owned(), bgp)];
    assert_eq!(line["labels"]["remote_as"], "65000");
    assert_eq!(line["entity_type"], "bgp_session");
    assert_eq!(
        num(map, "ospf.neighbor.up", &format!("{dev}/ospf/10.255.0.2")),
        1.0
    );
    assert_eq!(num(map, "pppoe.sessions.active", dev), 1200.0);
    let radius = format!("{dev}/radius/10.0.0.10");
    for m in [
        "radius.requests_total",
        "radius.accepts_total",
        "radius.rejects_total",
        "radius.timeouts_total",
    ] {
        assert!(num(map, m, &radius) >= 0.0);
    }
    assert_eq!(num(map, "radius.requests_total", &radius), 48_210.0);
}

#[test]
fn polls_the_v7_simulator_over_tcp() {
    let sim = start_sim(&[], &[]);
    let o = poll_port(sim.port, &[], None);
    let map = samples(&o);
    assert_contract_names(&map, "agg1");
    assert!(o.stderr.is_empty(), "{}", stderr(&o));
    // --device-id replaces the identity in every entity id.
    let map = samples(&poll_port(sim.port, &["--device-id", "pop3-agg1"], None));
    assert!(map.keys().all(|(_, e)| e.starts_with("pop3-agg1")));
    assert_contract_names(&map, "pop3-agg1");
}

#[test]
fn polls_v6_simulators_with_plain_and_md5_login() {
    for version in ["6.49.10", "6.42"] {
        let sim = start_sim(&["--routeros-version", version], &[]);
        let map = samples(&poll_port(sim.port, &[], None));
        assert_contract_names(&map, "agg1");
    }
}

#[test]
fn table_format_lists_the_same_samples() {
    let sim = start_sim(&[], &[]);
    let o = poll_port(sim.port, &["--format", "table"], None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(head, ["ENTITY", "METRIC", "VALUE", "UNIT", "LABELS"]);
    let row = lines
        .find(|l| l.contains("device.cpu_pct"))
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>();
    assert_eq!(row, ["agg1", "device.cpu_pct", "12", "%"]);
    let jsonl = samples(&poll_port(sim.port, &[], None));
    assert_eq!(text.lines().count(), jsonl.len() + 1);
}

#[test]
fn polls_over_tls_with_a_custom_ca() {
    let dir = tempfile::tempdir().unwrap();
    let ck =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.key_pair.serialize_pem()).unwrap();
    let c: &'static str = cert.to_str().unwrap().to_owned().leak();
    let k = key.to_str().unwrap();
    let sim = start_sim(
        &[
            "--tls-listen",
            "127.0.0.1:0",
            "--cert",
            c,
            "--key",
            k,
            "--user",
            "monitor",
            "--password-env",
            "SIM_PW",
        ],
        &[("SIM_PW", "s3cret-pw")],
    );
    let tls_port = sim.tls_port.unwrap().to_string();
    let args = |ca: Option<&'static str>| {
        let mut a: Vec<&str> = vec![
            "--host",
            "127.0.0.1",
            "--port",
            &tls_port,
            "--tls",
            "--user",
            "monitor",
            "--password-env",
            "MY_PW",
        ];
        if let Some(ca) = ca {
            a.extend(["--ca", ca]);
        }
        a
    };
    let run = |a: &[&str]| {
        Command::new(POLL)
            .args(a)
            .env("MY_PW", "s3cret-pw")
            .output()
            .unwrap()
    };
    let map = samples(&run(&args(Some(c))));
    assert_contract_names(&map, "agg1");
    // Without the CA the certificate is not trusted: unreachable, exit 3, no password shown.
    let o = run(&args(None));
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    assert!(!stderr(&o).contains("s3cret-pw"));
    // TLS client against the plain port fails cleanly too.
    let plain = sim.port.to_string();
    let mut a = args(Some(c));
    a[3] = &plain;
    a.extend(["--timeout", "1"]);
    let started = std::time::Instant::now();
    let o = run(&a);
    assert!(started.elapsed() < std::time::Duration::from_secs(8));
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    // The plain port of the same simulator wants the same user.
    let o = poll_port(sim.port, &[], None);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
}

#[test]
fn wrong_password_exits_3_with_one_line_and_no_password() {
    let sim = start_sim(
        &["--user", "monitor", "--password-env", "SIM_PW"],
        &[("SIM_PW", "right-one")],
    );
    let port = sim.port.to_string();
    let base = ["--host", "127.0.0.1", "--port", &port, "--user", "monitor"];
    let o = poll(&base, Some("wrong-guess-123"));
    assert_eq!(o.status.code(), Some(3));
    assert!(o.stdout.is_empty());
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("refused the login"), "{err}");
    assert!(
        !err.contains("wrong-guess-123") && !err.contains("right-one"),
        "{err}"
    );
    // The same on an MD5-login (pre-6.43) simulator.
    let old = start_sim(
        &[
            "--user",
            "monitor",
            "--password-env",
            "SIM_PW",
            "--routeros-version",
            "6.40",
        ],
        &[("SIM_PW", "right-one")],
    );
    let port = old.port.to_string();
    let base = ["--host", "127.0.0.1", "--port", &port, "--user", "monitor"];
    let o = poll(&base, Some("wrong-guess-123"));
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(!stderr(&o).contains("wrong-guess-123"));
    assert_contract_names(&samples(&poll(&base, Some("right-one"))), "agg1");
}

#[test]
fn unreachable_port_exits_3() {
    // Bind then drop a listener: the port is free and nobody answers.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let o = poll_port(port, &["--timeout", "2"], None);
    assert_eq!(o.status.code(), Some(3));
    assert!(o.stdout.is_empty());
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("unreachable"), "{err}");
}

#[test]
fn bad_arguments_exit_2() {
    for args in [
        &["--user", "admin"][..],
        &["--host", "127.0.0.1"][..],
        &["--host", "127.0.0.1", "--user", "a", "--format", "xml"][..],
        &["--host", "127.0.0.1", "--user", "a", "--port", "70000"][..],
        &["--host", "127.0.0.1", "--user", "a", "--ca", "x.pem"][..],
        &["--host", "127.0.0.1", "--user", "a", "--device-id", ""][..],
        &[
            "--host",
            "127.0.0.1",
            "--user",
            "a",
            "--password-env",
            "NOPE_UNSET_VAR",
        ][..],
    ] {
        let o = poll(args, None);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(o.stdout.is_empty());
    }
    let o = poll(&["--help"], None);
    assert_eq!(o.status.code(), Some(0));
}

fn write_state(path: &Path, v: &Value) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_vec(v).unwrap()).unwrap();
    std::fs::rename(tmp, path).unwrap();
}

#[test]
fn non_utf8_words_never_abort_a_poll() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let mut st = serde_json::to_value(ispvm_routeros::sim::SimState::access("sw-Zé")).unwrap();
    st["text_encoding"] = "windows1252".into();
    st["interfaces"][2]["name"] = "ether1-São".into();
    st["interfaces"][2]["comment"] = "Ligação do cliente".into();
    st["missing_menus"] = serde_json::json!(["/routing/ospf", "/radius"]);
    write_state(&state, &st);
    let sim = start_sim(&["--state", state.to_str().unwrap()], &[]);
    let o = poll_port(sim.port, &["--device-id", "access-7"], None);
    let map = samples(&o);
    let entity = "access-7/ether1-S\u{FFFD}o";
    assert_eq!(num(&map, "interface.oper_up", entity), 1.0);
    let line = &map[&("interface.oper_up".to_owned(), entity.to_owned())];
    assert_eq!(line["labels"]["if_name"], "ether1-S\u{FFFD}o");
    assert_eq!(line["quality"], "uncertain");
    // Missing menus are warnings on stderr, not failures.
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 2, "{err}");
    assert!(err.lines().all(|l| l.contains("warning")), "{err}");
    // Without --device-id the (non-UTF-8) identity is used, lossily.
    let map = samples(&poll_port(sim.port, &[], None));
    assert_eq!(num(&map, "device.up", "sw-Z\u{FFFD}"), 1.0);
}
