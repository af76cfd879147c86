//! The back office's server functions: thin adapters over `server::backoffice`. Who may call
//! each is declared in `model::access` (reading: everyone; editing: admins).

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::model::{AppError, BackOffice, ServiceForm};

#[server(endpoint = "backoffice")]
pub async fn load_backoffice() -> Result<BackOffice, AppError> {
    crate::server::error::respond(async move {
        let state = crate::server::session::app_state()?;
        Ok(crate::server::backoffice::load(&state.db, &state.settings.business.currency).await?)
    })
    .await
}

/// Creates (`form.id` empty) or changes a service; returns its id.
#[server(endpoint = "backoffice/service/save", input = Json)]
pub async fn save_service(form: ServiceForm) -> Result<i64, AppError> {
    crate::server::error::respond(async move {
        let state = crate::server::session::app_state()?;
        Ok(crate::server::backoffice::save_service(&state.db, &state.knowledge, &form).await?)
    })
    .await
}

#[server(endpoint = "backoffice/service/delete")]
pub async fn delete_service(service_id: i64) -> Result<(), AppError> {
    crate::server::error::respond(async move {
        let state = crate::server::session::app_state()?;
        let now = chrono::Utc::now();
        Ok(crate::server::backoffice::delete_service(&state.db, &state.knowledge, service_id, now).await?)
    })
    .await
}

/// Creates (`faq_id` empty) or changes an FAQ; returns its id.
#[server(endpoint = "backoffice/faq/save", input = Json)]
pub async fn save_faq(faq_id: Option<i64>, question: String, answer: String) -> Result<i64, AppError> {
    crate::server::error::respond(async move {
        let state = crate::server::session::app_state()?;
        Ok(crate::server::backoffice::save_faq(&state.db, &state.knowledge, faq_id, &question, &answer).await?)
    })
    .await
}

#[server(endpoint = "backoffice/faq/delete")]
pub async fn delete_faq(faq_id: i64) -> Result<(), AppError> {
    crate::server::error::respond(async move {
        let state = crate::server::session::app_state()?;
        Ok(crate::server::backoffice::delete_faq(&state.db, &state.knowledge, faq_id).await?)
    })
    .await
}

/// Creates (`tag_id` empty) or renames and recolours a tag; returns its id.
#[server(endpoint = "backoffice/tag/save", input = Json)]
pub async fn save_tag(tag_id: Option<i64>, name: String, color: String) -> Result<i64, AppError> {
    crate::server::error::respond(async move {
        let state = crate::server::session::app_state()?;
        Ok(crate::server::backoffice::save_tag(&state.db, tag_id, &name, &color).await?)
    })
    .await
}

/// Moves the contacts of tag `from` to tag `into` and removes `from`.
#[server(endpoint = "backoffice/tag/merge")]
pub async fn merge_tags(from: i64, into: i64) -> Result<(), AppError> {
    crate::server::error::respond(async move {
        let state = crate::server::session::app_state()?;
        Ok(crate::server::backoffice::merge_tags(&state.db, from, into).await?)
    })
    .await
}

/// Deletes a tag and takes it off its contacts; refused while an unfinished campaign's
/// audience uses it.
#[server(endpoint = "backoffice/tag/delete")]
pub async fn delete_tag(tag_id: i64) -> Result<(), AppError> {
    crate::server::error::respond(async move {
        let state = crate::server::session::app_state()?;
        Ok(crate::server::backoffice::delete_tag(&state.db, tag_id).await?)
    })
    .await
}
