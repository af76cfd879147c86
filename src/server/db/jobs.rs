//! The persistent job queue: follow-ups, retries, inbound messages and campaign sends live
//! here, not in memory, so a restart loses nothing and sends nothing twice.
//!
//! A job is claimed atomically (status `running` with a lock that expires), so a job whose
//! worker died is taken up again. Jobs of one lane (one contact) run one at a time, in order.

use chrono::{DateTime, Utc};
use sqlx::{Connection, FromRow};

use super::{from_ms, id_list, to_ms, Backend, Commit, DbExecutor, DbResult};

#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    /// Attempts so far, this one included.
    pub attempts: i64,
    pub max_attempts: i64,
}

#[derive(Clone, Debug)]
pub struct NewJob<'a> {
    pub kind: &'a str,
    pub payload: String,
    /// A second job with the same key is not added: redelivered webhooks are harmless.
    pub dedupe_key: Option<String>,
    pub lane: Option<String>,
    pub run_at: DateTime<Utc>,
    pub max_attempts: i64,
}

/// Adds jobs, all or none; returns how many were new (the rest were duplicates).
pub async fn enqueue(mut db: impl DbExecutor, jobs: &[NewJob<'_>], now: DateTime<Utc>) -> DbResult<u64> {
    if let [job] = jobs {
        // One statement is atomic by itself; a transaction would only add round trips.
        return insert(&mut *db.writer().await?, job, now).await;
    }
    let mut conn = db.writer().await?;
    let mut tx = conn.begin().await?;
    let mut added = 0;
    for job in jobs {
        added += insert(&mut *tx, job, now).await?;
    }
    tx.commit().await?;
    Ok(added)
}

async fn insert<'c, E>(executor: E, job: &NewJob<'_>, now: DateTime<Utc>) -> DbResult<u64>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    Ok(sqlx::query(
        "INSERT INTO jobs (kind, payload, dedupe_key, lane, run_at, max_attempts, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(job.kind)
    .bind(&job.payload)
    .bind(job.dedupe_key.as_deref())
    .bind(job.lane.as_deref())
    .bind(to_ms(job.run_at))
    .bind(job.max_attempts)
    .bind(to_ms(now))
    .execute(executor)
    .await?
    .rows_affected())
}

/// Claims up to `limit` due jobs: first running ones whose lock expired (their worker died),
/// then queued ones whose time has come. A job waits while an earlier job of its lane is
/// unfinished. A lock lasts long enough that a busy scheduler looks for expired ones only
/// now and then: without `expired`, only queued jobs are claimed (one statement, not two).
///
/// Two simple claims rather than one with `OR`: each walks the `(status, run_at)` index in
/// order and stops at the limit, so a claim stays cheap however long the backlog grows.
pub async fn claim_due(
    mut db: impl DbExecutor,
    now: DateTime<Utc>,
    lock_until: DateTime<Utc>,
    limit: i64,
    expired: bool,
) -> DbResult<Vec<Job>> {
    let mut jobs = Vec::new();
    if expired {
        jobs = claim(
            &mut db,
            "j.status = 'running' AND j.locked_until < $2",
            "j.locked_until, j.id",
            now,
            lock_until,
            limit,
        )
        .await?;
    }
    let left = limit - jobs.len() as i64;
    if left > 0 {
        jobs.extend(
            claim(
                &mut db,
                "j.status = 'queued' AND j.run_at <= $2",
                "j.run_at, j.id",
                now,
                lock_until,
                left,
            )
            .await?,
        );
    }
    jobs.sort_by_key(|j| j.id);
    Ok(jobs)
}

async fn claim(
    mut db: impl DbExecutor,
    due: &str,
    order: &str,
    now: DateTime<Utc>,
    lock_until: DateTime<Utc>,
    limit: i64,
) -> DbResult<Vec<Job>> {
    // PostgreSQL may run several app instances: skip rows another one is claiming. A claim
    // lost in a crash only leaves its jobs to be claimed again, so it commits without
    // waiting for the disk.
    let skip_locked = match db.backend() {
        Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let commit = Commit::WithoutWaiting.returning_item(db.backend());
    let sql = format!(
        "UPDATE jobs SET status = 'running', locked_until = $1, attempts = attempts + 1, updated_at = $2 \
         WHERE id IN ( \
           SELECT j.id FROM jobs j WHERE {due} \
             AND (j.lane IS NULL OR NOT EXISTS ( \
               SELECT 1 FROM jobs e WHERE e.lane = j.lane AND e.id < j.id AND e.status IN ('queued', 'running'))) \
           ORDER BY {order} LIMIT $3 {skip_locked}) \
         RETURNING id, kind, payload, attempts, max_attempts{commit}"
    );
    Ok(sqlx::query_as(&sql)
        .bind(to_ms(lock_until))
        .bind(to_ms(now))
        .bind(limit)
        .fetch_all(&mut *db.writer().await?)
        .await?)
}

/// Keeps the locks of jobs still being worked on.
pub async fn extend_locks(mut db: impl DbExecutor, ids: &[i64], lock_until: DateTime<Utc>) -> DbResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query(&format!(
        "UPDATE jobs SET locked_until = $1 WHERE id IN ({}) AND status = 'running'",
        id_list(ids)
    ))
    .bind(to_ms(lock_until))
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(())
}

