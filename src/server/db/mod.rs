//! Storage: one code path over SQLite and PostgreSQL through sqlx's `Any` driver.
//!
//! Portable SQL only: `$n` placeholders (SQLite accepts them too), `RETURNING`,
//! `ON CONFLICT`, BIGINT everywhere in PostgreSQL so every integer decodes as `i64`, flags as
//! 0/1 integers (the Any driver cannot read SQLite booleans), and times as UTC epoch
//! milliseconds. Aggregates that PostgreSQL widens to NUMERIC are cast back.

pub mod analytics;
pub mod appointments;
pub mod arrivals;
pub mod audit;
pub mod backoffice;
pub mod campaigns;
pub mod contacts;
pub mod conversations;
pub mod demo;
pub mod imports;
pub mod jobs;
pub mod knowledge;
pub mod limits;
pub mod privacy;
pub mod schedule;
pub mod tags;
pub mod templates;
pub mod tokens;
pub mod users;

use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Connection};
use tokio::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};

use super::config::DatabaseUrl;

/// A pooled PostgreSQL connection idle this long is pinged before it is used again.
const PING_IDLE_AFTER: Duration = Duration::from_secs(1);
/// A PostgreSQL connection is lent again straight from the last statement for this long
/// after the pool last checked it ([`Recent`]); then it goes back through the pool.
const REUSE_UNCHECKED_FOR: Duration = Duration::from_millis(100);

/// PostgreSQL: an item for a write's select list (or `RETURNING`) that lets that statement's
/// own transaction commit without waiting for its log to reach the disk, a wait per
/// statement that bounded the message pipeline. Only for a job's writes that the job's
/// completion follows: that completion commits durably, and with it everything logged
/// before it. Should the database crash before then, the job runs again and writes them
/// anew, as after any crash mid-job. Also for writes a crash may lose harmlessly: the
/// shared WhatsApp pacing turns ([`limits::take_send_turns`]) and job claims (the jobs are
/// claimed again). Never for a write whose success is told to someone (a webhook's answer,
/// a staff action), which must be on disk first. A clean stop or restart of the database
/// writes everything out; only a crash of the database server itself loses the last moment.
pub const COMMIT_WITHOUT_WAITING: &str = "set_config('synchronous_commit', 'off', true)";

/// Whether a write's commit waits for the disk: [`Commit::WithoutWaiting`] adds
/// [`COMMIT_WITHOUT_WAITING`] on PostgreSQL (whose rules say when that is right); SQLite
/// commits as it always does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Commit {
    Durable,
    WithoutWaiting,
}

impl Commit {
    /// What goes after a write's last `RETURNING` item for this choice on `backend`:
    /// `, ` and [`COMMIT_WITHOUT_WAITING`], or nothing.
    pub fn returning_item(self, backend: Backend) -> String {
        match (self, backend) {
            (Commit::WithoutWaiting, Backend::Postgres) => format!(", {COMMIT_WITHOUT_WAITING}"),
            _ => String::new(),
        }
    }
}

/// PostgreSQL: a select list item holding every row of `select` as one JSON array (in the
/// select's order), so that reads of different shapes come back in one round trip. Read it
/// with [`rows_from_json`].
pub fn rows_as_json(select: &str) -> String {
    format!("(SELECT COALESCE(json_agg(r), '[]')::text FROM ({select}) r)")
}

/// The rows of a [`rows_as_json`] item.
pub fn rows_from_json<T: serde::de::DeserializeOwned>(json: &str) -> DbResult<Vec<T>> {
    serde_json::from_str(json).map_err(|error| DbError::Other(sqlx::Error::Decode(Box::new(error))))
}

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Errors of the storage boundary, by what a caller can do about them.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A uniqueness rule refused the write (e.g. an email already in use).
    #[error("already exists: {0}")]
    Conflict(String),
    /// A row referred to another that does not exist.
    #[error("refers to a missing row: {0}")]
    MissingReference(String),
    #[error("stored value `{value}` is not a valid {what}")]
    Corrupt { what: &'static str, value: String },
    #[error(transparent)]
    Other(sqlx::Error),
}

impl From<sqlx::Error> for DbError {
    fn from(error: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &error {
            let detail = db.constraint().unwrap_or(db.message()).to_string();
            if db.is_unique_violation() {
                return DbError::Conflict(detail);
            }
            if db.is_foreign_key_violation() {
                return DbError::MissingReference(detail);
            }
        }
        DbError::Other(error)
    }
}

