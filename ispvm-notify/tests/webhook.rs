//! Webhooks lose nothing: a receiver that refuses for a while and a notifier restarted in
//! between (outbox in the store) still get every notification; every request is signed and
//! verifies; a redelivered notification carries the same idempotency key and body.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use ispvm_model::{CauseKind, CauseRole, Confidence, Incident, RootCause, Secret, TenantId};
use ispvm_notify::backoff::Backoff;
use ispvm_notify::outbox::Outbox;
use ispvm_notify::sign::{DEFAULT_REPLAY_WINDOW, IDEMPOTENCY_HEADER, SIGNATURE_HEADER, verify};
use ispvm_notify::sink::Webhook;
use ispvm_notify::{Context, Notifier, NotifierConfig};
use ispvm_schemas::analysis::AnalysisDocument;
use ispvm_schemas::notification::Notification;
use ispvm_schemas::validation::{DocumentKind, validate};
use support::Catcher;

fn incident(subs: u64, opened: chrono::DateTime<Utc>) -> Incident {
    let c = RootCause::new(
        "agg2".parse().unwrap(),
        CauseRole::Primary,
        CauseKind::Failure,
        Confidence::new(0.62).unwrap(),
        vec![],
    );
    Incident::new("inc-agg2", opened, vec![c], vec![], subs, "agg2 down")
}

fn doc(tenant: &TenantId, at: chrono::DateTime<Utc>, incidents: Vec<Incident>) -> AnalysisDocument {
    AnalysisDocument::new(tenant.clone(), at, vec![], incidents)
}

