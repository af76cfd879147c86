//! Importing contacts (phone, name, tags, marketing consent) from a CSV file: the file is read
//! in the browser, sent whole, and the server answers with what it did and which lines it
//! rejected, with their line numbers.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::components::error::{ActionError, ErrorMessage};
use crate::model::{AppError, ImportReport};

/// The largest file the page sends (about 300,000 lines); the server's limit for this
/// endpoint is a little above it.
pub const MAX_FILE_BYTES: usize = 12 * 1024 * 1024;
/// Rejected lines the page lists; the counts always cover all of them.
const SHOWN_REJECTIONS: usize = 200;

/// Imports a CSV file's contacts.
#[server(endpoint = "contacts/import", input = Json)]
pub async fn import_contacts(csv: String) -> Result<ImportReport, AppError> {
    crate::server::error::respond(async move {
        use crate::server::import::{self, ImportError, ReadOptions};
        use crate::server::session;
        let user = session::require_user().await?;
        let state = session::app_state()?;
        if csv.len() > MAX_FILE_BYTES {
            return Err(AppError::Invalid(format!(
                "The file is larger than {} MB; split it into smaller files.",
                MAX_FILE_BYTES / (1024 * 1024)
            )));
        }
        let options = ReadOptions {
            country: state.settings.business.country,
            timezone: state.settings.business.timezone,
            now: chrono::Utc::now(),
        };
        import::import_contacts(&state.db, csv.into_bytes(), options, Some(user.id))
            .await
            .map_err(|error| match error {
                ImportError::File(error) => AppError::Invalid(error.to_string()),
                ImportError::Interrupted {
                    applied,
                    contacts,
                    ref source,
                    ..
                } => {
                    tracing::error!(error = %source, "contact import interrupted");
                    AppError::Invalid(format!(
                        "The import stopped after {applied} of {contacts} contacts; those are saved. \
                         Import the same file again to finish: nothing is duplicated."
                    ))
                }
                ImportError::Db(error) => error.into(),
            })
    })
    .await
}

/// Choose a CSV file, import it, read the report.
#[component]
pub fn ContactImport() -> impl IntoView {
    // The chosen file's name and text, read in the browser.
    let file = RwSignal::new(None::<(String, String)>);
    let pasted = RwSignal::new(String::new());
    let read_error = RwSignal::new(None::<String>);
    let import = Action::new(|csv: &String| import_contacts(csv.clone()));
    let on_file = move |ev: leptos::ev::Event| {
        read_error.set(None);
        file.set(None);
        read_chosen_file(ev, file, read_error);
    };
    let text = move || {
        file.with(|f| f.as_ref().map(|(_, text)| text.clone()))
            .unwrap_or_else(|| pasted.get())
    };
    let nothing_to_send = move || file.with(Option::is_none) && pasted.with(|p| p.trim().is_empty());
    view! {
        <section class="card contact-import" aria-labelledby="contact-import-title">
            <h2 id="contact-import-title">"Import contacts"</h2>
            <p class="muted small">
                "A CSV file with a header line: "<code>"phone"</code>" (required), "<code>"name"</code>", "
                <code>"tags"</code>" (separated by ; or |) and "<code>"consent"</code>
                " (yes, no, or the date it was given). Numbers without a country code are read as the business's country. "
                "Contacts already here are merged: names are kept when the file has none, tags are added."
            </p>
            <form on:submit=move |ev| {
                ev.prevent_default();
                import.dispatch(text());
            }>
                <label>"CSV file"<input type="file" accept=".csv,text/csv,text/plain" on:change=on_file/></label>
                <details>
                    <summary>"Or paste the CSV text"</summary>
                    <label>"CSV text"<textarea rows="6" bind:value=pasted></textarea></label>
                </details>
                {move || read_error.get().map(|message| view! { <ErrorMessage message/> })}
                <ActionError action=import/>
                <button type="submit" class="primary" disabled=move || import.pending().get() || nothing_to_send()>
                    {move || if import.pending().get() { "Importing…" } else { "Import" }}
                </button>
            </form>
            {move || import.value().get().and_then(Result::ok).map(|report| view! { <ImportResult report/> })}
        </section>
    }
}

#[component]
fn ImportResult(report: ImportReport) -> impl IntoView {
    let hidden = report.rejected.len().saturating_sub(SHOWN_REJECTIONS);
    view! {
        <div class="import-report" role="status">
            <h3>"Import finished"</h3>
            <dl>
                <dt>"Lines read"</dt><dd>{report.lines}</dd>
                <dt>"Contacts created"</dt><dd>{report.created}</dd>
                <dt>"Existing contacts updated"</dt><dd>{report.merged}</dd>
                <dt>"Repeated numbers merged"</dt><dd>{report.duplicates}</dd>
                <dt>"Marketing consent recorded"</dt><dd>{report.consent_given}</dd>
                <dt>"Lines rejected"</dt><dd>{report.rejected.len()}</dd>
            </dl>
            {(!report.rejected.is_empty()).then(|| view! {
                <table aria-label="Rejected lines">
                    <thead><tr><th scope="col">"Line"</th><th scope="col">"Reason"</th></tr></thead>
                    <tbody>
                        {report.rejected.iter().take(SHOWN_REJECTIONS).map(|r| view! {
                            <tr><td>{r.line}</td><td>{r.reason.clone()}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
            {(hidden > 0).then(|| view! { <p class="muted small">{format!("and {hidden} more rejected lines")}</p> })}
        </div>
    }
}

/// Reads the file chosen in `ev`'s input into `file` (its name and text).
#[cfg(feature = "hydrate")]
fn read_chosen_file(
    ev: leptos::ev::Event,
    file: RwSignal<Option<(String, String)>>,
    read_error: RwSignal<Option<String>>,
) {
    let input: web_sys::HtmlInputElement = event_target(&ev);
    let Some(chosen) = input.files().and_then(|files| files.get(0)) else {
        return;
    };
    if chosen.size() > MAX_FILE_BYTES as f64 {
        read_error.set(Some(format!(
            "The file is larger than {} MB; split it into smaller files.",
            MAX_FILE_BYTES / (1024 * 1024)
        )));
        return;
    }
    let name = chosen.name();
    leptos::task::spawn_local(async move {
        match wasm_bindgen_futures::JsFuture::from(chosen.text()).await {
            Ok(text) => file.set(Some((name, text.as_string().unwrap_or_default()))),
            Err(_) => read_error.set(Some("The file could not be read.".into())),
        }
    });
}

/// Files are read in the browser only.
#[cfg(not(feature = "hydrate"))]
fn read_chosen_file(
    _ev: leptos::ev::Event,
    _file: RwSignal<Option<(String, String)>>,
    _read_error: RwSignal<Option<String>>,
) {
}
