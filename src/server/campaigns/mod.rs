//! Campaigns: a composed draft is checked, planned recipient by recipient with every safety
//! check, and launched once; `sender` sends it, spaced and within the limits.
//!
//! The checks run twice: at planning (so the marketer sees who is skipped and why) and again
//! just before each send (a customer may opt out or book in between).

pub mod sender;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use rand::seq::SliceRandom;
use sha2::{Digest, Sha256};

use super::booking::local_parts;
use super::db::audit::{self, Actor};
use super::db::campaigns::{self as store, AudienceBounds, Candidate, NewCampaign, NewRecipient};
use super::db::{from_ms, templates, DbError, DbExecutor};
use super::state::AppState;
use crate::model::{
    check_placeholders, render_text, Audience, AuditAction, AuditSubject, CampaignAction, CampaignDraft, CampaignPlan,
    CampaignStatus, DailyCounter, ExcludedOutcome, MessageTemplate, PreviewMessage, RecipientStatus, SkipCount,
    SkipReason,
};

/// WhatsApp's limit for one text message.
pub const MAX_TEXT_CHARS: usize = 4096;
const MAX_NAME_CHARS: usize = 80;
/// How many recipients' messages the preview shows.
const PREVIEW_SIZE: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    /// The draft cannot be launched as it is (422 over REST).
    #[error("{0}")]
    Invalid(String),
    /// The idempotency key was used for a different campaign (409).
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A draft that passed every check, with what launching needs.
struct Checked {
    template: Option<MessageTemplate>,
    sending_from_minute: i64,
    sending_until_minute: i64,
}

/// The rules one campaign applies to each contact.
#[derive(Clone, Debug)]
pub struct Rules {
    pub recency: Duration,
    pub booked_recently: Duration,
    pub excluded: Vec<ExcludedOutcome>,
    /// Free text reaches only contacts whose 24-hour window is open.
    pub needs_open_window: bool,
}

impl Rules {
    fn new(app: &AppState, excluded: Vec<ExcludedOutcome>, needs_open_window: bool) -> Rules {
        Rules {
            recency: Duration::days(app.settings.campaigns.recency_days.into()),
            booked_recently: Duration::days(app.settings.campaigns.booked_recently_days.into()),
            excluded,
            needs_open_window,
        }
    }
}

/// Why this contact must not get the campaign now, or `None` when they may.
pub fn skip_reason(candidate: &Candidate, rules: &Rules, now: DateTime<Utc>) -> Option<SkipReason> {
    let now_ms = now.timestamp_millis();
    let within = |at: Option<i64>, span: Duration| at.is_some_and(|at| now_ms - at < span.num_milliseconds());
    if candidate.opted_out_at.is_some() || candidate.marketing_stopped_at.is_some() {
        return Some(SkipReason::OptedOut);
    }
    if candidate.consent_at.is_none() {
        return Some(SkipReason::NoConsent);
    }
    if candidate.mode.as_deref() == Some("human") {
        return Some(SkipReason::HumanMode);
    }
    if rules.recency > Duration::zero() && within(candidate.last_campaign_at, rules.recency) {
        return Some(SkipReason::Recency);
    }
    if rules.excluded.contains(&ExcludedOutcome::UpcomingAppointment) && candidate.next_appointment_at.is_some() {
        return Some(SkipReason::UpcomingAppointment);
    }
    if rules.excluded.contains(&ExcludedOutcome::BookedRecently)
        && within(candidate.last_booked_at, rules.booked_recently)
    {
        return Some(SkipReason::BookedRecently);
    }
    if rules.needs_open_window && !within(candidate.last_inbound_at, Duration::hours(24)) {
        return Some(SkipReason::WindowClosed);
    }
    None
}

/// The business day of an instant, as the daily counter keys it.
pub fn business_day(tz: Tz, at: DateTime<Utc>) -> String {
    local_parts(tz, at).0.format("%Y-%m-%d").to_string()
}

/// "HH:MM" → minutes since midnight; "24:00" allowed as the end of the day.
fn minute_of_day(text: &str, what: &str) -> Result<i64, CampaignError> {
    let invalid = || CampaignError::Invalid(format!("{what} must be a time like 09:00."));
    let (h, m) = text.trim().split_once(':').ok_or_else(invalid)?;
    let (h, m): (i64, i64) = (h.parse().map_err(|_| invalid())?, m.parse().map_err(|_| invalid())?);
    let minute = h * 60 + m;
    if !(0..60).contains(&m) || !(0..=1440).contains(&minute) {
        return Err(invalid());
    }
    Ok(minute)
}

