//! `ispvm-schema`: the metric registry, the JSON Schemas and a validator for ispvm documents.
//!
//! ```text
//! ispvm-schema registry [--format markdown|json]   the metric/event registry
//! ispvm-schema show KIND                            the JSON Schema of a document kind
//! ispvm-schema validate [--kind KIND] FILE          validate a document (`-` = stdin)
//! ispvm-schema lint [--format text|json] [--alias ID]... [--max-maintenance-hours H] FILE
//!                                                   apply the style guide to a scenario
//! ```
//!
//! `lint` reads a scenario (or topology) document and prints one finding per line on stdout
//! (`SEVERITY CODE SUBJECT: MESSAGE; fix: FIX`, see `docs/style-guide.md`), or with
//! `--format json` one `ispvm.lint/v1` document; a summary line goes to stderr. Exit 0 clean
//! (hints allowed), 1 warnings only, 2 errors (or an unreadable document).
//!
//! `validate` checks, in order: the JSON Schema of the document's kind (from its `schema`,
//! `schema_version`, `metric_name` or `event_type` field, `root_causes` with `state` for an
//! incident record, or `--kind`), then what the Rust reader
//! checks beyond the schema (scenario structure, versions, batch limits), then for samples and
//! events the registry (the conformance kit). Exit 0 when valid (one line on stdout); exit 2 when
//! invalid or unreadable, with one `POINTER: message` line per fault on stderr (`(root)` stands
//! for the whole document).
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use ispvm_examples::cli::{self, Exit};
use ispvm_model::lint::{LintOptions, LintReport, LintSeverity};
use ispvm_schemas::analysis::AnalysisDocument;
use ispvm_schemas::conformance::{Violation, check_events, check_samples};
use ispvm_schemas::ingest::{IngestBatch, IngestError, MAX_BATCH_BYTES};
use ispvm_schemas::scenario::ScenarioDocument;
use ispvm_schemas::validation::{self, DocumentKind, SchemaError};
use ispvm_schemas::version::{SchemaVersion, check_document_id};
use ispvm_schemas::{Event, MetricSample, registry};
use serde_json::Value;

