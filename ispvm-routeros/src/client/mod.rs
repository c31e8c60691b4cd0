//! Async RouterOS API client (tokio): TCP or TLS, login, tag multiplexing, streams, timeouts.
//!
//! ```text
//! Client::connect ──TCP/TLS──> login (plain; MD5 challenge when the reply carries =ret=)
//!   command()  ─┐   every command gets a .tag; one reader task routes replies by tag
//!   stream()   ─┴─> !re rows ... !done      (a !trap is always followed by its !done)
//! ```
//!
//! A timed-out command poisons its connection: it is closed and never reused with a stale
//! reply pending. [`Session`] reconnects with jittered exponential [`Backoff`].
//!
//! # Examples
//! ```no_run
//! use ispvm_routeros::client::{Client, ClientConfig};
//! use ispvm_routeros::proto::{Command, Query};
//! use ispvm_routeros::Secret;
//!
//! # async fn run() -> Result<(), ispvm_routeros::client::ClientError> {
//! let client = Client::connect(&ClientConfig::new("192.0.2.1", "monitor", Secret::new("pw"))).await?;
//! let n = client
//!     .command(Command::new("/ppp/active/print").flag("count-only").query(Query::eq("service", "pppoe")))
//!     .await?
//!     .count();
//! println!("{n:?} PPPoE sessions");
//! # Ok(()) }
//! ```

mod backoff;
mod tls;

use std::collections::HashMap;
use std::fmt;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::BytesMut;
use futures::Stream;
use md5::{Digest, Md5};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

pub use backoff::{Backoff, Session};
pub use tls::TlsOptions;

use crate::Secret;
use crate::proto::{
    Command, DecodeError, Decoder, EncodeError, Limits, Reply, ReplyError, ReplyKind, Trap,
};
use ispvm_model::ErrorCause;
use ispvm_model::quote::bounded;

/// Plain API port.
pub const API_PORT: u16 = 8728;
/// API-SSL port.
pub const API_SSL_PORT: u16 = 8729;

/// Why a client operation failed. Never carries the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// TCP connection failed (refused, no route, DNS).
    #[error("cannot connect to {address}: {source}")]
    Connect {
        /// `host:port`.
        address: String,
        /// The system's error (an `io::Error`).
        #[source]
        source: ErrorCause,
    },
    /// TLS configuration or handshake failed.
    #[error("TLS: {reason}")]
    Tls {
        /// What failed.
        reason: String,
        /// The TLS or I/O error behind it, when there is one.
        #[source]
        source: Option<ErrorCause>,
    },
    /// An operation took longer than its timeout.
    #[error("{operation} timed out after {after:?}")]
    Timeout {
        /// `connect`, `login` or the command word.
        operation: String,
        /// The timeout.
        after: Duration,
    },
    /// The device refused the login.
    #[error("login refused: {}", bounded(message))]
    Login {
        /// The device's message.
        message: String,
    },
    /// The command failed with one or more `!trap`s.
    #[error("{command}: {}", traps.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Trap {
        /// The command word.
        command: String,
        /// The traps, in order.
        traps: Vec<Trap>,
    },
    /// The device sent `!fatal` and closed the connection.
    #[error("device closed the session: {}", bounded(reason))]
    Fatal {
        /// The reason word.
        reason: String,
    },
    /// The device broke the framing.
    #[error("protocol: {0}")]
    Decode(#[from] DecodeError),
    /// The device sent a sentence that is not a reply.
    #[error("protocol: {0}")]
    Reply(#[from] ReplyError),
    /// A command could not be encoded.
    #[error("encoding: {0}")]
    Encode(#[from] EncodeError),
    /// A reply had more rows than allowed.
    #[error("{command}: more than {max} rows")]
    TooManyRows {
        /// The command word.
        command: String,
        /// The limit.
        max: usize,
    },
    /// The connection is closed (by the peer, an I/O error or an earlier timeout).
    #[error("connection closed: {reason}")]
    Closed {
        /// Why.
        reason: String,
        /// The I/O error that closed it, when there is one.
        #[source]
        source: Option<ErrorCause>,
    },
    /// The device answered something this client did not expect.
    #[error("unexpected reply: {}", bounded(message))]
    Unexpected {
        /// What was wrong.
        message: String,
    },
    /// [`Session`] is waiting before the next reconnection attempt.
    #[error("not reconnecting for another {retry_in:?} after: {last_error}")]
    Backoff {
        /// Time left before the next attempt.
        retry_in: Duration,
        /// The error of the last attempt.
        #[source]
        last_error: Box<ClientError>,
    },
}

impl ClientError {
    /// [`ClientError::Closed`] without an underlying error.
    pub(crate) fn closed(reason: impl Into<String>) -> Self {
        ClientError::Closed {
            reason: reason.into(),
            source: None,
        }
    }

    /// [`ClientError::Closed`] by an I/O error (kept as the source).
    pub(crate) fn closed_by(error: std::io::Error) -> Self {
        ClientError::Closed {
            reason: error.to_string(),
            source: Some(ErrorCause::new(error)),
        }
    }

    /// [`ClientError::Tls`] without an underlying error.
    pub(crate) fn tls(reason: impl Into<String>) -> Self {
        ClientError::Tls {
            reason: reason.into(),
            source: None,
        }
    }

    /// [`ClientError::Tls`] caused by `error` (kept as the source).
    pub(crate) fn tls_caused(
        reason: impl Into<String>,
        error: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        ClientError::Tls {
            reason: reason.into(),
            source: Some(ErrorCause::new(error)),
        }
    }

    /// True for errors that mean the device could not be reached (as opposed to refused).
    #[must_use]
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            ClientError::Connect { .. }
                | ClientError::Tls { .. }
                | ClientError::Closed { .. }
                | ClientError::Backoff { .. }
                | ClientError::Fatal { .. }
        )
    }
}

