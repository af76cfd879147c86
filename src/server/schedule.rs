//! The back office's edits of who works when: staff members (services and weekly hours),
//! their time off, the business's weekly hours and its closures. As with services, each edit
//! is checked whole first, written in one transaction, and the receptionist's knowledge is
//! reloaded after it. Days or hours that would close over booked appointments are not saved
//! until the owner says to keep those appointments booked.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;

use super::backoffice::EditError;
use super::booking::{at_local, KnowledgeCache};
use super::db::backoffice::{appointment_counts, AppointmentsOf};
use super::db::schedule::{self, BookedRow};
use super::db::{knowledge, Db, DbError};
use crate::model::{
    format_wa_id, validate_week, BookedInside, DaysForm, DaysOutcome, Period, PeriodForm, Schedule, StaffEntry,
    StaffForm,
};

/// Everything the Staff and "Hours & closures" sections show.
pub async fn load(db: &Db, tz: Tz, now: DateTime<Utc>) -> Result<Schedule, EditError> {
    let staff_services = knowledge::list_staff_services(db).await?;
    let hours = schedule::list_staff_hours(db).await?;
    let time_off = schedule::list_time_off(db).await?;
    let staff = knowledge::list_staff(db)
        .await?
        .into_iter()
        .map(|member| StaffEntry {
            service_ids: staff_services
                .iter()
                .filter(|(staff, _)| *staff == member.id)
                .map(|(_, service)| *service)
                .collect(),
            hours: hours
                .iter()
                .filter(|(staff, _)| *staff == member.id)
                .map(|(_, period)| *period)
                .collect(),
            time_off: time_off.iter().filter(|t| t.staff_id == member.id).cloned().collect(),
            member,
        })
        .collect();
    Ok(Schedule {
        staff,
        services: knowledge::list_services(db)
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect(),
        hours: knowledge::list_business_hours(db).await?,
        closures: knowledge::list_closures(db).await?,
        today: now.with_timezone(&tz).date_naive(),
    })
}

/// Creates or changes a staff member with their services and weekly hours; returns their id.
pub async fn save_staff(db: &Db, cache: &KnowledgeCache, form: &StaffForm) -> Result<i64, EditError> {
    let staff = form.validate().map_err(EditError::Invalid)?;
    let name = staff.name.clone();
    let id = db
        .transaction(move |tx| {
            Box::pin(async move {
                let id = match staff.id {
                    Some(id) => {
                        schedule::update_staff(&mut *tx, id, &staff).await?;
                        id
                    }
                    None => schedule::insert_staff(&mut *tx, &staff).await?,
                };
                schedule::set_staff_services(&mut *tx, id, &staff.service_ids).await?;
                schedule::set_staff_hours(&mut *tx, id, &staff.hours).await?;
                Ok::<_, DbError>(id)
            })
        })
        .await
        .map_err(|error| match error {
            DbError::Conflict(_) => EditError::Invalid(format!(
                "There is already a staff member called “{name}”. Choose another name, or edit that one."
            )),
            DbError::MissingReference(_) => {
                EditError::Invalid("One of the chosen services no longer exists. Reload the page and try again.".into())
            }
            other => other.into(),
        })?;
    cache.invalidate().await;
    Ok(id)
}

/// Deletes a staff member who has no appointments; with future ones it is refused saying
/// how many, with only past ones too (the history keeps them): making them inactive is the
/// way to stop offering them either way.
pub async fn delete_staff(db: &Db, cache: &KnowledgeCache, id: i64, now: DateTime<Utc>) -> Result<(), EditError> {
    db.transaction(move |tx| {
        Box::pin(async move {
            let (future, all) = appointment_counts(&mut *tx, AppointmentsOf::Staff(id), now).await?;
            if future > 0 {
                let appointments = if future == 1 {
                    "they have 1 future appointment booked".to_string()
                } else {
                    format!("they have {future} future appointments booked")
                };
                return Err(EditError::Conflict(format!(
                    "This staff member cannot be deleted: {appointments}. \
                     Make them inactive instead: customers can no longer book them, and those appointments stay."
                )));
            }
            if all > 0 {
                return Err(EditError::Conflict(
                    "This staff member cannot be deleted: past appointments refer to them. \
                     Make them inactive instead, so customers can no longer book them."
                        .into(),
                ));
            }
            schedule::delete_staff(&mut *tx, id).await?;
            Ok(())
        })
    })
    .await?;
    cache.invalidate().await;
    Ok(())
}

/// Makes `periods` the business's weekly hours (all of them: a weekday left out is closed).
/// When booked appointments from `now` on would fall outside them and `keep_booked` is
/// false, nothing is saved and they are listed; with `keep_booked`, the hours are saved and
/// they stay booked.
pub async fn save_business_hours(
    db: &Db,
    cache: &KnowledgeCache,
    tz: Tz,
    periods: &[PeriodForm],
    keep_booked: bool,
    now: DateTime<Utc>,
) -> Result<DaysOutcome, EditError> {
    let hours = validate_week(periods).map_err(EditError::Invalid)?;
    let outcome = db
        .transaction(move |tx| {
            Box::pin(async move {
                if !keep_booked {
                    let booked = schedule::booked_between(&mut *tx, now, DateTime::<Utc>::MAX_UTC, None).await?;
                    let outside: Vec<BookedInside> = booked
                        .iter()
                        .filter(|row| !within_hours(&hours, tz, row))
                        .map(|row| booked_inside(tz, row))
                        .collect();
                    if !outside.is_empty() {
                        return Ok(DaysOutcome::BookedInside { appointments: outside });
                    }
                }
                schedule::replace_business_hours(&mut *tx, &hours).await?;
                Ok::<_, DbError>(DaysOutcome::Saved { id: 0 })
            })
        })
        .await?;
    if matches!(outcome, DaysOutcome::Saved { .. }) {
        cache.invalidate().await;
    }
    Ok(outcome)
}

