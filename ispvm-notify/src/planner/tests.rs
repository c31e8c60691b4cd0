use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeDelta, Utc};
use ispvm_model::{
    CauseKind, CauseRole, Confidence, EntityReport, EntityStatus, Incident, RootCause, TenantId,
};
use ispvm_schemas::analysis::AnalysisDocument;
use ispvm_schemas::notification::NotificationKind;
use proptest::prelude::*;

use super::*;

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn tenant() -> TenantId {
    "demo-isp".parse().unwrap()
}

fn cause(e: &str, role: CauseRole, kind: CauseKind) -> RootCause {
    RootCause::new(
        e.parse().unwrap(),
        role,
        kind,
        Confidence::new(0.62).unwrap(),
        vec![],
    )
}

fn inc(id: &str, at: &str, primary: &str, contributing: &[&str], subs: u64) -> Incident {
    let mut causes = vec![cause(primary, CauseRole::Primary, CauseKind::Failure)];
    causes.extend(
        contributing
            .iter()
            .map(|c| cause(c, CauseRole::Contributing, CauseKind::Failure)),
    );
    Incident::new(id, t(at), causes, vec![], subs, format!("{primary} down"))
}

fn doc(at: &str, entities: &[(&str, EntityStatus)], incidents: Vec<Incident>) -> AnalysisDocument {
    AnalysisDocument::new(
        tenant(),
        t(at),
        entities
            .iter()
            .map(|(e, s)| EntityReport::new(e.parse().unwrap(), *s))
            .collect(),
        incidents,
    )
}

fn kinds(plan: &Plan) -> Vec<NotificationKind> {
    plan.notifications.iter().map(|n| n.kind).collect()
}

#[test]
fn an_incident_fires_once_with_the_contract_labels_and_annotations() {
    let mut p = AlertPlanner::new(PlannerConfig::default());
    let ctx = Context::new()
        .with_site("agg2".parse().unwrap(), "pop-north")
        .with_runbook("inc-1", "https://wiki.example/agg");
    let d = doc(
        "2026-03-14T09:06:00Z",
        &[
            ("agg2", EntityStatus::Down),
            ("acc2", EntityStatus::Unreachable),
        ],
        vec![inc("inc-1", "2026-03-14T09:05:00Z", "agg2", &["agg3"], 120)],
    );
    let plan = p.observe(&d, &ctx);
    assert_eq!(plan.alerts.len(), 1);
    let a = &plan.alerts[0];
    let labels: Vec<(&str, &str)> = a
        .labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        labels,
        vec![
            ("alertname", "IspvmIncident"),
            ("incident", "inc-1"),
            ("page", "true"),
            ("severity", "critical"),
            ("tenant", "demo-isp"),
        ]
    );
    let notes: Vec<(&str, &str)> = a
        .annotations
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        notes,
        vec![
            ("confidence", "0.62"),
            ("primary_cause", "agg2"),
            (
                "root_causes",
                "agg2 (primary, failure), agg3 (contributing, failure)"
            ),
            ("runbook_url", "https://wiki.example/agg"),
            ("site", "pop-north"),
            ("subscribers_affected", "120"),
            ("summary", "agg2 down"),
        ]
    );
    assert_eq!(a.starts_at, t("2026-03-14T09:05:00Z"));
    assert_eq!(
        a.ends_at,
        Some(t("2026-03-14T09:06:00Z") + DEFAULT_RESEND * EXPIRY_RESENDS)
    );
    assert_eq!(kinds(&plan), vec![NotificationKind::Open]);
    assert_eq!(
        plan.notifications[0].key,
        "demo-isp/inc-1/open/2026-03-14T09:05:00.000Z"
    );
    // The same analysis again (later): nothing new to post or notify.
    let mut again = d.clone();
    again.evaluated_at = t("2026-03-14T09:06:30Z");
    assert!(p.observe(&again, &ctx).is_empty());
    let json = serde_json::to_value(a).unwrap();
    assert_eq!(json["startsAt"], "2026-03-14T09:05:00Z");
    assert!(json.get("endsAt").is_some());
}

