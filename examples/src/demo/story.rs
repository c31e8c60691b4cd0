//! The scripted story: six steps, the simulated clock, and the seeded plan of every tick.
//!
//! The plan is a pure function of the seed ([`plan`]): which routers are powered off, how many
//! PPPoE sessions each concentrator serves and how its RADIUS counters move. The seed only
//! drives noise (session counts within ±1 %, RADIUS request rates, CPU load); the story itself
//! is always the same.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use ispvm_model::{EntityId, MaintenanceError, MaintenanceWindow};

use super::isp::{ROUTERS, RouterKind};

/// Simulated time of the first tick.
pub const START: &str = "2026-03-14T09:00:00Z";

/// Simulated seconds between two ticks (one poll of every router per tick).
pub const TICK_SECONDS: i64 = 60;

/// The entity under planned maintenance in step 4.
pub const MAINTENANCE_ENTITY: &str = "agg4";

/// One step of the story.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Step {
    /// 1 to 6.
    pub number: u8,
    /// Short title.
    pub title: &'static str,
    /// What happens, for a person.
    pub narration: &'static str,
    /// How many ticks (polls) the step lasts.
    pub ticks: u32,
}

/// The six steps.
pub const STEPS: [Step; 6] = [
    Step {
        number: 1,
        title: "Baseline",
        narration: "17 RouterOS routers answer the poller: 2 cores (core1 over API-SSL with a CA made \
                    at start), a ring of 4 aggregation routers, 8 dual-homed access switches and 3 \
                    PPPoE concentrators carrying about 6,200 subscribers. Nothing is wrong.",
        ticks: 3,
    },
    Step {
        number: 2,
        title: "agg2 fails",
        narration: "agg2 (pop-east) loses power and stops answering. Everything behind it is \
                    dual-homed: acc1-acc4, bras1 and bras2 keep a path through agg1 or agg3. \
                    Nothing is suppressed, but redundancy is lost.",
        ticks: 2,
    },
    Step {
        number: 3,
        title: "its ring neighbour agg3 fails too",
        narration: "agg3 (pop-south) fails as well. acc3, acc4 and bras2 hang only off agg2 and \
                    agg3: they go dark. Their alarms are suppressed and explained by agg2 + agg3, \
                    one incident, with bras2's subscribers counted.",
        ticks: 2,
    },
    Step {
        number: 4,
        title: "a maintenance window overlaps",
        narration: "Planned maintenance on agg4 (pop-west, 09:06:30-09:11:30) begins and agg4 \
                    reloads while agg2 and agg3 are still broken. acc5, acc6 and bras3 lose both \
                    uplinks. agg4 is a maintenance cause: always contributing, never primary.",
        ticks: 2,
    },
    Step {
        number: 5,
        title: "RADIUS starts timing out at bras1",
        narration: "bras1 keeps answering, but its RADIUS requests to radius1 time out: sessions \
                    that drop cannot log back in. The subscribers are gone although the box is up: \
                    a degradation cause, the AAA/RADIUS class.",
        ticks: 3,
    },
    Step {
        number: 6,
        title: "recovery",
        narration: "Power is back at pop-east and pop-south, agg4's maintenance ends, RADIUS \
                    answers again and subscribers log back in. The incidents close.",
        ticks: 2,
    },
];

/// The step whose last tick is the worst state of the story (written to `analysis.json`).
pub const WORST_STEP: u8 = 5;

/// How a concentrator's RADIUS client counters move during one tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RadiusTick {
    /// Requests sent.
    pub requests: u64,
    /// Accepts received.
    pub accepts: u64,
    /// Rejects received.
    pub rejects: u64,
    /// Requests that timed out.
    pub timeouts: u64,
}

/// How a concentrator's active PPPoE sessions change during one tick: the oldest
/// `disconnects` sessions leave, `connects` new ones (with ids never used before) log in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SessionChurn {
    /// Sessions that leave.
    pub disconnects: u32,
    /// Sessions that log in.
    pub connects: u32,
}

