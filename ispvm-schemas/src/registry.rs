//! The metric and event registry: every canonical name an adapter may emit.
//!
//! One static, typed table ([`REGISTRY`]): name, [`MetricKind`], UCUM unit, entity type,
//! allowed labels, description and the schema version that added it. Adapters name their
//! samples and events from it, the [conformance kit](crate::conformance) checks them against it,
//! and `docs/collected-data.md` is generated from it.
//!
//! Naming rules (enforced by tests): dot-separated `lower_snake` segments, counters (and only
//! counters) end in `_total`, no duplicates. Entity ids follow the conventions of the
//! RouterOS contract: a device is `DEV`, an interface `DEV/IFNAME`, a BGP session
//! `DEV/bgp/REMOTE-ADDRESS`, an OSPF adjacency `DEV/ospf/ROUTER-ID`, a router's RADIUS client
//! entry `DEV/radius/SERVER-ADDRESS`; a RADIUS server probed directly uses its configured id.
//!
//! # Examples
//! ```
//! use ispvm_model::EntityKind;
//! use ispvm_schemas::registry::{self, MetricKind};
//!
//! let def = registry::lookup("interface.rx_bytes_total").unwrap();
//! assert_eq!(def.kind, MetricKind::Counter);
//! assert_eq!(def.unit, "By");
//! assert_eq!(def.entity_type, EntityKind::Interface);
//! assert!(def.allows_label("if_name"));
//! assert_eq!(def.prometheus_name(), "ispvm_interface_rx_bytes_total");
//! assert_eq!(def.openmetrics_family(), "ispvm_interface_rx_bytes");
//! assert!(registry::lookup("interface.rx_bytes").is_none());
//! ```

use std::collections::HashMap;
use std::fmt;
use std::fmt::Write as _;
use std::sync::OnceLock;

use ispvm_model::EntityKind;
/// The canonical names as constants (defined in `ispvm-model`, so that crates which do not
/// depend on this one share them).
pub use ispvm_model::names;
use serde::Serialize;

use crate::version::SchemaVersion;

/// What a registry entry measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MetricKind {
    /// A value that goes up and down (CPU load, sessions).
    Gauge,
    /// A monotonically increasing count since some reset; the name ends in `_total`.
    Counter,
    /// A boolean state (`1` up, `0` down), unit `bool`.
    State,
    /// A discrete event ([`Event`](crate::Event)), not a sample.
    Event,
}

impl MetricKind {
    /// The serialized name: `gauge`, `counter`, `state` or `event`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            MetricKind::Gauge => "gauge",
            MetricKind::Counter => "counter",
            MetricKind::State => "state",
            MetricKind::Event => "event",
        }
    }

    /// The OpenMetrics type of the family, `None` for events (they are not exposed as metrics).
    /// States are exposed as gauges holding 1 or 0.
    #[must_use]
    pub const fn openmetrics_type(self) -> Option<&'static str> {
        match self {
            MetricKind::Gauge | MetricKind::State => Some("gauge"),
            MetricKind::Counter => Some("counter"),
            MetricKind::Event => None,
        }
    }
}

impl fmt::Display for MetricKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One registry entry.
///
/// Entries only exist in [`REGISTRY`]; the struct is `#[non_exhaustive]` so that fields can be
/// added in a later minor version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct MetricDef {
    /// Canonical name, e.g. `device.cpu_pct`.
    pub name: &'static str,
    /// Gauge, counter, state or event.
    pub kind: MetricKind,
    /// UCUM unit (`%`, `By`, `s`, `ms`, `1`, `1/min`), or `bool` for states (1/0).
    pub unit: &'static str,
    /// The kind of entity a sample or event is about.
    pub entity_type: EntityKind,
    /// The labels a sample may carry (any subset; no other label is allowed).
    pub labels: &'static [&'static str],
    /// One-line description for operators.
    pub description: &'static str,
    /// The schema version that added the entry.
    pub since: SchemaVersion,
}

