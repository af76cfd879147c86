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
