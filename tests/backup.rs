//! `frontdesk backup PATH`: a consistent copy of a live SQLite database that opens and holds
//! every message; a clear refusal where it cannot help (PostgreSQL, an existing file).

use std::process::Command;
use std::time::{Duration, Instant};

use chrono::Utc;
use frontdesk::model::{Author, DeliveryStatus, WaId};
use frontdesk::server::config::DatabaseUrl;
use frontdesk::server::db::conversations::{self, NewMessage};
use frontdesk::server::db::{contacts, Db};
use frontdesk::testing::{test_settings, TestApp, TestDb};

/// A fresh folder for backup files.
fn folder(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("frontdesk-backup-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn backup(database_url: &str, path: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_frontdesk"))
        .arg("backup")
        .arg(path)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs")
}

async fn messages(db: &Db) -> (i64, Option<String>) {
    sqlx::query_as("SELECT COUNT(*), MAX(body) FROM messages")
        .fetch_one(db.pool())
        .await
        .unwrap()
}

/// The conversation of a new customer with this number.
async fn conversation_of(db: &Db, number: &str) -> i64 {
    let wa_id = WaId::parse(number).unwrap();
    let contact = contacts::get_or_create_contact(db, &wa_id, None, Utc::now(), Some(Utc::now()))
        .await
        .unwrap();
    conversations::get_or_create_conversation(db, contact.id, Utc::now())
        .await
        .unwrap()
        .id
}

/// The customer's `n`th message: "message 000n".
async fn write_message(db: &Db, conversation_id: i64, n: u32) {
    let body = format!("message {n:06}");
    let message = NewMessage::new(
        conversation_id,
        Author::Customer,
        &body,
        DeliveryStatus::Received,
        Utc::now(),
    );
    conversations::insert_message(db, &message).await.unwrap();
}

async fn open(path: &std::path::Path) -> Db {
    let url = DatabaseUrl::parse(&format!("sqlite://{}", path.display())).unwrap();
    Db::connect(&url, 1).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_live_database_is_copied_whole_and_the_copy_opens() {
    let test_db = TestDb::sqlite().await;
    let app = TestApp::start(test_settings(&test_db.url, &[])).await;
    let db = app.state.db.clone();
    let conversation = conversation_of(&db, "34600990001").await;

    // Customers keep writing while the backup is taken.
    let writer = {
        let db = db.clone();
        tokio::spawn(async move {
            let until = Instant::now() + Duration::from_millis(1500);
            let mut n = 0u32;
            while Instant::now() < until {
                n += 1;
                write_message(&db, conversation, n).await;
            }
            n
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let dir = folder("live");
    let during = dir.join("during.db");
    let before = messages(&db).await.0;
    let out = backup(&test_db.url, &during);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("backed up to"));
    let written = writer.await.unwrap();
    assert!(written > 10);
    let copy = open(&during).await;
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(copy.pool())
        .await
        .unwrap();
    assert_eq!(integrity, "ok");
    let (in_copy, _) = messages(&copy).await;
    assert!(
        in_copy >= before && in_copy <= messages(&db).await.0,
        "one moment's snapshot"
    );
    copy.close().await;

    // Taken when writing has stopped, the copy holds every message.
    let after = dir.join("after.db");
    let out = backup(&test_db.url, &after);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let copy = open(&after).await;
    assert_eq!(messages(&copy).await, messages(&db).await);
    copy.close().await;

    // Nothing is overwritten.
    let out = backup(&test_db.url, &after);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    app.stop().await;
    test_db.cleanup().await;
    std::fs::remove_dir_all(dir).unwrap();
}

/// PostgreSQL: the binary points to PostgreSQL's own tools, and the README's commands for
/// them (`pg_dump --format=custom`, `pg_restore --clean`) make a copy that holds every message.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_is_backed_up_with_its_own_tools() {
    let Some(test_db) = TestDb::postgres().await else {
        return;
    };
    let dir = folder("pg");
    let out = backup(&test_db.url, &dir.join("pg.db"));
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("pg_dump"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let app = TestApp::start(test_settings(&test_db.url, &[])).await;
    let db = app.state.db.clone();
    let conversation = conversation_of(&db, "34600990002").await;
    for n in 0..50 {
        write_message(&db, conversation, n).await;
    }
    let dump = dir.join("frontdesk.dump");
    let out = Command::new("pg_dump")
        .arg("--format=custom")
        .arg(format!("--file={}", dump.display()))
        .arg(&test_db.url)
        .output()
        .expect("pg_dump (PostgreSQL's client tools) is installed");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    app.stop().await;

    let restored = TestDb::postgres().await.unwrap();
    let out = Command::new("pg_restore")
        .arg("--clean")
        .arg(format!("--dbname={}", restored.url))
        .arg(&dump)
        .output()
        .expect("pg_restore is installed");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(messages(&restored.db).await, messages(&test_db.db).await);
    let ours: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE body LIKE 'message 0000%'")
        .fetch_one(restored.db.pool())
        .await
        .unwrap();
    assert_eq!(ours, 50, "every message written before the dump");
    restored.cleanup().await;
    test_db.cleanup().await;
    std::fs::remove_dir_all(dir).unwrap();
}
