//! `kill -9` in the middle of a burst: 1,000 customers write at once to the Frontdesk binary
//! (its own process), which is killed with SIGKILL once half of their messages are
//! acknowledged, and started again. What Meta did not get a 2xx for, it delivers again; the
//! test does the same. Then every customer is answered, each exactly once, except in the one
//! documented window: WhatsApp accepted a reply but the process died before recording it, so
//! after the job's lock time it is sent again. Those are counted and bounded by the sends
//! that can be in flight at once.

use frontdesk::testing;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use frontdesk::server::whatsapp::{payload, signature};
use futures_util::StreamExt;
use testing::fakes::{FakeGemini, FakeGraph};
use testing::rig::{free_port, pipeline_env, start_process, Brain, APP_SECRET};
use testing::{eventually, TestDb};

const CUSTOMERS: usize = 1_000;
/// Replies handed to WhatsApp at once (`SCHEDULER_WORKERS`): the most that can be in
/// WhatsApp's hands, unrecorded, when the process dies.
const WORKERS: usize = 16;

fn customer(i: usize) -> String {
    format!("3461{i:07}")
}

fn webhook(i: usize) -> String {
    payload::text_message_payload(&customer(i), None, &format!("wamid.burst{i}"), Utc::now(), "hi").to_string()
}

/// Posts each customer's message once, 32 at a time; returns the ones not acknowledged.
async fn post_all(port: u16, customers: Vec<usize>, acked: Arc<AtomicUsize>) -> Vec<usize> {
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/webhook/whatsapp");
    futures_util::stream::iter(customers)
        .map(|i| {
            let (client, url, acked) = (client.clone(), url.clone(), acked.clone());
            async move {
                let body = webhook(i);
                let signature = signature::header_for(APP_SECRET.as_bytes(), body.as_bytes());
                let response = client
                    .post(url)
                    .header("content-type", "application/json")
                    .header("x-hub-signature-256", signature)
                    .body(body)
                    .send()
                    .await;
                match response {
                    Ok(r) if r.status().is_success() => {
                        acked.fetch_add(1, Ordering::SeqCst);
                        None
                    }
                    _ => Some(i),
                }
            }
        })
        .buffer_unordered(32)
        .filter_map(|failed| async move { failed })
        .collect()
        .await
}

async fn a_burst_survives_kill_9(db: TestDb) {
    let graph = FakeGraph::start().await;
    let gemini = FakeGemini::start().await;
    let mut env = pipeline_env(&graph, &gemini, Brain::Offline);
    env.push(("SCHEDULER_JOB_LOCK_SECONDS", "1".into()));
    env.push(("SCHEDULER_WORKERS", WORKERS.to_string()));
    let binary = env!("CARGO_BIN_EXE_frontdesk");
    let port = free_port();
    let mut first = start_process(binary, &db.url, port, &env).await;

    let acked = Arc::new(AtomicUsize::new(0));
    let burst = tokio::spawn(post_all(port, (0..CUSTOMERS).collect(), acked.clone()));
    eventually(60, "half the burst acknowledged", || async {
        acked.load(Ordering::SeqCst) >= CUSTOMERS / 2
    })
    .await;
    first.start_kill().expect("SIGKILL");
    first.wait().await.unwrap();
    let answered_before = graph.sent().len();
    let not_acked = burst.await.unwrap();
    eprintln!(
        "killed with {} of {CUSTOMERS} messages acknowledged and {answered_before} answers sent",
        CUSTOMERS - not_acked.len()
    );
    assert!(
        answered_before < CUSTOMERS,
        "the kill came mid-burst, with answers still to send"
    );

    let mut second = start_process(binary, &db.url, port, &env).await;
    // Meta delivers again what it got no 2xx for.
    let still_failing = post_all(port, not_acked, Arc::new(AtomicUsize::new(0))).await;
    assert!(
        still_failing.is_empty(),
        "the restarted app takes them: {still_failing:?}"
    );
    eventually(60, "an answer to every customer", || async {
        let answered: std::collections::HashSet<String> = graph.sent().into_iter().map(|m| m.to).collect();
        answered.len() == CUSTOMERS
    })
    .await;
    // Long enough for a job taken up again after its lock time to have sent once more.
    tokio::time::sleep(Duration::from_secs(3)).await;

    let mut per_customer = HashMap::<String, usize>::new();
    for message in graph.sent() {
        *per_customer.entry(message.to).or_default() += 1;
    }
    let twice = per_customer.values().filter(|n| **n == 2).count();
    eprintln!("answers sent twice (accepted by WhatsApp, not yet recorded at the kill): {twice}");
    assert!(
        per_customer.values().all(|n| *n <= 2),
        "never more than one repeat: {per_customer:?}"
    );
    assert!(
        twice <= WORKERS,
        "a repeat only for a send in WhatsApp's hands at the kill: {twice}"
    );
    let stored: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT \
           (SELECT COUNT(*) FROM messages WHERE wa_message_id LIKE 'wamid.burst%'), \
           (SELECT COUNT(*) FROM messages WHERE author = 'bot' AND status = 'sent' AND conversation_id IN \
              (SELECT conversation_id FROM messages WHERE wa_message_id LIKE 'wamid.burst%'))",
    )
    .fetch_all(db.db.pool())
    .await
    .unwrap();
    assert_eq!(stored[0].0, CUSTOMERS as i64, "every message stored once");
    assert_eq!(
        stored[0].1, CUSTOMERS as i64,
        "one answer recorded as sent per customer"
    );

    second.start_kill().unwrap();
    second.wait().await.unwrap();
    db.cleanup().await;
}

frontdesk::on_both_test_databases!(a_burst_survives_kill_9);
