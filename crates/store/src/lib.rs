//! Linli's storage: one [`Store`] over either an embedded SQLite database or PostgreSQL.
//!
//! Design (see docs/architecture.md): concrete `SqlitePool`/`PgPool` behind one type, not
//! `sqlx::Any`. Most SQL text is portable (`$1` placeholders, `RETURNING`,
//! `ON CONFLICT … DO UPDATE`). Reads run on whichever pool is active through [`read!`];
//! writes run in one [`Tx`] handle over either backend ([`transaction!`]), written once,
//! with the dialect branch only at each statement ([`on!`]). Where the dialects' SQL
//! differs, a module branches on [`Backend`] explicitly.
//!
//! SQLite runs in WAL mode with a read pool and a single-connection write pool: every
//! write goes through that one connection, so load queues instead of failing with
//! `SQLITE_BUSY`. Timestamps are UTC milliseconds in an integer column on both backends.

pub mod accounts;
pub mod activities;
pub mod admin;
pub mod announcements;
pub mod assemblies;
pub mod attachments;
mod audience;
pub mod audit;
mod cache;
pub mod care;
pub mod cases;
pub mod committees;
pub mod consultations;
pub mod crypto;
pub mod demo;
pub mod disputes;
mod error;
pub mod import;
pub mod joint;
pub mod monitoring;
pub mod moves;
pub mod notifications;
pub mod open311;
pub mod outcomes;
pub mod ownership;
pub mod photos;
mod places;
pub mod points;
pub mod proposals;
pub mod publicity;
pub mod registry;
pub mod residents;
pub mod scorecards;
pub mod services;
pub mod sessions;
pub mod settings;
pub mod surveys;
pub mod throttle;
pub mod tokens;
pub mod verification;
pub mod volunteers;

pub use crypto::SecretKey;
pub use error::{StoreError, StoreResult};

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

#[doc(hidden)]
pub use sqlx;

/// Runs `$body` with `$db` bound to the active backend's read pool.
#[macro_export]
macro_rules! read {
    ($store:expr, |$db:ident| $body:expr) => {
        match $store.backend() {
            $crate::Backend::Sqlite { read, .. } => {
                let $db = read;
                $body
            }
            $crate::Backend::Postgres(pool) => {
                let $db = pool;
                $body
            }
        }
    };
}

/// Runs `$body` in a transaction on the active backend's write path, with `$tx` bound to
/// the open [`Tx`] (`&mut Tx`), and evaluates to `StoreResult<body value>`. An early `?`
/// return rolls back; reaching the end commits. The body is written once for both
/// backends: its statements run through [`on!`], and what it shares with other writes
/// are ordinary functions taking `&mut Tx`.
///
/// A write that fails in any way (a full disk above all) leaves nothing behind: see
/// [`Tx`]. Each outcome also tells the store whether it can write ([`Store::cannot_write`]).
#[macro_export]
macro_rules! transaction {
    ($store:expr, |$tx:ident| $body:expr) => {{
        let store: &$crate::Store = &$store;
        let result: $crate::StoreResult<_> = async {
            let mut handle = store.begin().await?;
            let out = {
                let $tx = &mut handle;
                $body
            };
            handle.commit().await?;
            Ok(out)
        }
        .await;
        store.after_write(&result);
        result
    }};
}

/// Runs one statement on a transaction's backend: `$body` is written once and expanded
/// for each dialect, with `$c` bound to the connection (an `Executor`). This is the only
/// place a write branches on the backend.
#[macro_export]
macro_rules! on {
    ($tx:expr, |$c:ident| $body:expr) => {
        match $tx.conn() {
            $crate::TxConn::Sqlite(conn) => {
                let $c = &mut **conn;
                $body
            }
            $crate::TxConn::Postgres(conn) => {
                let $c = &mut **conn;
                $body
            }
        }
    };
}

/// Runs one statement that returns no rows on a transaction's backend ([`on!`] with
/// `execute`), and evaluates to the number of rows it touched.
#[macro_export]
macro_rules! exec {
    ($tx:expr, $query:expr) => {
        $crate::on!($tx, |c| $query.execute(c).await.map(|r| r.rows_affected()))
    };
}

