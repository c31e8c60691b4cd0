//! The agent's configuration file (TOML): tenants, their routers and topology, polling,
//! outputs, API tokens, listener, and the data directory or database URL.
//!
//! Secrets never appear in the file: a router password and an API token are read from an
//! environment variable (`password_env`, `token_env`) or a file (`password_file`,
//! `token_file`), or a token is given as its SHA-256 hash (`token_sha256`). A key that would
//! hold a secret in the text (`password`, `token`) is refused, and so is a `database` URL
//! that carries a password.
//!
//! [`Config::load`] reads, parses and validates a file; every error names the file, the line
//! and the key at fault: ``agent.toml:12: key `tenants[0].routers[1].port`: invalid value``.
//!
//! # Examples
//! ```
//! use ispvm_service::config::Config;
//! let text = r#"
//! listen = "127.0.0.1:8080"
//!
//! [[tenants]]
//! id = "acme"
//!
//! [[tenants.routers]]
//! id = "core1"
//! host = "192.0.2.1"
//! user = "ispvm-ro"
//! password_env = "ACME_CORE1_PASSWORD"
//! "#;
//! // Validation reads the secret sources (never their values into an error).
//! let e = Config::parse(text, std::path::Path::new("agent.toml")).unwrap_err();
//! assert_eq!(
//!     e.to_string(),
//!     "agent.toml:11: key `tenants[0].routers[0].password_env`: environment variable ACME_CORE1_PASSWORD is not set"
//! );
//! let bad = text.replace("\"192.0.2.1\"", "5");
//! let e = Config::parse(&bad, std::path::Path::new("agent.toml")).unwrap_err();
//! assert!(e.to_string().starts_with("agent.toml:9: key `tenants[0].routers[0].host`: "), "{e}");
//! # Ok::<(), ispvm_service::config::ConfigError>(())
//! ```

use std::collections::BTreeSet;
use std::fmt;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};

use ispvm_http::{Role, TokenEntry, TokenHash};
use ispvm_model::TenantId;
use ispvm_routeros::Secret;
use serde::Deserialize;
use toml::Spanned;

/// Default listener address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// Default fast-tier interval for configured tenants, in seconds.
pub const DEFAULT_FAST_SECONDS: u64 = 30;

