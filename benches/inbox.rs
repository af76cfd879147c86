//! Inbox benchmark on SQLite (a temporary database file), on this machine.
//!
//! 1. Live-update latency: the real app with the demo salon, signed in as the admin, 200
//!    websocket clients on `/ws/inbox-updates`. Signed WhatsApp webhook posts are sent one
//!    at a time on a fixed schedule (200 posts, 50 ms apart), each from a new customer and
//!    carrying a unique marker in its text. Per (post, client) pair the latency is the time
//!    from sending the POST to receiving the first websocket text frame that contains the
//!    marker (the `MessageCreated` push sent when the background job has stored the
//!    message), so it includes the webhook, the job pickup, the storage and the fan-out.
//!    Target: p99 under 50 ms.
//! 2. Inbox rendering at scale: 100,000 contacts, 100,000 conversations and 1,000,000
//!    messages seeded with set-based SQL (recursive CTEs) through the app's pool, then
//!    sequential full server-side renders of `GET /inbox` with the session cookie, the list
//!    server function (first page, a deep page by cursor, a name search), and the same
//!    queries on the database layer alone. Also prints `EXPLAIN QUERY PLAN` of the list
//!    query. Target: `/inbox` under 30 ms.
//! 3. Cross-instance live-update latency (PostgreSQL, when `TEST_DATABASE_URL` is set):
//!    two instances of the app on one fresh database, the websocket clients on the first,
//!    signed delivery-status webhooks (`delivered`, for bot messages whose WhatsApp ids
//!    carry the marker) posted to the second, on the same fixed schedule. The second
//!    instance applies each status in the webhook and publishes it; the first hears of it
//!    through PostgreSQL's `NOTIFY`, reads it and fans it out. Per (post, client) pair the
//!    latency is from sending the POST to receiving the frame with the marker. Target: p99
//!    under 100 ms.
//!
//! The app is the real one (`Application::build` + `run_until`, through the tests'
//! `TestApp`) with the offline AI receptionist and the WhatsApp outbox (no access token). It
//! runs on its own tokio runtime (2 worker threads, one per core); the clients run on
//! another runtime, like a separate process on the same machine. Tracing is not
//! initialised (no log output). Latencies are measured by the clients, over loopback.
//!
//! Run: `cargo bench --no-default-features --features ssr --bench inbox`
//!
//! Knobs (environment, all optional):
//!   BENCH_ONLY=ws|render|across   run one part only
//!   BENCH_WS_CLIENTS=200          websocket clients
//!   BENCH_WS_POSTS=200            measured webhook posts
//!   BENCH_WS_INTERVAL_MS=50       pause between posts (fixed schedule)
//!   BENCH_WS_WAIT_MS=5000         how long to wait for late frames after the last post
//!   BENCH_CONTACTS=100000         contacts = conversations
//!   BENCH_MESSAGES_PER=10         messages per conversation
//!   BENCH_INBOX_REQUESTS=200      timed GET /inbox
//!   BENCH_LIST_REQUESTS=100       timed list calls (first page, deep page, filter, ...)
//!   BENCH_SEARCH_REQUESTS=5       timed searches for `customer <BENCH_CONTACTS - 1>`
//!   BENCH_DEEP_POSITION=90000     the deep page starts after the conversation at this rank
//!   BENCH_ANALYZE=1               run `ANALYZE` after seeding (the app never does)
//!   BENCH_APP_THREADS=2           worker threads of the app's runtime
//!   BENCH_LOAD_THREADS=2          worker threads of the clients' runtime
//!   BENCH_KEEP_DB=1               keep the temp database files and print their paths

use frontdesk::testing;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use frontdesk::model::{ConversationCursor, ConversationFilter};
use frontdesk::server::db::conversations::{self, ConversationQuery};
use frontdesk::server::db::Db;
use frontdesk::server::whatsapp::{payload, signature};
use futures_util::StreamExt;
use reqwest::header::{COOKIE, SET_COOKIE};
use serde_json::{json, Value};
use sqlx::Row;
use testing::{test_settings, TestApp, TestDb, ADMIN_EMAIL, ADMIN_PASSWORD};
use tokio::runtime::Runtime;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

const APP_SECRET: &str = "bench-app-secret";
const SESSION_COOKIE: &str = "frontdesk_session";
/// Marks the measured messages: `ZQMARK` and six digits (the post's index).
const MARKER: &str = "ZQMARK";
const MARKER_DIGITS: usize = 6;
const WARMUP_POSTS: usize = 10;
/// Rows of the inbox list per page (`PAGE_SIZE` in src/pages/inbox.rs).
const PAGE_SIZE: i64 = 50;

// ---------------------------------------------------------------------------------------
// Configuration

#[derive(Clone, Debug)]
struct Config {
    only: Option<String>,
    ws_clients: usize,
    ws_posts: usize,
    ws_interval: Duration,
    ws_wait: Duration,
    contacts: i64,
    messages_per: i64,
    inbox_requests: usize,
    list_requests: usize,
    search_requests: usize,
    deep_position: i64,
    analyze: bool,
    app_threads: usize,
    load_threads: usize,
    keep_db: bool,
}

