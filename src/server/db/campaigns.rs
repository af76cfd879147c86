//! Campaigns, their recipients and the daily counter. The decisions (who is eligible, when
//! to send) are in `server::campaigns`; this module stores and finds.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{FromRow, Row};

use super::{from_ms, id_list, parse_stored, to_ms, DbError, DbExecutor, DbResult};
use crate::model::{
    Audience, CampaignProgress, CampaignStatus, CampaignSummary, RecipientRow, RecipientStatus, SkipCount, SkipReason,
};

/// What the safety checks need to know about one contact, read in one statement.
#[derive(Clone, Debug, FromRow)]
pub struct Candidate {
    pub contact_id: i64,
    pub wa_id: String,
    pub name: Option<String>,
    pub opted_out_at: Option<i64>,
    pub marketing_stopped_at: Option<i64>,
    pub consent_at: Option<i64>,
    pub last_inbound_at: Option<i64>,
    pub mode: Option<String>,
    pub last_campaign_at: Option<i64>,
    pub last_booked_at: Option<i64>,
    pub next_appointment_at: Option<i64>,
}

/// A value bound into a statement built at run time.
enum Bind {
    Int(i64),
    Text(String),
}

/// The candidate columns, for the audience query and the re-check before a send.
fn candidate_select(now: &mut Vec<Bind>, at: DateTime<Utc>) -> String {
    now.push(Bind::Int(to_ms(at)));
    format!(
        "SELECT c.id AS contact_id, c.wa_id, c.name, c.opted_out_at, c.marketing_stopped_at, c.consent_at, \
         c.last_inbound_at, cv.mode, \
         (SELECT MAX(r.sent_at) FROM campaign_recipients r WHERE r.contact_id = c.id) AS last_campaign_at, \
         (SELECT MAX(a.created_at) FROM appointments a WHERE a.contact_id = c.id AND a.status <> 'cancelled') \
           AS last_booked_at, \
         (SELECT MIN(a.starts_at) FROM appointments a WHERE a.contact_id = c.id AND a.status = 'booked' \
           AND a.starts_at > ${}) AS next_appointment_at \
         FROM contacts c LEFT JOIN conversations cv ON cv.contact_id = c.id",
        now.len()
    )
}

/// The audience's conditions as SQL over `contacts c`. Dates are business-local days,
/// turned into UTC instants by the caller: `(start of day, start of next day)`.
pub struct AudienceBounds {
    pub last_visit_before: Option<DateTime<Utc>>,
    pub last_visit_after: Option<DateTime<Utc>>,
    pub last_booking_before: Option<DateTime<Utc>>,
    pub last_booking_after: Option<DateTime<Utc>>,
}

fn audience_conditions(
    audience: &Audience,
    bounds: &AudienceBounds,
    now: DateTime<Utc>,
    binds: &mut Vec<Bind>,
) -> String {
    let mut conditions = Vec::new();
    let bind = |binds: &mut Vec<Bind>, value: Bind| {
        binds.push(value);
        format!("${}", binds.len())
    };
    if !audience.tags.is_empty() {
        let names: Vec<String> = audience
            .tags
            .iter()
            .map(|t| bind(binds, Bind::Text(t.trim().to_lowercase())))
            .collect();
        conditions.push(format!(
            "c.id IN (SELECT ct.contact_id FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id \
             WHERE LOWER(t.name) IN ({}))",
            names.join(", ")
        ));
    }
    let last_visit = |binds: &mut Vec<Bind>| {
        let now = bind(binds, Bind::Int(to_ms(now)));
        format!(
            "(SELECT MAX(a.starts_at) FROM appointments a WHERE a.contact_id = c.id \
             AND a.status IN ('booked', 'completed') AND a.starts_at <= {now})"
        )
    };
    if let Some(before) = bounds.last_visit_before {
        let visit = last_visit(binds);
        conditions.push(format!("{visit} < {}", bind(binds, Bind::Int(to_ms(before)))));
    }
    if let Some(after) = bounds.last_visit_after {
        let visit = last_visit(binds);
        conditions.push(format!("{visit} >= {}", bind(binds, Bind::Int(to_ms(after)))));
    }
    let last_booking = "(SELECT MAX(a.created_at) FROM appointments a WHERE a.contact_id = c.id)";
    if let Some(before) = bounds.last_booking_before {
        conditions.push(format!("{last_booking} < {}", bind(binds, Bind::Int(to_ms(before)))));
    }
    if let Some(after) = bounds.last_booking_after {
        conditions.push(format!("{last_booking} >= {}", bind(binds, Bind::Int(to_ms(after)))));
    }
    if !audience.service_ids.is_empty() {
        conditions.push(format!(
            "EXISTS (SELECT 1 FROM appointments a WHERE a.contact_id = c.id AND a.status <> 'cancelled' \
             AND a.service_id IN ({}))",
            id_list(&audience.service_ids)
        ));
    }
    if audience.never_booked {
        conditions.push("NOT EXISTS (SELECT 1 FROM appointments a WHERE a.contact_id = c.id)".into());
    }
    match audience.named {
        Some(true) => conditions.push("(c.name IS NOT NULL AND c.name <> '')".into()),
        Some(false) => conditions.push("(c.name IS NULL OR c.name = '')".into()),
        None => {}
    }
    if !audience.contact_ids.is_empty() {
        conditions.push(format!("c.id IN ({})", id_list(&audience.contact_ids)));
    }
    if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    }
}

