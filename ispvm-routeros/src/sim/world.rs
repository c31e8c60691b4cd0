//! A world of simulated routers joined by physical links, with faults that break and repair it.
//!
//! ```text
//! WorldSpec (routers + links `<a>-<b>` + which routers the poller sits behind)
//!    └─ SimWorld::start ──> one SimRouter per router on 127.0.0.1 (fixed ports for its life)
//! SimWorld::inject(Fault) ──> FaultId        SimWorld::repair(FaultId)
//!    power_off      router and its links dark: its simulator stops, the neighbours' interfaces
//!                   on those links go down, it answers no ping; routers reachable only through
//!                   it stop answering too (the poller reaches them through the network)
//!    api_down       only its API service stops: it still forwards and answers pings
//!    link_down      one link: the interfaces at both ends go down
//!    radius_timeout its RADIUS requests time out (`/radius/monitor` counts timeouts, growing
//!                   every tick) and its PPPoE sessions drop
//!    maintenance    the target reloads now: dark for `reload`, then back with a fresh uptime
//! ```
//!
//! A router is *reachable* (answers pings and, unless its API is down, the API) when it is
//! powered and a path of up links joins it to a root router. [`SimWorld::ping`] tells
//! whether a router answers pings, for a poller that wants ICMP-like evidence.
//!
//! # Examples
//! ```
//! use ispvm_routeros::sim::world::{Fault, FaultKind, SimWorld, WorldLink, WorldOptions, WorldRouter, WorldSpec};
//! use ispvm_routeros::sim::SimState;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let spec = WorldSpec::new()
//!     .router(WorldRouter::new("core1", SimState::core("core1")).root())
//!     .router(WorldRouter::new("acc1", SimState::access("acc1")))
//!     .link(WorldLink::new("core1", "sfp28-1", "acc1", "sfp-sfpplus1"));
//! let world = SimWorld::start(spec, WorldOptions::new("monitor", "pw")).await?;
//! assert!(world.ping("acc1").await);
//! let id = world.inject(Fault::new(FaultKind::LinkDown, "core1-acc1")).await?;
//! assert!(!world.ping("acc1").await); // its only path to the poller is gone
//! world.repair(&id).await?;
//! assert!(world.ping("acc1").await);
//! world.shutdown().await;
//! # Ok(()) }
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use super::{SimError, SimHandle, SimInterface, SimRouter, SimState};
use crate::Secret;

/// One router of a [`WorldSpec`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WorldRouter {
    /// Its id (also the id of its entity and the id faults name).
    pub id: String,
    /// Its state in normal operation.
    pub state: SimState,
    /// Serve API-SSL too (needs TLS material in [`WorldOptions`]).
    pub tls: bool,
    /// The poller sits behind this router: it is reachable whenever it is powered.
    pub root: bool,
}

impl WorldRouter {
    /// A router with this id and state, plain API only, not a root.
    #[must_use]
    pub fn new(id: impl Into<String>, state: SimState) -> Self {
        Self {
            id: id.into(),
            state,
            tls: false,
            root: false,
        }
    }
    /// Also serves API-SSL.
    #[must_use]
    pub fn tls(mut self) -> Self {
        self.tls = true;
        self
    }
    /// The poller sits behind it.
    #[must_use]
    pub fn root(mut self) -> Self {
        self.root = true;
        self
    }
}

/// A physical link between two routers' interfaces; its id is `<a>-<b>`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorldLink {
    /// One end's router.
    pub a: String,
    /// Its interface on the link.
    pub a_interface: String,
    /// The other end's router.
    pub b: String,
    /// Its interface on the link.
    pub b_interface: String,
}

impl WorldLink {
    /// The link between `a`'s `a_interface` and `b`'s `b_interface`.
    #[must_use]
    pub fn new(
        a: impl Into<String>,
        a_interface: impl Into<String>,
        b: impl Into<String>,
        b_interface: impl Into<String>,
    ) -> Self {
        Self {
            a: a.into(),
            a_interface: a_interface.into(),
            b: b.into(),
            b_interface: b_interface.into(),
        }
    }
    /// `<a>-<b>`, e.g. `agg1-agg2`.
    #[must_use]
    pub fn id(&self) -> String {
        format!("{}-{}", self.a, self.b)
    }
}

