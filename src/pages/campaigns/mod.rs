//! Campaigns: the list with progress and the daily-limit counter, the composer with its live
//! plan and preview, the disclaimer before launch, and one campaign's recipients.

mod server;
mod tokens;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use server::{
    campaign_act, launch_campaign, load_campaign_detail, load_campaigns_overview, load_composer_options, plan_campaign,
};

use crate::components::error::{ActionError, ErrorMessage};
use crate::components::frame::{load_session_info, AppFrame};
use crate::model::access::may;
use crate::model::{
    check_placeholders, Audience, CampaignAction, CampaignDraft, CampaignPlan, CampaignProgress, CampaignStatus,
    CampaignSummary, ComposerOptions, DailyCounter, ExcludedOutcome, RecipientStatus, CUSTOMER_NAME,
};
use crate::pages::contacts_import::{ContactImport, ImportContacts};
use crate::pages::templates::{SyncTemplates, TemplateLibrary};
use tokens::ApiTokens;

/// How long the composer waits after the last change before counting the audience again.
const PLAN_PAUSE: std::time::Duration = std::time::Duration::from_millis(400);

/// How often the counter and a sending campaign's progress are refreshed.
const REFRESH: std::time::Duration = std::time::Duration::from_secs(3);

/// A counter that ticks every `REFRESH` while the page is open in the browser.
fn ticker() -> ReadSignal<u32> {
    let (tick, set_tick) = signal(0u32);
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(move || set_tick.update(|t| *t += 1), REFRESH) {
            on_cleanup(move || handle.clear());
        }
    });
    tick
}

#[component]
pub fn CampaignsPage() -> impl IntoView {
    let tick = ticker();
    let (launched, set_launched) = signal(0u32);
    // Who is signed in decides what is shown; asked once, so the composer keeps its draft
    // while the list and counter below refresh.
    let session = Resource::new(|| (), |_| load_session_info());
    let overview = Resource::new(move || (tick.get(), launched.get()), |_| load_campaigns_overview());
    view! {
        <Title text="Campaigns · Frontdesk"/>
        <AppFrame>
            <section class="page campaigns">
                <div class="page-head">
                    <h1>"Campaigns"</h1>
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            overview.await.ok().map(|o| view! { <Counter counter=o.counter/> })
                        })}
                    </Transition>
                </div>
                <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        let role = session.await.ok().map(|s| s.user.role);
                        let can_act = role.is_some_and(may::<server::LaunchCampaign>);
                        view! {
                            {can_act.then(|| view! { <Composer on_launch=set_launched/> })}
                            {(!can_act).then(|| view! {
                                <p class="muted">"Your role can follow campaigns; marketers and admins create and control them."</p>
                            })}
                        }
                    })}
                </Suspense>
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match overview.await {
                            Ok(overview) => view! { <CampaignList campaigns=overview.campaigns/> }.into_any(),
                            Err(e) => view! { <ErrorMessage message=e.to_string()/> }.into_any(),
                        }
                    })}
                </Transition>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let role = session.await.ok().map(|s| s.user.role);
                        view! {
                            {role.is_some_and(may::<SyncTemplates>).then(|| view! { <TemplateLibrary/> })}
                            {role.is_some_and(may::<ImportContacts>).then(|| view! { <ContactImport/> })}
                            {role.is_some_and(may::<server::ApiTokens>).then(|| view! { <ApiTokens/> })}
                        }
                    })}
                </Suspense>
            </section>
        </AppFrame>
    }
}

/// "137 of 250 sent today".
#[component]
fn Counter(counter: DailyCounter) -> impl IntoView {
    let full = counter.sent_today >= counter.limit;
    view! {
        <p class=if full { "daily-counter full" } else { "daily-counter" } role="status" data-testid="daily-counter">
            {format!("{} of {} sent today", counter.sent_today, counter.limit)}
            {full.then_some(" · the rest wait for tomorrow")}
        </p>
    }
}