/// The planned state of the network at one tick.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TickPlan {
    /// The step (1-6).
    pub step: u8,
    /// Index of the tick within the story (0-based).
    pub index: u32,
    /// Index of the tick within its step (0-based).
    pub index_in_step: u32,
    /// Simulated time of the poll.
    pub at: DateTime<Utc>,
    /// Routers powered off, in [`ROUTERS`] order.
    pub down: Vec<&'static str>,
    /// PPPoE sessions each concentrator serves.
    pub sessions: BTreeMap<&'static str, u32>,
    /// RADIUS counter increments of each concentrator.
    pub radius: BTreeMap<&'static str, RadiusTick>,
    /// Session churn of each concentrator since the previous tick (since the start for the
    /// first): its count before, minus `disconnects`, plus `connects`, is `sessions`.
    pub churn: BTreeMap<&'static str, SessionChurn>,
    /// CPU load of each router (%).
    pub cpu: BTreeMap<&'static str, u8>,
}

/// SplitMix64: a tiny, well-known, seedable generator (output stable across versions, unlike
/// a library generator whose algorithm may change).
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    fn signed_unit(&mut self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let u = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        u.mul_add(2.0, -1.0)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }
}

/// The simulated time of the first tick.
#[must_use]
pub fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(START)
        .map_or(DateTime::<Utc>::UNIX_EPOCH, |t| t.with_timezone(&Utc))
}

/// Total number of ticks in the story.
#[must_use]
pub fn total_ticks() -> u32 {
    STEPS.iter().map(|s| s.ticks).sum()
}

/// The index of the first tick of `step`.
#[must_use]
pub fn first_tick(step: u8) -> u32 {
    STEPS
        .iter()
        .take_while(|s| s.number < step)
        .map(|s| s.ticks)
        .sum()
}

/// The simulated time of tick `index`.
#[must_use]
pub fn tick_time(index: u32) -> DateTime<Utc> {
    start() + Duration::seconds(TICK_SECONDS * i64::from(index))
}

/// The planned maintenance of agg4: from 30 s before step 4 to 30 s before step 6.
///
/// # Errors
/// Never in practice (the window is well formed); typed for honesty.
pub fn maintenance_window() -> Result<MaintenanceWindow, MaintenanceError> {
    let half = Duration::seconds(TICK_SECONDS / 2);
    let entity = EntityId::new(MAINTENANCE_ENTITY).map_err(|_| MaintenanceError::NoEntities)?;
    Ok(MaintenanceWindow::new(
        vec![entity],
        tick_time(first_tick(4)) - half,
        tick_time(first_tick(6)) - half,
    )?
    .with_reason("planned: agg4 RouterOS upgrade and reload"))
}

/// Share of bras1's sessions still up at each tick of step 5 (RADIUS outage), then of step 6.
const BRAS1_OUTAGE: [f64; 3] = [0.45, 0.16, 0.10];
const BRAS1_RECOVERY: [f64; 2] = [0.95, 1.0];

