//! Figures for the owner's analytics page, aggregated in SQL by business-local day: each
//! statement returns a row per day (and kind), never a row per message or appointment.
//!
//! PostgreSQL widens SUM(BIGINT) to NUMERIC, which the Any driver cannot read: such sums are
//! cast back to BIGINT.

use sqlx::FromRow;

use super::{DbExecutor, DbResult};

/// The instants `[start_ms, end_ms)` of a range of local days, and the SQL that numbers the
/// local day of an instant (days since 1970-01-01, local time).
pub trait DayNumbering: Sync {
    fn start_ms(&self) -> i64;
    fn end_ms(&self) -> i64;
    /// An SQL expression of `column` (milliseconds since the epoch): its local day number.
    fn day_of(&self, column: &str) -> String;
}

#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct ConversationDay {
    pub day: i64,
    pub total: i64,
    pub bot_only: i64,
    pub handed_over: i64,
}

/// How many customer messages the bot first answered after `seconds` whole seconds.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct ReplyDelays {
    pub day: i64,
    pub seconds: i64,
    pub messages: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct TokenDay {
    pub day: i64,
    /// `provider/model`; none for tokens stored before models were recorded.
    pub ai_model: Option<String>,
    pub prompt_tokens: i64,
    pub output_tokens: i64,
    pub thinking_tokens: i64,
}

/// Appointments booked on one day by the bot or for a campaign, cancelled ones left out.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct BookingDay {
    pub day: i64,
    /// `bot` or `campaign`.
    pub source: String,
    /// Booked by the bot after it followed up an unfinished booking (1) or not (0).
    pub recovered: i64,
    pub count: i64,
    pub booked_cents: i64,
    pub attended: i64,
    pub attended_cents: i64,
}

/// Campaign recipients sent (or, held out, planned) on one day.
#[derive(Clone, Debug, Default, PartialEq, Eq, FromRow)]
pub struct CampaignDay {
    pub day: i64,
    pub sent: i64,
    pub delivered: i64,
    pub read: i64,
    pub replied: i64,
    pub booked: i64,
    pub attended: i64,
    pub holdout_messaged: i64,
    pub holdout_messaged_booked: i64,
    pub held_out: i64,
    pub held_out_booked: i64,
    pub marketing_templates: i64,
    pub utility_templates: i64,
}

/// Conversations with a customer message in the range, on the day of the first one: handed
/// over when staff wrote or took over, or the customer asked for a person; the bot's alone
/// when it answered and none of that happened.
pub async fn conversations(mut db: impl DbExecutor, days: &impl DayNumbering) -> DbResult<Vec<ConversationDay>> {
    let sql = format!(
        "SELECT {day} AS day, COUNT(*) AS total, \
           SUM(CASE WHEN handed = 0 AND answered = 1 THEN 1 ELSE 0 END) AS bot_only, \
           SUM(handed) AS handed_over \
         FROM (SELECT conversation_id, \
             MIN(CASE WHEN author = 'customer' THEN created_at END) AS first_in, \
             MAX(CASE WHEN author = 'bot' THEN 1 ELSE 0 END) AS answered, \
             MAX(CASE WHEN author = 'staff' OR (author = 'system' AND (intent = 'HUMAN_REQUESTED' \
               OR staff_user_id IS NOT NULL)) THEN 1 ELSE 0 END) AS handed \
           FROM messages WHERE created_at >= $1 AND created_at < $2 \
           GROUP BY conversation_id) c \
         WHERE first_in IS NOT NULL GROUP BY 1",
        day = days.day_of("first_in"),
    );
    Ok(sqlx::query_as(&sql)
        .bind(days.start_ms())
        .bind(days.end_ms())
        .fetch_all(&mut *db.reader().await?)
        .await?)
}

/// For each customer message of the range the bot answered, the whole seconds until its
/// first answer, counted by day and delay.
pub async fn reply_delays(mut db: impl DbExecutor, days: &impl DayNumbering) -> DbResult<Vec<ReplyDelays>> {
    let sql = format!(
        "SELECT {day} AS day, seconds, COUNT(*) AS messages \
         FROM (SELECT asked.created_at AS asked_at, (MIN(answer.created_at) - asked.created_at) / 1000 AS seconds \
           FROM messages asked JOIN messages answer ON answer.reply_to_message_id = asked.id \
           WHERE asked.author = 'customer' AND asked.created_at >= $1 AND asked.created_at < $2 \
             AND answer.author = 'bot' \
           GROUP BY asked.id, asked.created_at) r \
         GROUP BY 1, 2",
        day = days.day_of("asked_at"),
    );
    Ok(sqlx::query_as(&sql)
        .bind(days.start_ms())
        .bind(days.end_ms())
        .fetch_all(&mut *db.reader().await?)
        .await?)
}

/// AI tokens by day and model.
pub async fn tokens(mut db: impl DbExecutor, days: &impl DayNumbering) -> DbResult<Vec<TokenDay>> {
    let sql = format!(
        "SELECT {day} AS day, ai_model, CAST(SUM(prompt_tokens) AS BIGINT) AS prompt_tokens, \
           CAST(SUM(output_tokens) AS BIGINT) AS output_tokens, \
           CAST(SUM(thinking_tokens) AS BIGINT) AS thinking_tokens \
         FROM messages WHERE created_at >= $1 AND created_at < $2 \
           AND prompt_tokens + output_tokens + thinking_tokens > 0 \
         GROUP BY 1, 2",
        day = days.day_of("created_at"),
    );
    Ok(sqlx::query_as(&sql)
        .bind(days.start_ms())
        .bind(days.end_ms())
        .fetch_all(&mut *db.reader().await?)
        .await?)
}

