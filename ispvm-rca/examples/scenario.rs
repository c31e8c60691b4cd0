//! Writes a generated scenario file (the benchmarks' ISP, see `benches/support/gen.rs`) to
//! standard output: `cargo run --release -p ispvm-rca --example scenario -- 100000 10000 > s.json`
//! (about 100k entities, 10k observations).

use std::io::Write;

#[path = "../benches/support/gen.rs"]
mod gen_net;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>().ok());
    let entities = args.next().flatten().unwrap_or(100_000);
    let observations = args.next().flatten().unwrap_or(10_000);
    let bytes = gen_net::scenario_json(&gen_net::isp(entities), observations);
    let mut out = std::io::stdout().lock();
    out.write_all(&bytes)?;
    out.flush()
}