/// The start of a business-local day as an instant.
pub fn day_start(tz: Tz, day: NaiveDate) -> DateTime<Utc> {
    use chrono::TimeZone;
    let midnight = day.and_hms_opt(0, 0, 0).expect("midnight exists");
    tz.from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        // A day that starts in a DST gap starts an hour later.
        .unwrap_or_else(|| day_start_after_gap(tz, day))
}

fn day_start_after_gap(tz: Tz, day: NaiveDate) -> DateTime<Utc> {
    use chrono::TimeZone;
    let one = day.and_hms_opt(1, 0, 0).expect("01:00 exists");
    tz.from_local_datetime(&one)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// The first instant at or after `now` within the sending hours `[from, until)`.
pub fn next_sending_time(tz: Tz, now: DateTime<Utc>, from: i64, until: i64) -> DateTime<Utc> {
    let (today, minute) = local_parts(tz, now);
    let minute = i64::from(minute);
    if minute >= from && minute < until {
        return now;
    }
    let day = if minute < from {
        today
    } else {
        today.succ_opt().unwrap_or(today)
    };
    day_start(tz, day) + Duration::minutes(from)
}

/// The start of the next business day's sending hours: where a campaign waits when the
/// day's limit is reached.
pub fn next_day_sending_time(tz: Tz, now: DateTime<Utc>, from: i64) -> DateTime<Utc> {
    let today = local_parts(tz, now).0;
    day_start(tz, today.succ_opt().unwrap_or(today)) + Duration::minutes(from)
}

fn audience_bounds(tz: Tz, audience: &Audience) -> AudienceBounds {
    let start = |day: Option<NaiveDate>| day.map(|d| day_start(tz, d));
    let after = |day: Option<NaiveDate>| day.and_then(|d| d.succ_opt()).map(|d| day_start(tz, d));
    AudienceBounds {
        last_visit_before: start(audience.last_visit_before),
        last_visit_after: after(audience.last_visit_after),
        last_booking_before: start(audience.last_booking_before),
        last_booking_after: after(audience.last_booking_after),
    }
}

/// Checks a draft; the message is refused before anything is written.
async fn check(app: &AppState, draft: &CampaignDraft) -> Result<Checked, CampaignError> {
    let invalid = |message: &str| Err(CampaignError::Invalid(message.into()));
    let name = draft.name.trim();
    if name.is_empty() {
        return invalid("Give the campaign a name.");
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return invalid("A campaign name is at most 80 characters.");
    }
    let fallback = draft.name_fallback.trim();
    if fallback.is_empty() || fallback.chars().count() > 40 {
        return invalid("Choose the word used when a contact has no name (1–40 characters), e.g. \"there\".");
    }
    let template = match draft.template.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(wanted) => {
            let language = app.settings.business.language.code();
            let Some(template) = templates::find_approved(&app.db, wanted, &[language]).await? else {
                let known = templates::list_templates(&app.db)
                    .await?
                    .into_iter()
                    .find(|t| t.name == wanted);
                return Err(CampaignError::Invalid(match known {
                    Some(t) => format!(
                        "The template `{wanted}` is {}, not approved: WhatsApp only sends approved templates.",
                        t.status.to_lowercase()
                    ),
                    None => format!("There is no template called `{wanted}`. Sync the templates from WhatsApp first."),
                }));
            };
            if !template.needs_only_a_name() {
                return Err(CampaignError::Invalid(format!(
                    "The template `{wanted}` needs more than the customer's name ({}): campaigns fill only {{customer_name}}.",
                    template.parameters.join(", ")
                )));
            }
            Some(template)
        }
        None => {
            let text = draft.text.trim();
            if text.is_empty() {
                return invalid("Write the message, or choose a template.");
            }
            if text.chars().count() > MAX_TEXT_CHARS {
                return invalid("A WhatsApp message is at most 4,096 characters.");
            }
            check_placeholders(text).map_err(|e| CampaignError::Invalid(e.to_string()))?;
            None
        }
    };
    if draft.min_delay_seconds > draft.max_delay_seconds {
        return invalid("The shortest delay between messages cannot be longer than the longest.");
    }
    if draft.max_delay_seconds > 3600 {
        return invalid("Delays between messages are at most an hour.");
    }
    let sending_from_minute = minute_of_day(&draft.sending_from, "The start of sending hours")?;
    // Until "00:00" is until midnight: the end of the day, as a time box can only say it.
    let sending_until_minute = match minute_of_day(&draft.sending_until, "The end of sending hours")? {
        0 => 1440,
        minute => minute,
    };
    if sending_from_minute >= sending_until_minute || sending_from_minute >= 1440 {
        return invalid("Sending hours must start before they end, within one day.");
    }
    if draft.holdout_percent > 50 {
        return invalid("Hold out at most 50 % of the audience.");
    }
    if !(1..=30).contains(&draft.expires_after_days) {
        return invalid("A campaign expires after 1 to 30 days.");
    }
    if let Some(at) = draft.schedule_at {
        if at > Utc::now() + Duration::days(90) {
            return invalid("Schedule a campaign at most 90 days ahead.");
        }
    }
    Ok(Checked {
        template,
        sending_from_minute,
        sending_until_minute,
    })
}

