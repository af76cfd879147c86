//! The team inbox: every conversation, by name, live; its chat with takeover and manual
//! replies; and the contact's details.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::frame::AppFrame;
use crate::components::live::use_inbox_updates;
use crate::model::{
    format_wa_id, AppError, Author, BusinessClock, Conversation, ConversationCursor, ConversationDetail,
    ConversationFilter, ConversationMode, DeliveryStatus, InboxList, Message,
};

/// How many conversations one page of the list holds.
#[cfg(feature = "ssr")]
const PAGE_SIZE: i64 = 50;
/// How much of a chat the pane shows.
#[cfg(feature = "ssr")]
const HISTORY_LIMIT: i64 = 200;
/// WhatsApp's limit for one text message.
const MAX_REPLY_CHARS: usize = 4096;

#[cfg(feature = "ssr")]
fn business_clock(state: &crate::server::state::AppState) -> BusinessClock {
    use chrono::Offset;
    let offset = chrono::Utc::now()
        .with_timezone(&state.settings.business.timezone)
        .offset()
        .fix();
    BusinessClock {
        utc_offset_minutes: offset.local_minus_utc() / 60,
    }
}

/// Roles that may act on conversations (marketers may read them).
#[cfg(feature = "ssr")]
const INBOX_ROLES: &[crate::model::Role] = &[crate::model::Role::Admin, crate::model::Role::Agent];

#[server(endpoint = "inbox/conversations", input = Json)]
pub async fn list_conversations(
    search: String,
    filter: ConversationFilter,
    after: Option<ConversationCursor>,
) -> Result<InboxList, AppError> {
    crate::server::error::respond(async move {
        use crate::server::{db::conversations, session};
        session::require_user().await?;
        let state = session::app_state()?;
        if search.chars().count() > 100 {
            return Err(AppError::Invalid("Search for at most 100 characters.".into()));
        }
        let query = conversations::ConversationQuery {
            search,
            filter: Some(filter),
            after,
            limit: PAGE_SIZE,
        };
        let page = conversations::list_conversations(&state.db, &query).await?;
        Ok(InboxList {
            page,
            clock: business_clock(&state),
        })
    })
    .await
}

#[server(endpoint = "inbox/conversation")]
pub async fn load_conversation_detail(conversation_id: i64) -> Result<ConversationDetail, AppError> {
    crate::server::error::respond(async move {
        use crate::server::{db, session};
        session::require_user().await?;
        let state = session::app_state()?;
        let mut history = db::conversations::chat_history(&state.db, conversation_id, HISTORY_LIMIT).await?;
        if history.conversation.unread_count > 0 {
            db::conversations::mark_read(&state.db, conversation_id).await?;
            history.conversation.unread_count = 0;
            let event = crate::model::InboxEvent::ConversationChanged {
                conversation: history.conversation.clone(),
            };
            state.hub.publish(event);
        }
        let contact_id = history.conversation.contact.id;
        let tags = db::tags::tags_for_contact(&state.db, contact_id).await?;
        let appointments = db::knowledge::appointments_for_contact(&state.db, contact_id).await?;
        let window_open = history.conversation.contact.window_open(chrono::Utc::now());
        Ok(ConversationDetail {
            history,
            tags: tags.into_iter().map(|t| t.name).collect(),
            appointments,
            window_open,
            clock: business_clock(&state),
        })
    })
    .await
}

#[server(endpoint = "inbox/mode")]
pub async fn change_mode(conversation_id: i64, mode: ConversationMode) -> Result<(), AppError> {
    crate::server::error::respond(async move {
        use crate::server::session;
        let user = session::require_role(INBOX_ROLES).await?;
        let state = session::app_state()?;
        crate::server::controller::staff::set_mode(&state, conversation_id, mode, &user).await?;
        Ok(())
    })
    .await
}

#[server(endpoint = "inbox/reply")]
pub async fn send_reply(conversation_id: i64, text: String) -> Result<Message, AppError> {
    crate::server::error::respond(async move {
        use crate::server::{controller::StaffReplyError, session};
        let user = session::require_role(INBOX_ROLES).await?;
        let state = session::app_state()?;
        let text = text.trim();
        if text.is_empty() {
            return Err(AppError::Invalid("Write a reply first.".into()));
        }
        if text.chars().count() > MAX_REPLY_CHARS {
            return Err(AppError::Invalid(format!(
                "A WhatsApp message is at most {MAX_REPLY_CHARS} characters."
            )));
        }
        crate::server::controller::staff::send_reply(&state, conversation_id, &user, text)
            .await
            .map_err(|error| match error {
                StaffReplyError::OutsideWindow => AppError::Invalid(error.to_string()),
                StaffReplyError::Db(error) => error.into(),
            })
    })
    .await
}

