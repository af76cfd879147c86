//! The appointments page: one business-local day by staff member, the appointments still
//! waiting to be marked, and what staff change (book, move, cancel, mark attended or no-show).

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Appointment, AppointmentStatus, Service, StaffMember};

/// An appointment as the page lists it: with the customer it is for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScheduledAppointment {
    pub appointment: Appointment,
    /// The customer's name, else their number.
    pub customer: String,
    /// Their conversation in the inbox, when they have written.
    pub conversation_id: Option<i64>,
    /// Start and end in the business's time zone, as the page shows them.
    pub local_start: NaiveDateTime,
    pub local_end: NaiveDateTime,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DaySchedule {
    pub day: NaiveDate,
    /// Today in the business's time zone.
    pub today: NaiveDate,
    /// When the schedule was read: what has started by then can be marked, the rest moved
    /// or cancelled.
    pub now: DateTime<Utc>,
    /// The business's time zone (IANA name), which every time on the page is in.
    pub timezone: String,
    pub currency: String,
    /// The day's appointments, cancelled ones included, by staff member then time.
    pub appointments: Vec<ScheduledAppointment>,
    /// Appointments that have started and are still `booked`, oldest first: staff mark them
    /// attended or no-show; after `attended_after_hours` they count as attended.
    pub unmarked: Vec<ScheduledAppointment>,
    pub attended_after_hours: i64,
    /// What the booking form offers.
    pub services: Vec<Service>,
    pub staff: Vec<StaffMember>,
}

/// A booking made by staff, or a move of one (`appointment_id`), as the form sends it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AppointmentForm {
    /// The appointment to move; empty to book a new one.
    pub appointment_id: Option<i64>,
    /// The customer's WhatsApp number (new bookings only).
    pub phone: String,
    /// Their name, kept when we do not know it yet (new bookings only).
    pub name: String,
    pub service_id: i64,
    /// Anyone who performs the service when empty.
    pub staff_id: Option<i64>,
    /// `YYYY-MM-DD` and `HH:MM`, business-local, as date and time inputs give them.
    pub date: String,
    pub time: String,
    /// Send the customer a WhatsApp message about it.
    pub notify: bool,
}

impl AppointmentForm {
    /// The local date and time asked for; the error is the form's message.
    pub fn when(&self) -> Result<(NaiveDate, NaiveTime), String> {
        let date = NaiveDate::parse_from_str(self.date.trim(), "%Y-%m-%d")
            .map_err(|_| "Choose a day for the appointment.".to_string())?;
        let time = NaiveTime::parse_from_str(self.time.trim(), "%H:%M")
            .map_err(|_| "Choose a time for the appointment, like 14:30.".to_string())?;
        Ok((date, time))
    }
}

/// What became of a change, for the page to say.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AppointmentChange {
    pub appointment_id: i64,
    /// Whether the customer was sent a message, and if not why: said under the form.
    pub notice: Option<String>,
}

/// How staff may mark an appointment that has started.
pub fn is_mark(status: AppointmentStatus) -> bool {
    matches!(status, AppointmentStatus::Completed | AppointmentStatus::NoShow)
}

/// How the page names a status.
pub fn status_label(status: AppointmentStatus) -> &'static str {
    match status {
        AppointmentStatus::Booked => "booked",
        AppointmentStatus::Cancelled => "cancelled",
        AppointmentStatus::Completed => "attended",
        AppointmentStatus::NoShow => "no-show",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_reads_a_local_day_and_time_or_says_what_is_missing() {
        let form = AppointmentForm {
            date: "2026-03-02".into(),
            time: "14:30".into(),
            ..AppointmentForm::default()
        };
        assert_eq!(
            form.when().unwrap(),
            (
                NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
                NaiveTime::from_hms_opt(14, 30, 0).unwrap()
            )
        );
        let no_day = AppointmentForm {
            date: "".into(),
            ..form.clone()
        };
        assert!(no_day.when().unwrap_err().contains("day"));
        let bad_time = AppointmentForm {
            time: "25:00".into(),
            ..form
        };
        assert!(bad_time.when().unwrap_err().contains("time"));
    }
}
