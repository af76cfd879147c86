//! The team inbox: every conversation, by name, live; its chat with takeover and manual
//! replies; and the contact's details. Live events are applied to what is on screen; the
//! server is asked again only after missed events or for what an event does not carry.

mod chat;
mod contact;
mod list;
mod privacy;
mod server;
mod synced;
#[cfg(test)]
mod test_data;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use self::chat::ChatPane;
use self::contact::ContactPanel;
use self::list::{ConversationList, ListState};
use self::server::{list_conversations, load_conversation_detail, mark_conversation_read};
use self::synced::LiveResource;
use crate::components::frame::{load_session_info, AppFrame};
use crate::components::live::{use_inbox_updates, LiveStatus};
use crate::model::{ConversationDetail, ConversationFilter, Direction, InboxEvent, InboxPush};

#[component]
pub fn InboxPage() -> impl IntoView {
    let query = use_query_map();
    let selected = Memo::new(move |_| query.read().get("c").and_then(|c| c.parse::<i64>().ok()));
    let search = RwSignal::new(String::new());
    let filter = RwSignal::new(ConversationFilter::All);

    let list = LiveResource::new(
        move || (search.get(), filter.get()),
        |(search, filter)| async move {
            let list = list_conversations(search.clone(), filter, None).await?;
            Ok(ListState::new(search, filter, list))
        },
    );
    let detail: LiveResource<Option<ConversationDetail>> = LiveResource::new(
        move || selected.get(),
        |id| async move {
            match id {
                Some(id) => load_conversation_detail(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let live = follow_live_updates(list, detail, selected);
    // Who is signed in decides whether the contact panel offers export and erasure.
    let session = Resource::new(|| (), |_| load_session_info());
    // What the last erasure removed, shown until another conversation is opened.
    let erased = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if selected.get().is_some() {
            erased.set(None);
        }
    });

    view! {
        <Title text="Inbox · Frontdesk"/>
        <AppFrame>
            {move || erased.get().map(|message| view! { <p class="notice" role="status">{message}</p> })}
            <div class="inbox" class:has-selection=move || selected.get().is_some()>
                <ConversationList list search filter selected live/>
                {move || match selected.get() {
                    None => view! {
                        <section class="chat empty-chat" aria-label="Chat">
                            <p class="muted">"Select a conversation to read it."</p>
                        </section>
                    }
                    .into_any(),
                    Some(id) => view! {
                        <ChatPane id detail/>
                        <ContactPanel detail session list erased/>
                    }
                    .into_any(),
                }}
            </div>
        </AppFrame>
    }
}

/// Applies every live event to the list and the open chat; after missed events, reads both
/// again. Returns the connection status.
fn follow_live_updates(
    list: LiveResource<ListState>,
    detail: LiveResource<Option<ConversationDetail>>,
    selected: Memo<Option<i64>>,
) -> ReadSignal<LiveStatus> {
    let read = Action::new(|id: &i64| mark_conversation_read(*id));
    use_inbox_updates(move |push| match push {
        InboxPush::Event(event) => {
            list.apply(&event);
            detail.apply(&event);
            if let Some(id) = new_inbound_in(&event).filter(|id| selected.get_untracked() == Some(*id)) {
                read.dispatch(id);
            }
        }
        InboxPush::Resync => {
            list.refetch();
            detail.refetch();
        }
    })
}

/// The conversation a customer just wrote in: someone watching it has read the message.
fn new_inbound_in(event: &InboxEvent) -> Option<i64> {
    match event {
        InboxEvent::MessageCreated { message, .. } if message.direction == Direction::Inbound => {
            Some(message.conversation_id)
        }
        _ => None,
    }
}