#[component]
fn CampaignList(campaigns: Vec<CampaignSummary>) -> impl IntoView {
    if campaigns.is_empty() {
        return view! { <p class="muted">"No campaigns yet."</p> }.into_any();
    }
    view! {
        <h2>"Campaigns"</h2>
        <table class="campaign-list">
            <thead>
                <tr><th>"Campaign"</th><th>"Status"</th><th>"Progress"</th></tr>
            </thead>
            <tbody>
                {campaigns
                    .into_iter()
                    .map(|c| view! {
                        <tr>
                            <td><a href=format!("/campaigns/{}", c.id)>{c.name.clone()}</a></td>
                            <td>
                                <span class=format!("status {}", c.status)>{status_label(c.status)}</span>
                                {c.pause_reason.clone().map(|r| view! { <br/><small class="muted">{r}</small> })}
                            </td>
                            <td><Progress progress=c.progress.clone()/></td>
                        </tr>
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

fn status_label(status: CampaignStatus) -> &'static str {
    match status {
        CampaignStatus::Preparing => "Preparing",
        CampaignStatus::Sending => "Sending",
        CampaignStatus::Paused => "Paused",
        CampaignStatus::Completed => "Completed",
        CampaignStatus::Cancelled => "Cancelled",
    }
}

/// The progress bar (sent of those to send) and every count in words.
#[component]
fn Progress(progress: CampaignProgress) -> impl IntoView {
    let to_send = progress.sent + progress.failed + progress.scheduled + progress.unknown + progress.expired;
    let percent = (progress.sent * 100).checked_div(to_send).unwrap_or(100);
    let counts = [
        ("sent", progress.sent),
        ("delivered", progress.delivered),
        ("read", progress.read),
        ("replied", progress.replied),
        ("booked", progress.booked),
        ("failed", progress.failed),
        ("skipped", progress.skipped),
        ("held out", progress.held_out),
        ("unknown", progress.unknown),
        ("waiting", progress.scheduled),
        ("expired", progress.expired),
    ];
    view! {
        <div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow=percent>
            <span style=format!("width: {percent}%")></span>
        </div>
        <p class="counts">
            {counts
                .into_iter()
                .filter(|(name, n)| *n > 0 || matches!(*name, "sent" | "skipped"))
                .map(|(name, n)| view! { <span data-count=name>{format!("{n} {name}")}</span> })
                .collect_view()}
        </p>
    }
}

/// The composer: message, audience, pacing; the live plan and preview; the disclaimer.
#[component]
fn Composer(on_launch: WriteSignal<u32>) -> impl IntoView {
    let (version, set_version) = signal(0u32);
    let options = Resource::new(move || version.get(), |_| load_composer_options());
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading the composer…"</p> }>
            {move || Suspend::new(async move {
                match options.await {
                    Ok(options) => view! { <ComposerForm options on_launch reset=set_version/> }.into_any(),
                    Err(e) => view! { <ErrorMessage message=e.to_string()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ComposerForm(options: ComposerOptions, on_launch: WriteSignal<u32>, reset: WriteSignal<u32>) -> impl IntoView {
    let draft = RwSignal::new(CampaignDraft::default());
    let (schedule, set_schedule) = signal(String::new());
    let (use_template, set_use_template) = signal(false);
    let (disclaimer_open, set_disclaimer_open) = signal(false);
    let (accepted, set_accepted) = signal(false);
    let text_box = NodeRef::<leptos::html::Textarea>::new();
    let key = options.launch_key.clone();

    // The live plan: asked again when the marketer pauses typing (what the server says is
    // the truth; a big audience takes a moment to count).
    let (settled, set_settled) = signal(CampaignDraft::default());
    Effect::new(move |pending: Option<Option<TimeoutHandle>>| {
        let latest = draft.get();
        if let Some(Some(handle)) = pending {
            handle.clear();
        }
        set_timeout_with_handle(move || set_settled.set(latest), PLAN_PAUSE).ok()
    });
    let plan = Resource::new(
        move || (settled.get(), schedule.get()),
        |(draft, schedule)| async move {
            if draft.template.is_none() && draft.text.trim().is_empty() {
                return None;
            }
            Some(plan_campaign(draft, schedule).await)
        },
    );
    let launch = Action::new(move |(draft, schedule): &(CampaignDraft, String)| {
        launch_campaign(draft.clone(), schedule.clone(), key.clone())
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = launch.value().get() {
            set_disclaimer_open.set(false);
            on_launch.update(|n| *n += 1);
            reset.update(|n| *n += 1);
        }
    });

    let placeholder_problem = move || {
        let d = draft.get();
        if d.template.is_some() {
            return None;
        }
        check_placeholders(&d.text).err().map(|e| e.to_string())
    };
    let insert_name = move |_| {
        let placeholder = format!("{{{CUSTOMER_NAME}}}");
        let at = text_box
            .get_untracked()
            .and_then(|t| t.selection_start().ok().flatten())
            .map(|n| n as usize);
        draft.update(|d| {
            let chars: Vec<char> = d.text.chars().collect();
            let at = at.unwrap_or(chars.len()).min(chars.len());
            let mut text: String = chars[..at].iter().collect();
            text.push_str(&placeholder);
            text.extend(&chars[at..]);
            d.text = text;
        });
    };
    let templates = options.templates.clone();
    let tags = options.tags.clone();
    let services = options.services.clone();

    view! {
        <form class="composer-form card" on:submit=move |ev| {
            ev.prevent_default();
            set_accepted.set(false);
            set_disclaimer_open.set(true);
        }>
            <h2>"New campaign"</h2>
            <label>
                "Name"
                <input type="text" required maxlength="80" placeholder="December colour offer"
                    prop:value=move || draft.with(|d| d.name.clone())
                    on:input=move |ev| draft.update(|d| d.name = event_target_value(&ev))/>
            </label>
            <fieldset>
                <legend>"Message"</legend>
                <label class="inline">
                    <input type="radio" name="kind" prop:checked=move || !use_template.get()
                        on:change=move |_| { set_use_template.set(false); draft.update(|d| d.template = None); }/>
                    "Free text (only to customers who wrote in the last 24 hours)"
                </label>
                <label class="inline">
                    <input type="radio" name="kind" prop:checked=move || use_template.get()
                        on:change=move |_| set_use_template.set(true)/>
                    "Approved WhatsApp template (anyone eligible)"
                </label>
                <Show when=move || !use_template.get()>
                    <label>
                        "Text"
                        <textarea node_ref=text_box rows="4" maxlength="4096" aria-describedby="text-help"
                            placeholder="Hi {customer_name}, this week colour is 20% off. Reply to book!"
                            prop:value=move || draft.with(|d| d.text.clone())
                            on:input=move |ev| draft.update(|d| d.text = event_target_value(&ev))></textarea>
                    </label>
                    <div class="row">
                        <button type="button" on:click=insert_name>"Insert {customer_name}"</button>
                        <small id="text-help" class="muted">"{customer_name} becomes each contact's name."</small>
                    </div>
                    {move || placeholder_problem().map(|message| view! { <ErrorMessage message/> })}
                </Show>
                <Show when=move || use_template.get()>
                    <label>
                        "Template"
                        <select on:change=move |ev| {
                            let name = event_target_value(&ev);
                            draft.update(|d| d.template = (!name.is_empty()).then_some(name));
                        }>
                            <option value="">"Choose a template…"</option>
                            {templates
                                .iter()
                                .map(|t| {
                                    let label = format!("{} ({}, {}){}", t.name, t.language, t.category.to_lowercase(),
                                        if t.is_approved() { String::new() } else { format!(" — {}", t.status.to_lowercase()) });
                                    view! { <option value=t.name.clone() disabled=!t.is_approved()>{label}</option> }
                                })
                                .collect_view()}
                        </select>
                    </label>
                </Show>
                <label>
                    "For contacts without a name, {customer_name} is"
                    <input type="text" maxlength="40" required
                        prop:value=move || draft.with(|d| d.name_fallback.clone())
                        on:input=move |ev| draft.update(|d| d.name_fallback = event_target_value(&ev))/>
                </label>
            </fieldset>
            <AudiencePicker draft tags services/>
            <fieldset>
                <legend>"Sending"</legend>
                <div class="row">
                    <label>"Shortest delay (s)"
                        <input type="number" min="0" max="3600" prop:value=move || draft.with(|d| d.min_delay_seconds.to_string())
                            on:change=move |ev| draft.update(|d| d.min_delay_seconds = event_target_value(&ev).parse().unwrap_or(0))/>
                    </label>
                    <label>"Longest delay (s)"
                        <input type="number" min="0" max="3600" prop:value=move || draft.with(|d| d.max_delay_seconds.to_string())
                            on:change=move |ev| draft.update(|d| d.max_delay_seconds = event_target_value(&ev).parse().unwrap_or(0))/>
                    </label>
                    <label>"Sending from"
                        <input type="time" prop:value=move || draft.with(|d| d.sending_from.clone())
                            on:change=move |ev| draft.update(|d| d.sending_from = event_target_value(&ev))/>
                    </label>
                    <label>"until"
                        <input type="time" prop:value=move || draft.with(|d| d.sending_until.clone())
                            on:change=move |ev| draft.update(|d| d.sending_until = event_target_value(&ev))/>
                    </label>
                </div>
                <div class="row">
                    <label>"Start (business time; empty: now)"
                        <input type="datetime-local" prop:value=schedule on:change=move |ev| set_schedule.set(event_target_value(&ev))/>
                    </label>
                    <label>"Hold out (% never sent, to measure lift)"
                        <input type="number" min="0" max="50" prop:value=move || draft.with(|d| d.holdout_percent.to_string())
                            on:change=move |ev| draft.update(|d| d.holdout_percent = event_target_value(&ev).parse().unwrap_or(0))/>
                    </label>
                    <label>"Expires after (days)"
                        <input type="number" min="1" max="30" prop:value=move || draft.with(|d| d.expires_after_days.to_string())
                            on:change=move |ev| draft.update(|d| d.expires_after_days = event_target_value(&ev).parse().unwrap_or(3))/>
                    </label>
                </div>
                <div class="row">
                    <span>"Leave out customers who"</span>
                    {ExcludedOutcome::ALL
                        .iter()
                        .map(|&outcome| view! {
                            <label class="inline">
                                <input type="checkbox"
                                    prop:checked=move || draft.with(|d| d.excluded_outcomes.contains(&outcome))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        draft.update(|d| {
                                            d.excluded_outcomes.retain(|o| *o != outcome);
                                            if on { d.excluded_outcomes.push(outcome); }
                                        });
                                    }/>
                                {match outcome {
                                    ExcludedOutcome::BookedRecently => "booked recently",
                                    ExcludedOutcome::UpcomingAppointment => "have an upcoming appointment",
                                }}
                            </label>
                        })
                        .collect_view()}
                    <small class="muted">"Opted-out customers are always left out."</small>
                </div>
            </fieldset>
            <div class="plan" aria-live="polite">
                <Transition fallback=|| view! { <p class="muted">"Counting…"</p> }>
                    {move || Suspend::new(async move {
                        match plan.await {
                            None => view! { <p class="muted">"Write the message to see who gets it."</p> }.into_any(),
                            Some(Ok(plan)) => view! { <PlanView plan/> }.into_any(),
                            Some(Err(e)) => view! { <ErrorMessage message=e.to_string()/> }.into_any(),
                        }
                    })}
                </Transition>
            </div>
            <button type="submit" class="primary">"Review and launch…"</button>
        </form>
        <Show when=move || disclaimer_open.get()>
            <div class="modal-backdrop">
                <div class="modal card" role="dialog" aria-modal="true" aria-labelledby="disclaimer-title">
                    <h2 id="disclaimer-title">"Before you launch"</h2>
                    <p>
                        "WhatsApp campaigns reach customers' personal phones. Send only to customers who agreed to "
                        "receive marketing messages from the business, and only what they would expect. Too many "
                        "blocks or reports can get the business's number limited or banned."
                    </p>
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            plan.await.and_then(Result::ok).map(|plan| view! {
                                <p><strong>{format!("{} messages today, {} on later days", plan.sending_today, plan.later_days)}</strong></p>
                            })
                        })}
                    </Transition>
                    <label class="inline">
                        <input type="checkbox" prop:checked=accepted on:change=move |ev| set_accepted.set(event_target_checked(&ev))/>
                        "I confirm that every recipient consented to marketing messages, and I take responsibility for this campaign."
                    </label>
                    <ActionError action=launch/>
                    <div class="row">
                        <button type="button" on:click=move |_| set_disclaimer_open.set(false)>"Back"</button>
                        <button type="button" class="primary"
                            disabled=move || !accepted.get() || launch.pending().get()
                            on:click=move |_| {
                                let mut d = draft.get_untracked();
                                d.acknowledge_disclaimer = accepted.get_untracked();
                                launch.dispatch((d, schedule.get_untracked()));
                            }>
                            {move || if launch.pending().get() { "Launching…" } else { "Launch campaign" }}
                        </button>
                    </div>
                </div>
            </div>
        </Show>
    }
}

#[component]
fn AudiencePicker(draft: RwSignal<CampaignDraft>, tags: Vec<String>, services: Vec<(i64, String)>) -> impl IntoView {
    let date_input = move |label: &'static str,
                           get: fn(&Audience) -> Option<chrono::NaiveDate>,
                           set: fn(&mut Audience, Option<chrono::NaiveDate>)| {
        view! {
            <label>{label}
                <input type="date"
                    prop:value=move || draft.with(|d| get(&d.audience).map(|d| d.to_string()).unwrap_or_default())
                    on:change=move |ev| {
                        let day = event_target_value(&ev).parse().ok();
                        draft.update(|d| set(&mut d.audience, day));
                    }/>
            </label>
        }
    };
    view! {
        <fieldset>
            <legend>"Audience"</legend>
            {(!tags.is_empty()).then(|| view! {
                <div class="row">
                    <span>"Tagged (any of)"</span>
                    {tags.into_iter().map(|tag| {
                        let name = tag.clone();
                        view! {
                            <label class="inline">
                                <input type="checkbox" on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    draft.update(|d| {
                                        d.audience.tags.retain(|t| *t != name);
                                        if on { d.audience.tags.push(name.clone()); }
                                    });
                                }/>
                                {tag}
                            </label>
                        }
                    }).collect_view()}
                </div>
            })}
            <div class="row">
                <label>"Names"
                    <select on:change=move |ev| {
                        let named = match event_target_value(&ev).as_str() { "named" => Some(true), "unnamed" => Some(false), _ => None };
                        draft.update(|d| d.audience.named = named);
                    }>
                        <option value="">"Named or not"</option>
                        <option value="named">"Only contacts with a name"</option>
                        <option value="unnamed">"Only contacts without a name"</option>
                    </select>
                </label>
                <label class="inline">
                    <input type="checkbox" on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        draft.update(|d| d.audience.never_booked = on);
                    }/>
                    "Never booked"
                </label>
            </div>
            {(!services.is_empty()).then(|| view! {
                <div class="row">
                    <span>"Booked (any of)"</span>
                    {services.into_iter().map(|(id, name)| view! {
                        <label class="inline">
                            <input type="checkbox" on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                draft.update(|d| {
                                    d.audience.service_ids.retain(|s| *s != id);
                                    if on { d.audience.service_ids.push(id); }
                                });
                            }/>
                            {name}
                        </label>
                    }).collect_view()}
                </div>
            })}
            <div class="row">
                {date_input("Last visit before", |a| a.last_visit_before, |a, d| a.last_visit_before = d)}
                {date_input("Last visit after", |a| a.last_visit_after, |a, d| a.last_visit_after = d)}
                {date_input("Last booking before", |a| a.last_booking_before, |a, d| a.last_booking_before = d)}
                {date_input("Last booking after", |a| a.last_booking_after, |a, d| a.last_booking_after = d)}
            </div>
        </fieldset>
    }
}

/// Who gets the campaign and the first messages exactly as they will read.
#[component]
fn PlanView(plan: CampaignPlan) -> impl IntoView {
    view! {
        <p class="audience-count" data-testid="audience-count">
            <strong>{format!("{} contacts", plan.audience)}</strong>
            {format!(" · {} sending today · {} on later days · {} held out", plan.sending_today, plan.later_days, plan.held_out)}
        </p>
        {(!plan.skipped.is_empty()).then(|| view! {
            <ul class="skips">
                {plan.skipped.iter().map(|s| view! {
                    <li data-reason=s.reason.as_str()>{format!("{} skipped: {}", s.count, s.reason.explain())}</li>
                }).collect_view()}
            </ul>
        })}
        {(!plan.preview.is_empty()).then(|| view! {
            <h3>"Preview"</h3>
            <ol class="preview">
                {plan.preview.into_iter().map(|m| view! {
                    <li>
                        <span class="muted">{m.contact_name.unwrap_or_else(|| format!("+{}", m.wa_id))}</span>
                        <p class="bubble bot">{m.text}</p>
                    </li>
                }).collect_view()}
            </ol>
        })}
    }
}

/// One campaign: progress, controls, and every recipient with status and reason.
#[component]
pub fn CampaignPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|id| id.parse::<i64>().ok()).unwrap_or(0));
    let (filter, set_filter) = signal(String::new());
    let tick = ticker();
    let act = Action::new(move |action: &CampaignAction| campaign_act(id(), *action));
    let detail = Resource::new(
        move || (id(), filter.get(), tick.get(), act.version().get()),
        |(id, filter, _, _)| load_campaign_detail(id, filter),
    );
    view! {
        <Title text="Campaign · Frontdesk"/>
        <AppFrame>
            <section class="page campaign">
                <p><a href="/campaigns">"← All campaigns"</a></p>
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        let detail = match detail.await {
                            Ok(detail) => detail,
                            Err(e) => return view! { <ErrorMessage message=e.to_string()/> }.into_any(),
                        };
                        let summary = detail.summary;
                        let status = summary.status;
                        let buttons = [
                            (CampaignAction::Pause, "Pause", status == CampaignStatus::Sending),
                            (CampaignAction::Resume, "Resume", status == CampaignStatus::Paused),
                            (CampaignAction::Cancel, "Cancel campaign", matches!(status, CampaignStatus::Sending | CampaignStatus::Paused)),
                            (CampaignAction::RetryFailed, "Send again to failed", summary.progress.failed > 0 && status != CampaignStatus::Cancelled),
                            (CampaignAction::ResendUnknown, "Send again to unknown", summary.progress.unknown > 0 && status != CampaignStatus::Cancelled),
                        ];
                        view! {
                            <h1>{summary.name.clone()}</h1>
                            <p>
                                <span class=format!("status {status}")>{status_label(status)}</span>
                                {summary.pause_reason.clone().map(|r| view! { " · " <span class="pause-reason">{r}</span> })}
                            </p>
                            <Progress progress=summary.progress.clone()/>
                            <p class="bubble bot">{summary.message_text.clone()}</p>
                            {detail.can_act.then(|| view! {
                                <div class="row actions">
                                    {buttons.into_iter().filter(|(_, _, shown)| *shown).map(|(action, label, _)| view! {
                                        <button type="button" disabled=move || act.pending().get()
                                            on:click=move |_| {
                                                let sure = action != CampaignAction::Cancel
                                                    || window().confirm_with_message("Cancel this campaign? Nobody else will get it.").unwrap_or(false);
                                                if sure { act.dispatch(action); }
                                            }>{label}</button>
                                    }).collect_view()}
                                </div>
                            })}
                            <ActionError action=act/>
                            <div class="row">
                                <label>"Show"
                                    <select prop:value=filter on:change=move |ev| set_filter.set(event_target_value(&ev))>
                                        <option value="">"Everyone"</option>
                                        {RecipientStatus::ALL.iter().map(|s| view! { <option value=s.as_str()>{s.as_str().replace('_', " ")}</option> }).collect_view()}
                                    </select>
                                </label>
                                <a href=format!("/api/campaigns/{}/recipients.csv", summary.id) download="">"Export CSV"</a>
                            </div>
                            <table class="recipients">
                                <thead><tr><th>"Contact"</th><th>"Status"</th><th>"Reason"</th><th>"Message"</th></tr></thead>
                                <tbody>
                                    {detail.recipients.into_iter().map(|r| view! {
                                        <tr data-status=r.status.as_str()>
                                            <td>{r.contact_name.clone().unwrap_or_default()}<br/><small class="muted">{format!("+{}", r.wa_id)}</small></td>
                                            <td>{r.status.as_str().replace('_', " ")}</td>
                                            <td>{r.reason.clone().map(|reason| crate::model::SkipReason::parse(&reason).map(|s| s.explain().to_string()).unwrap_or(reason))}</td>
                                            <td>{r.text.clone()}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }
                        .into_any()
                    })}
                </Transition>
            </section>
        </AppFrame>
    }
}
