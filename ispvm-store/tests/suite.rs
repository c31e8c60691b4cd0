//! The store's behaviour, checked identically on SQLite and PostgreSQL.

mod common;

use chrono::TimeDelta;
use common::{Harness, analysis, incident, t, tenant};
use ispvm_model::{CauseRole, DependencyGroup, Entity, EntityKind, GroupMode, MaintenanceWindow};
use ispvm_schemas::incident::{IncidentChangeKind, IncidentState};
use ispvm_schemas::scenario::ScenarioDocument;
use ispvm_store::{
    ImportMode, IncidentUpdate, PollOutcome, RetentionPolicy, StateFilter, Store, StoreError,
    WindowFilter,
};

use CauseRole::{Contributing, Primary};

both_backends!(
    opens_with_schema_version_and_refuses_newer,
    incident_lifecycle_is_recorded,
    incidents_survive_a_restart,
    stale_analysis_is_refused_and_tenants_are_isolated,
    feedback_is_validated_labelled_and_audited,
    weights_round_trip,
    maintenance_create_list_end,
    poll_results_are_summarised,
    retention_purges_by_age,
    topology_plan_apply_export,
    retention_task_runs_periodically,
    notification_outbox_is_due_retried_acked_and_durable,
);

async fn notification_outbox_is_due_retried_acked_and_durable(h: Harness) {
    let s = &h.store;
    let hook = "http://127.0.0.1:9/hook";
    let other = "http://127.0.0.1:9/other";
    let at = t("2026-03-14T09:05:00Z");
    assert!(
        s.enqueue_notification(hook, "k1", "{\"n\":1}", at)
            .await
            .unwrap()
    );
    assert!(
        s.enqueue_notification(hook, "k2", "{\"n\":2}", at)
            .await
            .unwrap()
    );
    // The same key again for the same sink is a no-op; for another sink it is a new row.
    assert!(
        !s.enqueue_notification(hook, "k1", "{\"n\":9}", at)
            .await
            .unwrap()
    );
    assert!(s.enqueue_notification(other, "k1", "{}", at).await.unwrap());
    let due = s.due_notifications(hook, at, 10).await.unwrap();
    assert_eq!(
        due.iter()
            .map(|e| (e.key.as_str(), e.payload.as_str(), e.attempts))
            .collect::<Vec<_>>(),
        vec![("k1", "{\"n\":1}", 0), ("k2", "{\"n\":2}", 0)]
    );
    assert_eq!(due[0].created_at, at);
    assert_eq!(s.due_notifications(hook, at, 1).await.unwrap().len(), 1);
    // A failed attempt pushes the entry into the future and counts the attempt.
    let later = at + TimeDelta::seconds(30);
    s.retry_notification(due[0].id, later, "connection refused")
        .await
        .unwrap();
    let now_due = s.due_notifications(hook, at, 10).await.unwrap();
    assert_eq!(
        now_due.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(),
        vec!["k2"]
    );
    s.ack_notification(now_due[0].id).await.unwrap();
    s.ack_notification(now_due[0].id).await.unwrap();
    assert_eq!(s.pending_notifications(hook).await.unwrap(), 1);
    // It survives a restart, with its attempt count and next attempt time.
    s.close().await;
    let store = h.reopen().await;
    let back = store.due_notifications(hook, later, 10).await.unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(
        (
            back[0].key.as_str(),
            back[0].attempts,
            back[0].next_attempt_at
        ),
        ("k1", 1, later)
    );
    assert_eq!(store.pending_notifications(other).await.unwrap(), 1);
}

