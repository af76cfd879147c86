//! The "Hours & closures" section: the business's weekly hours and its holidays and one-off
//! closures. Also the two editors the Staff section shares: weekly periods, and days off
//! that may fall on booked appointments.

use chrono::NaiveDate;
use leptos::prelude::*;

use super::{add_closure, confirm_delete, delete_closure, save_business_hours, Asking, Saved};
use crate::components::error::ActionError;
use crate::components::form::{after_success, FormButtons};
use crate::model::{
    format_minute_of_day, AppError, BookedInside, Closure, DaysForm, DaysOutcome, OpeningHours, Period, PeriodForm,
    WEEKDAYS,
};

#[component]
pub fn Hours(
    hours: Vec<OpeningHours>,
    closures: Vec<Closure>,
    today: NaiveDate,
    can_edit: bool,
    saved: Saved,
) -> impl IntoView {
    let periods: Vec<Period> = hours.iter().map(Period::from).collect();
    let week = (0..7)
        .map(|day| {
            view! {
                <tr>
                    <th scope="row">{WEEKDAYS[day]}</th>
                    <td>{periods_of_day(&periods, day as i64)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card" id="hours" aria-labelledby="hours-title">
            <h2 id="hours-title">"Hours & closures"</h2>
            <p class="muted small">"When customers can book. Staff work within these hours."</p>
            {if can_edit {
                view! { <HoursEditor periods saved/> }.into_any()
            } else {
                view! {
                    <div class="table-scroll">
                        <table aria-label="Weekly hours">
                            <tbody>{week}</tbody>
                        </table>
                    </div>
                }
                .into_any()
            }}
            <Closures closures today can_edit saved/>
        </section>
    }
    .into_any()
}

/// "09:00–14:00, 16:00–19:00", or "closed".
fn periods_of_day(periods: &[Period], weekday: i64) -> String {
    let labels: Vec<String> = periods
        .iter()
        .filter(|p| p.weekday == weekday)
        .map(Period::label)
        .collect();
    if labels.is_empty() {
        "closed".to_string()
    } else {
        labels.join(", ")
    }
}

#[component]
fn HoursEditor(periods: Vec<Period>, saved: Saved) -> impl IntoView {
    let rows = period_rows(&periods);
    let save = Action::new(|(periods, keep_booked): &(Vec<PeriodForm>, bool)| {
        save_business_hours(periods.clone(), *keep_booked)
    });
    let pending = save.pending();
    let conflict = conflict_of(save, saved);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch((period_forms(rows), false));
    };
    let keep = Callback::new(move |()| {
        save.dispatch((period_forms(rows), true));
    });
    view! {
        <form class="editor" on:submit=on_submit aria-label="Weekly hours">
            <h3>"Weekly hours"</h3>
            <p class="muted small">"A day without periods is closed."</p>
            <WeekEditor rows starts="Opens" ends="Closes"/>
            <ActionError action=save/>
            <BookedConflict conflict pending lead="outside the new hours" anyway_label="Save anyway — keep these appointments booked" anyway=keep/>
            {move || conflict.with(Option::is_none).then(|| view! { <FormButtons pending label="Save hours" busy="Saving…"/> })}
        </form>
    }
    .into_any()
}

/// One period in a week editor: its own signals, so typing in it re-renders nothing else.
#[derive(Clone, Copy)]
pub(super) struct PeriodRow {
    key: u32,
    weekday: i64,
    starts: RwSignal<String>,
    ends: RwSignal<String>,
}

pub(super) fn period_rows(periods: &[Period]) -> RwSignal<Vec<PeriodRow>> {
    let rows = periods
        .iter()
        .zip(0..)
        .map(|(p, key)| PeriodRow {
            key,
            weekday: p.weekday,
            starts: RwSignal::new(format_minute_of_day(p.starts_minute)),
            ends: RwSignal::new(format_minute_of_day(p.ends_minute)),
        })
        .collect();
    RwSignal::new(rows)
}

pub(super) fn period_forms(rows: RwSignal<Vec<PeriodRow>>) -> Vec<PeriodForm> {
    rows.get_untracked()
        .iter()
        .map(|row| PeriodForm {
            weekday: row.weekday,
            starts: row.starts.get_untracked(),
            ends: row.ends.get_untracked(),
        })
        .collect()
}

/// Periods by weekday, each with two time inputs labelled `starts` and `ends`, and buttons
/// to add and remove them.
#[component]
pub(super) fn WeekEditor(rows: RwSignal<Vec<PeriodRow>>, starts: &'static str, ends: &'static str) -> impl IntoView {
    let days = (0..7)
        .map(|day| {
            let weekday = day as i64;
            let name = WEEKDAYS[day];
            let add = move |_| {
                rows.update(|rows| {
                    let key = rows.iter().map(|r| r.key + 1).max().unwrap_or(0);
                    rows.push(PeriodRow {
                        key,
                        weekday,
                        starts: RwSignal::new("09:00".into()),
                        ends: RwSignal::new("17:00".into()),
                    });
                });
            };
            view! {
                <fieldset class="day">
                    <legend>{name}</legend>
                    <For
                        each=move || rows.get().into_iter().filter(move |r| r.weekday == weekday)
                        key=|row| row.key
                        children=move |row: PeriodRow| view! {
                        <div class="period">
                            <label>{starts}<input type="time" prop:value=row.starts on:input=move |ev| row.starts.set(event_target_value(&ev))/></label>
                            <label>{ends}<input type="time" prop:value=row.ends on:input=move |ev| row.ends.set(event_target_value(&ev))/></label>
                            <button
                                type="button"
                                aria-label=format!("Remove {name} period")
                                on:click=move |_| rows.update(|rows| rows.retain(|r| r.key != row.key))
                            >
                                "Remove"
                            </button>
                        </div>
                        }
                    />
                    <button type="button" aria-label=format!("Add {name} period") on:click=add>"Add period"</button>
                </fieldset>
            }
        })
        .collect_view();
    view! { <div class="week">{days}</div> }
}

#[component]
fn Closures(closures: Vec<Closure>, today: NaiveDate, can_edit: bool, saved: Saved) -> impl IntoView {
    let delete = Action::new(|id: &i64| delete_closure(*id));
    after_success(delete, move || saved.update(|n| *n += 1));
    let asking: Asking = RwSignal::new(None);
    let upcoming: Vec<Closure> = closures.into_iter().filter(|c| c.ends_on >= today).collect();
    let empty = upcoming.is_empty();
    let items = upcoming
        .into_iter()
        .map(|c| {
            let id = c.id;
            let days = day_span(c.starts_on, c.ends_on);
            let label = format!("Delete closure {days}");
            view! {
                <li>
                    <strong>{days.clone()}</strong>" — "{c.reason}
                    {can_edit.then(|| view! {
                        " "<button type="button" class="danger" aria-label=label on:click=move |_| asking.set(Some((id, days.clone())))>"Delete"</button>
                    })}
                </li>
            }
        })
        .collect_view();
    let add = Action::new(|(form, keep): &(DaysForm, bool)| add_closure(form.clone(), *keep));
    view! {
        <h3>"Closures"</h3>
        <p class="muted small">"Holidays and one-off closures: nobody can book on these days."</p>
        {confirm_delete(asking, delete, "Customers can book these days again.")}
        <ActionError action=delete/>
        {if empty {
            view! { <p class="muted">"No closures planned."</p> }.into_any()
        } else {
            view! { <ul class="closures" aria-label="Closures">{items}</ul> }.into_any()
        }}
        {can_edit.then(|| view! {
            <DaysEditor
                action=add
                today
                title="Add a closure"
                reason="Reason (customers are told it)"
                submit="Add closure"
                anyway="Close anyway — keep these appointments booked"
                saved
            />
        })}
    }
    .into_any()
}

/// "Fri 4 Dec 2026" or "Thu 24 Dec 2026 – Sat 26 Dec 2026".
pub(super) fn day_span(first: NaiveDate, last: NaiveDate) -> String {
    let day = |d: NaiveDate| d.format("%a %-d %b %Y").to_string();
    if first == last {
        day(first)
    } else {
        format!("{} – {}", day(first), day(last))
    }
}

/// The form for days off (a closure, or a staff member's time off). When booked appointments
/// fall on those days, nothing is saved yet: they are listed, and the owner either keeps
/// them booked and saves, or goes back.
#[component]
pub(super) fn DaysEditor(
    action: Action<(DaysForm, bool), Result<DaysOutcome, AppError>>,
    today: NaiveDate,
    title: &'static str,
    reason: &'static str,
    submit: &'static str,
    anyway: &'static str,
    saved: Saved,
) -> impl IntoView {
    let starts_on = RwSignal::new(today.to_string());
    let ends_on = RwSignal::new(String::new());
    let why = RwSignal::new(String::new());
    let pending = action.pending();
    let conflict = conflict_of(action, saved);
    let form = move || DaysForm {
        starts_on: starts_on.get_untracked(),
        ends_on: ends_on.get_untracked(),
        reason: why.get_untracked(),
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        action.dispatch((form(), false));
    };
    let min = today.to_string();
    let keep = Callback::new(move |()| {
        action.dispatch((form(), true));
    });
    view! {
        <form class="editor" on:submit=on_submit aria-label=title>
            <h4>{title}</h4>
            <div class="fields">
                <label>"First day"<input type="date" required min=min.clone() prop:value=starts_on on:input=move |ev| starts_on.set(event_target_value(&ev))/></label>
                <label>"Last day (if more than one)"<input type="date" min=min prop:value=ends_on on:input=move |ev| ends_on.set(event_target_value(&ev))/></label>
                <label>{reason}<input type="text" maxlength="120" prop:value=why on:input=move |ev| why.set(event_target_value(&ev))/></label>
            </div>
            <ActionError action/>
            <BookedConflict conflict pending lead="on these days" anyway_label=anyway anyway=keep/>
            // While the booked appointments are listed, their own two buttons are the choice.
            {move || conflict.with(Option::is_none).then(|| view! { <FormButtons pending label=submit busy="Saving…"/> })}
        </form>
    }
    .into_any()
}

/// The booked appointments an action's last run listed instead of saving (none once it
/// saves, which also bumps `saved`).
fn conflict_of<I>(action: Action<I, Result<DaysOutcome, AppError>>, saved: Saved) -> RwSignal<Option<Vec<BookedInside>>>
where
    I: Send + Sync + 'static,
{
    let conflict = RwSignal::new(None);
    Effect::new(move |_| match action.value().get() {
        Some(Ok(DaysOutcome::Saved { .. })) => {
            conflict.set(None);
            saved.update(|n| *n += 1);
        }
        Some(Ok(DaysOutcome::BookedInside { appointments })) => conflict.set(Some(appointments)),
        _ => {}
    });
    conflict
}

/// The booked appointments a change would leave `lead` ("on these days"), with the choice
/// to save anyway (they stay booked) or go back.
#[component]
fn BookedConflict(
    conflict: RwSignal<Option<Vec<BookedInside>>>,
    #[prop(into)] pending: Signal<bool>,
    lead: &'static str,
    anyway_label: &'static str,
    anyway: Callback<()>,
) -> impl IntoView {
    move || {
        conflict.get().map(|appointments| {
            let count = match appointments.len() {
                1 => format!("1 booked appointment falls {lead}:"),
                n => format!("{n} booked appointments fall {lead}:"),
            };
            let items = appointments
                .into_iter()
                .map(|a| view! { <li>{format!("{} — {} with {}, for {}", a.when, a.service, a.staff, a.customer)}</li> })
                .collect_view();
            view! {
                <div class="conflict" role="group" aria-label=format!("Booked appointments {lead}")>
                    <p><strong>{count}</strong></p>
                    <ul>{items}</ul>
                    <p class="muted small">"Saving anyway keeps them booked: contact those customers to move them."</p>
                    <div class="buttons">
                        <button type="button" class="danger" disabled=move || pending.get() on:click=move |_| anyway.run(())>{anyway_label}</button>
                        <button type="button" on:click=move |_| conflict.set(None)>"Back"</button>
                    </div>
                </div>
            }
        })
    }
}
