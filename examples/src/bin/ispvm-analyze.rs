//! `ispvm-analyze [--at RFC3339] [--format json|text] FILE`: runs the RCA engine on a scenario
//! file (`-` reads standard input) and prints the analysis (`ispvm.analysis/v1`).
//!
//! Exit codes: 0 on success, 2 on invalid input (one line on standard error naming the JSON
//! pointer or entity at fault), 1 when the output cannot be written. Never a panic.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use clap::{Parser, ValueEnum};
use ispvm_examples::cli::{self, Exit};
use ispvm_pipeline::PipelineConfig;
use ispvm_rca::{Analysis, Engine, EngineConfig};

/// Largest scenario file read, in bytes.
const MAX_INPUT: u64 = 1 << 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Json,
    Text,
}

/// Runs the ispvm root-cause engine on a scenario file and prints the analysis.
#[derive(Debug, Parser)]
#[command(name = "ispvm-analyze", version)]
struct Args {
    /// Evaluation time (RFC 3339); defaults to the latest observation time.
    #[arg(long, value_name = "RFC3339")]
    at: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
    /// Scenario file (`ispvm.scenario/v1`), or `-` for standard input.
    #[arg(value_name = "FILE")]
    file: String,
}

/// An input problem: printed as one line, exit code 2.
struct Invalid(String);

fn invalid(place: &str, message: impl std::fmt::Display) -> Invalid {
    Invalid(format!("invalid scenario at {place}: {message}"))
}

/// The engine settings: the standard preset every ispvm binary shares (the engine's defaults
/// with ispvm-pppoe's robust subscriber model, its sparse fallback on so a rarely polled
/// concentrator (3200, then 50 hours later, still up) counts 3150 as the scenario contract
/// says).
fn engine_config() -> EngineConfig {
    PipelineConfig::standard().engine_config().clone()
}

fn run(args: &Args) -> Result<Analysis, Invalid> {
    let at: Option<DateTime<Utc>> = match &args.at {
        Some(s) => Some(
            DateTime::parse_from_rfc3339(s)
                .map_err(|e| {
                    Invalid(format!(
                        "--at {:?} is not an RFC 3339 timestamp: {e}",
                        ispvm_model::quote::bounded(s)
                    ))
                })?
                .with_timezone(&Utc),
        ),
        None => None,
    };
    let scenario = {
        let bytes = cli::read_input(&args.file, MAX_INPUT).map_err(|e| Invalid(e.to_string()))?;
        ispvm_schemas::scenario::parse_owned(bytes).map_err(|e| Invalid(e.to_string()))?
    };
    let at = match at.or_else(|| scenario.latest_observation_time()) {
        Some(at) => at,
        None => {
            return Err(invalid(
                "/observations",
                "no observation to take the evaluation time from; pass --at",
            ));
        }
    };
    let mut engine = Engine::new(Arc::new(scenario.topology), engine_config());
    engine
        .set_maintenance(&scenario.maintenance)
        .map_err(|e| invalid("/maintenance", e))?;
    engine
        .observe_batch(&scenario.observations)
        .map_err(|e| invalid("/observations", e))?;
    // The engine keeps what it needs: free the input before the analysis is made.
    drop(scenario.observations);
    Ok(engine.evaluate(at))
}

/// Writes the analysis to standard output, streamed through one buffer (the JSON document is
/// written row by row, never built whole).
fn print(analysis: &Analysis, format: Format) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &analysis.document_view())?;
            out.write_all(b"\n")?;
        }
        Format::Text => out.write_all(
            ispvm_report::text(&analysis.to_document(), &ispvm_report::TextOptions::full())
                .as_bytes(),
        )?,
    }
    out.flush()
}

fn main() -> ExitCode {
    cli::init_tracing();
    let args = Args::parse();
    match run(&args) {
        Ok(analysis) => match print(&analysis, args.format) {
            Ok(()) => Exit::Ok.into(),
            Err(e) => {
                tracing::debug!("cannot write the analysis: {e}");
                Exit::Runtime.into()
            }
        },
        Err(Invalid(message)) => {
            eprintln!("ispvm-analyze: {message}");
            Exit::Usage.into()
        }
    }
}
