//! The back office: an admin's edits of services, FAQs and tags. Each edit is checked whole
//! before anything is written, written in one transaction, and the receptionist's knowledge
//! is reloaded after it, so the next customer message already uses it.

use chrono::{DateTime, Utc};

use super::booking::KnowledgeCache;
use super::db::{backoffice, knowledge, Db, DbError};
use crate::model::{required_name, valid_color, Audience, BackOffice, ServiceEntry, ServiceForm};

/// Longest FAQ question and answer.
const QUESTION_MAX_CHARS: usize = 300;
const ANSWER_MAX_CHARS: usize = 2000;

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// The form's input is wrong; the message says how.
    #[error("{0}")]
    Invalid(String),
    /// The edit would break something that exists (future bookings); the message says what
    /// to do instead.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<EditError> for crate::model::AppError {
    fn from(error: EditError) -> Self {
        match error {
            EditError::Invalid(message) => crate::model::AppError::Invalid(message),
            EditError::Conflict(message) => crate::model::AppError::Conflict(message),
            EditError::Db(error) => error.into(),
        }
    }
}

/// Everything the back office page shows.
pub async fn load(db: &Db, currency: &str) -> Result<BackOffice, EditError> {
    let staff_services = knowledge::list_staff_services(db).await?;
    let services = knowledge::list_services(db)
        .await?
        .into_iter()
        .map(|service| ServiceEntry {
            staff_ids: staff_services
                .iter()
                .filter(|(_, s)| *s == service.id)
                .map(|(staff, _)| *staff)
                .collect(),
            service,
        })
        .collect();
    Ok(BackOffice {
        currency: currency.to_string(),
        services,
        staff: knowledge::list_staff(db).await?,
        faqs: knowledge::list_faqs(db).await?,
        tags: backoffice::list_tag_entries(db).await?,
    })
}

/// Creates or changes a service with who performs it; returns its id.
pub async fn save_service(db: &Db, cache: &KnowledgeCache, form: &ServiceForm) -> Result<i64, EditError> {
    let service = form.validate().map_err(EditError::Invalid)?;
    let name = service.name.clone();
    let id = db
        .transaction(move |tx| {
            Box::pin(async move {
                let id = match service.id {
                    Some(id) => {
                        backoffice::update_service(&mut *tx, id, &service).await?;
                        id
                    }
                    None => backoffice::insert_service(&mut *tx, &service).await?,
                };
                backoffice::set_service_staff(&mut *tx, id, &service.staff_ids).await?;
                Ok::<_, DbError>(id)
            })
        })
        .await
        .map_err(|error| match error {
            DbError::Conflict(_) => EditError::Invalid(format!(
                "There is already a service called “{name}”. Choose another name, or edit that one."
            )),
            DbError::MissingReference(_) => {
                EditError::Invalid("One of the chosen staff no longer exists. Reload the page and try again.".into())
            }
            other => other.into(),
        })?;
    cache.invalidate().await;
    Ok(id)
}

/// Deletes a service that was never booked. One with future bookings is refused, saying how
/// many; one with only past appointments too (they keep it for the history): making it
/// inactive is the way to stop offering either.
pub async fn delete_service(db: &Db, cache: &KnowledgeCache, id: i64, now: DateTime<Utc>) -> Result<(), EditError> {
    db.transaction(move |tx| {
        Box::pin(async move {
            let (future, all) =
                backoffice::appointment_counts(&mut *tx, backoffice::AppointmentsOf::Service(id), now).await?;
            if future > 0 {
                let appointments = if future == 1 {
                    "1 future appointment is".to_string()
                } else {
                    format!("{future} future appointments are")
                };
                return Err(EditError::Conflict(format!(
                    "This service cannot be deleted: {appointments} booked for it. \
                     Make it inactive instead: customers can no longer book it, and those appointments stay."
                )));
            }
            if all > 0 {
                return Err(EditError::Conflict(
                    "This service cannot be deleted: past appointments refer to it. \
                     Make it inactive instead, so customers can no longer book it."
                        .into(),
                ));
            }
            backoffice::delete_service(&mut *tx, id).await?;
            Ok(())
        })
    })
    .await?;
    cache.invalidate().await;
    Ok(())
}

