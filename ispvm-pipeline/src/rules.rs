//! The translation rules, each a pure function: samples -> observations, a failed poll ->
//! `device.up` 0, `/ppp/active` rows -> a session snapshot, a RADIUS failure rate -> an
//! `experience` state.
//!
//! | input | observation |
//! |---|---|
//! | `device.up`, `radius.up` | `reachability` up (>= 0.5) / down |
//! | `interface.oper_up` (unless `interface.admin_up` is 0 in the same input) | `link` up/down |
//! | `bgp.peer.up`, `ospf.neighbor.up` | `routing` up/down |
//! | `probe.ping.loss_pct` | `experience`: up below [`PING_LOSS_DEGRADED_PCT`], degraded from it, down at 100 %; source = the `vantage` label |
//! | `pppoe.sessions.active` | the metric itself (the engine's subscriber model reads it) |
//! | a failed poll | `device.up` 0 ([`failed_poll_sample`]) |
//! | RADIUS failure rate of `DEV/radius/ADDR` | `experience` of the server: degraded from [`RADIUS_FAILURE_THRESHOLD`], else up; from [`RADIUS_DOWN_THRESHOLD`] when enabled (`PipelineConfig::with_radius_down_threshold`, e.g. [`RADIUS_DOWN_THRESHOLD`]) also `reachability` down once the share of timed-out requests reaches it (it answers nothing), `reachability` up again once it falls below; source = `DEV` |
//!
//! Every other metric, text samples and non-finite values produce nothing.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use ispvm_model::{
    EntityId, EntityKind, Observation, Sample, SampleValue, Signal, SignalState, Topology,
};
use ispvm_pppoe::session::{ActiveSession, PlanName, SessionKey, SessionSnapshot};
use ispvm_schemas::registry::names;
use serde::{Deserialize, Serialize};

/// Loss (in %) from which a ping probe reports degraded experience.
pub const PING_LOSS_DEGRADED_PCT: f64 = 2.0;

/// RADIUS failure rate (rejects and timeouts over requests, 0 to 1) from which a RADIUS server
/// is seen as `experience: degraded` by the concentrator that measured it.
pub const RADIUS_FAILURE_THRESHOLD: f64 = 0.5;

/// Share of a client's RADIUS requests that timed out (no answer at all; a reject is an
/// answer) from which the client sees its RADIUS server as unreachable: the server's `reachability` is down from that client, so a server that
/// times out is a failed root cause rather than a silent degradation.
pub const RADIUS_DOWN_THRESHOLD: f64 = 0.95;

/// `1`/`0` states: up from 0.5.
fn up_down(value: f64) -> SignalState {
    if value >= 0.5 {
        SignalState::Up
    } else {
        SignalState::Down
    }
}

/// Translates samples into observations, in sample order (see the [module table](self)).
/// `ping_loss_degraded_pct` is the loss from which ping experience is degraded.
///
/// # Examples
/// ```
/// use ispvm_pipeline::rules::{observations_from_samples, PING_LOSS_DEGRADED_PCT};
/// use ispvm_model::{EntityKind, ObservationValue, Sample, SampleValue, Signal, SignalState};
/// let s = Sample::new("2026-01-01T00:00:00Z".parse()?, "device.up", EntityKind::Device,
///     "agg1".parse()?, SampleValue::Num(0.0), "bool", "routeros_api");
/// let o = observations_from_samples(&[s], PING_LOSS_DEGRADED_PCT);
/// assert_eq!(o[0].value, ObservationValue::Signal { signal: Signal::Reachability, state: SignalState::Down });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn observations_from_samples(
    samples: &[Sample],
    ping_loss_degraded_pct: f64,
) -> Vec<Observation> {
    let admin_down: HashSet<&str> = samples
        .iter()
        .filter(|s| s.metric_name == names::INTERFACE_ADMIN_UP && s.as_f64() == Some(0.0))
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
        let name = s.metric_name.as_str();
        let obs = if name == names::DEVICE_UP || name == names::RADIUS_UP {
            Some(signal(Signal::Reachability, up_down(v)))
        } else if name == names::INTERFACE_OPER_UP {
            (!admin_down.contains(s.entity_id.as_str())).then(|| signal(Signal::Link, up_down(v)))
        } else if name == names::BGP_PEER_UP || name == names::OSPF_NEIGHBOR_UP {
            Some(signal(Signal::Routing, up_down(v)))
        } else if name == names::PROBE_PING_LOSS_PCT {
            let state = if v >= 100.0 {
                SignalState::Down
            } else if v >= ping_loss_degraded_pct {
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
        } else if name == names::PPPOE_SESSIONS_ACTIVE {
            Observation::metric(s.ts, s.entity_id.clone(), names::PPPOE_SESSIONS_ACTIVE, v)
                .ok()
                .map(|o| o.with_source(s.source.clone()))
        } else {
            None
        };
        out.extend(obs);
    }
    out
}

