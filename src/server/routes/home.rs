//! `/`: the app starts at the inbox.

use axum::response::Redirect;
use utoipa_axum::routes;

use super::Routes;
use crate::server::session::HOME_PAGE;

pub fn router() -> Routes {
    Routes::new().route(routes!(home))
}

/// The inbox, where the app starts
#[utoipa::path(
    get,
    path = "/",
    responses((status = 303, description = "Redirect to the inbox", headers(("Location" = String))))
)]
pub async fn home() -> Redirect {
    Redirect::to(HOME_PAGE)
}