fn bound<'q>(
    mut query: sqlx::query::QueryAs<'q, sqlx::Any, Candidate, sqlx::any::AnyArguments<'q>>,
    binds: Vec<Bind>,
) -> sqlx::query::QueryAs<'q, sqlx::Any, Candidate, sqlx::any::AnyArguments<'q>> {
    for value in binds {
        query = match value {
            Bind::Int(v) => query.bind(v),
            Bind::Text(v) => query.bind(v),
        };
    }
    query
}

/// Every contact of the audience with what the checks need, in contact order.
pub async fn audience_candidates(
    mut db: impl DbExecutor,
    audience: &Audience,
    bounds: &AudienceBounds,
    now: DateTime<Utc>,
) -> DbResult<Vec<Candidate>> {
    let mut binds = Vec::new();
    let select = candidate_select(&mut binds, now);
    let conditions = audience_conditions(audience, bounds, now, &mut binds);
    let sql = format!("{select}{conditions} ORDER BY c.id");
    Ok(bound(sqlx::query_as(&sql), binds)
        .fetch_all(&mut *db.reader().await?)
        .await?)
}

/// One contact's state for the check just before a send.
pub async fn candidate(mut db: impl DbExecutor, contact_id: i64, now: DateTime<Utc>) -> DbResult<Candidate> {
    let mut binds = Vec::new();
    let select = candidate_select(&mut binds, now);
    binds.push(Bind::Int(contact_id));
    let sql = format!("{select} WHERE c.id = ${}", binds.len());
    bound(sqlx::query_as(&sql), binds)
        .fetch_optional(&mut *db.reader().await?)
        .await?
        .ok_or(DbError::NotFound("contact"))
}