/// The sample a failed poll of `device` stands for: `device.up` = 0 (the device did not answer
/// its management protocol), with `source` as its source. The entity kind comes from the
/// topology (a device when the topology does not know it).
///
/// # Examples
/// ```
/// use ispvm_pipeline::rules::failed_poll_sample;
/// let s = failed_poll_sample(None, &"agg1".parse()?, "2026-01-01T00:00:00Z".parse()?, "routeros_api");
/// assert_eq!((s.metric_name.as_str(), s.as_f64()), ("device.up", Some(0.0)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn failed_poll_sample(
    topology: Option<&Topology>,
    device: &EntityId,
    at: DateTime<Utc>,
    source: &str,
) -> Sample {
    let kind = topology
        .and_then(|t| t.entity(device.as_str()))
        .map_or(EntityKind::Device, |e| e.kind);
    Sample::new(
        at,
        names::DEVICE_UP,
        kind,
        device.clone(),
        SampleValue::Num(0.0),
        "bool",
        source,
    )
}

/// One row of a concentrator's `/ppp/active` listing, as the RouterOS API returns it (only the
/// fields the pipeline reads).
///
/// # Examples
/// ```
/// use ispvm_pipeline::PppActiveRow;
/// let row = PppActiveRow::new("*80A00001").with_service("pppoe").with_profile("business");
/// assert_eq!(row.id, "*80A00001");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PppActiveRow {
    /// The row's `.id` (stable for the life of the session).
    pub id: String,
    /// `service` (`pppoe`, `l2tp`...); rows of another service than `pppoe` are skipped, a
    /// row without it counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The PPP profile (the subscriber's plan), if listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
}

impl PppActiveRow {
    /// A row with its `.id` only.
    #[must_use]
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            service: None,
            profile: None,
        }
    }

    /// Sets `service`.
    #[must_use]
    pub fn with_service(mut self, service: impl Into<String>) -> Self {
        self.service = Some(service.into());
        self
    }

    /// Sets the profile.
    #[must_use]
    pub fn with_profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }
}

/// Why a `/ppp/active` listing was refused (nothing of it is used).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PppRowError {
    /// A row's `.id` is empty or too long to be a session key.
    #[error("row {index}: the .id is not a usable session key")]
    BadId {
        /// Zero-based position of the row.
        index: usize,
    },
    /// A row's profile is empty or too long to be a plan name.
    #[error("row {index}: the profile is not a usable plan name")]
    BadProfile {
        /// Zero-based position of the row.
        index: usize,
    },
    /// Two rows have the same `.id`.
    #[error("the listing names a session twice")]
    Duplicate,
}