impl MetricDef {
    /// Whether `label` may be carried by samples of this entry.
    #[must_use]
    pub fn allows_label(&self, label: &str) -> bool {
        self.labels.contains(&label)
    }

    /// The Prometheus sample name: `ispvm_` + the name with dots replaced by underscores
    /// (`device.cpu_pct` -> `ispvm_device_cpu_pct`; counters keep their `_total` suffix).
    #[must_use]
    pub fn prometheus_name(&self) -> String {
        prometheus_name(self.name)
    }

    /// The OpenMetrics metric family name: the Prometheus name without the `_total` suffix for
    /// counters (OpenMetrics adds `_total` to the counter's sample), unchanged otherwise.
    #[must_use]
    pub fn openmetrics_family(&self) -> String {
        let name = self.prometheus_name();
        match (self.kind, name.strip_suffix("_total")) {
            (MetricKind::Counter, Some(family)) => family.to_string(),
            _ => name,
        }
    }
}

macro_rules! def {
    ($name:expr, $kind:ident, $unit:literal, $entity:ident, [$($label:literal),*], $desc:literal) => {
        MetricDef {
            name: $name,
            kind: MetricKind::$kind,
            unit: $unit,
            entity_type: EntityKind::$entity,
            labels: &[$($label),*],
            description: $desc,
            since: SchemaVersion::new(1, 0),
        }
    };
}

