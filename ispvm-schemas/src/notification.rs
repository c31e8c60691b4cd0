//! The notification document (`ispvm.notification/v1`): what a webhook receives when an
//! incident opens, changes or closes.
//!
//! `ispvm-notify` builds one per incident transition and posts it, signed, to every configured
//! webhook. `key` is the notification's idempotency key: a notification delivered twice (the
//! outbox is at-least-once) carries the same key both times, so a receiver deduplicates on it.
//!
//! # Examples
//! ```
//! use ispvm_model::Incident;
//! use ispvm_schemas::notification::{Notification, NotificationKind, Severity};
//!
//! let at = "2026-03-14T09:05:00Z".parse()?;
//! let incident = Incident::new("inc-20260314T090500Z-agg2", at, vec![], vec![], 120, "agg2 down");
//! let n = Notification::new(NotificationKind::Open, "demo-isp".parse()?, at, Severity::Critical, true, incident, None);
//! let json = serde_json::to_value(&n)?;
//! assert_eq!(json["schema"], "ispvm.notification/v1");
//! assert_eq!(json["kind"], "open");
//! assert_eq!(json["incident"]["id"], "inc-20260314T090500Z-agg2");
//! // The key is derived from tenant, incident, kind and time: the same transition, the same key.
//! // An `open` is keyed by the incident's opening time, whenever it is sent.
//! let later = "2026-03-14T09:30:00Z".parse()?;
//! assert_eq!(n.key, Notification::new(NotificationKind::Open, "demo-isp".parse()?, later,
//!     Severity::Critical, true, n.incident.clone(), None).key);
//! assert_eq!(n.key, "demo-isp/inc-20260314T090500Z-agg2/open/2026-03-14T09:05:00.000Z");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use ispvm_model::{Incident, TenantId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The `schema` value of a notification.
pub const NOTIFICATION_SCHEMA: &str = "ispvm.notification/v1";

/// Which transition of the incident a notification reports.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NotificationKind {
    /// The incident opened (or a notifier saw it for the first time).
    Open,
    /// Its causes, impact, severity or paging decision changed.
    Changed,
    /// It closed.
    Closed,
}

impl NotificationKind {
    /// The wire name: `open`, `changed`, `closed`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Changed => "changed",
            Self::Closed => "closed",
        }
    }
}

impl fmt::Display for NotificationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How loud an incident is: `critical` when it pages and subscribers are affected, `warning`
/// when it pages, `info` when it does not (the `severity` label of the Alertmanager alert).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Severity {
    /// Pages, and subscribers are affected.
    Critical,
    /// Pages, no subscriber affected.
    Warning,
    /// Does not page.
    Info,
}

impl Severity {
    /// The severity of an incident from its paging decision and its subscriber count.
    ///
    /// # Examples
    /// ```
    /// use ispvm_schemas::notification::Severity;
    /// assert_eq!(Severity::of(true, 120), Severity::Critical);
    /// assert_eq!(Severity::of(true, 0), Severity::Warning);
    /// assert_eq!(Severity::of(false, 120), Severity::Info);
    /// ```
    #[must_use]
    pub const fn of(page: bool, subscribers_affected: u64) -> Self {
        match (page, subscribers_affected) {
            (false, _) => Self::Info,
            (true, 0) => Self::Warning,
            (true, _) => Self::Critical,
        }
    }

    /// The wire name: `critical`, `warning`, `info`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::Warning => "warning",
            Self::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One notification about one incident, as a webhook receives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(
    title = "ispvm notification",
    rename = "Notification",
    description = "One transition (open, changed, closed) of one incident, posted to a webhook; key is its idempotency key."
)]
#[non_exhaustive]
pub struct Notification {
    /// Document type and version: `ispvm.notification/v1` (or `ispvm.notification/v1.MINOR`).
    #[schemars(regex(pattern = r"^ispvm\.notification/v1(\.(0|[1-9][0-9]{0,4}))?$"))]
    pub schema: String,
    /// The idempotency key: the same for every delivery of this notification (also sent as
    /// the `Idempotency-Key` header).
    pub key: String,
    /// `open`, `changed` or `closed`.
    pub kind: NotificationKind,
    /// The tenant.
    pub tenant: TenantId,
    /// When the transition was seen (the evaluation instant; the close time for `closed`).
    pub at: DateTime<Utc>,
    /// `critical`, `warning` or `info`.
    pub severity: Severity,
    /// The incident's paging decision.
    pub page: bool,
    /// The incident as the analysis described it last.
    pub incident: Incident,
    /// When it closed (only for `closed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
}

impl Notification {
    /// A notification with the current schema id and its idempotency key
    /// ([`Notification::key_of`] of the incident's `opened_at` for `open`, of `at` otherwise:
    /// an incident opens once, so a notifier restarted while it is open sends its `open` again
    /// under the same key, and a receiver that deduplicates sees it once).
    #[must_use]
    pub fn new(
        kind: NotificationKind,
        tenant: TenantId,
        at: DateTime<Utc>,
        severity: Severity,
        page: bool,
        incident: Incident,
        closed_at: Option<DateTime<Utc>>,
    ) -> Self {
        Self {
            schema: NOTIFICATION_SCHEMA.to_string(),
            key: Self::key_of(
                &tenant,
                &incident.id,
                kind,
                if kind == NotificationKind::Open {
                    incident.opened_at
                } else {
                    at
                },
            ),
            kind,
            tenant,
            at,
            severity,
            page,
            incident,
            closed_at,
        }
    }

    /// The idempotency key of a transition: `TENANT/INCIDENT/KIND/AT` with `AT` in RFC 3339,
    /// milliseconds, `Z` (`demo-isp/inc-20260314T090500Z-agg2/open/2026-03-14T09:05:00.000Z`).
    /// [`Notification::new`] passes the incident's `opened_at` for `open` and the transition
    /// time otherwise; an incident has at most one transition of a kind per evaluation
    /// instant, so the key names exactly one notification.
    #[must_use]
    pub fn key_of(
        tenant: &TenantId,
        incident: &str,
        kind: NotificationKind,
        at: DateTime<Utc>,
    ) -> String {
        format!(
            "{tenant}/{incident}/{kind}/{}",
            at.to_rfc3339_opts(SecondsFormat::Millis, true)
        )
    }
}