async fn retention_task_runs_periodically(h: Harness) {
    let s = &h.store;
    let ten = tenant("isp-a");
    let old = incident(
        "inc-old",
        "2020-01-01T00:00:00Z",
        &[("agg1", Primary)],
        &[],
        1,
    );
    s.apply_analysis(&ten, &analysis(&ten, "2020-01-01T00:00:00Z", vec![old]))
        .await
        .unwrap();
    s.apply_analysis(&ten, &analysis(&ten, "2020-01-01T01:00:00Z", vec![]))
        .await
        .unwrap();
    assert_eq!(s.incidents(&ten, StateFilter::All).await.unwrap().len(), 1);
    let task = ispvm_store::spawn_retention(
        s.clone(),
        RetentionPolicy::default(),
        std::time::Duration::from_millis(50),
    );
    let mut gone = false;
    for _ in 0..100 {
        if s.incidents(&ten, StateFilter::All)
            .await
            .unwrap()
            .is_empty()
        {
            gone = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    task.abort();
    assert!(
        gone,
        "the retention task did not delete an incident closed in 2020"
    );
}

/// Whatever sequence of analyses is applied, the open incidents are exactly those of the last
/// analysis, every record starts with `opened`, and closed ones carry their close time.
#[test]
fn open_set_follows_the_last_analysis() {
    use proptest::prelude::*;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(12));
    let strategy = proptest::collection::vec(proptest::collection::btree_set(0_u8..6, 0..4), 1..6);
    runner
        .run(&strategy, |steps| {
            rt.block_on(async {
                let h = common::sqlite().await;
                let ten = tenant("isp-p");
                let mut at = t("2026-03-14T09:00:00Z");
                for ids in &steps {
                    at += TimeDelta::minutes(1);
                    let incs = ids
                        .iter()
                        .map(|i| {
                            incident(
                                &format!("inc-{i}"),
                                "2026-03-14T09:00:00Z",
                                &[("agg1", Primary)],
                                &[],
                                u64::from(*i),
                            )
                        })
                        .collect();
                    h.store
                        .apply_analysis(&ten, &analysis(&ten, &at.to_rfc3339(), incs))
                        .await
                        .unwrap();
                }
                let open: Vec<String> = h
                    .store
                    .incidents(&ten, StateFilter::Open)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|r| r.incident.id)
                    .collect();
                let mut want: Vec<String> = steps
                    .last()
                    .unwrap()
                    .iter()
                    .map(|i| format!("inc-{i}"))
                    .collect();
                want.sort();
                prop_assert_eq!(open, want);
                for r in h.store.incidents(&ten, StateFilter::All).await.unwrap() {
                    prop_assert_eq!(r.history[0].change, IncidentChangeKind::Opened);
                    prop_assert_eq!(r.closed_at.is_some(), r.state == IncidentState::Closed);
                }
                Ok(())
            })
        })
        .unwrap();
}

async fn opens_with_schema_version_and_refuses_newer(h: Harness) {
    assert_eq!(
        h.store.schema_version().await.unwrap(),
        Store::SCHEMA_VERSION
    );
    assert_eq!(h.store.check_integrity().await.unwrap(), ["ok"]);
    h.store.optimize().await.unwrap();
    // Opening again is a no-op migration.
    let again = h.reopen().await;
    assert_eq!(again.schema_version().await.unwrap(), Store::SCHEMA_VERSION);
    again.close().await;
    // A migration applied by a newer ispvm.
    let sql = "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
               VALUES (99, 'future', TRUE, $1, 0)";
    match h.url.as_deref() {
        Some(url) => {
            let p = sqlx::PgPool::connect(url).await.unwrap();
            sqlx::query(sql)
                .bind(vec![0_u8; 48])
                .execute(&p)
                .await
                .unwrap();
            p.close().await;
        }
        None => {
            let p = sqlx::SqlitePool::connect(&format!(
                "sqlite://{}",
                h.dir.path().join("ispvm.sqlite").display()
            ))
            .await
            .unwrap();
            sqlx::query(sql)
                .bind(vec![0_u8; 48])
                .execute(&p)
                .await
                .unwrap();
            p.close().await;
        }
    }
    let err = match &h.url {
        Some(url) => Store::open(url).await.unwrap_err(),
        None => Store::open_data_dir(h.dir.path()).await.unwrap_err(),
    };
    assert_eq!(
        err,
        StoreError::SchemaTooNew {
            found: 99,
            known: Store::SCHEMA_VERSION
        }
    );
    assert!(!err.is_retryable());
}

