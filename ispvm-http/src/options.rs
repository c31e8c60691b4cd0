//! [`HttpOptions`]: how the router authenticates and behaves.

use std::sync::Arc;
use std::time::Duration;

use ispvm_model::TenantId;

use crate::auth::{Role, TokenStore};

/// Default request body limit: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// Options of [`router`](crate::router). Build with [`HttpOptions::new`] (or `default()`) and
/// the `with_*` methods.
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use ispvm_http::{HttpOptions, Role, TokenStore};
/// let tokens = Arc::new(TokenStore::new());
/// let options = HttpOptions::new()
///     .with_tokens(tokens)
///     .with_secure_cookies(true)
///     .with_keep_alive(Duration::from_secs(10));
/// assert!(options.anonymous.is_none());
/// let embedded = HttpOptions::new().with_anonymous("demo-isp".parse()?, Role::Operator);
/// assert_eq!(embedded.anonymous.unwrap().1, Role::Operator);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HttpOptions {
    /// Accepted API tokens (shared: the embedder replaces them on reload).
    pub tokens: Arc<TokenStore>,
    /// When set, a request without any credentials acts as this tenant and role (the embedded
    /// default: no configuration and a loopback listener). A request with a bad token is still
    /// refused (401).
    pub anonymous: Option<(TenantId, Role)>,
    /// Mark the session cookie `Secure` (set it when serving over TLS).
    pub secure_cookies: bool,
    /// Lifetime of a browser session (default 12 h).
    pub session_ttl: Duration,
    /// Interval of SSE keep-alive comments (default 15 s).
    pub keep_alive: Duration,
    /// Largest request body accepted (default [`DEFAULT_BODY_LIMIT`]); larger ones get 413
    /// before authentication and routing.
    pub body_limit: usize,
    /// How long a rotated token stays valid after `POST .../tokens/rotate` (default 24 h).
    pub rotation_grace: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            tokens: Arc::new(TokenStore::new()),
            anonymous: None,
            secure_cookies: false,
            session_ttl: Duration::from_secs(12 * 3600),
            keep_alive: Duration::from_secs(15),
            body_limit: DEFAULT_BODY_LIMIT,
            rotation_grace: Duration::from_secs(24 * 3600),
        }
    }
}

impl HttpOptions {
    /// Defaults: no token, no anonymous access, cookies without `Secure`.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Uses this token store.
    #[must_use]
    pub fn with_tokens(mut self, tokens: Arc<TokenStore>) -> Self {
        self.tokens = tokens;
        self
    }

    /// Lets requests without credentials act as `role` of `tenant`.
    #[must_use]
    pub fn with_anonymous(mut self, tenant: TenantId, role: Role) -> Self {
        self.anonymous = Some((tenant, role));
        self
    }

    /// Marks the session cookie `Secure`.
    #[must_use]
    pub fn with_secure_cookies(mut self, secure: bool) -> Self {
        self.secure_cookies = secure;
        self
    }

    /// Sets the browser session lifetime.
    #[must_use]
    pub fn with_session_ttl(mut self, ttl: Duration) -> Self {
        self.session_ttl = ttl;
        self
    }

    /// Sets the SSE keep-alive interval.
    #[must_use]
    pub fn with_keep_alive(mut self, every: Duration) -> Self {
        self.keep_alive = every;
        self
    }

    /// Sets the body limit in bytes.
    #[must_use]
    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Sets how long a rotated token stays valid.
    #[must_use]
    pub fn with_rotation_grace(mut self, grace: Duration) -> Self {
        self.rotation_grace = grace;
        self
    }
}
