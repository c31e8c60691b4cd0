//! API tokens (hashed, per tenant, with a role and an optional deadline) and browser sessions.
//!
//! # Why SHA-256 and not a password hash
//! API tokens are generated, not chosen by people: [`ApiToken::generate`] draws 256 random bits.
//! Guessing one from its SHA-256 is as hard as guessing the token itself, so a slow password
//! hash (Argon2, bcrypt) would add nothing but ~100 ms of CPU to every request. A token chosen
//! by a person should not be used; the configuration loader is expected to refuse short tokens
//! (see [`MIN_TOKEN_LEN`]). Stored hashes are compared in constant time, and every stored entry
//! is compared on each request (no early exit), so timing does not reveal which entry matched.
//!
//! # Rotation
//! Each [`TokenEntry`] may carry a deadline (`not_after`). To rotate a token: add the new token
//! under the same name, give the old entry a deadline (for example one day ahead), and
//! [`TokenStore::replace`] the entries (the agent does this on reload). Until the deadline both
//! work; after it only the new one does; removing the old entry revokes it at once. Browser
//! sessions die with the token that opened them: every request re-checks that token.
//! [`TokenStore::rotate`] does the same in memory for `POST /api/v1/tenants/{tenant}/tokens/rotate`.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Mutex, PoisonError, RwLock};

use chrono::{DateTime, Duration, Utc};
use ispvm_model::TenantId;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

/// Shortest token accepted by [`TokenStore::insert_token`], in bytes: 32 characters of a
/// random token carry at least 128 bits.
pub const MIN_TOKEN_LEN: usize = 32;

/// What a token may do.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Role {
    /// Read everything of its tenant.
    Viewer,
    /// Also give feedback, manage maintenance windows and silences, break and repair the
    /// simulated world.
    Operator,
}

impl Role {
    /// `viewer` or `operator`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Operator => "operator",
        }
    }
}

impl FromStr for Role {
    type Err = AuthError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "viewer" => Ok(Self::Viewer),
            "operator" => Ok(Self::Operator),
            _ => Err(AuthError::UnknownRole),
        }
    }
}

/// Errors of token handling. They never contain a token or a hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// A token is shorter than [`MIN_TOKEN_LEN`].
    #[error("token is too short: at least {MIN_TOKEN_LEN} characters of random text are needed")]
    TokenTooShort,
    /// A stored hash is not `sha256:` followed by 64 hex digits.
    #[error("token hash must be `sha256:` followed by 64 hex digits")]
    BadHash,
    /// A role is not `viewer` or `operator`.
    #[error("role must be `viewer` or `operator`")]
    UnknownRole,
    /// No token entry has this name for this tenant.
    #[error("no token named {0:?}")]
    UnknownName(String),
}

/// A secret API token. Its `Debug` and `Display` never show the value.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiToken(String);

impl ApiToken {
    /// Wraps a token value.
    #[must_use]
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// A new random token: `ispvm_` followed by 64 hex digits (256 bits).
    ///
    /// # Examples
    /// ```
    /// let token = ispvm_http::ApiToken::generate();
    /// assert_eq!(token.expose().len(), 70);
    /// assert_eq!(format!("{token:?}"), "ApiToken(<redacted>)");
    /// ```
    #[must_use]
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(format!("ispvm_{}", hex::encode(bytes)))
    }

    /// The value, to hand to the person who will use it. Never log it.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Its hash, as stored.
    #[must_use]
    pub fn hash(&self) -> TokenHash {
        TokenHash::of(&self.0)
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiToken(<redacted>)")
    }
}

/// The SHA-256 of a token, written `sha256:<64 hex digits>`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash([u8; 32]);

impl TokenHash {
    /// Hashes a token value.
    ///
    /// # Examples
    /// ```
    /// use ispvm_http::TokenHash;
    /// let h = TokenHash::of("abc");
    /// assert_eq!(h.to_string(), "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /// assert_eq!(h.to_string().parse::<TokenHash>()?, h);
    /// # Ok::<(), ispvm_http::AuthError>(())
    /// ```
    #[must_use]
    pub fn of(token: &str) -> Self {
        Self(Sha256::digest(token.as_bytes()).into())
    }

    fn ct_eq(&self, other: &Self) -> bool {
        bool::from(self.0.ct_eq(&other.0))
    }
}

impl fmt::Display for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", hex::encode(self.0))
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A hash is not a secret for a 256-bit token, but there is no reason to spread it.
        f.write_str("TokenHash(<redacted>)")
    }
}

impl FromStr for TokenHash {
    type Err = AuthError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hex_part = s.strip_prefix("sha256:").ok_or(AuthError::BadHash)?;
        let mut out = [0u8; 32];
        hex::decode_to_slice(hex_part, &mut out).map_err(|_| AuthError::BadHash)?;
        Ok(Self(out))
    }
}