#[derive(Clone, Debug)]
pub struct NewCampaign {
    pub name: String,
    pub message_text: String,
    pub template_id: Option<i64>,
    pub name_fallback: String,
    pub audience_json: String,
    pub recency_days: i64,
    pub excluded_outcomes: String,
    pub min_delay_seconds: i64,
    pub max_delay_seconds: i64,
    pub sending_from_minute: i64,
    pub sending_until_minute: i64,
    pub holdout_percent: i64,
    pub attribution_days: i64,
    pub accepted_by: i64,
    pub idempotency_key: Option<String>,
    pub request_hash: String,
    pub created_at: DateTime<Utc>,
    pub starts_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Creates a campaign `preparing`: its recipients are added next, then it starts sending.
pub async fn create_campaign(mut db: impl DbExecutor, new: &NewCampaign) -> DbResult<i64> {
    let id = sqlx::query_scalar(
        "INSERT INTO campaigns (name, message_text, template_id, name_fallback, audience, recency_days, \
         excluded_outcomes, min_delay_seconds, max_delay_seconds, sending_from_minute, sending_until_minute, \
         holdout_percent, attribution_days, status, disclaimer_accepted_by, disclaimer_accepted_at, \
         idempotency_key, request_hash, created_by, created_at, starts_at, expires_at, next_send_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'preparing', $14, $15, $16, $17, $14, \
         $15, $18, $19, $18) RETURNING id",
    )
    .bind(new.name.as_str())
    .bind(new.message_text.as_str())
    .bind(new.template_id)
    .bind(new.name_fallback.as_str())
    .bind(new.audience_json.as_str())
    .bind(new.recency_days)
    .bind(new.excluded_outcomes.as_str())
    .bind(new.min_delay_seconds)
    .bind(new.max_delay_seconds)
    .bind(new.sending_from_minute)
    .bind(new.sending_until_minute)
    .bind(new.holdout_percent)
    .bind(new.attribution_days)
    .bind(new.accepted_by)
    .bind(to_ms(new.created_at))
    .bind(new.idempotency_key.as_deref())
    .bind(new.request_hash.as_str())
    .bind(to_ms(new.starts_at))
    .bind(to_ms(new.expires_at))
    .fetch_one(&mut *db.writer().await?)
    .await?;
    Ok(id)
}

/// The campaign launched with this idempotency key, and the hash of the request that did.
pub async fn find_by_idempotency_key(mut db: impl DbExecutor, key: &str) -> DbResult<Option<(i64, String)>> {
    Ok(
        sqlx::query_as("SELECT id, COALESCE(request_hash, '') FROM campaigns WHERE idempotency_key = $1")
            .bind(key)
            .fetch_optional(&mut *db.reader().await?)
            .await?,
    )
}

/// A recipient as planned at launch.
pub struct NewRecipient {
    pub contact_id: i64,
    pub rendered_text: String,
    pub status: RecipientStatus,
    pub reason: Option<&'static str>,
}

/// Adds a campaign's recipients, many rows per statement.
pub async fn add_recipients(
    mut db: impl DbExecutor,
    campaign_id: i64,
    recipients: &[NewRecipient],
    scheduled_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> DbResult<()> {
    // 6 values a row; SQLite allows 32,766 bound values per statement.
    for chunk in recipients.chunks(1000) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| {
                let n = i * 4;
                format!(
                    "({campaign_id}, ${}, ${}, ${}, ${}, {}, {})",
                    n + 1,
                    n + 2,
                    n + 3,
                    n + 4,
                    to_ms(scheduled_at),
                    to_ms(now)
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO campaign_recipients (campaign_id, contact_id, rendered_text, status, reason, \
             scheduled_at, updated_at) VALUES {}",
            rows.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for recipient in chunk {
            query = query
                .bind(recipient.contact_id)
                .bind(recipient.rendered_text.as_str())
                .bind(recipient.status.as_str())
                .bind(recipient.reason);
        }
        query.execute(&mut *db.writer().await?).await?;
    }
    Ok(())
}

#[derive(Clone, Debug, FromRow)]
pub struct CampaignRow {
    pub id: i64,
    pub name: String,
    pub message_text: String,
    pub template_id: Option<i64>,
    pub name_fallback: String,
    pub recency_days: i64,
    pub excluded_outcomes: String,
    pub min_delay_seconds: i64,
    pub max_delay_seconds: i64,
    pub sending_from_minute: i64,
    pub sending_until_minute: i64,
    pub attribution_days: i64,
    pub status: String,
    pub pause_reason: Option<String>,
    pub created_at: i64,
    pub starts_at: i64,
    pub expires_at: i64,
    pub next_send_at: i64,
}

impl CampaignRow {
    pub fn status(&self) -> DbResult<CampaignStatus> {
        parse_stored("campaign status", &self.status, CampaignStatus::parse)
    }
}

const CAMPAIGN_COLUMNS: &str = "id, name, message_text, template_id, name_fallback, recency_days, excluded_outcomes, \
     min_delay_seconds, max_delay_seconds, sending_from_minute, sending_until_minute, attribution_days, status, \
     pause_reason, created_at, starts_at, expires_at, next_send_at";

pub async fn get_campaign(mut db: impl DbExecutor, id: i64) -> DbResult<CampaignRow> {
    sqlx::query_as(&format!("SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *db.reader().await?)
        .await?
        .ok_or(DbError::NotFound("campaign"))
}

/// Sending campaigns whose next send is due.
pub async fn due_campaigns(mut db: impl DbExecutor, now: DateTime<Utc>) -> DbResult<Vec<CampaignRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE status = 'sending' AND next_send_at <= $1 \
         ORDER BY next_send_at, id"
    ))
    .bind(to_ms(now))
    .fetch_all(&mut *db.reader().await?)
    .await?)
}

/// When the earliest sending campaign is next due, to sleep until then.
pub async fn next_due_at(mut db: impl DbExecutor) -> DbResult<Option<DateTime<Utc>>> {
    let at: Option<i64> = sqlx::query_scalar("SELECT MIN(next_send_at) FROM campaigns WHERE status = 'sending'")
        .fetch_one(&mut *db.reader().await?)
        .await?;
    Ok(at.map(from_ms))
}

pub async fn set_next_send_at(mut db: impl DbExecutor, campaign_id: i64, at: DateTime<Utc>) -> DbResult<()> {
    sqlx::query("UPDATE campaigns SET next_send_at = $1 WHERE id = $2")
        .bind(to_ms(at))
        .bind(campaign_id)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(())
}

/// Moves a campaign from one status to another; false when it was not in `from` (someone
/// else changed it first).
pub async fn change_status(
    mut db: impl DbExecutor,
    campaign_id: i64,
    from: &[CampaignStatus],
    to: CampaignStatus,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let from: Vec<String> = from.iter().map(|s| format!("'{}'", s.as_str())).collect();
    let done = sqlx::query(&format!(
        "UPDATE campaigns SET status = $1, pause_reason = $2, \
         completed_at = CASE WHEN $1 IN ('completed', 'cancelled') THEN $3 ELSE completed_at END, \
         next_send_at = CASE WHEN $1 = 'sending' THEN $3 ELSE next_send_at END \
         WHERE id = $4 AND status IN ({})",
        from.join(", ")
    ))
    .bind(to.as_str())
    .bind(reason)
    .bind(to_ms(now))
    .bind(campaign_id)
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The next recipient of a campaign whose turn has come.
pub async fn next_recipient(
    mut db: impl DbExecutor,
    campaign_id: i64,
    now: DateTime<Utc>,
) -> DbResult<Option<(i64, i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT id, contact_id, rendered_text FROM campaign_recipients \
         WHERE campaign_id = $1 AND status = 'scheduled' AND scheduled_at <= $2 ORDER BY scheduled_at, id LIMIT 1",
    )
    .bind(campaign_id)
    .bind(to_ms(now))
    .fetch_optional(&mut *db.reader().await?)
    .await?)
}

