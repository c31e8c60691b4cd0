//! Fleet benchmark: N simulated routers served by a separate process, polled by one collector.
//!
//! ```text
//! cargo bench -p ispvm-collector --bench fleet -- [--routers 5000] [--interval 30] [--seconds 150] [--all-tiers]
//! ```
//!
//! The benchmark starts itself a second time as the simulator process (`ISPVM_FLEET_SERVE=N`:
//! N `ispvm-sim` routers, each on its own port of 127.0.0.1), then polls them with the
//! collector in this process (fast tier every `--interval` seconds; `--all-tiers` adds
//! medium every 4x and slow every 20x that). It prints the collector process's CPU (user +
//! system, as a share of one core), its RSS (now and peak), the busiest second of poll starts
//! against the mean, poll results and latencies. The simulator's own CPU is printed apart.
//! Each router holds one connection open in each process, so both need about N + 100 file
//! descriptors (and the simulator 2N: listener + connection); check `ulimit -n`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use ispvm_collector::{Collector, CollectorConfig, Intervals, PollReport, Target, Timeouts};
use ispvm_model::Tier;
use ispvm_routeros::Secret;
use ispvm_routeros::client::ClientConfig;
use ispvm_routeros::sim::{SimRouter, SimState};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const SERVE_ENV: &str = "ISPVM_FLEET_SERVE";

struct Args {
    routers: usize,
    interval: u64,
    seconds: u64,
    all_tiers: bool,
}

fn args() -> Args {
    let mut a = Args {
        routers: 5000,
        interval: 30,
        seconds: 150,
        all_tiers: false,
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < argv.len() {
        let next = || argv.get(i + 1).and_then(|v| v.parse::<u64>().ok());
        match argv[i].as_str() {
            "--routers" => a.routers = next().map_or(a.routers, |v| v as usize),
            "--interval" => a.interval = next().unwrap_or(a.interval),
            "--seconds" => a.seconds = next().unwrap_or(a.seconds),
            "--all-tiers" => a.all_tiers = true,
            _ => {} // cargo bench passes `--bench`
        }
        i += 1;
    }
    a
}

/// user + system CPU seconds of a process, from /proc/PID/stat.
fn cpu_seconds(pid: &str, tick: f64) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / tick)
}

