//! Real availability. The AI proposes a service, a day and a time; this code decides what is
//! free — business hours and closures, who performs the service, when they work and their
//! time off, their existing appointments — and books only a free slot.

use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use sqlx::AnyConnection;
use tokio::sync::RwLock;

use super::db::knowledge::{self, NewAppointment};
use super::db::{campaigns, schedule};
use super::db::{Db, DbResult};
use crate::model::{
    AppointmentStatus, BookingSource, Closure, Faq, OpeningHours, Period, Service, StaffMember, TimeOff,
};

/// Appointments start on the quarter hour.
const SLOT_STEP_MINUTES: i64 = 15;
/// Nobody can be booked for a time that is about to pass.
const MIN_LEAD_MINUTES: i64 = 30;

/// How long the business knowledge is reused before it is read again.
const KNOWLEDGE_TTL: std::time::Duration = std::time::Duration::from_secs(30);

/// The knowledge every answer needs, read at most once per [`KNOWLEDGE_TTL`] instead of for
/// every message. Edits in the back office invalidate it at once; edits made straight in
/// the database show within that time.
#[derive(Debug, Default)]
pub struct KnowledgeCache {
    loaded: RwLock<Option<(std::time::Instant, Arc<KnowledgeSnapshot>)>>,
    /// Counts invalidations: a load that began before one is not kept, as it may have read
    /// the knowledge from before the edit.
    generation: std::sync::atomic::AtomicU64,
}