/// Every registered metric and event name, in presentation order (by subject).
pub static REGISTRY: &[MetricDef] = &[
    def!(
        names::DEVICE_UP,
        State,
        "bool",
        Device,
        [],
        "1 when the device answers its management protocol (API login succeeded), else 0."
    ),
    def!(
        names::DEVICE_UPTIME_SECONDS,
        Gauge,
        "s",
        Device,
        [],
        "Time since the device booted."
    ),
    def!(
        names::DEVICE_CPU_PCT,
        Gauge,
        "%",
        Device,
        [],
        "CPU load, averaged over all cores, 0 to 100."
    ),
    def!(
        names::DEVICE_MEM_USED_BYTES,
        Gauge,
        "By",
        Device,
        [],
        "Memory in use."
    ),
    def!(
        names::DEVICE_MEM_TOTAL_BYTES,
        Gauge,
        "By",
        Device,
        [],
        "Total memory."
    ),
    def!(
        names::INTERFACE_OPER_UP,
        State,
        "bool",
        Interface,
        ["if_name", "if_type"],
        "1 when the interface is operationally up (running), else 0."
    ),
    def!(
        names::INTERFACE_ADMIN_UP,
        State,
        "bool",
        Interface,
        ["if_name", "if_type"],
        "1 when the interface is administratively enabled, else 0."
    ),
    def!(
        names::INTERFACE_RX_BYTES_TOTAL,
        Counter,
        "By",
        Interface,
        ["if_name", "if_type"],
        "Bytes received since the counter was last reset."
    ),
    def!(
        names::INTERFACE_TX_BYTES_TOTAL,
        Counter,
        "By",
        Interface,
        ["if_name", "if_type"],
        "Bytes sent since the counter was last reset."
    ),
    def!(
        names::INTERFACE_RX_ERRORS_TOTAL,
        Counter,
        "1",
        Interface,
        ["if_name", "if_type"],
        "Receive errors since the counter was last reset."
    ),
    def!(
        names::INTERFACE_TX_ERRORS_TOTAL,
        Counter,
        "1",
        Interface,
        ["if_name", "if_type"],
        "Transmit errors since the counter was last reset."
    ),
    def!(
        names::INTERFACE_UTILIZATION_PCT,
        Gauge,
        "%",
        Interface,
        ["if_name", "direction"],
        "Link utilization in one direction (label direction: rx or tx), 0 to 100, from byte counter rates and link speed."
    ),
    def!(
        names::BGP_PEER_UP,
        State,
        "bool",
        BgpSession,
        ["remote_address", "remote_as", "peer_name"],
        "1 when the BGP session is established, else 0."
    ),
    def!(
        names::BGP_PEER_PREFIXES_IN,
        Gauge,
        "1",
        BgpSession,
        ["remote_address", "remote_as", "peer_name"],
        "Prefixes received from the peer."
    ),
    def!(
        names::OSPF_NEIGHBOR_UP,
        State,
        "bool",
        OspfAdjacency,
        ["router_id", "address", "interface", "state"],
        "1 when the OSPF adjacency is Full, else 0 (label state: the raw neighbour state)."
    ),
    def!(
        names::PPPOE_SESSIONS_ACTIVE,
        Gauge,
        "1",
        PppoeConcentrator,
        [],
        "Active PPPoE sessions on the concentrator."
    ),
    def!(
        names::PPPOE_SESSIONS_BY_PROFILE,
        Gauge,
        "1",
        PppoeConcentrator,
        ["profile"],
        "Active PPPoE sessions per PPP profile."
    ),
    def!(
        names::PPPOE_SESSIONS_CHURN_PER_MIN,
        Gauge,
        "1/min",
        PppoeConcentrator,
        [],
        "Session connects plus disconnects per minute."
    ),
    def!(
        names::PPPOE_SESSIONS_CONNECTS_TOTAL,
        Counter,
        "1",
        PppoeConcentrator,
        [],
        "PPPoE sessions established since the collector started."
    ),
    def!(
        names::PPPOE_SESSIONS_DISCONNECTS_TOTAL,
        Counter,
        "1",
        PppoeConcentrator,
        [],
        "PPPoE sessions ended since the collector started."
    ),
    def!(
        names::RADIUS_REQUESTS_TOTAL,
        Counter,
        "1",
        RadiusServer,
        ["address", "service"],
        "RADIUS requests sent to the server."
    ),
    def!(
        names::RADIUS_ACCEPTS_TOTAL,
        Counter,
        "1",
        RadiusServer,
        ["address", "service"],
        "Access-Accept answers received."
    ),
    def!(
        names::RADIUS_REJECTS_TOTAL,
        Counter,
        "1",
        RadiusServer,
        ["address", "service"],
        "Access-Reject answers received."
    ),
    def!(
        names::RADIUS_TIMEOUTS_TOTAL,
        Counter,
        "1",
        RadiusServer,
        ["address", "service"],
        "Requests that got no answer in time."
    ),
    def!(
        names::RADIUS_UP,
        State,
        "bool",
        RadiusServer,
        ["address"],
        "1 when the RADIUS server answered the last probe, else 0."
    ),
    def!(
        names::RADIUS_RTT_MS,
        Gauge,
        "ms",
        RadiusServer,
        ["address"],
        "Round-trip time of the last RADIUS probe."
    ),
    def!(
        names::PROBE_PING_LOSS_PCT,
        Gauge,
        "%",
        Device,
        ["vantage"],
        "ICMP echo loss towards the device from a vantage point, 0 to 100."
    ),
    def!(
        names::PROBE_PING_RTT_MS,
        Gauge,
        "ms",
        Device,
        ["vantage"],
        "Average ICMP echo round-trip time towards the device from a vantage point."
    ),
    def!(
        names::DEVICE_REACHABLE_CHANGED,
        Event,
        "1",
        Device,
        [],
        "The device became reachable or unreachable (payload: from, to)."
    ),
    def!(
        names::INTERFACE_OPER_CHANGED,
        Event,
        "1",
        Interface,
        ["if_name"],
        "The interface went operationally up or down (payload: from, to)."
    ),
    def!(
        names::BGP_PEER_STATE_CHANGED,
        Event,
        "1",
        BgpSession,
        ["remote_address"],
        "The BGP session changed state (payload: from, to)."
    ),
    def!(
        names::OSPF_NEIGHBOR_STATE_CHANGED,
        Event,
        "1",
        OspfAdjacency,
        ["router_id"],
        "The OSPF adjacency changed state (payload: from, to)."
    ),
    def!(
        names::PPPOE_SESSIONS_DROPPED,
        Event,
        "1",
        PppoeConcentrator,
        [],
        "A significant drop of active PPPoE sessions (payload: before, after)."
    ),
];

