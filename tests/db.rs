//! The storage layer against a real SQLite file and a real PostgreSQL server. Every test
//! runs on both (PostgreSQL when TEST_DATABASE_URL is set).

use frontdesk::on_both_databases;

use chrono::{Duration, TimeZone, Utc};
use frontdesk::model::{Author, ConversationFilter, ConversationMode, DeliveryStatus, NameSource, Outcome, Role, WaId};
use frontdesk::server::db::arrivals::{self, Incoming};
use frontdesk::server::db::conversations::{self, ConversationQuery, NewMessage, ReplyChanges};
use frontdesk::server::db::jobs::{self, NewJob};
use frontdesk::server::db::{contacts, demo, knowledge, tags, users, Db, DbError};

on_both_databases!(
    migrations_create_every_table_and_rerun_cleanly,
    concurrent_first_messages_create_one_contact_and_one_conversation,
    the_conversation_list_embeds_each_contact,
    the_list_searches_filters_and_pages,
    chat_history_embeds_the_contact_and_keeps_order,
    a_conversation_cannot_exist_without_its_contact,
    each_stored_message_moves_its_conversation_once,
    names_outcomes_and_opt_outs_are_stored,
    sessions_expire_and_emails_are_unique,
    signing_in_deletes_expired_sessions,
    the_demo_salon_loads_into_an_empty_database,
    closures_are_whole_days_in_date_order,
    jobs_run_once_in_lane_order_and_outlive_a_dead_worker,
    concurrent_first_messages_arrive_once_in_one_conversation,
    a_reply_is_stored_with_what_it_changed,
);

fn t(minutes: i64) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 14, 9, 0, 0).unwrap() + Duration::minutes(minutes)
}

fn wa(number: &str) -> WaId {
    WaId::parse(number).unwrap()
}

async fn say(db: &Db, conversation_id: i64, author: Author, body: &str, at: chrono::DateTime<Utc>) {
    let status = if author == Author::Customer {
        DeliveryStatus::Received
    } else {
        DeliveryStatus::Sent
    };
    conversations::insert_message(db, &NewMessage::new(conversation_id, author, body, status, at))
        .await
        .unwrap();
}

async fn count(db: &Db, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(db.pool())
        .await
        .unwrap()
}

async fn migrations_create_every_table_and_rerun_cleanly(db: &Db) {
    for table in [
        "users",
        "sessions",
        "contacts",
        "conversations",
        "messages",
        "campaigns",
        "campaign_recipients",
        "services",
        "staff",
        "staff_services",
        "business_hours",
        "faqs",
        "appointments",
        "tags",
        "contact_tags",
        "jobs",
        "closures",
        "contact_imports",
    ] {
        assert_eq!(count(db, table).await, 0, "{table} exists and starts empty");
    }
    db.migrate()
        .await
        .expect("running the migrations again changes nothing");
}

async fn concurrent_first_messages_create_one_contact_and_one_conversation(db: &Db) {
    let number = wa("34611000001");
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let db = db.clone();
            let number = number.clone();
            tokio::spawn(async move {
                let contact = contacts::get_or_create_contact(&db, &number, Some("Sara"), t(i), None)
                    .await
                    .unwrap();
                let conversation = conversations::get_or_create_conversation(&db, contact.id, t(i))
                    .await
                    .unwrap();
                (contact.id, conversation.id)
            })
        })
        .collect();
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap());
    }
    ids.dedup();
    assert_eq!(
        ids.len(),
        1,
        "every caller got the same contact and conversation: {ids:?}"
    );
    assert_eq!(count(db, "contacts").await, 1);
    assert_eq!(count(db, "conversations").await, 1);

    let contact = contacts::find_contact_by_wa_id(db, &number).await.unwrap().unwrap();
    assert_eq!(contact.last_seen_at, t(15), "last seen only moves forward");
    assert_eq!(
        contact.name, None,
        "a WhatsApp profile name is not taken as the customer's name"
    );
    assert_eq!(contact.profile_name.as_deref(), Some("Sara"));
}

