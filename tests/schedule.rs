//! Who works when, as admins edit it in the back office: staff hours and time off narrow the
//! times offered, a closure removes its days, bad input is refused whole, and days that
//! would close over booked appointments wait for the owner to say to keep them. Runs on
//! SQLite and on PostgreSQL, through the receptionist's own cached knowledge.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use frontdesk::on_both_databases;

use frontdesk::model::{AppointmentStatus, BookingSource, DaysForm, DaysOutcome, PeriodForm, Service, StaffForm, WaId};
use frontdesk::server::backoffice::EditError;
use frontdesk::server::booking::{
    at_local, free_slots, free_staff_at, local_parts, why_unavailable, BookingRequest, KnowledgeCache, SlotQuery,
    Unavailable, Window,
};
use frontdesk::server::db::knowledge::{self, NewAppointment};
use frontdesk::server::db::{contacts, Db};
use frontdesk::server::schedule;

on_both_databases!(
    staff_hours_limit_the_offered_times,
    time_off_removes_the_days_of_that_staff_member,
    a_closure_removes_the_day_from_free_slots,
    bad_input_is_refused_and_nothing_is_saved,
    days_over_booked_appointments_wait_for_keep_booked,
    a_staff_member_with_future_bookings_is_not_deleted,
);

const TZ: chrono_tz::Tz = chrono_tz::Europe::Madrid;

/// A Monday well ahead, so no time of it is too soon to book.
fn monday() -> NaiveDate {
    let mut day = Utc::now().with_timezone(&TZ).date_naive() + Duration::days(7);
    while day.weekday() != Weekday::Mon {
        day = day.succ_opt().unwrap();
    }
    day
}

fn period(weekday: i64, starts: &str, ends: &str) -> PeriodForm {
    PeriodForm {
        weekday,
        starts: starts.into(),
        ends: ends.into(),
    }
}

fn days(starts_on: NaiveDate, ends_on: Option<NaiveDate>, reason: &str) -> DaysForm {
    DaysForm {
        starts_on: starts_on.to_string(),
        ends_on: ends_on.map(|d| d.to_string()).unwrap_or_default(),
        reason: reason.into(),
    }
}

fn invalid(result: Result<impl std::fmt::Debug, EditError>) -> String {
    match result {
        Err(EditError::Invalid(message)) => message,
        other => panic!("expected a refusal for the form, got {other:?}"),
    }
}

/// A salon open Monday and Tuesday 09:00–18:00 with one 30-minute service, Ana (no hours of
/// her own) and Dana (Mondays 10:00–12:00 only), both performing it.
struct Salon {
    cache: KnowledgeCache,
    service: Service,
    ana: i64,
    dana: i64,
}

async fn salon(db: &Db) -> Salon {
    let cache = KnowledgeCache::default();
    let service_id = knowledge::insert_service(db, "Cut", "", 30, 2000, "").await.unwrap();
    let week = [period(0, "09:00", "18:00"), period(1, "09:00", "18:00")];
    schedule::save_business_hours(db, &cache, TZ, &week, false, Utc::now())
        .await
        .unwrap();
    let staff = |name: &str, hours: Vec<PeriodForm>| StaffForm {
        id: None,
        name: name.into(),
        role_title: "Stylist".into(),
        active: true,
        service_ids: vec![service_id],
        hours,
    };
    let ana = schedule::save_staff(db, &cache, &staff("Ana", vec![])).await.unwrap();
    let dana = schedule::save_staff(db, &cache, &staff("Dana", vec![period(0, "10:00", "12:00")]))
        .await
        .unwrap();
    let service = cache.get(db).await.unwrap().service(service_id).unwrap().clone();
    Salon {
        cache,
        service,
        ana,
        dana,
    }
}

