//! The simulated router's state ([`SimState`], serde) and the menus it serves.

use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// How the simulator encodes text on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum TextEncoding {
    /// UTF-8 (RouterOS 7 with UTF-8 names).
    #[default]
    Utf8,
    /// Windows-1252 (Latin-1 subset): what many real routers send for comments and names.
    /// Characters outside it become `?`.
    Windows1252,
}

/// One interface.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct SimInterface {
    /// Name (`ether1`, `sfp-sfpplus1`, `vlan100`...).
    pub name: String,
    /// Type (`ether`, `vlan`, `bridge`, `pppoe-in`...).
    #[serde(rename = "type")]
    pub if_type: String,
    /// Link up.
    pub running: bool,
    /// Administratively disabled.
    pub disabled: bool,
    /// Comment.
    pub comment: Option<String>,
    /// Received bytes at the start of the simulation.
    pub rx_byte: u64,
    /// Sent bytes at the start of the simulation.
    pub tx_byte: u64,
    /// Receive errors.
    pub rx_error: u64,
    /// Transmit errors.
    pub tx_error: u64,
    /// Receive rate in bits per second while running (counters advance with time).
    pub rx_bps: u64,
    /// Transmit rate in bits per second while running.
    pub tx_bps: u64,
    /// Link speed in bits per second (informational).
    pub speed_bps: u64,
}

impl Default for SimInterface {
    fn default() -> Self {
        Self {
            name: String::new(),
            if_type: "ether".into(),
            running: true,
            disabled: false,
            comment: None,
            rx_byte: 0,
            tx_byte: 0,
            rx_error: 0,
            tx_error: 0,
            rx_bps: 0,
            tx_bps: 0,
            speed_bps: 1_000_000_000,
        }
    }
}

impl SimInterface {
    /// A running interface of the given name and type.
    #[must_use]
    pub fn new(name: impl Into<String>, if_type: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            if_type: if_type.into(),
            ..Self::default()
        }
    }
    /// Sets traffic rates (bits per second) and link speed.
    #[must_use]
    pub fn with_traffic(mut self, rx_bps: u64, tx_bps: u64, speed_bps: u64) -> Self {
        self.rx_bps = rx_bps;
        self.tx_bps = tx_bps;
        self.speed_bps = speed_bps;
        self
    }
    /// Sets the comment.
    #[must_use]
    pub fn with_comment(mut self, c: impl Into<String>) -> Self {
        self.comment = Some(c.into());
        self
    }
}

/// PPPoE service of the router.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct SimPppoe {
    /// Interfaces with a PPPoE server (empty: not a concentrator).
    pub servers: Vec<String>,
    /// Active PPPoE sessions (generated deterministically: `sub000001`...).
    pub sessions: u32,
    /// Other active PPP sessions (L2TP), to exercise `?service=pppoe` queries.
    pub other_sessions: u32,
    /// PPPoE sessions that have disconnected so far through [`SimPppoe::churn`]: the active
    /// PPPoE sessions are numbers `disconnected + 1 ..= disconnected + sessions` (`.id`
    /// `*8000…` plus the number, name `sub` plus the number), the L2TP ones follow them.
    pub disconnected: u64,
}

impl SimPppoe {
    /// Session churn: the `disconnect` oldest active PPPoE sessions leave (at most all of
    /// them), then `connect` new ones arrive with numbers (hence `.id`, name, caller id,
    /// address, session id) that no earlier session of this router had. Deterministic;
    /// returns how many sessions actually disconnected.
    ///
    /// Numbers stay fresh as long as the count only changes through `churn`: lowering
    /// [`SimPppoe::sessions`] directly cuts the newest sessions, and raising it again brings
    /// their numbers back (the simple model the other setters keep).
    ///
    /// # Examples
    /// ```
    /// use ispvm_routeros::sim::SimState;
    /// let mut bras = SimState::concentrator("bras1", 100);
    /// // Sessions 1..=100 are active; 30 leave, 5 arrive: 31..=105.
    /// assert_eq!(bras.pppoe.churn(30, 5), 30);
    /// assert_eq!((bras.pppoe.sessions, bras.pppoe.first_session()), (75, 31));
    /// assert_eq!(bras.pppoe.churn(500, 0), 75); // nobody left to disconnect
    /// assert_eq!((bras.pppoe.sessions, bras.pppoe.first_session()), (0, 106));
    /// ```
    pub fn churn(&mut self, disconnect: u32, connect: u32) -> u32 {
        let gone = disconnect.min(self.sessions);
        self.disconnected = self.disconnected.saturating_add(u64::from(gone));
        self.sessions = (self.sessions - gone).saturating_add(connect);
        gone
    }

