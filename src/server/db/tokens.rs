//! API tokens for integrators: only their SHA-256 is stored; the token is shown once.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::{from_ms, to_ms, DbError, DbExecutor, DbResult};
use crate::model::{ApiToken, Role, StaffUser};

pub async fn create_token(
    mut db: impl DbExecutor,
    name: &str,
    token_hash: &str,
    user_id: i64,
    now: DateTime<Utc>,
) -> DbResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO api_tokens (name, token_hash, user_id, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(name)
    .bind(token_hash)
    .bind(user_id)
    .bind(to_ms(now))
    .fetch_one(&mut *db.writer().await?)
    .await?)
}

#[derive(FromRow)]
struct TokenRow {
    id: i64,
    name: String,
    email: String,
    created_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

pub async fn list_tokens(mut db: impl DbExecutor) -> DbResult<Vec<ApiToken>> {
    let rows: Vec<TokenRow> = sqlx::query_as(
        "SELECT t.id, t.name, u.email, t.created_at, t.last_used_at, t.revoked_at \
         FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id DESC",
    )
    .fetch_all(&mut *db.reader().await?)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| ApiToken {
            id: row.id,
            name: row.name,
            created_by: row.email,
            created_at: from_ms(row.created_at),
            last_used_at: row.last_used_at.map(from_ms),
            revoked: row.revoked_at.is_some(),
        })
        .collect())
}

pub async fn revoke_token(mut db: impl DbExecutor, id: i64, now: DateTime<Utc>) -> DbResult<()> {
    let done = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(to_ms(now))
        .bind(id)
        .execute(&mut *db.writer().await?)
        .await?;
    super::contacts::expect_one(done.rows_affected(), "API token")
}

#[derive(FromRow)]
struct TokenUser {
    token_id: i64,
    token_name: String,
    id: i64,
    email: String,
    display_name: String,
    role: String,
}

/// A live token and the staff account it acts for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenCaller {
    pub user: StaffUser,
    pub token_id: i64,
    pub token_name: String,
}

/// The staff account a live token acts for, noting its use. A deactivated account's tokens
/// act for nobody.
pub async fn token_user(
    mut db: impl DbExecutor,
    token_hash: &str,
    now: DateTime<Utc>,
) -> DbResult<Option<TokenCaller>> {
    let user: Option<TokenUser> = sqlx::query_as(
        "SELECT t.id AS token_id, t.name AS token_name, u.id, u.email, u.display_name, u.role \
         FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.revoked_at IS NULL \
         AND u.deactivated_at IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(&mut *db.reader().await?)
    .await?;
    let Some(user) = user else { return Ok(None) };
    sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2")
        .bind(to_ms(now))
        .bind(token_hash)
        .execute(&mut *db.writer().await?)
        .await?;
    let role = Role::parse(&user.role).ok_or(DbError::Corrupt {
        what: "role",
        value: user.role.clone(),
    })?;
    Ok(Some(TokenCaller {
        user: StaffUser {
            id: user.id,
            email: user.email,
            display_name: user.display_name,
            role,
        },
        token_id: user.token_id,
        token_name: user.token_name,
    }))
}
