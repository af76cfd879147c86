//! Files built into the binary that Cargo does not watch by itself: the message catalogs in
//! `locales/` (built in by `fluent_templates`) and the SQL migrations in `migrations/` (by
//! `sqlx::migrate!`). Cargo only notices edits to files it already knows; this makes a new
//! language folder or a new migration rebuild the crate too.

fn main() {
    println!("cargo:rerun-if-changed=locales");
    println!("cargo:rerun-if-changed=migrations");
}
