//! The demo salon loaded on the first start of an empty database, so a new user sees a
//! living app: services, staff, opening hours, FAQs, and a few customers with history.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use super::conversations::{get_or_create_conversation, insert_message, set_mode, set_needs_attention, NewMessage};
use super::knowledge::{
    assign_service, insert_appointment, insert_business_hours, insert_closure, insert_faq, insert_service,
    insert_staff, NewAppointment,
};
use super::templates::{self, TemplateDefinition};
use super::{contacts, tags, DbExecutor, DbResult};
use crate::model::{
    AppointmentStatus, Author, BookingSource, ConversationMode, DeliveryStatus, NameSource, OpeningHours, Outcome, WaId,
};

/// True when nothing has been stored yet: no services and no contacts.
pub async fn database_is_empty(mut db: impl DbExecutor) -> DbResult<bool> {
    let rows: i64 = sqlx::query_scalar("SELECT (SELECT COUNT(*) FROM services) + (SELECT COUNT(*) FROM contacts)")
        .fetch_one(&mut *db.reader().await?)
        .await?;
    Ok(rows == 0)
}

/// One line of a demo chat: minutes before "now", who wrote it, and what.
type Line = (i64, Author, &'static str);

/// The demo salon: services, staff, hours, holidays, FAQs and five customers with their history. One
/// script on purpose: it reads top to bottom like the story it tells. Run it in a
/// transaction, so a failed start leaves the database empty.
pub async fn load_demo_salon(mut db: impl DbExecutor, tz: Tz, now: DateTime<Utc>) -> DbResult<()> {
    // Aliases: the words customers use for each service, in English and Spanish.
    let womens_cut = insert_service(
        &mut db,
        "Women's haircut",
        "Wash, cut and finish",
        45,
        5500,
        "haircut, cut, corte, corte de pelo, corte de mujer",
    )
    .await?;
    let mens_cut = insert_service(
        &mut db,
        "Men's haircut",
        "Cut and style",
        30,
        3000,
        "men's cut, barber, corte de hombre, corte de caballero",
    )
    .await?;
    let colour = insert_service(
        &mut db,
        "Colour",
        "Full colour, root to tip",
        90,
        8500,
        "color, dye, tinte, coloración",
    )
    .await?;
    let highlights = insert_service(
        &mut db,
        "Highlights",
        "Foil highlights with toner",
        120,
        12000,
        "mechas, reflejos",
    )
    .await?;
    let blow_dry = insert_service(
        &mut db,
        "Blow-dry",
        "Wash and blow-dry",
        30,
        3500,
        "blowdry, blow dry, secado, peinado, brushing",
    )
    .await?;
    let beard = insert_service(
        &mut db,
        "Beard trim",
        "Shape and hot towel",
        20,
        1800,
        "beard, barba, arreglo de barba",
    )
    .await?;

    let ana = insert_staff(&mut db, "Ana García", "Senior stylist").await?;
    let ben = insert_staff(&mut db, "Ben Okafor", "Barber").await?;
    let chloe = insert_staff(&mut db, "Chloe Martin", "Colourist").await?;
    for (staff, services) in [
        (ana, vec![womens_cut, colour, highlights, blow_dry]),
        (ben, vec![mens_cut, beard, blow_dry]),
        (chloe, vec![colour, highlights, womens_cut]),
    ] {
        for service in services {
            assign_service(&mut db, staff, service).await?;
        }
    }

    // Tuesday to Friday 09:00–19:00, Saturday 09:00–15:00; closed Sunday and Monday.
    for weekday in 1..=4 {
        insert_business_hours(
            &mut db,
            &OpeningHours {
                weekday,
                opens_minute: 9 * 60,
                closes_minute: 19 * 60,
            },
        )
        .await?;
    }
    insert_business_hours(
        &mut db,
        &OpeningHours {
            weekday: 5,
            opens_minute: 9 * 60,
            closes_minute: 15 * 60,
        },
    )
    .await?;

    for (question, answer) in [
        (
            "Is there parking?",
            "Yes: free parking for customers behind the salon, entrance on Calle Luna.",
        ),
        ("How can I pay?", "Card, cash or Bizum. We don't take cheques."),
        (
            "What is your cancellation policy?",
            "Free cancellation up to 24 hours before; later cancellations may be charged 50%.",
        ),
        (
            "Where are you?",
            "Calle Mayor 12, two minutes from the Sol metro station.",
        ),
        (
            "Do you take walk-ins?",
            "When a chair is free, yes, but booking guarantees your time.",
        ),
        // A salon in Madrid answers its Spanish-speaking customers in Spanish.
        (
            "¿Hay aparcamiento?",
            "Sí: aparcamiento gratuito para clientes detrás del salón, con entrada por la Calle Luna.",
        ),
        (
            "¿Cómo puedo pagar?",
            "Con tarjeta, en efectivo o por Bizum. No aceptamos cheques.",
        ),
        (
            "¿Cuál es vuestra política de cancelación?",
            "Cancelación gratuita hasta 24 horas antes; después podemos cobrar el 50%.",
        ),
        (
            "¿Dónde estáis?",
            "En la Calle Mayor 12, a dos minutos del metro de Sol.",
        ),
    ] {
        insert_faq(&mut db, question, answer).await?;
    }

    // Christmas (this year's, unless it is over) and the next New Year's Day.
    let today = now.with_timezone(&tz).date_naive();
    let christmas_year = if (today.month(), today.day()) > (12, 26) {
        today.year() + 1
    } else {
        today.year()
    };
    let date = |year, month, day| NaiveDate::from_ymd_opt(year, month, day).expect("valid demo date");
    let (christmas, boxing_day) = (date(christmas_year, 12, 25), date(christmas_year, 12, 26));
    insert_closure(&mut db, christmas, boxing_day, "Christmas").await?;
    let new_year = date(today.year() + 1, 1, 1);
    insert_closure(&mut db, new_year, new_year, "New Year's Day").await?;

    let vip = tags::create_tag(&mut db, "VIP", "#b45309").await?;
    let colour_client = tags::create_tag(&mut db, "Colour client", "#7c3aed").await?;

    // Sara: a returning customer the bot booked last week, in Spanish.
    let sara = demo_contact(&mut db, "34600111222", Some("Sara López"), now - Duration::days(8)).await?;
    contacts::set_language(&mut db, sara, Some("es")).await?;
    demo_chat(
        &mut db,
        sara,
        now,
        &[
            (8 * 1440, Author::Customer, "Hola"),
            (
                8 * 1440 - 1,
                Author::Bot,
                "¡Hola! Te damos la bienvenida al salón. ¿Me dices tu nombre?",
            ),
            (8 * 1440 - 2, Author::Customer, "Soy Sara"),
            (
                8 * 1440 - 3,
                Author::Bot,
                "¡Un placer, Sara! ¿En qué te puedo ayudar hoy?",
            ),
            (
                8 * 1440 - 4,
                Author::Customer,
                "¿Me podéis cortar el pelo el viernes por la tarde?",
            ),
            (
                8 * 1440 - 5,
                Author::Bot,
                "¡Reservado! Corte de mujer con Ana el viernes a las 16:00. ¡Te esperamos, Sara!",
            ),
        ],
    )
    .await?;
    let last_friday = local_day_at(tz, now - Duration::days(8), 16, 0);
    demo_appointment(
        &mut db,
        sara,
        womens_cut,
        ana,
        last_friday,
        45,
        5500,
        AppointmentStatus::Completed,
        BookingSource::Bot,
        now - Duration::days(8),
    )
    .await?;
    contacts::set_outcome(&mut db, sara, Outcome::Booked, now - Duration::days(8)).await?;
    tags::tag_contact(&mut db, sara, vip.id).await?;

    // Priya: asked a human about colour; staff took over and booked her.
    let priya = demo_contact(&mut db, "447700900123", Some("Priya Shah"), now - Duration::days(2)).await?;
    let priya_conversation = demo_chat(
        &mut db,
        priya,
        now,
        &[
            (2 * 1440, Author::Customer, "Hello, how much is a full colour?"),
            (
                2 * 1440 - 1,
                Author::Bot,
                "Hi Priya! A full colour is 85.00 EUR and takes about 90 minutes.",
            ),
            (
                2 * 1440 - 2,
                Author::Customer,
                "Can I talk to someone about going from dark to blonde?",
            ),
            (
                2 * 1440 - 3,
                Author::System,
                "Priya asked for a human. The bot is paused.",
            ),
            (
                2 * 1440 - 30,
                Author::Staff,
                "Hi Priya, Chloe here. Let's start with highlights; I've booked you in for a consultation.",
            ),
        ],
    )
    .await?;
    set_mode(&mut db, priya_conversation, ConversationMode::Human).await?;
    let in_three_days = local_day_at(tz, now + Duration::days(3), 11, 0);
    demo_appointment(
        &mut db,
        priya,
        highlights,
        chloe,
        in_three_days,
        120,
        12000,
        AppointmentStatus::Booked,
        BookingSource::Staff,
        now - Duration::days(2),
    )
    .await?;
    contacts::set_outcome(&mut db, priya, Outcome::HumanHandled, now - Duration::days(2)).await?;
    tags::tag_contact(&mut db, priya, colour_client.id).await?;

    // Marco: started booking highlights and went quiet.
    let marco = demo_contact(&mut db, "393331234567", Some("Marco Rossi"), now - Duration::hours(5)).await?;
    let marco_conversation = demo_chat(
        &mut db,
        marco,
        now,
        &[
            (
                300,
                Author::Customer,
                "Ciao, do you have time for highlights on Saturday?",
            ),
            (
                299,
                Author::Bot,
                "Hi Marco! On Saturday Chloe is free at 09:00 or 11:30. Which suits you?",
            ),
        ],
    )
    .await?;
    set_needs_attention(&mut db, marco_conversation, true).await?;
    contacts::set_outcome(&mut db, marco, Outcome::BookingAbandoned, now - Duration::hours(3)).await?;

    // A new number we have no name for yet (WhatsApp's profile name is only a suggestion).
    let stranger = WaId::parse("4915112345678").expect("demo number is valid");
    let stranger = contacts::get_or_create_contact(&mut db, &stranger, Some("Tom"), now - Duration::hours(2), None)
        .await?
        .id;
    demo_chat(
        &mut db,
        stranger,
        now,
        &[
            (120, Author::Customer, "Do you have parking?"),
            (
                119,
                Author::Bot,
                "Yes: free parking for customers behind the salon. May I have your name?",
            ),
        ],
    )
    .await?;

    // Lena: opted out of messages.
    let lena = demo_contact(&mut db, "31612345678", Some("Lena de Vries"), now - Duration::days(20)).await?;
    demo_chat(
        &mut db,
        lena,
        now,
        &[
            (20 * 1440, Author::Customer, "STOP"),
            (
                20 * 1440 - 1,
                Author::Bot,
                "You won't receive any more messages from us. Reply START to opt back in.",
            ),
        ],
    )
    .await?;
    contacts::set_opted_out(&mut db, lena, true, now - Duration::days(20)).await?;
    Ok(())
}

/// The demo's WhatsApp templates, for when Graph cannot be asked for the real ones: a
/// named marketing offer in English and Spanish, a positional reminder, and one still
/// waiting for Meta's approval (which nothing may send).
pub async fn load_demo_templates(db: impl DbExecutor, now: DateTime<Utc>) -> DbResult<()> {
    let template =
        |name: &str, language: &str, category: &str, status: &str, body: &str, parameter: &str| TemplateDefinition {
            name: name.into(),
            language: language.into(),
            category: category.into(),
            status: status.into(),
            body: body.into(),
            parameters: vec![parameter.into()],
        };
    let library = [
        template(
            "seasonal_offer",
            "en",
            "MARKETING",
            "APPROVED",
            "Hi {{customer_name}}, it's colour week at the salon: 20% off any colour service until Sunday. Reply to book your chair!",
            "customer_name",
        ),
        template(
            "seasonal_offer",
            "es",
            "MARKETING",
            "APPROVED",
            "Hola {{customer_name}}, es la semana del color en el salón: 20% de descuento en cualquier color hasta el domingo. ¡Responde para reservar!",
            "customer_name",
        ),
        template(
            "appointment_reminder",
            "en",
            "UTILITY",
            "APPROVED",
            "Hi {{1}}, this is a reminder of your appointment with us. Reply to this message if you need to change it.",
            "1",
        ),
        template(
            "we_miss_you",
            "en",
            "MARKETING",
            "PENDING",
            "Hi {{customer_name}}, we miss you! Book this month and your blow-dry is on us.",
            "customer_name",
        ),
    ];
    templates::replace_templates(db, &library, now).await?;
    Ok(())
}

async fn demo_contact(
    mut db: impl DbExecutor,
    wa_id: &str,
    name: Option<&str>,
    first_seen: DateTime<Utc>,
) -> DbResult<i64> {
    let wa_id = WaId::parse(wa_id).expect("demo number is valid");
    let contact = contacts::get_or_create_contact(&mut db, &wa_id, None, first_seen, None).await?;
    contacts::set_name(&mut db, contact.id, name, NameSource::Customer).await?;
    Ok(contact.id)
}

/// Writes a chat and returns its conversation id.
async fn demo_chat(mut db: impl DbExecutor, contact_id: i64, now: DateTime<Utc>, lines: &[Line]) -> DbResult<i64> {
    let first = lines.first().map_or(now, |(ago, _, _)| now - Duration::minutes(*ago));
    let conversation = get_or_create_conversation(&mut db, contact_id, first).await?;
    for (ago, author, body) in lines {
        let at = now - Duration::minutes(*ago);
        let inbound = *author == Author::Customer;
        let status = if inbound {
            DeliveryStatus::Received
        } else {
            DeliveryStatus::Read
        };
        insert_message(&mut db, &NewMessage::new(conversation.id, *author, body, status, at)).await?;
        if inbound {
            contacts::record_inbound(&mut db, contact_id, at).await?;
        }
    }
    Ok(conversation.id)
}

#[allow(clippy::too_many_arguments)]
async fn demo_appointment(
    mut db: impl DbExecutor,
    contact_id: i64,
    service_id: i64,
    staff_id: i64,
    starts_at: DateTime<Utc>,
    minutes: i64,
    price_cents: i64,
    status: AppointmentStatus,
    source: BookingSource,
    created_at: DateTime<Utc>,
) -> DbResult<()> {
    insert_appointment(
        &mut db,
        &NewAppointment {
            contact_id,
            service_id,
            staff_id,
            starts_at,
            ends_at: starts_at + Duration::minutes(minutes),
            status,
            source,
            campaign_id: None,
            price_cents,
            created_at,
        },
    )
    .await?;
    Ok(())
}

/// `hour:minute` in the business time zone on the local day of `day`.
fn local_day_at(tz: Tz, day: DateTime<Utc>, hour: u32, minute: u32) -> DateTime<Utc> {
    let local = day
        .with_timezone(&tz)
        .date_naive()
        .and_hms_opt(hour, minute, 0)
        .expect("valid demo time");
    tz.from_local_datetime(&local)
        .earliest()
        .map_or(day, |t| t.with_timezone(&Utc))
}
