//! A change of several writes is one transaction: when the database refuses one of them,
//! nothing of the change remains. Runs on SQLite and on PostgreSQL.

use frontdesk::on_both_test_databases;
use frontdesk::testing;

use chrono::Utc;
use frontdesk::model::{Author, Contact, Conversation, ConversationMode, DeliveryStatus, NameSource, StaffUser, WaId};
use frontdesk::server::controller::{staff, ContactEdit};
use frontdesk::server::db::conversations::{self, NewMessage};
use frontdesk::server::db::{contacts, tags, users, Backend, Db};
use testing::{test_settings, TestApp, TestDb, ADMIN_EMAIL};

on_both_test_databases!(
    a_takeover_refused_half_way_leaves_the_conversation_as_it_was,
    a_contact_edit_refused_half_way_changes_nothing,
);

/// Makes the database refuse one kind of write, as a full disk or a broken constraint would.
async fn refuse(db: &Db, name: &str, event: &str) {
    let statements: Vec<String> = match db.backend() {
        Backend::Sqlite => vec![format!(
            "CREATE TRIGGER {name} BEFORE {event} BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        )],
        Backend::Postgres => vec![
            format!(
                "CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$ \
                 LANGUAGE plpgsql"
            ),
            format!("CREATE TRIGGER {name} BEFORE {event} FOR EACH ROW EXECUTE FUNCTION {name}()"),
        ],
    };
    for statement in statements {
        sqlx::query(&statement).execute(db.pool()).await.unwrap();
    }
}

async fn allow(db: &Db, name: &str, table: &str) {
    let statement = match db.backend() {
        Backend::Sqlite => format!("DROP TRIGGER {name}"),
        Backend::Postgres => format!("DROP TRIGGER {name} ON {table}"),
    };
    sqlx::query(&statement).execute(db.pool()).await.unwrap();
}

/// An app with one customer who has written once, and the signed-in admin.
async fn customer_waiting(db: &TestDb) -> (TestApp, Conversation, StaffUser) {
    let app = TestApp::start(test_settings(&db.url, &[])).await;
    let store = &app.state.db;
    let now = Utc::now();
    let wa_id = WaId::parse("34611000111").unwrap();
    let contact = contacts::get_or_create_contact(store, &wa_id, None, now, Some(now))
        .await
        .unwrap();
    let conversation = conversations::get_or_create_conversation(store, contact.id, now)
        .await
        .unwrap();
    let hello = NewMessage::new(
        conversation.id,
        Author::Customer,
        "hello?",
        DeliveryStatus::Received,
        now,
    );
    conversations::insert_message(store, &hello).await.unwrap();
    let (admin, _) = users::find_login(store, ADMIN_EMAIL).await.unwrap().unwrap();
    let conversation = conversations::get_conversation(store, conversation.id).await.unwrap();
    (app, conversation, admin)
}

/// Everything a takeover touches: the conversation (with its contact's outcome) and its messages.
async fn everything_about(db: &Db, conversation_id: i64) -> (Conversation, Vec<String>) {
    let history = conversations::chat_history(db, conversation_id, 100).await.unwrap();
    let bodies = history.messages.iter().map(|m| m.body.clone()).collect();
    (
        conversations::get_conversation(db, conversation_id).await.unwrap(),
        bodies,
    )
}

async fn a_takeover_refused_half_way_leaves_the_conversation_as_it_was(db: TestDb) {
    let (app, conversation, admin) = customer_waiting(&db).await;
    let store = &app.state.db;
    conversations::set_needs_attention(store, conversation.id, true)
        .await
        .unwrap();
    let before = everything_about(store, conversation.id).await;

    // A takeover writes the mode, the assignment, then the attention flag (refused here),
    // the outcome and a note in the chat.
    refuse(store, "refuse_flag", "UPDATE OF needs_attention ON conversations").await;
    let refused = staff::set_mode(&app.state, conversation.id, ConversationMode::Human, &admin).await;
    assert!(refused.is_err(), "the takeover reports the refusal");
    assert_eq!(
        everything_about(store, conversation.id).await,
        before,
        "nothing of it remains"
    );

    allow(store, "refuse_flag", "conversations").await;
    let taken = staff::set_mode(&app.state, conversation.id, ConversationMode::Human, &admin)
        .await
        .unwrap();
    assert_eq!(taken.mode, ConversationMode::Human);
    assert_eq!(taken.assigned_user_id, Some(admin.id));
    assert!(!taken.needs_attention);
    let (_, messages) = everything_about(store, conversation.id).await;
    assert!(messages.last().unwrap().contains("took over"), "{messages:?}");
    app.stop().await;
    db.cleanup().await;
}

async fn contact_as_stored(db: &Db, contact: &Contact) -> (Contact, Vec<String>) {
    let tags = tags::tags_for_contact(db, contact.id).await.unwrap();
    let contact = contacts::get_contact(db, contact.id).await.unwrap();
    (contact, tags.into_iter().map(|t| t.name).collect())
}

async fn a_contact_edit_refused_half_way_changes_nothing(db: TestDb) {
    let (app, conversation, _) = customer_waiting(&db).await;
    let store = &app.state.db;
    let contact = conversation.contact;
    contacts::set_name(store, contact.id, Some("Marta"), NameSource::Customer)
        .await
        .unwrap();
    let before = contact_as_stored(store, &contact).await;

    // The name and the notes are written before the tags, which are refused.
    refuse(store, "refuse_tags", "INSERT ON contact_tags").await;
    let edit = ContactEdit {
        name: Some("Marta Ruiz".into()),
        notes: "Prefers mornings".into(),
        language: Some("es".into()),
        tags: vec!["VIP".into()],
        consent: Some(true),
    };
    assert!(staff::save_contact(&app.state, contact.id, edit.clone()).await.is_err());
    assert_eq!(contact_as_stored(store, &contact).await, before);

    allow(store, "refuse_tags", "contact_tags").await;
    staff::save_contact(&app.state, contact.id, edit).await.unwrap();
    let (saved, tags) = contact_as_stored(store, &contact).await;
    assert_eq!(saved.name.as_deref(), Some("Marta Ruiz"));
    assert_eq!(saved.notes, "Prefers mornings");
    assert_eq!(saved.language.as_deref(), Some("es"));
    assert_eq!(tags, ["VIP"]);
    app.stop().await;
    db.cleanup().await;
}
