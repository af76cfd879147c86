//! The Staff section: who works here, what they do, when they work, and their time off.

use chrono::NaiveDate;
use leptos::prelude::*;

use super::hours::{day_span, period_forms, period_rows, DaysEditor, WeekEditor};
use super::{add_time_off, confirm_delete, delete_staff, delete_time_off, save_staff, Asking, Saved};
use crate::components::error::ActionError;
use crate::components::form::{after_success, FormButtons, ListTable};
use crate::model::{DaysForm, StaffEntry, StaffForm, WEEKDAYS};

#[component]
pub fn Staff(
    staff: Vec<StaffEntry>,
    services: Vec<(i64, String)>,
    today: NaiveDate,
    can_edit: bool,
    saved: Saved,
) -> impl IntoView {
    let editing: RwSignal<Option<StaffEntry>> = RwSignal::new(None);
    let away: RwSignal<Option<StaffEntry>> = RwSignal::new(None);
    let delete = Action::new(|id: &i64| delete_staff(*id));
    after_success(delete, move || saved.update(|n| *n += 1));
    let asking: Asking = RwSignal::new(None);
    let services = StoredValue::new(services);
    let service_names = move |ids: &[i64]| {
        services.with_value(|services| {
            let names: Vec<&str> = services
                .iter()
                .filter(|(id, _)| ids.contains(id))
                .map(|(_, name)| name.as_str())
                .collect();
            if names.is_empty() {
                "none yet".to_string()
            } else {
                names.join(", ")
            }
        })
    };
    let empty = staff.is_empty();
    let rows = staff
        .into_iter()
        .map(|entry| {
            let member = entry.member.clone();
            let (id, name) = (member.id, member.name.clone());
            let services = service_names(&entry.service_ids);
            let hours = week_summary(&entry);
            let time_off = time_off_summary(&entry, today);
            let entry = StoredValue::new(entry);
            view! {
                <tr>
                    <th scope="row">
                        {member.name.clone()}
                        {(!member.active).then(|| view! { " " <span class="badge">"inactive"</span> })}
                        <div class="muted small">{member.role_title.clone()}</div>
                    </th>
                    <td>{services}</td>
                    <td>{hours}</td>
                    <td>{time_off}</td>
                    {can_edit.then(|| view! {
                        <td class="actions">
                            <button type="button" aria-label=format!("Edit {name}") on:click=move |_| editing.set(Some(entry.get_value()))>"Edit"</button>
                            <button type="button" aria-label=format!("Time off for {name}") on:click=move |_| away.set(Some(entry.get_value()))>"Time off"</button>
                            <button type="button" class="danger" aria-label=format!("Delete {name}") on:click=move |_| asking.set(Some((id, name.clone())))>"Delete"</button>
                        </td>
                    })}
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card" id="staff" aria-labelledby="staff-title">
            <h2 id="staff-title">"Staff"</h2>
            <p class="muted small">"Who customers can book, for what, and when. Someone without hours of their own works whenever the business is open."</p>
            {confirm_delete(asking, delete, "Their services, hours and time off go with them; it cannot be undone.")}
            <ActionError action=delete/>
            <ListTable headings=&["Name", "Services", "Works", "Time off"] empty="No staff yet." is_empty=empty can_edit rows=rows.into_any()/>
            {can_edit.then(|| view! {
                {move || away.get().map(|entry| view! { <TimeOff entry today away saved/> })}
                {move || {
                    let entry = editing.get();
                    view! { <StaffEditor entry services=services.get_value() editing saved/> }
                }}
            })}
        </section>
    }
    .into_any()
}

/// "Tue 10:00–14:00, Wed 09:00–13:00", or "Whenever open".
fn week_summary(entry: &StaffEntry) -> String {
    if entry.hours.is_empty() {
        return "Whenever open".to_string();
    }
    entry
        .hours
        .iter()
        .map(|p| {
            let day = usize::try_from(p.weekday)
                .ok()
                .and_then(|d| WEEKDAYS.get(d))
                .map_or("", |d| &d[..3]);
            format!("{day} {}", p.label())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn time_off_summary(entry: &StaffEntry, today: NaiveDate) -> String {
    let upcoming: Vec<String> = entry
        .time_off
        .iter()
        .filter(|t| t.ends_on >= today)
        .map(|t| day_span(t.starts_on, t.ends_on))
        .collect();
    if upcoming.is_empty() {
        "—".to_string()
    } else {
        upcoming.join("; ")
    }
}

/// The form for a new staff member (`entry` empty) or for changing one.
#[component]
fn StaffEditor(
    entry: Option<StaffEntry>,
    services: Vec<(i64, String)>,
    editing: RwSignal<Option<StaffEntry>>,
    saved: Saved,
) -> impl IntoView {
    let id = entry.as_ref().map(|e| e.member.id);
    let title = entry
        .as_ref()
        .map_or("New staff member".to_string(), |e| format!("Edit “{}”", e.member.name));
    let name = RwSignal::new(entry.as_ref().map(|e| e.member.name.clone()).unwrap_or_default());
    let role_title = RwSignal::new(entry.as_ref().map(|e| e.member.role_title.clone()).unwrap_or_default());
    let active = RwSignal::new(entry.as_ref().is_none_or(|e| e.member.active));
    let service_ids = RwSignal::new(entry.as_ref().map(|e| e.service_ids.clone()).unwrap_or_default());
    let hours = period_rows(entry.as_ref().map_or(&[][..], |e| &e.hours[..]));
    let save = Action::new(|form: &StaffForm| save_staff(form.clone()));
    let pending = save.pending();
    after_success(save, move || {
        editing.set(None);
        saved.update(|n| *n += 1);
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(StaffForm {
            id,
            name: name.get_untracked(),
            role_title: role_title.get_untracked(),
            active: active.get_untracked(),
            service_ids: service_ids.get_untracked(),
            hours: period_forms(hours),
        });
    };
    let service_boxes = services
        .into_iter()
        .map(|(service_id, service_name)| {
            view! {
                <label class="check">
                    <input
                        type="checkbox"
                        prop:checked=move || service_ids.with(|ids| ids.contains(&service_id))
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            service_ids.update(|ids| {
                                ids.retain(|i| *i != service_id);
                                if on {
                                    ids.push(service_id);
                                }
                            });
                        }
                    />
                    {service_name}
                </label>
            }
        })
        .collect_view();
    let label = title.clone();
    view! {
        <form class="editor" on:submit=on_submit aria-label=label>
            <h3>{title}</h3>
            <div class="fields">
                <label>"Name"<input type="text" required maxlength="80" prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/></label>
                <label>"Role title"<input type="text" maxlength="80" placeholder="Stylist" prop:value=role_title on:input=move |ev| role_title.set(event_target_value(&ev))/></label>
            </div>
            <fieldset>
                <legend>"Services they perform"</legend>
                {service_boxes}
            </fieldset>
            <fieldset>
                <legend>"Working hours"</legend>
                <p class="muted small">"None: they work whenever the business is open."</p>
                <WeekEditor rows=hours starts="From" ends="Until"/>
            </fieldset>
            <label class="check">
                <input type="checkbox" prop:checked=active on:change=move |ev| active.set(event_target_checked(&ev))/>
                "Active: customers can book them"
            </label>
            <ActionError action=save/>
            <FormButtons pending label="Save staff member" busy="Saving…" cancel=id.map(|_| Callback::new(move |()| editing.set(None)))/>
        </form>
    }
    .into_any()
}

/// A staff member's time off: the days planned, and a form to add more.
#[component]
fn TimeOff(entry: StaffEntry, today: NaiveDate, away: RwSignal<Option<StaffEntry>>, saved: Saved) -> impl IntoView {
    let staff_id = entry.member.id;
    let delete = Action::new(|id: &i64| delete_time_off(*id));
    after_success(delete, move || saved.update(|n| *n += 1));
    let asking: Asking = RwSignal::new(None);
    let add = Action::new(move |(form, keep): &(DaysForm, bool)| add_time_off(staff_id, form.clone(), *keep));
    let upcoming: Vec<_> = entry.time_off.into_iter().filter(|t| t.ends_on >= today).collect();
    let empty = upcoming.is_empty();
    let items = upcoming
        .into_iter()
        .map(|t| {
            let id = t.id;
            let days = day_span(t.starts_on, t.ends_on);
            let label = format!("Delete time off {days}");
            view! {
                <li>
                    <strong>{days.clone()}</strong>
                    {(!t.reason.is_empty()).then(|| format!(" — {}", t.reason))}
                    " "<button type="button" class="danger" aria-label=label on:click=move |_| asking.set(Some((id, days.clone())))>"Delete"</button>
                </li>
            }
        })
        .collect_view();
    let title = format!("Time off for {}", entry.member.name);
    let label = title.clone();
    view! {
        <div class="editor" role="group" aria-label=label>
            <h3>{title}</h3>
            {confirm_delete(asking, delete, "They can be booked on these days again.")}
            <ActionError action=delete/>
            {if empty {
                view! { <p class="muted">"No time off planned."</p> }.into_any()
            } else {
                view! { <ul>{items}</ul> }.into_any()
            }}
            <DaysEditor
                action=add
                today
                title="Add time off"
                reason="Reason (optional, staff only)"
                submit="Add time off"
                anyway="Add anyway — keep these appointments booked"
                saved
            />
            <div class="buttons">
                <button type="button" on:click=move |_| away.set(None)>"Done"</button>
            </div>
        </div>
    }
    .into_any()
}