impl KnowledgeCache {
    pub async fn get(&self, db: &Db) -> DbResult<Arc<KnowledgeSnapshot>> {
        use std::sync::atomic::Ordering;
        if let Some((loaded, snapshot)) = self.loaded.read().await.as_ref() {
            if loaded.elapsed() < KNOWLEDGE_TTL {
                return Ok(snapshot.clone());
            }
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let snapshot = Arc::new(KnowledgeSnapshot::load(db).await?);
        let mut loaded = self.loaded.write().await;
        if self.generation.load(Ordering::SeqCst) == generation {
            *loaded = Some((std::time::Instant::now(), snapshot.clone()));
        }
        Ok(snapshot)
    }

    /// Forgets the loaded knowledge after an edit, so the next message reads it anew.
    pub async fn invalidate(&self) {
        let mut loaded = self.loaded.write().await;
        self.generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        *loaded = None;
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
    /// Holidays and one-off closures.
    pub closures: Vec<Closure>,
    /// Staff members' working periods as (staff id, period). One without any works whenever
    /// the business is open.
    pub staff_hours: Vec<(i64, Period)>,
    /// Days staff members are away.
    pub time_off: Vec<TimeOff>,
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
            closures: knowledge::list_closures(db).await?,
            staff_hours: schedule::list_staff_hours(db).await?,
            time_off: schedule::list_time_off(db).await?,
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

    /// An active service by its id.
    pub fn service(&self, id: i64) -> Option<&Service> {
        self.services.iter().find(|s| s.id == id)
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

    /// The closure covering that day, if any.
    pub fn closure_on(&self, date: NaiveDate) -> Option<&Closure> {
        self.closures.iter().find(|c| c.starts_on <= date && date <= c.ends_on)
    }

    pub fn hours_on(&self, weekday: Weekday) -> impl Iterator<Item = &OpeningHours> {
        let day = i64::from(weekday.num_days_from_monday());
        self.hours.iter().filter(move |h| h.weekday == day)
    }

    /// The staff member's time off covering that day, if any.
    pub fn time_off_on(&self, staff_id: i64, date: NaiveDate) -> Option<&TimeOff> {
        self.time_off
            .iter()
            .find(|t| t.staff_id == staff_id && t.starts_on <= date && date <= t.ends_on)
    }

    /// When the staff member works that day, as (start, end) minutes after local midnight:
    /// the business's opening periods, narrowed to the member's own hours when they have any.
    /// Nothing on a closure day or on their time off.
    pub fn working_periods(&self, staff_id: i64, date: NaiveDate) -> Vec<(i64, i64)> {
        if self.closure_on(date).is_some() || self.time_off_on(staff_id, date).is_some() {
            return Vec::new();
        }
        let weekday = i64::from(date.weekday().num_days_from_monday());
        let own: Vec<&Period> = self
            .staff_hours
            .iter()
            .filter(|(staff, _)| *staff == staff_id)
            .map(|(_, period)| period)
            .collect();
        let mut periods = Vec::new();
        for open in self.hours_on(date.weekday()) {
            if own.is_empty() {
                periods.push((open.opens_minute, open.closes_minute));
                continue;
            }
            for period in own.iter().filter(|p| p.weekday == weekday) {
                let start = open.opens_minute.max(period.starts_minute);
                let end = open.closes_minute.min(period.ends_minute);
                if start < end {
                    periods.push((start, end));
                }
            }
        }
        periods.sort_unstable();
        periods
    }
}

fn normalize(text: &str) -> String {
    text.to_lowercase()
        .replace(['\'', '’'], "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A free start time with the staff member who would take it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Slot {
    pub staff_id: i64,
    pub staff_name: String,
    pub starts_at: DateTime<Utc>,
}

/// A span of the day in minutes after local midnight: nothing starts before `earliest`,
/// nothing starts at or after `latest`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub earliest: i64,
    pub latest: i64,
}

impl Window {
    pub const WHOLE_DAY: Window = Window {
        earliest: 0,
        latest: 24 * 60,
    };

    /// From `HH:MM` bounds; a missing bound is open.
    pub fn from_bounds(earliest: Option<&str>, latest: Option<&str>) -> Window {
        let minute = |t: &str| parse_hh_mm(t).map(|(h, m)| i64::from(h * 60 + m));
        Window {
            earliest: earliest.and_then(minute).unwrap_or(0),
            latest: latest.and_then(minute).unwrap_or(24 * 60),
        }
    }

    pub fn contains(self, minute: i64) -> bool {
        minute >= self.earliest && minute < self.latest
    }
}

/// `HH:MM` (24-hour) as hour and minute.
pub fn parse_hh_mm(text: &str) -> Option<(u32, u32)> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some((h, m))
}

#[derive(Clone, Copy)]
pub struct SlotQuery<'a> {
    pub service: &'a Service,
    pub date: NaiveDate,
    pub window: Window,
    pub staff_id: Option<i64>,
    /// The appointment being moved: its own time does not block the new one.
    pub moving: Option<i64>,
}

/// Every free start time for the service on that local day, earliest first, once for each
/// staff member free then (in staff order): within their working periods, so nothing on a
/// closure day or their time off.
pub async fn free_slots(
    db: &Db,
    knowledge: &KnowledgeSnapshot,
    tz: Tz,
    query: &SlotQuery<'_>,
    now: DateTime<Utc>,
) -> DbResult<Vec<Slot>> {
    let duration = Duration::minutes(query.service.duration_minutes);
    let earliest = now + Duration::minutes(MIN_LEAD_MINUTES);
    let Some(day_start) = local(tz, query.date, 0) else {
        return Ok(Vec::new());
    };
    if knowledge.closure_on(query.date).is_some() {
        return Ok(Vec::new());
    }
    let day_end = day_start + Duration::days(1);

    let mut slots: Vec<Slot> = Vec::new();
    for staff in knowledge
        .staff_for(query.service.id)
        .filter(|s| query.staff_id.is_none_or(|id| id == s.id))
    {
        let periods = knowledge.working_periods(staff.id, query.date);
        if periods.is_empty() {
            continue;
        }
        let busy = knowledge::busy_intervals(db, staff.id, day_start, day_end, query.moving).await?;
        for (opens, closes) in periods {
            let mut minute = opens;
            while minute + query.service.duration_minutes <= closes {
                if let Some(start) = local(tz, query.date, minute).filter(|_| query.window.contains(minute)) {
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
    // Stable: at one time, staff stay in their order.
    slots.sort_by_key(|s| s.starts_at);
    Ok(slots)
}

/// Why a day has no free time in the window, in the words a receptionist would use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unavailable {
    /// The day (or the time) has passed.
    Past,
    /// A holiday or one-off closure, with its reason.
    Closure(String),
    /// The business does not open on that weekday.
    ClosedWeekday,
    /// Open, but nobody who performs the service (or the staff member asked for) works that
    /// day: their time off, or not one of their days.
    StaffAway,
    /// Open that day, but not at the time or in the window asked for.
    OutsideHours,
    /// Open then, and every time is taken.
    FullyBooked,
}

/// The true reason nothing is free for `query` (checked after [`free_slots`] found nothing).
pub fn why_unavailable(knowledge: &KnowledgeSnapshot, query: &SlotQuery<'_>, today: NaiveDate) -> Unavailable {
    if query.date < today {
        return Unavailable::Past;
    }
    if let Some(closure) = knowledge.closure_on(query.date) {
        return Unavailable::Closure(closure.reason.clone());
    }
    if knowledge.hours_on(query.date.weekday()).next().is_none() {
        return Unavailable::ClosedWeekday;
    }
    let periods: Vec<(i64, i64)> = knowledge
        .staff_for(query.service.id)
        .filter(|s| query.staff_id.is_none_or(|id| id == s.id))
        .flat_map(|s| knowledge.working_periods(s.id, query.date))
        .collect();
    if periods.is_empty() {
        return Unavailable::StaffAway;
    }
    let duration = query.service.duration_minutes;
    let fits = periods.iter().any(|(opens, closes)| {
        let first = (*opens).max(query.window.earliest);
        let last_start = (closes - duration).min(query.window.latest - 1);
        first <= last_start
    });
    if fits {
        Unavailable::FullyBooked
    } else {
        Unavailable::OutsideHours
    }
}

/// Up to `count` slots that make a real choice: the earliest, then others spread across the
/// rest of the window at least an hour apart, preferring stylists not offered yet. When the
/// day is too full for hour gaps, the nearest other times fill the offer.
pub fn spread(slots: &[Slot], count: usize) -> Vec<Slot> {
    let Some(first) = slots.first() else {
        return Vec::new();
    };
    let span = slots
        .last()
        .map_or(Duration::zero(), |last| last.starts_at - first.starts_at);
    let mut picked = vec![first.clone()];
    for k in 1..count {
        let target = first.starts_at + span * k as i32 / (count as i32 - 1).max(1);
        let Some(previous) = picked.last() else { break };
        let not_before = previous.starts_at + Duration::minutes(60);
        let used = |s: &Slot| picked.iter().any(|p| p.staff_id == s.staff_id);
        let best = slots
            .iter()
            .filter(|s| s.starts_at >= not_before)
            .min_by_key(|s| (s.starts_at - target).num_minutes().abs() + if used(s) { 60 } else { 0 });
        match best {
            Some(slot) => picked.push(slot.clone()),
            None => break,
        }
    }
    for slot in slots {
        if picked.len() >= count {
            break;
        }
        if !picked.iter().any(|p| p.starts_at == slot.starts_at) {
            picked.push(slot.clone());
        }
    }
    picked.sort_by_key(|s| s.starts_at);
    picked
}

/// The `count` free times nearest to `near` (one slot per time), in time order.
pub fn nearest(slots: &[Slot], near: DateTime<Utc>, count: usize) -> Vec<Slot> {
    let mut by_distance: Vec<&Slot> = slots.iter().collect();
    by_distance.sort_by_key(|s| ((s.starts_at - near).num_minutes().abs(), s.starts_at));
    let mut picked: Vec<Slot> = Vec::new();
    for slot in by_distance {
        if picked.len() == count {
            break;
        }
        if !picked.iter().any(|p| p.starts_at == slot.starts_at) {
            picked.push(slot.clone());
        }
    }
    picked.sort_by_key(|s| s.starts_at);
    picked
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
    /// An appointment to move to this time instead of booking a new one.
    pub moving: Option<i64>,
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
    let (date, minute) = local_parts(tz, request.starts_at);
    let query = SlotQuery {
        service: &request.service,
        date,
        window: Window {
            earliest: i64::from(minute),
            latest: i64::from(minute) + 1,
        },
        staff_id: request.staff_id,
        moving: request.moving,
    };
    let slots = free_slots(db, knowledge, tz, &query, now).await?;
    Ok(slots.into_iter().filter(|s| s.starts_at == request.starts_at).collect())
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
        if !knowledge::busy_intervals(&mut *tx, slot.staff_id, request.starts_at, ends_at, request.moving)
            .await?
            .is_empty()
        {
            continue;
        }
        let appointment_id = match request.moving {
            // Moved in place: the old time is released by the same statement that takes the new one.
            Some(id) => {
                if !knowledge::move_appointment(&mut *tx, id, slot.staff_id, request.starts_at, ends_at).await? {
                    return Ok(None);
                }
                id
            }
            None => {
                // A booking the bot takes soon after a campaign reached the customer is the campaign's.
                let campaign_id = match request.source {
                    BookingSource::Bot => campaigns::attributed_campaign(&mut *tx, request.contact_id, now).await?,
                    _ => None,
                };
                let new = NewAppointment {
                    contact_id: request.contact_id,
                    service_id: request.service.id,
                    staff_id: slot.staff_id,
                    starts_at: request.starts_at,
                    ends_at,
                    status: AppointmentStatus::Booked,
                    source: if campaign_id.is_some() {
                        BookingSource::Campaign
                    } else {
                        request.source
                    },
                    campaign_id,
                    price_cents: request.service.price_cents,
                    created_at: now,
                };
                knowledge::insert_appointment(&mut *tx, &new).await?
            }
        };
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

    fn slot(staff_id: i64, hour: i64, minute: i64) -> Slot {
        Slot {
            staff_id,
            staff_name: format!("staff {staff_id}"),
            starts_at: DateTime::from_timestamp(0, 0).unwrap() + Duration::minutes(hour * 60 + minute),
        }
    }

    fn every_quarter(staff: &[i64], from: i64, to: i64) -> Vec<Slot> {
        let mut slots = Vec::new();
        for minute in (from * 60..to * 60).step_by(15) {
            for id in staff {
                slots.push(slot(*id, minute / 60, minute % 60));
            }
        }
        slots
    }

    #[test]
    fn an_offer_is_a_real_choice() {
        let day = every_quarter(&[1, 2], 9, 18);
        let offer = spread(&day, 3);
        let times: Vec<i64> = offer.iter().map(|s| s.starts_at.timestamp() / 60).collect();
        assert_eq!(times[0], 9 * 60, "the earliest first");
        assert!(times.windows(2).all(|w| w[1] - w[0] >= 60), "an hour apart: {times:?}");
        assert!(times[2] >= 15 * 60, "spread across the day: {times:?}");
        let stylists: std::collections::HashSet<i64> = offer.iter().map(|s| s.staff_id).collect();
        assert!(stylists.len() >= 2, "different stylists: {offer:?}");

        let crowded = every_quarter(&[1], 9, 10);
        let offer = spread(&crowded, 3);
        assert_eq!(offer.len(), 3, "a full day still offers three times: {offer:?}");
    }

    #[test]
    fn the_nearest_times_around_a_taken_one() {
        let day = every_quarter(&[1], 9, 12);
        let near = slot(1, 10, 0).starts_at;
        let times: Vec<i64> = nearest(&day, near, 3)
            .iter()
            .map(|s| s.starts_at.timestamp() / 60)
            .collect();
        assert_eq!(times, vec![9 * 60 + 45, 10 * 60, 10 * 60 + 15]);
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
