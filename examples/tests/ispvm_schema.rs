//! Runs the real `ispvm-schema` binary and checks its exact outputs and exit codes, and keeps
//! `docs/collected-data.md` in sync with the registry
//! (regenerate with `ISPVM_BLESS=1 cargo test -p ispvm-examples --test ispvm_schema`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_ispvm-schema");

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn example(name: &str) -> String {
    root()
        .join("ispvm-schemas/schemas/v1/examples")
        .join(name)
        .display()
        .to_string()
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn run_stdin(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// Asserts exit code, stdout and stderr exactly.
fn check(out: &Output, code: i32, stdout: &str, stderr: &str) {
    assert_eq!(
        (
            out.status.code(),
            text(&out.stdout).as_str(),
            text(&out.stderr).as_str()
        ),
        (Some(code), stdout, stderr)
    );
}

#[test]
fn registry_markdown_and_json() {
    let out = run(&["registry"]);
    check(&out, 0, &ispvm_schemas::registry::to_markdown(), "");
    let md = text(&out.stdout);
    assert!(md.starts_with(
        "| name | kind | unit | entity type | labels | Prometheus name | since | description |\n|---|---|---|---|---|---|---|---|\n| `device.up` | state | `bool` | device |  | `ispvm_device_up` | 1.0 | "
    ));
    assert_eq!(md.lines().count(), 2 + 33);

    let out = run(&["registry", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 33);
    assert_eq!(json[0]["name"], "device.up");
    assert_eq!(json[0]["kind"], "state");

    let out = run(&["registry", "--format", "yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("invalid value 'yaml' for '--format <FORMAT>'"));
}

#[test]
fn show_prints_the_committed_schema() {
    for (kind, file) in [
        ("scenario", "scenario.json"),
        ("analysis", "analysis.json"),
        ("ingest-batch", "ingest-batch.json"),
        ("metric-sample", "metric-sample.json"),
        ("event", "event.json"),
    ] {
        let committed =
            std::fs::read_to_string(root().join("ispvm-schemas/schemas/v1").join(file)).unwrap();
        check(&run(&["show", kind]), 0, &committed, "");
    }
    let out = run(&["show", "graph"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("invalid value 'graph'"));
}

#[test]
fn validate_accepts_the_examples() {
    for (file, kind) in [
        ("scenario.json", "scenario"),
        ("analysis.json", "analysis"),
        ("ingest-batch.json", "ingest-batch"),
        ("metric-sample.json", "metric-sample"),
        ("event.json", "event"),
    ] {
        let path = example(file);
        check(
            &run(&["validate", &path]),
            0,
            &format!("{path}: valid {kind}\n"),
            "",
        );
    }
    let scenario = std::fs::read_to_string(example("scenario.json")).unwrap();
    check(
        &run_stdin(&["validate", "-"], &scenario),
        0,
        "-: valid scenario\n",
        "",
    );
    check(
        &run_stdin(&["validate", "--kind", "scenario", "-"], &scenario),
        0,
        "-: valid scenario\n",
        "",
    );
}

#[test]
fn validate_reports_schema_faults_with_pointers() {
    let doc = r#"{"schema":"ispvm.scenario/v1","tenant":"t",
        "entities":[{"id":"a","kind":"device"},{"id":"b","kind":"router"}],
        "observations":[{"at":"yesterday","entity":"a","signal":"link","state":"up"}]}"#;
    let out = run_stdin(&["validate", "-"], doc);
    check(
        &out,
        2,
        "",
        "/entities/1/kind: \"router\" is not valid under any of the schemas listed in the 'oneOf' keyword\n\
         /observations/0/at: \"yesterday\" is not a \"date-time\"\n",
    );
}

#[test]
fn validate_reports_what_only_the_reader_checks() {
    // The contract's example names entities it does not declare.
    check(
        &run(&["validate", &example("scenario-contract.json")]),
        2,
        "",
        "/maintenance/0/entities/0: maintenance names unknown entity agg2\n",
    );
    // A window that ends before it starts (the schema cannot say so).
    let doc = r#"{"schema":"ispvm.scenario/v1","tenant":"t","entities":[{"id":"a","kind":"device"}],
        "maintenance":[{"entities":["a"],"start":"2026-01-01T02:00:00Z","end":"2026-01-01T01:00:00Z"}]}"#;
    check(
        &run_stdin(&["validate", "-"], doc),
        2,
        "",
        "/maintenance/0: maintenance window ends (2026-01-01 01:00:00 UTC) before or when it starts (2026-01-01 02:00:00 UTC)\n",
    );
    // A cycle.
    let doc = r#"{"schema":"ispvm.scenario/v1","tenant":"t","entities":[{"id":"a","kind":"device"},{"id":"b","kind":"device"}],
        "dependencies":[{"dependent":"a","mode":"all","members":["b"]},{"dependent":"b","mode":"all","members":["a"]}]}"#;
    check(
        &run_stdin(&["validate", "-"], doc),
        2,
        "",
        "/dependencies: dependency cycle: a -> b -> a\n",
    );
    // An unknown major.
    let doc = r#"{"schema":"ispvm.scenario/v2","tenant":"t","entities":[]}"#;
    check(
        &run_stdin(&["validate", "-"], doc),
        2,
        "",
        "/schema: unsupported major version v2: this reader supports major 1 only\n",
    );
    let doc = r#"{"schema":"ispvm.scenario/v1.1","tenant":"t","entities":[]}"#;
    check(
        &run_stdin(&["validate", "-"], doc),
        2,
        "",
        "/schema: version 1.1 is newer than this reader (1.0); it accepts 1.0 to 1.0: upgrade the reader\n",
    );
    let batch = r#"{"schema_version":"2.0","sent_at":"2026-01-01T00:00:00Z","agent":{"id":"a","name":"b","version":"c"}}"#;
    let out = run_stdin(&["validate", "--kind", "ingest-batch", "-"], batch);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "/schema_version: unsupported major version 2.0: this reader supports major 1 only\n"
    );
}

#[test]
fn validate_checks_samples_against_the_registry() {
    let batch = std::fs::read_to_string(example("ingest-batch.json"))
        .unwrap()
        .replace(r#""unit": "%""#, r#""unit": "percent""#)
        .replace(
            r#""metric_name": "bgp.peer.up""#,
            r#""metric_name": "bgp.peer.upp""#,
        );
    check(
        &run_stdin(&["validate", "-"], &batch),
        2,
        "",
        "/metrics/1: device.cpu_pct has unit \"percent\", the registry says \"%\"\n\
         /metrics/3: unknown name \"bgp.peer.upp\"\n",
    );
    let sample = r#"{"ts":"2026-01-01T00:00:00Z","metric_name":"device.cpu_pct","entity_type":"device","entity_id":"agg1","value_num":17.0,"unit":"%","labels":{"core":"0"},"source":"routeros_api"}"#;
    check(
        &run_stdin(&["validate", "-"], sample),
        2,
        "",
        "(root): device.cpu_pct does not allow label \"core\" (allowed: [])\n",
    );
}

#[test]
fn validate_refuses_unreadable_and_unknown_input() {
    check(
        &run(&["validate", "/nonexistent/file.json"]),
        2,
        "",
        "(root): cannot read /nonexistent/file.json: No such file or directory (os error 2)\n",
    );
    check(
        &run_stdin(&["validate", "-"], "{\"a\":"),
        2,
        "",
        "(root): not JSON (line 1, column 5): EOF while parsing a value at line 1 column 5\n",
    );
    check(
        &run_stdin(&["validate", "-"], "{\"a\": 1}"),
        2,
        "",
        "(root): cannot tell the document kind (no schema, schema_version, metric_name or event_type field); use --kind\n",
    );
    let out = run(&["validate"]);
    assert_eq!(out.status.code(), Some(2));
}

const COLLECTED_DATA_INTRO: &str = "# Collected data\n\n\
This is every metric and event name an ispvm collector may emit: the registry of\n\
`ispvm-schemas` (`ispvm_schemas::registry::REGISTRY`). Adapters must use these names, units,\n\
entity types and labels; `ispvm_schemas::conformance::check_samples` checks it (see\n\
[writing-an-adapter.md](writing-an-adapter.md)).\n\n\
- Units are UCUM strings (`By` bytes, `s` seconds, `ms` milliseconds, `%` percent, `1` a count,\n  \
`1/min` per minute), except `bool` for states: 1 means up/true, 0 down/false.\n\
- A sample may carry any subset of its labels, and no other label.\n\
- Entity ids: a device is `DEV`; an interface `DEV/IFNAME`; a BGP session\n  \
`DEV/bgp/REMOTE-ADDRESS`; an OSPF adjacency `DEV/ospf/ROUTER-ID`; a router's RADIUS client entry\n  \
`DEV/radius/SERVER-ADDRESS`; a RADIUS server probed directly uses its configured entity id.\n\
- Counters end in `_total`; in Prometheus/OpenMetrics every name is prefixed with `ispvm_` and\n  \
its dots become underscores (events are not exported as metrics).\n\
- `since` is the schema version that added the name (see\n  \
[schema-versioning.md](schema-versioning.md)).\n\n\
This file is generated by `ispvm-schema registry`; regenerate it with\n\
`ISPVM_BLESS=1 cargo test -p ispvm-examples --test ispvm_schema`.\n\n";

#[test]
fn collected_data_doc_is_in_sync_with_the_registry() {
    let out = run(&["registry"]);
    assert_eq!(out.status.code(), Some(0));
    let expected = format!("{COLLECTED_DATA_INTRO}{}", text(&out.stdout));
    let path = root().join("docs/collected-data.md");
    if std::env::var_os("ISPVM_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &expected).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == expected,
        "docs/collected-data.md is out of date; regenerate it with \
         ISPVM_BLESS=1 cargo test -p ispvm-examples --test ispvm_schema"
    );
}
