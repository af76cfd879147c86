//! Real availability. The AI proposes a service, a day and a time; this code decides what is
//! free — business hours, who performs the service, their existing appointments — and books
//! only a free slot.

use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use sqlx::AnyConnection;
use tokio::sync::RwLock;

use super::db::knowledge::{self, NewAppointment};
use super::db::{Db, DbResult};
use crate::model::{AppointmentStatus, BookingSource, Faq, OpeningHours, Service, StaffMember};

/// Appointments start on the quarter hour.
const SLOT_STEP_MINUTES: i64 = 15;
/// Nobody can be booked for a time that is about to pass.
const MIN_LEAD_MINUTES: i64 = 30;

/// How long the business knowledge is reused before it is read again.
const KNOWLEDGE_TTL: std::time::Duration = std::time::Duration::from_secs(30);

/// The knowledge every answer needs, read at most once per [`KNOWLEDGE_TTL`] instead of for
/// every message. Edits show within that time.
#[derive(Debug, Default)]
pub struct KnowledgeCache {
    loaded: RwLock<Option<(std::time::Instant, Arc<KnowledgeSnapshot>)>>,
}

impl KnowledgeCache {
    pub async fn get(&self, db: &Db) -> DbResult<Arc<KnowledgeSnapshot>> {
        if let Some((loaded, snapshot)) = self.loaded.read().await.as_ref() {
            if loaded.elapsed() < KNOWLEDGE_TTL {
                return Ok(snapshot.clone());
            }
        }
        let snapshot = Arc::new(KnowledgeSnapshot::load(db).await?);
        *self.loaded.write().await = Some((std::time::Instant::now(), snapshot.clone()));
        Ok(snapshot)
    }
}

/// What the business offers, read once and shared by the AI context and the booking code.
#[derive(Clone, Debug, Default)]
pub struct KnowledgeSnapshot {
    pub services: Vec<Service>,
    pub staff: Vec<StaffMember>,
    pub staff_services: Vec<(i64, i64)>,
    pub hours: Vec<OpeningHours>,
    pub faqs: Vec<Faq>,
}

impl KnowledgeSnapshot {
    pub async fn load(db: &Db) -> DbResult<KnowledgeSnapshot> {
        Ok(KnowledgeSnapshot {
            services: knowledge::list_services(db)
                .await?
                .into_iter()
                .filter(|s| s.active)
                .collect(),
            staff: knowledge::list_staff(db)
                .await?
                .into_iter()
                .filter(|s| s.active)
                .collect(),
            staff_services: knowledge::list_staff_services(db).await?,
            hours: knowledge::list_business_hours(db).await?,
            faqs: knowledge::list_faqs(db).await?,
        })
    }

    /// The service a customer (or the AI) named: an exact name first, then a name containing
    /// the words, then a service whose name is contained in the text.
    pub fn find_service(&self, text: &str) -> Option<&Service> {
        let wanted = normalize(text);
        if wanted.is_empty() {
            return None;
        }
        self.services
            .iter()
            .find(|s| normalize(&s.name) == wanted)
            .or_else(|| self.services.iter().find(|s| normalize(&s.name).contains(&wanted)))
            .or_else(|| {
                self.services
                    .iter()
                    .filter(|s| wanted.contains(&normalize(&s.name)))
                    .max_by_key(|s| s.name.len())
            })
            .or_else(|| {
                // "a cut", "haircut", "colour": match on the service's last word.
                self.services.iter().find(|s| {
                    normalize(&s.name)
                        .split_whitespace()
                        .last()
                        .is_some_and(|word| wanted.split_whitespace().any(|w| w == word))
                })
            })
    }

    pub fn find_staff(&self, text: &str) -> Option<&StaffMember> {
        let wanted = normalize(text);
        self.staff.iter().find(|s| {
            let name = normalize(&s.name);
            name == wanted || name.split_whitespace().next() == Some(wanted.as_str())
        })
    }

    pub fn staff_for(&self, service_id: i64) -> impl Iterator<Item = &StaffMember> {
        self.staff
            .iter()
            .filter(move |st| self.staff_services.contains(&(st.id, service_id)))
    }

    pub fn hours_on(&self, weekday: Weekday) -> impl Iterator<Item = &OpeningHours> {
        let day = i64::from(weekday.num_days_from_monday());
        self.hours.iter().filter(move |h| h.weekday == day)
    }
}

