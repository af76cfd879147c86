//! How server-side failures reach users: what they can act on, never internals.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;

use super::db::DbError;
use crate::model::AppError;

/// Logs an unexpected failure with its cause chain and gives the user a short message.
pub fn internal(error: &(dyn std::error::Error + 'static)) -> AppError {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    tracing::error!(error = %chain, "internal error");
    AppError::Internal
}

impl From<DbError> for AppError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::NotFound(what) => AppError::NotFound(capitalize(what)),
            DbError::Conflict(_) => AppError::Invalid("That already exists.".into()),
            DbError::MissingReference(_) => AppError::Invalid("That refers to something that no longer exists.".into()),
            other => internal(&other),
        }
    }
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The HTTP status of a refusal or failure: clients and logs can tell a refused request
/// from a server failure.
pub fn status(error: &AppError) -> StatusCode {
    match error {
        AppError::Unauthorized => StatusCode::UNAUTHORIZED,
        AppError::Forbidden | AppError::Refused(_) => StatusCode::FORBIDDEN,
        AppError::Invalid(_) => StatusCode::BAD_REQUEST,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::Internal | AppError::Transport(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A server function's refusal given before it runs, with a body its client decodes as the
/// [`AppError`].
pub fn server_fn_refusal(error: &AppError) -> Response {
    use leptos::server_fn::error::FromServerFnError;
    let mut response = Response::new(Body::from(error.ser()));
    *response.status_mut() = status(error);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// Runs a server function's work and gives a refusal its proper HTTP status (400, 401, 403,
/// 404).
pub async fn respond<T>(work: impl std::future::Future<Output = Result<T, AppError>>) -> Result<T, AppError> {
    work.await.inspect_err(|error| {
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(status(error));
        }
    })
}

/// Makes the server function being answered a 400, when its request could not be read (this
/// runs where the server-function machinery reports that, before our code is reached).
pub fn answer_bad_request() {
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::BAD_REQUEST);
    }
}
