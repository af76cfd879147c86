//! The back office's edits of services, FAQs and tags. Each function is one or a few
//! statements on the caller's executor; the caller (`server::backoffice`) decides the
//! transaction.

use chrono::{DateTime, Utc};

use super::{to_ms, DbError, DbExecutor, DbResult};
use crate::model::{TagEntry, ValidService};

/// Inserts the service (`service.id` is ignored) and returns its id.
pub async fn insert_service(mut db: impl DbExecutor, service: &ValidService) -> DbResult<i64> {
    let id = sqlx::query_scalar(
        "INSERT INTO services (name, description, duration_minutes, price_cents, active) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(&service.name)
    .bind(&service.description)
    .bind(service.duration_minutes)
    .bind(service.price_cents)
    .bind(i64::from(service.active))
    .fetch_one(&mut *db.writer().await?)
    .await?;
    Ok(id)
}

/// Changes the service `id` (its aliases stay as they are).
pub async fn update_service(mut db: impl DbExecutor, id: i64, service: &ValidService) -> DbResult<()> {
    let done = sqlx::query(
        "UPDATE services SET name = $2, description = $3, duration_minutes = $4, price_cents = $5, active = $6 \
         WHERE id = $1",
    )
    .bind(id)
    .bind(&service.name)
    .bind(&service.description)
    .bind(service.duration_minutes)
    .bind(service.price_cents)
    .bind(i64::from(service.active))
    .execute(&mut *db.writer().await?)
    .await?;
    match done.rows_affected() {
        1 => Ok(()),
        _ => Err(DbError::NotFound("service")),
    }
}

/// Makes `staff_ids` the staff who perform the service, and nobody else.
pub async fn set_service_staff(mut db: impl DbExecutor, service_id: i64, staff_ids: &[i64]) -> DbResult<()> {
    let mut conn = db.writer().await?;
    sqlx::query("DELETE FROM staff_services WHERE service_id = $1")
        .bind(service_id)
        .execute(&mut *conn)
        .await?;
    for staff_id in staff_ids {
        sqlx::query("INSERT INTO staff_services (staff_id, service_id) VALUES ($1, $2)")
            .bind(staff_id)
            .bind(service_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Whose appointments to count: a service's or a staff member's.
#[derive(Clone, Copy, Debug)]
pub enum AppointmentsOf {
    Service(i64),
    Staff(i64),
}

/// How many appointments of the service or staff member there are: (still booked and
/// starting after `now`, all of them).
pub async fn appointment_counts(
    mut db: impl DbExecutor,
    of: AppointmentsOf,
    now: DateTime<Utc>,
) -> DbResult<(i64, i64)> {
    let (column, id) = match of {
        AppointmentsOf::Service(id) => ("service_id", id),
        AppointmentsOf::Staff(id) => ("staff_id", id),
    };
    let sql = format!(
        "SELECT CAST(COALESCE(SUM(CASE WHEN status = 'booked' AND starts_at > $2 THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COUNT(*) AS BIGINT) FROM appointments WHERE {column} = $1"
    );
    Ok(sqlx::query_as(&sql)
        .bind(id)
        .bind(to_ms(now))
        .fetch_one(&mut *db.reader().await?)
        .await?)
}

/// Deletes the service and who performs it; the caller has checked it has no appointments.
pub async fn delete_service(db: impl DbExecutor, id: i64) -> DbResult<()> {
    super::delete_row(db, "services", id, "service").await
}

pub async fn update_faq(mut db: impl DbExecutor, id: i64, question: &str, answer: &str) -> DbResult<()> {
    let done = sqlx::query("UPDATE faqs SET question = $2, answer = $3 WHERE id = $1")
        .bind(id)
        .bind(question)
        .bind(answer)
        .execute(&mut *db.writer().await?)
        .await?;
    match done.rows_affected() {
        1 => Ok(()),
        _ => Err(DbError::NotFound("FAQ")),
    }
}

pub async fn delete_faq(db: impl DbExecutor, id: i64) -> DbResult<()> {
    super::delete_row(db, "faqs", id, "FAQ").await
}

/// Every tag with how many contacts carry it, by name.
pub async fn list_tag_entries(mut db: impl DbExecutor) -> DbResult<Vec<TagEntry>> {
    let rows: Vec<(i64, String, String, i64)> = sqlx::query_as(
        "SELECT t.id, t.name, t.color, CAST(COUNT(ct.contact_id) AS BIGINT) FROM tags t \
         LEFT JOIN contact_tags ct ON ct.tag_id = t.id GROUP BY t.id, t.name, t.color ORDER BY t.name",
    )
    .fetch_all(&mut *db.reader().await?)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, color, contacts)| TagEntry {
            id,
            name,
            color,
            contacts,
        })
        .collect())
}

pub async fn update_tag(mut db: impl DbExecutor, id: i64, name: &str, color: &str) -> DbResult<()> {
    let done = sqlx::query("UPDATE tags SET name = $2, color = $3 WHERE id = $1")
        .bind(id)
        .bind(name)
        .bind(color)
        .execute(&mut *db.writer().await?)
        .await?;
    match done.rows_affected() {
        1 => Ok(()),
        _ => Err(DbError::NotFound("tag")),
    }
}

/// Moves every contact of tag `from` to tag `into` (a contact with both keeps one) and
/// deletes `from`. Run it in a transaction: a failure half-way would lose tags.
pub async fn merge_tags(mut db: impl DbExecutor, from: i64, into: i64) -> DbResult<()> {
    let mut conn = db.writer().await?;
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM tags WHERE id = $1")
        .bind(into)
        .fetch_optional(&mut *conn)
        .await?;
    if exists.is_none() {
        return Err(DbError::NotFound("tag"));
    }
    sqlx::query(
        "INSERT INTO contact_tags (contact_id, tag_id) SELECT contact_id, $2 FROM contact_tags WHERE tag_id = $1 \
         ON CONFLICT DO NOTHING",
    )
    .bind(from)
    .bind(into)
    .execute(&mut *conn)
    .await?;
    let done = sqlx::query("DELETE FROM tags WHERE id = $1")
        .bind(from)
        .execute(&mut *conn)
        .await?;
    match done.rows_affected() {
        1 => Ok(()),
        _ => Err(DbError::NotFound("tag")),
    }
}

/// The tag's name, or `NotFound`.
pub async fn tag_name(mut db: impl DbExecutor, id: i64) -> DbResult<String> {
    let name: Option<String> = sqlx::query_scalar("SELECT name FROM tags WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *db.reader().await?)
        .await?;
    name.ok_or(DbError::NotFound("tag"))
}

/// The name and stored audience (JSON) of every campaign not completed or cancelled.
pub async fn unfinished_campaign_audiences(mut db: impl DbExecutor) -> DbResult<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT name, audience FROM campaigns WHERE status NOT IN ('completed', 'cancelled') ORDER BY id",
    )
    .fetch_all(&mut *db.reader().await?)
    .await?)
}

/// Deletes the tag; its contacts lose it with it (`contact_tags` cascades).
pub async fn delete_tag(db: impl DbExecutor, id: i64) -> DbResult<()> {
    super::delete_row(db, "tags", id, "tag").await
}
