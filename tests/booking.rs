//! A slot is booked once, whoever asks at the same moment: 50 customers ask for the same
//! staff member at the same time, through concurrent jobs of one app on SQLite, and through
//! two app processes on one PostgreSQL. Exactly one appointment results; everyone else is
//! offered other times.

use frontdesk::testing;

use chrono::{NaiveDate, Utc};
use frontdesk::server::booking::at_local;
use frontdesk::server::whatsapp::{payload, signature};
use serde_json::json;
use testing::fakes::{FakeGemini, FakeGraph};
use testing::rig::{free_port, next_friday, pipeline_env, start_process, Brain, Rig, APP_SECRET, TZ};
use testing::{eventually, TestDb};

const CUSTOMERS: usize = 50;

/// What the AI understood from each customer: Ben, men's haircut, Friday at 12:00. The
/// answers come back together (`at_once` of them), so the bookings race each other.
fn script_the_ai(gemini: &FakeGemini, friday: &str, at_once: usize) {
    gemini.answer_together(at_once);
    for _ in 0..CUSTOMERS {
        gemini.reply(json!({
            "reply": "Booked!", "intent": "BOOKING_CONFIRMED", "customer_name": null,
            "booking": { "service": "Men's haircut", "date": friday, "time": "12:00", "part_of_day": null, "staff": "Ben" }
        }));
    }
}

fn customer(i: usize) -> String {
    format!("3460050{i:04}")
}

fn webhook(i: usize) -> String {
    let text = "A men's haircut with Ben on Friday at 12:00 please";
    payload::text_message_payload(&customer(i), None, &format!("wamid.slot{i}"), Utc::now(), text).to_string()
}

/// Every customer got one answer: exactly one confirmation, and offers of other times for
/// all the others.
fn assert_one_booked_and_the_rest_offered(graph: &FakeGraph) {
    let answers: Vec<String> = (0..CUSTOMERS).flat_map(|i| graph.sent_to(&customer(i))).collect();
    assert_eq!(answers.len(), CUSTOMERS, "one answer each: {answers:#?}");
    let booked = answers.iter().filter(|a| a.starts_with("You're booked")).count();
    assert_eq!(booked, 1, "{answers:#?}");
    for answer in answers.iter().filter(|a| !a.starts_with("You're booked")) {
        assert!(
            answer.contains("is not available") && answer.contains("can offer"),
            "the others are offered another slot: {answer}"
        );
        assert!(
            !answer.contains("12:00 with Ben"),
            "the taken slot is not offered: {answer}"
        );
    }
}

async fn appointments_at_noon_on(db: &frontdesk::server::db::Db, friday: &str) -> i64 {
    let date = NaiveDate::parse_from_str(friday, "%Y-%m-%d").unwrap();
    let noon = at_local(TZ, date, 12, 0).unwrap();
    sqlx::query_scalar("SELECT COUNT(*) FROM appointments WHERE status = 'booked' AND starts_at = $1")
        .bind(noon.timestamp_millis())
        .fetch_one(db.pool())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_customers_asking_for_one_slot_at_once_get_one_appointment_on_sqlite() {
    let rig = Rig::start(Brain::Gemini, &[]).await;
    let friday = next_friday();
    // The app runs this many jobs at once (SCHEDULER_WORKERS).
    script_the_ai(&rig.gemini, &friday, 32);

    let posts = (0..CUSTOMERS).map(|i| rig.post_signed(webhook(i)));
    for response in futures_util::future::join_all(posts).await {
        assert!(response.status().is_success());
    }
    eventually(30, "an answer to every customer", || async {
        (0..CUSTOMERS).all(|i| !rig.graph.sent_to(&customer(i)).is_empty())
    })
    .await;

    assert_eq!(appointments_at_noon_on(rig.db(), &friday).await, 1);
    assert_one_booked_and_the_rest_offered(&rig.graph);
    rig.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_customers_asking_for_one_slot_through_two_processes_get_one_appointment_on_postgresql() {
    let Some(db) = TestDb::postgres().await else { return };
    let graph = FakeGraph::start().await;
    let gemini = FakeGemini::start().await;
    let friday = next_friday();
    script_the_ai(&gemini, &friday, CUSTOMERS);
    // One after the other: the first loads the demo salon into the empty database.
    let ports = [free_port(), free_port()];
    let mut first = start_process(
        env!("CARGO_BIN_EXE_frontdesk"),
        &db.url,
        ports[0],
        &pipeline_env(&graph, &gemini, Brain::Gemini),
    )
    .await;
    let mut second = start_process(
        env!("CARGO_BIN_EXE_frontdesk"),
        &db.url,
        ports[1],
        &pipeline_env(&graph, &gemini, Brain::Gemini),
    )
    .await;

    let client = reqwest::Client::new();
    let posts = (0..CUSTOMERS).map(|i| {
        let body = webhook(i);
        let url = format!("http://127.0.0.1:{}/webhook/whatsapp", ports[i % 2]);
        let signature = signature::header_for(APP_SECRET.as_bytes(), body.as_bytes());
        client
            .post(url)
            .header("content-type", "application/json")
            .header("x-hub-signature-256", signature)
            .body(body)
            .send()
    });
    for response in futures_util::future::join_all(posts).await {
        assert!(response.unwrap().status().is_success());
    }
    eventually(60, "an answer to every customer", || async {
        (0..CUSTOMERS).all(|i| !graph.sent_to(&customer(i)).is_empty())
    })
    .await;

    assert_eq!(appointments_at_noon_on(&db.db, &friday).await, 1);
    assert_one_booked_and_the_rest_offered(&graph);
    first.kill().await.unwrap();
    second.kill().await.unwrap();
    db.cleanup().await;
}