/// Whether the campaign still has recipients waiting (now or later) or in flight.
pub async fn has_open_recipients(mut db: impl DbExecutor, campaign_id: i64) -> DbResult<bool> {
    let open: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM campaign_recipients WHERE campaign_id = $1 AND status IN ('scheduled', 'sending') LIMIT 1",
    )
    .bind(campaign_id)
    .fetch_optional(&mut *db.reader().await?)
    .await?;
    Ok(open.is_some())
}

/// Takes one more place in the day's campaign messages, if the limit allows. Run it in the
/// transaction that claims the recipient, so the place and the claim stand or fall together.
pub async fn reserve_daily_place(mut db: impl DbExecutor, day: &str, limit: i64) -> DbResult<bool> {
    let taken: Option<i64> = sqlx::query_scalar(
        "INSERT INTO campaign_days (day, sent) VALUES ($1, 1) \
         ON CONFLICT (day) DO UPDATE SET sent = campaign_days.sent + 1 WHERE campaign_days.sent < $2 \
         RETURNING sent",
    )
    .bind(day)
    .bind(limit)
    .fetch_optional(&mut *db.writer().await?)
    .await?;
    Ok(taken.is_some())
}

/// Gives a place back: the message was certainly not sent.
pub async fn release_daily_place(mut db: impl DbExecutor, day: &str) -> DbResult<()> {
    sqlx::query("UPDATE campaign_days SET sent = sent - 1 WHERE day = $1 AND sent > 0")
        .bind(day)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(())
}

pub async fn sent_on_day(mut db: impl DbExecutor, day: &str) -> DbResult<i64> {
    let sent: Option<i64> = sqlx::query_scalar("SELECT sent FROM campaign_days WHERE day = $1")
        .bind(day)
        .fetch_optional(&mut *db.reader().await?)
        .await?;
    Ok(sent.unwrap_or(0))
}