#[test]
fn severity_follows_paging_and_subscribers() {
    let mut p = AlertPlanner::new(PlannerConfig::default());
    let d = doc(
        "2026-03-14T09:06:00Z",
        &[],
        vec![
            inc("a", "2026-03-14T09:05:00Z", "agg1", &[], 0),
            inc("b", "2026-03-14T09:05:00Z", "agg2", &[], 5),
        ],
    );
    let plan = p.observe(&d, &Context::new().with_page("b", false));
    let sev: BTreeMap<&str, (&str, &str)> = plan
        .alerts
        .iter()
        .map(|a| {
            (
                a.label("incident").unwrap(),
                (a.label("severity").unwrap(), a.label("page").unwrap()),
            )
        })
        .collect();
    assert_eq!(sev["a"], ("warning", "true"));
    assert_eq!(sev["b"], ("info", "false"));
}

#[test]
fn the_engines_paging_decision_is_the_page_label() {
    let mut p = AlertPlanner::new(PlannerConfig::default());
    let mut glitch = inc("g", "2026-03-14T09:05:00Z", "agg1", &[], 40);
    glitch.page = false;
    let d = doc("2026-03-14T09:06:00Z", &[], vec![glitch]);
    let plan = p.observe(&d, &Context::new());
    let a = plan
        .alerts
        .iter()
        .find(|a| a.label("incident") == Some("g"))
        .expect("an alert for g");
    assert_eq!(
        (a.label("severity"), a.label("page")),
        (Some("info"), Some("false")),
        "an incident the engine does not page is an info alert with page=false"
    );
    // The context still overrides it.
    let mut p = AlertPlanner::new(PlannerConfig::default());
    let plan = p.observe(&d, &Context::new().with_page("g", true));
    assert_eq!(plan.alerts[0].label("severity"), Some("critical"));
}

#[test]
fn a_label_change_ends_the_old_alert_and_fires_the_new_in_the_same_plan() {
    let mut p = AlertPlanner::new(PlannerConfig::default());
    let ctx = Context::new();
    p.observe(
        &doc(
            "2026-03-14T09:06:00Z",
            &[],
            vec![inc("i", "2026-03-14T09:05:00Z", "agg2", &[], 0)],
        ),
        &ctx,
    );
    let plan = p.observe(
        &doc(
            "2026-03-14T09:07:00Z",
            &[],
            vec![inc("i", "2026-03-14T09:05:00Z", "agg2", &[], 40)],
        ),
        &ctx,
    );
    assert_eq!(plan.alerts.len(), 2);
    assert_eq!(plan.alerts[0].label("severity"), Some("warning"));
    assert_eq!(plan.alerts[0].ends_at, Some(t("2026-03-14T09:07:00Z")));
    assert_eq!(plan.alerts[1].label("severity"), Some("critical"));
    assert!(!plan.alerts[1].is_resolved_at(t("2026-03-14T09:07:00Z")));
    assert_eq!(plan.alerts[1].starts_at, t("2026-03-14T09:05:00Z"));
    assert_eq!(kinds(&plan), vec![NotificationKind::Changed]);
}

#[test]
fn a_joining_cause_updates_annotations_without_new_labels() {
    let mut p = AlertPlanner::new(PlannerConfig::default());
    let ctx = Context::new();
    p.observe(
        &doc(
            "2026-03-14T09:06:00Z",
            &[],
            vec![inc("i", "2026-03-14T09:05:00Z", "agg2", &[], 9)],
        ),
        &ctx,
    );
    let plan = p.observe(
        &doc(
            "2026-03-14T09:07:00Z",
            &[],
            vec![inc("i", "2026-03-14T09:05:00Z", "agg2", &["agg1"], 9)],
        ),
        &ctx,
    );
    assert_eq!(plan.alerts.len(), 1);
    assert_eq!(
        plan.alerts[0].annotation("root_causes"),
        Some("agg2 (primary, failure), agg1 (contributing, failure)")
    );
    assert_eq!(kinds(&plan), vec![NotificationKind::Changed]);
}

#[test]
fn suppressed_primaries_and_maintenance_only_incidents_never_alert() {
    let mut p = AlertPlanner::new(PlannerConfig::default());
    let maint = Incident::new(
        "m",
        t("2026-03-14T09:05:00Z"),
        vec![cause(
            "agg1",
            CauseRole::Contributing,
            CauseKind::Maintenance,
        )],
        vec![],
        0,
        "agg1 in maintenance",
    );
    let d = doc(
        "2026-03-14T09:06:00Z",
        &[
            ("agg1", EntityStatus::Maintenance),
            ("acc9", EntityStatus::Unreachable),
        ],
        vec![maint, inc("u", "2026-03-14T09:05:00Z", "acc9", &[], 3)],
    );
    let plan = p.observe(&d, &Context::new());
    assert!(plan.is_empty(), "{plan:?}");
    assert_eq!(p.tick(t("2026-03-14T09:06:00Z")).unwrap().len(), 1); // the watchdog only
}

