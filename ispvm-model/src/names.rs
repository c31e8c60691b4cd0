//! Canonical metric and event names: one constant per entry of the registry.
//!
//! Every crate names its samples, events and observations with these constants instead of
//! string literals, so a typo is a compile error and a rename is one edit. The registry
//! (`ispvm_schemas::registry`) builds its entries from the same constants and adds kind, unit,
//! entity type and allowed labels; a test there checks that both list the same names.
//!
//! # Examples
//! ```
//! use ispvm_model::{names, EntityKind, Sample, SampleValue};
//!
//! let s = Sample::new(
//!     "2026-01-01T00:00:00Z".parse()?,
//!     names::PPPOE_SESSIONS_ACTIVE,
//!     EntityKind::PppoeConcentrator,
//!     "bras1".parse()?,
//!     SampleValue::Num(3200.0),
//!     "1",
//!     "routeros_api",
//! );
//! assert_eq!(s.metric_name, "pppoe.sessions.active");
//! assert!(names::ALL.contains(&names::PPPOE_SESSIONS_ACTIVE));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

/// `device.up` (state): 1 when the device answers its management protocol (API login succeeded), else 0.
pub const DEVICE_UP: &str = "device.up";

/// `device.uptime_seconds` (gauge): Time since the device booted.
pub const DEVICE_UPTIME_SECONDS: &str = "device.uptime_seconds";

/// `device.cpu_pct` (gauge): CPU load, averaged over all cores, 0 to 100.
pub const DEVICE_CPU_PCT: &str = "device.cpu_pct";

/// `device.mem_used_bytes` (gauge): Memory in use.
pub const DEVICE_MEM_USED_BYTES: &str = "device.mem_used_bytes";

/// `device.mem_total_bytes` (gauge): Total memory.
pub const DEVICE_MEM_TOTAL_BYTES: &str = "device.mem_total_bytes";

/// `interface.oper_up` (state): 1 when the interface is operationally up (running), else 0.
pub const INTERFACE_OPER_UP: &str = "interface.oper_up";

/// `interface.admin_up` (state): 1 when the interface is administratively enabled, else 0.
pub const INTERFACE_ADMIN_UP: &str = "interface.admin_up";

/// `interface.rx_bytes_total` (counter): Bytes received since the counter was last reset.
pub const INTERFACE_RX_BYTES_TOTAL: &str = "interface.rx_bytes_total";

/// `interface.tx_bytes_total` (counter): Bytes sent since the counter was last reset.
pub const INTERFACE_TX_BYTES_TOTAL: &str = "interface.tx_bytes_total";

/// `interface.rx_errors_total` (counter): Receive errors since the counter was last reset.
pub const INTERFACE_RX_ERRORS_TOTAL: &str = "interface.rx_errors_total";

/// `interface.tx_errors_total` (counter): Transmit errors since the counter was last reset.
pub const INTERFACE_TX_ERRORS_TOTAL: &str = "interface.tx_errors_total";

/// `interface.utilization_pct` (gauge): Link utilization in one direction (label direction: rx or tx), 0 to 100, from byte counter rates and link speed.
pub const INTERFACE_UTILIZATION_PCT: &str = "interface.utilization_pct";

/// `bgp.peer.up` (state): 1 when the BGP session is established, else 0.
pub const BGP_PEER_UP: &str = "bgp.peer.up";

/// `bgp.peer.prefixes_in` (gauge): Prefixes received from the peer.
pub const BGP_PEER_PREFIXES_IN: &str = "bgp.peer.prefixes_in";

/// `ospf.neighbor.up` (state): 1 when the OSPF adjacency is Full, else 0 (label state: the raw neighbour state).
pub const OSPF_NEIGHBOR_UP: &str = "ospf.neighbor.up";

/// `pppoe.sessions.active` (gauge): Active PPPoE sessions on the concentrator.
pub const PPPOE_SESSIONS_ACTIVE: &str = "pppoe.sessions.active";

/// `pppoe.sessions.by_profile` (gauge): Active PPPoE sessions per PPP profile.
pub const PPPOE_SESSIONS_BY_PROFILE: &str = "pppoe.sessions.by_profile";

/// `pppoe.sessions.churn_per_min` (gauge): Session connects plus disconnects per minute.
pub const PPPOE_SESSIONS_CHURN_PER_MIN: &str = "pppoe.sessions.churn_per_min";