/// Claims a scheduled recipient for sending; false when it is no longer scheduled.
pub async fn claim_recipient(mut db: impl DbExecutor, recipient_id: i64, now: DateTime<Utc>) -> DbResult<bool> {
    let done = sqlx::query(
        "UPDATE campaign_recipients SET status = 'sending', claimed_at = $1, attempts = attempts + 1, \
         updated_at = $1 WHERE id = $2 AND status = 'scheduled'",
    )
    .bind(to_ms(now))
    .bind(recipient_id)
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records where a recipient now stands. `from` guards against a racing change.
pub async fn set_recipient_status(
    mut db: impl DbExecutor,
    recipient_id: i64,
    from: RecipientStatus,
    to: RecipientStatus,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let done = sqlx::query(
        "UPDATE campaign_recipients SET status = $1, reason = $2, updated_at = $3 WHERE id = $4 AND status = $5",
    )
    .bind(to.as_str())
    .bind(reason)
    .bind(to_ms(now))
    .bind(recipient_id)
    .bind(from.as_str())
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn mark_sent(
    mut db: impl DbExecutor,
    recipient_id: i64,
    wa_message_id: &str,
    now: DateTime<Utc>,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE campaign_recipients SET status = 'sent', wa_message_id = $1, sent_at = $2, reason = NULL, \
         updated_at = $2 WHERE id = $3 AND status = 'sending'",
    )
    .bind(wa_message_id)
    .bind(to_ms(now))
    .bind(recipient_id)
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(())
}

/// Puts a claimed recipient back in the queue for `at` (a retry), noting why.
pub async fn reschedule_recipient(
    mut db: impl DbExecutor,
    recipient_id: i64,
    at: DateTime<Utc>,
    reason: &str,
    now: DateTime<Utc>,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE campaign_recipients SET status = 'scheduled', scheduled_at = $1, reason = $2, updated_at = $3 \
         WHERE id = $4 AND status = 'sending'",
    )
    .bind(to_ms(at))
    .bind(reason)
    .bind(to_ms(now))
    .bind(recipient_id)
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(())
}

/// Recipients claimed before `claimed_before` and never settled: the process died during the
/// call, so whether WhatsApp got it is unknown. They are shown for a decision, not resent.
pub async fn settle_interrupted(
    mut db: impl DbExecutor,
    claimed_before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> DbResult<u64> {
    let done = sqlx::query(
        "UPDATE campaign_recipients SET status = 'unknown', reason = $3, updated_at = $1 \
         WHERE status = 'sending' AND claimed_at < $2",
    )
    .bind(to_ms(now))
    .bind(to_ms(claimed_before))
    .bind("interrupted during the send: check the customer's chat before sending again")
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(done.rows_affected())
}

/// Marks what is still waiting in campaigns past their expiry `expired`, and completes them
/// (run it in a transaction: both statements or neither).
pub async fn expire_campaigns(mut db: impl DbExecutor, now: DateTime<Utc>) -> DbResult<Vec<i64>> {
    let mut conn = db.writer().await?;
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM campaigns WHERE status IN ('sending', 'paused') AND expires_at <= $1")
            .bind(to_ms(now))
            .fetch_all(&mut *conn)
            .await?;
    if ids.is_empty() {
        return Ok(ids);
    }
    let list = id_list(&ids);
    sqlx::query(&format!(
        "UPDATE campaign_recipients SET status = 'expired', reason = 'the campaign expired before its turn', \
         updated_at = $1 WHERE campaign_id IN ({list}) AND status = 'scheduled'"
    ))
    .bind(to_ms(now))
    .execute(&mut *conn)
    .await?;
    sqlx::query(&format!(
        "UPDATE campaigns SET status = 'completed', completed_at = $1 WHERE id IN ({list})"
    ))
    .bind(to_ms(now))
    .execute(&mut *conn)
    .await?;
    Ok(ids)
}

/// Cancels what is still waiting (a cancelled campaign sends nothing more).
pub async fn cancel_waiting(mut db: impl DbExecutor, campaign_id: i64, now: DateTime<Utc>) -> DbResult<()> {
    sqlx::query(
        "UPDATE campaign_recipients SET status = 'cancelled', reason = 'the campaign was cancelled', updated_at = $1 \
         WHERE campaign_id = $2 AND status = 'scheduled'",
    )
    .bind(to_ms(now))
    .bind(campaign_id)
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(())
}

/// Puts failed and unknown recipients back in the queue, to be sent again now.
pub async fn retry_recipients(
    mut db: impl DbExecutor,
    campaign_id: i64,
    statuses: &[RecipientStatus],
    now: DateTime<Utc>,
) -> DbResult<u64> {
    let statuses: Vec<String> = statuses.iter().map(|s| format!("'{}'", s.as_str())).collect();
    let done = sqlx::query(&format!(
        "UPDATE campaign_recipients SET status = 'scheduled', scheduled_at = $1, reason = NULL, updated_at = $1 \
         WHERE campaign_id = $2 AND status IN ({})",
        statuses.join(", ")
    ))
    .bind(to_ms(now))
    .bind(campaign_id)
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(done.rows_affected())
}

/// A delivery status for a campaign message: moves forward only (sent → delivered → read),
/// never back, and not over `replied`. Returns the campaign it belongs to, if any.
pub async fn apply_delivery_status(
    mut db: impl DbExecutor,
    wa_message_id: &str,
    status: RecipientStatus,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> DbResult<Option<i64>> {
    let earlier: &[&str] = match status {
        RecipientStatus::Delivered => &["'sent'", "'unknown'"],
        RecipientStatus::Read => &["'sent'", "'delivered'", "'unknown'"],
        RecipientStatus::Failed => &["'sent'", "'delivered'", "'unknown'"],
        _ => return Ok(None),
    };
    let campaign: Option<i64> = sqlx::query_scalar(&format!(
        "UPDATE campaign_recipients SET status = $1, reason = COALESCE($2, reason), updated_at = $3 \
         WHERE wa_message_id = $4 AND status IN ({}) RETURNING campaign_id",
        earlier.join(", ")
    ))
    .bind(status.as_str())
    .bind(error)
    .bind(to_ms(now))
    .bind(wa_message_id)
    .fetch_optional(&mut *db.writer().await?)
    .await?;
    Ok(campaign)
}

/// The statuses of a campaign message that an answer from its recipient would turn into
/// `replied`.
pub(super) const AWAITING_REPLY: &str = "('sent', 'delivered', 'read')";

/// Whether a campaign message to this contact waits for their answer.
pub async fn awaits_reply(mut db: impl DbExecutor, contact_id: i64) -> DbResult<bool> {
    let waiting: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT 1 FROM campaign_recipients WHERE contact_id = $1 AND status IN {AWAITING_REPLY} LIMIT 1"
    ))
    .bind(contact_id)
    .fetch_optional(&mut *db.reader().await?)
    .await?;
    Ok(waiting.is_some())
}