async fn incident_lifecycle_is_recorded(h: Harness) {
    let s = &h.store;
    let ten = tenant("isp-a");
    let a = incident(
        "inc-a",
        "2026-03-14T09:05:00Z",
        &[("agg2", Primary)],
        &["acc1"],
        10,
    );
    let b = incident(
        "inc-b",
        "2026-03-14T09:06:00Z",
        &[("core1", Primary)],
        &[],
        0,
    );
    let ch = s
        .apply_analysis(
            &ten,
            &analysis(&ten, "2026-03-14T09:06:00Z", vec![a.clone(), b.clone()]),
        )
        .await
        .unwrap();
    assert_eq!(ch.opened, ["inc-a", "inc-b"]);
    assert!(ch.updated.is_empty() && ch.closed.is_empty());

    // Same analysis again (a redelivery): nothing changes.
    let ch = s
        .apply_analysis(
            &ten,
            &analysis(&ten, "2026-03-14T09:06:00Z", vec![a.clone(), b.clone()]),
        )
        .await
        .unwrap();
    assert!(ch.is_empty(), "{ch:?}");

    // agg3 joins inc-a and impact grows; inc-b vanishes.
    let a2 = incident(
        "inc-a",
        "2026-03-14T09:05:00Z",
        &[("agg2", Primary), ("agg3", Contributing)],
        &["acc1", "acc2"],
        25,
    );
    let ch = s
        .apply_analysis(
            &ten,
            &analysis(&ten, "2026-03-14T09:10:00Z", vec![a2.clone()]),
        )
        .await
        .unwrap();
    assert!(ch.opened.is_empty());
    assert_eq!(ch.closed, ["inc-b"]);
    assert_eq!(ch.updated, [IncidentUpdate::clone(&ch.updated[0])]);
    assert_eq!(
        ch.updated[0].changes,
        [
            IncidentChangeKind::CausesChanged,
            IncidentChangeKind::ImpactChanged
        ]
    );

    let rec = s.incident(&ten, "inc-a").await.unwrap().unwrap();
    assert_eq!(rec.incident, a2);
    assert_eq!(rec.state, IncidentState::Open);
    assert_eq!(rec.closed_at, None);
    let hist: Vec<_> = rec
        .history
        .iter()
        .map(|h| (h.at, h.change, h.summary.as_str()))
        .collect();
    assert_eq!(
        hist,
        [
            (
                t("2026-03-14T09:05:00Z"),
                IncidentChangeKind::Opened,
                "agg2 down"
            ),
            (
                t("2026-03-14T09:10:00Z"),
                IncidentChangeKind::CausesChanged,
                "agg3 joined as contributing cause"
            ),
            (
                t("2026-03-14T09:10:00Z"),
                IncidentChangeKind::ImpactChanged,
                "impact: 10 -> 25 subscribers affected, 1 -> 2 entities impacted"
            ),
        ]
    );
    let closed = s.incidents(&ten, StateFilter::Closed).await.unwrap();
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].incident, b);
    assert_eq!(closed[0].closed_at, Some(t("2026-03-14T09:10:00Z")));
    assert_eq!(
        closed[0].history.last().unwrap().change,
        IncidentChangeKind::Closed
    );
    let all = s.incidents(&ten, StateFilter::All).await.unwrap();
    assert_eq!(
        all.iter()
            .map(|r| r.incident.id.as_str())
            .collect::<Vec<_>>(),
        ["inc-a", "inc-b"]
    );
    let latest = s.latest_incidents(&ten, StateFilter::All, 1).await.unwrap();
    assert_eq!(latest, all[1..]);
    assert_eq!(
        s.latest_incidents(&ten, StateFilter::All, 5).await.unwrap(),
        all
    );
    assert_eq!(
        s.latest_incidents(&ten, StateFilter::Open, 5)
            .await
            .unwrap(),
        all[..1]
    );

    // inc-b comes back with the same id: reopened.
    let ch = s
        .apply_analysis(
            &ten,
            &analysis(&ten, "2026-03-14T09:20:00Z", vec![a2.clone(), b.clone()]),
        )
        .await
        .unwrap();
    assert_eq!(ch.opened, ["inc-b"]);
    let rec = s.incident(&ten, "inc-b").await.unwrap().unwrap();
    assert_eq!(rec.state, IncidentState::Open);
    assert_eq!(rec.closed_at, None);
    assert_eq!(rec.history.len(), 3);
    assert_eq!(rec.history[2].summary, "reopened: core1 down");
    assert_eq!(s.incident(&ten, "nope").await.unwrap(), None);
}

