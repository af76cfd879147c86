//! Who works when: staff members with their services, weekly hours and time off, and the
//! business's weekly hours and closures, as the back office shows and edits them. The checks
//! here need no database, so a form is refused whole before anything is written.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{format_minute_of_day, required_name, Closure, OpeningHours, StaffMember, WEEKDAYS};

/// A period of a weekday (0 = Monday), in minutes after local midnight: when a staff member
/// works, or when the business is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub weekday: i64,
    pub starts_minute: i64,
    pub ends_minute: i64,
}

impl Period {
    /// "09:00–14:00".
    pub fn label(&self) -> String {
        format!(
            "{}–{}",
            format_minute_of_day(self.starts_minute),
            format_minute_of_day(self.ends_minute)
        )
    }
}

impl From<&OpeningHours> for Period {
    fn from(hours: &OpeningHours) -> Self {
        Period {
            weekday: hours.weekday,
            starts_minute: hours.opens_minute,
            ends_minute: hours.closes_minute,
        }
    }
}

/// Days a staff member is away, from `starts_on` to `ends_on` inclusive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeOff {
    pub id: i64,
    pub staff_id: i64,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub reason: String,
}

/// A staff member as the back office lists them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StaffEntry {
    pub member: StaffMember,
    pub service_ids: Vec<i64>,
    /// Empty: works whenever the business is open.
    pub hours: Vec<Period>,
    pub time_off: Vec<TimeOff>,
}

/// What the Staff and "Hours & closures" sections show.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    pub staff: Vec<StaffEntry>,
    /// Every service (active or not) by id and name, to choose who performs what.
    pub services: Vec<(i64, String)>,
    pub hours: Vec<OpeningHours>,
    pub closures: Vec<Closure>,
    /// Today in the business's time zone: date inputs start there.
    pub today: NaiveDate,
}

/// A period as typed: times as "HH:MM", as `<input type="time">` sends them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PeriodForm {
    pub weekday: i64,
    pub starts: String,
    pub ends: String,
}

/// A staff member as the form sends them, checked by [`StaffForm::validate`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StaffForm {
    /// `None` for a new staff member.
    pub id: Option<i64>,
    pub name: String,
    pub role_title: String,
    pub active: bool,
    pub service_ids: Vec<i64>,
    /// No periods: works whenever the business is open.
    pub hours: Vec<PeriodForm>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidStaff {
    pub id: Option<i64>,
    pub name: String,
    pub role_title: String,
    pub active: bool,
    pub service_ids: Vec<i64>,
    pub hours: Vec<Period>,
}

pub const ROLE_TITLE_MAX_CHARS: usize = 80;

impl StaffForm {
    pub fn validate(&self) -> Result<ValidStaff, String> {
        let name = required_name(&self.name, "staff member")?;
        let role_title = self.role_title.split_whitespace().collect::<Vec<_>>().join(" ");
        if role_title.chars().count() > ROLE_TITLE_MAX_CHARS {
            return Err(format!(
                "The role title can be at most {ROLE_TITLE_MAX_CHARS} characters."
            ));
        }
        let mut service_ids = self.service_ids.clone();
        service_ids.sort_unstable();
        service_ids.dedup();
        Ok(ValidStaff {
            id: self.id,
            name,
            role_title,
            active: self.active,
            service_ids,
            hours: validate_week(&self.hours)?,
        })
    }
}

/// Days as the form sends them: dates as "YYYY-MM-DD", as `<input type="date">` sends them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DaysForm {
    pub starts_on: String,
    /// Empty: the same day as `starts_on`.
    pub ends_on: String,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidDays {
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub reason: String,
}

pub const REASON_MAX_CHARS: usize = 120;

