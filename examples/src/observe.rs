//! Turning canonical samples into RCA observations.
//!
//! Collectors speak in registry samples (`device.up`, `interface.oper_up`, `bgp.peer.up`...);
//! the RCA engine speaks in observations (`reachability`, `link`, `routing`, `experience`, or a
//! metric). This module is the translation used by `ispvm-demo`; embedders can use or copy it.
//!
//! | sample | observation |
//! |---|---|
//! | `device.up` | `reachability` up/down |
//! | `radius.up` | `reachability` up/down |
//! | `interface.oper_up` (unless `interface.admin_up` is 0) | `link` up/down |
//! | `bgp.peer.up`, `ospf.neighbor.up` | `routing` up/down |
//! | `probe.ping.loss_pct` | `experience`: up below 2 %, degraded from 2 %, down at 100 % |
//! | `pppoe.sessions.active` | the metric itself |

use std::collections::HashSet;

use ispvm_model::{Observation, Sample, Signal, SignalState, Topology};

/// Loss (in %) from which a ping probe reports degraded experience.
pub const PING_LOSS_DEGRADED_PCT: f64 = 2.0;

fn up_down(value: f64) -> SignalState {
    if value >= 0.5 {
        SignalState::Up
    } else {
        SignalState::Down
    }
}

/// Translates samples into observations, in sample order. Samples of other metrics, text
/// samples and non-finite values produce nothing.
///
/// # Examples
/// ```
/// use ispvm_examples::observe::observations_from_samples;
/// use ispvm_model::{EntityKind, ObservationValue, Sample, SampleValue, Signal, SignalState};
/// let s = Sample::new("2026-01-01T00:00:00Z".parse().unwrap(), "device.up", EntityKind::Device,
///     "agg1".parse().unwrap(), SampleValue::Num(0.0), "bool", "routeros_api");
/// let o = observations_from_samples(&[s]);
/// assert_eq!(o[0].value, ObservationValue::Signal { signal: Signal::Reachability, state: SignalState::Down });
/// ```
#[must_use]
pub fn observations_from_samples(samples: &[Sample]) -> Vec<Observation> {
    let admin_down: HashSet<&str> = samples
        .iter()
        .filter(|s| s.metric_name == "interface.admin_up" && s.as_f64() == Some(0.0))
        .map(|s| s.entity_id.as_str())
        .collect();
    let mut out = Vec::new();
    for s in samples {
        let Some(v) = s.as_f64().filter(|v| v.is_finite()) else {
            continue;
        };
        let signal = |signal: Signal, state: SignalState| {
            Observation::signal(s.ts, s.entity_id.clone(), signal, state)
                .with_source(s.source.clone())
        };
        let obs = match s.metric_name.as_str() {
            "device.up" | "radius.up" => Some(signal(Signal::Reachability, up_down(v))),
            "interface.oper_up" if !admin_down.contains(s.entity_id.as_str()) => {
                Some(signal(Signal::Link, up_down(v)))
            }
            "bgp.peer.up" | "ospf.neighbor.up" => Some(signal(Signal::Routing, up_down(v))),
            "probe.ping.loss_pct" => {
                let state = if v >= 100.0 {
                    SignalState::Down
                } else if v >= PING_LOSS_DEGRADED_PCT {
                    SignalState::Degraded
                } else {
                    SignalState::Up
                };
                let source = s
                    .labels
                    .get("vantage")
                    .cloned()
                    .unwrap_or_else(|| s.source.clone());
                Some(
                    Observation::signal(s.ts, s.entity_id.clone(), Signal::Experience, state)
                        .with_source(source),
                )
            }
            "pppoe.sessions.active" => {
                Observation::metric(s.ts, s.entity_id.clone(), "pppoe.sessions.active", v)
                    .ok()
                    .map(|o| o.with_source(s.source.clone()))
            }
            _ => None,
        };
        out.extend(obs);
    }
    out
}

/// Keeps only the observations of entities that exist in `topology`.
#[must_use]
pub fn for_topology(observations: Vec<Observation>, topology: &Topology) -> Vec<Observation> {
    observations
        .into_iter()
        .filter(|o| topology.index_of(o.entity.as_str()).is_some())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ispvm_model::{EntityKind, ObservationValue, SampleValue};

    fn sample(name: &str, kind: EntityKind, id: &str, v: f64) -> Sample {
        Sample::new(
            "2026-01-01T00:00:00Z".parse().unwrap(),
            name,
            kind,
            id.parse().unwrap(),
            SampleValue::Num(v),
            "bool",
            "routeros_api",
        )
    }

    #[test]
    fn maps_each_signal() {
        let samples = vec![
            sample("device.up", EntityKind::Device, "agg1", 1.0),
            sample(
                "interface.oper_up",
                EntityKind::Interface,
                "agg1/ether1",
                0.0,
            ),
            sample(
                "interface.oper_up",
                EntityKind::Interface,
                "agg1/ether2",
                0.0,
            ),
            sample(
                "interface.admin_up",
                EntityKind::Interface,
                "agg1/ether2",
                0.0,
            ),
            sample(
                "bgp.peer.up",
                EntityKind::BgpSession,
                "agg1/bgp/10.0.0.1",
                0.0,
            ),
            sample("device.cpu_pct", EntityKind::Device, "agg1", 55.0),
            sample("probe.ping.loss_pct", EntityKind::Device, "agg1", 5.0)
                .with_label("vantage", "pop-a"),
            sample(
                "pppoe.sessions.active",
                EntityKind::PppoeConcentrator,
                "agg1",
                3200.0,
            ),
        ];
        let got: Vec<(String, ObservationValue, Option<String>)> =
            observations_from_samples(&samples)
                .into_iter()
                .map(|o| (o.entity.to_string(), o.value, o.source))
                .collect();
        let sig = |signal, state| ObservationValue::Signal { signal, state };
        let api = Some("routeros_api".to_string());
        assert_eq!(
            got,
            vec![
                (
                    "agg1".into(),
                    sig(Signal::Reachability, SignalState::Up),
                    api.clone()
                ),
                (
                    "agg1/ether1".into(),
                    sig(Signal::Link, SignalState::Down),
                    api.clone()
                ),
                (
                    "agg1/bgp/10.0.0.1".into(),
                    sig(Signal::Routing, SignalState::Down),
                    api.clone()
                ),
                (
                    "agg1".into(),
                    sig(Signal::Experience, SignalState::Degraded),
                    Some("pop-a".into())
                ),
                (
                    "agg1".into(),
                    ObservationValue::Metric {
                        name: "pppoe.sessions.active".into(),
                        value: 3200.0
                    },
                    api
                ),
            ]
        );
    }
}
