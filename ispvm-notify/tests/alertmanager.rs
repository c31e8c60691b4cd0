//! The notifier against a real Prometheus Alertmanager: the story of the demo (an aggregation
//! router fails, the access behind it becomes unreachable, a neighbour is in maintenance, then
//! everything recovers) gives exactly one root-cause alert with the contract's labels, none for
//! a suppressed entity, Alertmanager's own notification, and the resolved one on recovery; an
//! Alertmanager restarted mid-incident shows the alert again after the next resend.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use ispvm_model::{
    CauseKind, CauseRole, Confidence, EntityReport, EntityStatus, Incident, RootCause, TenantId,
};
use ispvm_notify::{Context, Notifier, NotifierConfig, PlannerConfig};
use ispvm_schemas::analysis::AnalysisDocument;
use serde_json::Value;
use support::{Alertmanager, Catcher, alertmanager_binary, name};

const WAIT: Duration = Duration::from_secs(20);

fn report(id: &str, status: EntityStatus) -> EntityReport {
    EntityReport::new(id.parse().unwrap(), status)
}

/// The demo's outage at `at`: agg2 down (primary), acc2 and bras2 unreachable behind it
/// (suppressed), agg3 in maintenance (a maintenance-only incident: no primary cause).
fn outage(
    tenant: &TenantId,
    at: chrono::DateTime<Utc>,
    opened: chrono::DateTime<Utc>,
    subs: u64,
) -> AnalysisDocument {
    let primary = RootCause::new(
        "agg2".parse().unwrap(),
        CauseRole::Primary,
        CauseKind::Failure,
        Confidence::new(0.62).unwrap(),
        vec![],
    );
    let inc = Incident::new(
        "inc-agg2",
        opened,
        vec![primary],
        vec!["acc2".parse().unwrap(), "bras2".parse().unwrap()],
        subs,
        "agg2 down: acc2, bras2 unreachable",
    );
    let maint = Incident::new(
        "inc-agg3",
        opened,
        vec![RootCause::new(
            "agg3".parse().unwrap(),
            CauseRole::Contributing,
            CauseKind::Maintenance,
            Confidence::new(0.5).unwrap(),
            vec![],
        )],
        vec![],
        0,
        "agg3 in maintenance",
    );
    AnalysisDocument::new(
        tenant.clone(),
        at,
        vec![
            report("acc2", EntityStatus::Unreachable),
            report("agg1", EntityStatus::Up),
            report("agg2", EntityStatus::Down),
            report("agg3", EntityStatus::Maintenance),
            report("bras2", EntityStatus::Unreachable),
        ],
        vec![inc, maint],
    )
}

fn labels(a: &Value) -> BTreeMap<String, String> {
    serde_json::from_value(a["labels"].clone()).unwrap()
}

