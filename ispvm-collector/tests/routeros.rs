//! The collector against real `ispvm-sim` routers over loopback TCP: one connection per
//! router reused across polls, re-login after the router drops it, a slow command times out
//! and closes its connection, cancellation during a poll.

use std::sync::Arc;
use std::time::Duration;

use ispvm_collector::{
    Collector, CollectorConfig, FailureKind, Intervals, PollOutcome, PollReport, Target, Timeouts,
};
use ispvm_model::{AdapterError, Tier};
use ispvm_routeros::Secret;
use ispvm_routeros::client::ClientConfig;
use ispvm_routeros::sim::{SimHandle, SimRouter, SimState};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

async fn sim(state: SimState) -> SimHandle {
    SimRouter::builder()
        .state(state)
        .user("monitor", "pw")
        .start()
        .await
        .unwrap()
}

fn timeouts() -> Timeouts {
    Timeouts {
        connect: Duration::from_secs(2),
        login: Duration::from_secs(2),
        command: Duration::from_secs(1),
    }
}

fn routeros_target(s: &SimHandle, name: &str) -> Target {
    let client =
        ClientConfig::new("127.0.0.1", "monitor", Secret::new("pw")).with_port(s.addr().port());
    let adapter = ispvm_collector::routeros::adapter(client, &timeouts())
        .with_device_id(name.parse().unwrap());
    Target::new(
        "isp".parse().unwrap(),
        name.parse().unwrap(),
        Arc::new(adapter),
    )
}

struct Running {
    collector: Collector,
    cancel: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), ispvm_collector::RunError>>,
    rx: mpsc::Receiver<PollReport>,
}

fn start(intervals: Intervals, targets: Vec<Target>) -> Running {
    let (tx, rx) = mpsc::channel(1024);
    let config = CollectorConfig::default()
        .with_intervals(intervals)
        .with_timeouts(timeouts())
        .with_backoff(Duration::from_millis(200), Duration::from_secs(1))
        .with_seed(7);
    let collector = Collector::new(config, tx).unwrap();
    for t in targets {
        collector.upsert(t).unwrap();
    }
    let cancel = CancellationToken::new();
    let task = tokio::spawn({
        let (c, t) = (collector.clone(), cancel.clone());
        async move { c.run(t).await }
    });
    Running {
        collector,
        cancel,
        task,
        rx,
    }
}

