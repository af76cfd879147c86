//! The customer simulator: staff play a WhatsApp customer and watch the bot answer. Messages
//! go through the same webhook pipeline as real ones (payload, storage, jobs, controller).
//!
//! Speaking as a customer is an admin's test tool, and only while replies cannot reach real
//! people: with the WhatsApp outbox, or in development mode. Its messages carry a `sim.`
//! WhatsApp id, which the inbox shows as "Simulated".

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::error::{ActionError, ErrorMessage};
use crate::components::frame::{load_session_info, AppFrame};
use crate::model::{access, AppError, Author, Message};

/// The state while the simulator is on; otherwise why it is not. (Who may use it is
/// declared in `model::access`.)
#[cfg(feature = "ssr")]
fn open_simulator() -> Result<crate::server::state::AppState, AppError> {
    let state = crate::server::session::app_state()?;
    if state.sender.is_outbox() || state.settings.dev_mode {
        Ok(state)
    } else {
        Err(AppError::Refused(
            "The simulator is off: WhatsApp replies go to real customers (WHATSAPP_ACCESS_TOKEN is set). \
             It is available with the WhatsApp outbox or in development mode (FRONTDESK_DEV_MODE)."
                .into(),
        ))
    }
}

/// Whether the simulator is on: nothing, or why not.
#[server(endpoint = "simulator/access")]
pub async fn simulator_access() -> Result<(), AppError> {
    crate::server::error::respond(async move { open_simulator().map(drop) }).await
}

#[server(endpoint = "simulator/send")]
pub async fn simulator_send(wa_id: String, profile_name: String, text: String) -> Result<(), AppError> {
    crate::server::error::respond(async move {
        use crate::server::{routes::webhook, whatsapp::payload};
        let state = open_simulator()?;
        let wa_id = crate::model::WaId::parse(&wa_id)?;
        let text = text.trim();
        if text.is_empty() {
            return Err(AppError::Invalid("Type a message first.".into()));
        }
        if text.chars().count() > 4096 {
            return Err(AppError::Invalid(
                "WhatsApp messages are at most 4,096 characters.".into(),
            ));
        }
        let profile = Some(profile_name.trim()).filter(|p| !p.is_empty());
        let wamid = format!(
            "{}{}",
            crate::model::SIMULATED_WAMID_PREFIX,
            hex::encode(rand::random::<[u8; 12]>())
        );
        let body = payload::text_message_payload(wa_id.as_str(), profile, &wamid, chrono::Utc::now(), text);
        webhook::ingest(&state, body.to_string().as_bytes())
            .await
            .map_err(|error| match error {
                webhook::IngestError::Payload(e) => AppError::Invalid(e.to_string()),
                webhook::IngestError::Storage(e) => AppError::from(e),
            })?;
        Ok(())
    })
    .await
}

#[server(endpoint = "simulator/thread")]
pub async fn simulator_thread(wa_id: String) -> Result<Vec<Message>, AppError> {
    crate::server::error::respond(async move {
        use crate::server::db;
        let state = open_simulator()?;
        let Ok(wa_id) = crate::model::WaId::parse(&wa_id) else {
            return Ok(Vec::new());
        };
        let Some(contact) = db::contacts::find_contact_by_wa_id(&state.db, &wa_id).await? else {
            return Ok(Vec::new());
        };
        let messages = db::conversations::history_for_contact(&state.db, contact.id, 60).await?;
        // The customer's phone never shows staff-only notes.
        Ok(messages.into_iter().filter(|m| m.author != Author::System).collect())
    })
    .await
}

