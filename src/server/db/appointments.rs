//! Appointments as the appointments page and the contact panel read them, and the marks
//! staff give them. Booking, moving and cancelling are in `knowledge` beside the overlap
//! checks they need.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sqlx::FromRow;

use super::{from_ms, parse_stored, to_ms, DbError, DbExecutor, DbResult};
use crate::model::{format_wa_id, Appointment, AppointmentStatus, BookingSource, ScheduledAppointment};

/// Which appointments to read.
#[derive(Clone, Copy, Debug)]
pub enum Which {
    /// Starting in `[from, to)`, by staff member then time.
    Starting(DateTime<Utc>, DateTime<Utc>),
    /// Started by then and still `booked`: waiting to be marked, oldest first.
    Unmarked(DateTime<Utc>),
    /// One contact's, newest first.
    OfContact(i64),
    One(i64),
}

/// Most unmarked appointments the page lists at once.
const UNMARKED_LIMIT: i64 = 50;

#[derive(FromRow, serde::Deserialize)]
pub(super) struct Row {
    id: i64,
    contact_id: i64,
    service_id: i64,
    service_name: String,
    staff_id: i64,
    staff_name: String,
    starts_at: i64,
    ends_at: i64,
    status: String,
    source: String,
    price_cents: i64,
    customer_name: Option<String>,
    wa_id: String,
    conversation_id: Option<i64>,
}

/// The appointments `which` asks for, with local times in `tz`.
pub async fn list(mut db: impl DbExecutor, which: Which, tz: Tz) -> DbResult<Vec<ScheduledAppointment>> {
    let (sql, binds) = select(which);
    let mut query = sqlx::query_as(&sql);
    for value in binds {
        query = query.bind(value);
    }
    let rows: Vec<Row> = query.fetch_all(&mut *db.reader().await?).await?;
    rows.into_iter().map(|row| row.into_scheduled(tz)).collect()
}

/// The select of [`list`] for `which` (its rows are [`Row`]s), and the values to bind.
pub(super) fn select(which: Which) -> (String, Vec<i64>) {
    let (filter, order, binds) = match which {
        Which::Starting(from, to) => (
            "a.starts_at >= $1 AND a.starts_at < $2",
            "st.name, a.starts_at, a.id",
            vec![to_ms(from), to_ms(to)],
        ),
        Which::Unmarked(now) => (
            "a.status = 'booked' AND a.starts_at <= $1",
            "a.starts_at, a.id LIMIT $2",
            vec![to_ms(now), UNMARKED_LIMIT],
        ),
        Which::OfContact(contact_id) => ("a.contact_id = $1", "a.starts_at DESC, a.id", vec![contact_id]),
        Which::One(id) => ("a.id = $1", "a.id", vec![id]),
    };
    let sql = format!(
        "SELECT a.id, a.contact_id, a.service_id, sv.name AS service_name, a.staff_id, st.name AS staff_name, \
         a.starts_at, a.ends_at, a.status, a.source, a.price_cents, \
         COALESCE(ct.name, ct.profile_name) AS customer_name, ct.wa_id, cv.id AS conversation_id \
         FROM appointments a JOIN services sv ON sv.id = a.service_id JOIN staff st ON st.id = a.staff_id \
         JOIN contacts ct ON ct.id = a.contact_id LEFT JOIN conversations cv ON cv.contact_id = a.contact_id \
         WHERE {filter} ORDER BY {order}"
    );
    (sql, binds)
}

pub async fn get(db: impl DbExecutor, id: i64, tz: Tz) -> DbResult<ScheduledAppointment> {
    list(db, Which::One(id), tz)
        .await?
        .pop()
        .ok_or(DbError::NotFound("appointment"))
}

/// Marks an appointment that has started (by `now`) attended or a no-show, or corrects the
/// mark; false when it has not started or was cancelled.
pub async fn mark(mut db: impl DbExecutor, id: i64, status: AppointmentStatus, now: DateTime<Utc>) -> DbResult<bool> {
    let done = sqlx::query(
        "UPDATE appointments SET status = $2 WHERE id = $1 AND starts_at <= $3 \
         AND status IN ('booked', 'completed', 'no_show')",
    )
    .bind(id)
    .bind(status.as_str())
    .bind(to_ms(now))
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(done.rows_affected() == 1)
}

impl Row {
    pub(super) fn into_scheduled(self, tz: Tz) -> DbResult<ScheduledAppointment> {
        let (starts_at, ends_at) = (from_ms(self.starts_at), from_ms(self.ends_at));
        Ok(ScheduledAppointment {
            local_start: starts_at.with_timezone(&tz).naive_local(),
            local_end: ends_at.with_timezone(&tz).naive_local(),
            customer: self.customer_name.unwrap_or_else(|| format_wa_id(&self.wa_id)),
            conversation_id: self.conversation_id,
            appointment: Appointment {
                id: self.id,
                contact_id: self.contact_id,
                service_id: self.service_id,
                service_name: self.service_name,
                staff_id: self.staff_id,
                staff_name: self.staff_name,
                starts_at,
                ends_at,
                status: parse_stored("appointment status", &self.status, AppointmentStatus::parse)?,
                source: parse_stored("booking source", &self.source, BookingSource::parse)?,
                price_cents: self.price_cents,
            },
        })
    }
}
