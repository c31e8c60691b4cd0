//! # `ispvm-demo`: a small ISP, an outage story, and the RCA engine explaining it
//!
//! The README's first command. It starts 17 simulated RouterOS routers in this process (each
//! an `ispvm-sim` on `127.0.0.1:0`, core1 over API-SSL with a CA made at start), polls them
//! with the real client and [`RouterOsAdapter`](ispvm_routeros::RouterOsAdapter), turns the
//! samples into an [`ispvm_pipeline::Pipeline`] (the RCA engine, the PPPoE session tracker, the
//! RADIUS failure rate and the incident classifier, with the standard preset every ispvm binary
//! shares) over a scripted story. No setup, no files needed.
//!
//! ```text
//!  story::plan(seed) ─> Fleet (17 × ispvm-sim) ──TCP/TLS──> RouterOsAdapter (concurrent polls)
//!   /ppp/active rows ─> Pipeline::ppp_active   (connects, disconnects, churn per minute)
//!            samples ─> Pipeline::ingest_samples (observations, sessions, RADIUS failure rate)
//!        failed poll ─> Pipeline::poll_failed    (device.up 0)
//!   Pipeline::snapshot(tick) ─> analysis, incident classes, churn, RADIUS rates, events
//!  timeline on stdout; out/analysis.json, analysis-final.json, topology.dot, report.html
//! ```
//!
//! ## The ISP ([`isp`])
//! Two cores (core1, core2) with three transit BGP sessions (transit1, transit2 on core1,
//! transit3 on core2) and an upstream service `internet` needing 2 of the 3; an aggregation
//! ring agg1-agg4 (agg1, agg3: any(core1, core2); agg2: any(agg1, agg3); agg4: any(agg3, agg1));
//! eight access switches, each dual-homed to two adjacent ring routers; three PPPoE
//! concentrators (bras1 3200 sessions on agg1/agg2, bras2 2100 on agg2/agg3, bras3 900 on
//! agg3/agg4) and radius1, the RADIUS server they use. The poller sits behind the cores: a
//! router whose every path is cut stops answering (the demo stops its simulator).
//!
//! ## The story ([`story`]), one poll of every router per simulated minute
//! 1. Baseline: everything answers, no incident.
//! 2. agg2 fails: nothing is suppressed (redundancy holds); the groups that lost a member
//!    report `redundancy_lost`; one incident, agg2 primary, no impact.
//! 3. Its ring neighbour agg3 fails: acc3, acc4 and bras2 become unreachable and suppressed,
//!    explained by agg2 and agg3 (one incident); bras2's ~2,100 subscribers are affected.
//! 4. A planned maintenance window on agg4 overlaps: agg4 goes down inside it, acc5, acc6 and
//!    bras3 are cut off; agg4 joins the incident as a `maintenance` cause, contributing.
//! 5. RADIUS times out at bras1: its sessions drop although it answers (full `/ppp/active`
//!    snapshots show them leave by the thousand while only the few accepted log back in: churn
//!    per minute is told, and recovery shows them reconnect): a `degradation` cause
//!    of its own incident, subscribers counted; ispvm-pppoe's classifier (through the
//!    pipeline) names its class, `radius_failure`, with its evidence, confidence and runbook.
//! 6. Recovery: every router is back, sessions return, every incident closes.
//!
//! The clock is simulated (09:00 UTC on 2026-03-14 plus one minute per tick), and the seed
//! only drives noise, so a given `--seed` always writes the same `analysis.json`.
//!
//! ## Outputs (in `--out`, default `out/`)
//! - `analysis.json`: the analysis at the end of step 5, the worst state of the story (every
//!   incident open at once), validated against the `ispvm.analysis/v1` schema before writing;
//! - `analysis-final.json`: the analysis after the recovery (step 6), validated too;
//! - `topology.dot`: the topology coloured by the step-5 analysis (Graphviz);
//! - `report.html`: the self-contained report of the step-5 analysis, with the whole story's
//!   timeline.
//!
//! # Examples
//! ```no_run
//! use ispvm_examples::demo::{DemoOptions, run};
//! # async fn demo() -> Result<(), ispvm_examples::demo::DemoError> {
//! let options = DemoOptions::new().with_seed(42).with_speed(0.0).with_out_dir("out");
//! let outcome = run(&options, &mut std::io::stdout()).await?;
//! assert!(outcome.final_analysis.incidents.is_empty());
//! # Ok(()) }
//! ```
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod isp;
pub mod story;