async fn incidents_survive_a_restart(h: Harness) {
    let ten = tenant("isp-a");
    let a = incident(
        "inc-a",
        "2026-03-14T09:05:00Z",
        &[("agg2", Primary)],
        &[],
        3,
    );
    let b = incident(
        "inc-b",
        "2026-03-14T09:06:00Z",
        &[("agg1", Primary)],
        &[],
        3,
    );
    h.store
        .apply_analysis(
            &ten,
            &analysis(&ten, "2026-03-14T09:06:00Z", vec![a.clone(), b]),
        )
        .await
        .unwrap();
    h.store
        .apply_analysis(
            &ten,
            &analysis(&ten, "2026-03-14T09:07:00Z", vec![a.clone()]),
        )
        .await
        .unwrap();
    let before = h.store.incidents(&ten, StateFilter::All).await.unwrap();
    h.store.close().await;
    let store = h.reopen().await;
    assert_eq!(
        store.incidents(&ten, StateFilter::All).await.unwrap(),
        before
    );
    let open = store.incidents(&ten, StateFilter::Open).await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].incident.opened_at, t("2026-03-14T09:05:00Z"));
    // The next evaluation after the restart continues the same incident.
    let ch = store
        .apply_analysis(&ten, &analysis(&ten, "2026-03-14T09:08:00Z", vec![a]))
        .await
        .unwrap();
    assert!(ch.is_empty());
}

async fn stale_analysis_is_refused_and_tenants_are_isolated(h: Harness) {
    let s = &h.store;
    let (ta, tb) = (tenant("isp-a"), tenant("isp-b"));
    let a = incident(
        "inc-a",
        "2026-03-14T09:05:00Z",
        &[("agg2", Primary)],
        &[],
        3,
    );
    s.apply_analysis(&ta, &analysis(&ta, "2026-03-14T09:10:00Z", vec![a.clone()]))
        .await
        .unwrap();
    let err = s
        .apply_analysis(&ta, &analysis(&ta, "2026-03-14T09:09:00Z", vec![]))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        StoreError::StaleAnalysis {
            evaluated_at: t("2026-03-14T09:09:00Z"),
            last_applied: t("2026-03-14T09:10:00Z")
        }
    );
    assert_eq!(s.incidents(&ta, StateFilter::Open).await.unwrap().len(), 1);
    let err = s
        .apply_analysis(&tb, &analysis(&ta, "2026-03-14T09:11:00Z", vec![]))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    // Another tenant sees nothing of isp-a and cannot label its incident.
    assert!(s.incidents(&tb, StateFilter::All).await.unwrap().is_empty());
    assert_eq!(s.incident(&tb, "inc-a").await.unwrap(), None);
    let err = s
        .set_feedback(
            &tb,
            "inc-a",
            &"agg2".parse().unwrap(),
            t("2026-03-14T09:12:00Z"),
            "bob",
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        StoreError::NotFound {
            what: "incident",
            id: "inc-a".into()
        }
    );
    // Same incident id in another tenant is another incident.
    s.apply_analysis(&tb, &analysis(&tb, "2026-03-14T09:05:00Z", vec![a]))
        .await
        .unwrap();
    assert_eq!(s.incidents(&tb, StateFilter::Open).await.unwrap().len(), 1);
}