impl Config {
    fn from_env() -> Config {
        let contacts: i64 = testing::env_or("BENCH_CONTACTS", 100_000i64).max(1);
        Config {
            only: std::env::var("BENCH_ONLY").ok().filter(|s| !s.is_empty()),
            ws_clients: testing::env_or("BENCH_WS_CLIENTS", 200usize).max(1),
            ws_posts: testing::env_or("BENCH_WS_POSTS", 200usize).clamp(1, 999_999),
            ws_interval: Duration::from_millis(testing::env_or("BENCH_WS_INTERVAL_MS", 50)),
            ws_wait: Duration::from_millis(testing::env_or("BENCH_WS_WAIT_MS", 5000)),
            contacts,
            messages_per: testing::env_or("BENCH_MESSAGES_PER", 10i64).max(1),
            inbox_requests: testing::env_or("BENCH_INBOX_REQUESTS", 200usize).max(1),
            list_requests: testing::env_or("BENCH_LIST_REQUESTS", 100usize).max(1),
            search_requests: testing::env_or("BENCH_SEARCH_REQUESTS", 5usize).max(1),
            deep_position: testing::env_or("BENCH_DEEP_POSITION", contacts * 9 / 10).clamp(0, contacts - 1),
            analyze: testing::env_or("BENCH_ANALYZE", 0u8) == 1,
            app_threads: testing::env_or("BENCH_APP_THREADS", 2usize).max(1),
            load_threads: testing::env_or("BENCH_LOAD_THREADS", 2usize).max(1),
            keep_db: testing::env_or("BENCH_KEEP_DB", 0u8) == 1,
        }
    }

    fn runs(&self, part: &str) -> bool {
        self.only.as_deref().is_none_or(|only| only == part)
    }
}

fn settings(db_url: &str) -> frontdesk::server::config::Settings {
    test_settings(
        db_url,
        &[
            ("WHATSAPP_APP_SECRET", APP_SECRET),
            ("WHATSAPP_PAIR_INTERVAL_MS", "0"),
            ("FRONTDESK_DEMO_DATA", "true"),
            ("AI_PROVIDER", "offline"),
        ],
    )
}

fn runtime(threads: usize, name: &str) -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name(name)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

async fn start_app() -> (TestApp, TestDb) {
    let db = TestDb::sqlite().await;
    let app = TestApp::start(settings(&db.url)).await;
    (app, db)
}

fn stop_app(cfg: &Config, app: TestApp, db: TestDb, app_rt: &Runtime) {
    app_rt.block_on(async {
        app.stop().await;
        if cfg.keep_db {
            eprintln!("  kept database: {}", db.url);
            db.db.close().await;
        } else {
            db.cleanup().await;
        }
    });
}

/// Signs in as the admin and returns the session cookie (`name=value`).
async fn sign_in(client: &reqwest::Client, base: &str) -> String {
    let response = client
        .post(format!("{base}/auth/login"))
        .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD), ("next", "/inbox")])
        .send()
        .await
        .expect("sign-in request");
    assert_eq!(response.status(), reqwest::StatusCode::SEE_OTHER, "sign-in redirects");
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{SESSION_COOKIE}=")))
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_string()
}

// ---------------------------------------------------------------------------------------
// Statistics

struct Stats {
    n: usize,
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
    mean: f64,
}

fn stats(samples: &[Duration]) -> Stats {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let total: Duration = sorted.iter().sum();
    Stats {
        n: sorted.len(),
        p50: testing::ms(testing::percentile(&sorted, 0.50)),
        p90: testing::ms(testing::percentile(&sorted, 0.90)),
        p99: testing::ms(testing::percentile(&sorted, 0.99)),
        max: testing::ms(sorted.last().copied().unwrap_or_default()),
        mean: if sorted.is_empty() {
            0.0
        } else {
            testing::ms(total) / sorted.len() as f64
        },
    }
}

fn table_header() {
    println!(
        "  {:<44} {:>6} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "measurement (ms)", "n", "p50", "p90", "p99", "max", "mean"
    );
    println!("  {}", "-".repeat(44 + 6 * 9 + 6));
}

fn table_row(name: &str, samples: &[Duration]) -> Stats {
    let s = stats(samples);
    println!(
        "  {:<44} {:>6} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
        name, s.n, s.p50, s.p90, s.p99, s.max, s.mean
    );
    s
}

fn verdict(what: &str, value: f64, target: f64) {
    let result = if value < target { "MET" } else { "MISSED" };
    println!("  target: {what} < {target} ms -> {value:.2} ms: {result}");
}

// ---------------------------------------------------------------------------------------
// Part 1: live-update latency over websockets

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

#[derive(Default)]
struct ClientResult {
    /// When the first frame carrying post `i`'s marker arrived.
    seen: Vec<Option<Instant>>,
    frames: usize,
    bytes: usize,
    resyncs: usize,
    disconnected: bool,
}

async fn connect(addr: &str, cookie: &str) -> Socket {
    let mut request = format!("ws://{addr}/ws/inbox-updates")
        .into_client_request()
        .expect("a websocket request");
    request
        .headers_mut()
        .insert("cookie", HeaderValue::from_str(cookie).expect("a cookie header"));
    let (socket, _response) = tokio_tungstenite::connect_async_with_config(request, None, true)
        .await
        .expect("the websocket opens");
    socket
}