fn incident_alerts(alerts: &[Value]) -> Vec<Value> {
    alerts
        .iter()
        .filter(|a| name(a) == "IspvmIncident")
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_story_fires_one_root_cause_alert_and_resolves_on_recovery() {
    let Some(bin) = alertmanager_binary() else {
        return;
    };
    let catcher = Catcher::start().await;
    let am = Alertmanager::start(bin, &catcher.url("/am")).await;
    let tenant: TenantId = "demo-isp".parse().unwrap();
    let notifier = Notifier::spawn(
        NotifierConfig::default()
            .alertmanager(am.url())
            .planner(PlannerConfig::default().resend(TimeDelta::seconds(2))),
    )
    .unwrap();
    let opened = Utc::now() - TimeDelta::seconds(30);
    let ctx = Context::new().with_site("agg2".parse().unwrap(), "pop-south");
    notifier
        .submit(
            Arc::new(outage(&tenant, Utc::now(), opened, 120)),
            ctx.clone(),
        )
        .await;

    // GET /api/v2/alerts: the incident and the watchdog, nothing else.
    let alerts = am
        .wait_alerts("the incident alert", WAIT, |a| {
            incident_alerts(a).len() == 1 && a.iter().any(|x| name(x) == "IspvmWatchdog")
        })
        .await;
    assert_eq!(alerts.len(), 2, "{alerts:#?}");
    let inc = &incident_alerts(&alerts)[0];
    let expected: BTreeMap<String, String> = [
        ("alertname", "IspvmIncident"),
        ("incident", "inc-agg2"),
        ("page", "true"),
        ("severity", "critical"),
        ("tenant", "demo-isp"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(labels(inc), expected);
    assert_eq!(inc["annotations"]["primary_cause"], "agg2");
    assert_eq!(inc["annotations"]["site"], "pop-south");
    assert_eq!(inc["annotations"]["subscribers_affected"], "120");
    assert_eq!(inc["status"]["state"], "active");
    let starts: chrono::DateTime<Utc> = inc["startsAt"].as_str().unwrap().parse().unwrap();
    assert_eq!(starts.timestamp_millis(), opened.timestamp_millis());
    // Nothing names a suppressed entity (acc2, bras2 unreachable; agg3 in maintenance).
    let text = serde_json::to_string(&alerts).unwrap();
    for suppressed in ["\"acc2\"", "\"bras2\"", "inc-agg3"] {
        assert!(!text.contains(suppressed), "{suppressed} in {text}");
    }

    // Alertmanager's own notification reaches its receiver, grouped by tenant and incident.
    catcher
        .wait_for("the firing notification", WAIT, |c| {
            c.iter().any(|r| {
                r.json()["status"] == "firing" && r.json()["groupLabels"]["incident"] == "inc-agg2"
            })
        })
        .await;
    assert!(
        catcher
            .all()
            .iter()
            .all(|r| r.json()["groupLabels"]["incident"] != "inc-agg3")
    );

    // Recovery: the next analysis has no incident; the alert resolves.
    notifier
        .submit(
            Arc::new(AnalysisDocument::new(
                tenant.clone(),
                Utc::now(),
                vec![report("agg2", EntityStatus::Up)],
                vec![],
            )),
            ctx,
        )
        .await;
    catcher
        .wait_for("the resolved notification", WAIT, |c| {
            c.iter().any(|r| {
                let j = r.json();
                j["status"] == "resolved"
                    && j["alerts"][0]["labels"]["incident"] == "inc-agg2"
                    && j["alerts"][0]["status"] == "resolved"
            })
        })
        .await;
    let after = am
        .wait_alerts("no incident alert", WAIT, |a| incident_alerts(a).is_empty())
        .await;
    assert_eq!(
        after.iter().map(name).collect::<Vec<_>>(),
        vec!["IspvmWatchdog"]
    );
    notifier.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_alertmanager_shows_the_alert_again_after_the_next_resend() {
    let Some(bin) = alertmanager_binary() else {
        return;
    };
    let catcher = Catcher::start().await;
    let mut am = Alertmanager::start(bin, &catcher.url("/am")).await;
    let tenant: TenantId = "isp-restart".parse().unwrap();
    let notifier = Notifier::spawn(
        NotifierConfig::default()
            .alertmanager(am.url())
            .planner(PlannerConfig::default().resend(TimeDelta::seconds(2))),
    )
    .unwrap();
    let opened = Utc::now() - TimeDelta::seconds(5);
    notifier
        .submit(
            Arc::new(outage(&tenant, Utc::now(), opened, 0)),
            Context::new(),
        )
        .await;
    let before = am
        .wait_alerts("the incident alert", WAIT, |a| {
            incident_alerts(a).len() == 1
        })
        .await;
    assert_eq!(incident_alerts(&before)[0]["labels"]["severity"], "warning");

    am.restart().await;
    // Alertmanager keeps alerts in memory only: the restarted one learns it from the resend,
    // with the same identity and start.
    let again = am
        .wait_alerts("the alert after the restart", WAIT, |a| {
            incident_alerts(a).len() == 1
        })
        .await;
    assert_eq!(
        labels(&incident_alerts(&again)[0]),
        labels(&incident_alerts(&before)[0])
    );
    assert_eq!(
        incident_alerts(&again)[0]["startsAt"],
        incident_alerts(&before)[0]["startsAt"]
    );
    notifier.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_alertmanager_of_a_cluster_gets_every_alert_and_the_shared_one_agrees() {
    let Some(bin) = alertmanager_binary() else {
        return;
    };
    let catcher = Catcher::start().await;
    let a = Alertmanager::start(bin.clone(), &catcher.url("/a")).await;
    let b = Alertmanager::start(bin, &catcher.url("/b")).await;
    // The instance of scripts/test, when there is one, is a third member.
    let shared = std::env::var("ISPVM_TEST_ALERTMANAGER_URL").ok();
    let tenant: TenantId = "isp-cluster".parse().unwrap();
    let mut config = NotifierConfig::default()
        .alertmanager(a.url())
        .alertmanager(b.url());
    if let Some(s) = &shared {
        config = config.alertmanager(s.clone());
    }
    let notifier = Notifier::spawn(config).unwrap();
    notifier
        .submit(
            Arc::new(outage(&tenant, Utc::now(), Utc::now(), 3)),
            Context::new(),
        )
        .await;
    for am in [&a, &b] {
        let got = am
            .wait_alerts("the incident alert", WAIT, |x| {
                incident_alerts(x).len() == 1
            })
            .await;
        assert_eq!(incident_alerts(&got)[0]["labels"]["tenant"], "isp-cluster");
    }
    if let Some(s) = shared {
        let client = reqwest::Client::new();
        let start = std::time::Instant::now();
        loop {
            let v: Value = client
                .get(format!(
                    "{s}/api/v2/alerts?filter=tenant%3D%22isp-cluster%22"
                ))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if v.as_array()
                .is_some_and(|x| x.iter().any(|a| a["labels"]["incident"] == "inc-agg2"))
            {
                break;
            }
            assert!(
                start.elapsed() < WAIT,
                "the shared Alertmanager never showed the alert: {v}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    notifier.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incident_that_closes_while_alertmanager_is_down_resolves_once_it_is_back() {
    let Some(bin) = alertmanager_binary() else {
        return;
    };
    let catcher = Catcher::start().await;
    let mut am = Alertmanager::start(bin, &catcher.url("/am")).await;
    let tenant: TenantId = "isp-down".parse().unwrap();
    let notifier = Notifier::spawn(
        NotifierConfig::default()
            .alertmanager(am.url())
            .planner(PlannerConfig::default().resend(TimeDelta::seconds(1))),
    )
    .unwrap();
    notifier
        .submit(
            Arc::new(outage(&tenant, Utc::now(), Utc::now(), 5)),
            Context::new(),
        )
        .await;
    catcher
        .wait_for("the firing notification", WAIT, |c| {
            c.iter().any(|r| r.json()["status"] == "firing")
        })
        .await;
    am.stop().await;
    // The incident closes while Alertmanager is down: the post of its end fails.
    notifier
        .submit(
            Arc::new(AnalysisDocument::new(
                tenant.clone(),
                Utc::now(),
                vec![],
                vec![],
            )),
            Context::new(),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    am.resume().await;
    // The kept end is posted with the next resend; Alertmanager (its notification log is on
    // disk) sends the resolved notification.
    catcher
        .wait_for("the resolved notification", WAIT, |c| {
            c.iter().any(|r| {
                r.json()["status"] == "resolved"
                    && r.json()["alerts"][0]["labels"]["incident"] == "inc-agg2"
            })
        })
        .await;
    assert!(incident_alerts(&am.alerts().await).is_empty());
    notifier.shutdown().await;
}
