//! The app over real HTTP on loopback: sign-in, the session gate, 404s and server functions.

use frontdesk::testing;

use frontdesk::model::{access, Role};
use frontdesk::server::startup::Application;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;
use testing::{test_settings, TestApp, TestDb, ADMIN_EMAIL, ADMIN_PASSWORD};

async fn start(database_url: &str) -> TestApp {
    TestApp::start(test_settings(database_url, &[])).await
}

async fn sign_in(app: &TestApp, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/auth/login"))
        .form(&[("email", ADMIN_EMAIL), ("password", password), ("next", "/inbox")])
        .send()
        .await
        .unwrap()
}

/// Signs in and returns the session cookie ("name=value").
async fn session_cookie(app: &TestApp) -> String {
    let response = sign_in(app, ADMIN_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[LOCATION], "/inbox");
    let cookie = response.headers()[SET_COOKIE].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain HTTP by default: {cookie}");
    cookie.split(';').next().unwrap().to_string()
}

#[tokio::test]
async fn pages_and_server_functions_need_a_session() {
    let db = TestDb::sqlite().await;
    let app = start(&db.url).await;

    let health = app.client.get(app.url("/api/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let health: serde_json::Value = health.json().await.unwrap();
    assert_eq!(health["status"], "ok");
    assert!(
        health["queue_lag_seconds"].as_f64().is_some_and(|lag| lag >= 0.0),
        "{health}"
    );

    let page = app.client.get(app.url("/inbox?c=1")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(page.headers()[LOCATION], "/login?next=%2Finbox%3Fc%3D1");

    let data = app
        .client
        .post(app.url("/api/inbox/conversations"))
        .json(&serde_json::json!({ "search": "", "filter": "all", "after": null }))
        .send()
        .await
        .unwrap();
    assert_eq!(data.status(), StatusCode::UNAUTHORIZED);
    let body = data.text().await.unwrap();
    assert!(body.contains("Unauthorized") && !body.contains("Sara"), "{body}");

    let socket = app.client.get(app.url("/ws/inbox-updates")).send().await.unwrap();
    assert_eq!(
        socket.status(),
        StatusCode::UNAUTHORIZED,
        "no live updates without a session"
    );

    let login_page = app.client.get(app.url("/login")).send().await.unwrap();
    assert_eq!(login_page.status(), StatusCode::OK);
    let html = login_page.text().await.unwrap();
    assert!(html.contains("Sign in to Frontdesk"));
    assert!(
        html.contains(r#"rel="icon" href="data:image/svg+xml"#),
        "an inline icon, so the browser never asks for /favicon.ico"
    );

    app.stop().await;
    db.cleanup().await;
}

#[tokio::test]
async fn signing_in_opens_the_app_and_signing_out_closes_it() {
    let db = TestDb::sqlite().await;
    let app = start(&db.url).await;

    let wrong = sign_in(&app, "not the password").await;
    assert_eq!(wrong.status(), StatusCode::SEE_OTHER);
    assert_eq!(wrong.headers()[LOCATION], "/login?error=invalid&next=%2Finbox");
    assert!(wrong.headers().get(SET_COOKIE).is_none());

    let cookie = session_cookie(&app).await;
    let inbox = app
        .client
        .get(app.url("/inbox"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(inbox.status(), StatusCode::OK);
    let html = inbox.text().await.unwrap();
    assert!(
        html.contains("Sara López"),
        "the demo conversations are rendered on the server"
    );
    assert!(html.contains(ADMIN_EMAIL), "the navigation shows who is signed in");

    let data = app
        .client
        .post(app.url("/api/inbox/conversations"))
        .header(COOKIE, &cookie)
        .json(&serde_json::json!({ "search": "priya", "filter": "all", "after": null }))
        .send()
        .await
        .unwrap();
    assert_eq!(data.status(), StatusCode::OK);
    let list: serde_json::Value = data.json().await.unwrap();
    let names: Vec<&str> = list["page"]["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["contact"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Priya Shah"], "conversations embed their contact");

    let missing = app
        .client
        .get(app.url("/no-such-page"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let html = missing.text().await.unwrap();
    assert!(
        html.contains("Page not found") && html.contains("Campaigns"),
        "a 404 inside the app frame"
    );

    let out = app
        .client
        .post(app.url("/auth/logout"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(out.headers()[LOCATION], "/login");
    let closed = app
        .client
        .get(app.url("/inbox"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        closed.status(),
        StatusCode::SEE_OTHER,
        "the old cookie no longer opens the inbox"
    );

    app.stop().await;
    db.cleanup().await;
}

#[tokio::test]
async fn served_over_https_the_session_cookie_is_secure() {
    let db = TestDb::sqlite().await;
    let app = TestApp::start(test_settings(&db.url, &[("FRONTDESK_SECURE_COOKIES", "true")])).await;
    let signed_in = sign_in(&app, ADMIN_PASSWORD).await;
    let cookie = signed_in.headers()[SET_COOKIE].to_str().unwrap().to_string();
    assert!(
        cookie.starts_with("frontdesk_session=") && cookie.ends_with("; Secure"),
        "{cookie}"
    );
    let signed_out = app.client.post(app.url("/auth/logout")).send().await.unwrap();
    let cleared = signed_out.headers()[SET_COOKIE].to_str().unwrap();
    assert!(
        cleared.contains("Max-Age=0") && cleared.ends_with("; Secure"),
        "{cleared}"
    );
    app.stop().await;
    db.cleanup().await;
}

#[tokio::test]
async fn repeated_wrong_passwords_are_slowed_down() {
    let db = TestDb::sqlite().await;
    let app = start(&db.url).await;
    let mut last = String::new();
    for _ in 0..5 {
        let response = sign_in(&app, "guess").await;
        last = response.headers()[LOCATION].to_str().unwrap().to_string();
    }
    assert!(last.starts_with("/login?error=throttled&wait="), "{last}");
    // Even the right password waits until the pause is over.
    let right = sign_in(&app, ADMIN_PASSWORD).await;
    assert!(right.headers()[LOCATION].to_str().unwrap().contains("error=throttled"));
    app.stop().await;
    db.cleanup().await;
}

#[tokio::test]
async fn bad_settings_stop_start_up_with_one_line_naming_them() {
    let db = TestDb::sqlite().await;
    // No staff account yet and no admin configured.
    let settings = frontdesk::server::config::Settings::from_sources("test", None, |name| {
        (name == "DATABASE_URL").then(|| db.url.clone())
    })
    .unwrap();
    let error = Application::build(settings)
        .await
        .err()
        .expect("start-up refuses")
        .to_string();
    assert!(
        error.starts_with("FRONTDESK_ADMIN_EMAIL and FRONTDESK_ADMIN_PASSWORD"),
        "{error}"
    );
    assert!(!error.contains('\n'));
    db.cleanup().await;
}

/// The binary itself: a misspelt variable stops start-up with one line naming it, before
/// anything is opened or served.
#[tokio::test]
async fn a_misspelt_variable_stops_the_binary_with_one_line() {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_frontdesk"))
        .env("FRONTDESK_TIMEZON", "Europe/Madrid")
        .env("DATABASE_URL", "sqlite://target/never-created/frontdesk.db")
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with("frontdesk: FRONTDESK_TIMEZON: no such setting"),
        "{stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(!std::path::Path::new("target/never-created").exists());
}

/// `next=/%09/evil.example` arrives as "/\t/evil.example": browsers would drop the tab and
/// go to another site, so sign-in goes to the inbox instead.
#[tokio::test]
async fn sign_in_never_sends_people_to_another_site() {
    let db = TestDb::sqlite().await;
    let app = start(&db.url).await;
    for next in [
        "/\t/evil.example",
        "//evil.example",
        "/\\evil.example",
        "https://evil.example",
    ] {
        let response = app
            .client
            .post(app.url("/auth/login"))
            .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD), ("next", next)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(response.headers()[LOCATION], "/inbox", "next={next:?}");
    }
    app.stop().await;
    db.cleanup().await;
}

#[tokio::test]
async fn inbox_actions_refuse_bad_input_with_a_clear_message() {
    let db = TestDb::sqlite().await;
    let app = start(&db.url).await;
    let admin = session_cookie(&app).await;
    let call = |cookie: String, path: &'static str, form: Vec<(&'static str, String)>| {
        let request = app.client.post(app.url(path)).header(COOKIE, cookie).form(&form);
        async move {
            let response = request.send().await.unwrap();
            (response.status(), response.text().await.unwrap())
        }
    };
    // Lena wrote 20 days ago: outside WhatsApp's 24-hour window.
    let lena: i64 = sqlx::query_scalar(
        "SELECT cv.id FROM conversations cv JOIN contacts ct ON ct.id = cv.contact_id WHERE ct.name = 'Lena de Vries'",
    )
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();

    let (_, body) = call(
        admin.clone(),
        "/api/inbox/reply",
        vec![("conversation_id", lena.to_string()), ("text", "  ".into())],
    )
    .await;
    assert!(body.contains("Write a reply first."), "{body}");
    let long = "x".repeat(4097);
    let (_, body) = call(
        admin.clone(),
        "/api/inbox/reply",
        vec![("conversation_id", lena.to_string()), ("text", long)],
    )
    .await;
    assert!(body.contains("at most 4096 characters"), "{body}");
    let (_, body) = call(
        admin.clone(),
        "/api/inbox/reply",
        vec![("conversation_id", "999999".into()), ("text", "hi".into())],
    )
    .await;
    assert!(body.contains(r#""NotFound":"Conversation""#), "{body}");
    let (_, body) = call(
        admin.clone(),
        "/api/inbox/reply",
        vec![("conversation_id", lena.to_string()), ("text", "hi".into())],
    )
    .await;
    assert!(body.contains("24 hours"), "{body}");
    let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(before, after, "nothing stored, nothing sent");

    // A marketer may read the inbox but not take conversations over.
    let marketer = app
        .client
        .post(app.url("/auth/login"))
        .form(&[
            ("email", "marketer@frontdesk.local"),
            ("password", ADMIN_PASSWORD),
            ("next", "/inbox"),
        ])
        .send()
        .await
        .unwrap();
    let marketer = marketer.headers()[SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let (status, body) = call(
        marketer,
        "/api/inbox/mode",
        vec![("conversation_id", lena.to_string()), ("mode", "human".into())],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("Forbidden"), "{body}");
    let mode: String = sqlx::query_scalar("SELECT mode FROM conversations WHERE id = $1")
        .bind(lena)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(mode, "bot");

    // The contact's language is one we have messages in, or nothing is saved.
    let lena_contact: i64 = sqlx::query_scalar("SELECT contact_id FROM conversations WHERE id = $1")
        .bind(lena)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let edit = |language: &str| {
        vec![
            ("contact_id", lena_contact.to_string()),
            ("name", "Lena de Vries".into()),
            ("notes", "Prefers Spanish".into()),
            ("tags", String::new()),
            ("language", language.to_string()),
        ]
    };
    let stored = || async {
        let row: (Option<String>, String) = sqlx::query_as("SELECT language, notes FROM contacts WHERE id = $1")
            .bind(lena_contact)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
        row
    };
    let (_, body) = call(admin.clone(), "/api/inbox/contact", edit("klingon")).await;
    assert!(
        body.contains("no messages in `klingon`. Choose one of: en, es."),
        "{body}"
    );
    assert_eq!(stored().await, (None, String::new()), "nothing saved");
    let (status, _) = call(admin.clone(), "/api/inbox/contact", edit("es-ES")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stored().await, (Some("es".into()), "Prefers Spanish".into()));
    let (_, body) = call(
        admin.clone(),
        "/api/inbox/conversation",
        vec![("conversation_id", lena.to_string())],
    )
    .await;
    assert!(body.contains(r#""language":"es""#), "{body}");
    assert!(
        body.contains(r#""languages":[{"code":"en","name":"English"},{"code":"es","name":"Español"}]"#),
        "{body}"
    );
    let (_, _) = call(admin.clone(), "/api/inbox/contact", edit("")).await;
    assert_eq!(stored().await.0, None, "back to not known yet");

    app.stop().await;
    db.cleanup().await;
}

#[tokio::test]
async fn only_sign_in_assets_health_and_webhook_are_public() {
    let db = TestDb::sqlite().await;
    let app = start(&db.url).await;
    let get = |path: &'static str| app.client.get(app.url(path)).send();
    let to_sign_in = |response: &reqwest::Response| {
        response.status() == StatusCode::SEE_OTHER
            && response.headers()[LOCATION]
                .to_str()
                .unwrap()
                .starts_with("/login?next=")
    };

    let open = [
        get("/login").await.unwrap(),
        get("/pkg/frontdesk.wasm").await.unwrap(),
        get("/webhook/whatsapp").await.unwrap(),
        get("/api/health").await.unwrap(),
        get("/robots.txt").await.unwrap(),
        get("/favicon.svg").await.unwrap(),
    ];
    for response in open {
        assert!(
            response.status() != StatusCode::UNAUTHORIZED && !to_sign_in(&response),
            "{} is public: {}",
            response.url(),
            response.status()
        );
    }
    let robots = get("/robots.txt").await.unwrap();
    assert_eq!(robots.status(), StatusCode::OK);
    assert!(robots.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let robots = robots.text().await.unwrap();
    assert!(
        robots.contains("User-agent: *") && robots.contains("Disallow: /"),
        "search engines stay out: {robots}"
    );
    let icon = get("/favicon.svg").await.unwrap();
    assert_eq!(
        (icon.status(), icon.headers()["content-type"].to_str().unwrap()),
        (StatusCode::OK, "image/svg+xml")
    );
    assert!(to_sign_in(&get("/inbox").await.unwrap()));
    assert!(to_sign_in(&get("/nope").await.unwrap()), "unknown pages too");
    assert!(to_sign_in(&get("/").await.unwrap()));
    let api = get("/api/nope").await.unwrap();
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED, "unknown API calls too");

    // The sign-in page still knows who is signed in.
    let cookie = session_cookie(&app).await;
    let login = app
        .client
        .get(app.url("/login"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    assert_eq!(login.headers()[LOCATION], "/inbox");

    app.stop().await;
    db.cleanup().await;
}

/// Walks the served OpenAPI document, which is built from the same declarations as the
/// router and names the roles that may call each operation: every route in it is served to
/// those roles and refused to everyone else and to other sites; and every plain route the
/// app has is in it.
#[tokio::test]
async fn every_documented_route_is_served_with_its_access() {
    let db = TestDb::sqlite().await;
    let app = start(&db.url).await;
    let staff = staff_cookies(&app).await;
    let document: serde_json::Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let mut routes = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().unwrap() {
            let roles = operation["security"].as_array().map(|requirements| {
                let session = requirements
                    .iter()
                    .find_map(|r| r.get("session"))
                    .expect("a session requirement");
                let names = session.as_array().unwrap().iter();
                names
                    .map(|role| Role::parse(role.as_str().unwrap()).unwrap())
                    .collect::<Vec<_>>()
            });
            let endpoint = Declared {
                method: reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                path: path.clone(),
                roles,
                call: Call::Empty,
            };
            check_declared_access(&app, &staff, &endpoint).await;
            routes.push(endpoint.to_string());
        }
    }
    routes.sort();
    assert_eq!(
        routes,
        [
            "GET / (admin, agent, marketer)",
            "GET /api/analytics/roi (admin, agent, marketer)",
            "GET /api/analytics/roi.csv (admin, agent, marketer)",
            "GET /api/campaigns/{id}/recipients.csv (admin, agent, marketer)",
            "GET /api/contacts/{id}/export.json (admin)",
            "GET /api/health",
            "GET /api/openapi.json",
            "GET /webhook/whatsapp",
            "GET /ws/inbox-updates (admin, agent, marketer)",
            "POST /api/campaigns/broadcast (admin, marketer)",
            "POST /auth/login",
            "POST /auth/logout",
            "POST /webhook/whatsapp",
        ]
    );

    app.stop().await;
    db.cleanup().await;
}

/// Walks the app's own registry of server functions, so a new one cannot be left out: each
/// has a declared access, and is served to the roles it names and refused without a session,
/// to every other role and to other sites, before it runs.
#[tokio::test]
async fn every_server_function_is_served_with_its_declared_access() {
    let db = TestDb::sqlite().await;
    let app = start(&db.url).await;
    let staff = staff_cookies(&app).await;
    let (conversation, contact): (i64, i64) =
        sqlx::query_as("SELECT id, contact_id FROM conversations ORDER BY id LIMIT 1")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();

    let mut walked = Vec::new();
    for (path, method) in leptos::server_fn::axum::server_fn_paths() {
        let declared = access::server_function(path).unwrap_or_else(|| panic!("{path} has no declared access"));
        let endpoint = Declared {
            method: reqwest::Method::from_bytes(method.as_str().as_bytes()).unwrap(),
            path: path.to_string(),
            roles: declared.access.roles().map(<[Role]>::to_vec),
            call: sample_call(path, conversation, contact),
        };
        check_declared_access(&app, &staff, &endpoint).await;
        // A refused role is told what the declaration says, as the pages show it.
        for (role, cookie) in &staff {
            if let Err(refusal) = declared.admit(Some(*role)) {
                let answer = send(&app, &endpoint, Some(cookie), &[]).await;
                assert_eq!(
                    serde_json::from_str(&answer.body).ok(),
                    Some(refusal),
                    "{endpoint} as {role}"
                );
            }
        }
        walked.push(endpoint.to_string());
    }
    // The declaration as reviewed: changing who may call what changes this list too.
    walked.sort();
    let expected = [
        "POST /api/analytics/roi (admin, agent, marketer)",
        "POST /api/appointments/cancel (admin, agent)",
        "POST /api/appointments/day (admin, agent, marketer)",
        "POST /api/appointments/mark (admin, agent)",
        "POST /api/appointments/save (admin, agent)",
        "POST /api/audit/log (admin)",
        "POST /api/backoffice (admin, agent, marketer)",
        "POST /api/backoffice/closure/add (admin)",
        "POST /api/backoffice/closure/delete (admin)",
        "POST /api/backoffice/faq/delete (admin)",
        "POST /api/backoffice/faq/save (admin)",
        "POST /api/backoffice/hours/save (admin)",
        "POST /api/backoffice/schedule (admin, agent, marketer)",
        "POST /api/backoffice/service/delete (admin)",
        "POST /api/backoffice/service/save (admin)",
        "POST /api/backoffice/staff/delete (admin)",
        "POST /api/backoffice/staff/save (admin)",
        "POST /api/backoffice/staff/time-off/add (admin)",
        "POST /api/backoffice/staff/time-off/delete (admin)",
        "POST /api/backoffice/tag/delete (admin)",
        "POST /api/backoffice/tag/merge (admin)",
        "POST /api/backoffice/tag/save (admin)",
        "POST /api/campaigns/act (admin, marketer)",
        "POST /api/campaigns/detail (admin, agent, marketer)",
        "POST /api/campaigns/launch (admin, marketer)",
        "POST /api/campaigns/options (admin, agent, marketer)",
        "POST /api/campaigns/overview (admin, agent, marketer)",
        "POST /api/campaigns/plan (admin, marketer)",
        "POST /api/campaigns/templates (admin, agent, marketer)",
        "POST /api/campaigns/templates/sync (admin, marketer)",
        "POST /api/campaigns/tokens (admin)",
        "POST /api/campaigns/tokens/create (admin)",
        "POST /api/campaigns/tokens/revoke (admin)",
        "POST /api/contacts/erase (admin)",
        "POST /api/contacts/export (admin)",
        "POST /api/contacts/import (admin, marketer)",
        "POST /api/inbox/contact (admin, agent)",
        "POST /api/inbox/conversation (admin, agent, marketer)",
        "POST /api/inbox/conversations (admin, agent, marketer)",
        "POST /api/inbox/mode (admin, agent)",
        "POST /api/inbox/read (admin, agent, marketer)",
        "POST /api/inbox/reply (admin, agent)",
        "POST /api/inbox/template (admin, agent)",
        "POST /api/knowledge (admin, agent, marketer)",
        "POST /api/session/me (admin, agent, marketer)",
        "POST /api/simulator/access (admin)",
        "POST /api/simulator/send (admin)",
        "POST /api/simulator/thread (admin)",
        "POST /api/team (admin)",
        "POST /api/team/active (admin)",
        "POST /api/team/invite (admin)",
        "POST /api/team/password (admin)",
        "POST /api/team/role (admin)",
    ];
    assert_eq!(walked, expected);

    app.stop().await;
    db.cleanup().await;
}

/// A session cookie for each staff role: the admin's and the demo staff's.
async fn staff_cookies(app: &TestApp) -> Vec<(Role, String)> {
    let mut staff = vec![(Role::Admin, session_cookie(app).await)];
    for (email, _, role) in frontdesk::server::startup::DEMO_STAFF {
        staff.push((role, session_cookie_of(app, email).await));
    }
    assert_eq!(staff.len(), Role::ALL.len(), "one account of each role");
    staff
}

/// An endpoint as the test found it: how to call it, and who may (`None`: anyone).
struct Declared {
    method: reqwest::Method,
    path: String,
    roles: Option<Vec<Role>>,
    call: Call,
}

impl std::fmt::Display for Declared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.path)?;
        if let Some(roles) = &self.roles {
            let names: Vec<&str> = roles.iter().map(|role| role.as_str()).collect();
            write!(f, " ({})", names.join(", "))?;
        }
        Ok(())
    }
}

/// What an endpoint is sent: server functions take a form or JSON (their `input =`).
enum Call {
    Empty,
    Form(Vec<(&'static str, String)>),
    Json(serde_json::Value),
}

/// Arguments each server function understands, so an admitted caller reaches its code: the
/// answer is its own (often a refusal of the input, so nothing changes), never the gate's.
/// One not listed here gets an empty form, which the gate judges all the same.
fn sample_call(path: &str, conversation: i64, contact: i64) -> Call {
    let conversation = || ("conversation_id", conversation.to_string());
    let text = |value: &str| value.to_string();
    match path {
        "/api/inbox/conversations" => Call::Json(serde_json::json!({ "search": "", "filter": "all", "after": null })),
        "/api/inbox/conversation" | "/api/inbox/read" => Call::Form(vec![conversation()]),
        "/api/inbox/mode" => Call::Form(vec![conversation(), ("mode", text("bot"))]),
        "/api/inbox/reply" => Call::Form(vec![conversation(), ("text", text(""))]),
        "/api/inbox/template" => Call::Form(vec![conversation(), ("template_id", text("0"))]),
        "/api/inbox/contact" => Call::Form(vec![
            ("contact_id", contact.to_string()),
            ("name", "x".repeat(61)),
            ("notes", text("")),
            ("tags", text("")),
            ("language", text("")),
        ]),
        "/api/campaigns/plan" => Call::Json(serde_json::json!({ "draft": { "name": "Access" }, "schedule_local": "" })),
        "/api/campaigns/launch" => Call::Json(serde_json::json!({
            "draft": { "name": "Access", "text": "Hi" },
            "schedule_local": "",
            "key": "access-check",
        })),
        "/api/campaigns/detail" => Call::Form(vec![("campaign_id", text("1")), ("status", text("bogus"))]),
        "/api/campaigns/act" => Call::Form(vec![("campaign_id", text("0")), ("action", text("pause"))]),
        "/api/campaigns/tokens/create" => Call::Form(vec![("name", text(""))]),
        "/api/campaigns/tokens/revoke" => Call::Form(vec![("token_id", text("0"))]),
        "/api/contacts/import" => Call::Json(serde_json::json!({ "csv": "" })),
        "/api/simulator/send" => Call::Form(vec![
            ("wa_id", text("not a number")),
            ("profile_name", text("")),
            ("text", text("")),
        ]),
        "/api/simulator/thread" => Call::Form(vec![("wa_id", text("not a number"))]),
        "/api/contacts/export" => Call::Form(vec![("contact_id", contact.to_string())]),
        // A confirmation that is not the number: reaches the function, erases nobody.
        "/api/contacts/erase" => Call::Form(vec![
            ("contact_id", contact.to_string()),
            ("confirmation", text("not their number")),
        ]),
        // Edits the back office refuses as bad input, so the walk changes no knowledge.
        "/api/backoffice/service/save" => Call::Json(serde_json::json!({ "form": {
            "id": null, "name": "Access", "description": "", "duration_minutes": "30",
            "price": "-1", "active": true, "staff_ids": [],
        }})),
        "/api/backoffice/service/delete" => Call::Form(vec![("service_id", text("0"))]),
        "/api/backoffice/faq/save" => Call::Json(serde_json::json!({ "faq_id": null, "question": "", "answer": "" })),
        "/api/backoffice/faq/delete" => Call::Form(vec![("faq_id", text("0"))]),
        "/api/backoffice/tag/save" => {
            Call::Json(serde_json::json!({ "tag_id": null, "name": "Access", "color": "red" }))
        }
        "/api/backoffice/tag/merge" => Call::Form(vec![("from", text("0")), ("into", text("0"))]),
        "/api/backoffice/staff/save" => Call::Json(serde_json::json!({ "form": {
            "id": null, "name": " ", "role_title": "", "active": true, "service_ids": [], "hours": [],
        }})),
        "/api/backoffice/staff/delete" => Call::Form(vec![("staff_id", text("0"))]),
        "/api/backoffice/staff/time-off/add" => Call::Json(serde_json::json!({
            "staff_id": 0, "form": { "starts_on": "not a date", "ends_on": "", "reason": "" }, "keep_booked": false,
        })),
        "/api/backoffice/staff/time-off/delete" => Call::Form(vec![("time_off_id", text("0"))]),
        "/api/backoffice/hours/save" => Call::Json(serde_json::json!({
            "periods": [{ "weekday": 0, "starts": "ab", "ends": "25:00" }], "keep_booked": false,
        })),
        "/api/backoffice/closure/add" => Call::Json(serde_json::json!({
            "form": { "starts_on": "not a date", "ends_on": "", "reason": "Access" }, "keep_booked": false,
        })),
        "/api/backoffice/closure/delete" => Call::Form(vec![("closure_id", text("0"))]),
        // Appointments that do not exist, and a booking with no day: nothing changes.
        "/api/appointments/day" => Call::Form(vec![("day", text("2026-01-05"))]),
        "/api/appointments/mark" => Call::Json(serde_json::json!({ "appointment_id": 0, "status": "no_show" })),
        "/api/appointments/cancel" => Call::Json(serde_json::json!({ "appointment_id": 0, "notify": false })),
        "/api/appointments/save" => Call::Json(serde_json::json!({ "form": {
            "appointment_id": null, "phone": "+34600000000", "name": "", "service_id": 0, "staff_id": null,
            "date": "", "time": "", "notify": false,
        }})),
        "/api/backoffice/tag/delete" => Call::Form(vec![("tag_id", text("0"))]),
        // Changes the team refuses (bad input, nobody with id 0), so the walk's admin stays.
        "/api/team/invite" => Call::Json(serde_json::json!({ "form": {
            "email": "not an email", "display_name": "Access", "role": "agent", "password": "",
        }})),
        "/api/team/role" => Call::Form(vec![("user_id", text("0")), ("role", text("agent"))]),
        "/api/team/password" => Call::Json(serde_json::json!({ "user_id": 0, "password": "short" })),
        "/api/team/active" => Call::Form(vec![("user_id", text("0")), ("active", text("false"))]),
        _ => Call::Form(Vec::new()),
    }
}

#[derive(Debug)]
struct Answer {
    status: StatusCode,
    location: Option<String>,
    body: String,
}

impl Answer {
    /// Turned away as the gates turn away a caller without a session: a page is sent to
    /// sign in, anything else gets 401 (the broadcast route's own 401 also asks for a token).
    fn wants_a_session(&self) -> bool {
        let to_sign_in = self.location.as_deref().is_some_and(|l| l.starts_with("/login?next="));
        to_sign_in
            || self.status == StatusCode::UNAUTHORIZED
                && (self.body.contains("Unauthorized") || self.body.contains("Sign in"))
    }

    /// Answered by the endpoint itself: neither refused nor unrouted. (A server function may
    /// answer 404 for what it was asked about, naming it.)
    fn served(&self) -> bool {
        let refused = [
            StatusCode::UNAUTHORIZED,
            StatusCode::FORBIDDEN,
            StatusCode::METHOD_NOT_ALLOWED,
        ];
        !refused.contains(&self.status) && (self.status != StatusCode::NOT_FOUND || self.body.contains("NotFound"))
    }
}

async fn send(app: &TestApp, endpoint: &Declared, cookie: Option<&str>, headers: &[(&str, &str)]) -> Answer {
    let mut request = app.client.request(endpoint.method.clone(), app.url(&endpoint.path));
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request = match &endpoint.call {
        Call::Empty => request,
        Call::Form(fields) => request.form(fields),
        Call::Json(value) => request.json(value),
    };
    let response = request.send().await.unwrap();
    Answer {
        status: response.status(),
        location: response
            .headers()
            .get(LOCATION)
            .map(|l| l.to_str().unwrap().to_string()),
        body: response.text().await.unwrap(),
    }
}

/// Without a session an endpoint for staff refuses and a public one answers; each role it
/// names is served and each other role gets 403; and another site gets 403 for anything
/// that changes something (GETs change nothing, so for them that is a websocket upgrade).
/// A public route may still refuse on its own terms (the webhook's 401 for a missing
/// signature), but never as the gate does; it is not called with a session (signing out
/// would end it).
async fn check_declared_access(app: &TestApp, staff: &[(Role, String)], endpoint: &Declared) {
    let anonymous = send(app, endpoint, None, &[]).await;
    let unrouted = [StatusCode::NOT_FOUND, StatusCode::METHOD_NOT_ALLOWED];
    match &endpoint.roles {
        Some(_) => assert!(
            anonymous.wants_a_session(),
            "{endpoint} without a session: {anonymous:?}"
        ),
        None => assert!(
            !anonymous.wants_a_session() && !unrouted.contains(&anonymous.status),
            "{endpoint} is public: {anonymous:?}"
        ),
    }
    let mut admitted = None;
    if let Some(roles) = &endpoint.roles {
        for (role, cookie) in staff {
            let answer = send(app, endpoint, Some(cookie), &[]).await;
            if roles.contains(role) {
                assert!(answer.served(), "{endpoint} serves {role}: {answer:?}");
                admitted = Some(cookie.as_str());
            } else {
                assert_eq!(
                    answer.status,
                    StatusCode::FORBIDDEN,
                    "{endpoint} refuses {role}: {answer:?}"
                );
            }
        }
        assert!(admitted.is_some(), "{endpoint}: some role may call it");
    }
    let changes: &[(&str, &str)] = if endpoint.method == reqwest::Method::GET {
        &[("upgrade", "websocket")]
    } else {
        &[]
    };
    for site in [("origin", "http://evil.example"), ("sec-fetch-site", "cross-site")] {
        let headers = [changes, std::slice::from_ref(&site)].concat();
        let answer = send(app, endpoint, admitted, &headers).await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{endpoint} from another site: {answer:?}"
        );
        assert!(answer.body.contains("another site"), "{endpoint}: {answer:?}");
    }
}

/// The inbox socket only listens: a client that sends a big message is cut off rather than
/// buffered (the limit is 4 KiB; tungstenite's own is 64 MiB).
#[tokio::test]
async fn the_inbox_socket_refuses_big_client_messages() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;

    let db = TestDb::sqlite().await;
    let app = start(&db.url).await;
    let cookie = session_cookie(&app).await;
    let (mut socket, _) = tokio_tungstenite::connect_async(inbox_socket_request(&app, &cookie, None))
        .await
        .unwrap();
    socket.send(Message::text("x".repeat(64 * 1024))).await.unwrap();
    let closed = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        loop {
            match socket.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return true,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await;
    assert_eq!(closed, Ok(true), "the server closes the socket");
    app.stop().await;
    db.cleanup().await;
}

/// Signs in as one of the demo staff (who share the admin's password) and returns the
/// session cookie.
async fn session_cookie_of(app: &TestApp, email: &str) -> String {
    let response = app
        .client
        .post(app.url("/auth/login"))
        .form(&[("email", email), ("password", ADMIN_PASSWORD), ("next", "/inbox")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()[LOCATION], "/inbox", "{email} signs in");
    response.headers()[SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

/// A page's HTML as the staff member with `cookie` gets it.
async fn page_text(app: &TestApp, path: &str, cookie: &str) -> String {
    let page = app
        .client
        .get(app.url(path))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    page.text().await.unwrap()
}

async fn simulator_send(app: &TestApp, cookie: &str, number: &str) -> (StatusCode, String) {
    let response = app
        .client
        .post(app.url("/api/simulator/send"))
        .header(COOKIE, cookie)
        .form(&[("wa_id", number), ("profile_name", "Sim"), ("text", "hi")])
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

/// Speaking as a customer is an admin's test tool, only while replies stay in the outbox,
/// and what it writes is labelled in the inbox.
#[tokio::test]
async fn only_an_admin_plays_a_customer_and_only_with_the_outbox() {
    let db = TestDb::sqlite().await;
    let app = start(&db.url).await;
    // What a number has left in the database: its contact and the jobs in its lane.
    let stored = |number: &'static str| {
        let pool = db.db.pool().clone();
        async move {
            let row: (i64, i64) = sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM contacts WHERE wa_id = $1), (SELECT COUNT(*) FROM jobs WHERE lane = $2)",
            )
            .bind(number)
            .bind(format!("contact:{number}"))
            .fetch_one(&pool)
            .await
            .unwrap();
            row
        }
    };
    for email in ["marketer@frontdesk.local", "agent@frontdesk.local"] {
        let cookie = session_cookie_of(&app, email).await;
        let (status, body) = simulator_send(&app, &cookie, "34600777001").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{email}: {body}");
        assert!(body.contains("Only an admin"), "{body}");
        let thread = app
            .client
            .post(app.url("/api/simulator/thread"))
            .header(COOKIE, &cookie)
            .form(&[("wa_id", "34600111222")])
            .send()
            .await
            .unwrap();
        assert_eq!(
            thread.status(),
            StatusCode::FORBIDDEN,
            "{email} reads no customer's phone"
        );
        let page = page_text(&app, "/simulator", &cookie).await;
        assert!(
            page.contains("Only an admin") && !page.contains("Message as the customer"),
            "an explanation instead of the form"
        );
    }
    assert_eq!(stored("34600777001").await, (0, 0), "nothing stored");

    let admin = session_cookie(&app).await;
    let (status, body) = simulator_send(&app, &admin, "34600777002").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let page = page_text(&app, "/simulator", &admin).await;
    assert!(page.contains("Message as the customer"), "the admin gets the form");
    let conversation = std::cell::Cell::new(0i64);
    testing::eventually(10, "the simulated message is stored", || async {
        let row: Option<(i64, Option<String>)> = sqlx::query_as(
            "SELECT m.conversation_id, m.wa_message_id FROM messages m JOIN conversations cv ON cv.id = m.conversation_id \
             JOIN contacts ct ON ct.id = cv.contact_id WHERE ct.wa_id = '34600777002' AND m.author = 'customer'",
        )
        .fetch_optional(app.state.db.pool())
        .await
        .unwrap();
        match row {
            Some((id, wamid)) => {
                assert!(wamid.unwrap().starts_with("sim."), "marked as simulated");
                conversation.set(id);
                true
            }
            None => false,
        }
    })
    .await;
    let inbox = app
        .client
        .get(app.url(&format!("/inbox?c={}", conversation.get())))
        .header(COOKIE, &admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(inbox.contains(r#"class="badge simulated""#), "the inbox labels it");
    app.stop().await;

    // With a Cloud API token replies reach real people: the simulator is off, even for the admin.
    let cloud = [
        ("WHATSAPP_ACCESS_TOKEN", "token"),
        ("WHATSAPP_PHONE_NUMBER_ID", "1234"),
        ("WHATSAPP_API_BASE", "http://127.0.0.1:9"),
    ];
    let app = TestApp::start(test_settings(&db.url, &cloud)).await;
    let admin = session_cookie(&app).await;
    let (status, body) = simulator_send(&app, &admin, "34600777003").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("The simulator is off"), "{body}");
    assert_eq!(stored("34600777003").await, (0, 0), "nothing stored");
    app.stop().await;

    // In development mode it is on again.
    let dev = [cloud.as_slice(), &[("FRONTDESK_DEV_MODE", "true")]].concat();
    let app = TestApp::start(test_settings(&db.url, &dev)).await;
    let admin = session_cookie(&app).await;
    let (status, body) = simulator_send(&app, &admin, "34600777004").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.stop().await;
    db.cleanup().await;
}

/// Every `<script>` of a page carries the nonce its policy names: hydration runs, and no
/// other inline script would.
fn assert_scripts_carry_the_nonce(policy: &str, html: &str) {
    let scripts: Vec<&str> = html.split("<script").skip(1).collect();
    assert!(!scripts.is_empty(), "the page hydrates: {html}");
    for script in scripts {
        let open_tag = &script[..script.find('>').unwrap()];
        let nonce = open_tag
            .split_once("nonce=\"")
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(nonce, _)| nonce)
            .unwrap_or_else(|| panic!("a script without a nonce: <script{open_tag}>"));
        assert!(policy.contains(&format!("'nonce-{nonce}'")), "{policy}");
    }
}

/// Checks the security headers and returns the content security policy.
fn assert_security_headers(response: &reqwest::Response, no_store: bool) -> String {
    let headers = response.headers();
    let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_string());
    let policy = header("content-security-policy").unwrap_or_else(|| panic!("{}: no CSP", response.url()));
    for part in [
        "default-src 'self'",
        "script-src 'self'",
        "'wasm-unsafe-eval'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(policy.contains(part), "{}: {policy}", response.url());
    }
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    assert_eq!(header("x-frame-options").as_deref(), Some("DENY"));
    assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
    assert_eq!(header("referrer-policy").as_deref(), Some("same-origin"));
    assert_eq!(
        header("cache-control").as_deref() == Some("no-store"),
        no_store,
        "{}: cache-control {:?}",
        response.url(),
        header("cache-control")
    );
    policy
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let db = TestDb::sqlite().await;
    let app = start(&db.url).await;

    let login = app.client.get(app.url("/login")).send().await.unwrap();
    let policy = assert_security_headers(&login, true);
    assert_scripts_carry_the_nonce(&policy, &login.text().await.unwrap());

    let cookie = session_cookie(&app).await;
    let inbox = app
        .client
        .get(app.url("/inbox"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    let policy = assert_security_headers(&inbox, true);
    assert_scripts_carry_the_nonce(&policy, &inbox.text().await.unwrap());

    let api = app
        .client
        .post(app.url("/api/session/me"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::OK);
    assert_security_headers(&api, true);
    let refused = app.client.post(app.url("/api/session/me")).send().await.unwrap();
    assert_security_headers(&refused, true);

    for public in ["/pkg/frontdesk.wasm", "/robots.txt", "/favicon.svg"] {
        let file = app.client.get(app.url(public)).send().await.unwrap();
        assert_security_headers(&file, false);
    }

    app.stop().await;
    db.cleanup().await;
}

/// A release site (scripts/release) holds a gzip copy beside each bundle file: a browser that
/// accepts gzip is sent the copy, smaller on the wire; any other client gets the file itself.
#[tokio::test]
async fn the_bundle_goes_out_gzipped_to_browsers_that_accept_it() {
    let db = TestDb::sqlite().await;
    let site = std::env::temp_dir().join(format!("frontdesk-site-{}", std::process::id()));
    let pkg = site.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let wasm = b"\0asm\x01\0\0\0 the page's code".to_vec();
    let gzip_copy = b"\x1f\x8b pretend gzip of the same".to_vec();
    std::fs::write(pkg.join("frontdesk.wasm"), &wasm).unwrap();
    std::fs::write(pkg.join("frontdesk.wasm.gz"), &gzip_copy).unwrap();
    let app = TestApp::start(test_settings(&db.url, &[("LEPTOS_SITE_ROOT", site.to_str().unwrap())])).await;

    let fetch = |accept: &'static str| {
        app.client
            .get(app.url("/pkg/frontdesk.wasm"))
            .header(reqwest::header::ACCEPT_ENCODING, accept)
            .send()
    };
    let gzipped = fetch("gzip, deflate, br").await.unwrap();
    assert_eq!(gzipped.status(), StatusCode::OK);
    assert_eq!(gzipped.headers()["content-encoding"], "gzip");
    assert_eq!(gzipped.headers()["content-type"], "application/wasm");
    assert_eq!(gzipped.bytes().await.unwrap().to_vec(), gzip_copy);

    let plain = fetch("identity").await.unwrap();
    assert_eq!(plain.status(), StatusCode::OK);
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.bytes().await.unwrap().to_vec(), wasm);

    app.stop().await;
    db.cleanup().await;
    std::fs::remove_dir_all(&site).unwrap();
}

/// Signing out ends the live updates of the session's open socket too, within seconds.
#[tokio::test]
async fn the_inbox_socket_closes_when_its_session_is_signed_out() {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;

    let db = TestDb::sqlite().await;
    let app = start(&db.url).await;
    let cookie = session_cookie(&app).await;
    let (mut socket, _) = tokio_tungstenite::connect_async(inbox_socket_request(&app, &cookie, None))
        .await
        .unwrap();

    let out = app
        .client
        .post(app.url("/auth/logout"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let closed = tokio::time::timeout(std::time::Duration::from_secs(8), async {
        loop {
            match socket.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return true,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await;
    assert_eq!(closed, Ok(true), "the server closes the signed-out socket");
    app.stop().await;
    db.cleanup().await;
}

/// A page on a sibling subdomain or another port cannot act as the signed-in agent: posts,
/// server functions, sign-in and the live inbox socket refuse other origins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_from_another_site_are_refused() {
    let db = TestDb::sqlite().await;
    let app = start(&db.url).await;
    let cookie = session_cookie(&app).await;
    let own_origin = app.url("").trim_end_matches('/').to_string();
    let messages = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM messages")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap()
    };
    let conversation: i64 = sqlx::query_scalar("SELECT id FROM conversations ORDER BY id LIMIT 1")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let before = messages().await;
    let reply = |header: &'static str, value: String| {
        app.client
            .post(app.url("/api/inbox/mode"))
            .header(COOKIE, &cookie)
            .header(header, value)
            .form(&[
                ("conversation_id", conversation.to_string()),
                ("mode", "human".to_string()),
            ])
            .send()
    };
    for (header, value) in [
        ("origin", "http://evil.example".to_string()),
        ("origin", own_origin.replace("127.0.0.1", "localhost")),
        ("origin", "null".to_string()),
        ("sec-fetch-site", "same-site".to_string()),
        ("sec-fetch-site", "cross-site".to_string()),
    ] {
        let response = reply(header, value.clone()).await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{header}: {value}");
        assert!(response.text().await.unwrap().contains("another site"));
    }
    assert_eq!(messages().await, before, "nothing changed");
    let mode: String = sqlx::query_scalar("SELECT mode FROM conversations WHERE id = $1")
        .bind(conversation)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(mode, "bot", "the takeover did not happen");

    // The same request from the app's own pages goes through.
    let own = reply("origin", own_origin.clone()).await.unwrap();
    assert_ne!(own.status(), StatusCode::FORBIDDEN);
    let own = reply("sec-fetch-site", "same-origin".into()).await.unwrap();
    assert_ne!(own.status(), StatusCode::FORBIDDEN);

    // Sign-in from another site is refused too.
    let login = app
        .client
        .post(app.url("/auth/login"))
        .header("origin", "http://evil.example")
        .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::FORBIDDEN);

    // The live inbox does not open for another site's page.
    let foreign = inbox_socket_request(&app, &cookie, Some("http://evil.example"));
    assert!(tokio_tungstenite::connect_async(foreign).await.is_err());
    let own = inbox_socket_request(&app, &cookie, Some(&own_origin));
    assert!(tokio_tungstenite::connect_async(own).await.is_ok(), "its own page may");
    app.stop().await;
    db.cleanup().await;
}

/// Peak resident memory of this process (the app runs in it), from the kernel.
fn peak_memory_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0)
}

/// 500 parallel wrong passwords for one account: the attempts are counted before any
/// password is checked, so only the free ones are checked, memory stays bounded, and the
/// owner signs in at once from another address, and from the same one after the pause.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_guesses_checks_few_passwords_and_locks_nobody_out() {
    let db = TestDb::sqlite().await;
    let app = start(&db.url).await;
    let before = app.state.login_throttle.checks_done();
    let memory_before = peak_memory_kib();
    let guesses = (0..500).map(|_| sign_in(&app, "guess"));
    let answers = futures_util::future::join_all(guesses).await;
    let checked = app.state.login_throttle.checks_done() - before;
    let throttled = answers
        .iter()
        .filter(|r| r.headers()[LOCATION].to_str().unwrap().contains("error=throttled"))
        .count();
    assert!(checked <= 3, "only the free attempts are checked, not {checked}");
    assert!(throttled >= 497, "the others are told to wait: {throttled}");
    let grown_mib = peak_memory_kib().saturating_sub(memory_before) / 1024;
    println!("500 parallel guesses: {checked} password checks, peak memory grew by {grown_mib} MiB");
    // The peak is the whole test process's, and the other tests of this file run beside this
    // one; unbounded, 500 checks at about 19 MiB each would need gigabytes.
    assert!(grown_mib < 512, "memory stays bounded: grew {grown_mib} MiB");

    // The owner, at another address, is not locked out.
    let elsewhere = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let owner = elsewhere
        .post(app.url("/auth/login"))
        .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD), ("next", "/inbox")])
        .send()
        .await
        .unwrap();
    assert_eq!(owner.headers()[LOCATION], "/inbox", "signed in from another address");
    // At the guessing address the right password works after the pause (2 s here).
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let right = sign_in(&app, ADMIN_PASSWORD).await;
    assert_eq!(right.headers()[LOCATION], "/inbox");
    app.stop().await;
    db.cleanup().await;
}

/// The demo's agent and marketer share the demo password, so they sign in only while the
/// demo is on. (That demo data is off by default is a unit test of the settings.)
#[tokio::test]
async fn demo_accounts_sign_in_only_while_the_demo_is_on() {
    let db = TestDb::sqlite().await;
    let app = start(&db.url).await;
    let as_marketer = |app: &TestApp| {
        app.client
            .post(app.url("/auth/login"))
            .form(&[
                ("email", "marketer@frontdesk.local"),
                ("password", ADMIN_PASSWORD),
                ("next", "/inbox"),
            ])
            .send()
    };
    let on = as_marketer(&app).await.unwrap();
    assert_eq!(on.headers()[LOCATION], "/inbox", "the demo is on");
    app.stop().await;

    // The same database, started again without the demo.
    let app = TestApp::start(test_settings(&db.url, &[("FRONTDESK_DEMO_DATA", "false")])).await;
    let off = as_marketer(&app).await.unwrap();
    assert!(off.headers()[LOCATION].to_str().unwrap().contains("error=invalid"));
    let admin = sign_in(&app, ADMIN_PASSWORD).await;
    assert_eq!(admin.headers()[LOCATION], "/inbox", "real accounts still sign in");
    app.stop().await;
    db.cleanup().await;
}

/// The upgrade request of the live inbox socket, with the session cookie and, if given, the
/// `Origin` a browser would send.
fn inbox_socket_request(
    app: &TestApp,
    cookie: &str,
    origin: Option<&str>,
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::http::HeaderValue;

    let url = app.url("/ws/inbox-updates").replacen("http://", "ws://", 1);
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("cookie", HeaderValue::from_str(cookie).unwrap());
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("origin", HeaderValue::from_str(origin).unwrap());
    }
    request
}

/// The contact import takes a file of megabytes, on its own endpoint only, and only from
/// marketers and admins.
#[tokio::test]
async fn the_contact_import_takes_a_large_file_from_marketers_only() {
    let db = TestDb::sqlite().await;
    let app = start(&db.url).await;
    let mut csv = String::from("phone,name,tags,consent\n");
    for i in 0..20_000 {
        csv.push_str(&format!("+34 6{i:08},Imported Client {i},imported,yes\n"));
    }
    assert!(csv.len() > 512 * 1024, "above the general body limit");
    let body = serde_json::json!({ "csv": csv });
    let post = |path: &'static str, cookie: String| {
        let request = app.client.post(app.url(path)).header(COOKIE, cookie).json(&body);
        async move { request.send().await.unwrap() }
    };

    let agent = session_cookie_of(&app, "agent@frontdesk.local").await;
    assert_eq!(
        post("/api/contacts/import", agent).await.status(),
        StatusCode::FORBIDDEN
    );
    let marketer = session_cookie_of(&app, "marketer@frontdesk.local").await;
    // Other endpoints keep the small limit (a server function reports it as its own failure).
    let other = post("/api/inbox/conversations", marketer.clone()).await;
    assert!(!other.status().is_success());
    let refusal = other.text().await.unwrap();
    assert!(refusal.contains("length limit exceeded"), "{refusal}");
    let response = post("/api/contacts/import", marketer).await;
    assert_eq!(response.status(), StatusCode::OK);
    let report: frontdesk::model::ImportReport = response.json().await.unwrap();
    assert_eq!(report.lines, 20_000);
    assert!(report.rejected.is_empty(), "{:?}", report.rejected.first());
    assert_eq!(report.created + report.merged, 20_000);
    assert_eq!(report.consent_given, 20_000);
    app.stop().await;
    db.cleanup().await;
}

/// A customer's data is exported and erased by admins only: without a session, or as an agent
/// or a marketer, every way in is refused and nothing is erased; an admin's erasure needs the
/// number typed back, and every export and erasure is in the audit log, which only admins read.
#[tokio::test]
async fn only_an_admin_exports_or_erases_a_customer_and_it_is_recorded() {
    let db = TestDb::sqlite().await;
    let app = start(&db.url).await;
    let pool = app.state.db.pool().clone();
    let (lena, wa_id): (i64, String) = sqlx::query_as("SELECT id, wa_id FROM contacts WHERE name = 'Lena de Vries'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let stored = || {
        let pool = pool.clone();
        async move {
            let row: (i64, i64) = sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM contacts WHERE id = $1), \
                 (SELECT COUNT(*) FROM messages m JOIN conversations cv ON cv.id = m.conversation_id \
                  WHERE cv.contact_id = $1)",
            )
            .bind(lena)
            .fetch_one(&pool)
            .await
            .unwrap();
            row
        }
    };
    let before = stored().await;
    assert!(before.0 == 1 && before.1 > 0, "{before:?}");
    let post = |cookie: Option<&str>, path: &str, form: Vec<(&'static str, String)>| {
        let mut request = app.client.post(app.url(path)).form(&form);
        if let Some(cookie) = cookie {
            request = request.header(COOKIE, cookie);
        }
        async move {
            let response = request.send().await.unwrap();
            (response.status(), response.text().await.unwrap())
        }
    };
    let download = |cookie: Option<&str>, id: i64| {
        let mut request = app.client.get(app.url(&format!("/api/contacts/{id}/export.json")));
        if let Some(cookie) = cookie {
            request = request.header(COOKIE, cookie);
        }
        request.send()
    };
    let export = || vec![("contact_id", lena.to_string())];
    let erase = |typed: &str| vec![("contact_id", lena.to_string()), ("confirmation", typed.to_string())];
    let typed_back = format!("+{wa_id}");
    let inbox_page = |cookie: String| {
        let pool = pool.clone();
        let client = app.client.clone();
        let base = app.base.clone();
        async move {
            let conversation: i64 = sqlx::query_scalar("SELECT id FROM conversations WHERE contact_id = $1")
                .bind(lena)
                .fetch_one(&pool)
                .await
                .unwrap();
            let url = format!("{base}/inbox?c={conversation}");
            let page = client.get(url).header(COOKIE, cookie).send().await.unwrap();
            page.text().await.unwrap()
        }
    };

    // No session: 401 everywhere.
    for (path, form) in [
        ("/api/contacts/export", export()),
        ("/api/contacts/erase", erase(&typed_back)),
        ("/api/audit/log", Vec::new()),
    ] {
        let (status, body) = post(None, path, form).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}: {body}");
    }
    assert_eq!(download(None, lena).await.unwrap().status(), StatusCode::UNAUTHORIZED);

    // Agents and marketers: 403, and nothing of the customer in the answer.
    for email in ["agent@frontdesk.local", "marketer@frontdesk.local"] {
        let cookie = session_cookie_of(&app, email).await;
        for (path, form) in [
            ("/api/contacts/export", export()),
            ("/api/contacts/erase", erase(&typed_back)),
            ("/api/audit/log", Vec::new()),
        ] {
            let (status, body) = post(Some(&cookie), path, form).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{email} {path}: {body}");
            assert!(body.contains("Only an admin") && !body.contains(&wa_id), "{body}");
        }
        let refused = download(Some(&cookie), lena).await.unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{email}");
        assert!(!refused.text().await.unwrap().contains(&wa_id));
        let page = page_text(&app, "/audit", &cookie).await;
        assert!(page.contains("Only an admin can read the audit log."), "{email}");
        let inbox = inbox_page(cookie.clone()).await;
        assert!(
            inbox.contains("Lena de Vries") && !inbox.contains("Erase contact") && !inbox.contains("Export data"),
            "{email} is offered neither"
        );
    }
    assert_eq!(stored().await, before, "nothing erased");

    let admin = session_cookie(&app).await;
    let inbox = inbox_page(admin.clone()).await;
    assert!(
        inbox.contains("Erase contact…") && inbox.contains(&format!("/api/contacts/{lena}/export.json")),
        "the admin is offered both"
    );
    // Hostile or mistaken input: a clear 4xx, nothing erased, no internals.
    for (form, status, says) in [
        (erase(""), StatusCode::BAD_REQUEST, "Type the contact's number"),
        (erase("34600000000"), StatusCode::BAD_REQUEST, "nothing was erased"),
        (erase("' OR 1=1 --"), StatusCode::BAD_REQUEST, "nothing was erased"),
        (
            vec![("contact_id", "999999".into()), ("confirmation", typed_back.clone())],
            StatusCode::NOT_FOUND,
            r#"{"NotFound":"Contact"}"#,
        ),
    ] {
        let (got, body) = post(Some(&admin), "/api/contacts/erase", form).await;
        assert_eq!(got, status, "{body}");
        assert!(body.contains(says), "{body}");
    }
    let (status, body) = post(
        Some(&admin),
        "/api/contacts/erase",
        vec![("contact_id", "lena".into()), ("confirmation", typed_back.clone())],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "unreadable arguments: {body}");
    for internal in ["sqlx", "panicked", "SELECT", "src/"] {
        assert!(!body.contains(internal), "{body}");
    }
    assert_eq!(stored().await, before, "nothing erased");

    // The admin downloads the data, then erases the contact.
    let file = download(Some(&admin), lena).await.unwrap();
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(
        file.headers()["content-disposition"],
        format!("attachment; filename=\"contact-{lena}.json\"").as_str()
    );
    let document: serde_json::Value = file.json().await.unwrap();
    assert_eq!(document["contact"]["wa_id"], wa_id.as_str());
    assert_eq!(
        document["conversation"]["messages"].as_array().unwrap().len() as i64,
        before.1
    );
    let (status, body) = post(Some(&admin), "/api/contacts/export", export()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains(&wa_id));

    let (status, body) = post(Some(&admin), "/api/contacts/erase", erase(&typed_back)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let report: frontdesk::model::ErasureReport = serde_json::from_str(&body).unwrap();
    assert_eq!((report.conversations, report.messages), (1, before.1 as u64));
    assert_eq!(stored().await, (0, 0), "erased");
    assert_eq!(
        download(Some(&admin), lena).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );

    // The audit log: the two exports and the erasure, newest first, without the customer.
    let (status, body) = post(Some(&admin), "/api/audit/log", Vec::new()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let log: frontdesk::model::AuditPage = serde_json::from_str(&body).unwrap();
    let actions: Vec<&str> = log.entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["contact_erase", "contact_export", "contact_export"]);
    assert!(log
        .entries
        .iter()
        .all(|e| e.actor_email == ADMIN_EMAIL && e.subject_id == lena));
    assert!(!body.contains(&wa_id) && !body.contains("Lena"), "{body}");
    let page = page_text(&app, "/audit", &admin).await;
    assert!(page.contains("Erased a contact") && page.contains(&format!("contact #{lena}")));

    app.stop().await;
    db.cleanup().await;
}