/// Reads frames until told to stop, noting when each marker first arrived.
async fn listen(
    mut socket: Socket,
    posts: usize,
    received: Arc<AtomicUsize>,
    mut stop: watch::Receiver<bool>,
) -> ClientResult {
    let mut result = ClientResult {
        seen: vec![None; posts],
        ..ClientResult::default()
    };
    loop {
        tokio::select! {
            frame = socket.next() => {
                let at = Instant::now();
                match frame {
                    Some(Ok(Message::Text(text))) => {
                        let text = text.as_str();
                        result.frames += 1;
                        result.bytes += text.len();
                        if text == "\"Resync\"" {
                            result.resyncs += 1;
                        }
                        let mut rest = text;
                        while let Some(pos) = rest.find(MARKER) {
                            rest = &rest[pos + MARKER.len()..];
                            let Some(digits) = rest.get(..MARKER_DIGITS) else { break };
                            if let Ok(i) = digits.parse::<usize>() {
                                if i < posts && result.seen[i].is_none() {
                                    result.seen[i] = Some(at);
                                    received.fetch_add(1, Ordering::SeqCst);
                                }
                            }
                        }
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => {
                        result.disconnected = true;
                        break;
                    }
                }
            }
            _ = stop.changed() => break,
        }
    }
    let _ = socket.close(None).await;
    result
}

struct WebhookPost {
    body: String,
    signature: String,
}

fn webhook_post(from: &str, wamid: &str, text: &str) -> WebhookPost {
    let body = payload::text_message_payload(from, Some("Bench Customer"), wamid, Utc::now(), text).to_string();
    let signature = signature::header_for(APP_SECRET.as_bytes(), body.as_bytes());
    WebhookPost { body, signature }
}

/// Sends one signed post and checks it was accepted with one new `counted` item of its
/// summary (`messages`, `statuses`).
async fn send_post(client: &reqwest::Client, url: &str, post: &WebhookPost, counted: &str) -> Duration {
    let started = Instant::now();
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("x-hub-signature-256", &post.signature)
        .body(post.body.clone())
        .send()
        .await
        .expect("webhook post");
    let status = response.status();
    let summary: Value = response.json().await.expect("webhook answers JSON");
    let took = started.elapsed();
    assert!(status.is_success(), "webhook answered {status}: {summary}");
    assert_eq!(summary[counted], 1, "one new item of {counted}: {summary}");
    took
}

/// Sends the posts one after another on a fixed schedule, `interval` apart; when each was
/// sent, and how long each took to be acknowledged.
async fn post_on_schedule(
    client: &reqwest::Client,
    url: &str,
    posts: &[WebhookPost],
    interval: Duration,
    counted: &str,
) -> (Vec<Instant>, Vec<Duration>) {
    let mut send_times = Vec::with_capacity(posts.len());
    let mut acks = Vec::with_capacity(posts.len());
    let start = tokio::time::Instant::now() + Duration::from_millis(20);
    for (i, post) in posts.iter().enumerate() {
        tokio::time::sleep_until(start + interval * i as u32).await;
        send_times.push(Instant::now());
        acks.push(send_post(client, url, post, counted).await);
    }
    (send_times, acks)
}

fn live_updates(cfg: &Config, app_rt: &Runtime, load_rt: &Runtime) {
    println!();
    println!(
        "== 1. Live-update latency: {} websocket clients, {} webhook posts {} ms apart ==",
        cfg.ws_clients,
        cfg.ws_posts,
        cfg.ws_interval.as_millis()
    );
    let (app, db) = app_rt.block_on(start_app());
    let base = app.base.clone();
    let addr = base.trim_start_matches("http://").to_string();
    let posts = cfg.ws_posts;

    let (results, send_times, acks, connect_took) = load_rt.block_on(async {
        let client = client();
        let cookie = sign_in(&client, &base).await;
        let webhook = format!("{base}/webhook/whatsapp");

        let received = Arc::new(AtomicUsize::new(0));
        let (stop_tx, stop_rx) = watch::channel(false);
        let connecting = Instant::now();
        let mut listeners = Vec::with_capacity(cfg.ws_clients);
        for _ in 0..cfg.ws_clients {
            let socket = connect(&addr, &cookie).await;
            listeners.push(tokio::spawn(listen(socket, posts, received.clone(), stop_rx.clone())));
        }
        let connect_took = connecting.elapsed();

        // Warm-up: connections, statements and the job path, not measured.
        for i in 0..WARMUP_POSTS {
            let post = webhook_post(
                &format!("4916{i:08}"),
                &format!("wamid.bench.warm.{i}"),
                &format!("Hello, warm-up ZQWARM{i:06}"),
            );
            send_post(&client, &webhook, &post, "messages").await;
            tokio::time::sleep(cfg.ws_interval).await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;

        let prepared: Vec<WebhookPost> = (0..posts)
            .map(|i| {
                webhook_post(
                    &format!("4917{i:08}"),
                    &format!("wamid.bench.live.{i}"),
                    &format!(
                        "Hi! Do you have time on Friday? ref {MARKER}{i:0width$}",
                        width = MARKER_DIGITS
                    ),
                )
            })
            .collect();
        let (send_times, acks) = post_on_schedule(&client, &webhook, &prepared, cfg.ws_interval, "messages").await;
        let expected = posts * cfg.ws_clients;
        let deadline = Instant::now() + cfg.ws_wait;
        while received.load(Ordering::SeqCst) < expected && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let _ = stop_tx.send(true);
        let mut results = Vec::with_capacity(listeners.len());
        for listener in listeners {
            results.push(listener.await.expect("listener task"));
        }
        (results, send_times, acks, connect_took)
    });
    stop_app(cfg, app, db, app_rt);

    let mut all = Vec::with_capacity(posts * results.len());
    let mut fastest = vec![None::<Duration>; posts];
    let mut slowest = vec![None::<Duration>; posts];
    let mut missed = 0usize;
    for result in &results {
        for (i, seen) in result.seen.iter().enumerate() {
            match seen {
                Some(at) => {
                    let latency = at.saturating_duration_since(send_times[i]);
                    all.push(latency);
                    fastest[i] = Some(fastest[i].map_or(latency, |f| f.min(latency)));
                    slowest[i] = Some(slowest[i].map_or(latency, |s| s.max(latency)));
                }
                None => missed += 1,
            }
        }
    }
    let fastest: Vec<Duration> = fastest.into_iter().flatten().collect();
    let slowest: Vec<Duration> = slowest.into_iter().flatten().collect();
    let spread: Vec<Duration> = slowest.iter().zip(&fastest).map(|(s, f)| *s - *f).collect();
    let frames: usize = results.iter().map(|r| r.frames).sum();
    let bytes: usize = results.iter().map(|r| r.bytes).sum();
    let resyncs: usize = results.iter().map(|r| r.resyncs).sum();
    let disconnected = results.iter().filter(|r| r.disconnected).count();

    table_header();
    let overall = table_row("POST -> marker frame, every (post, client)", &all);
    table_row("  per post: first client to get it", &fastest);
    table_row("  per post: last client to get it", &slowest);
    table_row("  per post: last minus first (fan-out)", &spread);
    table_row("webhook POST acknowledged", &acks);
    println!(
        "  missed (post, client) pairs: {missed} of {} | resync frames: {resyncs} | dropped sockets: {disconnected}",
        posts * results.len()
    );
    println!(
        "  {} clients connected in {:.0} ms | {} text frames received ({:.1} per client per post incl. warm-up), {:.1} MB",
        results.len(),
        testing::ms(connect_took),
        frames,
        frames as f64 / results.len().max(1) as f64 / (posts + WARMUP_POSTS) as f64,
        bytes as f64 / 1e6
    );
    verdict("p99 POST -> marker frame", overall.p99, 50.0);
}

// ---------------------------------------------------------------------------------------
// Part 3: live updates from one instance to another, through PostgreSQL

fn across_instances(cfg: &Config, app_rt: &Runtime, load_rt: &Runtime) {
    println!();
    println!(
        "== 3. Cross-instance live-update latency (PostgreSQL, two instances): {} websocket clients on the first, {} status webhooks {} ms apart to the second ==",
        cfg.ws_clients,
        cfg.ws_posts,
        cfg.ws_interval.as_millis()
    );
    let posts = cfg.ws_posts;
    let Some((watched, posted, db)) = app_rt.block_on(async {
        let db = TestDb::postgres().await?;
        let watched = TestApp::start(settings(&db.url)).await;
        let posted = TestApp::start(settings(&db.url)).await;
        Some((watched, posted, db))
    }) else {
        println!("  skipped: TEST_DATABASE_URL is not set");
        return;
    };
    let wamid = |i: usize| format!("wamid.{MARKER}{i:0width$}", width = MARKER_DIGITS);
    app_rt.block_on(seed_sent_messages(&db.db, posts, &wamid));
    let addr = watched.base.trim_start_matches("http://").to_string();
    let (watched_base, webhook) = (watched.base.clone(), format!("{}/webhook/whatsapp", posted.base));

    let (results, send_times, acks) = load_rt.block_on(async {
        let client = client();
        let cookie = sign_in(&client, &watched_base).await;
        let received = Arc::new(AtomicUsize::new(0));
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut listeners = Vec::with_capacity(cfg.ws_clients);
        for _ in 0..cfg.ws_clients {
            let socket = connect(&addr, &cookie).await;
            listeners.push(tokio::spawn(listen(socket, posts, received.clone(), stop_rx.clone())));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let prepared: Vec<WebhookPost> = (0..posts).map(|i| status_post(&wamid(i))).collect();
        let (send_times, acks) = post_on_schedule(&client, &webhook, &prepared, cfg.ws_interval, "statuses").await;
        let deadline = Instant::now() + cfg.ws_wait;
        while received.load(Ordering::SeqCst) < posts * cfg.ws_clients && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let _ = stop_tx.send(true);
        let mut results = Vec::with_capacity(listeners.len());
        for listener in listeners {
            results.push(listener.await.expect("listener task"));
        }
        (results, send_times, acks)
    });
    app_rt.block_on(async {
        posted.stop().await;
        watched.stop().await;
        db.cleanup().await;
    });

    let mut all = Vec::with_capacity(posts * results.len());
    let mut missed = 0usize;
    for result in &results {
        for (i, seen) in result.seen.iter().enumerate() {
            match seen {
                Some(at) => all.push(at.saturating_duration_since(send_times[i])),
                None => missed += 1,
            }
        }
    }
    let resyncs: usize = results.iter().map(|r| r.resyncs).sum();
    table_header();
    let overall = table_row("POST to the second -> frame on the first", &all);
    table_row("status webhook acknowledged", &acks);
    println!(
        "  missed (post, client) pairs: {missed} of {} | resync frames: {resyncs}",
        posts * results.len()
    );
    verdict("p99 cross-instance POST -> frame", overall.p99, 100.0);
}

/// Bot messages already handed to WhatsApp, with the given ids, in one conversation.
async fn seed_sent_messages(db: &Db, count: usize, wamid: &dyn Fn(usize) -> String) {
    use frontdesk::model::{Author, DeliveryStatus, Direction, WaId};
    let wa_id = WaId::parse("491700000001").expect("a number");
    let contact = frontdesk::server::db::contacts::get_or_create_contact(db, &wa_id, None, Utc::now(), None)
        .await
        .expect("a contact");
    let conversation = conversations::get_or_create_conversation(db, contact.id, Utc::now())
        .await
        .expect("a conversation");
    for i in 0..count {
        let id = wamid(i);
        conversations::insert_message(
            db,
            &conversations::NewMessage {
                conversation_id: conversation.id,
                direction: Direction::Outbound,
                author: Author::Bot,
                staff_user_id: None,
                body: "See you then!",
                wa_message_id: Some(&id),
                status: DeliveryStatus::Sent,
                intent: None,
                reply_to_message_id: None,
                tokens: (0, 0, 0),
                ai_model: None,
                created_at: Utc::now(),
            },
        )
        .await
        .expect("a sent message");
    }
}

/// A signed `delivered` status for one of our messages, as Meta posts it.
fn status_post(wamid: &str) -> WebhookPost {
    let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages",
        "value": {"messaging_product": "whatsapp", "metadata": {"display_phone_number": "1", "phone_number_id": "1"},
        "statuses": [{"id": wamid, "status": "delivered", "timestamp": Utc::now().timestamp().to_string(),
                      "recipient_id": "491700000001"}]}}]}]})
    .to_string();
    let signature = signature::header_for(APP_SECRET.as_bytes(), body.as_bytes());
    WebhookPost { body, signature }
}