/// `pppoe.sessions.connects_total` (counter): PPPoE sessions established since the collector started.
pub const PPPOE_SESSIONS_CONNECTS_TOTAL: &str = "pppoe.sessions.connects_total";

/// `pppoe.sessions.disconnects_total` (counter): PPPoE sessions ended since the collector started.
pub const PPPOE_SESSIONS_DISCONNECTS_TOTAL: &str = "pppoe.sessions.disconnects_total";

/// `radius.requests_total` (counter): RADIUS requests sent to the server.
pub const RADIUS_REQUESTS_TOTAL: &str = "radius.requests_total";

/// `radius.accepts_total` (counter): Access-Accept answers received.
pub const RADIUS_ACCEPTS_TOTAL: &str = "radius.accepts_total";

/// `radius.rejects_total` (counter): Access-Reject answers received.
pub const RADIUS_REJECTS_TOTAL: &str = "radius.rejects_total";

/// `radius.timeouts_total` (counter): Requests that got no answer in time.
pub const RADIUS_TIMEOUTS_TOTAL: &str = "radius.timeouts_total";

/// `radius.up` (state): 1 when the RADIUS server answered the last probe, else 0.
pub const RADIUS_UP: &str = "radius.up";

/// `radius.rtt_ms` (gauge): Round-trip time of the last RADIUS probe.
pub const RADIUS_RTT_MS: &str = "radius.rtt_ms";

/// `probe.ping.loss_pct` (gauge): ICMP echo loss towards the device from a vantage point, 0 to 100.
pub const PROBE_PING_LOSS_PCT: &str = "probe.ping.loss_pct";

/// `probe.ping.rtt_ms` (gauge): Average ICMP echo round-trip time towards the device from a vantage point.
pub const PROBE_PING_RTT_MS: &str = "probe.ping.rtt_ms";

/// `device.reachable.changed` (event): The device became reachable or unreachable (payload: from, to).
pub const DEVICE_REACHABLE_CHANGED: &str = "device.reachable.changed";

/// `interface.oper.changed` (event): The interface went operationally up or down (payload: from, to).
pub const INTERFACE_OPER_CHANGED: &str = "interface.oper.changed";

/// `bgp.peer.state.changed` (event): The BGP session changed state (payload: from, to).
pub const BGP_PEER_STATE_CHANGED: &str = "bgp.peer.state.changed";

/// `ospf.neighbor.state.changed` (event): The OSPF adjacency changed state (payload: from, to).
pub const OSPF_NEIGHBOR_STATE_CHANGED: &str = "ospf.neighbor.state.changed";

/// `pppoe.sessions.dropped` (event): A significant drop of active PPPoE sessions (payload: before, after).
pub const PPPOE_SESSIONS_DROPPED: &str = "pppoe.sessions.dropped";

/// Every name above, in registry order.
pub const ALL: &[&str] = &[
    DEVICE_UP,
    DEVICE_UPTIME_SECONDS,
    DEVICE_CPU_PCT,
    DEVICE_MEM_USED_BYTES,
    DEVICE_MEM_TOTAL_BYTES,
    INTERFACE_OPER_UP,
    INTERFACE_ADMIN_UP,
    INTERFACE_RX_BYTES_TOTAL,
    INTERFACE_TX_BYTES_TOTAL,
    INTERFACE_RX_ERRORS_TOTAL,
    INTERFACE_TX_ERRORS_TOTAL,
    INTERFACE_UTILIZATION_PCT,
    BGP_PEER_UP,
    BGP_PEER_PREFIXES_IN,
    OSPF_NEIGHBOR_UP,
    PPPOE_SESSIONS_ACTIVE,
    PPPOE_SESSIONS_BY_PROFILE,
    PPPOE_SESSIONS_CHURN_PER_MIN,
    PPPOE_SESSIONS_CONNECTS_TOTAL,
    PPPOE_SESSIONS_DISCONNECTS_TOTAL,
    RADIUS_REQUESTS_TOTAL,
    RADIUS_ACCEPTS_TOTAL,
    RADIUS_REJECTS_TOTAL,
    RADIUS_TIMEOUTS_TOTAL,
    RADIUS_UP,
    RADIUS_RTT_MS,
    PROBE_PING_LOSS_PCT,
    PROBE_PING_RTT_MS,
    DEVICE_REACHABLE_CHANGED,
    INTERFACE_OPER_CHANGED,
    BGP_PEER_STATE_CHANGED,
    OSPF_NEIGHBOR_STATE_CHANGED,
    PPPOE_SESSIONS_DROPPED,
];
