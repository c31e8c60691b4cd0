//! Maintenance windows: planned work during which failures are expected.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::EntityId;

/// A planned window for some entities, `start` inclusive, `end` exclusive.
///
/// # Examples
/// ```
/// use ispvm_model::MaintenanceWindow;
/// let w: MaintenanceWindow = serde_json::from_str(
///     r#"{"entities":["agg2"],"start":"2026-01-01T00:00:00Z","end":"2026-01-01T02:00:00Z"}"#,
/// ).unwrap();
/// assert!(w.is_active("2026-01-01T01:00:00Z".parse().unwrap()));
/// assert!(!w.is_active("2026-01-01T02:00:00Z".parse().unwrap()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "MaintenanceWire", into = "MaintenanceWire")]
pub struct MaintenanceWindow {
    entities: Vec<EntityId>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    reason: Option<String>,
}

/// Why a maintenance window was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MaintenanceError {
    /// `end` is not after `start`.
    #[error("maintenance window ends ({end}) before or when it starts ({start})")]
    EndBeforeStart {
        /// Start of the window.
        start: DateTime<Utc>,
        /// End of the window.
        end: DateTime<Utc>,
    },
    /// No entity is named.
    #[error("maintenance window names no entity")]
    NoEntities,
}

impl MaintenanceWindow {
    /// A window over `entities` from `start` (inclusive) to `end` (exclusive).
    ///
    /// # Errors
    /// [`MaintenanceError`] when `end <= start` or `entities` is empty.
    pub fn new(
        entities: Vec<EntityId>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Self, MaintenanceError> {
        if end <= start {
            return Err(MaintenanceError::EndBeforeStart { start, end });
        }
        if entities.is_empty() {
            return Err(MaintenanceError::NoEntities);
        }
        Ok(Self {
            entities,
            start,
            end,
            reason: None,
        })
    }

    /// Sets a free-text reason (change ticket...).
    #[must_use]
    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// The entities in maintenance.
    #[must_use]
    pub fn entities(&self) -> &[EntityId] {
        &self.entities
    }

    /// Start (inclusive).
    #[must_use]
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// End (exclusive).
    #[must_use]
    pub fn end(&self) -> DateTime<Utc> {
        self.end
    }

    /// The reason, if any.
    #[must_use]
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }

    /// Whether the window is active at `at`: `start <= at < end`.
    #[must_use]
    pub fn is_active(&self, at: DateTime<Utc>) -> bool {
        self.start <= at && at < self.end
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "json-schema", schemars(rename = "MaintenanceWindow"))]
/// A planned maintenance window; `end` must be after `start`.
struct MaintenanceWire {
    /// Entities in maintenance.
    #[cfg_attr(feature = "json-schema", schemars(length(min = 1)))]
    entities: Vec<EntityId>,
    /// Start, inclusive (RFC 3339).
    start: DateTime<Utc>,
    /// End, exclusive (RFC 3339).
    end: DateTime<Utc>,
    /// Free-text reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

impl TryFrom<MaintenanceWire> for MaintenanceWindow {
    type Error = MaintenanceError;
    fn try_from(w: MaintenanceWire) -> Result<Self, Self::Error> {
        let mut window = MaintenanceWindow::new(w.entities, w.start, w.end)?;
        window.reason = w.reason;
        Ok(window)
    }
}

impl From<MaintenanceWindow> for MaintenanceWire {
    fn from(w: MaintenanceWindow) -> Self {
        MaintenanceWire {
            entities: w.entities,
            start: w.start,
            end: w.end,
            reason: w.reason,
        }
    }
}

#[cfg(feature = "json-schema")]
impl schemars::JsonSchema for MaintenanceWindow {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "MaintenanceWindow".into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        MaintenanceWire::json_schema(generator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_before_start_is_refused() {
        let e = serde_json::from_str::<MaintenanceWindow>(
            r#"{"entities":["a"],"start":"2026-01-01T02:00:00Z","end":"2026-01-01T00:00:00Z"}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("before"), "{e}");
        let e = serde_json::from_str::<MaintenanceWindow>(
            r#"{"entities":[],"start":"2026-01-01T00:00:00Z","end":"2026-01-01T02:00:00Z"}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("no entity"), "{e}");
    }
}
