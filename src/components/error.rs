//! How every page shows an error: one alert, which screen readers announce as it appears.

use leptos::prelude::*;

use crate::model::AppError;

/// A message the user can act on.
#[component]
pub fn ErrorMessage(#[prop(into)] message: String) -> impl IntoView {
    view! { <p class="error" role="alert">{message}</p> }
}

/// Why an action's last run failed, while that is its latest result.
#[component]
pub fn ActionError<I, O>(action: Action<I, Result<O, AppError>>) -> impl IntoView
where
    I: Send + Sync + 'static,
    O: Send + Sync + 'static,
{
    move || {
        let message = action
            .value()
            .with(|result| result.as_ref().and_then(|r| r.as_ref().err()).map(AppError::to_string));
        message.map(|message| view! { <ErrorMessage message/> })
    }
}