/// Where and how to connect and log in.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use ispvm_routeros::client::{ClientConfig, TlsOptions};
/// use ispvm_routeros::Secret;
/// let c = ClientConfig::new("10.0.0.1", "monitor", Secret::new("pw"))
///     .with_tls(TlsOptions::new())
///     .with_command_timeout(Duration::from_secs(5));
/// assert_eq!(c.port(), 8729);
/// assert!(!format!("{c:?}").contains("pw\""));
/// ```
#[derive(Debug, Clone)]
pub struct ClientConfig {
    host: String,
    port: Option<u16>,
    user: String,
    password: Secret,
    tls: Option<TlsOptions>,
    connect_timeout: Duration,
    login_timeout: Duration,
    command_timeout: Duration,
    limits: Limits,
    max_rows: usize,
}

impl ClientConfig {
    /// Host (name or IP), user and password; plain TCP on port 8728; timeouts 5 s connect,
    /// 10 s login, 30 s per command.
    #[must_use]
    pub fn new(host: impl Into<String>, user: impl Into<String>, password: Secret) -> Self {
        Self {
            host: host.into(),
            port: None,
            user: user.into(),
            password,
            tls: None,
            connect_timeout: Duration::from_secs(5),
            login_timeout: Duration::from_secs(10),
            command_timeout: Duration::from_secs(30),
            limits: Limits::default(),
            max_rows: 1_000_000,
        }
    }
    /// Sets the port (default 8728, or 8729 with TLS).
    #[must_use]
    pub fn with_port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }
    /// Uses API-SSL.
    #[must_use]
    pub fn with_tls(mut self, tls: TlsOptions) -> Self {
        self.tls = Some(tls);
        self
    }
    /// Sets the connect timeout (TCP and TLS handshake).
    #[must_use]
    pub fn with_connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = t;
        self
    }
    /// Sets the login timeout.
    #[must_use]
    pub fn with_login_timeout(mut self, t: Duration) -> Self {
        self.login_timeout = t;
        self
    }
    /// Sets the timeout of each command.
    #[must_use]
    pub fn with_command_timeout(mut self, t: Duration) -> Self {
        self.command_timeout = t;
        self
    }
    /// Sets the decoder limits.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
    /// Sets the most rows one command may return (default 1,000,000).
    #[must_use]
    pub fn with_max_rows(mut self, n: usize) -> Self {
        self.max_rows = n;
        self
    }
    /// The host.
    #[must_use]
    pub fn host(&self) -> &str {
        &self.host
    }
    /// The user.
    #[must_use]
    pub fn user(&self) -> &str {
        &self.user
    }
    /// The port in use.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(if self.tls.is_some() {
            API_SSL_PORT
        } else {
            API_PORT
        })
    }
    /// True with TLS.
    #[must_use]
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }
    /// The per-command timeout.
    #[must_use]
    pub fn command_timeout(&self) -> Duration {
        self.command_timeout
    }
    /// `host:port` (IPv6 in brackets).
    #[must_use]
    pub fn address(&self) -> String {
        if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]:{}", self.host, self.port())
        } else {
            format!("{}:{}", self.host, self.port())
        }
    }
}

