//! Sends launched campaigns: one recipient at a time per campaign, spaced by the campaign's
//! random delays, within its sending hours, the daily limit and WhatsApp's rates.
//!
//! Never twice: a recipient is claimed (`sending`) in the transaction that takes its place
//! in the day's limit, before WhatsApp is called. A claim never settled (the process died
//! during the call) becomes `unknown` once the job lock time has passed, and waits for a
//! person to decide; nothing resends it on its own.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use sqlx::AnyConnection;
use tokio::sync::{watch, Notify, Semaphore};
use tokio::task::JoinSet;

use super::{business_day, next_day_sending_time, next_sending_time, skip_reason, Rules};
use crate::model::{CampaignStatus, ExcludedOutcome, MessageTemplate, RecipientStatus};
use crate::server::db::campaigns::{self as store, CampaignRow, Candidate};
use crate::server::db::{templates, Backend, DbError, DbResult, Leadership};
use crate::server::state::AppState;
use crate::server::whatsapp::sender::{SendError, TemplateMessage};

/// How often expiry, interrupted sends and auto-pause are looked at.
const HOUSEKEEPING: StdDuration = StdDuration::from_secs(1);
/// Below this many settled sends, failure and opt-out rates say too little to pause on.
const PAUSE_MIN_SAMPLE: i64 = 20;
/// How often a recipient WhatsApp held back for its marketing limit (131049) is tried, a day apart.
const MARKETING_LIMIT_ATTEMPTS: i64 = 3;
/// A launch writes 100,000 recipients in seconds; one preparing this long was cut off.
const STALE_LAUNCH: Duration = Duration::minutes(10);
/// The PostgreSQL advisory lock held by the one instance that sends campaigns.
const SENDER_LOCK: i64 = 0x4644_4341_4d50; // "FDCAMP"
/// How often an instance that does not send asks for the campaign lock: at most this long
/// after the sending instance dies, another one takes over.
const LEAD_RETRY: StdDuration = StdDuration::from_secs(2);
/// How long a campaign waits after WhatsApp asks to slow down.
const SLOW_DOWN: StdDuration = StdDuration::from_secs(30);

/// Sends until `shutdown` turns true; sends in flight then get `grace` to finish.
///
/// On PostgreSQL several instances may run, and one of them sends: the one holding the
/// campaign lock. The others wait to take over should it die or lose its database
/// connection. (Sending from every instance would be safe, since each recipient is
/// claimed once in the database, but the campaign's delays between messages would shrink.)
pub async fn run(app: AppState, mut shutdown: watch::Receiver<bool>, grace: StdDuration) {
    if app.db.backend() == Backend::Sqlite {
        send_while_leading(&app, shutdown, grace, None).await;
        return;
    }
    loop {
        match app.db.try_lead(SENDER_LOCK).await {
            Ok(Some(leadership)) => {
                tracing::info!("this instance sends the campaigns");
                if send_while_leading(&app, shutdown.clone(), grace, Some(leadership)).await == Stopped::Shutdown {
                    return;
                }
                tracing::warn!("lost the campaign lock; another instance may send now");
            }
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "cannot ask for the campaign lock"),
        }
        tokio::select! {
            _ = tokio::time::sleep(LEAD_RETRY) => {}
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    return;
                }
            }
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Stopped {
    Shutdown,
    LostLead,
}

async fn send_while_leading(
    app: &AppState,
    mut shutdown: watch::Receiver<bool>,
    grace: StdDuration,
    mut leadership: Option<Leadership>,
) -> Stopped {
    let mut stopped = Stopped::Shutdown;
    let permits = Arc::new(Semaphore::new(app.settings.campaigns.sends_in_flight));
    let freed = Arc::new(Notify::new());
    let mut tasks = JoinSet::new();
    let mut templates: HashMap<i64, Arc<MessageTemplate>> = HashMap::new();
    let mut last_housekeeping = None::<tokio::time::Instant>;
    loop {
        while tasks.try_join_next().is_some() {}
        if last_housekeeping.is_none_or(|at| at.elapsed() >= HOUSEKEEPING) {
            if let Some(leadership) = &mut leadership {
                if !leadership.still_held().await {
                    stopped = Stopped::LostLead;
                    break;
                }
            }
            if let Err(error) = housekeeping(app).await {
                tracing::error!(%error, "campaign housekeeping failed");
            }
            last_housekeeping = Some(tokio::time::Instant::now());
        }
        let started = match send_due(app, &permits, &freed, &mut tasks, &mut templates).await {
            Ok(started) => started,
            Err(error) => {
                tracing::error!(%error, "cannot pick campaign recipients");
                false
            }
        };
        if started {
            continue;
        }
        // With every send slot taken, a freed slot is what to wait for, not the clock.
        let wait = if permits.available_permits() == 0 {
            HOUSEKEEPING
        } else {
            match store::next_due_at(&app.db).await {
                Ok(Some(at)) => (at - Utc::now()).to_std().unwrap_or_default().min(HOUSEKEEPING),
                _ => HOUSEKEEPING,
            }
        };
        tokio::select! {
            _ = app.wake_campaigns.notified() => {}
            _ = freed.notified() => {}
            _ = tokio::time::sleep(wait.max(StdDuration::from_millis(5))) => {}
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    break;
                }
            }
        }
    }
    // Sends in WhatsApp's hands finish and are recorded; what is cut off becomes `unknown`.
    let _ = tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
    stopped
}