impl Salon {
    /// The local start times ("10:00") offered on `date`, with `staff_id` or anyone.
    async fn times(&self, db: &Db, date: NaiveDate, staff_id: Option<i64>) -> Vec<String> {
        let knowledge = self.cache.get(db).await.unwrap();
        let query = self.query(date, staff_id, Window::WHOLE_DAY);
        free_slots(db, &knowledge, TZ, &query, Utc::now())
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.starts_at.with_timezone(&TZ).format("%H:%M").to_string())
            .collect()
    }

    fn query(&self, date: NaiveDate, staff_id: Option<i64>, window: Window) -> SlotQuery<'_> {
        SlotQuery {
            service: &self.service,
            date,
            window,
            staff_id,
            moving: None,
        }
    }

    async fn why(&self, db: &Db, date: NaiveDate, staff_id: Option<i64>, window: Window) -> Unavailable {
        let knowledge = self.cache.get(db).await.unwrap();
        let today = local_parts(TZ, Utc::now()).0;
        why_unavailable(&knowledge, &self.query(date, staff_id, window), today)
    }
}

async fn staff_hours_limit_the_offered_times(db: &Db) {
    let salon = salon(db).await;
    let monday = monday();
    let dana = salon.times(db, monday, Some(salon.dana)).await;
    assert_eq!(dana, ["10:00", "10:15", "10:30", "10:45", "11:00", "11:15", "11:30"]);
    let ana = salon.times(db, monday, Some(salon.ana)).await;
    assert_eq!(
        (ana.first().unwrap().as_str(), ana.last().unwrap().as_str()),
        ("09:00", "17:30")
    );
    // Anyone: Ana all day, Dana only in her morning hours, so 10:00 is offered twice.
    let anyone = salon.times(db, monday, None).await;
    assert_eq!(anyone.len(), ana.len() + dana.len());

    // Tuesday the salon is open, but not Dana: nothing with her, and the reason says so.
    let tuesday = monday + Duration::days(1);
    assert!(salon.times(db, tuesday, Some(salon.dana)).await.is_empty());
    assert_eq!(
        salon.why(db, tuesday, Some(salon.dana), Window::WHOLE_DAY).await,
        Unavailable::StaffAway
    );
    let afternoon = Window {
        earliest: 14 * 60,
        latest: 14 * 60 + 1,
    };
    assert_eq!(
        salon.why(db, monday, Some(salon.dana), afternoon).await,
        Unavailable::OutsideHours
    );

    // Asked for Dana at 14:00 on Monday: she is not free then, whatever her appointments.
    let knowledge = salon.cache.get(db).await.unwrap();
    let request = |hour| BookingRequest {
        contact_id: 0,
        service: salon.service.clone(),
        staff_id: Some(salon.dana),
        starts_at: at_local(TZ, monday, hour, 0).unwrap(),
        source: BookingSource::Bot,
        moving: None,
    };
    assert!(free_staff_at(db, &knowledge, TZ, &request(14), Utc::now())
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        free_staff_at(db, &knowledge, TZ, &request(10), Utc::now())
            .await
            .unwrap()
            .len(),
        1
    );

    // Her hours can never reach outside the salon's: 08:00–20:00 still starts at 09:00.
    let office = schedule::load(db, TZ, Utc::now()).await.unwrap();
    let entry = office.staff.iter().find(|e| e.member.id == salon.dana).unwrap();
    assert_eq!(entry.hours.len(), 1);
    let wider = StaffForm {
        id: Some(salon.dana),
        name: "Dana".into(),
        role_title: String::new(),
        active: true,
        service_ids: vec![salon.service.id],
        hours: vec![period(0, "08:00", "20:00")],
    };
    schedule::save_staff(db, &salon.cache, &wider).await.unwrap();
    let times = salon.times(db, monday, Some(salon.dana)).await;
    assert_eq!(
        (times.first().unwrap().as_str(), times.last().unwrap().as_str()),
        ("09:00", "17:30")
    );
}

