//! Campaigns over plain HTTP: `POST /api/campaigns/broadcast` for integrators (a staff session
//! or an API token), and a campaign's recipients as CSV. The page calls the same code through
//! server functions.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::routes;

use super::Routes;
use crate::model::access::Endpoint;
use crate::model::{CampaignDraft, CampaignPlan, StaffUser};
use crate::server::auth::token_hash;
use crate::server::campaigns::{self, CampaignError};
use crate::server::db::audit::Actor;
use crate::server::db::{campaigns as store, tokens, users};
use crate::server::session::session_token;
use crate::server::state::AppState;

/// Outside the session gate: the handler finds its caller (session or API token) itself and
/// asks the route's declaration whether their role may launch.
pub fn public_router() -> Routes {
    Routes::new().route(routes!(broadcast))
}

/// Behind the staff session gate.
pub fn staff_router() -> Routes {
    Routes::new().route(routes!(recipients_csv))
}

#[derive(Serialize, ToSchema)]
pub struct BroadcastAccepted {
    campaign_id: i64,
    /// False when this repeated an earlier launch with the same `Idempotency-Key` and body.
    created: bool,
    plan: CampaignPlan,
}

#[derive(Serialize, ToSchema)]
pub struct ApiError {
    error: String,
}

pub(super) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(ApiError { error: message.into() })).into_response()
}

/// Who is calling: an API token (`Authorization: Bearer …`) or a staff session cookie; the
/// account, and the actor the audit log records.
pub(super) async fn caller(state: &AppState, headers: &HeaderMap) -> Result<(StaffUser, Actor), Response> {
    let now = chrono::Utc::now();
    let unavailable = |e: crate::server::db::DbError| {
        crate::server::error::internal(&e);
        error(StatusCode::SERVICE_UNAVAILABLE, "Frontdesk cannot reach its database.")
    };
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let caller = match (bearer, session_token(headers)) {
        (Some(token), _) => tokens::token_user(&state.db, &token_hash(token.trim()), now)
            .await
            .map_err(unavailable)?
            .map(|caller| {
                let actor = Actor {
                    api_token: Some((caller.token_id, caller.token_name)),
                    ..Actor::staff(&caller.user)
                };
                (caller.user, actor)
            }),
        (None, Some(token)) => users::find_session_user(&state.db, &token_hash(token), now)
            .await
            .map_err(unavailable)?
            .map(|user| (user.clone(), Actor::staff(&user))),
        (None, None) => None,
    };
    caller.ok_or_else(|| {
        error(
            StatusCode::UNAUTHORIZED,
            "Sign in, or send an API token as `Authorization: Bearer …`.",
        )
    })
}

/// Launch a campaign
///
/// Plans the campaign with every safety check and starts sending it, spaced and within the
/// daily limit. Requires `acknowledge_disclaimer: true`. The same `Idempotency-Key` with the
/// same body answers the first launch again; with another body it is refused (409).
#[utoipa::path(
    post,
    path = "/api/campaigns/broadcast",
    request_body = CampaignDraft,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries of one launch launch once")),
    responses(
        (status = 202, description = "Launched (or launched before with this key): the campaign and its plan", body = BroadcastAccepted),
        (status = 400, description = "The body is not a campaign in JSON", body = ApiError),
        (status = 401, description = "No session and no valid API token", body = ApiError),
        (status = 403, description = "The caller's role may not launch campaigns", body = ApiError),
        (status = 409, description = "The Idempotency-Key was used for a different campaign", body = ApiError),
        (status = 422, description = "The campaign cannot be launched as it is (the error says why)", body = ApiError),
    )
)]
pub async fn broadcast(
    State(state): State<AppState>,
    Extension(endpoint): Extension<&'static Endpoint>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (user, actor) = match caller(&state, &headers).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    if let Err(refusal) = endpoint.admit(Some(user.role)) {
        return error(StatusCode::FORBIDDEN, refusal.to_string());
    }
    let draft: CampaignDraft = match serde_json::from_slice(&body) {
        Ok(draft) => draft,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("The body is not a campaign: {e}.")),
    };
    let key = match headers.get("idempotency-key").map(|v| v.to_str()) {
        None => None,
        Some(Ok(key)) => Some(key.trim()),
        Some(Err(_)) => return error(StatusCode::BAD_REQUEST, "The Idempotency-Key must be plain text."),
    };
    match campaigns::launch(&state, &draft, &actor, key).await {
        Ok(launched) => (
            StatusCode::ACCEPTED,
            Json(BroadcastAccepted {
                campaign_id: launched.campaign_id,
                created: launched.created,
                plan: launched.plan,
            }),
        )
            .into_response(),
        Err(CampaignError::Invalid(message)) => error(StatusCode::UNPROCESSABLE_ENTITY, message),
        Err(CampaignError::Conflict(message)) => error(StatusCode::CONFLICT, message),
        Err(CampaignError::Db(e)) => {
            crate::server::error::internal(&e);
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side. Please try again.",
            )
        }
    }
}

/// A campaign's recipients as CSV
///
/// Every recipient with status, reason and the message they get, for a spreadsheet.
#[utoipa::path(
    get,
    path = "/api/campaigns/{id}/recipients.csv",
    params(("id" = i64, Path, description = "The campaign")),
    responses(
        (status = 200, description = "CSV: name, phone, status, reason, sent_at, message", content_type = "text/csv"),
        (status = 404, description = "No such campaign", body = ApiError),
    )
)]
pub async fn recipients_csv(
    State(state): State<AppState>,
    Extension(_user): Extension<StaffUser>,
    Path(id): Path<i64>,
) -> Response {
    let rows = match store::recipients(&state.db, id, None, i64::MAX).await {
        Ok(rows) if rows.is_empty() => return error(StatusCode::NOT_FOUND, "No such campaign."),
        Ok(rows) => rows,
        Err(e) => {
            crate::server::error::internal(&e);
            return error(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side.");
        }
    };
    let mut csv = String::from("name,phone,status,reason,sent_at,message\n");
    for row in rows {
        let fields = [
            row.contact_name.unwrap_or_default(),
            format!("+{}", row.wa_id),
            row.status.to_string(),
            row.reason.unwrap_or_default(),
            row.sent_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            row.text,
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        csv.push_str(&line.join(","));
        csv.push('\n');
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"campaign-{id}-recipients.csv\""),
            ),
        ],
        csv,
    )
        .into_response()
}

/// A CSV field, quoted when needed. A field a spreadsheet would run as a formula (`=`, `-`,
/// `@`, or `+` not followed by a phone number) is prefixed with `'` so it shows as text.
fn csv_field(value: &str) -> String {
    let phone = value
        .strip_prefix('+')
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
    let value = if value.starts_with(['=', '-', '@', '+']) && !phone {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}