/// Claims the next recipient of every due campaign and starts its send. True when at least
/// one send started (there may be more to do at once).
async fn send_due(
    app: &AppState,
    permits: &Arc<Semaphore>,
    freed: &Arc<Notify>,
    tasks: &mut JoinSet<()>,
    templates: &mut HashMap<i64, Arc<MessageTemplate>>,
) -> DbResult<bool> {
    let tz = app.settings.business.timezone;
    let now = Utc::now();
    let mut started = false;
    for campaign in store::due_campaigns(&app.db, now).await? {
        let opens = next_sending_time(tz, now, campaign.sending_from_minute, campaign.sending_until_minute);
        if opens > now {
            store::set_next_send_at(&app.db, campaign.id, opens).await?;
            continue;
        }
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            return Ok(started);
        };
        let template = match campaign.template_id {
            Some(id) => match templates.get(&id) {
                Some(template) => Some(template.clone()),
                None => {
                    let template = Arc::new(templates::get_template(&app.db, id).await?);
                    templates.insert(id, template.clone());
                    Some(template)
                }
            },
            None => None,
        };
        match claim_next(app, &campaign, template.is_none(), now).await? {
            Claim::Send(send) => {
                started = true;
                let (app, freed) = (app.clone(), freed.clone());
                tasks.spawn(async move {
                    if let Err(error) = deliver(&app, &campaign, template.as_deref(), *send).await {
                        tracing::error!(campaign_id = campaign.id, %error, "cannot record a campaign send");
                    }
                    drop(permit);
                    freed.notify_one();
                });
            }
            // Skipped at the last check: the next one may go at once.
            Claim::Skipped => started = true,
            Claim::LimitReached => {
                let tomorrow = next_day_sending_time(tz, now, campaign.sending_from_minute);
                tracing::info!(
                    campaign_id = campaign.id,
                    "daily campaign limit reached; waiting for the next day"
                );
                store::set_next_send_at(&app.db, campaign.id, tomorrow).await?;
            }
            Claim::NothingDue(next) => {
                // Sends still in flight settle soon (or become `unknown`): look again then.
                let later = next.unwrap_or(now + Duration::from_std(HOUSEKEEPING).unwrap_or_default());
                store::set_next_send_at(&app.db, campaign.id, later).await?;
            }
        }
    }
    Ok(started)
}

struct Send {
    recipient_id: i64,
    candidate: Candidate,
    text: String,
    day: String,
}

enum Claim {
    Send(Box<Send>),
    Skipped,
    LimitReached,
    /// Nobody's turn yet; the earliest waiting recipient's time, if any.
    NothingDue(Option<DateTime<Utc>>),
}

