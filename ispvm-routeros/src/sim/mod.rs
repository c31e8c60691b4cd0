//! A RouterOS API server simulating one router (feature `sim`), for tests and demos.
//!
//! ```text
//! SimRouter::builder().state(SimState).user(..).tls(..).start() ──> SimHandle
//!    TCP / TLS listeners ──> one task per connection: login (plain or MD5 challenge by
//!    version), print (.proplist, queries, =count-only=, =stats=), tags, listen/cancel,
//!    monitor, !empty (7.18+), two !trap + !done for unknown paths, !fatal after /quit
//! SimHandle: state changes (link down, sessions dropped or churned with fresh ids, BGP down,
//!    RADIUS timeouts) and faults (slow replies, a reply cut mid-sentence, garbage bytes) at run time
//! ```
//!
//! Several simulators run in one process (each with its own listeners), which is how the demo
//! and the benchmarks use it.
//!
//! # Examples
//! ```
//! use ispvm_routeros::sim::{SimRouter, SimState};
//! use ispvm_routeros::client::{Client, ClientConfig};
//! use ispvm_routeros::proto::Command;
//! use ispvm_routeros::Secret;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sim = SimRouter::builder()
//!     .state(SimState::concentrator("bras1", 3200))
//!     .user("monitor", "pw")
//!     .start()
//!     .await?;
//! let config = ClientConfig::new("127.0.0.1", "monitor", Secret::new("pw")).with_port(sim.addr().port());
//! let client = Client::connect(&config).await?;
//! let count = |c: Client| async move {
//!     c.command(Command::new("/ppp/active/print").flag("count-only")).await.map(|r| r.count())
//! };
//! assert_eq!(count(client.clone()).await?, Some(3200));
//! sim.set_pppoe_sessions(50); // the concentrator loses most of its subscribers
//! assert_eq!(count(client).await?, Some(50));
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

mod state;
pub mod world;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use md5::{Digest, Md5};
use rand::RngCore;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, WriteHalf};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

pub use state::{
    SimBgpPeer, SimInterface, SimOspfNeighbor, SimPppoe, SimRadius, SimState, StateError,
    TextEncoding,
};

use crate::Secret;
use crate::adapter::RouterOsVersion;
use crate::proto::{Decoder, Limits, QueryWord, Sentence, SentenceWriter, eval_query};
use state::{Row, for_each_menu_row, menu_exists, menu_rows, radius_monitor_row};

/// Why a simulator could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A listener could not bind.
    #[error("cannot listen on {addr}: {reason}")]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        reason: String,
    },
    /// The TLS certificate or key is unusable.
    #[error("TLS: {0}")]
    Tls(String),
}

#[derive(Debug, Default)]
struct Faults {
    delay: Duration,
    cut_next: bool,
    garbage_next: bool,
}

struct Shared {
    state: RwLock<SimState>,
    changes: watch::Sender<u64>,
    faults: Mutex<Faults>,
    users: Vec<(String, Secret)>,
    started: Instant,
    connections: AtomicUsize,
    logins: AtomicUsize,
    /// Bumped by [`SimHandle::drop_connections`]: every open connection closes.
    kick: watch::Sender<u64>,
}

impl Shared {
    fn snapshot<T>(&self, f: impl FnOnce(&SimState) -> T) -> T {
        match self.state.read() {
            Ok(s) => f(&s),
            Err(p) => f(&p.into_inner()),
        }
    }
    fn elapsed(&self) -> u64 {
        self.started.elapsed().as_secs()
    }
}

/// Builds a simulator. See the [module documentation](self).
#[derive(Debug)]
pub struct SimRouterBuilder {
    state: SimState,
    users: Vec<(String, Secret)>,
    listen: SocketAddr,
    tls: Option<(SocketAddr, Vec<u8>, Vec<u8>)>,
    version: Option<String>,
}

/// Entry point: [`SimRouter::builder`].
#[derive(Debug)]
#[non_exhaustive]
pub struct SimRouter;

