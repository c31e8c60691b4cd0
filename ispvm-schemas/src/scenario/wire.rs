//! Typed reading of the scenario items that the JSON Schema constrains more tightly than the
//! model's own serde impls: timestamps must be RFC 3339 `date-time` (a `T` between date and
//! time, as the schema's `format` says; chrono alone also takes a space), and optional fields
//! of groups and observations may be absent but not `null`.
//!
//! With these, a document that reads here is one the schema accepts, so [`super::parse`] only
//! runs the schema when reading fails, to name the fault.

use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;

use chrono::{DateTime, Utc};
use ispvm_model::{
    DependencyGroup, Entity, EntityId, GroupMode, MaintenanceWindow, Observation, Signal,
    SignalState,
};
use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

/// An RFC 3339 `date-time` as JSON Schema defines it (separator `T` or `t`); leap seconds are
/// left to the schema, which alone knows their rule.
struct Timestamp(DateTime<Utc>);

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(TimestampVisitor)
    }
}

struct TimestampVisitor;

impl Visitor<'_> for TimestampVisitor {
    type Value = Timestamp;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an RFC 3339 date-time")
    }

    // Borrowed or not, the text is only looked at: no allocation.
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Timestamp, E> {
        let b = s.as_bytes();
        let strict = b.len() >= 19 && matches!(b[10], b'T' | b't') && &b[17..19] != b"60";
        if !strict {
            return Err(E::custom("not an RFC 3339 date-time"));
        }
        DateTime::parse_from_rfc3339(s)
            .map(|t| Timestamp(t.with_timezone(&Utc)))
            .map_err(E::custom)
    }
}

thread_local! {
    /// The ids read so far by [`super::parse`] on this thread (see [`Sharing`]).
    static IDS: RefCell<Option<hashbrown::HashSet<EntityId>>> = const { RefCell::new(None) };
}

/// While alive, every entity id this module reads is shared with the first equal id read
/// (usually the entity's own): a topology names each entity as a dependent and as a member
/// of several groups, and sharing saves one allocation per mention. (Only the validating
/// parser uses it.)
#[cfg(feature = "validation")]
pub(super) struct Sharing(());

#[cfg(feature = "validation")]
impl Sharing {
    /// Starts sharing, with room for about `ids` distinct ids.
    pub(super) fn start(ids: usize) -> Self {
        IDS.with(|set| *set.borrow_mut() = Some(hashbrown::HashSet::with_capacity(ids)));
        Sharing(())
    }
}

#[cfg(feature = "validation")]
impl Drop for Sharing {
    fn drop(&mut self) {
        IDS.with(|ids| *ids.borrow_mut() = None);
    }
}

/// Remembers `id` for sharing (when [`Sharing`] is on), or swaps it for the equal id read
/// before (a file may list dependencies before entities).
fn remember(id: &mut EntityId) {
    IDS.with(|ids| {
        if let Some(set) = ids.borrow_mut().as_mut() {
            let shared = set.get_or_insert_with(id.as_str(), |_| id.clone());
            if !std::ptr::eq(shared.as_str(), id.as_str()) {
                *id = shared.clone();
            }
        }
    });
}

/// The id `s`: a shared copy of an equal id already read, or a new one (then remembered).
fn shared_id(s: &str) -> Result<EntityId, ispvm_model::IdError> {
    let known = IDS.with(|ids| ids.borrow().as_ref().and_then(|set| set.get(s).cloned()));
    match known {
        Some(id) => Ok(id),
        None => {
            let mut id = EntityId::new(s)?;
            remember(&mut id);
            Ok(id)
        }
    }
}

/// An [`EntityId`] read through [`shared_id`].
struct Id(EntityId);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Id;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an entity id")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Id, E> {
                shared_id(s).map(Id).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

impl From<Id> for EntityId {
    fn from(id: Id) -> EntityId {
        id.0
    }
}

/// A list of ids, read through [`shared_id`], with no spare room.
fn ids<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<EntityId>, D::Error> {
    d.deserialize_seq(SeqOf::<Id, EntityId>(PhantomData))
}

/// `Some(value)` for a present field; `null` is refused (the field must then be absent).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum Mode {
    All,
    Any,
    Kofn,
}

#[derive(Deserialize)]
struct GroupWire {
    dependent: Id,
    mode: Mode,
    #[serde(default, deserialize_with = "present")]
    k: Option<u32>,
    #[serde(deserialize_with = "ids")]
    members: Vec<EntityId>,
}

