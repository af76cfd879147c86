#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() {
    if let Err(error) = frontdesk::server::startup::run().await {
        // One line naming what to fix; the exit code tells scripts it failed.
        eprintln!("frontdesk: {error}");
        std::process::exit(1);
    }
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The browser half is a library loaded by the page; `cargo leptos` builds both.
}
