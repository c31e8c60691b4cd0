//! The agent's Backend on the embedded world: readiness, typed fault, feedback and window
//! errors, the audit log.

use std::time::Duration;

use chrono::Utc;
use ispvm_http::{
    Actor, AuditAction, AuthMethod, Backend, FaultError, FaultKind, FaultRequest, FeedbackError,
    IncidentFilter, Role, WindowError, WindowKind, WindowRequest,
};
use ispvm_model::{EntityId, TenantId};
use ispvm_service::Agent;

fn id(s: &str) -> EntityId {
    s.parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_backend_answers_with_typed_errors() {
    let agent = Agent::start_embedded(Duration::from_secs(1)).await.unwrap();
    let tenant: TenantId = "demo-isp".parse().unwrap();
    assert_eq!(agent.tenants(), std::slice::from_ref(&tenant));
    let handle = agent.tenant(&tenant).unwrap();
    tokio::time::timeout(Duration::from_secs(10), handle.changed())
        .await
        .unwrap()
        .unwrap();
    assert!(agent.readiness().await.is_ready());
    let topology = agent.topology(&tenant).await.unwrap().unwrap();
    assert!(topology.entity("agg3-agg4").is_some());

    let actor = Actor::new("tester", Role::Operator, AuthMethod::Bearer);
    let fault = |kind, target: &str| FaultRequest::new(kind, id(target));
    assert_eq!(
        agent
            .create_fault(&tenant, &fault(FaultKind::LinkDown, "agg2"), &actor)
            .await,
        Err(FaultError::UnsupportedTarget {
            fault: "link_down",
            target: id("agg2")
        })
    );
    assert_eq!(
        agent
            .create_fault(&tenant, &fault(FaultKind::PowerOff, "nowhere"), &actor)
            .await,
        Err(FaultError::UnknownTarget(id("nowhere")))
    );
    assert_eq!(
        agent
            .create_fault(&tenant, &fault(FaultKind::RadiusTimeout, "acc1"), &actor)
            .await,
        Err(FaultError::UnsupportedTarget {
            fault: "radius_timeout",
            target: id("acc1")
        })
    );
    let f = agent
        .create_fault(&tenant, &fault(FaultKind::LinkDown, "agg1-agg2"), &actor)
        .await
        .unwrap();
    assert_eq!(
        (f.fault, f.target.as_str()),
        (FaultKind::LinkDown, "agg1-agg2")
    );
    assert_eq!(agent.faults(&tenant).await.unwrap().len(), 1);

    // The link's incident appears; feedback names a cause outside it, then the right one.
    let incident = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let list = agent
                .incidents(&tenant, IncidentFilter::Open)
                .await
                .unwrap();
            if let Some(i) = list.into_iter().find(|r| {
                r.incident
                    .root_causes
                    .iter()
                    .any(|c| c.entity.as_str() == "agg1-agg2")
            }) {
                return i;
            }
            handle.changed().await.unwrap();
        }
    })
    .await
    .unwrap();
    let iid = incident.incident.id.clone();
    assert_eq!(
        agent.feedback(&tenant, &iid, &id("core1"), &actor).await,
        Err(FeedbackError::CauseNotInIncident { cause: id("core1") })
    );
    assert_eq!(
        agent
            .feedback(&tenant, "inc-nope", &id("agg1-agg2"), &actor)
            .await,
        Err(FeedbackError::UnknownIncident)
    );
    agent
        .feedback(&tenant, &iid, &id("agg1-agg2"), &actor)
        .await
        .unwrap();
    let labelled = agent.incident(&tenant, &iid).await.unwrap().unwrap();
    assert_eq!(
        labelled.feedback.map(|f| f.true_cause),
        Some(id("agg1-agg2"))
    );

    agent
        .repair_fault(&tenant, f.id.as_str(), &actor)
        .await
        .unwrap();
    assert_eq!(
        agent.repair_fault(&tenant, f.id.as_str(), &actor).await,
        Err(FaultError::UnknownFault)
    );

    // Windows: refused when invalid, listed, ended early.
    let end = Utc::now() + chrono::Duration::hours(1);
    let bad = WindowRequest::new(vec![id("nowhere")], None, end);
    assert!(matches!(
        agent
            .create_window(&tenant, WindowKind::Silence, &bad, &actor)
            .await,
        Err(WindowError::Invalid(_))
    ));
    let w = agent
        .create_window(
            &tenant,
            WindowKind::Silence,
            &WindowRequest::new(vec![id("bras1")], None, end),
            &actor,
        )
        .await
        .unwrap();
    assert_eq!(
        agent
            .windows(&tenant, WindowKind::Silence)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        agent
            .windows(&tenant, WindowKind::Maintenance)
            .await
            .unwrap()
            .is_empty()
    );
    agent
        .end_window(&tenant, WindowKind::Silence, &w.id, &actor)
        .await
        .unwrap();
    assert_eq!(
        agent
            .end_window(&tenant, WindowKind::Silence, &w.id, &actor)
            .await,
        Err(WindowError::UnknownWindow)
    );

    let actions: Vec<AuditAction> = agent
        .audit(&tenant, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [
            AuditAction::SilenceEnded,
            AuditAction::SilenceCreated,
            AuditAction::FaultRepaired,
            AuditAction::Feedback,
            AuditAction::FaultCreated
        ]
    );
    assert!(agent.subscribe(&"other".parse().unwrap()).is_none());
    agent.shutdown().await;
}
