//! What the business offers: services, staff, opening hours, FAQs, and the appointments
//! booked against them.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::FromRow;

use super::{from_ms, parse_stored, to_ms, DbError, DbExecutor, DbResult};
use crate::model::{Appointment, AppointmentStatus, BookingSource, Closure, Faq, OpeningHours, Service, StaffMember};

pub async fn list_services(mut db: impl DbExecutor) -> DbResult<Vec<Service>> {
    #[derive(FromRow)]
    struct Row {
        id: i64,
        name: String,
        description: String,
        duration_minutes: i64,
        price_cents: i64,
        active: i64,
        aliases: String,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, name, description, duration_minutes, price_cents, active, aliases FROM services ORDER BY name",
    )
    .fetch_all(&mut *db.reader().await?)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Service {
            id: r.id,
            name: r.name,
            description: r.description,
            duration_minutes: r.duration_minutes,
            price_cents: r.price_cents,
            active: r.active != 0,
            aliases: r.aliases,
        })
        .collect())
}

/// `aliases`: other words customers use for the service, comma-separated.
pub async fn insert_service(
    mut db: impl DbExecutor,
    name: &str,
    description: &str,
    duration_minutes: i64,
    price_cents: i64,
    aliases: &str,
) -> DbResult<i64> {
    let id = sqlx::query_scalar(
        "INSERT INTO services (name, description, duration_minutes, price_cents, aliases) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(name)
    .bind(description)
    .bind(duration_minutes)
    .bind(price_cents)
    .bind(aliases)
    .fetch_one(&mut *db.writer().await?)
    .await?;
    Ok(id)
}

pub async fn list_staff(mut db: impl DbExecutor) -> DbResult<Vec<StaffMember>> {
    #[derive(FromRow)]
    struct Row {
        id: i64,
        name: String,
        role_title: String,
        active: i64,
    }
    let rows: Vec<Row> = sqlx::query_as("SELECT id, name, role_title, active FROM staff ORDER BY name")
        .fetch_all(&mut *db.reader().await?)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| StaffMember {
            id: r.id,
            name: r.name,
            role_title: r.role_title,
            active: r.active != 0,
        })
        .collect())
}

pub async fn insert_staff(mut db: impl DbExecutor, name: &str, role_title: &str) -> DbResult<i64> {
    let id = sqlx::query_scalar("INSERT INTO staff (name, role_title) VALUES ($1, $2) RETURNING id")
        .bind(name)
        .bind(role_title)
        .fetch_one(&mut *db.writer().await?)
        .await?;
    Ok(id)
}

pub async fn assign_service(mut db: impl DbExecutor, staff_id: i64, service_id: i64) -> DbResult<()> {
    sqlx::query("INSERT INTO staff_services (staff_id, service_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(staff_id)
        .bind(service_id)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(())
}

pub async fn list_business_hours(mut db: impl DbExecutor) -> DbResult<Vec<OpeningHours>> {
    #[derive(FromRow)]
    struct Row {
        weekday: i64,
        opens_minute: i64,
        closes_minute: i64,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT weekday, opens_minute, closes_minute FROM business_hours ORDER BY weekday, opens_minute",
    )
    .fetch_all(&mut *db.reader().await?)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| OpeningHours {
            weekday: r.weekday,
            opens_minute: r.opens_minute,
            closes_minute: r.closes_minute,
        })
        .collect())
}

pub async fn insert_business_hours(mut db: impl DbExecutor, hours: &OpeningHours) -> DbResult<()> {
    sqlx::query("INSERT INTO business_hours (weekday, opens_minute, closes_minute) VALUES ($1, $2, $3)")
        .bind(hours.weekday)
        .bind(hours.opens_minute)
        .bind(hours.closes_minute)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(())
}

pub async fn list_faqs(mut db: impl DbExecutor) -> DbResult<Vec<Faq>> {
    #[derive(FromRow)]
    struct Row {
        id: i64,
        question: String,
        answer: String,
    }
    let rows: Vec<Row> = sqlx::query_as("SELECT id, question, answer FROM faqs ORDER BY id")
        .fetch_all(&mut *db.reader().await?)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Faq {
            id: r.id,
            question: r.question,
            answer: r.answer,
        })
        .collect())
}

pub async fn insert_faq(mut db: impl DbExecutor, question: &str, answer: &str) -> DbResult<i64> {
    let id = sqlx::query_scalar("INSERT INTO faqs (question, answer) VALUES ($1, $2) RETURNING id")
        .bind(question)
        .bind(answer)
        .fetch_one(&mut *db.writer().await?)
        .await?;
    Ok(id)
}

/// Every closure, in date order.
pub async fn list_closures(mut db: impl DbExecutor) -> DbResult<Vec<Closure>> {
    #[derive(FromRow)]
    struct Row {
        id: i64,
        starts_on: String,
        ends_on: String,
        reason: String,
    }
    let rows: Vec<Row> = sqlx::query_as("SELECT id, starts_on, ends_on, reason FROM closures ORDER BY starts_on, id")
        .fetch_all(&mut *db.reader().await?)
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Closure {
                id: r.id,
                starts_on: parse_stored("closure start", &r.starts_on, parse_date)?,
                ends_on: parse_stored("closure end", &r.ends_on, parse_date)?,
                reason: r.reason,
            })
        })
        .collect()
}