#[test]
fn an_incident_whose_cause_becomes_suppressed_is_ended_and_closed() {
    let mut p = AlertPlanner::new(PlannerConfig::default());
    let ctx = Context::new();
    p.observe(
        &doc(
            "2026-03-14T09:06:00Z",
            &[("agg2", EntityStatus::Down)],
            vec![inc("i", "2026-03-14T09:05:00Z", "agg2", &[], 1)],
        ),
        &ctx,
    );
    let plan = p.observe(
        &doc(
            "2026-03-14T09:07:00Z",
            &[("agg2", EntityStatus::Maintenance)],
            vec![inc("i", "2026-03-14T09:05:00Z", "agg2", &[], 1)],
        ),
        &ctx,
    );
    assert_eq!(plan.alerts.len(), 1);
    assert_eq!(plan.alerts[0].ends_at, Some(t("2026-03-14T09:07:00Z")));
    assert_eq!(kinds(&plan), vec![NotificationKind::Closed]);
}

#[test]
fn closing_posts_the_end_once_and_notifies_with_the_last_incident() {
    let mut p = AlertPlanner::new(PlannerConfig::default());
    let ctx = Context::new();
    p.observe(
        &doc(
            "2026-03-14T09:06:00Z",
            &[],
            vec![inc("i", "2026-03-14T09:05:00Z", "agg2", &[], 7)],
        ),
        &ctx,
    );
    let plan = p.observe(&doc("2026-03-14T09:20:00Z", &[], vec![]), &ctx);
    assert_eq!(plan.alerts.len(), 1);
    assert_eq!(plan.alerts[0].ends_at, Some(t("2026-03-14T09:20:00Z")));
    let n = &plan.notifications[0];
    assert_eq!(n.kind, NotificationKind::Closed);
    assert_eq!(n.closed_at, Some(t("2026-03-14T09:20:00Z")));
    assert_eq!(n.incident.subscribers_affected, 7);
    assert_eq!(n.incident.root_causes.len(), 1);
    assert!(
        p.observe(&doc("2026-03-14T09:21:00Z", &[], vec![]), &ctx)
            .is_empty()
    );
    // A stale analysis (older than the last) changes nothing.
    assert!(
        p.observe(
            &doc(
                "2026-03-14T09:00:00Z",
                &[],
                vec![inc("i", "2026-03-14T08:59:00Z", "agg2", &[], 7)]
            ),
            &ctx
        )
        .is_empty()
    );
}

#[test]
fn a_silenced_incident_stops_paging_quietly_and_comes_back_when_the_silence_ends() {
    let mut p = AlertPlanner::new(PlannerConfig::default());
    let i = || inc("i", "2026-03-14T09:05:00Z", "agg2", &["agg3"], 7);
    p.observe(
        &doc("2026-03-14T09:06:00Z", &[], vec![i()]),
        &Context::new(),
    );
    // Only one of the two causes silenced: not muted.
    let one = Context::new().with_silenced("agg2".parse().unwrap());
    assert!(
        p.observe(&doc("2026-03-14T09:07:00Z", &[], vec![i()]), &one)
            .is_empty()
    );
    let both = one.with_silenced("agg3".parse().unwrap());
    let plan = p.observe(&doc("2026-03-14T09:08:00Z", &[], vec![i()]), &both);
    assert_eq!(plan.alerts.len(), 1);
    assert_eq!(plan.alerts[0].ends_at, Some(t("2026-03-14T09:08:00Z")));
    assert!(plan.notifications.is_empty());
    assert!(
        p.observe(&doc("2026-03-14T09:09:00Z", &[], vec![i()]), &both)
            .is_empty()
    );
    // The silence ends while the incident is still open: it fires again.
    let plan = p.observe(
        &doc("2026-03-14T09:10:00Z", &[], vec![i()]),
        &Context::new(),
    );
    assert_eq!(plan.alerts.len(), 1);
    assert!(!plan.alerts[0].is_resolved_at(t("2026-03-14T09:10:00Z")));
    assert_eq!(kinds(&plan), vec![NotificationKind::Open]);
}

