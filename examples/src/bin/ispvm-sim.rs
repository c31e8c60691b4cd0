//! `ispvm-sim`: serve the RouterOS API for one simulated router (contract:
//! `docs/spec/routeros.md`).
//!
//! ```text
//! ispvm-sim [--listen ADDR] [--tls-listen ADDR --cert PEM --key PEM]
//!           [--user NAME --password-env VAR] [--routeros-version 7.18.2] [--state FILE]
//! ```
//! Prints `listening on IP:PORT` (and `listening tls on IP:PORT`) first, then serves until
//! killed. The `--state` file is reloaded when it changes, so another process can inject
//! faults (link down, sessions dropped, BGP down, RADIUS timeouts) at run time.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use clap::Parser;
use ispvm_examples::cli::{self, Exit};
use ispvm_routeros::Secret;
use ispvm_routeros::sim::{SimRouter, SimState};

/// Serve the RouterOS API for one simulated router.
#[derive(Debug, Parser)]
#[command(name = "ispvm-sim", version)]
struct Args {
    /// Plain API listen address (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8728")]
    listen: SocketAddr,
    /// API-SSL listen address (needs --cert and --key).
    #[arg(long, requires_all = ["cert", "key"])]
    tls_listen: Option<SocketAddr>,
    /// PEM certificate chain for API-SSL.
    #[arg(long, requires = "tls_listen")]
    cert: Option<PathBuf>,
    /// PEM private key for API-SSL.
    #[arg(long, requires = "tls_listen")]
    key: Option<PathBuf>,
    /// API user (default `admin` with an empty password, like a fresh RouterOS).
    #[arg(long, requires = "password_env")]
    user: Option<String>,
    /// Environment variable holding the user's password.
    #[arg(long, requires = "user")]
    password_env: Option<String>,
    /// RouterOS version to simulate (chooses menus, login method and `!empty`).
    #[arg(long)]
    routeros_version: Option<String>,
    /// JSON state file (default: a believable aggregation router); reloaded on change.
    #[arg(long)]
    state: Option<PathBuf>,
    /// Delay every reply by this many milliseconds (a slow router, for tests of timeouts).
    #[arg(long, default_value_t = 0)]
    reply_delay_ms: u64,
}

fn fail(code: Exit, msg: &str) -> ExitCode {
    eprintln!("ispvm-sim: {msg}");
    code.into()
}

/// Largest certificate or key file read, in bytes.
const MAX_PEM: u64 = 1 << 20;

fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

#[tokio::main]
async fn main() -> ExitCode {
    cli::init_tracing();
    // clap exits 2 on bad arguments and 0 after --help/--version, as the contract asks.
    let args = Args::parse();
    let mut state = match &args.state {
        Some(p) => match SimState::from_json_file(p) {
            Ok(s) => s,
            Err(e) => return fail(Exit::Usage, &e.to_string()),
        },
        None => SimState::default_aggregation(),
    };
    if let Some(v) = &args.routeros_version {
        if v.parse::<ispvm_routeros::adapter::RouterOsVersion>()
            .is_err()
        {
            return fail(Exit::Usage, &format!("invalid --routeros-version {v:?}"));
        }
        state.version.clone_from(v);
    }
    let mut builder = SimRouter::builder().state(state).listen(args.listen);
    if let (Some(user), Some(var)) = (&args.user, &args.password_env) {
        match std::env::var(var) {
            Ok(p) => builder = builder.user(user.clone(), Secret::new(p)),
            Err(_) => {
                return fail(
                    Exit::Usage,
                    &format!("environment variable {var} is not set"),
                );
            }
        }
    }
    if let (Some(addr), Some(cert), Some(key)) = (args.tls_listen, &args.cert, &args.key) {
        let read = |p: &PathBuf| cli::read_input(p, MAX_PEM).map_err(|e| e.to_string());
        match (read(cert), read(key)) {
            (Ok(c), Ok(k)) => builder = builder.tls(addr, c, k),
            (Err(e), _) | (_, Err(e)) => return fail(Exit::Usage, &e),
        }
    }
    let sim = match builder.start().await {
        Ok(s) => s,
        Err(e) => return fail(Exit::Runtime, &e.to_string()),
    };
    if args.reply_delay_ms > 0 {
        sim.set_reply_delay(Duration::from_millis(args.reply_delay_ms));
    }
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on {}", sim.addr());
        if let Some(t) = sim.tls_addr() {
            let _ = writeln!(out, "listening tls on {t}");
        }
        let _ = out.flush();
    }
    // Serve until killed; reload the state file when it changes.
    let mut seen = args.state.as_deref().and_then(mtime);
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let Some(path) = &args.state else { continue };
        let now = mtime(path);
        if now == seen {
            continue;
        }
        seen = now;
        match SimState::from_json_file(path) {
            Ok(mut s) => {
                if let Some(v) = &args.routeros_version {
                    s.version.clone_from(v);
                }
                sim.set_state(s);
                eprintln!("ispvm-sim: reloaded {}", path.display());
            }
            Err(e) => eprintln!("ispvm-sim: keeping the previous state: {e}"),
        }
    }
}