/// Registry, JSON Schemas and validation of ispvm documents.
#[derive(Debug, Parser)]
#[command(name = "ispvm-schema", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the metric and event registry.
    Registry {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Markdown)]
        format: Format,
    },
    /// Print the JSON Schema (draft 2020-12) of a document kind.
    Show {
        /// The document kind.
        #[arg(value_enum)]
        kind: Kind,
    },
    /// Validate a document; exit 2 with `POINTER: message` lines on stderr when invalid.
    Validate {
        /// The document kind (default: detected from the document).
        #[arg(long, value_enum)]
        kind: Option<Kind>,
        /// The file to validate, `-` for standard input.
        file: String,
    },
    /// Apply the style guide to a scenario document: exit 0 clean, 1 warnings only, 2 errors.
    Lint {
        /// Output format: one finding per line, or an `ispvm.lint/v1` JSON document.
        #[arg(long, value_enum, default_value_t = LintFormat::Text)]
        format: LintFormat,
        /// An entity id declared as an alias (exempt from the grammar checks); repeatable.
        #[arg(long = "alias", value_name = "ID")]
        aliases: Vec<String>,
        /// The longest maintenance window not reported, in hours.
        #[arg(long, value_name = "H", default_value_t = LintOptions::DEFAULT_MAX_MAINTENANCE_HOURS)]
        max_maintenance_hours: i64,
        /// The scenario file, `-` for standard input.
        file: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LintFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Markdown,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Kind {
    Scenario,
    Analysis,
    IngestBatch,
    MetricSample,
    Event,
    Incident,
    Notification,
}

impl From<Kind> for DocumentKind {
    fn from(k: Kind) -> Self {
        match k {
            Kind::Scenario => DocumentKind::Scenario,
            Kind::Analysis => DocumentKind::Analysis,
            Kind::IngestBatch => DocumentKind::IngestBatch,
            Kind::MetricSample => DocumentKind::MetricSample,
            Kind::Event => DocumentKind::Event,
            Kind::Incident => DocumentKind::Incident,
            Kind::Notification => DocumentKind::Notification,
        }
    }
}

fn main() -> ExitCode {
    cli::init_tracing();
    let args = Cli::parse();
    match args.command {
        Command::Registry { format } => {
            match format {
                Format::Markdown => print!("{}", registry::to_markdown()),
                Format::Json => println!("{}", registry::to_json()),
            }
            Exit::Ok.into()
        }
        Command::Show { kind } => {
            print!("{}", validation::schema_text(kind.into()));
            Exit::Ok.into()
        }
        Command::Lint {
            format,
            aliases,
            max_maintenance_hours,
            file,
        } => lint_file(&file, format, &aliases, max_maintenance_hours),
        Command::Validate { kind, file } => match validate_file(&file, kind.map(Into::into)) {
            Ok(kind) => {
                println!("{file}: valid {kind}");
                Exit::Ok.into()
            }
            Err(errors) => {
                for e in errors {
                    let pointer = if e.pointer.is_empty() {
                        "(root)"
                    } else {
                        &e.pointer
                    };
                    eprintln!("{pointer}: {}", e.message);
                }
                Exit::Usage.into()
            }
        },
    }
}

/// The `lint` subcommand.
fn lint_file(file: &str, format: LintFormat, aliases: &[String], max_hours: i64) -> ExitCode {
    let fail = |message: String| {
        eprintln!("{file}: {message}");
        ExitCode::from(2)
    };
    if !(1..=24 * 366).contains(&max_hours) {
        return fail(format!(
            "--max-maintenance-hours {max_hours}: give 1 to 8784 hours"
        ));
    }
    let mut options =
        LintOptions::default().with_max_maintenance(chrono::Duration::hours(max_hours));
    for a in aliases {
        match a.parse() {
            Ok(id) => options = options.with_alias(id),
            Err(e) => return fail(format!("--alias {a:?}: {e}")),
        }
    }
    let bytes = match read_input(file) {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    let doc: ScenarioDocument = match serde_json::from_slice(&bytes) {
        Ok(d) => d,
        Err(e) => {
            return fail(format!(
                "not a scenario document (line {}, column {}): {e}",
                e.line(),
                e.column()
            ));
        }
    };
    let report = ispvm_model::lint::lint(
        &doc.tenant,
        &doc.entities,
        &doc.dependencies,
        &doc.maintenance,
        &options,
    );
    match format {
        LintFormat::Text => print!("{}", report.to_text()),
        LintFormat::Json => println!("{}", lint_json(file, &doc, &report)),
    }
    eprintln!(
        "{file}: {} error(s), {} warning(s), {} hint(s)",
        report.count(LintSeverity::Error),
        report.count(LintSeverity::Warning),
        report.count(LintSeverity::Hint)
    );
    ExitCode::from(report.exit_code())
}

/// The `ispvm.lint/v1` document (documented in `docs/style-guide.md`).
fn lint_json(file: &str, doc: &ScenarioDocument, report: &LintReport) -> Value {
    serde_json::json!({
        "schema": "ispvm.lint/v1",
        "file": file,
        "tenant": doc.tenant,
        "summary": {
            "errors": report.count(LintSeverity::Error),
            "warnings": report.count(LintSeverity::Warning),
            "hints": report.count(LintSeverity::Hint),
            "exit": report.exit_code(),
        },
        "findings": report.findings(),
    })
}

/// Reads at most `MAX_BATCH_BYTES` (the largest document any reader accepts).
fn read_input(file: &str) -> Result<Vec<u8>, String> {
    let limit = u64::try_from(MAX_BATCH_BYTES).unwrap_or(u64::MAX);
    cli::read_input(file, limit).map_err(|e| match e {
        cli::ReadError::TooLarge { path, limit } => {
            format!("{path} is larger than {limit} bytes, the largest document accepted")
        }
        other => other.to_string(),
    })
}

fn root(message: impl Into<String>) -> Vec<SchemaError> {
    vec![SchemaError::new("", message)]
}

fn validate_file(file: &str, kind: Option<DocumentKind>) -> Result<DocumentKind, Vec<SchemaError>> {
    let bytes = read_input(file).map_err(root)?;
    let doc: Value = serde_json::from_slice(&bytes).map_err(|e| {
        root(format!(
            "not JSON (line {}, column {}): {e}",
            e.line(),
            e.column()
        ))
    })?;
    let kind = match kind.or_else(|| DocumentKind::detect(&doc)) {
        Some(kind) => kind,
        None => {
            return Err(root(
                "cannot tell the document kind (no schema, schema_version, metric_name or event_type field); use --kind",
            ));
        }
    };
    version_check(kind, &doc)?;
    validation::validate(kind, &doc)?;
    reader_checks(kind, doc, &bytes)?;
    Ok(kind)
}

/// Versions first: a document of another major gets one clear error, not a list of shape
/// errors against the v1 schema.
fn version_check(kind: DocumentKind, doc: &Value) -> Result<(), Vec<SchemaError>> {
    let (field, result) = match kind {
        DocumentKind::Scenario | DocumentKind::Analysis => {
            let Some(id) = doc.get("schema").and_then(Value::as_str) else {
                return Ok(());
            };
            let document = if kind == DocumentKind::Scenario {
                "scenario"
            } else {
                "analysis"
            };
            ("/schema", check_document_id(id, document))
        }
        DocumentKind::IngestBatch => {
            let Some(v) = doc.get("schema_version").and_then(Value::as_str) else {
                return Ok(());
            };
            (
                "/schema_version",
                v.parse::<SchemaVersion>()
                    .and_then(|v| SchemaVersion::CURRENT.accepts(v)),
            )
        }
        _ => return Ok(()),
    };
    result.map_err(|e| vec![SchemaError::new(field, e.to_string())])
}

/// What the Rust readers check beyond the JSON Schema.
fn reader_checks(kind: DocumentKind, doc: Value, bytes: &[u8]) -> Result<(), Vec<SchemaError>> {
    match kind {
        DocumentKind::Scenario => {
            let parsed: ScenarioDocument = from_value_located(
                doc,
                &["entities", "dependencies", "maintenance", "observations"],
            )?;
            parsed.into_scenario().map(drop).map_err(|e| {
                let pointer = e.pointer().to_string();
                let message = strip_prefix(&e.to_string(), &format!("{pointer}: "));
                vec![SchemaError::new(pointer, message)]
            })
        }
        DocumentKind::Analysis => {
            let parsed: AnalysisDocument = from_value_located(doc, &["entities", "incidents"])?;
            parsed
                .check_schema()
                .map_err(|e| vec![SchemaError::new("/schema", e.to_string())])
        }
        DocumentKind::IngestBatch => {
            let batch = IngestBatch::parse(bytes).map_err(|e| vec![ingest_error(&e)])?;
            let mut errors = located_violations("/metrics", check_samples(batch.metrics()));
            errors.extend(located_violations("/events", check_events(batch.events())));
            if errors.is_empty() {
                Ok(())
            } else {
                Err(errors)
            }
        }
        DocumentKind::Incident => {
            let _: ispvm_schemas::incident::IncidentRecord = from_value_located(doc, &[])?;
            Ok(())
        }
        DocumentKind::Notification => {
            let _: ispvm_schemas::notification::Notification = from_value_located(doc, &[])?;
            Ok(())
        }
        DocumentKind::MetricSample => {
            let sample: MetricSample = from_value_located(doc, &[])?;
            let errors = located_violations("", check_samples(&[sample]));
            if errors.is_empty() {
                Ok(())
            } else {
                Err(errors)
            }
        }
        _ => {
            let event: Event = from_value_located(doc, &[])?;
            let errors = located_violations("", check_events(&[event]));
            if errors.is_empty() {
                Ok(())
            } else {
                Err(errors)
            }
        }
    }
}

fn strip_prefix(message: &str, prefix: &str) -> String {
    message.strip_prefix(prefix).unwrap_or(message).to_string()
}

/// Deserializes `doc`; on failure, finds the first item of the named arrays that fails on its
/// own, so that the error names its place (the schema cannot express every rule, e.g. a
/// maintenance window that ends before it starts).
fn from_value_located<T: serde::de::DeserializeOwned>(
    doc: Value,
    arrays: &[&str],
) -> Result<T, Vec<SchemaError>> {
    match serde_json::from_value::<T>(doc.clone()) {
        Ok(v) => Ok(v),
        Err(e) => {
            for field in arrays {
                let items = doc.get(*field).and_then(Value::as_array);
                for (i, item) in items.into_iter().flatten().enumerate() {
                    if let Err(item_error) = item_error(field, item.clone()) {
                        return Err(vec![SchemaError::new(format!("/{field}/{i}"), item_error)]);
                    }
                }
            }
            Err(root(e.to_string()))
        }
    }
}

fn item_error(field: &str, item: Value) -> Result<(), String> {
    fn check<T: serde::de::DeserializeOwned>(item: Value) -> Result<(), String> {
        serde_json::from_value::<T>(item)
            .map(drop)
            .map_err(|e| e.to_string())
    }
    match field {
        "entities" => check::<ispvm_model::Entity>(item),
        "dependencies" => check::<ispvm_model::DependencyGroup>(item),
        "maintenance" => check::<ispvm_model::MaintenanceWindow>(item),
        "observations" => check::<ispvm_model::Observation>(item),
        "incidents" => check::<ispvm_model::Incident>(item),
        _ => Ok(()),
    }
}

fn ingest_error(e: &IngestError) -> SchemaError {
    let message = e.to_string();
    match e {
        IngestError::Version(_) => SchemaError::new(
            "/schema_version",
            strip_prefix(&message, "/schema_version: "),
        ),
        IngestError::TooManyMetrics { .. } => SchemaError::new("/metrics", message),
        IngestError::TooManyEvents { .. } => SchemaError::new("/events", message),
        IngestError::InvalidAgent { field } => {
            let pointer = format!("/agent/{field}");
            SchemaError::new(
                pointer.clone(),
                strip_prefix(&message, &format!("{pointer}: ")),
            )
        }
        _ => SchemaError::new("", message),
    }
}

fn located_violations(array: &str, violations: Vec<Violation>) -> Vec<SchemaError> {
    violations
        .into_iter()
        .map(|v| {
            let message = strip_prefix(&v.to_string(), &format!("#{}: ", v.index()));
            let pointer = if array.is_empty() {
                String::new()
            } else {
                format!("{array}/{}", v.index())
            };
            SchemaError::new(pointer, message)
        })
        .collect()
}