#[test]
fn tick_resends_every_active_alert_and_the_watchdog_each_interval() {
    let mut p = AlertPlanner::new(PlannerConfig::default().resend(TimeDelta::seconds(60)));
    p.observe(
        &doc(
            "2026-03-14T09:06:00Z",
            &[],
            vec![inc("i", "2026-03-14T09:05:00Z", "agg2", &[], 7)],
        ),
        &Context::new(),
    );
    let first = p.tick(t("2026-03-14T09:06:00Z")).unwrap();
    let names: Vec<&str> = first
        .iter()
        .map(|a| a.label("alertname").unwrap())
        .collect();
    assert_eq!(names, vec!["IspvmIncident", "IspvmWatchdog"]);
    assert_eq!(first[1].label("severity"), Some("none"));
    assert!(p.tick(t("2026-03-14T09:06:59Z")).is_none());
    let again = p.tick(t("2026-03-14T09:07:00Z")).unwrap();
    assert_eq!(again[0].ends_at, Some(t("2026-03-14T09:11:00Z")));
    assert_eq!(again[1].starts_at, t("2026-03-14T09:06:00Z"));
}

#[test]
fn redundancy_alerts_are_off_by_default_and_follow_the_entities_when_on() {
    let mut r = EntityReport::new("bras1".parse().unwrap(), EntityStatus::Degraded);
    r.redundancy_lost = vec!["any of [agg1, agg2]".into()];
    let mut d = doc("2026-03-14T09:06:00Z", &[], vec![]);
    d.entities.push(r);
    let mut off = AlertPlanner::new(PlannerConfig::default());
    assert!(off.observe(&d, &Context::new()).is_empty());
    let mut on = AlertPlanner::new(PlannerConfig::default().redundancy_alerts(true));
    let plan = on.observe(&d, &Context::new());
    assert_eq!(plan.alerts.len(), 1);
    assert_eq!(
        plan.alerts[0].label("alertname"),
        Some("IspvmRedundancyLost")
    );
    assert_eq!(plan.alerts[0].label("entity"), Some("bras1"));
    assert_eq!(plan.alerts[0].label("severity"), Some("info"));
    assert_eq!(
        plan.alerts[0].annotation("summary"),
        Some("bras1: redundancy lost (any of [agg1, agg2])")
    );
    assert!(plan.notifications.is_empty());
    let plan = on.observe(&doc("2026-03-14T09:08:00Z", &[], vec![]), &Context::new());
    assert_eq!(plan.alerts[0].ends_at, Some(t("2026-03-14T09:08:00Z")));
}

#[test]
fn tenants_are_independent_and_forget_ends_a_tenants_alerts() {
    let mut p = AlertPlanner::new(PlannerConfig::default());
    let other: TenantId = "isp-b".parse().unwrap();
    p.observe(
        &doc(
            "2026-03-14T09:06:00Z",
            &[],
            vec![inc("i", "2026-03-14T09:05:00Z", "agg2", &[], 7)],
        ),
        &Context::new(),
    );
    let b = AnalysisDocument::new(other.clone(), t("2026-03-14T09:06:00Z"), vec![], vec![]);
    assert!(p.observe(&b, &Context::new()).is_empty());
    assert_eq!(p.open_incidents().len(), 1);
    let ended = p.forget_tenant(&tenant(), t("2026-03-14T09:07:00Z"));
    assert_eq!(ended.len(), 1);
    assert!(p.open_incidents().is_empty());
}

// --- properties over random histories ---------------------------------------------------

const ENTITIES: [&str; 4] = ["agg1", "agg2", "bras1", "acc1"];

#[derive(Debug, Clone)]
struct Step {
    /// Per incident slot: (present, primary entity index, subscribers, page).
    incidents: Vec<(bool, usize, u64, bool)>,
    suppressed: Vec<bool>,
}

fn step() -> impl Strategy<Value = Step> {
    (
        proptest::collection::vec(
            (
                any::<bool>(),
                0usize..4,
                prop_oneof![Just(0u64), 1u64..500],
                any::<bool>(),
            ),
            3,
        ),
        proptest::collection::vec(any::<bool>(), 4),
    )
        .prop_map(|(incidents, suppressed)| Step {
            incidents,
            suppressed,
        })
}

