//! Contacts: one row per WhatsApp user — the customer's identity.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::{from_ms, parse_stored, to_ms, DbError, DbExecutor, DbResult};
use crate::model::{ConsentSource, Contact, NameSource, Outcome, WaId};

/// The contact columns [`ContactRow`] reads, qualified by `alias` (e.g. `"ct."`, or `""`
/// where SQLite allows no qualifier, as in `RETURNING`).
pub fn contact_columns(alias: &str) -> String {
    [
        "id AS contact_id",
        "wa_id",
        "name",
        "name_source",
        "profile_name",
        "first_seen_at",
        "last_seen_at",
        "last_inbound_at",
        "opted_out_at",
        "last_outcome",
        "notes",
        "language",
        "consent_at",
        "consent_source",
    ]
    .map(|column| format!("{alias}{column}"))
    .join(", ")
}

#[derive(FromRow)]
pub struct ContactRow {
    pub contact_id: i64,
    pub wa_id: String,
    pub name: Option<String>,
    pub name_source: Option<String>,
    pub profile_name: Option<String>,
    pub first_seen_at: i64,
    pub last_seen_at: i64,
    pub last_inbound_at: Option<i64>,
    pub opted_out_at: Option<i64>,
    pub last_outcome: Option<String>,
    pub notes: String,
    pub language: Option<String>,
    pub consent_at: Option<i64>,
    pub consent_source: Option<String>,
}

impl ContactRow {
    pub fn into_contact(self) -> DbResult<Contact> {
        Ok(Contact {
            id: self.contact_id,
            wa_id: self.wa_id,
            name: self.name,
            name_source: self
                .name_source
                .map(|s| parse_stored("name source", &s, NameSource::parse))
                .transpose()?,
            profile_name: self.profile_name,
            first_seen_at: from_ms(self.first_seen_at),
            last_seen_at: from_ms(self.last_seen_at),
            last_inbound_at: self.last_inbound_at.map(from_ms),
            opted_out_at: self.opted_out_at.map(from_ms),
            last_outcome: self
                .last_outcome
                .map(|s| parse_stored("outcome", &s, Outcome::parse))
                .transpose()?,
            notes: self.notes,
            language: self.language,
            consent_at: self.consent_at.map(from_ms),
            consent_source: self
                .consent_source
                .map(|s| parse_stored("consent source", &s, ConsentSource::parse))
                .transpose()?,
        })
    }
}

/// The insert-or-update of [`get_or_create_contact`], without its `RETURNING`: `$1` the
/// WhatsApp id, `$2` the profile name, `$3` now, `$4` the time of their message.
pub(super) const UPSERT_CONTACT: &str =
    "INSERT INTO contacts (wa_id, profile_name, first_seen_at, last_seen_at, last_inbound_at) \
     VALUES ($1, $2, $3, $3, $4) \
     ON CONFLICT (wa_id) DO UPDATE SET \
       profile_name = COALESCE(excluded.profile_name, contacts.profile_name), \
       last_seen_at = CASE WHEN excluded.last_seen_at > contacts.last_seen_at \
                      THEN excluded.last_seen_at ELSE contacts.last_seen_at END, \
       last_inbound_at = CASE WHEN contacts.last_inbound_at IS NULL \
                           OR excluded.last_inbound_at > contacts.last_inbound_at \
                         THEN COALESCE(excluded.last_inbound_at, contacts.last_inbound_at) \
                         ELSE contacts.last_inbound_at END";

/// Finds the contact for a WhatsApp number, creating it on first contact. `inbound_at` is
/// the time of a message they sent, which opens WhatsApp's 24-hour window.
///
/// One statement does all of it, so two first messages arriving at once from a new number
/// still produce exactly one contact: the second insert turns into an update.
pub async fn get_or_create_contact(
    mut db: impl DbExecutor,
    wa_id: &WaId,
    profile_name: Option<&str>,
    now: DateTime<Utc>,
    inbound_at: Option<DateTime<Utc>>,
) -> DbResult<Contact> {
    let sql = format!("{} RETURNING {}", UPSERT_CONTACT, contact_columns(""));
    let row: ContactRow = sqlx::query_as(&sql)
        .bind(wa_id.as_str())
        .bind(profile_name)
        .bind(to_ms(now))
        .bind(inbound_at.map(to_ms))
        .fetch_one(&mut *db.writer().await?)
        .await?;
    row.into_contact()
}

pub async fn get_contact(mut db: impl DbExecutor, id: i64) -> DbResult<Contact> {
    let sql = format!("SELECT {} FROM contacts ct WHERE ct.id = $1", contact_columns("ct."));
    let row: Option<ContactRow> = sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(&mut *db.reader().await?)
        .await?;
    row.ok_or(DbError::NotFound("contact"))?.into_contact()
}

