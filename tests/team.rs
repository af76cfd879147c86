//! The Team page's changes to staff accounts: an invited account signs in over real HTTP, a
//! role change, a password reset and a deactivation take effect on the sessions at once,
//! the last active admin stays, and a bad invitation saves nothing. Runs on SQLite and on
//! PostgreSQL.

use chrono::Utc;
use frontdesk::{on_both_databases, on_both_test_databases};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;

use frontdesk::model::{AuditAction, InviteForm, Role, StaffUser};
use frontdesk::server::auth::token_hash;
use frontdesk::server::db::audit::{self, Actor};
use frontdesk::server::db::{tokens, users, Db};
use frontdesk::server::team::{self, TeamError};
use frontdesk::testing::{test_settings, TestApp, TestDb, ADMIN_EMAIL};

on_both_test_databases!(
    an_invited_member_signs_in_until_reset_or_deactivated,
    a_generated_password_is_shown_once_and_works,
);

on_both_databases!(
    the_last_active_admin_is_neither_demoted_nor_deactivated,
    a_bad_invitation_is_refused_and_saves_nothing,
    a_deactivated_accounts_api_tokens_act_for_nobody,
);

fn form(email: &str, name: &str, role: &str, password: &str) -> InviteForm {
    InviteForm {
        email: email.into(),
        display_name: name.into(),
        role: role.into(),
        password: password.into(),
    }
}

fn invalid<T: std::fmt::Debug>(result: Result<T, TeamError>) -> String {
    match result {
        Err(TeamError::Invalid(message)) => message,
        other => panic!("expected a refusal for the form, got {other:?}"),
    }
}

fn last_admin<T: std::fmt::Debug>(result: Result<T, TeamError>) -> String {
    match result {
        Err(error @ TeamError::LastAdmin(_)) => error.to_string(),
        other => panic!("expected the last admin to stay, got {other:?}"),
    }
}

async fn admin_actor(db: &Db) -> Actor {
    let (admin, _) = users::find_login(db, ADMIN_EMAIL)
        .await
        .unwrap()
        .expect("the first admin");
    Actor::staff(&admin)
}