/// Routers and links of a world.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct WorldSpec {
    /// The routers.
    pub routers: Vec<WorldRouter>,
    /// The links.
    pub links: Vec<WorldLink>,
}

impl WorldSpec {
    /// An empty world.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds a router.
    #[must_use]
    pub fn router(mut self, r: WorldRouter) -> Self {
        self.routers.push(r);
        self
    }
    /// Adds a link.
    #[must_use]
    pub fn link(mut self, l: WorldLink) -> Self {
        self.links.push(l);
        self
    }
}

/// How the world's simulators run.
#[derive(Clone)]
#[non_exhaustive]
pub struct WorldOptions {
    /// The API user every router accepts.
    pub user: String,
    /// Its password.
    pub password: Secret,
    /// Certificate and key (PEM) served by routers with API-SSL.
    pub tls: Option<(String, String)>,
    /// How often faults that last (RADIUS timeouts) advance their counters.
    pub tick: Duration,
    /// How long a router under `maintenance` stays dark while it reloads.
    pub reload: Duration,
}

impl fmt::Debug for WorldOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorldOptions")
            .field("user", &self.user)
            .field("tls", &self.tls.is_some())
            .field("tick", &self.tick)
            .field("reload", &self.reload)
            .finish_non_exhaustive()
    }
}

impl WorldOptions {
    /// Every router accepts `user` / `password`; no TLS; ticks every second; a reload takes
    /// 8 seconds.
    #[must_use]
    pub fn new(user: impl Into<String>, password: impl Into<Secret>) -> Self {
        Self {
            user: user.into(),
            password: password.into(),
            tls: None,
            tick: Duration::from_secs(1),
            reload: Duration::from_secs(8),
        }
    }
    /// Certificate and key (PEM) for the routers marked [`WorldRouter::tls`].
    #[must_use]
    pub fn with_tls(mut self, cert_pem: impl Into<String>, key_pem: impl Into<String>) -> Self {
        self.tls = Some((cert_pem.into(), key_pem.into()));
        self
    }
    /// How often lasting faults advance.
    #[must_use]
    pub fn with_tick(mut self, tick: Duration) -> Self {
        self.tick = tick;
        self
    }
    /// How long a reload keeps a router dark.
    #[must_use]
    pub fn with_reload(mut self, reload: Duration) -> Self {
        self.reload = reload;
        self
    }
}

/// What a fault does; see the [module documentation](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum FaultKind {
    /// The router and all its links go dark.
    PowerOff,
    /// Only the router's API service stops.
    ApiDown,
    /// One link goes down (target: a link id `<a>-<b>`).
    LinkDown,
    /// A concentrator's RADIUS requests time out.
    RadiusTimeout,
    /// The router reloads now (the caller opens the maintenance window).
    Maintenance,
}

impl FaultKind {
    /// Every kind, in a stable order.
    pub const ALL: [Self; 5] = [
        Self::PowerOff,
        Self::ApiDown,
        Self::LinkDown,
        Self::RadiusTimeout,
        Self::Maintenance,
    ];
    /// Its wire name: `power_off`, `api_down`, `link_down`, `radius_timeout`, `maintenance`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PowerOff => "power_off",
            Self::ApiDown => "api_down",
            Self::LinkDown => "link_down",
            Self::RadiusTimeout => "radius_timeout",
            Self::Maintenance => "maintenance",
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FaultKind {
    type Err = WorldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| WorldError::UnknownKind(s.to_owned()))
    }
}

/// A fault: what, and on which router or link.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Fault {
    /// What it does.
    pub kind: FaultKind,
    /// The router id, or the link id for [`FaultKind::LinkDown`].
    pub target: String,
}

impl Fault {
    /// A fault of `kind` on `target`.
    #[must_use]
    pub fn new(kind: FaultKind, target: impl Into<String>) -> Self {
        Self {
            kind,
            target: target.into(),
        }
    }
}