/// A configuration error: the file, line and key at fault, and why. Never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: key `{key}`: {message}")]
#[non_exhaustive]
pub struct ConfigError {
    /// The file.
    pub file: PathBuf,
    /// The line (1-based; 1 when the file could not be read).
    pub line: usize,
    /// The key at fault (`tenants[0].routers[1].port`), or `(file)` for the whole file.
    pub key: String,
    /// Why.
    pub message: String,
}

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Config {
    /// Listener address (default `127.0.0.1:8080`); `--listen` overrides it.
    #[serde(default)]
    pub listen: Option<Spanned<String>>,
    /// Data directory (default `./ispvm-data`, relative paths against the file's directory):
    /// the embedded database is `ispvm.sqlite` in it. `--data-dir` overrides it.
    #[serde(default)]
    pub data_dir: Option<PathBuf>,
    /// Database URL (`postgres://USER@HOST:PORT/DB`, `postgresql://...` or `sqlite:///path`)
    /// used instead of the data directory; `--database` overrides it. It must not carry a
    /// password (use `PGPASSWORD` or `~/.pgpass`).
    #[serde(default)]
    pub database: Option<Spanned<String>>,
    /// Log format: `text` (default) or `json`.
    #[serde(default)]
    pub log_format: LogFormat,
    /// Polling defaults for every tenant.
    #[serde(default)]
    pub polling: Polling,
    /// HTTPS for the listener (`cert_file`, `key_file`); `--tls-cert`/`--tls-key` override it.
    #[serde(default)]
    pub tls: Option<ListenerTls>,
    /// Outputs (notification sinks).
    #[serde(default)]
    pub outputs: Outputs,
    /// The tenants.
    #[serde(default)]
    pub tenants: Vec<TenantConfig>,
    /// The directory of the file, against which relative paths resolve.
    #[serde(skip)]
    pub base_dir: PathBuf,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Polling: tier intervals, jitter, backoff, timeouts and concurrency, in seconds (the
/// settings of `ispvm_collector::CollectorConfig`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Polling {
    /// Fast tier interval (reachability, interfaces, sessions), 1 to 3600 s.
    #[serde(default = "default_fast")]
    pub fast_seconds: u64,
    /// Medium tier interval (CPU, memory, counters, RADIUS), 1 to 86400 s (default 120).
    #[serde(default = "default_medium")]
    pub medium_seconds: u64,
    /// Slow tier interval (uptime, identity), 1 to 86400 s (default 600).
    #[serde(default = "default_slow")]
    pub slow_seconds: u64,
    /// Connect, login and command timeout, 1 to 300 s.
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
    /// Deadline of one whole poll (every command of one tier), at least `timeout_seconds`
    /// and at most 600 s (default 60).
    #[serde(default = "default_poll_timeout")]
    pub poll_timeout_seconds: u64,
    /// Jitter of every interval in percent, 0 to 50 (default 15).
    #[serde(default = "default_jitter")]
    pub jitter_percent: u8,
    /// First delay after a failed poll, in seconds (default 5); it doubles with every failure
    /// in a row up to `backoff_max_seconds` (default 120).
    #[serde(default = "default_backoff_base")]
    pub backoff_base_seconds: u64,
    /// Cap of the delay after failures, at least `backoff_base_seconds`, at most 3600.
    #[serde(default = "default_backoff_max")]
    pub backoff_max_seconds: u64,
    /// Routers polled at once per tenant, at least 1.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
}

fn default_fast() -> u64 {
    DEFAULT_FAST_SECONDS
}
fn default_medium() -> u64 {
    120
}
fn default_slow() -> u64 {
    600
}
fn default_timeout() -> u64 {
    5
}
fn default_poll_timeout() -> u64 {
    60
}
fn default_jitter() -> u8 {
    15
}
fn default_backoff_base() -> u64 {
    5
}
fn default_backoff_max() -> u64 {
    120
}
fn default_concurrency() -> usize {
    64
}

impl Default for Polling {
    fn default() -> Self {
        Self {
            fast_seconds: default_fast(),
            medium_seconds: default_medium(),
            slow_seconds: default_slow(),
            timeout_seconds: default_timeout(),
            poll_timeout_seconds: default_poll_timeout(),
            jitter_percent: default_jitter(),
            backoff_base_seconds: default_backoff_base(),
            backoff_max_seconds: default_backoff_max(),
            concurrency: default_concurrency(),
        }
    }
}

/// The listener's certificate and key (PEM files); with them the agent serves HTTPS only.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ListenerTls {
    /// Certificate chain (PEM), the server's certificate first.
    pub cert_file: Spanned<PathBuf>,
    /// Private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key_file: Spanned<PathBuf>,
}

/// Notification outputs (`ispvm-notify`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Outputs {
    /// Alertmanager base URLs (`http://host:9093`); every alert goes to each.
    #[serde(default)]
    pub alertmanager: Vec<Spanned<String>>,
    /// Resend interval of active alerts, 1 to 3600 s (default 60).
    #[serde(default)]
    pub resend_seconds: Option<Spanned<u64>>,
    /// Whether to fire `IspvmRedundancyLost` alerts (default false).
    #[serde(default)]
    pub redundancy_alerts: bool,
    /// Signed webhooks.
    #[serde(default)]
    pub webhooks: Vec<WebhookConfig>,
}

/// One webhook: its URL and where its signing secret is read from.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct WebhookConfig {
    /// Where notifications are posted (`http://` or `https://`).
    pub url: Spanned<String>,
    /// Environment variable holding the signing secret.
    #[serde(default)]
    pub secret_env: Option<Spanned<String>>,
    /// File holding the signing secret (trailing newline ignored).
    #[serde(default)]
    pub secret_file: Option<Spanned<PathBuf>>,
    /// Refused: a secret never goes in the file.
    #[serde(default)]
    secret: Option<Spanned<toml::Value>>,
}