/// Signs in over HTTP: the session cookie ("name=value"), or `None` when refused.
async fn sign_in(app: &TestApp, email: &str, password: &str) -> Option<String> {
    let response = app
        .client
        .post(app.url("/auth/login"))
        .form(&[("email", email), ("password", password), ("next", "/inbox")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()[LOCATION].to_str().unwrap();
    if location != "/inbox" {
        assert!(location.starts_with("/login?error=invalid"), "{location}");
        return None;
    }
    let cookie = response.headers()[SET_COOKIE].to_str().unwrap();
    Some(cookie.split(';').next().unwrap().to_string())
}

/// The inbox page as the holder of `cookie` gets it: its HTML, or where they are sent.
async fn inbox(app: &TestApp, cookie: &str) -> Result<String, String> {
    let response = app
        .client
        .get(app.url("/inbox"))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    match response.headers().get(LOCATION) {
        Some(location) => Err(location.to_str().unwrap().to_string()),
        None => Ok(response.text().await.unwrap()),
    }
}

async fn actions(db: &Db) -> Vec<(AuditAction, String)> {
    let mut entries: Vec<(AuditAction, String)> = audit::list(db, None, 100)
        .await
        .unwrap()
        .entries
        .into_iter()
        .map(|e| (e.action, e.detail))
        .collect();
    entries.reverse();
    entries
}

async fn an_invited_member_signs_in_until_reset_or_deactivated(test_db: TestDb) {
    let app = TestApp::start(test_settings(&test_db.url, &[])).await;
    let db = &app.state.db;
    let by_admin = admin_actor(db).await;
    let now = Utc::now();

    let invited = team::invite(
        db,
        &form(" Rosa@Salon.Example ", "  Rosa   Díaz ", "agent", "welcome-rosa-1"),
        &by_admin,
        now,
    )
    .await
    .unwrap();
    assert_eq!(invited.generated_password, None, "she was given a typed password");
    let rosa: StaffUser = invited.user;
    assert_eq!(
        (rosa.email.as_str(), rosa.display_name.as_str(), rosa.role),
        ("rosa@salon.example", "Rosa Díaz", Role::Agent)
    );

    // She signs in over HTTP and reads the inbox; the Team page offers her nothing.
    let first = sign_in(&app, "rosa@salon.example", "welcome-rosa-1")
        .await
        .expect("the invited account signs in");
    assert!(inbox(&app, &first).await.is_ok());
    let team_page = app
        .client
        .get(app.url("/team"))
        .header(COOKIE, &first)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(team_page.contains("Only an admin can manage the team."), "{team_page}");
    assert!(!team_page.contains("Invite a staff member"));

    team::change_role(db, rosa.id, "marketer", &by_admin, now)
        .await
        .unwrap();
    assert_eq!(users::get_user(db, rosa.id).await.unwrap().role, Role::Marketer);
    assert!(invalid(team::change_role(db, rosa.id, "owner", &by_admin, now).await).contains("Choose a role"));

    // A reset ends her session; the old password no longer opens one, the new one does.
    let reset = team::reset_password(db, rosa.id, "second-secret-2", &by_admin, now)
        .await
        .unwrap();
    assert_eq!(reset, None);
    assert_eq!(
        inbox(&app, &first).await.unwrap_err(),
        "/login?next=%2Finbox",
        "the old session ended"
    );
    assert_eq!(sign_in(&app, "rosa@salon.example", "welcome-rosa-1").await, None);
    let second = sign_in(&app, "rosa@salon.example", "second-secret-2")
        .await
        .expect("the new password works");
    assert!(inbox(&app, &second).await.is_ok());
    assert!(invalid(team::reset_password(db, rosa.id, "short", &by_admin, now).await).contains("at least 8"));

    // Deactivated: the open session stops at its next request, and sign-in is refused.
    team::set_active(db, rosa.id, false, &by_admin, now).await.unwrap();
    assert!(inbox(&app, &second).await.unwrap_err().starts_with("/login?next="));
    assert_eq!(sign_in(&app, "rosa@salon.example", "second-secret-2").await, None);
    let listed = users::list_team(db).await.unwrap();
    let row = listed.iter().find(|m| m.id == rosa.id).unwrap();
    assert!(!row.active);
    assert_eq!(
        listed.last().map(|m| m.id),
        Some(rosa.id),
        "inactive accounts come last"
    );

    // Reactivated, she signs in again (her old sessions stay ended).
    team::set_active(db, rosa.id, true, &by_admin, now).await.unwrap();
    assert!(inbox(&app, &second).await.is_err());
    let third = sign_in(&app, "rosa@salon.example", "second-secret-2")
        .await
        .expect("a reactivated account signs in");
    assert!(inbox(&app, &third).await.is_ok());

    // Each change is in the audit log, by the admin, without the passwords.
    assert_eq!(
        actions(db).await,
        [
            (AuditAction::StaffInvite, "rosa@salon.example as Agent".to_string()),
            (
                AuditAction::RoleChange,
                "rosa@salon.example: Agent → Marketer".to_string()
            ),
            (AuditAction::PasswordReset, "rosa@salon.example".to_string()),
            (AuditAction::StaffDeactivate, "rosa@salon.example".to_string()),
            (AuditAction::StaffReactivate, "rosa@salon.example".to_string()),
        ]
    );

    app.stop().await;
    test_db.cleanup().await;
}

async fn a_generated_password_is_shown_once_and_works(test_db: TestDb) {
    let app = TestApp::start(test_settings(&test_db.url, &[])).await;
    let db = &app.state.db;
    let by_admin = admin_actor(db).await;
    let invited = team::invite(
        db,
        &form("sam@salon.example", "Sam", "marketer", ""),
        &by_admin,
        Utc::now(),
    )
    .await
    .unwrap();
    let password = invited.generated_password.expect("a generated password to show");
    assert!(password.len() >= 16, "{password}");
    let session = sign_in(&app, "sam@salon.example", &password)
        .await
        .expect("the generated password signs in");
    assert!(inbox(&app, &session).await.is_ok());

    let generated = team::reset_password(db, invited.user.id, "", &by_admin, Utc::now())
        .await
        .unwrap()
        .expect("a new generated password");
    assert_ne!(generated, password);
    assert!(inbox(&app, &session).await.is_err());
    assert!(sign_in(&app, "sam@salon.example", &generated).await.is_some());
    for (_, detail) in actions(db).await {
        assert!(!detail.contains(&password) && !detail.contains(&generated), "{detail}");
    }

    app.stop().await;
    test_db.cleanup().await;
}

async fn the_last_active_admin_is_neither_demoted_nor_deactivated(db: &Db) {
    let now = Utc::now();
    let owner = users::create_user(db, "owner@salon.example", "Olivia", Role::Admin, "x", now)
        .await
        .unwrap();
    let alex = users::create_user(db, "alex@salon.example", "Alex", Role::Agent, "x", now)
        .await
        .unwrap();
    let by_owner = Actor::staff(&owner);

    let refused = last_admin(team::set_active(db, owner.id, false, &by_owner, now).await);
    assert!(refused.contains("last admin"), "{refused}");
    last_admin(team::change_role(db, owner.id, "agent", &by_owner, now).await);
    assert!(users::list_team(db).await.unwrap().iter().all(|m| m.active));

    // With a second admin, the first may be deactivated; then the second is the last
    // active one, though the deactivated account still holds the role.
    team::change_role(db, alex.id, "admin", &by_owner, now).await.unwrap();
    team::set_active(db, owner.id, false, &by_owner, now).await.unwrap();
    let by_alex = Actor::staff(&users::get_user(db, alex.id).await.unwrap());
    last_admin(team::set_active(db, alex.id, false, &by_alex, now).await);
    last_admin(team::change_role(db, alex.id, "marketer", &by_alex, now).await);
    // A deactivated admin may be demoted: it keeps nobody out.
    team::change_role(db, owner.id, "agent", &by_alex, now).await.unwrap();
    // Asking again for the state an account is in changes and records nothing.
    let before = actions(db).await.len();
    team::set_active(db, owner.id, false, &by_alex, now).await.unwrap();
    team::set_active(db, alex.id, true, &by_alex, now).await.unwrap();
    assert_eq!(actions(db).await.len(), before);

    let missing = team::set_active(db, 999_999, false, &by_alex, now).await;
    assert!(matches!(missing, Err(TeamError::Db(_))), "{missing:?}");
}

async fn a_bad_invitation_is_refused_and_saves_nothing(db: &Db) {
    let now = Utc::now();
    let owner = users::create_user(db, "owner@salon.example", "Olivia", Role::Admin, "x", now)
        .await
        .unwrap();
    let by_owner = Actor::staff(&owner);
    let good = form("ana@salon.example", "Ana", "agent", "long enough");
    let cases = [
        (form("ana.salon.example", "Ana", "agent", "long enough"), "valid email"),
        (form("ana@salon", "Ana", "agent", "long enough"), "valid email"),
        (form("ana@salon.example", "   ", "agent", "long enough"), "name"),
        (form("ana@salon.example", "Ana", "agent", "short"), "at least 8"),
        (
            form("ana@salon.example", "Ana", "owner", "long enough"),
            "Choose a role",
        ),
        // The same email in other letters is the same account.
        (
            form("OWNER@salon.example", "Olivia 2", "agent", "long enough"),
            "already an account for owner@salon.example",
        ),
    ];
    for (bad, expected) in cases {
        let message = invalid(team::invite(db, &bad, &by_owner, now).await);
        assert!(message.contains(expected), "{bad:?}: {message}");
    }
    assert_eq!(users::count_users(db).await.unwrap(), 1, "no account was created");
    assert!(actions(db).await.is_empty(), "and nothing recorded");

    team::invite(db, &good, &by_owner, now).await.unwrap();
    assert_eq!(users::count_users(db).await.unwrap(), 2);
    invalid(team::invite(db, &good, &by_owner, now).await);
    assert_eq!(users::count_users(db).await.unwrap(), 2);
    assert_eq!(actions(db).await.len(), 1, "only the invitation that worked");
}

async fn a_deactivated_accounts_api_tokens_act_for_nobody(db: &Db) {
    let now = Utc::now();
    let owner = users::create_user(db, "owner@salon.example", "Olivia", Role::Admin, "x", now)
        .await
        .unwrap();
    let other = users::create_user(db, "other@salon.example", "Other", Role::Admin, "x", now)
        .await
        .unwrap();
    tokens::create_token(db, "Website", &token_hash("secret-token"), other.id, now)
        .await
        .unwrap();
    assert!(tokens::token_user(db, &token_hash("secret-token"), now)
        .await
        .unwrap()
        .is_some());
    team::set_active(db, other.id, false, &Actor::staff(&owner), now)
        .await
        .unwrap();
    assert!(tokens::token_user(db, &token_hash("secret-token"), now)
        .await
        .unwrap()
        .is_none());
}