fn config(hook: &Webhook, outbox: Outbox) -> NotifierConfig {
    NotifierConfig::default()
        .webhook(hook.clone())
        .outbox(outbox)
        .backoff(Backoff::new(
            Duration::from_millis(100),
            Duration::from_millis(400),
        ))
        .poll(Duration::from_millis(50))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusing_receiver_and_a_restart_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = ispvm_store::Store::open_data_dir(dir.path()).await.unwrap();
    let catcher = Catcher::start().await;
    catcher.refuse.store(u32::MAX, Ordering::SeqCst);
    let secret = || Secret::new("webhook-test-key-0123456789");
    let hook = Webhook::new(catcher.url("/hook"), secret());
    let tenant: TenantId = "demo-isp".parse().unwrap();
    let opened = Utc::now() - TimeDelta::seconds(60);
    let t1 = Utc::now();
    let t2 = t1 + TimeDelta::seconds(1);

    // First notifier: open, then changed; the receiver refuses both (several times each).
    let n1 = Notifier::spawn(config(&hook, Outbox::store(store.clone()))).unwrap();
    n1.submit(
        Arc::new(doc(&tenant, t1, vec![incident(0, opened)])),
        Context::new(),
    )
    .await;
    n1.submit(
        Arc::new(doc(&tenant, t2, vec![incident(40, opened)])),
        Context::new(),
    )
    .await;
    catcher
        .wait_for("refused attempts", Duration::from_secs(20), |c| {
            c.len() >= 3
        })
        .await;
    n1.shutdown().await;
    assert_eq!(store.pending_notifications(&hook.url).await.unwrap(), 2);

    // The agent restarts (same store). Its new planner sees the open incident for the first
    // time and sends `open` again: under the same key (the incident's opening time), so the
    // outbox, which still holds the first one, keeps one. Then the incident closes.
    let n2 = Notifier::spawn(config(&hook, Outbox::store(store.clone()))).unwrap();
    let t3 = t2 + TimeDelta::seconds(1);
    let t4 = t3 + TimeDelta::seconds(1);
    n2.submit(
        Arc::new(doc(&tenant, t3, vec![incident(40, opened)])),
        Context::new(),
    )
    .await;
    n2.submit(Arc::new(doc(&tenant, t4, vec![])), Context::new())
        .await;
    let start = std::time::Instant::now();
    while store.pending_notifications(&hook.url).await.unwrap() < 3 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the close was not enqueued"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(store.pending_notifications(&hook.url).await.unwrap(), 3);
    // The receiver comes back after two more refusals.
    catcher.refuse.store(2, Ordering::SeqCst);
    let expected: BTreeSet<String> = [("open", opened), ("changed", t2), ("closed", t4)]
        .into_iter()
        .map(|(k, at)| Notification::key_of(&tenant, "inc-agg2", k.parse_kind(), at))
        .collect();
    catcher
        .wait_for(
            "every notification accepted",
            Duration::from_secs(30),
            |c| {
                let ok: BTreeSet<String> = c
                    .iter()
                    .filter(|r| r.status == 200)
                    .filter_map(|r| r.header(IDEMPOTENCY_HEADER))
                    .collect();
                expected.is_subset(&ok)
            },
        )
        .await;
    n2.shutdown().await;
    assert_eq!(store.pending_notifications(&hook.url).await.unwrap(), 0);

    let all = catcher.all();
    let now = Utc::now().timestamp();
    let mut bodies: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut refused_keys = 0;
    for r in &all {
        // Signed, within the replay window, over exactly this body.
        let sig = r.header(SIGNATURE_HEADER).expect("signature header");
        assert_eq!(
            verify(&secret(), &sig, &r.body, now, DEFAULT_REPLAY_WINDOW),
            Ok(())
        );
        assert!(
            verify(
                &Secret::new("another key"),
                &sig,
                &r.body,
                now,
                DEFAULT_REPLAY_WINDOW
            )
            .is_err()
        );
        let key = r.header(IDEMPOTENCY_HEADER).expect("idempotency key");
        let body: serde_json::Value = r.json();
        assert_eq!(validate(DocumentKind::Notification, &body), Ok(()));
        assert_eq!(body["key"], key.as_str());
        // A redelivery is byte-for-byte the same notification.
        let first = bodies.entry(key.clone()).or_insert_with(|| r.body.to_vec());
        assert_eq!(first, &r.body.to_vec(), "{key} changed between deliveries");
        if r.status != 200 {
            refused_keys += 1;
        }
    }
    assert_eq!(bodies.keys().cloned().collect::<BTreeSet<_>>(), expected);
    assert!(refused_keys >= 4, "{refused_keys} refused deliveries");
    // Accepted exactly once each (the receiver answered 200 once per key).
    let mut accepted: BTreeMap<String, usize> = BTreeMap::new();
    for r in all.iter().filter(|r| r.status == 200) {
        *accepted
            .entry(r.header(IDEMPOTENCY_HEADER).unwrap())
            .or_default() += 1;
    }
    assert!(accepted.values().all(|n| *n == 1), "{accepted:?}");
    let closed: Notification = serde_json::from_slice(
        &bodies[&Notification::key_of(&tenant, "inc-agg2", "closed".parse_kind(), t4)],
    )
    .unwrap();
    assert_eq!(closed.closed_at, Some(t4));
    assert_eq!(closed.incident.subscribers_affected, 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_memory_outbox_drops_the_oldest_and_counts_it() {
    let counts: Arc<std::sync::Mutex<BTreeMap<(String, String), u32>>> = Arc::default();
    let c = counts.clone();
    // A receiver that never answers: nothing is delivered, the outbox fills up.
    let hook = Webhook::new("http://127.0.0.1:9/hook", Secret::new("k"));
    let notifier = Notifier::spawn(
        config(&hook, Outbox::memory(2))
            .backoff(Backoff::new(
                Duration::from_secs(60),
                Duration::from_secs(60),
            ))
            .count(Arc::new(move |sink: &str, result: &str| {
                *c.lock()
                    .unwrap()
                    .entry((sink.to_owned(), result.to_owned()))
                    .or_default() += 1;
            })),
    )
    .unwrap();
    let tenant: TenantId = "demo-isp".parse().unwrap();
    let t0 = Utc::now();
    for i in 0..4 {
        let at = t0 + TimeDelta::seconds(i);
        let incidents = if i % 2 == 0 {
            vec![incident(0, at)] // a new opening each time: a new key
        } else {
            vec![]
        };
        notifier
            .submit(Arc::new(doc(&tenant, at, incidents)), Context::new())
            .await;
    }
    let start = std::time::Instant::now();
    while counts
        .lock()
        .unwrap()
        .get(&("webhook".into(), "dropped".into()))
        .copied()
        .unwrap_or(0)
        < 2
    {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{:?}",
            counts.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    notifier.shutdown().await;
    assert_eq!(
        counts.lock().unwrap()[&("webhook".into(), "dropped".into())],
        2
    );
}

trait ParseKind {
    fn parse_kind(&self) -> ispvm_schemas::notification::NotificationKind;
}

impl ParseKind for str {
    fn parse_kind(&self) -> ispvm_schemas::notification::NotificationKind {
        serde_json::from_value(serde_json::Value::String(self.to_owned())).unwrap()
    }
}
