//! The analytics page: what the bot and the campaigns earned against what they cost, for a
//! range of business-local days, as headline cards, charts, a table view of each and a CSV
//! of the daily series. Each role sees its part (`RoiParts`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::chart::{Bar, BarChart, ColumnChart};
use crate::components::error::ErrorMessage;
use crate::components::frame::AppFrame;
use crate::model::{format_money, AppError, RoiDay, RoiFigures, RoiReport};

/// The presets offered, in days ending today.
const PRESETS: [u32; 3] = [7, 30, 90];
const DEFAULT_DAYS: u32 = 30;

/// The ROI figures for the business-local days `from`..=`to` (`YYYY-MM-DD`), or for the
/// `days` days ending today when no range is given (30 by default), as the caller's role
/// may see them; the same report as `GET /api/analytics/roi`.
#[server(endpoint = "analytics/roi")]
pub async fn load_roi(from: Option<String>, to: Option<String>, days: Option<u32>) -> Result<RoiReport, AppError> {
    crate::server::error::respond(async move {
        use crate::model::DayRange;
        use crate::server::{analytics, booking, session};
        let user = session::require_user().await?;
        let state = session::app_state()?;
        let range = match (from.filter(|f| !f.is_empty()), to.filter(|t| !t.is_empty())) {
            (Some(from), Some(to)) => DayRange::parse(&from, &to).map_err(AppError::Invalid)?,
            (None, None) => {
                let days = days.unwrap_or(DEFAULT_DAYS);
                if !(1..=731).contains(&days) {
                    return Err(AppError::Invalid("Ask for 1 to 731 days.".into()));
                }
                let today = booking::local_parts(state.settings.business.timezone, chrono::Utc::now()).0;
                DayRange {
                    from: today - chrono::Duration::days(i64::from(days) - 1),
                    to: today,
                }
            }
            _ => return Err(AppError::Invalid("Give both the first and the last day.".into())),
        };
        Ok(analytics::roi_now(&state, range).await?.seen_by(user.role))
    })
    .await
}