mod fleet;
mod term;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ispvm_model::{EntityId, Incident, Topology};
use ispvm_pipeline::{Pipeline, PipelineConfig, PollFailure};
use ispvm_pppoe::classes::Classification;
use ispvm_report::{ReportOptions, TextOptions, TimelineEntry};
use ispvm_routeros::sim::SimError;
use ispvm_schemas::analysis::AnalysisDocument;
use ispvm_schemas::validation::{DocumentKind, validate};

use fleet::{Fleet, TlsMaterial};
use term::{Palette, thousands, wrap};

/// The seed used when none is given.
pub const DEFAULT_SEED: u64 = 2026;

/// Real pause between two ticks at `--speed 1`.
pub const BASE_PAUSE: Duration = Duration::from_millis(450);

/// Churn (connects plus disconnects per minute) from which a concentrator's churn is told in
/// the timeline; the demo's concentrators churn well below it in normal operation.
pub const CHURN_NOTE_PER_MIN: f64 = 100.0;

/// How the demo runs. Built with [`DemoOptions::new`] and the `with_*` methods.
///
/// # Examples
/// ```
/// use ispvm_examples::demo::DemoOptions;
/// let o = DemoOptions::new().with_seed(1).with_speed(0.0).with_color(false);
/// assert_eq!(o.seed, 1);
/// assert_eq!(o.out_dir, std::path::PathBuf::from("out"));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DemoOptions {
    /// Seed of the noise (session counts, RADIUS request rates, CPU load).
    pub seed: u64,
    /// Where the files go.
    pub out_dir: PathBuf,
    /// Playback speed: pauses between ticks are [`BASE_PAUSE`] divided by it; 0 = no pauses.
    pub speed: f64,
    /// ANSI colours (and a live progress line while polling).
    pub color: bool,
    /// Print only the final summary and the files written.
    pub quiet: bool,
}

impl DemoOptions {
    /// Seed [`DEFAULT_SEED`], `out/`, speed 1, no colours, not quiet.
    #[must_use]
    pub fn new() -> Self {
        Self {
            seed: DEFAULT_SEED,
            out_dir: PathBuf::from("out"),
            speed: 1.0,
            color: false,
            quiet: false,
        }
    }
    /// Sets the seed.
    #[must_use]
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Sets the output directory.
    #[must_use]
    pub fn with_out_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.out_dir = dir.into();
        self
    }
    /// Sets the playback speed (0 = no pauses).
    #[must_use]
    pub fn with_speed(mut self, speed: f64) -> Self {
        self.speed = speed;
        self
    }
    /// Turns colours on or off.
    #[must_use]
    pub fn with_color(mut self, color: bool) -> Self {
        self.color = color;
        self
    }
    /// Prints only the summary.
    #[must_use]
    pub fn with_quiet(mut self, quiet: bool) -> Self {
        self.quiet = quiet;
        self
    }
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self::new()
    }
}

