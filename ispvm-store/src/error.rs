//! Typed errors of the store, with [`StoreError::is_retryable`] to branch on.

use chrono::{DateTime, Utc};

/// Why a store operation failed.
///
/// Callers branch on [`StoreError::is_retryable`]: `true` means the same call may succeed later
/// unchanged (the database was busy, a connection broke, the pool was exhausted); `false` means
/// retrying the same call will fail the same way. Messages never contain a database URL or a
/// password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database URL or options are invalid (not retryable).
    #[error("invalid store configuration: {0}")]
    Config(String),
    /// The database cannot be reached or the connection broke (retryable).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database is busy: locked by another writer, a serialization failure or a deadlock
    /// (retryable).
    #[error("database busy: {0}")]
    Busy(String),
    /// The database holds schema migrations newer than this program knows: it was upgraded by a
    /// newer ispvm. Not retryable: run the newer version or restore a backup.
    #[error(
        "database schema version {found} is newer than this program's {known}; upgrade ispvm or restore a backup"
    )]
    SchemaTooNew {
        /// The newest migration applied to the database.
        found: i64,
        /// The newest migration this program carries.
        known: i64,
    },
    /// A migration failed (not retryable).
    #[error("schema migration failed: {0}")]
    Migration(String),
    /// The thing asked for does not exist in this tenant.
    #[error("{what} {id:?} not found")]
    NotFound {
        /// What was looked for (`incident`, `maintenance window`...).
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// A feedback label names an entity that is not one of the incident's root causes.
    #[error("entity {cause:?} is not a root cause of incident {incident:?}")]
    CauseNotInIncident {
        /// The incident.
        incident: String,
        /// The entity named.
        cause: String,
    },
    /// The analysis is older than the last one applied for the tenant (a late redelivery).
    /// Not retryable; safe to drop.
    #[error("analysis of {evaluated_at} is older than the last one applied ({last_applied})")]
    StaleAnalysis {
        /// The analysis' evaluation time.
        evaluated_at: DateTime<Utc>,
        /// The last evaluation time applied.
        last_applied: DateTime<Utc>,
    },
    /// The stored topology changed between a plan and its application (re-plan and review).
    #[error("the stored topology changed since the plan was made; plan again")]
    PlanOutdated,
    /// The input is invalid (a topology that does not validate, a window that ends before it
    /// starts...). Not retryable.
    #[error("invalid input: {0}")]
    Invalid(String),
    /// The operation is not available on this backend.
    #[error("not supported on {backend}: {what}")]
    Unsupported {
        /// The backend (`sqlite` or `postgres`).
        backend: &'static str,
        /// What was asked.
        what: &'static str,
    },
    /// Stored data could not be decoded (a damaged or foreign database). Not retryable.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// Any other database error (not retryable).
    #[error("database error: {0}")]
    Database(String),
}

impl StoreError {
    /// Whether the same call may succeed if tried again later.
    ///
    /// # Examples
    /// ```
    /// use ispvm_store::StoreError;
    /// assert!(StoreError::Busy("database is locked".into()).is_retryable());
    /// assert!(!StoreError::NotFound { what: "incident", id: "x".into() }.is_retryable());
    /// ```
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_) | StoreError::Busy(_))
    }

    pub(crate) fn corrupt(what: impl std::fmt::Display) -> Self {
        StoreError::Corrupt(what.to_string())
    }
}

/// SQLite result codes (primary and extended) meaning "busy, try again".
const SQLITE_BUSY_CODES: [&str; 6] = ["5", "6", "261", "262", "517", "773"];
/// PostgreSQL SQLSTATEs meaning "try again": serialization failure, deadlock, lock not
/// available, too many connections, admin/crash shutdown, cannot connect now.
const PG_RETRY_CODES: [&str; 7] = [
    "40001", "40P01", "55P03", "53300", "57P01", "57P02", "57P03",
];

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::Database(db) => {
                let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
                let msg = db.message().to_string();
                if SQLITE_BUSY_CODES.contains(&code.as_str())
                    || PG_RETRY_CODES.contains(&code.as_str())
                {
                    StoreError::Busy(msg)
                } else {
                    StoreError::Database(format!("{msg} (code {code})"))
                }
            }
            sqlx::Error::Io(e) => StoreError::Unavailable(e.to_string()),
            sqlx::Error::Tls(e) => StoreError::Unavailable(format!("TLS: {e}")),
            sqlx::Error::Protocol(e) => StoreError::Unavailable(format!("protocol: {e}")),
            sqlx::Error::PoolTimedOut => {
                StoreError::Unavailable("timed out waiting for a connection".into())
            }
            sqlx::Error::PoolClosed => StoreError::Unavailable("the store is closed".into()),
            sqlx::Error::WorkerCrashed => {
                StoreError::Unavailable("the SQLite worker thread stopped".into())
            }
            // Configuration errors may quote the URL: keep only their kind.
            sqlx::Error::Configuration(_) => StoreError::Config("invalid database URL".into()),
            sqlx::Error::ColumnDecode { index, source } => {
                StoreError::Corrupt(format!("column {index}: {source}"))
            }
            sqlx::Error::Decode(e) => StoreError::Corrupt(e.to_string()),
            sqlx::Error::ColumnNotFound(c) => StoreError::Corrupt(format!("no column {c}")),
            sqlx::Error::RowNotFound => StoreError::Corrupt("expected row missing".into()),
            sqlx::Error::Migrate(e) => StoreError::from(*e),
            other => StoreError::Database(other.to_string()),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        use sqlx::migrate::MigrateError;
        match e {
            MigrateError::VersionMissing(found) => StoreError::SchemaTooNew {
                found,
                known: crate::migrations::LATEST,
            },
            MigrateError::Execute(e) => match StoreError::from(e) {
                retry @ (StoreError::Busy(_) | StoreError::Unavailable(_)) => retry,
                other => StoreError::Migration(other.to_string()),
            },
            other => StoreError::Migration(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_kinds() {
        assert!(StoreError::from(sqlx::Error::PoolTimedOut).is_retryable());
        assert!(StoreError::Unavailable("x".into()).is_retryable());
        assert!(!StoreError::Corrupt("x".into()).is_retryable());
        assert!(!StoreError::PlanOutdated.is_retryable());
        let e = StoreError::from(sqlx::Error::Configuration(
            "postgres://u:secret@h/db is bad".into(),
        ));
        assert!(!e.to_string().contains("secret"));
        assert_eq!(
            StoreError::from(sqlx::migrate::MigrateError::VersionMissing(99)),
            StoreError::SchemaTooNew {
                found: 99,
                known: crate::migrations::LATEST
            }
        );
    }
}