pub type DbResult<T> = Result<T, DbError>;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("PostgreSQL is backed up with pg_dump (see the README's \"Backups\"), not by Frontdesk")]
    Postgres,
    #[error("{0} already exists: choose a new file, so no backup is overwritten")]
    Exists(String),
    #[error("the backup path must be valid UTF-8")]
    NotUtf8,
    #[error("the copy failed ({0})")]
    Db(#[from] DbError),
}

/// The work of one [`Db::transaction`]: `|tx| Box::pin(async move { … })`.
pub type TxFuture<'t, T> = std::pin::Pin<Box<dyn Future<Output = T> + Send + 't>>;

#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    /// SQLite lets one writer in at a time and makes the others sleep in its busy handler
    /// (naps of 1 to 100 ms). Its writes therefore go through one dedicated connection,
    /// queued here in order, without naps, and without the pool's test ping after every
    /// statement. PostgreSQL writes through the pool (by way of `recent`). `None` inside once
    /// closed.
    sqlite_writer: Option<Arc<Mutex<Option<AnyConnection>>>>,
    /// PostgreSQL: connections handed back by the last statements, lent again as they are.
    recent: Option<Arc<Recent>>,
    backend: Backend,
}

/// PostgreSQL connections handed back by recent statements, lent again without going
/// through sqlx's pool. The pool checks every connection handed back to it with a round trip
/// to the database (sqlx 0.8's `return_to_pool`): one per statement, nearly half the round
/// trips of the message pipeline. Between statements that check is not needed, as sqlx makes
/// a connection ready at its next use (it reads whatever a statement cut off left unread and
/// rolls back a transaction left open). Each connection still goes back through the pool at
/// least every [`REUSE_UNCHECKED_FOR`], which is how one the database dropped is found and
/// replaced, and none waits here longer, so the pool is never starved or kept from closing.
/// Statements waiting for a connection are served in turn: a connection handed back goes to
/// the one that waited longest, never to a newcomer.
#[derive(Debug)]
struct Recent {
    /// Connections with when the pool last checked them; the last handed back on top.
    idle: std::sync::Mutex<Vec<(PoolConnection<Any>, Instant)>>,
    /// One permit per connection handed back; waiting on it queues in order. A connection
    /// that went back to the pool leaves its permit behind, which finds nothing and is
    /// forgotten.
    handed_back: tokio::sync::Semaphore,
    closing: std::sync::atomic::AtomicBool,
}

impl Recent {
    /// A connection handed back and still fresh, for a caller that holds a permit.
    fn take(&self) -> Option<(PoolConnection<Any>, Instant)> {
        let mut stale = Vec::new();
        let mut idle = self.idle.lock().expect("recent connections");
        let taken = loop {
            match idle.pop() {
                Some((conn, checked)) if checked.elapsed() >= REUSE_UNCHECKED_FOR => stale.push(conn),
                lent => break lent,
            }
        };
        drop(idle);
        drop(stale); // back to the pool, outside the lock
        taken
    }

    /// Keeps a connection for the next statement, or, when it is due for the pool's check or
    /// the pool is closing, lets it go back to the pool (dropped).
    fn hand_back(&self, conn: PoolConnection<Any>, checked: Instant) {
        if checked.elapsed() < REUSE_UNCHECKED_FOR && !self.closing.load(std::sync::atomic::Ordering::SeqCst) {
            self.idle.lock().expect("recent connections").push((conn, checked));
            self.handed_back.add_permits(1);
        }
    }

    /// Takes out the connections due for the pool's check; dropping them hands them back to
    /// the pool (outside the lock).
    fn drop_stale(&self) -> Vec<PoolConnection<Any>> {
        let mut idle = self.idle.lock().expect("recent connections");
        let (fresh, stale): (Vec<_>, Vec<_>) = idle
            .drain(..)
            .partition(|(_, checked)| checked.elapsed() < REUSE_UNCHECKED_FOR);
        *idle = fresh;
        stale.into_iter().map(|(conn, _)| conn).collect()
    }

    fn close(&self) {
        self.closing.store(true, std::sync::atomic::Ordering::SeqCst);
        let all = std::mem::take(&mut *self.idle.lock().expect("recent connections"));
        drop(all);
    }
}

