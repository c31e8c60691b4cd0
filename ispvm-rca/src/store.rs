//! Observation history per entity: sorted, bounded, order-independent.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use chrono::{DateTime, Duration, Utc};
use ispvm_model::{SessionReading, Signal, SignalState};

/// A fast hasher for dense `u32` keys (Fibonacci hashing); keys are our own indices, not input.
#[derive(Default, Clone, Copy)]
pub(crate) struct U32Hasher(u64);

impl Hasher for U32Hasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u32(&mut self, i: u32) {
        self.0 = u64::from(i).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

pub(crate) type IdMap<V> = HashMap<u32, V, BuildHasherDefault<U32Hasher>>;

/// `t - d`, saturating at the ends of the calendar instead of panicking.
pub(crate) fn minus(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    t.checked_sub_signed(d).unwrap_or(if d > Duration::zero() {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

/// `t + d`, saturating at the ends of the calendar instead of panicking.
pub(crate) fn plus(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    t.checked_add_signed(d).unwrap_or(if d > Duration::zero() {
        DateTime::<Utc>::MAX_UTC
    } else {
        DateTime::<Utc>::MIN_UTC
    })
}

/// Slot of a signal in per-signal arrays.
pub(crate) fn slot(signal: Signal) -> usize {
    match signal {
        Signal::Reachability => 0,
        Signal::Link => 1,
        Signal::Routing => 2,
        _ => 3,
    }
}

fn severity(state: SignalState) -> u8 {
    match state {
        SignalState::Up => 0,
        SignalState::Down => 2,
        _ => 1,
    }
}

/// One signal observation, compact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SigObs {
    pub at: DateTime<Utc>,
    pub signal: Signal,
    pub state: SignalState,
    /// Interned source, 0 = none.
    pub source: u32,
}

impl SigObs {
    /// Sort key: time, then signal, then severity (at equal times the worse state wins, so the
    /// order observations arrive in never matters), then source.
    fn key(&self) -> (DateTime<Utc>, usize, u8, u32) {
        (
            self.at,
            slot(self.signal),
            severity(self.state),
            self.source,
        )
    }
}

/// Latest observation per signal slot.
pub(crate) type Latest = [Option<SigObs>; 4];

/// Latest observation of each signal at or before `t`, without those older than `stale_before`.
pub(crate) fn latest(
    hist: &[SigObs],
    t: DateTime<Utc>,
    stale_before: Option<DateTime<Utc>>,
) -> Latest {
    let mut out: Latest = [None; 4];
    for o in hist {
        if o.at > t {
            break;
        }
        out[slot(o.signal)] = Some(*o);
    }
    if let Some(limit) = stale_before {
        for s in &mut out {
            if s.is_some_and(|o| o.at < limit) {
                *s = None;
            }
        }
    }
    out
}

/// Failed: the latest reachability, link or routing state is down.
pub(crate) fn is_failed(l: &Latest) -> bool {
    l[..3]
        .iter()
        .flatten()
        .any(|o| o.state == SignalState::Down)
}

/// Degraded: any latest state degraded, or experience down.
pub(crate) fn is_degraded(l: &Latest) -> bool {
    l.iter().flatten().any(|o| {
        o.state == SignalState::Degraded || (slot(o.signal) == 3 && o.state == SignalState::Down)
    })
}

/// Failed-state history up to `t`: the flip times (alternating, the first is a failure onset).
pub(crate) fn flips(hist: &[SigObs], t: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let mut l: Latest = [None; 4];
    let mut failed = false;
    let mut out = Vec::new();
    for o in hist {
        if o.at > t {
            break;
        }
        l[slot(o.signal)] = Some(*o);
        let f = is_failed(&l);
        if f != failed {
            failed = f;
            out.push(o.at);
        }
    }
    out
}

/// What the flip history says at `t`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FlapInfo {
    /// Transitions within the flap window.
    pub transitions: u32,
    /// Start of the current failure run (if failed at `t`, ignoring staleness).
    pub run_start: Option<DateTime<Utc>>,
    /// First failure onset within the flap window.
    pub first_onset_in_window: Option<DateTime<Utc>>,
}

pub(crate) fn flap_info(hist: &[SigObs], t: DateTime<Utc>, window: Duration) -> FlapInfo {
    let f = flips(hist, t);
    let from = minus(t, window);
    let mut transitions = 0;
    let mut first_onset_in_window = None;
    for (i, at) in f.iter().enumerate() {
        if *at > from {
            transitions += 1;
            if i % 2 == 0 && first_onset_in_window.is_none() {
                first_onset_in_window = Some(*at);
            }
        }
    }
    let run_start = if f.len() % 2 == 1 {
        f.last().copied()
    } else {
        None
    };
    FlapInfo {
        transitions,
        run_start,
        first_onset_in_window,
    }
}

/// Most distinct sources interned; further sources are recorded as "no source".
pub(crate) const MAX_SOURCES: usize = 1 << 16;

/// All observations the engine has been fed.
#[derive(Debug, Clone, Default)]
pub(crate) struct Store {
    pub signals: IdMap<Vec<SigObs>>,
    pub sessions: IdMap<Vec<SessionReading>>,
    /// Earliest time any other metric was observed, per entity.
    pub metric_seen: IdMap<DateTime<Utc>>,
    sources: Vec<Box<str>>,
    source_ids: HashMap<Box<str>, u32>,
    pub limit: usize,
}

impl Store {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            sources: vec!["".into()],
            limit,
            ..Self::default()
        }
    }

