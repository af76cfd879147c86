//! WhatsApp message templates: the library on both databases, the sync from a fake Graph
//! over real HTTP on loopback, the template wire format and WhatsApp's send errors, and the
//! inbox's template send over the app's HTTP interface.

use frontdesk::on_both_databases;
use std::time::Duration;

use chrono::Utc;
use frontdesk::model::MessageTemplate;
use frontdesk::server::config::{Secret, WhatsAppSettings};
use frontdesk::server::db::templates::{self, SyncReport, TemplateDefinition};
use frontdesk::server::db::{demo, users, Db, DbError};
use frontdesk::server::whatsapp::sender::{SendError, Sender, TemplateMessage};
use frontdesk::server::whatsapp::templates::{TemplateSource, TemplateSyncError};
use frontdesk::testing::fakes::{graph_template, FakeGemini, FakeGraph, SentTemplate};
use frontdesk::testing::rig::{Brain, Rig};
use frontdesk::testing::{TestDb, ADMIN_EMAIL, ADMIN_PASSWORD};
use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::json;

on_both_databases!(
    a_sync_replaces_the_library_and_keeps_what_campaigns_refer_to,
    approved_templates_are_found_by_name_and_language,
    the_demo_has_approved_templates_and_a_pending_one,
    graph_templates_are_read_page_by_page_and_stored,
);

fn definition(name: &str, language: &str, status: &str, body: &str, parameters: &[&str]) -> TemplateDefinition {
    TemplateDefinition {
        name: name.into(),
        language: language.into(),
        category: "MARKETING".into(),
        status: status.into(),
        body: body.into(),
        parameters: parameters.iter().map(|p| p.to_string()).collect(),
    }
}

async fn replace(db: &Db, list: Vec<TemplateDefinition>) -> SyncReport {
    db.transaction(move |tx| Box::pin(async move { templates::replace_templates(tx, &list, Utc::now()).await }))
        .await
        .unwrap()
}

fn names(list: &[MessageTemplate]) -> Vec<String> {
    list.iter()
        .map(|t| format!("{}/{}/{}", t.name, t.language, t.status))
        .collect()
}

/// A campaign row that refers to `template_id`.
async fn campaign_using(db: &Db, template_id: i64) {
    let user = users::create_user(
        db,
        "m@example.com",
        "M",
        frontdesk::model::Role::Marketer,
        "x",
        Utc::now(),
    )
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO campaigns (name, message_text, template_id, name_fallback, audience, recency_days, \
         excluded_outcomes, min_delay_seconds, max_delay_seconds, sending_from_minute, sending_until_minute, \
         attribution_days, status, disclaimer_accepted_by, disclaimer_accepted_at, created_at, starts_at, \
         expires_at, next_send_at) \
         VALUES ('c', 'Hi', $1, 'there', '{}', 7, '', 20, 90, 540, 1200, 7, 'sending', $2, 0, 0, 0, 0, 0)",
    )
    .bind(template_id)
    .bind(user.id)
    .execute(db.pool())
    .await
    .unwrap();
}

async fn a_sync_replaces_the_library_and_keeps_what_campaigns_refer_to(db: &Db) {
    let report = replace(
        db,
        vec![
            definition("offer", "en", "APPROVED", "Hi {{customer_name}}", &["customer_name"]),
            definition("offer", "es", "APPROVED", "Hola {{customer_name}}", &["customer_name"]),
            definition("reminder", "en", "APPROVED", "Hi {{1}}", &["1"]),
            definition("old", "en", "APPROVED", "Old offer", &[]),
        ],
    )
    .await;
    assert_eq!(report.stored, 4);
    let old = templates::list_templates(db)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.name == "old")
        .unwrap();
    campaign_using(db, old.id).await;

    let report = replace(
        db,
        vec![
            definition(
                "offer",
                "en",
                "APPROVED",
                "Hi {{customer_name}}, new text",
                &["customer_name"],
            ),
            definition("fresh", "en", "PENDING", "Soon", &[]),
        ],
    )
    .await;
    assert_eq!(
        report,
        SyncReport {
            stored: 2,
            removed: 2,
            retired: 1
        }
    );
    let list = templates::list_templates(db).await.unwrap();
    assert_eq!(
        names(&list),
        ["fresh/en/PENDING", "offer/en/APPROVED", "old/en/DELETED"],
        "gone from Graph: removed, or DELETED while a campaign refers to it"
    );
    assert_eq!(list[1].body, "Hi {{customer_name}}, new text", "updated in place");
    assert_eq!(list[2].id, old.id, "the campaign still finds its template");
    assert!(templates::find_approved(db, "old", &["en"]).await.unwrap().is_none());
}