fn index() -> &'static HashMap<&'static str, &'static MetricDef> {
    static INDEX: OnceLock<HashMap<&'static str, &'static MetricDef>> = OnceLock::new();
    INDEX.get_or_init(|| REGISTRY.iter().map(|d| (d.name, d)).collect())
}

/// The registry entry of `name`, if it is registered.
///
/// # Examples
/// ```
/// use ispvm_schemas::registry::lookup;
/// assert_eq!(lookup("device.cpu_pct").map(|d| d.unit), Some("%"));
/// assert!(lookup("device.cpu").is_none());
/// ```
#[must_use]
pub fn lookup(name: &str) -> Option<&'static MetricDef> {
    index().get(name).copied()
}

/// Whether `name` follows the naming rules: two or more dot-separated segments, each
/// `lower_snake` (`[a-z][a-z0-9]*` words joined by single underscores).
///
/// # Examples
/// ```
/// use ispvm_schemas::registry::is_valid_name;
/// assert!(is_valid_name("pppoe.sessions.churn_per_min"));
/// assert!(!is_valid_name("Device.CPU"));
/// assert!(!is_valid_name("device..up"));
/// assert!(!is_valid_name("uptime"));
/// ```
#[must_use]
pub fn is_valid_name(name: &str) -> bool {
    let mut segments = 0;
    for segment in name.split('.') {
        if !is_lower_snake(segment) {
            return false;
        }
        segments += 1;
    }
    segments >= 2
}