/// Why the demo failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    /// `--speed` is negative or not a number.
    #[error("--speed must be a finite number >= 0, got {0}")]
    BadSpeed(f64),
    /// A simulated router could not start (e.g. its port cannot be bound).
    #[error("cannot start the simulated router {router}: {source}")]
    Sim {
        /// The router.
        router: String,
        /// Why.
        source: SimError,
    },
    /// The demo CA or certificate could not be made.
    #[error("cannot make the demo TLS certificates: {0}")]
    Tls(String),
    /// The embedded ISP is inconsistent.
    #[error("the demo ISP is inconsistent: {0}")]
    Isp(#[from] isp::IspError),
    /// The story fed the engine something it refused.
    #[error("story: {0}")]
    Story(String),
    /// An analysis does not validate against its schema.
    #[error("{file} does not validate against the ispvm.analysis/v1 schema: {errors}")]
    Invalid {
        /// The file that was about to be written.
        file: String,
        /// The schema errors, joined.
        errors: String,
    },
    /// A file could not be written.
    #[error("cannot write {path}: {reason}")]
    Io {
        /// The path.
        path: String,
        /// Why.
        reason: String,
    },
    /// The timeline could not be written to the output.
    #[error("cannot write the timeline: {0}")]
    Output(String),
}

/// What the demo did.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DemoOutcome {
    /// The analysis at the end of step [`story::WORST_STEP`] (written to `analysis.json`).
    pub worst_analysis: AnalysisDocument,
    /// The analysis after the recovery (written to `analysis-final.json`).
    pub final_analysis: AnalysisDocument,
    /// The analysis at the end of each step, in order.
    pub step_analyses: Vec<AnalysisDocument>,
    /// The files written.
    pub files: Vec<PathBuf>,
    /// The story's timeline (also in `report.html`).
    pub timeline: Vec<TimelineEntry>,
    /// Router polls made and polls answered.
    pub polls: (usize, usize),
    /// Every incident id opened during the story, in opening order.
    pub incidents_opened: Vec<String>,
}

struct Out<'a> {
    w: &'a mut dyn Write,
    quiet: bool,
}

impl Out<'_> {
    fn say(&mut self, s: &str) -> Result<(), DemoError> {
        if self.quiet {
            return Ok(());
        }
        self.w
            .write_all(s.as_bytes())
            .and_then(|()| self.w.flush())
            .map_err(|e| DemoError::Output(e.to_string()))
    }
    fn always(&mut self, s: &str) -> Result<(), DemoError> {
        self.w
            .write_all(s.as_bytes())
            .and_then(|()| self.w.flush())
            .map_err(|e| DemoError::Output(e.to_string()))
    }
}

fn hhmmss(at: DateTime<Utc>) -> String {
    at.format("%H:%M:%S").to_string()
}

/// Runs the whole story, writes the timeline to `out` and the files to
/// [`DemoOptions::out_dir`].
///
/// # Errors
/// [`DemoError`]: a simulator cannot bind, the certificates cannot be made, an analysis does
/// not validate against its schema, a file cannot be written.
pub async fn run(options: &DemoOptions, out: &mut dyn Write) -> Result<DemoOutcome, DemoError> {
    if !options.speed.is_finite() || options.speed < 0.0 {
        return Err(DemoError::BadSpeed(options.speed));
    }
    let pause = if options.speed == 0.0 {
        Duration::ZERO
    } else {
        BASE_PAUSE.div_f64(options.speed)
    };
    let p = Palette::new(options.color);
    let mut out = Out {
        w: out,
        quiet: options.quiet,
    };
    let topology = Arc::new(isp::topology()?);
    let fleet = Fleet::start(TlsMaterial::generate()?).await?;
    let result = play(options, pause, p, &mut out, &topology, fleet).await;
    let (outcome_parts, fleet) = result;
    fleet.shutdown().await;
    let parts = outcome_parts?;
    finish(options, p, &mut out, &topology, parts)
}

struct Played {
    step_analyses: Vec<AnalysisDocument>,
    worst: AnalysisDocument,
    last: AnalysisDocument,
    timeline: Vec<TimelineEntry>,
    polls: (usize, usize),
    incidents_opened: Vec<String>,
    max_subscribers: (u64, u8),
}

