//! The back office: services, FAQs and tags as admins edit them. Bad input is refused whole
//! with a message for the form, a service with future bookings is not deleted, a tag merge
//! moves every contact, and a price change reaches the very next customer question. Runs on
//! SQLite and on PostgreSQL.

use chrono::{Duration, Utc};
use frontdesk::{on_both_databases, on_both_test_databases};

use frontdesk::model::{AppointmentStatus, BookingSource, CampaignStatus, Role, ServiceForm, WaId, PRICE_INVALID};
use frontdesk::server::backoffice::{self, EditError};
use frontdesk::server::booking::KnowledgeCache;
use frontdesk::server::db::campaigns::{self, NewCampaign};
use frontdesk::server::db::knowledge::{self, NewAppointment};
use frontdesk::server::db::{contacts, tags, users, Db, DbError};
use frontdesk::testing::rig::{Brain, Rig};
use frontdesk::testing::TestDb;

on_both_databases!(
    services_are_created_and_changed_with_their_staff,
    bad_service_input_is_refused_and_nothing_is_saved,
    a_service_with_future_bookings_is_not_deleted,
    faqs_are_created_changed_and_deleted,
    tags_are_renamed_recoloured_and_merged,
    a_tag_is_deleted_from_its_contacts_unless_an_unfinished_campaign_uses_it,
);

on_both_test_databases!(a_new_price_is_quoted_to_the_next_customer_who_asks);

fn form(name: &str, price: &str) -> ServiceForm {
    ServiceForm {
        id: None,
        name: name.into(),
        description: String::new(),
        duration_minutes: "30".into(),
        price: price.into(),
        active: true,
        staff_ids: Vec::new(),
    }
}

fn invalid(result: Result<impl std::fmt::Debug, EditError>) -> String {
    match result {
        Err(EditError::Invalid(message)) => message,
        other => panic!("expected a refusal for the form, got {other:?}"),
    }
}

async fn services_are_created_and_changed_with_their_staff(db: &Db) {
    let cache = KnowledgeCache::default();
    let ana = knowledge::insert_staff(db, "Ana", "Stylist").await.unwrap();
    let ben = knowledge::insert_staff(db, "Ben", "Barber").await.unwrap();
    let id = backoffice::save_service(
        db,
        &cache,
        &ServiceForm {
            staff_ids: vec![ana],
            ..form("Beard trim", "12,5")
        },
    )
    .await
    .unwrap();
    let before = cache.get(db).await.unwrap();
    assert_eq!(before.service(id).unwrap().price_cents, 1250);

    backoffice::save_service(
        db,
        &cache,
        &ServiceForm {
            id: Some(id),
            duration_minutes: "45".into(),
            staff_ids: vec![ben],
            ..form("Beard trim deluxe", "35.50")
        },
    )
    .await
    .unwrap();
    // The receptionist's knowledge is read anew at once, not after its time to live.
    let after = cache.get(db).await.unwrap();
    let service = after.service(id).unwrap();
    assert_eq!(
        (service.name.as_str(), service.duration_minutes, service.price_cents),
        ("Beard trim deluxe", 45, 3550)
    );
    assert_eq!(knowledge::list_staff_services(db).await.unwrap(), vec![(ben, id)]);

    // Inactive: still listed in the back office, no longer offered by the receptionist.
    backoffice::save_service(
        db,
        &cache,
        &ServiceForm {
            id: Some(id),
            active: false,
            staff_ids: vec![ben],
            ..form("Beard trim deluxe", "35.50")
        },
    )
    .await
    .unwrap();
    assert!(cache.get(db).await.unwrap().service(id).is_none());
    let office = backoffice::load(db, "EUR").await.unwrap();
    assert!(!office.services[0].service.active);
    assert_eq!(office.services[0].staff_ids, vec![ben]);
}

