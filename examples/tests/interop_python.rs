//! Interoperability: the real `ispvm-sim` binary driven by RouterOS clients nobody on this
//! project wrote (`librouteros` 4.x and `RouterOS-api` from PyPI), through
//! `scripts/interop/routeros_clients.py`: logins (plain and MD5), print with `.proplist` and
//! queries, `=count-only=`, tags, `!empty` (7.18+ only), two traps then `!done`, `!fatal`, TLS.
//!
//! When `python3` or the packages are missing the test fails if `CI=true` and otherwise
//! prints why and passes (`scripts/install-test-deps` installs them).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

const SIM: &str = env!("CARGO_BIN_EXE_ispvm-sim");
/// The script's exit code for "a client package is missing".
const MISSING: i32 = 77;

struct Sim(Child);

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/interop/routeros_clients.py")
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Returns false (after failing in CI) when python3 or the client packages are missing.
fn python_ready() -> bool {
    let probe = Command::new("python3")
        .args(["-c", "import librouteros, routeros_api"])
        .output();
    let why = match probe {
        Err(e) => format!("python3 not runnable: {e}"),
        Ok(o) if o.status.success() => return true,
        Ok(o) => format!(
            "python packages missing ({}); run scripts/install-test-deps",
            String::from_utf8_lossy(&o.stderr).trim()
        ),
    };
    assert!(!in_ci(), "interop test cannot run under CI=true: {why}");
    eprintln!("skipping the python interoperability test: {why}");
    false
}

/// Starts `ispvm-sim`; returns it with its plain and (when asked) TLS port.
fn start(version: &str, tls: Option<(&str, &str)>) -> (Sim, u16, Option<u16>) {
    let mut cmd = Command::new(SIM);
    cmd.args(["--listen", "127.0.0.1:0", "--routeros-version", version])
        .args(["--user", "monitor", "--password-env", "SIM_PW"])
        .env("SIM_PW", "interop-pw")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some((cert, key)) = tls {
        cmd.args(["--tls-listen", "127.0.0.1:0", "--cert", cert, "--key", key]);
    }
    let mut child = cmd.spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut port = || {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        line.trim_end()
            .rsplit(':')
            .next()
            .unwrap()
            .parse::<u16>()
            .unwrap()
    };
    let plain = port();
    let tls_port = tls.map(|_| port());
    (Sim(child), plain, tls_port)
}

fn run_script(version: &str, port: u16, tls: Option<(u16, &str)>) {
    let mut cmd = Command::new("python3");
    cmd.arg(script())
        .args(["--port", &port.to_string(), "--version", version])
        .args(["--user", "monitor", "--password-env", "SIM_PW"])
        .env("SIM_PW", "interop-pw");
    if let Some((tls_port, ca)) = tls {
        cmd.args(["--tls-port", &tls_port.to_string(), "--ca", ca]);
    }
    let o = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    let stderr = String::from_utf8_lossy(&o.stderr);
    if o.status.code() == Some(MISSING) {
        assert!(!in_ci(), "{stdout}");
        eprintln!("skipping: {stdout}");
        return;
    }
    assert!(
        o.status.success(),
        "{version}: exit {:?}\n{stdout}\n{stderr}",
        o.status.code()
    );
    assert!(stdout.contains(" 0 failed"), "{stdout}");
    eprint!("{stdout}");
}

#[test]
fn python_clients_accept_the_v7_18_simulator_over_tcp_and_tls() {
    if !python_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ck =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.key_pair.serialize_pem()).unwrap();
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let (_sim, port, tls_port) = start("7.18.2", Some((cert, key)));
    run_script("7.18.2", port, tls_port.map(|p| (p, cert)));
}

#[test]
fn python_clients_accept_v6_simulators_plain_and_md5_login() {
    if !python_ready() {
        return;
    }
    for version in ["7.10", "6.49.10", "6.42"] {
        let (_sim, port, _) = start(version, None);
        run_script(version, port, None);
    }
}