/// An open write transaction on either backend. Store functions that write take
/// `&mut Tx` and run their statements with [`on!`].
///
/// A transaction that ends without committing (an error, or a request cancelled half-way)
/// leaves nothing behind: on SQLite its connection, the single writer, is closed rather
/// than returned to the pool, so the next write starts on a fresh connection that no
/// half-finished transaction can haunt (SQLite may roll a transaction back by itself on
/// `SQLITE_FULL`, after which a reused connection's idea of the transaction no longer
/// matches SQLite's); on PostgreSQL it is rolled back as the connection goes back.
pub struct Tx {
    conn: TxConn,
    open: bool,
}

/// The connection a [`Tx`] holds; matched by [`on!`] only.
#[doc(hidden)]
pub enum TxConn {
    Sqlite(sqlx::pool::PoolConnection<sqlx::Sqlite>),
    Postgres(sqlx::pool::PoolConnection<sqlx::Postgres>),
}

impl Tx {
    #[doc(hidden)]
    pub fn conn(&mut self) -> &mut TxConn {
        &mut self.conn
    }

    #[doc(hidden)]
    pub async fn commit(&mut self) -> StoreResult<()> {
        use sqlx::TransactionManager;
        match &mut self.conn {
            TxConn::Sqlite(c) => <sqlx::Sqlite as sqlx::Database>::TransactionManager::commit(&mut **c).await?,
            TxConn::Postgres(c) => <sqlx::Postgres as sqlx::Database>::TransactionManager::commit(&mut **c).await?,
        }
        self.open = false;
        Ok(())
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        use sqlx::TransactionManager;
        if self.open {
            match &mut self.conn {
                TxConn::Sqlite(c) => c.close_on_drop(),
                TxConn::Postgres(c) => <sqlx::Postgres as sqlx::Database>::TransactionManager::start_rollback(&mut **c),
            }
        }
    }
}

/// The active database.
#[derive(Clone, Debug)]
pub enum Backend {
    Sqlite { read: SqlitePool, write: SqlitePool },
    Postgres(PgPool),
}

/// Where the data lives, decided once at start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// `DATA/linli.db` inside a data folder, created if the folder's parent exists.
    SqliteDir(PathBuf),
    /// An existing SQLite file named by a bare path or a `sqlite:` URL.
    SqliteFile(PathBuf),
    Postgres(String),
}

impl Target {
    /// Picks the target from `--database-url` (if any) and `--data`. A bare path or
    /// `sqlite:` URL must name a file that exists: a typo never creates an empty database.
    pub fn resolve(database_url: Option<&str>, data_dir: &Path) -> StoreResult<Target> {
        match database_url.map(str::trim).filter(|u| !u.is_empty()) {
            None => Ok(Target::SqliteDir(data_dir.to_path_buf())),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Ok(Target::Postgres(url.to_owned()))
            }
            Some(url) => {
                let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
                let path = path.split('?').next().unwrap_or(path);
                if url.contains("://") && !url.starts_with("sqlite://") {
                    return Err(StoreError::Config(format!(
                        "unsupported database URL scheme in {}; use postgres:// or a SQLite file path",
                        redact_url(url)
                    )));
                }
                let path = PathBuf::from(path);
                if !path.is_file() {
                    return Err(StoreError::Config(format!(
                        "SQLite database {} does not exist; use --data DIR to create a new one",
                        path.display()
                    )));
                }
                Ok(Target::SqliteFile(path))
            }
        }
    }

    /// Creates the data folder of a [`Target::SqliteDir`] if its parent exists.
    pub fn prepare(&self) -> StoreResult<()> {
        match self {
            Target::SqliteDir(dir) => ensure_data_dir(dir),
            _ => Ok(()),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Target::SqliteDir(dir) => format!("SQLite in {}", dir.join(SQLITE_FILE).display()),
            Target::SqliteFile(path) => format!("SQLite in {}", path.display()),
            Target::Postgres(url) => format!("PostgreSQL at {}", redact_url(url)),
        }
    }
}

pub const SQLITE_FILE: &str = "linli.db";

/// Hides the password in a database URL for logs and messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..scheme_end + 3], &userinfo[..colon], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Connection settings beyond the target.
#[derive(Clone, Debug)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub connect_timeout: Duration,
    /// PostgreSQL only: put every table in this schema (tests isolate themselves this way).
    pub pg_schema: Option<String>,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self { max_connections: 16, connect_timeout: Duration::from_secs(5), pg_schema: None }
    }
}

