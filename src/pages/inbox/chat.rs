//! The open conversation: its header with takeover, the messages, and the reply composer.

use leptos::prelude::*;

use super::server::{change_mode, send_reply, send_template, MAX_REPLY_CHARS};
use super::synced::{Applied, Live, LiveResource};
use crate::components::error::{ActionError, ErrorMessage};
use crate::model::{
    format_wa_id, name_or_fallback, AppError, Author, BusinessClock, ConversationDetail, ConversationMode,
    DeliveryStatus, InboxEvent, Intent, Message,
};
use crate::pages::templates::list_templates;

impl Live for ConversationDetail {
    fn apply(&mut self, event: &InboxEvent) -> Applied {
        match event {
            InboxEvent::MessageCreated { message, .. } if message.conversation_id == self.history.conversation.id => {
                self.message_created(message)
            }
            InboxEvent::ConversationChanged { conversation } if conversation.id == self.history.conversation.id => {
                let shown = &self.history.conversation;
                if *conversation == *shown {
                    return Applied::Unchanged;
                }
                // A newer message from the customer opens the 24-hour window (closing it
                // takes a day, and the next visit reads it afresh).
                if conversation.contact.last_inbound_at > shown.contact.last_inbound_at {
                    self.window_open = true;
                }
                self.history.conversation = conversation.clone();
                Applied::Changed
            }
            InboxEvent::DeliveryStatusChanged {
                message_id,
                wa_message_id,
                status,
                error,
                ..
            } => self.status_changed(*message_id, wa_message_id, *status, error),
            // Erased: reading it again says it is gone. Appointments changed: the contact
            // panel reads them again.
            InboxEvent::ConversationRemoved { conversation_id }
            | InboxEvent::AppointmentsChanged { conversation_id }
                if *conversation_id == self.history.conversation.id =>
            {
                Applied::Refetch
            }
            _ => Applied::Unchanged,
        }
    }
}

impl ConversationDetail {
    fn message_created(&mut self, message: &Message) -> Applied {
        if self.history.messages.iter().any(|m| m.id == message.id) {
            return Applied::Unchanged;
        }
        self.history.messages.push(message.clone());
        // Appointments travel in no event: the bot's booking, cancellation or move reply is
        // the sign that the contact panel's list changed.
        let booking = message.intent.is_some_and(|intent| {
            matches!(
                intent,
                Intent::BookingConfirmed | Intent::BookingCancelled | Intent::BookingReschedule
            )
        });
        if booking {
            Applied::Refetch
        } else {
            Applied::Changed
        }
    }

    fn status_changed(
        &mut self,
        message_id: i64,
        wa_message_id: &Option<String>,
        status: DeliveryStatus,
        error: &Option<String>,
    ) -> Applied {
        let Some(message) = self.history.messages.iter_mut().find(|m| m.id == message_id) else {
            return Applied::Unchanged; // another conversation's message
        };
        let wa_message_id = wa_message_id.clone().or_else(|| message.wa_message_id.clone());
        if message.status == status && message.wa_message_id == wa_message_id && message.error == *error {
            return Applied::Unchanged;
        }
        message.status = status;
        message.wa_message_id = wa_message_id;
        message.error = error.clone();
        Applied::Changed
    }
}