impl SimRouter {
    /// A builder with the default aggregation router, user `admin` with an empty password,
    /// listening on `127.0.0.1:0`.
    #[must_use]
    pub fn builder() -> SimRouterBuilder {
        SimRouterBuilder {
            state: SimState::default_aggregation(),
            users: Vec::new(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls: None,
            version: None,
        }
    }
}

impl SimRouterBuilder {
    /// The router's state.
    #[must_use]
    pub fn state(mut self, state: SimState) -> Self {
        self.state = state;
        self
    }
    /// Adds a user (the first call replaces the default `admin` with empty password).
    #[must_use]
    pub fn user(mut self, name: impl Into<String>, password: impl Into<Secret>) -> Self {
        self.users.push((name.into(), password.into()));
        self
    }
    /// Plain API listen address (default `127.0.0.1:0`).
    #[must_use]
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }
    /// Also serves API-SSL on `addr` with this PEM certificate chain and private key.
    #[must_use]
    pub fn tls(
        mut self,
        addr: SocketAddr,
        cert_pem: impl Into<Vec<u8>>,
        key_pem: impl Into<Vec<u8>>,
    ) -> Self {
        self.tls = Some((addr, cert_pem.into(), key_pem.into()));
        self
    }
    /// Overrides the state's RouterOS version.
    #[must_use]
    pub fn version(mut self, v: impl Into<String>) -> Self {
        self.version = Some(v.into());
        self
    }

    /// Binds the listeners and starts serving.
    ///
    /// # Errors
    /// [`SimError`] when a listener cannot bind or the TLS material is unusable.
    pub async fn start(self) -> Result<SimHandle, SimError> {
        let mut state = self.state;
        if let Some(v) = self.version {
            state.version = v;
        }
        let users = if self.users.is_empty() {
            vec![("admin".to_owned(), Secret::default())]
        } else {
            self.users
        };
        let shared = Arc::new(Shared {
            state: RwLock::new(state),
            changes: watch::channel(0).0,
            faults: Mutex::new(Faults::default()),
            users,
            started: Instant::now(),
            connections: AtomicUsize::new(0),
            logins: AtomicUsize::new(0),
            kick: watch::channel(0).0,
        });
        let (stop_tx, stop_rx) = watch::channel(false);
        let bind = |addr: SocketAddr| async move {
            TcpListener::bind(addr).await.map_err(|e| SimError::Bind {
                addr: addr.to_string(),
                reason: e.to_string(),
            })
        };
        let plain = bind(self.listen).await?;
        let addr = plain.local_addr().map_err(|e| SimError::Bind {
            addr: self.listen.to_string(),
            reason: e.to_string(),
        })?;
        let mut tasks = vec![tokio::spawn(accept_loop(
            plain,
            None,
            shared.clone(),
            stop_rx.clone(),
        ))];
        let mut tls_addr = None;
        if let Some((taddr, cert, key)) = self.tls {
            let acceptor = tls_acceptor(&cert, &key)?;
            let l = bind(taddr).await?;
            tls_addr = Some(l.local_addr().map_err(|e| SimError::Bind {
                addr: taddr.to_string(),
                reason: e.to_string(),
            })?);
            tasks.push(tokio::spawn(accept_loop(
                l,
                Some(acceptor),
                shared.clone(),
                stop_rx,
            )));
        }
        Ok(SimHandle {
            shared,
            addr,
            tls_addr,
            stop: stop_tx,
            tasks,
        })
    }
}

fn tls_acceptor(cert_pem: &[u8], key_pem: &[u8]) -> Result<tokio_rustls::TlsAcceptor, SimError> {
    let certs = rustls_pemfile::certs(&mut &cert_pem[..])
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| SimError::Tls(format!("certificate PEM: {e}")))?;
    let key = rustls_pemfile::private_key(&mut &key_pem[..])
        .map_err(|e| SimError::Tls(format!("key PEM: {e}")))?
        .ok_or_else(|| SimError::Tls("no private key in the key PEM".into()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| SimError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| SimError::Tls(e.to_string()))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

async fn accept_loop(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.changed() => return,
        };
        let Ok((tcp, _peer)) = accepted else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let shared = shared.clone();
        let stop = stop.clone();
        match &tls {
            None => {
                tokio::spawn(serve(tcp, shared, stop));
            }
            Some(acc) => {
                let acc = acc.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(Duration::from_secs(10), acc.accept(tcp)).await {
                        Ok(Ok(s)) => serve(s, shared, stop).await,
                        Ok(Err(e)) => tracing::debug!(error = %e, "sim TLS handshake failed"),
                        Err(_) => tracing::debug!("sim TLS handshake timed out"),
                    }
                });
            }
        }
    }
}

