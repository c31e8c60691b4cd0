//! `ispvm-analyze` beyond the conformance files: standard input, `--at`, bad arguments, and the
//! subscriber rule the binary uses: ispvm-pppoe's `RobustImpact` with its sparse fallback, which
//! follows every case of the contract's "Subscribers" section (as ispvm-rca's
//! `ContractSessionRule` does) and parts from that plain rule only where the contract is silent.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use ispvm_model::SubscriberImpact;
use ispvm_pppoe::impact::{ImpactConfig, RobustImpact};
use ispvm_rca::{ContractSessionRule, Engine, EngineConfig};
use ispvm_schemas::analysis::AnalysisDocument;
use ispvm_schemas::scenario::ScenarioDocument;

const BIN: &str = env!("CARGO_BIN_EXE_ispvm-analyze");

fn scenario_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

#[test]
fn stdin_gives_the_same_output_as_the_file() {
    let path = scenario_path("dual-uplink-both-down.json");
    let from_file = run(&[path.to_str().unwrap()]);
    let from_stdin = run_stdin(&["-"], &std::fs::read(&path).unwrap());
    assert_eq!(from_file.status.code(), Some(0));
    assert_eq!(from_stdin.status.code(), Some(0));
    assert_eq!(text(&from_file.stdout), text(&from_stdin.stdout));
}

#[test]
fn at_evaluates_an_earlier_instant() {
    let path = scenario_path("dual-uplink-both-down.json");
    let out = run(&["--at", "2026-01-01T00:10:30Z", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: AnalysisDocument = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc.evaluated_at.to_rfc3339(), "2026-01-01T00:10:30+00:00");
    // Only agg1 is down then: acc1 keeps agg2, nothing is suppressed.
    assert!(doc.entities.iter().all(|r| !r.suppressed));
    assert_eq!(doc.incidents.len(), 1);
    assert_eq!(
        doc.incidents[0].summary,
        "agg1 down; no impact (redundant via agg2)"
    );
}

#[test]
fn bad_arguments_and_inputs_exit_2_with_one_line() {
    let path = scenario_path("dual-uplink-both-down.json");
    let cases: Vec<(Output, &str)> = vec![
        (
            run(&["--at", "yesterday", path.to_str().unwrap()]),
            "ispvm-analyze: --at \"yesterday\" is not an RFC 3339 timestamp: premature end of input\n",
        ),
        (
            run_stdin(&["-"], b""),
            "ispvm-analyze: invalid JSON at line 1, column 0: EOF while parsing a value\n",
        ),
        (
            run_stdin(&["-"], b"[1, 2]"),
            "ispvm-analyze: invalid scenario at /: [1,2] is not of type \"object\"\n",
        ),
        (
            run_stdin(
                &["-"],
                br#"{"schema":"ispvm.scenario/v1","tenant":"t","entities":[{"id":"a","kind":"device"}],"dependencies":[],"observations":[]}"#,
            ),
            "ispvm-analyze: invalid scenario at /observations: no observation to take the evaluation time from; pass --at\n",
        ),
    ];
    for (out, want) in cases {
        assert_eq!(out.status.code(), Some(2));
        assert!(out.stdout.is_empty());
        assert_eq!(text(&out.stderr), want);
    }
    let missing = run(&["/nonexistent/scenario.json"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing.stderr)
            .starts_with("ispvm-analyze: cannot read /nonexistent/scenario.json: ")
    );
}

#[test]
fn errors_never_echo_a_huge_value_whole() {
    let x80 = "x".repeat(80);
    let huge = "x".repeat(1 << 20);
    let out = run_stdin(
        &["-"],
        format!(
            r#"{{"schema":"ispvm.scenario/v1","tenant":"t","entities":[{{"id":"{huge}","kind":"device"}}]}}"#
        )
        .as_bytes(),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.len() < 200, "{} bytes", err.len());
    assert_eq!(
        err,
        format!(
            "ispvm-analyze: invalid scenario at /entities/0/id: \"{x80}…\" is longer than 256 characters\n"
        )
    );
    // An id within the limit (256 bytes) is still cut where an error quotes it.
    let long = "y".repeat(256);
    let out = run_stdin(
        &["-"],
        format!(
            r#"{{"schema":"ispvm.scenario/v1","tenant":"t","entities":[{{"id":"a","kind":"device"}}],
                "dependencies":[{{"dependent":"a","mode":"all","members":["{long}"]}}]}}"#
        )
        .as_bytes(),
    );
    assert_eq!(out.status.code(), Some(2));
    let y80 = "y".repeat(80);
    assert_eq!(
        text(&out.stderr),
        format!(
            "ispvm-analyze: invalid scenario at /dependencies/0/members: dependency #0 (a needs all of [{}…): unknown member {y80}…\n",
            "y".repeat(72)
        )
    );
}

