//! The ROI figures: the storage's per-day counts, turned into money with the configured
//! prices. Counts are added up day by day, so the totals and the daily series come from the
//! same numbers.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::Tz;

use super::campaigns::day_start;
use super::config::AnalyticsSettings;
use super::db::analytics::{self as store, DayNumbering};
use super::db::{Db, DbError};
use super::state::AppState;
use crate::model::{
    BookingFigures, CampaignFigures, ConversationFigures, CostFigures, DayRange, RoiDay, RoiFigures, RoiParts,
    RoiReport, TimeSaved,
};

const DAY_MS: i64 = 86_400_000;

/// [`roi`] with the app's settings, as of now: what the page and the route answer, through
/// the app's [`RoiCache`].
pub async fn roi_now(app: &AppState, range: DayRange) -> Result<RoiReport, DbError> {
    let cache = &app.roi_cache;
    match cache.lookup(range) {
        Lookup::Fresh(report) => return Ok(report),
        Lookup::Stale(report) => {
            let app = app.clone();
            tokio::spawn(async move {
                if let Err(error) = compute_and_keep(&app, range).await {
                    crate::server::error::internal(&error);
                }
                app.roi_cache.refreshed(range);
            });
            return Ok(report);
        }
        Lookup::Missing => {}
    }
    compute_and_keep(app, range).await
}

async fn compute_and_keep(app: &AppState, range: DayRange) -> Result<RoiReport, DbError> {
    let generation = app.roi_cache.generation();
    let business = &app.settings.business;
    let report = roi(
        &app.db,
        business.timezone,
        &business.currency,
        &app.settings.analytics,
        range,
        Utc::now(),
    )
    .await?;
    app.roi_cache.keep(range, generation, report.clone());
    Ok(report)
}

/// How long a computed report is served as it is.
const FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(60);
/// How long an older report is still served, while a fresh one is computed in the background.
const SERVED_FOR: std::time::Duration = std::time::Duration::from_secs(15 * 60);
/// Ranges kept at once (the presets and a few custom ranges).
const KEPT_RANGES: usize = 16;

/// Reports computed recently, by range. Working the figures out reads every message, booking
/// and campaign send of the range (seconds over a million messages), so a report is served
/// for [`FRESH_FOR`] and then, while a new one is computed in the background, for up to
/// [`SERVED_FOR`]: the page answers at once and is at most a minute or two behind. Staff
/// edits that change past figures (marks, cancellations, erasure) call [`RoiCache::forget`],
/// so the next view computes anew. Each instance keeps its own.
#[derive(Debug, Default)]
pub struct RoiCache {
    kept: std::sync::Mutex<BTreeMap<(NaiveDate, NaiveDate), Kept>>,
    generation: std::sync::atomic::AtomicU64,
}

#[derive(Debug)]
struct Kept {
    report: RoiReport,
    at: std::time::Instant,
    generation: u64,
    refreshing: bool,
}

enum Lookup {
    Fresh(RoiReport),
    /// Served, and the caller refreshes it.
    Stale(RoiReport),
    Missing,
}

