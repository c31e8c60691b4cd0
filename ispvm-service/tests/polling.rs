//! The agent's polling on the embedded world (real simulators on 127.0.0.1, polled by the
//! collector): API down with the router still answering pings reads `degraded`, a dead router
//! `down`; a RADIUS timeout blames the RADIUS server; polls count in the metrics; shutdown
//! stops the collector.

use std::time::Duration;

use ispvm_http::{Actor, AuthMethod, Backend, FaultKind, FaultRequest, Role};
use ispvm_model::{EntityStatus, TenantId};
use ispvm_schemas::analysis::AnalysisDocument;
use ispvm_service::Agent;
use ispvm_service::tenant::TenantHandle;

fn status(a: &AnalysisDocument, id: &str) -> EntityStatus {
    a.entities
        .iter()
        .find(|e| e.id.as_str() == id)
        .map(|e| e.status)
        .unwrap_or_else(|| panic!("no entity {id}"))
}

/// Waits (at most `within`) for an analysis satisfying `f`; returns it.
async fn until(
    h: &TenantHandle,
    within: Duration,
    mut f: impl FnMut(&AnalysisDocument) -> bool,
) -> AnalysisDocument {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(v) = h.latest() {
            if f(&v.analysis) {
                return (*v.analysis).clone();
            }
        }
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        assert!(!left.is_zero(), "condition not met within {within:?}");
        let _ = tokio::time::timeout(left.min(Duration::from_millis(500)), h.changed()).await;
    }
}

async fn embedded() -> (std::sync::Arc<Agent>, TenantHandle, TenantId) {
    let agent = Agent::start_embedded(Duration::from_secs(1)).await.unwrap();
    let tenant: TenantId = "demo-isp".parse().unwrap();
    let h = agent.tenant(&tenant).unwrap();
    until(&h, Duration::from_secs(15), |a| {
        status(a, "agg2") == EntityStatus::Up && status(a, "bras1") == EntityStatus::Up
    })
    .await;
    (agent, h, tenant)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_down_is_degraded_power_off_is_down() {
    let (agent, h, tenant) = embedded().await;
    assert!(agent.readiness().await.is_ready());
    let actor = Actor::new("tester", Role::Operator, AuthMethod::Bearer);
    let api = agent
        .create_fault(
            &tenant,
            &FaultRequest::new(FaultKind::ApiDown, "agg2".parse().unwrap()),
            &actor,
        )
        .await
        .unwrap();
    // Its API is gone, its pings answer: reachable but unmanageable, nothing downstream lost.
    let a = until(&h, Duration::from_secs(15), |a| {
        status(a, "agg2") == EntityStatus::Degraded
    })
    .await;
    assert_eq!(status(&a, "agg1-agg2"), EntityStatus::Up);
    assert_eq!(status(&a, "bras2"), EntityStatus::Up);
    // It stays degraded (never down) while the API is down.
    for _ in 0..4 {
        h.changed().await.unwrap();
        let v = h.latest().unwrap();
        assert_eq!(status(&v.analysis, "agg2"), EntityStatus::Degraded);
        assert_eq!(status(&v.analysis, "agg1-agg2"), EntityStatus::Up);
    }
    let stats = h
        .poll_stats()
        .into_iter()
        .find(|(k, _)| k.target.as_str() == "agg2")
        .unwrap()
        .1;
    assert!(stats.consecutive_failures >= 1, "{stats:?}");
    agent
        .repair_fault(&tenant, api.id.as_str(), &actor)
        .await
        .unwrap();
    until(&h, Duration::from_secs(15), |a| {
        status(a, "agg2") == EntityStatus::Up
    })
    .await;

    // A dead router: no API, no ping: down, its links unreachable.
    agent
        .create_fault(
            &tenant,
            &FaultRequest::new(FaultKind::PowerOff, "agg2".parse().unwrap()),
            &actor,
        )
        .await
        .unwrap();
    let a = until(&h, Duration::from_secs(15), |a| {
        status(a, "agg2") == EntityStatus::Down
    })
    .await;
    assert_eq!(status(&a, "agg1-agg2"), EntityStatus::Unreachable);
    assert!(
        a.incidents
            .iter()
            .any(|i| i.root_causes.iter().any(|c| c.entity.as_str() == "agg2")),
        "{:?}",
        a.incidents
    );

    // Polls count in the contract's metrics.
    let m = agent.metrics().encode_prometheus().unwrap();
    for result in ["ok", "error"] {
        let line = m
            .lines()
            .find(|l| {
                l.starts_with("ispvm_polls_total{")
                    && l.contains("tenant=\"demo-isp\"")
                    && l.contains(&format!("result=\"{result}\""))
            })
            .unwrap_or_else(|| panic!("no {result} line in\n{m}"));
        let n: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
        assert!(n >= 1.0, "{line}");
    }
    assert!(m.contains("ispvm_poll_duration_seconds_count"), "{m}");
    agent.shutdown().await;
    // The collector stopped: no target is due any more.
    assert!(h.poll_stats().iter().all(|(_, s)| s.next_due.is_none()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn radius_timeout_blames_the_radius_server() {
    let (agent, h, tenant) = embedded().await;
    let actor = Actor::new("tester", Role::Operator, AuthMethod::Bearer);
    agent
        .create_fault(
            &tenant,
            &FaultRequest::new(FaultKind::RadiusTimeout, "bras1".parse().unwrap()),
            &actor,
        )
        .await
        .unwrap();
    let a = until(&h, Duration::from_secs(30), |a| {
        a.incidents
            .iter()
            .any(|i| i.root_causes.iter().any(|c| c.entity.as_str() == "radius1"))
    })
    .await;
    assert_ne!(status(&a, "radius1"), EntityStatus::Up);
    assert!(!status(&a, "bras1").is_suppressed());
    agent.shutdown().await;
}
