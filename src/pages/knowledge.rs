//! What the receptionist knows: services, staff, opening hours and FAQs.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::error::ErrorMessage;
use crate::components::frame::AppFrame;
use crate::model::{format_money, opening_hours_on, AppError, Knowledge, WEEKDAYS};

#[server(endpoint = "knowledge")]
pub async fn load_knowledge() -> Result<Knowledge, AppError> {
    crate::server::error::respond(async move {
        use crate::server::{db::knowledge, session};
        let state = session::app_state()?;
        let db = &state.db;
        let business = &state.settings.business;
        Ok(Knowledge {
            business_name: business.name.clone(),
            timezone: business.timezone.name().to_string(),
            currency: business.currency.clone(),
            services: knowledge::list_services(db).await?,
            staff: knowledge::list_staff(db).await?,
            hours: knowledge::list_business_hours(db).await?,
            faqs: knowledge::list_faqs(db).await?,
        })
    })
    .await
}

#[component]
pub fn KnowledgePage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_knowledge());
    view! {
        <Title text="Knowledge · Frontdesk"/>
        <AppFrame>
            <section class="page">
                <h1>"Knowledge"</h1>
                <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match data.await {
                            Ok(k) => view! { <KnowledgeView k/> }.into_any(),
                            Err(e) => view! { <ErrorMessage message=e.to_string()/> }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
        </AppFrame>
    }
}

#[component]
fn KnowledgeView(k: Knowledge) -> impl IntoView {
    let currency = k.currency.clone();
    view! {
        <p class="muted">{format!("{} · times in {}", k.business_name, k.timezone)}</p>
        <div class="grid">
            <div class="card">
                <h2>"Services"</h2>
                <table>
                    <thead><tr><th>"Service"</th><th>"Duration"</th><th>"Price"</th></tr></thead>
                    <tbody>
                        {k.services.into_iter().map(|s| view! {
                            <tr>
                                <td>{s.name}<div class="muted small">{s.description}</div></td>
                                <td>{format!("{} min", s.duration_minutes)}</td>
                                <td>{format_money(s.price_cents, &currency)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <div class="card">
                <h2>"Opening hours"</h2>
                <table>
                    <tbody>
                        {(0..7).map(|d| view! { <tr><td>{WEEKDAYS[d]}</td><td>{opening_hours_on(&k.hours, d)}</td></tr> }).collect_view()}
                    </tbody>
                </table>
                <h2>"Staff"</h2>
                <ul class="plain">
                    {k.staff.into_iter().map(|s| view! { <li>{s.name}" · "<span class="muted">{s.role_title}</span></li> }).collect_view()}
                </ul>
            </div>
            <div class="card wide">
                <h2>"Frequently asked questions"</h2>
                <dl>
                    {k.faqs.into_iter().map(|f| view! { <dt>{f.question}</dt><dd>{f.answer}</dd> }).collect_view()}
                </dl>
            </div>
        </div>
    }
}