/// The result of a command that completed with `!done`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Response {
    /// `!re` rows, in order.
    pub rows: Vec<Reply>,
    /// The `!done` sentence.
    pub done: Reply,
    /// True when the device answered `!empty` (RouterOS 7.18+).
    pub empty: bool,
}

impl Response {
    /// The `=ret=` count of a `=count-only=` print (also read from a single row, as some
    /// versions answer that way).
    #[must_use]
    pub fn count(&self) -> Option<u64> {
        self.done
            .ret()
            .and_then(|v| v.parse())
            .or_else(|| match self.rows.as_slice() {
                [row] => row.ret().and_then(|v| v.parse()),
                _ => None,
            })
    }
}

trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// Replies travel from the reader to their command in batches: consecutive replies with the
/// same tag decoded from one read go through the channel (and the routes lock) once.
type Batch = Vec<Reply>;
type Routes = HashMap<u64, mpsc::UnboundedSender<Batch>>;

struct Shared {
    routes: Mutex<Result<Routes, ClientError>>,
    closed: AtomicBool,
}

impl Shared {
    fn close(&self, err: ClientError) {
        self.closed.store(true, Ordering::SeqCst);
        if let Ok(mut r) = self.routes.lock() {
            if r.is_ok() {
                *r = Err(err);
            }
        }
    }
    fn close_reason(&self) -> ClientError {
        match self.routes.lock() {
            Ok(r) => match &*r {
                Err(e) => e.clone(),
                Ok(_) => ClientError::closed("closed"),
            },
            Err(_) => ClientError::closed("lock poisoned"),
        }
    }
}

