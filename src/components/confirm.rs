//! Asking before a change that cannot be undone, inside the page: a question with Confirm
//! and Cancel, rather than the browser's `window.confirm`, which blocks the page and cannot
//! be styled or tested like the rest.

use leptos::prelude::*;

/// Shows `question` (hidden while `None`) with Confirm and Cancel. Focus moves to Confirm as
/// it appears, so a keyboard user answers at once; Escape cancels.
#[component]
pub fn ConfirmBar(
    #[prop(into)] question: Signal<Option<String>>,
    on_confirm: Callback<()>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let confirm = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(button) = confirm.get() {
            let _ = button.focus();
        }
    });
    move || {
        question.get().map(|question| {
            view! {
                <div
                    class="confirm"
                    role="alertdialog"
                    aria-label=question
                    on:keydown=move |ev| {
                        if ev.key() == "Escape" {
                            on_cancel.run(());
                        }
                    }
                >
                    <p>{question.clone()}</p>
                    <div class="buttons">
                        <button type="button" class="danger" node_ref=confirm on:click=move |_| on_confirm.run(())>
                            "Confirm"
                        </button>
                        <button type="button" on:click=move |_| on_cancel.run(())>"Cancel"</button>
                    </div>
                </div>
            }
        })
    }
}
