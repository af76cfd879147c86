//! The appointments page: a business-local day by staff member (today first), the
//! appointments waiting to be marked attended or no-show, and booking, moving and
//! cancelling for a customer. Everyone signed in reads it; admins and agents change it.

use chrono::{Duration, NaiveDate};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::error::{ActionError, ErrorMessage};
use crate::components::form::{after_success, FormButtons};
use crate::components::frame::{load_session_info, AppFrame};
use crate::model::access::may;
use crate::model::{
    format_money, status_label, AppError, AppointmentChange, AppointmentForm, AppointmentStatus, DaySchedule,
    ScheduledAppointment, Service, StaffMember,
};

/// The appointments of the business-local `day` (`YYYY-MM-DD`; today when empty), and those
/// waiting to be marked.
#[server(endpoint = "appointments/day")]
pub async fn load_day(day: Option<String>) -> Result<DaySchedule, AppError> {
    crate::server::error::respond(async move {
        use crate::server::{appointments, booking, session};
        let state = session::app_state()?;
        let now = chrono::Utc::now();
        let day = match day.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| AppError::Invalid(format!("`{text}` is not a day like 2026-03-02.")))?,
            None => booking::local_parts(state.settings.business.timezone, now).0,
        };
        Ok(appointments::day(&state, day, now).await?)
    })
    .await
}

/// Marks an appointment that has started attended (`completed`) or `no_show`.
#[server(endpoint = "appointments/mark", input = Json)]
pub async fn mark_appointment(appointment_id: i64, status: AppointmentStatus) -> Result<(), AppError> {
    crate::server::error::respond(async move {
        let state = crate::server::session::app_state()?;
        Ok(crate::server::appointments::mark(&state, appointment_id, status, chrono::Utc::now()).await?)
    })
    .await
}

/// Cancels a booked appointment; `notify` sends the customer a WhatsApp message about it.
#[server(endpoint = "appointments/cancel", input = Json)]
pub async fn cancel_appointment(appointment_id: i64, notify: bool) -> Result<AppointmentChange, AppError> {
    crate::server::error::respond(async move {
        use crate::server::{appointments, session};
        let user = session::require_user().await?;
        let state = session::app_state()?;
        Ok(appointments::cancel(&state, &user, appointment_id, notify, chrono::Utc::now()).await?)
    })
    .await
}

/// Books for a customer (`form.appointment_id` empty) or moves a booked appointment, in a
/// free slot only.
#[server(endpoint = "appointments/save", input = Json)]
pub async fn save_appointment(form: AppointmentForm) -> Result<AppointmentChange, AppError> {
    crate::server::error::respond(async move {
        use crate::server::{appointments, session};
        let user = session::require_user().await?;
        let state = session::app_state()?;
        Ok(appointments::save(&state, &user, &form, chrono::Utc::now()).await?)
    })
    .await
}

/// Bumped after every change: the page reads the day again.
type Changed = RwSignal<u32>;
/// What the last change told about the customer's message.
type Notice = RwSignal<Option<String>>;