/// Whether a booked appointment lies inside one of the weekly `hours` of its local day.
fn within_hours(hours: &[Period], tz: Tz, row: &BookedRow) -> bool {
    let (starts, ends) = (row.starts_at().with_timezone(&tz), row.ends_at().with_timezone(&tz));
    let weekday = i64::from(starts.weekday().num_days_from_monday());
    let minute = |t: chrono::DateTime<Tz>| i64::from(t.hour() * 60 + t.minute());
    // One that runs past midnight ends at the end of its first day, as far as hours go.
    let end = if ends.date_naive() == starts.date_naive() {
        minute(ends)
    } else {
        24 * 60
    };
    hours
        .iter()
        .any(|p| p.weekday == weekday && p.starts_minute <= minute(starts) && end <= p.ends_minute)
}

/// Days that close the whole business (`staff_id` empty) or keep one staff member away.
#[derive(Clone, Copy, Debug)]
enum Days {
    Closure,
    TimeOff { staff_id: i64 },
}

/// Adds a closure. When booked appointments fall on its days and `keep_booked` is false,
/// nothing is saved and they are listed; with `keep_booked`, it is saved and they stay booked.
pub async fn add_closure(
    db: &Db,
    cache: &KnowledgeCache,
    tz: Tz,
    form: &DaysForm,
    keep_booked: bool,
    now: DateTime<Utc>,
) -> Result<DaysOutcome, EditError> {
    add_days(db, cache, tz, Days::Closure, form, keep_booked, now).await
}

/// Adds time off for a staff member, as [`add_closure`] does for the business.
pub async fn add_time_off(
    db: &Db,
    cache: &KnowledgeCache,
    tz: Tz,
    staff_id: i64,
    form: &DaysForm,
    keep_booked: bool,
    now: DateTime<Utc>,
) -> Result<DaysOutcome, EditError> {
    add_days(db, cache, tz, Days::TimeOff { staff_id }, form, keep_booked, now).await
}

async fn add_days(
    db: &Db,
    cache: &KnowledgeCache,
    tz: Tz,
    days: Days,
    form: &DaysForm,
    keep_booked: bool,
    now: DateTime<Utc>,
) -> Result<DaysOutcome, EditError> {
    let what = match days {
        Days::Closure => "closure",
        Days::TimeOff { .. } => "time off",
    };
    let valid = form
        .validate(what, matches!(days, Days::Closure))
        .map_err(EditError::Invalid)?;
    if valid.ends_on < now.with_timezone(&tz).date_naive() {
        return Err(EditError::Invalid(format!(
            "That {what} is over already: choose days from today on."
        )));
    }
    let (from, to) = local_span(tz, valid.starts_on, valid.ends_on)?;
    let outcome = db
        .transaction(move |tx| {
            Box::pin(async move {
                let staff_id = match days {
                    Days::Closure => None,
                    Days::TimeOff { staff_id } => Some(staff_id),
                };
                let booked = schedule::booked_between(&mut *tx, from, to, staff_id).await?;
                if !booked.is_empty() && !keep_booked {
                    let appointments = booked.iter().map(|row| booked_inside(tz, row)).collect();
                    return Ok(DaysOutcome::BookedInside { appointments });
                }
                let id = match days {
                    Days::Closure => {
                        knowledge::insert_closure(&mut *tx, valid.starts_on, valid.ends_on, &valid.reason).await?
                    }
                    Days::TimeOff { staff_id } => {
                        schedule::insert_time_off(&mut *tx, staff_id, valid.starts_on, valid.ends_on, &valid.reason)
                            .await?
                    }
                };
                Ok::<_, DbError>(DaysOutcome::Saved { id })
            })
        })
        .await
        .map_err(|error| match error {
            DbError::MissingReference(_) => {
                EditError::Invalid("That staff member no longer exists. Reload the page and try again.".into())
            }
            other => other.into(),
        })?;
    if matches!(outcome, DaysOutcome::Saved { .. }) {
        cache.invalidate().await;
    }
    Ok(outcome)
}

pub async fn delete_closure(db: &Db, cache: &KnowledgeCache, id: i64) -> Result<(), EditError> {
    schedule::delete_closure(db, id).await?;
    cache.invalidate().await;
    Ok(())
}

pub async fn delete_time_off(db: &Db, cache: &KnowledgeCache, id: i64) -> Result<(), EditError> {
    schedule::delete_time_off(db, id).await?;
    cache.invalidate().await;
    Ok(())
}

/// From local midnight of the first day to local midnight after the last.
fn local_span(tz: Tz, first: NaiveDate, last: NaiveDate) -> Result<(DateTime<Utc>, DateTime<Utc>), EditError> {
    let midnight = |date: NaiveDate| {
        at_local(tz, date, 0, 0).ok_or_else(|| EditError::Invalid("Those days are out of range.".into()))
    };
    Ok((midnight(first)?, midnight(last + Duration::days(1))?))
}

fn booked_inside(tz: Tz, row: &BookedRow) -> BookedInside {
    BookedInside {
        appointment_id: row.id,
        when: row
            .starts_at()
            .with_timezone(&tz)
            .format("%a %-d %b %Y, %H:%M")
            .to_string(),
        service: row.service.clone(),
        staff: row.staff.clone(),
        customer: row
            .customer_name
            .clone()
            .filter(|name| !name.trim().is_empty())
            .unwrap_or_else(|| format_wa_id(&row.wa_id)),
    }
}