// ---------------------------------------------------------------------------------------
// Part 2: rendering the inbox with 100k conversations and 1M messages

/// `now - permutation(c) minutes`: distinct, spread over ~69 days for 100k conversations,
/// unrelated to the id order. 7919 is prime, so `c * 7919 mod n` permutes 0..n when n is
/// not a multiple of it.
const ACTIVITY: &str = "($1 - ((c * 7919) % $2) * 60000)";

struct SeedReport {
    contacts: Duration,
    conversations: Duration,
    messages: Duration,
    analyze: Option<Duration>,
    db_bytes: u64,
    wal_bytes: u64,
}

async fn max_id(db: &Db, table: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(&format!("SELECT COALESCE(MAX(id), 0) FROM {table}"))
        .fetch_one(db.pool())
        .await
        .unwrap()
}

async fn seed(cfg: &Config, db: &Db, db_path: &str) -> SeedReport {
    let n = cfg.contacts;
    let now = Utc::now().timestamp_millis();
    let contact_base = max_id(db, "contacts").await;
    let conversation_base = max_id(db, "conversations").await;
    let message_base = max_id(db, "messages").await;

    let started = Instant::now();
    sqlx::query(&format!(
        "WITH RECURSIVE n(c) AS (SELECT 1 UNION ALL SELECT c + 1 FROM n WHERE c < $2) \
         INSERT INTO contacts (id, wa_id, name, name_source, profile_name, first_seen_at, last_seen_at, \
         last_inbound_at, notes) \
         SELECT $3 + c, '4930' || printf('%08d', c), 'Customer ' || c, 'customer', 'Customer ' || c, \
         $1 - 90 * 86400000 + c, {ACTIVITY}, {ACTIVITY}, '' FROM n"
    ))
    .bind(now)
    .bind(n)
    .bind(contact_base)
    .execute(db.pool())
    .await
    .expect("seed contacts");
    let contacts_took = started.elapsed();

    let started = Instant::now();
    sqlx::query(&format!(
        "WITH RECURSIVE n(c) AS (SELECT 1 UNION ALL SELECT c + 1 FROM n WHERE c < $2) \
         INSERT INTO conversations (id, contact_id, mode, flow_state, last_activity_at, last_message_preview, \
         unread_count, needs_attention, created_at) \
         SELECT $4 + c, $3 + c, CASE WHEN c % 10 = 0 THEN 'human' ELSE 'bot' END, 'idle', {ACTIVITY}, \
         'Of course! I can offer 16:00 with Ana García. Shall I book it for you?', \
         CASE WHEN c % 7 = 0 THEN 2 ELSE 0 END, CASE WHEN c % 20 = 0 THEN 1 ELSE 0 END, \
         $1 - 90 * 86400000 + c FROM n"
    ))
    .bind(now)
    .bind(n)
    .bind(contact_base)
    .bind(conversation_base)
    .execute(db.pool())
    .await
    .expect("seed conversations");
    let conversations_took = started.elapsed();

    // Message k (0-based) of conversation c; even k from the customer, odd k from the bot,
    // one minute apart, the last one at the conversation's last activity.
    let started = Instant::now();
    sqlx::query(&format!(
        "WITH RECURSIVE m(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM m WHERE i < $2 * $5 - 1), \
         n(i, c, k) AS (SELECT i, i / $5 + 1, i % $5 FROM m) \
         INSERT INTO messages (id, conversation_id, direction, author, body, wa_message_id, status, created_at) \
         SELECT $4 + i + 1, $3 + c, \
         CASE WHEN k % 2 = 0 THEN 'inbound' ELSE 'outbound' END, \
         CASE WHEN k % 2 = 0 THEN 'customer' ELSE 'bot' END, \
         CASE WHEN k % 2 = 0 THEN 'Hi! Could I book a haircut on Friday afternoon? (' || c || '/' || k || ')' \
              ELSE 'Of course! I can offer 16:00 with Ana García. Shall I book it for you?' END, \
         'wamid.seed.' || i, \
         CASE WHEN k % 2 = 0 THEN 'received' ELSE 'read' END, \
         {ACTIVITY} - ($5 - 1 - k) * 60000 FROM n"
    ))
    .bind(now)
    .bind(n)
    .bind(conversation_base)
    .bind(message_base)
    .bind(cfg.messages_per)
    .execute(db.pool())
    .await
    .expect("seed messages");
    // The message trigger counted every seeded customer message as unread: put back the
    // few unread badges the inbox is meant to show.
    sqlx::query("UPDATE conversations SET unread_count = CASE WHEN (id - $1) % 7 = 0 THEN 2 ELSE 0 END WHERE id > $1")
        .bind(conversation_base)
        .execute(db.pool())
        .await
        .expect("seed unread counts");
    let messages_took = started.elapsed();

    let analyze = if cfg.analyze {
        let started = Instant::now();
        sqlx::query("ANALYZE").execute(db.pool()).await.expect("ANALYZE");
        Some(started.elapsed())
    } else {
        None
    };
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .fetch_all(db.pool())
        .await
        .expect("checkpoint");
    let size = |path: String| std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    SeedReport {
        contacts: contacts_took,
        conversations: conversations_took,
        messages: messages_took,
        analyze,
        db_bytes: size(db_path.to_string()),
        wal_bytes: size(format!("{db_path}-wal")),
    }
}

