//! Incremental evaluation == full re-evaluation == a deliberately naive reference.
//!
//! The reference below reads the contract (`docs/spec/scenario.md`) literally: for every
//! entity it scans the whole observation list for the latest state of each signal, and
//! evaluates availability by plain recursion over the topology's groups, with no index, no
//! counters and no memoisation. Proptest drives random acyclic topologies (all / any / k-of-n
//! groups, several groups per dependent), random maintenance windows and random observation
//! sequences fed in random order, with and without a staleness window.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use ispvm_model::{
    DependencyGroup, Entity, EntityId, EntityKind, EntityStatus, GroupMode, MaintenanceWindow,
    Observation, Signal, SignalState, Topology, TopologyBuilder,
};
use ispvm_rca::{Engine, EngineConfig};
use proptest::prelude::*;

fn id(i: usize) -> EntityId {
    format!("e{i:02}").parse().unwrap()
}

fn t(minute: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600 + minute * 60, 0).unwrap()
}

#[derive(Debug, Clone)]
struct Case {
    n: usize,
    /// (dependent, mode selector, k selector, members) with members < dependent.
    groups: Vec<(usize, u8, usize, Vec<usize>)>,
    /// (entities, start minute, length in minutes).
    windows: Vec<(Vec<usize>, i64, i64)>,
    /// (minute, entity, signal, state, source).
    observations: Vec<(i64, usize, u8, u8, u8)>,
    staleness: Option<i64>,
}

fn signal(s: u8) -> Signal {
    match s % 4 {
        0 => Signal::Reachability,
        1 => Signal::Link,
        2 => Signal::Routing,
        _ => Signal::Experience,
    }
}

fn state(s: u8) -> SignalState {
    match s % 3 {
        0 => SignalState::Up,
        1 => SignalState::Down,
        _ => SignalState::Degraded,
    }
}

fn case() -> impl Strategy<Value = Case> {
    (2usize..24)
        .prop_flat_map(|n| {
            let group = (1..n).prop_flat_map(move |d| {
                (
                    Just(d),
                    0u8..3,
                    0usize..8,
                    proptest::sample::subsequence((0..d).collect::<Vec<_>>(), 1..=d.min(4)),
                )
            });
            let window = (proptest::collection::vec(0..n, 1..3), 0i64..40, 1i64..30);
            let obs = (0i64..60, 0..n, 0u8..4, 0u8..3, 0u8..3);
            (
                Just(n),
                proptest::collection::vec(group, 0..(2 * n)),
                proptest::collection::vec(window, 0..3),
                proptest::collection::vec(obs, 0..60),
                proptest::option::of(1i64..30),
            )
        })
        .prop_map(|(n, groups, windows, observations, staleness)| Case {
            n,
            groups,
            windows,
            observations,
            staleness,
        })
}

fn topology(c: &Case) -> Topology {
    let mut b = TopologyBuilder::new("prop".parse().unwrap());
    for i in 0..c.n {
        b.add_entity(Entity::new(id(i), EntityKind::Device));
    }
    for (d, mode, k, members) in &c.groups {
        let mode = match mode {
            0 => GroupMode::All,
            1 => GroupMode::Any,
            _ => GroupMode::KofN(1 + (*k % members.len()) as u32),
        };
        b.add_group(DependencyGroup::new(
            id(*d),
            mode,
            members.iter().map(|&m| id(m)).collect(),
        ));
    }
    b.build().unwrap()
}

fn windows(c: &Case) -> Vec<MaintenanceWindow> {
    c.windows
        .iter()
        .map(|(es, start, len)| {
            MaintenanceWindow::new(
                es.iter().map(|&e| id(e)).collect(),
                t(*start),
                t(start + len),
            )
            .unwrap()
        })
        .collect()
}

fn observations(c: &Case) -> Vec<Observation> {
    c.observations
        .iter()
        .map(|&(m, e, s, st, src)| {
            Observation::signal(t(m), id(e), signal(s), state(st))
                .with_source(["ping", "routeros_api", "syslog"][src as usize])
        })
        .collect()
}