/// The message one contact gets.
fn message_for(draft: &CampaignDraft, template: Option<&MessageTemplate>, name: Option<&str>) -> String {
    let fallback = draft.name_fallback.trim();
    match template {
        Some(template) => template.render(name.map(str::trim).filter(|n| !n.is_empty()).unwrap_or(fallback)),
        None => render_text(draft.text.trim(), name, fallback),
    }
}

/// Every contact of the audience with the status and reason it would get.
struct Planned {
    recipients: Vec<NewRecipient>,
    plan: CampaignPlan,
}

async fn plan_recipients(
    app: &AppState,
    draft: &CampaignDraft,
    checked: &Checked,
    now: DateTime<Utc>,
) -> Result<Planned, CampaignError> {
    let tz = app.settings.business.timezone;
    let starts_at = draft.schedule_at.unwrap_or(now).max(now);
    let candidates = store::audience_candidates(
        &app.db,
        &draft.audience,
        &audience_bounds(tz, &draft.audience),
        starts_at,
    )
    .await?;
    let rules = Rules::new(app, draft.excluded_outcomes.clone(), checked.template.is_none());
    let mut recipients = Vec::with_capacity(candidates.len());
    let mut skipped: Vec<SkipCount> = Vec::new();
    let mut eligible = Vec::new();
    for candidate in &candidates {
        let text = message_for(draft, checked.template.as_ref(), candidate.name.as_deref());
        match skip_reason(candidate, &rules, starts_at) {
            Some(reason) => {
                match skipped.iter_mut().find(|s| s.reason == reason) {
                    Some(count) => count.count += 1,
                    None => skipped.push(SkipCount { reason, count: 1 }),
                }
                recipients.push(NewRecipient {
                    contact_id: candidate.contact_id,
                    rendered_text: text,
                    status: RecipientStatus::Skipped,
                    reason: Some(reason.as_str()),
                });
            }
            None => {
                eligible.push(recipients.len());
                recipients.push(NewRecipient {
                    contact_id: candidate.contact_id,
                    rendered_text: text,
                    status: RecipientStatus::Scheduled,
                    reason: None,
                });
            }
        }
    }
    // The holdout: chosen at random among the eligible, never sent.
    let held = (eligible.len() * draft.holdout_percent as usize) / 100;
    let mut order = eligible.clone();
    order.shuffle(&mut rand::thread_rng());
    for &index in order.iter().take(held) {
        recipients[index].status = RecipientStatus::HeldOut;
    }
    let to_send: Vec<usize> = eligible
        .iter()
        .copied()
        .filter(|&i| recipients[i].status == RecipientStatus::Scheduled)
        .collect();
    let sending_today = today_capacity(app, checked, draft, starts_at)
        .await?
        .min(to_send.len() as u64);
    let preview = to_send
        .iter()
        .take(PREVIEW_SIZE)
        .map(|&i| {
            let candidate = &candidates[i];
            PreviewMessage {
                contact_name: candidate.name.clone(),
                wa_id: candidate.wa_id.clone(),
                text: recipients[i].rendered_text.clone(),
            }
        })
        .collect();
    skipped.sort_by_key(|s| std::cmp::Reverse(s.count));
    Ok(Planned {
        plan: CampaignPlan {
            audience: candidates.len() as u64,
            sending_today,
            later_days: to_send.len() as u64 - sending_today,
            held_out: held as u64,
            skipped,
            preview,
        },
        recipients,
    })
}

