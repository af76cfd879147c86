//! The back office: services, staff, hours and closures, FAQs and tags as the receptionist
//! uses them. Everyone signed in reads them; admins edit them, and each saved change applies
//! to the next customer message.

mod hours;
mod schedule;
mod server;
mod staff;

use leptos::prelude::*;
use leptos_meta::Title;

pub use schedule::*;
pub use server::*;

use crate::components::confirm::ConfirmBar;
use crate::components::error::{ActionError, ErrorMessage};
use crate::components::form::{after_success, FormButtons, ListTable};
use crate::components::frame::{load_session_info, AppFrame};
use crate::model::access::may;
use crate::model::{
    format_money, price_input, BackOffice, Faq, Schedule, ServiceEntry, ServiceForm, StaffMember, TagEntry,
};

/// Bumped after every saved change: the page reads the back office again.
type Saved = RwSignal<u32>;

/// What a Delete button asked to delete (its id and name), until it is confirmed or cancelled.
type Asking = RwSignal<Option<(i64, String)>>;

/// The Confirm/Cancel row for `asking`, which dispatches `delete` only once confirmed.
/// `consequence` finishes the question: "Delete “X”? {consequence}".
fn confirm_delete<O>(
    asking: Asking,
    delete: Action<i64, Result<O, crate::model::AppError>>,
    consequence: &'static str,
) -> impl IntoView
where
    O: Send + Sync + 'static,
{
    let question =
        Signal::derive(move || asking.with(|a| a.as_ref().map(|(_, name)| format!("Delete “{name}”? {consequence}"))));
    let on_confirm = Callback::new(move |()| {
        if let Some((id, _)) = asking.get_untracked() {
            delete.dispatch(id);
        }
        asking.set(None);
    });
    view! { <ConfirmBar question on_confirm on_cancel=Callback::new(move |()| asking.set(None))/> }
}

