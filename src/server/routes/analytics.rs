//! `GET /api/analytics/roi` for integrators (a staff session or an API token): the same
//! report the analytics page's server function returns; and its daily series as CSV, which
//! the page links to.

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use utoipa_axum::routes;

use super::campaigns::{caller, error, ApiError};
use super::Routes;
use crate::model::access::Endpoint;
use crate::model::{DayRange, RoiReport};
use crate::server::state::AppState;

/// Outside the session gate: the handlers find their caller (session or API token) themselves.
pub fn public_router() -> Routes {
    Routes::new().route(routes!(roi)).route(routes!(roi_csv))
}

/// ROI figures for a range of days
///
/// Conversations, the bot's bookings and recovered bookings, the campaign funnel with its
/// holdout, costs and ROI for the business-local days `from`..=`to`, in total and day by day.
/// Admins (and API tokens, which act as one) get every figure; other roles get their part
/// (`parts` says which; the rest are zero).
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
    )
)]
pub async fn roi(
    State(state): State<AppState>,
    Extension(endpoint): Extension<&'static Endpoint>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    match report(&state, endpoint, &headers, query).await {
        Ok(report) => Json(report).into_response(),
        Err(response) => response,
    }
}

/// ROI figures day by day, as CSV
///
/// The daily series of `GET /api/analytics/roi` for a spreadsheet: one row per day, the
/// columns of the parts the caller's role may see, amounts in the business currency.
#[utoipa::path(
    get,
    path = "/api/analytics/roi.csv",
    params(
        ("from" = String, Query, description = "First day, `YYYY-MM-DD`, in the business time zone"),
        ("to" = String, Query, description = "Last day, included; at most two years after `from`"),
    ),
    responses(
        (status = 200, description = "CSV, a header row then one row per day", content_type = "text/csv"),
        (status = 400, description = "`from` or `to` is not a date, `from` is after `to`, or the range is longer than two years", body = ApiError),
        (status = 401, description = "No session and no valid API token", body = ApiError),
    )
)]
pub async fn roi_csv(
    State(state): State<AppState>,
    Extension(endpoint): Extension<&'static Endpoint>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    match report(&state, endpoint, &headers, query).await {
        Ok(report) => {
            let file = format!("attachment; filename=\"roi-{}-{}.csv\"", report.from, report.to);
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (header::CONTENT_DISPOSITION, file),
                ],
                report.csv(),
            )
                .into_response()
        }
        Err(response) => response,
    }
}

/// The report for `?from=&to=`, as the caller's role may see it; else the answer to give.
async fn report(
    state: &AppState,
    endpoint: &Endpoint,
    headers: &HeaderMap,
    query: Option<String>,
) -> Result<RoiReport, Response> {
    let (user, _) = caller(state, headers).await?;
    endpoint
        .admit(Some(user.role))
        .map_err(|refusal| error(StatusCode::FORBIDDEN, refusal.to_string()))?;
    let (mut from, mut to) = (None, None);
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match name.as_ref() {
            "from" => from = Some(value.into_owned()),
            "to" => to = Some(value.into_owned()),
            _ => {}
        }
    }
    let (Some(from), Some(to)) = (from, to) else {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "Give the range as `?from=YYYY-MM-DD&to=YYYY-MM-DD`.",
        ));
    };
    let range = DayRange::parse(&from, &to).map_err(|reason| error(StatusCode::BAD_REQUEST, reason))?;
    match crate::server::analytics::roi_now(state, range).await {
        Ok(report) => Ok(report.seen_by(user.role)),
        Err(e) => {
            crate::server::error::internal(&e);
            Err(error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side. Please try again.",
            ))
        }
    }
}