/// How many messages this campaign can still send on its first day: what the daily limit
/// leaves, and what the sending hours leave at its shortest delay.
async fn today_capacity(
    app: &AppState,
    checked: &Checked,
    draft: &CampaignDraft,
    starts_at: DateTime<Utc>,
) -> Result<u64, CampaignError> {
    let tz = app.settings.business.timezone;
    let first = next_sending_time(tz, starts_at, checked.sending_from_minute, checked.sending_until_minute);
    if business_day(tz, first) != business_day(tz, starts_at) {
        return Ok(0);
    }
    let sent = store::sent_on_day(&app.db, &business_day(tz, first)).await?;
    let left_by_limit = (i64::from(app.settings.campaigns.daily_limit) - sent).max(0) as u64;
    let (_, minute) = local_parts(tz, first);
    let seconds_left = (checked.sending_until_minute - i64::from(minute)).max(0) * 60;
    let left_by_time = match draft.min_delay_seconds {
        0 => u64::MAX,
        delay => (seconds_left / i64::from(delay)) as u64 + 1,
    };
    Ok(left_by_limit.min(left_by_time))
}

/// What launching this draft would do now, without writing anything: the live count and
/// preview of the composer.
pub async fn preview(app: &AppState, draft: &CampaignDraft) -> Result<CampaignPlan, CampaignError> {
    let checked = check(app, draft).await?;
    Ok(plan_recipients(app, draft, &checked, Utc::now()).await?.plan)
}

/// A launched campaign and its plan; `created` is false when the same launch was made
/// before (the same idempotency key and body) and this one changed nothing.
#[derive(Debug)]
pub struct Launched {
    pub campaign_id: i64,
    pub plan: CampaignPlan,
    pub created: bool,
}

/// Launches a campaign once: the campaign and one row per recipient in one transaction.
/// `actor` accepted the disclaimer (and is recorded in the audit log as the launch starts);
/// `idempotency_key`: the page's composer key or the integrator's `Idempotency-Key`.
pub async fn launch(
    app: &AppState,
    draft: &CampaignDraft,
    actor: &Actor,
    idempotency_key: Option<&str>,
) -> Result<Launched, CampaignError> {
    if !draft.acknowledge_disclaimer {
        return Err(CampaignError::Invalid(
            "Confirm the disclaimer first: every recipient agreed to marketing messages, and you take \
             responsibility for this campaign."
                .into(),
        ));
    }
    let request_hash = hex::encode(Sha256::digest(serde_json::to_vec(draft).expect("a draft serializes")));
    if let Some(key) = idempotency_key {
        if key.is_empty() || key.len() > 200 {
            return Err(CampaignError::Invalid(
                "An idempotency key has 1 to 200 characters.".into(),
            ));
        }
        if let Some(done) = same_launch(app, key, &request_hash).await? {
            return Ok(done);
        }
    }
    let checked = check(app, draft).await?;
    let now = Utc::now();
    let planned = plan_recipients(app, draft, &checked, now).await?;
    if planned.plan.audience == 0 {
        return Err(CampaignError::Invalid(
            "The audience is empty: no contact matches these conditions.".into(),
        ));
    }
    let starts_at = draft.schedule_at.unwrap_or(now).max(now);
    let excluded: Vec<&str> = draft.excluded_outcomes.iter().map(|o| o.as_str()).collect();
    let new = NewCampaign {
        name: draft.name.trim().to_string(),
        message_text: match &checked.template {
            Some(template) => template.body.clone(),
            None => draft.text.trim().to_string(),
        },
        template_id: checked.template.as_ref().map(|t| t.id),
        name_fallback: draft.name_fallback.trim().to_string(),
        audience_json: serde_json::to_string(&draft.audience).expect("an audience serializes"),
        recency_days: app.settings.campaigns.recency_days.into(),
        excluded_outcomes: excluded.join(","),
        min_delay_seconds: draft.min_delay_seconds.into(),
        max_delay_seconds: draft.max_delay_seconds.into(),
        sending_from_minute: checked.sending_from_minute,
        sending_until_minute: checked.sending_until_minute,
        holdout_percent: draft.holdout_percent.into(),
        attribution_days: app.settings.campaigns.attribution_days.into(),
        accepted_by: actor.user_id,
        idempotency_key: idempotency_key.map(String::from),
        request_hash: request_hash.clone(),
        created_at: now,
        starts_at,
        expires_at: starts_at + Duration::days(draft.expires_after_days.into()),
    };
    // The campaign is created `preparing` (which claims the idempotency key), its recipients
    // are written in short transactions so live traffic is not kept waiting behind a big
    // audience on SQLite's one writer, and only then does it start sending. A launch that
    // fails part way is removed; one cut off by a crash is removed by the sender.
    let campaign_id = match (store::create_campaign(&app.db, &new).await, idempotency_key) {
        (Ok(id), _) => id,
        // Two launches with one key at once: the other one won; answer as it did.
        (Err(DbError::Conflict(_)), Some(key)) => {
            return same_launch(app, key, &request_hash)
                .await?
                .ok_or_else(|| CampaignError::Conflict("This launch is already under way.".into()));
        }
        (Err(error), _) => return Err(error.into()),
    };
    let started = Started {
        actor,
        detail: launch_detail(&new.name, &planned.plan),
    };
    if let Err(error) = add_recipients(app, campaign_id, planned.recipients, starts_at, now, started).await {
        if let Err(cleanup) = store::delete_preparing(&app.db, campaign_id).await {
            tracing::error!(campaign_id, error = %cleanup, "cannot remove a half-launched campaign; the sender will");
        }
        return Err(error.into());
    }
    tracing::info!(campaign_id, recipients = planned.plan.audience, "campaign launched");
    app.wake_campaigns.notify_one();
    Ok(Launched {
        campaign_id,
        plan: planned.plan,
        created: true,
    })
}

