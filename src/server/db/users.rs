//! Staff accounts and their sessions.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, FromRow};

use super::audit::{self, Actor, NewEntry};
use super::{parse_stored, to_ms, Db, DbError, DbExecutor, DbResult};
use crate::model::{AuditAction, AuditSubject, Role, StaffUser, TeamMember};

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

/// Why a role or an account's standing was not changed.
#[derive(Debug, thiserror::Error)]
pub enum RoleChangeError {
    #[error("This is the last admin: make someone else an admin first, so the business keeps one.")]
    LastAdmin,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Locks the admins' rows (a no-op update), so concurrent changes that could each remove an
/// admin are counted one after the other, then reads the account. Call it first in the
/// transaction of such a change, and [`refuse_last_admin`] with what it returns.
async fn locked_member(tx: &mut AnyConnection, user_id: i64) -> DbResult<TeamMember> {
    sqlx::query("UPDATE users SET role = role WHERE role = 'admin'")
        .execute(&mut *tx)
        .await?;
    get_member(&mut *tx, user_id).await
}

/// Refuses a change that would take away the last active admin: the business keeps one.
async fn refuse_last_admin(tx: &mut AnyConnection, member: &TeamMember) -> Result<(), RoleChangeError> {
    if member.role != Role::Admin || !member.active {
        return Ok(());
    }
    let admins: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'admin' AND deactivated_at IS NULL")
        .fetch_one(&mut *tx)
        .await
        .map_err(DbError::from)?;
    if admins <= 1 {
        return Err(RoleChangeError::LastAdmin);
    }
    Ok(())
}

/// Gives a staff account another role, recording who did it in the audit log in the same
/// transaction. The last active admin keeps the role, however many admins are demoted at
/// once ([`refuse_last_admin`]). Returns the role the account had; an unchanged role records
/// nothing.
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
            let user = locked_member(&mut *tx, user_id).await?;
            if user.role == role {
                return Ok(role);
            }
            refuse_last_admin(&mut *tx, &user).await?;
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

/// Creates a staff account and records who invited it, in one transaction. An email already
/// in use is refused as [`DbError::Conflict`] and nothing is written.
pub async fn invite(db: &Db, new: NewUser<'_>, actor: &Actor, now: DateTime<Utc>) -> DbResult<StaffUser> {
    let (email, name, hash, role) = (
        new.email.to_string(),
        new.display_name.to_string(),
        new.password_hash.to_string(),
        new.role,
    );
    let actor = actor.clone();
    db.transaction(move |tx| {
        Box::pin(async move {
            let user = create_user(&mut *tx, &email, &name, role, &hash, now).await?;
            let entry = NewEntry {
                actor: &actor,
                action: AuditAction::StaffInvite,
                subject: AuditSubject::User,
                subject_id: user.id,
                detail: format!("{} as {}", user.email, role.label()),
                at: now,
            };
            audit::record(&mut *tx, &entry).await?;
            Ok(user)
        })
    })
    .await
}

/// A staff account to create; the password is already hashed.
#[derive(Clone, Copy)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub password_hash: &'a str,
}