/// `arrivals::store` is one statement on PostgreSQL, which may find another creating the
/// same conversation; it must still end with one contact, one conversation and each message
/// once, each counted unread once (the trigger of migration 0003).
async fn concurrent_first_messages_arrive_once_in_one_conversation(db: &Db) {
    let number = wa("34611000002");
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let db = db.clone();
            let number = number.clone();
            tokio::spawn(async move {
                let wamid = format!("wamid.arrival.{i}");
                let incoming = Incoming {
                    from: &number,
                    profile_name: Some("Sara"),
                    wa_message_id: &wamid,
                    body: "hello",
                    sent_at: t(i),
                };
                let arrival = arrivals::store(&db, &incoming, t(i)).await.unwrap();
                let message = arrival.message.expect("a new message is stored");
                assert_eq!(message.wa_message_id.as_deref(), Some(wamid.as_str()));
                assert_eq!(message.author, Author::Customer);
                assert_eq!(message.conversation_id, arrival.conversation.conversation.id);
                assert!(!arrival.campaign_waiting);
                (arrival.contact.id, arrival.conversation.conversation.id)
            })
        })
        .collect();
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one contact and one conversation for all: {ids:?}");
    assert_eq!(count(db, "contacts").await, 1);
    assert_eq!(count(db, "conversations").await, 1);
    assert_eq!(count(db, "messages").await, 16);

    let again = Incoming {
        from: &number,
        profile_name: None,
        wa_message_id: "wamid.arrival.3",
        body: "hello",
        sent_at: t(20),
    };
    let redelivered = arrivals::store(db, &again, t(20)).await.unwrap();
    assert!(redelivered.message.is_none(), "a message is stored once");
    assert_eq!(count(db, "messages").await, 16);
    assert_eq!(redelivered.conversation.conversation.unread_count, 16);
    assert_eq!(redelivered.contact.profile_name.as_deref(), Some("Sara"));
    assert_eq!(redelivered.contact.last_inbound_at, Some(t(20)));
}