pub async fn find_contact_by_wa_id(mut db: impl DbExecutor, wa_id: &WaId) -> DbResult<Option<Contact>> {
    let sql = format!("SELECT {} FROM contacts ct WHERE ct.wa_id = $1", contact_columns("ct."));
    let row: Option<ContactRow> = sqlx::query_as(&sql)
        .bind(wa_id.as_str())
        .fetch_optional(&mut *db.reader().await?)
        .await?;
    row.map(ContactRow::into_contact).transpose()
}

/// Sets or clears a contact's name, remembering who gave it.
pub async fn set_name(
    mut db: impl DbExecutor,
    contact_id: i64,
    name: Option<&str>,
    source: NameSource,
) -> DbResult<()> {
    let done = sqlx::query("UPDATE contacts SET name = $1, name_source = $2 WHERE id = $3")
        .bind(name)
        .bind(name.map(|_| source.as_str()))
        .bind(contact_id)
        .execute(&mut *db.writer().await?)
        .await?;
    expect_one(done.rows_affected(), "contact")
}

pub async fn set_notes(mut db: impl DbExecutor, contact_id: i64, notes: &str) -> DbResult<()> {
    let done = sqlx::query("UPDATE contacts SET notes = $1 WHERE id = $2")
        .bind(notes)
        .bind(contact_id)
        .execute(&mut *db.writer().await?)
        .await?;
    expect_one(done.rows_affected(), "contact")
}

/// Sets the language we write to the contact in (a catalog code such as `es`), or forgets it.
pub async fn set_language(mut db: impl DbExecutor, contact_id: i64, language: Option<&str>) -> DbResult<()> {
    let done = sqlx::query("UPDATE contacts SET language = $1 WHERE id = $2")
        .bind(language)
        .bind(contact_id)
        .execute(&mut *db.writer().await?)
        .await?;
    expect_one(done.rows_affected(), "contact")
}

pub async fn set_outcome(
    mut db: impl DbExecutor,
    contact_id: i64,
    outcome: Outcome,
    now: DateTime<Utc>,
) -> DbResult<()> {
    let done = sqlx::query("UPDATE contacts SET last_outcome = $1, last_outcome_at = $2 WHERE id = $3")
        .bind(outcome.as_str())
        .bind(to_ms(now))
        .bind(contact_id)
        .execute(&mut *db.writer().await?)
        .await?;
    expect_one(done.rows_affected(), "contact")
}

/// Records an inbound message's time: it opens WhatsApp's 24-hour window.
pub async fn record_inbound(mut db: impl DbExecutor, contact_id: i64, at: DateTime<Utc>) -> DbResult<()> {
    let done = sqlx::query(
        "UPDATE contacts SET last_inbound_at = CASE WHEN last_inbound_at IS NULL OR last_inbound_at < $1 \
         THEN $1 ELSE last_inbound_at END WHERE id = $2",
    )
    .bind(to_ms(at))
    .bind(contact_id)
    .execute(&mut *db.writer().await?)
    .await?;
    expect_one(done.rows_affected(), "contact")
}

/// Opting out (STOP) or back in (START); opting out also becomes the contact's outcome.
pub async fn set_opted_out(
    mut db: impl DbExecutor,
    contact_id: i64,
    opted_out: bool,
    now: DateTime<Utc>,
) -> DbResult<()> {
    let done = if opted_out {
        sqlx::query(
            "UPDATE contacts SET opted_out_at = $1, last_outcome = 'opted_out', last_outcome_at = $1 WHERE id = $2",
        )
        .bind(to_ms(now))
        .bind(contact_id)
        .execute(&mut *db.writer().await?)
        .await?
    } else {
        sqlx::query("UPDATE contacts SET opted_out_at = NULL WHERE id = $1")
            .bind(contact_id)
            .execute(&mut *db.writer().await?)
            .await?
    };
    expect_one(done.rows_affected(), "contact")
}

/// Records marketing consent given now by `source`, or (with `None`) withdraws it. Consent
/// already given keeps its original time and source: it answers "since when, and who said so".
pub async fn set_consent(
    mut db: impl DbExecutor,
    contact_id: i64,
    source: Option<ConsentSource>,
    now: DateTime<Utc>,
) -> DbResult<()> {
    let done = match source {
        Some(source) => {
            sqlx::query(
                "UPDATE contacts SET consent_at = COALESCE(consent_at, $1), \
                 consent_source = COALESCE(consent_source, $2) WHERE id = $3",
            )
            .bind(to_ms(now))
            .bind(source.as_str())
            .bind(contact_id)
            .execute(&mut *db.writer().await?)
            .await?
        }
        None => {
            sqlx::query("UPDATE contacts SET consent_at = NULL, consent_source = NULL WHERE id = $1")
                .bind(contact_id)
                .execute(&mut *db.writer().await?)
                .await?
        }
    };
    expect_one(done.rows_affected(), "contact")
}

pub(super) fn expect_one(rows: u64, what: &'static str) -> DbResult<()> {
    if rows == 0 {
        Err(DbError::NotFound(what))
    } else {
        Ok(())
    }
}
