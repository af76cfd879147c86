//! The kinds of background work the controller does, and the one place that maps a kind to
//! its handler. Jobs live in the `jobs` table, so a restart loses none of them.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{followups, inbound, outbound, ProcessError};
use crate::server::db::jobs::{self, NewJob};
use crate::server::db::{contacts, conversations};
use crate::server::state::AppState;
use crate::server::whatsapp::payload::InboundMessage;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobKind {
    /// Answer one customer message (payload: [`InboundMessage`]).
    Inbound,
    /// Follow up a booking the customer left unfinished (payload: [`ConversationJob`]).
    BookingFollowup,
    /// Tell a customer waiting for staff that someone will reply (payload: [`ConversationJob`]).
    HumanHold,
    /// Hand WhatsApp a message it asked us to send again (payload: [`ConversationJob`]).
    Deliver,
}

impl JobKind {
    const ALL: [JobKind; 4] = [
        JobKind::Inbound,
        JobKind::BookingFollowup,
        JobKind::HumanHold,
        JobKind::Deliver,
    ];

    /// The name stored in `jobs.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Inbound => "inbound",
            JobKind::BookingFollowup => "booking_followup",
            JobKind::HumanHold => "human_hold",
            JobKind::Deliver => "deliver",
        }
    }

    pub fn parse(text: &str) -> Option<JobKind> {
        JobKind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// The payload of the jobs about one conversation.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ConversationJob {
    pub conversation_id: i64,
    /// The message it is about (the one waiting for staff, or to deliver again).
    #[serde(default)]
    pub message_id: Option<i64>,
    /// The version of the pending booking it follows up.
    #[serde(default)]
    pub updated_at_ms: Option<i64>,
}

fn decode<T: DeserializeOwned>(payload: &str) -> Result<T, ProcessError> {
    serde_json::from_str(payload).map_err(|e| ProcessError::BadPayload(e.to_string()))
}

/// Runs one job from the queue.
pub async fn run_job(app: &AppState, kind: &str, payload: &str) -> Result<(), ProcessError> {
    let kind = JobKind::parse(kind).ok_or_else(|| ProcessError::BadPayload(format!("unknown job kind `{kind}`")))?;
    match kind {
        JobKind::Inbound => inbound::process_incoming_message(app, &decode(payload)?).await,
        JobKind::BookingFollowup => followups::follow_up_abandoned_booking(app, &decode(payload)?).await,
        JobKind::HumanHold => followups::hold_waiting_customer(app, &decode(payload)?).await,
        JobKind::Deliver => outbound::deliver(app, &decode(payload)?).await,
    }
}

/// Called when a job has used all its attempts: staff must look at the conversation.
pub async fn give_up(app: &AppState, kind: &str, payload: &str) {
    let conversation_id = match JobKind::parse(kind) {
        Some(JobKind::Inbound) => match decode::<InboundMessage>(payload) {
            Ok(inbound) => match contacts::find_contact_by_wa_id(&app.db, &inbound.from).await {
                Ok(Some(contact)) => conversations::get_or_create_conversation(&app.db, contact.id, Utc::now())
                    .await
                    .ok()
                    .map(|c| c.id),
                _ => None,
            },
            Err(_) => None,
        },
        Some(_) => decode::<ConversationJob>(payload).ok().map(|j| j.conversation_id),
        None => None,
    };
    if let Some(id) = conversation_id {
        if conversations::set_needs_attention(&app.db, id, true).await.is_ok() {
            outbound::publish_conversation(app, id).await;
        }
    }
}

/// Adds a job about one conversation, once per `dedupe_key`.
pub async fn schedule(
    app: &AppState,
    kind: JobKind,
    job: &ConversationJob,
    dedupe_key: String,
    run_at: DateTime<Utc>,
) -> Result<(), ProcessError> {
    let new = NewJob {
        kind: kind.as_str(),
        payload: serde_json::to_string(job).expect("job payload serialises"),
        dedupe_key: Some(dedupe_key),
        lane: None,
        run_at,
        max_attempts: 5,
    };
    jobs::enqueue(&app.db, &[new], Utc::now()).await?;
    Ok(())
}

/// The job that processes one inbound message: deduplicated by WhatsApp message id, in the
/// lane of its sender so one customer's messages are answered in order.
pub fn inbound_job(message: &InboundMessage, now: DateTime<Utc>) -> NewJob<'static> {
    NewJob {
        kind: JobKind::Inbound.as_str(),
        payload: serde_json::to_string(message).expect("inbound message serialises"),
        dedupe_key: Some(format!("wamid:{}", message.wa_message_id)),
        lane: Some(format!("contact:{}", message.from.as_str())),
        run_at: now,
        max_attempts: 8,
    }
}

#[cfg(test)]
mod tests {
    use super::JobKind;

    #[test]
    fn every_kind_reads_back_from_its_stored_name() {
        for kind in JobKind::ALL {
            assert_eq!(JobKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(JobKind::parse("campaign_send"), None);
    }
}