/// Turns `/ppp/active` rows into a [`SessionSnapshot`] at `at`: PPPoE rows only (a row without
/// `service` counts as PPPoE), keyed by `.id`, with the profile as plan. All or nothing.
///
/// # Errors
/// [`PppRowError`] naming the first unusable row.
///
/// # Examples
/// ```
/// use ispvm_pipeline::{rules::session_snapshot, PppActiveRow};
/// let rows = [PppActiveRow::new("*1").with_service("pppoe"), PppActiveRow::new("*2").with_service("l2tp"),
///     PppActiveRow::new("*3")];
/// let snap = session_snapshot("2026-01-01T00:00:00Z".parse()?, &rows)?;
/// assert_eq!(snap.len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn session_snapshot(
    at: DateTime<Utc>,
    rows: &[PppActiveRow],
) -> Result<SessionSnapshot, PppRowError> {
    let mut sessions = Vec::with_capacity(rows.len());
    for (index, row) in rows.iter().enumerate() {
        if row.service.as_deref().is_some_and(|s| s != "pppoe") {
            continue;
        }
        let key = SessionKey::new(row.id.as_str()).map_err(|_| PppRowError::BadId { index })?;
        let mut session = ActiveSession::new(key);
        if let Some(profile) = &row.profile {
            let plan =
                PlanName::new(profile.as_str()).map_err(|_| PppRowError::BadProfile { index })?;
            session = session.with_plan(plan);
        }
        sessions.push(session);
    }
    SessionSnapshot::new(at, sessions).map_err(|_| PppRowError::Duplicate)
}

/// The `experience` state of a RADIUS server seen through a failure rate: degraded from
/// `threshold`, up below it.
///
/// # Examples
/// ```
/// use ispvm_pipeline::rules::{radius_experience, RADIUS_FAILURE_THRESHOLD};
/// use ispvm_model::SignalState;
/// assert_eq!(radius_experience(0.81, RADIUS_FAILURE_THRESHOLD), SignalState::Degraded);
/// assert_eq!(radius_experience(0.02, RADIUS_FAILURE_THRESHOLD), SignalState::Up);
/// ```
#[must_use]
pub fn radius_experience(failure_rate: f64, threshold: f64) -> SignalState {
    if failure_rate >= threshold {
        SignalState::Degraded
    } else {
        SignalState::Up
    }
}

