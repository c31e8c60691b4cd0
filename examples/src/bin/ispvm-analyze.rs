//! `ispvm-analyze [--at RFC3339] [--format json|text] FILE`: runs the RCA engine on a scenario
//! file (`-` reads standard input) and prints the analysis (`ispvm.analysis/v1`).
//!
//! Exit codes: 0 on success, 2 on invalid input (one line on standard error naming the JSON
//! pointer or entity at fault), 1 when the output cannot be written. Never a panic.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

#[path = "ispvm-analyze/text.rs"]
mod text;

use std::io::{Read, Write};
use std::process::ExitCode;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use clap::{Parser, ValueEnum};
use ispvm_model::{DependencyGroup, Entity, MaintenanceWindow, Observation};
use ispvm_pipeline::PipelineConfig;
use ispvm_rca::{Engine, EngineConfig};
use ispvm_schemas::scenario::{ScenarioDocument, ScenarioError};
use ispvm_schemas::validation::{DocumentKind, validate};
use serde::de::DeserializeOwned;
use serde_json::Value;

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

fn read_input(file: &str) -> Result<Vec<u8>, Invalid> {
    let mut bytes = Vec::new();
    let result = if file == "-" {
        std::io::stdin().take(MAX_INPUT + 1).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(file).and_then(|f| f.take(MAX_INPUT + 1).read_to_end(&mut bytes))
    };
    result.map_err(|e| Invalid(format!("cannot read {file}: {e}")))?;
    if bytes.len() as u64 > MAX_INPUT {
        return Err(Invalid(format!("{file} is larger than {MAX_INPUT} bytes")));
    }
    Ok(bytes)
}

/// Finds the first item of `doc[key]` that does not deserialize as `T`, with its pointer.
fn first_bad_item<T: DeserializeOwned>(doc: &Value, key: &str) -> Option<Invalid> {
    let items = doc.get(key)?.as_array()?;
    items.iter().enumerate().find_map(|(i, item)| {
        serde_json::from_value::<T>(item.clone())
            .err()
            .map(|e| invalid(&format!("/{key}/{i}"), e))
    })
}

/// serde's message for the top-level array item holding `pointer` (`/entities/1/kind`).
fn serde_item_message(doc: &Value, pointer: &str) -> Option<String> {
    let mut parts = pointer.split('/').skip(1);
    let key = parts.next()?;
    let i: usize = parts.next()?.parse().ok()?;
    let item = doc.get(key)?.as_array()?.get(i)?.clone();
    let err = match key {
        "entities" => serde_json::from_value::<Entity>(item).err(),
        "dependencies" => serde_json::from_value::<DependencyGroup>(item).err(),
        "maintenance" => serde_json::from_value::<MaintenanceWindow>(item).err(),
        "observations" => serde_json::from_value::<Observation>(item).err(),
        _ => None,
    }?;
    Some(err.to_string())
}

fn parse_scenario(bytes: &[u8]) -> Result<ispvm_schemas::scenario::Scenario, Invalid> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        let text = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let text = text.strip_suffix(&suffix).unwrap_or(&text);
        Invalid(format!(
            "invalid JSON at line {}, column {}: {text}",
            e.line(),
            e.column()
        ))
    })?;
    if let Err(errors) = validate(DocumentKind::Scenario, &value) {
        let first = errors.first();
        let pointer = first.map_or("", |e| e.pointer.as_str());
        let message = first.map_or("does not match the scenario schema", |e| e.message.as_str());
        let place = if pointer.is_empty() { "/" } else { pointer };
        // Schema messages about `oneOf` are cryptic; serde says which values are allowed.
        if message.contains("oneOf") {
            if let Some(better) = serde_item_message(&value, pointer) {
                return Err(invalid(place, better));
            }
        }
        return Err(invalid(place, message));
    }
    let doc: ScenarioDocument = match serde_json::from_value(value.clone()) {
        Ok(doc) => doc,
        Err(e) => {
            // The schema cannot express every rule (end before start...): find the item.
            return Err(first_bad_item::<Entity>(&value, "entities")
                .or_else(|| first_bad_item::<DependencyGroup>(&value, "dependencies"))
                .or_else(|| first_bad_item::<MaintenanceWindow>(&value, "maintenance"))
                .or_else(|| first_bad_item::<Observation>(&value, "observations"))
                .unwrap_or_else(|| invalid("/", e)));
        }
    };
    doc.into_scenario().map_err(|e| {
        let pointer = e.pointer().to_string();
        let message = match &e {
            ScenarioError::Topology { source, .. } => source.to_string(),
            other => {
                let s = other.to_string();
                s.strip_prefix(&format!("{pointer}: "))
                    .map_or(s.clone(), str::to_string)
            }
        };
        invalid(&pointer, message)
    })
}

/// The engine settings: the standard preset every ispvm binary shares (the engine's defaults
/// with ispvm-pppoe's robust subscriber model, its sparse fallback on so a rarely polled
/// concentrator (3200, then 50 hours later, still up) counts 3150 as the scenario contract
/// says).
fn engine_config() -> EngineConfig {
    PipelineConfig::standard().engine_config().clone()
}

fn run(args: &Args) -> Result<String, Invalid> {
    let at: Option<DateTime<Utc>> = match &args.at {
        Some(s) => Some(
            DateTime::parse_from_rfc3339(s)
                .map_err(|e| Invalid(format!("--at {s:?} is not an RFC 3339 timestamp: {e}")))?
                .with_timezone(&Utc),
        ),
        None => None,
    };
    let bytes = read_input(&args.file)?;
    let scenario = parse_scenario(&bytes)?;
    let at = match at.or_else(|| scenario.latest_observation_time()) {
        Some(at) => at,
        None => {
            return Err(invalid(
                "/observations",
                "no observation to take the evaluation time from; pass --at",
            ));
        }
    };
    let topology = Arc::new(scenario.topology);
    let mut engine = Engine::new(Arc::clone(&topology), engine_config());
    engine
        .set_maintenance(&scenario.maintenance)
        .map_err(|e| invalid("/maintenance", e))?;
    engine
        .observe_batch(&scenario.observations)
        .map_err(|e| invalid("/observations", e))?;
    let analysis = engine.evaluate(at);
    let document = analysis.to_document();
    Ok(match args.format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&document)
                .map_err(|e| Invalid(format!("cannot serialize the analysis: {e}")))?;
            s.push('\n');
            s
        }
        Format::Text => text::render(&document),
    })
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(out) => {
            let mut stdout = std::io::stdout().lock();
            if stdout
                .write_all(out.as_bytes())
                .and_then(|()| stdout.flush())
                .is_err()
            {
                return ExitCode::from(1);
            }
            ExitCode::SUCCESS
        }
        Err(Invalid(message)) => {
            eprintln!("ispvm-analyze: {message}");
            ExitCode::from(2)
        }
    }
}