#[server(endpoint = "inbox/contact")]
pub async fn save_contact(contact_id: i64, name: String, notes: String, tags: String) -> Result<(), AppError> {
    crate::server::error::respond(async move {
        use crate::server::{controller, db, session};
        session::require_role(INBOX_ROLES).await?;
        let state = session::app_state()?;
        let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.chars().count() > 60 {
            return Err(AppError::Invalid("A name is at most 60 characters.".into()));
        }
        if notes.chars().count() > 2000 {
            return Err(AppError::Invalid("Notes are at most 2,000 characters.".into()));
        }
        let mut tags: Vec<String> = tags
            .split(',')
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect();
        tags.dedup();
        if tags.len() > 10 || tags.iter().any(|t| t.chars().count() > 30) {
            return Err(AppError::Invalid(
                "Use at most 10 tags of at most 30 characters each.".into(),
            ));
        }
        // Validate everything first, then write in one transaction: a refused edit changes nothing.
        db::contacts::get_contact(&state.db, contact_id).await?;
        let edit = controller::ContactEdit {
            name: Some(name).filter(|n| !n.is_empty()),
            notes: notes.trim().to_string(),
            tags,
        };
        controller::staff::save_contact(&state, contact_id, edit).await?;
        Ok(())
    })
    .await
}

fn filter_label(filter: ConversationFilter) -> &'static str {
    match filter {
        ConversationFilter::All => "All",
        ConversationFilter::NeedsAttention => "Needs attention",
        ConversationFilter::Human => "Human",
        ConversationFilter::Bot => "Bot",
    }
}

/// A contact being edited in the side panel.
#[derive(Clone, Debug, Default, PartialEq)]
struct ContactDraft {
    contact_id: i64,
    name: String,
    notes: String,
    tags: String,
}

