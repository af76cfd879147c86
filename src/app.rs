//! The HTML shell, the router and the page list.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{lazy_route, path, Lazy, LazyRoute};

use crate::pages::analytics::AnalyticsPage;
use crate::pages::appointments::AppointmentsPage;
use crate::pages::audit::AuditLogPage;
use crate::pages::backoffice::BackOfficePage;
use crate::pages::campaigns::{CampaignPage, CampaignsPage};
use crate::pages::inbox::InboxPage;
use crate::pages::knowledge::KnowledgePage;
use crate::pages::login::LoginPage;
use crate::pages::not_found::NotFound;
use crate::pages::simulator::SimulatorPage;
use crate::pages::team::TeamPage;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::headers::allow_page_scripts();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                // Inline, so the browser never asks the server for /favicon.ico (or any icon).
                <link rel="icon" href=favicon_data_url()/>
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

/// The icon, a white "F" on the accent colour (style/main.css), as a data URL. The same
/// picture is served as /favicon.svg for anything that wants it as a file.
fn favicon_data_url() -> String {
    let svg = include_str!("../public/favicon.svg").trim();
    let mut url = String::from("data:image/svg+xml,");
    for byte in svg.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/:=,()".contains(&byte) {
            url.push(char::from(byte));
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    url
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
                <Route path=path!("/login") view={Lazy::<LoginRoute>::new()}/>
                <Route path=path!("/inbox") view={Lazy::<InboxRoute>::new()}/>
                <Route path=path!("/campaigns") view={Lazy::<CampaignsRoute>::new()}/>
                <Route path=path!("/campaigns/:id") view={Lazy::<CampaignRoute>::new()}/>
                <Route path=path!("/appointments") view={Lazy::<AppointmentsRoute>::new()}/>
                <Route path=path!("/analytics") view={Lazy::<AnalyticsRoute>::new()}/>
                <Route path=path!("/knowledge") view={Lazy::<KnowledgeRoute>::new()}/>
                <Route path=path!("/backoffice") view={Lazy::<BackOfficeRoute>::new()}/>
                <Route path=path!("/simulator") view={Lazy::<SimulatorRoute>::new()}/>
                <Route path=path!("/audit") view={Lazy::<AuditLogRoute>::new()}/>
                <Route path=path!("/team") view={Lazy::<TeamRoute>::new()}/>
            </Routes>
        </Router>
    }
}

// Every page is a lazily loaded part of the browser bundle: the build splits the wasm at these
// routes (`cargo leptos … --split`), and the browser fetches a page's code the first time it
// shows that page. The first download then holds only the shell, the router and what the pages
// share. Each route needs a type of its own, so they are written out one by one.

struct LoginRoute;

#[lazy_route]
impl LazyRoute for LoginRoute {
    fn data() -> Self {
        Self
    }
    fn view(_route: Self) -> AnyView {
        view! { <LoginPage/> }.into_any()
    }
}

struct InboxRoute;

#[lazy_route]
impl LazyRoute for InboxRoute {
    fn data() -> Self {
        Self
    }
    fn view(_route: Self) -> AnyView {
        view! { <InboxPage/> }.into_any()
    }
}

struct CampaignsRoute;

#[lazy_route]
impl LazyRoute for CampaignsRoute {
    fn data() -> Self {
        Self
    }
    fn view(_route: Self) -> AnyView {
        view! { <CampaignsPage/> }.into_any()
    }
}

struct CampaignRoute;

#[lazy_route]
impl LazyRoute for CampaignRoute {
    fn data() -> Self {
        Self
    }
    fn view(_route: Self) -> AnyView {
        view! { <CampaignPage/> }.into_any()
    }
}

struct AppointmentsRoute;

#[lazy_route]
impl LazyRoute for AppointmentsRoute {
    fn data() -> Self {
        Self
    }
    fn view(_route: Self) -> AnyView {
        view! { <AppointmentsPage/> }.into_any()
    }
}

struct AnalyticsRoute;

#[lazy_route]
impl LazyRoute for AnalyticsRoute {
    fn data() -> Self {
        Self
    }
    fn view(_route: Self) -> AnyView {
        view! { <AnalyticsPage/> }.into_any()
    }
}

struct KnowledgeRoute;

#[lazy_route]
impl LazyRoute for KnowledgeRoute {
    fn data() -> Self {
        Self
    }
    fn view(_route: Self) -> AnyView {
        view! { <KnowledgePage/> }.into_any()
    }
}

struct BackOfficeRoute;

#[lazy_route]
impl LazyRoute for BackOfficeRoute {
    fn data() -> Self {
        Self
    }
    fn view(_route: Self) -> AnyView {
        view! { <BackOfficePage/> }.into_any()
    }
}

struct SimulatorRoute;

#[lazy_route]
impl LazyRoute for SimulatorRoute {
    fn data() -> Self {
        Self
    }
    fn view(_route: Self) -> AnyView {
        view! { <SimulatorPage/> }.into_any()
    }
}

struct AuditLogRoute;

#[lazy_route]
impl LazyRoute for AuditLogRoute {
    fn data() -> Self {
        Self
    }
    fn view(_route: Self) -> AnyView {
        view! { <AuditLogPage/> }.into_any()
    }
}

struct TeamRoute;

#[lazy_route]
impl LazyRoute for TeamRoute {
    fn data() -> Self {
        Self
    }
    fn view(_route: Self) -> AnyView {
        view! { <TeamPage/> }.into_any()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_icon_is_a_well_formed_data_url() {
        let url = super::favicon_data_url();
        assert!(url.starts_with("data:image/svg+xml,%3Csvg%20xmlns=%22http://www.w3.org/2000/svg%22"));
        assert!(url.contains("fill=%22%230f766e%22"), "{url}");
        assert!(!url.contains(['<', '>', '"', '#', ' ', '\n']));
    }
}