async fn explain(db: &Db, search: &str, filter: &str, after: Option<ConversationCursor>) -> Vec<String> {
    let (time, id) = after.map_or((i64::MAX, i64::MAX), |c| (c.last_activity_ms, c.id));
    let candidates = conversations::search_candidates(db, search)
        .await
        .expect("search candidates");
    let sql = conversations::list_sql(candidates.as_deref());
    let rows = sqlx::query(&format!("EXPLAIN QUERY PLAN {sql}"))
        .bind(search.to_string())
        .bind(format!("%{search}%"))
        .bind(filter.to_string())
        .bind(time)
        .bind(id)
        .bind(PAGE_SIZE + 1)
        .fetch_all(db.pool())
        .await
        .expect("EXPLAIN QUERY PLAN");
    rows.iter()
        .map(|row| row.try_get::<String, _>(3).unwrap_or_else(|e| format!("({e})")))
        .collect()
}

fn list_body(search: &str, filter: &str, after: Option<ConversationCursor>) -> String {
    let after = after.map(|c| json!({ "last_activity_ms": c.last_activity_ms, "id": c.id }));
    json!({ "search": search, "filter": filter, "after": after }).to_string()
}

struct HttpCase {
    name: String,
    method: reqwest::Method,
    path: String,
    body: Option<String>,
    times: usize,
    /// Checks one answer (status is checked already).
    check: fn(&str) -> Result<(), String>,
}

