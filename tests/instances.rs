//! Two Frontdesk processes on one PostgreSQL database, as behind a load balancer: signed
//! webhooks go to both in turn, staff watch on one, a campaign is launched on one, and one
//! is killed with SIGKILL in the middle of the load. Nothing may be lost or done twice, and
//! the inbox must be live on every instance. (PostgreSQL only: SQLite serves one process.)

use frontdesk::testing;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use frontdesk::model::{Author, DeliveryStatus, InboxEvent, InboxPush, Role};
use frontdesk::server::auth::token_hash;
use frontdesk::server::db::{tokens, users};
use frontdesk::server::whatsapp::{payload, signature};
use futures_util::StreamExt;
use serde_json::json;
use testing::fakes::{FakeGemini, FakeGraph};
use testing::proxy::TcpProxy;
use testing::rig::{self, free_port, pipeline_env, start_process, Brain, APP_SECRET};
use testing::{eventually, TestApp, TestDb, ADMIN_EMAIL, ADMIN_PASSWORD};
use tokio::process::Child;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

/// Replies each instance hands to WhatsApp at once (`SCHEDULER_WORKERS`).
const WORKERS: usize = 8;

/// Held by each test while its instances run. These tests time what two processes do (job
/// locks of 1 s, sends per second); five pairs at once on a 2-core machine starve each other
/// past those times, which no deployment would run on.
static ONE_PAIR_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct Instances {
    graph: FakeGraph,
    _gemini: FakeGemini,
    ports: [u16; 2],
    processes: [Option<Child>; 2],
}