/// The plan of every tick for `seed`.
///
/// # Examples
/// ```
/// use ispvm_examples::demo::story::plan;
/// let p = plan(7);
/// assert_eq!(p.len(), 14);
/// assert_eq!(p[5].down, ["agg2", "agg3"]); // step 3
/// assert_eq!(plan(7), p); // deterministic
/// ```
#[must_use]
pub fn plan(seed: u64) -> Vec<TickPlan> {
    let mut rng = SplitMix64(seed);
    // Churn has its own stream, so adding it left the counts and RADIUS rates of a seed as
    // they were.
    let mut churn_rng = SplitMix64(seed ^ 0x6368_7572_6e21_2121);
    let mut previous: BTreeMap<&'static str, u32> = ROUTERS
        .iter()
        .filter(|r| r.kind == RouterKind::Concentrator)
        .map(|r| (r.id, r.sessions))
        .collect();
    let mut out = Vec::new();
    let mut index = 0;
    for step in &STEPS {
        for k in 0..step.ticks {
            let n = step.number;
            let down: Vec<&'static str> = ROUTERS
                .iter()
                .map(|r| r.id)
                .filter(|id| match *id {
                    "agg2" => (2..6).contains(&n),
                    "agg3" => (3..6).contains(&n),
                    "agg4" => (4..6).contains(&n),
                    _ => false,
                })
                .collect();
            let mut cpu = BTreeMap::new();
            let mut sessions = BTreeMap::new();
            let mut radius = BTreeMap::new();
            let mut churn = BTreeMap::new();
            for r in &ROUTERS {
                let base: u64 = match r.kind {
                    RouterKind::Core => 20,
                    RouterKind::Aggregation => 12,
                    RouterKind::Concentrator => 25,
                    // Access switches, and any kind the embedded world may add.
                    _ => 4,
                };
                let load = base + rng.below(8);
                cpu.insert(r.id, u8::try_from(load).unwrap_or(u8::MAX));
                if r.kind != RouterKind::Concentrator {
                    continue;
                }
                let share = match (r.id, n) {
                    ("bras1", 5) => BRAS1_OUTAGE.get(k as usize).copied().unwrap_or(0.1),
                    ("bras1", 6) => BRAS1_RECOVERY.get(k as usize).copied().unwrap_or(1.0),
                    _ => 1.0,
                };
                let noise = 1.0 + 0.01 * rng.signed_unit();
                let count = (f64::from(r.sessions) * share * noise).round();
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let count = count.max(0.0) as u32;
                sessions.insert(r.id, count);
                // Normal: about one RADIUS request per 40 sessions per minute, 1 % rejected.
                let normal = u64::from(r.sessions / 40) + rng.below(10);
                let rejects = normal / 100 + rng.below(2);
                let tick = match (r.id, n) {
                    ("bras1", 5) => {
                        // Dropped sessions retry and time out.
                        let requests = 1_500 + rng.below(200);
                        let accepts = 30 + rng.below(20);
                        RadiusTick {
                            requests,
                            accepts,
                            rejects,
                            timeouts: requests - accepts - rejects,
                        }
                    }
                    ("bras1", 6) if k == 0 => {
                        // Everyone logs back in.
                        let requests = 2_600 + rng.below(200);
                        RadiusTick {
                            requests,
                            accepts: requests - rejects,
                            rejects,
                            timeouts: 0,
                        }
                    }
                    _ => RadiusTick {
                        requests: normal,
                        accepts: normal - rejects,
                        rejects,
                        timeouts: 0,
                    },
                };
                radius.insert(r.id, tick);
                let before = previous.insert(r.id, count).unwrap_or(r.sessions);
                churn.insert(
                    r.id,
                    session_churn(&mut churn_rng, r.sessions, before, count, (r.id, n), tick),
                );
            }
            out.push(TickPlan {
                step: n,
                index,
                index_in_step: k,
                at: tick_time(index),
                down,
                sessions,
                radius,
                churn,
                cpu,
            });
            index += 1;
        }
    }
    out
}

