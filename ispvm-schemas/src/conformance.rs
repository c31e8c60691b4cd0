//! Conformance kit for adapter authors: does an adapter's output follow the registry?
//!
//! [`check_samples`] and [`check_events`] return every [`Violation`] found, each with the index
//! of the offending item, so a test of an adapter can simply assert that the list is empty and
//! print it otherwise.
//!
//! Checked for samples: the name is registered and is not an event; the unit, entity type and
//! labels are those of the registry; the value is numeric and finite; states are 0 or 1;
//! counters are not negative; the source is not empty. For events: the name is registered as an
//! event; entity type; ids are non-empty and unique within the slice.
//!
//! # Examples
//! ```
//! use ispvm_model::{EntityKind, SampleValue};
//! use ispvm_schemas::MetricSample;
//! use ispvm_schemas::conformance::{check_samples, Violation};
//!
//! let ts = "2026-01-01T00:00:00Z".parse().unwrap();
//! let good = MetricSample::new(ts, "device.cpu_pct", EntityKind::Device, "agg1".parse().unwrap(),
//!     SampleValue::Num(17.0), "%", "my_adapter");
//! let bad = MetricSample::new(ts, "device.cpu_pct", EntityKind::Device, "agg1".parse().unwrap(),
//!     SampleValue::Num(0.17), "ratio", "my_adapter");
//! assert_eq!(check_samples(&[good.clone()]), vec![]);
//! assert_eq!(check_samples(&[good, bad]), vec![Violation::WrongUnit {
//!     index: 1, name: "device.cpu_pct".into(), expected: "%", found: "ratio".into(),
//! }]);
//! ```

use std::collections::HashMap;

use ispvm_model::quote::bounded;
use ispvm_model::{EntityKind, SampleValue};

use crate::registry::{self, MetricKind};
use crate::{Event, MetricSample};

/// One way a sample or event departs from the registry. `index` is its position in the slice
/// that was checked.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Violation {
    /// The name is not in the registry.
    #[error("#{index}: unknown name {:?}", bounded(.name))]
    UnknownName {
        /// Position of the item.
        index: usize,
        /// The name used.
        name: String,
    },
    /// A registered name used as the wrong kind: an event name on a sample, or a metric name on
    /// an event.
    #[error("#{index}: {:?} is registered as {registered}, not as {used}", bounded(.name))]
    WrongKind {
        /// Position of the item.
        index: usize,
        /// The name used.
        name: String,
        /// Kind in the registry.
        registered: MetricKind,
        /// `sample` or `event`: how it was used.
        used: &'static str,
    },
    /// The unit differs from the registry's.
    #[error(
        "#{index}: {name} has unit {:?}, the registry says {expected:?}",
        bounded(.found)
    )]
    WrongUnit {
        /// Position of the item.
        index: usize,
        /// The name.
        name: String,
        /// Unit in the registry.
        expected: &'static str,
        /// Unit found.
        found: String,
    },
    /// The entity type differs from the registry's.
    #[error("#{index}: {name} is about {expected} entities, not {found}")]
    WrongEntityType {
        /// Position of the item.
        index: usize,
        /// The name.
        name: String,
        /// Entity type in the registry.
        expected: EntityKind,
        /// Entity type found.
        found: EntityKind,
    },
    /// A label the registry does not allow for this name.
    #[error(
        "#{index}: {name} does not allow label {:?} (allowed: {allowed:?})",
        bounded(.label)
    )]
    LabelNotAllowed {
        /// Position of the item.
        index: usize,
        /// The name.
        name: String,
        /// The label.
        label: String,
        /// Labels the registry allows.
        allowed: &'static [&'static str],
    },
    /// A text value on a numeric metric (every registered metric is numeric).
    #[error("#{index}: {name} is numeric but carries a text value")]
    TextValue {
        /// Position of the item.
        index: usize,
        /// The name.
        name: String,
    },
    /// NaN or an infinity.
    #[error("#{index}: {name} has a non-finite value")]
    NonFiniteValue {
        /// Position of the item.
        index: usize,
        /// The name.
        name: String,
    },
    /// A state (unit `bool`) that is neither 0 nor 1.
    #[error("#{index}: {name} is a state and must be 0 or 1, not {value}")]
    NotABoolean {
        /// Position of the item.
        index: usize,
        /// The name.
        name: String,
        /// The value found.
        value: f64,
    },
    /// A counter below zero.
    #[error("#{index}: counter {name} is negative ({value})")]
    NegativeCounter {
        /// Position of the item.
        index: usize,
        /// The name.
        name: String,
        /// The value found.
        value: f64,
    },
    /// A sample with an empty `source`.
    #[error("#{index}: empty source")]
    EmptySource {
        /// Position of the item.
        index: usize,
    },
    /// An event with an empty `id`.
    #[error("#{index}: empty event id")]
    EmptyEventId {
        /// Position of the item.
        index: usize,
    },
    /// Two events share an id (consumers deduplicate on it).
    #[error("#{index}: event id {:?} already used by #{first}", bounded(.id))]
    DuplicateEventId {
        /// Position of the second event.
        index: usize,
        /// The id.
        id: String,
        /// Position of the first event with that id.
        first: usize,
    },
}