fn check_list_full(body: &str) -> Result<(), String> {
    let value: Value = serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
    let rows = value["page"]["conversations"].as_array().map_or(0, Vec::len);
    (rows == PAGE_SIZE as usize)
        .then_some(())
        .ok_or(format!("{rows} conversations"))
}

/// The name the search looks for: the last seeded customer (`customer 99999` for 100k).
fn search_target(cfg: &Config) -> String {
    format!("customer {}", cfg.contacts - 1)
}

fn check_search(body: &str) -> Result<(), String> {
    let value: Value = serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
    let names: Vec<&str> = value["page"]["conversations"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["contact"]["name"].as_str()).collect())
        .unwrap_or_default();
    (names.len() == 1 && names[0].starts_with("Customer "))
        .then_some(())
        .ok_or(format!("found {names:?}"))
}

fn check_page(body: &str) -> Result<(), String> {
    (body.contains("class=\"conversations\"") && body.contains("Customer ") && body.contains("</html>"))
        .then_some(())
        .ok_or("the conversation list is missing".into())
}

fn check_any(_: &str) -> Result<(), String> {
    Ok(())
}

/// Timings of one HTTP case: complete answers, and how the answer arrived.
#[derive(Default)]
struct HttpTimes {
    total: Vec<Duration>,
    /// Until the status line and headers arrived.
    headers: Vec<Duration>,
    /// The longest pause between two pieces of the body (or the headers and the first piece).
    longest_pause: Vec<Duration>,
    /// Body pieces of the last answer, as they came off the socket.
    chunks: usize,
    bytes: usize,
}