/// Splits a RADIUS client entry id `DEV/radius/ADDR` into `(DEV, ADDR)`.
pub(crate) fn radius_client_parts(entity: &EntityId) -> Option<(&str, &str)> {
    let (dev, addr) = entity.as_str().split_once("/radius/")?;
    (!dev.is_empty() && !addr.is_empty() && !addr.contains('/')).then_some((dev, addr))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ispvm_model::ObservationValue;

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
            sample(names::DEVICE_UP, EntityKind::Device, "agg1", 1.0),
            sample(
                names::INTERFACE_OPER_UP,
                EntityKind::Interface,
                "agg1/ether1",
                0.0,
            ),
            sample(
                names::INTERFACE_OPER_UP,
                EntityKind::Interface,
                "agg1/ether2",
                0.0,
            ),
            sample(
                names::INTERFACE_ADMIN_UP,
                EntityKind::Interface,
                "agg1/ether2",
                0.0,
            ),
            sample(
                names::BGP_PEER_UP,
                EntityKind::BgpSession,
                "agg1/bgp/10.0.0.1",
                0.0,
            ),
            sample(
                names::OSPF_NEIGHBOR_UP,
                EntityKind::Device,
                "agg1/ospf/1.1.1.1",
                1.0,
            ),
            sample(names::DEVICE_CPU_PCT, EntityKind::Device, "agg1", 55.0),
            sample(names::PROBE_PING_LOSS_PCT, EntityKind::Device, "agg1", 5.0)
                .with_label("vantage", "pop-a"),
            sample(
                names::PROBE_PING_LOSS_PCT,
                EntityKind::Device,
                "agg2",
                100.0,
            ),
            sample(names::PROBE_PING_LOSS_PCT, EntityKind::Device, "agg3", 1.9),
            sample(names::RADIUS_UP, EntityKind::RadiusServer, "radius1", 0.4),
            sample(
                names::PPPOE_SESSIONS_ACTIVE,
                EntityKind::PppoeConcentrator,
                "agg1",
                3200.0,
            ),
            sample(names::DEVICE_UP, EntityKind::Device, "agg9", f64::NAN),
        ];
        let got: Vec<(String, ObservationValue, Option<String>)> =
            observations_from_samples(&samples, PING_LOSS_DEGRADED_PCT)
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
                    "agg1/ospf/1.1.1.1".into(),
                    sig(Signal::Routing, SignalState::Up),
                    api.clone()
                ),
                (
                    "agg1".into(),
                    sig(Signal::Experience, SignalState::Degraded),
                    Some("pop-a".into())
                ),
                (
                    "agg2".into(),
                    sig(Signal::Experience, SignalState::Down),
                    api.clone()
                ),
                (
                    "agg3".into(),
                    sig(Signal::Experience, SignalState::Up),
                    api.clone()
                ),
                (
                    "radius1".into(),
                    sig(Signal::Reachability, SignalState::Down),
                    api.clone()
                ),
                (
                    "agg1".into(),
                    ObservationValue::Metric {
                        name: names::PPPOE_SESSIONS_ACTIVE.into(),
                        value: 3200.0
                    },
                    api
                ),
            ]
        );
    }

    #[test]
    fn a_failed_poll_is_device_up_zero_of_the_topology_kind() {
        let at = "2026-01-01T00:05:00Z".parse().unwrap();
        let s = failed_poll_sample(None, &"bras1".parse().unwrap(), at, "routeros_api");
        assert_eq!(
            s,
            Sample::new(
                at,
                "device.up",
                EntityKind::Device,
                "bras1".parse().unwrap(),
                SampleValue::Num(0.0),
                "bool",
                "routeros_api"
            )
        );
        let mut b = ispvm_model::TopologyBuilder::new("t".parse().unwrap());
        b.add_entity(ispvm_model::Entity::new(
            "bras1".parse().unwrap(),
            EntityKind::PppoeConcentrator,
        ));
        let t = b.build().unwrap();
        let s = failed_poll_sample(Some(&t), &"bras1".parse().unwrap(), at, "x");
        assert_eq!(
            (s.entity_type, s.source.as_str()),
            (EntityKind::PppoeConcentrator, "x")
        );
    }

    #[test]
    fn ppp_rows_become_a_snapshot_or_a_typed_error() {
        let at = "2026-01-01T00:00:00Z".parse().unwrap();
        let rows = [
            PppActiveRow::new("*1")
                .with_service("pppoe")
                .with_profile("home"),
            PppActiveRow::new("*2").with_service("ovpn"),
            PppActiveRow::new("*3"),
        ];
        let snap = session_snapshot(at, &rows).unwrap();
        let keys: Vec<&str> = snap.sessions().iter().map(|s| s.key.as_str()).collect();
        assert_eq!(keys, ["*1", "*3"]);
        assert_eq!(
            snap.sessions()[0].plan.as_ref().map(|p| p.as_str()),
            Some("home")
        );
        assert_eq!(
            session_snapshot(at, &[PppActiveRow::new("*1"), PppActiveRow::new("")]),
            Err(PppRowError::BadId { index: 1 })
        );
        assert_eq!(
            session_snapshot(at, &[PppActiveRow::new("*1").with_profile("")]),
            Err(PppRowError::BadProfile { index: 0 })
        );
        assert_eq!(
            session_snapshot(at, &[PppActiveRow::new("*1"), PppActiveRow::new("*1")]),
            Err(PppRowError::Duplicate)
        );
        // A non-PPPoE row with a bad id is skipped, not refused.
        assert_eq!(
            session_snapshot(at, &[PppActiveRow::new("").with_service("l2tp")])
                .unwrap()
                .len(),
            0
        );
    }

    #[test]
    fn radius_rate_threshold_is_inclusive() {
        assert_eq!(radius_experience(0.5, 0.5), SignalState::Degraded);
        assert_eq!(radius_experience(0.499, 0.5), SignalState::Up);
        let id: EntityId = "bras1/radius/10.0.0.10".parse().unwrap();
        assert_eq!(radius_client_parts(&id), Some(("bras1", "10.0.0.10")));
        let id: EntityId = "bras1/ether1".parse().unwrap();
        assert_eq!(radius_client_parts(&id), None);
    }
}