/// Checks the next recipient again and, if they may get the message, claims them and their
/// place in the day's limit, in one transaction.
async fn claim_next(app: &AppState, campaign: &CampaignRow, free_text: bool, now: DateTime<Utc>) -> DbResult<Claim> {
    let Some((recipient_id, contact_id, text)) = store::next_recipient(&app.db, campaign.id, now).await? else {
        let next = store::next_scheduled_at(&app.db, campaign.id).await?;
        if next.is_none() && !store::has_open_recipients(&app.db, campaign.id).await? {
            store::change_status(
                &app.db,
                campaign.id,
                &[CampaignStatus::Sending],
                CampaignStatus::Completed,
                None,
                now,
            )
            .await?;
        }
        return Ok(Claim::NothingDue(next));
    };
    let rules = Rules {
        recency: Duration::days(campaign.recency_days),
        booked_recently: Duration::days(app.settings.campaigns.booked_recently_days.into()),
        excluded: campaign
            .excluded_outcomes
            .split(',')
            .filter_map(ExcludedOutcome::parse)
            .collect(),
        needs_open_window: free_text,
    };
    let day = business_day(app.settings.business.timezone, now);
    let limit = i64::from(app.settings.campaigns.daily_limit);
    let delay = {
        let (min, max) = (
            campaign.min_delay_seconds,
            campaign.max_delay_seconds.max(campaign.min_delay_seconds),
        );
        // Milliseconds, so short delays still vary.
        Duration::milliseconds(rand::thread_rng().gen_range(min * 1000..=max * 1000))
    };
    // The checks read outside the write transaction: SQLite has one writer, and live
    // traffic should not wait while a campaign reads. The claim below still only takes a
    // recipient that is scheduled, so a racing pause or cancel wins.
    let candidate = store::candidate(&app.db, contact_id, now).await?;
    if let Some(reason) = skip_reason(&candidate, &rules, now) {
        store::set_recipient_status(
            &app.db,
            recipient_id,
            RecipientStatus::Scheduled,
            RecipientStatus::Skipped,
            Some(reason.as_str()),
            now,
        )
        .await?;
        return Ok(Claim::Skipped);
    }
    let campaign_id = campaign.id;
    app.db
        .transaction(|tx| {
            Box::pin(async move {
                if !store::reserve_daily_place(&mut *tx, &day, limit).await? {
                    return Ok(Claim::LimitReached);
                }
                if !store::claim_recipient(&mut *tx, recipient_id, now).await? {
                    return Err(DbError::Conflict("campaign recipient claimed elsewhere".into()));
                }
                store::set_next_send_at(&mut *tx, campaign_id, now + delay).await?;
                Ok(Claim::Send(Box::new(Send {
                    recipient_id,
                    candidate,
                    text,
                    day,
                })))
            })
        })
        .await
}

/// Hands one claimed message to WhatsApp and records what happened.
async fn deliver(
    app: &AppState,
    campaign: &CampaignRow,
    template: Option<&MessageTemplate>,
    send: Send,
) -> DbResult<()> {
    let result = match template {
        Some(template) => {
            let name = send
                .candidate
                .name
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .unwrap_or(&campaign.name_fallback);
            match TemplateMessage::with_name(template, name) {
                Some(message) => app.sender.send_template(&send.candidate.wa_id, &message).await,
                None => Err(SendError::Rejected(format!(
                    "the template `{}` needs more than the customer's name",
                    template.name
                ))),
            }
        }
        None => app.sender.send_text(&send.candidate.wa_id, &send.text).await,
    };
    let now = Utc::now();
    let (id, campaign_id, day) = (send.recipient_id, campaign.id, send.day);
    let error = match result {
        // The common case is one statement, atomic without a transaction's round trips.
        Ok(wa_message_id) => return store::mark_sent(&app.db, id, &wa_message_id, now).await,
        Err(error) => error,
    };
    // What happened is recorded in one transaction: the recipient's state, the campaign's
    // and the day's count stand or fall together.
    let not_sent = app
        .db
        .transaction(|tx| Box::pin(async move { record_not_sent(tx, campaign_id, id, &day, error, now).await }))
        .await?;
    if not_sent {
        pause_if_unhealthy(app, campaign_id).await?;
    }
    Ok(())
}

