//! The appointments page's work, through `server::appointments` with the demo salon: staff
//! book only free time (and hear the nearest free times otherwise), move and cancel, the
//! customer is told only when staff ask for it, a mark applies only once the appointment has
//! started, and a no-show takes its price out of the attended revenue. Both databases.

use chrono::{Duration, NaiveDate, Utc};
use frontdesk::model::{AppointmentForm, AppointmentStatus, BookingSource, DayRange, RoiReport, StaffUser, WaId};
use frontdesk::on_both_test_databases;
use frontdesk::server::appointments;
use frontdesk::server::backoffice::EditError;
use frontdesk::server::db::knowledge::{self, NewAppointment};
use frontdesk::server::db::{contacts, users};
use frontdesk::server::state::AppState;
use frontdesk::testing::rig::{next_friday, Brain, Rig, TZ};
use frontdesk::testing::{TestDb, ADMIN_EMAIL};

on_both_test_databases!(
    staff_book_move_and_cancel_in_free_time_and_tell_the_customer_when_asked,
    bad_bookings_are_refused_with_the_reason_and_create_nothing,
    a_no_show_takes_its_price_out_of_the_attended_revenue,
);

const CUSTOMER: &str = "34611000111";

async fn admin(state: &AppState) -> StaffUser {
    users::find_login(&state.db, ADMIN_EMAIL).await.unwrap().unwrap().0
}

fn friday() -> NaiveDate {
    NaiveDate::parse_from_str(&next_friday(), "%Y-%m-%d").unwrap()
}

fn booking(service_id: i64, time: &str) -> AppointmentForm {
    AppointmentForm {
        phone: format!("+{CUSTOMER}"),
        name: "Lena Fischer".into(),
        service_id,
        date: friday().to_string(),
        time: time.into(),
        ..AppointmentForm::default()
    }
}