impl Instances {
    /// Two processes on the database, wired to one fake Graph API; the first one alone
    /// migrates the empty database, as a rolling deployment would.
    async fn start(db: &TestDb, extra: &[(&'static str, &str)]) -> Instances {
        let graph = FakeGraph::start().await;
        let gemini = FakeGemini::start().await;
        let mut env = pipeline_env(&graph, &gemini, Brain::Offline);
        env.push(("SCHEDULER_JOB_LOCK_SECONDS", "1".into()));
        env.push(("SCHEDULER_WORKERS", WORKERS.to_string()));
        env.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        let binary = env!("CARGO_BIN_EXE_frontdesk");
        let ports = [free_port(), free_port()];
        let first = start_process(binary, &db.url, ports[0], &env).await;
        let second = start_process(binary, &db.url, ports[1], &env).await;
        Instances {
            graph,
            _gemini: gemini,
            ports,
            processes: [Some(first), Some(second)],
        }
    }

    fn base(&self, instance: usize) -> String {
        format!("http://127.0.0.1:{}", self.ports[instance])
    }

    async fn kill(&mut self, instance: usize) {
        let mut process = self.processes[instance].take().expect("running");
        process.start_kill().expect("SIGKILL");
        process.wait().await.unwrap();
    }

    /// Replies sent so far, per customer.
    fn replies_per_customer(&self) -> HashMap<String, usize> {
        let mut per_customer = HashMap::new();
        for message in self.graph.sent() {
            *per_customer.entry(message.to).or_default() += 1;
        }
        per_customer
    }
}

fn customer(i: usize) -> String {
    format!("3462{i:07}")
}

async fn post_signed(client: &reqwest::Client, base: &str, body: String) -> bool {
    let signature = signature::header_for(APP_SECRET.as_bytes(), body.as_bytes());
    client
        .post(format!("{base}/webhook/whatsapp"))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", signature)
        .body(body)
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
}

/// Posts one message from each customer, alternately to the first and the second instance,
/// 16 at a time; returns the customers whose post was not acknowledged.
async fn post_alternately(instances: [String; 2], customers: Vec<usize>, acked: Arc<AtomicUsize>) -> Vec<usize> {
    let client = reqwest::Client::new();
    futures_util::stream::iter(customers)
        .map(|i| {
            let (client, base, acked) = (client.clone(), instances[i % 2].clone(), acked.clone());
            async move {
                let body =
                    payload::text_message_payload(&customer(i), None, &format!("wamid.two{i}"), Utc::now(), "hi");
                let ok = post_signed(&client, &base, body.to_string()).await;
                if ok {
                    acked.fetch_add(1, Ordering::SeqCst);
                }
                (!ok).then_some(i)
            }
        })
        .buffer_unordered(16)
        .filter_map(|failed| async move { failed })
        .collect()
        .await
}

/// Signs in as the admin; the session cookie (`name=value`), or where sign-in sent us.
async fn sign_in(base: &str, password: &str) -> Result<String, String> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client
        .post(format!("{base}/auth/login"))
        .form(&[("email", ADMIN_EMAIL), ("password", password), ("next", "/inbox")])
        .send()
        .await
        .unwrap();
    let location = response.headers()["location"].to_str().unwrap().to_string();
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("frontdesk_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
        .ok_or(location)
}

/// Collects everything one websocket client of the inbox receives.
async fn watch_inbox(base: &str, cookie: &str) -> Arc<Mutex<Vec<InboxPush>>> {
    let mut request = format!("{}/ws/inbox-updates", base.replace("http://", "ws://"))
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("cookie", HeaderValue::from_str(cookie).unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("the websocket opens");
    let pushes = Arc::new(Mutex::new(Vec::new()));
    let seen = pushes.clone();
    tokio::spawn(async move {
        while let Some(Ok(frame)) = socket.next().await {
            if let Message::Text(text) = frame {
                let push = serde_json::from_str::<InboxPush>(&text).expect("an inbox push");
                seen.lock().unwrap().push(push);
            }
        }
    });
    pushes
}

fn events(pushes: &Mutex<Vec<InboxPush>>) -> Vec<InboxEvent> {
    pushes
        .lock()
        .unwrap()
        .iter()
        .filter_map(|push| match push {
            InboxPush::Event(event) => Some((**event).clone()),
            InboxPush::Resync => None,
        })
        .collect()
}

fn resyncs(pushes: &Mutex<Vec<InboxPush>>) -> usize {
    pushes
        .lock()
        .unwrap()
        .iter()
        .filter(|p| matches!(p, InboxPush::Resync))
        .count()
}

/// Whether the inbox was shown that `wamid` was read.
fn saw_read_receipt(pushes: &Mutex<Vec<InboxPush>>, wamid: &str) -> bool {
    events(pushes).iter().any(|event| {
        matches!(event, InboxEvent::DeliveryStatusChanged { wa_message_id: Some(id), status: DeliveryStatus::Read, .. }
            if id == wamid)
    })
}

/// A read receipt for one of our messages, as Meta posts it.
fn read_receipt(wamid: &str, to: &str) -> String {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages",
        "value": {"messaging_product": "whatsapp", "metadata": {"display_phone_number": "1", "phone_number_id": "1098765"},
        "statuses": [{"id": wamid, "status": "read", "timestamp": Utc::now().timestamp().to_string(),
                      "recipient_id": to}]}}]}]})
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn webhooks_to_both_instances_are_answered_once_and_shown_live_on_each() {
    let _pair = ONE_PAIR_AT_A_TIME.lock().await;
    let Some(db) = TestDb::postgres().await else { return };
    let instances = Instances::start(&db, &[]).await;
    let bases = [instances.base(0), instances.base(1)];
    let cookie = sign_in(&bases[0], ADMIN_PASSWORD)
        .await
        .expect("signed in on the first instance");
    let seen_on_first = watch_inbox(&bases[0], &cookie).await;

    const CUSTOMERS: usize = 200;
    let not_acked = post_alternately(bases.clone(), (0..CUSTOMERS).collect(), Arc::default()).await;
    assert!(not_acked.is_empty(), "both instances take webhooks: {not_acked:?}");
    eventually(60, "an answer to every customer", || async {
        instances.replies_per_customer().len() == CUSTOMERS
    })
    .await;
    // Long enough for a job claimed by both instances to have been answered twice.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let per_customer = instances.replies_per_customer();
    assert!(
        per_customer.values().all(|n| *n == 1),
        "every message answered exactly once: {per_customer:?}"
    );

    // The inbox open on the first instance saw every message, whichever instance took the
    // webhook and whichever answered it.
    eventually(5, "every message shown live on the first instance", || async {
        let (mut customers, mut bot) = (HashSet::new(), HashSet::new());
        for event in events(&seen_on_first) {
            if let InboxEvent::MessageCreated { message, .. } = event {
                match message.author {
                    Author::Customer => customers.insert(message.conversation_id),
                    _ => bot.insert(message.conversation_id),
                };
            }
        }
        customers.len() == CUSTOMERS && bot.len() == CUSTOMERS
    })
    .await;
    assert_eq!(resyncs(&seen_on_first), 0, "no event was lost on the way");

    // A delivery status that only the second instance hears reaches the first one's inbox.
    let reply = instances.graph.sent().remove(0);
    assert!(
        post_signed(
            &reqwest::Client::new(),
            &bases[1],
            read_receipt(&reply.wamid, &reply.to)
        )
        .await
    );
    eventually(5, "the read receipt shown live on the first instance", || async {
        saw_read_receipt(&seen_on_first, &reply.wamid)
    })
    .await;

    // Password guesses count on every instance: alternating them does not double the free tries.
    let mut last = Ok(String::new());
    for attempt in 0..4 {
        last = sign_in(&bases[attempt % 2], "a wrong guess").await;
    }
    let where_to = last.expect_err("a wrong password signs nobody in");
    assert!(where_to.contains("error=throttled"), "{where_to}");
    let right = sign_in(&bases[1], ADMIN_PASSWORD)
        .await
        .expect_err("the right password waits too");
    assert!(right.contains("error=throttled"), "{right}");

    drop(instances);
    db.cleanup().await;
}

