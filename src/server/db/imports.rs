//! CSV imports of contacts: the record of each import and the writing of one chunk of it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{id_list, to_ms, DbExecutor, DbResult};
use crate::model::WaId;

/// One contact as a file gives it, already checked; a file's lines for the same number are
/// merged into one.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportedContact {
    pub wa_id: WaId,
    /// Never blank: a blank name is `None` and never overwrites one.
    pub name: Option<String>,
    pub tags: Vec<String>,
    /// When marketing consent was given; `None` leaves the contact's consent as it is.
    pub consent_at: Option<DateTime<Utc>>,
}

/// What reading the file found, recorded before anything is written.
#[derive(Clone, Debug)]
pub struct NewImport {
    pub user_id: Option<i64>,
    pub file_sha256: String,
    pub lines: u64,
    pub rejected: u64,
    pub duplicates: u64,
    pub contacts: u64,
}

/// What one chunk did to the contacts table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChunkCounts {
    pub created: u64,
    pub merged: u64,
    pub consent_given: u64,
}

/// An import's record: what the file held and, chunk by chunk, what has been written.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ImportRecord {
    pub id: i64,
    pub status: String,
    pub lines: i64,
    pub rejected: i64,
    pub duplicates: i64,
    pub contacts: i64,
    pub applied: i64,
    pub created: i64,
    pub merged: i64,
    pub consent_given: i64,
}

