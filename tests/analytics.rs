//! The ROI figures of a known month, on SQLite and on PostgreSQL: January 2026 in Madrid
//! (UTC+1 all month), seeded row by row, every figure checked against arithmetic done here
//! by hand. And the plain route: who may call it, and the ranges it refuses.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use reqwest::StatusCode;

use frontdesk::model::{Author, DayRange, DeliveryStatus, Intent, RoiReport, Role, WaId};
use frontdesk::on_both_databases;
use frontdesk::server::analytics;
use frontdesk::server::config::AnalyticsSettings;
use frontdesk::server::db::conversations::{self, NewMessage};
use frontdesk::server::db::{contacts, Db};
use frontdesk::testing::{test_settings, TestApp, TestDb, ADMIN_EMAIL, ADMIN_PASSWORD};

on_both_databases!(a_known_month_gives_the_figures_worked_out_by_hand);

/// Prices chosen so the costs come out in whole cents.
fn prices() -> AnalyticsSettings {
    AnalyticsSettings {
        attended_after: Duration::hours(24),
        recovery: Duration::days(7),
        input_token_price_per_million: 500_000,      // 0.50
        output_token_price_per_million: 2_000_000,   // 2.00
        thinking_token_price_per_million: 4_000_000, // 4.00
        marketing_template_fee: 50_000,              // 0.05
        utility_template_fee: 10_000,                // 0.01
        staff_cost_per_hour: 18_000_000,             // 18.00
        minutes_saved_per_conversation: 10,
    }
}

/// Madrid time in 2026 (January and early February: UTC+1).
fn local(month: u32, day: u32, hour: u32, minute: u32, second: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, day, hour, minute, second).unwrap() - Duration::hours(1)
}

fn jan(day: u32, hour: u32, minute: u32, second: u32) -> DateTime<Utc> {
    local(1, day, hour, minute, second)
}

/// Who booked an appointment.
enum By {
    Bot,
    Staff,
    Campaign(i64),
}

struct Seed<'a> {
    db: &'a Db,
    user: i64,
    service: i64,
    staff: i64,
    slot: i64,
}

