//! The campaign page's server functions. They call the same code as
//! `POST /api/campaigns/broadcast`; their endpoints are part of the HTTP interface. Who may
//! call each is declared in `model::access`.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::model::{
    ApiToken, AppError, CampaignAction, CampaignDetail, CampaignDraft, CampaignPlan, CampaignsOverview, ComposerOptions,
};

/// How many recipients the campaign page lists at once (the CSV export has them all).
#[cfg(feature = "ssr")]
const RECIPIENTS_SHOWN: i64 = 500;

#[cfg(feature = "ssr")]
impl From<crate::server::campaigns::CampaignError> for AppError {
    fn from(error: crate::server::campaigns::CampaignError) -> AppError {
        use crate::server::campaigns::CampaignError;
        match error {
            CampaignError::Invalid(message) => AppError::Invalid(message),
            CampaignError::Conflict(message) => AppError::Conflict(message),
            CampaignError::Db(error) => error.into(),
        }
    }
}

#[server(endpoint = "campaigns/overview")]
pub async fn load_campaigns_overview() -> Result<CampaignsOverview, AppError> {
    crate::server::error::respond(async move {
        use crate::server::{campaigns, db, session};
        let state = session::app_state()?;
        Ok(CampaignsOverview {
            campaigns: db::campaigns::list_campaigns(&state.db, 100).await?,
            counter: campaigns::daily_counter(&state).await?,
        })
    })
    .await
}

#[server(endpoint = "campaigns/options")]
pub async fn load_composer_options() -> Result<ComposerOptions, AppError> {
    crate::server::error::respond(async move {
        use crate::server::{db, session};
        let state = session::app_state()?;
        let knowledge = state.knowledge.get(&state.db).await?;
        Ok(ComposerOptions {
            tags: db::tags::list_tags(&state.db)
                .await?
                .into_iter()
                .map(|t| t.name)
                .collect(),
            services: knowledge
                .services
                .iter()
                .filter(|s| s.active)
                .map(|s| (s.id, s.name.clone()))
                .collect(),
            templates: db::templates::list_templates(&state.db).await?,
            launch_key: crate::server::auth::new_session_token(),
        })
    })
    .await
}

/// What launching the draft would do: the live count, the plan and the first messages.
/// The page's schedule box: a business-local "YYYY-MM-DDTHH:MM" (empty: now) into the draft.
#[cfg(feature = "ssr")]
fn with_schedule(
    state: &crate::server::state::AppState,
    mut draft: CampaignDraft,
    schedule_local: &str,
) -> Result<CampaignDraft, AppError> {
    use chrono::TimeZone;
    let schedule_local = schedule_local.trim();
    if schedule_local.is_empty() {
        return Ok(draft);
    }
    let invalid = || AppError::Invalid("Choose the start as a date and time, e.g. 2026-12-01 10:00.".into());
    let local = chrono::NaiveDateTime::parse_from_str(schedule_local, "%Y-%m-%dT%H:%M").map_err(|_| invalid())?;
    let at = state
        .settings
        .business
        .timezone
        .from_local_datetime(&local)
        .earliest()
        .ok_or_else(invalid)?;
    draft.schedule_at = Some(at.with_timezone(&chrono::Utc));
    Ok(draft)
}

/// `schedule_local`: when to start, business-local "YYYY-MM-DDTHH:MM", or empty for now.
#[server(endpoint = "campaigns/plan", input = Json)]
pub async fn plan_campaign(draft: CampaignDraft, schedule_local: String) -> Result<CampaignPlan, AppError> {
    crate::server::error::respond(async move {
        use crate::server::{campaigns, session};
        let state = session::app_state()?;
        let draft = with_schedule(&state, draft, &schedule_local)?;
        Ok(campaigns::preview(&state, &draft).await?)
    })
    .await
}

/// Launches the draft; `key` is the composer's own idempotency key, so a double click or a
/// retried request launches once.
#[server(endpoint = "campaigns/launch", input = Json)]
pub async fn launch_campaign(draft: CampaignDraft, schedule_local: String, key: String) -> Result<i64, AppError> {
    crate::server::error::respond(async move {
        use crate::server::{campaigns, session};
        let user = session::require_user().await?;
        let state = session::app_state()?;
        let draft = with_schedule(&state, draft, &schedule_local)?;
        let key = format!("page:{}:{}", user.id, key.trim());
        let actor = crate::server::db::audit::Actor::staff(&user);
        Ok(campaigns::launch(&state, &draft, &actor, Some(&key)).await?.campaign_id)
    })
    .await
}

/// `status`: a recipient status to show only those, or empty for all.
#[server(endpoint = "campaigns/detail")]
pub async fn load_campaign_detail(campaign_id: i64, status: String) -> Result<CampaignDetail, AppError> {
    crate::server::error::respond(async move {
        use crate::server::{db, session};
        let user = session::require_user().await?;
        let state = session::app_state()?;
        let status = match status.trim() {
            "" => None,
            other => Some(
                crate::model::RecipientStatus::parse(other)
                    .ok_or_else(|| AppError::Invalid(format!("`{other}` is not a recipient status.")))?,
            ),
        };
        Ok(CampaignDetail {
            summary: db::campaigns::campaign_summary(&state.db, campaign_id).await?,
            recipients: db::campaigns::recipients(&state.db, campaign_id, status, RECIPIENTS_SHOWN).await?,
            can_act: crate::model::access::may::<CampaignAct>(user.role),
        })
    })
    .await
}

#[server(endpoint = "campaigns/act")]
pub async fn campaign_act(campaign_id: i64, action: CampaignAction) -> Result<(), AppError> {
    crate::server::error::respond(async move {
        use crate::server::{campaigns, session};
        let user = session::require_user().await?;
        let state = session::app_state()?;
        Ok(campaigns::act(&state, campaign_id, action, &user.email).await?)
    })
    .await
}

#[server(endpoint = "campaigns/tokens")]
pub async fn api_tokens() -> Result<Vec<ApiToken>, AppError> {
    crate::server::error::respond(async move {
        let state = crate::server::session::app_state()?;
        Ok(crate::server::db::tokens::list_tokens(&state.db).await?)
    })
    .await
}

/// Creates a token for integrators and returns it: the only time it is shown.
#[server(endpoint = "campaigns/tokens/create")]
pub async fn create_api_token(name: String) -> Result<String, AppError> {
    crate::server::error::respond(async move {
        use crate::server::auth::{new_session_token, token_hash};
        let user = crate::server::session::require_user().await?;
        let state = crate::server::session::app_state()?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 60 {
            return Err(AppError::Invalid(
                "Name the token (1–60 characters), e.g. the system that uses it.".into(),
            ));
        }
        let token = format!("fd_{}", new_session_token());
        crate::server::db::tokens::create_token(&state.db, name, &token_hash(&token), user.id, chrono::Utc::now())
            .await?;
        tracing::info!(by = user.id, "API token created");
        Ok(token)
    })
    .await
}

#[server(endpoint = "campaigns/tokens/revoke")]
pub async fn revoke_api_token(token_id: i64) -> Result<(), AppError> {
    crate::server::error::respond(async move {
        let user = crate::server::session::require_user().await?;
        let state = crate::server::session::app_state()?;
        crate::server::db::tokens::revoke_token(&state.db, token_id, chrono::Utc::now()).await?;
        tracing::info!(by = user.id, token_id, "API token revoked");
        Ok(())
    })
    .await
}