    /// The number of the oldest active PPPoE session (`*8000…` plus it is its `.id`).
    #[must_use]
    pub fn first_session(&self) -> u64 {
        self.disconnected.saturating_add(1)
    }
}

/// A BGP peer (served as `/routing/bgp/session` on v7, `/routing/bgp/peer` on v6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct SimBgpPeer {
    /// Peer name.
    pub name: String,
    /// Remote address.
    pub remote_address: String,
    /// Remote AS.
    pub remote_as: u32,
    /// Established.
    pub established: bool,
    /// Prefixes received while established.
    pub prefix_count: u64,
}

impl Default for SimBgpPeer {
    fn default() -> Self {
        Self {
            name: String::new(),
            remote_address: String::new(),
            remote_as: 65000,
            established: true,
            prefix_count: 0,
        }
    }
}

impl SimBgpPeer {
    /// An established peer.
    #[must_use]
    pub fn new(
        name: impl Into<String>,
        remote_address: impl Into<String>,
        remote_as: u32,
        prefixes: u64,
    ) -> Self {
        Self {
            name: name.into(),
            remote_address: remote_address.into(),
            remote_as,
            established: true,
            prefix_count: prefixes,
        }
    }
}

/// An OSPF neighbour.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct SimOspfNeighbor {
    /// Router id.
    pub router_id: String,
    /// Neighbour address.
    pub address: String,
    /// Local interface.
    pub interface: String,
    /// State (`Full`, `Init`, `2-Way`, `Down`...).
    pub state: String,
}

impl SimOspfNeighbor {
    /// A `Full` neighbour.
    #[must_use]
    pub fn full(
        router_id: impl Into<String>,
        address: impl Into<String>,
        interface: impl Into<String>,
    ) -> Self {
        Self {
            router_id: router_id.into(),
            address: address.into(),
            interface: interface.into(),
            state: "Full".into(),
        }
    }
}

/// A RADIUS client entry and its counters (`/radius`, `/radius/monitor`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct SimRadius {
    /// Server address.
    pub address: String,
    /// Services (`ppp`, `login`, `hotspot`...), comma-separated.
    pub service: String,
    /// Requests sent.
    pub requests: u64,
    /// Accepts received.
    pub accepts: u64,
    /// Rejects received.
    pub rejects: u64,
    /// Requests that timed out.
    pub timeouts: u64,
}

impl Default for SimRadius {
    fn default() -> Self {
        Self {
            address: String::new(),
            service: "ppp".into(),
            requests: 0,
            accepts: 0,
            rejects: 0,
            timeouts: 0,
        }
    }
}

impl SimRadius {
    /// A server with healthy counters.
    #[must_use]
    pub fn new(address: impl Into<String>, requests: u64) -> Self {
        Self {
            address: address.into(),
            requests,
            accepts: requests - requests / 50,
            rejects: requests / 50,
            ..Self::default()
        }
    }
}

