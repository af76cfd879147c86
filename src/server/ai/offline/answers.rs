//! The offline receptionist's own sentences, from the message catalogs: greetings, the
//! answer to a question, what to ask next. Where the code decides (bookings, cancellations,
//! opt-outs) the controller writes the answer instead.

use chrono::{Datelike, NaiveDate};

use super::super::understanding::{HoursAsked, Question, Understanding};
use super::super::{AiContext, MAX_NAME_ASKS};
use crate::model::{format_minute_of_day, Intent, OpeningHours};
use crate::server::booking::KnowledgeSnapshot;
use crate::server::i18n::{self, Lang};

pub fn compose(context: &AiContext, u: &Understanding, lang: &Lang) -> String {
    let k = &context.knowledge;
    let mut parts: Vec<String> = Vec::new();
    for intent in &u.intents {
        let part = match intent {
            Intent::NameProvided => match &u.customer_name {
                Some(name) if u.intents.len() == 1 => format!(
                    "{} {}",
                    i18n::text(lang, "name-thanks", &[("name", name.as_str().into())]),
                    i18n::text(lang, "how-can-i-help", &[])
                ),
                Some(name) => i18n::text(lang, "name-thanks", &[("name", name.as_str().into())]),
                None => continue,
            },
            Intent::Faq => match &u.question {
                Some(question) => answer(context, question, lang),
                None => continue,
            },
            Intent::Greeting => greeting(context, lang),
            Intent::HumanRequested => i18n::text(lang, "human-handover", &[]),
            Intent::BookingAbandoned => i18n::text(lang, "booking-abandoned", &[]),
            Intent::BookingRequest => next_question(context, u, lang),
            Intent::Other => i18n::text(lang, "help", &[("services", service_names(k, lang).into())]),
            // Decided and worded by the controller.
            _ => continue,
        };
        parts.push(part);
    }
    let text = parts.join(" ");
    let text = if text.is_empty() {
        i18n::text(lang, "how-can-i-help", &[])
    } else {
        text
    };
    with_name_request(context, u, lang, text)
}

/// What a booking still needs: the service, then the day.
fn next_question(context: &AiContext, u: &Understanding, lang: &Lang) -> String {
    let k = &context.knowledge;
    let fields = u
        .booking
        .clone()
        .unwrap_or_default()
        .merged_over(&context.pending_booking.clone().unwrap_or_default());
    match fields.service.as_deref().and_then(|s| k.find_service(s)) {
        None => i18n::text(lang, "which-service", &[("services", service_names(k, lang).into())]),
        Some(service) => i18n::text(lang, "which-day", &[("service", service.name.to_lowercase().into())]),
    }
}

fn service_names(k: &KnowledgeSnapshot, lang: &Lang) -> String {
    let names: Vec<String> = k.services.iter().map(|s| s.name.clone()).collect();
    i18n::list(lang, &names)
}

fn greeting(context: &AiContext, lang: &Lang) -> String {
    let Some(name) = &context.name else {
        return i18n::text(
            lang,
            "greeting-new",
            &[("business", context.business_name.as_str().into())],
        );
    };
    let last_visit = context
        .appointments
        .iter()
        .filter(|a| a.starts_at <= context.now)
        .max_by_key(|a| a.starts_at);
    match last_visit {
        Some(visit) => i18n::text(
            lang,
            "greeting-returning-visit",
            &[
                ("name", name.as_str().into()),
                ("service", visit.service_name.to_lowercase().into()),
                ("staff", visit.staff_name.as_str().into()),
            ],
        ),
        None => i18n::text(lang, "greeting-returning", &[("name", name.as_str().into())]),
    }
}

