//! The conversation list: search, filters, the rows in inbox order, and "Show more".

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::server::list_conversations;
use super::synced::{Applied, Live, LiveResource};
use crate::components::error::{ActionError, ErrorMessage};
use crate::components::live::LiveStatus;
use crate::model::{
    AppError, BusinessClock, Conversation, ConversationCursor, ConversationFilter, ConversationMode, ConversationPage,
    Direction, InboxEvent, InboxList, Message,
};

/// The conversations on screen: the pages loaded so far for one search and filter, in the
/// server's order (most recent activity first).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ListState {
    search: String,
    filter: ConversationFilter,
    conversations: Vec<Conversation>,
    /// Where the next page starts; `None` when everything that matches is shown.
    next_cursor: Option<ConversationCursor>,
    clock: BusinessClock,
}

/// What "Show more" asks for: the page after `after` of one list.
#[derive(Clone, Debug, PartialEq)]
struct MoreRequest {
    search: String,
    filter: ConversationFilter,
    after: ConversationCursor,
}

impl ListState {
    pub fn new(search: String, filter: ConversationFilter, list: InboxList) -> Self {
        ListState {
            search,
            filter,
            conversations: list.page.conversations,
            next_cursor: list.page.next_cursor,
            clock: list.clock,
        }
    }

    /// Adds the page "Show more" asked for, if this is still the list it was asked for.
    fn append(&mut self, request: &MoreRequest, page: ConversationPage) {
        let asked = (&request.search, request.filter, Some(request.after));
        if (&self.search, self.filter, self.next_cursor) != asked {
            return;
        }
        for conversation in page.conversations {
            // A row that live events moved up is shown already.
            if self.position(conversation.id).is_none() {
                self.conversations.push(conversation);
            }
        }
        self.next_cursor = page.next_cursor;
    }

    fn position(&self, id: i64) -> Option<usize> {
        self.conversations.iter().position(|c| c.id == id)
    }

    /// The server's search and filter (`db::conversations::list_sql`), for rows that events
    /// bring in or change.
    fn matches(&self, conversation: &Conversation) -> bool {
        let search = self.search.trim().to_lowercase();
        let contact = &conversation.contact;
        let found = search.is_empty()
            || contact
                .name
                .as_deref()
                .is_some_and(|n| n.to_lowercase().contains(&search))
            || contact.wa_id.to_lowercase().contains(&search);
        found
            && match self.filter {
                ConversationFilter::All => true,
                ConversationFilter::NeedsAttention => conversation.needs_attention,
                ConversationFilter::Human => conversation.mode == ConversationMode::Human,
                ConversationFilter::Bot => conversation.mode == ConversationMode::Bot,
            }
    }

    /// Whether a row falls among the pages loaded so far; later ones come with "Show more".
    fn within_loaded(&self, conversation: &Conversation) -> bool {
        self.next_cursor
            .is_none_or(|cursor| order_key(conversation) >= (cursor.last_activity_ms, cursor.id))
    }

    /// Puts a conversation where the server would list it, or takes it out if it no longer
    /// belongs.
    fn place(&mut self, conversation: Conversation) -> Applied {
        let belongs = self.matches(&conversation) && self.within_loaded(&conversation);
        match self.position(conversation.id) {
            Some(i) if belongs && self.conversations[i] == conversation => return Applied::Unchanged,
            Some(i) => {
                self.conversations.remove(i);
            }
            None if !belongs => return Applied::Unchanged,
            None => {}
        }
        if belongs {
            let key = order_key(&conversation);
            let at = self.conversations.partition_point(|c| order_key(c) > key);
            self.conversations.insert(at, conversation);
        }
        Applied::Changed
    }

    fn conversation_changed(&mut self, mut conversation: Conversation) -> Applied {
        if let Some(i) = self.position(conversation.id) {
            // Read before a message we have applied already (the server stores a message
            // and publishes an older read of its conversation concurrently): keep its place.
            let shown = &self.conversations[i];
            if shown.last_activity_at > conversation.last_activity_at {
                conversation.last_activity_at = shown.last_activity_at;
                conversation.last_message_preview = shown.last_message_preview.clone();
            }
        }
        self.place(conversation)
    }

    fn message_created(&mut self, message: &Message) -> Applied {
        let Some(i) = self.position(message.conversation_id) else {
            return Applied::Unchanged; // not shown here: a row that matches comes with its own event
        };
        let mut conversation = self.conversations[i].clone();
        touch(&mut conversation, message);
        self.place(conversation)
    }
}

/// The list's order: most recent activity first, then the highest id.
fn order_key(conversation: &Conversation) -> (i64, i64) {
    (conversation.last_activity_at.timestamp_millis(), conversation.id)
}

/// What storing a message does to its conversation: the `messages_touch_conversation`
/// trigger (migration 0003), which publishes no event of its own.
fn touch(conversation: &mut Conversation, message: &Message) {
    conversation.last_activity_at = conversation.last_activity_at.max(message.created_at);
    conversation.last_message_preview = Some(message.body.chars().take(120).collect());
    if message.direction == Direction::Inbound {
        conversation.unread_count += 1;
    }
}

