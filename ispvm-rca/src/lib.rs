//! # ispvm-rca: the redundancy-aware root-cause engine
//!
//! Given a validated [`Topology`](ispvm_model::Topology) (entities and dependency groups:
//! `all`, `any`, `k`-of-`n`), maintenance windows and a stream of observations, the engine says
//! for every entity whether it is up, degraded, down, unreachable (suppressed) or in
//! maintenance, *why*, and which root causes (grouped into incidents) explain the impact, with an
//! explainable confidence. It implements the scenario contract (`docs/spec/scenario.md`).
//!
//! ```text
//! Observation ──observe()──▶ [ Engine: compiled index ─ incremental availability ─ history ]
//! MaintenanceWindow ──set_maintenance()──▶ │
//!                         evaluate(at) ────▶ Analysis ──▶ AnalysisDocument (ispvm.analysis/v1)
//!                                              ▲ SubscriberImpact (ContractSessionRule, ispvm-pppoe)
//! ```
//!
//! Pure: no clock, no I/O. Time is always an argument, so a scenario file replays exactly.
//!
//! ## Smallest useful example
//! ```
//! use ispvm_model::{DependencyGroup, Entity, EntityKind, EntityStatus, GroupMode, Observation,
//!     Signal, SignalState, TopologyBuilder};
//! use ispvm_rca::{Engine, EngineConfig};
//!
//! let id = |s: &str| s.parse::<ispvm_model::EntityId>().unwrap();
//! let mut b = TopologyBuilder::new("demo-isp".parse()?);
//! for n in ["agg1", "agg2", "acc1"] {
//!     b.add_entity(Entity::new(id(n), EntityKind::Device));
//! }
//! b.add_group(DependencyGroup::new(id("acc1"), GroupMode::Any, vec![id("agg1"), id("agg2")]));
//! let mut engine = Engine::new(b.build()?, EngineConfig::default());
//! let t = "2026-01-01T00:10:00Z".parse()?;
//! for agg in ["agg1", "agg2"] {
//!     engine.observe(&Observation::signal(t, id(agg), Signal::Reachability, SignalState::Down))?;
//! }
//! let analysis = engine.evaluate(t);
//! assert_eq!(analysis.status("acc1"), Some(EntityStatus::Unreachable));
//! let row = analysis.report("acc1").unwrap();
//! assert_eq!(row.explained_by, [id("agg1"), id("agg2")]);
//! assert_eq!(row.reasons, ["any of [agg1, agg2] unsatisfied: agg1, agg2 unavailable"]);
//! assert_eq!(analysis.incidents().len(), 1); // two causes sharing impact: one incident
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## How it works
//! - **Compiled index.** [`Engine::new`] turns the topology into dense CSR arrays: entity ->
//!   groups, group -> members, member -> groups (reverse edges), each group's required count,
//!   the topological order and each entity's rank in it. No graph library on the hot path.
//! - **Incremental availability.** Each group keeps its count of available members and each
//!   entity its count of unsatisfied groups. An observation that changes an entity's *failed*
//!   flag queues it; a min-heap keyed by topological rank pops entities in order, and an entity
//!   whose availability did not change stops the walk. Cost: O(changed cone · log cone), not
//!   O(network). [`Engine::evaluate_full`] recomputes everything from scratch and always agrees
//!   (tested with proptest against it and against a naive recursive reference).
//! - **Time.** The engine keeps a bounded, sorted history per entity (order of arrival never
//!   matters: at equal times the worse state wins). `evaluate(at)` at or after the latest input
//!   uses the incremental state; an earlier `at` is answered by a full evaluation of the history.
//! - **Semantics** (contract): *failed* = latest `reachability`, `link` or `routing` is `down`;
//!   *available* = not failed and every group satisfied; status, first match: `maintenance`,
//!   `unreachable`, `down`, `degraded` (a degraded state, `experience` down, a group that holds
//!   with a member missing, or a significant PPPoE drop), `up` (observed), `unknown`.
//! - **Explanations.** An unreachable entity is explained by walking its unsatisfied groups
//!   upstream through unavailable members to root causes (computed once per entity in
//!   topological order; identical cause sets are shared). Reasons name each unsatisfied group
//!   and its missing members (`any of [agg1, agg2] unsatisfied: agg1, agg2 unavailable`);
//!   groups that hold with a member missing are listed in `redundancy_lost`.
//! - **Causes and incidents.** Causes: status `down` (failure); failed entities in maintenance
//!   whose loss makes something unreachable (maintenance, always contributing); available
//!   concentrators with a significant session drop (degradation). Causes explaining a common
//!   entity form one incident (union-find). The primary explains the most entities (ties:
//!   higher confidence, earlier failure, smaller id); maintenance-only incidents have none.
//!   `opened_at` is the start of the earliest cause's current failure run, and the incident id
//!   is `inc-<opened_at>-<that cause>`, so an incident keeps its id and opening time while
//!   further causes join it.
//! - **Correlation window** (default 120 s): a cause that explains nothing joins the incident of
//!   a *related* cause (link endpoint, interface/adjacency of a device by the `DEVICE/...`
//!   naming, direct dependency neighbour) when their failures began within the window; and
//!   observations of related interfaces, links and adjacencies count as corroborating evidence
//!   only within the window around the cause's failure start. Zero disables the merging.
//! - **Staleness** (default off, as the contract requires): a signal observation older than
//!   `at - staleness` no longer counts, neither for state nor as evidence; the engine expires
//!   them incrementally as time advances. Session readings are history, not evidence, and never
//!   expire.
//! - **Flapping** (default 4 transitions of the failed state within 600 s): the entity row gets
//!   `flapping: true`, and its incident keeps the id and `opened_at` of its first failure in the
//!   window: each time it goes down again the *same* incident comes back instead of a new one.
//!   By default (the contract: a recovered cause closes its incident) the incident is absent
//!   while the entity is momentarily up; [`EngineConfigBuilder::hold_flapping`] keeps it open.
//!
//! ## Confidence
//! Evidence falls into [`EvidenceKind`] categories with weights (uplink interface down 10, OSPF
//! down on the same link 7, upstream BGP down 7, ping loss from several vantage points 6, syslog
//! link-down 6, API unreachable but ping OK 3; plus routing down 7, session drop 6, unreachable
//! from one source 4, flapping 3, dependent down 3). Each item names its source (the
//! observation's `source`) and the weight it added: the category weight times the source's
//! [`Reliability`] (1 without feedback). Items of one category count **once per source**: a
//! poller repeating itself is one item, the same failure seen by two vantage points is two
//! (corroboration). Each item gives `p = 0.8 · w / (w + 5)`, independent items combine as
//! `1 − Π(1 − p)`; **counter-evidence** (another source reached the entity after it was reported
//! down, weight 10; a dependent that needs it answers, 8; something that needs it lost every other
//! path to it, 6; its only source is a vantage point that lost its own path, 20) multiplies that by
//! `Π(1 − p)` of its own items, and is listed in `counter_evidence` with its weights. The result
//! is rounded to 3 decimals and kept in `[0.01, 0.99]` ([`ispvm_model::Confidence::combine`];
//! [`confidence_from_weights`] is the case of distinct sources and no counter-evidence). One
//! source can never exceed 0.8.
//!
//! A contradicted cause whose confidence is below the paging threshold is a **suspected glitch**
//! (`suspected_glitch: true`): still listed, never the primary of an incident that has another
//! cause (which never happens on consistent observations, so the contract's primaries stand).
//! Each incident carries **`page`**: its primary is not a suspected glitch and its confidence
//! reaches [`EngineConfig::page_threshold`] ([`DEFAULT_PAGE_THRESHOLD`] = 0.35, chosen on the
//! noisy benchmark, `docs/research/noisy-benchmark.md`); maintenance-only incidents do not page.
//!
//! ## Inferred causes and vantage points
//! - **A silent entity** (kind `inferred`): when every dependent of an available entity (at
//!   least 2 by default) is down, each needs it, and the entity's latest report is at least the
//!   poll interval older than their failures (a missed poll), the entity is proposed as a cause
//!   that explains them; they join its incident. Needs
//!   [`EngineConfigBuilder::poll_interval`] (unknown by default, as the contract requires: a
//!   scenario lists only what changed); off with [`EngineConfigBuilder::inferred_causes`].
//! - **Vantage points are entities**: a source named like an entity of the topology is a
//!   vantage point with its own dependencies. When that entity is unavailable (its uplink is seen
//!   down by another source), or when it alone reports at least
//!   [`EngineConfigBuilder::vantage_burst`] (5) causes down that another source contradicts, the
//!   causes reported by it alone get `SourceIsolated` counter-evidence, are suspected glitches and
//!   join one incident: that of the cause that explains the vantage point, or an inferred cause
//!   on the vantage point itself.
//!
//! ## Feedback
//! [`Engine::record_feedback`]`(incident, true_cause)`: for each cause `c` of the incident with
//! confidence `p` and label `y` (1 for the true cause, else 0), each category `k` supporting `c`
//! moves by `w_k ← w_k · exp(0.5 · (y − p))` and each counter-evidence category by
//! `exp(0.5 · (p − y))`, clamped to `[default/4, default·4]`; the sources of the true cause are
//! confirmed once in the [`Reliability`] table (Beta prior 9:1). [`Engine::record_false_alarm`]
//! labels every cause 0 and refutes their sources. The tests show the Brier score of the
//! confidences improving on a labelled set; the noisy benchmark after 50 labelled incidents.

//! ## Subscribers
//! [`ContractSessionRule`] (the default [`SubscriberImpact`](ispvm_model::SubscriberImpact))
//! reads `pppoe.sessions.active`; `ispvm-pppoe` offers a richer rule behind the same trait
//! ([`EngineConfigBuilder::subscriber_impact`]). An incident counts the affected concentrators
//! among its causes and impacted entities.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod analysis;
mod config;
mod engine;
mod evaluate;
mod index;
mod state;
mod store;
mod subscribers;

pub use analysis::{
    Analysis, DocumentView, HALF_SATURATION, SINGLE_SIGNAL_CAP, confidence_from_weights,
};
pub use config::{
    DEFAULT_PAGE_THRESHOLD, EngineConfig, EngineConfigBuilder, EvidenceKind,
    MAX_RELIABILITY_SOURCES, Reliability, WEIGHT_BOUND, Weights,
};
pub use engine::{Engine, EngineError, FEEDBACK_RATE, SESSIONS_METRIC};
pub use subscribers::ContractSessionRule;

#[doc = include_str!("../README.md")]
#[doc(hidden)]
pub mod readme {}