struct Inner {
    writer: tokio::sync::Mutex<WriteHalf<Box<dyn Io>>>,
    shared: Arc<Shared>,
    next_tag: AtomicU64,
    reader: JoinHandle<()>,
    command_timeout: Duration,
    max_rows: usize,
    peer: String,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// A logged-in connection. Cheap to clone; clones share the connection and may run commands
/// concurrently (each command has its own tag).
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("peer", &self.inner.peer)
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// Hands a batch of replies for `tag` to its command; forgets the route after `!done`.
/// Returns false when the routes are gone (connection closed).
fn deliver(shared: &Shared, tag: u64, batch: Batch, last: bool) -> bool {
    let Ok(mut routes) = shared.routes.lock() else {
        return false;
    };
    let Ok(map) = routes.as_mut() else {
        return false;
    };
    if let Some(tx) = map.get(&tag) {
        if tx.send(batch).is_err() {
            // The caller went away; keep routing until !done, then forget.
        }
    } else {
        tracing::debug!(tag, "reply for an unknown tag ignored");
    }
    if last {
        map.remove(&tag);
    }
    true
}

async fn read_loop(mut reader: ReadHalf<Box<dyn Io>>, shared: Arc<Shared>, limits: Limits) {
    let mut decoder = Decoder::new(limits);
    let mut buf = BytesMut::new();
    // True while the device sends faster than small reads drain (a large reply).
    let mut big = false;
    // Replies decoded but not yet delivered, all for one tag.
    let mut pending: Option<(u64, Batch)> = None;
    let err = loop {
        match decoder.decode(&mut buf) {
            Ok(Some(sentence)) => {
                let reply = match Reply::parse(sentence) {
                    Ok(r) => r,
                    Err(e) => break ClientError::Reply(e),
                };
                if reply.kind() == ReplyKind::Fatal {
                    break ClientError::Fatal {
                        reason: reply.fatal_reason().unwrap_or_default(),
                    };
                }
                let tag = reply
                    .tag()
                    .and_then(|t| std::str::from_utf8(t).ok())
                    .and_then(|t| t.parse::<u64>().ok());
                let Some(tag) = tag else {
                    tracing::warn!(reply = ?reply.kind(), "untagged reply ignored");
                    continue;
                };
                let last = reply.kind() == ReplyKind::Done;
                match &mut pending {
                    Some((t, batch)) if *t == tag => batch.push(reply),
                    _ => {
                        if let Some((t, batch)) = pending.take() {
                            if !deliver(&shared, t, batch, false) {
                                return;
                            }
                        }
                        pending = Some((tag, vec![reply]));
                    }
                }
                if last {
                    if let Some((t, batch)) = pending.take() {
                        if !deliver(&shared, t, batch, true) {
                            return;
                        }
                    }
                }
                continue;
            }
            Ok(None) => {}
            Err(e) => break ClientError::Decode(e),
        }
        // Everything whole in the buffer is decoded: deliver before waiting for more bytes.
        if let Some((t, batch)) = pending.take() {
            if !deliver(&shared, t, batch, false) {
                return;
            }
        }
        prepare_read(&mut buf, big);
        let spare = buf.capacity() - buf.len();
        match reader.read_buf(&mut buf).await {
            Ok(n) if n > 0 => big = n >= spare.min(SMALL_READ),
            Ok(_) => {
                break ClientError::closed(if buf.is_empty() {
                    "connection closed by the device"
                } else {
                    "connection closed in the middle of a sentence"
                });
            }
            Err(e) => {
                break ClientError::closed_by(e);
            }
        }
    };
    // Rows decoded before the failure still reach their command, as they arrived.
    if let Some((t, batch)) = pending.take() {
        deliver(&shared, t, batch, false);
    }
    tracing::debug!(error = %err, "API connection ended");
    shared.close(err);
}

/// Read size while idle or reading small replies.
const SMALL_READ: usize = 4 * 1024;
/// Read size while a large reply streams in.
const LARGE_READ: usize = 64 * 1024;

/// Makes room for the next read without pinning memory on idle connections.
///
/// Decoded words share the read buffer's memory, and a `BytesMut` only moves forward through
/// its allocation. With one fixed 64 KiB buffer per connection, every poll advanced the
/// cursor a few KiB further and touched fresh pages, so a poller's resident set crept up
/// cycle after cycle until every connection's whole 64 KiB was resident (1,000 routers:
/// about 62 MiB). Once every byte is consumed the buffer is let go (rows still holding it
/// keep it alive until they drop) and the next read starts in a small one; reads grow to
/// 64 KiB only while a large reply fills them.
fn prepare_read(buf: &mut BytesMut, big: bool) {
    if buf.is_empty() && buf.capacity() > SMALL_READ {
        *buf = BytesMut::new();
    }
    let want = if big { LARGE_READ } else { SMALL_READ };
    if buf.capacity() - buf.len() < want / 4 {
        buf.reserve(want);
    }
}

fn md5_response(password: &Secret, challenge_hex: &[u8]) -> Result<String, ClientError> {
    let challenge = hex::decode(challenge_hex).map_err(|_| ClientError::Login {
        message: "malformed login challenge".into(),
    })?;
    let mut h = Md5::new();
    h.update([0u8]);
    h.update(password.expose());
    h.update(&challenge);
    Ok(format!("00{}", hex::encode(h.finalize())))
}

impl Client {
    /// Connects (TCP, then TLS when configured) and logs in.
    ///
    /// # Errors
    /// [`ClientError::Connect`]/[`ClientError::Tls`] when the device cannot be reached,
    /// [`ClientError::Login`] when it refuses the credentials, [`ClientError::Timeout`].
    pub async fn connect(config: &ClientConfig) -> Result<Client, ClientError> {
        let address = config.address();
        let timeout = |operation: &str, after| ClientError::Timeout {
            operation: operation.into(),
            after,
        };
        let tcp = tokio::time::timeout(
            config.connect_timeout,
            TcpStream::connect((config.host.as_str(), config.port())),
        )
        .await
        .map_err(|_| timeout("connect", config.connect_timeout))?
        .map_err(|e| ClientError::Connect {
            address: address.clone(),
            source: ErrorCause::new(e),
        })?;
        let _ = tcp.set_nodelay(true);
        let io: Box<dyn Io> = match &config.tls {
            None => Box::new(tcp),
            Some(tls) => {
                let cfg = tls.client_config()?;
                let name = tls.server_name().unwrap_or(config.host.as_str()).to_owned();
                let name = rustls::pki_types::ServerName::try_from(name)
                    .map_err(|e| ClientError::tls_caused(format!("invalid server name: {e}"), e))?;
                let connector = tokio_rustls::TlsConnector::from(cfg);
                let stream =
                    tokio::time::timeout(config.connect_timeout, connector.connect(name, tcp))
                        .await
                        .map_err(|_| timeout("TLS handshake", config.connect_timeout))?
                        .map_err(|e| ClientError::tls_caused(e.to_string(), e))?;
                Box::new(stream)
            }
        };
        let client = Self::from_io(io, address, config);
        tokio::time::timeout(
            config.login_timeout,
            client.login(&config.user, &config.password),
        )
        .await
        .map_err(|_| {
            client
                .inner
                .shared
                .close(timeout("login", config.login_timeout));
            timeout("login", config.login_timeout)
        })??;
        Ok(client)
    }

