//! API tokens for integrators (`POST /api/campaigns/broadcast`): admins create them, see each
//! new one once, and revoke them.

use leptos::prelude::*;

use super::server::{api_tokens, create_api_token, revoke_api_token};
use crate::components::error::{ActionError, ErrorMessage};
use crate::model::AppError;

#[component]
pub fn ApiTokens() -> impl IntoView {
    let create = Action::new(|name: &String| create_api_token(name.clone()));
    let revoke = Action::new(|id: &i64| revoke_api_token(*id));
    let list = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| api_tokens(),
    );
    let (name, set_name) = signal(String::new());
    view! {
        <section class="card tokens">
            <h2>"API tokens"</h2>
            <p class="muted">
                "For systems that launch campaigns with " <code>"POST /api/campaigns/broadcast"</code>
                " (see " <a href="/api/openapi.json">"the API description"</a> "). A token acts as the admin who made it."
            </p>
            <form class="row" on:submit=move |ev| {
                ev.prevent_default();
                create.dispatch(name.get_untracked());
            }>
                <label>"Name"
                    <input type="text" maxlength="60" required placeholder="Booking website"
                        prop:value=name on:input=move |ev| set_name.set(event_target_value(&ev))/>
                </label>
                <button type="submit" disabled=move || create.pending().get()>"Create token"</button>
            </form>
            <ActionError action=create/>
            {move || create.value().get().and_then(Result::ok).map(|token| view! {
                <p class="notice" role="status">
                    "Copy this token now; it is not shown again: " <code class="secret">{token}</code>
                </p>
            })}
            <ActionError action=revoke/>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(tokens) if tokens.is_empty() => view! { <p class="muted">"No tokens yet."</p> }.into_any(),
                        Ok(tokens) => view! {
                            <table>
                                <thead><tr><th>"Name"</th><th>"Created by"</th><th>"Last used"</th><th></th></tr></thead>
                                <tbody>
                                    {tokens.into_iter().map(|t| view! {
                                        <tr>
                                            <td>{t.name}</td>
                                            <td>{t.created_by}</td>
                                            <td>{t.last_used_at.map(|at| at.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_else(|| "never".into())}</td>
                                            <td>{if t.revoked {
                                                view! { <span class="muted">"revoked"</span> }.into_any()
                                            } else {
                                                view! { <button type="button" on:click=move |_| { revoke.dispatch(t.id); }>"Revoke"</button> }.into_any()
                                            }}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }
                        .into_any(),
                        Err(AppError::Refused(_) | AppError::Forbidden) => ().into_any(),
                        Err(e) => view! { <ErrorMessage message=e.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
