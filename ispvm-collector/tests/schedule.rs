//! Schedule properties on a paused tokio clock with in-memory adapters: spread starts,
//! jitter bounds, capped backoff, the concurrency limit, runtime changes, cancellation.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use ispvm_collector::{
    Collector, CollectorConfig, FailureKind, Intervals, PollOutcome, PollReport, Target, TargetKey,
    Upsert,
};
use ispvm_model::{AdapterError, Collection, DeviceAdapter, DeviceIdentity, Tier};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

const OK: u8 = 0;
const PROTOCOL: u8 = 1;
const TIMEOUT: u8 = 2;
const HANG: u8 = 3;

/// Records every call; answers after `work` as `mode` says.
struct Fake {
    calls: Mutex<Vec<(Tier, Instant)>>,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
    work: Duration,
    mode: AtomicU8,
}

impl Fake {
    fn new(work: Duration) -> Arc<Self> {
        Self::shared(work, Arc::default(), Arc::default())
    }
    fn shared(work: Duration, in_flight: Arc<AtomicUsize>, max: Arc<AtomicUsize>) -> Arc<Self> {
        Arc::new(Self {
            calls: Mutex::default(),
            in_flight,
            max_in_flight: max,
            work,
            mode: AtomicU8::new(OK),
        })
    }
    fn times(&self, tier: Tier) -> Vec<Instant> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|(t, _)| *t == tier)
            .map(|(_, at)| *at)
            .collect()
    }
}

#[async_trait]
impl DeviceAdapter for Fake {
    async fn identity(&self) -> Result<DeviceIdentity, AdapterError> {
        Ok(DeviceIdentity::new("fake".parse().unwrap(), "test"))
    }
    async fn collect(&self) -> Result<Collection, AdapterError> {
        self.collect_tier(Tier::Fast).await
    }
    async fn collect_tier(&self, tier: Tier) -> Result<Collection, AdapterError> {
        self.calls.lock().unwrap().push((tier, Instant::now()));
        let n = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(n, Ordering::SeqCst);
        struct Guard<'a>(&'a AtomicUsize);
        impl Drop for Guard<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
        let _g = Guard(&self.in_flight);
        let mode = self.mode.load(Ordering::SeqCst);
        if mode == HANG {
            tokio::time::sleep(Duration::from_secs(24 * 3600)).await;
        }
        tokio::time::sleep(self.work).await;
        let device = "fake".to_owned();
        match mode {
            PROTOCOL => Err(AdapterError::Protocol {
                device,
                message: "bad\nreply".into(),
                source: None,
            }),
            TIMEOUT => Err(AdapterError::Timeout {
                device,
                operation: "/interface/print".into(),
            }),
            _ => Ok(Collection::new()),
        }
    }
}

fn fast_only(secs: u64) -> Intervals {
    Intervals::default()
        .with(Tier::Fast, Some(Duration::from_secs(secs)))
        .with(Tier::Medium, None)
        .with(Tier::Slow, None)
}

fn target(i: usize, adapter: Arc<Fake>) -> Target {
    Target::new(
        "t1".parse().unwrap(),
        format!("r{i}").parse().unwrap(),
        adapter,
    )
}

fn key(i: usize) -> TargetKey {
    TargetKey {
        tenant: "t1".parse().unwrap(),
        target: format!("r{i}").parse().unwrap(),
    }
}

struct Running {
    collector: Collector,
    cancel: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), ispvm_collector::RunError>>,
    rx: mpsc::UnboundedReceiver<PollReport>,
}

