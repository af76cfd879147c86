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
