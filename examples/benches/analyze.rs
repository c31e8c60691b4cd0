//! End-to-end benchmark of `ispvm-analyze` on generated scenarios (the ISP generator of
//! `ispvm-rca/benches/support/gen.rs`): the real binary reads the file, parses it, compiles the
//! topology, observes, evaluates and writes the JSON analysis (to `/dev/null`), as a user runs it.
//!
//! `cargo bench -p ispvm-examples --bench analyze` runs 100k entities + 10k observations; set
//! `ISPVM_BENCH_1M=1` to add 1M entities + 100k observations. After the timings, each size is
//! run once more under `/usr/bin/time` (when present) to print the peak resident set size.
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

#[path = "../../ispvm-rca/benches/support/gen.rs"]
mod gen_net;

const BIN: &str = env!("CARGO_BIN_EXE_ispvm-analyze");

fn analyze(path: &Path) {
    let status = Command::new(BIN)
        .arg(path)
        .stdout(Stdio::null())
        .status()
        .expect("run ispvm-analyze");
    assert!(status.success(), "ispvm-analyze failed: {status}");
}

/// Peak RSS in KiB of one run, measured by `/usr/bin/time -f %M`.
fn peak_rss_kib(path: &Path) -> Option<u64> {
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M", BIN])
        .arg(path)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .last()?
        .trim()
        .parse()
        .ok()
}

fn end_to_end(c: &mut Criterion) {
    let mut sizes = vec![(100_000, 10_000, "100k_entities_10k_obs")];
    if std::env::var_os("ISPVM_BENCH_1M").is_some() {
        sizes.push((1_000_000, 100_000, "1M_entities_100k_obs"));
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut group = c.benchmark_group("analyze");
    for (entities, observations, name) in sizes {
        let bytes = gen_net::scenario_json(&gen_net::isp(entities), observations);
        let path = dir.path().join(format!("{name}.json"));
        std::fs::write(&path, &bytes).expect("write the scenario");
        let input = bytes.len() as u64;
        drop(bytes);
        eprintln!("analyze/{name}: scenario of {input} bytes");
        group
            .sample_size(10)
            .measurement_time(Duration::from_secs(if entities >= 1_000_000 {
                60
            } else {
                10
            }));
        group.bench_function(format!("end_to_end_{name}"), |b| {
            b.iter(|| analyze(black_box(&path)));
        });
        if let Some(kib) = peak_rss_kib(&path) {
            eprintln!(
                "analyze/{name}: peak RSS {} MiB = {:.2} x the input",
                kib / 1024,
                (kib * 1024) as f64 / input as f64
            );
        }
        // The parsing step alone, in process (bytes -> validated scenario).
        if entities < 1_000_000 {
            let bytes = std::fs::read(&path).expect("read the scenario");
            group.bench_function(format!("parse_{name}"), |b| {
                b.iter(|| ispvm_schemas::scenario::parse(black_box(&bytes)).map(drop))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, end_to_end);
criterion_main!(benches);
