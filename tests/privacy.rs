//! A customer's data on request: the export holds everything of one contact and nothing of
//! another; erasure removes all of it and nothing else, whole or not at all; and the audit log
//! records exports, erasures, takeovers, campaign launches and role changes. Runs on SQLite
//! and on PostgreSQL.

use chrono::{Duration, Utc};
use frontdesk::{on_both_databases, on_both_test_databases};
use reqwest::StatusCode;
use serde_json::json;

use frontdesk::model::{
    AuditAction, AuditEntry, AuditSubject, Author, ConversationFilter, ConversationMode, DeliveryStatus, NameSource,
    Role, StaffUser, WaId,
};
use frontdesk::server::auth::token_hash;
use frontdesk::server::controller::staff;
use frontdesk::server::db::audit::{self, Actor};
use frontdesk::server::db::conversations::{self, ConversationQuery, NewMessage};
use frontdesk::server::db::users::{self, RoleChangeError};
use frontdesk::server::db::{contacts, tags, tokens, Db, DbError};
use frontdesk::server::privacy::{self, ErasureError};
use frontdesk::testing::{test_settings, TestApp, TestDb, ADMIN_EMAIL};

on_both_test_databases!(
    an_export_holds_one_contact_and_nothing_of_another,
    erasure_removes_everything_theirs_and_nothing_else,
    erasing_a_missing_or_unconfirmed_contact_changes_nothing,
    takeovers_and_hand_backs_are_recorded,
    a_campaign_launch_is_recorded_with_its_api_token,
);

on_both_databases!(
    role_changes_are_recorded_and_the_last_admin_stays,
    two_admins_demoting_each_other_at_once_leave_one,
);

/// The app without demo data: the test's customers are the only ones.
async fn app(db: &TestDb) -> TestApp {
    TestApp::start(test_settings(&db.url, &[("FRONTDESK_DEMO_DATA", "false")])).await
}

async fn admin(db: &Db) -> StaffUser {
    users::find_login(db, ADMIN_EMAIL).await.unwrap().unwrap().0
}

/// What one seeded customer has.
struct Customer {
    contact_id: i64,
    conversation_id: i64,
    wa_id: &'static str,
    name: &'static str,
}

