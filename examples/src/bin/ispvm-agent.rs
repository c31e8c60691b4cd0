//! `ispvm-agent`: the long-running ispvm service (contract: `docs/spec/agent.md`).
//!
//! ```text
//! ispvm-agent [--config FILE] [--listen ADDR] [--data-dir DIR] [--database URL]
//!             [--role all|collector|analyzer] [--bus nats://HOST:PORT] [--alertmanager URL]...
//!             [--tls-cert FILE --tls-key FILE] [--log-format text|json]
//! ispvm-agent check-config FILE
//! ```
//! `check-config` validates the file, then prints the style guide's findings on every tenant's
//! topology (`TENANT: SEVERITY CODE SUBJECT: MESSAGE; fix: FIX`); structural errors exit 2.
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
use ispvm_model::lint::LintSeverity;
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
    /// Data directory: the embedded database is ispvm.sqlite in it (default: the file's
    /// data_dir, else ./ispvm-data).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Database URL (postgres://USER@HOST:PORT/DB or sqlite:///path), instead of the data
    /// directory; prefer PGPASSWORD or ~/.pgpass to a password in the URL.
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
    /// Serve HTTPS with this certificate chain (PEM; needs --tls-key; overrides the file's `[tls]` table).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Log line format (default: the file's `log_format`, else text).
    #[arg(long, value_enum)]
    log_format: Option<LogArg>,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Checks a configuration file and its tenants' topologies (style guide findings printed)
    /// and exits 0 (valid) or 2 (invalid, or a topology with a structural error); starts nothing.
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

/// `check-config`: the file is valid, then the style guide's findings of every tenant's
/// topology, one `TENANT: FINDING` line each on stdout; exit 2 when any is an error.
fn check_config(file: &std::path::Path, config: &Config) -> ExitCode {
    let found = match ispvm_service::lint::check_config(config) {
        Ok(found) => found,
        Err(e) => return usage(&e.to_string()),
    };
    let (mut errors, mut warnings) = (0, 0);
    for t in &found {
        for f in t.report.findings() {
            println!("{}: {f}", t.tenant);
        }
        errors += t.report.count(LintSeverity::Error);
        warnings += t.report.count(LintSeverity::Warning);
    }
    if errors > 0 {
        return usage(&format!(
            "{}: {errors} structural error(s) in the tenants' topologies (the lines above)",
            file.display()
        ));
    }
    println!(
        "{}: valid ({} tenant(s), {} router(s), {warnings} style warning(s))",
        file.display(),
        config.tenants.len(),
        config
            .tenants
            .iter()
            .map(|t| t.routers.len())
            .sum::<usize>()
    );
    ExitCode::SUCCESS
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
            Ok(c) => check_config(file, &c),
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
    if let Some(bad) = args
        .alertmanager
        .iter()
        .find(|u| !(u.starts_with("http://") || u.starts_with("https://")))
    {
        return usage(&format!("--alertmanager {bad}: not an http(s) URL"));
    }
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
    let mut options = RunOptions::new(args.config, args.listen)
        .with_data_dir(args.data_dir)
        .with_database(args.database)
        .with_alertmanagers(args.alertmanager);
    if let (Some(cert), Some(key)) = (args.tls_cert, args.tls_key) {
        options = options.with_tls(cert, key);
    }
    match runtime.block_on(run(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is_usage() => usage(&e.to_string()),
        Err(e) => {
            eprintln!("ispvm-agent: {e}");
            ExitCode::from(1)
        }
    }
}
