use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::error::ErrorMessage;

/// The sign-in form posts to `/auth/login`, which answers with a redirect: back here with
/// `?error=…` on failure, or on to `next`.
#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let error = move || {
        let query = query.read();
        match query.get("error").as_deref() {
            Some("invalid") => Some("Wrong email or password.".to_string()),
            Some("throttled") => Some(format!(
                "Too many failed attempts. Please wait {} seconds and try again.",
                query.get("wait").unwrap_or_else(|| "a few".into())
            )),
            Some("unavailable") => Some("Sign-in is unavailable right now. Please try again shortly.".to_string()),
            _ => None,
        }
    };
    let next = move || query.read().get("next").unwrap_or_default();

    view! {
        <Title text="Sign in · Frontdesk"/>
        <main class="login">
            <form class="card login-card" method="post" action="/auth/login">
                <h1>"Sign in to Frontdesk"</h1>
                <p class="muted">"Your AI receptionist and team inbox on WhatsApp."</p>
                {move || error().map(|message| view! { <ErrorMessage message/> })}
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="username" required autofocus/>
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required/>
                <input type="hidden" name="next" value=next/>
                <button type="submit" class="primary">"Sign in"</button>
            </form>
        </main>
    }
}
