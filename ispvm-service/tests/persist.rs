//! The agent with a store, on the embedded world: feedback is answered from the stored incident
//! (404, 422), committed with its audit entry, and the weights the engine learns from it are
//! stored and restored into the pipeline at the next start.

use std::time::Duration;

use ispvm_http::{
    Actor, AuditAction, AuthMethod, Backend, FaultKind, FaultRequest, FeedbackError,
    IncidentFilter, Role,
};
use ispvm_model::{EntityId, TenantId};
use ispvm_rca::{EvidenceKind, Weights};
use ispvm_service::Agent;
use ispvm_service::persist::weight_key;
use ispvm_store::Store;

fn id(s: &str) -> EntityId {
    s.parse().unwrap()
}

/// Waits for the open incident caused by the link agg1-agg2 in the engine's latest analysis.
async fn link_incident(agent: &Agent, tenant: &TenantId) -> String {
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let found = agent.analysis(tenant).await.unwrap().and_then(|a| {
                a.incidents
                    .iter()
                    .find(|i| {
                        i.root_causes
                            .iter()
                            .any(|c| c.entity.as_str() == "agg1-agg2")
                    })
                    .map(|i| i.id.clone())
            });
            if let Some(f) = found {
                return f;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the link's incident opens")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feedback_and_learned_weights_are_stored_and_restored() {
    let dir = tempfile::tempdir().unwrap();
    let tenant: TenantId = "demo-isp".parse().unwrap();
    let actor = Actor::new("alice", Role::Operator, AuthMethod::Bearer);
    let link_down = FaultRequest::new(FaultKind::LinkDown, id("agg1-agg2"));

    // First run: an incident, refused and accepted feedback.
    let store = Store::open_data_dir(dir.path()).await.unwrap();
    let agent = Agent::start_embedded_stored(Duration::from_secs(1), Some(store.clone()))
        .await
        .unwrap();
    agent
        .create_fault(&tenant, &link_down, &actor)
        .await
        .unwrap();
    let incident = link_incident(&agent, &tenant).await;
    assert_eq!(
        agent
            .feedback(&tenant, &incident, &id("core1"), &actor)
            .await,
        Err(FeedbackError::CauseNotInIncident { cause: id("core1") })
    );
    assert_eq!(
        agent
            .feedback(&tenant, "inc-none", &id("agg1-agg2"), &actor)
            .await,
        Err(FeedbackError::UnknownIncident)
    );
    assert!(store.weights(&tenant).await.unwrap().is_empty());
    agent
        .feedback(&tenant, &incident, &id("agg1-agg2"), &actor)
        .await
        .unwrap();
    // Committed before the answer: the label, its audit entry, the learned weights.
    let rec = store.incident(&tenant, &incident).await.unwrap().unwrap();
    assert_eq!(rec.feedback.map(|f| f.true_cause), Some(id("agg1-agg2")));
    let audit = agent.audit(&tenant, 10).await.unwrap();
    assert!(
        audit.iter().any(|e| e.action == AuditAction::Feedback
            && e.target == incident
            && e.actor == "alice"),
        "{audit:?}"
    );
    let first = store.weights(&tenant).await.unwrap();
    assert_eq!(first.len(), EvidenceKind::ALL.len());
    let default = Weights::default();
    let raised: Vec<EvidenceKind> = EvidenceKind::ALL
        .into_iter()
        .filter(|k| first[&weight_key(*k)] > default.get(*k))
        .collect();
    assert!(
        !raised.is_empty(),
        "feedback on the only cause raises its evidence: {first:?}"
    );
    agent.shutdown().await;

    // Second run on the same file: the stored incident is there before any evaluation, and a
    // second feedback learns on top of the restored weights (from the defaults, it would give
    // the first run's values again).
    let store = Store::open_data_dir(dir.path()).await.unwrap();
    let agent = Agent::start_embedded_stored(Duration::from_secs(1), Some(store.clone()))
        .await
        .unwrap();
    let listed = agent.incidents(&tenant, IncidentFilter::All).await.unwrap();
    assert!(
        listed.iter().any(|r| r.incident.id == incident),
        "{listed:?}"
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    agent
        .create_fault(&tenant, &link_down, &actor)
        .await
        .unwrap();
    assert_eq!(
        link_incident(&agent, &tenant).await,
        incident,
        "stored id kept"
    );
    agent
        .feedback(&tenant, &incident, &id("agg1-agg2"), &actor)
        .await
        .unwrap();
    let second = store.weights(&tenant).await.unwrap();
    for k in &raised {
        let key = weight_key(*k);
        assert!(
            second[&key] > first[&key],
            "{key}: {} after the restart, {} before",
            second[&key],
            first[&key]
        );
    }
    agent.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_runs_retention_on_its_store_and_closes_it_at_shutdown() {
    use ispvm_model::Incident;
    use ispvm_schemas::analysis::AnalysisDocument;
    let dir = tempfile::tempdir().unwrap();
    let tenant: TenantId = "demo-isp".parse().unwrap();
    let store = Store::open_data_dir(dir.path()).await.unwrap();
    // An incident closed 500 days ago: past the default 400-day horizon.
    let now = chrono::Utc::now();
    let opened = now - chrono::Duration::days(501);
    let closed = now - chrono::Duration::days(500);
    let old = Incident::new("inc-ancient", opened, vec![], vec![], 0, "long ago");
    store
        .apply_analysis(
            &tenant,
            &AnalysisDocument::new(tenant.clone(), opened, vec![], vec![old]),
        )
        .await
        .unwrap();
    store
        .apply_analysis(
            &tenant,
            &AnalysisDocument::new(tenant.clone(), closed, vec![], vec![]),
        )
        .await
        .unwrap();
    assert!(
        store
            .incident(&tenant, "inc-ancient")
            .await
            .unwrap()
            .is_some()
    );
    let agent = Agent::start_embedded_stored(Duration::from_secs(1), Some(store.clone()))
        .await
        .unwrap();
    // The retention task's first pass runs at start.
    tokio::time::timeout(Duration::from_secs(10), async {
        while store
            .incident(&tenant, "inc-ancient")
            .await
            .unwrap()
            .is_some()
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("retention deleted the incident closed 500 days ago");
    agent.shutdown().await;
    let e = store
        .incidents(&tenant, ispvm_store::StateFilter::All)
        .await;
    assert!(
        matches!(&e, Err(err) if err.is_retryable()),
        "the store is closed at shutdown: {e:?}"
    );
}