impl DaysForm {
    /// `what` names the days in messages ("closure", "time off"); a closure needs a reason,
    /// as customers are told it.
    pub fn validate(&self, what: &str, reason_required: bool) -> Result<ValidDays, String> {
        let date = |text: &str| NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok();
        let starts_on = date(&self.starts_on).ok_or_else(|| format!("Give the first day of the {what}."))?;
        let ends_on = if self.ends_on.trim().is_empty() {
            starts_on
        } else {
            date(&self.ends_on).ok_or_else(|| format!("The last day of the {what} is not a date."))?
        };
        if ends_on < starts_on {
            return Err(format!(
                "The {what} ends before it starts: choose a last day on or after the first."
            ));
        }
        let reason = self.reason.split_whitespace().collect::<Vec<_>>().join(" ");
        if reason_required && reason.is_empty() {
            return Err("Say why (customers are told it), like “Holiday”.".into());
        }
        if reason.chars().count() > REASON_MAX_CHARS {
            return Err(format!("Keep the reason under {REASON_MAX_CHARS} characters."));
        }
        Ok(ValidDays {
            starts_on,
            ends_on,
            reason,
        })
    }
}

/// What saving a closure, time off or the weekly hours came to: saved (with the new row's
/// id; 0 for the weekly hours, which are many rows), or not saved because booked
/// appointments fall on those days or outside those hours (the form then asks whether to
/// keep them and save anyway).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DaysOutcome {
    Saved { id: i64 },
    BookedInside { appointments: Vec<BookedInside> },
}

/// A booked appointment on days about to be closed, as the owner needs to recognise it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookedInside {
    pub appointment_id: i64,
    /// Local date and time: "Fri 4 Dec 2026, 10:00".
    pub when: String,
    pub service: String,
    pub staff: String,
    pub customer: String,
}

/// "HH:MM" (24-hour) as minutes after midnight; "24:00" is the end of the day.
pub fn parse_time(text: &str) -> Option<i64> {
    let (h, m) = text.trim().split_once(':')?;
    let two_digits = |s: &str| (1..=2).contains(&s.len()) && s.chars().all(|c| c.is_ascii_digit());
    if !two_digits(h) || m.len() != 2 || !two_digits(m) {
        return None;
    }
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (24, 0) => Some(24 * 60),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

fn weekday_name(weekday: i64) -> &'static str {
    usize::try_from(weekday)
        .ok()
        .and_then(|d| WEEKDAYS.get(d))
        .copied()
        .unwrap_or("that day")
}

