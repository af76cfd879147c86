//! Staff accounts and their sessions.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::audit::{self, Actor, NewEntry};
use super::{parse_stored, to_ms, Db, DbError, DbExecutor, DbResult};
use crate::model::{AuditAction, AuditSubject, Role, StaffUser};

#[derive(FromRow)]
struct UserRow {
    id: i64,
    email: String,
    display_name: String,
    role: String,
}

impl UserRow {
    fn into_user(self) -> DbResult<StaffUser> {
        Ok(StaffUser {
            id: self.id,
            email: self.email,
            display_name: self.display_name,
            role: parse_stored("role", &self.role, Role::parse)?,
        })
    }
}

/// Emails are compared without regard to case.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub async fn create_user(
    mut db: impl DbExecutor,
    email: &str,
    display_name: &str,
    role: Role,
    password_hash: &str,
    now: DateTime<Utc>,
) -> DbResult<StaffUser> {
    let row: UserRow = sqlx::query_as(
        "INSERT INTO users (email, display_name, password_hash, role, created_at) VALUES ($1, $2, $3, $4, $5) \
         RETURNING id, email, display_name, role",
    )
    .bind(normalize_email(email))
    .bind(display_name)
    .bind(password_hash)
    .bind(role.as_str())
    .bind(to_ms(now))
    .fetch_one(&mut *db.writer().await?)
    .await?;
    row.into_user()
}

pub async fn count_users(mut db: impl DbExecutor) -> DbResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&mut *db.reader().await?)
        .await?)
}

pub async fn get_user(mut db: impl DbExecutor, id: i64) -> DbResult<StaffUser> {
    let row: Option<UserRow> = sqlx::query_as("SELECT id, email, display_name, role FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *db.reader().await?)
        .await?;
    row.ok_or(DbError::NotFound("user"))?.into_user()
}

/// Why a role was not changed.
#[derive(Debug, thiserror::Error)]
pub enum RoleChangeError {
    #[error("This is the last admin: make someone else an admin first, so the business keeps one.")]
    LastAdmin,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Gives a staff account another role, recording who did it in the audit log in the same
/// transaction. The last admin keeps the role, however many admins are demoted at once: the
/// admins' rows are locked first (a no-op update), so concurrent changes are counted one
/// after the other. Returns the role the account had; an unchanged role records nothing.
pub async fn set_role(
    db: &Db,
    user_id: i64,
    role: Role,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Role, RoleChangeError> {
    let actor = actor.clone();
    db.transaction(move |tx| {
        Box::pin(async move {
            sqlx::query("UPDATE users SET role = role WHERE role = 'admin'")
                .execute(&mut *tx)
                .await
                .map_err(DbError::from)?;
            let user = get_user(&mut *tx, user_id).await?;
            if user.role == role {
                return Ok(role);
            }
            if user.role == Role::Admin {
                let admins: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'admin'")
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(DbError::from)?;
                if admins <= 1 {
                    return Err(RoleChangeError::LastAdmin);
                }
            }
            sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
                .bind(role.as_str())
                .bind(user_id)
                .execute(&mut *tx)
                .await
                .map_err(DbError::from)?;
            let entry = NewEntry {
                actor: &actor,
                action: AuditAction::RoleChange,
                subject: AuditSubject::User,
                subject_id: user_id,
                // Staff, not customers: the account's email keeps the entry readable after it is gone.
                detail: format!("{}: {} → {}", user.email, user.role.label(), role.label()),
                at: now,
            };
            audit::record(&mut *tx, &entry).await?;
            Ok(user.role)
        })
    })
    .await
}

/// The user with this email and their password hash, for signing in.
pub async fn find_login(mut db: impl DbExecutor, email: &str) -> DbResult<Option<(StaffUser, String)>> {
    #[derive(FromRow)]
    struct Row {
        #[sqlx(flatten)]
        user: UserRow,
        password_hash: String,
    }
    let row: Option<Row> =
        sqlx::query_as("SELECT id, email, display_name, role, password_hash FROM users WHERE email = $1")
            .bind(normalize_email(email))
            .fetch_optional(&mut *db.reader().await?)
            .await?;
    row.map(|r| Ok((r.user.into_user()?, r.password_hash))).transpose()
}

/// Starts a session, and deletes the sessions that have expired by `now` (anyone's): they
/// open nothing any more, and each sign-in clearing them keeps the table from growing with
/// every sign-in ever made.
pub async fn create_session(
    mut db: impl DbExecutor,
    token_hash: &str,
    user_id: i64,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> DbResult<()> {
    let mut writer = db.writer().await?;
    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(to_ms(now))
        .execute(&mut *writer)
        .await?;
    sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash)
        .bind(user_id)
        .bind(to_ms(now))
        .bind(to_ms(expires_at))
        .execute(&mut *writer)
        .await?;
    Ok(())
}

/// The signed-in user behind a session token hash, if the session is still valid.
pub async fn find_session_user(
    mut db: impl DbExecutor,
    token_hash: &str,
    now: DateTime<Utc>,
) -> DbResult<Option<StaffUser>> {
    let row: Option<UserRow> = sqlx::query_as(
        "SELECT u.id, u.email, u.display_name, u.role FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2",
    )
    .bind(token_hash)
    .bind(to_ms(now))
    .fetch_optional(&mut *db.reader().await?)
    .await?;
    row.map(UserRow::into_user).transpose()
}

pub async fn delete_session(mut db: impl DbExecutor, token_hash: &str) -> DbResult<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(())
}

pub async fn delete_expired_sessions(mut db: impl DbExecutor, now: DateTime<Utc>) -> DbResult<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(to_ms(now))
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(done.rows_affected())
}
