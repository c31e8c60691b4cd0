//! [`Store`]: opening, migrating and closing the database, and the backend dispatch.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::StoreError;

/// The file name of the embedded database inside a data directory.
pub const SQLITE_FILE_NAME: &str = "ispvm.sqlite";

/// Which database a [`Store`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// One embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// `sqlite` or `postgres`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// How hard SQLite works to keep an acknowledged write (the file is always in WAL mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Durability {
    /// `synchronous=FULL` (default): every acknowledged commit is on stable storage before the
    /// call returns; it survives a process crash and a power loss.
    #[default]
    Full,
    /// `synchronous=NORMAL`: an acknowledged commit survives a process crash (`kill -9`), but
    /// the last commits before a power loss or OS crash may be lost (never corrupted). Faster.
    Normal,
}

/// Where and how to open a [`Store`]; see [`Store::open_with`].
///
/// `Debug` never shows the URL (it may hold a password).
#[derive(Clone)]
#[non_exhaustive]
pub struct StoreOptions {
    target: Target,
    /// Largest number of pooled connections (default 8 for PostgreSQL, 4 for SQLite).
    pub max_connections: Option<u32>,
    /// SQLite durability (default [`Durability::Full`]).
    pub durability: Durability,
    /// How long a SQLite writer waits for the lock, or a caller for a pooled connection,
    /// before failing with a retryable error (default 5 s).
    pub busy_timeout: Duration,
}

#[derive(Clone)]
enum Target {
    SqliteFile(PathBuf),
    Url(String),
}

impl std::fmt::Debug for StoreOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let target = match &self.target {
            Target::SqliteFile(p) => format!("sqlite file {}", p.display()),
            Target::Url(u) => format!("url with scheme {:?}", u.split(':').next().unwrap_or("")),
        };
        f.debug_struct("StoreOptions")
            .field("target", &target)
            .field("max_connections", &self.max_connections)
            .field("durability", &self.durability)
            .field("busy_timeout", &self.busy_timeout)
            .finish()
    }
}

impl StoreOptions {
    /// The embedded database `ispvm.sqlite` inside `dir` (created if missing), the agent's
    /// `--data-dir`.
    #[must_use]
    pub fn data_dir(dir: impl AsRef<Path>) -> Self {
        Self::sqlite_file(dir.as_ref().join(SQLITE_FILE_NAME))
    }

    /// One SQLite file at `path` (created if missing).
    #[must_use]
    pub fn sqlite_file(path: impl Into<PathBuf>) -> Self {
        Self::with_target(Target::SqliteFile(path.into()))
    }

    /// A database URL: `postgres://user@host:port/db` (or `postgresql://`), or
    /// `sqlite:///path/to/file` / `sqlite:relative/file`, the agent's `--database`.
    #[must_use]
    pub fn url(url: impl Into<String>) -> Self {
        Self::with_target(Target::Url(url.into()))
    }

    fn with_target(target: Target) -> Self {
        Self {
            target,
            max_connections: None,
            durability: Durability::default(),
            busy_timeout: Duration::from_secs(5),
        }
    }

    /// Sets the SQLite durability.
    #[must_use]
    pub fn durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// Sets the largest number of pooled connections.
    #[must_use]
    pub fn max_connections(mut self, n: u32) -> Self {
        self.max_connections = Some(n.max(1));
        self
    }
}

#[derive(Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The persistent store of one ispvm deployment: every tenant's topology, incident history,
/// feedback labels, learned weights, maintenance windows, poll summaries and audit log, on
/// SQLite or PostgreSQL behind one API.
///
/// Cloning is cheap (the connection pool is shared). Every write is one transaction; when a call
/// returns `Ok`, its write is committed.
#[derive(Clone)]
pub struct Store {
    pub(crate) pool: Pool,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend().as_str())
            .finish_non_exhaustive()
    }
}

/// Runs `$body` with `$p` bound to the backend's pool (the body is compiled once per backend).
macro_rules! on_pool {
    ($store:expr, $p:ident => $body:expr) => {
        match &$store.pool {
            $crate::store::Pool::Sqlite($p) => $body,
            $crate::store::Pool::Postgres($p) => $body,
        }
    };
}
pub(crate) use on_pool;

/// Starts a write transaction: `BEGIN IMMEDIATE` on SQLite (take the write lock up front, so
/// two writers queue on the busy timeout instead of failing on a lock upgrade).
macro_rules! begin_write {
    ($p:ident) => {
        $crate::store::BeginWrite::begin_write($p).await?
    };
}
pub(crate) use begin_write;

pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Self::Db>, StoreError>;
}

impl BeginWrite for SqlitePool {
    type Db = sqlx::Sqlite;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        Ok(self.begin_with("BEGIN IMMEDIATE").await?)
    }
}

impl BeginWrite for PgPool {
    type Db = sqlx::Postgres;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        Ok(self.begin().await?)
    }
}

impl Store {
    /// Opens the database named by a URL (`postgres://...` or `sqlite:...`) and applies the
    /// schema migrations.
    ///
    /// # Errors
    /// [`StoreError::Config`] for a URL of another scheme, [`StoreError::Unavailable`] when the
    /// server cannot be reached, [`StoreError::SchemaTooNew`] when a newer ispvm migrated it.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        Self::open_with(StoreOptions::url(url)).await
    }

    /// Opens (creating if needed) `ispvm.sqlite` inside `dir`, the agent's `--data-dir`.
    ///
    /// # Errors
    /// As [`Store::open_with`].
    ///
    /// # Examples
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let store = ispvm_store::Store::open_data_dir(dir.path()).await?;
    /// assert_eq!(store.backend(), ispvm_store::Backend::Sqlite);
    /// assert_eq!(store.schema_version().await?, ispvm_store::Store::SCHEMA_VERSION);
    /// assert!(dir.path().join("ispvm.sqlite").exists());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn open_data_dir(dir: impl AsRef<Path>) -> Result<Store, StoreError> {
        Self::open_with(StoreOptions::data_dir(dir)).await
    }

    /// The newest schema version this program carries; [`Store::open`] migrates to it.
    pub const SCHEMA_VERSION: i64 = crate::migrations::LATEST;

    /// Opens a store with explicit options and applies the schema migrations.
    ///
    /// # Errors
    /// [`StoreError::Config`] (bad URL, data directory not creatable), [`StoreError::Unavailable`]
    /// (server unreachable: retryable), [`StoreError::SchemaTooNew`], [`StoreError::Migration`].
    pub async fn open_with(options: StoreOptions) -> Result<Store, StoreError> {
        let pool = match &options.target {
            Target::SqliteFile(path) => Pool::Sqlite(open_sqlite(path, &options).await?),
            Target::Url(url) => {
                let scheme = url.split(':').next().unwrap_or("");
                match scheme {
                    "postgres" | "postgresql" => {
                        let connect = PgConnectOptions::from_str(url)
                            .map_err(|_| StoreError::Config("invalid PostgreSQL URL".into()))?;
                        let pool = PgPoolOptions::new()
                            .max_connections(options.max_connections.unwrap_or(8))
                            .acquire_timeout(options.busy_timeout)
                            .connect_with(connect)
                            .await?;
                        Pool::Postgres(pool)
                    }
                    "sqlite" => {
                        let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
                        let path = rest.split('?').next().unwrap_or("");
                        if path.is_empty() || path == ":memory:" {
                            return Err(StoreError::Config(
                                "a sqlite URL must name a file (sqlite:///path/ispvm.sqlite)"
                                    .into(),
                            ));
                        }
                        Pool::Sqlite(open_sqlite(Path::new(path), &options).await?)
                    }
                    _ => {
                        return Err(StoreError::Config(
                            "the database URL must start with postgres://, postgresql:// or sqlite:"
                                .into(),
                        ));
                    }
                }
            }
        };
        let store = Store { pool };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let postgres = self.backend() == Backend::Postgres;
        let migrator = crate::migrations::migrator(postgres).await?;
        let applied = self.applied_version().await?;
        if let Some(found) = applied.filter(|v| *v > Self::SCHEMA_VERSION) {
            return Err(StoreError::SchemaTooNew {
                found,
                known: Self::SCHEMA_VERSION,
            });
        }
        on_pool!(self, p => migrator.run(p).await?);
        if applied != Some(Self::SCHEMA_VERSION) {
            tracing::info!(
                backend = self.backend().as_str(),
                from = applied.unwrap_or(0),
                to = Self::SCHEMA_VERSION,
                "store schema migrated"
            );
        }
        Ok(())
    }

    async fn applied_version(&self) -> Result<Option<i64>, StoreError> {
        let exists_sql = match self.backend() {
            Backend::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
            }
            Backend::Postgres => {
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'"
            }
        };
        let exists: i64 = on_pool!(self, p => sqlx::query_scalar(exists_sql).fetch_one(p).await?);
        if exists == 0 {
            return Ok(None);
        }
        let v: Option<i64> = on_pool!(self, p => sqlx::query_scalar(
            "SELECT MAX(version) FROM _sqlx_migrations WHERE success"
        )
        .fetch_one(p)
        .await?);
        Ok(v)
    }

    /// The schema version of the open database (the newest applied migration).
    ///
    /// # Errors
    /// A database error.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self.applied_version().await?.unwrap_or(0))
    }

    /// Which backend this store runs on.
    #[must_use]
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Closes every pooled connection (SQLite checkpoints its WAL). Later calls fail with a
    /// retryable [`StoreError::Unavailable`].
    pub async fn close(&self) {
        on_pool!(self, p => p.close().await);
    }

    /// Checks the database's physical integrity: `PRAGMA integrity_check` on SQLite (`["ok"]`
    /// when sound, else one line per problem); on PostgreSQL a trivial query (`["ok"]`), since
    /// the server checks its own pages.
    ///
    /// # Errors
    /// A database error.
    pub async fn check_integrity(&self) -> Result<Vec<String>, StoreError> {
        match &self.pool {
            Pool::Sqlite(p) => Ok(sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_all(p)
                .await?),
            Pool::Postgres(p) => {
                let one: i32 = sqlx::query_scalar("SELECT 1").fetch_one(p).await?;
                Ok(vec![if one == 1 { "ok".into() } else { "bad".into() }])
            }
        }
    }

    /// Refreshes the query planner's statistics (`PRAGMA optimize` on SQLite, `ANALYZE` of the
    /// store's tables on PostgreSQL), so queries keep using their indexes after bulk changes.
    /// The retention task ([`spawn_retention`](crate::spawn_retention)) calls it after each pass;
    /// call it after a large import.
    ///
    /// # Errors
    /// Database errors.
    pub async fn optimize(&self) -> Result<(), StoreError> {
        match &self.pool {
            Pool::Sqlite(p) => {
                sqlx::query("PRAGMA optimize").execute(p).await?;
            }
            Pool::Postgres(p) => {
                sqlx::query(
                    "ANALYZE incidents, root_causes, incident_history, incident_feedback, entities, \
                     links, dependency_groups, dependency_group_members, maintenance_windows, audit_log",
                )
                .execute(p)
                .await?;
            }
        }
        Ok(())
    }

    /// Writes a consistent copy of the SQLite database to `dest` while the store stays in use
    /// (`VACUUM INTO`). `dest` must not exist. PostgreSQL is backed up with `pg_dump`
    /// (see `docs/backup-and-restore.md`).
    ///
    /// # Errors
    /// [`StoreError::Unsupported`] on PostgreSQL; [`StoreError::Invalid`] when `dest` exists or
    /// is not UTF-8; a database error.
    pub async fn backup_sqlite_to(&self, dest: impl AsRef<Path>) -> Result<(), StoreError> {
        let dest = dest.as_ref();
        let Pool::Sqlite(p) = &self.pool else {
            return Err(StoreError::Unsupported {
                backend: "postgres",
                what: "online file backup (use pg_dump)",
            });
        };
        if dest.exists() {
            return Err(StoreError::Invalid(format!(
                "backup destination {} exists",
                dest.display()
            )));
        }
        let dest = dest
            .to_str()
            .ok_or_else(|| StoreError::Invalid("backup path is not UTF-8".into()))?;
        sqlx::query("VACUUM INTO $1").bind(dest).execute(p).await?;
        Ok(())
    }
}

async fn open_sqlite(path: &Path, options: &StoreOptions) -> Result<SqlitePool, StoreError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Config(format!(
                "cannot create data directory {}: {e}",
                dir.display()
            ))
        })?;
    }
    let synchronous = match options.durability {
        Durability::Full => SqliteSynchronous::Full,
        Durability::Normal => SqliteSynchronous::Normal,
    };
    let connect = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(synchronous)
        .foreign_keys(true)
        .busy_timeout(options.busy_timeout);
    let pool = SqlitePoolOptions::new()
        .max_connections(options.max_connections.unwrap_or(4))
        .acquire_timeout(options.busy_timeout)
        .connect_with(connect)
        .await?;
    Ok(pool)
}

/// Microseconds since the epoch (the stored time unit).
pub(crate) fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// The instant of a stored microsecond count.
pub(crate) fn from_micros(us: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(us)
        .ok_or_else(|| StoreError::corrupt(format!("time {us} out of range")))
}

/// Truncates to the stored precision (microseconds).
pub(crate) fn truncate(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}
