//! The WhatsApp template library: what the business may send outside the 24-hour window,
//! synced from WhatsApp, shown on the campaigns page and offered in the inbox.

use leptos::prelude::*;

use crate::components::error::{ActionError, ErrorMessage};
use crate::model::{AppError, MessageTemplate};

/// Every template, approved or not (any signed-in staff: the inbox offers them too).
#[server(endpoint = "campaigns/templates")]
pub async fn list_templates() -> Result<Vec<MessageTemplate>, AppError> {
    crate::server::error::respond(async move {
        use crate::server::{db::templates, session};
        let state = session::app_state()?;
        Ok(templates::list_templates(&state.db).await?)
    })
    .await
}

/// Reads the templates from WhatsApp again and returns the new library.
#[server(endpoint = "campaigns/templates/sync")]
pub async fn sync_templates() -> Result<Vec<MessageTemplate>, AppError> {
    crate::server::error::respond(async move {
        use crate::server::whatsapp::templates::TemplateSyncError;
        use crate::server::{db::templates, session};
        let state = session::app_state()?;
        let Some(source) = state.template_source.as_deref() else {
            let reason = if state.sender.is_outbox() {
                TemplateSyncError::Outbox
            } else {
                TemplateSyncError::NoBusinessAccount
            };
            return Err(AppError::Invalid(reason.to_string()));
        };
        match source.sync(&state.db).await {
            Ok(report) => tracing::info!(
                stored = report.stored,
                removed = report.removed,
                retired = report.retired,
                "synced the WhatsApp message templates"
            ),
            Err(TemplateSyncError::Db(error)) => return Err(error.into()),
            Err(error) => {
                tracing::warn!(%error, "syncing the WhatsApp message templates failed");
                return Err(AppError::Refused(error.to_string()));
            }
        }
        Ok(templates::list_templates(&state.db).await?)
    })
    .await
}

/// The library as a table, with a "Sync templates" button.
#[component]
pub fn TemplateLibrary() -> impl IntoView {
    let sync = Action::new(|_: &()| sync_templates());
    let templates = Resource::new(move || sync.version().get(), |_| list_templates());
    view! {
        <section class="card template-library" aria-labelledby="template-library-heading">
            <header class="card-header">
                <h2 id="template-library-heading">"WhatsApp templates"</h2>
                <button
                    type="button"
                    disabled=move || sync.pending().get()
                    on:click=move |_| {
                        sync.dispatch(());
                    }
                >
                    {move || if sync.pending().get() { "Syncing…" } else { "Sync templates" }}
                </button>
            </header>
            <p class="muted small">
                "Outside a customer's 24-hour window WhatsApp delivers only templates it has approved."
            </p>
            <ActionError action=sync/>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match templates.await {
                        Ok(list) if list.is_empty() => {
                            view! { <p class="muted">"No templates yet."</p> }.into_any()
                        }
                        Ok(list) => view! { <TemplateTable list/> }.into_any(),
                        Err(e) => view! { <ErrorMessage message=e.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn TemplateTable(list: Vec<MessageTemplate>) -> impl IntoView {
    view! {
        <table aria-label="WhatsApp templates">
            <thead>
                <tr>
                    <th>"Name"</th>
                    <th>"Language"</th>
                    <th>"Category"</th>
                    <th>"Status"</th>
                    <th>"Body"</th>
                </tr>
            </thead>
            <tbody>
                {list
                    .into_iter()
                    .map(|t| {
                        let approved = t.is_approved();
                        let status = if approved {
                            t.status.to_lowercase()
                        } else {
                            format!("{}: cannot be sent", t.status.to_lowercase())
                        };
                        view! {
                            <tr class:unusable=!approved>
                                <td>{t.name}</td>
                                <td>{t.language}</td>
                                <td>{t.category.to_lowercase()}</td>
                                <td>
                                    <span class="badge" class:closed=!approved>{status}</span>
                                </td>
                                <td class="template-body">{t.body}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
