//! Frontdesk: an AI receptionist and live team inbox on WhatsApp.
//!
//! One crate, two builds: `ssr` (the server: axum, sqlx, background work) and `hydrate`
//! (the browser: the same Leptos components, made interactive).

pub mod app;
pub mod components;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "testing")]
pub mod testing;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Waits for the lazily loaded code of the page being shown before hydrating it.
    leptos::mount::hydrate_lazy(app::App);
}
