//! The contact panel beside the chat: who the customer is, their appointments, the editor for
//! name, language, marketing consent, tags and notes, and (for admins) their data on request.

use leptos::prelude::*;

use super::list::ListState;
use super::privacy::PrivacyActions;
use super::server::save_contact;
use super::synced::LiveResource;
use crate::components::error::ActionError;
use crate::model::{
    format_wa_id, status_label, AppError, ConsentSource, ConversationDetail, LanguageChoice, Role, SessionInfo,
};

/// A contact being edited in the side panel.
#[derive(Clone, Debug, Default, PartialEq)]
struct ContactDraft {
    contact_id: i64,
    name: String,
    notes: String,
    tags: String,
    /// A language code, or empty for "not known yet".
    language: String,
    /// The languages the server can write in, to choose from.
    languages: Vec<LanguageChoice>,
    /// Marketing consent, as shown when the editor opened and as ticked on save.
    consent: bool,
}

#[component]
pub fn ContactPanel(
    detail: LiveResource<Option<ConversationDetail>>,
    session: Resource<Result<SessionInfo, AppError>>,
    list: LiveResource<ListState>,
    erased: RwSignal<Option<String>>,
) -> impl IntoView {
    let editing = RwSignal::new(None::<ContactDraft>);
    let save = Action::new(|draft: &ContactDraft| {
        save_contact(
            draft.contact_id,
            draft.name.clone(),
            draft.notes.clone(),
            draft.tags.clone(),
            draft.language.clone(),
            Some(draft.consent),
        )
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = save.value().get() {
            editing.set(None);
            // The event this publishes carries the contact, but not its tags.
            detail.refetch();
        }
    });
    view! {
        <aside class="contact-panel" aria-label="Contact">
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let admin = session.await.is_ok_and(|s| s.user.role == Role::Admin);
                    match detail.data().await {
                        Ok(Some(detail)) => {
                            let conversation_id = detail.history.conversation.id;
                            let contact = detail.history.conversation.contact.clone();
                            view! {
                                <ContactView detail editing/>
                                {admin.then(|| view! { <PrivacyActions contact conversation_id list erased/> })}
                            }
                            .into_any()
                        }
                        _ => ().into_any(),
                    }
                })}
            </Transition>
            // Type-erased: the editor nested in the panel is past the compiler's layout depth.
            {move || editing.get().map(|draft| view! { <ContactEditor draft editing save/> }.into_any())}
        </aside>
    }
}

#[component]
fn ContactView(detail: ConversationDetail, editing: RwSignal<Option<ContactDraft>>) -> impl IntoView {
    let clock = detail.clock;
    let contact = detail.history.conversation.contact;
    let draft = ContactDraft {
        contact_id: contact.id,
        name: contact.name.clone().unwrap_or_default(),
        notes: contact.notes.clone(),
        tags: detail.tags.join(", "),
        language: contact.language.clone().unwrap_or_default(),
        languages: detail.languages.clone(),
        consent: contact.consent_at.is_some(),
    };
    let consent = match (contact.consent_at, contact.consent_source) {
        (Some(at), source) => format!(
            "Given {} ({})",
            clock.format(at),
            source.map_or("unknown source", |s| match s {
                ConsentSource::Staff => "by staff",
                ConsentSource::Import => "imported",
                ConsentSource::Customer => "by the customer",
            })
        ),
        (None, _) => "Not given".to_string(),
    };
    let language = match &contact.language {
        None => "Not known yet".to_string(),
        Some(code) => detail
            .languages
            .iter()
            .find(|l| &l.code == code)
            .map_or_else(|| code.clone(), |l| l.name.clone()),
    };
    view! {
        <div class="panel-head">
            <h2>"Contact"</h2>
            <button type="button" class="link" on:click=move |_| editing.set(Some(draft.clone()))>"Edit"</button>
        </div>
        <dl>
            <dt>"Name"</dt>
            <dd>{contact.name.clone().unwrap_or_else(|| "Not known yet".into())}</dd>
            <dt>"WhatsApp"</dt>
            <dd>{format_wa_id(&contact.wa_id)}</dd>
            <dt>"Language"</dt>
            <dd>{language}</dd>
            {contact.profile_name.clone().map(|p| view! { <dt>"Profile name"</dt><dd>{p}</dd> })}
            <dt>"Last outcome"</dt>
            <dd>{contact.last_outcome.map_or("—".to_string(), |o| o.as_str().replace('_', " "))}</dd>
            <dt>"Marketing consent"</dt>
            <dd>{consent}</dd>
            <dt>"Tags"</dt>
            <dd>{if detail.tags.is_empty() { "None".to_string() } else { detail.tags.join(", ") }}</dd>
            <dt>"Notes"</dt>
            <dd>{if contact.notes.is_empty() { "None".to_string() } else { contact.notes.clone() }}</dd>
        </dl>
        <h3>"Appointments"</h3>
        {if detail.appointments.is_empty() {
            view! { <p class="muted">"No appointments yet."</p> }.into_any()
        } else {
            view! {
                <ul class="plain appointments" aria-label="Appointments">
                    {detail.appointments.into_iter().map(|a| view! {
                        <li>
                            <strong>{a.service_name}</strong>" with "{a.staff_name}
                            <div class="muted small">{format!("{} · {}", clock.format(a.starts_at), status_label(a.status))}</div>
                        </li>
                    }).collect_view()}
                </ul>
            }
            .into_any()
        }}
    }
}

#[component]
fn ContactEditor(
    draft: ContactDraft,
    editing: RwSignal<Option<ContactDraft>>,
    save: Action<ContactDraft, Result<(), AppError>>,
) -> impl IntoView {
    let name = RwSignal::new(draft.name.clone());
    let notes = RwSignal::new(draft.notes.clone());
    let tags = RwSignal::new(draft.tags.clone());
    let language = RwSignal::new(draft.language.clone());
    let consent = RwSignal::new(draft.consent);
    let contact_id = draft.contact_id;
    let languages = draft.languages.clone();
    view! {
        <form
            class="contact-editor"
            on:submit=move |ev| {
                ev.prevent_default();
                save.dispatch(ContactDraft {
                    contact_id,
                    name: name.get_untracked(),
                    notes: notes.get_untracked(),
                    tags: tags.get_untracked(),
                    language: language.get_untracked(),
                    languages: Vec::new(),
                    consent: consent.get_untracked(),
                });
            }
        >
            <h3>"Edit contact"</h3>
            <label>"Name"<input type="text" maxlength="60" bind:value=name/></label>
            <label>
                "Language"
                <select on:change=move |ev| language.set(event_target_value(&ev)) prop:value=move || language.get()>
                    <option value="" selected=draft.language.is_empty()>"Not known yet"</option>
                    {languages.into_iter().map(|choice| {
                        let selected = choice.code == draft.language;
                        view! { <option value=choice.code selected=selected>{choice.name}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label>"Tags (comma separated)"<input type="text" bind:value=tags/></label>
            <label class="checkbox">
                <input type="checkbox" bind:checked=consent/>
                "Marketing consent (the customer agreed to receive offers)"
            </label>
            <label>"Notes"<textarea rows="3" maxlength="2000" bind:value=notes></textarea></label>
            <ActionError action=save/>
            <div class="row">
                <button type="submit" class="primary" disabled=move || save.pending().get()>"Save"</button>
                <button type="button" class="link" on:click=move |_| editing.set(None)>"Cancel"</button>
            </div>
        </form>
    }
}