/// A customer with a tag, a conversation of three messages, an appointment, a campaign send,
/// and the background jobs the pipeline keeps about them.
async fn customer(db: &Db, wa_id: &'static str, name: &'static str) -> Customer {
    let now = Utc::now();
    let parsed = WaId::parse(wa_id).unwrap();
    let contact = contacts::get_or_create_contact(db, &parsed, Some(name), now, Some(now))
        .await
        .unwrap();
    contacts::set_name(db, contact.id, Some(name), NameSource::Customer)
        .await
        .unwrap();
    contacts::set_notes(db, contact.id, &format!("{name} prefers mornings"))
        .await
        .unwrap();
    tags::replace_contact_tags(db, contact.id, &["regular".to_string(), "vip".to_string()])
        .await
        .unwrap();
    let conversation = conversations::get_or_create_conversation(db, contact.id, now)
        .await
        .unwrap();
    let question = format!("Hi, this is {name}, can I book a haircut?");
    let mut inbound = NewMessage::new(
        conversation.id,
        Author::Customer,
        &question,
        DeliveryStatus::Received,
        now,
    );
    let wamid = format!("wamid.{wa_id}");
    inbound.wa_message_id = Some(&wamid);
    let inbound = conversations::insert_message(db, &inbound).await.unwrap();
    let answer = format!("Of course, {name}! Friday at 10:00?");
    let mut reply = NewMessage::new(conversation.id, Author::Bot, &answer, DeliveryStatus::Pending, now);
    reply.reply_to_message_id = Some(inbound.id);
    let reply = conversations::insert_message(db, &reply).await.unwrap();
    let note = NewMessage::new(
        conversation.id,
        Author::System,
        "Staff took over",
        DeliveryStatus::Read,
        now,
    );
    conversations::insert_message(db, &note).await.unwrap();

    sqlx::query(
        "INSERT INTO appointments (contact_id, service_id, staff_id, starts_at, ends_at, status, source, price_cents, \
         created_at) VALUES ($1, (SELECT MIN(id) FROM services), (SELECT MIN(id) FROM staff), $2, $3, 'booked', 'bot', \
         2500, $4)",
    )
    .bind(contact.id)
    .bind(now.timestamp_millis() + contact.id * 3_600_000)
    .bind(now.timestamp_millis() + contact.id * 3_600_000 + 1_800_000)
    .bind(now.timestamp_millis())
    .execute(db.pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO campaign_recipients (campaign_id, contact_id, rendered_text, status, scheduled_at, sent_at, \
         updated_at) VALUES ((SELECT MIN(id) FROM campaigns), $1, $2, 'sent', $3, $3, $3)",
    )
    .bind(contact.id)
    .bind(format!("Hi {name}, 20% off this week!"))
    .bind(now.timestamp_millis())
    .execute(db.pool())
    .await
    .unwrap();
    // The jobs `controller::jobs` makes about them: their inbound message (in their lane), a
    // booking follow-up, a holding message and a redelivery.
    let cv = conversation.id;
    let jobs = [
        (
            "inbound",
            format!(r#"{{"from":"{wa_id}","text":"{question}"}}"#),
            format!("wamid:{wamid}"),
            Some(format!("contact:{wa_id}")),
        ),
        (
            "booking_followup",
            format!(r#"{{"conversation_id":{cv},"updated_at_ms":1}}"#),
            format!("followup:{cv}:1"),
            None,
        ),
        (
            "human_hold",
            format!(r#"{{"conversation_id":{cv},"message_id":{}}}"#, inbound.id),
            format!("hold:{}", inbound.id),
            None,
        ),
        (
            "deliver",
            format!(r#"{{"conversation_id":{cv},"message_id":{}}}"#, reply.id),
            format!("deliver:{}", reply.id),
            None,
        ),
    ];
    for (kind, payload, key, lane) in jobs {
        sqlx::query(
            "INSERT INTO jobs (kind, payload, dedupe_key, lane, status, run_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'done', $5, $5, $5)",
        )
        .bind(kind)
        .bind(payload)
        .bind(key)
        .bind(lane)
        .bind(now.timestamp_millis())
        .execute(db.pool())
        .await
        .unwrap();
    }
    Customer {
        contact_id: contact.id,
        conversation_id: conversation.id,
        wa_id,
        name,
    }
}

/// A service, a staff member and a finished campaign, for the customers' appointments and
/// campaign sends.
async fn business(db: &Db) {
    let admin = admin(db).await;
    let now = Utc::now().timestamp_millis();
    for statement in [
        "INSERT INTO services (name, duration_minutes, price_cents) VALUES ('Haircut', 30, 2500)",
        "INSERT INTO staff (name) VALUES ('Marta')",
    ] {
        sqlx::query(statement).execute(db.pool()).await.unwrap();
    }
    sqlx::query(
        "INSERT INTO campaigns (name, message_text, name_fallback, audience, recency_days, excluded_outcomes, \
         min_delay_seconds, max_delay_seconds, sending_from_minute, sending_until_minute, attribution_days, status, \
         disclaimer_accepted_by, disclaimer_accepted_at, created_at, starts_at, expires_at, next_send_at, completed_at) \
         VALUES ('Spring offer', 'Hi {customer_name}, 20% off this week!', 'there', '{}', 7, 'opted_out', 0, 0, 0, 1440, \
         7, 'completed', $1, $2, $2, $2, $2, $2, $2)",
    )
    .bind(admin.id)
    .bind(now)
    .execute(db.pool())
    .await
    .unwrap();
}

/// Rows that are a customer's, per table, found by their contact, conversation, messages and
/// number.
async fn rows_of(db: &Db, c: &Customer) -> Vec<(&'static str, i64)> {
    let by_contact = |table: &'static str| {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE contact_id = $1");
        async move {
            let count: i64 = sqlx::query_scalar(&sql)
                .bind(c.contact_id)
                .fetch_one(db.pool())
                .await
                .unwrap();
            (table, count)
        }
    };
    let contacts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contacts WHERE id = $1")
        .bind(c.contact_id)
        .fetch_one(db.pool())
        .await
        .unwrap();
    let messages: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE conversation_id = $1")
        .bind(c.conversation_id)
        .fetch_one(db.pool())
        .await
        .unwrap();
    // Jobs name the customer by lane (their number), conversation or message ids.
    let jobs: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM jobs WHERE lane = $1 OR dedupe_key LIKE $2 OR payload LIKE $3 OR payload LIKE $4",
    )
    .bind(format!("contact:{}", c.wa_id))
    .bind(format!("followup:{}:%", c.conversation_id))
    .bind(format!("%\"conversation_id\":{},%", c.conversation_id))
    .bind(format!("%{}%", c.wa_id))
    .fetch_one(db.pool())
    .await
    .unwrap();
    vec![
        ("contacts", contacts),
        by_contact("conversations").await,
        ("messages", messages),
        by_contact("appointments").await,
        by_contact("campaign_recipients").await,
        by_contact("contact_tags").await,
        ("jobs", jobs),
    ]
}

/// Rows in every table a contact's data lives in, and the shared ones that must stay.
async fn totals(db: &Db) -> Vec<i64> {
    let mut totals = Vec::new();
    for table in [
        "contacts",
        "conversations",
        "messages",
        "appointments",
        "campaign_recipients",
        "contact_tags",
        "jobs",
        "tags",
        "campaigns",
        "services",
        "staff",
        "users",
        "audit_log",
    ] {
        let count: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(db.pool())
            .await
            .unwrap();
        totals.push(count);
    }
    totals
}

async fn entries(db: &Db) -> Vec<AuditEntry> {
    audit::list(db, None, 100).await.unwrap().entries
}

async fn an_export_holds_one_contact_and_nothing_of_another(test_db: TestDb) {
    let app = app(&test_db).await;
    let db = &app.state.db;
    business(db).await;
    let ana = customer(db, "34600111001", "Ana").await;
    let ben = customer(db, "34600111002", "Ben").await;
    let admin = admin(db).await;

    let data = privacy::export_contact(&app.state, ana.contact_id, &Actor::staff(&admin))
        .await
        .unwrap();
    assert_eq!(data.format, 1);
    assert_eq!(
        (data.contact.id, data.contact.wa_id.as_str()),
        (ana.contact_id, ana.wa_id)
    );
    assert_eq!(data.contact.name.as_deref(), Some("Ana"));
    assert_eq!(data.contact.notes, "Ana prefers mornings");
    assert_eq!(data.tags.len(), 2);
    assert!(data.tags.contains(&"vip".to_string()), "{:?}", data.tags);
    let conversation = data.conversation.as_ref().expect("her conversation");
    assert_eq!(conversation.id, ana.conversation_id);
    let bodies: Vec<&str> = conversation.messages.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(
        bodies,
        [
            "Hi, this is Ana, can I book a haircut?",
            "Of course, Ana! Friday at 10:00?",
            "Staff took over"
        ]
    );
    assert_eq!(data.appointments.len(), 1);
    assert_eq!(data.appointments[0].service_name, "Haircut");
    assert_eq!(data.appointments[0].contact_id, ana.contact_id);
    assert_eq!(data.campaign_sends.len(), 1);
    assert_eq!(data.campaign_sends[0].campaign_name, "Spring offer");
    assert_eq!(data.campaign_sends[0].text, "Hi Ana, 20% off this week!");

    let json = serde_json::to_string(&data).unwrap();
    for other in [ben.wa_id, ben.name, "Hi Ben"] {
        assert!(!json.contains(other), "nothing of another contact ({other}): {json}");
    }

    let recorded = entries(db).await;
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    let entry = &recorded[0];
    assert_eq!(
        (entry.action, entry.subject, entry.subject_id),
        (AuditAction::ContactExport, AuditSubject::Contact, ana.contact_id)
    );
    assert_eq!(
        (entry.actor_user_id, entry.actor_email.as_str()),
        (Some(admin.id), ADMIN_EMAIL)
    );
    assert_eq!(entry.detail, "3 messages, 1 appointments, 1 campaign sends");

    // A contact who never wrote (imported) has no conversation: the export says so.
    let imported = contacts::get_or_create_contact(db, &WaId::parse("34600111003").unwrap(), None, Utc::now(), None)
        .await
        .unwrap();
    let data = privacy::export_contact(&app.state, imported.id, &Actor::staff(&admin))
        .await
        .unwrap();
    assert!(data.conversation.is_none() && data.appointments.is_empty() && data.campaign_sends.is_empty());

    let missing = privacy::export_contact(&app.state, 999_999, &Actor::staff(&admin)).await;
    assert!(matches!(missing, Err(DbError::NotFound("contact"))), "{missing:?}");
    assert_eq!(entries(db).await.len(), 2, "a failed export records nothing");

    app.stop().await;
    test_db.cleanup().await;
}

async fn erasure_removes_everything_theirs_and_nothing_else(test_db: TestDb) {
    let app = app(&test_db).await;
    let db = &app.state.db;
    business(db).await;
    let ana = customer(db, "34600222001", "Ana").await;
    let ben = customer(db, "34600222002", "Ben").await;
    let admin = admin(db).await;
    let full = [
        ("contacts", 1),
        ("conversations", 1),
        ("messages", 3),
        ("appointments", 1),
        ("campaign_recipients", 1),
        ("contact_tags", 2),
        ("jobs", 4),
    ];
    assert_eq!(rows_of(db, &ana).await, full);
    assert_eq!(rows_of(db, &ben).await, full);
    let shared_before = totals(db).await[7..12].to_vec();

    let report = privacy::erase_contact(&app.state, ana.contact_id, "+34 600 222 001", &Actor::staff(&admin))
        .await
        .unwrap();
    assert_eq!(
        report.summary(),
        "1 conversation, 3 messages, 1 appointment, 1 campaign send, 2 tag links, 4 jobs"
    );
    let none: Vec<(&str, i64)> = full.iter().map(|(table, _)| (*table, 0)).collect();
    assert_eq!(rows_of(db, &ana).await, none, "nothing of hers is left");
    assert_eq!(rows_of(db, &ben).await, full, "nothing of his went");
    assert_eq!(
        totals(db).await[7..12],
        shared_before,
        "tags, campaigns, services, staff and users stay"
    );

    // Not found any more, not even by the inbox search.
    assert!(contacts::get_contact(db, ana.contact_id).await.is_err());
    for search in ["Ana", "222001"] {
        let query = ConversationQuery {
            search: search.into(),
            filter: Some(ConversationFilter::All),
            after: None,
            limit: 50,
        };
        let page = conversations::list_conversations(db, &query).await.unwrap();
        assert!(page.conversations.is_empty(), "{search}: {:?}", page.conversations);
    }

    let recorded = entries(db).await;
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    let entry = &recorded[0];
    assert_eq!(
        (
            entry.action,
            entry.subject,
            entry.subject_id,
            entry.actor_email.as_str()
        ),
        (
            AuditAction::ContactErase,
            AuditSubject::Contact,
            ana.contact_id,
            ADMIN_EMAIL
        )
    );
    assert_eq!(entry.detail, report.summary());
    // The audit log keeps no personal data of the customer it names.
    let log: Vec<String> = sqlx::query_as::<_, (String, String)>("SELECT detail, actor_email FROM audit_log")
        .fetch_all(db.pool())
        .await
        .unwrap()
        .into_iter()
        .map(|(detail, actor)| format!("{detail} {actor}"))
        .collect();
    for personal in ["34600222001", "222 001", "Ana", "haircut"] {
        assert!(!log.iter().any(|l| l.contains(personal)), "{personal} in {log:?}");
    }

    // The same number writing again is a new customer, with nothing of the old one.
    let again = contacts::get_or_create_contact(db, &WaId::parse(ana.wa_id).unwrap(), None, Utc::now(), None)
        .await
        .unwrap();
    assert_ne!(again.id, ana.contact_id);
    assert_eq!((again.name, again.notes), (None, String::new()));

    app.stop().await;
    test_db.cleanup().await;
}

async fn erasing_a_missing_or_unconfirmed_contact_changes_nothing(test_db: TestDb) {
    let app = app(&test_db).await;
    let db = &app.state.db;
    business(db).await;
    let ana = customer(db, "34600333001", "Ana").await;
    customer(db, "34600333002", "Ben").await;
    let actor = Actor::staff(&admin(db).await);
    let before = totals(db).await;

    let missing = privacy::erase_contact(&app.state, 999_999, "34600333001", &actor).await;
    assert!(
        matches!(missing, Err(ErasureError::Db(DbError::NotFound("contact")))),
        "{missing:?}"
    );
    for wrong in ["", "yes", "34600333002", "34600333001 or 1=1"] {
        let refused = privacy::erase_contact(&app.state, ana.contact_id, wrong, &actor).await;
        assert!(
            matches!(refused, Err(ErasureError::NotConfirmed)),
            "{wrong}: {refused:?}"
        );
    }
    assert_eq!(totals(db).await, before, "nothing erased, nothing recorded");

    app.stop().await;
    test_db.cleanup().await;
}

async fn takeovers_and_hand_backs_are_recorded(test_db: TestDb) {
    let app = app(&test_db).await;
    let db = &app.state.db;
    business(db).await;
    let ana = customer(db, "34600444001", "Ana").await;
    let admin = admin(db).await;
    let agent = users::create_user(db, "agent@frontdesk.test", "Alex Agent", Role::Agent, "x", Utc::now())
        .await
        .unwrap();

    staff::set_mode(&app.state, ana.conversation_id, ConversationMode::Human, &agent)
        .await
        .unwrap();
    // Taking over what is already taken over changes nothing, and records nothing.
    staff::set_mode(&app.state, ana.conversation_id, ConversationMode::Human, &admin)
        .await
        .unwrap();
    staff::set_mode(&app.state, ana.conversation_id, ConversationMode::Bot, &admin)
        .await
        .unwrap();

    let recorded: Vec<(AuditAction, AuditSubject, i64, String, String)> = entries(db)
        .await
        .into_iter()
        .map(|e| (e.action, e.subject, e.subject_id, e.actor_email, e.actor_name))
        .collect();
    let conversation = ana.conversation_id;
    assert_eq!(
        recorded,
        [
            (
                AuditAction::HandBack,
                AuditSubject::Conversation,
                conversation,
                ADMIN_EMAIL.to_string(),
                admin.display_name.clone()
            ),
            (
                AuditAction::TakeOver,
                AuditSubject::Conversation,
                conversation,
                "agent@frontdesk.test".to_string(),
                "Alex Agent".to_string()
            ),
        ],
        "newest first"
    );

    // The entry outlives the account that acted.
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(agent.id)
        .execute(db.pool())
        .await
        .unwrap();
    let kept = entries(db).await;
    assert_eq!(
        (kept[1].actor_user_id, kept[1].actor_email.as_str()),
        (None, "agent@frontdesk.test")
    );

    app.stop().await;
    test_db.cleanup().await;
}

async fn a_campaign_launch_is_recorded_with_its_api_token(test_db: TestDb) {
    let app = app(&test_db).await;
    let db = &app.state.db;
    let admin = admin(db).await;
    let now = Utc::now();
    let contact = contacts::get_or_create_contact(db, &WaId::parse("34600555001").unwrap(), None, now, Some(now))
        .await
        .unwrap();
    contacts::set_consent(db, contact.id, Some(frontdesk::model::ConsentSource::Staff), now)
        .await
        .unwrap();
    let token = "fd_test_privacy";
    tokens::create_token(db, "Booking website", &token_hash(token), admin.id, now)
        .await
        .unwrap();
    let body = json!({"name": "Summer", "text": "Hi {customer_name}, summer hours start Monday!",
        "audience": {"contact_ids": [contact.id]}, "sending_from": "00:00", "sending_until": "24:00",
        "expires_after_days": 2, "acknowledge_disclaimer": true});
    let launch = || {
        app.client
            .post(app.url("/api/campaigns/broadcast"))
            .bearer_auth(token)
            .header("Idempotency-Key", "summer-1")
            .json(&body)
            .send()
    };
    let first = launch().await.unwrap();
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    let campaign_id = first.json::<serde_json::Value>().await.unwrap()["campaign_id"]
        .as_i64()
        .unwrap();
    // The same launch again (a retry) launches nothing, and records nothing.
    assert_eq!(launch().await.unwrap().status(), StatusCode::ACCEPTED);

    let recorded = entries(db).await;
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    let entry = &recorded[0];
    assert_eq!(
        (entry.action, entry.subject, entry.subject_id),
        (AuditAction::CampaignLaunch, AuditSubject::Campaign, campaign_id)
    );
    assert_eq!(
        (entry.actor_email.as_str(), entry.api_token.as_deref()),
        (ADMIN_EMAIL, Some("Booking website"))
    );
    assert!(entry.detail.starts_with("“Summer”: audience of 1,"), "{}", entry.detail);

    app.stop().await;
    test_db.cleanup().await;
}

async fn role_changes_are_recorded_and_the_last_admin_stays(db: &Db) {
    let now = Utc::now();
    let owner = users::create_user(db, "owner@frontdesk.test", "Olivia Owner", Role::Admin, "x", now)
        .await
        .unwrap();
    let alex = users::create_user(db, "alex@frontdesk.test", "Alex", Role::Agent, "x", now)
        .await
        .unwrap();
    let by_owner = Actor::staff(&owner);

    // The only admin cannot give the role away.
    let refused = users::set_role(db, owner.id, Role::Agent, &by_owner, now).await;
    assert!(matches!(refused, Err(RoleChangeError::LastAdmin)), "{refused:?}");
    assert_eq!(users::get_user(db, owner.id).await.unwrap().role, Role::Admin);

    assert_eq!(
        users::set_role(db, alex.id, Role::Admin, &by_owner, now).await.unwrap(),
        Role::Agent
    );
    assert_eq!(users::get_user(db, alex.id).await.unwrap().role, Role::Admin);
    // The same role again changes nothing and records nothing.
    users::set_role(db, alex.id, Role::Admin, &by_owner, now).await.unwrap();
    // With two admins, one may step down; then the other is the last.
    let alex_admin = users::get_user(db, alex.id).await.unwrap();
    users::set_role(db, owner.id, Role::Marketer, &Actor::staff(&alex_admin), now)
        .await
        .unwrap();
    let refused = users::set_role(db, alex.id, Role::Agent, &Actor::staff(&alex_admin), now).await;
    assert!(matches!(refused, Err(RoleChangeError::LastAdmin)), "{refused:?}");
    let missing = users::set_role(db, 999_999, Role::Agent, &by_owner, now).await;
    assert!(
        matches!(missing, Err(RoleChangeError::Db(DbError::NotFound("user")))),
        "{missing:?}"
    );

    let recorded: Vec<(AuditAction, i64, String, String)> = entries(db)
        .await
        .into_iter()
        .map(|e| {
            assert_eq!(e.subject, AuditSubject::User);
            (e.action, e.subject_id, e.actor_email, e.detail)
        })
        .collect();
    assert_eq!(
        recorded,
        [
            (
                AuditAction::RoleChange,
                owner.id,
                "alex@frontdesk.test".to_string(),
                "owner@frontdesk.test: Admin → Marketer".to_string()
            ),
            (
                AuditAction::RoleChange,
                alex.id,
                "owner@frontdesk.test".to_string(),
                "alex@frontdesk.test: Agent → Admin".to_string()
            ),
        ]
    );
}

/// The last-admin rule holds across concurrent changes (two processes, two connections):
/// of two admins demoting each other at the same moment, exactly one succeeds.
async fn two_admins_demoting_each_other_at_once_leave_one(db: &Db) {
    let now = Utc::now() - Duration::seconds(1);
    for round in 0..5 {
        let a = users::create_user(db, &format!("a{round}@frontdesk.test"), "A", Role::Admin, "x", now)
            .await
            .unwrap();
        let b = users::create_user(db, &format!("b{round}@frontdesk.test"), "B", Role::Admin, "x", now)
            .await
            .unwrap();
        let (by_a, by_b) = (Actor::staff(&a), Actor::staff(&b));
        let (first, second) = tokio::join!(
            users::set_role(db, b.id, Role::Agent, &by_a, now),
            users::set_role(db, a.id, Role::Agent, &by_b, now),
        );
        let refused = [&first, &second]
            .iter()
            .filter(|r| matches!(r, Err(RoleChangeError::LastAdmin)))
            .count();
        assert_eq!(refused, 1, "round {round}: {first:?} {second:?}");
        let admins: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'admin'")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(admins, 1, "round {round}");
        // The one left is demoted by nobody else: reset for the next round.
        sqlx::query("UPDATE users SET role = 'agent'")
            .execute(db.pool())
            .await
            .unwrap();
    }
}