/// Everything one simulated router serves. Loadable from JSON ([`SimState::from_json_file`]),
/// changeable at run time through [`SimHandle::update`](super::SimHandle::update).
///
/// # Examples
/// ```
/// use ispvm_routeros::sim::SimState;
/// let agg = SimState::default_aggregation();
/// assert_eq!(agg.identity, "agg1");
/// assert!(agg.pppoe.sessions > 0);
/// let bras = SimState::concentrator("bras1", 3200);
/// assert_eq!(bras.pppoe.sessions, 3200);
/// let json = serde_json::to_string(&agg)?;
/// assert_eq!(SimState::from_json(&json)?, agg);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct SimState {
    /// `/system/identity` name.
    pub identity: String,
    /// RouterOS version (`7.18.2`, `6.49.10`, `6.42`...): chooses menus, login and `!empty`.
    pub version: String,
    /// Board name.
    pub board_name: String,
    /// Uptime at the start of the simulation (it advances with time).
    pub uptime_seconds: u64,
    /// CPU load in percent.
    pub cpu_load: u8,
    /// Total memory in bytes.
    pub total_memory: u64,
    /// Free memory in bytes.
    pub free_memory: u64,
    /// Text encoding on the wire.
    pub text_encoding: TextEncoding,
    /// Interfaces.
    pub interfaces: Vec<SimInterface>,
    /// PPPoE service.
    pub pppoe: SimPppoe,
    /// BGP peers.
    pub bgp_peers: Vec<SimBgpPeer>,
    /// OSPF neighbours.
    pub ospf_neighbors: Vec<SimOspfNeighbor>,
    /// RADIUS servers.
    pub radius: Vec<SimRadius>,
    /// Menus answered as unknown paths (e.g. `/routing/ospf`, `/radius`).
    pub missing_menus: Vec<String>,
}

impl Default for SimState {
    fn default() -> Self {
        Self::default_aggregation()
    }
}

/// Why a state file could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// The file could not be read.
    #[error("cannot read {path}: {reason}")]
    Io {
        /// The path.
        path: String,
        /// Why.
        reason: String,
    },
    /// The JSON is invalid.
    #[error("invalid simulator state: {0}")]
    Json(String),
}

impl SimState {
    fn base(identity: &str, board: &str) -> Self {
        Self {
            identity: identity.into(),
            version: "7.18.2".into(),
            board_name: board.into(),
            uptime_seconds: 3 * 604_800 + 2 * 86_400 + 5 * 3600 + 17 * 60 + 9,
            cpu_load: 12,
            total_memory: 1 << 30,
            free_memory: 700 << 20,
            text_encoding: TextEncoding::Utf8,
            interfaces: Vec::new(),
            pppoe: SimPppoe::default(),
            bgp_peers: Vec::new(),
            ospf_neighbors: Vec::new(),
            radius: Vec::new(),
            missing_menus: Vec::new(),
        }
    }

    /// A believable aggregation router `agg1`: two ring uplinks and two access downlinks
    /// with OSPF, an iBGP session pair to the cores, a PPPoE server with 1,200 sessions and
    /// a RADIUS server.
    #[must_use]
    pub fn default_aggregation() -> Self {
        Self::aggregation("agg1")
    }

    /// An aggregation router named `identity` (see [`SimState::default_aggregation`]).
    #[must_use]
    pub fn aggregation(identity: &str) -> Self {
        let mut s = Self::base(identity, "CCR2004-16G-2S+");
        s.interfaces = vec![
            SimInterface::new("sfp-sfpplus1", "ether")
                .with_traffic(2_400_000_000, 900_000_000, 10_000_000_000)
                .with_comment("ring east"),
            SimInterface::new("sfp-sfpplus2", "ether")
                .with_traffic(1_900_000_000, 700_000_000, 10_000_000_000)
                .with_comment("ring west"),
            SimInterface::new("ether1", "ether").with_traffic(
                300_000_000,
                800_000_000,
                1_000_000_000,
            ),
            SimInterface::new("ether2", "ether").with_traffic(
                250_000_000,
                600_000_000,
                1_000_000_000,
            ),
            SimInterface::new("vlan100", "vlan").with_traffic(
                500_000_000,
                1_300_000_000,
                10_000_000_000,
            ),
            SimInterface::new("lo", "loopback"),
        ];
        for (i, ifc) in s.interfaces.iter_mut().enumerate() {
            ifc.rx_byte = 9_000_000_000_000 / (i as u64 + 1);
            ifc.tx_byte = 4_000_000_000_000 / (i as u64 + 1);
        }
        s.ospf_neighbors = vec![
            SimOspfNeighbor::full("10.255.0.1", "10.0.1.1", "sfp-sfpplus1"),
            SimOspfNeighbor::full("10.255.0.2", "10.0.2.1", "sfp-sfpplus2"),
        ];
        s.bgp_peers = vec![
            SimBgpPeer::new("core1", "10.255.0.1", 65000, 912_345),
            SimBgpPeer::new("core2", "10.255.0.2", 65000, 912_301),
        ];
        s.pppoe = SimPppoe {
            servers: vec!["vlan100".into()],
            sessions: 1200,
            other_sessions: 12,
            disconnected: 0,
        };
        s.radius = vec![SimRadius::new("10.0.0.10", 48_210)];
        s
    }

