//! `ispvm-poll`: log in to one RouterOS device (real or simulated), poll it once and print
//! canonical samples (contract: `docs/spec/routeros.md`).
//!
//! ```text
//! ispvm-poll --host HOST [--port N] [--tls [--ca PEM]] --user NAME [--password-env VAR]
//!            [--device-id ID] [--format jsonl|table]
//! ```
//! Exit 0 on success, 2 on bad arguments, 3 when the device cannot be reached or refuses the
//! login (one line on standard error, never the password).
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use ispvm_model::{AdapterError, DeviceAdapter, EntityId, Sample, SampleValue};
use ispvm_routeros::client::{ClientConfig, TlsOptions};
use ispvm_routeros::{RouterOsAdapter, Secret};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    /// One JSON object per line.
    Jsonl,
    /// An aligned table for people.
    Table,
}

/// Poll one RouterOS device once and print canonical samples.
#[derive(Debug, Parser)]
#[command(name = "ispvm-poll", version)]
struct Args {
    /// Device address (name or IP).
    #[arg(long)]
    host: String,
    /// API port (default 8728, or 8729 with --tls).
    #[arg(long)]
    port: Option<u16>,
    /// Use API-SSL (TLS).
    #[arg(long)]
    tls: bool,
    /// PEM file with the CA that signed the device's certificate (default: system roots).
    #[arg(long, requires = "tls")]
    ca: Option<PathBuf>,
    /// API user (a read-only user is enough).
    #[arg(long)]
    user: String,
    /// Environment variable holding the password.
    #[arg(long, default_value = "ISPVM_PASSWORD")]
    password_env: String,
    /// Entity id of the device (default: its /system/identity name).
    #[arg(long)]
    device_id: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "jsonl")]
    format: Format,
    /// Timeout of each step (connect, login, each menu), in seconds.
    #[arg(long, default_value_t = 10)]
    timeout: u64,
}

fn bad_args(msg: &str) -> ExitCode {
    eprintln!("ispvm-poll: {msg}");
    ExitCode::from(2)
}

fn value_text(s: &Sample) -> String {
    match &s.value {
        SampleValue::Num(v) => v.to_string(),
        SampleValue::Text(t) => t.clone(),
        _ => String::new(),
    }
}

fn print_table(samples: &[Sample], out: &mut impl Write) -> std::io::Result<()> {
    let rows: Vec<[String; 5]> = samples
        .iter()
        .map(|s| {
            let labels = s
                .labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",");
            [
                s.entity_id.to_string(),
                s.metric_name.clone(),
                value_text(s),
                s.unit.clone(),
                labels,
            ]
        })
        .collect();
    let head = ["ENTITY", "METRIC", "VALUE", "UNIT", "LABELS"];
    let mut width = head.map(str::len);
    for r in &rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: [&str; 5], out: &mut dyn Write| {
        let mut text = String::new();
        for (i, (c, w)) in cells.iter().zip(width).enumerate() {
            if i == 4 {
                text.push_str(c);
            } else {
                text.push_str(&format!("{c:<w$}  "));
            }
        }
        writeln!(out, "{}", text.trim_end())
    };
    line(head, out)?;
    for r in &rows {
        line([&r[0], &r[1], &r[2], &r[3], &r[4]], out)?;
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    // clap exits 2 on bad arguments and 0 after --help/--version, as the contract asks.
    let args = Args::parse();
    let password = match std::env::var(&args.password_env) {
        Ok(p) => Secret::new(p),
        Err(std::env::VarError::NotPresent) if args.password_env == "ISPVM_PASSWORD" => {
            Secret::default()
        }
        Err(_) => {
            return bad_args(&format!(
                "environment variable {} is not set (or not UTF-8)",
                args.password_env
            ));
        }
    };
    let device_id = match args.device_id.as_deref().map(str::parse::<EntityId>) {
        None => None,
        Some(Ok(id)) => Some(id),
        Some(Err(e)) => return bad_args(&format!("invalid --device-id: {e}")),
    };
    let t = Duration::from_secs(args.timeout.max(1));
    let mut config = ClientConfig::new(args.host.clone(), args.user.clone(), password)
        .with_connect_timeout(t)
        .with_login_timeout(t)
        .with_command_timeout(t);
    if args.tls {
        let mut tls = TlsOptions::new();
        if let Some(ca) = &args.ca {
            match std::fs::read(ca) {
                Ok(pem) => tls = tls.with_ca_pem(pem),
                Err(e) => return bad_args(&format!("cannot read --ca {}: {e}", ca.display())),
            }
        }
        config = config.with_tls(tls);
    }
    if let Some(p) = args.port {
        config = config.with_port(p);
    }
    let address = config.address();
    let mut adapter = RouterOsAdapter::new(config);
    if let Some(id) = device_id {
        adapter = adapter.with_device_id(id);
    }
    let collection = match adapter.collect().await {
        Ok(c) => c,
        Err(e) => {
            let code = match e {
                AdapterError::Protocol { .. } => 1,
                _ => 3,
            };
            let what = match &e {
                AdapterError::Authentication { .. } => {
                    format!("{address} refused the login of user {:?}", args.user)
                }
                other => other.to_string(),
            };
            eprintln!("ispvm-poll: {what}");
            return ExitCode::from(code);
        }
    };
    for w in &collection.warnings {
        eprintln!("ispvm-poll: warning: {w}");
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let res = match args.format {
        Format::Jsonl => collection.samples.iter().try_for_each(|s| {
            serde_json::to_writer(&mut out, s).map_err(std::io::Error::other)?;
            out.write_all(b"\n")
        }),
        Format::Table => print_table(&collection.samples, &mut out),
    };
    if res.and_then(|()| out.flush()).is_err() {
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
