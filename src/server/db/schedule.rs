//! Who works when: staff members' weekly hours and time off, the business's weekly hours and
//! closures, and the booked appointments on days about to close. Each function is one or a
//! few statements on the caller's executor; `server::schedule` decides the transaction.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::FromRow;

use super::{from_ms, parse_stored, to_ms, DbError, DbExecutor, DbResult};
use crate::model::{Period, TimeOff, ValidStaff};

/// How days are stored: text that sorts in date order in both databases (as closures).
const DATE_FORMAT: &str = "%Y-%m-%d";

fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, DATE_FORMAT).ok()
}

fn date_text(date: NaiveDate) -> String {
    date.format(DATE_FORMAT).to_string()
}

/// Every staff member's working periods as (staff id, period), by staff, weekday and start.
pub async fn list_staff_hours(mut db: impl DbExecutor) -> DbResult<Vec<(i64, Period)>> {
    let rows: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT staff_id, weekday, starts_minute, ends_minute FROM staff_hours \
         ORDER BY staff_id, weekday, starts_minute",
    )
    .fetch_all(&mut *db.reader().await?)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(staff_id, weekday, starts_minute, ends_minute)| {
            (
                staff_id,
                Period {
                    weekday,
                    starts_minute,
                    ends_minute,
                },
            )
        })
        .collect())
}

/// Every staff member's time off, in date order.
pub async fn list_time_off(mut db: impl DbExecutor) -> DbResult<Vec<TimeOff>> {
    #[derive(FromRow)]
    struct Row {
        id: i64,
        staff_id: i64,
        starts_on: String,
        ends_on: String,
        reason: String,
    }
    let rows: Vec<Row> =
        sqlx::query_as("SELECT id, staff_id, starts_on, ends_on, reason FROM staff_time_off ORDER BY starts_on, id")
            .fetch_all(&mut *db.reader().await?)
            .await?;
    rows.into_iter()
        .map(|r| {
            Ok(TimeOff {
                id: r.id,
                staff_id: r.staff_id,
                starts_on: parse_stored("time off start", &r.starts_on, parse_date)?,
                ends_on: parse_stored("time off end", &r.ends_on, parse_date)?,
                reason: r.reason,
            })
        })
        .collect()
}

/// Inserts the staff member (`staff.id` is ignored) and returns their id.
pub async fn insert_staff(mut db: impl DbExecutor, staff: &ValidStaff) -> DbResult<i64> {
    let id = sqlx::query_scalar("INSERT INTO staff (name, role_title, active) VALUES ($1, $2, $3) RETURNING id")
        .bind(&staff.name)
        .bind(&staff.role_title)
        .bind(i64::from(staff.active))
        .fetch_one(&mut *db.writer().await?)
        .await?;
    Ok(id)
}

pub async fn update_staff(mut db: impl DbExecutor, id: i64, staff: &ValidStaff) -> DbResult<()> {
    let done = sqlx::query("UPDATE staff SET name = $2, role_title = $3, active = $4 WHERE id = $1")
        .bind(id)
        .bind(&staff.name)
        .bind(&staff.role_title)
        .bind(i64::from(staff.active))
        .execute(&mut *db.writer().await?)
        .await?;
    match done.rows_affected() {
        1 => Ok(()),
        _ => Err(DbError::NotFound("staff member")),
    }
}

