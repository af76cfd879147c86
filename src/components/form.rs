//! The row of buttons under an edit form.

use leptos::prelude::*;

/// The form's submit button, which says `busy` while `pending`, and, when `cancel` is given,
/// a Cancel button that runs it (leaving an edit without saving).
#[component]
pub fn FormButtons(
    #[prop(into)] pending: Signal<bool>,
    label: &'static str,
    busy: &'static str,
    #[prop(default = None)] cancel: Option<Callback<()>>,
) -> impl IntoView {
    view! {
        <div class="buttons">
            <button type="submit" class="primary" disabled=move || pending.get()>
                {move || if pending.get() { busy } else { label }}
            </button>
            {cancel.map(|cancel| view! { <button type="button" on:click=move |_| cancel.run(())>"Cancel"</button> })}
        </div>
    }
}

/// Runs `on_ok` each time the action's latest result is a success.
pub fn after_success<I, O>(action: Action<I, Result<O, crate::model::AppError>>, on_ok: impl Fn() + 'static)
where
    I: Send + Sync + 'static,
    O: Send + Sync + 'static,
{
    Effect::new(move |_| {
        if action.value().with(|v| matches!(v, Some(Ok(_)))) {
            on_ok();
        }
    });
}

/// A back-office list as a table: its column headings, then `rows`; with a last, unnamed
/// column for each row's buttons when the reader may edit; `empty` instead when there are
/// no rows.
#[component]
pub fn ListTable(
    headings: &'static [&'static str],
    /// Said instead of the table when there are no rows.
    empty: &'static str,
    is_empty: bool,
    can_edit: bool,
    rows: AnyView,
) -> impl IntoView {
    if is_empty {
        return view! { <p class="muted">{empty}</p> }.into_any();
    }
    let headings = headings.iter().map(|h| view! { <th>{*h}</th> }).collect_view();
    view! {
        <div class="table-scroll">
            <table>
                <thead>
                    <tr>
                        {headings}
                        {can_edit.then(|| view! { <th><span class="visually-hidden">"Actions"</span></th> })}
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}