fn status_kib(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn clock_tick() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

fn serve(n: usize) -> Result<(), Box<dyn std::error::Error>> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let mut sims = Vec::with_capacity(n);
        let mut out = std::io::stdout().lock();
        for i in 0..n {
            let sim = SimRouter::builder()
                .state(SimState::aggregation(&format!("r{i}")))
                .user("monitor", "pw")
                .start()
                .await?;
            writeln!(out, "{}", sim.addr().port())?;
            sims.push(sim);
        }
        writeln!(out, "ready")?;
        out.flush()?;
        drop(out);
        // serve until the parent closes our stdin
        let mut line = String::new();
        let _ = tokio::task::spawn_blocking(move || std::io::stdin().read_line(&mut line)).await;
        Ok::<_, Box<dyn std::error::Error>>(())
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if let Ok(n) = std::env::var(SERVE_ENV) {
        return serve(n.parse()?);
    }
    let a = args();
    let tick = clock_tick();
    let nofile = Command::new("sh")
        .args(["-c", "ulimit -n"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<usize>().ok());
    if let Some(limit) = nofile {
        if limit < 2 * a.routers + 100 {
            eprintln!(
                "ulimit -n is {limit}: the simulator needs about {}; raise it",
                2 * a.routers + 100
            );
        }
    }
    println!(
        "fleet: {} routers, fast every {} s{}, {} s, ulimit -n {:?}, load before start: {}",
        a.routers,
        a.interval,
        if a.all_tiers { " (+ medium, slow)" } else { "" },
        a.seconds,
        nofile,
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    let mut child = Command::new(std::env::current_exe()?)
        .env(SERVE_ENV, a.routers.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let child_pid = child.id().to_string();
    let stdout = child.stdout.take().ok_or("no simulator stdout")?;
    let mut ports = Vec::with_capacity(a.routers);
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        if line == "ready" {
            break;
        }
        ports.push(line.parse::<u16>()?);
    }
    if ports.len() != a.routers {
        return Err(format!("simulator started {} of {} routers", ports.len(), a.routers).into());
    }

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let result = rt.block_on(run(&a, &ports, tick, &child_pid));
    drop(child.stdin.take());
    let _ = child.wait();
    result
}

async fn run(
    a: &Args,
    ports: &[u16],
    tick: f64,
    sim_pid: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let interval = Duration::from_secs(a.interval);
    let intervals = if a.all_tiers {
        Intervals::new(interval, interval * 4, interval * 20)
    } else {
        Intervals::default()
            .with(Tier::Fast, Some(interval))
            .with(Tier::Medium, None)
            .with(Tier::Slow, None)
    };
    let config = CollectorConfig::default()
        .with_intervals(intervals)
        .with_max_concurrent_polls(256);
    let timeouts = Timeouts::default();
    let (tx, mut rx) = mpsc::channel::<PollReport>(4096);
    let collector = Collector::new(config, tx)?;
    for (i, port) in ports.iter().enumerate() {
        let client = ClientConfig::new("127.0.0.1", "monitor", Secret::new("pw")).with_port(*port);
        let id = format!("r{i}");
        let adapter =
            ispvm_collector::routeros::adapter(client, &timeouts).with_device_id(id.parse()?);
        collector.upsert(Target::new(
            "bench".parse()?,
            id.parse()?,
            Arc::new(adapter),
        ))?;
    }
    let rss_before = status_kib("VmRSS:").unwrap_or(0);
    let cancel = CancellationToken::new();
    let start = std::time::Instant::now();
    let cpu0 = cpu_seconds("self", tick).unwrap_or(0.0);
    let sim0 = cpu_seconds(sim_pid, tick).unwrap_or(0.0);
    let task = tokio::spawn({
        let (c, t) = (collector.clone(), cancel.clone());
        async move { c.run(t).await }
    });

    let mut starts: BTreeMap<u64, usize> = BTreeMap::new();
    let mut results: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut latencies: Vec<Duration> = Vec::new();
    let t0 = chrono::Utc::now();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(a.seconds);
    let mut steady_cpu0 = None;
    loop {
        let r = tokio::select! {
            r = rx.recv() => r,
            () = tokio::time::sleep_until(deadline) => None,
        };
        let Some(r) = r else { break };
        if steady_cpu0.is_none() && start.elapsed() >= interval {
            steady_cpu0 = Some((
                start.elapsed(),
                cpu_seconds("self", tick).unwrap_or(0.0),
                cpu_seconds(sim_pid, tick).unwrap_or(0.0),
            ));
        }
        let sec = (r.started_at - t0).num_seconds().max(0) as u64;
        *starts.entry(sec).or_default() += 1;
        *results.entry(r.result()).or_default() += 1;
        latencies.push(r.duration);
    }
    let elapsed = start.elapsed();
    let cpu1 = cpu_seconds("self", tick).unwrap_or(0.0);
    let sim1 = cpu_seconds(sim_pid, tick).unwrap_or(0.0);
    let rss = status_kib("VmRSS:").unwrap_or(0);
    let hwm = status_kib("VmHWM:").unwrap_or(0);
    cancel.cancel();
    task.await??;

    let secs = elapsed.as_secs_f64();
    println!(
        "collector CPU, whole run: {:.1} % of one core ({:.1} s over {:.0} s)",
        100.0 * (cpu1 - cpu0) / secs,
        cpu1 - cpu0,
        secs
    );
    if let Some((at, c, s)) = steady_cpu0 {
        let span = (elapsed - at).as_secs_f64();
        println!(
            "collector CPU, after the first interval: {:.1} % of one core; simulator process: {:.1} %",
            100.0 * (cpu1 - c) / span,
            100.0 * (sim1 - s) / span
        );
    }
    println!(
        "simulator process CPU, whole run: {:.1} % of one core",
        100.0 * (sim1 - sim0) / secs
    );
    println!(
        "collector RSS: {:.1} MB at the end, peak {:.1} MB (before polling {:.1} MB)",
        rss as f64 / 1024.0,
        hwm as f64 / 1024.0,
        rss_before as f64 / 1024.0
    );
    // poll starts per second, over whole seconds of the run
    let full = elapsed.as_secs().saturating_sub(1);
    let per_sec: Vec<usize> = (0..full)
        .map(|s| starts.get(&s).copied().unwrap_or(0))
        .collect();
    let total: usize = per_sec.iter().sum();
    if !per_sec.is_empty() {
        let mean = total as f64 / per_sec.len() as f64;
        let (busiest_at, busiest) = per_sec
            .iter()
            .enumerate()
            .max_by_key(|(_, c)| **c)
            .map_or((0, 0), |(i, c)| (i, *c));
        println!(
            "poll starts: {total} in {} s, mean {mean:.1}/s, busiest second {busiest} (at {busiest_at} s) = {:.2}x the mean",
            per_sec.len(),
            busiest as f64 / mean
        );
    }
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or_default()
    };
    println!(
        "results: {results:?}; poll duration p50 {:?}, p99 {:?}, max {:?}",
        pct(0.5),
        pct(0.99),
        latencies.last().copied().unwrap_or_default()
    );
    println!(
        "load at the end: {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    Ok(())
}
