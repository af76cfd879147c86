//! The frame around every signed-in page: navigation, the signed-in user and sign-out.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::model::{AppError, StaffUser};

#[server(endpoint = "session/me")]
pub async fn current_user() -> Result<StaffUser, AppError> {
    crate::server::auth::require_user().await
}

#[component]
pub fn AppFrame(children: Children) -> impl IntoView {
    let user = Resource::new(|| (), |_| current_user());
    view! {
        <header class="topbar">
            <a class="brand" href="/inbox">"Frontdesk"</a>
            <nav class="mainnav" aria-label="Main">
                <A href="/inbox">"Inbox"</A>
                <A href="/campaigns">"Campaigns"</A>
                <A href="/analytics">"Analytics"</A>
                <A href="/knowledge">"Knowledge"</A>
            </nav>
            <div class="account">
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        match user.await {
                            Ok(user) => view! {
                                <span class="who" title=user.email.clone()>
                                    {user.email.clone()}
                                    <span class="badge">{user.role.label()}</span>
                                </span>
                                <form method="post" action="/auth/logout">
                                    <button type="submit" class="link">"Sign out"</button>
                                </form>
                            }
                            .into_any(),
                            Err(_) => view! { <a href="/login">"Sign in"</a> }.into_any(),
                        }
                    })}
                </Suspense>
            </div>
        </header>
        <main class="content">{children()}</main>
    }
}
