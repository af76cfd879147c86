//! The team inbox: every conversation, by name, with its chat and contact details.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::frame::AppFrame;
use crate::model::{
    format_wa_id, AppError, Author, BusinessClock, ConversationDetail, ConversationFilter, ConversationMode,
    DeliveryStatus, InboxList, Message,
};

/// How many conversations one page of the list holds.
#[cfg(feature = "ssr")]
const PAGE_SIZE: i64 = 50;
/// How much of a chat the pane shows.
#[cfg(feature = "ssr")]
const HISTORY_LIMIT: i64 = 200;

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

#[server(endpoint = "inbox/conversations")]
pub async fn list_conversations(search: String, filter: ConversationFilter) -> Result<InboxList, AppError> {
    use crate::server::{auth, db::conversations};
    auth::require_user().await?;
    let state = auth::app_state()?;
    if search.chars().count() > 100 {
        return Err(AppError::Invalid("Search for at most 100 characters.".into()));
    }
    let query = conversations::ConversationQuery {
        search,
        filter: Some(filter),
        after: None,
        limit: PAGE_SIZE,
    };
    let page = conversations::list_conversations(&state.db, &query).await?;
    Ok(InboxList {
        page,
        clock: business_clock(&state),
    })
}

#[server(endpoint = "inbox/conversation")]
pub async fn load_conversation_detail(conversation_id: i64) -> Result<ConversationDetail, AppError> {
    use crate::server::{auth, db};
    auth::require_user().await?;
    let state = auth::app_state()?;
    let history = db::conversations::chat_history(&state.db, conversation_id, HISTORY_LIMIT).await?;
    let contact_id = history.conversation.contact.id;
    let tags = db::tags::tags_for_contact(&state.db, contact_id).await?;
    let appointments = db::knowledge::appointments_for_contact(&state.db, contact_id).await?;
    let window_open = history
        .conversation
        .contact
        .last_inbound_at
        .is_some_and(|at| chrono::Utc::now() - at < chrono::Duration::hours(24));
    Ok(ConversationDetail {
        history,
        tags: tags.into_iter().map(|t| t.name).collect(),
        appointments,
        window_open,
        clock: business_clock(&state),
    })
}

fn filter_label(filter: ConversationFilter) -> &'static str {
    match filter {
        ConversationFilter::All => "All",
        ConversationFilter::NeedsAttention => "Needs attention",
        ConversationFilter::Human => "Human",
        ConversationFilter::Bot => "Bot",
    }
}

#[component]
pub fn InboxPage() -> impl IntoView {
    let query = use_query_map();
    let selected = Memo::new(move |_| query.read().get("c").and_then(|c| c.parse::<i64>().ok()));
    let (search, set_search) = signal(String::new());
    let (filter, set_filter) = signal(ConversationFilter::All);
    let list = Resource::new(
        move || (search.get(), filter.get()),
        |(search, filter)| list_conversations(search, filter),
    );
    let detail = Resource::new(
        move || selected.get(),
        |id| async move {
            match id {
                Some(id) => load_conversation_detail(id).await.map(Some),
                None => Ok(None),
            }
        },
    );

    view! {
        <Title text="Inbox · Frontdesk"/>
        <AppFrame>
            <div class="inbox" class:has-selection=move || selected.get().is_some()>
                <section class="conversation-list" aria-label="Conversations">
                    <h1>"Inbox"</h1>
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
                        {move || Suspend::new(async move {
                            match list.await {
                                Ok(list) if list.page.conversations.is_empty() => {
                                    view! { <p class="empty">"No conversations match."</p> }.into_any()
                                }
                                Ok(list) => {
                                    let clock = list.clock;
                                    view! {
                                        <ul class="conversations">
                                            {list
                                                .page
                                                .conversations
                                                .into_iter()
                                                .map(|c| {
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
                                                                    {(c.unread_count > 0).then(|| view! { <span class="badge unread" aria-label="unread messages">{c.unread_count}</span> })}
                                                                </span>
                                                            </a>
                                                        </li>
                                                    }
                                                })
                                                .collect_view()}
                                        </ul>
                                    }
                                    .into_any()
                                }
                                Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                            }
                        })}
                    </Transition>
                </section>
                <Transition fallback=|| view! { <section class="chat"><p class="muted">"Loading…"</p></section> }>
                    {move || Suspend::new(async move {
                        match detail.await {
                            Ok(Some(detail)) => view! { <ConversationView detail/> }.into_any(),
                            Ok(None) => view! {
                                <section class="chat empty-chat">
                                    <p class="muted">"Select a conversation to read it."</p>
                                </section>
                            }
                            .into_any(),
                            Err(e) => view! {
                                <section class="chat"><p class="error" role="alert">{e.to_string()}</p></section>
                            }
                            .into_any(),
                        }
                    })}
                </Transition>
            </div>
        </AppFrame>
    }
}

#[component]
fn ConversationView(detail: ConversationDetail) -> impl IntoView {
    let clock = detail.clock;
    let conversation = detail.history.conversation;
    let contact = conversation.contact;
    let mode_label = match conversation.mode {
        ConversationMode::Bot => "Bot is answering",
        ConversationMode::Human => "Staff are answering",
    };
    view! {
        <section class="chat" aria-label="Chat">
            <header class="chat-header">
                <a href="/inbox" class="back" aria-label="Back to the list">"←"</a>
                <div>
                    <h2>{contact.display_name().to_string()}</h2>
                    <span class="muted small">{format_wa_id(&contact.wa_id)}</span>
                </div>
                <span class="badge">{mode_label}</span>
                <span class="badge" class:closed=!detail.window_open>
                    {if detail.window_open { "24-hour window open" } else { "24-hour window closed" }}
                </span>
            </header>
            <ol class="messages">
                {detail.history.messages.into_iter().map(|m| view! { <MessageBubble message=m clock/> }).collect_view()}
            </ol>
        </section>
        <aside class="contact-panel" aria-label="Contact">
            <h2>"Contact"</h2>
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
                    <ul class="plain appointments">
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
        </aside>
    }
}

#[component]
fn MessageBubble(message: Message, clock: BusinessClock) -> impl IntoView {
    let ticks = match (message.author, message.status) {
        (Author::Customer, _) => None,
        (_, DeliveryStatus::Pending) => Some(("…", "waiting to send")),
        (_, DeliveryStatus::Sent) => Some(("✓", "sent")),
        (_, DeliveryStatus::Delivered) => Some(("✓✓", "delivered")),
        (_, DeliveryStatus::Read) => Some(("✓✓", "read")),
        (_, DeliveryStatus::Failed) => Some(("!", "failed")),
        (_, DeliveryStatus::Received) => None,
    };
    view! {
        <li class=format!("bubble {}", message.author.as_str())>
            <span class="author">{author_label(message.author)}</span>
            <p class="body">{message.body}</p>
            <span class="meta">
                {clock.format(message.created_at)}
                {message.intent.map(|i| view! { <span class="intent">{i}</span> })}
                {ticks.map(|(mark, label)| view! { <span class=format!("ticks {label}") title=label aria-label=label>{mark}</span> })}
            </span>
        </li>
    }
}

fn author_label(author: Author) -> &'static str {
    match author {
        Author::Customer => "Customer",
        Author::Bot => "Bot",
        Author::Staff => "Staff",
        Author::System => "System",
    }
}