async fn approved_templates_are_found_by_name_and_language(db: &Db) {
    replace(
        db,
        vec![
            definition("offer", "en_US", "APPROVED", "Hi {{customer_name}}", &["customer_name"]),
            definition("offer", "es", "APPROVED", "Hola {{customer_name}}", &["customer_name"]),
            definition("offer", "fr", "REJECTED", "Salut {{customer_name}}", &["customer_name"]),
            definition("draft", "en", "PENDING", "Soon", &[]),
        ],
    )
    .await;
    let find = |languages: &'static [&'static str]| async move {
        templates::find_approved(db, "offer", languages)
            .await
            .unwrap()
            .map(|t| t.language)
    };
    assert_eq!(find(&["es"]).await.as_deref(), Some("es"));
    assert_eq!(find(&["en"]).await.as_deref(), Some("en_US"), "en finds en_US");
    assert_eq!(
        find(&["fr", "es"]).await.as_deref(),
        Some("es"),
        "a rejected one is skipped"
    );
    assert!(find(&["de"]).await.is_some(), "else any approved language");
    assert!(templates::find_approved(db, "draft", &["en"]).await.unwrap().is_none());
    assert!(templates::find_approved(db, "nothing", &["en"])
        .await
        .unwrap()
        .is_none());

    let es = templates::find_approved(db, "offer", &["es"]).await.unwrap().unwrap();
    assert_eq!(templates::get_template(db, es.id).await.unwrap(), es);
    assert!(matches!(
        templates::get_template(db, es.id + 1000).await,
        Err(DbError::NotFound("template"))
    ));
}

async fn the_demo_has_approved_templates_and_a_pending_one(db: &Db) {
    db.transaction(|tx| Box::pin(async move { demo::load_demo_templates(tx, Utc::now()).await }))
        .await
        .unwrap();
    let list = templates::list_templates(db).await.unwrap();
    assert_eq!(
        names(&list),
        [
            "appointment_reminder/en/APPROVED",
            "seasonal_offer/en/APPROVED",
            "seasonal_offer/es/APPROVED",
            "we_miss_you/en/PENDING",
        ]
    );
    let offer = templates::find_approved(db, "seasonal_offer", &["es"])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(offer.parameters, ["customer_name"]);
    assert!(offer.render("Sara").starts_with("Hola Sara,"), "{}", offer.body);
    let reminder = &list[0];
    assert_eq!(
        (reminder.category.as_str(), reminder.parameters.as_slice()),
        ("UTILITY", &["1".to_string()][..])
    );
    assert!(reminder.render("Ana").starts_with("Hi Ana,"));
    assert!(!list[3].is_approved());
    assert!(templates::find_approved(db, "we_miss_you", &["en"])
        .await
        .unwrap()
        .is_none());
}

fn whatsapp_settings(base: &str, business_account_id: Option<&str>) -> WhatsAppSettings {
    WhatsAppSettings {
        verify_token: None,
        app_secret: None,
        access_token: Some(Secret::new("graph-token")),
        phone_number_id: Some("1098765".into()),
        business_account_id: business_account_id.map(str::to_string),
        api_base: base.into(),
        api_version: "v23.0".into(),
        pair_interval: Duration::ZERO,
        messages_per_second: 1000,
    }
}