fn start(config: CollectorConfig, targets: Vec<Target>) -> Running {
    let (tx, rx) = mpsc::unbounded_channel();
    let collector = Collector::new(config.with_seed(42), tx).unwrap();
    for t in targets {
        assert_eq!(collector.upsert(t).unwrap(), Upsert::Added);
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
    async fn stop(self) -> mpsc::UnboundedReceiver<PollReport> {
        self.cancel.cancel();
        self.task.await.unwrap().unwrap();
        self.rx
    }
}

fn drain(rx: &mut mpsc::UnboundedReceiver<PollReport>) -> Vec<PollReport> {
    let mut v = Vec::new();
    while let Ok(r) = rx.try_recv() {
        v.push(r);
    }
    v
}

#[tokio::test(start_paused = true)]
async fn starts_spread_over_the_first_interval_and_intervals_stay_within_jitter() {
    let n = 3000;
    let fakes: Vec<Arc<Fake>> = (0..n)
        .map(|_| Fake::new(Duration::from_millis(50)))
        .collect();
    let t0 = Instant::now();
    let config = CollectorConfig::default()
        .with_intervals(fast_only(30))
        .with_jitter_percent(15)
        .with_max_concurrent_polls(10_000);
    let run = start(
        config,
        fakes
            .iter()
            .enumerate()
            .map(|(i, f)| target(i, f.clone()))
            .collect(),
    );
    tokio::time::sleep(Duration::from_secs(600)).await;
    let mut rx = run.stop().await;
    assert!(drain(&mut rx).len() >= n * 17);

    let mut first_second = vec![0usize; 30];
    let mut all_seconds: HashMap<u64, usize> = HashMap::new();
    for f in &fakes {
        let times = f.times(Tier::Fast);
        assert!(times.len() >= 17, "{}", times.len());
        let first = times[0] - t0;
        assert!(first < Duration::from_secs(30), "{first:?}");
        first_second[first.as_secs() as usize] += 1;
        for w in times.windows(2) {
            let gap = w[1] - w[0];
            assert!(
                gap >= Duration::from_millis(25_500) && gap <= Duration::from_millis(34_500),
                "gap {gap:?} outside 30 s ± 15 %"
            );
        }
        for t in &times {
            *all_seconds.entry((*t - t0).as_secs()).or_default() += 1;
        }
    }
    // no thundering herd at start: 3000 first polls over 30 s is a mean of 100 per second
    let busiest = *first_second.iter().max().unwrap();
    assert!(busiest < 150, "busiest start second had {busiest} polls");
    assert!(first_second.iter().all(|c| *c > 50), "{first_second:?}");
    // nor later: every second of the steady state stays under 2x the mean
    let steady: Vec<usize> = (60..580)
        .map(|s| all_seconds.get(&s).copied().unwrap_or(0))
        .collect();
    let mean = steady.iter().sum::<usize>() as f64 / steady.len() as f64;
    let max = *steady.iter().max().unwrap() as f64;
    assert!(max < 2.0 * mean, "busiest second {max} vs mean {mean}");
}

#[tokio::test(start_paused = true)]
async fn tiers_run_at_their_own_intervals() {
    let f = Fake::new(Duration::from_millis(10));
    let run = start(
        CollectorConfig::default()
            .with_intervals(Intervals::new(
                Duration::from_secs(10),
                Duration::from_secs(60),
                Duration::from_secs(300),
            ))
            .with_jitter_percent(10),
        vec![target(0, f.clone())],
    );
    tokio::time::sleep(Duration::from_secs(1200)).await;
    run.stop().await;
    for (tier, secs) in [
        (Tier::Fast, 10.0),
        (Tier::Medium, 60.0),
        (Tier::Slow, 300.0),
    ] {
        let t = f.times(tier);
        let expect = 1200.0 / secs;
        assert!(
            (t.len() as f64) >= expect * 0.85 && (t.len() as f64) <= expect * 1.15 + 1.0,
            "{tier}: {} polls, expected about {expect}",
            t.len()
        );
        for w in t.windows(2) {
            let gap = (w[1] - w[0]).as_secs_f64();
            // two tiers due together run one after the other: allow the other poll's 10 ms
            assert!(
                gap >= secs * 0.9 && gap <= secs * 1.1 + 0.05,
                "{tier}: gap {gap}"
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn failures_back_off_exponentially_capped_then_recover() {
    let f = Fake::new(Duration::ZERO);
    f.mode.store(PROTOCOL, Ordering::SeqCst);
    let run = start(
        CollectorConfig::default()
            .with_intervals(fast_only(30))
            .with_backoff(Duration::from_secs(5), Duration::from_secs(40)),
        vec![target(0, f.clone())],
    );
    // attempts 1..=8: after failure n the wait is in [c/2, c], c = 5, 10, 20, 40, 40, 40, 40
    tokio::time::sleep(Duration::from_secs(30 + 5 + 10 + 20 + 40 * 4 + 1)).await;
    let times = f.times(Tier::Fast);
    assert!(times.len() >= 8, "{}", times.len());
    let ceilings = [5u64, 10, 20, 40, 40, 40, 40];
    for (w, c) in times.windows(2).zip(ceilings) {
        let gap = w[1] - w[0];
        let c = Duration::from_secs(c);
        assert!(
            gap >= c / 2 && gap <= c,
            "gap {gap:?} not within [{:?}, {c:?}]",
            c / 2
        );
    }
    let stats = run.collector.stats(&key(0)).unwrap();
    assert_eq!(stats.consecutive_failures as usize, times.len());
    assert_eq!(stats.polls_ok, 0);
    assert_eq!(
        stats.last_error.as_deref(),
        Some("device fake: protocol error: bad reply")
    );
    assert!(stats.next_due.is_some());

    // recovery: the next attempt succeeds and the regular interval resumes
    f.mode.store(OK, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(41 + 35 * 3)).await;
    let times = f.times(Tier::Fast);
    let stats = run.collector.stats(&key(0)).unwrap();
    assert_eq!(stats.consecutive_failures, 0);
    assert!(stats.polls_ok >= 3, "{stats:?}");
    let last = &times[times.len() - 2..];
    let gap = last[1] - last[0];
    assert!(gap >= Duration::from_millis(25_500) && gap <= Duration::from_millis(34_500));
    let reports = drain(&mut run.stop().await);
    assert!(reports.iter().any(|r| r.result() == "error"));
    assert!(reports.iter().any(|r| r.result() == "ok"));
}

#[tokio::test(start_paused = true)]
async fn concurrency_limit_is_never_exceeded() {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let max = Arc::new(AtomicUsize::new(0));
    let fakes: Vec<Arc<Fake>> = (0..100)
        .map(|_| Fake::shared(Duration::from_secs(2), in_flight.clone(), max.clone()))
        .collect();
    let run = start(
        CollectorConfig::default()
            .with_intervals(fast_only(5))
            .with_max_concurrent_polls(7),
        fakes
            .iter()
            .enumerate()
            .map(|(i, f)| target(i, f.clone()))
            .collect(),
    );
    tokio::time::sleep(Duration::from_secs(120)).await;
    let reports = drain(&mut run.stop().await);
    // 100 targets want 20 polls/s of 2 s each; 7 slots give 3.5 polls/s
    assert_eq!(max.load(Ordering::SeqCst), 7);
    assert!(reports.len() >= 400, "{}", reports.len());
    assert!(reports.iter().all(PollReport::is_ok));
    assert_eq!(in_flight.load(Ordering::SeqCst), 0);
}

#[tokio::test(start_paused = true)]
async fn failure_kinds_come_from_typed_errors_and_the_poll_deadline() {
    let timeout = Fake::new(Duration::ZERO);
    timeout.mode.store(TIMEOUT, Ordering::SeqCst);
    let error = Fake::new(Duration::ZERO);
    error.mode.store(PROTOCOL, Ordering::SeqCst);
    let hang = Fake::new(Duration::ZERO);
    hang.mode.store(HANG, Ordering::SeqCst);
    let run = start(
        CollectorConfig::default()
            .with_intervals(fast_only(30))
            .with_poll_timeout(Duration::from_secs(20)),
        vec![target(0, timeout), target(1, error), target(2, hang)],
    );
    tokio::time::sleep(Duration::from_secs(55)).await;
    let reports = drain(&mut run.stop().await);
    let by = |i: usize| {
        reports
            .iter()
            .find(|r| r.target.as_str() == format!("r{i}"))
            .unwrap_or_else(|| panic!("no report for r{i}"))
    };
    let failure = |r: &PollReport| match &r.outcome {
        PollOutcome::Failed(f) => f.clone(),
        PollOutcome::Collected(_) => panic!("collected"),
        _ => panic!("unknown outcome"),
    };
    let t = failure(by(0));
    assert_eq!((t.kind, by(0).result()), (FailureKind::Timeout, "timeout"));
    assert!(matches!(t.error, Some(AdapterError::Timeout { .. })));
    let e = failure(by(1));
    assert_eq!((e.kind, by(1).result()), (FailureKind::Error, "error"));
    assert_eq!(e.message, "device fake: protocol error: bad reply");
    let h = failure(by(2));
    assert_eq!(h.kind, FailureKind::Timeout);
    assert_eq!(h.error, None);
    assert_eq!(by(2).duration, Duration::from_secs(20));
    assert_eq!(by(0).tenant.as_str(), "t1");
    assert_eq!(by(0).tier, Tier::Fast);
}

#[tokio::test(start_paused = true)]
async fn cancel_during_a_poll_returns_at_once_or_after_the_grace() {
    for (grace, work, delivered) in [
        (Duration::ZERO, Duration::from_secs(3600), false),
        (Duration::from_secs(5), Duration::from_secs(2), true),
        (Duration::from_secs(5), Duration::from_secs(3600), false),
    ] {
        let f = Fake::new(work);
        let run = start(
            CollectorConfig::default()
                .with_intervals(fast_only(10))
                .with_shutdown_grace(grace),
            vec![target(0, f.clone())],
        );
        // wait until the poll is in flight
        while f.in_flight.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let t = Instant::now();
        let mut rx = run.stop().await;
        let waited = t.elapsed();
        let expect = if delivered { work } else { grace };
        assert!(
            waited <= expect + Duration::from_millis(1),
            "{waited:?} vs {expect:?}"
        );
        assert_eq!(
            drain(&mut rx).len(),
            usize::from(delivered),
            "grace {grace:?}"
        );
        assert_eq!(f.in_flight.load(Ordering::SeqCst), 0);
    }
}

#[tokio::test(start_paused = true)]
async fn runtime_changes_touch_only_the_targets_they_name() {
    let (a, b, c) = (
        Fake::new(Duration::ZERO),
        Fake::new(Duration::ZERO),
        Fake::new(Duration::ZERO),
    );
    let ta = target(0, a.clone()).with_intervals(fast_only(10));
    let tb = target(1, b.clone()).with_intervals(fast_only(10));
    let run = start(CollectorConfig::default(), vec![ta, tb.clone()]);
    tokio::time::sleep(Duration::from_secs(35)).await;
    let b_due = run.collector.stats(&key(1)).unwrap().next_due.unwrap();
    let b_calls = b.times(Tier::Fast).len();
    let summary = run
        .collector
        .sync(vec![
            tb.clone(),
            target(2, c.clone()).with_intervals(fast_only(10)),
        ])
        .unwrap();
    assert_eq!(
        (
            summary.added,
            summary.removed,
            summary.unchanged,
            summary.replaced
        ),
        (1, 1, 1, 0)
    );
    assert_eq!(run.collector.len(), 2);
    assert!(run.collector.stats(&key(0)).is_none());
    let a_calls = a.times(Tier::Fast).len();
    // B's schedule goes on: its next due time did not move
    // (next_due is wall-clock time computed at query time from the paused tokio clock, so
    // the two readings differ by the real time between them, microseconds)
    let moved = run.collector.stats(&key(1)).unwrap().next_due.unwrap() - b_due;
    assert!(
        moved.abs() < chrono::Duration::milliseconds(50),
        "{moved:?}"
    );
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert_eq!(
        a.times(Tier::Fast).len(),
        a_calls,
        "a removed target is not polled"
    );
    assert!(b.times(Tier::Fast).len() >= b_calls + 2);
    assert!(c.times(Tier::Fast).len() >= 2, "an added target is polled");
    // same key, new adapter: replaced (restarted); the old adapter is no longer polled
    let b2 = Fake::new(Duration::ZERO);
    assert_eq!(
        run.collector
            .upsert(target(1, b2.clone()).with_intervals(fast_only(10)))
            .unwrap(),
        Upsert::Replaced
    );
    assert_eq!(run.collector.upsert(tb.clone()).unwrap(), Upsert::Replaced);
    assert_eq!(run.collector.upsert(tb).unwrap(), Upsert::Unchanged);
    assert!(run.collector.remove(&key(2)));
    assert!(!run.collector.remove(&key(2)));
    let stats = run.collector.all_stats();
    assert_eq!(
        stats.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
        vec![key(1)]
    );
    run.stop().await;
}

#[tokio::test(start_paused = true)]
async fn run_twice_at_once_is_refused_and_bad_config_is_an_error() {
    let run = start(CollectorConfig::default(), vec![]);
    tokio::task::yield_now().await;
    assert_eq!(
        run.collector.run(CancellationToken::new()).await,
        Err(ispvm_collector::RunError::AlreadyRunning)
    );
    run.stop().await;
    let (tx, _rx) = mpsc::unbounded_channel::<PollReport>();
    assert!(
        Collector::new(
            CollectorConfig::default().with_max_concurrent_polls(0),
            tx.clone()
        )
        .is_err()
    );
    let c = Collector::new(CollectorConfig::default(), tx).unwrap();
    let bad = target(0, Fake::new(Duration::ZERO))
        .with_intervals(Intervals::default().with(Tier::Fast, Some(Duration::from_millis(1))));
    assert!(matches!(
        c.upsert(bad),
        Err(ispvm_collector::ConfigError::IntervalTooShort {
            tier: Tier::Fast,
            ..
        })
    ));
}

#[tokio::test(start_paused = true)]
async fn a_reload_with_new_adapter_objects_keeps_targets_of_the_same_revision() {
    let (a, a2, b, b2) = (
        Fake::new(Duration::ZERO),
        Fake::new(Duration::ZERO),
        Fake::new(Duration::ZERO),
        Fake::new(Duration::ZERO),
    );
    let run = start(
        CollectorConfig::default().with_intervals(fast_only(10)),
        vec![
            target(0, a.clone()).with_revision(1),
            target(1, b.clone()).with_revision(1),
        ],
    );
    tokio::time::sleep(Duration::from_secs(25)).await;
    // the reload builds new adapters; r0's entry is unchanged (revision 1), r1's changed (2)
    let summary = run
        .collector
        .sync(vec![
            target(0, a2.clone()).with_revision(1),
            target(1, b2.clone()).with_revision(2),
        ])
        .unwrap();
    assert_eq!((summary.unchanged, summary.replaced), (1, 1));
    let (a_calls, b_calls) = (a.times(Tier::Fast).len(), b.times(Tier::Fast).len());
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert!(
        a.times(Tier::Fast).len() >= a_calls + 2,
        "the kept target's adapter polls on"
    );
    assert!(a2.times(Tier::Fast).is_empty());
    assert_eq!(
        b.times(Tier::Fast).len(),
        b_calls,
        "the replaced adapter stops"
    );
    assert!(b2.times(Tier::Fast).len() >= 2);
    run.stop().await;
}
