//! Campaigns and their recipients, with the columns the safety checks need.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::{from_ms, to_ms, DbError, DbExecutor, DbResult};

#[derive(Clone, Debug)]
pub struct NewCampaign<'a> {
    pub name: &'a str,
    pub template_text: &'a str,
    pub audience_filter_json: &'a str,
    pub daily_limit: i64,
    pub recency_days: i64,
    /// Comma-separated outcomes whose contacts are skipped; `opted_out` is always among them.
    pub excluded_outcomes: &'a str,
    pub min_delay_seconds: i64,
    pub max_delay_seconds: i64,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct CampaignRecord {
    pub id: i64,
    pub name: String,
    pub template_text: String,
    pub daily_limit: i64,
    pub recency_days: i64,
    pub excluded_outcomes: String,
    pub status: String,
    pub created_at: i64,
}

pub async fn create_campaign(mut db: impl DbExecutor, new: &NewCampaign<'_>) -> DbResult<i64> {
    let id = sqlx::query_scalar(
        "INSERT INTO campaigns (name, template_text, audience_filter, daily_limit, recency_days, \
         excluded_outcomes, min_delay_seconds, max_delay_seconds, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(new.name)
    .bind(new.template_text)
    .bind(new.audience_filter_json)
    .bind(new.daily_limit)
    .bind(new.recency_days)
    .bind(new.excluded_outcomes)
    .bind(new.min_delay_seconds)
    .bind(new.max_delay_seconds)
    .bind(new.created_by)
    .bind(to_ms(new.created_at))
    .fetch_one(&mut *db.writer().await?)
    .await?;
    Ok(id)
}

pub async fn get_campaign(mut db: impl DbExecutor, id: i64) -> DbResult<CampaignRecord> {
    sqlx::query_as(
        "SELECT id, name, template_text, daily_limit, recency_days, excluded_outcomes, status, created_at \
         FROM campaigns WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *db.reader().await?)
    .await?
    .ok_or(DbError::NotFound("campaign"))
}

/// A recipient as planned: personalised text and when to send, or why it is skipped.
#[derive(Clone, Debug)]
pub enum RecipientPlan<'a> {
    Scheduled { rendered_text: &'a str, at: DateTime<Utc> },
    Skipped { reason: &'a str },
}

/// Adds one recipient; adding the same contact twice to a campaign is a conflict.
pub async fn add_recipient(
    mut db: impl DbExecutor,
    campaign_id: i64,
    contact_id: i64,
    plan: &RecipientPlan<'_>,
) -> DbResult<i64> {
    let (status, text, reason, at) = match plan {
        RecipientPlan::Scheduled { rendered_text, at } => ("scheduled", Some(*rendered_text), None, Some(to_ms(*at))),
        RecipientPlan::Skipped { reason } => ("skipped", None, Some(*reason), None),
    };
    let id = sqlx::query_scalar(
        "INSERT INTO campaign_recipients (campaign_id, contact_id, rendered_text, status, skip_reason, scheduled_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(campaign_id)
    .bind(contact_id)
    .bind(text)
    .bind(status)
    .bind(reason)
    .bind(at)
    .fetch_one(&mut *db.writer().await?)
    .await?;
    Ok(id)
}

/// Records a recipient's message as handed to WhatsApp.
pub async fn mark_recipient_sent(
    mut db: impl DbExecutor,
    recipient_id: i64,
    wa_message_id: &str,
    at: DateTime<Utc>,
) -> DbResult<()> {
    let done = sqlx::query(
        "UPDATE campaign_recipients SET status = 'sent', wa_message_id = $1, sent_at = $2, \
         attempts = attempts + 1 WHERE id = $3",
    )
    .bind(wa_message_id)
    .bind(to_ms(at))
    .bind(recipient_id)
    .execute(&mut *db.writer().await?)
    .await?;
    super::contacts::expect_one(done.rows_affected(), "campaign recipient")
}

/// How many recipients of a campaign are in each status.
pub async fn recipient_counts(mut db: impl DbExecutor, campaign_id: i64) -> DbResult<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT status, COUNT(*) FROM campaign_recipients WHERE campaign_id = $1 GROUP BY status ORDER BY status",
    )
    .bind(campaign_id)
    .fetch_all(&mut *db.reader().await?)
    .await?)
}

/// Campaign messages sent since `since`, across all campaigns: the daily-limit counter.
pub async fn sends_since(mut db: impl DbExecutor, since: DateTime<Utc>) -> DbResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM campaign_recipients WHERE sent_at >= $1")
            .bind(to_ms(since))
            .fetch_one(&mut *db.reader().await?)
            .await?,
    )
}

/// When the contact last got a campaign message: the recency check.
pub async fn last_send_to_contact(mut db: impl DbExecutor, contact_id: i64) -> DbResult<Option<DateTime<Utc>>> {
    let last: Option<i64> = sqlx::query_scalar("SELECT MAX(sent_at) FROM campaign_recipients WHERE contact_id = $1")
        .bind(contact_id)
        .fetch_one(&mut *db.reader().await?)
        .await?;
    Ok(last.map(from_ms))
}