fn config(c: &Case) -> EngineConfig {
    EngineConfig::builder()
        .staleness(c.staleness.map(Duration::minutes))
        .build()
}

/// The naive reference: statuses and explanations straight from the contract.
struct Naive<'a> {
    topo: &'a Topology,
    obs: &'a [Observation],
    windows: &'a [MaintenanceWindow],
    at: DateTime<Utc>,
    stale_before: Option<DateTime<Utc>>,
}

fn severity(s: SignalState) -> u8 {
    match s {
        SignalState::Up => 0,
        SignalState::Degraded => 1,
        _ => 2,
    }
}

impl Naive<'_> {
    /// Latest state of `signal` for entity `e` at or before `at` (worse wins at equal times).
    fn latest(&self, e: &EntityId, signal: Signal) -> Option<SignalState> {
        let mut best: Option<(DateTime<Utc>, u8, SignalState)> = None;
        for o in self.obs {
            let ispvm_model::ObservationValue::Signal { signal: s, state } = &o.value else {
                continue;
            };
            if &o.entity != e || *s != signal || o.at > self.at {
                continue;
            }
            let key = (o.at, severity(*state), *state);
            if best.is_none_or(|b| (b.0, b.1) < (key.0, key.1)) {
                best = Some(key);
            }
        }
        let (at, _, state) = best?;
        if self.stale_before.is_some_and(|s| at < s) {
            return None;
        }
        Some(state)
    }

    fn states(&self, e: &EntityId) -> Vec<(Signal, SignalState)> {
        [
            Signal::Reachability,
            Signal::Link,
            Signal::Routing,
            Signal::Experience,
        ]
        .into_iter()
        .filter_map(|s| self.latest(e, s).map(|st| (s, st)))
        .collect()
    }

    fn failed(&self, e: &EntityId) -> bool {
        self.states(e)
            .iter()
            .any(|(s, st)| *s != Signal::Experience && *st == SignalState::Down)
    }

    fn groups(&self, e: &EntityId) -> Vec<&DependencyGroup> {
        self.topo
            .groups()
            .iter()
            .filter(|g| &g.dependent == e)
            .collect()
    }

    fn available_count(&self, g: &DependencyGroup) -> usize {
        g.members.iter().filter(|m| self.available(m)).count()
    }

    fn satisfied(&self, g: &DependencyGroup) -> bool {
        let need = match g.mode {
            GroupMode::All => g.members.len(),
            GroupMode::Any => 1,
            GroupMode::KofN(k) => k as usize,
            _ => unreachable!(),
        };
        self.available_count(g) >= need
    }

    fn available(&self, e: &EntityId) -> bool {
        !self.failed(e) && self.groups(e).iter().all(|g| self.satisfied(g))
    }

    fn in_maintenance(&self, e: &EntityId) -> bool {
        self.windows
            .iter()
            .any(|w| w.entities().contains(e) && w.start() <= self.at && self.at < w.end())
    }

    fn status(&self, e: &EntityId) -> EntityStatus {
        let states = self.states(e);
        if self.in_maintenance(e) {
            EntityStatus::Maintenance
        } else if !self.groups(e).iter().all(|g| self.satisfied(g)) {
            EntityStatus::Unreachable
        } else if self.failed(e) {
            EntityStatus::Down
        } else if states.iter().any(|(s, st)| {
            *st == SignalState::Degraded || (*s == Signal::Experience && *st == SignalState::Down)
        }) || self
            .groups(e)
            .iter()
            .any(|g| self.available_count(g) < g.members.len())
        {
            EntityStatus::Degraded
        } else if !states.is_empty() {
            EntityStatus::Up
        } else {
            EntityStatus::Unknown
        }
    }

    /// Root causes explaining `e`: walk unsatisfied groups upstream through unavailable members.
    fn explained_by(&self, e: &EntityId) -> BTreeSet<EntityId> {
        let mut out = BTreeSet::new();
        for g in self.groups(e) {
            if self.satisfied(g) {
                continue;
            }
            for m in &g.members {
                if self.available(m) {
                    continue;
                }
                if self.groups(m).iter().all(|g| self.satisfied(g)) {
                    out.insert(m.clone());
                } else {
                    out.extend(self.explained_by(m));
                }
            }
        }
        out
    }
}

