use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::frame::AppFrame;
use crate::model::{AppError, RoiReport};

/// The ROI figures for the business-local days `from`..=`to` (`YYYY-MM-DD`); the same report
/// as `GET /api/analytics/roi`.
#[server(endpoint = "analytics/roi")]
pub async fn load_roi(from: String, to: String) -> Result<RoiReport, AppError> {
    crate::server::error::respond(async move {
        use crate::model::DayRange;
        use crate::server::{analytics, session};
        let state = session::app_state()?;
        let range = DayRange::parse(&from, &to).map_err(AppError::Invalid)?;
        Ok(analytics::roi_now(&state, range).await?)
    })
    .await
}

#[component]
pub fn AnalyticsPage() -> impl IntoView {
    view! {
        <Title text="Analytics · Frontdesk"/>
        <AppFrame>
            <section class="placeholder">
                <h1>"Analytics"</h1>
                <p>"What the bot earns against what it costs. This page is not built yet."</p>
            </section>
        </AppFrame>
    }
}