    pub(crate) fn intern(&mut self, source: Option<&str>) -> u32 {
        let Some(s) = source else { return 0 };
        if let Some(&id) = self.source_ids.get(s) {
            return id;
        }
        if self.sources.len() >= MAX_SOURCES {
            return 0;
        }
        let id = self.sources.len() as u32;
        self.sources.push(s.into());
        self.source_ids.insert(s.into(), id);
        id
    }

    pub(crate) fn source(&self, id: u32) -> Option<&str> {
        if id == 0 {
            None
        } else {
            self.sources.get(id as usize).map(|s| &**s)
        }
    }

    /// Inserts in sorted position; drops the oldest beyond the limit. Returns the history.
    pub(crate) fn insert_signal(&mut self, entity: u32, o: SigObs) -> &[SigObs] {
        let limit = self.limit;
        let h = self.signals.entry(entity).or_default();
        let key = o.key();
        let pos = h.partition_point(|x| x.key() <= key);
        h.insert(pos, o);
        if h.len() > limit {
            let excess = h.len() - limit;
            h.drain(..excess);
        }
        h
    }

    pub(crate) fn insert_session(&mut self, entity: u32, r: SessionReading) {
        let limit = self.limit;
        let h = self.sessions.entry(entity).or_default();
        let pos = h.partition_point(|x| x.at <= r.at);
        h.insert(pos, r);
        if h.len() > limit {
            let excess = h.len() - limit;
            h.drain(..excess);
        }
    }

    pub(crate) fn note_metric(&mut self, entity: u32, at: DateTime<Utc>) {
        let e = self.metric_seen.entry(entity).or_insert(at);
        if at < *e {
            *e = at;
        }
    }

    pub(crate) fn history(&self, entity: u32) -> &[SigObs] {
        self.signals.get(&entity).map_or(&[], Vec::as_slice)
    }

    /// Session readings at or before `t`.
    pub(crate) fn sessions_until(&self, entity: u32, t: DateTime<Utc>) -> &[SessionReading] {
        let h = self.sessions.get(&entity).map_or(&[][..], Vec::as_slice);
        let end = h.partition_point(|r| r.at <= t);
        h.get(..end).unwrap_or(&[])
    }
}
