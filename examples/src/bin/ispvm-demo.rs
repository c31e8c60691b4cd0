//! `ispvm-demo`: the README's first command. Starts a simulated ISP (17 RouterOS routers on
//! 127.0.0.1), plays an outage story, narrates what the root-cause engine concludes, and
//! writes `out/analysis.json`, `analysis-final.json`, `topology.dot` and `report.html`.
//!
//! ```text
//! ispvm-demo [--seed N] [--out DIR] [--speed F] [--no-color] [--quiet]
//! ```
//! Exit 0 on success, 1 when the demo cannot run (a port cannot be bound, a file cannot be
//! written...), 2 on bad arguments. See [`ispvm_examples::demo`].
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use ispvm_examples::cli::{self, Exit};
use ispvm_examples::demo::{self, DEFAULT_SEED, DemoOptions};

/// Run a simulated ISP through an outage story and explain it with the RCA engine.
#[derive(Debug, Parser)]
#[command(name = "ispvm-demo", version)]
struct Args {
    /// Seed of the noise (session counts, RADIUS rates); the same seed writes the same analysis.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Directory for analysis.json, analysis-final.json, topology.dot and report.html.
    #[arg(long, default_value = "out")]
    out: PathBuf,
    /// Playback speed: 2 is twice as fast, 0 does not pause at all.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    speed: f64,
    /// No colours (also off when standard output is not a terminal or NO_COLOR is set).
    #[arg(long)]
    no_color: bool,
    /// Print only the summary and the files written.
    #[arg(long)]
    quiet: bool,
}

fn main() -> ExitCode {
    cli::init_tracing();
    let args = Args::parse();
    if !args.speed.is_finite() || args.speed < 0.0 {
        eprintln!(
            "ispvm-demo: --speed must be a finite number >= 0, got {}",
            args.speed
        );
        return Exit::Usage.into();
    }
    let color = !args.no_color
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let options = DemoOptions::new()
        .with_seed(args.seed)
        .with_out_dir(args.out)
        .with_speed(args.speed)
        .with_color(color)
        .with_quiet(args.quiet);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ispvm-demo: cannot start the async runtime: {e}");
            return Exit::Runtime.into();
        }
    };
    let mut stdout = std::io::stdout();
    match runtime.block_on(demo::run(&options, &mut stdout)) {
        Ok(_) => Exit::Ok.into(),
        Err(e) => {
            eprintln!("ispvm-demo: {e}");
            Exit::Runtime.into()
        }
    }
}
