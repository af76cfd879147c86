//! The audit log, for admins: who took over conversations, launched campaigns, managed staff
//! accounts (invitations, roles, passwords, deactivation), and exported or erased a
//! customer's data, newest first.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::error::{ActionError, ErrorMessage};
use crate::components::frame::{load_session_info, AppFrame};
use crate::model::access;
use crate::model::{AppError, AuditEntry, AuditPage};

/// How many entries one page holds.
#[cfg(feature = "ssr")]
const PAGE_SIZE: i64 = 50;

/// `before`: the `next_before` of the page shown, for the entries older than it.
#[server(endpoint = "audit/log")]
pub async fn load_audit_log(before: Option<i64>) -> Result<AuditPage, AppError> {
    crate::server::error::respond(async move {
        use crate::server::{db, session};
        let state = session::app_state()?;
        Ok(db::audit::list(&state.db, before, PAGE_SIZE).await?)
    })
    .await
}

#[component]
pub fn AuditLogPage() -> impl IntoView {
    // Asked while the page renders on the server, where server functions are called
    // directly rather than through the access gate: the declaration is asked first.
    let first = Resource::new(
        || (),
        |_| async move {
            let role = load_session_info().await?.user.role;
            access::admit::<LoadAuditLog>(Some(role))?;
            load_audit_log(None).await
        },
    );
    view! {
        <Title text="Audit log · Frontdesk"/>
        <AppFrame>
            <section class="page audit">
                <h1>"Audit log"</h1>
                <p class="muted">
                    "Who took over conversations, launched campaigns, managed staff accounts, and exported or erased a customer's data. "
                    "Entries name customers by number only (contact #12), never by their details."
                </p>
                <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match first.await {
                            Ok(page) if page.entries.is_empty() => {
                                view! { <p class="empty">"Nothing recorded yet."</p> }.into_any()
                            }
                            Ok(page) => view! { <Entries first=page/> }.into_any(),
                            Err(e) => view! { <ErrorMessage message=e.to_string()/> }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
        </AppFrame>
    }
}

/// The entries loaded so far, and "Show older" while there are more.
#[component]
fn Entries(first: AuditPage) -> impl IntoView {
    let entries = RwSignal::new(first.entries);
    let next = RwSignal::new(first.next_before);
    let older = Action::new(|before: &i64| load_audit_log(Some(*before)));
    Effect::new(move |_| {
        if let Some(Ok(page)) = older.value().get() {
            entries.update(|shown| shown.extend(page.entries));
            next.set(page.next_before);
        }
    });
    view! {
        <ol class="audit-log" aria-label="Audit entries">
            <For each=move || entries.get() key=|entry| entry.id let:entry>
                <EntryRow entry/>
            </For>
        </ol>
        <ActionError action=older/>
        {move || next.get().map(|before| view! {
            <button type="button" class="more" disabled=move || older.pending().get() on:click=move |_| { older.dispatch(before); }>
                {move || if older.pending().get() { "Loading…" } else { "Show older" }}
            </button>
        })}
    }
}

#[component]
fn EntryRow(entry: AuditEntry) -> impl IntoView {
    let who = match &entry.api_token {
        Some(token) => format!("{} (API token “{token}”)", entry.actor_email),
        None => entry.actor_email.clone(),
    };
    let subject = format!("{} #{}", entry.subject.as_str(), entry.subject_id);
    view! {
        <li>
            <div class="audit-head">
                <strong>{entry.action.label()}</strong>
                <time datetime=entry.at.to_rfc3339()>{entry.at.format("%Y-%m-%d %H:%M UTC").to_string()}</time>
            </div>
            <div class="small">
                <span title=entry.actor_name.clone()>{who}</span>
                " · "
                <span class="muted">{subject}</span>
            </div>
            {(!entry.detail.is_empty()).then(|| view! { <div class="small muted detail">{entry.detail.clone()}</div> })}
        </li>
    }
}