/// Whether `s` is `lower_snake`: `[a-z][a-z0-9]*` words joined by single underscores.
#[must_use]
pub fn is_lower_snake(s: &str) -> bool {
    !s.is_empty()
        && s.split('_').all(|word| {
            word.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// The Prometheus name of any dotted name: `ispvm_` + the name, with every character outside
/// `[a-zA-Z0-9_]` replaced by `_`.
///
/// # Examples
/// ```
/// use ispvm_schemas::registry::prometheus_name;
/// assert_eq!(prometheus_name("device.cpu_pct"), "ispvm_device_cpu_pct");
/// assert_eq!(prometheus_name("x.a-b"), "ispvm_x_a_b");
/// ```
#[must_use]
pub fn prometheus_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 6);
    out.push_str("ispvm_");
    out.extend(name.chars().map(|c| {
        if c.is_ascii_alphanumeric() || c == '_' {
            c
        } else {
            '_'
        }
    }));
    out
}

/// The registry as a Markdown table (one row per entry, in [`REGISTRY`] order), as printed by
/// `ispvm-schema registry` and embedded in `docs/collected-data.md`.
#[must_use]
pub fn to_markdown() -> String {
    let mut out = String::from(
        "| name | kind | unit | entity type | labels | Prometheus name | since | description |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for d in REGISTRY {
        let labels = d
            .labels
            .iter()
            .map(|l| format!("`{l}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let prom = if d.kind == MetricKind::Event {
            "-".to_string()
        } else {
            format!("`{}`", d.prometheus_name())
        };
        // Writing to a String cannot fail.
        let _ = writeln!(
            out,
            "| `{}` | {} | `{}` | {} | {} | {} | {} | {} |",
            d.name,
            d.kind,
            d.unit,
            d.entity_type,
            labels,
            prom,
            d.since,
            d.description.replace('|', "\\|"),
        );
    }
    out
}

/// The registry as pretty-printed JSON: an array of entries with the fields of [`MetricDef`]
/// (`since` as `"1.0"`).
#[must_use]
pub fn to_json() -> String {
    serde_json::to_string_pretty(REGISTRY).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn name_constants_are_the_registry() {
        let registered: Vec<&str> = REGISTRY.iter().map(|d| d.name).collect();
        assert_eq!(names::ALL, registered.as_slice());
    }

    /// The binding table agreed with the routeros and pppoe engineers.
    const AGREED: &[(&str, &str, &str, &str, &[&str])] = &[
        ("device.up", "state", "bool", "device", &[]),
        ("device.uptime_seconds", "gauge", "s", "device", &[]),
        ("device.cpu_pct", "gauge", "%", "device", &[]),
        ("device.mem_used_bytes", "gauge", "By", "device", &[]),
        ("device.mem_total_bytes", "gauge", "By", "device", &[]),
        (
            "interface.oper_up",
            "state",
            "bool",
            "interface",
            &["if_name", "if_type"],
        ),
        (
            "interface.admin_up",
            "state",
            "bool",
            "interface",
            &["if_name", "if_type"],
        ),
        (
            "interface.rx_bytes_total",
            "counter",
            "By",
            "interface",
            &["if_name", "if_type"],
        ),
        (
            "interface.tx_bytes_total",
            "counter",
            "By",
            "interface",
            &["if_name", "if_type"],
        ),
        (
            "interface.rx_errors_total",
            "counter",
            "1",
            "interface",
            &["if_name", "if_type"],
        ),
        (
            "interface.tx_errors_total",
            "counter",
            "1",
            "interface",
            &["if_name", "if_type"],
        ),
        (
            "interface.utilization_pct",
            "gauge",
            "%",
            "interface",
            &["if_name", "direction"],
        ),
        (
            "bgp.peer.up",
            "state",
            "bool",
            "bgp_session",
            &["remote_address", "remote_as", "peer_name"],
        ),
        (
            "bgp.peer.prefixes_in",
            "gauge",
            "1",
            "bgp_session",
            &["remote_address", "remote_as", "peer_name"],
        ),
        (
            "ospf.neighbor.up",
            "state",
            "bool",
            "ospf_adjacency",
            &["router_id", "address", "interface", "state"],
        ),
        (
            "pppoe.sessions.active",
            "gauge",
            "1",
            "pppoe_concentrator",
            &[],
        ),
        (
            "pppoe.sessions.by_profile",
            "gauge",
            "1",
            "pppoe_concentrator",
            &["profile"],
        ),
        (
            "pppoe.sessions.churn_per_min",
            "gauge",
            "1/min",
            "pppoe_concentrator",
            &[],
        ),
        (
            "pppoe.sessions.connects_total",
            "counter",
            "1",
            "pppoe_concentrator",
            &[],
        ),
        (
            "pppoe.sessions.disconnects_total",
            "counter",
            "1",
            "pppoe_concentrator",
            &[],
        ),
        (
            "radius.requests_total",
            "counter",
            "1",
            "radius_server",
            &["address", "service"],
        ),
        (
            "radius.accepts_total",
            "counter",
            "1",
            "radius_server",
            &["address", "service"],
        ),
        (
            "radius.rejects_total",
            "counter",
            "1",
            "radius_server",
            &["address", "service"],
        ),
        (
            "radius.timeouts_total",
            "counter",
            "1",
            "radius_server",
            &["address", "service"],
        ),
        ("radius.up", "state", "bool", "radius_server", &["address"]),
        (
            "radius.rtt_ms",
            "gauge",
            "ms",
            "radius_server",
            &["address"],
        ),
        ("probe.ping.loss_pct", "gauge", "%", "device", &["vantage"]),
        ("probe.ping.rtt_ms", "gauge", "ms", "device", &["vantage"]),
        ("device.reachable.changed", "event", "1", "device", &[]),
        (
            "interface.oper.changed",
            "event",
            "1",
            "interface",
            &["if_name"],
        ),
        (
            "bgp.peer.state.changed",
            "event",
            "1",
            "bgp_session",
            &["remote_address"],
        ),
        (
            "ospf.neighbor.state.changed",
            "event",
            "1",
            "ospf_adjacency",
            &["router_id"],
        ),
        (
            "pppoe.sessions.dropped",
            "event",
            "1",
            "pppoe_concentrator",
            &[],
        ),
    ];

    #[test]
    fn registry_is_exactly_the_agreed_table() {
        let actual: Vec<_> = REGISTRY
            .iter()
            .map(|d| {
                (
                    d.name,
                    d.kind.as_str(),
                    d.unit,
                    d.entity_type.as_str(),
                    d.labels,
                )
            })
            .collect();
        assert_eq!(actual, AGREED);
    }

    #[test]
    fn naming_rules() {
        let mut seen = HashSet::new();
        for d in REGISTRY {
            assert!(
                is_valid_name(d.name),
                "{} is not dotted lower_snake",
                d.name
            );
            assert!(seen.insert(d.name), "duplicate {}", d.name);
            assert_eq!(
                d.kind == MetricKind::Counter,
                d.name.ends_with("_total"),
                "{}: counters, and only counters, end in _total",
                d.name
            );
            assert_eq!(d.kind == MetricKind::State, d.unit == "bool", "{}", d.name);
            assert!(
                ["bool", "s", "ms", "%", "By", "1", "1/min"].contains(&d.unit),
                "{}: unit {} is not one of the agreed UCUM units",
                d.name,
                d.unit
            );
            let mut labels = HashSet::new();
            for l in d.labels {
                assert!(is_lower_snake(l), "{}: label {l}", d.name);
                assert!(labels.insert(l), "{}: duplicate label {l}", d.name);
            }
            assert!(
                !d.description.is_empty() && d.description.ends_with('.'),
                "{}",
                d.name
            );
            assert_eq!(lookup(d.name), Some(d));
            assert_eq!(d.since, SchemaVersion::new(1, 0));
        }
        // Prometheus names are unique too (dots and underscores could collide).
        let prom: HashSet<_> = REGISTRY.iter().map(MetricDef::prometheus_name).collect();
        assert_eq!(prom.len(), REGISTRY.len());
    }

    #[test]
    fn name_validation() {
        for good in ["a.b", "device.cpu_pct", "a1.b2_c3.d"] {
            assert!(is_valid_name(good), "{good}");
        }
        for bad in [
            "", "a", ".a", "a.", "a..b", "A.b", "a.b_", "a._b", "a.b__c", "a.1b", "a.b-c", "a.b c",
            "a.é",
        ] {
            assert!(!is_valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn prometheus_and_openmetrics_names() {
        let name = |n: &str| lookup(n).unwrap();
        assert_eq!(
            name("device.cpu_pct").prometheus_name(),
            "ispvm_device_cpu_pct"
        );
        assert_eq!(
            name("device.cpu_pct").openmetrics_family(),
            "ispvm_device_cpu_pct"
        );
        assert_eq!(name("bgp.peer.up").prometheus_name(), "ispvm_bgp_peer_up");
        assert_eq!(
            name("radius.timeouts_total").prometheus_name(),
            "ispvm_radius_timeouts_total"
        );
        assert_eq!(
            name("radius.timeouts_total").openmetrics_family(),
            "ispvm_radius_timeouts"
        );
        assert_eq!(MetricKind::Counter.openmetrics_type(), Some("counter"));
        assert_eq!(MetricKind::State.openmetrics_type(), Some("gauge"));
        assert_eq!(MetricKind::Event.openmetrics_type(), None);
        for d in REGISTRY {
            let p = d.prometheus_name();
            assert!(
                p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{p}"
            );
        }
    }

    #[test]
    fn renderings() {
        let md = to_markdown();
        assert_eq!(md.lines().count(), REGISTRY.len() + 2);
        assert!(md.contains(
            "| `interface.rx_bytes_total` | counter | `By` | interface | `if_name`, `if_type` | `ispvm_interface_rx_bytes_total` | 1.0 | Bytes received since the counter was last reset. |"
        ), "{md}");
        assert!(md.contains(
            "| `pppoe.sessions.dropped` | event | `1` | pppoe_concentrator |  | - | 1.0 |"
        ));
        let json: serde_json::Value = serde_json::from_str(&to_json()).unwrap();
        assert_eq!(json.as_array().map(Vec::len), Some(REGISTRY.len()));
        assert_eq!(
            json[2],
            serde_json::json!({"name": "device.cpu_pct", "kind": "gauge", "unit": "%",
                "entity_type": "device", "labels": [], "since": "1.0",
                "description": "CPU load, averaged over all cores, 0 to 100."})
        );
    }
}
