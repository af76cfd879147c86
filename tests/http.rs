//! The app over real HTTP on loopback: sign-in, the session gate, 404s and server functions.

mod common;

use common::{test_settings, TestApp, TestDb, ADMIN_EMAIL, ADMIN_PASSWORD};
use frontdesk::server::startup::Application;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;

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
    cookie.split(';').next().unwrap().to_string()
}

#[tokio::test]
async fn pages_and_server_functions_need_a_session() {
    let db = TestDb::sqlite().await;
    let app = start(&db.url).await;

    let health = app.client.get(app.url("/api/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);

    let page = app.client.get(app.url("/inbox?c=1")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(page.headers()[LOCATION], "/login?next=%2Finbox%3Fc%3D1");

    let data = app
        .client
        .post(app.url("/api/inbox/conversations"))
        .form(&[("search", ""), ("filter", "all")])
        .send()
        .await
        .unwrap();
    assert_eq!(data.status(), StatusCode::UNAUTHORIZED);
    let body = data.text().await.unwrap();
    assert!(body.contains("Unauthorized") && !body.contains("Sara"), "{body}");

    let login_page = app.client.get(app.url("/login")).send().await.unwrap();
    assert_eq!(login_page.status(), StatusCode::OK);
    assert!(login_page.text().await.unwrap().contains("Sign in to Frontdesk"));

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
        .form(&[("search", "priya"), ("filter", "all")])
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