#[test]
fn a_scenario_without_observations_is_analysed_at_the_given_instant() {
    let out = run_stdin(
        &["--at", "2026-01-01T00:00:00Z", "--format", "text", "-"],
        br#"{"schema":"ispvm.scenario/v1","tenant":"t","entities":[{"id":"a","kind":"device"}],"dependencies":[],"observations":[]}"#,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with(
        "ispvm analysis of t at 2026-01-01T00:00:00Z\n1 entities, 0 incident(s), 0 suppressed\n"
    ));
}

/// The analysis of a scenario file with a given subscriber rule, as the binary computes it.
fn analyse(json: &str, impact: Arc<dyn SubscriberImpact>) -> AnalysisDocument {
    let doc: ScenarioDocument = serde_json::from_str(json).unwrap();
    let s = doc.into_scenario().unwrap();
    let at = s.latest_observation_time().unwrap();
    let mut e = Engine::new(
        s.topology,
        EngineConfig::builder().subscriber_impact(impact).build(),
    );
    e.set_maintenance(&s.maintenance).unwrap();
    e.observe_batch(&s.observations).unwrap();
    e.evaluate(at).to_document()
}

/// The rule `ispvm-analyze` uses: ispvm-pppoe's robust model with the sparse fallback.
fn robust() -> Arc<dyn SubscriberImpact> {
    Arc::new(RobustImpact::new(
        ImpactConfig::default().with_sparse_fallback(true),
    ))
}

/// A scenario with one concentrator `bras1`: session readings `(minutes, value)` and, at the
/// last reading's time, a reachability state.
fn one_bras(readings: &[(i64, f64)], state: &str) -> String {
    let t0: chrono::DateTime<chrono::Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
    let at = |m: i64| (t0 + chrono::Duration::minutes(m)).to_rfc3339();
    let mut obs: Vec<serde_json::Value> = readings
        .iter()
        .map(|&(m, v)| {
            serde_json::json!({"at": at(m), "entity": "bras1",
                "metric": "pppoe.sessions.active", "value": v})
        })
        .collect();
    let last = readings.last().map_or(0, |r| r.0);
    obs.push(serde_json::json!({"at": at(last), "entity": "bras1",
        "signal": "reachability", "state": state}));
    serde_json::json!({"schema": "ispvm.scenario/v1", "tenant": "t",
        "entities": [{"id": "bras1", "kind": "pppoe_concentrator"}],
        "dependencies": [], "observations": obs})
    .to_string()
}

/// `(status of bras1, subscribers affected, summaries)` of an analysis.
type Outcome = (String, u64, Vec<String>);

/// The [`Outcome`] of an analysis.
fn outcome(doc: &AnalysisDocument) -> Outcome {
    let status = serde_json::to_value(doc.entities[0].status).unwrap();
    (
        status.as_str().unwrap().to_string(),
        doc.incidents.iter().map(|i| i.subscribers_affected).sum(),
        doc.incidents.iter().map(|i| i.summary.clone()).collect(),
    )
}

/// The binary's analysis of `json`, checked to be the robust rule's.
fn binary(json: &str) -> AnalysisDocument {
    let out = run_stdin(&["-"], json.as_bytes());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: AnalysisDocument = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc, analyse(json, robust()));
    doc
}

fn o(status: &str, affected: u64, summaries: &[&str]) -> Outcome {
    (
        status.to_string(),
        affected,
        summaries.iter().map(|s| (*s).to_string()).collect(),
    )
}

/// `ispvm-analyze` follows every case the contract's "Subscribers" section spells out, with
/// ispvm-pppoe's robust model, exactly as the contract rule of ispvm-rca does.
#[test]
fn the_binary_follows_the_contract_subscriber_cases_with_robust_impact() {
    let cases: Vec<(String, Outcome)> = vec![
        // Stays up, 3200 -> 50: 3150.
        (
            one_bras(&[(0, 3200.0), (5, 3200.0), (10, 50.0)], "up"),
            o(
                "degraded",
                3150,
                &["bras1 sessions dropped 3200 -> 50; 3150 subscribers affected"],
            ),
        ),
        // The same with readings three hours apart (the sparse fallback).
        (
            one_bras(&[(0, 3200.0), (180, 50.0)], "up"),
            o(
                "degraded",
                3150,
                &["bras1 sessions dropped 3200 -> 50; 3150 subscribers affected"],
            ),
        ),
        // Down: its last known count.
        (
            one_bras(&[(0, 3200.0), (5, 3180.0)], "down"),
            o("down", 3180, &["bras1 down; 3180 subscribers affected"]),
        ),
        // Down right after its count fell: the baseline.
        (
            one_bras(&[(0, 3200.0), (5, 3200.0), (9, 40.0)], "down"),
            o("down", 3200, &["bras1 down; 3200 subscribers affected"]),
        ),
        // Down, last reading hours before: still its last known count.
        (
            one_bras(&[(0, 3200.0), (300, 3150.0)], "down"),
            o("down", 3150, &["bras1 down; 3150 subscribers affected"]),
        ),
        // A dip under 10%: nothing.
        (
            one_bras(&[(0, 3200.0), (5, 3200.0), (10, 2900.0)], "up"),
            o("up", 0, &[]),
        ),
        // Exactly 10%: significant.
        (
            one_bras(&[(0, 1000.0), (5, 900.0)], "up"),
            o(
                "degraded",
                100,
                &["bras1 sessions dropped 1000 -> 900; 100 subscribers affected"],
            ),
        ),
    ];
    for (json, want) in cases {
        let doc = binary(&json);
        assert_eq!(outcome(&doc), want, "{json}");
        assert_eq!(
            outcome(&analyse(&json, Arc::new(ContractSessionRule::default()))),
            want,
            "{json}"
        );
    }
}