async fn graph_templates_are_read_page_by_page_and_stored(db: &Db) {
    let graph = FakeGraph::start().await;
    let mut list = vec![
        graph_template(
            "seasonal_offer",
            "en_US",
            "MARKETING",
            "APPROVED",
            "Hi {{customer_name}}, 20% off colour. {{customer_name}}, reply to book with {{stylist}}!",
        ),
        graph_template(
            "appointment_reminder",
            "en_US",
            "UTILITY",
            "APPROVED",
            "Hi {{1}}, see you on {{2}} at {{3}}.",
        ),
    ];
    list.extend((0..103).map(|i| graph_template(&format!("filler_{i:03}"), "es", "MARKETING", "PENDING", "Hola")));
    graph.set_templates(list);
    let source =
        TemplateSource::from_settings(&whatsapp_settings(&graph.base, Some("7654321")), reqwest::Client::new())
            .unwrap();

    let report = source.sync(db).await.unwrap();
    assert_eq!(report.stored, 105, "both pages");
    let requests = graph.template_requests();
    assert_eq!(requests.len(), 2, "100 a page, then the `next` link");
    for request in &requests {
        assert_eq!(request.path, "/v23.0/7654321/message_templates");
        assert_eq!(request.authorization, "Bearer graph-token");
        assert_eq!(
            request.query["fields"],
            "name,language,category,status,components,parameter_format"
        );
        assert_eq!(request.query["limit"], "100");
    }
    let stored = templates::list_templates(db).await.unwrap();
    let offer = stored.iter().find(|t| t.name == "seasonal_offer").unwrap();
    assert_eq!(offer.parameters, ["customer_name", "stylist"], "in order, once each");
    assert_eq!(
        (offer.language.as_str(), offer.category.as_str(), offer.status.as_str()),
        ("en_US", "MARKETING", "APPROVED")
    );
    assert!(
        offer.body.starts_with("Hi {{customer_name}}, 20% off"),
        "the BODY component only"
    );
    let reminder = stored.iter().find(|t| t.name == "appointment_reminder").unwrap();
    assert_eq!(reminder.parameters, ["1", "2", "3"]);

    // A refused list changes nothing and says why, without the token or the account's URL.
    graph.fail_templates_next(401, 190);
    let error = source.sync(db).await.unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, TemplateSyncError::Refused(_)), "{message}");
    assert!(message.contains("190"), "{message}");
    assert!(
        !message.contains("graph-token") && !message.contains("7654321") && !message.contains("127.0.0.1"),
        "{message}"
    );
    assert_eq!(templates::list_templates(db).await.unwrap().len(), 105);
}

#[tokio::test]
async fn template_sync_failures_are_clear_and_hold_no_secrets() {
    // Nothing listens on port 9 of loopback.
    let source = TemplateSource::from_settings(
        &whatsapp_settings("http://127.0.0.1:9", Some("7654321")),
        reqwest::Client::new(),
    )
    .unwrap();
    let error = source.fetch().await.unwrap_err();
    assert!(matches!(error, TemplateSyncError::Unreachable(_)), "{error}");
    assert!(!error.to_string().contains("7654321") && !error.to_string().contains("127.0.0.1"));

    let outbox = WhatsAppSettings {
        access_token: None,
        ..whatsapp_settings("http://127.0.0.1:9", Some("7654321"))
    };
    let error = TemplateSource::from_settings(&outbox, reqwest::Client::new()).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("With the WhatsApp outbox the demo templates are used"),
        "{error}"
    );
    let error =
        TemplateSource::from_settings(&whatsapp_settings("http://x", None), reqwest::Client::new()).unwrap_err();
    assert!(error.to_string().contains("WHATSAPP_BUSINESS_ACCOUNT_ID"), "{error}");
}

