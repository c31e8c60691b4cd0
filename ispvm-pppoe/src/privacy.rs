//! Subscriber level data, opt-in per tenant: keyed hashes, session events, retention.
//!
//! ## The guarantee, in types
//! - Nothing in this crate stores or returns a username. [`SessionSnapshot`](crate::session::SessionSnapshot),
//!   segments, events and accounting records have no field for one.
//! - The only function that accepts a username is [`SubscriberHasher::hash`], and the only way
//!   to get a [`SubscriberHasher`] is to give it the tenant's [`SubscriberSecret`]: that *is* the
//!   opt-in. Without it, [`Privacy::Aggregate`] makes the accounting importer drop usernames
//!   unread, and there is no [`SubscriberId`] anywhere (it has no public constructor).
//! - A [`SubscriberId`] is `HMAC-SHA256(secret, username)`: stable within a tenant (so sessions of
//!   one subscriber can be linked), useless without the secret (no dictionary attack on the
//!   hash), different across tenants.
//! - The secret never appears in `Debug`, `Display`, errors, logs or serialized output: it
//!   implements none of `Display`, `Serialize` or `Clone`-to-string, and its `Debug` is
//!   `SubscriberSecret(<redacted>)`.
//! - [`SubscriberStore`] keeps subscriber events for a bounded time ([`RetentionPolicy`]); a purge
//!   removes every event older than the retention, whatever order events arrived in.

use ispvm_model::Secret;
use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use ispvm_model::TenantId;
use serde::{Serialize, Serializer};
use sha2::Sha256;

/// Shortest accepted secret, in bytes.
pub const MIN_SECRET_LEN: usize = 16;
/// Longest accepted secret, in bytes.
pub const MAX_SECRET_LEN: usize = 1024;

/// Why a secret was refused. Never carries the secret or any part of it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PrivacyError {
    /// The secret is shorter than [`MIN_SECRET_LEN`] bytes.
    #[error("subscriber secret is {len} bytes long, at least {MIN_SECRET_LEN} are needed")]
    SecretTooShort {
        /// Its length.
        len: usize,
    },
    /// The secret is longer than [`MAX_SECRET_LEN`] bytes.
    #[error("subscriber secret is {len} bytes long, at most {MAX_SECRET_LEN} are accepted")]
    SecretTooLong {
        /// Its length.
        len: usize,
    },
    /// A hex-encoded secret is not valid hex.
    #[error("subscriber secret is not valid hexadecimal")]
    BadHex,
}

/// A tenant's secret key for subscriber hashes.
///
/// # Examples
/// ```
/// use ispvm_pppoe::privacy::SubscriberSecret;
/// let secret = SubscriberSecret::from_hex("00112233445566778899aabbccddeeff")?;
/// assert_eq!(format!("{secret:?}"), "SubscriberSecret(<redacted>)");
/// assert!(SubscriberSecret::new(b"short".to_vec()).is_err());
/// # Ok::<(), ispvm_pppoe::privacy::PrivacyError>(())
/// ```
///
/// Storage, redaction and zeroizing on drop are those of [`ispvm_model::Secret`]; this type adds
/// the key length rules.
pub struct SubscriberSecret(Secret);

impl SubscriberSecret {
    /// Wraps raw key bytes.
    ///
    /// # Errors
    /// [`PrivacyError::SecretTooShort`] / [`PrivacyError::SecretTooLong`].
    pub fn new(bytes: Vec<u8>) -> Result<Self, PrivacyError> {
        let len = bytes.len();
        if len < MIN_SECRET_LEN {
            return Err(PrivacyError::SecretTooShort { len });
        }
        if len > MAX_SECRET_LEN {
            return Err(PrivacyError::SecretTooLong { len });
        }
        Ok(Self(Secret::new(bytes)))
    }

    /// Decodes a hex-encoded key (as kept in a secrets store or an environment variable).
    ///
    /// # Errors
    /// [`PrivacyError::BadHex`] and the length errors of [`SubscriberSecret::new`].
    pub fn from_hex(hex_text: &str) -> Result<Self, PrivacyError> {
        Self::new(hex::decode(hex_text.trim()).map_err(|_| PrivacyError::BadHex)?)
    }

    /// A fresh random 32-byte key (from the operating system's CSPRNG via `rand`).
    #[must_use]
    pub fn generate() -> Self {
        Self(Secret::new(rand::random::<[u8; 32]>().to_vec()))
    }
}

impl fmt::Debug for SubscriberSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SubscriberSecret(<redacted>)")
    }
}

/// A pseudonymous subscriber id: `HMAC-SHA256(tenant secret, username)`, shown as 64 hex digits.
///
/// Only a [`SubscriberHasher`] makes one.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SubscriberId([u8; 32]);