impl fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("url", self.url.get_ref())
            .finish_non_exhaustive()
    }
}

/// One tenant.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct TenantConfig {
    /// Tenant id (`[a-z0-9][a-z0-9-]{0,62}`).
    pub id: Spanned<String>,
    /// Topology file in the scenario format (`ispvm.scenario/v1` JSON); without one, the
    /// topology is the routers as devices with no dependency.
    #[serde(default)]
    pub topology: Option<Spanned<PathBuf>>,
    /// Fast-tier interval override for this tenant, in seconds.
    #[serde(default)]
    pub fast_seconds: Option<Spanned<u64>>,
    /// Medium-tier interval override for this tenant, in seconds.
    #[serde(default)]
    pub medium_seconds: Option<Spanned<u64>>,
    /// Slow-tier interval override for this tenant, in seconds.
    #[serde(default)]
    pub slow_seconds: Option<Spanned<u64>>,
    /// The routers polled.
    #[serde(default)]
    pub routers: Vec<RouterConfig>,
    /// API tokens of this tenant.
    #[serde(default)]
    pub tokens: Vec<TokenConfig>,
}

/// One router.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RouterConfig {
    /// Its entity id in the topology.
    pub id: Spanned<String>,
    /// Host name or address.
    pub host: Spanned<String>,
    /// API port (default 8728, 8729 with TLS).
    #[serde(default)]
    pub port: Option<u16>,
    /// Use API-SSL.
    #[serde(default)]
    pub tls: bool,
    /// CA certificate (PEM) that signs the router's certificate; default: the system roots.
    #[serde(default)]
    pub ca_file: Option<Spanned<PathBuf>>,
    /// API user.
    pub user: String,
    /// Environment variable holding the password.
    #[serde(default)]
    pub password_env: Option<Spanned<String>>,
    /// File holding the password (trailing newline ignored).
    #[serde(default)]
    pub password_file: Option<Spanned<PathBuf>>,
    /// Refused: a password never goes in the file.
    #[serde(default)]
    password: Option<Spanned<toml::Value>>,
}

impl fmt::Debug for RouterConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouterConfig")
            .field("id", self.id.get_ref())
            .field("host", self.host.get_ref())
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl RouterConfig {
    /// The API port: the configured one, else 8729 with TLS and 8728 without.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(if self.tls { 8729 } else { 8728 })
    }
}

/// One API token.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct TokenConfig {
    /// Its name (in the audit log).
    pub name: String,
    /// `viewer` or `operator`.
    pub role: Role,
    /// SHA-256 of the token, 64 hex digits.
    #[serde(default)]
    pub token_sha256: Option<Spanned<String>>,
    /// Environment variable holding the token.
    #[serde(default)]
    pub token_env: Option<Spanned<String>>,
    /// File holding the token (trailing newline ignored).
    #[serde(default)]
    pub token_file: Option<Spanned<PathBuf>>,
    /// Refused: a token never goes in the file.
    #[serde(default)]
    token: Option<Spanned<toml::Value>>,
}

impl fmt::Debug for TokenConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenConfig")
            .field("name", &self.name)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

fn line_of(text: &str, span: &Range<usize>) -> usize {
    let end = span.start.min(text.len());
    text.as_bytes()
        .get(..end)
        .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
        + 1
}

/// A file to read a secret or a CA from: relative to the configuration's directory.
fn resolve(base: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_owned()
    } else {
        base.join(p)
    }
}

fn read_secret_file(path: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {}", path.display(), e.kind()))?;
    Ok(text.trim_end_matches(['\n', '\r']).to_owned())
}

/// Checks a configured database URL: a known scheme and no password in the text.
fn check_database_url(url: &str) -> Result<(), &'static str> {
    let Some((scheme, rest)) = url.split_once(':') else {
        return Err("not a URL: postgres://USER@HOST:PORT/DB or sqlite:///path/ispvm.sqlite");
    };
    match scheme {
        "postgres" | "postgresql" => {
            let authority = rest
                .trim_start_matches("//")
                .split(['/', '?'])
                .next()
                .unwrap_or("");
            match authority.rsplit_once('@') {
                Some((user, _)) if user.contains(':') => Err(
                    "the URL carries a password: secrets never go in the file; use PGPASSWORD or ~/.pgpass",
                ),
                _ => Ok(()),
            }
        }
        "sqlite" => Ok(()),
        _ => Err("the scheme must be postgres://, postgresql:// or sqlite:"),
    }
}