/// A running simulator: its addresses, its state and its faults, changeable at run time.
/// Dropping the handle stops the simulator.
#[derive(Debug)]
pub struct SimHandle {
    shared: Arc<Shared>,
    addr: SocketAddr,
    tls_addr: Option<SocketAddr>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("connections", &self.connections.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl SimHandle {
    /// Plain API address.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// API-SSL address, when TLS is on.
    #[must_use]
    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.tls_addr
    }
    /// A copy of the current state.
    #[must_use]
    pub fn state(&self) -> SimState {
        self.shared.snapshot(Clone::clone)
    }
    /// Changes the state; `listen` streams see the change.
    pub fn update<T>(&self, f: impl FnOnce(&mut SimState) -> T) -> T {
        let out = match self.shared.state.write() {
            Ok(mut s) => f(&mut s),
            Err(p) => f(&mut p.into_inner()),
        };
        self.shared.changes.send_modify(|v| *v += 1);
        out
    }
    /// Replaces the whole state.
    pub fn set_state(&self, state: SimState) {
        self.update(|s| *s = state);
    }
    /// Sets an interface's link up or down; false when there is no such interface.
    pub fn set_link(&self, interface: &str, running: bool) -> bool {
        self.update(|s| {
            s.interface_mut(interface)
                .map(|i| i.running = running)
                .is_some()
        })
    }
    /// Sets the number of active PPPoE sessions (e.g. drop 3200 to 50).
    pub fn set_pppoe_sessions(&self, n: u32) {
        self.update(|s| s.pppoe.sessions = n);
    }
    /// Session churn: disconnects the `disconnect` oldest active PPPoE sessions and connects
    /// `connect` new ones whose ids were never used by this router, so two `/ppp/active`
    /// prints differ by session id and not only by count. Returns how many disconnected (at
    /// most the active count). See [`SimPppoe::churn`].
    ///
    /// # Examples
    /// ```
    /// use ispvm_routeros::sim::{SimRouter, SimState};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let sim = SimRouter::builder().state(SimState::concentrator("bras1", 3200)).start().await?;
    /// assert_eq!(sim.churn_pppoe_sessions(2000, 40), 2000); // RADIUS down: few log back in
    /// assert_eq!(sim.state().pppoe.sessions, 1240);
    /// assert_eq!(sim.state().pppoe.first_session(), 2001);
    /// # Ok(()) }
    /// ```
    pub fn churn_pppoe_sessions(&self, disconnect: u32, connect: u32) -> u32 {
        self.update(|s| s.pppoe.churn(disconnect, connect))
    }
    /// Sets a BGP peer established or not; false when there is no such peer.
    pub fn set_bgp_established(&self, remote_address: &str, up: bool) -> bool {
        self.update(|s| {
            s.bgp_peer_mut(remote_address)
                .map(|p| p.established = up)
                .is_some()
        })
    }
    /// Adds `n` timed-out requests to every RADIUS server's counters.
    pub fn add_radius_timeouts(&self, n: u64) {
        self.update(|s| {
            for r in &mut s.radius {
                r.requests += n;
                r.timeouts += n;
            }
        });
    }
    /// Sets the CPU load.
    pub fn set_cpu_load(&self, pct: u8) {
        self.update(|s| s.cpu_load = pct);
    }
    /// Delays every reply by `d` (zero to stop).
    pub fn set_reply_delay(&self, d: Duration) {
        if let Ok(mut f) = self.shared.faults.lock() {
            f.delay = d;
        }
    }
    /// The next reply (on any connection) is cut in the middle of a sentence and the
    /// connection closed.
    pub fn cut_next_reply(&self) {
        if let Ok(mut f) = self.shared.faults.lock() {
            f.cut_next = true;
        }
    }
    /// The next reply (on any connection) is replaced by garbage bytes (starting with a
    /// reserved control byte).
    pub fn garbage_next_reply(&self) {
        if let Ok(mut f) = self.shared.faults.lock() {
            f.garbage_next = true;
        }
    }
    /// Open API connections.
    #[must_use]
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }
    /// Successful logins since start (a client that reuses its connection logs in once).
    #[must_use]
    pub fn logins(&self) -> usize {
        self.shared.logins.load(Ordering::SeqCst)
    }
    /// Closes every open API connection (as a router reboot or a firewall reset would); the
    /// listener keeps accepting new ones.
    pub fn drop_connections(&self) {
        self.shared.kick.send_modify(|v| *v += 1);
    }
    /// Stops listening and closes every connection.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

enum Out {
    /// A reply (or its first part): faults (delay, cut, garbage) apply to it.
    Bytes(BytesMut),
    /// The continuation of the reply sent just before, written as is (or dropped when that
    /// reply was cut or replaced by garbage).
    More(BytesMut),
    Close,
}

/// A print streams its reply in parts of about this size while it produces it, so the client
/// decodes while the simulator is still generating rows.
const STREAM_CHUNK: usize = 64 * 1024;

/// Encodes reply sentences straight into a buffer.
struct Writer<'a> {
    buf: BytesMut,
    tag: Option<&'a [u8]>,
    /// True once part of this reply has been sent ([`Writer::flush_part`]).
    sent_part: bool,
}

