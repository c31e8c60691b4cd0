//! Store benchmarks (criterion):
//! - `apply_analysis/sqlite_tenant_100k_entities`: persisting one evaluation's changes (one
//!   incident opened, one closed, one whose causes changed, among 20 open) for a tenant whose
//!   stored topology has 100k entities. Target < 200 ms.
//! - `open_incidents/<backend>_100k_history`: listing the 20 open incidents of a tenant with
//!   100k closed incidents in its history. Target < 20 ms on both backends.
//!
//! PostgreSQL runs when `ISPVM_TEST_POSTGRES_URL` is set (`scripts/postgres start`).
#![allow(missing_docs)] // criterion's macros generate undocumented functions

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use ispvm_model::{
    CauseKind, CauseRole, Confidence, DependencyGroup, Entity, EntityKind, Evidence, GroupMode,
    Incident, Role, RootCause, SignalState, TenantId,
};
use ispvm_schemas::analysis::AnalysisDocument;
use ispvm_store::{ImportMode, StateFilter, Store};

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_773_500_000, 0).unwrap_or_default()
}

fn cause(entity: &str, role: CauseRole, at: DateTime<Utc>) -> RootCause {
    RootCause::new(
        entity.parse().unwrap(),
        role,
        CauseKind::Failure,
        Confidence::saturating(0.8),
        vec![
            Evidence::signal("reachability", SignalState::Down, at, 3.0).with_source("icmp"),
            Evidence::signal("interface", SignalState::Down, at, 10.0).with_source("routeros"),
        ],
    )
}

/// Incident `n`, opened at t0 + n s; `variant` changes its contributing cause.
fn incident(n: u64, variant: u64) -> Incident {
    let at = t0() + TimeDelta::seconds(n as i64);
    Incident::new(
        format!("inc-{n}"),
        at,
        vec![
            cause(&format!("acc{}", n % 99_000), CauseRole::Primary, at),
            cause(
                &format!("agg{}", (n + variant) % 1000),
                CauseRole::Contributing,
                at,
            ),
        ],
        vec![format!("acc{}", (n + 1) % 99_000).parse().unwrap()],
        40,
        format!("acc{} down", n % 99_000),
    )
}

fn doc(tenant: &TenantId, at: DateTime<Utc>, incidents: Vec<Incident>) -> AnalysisDocument {
    AnalysisDocument::new(tenant.clone(), at, vec![], incidents)
}

async fn import_100k(store: &Store, tenant: &TenantId) {
    let mut entities = Vec::with_capacity(100_000);
    for i in 0..1000 {
        entities.push(
            Entity::new(format!("agg{i}").parse().unwrap(), EntityKind::Device)
                .with_role(Role::Aggregation),
        );
    }
    for i in 0..99_000 {
        entities.push(
            Entity::new(format!("acc{i}").parse().unwrap(), EntityKind::Device)
                .with_role(Role::Access),
        );
    }
    let groups = (0..1000)
        .map(|i| {
            DependencyGroup::new(
                format!("acc{i}").parse().unwrap(),
                GroupMode::Any,
                vec![
                    format!("agg{}", i % 1000).parse().unwrap(),
                    format!("agg{}", (i + 1) % 1000).parse().unwrap(),
                ],
            )
        })
        .collect();
    let plan = store
        .plan_topology(tenant, entities, groups, ImportMode::Replace)
        .await
        .unwrap();
    store.apply_topology(&plan, "bench").await.unwrap();
}

fn apply_analysis(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let tenant: TenantId = "bench-isp".parse().unwrap();
    let store = rt.block_on(async {
        let store = Store::open_data_dir(dir.path()).await.unwrap();
        import_100k(&store, &tenant).await;
        store
    });
    let mut n: u64 = 0;
    c.bench_function("apply_analysis/sqlite_tenant_100k_entities", |b| {
        b.iter(|| {
            n += 1;
            // Open: n..n+20; so each evaluation opens inc-(n+19), closes inc-(n-1) and
            // changes the contributing cause of inc-n.
            let incidents = (n..n + 20)
                .map(|i| incident(i, if i == n { n } else { 0 }))
                .collect();
            let at = t0() + TimeDelta::seconds(1000 + n as i64);
            let ch = rt
                .block_on(store.apply_analysis(&tenant, &doc(&tenant, at, incidents)))
                .unwrap();
            assert!(!ch.is_empty());
        });
    });
}

async fn history_100k(store: &Store, tenant: &TenantId) {
    let mut at = t0();
    for round in 0..100_u64 {
        let batch = (round * 1000..(round + 1) * 1000)
            .map(|i| incident(i, 0))
            .collect();
        at += TimeDelta::seconds(10);
        store
            .apply_analysis(tenant, &doc(tenant, at, batch))
            .await
            .unwrap();
        at += TimeDelta::seconds(10);
        store
            .apply_analysis(tenant, &doc(tenant, at, vec![]))
            .await
            .unwrap();
    }
    let open = (200_000..200_020).map(|i| incident(i, 0)).collect();
    store
        .apply_analysis(tenant, &doc(tenant, at + TimeDelta::seconds(10), open))
        .await
        .unwrap();
}

fn open_incidents(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let tenant: TenantId = "bench-isp".parse().unwrap();
    let mut stores = vec![(
        "sqlite",
        rt.block_on(Store::open_data_dir(dir.path())).unwrap(),
    )];
    if let Ok(url) = std::env::var("ISPVM_TEST_POSTGRES_URL") {
        let store = rt.block_on(async {
            let admin = sqlx::PgPool::connect(&url).await.unwrap();
            let name = format!("ispvm_bench_{}", std::process::id());
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&admin)
                .await
                .unwrap();
            let (prefix, _) = url.rsplit_once('/').unwrap();
            Store::open(&format!("{prefix}/{name}")).await.unwrap()
        });
        stores.push(("postgres", store));
    } else {
        eprintln!("open_incidents/postgres skipped: ISPVM_TEST_POSTGRES_URL is not set");
    }
    for (name, store) in &stores {
        rt.block_on(history_100k(store, &tenant));
        // What the agent's hourly retention task does after its pass.
        rt.block_on(store.optimize()).unwrap();
        c.bench_function(&format!("open_incidents/{name}_100k_history"), |b| {
            b.iter(|| {
                let open = rt
                    .block_on(store.incidents(&tenant, StateFilter::Open))
                    .unwrap();
                assert_eq!(open.len(), 20);
            });
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    targets = apply_analysis, open_incidents
}
criterion_main!(benches);