impl TryFrom<GroupWire> for DependencyGroup {
    type Error = &'static str;
    fn try_from(w: GroupWire) -> Result<Self, Self::Error> {
        let mode = match (w.mode, w.k) {
            (Mode::Kofn, Some(k)) if k >= 1 => GroupMode::KofN(k),
            (Mode::Kofn, _) => return Err("mode kofn needs k >= 1"),
            (_, Some(_)) => return Err("k is only valid with mode kofn"),
            (Mode::All, None) => GroupMode::All,
            (Mode::Any, None) => GroupMode::Any,
        };
        Ok(DependencyGroup::new(w.dependent.0, mode, w.members))
    }
}

#[derive(Deserialize)]
struct ObservationWire {
    at: Timestamp,
    entity: Id,
    #[serde(default, deserialize_with = "present")]
    signal: Option<Signal>,
    #[serde(default, deserialize_with = "present")]
    state: Option<SignalState>,
    #[serde(default, deserialize_with = "present")]
    metric: Option<String>,
    #[serde(default, deserialize_with = "present")]
    value: Option<f64>,
    #[serde(default, deserialize_with = "present")]
    source: Option<String>,
}

impl TryFrom<ObservationWire> for Observation {
    type Error = &'static str;
    fn try_from(w: ObservationWire) -> Result<Self, Self::Error> {
        let o = match (w.signal, w.state, w.metric, w.value) {
            (Some(signal), Some(state), None, None) => {
                Observation::signal(w.at.0, w.entity.0, signal, state)
            }
            (None, None, Some(name), Some(value)) => {
                Observation::metric(w.at.0, w.entity.0, name, value)
                    .map_err(|_| "metric value must be a finite number")?
            }
            _ => return Err("an observation needs either signal and state, or metric and value"),
        };
        Ok(match w.source {
            Some(source) => o.with_source(source),
            None => o,
        })
    }
}

#[derive(Deserialize)]
struct MaintenanceWire {
    #[serde(deserialize_with = "ids")]
    entities: Vec<EntityId>,
    start: Timestamp,
    end: Timestamp,
    #[serde(default)]
    reason: Option<String>,
}

impl TryFrom<MaintenanceWire> for MaintenanceWindow {
    type Error = ispvm_model::MaintenanceError;
    fn try_from(w: MaintenanceWire) -> Result<Self, Self::Error> {
        let window = MaintenanceWindow::new(w.entities, w.start.0, w.end.0)?;
        Ok(match w.reason {
            Some(reason) => window.with_reason(reason),
            None => window,
        })
    }
}

/// Reads a JSON array of `W` converted into `T`, item by item (no intermediate vector).
struct SeqOf<W, T>(PhantomData<fn() -> (W, T)>);

impl<'de, W, T> Visitor<'de> for SeqOf<W, T>
where
    W: Deserialize<'de>,
    T: TryFrom<W>,
    T::Error: fmt::Display,
{
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
        while let Some(w) = seq.next_element::<W>()? {
            out.push(T::try_from(w).map_err(de::Error::custom)?);
        }
        // Up to half of a grown vector is spare room; give it back before it is kept.
        out.shrink_to_fit();
        Ok(out)
    }
}

/// An entity, its id remembered for sharing.
struct EntityWire(Entity);

impl<'de> Deserialize<'de> for EntityWire {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut e = Entity::deserialize(d)?;
        remember(&mut e.id);
        Ok(EntityWire(e))
    }
}

impl From<EntityWire> for Entity {
    fn from(e: EntityWire) -> Entity {
        e.0
    }
}

pub(super) fn entities<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Entity>, D::Error> {
    d.deserialize_seq(SeqOf::<EntityWire, Entity>(PhantomData))
}

pub(super) fn groups<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<DependencyGroup>, D::Error> {
    d.deserialize_seq(SeqOf::<GroupWire, DependencyGroup>(PhantomData))
}

pub(super) fn observations<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Observation>, D::Error> {
    d.deserialize_seq(SeqOf::<ObservationWire, Observation>(PhantomData))
}

pub(super) fn maintenance<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Vec<MaintenanceWindow>, D::Error> {
    d.deserialize_seq(SeqOf::<MaintenanceWire, MaintenanceWindow>(PhantomData))
}
