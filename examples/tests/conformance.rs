//! Conformance of `ispvm-analyze` with the scenario contract (`docs/spec/scenario.md`).
//!
//! Runs the real binary on every scenario of `examples/scenarios/` and compares the whole output
//! with the committed `tests/conformance/<case>/expected.json` and `expected.txt`; runs it on every
//! file of `examples/scenarios/invalid/` and compares exit code 2, empty stdout and the exact
//! stderr with `tests/conformance/invalid/<case>/expected.stderr`.
//!
//! Regenerate with `ISPVM_BLESS=1 cargo test -p ispvm-examples --test conformance`, then review
//! every changed file by hand against the contract before committing it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_ispvm-analyze");

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bless() -> bool {
    std::env::var_os("ISPVM_BLESS").is_some_and(|v| v == "1")
}

/// `*.json` files directly inside `dir`, sorted, as (case name, path).
fn cases(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    out.sort();
    out
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// Compares `actual` with the file at `expected` (or writes it when blessing); returns a
/// description of the mismatch.
fn compare(expected: &Path, actual: &str) -> Option<String> {
    if bless() {
        std::fs::create_dir_all(expected.parent().unwrap()).unwrap();
        std::fs::write(expected, actual).unwrap();
        return None;
    }
    match std::fs::read_to_string(expected) {
        Ok(want) if want == actual => None,
        Ok(want) => Some(format!(
            "{} differs\n--- expected\n{want}\n--- actual\n{actual}",
            expected.display()
        )),
        Err(e) => Some(format!(
            "{}: {e} (bless with ISPVM_BLESS=1)",
            expected.display()
        )),
    }
}

#[test]
fn every_scenario_matches_its_committed_output() {
    let scenarios = cases(&manifest().join("scenarios"));
    assert!(scenarios.len() >= 8, "scenarios missing: {scenarios:?}");
    let mut failures = Vec::new();
    for (name, path) in &scenarios {
        let dir = manifest().join("tests/conformance").join(name);
        for (format, file) in [("json", "expected.json"), ("text", "expected.txt")] {
            let out = run(&["--format", format, path.to_str().unwrap()]);
            if out.status.code() != Some(0) || !out.stderr.is_empty() {
                failures.push(format!(
                    "{name} ({format}): exit {:?}, stderr {}",
                    out.status.code(),
                    text(&out.stderr)
                ));
                continue;
            }
            if let Some(f) = compare(&dir.join(file), &text(&out.stdout)) {
                failures.push(f);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_expected_json_is_a_valid_analysis_document() {
    let scenarios = cases(&manifest().join("scenarios"));
    for (name, _) in &scenarios {
        let path = manifest()
            .join("tests/conformance")
            .join(name)
            .join("expected.json");
        let Ok(s) = std::fs::read_to_string(&path) else {
            continue; // reported by the test above
        };
        let value: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(
            ispvm_schemas::validation::validate(
                ispvm_schemas::validation::DocumentKind::Analysis,
                &value
            ),
            Ok(()),
            "{name}"
        );
        let doc: ispvm_schemas::analysis::AnalysisDocument = serde_json::from_value(value).unwrap();
        // Contract invariants: rows sorted by id, explained_by sorted and only when suppressed,
        // impacted sorted, incidents sorted by opened_at.
        let ids: Vec<&str> = doc.entities.iter().map(|r| r.id.as_str()).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        assert_eq!(ids, sorted, "{name}");
        for r in &doc.entities {
            assert!(
                r.suppressed || r.explained_by.is_empty(),
                "{name}: {}",
                r.id
            );
            assert!(r.explained_by.is_sorted(), "{name}: {}", r.id);
        }
        for i in &doc.incidents {
            assert!(i.impacted.is_sorted(), "{name}: {}", i.id);
            for c in &i.root_causes {
                assert!(
                    c.confidence.get() > 0.0 && c.confidence.get() < 1.0,
                    "{name}: {}",
                    i.id
                );
                assert!(!c.evidence.is_empty(), "{name}: {}", i.id);
            }
        }
        assert!(
            doc.incidents.is_sorted_by_key(|i| i.opened_at),
            "{name}: incidents not sorted"
        );
    }
}

#[test]
fn every_invalid_file_exits_2_with_its_committed_message() {
    let invalid = cases(&manifest().join("scenarios/invalid"));
    assert!(invalid.len() >= 12, "invalid files missing: {invalid:?}");
    let mut failures = Vec::new();
    for (name, path) in &invalid {
        let out = run(&[path.to_str().unwrap()]);
        let stderr = text(&out.stderr);
        if out.status.code() != Some(2) || !out.stdout.is_empty() {
            failures.push(format!(
                "{name}: exit {:?}, stdout {:?}, stderr {stderr}",
                out.status.code(),
                text(&out.stdout)
            ));
            continue;
        }
        // One clear line naming the place.
        if stderr.lines().count() != 1 || !(stderr.contains(" at /") || stderr.contains("at line"))
        {
            failures.push(format!("{name}: unclear message {stderr:?}"));
        }
        if let Some(f) = compare(
            &manifest()
                .join("tests/conformance/invalid")
                .join(name)
                .join("expected.stderr"),
            &stderr,
        ) {
            failures.push(f);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