impl<'a> Writer<'a> {
    fn new(tag: Option<&'a [u8]>) -> Self {
        Self {
            buf: BytesMut::new(),
            tag,
            sent_part: false,
        }
    }
    /// The bytes to send now (the first part of a reply, or a continuation).
    fn take(&mut self) -> Out {
        let part = self.buf.split();
        if std::mem::replace(&mut self.sent_part, true) {
            Out::More(part)
        } else {
            Out::Bytes(part)
        }
    }
    /// Sends what is buffered once it reaches [`STREAM_CHUNK`] bytes (between sentences).
    fn flush_part(&mut self, tx: &mpsc::UnboundedSender<Out>) {
        if self.buf.len() >= STREAM_CHUNK {
            let _ = tx.send(self.take());
        }
    }
    // The simulator's words are far below the 4 GiB a length prefix can announce, so the
    // writer's only error cannot happen here; a word that could not be written is left out.
    fn word(&mut self, w: &[u8]) {
        let _ = SentenceWriter::new(&mut self.buf).word(w);
    }
    fn attr(&mut self, name: &str, value: &[u8]) {
        let _ = SentenceWriter::new(&mut self.buf).attr(name.as_bytes(), value);
    }
    fn begin(&mut self, reply: &str) {
        let mut w = SentenceWriter::new(&mut self.buf);
        let _ = w.word(reply.as_bytes());
        if let Some(t) = self.tag {
            let _ = w.tag(t);
        }
    }
    fn end(&mut self) {
        SentenceWriter::new(&mut self.buf).end();
    }
    fn sentence(&mut self, reply: &str, attrs: &[(&str, &[u8])]) {
        self.begin(reply);
        for (n, v) in attrs {
            self.attr(n, v);
        }
        self.end();
    }
    fn trap(&mut self, category: u8, message: &str) {
        self.sentence(
            "!trap",
            &[
                ("category", category.to_string().as_bytes()),
                ("message", message.as_bytes()),
            ],
        );
    }
    fn done(&mut self) {
        self.sentence("!done", &[]);
    }
    fn row(&mut self, row: &Row, proplist: Option<&[String]>) {
        self.begin("!re");
        for (n, v) in row {
            if proplist.is_none_or(|p| p.iter().any(|x| x == n)) {
                self.attr(n, v);
            }
        }
        self.end();
    }
}

/// Parsed command sentence.
struct Request {
    path: String,
    attrs: Vec<(String, Vec<u8>)>,
    queries: Vec<Bytes>,
    tag: Option<Bytes>,
}