    /// A core router: uplinks to transits over eBGP, OSPF to the aggregation ring.
    #[must_use]
    pub fn core(identity: &str) -> Self {
        let mut s = Self::base(identity, "CCR2216-1G-12XS-2XQ");
        s.cpu_load = 21;
        s.total_memory = 16 << 30;
        s.free_memory = 11 << 30;
        s.interfaces = vec![
            SimInterface::new("qsfp28-1-1", "ether").with_traffic(
                40_000_000_000,
                12_000_000_000,
                100_000_000_000,
            ),
            SimInterface::new("qsfp28-2-1", "ether").with_traffic(
                35_000_000_000,
                10_000_000_000,
                100_000_000_000,
            ),
            SimInterface::new("sfp28-1", "ether").with_traffic(
                6_000_000_000,
                15_000_000_000,
                25_000_000_000,
            ),
            SimInterface::new("sfp28-2", "ether").with_traffic(
                5_000_000_000,
                14_000_000_000,
                25_000_000_000,
            ),
            SimInterface::new("lo", "loopback"),
        ];
        s.bgp_peers = vec![
            SimBgpPeer::new("transit-a", "198.51.100.1", 64496, 987_654),
            SimBgpPeer::new("transit-b", "203.0.113.1", 64497, 986_001),
            SimBgpPeer::new("ix-rs1", "192.0.2.250", 64498, 154_321),
        ];
        s.ospf_neighbors = vec![
            SimOspfNeighbor::full("10.255.1.1", "10.0.1.2", "sfp28-1"),
            SimOspfNeighbor::full("10.255.1.2", "10.0.2.2", "sfp28-2"),
        ];
        s
    }

    /// An access switch/router: two uplinks (dual-homed), customer ports, no routing state.
    #[must_use]
    pub fn access(identity: &str) -> Self {
        let mut s = Self::base(identity, "CRS326-24G-2S+");
        s.cpu_load = 4;
        s.total_memory = 512 << 20;
        s.free_memory = 410 << 20;
        s.interfaces = vec![
            SimInterface::new("sfp-sfpplus1", "ether").with_traffic(
                600_000_000,
                150_000_000,
                10_000_000_000,
            ),
            SimInterface::new("sfp-sfpplus2", "ether").with_traffic(
                500_000_000,
                120_000_000,
                10_000_000_000,
            ),
            SimInterface::new("ether1", "ether").with_traffic(
                20_000_000,
                90_000_000,
                1_000_000_000,
            ),
            SimInterface::new("bridge1", "bridge").with_traffic(
                1_100_000_000,
                270_000_000,
                10_000_000_000,
            ),
        ];
        s
    }

    /// A PPPoE concentrator (BRAS) with `sessions` active PPPoE sessions and a RADIUS server.
    #[must_use]
    pub fn concentrator(identity: &str, sessions: u32) -> Self {
        let mut s = Self::base(identity, "CCR1072-1G-8S+");
        s.cpu_load = 27;
        s.interfaces = vec![
            SimInterface::new("sfp1", "ether").with_traffic(
                3_000_000_000,
                800_000_000,
                10_000_000_000,
            ),
            SimInterface::new("sfp2", "ether").with_traffic(
                2_000_000_000,
                500_000_000,
                10_000_000_000,
            ),
            SimInterface::new("vlan200", "vlan").with_traffic(
                1_200_000_000,
                4_800_000_000,
                10_000_000_000,
            ),
        ];
        s.pppoe = SimPppoe {
            servers: vec!["vlan200".into()],
            sessions,
            other_sessions: 0,
            disconnected: 0,
        };
        s.radius = vec![SimRadius::new("10.0.0.10", u64::from(sessions) * 12)];
        s.ospf_neighbors = vec![SimOspfNeighbor::full("10.255.0.1", "10.0.9.1", "sfp1")];
        s
    }