async fn feedback_is_validated_labelled_and_audited(h: Harness) {
    let s = &h.store;
    let ten = tenant("isp-a");
    let a = incident(
        "inc-a",
        "2026-03-14T09:05:00Z",
        &[("agg2", Primary), ("agg3", Contributing)],
        &[],
        3,
    );
    s.apply_analysis(&ten, &analysis(&ten, "2026-03-14T09:06:00Z", vec![a]))
        .await
        .unwrap();
    let err = s
        .set_feedback(
            &ten,
            "inc-a",
            &"core9".parse().unwrap(),
            t("2026-03-14T09:07:00Z"),
            "alice",
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        StoreError::CauseNotInIncident {
            incident: "inc-a".into(),
            cause: "core9".into()
        }
    );
    let err = s
        .set_feedback(
            &ten,
            "inc-x",
            &"agg2".parse().unwrap(),
            t("2026-03-14T09:07:00Z"),
            "alice",
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        StoreError::NotFound {
            what: "incident",
            id: "inc-x".into()
        }
    );
    let rec = s
        .set_feedback(
            &ten,
            "inc-a",
            &"agg3".parse().unwrap(),
            t("2026-03-14T09:08:00Z"),
            "alice",
        )
        .await
        .unwrap();
    let fb = rec.feedback.clone().unwrap();
    assert_eq!(
        (fb.true_cause.as_str(), fb.at),
        ("agg3", t("2026-03-14T09:08:00Z"))
    );
    let last = rec.history.last().unwrap();
    assert_eq!(last.change, IncidentChangeKind::Feedback);
    assert_eq!(last.summary, "true cause labelled agg3 by alice");
    let json = serde_json::to_value(&rec).unwrap();
    assert_eq!(json["feedback"]["true_cause"], "agg3");
    // Relabelling replaces the label.
    let rec = s
        .set_feedback(
            &ten,
            "inc-a",
            &"agg2".parse().unwrap(),
            t("2026-03-14T09:09:00Z"),
            "bob",
        )
        .await
        .unwrap();
    assert_eq!(rec.feedback.unwrap().true_cause.as_str(), "agg2");
    let log = s.audit_log(&ten, 10).await.unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(
        (
            log[0].actor.as_str(),
            log[0].action.as_str(),
            log[0].target.as_str()
        ),
        ("bob", "incident.feedback", "inc-a")
    );
    assert_eq!(log[0].detail, serde_json::json!({"true_cause": "agg2"}));
    assert_eq!(log[1].actor, "alice");
    // The label survives the incident closing.
    s.apply_analysis(&ten, &analysis(&ten, "2026-03-14T09:30:00Z", vec![]))
        .await
        .unwrap();
    let rec = s.incident(&ten, "inc-a").await.unwrap().unwrap();
    assert_eq!(rec.state, IncidentState::Closed);
    assert_eq!(rec.feedback.unwrap().true_cause.as_str(), "agg2");
}

async fn weights_round_trip(h: Harness) {
    let s = &h.store;
    let ten = tenant("isp-a");
    assert!(s.weights(&ten).await.unwrap().is_empty());
    let at = t("2026-03-14T09:05:00Z");
    s.save_weights(
        &ten,
        &[
            ("uplink_interface_down".into(), 12.5),
            ("ospf_down".into(), 3.0),
        ],
        at,
    )
    .await
    .unwrap();
    s.save_weights(&ten, &[("ospf_down".into(), 4.25)], at)
        .await
        .unwrap();
    let w = s.weights(&ten).await.unwrap();
    assert_eq!(w.len(), 2);
    assert_eq!(w["uplink_interface_down"], 12.5);
    assert_eq!(w["ospf_down"], 4.25);
    let err = s
        .save_weights(&ten, &[("x".into(), f64::NAN)], at)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)));
    assert!(s.weights(&tenant("isp-b")).await.unwrap().is_empty());
    let reopened = h.reopen().await;
    assert_eq!(reopened.weights(&ten).await.unwrap(), w);
}

