//! Speed targets of issue 4, measured (numbers in `ispvm-routeros/README.md`):
//!
//! - `decode/interface_print`: words per second decoding realistic `/interface/print` replies
//!   (target: at least 5 million words per second per core).
//! - `ppp_active_50k/*`: `/ppp/active/print` of 50,000 sessions from the simulator over
//!   loopback, rows collected then counted on the client (`Client::command`), rows counted
//!   as they stream in (`Client::count_rows`); and the adapter's own poll of that concentrator
//!   (which counts with `=count-only=`). Target: under 150 ms.
//! - `poll_cycle/1000_routers`: one process polls 1,000 simulated routers concurrently (every
//!   menu of the adapter, per-router start jitter up to 500 ms). Target: under 3 s on 2 cores,
//!   under 200 MB resident. The simulators run in the same process on a separate 1-thread
//!   runtime; the peak RSS printed therefore includes them (an upper bound for the poller).
//!
//! `cargo bench -p ispvm-routeros --features sim`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ispvm_model::DeviceAdapter;
use ispvm_routeros::client::{Client, ClientConfig};
use ispvm_routeros::proto::{Command, Decoder, Limits, Reply, Sentence};
use ispvm_routeros::sim::{SimHandle, SimRouter, SimState};
use ispvm_routeros::{RouterOsAdapter, Secret};

/// A `/interface/print` reply as RouterOS 7 sends it: `n` rows of 27 attributes, then `!done`.
fn interface_print(n: usize) -> (Vec<u8>, u64) {
    let mut out = Vec::new();
    let mut words = 0u64;
    for i in 0..n {
        let attrs = [
            format!("=.id=*{:X}", i + 1),
            format!("=name=sfp-sfpplus{i}"),
            format!("=default-name=sfp-sfpplus{i}"),
            "=type=ether".to_owned(),
            "=mtu=1500".to_owned(),
            "=actual-mtu=1500".to_owned(),
            "=l2mtu=1592".to_owned(),
            "=max-l2mtu=10218".to_owned(),
            format!("=mac-address=48:A9:8A:12:{:02X}:{:02X}", i / 256, i % 256),
            "=last-link-down-time=2023-06-26 10:12:13".to_owned(),
            "=last-link-up-time=2023-06-26 10:12:21".to_owned(),
            format!("=link-downs={}", i % 7),
            format!("=rx-byte={}", 9_000_000_000_000u64 / (i as u64 + 1)),
            format!("=tx-byte={}", 4_000_000_000_000u64 / (i as u64 + 1)),
            format!("=rx-packet={}", 7_000_000_000u64 / (i as u64 + 1)),
            format!("=tx-packet={}", 3_000_000_000u64 / (i as u64 + 1)),
            "=rx-drop=0".to_owned(),
            "=tx-drop=0".to_owned(),
            "=tx-queue-drop=0".to_owned(),
            "=rx-error=0".to_owned(),
            "=tx-error=0".to_owned(),
            "=fp-rx-byte=0".to_owned(),
            "=fp-tx-byte=0".to_owned(),
            "=running=true".to_owned(),
            "=slave=false".to_owned(),
            "=disabled=false".to_owned(),
            format!("=comment=uplink to pop{i} ring east"),
        ];
        let mut s = Sentence::new();
        s.push(&b"!re"[..]);
        for a in attrs {
            s.push(a.into_bytes());
        }
        words += s.len() as u64;
        s.encode(&mut out).unwrap();
    }
    Sentence::from_words([&b"!done"[..]])
        .encode(&mut out)
        .unwrap();
    (out, words + 1)
}

fn decode(c: &mut Criterion) {
    let (wire, words) = interface_print(64);
    let mut g = c.benchmark_group("decode");
    g.sample_size(30)
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(words));
    g.bench_function("interface_print_64_rows", |b| {
        b.iter_batched_ref(
            || BytesMut::from(&wire[..]),
            |buf| {
                let mut dec = Decoder::new(Limits::default());
                let mut n = 0;
                while let Some(s) = dec.decode(buf).unwrap() {
                    n += s.len();
                }
                assert_eq!(n as u64, words);
            },
            BatchSize::SmallInput,
        );
    });
    g.bench_function("interface_print_64_rows_parsed", |b| {
        b.iter_batched_ref(
            || BytesMut::from(&wire[..]),
            |buf| {
                let mut dec = Decoder::new(Limits::default());
                let mut running = 0;
                while let Some(s) = dec.decode(buf).unwrap() {
                    let r = Reply::parse(s).unwrap();
                    if r.get("running").and_then(|v| v.as_bool()) == Some(true) {
                        running += 1;
                    }
                }
                assert_eq!(running, 64);
            },
            BatchSize::SmallInput,
        );
    });
    g.finish();
}

fn runtime(threads: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .unwrap()
}

async fn start(state: SimState) -> SimHandle {
    SimRouter::builder()
        .state(state)
        .user("bench", "pw")
        .listen("127.0.0.1:0".parse().unwrap())
        .start()
        .await
        .unwrap()
}

fn config(sim: &SimHandle) -> ClientConfig {
    ClientConfig::new("127.0.0.1", "bench", Secret::new("pw"))
        .with_port(sim.addr().port())
        .with_command_timeout(Duration::from_secs(30))
}