/// The answer to the question asked, not the whole brochure.
fn answer(context: &AiContext, question: &Question, lang: &Lang) -> String {
    let k = &context.knowledge;
    let money = |cents| i18n::money(lang, cents, &context.currency);
    match question {
        Question::Price { service: Some(id) } => match k.service(*id) {
            Some(s) => i18n::text(
                lang,
                "price-of",
                &[
                    ("service", s.name.to_lowercase().into()),
                    ("price", money(s.price_cents).into()),
                    ("minutes", s.duration_minutes.into()),
                ],
            ),
            None => String::new(),
        },
        Question::Price { service: None } => {
            let list: Vec<String> = k
                .services
                .iter()
                .map(|s| format!("{} {}", s.name, money(s.price_cents)))
                .collect();
            i18n::text(lang, "prices", &[("list", list.join(", ").into())])
        }
        Question::Duration { service } => match k.service(*service) {
            Some(s) => i18n::text(
                lang,
                "duration-of",
                &[
                    ("service", s.name.to_lowercase().into()),
                    ("minutes", s.duration_minutes.into()),
                ],
            ),
            None => String::new(),
        },
        Question::Faq { id } => k
            .faqs
            .iter()
            .find(|f| f.id == *id)
            .map(|f| f.answer.clone())
            .unwrap_or_default(),
        Question::Hours { date: None, .. } => {
            let list: Vec<String> = (0..7)
                .map(|day| {
                    let weekday = chrono::Weekday::try_from(day as u8).expect("0..7 is a weekday");
                    format!("{} {}", i18n::weekday(lang, weekday), hours_text(&k.hours, day, lang))
                })
                .collect();
            i18n::text(lang, "hours-week", &[("list", list.join("; ").into())])
        }
        Question::Hours { date: Some(date), asks } => match NaiveDate::parse_from_str(date, "%Y-%m-%d") {
            Ok(date) => hours_on(k, date, *asks, lang),
            Err(_) => i18n::text(lang, "date-does-not-exist", &[]),
        },
    }
}

fn hours_on(k: &KnowledgeSnapshot, date: NaiveDate, asks: HoursAsked, lang: &Lang) -> String {
    let day = i18n::day(lang, date);
    if let Some(closure) = k.closure_on(date) {
        return i18n::text(
            lang,
            "closed-for",
            &[("day", day.into()), ("reason", closure.reason.as_str().into())],
        );
    }
    let periods: Vec<&OpeningHours> = k.hours_on(date.weekday()).collect();
    let (Some(first), Some(last)) = (periods.first(), periods.last()) else {
        let weekday = i18n::weekday_plural(lang, date.weekday());
        return i18n::text(lang, "closed-on-weekday", &[("day", weekday.into())]);
    };
    match asks {
        HoursAsked::Closing => i18n::text(
            lang,
            "closes-at",
            &[
                ("day", day.into()),
                ("time", format_minute_of_day(last.closes_minute).into()),
            ],
        ),
        HoursAsked::Opening => i18n::text(
            lang,
            "opens-at",
            &[
                ("day", day.into()),
                ("time", format_minute_of_day(first.opens_minute).into()),
            ],
        ),
        HoursAsked::Open => i18n::text(
            lang,
            "open-on",
            &[
                ("day", day.into()),
                (
                    "hours",
                    hours_text(&k.hours, date.weekday().num_days_from_monday() as usize, lang).into(),
                ),
            ],
        ),
    }
}

/// "09:00–19:00", or the catalog's word for closed.
fn hours_text(hours: &[OpeningHours], weekday: usize, lang: &Lang) -> String {
    let text = crate::model::opening_hours_on(hours, weekday);
    if text == "closed" {
        i18n::text(lang, "closed", &[])
    } else {
        text
    }
}

/// While the name is unknown the receptionist asks for it, at most twice in all.
fn with_name_request(context: &AiContext, u: &Understanding, lang: &Lang, text: String) -> String {
    let asks = context.name.is_none()
        && context.name_asks < MAX_NAME_ASKS
        && u.customer_name.is_none()
        && !u.intents.iter().any(|i| {
            matches!(
                i,
                Intent::OptOut | Intent::HumanRequested | Intent::BookingConfirmed | Intent::Yes | Intent::No
            )
        });
    if asks {
        format!("{text} {}", i18n::text(lang, "ask-name", &[]))
    } else {
        text
    }
}