fn normalize(text: &str) -> String {
    text.to_lowercase()
        .replace(['\'', '’'], "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A part of the day a customer may ask for, in minutes after local midnight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartOfDay {
    Morning,
    Afternoon,
    Evening,
}

impl PartOfDay {
    pub fn parse(text: &str) -> Option<PartOfDay> {
        let text = text.to_lowercase();
        if text.contains("morning") {
            Some(PartOfDay::Morning)
        } else if text.contains("afternoon") {
            Some(PartOfDay::Afternoon)
        } else if text.contains("evening") || text.contains("after work") {
            Some(PartOfDay::Evening)
        } else {
            None
        }
    }

    fn minutes(self) -> (i64, i64) {
        match self {
            PartOfDay::Morning => (0, 12 * 60),
            PartOfDay::Afternoon => (12 * 60, 17 * 60),
            PartOfDay::Evening => (17 * 60, 24 * 60),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PartOfDay::Morning => "morning",
            PartOfDay::Afternoon => "afternoon",
            PartOfDay::Evening => "evening",
        }
    }
}

/// A day named in free text: "today", "tomorrow", a weekday (its next occurrence, today
/// included), `2026-03-14`, or `14/03`.
pub fn parse_day(text: &str, today: NaiveDate) -> Option<NaiveDate> {
    let text = text.to_lowercase();
    if let Some(date) = text
        .split(|c: char| c.is_whitespace() || c == ',')
        .find_map(|word| NaiveDate::parse_from_str(word.trim_matches(|c: char| !c.is_ascii_digit()), "%Y-%m-%d").ok())
    {
        return Some(date);
    }
    if text.contains("tomorrow") {
        return today.succ_opt();
    }
    if text.contains("today") || text.contains("tonight") {
        return Some(today);
    }
    const NAMES: [(&str, Weekday); 7] = [
        ("monday", Weekday::Mon),
        ("tuesday", Weekday::Tue),
        ("wednesday", Weekday::Wed),
        ("thursday", Weekday::Thu),
        ("friday", Weekday::Fri),
        ("saturday", Weekday::Sat),
        ("sunday", Weekday::Sun),
    ];
    let words: Vec<&str> = text.split(|c: char| !c.is_alphanumeric() && c != '/').collect();
    for (name, weekday) in NAMES {
        if words
            .iter()
            .any(|w| *w == name || (w.len() >= 3 && name.starts_with(*w) && *w == &name[..3]))
        {
            let ahead = (7 + weekday.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
            return today.checked_add_signed(Duration::days(i64::from(ahead)));
        }
    }
    words.iter().find_map(|word| {
        let (day, month) = word.split_once('/')?;
        let (day, month): (u32, u32) = (day.parse().ok()?, month.parse().ok()?);
        let this_year = NaiveDate::from_ymd_opt(today.year(), month, day)?;
        if this_year >= today {
            Some(this_year)
        } else {
            NaiveDate::from_ymd_opt(today.year() + 1, month, day)
        }
    })
}

/// A clock time in free text: `16:00`, `16.30`, `4pm`, `4:30 pm`, `16h`, `at 4` (a small
/// number with "at" is taken as afternoon, as people mean in a salon).
pub fn parse_time(text: &str) -> Option<(u32, u32)> {
    let lower = text.to_lowercase();
    let tokens: Vec<&str> = lower.split_whitespace().collect();
    for (i, raw) in tokens.iter().enumerate() {
        let token = raw.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != ':' && c != '.');
        let next = tokens
            .get(i + 1)
            .map(|t| t.trim_matches(|c: char| !c.is_ascii_alphabetic()));
        let (clock, suffix) = match token.find(|c: char| c.is_ascii_alphabetic()) {
            Some(at) => (&token[..at], &token[at..]),
            None => (token, next.filter(|n| matches!(*n, "am" | "pm")).unwrap_or("")),
        };
        if clock.is_empty() || !clock.starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        let (hour, minute) = match clock.split_once([':', '.']) {
            Some((h, m)) if m.len() == 2 => (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?),
            Some(_) => continue,
            None => (clock.parse::<u32>().ok()?, 0),
        };
        let hour = match suffix {
            "pm" if hour < 12 => hour + 12,
            "am" if hour == 12 => 0,
            "am" | "pm" | "h" | "" => hour,
            _ => continue,
        };
        let bare_number = suffix.is_empty() && !clock.contains([':', '.']);
        if bare_number {
            // A lone number is a time only after "at" ("at 4"); otherwise it is a date or count.
            if i == 0 || tokens[i - 1] != "at" {
                continue;
            }
            let hour = if (1..=7).contains(&hour) { hour + 12 } else { hour };
            if hour < 24 {
                return Some((hour, 0));
            }
            continue;
        }
        if hour < 24 && minute < 60 {
            return Some((hour, minute));
        }
    }
    None
}

/// A free start time with the staff member who would take it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    pub staff_id: i64,
    pub staff_name: String,
    pub starts_at: DateTime<Utc>,
}