/// Weekly periods as typed, checked and sorted by weekday and start: each a real time range
/// that ends after it starts, none overlapping another on the same weekday.
pub fn validate_week(periods: &[PeriodForm]) -> Result<Vec<Period>, String> {
    let mut valid = Vec::with_capacity(periods.len());
    for period in periods {
        if !(0..=6).contains(&period.weekday) {
            return Err("Choose a weekday from Monday to Sunday.".into());
        }
        let day = weekday_name(period.weekday);
        let time = |text: &str| {
            parse_time(text).ok_or_else(|| format!("{day}: “{}” is not a time; write it as 14:30.", text.trim()))
        };
        let (starts_minute, ends_minute) = (time(&period.starts)?, time(&period.ends)?);
        if ends_minute <= starts_minute {
            return Err(format!(
                "{day}: {}–{} ends before it starts. Give an end later than the start.",
                period.starts.trim(),
                period.ends.trim()
            ));
        }
        valid.push(Period {
            weekday: period.weekday,
            starts_minute,
            ends_minute,
        });
    }
    valid.sort_by_key(|p| (p.weekday, p.starts_minute));
    if let Some(pair) = valid
        .windows(2)
        .find(|w| w[0].weekday == w[1].weekday && w[1].starts_minute < w[0].ends_minute)
    {
        return Err(format!(
            "{}: {} and {} overlap. Join them into one period or move one.",
            weekday_name(pair[0].weekday),
            pair[0].label(),
            pair[1].label()
        ));
    }
    Ok(valid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period(weekday: i64, starts: &str, ends: &str) -> PeriodForm {
        PeriodForm {
            weekday,
            starts: starts.into(),
            ends: ends.into(),
        }
    }

    #[test]
    fn times_are_read_as_time_inputs_send_them() {
        assert_eq!(parse_time("09:30"), Some(570));
        assert_eq!(parse_time("9:05"), Some(545));
        assert_eq!(parse_time("24:00"), Some(1440));
        for bad in ["25:00", "ab", "", "10", "10:7", "10:60", "24:30", "-1:00", "10:00pm"] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_week_says_which_day_is_wrong() {
        let week = validate_week(&[
            period(1, "14:00", "19:00"),
            period(1, "09:00", "13:00"),
            period(0, "10:00", "12:00"),
        ]);
        assert_eq!(
            week.unwrap(),
            vec![
                Period {
                    weekday: 0,
                    starts_minute: 600,
                    ends_minute: 720
                },
                Period {
                    weekday: 1,
                    starts_minute: 540,
                    ends_minute: 780
                },
                Period {
                    weekday: 1,
                    starts_minute: 840,
                    ends_minute: 1140
                },
            ]
        );
        assert_eq!(
            validate_week(&[period(2, "12:00", "10:00")]),
            Err("Wednesday: 12:00–10:00 ends before it starts. Give an end later than the start.".into())
        );
        assert!(validate_week(&[period(2, "10:00", "10:00")])
            .unwrap_err()
            .contains("ends before it starts"));
        assert_eq!(
            validate_week(&[period(4, "25:00", "26:00")]),
            Err("Friday: “25:00” is not a time; write it as 14:30.".into())
        );
        assert!(validate_week(&[period(4, "ab", "12:00")])
            .unwrap_err()
            .contains("“ab” is not a time"));
        assert_eq!(
            validate_week(&[period(0, "09:00", "13:00"), period(0, "12:00", "15:00")]),
            Err("Monday: 09:00–13:00 and 12:00–15:00 overlap. Join them into one period or move one.".into())
        );
        // Touching periods do not overlap; the same hours on two days neither.
        assert!(validate_week(&[
            period(0, "09:00", "13:00"),
            period(0, "13:00", "15:00"),
            period(1, "09:00", "13:00")
        ])
        .is_ok());
        assert!(validate_week(&[period(7, "09:00", "13:00")]).is_err());
    }

    #[test]
    fn a_staff_form_needs_a_name() {
        let form = StaffForm {
            name: "  Dana   Cruz ".into(),
            role_title: "Stylist".into(),
            active: true,
            service_ids: vec![3, 1, 3],
            ..StaffForm::default()
        };
        let valid = form.validate().unwrap();
        assert_eq!((valid.name.as_str(), valid.service_ids), ("Dana Cruz", vec![1, 3]));
        let nameless = StaffForm {
            name: " ".into(),
            ..form
        };
        assert_eq!(nameless.validate(), Err("Give the staff member a name.".into()));
    }

    #[test]
    fn days_end_on_or_after_they_start() {
        let days = |starts: &str, ends: &str, reason: &str| DaysForm {
            starts_on: starts.into(),
            ends_on: ends.into(),
            reason: reason.into(),
        };
        let one = days("2026-12-07", "", " Staff  training ")
            .validate("closure", true)
            .unwrap();
        assert_eq!(
            (one.starts_on, one.ends_on, one.reason.as_str()),
            (one.starts_on, one.starts_on, "Staff training")
        );
        assert_eq!(
            days("2026-12-07", "2026-12-06", "x").validate("closure", true),
            Err("The closure ends before it starts: choose a last day on or after the first.".into())
        );
        assert!(days("07/12/2026", "", "x").validate("closure", true).is_err());
        assert!(days("2026-12-07", "", "")
            .validate("closure", true)
            .unwrap_err()
            .contains("Say why"));
        assert!(days("2026-12-07", "2026-12-09", "").validate("time off", false).is_ok());
    }
}