fn offer(body: &str, parameters: &[&str]) -> MessageTemplate {
    MessageTemplate {
        id: 1,
        name: "seasonal_offer".into(),
        language: "en".into(),
        category: "MARKETING".into(),
        status: "APPROVED".into(),
        body: body.into(),
        parameters: parameters.iter().map(|p| p.to_string()).collect(),
    }
}

#[tokio::test]
async fn template_sends_reach_graph_in_its_wire_format() {
    let graph = FakeGraph::start().await;
    let sender = Sender::from_settings(&whatsapp_settings(&graph.base, None), reqwest::Client::new(), None);
    let named = TemplateMessage::with_name(&offer("Hi {{customer_name}}", &["customer_name"]), "Ana").unwrap();
    let wamid = sender.send_template("34600111222", &named).await.unwrap();
    let positional = TemplateMessage::with_name(&offer("Hi {{1}}", &["1"]), "Ben").unwrap();
    sender.send_template("34600111333", &positional).await.unwrap();
    let plain = TemplateMessage::with_name(&offer("Hello", &[]), "Cy").unwrap();
    sender.send_template("34600111444", &plain).await.unwrap();

    let sent = graph.sent();
    assert_eq!(sent[0].wamid, wamid);
    assert_eq!(sent[0].path, "/v23.0/1098765/messages");
    assert_eq!(
        sent[0].request,
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "34600111222",
            "type": "template",
            "template": {
                "name": "seasonal_offer",
                "language": { "code": "en" },
                "components": [{ "type": "body", "parameters": [
                    { "type": "text", "parameter_name": "customer_name", "text": "Ana" }
                ] }]
            }
        })
    );
    let template = |to: &str, parameters: Vec<(Option<String>, String)>| {
        (
            to.to_string(),
            SentTemplate {
                name: "seasonal_offer".into(),
                language: "en".into(),
                parameters,
            },
        )
    };
    assert_eq!(
        graph.templates_sent(),
        [
            template("34600111222", vec![(Some("customer_name".into()), "Ana".into())]),
            template("34600111333", vec![(None, "Ben".into())]),
            template("34600111444", vec![]),
        ]
    );
    assert!(sent[2].request["template"].get("components").is_none());

    let outbox = Sender::Outbox.send_template("34600111222", &named).await.unwrap();
    assert!(outbox.starts_with("outbox."), "{outbox}");
}

#[tokio::test]
async fn whatsapps_send_errors_say_what_to_do() {
    let graph = FakeGraph::start().await;
    let sender = Sender::from_settings(&whatsapp_settings(&graph.base, None), reqwest::Client::new(), None);
    let named = TemplateMessage::with_name(&offer("Hi {{customer_name}}", &["customer_name"]), "Ana").unwrap();
    for (to, code, expected) in [
        ("111", 131049, SendError::MarketingLimit),
        ("222", 131048, SendError::SpamRateLimited),
        ("333", 131047, SendError::OutsideWindow),
    ] {
        graph.fail_for(to, 400, code);
        assert_eq!(sender.send_template(to, &named).await, Err(expected.clone()), "{code}");
        assert_eq!(sender.send_text(to, "hi").await, Err(expected), "{code}, text");
    }
    assert!(graph.sent().is_empty());
    assert!(
        sender.send_template("444", &named).await.is_ok(),
        "others still get theirs"
    );
}