pub async fn start_import(mut db: impl DbExecutor, import: &NewImport, now: DateTime<Utc>) -> DbResult<i64> {
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    Ok(sqlx::query_scalar(
        "INSERT INTO contact_imports (user_id, file_sha256, status, lines, rejected, duplicates, contacts, \
         started_at, updated_at) VALUES ($1, $2, 'running', $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(import.user_id)
    .bind(&import.file_sha256)
    .bind(count(import.lines))
    .bind(count(import.rejected))
    .bind(count(import.duplicates))
    .bind(count(import.contacts))
    .bind(to_ms(now))
    .fetch_one(&mut *db.writer().await?)
    .await?)
}

pub async fn get_import(mut db: impl DbExecutor, id: i64) -> DbResult<ImportRecord> {
    let row = sqlx::query_as(
        "SELECT id, status, lines, rejected, duplicates, contacts, applied, created, merged, consent_given \
         FROM contact_imports WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *db.reader().await?)
    .await?;
    row.ok_or(super::DbError::NotFound("import"))
}

pub async fn finish_import(mut db: impl DbExecutor, id: i64, now: DateTime<Utc>) -> DbResult<()> {
    sqlx::query("UPDATE contact_imports SET status = 'completed', finished_at = $1, updated_at = $1 WHERE id = $2")
        .bind(to_ms(now))
        .bind(id)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(())
}

/// Writes one chunk of an import and advances its record by what the chunk did. Run it in a
/// transaction: the contacts and the counters then change together or not at all.
///
/// New numbers become contacts (first and last seen `now`, an imported name from staff).
/// Existing ones are merged: an imported name replaces one not given by the customer, tags
/// are added, and consent is recorded only where none was given. Running the same chunk
/// again changes nothing more, so a rerun of a file is harmless.
pub async fn apply_chunk(
    mut db: impl DbExecutor,
    import_id: i64,
    chunk: &[ImportedContact],
    now: DateTime<Utc>,
) -> DbResult<ChunkCounts> {
    if chunk.is_empty() {
        return Ok(ChunkCounts::default());
    }
    let mut conn = db.writer().await?;
    let now_ms = to_ms(now);

    // New numbers. Those already there are not returned, whoever created them and when.
    let sql = format!(
        "INSERT INTO contacts (wa_id, name, name_source, first_seen_at, last_seen_at) VALUES {} \
         ON CONFLICT (wa_id) DO NOTHING RETURNING wa_id",
        values(chunk.len(), |i| format!(
            "${}, ${}, ${}, $1, $1",
            3 * i + 2,
            3 * i + 3,
            3 * i + 4
        ))
    );
    let mut insert = sqlx::query_scalar::<_, String>(&sql).bind(now_ms);
    for contact in chunk {
        insert = insert
            .bind(contact.wa_id.as_str())
            .bind(contact.name.as_deref())
            .bind(contact.name.as_ref().map(|_| "staff"));
    }
    let created: std::collections::HashSet<String> = insert.fetch_all(&mut *conn).await?.into_iter().collect();

    // Names for the contacts that were there already, unless the customer gave theirs.
    let renamed: Vec<&ImportedContact> = chunk
        .iter()
        .filter(|c| c.name.is_some() && !created.contains(c.wa_id.as_str()))
        .collect();
    if !renamed.is_empty() {
        let sql = format!(
            "INSERT INTO contacts (wa_id, name, name_source, first_seen_at, last_seen_at) VALUES {} \
             ON CONFLICT (wa_id) DO UPDATE SET name = excluded.name, name_source = 'staff' \
             WHERE contacts.name_source IS NULL OR contacts.name_source <> 'customer'",
            values(renamed.len(), |i| format!(
                "${}, ${}, 'staff', $1, $1",
                2 * i + 2,
                2 * i + 3
            ))
        );
        let mut update = sqlx::query(&sql).bind(now_ms);
        for contact in &renamed {
            update = update.bind(contact.wa_id.as_str()).bind(contact.name.as_deref());
        }
        update.execute(&mut *conn).await?;
    }

    // Consent, where none was given yet; grouped by its time (usually one: the import's).
    let mut by_time: BTreeMap<i64, Vec<&str>> = BTreeMap::new();
    for contact in chunk {
        if let Some(at) = contact.consent_at {
            by_time.entry(to_ms(at)).or_default().push(contact.wa_id.as_str());
        }
    }
    let mut consent_given = 0;
    for (at, wa_ids) in by_time {
        let sql = format!(
            "UPDATE contacts SET consent_at = $1, consent_source = 'import' \
             WHERE consent_at IS NULL AND wa_id IN ({})",
            (0..wa_ids.len())
                .map(|i| format!("${}", i + 2))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut update = sqlx::query(&sql).bind(at);
        for wa_id in wa_ids {
            update = update.bind(wa_id);
        }
        consent_given += update.execute(&mut *conn).await?.rows_affected();
    }

    add_tags(&mut conn, chunk).await?;

    let counts = ChunkCounts {
        created: created.len() as u64,
        merged: (chunk.len() - created.len()) as u64,
        consent_given,
    };
    sqlx::query(
        "UPDATE contact_imports SET applied = applied + $1, created = created + $2, merged = merged + $3, \
         consent_given = consent_given + $4, updated_at = $5 WHERE id = $6",
    )
    .bind(chunk.len() as i64)
    .bind(counts.created as i64)
    .bind(counts.merged as i64)
    .bind(counts.consent_given as i64)
    .bind(now_ms)
    .bind(import_id)
    .execute(&mut *conn)
    .await?;
    Ok(counts)
}

/// Adds the chunk's tags to its contacts (creating tags that do not exist yet).
async fn add_tags(conn: &mut sqlx::AnyConnection, chunk: &[ImportedContact]) -> DbResult<()> {
    let tagged: Vec<&ImportedContact> = chunk.iter().filter(|c| !c.tags.is_empty()).collect();
    if tagged.is_empty() {
        return Ok(());
    }
    let mut names: Vec<&str> = tagged.iter().flat_map(|c| c.tags.iter().map(String::as_str)).collect();
    names.sort_unstable();
    names.dedup();
    let placeholders = |n: usize| (1..=n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "INSERT INTO tags (name) VALUES {} ON CONFLICT (name) DO NOTHING",
        values(names.len(), |i| format!("${}", i + 1))
    );
    let mut insert = sqlx::query(&sql);
    for name in &names {
        insert = insert.bind(*name);
    }
    insert.execute(&mut *conn).await?;

    let sql = format!(
        "SELECT name, id FROM tags WHERE name IN ({})",
        placeholders(names.len())
    );
    let mut select = sqlx::query_as::<_, (String, i64)>(&sql);
    for name in &names {
        select = select.bind(*name);
    }
    let tag_ids: std::collections::HashMap<String, i64> = select.fetch_all(&mut *conn).await?.into_iter().collect();

    let sql = format!(
        "SELECT wa_id, id FROM contacts WHERE wa_id IN ({})",
        placeholders(tagged.len())
    );
    let mut select = sqlx::query_as::<_, (String, i64)>(&sql);
    for contact in &tagged {
        select = select.bind(contact.wa_id.as_str());
    }
    let contact_ids: std::collections::HashMap<String, i64> = select.fetch_all(&mut *conn).await?.into_iter().collect();

    // Our own row ids, so they can be written into the statement (see `id_list`).
    let pairs: Vec<String> = tagged
        .iter()
        .filter_map(|c| contact_ids.get(c.wa_id.as_str()).map(|id| (id, &c.tags)))
        .flat_map(|(contact_id, tags)| {
            tags.iter()
                .filter_map(|t| tag_ids.get(t))
                .map(move |tag_id| format!("({})", id_list(&[*contact_id, *tag_id])))
        })
        .collect();
    if !pairs.is_empty() {
        let sql = format!(
            "INSERT INTO contact_tags (contact_id, tag_id) VALUES {} ON CONFLICT DO NOTHING",
            pairs.join(", ")
        );
        sqlx::query(&sql).execute(&mut *conn).await?;
    }
    Ok(())
}

/// `(…), (…)` for `rows` rows, each written by `row(i)`.
fn values(rows: usize, row: impl Fn(usize) -> String) -> String {
    (0..rows)
        .map(|i| format!("({})", row(i)))
        .collect::<Vec<_>>()
        .join(", ")
}