async fn time_http(client: &reqwest::Client, base: &str, cookie: &str, case: &HttpCase) -> HttpTimes {
    let mut times = HttpTimes::default();
    for _ in 0..case.times {
        let started = Instant::now();
        let mut request = client
            .request(case.method.clone(), format!("{base}{}", case.path))
            .header(COOKIE, cookie);
        if let Some(body) = &case.body {
            request = request.header("content-type", "application/json").body(body.clone());
        }
        let mut response = request.send().await.expect("request");
        let headers_at = Instant::now();
        let status = response.status();
        let mut body = Vec::new();
        let (mut previous, mut longest, mut chunks) = (headers_at, Duration::ZERO, 0);
        while let Some(chunk) = response.chunk().await.expect("body") {
            let now = Instant::now();
            longest = longest.max(now - previous);
            previous = now;
            chunks += 1;
            body.extend_from_slice(&chunk);
        }
        times.total.push(started.elapsed());
        times.headers.push(headers_at - started);
        times.longest_pause.push(longest);
        times.chunks = chunks;
        times.bytes = body.len();
        let body = String::from_utf8(body).expect("a UTF-8 answer");
        assert!(
            status.is_success(),
            "{}: {status}: {}",
            case.name,
            body.chars().take(300).collect::<String>()
        );
        if let Err(problem) = (case.check)(&body) {
            panic!("{}: {problem}", case.name);
        }
    }
    times
}

async fn time_db(db: &Db, query: &ConversationQuery, times: usize) -> Vec<Duration> {
    let mut samples = Vec::with_capacity(times);
    for _ in 0..times {
        let started = Instant::now();
        let page = conversations::list_conversations(db, query).await.expect("list");
        samples.push(started.elapsed());
        assert!(!page.conversations.is_empty());
    }
    samples
}