/// Recipients per transaction while launching: small enough that a webhook's write waits
/// milliseconds behind one, large enough to write 100,000 quickly.
const LAUNCH_CHUNK: usize = 2000;

/// Who launched a campaign and what it plans, for the audit entry written as it starts.
struct Started<'a> {
    actor: &'a Actor,
    detail: String,
}

/// "“Spring offer”: audience of 120, 80 today, 20 on later days, 5 held out, 15 skipped".
fn launch_detail(name: &str, plan: &CampaignPlan) -> String {
    let skipped: u64 = plan.skipped.iter().map(|s| s.count).sum();
    format!(
        "“{name}”: audience of {}, {} today, {} on later days, {} held out, {skipped} skipped",
        plan.audience, plan.sending_today, plan.later_days, plan.held_out
    )
}

/// Writes a preparing campaign's recipients, then starts it and records the launch in the
/// audit log, in one transaction: a launch that never starts is not recorded.
async fn add_recipients(
    app: &AppState,
    campaign_id: i64,
    recipients: Vec<NewRecipient>,
    starts_at: DateTime<Utc>,
    now: DateTime<Utc>,
    started: Started<'_>,
) -> Result<(), DbError> {
    let mut recipients = recipients.into_iter().peekable();
    while recipients.peek().is_some() {
        let chunk: Vec<NewRecipient> = recipients.by_ref().take(LAUNCH_CHUNK).collect();
        app.db
            .transaction(|tx| {
                Box::pin(async move { store::add_recipients(&mut *tx, campaign_id, &chunk, starts_at, now).await })
            })
            .await?;
        tokio::task::yield_now().await;
    }
    let (actor, detail) = (started.actor.clone(), started.detail);
    app.db
        .transaction(move |tx| {
            Box::pin(async move {
                let preparing = [CampaignStatus::Preparing];
                if !store::change_status(&mut *tx, campaign_id, &preparing, CampaignStatus::Sending, None, now).await? {
                    return Err(DbError::NotFound("preparing campaign"));
                }
                let entry = audit::NewEntry {
                    actor: &actor,
                    action: AuditAction::CampaignLaunch,
                    subject: AuditSubject::Campaign,
                    subject_id: campaign_id,
                    detail,
                    at: now,
                };
                audit::record(&mut *tx, &entry).await?;
                Ok(())
            })
        })
        .await
}