/// The id of an injected fault (`f1`, `f2`, ...), unique for the world's life.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FaultId(String);

impl FaultId {
    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FaultId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for FaultId {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

/// Why the world refused something.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WorldError {
    /// Not a fault kind this world knows.
    #[error("unknown fault {0:?}")]
    UnknownKind(String),
    /// The target is not a router (or, for `link_down`, a link) of this world, or cannot
    /// suffer this fault (`radius_timeout` on a router with no RADIUS client).
    #[error("{kind} cannot target {target:?}")]
    BadTarget {
        /// The fault.
        kind: FaultKind,
        /// The target given.
        target: String,
    },
    /// No active fault has this id.
    #[error("no active fault {0}")]
    UnknownFault(String),
    /// The world's description is inconsistent (duplicate router, link to an unknown router,
    /// TLS router without TLS material).
    #[error("invalid world: {0}")]
    Spec(String),
    /// A simulator could not start (or restart on its address).
    #[error("cannot start the simulated router {router}: {source}")]
    Sim {
        /// The router.
        router: String,
        /// Why.
        source: SimError,
    },
}

struct Router {
    spec: WorldRouter,
    /// Current state (counters and sessions persist across restarts).
    state: SimState,
    handle: Option<SimHandle>,
    addr: SocketAddr,
    tls_addr: Option<SocketAddr>,
    /// Dark (reloading) until this instant.
    reloading_until: Option<tokio::time::Instant>,
    /// PPPoE sessions in normal operation.
    base_sessions: u32,
    /// Powered at the last settle (a router that powers up again starts with a fresh uptime).
    was_powered: bool,
}

struct Inner {
    routers: Vec<Router>,
    links: Vec<WorldLink>,
    faults: BTreeMap<u64, Fault>,
    next_id: u64,
    options: WorldOptions,
}

/// A running world; cheap to clone (one shared world). See the [module documentation](self).
#[derive(Clone)]
pub struct SimWorld {
    inner: Arc<Mutex<Inner>>,
    ticker: Arc<std::sync::Mutex<Option<JoinHandle<()>>>>,
}

impl fmt::Debug for SimWorld {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimWorld").finish_non_exhaustive()
    }
}

/// Where one router of the world listens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RouterAddr {
    /// Plain API.
    pub api: SocketAddr,
    /// API-SSL, when it serves it.
    pub api_ssl: Option<SocketAddr>,
}

async fn start_sim(
    spec: &WorldRouter,
    state: SimState,
    addr: SocketAddr,
    tls_addr: Option<SocketAddr>,
    options: &WorldOptions,
) -> Result<SimHandle, WorldError> {
    let mut b = SimRouter::builder()
        .state(state)
        .user(options.user.clone(), options.password.clone())
        .listen(addr);
    if let (Some(t), Some((cert, key))) = (tls_addr, &options.tls) {
        b = b.tls(t, cert.clone().into_bytes(), key.clone().into_bytes());
    }
    b.start().await.map_err(|source| WorldError::Sim {
        router: spec.id.clone(),
        source,
    })
}

/// Sessions kept by a concentrator whose RADIUS times out: a fifth.
fn sessions_under_radius_timeout(base: u32) -> u32 {
    base / 5
}

impl Inner {
    fn index(&self, router: &str) -> Option<usize> {
        self.routers.iter().position(|r| r.spec.id == router)
    }

    fn active(&self, kind: FaultKind, target: &str) -> bool {
        self.faults
            .values()
            .any(|f| f.kind == kind && f.target == target)
    }

    fn powered(&self, i: usize, now: tokio::time::Instant) -> bool {
        let Some(r) = self.routers.get(i) else {
            return false;
        };
        !self.active(FaultKind::PowerOff, &r.spec.id) && r.reloading_until.is_none_or(|t| t <= now)
    }

    fn link_up(&self, l: &WorldLink, now: tokio::time::Instant) -> bool {
        let end = |id: &str| self.index(id).is_some_and(|i| self.powered(i, now));
        end(&l.a) && end(&l.b) && !self.active(FaultKind::LinkDown, &l.id())
    }

