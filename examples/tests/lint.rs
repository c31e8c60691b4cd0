//! `ispvm-schema lint` on real files: every shipped scenario (`examples/scenarios/*.json`) has no
//! error and prints exactly the findings committed beside it (`*.lint.txt`); a faulty topology
//! (`tests/lint/faulty.json`) shows one finding of every code and exits 2; the JSON format is the
//! documented `ispvm.lint/v1` document. Regenerate the expected files with
//! `ISPVM_BLESS=1 cargo test -p ispvm-examples --test lint`, then review the diff.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_ispvm-schema");

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn bless() -> bool {
    std::env::var_os("ISPVM_BLESS").is_some_and(|v| v == "1")
}

fn lint(args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("lint")
        .args(args)
        .current_dir(root().join(".."))
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

/// Compares stdout with `expected` (or rewrites it when blessing).
fn compare(file: &Path, stdout: &str) {
    let expected = file.with_extension("lint.txt");
    if bless() {
        std::fs::write(&expected, stdout).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&expected)
        .unwrap_or_else(|e| panic!("{}: {e} (bless with ISPVM_BLESS=1)", expected.display()));
    assert_eq!(stdout, want, "{}", file.display());
}

fn scenarios() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn shipped_scenarios_have_no_error_and_the_committed_findings() {
    let files = scenarios();
    assert!(files.len() >= 9, "{files:?}");
    for file in files {
        let rel = format!(
            "examples/scenarios/{}",
            file.file_name().unwrap().to_str().unwrap()
        );
        let out = lint(&[&rel]);
        let stdout = text(&out.stdout);
        let stderr = text(&out.stderr);
        assert!(
            !stdout.lines().any(|l| l.starts_with("error ")),
            "{rel} has errors:\n{stdout}"
        );
        let warnings = stdout.lines().filter(|l| l.starts_with("warning ")).count();
        let hints = stdout.lines().filter(|l| l.starts_with("hint ")).count();
        assert_eq!(warnings + hints, stdout.lines().count(), "{stdout}");
        assert_eq!(
            out.status.code(),
            Some(if warnings > 0 { 1 } else { 0 }),
            "{rel}"
        );
        assert_eq!(
            stderr,
            format!("{rel}: 0 error(s), {warnings} warning(s), {hints} hint(s)\n")
        );
        compare(&file, &stdout);
    }
}

#[test]
fn a_faulty_topology_shows_every_code_and_exits_2() {
    let file = root().join("tests/lint/faulty.json");
    let out = lint(&["examples/tests/lint/faulty.json"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    compare(&file, &stdout);
    let mut codes: Vec<&str> = stdout
        .lines()
        .map(|l| l.split(' ').nth(1).unwrap())
        .collect();
    codes.dedup();
    assert_eq!(
        codes,
        [
            "L001", "L002", "L003", "L004", "L005", "L101", "L102", "L103", "L201", "L202", "L301",
            "L302", "L401", "L501"
        ]
    );
}

#[test]
fn options_change_the_findings() {
    // Declared aliases silence the grammar findings of the BGP sessions.
    let out = lint(&[
        "--alias",
        "edge1/bgp/transit-a",
        "--alias",
        "edge2/bgp/transit-b",
        "--alias",
        "edge2/bgp/transit-c",
        "examples/scenarios/kofn-upstream.json",
    ]);
    let stdout = text(&out.stdout);
    assert!(!stdout.contains("L101"), "{stdout}");
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    // A tighter maintenance limit reports the 4-hour window of the faulty file.
    let out = lint(&[
        "--max-maintenance-hours",
        "3",
        "examples/tests/lint/faulty.json",
    ]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("warning L401 maintenance #0: lasts 4h, longer than the limit of 3h;"),
        "{stdout}"
    );
    // Bad options and unreadable input exit 2 with one line on stderr.
    let out = lint(&[
        "--max-maintenance-hours",
        "0",
        "examples/tests/lint/faulty.json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "examples/tests/lint/faulty.json: --max-maintenance-hours 0: give 1 to 8784 hours\n"
    );
    let out = lint(&["examples/scenarios/invalid/not-json.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).is_empty());
    assert!(
        text(&out.stderr).starts_with(
            "examples/scenarios/invalid/not-json.json: not a scenario document (line "
        ),
        "{}",
        text(&out.stderr)
    );
    let out = lint(&["no/such/file.json"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn json_format_is_the_documented_document() {
    let out = lint(&["--format", "json", "examples/tests/lint/faulty.json"]);
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schema"], "ispvm.lint/v1");
    assert_eq!(doc["file"], "examples/tests/lint/faulty.json");
    assert_eq!(doc["tenant"], "valley-net");
    assert_eq!(
        doc["summary"],
        serde_json::json!({"errors": 7, "warnings": 10, "hints": 1, "exit": 2})
    );
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 18);
    assert_eq!(
        findings[0],
        serde_json::json!({
            "severity": "error",
            "code": "L001",
            "subject": "acc1",
            "message": "entities #4 and #5 share this id",
            "fix": "give each entity its own id, or remove the repeat"
        })
    );
    // The text lines and the JSON findings are the same findings in the same order.
    let text_out = text(&lint(&["examples/tests/lint/faulty.json"]).stdout);
    for (line, f) in text_out.lines().zip(findings) {
        assert_eq!(
            line,
            format!(
                "{} {} {}: {}; fix: {}",
                f["severity"].as_str().unwrap(),
                f["code"].as_str().unwrap(),
                f["subject"].as_str().unwrap(),
                f["message"].as_str().unwrap(),
                f["fix"].as_str().unwrap()
            )
        );
    }
}