    fn from_io(io: Box<dyn Io>, peer: String, config: &ClientConfig) -> Self {
        let (r, w) = tokio::io::split(io);
        let shared = Arc::new(Shared {
            routes: Mutex::new(Ok(HashMap::new())),
            closed: AtomicBool::new(false),
        });
        let reader = tokio::spawn(read_loop(r, shared.clone(), config.limits));
        Client {
            inner: Arc::new(Inner {
                writer: tokio::sync::Mutex::new(w),
                shared,
                next_tag: AtomicU64::new(1),
                reader,
                command_timeout: config.command_timeout,
                max_rows: config.max_rows,
                peer,
            }),
        }
    }

    async fn login(&self, user: &str, password: &Secret) -> Result<(), ClientError> {
        let plain = Command::new("/login")
            .attr("name", user)
            .attr("password", password.expose());
        let refused = |e: ClientError| match e {
            ClientError::Trap { traps, .. } => ClientError::Login {
                message: traps
                    .first()
                    .map_or_else(|| "refused".to_owned(), |t| t.message.clone()),
            },
            other => other,
        };
        let resp = self.command(plain).await.map_err(refused)?;
        let Some(challenge) = resp.done.ret() else {
            return Ok(());
        };
        // Pre-6.43 device: it ignored the password and sent an MD5 challenge.
        tracing::debug!("legacy MD5 challenge login");
        let response = md5_response(password, challenge.as_bytes())?;
        let legacy = Command::new("/login")
            .attr("name", user)
            .attr("response", response);
        self.command(legacy).await.map_err(refused)?;
        Ok(())
    }

    /// True once the connection is closed (peer, error, `!fatal` or an earlier timeout).
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.inner.shared.closed.load(Ordering::SeqCst)
    }

    /// Closes the connection; pending commands fail with [`ClientError::Closed`].
    pub fn close(&self) {
        self.inner
            .shared
            .close(ClientError::closed("closed by the client"));
        self.inner.reader.abort();
    }

    async fn send(
        &self,
        cmd: Command,
    ) -> Result<(u64, mpsc::UnboundedReceiver<Batch>), ClientError> {
        let tag = self.inner.next_tag.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::unbounded_channel();
        {
            let mut routes = self
                .inner
                .shared
                .routes
                .lock()
                .map_err(|_| ClientError::closed("lock poisoned"))?;
            match routes.as_mut() {
                Ok(map) => {
                    map.insert(tag, tx);
                }
                Err(e) => return Err(e.clone()),
            }
        }
        let sentence = cmd.tag(&tag.to_string()).into_sentence();
        let mut bytes = BytesMut::with_capacity(sentence.encoded_len());
        sentence.encode(&mut bytes)?;
        let mut w = self.inner.writer.lock().await;
        let res = async {
            w.write_all(&bytes).await?;
            w.flush().await
        }
        .await;
        if let Err(e) = res {
            let err = ClientError::closed_by(e);
            self.inner.shared.close(err.clone());
            return Err(err);
        }
        Ok((tag, rx))
    }

    fn closed_error(&self) -> ClientError {
        self.inner.shared.close_reason()
    }

    /// Runs a command and collects its rows until `!done`.
    ///
    /// Traps are collected until the `!done` that always follows them, then returned as
    /// [`ClientError::Trap`]. On timeout the connection is closed (never reused with a
    /// stale reply pending).
    ///
    /// # Errors
    /// [`ClientError::Trap`], [`ClientError::Timeout`], [`ClientError::Closed`],
    /// [`ClientError::Fatal`], [`ClientError::TooManyRows`].
    pub async fn command(&self, cmd: Command) -> Result<Response, ClientError> {
        let mut rows = Vec::new();
        let (done, empty) = self.run(cmd, |row| rows.push(row)).await?;
        Ok(Response { rows, done, empty })
    }