    /// Sets the RouterOS version (`6.49.10`, `6.42`, `7.18.2`...).
    #[must_use]
    pub fn with_version(mut self, v: impl Into<String>) -> Self {
        self.version = v.into();
        self
    }

    /// Parses a state from JSON (missing fields take the aggregation router's values).
    ///
    /// # Errors
    /// [`StateError::Json`] with serde's message (line and column).
    pub fn from_json(json: &str) -> Result<Self, StateError> {
        serde_json::from_str(json).map_err(|e| StateError::Json(e.to_string()))
    }

    /// Loads a state from a JSON file.
    ///
    /// # Errors
    /// [`StateError`] when the file cannot be read or parsed.
    pub fn from_json_file(path: &Path) -> Result<Self, StateError> {
        let text = std::fs::read_to_string(path).map_err(|e| StateError::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Self::from_json(&text)
    }

    /// Finds an interface by name.
    pub fn interface_mut(&mut self, name: &str) -> Option<&mut SimInterface> {
        self.interfaces.iter_mut().find(|i| i.name == name)
    }

    /// Finds a BGP peer by remote address.
    pub fn bgp_peer_mut(&mut self, remote_address: &str) -> Option<&mut SimBgpPeer> {
        self.bgp_peers
            .iter_mut()
            .find(|p| p.remote_address == remote_address)
    }

    fn encode_text(&self, s: &str) -> Vec<u8> {
        match self.text_encoding {
            TextEncoding::Utf8 => s.as_bytes().to_vec(),
            TextEncoding::Windows1252 => s
                .chars()
                .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
                .collect(),
        }
    }
}

/// One row of a menu: (property, value bytes).
pub(crate) type Row = Vec<(&'static str, Vec<u8>)>;

fn fmt_duration(mut secs: u64) -> String {
    let mut out = String::new();
    for (unit, n) in [("w", 604_800), ("d", 86_400), ("h", 3600), ("m", 60)] {
        if secs >= n {
            let _ = write!(out, "{}{unit}", secs / n);
            secs %= n;
        }
    }
    if secs > 0 || out.is_empty() {
        let _ = write!(out, "{secs}s");
    }
    out
}

fn t(s: impl ToString) -> Vec<u8> {
    s.to_string().into_bytes()
}

fn yes(b: bool) -> Vec<u8> {
    if b {
        b"true".to_vec()
    } else {
        b"false".to_vec()
    }
}

/// Menus the simulator knows, by version.
pub(crate) fn menu_exists(state: &SimState, v7: bool, menu: &str) -> bool {
    if state
        .missing_menus
        .iter()
        .any(|m| menu == m || menu.starts_with(&format!("{m}/")))
    {
        return false;
    }
    matches!(
        menu,
        "/system/identity"
            | "/system/resource"
            | "/interface"
            | "/interface/pppoe-server/server"
            | "/ppp/active"
            | "/routing/ospf/neighbor"
            | "/radius"
    ) || (v7 && menu == "/routing/bgp/session")
        || (!v7 && menu == "/routing/bgp/peer")
}

/// Generates the rows of a menu. `elapsed` advances uptime and counters.
pub(crate) fn menu_rows(
    state: &SimState,
    v7: bool,
    menu: &str,
    elapsed_secs: u64,
    stats: bool,
) -> Vec<Row> {
    let id = |i: usize| format!("*{:X}", i + 1).into_bytes();
    match menu {
        "/system/identity" => vec![vec![("name", state.encode_text(&state.identity))]],
        "/system/resource" => {
            let build = if v7 {
                "2025-02-11 11:08:32"
            } else {
                "jun/26/2023 10:12:13"
            };
            vec![vec![
                (
                    "uptime",
                    t(fmt_duration(state.uptime_seconds + elapsed_secs)),
                ),
                ("version", t(format!("{} (stable)", state.version))),
                ("build-time", t(build)),
                ("free-memory", t(state.free_memory)),
                ("total-memory", t(state.total_memory)),
                ("cpu", t("ARM64")),
                ("cpu-count", t(4)),
                ("cpu-frequency", t(1700)),
                ("cpu-load", t(state.cpu_load)),
                ("free-hdd-space", t(80_000_000u64)),
                ("total-hdd-space", t(128_000_000u64)),
                ("architecture-name", t("arm64")),
                ("board-name", state.encode_text(&state.board_name)),
                ("platform", t("MikroTik")),
            ]]
        }
        "/interface" => state
            .interfaces
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let live = f.running && !f.disabled;
                let adv = |base: u64, bps: u64| {
                    if live {
                        base + bps / 8 * elapsed_secs
                    } else {
                        base
                    }
                };
                let mut r: Row = vec![
                    (".id", id(i)),
                    ("name", state.encode_text(&f.name)),
                    ("type", state.encode_text(&f.if_type)),
                    ("mtu", t(1500)),
                    ("actual-mtu", t(1500)),
                    ("rx-byte", t(adv(f.rx_byte, f.rx_bps))),
                    ("tx-byte", t(adv(f.tx_byte, f.tx_bps))),
                    ("rx-error", t(f.rx_error)),
                    ("tx-error", t(f.tx_error)),
                    ("running", yes(f.running && !f.disabled)),
                    ("disabled", yes(f.disabled)),
                    ("dynamic", yes(false)),
                ];
                if stats {
                    r.push(("rx-packet", t(adv(f.rx_byte, f.rx_bps) / 800)));
                    r.push(("tx-packet", t(adv(f.tx_byte, f.tx_bps) / 800)));
                    r.push(("rx-drop", t(0)));
                    r.push(("tx-drop", t(0)));
                    r.push(("tx-queue-drop", t(0)));
                }
                if let Some(c) = &f.comment {
                    r.push(("comment", state.encode_text(c)));
                }
                r
            })
            .collect(),
        "/interface/pppoe-server/server" => state
            .pppoe
            .servers
            .iter()
            .enumerate()
            .map(|(i, s)| {
                vec![
                    (".id", id(i)),
                    ("service-name", t(format!("pppoe-{s}"))),
                    ("interface", state.encode_text(s)),
                    ("disabled", yes(false)),
                ]
            })
            .collect(),
        "/ppp/active" => {
            let total = state.pppoe.sessions as usize + state.pppoe.other_sessions as usize;
            (0..total).map(|i| ppp_row(state, i)).collect()
        }
        "/routing/bgp/session" => state
            .bgp_peers
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let mut r: Row = vec![
                    (".id", id(i)),
                    ("name", state.encode_text(&format!("{}-1", p.name))),
                    ("remote.address", t(&p.remote_address)),
                    ("remote.as", t(p.remote_as)),
                    ("local.role", t("ebgp")),
                    ("established", yes(p.established)),
                ];
                if p.established {
                    r.push(("prefix-count", t(p.prefix_count)));
                    r.push(("uptime", t(fmt_duration(86_400 + elapsed_secs))));
                }
                r
            })
            .collect(),
        "/routing/bgp/peer" => state
            .bgp_peers
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let mut r: Row = vec![
                    (".id", id(i)),
                    ("name", state.encode_text(&p.name)),
                    ("instance", t("default")),
                    ("remote-address", t(&p.remote_address)),
                    ("remote-as", t(p.remote_as)),
                    (
                        "state",
                        t(if p.established {
                            "established"
                        } else {
                            "active"
                        }),
                    ),
                    (
                        "prefix-count",
                        t(if p.established { p.prefix_count } else { 0 }),
                    ),
                    ("disabled", yes(false)),
                ];
                if p.established {
                    r.push(("uptime", t(fmt_duration(86_400 + elapsed_secs))));
                }
                r
            })
            .collect(),
        "/routing/ospf/neighbor" => state
            .ospf_neighbors
            .iter()
            .enumerate()
            .map(|(i, n)| {
                vec![
                    (".id", id(i)),
                    ("instance", t(if v7 { "default-v2" } else { "default" })),
                    ("router-id", t(&n.router_id)),
                    ("address", t(&n.address)),
                    ("interface", state.encode_text(&n.interface)),
                    ("state", t(&n.state)),
                    ("state-changes", t(6)),
                    ("adjacency", t(fmt_duration(86_400 + elapsed_secs))),
                ]
            })
            .collect(),
        "/radius" => state
            .radius
            .iter()
            .enumerate()
            .map(|(i, r)| {
                vec![
                    (".id", id(i)),
                    ("service", t(&r.service)),
                    ("address", t(&r.address)),
                    ("timeout", t("300ms")),
                    ("disabled", yes(false)),
                ]
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Calls `f` with every row of `menu`, in order. Large menus (`/ppp/active`) are generated
/// one row at a time instead of materialised, so a print can stream while it is produced.
pub(crate) fn for_each_menu_row<E>(
    state: &SimState,
    v7: bool,
    menu: &str,
    elapsed_secs: u64,
    stats: bool,
    mut f: impl FnMut(&Row) -> Result<(), E>,
) -> Result<(), E> {
    if menu == "/ppp/active" {
        let total = state.pppoe.sessions as usize + state.pppoe.other_sessions as usize;
        for i in 0..total {
            f(&ppp_row(state, i))?;
        }
        return Ok(());
    }
    for row in &menu_rows(state, v7, menu, elapsed_secs, stats) {
        f(row)?;
    }
    Ok(())
}

/// Row `i` of `/ppp/active`: the PPPoE sessions first (oldest first), then the L2TP ones.
fn ppp_row(state: &SimState, i: usize) -> Row {
    let pppoe = i < state.pppoe.sessions as usize;
    let n = state.pppoe.disconnected.saturating_add(i as u64 + 1);
    let uptime = n.wrapping_mul(7919) % (30 * 86_400) + 60;
    vec![
        (
            ".id",
            format!("*{:X}", 0x8000_0000u64.saturating_add(n)).into_bytes(),
        ),
        ("name", format!("sub{n:06}").into_bytes()),
        (
            "service",
            if pppoe {
                b"pppoe".to_vec()
            } else {
                b"l2tp".to_vec()
            },
        ),
        (
            "caller-id",
            if pppoe {
                format!(
                    "4C:5E:0C:{:02X}:{:02X}:{:02X}",
                    (n >> 16) & 0xFF,
                    (n >> 8) & 0xFF,
                    n & 0xFF
                )
                .into_bytes()
            } else {
                format!("192.0.2.{}", n % 250 + 1).into_bytes()
            },
        ),
        (
            "address",
            format!(
                "100.{}.{}.{}",
                64 + (n >> 16) % 64,
                (n >> 8) & 0xFF,
                n & 0xFF
            )
            .into_bytes(),
        ),
        ("uptime", fmt_duration(uptime).into_bytes()),
        ("encoding", Vec::new()),
        ("session-id", format!("0x81{n:06X}").into_bytes()),
        ("limit-bytes-in", b"0".to_vec()),
        ("limit-bytes-out", b"0".to_vec()),
        ("radius", b"true".to_vec()),
    ]
}

/// The `/radius/monitor` row of server `idx`.
pub(crate) fn radius_monitor_row(state: &SimState, idx: usize) -> Option<Row> {
    let r = state.radius.get(idx)?;
    Some(vec![
        ("pending", t(0)),
        ("requests", t(r.requests)),
        ("accepts", t(r.accepts)),
        ("rejects", t(r.rejects)),
        ("resends", t(r.timeouts / 2)),
        ("timeouts", t(r.timeouts)),
        ("bad-replies", t(0)),
        ("last-request-rtt", t("4ms")),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_format_like_routeros() {
        assert_eq!(fmt_duration(0), "0s");
        assert_eq!(fmt_duration(788_645), "1w2d3h4m5s");
        assert_eq!(fmt_duration(3600), "1h");
    }

    #[test]
    fn windows_1252_encoding_is_not_utf8() {
        let mut s = SimState::access("sw1");
        s.text_encoding = TextEncoding::Windows1252;
        assert_eq!(s.encode_text("São"), b"S\xe3o");
        assert_eq!(s.encode_text("€"), b"?");
    }

    #[test]
    fn unknown_fields_are_refused_with_a_position() {
        let err = SimState::from_json("{\"identity\": 5}").unwrap_err();
        assert!(matches!(err, StateError::Json(m) if m.contains("line 1")));
    }
}