/// A connection lent from [`Recent`] (or newly from the pool); handed back when dropped.
pub struct Reused {
    conn: Option<PoolConnection<Any>>,
    checked: Instant,
    recent: Arc<Recent>,
}

impl Drop for Reused {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.recent.hand_back(conn, self.checked);
        }
    }
}

/// A connection borrowed for one or more statements: from the pool (reads), the writer
/// (writes), or the caller's own connection or transaction.
pub enum Conn<'a> {
    Borrowed(&'a mut AnyConnection),
    Pooled(PoolConnection<Any>),
    Reused(Reused),
    Writer(OwnedMappedMutexGuard<Option<AnyConnection>, AnyConnection>),
}

impl Deref for Conn<'_> {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        match self {
            Conn::Borrowed(conn) => conn,
            Conn::Pooled(conn) => conn,
            Conn::Reused(reused) => reused.conn.as_ref().expect("lent until dropped"),
            Conn::Writer(conn) => conn,
        }
    }
}

impl DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self {
            Conn::Borrowed(conn) => conn,
            Conn::Pooled(conn) => conn,
            Conn::Reused(reused) => reused.conn.as_mut().expect("lent until dropped"),
            Conn::Writer(conn) => conn,
        }
    }
}

/// What every storage function runs on, so the caller decides the unit of work: `&Db`
/// (reads from the pool, each write on its own), or `&mut AnyConnection` (a connection
/// or a transaction from [`Db::transaction`], where reads see the transaction's writes).
pub trait DbExecutor: Send {
    /// A connection for statements that only read.
    fn reader(&mut self) -> impl Future<Output = DbResult<Conn<'_>>> + Send;
    /// A connection for statements that write.
    fn writer(&mut self) -> impl Future<Output = DbResult<Conn<'_>>> + Send;
    fn backend(&self) -> Backend;
}

impl DbExecutor for &Db {
    async fn reader(&mut self) -> DbResult<Conn<'_>> {
        self.connection().await
    }

    async fn writer(&mut self) -> DbResult<Conn<'_>> {
        self.write().await
    }

    fn backend(&self) -> Backend {
        self.backend
    }
}

impl DbExecutor for &mut AnyConnection {
    async fn reader(&mut self) -> DbResult<Conn<'_>> {
        Ok(Conn::Borrowed(self))
    }

    async fn writer(&mut self) -> DbResult<Conn<'_>> {
        Ok(Conn::Borrowed(self))
    }

    fn backend(&self) -> Backend {
        match self.backend_name() {
            "PostgreSQL" => Backend::Postgres,
            _ => Backend::Sqlite,
        }
    }
}

/// Lets a storage function hand its executor on to another one and keep using it.
impl<E: DbExecutor> DbExecutor for &mut E {
    async fn reader(&mut self) -> DbResult<Conn<'_>> {
        (**self).reader().await
    }

    async fn writer(&mut self) -> DbResult<Conn<'_>> {
        (**self).writer().await
    }

    fn backend(&self) -> Backend {
        (**self).backend()
    }
}