/// ispvm-pppoe's `RobustImpact` (sparse fallback on) gives the same analysis as ispvm-rca's
/// `ContractSessionRule` on every shipped scenario (the conformance files did not change when
/// the binary switched to it).
#[test]
fn robust_impact_agrees_with_the_contract_rule_on_the_shipped_scenarios() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let json = std::fs::read_to_string(&p).unwrap();
        let contract = analyse(&json, Arc::new(ContractSessionRule::default()));
        assert_eq!(contract, analyse(&json, robust()), "{}", p.display());
        n += 1;
    }
    assert!(n >= 8);
}

/// Where the two rules part, outside the cases the contract spells out: the binary's answers
/// (robust) next to the plain median-of-everything rule's.
#[test]
fn where_robust_impact_and_the_contract_rule_differ() {
    let contract = |json: &str| outcome(&analyse(json, Arc::new(ContractSessionRule::default())));
    let dropped = |b: u64, c: u64, n: u64| {
        format!("bras1 sessions dropped {b} -> {c}; {n} subscribers affected")
    };
    // Without the fallback, sparse readings have no baseline at all.
    let sparse = one_bras(&[(0, 3200.0), (180, 50.0)], "up");
    assert_eq!(
        outcome(&analyse(&sparse, Arc::new(RobustImpact::default()))),
        o("up", 0, &[])
    );
    // A drop that lasts: after about an hour the robust baseline (median over 2 h) takes 50 as
    // the new normal; the plain rule keeps 3200 while older readings outnumber newer ones.
    let lasting: Vec<(i64, f64)> = (0..=24)
        .map(|i| (i * 5, 3200.0))
        .chain((25..=42).map(|i| (i * 5, 50.0)))
        .collect();
    let json = one_bras(&lasting, "up");
    assert_eq!(outcome(&binary(&json)), o("up", 0, &[]));
    assert_eq!(
        contract(&json),
        o("degraded", 3150, &[&dropped(3200, 50, 3150)])
    );
    // The other way round: 30 minutes at 3200 then 38 at 50 (one reading a minute). The
    // plain rule's median is already 50; the robust one leaves the last 10 minutes out.
    let dense: Vec<(i64, f64)> = (0..30)
        .map(|m| (m, 3200.0))
        .chain((30..68).map(|m| (m, 50.0)))
        .collect();
    let json = one_bras(&dense, "up");
    assert_eq!(
        outcome(&binary(&json)),
        o("degraded", 3150, &[&dropped(3200, 50, 3150)])
    );
    assert_eq!(contract(&json), o("up", 0, &[]));
    // A negative reading (a broken device): ignored by the robust rule, 0 for the plain one.
    let json = one_bras(&[(0, 3200.0), (5, 3200.0), (10, -1.0)], "up");
    assert_eq!(outcome(&binary(&json)), o("up", 0, &[]));
    assert_eq!(
        contract(&json),
        o("degraded", 3200, &[&dropped(3200, 0, 3200)])
    );
    // A median between two counts: the robust rule rounds half up, the plain one down.
    let json = one_bras(&[(0, 3199.0), (5, 3200.0), (10, 2879.0)], "up");
    assert_eq!(
        outcome(&binary(&json)),
        o("degraded", 321, &[&dropped(3200, 2879, 321)])
    );
    assert_eq!(
        contract(&json),
        o("degraded", 320, &[&dropped(3199, 2879, 320)])
    );
}

#[test]
fn logs_go_to_stderr_and_never_change_the_output() {
    let path = scenario_path("dual-uplink-both-down.json");
    let quiet = run(&[path.to_str().unwrap()]);
    let loud = Command::new(BIN)
        .arg(&path)
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    assert_eq!(quiet.status.code(), Some(0));
    assert_eq!(loud.status.code(), Some(0));
    assert_eq!(text(&quiet.stdout), text(&loud.stdout));
    assert!(quiet.stderr.is_empty(), "{}", text(&quiet.stderr));
}