#[derive(Clone, Copy)]
pub struct SlotQuery<'a> {
    pub service: &'a Service,
    pub date: NaiveDate,
    pub part_of_day: Option<PartOfDay>,
    pub staff_id: Option<i64>,
}

/// Every free start time for the service on that local day, earliest first (one staff member
/// per time: the first free one).
pub async fn free_slots(
    db: &Db,
    knowledge: &KnowledgeSnapshot,
    tz: Tz,
    query: &SlotQuery<'_>,
    now: DateTime<Utc>,
) -> DbResult<Vec<Slot>> {
    let duration = Duration::minutes(query.service.duration_minutes);
    let earliest = now + Duration::minutes(MIN_LEAD_MINUTES);
    let (window_start, window_end) = query.part_of_day.map_or((0, 24 * 60), PartOfDay::minutes);
    let Some(day_start) = local(tz, query.date, 0) else {
        return Ok(Vec::new());
    };
    let day_end = day_start + Duration::days(1);

    let mut slots: Vec<Slot> = Vec::new();
    for staff in knowledge
        .staff_for(query.service.id)
        .filter(|s| query.staff_id.is_none_or(|id| id == s.id))
    {
        let busy = knowledge::busy_intervals(db, staff.id, day_start, day_end).await?;
        for hours in knowledge.hours_on(query.date.weekday()) {
            let mut minute = hours.opens_minute;
            while minute + query.service.duration_minutes <= hours.closes_minute {
                let in_window = minute >= window_start && minute < window_end;
                if let Some(start) = local(tz, query.date, minute).filter(|_| in_window) {
                    let end = start + duration;
                    let clashes = busy.iter().any(|(b_start, b_end)| start < *b_end && *b_start < end);
                    if start >= earliest && !clashes {
                        slots.push(Slot {
                            staff_id: staff.id,
                            staff_name: staff.name.clone(),
                            starts_at: start,
                        });
                    }
                }
                minute += SLOT_STEP_MINUTES;
            }
        }
    }
    slots.sort_by_key(|s| s.starts_at);
    slots.dedup_by_key(|s| s.starts_at);
    Ok(slots)
}

fn local(tz: Tz, date: NaiveDate, minute_of_day: i64) -> Option<DateTime<Utc>> {
    let naive = date.and_hms_opt(0, 0, 0)? + Duration::minutes(minute_of_day);
    tz.from_local_datetime(&naive).earliest().map(|t| t.with_timezone(&Utc))
}

