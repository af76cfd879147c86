//! The message catalogs in `locales/` are built into the binary by `fluent_templates`. Cargo
//! only notices edits to the files already there; this makes a new language folder rebuild
//! the crate too.

fn main() {
    println!("cargo:rerun-if-changed=locales");
}