fn check_against_naive(
    c: &Case,
    topo: &Topology,
    obs: &[Observation],
    ws: &[MaintenanceWindow],
    a: &ispvm_rca::Analysis,
    at: DateTime<Utc>,
) -> Result<(), TestCaseError> {
    let naive = Naive {
        topo,
        obs,
        windows: ws,
        at,
        stale_before: c.staleness.map(|s| at - Duration::minutes(s)),
    };
    for e in topo.entities() {
        let want = naive.status(&e.id);
        prop_assert_eq!(
            a.status(e.id.as_str()),
            Some(want),
            "status of {} at {}",
            e.id,
            at
        );
        prop_assert_eq!(
            a.is_available(e.id.as_str()),
            Some(naive.available(&e.id)),
            "availability of {}",
            e.id
        );
        let row = a.report(e.id.as_str()).unwrap();
        prop_assert_eq!(row.suppressed, want.is_suppressed());
        if want == EntityStatus::Unreachable {
            let got: BTreeSet<EntityId> = row.explained_by.iter().cloned().collect();
            prop_assert_eq!(got, naive.explained_by(&e.id), "explained_by of {}", e.id);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Fed one observation at a time in random order, the engine's incremental state (evaluated
    /// at its "now" after every step) equals a full re-evaluation and the naive reference.
    #[test]
    fn incremental_equals_full_equals_naive(c in case(), shuffle in any::<u64>()) {
        let topo = topology(&c);
        let ws = windows(&c);
        let mut obs = observations(&c);
        // Deterministic shuffle: arrival order must not matter.
        let mut s = shuffle | 1;
        for i in (1..obs.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            obs.swap(i, (s % (i as u64 + 1)) as usize);
        }
        let mut engine = Engine::new(topo.clone(), config(&c));
        engine.set_maintenance(&ws).unwrap();
        for k in 0..obs.len() {
            engine.observe(&obs[k]).unwrap();
            let at = engine.now().unwrap();
            let inc = engine.evaluate(at);
            let full = engine.evaluate_full(at);
            prop_assert_eq!(inc.to_document(), full.to_document());
            prop_assert!(inc == full);
            check_against_naive(&c, &topo, &obs[..=k], &ws, &inc, at)?;
        }
        // Time moving on without observations (staleness expiry, windows ending).
        if let Some(now) = engine.now() {
            for later in [now + Duration::minutes(7), now + Duration::minutes(45)] {
                let inc = engine.evaluate(later);
                let full = engine.evaluate_full(later);
                prop_assert!(inc == full);
                check_against_naive(&c, &topo, &obs, &ws, &inc, later)?;
            }
        }
    }

    /// A batch equals the same observations one by one, and any past instant evaluated later
    /// (from the stored history) equals the naive reference at that instant.
    #[test]
    fn batch_and_past_instants(c in case(), probe in 0i64..70) {
        let topo = topology(&c);
        let ws = windows(&c);
        let obs = observations(&c);
        let mut one = Engine::new(topo.clone(), config(&c));
        let mut batch = Engine::new(topo.clone(), config(&c));
        one.set_maintenance(&ws).unwrap();
        batch.set_maintenance(&ws).unwrap();
        for o in &obs {
            one.observe(o).unwrap();
        }
        batch.observe_batch(&obs).unwrap();
        let at = one.now().unwrap_or(t(60));
        prop_assert!(one.evaluate(at) == batch.evaluate(at));
        let past = one.evaluate(t(probe));
        check_against_naive(&c, &topo, &obs, &ws, &past, t(probe))?;
    }
}