/// The campaign an earlier launch with this key made, if its body was the same; a
/// different body under the same key is refused.
async fn same_launch(app: &AppState, key: &str, request_hash: &str) -> Result<Option<Launched>, CampaignError> {
    let Some((campaign_id, hash)) = store::find_by_idempotency_key(&app.db, key).await? else {
        return Ok(None);
    };
    if hash != request_hash {
        return Err(CampaignError::Conflict(
            "This Idempotency-Key was already used for a different campaign. Use a new key for a new campaign.".into(),
        ));
    }
    // The first launch may still be writing its recipients: answer once it has.
    let mut waited = 0;
    while store::get_campaign(&app.db, campaign_id).await?.status()? == CampaignStatus::Preparing {
        if waited == 60 {
            return Err(CampaignError::Conflict(
                "This launch is still being prepared; ask again in a moment.".into(),
            ));
        }
        waited += 1;
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let plan = stored_plan(&app.db, campaign_id).await?;
    Ok(Some(Launched {
        campaign_id,
        plan,
        created: false,
    }))
}

/// The plan of a launched campaign, from its recipients.
async fn stored_plan(mut db: impl DbExecutor, campaign_id: i64) -> Result<CampaignPlan, CampaignError> {
    let summary = store::campaign_summary(&mut db, campaign_id).await?;
    let skipped = store::skip_counts(&mut db, campaign_id).await?;
    let progress = summary.progress;
    Ok(CampaignPlan {
        audience: progress.total,
        sending_today: progress.scheduled,
        later_days: 0,
        held_out: progress.held_out,
        skipped,
        preview: Vec::new(),
    })
}

/// Campaign messages sent today against the daily limit.
pub async fn daily_counter(app: &AppState) -> Result<DailyCounter, DbError> {
    let day = business_day(app.settings.business.timezone, Utc::now());
    Ok(DailyCounter {
        sent_today: store::sent_on_day(&app.db, &day).await?.max(0) as u64,
        limit: app.settings.campaigns.daily_limit.into(),
    })
}

/// Pause, resume, cancel, or send again to failed (or, by a person's decision, unknown)
/// recipients.
pub async fn act(app: &AppState, campaign_id: i64, action: CampaignAction, by: &str) -> Result<(), CampaignError> {
    use CampaignStatus::{Cancelled, Completed, Paused, Sending};
    let now = Utc::now();
    let campaign = store::get_campaign(&app.db, campaign_id).await?;
    let refused =
        |what: &str| CampaignError::Invalid(format!("This campaign is {}: it cannot be {what}.", campaign.status));
    match action {
        CampaignAction::Pause => {
            let reason = format!("paused by {by}");
            if !store::change_status(&app.db, campaign_id, &[Sending], Paused, Some(&reason), now).await? {
                return Err(refused("paused"));
            }
        }
        CampaignAction::Resume => {
            if now >= from_ms(campaign.expires_at) {
                return Err(CampaignError::Invalid(
                    "This campaign has expired: launch a new one.".into(),
                ));
            }
            if !store::change_status(&app.db, campaign_id, &[Paused], Sending, None, now).await? {
                return Err(refused("resumed"));
            }
        }
        CampaignAction::Cancel => {
            let cancelled = app
                .db
                .transaction(|tx| {
                    Box::pin(async move {
                        if !store::change_status(&mut *tx, campaign_id, &[Sending, Paused], Cancelled, None, now)
                            .await?
                        {
                            return Ok::<_, DbError>(false);
                        }
                        store::cancel_waiting(&mut *tx, campaign_id, now).await?;
                        Ok(true)
                    })
                })
                .await?;
            if !cancelled {
                return Err(refused("cancelled"));
            }
        }
        CampaignAction::RetryFailed | CampaignAction::ResendUnknown => {
            if now >= from_ms(campaign.expires_at) {
                return Err(CampaignError::Invalid(
                    "This campaign has expired: launch a new one.".into(),
                ));
            }
            if campaign.status()? == Cancelled {
                return Err(refused("sent again"));
            }
            let statuses = match action {
                CampaignAction::RetryFailed => [RecipientStatus::Failed],
                _ => [RecipientStatus::Unknown],
            };
            let retried = app
                .db
                .transaction(|tx| {
                    Box::pin(async move {
                        let retried = store::retry_recipients(&mut *tx, campaign_id, &statuses, now).await?;
                        if retried > 0 {
                            store::change_status(&mut *tx, campaign_id, &[Completed], Sending, None, now).await?;
                            store::set_next_send_at(&mut *tx, campaign_id, now).await?;
                        }
                        Ok::<_, DbError>(retried)
                    })
                })
                .await?;
            if retried == 0 {
                return Err(CampaignError::Invalid("There is no recipient to send to again.".into()));
            }
        }
    }
    tracing::info!(campaign_id, action = %action, "campaign changed by staff");
    app.wake_campaigns.notify_one();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn candidate() -> Candidate {
        Candidate {
            contact_id: 1,
            wa_id: "34600000001".into(),
            name: Some("Ana".into()),
            opted_out_at: None,
            marketing_stopped_at: None,
            consent_at: Some(0),
            last_inbound_at: None,
            mode: Some("bot".into()),
            last_campaign_at: None,
            last_booked_at: None,
            next_appointment_at: None,
        }
    }

    fn rules() -> Rules {
        Rules {
            recency: Duration::days(7),
            booked_recently: Duration::days(14),
            excluded: ExcludedOutcome::ALL.to_vec(),
            needs_open_window: false,
        }
    }

    #[test]
    fn each_check_gives_its_reason() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
        let day = 86_400_000;
        let at = now.timestamp_millis();
        assert_eq!(skip_reason(&candidate(), &rules(), now), None);
        type Change = Box<dyn Fn(&mut Candidate)>;
        let cases: Vec<(Change, SkipReason)> = vec![
            (Box::new(|c| c.opted_out_at = Some(0)), SkipReason::OptedOut),
            (Box::new(|c| c.marketing_stopped_at = Some(0)), SkipReason::OptedOut),
            (Box::new(|c| c.consent_at = None), SkipReason::NoConsent),
            (Box::new(|c| c.mode = Some("human".into())), SkipReason::HumanMode),
            (
                Box::new(move |c| c.last_campaign_at = Some(at - 6 * day)),
                SkipReason::Recency,
            ),
            (
                Box::new(move |c| c.last_booked_at = Some(at - 13 * day)),
                SkipReason::BookedRecently,
            ),
            (
                Box::new(move |c| c.next_appointment_at = Some(at + day)),
                SkipReason::UpcomingAppointment,
            ),
        ];
        for (change, reason) in cases {
            let mut c = candidate();
            change(&mut c);
            assert_eq!(skip_reason(&c, &rules(), now), Some(reason));
        }
        let mut old = candidate();
        old.last_campaign_at = Some(at - 8 * day);
        old.last_booked_at = Some(at - 15 * day);
        assert_eq!(
            skip_reason(&old, &rules(), now),
            None,
            "old sends and bookings do not count"
        );
        let mut booked = candidate();
        booked.next_appointment_at = Some(at + day);
        let lenient = Rules {
            excluded: Vec::new(),
            ..rules()
        };
        assert_eq!(skip_reason(&booked, &lenient, now), None, "outcomes are per campaign");
        let text = Rules {
            needs_open_window: true,
            ..rules()
        };
        assert_eq!(skip_reason(&candidate(), &text, now), Some(SkipReason::WindowClosed));
        let mut open = candidate();
        open.last_inbound_at = Some(at - 3_600_000);
        assert_eq!(skip_reason(&open, &text, now), None);
    }

    #[test]
    fn sending_hours_and_business_days_follow_the_business_time_zone() {
        let tz = chrono_tz::Europe::Madrid;
        // 23:30 UTC on 30 November is 00:30 on 1 December in Madrid.
        let late = Utc.with_ymd_and_hms(2026, 11, 30, 23, 30, 0).unwrap();
        assert_eq!(business_day(tz, late), "2026-12-01");
        let next = next_sending_time(tz, late, 9 * 60, 20 * 60);
        assert_eq!(
            next,
            Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap(),
            "09:00 Madrid"
        );
        let inside = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
        assert_eq!(next_sending_time(tz, inside, 9 * 60, 20 * 60), inside);
        let evening = Utc.with_ymd_and_hms(2026, 12, 1, 19, 30, 0).unwrap();
        assert_eq!(
            next_sending_time(tz, evening, 9 * 60, 20 * 60),
            Utc.with_ymd_and_hms(2026, 12, 2, 8, 0, 0).unwrap()
        );
        assert_eq!(
            next_day_sending_time(tz, inside, 9 * 60),
            Utc.with_ymd_and_hms(2026, 12, 2, 8, 0, 0).unwrap()
        );
    }

    #[test]
    fn sending_hours_are_read_as_times() {
        assert_eq!(minute_of_day("09:30", "x").unwrap(), 570);
        assert_eq!(minute_of_day("24:00", "x").unwrap(), 1440);
        assert!(minute_of_day("9", "x").is_err());
        assert!(minute_of_day("10:75", "x").is_err());
    }
}
