//! CSV import of contacts and their marketing consent.
//!
//! **What an import guarantees.** The whole file is read and checked in memory first, off the
//! async runtime. A file that cannot be read as a table of contacts (not UTF-8, empty, no
//! `phone` column) is refused and changes nothing. Otherwise every line is either taken or
//! rejected with its line number and reason, and the import is recorded in `contact_imports`
//! with what the file holds. Contacts are then written in chunks of [`CHUNK_ROWS`], each in
//! its own short transaction that also advances the record's counters, with a yield between
//! chunks so webhook writes (SQLite has one writer) get their turn. So:
//!
//! - a completed import reports exact counts: `lines = rejected + duplicates + created +
//!   merged`, and `consent_given` counts the contacts whose consent this import recorded;
//! - an interrupted import (crash, database error) leaves whole chunks applied and its record
//!   saying exactly how many contacts were applied, created and merged; the error names it;
//! - running the same file again is harmless: contacts are upserted by WhatsApp id, tags are
//!   added once, consent already given is kept — the rerun completes what was missing.
//!
//! Importing never withdraws consent (`consent` = no leaves it as it is) and never replaces a
//! name the customer gave us.

pub mod parse;

use chrono::Utc;
use sha2::{Digest, Sha256};

use crate::model::ImportReport;
use crate::server::db::imports::{self, NewImport};
use crate::server::db::{Db, DbError};
pub use parse::{normalise_phone, read_file, FileError, PhoneError, ReadFile, ReadOptions};

/// Contacts written per transaction: large enough for multi-row statements to pay off, small
/// enough that a webhook waits for the writer a few milliseconds at most.
pub const CHUNK_ROWS: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file as a whole cannot be imported; nothing was written.
    #[error(transparent)]
    File(#[from] FileError),
    /// Stopped part way: the record `import_id` says what was applied.
    #[error("the import stopped after {applied} of {contacts} contacts (import {import_id})")]
    Interrupted {
        import_id: i64,
        applied: u64,
        contacts: u64,
        #[source]
        source: DbError,
    },
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Reads `file` and writes its contacts; see the module's guarantee.
#[tracing::instrument(skip_all, fields(import_id = tracing::field::Empty))]
pub async fn import_contacts(
    db: &Db,
    file: Vec<u8>,
    options: ReadOptions,
    user_id: Option<i64>,
) -> Result<ImportReport, ImportError> {
    let sha256 = hex::encode(Sha256::digest(&file));
    // Reading 100,000 lines takes CPU time the async workers need for live traffic.
    let read = tokio::task::spawn_blocking(move || read_file(&file, &options))
        .await
        .unwrap_or_else(|failed| std::panic::resume_unwind(failed.into_panic()))?;
    let import_id = imports::start_import(
        db,
        &NewImport {
            user_id,
            file_sha256: sha256,
            lines: read.lines,
            rejected: read.rejected.len() as u64,
            duplicates: read.duplicates,
            contacts: read.contacts.len() as u64,
        },
        options.now,
    )
    .await?;
    tracing::Span::current().record("import_id", import_id);
    let mut report = ImportReport {
        import_id,
        lines: read.lines,
        duplicates: read.duplicates,
        rejected: read.rejected,
        ..ImportReport::default()
    };
    let contacts = read.contacts.len() as u64;
    for chunk in read.contacts.chunks(CHUNK_ROWS) {
        let now = options.now;
        let chunk = chunk.to_vec();
        let counts = db
            .transaction(move |tx| {
                Box::pin(async move { imports::apply_chunk(&mut *tx, import_id, &chunk, now).await })
            })
            .await
            .map_err(|source| ImportError::Interrupted {
                import_id,
                applied: report.created + report.merged,
                contacts,
                source,
            })?;
        report.created += counts.created;
        report.merged += counts.merged;
        report.consent_given += counts.consent_given;
        tokio::task::yield_now().await;
    }
    imports::finish_import(db, import_id, Utc::now()).await?;
    tracing::info!(
        lines = report.lines,
        created = report.created,
        merged = report.merged,
        rejected = report.rejected.len(),
        "contacts imported"
    );
    Ok(report)
}
