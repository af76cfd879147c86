#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [] => frontdesk::server::startup::run().await,
        [command, path] if command == "backup" => {
            let path = std::path::Path::new(path);
            let done = frontdesk::server::startup::backup(path).await;
            if done.is_ok() {
                println!("frontdesk: backed up to {}", path.display());
            }
            done
        }
        _ => {
            eprintln!("usage: frontdesk            serve (settings from Leptos.toml, .env and the environment)");
            eprintln!("       frontdesk backup PATH  copy the SQLite database, consistently, to a new file");
            std::process::exit(2);
        }
    };
    if let Err(error) = result {
        // One line naming what to fix; the exit code tells scripts it failed.
        eprintln!("frontdesk: {error}");
        std::process::exit(1);
    }
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The browser half is a library loaded by the page; `cargo leptos` builds both.
}