/// Makes `service_ids` the services the staff member performs, and no others.
pub async fn set_staff_services(mut db: impl DbExecutor, staff_id: i64, service_ids: &[i64]) -> DbResult<()> {
    let mut conn = db.writer().await?;
    sqlx::query("DELETE FROM staff_services WHERE staff_id = $1")
        .bind(staff_id)
        .execute(&mut *conn)
        .await?;
    for service_id in service_ids {
        sqlx::query("INSERT INTO staff_services (staff_id, service_id) VALUES ($1, $2)")
            .bind(staff_id)
            .bind(service_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Makes `hours` the staff member's working periods, and no others.
pub async fn set_staff_hours(mut db: impl DbExecutor, staff_id: i64, hours: &[Period]) -> DbResult<()> {
    let mut conn = db.writer().await?;
    sqlx::query("DELETE FROM staff_hours WHERE staff_id = $1")
        .bind(staff_id)
        .execute(&mut *conn)
        .await?;
    for period in hours {
        sqlx::query("INSERT INTO staff_hours (staff_id, weekday, starts_minute, ends_minute) VALUES ($1, $2, $3, $4)")
            .bind(staff_id)
            .bind(period.weekday)
            .bind(period.starts_minute)
            .bind(period.ends_minute)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Deletes the staff member with their services, hours and time off.
pub async fn delete_staff(db: impl DbExecutor, id: i64) -> DbResult<()> {
    super::delete_row(db, "staff", id, "staff member").await
}

pub async fn insert_time_off(
    mut db: impl DbExecutor,
    staff_id: i64,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    reason: &str,
) -> DbResult<i64> {
    let id = sqlx::query_scalar(
        "INSERT INTO staff_time_off (staff_id, starts_on, ends_on, reason) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(staff_id)
    .bind(date_text(starts_on))
    .bind(date_text(ends_on))
    .bind(reason)
    .fetch_one(&mut *db.writer().await?)
    .await?;
    Ok(id)
}

pub async fn delete_time_off(db: impl DbExecutor, id: i64) -> DbResult<()> {
    super::delete_row(db, "staff_time_off", id, "time off").await
}

/// Makes `hours` the business's weekly opening periods, and no others.
pub async fn replace_business_hours(mut db: impl DbExecutor, hours: &[Period]) -> DbResult<()> {
    let mut conn = db.writer().await?;
    sqlx::query("DELETE FROM business_hours").execute(&mut *conn).await?;
    for period in hours {
        sqlx::query("INSERT INTO business_hours (weekday, opens_minute, closes_minute) VALUES ($1, $2, $3)")
            .bind(period.weekday)
            .bind(period.starts_minute)
            .bind(period.ends_minute)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn delete_closure(db: impl DbExecutor, id: i64) -> DbResult<()> {
    super::delete_row(db, "closures", id, "closure").await
}

/// A booked appointment in a span of time, with what the owner recognises it by.
#[derive(Clone, Debug, FromRow)]
pub struct BookedRow {
    pub id: i64,
    pub starts_at: i64,
    pub ends_at: i64,
    pub service: String,
    pub staff: String,
    pub customer_name: Option<String>,
    pub wa_id: String,
}

impl BookedRow {
    pub fn starts_at(&self) -> DateTime<Utc> {
        from_ms(self.starts_at)
    }

    pub fn ends_at(&self) -> DateTime<Utc> {
        from_ms(self.ends_at)
    }
}

/// Booked appointments starting in `[from, to)`, of one staff member or of anyone, by time.
pub async fn booked_between(
    mut db: impl DbExecutor,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    staff_id: Option<i64>,
) -> DbResult<Vec<BookedRow>> {
    Ok(sqlx::query_as(
        "SELECT a.id, a.starts_at, a.ends_at, sv.name AS service, st.name AS staff, COALESCE(c.name, c.profile_name) AS customer_name, c.wa_id \
         FROM appointments a JOIN services sv ON sv.id = a.service_id JOIN staff st ON st.id = a.staff_id \
         JOIN contacts c ON c.id = a.contact_id \
         WHERE a.status = 'booked' AND a.starts_at >= $1 AND a.starts_at < $2 AND ($3 = 0 OR a.staff_id = $3) \
         ORDER BY a.starts_at, a.id",
    )
    .bind(to_ms(from))
    .bind(to_ms(to))
    .bind(staff_id.unwrap_or(0))
    .fetch_all(&mut *db.reader().await?)
    .await?)
}
