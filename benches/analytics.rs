//! ROI benchmark on SQLite (a temporary database file), on this machine.
//!
//! Seeds 120 days of a busy salon straight into the database with `INSERT … SELECT`:
//! 1,000,000 messages (customer messages and the bot's answers, with tokens, a share of
//! staff replies, requests for a person and abandoned-booking follow-ups) in 50,000
//! conversations, 100,000 appointments (bot, campaign and staff bookings; attended,
//! no-shows, cancelled, still booked) and 200,000 campaign recipients over four template
//! campaigns, one with a holdout. Then the analytics page's server function
//! (`POST /api/analytics/roi`, `days=90`) is called over HTTP with an admin's session, one
//! call at a time, and each answer's time is taken from the client:
//! 1. cold: the app's kept reports are forgotten before each call (as after a staff edit),
//!    so each call works the figures out from the tables;
//! 2. warm: calls in a row, as people open and reload the page; the app serves the report it
//!    worked out (refreshing it in the background once it is a minute old).
//!
//! Reported: p50, p90, p99 and the slowest call of each, with the figures' totals (so a
//! wrong seed shows).
//!
//! The app is the real one (`TestApp`) on its own tokio runtime; the client runs on another.
//!
//! Run: `cargo bench --no-default-features --features ssr --bench analytics`
//!
//! Knobs (environment, all optional):
//!   BENCH_MESSAGES=1000000      messages seeded
//!   BENCH_APPOINTMENTS=100000   appointments seeded
//!   BENCH_RECIPIENTS=200000     campaign recipients seeded (four campaigns)
//!   BENCH_CALLS=100             timed warm calls of the server function
//!   BENCH_COLD_CALLS=10         timed cold calls
//!   BENCH_DAYS=90               the range asked for, in days ending today
//!   BENCH_KEEP_DB=1             keep the temp database file and print its path

use std::time::{Duration, Instant};

use chrono::Utc;
use frontdesk::model::RoiReport;
use frontdesk::server::db::Db;
use frontdesk::testing::load::runtime;
use frontdesk::testing::{env_or, ms, percentile, test_settings, TestApp, TestDb, ADMIN_EMAIL, ADMIN_PASSWORD};

const DAY_MS: i64 = 86_400_000;
const SEEDED_DAYS: i64 = 120;
const CONTACTS: i64 = 50_000;

fn main() {
    let messages: i64 = env_or("BENCH_MESSAGES", 1_000_000);
    let appointments: i64 = env_or("BENCH_APPOINTMENTS", 100_000);
    let recipients: i64 = env_or("BENCH_RECIPIENTS", 200_000);
    let calls: usize = env_or("BENCH_CALLS", 100);
    let cold_calls: usize = env_or("BENCH_COLD_CALLS", 10);
    let days: u32 = env_or("BENCH_DAYS", 90);

    let app_runtime = runtime("app", 2);
    let client_runtime = runtime("client", 1);
    let db = app_runtime.block_on(TestDb::sqlite());
    let app = app_runtime.block_on(TestApp::start(test_settings(
        &db.url,
        &[("FRONTDESK_DEMO_DATA", "false"), ("AI_PROVIDER", "offline")],
    )));

    let seeding = Instant::now();
    app_runtime.block_on(seed(&app.state.db, messages, appointments, recipients));
    println!(
        "seeded {messages} messages, {appointments} appointments, {recipients} campaign recipients over {SEEDED_DAYS} days in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );

    let cache = app.state.roi_cache.clone();
    let (cold, warm, report) = client_runtime.block_on(async {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let signed_in = client
            .post(app.url("/auth/login"))
            .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)])
            .send()
            .await
            .unwrap();
        let cookie = signed_in.headers()[reqwest::header::SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let days = days.to_string();
        let call = || async {
            let started = Instant::now();
            let answer = client
                .post(app.url("/api/analytics/roi"))
                .header(reqwest::header::COOKIE, &cookie)
                .form(&[("days", days.as_str())])
                .send()
                .await
                .unwrap();
            assert!(answer.status().is_success(), "{}", answer.status());
            let report: RoiReport = answer.json().await.unwrap();
            (started.elapsed(), report)
        };
        let mut cold = Vec::with_capacity(cold_calls);
        for _ in 0..cold_calls {
            cache.forget();
            cold.push(call().await.0);
        }
        let mut warm = Vec::with_capacity(calls);
        let mut last = call().await.1;
        for _ in 0..calls {
            let (time, report) = call().await;
            warm.push(time);
            last = report;
        }
        (cold, warm, last)
    });

    let t = &report.totals;
    println!(
        "range {} to {} ({} days): {} conversations ({} by the bot alone), {} bot bookings, {} recovered, \
         {} campaign messages sent, {} held out, revenue {} cents, costs {} cents",
        report.from,
        report.to,
        report.days.len(),
        t.conversations.total,
        t.conversations.bot_only,
        t.bot_bookings.count,
        t.recovered_bookings.count,
        t.campaigns.sent,
        t.campaigns.holdout.held_out,
        t.revenue_cents,
        t.costs.total_cents,
    );
    for (name, mut times) in [("cold", cold), ("warm", warm)] {
        times.sort();
        println!(
            "ROI server function over HTTP, {name}, {} calls: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            times.len(),
            ms(percentile(&times, 0.50)),
            ms(percentile(&times, 0.90)),
            ms(percentile(&times, 0.99)),
            ms(*times.last().unwrap_or(&Duration::ZERO)),
        );
    }

    app_runtime.block_on(app.stop());
    if std::env::var("BENCH_KEEP_DB").is_ok() {
        println!("database kept: {}", db.url);
    } else {
        app_runtime.block_on(db.cleanup());
    }
}