impl Seed<'_> {
    async fn new(db: &Db) -> Seed<'_> {
        let user = sqlx::query_scalar(
            "INSERT INTO users (email, display_name, password_hash, role, created_at) \
             VALUES ('owner@salon.test', 'Owner', 'x', 'admin', 0) RETURNING id",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        let service = sqlx::query_scalar(
            "INSERT INTO services (name, duration_minutes, price_cents) VALUES ('Cut', 60, 1000) RETURNING id",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        let staff = sqlx::query_scalar("INSERT INTO staff (name) VALUES ('Rosa') RETURNING id")
            .fetch_one(db.pool())
            .await
            .unwrap();
        Seed {
            db,
            user,
            service,
            staff,
            slot: 0,
        }
    }

    /// A contact and their conversation.
    async fn customer(&self, wa_id: &str, name: &str) -> (i64, i64) {
        let at = jan(1, 0, 0, 0) - Duration::days(60);
        let contact = contacts::get_or_create_contact(self.db, &WaId::parse(wa_id).unwrap(), Some(name), at, Some(at))
            .await
            .unwrap();
        let conversation = conversations::get_or_create_conversation(self.db, contact.id, at)
            .await
            .unwrap();
        (contact.id, conversation.id)
    }

    async fn message(
        &self,
        conversation: i64,
        author: Author,
        at: DateTime<Utc>,
        answering: Option<i64>,
        tokens: (i64, i64, i64),
        intent: Option<Intent>,
    ) -> i64 {
        let status = match author {
            Author::Customer => DeliveryStatus::Received,
            _ => DeliveryStatus::Read,
        };
        let mut new = NewMessage::new(conversation, author, "…", status, at);
        new.reply_to_message_id = answering;
        new.tokens = tokens;
        new.intent = intent;
        if author == Author::Staff {
            new.staff_user_id = Some(self.user);
        }
        conversations::insert_message(self.db, &new).await.unwrap().id
    }

    /// A customer message and the bot's answer `delay` seconds later.
    async fn exchange(&self, conversation: i64, at: DateTime<Utc>, delay: i64, tokens: (i64, i64, i64)) {
        let asked = self
            .message(conversation, Author::Customer, at, None, (0, 0, 0), None)
            .await;
        let answer_at = at + Duration::seconds(delay);
        self.message(conversation, Author::Bot, answer_at, Some(asked), tokens, None)
            .await;
    }

    /// An appointment booked at `created`, ending at `ends`.
    async fn appointment(
        &mut self,
        contact: i64,
        by: By,
        status: &str,
        price_cents: i64,
        created: DateTime<Utc>,
        ends: DateTime<Utc>,
    ) {
        let (source, campaign) = match by {
            By::Bot => ("bot", None),
            By::Staff => ("staff", None),
            By::Campaign(id) => ("campaign", Some(id)),
        };
        self.slot += 1; // one appointment per staff slot
        let ends = ends.timestamp_millis() + self.slot * 1000;
        sqlx::query(
            "INSERT INTO appointments (contact_id, service_id, staff_id, starts_at, ends_at, status, source, \
             campaign_id, price_cents, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(contact)
        .bind(self.service)
        .bind(self.staff)
        .bind(ends - 3_600_000)
        .bind(ends)
        .bind(status)
        .bind(source)
        .bind(campaign)
        .bind(price_cents)
        .bind(created.timestamp_millis())
        .execute(self.db.pool())
        .await
        .unwrap();
    }

    async fn campaign(&self, name: &str, category: &str, holdout_percent: i64) -> i64 {
        let template: i64 = sqlx::query_scalar(
            "INSERT INTO message_templates (name, language, category, status, body, synced_at) \
             VALUES ($1, 'en', $2, 'APPROVED', 'Hi {{1}}', 0) RETURNING id",
        )
        .bind(name)
        .bind(category)
        .fetch_one(self.db.pool())
        .await
        .unwrap();
        sqlx::query_scalar(
            "INSERT INTO campaigns (name, message_text, template_id, name_fallback, audience, recency_days, \
             excluded_outcomes, min_delay_seconds, max_delay_seconds, sending_from_minute, sending_until_minute, \
             holdout_percent, attribution_days, status, disclaimer_accepted_by, disclaimer_accepted_at, \
             created_at, starts_at, expires_at, next_send_at) \
             VALUES ($1, 'Hi', $2, 'there', '{}', 0, '', 0, 0, 0, 1440, $3, 7, 'completed', $4, 0, 0, 0, 0, 0) \
             RETURNING id",
        )
        .bind(name)
        .bind(template)
        .bind(holdout_percent)
        .bind(self.user)
        .fetch_one(self.db.pool())
        .await
        .unwrap()
    }

    /// A recipient planned (and, unless held out, sent) at `at`.
    async fn recipient(&self, campaign: i64, contact: i64, status: &str, at: DateTime<Utc>) {
        let at = at.timestamp_millis();
        let sent_at = (status != "held_out").then_some(at);
        let reason = (status == "failed").then_some("131026");
        sqlx::query(
            "INSERT INTO campaign_recipients (campaign_id, contact_id, rendered_text, status, reason, scheduled_at, \
             sent_at, updated_at) VALUES ($1, $2, 'Hi', $3, $4, $5, $6, $5)",
        )
        .bind(campaign)
        .bind(contact)
        .bind(status)
        .bind(reason)
        .bind(at)
        .bind(sent_at)
        .execute(self.db.pool())
        .await
        .unwrap();
    }
}

const K: i64 = 1000; // token counts are in thousands

async fn a_known_month_gives_the_figures_worked_out_by_hand(db: &Db) {
    let mut seed = Seed::new(db).await;
    let now = local(2, 15, 13, 0, 0);
    let later = local(2, 15, 11, 0, 0); // ends within the 24 hours' grace: not attended yet
    let feb = |day| local(2, day, 11, 0, 0);

    // Ana: two answers (2 s, 4 s); a booking she attended.
    let (ana, c1) = seed.customer("34600000001", "Ana").await;
    seed.exchange(c1, jan(5, 10, 0, 0), 2, (1000 * K, 200 * K, 50 * K))
        .await;
    seed.exchange(c1, jan(5, 10, 5, 0), 4, (1200 * K, 300 * K, 0)).await;
    seed.appointment(ana, By::Bot, "completed", 4000, jan(5, 10, 6, 0), jan(12, 11, 0, 0))
        .await;
    // Ben writes late on the 5th (10 s), asks for a person after midnight, staff answer.
    let (ben, c2) = seed.customer("34600000002", "Ben").await;
    seed.exchange(c2, jan(5, 23, 30, 0), 10, (800 * K, 100 * K, 0)).await;
    seed.message(
        c2,
        Author::System,
        jan(6, 0, 10, 0),
        None,
        (0, 0, 0),
        Some(Intent::HumanRequested),
    )
    .await;
    seed.message(c2, Author::Staff, jan(6, 0, 20, 0), None, (0, 0, 0), None)
        .await;
    // Cai: one answer (3 s); a booking he did not come to.
    let (cai, c3) = seed.customer("34600000003", "Cai").await;
    seed.exchange(c3, jan(10, 9, 0, 0), 3, (1000 * K, 100 * K, 100 * K))
        .await;
    seed.appointment(cai, By::Bot, "no_show", 3000, jan(10, 9, 2, 0), jan(20, 11, 0, 0))
        .await;
    // Dee leaves a booking unfinished (5 s), is followed up, books the next day (2 s): recovered,
    // and never marked, so attended once the grace has passed.
    let (dee, c4) = seed.customer("34600000004", "Dee").await;
    seed.exchange(c4, jan(14, 11, 0, 0), 5, (500 * K, 100 * K, 0)).await;
    let abandoned = Some(Intent::BookingAbandoned);
    seed.message(c4, Author::System, jan(14, 11, 30, 0), None, (0, 0, 0), abandoned)
        .await;
    seed.message(c4, Author::Bot, jan(14, 11, 30, 0), None, (0, 0, 0), abandoned)
        .await;
    seed.exchange(c4, jan(15, 9, 0, 0), 2, (600 * K, 100 * K, 0)).await;
    seed.appointment(dee, By::Bot, "booked", 5000, jan(15, 9, 1, 0), jan(28, 11, 0, 0))
        .await;
    // Eve (30 s): one booking not yet past the grace, one cancelled.
    let (eve, c5) = seed.customer("34600000005", "Eve").await;
    seed.exchange(c5, jan(20, 8, 0, 0), 30, (700 * K, 0, 0)).await;
    seed.appointment(eve, By::Bot, "booked", 2000, jan(20, 8, 1, 0), later)
        .await;
    seed.appointment(eve, By::Bot, "cancelled", 9999, jan(20, 8, 2, 0), feb(3))
        .await;
    // Outside the month or not the bot's: none of it counts.
    seed.appointment(
        eve,
        By::Bot,
        "completed",
        7777,
        jan(1, 0, 0, 0) - Duration::seconds(1),
        jan(2, 11, 0, 0),
    )
    .await;
    seed.appointment(ana, By::Staff, "completed", 8888, jan(7, 12, 0, 0), jan(9, 11, 0, 0))
        .await;
    seed.exchange(c5, local(2, 1, 0, 30, 0), 1, (1_000_000 * K, 0, 0)).await;

    // A marketing campaign with a holdout, sent on the 8th.
    let offer = seed.campaign("january_offer", "MARKETING", 20).await;
    let sent = jan(8, 10, 0, 0);
    let mut recipients = Vec::new();
    for (wa_id, name, status) in [
        ("34600000011", "Fay", "replied"),
        ("34600000012", "Gus", "read"),
        ("34600000013", "Hal", "delivered"),
        ("34600000014", "Ida", "sent"),
        ("34600000015", "Jon", "failed"),
        ("34600000016", "Kim", "held_out"),
        ("34600000017", "Lia", "held_out"),
        ("34600000018", "Max", "held_out"),
        ("34600000019", "Ned", "held_out"),
    ] {
        let (contact, _) = seed.customer(wa_id, name).await;
        seed.recipient(offer, contact, status, sent).await;
        recipients.push(contact);
    }
    let [fay, gus, _, _, _, kim, lia, _, ned] = recipients[..] else {
        unreachable!()
    };
    seed.appointment(
        fay,
        By::Campaign(offer),
        "completed",
        6000,
        jan(9, 12, 0, 0),
        jan(16, 11, 0, 0),
    )
    .await;
    seed.appointment(
        gus,
        By::Campaign(offer),
        "no_show",
        4000,
        jan(10, 12, 0, 0),
        jan(17, 11, 0, 0),
    )
    .await;
    // Held out: Kim books by phone within the 7 days, Lia after them, Ned cancels.
    seed.appointment(kim, By::Staff, "completed", 3000, jan(12, 12, 0, 0), jan(19, 11, 0, 0))
        .await;
    seed.appointment(lia, By::Staff, "completed", 3000, jan(20, 12, 0, 0), jan(23, 11, 0, 0))
        .await;
    seed.appointment(ned, By::Staff, "cancelled", 3000, jan(9, 12, 0, 0), jan(23, 12, 0, 0))
        .await;

    // A utility campaign on the 25th, to Ana and Ben; Oli's and Pia's sends straddle midnight
    // at the end of the month.
    let reminder = seed.campaign("reminder", "UTILITY", 0).await;
    seed.recipient(reminder, ana, "delivered", jan(25, 12, 0, 0)).await;
    seed.recipient(reminder, ben, "read", jan(25, 12, 0, 0)).await;
    seed.appointment(ben, By::Campaign(reminder), "booked", 2500, jan(26, 12, 0, 0), feb(2))
        .await;
    let (oli, _) = seed.customer("34600000020", "Oli").await;
    seed.recipient(reminder, oli, "delivered", jan(31, 23, 30, 0)).await;
    let (pia, _) = seed.customer("34600000021", "Pia").await;
    seed.recipient(reminder, pia, "delivered", local(2, 1, 0, 30, 0)).await;

    let range = DayRange::parse("2026-01-01", "2026-01-31").unwrap();
    let tz = "Europe/Madrid".parse().unwrap();
    let report = analytics::roi(db, tz, "EUR", &prices(), range, now).await.unwrap();
    check_month(&report);
}

fn check_month(report: &RoiReport) {
    let t = &report.totals;
    assert_eq!(report.currency, "EUR");

    // Conversations: Ana, Ben, Cai, Dee, Eve; Ben's was handed over.
    assert_eq!(t.conversations.total, 5);
    assert_eq!(t.conversations.bot_only, 4);
    assert_eq!(t.conversations.handed_over, 1);
    // Delays 2, 2, 3, 4, 5, 10, 30 s: the 4th of 7 (ceil 3.5) and the 7th (ceil 6.3).
    assert_eq!(t.conversations.first_reply_p50_seconds, Some(4));
    assert_eq!(t.conversations.first_reply_p90_seconds, Some(30));

    // Bot bookings: Ana 40 (attended), Cai 30 (no-show), Dee 50 (attended), Eve 20 (not yet).
    assert_eq!(t.bot_bookings.count, 4);
    assert_eq!(t.bot_bookings.booked_cents, 4000 + 3000 + 5000 + 2000);
    assert_eq!(t.bot_bookings.attended, 2);
    assert_eq!(t.bot_bookings.attended_cents, 4000 + 5000);
    assert_eq!(t.recovered_bookings.count, 1);
    assert_eq!(t.recovered_bookings.booked_cents, 5000);
    assert_eq!(t.recovered_bookings.attended_cents, 5000);

    // Funnel: Fay, Gus, Hal, Ida + Ana, Ben, Oli sent; Ida only sent; Jon failed.
    let c = &t.campaigns;
    assert_eq!((c.sent, c.delivered, c.read, c.replied), (7, 6, 3, 1));
    // Booked: Fay, Gus, Ben; attended: Fay (completed) and Ben (past, unmarked).
    assert_eq!((c.booked, c.attended), (3, 2));
    assert_eq!(c.attributed.count, 3);
    assert_eq!(c.attributed.booked_cents, 6000 + 4000 + 2500);
    assert_eq!(c.attributed.attended_cents, 6000 + 2500);
    // Holdout: 2 of 4 messaged booked within 7 days; 1 of 4 held out (Kim).
    assert_eq!((c.holdout.messaged, c.holdout.messaged_booked), (4, 2));
    assert_eq!((c.holdout.held_out, c.holdout.held_out_booked), (4, 1));
    assert_eq!(c.holdout.messaged_rate, Some(0.5));
    assert_eq!(c.holdout.held_out_rate, Some(0.25));
    assert_eq!(c.holdout.lift, Some(0.25));

    // Tokens: prompt 1000+1200+800+1000+500+600+700 thousand, output 200+300+100+100+100+100,
    // thinking 50+100.
    let costs = &t.costs;
    assert_eq!(costs.prompt_tokens, 5_800_000);
    assert_eq!(costs.output_tokens, 900_000);
    assert_eq!(costs.thinking_tokens, 150_000);
    // 5.8 M × 0.50 + 0.9 M × 2.00 + 0.15 M × 4.00 = 2.90 + 1.80 + 0.60 = 5.30
    assert_eq!(costs.ai_cents, 530);
    // Delivered: 3 marketing (Fay, Gus, Hal) × 0.05 + 3 utility (Ana, Ben, Oli) × 0.01
    assert_eq!((costs.marketing_templates, costs.utility_templates), (3, 3));
    assert_eq!(costs.whatsapp_cents, 15 + 3);
    assert_eq!(costs.total_cents, 548);

    // 4 conversations × 10 minutes at 18.00 an hour.
    assert_eq!(t.time_saved.minutes, 40);
    assert_eq!(t.time_saved.value_cents, 1200);

    let revenue = 9000 + 8500;
    assert_eq!(t.revenue_cents, revenue);
    let roi = t.roi.unwrap();
    assert!((roi - (17_500.0 - 548.0) / 548.0).abs() < 1e-9, "{roi}");

    // Day by day: every day of January, each figure on its local day.
    assert_eq!(report.days.len(), 31);
    let day = |d: u32| {
        let entry = &report.days[d as usize - 1];
        assert_eq!(entry.day, NaiveDate::from_ymd_opt(2026, 1, d).unwrap());
        &entry.figures
    };
    // Ben's 23:30 message is the 5th's (22:30 UTC); his handover the next day is his conversation's.
    assert_eq!(day(5).conversations.total, 2);
    assert_eq!(day(5).conversations.handed_over, 1);
    assert_eq!(day(5).conversations.first_reply_p50_seconds, Some(4));
    assert_eq!(day(5).conversations.first_reply_p90_seconds, Some(10));
    assert_eq!(day(6).conversations.total, 0);
    assert_eq!(day(6).conversations.first_reply_p50_seconds, None);
    assert_eq!(day(5).costs.prompt_tokens, 3_000_000);
    assert_eq!(day(5).costs.ai_cents, 290); // 3.0 × 0.50 + 0.6 × 2.00 + 0.05 × 4.00 = 2.90
    assert_eq!(day(5).roi, Some((4000.0 - 290.0) / 290.0));
    assert_eq!(day(8).campaigns.sent, 4);
    assert_eq!(day(8).campaigns.holdout.held_out, 4);
    assert_eq!(day(8).costs.whatsapp_cents, 15);
    assert_eq!(day(9).campaigns.attributed.attended_cents, 6000);
    assert_eq!(day(15).recovered_bookings.count, 1);
    assert_eq!(day(20).bot_bookings.booked_cents, 2000);
    assert_eq!(day(31).campaigns.delivered, 1);
    // Oli's utility template: 1 cent of cost and no revenue.
    assert_eq!(day(31).roi, Some(-1.0));
    assert_eq!(day(1).roi, None); // nothing spent
}

/// `GET /api/analytics/roi` answers an admin's session and an API token, refuses a range it
/// cannot read with the reason, and a caller without either.
#[tokio::test]
async fn the_route_answers_staff_and_tokens_and_refuses_bad_ranges() {
    use frontdesk::server::auth::token_hash;
    use frontdesk::server::db::{tokens, users};

    let db = TestDb::sqlite().await;
    let app = TestApp::start(test_settings(&db.url, &[("FRONTDESK_DEMO_DATA", "false")])).await;
    let admin = users::find_login(&db.db, ADMIN_EMAIL).await.unwrap().unwrap().0;
    let token = "fd_test_analytics";
    tokens::create_token(&db.db, "Dashboard", &token_hash(token), admin.id, Utc::now())
        .await
        .unwrap();
    let sign_in = app
        .client
        .post(app.url("/auth/login"))
        .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD), ("next", "/inbox")])
        .send()
        .await
        .unwrap();
    let cookie = sign_in.headers()[reqwest::header::SET_COOKIE].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_string();

    let get = |query: &str, auth: Option<(&str, String)>| {
        let mut request = app.client.get(app.url(&format!("/api/analytics/roi{query}")));
        if let Some((name, value)) = auth {
            request = request.header(name, value);
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            (status, response.json::<serde_json::Value>().await.unwrap())
        }
    };
    let bearer = || Some(("authorization", format!("Bearer {token}")));
    let session = || Some(("cookie", cookie.clone()));

    let (status, body) = get("?from=2026-01-01&to=2026-01-31", bearer()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let report: RoiReport = serde_json::from_value(body).unwrap();
    assert_eq!(report.days.len(), 31);
    assert_eq!(report.totals.conversations.total, 0);
    let (status, body) = get("?from=2026-01-01&to=2026-01-01", session()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["days"].as_array().unwrap().len(), 1);

    for (query, reason) in [
        ("?from=2026-02-01&to=2026-01-31", "after"),
        ("?from=2024-01-01&to=2026-01-02", "two years"),
        ("?from=yesterday&to=2026-01-31", "must be a date"),
        ("?from=2026-01-01&to=2026-02-30", "must be a date"),
        ("?from=2026-01-01", "from=YYYY-MM-DD"),
    ] {
        let (status, body) = get(query, bearer()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert!(body["error"].as_str().unwrap().contains(reason), "{query}: {body}");
    }

    // The daily series as CSV, a row per day.
    let csv = app
        .client
        .get(app.url("/api/analytics/roi.csv?from=2026-01-01&to=2026-01-31"))
        .header("cookie", cookie.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = csv.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 32, "{csv}");
    assert!(
        lines[0].starts_with("day,conversations,") && lines[0].ends_with(",roi"),
        "{}",
        lines[0]
    );
    assert!(lines[1].starts_with("2026-01-01,0,"), "{}", lines[1]);

    // A marketer gets the campaigns' part only: no revenue, costs or conversations.
    let hash = frontdesk::server::auth::hash_password("marketer-password").unwrap();
    users::create_user(
        &db.db,
        "marketer@frontdesk.test",
        "Marketer",
        Role::Marketer,
        &hash,
        Utc::now(),
    )
    .await
    .unwrap();
    let marketer = app
        .client
        .post(app.url("/auth/login"))
        .form(&[("email", "marketer@frontdesk.test"), ("password", "marketer-password")])
        .send()
        .await
        .unwrap();
    let marketer = marketer.headers()[reqwest::header::SET_COOKIE].to_str().unwrap();
    let marketer = marketer.split(';').next().unwrap().to_string();
    let (status, body) = get("?from=2026-01-01&to=2026-01-31", Some(("cookie", marketer))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["parts"]["campaigns"], true);
    assert_eq!(body["parts"]["money"], false);
    assert_eq!(body["parts"]["conversations"], false);

    let (status, _) = get("?from=2026-01-01&to=2026-01-31", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let wrong = Some(("authorization", "Bearer fd_not_a_token".to_string()));
    let (status, _) = get("?from=2026-01-01&to=2026-01-31", wrong).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    app.stop().await;
    db.cleanup().await;
}