async fn the_conversation_list_embeds_each_contact(db: &Db) {
    let sara = contacts::get_or_create_contact(db, &wa("34600111222"), None, t(0), None)
        .await
        .unwrap();
    contacts::set_name(db, sara.id, Some("Sara"), NameSource::Customer)
        .await
        .unwrap();
    let stranger = contacts::get_or_create_contact(db, &wa("4915112345678"), None, t(0), None)
        .await
        .unwrap();
    let sara_chat = conversations::get_or_create_conversation(db, sara.id, t(0))
        .await
        .unwrap();
    let stranger_chat = conversations::get_or_create_conversation(db, stranger.id, t(0))
        .await
        .unwrap();
    say(db, sara_chat.id, Author::Customer, "Hi, I'm Sara", t(1)).await;
    say(db, stranger_chat.id, Author::Customer, "Do you have parking?", t(2)).await;

    let page = conversations::list_conversations(
        db,
        &ConversationQuery {
            limit: 50,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let shown: Vec<(&str, Option<&str>)> = page
        .conversations
        .iter()
        .map(|c| (c.contact.display_name(), c.last_message_preview.as_deref()))
        .collect();
    assert_eq!(
        shown,
        vec![
            ("4915112345678", Some("Do you have parking?")),
            ("Sara", Some("Hi, I'm Sara"))
        ],
        "most recent first, shown by name or else number"
    );
    assert_eq!(page.conversations[1].contact.wa_id, "34600111222");
    assert_eq!(page.conversations[1].unread_count, 1);
    assert!(!page.conversations[1].needs_attention);
    assert_eq!(page.next_cursor, None);
}

async fn the_list_searches_filters_and_pages(db: &Db) {
    for i in 0..7 {
        let contact = contacts::get_or_create_contact(db, &wa(&format!("3460000000{i}")), None, t(0), None)
            .await
            .unwrap();
        contacts::set_name(db, contact.id, Some(&format!("Customer {i}")), NameSource::Staff)
            .await
            .unwrap();
        let chat = conversations::get_or_create_conversation(db, contact.id, t(0))
            .await
            .unwrap();
        say(db, chat.id, Author::Customer, "hello", t(i)).await;
        if i == 3 {
            conversations::set_mode(db, chat.id, ConversationMode::Human)
                .await
                .unwrap();
            conversations::set_needs_attention(db, chat.id, true).await.unwrap();
        }
    }
    let list = |search: &str, filter: ConversationFilter| ConversationQuery {
        search: search.into(),
        filter: Some(filter),
        after: None,
        limit: 50,
    };
    let names = |page: &frontdesk::model::ConversationPage| {
        page.conversations
            .iter()
            .map(|c| c.contact.display_name().to_string())
            .collect::<Vec<_>>()
    };

    let found = conversations::list_conversations(db, &list("customer 5", ConversationFilter::All))
        .await
        .unwrap();
    assert_eq!(names(&found), vec!["Customer 5"], "search by name ignores case");
    let found = conversations::list_conversations(db, &list("34600000002", ConversationFilter::All))
        .await
        .unwrap();
    assert_eq!(names(&found), vec!["Customer 2"], "search by number");
    let found = conversations::list_conversations(db, &list("100%", ConversationFilter::All))
        .await
        .unwrap();
    assert!(found.conversations.is_empty(), "LIKE wildcards in a search are literal");
    for odd in [r#"a" OR "b"#, "NEAR(x y)", "*:^-"] {
        let found = conversations::list_conversations(db, &list(odd, ConversationFilter::All)).await;
        assert!(
            found.unwrap().conversations.is_empty(),
            "`{odd}` is text, not query syntax"
        );
    }
    let found = conversations::list_conversations(db, &list("CUSTOMER", ConversationFilter::All))
        .await
        .unwrap();
    assert_eq!(found.conversations.len(), 7, "every contact the search names");
    let renamed = found.conversations[0].contact.id;
    contacts::set_name(db, renamed, Some("Zoë Ruiz"), NameSource::Staff)
        .await
        .unwrap();
    let found = conversations::list_conversations(db, &list("customer 6", ConversationFilter::All))
        .await
        .unwrap();
    assert!(
        found.conversations.is_empty(),
        "the old name no longer finds a renamed contact"
    );
    for search in ["zoë r", "ui"] {
        let found = conversations::list_conversations(db, &list(search, ConversationFilter::All))
            .await
            .unwrap();
        assert_eq!(names(&found), vec!["Zoë Ruiz"], "the new name does (search `{search}`)");
    }
    contacts::set_name(db, renamed, Some("Customer 6"), NameSource::Staff)
        .await
        .unwrap();
    let found = conversations::list_conversations(db, &list("", ConversationFilter::Human))
        .await
        .unwrap();
    assert_eq!(names(&found), vec!["Customer 3"]);
    let found = conversations::list_conversations(db, &list("", ConversationFilter::NeedsAttention))
        .await
        .unwrap();
    assert_eq!(names(&found), vec!["Customer 3"]);
    let found = conversations::list_conversations(db, &list("", ConversationFilter::Bot))
        .await
        .unwrap();
    assert_eq!(found.conversations.len(), 6);

    let mut seen = Vec::new();
    let mut query = ConversationQuery {
        limit: 3,
        ..Default::default()
    };
    loop {
        let page = conversations::list_conversations(db, &query).await.unwrap();
        seen.extend(names(&page));
        match page.next_cursor {
            Some(cursor) => query.after = Some(cursor),
            None => break,
        }
    }
    let expected: Vec<String> = (0..7).rev().map(|i| format!("Customer {i}")).collect();
    assert_eq!(seen, expected, "pages cover every conversation once, newest first");
}

async fn chat_history_embeds_the_contact_and_keeps_order(db: &Db) {
    let contact = contacts::get_or_create_contact(db, &wa("34600111222"), None, t(0), None)
        .await
        .unwrap();
    contacts::set_name(db, contact.id, Some("Sara"), NameSource::Customer)
        .await
        .unwrap();
    let chat = conversations::get_or_create_conversation(db, contact.id, t(0))
        .await
        .unwrap();
    say(db, chat.id, Author::Customer, "Hi", t(1)).await;
    say(db, chat.id, Author::Bot, "Hello! What's your name?", t(1)).await;
    say(db, chat.id, Author::Customer, "I'm Sara", t(2)).await;

    let history = conversations::chat_history(db, chat.id, 50).await.unwrap();
    assert_eq!(history.conversation.contact.name.as_deref(), Some("Sara"));
    assert_eq!(history.conversation.contact.id, contact.id);
    let bodies: Vec<&str> = history.messages.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(bodies, vec!["Hi", "Hello! What's your name?", "I'm Sara"]);
    assert_eq!(history.messages[1].author, Author::Bot);

    let latest = conversations::chat_history(db, chat.id, 2).await.unwrap();
    let bodies: Vec<&str> = latest.messages.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(
        bodies,
        vec!["Hello! What's your name?", "I'm Sara"],
        "the latest messages, oldest first"
    );

    let memory = conversations::history_for_contact(db, contact.id, 10).await.unwrap();
    assert_eq!(memory.len(), 3, "history is read by contact");
    let (remembered, appointments) = conversations::memory_of_contact(db, contact.id, 2).await.unwrap();
    let bodies: Vec<&str> = remembered.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(
        bodies,
        ["Hello! What's your name?", "I'm Sara"],
        "the receptionist's memory"
    );
    assert_eq!(remembered[0].author, Author::Bot);
    assert_eq!(remembered[1].created_at, t(2));
    assert!(appointments.is_empty());

    assert!(matches!(
        conversations::chat_history(db, 9999, 10).await,
        Err(DbError::NotFound("conversation"))
    ));
}

async fn each_stored_message_moves_its_conversation_once(db: &Db) {
    let contact = contacts::get_or_create_contact(db, &wa("34600111222"), None, t(0), Some(t(5)))
        .await
        .unwrap();
    assert_eq!(contact.last_inbound_at, Some(t(5)), "an inbound time opens the window");
    let chat = conversations::get_or_create_conversation(db, contact.id, t(0))
        .await
        .unwrap();
    let conversation = || async { conversations::get_conversation(db, chat.id).await.unwrap() };

    let mut hello = NewMessage::new(chat.id, Author::Customer, "Hello", DeliveryStatus::Received, t(5));
    hello.wa_message_id = Some("wamid.ONE");
    assert!(conversations::insert_inbound_message(db, &hello)
        .await
        .unwrap()
        .is_some());
    say(db, chat.id, Author::Bot, "Hi! What's your name?", t(6)).await;
    let moved = conversation().await;
    assert_eq!(moved.unread_count, 1, "only customer messages count as unread");
    assert_eq!(moved.last_activity_at, t(6));
    assert_eq!(moved.last_message_preview.as_deref(), Some("Hi! What's your name?"));

    let again = conversations::insert_inbound_message(db, &hello).await.unwrap();
    assert!(again.is_none(), "a redelivered message is not stored twice");
    assert_eq!(conversation().await.unread_count, 1, "nor counted twice");
    assert_eq!(count(db, "messages").await, 2);

    // A late message (sent earlier, stored now) never moves the activity time back; the
    // preview keeps the first 120 characters, whatever their size in bytes.
    let long = "é".repeat(130);
    say(db, chat.id, Author::Customer, &long, t(2)).await;
    let late = conversation().await;
    assert_eq!(late.last_activity_at, t(6));
    assert_eq!(late.last_message_preview, Some("é".repeat(120)));
    assert_eq!(late.unread_count, 2);

    let later = contacts::get_or_create_contact(db, &wa("34600111222"), None, t(9), Some(t(3)))
        .await
        .unwrap();
    assert_eq!(later.last_inbound_at, Some(t(5)), "the window never moves back");
}

async fn a_conversation_cannot_exist_without_its_contact(db: &Db) {
    let result = conversations::get_or_create_conversation(db, 424242, t(0)).await;
    assert!(matches!(result, Err(DbError::MissingReference(_))), "{result:?}");
    assert_eq!(count(db, "conversations").await, 0);

    // Deleting a contact takes its conversation and messages with it.
    let contact = contacts::get_or_create_contact(db, &wa("34600111222"), None, t(0), None)
        .await
        .unwrap();
    let chat = conversations::get_or_create_conversation(db, contact.id, t(0))
        .await
        .unwrap();
    say(db, chat.id, Author::Customer, "Hi", t(1)).await;
    sqlx::query("DELETE FROM contacts WHERE id = $1")
        .bind(contact.id)
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(count(db, "conversations").await, 0);
    assert_eq!(count(db, "messages").await, 0);
}

async fn names_outcomes_and_opt_outs_are_stored(db: &Db) {
    let contact = contacts::get_or_create_contact(db, &wa("34600111222"), Some("S."), t(0), None)
        .await
        .unwrap();
    contacts::set_name(db, contact.id, Some("Sara"), NameSource::Customer)
        .await
        .unwrap();
    contacts::set_outcome(db, contact.id, Outcome::Booked, t(1))
        .await
        .unwrap();
    contacts::record_inbound(db, contact.id, t(5)).await.unwrap();
    contacts::record_inbound(db, contact.id, t(3)).await.unwrap();
    contacts::set_notes(db, contact.id, "Prefers Ana").await.unwrap();
    let stored = contacts::get_contact(db, contact.id).await.unwrap();
    assert_eq!(stored.name.as_deref(), Some("Sara"));
    assert_eq!(stored.name_source, Some(NameSource::Customer));
    assert_eq!(stored.last_outcome, Some(Outcome::Booked));
    assert_eq!(
        stored.last_inbound_at,
        Some(t(5)),
        "the 24-hour window never moves back"
    );
    assert_eq!(stored.notes, "Prefers Ana");
    assert_eq!(stored.language, None, "not known until someone says");
    contacts::set_language(db, contact.id, Some("es")).await.unwrap();
    assert_eq!(
        contacts::get_contact(db, contact.id).await.unwrap().language.as_deref(),
        Some("es")
    );

    contacts::set_opted_out(db, contact.id, true, t(6)).await.unwrap();
    let stored = contacts::get_contact(db, contact.id).await.unwrap();
    assert_eq!(stored.opted_out_at, Some(t(6)));
    assert_eq!(stored.last_outcome, Some(Outcome::OptedOut));
    contacts::set_opted_out(db, contact.id, false, t(7)).await.unwrap();
    assert_eq!(contacts::get_contact(db, contact.id).await.unwrap().opted_out_at, None);

    let vip = tags::create_tag(db, "VIP", "#b45309").await.unwrap();
    tags::tag_contact(db, contact.id, vip.id).await.unwrap();
    tags::tag_contact(db, contact.id, vip.id).await.unwrap();
    assert_eq!(tags::tags_for_contact(db, contact.id).await.unwrap(), vec![vip.clone()]);
    assert!(matches!(
        tags::create_tag(db, "VIP", "#000000").await,
        Err(DbError::Conflict(_))
    ));
    tags::untag_contact(db, contact.id, vip.id).await.unwrap();
    assert!(tags::tags_for_contact(db, contact.id).await.unwrap().is_empty());

    assert!(matches!(
        contacts::set_name(db, 31337, Some("Nobody"), NameSource::Staff).await,
        Err(DbError::NotFound("contact"))
    ));
}

async fn sessions_expire_and_emails_are_unique(db: &Db) {
    let user = users::create_user(db, "Ana@Salon.test", "Ana", Role::Agent, "hash", t(0))
        .await
        .unwrap();
    assert_eq!(user.email, "ana@salon.test");
    assert!(matches!(
        users::create_user(db, "ana@salon.test", "Ana 2", Role::Admin, "hash", t(0)).await,
        Err(DbError::Conflict(_))
    ));
    let (found, hash) = users::find_login(db, " ANA@salon.test ").await.unwrap().unwrap();
    assert_eq!((found.id, hash.as_str(), found.role), (user.id, "hash", Role::Agent));

    users::create_session(db, "token-hash", user.id, t(0), t(60))
        .await
        .unwrap();
    assert_eq!(
        users::find_session_user(db, "token-hash", t(30)).await.unwrap(),
        Some(user.clone())
    );
    assert_eq!(
        users::find_session_user(db, "token-hash", t(61)).await.unwrap(),
        None,
        "expired"
    );
    assert_eq!(users::find_session_user(db, "other", t(30)).await.unwrap(), None);
    assert_eq!(users::delete_expired_sessions(db, t(61)).await.unwrap(), 1);
}

async fn signing_in_deletes_expired_sessions(db: &Db) {
    let ana = users::create_user(db, "ana@salon.test", "Ana", Role::Agent, "hash", t(0))
        .await
        .unwrap();
    let ben = users::create_user(db, "ben@salon.test", "Ben", Role::Admin, "hash", t(0))
        .await
        .unwrap();
    users::create_session(db, "ana-old", ana.id, t(0), t(60)).await.unwrap();
    users::create_session(db, "ana-current", ana.id, t(0), t(600))
        .await
        .unwrap();
    users::create_session(db, "ben-ends-now", ben.id, t(0), t(90))
        .await
        .unwrap();
    assert_eq!(count(db, "sessions").await, 3);

    users::create_session(db, "ben-new", ben.id, t(90), t(900))
        .await
        .unwrap();
    let mut left: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM sessions")
        .fetch_all(db.pool())
        .await
        .unwrap();
    left.sort();
    assert_eq!(left, ["ana-current", "ben-new"], "expired sessions, anyone's, are gone");
    assert_eq!(
        users::find_session_user(db, "ana-current", t(90))
            .await
            .unwrap()
            .map(|u| u.id),
        Some(ana.id),
        "a live session stays"
    );
}

async fn the_demo_salon_loads_into_an_empty_database(db: &Db) {
    assert!(demo::database_is_empty(db).await.unwrap());
    demo::load_demo_salon(db, chrono_tz::Europe::Madrid, Utc::now())
        .await
        .unwrap();
    assert!(!demo::database_is_empty(db).await.unwrap());

    let services = knowledge::list_services(db).await.unwrap();
    assert_eq!(services.len(), 6);
    let highlights = services.iter().find(|s| s.name == "Highlights").unwrap();
    assert_eq!(highlights.aliases, "mechas, reflejos");
    let closures = knowledge::list_closures(db).await.unwrap();
    let reasons: Vec<&str> = closures.iter().map(|c| c.reason.as_str()).collect();
    assert_eq!(reasons, ["Christmas", "New Year's Day"]);
    assert_eq!((closures[0].ends_on - closures[0].starts_on).num_days(), 1);
    assert_eq!(knowledge::list_staff(db).await.unwrap().len(), 3);
    assert!(
        knowledge::list_business_hours(db)
            .await
            .unwrap()
            .iter()
            .all(|h| h.weekday != 6),
        "closed on Sunday"
    );
    assert!(knowledge::list_faqs(db).await.unwrap().len() >= 4);

    let page = conversations::list_conversations(
        db,
        &ConversationQuery {
            limit: 50,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let marco = page
        .conversations
        .iter()
        .find(|c| c.contact.name.as_deref() == Some("Marco Rossi"))
        .unwrap();
    assert!(marco.needs_attention);
    let priya = page
        .conversations
        .iter()
        .find(|c| c.contact.name.as_deref() == Some("Priya Shah"))
        .unwrap();
    assert_eq!(priya.mode, ConversationMode::Human);
    let sara = page
        .conversations
        .iter()
        .find(|c| c.contact.name.as_deref() == Some("Sara López"))
        .unwrap();
    assert_eq!(sara.contact.language.as_deref(), Some("es"));
    assert_eq!(priya.contact.language, None);
    let visits = knowledge::appointments_for_contact(db, sara.contact.id).await.unwrap();
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].staff_name, "Ana García");
    let (history, appointments) = conversations::memory_of_contact(db, sara.contact.id, 50).await.unwrap();
    let chat = conversations::history_for_contact(db, sara.contact.id, 50)
        .await
        .unwrap();
    assert!(!history.is_empty());
    assert_eq!(
        history
            .iter()
            .map(|m| (m.id, &m.body, m.author, m.status))
            .collect::<Vec<_>>(),
        chat.iter()
            .map(|m| (m.id, &m.body, m.author, m.status))
            .collect::<Vec<_>>(),
        "the receptionist remembers the chat as the inbox shows it"
    );
    assert_eq!(appointments.len(), 1);
    assert_eq!(
        (
            appointments[0].id,
            &appointments[0].service_name,
            appointments[0].starts_at,
            appointments[0].status
        ),
        (
            visits[0].id,
            &visits[0].service_name,
            visits[0].starts_at,
            visits[0].status
        )
    );
}

async fn closures_are_whole_days_in_date_order(db: &Db) {
    let day = |month, day| chrono::NaiveDate::from_ymd_opt(2026, month, day).unwrap();
    knowledge::insert_closure(db, day(12, 25), day(12, 26), "Christmas")
        .await
        .unwrap();
    knowledge::insert_closure(db, day(8, 15), day(8, 15), "Assumption")
        .await
        .unwrap();
    let refused = knowledge::insert_closure(db, day(5, 2), day(5, 1), "Backwards").await;
    assert!(refused.is_err(), "an end before the start is refused: {refused:?}");
    let closures = knowledge::list_closures(db).await.unwrap();
    let spans: Vec<_> = closures
        .iter()
        .map(|c| (c.starts_on, c.ends_on, c.reason.as_str()))
        .collect();
    assert_eq!(
        spans,
        [
            (day(8, 15), day(8, 15), "Assumption"),
            (day(12, 25), day(12, 26), "Christmas")
        ]
    );
}

async fn jobs_run_once_in_lane_order_and_outlive_a_dead_worker(db: &Db) {
    let job = |key: &str, lane: Option<&str>| NewJob {
        kind: "test",
        payload: format!("\"{key}\""),
        dedupe_key: Some(key.to_string()),
        lane: lane.map(str::to_string),
        run_at: t(0),
        max_attempts: 2,
    };
    let added = jobs::enqueue(
        db,
        &[
            job("a", Some("x")),
            job("b", Some("x")),
            job("c", None),
            job("a", Some("x")),
        ],
        t(0),
    )
    .await
    .unwrap();
    assert_eq!(added, 3, "a second job with the same key is not added");
    assert_eq!(jobs::oldest_due(db, t(-1)).await.unwrap(), None, "nothing due yet");
    assert_eq!(jobs::oldest_due(db, t(1)).await.unwrap(), Some(t(0)));
    let names = |claimed: &[jobs::Job]| {
        claimed
            .iter()
            .map(|j| j.payload.trim_matches('"').to_string())
            .collect::<Vec<_>>()
    };

    let claimed = jobs::claim_due(db, t(1), t(2), 10, true).await.unwrap();
    assert_eq!(
        names(&claimed),
        vec!["a", "c"],
        "b waits for a, the earlier job of its lane"
    );
    assert!(
        jobs::claim_due(db, t(1), t(2), 10, true).await.unwrap().is_empty(),
        "a claimed job is not claimed twice"
    );
    jobs::complete(db, &[claimed[1].id], t(1)).await.unwrap();
    assert_eq!(jobs::oldest_due(db, t(1)).await.unwrap(), Some(t(0)), "b still waits");

    // a's worker died: once its lock expires, a is taken up again, still before b.
    let again = jobs::claim_due(db, t(3), t(4), 10, true).await.unwrap();
    assert_eq!(names(&again), vec!["a"]);
    assert_eq!(again[0].attempts, 2);
    jobs::complete(db, &[again[0].id], t(3)).await.unwrap();

    let b = jobs::claim_due(db, t(3), t(4), 10, true).await.unwrap();
    assert_eq!(names(&b), vec!["b"]);
    assert!(
        !jobs::retry_or_fail(db, &b[0], "AI down", t(10), t(3)).await.unwrap(),
        "one attempt left"
    );
    assert!(
        jobs::claim_due(db, t(5), t(6), 10, true).await.unwrap().is_empty(),
        "not due before its retry time"
    );
    let b = jobs::claim_due(db, t(10), t(11), 10, true).await.unwrap();
    assert!(
        jobs::retry_or_fail(db, &b[0], "AI down", t(20), t(10)).await.unwrap(),
        "out of attempts"
    );
    assert_eq!(
        jobs::counts(db).await.unwrap(),
        vec![("done".to_string(), 2), ("failed".to_string(), 1)]
    );
    assert_eq!(jobs::oldest_due(db, t(30)).await.unwrap(), None, "nothing waits");
    assert_eq!(jobs::due_count(db, t(30)).await.unwrap(), 0);

    // Finished jobs are forgotten once long done (c finished at 1, a at 3); failed ones stay.
    assert_eq!(jobs::forget_done(db, t(2), 100).await.unwrap(), 1);
    assert_eq!(
        jobs::counts(db).await.unwrap(),
        vec![("done".to_string(), 1), ("failed".to_string(), 1)]
    );
    assert_eq!(jobs::forget_done(db, t(60), 100).await.unwrap(), 1);
    assert_eq!(jobs::counts(db).await.unwrap(), vec![("failed".to_string(), 1)]);
    assert_eq!(
        jobs::enqueue(db, &[job("c", None), job("b", Some("x"))], t(60))
            .await
            .unwrap(),
        1,
        "a forgotten job's key is free again; a failed job's is not"
    );
}

async fn a_reply_is_stored_with_what_it_changed(db: &Db) {
    let contact = contacts::get_or_create_contact(db, &wa("34600111333"), None, t(0), None)
        .await
        .unwrap();
    let conversation = conversations::get_or_create_conversation(db, contact.id, t(0))
        .await
        .unwrap();
    let reply = |body: &'static str| NewMessage::new(conversation.id, Author::Bot, body, DeliveryStatus::Pending, t(1));
    let plain = conversations::insert_reply(db, &reply("Hello"), ReplyChanges::default())
        .await
        .unwrap();
    assert_eq!(plain.body, "Hello");

    let changes = ReplyChanges {
        flow_state: Some(r#"{"name_asks":1}"#),
        language: Some((contact.id, "es")),
    };
    let stored = conversations::insert_reply(db, &reply("Hola"), changes).await.unwrap();
    assert_eq!((stored.body.as_str(), stored.author), ("Hola", Author::Bot));
    let state = conversations::get_conversation_state(db, conversation.id)
        .await
        .unwrap();
    assert_eq!(state.flow_state, r#"{"name_asks":1}"#);
    assert_eq!(
        state.conversation.last_message_preview.as_deref(),
        Some("Hola"),
        "the reply still moves its conversation"
    );
    assert_eq!(
        contacts::get_contact(db, contact.id).await.unwrap().language.as_deref(),
        Some("es")
    );

    let only_flow = ReplyChanges {
        flow_state: Some("{}"),
        language: None,
    };
    conversations::insert_reply(db, &reply("Again"), only_flow)
        .await
        .unwrap();
    let state = conversations::get_conversation_state(db, conversation.id)
        .await
        .unwrap();
    assert_eq!(state.flow_state, "{}");
    let only_language = ReplyChanges {
        flow_state: None,
        language: Some((contact.id, "en")),
    };
    conversations::insert_reply(db, &reply("Hi"), only_language)
        .await
        .unwrap();
    assert_eq!(
        contacts::get_contact(db, contact.id).await.unwrap().language.as_deref(),
        Some("en")
    );
    assert_eq!(
        conversations::get_conversation_state(db, conversation.id)
            .await
            .unwrap()
            .flow_state,
        "{}"
    );
}