impl Request {
    fn parse(s: Sentence) -> Self {
        let mut words = s.into_words().into_iter();
        let path = words
            .next()
            .map(|w| String::from_utf8_lossy(&w).into_owned())
            .unwrap_or_default();
        let mut r = Request {
            path,
            attrs: Vec::new(),
            queries: Vec::new(),
            tag: None,
        };
        for w in words {
            if let Some(rest) = w.strip_prefix(b"=") {
                let split = rest.iter().position(|&b| b == b'=');
                let (n, v) = match split {
                    Some(p) => (&rest[..p], rest.get(p + 1..).unwrap_or_default()),
                    None => (rest, &[][..]),
                };
                r.attrs
                    .push((String::from_utf8_lossy(n).into_owned(), v.to_vec()));
            } else if let Some(t) = w.strip_prefix(b".tag=") {
                r.tag = Some(Bytes::copy_from_slice(t));
            } else if w.starts_with(b"?") {
                r.queries.push(w);
            }
        }
        r
    }
    fn attr(&self, name: &str) -> Option<&[u8]> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }
}

struct Conn {
    shared: Arc<Shared>,
    tx: mpsc::UnboundedSender<Out>,
    logged_in: bool,
    challenge: Option<[u8; 16]>,
    streams: HashMap<Bytes, JoinHandle<()>>,
}

async fn serve<S>(io: S, shared: Arc<Shared>, mut stop: watch::Receiver<bool>)
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    shared.connections.fetch_add(1, Ordering::SeqCst);
    let mut kick = shared.kick.subscribe();
    let (mut reader, writer) = tokio::io::split(io);
    let (tx, rx) = mpsc::unbounded_channel();
    let wtask = tokio::spawn(write_loop(writer, rx, shared.clone()));
    let mut conn = Conn {
        shared: shared.clone(),
        tx,
        logged_in: false,
        challenge: None,
        streams: HashMap::new(),
    };
    let mut decoder = Decoder::new(Limits::default());
    let mut buf = BytesMut::with_capacity(4096);
    'conn: loop {
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(s)) => {
                    if !conn.handle(Request::parse(s)) {
                        break 'conn;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::debug!(error = %e, "sim: undecodable input, closing");
                    break 'conn;
                }
            }
        }
        tokio::select! {
            r = reader.read_buf(&mut buf) => match r {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            },
            _ = stop.changed() => break,
            _ = kick.changed() => break,
        }
    }
    for (_, s) in conn.streams.drain() {
        s.abort();
    }
    let _ = conn.tx.send(Out::Close);
    drop(conn);
    let _ = tokio::time::timeout(Duration::from_secs(5), wtask).await;
    shared.connections.fetch_sub(1, Ordering::SeqCst);
}

async fn write_loop<S: AsyncWrite + Send + 'static>(
    mut w: WriteHalf<S>,
    mut rx: mpsc::UnboundedReceiver<Out>,
    shared: Arc<Shared>,
) {
    // The reply being written was replaced by garbage: drop its continuations.
    let mut skip_more = false;
    while let Some(out) = rx.recv().await {
        let bytes = match out {
            Out::Close => break,
            Out::More(b) => {
                if skip_more {
                    continue;
                }
                if w.write_all(&b).await.is_err() || w.flush().await.is_err() {
                    break;
                }
                continue;
            }
            Out::Bytes(b) => b,
        };
        let (delay, cut, garbage) = match shared.faults.lock() {
            Ok(mut f) => (
                f.delay,
                std::mem::take(&mut f.cut_next),
                std::mem::take(&mut f.garbage_next),
            ),
            Err(_) => (Duration::ZERO, false, false),
        };
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        if cut {
            // Stop in the middle of the first word after the length prefix.
            let cut_at = (bytes.len() / 2).clamp(1, 3).min(bytes.len());
            let _ = w.write_all(&bytes[..cut_at]).await;
            let _ = w.flush().await;
            break;
        }
        skip_more = garbage;
        let res = if garbage {
            let mut g = vec![0xF8u8, 0xFF, 0x13, 0x37];
            let mut noise = [0u8; 28];
            rand::thread_rng().fill_bytes(&mut noise);
            g.extend_from_slice(&noise);
            w.write_all(&g).await
        } else {
            w.write_all(&bytes).await
        };
        if res.is_err() || w.flush().await.is_err() {
            break;
        }
    }
    let _ = w.shutdown().await;
}