/// One accepted token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenEntry {
    /// A name for people and the audit log (e.g. `noc-dashboard`); not secret.
    pub name: String,
    /// The tenant it reads.
    pub tenant: TenantId,
    /// What it may do.
    pub role: Role,
    /// Its hash.
    pub hash: TokenHash,
    /// After this instant the token is refused (rotation deadline); `None`: no deadline.
    pub not_after: Option<DateTime<Utc>>,
}

impl TokenEntry {
    /// An entry without deadline.
    #[must_use]
    pub fn new(name: impl Into<String>, tenant: TenantId, role: Role, hash: TokenHash) -> Self {
        Self {
            name: name.into(),
            tenant,
            role,
            hash,
            not_after: None,
        }
    }

    /// Sets the deadline.
    #[must_use]
    pub fn with_not_after(mut self, not_after: DateTime<Utc>) -> Self {
        self.not_after = Some(not_after);
        self
    }

    fn valid_at(&self, now: DateTime<Utc>) -> bool {
        self.not_after.is_none_or(|deadline| now < deadline)
    }
}

/// Who a valid token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenInfo {
    /// The entry's name.
    pub name: String,
    /// Its tenant.
    pub tenant: TenantId,
    /// Its role.
    pub role: Role,
    /// Its hash (sessions keep it to re-check the token on every request).
    pub hash: TokenHash,
}

/// The accepted tokens; shared, replaceable at run time (reload, rotation).
///
/// # Examples
/// ```
/// use ispvm_http::{ApiToken, Role, TokenStore};
/// let store = TokenStore::new();
/// let token = ApiToken::generate();
/// store.insert_token("noc", "demo-isp".parse()?, Role::Viewer, &token)?;
/// let info = store.authenticate(token.expose(), chrono::Utc::now()).unwrap();
/// assert_eq!(info.role, Role::Viewer);
/// assert!(store.authenticate("wrong", chrono::Utc::now()).is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct TokenStore {
    entries: RwLock<Vec<TokenEntry>>,
}

