use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::frame::AppFrame;

/// Any address without a page: a real 404, inside the usual frame.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found · Frontdesk"/>
        <AppFrame>
            <section class="placeholder">
                <h1>"Page not found"</h1>
                <p>"There is no page at this address."</p>
                <p><a href="/inbox">"Back to the inbox"</a></p>
            </section>
        </AppFrame>
    }
}