impl SubscriberId {
    /// The raw 32 bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for SubscriberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for SubscriberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SubscriberId({self})")
    }
}

impl Serialize for SubscriberId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Turns usernames into [`SubscriberId`]s for one tenant. Holding one means the tenant opted in.
///
/// # Examples
/// ```
/// use ispvm_pppoe::privacy::{SubscriberHasher, SubscriberSecret};
/// let secret = SubscriberSecret::from_hex("00112233445566778899aabbccddeeff")?;
/// let hasher = SubscriberHasher::new("demo-isp".parse().unwrap(), &secret);
/// let a = hasher.hash("alice@isp");
/// assert_eq!(a, hasher.hash(b"alice@isp"));
/// assert_ne!(a, hasher.hash("bob@isp"));
/// assert_eq!(a.to_string().len(), 64);
/// assert!(!format!("{hasher:?}").contains("00112233"));
/// # Ok::<(), ispvm_pppoe::privacy::PrivacyError>(())
/// ```
#[derive(Clone)]
pub struct SubscriberHasher {
    tenant: TenantId,
    /// Boxed: the keyed state is a few hundred bytes, and `Privacy` should stay small.
    keyed: Box<Hmac<Sha256>>,
}

impl SubscriberHasher {
    /// A hasher keyed with `secret` for `tenant`.
    #[must_use]
    pub fn new(tenant: TenantId, secret: &SubscriberSecret) -> Self {
        // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
        let keyed = <Hmac<Sha256> as Mac>::new_from_slice(secret.0.expose())
            .unwrap_or_else(|_| <Hmac<Sha256> as Mac>::new(&Default::default()));
        Self {
            tenant,
            keyed: Box::new(keyed),
        }
    }

    /// The tenant this hasher belongs to.
    #[must_use]
    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    /// The pseudonymous id of `username` (bytes as received, no normalisation).
    #[must_use]
    pub fn hash(&self, username: impl AsRef<[u8]>) -> SubscriberId {
        let mut mac = (*self.keyed).clone();
        mac.update(username.as_ref());
        SubscriberId(mac.finalize().into_bytes().into())
    }
}

impl fmt::Debug for SubscriberHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubscriberHasher")
            .field("tenant", &self.tenant)
            .field("key", &"<redacted>")
            .finish()
    }
}

/// Whether subscriber-level data is collected for a tenant.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub enum Privacy {
    /// Default: counts and segments only. Usernames are dropped unread.
    #[default]
    Aggregate,
    /// Opted in: usernames are replaced by keyed hashes at the parser.
    Subscriber(SubscriberHasher),
}

impl Privacy {
    /// The pseudonymous id of `username` when opted in, else `None` (and the name is ignored).
    #[must_use]
    pub fn pseudonymize(&self, username: &[u8]) -> Option<SubscriberId> {
        match self {
            Privacy::Aggregate => None,
            Privacy::Subscriber(h) => Some(h.hash(username)),
        }
    }
}

/// A session event of one (pseudonymous) subscriber.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SubscriberEvent {
    /// The subscriber.
    pub subscriber: SubscriberId,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Start, interim update or stop.
    pub kind: SessionEventKind,
    /// Session length so far, in seconds (interim and stop).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<u64>,
}

impl SubscriberEvent {
    /// An event.
    #[must_use]
    pub fn new(
        subscriber: SubscriberId,
        at: DateTime<Utc>,
        kind: SessionEventKind,
        duration_s: Option<u64>,
    ) -> Self {
        Self {
            subscriber,
            at,
            kind,
            duration_s,
        }
    }
}

/// The kind of a session event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SessionEventKind {
    /// The session started.
    Start,
    /// Periodic update of a running session.
    Interim,
    /// The session ended.
    Stop,
}

/// How long subscriber events are kept, and how many at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetentionPolicy {
    /// Events older than `now - max_age` are purged (default 30 days).
    pub max_age: Duration,
    /// At most this many events; the oldest go first (default 5,000,000).
    pub max_events: usize,
    /// How often [`SubscriberStore::tick`] purges (default 1 hour).
    pub purge_every: Duration,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        Self {
            max_age: Duration::days(30),
            max_events: 5_000_000,
            purge_every: Duration::hours(1),
        }
    }
}

impl RetentionPolicy {
    /// A policy keeping `max_age`, at most `max_events`, purging every `purge_every`.
    #[must_use]
    pub fn new(max_age: Duration, max_events: usize, purge_every: Duration) -> Self {
        Self {
            max_age,
            max_events: max_events.max(1),
            purge_every,
        }
    }
}