/// Runs one seeding statement; `$1` in it is now (ms), `$2` how many rows.
async fn exec(db: &Db, sql: &str, now: i64, n: i64) {
    let mut query = sqlx::query(sql);
    // Parameters are numbered: `$2` needs `$1` bound before it, used or not.
    if sql.contains("$1") || sql.contains("$2") {
        query = query.bind(now);
    }
    if sql.contains("$2") {
        query = query.bind(n);
    }
    query.execute(db.pool()).await.unwrap_or_else(|e| panic!("{e}: {sql}"));
}

/// Everything the figures read, spread evenly over the last [`SEEDED_DAYS`] days.
async fn seed(db: &Db, messages: i64, appointments: i64, recipients: i64) {
    let now = Utc::now().timestamp_millis();
    let start = now - SEEDED_DAYS * DAY_MS;
    let numbers = "WITH RECURSIVE n(c) AS (SELECT 1 UNION ALL SELECT c + 1 FROM n WHERE c < $2)";
    exec(
        db,
        &format!(
            "{numbers} INSERT INTO contacts (id, wa_id, name, name_source, first_seen_at, last_seen_at, notes) \
             SELECT c, '4930' || printf('%08d', c), 'Customer ' || c, 'customer', {start}, $1, '' FROM n"
        ),
        now,
        CONTACTS,
    )
    .await;
    exec(
        db,
        &format!(
            "{numbers} INSERT INTO conversations (id, contact_id, mode, flow_state, last_activity_at, unread_count, \
             needs_attention, created_at) SELECT c, c, 'bot', 'idle', $1, 0, 0, {start} FROM n"
        ),
        now,
        CONTACTS,
    )
    .await;
    // Messages in pairs: a customer's, then its answer 1–5 s later. One answer in 25 is
    // staff's, one in 40 the system's note that the customer asked for a person, one in 200
    // the bot's follow-up of an abandoned booking; the bot's carry tokens.
    let pair_gap = SEEDED_DAYS * DAY_MS / (messages / 2).max(1);
    exec(
        db,
        &format!(
            "{numbers} INSERT INTO messages (id, conversation_id, direction, author, body, status, intent, \
             prompt_tokens, output_tokens, thinking_tokens, reply_to_message_id, created_at) \
             SELECT c, ((c + 1) / 2) % {CONTACTS} + 1, \
               CASE WHEN c % 2 = 1 THEN 'inbound' ELSE 'outbound' END, \
               CASE WHEN c % 2 = 1 THEN 'customer' WHEN c % 50 = 0 THEN 'staff' WHEN c % 80 = 2 THEN 'system' \
                 ELSE 'bot' END, \
               'Bench message', CASE WHEN c % 2 = 1 THEN 'received' ELSE 'read' END, \
               CASE WHEN c % 80 = 2 THEN 'HUMAN_REQUESTED' WHEN c % 400 = 4 THEN 'BOOKING_ABANDONED' END, \
               CASE WHEN c % 2 = 0 AND c % 50 <> 0 THEN 900 ELSE 0 END, \
               CASE WHEN c % 2 = 0 AND c % 50 <> 0 THEN 60 ELSE 0 END, \
               CASE WHEN c % 2 = 0 AND c % 50 <> 0 AND c % 6 = 0 THEN 200 ELSE 0 END, \
               CASE WHEN c % 2 = 0 THEN c - 1 END, \
               {start} + ((c + 1) / 2) * {pair_gap} + CASE WHEN c % 2 = 0 THEN 1000 + (c % 5) * 1000 ELSE 0 END \
             FROM n"
        ),
        now,
        messages,
    )
    .await;
    exec(
        db,
        "INSERT INTO services (id, name, duration_minutes, price_cents) VALUES (1, 'Bench cut', 30, 2500)",
        now,
        0,
    )
    .await;
    exec(db, "INSERT INTO staff (id, name) VALUES (1, 'Bench stylist')", now, 0).await;
    exec(
        db,
        &format!(
            "INSERT INTO message_templates (id, name, language, category, status, body, synced_at) \
             VALUES (1, 'bench_offer', 'en', 'MARKETING', 'APPROVED', 'Hi {{{{1}}}}', {start})"
        ),
        now,
        0,
    )
    .await;
    exec(
        db,
        &format!(
            "{numbers} INSERT INTO campaigns (id, name, message_text, template_id, name_fallback, audience, \
             recency_days, excluded_outcomes, min_delay_seconds, max_delay_seconds, sending_from_minute, \
             sending_until_minute, holdout_percent, attribution_days, status, disclaimer_accepted_by, \
             disclaimer_accepted_at, created_at, starts_at, expires_at, next_send_at, completed_at) \
             SELECT c, 'Bench campaign ' || c, 'Hi', 1, 'there', '{{}}', 0, '', 0, 0, 0, 1440, \
               CASE WHEN c = 1 THEN 10 ELSE 0 END, 7, 'completed', 1, {start}, {start}, {start}, $1, $1, $1 FROM n"
        ),
        now,
        4,
    )
    .await;
    // Four campaigns × a quarter of the recipients each, sends spread over the days; one in
    // ten of the first campaign's held out.
    let send_gap = SEEDED_DAYS * DAY_MS / recipients.max(1);
    exec(
        db,
        &format!(
            "{numbers} INSERT INTO campaign_recipients (campaign_id, contact_id, rendered_text, status, reason, \
             scheduled_at, sent_at, updated_at) \
             SELECT c % 4 + 1, (c / 4) % {CONTACTS} + 1, 'Hi', \
               CASE WHEN c % 4 = 0 AND c % 40 = 0 THEN 'held_out' WHEN c % 23 = 0 THEN 'failed' \
                 WHEN c % 7 = 0 THEN 'sent' WHEN c % 7 IN (1, 2) THEN 'delivered' WHEN c % 7 IN (3, 4, 5) THEN 'read' \
                 ELSE 'replied' END, \
               CASE WHEN c % 4 <> 0 OR c % 40 <> 0 THEN CASE WHEN c % 23 = 0 THEN 'bench' END END, \
               {start} + c * {send_gap}, \
               CASE WHEN c % 4 = 0 AND c % 40 = 0 THEN NULL ELSE {start} + c * {send_gap} END, $1 \
             FROM n WHERE c / 4 < {CONTACTS}"
        ),
        now,
        recipients,
    )
    .await;
    // Appointments made over the days, for three days later, a minute apart (one staff
    // member, so no two booked ones start together). Sources: 60 % bot, 20 % campaign, 20 %
    // staff; statuses: 70 % attended, 10 % no-show, 10 % cancelled, 10 % still booked.
    let booking_gap = SEEDED_DAYS * DAY_MS / appointments.max(1);
    exec(
        db,
        &format!(
            "{numbers} INSERT INTO appointments (contact_id, service_id, staff_id, starts_at, ends_at, status, source, \
             campaign_id, price_cents, created_at) \
             SELECT c % {CONTACTS} + 1, 1, 1, {start} + 3 * {DAY_MS} + c * 60000, \
               {start} + 3 * {DAY_MS} + c * 60000 + 1800000, \
               CASE WHEN c % 10 < 7 THEN 'completed' WHEN c % 10 = 7 THEN 'no_show' WHEN c % 10 = 8 THEN 'cancelled' \
                 ELSE 'booked' END, \
               CASE WHEN c % 5 < 3 THEN 'bot' WHEN c % 5 = 3 THEN 'campaign' ELSE 'staff' END, \
               CASE WHEN c % 5 = 3 THEN c % 4 + 1 END, 2500, {start} + c * {booking_gap} FROM n"
        ),
        now,
        appointments,
    )
    .await;
    exec(db, "ANALYZE", now, 0).await;
}