impl Db {
    /// Opens the pool (and on SQLite the writer connection); a SQLite file and its folder
    /// are created on first use.
    pub async fn connect(url: &DatabaseUrl, max_connections: u32) -> DbResult<Db> {
        sqlx::any::install_default_drivers();
        let (backend, url) = match url {
            DatabaseUrl::Sqlite { path } => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| DbError::Other(sqlx::Error::Io(e)))?;
                }
                (Backend::Sqlite, format!("sqlite://{}?mode=rwc", path.display()))
            }
            DatabaseUrl::Postgres(url) => (Backend::Postgres, url.expose().to_string()),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = Self::pool_options(backend, max_connections)
            .connect_with(options.clone())
            .await?;
        let sqlite_writer = match backend {
            Backend::Sqlite => {
                let mut conn = AnyConnection::connect_with(&options).await?;
                sqlite_pragmas(&mut conn).await?;
                Some(Arc::new(Mutex::new(Some(conn))))
            }
            Backend::Postgres => None,
        };
        let recent = (backend == Backend::Postgres).then(|| {
            let recent = Arc::new(Recent {
                idle: std::sync::Mutex::default(),
                handed_back: tokio::sync::Semaphore::new(0),
                closing: std::sync::atomic::AtomicBool::default(),
            });
            // Hands idle connections back to the pool once due for its check, so none waits
            // in `recent` long after the app went quiet.
            let weak = Arc::downgrade(&recent);
            tokio::spawn(async move {
                let mut due = tokio::time::interval(REUSE_UNCHECKED_FOR);
                loop {
                    due.tick().await;
                    let Some(recent) = weak.upgrade() else { break };
                    drop(recent.drop_stale());
                }
            });
            recent
        });
        Ok(Db {
            pool,
            sqlite_writer,
            recent,
            backend,
        })
    }

    fn pool_options(backend: Backend, max_connections: u32) -> AnyPoolOptions {
        AnyPoolOptions::new()
            .max_connections(max_connections)
            // Waiting longer helps nobody: with the database unreachable a webhook should
            // soon get its 503 (Meta delivers it again) and a health check its answer.
            .acquire_timeout(Duration::from_secs(5))
            // A ping before use guards against a network connection dropped while it sat idle
            // (a server restart, a firewall's idle timeout). Pinging before every statement
            // doubled the round trips of a busy app, whose connections are never idle long:
            // only a connection idle for a while is pinged (a failed ping makes the pool
            // open a new one). A SQLite file has no network to lose.
            .test_before_acquire(false)
            .before_acquire(move |conn, meta| {
                Box::pin(async move {
                    if backend == Backend::Postgres && meta.idle_for >= PING_IDLE_AFTER {
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            })
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        sqlite_pragmas(conn).await?;
                    }
                    Ok(())
                })
            })
    }

    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.pool).await
    }

    /// For reads.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection for a statement or transaction that writes. Hold it only for that:
    /// on SQLite every other write waits for it, and asking for it again while holding it
    /// never returns.
    pub async fn write(&self) -> DbResult<Conn<'static>> {
        Ok(match &self.sqlite_writer {
            Some(writer) => Conn::Writer(
                OwnedMutexGuard::try_map(writer.clone().lock_owned().await, Option::as_mut)
                    .map_err(|_closed| sqlx::Error::PoolClosed)?,
            ),
            None => self.connection().await?,
        })
    }

    /// A connection from the pool; on PostgreSQL, one a recent statement handed back when
    /// there is one ([`Recent`]).
    async fn connection(&self) -> DbResult<Conn<'static>> {
        let Some(recent) = &self.recent else {
            return Ok(Conn::Pooled(self.pool.acquire().await?));
        };
        let (conn, checked) = loop {
            let permit = match recent.handed_back.try_acquire() {
                Ok(permit) => permit,
                // None handed back, and the pool may open another: a new one. (Raced
                // against a hand-back, opening would be cut off halfway, again and again.)
                Err(_) if self.pool.size() < self.pool.options().get_max_connections() => {
                    break (self.pool.acquire().await?, Instant::now());
                }
                // All are open: the first handed back, here or to the pool.
                Err(_) => tokio::select! {
                    permit = recent.handed_back.acquire() => permit.expect("never closed"),
                    conn = self.pool.acquire() => break (conn?, Instant::now()),
                },
            };
            permit.forget();
            if let Some(lent) = recent.take() {
                break lent;
            }
        };
        Ok(Conn::Reused(Reused {
            conn: Some(conn),
            checked,
            recent: recent.clone(),
        }))
    }

    /// Runs `work` in one transaction on the write connection: committed when it returns
    /// `Ok`, rolled back (nothing written) when it returns `Err` or the database refuses a
    /// statement. Publish events only after this returns, so nobody sees a change that was
    /// rolled back. Inside, write only through `tx`: on SQLite the transaction holds the one
    /// writer, so a write through `&Db` would wait for it forever.
    pub async fn transaction<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: for<'t> FnOnce(&'t mut AnyConnection) -> TxFuture<'t, Result<T, E>> + Send,
        E: From<DbError>,
    {
        let mut conn = self.write().await?;
        let mut tx = conn.begin().await.map_err(DbError::from)?;
        match work(&mut tx).await {
            Ok(value) => {
                tx.commit().await.map_err(DbError::from)?;
                Ok(value)
            }
            Err(error) => {
                if let Err(rollback) = tx.rollback().await {
                    tracing::warn!(error = %rollback, "rolling back a transaction failed");
                }
                Err(error)
            }
        }
    }

    /// Writes a consistent copy of a live SQLite database to `path` (a new file), while the
    /// app keeps serving: SQLite's `VACUUM INTO` reads one snapshot. PostgreSQL is backed up
    /// with its own tools (`pg_dump`), as the README says.
    pub async fn backup_to(&self, path: &std::path::Path) -> Result<(), BackupError> {
        if self.backend != Backend::Sqlite {
            return Err(BackupError::Postgres);
        }
        if path.exists() {
            return Err(BackupError::Exists(path.display().to_string()));
        }
        let target = path.to_str().ok_or(BackupError::NotUtf8)?;
        let mut conn = self.pool.acquire().await.map_err(DbError::from)?;
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(&mut *conn)
            .await
            .map_err(DbError::from)?;
        Ok(())
    }

    /// Takes PostgreSQL's session advisory lock `key` on a connection of its own, if no
    /// other session holds it: one instance among several does the work it guards. The lock
    /// lasts as long as the connection, so an instance that dies (even `kill -9`) frees it.
    /// `None` when another session holds it.
    pub async fn try_lead(&self, key: i64) -> DbResult<Option<Leadership>> {
        // Detached: returned to the pool, the connection would keep the lock for whoever
        // borrowed it next.
        let mut conn = self.pool.acquire().await?.detach();
        let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut conn)
            .await?;
        Ok(taken.then_some(Leadership { conn }))
    }

    pub async fn ping(&self) -> DbResult<()> {
        let mut conn = self.pool.acquire().await?;
        conn.ping().await?;
        Ok(())
    }

    pub async fn close(&self) {
        if let Some(writer) = &self.sqlite_writer {
            // Waits for the write in progress; later writes get `PoolClosed`, as with the pool.
            if let Some(conn) = writer.lock().await.take() {
                if let Err(error) = conn.close().await {
                    tracing::warn!(%error, "closing the SQLite writer connection failed");
                }
            }
        }
        if let Some(recent) = &self.recent {
            recent.close();
        }
        self.pool.close().await;
    }
}