/// The local date and minute of day of an instant.
pub fn local_parts(tz: Tz, at: DateTime<Utc>) -> (NaiveDate, u32) {
    let local = at.with_timezone(&tz);
    (local.date_naive(), local.hour() * 60 + local.minute())
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Booked {
    pub appointment_id: i64,
    pub slot: Slot,
}

/// What a booking asks for.
#[derive(Clone, Debug)]
pub struct BookingRequest {
    pub contact_id: i64,
    pub service: Service,
    /// The staff member the customer asked for; anyone who performs the service if none.
    pub staff_id: Option<i64>,
    pub starts_at: DateTime<Utc>,
    pub source: BookingSource,
}

/// The staff members whose schedule has `request.starts_at` free for the service, as slots,
/// in the order they are tried. (A booking checks again, under its lock.)
pub async fn free_staff_at(
    db: &Db,
    knowledge: &KnowledgeSnapshot,
    tz: Tz,
    request: &BookingRequest,
    now: DateTime<Utc>,
) -> DbResult<Vec<Slot>> {
    let (date, _) = local_parts(tz, request.starts_at);
    let mut free = Vec::new();
    for staff in knowledge
        .staff_for(request.service.id)
        .filter(|s| request.staff_id.is_none_or(|id| id == s.id))
    {
        let query = SlotQuery {
            service: &request.service,
            date,
            part_of_day: None,
            staff_id: Some(staff.id),
        };
        let slots = free_slots(db, knowledge, tz, &query, now).await?;
        free.extend(slots.into_iter().filter(|s| s.starts_at == request.starts_at));
    }
    Ok(free)
}

/// Books the request with the first of `candidates` still free, inside the caller's
/// transaction; `None` when none is. The database keeps one appointment per staff member
/// and time, across processes: the staff member's row is locked (`booking_seq`) before the
/// overlap check, so concurrent attempts for that person queue behind each other, and a
/// unique index on booked (staff, start) backs it up. Candidates come in staff order, so two
/// attempts never lock the same rows in opposite orders.
pub async fn book_first_free(
    tx: &mut AnyConnection,
    request: &BookingRequest,
    candidates: &[Slot],
    now: DateTime<Utc>,
) -> DbResult<Option<Booked>> {
    let ends_at = request.starts_at + Duration::minutes(request.service.duration_minutes);
    for slot in candidates {
        knowledge::lock_staff_bookings(&mut *tx, slot.staff_id).await?;
        if !knowledge::busy_intervals(&mut *tx, slot.staff_id, request.starts_at, ends_at)
            .await?
            .is_empty()
        {
            continue;
        }
        let new = NewAppointment {
            contact_id: request.contact_id,
            service_id: request.service.id,
            staff_id: slot.staff_id,
            starts_at: request.starts_at,
            ends_at,
            status: AppointmentStatus::Booked,
            source: request.source,
            campaign_id: None,
            price_cents: request.service.price_cents,
            created_at: now,
        };
        let appointment_id = knowledge::insert_appointment(&mut *tx, &new).await?;
        return Ok(Some(Booked {
            appointment_id,
            slot: slot.clone(),
        }));
    }
    Ok(None)
}

/// The local time `hour:minute` on `date`.
pub fn at_local(tz: Tz, date: NaiveDate, hour: u32, minute: u32) -> Option<DateTime<Utc>> {
    local(tz, date, i64::from(hour * 60 + minute))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn days_people_name() {
        let wednesday = day(2026, 3, 11);
        assert_eq!(parse_day("Friday afternoon please", wednesday), Some(day(2026, 3, 13)));
        assert_eq!(parse_day("wednesday", wednesday), Some(wednesday));
        assert_eq!(parse_day("tomorrow at 4", wednesday), Some(day(2026, 3, 12)));
        assert_eq!(parse_day("on 2026-04-02", wednesday), Some(day(2026, 4, 2)));
        assert_eq!(parse_day("14/03", wednesday), Some(day(2026, 3, 14)));
        assert_eq!(parse_day("01/02", wednesday), Some(day(2027, 2, 1)));
        assert_eq!(parse_day("whenever", wednesday), None);
    }

    #[test]
    fn times_people_write() {
        assert_eq!(parse_time("16:00 please"), Some((16, 0)));
        assert_eq!(parse_time("yes, 14.30 works"), Some((14, 30)));
        assert_eq!(parse_time("4pm"), Some((16, 0)));
        assert_eq!(parse_time("4:30 pm"), Some((16, 30)));
        assert_eq!(parse_time("at 4"), Some((16, 0)));
        assert_eq!(parse_time("at 10"), Some((10, 0)));
        assert_eq!(parse_time("book me at 3am"), Some((3, 0)));
        assert_eq!(parse_time("I have 2 kids"), None);
        assert_eq!(parse_time("25:00"), None);
    }

    #[test]
    fn services_by_the_words_customers_use() {
        let service = |id, name: &str| Service {
            id,
            name: name.into(),
            description: String::new(),
            duration_minutes: 30,
            price_cents: 100,
            active: true,
            aliases: String::new(),
        };
        let k = KnowledgeSnapshot {
            services: vec![
                service(1, "Women's haircut"),
                service(2, "Men's haircut"),
                service(3, "Colour"),
            ],
            ..Default::default()
        };
        assert_eq!(k.find_service("colour").unwrap().id, 3);
        assert_eq!(k.find_service("mens haircut").unwrap().id, 2);
        assert_eq!(k.find_service("a haircut on friday").unwrap().id, 1);
        assert!(k.find_service("massage").is_none());
    }
}