#[component]
pub fn AnalyticsPage() -> impl IntoView {
    let query = use_query_map();
    let asked = move || {
        query.with(|q| {
            (
                q.get("from"),
                q.get("to"),
                q.get("days").and_then(|d| d.parse::<u32>().ok()),
            )
        })
    };
    let report = Resource::new(asked, |(from, to, days)| load_roi(from, to, days));
    view! {
        <Title text="Analytics · Frontdesk"/>
        <AppFrame>
            <section class="page analytics">
                <h1>"Analytics"</h1>
                <p class="muted">"What the bot and the campaigns earned, measured on attended appointments, against what they cost."</p>
                {move || {
                    let (from, to, days) = asked();
                    let current = if from.is_some() { None } else { Some(days.unwrap_or(DEFAULT_DAYS)) };
                    view! { <RangePicker current from to/> }
                }}
                <Transition fallback=|| view! { <p class="muted">"Loading the figures…"</p> }>
                    {move || Suspend::new(async move {
                        match report.await {
                            Ok(report) => view! { <Report report/> }.into_any(),
                            Err(e) => view! { <ErrorMessage message=e.to_string()/> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        </AppFrame>
    }
}

/// The presets as links and a custom range as a form: both plain GETs of this page, so they
/// work before hydration and give a link to share.
#[component]
fn RangePicker(current: Option<u32>, from: Option<String>, to: Option<String>) -> impl IntoView {
    let presets = PRESETS
        .into_iter()
        .map(|days| {
            view! {
                <a href=format!("/analytics?days={days}") aria-current=(current == Some(days)).then_some("page")>
                    {format!("Last {days} days")}
                </a>
            }
        })
        .collect_view();
    view! {
        <nav class="daynav" aria-label="Range">
            {presets}
            <form method="get" action="/analytics" class="inline">
                <label>"From " <input type="date" name="from" required value=from.unwrap_or_default()/></label>
                <label>"to " <input type="date" name="to" required value=to.unwrap_or_default()/></label>
                <button type="submit">"Show"</button>
            </form>
        </nav>
    }
}

#[component]
fn Report(report: RoiReport) -> impl IntoView {
    let RoiReport {
        from,
        to,
        currency,
        parts,
        totals,
        days,
    } = report;
    let money = {
        let currency = currency.clone();
        move |cents: i64| format_money(cents, &currency)
    };
    let count = |n: i64| n.to_string();
    let bookings = totals.bot_bookings.count + totals.campaigns.attributed.count;
    let mut cards = Vec::new();
    if parts.money {
        cards.push((
            "Attended revenue from the bot",
            money(totals.revenue_cents),
            "Bookings by the bot and the campaigns that were attended.".to_string(),
        ));
        cards.push((
            "ROI",
            totals.roi.map_or("—".into(), |roi| format!("{:.0} %", roi * 100.0)),
            format!("(revenue − costs) ÷ costs; costs {}.", money(totals.costs.total_cents)),
        ));
    }
    if parts.bookings || parts.campaigns {
        cards.push((
            "Bookings",
            bookings.to_string(),
            format!(
                "{} by the bot, {} from campaigns, {} recovered after a follow-up.",
                totals.bot_bookings.count, totals.campaigns.attributed.count, totals.recovered_bookings.count
            ),
        ));
    }
    if parts.conversations {
        let minutes = totals.time_saved.minutes;
        cards.push((
            "Staff time saved",
            format!("{} h {} min", minutes / 60, minutes % 60),
            if parts.money {
                format!("Worth {} of staff time.", money(totals.time_saved.value_cents))
            } else {
                format!(
                    "{} conversations handled by the bot alone.",
                    totals.conversations.bot_only
                )
            },
        ));
    }
    let cards = cards
        .into_iter()
        .map(|(label, value, note)| {
            view! {
                <div class="stat" role="group" aria-label=label>
                    <div class="muted small">{label}</div>
                    <div class="stat-value">{value}</div>
                    <div class="muted small">{note}</div>
                </div>
            }
            .into_any()
        })
        .collect_view();
    let booking_chart = (parts.bookings || parts.campaigns).then(|| {
        let bars = daily(&days, |f| f.bot_bookings.count + f.campaigns.attributed.count, &count);
        view! { <ColumnChart id="bookings-chart" title="Bookings per day" total=format!("{bookings} bookings") bars/> }
            .into_any()
    });
    let revenue_chart = parts.money.then(|| {
        let bars = daily(&days, |f| f.revenue_cents, &money);
        view! { <ColumnChart id="revenue-chart" title="Attended revenue per day" total=money(totals.revenue_cents) bars/> }.into_any()
    });
    let conversation_chart = parts.conversations.then(|| {
        let bars = daily(&days, |f| f.conversations.total, &count);
        let total = format!(
            "{} conversations, {} handled by the bot alone",
            totals.conversations.total, totals.conversations.bot_only
        );
        view! { <ColumnChart id="conversations-chart" title="Conversations per day" total bars/> }.into_any()
    });
    let funnel = parts.campaigns.then(|| {
        let c = &totals.campaigns;
        let bars = [
            ("Sent", c.sent),
            ("Delivered", c.delivered),
            ("Read", c.read),
            ("Replied", c.replied),
            ("Booked", c.booked),
            ("Attended", c.attended),
        ]
        .into_iter()
        .map(|(label, value)| Bar {
            label: label.into(),
            value,
            shown: value.to_string(),
        })
        .collect();
        let h = &c.holdout;
        let rate = |r: Option<f64>| r.map_or("—".to_string(), |r| format!("{:.1} %", r * 100.0));
        let note = if h.held_out > 0 {
            format!(
                "Revenue attributed: {}. Held out: {} of {} booked ({}), against {} of {} messaged ({}): a lift of {}.",
                money(c.attributed.attended_cents),
                h.held_out_booked,
                h.held_out,
                rate(h.held_out_rate),
                h.messaged_booked,
                h.messaged,
                rate(h.messaged_rate),
                h.lift.map_or("—".to_string(), |l| format!("{:+.1} points", l * 100.0)),
            )
        } else {
            format!(
                "Revenue attributed: {}. No campaign in this range had a holdout group.",
                money(c.attributed.attended_cents)
            )
        };
        view! { <BarChart id="funnel-chart" title="Campaign funnel" note bars/> }.into_any()
    });
    let costs = parts.money.then(|| {
        let c = &totals.costs;
        let bars = [
            ("AI tokens", c.ai_cents),
            ("WhatsApp templates", c.whatsapp_cents),
            ("All costs", c.total_cents),
            ("Attended revenue", totals.revenue_cents),
        ]
        .into_iter()
        .map(|(label, value)| Bar {
            label: label.into(),
            value,
            shown: money(value),
        })
        .collect();
        let note = format!(
            "{} input, {} output and {} thinking tokens; {} marketing and {} utility templates delivered.",
            c.prompt_tokens, c.output_tokens, c.thinking_tokens, c.marketing_templates, c.utility_templates
        );
        view! { <BarChart id="costs-chart" title="Costs against revenue" note bars/> }.into_any()
    });
    view! {
        <p class="muted small">
            {format!("{} to {}, business-local days, amounts in {currency}. ", from.format("%-d %b %Y"), to.format("%-d %b %Y"))}
            <a href=format!("/api/analytics/roi.csv?from={from}&to={to}") download>"Download the daily figures (CSV)"</a>
        </p>
        <p class="muted small">"Worked out at most a minute or two ago; a mark, a cancellation or an erasure shows at once."</p>
        {(!parts.money).then(|| view! { <p class="notice">"Your role sees part of these figures; an admin sees revenue, costs and ROI."</p> })}
        <div class="stats">{cards}</div>
        <div class="charts">
            {booking_chart}
            {revenue_chart}
            {conversation_chart}
            {funnel}
            {costs}
        </div>
        <HowComputed/>
    }
    .into_any()
}

/// One bar per day of a figure.
fn daily(days: &[RoiDay], value: fn(&RoiFigures) -> i64, shown: &dyn Fn(i64) -> String) -> Vec<Bar> {
    days.iter()
        .map(|day| {
            let v = value(&day.figures);
            Bar {
                label: day.day.format("%-d %b").to_string(),
                value: v,
                shown: shown(v),
            }
        })
        .collect()
}

/// What each figure means: the definitions behind the numbers, in words.
#[component]
fn HowComputed() -> impl IntoView {
    view! {
        <details class="card how">
            <summary>"How these figures are computed"</summary>
            <dl>
                <dt>"Days"</dt>
                <dd>"Days in the business's time zone; each booking counts on the day it was made, each campaign message on the day it was sent."</dd>
                <dt>"Attended"</dt>
                <dd>"An appointment marked attended, or still booked ANALYTICS_ATTENDED_AFTER_HOURS after it ended. No-shows and cancellations count for nothing."</dd>
                <dt>"Bookings by the bot"</dt>
                <dd>"Appointments the receptionist booked itself. Recovered: booked within ANALYTICS_RECOVERY_DAYS after the bot followed up a booking the customer had left unfinished."</dd>
                <dt>"Campaign bookings"</dt>
                <dd>"A booking within the campaign's attribution window after a delivered campaign message (the last one counts), never one made before the send. With a holdout, the lift is the messaged booking rate minus the held-out one."</dd>
                <dt>"Costs"</dt>
                <dd>"AI tokens × the prices per million input, output and thinking tokens (ANALYTICS_PRICE_*_PER_MILLION_TOKENS), plus each delivered template × WhatsApp's fee for its category (ANALYTICS_WHATSAPP_*_FEE)."</dd>
                <dt>"Staff time saved"</dt>
                <dd>"Conversations the bot handled alone × ANALYTICS_MINUTES_SAVED_PER_CONVERSATION, valued at ANALYTICS_STAFF_COST_PER_HOUR. Shown beside ROI, not counted in it."</dd>
                <dt>"ROI"</dt>
                <dd>"(Attended revenue from the bot's and the campaigns' bookings − costs) ÷ costs."</dd>
            </dl>
        </details>
    }
    .into_any()
}
