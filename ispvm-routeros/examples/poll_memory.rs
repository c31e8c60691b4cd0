//! Memory of the 1,000-router poll cycle, cycle by cycle (issue 4, "memory growth").
//!
//! Prints, after every cycle: the resident set (`VmRSS`) of this process, live tokio tasks,
//! open simulator connections. Modes:
//!
//! - `poll_memory both [routers] [cycles]`: simulators and poller in one process (like the bench).
//! - `poll_memory sims [routers]`: only the simulators; prints `ADDR <port>` lines, then
//!   `READY`, then RSS every 5 s until stdin closes.
//! - `poll_memory poll [cycles]`: only the poller; reads the `ADDR` lines of a `sims` process
//!   from stdin (until `READY`).
//!
//! Running the two halves as separate processes shows which side owns the growth. glibc's
//! arena tunables (`MALLOC_ARENA_MAX=1`, `MALLOC_TRIM_THRESHOLD_`, ...) show whether it is
//! allocator behaviour rather than live memory.
//!
//! `cargo run --release -p ispvm-routeros --features sim --example poll_memory -- both 1000 30`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::BufRead;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ispvm_model::DeviceAdapter;
use ispvm_routeros::client::ClientConfig;
use ispvm_routeros::sim::{SimHandle, SimRouter, SimState};
use ispvm_routeros::{RouterOsAdapter, Secret};

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

fn runtime(threads: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .unwrap()
}

fn start_sims(rt: &tokio::runtime::Runtime, routers: usize) -> Vec<SimHandle> {
    rt.block_on(async {
        let mut v = Vec::with_capacity(routers);
        for i in 0..routers {
            let state = match i % 10 {
                0 => SimState::core(&format!("core{i}")),
                1..=3 => SimState::aggregation(&format!("agg{i}")),
                4 => SimState::concentrator(&format!("bras{i}"), 2000).with_version("6.49.10"),
                _ => SimState::access(&format!("acc{i}")),
            };
            v.push(
                SimRouter::builder()
                    .state(state)
                    .user("bench", "pw")
                    .listen("127.0.0.1:0".parse().unwrap())
                    .start()
                    .await
                    .unwrap(),
            );
        }
        v
    })
}

fn poll(ports: &[u16], cycles: usize, sims: Option<(&tokio::runtime::Runtime, &[SimHandle])>) {
    let rt = runtime(2);
    let adapters: Arc<Vec<RouterOsAdapter>> = Arc::new(
        ports
            .iter()
            .map(|p| {
                RouterOsAdapter::new(
                    ClientConfig::new("127.0.0.1", "bench", Secret::new("pw")).with_port(*p),
                )
            })
            .collect(),
    );
    for c in 0..cycles {
        let t = Instant::now();
        let adapters2 = Arc::clone(&adapters);
        let samples = rt.block_on(async move {
            let mut tasks = tokio::task::JoinSet::new();
            for i in 0..adapters2.len() {
                let adapters = Arc::clone(&adapters2);
                let jitter = Duration::from_millis((i as u64 * 7919) % 500);
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
        });
        let poll_tasks = rt.metrics().num_alive_tasks();
        let sim_info = sims.map(|(srt, s)| {
            (
                srt.metrics().num_alive_tasks(),
                s.iter().map(SimHandle::connections).sum::<usize>(),
            )
        });
        println!(
            "cycle {c}: {:.2?}, {samples} samples, RSS {:.1} MiB, poller tasks {poll_tasks}, \
             (sim tasks, sim connections) {sim_info:?}",
            t.elapsed(),
            rss_mib()
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, d: usize| {
        args.get(i)
            .and_then(|a| a.parse::<usize>().ok())
            .unwrap_or(d)
    };
    match args.first().map(String::as_str) {
        Some("sims") => {
            let rt = runtime(1);
            let sims = start_sims(&rt, arg(1, 1000));
            for s in &sims {
                println!("ADDR {}", s.addr().port());
            }
            println!("READY");
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let mut line = String::new();
                while std::io::stdin().read_line(&mut line).unwrap_or(0) > 0 {
                    line.clear();
                }
                let _ = tx.send(());
            });
            while rx.recv_timeout(Duration::from_secs(5)).is_err() {
                eprintln!(
                    "sims: RSS {:.1} MiB, tasks {}, connections {}",
                    rss_mib(),
                    rt.metrics().num_alive_tasks(),
                    sims.iter().map(SimHandle::connections).sum::<usize>()
                );
            }
        }
        Some("poll") => {
            let mut ports = Vec::new();
            for line in std::io::stdin().lock().lines() {
                let line = line.unwrap();
                if line == "READY" {
                    break;
                }
                if let Some(p) = line.strip_prefix("ADDR ") {
                    ports.push(p.parse().unwrap());
                }
            }
            poll(&ports, arg(1, 30), None);
        }
        _ => {
            let srt = runtime(1);
            let sims = start_sims(&srt, arg(1, 1000));
            println!("simulators started: RSS {:.1} MiB", rss_mib());
            let ports: Vec<u16> = sims.iter().map(|s| s.addr().port()).collect();
            poll(&ports, arg(2, 30), Some((&srt, &sims)));
        }
    }
}
