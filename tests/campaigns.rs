//! Campaigns over HTTP, as integrators and the page use them: every safety check and skip
//! reason, idempotent launch, bad input refused with nothing created, and sending against the
//! fake Graph API. Runs on SQLite and on PostgreSQL.

use chrono::{Duration, Utc};
use frontdesk::on_both_test_databases;
use reqwest::StatusCode;
use serde_json::{json, Value};

use frontdesk::model::{ConversationMode, Role};
use frontdesk::server::auth::token_hash;
use frontdesk::server::db::{conversations, tokens, users, Db};
use frontdesk::testing::{campaign_contact, test_settings, TestApp, TestDb, ADMIN_EMAIL};

on_both_test_databases!(
    each_safety_check_skips_with_its_reason,
    free_text_reaches_only_customers_whose_window_is_open,
    a_launch_repeated_with_its_key_makes_one_campaign,
    bad_input_is_refused_and_creates_nothing,
    the_holdout_is_never_sent,
    integrators_use_revocable_tokens_and_the_api_is_documented,
);

/// The app without demo data: the test's contacts are the whole audience.
async fn app(db: &TestDb) -> TestApp {
    TestApp::start(test_settings(&db.url, &[("FRONTDESK_DEMO_DATA", "false")])).await
}

/// An API token acting for a new staff account with `role` (or the admin).
async fn token(app: &TestApp, role: Role) -> String {
    let db = &app.state.db;
    let user_id = match role {
        Role::Admin => users::find_login(db, ADMIN_EMAIL).await.unwrap().unwrap().0.id,
        _ => {
            let email = format!("{}@frontdesk.test", role.as_str());
            users::create_user(db, &email, "Someone", role, "not-a-hash", Utc::now())
                .await
                .unwrap()
                .id
        }
    };
    let token = format!("fd_test_{}", role.as_str());
    tokens::create_token(db, "test", &token_hash(&token), user_id, Utc::now())
        .await
        .unwrap();
    token
}

/// A contact, with marketing consent when `consent`.
async fn set(db: &Db, sql: &str, value: i64, contact_id: i64) {
    sqlx::query(sql)
        .bind(value)
        .bind(contact_id)
        .execute(db.pool())
        .await
        .unwrap();
}

/// An approved marketing template with a named parameter, as a Graph sync stores it.
async fn approved_template(db: &Db) {
    sqlx::query(
        "INSERT INTO message_templates (name, language, category, status, body, parameters, synced_at) \
         VALUES ('test_offer', 'en', 'MARKETING', 'APPROVED', 'Hi {{customer_name}}, 20% off this week!', \
         'customer_name', 0), ('test_pending', 'en', 'MARKETING', 'PENDING', 'Hi {{customer_name}}', 'customer_name', 0)",
    )
    .execute(db.pool())
    .await
    .unwrap();
}