fn refusal(result: Result<impl std::fmt::Debug, EditError>) -> String {
    match result {
        Err(EditError::Invalid(message) | EditError::Conflict(message)) => message,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn service_id(state: &AppState, name: &str) -> i64 {
    knowledge::list_services(&state.db)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.name == name)
        .unwrap()
        .id
}

async fn staff_booking_journey(rig: &Rig) {
    let state = &rig.app.state;
    let staff = admin(state).await;
    // The customer wrote today, so WhatsApp lets staff write back.
    rig.say(CUSTOMER, "wamid.A1", "hello").await;
    rig.replies(CUSTOMER, 1).await;
    let haircut = service_id(state, "Men's haircut").await;

    let booked = appointments::save(
        state,
        &staff,
        &AppointmentForm {
            notify: true,
            ..booking(haircut, "10:00")
        },
        Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(
        booked.notice.as_deref(),
        Some("The customer was sent a WhatsApp message about it.")
    );
    let told = rig.replies(CUSTOMER, 2).await;
    assert!(told[1].contains("booked") && told[1].contains("10:00"), "{told:?}");

    let day = appointments::day(state, friday(), Utc::now()).await.unwrap();
    let listed = day
        .appointments
        .iter()
        .find(|a| a.appointment.id == booked.appointment_id)
        .expect("the day lists the booking");
    assert_eq!(listed.local_start.format("%H:%M").to_string(), "10:00");
    assert_eq!(listed.appointment.source, BookingSource::Staff);
    assert_eq!(listed.appointment.price_cents, 3000);
    // A customer who wrote is named as WhatsApp gave the name; staff's name is not forced on them.
    assert_eq!(listed.customer, "Sara L");

    // Ben is the only barber: the same time for someone else is taken, and staff hear when
    // he is free instead.
    let taken = appointments::save(
        state,
        &staff,
        &AppointmentForm {
            phone: "+34611000222".into(),
            ..booking(haircut, "10:00")
        },
        Utc::now(),
    )
    .await;
    let message = refusal(taken);
    assert!(message.contains("not free") && message.contains("10:30"), "{message}");

    // Moved without telling the customer: nothing more reaches them.
    appointments::save(
        state,
        &staff,
        &AppointmentForm {
            appointment_id: Some(booked.appointment_id),
            ..booking(haircut, "11:00")
        },
        Utc::now(),
    )
    .await
    .unwrap();
    let day = appointments::day(state, friday(), Utc::now()).await.unwrap();
    let moved = day
        .appointments
        .iter()
        .find(|a| a.appointment.id == booked.appointment_id)
        .unwrap();
    assert_eq!(moved.local_start.format("%H:%M").to_string(), "11:00");
    assert_eq!(rig.graph.sent_to(CUSTOMER).len(), 2);

    // Not started: it cannot be marked yet.
    let early = appointments::mark(state, booked.appointment_id, AppointmentStatus::NoShow, Utc::now()).await;
    assert!(refusal(early).contains("not started"));

    let cancelled = appointments::cancel(state, &staff, booked.appointment_id, true, Utc::now())
        .await
        .unwrap();
    assert!(cancelled.notice.is_some());
    let told = rig.replies(CUSTOMER, 3).await;
    assert!(told[2].contains("cancelled"), "{told:?}");
    let day = appointments::day(state, friday(), Utc::now()).await.unwrap();
    let gone = day
        .appointments
        .iter()
        .find(|a| a.appointment.id == booked.appointment_id)
        .unwrap();
    assert_eq!(gone.appointment.status, AppointmentStatus::Cancelled);
    // Cancelled, its time is free again.
    appointments::save(
        state,
        &staff,
        &AppointmentForm {
            phone: "+34611000222".into(),
            ..booking(haircut, "11:00")
        },
        Utc::now(),
    )
    .await
    .unwrap();
}

async fn staff_book_move_and_cancel_in_free_time_and_tell_the_customer_when_asked(db: TestDb) {
    let rig = Rig::start_on(db, Brain::Offline, &[]).await;
    staff_booking_journey(&rig).await;
    rig.finish().await;
}

async fn bad_bookings_are_refused_with_the_reason_and_create_nothing(db: TestDb) {
    let rig = Rig::start_on(db, Brain::Offline, &[]).await;
    let state = &rig.app.state;
    let staff = admin(state).await;
    let haircut = service_id(state, "Men's haircut").await;
    // The demo salon's own bookings may fall on that Friday (one is three days ahead).
    let booked_before = appointments::day(state, friday(), Utc::now())
        .await
        .unwrap()
        .appointments;
    let cases = [
        (
            AppointmentForm {
                date: String::new(),
                ..booking(haircut, "10:00")
            },
            "day",
        ),
        (booking(haircut, "9.30am"), "time"),
        (
            AppointmentForm {
                date: (Utc::now() - Duration::days(2)).format("%Y-%m-%d").to_string(),
                ..booking(haircut, "10:00")
            },
            "passed",
        ),
        (
            AppointmentForm {
                phone: "call me".into(),
                ..booking(haircut, "10:00")
            },
            "WhatsApp number",
        ),
        (booking(0, "10:00"), "services"),
        // Closed on Sundays and Mondays.
        (
            AppointmentForm {
                date: (friday() + Duration::days(2)).to_string(),
                ..booking(haircut, "10:00")
            },
            "no free time",
        ),
    ];
    for (form, reason) in cases {
        let message = refusal(appointments::save(state, &staff, &form, Utc::now()).await);
        assert!(message.contains(reason), "{form:?}: {message}");
    }
    // No customer was added by a refused booking.
    let customer = contacts::find_contact_by_wa_id(&state.db, &WaId::parse(CUSTOMER).unwrap())
        .await
        .unwrap();
    assert!(customer.is_none());
    let day = appointments::day(state, friday(), Utc::now()).await.unwrap();
    assert_eq!(
        day.appointments, booked_before,
        "no appointment was added by a refused booking"
    );
    rig.finish().await;
}

async fn attended_revenue(state: &AppState, day: NaiveDate) -> i64 {
    let range = DayRange { from: day, to: day };
    let report: RoiReport = frontdesk::server::analytics::roi_now(state, range).await.unwrap();
    report.totals.revenue_cents
}

async fn a_no_show_takes_its_price_out_of_the_attended_revenue(db: TestDb) {
    let rig = Rig::start_on(db, Brain::Offline, &[]).await;
    let state = &rig.app.state;
    let now = Utc::now();
    let contact = contacts::get_or_create_contact(&state.db, &WaId::parse(CUSTOMER).unwrap(), None, now, None)
        .await
        .unwrap();
    let haircut = service_id(state, "Men's haircut").await;
    let ben = knowledge::list_staff(&state.db)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.name == "Ben Okafor")
        .unwrap()
        .id;
    // Booked by the bot two days ago, for yesterday.
    let booked_at = now - Duration::days(2);
    let day = booked_at.with_timezone(&TZ).date_naive();
    let without = attended_revenue(state, day).await;
    let id = knowledge::insert_appointment(
        &state.db,
        &NewAppointment {
            contact_id: contact.id,
            service_id: haircut,
            staff_id: ben,
            starts_at: now - Duration::days(1),
            ends_at: now - Duration::days(1) + Duration::minutes(30),
            status: AppointmentStatus::Booked,
            source: BookingSource::Bot,
            campaign_id: None,
            price_cents: 4200,
            created_at: booked_at,
        },
    )
    .await
    .unwrap();

    appointments::mark(state, id, AppointmentStatus::Completed, now)
        .await
        .unwrap();
    assert_eq!(attended_revenue(state, day).await, without + 4200);
    appointments::mark(state, id, AppointmentStatus::NoShow, now)
        .await
        .unwrap();
    assert_eq!(attended_revenue(state, day).await, without);
    let unmarked = appointments::day(state, now.with_timezone(&TZ).date_naive(), now)
        .await
        .unwrap()
        .unmarked;
    assert!(
        unmarked.iter().all(|a| a.appointment.id != id),
        "a marked one waits no more"
    );

    // A mark is for appointments that happened: a cancelled one cannot get one.
    let staff = admin(state).await;
    let later = appointments::save(
        state,
        &staff,
        &AppointmentForm {
            phone: format!("+{CUSTOMER}"),
            ..booking(haircut, "12:00")
        },
        now,
    )
    .await
    .unwrap();
    appointments::cancel(state, &staff, later.appointment_id, false, now)
        .await
        .unwrap();
    let mark = appointments::mark(
        state,
        later.appointment_id,
        AppointmentStatus::Completed,
        now + Duration::days(30),
    )
    .await;
    assert!(refusal(mark).contains("cancelled"));
    rig.finish().await;
}