fn md5_hex(password: &[u8], challenge: &[u8]) -> String {
    let mut h = Md5::new();
    h.update([0u8]);
    h.update(password);
    h.update(challenge);
    format!("00{}", hex::encode(h.finalize()))
}

impl Conn {
    fn send(&self, mut w: Writer<'_>) {
        let _ = self.tx.send(w.take());
    }

    fn version(&self) -> RouterOsVersion {
        self.shared
            .snapshot(|s| s.version.parse())
            .unwrap_or(RouterOsVersion::new(7, 18, 0))
    }

    /// Handles one command; false closes the connection.
    fn handle(&mut self, req: Request) -> bool {
        let tag = req.tag.clone();
        let mut w = Writer::new(tag.as_deref());
        match req.path.as_str() {
            "/login" => {
                self.login(&req, &mut w);
                self.send(w);
                return true;
            }
            "/quit" => {
                w.begin("!fatal");
                w.word(b"session terminated on request");
                w.end();
                self.send(w);
                return false;
            }
            _ if !self.logged_in => {
                w.begin("!fatal");
                w.word(b"not logged in");
                w.end();
                self.send(w);
                return false;
            }
            "/cancel" => {
                self.cancel(&req, &mut w);
                self.send(w);
                return true;
            }
            "/ping" => {
                self.ping(&req, w);
                return true;
            }
            _ => {}
        }
        let v7 = self.version().is_v7();
        let (menu, verb) = req.path.rsplit_once('/').unwrap_or(("", ""));
        let exists = self.shared.snapshot(|s| menu_exists(s, v7, menu));
        match (exists, menu, verb) {
            (true, _, "print" | "getall") => self.print(&req, menu, v7, &mut w),
            (true, _, "listen") => {
                self.listen(&req, menu.to_owned(), v7, w);
                return true;
            }
            (true, "/radius", "monitor") => {
                self.radius_monitor(&req, w);
                return true;
            }
            (true, "/interface", "monitor-traffic") => {
                self.monitor_traffic(&req, w);
                return true;
            }
            _ => {
                w.trap(0, &format!("no such command or directory ({verb})"));
                w.trap(0, "no such command prefix");
                w.done();
            }
        }
        self.send(w);
        true
    }

