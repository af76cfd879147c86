//! A customer's data as a file: `GET /api/contacts/{id}/export.json`, for admins, the same
//! document the `contacts/export` server function answers (and recorded the same way).

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use utoipa_axum::routes;

use super::campaigns::error;
use super::Routes;
use crate::model::StaffUser;
use crate::server::db::audit::Actor;
use crate::server::db::DbError;
use crate::server::privacy;
use crate::server::state::AppState;

/// Behind the staff session gate.
pub fn staff_router() -> Routes {
    Routes::new().route(routes!(export_json))
}

/// One contact's data, as a download
///
/// The contact, their tags, conversation with every message, appointments and campaign
/// sends, as JSON. Admins only; each export is recorded in the audit log.
#[utoipa::path(
    get,
    path = "/api/contacts/{id}/export.json",
    params(("id" = i64, Path, description = "The contact")),
    responses(
        (status = 200, description = "The contact's data (an attachment)", content_type = "application/json"),
        (status = 403, description = "Only admins export a customer's data", body = super::campaigns::ApiError),
        (status = 404, description = "No such contact", body = super::campaigns::ApiError),
    )
)]
pub async fn export_json(
    State(state): State<AppState>,
    Extension(user): Extension<StaffUser>,
    Path(id): Path<i64>,
) -> Response {
    match privacy::export_contact(&state, id, &Actor::staff(&user)).await {
        Ok(data) => (
            [(
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"contact-{id}.json\""),
            )],
            Json(data),
        )
            .into_response(),
        Err(DbError::NotFound(_)) => error(StatusCode::NOT_FOUND, "No such contact."),
        Err(e) => {
            crate::server::error::internal(&e);
            error(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side.")
        }
    }
}
