//! A customer's data on request: everything stored about one contact, exported as one JSON
//! document or erased whole. Both are recorded in the audit log, in the same transaction as
//! the read or the deletion they record.

use chrono::Utc;

use super::db::audit::{self, Actor, NewEntry};
use super::db::{privacy, DbError};
use super::state::AppState;
use crate::model::{AuditAction, AuditSubject, ContactExport, ErasureReport, InboxEvent, WaId};

/// Why a contact was not erased.
#[derive(Debug, thiserror::Error)]
pub enum ErasureError {
    #[error("The number typed is not this contact's number, so nothing was erased. Type it as shown to confirm.")]
    NotConfirmed,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Everything stored about the contact, as one document; the export is recorded.
#[tracing::instrument(skip_all, fields(contact_id = contact_id))]
pub async fn export_contact(app: &AppState, contact_id: i64, actor: &Actor) -> Result<ContactExport, DbError> {
    let actor = actor.clone();
    app.db
        .transaction(move |tx| {
            Box::pin(async move {
                let now = Utc::now();
                let data = privacy::contact_data(&mut *tx, contact_id, now).await?;
                let messages = data.conversation.as_ref().map_or(0, |c| c.messages.len());
                let entry = NewEntry {
                    actor: &actor,
                    action: AuditAction::ContactExport,
                    subject: AuditSubject::Contact,
                    subject_id: contact_id,
                    detail: format!(
                        "{messages} messages, {} appointments, {} campaign sends",
                        data.appointments.len(),
                        data.campaign_sends.len()
                    ),
                    at: now,
                };
                audit::record(&mut *tx, &entry).await?;
                Ok(data)
            })
        })
        .await
}

/// Erases the contact and everything that is theirs, once `confirmation` (the number typed
/// back by the admin) matches theirs. The check, the deletion and the audit entry are one
/// transaction: a refused or failed erasure changes nothing. Open inboxes drop the
/// conversation.
#[tracing::instrument(skip_all, fields(contact_id = contact_id))]
pub async fn erase_contact(
    app: &AppState,
    contact_id: i64,
    confirmation: &str,
    actor: &Actor,
) -> Result<ErasureReport, ErasureError> {
    let (actor, confirmation) = (actor.clone(), confirmation.to_string());
    let erased = app
        .db
        .transaction(move |tx| {
            Box::pin(async move {
                let contact = super::db::contacts::get_contact(&mut *tx, contact_id).await?;
                if !confirms(&confirmation, &contact.wa_id) {
                    return Err(ErasureError::NotConfirmed);
                }
                let erased = privacy::erase_contact(&mut *tx, contact_id).await?;
                let entry = NewEntry {
                    actor: &actor,
                    action: AuditAction::ContactErase,
                    subject: AuditSubject::Contact,
                    subject_id: contact_id,
                    detail: erased.report.summary(),
                    at: Utc::now(),
                };
                audit::record(&mut *tx, &entry).await?;
                Ok(erased)
            })
        })
        .await?;
    tracing::info!(contact_id, "contact erased");
    // Their messages and bookings are gone from the figures too.
    app.roi_cache.forget();
    if let Some(conversation_id) = erased.conversation_id {
        app.hub.publish(InboxEvent::ConversationRemoved { conversation_id });
    }
    Ok(erased.report)
}

/// Whether the typed text is the contact's number (spaces, `+` and dashes allowed), or their
/// WhatsApp user id as shown.
fn confirms(typed: &str, wa_id: &str) -> bool {
    WaId::parse(typed).is_ok_and(|typed| typed.as_str() == wa_id)
}

#[cfg(test)]
mod tests {
    use super::confirms;

    #[test]
    fn the_confirmation_is_the_number_as_people_type_it() {
        assert!(confirms("+34 600-123-456", "34600123456"));
        assert!(confirms(" 34600123456 ", "34600123456"));
        assert!(!confirms("34600123457", "34600123456"));
        assert!(!confirms("", "34600123456"));
        assert!(!confirms("yes", "34600123456"));
        assert!(confirms("US.13491208655302741918", "US.13491208655302741918"));
    }
}