/// A customer answered: their campaign messages of the attribution window become `replied`.
pub async fn mark_replied(mut db: impl DbExecutor, contact_id: i64, now: DateTime<Utc>) -> DbResult<u64> {
    // Most customers' messages answer no campaign: look before taking the writer.
    let waiting: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT 1 FROM campaign_recipients WHERE contact_id = $1 AND status IN {AWAITING_REPLY} LIMIT 1"
    ))
    .bind(contact_id)
    .fetch_optional(&mut *db.reader().await?)
    .await?;
    if waiting.is_none() {
        return Ok(0);
    }
    let done = sqlx::query(&format!(
        "UPDATE campaign_recipients SET status = 'replied', updated_at = $1 \
         WHERE contact_id = $2 AND status IN {AWAITING_REPLY} \
         AND sent_at >= $1 - (SELECT c.attribution_days FROM campaigns c WHERE c.id = campaign_id) * 86400000"
    ))
    .bind(to_ms(now))
    .bind(contact_id)
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(done.rows_affected())
}

/// The campaign a booking made now by this contact is credited to: the last one delivered
/// to them within its attribution window (last touch).
pub async fn attributed_campaign(
    mut db: impl DbExecutor,
    contact_id: i64,
    now: DateTime<Utc>,
) -> DbResult<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT r.campaign_id FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id \
         WHERE r.contact_id = $1 AND r.status IN ('delivered', 'read', 'replied') AND r.sent_at <= $2 \
         AND r.sent_at >= $2 - c.attribution_days * 86400000 ORDER BY r.sent_at DESC LIMIT 1",
    )
    .bind(contact_id)
    .bind(to_ms(now))
    .fetch_optional(&mut *db.reader().await?)
    .await?)
}

/// How sending has gone: (settled sends, failures, opt-outs after the message).
pub async fn health(mut db: impl DbExecutor, campaign_id: i64) -> DbResult<(i64, i64, i64)> {
    Ok(sqlx::query_as(
        "SELECT \
           CAST(COALESCE(SUM(CASE WHEN r.status IN ('sent', 'delivered', 'read', 'replied', 'failed', 'unknown') \
             THEN 1 ELSE 0 END), 0) AS BIGINT), \
           CAST(COALESCE(SUM(CASE WHEN r.status = 'failed' THEN 1 ELSE 0 END), 0) AS BIGINT), \
           CAST(COALESCE(SUM(CASE WHEN r.sent_at IS NOT NULL AND (ct.opted_out_at >= r.sent_at \
             OR ct.marketing_stopped_at >= r.sent_at) THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM campaign_recipients r JOIN contacts ct ON ct.id = r.contact_id WHERE r.campaign_id = $1",
    )
    .bind(campaign_id)
    .fetch_one(&mut *db.reader().await?)
    .await?)
}