impl RoiCache {
    /// Forgets every kept report: a change to past figures was just made.
    pub fn forget(&self) {
        self.generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn lookup(&self, range: DayRange) -> Lookup {
        let generation = self.generation();
        let mut kept = self.kept.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let Some(entry) = kept.get_mut(&(range.from, range.to)) else {
            return Lookup::Missing;
        };
        let age = entry.at.elapsed();
        if entry.generation != generation || age >= SERVED_FOR {
            return Lookup::Missing;
        }
        if age < FRESH_FOR || entry.refreshing {
            return Lookup::Fresh(entry.report.clone());
        }
        entry.refreshing = true;
        Lookup::Stale(entry.report.clone())
    }

    fn keep(&self, range: DayRange, generation: u64, report: RoiReport) {
        let mut kept = self.kept.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if kept.len() >= KEPT_RANGES && !kept.contains_key(&(range.from, range.to)) {
            let oldest = kept.iter().min_by_key(|(_, entry)| entry.at).map(|(key, _)| *key);
            if let Some(oldest) = oldest {
                kept.remove(&oldest);
            }
        }
        kept.insert(
            (range.from, range.to),
            Kept {
                report,
                at: std::time::Instant::now(),
                generation,
                refreshing: false,
            },
        );
    }

    /// A background refresh ended (kept or failed): the next stale lookup may start another.
    fn refreshed(&self, range: DayRange) {
        let mut kept = self.kept.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(entry) = kept.get_mut(&(range.from, range.to)) {
            entry.refreshing = false;
        }
    }
}

/// The ROI report of `range` (business-local days in `tz`), as of `now` (appointments still
/// unmarked count as attended some time after they end).
#[tracing::instrument(skip_all, err)]
pub async fn roi(
    db: &Db,
    tz: Tz,
    currency: &str,
    settings: &AnalyticsSettings,
    range: DayRange,
    now: DateTime<Utc>,
) -> Result<RoiReport, DbError> {
    let days = LocalDays::new(tz, range);
    let attended_by = (now - settings.attended_after).timestamp_millis();
    let recovery = settings.recovery.num_milliseconds();
    // The five statements read different tables (or parts of one): each on its own
    // connection, at once.
    let (conversations, delays, tokens, bookings, campaigns) = tokio::try_join!(
        store::conversations(db, &days),
        store::reply_delays(db, &days),
        store::tokens(db, &days),
        store::bookings(db, &days, attended_by, recovery),
        store::campaigns(db, &days, attended_by),
    )?;
    let mut tallies: BTreeMap<i64, Tally> = BTreeMap::new();
    fn on(tallies: &mut BTreeMap<i64, Tally>, day: i64) -> &mut Tally {
        tallies.entry(day).or_default()
    }
    for row in conversations {
        let tally = on(&mut tallies, row.day);
        tally.conversations += row.total;
        tally.bot_only += row.bot_only;
        tally.handed_over += row.handed_over;
    }
    for row in delays {
        *on(&mut tallies, row.day).reply_seconds.entry(row.seconds).or_default() += row.messages;
    }
    for row in tokens {
        let tally = on(&mut tallies, row.day);
        let prices = settings.token_prices(row.ai_model.as_deref());
        tally.ai_cost += i128::from(row.prompt_tokens) * i128::from(prices.input)
            + i128::from(row.output_tokens) * i128::from(prices.output)
            + i128::from(row.thinking_tokens) * i128::from(prices.thinking);
        tally.costs.prompt_tokens += row.prompt_tokens;
        tally.costs.output_tokens += row.output_tokens;
        tally.costs.thinking_tokens += row.thinking_tokens;
    }
    for row in bookings {
        let figures = BookingFigures {
            count: row.count,
            booked_cents: row.booked_cents,
            attended: row.attended,
            attended_cents: row.attended_cents,
        };
        let tally = on(&mut tallies, row.day);
        match row.source.as_str() {
            "bot" if row.recovered == 1 => {
                add_bookings(&mut tally.bot_bookings, &figures);
                add_bookings(&mut tally.recovered, &figures);
            }
            "bot" => add_bookings(&mut tally.bot_bookings, &figures),
            _ => add_bookings(&mut tally.campaigns.attributed, &figures),
        }
    }
    for row in campaigns {
        let tally = on(&mut tallies, row.day);
        let funnel = &mut tally.campaigns;
        funnel.sent += row.sent;
        funnel.delivered += row.delivered;
        funnel.read += row.read;
        funnel.replied += row.replied;
        funnel.booked += row.booked;
        funnel.attended += row.attended;
        funnel.holdout.messaged += row.holdout_messaged;
        funnel.holdout.messaged_booked += row.holdout_messaged_booked;
        funnel.holdout.held_out += row.held_out;
        funnel.holdout.held_out_booked += row.held_out_booked;
        tally.costs.marketing_templates += row.marketing_templates;
        tally.costs.utility_templates += row.utility_templates;
    }

    let mut total = Tally::default();
    let mut series = Vec::new();
    for day in range.days() {
        let tally = tallies.remove(&epoch_day(day)).unwrap_or_default();
        total.add(&tally);
        series.push(RoiDay {
            day,
            figures: tally.figures(settings),
        });
    }
    Ok(RoiReport {
        from: range.from,
        to: range.to,
        currency: currency.to_string(),
        parts: RoiParts::ALL,
        totals: total.figures(settings),
        days: series,
    })
}

fn epoch_day(day: NaiveDate) -> i64 {
    (day - NaiveDate::default()).num_days()
}

fn add_bookings(into: &mut BookingFigures, more: &BookingFigures) {
    into.count += more.count;
    into.booked_cents += more.booked_cents;
    into.attended += more.attended;
    into.attended_cents += more.attended_cents;
}

/// What one day (or the whole range) counted, before money and rates are worked out.
#[derive(Default)]
struct Tally {
    conversations: i64,
    bot_only: i64,
    handed_over: i64,
    /// Whole seconds → customer messages first answered after that long.
    reply_seconds: BTreeMap<i64, i64>,
    bot_bookings: BookingFigures,
    recovered: BookingFigures,
    campaigns: CampaignFigures,
    costs: CostFigures,
    /// Tokens × their model's price per million: millionths of the currency, times a million.
    ai_cost: i128,
}

impl Tally {
    fn add(&mut self, day: &Tally) {
        self.conversations += day.conversations;
        self.bot_only += day.bot_only;
        self.handed_over += day.handed_over;
        for (seconds, messages) in &day.reply_seconds {
            *self.reply_seconds.entry(*seconds).or_default() += messages;
        }
        add_bookings(&mut self.bot_bookings, &day.bot_bookings);
        add_bookings(&mut self.recovered, &day.recovered);
        let (funnel, more) = (&mut self.campaigns, &day.campaigns);
        funnel.sent += more.sent;
        funnel.delivered += more.delivered;
        funnel.read += more.read;
        funnel.replied += more.replied;
        funnel.booked += more.booked;
        funnel.attended += more.attended;
        add_bookings(&mut funnel.attributed, &more.attributed);
        funnel.holdout.messaged += more.holdout.messaged;
        funnel.holdout.messaged_booked += more.holdout.messaged_booked;
        funnel.holdout.held_out += more.holdout.held_out;
        funnel.holdout.held_out_booked += more.holdout.held_out_booked;
        self.ai_cost += day.ai_cost;
        self.costs.prompt_tokens += day.costs.prompt_tokens;
        self.costs.output_tokens += day.costs.output_tokens;
        self.costs.thinking_tokens += day.costs.thinking_tokens;
        self.costs.marketing_templates += day.costs.marketing_templates;
        self.costs.utility_templates += day.costs.utility_templates;
    }