async fn bad_service_input_is_refused_and_nothing_is_saved(db: &Db) {
    let cache = KnowledgeCache::default();
    let ana = knowledge::insert_staff(db, "Ana", "Stylist").await.unwrap();
    let id = backoffice::save_service(db, &cache, &form("Colour", "60"))
        .await
        .unwrap();
    for price in ["-5", "sixty", "", "60.123"] {
        let refused = invalid(backoffice::save_service(db, &cache, &form("Cut", price)).await);
        assert_eq!(refused, PRICE_INVALID, "{price}");
    }
    let duplicate = invalid(backoffice::save_service(db, &cache, &form(" Colour ", "10")).await);
    assert!(duplicate.contains("already a service called “Colour”"), "{duplicate}");

    // A rename onto another service's name changes nothing of it, not even its staff.
    backoffice::save_service(db, &cache, &form("Cut", "20")).await.unwrap();
    let clash = ServiceForm {
        id: Some(id),
        staff_ids: vec![ana],
        ..form("Cut", "99")
    };
    invalid(backoffice::save_service(db, &cache, &clash).await);
    // A staff member who does not exist: the service's change is rolled back with it.
    let ghost = ServiceForm {
        id: Some(id),
        staff_ids: vec![ana + 1000],
        ..form("Colour", "99")
    };
    invalid(backoffice::save_service(db, &cache, &ghost).await);
    let services = knowledge::list_services(db).await.unwrap();
    let colour = services.iter().find(|s| s.id == id).unwrap();
    assert_eq!((colour.name.as_str(), colour.price_cents), ("Colour", 6000));
    assert!(knowledge::list_staff_services(db).await.unwrap().is_empty());
    assert_eq!(services.len(), 2);
}

