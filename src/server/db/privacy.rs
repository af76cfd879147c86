//! One customer's data, read out whole (an export on request) or erased whole.
//!
//! What is theirs: the contact row, its tag links, its conversation and every message in it,
//! its appointments, the campaign sends addressed to it, and the background jobs about it
//! (inbound messages in its lane carry its number and words; follow-ups, holding messages
//! and redeliveries name its conversation or messages). Campaigns, tags, services, staff and
//! import records are shared and stay.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::{contacts, conversations, from_ms, knowledge, parse_stored, tags, DbError, DbExecutor, DbResult};
use crate::model::{
    CampaignSend, ContactExport, ConversationMode, ErasureReport, ExportedConversation, RecipientStatus,
};

/// The shape of [`ContactExport`]; raise it when a field changes meaning or goes away.
pub const EXPORT_FORMAT: u32 = 1;

#[derive(FromRow)]
struct ConversationRow {
    id: i64,
    mode: String,
    created_at: i64,
}

/// The contact's conversation, without creating one.
async fn conversation_of(mut db: impl DbExecutor, contact_id: i64) -> DbResult<Option<ConversationRow>> {
    Ok(
        sqlx::query_as("SELECT id, mode, created_at FROM conversations WHERE contact_id = $1")
            .bind(contact_id)
            .fetch_optional(&mut *db.reader().await?)
            .await?,
    )
}

/// Everything stored about the contact. Read it inside a transaction for one consistent view.
pub async fn contact_data(mut db: impl DbExecutor, contact_id: i64, now: DateTime<Utc>) -> DbResult<ContactExport> {
    let contact = contacts::get_contact(&mut db, contact_id).await?;
    let tags = tags::tags_for_contact(&mut db, contact_id).await?;
    let conversation = match conversation_of(&mut db, contact_id).await? {
        Some(row) => Some(ExportedConversation {
            id: row.id,
            mode: parse_stored("conversation mode", &row.mode, ConversationMode::parse)?,
            created_at: from_ms(row.created_at),
            messages: conversations::all_messages(&mut db, row.id).await?,
        }),
        None => None,
    };
    let mut appointments = knowledge::appointments_for_contact(&mut db, contact_id).await?;
    appointments.reverse(); // oldest first, like the messages
    Ok(ContactExport {
        format: EXPORT_FORMAT,
        exported_at: now,
        contact,
        tags: tags.into_iter().map(|t| t.name).collect(),
        conversation,
        appointments,
        campaign_sends: campaign_sends(&mut db, contact_id).await?,
    })
}

/// The campaigns that reached, skipped or are still to reach the contact, oldest first.
async fn campaign_sends(mut db: impl DbExecutor, contact_id: i64) -> DbResult<Vec<CampaignSend>> {
    #[derive(FromRow)]
    struct Row {
        campaign_id: i64,
        name: String,
        status: String,
        reason: Option<String>,
        rendered_text: String,
        scheduled_at: i64,
        sent_at: Option<i64>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT r.campaign_id, c.name, r.status, r.reason, r.rendered_text, r.scheduled_at, r.sent_at \
         FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id \
         WHERE r.contact_id = $1 ORDER BY r.scheduled_at, r.id",
    )
    .bind(contact_id)
    .fetch_all(&mut *db.reader().await?)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(CampaignSend {
                campaign_id: row.campaign_id,
                campaign_name: row.name,
                status: parse_stored("recipient status", &row.status, RecipientStatus::parse)?,
                reason: row.reason,
                text: row.rendered_text,
                scheduled_at: from_ms(row.scheduled_at),
                sent_at: row.sent_at.map(from_ms),
            })
        })
        .collect()
}

/// What [`erase_contact`] removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Erased {
    pub report: ErasureReport,
    /// The conversation that went, for the inboxes showing it.
    pub conversation_id: Option<i64>,
}

/// Deletes the contact and everything that is theirs, and says how much went. Run it in a
/// transaction (with its audit entry), so it happens whole or not at all. Each kind is
/// deleted by its own statement rather than left to `ON DELETE CASCADE`: the counts are the
/// report, and nothing depends on SQLite's foreign-key switch being on.
pub async fn erase_contact(mut db: impl DbExecutor, contact_id: i64) -> DbResult<Erased> {
    let mut conn = db.writer().await?;
    let wa_id: Option<String> = sqlx::query_scalar("SELECT wa_id FROM contacts WHERE id = $1")
        .bind(contact_id)
        .fetch_optional(&mut *conn)
        .await?;
    let wa_id = wa_id.ok_or(DbError::NotFound("contact"))?;
    let conversation_id: Option<i64> = sqlx::query_scalar("SELECT id FROM conversations WHERE contact_id = $1")
        .bind(contact_id)
        .fetch_optional(&mut *conn)
        .await?;
    let mut report = ErasureReport::default();
    let delete = |sql: &'static str, key: i64| sqlx::query(sql).bind(key);

    // Jobs first, while the messages they name can still be found. The keys are those
    // `controller::jobs` gives: `contact:<wa_id>` lanes, `followup:<conversation>:…`,
    // `hold:<message>` and `deliver:<message>`.
    report.jobs = sqlx::query(
        "DELETE FROM jobs WHERE lane = $1 OR dedupe_key LIKE $2 OR dedupe_key IN \
         (SELECT 'hold:' || id FROM messages WHERE conversation_id = $3 \
          UNION ALL SELECT 'deliver:' || id FROM messages WHERE conversation_id = $3)",
    )
    .bind(format!("contact:{wa_id}"))
    .bind(format!("followup:{}:%", conversation_id.unwrap_or(-1)))
    .bind(conversation_id.unwrap_or(-1))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if let Some(conversation_id) = conversation_id {
        report.messages = delete("DELETE FROM messages WHERE conversation_id = $1", conversation_id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        report.conversations = delete("DELETE FROM conversations WHERE id = $1", conversation_id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    report.appointments = delete("DELETE FROM appointments WHERE contact_id = $1", contact_id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    report.campaign_sends = delete("DELETE FROM campaign_recipients WHERE contact_id = $1", contact_id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    report.tags = delete("DELETE FROM contact_tags WHERE contact_id = $1", contact_id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    delete("DELETE FROM contacts WHERE id = $1", contact_id)
        .execute(&mut *conn)
        .await?;
    Ok(Erased {
        report,
        conversation_id,
    })
}
