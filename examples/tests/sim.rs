//! The real `ispvm-sim` binary: its first lines, its argument errors, and faults injected at run
//! time through its `--state` file (read back with the real `ispvm-poll`).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use ispvm_routeros::sim::SimState;
use serde_json::Value;

const POLL: &str = env!("CARGO_BIN_EXE_ispvm-poll");
const SIM: &str = env!("CARGO_BIN_EXE_ispvm-sim");

struct Sim(Child);

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(args: &[&str]) -> (Sim, u16) {
    let mut child = Command::new(SIM)
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim_end()
        .strip_prefix("listening on 127.0.0.1:")
        .unwrap_or_else(|| panic!("{line:?}"))
        .parse()
        .unwrap();
    (Sim(child), port)
}

fn run_sim(args: &[&str]) -> Output {
    Command::new(SIM)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// `(metric_name, entity_id) -> value_num` of one poll.
fn poll(port: u16) -> Vec<(String, String, f64)> {
    let o = Command::new(POLL)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--user", "admin", "--timeout", "3"])
        .env_remove("ISPVM_PASSWORD")
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["metric_name"].as_str().unwrap().to_owned(),
                v["entity_id"].as_str().unwrap().to_owned(),
                v["value_num"].as_f64().unwrap_or(f64::NAN),
            )
        })
        .collect()
}

fn get(samples: &[(String, String, f64)], metric: &str, entity: &str) -> Option<f64> {
    samples
        .iter()
        .find(|(m, e, _)| m == metric && e == entity)
        .map(|s| s.2)
}

fn write_state(path: &Path, st: &SimState) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(st).unwrap()).unwrap();
    std::fs::rename(tmp, path).unwrap();
}

#[test]
fn serves_a_believable_aggregation_router_by_default() {
    let (_sim, port) = start(&[]);
    let s = poll(port);
    assert_eq!(get(&s, "device.up", "agg1"), Some(1.0));
    let ifaces = s
        .iter()
        .filter(|(m, _, _)| m == "interface.oper_up")
        .count();
    assert!(ifaces >= 4, "{ifaces} interfaces");
    assert!(s.iter().any(|(m, _, _)| m == "bgp.peer.up"));
    assert!(s.iter().any(|(m, _, _)| m == "ospf.neighbor.up"));
    assert!(get(&s, "pppoe.sessions.active", "agg1").unwrap() > 0.0);
    assert!(s.iter().any(|(m, _, _)| m == "radius.requests_total"));
}

#[test]
fn faults_written_to_the_state_file_show_up_at_run_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agg.json");
    let mut st = SimState::aggregation("agg9");
    write_state(&path, &st);
    let (_sim, port) = start(&["--state", path.to_str().unwrap()]);
    let before = poll(port);
    assert_eq!(get(&before, "interface.oper_up", "agg9/ether1"), Some(1.0));
    assert_eq!(
        get(&before, "bgp.peer.up", "agg9/bgp/10.255.0.1"),
        Some(1.0)
    );
    assert_eq!(get(&before, "pppoe.sessions.active", "agg9"), Some(1200.0));

    st.interface_mut("ether1").unwrap().running = false;
    st.bgp_peer_mut("10.255.0.1").unwrap().established = false;
    st.pppoe.sessions = 17;
    st.radius[0].timeouts += 40;
    let timeouts = st.radius[0].timeouts as f64;
    write_state(&path, &st);
    let deadline = Instant::now() + Duration::from_secs(10);
    let after = loop {
        let s = poll(port);
        if get(&s, "pppoe.sessions.active", "agg9") == Some(17.0) {
            break s;
        }
        assert!(Instant::now() < deadline, "state file not reloaded");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(get(&after, "interface.oper_up", "agg9/ether1"), Some(0.0));
    assert_eq!(get(&after, "bgp.peer.up", "agg9/bgp/10.255.0.1"), Some(0.0));
    assert_eq!(
        get(&after, "radius.timeouts_total", "agg9/radius/10.0.0.10"),
        Some(timeouts)
    );

    // A broken file keeps the previous state.
    std::fs::write(&path, "{ not json").unwrap();
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(
        get(&poll(port), "pppoe.sessions.active", "agg9"),
        Some(17.0)
    );
}

#[test]
fn bad_arguments_and_files_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"identity": 5}"#).unwrap();
    let missing = dir.path().join("missing.json");
    for args in [
        vec!["--listen", "not-an-address"],
        vec!["--listen", "127.0.0.1:0", "--routeros-version", "seven"],
        vec!["--listen", "127.0.0.1:0", "--state", bad.to_str().unwrap()],
        vec![
            "--listen",
            "127.0.0.1:0",
            "--state",
            missing.to_str().unwrap(),
        ],
        vec!["--listen", "127.0.0.1:0", "--tls-listen", "127.0.0.1:0"],
        vec!["--listen", "127.0.0.1:0", "--user", "monitor"],
        vec![
            "--listen",
            "127.0.0.1:0",
            "--user",
            "monitor",
            "--password-env",
            "NOPE_UNSET_VAR_1",
        ],
    ] {
        let o = run_sim(&args);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(o.stdout.is_empty(), "{args:?}");
        assert!(!o.stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn port_in_use_is_an_error_not_a_hang() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let o = run_sim(&["--listen", &addr]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains(&addr),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
