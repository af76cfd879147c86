//! A customer's data on request, in the contact panel, for admins: "Export data" downloads
//! everything stored about them; "Erase contact…" deletes it for good, once the admin types
//! their number back.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;

use super::list::ListState;
use super::server::erase_contact;
use super::synced::LiveResource;
use crate::components::error::ActionError;
use crate::model::{format_wa_id, Contact, InboxEvent};

/// The admin's buttons. `erased` receives the sentence the inbox shows once the contact is
/// gone.
#[component]
pub fn PrivacyActions(
    contact: Contact,
    conversation_id: i64,
    list: LiveResource<ListState>,
    erased: RwSignal<Option<String>>,
) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let contact_id = contact.id;
    let number = format_wa_id(&contact.wa_id);
    let who = contact.display_name().to_string();
    view! {
        <h3>"Customer's data"</h3>
        <div class="row privacy-actions">
            // A plain download: the browser saves the file, and it works before the page hydrates.
            <a class="button" href=format!("/api/contacts/{contact_id}/export.json") download>"Export data"</a>
            <button type="button" class="danger" on:click=move |_| confirming.set(true)>"Erase contact…"</button>
        </div>
        <Show when=move || confirming.get()>
            <EraseDialog
                contact_id
                conversation_id
                number=number.clone()
                who=who.clone()
                confirming
                list
                erased
            />
        </Show>
    }
}

#[component]
fn EraseDialog(
    contact_id: i64,
    conversation_id: i64,
    number: String,
    who: String,
    confirming: RwSignal<bool>,
    list: LiveResource<ListState>,
    erased: RwSignal<Option<String>>,
) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let erase = Action::new(move |confirmation: &String| erase_contact(contact_id, confirmation.clone()));
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(report)) = erase.value().get() {
            confirming.set(false);
            // Gone from this list now; other inboxes hear it from the server.
            list.apply(&InboxEvent::ConversationRemoved { conversation_id });
            erased.set(Some(format!(
                "The contact was erased with everything that was theirs: {}.",
                report.summary()
            )));
            navigate("/inbox", NavigateOptions::default());
        }
    });
    view! {
        <div class="modal-backdrop">
            <form
                class="modal card erase-dialog"
                role="dialog"
                aria-modal="true"
                aria-labelledby="erase-title"
                on:submit=move |ev| {
                    ev.prevent_default();
                    erase.dispatch(typed.get_untracked());
                }
            >
                <h2 id="erase-title">{format!("Erase {who}?")}</h2>
                <p>
                    "This deletes the contact, their conversation and every message, their appointments, "
                    "the campaign messages sent to them, their tags and notes. It cannot be undone. "
                    "Export their data first if they asked for a copy."
                </p>
                <label>
                    {format!("Type their number, {number}, to confirm")}
                    <input
                        type="text"
                        inputmode="tel"
                        autocomplete="off"
                        required
                        prop:value=typed
                        on:input=move |ev| typed.set(event_target_value(&ev))
                    />
                </label>
                <ActionError action=erase/>
                <div class="row">
                    <button type="button" on:click=move |_| confirming.set(false)>"Cancel"</button>
                    <button type="submit" class="danger" disabled=move || erase.pending().get()>
                        {move || if erase.pending().get() { "Erasing…" } else { "Erase for good" }}
                    </button>
                </div>
            </form>
        </div>
    }
}
