//! Figures for the owner's analytics page.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::{to_ms, DbExecutor, DbResult};

/// What the bot did in a time range.
#[derive(Clone, Debug, Default, PartialEq, Eq, FromRow)]
pub struct BotSummary {
    pub bot_bookings: i64,
    pub bot_revenue_cents: i64,
    pub campaign_bookings: i64,
    pub campaign_revenue_cents: i64,
    pub bot_messages: i64,
    pub ai_tokens: i64,
}

pub async fn bot_summary(mut db: impl DbExecutor, from: DateTime<Utc>, to: DateTime<Utc>) -> DbResult<BotSummary> {
    // PostgreSQL widens SUM(BIGINT) to NUMERIC, which the Any driver cannot read: cast back.
    Ok(sqlx::query_as(
        "SELECT \
           (SELECT COUNT(*) FROM appointments WHERE source = 'bot' AND status <> 'cancelled' \
              AND created_at >= $1 AND created_at < $2) AS bot_bookings, \
           (SELECT CAST(COALESCE(SUM(price_cents), 0) AS BIGINT) FROM appointments WHERE source = 'bot' \
              AND status <> 'cancelled' AND created_at >= $1 AND created_at < $2) AS bot_revenue_cents, \
           (SELECT COUNT(*) FROM appointments WHERE source = 'campaign' AND status <> 'cancelled' \
              AND created_at >= $1 AND created_at < $2) AS campaign_bookings, \
           (SELECT CAST(COALESCE(SUM(price_cents), 0) AS BIGINT) FROM appointments WHERE source = 'campaign' \
              AND status <> 'cancelled' AND created_at >= $1 AND created_at < $2) AS campaign_revenue_cents, \
           (SELECT COUNT(*) FROM messages WHERE author = 'bot' AND created_at >= $1 AND created_at < $2) AS bot_messages, \
           (SELECT CAST(COALESCE(SUM(prompt_tokens + output_tokens + thinking_tokens), 0) AS BIGINT) \
              FROM messages WHERE created_at >= $1 AND created_at < $2) AS ai_tokens",
    )
    .bind(to_ms(from))
    .bind(to_ms(to))
    .fetch_one(&mut *db.reader().await?)
    .await?)
}