    /// Routers that answer pings: powered and joined to a root by up links.
    fn reachable(&self, now: tokio::time::Instant) -> BTreeSet<usize> {
        let mut seen: BTreeSet<usize> = (0..self.routers.len())
            .filter(|&i| self.routers.get(i).is_some_and(|r| r.spec.root) && self.powered(i, now))
            .collect();
        let mut queue: Vec<usize> = seen.iter().copied().collect();
        while let Some(i) = queue.pop() {
            let Some(id) = self.routers.get(i).map(|r| r.spec.id.clone()) else {
                continue;
            };
            for l in &self.links {
                let other = if l.a == id {
                    &l.b
                } else if l.b == id {
                    &l.a
                } else {
                    continue;
                };
                if !self.link_up(l, now) {
                    continue;
                }
                if let Some(j) = self.index(other) {
                    if seen.insert(j) {
                        queue.push(j);
                    }
                }
            }
        }
        seen
    }

    /// Brings every simulator to what the faults say.
    async fn settle(&mut self) -> Result<(), WorldError> {
        let now = tokio::time::Instant::now();
        let reachable = self.reachable(now);
        let link_states: Vec<(String, String, String, String, bool)> = self
            .links
            .iter()
            .map(|l| {
                (
                    l.a.clone(),
                    l.a_interface.clone(),
                    l.b.clone(),
                    l.b_interface.clone(),
                    self.link_up(l, now),
                )
            })
            .collect();
        let api_down: BTreeSet<String> = self
            .faults
            .values()
            .filter(|f| f.kind == FaultKind::ApiDown)
            .map(|f| f.target.clone())
            .collect();
        let powered: Vec<bool> = (0..self.routers.len())
            .map(|i| self.powered(i, now))
            .collect();
        for (i, r) in self.routers.iter_mut().enumerate() {
            if r.reloading_until.is_some_and(|t| t <= now) {
                r.reloading_until = None;
            }
            let on = powered.get(i).copied().unwrap_or(false);
            if on && !r.was_powered {
                r.state.uptime_seconds = 0;
            }
            r.was_powered = on;
            for (a, ai, b, bi, up) in &link_states {
                if *a == r.spec.id {
                    if let Some(ifc) = r.state.interface_mut(ai) {
                        ifc.running = *up;
                    }
                }
                if *b == r.spec.id {
                    if let Some(ifc) = r.state.interface_mut(bi) {
                        ifc.running = *up;
                    }
                }
            }
            let answers = reachable.contains(&i) && !api_down.contains(&r.spec.id);
            match (answers, r.handle.take()) {
                (true, Some(h)) => {
                    h.set_state(r.state.clone());
                    r.handle = Some(h);
                }
                (true, None) => {
                    let h = start_sim(&r.spec, r.state.clone(), r.addr, r.tls_addr, &self.options)
                        .await?;
                    r.handle = Some(h);
                }
                (false, Some(h)) => h.shutdown().await,
                (false, None) => {}
            }
        }
        Ok(())
    }

    /// One tick of the lasting faults.
    fn tick(&mut self) {
        let radius: Vec<String> = self
            .faults
            .values()
            .filter(|f| f.kind == FaultKind::RadiusTimeout)
            .map(|f| f.target.clone())
            .collect();
        for r in &mut self.routers {
            if radius.contains(&r.spec.id) {
                for s in &mut r.state.radius {
                    s.requests += 25;
                    s.timeouts += 25;
                }
            }
        }
    }
}