/// Marks finished jobs done, in one statement (the scheduler collects them per round).
///
/// Its text differs each time (the ids are written into it), so it is sent as plain text
/// with nothing to bind: PostgreSQL then runs it in one round trip, where a prepared
/// statement would cost a second one and push a statement used every time out of the
/// connection's cache of prepared statements.
pub async fn complete(mut db: impl DbExecutor, ids: &[i64], now: DateTime<Utc>) -> DbResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "UPDATE jobs SET status = 'done', locked_until = NULL, last_error = NULL, updated_at = {} \
         WHERE id IN ({})",
        to_ms(now),
        id_list(ids)
    );
    let mut conn = db.writer().await?;
    sqlx::Executor::execute(&mut *conn, sql.as_str()).await?;
    Ok(())
}

/// Deletes up to `limit` jobs that finished well before `finished_before`; returns how many.
/// Failed jobs stay for people to look at. A forgotten job's dedupe key is free again, which
/// is harmless once its work is long done: a webhook redelivered after that finds its
/// message stored (by its WhatsApp id) and is handled as a retried job is, so a reply
/// already sent is not sent again.
pub async fn forget_done(mut db: impl DbExecutor, finished_before: DateTime<Utc>, limit: i64) -> DbResult<u64> {
    Ok(sqlx::query(
        "DELETE FROM jobs WHERE id IN \
           (SELECT id FROM jobs WHERE status = 'done' AND updated_at < $1 ORDER BY id LIMIT $2)",
    )
    .bind(to_ms(finished_before))
    .bind(limit)
    .execute(&mut *db.writer().await?)
    .await?
    .rows_affected())
}

/// Puts a job back in the queue for `run_at`, or marks it failed when it has no attempts left.
/// Returns true when the job failed for good.
pub async fn retry_or_fail(
    mut db: impl DbExecutor,
    job: &Job,
    error: &str,
    run_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let exhausted = job.attempts >= job.max_attempts;
    sqlx::query(
        "UPDATE jobs SET status = $1, run_at = $2, locked_until = NULL, last_error = $3, updated_at = $4 WHERE id = $5",
    )
    .bind(if exhausted { "failed" } else { "queued" })
    .bind(to_ms(run_at))
    .bind(error)
    .bind(to_ms(now))
    .bind(job.id)
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(exhausted)
}

/// How many jobs are in each status (for tests and the health of the queue).
pub async fn counts(mut db: impl DbExecutor) -> DbResult<Vec<(String, i64)>> {
    Ok(
        sqlx::query_as("SELECT status, COUNT(*) FROM jobs GROUP BY status ORDER BY status")
            .fetch_all(&mut *db.reader().await?)
            .await?,
    )
}

/// When the longest-waiting work fell due: the earliest queued job due by `now`, or a
/// running job whose lock ran out (its worker died); none when nothing waits.
pub async fn oldest_due(mut db: impl DbExecutor, now: DateTime<Utc>) -> DbResult<Option<DateTime<Utc>>> {
    let oldest: Option<i64> = sqlx::query_scalar(
        "SELECT MIN(due) FROM (SELECT MIN(run_at) AS due FROM jobs WHERE status = 'queued' AND run_at <= $1 \
         UNION ALL SELECT MIN(locked_until) FROM jobs WHERE status = 'running' AND locked_until < $1) waiting",
    )
    .bind(to_ms(now))
    .fetch_one(&mut *db.reader().await?)
    .await?;
    Ok(oldest.map(from_ms))
}

/// Jobs due now or running: work the queue still has to do before it is idle.
pub async fn due_count(mut db: impl DbExecutor, now: DateTime<Utc>) -> DbResult<i64> {
    Ok(
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM jobs WHERE status = 'running' OR (status = 'queued' AND run_at <= $1)",
        )
        .bind(to_ms(now))
        .fetch_one(&mut *db.reader().await?)
        .await?,
    )
}