/// The bot's and the campaigns' bookings by the day they were made. Attended: marked
/// completed, or still booked and ended at or before `attended_by_ms`. Recovered: booked by
/// the bot within `recovery_ms` after its follow-up of an unfinished booking.
pub async fn bookings(
    mut db: impl DbExecutor,
    days: &impl DayNumbering,
    attended_by_ms: i64,
    recovery_ms: i64,
) -> DbResult<Vec<BookingDay>> {
    let attended = "(a.status = 'completed' OR (a.status = 'booked' AND a.ends_at <= $3))";
    let sql = format!(
        "SELECT {day} AS day, a.source AS source, \
           CASE WHEN a.source = 'bot' AND EXISTS (SELECT 1 FROM conversations cv \
               JOIN messages m ON m.conversation_id = cv.id \
               WHERE cv.contact_id = a.contact_id AND m.author = 'bot' AND m.intent = 'BOOKING_ABANDONED' \
                 AND m.created_at < a.created_at AND m.created_at >= a.created_at - $4) \
             THEN 1 ELSE 0 END AS recovered, \
           COUNT(*) AS count, CAST(SUM(a.price_cents) AS BIGINT) AS booked_cents, \
           SUM(CASE WHEN {attended} THEN 1 ELSE 0 END) AS attended, \
           CAST(SUM(CASE WHEN {attended} THEN a.price_cents ELSE 0 END) AS BIGINT) AS attended_cents \
         FROM appointments a \
         WHERE a.created_at >= $1 AND a.created_at < $2 AND a.status <> 'cancelled' \
           AND a.source IN ('bot', 'campaign') \
         GROUP BY 1, 2, 3",
        day = days.day_of("a.created_at"),
    );
    Ok(sqlx::query_as(&sql)
        .bind(days.start_ms())
        .bind(days.end_ms())
        .bind(attended_by_ms)
        .bind(recovery_ms)
        .fetch_all(&mut *db.reader().await?)
        .await?)
}

/// The campaign funnel by the day each recipient was sent (held out: planned). Booked and
/// attended: a booking attributed to the campaign that messaged them. For campaigns with a
/// holdout, both groups count any booking within the campaign's attribution days after
/// the send (planned send), so they are compared alike. Templates are counted once
/// delivered, by category.
pub async fn campaigns(
    mut db: impl DbExecutor,
    days: &impl DayNumbering,
    attended_by_ms: i64,
) -> DbResult<Vec<CampaignDay>> {
    let at = "COALESCE(r.sent_at, r.scheduled_at)";
    let sent = "r.status IN ('sent', 'delivered', 'read', 'replied')";
    let delivered = "r.status IN ('delivered', 'read', 'replied')";
    // Each recipient's bookings attributed to the campaign that messaged them, read once for
    // all recipients (a lookup per recipient was most of the statement's time).
    let attributed = "(SELECT campaign_id, contact_id, \
          MAX(CASE WHEN status <> 'cancelled' THEN 1 ELSE 0 END) AS booked, \
          MAX(CASE WHEN status = 'completed' OR (status = 'booked' AND ends_at <= $3) THEN 1 ELSE 0 END) AS attended \
        FROM appointments WHERE source = 'campaign' AND campaign_id IS NOT NULL \
        GROUP BY campaign_id, contact_id)";
    let booked = "ab.booked = 1";
    let attended = "ab.attended = 1";
    let booked_within = format!(
        "EXISTS (SELECT 1 FROM appointments a WHERE a.contact_id = r.contact_id AND a.status <> 'cancelled' \
         AND a.created_at >= {at} AND a.created_at < {at} + CAST(c.attribution_days AS BIGINT) * 86400000)"
    );
    let count = |condition: &str| format!("SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)");
    let sql = format!(
        "SELECT {day} AS day, {sent_n} AS sent, {delivered_n} AS delivered, \
           {read_n} AS read, {replied_n} AS replied, {booked_n} AS booked, {attended_n} AS attended, \
           {messaged_n} AS holdout_messaged, {messaged_booked_n} AS holdout_messaged_booked, \
           {held_out_n} AS held_out, {held_out_booked_n} AS held_out_booked, \
           {marketing_n} AS marketing_templates, {utility_n} AS utility_templates \
         FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id \
           LEFT JOIN message_templates t ON t.id = c.template_id \
           LEFT JOIN {attributed} ab ON ab.campaign_id = r.campaign_id AND ab.contact_id = r.contact_id \
         WHERE {at} >= $1 AND {at} < $2 \
           AND r.status IN ('sent', 'delivered', 'read', 'replied', 'held_out') \
         GROUP BY 1",
        day = days.day_of(at),
        sent_n = count(sent),
        delivered_n = count(delivered),
        read_n = count("r.status IN ('read', 'replied')"),
        replied_n = count("r.status = 'replied'"),
        booked_n = count(&format!("{sent} AND {booked}")),
        attended_n = count(&format!("{sent} AND {attended}")),
        messaged_n = count(&format!("{sent} AND c.holdout_percent > 0")),
        messaged_booked_n = count(&format!("{sent} AND c.holdout_percent > 0 AND {booked_within}")),
        held_out_n = count("r.status = 'held_out'"),
        held_out_booked_n = count(&format!("r.status = 'held_out' AND {booked_within}")),
        marketing_n = count(&format!(
            "{delivered} AND t.id IS NOT NULL AND UPPER(t.category) <> 'UTILITY'"
        )),
        utility_n = count(&format!("{delivered} AND UPPER(t.category) = 'UTILITY'")),
    );
    Ok(sqlx::query_as(&sql)
        .bind(days.start_ms())
        .bind(days.end_ms())
        .bind(attended_by_ms)
        .fetch_all(&mut *db.reader().await?)
        .await?)
}