/// The chat of conversation `id`, whose data `detail` holds.
#[component]
pub fn ChatPane(id: i64, detail: LiveResource<Option<ConversationDetail>>) -> impl IntoView {
    let mode = Action::new(|(id, mode): &(i64, ConversationMode)| change_mode(*id, *mode));
    view! {
        <section class="chat" aria-label="Chat">
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match detail.data().await {
                        Ok(Some(detail)) => view! { <ChatView detail mode/> }.into_any(),
                        Ok(None) => ().into_any(),
                        Err(e) => view! { <ErrorMessage message=e.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
            <ActionError action=mode/>
            <Composer id/>
        </section>
    }
}

#[component]
fn Composer(id: i64) -> impl IntoView {
    let reply = RwSignal::new(String::new());
    let send = Action::new(|(id, text): &(i64, String)| send_reply(*id, text.clone()));
    Effect::new(move |_| {
        if let Some(Ok(_)) = send.value().get() {
            reply.set(String::new());
        }
    });
    view! {
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
                on:input=move |ev| reply.set(event_target_value(&ev))
            ></textarea>
            <button type="submit" class="primary" disabled=move || send.pending().get()>
                {move || if send.pending().get() { "Sending…" } else { "Send" }}
            </button>
        </form>
        <ActionError action=send/>
    }
}

#[component]
fn ChatView(detail: ConversationDetail, mode: Action<(i64, ConversationMode), Result<(), AppError>>) -> impl IntoView {
    let clock = detail.clock;
    let conversation = detail.history.conversation;
    let contact = conversation.contact;
    let id = conversation.id;
    let greeting_name = name_or_fallback(contact.name.as_deref()).to_string();
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
        {(!detail.window_open).then(|| view! { <TemplatePicker conversation_id=id name=greeting_name/> })}
    }
}

/// With the 24-hour window closed, the approved templates the customer's name fills, each
/// with the text they would read.
#[component]
fn TemplatePicker(conversation_id: i64, name: String) -> impl IntoView {
    let templates = Resource::new(|| (), |_| list_templates());
    let chosen = RwSignal::new(None::<i64>);
    let send = Action::new(move |template_id: &i64| send_template(conversation_id, *template_id));
    let name = StoredValue::new(name);
    view! {
        <form
            class="template-picker"
            aria-label="Send a template"
            on:submit=move |ev| {
                ev.prevent_default();
                if let Some(template_id) = chosen.get_untracked() {
                    send.dispatch(template_id);
                }
            }
        >
            <p class="muted small">
                "The customer has not written for 24 hours, so WhatsApp delivers only an approved template. Choose one to reach them:"
            </p>
            <Suspense fallback=|| view! { <p class="muted">"Loading templates…"</p> }>
                {move || Suspend::new(async move {
                    let usable: Vec<_> = match templates.await {
                        Ok(list) => list.into_iter().filter(|t| t.is_approved() && t.needs_only_a_name()).collect(),
                        Err(e) => return view! { <ErrorMessage message=e.to_string()/> }.into_any(),
                    };
                    if usable.is_empty() {
                        return view! { <p class="muted">"No approved templates yet: sync them on the Campaigns page."</p> }.into_any();
                    }
                    usable
                        .into_iter()
                        .map(|t| {
                            let id = t.id;
                            let preview = name.with_value(|name| t.render(name));
                            view! {
                                <label class="template-choice">
                                    <input
                                        type="radio"
                                        name="template"
                                        value=id.to_string()
                                        on:change=move |_| chosen.set(Some(id))
                                    />
                                    <strong>{format!("{} ({})", t.name, t.language)}</strong>
                                    <span class="preview">{preview}</span>
                                </label>
                            }
                        })
                        .collect_view()
                        .into_any()
                })}
            </Suspense>
            <button type="submit" class="primary" disabled=move || chosen.get().is_none() || send.pending().get()>
                {move || if send.pending().get() { "Sending…" } else { "Send template" }}
            </button>
            <ActionError action=send/>
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
    let simulated = message.is_simulated();
    view! {
        <li class=format!("bubble {}", message.author.as_str())>
            <span class="author">{author_label(message.author)}</span>
            {simulated.then(|| view! {
                <span class="badge simulated" title="Written by staff in the customer simulator">"Simulated"</span>
            })}
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

#[cfg(test)]
mod tests {
    use super::super::test_data::{at, conversation, inbound};
    use super::*;
    use crate::model::{ChatHistory, Direction};

    fn open_chat(messages: Vec<Message>) -> ConversationDetail {
        ConversationDetail {
            history: ChatHistory {
                conversation: conversation(1, 10, "Ana"),
                messages,
            },
            tags: Vec::new(),
            appointments: Vec::new(),
            window_open: false,
            clock: BusinessClock::default(),
            languages: Vec::new(),
        }
    }

    fn bot_reply(id: i64, wa_message_id: Option<&str>, status: DeliveryStatus, intent: Option<Intent>) -> Message {
        Message {
            direction: Direction::Outbound,
            author: Author::Bot,
            wa_message_id: wa_message_id.map(str::to_string),
            status,
            intent,
            ..inbound(id, 1, 12, "reply")
        }
    }

    fn created(message: Message) -> InboxEvent {
        InboxEvent::MessageCreated {
            conversation_id: message.conversation_id,
            message,
        }
    }

    fn status(message_id: i64, wa_message_id: &str, status: DeliveryStatus) -> InboxEvent {
        InboxEvent::DeliveryStatusChanged {
            conversation_id: 1,
            message_id,
            wa_message_id: Some(wa_message_id.to_string()),
            status,
            error: None,
        }
    }

    #[test]
    fn messages_of_the_open_chat_are_appended_once() {
        let mut chat = open_chat(vec![inbound(1, 1, 10, "hi")]);
        assert_eq!(chat.apply(&created(inbound(2, 1, 11, "there"))), Applied::Changed);
        assert_eq!(chat.apply(&created(inbound(2, 1, 11, "there"))), Applied::Unchanged);
        assert_eq!(chat.apply(&created(inbound(3, 7, 11, "elsewhere"))), Applied::Unchanged);
        let ids: Vec<i64> = chat.history.messages.iter().map(|m| m.id).collect();
        assert_eq!(ids, [1, 2]);
        let booked = bot_reply(4, None, DeliveryStatus::Pending, Some(Intent::BookingConfirmed));
        assert_eq!(
            chat.apply(&created(booked)),
            Applied::Refetch,
            "appointments are not in the event"
        );
    }

    #[test]
    fn statuses_update_the_open_chat_without_reading_it_again() {
        let mut chat = open_chat(vec![bot_reply(1, Some("wamid.A"), DeliveryStatus::Sent, None)]);
        assert_eq!(
            chat.apply(&status(1, "wamid.A", DeliveryStatus::Read)),
            Applied::Changed
        );
        assert_eq!(chat.history.messages[0].status, DeliveryStatus::Read);
        assert_eq!(
            chat.apply(&status(1, "wamid.A", DeliveryStatus::Read)),
            Applied::Unchanged
        );
        assert_eq!(
            chat.apply(&status(9, "wamid.OTHER", DeliveryStatus::Sent)),
            Applied::Unchanged,
            "another conversation's message"
        );
        // Our own reply learns its WhatsApp id from the event that says it was sent.
        chat.apply(&created(bot_reply(2, None, DeliveryStatus::Pending, None)));
        assert_eq!(
            chat.apply(&status(2, "wamid.B", DeliveryStatus::Sent)),
            Applied::Changed
        );
        let reply = &chat.history.messages[1];
        assert_eq!(
            (reply.wa_message_id.as_deref(), reply.status),
            (Some("wamid.B"), DeliveryStatus::Sent)
        );
    }

    #[test]
    fn a_new_customer_message_opens_the_window() {
        let mut chat = open_chat(Vec::new());
        let mut changed = conversation(1, 10, "Ana Ruiz");
        assert_eq!(
            chat.apply(&InboxEvent::ConversationChanged {
                conversation: changed.clone()
            }),
            Applied::Changed
        );
        assert!(!chat.window_open, "the same last message");
        changed.contact.last_inbound_at = Some(at(30));
        chat.apply(&InboxEvent::ConversationChanged { conversation: changed });
        assert!(chat.window_open);
        assert_eq!(chat.history.conversation.contact.name.as_deref(), Some("Ana Ruiz"));
    }
}
