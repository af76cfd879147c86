//! The HTML shell, the router and the page list.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::pages::analytics::AnalyticsPage;
use crate::pages::campaigns::CampaignsPage;
use crate::pages::inbox::InboxPage;
use crate::pages::knowledge::KnowledgePage;
use crate::pages::login::LoginPage;
use crate::pages::not_found::NotFound;
use crate::pages::simulator::SimulatorPage;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                // Inline, so the browser never asks the server for /favicon.ico.
                <link rel="icon" href=FAVICON/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// A white "F" on the accent colour (style/main.css), as an SVG data URL.
const FAVICON: &str = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E\
%3Crect width='32' height='32' rx='7' fill='%230f766e'/%3E%3Cpath d='M11 8h11v4h-7v3h6v4h-6v7h-4z' fill='white'/%3E%3C/svg%3E";

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser: the marker tells tests (and curious people) that the
    // page is interactive now.
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Stylesheet id="leptos" href="/pkg/frontdesk.css"/>
        <Title text="Frontdesk"/>
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/login") view=LoginPage/>
                <Route path=path!("/inbox") view=InboxPage/>
                <Route path=path!("/campaigns") view=CampaignsPage/>
                <Route path=path!("/analytics") view=AnalyticsPage/>
                <Route path=path!("/knowledge") view=KnowledgePage/>
                <Route path=path!("/simulator") view=SimulatorPage/>
            </Routes>
        </Router>
    }
}