#[component]
pub fn InboxPage() -> impl IntoView {
    let query = use_query_map();
    let selected = Memo::new(move |_| query.read().get("c").and_then(|c| c.parse::<i64>().ok()));
    let (search, set_search) = signal(String::new());
    let (filter, set_filter) = signal(ConversationFilter::All);
    // Bumped by live updates: everything on screen is read again.
    let (version, set_version) = signal(0u64);
    let refresh_scheduled = StoredValue::new(false);
    let live = use_inbox_updates(move |_push| {
        // Coalesce bursts of events into one refresh.
        if !refresh_scheduled.get_value() {
            refresh_scheduled.set_value(true);
            set_timeout(
                move || {
                    refresh_scheduled.set_value(false);
                    set_version.update(|v| *v += 1);
                },
                std::time::Duration::from_millis(120),
            );
        }
    });

    let list = Resource::new(
        move || (search.get(), filter.get(), version.get()),
        |(search, filter, _)| list_conversations(search, filter, None),
    );
    // Older pages loaded with "Show more", kept across live refreshes of the first page.
    let older = RwSignal::new((Vec::<Conversation>::new(), None::<ConversationCursor>));
    Effect::new(move |_| {
        search.track();
        filter.track();
        older.set((Vec::new(), None));
    });
    let load_more = Action::new(
        |(search, filter, cursor): &(String, ConversationFilter, ConversationCursor)| {
            list_conversations(search.clone(), *filter, Some(*cursor))
        },
    );
    Effect::new(move |_| {
        if let Some(Ok(more)) = load_more.value().get() {
            older.update(|(items, cursor)| {
                items.extend(more.page.conversations);
                *cursor = more.page.next_cursor;
            });
        }
    });

    let detail = Resource::new(
        move || (selected.get(), version.get()),
        |(id, _)| async move {
            match id {
                Some(id) => load_conversation_detail(id).await.map(Some),
                None => Ok(None),
            }
        },
    );

    let (reply, set_reply) = signal(String::new());
    let send = Action::new(|(id, text): &(i64, String)| send_reply(*id, text.clone()));
    Effect::new(move |_| {
        if let Some(Ok(_)) = send.value().get() {
            set_reply.set(String::new());
        }
    });
    let mode = Action::new(|(id, mode): &(i64, ConversationMode)| change_mode(*id, *mode));
    let editing = RwSignal::new(None::<ContactDraft>);
    let save = Action::new(|draft: &ContactDraft| {
        save_contact(
            draft.contact_id,
            draft.name.clone(),
            draft.notes.clone(),
            draft.tags.clone(),
        )
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = save.value().get() {
            editing.set(None);
        }
    });
    // A new conversation starts with a clean composer and panel.
    Effect::new(move |_| {
        selected.track();
        set_reply.set(String::new());
        editing.set(None);
        send.value().set(None);
        mode.value().set(None);
    });

    let conversation_list = move || {
        Suspend::new(async move {
            match list.await {
                Ok(list) => {
                    let clock = list.clock;
                    let first_cursor = list.page.next_cursor;
                    let first = list.page.conversations;
                    let (more, more_cursor) = older.get();
                    let shown: Vec<Conversation> = first
                        .iter()
                        .cloned()
                        .chain(more.into_iter().filter(|c| !first.iter().any(|f| f.id == c.id)))
                        .collect();
                    let cursor = if older.with(|(items, _)| items.is_empty()) {
                        first_cursor
                    } else {
                        more_cursor
                    };
                    if shown.is_empty() {
                        return view! { <p class="empty">"No conversations match."</p> }.into_any();
                    }
                    view! {
                        <ul class="conversations">
                            {shown.into_iter().map(|c| view! { <ConversationItem c clock selected/> }).collect_view()}
                        </ul>
                        {cursor.map(|cursor| view! {
                            <button
                                type="button"
                                class="more"
                                disabled=move || load_more.pending().get()
                                on:click=move |_| { load_more.dispatch((search.get_untracked(), filter.get_untracked(), cursor)); }
                            >
                                "Show more"
                            </button>
                        })}
                    }
                    .into_any()
                }
                Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
            }
        })
    };

    view! {
        <Title text="Inbox · Frontdesk"/>
        <AppFrame>
            <div class="inbox" class:has-selection=move || selected.get().is_some()>
                <section class="conversation-list" aria-label="Conversations">
                    <div class="list-head">
                        <h1>"Inbox"</h1>
                        <span class="live" class:on=move || live.get() == crate::components::live::LiveStatus::Live role="status">
                            {move || live.get().label()}
                        </span>
                    </div>
                    <input
                        type="search"
                        class="search"
                        placeholder="Search by name or number"
                        aria-label="Search by name or number"
                        prop:value=search
                        on:input=move |ev| set_search.set(event_target_value(&ev))
                    />
                    <div class="filters" role="group" aria-label="Show">
                        {ConversationFilter::ALL
                            .iter()
                            .map(|&f| {
                                view! {
                                    <button
                                        type="button"
                                        class="chip"
                                        class:active=move || filter.get() == f
                                        aria-pressed=move || (filter.get() == f).to_string()
                                        on:click=move |_| set_filter.set(f)
                                    >
                                        {filter_label(f)}
                                    </button>
                                }
                            })
                            .collect_view()}
                    </div>
                    <Transition fallback=|| view! { <p class="muted">"Loading conversations…"</p> }>
                        {conversation_list}
                    </Transition>
                </section>
                {move || match selected.get() {
                    None => view! {
                        <section class="chat empty-chat" aria-label="Chat">
                            <p class="muted">"Select a conversation to read it."</p>
                        </section>
                    }
                    .into_any(),
                    Some(id) => view! {
                        <section class="chat" aria-label="Chat">
                            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                                {move || Suspend::new(async move {
                                    match detail.await {
                                        Ok(Some(detail)) => view! { <ChatView detail mode/> }.into_any(),
                                        Ok(None) => ().into_any(),
                                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                                    }
                                })}
                            </Transition>
                            {move || mode.value().get().and_then(Result::err).map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
                            <form
                                class="composer"
                                on:submit=move |ev| {
                                    ev.prevent_default();
                                    send.dispatch((id, reply.get_untracked()));
                                }
                            >
                                <textarea
                                    aria-label="Reply"
                                    placeholder="Write a reply to the customer…"
                                    rows="2"
                                    maxlength=MAX_REPLY_CHARS.to_string()
                                    prop:value=reply
                                    on:input=move |ev| set_reply.set(event_target_value(&ev))
                                ></textarea>
                                <button type="submit" class="primary" disabled=move || send.pending().get()>
                                    {move || if send.pending().get() { "Sending…" } else { "Send" }}
                                </button>
                            </form>
                            {move || send.value().get().and_then(Result::err).map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
                        </section>
                        <aside class="contact-panel" aria-label="Contact">
                            <Transition fallback=|| ()>
                                {move || Suspend::new(async move {
                                    match detail.await {
                                        Ok(Some(detail)) => view! { <ContactView detail editing/> }.into_any(),
                                        _ => ().into_any(),
                                    }
                                })}
                            </Transition>
                            {move || editing.get().map(|draft| view! { <ContactEditor draft editing save/> })}
                        </aside>
                    }
                    .into_any(),
                }}
            </div>
        </AppFrame>
    }
}

#[component]
fn ConversationItem(c: Conversation, clock: BusinessClock, selected: Memo<Option<i64>>) -> impl IntoView {
    let id = c.id;
    view! {
        <li class:selected=move || selected.get() == Some(id)>
            <a href=format!("/inbox?c={id}") class="conversation">
                <span class="name">{c.contact.display_name().to_string()}</span>
                <span class="time">{clock.format(c.last_activity_at)}</span>
                <span class="preview">{c.last_message_preview.unwrap_or_default()}</span>
                <span class="flags">
                    {(c.mode == ConversationMode::Human).then(|| view! { <span class="badge human">"Human"</span> })}
                    {c.needs_attention.then(|| view! { <span class="badge attention">"Needs attention"</span> })}
                    {(c.unread_count > 0).then(|| view! { <span class="badge unread" title="unread messages">{c.unread_count}</span> })}
                </span>
            </a>
        </li>
    }
}

#[component]
fn ChatView(detail: ConversationDetail, mode: Action<(i64, ConversationMode), Result<(), AppError>>) -> impl IntoView {
    let clock = detail.clock;
    let conversation = detail.history.conversation;
    let contact = conversation.contact;
    let id = conversation.id;
    let (mode_label, button_label, next_mode) = match conversation.mode {
        ConversationMode::Bot => ("Bot is answering", "Take over", ConversationMode::Human),
        ConversationMode::Human => ("Staff are answering", "Hand back to bot", ConversationMode::Bot),
    };
    view! {
        <header class="chat-header">
            <a href="/inbox" class="back" aria-label="Back to the list">"←"</a>
            <div class="who">
                <h2>{contact.display_name().to_string()}</h2>
                <span class="muted small">{format_wa_id(&contact.wa_id)}</span>
            </div>
            <span class="badge" data-testid="mode">{mode_label}</span>
            {conversation.needs_attention.then(|| view! { <span class="badge attention">"Needs attention"</span> })}
            <span class="badge" class:closed=!detail.window_open>
                {if detail.window_open { "24-hour window open" } else { "24-hour window closed: replies need a template" }}
            </span>
            <button
                type="button"
                class="primary"
                disabled=move || mode.pending().get()
                on:click=move |_| { mode.dispatch((id, next_mode)); }
            >
                {button_label}
            </button>
        </header>
        <div class="scroller">
            <ol class="messages" aria-label="Messages">
                {detail.history.messages.into_iter().map(|m| view! { <MessageBubble message=m clock/> }).collect_view()}
            </ol>
        </div>
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
            {contact.profile_name.clone().map(|p| view! { <dt>"Profile name"</dt><dd>{p}</dd> })}
            <dt>"Last outcome"</dt>
            <dd>{contact.last_outcome.map_or("—".to_string(), |o| o.as_str().replace('_', " "))}</dd>
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
                            <div class="muted small">{format!("{} · {}", clock.format(a.starts_at), a.status.as_str().replace('_', " "))}</div>
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
    let contact_id = draft.contact_id;
    view! {
        <form
            class="contact-editor"
            on:submit=move |ev| {
                ev.prevent_default();
                save.dispatch(ContactDraft { contact_id, name: name.get_untracked(), notes: notes.get_untracked(), tags: tags.get_untracked() });
            }
        >
            <h3>"Edit contact"</h3>
            <label>"Name"<input type="text" maxlength="60" bind:value=name/></label>
            <label>"Tags (comma separated)"<input type="text" bind:value=tags/></label>
            <label>"Notes"<textarea rows="3" maxlength="2000" bind:value=notes></textarea></label>
            {move || save.value().get().and_then(Result::err).map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
            <div class="row">
                <button type="submit" class="primary" disabled=move || save.pending().get()>"Save"</button>
                <button type="button" class="link" on:click=move |_| editing.set(None)>"Cancel"</button>
            </div>
        </form>
    }
}

#[component]
fn MessageBubble(message: Message, clock: BusinessClock) -> impl IntoView {
    let ticks = match (message.author, message.status) {
        (Author::Customer | Author::System, _) => None,
        (_, DeliveryStatus::Pending) => Some(("…", "waiting to send")),
        (_, DeliveryStatus::Sent) => Some(("✓", "sent")),
        (_, DeliveryStatus::Delivered) => Some(("✓✓", "delivered")),
        (_, DeliveryStatus::Read) => Some(("✓✓", "read")),
        (_, DeliveryStatus::Failed) => Some(("!", "failed")),
        (_, DeliveryStatus::Received) => None,
    };
    let error = message.error.clone();
    view! {
        <li class=format!("bubble {}", message.author.as_str())>
            <span class="author">{author_label(message.author)}</span>
            <p class="body">{message.body}</p>
            <span class="meta">
                {clock.format(message.created_at)}
                {message.intent.map(|i| view! { <span class="intent">{i.as_str()}</span> })}
                {ticks.map(|(mark, label)| view! { <span class=format!("ticks {label}") title=error.clone().unwrap_or_else(|| label.to_string()) aria-label=label>{mark}</span> })}
            </span>
        </li>
    }
}

fn author_label(author: Author) -> &'static str {
    match author {
        Author::Customer => "Customer",
        Author::Bot => "Bot",
        Author::Staff => "Staff",
        Author::System => "Note",
    }
}