impl Live for ListState {
    fn apply(&mut self, event: &InboxEvent) -> Applied {
        match event {
            InboxEvent::ConversationChanged { conversation } => self.conversation_changed(conversation.clone()),
            InboxEvent::MessageCreated { message, .. } => self.message_created(message),
            InboxEvent::DeliveryStatusChanged { .. } | InboxEvent::AppointmentsChanged { .. } => Applied::Unchanged,
            InboxEvent::ConversationRemoved { conversation_id } => match self.position(*conversation_id) {
                Some(i) => {
                    self.conversations.remove(i);
                    Applied::Changed
                }
                None => Applied::Unchanged,
            },
        }
    }

    /// A fetched row may already count a message stored while the fetch ran, and nothing
    /// says whether it does: only a message newer than the row's activity is certainly new.
    fn replay(&mut self, event: &InboxEvent) -> Applied {
        if let InboxEvent::MessageCreated { message, .. } = event {
            let newer = self
                .position(message.conversation_id)
                .is_some_and(|i| message.created_at > self.conversations[i].last_activity_at);
            if !newer {
                return Applied::Unchanged;
            }
        }
        self.apply(event)
    }
}

fn filter_label(filter: ConversationFilter) -> &'static str {
    match filter {
        ConversationFilter::All => "All",
        ConversationFilter::NeedsAttention => "Needs attention",
        ConversationFilter::Human => "Human",
        ConversationFilter::Bot => "Bot",
    }
}

type MoreAction = Action<MoreRequest, Result<(MoreRequest, ConversationPage), AppError>>;

