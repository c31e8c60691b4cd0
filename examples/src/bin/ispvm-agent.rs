//! `ispvm-agent`: the long-running ispvm service (contract: `docs/spec/agent.md`).
//!
//! ```text
//! ispvm-agent [--config FILE] [--listen ADDR] [--data-dir DIR] [--database URL]
//!             [--role all|collector|analyzer] [--bus nats://HOST:PORT] [--alertmanager URL]...
//!             [--log-format text|json]
//! ispvm-agent check-config FILE
//! ```
//! With no `--config`, the embedded simulated ISP (tenant `demo-isp`, fast tier every 5 s) is
//! polled live and served to anonymous operators on a loopback listener. Exit codes: 0 clean
//! shutdown (SIGTERM, SIGINT), 2 invalid arguments or configuration (one line on standard
//! error naming the file, line and key at fault), 1 run-time failure.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use ispvm_service::config::{Config, LogFormat};
use ispvm_service::{RunOptions, run};

/// The long-running ispvm service: polls routers, analyses, serves the API and the live page.
#[derive(Debug, Parser)]
#[command(name = "ispvm-agent", version, args_conflicts_with_subcommands = true)]
struct Args {
    #[command(subcommand)]
    command: Option<Cmd>,
    /// Configuration file (TOML); without it, the embedded simulated ISP runs.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Listen address (default 127.0.0.1:8080; port 0 picks a free port).
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Data directory (default ./ispvm-data).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// PostgreSQL URL (not available yet).
    #[arg(long)]
    database: Option<String>,
    /// Process role.
    #[arg(long, value_enum, default_value_t = RoleArg::All)]
    role: RoleArg,
    /// NATS URL of the bus (not available yet).
    #[arg(long)]
    bus: Option<String>,
    /// Alertmanager base URL (`http://host:9093`), repeatable: every alert goes to each.
    #[arg(long)]
    alertmanager: Vec<String>,
    /// Log line format (default: the file's `log_format`, else text).
    #[arg(long, value_enum)]
    log_format: Option<LogArg>,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Checks a configuration file and exits 0 (valid) or 2 (invalid); starts nothing.
    CheckConfig {
        /// The file.
        file: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum RoleArg {
    All,
    Collector,
    Analyzer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogArg {
    Text,
    Json,
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("ispvm-agent: {msg}");
    ExitCode::from(2)
}

fn init_logs(format: LogArg) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogArg::Json => builder.json().init(),
        LogArg::Text => builder.init(),
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(Cmd::CheckConfig { file }) = &args.command {
        return match Config::load(file) {
            Ok(c) => {
                println!(
                    "{}: valid ({} tenant(s), {} router(s))",
                    file.display(),
                    c.tenants.len(),
                    c.tenants.iter().map(|t| t.routers.len()).sum::<usize>()
                );
                ExitCode::SUCCESS
            }
            Err(e) => usage(&e.to_string()),
        };
    }
    if args.role != RoleArg::All {
        return usage(
            "--role collector|analyzer is not available yet (the bus is not built); use --role all",
        );
    }
    if args.bus.is_some() {
        return usage("--bus is not available yet");
    }
    if args.database.is_some() {
        return usage("--database is not available yet (state lives in memory)");
    }
    if let Some(bad) = args
        .alertmanager
        .iter()
        .find(|u| !(u.starts_with("http://") || u.starts_with("https://")))
    {
        return usage(&format!("--alertmanager {bad}: not an http(s) URL"));
    }
    let _ = &args.data_dir; // accepted: nothing is stored on disk until the store lands
    let file_format = match &args.config {
        Some(path) => match Config::load(path) {
            Ok(c) => c.log_format,
            Err(e) => return usage(&e.to_string()),
        },
        None => LogFormat::Text,
    };
    init_logs(args.log_format.unwrap_or(match file_format {
        LogFormat::Json => LogArg::Json,
        _ => LogArg::Text,
    }));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ispvm-agent: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let options = RunOptions::new(args.config, args.listen).with_alertmanagers(args.alertmanager);
    match runtime.block_on(run(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is_usage() => usage(&e.to_string()),
        Err(e) => {
            eprintln!("ispvm-agent: {e}");
            ExitCode::from(1)
        }
    }
}
