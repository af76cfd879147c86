//! The inbox's server functions. Their endpoints are part of the HTTP interface (tests and
//! benchmarks call them by path): keep them stable. Who may call each is declared in
//! `model::access`.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::model::{
    AppError, ContactExport, ConversationCursor, ConversationDetail, ConversationFilter, ConversationMode,
    ErasureReport, InboxList, Message,
};

/// WhatsApp's limit for one text message.
pub const MAX_REPLY_CHARS: usize = 4096;
/// How many conversations one page of the list holds.
#[cfg(feature = "ssr")]
const PAGE_SIZE: i64 = 50;
/// How much of a chat the pane shows.
#[cfg(feature = "ssr")]
const HISTORY_LIMIT: i64 = 200;

#[cfg(feature = "ssr")]
fn business_clock(state: &crate::server::state::AppState) -> crate::model::BusinessClock {
    use chrono::Offset;
    let offset = chrono::Utc::now()
        .with_timezone(&state.settings.business.timezone)
        .offset()
        .fix();
    crate::model::BusinessClock {
        utc_offset_minutes: offset.local_minus_utc() / 60,
    }
}

/// The code of a language we have a catalog for (`es-ES` → `es`), or why not.
#[cfg(feature = "ssr")]
fn supported_language(code: &str) -> Result<String, AppError> {
    use crate::server::i18n::Lang;
    match Lang::parse(code) {
        Some(lang) => Ok(lang.code().to_string()),
        None => {
            let supported: Vec<&str> = Lang::all().iter().map(Lang::code).collect();
            Err(AppError::Invalid(format!(
                "Frontdesk has no messages in `{code}`. Choose one of: {}.",
                supported.join(", ")
            )))
        }
    }
}

/// Clears a conversation's unread count and tells every open inbox, so the badge goes
/// everywhere.
#[cfg(feature = "ssr")]
async fn mark_read(
    state: &crate::server::state::AppState,
    conversation: &mut crate::model::Conversation,
) -> Result<(), AppError> {
    if conversation.unread_count > 0 {
        crate::server::db::conversations::mark_read(&state.db, conversation.id).await?;
        conversation.unread_count = 0;
        let event = crate::model::InboxEvent::ConversationChanged {
            conversation: conversation.clone(),
        };
        state.hub.publish(event);
    }
    Ok(())
}

#[server(endpoint = "inbox/conversations", input = Json)]
pub async fn list_conversations(
    search: String,
    filter: ConversationFilter,
    after: Option<ConversationCursor>,
) -> Result<InboxList, AppError> {
    crate::server::error::respond(async move {
        use crate::server::{db::conversations, session};
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
        let state = session::app_state()?;
        let mut history = db::conversations::chat_history(&state.db, conversation_id, HISTORY_LIMIT).await?;
        mark_read(&state, &mut history.conversation).await?;
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
            languages: crate::server::i18n::choices(),
        })
    })
    .await
}

/// The open conversation's new messages are read as they arrive.
#[server(endpoint = "inbox/read")]
pub async fn mark_conversation_read(conversation_id: i64) -> Result<(), AppError> {
    crate::server::error::respond(async move {
        use crate::server::{db, session};
        let state = session::app_state()?;
        let mut conversation = db::conversations::get_conversation(&state.db, conversation_id).await?;
        mark_read(&state, &mut conversation).await
    })
    .await
}

#[server(endpoint = "inbox/mode")]
pub async fn change_mode(conversation_id: i64, mode: ConversationMode) -> Result<(), AppError> {
    crate::server::error::respond(async move {
        use crate::server::{controller, session};
        let user = session::require_user().await?;
        let state = session::app_state()?;
        controller::staff::set_mode(&state, conversation_id, mode, &user).await?;
        Ok(())
    })
    .await
}

#[server(endpoint = "inbox/reply")]
pub async fn send_reply(conversation_id: i64, text: String) -> Result<Message, AppError> {
    crate::server::error::respond(async move {
        use crate::server::{controller, session};
        let user = session::require_user().await?;
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
        controller::staff::send_reply(&state, conversation_id, &user, text)
            .await
            .map_err(staff_reply_error)
    })
    .await
}

/// Sends an approved template, with the contact's name in it, to the conversation's
/// customer: how staff reach someone whose 24-hour window is closed.
#[server(endpoint = "inbox/template")]
pub async fn send_template(conversation_id: i64, template_id: i64) -> Result<Message, AppError> {
    crate::server::error::respond(async move {
        use crate::server::{controller, session};
        let user = session::require_user().await?;
        let state = session::app_state()?;
        controller::staff::send_template(&state, conversation_id, &user, template_id)
            .await
            .map_err(staff_reply_error)
    })
    .await
}

#[cfg(feature = "ssr")]
fn staff_reply_error(error: crate::server::controller::StaffReplyError) -> AppError {
    use crate::server::controller::StaffReplyError;
    match error {
        StaffReplyError::OutsideWindow | StaffReplyError::TemplateUnusable(_) => AppError::Invalid(error.to_string()),
        StaffReplyError::Db(error) => error.into(),
    }
}

/// `language`: a language code from the detail's `languages`, or empty for "not known yet".
/// `consent`: marketing consent given (`true`) or withdrawn (`false`); left as it is when absent.
#[server(endpoint = "inbox/contact")]
pub async fn save_contact(
    contact_id: i64,
    name: String,
    notes: String,
    tags: String,
    language: String,
    consent: Option<bool>,
) -> Result<(), AppError> {
    crate::server::error::respond(async move {
        use crate::server::{controller, db, session};
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
        let language = match language.trim() {
            "" => None,
            code => Some(supported_language(code)?),
        };
        // Validate everything first, then write in one transaction: a refused edit changes nothing.
        db::contacts::get_contact(&state.db, contact_id).await?;
        let edit = controller::ContactEdit {
            name: Some(name).filter(|n| !n.is_empty()),
            notes: notes.trim().to_string(),
            language,
            tags,
            consent,
        };
        controller::staff::save_contact(&state, contact_id, edit).await?;
        Ok(())
    })
    .await
}

/// Everything stored about a contact, as one JSON document; recorded in the audit log.
#[server(endpoint = "contacts/export")]
pub async fn export_contact(contact_id: i64) -> Result<ContactExport, AppError> {
    crate::server::error::respond(async move {
        use crate::server::{db::audit::Actor, privacy, session};
        let user = session::require_user().await?;
        let state = session::app_state()?;
        Ok(privacy::export_contact(&state, contact_id, &Actor::staff(&user)).await?)
    })
    .await
}

/// Erases a contact and everything that is theirs. `confirmation`: their number (or
/// WhatsApp user id) typed back, so a slip of the mouse erases nobody.
#[server(endpoint = "contacts/erase")]
pub async fn erase_contact(contact_id: i64, confirmation: String) -> Result<ErasureReport, AppError> {
    crate::server::error::respond(async move {
        use crate::server::privacy::{self, ErasureError};
        use crate::server::{db::audit::Actor, session};
        let user = session::require_user().await?;
        let state = session::app_state()?;
        if confirmation.trim().is_empty() {
            return Err(AppError::Invalid(
                "Type the contact's number to confirm the erasure.".into(),
            ));
        }
        privacy::erase_contact(&state, contact_id, &confirmation, &Actor::staff(&user))
            .await
            .map_err(|error| match error {
                ErasureError::NotConfirmed => AppError::Invalid(error.to_string()),
                ErasureError::Db(error) => error.into(),
            })
    })
    .await
}