fn ppp_active(c: &mut Criterion) {
    let sims = runtime(1);
    let sim = sims.block_on(start(SimState::concentrator("bras1", 50_000)));
    let rt = runtime(1);
    let client = rt.block_on(Client::connect(&config(&sim))).unwrap();
    let adapter = RouterOsAdapter::new(config(&sim));
    let mut g = c.benchmark_group("ppp_active_50k");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    g.bench_function("print_all_rows_counted_by_client", |b| {
        b.iter(|| {
            rt.block_on(async {
                let r = client
                    .command(Command::new("/ppp/active/print"))
                    .await
                    .unwrap();
                let pppoe = r
                    .rows
                    .iter()
                    .filter(|row| row.get("service").and_then(|v| v.as_str()) == Some("pppoe"))
                    .count();
                assert_eq!(pppoe, 50_000);
            })
        });
    });
    g.bench_function("print_all_rows_streamed_count", |b| {
        b.iter(|| {
            rt.block_on(async {
                let pppoe = client
                    .count_rows(Command::new("/ppp/active/print"), |row| {
                        row.get("service").and_then(|v| v.as_str()) == Some("pppoe")
                    })
                    .await
                    .unwrap();
                assert_eq!(pppoe, 50_000);
            })
        });
    });
    g.bench_function("adapter_collect_count_only", |b| {
        b.iter(|| {
            rt.block_on(async {
                let c = adapter.collect().await.unwrap();
                let n = c
                    .samples
                    .iter()
                    .find(|s| s.metric_name == "pppoe.sessions.active")
                    .and_then(|s| s.as_f64());
                assert_eq!(n, Some(50_000.0));
            })
        });
    });
    g.finish();
    drop(client);
    drop(adapter);
    sims.block_on(sim.shutdown());
}

/// Resets the peak resident set (`VmHWM`) of this process (Linux: `clear_refs` value 5).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Resident set (current, peak) in MiB from `/proc/self/status` (Linux only).
fn rss_mib() -> Option<(f64, f64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))?
            .split_whitespace()
            .nth(1)?
            .parse::<f64>()
            .ok()
            .map(|kib| kib / 1024.0)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

fn poll_cycle(c: &mut Criterion) {
    const ROUTERS: usize = 1000;
    const JITTER_MS: u64 = 500;
    // Criterion's analysis of earlier groups allocates; measure this group's peak only.
    reset_peak_rss();
    let sims_rt = runtime(1);
    let sims: Vec<SimHandle> = sims_rt.block_on(async {
        let mut v = Vec::with_capacity(ROUTERS);
        for i in 0..ROUTERS {
            let state = match i % 10 {
                0 => SimState::core(&format!("core{i}")),
                1..=3 => SimState::aggregation(&format!("agg{i}")),
                4 => SimState::concentrator(&format!("bras{i}"), 2000).with_version("6.49.10"),
                _ => SimState::access(&format!("acc{i}")),
            };
            v.push(start(state).await);
        }
        v
    });
    let after_sims = rss_mib();
    let rt = runtime(2);
    let adapters: Arc<Vec<RouterOsAdapter>> = Arc::new(
        sims.iter()
            .map(|s| RouterOsAdapter::new(config(s)))
            .collect(),
    );
    let cycle = |adapters: Arc<Vec<RouterOsAdapter>>| async move {
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..ROUTERS {
            let adapters = Arc::clone(&adapters);
            // Deterministic per-router jitter in [0, JITTER_MS).
            let jitter = Duration::from_millis((i as u64 * 7919) % JITTER_MS);
            tasks.spawn(async move {
                tokio::time::sleep(jitter).await;
                adapters[i].collect().await.map(|c| c.samples.len())
            });
        }
        let mut samples = 0;
        while let Some(r) = tasks.join_next().await {
            samples += r.unwrap().unwrap();
        }
        samples
    };
    // First cycle logs in everywhere; report it separately.
    let t = Instant::now();
    let samples = rt.block_on(cycle(Arc::clone(&adapters)));
    let first = t.elapsed();
    let after_first = rss_mib();
    reset_peak_rss();
    let t = Instant::now();
    rt.block_on(cycle(Arc::clone(&adapters)));
    let second = t.elapsed();
    let after_second = rss_mib();
    let mut g = c.benchmark_group("poll_cycle");
    g.sample_size(10).measurement_time(Duration::from_secs(15));
    g.bench_function("1000_routers", |b| {
        b.iter(|| rt.block_on(cycle(Arc::clone(&adapters))));
    });
    g.finish();
    if let Ok(n) = std::env::var("ISPVM_BENCH_EXTRA_CYCLES") {
        // Leak check: RSS after many more cycles.
        for i in 0..n.parse::<usize>().unwrap_or(0) {
            rt.block_on(cycle(Arc::clone(&adapters)));
            let conns: usize = sims.iter().map(SimHandle::connections).sum();
            eprintln!(
                "extra cycle {i}: RSS (current, peak) {:?} MiB, {conns} simulator connections",
                rss_mib()
            );
        }
    }
    let after_bench = rss_mib();
    eprintln!("poll_cycle: after the benchmark's cycles, RSS (current, peak) {after_bench:?} MiB");
    eprintln!(
        "poll_cycle: {ROUTERS} routers, {samples} samples per cycle; RSS (current, peak) in MiB: \
         simulators started {after_sims:?}; first cycle (with logins) {first:.2?}, {after_first:?}; \
         second cycle {second:.2?}, {after_second:?}"
    );
    drop(adapters);
    sims_rt.block_on(async {
        for s in sims {
            s.shutdown().await;
        }
    });
}

// poll_cycle before ppp_active, so its peak RSS does not include the 50,000-session simulator.
criterion_group!(benches, decode, poll_cycle, ppp_active);
criterion_main!(benches);