async fn sign_in_as(rig: &Rig, email: &str) -> String {
    let response = rig
        .app
        .client
        .post(rig.app.url("/auth/login"))
        .form(&[("email", email), ("password", ADMIN_PASSWORD), ("next", "/inbox")])
        .send()
        .await
        .unwrap();
    response.headers()[SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_reach_a_closed_window_with_a_template_from_the_inbox_sqlite() {
    staff_reach_a_closed_window_with_a_template_from_the_inbox(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_reach_a_closed_window_with_a_template_from_the_inbox_postgres() {
    let Some(db) = TestDb::postgres().await else { return };
    staff_reach_a_closed_window_with_a_template_from_the_inbox(db).await;
}

/// Sara's last message is 8 days old: only a template reaches her now.
async fn staff_reach_a_closed_window_with_a_template_from_the_inbox(db: TestDb) {
    let rig = Rig::start_on(db, Brain::Offline, &[]).await;
    let db = rig.db();
    let call = |cookie: &str, path: &str, form: Vec<(&str, String)>| {
        let request = rig
            .app
            .client
            .post(rig.app.url(path))
            .header(COOKIE, cookie)
            .form(&form);
        async move {
            let response = request.send().await.unwrap();
            (response.status(), response.text().await.unwrap())
        }
    };
    let sara: i64 = sqlx::query_scalar(
        "SELECT cv.id FROM conversations cv JOIN contacts ct ON ct.id = cv.contact_id WHERE ct.name = 'Sara López'",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    let library = templates::list_templates(db).await.unwrap();
    let offer = templates::find_approved(db, "seasonal_offer", &["es"])
        .await
        .unwrap()
        .unwrap();
    let pending = library.iter().find(|t| !t.is_approved()).unwrap();

    let admin = sign_in_as(&rig, ADMIN_EMAIL).await;
    let (status, body) = call(&admin, "/api/campaigns/templates", vec![]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("seasonal_offer") && body.contains("PENDING"), "{body}");

    let (status, body) = call(
        &admin,
        "/api/inbox/reply",
        vec![("conversation_id", sara.to_string()), ("text", "hi".into())],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "free text is refused: {body}");

    // A marketer may not write to customers from the inbox.
    let marketer = sign_in_as(&rig, "marketer@frontdesk.local").await;
    let template_form = |id: i64| vec![("conversation_id", sara.to_string()), ("template_id", id.to_string())];
    let (status, body) = call(&marketer, "/api/inbox/template", template_form(offer.id)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = call(&admin, "/api/inbox/template", template_form(pending.id)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("not approved"), "{body}");
    assert!(graph_is_quiet(&rig), "nothing sent yet");

    let (status, body) = call(&admin, "/api/inbox/template", template_form(offer.id)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let message: serde_json::Value = serde_json::from_str(&body).unwrap();
    let expected = offer.render("Sara López");
    assert_eq!(message["body"], expected.as_str(), "the thread shows what Sara got");
    assert_eq!(message["author"], "staff");
    assert_eq!(message["status"], "sent");
    assert_eq!(
        rig.graph.templates_sent(),
        [(
            "34600111222".to_string(),
            SentTemplate {
                name: "seasonal_offer".into(),
                language: "es".into(),
                parameters: vec![(Some("customer_name".into()), "Sara López".into())],
            }
        )]
    );
    assert_eq!(message["wa_message_id"], rig.graph.sent()[0].wamid.as_str());
    rig.finish().await;
}

fn graph_is_quiet(rig: &Rig) -> bool {
    rig.graph.sent().is_empty()
}

/// The sync at start-up reads Graph when the business account is set; the demo's templates
/// are not loaded then.
#[tokio::test]
async fn templates_are_synced_at_start_up() {
    let graph = FakeGraph::start().await;
    graph.set_templates(vec![graph_template(
        "welcome_back",
        "en",
        "MARKETING",
        "APPROVED",
        "Welcome back {{customer_name}}",
    )]);
    let gemini = FakeGemini::start().await;
    let db = TestDb::sqlite().await;
    let settings = frontdesk::testing::rig::settings(
        &db.url,
        &graph,
        &gemini,
        Brain::Offline,
        &[("WHATSAPP_BUSINESS_ACCOUNT_ID", "7654321")],
    );
    let app = frontdesk::testing::TestApp::start(settings).await;
    let state_db = app.state.db.clone();
    frontdesk::testing::eventually(10, "the start-up sync", || {
        let db = state_db.clone();
        async move {
            let list = templates::list_templates(&db).await.unwrap();
            list.len() == 1 && list[0].name == "welcome_back"
        }
    })
    .await;
    app.stop().await;
    db.cleanup().await;
}