impl Running {
    async fn next(&mut self) -> PollReport {
        tokio::time::timeout(Duration::from_secs(30), self.rx.recv())
            .await
            .expect("a report within 30 s")
            .expect("channel open")
    }
    async fn stop(self) {
        self.cancel.cancel();
        tokio::time::timeout(Duration::from_secs(5), self.task)
            .await
            .expect("run returns promptly")
            .unwrap()
            .unwrap();
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[tokio::test]
async fn one_login_serves_every_poll_of_every_tier() {
    let a = sim(SimState::concentrator("bras1", 1500)).await;
    let b = sim(SimState::default_aggregation()).await;
    let mut run = start(
        Intervals::new(ms(150), ms(300), ms(600)),
        vec![routeros_target(&a, "bras1"), routeros_target(&b, "agg1")],
    );
    let mut tiers = std::collections::BTreeMap::new();
    for _ in 0..30 {
        let r = run.next().await;
        assert_eq!(r.result(), "ok", "{r:?}");
        *tiers.entry((r.target.to_string(), r.tier)).or_insert(0) += 1;
        if let PollOutcome::Collected(c) = &r.outcome {
            assert!(c.warnings.is_empty(), "{:?}", c.warnings);
            if r.tier == Tier::Fast && r.target.as_str() == "bras1" {
                assert!(c.samples.iter().any(
                    |s| s.metric_name == "pppoe.sessions.active" && s.as_f64() == Some(1500.0)
                ));
            }
        }
    }
    assert!(
        tiers
            .get(&("bras1".into(), Tier::Fast))
            .copied()
            .unwrap_or(0)
            >= 3,
        "{tiers:?}"
    );
    assert!(tiers.keys().any(|(_, t)| *t == Tier::Medium), "{tiers:?}");
    // 30 polls, two routers, one login each
    assert_eq!((a.logins(), b.logins()), (1, 1));
    assert_eq!((a.connections(), b.connections()), (1, 1));
    let stats = run.collector.all_stats();
    assert_eq!(stats.len(), 2);
    assert!(
        stats
            .iter()
            .all(|(_, s)| s.last_ok.is_some() && s.consecutive_failures == 0)
    );
    run.stop().await;
}

#[tokio::test]
async fn a_dropped_connection_is_logged_in_again_once() {
    let a = sim(SimState::default_aggregation()).await;
    let mut run = start(
        Intervals::default()
            .with(Tier::Fast, Some(ms(100)))
            .with(Tier::Medium, None)
            .with(Tier::Slow, None),
        vec![routeros_target(&a, "agg1")],
    );
    for _ in 0..3 {
        assert!(run.next().await.is_ok());
    }
    assert_eq!(a.logins(), 1);
    a.drop_connections();
    // at most one poll sees the dead connection; then polls succeed on a new login
    let mut failures = 0;
    let mut oks = 0;
    while oks < 3 {
        let r = run.next().await;
        if r.is_ok() {
            oks += 1;
        } else {
            failures += 1;
            assert_eq!(r.result(), "error", "{r:?}");
        }
    }
    assert!(failures <= 1, "{failures}");
    assert_eq!(a.logins(), 2);
    run.stop().await;
}

#[tokio::test]
async fn a_slow_command_times_out_and_closes_its_connection() {
    let a = sim(SimState::default_aggregation()).await;
    let mut run = start(
        Intervals::default()
            .with(Tier::Fast, Some(ms(200)))
            .with(Tier::Medium, None)
            .with(Tier::Slow, None),
        vec![routeros_target(&a, "agg1")],
    );
    assert!(run.next().await.is_ok());
    assert_eq!(a.logins(), 1);
    a.set_reply_delay(Duration::from_secs(3));
    let r = loop {
        let r = run.next().await;
        if !r.is_ok() {
            break r;
        }
    };
    assert_eq!(r.result(), "timeout");
    let PollOutcome::Failed(f) = &r.outcome else {
        panic!("{r:?}")
    };
    assert_eq!(f.kind, FailureKind::Timeout);
    assert!(
        matches!(f.error, Some(AdapterError::Timeout { .. })),
        "{f:?}"
    );
    assert!(r.duration >= Duration::from_secs(1) && r.duration < Duration::from_secs(3));
    a.set_reply_delay(Duration::ZERO);
    let r = loop {
        let r = run.next().await;
        if r.is_ok() {
            break r;
        }
    };
    assert!(r.is_ok());
    // the timed-out connection was closed by the client, never reused: the simulator ends
    // up with the one new connection (a leaked old one would keep the count at 2)
    tokio::time::timeout(Duration::from_secs(10), async {
        while a.connections() != 1 {
            tokio::time::sleep(ms(20)).await;
        }
    })
    .await
    .expect("the simulator sees the old connection closed");
    assert_eq!(a.logins(), 2, "a new connection after the timeout");
    run.stop().await;
}

#[tokio::test]
async fn cancel_during_a_slow_poll_returns_promptly() {
    let a = sim(SimState::default_aggregation()).await;
    a.set_reply_delay(Duration::from_secs(30));
    let slow_commands = Timeouts {
        command: Duration::from_secs(60),
        ..timeouts()
    };
    let client =
        ClientConfig::new("127.0.0.1", "monitor", Secret::new("pw")).with_port(a.addr().port());
    let adapter = ispvm_collector::routeros::adapter(client, &slow_commands);
    let target = Target::new(
        "isp".parse().unwrap(),
        "agg1".parse().unwrap(),
        Arc::new(adapter),
    );
    let run = start(
        Intervals::default().with(Tier::Fast, Some(ms(100))),
        vec![target],
    );
    // the login is delayed too: wait until the poll is under way
    tokio::time::timeout(Duration::from_secs(5), async {
        while a.connections() == 0 {
            tokio::time::sleep(ms(10)).await;
        }
    })
    .await
    .unwrap();
    tokio::time::sleep(ms(200)).await;
    let t = std::time::Instant::now();
    run.stop().await;
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
}