/// The store: a backend plus the key used for blind indexes of personal data.
#[derive(Clone, Debug)]
pub struct Store {
    backend: Backend,
    key: SecretKey,
    caches: std::sync::Arc<Caches>,
    /// Set when a write failed for lack of space, cleared by the next write that commits.
    out_of_space: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// The registry-derived values this process keeps, each validated by registry version.
#[derive(Debug, Default)]
pub(crate) struct Caches {
    pub(crate) summaries: std::sync::Arc<cache::VersionedCache<Vec<registry::GridSummary>>>,
    pub(crate) overdue: std::sync::Arc<cache::VersionedCache<Vec<care::OverdueVisit>>>,
    /// The registry's names, to mask in public text.
    pub(crate) names: std::sync::Arc<cache::VersionedCache<std::sync::Arc<linli_domain::privacy::Names>>>,
    /// The tallies of counted assemblies: once the count is closed no ballot is taken, so
    /// the tally never changes and the pages that show results (the public board, the
    /// street's oversight, the notice) need not count again.
    pub(crate) counted_tallies: std::sync::Mutex<std::collections::HashMap<i64, linli_domain::assembly::Tally>>,
}

/// A snapshot of the pool for `/metrics`.
#[derive(Debug, Clone, Copy)]
pub struct PoolState {
    pub size: u32,
    pub idle: u32,
}

impl Store {
    /// Connects and checks the database is reachable. Does not migrate.
    pub async fn connect(target: &Target, settings: &PoolSettings, key: SecretKey) -> StoreResult<Store> {
        let backend = match target {
            Target::SqliteDir(dir) => {
                ensure_data_dir(dir)?;
                open_sqlite(&dir.join(SQLITE_FILE), true, settings).await?
            }
            Target::SqliteFile(path) => open_sqlite(path, false, settings).await?,
            Target::Postgres(url) => {
                let mut opts = PgConnectOptions::from_str(url)
                    .map_err(|e| StoreError::Config(format!("bad PostgreSQL URL {}: {e}", redact_url(url))))?;
                // JIT compilation costs more than it saves on short OLTP queries.
                opts = opts.options([("jit", "off")]);
                if let Some(schema) = &settings.pg_schema {
                    opts = opts.options([("search_path", schema.as_str())]);
                }
                let pool = PgPoolOptions::new()
                    .max_connections(settings.max_connections)
                    .acquire_timeout(settings.connect_timeout)
                    .connect_with(opts)
                    .await
                    .map_err(|e| StoreError::Config(format!("cannot reach PostgreSQL at {}: {e}", redact_url(url))))?;
                Backend::Postgres(pool)
            }
        };
        Ok(Store { backend, key, caches: Default::default(), out_of_space: Default::default() })
    }

    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    pub fn key(&self) -> &SecretKey {
        &self.key
    }