fn render(cfg: &Config, app_rt: &Runtime, load_rt: &Runtime) {
    println!();
    println!(
        "== 2. Inbox at scale: {} contacts, {} conversations, {} messages ==",
        cfg.contacts,
        cfg.contacts,
        cfg.contacts * cfg.messages_per
    );
    let (app, db) = app_rt.block_on(start_app());
    let pool = app.state.db.clone();
    let db_path = db.url.trim_start_matches("sqlite://").to_string();

    let seeded = app_rt.block_on(seed(cfg, &pool, &db_path));
    let total = seeded.contacts + seeded.conversations + seeded.messages;
    println!(
        "  seeding: {:.1} s (contacts {:.1} s, conversations {:.1} s, messages {:.1} s){}",
        total.as_secs_f64(),
        seeded.contacts.as_secs_f64(),
        seeded.conversations.as_secs_f64(),
        seeded.messages.as_secs_f64(),
        seeded
            .analyze
            .map(|d| format!(", then ANALYZE {:.1} s", d.as_secs_f64()))
            .unwrap_or_default()
    );
    println!(
        "  database file: {:.1} MB (WAL after checkpoint: {:.1} MB)",
        seeded.db_bytes as f64 / 1e6,
        seeded.wal_bytes as f64 / 1e6
    );

    // The cursor a client would hold after paging down to `deep_position`, and the newest name.
    let (deep, newest, counts) = app_rt.block_on(async {
        let row = sqlx::query(
            "SELECT last_activity_at, id FROM conversations ORDER BY last_activity_at DESC, id DESC LIMIT 1 OFFSET $1",
        )
        .bind(cfg.deep_position)
        .fetch_one(pool.pool())
        .await
        .expect("a deep cursor");
        let deep = ConversationCursor {
            last_activity_ms: row.get(0),
            id: row.get(1),
        };
        let newest: String = sqlx::query_scalar(
            "SELECT COALESCE(ct.name, ct.wa_id) FROM conversations cv JOIN contacts ct ON ct.id = cv.contact_id \
             ORDER BY cv.last_activity_at DESC, cv.id DESC LIMIT 1",
        )
        .fetch_one(pool.pool())
        .await
        .unwrap();
        let mut counts = Vec::new();
        for table in ["contacts", "conversations", "messages"] {
            let count: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(pool.pool())
                .await
                .unwrap();
            counts.push(format!("{table} {count}"));
        }
        (deep, newest, counts)
    });
    println!("  rows (demo salon included): {}", counts.join(", "));

    println!("  EXPLAIN QUERY PLAN of conversations::list_conversations:");
    let plans = app_rt.block_on(async {
        vec![
            ("first page", explain(&pool, "", "all", None).await),
            ("deep page", explain(&pool, "", "all", Some(deep)).await),
            ("search", explain(&pool, &search_target(cfg), "all", None).await),
        ]
    });
    for (name, plan) in &plans {
        let by_index = plan.iter().any(|d| d.contains("conversations_by_activity"));
        let sorts = plan.iter().any(|d| d.contains("TEMP B-TREE"));
        println!(
            "    {name}: conversations_by_activity used: {} | temp b-tree sort: {}",
            if by_index { "yes" } else { "NO" },
            if sorts { "YES" } else { "no" }
        );
        for detail in plan {
            println!("      {detail}");
        }
    }

    let base = app.base.clone();
    let newest_conversation = app_rt.block_on(async {
        sqlx::query_scalar::<_, i64>("SELECT id FROM conversations ORDER BY last_activity_at DESC, id DESC LIMIT 1")
            .fetch_one(pool.pool())
            .await
            .unwrap()
    });
    let list_path = "/api/inbox/conversations".to_string();
    let cases = vec![
        HttpCase {
            name: "GET /inbox (full SSR)".into(),
            method: reqwest::Method::GET,
            path: "/inbox".into(),
            body: None,
            times: cfg.inbox_requests,
            check: check_page,
        },
        HttpCase {
            name: "GET /inbox?c=<newest> (SSR with open chat)".into(),
            method: reqwest::Method::GET,
            path: format!("/inbox?c={newest_conversation}"),
            body: None,
            times: cfg.list_requests,
            check: check_page,
        },
        HttpCase {
            name: "POST list: first page".into(),
            method: reqwest::Method::POST,
            path: list_path.clone(),
            body: Some(list_body("", "all", None)),
            times: cfg.list_requests,
            check: check_list_full,
        },
        HttpCase {
            name: format!("POST list: deep page (after #{})", cfg.deep_position),
            method: reqwest::Method::POST,
            path: list_path.clone(),
            body: Some(list_body("", "all", Some(deep))),
            times: cfg.list_requests,
            check: check_list_full,
        },
        HttpCase {
            name: "POST list: filter needs_attention".into(),
            method: reqwest::Method::POST,
            path: list_path.clone(),
            body: Some(list_body("", "needs_attention", None)),
            times: cfg.list_requests,
            check: check_list_full,
        },
        HttpCase {
            name: format!("POST list: search \"{}\"", search_target(cfg)),
            method: reqwest::Method::POST,
            path: list_path.clone(),
            body: Some(list_body(&search_target(cfg), "all", None)),
            times: cfg.search_requests,
            check: check_search,
        },
    ];

    let http_results = load_rt.block_on(async {
        let client = client();
        let cookie = sign_in(&client, &base).await;
        // Warm-up: connections, statement caches, the page cache of the database file.
        for case in &cases {
            let warm = HttpCase {
                name: format!("{} (warm-up)", case.name),
                method: case.method.clone(),
                path: case.path.clone(),
                body: case.body.clone(),
                times: case.times.min(20),
                check: check_any,
            };
            time_http(&client, &base, &cookie, &warm).await;
        }
        let page = client
            .get(format!("{base}/inbox"))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains(&newest),
            "the newest conversation ({newest}) is on the page"
        );
        let mut results = Vec::new();
        for case in &cases {
            let times = time_http(&client, &base, &cookie, case).await;
            results.push((case.name.clone(), case.method == reqwest::Method::GET, times));
        }
        results
    });

    let db_results = app_rt.block_on(async {
        let query = |search: &str, filter, after| ConversationQuery {
            search: search.to_string(),
            filter: Some(filter),
            after,
            limit: PAGE_SIZE,
        };
        vec![
            (
                "db only: first page".to_string(),
                time_db(&pool, &query("", ConversationFilter::All, None), cfg.list_requests).await,
            ),
            (
                "db only: deep page".to_string(),
                time_db(
                    &pool,
                    &query("", ConversationFilter::All, Some(deep)),
                    cfg.list_requests,
                )
                .await,
            ),
            (
                "db only: needs_attention".to_string(),
                time_db(
                    &pool,
                    &query("", ConversationFilter::NeedsAttention, None),
                    cfg.list_requests,
                )
                .await,
            ),
            (
                "db only: search".to_string(),
                time_db(
                    &pool,
                    &query(&search_target(cfg), ConversationFilter::All, None),
                    cfg.search_requests,
                )
                .await,
            ),
        ]
    });
    stop_app(cfg, app, db, app_rt);

    println!();
    table_header();
    let mut inbox_p99 = None;
    for (name, is_page, times) in &http_results {
        let s = table_row(&format!("{name} [{:.0} kB]", times.bytes as f64 / 1000.0), &times.total);
        if inbox_p99.is_none() {
            inbox_p99 = Some((s.p50, s.p99));
        }
        if *is_page {
            table_row("  until the response headers", &times.headers);
            table_row(
                &format!("  longest pause inside the body ({} pieces)", times.chunks),
                &times.longest_pause,
            );
        }
    }
    for (name, samples) in &db_results {
        table_row(name, samples);
    }
    if let Some((p50, p99)) = inbox_p99 {
        verdict("GET /inbox p50", p50, 30.0);
        verdict("GET /inbox p99", p99, 30.0);
    }
}

fn main() {
    let cfg = Config::from_env();
    println!(
        "Frontdesk inbox benchmark (SQLite, and PostgreSQL for part 3; offline AI, WhatsApp outbox; app runtime {} threads, clients {} threads)",
        cfg.app_threads, cfg.load_threads
    );
    let app_rt = runtime(cfg.app_threads, "app");
    let load_rt = runtime(cfg.load_threads, "load");
    if cfg.runs("ws") {
        live_updates(&cfg, &app_rt, &load_rt);
    }
    if cfg.runs("render") {
        render(&cfg, &app_rt, &load_rt);
    }
    if cfg.runs("across") {
        across_instances(&cfg, &app_rt, &load_rt);
    }
}