async fn maintenance_create_list_end(h: Harness) {
    let s = &h.store;
    let ten = tenant("isp-a");
    let w1 = MaintenanceWindow::new(
        vec!["agg2".parse().unwrap(), "acc1".parse().unwrap()],
        t("2026-03-14T22:00:00Z"),
        t("2026-03-15T02:00:00Z"),
    )
    .unwrap()
    .with_reason("firmware");
    let w2 = MaintenanceWindow::new(
        vec!["core1".parse().unwrap()],
        t("2026-03-16T22:00:00Z"),
        t("2026-03-16T23:00:00Z"),
    )
    .unwrap();
    let now = t("2026-03-14T12:00:00Z");
    let id1 = s.create_maintenance(&ten, &w1, "alice", now).await.unwrap();
    let id2 = s.create_maintenance(&ten, &w2, "alice", now).await.unwrap();
    let all = s
        .maintenance_windows(&ten, WindowFilter::All)
        .await
        .unwrap();
    assert_eq!(all.iter().map(|m| m.id).collect::<Vec<_>>(), [id1, id2]);
    assert_eq!(all[0].planned, w1);
    assert_eq!(all[0].effective(), Some(w1.clone()));
    // End w1 early inside the window, cancel w2 before it starts.
    s.end_maintenance(&ten, id1, "bob", t("2026-03-14T23:00:00Z"))
        .await
        .unwrap();
    s.end_maintenance(&ten, id2, "bob", t("2026-03-14T23:30:00Z"))
        .await
        .unwrap();
    // A later end does not extend an ended window.
    s.end_maintenance(&ten, id1, "bob", t("2026-03-15T01:00:00Z"))
        .await
        .unwrap();
    let all = s
        .maintenance_windows(&ten, WindowFilter::All)
        .await
        .unwrap();
    assert_eq!(all[0].effective().unwrap().end(), t("2026-03-14T23:00:00Z"));
    assert_eq!(all[0].effective().unwrap().reason(), Some("firmware"));
    assert_eq!(all[1].effective(), None);
    let current = s
        .maintenance_windows(&ten, WindowFilter::EndingAfter(t("2026-03-14T23:10:00Z")))
        .await
        .unwrap();
    assert_eq!(current.iter().map(|m| m.id).collect::<Vec<_>>(), [id2]);
    let err = s
        .end_maintenance(&tenant("isp-b"), id1, "eve", now)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        StoreError::NotFound {
            what: "maintenance window",
            id: id1.to_string()
        }
    );
    let actions: Vec<String> = s
        .audit_log(&ten, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(
        actions,
        [
            "maintenance.end",
            "maintenance.end",
            "maintenance.end",
            "maintenance.create",
            "maintenance.create"
        ]
    );
}

async fn poll_results_are_summarised(h: Harness) {
    let s = &h.store;
    let ten = tenant("isp-a");
    let polls = [
        (
            "agg1".to_string(),
            PollOutcome::Ok,
            12.0,
            t("2026-03-14T09:05:00Z"),
        ),
        (
            "agg1".to_string(),
            PollOutcome::Timeout,
            2000.0,
            t("2026-03-14T09:06:00Z"),
        ),
        (
            "agg1".to_string(),
            PollOutcome::Ok,
            8.0,
            t("2026-03-14T10:01:00Z"),
        ),
        (
            "agg2".to_string(),
            PollOutcome::Error,
            3.0,
            t("2026-03-14T09:07:00Z"),
        ),
    ];
    s.record_polls(&ten, &polls[..2]).await.unwrap();
    s.record_polls(&ten, &polls[2..]).await.unwrap();
    let sum = s
        .poll_summaries(&ten, t("2026-03-14T09:30:00Z"))
        .await
        .unwrap();
    let rows: Vec<_> = sum
        .iter()
        .map(|p| {
            (
                p.target.as_str(),
                p.bucket_start,
                p.ok,
                p.errors,
                p.timeouts,
                p.duration_sum_ms,
                p.duration_max_ms,
                p.last_at,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                "agg1",
                t("2026-03-14T09:00:00Z"),
                1,
                0,
                1,
                2012.0,
                2000.0,
                t("2026-03-14T09:06:00Z")
            ),
            (
                "agg2",
                t("2026-03-14T09:00:00Z"),
                0,
                1,
                0,
                3.0,
                3.0,
                t("2026-03-14T09:07:00Z")
            ),
            (
                "agg1",
                t("2026-03-14T10:00:00Z"),
                1,
                0,
                0,
                8.0,
                8.0,
                t("2026-03-14T10:01:00Z")
            ),
        ]
    );
}

