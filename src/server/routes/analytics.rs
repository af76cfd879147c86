//! `GET /api/analytics/roi` for integrators (a staff session or an API token): the same
//! report the analytics page's server function returns.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use utoipa_axum::routes;

use super::campaigns::{caller, error, ApiError};
use super::Routes;
use crate::model::access::Endpoint;
use crate::model::{DayRange, RoiReport};
use crate::server::state::AppState;

/// Outside the session gate: the handler finds its caller (session or API token) itself.
pub fn public_router() -> Routes {
    Routes::new().route(routes!(roi))
}

/// ROI figures for a range of days
///
/// Conversations, the bot's bookings and recovered bookings, the campaign funnel with its
/// holdout, costs and ROI for the business-local days `from`..=`to`, in total and day by day.
#[utoipa::path(
    get,
    path = "/api/analytics/roi",
    params(
        ("from" = String, Query, description = "First day, `YYYY-MM-DD`, in the business time zone"),
        ("to" = String, Query, description = "Last day, included; at most two years after `from`"),
    ),
    responses(
        (status = 200, description = "The figures", body = RoiReport),
        (status = 400, description = "`from` or `to` is not a date, `from` is after `to`, or the range is longer than two years", body = ApiError),
        (status = 401, description = "No session and no valid API token", body = ApiError),
        (status = 403, description = "The caller's role may not read the ROI figures", body = ApiError),
    )
)]
pub async fn roi(
    State(state): State<AppState>,
    Extension(endpoint): Extension<&'static Endpoint>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let (user, _) = match caller(&state, &headers).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    if let Err(refusal) = endpoint.admit(Some(user.role)) {
        return error(StatusCode::FORBIDDEN, refusal.to_string());
    }
    let (mut from, mut to) = (None, None);
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match name.as_ref() {
            "from" => from = Some(value.into_owned()),
            "to" => to = Some(value.into_owned()),
            _ => {}
        }
    }
    let (Some(from), Some(to)) = (from, to) else {
        return error(
            StatusCode::BAD_REQUEST,
            "Give the range as `?from=YYYY-MM-DD&to=YYYY-MM-DD`.",
        );
    };
    let range = match DayRange::parse(&from, &to) {
        Ok(range) => range,
        Err(reason) => return error(StatusCode::BAD_REQUEST, reason),
    };
    match crate::server::analytics::roi_now(&state, range).await {
        Ok(report) => Json(report).into_response(),
        Err(e) => {
            crate::server::error::internal(&e);
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side. Please try again.",
            )
        }
    }
}