#[component]
pub fn BackOfficePage() -> impl IntoView {
    let saved: Saved = RwSignal::new(0);
    let session = Resource::new(|| (), |_| load_session_info());
    let data = Resource::new(move || saved.get(), |_| load_backoffice());
    let schedule = Resource::new(move || saved.get(), |_| load_schedule());
    view! {
        <Title text="Back office · Frontdesk"/>
        <AppFrame>
            <section class="page backoffice">
                <h1>"Back office"</h1>
                <p class="muted">"What the receptionist knows and offers. A saved change applies to the next customer message."</p>
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        let role = session.await.ok().map(|s| s.user.role);
                        let can_edit = role.is_some_and(may::<SaveService>);
                        match (data.await, schedule.await) {
                            (Ok(office), Ok(schedule)) => view! { <Sections office schedule can_edit saved/> }.into_any(),
                            (Err(e), _) | (_, Err(e)) => view! { <ErrorMessage message=e.to_string()/> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        </AppFrame>
    }
    .into_any()
}

#[component]
fn Sections(office: BackOffice, schedule: Schedule, can_edit: bool, saved: Saved) -> impl IntoView {
    let BackOffice {
        currency,
        services,
        staff,
        faqs,
        tags,
    } = office;
    let today = schedule.today;
    view! {
        {(!can_edit).then(|| view! { <p class="notice">"Only an admin can change these; you can read them."</p> })}
        <nav class="subnav" aria-label="Back office">
            <a href="#services">"Services"</a>
            <a href="#staff">"Staff"</a>
            <a href="#hours">"Hours & closures"</a>
            <a href="#faqs">"FAQs"</a>
            <a href="#tags">"Tags"</a>
        </nav>
        <Services services staff currency can_edit saved/>
        <staff::Staff staff=schedule.staff services=schedule.services today can_edit saved/>
        <hours::Hours hours=schedule.hours closures=schedule.closures today can_edit saved/>
        <Faqs faqs can_edit saved/>
        <Tags tags can_edit saved/>
    }
    .into_any()
}

#[component]
fn Services(
    services: Vec<ServiceEntry>,
    staff: Vec<StaffMember>,
    currency: String,
    can_edit: bool,
    saved: Saved,
) -> impl IntoView {
    let editing: RwSignal<Option<ServiceEntry>> = RwSignal::new(None);
    let delete = Action::new(|id: &i64| delete_service(*id));
    after_success(delete, move || saved.update(|n| *n += 1));
    let asking: Asking = RwSignal::new(None);
    let staff = StoredValue::new(staff);
    let staff_names = move |ids: &[i64]| {
        staff.with_value(|staff| {
            let names: Vec<&str> = staff
                .iter()
                .filter(|s| ids.contains(&s.id))
                .map(|s| s.name.as_str())
                .collect();
            if names.is_empty() {
                "nobody yet".to_string()
            } else {
                names.join(", ")
            }
        })
    };
    let empty = services.is_empty();
    let rows = services
        .into_iter()
        .map(|entry| {
            let s = entry.service.clone();
            let id = s.id;
            let name = s.name.clone();
            let entry = StoredValue::new(entry);
            view! {
                <tr>
                    <th scope="row">
                        {s.name.clone()}
                        {(!s.active).then(|| view! { " " <span class="badge">"inactive"</span> })}
                        <div class="muted small">{s.description.clone()}</div>
                    </th>
                    <td>{format!("{} min", s.duration_minutes)}</td>
                    <td>{format_money(s.price_cents, &currency)}</td>
                    <td>{staff_names(&entry.with_value(|e| e.staff_ids.clone()))}</td>
                    {can_edit.then(|| view! {
                        <td class="actions">
                            <button
                                type="button"
                                aria-label=format!("Edit {name}")
                                on:click=move |_| editing.set(Some(entry.get_value()))
                            >
                                "Edit"
                            </button>
                            <button
                                type="button"
                                class="danger"
                                aria-label=format!("Delete {name}")
                                on:click=move |_| asking.set(Some((id, name.clone())))
                            >
                                "Delete"
                            </button>
                        </td>
                    })}
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card" id="services" aria-labelledby="services-title">
            <h2 id="services-title">"Services"</h2>
            {confirm_delete(asking, delete, "Customers can no longer book it, and it cannot be undone.")}
            <ActionError action=delete/>
            <ListTable headings=&["Service", "Duration", "Price", "Staff"] empty="No services yet." is_empty=empty can_edit rows=rows.into_any()/>
            {can_edit.then(|| view! {
                {move || {
                    let entry = editing.get();
                    view! { <ServiceEditor entry staff=staff.get_value() editing saved/> }
                }}
            })}
        </section>
    }
    .into_any()
}

/// The form for a new service (`entry` empty) or for changing one.
#[component]
fn ServiceEditor(
    entry: Option<ServiceEntry>,
    staff: Vec<StaffMember>,
    editing: RwSignal<Option<ServiceEntry>>,
    saved: Saved,
) -> impl IntoView {
    let id = entry.as_ref().map(|e| e.service.id);
    let title = entry
        .as_ref()
        .map_or("New service".to_string(), |e| format!("Edit “{}”", e.service.name));
    let name = RwSignal::new(entry.as_ref().map(|e| e.service.name.clone()).unwrap_or_default());
    let description = RwSignal::new(
        entry
            .as_ref()
            .map(|e| e.service.description.clone())
            .unwrap_or_default(),
    );
    let duration = RwSignal::new(
        entry
            .as_ref()
            .map_or("30".to_string(), |e| e.service.duration_minutes.to_string()),
    );
    let price = RwSignal::new(
        entry
            .as_ref()
            .map(|e| price_input(e.service.price_cents))
            .unwrap_or_default(),
    );
    let active = RwSignal::new(entry.as_ref().is_none_or(|e| e.service.active));
    let staff_ids = RwSignal::new(entry.as_ref().map(|e| e.staff_ids.clone()).unwrap_or_default());
    let save = Action::new(|form: &ServiceForm| save_service(form.clone()));
    let pending = save.pending();
    after_success(save, move || {
        editing.set(None);
        saved.update(|n| *n += 1);
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(ServiceForm {
            id,
            name: name.get_untracked(),
            description: description.get_untracked(),
            duration_minutes: duration.get_untracked(),
            price: price.get_untracked(),
            active: active.get_untracked(),
            staff_ids: staff_ids.get_untracked(),
        });
    };
    let staff_boxes = staff
        .into_iter()
        .filter(|s| s.active)
        .map(|s| {
            let staff_id = s.id;
            view! {
                <label class="check">
                    <input
                        type="checkbox"
                        prop:checked=move || staff_ids.with(|ids| ids.contains(&staff_id))
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            staff_ids.update(|ids| {
                                ids.retain(|i| *i != staff_id);
                                if on {
                                    ids.push(staff_id);
                                }
                            });
                        }
                    />
                    {s.name}
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
                <label>"Duration (minutes)"<input type="number" inputmode="numeric" min="5" max="720" step="5" required prop:value=duration on:input=move |ev| duration.set(event_target_value(&ev))/></label>
                <label>"Price"<input type="text" inputmode="decimal" placeholder="35.50" required prop:value=price on:input=move |ev| price.set(event_target_value(&ev))/></label>
            </div>
            <label>"Description (optional)"<input type="text" prop:value=description on:input=move |ev| description.set(event_target_value(&ev))/></label>
            <fieldset>
                <legend>"Who performs it"</legend>
                {staff_boxes}
            </fieldset>
            <label class="check">
                <input type="checkbox" prop:checked=active on:change=move |ev| active.set(event_target_checked(&ev))/>
                "Active: customers can book it"
            </label>
            <ActionError action=save/>
            <FormButtons pending label="Save service" busy="Saving…" cancel=id.map(|_| Callback::new(move |()| editing.set(None)))/>
        </form>
    }
    .into_any()
}

#[component]
fn Faqs(faqs: Vec<Faq>, can_edit: bool, saved: Saved) -> impl IntoView {
    let editing: RwSignal<Option<Faq>> = RwSignal::new(None);
    let delete = Action::new(|id: &i64| delete_faq(*id));
    after_success(delete, move || saved.update(|n| *n += 1));
    let asking: Asking = RwSignal::new(None);
    let empty = faqs.is_empty();
    let items = faqs
        .into_iter()
        .map(|f| {
            let id = f.id;
            let faq = StoredValue::new(f.clone());
            let question = f.question.clone();
            view! {
                <div class="faq">
                    <dt>{f.question.clone()}</dt>
                    <dd>
                        {f.answer}
                        {can_edit.then(|| view! {
                            <span class="actions">
                                <button type="button" aria-label=format!("Edit FAQ: {}", f.question) on:click=move |_| editing.set(Some(faq.get_value()))>"Edit"</button>
                                <button type="button" class="danger" aria-label=format!("Delete FAQ: {}", f.question) on:click=move |_| asking.set(Some((id, question.clone())))>"Delete"</button>
                            </span>
                        })}
                    </dd>
                </div>
            }
        })
        .collect_view();
    view! {
        <section class="card" id="faqs" aria-labelledby="faqs-title">
            <h2 id="faqs-title">"FAQs"</h2>
            <p class="muted small">"Questions and answers the receptionist may use."</p>
            {confirm_delete(asking, delete, "The receptionist will no longer use this answer.")}
            <ActionError action=delete/>
            {if empty {
                view! { <p class="muted">"No FAQs yet."</p> }.into_any()
            } else {
                view! { <dl>{items}</dl> }.into_any()
            }}
            {can_edit.then(|| view! {
                {move || view! { <FaqEditor faq=editing.get() editing saved/> }}
            })}
        </section>
    }
    .into_any()
}

#[component]
fn FaqEditor(faq: Option<Faq>, editing: RwSignal<Option<Faq>>, saved: Saved) -> impl IntoView {
    let id = faq.as_ref().map(|f| f.id);
    let title = if id.is_some() { "Edit FAQ" } else { "New FAQ" };
    let question = RwSignal::new(faq.as_ref().map(|f| f.question.clone()).unwrap_or_default());
    let answer = RwSignal::new(faq.map(|f| f.answer).unwrap_or_default());
    let save = Action::new(|(id, q, a): &(Option<i64>, String, String)| save_faq(*id, q.clone(), a.clone()));
    let pending = save.pending();
    after_success(save, move || {
        editing.set(None);
        saved.update(|n| *n += 1);
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch((id, question.get_untracked(), answer.get_untracked()));
    };
    view! {
        <form class="editor" on:submit=on_submit aria-label=title>
            <h3>{title}</h3>
            <label>"Question"<input type="text" required maxlength="300" prop:value=question on:input=move |ev| question.set(event_target_value(&ev))/></label>
            <label>"Answer"<textarea required maxlength="2000" rows="3" prop:value=answer on:input=move |ev| answer.set(event_target_value(&ev))></textarea></label>
            <ActionError action=save/>
            <FormButtons pending label="Save FAQ" busy="Saving…" cancel=id.map(|_| Callback::new(move |()| editing.set(None)))/>
        </form>
    }
    .into_any()
}

#[component]
fn Tags(tags: Vec<TagEntry>, can_edit: bool, saved: Saved) -> impl IntoView {
    let editing: RwSignal<Option<TagEntry>> = RwSignal::new(None);
    let delete = Action::new(|id: &i64| delete_tag(*id));
    after_success(delete, move || saved.update(|n| *n += 1));
    let asking: Asking = RwSignal::new(None);
    let empty = tags.is_empty();
    let all = StoredValue::new(tags.clone());
    let rows = tags
        .into_iter()
        .map(|t| {
            let tag = StoredValue::new(t.clone());
            let (id, name) = (t.id, t.name.clone());
            view! {
                <tr>
                    <th scope="row"><span class="swatch" style=format!("background:{}", t.color)></span>{t.name.clone()}</th>
                    <td>{if t.contacts == 1 { "1 contact".to_string() } else { format!("{} contacts", t.contacts) }}</td>
                    {can_edit.then(|| view! {
                        <td class="actions">
                            <button type="button" aria-label=format!("Edit tag {}", t.name) on:click=move |_| editing.set(Some(tag.get_value()))>"Edit"</button>
                            <button type="button" class="danger" aria-label=format!("Delete tag {}", t.name) on:click=move |_| asking.set(Some((id, name.clone())))>"Delete"</button>
                        </td>
                    })}
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card" id="tags" aria-labelledby="tags-title">
            <h2 id="tags-title">"Tags"</h2>
            <p class="muted small">"Staff put them on contacts in the inbox; campaigns choose their audience by them."</p>
            {can_edit.then(|| confirm_delete(asking, delete, "It is taken off every contact that has it."))}
            <ActionError action=delete/>
            <ListTable headings=&["Tag", "Used by"] empty="No tags yet." is_empty=empty can_edit rows=rows.into_any()/>
            {can_edit.then(|| view! {
                {move || view! { <TagEditor tag=editing.get() editing saved/> }}
                {(all.with_value(Vec::len) > 1).then(|| view! { <MergeTags tags=all.get_value() saved/> })}
            })}
        </section>
    }
    .into_any()
}

#[component]
fn TagEditor(tag: Option<TagEntry>, editing: RwSignal<Option<TagEntry>>, saved: Saved) -> impl IntoView {
    let id = tag.as_ref().map(|t| t.id);
    let title = tag
        .as_ref()
        .map_or("New tag".to_string(), |t| format!("Edit tag “{}”", t.name));
    let name = RwSignal::new(tag.as_ref().map(|t| t.name.clone()).unwrap_or_default());
    let color = RwSignal::new(tag.map_or("#6b7280".to_string(), |t| t.color));
    let save = Action::new(|(id, n, c): &(Option<i64>, String, String)| save_tag(*id, n.clone(), c.clone()));
    let pending = save.pending();
    after_success(save, move || {
        editing.set(None);
        saved.update(|n| *n += 1);
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch((id, name.get_untracked(), color.get_untracked()));
    };
    let label = title.clone();
    view! {
        <form class="editor" on:submit=on_submit aria-label=label>
            <h3>{title}</h3>
            <div class="fields">
                <label>"Tag name"<input type="text" required maxlength="80" prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/></label>
                <label>"Colour"<input type="color" prop:value=color on:input=move |ev| color.set(event_target_value(&ev))/></label>
            </div>
            <ActionError action=save/>
            <FormButtons pending label="Save tag" busy="Saving…" cancel=id.map(|_| Callback::new(move |()| editing.set(None)))/>
        </form>
    }
    .into_any()
}

/// Moves every contact of one tag to another and removes the first.
#[component]
fn MergeTags(tags: Vec<TagEntry>, saved: Saved) -> impl IntoView {
    let from = RwSignal::new(tags[0].id.to_string());
    let into = RwSignal::new(tags[1].id.to_string());
    let merge = Action::new(|(from, into): &(i64, i64)| merge_tags(*from, *into));
    let pending = merge.pending();
    after_success(merge, move || saved.update(|n| *n += 1));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let from = from.get_untracked().parse().unwrap_or_default();
        let into = into.get_untracked().parse().unwrap_or_default();
        merge.dispatch((from, into));
    };
    let options = move |selected: RwSignal<String>| {
        tags.iter()
            .map(|t| {
                let value = t.id.to_string();
                let is = value.clone();
                view! { <option value=value selected=move || selected.get() == is>{t.name.clone()}</option> }
            })
            .collect_view()
    };
    view! {
        <form class="editor" on:submit=on_submit aria-label="Merge tags">
            <h3>"Merge tags"</h3>
            <div class="fields">
                <label>"Merge"<select on:change=move |ev| from.set(event_target_value(&ev))>{options(from)}</select></label>
                <label>"into"<select on:change=move |ev| into.set(event_target_value(&ev))>{options(into)}</select></label>
            </div>
            <p class="muted small">"Its contacts get the second tag, and the first tag is removed."</p>
            <ActionError action=merge/>
            <FormButtons pending label="Merge" busy="Merging…"/>
        </form>
    }
    .into_any()
}