/// A contact with marketing consent who last wrote a month ago.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_campaign_launched_on_one_instance_sends_once_within_the_daily_limit() {
    let _pair = ONE_PAIR_AT_A_TIME.lock().await;
    let Some(db) = TestDb::postgres().await else { return };
    const LIMIT: usize = 8;
    let instances = Instances::start(&db, &[("CAMPAIGNS_DAILY_LIMIT", "8")]).await;
    sqlx::query(
        "INSERT INTO message_templates (name, language, category, status, body, parameters, synced_at) \
         VALUES ('two_offer', 'en', 'MARKETING', 'APPROVED', 'Hi {{customer_name}}, 20% off!', 'customer_name', 0)",
    )
    .execute(db.db.pool())
    .await
    .unwrap();
    let mut ids = Vec::new();
    for i in 0..12 {
        ids.push(testing::campaign_contact(&db.db, &format!("346300000{i:02}"), Some("Ana"), true).await);
    }
    let admin = users::find_login(&db.db, ADMIN_EMAIL).await.unwrap().unwrap().0;
    assert_eq!(admin.role, Role::Admin);
    tokens::create_token(
        &db.db,
        "two instances",
        &token_hash("fd_two_instances"),
        admin.id,
        Utc::now(),
    )
    .await
    .unwrap();
    let launched = reqwest::Client::new()
        .post(format!("{}/api/campaigns/broadcast", instances.base(0)))
        .bearer_auth("fd_two_instances")
        .json(
            &json!({"name": "Both running", "template": "two_offer", "name_fallback": "there",
            "audience": {"contact_ids": ids}, "min_delay_seconds": 0, "max_delay_seconds": 0,
            "sending_from": "00:00", "sending_until": "24:00", "acknowledge_disclaimer": true}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(launched.status(), reqwest::StatusCode::ACCEPTED);

    eventually(30, "the day's limit of messages sent", || async {
        instances.graph.sent().len() >= LIMIT
    })
    .await;
    // Long enough for either instance to send more, were the limit or a claim not shared.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let sent = instances.graph.sent();
    assert_eq!(sent.len(), LIMIT, "never above the daily limit");
    let recipients: HashSet<&str> = sent.iter().map(|m| m.to.as_str()).collect();
    assert_eq!(recipients.len(), LIMIT, "each recipient once");
    let counted: i64 = sqlx::query_scalar("SELECT sent FROM campaign_days")
        .fetch_one(db.db.pool())
        .await
        .unwrap();
    assert_eq!(counted, LIMIT as i64, "the day's count matches what was sent");

    drop(instances);
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killing_one_instance_mid_load_loses_nothing_and_doubles_nothing() {
    let _pair = ONE_PAIR_AT_A_TIME.lock().await;
    let Some(db) = TestDb::postgres().await else { return };
    let mut instances = Instances::start(&db, &[]).await;
    let bases = [instances.base(0), instances.base(1)];
    const CUSTOMERS: usize = 600;
    let acked = Arc::new(AtomicUsize::new(0));
    let load = tokio::spawn(post_alternately(bases.clone(), (0..CUSTOMERS).collect(), acked.clone()));
    eventually(60, "a third of the load acknowledged", || async {
        acked.load(Ordering::SeqCst) >= CUSTOMERS / 3
    })
    .await;
    instances.kill(0).await;
    let answered_at_kill = instances.graph.sent().len();
    let not_acked = load.await.unwrap();
    assert!(answered_at_kill < CUSTOMERS, "the kill came mid-load");
    // Meta delivers again what it got no 2xx for; the load balancer now sends it all to the
    // second instance.
    let retried = post_alternately([bases[1].clone(), bases[1].clone()], not_acked, Arc::default()).await;
    assert!(retried.is_empty(), "the survivor takes every retry: {retried:?}");

    eventually(60, "an answer to every customer", || async {
        instances.replies_per_customer().len() == CUSTOMERS
    })
    .await;
    // Past the job lock time: jobs the dead instance held have been taken up again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let per_customer = instances.replies_per_customer();
    let twice = per_customer.values().filter(|n| **n == 2).count();
    eprintln!("killed with {answered_at_kill} of {CUSTOMERS} answered; answers sent twice: {twice}");
    // The one window: WhatsApp took a reply but the dead instance had not recorded it yet.
    assert!(per_customer.values().all(|n| *n <= 2), "{per_customer:?}");
    assert!(
        twice <= WORKERS,
        "a repeat only for a send in WhatsApp's hands at the kill: {twice}"
    );
    let (stored, answered, unfinished): (i64, i64, i64) = sqlx::query_as(
        "SELECT \
           (SELECT COUNT(*) FROM messages WHERE wa_message_id LIKE 'wamid.two%'), \
           (SELECT COUNT(*) FROM messages WHERE author = 'bot' AND status = 'sent' AND conversation_id IN \
              (SELECT conversation_id FROM messages WHERE wa_message_id LIKE 'wamid.two%')), \
           (SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running') AND kind = 'inbound')",
    )
    .fetch_one(db.db.pool())
    .await
    .unwrap();
    assert_eq!(stored, CUSTOMERS as i64, "every message stored once");
    assert_eq!(answered, CUSTOMERS as i64, "one answer recorded per message");
    assert_eq!(unfinished, 0, "no message left waiting");

    drop(instances);
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn losing_the_database_answers_503_and_each_instance_reconnects_by_itself() {
    let _pair = ONE_PAIR_AT_A_TIME.lock().await;
    let Some(db) = TestDb::postgres().await else { return };
    // Both instances reach PostgreSQL through a proxy the test can cut, as when the database
    // restarts or the network to it fails.
    let mut url = url::Url::parse(&db.url).unwrap();
    let target = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432));
    let proxy = TcpProxy::start(tokio::net::lookup_host(&target).await.unwrap().next().unwrap()).await;
    url.set_port(Some(proxy.port)).unwrap();
    let graph = FakeGraph::start().await;
    let gemini = FakeGemini::start().await;
    let settings = || {
        rig::settings(
            url.as_str(),
            &graph,
            &gemini,
            Brain::Offline,
            &[("SCHEDULER_JOB_LOCK_SECONDS", "1")],
        )
    };
    let (first, second) = (TestApp::start(settings()).await, TestApp::start(settings()).await);
    let bases = [first.base.clone(), second.base.clone()];
    let cookie = sign_in(&bases[0], ADMIN_PASSWORD).await.expect("signed in");
    let seen_on_first = watch_inbox(&bases[0], &cookie).await;
    let answered = || {
        let mut per_customer = HashMap::<String, usize>::new();
        for message in graph.sent() {
            *per_customer.entry(message.to).or_default() += 1;
        }
        per_customer
    };

    // Accepted just before the database goes away: answered once it is back.
    const BEFORE: usize = 40;
    let refused = post_alternately(bases.clone(), (0..BEFORE).collect(), Arc::default()).await;
    assert!(refused.is_empty(), "{refused:?}");
    proxy.cut();

    let client = reqwest::Client::new();
    for base in &bases {
        let body = payload::text_message_payload(&customer(BEFORE), None, "wamid.two-outage", Utc::now(), "hi");
        let signature = signature::header_for(APP_SECRET.as_bytes(), body.to_string().as_bytes());
        let response = client
            .post(format!("{base}/webhook/whatsapp"))
            .header("content-type", "application/json")
            .header("x-hub-signature-256", signature)
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            reqwest::StatusCode::SERVICE_UNAVAILABLE,
            "Meta is told to deliver it again"
        );
        let health = client.get(format!("{base}/api/health")).send().await.unwrap();
        assert_eq!(
            health.status(),
            reqwest::StatusCode::SERVICE_UNAVAILABLE,
            "the load balancer drops it"
        );
    }
    let page = client
        .get(format!("{}/inbox", bases[0]))
        .header("cookie", &cookie)
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
    let page = page.text().await.unwrap();
    assert!(
        page.contains("<h1>Frontdesk cannot reach its database.</h1>") && page.contains("http-equiv=\"refresh\""),
        "a page that says so and tries again: {page}"
    );

    proxy.restore().await;
    // Meta delivers the refused message again until it is taken.
    eventually(30, "the refused message taken once the database is back", || async {
        post_alternately(bases.clone(), vec![BEFORE], Arc::default())
            .await
            .is_empty()
    })
    .await;
    eventually(30, "an answer to every customer", || async {
        answered().len() == BEFORE + 1
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let per_customer = answered();
    assert!(
        per_customer.values().all(|n| *n == 1),
        "each answered once: {per_customer:?}"
    );
    for base in &bases {
        let health = client.get(format!("{base}/api/health")).send().await.unwrap();
        assert_eq!(health.status(), reqwest::StatusCode::OK, "{base} is healthy again");
    }

    // The open inbox was told to load again when the instance lost what the others say, and
    // again once it listened again (what was said meanwhile is lost); then it hears them.
    eventually(10, "the open inbox asked to load again, twice", || async {
        resyncs(&seen_on_first) >= 2
    })
    .await;
    // The count alone does not say it listens again (a change it was reading when the
    // connection went is a load-again of its own), and what the second instance says before
    // then is lost to it: read receipts go one at a time until one is shown live.
    let shown = |receipts: &[String]| receipts.iter().any(|wamid| saw_read_receipt(&seen_on_first, wamid));
    let mut receipts = Vec::new();
    let until = Instant::now() + Duration::from_secs(20);
    for reply in graph.sent() {
        if shown(&receipts) || Instant::now() > until {
            break;
        }
        assert!(post_signed(&client, &bases[1], read_receipt(&reply.wamid, &reply.to)).await);
        receipts.push(reply.wamid);
        let wait = Instant::now() + Duration::from_secs(1);
        while Instant::now() < wait && !shown(&receipts) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    assert!(
        shown(&receipts),
        "a read receipt heard by the second instance shown on the first, live, within 20 s"
    );

    first.stop().await;
    second.stop().await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn whatsapp_rates_hold_across_instances() {
    let _pair = ONE_PAIR_AT_A_TIME.lock().await;
    let Some(db) = TestDb::postgres().await else { return };
    const PER_SECOND: usize = 20;
    let graph = FakeGraph::start().await;
    let gemini = FakeGemini::start().await;
    let rate = PER_SECOND.to_string();
    let settings = || {
        rig::settings(
            &db.url,
            &graph,
            &gemini,
            Brain::Offline,
            &[("WHATSAPP_MESSAGES_PER_SECOND", &rate)],
        )
    };
    let (first, second) = (TestApp::start(settings()).await, TestApp::start(settings()).await);
    let bases = [first.base.clone(), second.base.clone()];

    // Three seconds' worth at the business number's rate, half through each instance.
    const CUSTOMERS: usize = 3 * PER_SECOND;
    assert!(
        post_alternately(bases.clone(), (0..CUSTOMERS).collect(), Arc::default())
            .await
            .is_empty()
    );
    eventually(30, "an answer to every customer", || async {
        graph.sent().len() >= CUSTOMERS
    })
    .await;
    let mut times: Vec<_> = graph.sent().iter().map(|m| m.at).collect();
    times.sort();
    let busiest = times
        .iter()
        .map(|start| {
            times
                .iter()
                .filter(|t| **t >= *start && **t < *start + Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap();
    eprintln!("busiest second: {busiest} messages, at {PER_SECOND}/s");
    // Two instances pacing alone would let through twice the rate. Turns are spaced in the
    // database over a little more than a second, but a sender woken late (or slower on the
    // way) can still arrive in the same second as a later turn's message.
    assert!(
        busiest <= PER_SECOND + 1,
        "{busiest} messages within one second, at {PER_SECOND}/s"
    );

    first.stop().await;
    second.stop().await;
    db.cleanup().await;
}