/// Subscriber events of one tenant, kept under a [`RetentionPolicy`].
///
/// Events are ordered by time, so a purge is a split of the ordered map: O(log n) plus what it
/// drops, and nothing older than the cutoff can survive it.
///
/// # Examples
/// ```
/// use chrono::{DateTime, Duration, Utc};
/// use ispvm_pppoe::privacy::*;
///
/// let hasher = SubscriberHasher::new("demo-isp".parse().unwrap(), &SubscriberSecret::generate());
/// let mut store = SubscriberStore::new(RetentionPolicy::new(Duration::days(7), 1000, Duration::hours(1)));
/// let now: DateTime<Utc> = "2026-01-10T00:00:00Z".parse().unwrap();
/// let alice = hasher.hash("alice");
/// store.record(SubscriberEvent::new(alice, now - Duration::days(8), SessionEventKind::Stop, Some(60)), now);
/// store.record(SubscriberEvent::new(alice, now - Duration::days(1), SessionEventKind::Stop, Some(90)), now);
/// assert_eq!(store.len(), 1); // the 8-day-old event was refused on arrival
/// assert_eq!(store.durations_of(&alice), vec![90]);
/// store.purge(now + Duration::days(7));
/// assert!(store.is_empty());
/// ```
#[derive(Debug, Clone)]
pub struct SubscriberStore {
    policy: RetentionPolicy,
    events: BTreeMap<(DateTime<Utc>, u64), SubscriberEvent>,
    seq: u64,
    last_purge: Option<DateTime<Utc>>,
}

impl SubscriberStore {
    /// An empty store.
    #[must_use]
    pub fn new(policy: RetentionPolicy) -> Self {
        Self {
            policy: RetentionPolicy::new(policy.max_age, policy.max_events, policy.purge_every),
            events: BTreeMap::new(),
            seq: 0,
            last_purge: None,
        }
    }

    /// Keeps `event` unless it is already older than the retention at `now`. Past
    /// [`RetentionPolicy::max_events`], the oldest event is dropped. Returns whether it was kept.
    pub fn record(&mut self, event: SubscriberEvent, now: DateTime<Utc>) -> bool {
        if event.at < now - self.policy.max_age {
            return false;
        }
        self.seq = self.seq.wrapping_add(1);
        self.events.insert((event.at, self.seq), event);
        while self.events.len() > self.policy.max_events {
            self.events.pop_first();
        }
        true
    }

    /// Removes every event older than `now - max_age`. Returns how many were removed.
    pub fn purge(&mut self, now: DateTime<Utc>) -> usize {
        let cutoff = now - self.policy.max_age;
        let kept = self.events.split_off(&(cutoff, 0));
        let removed = self.events.len();
        self.events = kept;
        self.last_purge = Some(now);
        removed
    }

    /// Purges when [`RetentionPolicy::purge_every`] has passed since the last purge (or never
    /// ran). Call it from the collector's loop. Returns how many events were removed.
    pub fn tick(&mut self, now: DateTime<Utc>) -> usize {
        match self.last_purge {
            Some(last) if now - last < self.policy.purge_every => 0,
            _ => self.purge(now),
        }
    }

    /// Number of events held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether no event is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Time of the oldest event held.
    #[must_use]
    pub fn oldest(&self) -> Option<DateTime<Utc>> {
        self.events.first_key_value().map(|((t, _), _)| *t)
    }