fn build(i: usize, s: &Step) -> (AnalysisDocument, Context) {
    let at = t("2026-03-14T09:00:00Z") + TimeDelta::minutes(i as i64 + 1);
    let entities: Vec<(&str, EntityStatus)> = ENTITIES
        .iter()
        .zip(&s.suppressed)
        .map(|(e, sup)| {
            (
                *e,
                if *sup {
                    EntityStatus::Unreachable
                } else {
                    EntityStatus::Down
                },
            )
        })
        .collect();
    let mut ctx = Context::new();
    let mut incidents = Vec::new();
    for (slot, (present, primary, subs, page)) in s.incidents.iter().enumerate() {
        if *present {
            let id = format!("inc-{slot}");
            incidents.push(inc(
                &id,
                "2026-03-14T09:00:00Z",
                ENTITIES[*primary],
                &[],
                *subs,
            ));
            ctx = ctx.with_page(id, *page);
        }
    }
    let mut d = doc("2026-03-14T09:00:00Z", &entities, incidents);
    d.evaluated_at = at;
    (d, ctx)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn alerts_mirror_the_notifiable_incidents_and_every_fired_alert_ends(steps in proptest::collection::vec(step(), 1..12)) {
        let mut p = AlertPlanner::new(PlannerConfig::default());
        // Label sets Alertmanager currently considers firing (after applying each plan).
        let mut firing: BTreeSet<BTreeMap<String, String>> = BTreeSet::new();
        let mut lifecycle: BTreeMap<String, Vec<NotificationKind>> = BTreeMap::new();
        let mut keys = BTreeSet::new();
        let all: Vec<Step> = steps.into_iter().chain(std::iter::once(Step { incidents: vec![], suppressed: vec![false; 4] })).collect();
        for (i, s) in all.iter().enumerate() {
            let (d, ctx) = build(i, s);
            let plan = p.observe(&d, &ctx);
            for a in &plan.alerts {
                prop_assert_eq!(a.label("alertname"), Some("IspvmIncident"));
                if a.is_resolved_at(d.evaluated_at) {
                    prop_assert!(firing.remove(&a.labels), "ended an alert that was not firing: {:?}", a.labels);
                } else {
                    // Never an alert for a suppressed entity.
                    let primary = a.annotation("primary_cause").unwrap();
                    let idx = ENTITIES.iter().position(|e| *e == primary).unwrap();
                    prop_assert!(!s.suppressed[idx]);
                    // severity agrees with page and subscribers.
                    let page = a.label("page") == Some("true");
                    let subs: u64 = a.annotation("subscribers_affected").unwrap().parse().unwrap();
                    prop_assert_eq!(a.label("severity"), Some(Severity::of(page, subs).as_str()));
                    firing.insert(a.labels.clone());
                }
            }
            // Exactly one firing alert per notifiable incident, none else.
            let expected: BTreeSet<String> = s.incidents.iter().enumerate()
                .filter(|(_, (present, primary, _, _))| *present && !s.suppressed[*primary])
                .map(|(slot, _)| format!("inc-{slot}"))
                .collect();
            let got: Vec<String> = firing.iter().map(|l| l["incident"].clone()).collect();
            prop_assert_eq!(got.iter().cloned().collect::<BTreeSet<_>>(), expected.clone());
            prop_assert_eq!(got.len(), expected.len());
            // The resend carries the same set (plus the watchdog).
            let active = p.active(d.evaluated_at);
            prop_assert_eq!(active.len(), expected.len() + 1);
            for n in &plan.notifications {
                if n.kind == NotificationKind::Open {
                    // An `open` is keyed by the incident's opening: a reopened id repeats it.
                    prop_assert_eq!(
                        &n.key,
                        &Notification::key_of(&n.tenant, &n.incident.id, n.kind, n.incident.opened_at)
                    );
                } else {
                    prop_assert!(keys.insert(n.key.clone()), "duplicate key {}", n.key);
                }
                lifecycle.entry(n.incident.id.clone()).or_default().push(n.kind);
            }
        }
        prop_assert!(firing.is_empty(), "still firing after the last empty analysis: {:?}", firing);
        // Each incident's notifications: (open changed* closed)+.
        for (id, ks) in lifecycle {
            let mut open = false;
            for k in ks {
                match k {
                    NotificationKind::Open => { prop_assert!(!open, "{} opened twice", id); open = true; }
                    NotificationKind::Changed => prop_assert!(open, "{} changed while closed", id),
                    NotificationKind::Closed => { prop_assert!(open, "{} closed while closed", id); open = false; }
                    _ => {}
                }
            }
            prop_assert!(!open, "{} never closed", id);
        }
    }
}
