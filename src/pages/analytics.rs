use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::frame::AppFrame;

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
