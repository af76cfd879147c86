//! The audit log: who did what, when. An entry is written through the executor of the change
//! it records (the same transaction), and is never changed or deleted afterwards.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::{from_ms, parse_stored, to_ms, DbExecutor, DbResult};
use crate::model::{AuditAction, AuditEntry, AuditPage, AuditSubject, StaffUser};

/// Who acted: a staff account, and the API token it used, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user_id: i64,
    pub email: String,
    pub display_name: String,
    /// The token's id and name when the account acted through one.
    pub api_token: Option<(i64, String)>,
}

impl Actor {
    /// A signed-in staff member.
    pub fn staff(user: &StaffUser) -> Actor {
        Actor {
            user_id: user.id,
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            api_token: None,
        }
    }
}

/// An entry to record. `detail` must hold no personal data of customers: counts, ids, names
/// of campaigns and roles, never a phone number, a customer's name or a message.
#[derive(Clone, Debug)]
pub struct NewEntry<'a> {
    pub actor: &'a Actor,
    pub action: AuditAction,
    pub subject: AuditSubject,
    pub subject_id: i64,
    pub detail: String,
    pub at: DateTime<Utc>,
}

pub async fn record(mut db: impl DbExecutor, entry: &NewEntry<'_>) -> DbResult<i64> {
    let (token_id, token_name) = entry
        .actor
        .api_token
        .as_ref()
        .map(|(id, name)| (*id, name.as_str()))
        .unzip();
    Ok(sqlx::query_scalar(
        "INSERT INTO audit_log (at, actor_user_id, actor_email, actor_name, api_token_id, api_token_name, \
         action, subject_kind, subject_id, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(to_ms(entry.at))
    .bind(entry.actor.user_id)
    .bind(&entry.actor.email)
    .bind(&entry.actor.display_name)
    .bind(token_id)
    .bind(token_name)
    .bind(entry.action.as_str())
    .bind(entry.subject.as_str())
    .bind(entry.subject_id)
    .bind(&entry.detail)
    .fetch_one(&mut *db.writer().await?)
    .await?)
}

#[derive(FromRow)]
struct EntryRow {
    id: i64,
    at: i64,
    actor_user_id: Option<i64>,
    actor_email: String,
    actor_name: String,
    api_token_name: Option<String>,
    action: String,
    subject_kind: String,
    subject_id: i64,
    detail: String,
}

impl EntryRow {
    fn into_entry(self) -> DbResult<AuditEntry> {
        Ok(AuditEntry {
            id: self.id,
            at: from_ms(self.at),
            actor_user_id: self.actor_user_id,
            actor_email: self.actor_email,
            actor_name: self.actor_name,
            api_token: self.api_token_name,
            action: parse_stored("audit action", &self.action, AuditAction::parse)?,
            subject: parse_stored("audit subject", &self.subject_kind, AuditSubject::parse)?,
            subject_id: self.subject_id,
            detail: self.detail,
        })
    }
}

/// Up to `limit` entries older than the entry `before` (or the newest), newest first.
pub async fn list(mut db: impl DbExecutor, before: Option<i64>, limit: i64) -> DbResult<AuditPage> {
    let limit = limit.clamp(1, 500);
    let rows: Vec<EntryRow> = sqlx::query_as(
        "SELECT id, at, actor_user_id, actor_email, actor_name, api_token_name, action, subject_kind, subject_id, \
         detail FROM audit_log WHERE id < $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit + 1)
    .fetch_all(&mut *db.reader().await?)
    .await?;
    let has_more = rows.len() as i64 > limit;
    let entries = rows
        .into_iter()
        .take(limit as usize)
        .map(EntryRow::into_entry)
        .collect::<DbResult<Vec<_>>>()?;
    let next_before = has_more.then(|| entries.last().map(|e| e.id)).flatten();
    Ok(AuditPage { entries, next_before })
}
