//! Criterion benchmarks of the engine on generated ISP topologies (see `gen.rs`).
//!
//! `cargo bench -p ispvm-rca` runs 10k and 100k entities; set `ISPVM_BENCH_1M=1` to add the
//! 1M-entity cases (slow to set up).
#![allow(missing_docs)]

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ispvm_model::{EntityId, GroupMode, Observation, Signal, SignalState, Topology};
use ispvm_rca::{Engine, EngineConfig};

#[path = "support/gen.rs"]
mod gen_net;

fn t(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600 + s, 0).unwrap()
}

fn sizes() -> Vec<usize> {
    let mut v = vec![10_000, 100_000];
    if std::env::var_os("ISPVM_BENCH_1M").is_some() {
        v.push(1_000_000);
    }
    v
}

fn label(n: usize) -> String {
    if n >= 1_000_000 {
        format!("{}M", n / 1_000_000)
    } else {
        format!("{}k", n / 1000)
    }
}

/// The deliberately naive reference: after each observation, recompute every entity's
/// availability by string-keyed recursion over the topology's groups (memoised per pass).
struct Naive<'a> {
    topo: &'a Topology,
    groups_of: HashMap<&'a str, Vec<usize>>,
    failed: HashMap<String, bool>,
}

impl<'a> Naive<'a> {
    fn new(topo: &'a Topology) -> Self {
        let mut groups_of: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, g) in topo.groups().iter().enumerate() {
            groups_of.entry(g.dependent.as_str()).or_default().push(i);
        }
        Self {
            topo,
            groups_of,
            failed: HashMap::new(),
        }
    }

    fn available(&self, e: &str, memo: &mut HashMap<String, bool>) -> bool {
        if let Some(&a) = memo.get(e) {
            return a;
        }
        let mut a = !self.failed.get(e).copied().unwrap_or(false);
        if a {
            for &g in self.groups_of.get(e).map(Vec::as_slice).unwrap_or(&[]) {
                let g = &self.topo.groups()[g];
                let up = g
                    .members
                    .iter()
                    .filter(|m| self.available(m.as_str(), memo))
                    .count();
                let need = match g.mode {
                    GroupMode::All => g.members.len(),
                    GroupMode::Any => 1,
                    GroupMode::KofN(k) => k as usize,
                    _ => g.members.len(),
                };
                if up < need {
                    a = false;
                    break;
                }
            }
        }
        memo.insert(e.to_string(), a);
        a
    }

    fn observe(&mut self, e: &str, down: bool) -> usize {
        self.failed.insert(e.to_string(), down);
        let mut memo = HashMap::with_capacity(self.topo.entities().len());
        self.topo
            .entities()
            .iter()
            .filter(|x| self.available(x.id.as_str(), &mut memo))
            .count()
    }
}

fn benches(c: &mut Criterion) {
    for n in sizes() {
        let net = gen_net::isp(n);
        let topo = net.topology();
        let name = label(n);
        eprintln!(
            "{name}: {} entities, {} groups, {} memberships",
            topo.entities().len(),
            topo.groups().len(),
            net.memberships()
        );
        let mut g = c.benchmark_group("engine");
        g.sample_size(10)
            .measurement_time(StdDuration::from_secs(if n >= 1_000_000 { 20 } else { 3 }));
        g.bench_function(BenchmarkId::new("compile", &name), |b| {
            b.iter(|| Engine::new(black_box(topo.clone()), EngineConfig::default()));
        });

        // An engine with some failures: 1 in 200 access routers down.
        let mut engine = Engine::new(topo.clone(), EngineConfig::default());
        let downs: Vec<Observation> = net
            .access
            .iter()
            .step_by(200)
            .map(|a| {
                Observation::signal(
                    t(0),
                    a.parse().unwrap(),
                    Signal::Reachability,
                    SignalState::Down,
                )
            })
            .collect();
        engine.observe_batch(&downs).unwrap();
        g.bench_function(BenchmarkId::new("full_evaluation", &name), |b| {
            b.iter(|| black_box(engine.evaluate_full(t(1))));
        });

        // One observation with a small cone (one access router: 9 entities), alternating down/up.
        let target: EntityId = net.access[net.access.len() / 2 + 1].parse().unwrap();
        let mut k = 10i64;
        g.bench_function(BenchmarkId::new("single_update", &name), |b| {
            b.iter(|| {
                k += 1;
                let state = if k % 2 == 0 {
                    SignalState::Down
                } else {
                    SignalState::Up
                };
                engine
                    .observe(&Observation::signal(
                        t(k),
                        target.clone(),
                        Signal::Reachability,
                        state,
                    ))
                    .unwrap();
            });
        });
        eprintln!(
            "{name}: cone of the single update = {}",
            engine.last_cone_size()
        );

        if n == 100_000 {
            let mut naive = Naive::new(&topo);
            let mut k = 0u64;
            g.bench_function(BenchmarkId::new("naive_single_update", &name), |b| {
                b.iter(|| {
                    k += 1;
                    black_box(naive.observe(target.as_str(), k % 2 == 0))
                });
            });
        }
        g.finish();
    }
}

/// What `ispvm-analyze` does with a file, in process: parse (typed, no schema pass for a valid
/// file), compile, observe, evaluate, serialize (row by row). The real binary, reading and
/// writing files, is measured by `cargo bench -p ispvm-examples --bench analyze`.
fn analyze(bytes: &[u8]) -> usize {
    let s = ispvm_schemas::scenario::parse(bytes).unwrap();
    let at = s.latest_observation_time().unwrap();
    let mut e = Engine::new(s.topology, EngineConfig::default());
    e.set_maintenance(&s.maintenance).unwrap();
    e.observe_batch(&s.observations).unwrap();
    serde_json::to_vec_pretty(&e.evaluate(at).document_view())
        .unwrap()
        .len()
}

fn end_to_end(c: &mut Criterion) {
    let net = gen_net::isp(100_000);
    let bytes = gen_net::scenario_json(&net, 10_000);
    eprintln!("analyze_100k: scenario of {} bytes", bytes.len());
    let mut g = c.benchmark_group("analyze");
    g.sample_size(10)
        .measurement_time(StdDuration::from_secs(10));
    g.bench_function("end_to_end_100k_10k_obs", |b| {
        b.iter(|| black_box(analyze(&bytes)))
    });
    g.finish();
    if let Some(path) = std::env::var_os("ISPVM_BENCH_WRITE_SCENARIO") {
        std::fs::write(path, &bytes).unwrap();
    }
}

criterion_group!(engine_benches, benches, end_to_end);
criterion_main!(engine_benches);
