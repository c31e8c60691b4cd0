//! Test harness: the same checks against SQLite (a temporary file) and PostgreSQL (a fresh
//! database on the server named by `ISPVM_TEST_POSTGRES_URL`, started by `scripts/postgres`).
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, Utc};
use ispvm_model::{
    CauseKind, CauseRole, Confidence, Evidence, Incident, RootCause, SignalState, TenantId,
};
use ispvm_schemas::analysis::AnalysisDocument;
use ispvm_store::Store;

/// A store under test; keeps its temporary directory alive.
pub struct Harness {
    pub store: Store,
    pub url: Option<String>,
    pub dir: tempfile::TempDir,
}

impl Harness {
    /// Opens the same database again (a restart).
    pub async fn reopen(&self) -> Store {
        match &self.url {
            Some(url) => Store::open(url).await.unwrap(),
            None => Store::open_data_dir(self.dir.path()).await.unwrap(),
        }
    }
}

pub async fn sqlite() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_data_dir(dir.path()).await.unwrap();
    Harness {
        store,
        url: None,
        dir,
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A fresh PostgreSQL database, or `None` (with a message) when no server is configured.
/// Under `CI=true` a missing server fails the test.
pub async fn postgres() -> Option<Harness> {
    let Ok(base) = std::env::var("ISPVM_TEST_POSTGRES_URL") else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!(
                "ISPVM_TEST_POSTGRES_URL is not set under CI=true (scripts/test starts the server)"
            );
        }
        eprintln!("skipped: ISPVM_TEST_POSTGRES_URL is not set (run scripts/postgres start)");
        return None;
    };
    let name = format!(
        "ispvm_t_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        Utc::now().timestamp_micros() % 1_000_000_000
    );
    let admin = sqlx::PgPool::connect(&base).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let (prefix, _) = base.rsplit_once('/').unwrap();
    let url = format!("{prefix}/{name}");
    let store = Store::open(&url).await.unwrap();
    Some(Harness {
        store,
        url: Some(url),
        dir: tempfile::tempdir().unwrap(),
    })
}

/// Generates `sqlite` and `postgres` tests running the async check `$check(Harness)`.
#[macro_export]
macro_rules! both_backends {
    ($($check:ident),* $(,)?) => {
        $(
            mod $check {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$check($crate::common::sqlite().await).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(h) = $crate::common::postgres().await {
                        super::$check(h).await;
                    }
                }
            }
        )*
    };
}

pub fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

pub fn tenant(s: &str) -> TenantId {
    s.parse().unwrap()
}

/// A root cause with one piece of evidence.
pub fn cause(entity: &str, role: CauseRole, at: DateTime<Utc>) -> RootCause {
    RootCause::new(
        entity.parse().unwrap(),
        role,
        CauseKind::Failure,
        Confidence::new(0.8).unwrap(),
        vec![Evidence::signal("reachability", SignalState::Down, at, 3.0).with_source("icmp")],
    )
}

pub fn incident(
    id: &str,
    opened: &str,
    causes: &[(&str, CauseRole)],
    impacted: &[&str],
    subs: u64,
) -> Incident {
    let at = t(opened);
    Incident::new(
        id,
        at,
        causes.iter().map(|(e, r)| cause(e, *r, at)).collect(),
        impacted.iter().map(|e| e.parse().unwrap()).collect(),
        subs,
        format!("{} down", causes.first().map_or("?", |c| c.0)),
    )
}

pub fn analysis(tenant_id: &TenantId, at: &str, incidents: Vec<Incident>) -> AnalysisDocument {
    AnalysisDocument::new(tenant_id.clone(), t(at), vec![], incidents)
}