/// Records why WhatsApp did not take one send, in the caller's transaction: the recipient's
/// state, the campaign's, and the day's count. True when the message was certainly not sent.
async fn record_not_sent(
    tx: &mut AnyConnection,
    campaign_id: i64,
    id: i64,
    day: &str,
    error: SendError,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    match error {
        SendError::OutsideWindow => {
            store::set_recipient_status(
                &mut *tx,
                id,
                RecipientStatus::Sending,
                RecipientStatus::Skipped,
                Some("window_closed"),
                now,
            )
            .await?;
        }
        SendError::Undeliverable => {
            store::set_recipient_status(
                &mut *tx,
                id,
                RecipientStatus::Sending,
                RecipientStatus::Failed,
                Some("undeliverable: the number cannot receive WhatsApp messages (131026)"),
                now,
            )
            .await?;
        }
        SendError::MarketingLimit => {
            let attempts = store::attempts(&mut *tx, id).await?;
            if attempts < MARKETING_LIMIT_ATTEMPTS {
                let reason =
                    "WhatsApp held it back to limit marketing messages to this person (131049); tried again tomorrow";
                store::reschedule_recipient(&mut *tx, id, now + Duration::days(1), reason, now).await?;
            } else {
                store::set_recipient_status(
                    &mut *tx,
                    id,
                    RecipientStatus::Sending,
                    RecipientStatus::Failed,
                    Some("WhatsApp kept holding it back to limit marketing messages to this person (131049)"),
                    now,
                )
                .await?;
            }
        }
        SendError::SpamRateLimited => {
            store::reschedule_recipient(&mut *tx, id, now, "not sent: the campaign paused", now).await?;
            let reason = "Paused by WhatsApp's spam-rate limit (131048): too many people blocked or reported \
          this number's messages. Check the campaign's content and audience before resuming.";
            store::change_status(
                &mut *tx,
                campaign_id,
                &[CampaignStatus::Sending],
                CampaignStatus::Paused,
                Some(reason),
                now,
            )
            .await?;
            tracing::warn!(
                campaign_id = campaign_id,
                "campaign paused: WhatsApp spam-rate limit (131048)"
            );
        }
        SendError::Uncertain(detail) => {
            // WhatsApp may have it: not sent again without a person's decision.
            let reason = format!("unknown: {detail}; check the customer's chat before sending again");
            store::set_recipient_status(
                &mut *tx,
                id,
                RecipientStatus::Sending,
                RecipientStatus::Unknown,
                Some(&reason),
                now,
            )
            .await?;
            return Ok(false);
        }
        SendError::RetryLater(detail) => {
            let reason = format!("WhatsApp asked to slow down ({detail}); tried again shortly");
            store::reschedule_recipient(&mut *tx, id, now, &reason, now).await?;
            let later = now + Duration::from_std(SLOW_DOWN).unwrap_or_default();
            store::set_next_send_at(&mut *tx, campaign_id, later).await?;
        }
        SendError::Rejected(detail) => {
            store::set_recipient_status(
                &mut *tx,
                id,
                RecipientStatus::Sending,
                RecipientStatus::Failed,
                Some(&detail),
                now,
            )
            .await?;
        }
    }
    // Not sent: its place in the day's limit is free again.
    store::release_daily_place(&mut *tx, day).await?;
    Ok(true)
}

/// Expiry, sends cut off by a crash, and pausing campaigns whose sends go badly.
async fn housekeeping(app: &AppState) -> DbResult<()> {
    let now = Utc::now();
    let lock = Duration::from_std(app.settings.scheduler.job_lock).unwrap_or_else(|_| Duration::seconds(120));
    // A launch still preparing long after it began was cut off: it never sent anything.
    for id in store::stale_preparing(&app.db, now - STALE_LAUNCH).await? {
        tracing::warn!(campaign_id = id, "removing a campaign whose launch was cut off");
        store::delete_preparing(&app.db, id).await?;
    }
    let interrupted = store::settle_interrupted(&app.db, now - lock, now).await?;
    if interrupted > 0 {
        tracing::warn!(interrupted, "campaign sends interrupted mid-call are marked unknown");
    }
    let expired = app
        .db
        .transaction(|tx| Box::pin(async move { store::expire_campaigns(&mut *tx, now).await }))
        .await?;
    for id in expired {
        tracing::info!(campaign_id = id, "campaign expired; what was left is marked expired");
    }
    for campaign in store::sending_campaign_ids(&app.db).await? {
        pause_if_unhealthy(app, campaign).await?;
    }
    Ok(())
}

/// Pauses a campaign whose sends fail, or whose recipients opt out, beyond the set shares.
async fn pause_if_unhealthy(app: &AppState, campaign: i64) -> DbResult<()> {
    let settings = &app.settings.campaigns;
    let (settled, failed, opted_out) = store::health(&app.db, campaign).await?;
    if settled < PAUSE_MIN_SAMPLE {
        return Ok(());
    }
    let reason = if failed * 100 >= settled * i64::from(settings.pause_failure_percent) {
        format!(
            "Paused by itself: {failed} of {settled} sends failed (the limit is {} %).",
            settings.pause_failure_percent
        )
    } else if opted_out * 100 >= settled * i64::from(settings.pause_opt_out_percent) {
        format!(
            "Paused by itself: {opted_out} of {settled} recipients opted out after the message (the limit is {} %).",
            settings.pause_opt_out_percent
        )
    } else {
        return Ok(());
    };
    let now = Utc::now();
    if store::change_status(
        &app.db,
        campaign,
        &[CampaignStatus::Sending],
        CampaignStatus::Paused,
        Some(&reason),
        now,
    )
    .await?
    {
        tracing::warn!(campaign_id = campaign, %reason, "campaign paused itself");
    }
    Ok(())
}