/// Progress of each of these campaigns: two grouped statements for any number of them.
async fn progress_of(mut db: impl DbExecutor, campaign_ids: &[i64]) -> DbResult<HashMap<i64, CampaignProgress>> {
    let mut all: HashMap<i64, CampaignProgress> = campaign_ids
        .iter()
        .map(|id| (*id, CampaignProgress::default()))
        .collect();
    if campaign_ids.is_empty() {
        return Ok(all);
    }
    let ids = id_list(campaign_ids);
    let counts: Vec<(i64, String, i64)> = sqlx::query_as(&format!(
        "SELECT campaign_id, status, COUNT(*) FROM campaign_recipients WHERE campaign_id IN ({ids}) \
         GROUP BY campaign_id, status"
    ))
    .fetch_all(&mut *db.reader().await?)
    .await?;
    let booked: Vec<(i64, i64)> = sqlx::query_as(&format!(
        "SELECT campaign_id, COUNT(*) FROM appointments WHERE campaign_id IN ({ids}) AND status <> 'cancelled' \
         GROUP BY campaign_id"
    ))
    .fetch_all(&mut *db.reader().await?)
    .await?;
    for (campaign_id, count) in booked {
        all.entry(campaign_id).or_default().booked = count as u64;
    }
    for (campaign_id, status, count) in counts {
        let progress = all.entry(campaign_id).or_default();
        let count = count as u64;
        progress.total += count;
        // Each later stage was also reached through the earlier ones.
        match RecipientStatus::parse(&status) {
            Some(RecipientStatus::Scheduled | RecipientStatus::Sending) => progress.scheduled += count,
            Some(RecipientStatus::Sent) => progress.sent += count,
            Some(RecipientStatus::Delivered) => {
                progress.sent += count;
                progress.delivered += count;
            }
            Some(RecipientStatus::Read) => {
                progress.sent += count;
                progress.delivered += count;
                progress.read += count;
            }
            Some(RecipientStatus::Replied) => {
                progress.sent += count;
                progress.delivered += count;
                progress.read += count;
                progress.replied += count;
            }
            Some(RecipientStatus::Failed) => progress.failed += count,
            Some(RecipientStatus::Skipped | RecipientStatus::Cancelled) => progress.skipped += count,
            Some(RecipientStatus::HeldOut) => progress.held_out += count,
            Some(RecipientStatus::Unknown) => progress.unknown += count,
            Some(RecipientStatus::Expired) => progress.expired += count,
            None => {
                return Err(DbError::Corrupt {
                    what: "recipient status",
                    value: status,
                })
            }
        }
    }
    Ok(all)
}

/// Campaigns (newest first, or the one asked for) with their progress: three statements.
async fn summaries(mut db: impl DbExecutor, only: Option<i64>, limit: i64) -> DbResult<Vec<CampaignSummary>> {
    let columns = CAMPAIGN_COLUMNS
        .split(", ")
        .map(|c| format!("c.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let rows: Vec<(CampaignRow, Option<String>)> = sqlx::query(&format!(
        "SELECT {columns}, t.name AS template_name FROM campaigns c \
         LEFT JOIN message_templates t ON t.id = c.template_id \
         WHERE ($1 = 0 OR c.id = $1) ORDER BY c.created_at DESC, c.id DESC LIMIT $2"
    ))
    .bind(only.unwrap_or(0))
    .bind(limit)
    .fetch_all(&mut *db.reader().await?)
    .await?
    .iter()
    .map(|row| Ok((CampaignRow::from_row(row)?, row.try_get("template_name")?)))
    .collect::<Result<_, sqlx::Error>>()?;
    let ids: Vec<i64> = rows.iter().map(|(row, _)| row.id).collect();
    let mut progress = progress_of(&mut db, &ids).await?;
    rows.into_iter()
        .map(|(row, template)| {
            Ok(CampaignSummary {
                id: row.id,
                status: row.status()?,
                progress: progress.remove(&row.id).unwrap_or_default(),
                name: row.name,
                pause_reason: row.pause_reason,
                message_text: row.message_text,
                template,
                created_at: from_ms(row.created_at),
                starts_at: from_ms(row.starts_at),
            })
        })
        .collect()
}

/// Campaigns, newest first, with their progress.
pub async fn list_campaigns(db: impl DbExecutor, limit: i64) -> DbResult<Vec<CampaignSummary>> {
    summaries(db, None, limit).await
}

pub async fn campaign_summary(db: impl DbExecutor, id: i64) -> DbResult<CampaignSummary> {
    summaries(db, Some(id), 1)
        .await?
        .pop()
        .ok_or(DbError::NotFound("campaign"))
}

#[derive(FromRow)]
struct RecipientListRow {
    id: i64,
    contact_id: i64,
    name: Option<String>,
    wa_id: String,
    status: String,
    reason: Option<String>,
    rendered_text: String,
    sent_at: Option<i64>,
}