struct Checker<'a> {
    file: &'a Path,
    text: &'a str,
}

impl Checker<'_> {
    fn err(&self, span: &Range<usize>, key: String, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.file.to_owned(),
            line: line_of(self.text, span),
            key,
            message: message.into(),
        }
    }
}

impl Config {
    /// Reads and validates a configuration file (see [`Config::parse`]).
    ///
    /// # Errors
    /// [`ConfigError`] naming the file, line and key at fault.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.to_owned(),
            line: 1,
            key: "(file)".to_owned(),
            message: format!("cannot read: {e}"),
        })?;
        Self::parse(&text, path)
    }

    /// Parses and validates configuration text read from `file` (relative paths in it resolve
    /// against `file`'s directory). Validation checks the tenant ids, that every tenant has at
    /// least one router, unique ids, that a router names exactly one password source and a
    /// token exactly one source, that files named exist, and that environment variables named
    /// are set; it does not connect to anything.
    ///
    /// # Errors
    /// [`ConfigError`] for the first fault, with its line and key.
    pub fn parse(text: &str, file: &Path) -> Result<Self, ConfigError> {
        let de = toml::Deserializer::parse(text).map_err(|e| ConfigError {
            file: file.to_owned(),
            line: e.span().map_or(1, |s| line_of(text, &s)),
            key: "(file)".to_owned(),
            message: e.message().trim().to_owned(),
        })?;
        let mut config: Config = serde_path_to_error::deserialize(de).map_err(|e| {
            // `Spanned` fields add a private segment to the path: not part of the user's key.
            let key = e
                .path()
                .to_string()
                .split('.')
                .filter(|seg| !seg.starts_with("$__"))
                .collect::<Vec<_>>()
                .join(".");
            let inner = e.into_inner();
            ConfigError {
                file: file.to_owned(),
                line: inner.span().map_or(1, |s| line_of(text, &s)),
                key,
                message: inner.message().trim().to_owned(),
            }
        })?;
        config.base_dir = file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_owned);
        config.validate(&Checker { file, text })?;
        Ok(config)
    }

    fn validate(&self, c: &Checker<'_>) -> Result<(), ConfigError> {
        if let Some(l) = &self.listen {
            if l.get_ref().parse::<SocketAddr>().is_err() {
                return Err(c.err(
                    &l.span(),
                    "listen".into(),
                    "not an address like 127.0.0.1:8080",
                ));
            }
        }
        if let Some(d) = &self.database {
            if let Err(m) = check_database_url(d.get_ref()) {
                return Err(c.err(&d.span(), "database".into(), m));
            }
        }
        let p = &self.polling;
        if !(1..=3600).contains(&p.fast_seconds)
            || !(1..=86_400).contains(&p.medium_seconds)
            || !(1..=86_400).contains(&p.slow_seconds)
            || !(1..=300).contains(&p.timeout_seconds)
            || !(p.timeout_seconds..=600).contains(&p.poll_timeout_seconds)
            || p.jitter_percent > 50
            || !(1..=3600).contains(&p.backoff_base_seconds)
            || !(p.backoff_base_seconds..=3600).contains(&p.backoff_max_seconds)
            || p.concurrency == 0
        {
            return Err(c.err(
                &(0..0),
                "polling".into(),
                "fast_seconds 1-3600, medium_seconds and slow_seconds 1-86400, timeout_seconds 1-300, poll_timeout_seconds timeout_seconds-600, jitter_percent 0-50, backoff_base_seconds 1-3600, backoff_max_seconds backoff_base_seconds-3600, concurrency >= 1",
            ));
        }
        if let Some(tls) = &self.tls {
            for (f, k) in [
                (&tls.cert_file, "tls.cert_file"),
                (&tls.key_file, "tls.key_file"),
            ] {
                let path = resolve(&self.base_dir_for(c.file), f.get_ref());
                let pem = std::fs::read_to_string(&path).map_err(|e| {
                    c.err(
                        &f.span(),
                        k.into(),
                        format!("cannot read {}: {}", path.display(), e.kind()),
                    )
                })?;
                if !pem.contains("-----BEGIN ") {
                    return Err(c.err(&f.span(), k.into(), "no PEM block in the file"));
                }
            }
        }
        for (i, url) in self.outputs.alertmanager.iter().enumerate() {
            let u = url.get_ref();
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                return Err(c.err(
                    &url.span(),
                    format!("outputs.alertmanager[{i}]"),
                    "not an http(s) URL",
                ));
            }
        }
        self.validate_outputs(c)?;
        let mut tenants = BTreeSet::new();
        for (ti, t) in self.tenants.iter().enumerate() {
            let key = |k: &str| format!("tenants[{ti}].{k}");
            if !ispvm_http::valid_tenant_syntax(t.id.get_ref())
                || TenantId::new(t.id.get_ref().as_str()).is_err()
            {
                return Err(c.err(
                    &t.id.span(),
                    key("id"),
                    "a tenant id is [a-z0-9][a-z0-9-]{0,62}",
                ));
            }
            if !tenants.insert(t.id.get_ref().clone()) {
                return Err(c.err(&t.id.span(), key("id"), "tenant listed twice"));
            }
            if let Some(f) = &t.fast_seconds {
                if !(1..=3600).contains(f.get_ref()) {
                    return Err(c.err(&f.span(), key("fast_seconds"), "1 to 3600 seconds"));
                }
            }
            for (f, k) in [
                (&t.medium_seconds, "medium_seconds"),
                (&t.slow_seconds, "slow_seconds"),
            ] {
                if let Some(f) = f {
                    if !(1..=86_400).contains(f.get_ref()) {
                        return Err(c.err(&f.span(), key(k), "1 to 86400 seconds"));
                    }
                }
            }
            if let Some(topo) = &t.topology {
                let path = resolve(&self.base_dir_for(c.file), topo.get_ref());
                if !path.is_file() {
                    return Err(c.err(
                        &topo.span(),
                        key("topology"),
                        format!("no file {}", path.display()),
                    ));
                }
            }
            let mut routers = BTreeSet::new();
            for (ri, r) in t.routers.iter().enumerate() {
                let rkey = |k: &str| format!("tenants[{ti}].routers[{ri}].{k}");
                if ispvm_model::EntityId::new(r.id.get_ref().as_str()).is_err()
                    || !routers.insert(r.id.get_ref().clone())
                {
                    return Err(c.err(
                        &r.id.span(),
                        rkey("id"),
                        "not a valid entity id, or listed twice",
                    ));
                }
                if r.host.get_ref().trim().is_empty() {
                    return Err(c.err(&r.host.span(), rkey("host"), "empty host"));
                }
                if let Some(pw) = &r.password {
                    return Err(c.err(&pw.span(), rkey("password"), "a password never goes in the configuration: use password_env or password_file"));
                }
                match (&r.password_env, &r.password_file) {
                    (Some(v), None) => {
                        if std::env::var_os(v.get_ref()).is_none() {
                            return Err(c.err(
                                &v.span(),
                                rkey("password_env"),
                                format!("environment variable {} is not set", v.get_ref()),
                            ));
                        }
                    }
                    (None, Some(f)) => {
                        let path = resolve(&self.base_dir_for(c.file), f.get_ref());
                        read_secret_file(&path)
                            .map_err(|m| c.err(&f.span(), rkey("password_file"), m))?;
                    }
                    (Some(v), Some(_)) => {
                        return Err(c.err(
                            &v.span(),
                            rkey("password_env"),
                            "give password_env or password_file, not both",
                        ));
                    }
                    (None, None) => {
                        return Err(c.err(
                            &r.id.span(),
                            rkey("password_env"),
                            "missing: give password_env or password_file",
                        ));
                    }
                }
                if let Some(ca) = &r.ca_file {
                    let path = resolve(&self.base_dir_for(c.file), ca.get_ref());
                    let pem = std::fs::read_to_string(&path).map_err(|e| {
                        c.err(
                            &ca.span(),
                            rkey("ca_file"),
                            format!("cannot read {}: {}", path.display(), e.kind()),
                        )
                    })?;
                    if !pem.contains("-----BEGIN CERTIFICATE-----") {
                        return Err(c.err(
                            &ca.span(),
                            rkey("ca_file"),
                            "no PEM certificate in the file",
                        ));
                    }
                    if !r.tls {
                        return Err(c.err(
                            &ca.span(),
                            rkey("ca_file"),
                            "a CA file needs tls = true",
                        ));
                    }
                }
            }
            if t.routers.is_empty() {
                return Err(c.err(
                    &t.id.span(),
                    key("routers"),
                    "a tenant needs at least one router",
                ));
            }
            for (ki, tok) in t.tokens.iter().enumerate() {
                let tkey = |k: &str| format!("tenants[{ti}].tokens[{ki}].{k}");
                if let Some(v) = &tok.token {
                    return Err(c.err(&v.span(), tkey("token"), "a token never goes in the configuration: use token_sha256, token_env or token_file"));
                }
                self.token_hash(tok, c.file)
                    .map_err(|(span, k, m)| c.err(&span, tkey(k), m))?;
            }
        }
        Ok(())
    }

    fn validate_outputs(&self, c: &Checker<'_>) -> Result<(), ConfigError> {
        if let Some(r) = &self.outputs.resend_seconds {
            if !(1..=3600).contains(r.get_ref()) {
                return Err(c.err(
                    &r.span(),
                    "outputs.resend_seconds".into(),
                    "1 to 3600 seconds",
                ));
            }
        }
        for (i, w) in self.outputs.webhooks.iter().enumerate() {
            let key = |k: &str| format!("outputs.webhooks[{i}].{k}");
            let u = w.url.get_ref();
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                return Err(c.err(&w.url.span(), key("url"), "not an http(s) URL"));
            }
            if let Some(v) = &w.secret {
                return Err(c.err(
                    &v.span(),
                    key("secret"),
                    "a secret never goes in the configuration: use secret_env or secret_file",
                ));
            }
            if w.secret_env.is_some() == w.secret_file.is_some() {
                return Err(c.err(
                    &w.url.span(),
                    key("secret_env"),
                    "give exactly one of secret_env, secret_file",
                ));
            }
            self.webhook_secret_with(w, &self.base_dir_for(c.file))
                .map_err(|m| {
                    let (span, k) = match (&w.secret_env, &w.secret_file) {
                        (Some(v), _) => (v.span(), "secret_env"),
                        (_, Some(f)) => (f.span(), "secret_file"),
                        _ => (w.url.span(), "secret_env"),
                    };
                    c.err(&span, key(k), m)
                })?;
        }
        Ok(())
    }

    fn webhook_secret_with(&self, w: &WebhookConfig, base: &Path) -> Result<Secret, String> {
        if let Some(v) = &w.secret_env {
            let s = std::env::var(v.get_ref())
                .map_err(|_| format!("environment variable {} is not set", v.get_ref()))?;
            if s.is_empty() {
                return Err(format!("environment variable {} is empty", v.get_ref()));
            }
            return Ok(Secret::new(s));
        }
        if let Some(f) = &w.secret_file {
            let s = read_secret_file(&resolve(base, f.get_ref()))?;
            if s.is_empty() {
                return Err("the secret file is empty".to_owned());
            }
            return Ok(Secret::new(s));
        }
        Err("no secret source".to_owned())
    }

    /// The signing secret of a webhook, read from its environment variable or file.
    ///
    /// # Errors
    /// A one-line message (never the secret) when the source is gone or empty.
    pub fn webhook_secret(&self, webhook: &WebhookConfig) -> Result<Secret, String> {
        self.webhook_secret_with(webhook, &self.base_dir)
    }

    fn base_dir_for(&self, file: &Path) -> PathBuf {
        if self.base_dir.as_os_str().is_empty() {
            file.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), Path::to_owned)
        } else {
            self.base_dir.clone()
        }
    }

    fn token_hash(
        &self,
        tok: &TokenConfig,
        file: &Path,
    ) -> Result<TokenHash, (Range<usize>, &'static str, String)> {
        let sources = usize::from(tok.token_sha256.is_some())
            + usize::from(tok.token_env.is_some())
            + usize::from(tok.token_file.is_some());
        if sources != 1 {
            let span = tok
                .token_sha256
                .as_ref()
                .map(Spanned::span)
                .or_else(|| tok.token_env.as_ref().map(Spanned::span))
                .unwrap_or(0..0);
            return Err((
                span,
                "token_sha256",
                "give exactly one of token_sha256, token_env, token_file".into(),
            ));
        }
        let plain = |t: String| -> Result<TokenHash, String> {
            if t.len() < ispvm_http::MIN_TOKEN_LEN {
                return Err(format!(
                    "a token has at least {} characters",
                    ispvm_http::MIN_TOKEN_LEN
                ));
            }
            Ok(TokenHash::of(&t))
        };
        if let Some(h) = &tok.token_sha256 {
            let text = h.get_ref();
            let text = if text.starts_with("sha256:") {
                text.clone()
            } else {
                format!("sha256:{text}")
            };
            return text.parse::<TokenHash>().map_err(|_| {
                (
                    h.span(),
                    "token_sha256",
                    "not 64 hex digits (optionally after sha256:)".to_owned(),
                )
            });
        }
        if let Some(v) = &tok.token_env {
            let t = std::env::var(v.get_ref()).map_err(|_| {
                (
                    v.span(),
                    "token_env",
                    format!("environment variable {} is not set", v.get_ref()),
                )
            })?;
            return plain(t).map_err(|m| (v.span(), "token_env", m));
        }
        if let Some(f) = &tok.token_file {
            let path = resolve(&self.base_dir_for(file), f.get_ref());
            let t = read_secret_file(&path).map_err(|m| (f.span(), "token_file", m))?;
            return plain(t).map_err(|m| (f.span(), "token_file", m));
        }
        Err((0..0, "token_sha256", "no token source".into()))
    }

    /// The token entries of every tenant, hashed (secrets read from their env or file).
    ///
    /// # Errors
    /// [`ConfigError`] when a secret source disappeared since validation.
    pub fn token_entries(&self, file: &Path) -> Result<Vec<TokenEntry>, ConfigError> {
        let mut out = Vec::new();
        for (ti, t) in self.tenants.iter().enumerate() {
            let Ok(tenant) = TenantId::new(t.id.get_ref().as_str()) else {
                continue;
            };
            for (ki, tok) in t.tokens.iter().enumerate() {
                let hash = self
                    .token_hash(tok, file)
                    .map_err(|(_, k, m)| ConfigError {
                        file: file.to_owned(),
                        line: 1,
                        key: format!("tenants[{ti}].tokens[{ki}].{k}"),
                        message: m,
                    })?;
                out.push(TokenEntry::new(
                    tok.name.clone(),
                    tenant.clone(),
                    tok.role,
                    hash,
                ));
            }
        }
        Ok(out)
    }

    /// The password of a router, read from its environment variable or file.
    ///
    /// # Errors
    /// A one-line message (never the secret) when the source is gone.
    pub fn router_password(&self, router: &RouterConfig) -> Result<Secret, String> {
        if let Some(v) = &router.password_env {
            return std::env::var(v.get_ref())
                .map(Secret::new)
                .map_err(|_| format!("environment variable {} is not set", v.get_ref()));
        }
        if let Some(f) = &router.password_file {
            return read_secret_file(&resolve(&self.base_dir, f.get_ref())).map(Secret::new);
        }
        Err("no password source".to_owned())
    }

    /// A path of the file resolved against its directory.
    #[must_use]
    pub fn resolve(&self, p: &Path) -> PathBuf {
        resolve(&self.base_dir, p)
    }
}

#[cfg(test)]
mod tests;