/// A session advisory lock held on its own connection ([`Db::try_lead`]).
pub struct Leadership {
    conn: AnyConnection,
}

impl Leadership {
    /// Whether the lock is still ours: false once its connection is gone (the database
    /// restarted, or the network dropped it), when another instance may take over.
    pub async fn still_held(&mut self) -> bool {
        self.conn.ping().await.is_ok()
    }
}

/// WAL lets the inbox read while the pipeline writes; the busy timeout makes a write that
/// does not go through [`Db::write`] (tests, benchmarks seeding data) wait its turn instead
/// of failing.
async fn sqlite_pragmas(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    for pragma in [
        "PRAGMA journal_mode = WAL",
        "PRAGMA foreign_keys = ON",
        "PRAGMA busy_timeout = 10000",
        "PRAGMA synchronous = NORMAL",
    ] {
        sqlx::query(pragma).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Row ids written into a statement (`id IN (…)`): integers from our own rows, so this is
/// safe, and one statement serves any number of them (bound parameters are limited).
pub(crate) fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

/// Deletes the row `id` of `table` (a table name written in our code, never input), or says
/// `what` was not found.
pub async fn delete_row(mut db: impl DbExecutor, table: &'static str, id: i64, what: &'static str) -> DbResult<()> {
    let done = sqlx::query(&format!("DELETE FROM {table} WHERE id = $1"))
        .bind(id)
        .execute(&mut *db.writer().await?)
        .await?;
    match done.rows_affected() {
        1 => Ok(()),
        _ => Err(DbError::NotFound(what)),
    }
}

/// Makes the caller's transaction wait for any other transaction holding `key` (PostgreSQL's
/// transaction advisory lock, released at commit or rollback): work that several instances
/// may start at once then runs one after the other. SQLite's one writer does this already.
pub async fn one_at_a_time(tx: &mut AnyConnection, key: i64) -> DbResult<()> {
    if DbExecutor::backend(&tx) == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(key)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// Tells every connection listening on `channel` (PostgreSQL's `NOTIFY`; other instances).
pub async fn notify(mut db: impl DbExecutor, channel: &str, payload: &str) -> DbResult<()> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(channel)
        .bind(payload)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(())
}

pub fn to_ms(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

pub fn from_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// Parses a stored enum text, reporting a value the schema should have refused.
pub fn parse_stored<T>(what: &'static str, text: &str, parse: fn(&str) -> Option<T>) -> DbResult<T> {
    parse(text).ok_or_else(|| DbError::Corrupt {
        what,
        value: text.to_string(),
    })
}
