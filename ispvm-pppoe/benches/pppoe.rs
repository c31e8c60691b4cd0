//! Criterion benchmarks of ispvm-pppoe's speed targets:
//! - diffing two `/ppp/active` snapshots of 50,000 sessions (target: under 20 ms);
//! - importing a 1,000,000-record FreeRADIUS detail file (target: at least 200,000 records/s,
//!   memory bounded: the file is generated on the fly and never held in memory).
//!
//! Run: `cargo bench -p ispvm-pppoe --bench pppoe`. The default run is kept short.
#![allow(missing_docs)] // criterion's macros generate undocumented functions

use std::hint::black_box;
use std::io::{BufReader, Read};
use std::time::Duration;

use chrono::{DateTime, Utc};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ispvm_model::EntityId;
use ispvm_pppoe::accounting::DetailReader;
use ispvm_pppoe::privacy::{Privacy, SubscriberHasher, SubscriberSecret};
use ispvm_pppoe::session::{ActiveSession, PlanName, SessionSnapshot};
use ispvm_pppoe::tracker::{ConcentratorTracker, TrackerConfig};

const SESSIONS: usize = 50_000;
const RECORDS: u64 = 1_000_000;

fn t(s: &str) -> DateTime<Utc> {
    s.parse().expect("valid time")
}

/// A poll as RouterOS returns it: keys `*<hex>` in arrival order (not sorted), three plans.
fn poll(first: usize, n: usize) -> Vec<ActiveSession> {
    let plans: Vec<PlanName> = ["10M", "50M", "business"]
        .iter()
        .map(|p| p.parse().expect("plan"))
        .collect();
    (first..first + n)
        .rev()
        .map(|i| {
            ActiveSession::new(format!("*{i:X}").parse().expect("key"))
                .with_plan(plans[i % 3].clone())
        })
        .collect()
}

fn snapshot_diff(c: &mut Criterion) {
    // One minute later 500 sessions left and 600 new ones arrived.
    let before =
        SessionSnapshot::new(t("2026-01-01T00:00:00Z"), poll(0, SESSIONS)).expect("unique");
    let later_poll = poll(500, SESSIONS + 100);
    let after =
        SessionSnapshot::new(t("2026-01-01T00:01:00Z"), later_poll.clone()).expect("unique");
    let d = before.diff(&after);
    assert_eq!((d.connects, d.disconnects), (600, 500));

    let mut g = c.benchmark_group("snapshot_50k");
    g.sample_size(20).measurement_time(Duration::from_secs(3));
    g.bench_function("diff", |b| {
        b.iter(|| black_box(before.diff(black_box(&after))))
    });
    g.bench_function("sort_and_diff", |b| {
        b.iter_batched(
            || later_poll.clone(),
            |p| {
                let s = SessionSnapshot::new(t("2026-01-01T00:01:00Z"), p).expect("unique");
                black_box(before.diff(&s))
            },
            BatchSize::LargeInput,
        );
    });
    let id: EntityId = "bras1".parse().expect("id");
    g.bench_function("tracker_observe_snapshot", |b| {
        b.iter_batched(
            || {
                let mut tr = ConcentratorTracker::new(id.clone(), &TrackerConfig::default());
                tr.observe_snapshot(before.clone()).expect("first");
                (tr, after.clone())
            },
            |(mut tr, s)| black_box(tr.observe_snapshot(s).expect("second")),
            BatchSize::LargeInput,
        );
    });
    g.finish();
}

/// A detail file of `records` Start/Interim/Stop records, generated as it is read.
struct DetailGen {
    records: u64,
    next: u64,
    buf: Vec<u8>,
    pos: usize,
}

impl DetailGen {
    fn new(records: u64) -> Self {
        Self {
            records,
            next: 0,
            buf: Vec::with_capacity(512),
            pos: 0,
        }
    }

    fn fill(&mut self) {
        use std::io::Write;
        self.buf.clear();
        self.pos = 0;
        let i = self.next;
        self.next += 1;
        let status = ["Start", "Interim-Update", "Stop"][(i % 3) as usize];
        let ts = 1_767_225_600 + i;
        // Writing into a Vec cannot fail.
        let _ = write!(
            self.buf,
            "Thu Jan  1 00:00:00 2026\n\
             \tAcct-Status-Type = {status}\n\
             \tUser-Name = \"user{}@isp.example\"\n\
             \tAcct-Session-Id = \"81a{i:08x}\"\n\
             \tNAS-IP-Address = 10.0.0.1\n\
             \tNAS-Identifier = \"bras1\"\n\
             \tFramed-IP-Address = 100.64.{}.{}\n\
             \tCalling-Station-Id = \"aa:bb:cc:00:00:01\"\n\
             \tAcct-Session-Time = {}\n\
             \tAcct-Input-Octets = {}\n\
             \tAcct-Output-Octets = {}\n\
             \tAcct-Terminate-Cause = Lost-Carrier\n\
             \tTimestamp = {ts}\n\n",
            i % 50_000,
            (i >> 8) % 256,
            i % 256,
            i % 86_400,
            i * 1000,
            i * 5000,
        );
    }
}

impl Read for DetailGen {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.buf.len() {
            if self.next >= self.records {
                return Ok(0);
            }
            self.fill();
        }
        let rest = self.buf.get(self.pos..).unwrap_or(&[]);
        let n = rest.len().min(out.len());
        out[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        Ok(n)
    }
}

fn import(records: u64, privacy: &Privacy) -> (u64, usize) {
    let mut reader = DetailReader::new(
        BufReader::with_capacity(64 * 1024, DetailGen::new(records)),
        privacy.clone(),
    );
    let mut ok = 0u64;
    for r in reader.by_ref() {
        if r.is_ok() {
            ok += 1;
        }
    }
    (ok, reader.buffered_bytes())
}

fn detail_import(c: &mut Criterion) {
    let secret = SubscriberSecret::from_hex("00112233445566778899aabbccddeeff").expect("hex");
    let hashed = Privacy::Subscriber(SubscriberHasher::new(
        "isp".parse().expect("tenant"),
        &secret,
    ));
    // Sanity: every record is accepted and the buffers stay small.
    let (ok, buffered) = import(10_000, &hashed);
    assert_eq!(ok, 10_000);
    assert!(buffered <= 3 * 4096, "buffered {buffered}");

    let mut g = c.benchmark_group("detail_import_1m");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .warm_up_time(Duration::from_secs(1))
        .throughput(Throughput::Elements(RECORDS));
    g.bench_function("hashed_usernames", |b| {
        b.iter(|| black_box(import(RECORDS, &hashed)))
    });
    g.bench_function("aggregate", |b| {
        b.iter(|| black_box(import(RECORDS, &Privacy::Aggregate)))
    });
    g.finish();
}

criterion_group!(benches, snapshot_diff, detail_import);
criterion_main!(benches);