impl SimWorld {
    /// Starts every router's simulator on `127.0.0.1:0` (its address is then kept while the
    /// world lives: a router that comes back listens where it did) and a ticker task.
    ///
    /// # Errors
    /// [`WorldError::Spec`] for an inconsistent description, [`WorldError::Sim`] when a
    /// simulator cannot start.
    pub async fn start(spec: WorldSpec, options: WorldOptions) -> Result<Self, WorldError> {
        let mut ids = BTreeSet::new();
        for r in &spec.routers {
            if !ids.insert(r.id.clone()) {
                return Err(WorldError::Spec(format!("router {} twice", r.id)));
            }
            if r.tls && options.tls.is_none() {
                return Err(WorldError::Spec(format!(
                    "router {} serves API-SSL but no certificate was given",
                    r.id
                )));
            }
        }
        let mut link_ids = BTreeSet::new();
        for l in &spec.links {
            for end in [&l.a, &l.b] {
                if !ids.contains(end) {
                    return Err(WorldError::Spec(format!(
                        "link {} names an unknown router {end}",
                        l.id()
                    )));
                }
            }
            if !link_ids.insert(l.id()) {
                return Err(WorldError::Spec(format!("link {} twice", l.id())));
            }
        }
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        let mut routers = Vec::with_capacity(spec.routers.len());
        for r in spec.routers {
            let mut state = r.state.clone();
            for l in &spec.links {
                for (end, ifc, peer) in [(&l.a, &l.a_interface, &l.b), (&l.b, &l.b_interface, &l.a)]
                {
                    if *end == r.id && state.interface_mut(ifc).is_none() {
                        state.interfaces.push(
                            SimInterface::new(ifc.clone(), "ether")
                                .with_traffic(900_000_000, 400_000_000, 10_000_000_000)
                                .with_comment(format!("to {peer}")),
                        );
                    }
                }
            }
            let handle = start_sim(&r, state.clone(), any, r.tls.then_some(any), &options).await?;
            routers.push(Router {
                base_sessions: state.pppoe.sessions,
                addr: handle.addr(),
                tls_addr: handle.tls_addr(),
                handle: Some(handle),
                state,
                spec: r,
                reloading_until: None,
                was_powered: true,
            });
        }
        let tick = options.tick.max(Duration::from_millis(10));
        let inner = Arc::new(Mutex::new(Inner {
            routers,
            links: spec.links,
            faults: BTreeMap::new(),
            next_id: 1,
            options,
        }));
        inner.lock().await.settle().await?;
        let weak = Arc::downgrade(&inner);
        let ticker = tokio::spawn(async move {
            let mut every = tokio::time::interval(tick);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                let Some(inner) = weak.upgrade() else { return };
                let mut g = inner.lock().await;
                g.tick();
                if let Err(e) = g.settle().await {
                    tracing::warn!(error = %e, "the simulated world could not settle");
                }
            }
        });
        Ok(Self {
            inner,
            ticker: Arc::new(std::sync::Mutex::new(Some(ticker))),
        })
    }

    /// Where a router listens (kept while the world lives), `None` for an unknown router.
    pub async fn addr(&self, router: &str) -> Option<RouterAddr> {
        let g = self.inner.lock().await;
        let i = g.index(router)?;
        g.routers.get(i).map(|r| RouterAddr {
            api: r.addr,
            api_ssl: r.tls_addr,
        })
    }

    /// The router ids, in the order of the description.
    pub async fn routers(&self) -> Vec<String> {
        let g = self.inner.lock().await;
        g.routers.iter().map(|r| r.spec.id.clone()).collect()
    }

    /// The link ids (`<a>-<b>`), in the order of the description.
    pub async fn links(&self) -> Vec<String> {
        let g = self.inner.lock().await;
        g.links.iter().map(WorldLink::id).collect()
    }

    /// Whether the router answers pings: powered and joined to a root by up links (an
    /// `api_down` router still does).
    pub async fn ping(&self, router: &str) -> bool {
        let g = self.inner.lock().await;
        let now = tokio::time::Instant::now();
        g.index(router)
            .is_some_and(|i| g.reachable(now).contains(&i))
    }

    /// Whether a link is up, `None` for an unknown link.
    pub async fn link_up(&self, link: &str) -> Option<bool> {
        let g = self.inner.lock().await;
        let now = tokio::time::Instant::now();
        g.links
            .iter()
            .find(|l| l.id() == link)
            .map(|l| g.link_up(l, now))
    }

    /// A copy of a router's current state (what its simulator serves when it answers).
    pub async fn state(&self, router: &str) -> Option<SimState> {
        let g = self.inner.lock().await;
        let i = g.index(router)?;
        g.routers.get(i).map(|r| r.state.clone())
    }

    /// The active faults, oldest first.
    pub async fn faults(&self) -> Vec<(FaultId, Fault)> {
        let g = self.inner.lock().await;
        g.faults
            .iter()
            .map(|(id, f)| (FaultId(format!("f{id}")), f.clone()))
            .collect()
    }

    /// Injects a fault; the simulators reflect it before this returns.
    ///
    /// # Errors
    /// [`WorldError::BadTarget`] when the target does not exist or cannot suffer this fault;
    /// [`WorldError::Sim`] when a simulator cannot restart.
    pub async fn inject(&self, fault: Fault) -> Result<FaultId, WorldError> {
        let mut g = self.inner.lock().await;
        let bad = || WorldError::BadTarget {
            kind: fault.kind,
            target: fault.target.clone(),
        };
        match fault.kind {
            FaultKind::LinkDown => {
                if !g.links.iter().any(|l| l.id() == fault.target) {
                    return Err(bad());
                }
            }
            FaultKind::RadiusTimeout => {
                let i = g.index(&fault.target).ok_or_else(bad)?;
                let r = g.routers.get_mut(i).ok_or_else(bad)?;
                if r.state.radius.is_empty() {
                    return Err(bad());
                }
                let keep = sessions_under_radius_timeout(r.base_sessions);
                let drop = r.state.pppoe.sessions.saturating_sub(keep);
                r.state.pppoe.churn(drop, 0);
                for s in &mut r.state.radius {
                    s.requests += u64::from(drop);
                    s.timeouts += u64::from(drop);
                }
            }
            FaultKind::Maintenance => {
                let reload = g.options.reload;
                let i = g.index(&fault.target).ok_or_else(bad)?;
                let r = g.routers.get_mut(i).ok_or_else(bad)?;
                r.reloading_until = Some(tokio::time::Instant::now() + reload);
            }
            FaultKind::PowerOff | FaultKind::ApiDown => {
                g.index(&fault.target).ok_or_else(bad)?;
            }
        }
        let id = g.next_id;
        g.next_id += 1;
        g.faults.insert(id, fault);
        g.settle().await?;
        Ok(FaultId(format!("f{id}")))
    }

    /// Repairs a fault; the simulators reflect it before this returns. Repairing a
    /// `maintenance` fault ends a reload still under way; a `radius_timeout` repair brings
    /// the sessions back.
    ///
    /// # Errors
    /// [`WorldError::UnknownFault`] when no active fault has this id; [`WorldError::Sim`]
    /// when a simulator cannot restart.
    pub async fn repair(&self, id: &FaultId) -> Result<(), WorldError> {
        let mut g = self.inner.lock().await;
        let n =
            id.0.strip_prefix('f')
                .and_then(|n| n.parse::<u64>().ok())
                .ok_or_else(|| WorldError::UnknownFault(id.0.clone()))?;
        let fault = g
            .faults
            .remove(&n)
            .ok_or_else(|| WorldError::UnknownFault(id.0.clone()))?;
        match fault.kind {
            FaultKind::RadiusTimeout if !g.active(FaultKind::RadiusTimeout, &fault.target) => {
                if let Some(r) = g.index(&fault.target).and_then(|i| g.routers.get_mut(i)) {
                    let back = r.base_sessions.saturating_sub(r.state.pppoe.sessions);
                    r.state.pppoe.churn(0, back);
                }
            }
            FaultKind::Maintenance if !g.active(FaultKind::Maintenance, &fault.target) => {
                if let Some(r) = g.index(&fault.target).and_then(|i| g.routers.get_mut(i)) {
                    r.reloading_until = None;
                }
            }
            _ => {}
        }
        g.settle().await
    }

    /// Stops the ticker and every simulator.
    pub async fn shutdown(&self) {
        let ticker = self.ticker.lock().ok().and_then(|mut t| t.take());
        if let Some(t) = ticker {
            t.abort();
            let _ = t.await;
        }
        let mut g = self.inner.lock().await;
        for r in &mut g.routers {
            if let Some(h) = r.handle.take() {
                h.shutdown().await;
            }
        }
    }
}

#[cfg(test)]
mod tests;
