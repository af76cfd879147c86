//! The server functions of the Staff and "Hours & closures" sections: thin adapters over
//! `server::schedule`. Who may call each is declared in `model::access` (reading: everyone;
//! editing: admins).

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::model::{AppError, DaysForm, DaysOutcome, PeriodForm, Schedule, StaffForm};

#[server(endpoint = "backoffice/schedule")]
pub async fn load_schedule() -> Result<Schedule, AppError> {
    crate::server::error::respond(async move {
        let state = crate::server::session::app_state()?;
        let tz = state.settings.business.timezone;
        Ok(crate::server::schedule::load(&state.db, tz, chrono::Utc::now()).await?)
    })
    .await
}

/// Creates (`form.id` empty) or changes a staff member with their services and weekly
/// hours; returns their id.
#[server(endpoint = "backoffice/staff/save", input = Json)]
pub async fn save_staff(form: StaffForm) -> Result<i64, AppError> {
    crate::server::error::respond(async move {
        let state = crate::server::session::app_state()?;
        Ok(crate::server::schedule::save_staff(&state.db, &state.knowledge, &form).await?)
    })
    .await
}

#[server(endpoint = "backoffice/staff/delete")]
pub async fn delete_staff(staff_id: i64) -> Result<(), AppError> {
    crate::server::error::respond(async move {
        let state = crate::server::session::app_state()?;
        let now = chrono::Utc::now();
        Ok(crate::server::schedule::delete_staff(&state.db, &state.knowledge, staff_id, now).await?)
    })
    .await
}

/// Adds time off; with booked appointments on those days, saves only when `keep_booked`.
#[server(endpoint = "backoffice/staff/time-off/add", input = Json)]
pub async fn add_time_off(staff_id: i64, form: DaysForm, keep_booked: bool) -> Result<DaysOutcome, AppError> {
    crate::server::error::respond(async move {
        let state = crate::server::session::app_state()?;
        let tz = state.settings.business.timezone;
        let now = chrono::Utc::now();
        Ok(
            crate::server::schedule::add_time_off(&state.db, &state.knowledge, tz, staff_id, &form, keep_booked, now)
                .await?,
        )
    })
    .await
}

#[server(endpoint = "backoffice/staff/time-off/delete")]
pub async fn delete_time_off(time_off_id: i64) -> Result<(), AppError> {
    crate::server::error::respond(async move {
        let state = crate::server::session::app_state()?;
        Ok(crate::server::schedule::delete_time_off(&state.db, &state.knowledge, time_off_id).await?)
    })
    .await
}

/// Replaces the business's weekly hours with `periods` (a weekday without any is closed);
/// with booked appointments outside the new hours, saves only when `keep_booked`.
#[server(endpoint = "backoffice/hours/save", input = Json)]
pub async fn save_business_hours(periods: Vec<PeriodForm>, keep_booked: bool) -> Result<DaysOutcome, AppError> {
    crate::server::error::respond(async move {
        let state = crate::server::session::app_state()?;
        let (tz, now) = (state.settings.business.timezone, chrono::Utc::now());
        Ok(
            crate::server::schedule::save_business_hours(&state.db, &state.knowledge, tz, &periods, keep_booked, now)
                .await?,
        )
    })
    .await
}

/// Adds a closure; with booked appointments on those days, saves only when `keep_booked`.
#[server(endpoint = "backoffice/closure/add", input = Json)]
pub async fn add_closure(form: DaysForm, keep_booked: bool) -> Result<DaysOutcome, AppError> {
    crate::server::error::respond(async move {
        let state = crate::server::session::app_state()?;
        let tz = state.settings.business.timezone;
        let now = chrono::Utc::now();
        Ok(crate::server::schedule::add_closure(&state.db, &state.knowledge, tz, &form, keep_booked, now).await?)
    })
    .await
}

#[server(endpoint = "backoffice/closure/delete")]
pub async fn delete_closure(closure_id: i64) -> Result<(), AppError> {
    crate::server::error::respond(async move {
        let state = crate::server::session::app_state()?;
        Ok(crate::server::schedule::delete_closure(&state.db, &state.knowledge, closure_id).await?)
    })
    .await
}