/// Gives an account a new password and ends its sessions (whoever knew the old one is signed
/// out), recording it in the audit log, in one transaction.
pub async fn set_password(
    db: &Db,
    user_id: i64,
    password_hash: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> DbResult<()> {
    let (hash, actor) = (password_hash.to_string(), actor.clone());
    db.transaction(move |tx| {
        Box::pin(async move {
            let user = get_user(&mut *tx, user_id).await?;
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(&hash)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            end_sessions(&mut *tx, user_id).await?;
            let entry = NewEntry {
                actor: &actor,
                action: AuditAction::PasswordReset,
                subject: AuditSubject::User,
                subject_id: user_id,
                detail: user.email,
                at: now,
            };
            audit::record(&mut *tx, &entry).await?;
            Ok(())
        })
    })
    .await
}

/// Deactivates an account (it cannot sign in, and its sessions end at once) or reactivates
/// it, recording it in the audit log. The last active admin stays active
/// ([`refuse_last_admin`]). Asking for the state the account is in changes and records nothing.
pub async fn set_active(
    db: &Db,
    user_id: i64,
    active: bool,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), RoleChangeError> {
    let actor = actor.clone();
    db.transaction(move |tx| {
        Box::pin(async move {
            let member = locked_member(&mut *tx, user_id).await?;
            if member.active == active {
                return Ok(());
            }
            if !active {
                refuse_last_admin(&mut *tx, &member).await?;
            }
            sqlx::query("UPDATE users SET deactivated_at = $1 WHERE id = $2")
                .bind((!active).then(|| to_ms(now)))
                .bind(user_id)
                .execute(&mut *tx)
                .await
                .map_err(DbError::from)?;
            if !active {
                end_sessions(&mut *tx, user_id).await?;
            }
            let entry = NewEntry {
                actor: &actor,
                action: if active {
                    AuditAction::StaffReactivate
                } else {
                    AuditAction::StaffDeactivate
                },
                subject: AuditSubject::User,
                subject_id: user_id,
                detail: member.email,
                at: now,
            };
            audit::record(&mut *tx, &entry).await?;
            Ok(())
        })
    })
    .await
}

/// Ends every session of the account.
async fn end_sessions(mut db: impl DbExecutor, user_id: i64) -> DbResult<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(done.rows_affected())
}

const MEMBER_COLUMNS: &str = "id, email, display_name, role, \
    CAST(CASE WHEN deactivated_at IS NULL THEN 1 ELSE 0 END AS BIGINT) AS active";

#[derive(FromRow)]
struct MemberRow {
    #[sqlx(flatten)]
    user: UserRow,
    active: i64,
}

impl MemberRow {
    fn into_member(self) -> DbResult<TeamMember> {
        let user = self.user.into_user()?;
        Ok(TeamMember {
            id: user.id,
            email: user.email,
            display_name: user.display_name,
            role: user.role,
            active: self.active != 0,
        })
    }
}

async fn get_member(mut db: impl DbExecutor, id: i64) -> DbResult<TeamMember> {
    let row: Option<MemberRow> = sqlx::query_as(&format!("SELECT {MEMBER_COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *db.reader().await?)
        .await?;
    row.ok_or(DbError::NotFound("user"))?.into_member()
}

/// Every staff account, active ones first, by name.
pub async fn list_team(mut db: impl DbExecutor) -> DbResult<Vec<TeamMember>> {
    let rows: Vec<MemberRow> = sqlx::query_as(&format!(
        "SELECT {MEMBER_COLUMNS} FROM users ORDER BY active DESC, LOWER(display_name), id"
    ))
    .fetch_all(&mut *db.reader().await?)
    .await?;
    rows.into_iter().map(MemberRow::into_member).collect()
}

/// The user with this email and their password hash, for signing in. A deactivated account
/// is not found: it signs in no more than an unknown email does.
pub async fn find_login(mut db: impl DbExecutor, email: &str) -> DbResult<Option<(StaffUser, String)>> {
    #[derive(FromRow)]
    struct Row {
        #[sqlx(flatten)]
        user: UserRow,
        password_hash: String,
    }
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, email, display_name, role, password_hash FROM users WHERE email = $1 \
         AND deactivated_at IS NULL",
    )
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

/// The signed-in user behind a session token hash, if the session is still valid and the
/// account active.
pub async fn find_session_user(
    mut db: impl DbExecutor,
    token_hash: &str,
    now: DateTime<Utc>,
) -> DbResult<Option<StaffUser>> {
    let row: Option<UserRow> = sqlx::query_as(
        "SELECT u.id, u.email, u.display_name, u.role FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.deactivated_at IS NULL",
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
