//! Work that happens later, when the customer has gone quiet: the one follow-up of an
//! unfinished booking, and the holding message for a customer waiting for staff.

use chrono::Utc;

use super::flow::FlowState;
use super::jobs::ConversationJob;
use super::outbound::{self, Reply};
use super::{sentences, ProcessError};
use crate::model::{ConversationMode, Intent, Outcome};
use crate::server::db::conversations::ConversationState;
use crate::server::db::{contacts, conversations};
use crate::server::i18n::language_of;
use crate::server::state::AppState;

/// A booking left unfinished: mark it abandoned and follow up once, if WhatsApp's 24-hour
/// window is still open.
#[tracing::instrument(skip_all, fields(conversation_id = job.conversation_id))]
pub async fn follow_up_abandoned_booking(app: &AppState, job: &ConversationJob) -> Result<(), ProcessError> {
    let now = Utc::now();
    let ConversationState {
        conversation,
        flow_state,
    } = conversations::get_conversation_state(&app.db, job.conversation_id).await?;
    let mut flow = FlowState::read(&flow_state);
    let Some(pending) = flow.booking.as_mut() else {
        return Ok(());
    };
    if pending.followed_up || Some(pending.updated_at_ms) != job.updated_at_ms {
        return Ok(()); // booked, cancelled, followed up, or the customer wrote again since
    }
    pending.followed_up = true;
    let service = pending.fields.service.clone();
    conversations::set_flow_state(&app.db, conversation.id, &flow.write()).await?;
    let contact = &conversation.contact;
    contacts::set_outcome(&app.db, contact.id, Outcome::BookingAbandoned, now).await?;
    outbound::note(
        app,
        conversation.id,
        sentences::notes::BOOKING_ABANDONED,
        Intent::BookingAbandoned,
    )
    .await?;
    if conversation.mode == ConversationMode::Bot && contact.window_open(now) && contact.opted_out_at.is_none() {
        let lang = language_of(&app.settings.business, contact);
        let text = sentences::abandoned_booking_follow_up(&lang, contact.name.as_deref(), service.as_deref());
        let follow_up = Reply::unprompted(&text, Some(Intent::BookingAbandoned));
        outbound::reply(app, contact, conversation.id, follow_up).await?;
    }
    outbound::publish_conversation(app, conversation.id).await;
    Ok(())
}

/// A customer waiting for staff in human mode gets a holding message once, and the
/// conversation is flagged.
#[tracing::instrument(skip_all, fields(conversation_id = job.conversation_id))]
pub async fn hold_waiting_customer(app: &AppState, job: &ConversationJob) -> Result<(), ProcessError> {
    let conversation = conversations::get_conversation(&app.db, job.conversation_id).await?;
    let Some(message_id) = job.message_id else {
        return Ok(());
    };
    if conversation.mode != ConversationMode::Human
        || conversations::has_outbound_after(&app.db, conversation.id, message_id).await?
    {
        return Ok(());
    }
    conversations::set_needs_attention(&app.db, conversation.id, true).await?;
    let text = sentences::holding(&language_of(&app.settings.business, &conversation.contact));
    let holding = Reply::unprompted(&text, None);
    outbound::reply(app, &conversation.contact, conversation.id, holding).await?;
    outbound::publish_conversation(app, conversation.id).await;
    Ok(())
}
