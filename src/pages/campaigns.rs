use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::frame::AppFrame;

#[component]
pub fn CampaignsPage() -> impl IntoView {
    view! {
        <Title text="Campaigns · Frontdesk"/>
        <AppFrame>
            <section class="placeholder">
                <h1>"Campaigns"</h1>
                <p>
                    "Personalised broadcasts with a {customer_name} placeholder, sent safely within the daily limit. "
                    "This page is not built yet."
                </p>
            </section>
        </AppFrame>
    }
}