/// A campaign's recipients in a status (all when `None`), in planned order.
pub async fn recipients(
    mut db: impl DbExecutor,
    campaign_id: i64,
    status: Option<RecipientStatus>,
    limit: i64,
) -> DbResult<Vec<RecipientRow>> {
    let rows: Vec<RecipientListRow> = sqlx::query_as(
        "SELECT r.id, r.contact_id, ct.name, ct.wa_id, r.status, r.reason, r.rendered_text, r.sent_at \
         FROM campaign_recipients r JOIN contacts ct ON ct.id = r.contact_id \
         WHERE r.campaign_id = $1 AND ($2 = '' OR r.status = $2) ORDER BY r.id LIMIT $3",
    )
    .bind(campaign_id)
    .bind(status.map(|s| s.as_str()).unwrap_or(""))
    .bind(limit)
    .fetch_all(&mut *db.reader().await?)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(RecipientRow {
                id: row.id,
                contact_id: row.contact_id,
                contact_name: row.name,
                wa_id: row.wa_id,
                status: parse_stored("recipient status", &row.status, RecipientStatus::parse)?,
                reason: row.reason,
                text: row.rendered_text,
                sent_at: row.sent_at.map(from_ms),
            })
        })
        .collect()
}

/// Skipped recipients of a campaign by reason, most first.
pub async fn skip_counts(mut db: impl DbExecutor, campaign_id: i64) -> DbResult<Vec<SkipCount>> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT reason, COUNT(*) AS n FROM campaign_recipients WHERE campaign_id = $1 AND status = 'skipped' \
         GROUP BY reason ORDER BY n DESC",
    )
    .bind(campaign_id)
    .fetch_all(&mut *db.reader().await?)
    .await?;
    rows.into_iter()
        .map(|(reason, count)| {
            Ok(SkipCount {
                reason: parse_stored("skip reason", &reason, SkipReason::parse)?,
                count: count as u64,
            })
        })
        .collect()
}

/// When the campaign's earliest waiting recipient is due (a retry tomorrow, say).
pub async fn next_scheduled_at(mut db: impl DbExecutor, campaign_id: i64) -> DbResult<Option<DateTime<Utc>>> {
    let at: Option<i64> = sqlx::query_scalar(
        "SELECT MIN(scheduled_at) FROM campaign_recipients WHERE campaign_id = $1 AND status = 'scheduled'",
    )
    .bind(campaign_id)
    .fetch_one(&mut *db.reader().await?)
    .await?;
    Ok(at.map(from_ms))
}

/// How often a recipient was handed to WhatsApp.
pub async fn attempts(mut db: impl DbExecutor, recipient_id: i64) -> DbResult<i64> {
    sqlx::query_scalar("SELECT attempts FROM campaign_recipients WHERE id = $1")
        .bind(recipient_id)
        .fetch_optional(&mut *db.reader().await?)
        .await?
        .ok_or(DbError::NotFound("campaign recipient"))
}

pub async fn sending_campaign_ids(mut db: impl DbExecutor) -> DbResult<Vec<i64>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM campaigns WHERE status = 'sending' ORDER BY id")
            .fetch_all(&mut *db.reader().await?)
            .await?,
    )
}

/// WhatsApp's "stop promotions" (or "resume") for a number; a number we do not know is
/// nobody to send campaigns to anyway.
pub async fn set_marketing_stopped(
    mut db: impl DbExecutor,
    wa_id: &str,
    stop: bool,
    at: DateTime<Utc>,
) -> DbResult<()> {
    sqlx::query("UPDATE contacts SET marketing_stopped_at = $1 WHERE wa_id = $2")
        .bind(stop.then(|| to_ms(at)))
        .bind(wa_id)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(())
}

/// Removes a campaign whose launch did not finish (its recipients go with it).
pub async fn delete_preparing(mut db: impl DbExecutor, campaign_id: i64) -> DbResult<()> {
    sqlx::query("DELETE FROM campaigns WHERE id = $1 AND status = 'preparing'")
        .bind(campaign_id)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(())
}

/// Launches cut off by a crash: still `preparing` long after they began.
pub async fn stale_preparing(mut db: impl DbExecutor, created_before: DateTime<Utc>) -> DbResult<Vec<i64>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM campaigns WHERE status = 'preparing' AND created_at < $1")
            .bind(to_ms(created_before))
            .fetch_all(&mut *db.reader().await?)
            .await?,
    )
}