async fn broadcast(app: &TestApp, token: &str, body: &Value, key: Option<&str>) -> (StatusCode, Value) {
    let mut request = app
        .client
        .post(app.url("/api/campaigns/broadcast"))
        .bearer_auth(token)
        .json(body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Each recipient's status and reason, by contact id.
async fn recipients(db: &Db, campaign_id: i64) -> Vec<(i64, String, Option<String>)> {
    sqlx::query_as(
        "SELECT contact_id, status, reason FROM campaign_recipients WHERE campaign_id = $1 ORDER BY contact_id",
    )
    .bind(campaign_id)
    .fetch_all(db.pool())
    .await
    .unwrap()
}

async fn campaign_count(db: &Db) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM campaigns")
        .fetch_one(db.pool())
        .await
        .unwrap()
}

fn skipped(plan: &Value, reason: &str) -> u64 {
    plan["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["reason"] == reason)
        .map_or(0, |s| s["count"].as_u64().unwrap())
}

async fn each_safety_check_skips_with_its_reason(test_db: TestDb) {
    let app = app(&test_db).await;
    let db = &app.state.db;
    approved_template(db).await;
    let now = Utc::now().timestamp_millis();
    let day = Duration::days(1).num_milliseconds();
    let eligible = campaign_contact(db, "34600000001", Some("Ana"), true).await;
    let unnamed = campaign_contact(db, "34600000002", None, true).await;
    let opted_out = campaign_contact(db, "34600000003", Some("Olga"), true).await;
    set(
        db,
        "UPDATE contacts SET opted_out_at = $1 WHERE id = $2",
        now,
        opted_out,
    )
    .await;
    let stopped_promotions = campaign_contact(db, "34600000004", Some("Pia"), true).await;
    set(
        db,
        "UPDATE contacts SET marketing_stopped_at = $1 WHERE id = $2",
        now,
        stopped_promotions,
    )
    .await;
    let no_consent = campaign_contact(db, "34600000005", Some("Nora"), false).await;
    let human = campaign_contact(db, "34600000006", Some("Hugo"), true).await;
    let conversation = conversations::get_or_create_conversation(db, human, Utc::now())
        .await
        .unwrap();
    conversations::set_mode(db, conversation.id, ConversationMode::Human)
        .await
        .unwrap();
    let upcoming = campaign_contact(db, "34600000007", Some("Uma"), true).await;
    let booked_recently = campaign_contact(db, "34600000008", Some("Bea"), true).await;
    for statement in [
        "INSERT INTO services (name, duration_minutes, price_cents) VALUES ('Cut', 30, 2500)",
        "INSERT INTO staff (name) VALUES ('Marta')",
    ] {
        sqlx::query(statement).execute(db.pool()).await.unwrap();
    }
    for (contact_id, starts_at, created_at) in [
        (upcoming, now + 2 * day, now - 30 * day),
        (booked_recently, now - 3 * day, now - 5 * day),
    ] {
        sqlx::query(
            "INSERT INTO appointments (contact_id, service_id, staff_id, starts_at, ends_at, status, source, price_cents, created_at) \
             VALUES ($1, (SELECT MIN(id) FROM services), (SELECT MIN(id) FROM staff), $2, $3, 'booked', 'bot', 0, $4)",
        )
        .bind(contact_id)
        .bind(starts_at)
        .bind(starts_at + 3_600_000)
        .bind(created_at)
        .execute(db.pool())
        .await
        .unwrap();
    }
    let admin = token(&app, Role::Admin).await;
    // A first campaign reached one contact yesterday: the recency check keeps them out.
    let recent = campaign_contact(db, "34600000009", Some("Rita"), true).await;
    let first = json!({"name": "Earlier", "template": "test_offer", "audience": {"contact_ids": [recent]},
        "acknowledge_disclaimer": true});
    let (status, earlier) = broadcast(&app, &admin, &first, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{earlier}");
    sqlx::query("UPDATE campaign_recipients SET status = 'sent', sent_at = $1 WHERE campaign_id = $2")
        .bind(now - day)
        .bind(earlier["campaign_id"].as_i64().unwrap())
        .execute(db.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE campaigns SET status = 'completed'")
        .execute(db.pool())
        .await
        .unwrap();

    let body = json!({"name": "December offer", "template": "test_offer", "name_fallback": "friend",
        "min_delay_seconds": 0, "max_delay_seconds": 0, "sending_from": "00:00", "sending_until": "24:00",
        "acknowledge_disclaimer": true});
    let (status, answer) = broadcast(&app, &admin, &body, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    let plan = &answer["plan"];
    assert_eq!(plan["audience"], 9, "{answer}");
    for (reason, count) in [
        ("opted_out", 2),
        ("no_consent", 1),
        ("human_mode", 1),
        ("upcoming_appointment", 1),
        ("booked_recently", 1),
        ("recency", 1),
    ] {
        assert_eq!(skipped(plan, reason), count, "{reason}: {answer}");
    }
    let campaign_id = answer["campaign_id"].as_i64().unwrap();
    let rows = recipients(db, campaign_id).await;
    let row = |id: i64| rows.iter().find(|r| r.0 == id).unwrap().clone();
    assert_eq!(row(eligible).2, None);
    assert_ne!(row(eligible).1, "skipped");
    assert_eq!(row(opted_out).2.as_deref(), Some("opted_out"));
    assert_eq!(
        row(stopped_promotions).2.as_deref(),
        Some("opted_out"),
        "WhatsApp's stop promotions"
    );
    assert_eq!(row(no_consent).2.as_deref(), Some("no_consent"));
    assert_eq!(row(human).2.as_deref(), Some("human_mode"));
    assert_eq!(row(upcoming).2.as_deref(), Some("upcoming_appointment"));
    assert_eq!(row(booked_recently).2.as_deref(), Some("booked_recently"));
    assert_eq!(row(recent).2.as_deref(), Some("recency"));
    // Each recipient's text is personalised once, at launch.
    let texts: Vec<(i64, String)> =
        sqlx::query_as("SELECT contact_id, rendered_text FROM campaign_recipients WHERE campaign_id = $1")
            .bind(campaign_id)
            .fetch_all(db.pool())
            .await
            .unwrap();
    let text = |id: i64| texts.iter().find(|t| t.0 == id).unwrap().1.clone();
    assert_eq!(text(eligible), "Hi Ana, 20% off this week!");
    assert_eq!(
        text(unnamed),
        "Hi friend, 20% off this week!",
        "the marketer's fallback"
    );
    app.stop().await;
    test_db.cleanup().await;
}

async fn free_text_reaches_only_customers_whose_window_is_open(test_db: TestDb) {
    let app = app(&test_db).await;
    let db = &app.state.db;
    let open = campaign_contact(db, "34600000011", Some("Ana"), true).await;
    set(
        db,
        "UPDATE contacts SET last_inbound_at = $1 WHERE id = $2",
        (Utc::now() - Duration::hours(2)).timestamp_millis(),
        open,
    )
    .await;
    let closed = campaign_contact(db, "34600000012", Some("Bo"), true).await;
    set(
        db,
        "UPDATE contacts SET last_inbound_at = $1 WHERE id = $2",
        (Utc::now() - Duration::hours(30)).timestamp_millis(),
        closed,
    )
    .await;
    let admin = token(&app, Role::Admin).await;
    let body = json!({"name": "Free text", "text": "Hi {customer_name}, a chair freed up at 5!",
        "acknowledge_disclaimer": true});
    let (status, answer) = broadcast(&app, &admin, &body, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(skipped(&answer["plan"], "window_closed"), 1, "{answer}");
    let rows = recipients(db, answer["campaign_id"].as_i64().unwrap()).await;
    assert_eq!(
        rows.iter().find(|r| r.0 == closed).unwrap().2.as_deref(),
        Some("window_closed")
    );
    assert_eq!(rows.iter().find(|r| r.0 == open).unwrap().2, None);
    app.stop().await;
    test_db.cleanup().await;
}

async fn a_launch_repeated_with_its_key_makes_one_campaign(test_db: TestDb) {
    let app = app(&test_db).await;
    let db = &app.state.db;
    approved_template(db).await;
    campaign_contact(db, "34600000021", Some("Ana"), true).await;
    let marketer = token(&app, Role::Marketer).await;
    let body = json!({"name": "Once", "template": "test_offer", "acknowledge_disclaimer": true});
    let (first_status, first) = broadcast(&app, &marketer, &body, Some("launch-1")).await;
    let (again_status, again) = broadcast(&app, &marketer, &body, Some("launch-1")).await;
    assert_eq!(
        (first_status, again_status),
        (StatusCode::ACCEPTED, StatusCode::ACCEPTED),
        "{first} {again}"
    );
    assert_eq!(first["campaign_id"], again["campaign_id"]);
    assert_eq!(
        (first["created"].as_bool(), again["created"].as_bool()),
        (Some(true), Some(false))
    );
    // Launches racing with one key still make one campaign.
    let mut racing = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let (client, url, marketer) = (
            app.client.clone(),
            app.url("/api/campaigns/broadcast"),
            marketer.clone(),
        );
        racing.spawn(async move {
            let body = json!({"name": "Race", "template": "test_offer", "acknowledge_disclaimer": true});
            let response = client
                .post(url)
                .bearer_auth(marketer)
                .header("Idempotency-Key", "launch-2")
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::ACCEPTED);
            response.json::<Value>().await.unwrap()["campaign_id"].as_i64().unwrap()
        });
    }
    let ids: std::collections::HashSet<i64> = racing.join_all().await.into_iter().collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(campaign_count(db).await, 2);
    let other = json!({"name": "Another", "template": "test_offer", "acknowledge_disclaimer": true});
    let (status, refused) = broadcast(&app, &marketer, &other, Some("launch-1")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert!(
        refused["error"].as_str().unwrap().contains("Idempotency-Key"),
        "{refused}"
    );
    assert_eq!(campaign_count(db).await, 2);
    app.stop().await;
    test_db.cleanup().await;
}

async fn bad_input_is_refused_and_creates_nothing(test_db: TestDb) {
    let app = app(&test_db).await;
    let db = &app.state.db;
    approved_template(db).await;
    campaign_contact(db, "34600000031", Some("Ana"), true).await;
    let admin = token(&app, Role::Admin).await;
    let agent = token(&app, Role::Agent).await;
    let ok = json!({"name": "Fine", "text": "Hi {customer_name}", "acknowledge_disclaimer": true});
    let with = |change: Value| {
        let mut body = ok.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let cases = [
        (
            with(json!({"text": "Hi {customer_nme}, 20% off"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{customer_nme}",
        ),
        (
            with(json!({"text": "   "})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Write the message",
        ),
        (
            with(json!({"text": "x".repeat(4097)})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "4,096",
        ),
        (
            with(json!({"template": "test_pending"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not approved",
        ),
        (
            with(json!({"template": "no_such"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "no template",
        ),
        (
            with(json!({"acknowledge_disclaimer": false})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "disclaimer",
        ),
        (
            with(json!({"audience": {"tags": ["nobody-has-this"]}})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "audience is empty",
        ),
        (with(json!({"name": ""})), StatusCode::UNPROCESSABLE_ENTITY, "name"),
        (
            with(json!({"min_delay_seconds": 90, "max_delay_seconds": 20})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "delay",
        ),
        (
            with(json!({"sending_from": "20:00", "sending_until": "09:00"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Sending hours",
        ),
        (
            with(json!({"audience": "everyone"})),
            StatusCode::BAD_REQUEST,
            "not a campaign",
        ),
    ];
    for (body, expected, says) in cases {
        let (status, answer) = broadcast(&app, &admin, &body, None).await;
        assert_eq!(status, expected, "{body}: {answer}");
        assert!(
            answer["error"].as_str().unwrap_or("").contains(says),
            "{says}: {answer}"
        );
    }
    let message = broadcast(&app, &admin, &with(json!({"text": "Hi {customer_nme}"})), None)
        .await
        .1;
    assert!(
        message["error"].as_str().unwrap().contains("character 4"),
        "the position: {message}"
    );
    let (status, answer) = broadcast(&app, &agent, &ok, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "agents do not launch: {answer}");
    let (status, _) = broadcast(&app, "fd_not_a_token", &ok, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let raw = app
        .client
        .post(app.url("/api/campaigns/broadcast"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::BAD_REQUEST);
    assert_eq!(campaign_count(db).await, 0, "nothing was created");
    let recipients: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM campaign_recipients")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(recipients, 0);
    app.stop().await;
    test_db.cleanup().await;
}

async fn the_holdout_is_never_sent(test_db: TestDb) {
    let app = app(&test_db).await;
    let db = &app.state.db;
    approved_template(db).await;
    for i in 0..20 {
        campaign_contact(db, &format!("346000001{i:02}"), Some("Ana"), true).await;
    }
    let admin = token(&app, Role::Admin).await;
    let body = json!({"name": "Lift", "template": "test_offer", "holdout_percent": 10,
        "sending_from": "00:00", "sending_until": "24:00", "acknowledge_disclaimer": true});
    let (status, answer) = broadcast(&app, &admin, &body, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(answer["plan"]["held_out"], 2, "{answer}");
    let rows = recipients(db, answer["campaign_id"].as_i64().unwrap()).await;
    assert_eq!(rows.iter().filter(|r| r.1 == "held_out").count(), 2);
    app.stop().await;
    test_db.cleanup().await;
}

async fn integrators_use_revocable_tokens_and_the_api_is_documented(test_db: TestDb) {
    let app = app(&test_db).await;
    let db = &app.state.db;
    approved_template(db).await;
    campaign_contact(db, "34600000041", Some("Ana"), true).await;
    let admin = token(&app, Role::Admin).await;
    let body = json!({"name": "Token", "template": "test_offer", "acknowledge_disclaimer": true});
    assert_eq!(broadcast(&app, &admin, &body, None).await.0, StatusCode::ACCEPTED);
    let stored: Vec<(i64, String)> = sqlx::query_as("SELECT id, token_hash FROM api_tokens")
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert!(
        stored.iter().all(|(_, hash)| !hash.contains(&admin)),
        "only a hash is kept"
    );
    tokens::revoke_token(db, stored[0].0, Utc::now()).await.unwrap();
    let (status, answer) = broadcast(&app, &admin, &body, None).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a revoked token opens nothing: {answer}"
    );
    let document: Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let operation = &document["paths"]["/api/campaigns/broadcast"]["post"];
    for status in ["202", "400", "401", "403", "409", "422"] {
        assert!(operation["responses"][status].is_object(), "{status}: {operation}");
    }
    assert_eq!(operation["parameters"][0]["name"], "Idempotency-Key");
    assert!(document["components"]["schemas"]["CampaignDraft"]["properties"]["acknowledge_disclaimer"].is_object());
    app.stop().await;
    test_db.cleanup().await;
}

mod sending {
    use std::time::Duration as StdDuration;

    use chrono::Utc;
    use frontdesk::model::{CampaignAction, Role};
    use frontdesk::server::campaigns::{self, business_day};
    use frontdesk::server::db::Db;
    use frontdesk::testing::fakes::{FakeGemini, FakeGraph};
    use frontdesk::testing::rig::{pipeline_env, post_signed, Brain};
    use frontdesk::testing::{eventually, test_settings, TestApp, TestDb};
    use reqwest::StatusCode;
    use serde_json::{json, Value};

    use frontdesk::on_both_test_databases;

    use super::{approved_template, broadcast, campaign_contact, recipients, token};

    on_both_test_databases!(
        each_eligible_customer_gets_one_message_with_their_name,
        the_daily_limit_holds_across_campaigns_and_business_days,
        whatsapp_errors_are_handled_per_recipient,
        many_failures_pause_the_campaign,
        a_crash_mid_campaign_never_sends_twice,
        staff_pause_resume_and_cancel_and_stale_campaigns_expire,
        opt_outs_after_the_message_pause_the_campaign,
    );

    /// An app that sends through the fake Graph API.
    async fn app(db: &TestDb, graph: &FakeGraph, extra: &[(&str, &str)]) -> TestApp {
        let gemini = FakeGemini::start().await;
        let mut env = pipeline_env(graph, &gemini, Brain::Offline);
        env.push(("FRONTDESK_DEMO_DATA", "false".into()));
        env.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        TestApp::start(test_settings(&db.url, &env)).await
    }

    /// A template campaign to these contacts, sent without delay at any hour.
    fn campaign(name: &str, contact_ids: &[i64]) -> Value {
        json!({"name": name, "template": "test_offer", "name_fallback": "there",
            "audience": {"contact_ids": contact_ids},
            "min_delay_seconds": 0, "max_delay_seconds": 0, "sending_from": "00:00", "sending_until": "24:00",
            "acknowledge_disclaimer": true})
    }

    async fn status_count(db: &Db, campaign_id: i64, status: &str) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM campaign_recipients WHERE campaign_id = $1 AND status = $2")
            .bind(campaign_id)
            .bind(status)
            .fetch_one(db.pool())
            .await
            .unwrap()
    }

    async fn campaign_status(db: &Db, campaign_id: i64) -> (String, Option<String>) {
        sqlx::query_as("SELECT status, pause_reason FROM campaigns WHERE id = $1")
            .bind(campaign_id)
            .fetch_one(db.pool())
            .await
            .unwrap()
    }

    async fn launch(app: &TestApp, token: &str, body: &Value) -> i64 {
        let (status, answer) = broadcast(app, token, body, None).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
        answer["campaign_id"].as_i64().unwrap()
    }

    fn status_payload(wamid: &str, status: &str, to: &str) -> String {
        json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages",
            "value": {"messaging_product": "whatsapp", "metadata": {"display_phone_number": "1", "phone_number_id": "1098765"},
            "statuses": [{"id": wamid, "status": status, "timestamp": Utc::now().timestamp().to_string(), "recipient_id": to}]}}]}]})
        .to_string()
    }

    async fn each_eligible_customer_gets_one_message_with_their_name(test_db: TestDb) {
        let graph = FakeGraph::start().await;
        let app = app(&test_db, &graph, &[]).await;
        let db = &app.state.db;
        approved_template(db).await;
        let ana = campaign_contact(db, "34600000101", Some("Ana"), true).await;
        let bo = campaign_contact(db, "34600000102", Some("Bo"), true).await;
        let nameless = campaign_contact(db, "34600000103", None, true).await;
        let opted_out = campaign_contact(db, "34600000104", Some("Olga"), true).await;
        super::set(db, "UPDATE contacts SET opted_out_at = $1 WHERE id = $2", 1, opted_out).await;
        let admin = token(&app, Role::Admin).await;
        let id = launch(&app, &admin, &campaign("Names", &[ana, bo, nameless, opted_out])).await;
        eventually(10, "the campaign completes", || async {
            super::campaign_done(db, id).await
        })
        .await;
        let mut sent: Vec<_> = graph
            .templates_sent()
            .into_iter()
            .map(|(to, t)| {
                assert_eq!((t.name.as_str(), t.language.as_str()), ("test_offer", "en"));
                (to, t.parameters)
            })
            .collect();
        sent.sort();
        let named = |name: &str| vec![(Some("customer_name".to_string()), name.to_string())];
        assert_eq!(
            sent,
            vec![
                ("34600000101".to_string(), named("Ana")),
                ("34600000102".to_string(), named("Bo")),
                ("34600000103".to_string(), named("there")),
            ],
            "one message each, with the name from the contacts table"
        );
        assert_eq!(status_count(db, id, "sent").await, 3);
        let counter = campaigns::daily_counter(&app.state).await.unwrap();
        assert_eq!(counter.sent_today, 3, "the daily counter moved");
        let listed = frontdesk::server::db::campaigns::list_campaigns(db, 10).await.unwrap();
        let progress = &listed[0].progress;
        assert_eq!(
            (listed[0].id, progress.total, progress.sent, progress.skipped),
            (id, 4, 3, 1)
        );

        // Delivery statuses move recipients on; a reply makes them `replied`.
        let wamid = |to: &str| graph.sent().into_iter().find(|m| m.to == to).unwrap().wamid;
        let (ana_wamid, bo_wamid) = (wamid("34600000101"), wamid("34600000102"));
        for (wamid, status, to) in [
            (&ana_wamid, "delivered", "34600000101"),
            (&bo_wamid, "delivered", "34600000102"),
            (&bo_wamid, "read", "34600000102"),
        ] {
            assert_eq!(
                post_signed(&app, status_payload(wamid, status, to)).await.status(),
                StatusCode::OK
            );
        }
        let statuses: Vec<(String,)> = sqlx::query_as("SELECT status FROM campaign_recipients WHERE campaign_id = $1 AND contact_id IN ($2, $3) ORDER BY contact_id")
            .bind(id).bind(ana).bind(bo).fetch_all(db.pool()).await.unwrap();
        assert_eq!(statuses, vec![("delivered".to_string(),), ("read".to_string(),)]);
        // A late "delivered" never moves a read message back.
        post_signed(&app, status_payload(&bo_wamid, "delivered", "34600000102")).await;
        assert_eq!(status_count(db, id, "read").await, 1);
        let reply = frontdesk::server::whatsapp::payload::text_message_payload(
            "34600000101",
            None,
            "wamid.REPLY1",
            Utc::now(),
            "Yes please!",
        );
        post_signed(&app, reply.to_string()).await;
        eventually(10, "the reply marks the recipient", || async {
            status_count(db, id, "replied").await == 1
        })
        .await;
        // A booking now would be the campaign's (last touch, within the attribution window).
        assert_eq!(
            frontdesk::server::db::campaigns::attributed_campaign(db, ana, Utc::now())
                .await
                .unwrap(),
            Some(id)
        );
        assert_eq!(
            frontdesk::server::db::campaigns::attributed_campaign(db, nameless, Utc::now())
                .await
                .unwrap(),
            None,
            "not delivered yet"
        );
        app.stop().await;
        test_db.cleanup().await;
    }

    async fn the_daily_limit_holds_across_campaigns_and_business_days(test_db: TestDb) {
        let graph = FakeGraph::start().await;
        // Far from UTC, so the business day is not the UTC day for most of it.
        let app = app(
            &test_db,
            &graph,
            &[
                ("CAMPAIGNS_DAILY_LIMIT", "5"),
                ("FRONTDESK_TIMEZONE", "Pacific/Kiritimati"),
            ],
        )
        .await;
        let db = &app.state.db;
        approved_template(db).await;
        let tz = chrono_tz::Pacific::Kiritimati;
        // Yesterday (business time) was full: today is a new day.
        let yesterday = business_day(tz, Utc::now() - chrono::Duration::days(1));
        sqlx::query("INSERT INTO campaign_days (day, sent) VALUES ($1, 5)")
            .bind(&yesterday)
            .execute(db.pool())
            .await
            .unwrap();
        let mut ids = Vec::new();
        for i in 0..8 {
            ids.push(campaign_contact(db, &format!("3460000020{i}"), Some("Ana"), true).await);
        }
        let admin = token(&app, Role::Admin).await;
        let (one, two) = (campaign("First", &ids[..4]), campaign("Second", &ids[4..]));
        let (first, second) = tokio::join!(launch(&app, &admin, &one), launch(&app, &admin, &two));
        eventually(10, "five messages go", || async { graph.sent().len() >= 5 }).await;
        tokio::time::sleep(StdDuration::from_millis(1500)).await;
        assert_eq!(
            graph.sent().len(),
            5,
            "never above the daily limit, with two campaigns at once"
        );
        let waiting = status_count(db, first, "scheduled").await + status_count(db, second, "scheduled").await;
        assert_eq!(waiting, 3, "the rest wait for the next day");
        let today = business_day(tz, Utc::now());
        let sent_today: i64 = sqlx::query_scalar("SELECT sent FROM campaign_days WHERE day = $1")
            .bind(&today)
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(sent_today, 5);
        let counter = campaigns::daily_counter(&app.state).await.unwrap();
        assert_eq!((counter.sent_today, counter.limit), (5, 5));
        // Each campaign with recipients left waits until tomorrow's sending hours begin.
        let tomorrow = campaigns::next_day_sending_time(tz, Utc::now(), 0).timestamp_millis();
        for id in [first, second] {
            if status_count(db, id, "scheduled").await > 0 {
                let next: i64 = sqlx::query_scalar("SELECT next_send_at FROM campaigns WHERE id = $1")
                    .bind(id)
                    .fetch_one(db.pool())
                    .await
                    .unwrap();
                assert_eq!(next, tomorrow, "campaign {id} waits for the next business day");
            }
        }
        app.stop().await;
        test_db.cleanup().await;
    }

    async fn whatsapp_errors_are_handled_per_recipient(test_db: TestDb) {
        let graph = FakeGraph::start().await;
        let app = app(&test_db, &graph, &[]).await;
        let db = &app.state.db;
        approved_template(db).await;
        let limited = campaign_contact(db, "34600000301", Some("Lim"), true).await;
        let window = campaign_contact(db, "34600000302", Some("Win"), true).await;
        let gone = campaign_contact(db, "34600000303", Some("Gon"), true).await;
        let fine = campaign_contact(db, "34600000304", Some("Fin"), true).await;
        graph.fail_for("34600000301", 400, 131049);
        graph.fail_for("34600000302", 400, 131047);
        graph.fail_for("34600000303", 400, 131026);
        let admin = token(&app, Role::Admin).await;
        let id = launch(&app, &admin, &campaign("Errors", &[limited, window, gone, fine])).await;
        eventually(10, "every recipient is settled", || async {
            status_count(db, id, "sent").await == 1
                && status_count(db, id, "failed").await == 1
                && status_count(db, id, "skipped").await == 1
        })
        .await;
        let rows = recipients(db, id).await;
        let row = |contact: i64| rows.iter().find(|r| r.0 == contact).unwrap().clone();
        assert_eq!(row(window).2.as_deref(), Some("window_closed"));
        assert!(row(gone).2.unwrap().contains("131026"));
        assert_eq!(row(limited).1, "scheduled", "131049 is tried again");
        assert!(row(limited).2.unwrap().contains("131049"));
        let retry_at: i64 = sqlx::query_scalar(
            "SELECT scheduled_at FROM campaign_recipients WHERE campaign_id = $1 AND contact_id = $2",
        )
        .bind(id)
        .bind(limited)
        .fetch_one(db.pool())
        .await
        .unwrap();
        let in_a_day = (Utc::now() + chrono::Duration::hours(23)).timestamp_millis();
        assert!(retry_at > in_a_day, "a day later");
        let counter = campaigns::daily_counter(&app.state).await.unwrap();
        assert_eq!(
            counter.sent_today, 1,
            "only what WhatsApp took counts against the limit"
        );

        // 131048: the campaign pauses, with the reason.
        let spam = campaign_contact(db, "34600000305", Some("Spa"), true).await;
        let after = campaign_contact(db, "34600000306", Some("Aft"), true).await;
        graph.fail_for("34600000305", 400, 131048);
        let mut body = campaign("Spam", &[spam, after]);
        body["min_delay_seconds"] = json!(2);
        body["max_delay_seconds"] = json!(2);
        let paused = launch(&app, &admin, &body).await;
        eventually(10, "the campaign pauses", || async {
            campaign_status(db, paused).await.0 == "paused"
        })
        .await;
        assert!(campaign_status(db, paused).await.1.unwrap().contains("131048"));
        tokio::time::sleep(StdDuration::from_millis(2500)).await;
        assert!(
            graph.sent_to("34600000306").is_empty(),
            "nothing more is sent while paused"
        );

        // Retry of failed recipients really sends again; resume continues.
        let retried = campaign_contact(db, "34600000307", Some("Ret"), true).await;
        graph.fail_next(400, 131026);
        let once = launch(&app, &admin, &campaign("Retry", &[retried])).await;
        eventually(10, "the send fails", || async {
            status_count(db, once, "failed").await == 1
        })
        .await;
        campaigns::act(&app.state, once, CampaignAction::RetryFailed, "admin")
            .await
            .unwrap();
        eventually(10, "the retry is sent", || async {
            status_count(db, once, "sent").await == 1
        })
        .await;
        assert_eq!(
            graph.sent_to("34600000307").len(),
            1,
            "it really went out (the fake keeps what it accepted)"
        );
        app.stop().await;
        test_db.cleanup().await;
    }

    async fn many_failures_pause_the_campaign(test_db: TestDb) {
        let graph = FakeGraph::start().await;
        let app = app(&test_db, &graph, &[("CAMPAIGNS_SENDS_IN_FLIGHT", "1")]).await;
        let db = &app.state.db;
        approved_template(db).await;
        let mut ids = Vec::new();
        for i in 0..40 {
            let wa = format!("346000004{i:02}");
            graph.fail_for(&wa, 400, 131026);
            ids.push(campaign_contact(db, &wa, Some("Ana"), true).await);
        }
        let admin = token(&app, Role::Admin).await;
        let id = launch(&app, &admin, &campaign("Failing", &ids)).await;
        eventually(10, "the campaign pauses itself", || async {
            campaign_status(db, id).await.0 == "paused"
        })
        .await;
        let reason = campaign_status(db, id).await.1.unwrap();
        assert!(reason.contains("failed"), "{reason}");
        assert!(status_count(db, id, "scheduled").await > 0, "it stopped before the end");
        app.stop().await;
        test_db.cleanup().await;
    }

    async fn a_crash_mid_campaign_never_sends_twice(test_db: TestDb) {
        let graph = FakeGraph::start().await;
        let extra = [("SCHEDULER_JOB_LOCK_SECONDS", "1"), ("CAMPAIGNS_SENDS_IN_FLIGHT", "4")];
        let first = app(&test_db, &graph, &extra).await;
        let db = first.state.db.clone();
        approved_template(&db).await;
        let mut ids = Vec::new();
        for i in 0..30 {
            ids.push(campaign_contact(&db, &format!("346000005{i:02}"), Some("Ana"), true).await);
        }
        let admin = token(&first, Role::Admin).await;
        let mut body = campaign("Crash", &ids);
        body["max_delay_seconds"] = json!(0);
        // After ten messages WhatsApp stops answering with sends in its hands; then the
        // process dies.
        graph.hang_after(10);
        let id = launch(&first, &admin, &body).await;
        // Four held by WhatsApp, not just four marked sending: a send answered a moment before
        // the kill would be delivered yet left for a person to check.
        eventually(10, "sends are in flight", || async {
            graph.held() == 4 && status_count(&db, id, "sending").await == 4
        })
        .await;
        first.kill().await;
        graph.hang(false);
        let sent_before = graph.sent().len();

        let second = app(&test_db, &graph, &extra).await;
        let db = second.state.db.clone();
        eventually(15, "the campaign finishes after the restart", || async {
            super::campaign_done(&db, id).await
        })
        .await;
        let mut per_number = std::collections::HashMap::<String, usize>::new();
        for message in graph.sent() {
            *per_number.entry(message.to).or_default() += 1;
        }
        assert!(
            per_number.values().all(|n| *n == 1),
            "nobody got two messages: {per_number:?}"
        );
        let unknown = status_count(&db, id, "unknown").await;
        let sent = status_count(&db, id, "sent").await;
        assert_eq!(unknown, 4, "the sends cut off by the crash wait for a person");
        assert_eq!(sent + unknown, 30, "everyone else got exactly one");
        assert_eq!(sent as usize, graph.sent().len());
        assert!(graph.sent().len() > sent_before, "the restart carried on where it was");
        second.stop().await;
        test_db.cleanup().await;
    }
    async fn staff_pause_resume_and_cancel_and_stale_campaigns_expire(test_db: TestDb) {
        let graph = FakeGraph::start().await;
        let app = app(&test_db, &graph, &[]).await;
        let db = &app.state.db;
        approved_template(db).await;
        let mut ids = Vec::new();
        for i in 0..4 {
            ids.push(campaign_contact(db, &format!("346000006{i:02}"), Some("Ana"), true).await);
        }
        let admin = token(&app, Role::Admin).await;
        // One message every second: time enough to pause after the first.
        let mut body = campaign("Controls", &ids);
        body["min_delay_seconds"] = json!(1);
        body["max_delay_seconds"] = json!(1);
        let id = launch(&app, &admin, &body).await;
        eventually(10, "the first message goes", || async { !graph.sent().is_empty() }).await;
        campaigns::act(&app.state, id, CampaignAction::Pause, "admin@frontdesk.test")
            .await
            .unwrap();
        let paused_at = graph.sent().len();
        tokio::time::sleep(StdDuration::from_millis(2500)).await;
        assert!(
            graph.sent().len() <= paused_at + 1,
            "at most the send in flight finishes while paused"
        );
        let (status, reason) = campaign_status(db, id).await;
        assert_eq!(status, "paused");
        assert!(
            reason.unwrap().contains("admin@frontdesk.test"),
            "who paused it is shown"
        );
        let error = campaigns::act(&app.state, id, CampaignAction::Pause, "admin")
            .await
            .unwrap_err();
        assert!(error.to_string().contains("cannot be paused"), "{error}");
        campaigns::act(&app.state, id, CampaignAction::Resume, "admin")
            .await
            .unwrap();
        eventually(10, "sending resumes", || async { graph.sent().len() > paused_at + 1 }).await;
        campaigns::act(&app.state, id, CampaignAction::Cancel, "admin")
            .await
            .unwrap();
        tokio::time::sleep(StdDuration::from_millis(1500)).await;
        let after_cancel = graph.sent().len();
        tokio::time::sleep(StdDuration::from_millis(1500)).await;
        assert_eq!(graph.sent().len(), after_cancel, "nothing more after a cancel");
        assert_eq!(campaign_status(db, id).await.0, "cancelled");
        assert!(
            status_count(db, id, "cancelled").await >= 1,
            "who was left is marked cancelled"
        );

        // A campaign past its expiry marks the rest expired instead of sending stale offers.
        let late = campaign_contact(db, "34600000699", Some("Late"), true).await;
        let mut body = campaign("Stale", &[late]);
        body["schedule_at"] = json!((Utc::now() + chrono::Duration::hours(1)).to_rfc3339());
        let stale = launch(&app, &admin, &body).await;
        sqlx::query("UPDATE campaigns SET expires_at = $1 WHERE id = $2")
            .bind(Utc::now().timestamp_millis() - 1)
            .bind(stale)
            .execute(db.pool())
            .await
            .unwrap();
        eventually(10, "the stale campaign expires", || async {
            status_count(db, stale, "expired").await == 1
        })
        .await;
        assert_eq!(campaign_status(db, stale).await.0, "completed");
        assert!(graph.sent_to("34600000699").is_empty());
        app.stop().await;
        test_db.cleanup().await;
    }

    async fn opt_outs_after_the_message_pause_the_campaign(test_db: TestDb) {
        let graph = FakeGraph::start().await;
        // 25 go today; the campaign is still sending (the rest wait for tomorrow).
        let app = app(&test_db, &graph, &[("CAMPAIGNS_DAILY_LIMIT", "25")]).await;
        let db = &app.state.db;
        approved_template(db).await;
        let mut ids = Vec::new();
        for i in 0..30 {
            ids.push(campaign_contact(db, &format!("346000007{i:02}"), Some("Ana"), true).await);
        }
        let admin = token(&app, Role::Admin).await;
        let id = launch(&app, &admin, &campaign("Annoying", &ids)).await;
        eventually(10, "today's messages go", || async {
            status_count(db, id, "sent").await == 25
        })
        .await;
        assert_eq!(campaign_status(db, id).await.0, "sending");
        // Two of the 25 (8 %) answer STOP; the limit is 5 %.
        let first_two: Vec<String> = graph.sent().into_iter().take(2).map(|m| m.to).collect();
        for wa in &first_two {
            let stop = frontdesk::server::whatsapp::payload::text_message_payload(
                wa,
                None,
                &format!("wamid.STOP{wa}"),
                Utc::now(),
                "STOP",
            );
            post_signed(&app, stop.to_string()).await;
        }
        eventually(10, "the campaign pauses itself", || async {
            campaign_status(db, id).await.0 == "paused"
        })
        .await;
        let reason = campaign_status(db, id).await.1.unwrap();
        assert!(reason.contains("2 of 25") && reason.contains("opted out"), "{reason}");
        app.stop().await;
        test_db.cleanup().await;
    }
}

/// Whether a campaign has nothing left to send.
async fn campaign_done(db: &Db, campaign_id: i64) -> bool {
    let status: String = sqlx::query_scalar("SELECT status FROM campaigns WHERE id = $1")
        .bind(campaign_id)
        .fetch_one(db.pool())
        .await
        .unwrap();
    status == "completed"
}