/// Creates or changes an FAQ; returns its id.
pub async fn save_faq(
    db: &Db,
    cache: &KnowledgeCache,
    id: Option<i64>,
    question: &str,
    answer: &str,
) -> Result<i64, EditError> {
    let question = question.trim();
    let answer = answer.trim();
    if question.is_empty() || answer.is_empty() {
        return Err(EditError::Invalid("Write both the question and its answer.".into()));
    }
    if question.chars().count() > QUESTION_MAX_CHARS || answer.chars().count() > ANSWER_MAX_CHARS {
        return Err(EditError::Invalid(format!(
            "Keep the question under {QUESTION_MAX_CHARS} characters and the answer under {ANSWER_MAX_CHARS}."
        )));
    }
    let id = match id {
        Some(id) => {
            backoffice::update_faq(db, id, question, answer).await?;
            id
        }
        None => knowledge::insert_faq(db, question, answer).await?,
    };
    cache.invalidate().await;
    Ok(id)
}

pub async fn delete_faq(db: &Db, cache: &KnowledgeCache, id: i64) -> Result<(), EditError> {
    backoffice::delete_faq(db, id).await?;
    cache.invalidate().await;
    Ok(())
}

/// Creates a tag or renames and recolours one; returns its id.
pub async fn save_tag(db: &Db, id: Option<i64>, name: &str, color: &str) -> Result<i64, EditError> {
    let name = required_name(name, "tag").map_err(EditError::Invalid)?;
    let color =
        valid_color(color).ok_or_else(|| EditError::Invalid("Choose the colour as #rrggbb, like #2563eb.".into()))?;
    let saved = match id {
        Some(id) => backoffice::update_tag(db, id, &name, &color).await.map(|()| id),
        None => super::db::tags::create_tag(db, &name, &color).await.map(|tag| tag.id),
    };
    saved.map_err(|error| match error {
        DbError::Conflict(_) => EditError::Invalid(format!(
            "There is already a tag called “{name}”. To join the two, merge this one into it."
        )),
        other => other.into(),
    })
}

/// Moves every contact of tag `from` to tag `into` and removes `from`, in one transaction.
pub async fn merge_tags(db: &Db, from: i64, into: i64) -> Result<(), EditError> {
    if from == into {
        return Err(EditError::Invalid("Choose another tag to merge into.".into()));
    }
    db.transaction(move |tx| Box::pin(async move { backoffice::merge_tags(&mut *tx, from, into).await }))
        .await?;
    Ok(())
}

/// Deletes a tag and takes it off its contacts, in one transaction. A tag in the audience of
/// a campaign that has not completed or been cancelled stays: the message names those
/// campaigns.
pub async fn delete_tag(db: &Db, id: i64) -> Result<(), EditError> {
    db.transaction(move |tx| {
        Box::pin(async move {
            let name = backoffice::tag_name(&mut *tx, id).await?;
            let users: Vec<String> = backoffice::unfinished_campaign_audiences(&mut *tx)
                .await?
                .into_iter()
                .filter(|(_, audience)| audience_names_tag(audience, &name))
                .map(|(campaign, _)| format!("“{campaign}”"))
                .collect();
            if !users.is_empty() {
                let (noun, verb) = if users.len() == 1 {
                    ("campaign", "has")
                } else {
                    ("campaigns", "have")
                };
                return Err(EditError::Conflict(format!(
                    "“{name}” chooses the audience of the {noun} {}, which {verb} not finished. \
                     Delete the tag once they complete, or after cancelling them.",
                    users.join(", ")
                )));
            }
            backoffice::delete_tag(&mut *tx, id).await?;
            Ok(())
        })
    })
    .await
}

/// Whether a stored audience selects by `tag`, matched as audiences match tags (trimmed, in
/// any case). An audience that cannot be read is taken to name it: better to refuse a delete
/// than to break a campaign.
fn audience_names_tag(audience: &str, tag: &str) -> bool {
    let tag = tag.trim().to_lowercase();
    serde_json::from_str::<Audience>(audience).map_or(true, |audience| {
        audience.tags.iter().any(|t| t.trim().to_lowercase() == tag)
    })
}