async fn retention_purges_by_age(h: Harness) {
    let s = &h.store;
    let ten = tenant("isp-a");
    // Three incidents closed 500, 20 and 2 days before `now`, one still open (opened 600 days ago).
    let now = t("2027-06-01T00:00:00Z");
    let day = |d: i64| (now - TimeDelta::days(d)).to_rfc3339();
    let old_open = incident("inc-open", &day(600), &[("core1", Primary)], &[], 1);
    let mk = |id: &str, d: i64| incident(id, &day(d), &[("agg1", Primary)], &[], 1);
    for (id, opened, closed) in [("inc-500", 501, 500), ("inc-20", 21, 20), ("inc-2", 3, 2)] {
        s.apply_analysis(
            &ten,
            &analysis(&ten, &day(opened), vec![old_open.clone(), mk(id, opened)]),
        )
        .await
        .unwrap();
        s.apply_analysis(&ten, &analysis(&ten, &day(closed), vec![old_open.clone()]))
            .await
            .unwrap();
    }
    s.record_audit(
        &ten,
        now - TimeDelta::days(401),
        "alice",
        "x",
        "y",
        serde_json::json!({}),
    )
    .await
    .unwrap();
    s.record_audit(
        &ten,
        now - TimeDelta::days(1),
        "alice",
        "x",
        "z",
        serde_json::json!({}),
    )
    .await
    .unwrap();
    s.record_polls(
        &ten,
        &[(
            "agg1".into(),
            PollOutcome::Ok,
            1.0,
            now - TimeDelta::days(31),
        )],
    )
    .await
    .unwrap();

    let report = s
        .enforce_retention(&RetentionPolicy::default(), now)
        .await
        .unwrap();
    assert_eq!(report.incidents_deleted, 1);
    // inc-500's evidence goes first, then the incident itself; inc-20 keeps only its header.
    assert_eq!(report.evidence_purged, 2, "{report:?}");
    assert_eq!(report.audit_deleted, 1);
    assert_eq!(report.poll_results_deleted, 1);
    let ids: Vec<String> = s
        .incidents(&ten, StateFilter::All)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.incident.id)
        .collect();
    assert_eq!(ids, ["inc-open", "inc-20", "inc-2"]);
    let tr = &ten;
    let ev = |id: &'static str| async move {
        s.incident(tr, id)
            .await
            .unwrap()
            .unwrap()
            .incident
            .root_causes[0]
            .evidence
            .len()
    };
    assert_eq!(
        ev("inc-20").await,
        0,
        "evidence of an incident closed 20 days ago is dropped"
    );
    let rec20 = s.incident(&ten, "inc-20").await.unwrap().unwrap();
    assert_eq!(
        rec20.incident.root_causes[0].entity.as_str(),
        "agg1",
        "the cause itself stays"
    );
    assert_eq!(rec20.history.len(), 2);
    assert_eq!(ev("inc-2").await, 1);
    assert_eq!(ev("inc-open").await, 1, "open incidents keep everything");
    // A second pass finds nothing.
    let again = s
        .enforce_retention(&RetentionPolicy::default(), now)
        .await
        .unwrap();
    assert_eq!(again, Default::default());
    // A shorter horizon is honoured.
    let strict = RetentionPolicy::default().evidence(TimeDelta::days(1));
    assert_eq!(
        s.enforce_retention(&strict, now)
            .await
            .unwrap()
            .evidence_purged,
        1
    );
    assert_eq!(ev("inc-2").await, 0);
}

async fn topology_plan_apply_export(h: Harness) {
    let s = &h.store;
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/scenarios/aggregation-ring.json"
    ))
    .unwrap();
    let mut doc: ScenarioDocument = serde_json::from_str(&text).unwrap();
    doc.maintenance.clear();
    doc.observations.clear();
    let ten = doc.tenant.clone();
    let plan = s
        .plan_scenario_import(&doc, ImportMode::Replace)
        .await
        .unwrap();
    assert_eq!(plan.diff.added_entities.len(), doc.entities.len());
    assert_eq!(plan.diff.added_groups.len(), doc.dependencies.len());
    assert!(plan.diff.removed_entities.is_empty());
    s.apply_topology(&plan, "alice").await.unwrap();
    let exported = s.export_scenario(&ten).await.unwrap();
    let mut want = doc.entities.clone();
    want.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(exported.entities, want);
    assert_eq!(
        exported.dependencies, doc.dependencies,
        "groups keep their order and members"
    );
    exported.clone().into_scenario().unwrap();
    // Importing the export again changes nothing.
    let again = s
        .plan_scenario_import(&exported, ImportMode::Replace)
        .await
        .unwrap();
    assert!(again.diff.is_empty(), "{}", again.diff);
    assert_eq!(again.diff.to_string(), "no change\n");

    // Merge: one new access switch, dual-homed.
    let acc = Entity::new("acc9".parse().unwrap(), EntityKind::Device);
    let group = DependencyGroup::new(
        "acc9".parse().unwrap(),
        GroupMode::Any,
        vec!["agg1".parse().unwrap(), "agg2".parse().unwrap()],
    );
    let plan = s
        .plan_topology(&ten, vec![acc], vec![group], ImportMode::Merge)
        .await
        .unwrap();
    assert_eq!(
        plan.diff.to_string(),
        "+ entity acc9 (device)\n+ group acc9: any of [agg1, agg2]\n"
    );
    // Something else changes the topology before the plan is applied.
    let other = s
        .plan_topology(
            &ten,
            vec![Entity::new("probe1".parse().unwrap(), EntityKind::Probe)],
            vec![],
            ImportMode::Merge,
        )
        .await
        .unwrap();
    s.apply_topology(&other, "bob").await.unwrap();
    assert_eq!(
        s.apply_topology(&plan, "alice").await.unwrap_err(),
        StoreError::PlanOutdated
    );

    // Replace with the original document removes probe1.
    let plan = s
        .plan_scenario_import(&doc, ImportMode::Replace)
        .await
        .unwrap();
    assert_eq!(plan.diff.to_string(), "- entity probe1\n");
    s.apply_topology(&plan, "alice").await.unwrap();

    // An invalid topology is refused with the place named.
    let bad = DependencyGroup::new(
        "acc9".parse().unwrap(),
        GroupMode::All,
        vec!["nowhere".parse().unwrap()],
    );
    let err = s
        .plan_topology(&ten, vec![], vec![bad], ImportMode::Merge)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Invalid(m) if m.contains("acc9") || m.contains("nowhere")),
        "{err}"
    );
    let actions: Vec<String> = s
        .audit_log(&ten, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(
        actions,
        ["topology.apply", "topology.apply", "topology.apply"]
    );
}