    fn figures(&self, prices: &AnalyticsSettings) -> RoiFigures {
        let mut costs = self.costs.clone();
        // Prices are in millionths of the currency, per million tokens.
        costs.ai_cents = to_cents(self.ai_cost / 1_000_000);
        costs.whatsapp_cents = to_cents(
            i128::from(costs.marketing_templates) * i128::from(prices.marketing_template_fee)
                + i128::from(costs.utility_templates) * i128::from(prices.utility_template_fee),
        );
        costs.total_cents = costs.ai_cents + costs.whatsapp_cents;
        let minutes = self.bot_only * prices.minutes_saved_per_conversation;
        let time_saved = TimeSaved {
            minutes,
            value_cents: to_cents(i128::from(minutes) * i128::from(prices.staff_cost_per_hour) / 60),
        };
        let mut campaigns = self.campaigns.clone();
        let holdout = &mut campaigns.holdout;
        holdout.messaged_rate = rate(holdout.messaged_booked, holdout.messaged);
        holdout.held_out_rate = rate(holdout.held_out_booked, holdout.held_out);
        holdout.lift = holdout
            .messaged_rate
            .zip(holdout.held_out_rate)
            .map(|(messaged, held_out)| messaged - held_out);
        let revenue_cents = self.bot_bookings.attended_cents + campaigns.attributed.attended_cents;
        let roi =
            (costs.total_cents > 0).then(|| (revenue_cents - costs.total_cents) as f64 / costs.total_cents as f64);
        RoiFigures {
            conversations: ConversationFigures {
                total: self.conversations,
                bot_only: self.bot_only,
                handed_over: self.handed_over,
                first_reply_p50_seconds: nearest_rank(&self.reply_seconds, 50),
                first_reply_p90_seconds: nearest_rank(&self.reply_seconds, 90),
            },
            bot_bookings: self.bot_bookings.clone(),
            recovered_bookings: self.recovered.clone(),
            campaigns,
            costs,
            time_saved,
            revenue_cents,
            roi,
        }
    }
}

/// Millionths of the currency to cents, halves rounded up.
fn to_cents(millionths: i128) -> i64 {
    i64::try_from((millionths + 5_000) / 10_000).unwrap_or(i64::MAX)
}

fn rate(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The smallest value with at least `percent`% of the counted values at or below it.
fn nearest_rank(counts: &BTreeMap<i64, i64>, percent: i64) -> Option<i64> {
    let total: i64 = counts.values().sum();
    let rank = (total * percent + 99) / 100;
    let mut seen = 0;
    counts.iter().find_map(|(value, count)| {
        seen += count;
        (total > 0 && seen >= rank.max(1)).then_some(*value)
    })
}

/// The local days of a range in the business time zone: the instants they span, and the
/// stretches of constant UTC offset in between (a daylight-saving change starts a new one),
/// so SQL can number an instant's local day with plain arithmetic.
struct LocalDays {
    start_ms: i64,
    end_ms: i64,
    /// `(from_ms, offset_ms)`: from this instant on, local time is UTC + offset.
    stretches: Vec<(i64, i64)>,
}

impl LocalDays {
    fn new(tz: Tz, range: DayRange) -> LocalDays {
        let start_ms = day_start(tz, range.from).timestamp_millis();
        let end_ms = day_start(tz, range.to + chrono::Days::new(1)).timestamp_millis();
        let offset = |ms: i64| {
            let at = DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default();
            i64::from(tz.offset_from_utc_datetime(&at.naive_utc()).fix().local_minus_utc()) * 1000
        };
        let mut stretches = vec![(start_ms, offset(start_ms))];
        // Offsets change at most a few times a year, and never twice within an hour.
        const HOUR: i64 = 3_600_000;
        let mut at = start_ms;
        while at < end_ms {
            let next = (at + HOUR).min(end_ms);
            let current = stretches.last().map_or(0, |s| s.1);
            if offset(next) != current {
                let (mut before, mut after) = (at, next);
                while after - before > 1 {
                    let middle = before + (after - before) / 2;
                    if offset(middle) == current {
                        before = middle;
                    } else {
                        after = middle;
                    }
                }
                stretches.push((after, offset(after)));
            }
            at = next;
        }
        LocalDays {
            start_ms,
            end_ms,
            stretches,
        }
    }
}

impl DayNumbering for LocalDays {
    fn start_ms(&self) -> i64 {
        self.start_ms
    }

    fn end_ms(&self) -> i64 {
        self.end_ms
    }

    fn day_of(&self, column: &str) -> String {
        // The instants are computed here, not supplied by a caller: safe to write into SQL.
        let day = |offset: i64| format!("({column} + {offset}) / {DAY_MS}");
        let (last, earlier) = self.stretches.split_last().expect("a range has a first stretch");
        if earlier.is_empty() {
            return day(last.1);
        }
        let mut sql = String::from("CASE");
        for (i, (_, offset)) in earlier.iter().enumerate() {
            let until = self.stretches[i + 1].0;
            sql.push_str(&format!(" WHEN {column} < {until} THEN {}", day(*offset)));
        }
        sql.push_str(&format!(" ELSE {} END", day(last.1)));
        sql
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_days_follow_daylight_saving_changes() {
        let tz: Tz = "Europe/Madrid".parse().unwrap();
        let range = DayRange::parse("2026-03-28", "2026-03-30").unwrap();
        let days = LocalDays::new(tz, range);
        assert_eq!(days.stretches.len(), 2);
        // 2026-03-29 01:00 UTC: clocks go from 02:00 CET to 03:00 CEST.
        let change = Utc.with_ymd_and_hms(2026, 3, 29, 1, 0, 0).unwrap().timestamp_millis();
        assert_eq!(days.stretches[1], (change, 7_200_000));
        assert_eq!(days.end_ms - days.start_ms, 3 * DAY_MS - 3_600_000);
        let sql = days.day_of("t");
        assert!(sql.starts_with("CASE WHEN t < "), "{sql}");
    }

    #[test]
    fn nearest_rank_percentiles() {
        let counts = BTreeMap::from([(1, 5), (2, 4), (10, 1)]);
        assert_eq!(nearest_rank(&counts, 50), Some(1));
        assert_eq!(nearest_rank(&counts, 90), Some(2));
        assert_eq!(nearest_rank(&counts, 100), Some(10));
        assert_eq!(nearest_rank(&BTreeMap::new(), 50), None);
    }
}