async fn time_off_removes_the_days_of_that_staff_member(db: &Db) {
    let salon = salon(db).await;
    let monday = monday();
    let next_monday = monday + Duration::days(7);
    let outcome = schedule::add_time_off(
        db,
        &salon.cache,
        TZ,
        salon.dana,
        &days(monday, None, "Training"),
        false,
        Utc::now(),
    )
    .await
    .unwrap();
    let DaysOutcome::Saved { id } = outcome else {
        panic!("nothing was booked, so it is saved: {outcome:?}")
    };
    assert!(salon.times(db, monday, Some(salon.dana)).await.is_empty());
    assert_eq!(
        salon.why(db, monday, Some(salon.dana), Window::WHOLE_DAY).await,
        Unavailable::StaffAway
    );
    assert!(
        !salon.times(db, monday, Some(salon.ana)).await.is_empty(),
        "Ana still works"
    );
    assert!(
        !salon.times(db, next_monday, Some(salon.dana)).await.is_empty(),
        "only that day"
    );

    schedule::delete_time_off(db, &salon.cache, id).await.unwrap();
    assert_eq!(salon.times(db, monday, Some(salon.dana)).await.len(), 7);
}

async fn a_closure_removes_the_day_from_free_slots(db: &Db) {
    let salon = salon(db).await;
    let monday = monday();
    assert!(!salon.times(db, monday, None).await.is_empty());
    let outcome = schedule::add_closure(
        db,
        &salon.cache,
        TZ,
        &days(monday, None, "Inventory"),
        false,
        Utc::now(),
    )
    .await
    .unwrap();
    let DaysOutcome::Saved { id } = outcome else {
        panic!("nothing was booked, so it is saved: {outcome:?}")
    };
    assert!(salon.times(db, monday, None).await.is_empty());
    assert_eq!(
        salon.why(db, monday, None, Window::WHOLE_DAY).await,
        Unavailable::Closure("Inventory".into())
    );
    assert!(!salon.times(db, monday + Duration::days(1), None).await.is_empty());
    let office = schedule::load(db, TZ, Utc::now()).await.unwrap();
    assert_eq!(office.closures.len(), 1);

    schedule::delete_closure(db, &salon.cache, id).await.unwrap();
    assert!(!salon.times(db, monday, None).await.is_empty());
}

async fn bad_input_is_refused_and_nothing_is_saved(db: &Db) {
    let salon = salon(db).await;
    let before = schedule::load(db, TZ, Utc::now()).await.unwrap();
    let monday = monday();

    let dana = |hours: Vec<PeriodForm>| StaffForm {
        id: Some(salon.dana),
        name: "Dana".into(),
        role_title: "Colourist".into(),
        active: true,
        service_ids: vec![],
        hours,
    };
    let overlap = invalid(
        schedule::save_staff(
            db,
            &salon.cache,
            &dana(vec![period(2, "09:00", "13:00"), period(2, "12:00", "15:00")]),
        )
        .await,
    );
    assert_eq!(
        overlap,
        "Wednesday: 09:00–13:00 and 12:00–15:00 overlap. Join them into one period or move one."
    );
    let backwards = invalid(schedule::save_staff(db, &salon.cache, &dana(vec![period(0, "12:00", "12:00")])).await);
    assert!(backwards.contains("ends before it starts"), "{backwards}");
    let malformed = invalid(schedule::save_staff(db, &salon.cache, &dana(vec![period(0, "25:00", "26:00")])).await);
    assert_eq!(malformed, "Monday: “25:00” is not a time; write it as 14:30.");
    let duplicate = invalid(
        schedule::save_staff(
            db,
            &salon.cache,
            &StaffForm {
                name: " Ana ".into(),
                id: None,
                ..dana(vec![])
            },
        )
        .await,
    );
    assert_eq!(
        duplicate,
        "There is already a staff member called “Ana”. Choose another name, or edit that one."
    );
    let nameless = invalid(
        schedule::save_staff(
            db,
            &salon.cache,
            &StaffForm {
                name: "  ".into(),
                ..dana(vec![])
            },
        )
        .await,
    );
    assert_eq!(nameless, "Give the staff member a name.");
    // A service that does not exist fails the whole save: Dana's title and hours stay.
    let ghost = StaffForm {
        service_ids: vec![salon.service.id + 1000],
        ..dana(vec![period(4, "09:00", "10:00")])
    };
    invalid(schedule::save_staff(db, &salon.cache, &ghost).await);

    let bad_week = [period(0, "ab", "18:00")];
    let hours = invalid(schedule::save_business_hours(db, &salon.cache, TZ, &bad_week, false, Utc::now()).await);
    assert_eq!(hours, "Monday: “ab” is not a time; write it as 14:30.");
    invalid(
        schedule::save_business_hours(
            db,
            &salon.cache,
            TZ,
            &[period(1, "09:00", "14:00"), period(1, "13:00", "18:00")],
            false,
            Utc::now(),
        )
        .await,
    );

    let backwards_days = days(monday, Some(monday - Duration::days(1)), "Holiday");
    let closure = invalid(schedule::add_closure(db, &salon.cache, TZ, &backwards_days, false, Utc::now()).await);
    assert_eq!(
        closure,
        "The closure ends before it starts: choose a last day on or after the first."
    );
    let time_off =
        invalid(schedule::add_time_off(db, &salon.cache, TZ, salon.dana, &backwards_days, false, Utc::now()).await);
    assert_eq!(
        time_off,
        "The time off ends before it starts: choose a last day on or after the first."
    );
    let past = days(monday - Duration::days(30), None, "Holiday");
    assert!(
        invalid(schedule::add_closure(db, &salon.cache, TZ, &past, false, Utc::now()).await).contains("over already")
    );

    let after = schedule::load(db, TZ, Utc::now()).await.unwrap();
    assert_eq!(after, before, "nothing was saved");
}