impl TokenStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A store with these entries.
    #[must_use]
    pub fn with_entries(entries: Vec<TokenEntry>) -> Self {
        Self {
            entries: RwLock::new(entries),
        }
    }

    /// Adds an entry.
    pub fn insert(&self, entry: TokenEntry) {
        self.write().push(entry);
    }

    /// Adds a token given by value (hashed here; the value is not kept).
    ///
    /// # Errors
    /// [`AuthError::TokenTooShort`] below [`MIN_TOKEN_LEN`] bytes.
    pub fn insert_token(
        &self,
        name: impl Into<String>,
        tenant: TenantId,
        role: Role,
        token: &ApiToken,
    ) -> Result<(), AuthError> {
        if token.expose().len() < MIN_TOKEN_LEN {
            return Err(AuthError::TokenTooShort);
        }
        self.insert(TokenEntry::new(name, tenant, role, token.hash()));
        Ok(())
    }

    /// Replaces every entry at once (reload).
    pub fn replace(&self, entries: Vec<TokenEntry>) {
        *self.write() = entries;
    }

    /// A copy of the entries (hashes only).
    #[must_use]
    pub fn entries(&self) -> Vec<TokenEntry> {
        self.read().clone()
    }

    /// Whether no token is configured.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    /// The entry matching `token` and valid at `now`, comparing every entry in constant time.
    #[must_use]
    pub fn authenticate(&self, token: &str, now: DateTime<Utc>) -> Option<TokenInfo> {
        self.by_hash(&TokenHash::of(token), now)
    }

    /// The entry with this hash, valid at `now`.
    #[must_use]
    pub fn by_hash(&self, hash: &TokenHash, now: DateTime<Utc>) -> Option<TokenInfo> {
        let entries = self.read();
        let mut found = None;
        for entry in entries.iter() {
            // No early exit: every entry costs the same.
            if entry.hash.ct_eq(hash) && entry.valid_at(now) && found.is_none() {
                found = Some(TokenInfo {
                    name: entry.name.clone(),
                    tenant: entry.tenant.clone(),
                    role: entry.role,
                    hash: entry.hash,
                });
            }
        }
        found
    }

    /// Rotates the token with hash `current`: a new token with the same name, tenant and role
    /// is added, and the current one stays valid until `now + grace` (or its own earlier
    /// deadline). Returns the new token and the old one's deadline.
    ///
    /// # Errors
    /// [`AuthError::UnknownName`] when `current` is not a stored, valid token.
    pub fn rotate(
        &self,
        current: &TokenHash,
        grace: Duration,
        now: DateTime<Utc>,
    ) -> Result<(ApiToken, DateTime<Utc>), AuthError> {
        let mut entries = self.write();
        let entry = entries
            .iter_mut()
            .find(|e| e.hash.ct_eq(current) && e.valid_at(now))
            .ok_or_else(|| AuthError::UnknownName(String::new()))?;
        let deadline = match entry.not_after {
            Some(existing) if existing < now + grace => existing,
            _ => now + grace,
        };
        entry.not_after = Some(deadline);
        let new_token = ApiToken::generate();
        let fresh = TokenEntry::new(
            entry.name.clone(),
            entry.tenant.clone(),
            entry.role,
            new_token.hash(),
        );
        entries.push(fresh);
        Ok((new_token, deadline))
    }

    /// Removes every entry named `name` of `tenant` (revocation).
    ///
    /// # Errors
    /// [`AuthError::UnknownName`] when none matched.
    pub fn revoke(&self, tenant: &TenantId, name: &str) -> Result<(), AuthError> {
        let mut entries = self.write();
        let before = entries.len();
        entries.retain(|e| !(e.name == name && &e.tenant == tenant));
        if entries.len() == before {
            return Err(AuthError::UnknownName(name.to_string()));
        }
        Ok(())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<TokenEntry>> {
        self.entries.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Vec<TokenEntry>> {
        self.entries.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A browser session opened by `POST /login`.
#[derive(Clone)]
pub(crate) struct Session {
    pub(crate) token: TokenHash,
    pub(crate) csrf: String,
    pub(crate) expires_at: DateTime<Utc>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Sessions by the SHA-256 of their cookie value (the cookie itself is not kept).
#[derive(Debug, Default)]
pub(crate) struct SessionStore {
    sessions: Mutex<HashMap<[u8; 32], Session>>,
}

/// Random 256-bit value in hex.
pub(crate) fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn session_key(cookie: &str) -> [u8; 32] {
    Sha256::digest(cookie.as_bytes()).into()
}

impl SessionStore {
    /// Opens a session; returns the cookie value.
    pub(crate) fn open(&self, token: TokenHash, ttl: Duration, now: DateTime<Utc>) -> String {
        let cookie = random_hex();
        let session = Session {
            token,
            csrf: random_hex(),
            expires_at: now + ttl,
        };
        let mut sessions = self.lock();
        sessions.retain(|_, s| s.expires_at > now);
        sessions.insert(session_key(&cookie), session);
        cookie
    }

    /// The live session of this cookie.
    pub(crate) fn get(&self, cookie: &str, now: DateTime<Utc>) -> Option<Session> {
        let sessions = self.lock();
        sessions
            .get(&session_key(cookie))
            .filter(|s| s.expires_at > now)
            .cloned()
    }

    /// Closes the session of this cookie.
    pub(crate) fn close(&self, cookie: &str) {
        self.lock().remove(&session_key(cookie));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Session>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Constant-time string equality (CSRF tokens).
pub(crate) fn ct_str_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant() -> TenantId {
        "demo-isp".parse().unwrap()
    }

    #[test]
    fn expired_token_is_refused_and_rotation_keeps_the_old_one_until_its_deadline() {
        let store = TokenStore::new();
        let old = ApiToken::generate();
        store
            .insert_token("noc", tenant(), Role::Operator, &old)
            .unwrap();
        let now: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let (new, deadline) = store.rotate(&old.hash(), Duration::hours(1), now).unwrap();
        assert_eq!(deadline, now + Duration::hours(1));
        assert!(store.authenticate(old.expose(), now).is_some());
        assert!(store.authenticate(new.expose(), now).is_some());
        let later = now + Duration::hours(1);
        assert!(store.authenticate(old.expose(), later).is_none());
        assert_eq!(
            store.authenticate(new.expose(), later).unwrap().role,
            Role::Operator
        );
        store.revoke(&tenant(), "noc").unwrap();
        assert!(store.authenticate(new.expose(), later).is_none());
    }

    #[test]
    fn short_tokens_and_bad_hashes_are_refused() {
        let store = TokenStore::new();
        assert_eq!(
            store.insert_token("x", tenant(), Role::Viewer, &ApiToken::new("short")),
            Err(AuthError::TokenTooShort)
        );
        assert_eq!("md5:00".parse::<TokenHash>(), Err(AuthError::BadHash));
        assert_eq!("sha256:zz".parse::<TokenHash>(), Err(AuthError::BadHash));
    }

    #[test]
    fn debug_never_shows_secrets() {
        let token = ApiToken::new("ispvm_supersecretvalue_supersecretvalue");
        let entry = TokenEntry::new("noc", tenant(), Role::Viewer, token.hash());
        let text = format!(
            "{token:?} {entry:?} {:?}",
            TokenStore::with_entries(vec![entry.clone()])
        );
        assert!(!text.contains("supersecret"), "{text}");
        assert!(!text.contains(&hex::encode(entry.hash.0)), "{text}");
    }
}
