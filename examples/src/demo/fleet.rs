//! The simulated routers and their pollers: one in-process `ispvm-sim` per router on
//! `127.0.0.1:0`, polled with the real client and [`RouterOsAdapter`].

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ispvm_model::{AdapterError, Collection, DeviceAdapter, EntityId};
use ispvm_pipeline::PppActiveRow;
use ispvm_routeros::client::{Backoff, Client, ClientConfig, TlsOptions};
use ispvm_routeros::proto::{Command, Query};
use ispvm_routeros::sim::{SimHandle, SimRouter, SimState};
use ispvm_routeros::{RouterOsAdapter, Secret};
use tokio::task::JoinSet;

use super::DemoError;
use super::isp::{ROUTERS, RouterKind, RouterSpec, sim_state};
use super::story::TickPlan;

/// The read-only API user the poller logs in with.
const USER: &str = "ispvm-ro";
/// Its password (a demo constant, kept in a [`Secret`] like a real one).
const PASSWORD: &str = "demo-only-password";
/// How long one router's poll may take before it counts as unreachable.
const POLL_TIMEOUT: Duration = Duration::from_secs(5);
/// Lets connection tasks of a stopped simulator close before the next poll.
const SETTLE: Duration = Duration::from_millis(20);

/// The CA (made at start) and the certificate core1 serves for API-SSL.
pub(crate) struct TlsMaterial {
    pub(crate) ca_pem: String,
    cert_pem: String,
    key_pem: String,
}

