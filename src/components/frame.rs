//! The frame around every signed-in page: navigation, the signed-in user, what answers
//! customers, and sign-out.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::model::{AppError, Role, SessionInfo};

#[server(endpoint = "session/me")]
pub async fn load_session_info() -> Result<SessionInfo, AppError> {
    crate::server::error::respond(async move {
        let user = crate::server::session::require_user().await?;
        let state = crate::server::session::app_state()?;
        Ok(SessionInfo {
            user,
            ai_provider: state.ai.label(),
            whatsapp_outbox: state.sender.is_outbox(),
        })
    })
    .await
}

#[component]
pub fn AppFrame(children: Children) -> impl IntoView {
    let info = Resource::new(|| (), |_| load_session_info());
    view! {
        <header class="topbar">
            <a class="brand" href="/inbox">"Frontdesk"</a>
            <nav class="mainnav" aria-label="Main">
                <A href="/inbox">"Inbox"</A>
                <A href="/appointments">"Appointments"</A>
                <A href="/campaigns">"Campaigns"</A>
                <A href="/analytics">"Analytics"</A>
                <A href="/knowledge">"Knowledge"</A>
                <A href="/backoffice">"Back office"</A>
                <A href="/simulator">"Simulator"</A>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let admin = info.await.is_ok_and(|info| info.user.role == Role::Admin);
                        admin.then(|| view! { <A href="/team">"Team"</A> <A href="/audit">"Audit log"</A> })
                    })}
                </Suspense>
            </nav>
            <div class="account">
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        match info.await {
                            Ok(info) => view! {
                                <span class="muted small" title="What answers customers">
                                    {format!("AI: {}", info.ai_provider)}
                                    {info.whatsapp_outbox.then_some(" · WhatsApp outbox")}
                                </span>
                                <span class="who" title=info.user.email.clone()>
                                    {info.user.email.clone()}
                                    <span class="badge">{info.user.role.label()}</span>
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