/// The pipeline of the demo's ISP: the standard preset, radius1 at its address, the transit
/// BGP sessions under their topology names.
///
/// # Errors
/// [`DemoError::Story`] when an embedded id is invalid.
pub fn pipeline_config() -> Result<PipelineConfig, DemoError> {
    let id = |s: &str| EntityId::new(s).map_err(|e| DemoError::Story(e.to_string()));
    let mut config =
        PipelineConfig::standard().with_radius_server(isp::RADIUS_ADDRESS, id(isp::RADIUS_ID)?);
    for (transit, core, address, _) in isp::TRANSITS {
        let session = id(core)?
            .bgp_session(address)
            .map_err(|e| DemoError::Story(e.to_string()))?;
        config = config.with_alias(session.as_str(), id(transit)?);
    }
    Ok(config)
}

/// One line for a classification: class, concentrator, confidence, runbook, evidence notes.
fn class_line(c: &Classification) -> String {
    let notes: Vec<&str> = c
        .evidence
        .iter()
        .filter_map(|e| e.note.as_deref())
        .collect();
    format!(
        "{} at {} (confidence {:.2}, runbook {}): {}",
        c.class.as_str(),
        c.concentrator,
        c.confidence.get(),
        c.runbook(),
        notes.join("; ")
    )
}

/// The class line of an incident, if the classifier recognises any of its concentrators.
fn class_of(classes: &[Classification]) -> Option<String> {
    let lines: Vec<String> = classes.iter().map(class_line).collect();
    (!lines.is_empty()).then(|| lines.join(" | "))
}

#[allow(clippy::too_many_lines)]
async fn play(
    options: &DemoOptions,
    pause: Duration,
    p: Palette,
    out: &mut Out<'_>,
    topology: &Arc<Topology>,
    mut fleet: Fleet,
) -> (Result<Played, DemoError>, Fleet) {
    let r = play_inner(options, pause, p, out, topology, &mut fleet).await;
    (r, fleet)
}