    pub(crate) fn caches(&self) -> &Caches {
        &self.caches
    }

    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite { .. } => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Applies pending migrations from the tree of the active backend.
    pub async fn migrate(&self) -> StoreResult<()> {
        match &self.backend {
            Backend::Sqlite { write, .. } => SQLITE_MIGRATIONS.run(write).await?,
            Backend::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// Refreshes the planner's statistics, after a bulk load.
    pub async fn analyze(&self) -> StoreResult<()> {
        match &self.backend {
            Backend::Sqlite { write, .. } => {
                sqlx::query("ANALYZE").execute(write).await?;
            }
            Backend::Postgres(pool) => {
                sqlx::query("ANALYZE").execute(pool).await?;
            }
        }
        Ok(())
    }

    /// Opens a write transaction (see [`transaction!`]).
    #[doc(hidden)]
    pub async fn begin(&self) -> StoreResult<Tx> {
        use sqlx::TransactionManager;
        let conn = match &self.backend {
            Backend::Sqlite { write, .. } => TxConn::Sqlite(write.acquire().await?),
            Backend::Postgres(pool) => TxConn::Postgres(pool.acquire().await?),
        };
        // Open only once BEGIN has succeeded: a connection that could not begin goes back as it was.
        let mut tx = Tx { conn, open: false };
        match &mut tx.conn {
            TxConn::Sqlite(c) => <sqlx::Sqlite as sqlx::Database>::TransactionManager::begin(&mut **c, None).await?,
            TxConn::Postgres(c) => {
                <sqlx::Postgres as sqlx::Database>::TransactionManager::begin(&mut **c, None).await?
            }
        }
        tx.open = true;
        Ok(tx)
    }

    /// Notes a write's outcome: one that failed for lack of space marks the store as
    /// unable to write; one that committed clears the mark.
    pub fn after_write<T>(&self, result: &StoreResult<T>) {
        use std::sync::atomic::Ordering;
        match result {
            Ok(_) => self.out_of_space.store(false, Ordering::Relaxed),
            Err(e) if e.is_out_of_space() => {
                if !self.out_of_space.swap(true, Ordering::Relaxed) {
                    tracing::error!(error = %e, "the database cannot write: no space left; writes are refused until space returns");
                }
            }
            Err(_) => {}
        }
    }

    /// Whether the last write failed for lack of space and none has committed since.
    pub fn cannot_write(&self) -> bool {
        self.out_of_space.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Writes one row (a page of the write-ahead log on SQLite): whether the store can
    /// write now. `/readyz` asks it while the store is marked unable to write, so that the
    /// mark clears by itself once space returns.
    pub async fn probe_write(&self) -> StoreResult<()> {
        transaction!(self, |tx| {
            on!(tx, |c| sqlx::query("UPDATE write_probe SET at = $1 WHERE id = 1")
                .bind(now_ms())
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
        })
    }

    /// Whether the database answers a trivial query (for `/readyz`).
    pub async fn ping(&self) -> bool {
        read!(self, |db| sqlx::query("SELECT 1").execute(db).await.is_ok())
    }

    pub fn pool_state(&self) -> PoolState {
        match &self.backend {
            Backend::Sqlite { read, write } => {
                PoolState { size: read.size() + write.size(), idle: (read.num_idle() + write.num_idle()) as u32 }
            }
            Backend::Postgres(pool) => PoolState { size: pool.size(), idle: pool.num_idle() as u32 },
        }
    }

    /// Writes a consistent copy of a SQLite database to `dest` while the server runs.
    pub async fn backup(&self, dest: &Path) -> StoreResult<()> {
        match &self.backend {
            Backend::Sqlite { write, .. } => {
                if dest.exists() {
                    return Err(StoreError::Config(format!("{} already exists", dest.display())));
                }
                let dest = dest.to_str().ok_or_else(|| StoreError::Config("backup path is not valid UTF-8".into()))?;
                sqlx::query("VACUUM INTO $1").bind(dest).execute(write).await?;
                Ok(())
            }
            Backend::Postgres(_) => {
                Err(StoreError::Config("on PostgreSQL use pg_dump (see docs/operations.md)".into()))
            }
        }
    }

    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
            Backend::Postgres(pool) => pool.close().await,
        }
    }
}

pub static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
pub static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

fn ensure_data_dir(dir: &Path) -> StoreResult<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !parent.is_dir() {
        return Err(StoreError::Config(format!(
            "data folder {} cannot be created: {} does not exist",
            dir.display(),
            parent.display()
        )));
    }
    std::fs::create_dir(dir)
        .map_err(|e| StoreError::Config(format!("cannot create data folder {}: {e}", dir.display())))
}

async fn open_sqlite(path: &Path, create: bool, settings: &PoolSettings) -> StoreResult<Backend> {
    let base = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(create)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true)
        .pragma("temp_store", "memory")
        .pragma("cache_size", "-16000");
    let open_err = |e: sqlx::Error| StoreError::Config(format!("cannot open SQLite database {}: {e}", path.display()));
    // The single writer: one connection, so writers queue in the pool, never in SQLite.
    let write = SqlitePoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(base.clone())
        .await
        .map_err(open_err)?;
    let read = SqlitePoolOptions::new()
        .max_connections(settings.max_connections.clamp(2, 8))
        .connect_with(base.read_only(true).create_if_missing(false))
        .await
        .map_err(open_err)?;
    Ok(Backend::Sqlite { read, write })
}

/// Milliseconds since the epoch, the one timestamp form in the database.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Today in the community's time zone (China): the one "today" of every page, form and
/// count (see [`linli_domain::worktime::china_date`]).
pub fn today() -> chrono::NaiveDate {
    linli_domain::worktime::china_date(now_ms())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_redacted() {
        assert_eq!(redact_url("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact_url("postgres://h/db"), "postgres://h/db");
    }

    #[test]
    fn a_missing_sqlite_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.db");
        let err = Target::resolve(missing.to_str(), dir.path()).unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
        let err = Target::resolve(Some("mysql://x"), dir.path()).unwrap_err();
        assert!(err.to_string().contains("unsupported"), "{err}");
    }

    #[test]
    fn a_data_folder_under_a_missing_parent_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = ensure_data_dir(&dir.path().join("typo/data")).unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
        ensure_data_dir(&dir.path().join("data")).unwrap();
        assert!(dir.path().join("data").is_dir());
    }
}
