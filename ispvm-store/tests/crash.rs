//! Crash safety of the embedded database: a writer process acknowledges evaluations one by one
//! and is killed with SIGKILL mid-write; every acknowledged evaluation must be in the reopened
//! file, and `PRAGMA integrity_check` must answer `ok`.
//!
//! The writer is this same test binary, started again with `ISPVM_STORE_CRASH_WRITER` naming
//! the data directory.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{analysis, incident, tenant};
use ispvm_model::CauseRole;
use ispvm_store::{StateFilter, Store};

const WRITER_ENV: &str = "ISPVM_STORE_CRASH_WRITER";

fn evaluation(i: u32) -> ispvm_schemas::analysis::AnalysisDocument {
    let ten = tenant("crash-isp");
    let at = chrono::DateTime::from_timestamp(1_773_500_000 + i64::from(i) * 10, 0)
        .unwrap()
        .to_rfc3339();
    // Every evaluation opens incident i and closes incident i-1.
    let inc = incident(
        &format!("inc-{i}"),
        &at,
        &[("agg1", CauseRole::Primary)],
        &["acc1"],
        7,
    );
    analysis(&ten, &at, vec![inc])
}

/// The child: writes until killed, printing `ACK <i>` after each committed evaluation.
fn writer(dir: &str) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = Store::open_data_dir(dir).await.unwrap();
        let ten = tenant("crash-isp");
        for i in 0.. {
            store.apply_analysis(&ten, &evaluation(i)).await.unwrap();
            store
                .record_audit(
                    &ten,
                    chrono::Utc::now(),
                    "crash-test",
                    "ack",
                    &i.to_string(),
                    serde_json::json!({}),
                )
                .await
                .unwrap();
            println!("ACK {i}");
        }
    });
}

/// The acknowledged number on a line (libtest may print its own text before it on the line).
fn ack(line: &str) -> Option<u32> {
    let at = line.find("ACK ")?;
    line[at + 4..].trim().parse().ok()
}

#[test]
fn acknowledged_writes_survive_kill_9() {
    if let Ok(dir) = std::env::var(WRITER_ENV) {
        writer(&dir);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "acknowledged_writes_survive_kill_9",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(WRITER_ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut acked: Vec<u32> = Vec::new();
    while acked.len() < 40 {
        let Some(line) = lines.next() else { break };
        if let Some(n) = ack(&line.unwrap()) {
            acked.push(n);
        }
    }
    assert_eq!(acked.len(), 40, "the writer stopped early");
    child.kill().unwrap(); // SIGKILL, while the writer is in the middle of its next write
    // Acknowledgements printed before the kill but not yet read count too.
    for line in lines {
        if let Some(n) = line.unwrap().strip_prefix("ACK ") {
            acked.push(n.parse().unwrap());
        }
    }
    child.wait().unwrap();
    let last = *acked.last().unwrap();
    assert_eq!(acked, (0..=last).collect::<Vec<_>>());

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = Store::open_data_dir(dir.path()).await.unwrap();
        assert_eq!(store.check_integrity().await.unwrap(), ["ok"]);
        let ten = tenant("crash-isp");
        let all = store.incidents(&ten, StateFilter::All).await.unwrap();
        for i in 0..=last {
            let id = format!("inc-{i}");
            let rec = all.iter().find(|r| r.incident.id == id);
            assert!(rec.is_some(), "acknowledged evaluation {i} lost");
        }
        // At most one unacknowledged evaluation may have committed just before the kill.
        assert!(
            all.len() as u32 <= last + 2,
            "{} incidents for {} acks",
            all.len(),
            last + 1
        );
        let audit = store.audit_log(&ten, 10_000).await.unwrap();
        for i in 0..=last {
            assert!(
                audit.iter().any(|a| a.target == i.to_string()),
                "acknowledged audit {i} lost"
            );
        }
        // The store goes on: the next evaluation applies cleanly.
        store
            .apply_analysis(&ten, &evaluation(last + 10))
            .await
            .unwrap();
    });
}