async fn a_service_with_future_bookings_is_not_deleted(db: &Db) {
    let cache = KnowledgeCache::default();
    let now = Utc::now();
    let ana = knowledge::insert_staff(db, "Ana", "Stylist").await.unwrap();
    let booked = backoffice::save_service(db, &cache, &form("Colour", "60"))
        .await
        .unwrap();
    let unused = backoffice::save_service(db, &cache, &form("Perm", "80")).await.unwrap();
    let contact = contacts::get_or_create_contact(db, &WaId::parse("34600700700").unwrap(), None, now, Some(now))
        .await
        .unwrap();
    for days in [2, 3] {
        knowledge::insert_appointment(
            db,
            &NewAppointment {
                contact_id: contact.id,
                service_id: booked,
                staff_id: ana,
                starts_at: now + Duration::days(days),
                ends_at: now + Duration::days(days) + Duration::minutes(30),
                status: AppointmentStatus::Booked,
                source: BookingSource::Bot,
                campaign_id: None,
                price_cents: 6000,
                created_at: now,
            },
        )
        .await
        .unwrap();
    }
    match backoffice::delete_service(db, &cache, booked, now).await {
        Err(EditError::Conflict(message)) => {
            assert!(message.contains("2 future appointments"), "{message}");
            assert!(message.contains("inactive"), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // Making it inactive instead keeps the appointments.
    backoffice::save_service(
        db,
        &cache,
        &ServiceForm {
            id: Some(booked),
            active: false,
            ..form("Colour", "60")
        },
    )
    .await
    .unwrap();
    let kept = knowledge::appointments_for_contact(db, contact.id).await.unwrap();
    assert_eq!(kept.len(), 2);
    assert!(kept.iter().all(|a| a.status == AppointmentStatus::Booked));

    backoffice::delete_service(db, &cache, unused, now).await.unwrap();
    let names: Vec<String> = knowledge::list_services(db)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, vec!["Colour"]);
}

async fn faqs_are_created_changed_and_deleted(db: &Db) {
    let cache = KnowledgeCache::default();
    let id = backoffice::save_faq(db, &cache, None, "Do you have parking?", "Yes, behind the shop.")
        .await
        .unwrap();
    assert_eq!(cache.get(db).await.unwrap().faqs.len(), 1);
    backoffice::save_faq(db, &cache, Some(id), "Is there parking?", "Yes, free for customers.")
        .await
        .unwrap();
    let faqs = cache.get(db).await.unwrap().faqs.clone();
    assert_eq!(faqs[0].answer, "Yes, free for customers.");
    let refused = invalid(backoffice::save_faq(db, &cache, Some(id), "  ", "x").await);
    assert_eq!(refused, "Write both the question and its answer.");
    backoffice::delete_faq(db, &cache, id).await.unwrap();
    assert!(cache.get(db).await.unwrap().faqs.is_empty());
}

async fn tags_are_renamed_recoloured_and_merged(db: &Db) {
    let now = Utc::now();
    let vip = backoffice::save_tag(db, None, "VIP", "#FF0000").await.unwrap();
    let gold = backoffice::save_tag(db, None, "Gold", "#ffd700").await.unwrap();
    let duplicate = invalid(backoffice::save_tag(db, None, "VIP", "#000000").await);
    assert!(duplicate.contains("already a tag called “VIP”"), "{duplicate}");
    assert!(invalid(backoffice::save_tag(db, Some(gold), "Gold", "gold").await).contains("#rrggbb"));
    backoffice::save_tag(db, Some(gold), "Gold members", "#daa520")
        .await
        .unwrap();

    let mut people = Vec::new();
    for wa in ["34600700701", "34600700702", "34600700703"] {
        let contact = contacts::get_or_create_contact(db, &WaId::parse(wa).unwrap(), None, now, Some(now))
            .await
            .unwrap();
        people.push(contact.id);
    }
    tags::tag_contact(db, people[0], vip).await.unwrap();
    tags::tag_contact(db, people[1], vip).await.unwrap();
    tags::tag_contact(db, people[1], gold).await.unwrap();
    tags::tag_contact(db, people[2], gold).await.unwrap();

    invalid(backoffice::merge_tags(db, gold, gold).await);
    backoffice::merge_tags(db, gold, vip).await.unwrap();
    let office = backoffice::load(db, "EUR").await.unwrap();
    assert_eq!(office.tags.len(), 1);
    assert_eq!(
        (
            office.tags[0].name.as_str(),
            office.tags[0].color.as_str(),
            office.tags[0].contacts
        ),
        ("VIP", "#ff0000", 3)
    );
    for person in people {
        let names: Vec<String> = tags::tags_for_contact(db, person)
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.name)
            .collect();
        assert_eq!(names, vec!["VIP"]);
    }
    // Merging into a tag that is gone changes nothing.
    assert!(backoffice::merge_tags(db, vip, gold).await.is_err());
    assert_eq!(backoffice::load(db, "EUR").await.unwrap().tags[0].contacts, 3);
}

/// The offline receptionist quotes the price it read before the change, and the new one
/// right after it: the knowledge it had cached is not kept.
async fn a_new_price_is_quoted_to_the_next_customer_who_asks(db: TestDb) {
    let rig = Rig::start_on(db, Brain::Offline, &[]).await;
    let state = &rig.app.state;
    let customer = "34611122233";
    rig.say(customer, "wamid.P1", "how much is a men's haircut?").await;
    let first = rig.replies(customer, 1).await;
    assert!(first[0].contains("30"), "{first:?}");

    let office = backoffice::load(&state.db, "EUR").await.unwrap();
    let entry = office
        .services
        .iter()
        .find(|e| e.service.name == "Men's haircut")
        .expect("the demo data has a men's haircut");
    let changed = ServiceForm {
        id: Some(entry.service.id),
        name: entry.service.name.clone(),
        description: entry.service.description.clone(),
        duration_minutes: entry.service.duration_minutes.to_string(),
        price: "32.50".into(),
        active: true,
        staff_ids: entry.staff_ids.clone(),
    };
    backoffice::save_service(&state.db, &state.knowledge, &changed)
        .await
        .unwrap();

    rig.say(customer, "wamid.P2", "how much is a men's haircut?").await;
    let replies = rig.replies(customer, 2).await;
    assert!(replies[1].contains("32.50"), "{replies:?}");
    rig.finish().await;
}

/// A campaign whose audience is the contacts with `tags`, as a launch stores it.
async fn campaign_for_tags(db: &Db, name: &str, tags: &[&str], by: i64) -> i64 {
    let now = Utc::now();
    let audience = frontdesk::model::Audience {
        tags: tags.iter().map(|t| t.to_string()).collect(),
        ..Default::default()
    };
    campaigns::create_campaign(
        db,
        &NewCampaign {
            name: name.into(),
            message_text: "Hi {customer_name}".into(),
            template_id: None,
            name_fallback: "there".into(),
            audience_json: serde_json::to_string(&audience).unwrap(),
            recency_days: 7,
            excluded_outcomes: String::new(),
            min_delay_seconds: 1,
            max_delay_seconds: 2,
            sending_from_minute: 0,
            sending_until_minute: 1439,
            holdout_percent: 0,
            attribution_days: 7,
            accepted_by: by,
            idempotency_key: None,
            request_hash: name.into(),
            created_at: now,
            starts_at: now,
            expires_at: now + Duration::days(1),
        },
    )
    .await
    .unwrap()
}

async fn a_tag_is_deleted_from_its_contacts_unless_an_unfinished_campaign_uses_it(db: &Db) {
    let now = Utc::now();
    let marketer = users::create_user(db, "m@salon.example", "M", Role::Marketer, "x", now)
        .await
        .unwrap();
    let vip = backoffice::save_tag(db, None, "VIP", "#ff0000").await.unwrap();
    let gold = backoffice::save_tag(db, None, "Gold", "#ffd700").await.unwrap();
    let mut people = Vec::new();
    for wa in ["34600700801", "34600700802"] {
        let contact = contacts::get_or_create_contact(db, &WaId::parse(wa).unwrap(), None, now, Some(now))
            .await
            .unwrap();
        tags::tag_contact(db, contact.id, vip).await.unwrap();
        people.push(contact.id);
    }
    tags::tag_contact(db, people[1], gold).await.unwrap();

    // Audiences name tags in any case; finished campaigns do not hold a tag back.
    let spring = campaign_for_tags(db, "Spring", &[" vip "], marketer.id).await;
    let old = campaign_for_tags(db, "Old news", &["VIP"], marketer.id).await;
    campaigns::change_status(
        db,
        old,
        &[CampaignStatus::Preparing],
        CampaignStatus::Completed,
        None,
        now,
    )
    .await
    .unwrap();
    campaign_for_tags(db, "Gold only", &["Gold"], marketer.id).await;
    let refused = match backoffice::delete_tag(db, vip).await {
        Err(EditError::Conflict(message)) => message,
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert!(refused.contains("“Spring”"), "{refused}");
    assert!(
        !refused.contains("Old news") && !refused.contains("Gold only"),
        "{refused}"
    );
    assert_eq!(
        tags::tags_for_contact(db, people[0]).await.unwrap().len(),
        1,
        "nothing was removed"
    );

    campaigns::change_status(
        db,
        spring,
        &[CampaignStatus::Preparing],
        CampaignStatus::Cancelled,
        None,
        now,
    )
    .await
    .unwrap();
    backoffice::delete_tag(db, vip).await.unwrap();
    let names = |person| async move {
        tags::tags_for_contact(db, person)
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.name)
            .collect::<Vec<_>>()
    };
    assert!(names(people[0]).await.is_empty());
    assert_eq!(names(people[1]).await, ["Gold"]);
    let office = backoffice::load(db, "EUR").await.unwrap();
    assert_eq!(
        office.tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["Gold"]
    );
    assert!(matches!(
        backoffice::delete_tag(db, vip).await,
        Err(EditError::Db(DbError::NotFound("tag")))
    ));
}