#[component]
pub fn ConversationList(
    list: LiveResource<ListState>,
    search: RwSignal<String>,
    filter: RwSignal<ConversationFilter>,
    selected: Memo<Option<i64>>,
    live: ReadSignal<LiveStatus>,
) -> impl IntoView {
    // Lives outside the rows, which live events redraw while a page may be loading.
    let more: MoreAction = Action::new(|request: &MoreRequest| {
        let request = request.clone();
        async move {
            let list = list_conversations(request.search.clone(), request.filter, Some(request.after)).await?;
            Ok((request, list.page))
        }
    });
    Effect::new(move |_| {
        if let Some(Ok((request, page))) = more.value().get() {
            list.modify(|state| state.append(&request, page));
        }
    });
    view! {
        <section class="conversation-list" aria-label="Conversations">
            <div class="list-head">
                <h1>"Inbox"</h1>
                <span class="live" class:on=move || live.get() == LiveStatus::Live role="status">
                    {move || live.get().label()}
                </span>
            </div>
            <input
                type="search"
                class="search"
                placeholder="Search by name or number"
                aria-label="Search by name or number"
                prop:value=search
                on:input=move |ev| search.set(event_target_value(&ev))
            />
            <Filters filter/>
            <Transition fallback=|| view! { <p class="muted">"Loading conversations…"</p> }>
                {move || Suspend::new(async move {
                    match list.data().await {
                        Ok(state) => view! { <Rows state selected more/> }.into_any(),
                        Err(e) => view! { <ErrorMessage message=e.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
            <ActionError action=more/>
        </section>
    }
}

#[component]
fn Filters(filter: RwSignal<ConversationFilter>) -> impl IntoView {
    let chip = move |f: ConversationFilter| {
        view! {
            <button
                type="button"
                class="chip"
                class:active=move || filter.get() == f
                aria-pressed=move || (filter.get() == f).to_string()
                on:click=move |_| filter.set(f)
            >
                {filter_label(f)}
            </button>
        }
    };
    view! {
        <div class="filters" role="group" aria-label="Show">
            {ConversationFilter::ALL.iter().copied().map(chip).collect_view()}
        </div>
    }
}

#[component]
fn Rows(state: ListState, selected: Memo<Option<i64>>, more: MoreAction) -> impl IntoView {
    if state.conversations.is_empty() {
        return view! { <p class="empty">"No conversations match."</p> }.into_any();
    }
    let clock = state.clock;
    let request = state.next_cursor.map(|after| MoreRequest {
        search: state.search.clone(),
        filter: state.filter,
        after,
    });
    view! {
        <ul class="conversations">
            {state.conversations.into_iter().map(|c| view! { <ConversationItem c clock selected/> }).collect_view()}
        </ul>
        {request.map(|request| view! {
            <button
                type="button"
                class="more"
                disabled=move || more.pending().get()
                on:click=move |_| { more.dispatch(request.clone()); }
            >
                "Show more"
            </button>
        })}
    }
    .into_any()
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

#[cfg(test)]
mod tests {
    use super::super::test_data::{at, conversation, inbound};
    use super::*;

    fn list(search: &str, filter: ConversationFilter, rows: Vec<Conversation>) -> ListState {
        ListState {
            search: search.to_string(),
            filter,
            conversations: rows,
            next_cursor: None,
            clock: BusinessClock::default(),
        }
    }

    fn ids(state: &ListState) -> Vec<i64> {
        state.conversations.iter().map(|c| c.id).collect()
    }

    fn changed(conversation: Conversation) -> InboxEvent {
        InboxEvent::ConversationChanged { conversation }
    }

    #[test]
    fn a_changed_conversation_takes_its_place_in_inbox_order() {
        let mut state = list(
            "",
            ConversationFilter::All,
            vec![conversation(1, 30, "Ana"), conversation(2, 20, "Bo")],
        );
        assert_eq!(state.apply(&changed(conversation(3, 25, "Cy"))), Applied::Changed);
        assert_eq!(ids(&state), [1, 3, 2]);
        assert_eq!(state.apply(&changed(conversation(2, 40, "Bo"))), Applied::Changed);
        assert_eq!(ids(&state), [2, 1, 3]);
        assert_eq!(state.apply(&changed(conversation(2, 40, "Bo"))), Applied::Unchanged);
    }

    #[test]
    fn rows_follow_the_search_and_the_filter() {
        let mut state = list("ZO", ConversationFilter::Human, vec![]);
        let mut zoe = conversation(1, 10, "Zoe");
        assert_eq!(
            state.apply(&changed(zoe.clone())),
            Applied::Unchanged,
            "a bot conversation"
        );
        zoe.mode = ConversationMode::Human;
        state.apply(&changed(zoe.clone()));
        assert_eq!(ids(&state), [1]);
        state.apply(&changed(conversation(2, 20, "Ana")));
        assert_eq!(ids(&state), [1], "does not match the search");
        zoe.mode = ConversationMode::Bot;
        state.apply(&changed(zoe));
        assert!(state.conversations.is_empty(), "left the filter");
    }

    #[test]
    fn rows_of_pages_not_loaded_yet_stay_out() {
        let mut state = list("", ConversationFilter::All, vec![conversation(5, 50, "Ana")]);
        state.next_cursor = Some(ConversationCursor {
            last_activity_ms: at(50).timestamp_millis(),
            id: 5,
        });
        assert_eq!(state.apply(&changed(conversation(4, 10, "Old"))), Applied::Unchanged);
        state.apply(&changed(conversation(6, 60, "New")));
        assert_eq!(ids(&state), [6, 5]);
    }

    #[test]
    fn a_message_moves_its_row_up_with_preview_and_unread_count() {
        let mut state = list(
            "",
            ConversationFilter::All,
            vec![conversation(1, 30, "Ana"), conversation(2, 20, "Bo")],
        );
        let event = InboxEvent::MessageCreated {
            conversation_id: 2,
            message: inbound(9, 2, 35, "hello"),
        };
        assert_eq!(state.apply(&event), Applied::Changed);
        assert_eq!(ids(&state), [2, 1]);
        let row = &state.conversations[0];
        assert_eq!(
            (row.last_message_preview.as_deref(), row.unread_count),
            (Some("hello"), 1)
        );
        assert_eq!(
            state.replay(&event),
            Applied::Unchanged,
            "a fetch that read it counts it already"
        );
        assert_eq!(state.conversations[0].unread_count, 1);
    }

    #[test]
    fn an_older_read_of_a_conversation_keeps_the_newer_message() {
        let mut state = list("", ConversationFilter::All, vec![conversation(1, 30, "Ana")]);
        state.apply(&InboxEvent::MessageCreated {
            conversation_id: 1,
            message: inbound(9, 1, 35, "hello"),
        });
        let mut renamed = conversation(1, 30, "Ana Ruiz");
        renamed.unread_count = 1;
        state.apply(&changed(renamed));
        let row = &state.conversations[0];
        assert_eq!(row.contact.name.as_deref(), Some("Ana Ruiz"));
        assert_eq!(
            (row.last_activity_at, row.last_message_preview.as_deref()),
            (at(35), Some("hello"))
        );
    }

    #[test]
    fn show_more_appends_only_to_the_list_it_was_asked_for() {
        let cursor = ConversationCursor {
            last_activity_ms: at(50).timestamp_millis(),
            id: 5,
        };
        let mut state = list(
            "",
            ConversationFilter::All,
            vec![conversation(4, 60, "Moved"), conversation(5, 50, "Ana")],
        );
        state.next_cursor = Some(cursor);
        let page = ConversationPage {
            conversations: vec![conversation(4, 40, "Moved"), conversation(3, 30, "Bo")],
            next_cursor: None,
        };
        let other = MoreRequest {
            search: "bo".into(),
            filter: ConversationFilter::All,
            after: cursor,
        };
        state.append(&other, page.clone());
        assert_eq!(ids(&state), [4, 5]);
        let asked = MoreRequest {
            search: String::new(),
            ..other
        };
        state.append(&asked, page);
        assert_eq!((ids(&state), state.next_cursor), (vec![4, 5, 3], None));
    }
}