    fn login(&mut self, req: &Request, w: &mut Writer<'_>) {
        let version = self.version();
        let name = req
            .attr("name")
            .map(|n| String::from_utf8_lossy(n).into_owned());
        let user = |name: &Option<String>| {
            name.as_ref()
                .and_then(|n| self.shared.users.iter().find(|(u, _)| u == n))
                .map(|(_, p)| p.clone())
        };
        let refuse = |w: &mut Writer<'_>| {
            w.trap(0, "invalid user name or password (6)");
            w.done();
        };
        if let Some(resp) = req.attr("response") {
            let ok = match (self.challenge.take(), user(&name)) {
                (Some(ch), Some(pw)) => md5_hex(pw.expose(), &ch).as_bytes() == resp,
                _ => false,
            };
            if ok {
                self.logged_in = true;
                self.shared.logins.fetch_add(1, Ordering::SeqCst);
                w.done();
            } else {
                refuse(w);
            }
            return;
        }
        if !version.has_plain_login() {
            let mut ch = [0u8; 16];
            rand::thread_rng().fill_bytes(&mut ch);
            self.challenge = Some(ch);
            w.sentence("!done", &[("ret", hex::encode(ch).as_bytes())]);
            return;
        }
        match (user(&name), req.attr("password")) {
            (Some(pw), Some(given)) if pw.expose() == given => {
                self.logged_in = true;
                self.shared.logins.fetch_add(1, Ordering::SeqCst);
                w.done();
            }
            _ => refuse(w),
        }
    }

    fn cancel(&mut self, req: &Request, w: &mut Writer<'_>) {
        let targets: Vec<Bytes> = match req.attr("tag") {
            Some(t) => vec![Bytes::copy_from_slice(t)],
            None => self.streams.keys().cloned().collect(),
        };
        for t in targets {
            if let Some(task) = self.streams.remove(&t) {
                if task.is_finished() {
                    continue;
                }
                task.abort();
                let mut cw = Writer::new(Some(&t));
                cw.trap(2, "interrupted");
                cw.done();
                self.send(cw);
            }
        }
        w.done();
    }

    fn print(&mut self, req: &Request, menu: &str, v7: bool, w: &mut Writer<'_>) {
        let stats = req.attr("stats").is_some() || req.attr("stats-detail").is_some();
        let queries: Result<Vec<QueryWord>, _> =
            req.queries.iter().map(|q| QueryWord::parse(q)).collect();
        let queries = match queries {
            Ok(q) => q,
            Err(e) => {
                w.trap(1, &e.to_string());
                w.done();
                return;
            }
        };
        let proplist: Option<Vec<String>> = req.attr(".proplist").map(|p| {
            String::from_utf8_lossy(p)
                .split(',')
                .map(|s| s.trim().to_owned())
                .collect()
        });
        let elapsed = self.shared.elapsed();
        let empty_reply = self.version().has_empty_reply();
        let count_only = req.attr("count-only").is_some();
        let tx = &self.tx;
        let result = self.shared.snapshot(|s| {
            let mut n = 0u64;
            for_each_menu_row(s, v7, menu, elapsed, stats, |row| {
                let m = eval_query(&queries, |name| {
                    row.iter()
                        .find(|(k, _)| *k == name)
                        .map(|(_, v)| v.as_slice())
                })?;
                if m {
                    n += 1;
                    if !count_only {
                        w.row(row, proplist.as_deref());
                        w.flush_part(tx);
                    }
                }
                Ok::<(), crate::proto::QueryError>(())
            })?;
            Ok::<u64, crate::proto::QueryError>(n)
        });
        match result {
            Err(e) => {
                w.trap(1, &e.to_string());
                w.done();
            }
            Ok(n) if count_only => w.sentence("!done", &[("ret", n.to_string().as_bytes())]),
            Ok(0) if empty_reply => {
                w.sentence("!empty", &[]);
                w.done();
            }
            Ok(_) => w.done(),
        }
    }

    /// Starts a stream task that sends what `next` produces until cancelled.
    fn spawn_stream<F>(&mut self, tag: Option<Bytes>, f: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        let task = tokio::spawn(f);
        match tag {
            Some(t) => {
                if let Some(old) = self.streams.insert(t, task) {
                    old.abort();
                }
            }
            // Untagged streams can only be ended by closing the connection (or /cancel
            // without a tag).
            None => {
                self.streams.insert(
                    Bytes::from(format!("untagged-{}", self.streams.len())),
                    task,
                );
            }
        }
    }

    fn listen(&mut self, req: &Request, menu: String, v7: bool, _w: Writer<'_>) {
        let shared = self.shared.clone();
        let tx = self.tx.clone();
        let tag = req.tag.clone();
        let mut changes = shared.changes.subscribe();
        let task = async move {
            let key = |r: &Row| {
                r.iter()
                    .find(|(k, _)| *k == ".id")
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            // Counters that move with time are not "changes".
            let stable = |r: &Row| -> Row {
                r.iter()
                    .filter(|(k, _)| !matches!(*k, "rx-byte" | "tx-byte" | "uptime" | "adjacency"))
                    .cloned()
                    .collect()
            };
            let mut last: HashMap<Vec<u8>, Row> = shared.snapshot(|s| {
                menu_rows(s, v7, &menu, 0, false)
                    .iter()
                    .map(|r| (key(r), stable(r)))
                    .collect()
            });
            while changes.changed().await.is_ok() {
                let rows = shared.snapshot(|s| menu_rows(s, v7, &menu, shared.elapsed(), false));
                let mut w = Writer::new(tag.as_deref());
                let mut seen = HashMap::new();
                for r in &rows {
                    let k = key(r);
                    let st = stable(r);
                    if last.get(&k) != Some(&st) {
                        w.row(r, None);
                    }
                    seen.insert(k, st);
                }
                for k in last.keys() {
                    if !seen.contains_key(k) {
                        w.sentence("!re", &[(".id", k), (".dead", b"true")]);
                    }
                }
                last = seen;
                if !w.buf.is_empty() && tx.send(Out::Bytes(w.buf)).is_err() {
                    return;
                }
            }
        };
        self.spawn_stream(req.tag.clone(), task);
    }

    fn periodic<G>(&mut self, req: &Request, count: Option<u64>, interval: Duration, mut gen_row: G)
    where
        G: FnMut(&Shared, u64) -> Option<Row> + Send + 'static,
    {
        let shared = self.shared.clone();
        let tx = self.tx.clone();
        let tag = req.tag.clone();
        let task = async move {
            let mut i = 0u64;
            loop {
                let mut w = Writer::new(tag.as_deref());
                match gen_row(&shared, i) {
                    Some(row) => w.row(&row, None),
                    None => {
                        w.trap(0, "no such item");
                        w.done();
                        let _ = tx.send(Out::Bytes(w.buf));
                        return;
                    }
                }
                i += 1;
                let finished = count.is_some_and(|c| i >= c);
                if finished {
                    w.done();
                }
                if tx.send(Out::Bytes(w.buf)).is_err() || finished {
                    return;
                }
                tokio::time::sleep(interval).await;
            }
        };
        self.spawn_stream(req.tag.clone(), task);
    }

    fn interval(req: &Request) -> Duration {
        req.attr("interval")
            .and_then(|v| std::str::from_utf8(v).ok())
            .and_then(crate::adapter::parse_duration)
            .unwrap_or(Duration::from_secs(1))
            .max(Duration::from_millis(10))
    }

    fn radius_monitor(&mut self, req: &Request, _w: Writer<'_>) {
        let idx = req
            .attr("numbers")
            .and_then(|v| std::str::from_utf8(v).ok())
            .and_then(|v| {
                v.strip_prefix('*')
                    .and_then(|h| usize::from_str_radix(h, 16).ok())
                    .map(|n| n.saturating_sub(1))
                    .or_else(|| v.parse().ok())
            })
            .unwrap_or(usize::MAX);
        let once = req.attr("once").is_some();
        let interval = Self::interval(req);
        self.periodic(req, once.then_some(1), interval, move |sh, _| {
            sh.snapshot(|s| radius_monitor_row(s, idx))
        });
    }

    fn monitor_traffic(&mut self, req: &Request, _w: Writer<'_>) {
        let name = req
            .attr("interface")
            .map(|v| v.to_vec())
            .unwrap_or_default();
        let once = req.attr("once").is_some();
        let interval = Self::interval(req);
        self.periodic(req, once.then_some(1), interval, move |sh, _| {
            sh.snapshot(|s| {
                let f = s.interfaces.iter().find(|i| i.name.as_bytes() == name)?;
                let live = f.running && !f.disabled;
                let rate = |bps: u64| if live { bps } else { 0 };
                Some(vec![
                    ("name", f.name.clone().into_bytes()),
                    (
                        "rx-bits-per-second",
                        rate(f.rx_bps).to_string().into_bytes(),
                    ),
                    (
                        "tx-bits-per-second",
                        rate(f.tx_bps).to_string().into_bytes(),
                    ),
                    (
                        "rx-packets-per-second",
                        (rate(f.rx_bps) / 6400).to_string().into_bytes(),
                    ),
                    (
                        "tx-packets-per-second",
                        (rate(f.tx_bps) / 6400).to_string().into_bytes(),
                    ),
                ])
            })
        });
    }

    fn ping(&mut self, req: &Request, _w: Writer<'_>) {
        let host = req.attr("address").map(|v| v.to_vec()).unwrap_or_default();
        let count = req
            .attr("count")
            .and_then(|v| std::str::from_utf8(v).ok())
            .and_then(|v| v.parse().ok());
        let interval = Self::interval(req);
        self.periodic(req, count, interval, move |_, seq| {
            Some(vec![
                ("seq", seq.to_string().into_bytes()),
                ("host", host.clone()),
                ("size", b"56".to_vec()),
                ("ttl", b"64".to_vec()),
                ("time", b"1ms".to_vec()),
                ("sent", (seq + 1).to_string().into_bytes()),
                ("received", (seq + 1).to_string().into_bytes()),
                ("packet-loss", b"0".to_vec()),
            ])
        });
    }
}
