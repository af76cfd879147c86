//! Limits that must hold across every instance on one database: the sign-in throttle's
//! counts and WhatsApp's pacing. Keys are hashes, so no address, email or phone number is
//! stored here.

use chrono::{DateTime, Utc};

use super::{to_ms, Backend, DbExecutor, DbResult, COMMIT_WITHOUT_WAITING};

/// One sign-in attempt count: how many, and when the last one was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Attempts {
    pub count: i64,
    pub last_at: i64,
}

/// Counts one sign-in attempt under each key, unless `wait` (given the keys' current counts,
/// a fresh key counting as none) says to wait first; then nothing is counted and the wait is
/// returned. Counts last made before `forget_before` start again from nothing. One
/// transaction, so two instances counting the same guess at once count it twice, never once.
pub async fn count_sign_in_attempt<W>(
    mut db: impl DbExecutor,
    keys: &[&str],
    now: DateTime<Utc>,
    forget_before: DateTime<Utc>,
    wait: W,
) -> DbResult<Result<(), std::time::Duration>>
where
    W: Fn(&str, Attempts) -> Option<std::time::Duration>,
{
    let (now, forget_before) = (to_ms(now), to_ms(forget_before));
    // Locks the rows against another instance counting at the same time (SQLite has one
    // writer, so its transactions never interleave).
    let for_update = match db.backend() {
        Backend::Postgres => "FOR UPDATE",
        Backend::Sqlite => "",
    };
    let conn = &mut *db.writer().await?;
    let mut longest = None;
    for key in keys {
        sqlx::query(
            "INSERT INTO sign_in_attempts (key, count, last_at) VALUES ($1, 0, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        let mut attempts: Attempts = sqlx::query_as(&format!(
            "SELECT count, last_at FROM sign_in_attempts WHERE key = $1 {for_update}"
        ))
        .bind(key)
        .fetch_one(&mut *conn)
        .await?;
        if attempts.last_at < forget_before {
            attempts.count = 0;
        }
        longest = longest.max(wait(key, attempts));
    }
    if let Some(wait) = longest {
        return Ok(Err(wait));
    }
    for key in keys {
        sqlx::query(
            "UPDATE sign_in_attempts SET count = CASE WHEN last_at < $3 THEN 1 ELSE count + 1 END, last_at = $2 \
             WHERE key = $1",
        )
        .bind(key)
        .bind(now)
        .bind(forget_before)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query("DELETE FROM sign_in_attempts WHERE last_at < $1")
        .bind(forget_before)
        .execute(&mut *conn)
        .await?;
    Ok(Ok(()))
}

/// A sign-in succeeded: `forgotten` starts again from nothing, and `lowered` loses one.
pub async fn forget_sign_in_attempt(mut db: impl DbExecutor, forgotten: &str, lowered: &str) -> DbResult<()> {
    let conn = &mut *db.writer().await?;
    sqlx::query("DELETE FROM sign_in_attempts WHERE key = $1")
        .bind(forgotten)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE sign_in_attempts SET count = count - 1 WHERE key = $1 AND count > 0")
        .bind(lowered)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Takes the next turn of each `(key, gap)` to send at (PostgreSQL only): a key's turn is
/// the later of now and its stored next turn, and its next turn moves `gap` microseconds on.
/// Returns how many microseconds from now the latest of the turns is, by the database's
/// clock, so instances on different machines agree.
///
/// The commit does not wait for the disk ([`COMMIT_WITHOUT_WAITING`]). Every send takes the
/// business number's one row, and a row stays locked until its commit returns: waiting
/// for the disk there made every send in every instance wait for the previous send's disk
/// flush, one after the other, which bounded the pipeline. A crash of the database can
/// lose only the last moment's turns; its restart takes longer than the turns are apart,
/// and each instance's own pacing still holds meanwhile.
pub async fn take_send_turns(mut db: impl DbExecutor, keys: &[(&str, i64)]) -> DbResult<i64> {
    // Keys are always given in the same order (the business number first), so two sends
    // lock their rows in the same order and never deadlock.
    let values: Vec<String> = (0..keys.len())
        .map(|i| {
            format!(
                "(${}, (SELECT now_us FROM clock) + ${}, ${})",
                2 * i + 1,
                2 * i + 2,
                2 * i + 2
            )
        })
        .collect();
    let sql = format!(
        "WITH clock AS (SELECT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000000)::BIGINT AS now_us) \
         INSERT INTO send_turns AS t (key, next_at, gap) VALUES {} \
         ON CONFLICT (key) DO UPDATE SET next_at = GREATEST(t.next_at, EXCLUDED.next_at - EXCLUDED.gap) + EXCLUDED.gap, \
           gap = EXCLUDED.gap \
         RETURNING t.next_at - t.gap - (SELECT now_us FROM clock), {COMMIT_WITHOUT_WAITING}",
        values.join(", ")
    );
    let mut query = sqlx::query_scalar::<_, i64>(&sql);
    for (key, gap) in keys {
        query = query.bind(*key).bind(*gap);
    }
    let waits = query.fetch_all(&mut *db.writer().await?).await?;
    Ok(waits.into_iter().max().unwrap_or(0).max(0))
}

/// Forgets pacing turns long past (people not written to lately).
pub async fn prune_send_turns(mut db: impl DbExecutor) -> DbResult<()> {
    sqlx::query(
        "DELETE FROM send_turns \
         WHERE next_at < (EXTRACT(EPOCH FROM clock_timestamp()) * 1000000)::BIGINT - 3600000000",
    )
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(())
}