#[tokio::test]
async fn urls_and_options() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sub").join("x.sqlite");
    let store = Store::open(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    assert_eq!(store.backend(), ispvm_store::Backend::Sqlite);
    assert!(file.exists(), "the directory and file are created");
    let dbg = format!("{store:?}");
    assert_eq!(dbg, "Store { backend: \"sqlite\", .. }");
    for bad in ["mysql://u:pw@h/db", "sqlite::memory:", "nonsense"] {
        let err = Store::open(bad).await.unwrap_err();
        assert!(matches!(err, StoreError::Config(_)), "{bad}: {err:?}");
        assert!(!err.to_string().contains("pw@"), "{err}");
    }
    // An unreachable server is a retryable failure, and the password stays out of the message.
    let mut opts = ispvm_store::StoreOptions::url("postgres://ispvm:hunter2@127.0.0.1:1/ispvm");
    opts.busy_timeout = std::time::Duration::from_millis(300);
    let err = Store::open_with(opts).await.unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    assert!(!err.to_string().contains("hunter2"), "{err}");
    let opts = ispvm_store::StoreOptions::url("postgres://ispvm:hunter2@db/ispvm");
    assert!(!format!("{opts:?}").contains("hunter2"));
}

both_backends!(concurrent_writers_of_one_tenant_serialize);

/// Eight writers apply analyses of one tenant at once (as two agents or a retry storm would):
/// every call succeeds or is refused as stale, and the stored state is one of the analyses'.
async fn concurrent_writers_of_one_tenant_serialize(h: Harness) {
    let ten = tenant("isp-c");
    let mut tasks = Vec::new();
    for w in 0..8_u32 {
        let store = h.store.clone();
        let ten = ten.clone();
        tasks.push(tokio::spawn(async move {
            let at = format!("2026-03-14T09:{:02}:00Z", 10 + w);
            let incs = vec![
                incident(
                    "inc-shared",
                    "2026-03-14T09:05:00Z",
                    &[("agg1", Primary)],
                    &[],
                    u64::from(w),
                ),
                incident(&format!("inc-{w}"), &at, &[("agg2", Primary)], &[], 1),
            ];
            store.apply_analysis(&ten, &analysis(&ten, &at, incs)).await
        }));
    }
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) | Err(StoreError::StaleAnalysis { .. }) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    let open = h.store.incidents(&ten, StateFilter::Open).await.unwrap();
    assert_eq!(open.len(), 2, "{open:?}");
    assert_eq!(open[0].incident.id, "inc-shared");
    let all = h.store.incidents(&ten, StateFilter::All).await.unwrap();
    assert!(
        all.iter()
            .all(|r| r.history[0].change == IncidentChangeKind::Opened)
    );
}