    /// Events of one subscriber, oldest first.
    pub fn events_of<'a>(
        &'a self,
        subscriber: &'a SubscriberId,
    ) -> impl Iterator<Item = &'a SubscriberEvent> + 'a {
        self.events
            .values()
            .filter(move |e| e.subscriber == *subscriber)
    }

    /// Durations (seconds) of the finished sessions of one subscriber, oldest first.
    #[must_use]
    pub fn durations_of(&self, subscriber: &SubscriberId) -> Vec<u64> {
        self.events_of(subscriber)
            .filter(|e| e.kind == SessionEventKind::Stop)
            .filter_map(|e| e.duration_s)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HEX: &str = "5ec12e75ec12e75ec12e75ec12e75ec1";

    fn t(h: i64) -> DateTime<Utc> {
        "2026-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::hours(h)
    }

    #[test]
    fn secret_never_leaks() {
        let secret = SubscriberSecret::from_hex(HEX).unwrap();
        let hasher = SubscriberHasher::new("t1".parse().unwrap(), &secret);
        let privacy = Privacy::Subscriber(hasher.clone());
        let id = hasher.hash("alice");
        let event = SubscriberEvent::new(id, t(0), SessionEventKind::Start, None);
        let mut store = SubscriberStore::new(RetentionPolicy::default());
        store.record(event.clone(), t(0));
        let raw = String::from_utf8_lossy(&hex::decode(HEX).unwrap()).into_owned();
        for text in [
            format!("{secret:?}"),
            format!("{hasher:?}"),
            format!("{privacy:?}"),
            format!("{store:?}"),
            format!("{event:?}"),
            serde_json::to_string(&event).unwrap(),
            PrivacyError::SecretTooShort { len: 3 }.to_string(),
            SubscriberSecret::from_hex("zz").unwrap_err().to_string(),
        ] {
            assert!(!text.contains(HEX), "{text}");
            assert!(!text.contains(&raw), "{text}");
            assert!(!text.contains("alice"), "{text}");
        }
    }

    #[test]
    fn hashes_are_keyed_per_tenant_secret() {
        let a = SubscriberHasher::new(
            "t1".parse().unwrap(),
            &SubscriberSecret::from_hex(HEX).unwrap(),
        );
        let b = SubscriberHasher::new("t2".parse().unwrap(), &SubscriberSecret::generate());
        assert_ne!(a.hash("alice"), b.hash("alice"));
        // Known-answer test: HMAC-SHA256(key, "alice") computed independently
        // (python3 -c "import hmac,hashlib;print(hmac.new(bytes.fromhex(KEY),b'alice',hashlib.sha256).hexdigest())").
        assert_eq!(
            a.hash("alice").to_string(),
            "b92e862816a600087835f83e414218e671926f1cf5e2d0d6501645733faa84c0"
        );
        assert_eq!(Privacy::Aggregate.pseudonymize(b"alice"), None);
    }

    #[test]
    fn secret_length_bounds() {
        assert_eq!(
            SubscriberSecret::new(vec![1; 15]).unwrap_err(),
            PrivacyError::SecretTooShort { len: 15 }
        );
        assert_eq!(
            SubscriberSecret::new(vec![1; MAX_SECRET_LEN + 1]).unwrap_err(),
            PrivacyError::SecretTooLong {
                len: MAX_SECRET_LEN + 1
            }
        );
        assert_eq!(
            SubscriberSecret::from_hex("xyz").unwrap_err(),
            PrivacyError::BadHex
        );
    }

    #[test]
    fn tick_purges_on_schedule() {
        let h = SubscriberHasher::new("t".parse().unwrap(), &SubscriberSecret::generate());
        let mut s = SubscriberStore::new(RetentionPolicy::new(
            Duration::hours(10),
            100,
            Duration::hours(1),
        ));
        s.record(
            SubscriberEvent::new(h.hash("a"), t(0), SessionEventKind::Start, None),
            t(0),
        );
        assert_eq!(s.tick(t(5)), 0); // first tick purges: nothing is old yet
        assert_eq!(s.tick(t(11)), 1); // due, and the event is now 11 h old
        s.record(
            SubscriberEvent::new(
                h.hash("b"),
                t(1) + Duration::minutes(30),
                SessionEventKind::Start,
                None,
            ),
            t(11),
        );
        // Not due (purged 30 min ago) although the event is now older than 10 h.
        assert_eq!(s.tick(t(11) + Duration::minutes(40)), 0);
        assert_eq!(s.len(), 1);
        assert_eq!(s.tick(t(12)), 1);
        assert!(s.is_empty());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// After a purge at `now`, nothing older than `now - max_age` survives, whatever the
        /// arrival order, and everything recorded within the retention is still there.
        #[test]
        fn nothing_older_survives_a_purge(
            events in proptest::collection::vec((0i64..2_000, 0i64..2_000, 0u8..3), 0..200),
            max_age_h in 1i64..500,
            purge_at in 0i64..3_000,
        ) {
            let h = SubscriberHasher::new("t".parse().unwrap(), &SubscriberSecret::generate());
            let policy = RetentionPolicy::new(Duration::hours(max_age_h), usize::MAX, Duration::hours(1));
            let mut store = SubscriberStore::new(policy);
            let mut expected_kept = 0usize;
            for (i, (at, seen_at, who)) in events.iter().enumerate() {
                let ev = SubscriberEvent::new(h.hash([*who]), t(*at), SessionEventKind::Interim, Some(i as u64));
                let kept = store.record(ev, t(*seen_at));
                prop_assert_eq!(kept, t(*at) >= t(*seen_at) - Duration::hours(max_age_h));
                if kept && t(*at) >= t(purge_at) - Duration::hours(max_age_h) {
                    expected_kept += 1;
                }
            }
            store.purge(t(purge_at));
            let cutoff = t(purge_at) - Duration::hours(max_age_h);
            prop_assert!(store.oldest().is_none_or(|o| o >= cutoff));
            prop_assert_eq!(store.len(), expected_kept);
        }
    }
}
