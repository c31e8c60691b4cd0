//! Peak memory (VmHWM) and time of compiling a generated ISP topology:
//! `cargo run --release -p ispvm-rca --example compile_memory -- 1000000`.

use std::time::Instant;

use ispvm_rca::{Engine, EngineConfig};

#[path = "../benches/support/gen.rs"]
mod gen_net;

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let net = gen_net::isp(n);
    let memberships = net.memberships();
    let topo = net.topology();
    drop(net);
    let before = vm_hwm_kib();
    let start = Instant::now();
    let engine = Engine::new(topo, EngineConfig::default());
    let compile = start.elapsed();
    let after = vm_hwm_kib();
    println!(
        "entities {} memberships {memberships}: compile {compile:?}, index {} MiB, VmHWM before compile {} MiB, after {} MiB",
        engine.topology().entities().len(),
        engine.index_bytes() >> 20,
        before >> 10,
        after >> 10
    );
}