    /// Runs a command (typically a full `print`) and counts the `!re` rows for which `keep`
    /// is true, dropping each row as soon as it is counted instead of collecting them.
    ///
    /// The same rules as [`Client::command`] apply: the row limit
    /// ([`ClientConfig::with_max_rows`]) counts every row received, traps end in
    /// [`ClientError::Trap`], a timeout closes the connection. Prefer `=count-only=` when the
    /// device can filter (it sends no rows at all); use this when the rows must be looked at.
    ///
    /// # Errors
    /// As [`Client::command`].
    ///
    /// # Examples
    /// ```no_run
    /// use ispvm_routeros::client::Client;
    /// use ispvm_routeros::proto::Command;
    /// # async fn run(client: Client) -> Result<(), ispvm_routeros::client::ClientError> {
    /// let pppoe = client
    ///     .count_rows(Command::new("/ppp/active/print"), |row| {
    ///         row.get("service").and_then(|v| v.as_str()) == Some("pppoe")
    ///     })
    ///     .await?;
    /// println!("{pppoe} PPPoE sessions");
    /// # Ok(()) }
    /// ```
    pub async fn count_rows(
        &self,
        cmd: Command,
        mut keep: impl FnMut(&Reply) -> bool + Send,
    ) -> Result<u64, ClientError> {
        let mut n = 0u64;
        self.run(cmd, |row| {
            if keep(&row) {
                n += 1;
            }
        })
        .await?;
        Ok(n)
    }

    /// Runs a command, handing each `!re` row to `on_row`; returns the `!done` reply and
    /// whether the device answered `!empty`.
    async fn run(
        &self,
        cmd: Command,
        mut on_row: impl FnMut(Reply) + Send,
    ) -> Result<(Reply, bool), ClientError> {
        let name = String::from_utf8_lossy(cmd.path()).into_owned();
        let after = self.inner.command_timeout;
        let fut = async {
            let (_tag, mut rx) = self.send(cmd).await?;
            let mut rows = 0usize;
            let mut traps = Vec::new();
            let mut empty = false;
            let mut batch = Vec::new().into_iter();
            loop {
                let Some(reply) = batch.next() else {
                    match rx.recv().await {
                        Some(b) => batch = b.into_iter(),
                        None => return Err(self.closed_error()),
                    }
                    continue;
                };
                match reply.kind() {
                    ReplyKind::Re => {
                        if rows >= self.inner.max_rows {
                            return Err(ClientError::TooManyRows {
                                command: name.clone(),
                                max: self.inner.max_rows,
                            });
                        }
                        rows += 1;
                        on_row(reply);
                    }
                    ReplyKind::Empty => empty = true,
                    ReplyKind::Trap => traps.extend(reply.trap()),
                    ReplyKind::Done => {
                        if !traps.is_empty() {
                            return Err(ClientError::Trap {
                                command: name.clone(),
                                traps,
                            });
                        }
                        return Ok((reply, empty));
                    }
                    // Fatal is handled by the reader; other kinds cannot be routed here.
                    _ => {}
                }
            }
        };
        match tokio::time::timeout(after, fut).await {
            Ok(r) => {
                if let Err(ClientError::TooManyRows { .. }) = &r {
                    self.inner
                        .shared
                        .close(ClientError::closed("abandoned an oversized reply"));
                }
                r
            }
            Err(_) => {
                let err = ClientError::Timeout {
                    operation: name,
                    after,
                };
                self.inner.shared.close(err.clone());
                Err(err)
            }
        }
    }

    /// Starts a streaming command (`listen`, `monitor`, `ping` without count...). Rows arrive
    /// as a [`ReplyStream`]; end it with [`ReplyStream::cancel`].
    ///
    /// # Errors
    /// [`ClientError::Closed`] when the connection is gone.
    pub async fn stream(&self, cmd: Command) -> Result<ReplyStream, ClientError> {
        let name = String::from_utf8_lossy(cmd.path()).into_owned();
        let (tag, rx) = self.send(cmd).await?;
        Ok(ReplyStream {
            client: self.clone(),
            tag,
            rx,
            buffered: Vec::new().into_iter(),
            finished: false,
            name,
        })
    }
}

/// Rows of a streaming command. Ends after the device's `!done`.
///
/// Dropping a stream that has not finished sends `/cancel` in the background.
pub struct ReplyStream {
    client: Client,
    tag: u64,
    rx: mpsc::UnboundedReceiver<Batch>,
    /// Replies received in a batch and not yet returned.
    buffered: std::vec::IntoIter<Reply>,
    finished: bool,
    name: String,
}

impl fmt::Debug for ReplyStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplyStream")
            .field("command", &self.name)
            .field("tag", &self.tag)
            .field("finished", &self.finished)
            .finish()
    }
}