/// Who leaves and who logs in between two ticks of a concentrator going from `before` to
/// `after` sessions. Normally about one session in 400 leaves each minute (plus noise) and as
/// many log in as keep the planned count; during bras1's RADIUS outage only the sessions whose
/// RADIUS requests were accepted log in, everyone else who left stays out.
fn session_churn(
    rng: &mut SplitMix64,
    normal: u32,
    before: u32,
    after: u32,
    (id, step): (&str, u8),
    radius: RadiusTick,
) -> SessionChurn {
    let background = u32::try_from(u64::from(normal / 400) + rng.below(5)).unwrap_or(u32::MAX);
    let connects = if (id, step) == ("bras1", 5) {
        u32::try_from(radius.accepts).unwrap_or(u32::MAX)
    } else {
        (after + background).saturating_sub(before)
    };
    // before - disconnects + connects = after
    let disconnects = (before + connects).saturating_sub(after);
    let connects = after + disconnects - before;
    SessionChurn {
        disconnects,
        connects,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_and_clock() {
        assert_eq!(total_ticks(), 14);
        assert_eq!(first_tick(1), 0);
        assert_eq!(first_tick(5), 9);
        assert_eq!(tick_time(3).to_rfc3339(), "2026-03-14T09:03:00+00:00");
        let w = maintenance_window().unwrap();
        assert_eq!(w.start().to_rfc3339(), "2026-03-14T09:06:30+00:00");
        assert_eq!(w.end().to_rfc3339(), "2026-03-14T09:11:30+00:00");
        // The window covers steps 4 and 5 and ends before step 6.
        let p = plan(1);
        for t in &p {
            assert_eq!(w.is_active(t.at), (4..=5).contains(&t.step), "{}", t.index);
        }
    }

    #[test]
    fn plan_is_seeded_and_stays_within_noise() {
        let a = plan(7);
        assert_eq!(a, plan(7));
        assert_ne!(a, plan(8));
        for t in &a {
            for (bras, base) in [("bras2", 2100.0), ("bras3", 900.0)] {
                let s = f64::from(t.sessions[bras]);
                assert!((s - base).abs() <= base * 0.01 + 0.5, "{bras} {s}");
            }
            let r = t.radius["bras1"];
            assert_eq!(r.requests, r.accepts + r.rejects + r.timeouts);
        }
        let bras1: Vec<u32> = a.iter().map(|t| t.sessions["bras1"]).collect();
        assert!(bras1[9] < 1500 && bras1[11] < 330, "{bras1:?}");
        assert!(bras1[13] > 3150, "{bras1:?}");
        let downs: Vec<usize> = a.iter().map(|t| t.down.len()).collect();
        assert_eq!(downs, [0, 0, 0, 1, 1, 2, 2, 3, 3, 3, 3, 3, 0, 0]);
    }

    #[test]
    fn churn_leads_from_one_count_to_the_next() {
        for seed in [1, 7, 2026] {
            let p = plan(seed);
            let mut before: BTreeMap<&str, u32> =
                [("bras1", 3200), ("bras2", 2100), ("bras3", 900)].into();
            for t in &p {
                for (bras, c) in &t.churn {
                    let b = before[bras];
                    assert_eq!(
                        b - c.disconnects + c.connects,
                        t.sessions[bras],
                        "{seed} {bras}"
                    );
                    let outage = *bras == "bras1" && t.step == 5;
                    let recovery = *bras == "bras1" && t.step == 6;
                    if outage {
                        // Only the accepted log back in; the rest stay out.
                        assert_eq!(u64::from(c.connects), t.radius["bras1"].accepts);
                        assert!(c.disconnects > 4 * c.connects, "{seed} {c:?}");
                    } else if recovery {
                        assert!(c.connects > c.disconnects, "{seed} {c:?}");
                        if t.index_in_step == 0 {
                            // Everyone logs back in.
                            assert!(c.connects > 2500 && c.disconnects < 20, "{seed} {c:?}");
                        }
                    } else {
                        assert!(c.connects + c.disconnects < 100, "{seed} {bras} {c:?}");
                    }
                    before.insert(bras, t.sessions[bras]);
                }
            }
        }
        // Seeded: the same seed gives the same churn, another seed other churn.
        let churn = |seed| {
            plan(seed)
                .iter()
                .map(|t| t.churn.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(churn(7), churn(7));
        assert_ne!(churn(7), churn(8));
    }

    #[test]
    fn splitmix_reference_value() {
        // First output of SplitMix64 seeded with 0 (reference implementation).
        assert_eq!(SplitMix64(0).next_u64(), 0xE220_A839_7B1D_CDAF);
    }
}