#[allow(clippy::too_many_lines)]
async fn play_inner(
    options: &DemoOptions,
    pause: Duration,
    p: Palette,
    out: &mut Out<'_>,
    topology: &Arc<Topology>,
    fleet: &mut Fleet,
) -> Result<Played, DemoError> {
    let story_err = |e: &dyn std::fmt::Display| DemoError::Story(e.to_string());
    let mut pipeline = Pipeline::new(Arc::clone(topology), pipeline_config()?);
    let window = story::maintenance_window().map_err(|e| story_err(&e))?;
    pipeline
        .set_maintenance(std::slice::from_ref(&window))
        .map_err(|e| story_err(&e))?;

    let total = fleet.len();
    let tls = fleet
        .tls_router()
        .map(|(r, a)| format!("{r} over API-SSL (TLS) at {a}"))
        .unwrap_or_default();
    out.say(&format!(
        "{}\n{}\n",
        p.bold("ispvm demo: a small ISP, an outage story, and the root-cause engine"),
        p.dim(&format!(
            "seed {} · {} simulated RouterOS routers on 127.0.0.1 · {} · one poll per simulated minute",
            options.seed, total, tls
        )),
    ))?;

    let plan = story::plan(options.seed);
    let mut played = Played {
        step_analyses: Vec::new(),
        worst: pipeline.snapshot(story::start()).analysis,
        last: pipeline.snapshot(story::start()).analysis,
        timeline: Vec::new(),
        polls: (0, 0),
        incidents_opened: Vec::new(),
        max_subscribers: (0, 0),
    };

    for tick in &plan {
        let step = story::STEPS
            .iter()
            .find(|s| s.number == tick.step)
            .copied()
            .ok_or_else(|| DemoError::Story(format!("no step {}", tick.step)))?;
        if tick.index_in_step == 0 {
            out.say(&format!(
                "\n{} {}\n{}",
                p.cyan(&format!("━━ Step {} · {} ·", step.number, hhmmss(tick.at))),
                p.bold(step.title),
                wrap(step.narration, "   ", 96)
            ))?;
            played.timeline.push(TimelineEntry::new(
                tick.at,
                format!("Step {}: {}. {}", step.number, step.title, step.narration),
            ));
            if step.number == 4 {
                let line = format!(
                    "maintenance window on {} active {} to {} ({})",
                    story::MAINTENANCE_ENTITY,
                    hhmmss(window.start()),
                    hhmmss(window.end()),
                    window.reason().unwrap_or("planned"),
                );
                out.say(&format!("   {}\n", p.cyan(&line)))?;
            }
        }

        // 1. The network follows the plan.
        let live = isp::reachable_routers(&tick.down);
        fleet.apply(tick, &live).await?;

        // 2. Poll every router concurrently.
        let progress_on = p.is_on() && !options.quiet;
        let mut progress_err = None;
        let results = fleet
            .poll(tick.at, |done, total| {
                if progress_on {
                    let line = format!("\r   {}  polling {done}/{total} routers", hhmmss(tick.at));
                    if let Err(e) = out.say(&line) {
                        progress_err = Some(e);
                    }
                }
            })
            .await;
        if let Some(e) = progress_err {
            return Err(e);
        }
        // ... and every concentrator's full /ppp/active, for churn.
        let listings = fleet.ppp_active().await;

        // 3. Into the pipeline: the /ppp/active listings first (the better source of a
        //    concentrator's sessions at this instant), then the samples, then the failed polls.
        let mut notes = Vec::new();
        for (router, rows) in &listings {
            let id = EntityId::new(*router).map_err(|e| story_err(&e))?;
            let churn = pipeline
                .ppp_active(&id, tick.at, rows)
                .map_err(|e| story_err(&e))?;
            let per_min = churn.churn_per_min.unwrap_or(0.0);
            if per_min >= CHURN_NOTE_PER_MIN {
                notes.push(format!(
                    "{} churn {:.0}/min: {} connects, {} disconnects, {} sessions active",
                    churn.concentrator,
                    per_min,
                    thousands(churn.connects),
                    thousands(churn.disconnects),
                    thousands(churn.active),
                ));
            }
        }
        let mut samples = Vec::new();
        let mut unreachable = Vec::new();
        for r in &results {
            played.polls.0 += 1;
            match &r.outcome {
                Ok(c) => {
                    played.polls.1 += 1;
                    samples.extend(c.samples.iter().cloned());
                }
                Err(_) => unreachable.push(r.router),
            }
        }
        pipeline.ingest_samples(&samples);
        for router in &unreachable {
            let id = EntityId::new(*router).map_err(|e| story_err(&e))?;
            pipeline
                .poll_failed(&id, tick.at, PollFailure::Timeout)
                .map_err(|e| story_err(&e))?;
        }

        // 4. The state at the simulated time.
        let snap = pipeline.snapshot(tick.at);
        for e in &snap.events {
            let before = e.payload.get("before").and_then(serde_json::Value::as_f64);
            let after = e.payload.get("after").and_then(serde_json::Value::as_f64);
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let n = |v: Option<f64>| v.map_or_else(|| "?".into(), |v| thousands(v.max(0.0) as u64));
            notes.push(format!(
                "{} event on {}: sessions {} -> {}",
                e.event_type,
                e.entity_id,
                n(before),
                n(after)
            ));
        }
        for r in snap.radius.iter().filter(|r| r.at == tick.at && r.degraded) {
            notes.push(format!(
                "{}: {:.0}% of RADIUS requests to {} failed in the last minute",
                r.concentrator,
                r.failure_rate * 100.0,
                r.server
                    .as_ref()
                    .map_or("its RADIUS server", EntityId::as_str),
            ));
        }
        let doc = snap.analysis.clone();

        let mut opened: Vec<&Incident> = doc
            .incidents
            .iter()
            .filter(|i| snap.opened.contains(&i.id))
            .collect();
        opened.sort_by(|a, b| a.id.cmp(&b.id));
        for i in opened {
            played.incidents_opened.push(i.id.clone());
            let line = match class_of(snap.classes_of(&i.id)) {
                Some(class) => format!("incident opened: {}: {}; class {class}", i.id, i.summary),
                None => format!("incident opened: {}: {}", i.id, i.summary),
            };
            notes.push(line.clone());
            played.timeline.push(TimelineEntry::new(tick.at, line));
        }
        for i in &snap.closed {
            let line = format!("incident closed: {} ({})", i.id, i.summary);
            notes.push(line.clone());
            played.timeline.push(TimelineEntry::new(tick.at, line));
        }

        let status = if unreachable.is_empty() {
            p.green(&format!("{}/{} answered", total, total))
        } else {
            format!(
                "{}/{} answered, {} {}",
                total - unreachable.len(),
                total,
                p.red(&format!("{} unreachable", unreachable.len())),
                p.dim(&format!("({})", unreachable.join(", ")))
            )
        };
        let clear = if progress_on { "\r\x1b[2K" } else { "" };
        out.say(&format!(
            "{clear}   {}  polled {total}/{total} routers: {status} · {} open incident{}\n",
            hhmmss(tick.at),
            doc.incidents.len(),
            if doc.incidents.len() == 1 { "" } else { "s" },
        ))?;
        for n in &notes {
            out.say(&format!("             {}\n", p.yellow(n)))?;
        }
        for n in notes.iter().filter(|n| !n.starts_with("incident ")) {
            played.timeline.push(TimelineEntry::new(tick.at, n.clone()));
        }

        let subscribers: u64 = doc.incidents.iter().map(|i| i.subscribers_affected).sum();
        if subscribers > played.max_subscribers.0 {
            played.max_subscribers = (subscribers, step.number);
        }

        // 5. At the end of a step, the open incidents in compact form.
        if tick.index_in_step + 1 == step.ticks {
            let mut text = TextOptions::compact().with_colour(p.is_on());
            for i in &doc.incidents {
                if let Some(class) = class_of(snap.classes_of(&i.id)) {
                    text = text.with_incident_note(i.id.clone(), "class", class);
                }
            }
            out.say(&ispvm_report::text(&doc, &text))?;
            if step.number == story::WORST_STEP {
                played.worst = doc.clone();
            }
            played.step_analyses.push(doc.clone());
        }
        played.last = doc;
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
    }
    Ok(played)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), DemoError> {
    std::fs::write(path, bytes).map_err(|e| DemoError::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

fn checked_json(file: &str, doc: &AnalysisDocument) -> Result<String, DemoError> {
    let value = serde_json::to_value(doc).map_err(|e| DemoError::Invalid {
        file: file.to_owned(),
        errors: e.to_string(),
    })?;
    validate(DocumentKind::Analysis, &value).map_err(|errors| DemoError::Invalid {
        file: file.to_owned(),
        errors: errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; "),
    })?;
    let mut s = serde_json::to_string_pretty(doc).map_err(|e| DemoError::Invalid {
        file: file.to_owned(),
        errors: e.to_string(),
    })?;
    s.push('\n');
    Ok(s)
}

fn finish(
    options: &DemoOptions,
    p: Palette,
    out: &mut Out<'_>,
    topology: &Topology,
    played: Played,
) -> Result<DemoOutcome, DemoError> {
    let dir = &options.out_dir;
    let worst_json = checked_json("analysis.json", &played.worst)?;
    let final_json = checked_json("analysis-final.json", &played.last)?;
    std::fs::create_dir_all(dir).map_err(|e| DemoError::Io {
        path: dir.display().to_string(),
        reason: e.to_string(),
    })?;
    let report = ReportOptions::new(format!(
        "ispvm demo: state at step {} (the worst), seed {}",
        story::WORST_STEP,
        options.seed
    ))
    .with_timeline(played.timeline.clone());
    let files: Vec<(PathBuf, Vec<u8>)> = vec![
        (dir.join("analysis.json"), worst_json.into_bytes()),
        (dir.join("analysis-final.json"), final_json.into_bytes()),
        (
            dir.join("topology.dot"),
            ispvm_report::dot(topology, &played.worst).into_bytes(),
        ),
        (
            dir.join("report.html"),
            ispvm_report::html(topology, &played.worst, &report).into_bytes(),
        ),
    ];
    for (path, bytes) in &files {
        write_file(path, bytes)?;
    }
    let still_open = played.last.incidents.len();
    let closing = if still_open == 0 {
        p.green("all closed after the recovery")
    } else {
        p.red(&format!("{still_open} still open"))
    };
    out.always(&format!(
        "\n{} {} ticks, {} polls ({} answered); {} incidents opened during the story, {}; \
         at worst {} subscribers affected (step {}).\n",
        p.bold("Summary:"),
        story::total_ticks(),
        played.polls.0,
        played.polls.1,
        played.incidents_opened.len(),
        closing,
        thousands(played.max_subscribers.0),
        played.max_subscribers.1,
    ))?;
    let labels = [
        "analysis at step 5, the worst state (ispvm.analysis/v1, validated)",
        "analysis after the recovery (validated)",
        "topology coloured by the step-5 analysis (Graphviz)",
        "self-contained report of step 5 with the whole timeline",
    ];
    for ((path, _), label) in files.iter().zip(labels) {
        out.always(&format!(
            "  {}  {}\n",
            p.bold(&path.display().to_string()),
            p.dim(label)
        ))?;
    }
    let step_ids: BTreeSet<&str> = played
        .step_analyses
        .iter()
        .flat_map(|d| d.incidents.iter().map(|i| i.id.as_str()))
        .collect();
    debug_assert!(step_ids.len() <= played.incidents_opened.len());
    Ok(DemoOutcome {
        worst_analysis: played.worst,
        final_analysis: played.last,
        step_analyses: played.step_analyses,
        files: files.into_iter().map(|(p, _)| p).collect(),
        timeline: played.timeline,
        polls: played.polls,
        incidents_opened: played.incidents_opened,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ispvm_model::{CauseKind, CauseRole, EntityStatus};

    #[tokio::test]
    async fn bad_speed_is_refused_before_anything_starts() {
        let mut sink = Vec::new();
        for speed in [-1.0, f64::NAN, f64::INFINITY] {
            let o = DemoOptions::new().with_speed(speed);
            let e = run(&o, &mut sink).await.unwrap_err();
            assert!(matches!(e, DemoError::BadSpeed(_)), "{e}");
        }
        assert!(sink.is_empty());
    }

    fn rows(
        doc: &AnalysisDocument,
    ) -> std::collections::BTreeMap<&str, &ispvm_model::EntityReport> {
        doc.entities.iter().map(|e| (e.id.as_str(), e)).collect()
    }

    /// The whole story in process: each step's analysis says what its narration promises.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_step_matches_its_narration() {
        let dir = tempfile::tempdir().unwrap();
        let options = DemoOptions::new()
            .with_seed(11)
            .with_speed(0.0)
            .with_out_dir(dir.path());
        let mut text = Vec::new();
        let outcome = run(&options, &mut text).await.unwrap();
        let text = String::from_utf8(text).unwrap();
        let plan = story::plan(11);
        assert_eq!(outcome.step_analyses.len(), 6);
        assert_eq!(outcome.polls, (238, 181));
        assert_eq!(
            outcome.incidents_opened,
            ["inc-20260314T090300Z-agg2", "inc-20260314T090900Z-bras1"]
        );

        // 1. Baseline: nothing wrong.
        let s1 = &outcome.step_analyses[0];
        assert!(s1.incidents.is_empty());
        assert!(s1.entities.iter().all(|e| !e.suppressed));

        // 2. agg2 down: no suppression, redundancy lost, one incident without impact.
        let s2 = &outcome.step_analyses[1];
        assert!(s2.entities.iter().all(|e| !e.suppressed));
        let r = rows(s2);
        for id in ["acc1", "acc2", "acc3", "acc4", "bras1", "bras2"] {
            assert_eq!(r[id].status, EntityStatus::Degraded, "{id}");
            assert_eq!(r[id].redundancy_lost.len(), 1, "{id}");
        }
        assert_eq!(s2.incidents.len(), 1);
        let i = &s2.incidents[0];
        assert_eq!(i.primary().map(|c| c.entity.as_str()), Some("agg2"));
        assert_eq!(i.root_causes.len(), 1);
        assert!(i.impacted.is_empty());
        assert_eq!(i.subscribers_affected, 0);

        // 3. agg3 too: acc3, acc4, bras2 suppressed, explained by both; bras2's subscribers.
        let s3 = &outcome.step_analyses[2];
        let suppressed: Vec<&str> = s3
            .entities
            .iter()
            .filter(|e| e.suppressed)
            .map(|e| e.id.as_str())
            .collect();
        assert_eq!(suppressed, ["acc3", "acc4", "bras2"]);
        assert_eq!(s3.incidents.len(), 1);
        let i = &s3.incidents[0];
        let mut causes: Vec<&str> = i.root_causes.iter().map(|c| c.entity.as_str()).collect();
        causes.sort_unstable();
        assert_eq!(causes, ["agg2", "agg3"]);
        assert_eq!(i.subscribers_affected, u64::from(plan[4].sessions["bras2"]));

        // 4. agg4 in maintenance: a maintenance cause, contributing, in the same incident.
        let s4 = &outcome.step_analyses[3];
        assert_eq!(s4.incidents.len(), 1);
        let agg4 = s4.incidents[0]
            .root_causes
            .iter()
            .find(|c| c.entity.as_str() == "agg4")
            .unwrap();
        assert_eq!(
            (agg4.kind, agg4.role),
            (CauseKind::Maintenance, CauseRole::Contributing)
        );

        // 5 is analysis.json; 6: recovered.
        assert_eq!(&outcome.step_analyses[4], &outcome.worst_analysis);
        assert_eq!(outcome.worst_analysis.incidents.len(), 2);
        assert!(outcome.final_analysis.incidents.is_empty());
        assert!(
            outcome
                .final_analysis
                .entities
                .iter()
                .all(|e| !e.suppressed)
        );

        // The files are written and the timeline covers the story.
        assert_eq!(outcome.files.len(), 4);
        assert!(outcome.files.iter().all(|f| f.is_file()));
        let written: AnalysisDocument = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("analysis.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(written, outcome.worst_analysis);
        assert!(
            outcome
                .timeline
                .iter()
                .filter(|t| t.text.starts_with("Step "))
                .count()
                == 6
        );
        assert!(text.contains("Step 6 · 09:12:00 · recovery"));
        assert!(outcome.timeline.iter().any(|t| {
            t.text
                .starts_with("incident opened: inc-20260314T090900Z-bras1: bras1 sessions dropped")
                && t.text.ends_with(
                    "; class radius_failure at bras1 (confidence 0.37, runbook \
                         docs/runbooks/radius-outage.md): 81% of 1994 RADIUS requests rejected \
                         or timed out (usually 0%)",
                )
        }));
        // Churn from /ppp/active snapshots: told in the timeline during the outage (few log
        // back in) and at the recovery (everyone does), and part of the class at step 5.
        let churn: Vec<&str> = outcome
            .timeline
            .iter()
            .map(|t| t.text.as_str())
            .filter(|t| t.contains(" churn "))
            .collect();
        assert_eq!(
            churn,
            [
                "bras1 churn 1863/min: 48 connects, 1,815 disconnects, 1,426 sessions active",
                "bras1 churn 1003/min: 44 connects, 959 disconnects, 511 sessions active",
                "bras1 churn 249/min: 30 connects, 219 disconnects, 322 sessions active",
                "bras1 churn 2766/min: 2,756 connects, 10 disconnects, 3,068 sessions active",
                "bras1 churn 142/min: 134 connects, 8 disconnects, 3,194 sessions active",
            ]
        );
        assert!(text.contains(
            "class: radius_failure at bras1 (confidence 0.80, runbook \
             docs/runbooks/radius-outage.md): 94% of 5013 RADIUS requests rejected or timed out \
             (usually 1%); churn 249/min, usually 26/min; sessions fell from about 3184 to 1426 \
             while the box answers\n"
        ));
    }
}