impl ReplyStream {
    /// The tag of the streaming command.
    #[must_use]
    pub fn tag(&self) -> u64 {
        self.tag
    }

    /// Sends `/cancel` for this command and waits for its `!done` (the "interrupted" trap
    /// is expected and swallowed).
    ///
    /// # Errors
    /// [`ClientError`] when the connection fails or times out meanwhile.
    pub async fn cancel(mut self) -> Result<(), ClientError> {
        if self.finished {
            return Ok(());
        }
        let cancel = Command::new("/cancel").attr("tag", self.tag.to_string());
        let client = self.client.clone();
        let after = client.inner.command_timeout;
        let drain = async {
            client.command(cancel).await?;
            loop {
                if let Some(r) = self.buffered.next() {
                    if r.kind() == ReplyKind::Done {
                        self.finished = true;
                        return Ok(());
                    }
                    continue;
                }
                match self.rx.recv().await {
                    Some(b) => self.buffered = b.into_iter(),
                    None => break,
                }
            }
            Err(client.closed_error())
        };
        match tokio::time::timeout(after, drain).await {
            Ok(r) => r,
            Err(_) => {
                let err = ClientError::Timeout {
                    operation: "/cancel".into(),
                    after,
                };
                client.inner.shared.close(err.clone());
                Err(err)
            }
        }
    }
}

impl Stream for ReplyStream {
    type Item = Result<Reply, ClientError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if self.finished {
                return Poll::Ready(None);
            }
            let next = match self.buffered.next() {
                Some(r) => Some(r),
                None => match self.rx.poll_recv(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(None) => None,
                    Poll::Ready(Some(b)) => {
                        self.buffered = b.into_iter();
                        continue;
                    }
                },
            };
            match next {
                None => {
                    self.finished = true;
                    return Poll::Ready(Some(Err(self.client.closed_error())));
                }
                Some(r) => match r.kind() {
                    ReplyKind::Re => return Poll::Ready(Some(Ok(r))),
                    ReplyKind::Done => {
                        self.finished = true;
                        return Poll::Ready(None);
                    }
                    ReplyKind::Trap => {
                        let trap = r.trap().into_iter().collect();
                        let name = self.name.clone();
                        return Poll::Ready(Some(Err(ClientError::Trap {
                            command: name,
                            traps: trap,
                        })));
                    }
                    _ => {}
                },
            }
        }
    }
}