/// A closure from `starts_on` to `ends_on` inclusive; the database refuses an end before
/// the start.
pub async fn insert_closure(
    mut db: impl DbExecutor,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    reason: &str,
) -> DbResult<i64> {
    let id = sqlx::query_scalar("INSERT INTO closures (starts_on, ends_on, reason) VALUES ($1, $2, $3) RETURNING id")
        .bind(starts_on.format(DATE_FORMAT).to_string())
        .bind(ends_on.format(DATE_FORMAT).to_string())
        .bind(reason)
        .fetch_one(&mut *db.writer().await?)
        .await?;
    Ok(id)
}

/// How closure days are stored: text that sorts in date order in both databases.
const DATE_FORMAT: &str = "%Y-%m-%d";

fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, DATE_FORMAT).ok()
}

#[derive(Clone, Debug)]
pub struct NewAppointment {
    pub contact_id: i64,
    pub service_id: i64,
    pub staff_id: i64,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub status: AppointmentStatus,
    pub source: BookingSource,
    pub campaign_id: Option<i64>,
    pub price_cents: i64,
    pub created_at: DateTime<Utc>,
}

pub async fn insert_appointment(mut db: impl DbExecutor, new: &NewAppointment) -> DbResult<i64> {
    let id = sqlx::query_scalar(
        "INSERT INTO appointments (contact_id, service_id, staff_id, starts_at, ends_at, status, source, \
         campaign_id, price_cents, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(new.contact_id)
    .bind(new.service_id)
    .bind(new.staff_id)
    .bind(to_ms(new.starts_at))
    .bind(to_ms(new.ends_at))
    .bind(new.status.as_str())
    .bind(new.source.as_str())
    .bind(new.campaign_id)
    .bind(new.price_cents)
    .bind(to_ms(new.created_at))
    .fetch_one(&mut *db.writer().await?)
    .await?;
    Ok(id)
}

/// A contact's appointments, past and upcoming, newest first.
pub async fn appointments_for_contact(db: impl DbExecutor, contact_id: i64) -> DbResult<Vec<Appointment>> {
    use super::appointments::{list, Which};
    // Local times are not needed here: any zone will do.
    let listed = list(db, Which::OfContact(contact_id), chrono_tz::UTC).await?;
    Ok(listed.into_iter().map(|scheduled| scheduled.appointment).collect())
}

/// Which staff member performs which service, as (staff id, service id).
pub async fn list_staff_services(mut db: impl DbExecutor) -> DbResult<Vec<(i64, i64)>> {
    Ok(
        sqlx::query_as("SELECT staff_id, service_id FROM staff_services ORDER BY staff_id, service_id")
            .fetch_all(&mut *db.reader().await?)
            .await?,
    )
}

/// Takes the lock on one staff member's bookings until the transaction ends: a write to
/// their row, which PostgreSQL holds per row and SQLite for the whole database. Bookings
/// take it before checking for overlaps, so a check and its insert never interleave with
/// another booking for that person, in this process or another.
pub async fn lock_staff_bookings(mut db: impl DbExecutor, staff_id: i64) -> DbResult<()> {
    let done = sqlx::query("UPDATE staff SET booking_seq = booking_seq + 1 WHERE id = $1")
        .bind(staff_id)
        .execute(&mut *db.writer().await?)
        .await?;
    match done.rows_affected() {
        1 => Ok(()),
        _ => Err(DbError::NotFound("staff member")),
    }
}

/// Booked time of one staff member that overlaps `[from, to)`, leaving out the appointment
/// being moved (`except`), whose own time is not in its way.
pub async fn busy_intervals(
    mut db: impl DbExecutor,
    staff_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    except: Option<i64>,
) -> DbResult<Vec<(DateTime<Utc>, DateTime<Utc>)>> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT starts_at, ends_at FROM appointments WHERE staff_id = $1 AND status = 'booked' \
         AND starts_at < $3 AND ends_at > $2 AND id <> $4",
    )
    .bind(staff_id)
    .bind(to_ms(from))
    .bind(to_ms(to))
    .bind(except.unwrap_or(0))
    .fetch_all(&mut *db.reader().await?)
    .await?;
    Ok(rows.into_iter().map(|(s, e)| (from_ms(s), from_ms(e))).collect())
}

/// The contact's next booked appointment, if any.
pub async fn next_appointment(
    mut db: impl DbExecutor,
    contact_id: i64,
    now: DateTime<Utc>,
) -> DbResult<Option<Appointment>> {
    Ok(appointments_for_contact(&mut db, contact_id)
        .await?
        .into_iter()
        .filter(|a| a.status == AppointmentStatus::Booked && a.starts_at > now)
        .min_by_key(|a| a.starts_at))
}

/// Cancels one booked appointment; false when it was no longer booked.
pub async fn cancel_appointment(mut db: impl DbExecutor, appointment_id: i64) -> DbResult<bool> {
    let done = sqlx::query("UPDATE appointments SET status = 'cancelled' WHERE id = $1 AND status = 'booked'")
        .bind(appointment_id)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves a booked appointment to another time (and perhaps another staff member); false when
/// it was no longer booked. The caller holds the staff lock and has checked the new time.
pub async fn move_appointment(
    mut db: impl DbExecutor,
    appointment_id: i64,
    staff_id: i64,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
) -> DbResult<bool> {
    let done = sqlx::query(
        "UPDATE appointments SET staff_id = $2, starts_at = $3, ends_at = $4 WHERE id = $1 AND status = 'booked'",
    )
    .bind(appointment_id)
    .bind(staff_id)
    .bind(to_ms(starts_at))
    .bind(to_ms(ends_at))
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(done.rows_affected() == 1)
}