impl Violation {
    /// Position of the offending item in the checked slice.
    #[must_use]
    pub fn index(&self) -> usize {
        match self {
            Violation::UnknownName { index, .. }
            | Violation::WrongKind { index, .. }
            | Violation::WrongUnit { index, .. }
            | Violation::WrongEntityType { index, .. }
            | Violation::LabelNotAllowed { index, .. }
            | Violation::TextValue { index, .. }
            | Violation::NonFiniteValue { index, .. }
            | Violation::NotABoolean { index, .. }
            | Violation::NegativeCounter { index, .. }
            | Violation::EmptySource { index }
            | Violation::EmptyEventId { index }
            | Violation::DuplicateEventId { index, .. } => *index,
        }
    }
}

/// Checks metric samples against the registry. Returns every violation, in item order.
///
/// An unknown or misused name yields one violation and no further checks of that item.
#[must_use]
pub fn check_samples(samples: &[MetricSample]) -> Vec<Violation> {
    let mut out = Vec::new();
    for (index, s) in samples.iter().enumerate() {
        let name = || s.metric_name.clone();
        if s.source.is_empty() {
            out.push(Violation::EmptySource { index });
        }
        let Some(def) = registry::lookup(&s.metric_name) else {
            out.push(Violation::UnknownName {
                index,
                name: name(),
            });
            continue;
        };
        if def.kind == MetricKind::Event {
            out.push(Violation::WrongKind {
                index,
                name: name(),
                registered: def.kind,
                used: "sample",
            });
            continue;
        }
        if s.unit != def.unit {
            out.push(Violation::WrongUnit {
                index,
                name: name(),
                expected: def.unit,
                found: s.unit.clone(),
            });
        }
        if s.entity_type != def.entity_type {
            out.push(Violation::WrongEntityType {
                index,
                name: name(),
                expected: def.entity_type,
                found: s.entity_type,
            });
        }
        for label in s.labels.keys() {
            if !def.allows_label(label) {
                out.push(Violation::LabelNotAllowed {
                    index,
                    name: name(),
                    label: label.clone(),
                    allowed: def.labels,
                });
            }
        }
        match &s.value {
            SampleValue::Num(v) if !v.is_finite() => out.push(Violation::NonFiniteValue {
                index,
                name: name(),
            }),
            SampleValue::Num(v) if def.kind == MetricKind::State && *v != 0.0 && *v != 1.0 => {
                out.push(Violation::NotABoolean {
                    index,
                    name: name(),
                    value: *v,
                });
            }
            SampleValue::Num(v) if def.kind == MetricKind::Counter && *v < 0.0 => {
                out.push(Violation::NegativeCounter {
                    index,
                    name: name(),
                    value: *v,
                });
            }
            SampleValue::Num(_) => {}
            _ => out.push(Violation::TextValue {
                index,
                name: name(),
            }),
        }
    }
    out
}