impl TlsMaterial {
    /// A fresh CA and a leaf certificate for `localhost` / `127.0.0.1` signed by it.
    pub(crate) fn generate() -> Result<Self, DemoError> {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
        let tls = |e: rcgen::Error| DemoError::Tls(e.to_string());
        let ca_key = KeyPair::generate().map_err(tls)?;
        let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(tls)?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "ispvm demo CA");
        let ca_cert = ca.self_signed(&ca_key).map_err(tls)?;
        let key = KeyPair::generate().map_err(tls)?;
        let mut leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .map_err(tls)?;
        leaf.distinguished_name.push(DnType::CommonName, "core1");
        let cert = leaf.signed_by(&key, &ca_cert, &ca_key).map_err(tls)?;
        Ok(Self {
            ca_pem: ca_cert.pem(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

struct Router {
    spec: &'static RouterSpec,
    state: SimState,
    handle: Option<SimHandle>,
    addr: SocketAddr,
    tls_addr: Option<SocketAddr>,
    config: ClientConfig,
    adapter: Arc<RouterOsAdapter>,
}

/// What one poll of one router gave.
#[derive(Debug)]
pub(crate) struct PollResult {
    pub(crate) router: &'static str,
    pub(crate) outcome: Result<Collection, AdapterError>,
}

/// Every simulated router.
pub(crate) struct Fleet {
    routers: Vec<Router>,
    tls: TlsMaterial,
}

async fn start_sim(
    spec: &RouterSpec,
    state: SimState,
    addr: SocketAddr,
    tls_addr: Option<SocketAddr>,
    tls: &TlsMaterial,
) -> Result<SimHandle, DemoError> {
    let mut b = SimRouter::builder()
        .state(state)
        .user(USER, Secret::new(PASSWORD))
        .listen(addr);
    if let Some(t) = tls_addr {
        b = b.tls(t, tls.cert_pem.clone(), tls.key_pem.clone());
    }
    b.start().await.map_err(|source| DemoError::Sim {
        router: spec.id.to_owned(),
        source,
    })
}

impl Fleet {
    /// Starts every router on `127.0.0.1:0` (core1 also with API-SSL) and makes its poller.
    pub(crate) async fn start(tls: TlsMaterial) -> Result<Self, DemoError> {
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        let mut routers = Vec::with_capacity(ROUTERS.len());
        for spec in &ROUTERS {
            let state = sim_state(spec);
            let handle = start_sim(spec, state.clone(), any, spec.tls.then_some(any), &tls).await?;
            let addr = handle.addr();
            let tls_addr = handle.tls_addr();
            let mut config = ClientConfig::new(addr.ip().to_string(), USER, Secret::new(PASSWORD))
                .with_connect_timeout(Duration::from_secs(2))
                .with_login_timeout(Duration::from_secs(2))
                .with_command_timeout(Duration::from_secs(3));
            config = match tls_addr {
                Some(t) => config
                    .with_port(t.port())
                    .with_tls(TlsOptions::new().with_ca_pem(tls.ca_pem.clone())),
                None => config.with_port(addr.port()),
            };
            let device_id = EntityId::new(spec.id).map_err(|e| DemoError::Story(e.to_string()))?;
            // No reconnection delay: the demo's clock is simulated, and a router that comes
            // back must be polled at the very next tick.
            let adapter = RouterOsAdapter::new(config.clone())
                .with_device_id(device_id)
                .with_backoff(Backoff::new(Duration::ZERO, Duration::ZERO));
            routers.push(Router {
                spec,
                state,
                handle: Some(handle),
                addr,
                tls_addr,
                config,
                adapter: Arc::new(adapter),
            });
        }
        Ok(Self { routers, tls })
    }

    /// Number of routers.
    pub(crate) fn len(&self) -> usize {
        self.routers.len()
    }

    /// Which router serves API-SSL, and on which address.
    pub(crate) fn tls_router(&self) -> Option<(&'static str, SocketAddr)> {
        self.routers
            .iter()
            .find_map(|r| r.tls_addr.map(|a| (r.spec.id, a)))
    }

    /// Brings the simulators to the plan: routers in `live` answer (restarted on their old
    /// address if they were stopped), the others are stopped; every state gets the tick's
    /// session counts, RADIUS counters and CPU load.
    pub(crate) async fn apply(
        &mut self,
        plan: &TickPlan,
        live: &BTreeSet<&'static str>,
    ) -> Result<(), DemoError> {
        let mut stopped_any = false;
        for r in &mut self.routers {
            let id = r.spec.id;
            // Sessions churn: the oldest leave, new ones log in with fresh ids, so the
            // concentrator's `/ppp/active` differs by session, not only by count.
            if let Some(c) = plan.churn.get(id) {
                r.state.pppoe.churn(c.disconnects, c.connects);
            }
            if let Some(&n) = plan.sessions.get(id) {
                debug_assert_eq!(r.state.pppoe.sessions, n, "{id}: churn and count disagree");
                r.state.pppoe.sessions = n;
            }
            if let Some(t) = plan.radius.get(id) {
                for s in &mut r.state.radius {
                    s.requests += t.requests;
                    s.accepts += t.accepts;
                    s.rejects += t.rejects;
                    s.timeouts += t.timeouts;
                }
            }
            if let Some(&c) = plan.cpu.get(id) {
                r.state.cpu_load = c;
            }
            let wanted = live.contains(id);
            match (wanted, r.handle.take()) {
                (true, Some(h)) => {
                    h.set_state(r.state.clone());
                    r.handle = Some(h);
                }
                (true, None) => {
                    let h =
                        start_sim(r.spec, r.state.clone(), r.addr, r.tls_addr, &self.tls).await?;
                    r.handle = Some(h);
                }
                (false, Some(h)) => {
                    h.shutdown().await;
                    stopped_any = true;
                }
                (false, None) => {}
            }
        }
        if stopped_any {
            tokio::time::sleep(SETTLE).await;
        }
        Ok(())
    }

    /// Polls every router concurrently; `progress(done, total)` is called as each finishes.
    /// Results come back in [`ROUTERS`] order; every sample is stamped with the simulated
    /// time `at`.
    pub(crate) async fn poll(
        &self,
        at: DateTime<Utc>,
        mut progress: impl FnMut(usize, usize),
    ) -> Vec<PollResult> {
        let mut set = JoinSet::new();
        for (i, r) in self.routers.iter().enumerate() {
            let adapter = Arc::clone(&r.adapter);
            let device = r.spec.id;
            set.spawn(async move {
                let outcome = match tokio::time::timeout(POLL_TIMEOUT, adapter.collect()).await {
                    Ok(o) => o,
                    Err(_) => Err(AdapterError::Timeout {
                        device: device.to_owned(),
                        operation: "poll".to_owned(),
                    }),
                };
                (i, outcome)
            });
        }
        let total = self.routers.len();
        let mut results: Vec<Option<Result<Collection, AdapterError>>> =
            (0..total).map(|_| None).collect();
        let mut done = 0;
        progress(0, total);
        while let Some(joined) = set.join_next().await {
            if let Ok((i, outcome)) = joined {
                if let Some(slot) = results.get_mut(i) {
                    *slot = Some(outcome);
                }
            }
            done += 1;
            progress(done, total);
        }
        self.routers
            .iter()
            .zip(results)
            .map(|(r, outcome)| {
                let outcome = match outcome {
                    Some(Ok(mut c)) => {
                        for s in &mut c.samples {
                            s.ts = at;
                        }
                        Ok(c)
                    }
                    Some(Err(e)) => Err(e),
                    None => Err(AdapterError::Protocol {
                        device: r.spec.id.to_owned(),
                        message: "the poll task failed".to_owned(),
                        source: None,
                    }),
                };
                PollResult {
                    router: r.spec.id,
                    outcome,
                }
            })
            .collect()
    }

    /// A full `/ppp/active` print (PPPoE sessions, `.id` only) of every concentrator that
    /// answers, concurrently, over its own short-lived connection, in [`ROUTERS`] order. A
    /// concentrator that is stopped or fails is left out (its count still comes from the
    /// adapter's poll, or its absence).
    pub(crate) async fn ppp_active(&self) -> Vec<(&'static str, Vec<PppActiveRow>)> {
        let mut set = JoinSet::new();
        for (i, r) in self.routers.iter().enumerate() {
            if r.spec.kind != RouterKind::Concentrator || r.handle.is_none() {
                continue;
            }
            let config = r.config.clone();
            set.spawn(async move {
                let snapshot = tokio::time::timeout(POLL_TIMEOUT, active_sessions(&config))
                    .await
                    .ok()
                    .flatten();
                (i, snapshot)
            });
        }
        let mut out = Vec::new();
        while let Some(joined) = set.join_next().await {
            if let Ok((i, Some(snapshot))) = joined {
                if let Some(r) = self.routers.get(i) {
                    out.push((i, r.spec.id, snapshot));
                }
            }
        }
        out.sort_by_key(|(i, _, _)| *i);
        out.into_iter().map(|(_, id, s)| (id, s)).collect()
    }

    /// Stops every simulator.
    pub(crate) async fn shutdown(self) {
        for r in self.routers {
            if let Some(h) = r.handle {
                h.shutdown().await;
            }
        }
    }
}

/// One `/ppp/active/print ?service=pppoe .proplist=.id` over a fresh connection, as rows for
/// [`ispvm_pipeline::Pipeline::ppp_active`]; `None` when the router does not answer or a row has
/// no `.id`.
async fn active_sessions(config: &ClientConfig) -> Option<Vec<PppActiveRow>> {
    let client = Client::connect(config).await.ok()?;
    let reply = client
        .command(
            Command::new("/ppp/active/print")
                .proplist(&[".id"])
                .query(Query::eq("service", "pppoe")),
        )
        .await;
    client.close();
    reply
        .ok()?
        .rows
        .iter()
        .map(|row| Some(PppActiveRow::new(row.get(".id")?.as_str()?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_taken_port_is_a_typed_error_naming_the_router() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = taken.local_addr().unwrap();
        let tls = TlsMaterial::generate().unwrap();
        let spec = &ROUTERS[3];
        let e = start_sim(spec, sim_state(spec), addr, None, &tls)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, DemoError::Sim { router, .. } if router == "agg2"),
            "{e:?}"
        );
        let msg = e.to_string();
        assert!(
            msg.starts_with(&format!(
                "cannot start the simulated router agg2: cannot listen on {addr}: "
            )),
            "{msg}"
        );
    }

    #[tokio::test]
    async fn the_tls_router_is_polled_with_the_demo_ca() {
        let tls = TlsMaterial::generate().unwrap();
        assert!(tls.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        let fleet = Fleet::start(tls).await.unwrap();
        let (router, addr) = fleet.tls_router().unwrap();
        assert_eq!(router, "core1");
        assert_eq!(addr.ip().to_string(), "127.0.0.1");
        let at = crate::demo::story::start();
        let mut calls = Vec::new();
        let results = fleet.poll(at, |d, t| calls.push((d, t))).await;
        assert_eq!(calls.first(), Some(&(0, 17)));
        assert_eq!(calls.last(), Some(&(17, 17)));
        let core1 = results.iter().find(|r| r.router == "core1").unwrap();
        let samples = &core1.outcome.as_ref().unwrap().samples;
        assert!(samples.iter().all(|s| s.ts == at));
        let peers: Vec<&str> = samples
            .iter()
            .filter(|s| s.metric_name == "bgp.peer.up")
            .map(|s| s.entity_id.as_str())
            .collect();
        assert_eq!(peers, ["core1/bgp/198.51.100.1", "core1/bgp/203.0.113.1"]);
        assert!(results.iter().all(|r| r.outcome.is_ok()));
        fleet.shutdown().await;
    }
}
