//! Headless Chromium for the tests that render reports (ispvm-report's, and the demo's,
//! which includes this file by path): Debian package `chromium` (`/usr/bin/chromium`) or the
//! binary named by `ISPVM_CHROMIUM`, started with the flags this sandboxed, offline machine
//! needs and killed after a minute.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one Chromium run may take.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// The Chromium binary, or `None` after printing why the browser check is skipped. Under
/// `CI=true` a missing Chromium fails the test instead.
pub fn find() -> Option<PathBuf> {
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
        "skipping the browser check: {} not found (apt-get install -y chromium)",
        candidate.display()
    );
    None
}

/// Runs Chromium headless on `page` with `extra` arguments, its standard output to `stdout`,
/// a fresh profile under `dir`. Fails the test on a timeout or a non-zero exit.
pub fn run(binary: &Path, dir: &Path, page: &Path, extra: &[String], stdout: &Path) {
    let profile = tempfile::tempdir_in(dir).unwrap();
    let stderr_path = dir.join("chromium-stderr.txt");
    let mut child = Command::new(binary)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(File::create(stdout).unwrap())
        .stderr(File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    assert!(status.success(), "chromium failed with {status}:\n{stderr}");
}

/// The DOM of `page` after load (`--dump-dom`).
pub fn dump_dom(binary: &Path, dir: &Path, page: &Path) -> String {
    let dom_file = dir.join("dom.html");
    run(binary, dir, page, &["--dump-dom".to_string()], &dom_file);
    std::fs::read_to_string(&dom_file).unwrap()
}