/// Checks events against the registry. Returns every violation, in item order.
#[must_use]
pub fn check_events(events: &[Event]) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut ids: HashMap<&str, usize> = HashMap::with_capacity(events.len());
    for (index, e) in events.iter().enumerate() {
        if e.id.is_empty() {
            out.push(Violation::EmptyEventId { index });
        } else if let Some(&first) = ids.get(e.id.as_str()) {
            out.push(Violation::DuplicateEventId {
                index,
                id: e.id.clone(),
                first,
            });
        } else {
            ids.insert(&e.id, index);
        }
        let Some(def) = registry::lookup(&e.event_type) else {
            out.push(Violation::UnknownName {
                index,
                name: e.event_type.clone(),
            });
            continue;
        };
        if def.kind != MetricKind::Event {
            out.push(Violation::WrongKind {
                index,
                name: e.event_type.clone(),
                registered: def.kind,
                used: "event",
            });
            continue;
        }
        if e.entity_type != def.entity_type {
            out.push(Violation::WrongEntityType {
                index,
                name: e.event_type.clone(),
                expected: def.entity_type,
                found: e.entity_type,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ispvm_model::Severity;

    #[test]
    fn violations_quote_at_most_80_characters_of_a_name_or_unit() {
        let huge = "n".repeat(1 << 20);
        let v = check_samples(&[
            sample(&huge, EntityKind::Device, SampleValue::Num(1.0), "%"),
            sample(
                "device.cpu_pct",
                EntityKind::Device,
                SampleValue::Num(1.0),
                &huge,
            ),
        ]);
        assert_eq!(v.len(), 2, "{v:?}");
        assert_eq!(
            v[0].to_string(),
            format!("#0: unknown name \"{}…\"", "n".repeat(80))
        );
        assert!(v[1].to_string().len() < 200, "{}", v[1]);
    }

    fn sample(name: &str, kind: EntityKind, value: SampleValue, unit: &str) -> MetricSample {
        MetricSample::new(
            "2026-01-01T00:00:00Z".parse().unwrap(),
            name,
            kind,
            "agg1".parse().unwrap(),
            value,
            unit,
            "test",
        )
    }

    fn event(id: &str, name: &str, kind: EntityKind) -> Event {
        Event::new(
            id,
            "2026-01-01T00:00:00Z".parse().unwrap(),
            name,
            Severity::Major,
            kind,
            "agg1".parse().unwrap(),
        )
    }

    #[test]
    fn every_registered_metric_has_a_conforming_sample() {
        let samples: Vec<_> = registry::REGISTRY
            .iter()
            .filter(|d| d.kind != MetricKind::Event)
            .map(|d| {
                let mut s = sample(d.name, d.entity_type, SampleValue::Num(1.0), d.unit);
                for l in d.labels {
                    s = s.with_label(*l, "x");
                }
                s
            })
            .collect();
        assert_eq!(check_samples(&samples), vec![]);
        let events: Vec<_> = registry::REGISTRY
            .iter()
            .filter(|d| d.kind == MetricKind::Event)
            .map(|d| event(d.name, d.name, d.entity_type))
            .collect();
        assert_eq!(events.len(), 5);
        assert_eq!(check_events(&events), vec![]);
    }

    #[test]
    fn each_sample_violation() {
        let dev = EntityKind::Device;
        let samples = vec![
            sample("device.cpu", dev, SampleValue::Num(1.0), "%"),
            sample("device.reachable.changed", dev, SampleValue::Num(1.0), "1"),
            sample("device.cpu_pct", dev, SampleValue::Num(1.0), "percent"),
            sample(
                "device.cpu_pct",
                EntityKind::Interface,
                SampleValue::Num(1.0),
                "%",
            ),
            sample("device.cpu_pct", dev, SampleValue::Num(1.0), "%").with_label("core", "0"),
            sample("device.cpu_pct", dev, SampleValue::Text("high".into()), "%"),
            sample("device.cpu_pct", dev, SampleValue::Num(f64::NAN), "%"),
            sample("device.up", dev, SampleValue::Num(0.5), "bool"),
            sample(
                "interface.rx_errors_total",
                EntityKind::Interface,
                SampleValue::Num(-1.0),
                "1",
            ),
            sample("device.cpu_pct", dev, SampleValue::Num(f64::INFINITY), "%"),
        ];
        let mut empty_source = sample("device.up", dev, SampleValue::Num(1.0), "bool");
        empty_source.source.clear();
        let mut all = samples;
        all.push(empty_source);
        let v = check_samples(&all);
        assert_eq!(
            v,
            vec![
                Violation::UnknownName {
                    index: 0,
                    name: "device.cpu".into()
                },
                Violation::WrongKind {
                    index: 1,
                    name: "device.reachable.changed".into(),
                    registered: MetricKind::Event,
                    used: "sample"
                },
                Violation::WrongUnit {
                    index: 2,
                    name: "device.cpu_pct".into(),
                    expected: "%",
                    found: "percent".into()
                },
                Violation::WrongEntityType {
                    index: 3,
                    name: "device.cpu_pct".into(),
                    expected: EntityKind::Device,
                    found: EntityKind::Interface
                },
                Violation::LabelNotAllowed {
                    index: 4,
                    name: "device.cpu_pct".into(),
                    label: "core".into(),
                    allowed: &[]
                },
                Violation::TextValue {
                    index: 5,
                    name: "device.cpu_pct".into()
                },
                Violation::NonFiniteValue {
                    index: 6,
                    name: "device.cpu_pct".into()
                },
                Violation::NotABoolean {
                    index: 7,
                    name: "device.up".into(),
                    value: 0.5
                },
                Violation::NegativeCounter {
                    index: 8,
                    name: "interface.rx_errors_total".into(),
                    value: -1.0
                },
                Violation::NonFiniteValue {
                    index: 9,
                    name: "device.cpu_pct".into()
                },
                Violation::EmptySource { index: 10 },
            ]
        );
        let indexes: Vec<_> = v.iter().map(Violation::index).collect();
        assert_eq!(indexes, (0..=10).collect::<Vec<_>>());
        assert_eq!(
            v[4].to_string(),
            "#4: device.cpu_pct does not allow label \"core\" (allowed: [])"
        );
    }

    #[test]
    fn each_event_violation() {
        let events = vec![
            event("e1", "device.reachable.changed", EntityKind::Device),
            event("e1", "device.reachable.changed", EntityKind::Device),
            event("", "interface.oper.changed", EntityKind::Device),
            event("e3", "device.up", EntityKind::Device),
            event("e4", "device.exploded", EntityKind::Device),
        ];
        assert_eq!(
            check_events(&events),
            vec![
                Violation::DuplicateEventId {
                    index: 1,
                    id: "e1".into(),
                    first: 0
                },
                Violation::EmptyEventId { index: 2 },
                Violation::WrongEntityType {
                    index: 2,
                    name: "interface.oper.changed".into(),
                    expected: EntityKind::Interface,
                    found: EntityKind::Device
                },
                Violation::WrongKind {
                    index: 3,
                    name: "device.up".into(),
                    registered: MetricKind::State,
                    used: "event"
                },
                Violation::UnknownName {
                    index: 4,
                    name: "device.exploded".into()
                },
            ]
        );
    }
}