/// The simulated customer's phone: the conversation so far.
#[component]
fn Thread(thread: Resource<Result<Vec<Message>, AppError>>) -> impl IntoView {
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match thread.await {
                    Ok(messages) if messages.is_empty() => {
                        view! { <p class="muted">"No messages yet. Say hi!"</p> }.into_any()
                    }
                    Ok(messages) => view! {
                        <ol class="messages">
                            {messages
                                .into_iter()
                                .map(|m| {
                                    let mine = m.author == Author::Customer;
                                    view! {
                                        <li class=if mine { "bubble customer mine" } else { "bubble bot theirs" }>
                                            <p class="body">{m.body}</p>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ol>
                    }
                    .into_any(),
                    Err(e) => view! { <ErrorMessage message=e.to_string()/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The simulator for an admin while it is on; for anyone else, why it is not there.
#[component]
pub fn SimulatorPage() -> impl IntoView {
    // Asked while the page renders on the server, where server functions are called
    // directly rather than through the access gate: whether the role may use the simulator
    // comes from the declaration first.
    let open = Resource::new(
        || (),
        |_| async move {
            let role = load_session_info().await?.user.role;
            access::admit::<SimulatorSend>(Some(role))?;
            simulator_access().await
        },
    );
    view! {
        <Title text="Simulator · Frontdesk"/>
        <AppFrame>
            <section class="page simulator">
                <h1>"Customer simulator"</h1>
                <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match open.await {
                            Ok(()) => view! { <SimulatorForm/> }.into_any(),
                            Err(e) => view! {
                                <p class="notice" role="status">{e.to_string()}</p>
                                <p class="muted">
                                    "The simulator lets an admin write as a WhatsApp customer to try the receptionist, while its replies are kept in the outbox instead of reaching real people."
                                </p>
                            }
                            .into_any(),
                        }
                    })}
                </Suspense>
            </section>
        </AppFrame>
    }
}

/// Staff play a customer: the number and profile to write as, the phone, and the message
/// box. One form on purpose, so Enter in the message box sends it with the number above.
#[component]
fn SimulatorForm() -> impl IntoView {
    let (wa_id, set_wa_id) = signal("34600555010".to_string());
    let (profile, set_profile) = signal(String::new());
    let (text, set_text) = signal(String::new());
    let (tick, set_tick) = signal(0u32);
    let thread = Resource::new(move || (wa_id.get(), tick.get()), |(wa_id, _)| simulator_thread(wa_id));
    let send = Action::new(|(wa_id, profile, text): &(String, String, String)| {
        simulator_send(wa_id.clone(), profile.clone(), text.clone())
    });
    let pending = send.pending();

    // After a send, look for the bot's answer for a while (it is produced in the background).
    Effect::new(move |_| {
        if let Some(Ok(())) = send.value().get() {
            set_text.set(String::new());
            set_tick.update(|t| *t += 1);
            let handle = set_interval_with_handle(
                move || set_tick.update(|t| *t += 1),
                std::time::Duration::from_millis(600),
            );
            if let Ok(handle) = handle {
                set_timeout(move || handle.clear(), std::time::Duration::from_millis(12_500));
            }
        }
    });

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        send.dispatch((wa_id.get_untracked(), profile.get_untracked(), text.get_untracked()));
    };

    view! {
        <p class="muted">
            "Play a WhatsApp customer: your messages go through the same webhook pipeline as real ones, and the bot answers here."
        </p>
        <form class="sim-form" on:submit=on_submit>
            <div class="row">
                <label>
                    "Customer's WhatsApp number"
                    <input
                        type="tel"
                        required
                        prop:value=wa_id
                        on:change=move |ev| set_wa_id.set(event_target_value(&ev))
                    />
                </label>
                <label>
                    "WhatsApp profile name (optional)"
                    <input type="text" prop:value=profile on:input=move |ev| set_profile.set(event_target_value(&ev))/>
                </label>
            </div>
            <div class="phone" aria-live="polite">
                <Thread thread/>
            </div>
            <ActionError action=send/>
            <div class="composer">
                <input
                    type="text"
                    aria-label="Message as the customer"
                    placeholder="Type as the customer…"
                    maxlength="4096"
                    prop:value=text
                    on:input=move |ev| set_text.set(event_target_value(&ev))
                />
                <button type="submit" class="primary" disabled=move || pending.get()>
                    {move || if pending.get() { "Sending…" } else { "Send" }}
                </button>
            </div>
        </form>
    }
}