#[component]
pub fn AppointmentsPage() -> impl IntoView {
    let query = use_query_map();
    let changed: Changed = RwSignal::new(0);
    let notice: Notice = RwSignal::new(None);
    let session = Resource::new(|| (), |_| load_session_info());
    let data = Resource::new(
        move || (query.with(|q| q.get("day")), changed.get()),
        |(day, _)| load_day(day),
    );
    view! {
        <Title text="Appointments · Frontdesk"/>
        <AppFrame>
            <section class="page appointments">
                <h1>"Appointments"</h1>
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        let can_edit = session.await.is_ok_and(|s| may::<SaveAppointment>(s.user.role));
                        match data.await {
                            Ok(schedule) => view! { <Schedule schedule can_edit changed notice/> }.into_any(),
                            Err(e) => view! { <ErrorMessage message=e.to_string()/> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        </AppFrame>
    }
}

#[component]
fn Schedule(schedule: DaySchedule, can_edit: bool, changed: Changed, notice: Notice) -> impl IntoView {
    let DaySchedule {
        day,
        today,
        now,
        timezone,
        currency,
        appointments,
        unmarked,
        attended_after_hours,
        services,
        staff,
    } = schedule;
    let editing: RwSignal<Option<ScheduledAppointment>> = RwSignal::new(None);
    let row = {
        let currency = currency.clone();
        move |scheduled: ScheduledAppointment, with_day: bool| {
            view! { <AppointmentRow scheduled now currency=currency.clone() with_day can_edit changed notice editing/> }
        }
    };
    let unmarked_view = (!unmarked.is_empty()).then(|| {
        let rows = unmarked.into_iter().map(|a| row(a, true)).collect_view();
        view! {
            <section class="card" aria-labelledby="unmarked-title">
                <h2 id="unmarked-title">"Waiting to be marked"</h2>
                <p class="muted small">
                    {format!(
                        "These have started and are still booked. Mark each attended or no-show; one left unmarked counts as attended {attended_after_hours} hours after it ends."
                    )}
                </p>
                <ul class="plain appointment-list" aria-label="Waiting to be marked">{rows}</ul>
            </section>
        }
    });
    let mut by_staff: Vec<(String, Vec<ScheduledAppointment>)> = Vec::new();
    for scheduled in appointments {
        match by_staff.last_mut() {
            Some((name, list)) if *name == scheduled.appointment.staff_name => list.push(scheduled),
            _ => by_staff.push((scheduled.appointment.staff_name.clone(), vec![scheduled])),
        }
    }
    let day_view = if by_staff.is_empty() {
        view! { <p class="muted">"No appointments on this day."</p> }.into_any()
    } else {
        by_staff
            .into_iter()
            .map(|(name, list)| {
                let rows = list.into_iter().map(|a| row(a, false)).collect_view();
                view! {
                    <h3>{name.clone()}</h3>
                    <ul class="plain appointment-list" aria-label=format!("{name}'s appointments")>{rows}</ul>
                }
            })
            .collect_view()
            .into_any()
    };
    let heading = format!(
        "{}{}",
        day.format("%A %-d %B %Y"),
        if day == today { " (today)" } else { "" }
    );
    let link = |d: NaiveDate| format!("/appointments?day={d}");
    view! {
        <nav class="daynav" aria-label="Day">
            <a href=link(day - Duration::days(1))>"← Previous day"</a>
            <a href=link(today) aria-current=(day == today).then_some("date")>"Today"</a>
            <a href=link(day + Duration::days(1))>"Next day →"</a>
            <form method="get" action="/appointments" class="inline">
                <label>"Day " <input type="date" name="day" value=day.to_string()/></label>
                <button type="submit">"Show"</button>
            </form>
        </nav>
        <p class="muted small">{format!("Times are in {timezone}.")}</p>
        {move || notice.get().map(|text| view! { <p class="notice" role="status">{text}</p> })}
        {unmarked_view}
        <section class="card" aria-labelledby="day-title">
            <h2 id="day-title">{heading}</h2>
            {day_view}
        </section>
        {can_edit.then(|| view! {
            {move || {
                let moving = editing.get();
                view! { <AppointmentEditor moving day services=services.clone() staff=staff.clone() editing changed notice/> }
            }}
        })}
    }
    .into_any()
}

#[component]
fn AppointmentRow(
    scheduled: ScheduledAppointment,
    now: chrono::DateTime<chrono::Utc>,
    currency: String,
    /// Show the date too (in the list of unmarked ones, which spans days).
    with_day: bool,
    can_edit: bool,
    changed: Changed,
    notice: Notice,
    editing: RwSignal<Option<ScheduledAppointment>>,
) -> impl IntoView {
    let a = scheduled.appointment.clone();
    let id = a.id;
    let started = a.starts_at <= now;
    let when = if with_day {
        format!(
            "{} {}–{}",
            scheduled.local_start.format("%a %-d %b"),
            scheduled.local_start.format("%H:%M"),
            scheduled.local_end.format("%H:%M")
        )
    } else {
        format!(
            "{}–{}",
            scheduled.local_start.format("%H:%M"),
            scheduled.local_end.format("%H:%M")
        )
    };
    let customer = scheduled.customer.clone();
    let summary = format!("{customer}, {} {when}", a.service_name);
    let mark = Action::new(|(id, status): &(i64, AppointmentStatus)| mark_appointment(*id, *status));
    after_success(mark, move || changed.update(|n| *n += 1));
    let confirming_cancel = RwSignal::new(false);
    let tell = RwSignal::new(true);
    let cancel = Action::new(|(id, notify): &(i64, bool)| cancel_appointment(*id, *notify));
    Effect::new(move |_| {
        if let Some(Ok(change)) = cancel.value().get() {
            notice.set(change.notice);
            changed.update(|n| *n += 1);
        }
    });
    let customer_view = match scheduled.conversation_id {
        Some(c) => view! { <a href=format!("/inbox?c={c}")>{customer.clone()}</a> }.into_any(),
        None => view! { <span>{customer.clone()}</span> }.into_any(),
    };
    let who = customer_for_label(&scheduled);
    let current = a.status;
    let mark_button = move |status: AppointmentStatus, label: &'static str| {
        view! {
            <button
                type="button"
                aria-pressed=(current == status).to_string()
                aria-label=format!("{label}: {who}")
                disabled=move || mark.pending().get()
                on:click=move |_| { mark.dispatch((id, status)); }
            >
                {label}
            </button>
        }
    };
    let actions = can_edit.then(|| {
        if a.status != AppointmentStatus::Cancelled && started {
            view! {
                <div class="actions">
                    {mark_button(AppointmentStatus::Completed, "Attended")}
                    {mark_button(AppointmentStatus::NoShow, "No-show")}
                </div>
            }
            .into_any()
        } else if a.status == AppointmentStatus::Booked {
            let moving = scheduled.clone();
            let cancel_summary = summary.clone();
            view! {
                <div class="actions">
                    <button type="button" aria-label=format!("Move {summary}") on:click=move |_| editing.set(Some(moving.clone()))>"Move"</button>
                    <button type="button" class="danger" aria-label=format!("Cancel {cancel_summary}") on:click=move |_| confirming_cancel.set(true)>"Cancel…"</button>
                </div>
                {move || confirming_cancel.get().then(|| view! {
                    <div class="confirm" role="group" aria-label="Confirm cancelling">
                        <span>"Cancel this appointment?"</span>
                        <label class="check">
                            <input type="checkbox" prop:checked=tell on:change=move |ev| tell.set(event_target_checked(&ev))/>
                            "Tell the customer on WhatsApp"
                        </label>
                        <button type="button" class="danger" on:click=move |_| { cancel.dispatch((id, tell.get_untracked())); }>"Cancel appointment"</button>
                        <button type="button" on:click=move |_| confirming_cancel.set(false)>"Keep it"</button>
                    </div>
                })}
            }
            .into_any()
        } else {
            ().into_any()
        }
    });
    view! {
        <li class=format!("appointment status-{}", a.status.as_str())>
            <span class="when">{when}</span>
            <span class="who">{customer_view}</span>
            <span>{a.service_name.clone()}</span>
            <span class="muted">{a.staff_name.clone()}</span>
            <span>{format_money(a.price_cents, &currency)}</span>
            <span class="badge">{status_label(a.status)}</span>
            {actions}
            <ActionError action=mark/>
            <ActionError action=cancel/>
        </li>
    }
}

fn customer_for_label(scheduled: &ScheduledAppointment) -> String {
    format!(
        "{} at {}",
        scheduled.customer,
        scheduled.local_start.format("%-d %b %H:%M")
    )
}

/// Books for a customer, or moves `moving` to another time.
#[component]
fn AppointmentEditor(
    moving: Option<ScheduledAppointment>,
    day: NaiveDate,
    services: Vec<Service>,
    staff: Vec<StaffMember>,
    editing: RwSignal<Option<ScheduledAppointment>>,
    changed: Changed,
    notice: Notice,
) -> impl IntoView {
    let appointment_id = moving.as_ref().map(|m| m.appointment.id);
    let title = moving.as_ref().map_or("Book an appointment".to_string(), |m| {
        format!("Move {}'s {}", m.customer, m.appointment.service_name.to_lowercase())
    });
    let phone = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let first_service = services.iter().find(|s| s.active).map_or(0, |s| s.id);
    let service_id = RwSignal::new(moving.as_ref().map_or(first_service, |m| m.appointment.service_id));
    let staff_id = RwSignal::new(moving.as_ref().map(|m| m.appointment.staff_id));
    let date = RwSignal::new(moving.as_ref().map_or(day, |m| m.local_start.date()).to_string());
    let time = RwSignal::new(
        moving
            .as_ref()
            .map(|m| m.local_start.format("%H:%M").to_string())
            .unwrap_or_default(),
    );
    let notify = RwSignal::new(moving.is_some());
    let save = Action::new(|form: &AppointmentForm| save_appointment(form.clone()));
    let pending = save.pending();
    Effect::new(move |_| {
        if let Some(Ok(change)) = save.value().get() {
            notice.set(Some(change.notice.unwrap_or_else(|| "Saved.".into())));
            editing.set(None);
            changed.update(|n| *n += 1);
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(AppointmentForm {
            appointment_id,
            phone: phone.get_untracked(),
            name: name.get_untracked(),
            service_id: service_id.get_untracked(),
            staff_id: staff_id.get_untracked(),
            date: date.get_untracked(),
            time: time.get_untracked(),
            notify: notify.get_untracked(),
        });
    };
    let service_options = services
        .into_iter()
        .filter(|s| s.active)
        .map(|s| view! { <option value=s.id.to_string() selected={s.id == service_id.get_untracked()}>{s.name}</option> })
        .collect_view();
    let staff_options = staff
        .into_iter()
        .filter(|s| s.active)
        .map(|s| view! { <option value=s.id.to_string() selected={Some(s.id) == staff_id.get_untracked()}>{s.name}</option> })
        .collect_view();
    let label = title.clone();
    view! {
        <form class="card editor" on:submit=on_submit aria-label=label>
            <h2>{title}</h2>
            {appointment_id.is_none().then(|| view! {
                <div class="fields">
                    <label>"Customer's WhatsApp number"<input type="tel" required autocomplete="off" placeholder="+34 600 123 456" prop:value=phone on:input=move |ev| phone.set(event_target_value(&ev))/></label>
                    <label>"Name (if new)"<input type="text" maxlength="100" prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/></label>
                    <label>"Service"
                        <select on:change=move |ev| service_id.set(event_target_value(&ev).parse().unwrap_or(0))>{service_options}</select>
                    </label>
                </div>
            })}
            <div class="fields">
                <label>"With"
                    <select on:change=move |ev| staff_id.set(event_target_value(&ev).parse().ok())>
                        <option value="" selected={staff_id.get_untracked().is_none()}>"Anyone free"</option>
                        {staff_options}
                    </select>
                </label>
                <label>"Day"<input type="date" required prop:value=date on:input=move |ev| date.set(event_target_value(&ev))/></label>
                <label>"Time"<input type="time" required step="900" prop:value=time on:input=move |ev| time.set(event_target_value(&ev))/></label>
            </div>
            <label class="check">
                <input type="checkbox" prop:checked=notify on:change=move |ev| notify.set(event_target_checked(&ev))/>
                "Tell the customer on WhatsApp"
            </label>
            <ActionError action=save/>
            <FormButtons
                pending
                label={if appointment_id.is_some() { "Move appointment" } else { "Book appointment" }}
                busy="Saving…"
                cancel=appointment_id.map(|_| Callback::new(move |()| editing.set(None)))
            />
        </form>
    }
}