impl Drop for ReplyStream {
    fn drop(&mut self) {
        if self.finished || self.client.is_closed() {
            return;
        }
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            let client = self.client.clone();
            let tag = self.tag;
            handle.spawn(async move {
                let cancel = Command::new("/cancel").attr("tag", tag.to_string());
                let _ = client.command(cancel).await;
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_challenge_response_matches_reference() {
        // Reference value computed with librouteros' encode_password.
        let r = md5_response(&Secret::new("pass"), b"0123456789abcdef0123456789abcdef").unwrap();
        assert_eq!(r.len(), 34);
        assert!(r.starts_with("00"));
        let mut h = Md5::new();
        h.update([0u8]);
        h.update(b"pass");
        h.update(hex::decode("0123456789abcdef0123456789abcdef").unwrap());
        assert_eq!(r, format!("00{}", hex::encode(h.finalize())));
        assert!(md5_response(&Secret::new("x"), b"zz").is_err());
    }

    #[test]
    fn idle_read_buffer_stays_small() {
        let mut buf = BytesMut::new();
        prepare_read(&mut buf, false);
        assert!(buf.capacity() >= SMALL_READ / 4 && buf.capacity() < LARGE_READ);
        // A large reply: reads grow to 64 KiB.
        prepare_read(&mut buf, true);
        buf.extend_from_slice(&[1; 60 * 1024]);
        prepare_read(&mut buf, true);
        assert!(buf.capacity() - buf.len() >= LARGE_READ / 4);
        // Everything decoded (words split off and still alive elsewhere): the big buffer
        // is released and the next read is small again.
        let held = buf.split().freeze();
        prepare_read(&mut buf, false);
        assert!(buf.capacity() <= SMALL_READ, "{}", buf.capacity());
        drop(held);
        // A partial sentence is kept.
        buf.extend_from_slice(b"\x03!re");
        prepare_read(&mut buf, false);
        assert_eq!(&buf[..], b"\x03!re");
    }

    #[cfg(feature = "sim")]
    #[tokio::test]
    async fn count_rows_counts_without_collecting_and_keeps_the_limits() {
        use crate::proto::Query;
        use crate::sim::{SimRouter, SimState};
        let sim = SimRouter::builder()
            .state(SimState::concentrator("bras1", 1200))
            .user("u", "pw")
            .listen("127.0.0.1:0".parse().unwrap())
            .start()
            .await
            .unwrap();
        let config = ClientConfig::new("127.0.0.1", "u", Secret::new("pw"))
            .with_port(sim.addr().port())
            .with_max_rows(1200);
        let client = Client::connect(&config).await.unwrap();
        let pppoe = |row: &Reply| row.get("service").and_then(|v| v.as_str()) == Some("pppoe");
        let all = client
            .command(Command::new("/ppp/active/print"))
            .await
            .unwrap();
        let expected = all.rows.iter().filter(|r| pppoe(r)).count() as u64;
        assert_eq!(expected, 1200);
        let n = client
            .count_rows(Command::new("/ppp/active/print"), pppoe)
            .await
            .unwrap();
        assert_eq!(n, expected);
        let none = client
            .count_rows(
                Command::new("/ppp/active/print").query(Query::eq("service", "none")),
                |_| true,
            )
            .await
            .unwrap();
        assert_eq!(none, 0);
        let err = client
            .count_rows(Command::new("/no/such/menu/print"), |_| true)
            .await
            .unwrap_err();
        assert!(matches!(err, ClientError::Trap { .. }), "{err:?}");
        // The row limit counts every row received, kept or not.
        let small = Client::connect(&config.clone().with_max_rows(1000))
            .await
            .unwrap();
        let err = small
            .count_rows(Command::new("/ppp/active/print"), |_| false)
            .await
            .unwrap_err();
        assert_eq!(
            err,
            ClientError::TooManyRows {
                command: "/ppp/active/print".into(),
                max: 1000
            }
        );
        assert!(small.is_closed());
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn interleaved_replies_in_one_read_reach_their_own_commands() {
        use crate::proto::Sentence;
        let (client_io, mut device) = tokio::io::duplex(64 * 1024);
        let client = Client::from_io(
            Box::new(client_io),
            "duplex".into(),
            &ClientConfig::new("h", "u", Secret::default()),
        );
        let a = tokio::spawn({
            let c = client.clone();
            async move { c.command(Command::new("/a/print")).await }
        });
        // Both commands are written before the device answers.
        let mut dec = Decoder::new(Limits::default());
        let mut inbound = BytesMut::new();
        let mut got = 0;
        let b = {
            let c = client.clone();
            let b = tokio::spawn(async move {
                tokio::task::yield_now().await;
                c.command(Command::new("/b/print")).await
            });
            while got < 2 {
                device.read_buf(&mut inbound).await.unwrap();
                while dec.decode(&mut inbound).unwrap().is_some() {
                    got += 1;
                }
            }
            b
        };
        let mut wire = Vec::new();
        for words in [
            &["!re", ".tag=1", "=n=a1"][..],
            &["!re", ".tag=2", "=n=b1"],
            &["!re", ".tag=1", "=n=a2"],
            &["!re", ".tag=7", "=n=unknown"],
            &["!trap", ".tag=2", "=message=no"],
            &["!done", ".tag=2"],
            &["!re", ".tag=1", "=n=a3"],
            &["!done", ".tag=1", "=ret=x"],
        ] {
            Sentence::from_words(words.iter().copied())
                .encode(&mut wire)
                .unwrap();
        }
        device.write_all(&wire).await.unwrap();
        let a = a.await.unwrap().unwrap();
        let names: Vec<String> = a
            .rows
            .iter()
            .map(|r| r.get("n").unwrap().to_string())
            .collect();
        assert_eq!(names, ["a1", "a2", "a3"]);
        assert_eq!(a.done.ret().unwrap().as_bytes(), b"x");
        let b = b.await.unwrap().unwrap_err();
        assert!(
            matches!(&b, ClientError::Trap { traps, .. } if traps.len() == 1 && traps[0].message == "no"),
            "{b:?}"
        );
        assert!(!client.is_closed());
    }

    #[test]
    fn config_never_prints_the_password() {
        let c = ClientConfig::new("h", "u", Secret::new("topsecret"));
        assert!(!format!("{c:?}").contains("topsecret"));
        assert_eq!(c.address(), "h:8728");
        assert_eq!(
            ClientConfig::new("::1", "u", Secret::default()).address(),
            "[::1]:8728"
        );
    }
}