async fn booked_at(db: &Db, salon: &Salon, staff_id: i64, starts_at: DateTime<Utc>) -> (i64, i64) {
    let now = Utc::now();
    let contact = contacts::get_or_create_contact(
        db,
        &WaId::parse("34600800800").unwrap(),
        Some("Sara López"),
        now,
        Some(now),
    )
    .await
    .unwrap();
    let id = knowledge::insert_appointment(
        db,
        &NewAppointment {
            contact_id: contact.id,
            service_id: salon.service.id,
            staff_id,
            starts_at,
            ends_at: starts_at + Duration::minutes(30),
            status: AppointmentStatus::Booked,
            source: BookingSource::Bot,
            campaign_id: None,
            price_cents: 2000,
            created_at: now,
        },
    )
    .await
    .unwrap();
    (contact.id, id)
}

async fn days_over_booked_appointments_wait_for_keep_booked(db: &Db) {
    let salon = salon(db).await;
    let monday = monday();
    let (contact, appointment) = booked_at(db, &salon, salon.ana, at_local(TZ, monday, 10, 0).unwrap()).await;
    let closure = days(monday - Duration::days(1), Some(monday), "Flood");

    let outcome = schedule::add_closure(db, &salon.cache, TZ, &closure, false, Utc::now())
        .await
        .unwrap();
    let DaysOutcome::BookedInside { appointments } = outcome else {
        panic!("a booked appointment falls on it: {outcome:?}")
    };
    assert_eq!(appointments.len(), 1);
    let booked = &appointments[0];
    assert_eq!(booked.appointment_id, appointment);
    assert!(
        booked.when.ends_with(&monday.format("%-d %b %Y, 10:00").to_string()),
        "{booked:?}"
    );
    assert_eq!(
        (booked.service.as_str(), booked.staff.as_str(), booked.customer.as_str()),
        ("Cut", "Ana", "Sara López")
    );
    assert!(
        schedule::load(db, TZ, Utc::now()).await.unwrap().closures.is_empty(),
        "not saved yet"
    );
    assert!(!salon.times(db, monday, None).await.is_empty());

    // Time off for Dana is not in the way of Ana's appointment; for Ana it is.
    let dana = schedule::add_time_off(db, &salon.cache, TZ, salon.dana, &closure, false, Utc::now())
        .await
        .unwrap();
    assert!(matches!(dana, DaysOutcome::Saved { .. }), "{dana:?}");
    let ana = schedule::add_time_off(db, &salon.cache, TZ, salon.ana, &closure, false, Utc::now())
        .await
        .unwrap();
    assert!(
        matches!(ana, DaysOutcome::BookedInside { ref appointments } if appointments.len() == 1),
        "{ana:?}"
    );

    // Closed anyway, keeping it booked.
    let kept = schedule::add_closure(db, &salon.cache, TZ, &closure, true, Utc::now())
        .await
        .unwrap();
    assert!(matches!(kept, DaysOutcome::Saved { .. }), "{kept:?}");
    assert!(salon.times(db, monday, None).await.is_empty());
    let appointments = knowledge::appointments_for_contact(db, contact).await.unwrap();
    assert_eq!(appointments.len(), 1);
    assert_eq!(appointments[0].status, AppointmentStatus::Booked);
    let ana = schedule::add_time_off(db, &salon.cache, TZ, salon.ana, &closure, true, Utc::now())
        .await
        .unwrap();
    assert!(matches!(ana, DaysOutcome::Saved { .. }), "{ana:?}");
    let office = schedule::load(db, TZ, Utc::now()).await.unwrap();
    assert_eq!(office.closures.len(), 1);
    assert_eq!(office.staff.iter().map(|e| e.time_off.len()).sum::<usize>(), 2);

    // Mondays from 11:00 would leave Ana's 10:00 appointment outside the hours: listed, not
    // saved; Mondays 10:00–18:00 keep it inside and save at once.
    let later = [period(0, "11:00", "18:00"), period(1, "09:00", "18:00")];
    let outcome = schedule::save_business_hours(db, &salon.cache, TZ, &later, false, Utc::now())
        .await
        .unwrap();
    assert!(
        matches!(&outcome, DaysOutcome::BookedInside { appointments } if appointments.len() == 1
            && appointments[0].appointment_id == appointment),
        "{outcome:?}"
    );
    let monday_opens =
        |office: &frontdesk::model::Schedule| office.hours.iter().find(|h| h.weekday == 0).map(|h| h.opens_minute);
    assert_eq!(
        monday_opens(&schedule::load(db, TZ, Utc::now()).await.unwrap()),
        Some(9 * 60)
    );
    let fits = [period(0, "10:00", "18:00"), period(1, "09:00", "18:00")];
    let outcome = schedule::save_business_hours(db, &salon.cache, TZ, &fits, false, Utc::now())
        .await
        .unwrap();
    assert!(matches!(outcome, DaysOutcome::Saved { .. }), "{outcome:?}");
    assert_eq!(
        monday_opens(&schedule::load(db, TZ, Utc::now()).await.unwrap()),
        Some(10 * 60)
    );
    let kept = schedule::save_business_hours(db, &salon.cache, TZ, &later, true, Utc::now())
        .await
        .unwrap();
    assert!(matches!(kept, DaysOutcome::Saved { .. }), "{kept:?}");
    assert_eq!(
        monday_opens(&schedule::load(db, TZ, Utc::now()).await.unwrap()),
        Some(11 * 60)
    );
    let appointments = knowledge::appointments_for_contact(db, contact).await.unwrap();
    assert_eq!(appointments[0].status, AppointmentStatus::Booked);
}

async fn a_staff_member_with_future_bookings_is_not_deleted(db: &Db) {
    let salon = salon(db).await;
    booked_at(db, &salon, salon.ana, at_local(TZ, monday(), 10, 0).unwrap()).await;
    match schedule::delete_staff(db, &salon.cache, salon.ana, Utc::now()).await {
        Err(EditError::Conflict(message)) => {
            assert!(message.contains("1 future appointment booked"), "{message}");
            assert!(message.contains("inactive"), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // Dana has none: she goes, with her hours.
    schedule::delete_staff(db, &salon.cache, salon.dana, Utc::now())
        .await
        .unwrap();
    let office = schedule::load(db, TZ, Utc::now()).await.unwrap();
    let names: Vec<&str> = office.staff.iter().map(|e| e.member.name.as_str()).collect();
    assert_eq!(names, ["Ana"]);
    assert!(salon.cache.get(db).await.unwrap().staff_hours.is_empty());
}
