//! Hostile input, fuzzed with proptest on stable Rust: the WhatsApp webhook payload parser,
//! a provider's JSON answer, the offline receptionist's reading of messages (its parser
//! of days, times and windows included), the contact import's phone numbers and CSV lines,
//! and the campaign texts' `{customer_name}` check and rendering. Each property runs a
//! bounded number of cases from a fixed seed, so CI sees the same cases every run; none may
//! panic or take long.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeZone, Utc};
use frontdesk::model::{Closure, CustomerContext, Faq, OpeningHours, Service, StaffMember};
use frontdesk::server::ai::understanding;
use frontdesk::server::ai::{offline, AiContext};
use frontdesk::server::booking::KnowledgeSnapshot;
use frontdesk::server::i18n::Lang;
use frontdesk::server::import::{normalise_phone, read_file, ReadOptions};
use frontdesk::server::whatsapp::payload;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Value};

/// The same cases on every run.
fn runner(cases: u32) -> TestRunner {
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
}

/// Campaign texts: braces, near-miss placeholders and any characters, mixed.
fn campaign_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("{customer_name}".to_string()),
        Just("{customer_nme}".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just("{{customer_name}}".to_string()),
        "[a-zA-Z0-9_ ]{1,12}".prop_map(|p| format!("{{{p}}}")),
        ".{0,12}",
    ];
    prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

#[test]
fn campaign_texts_are_checked_and_rendered_whatever_they_hold() {
    use frontdesk::model::{check_placeholders, render_text, TextError};
    let names = prop_oneof![Just(None), ".{0,20}".prop_map(Some)];
    runner(3_000)
        .run(&(campaign_text(), names), |(text, name)| {
            match check_placeholders(&text) {
                Ok(()) => {
                    // An accepted text leaves no placeholder behind once rendered.
                    let rendered = render_text(&text, name.as_deref(), "there");
                    let name_has_it = name.as_deref().is_some_and(|n| n.contains("{customer_name}"));
                    prop_assert!(
                        name_has_it || !rendered.contains("{customer_name}"),
                        "{text:?} → {rendered:?}"
                    );
                }
                Err(TextError::UnknownPlaceholder { position, .. } | TextError::Unclosed { position }) => {
                    // The position points at a `{` of the text, counted in characters from 1.
                    prop_assert_eq!(text.chars().nth(position - 1), Some('{'), "{:?} at {}", text, position);
                }
            }
            Ok(())
        })
        .unwrap();
}

/// Arbitrary JSON values, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        ".{0,40}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Replaces the value at one of a webhook payload's paths with something else.
fn mutated_payload() -> impl Strategy<Value = Value> {
    let paths: Vec<Vec<&'static str>> = vec![
        vec!["entry"],
        vec!["entry", "0", "changes"],
        vec!["entry", "0", "changes", "0", "value"],
        vec!["entry", "0", "changes", "0", "value", "messages"],
        vec!["entry", "0", "changes", "0", "value", "messages", "0", "from"],
        vec!["entry", "0", "changes", "0", "value", "messages", "0", "timestamp"],
        vec!["entry", "0", "changes", "0", "value", "messages", "0", "text"],
        vec!["entry", "0", "changes", "0", "value", "messages", "0", "type"],
        vec!["entry", "0", "changes", "0", "value", "contacts"],
    ];
    (prop::sample::select(paths), json_value(), ".{0,200}").prop_map(|(path, replacement, text)| {
        let mut payload = payload::text_message_payload("34600111222", Some("Sara"), "wamid.X", Utc::now(), &text);
        let mut at = &mut payload;
        for (i, key) in path.iter().enumerate() {
            let next = match key.parse::<usize>() {
                Ok(index) => at.get_mut(index),
                Err(_) => at.get_mut(*key),
            };
            match next {
                Some(value) if i + 1 < path.len() => at = value,
                Some(value) => {
                    *value = replacement.clone();
                    break;
                }
                None => break,
            }
        }
        payload
    })
}

#[test]
fn the_webhook_parser_survives_any_bytes_and_any_json() {
    runner(400)
        .run(&prop::collection::vec(any::<u8>(), 0..2048), |bytes| {
            let _ = payload::parse(&bytes);
            Ok(())
        })
        .unwrap();
    runner(400)
        .run(&json_value(), |value| {
            let _ = payload::parse(value.to_string().as_bytes());
            Ok(())
        })
        .unwrap();
    runner(400)
        .run(&mutated_payload(), |value| {
            let _ = payload::parse(value.to_string().as_bytes());
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_providers_answer_is_checked_whatever_it_is() {
    runner(400)
        .run(&".{0,400}", |text| {
            let _ = understanding::parse(&text);
            Ok(())
        })
        .unwrap();
    let answers = (json_value(), json_value(), json_value()).prop_map(|(intents, booking, choice)| {
        json!({ "reply": "ok", "intents": intents, "booking": booking, "choice": choice, "negated": true })
    });
    runner(400)
        .run(&answers, |answer| {
            if let Ok((_, u)) = understanding::parse(&answer.to_string()) {
                prop_assert!(!u.intents.is_empty(), "a parsed answer has an intent");
            }
            Ok(())
        })
        .unwrap();
}

/// Text that looks like a phone number, or nearly.
fn phone_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "[+0-9 ().-]{0,24}",
        "(\\+|00)?[0-9]{1,3}[ -]?[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{0,4}",
        ".{0,30}",
    ]
}

#[test]
fn phone_numbers_are_normalised_or_refused_never_panic() {
    let countries = prop::sample::select(vec![
        phonenumber::country::Id::ES,
        phonenumber::country::Id::US,
        phonenumber::country::Id::GB,
        phonenumber::country::Id::BR,
    ]);
    runner(2_000)
        .run(&(phone_like(), countries), |(raw, country)| {
            if let Ok(wa_id) = normalise_phone(&raw, country) {
                let digits = wa_id.as_str();
                prop_assert!(
                    (6..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()),
                    "{raw:?} became {digits}"
                );
                prop_assert_eq!(
                    normalise_phone(&format!("+{digits}"), country).ok(),
                    Some(wa_id.clone())
                );
            }
            Ok(())
        })
        .unwrap();
}

/// A CSV field: numbers, words, quotes, separators, consent words and dates.
fn csv_field() -> impl Strategy<Value = String> {
    prop_oneof![
        phone_like(),
        "[a-zA-Zé ]{0,70}",
        Just("\"".to_string()),
        Just("\"a,b\"".to_string()),
        Just("VIP;colour|nails".to_string()),
        Just("yes".to_string()),
        Just("2025-02-30".to_string()),
        Just("2025-01-01".to_string()),
        ".{0,20}",
    ]
}

#[test]
fn any_csv_file_is_read_with_every_line_accounted_for() {
    let options = ReadOptions {
        country: phonenumber::country::Id::ES,
        timezone: chrono_tz::Europe::Madrid,
        now: Utc::now(),
    };
    // U+FFFD marks a file the browser could not decode; such a file is refused as a whole.
    let line = prop::collection::vec(csv_field(), 0..6).prop_map(|fields| fields.join(",").replace('\u{FFFD}', "?"));
    runner(500)
        .run(&prop::collection::vec(line, 0..30), |lines| {
            let text = format!("phone,name,tags,consent\n{}", lines.join("\n"));
            let file = read_file(text.as_bytes(), &options).expect("a file with a phone header is read");
            prop_assert_eq!(
                file.lines,
                file.rejected.len() as u64 + file.duplicates + file.contacts.len() as u64
            );
            let last_line = text.lines().count() as u64;
            for rejected in &file.rejected {
                prop_assert!((2..=last_line).contains(&rejected.line), "{rejected:?} of {last_line}");
            }
            Ok(())
        })
        .unwrap();
    runner(400)
        .run(&prop::collection::vec(any::<u8>(), 0..1024), |bytes| {
            let _ = read_file(&bytes, &options);
            Ok(())
        })
        .unwrap();
}

fn salon() -> KnowledgeSnapshot {
    let service = |id, name: &str, aliases: &str| Service {
        id,
        name: name.into(),
        description: String::new(),
        duration_minutes: 45,
        price_cents: 5500,
        active: true,
        aliases: aliases.into(),
    };
    let staff = |id, name: &str| StaffMember {
        id,
        name: name.into(),
        role_title: "Stylist".into(),
        active: true,
    };
    KnowledgeSnapshot {
        services: vec![
            service(1, "Women's haircut", "haircut, corte de pelo"),
            service(2, "Colour", "tinte, color"),
        ],
        staff: vec![staff(1, "Ana García"), staff(2, "Ben Okafor")],
        staff_services: vec![(1, 1), (1, 2), (2, 1)],
        hours: (1..=5)
            .map(|weekday| OpeningHours {
                weekday,
                opens_minute: 9 * 60,
                closes_minute: 19 * 60,
            })
            .collect(),
        faqs: vec![Faq {
            id: 1,
            question: "Is there parking?".into(),
            answer: "Yes, behind the salon.".into(),
        }],
        closures: vec![Closure {
            id: 1,
            starts_on: NaiveDate::from_ymd_opt(2026, 12, 25).unwrap(),
            ends_on: NaiveDate::from_ymd_opt(2026, 12, 26).unwrap(),
            reason: "Christmas".into(),
        }],
        staff_hours: Vec::new(),
        time_off: Vec::new(),
    }
}

/// Messages made of the words the rules look for, in any order: they reach the deep paths
/// of the day, time and window parser that random text rarely does.
fn salon_words() -> impl Strategy<Value = String> {
    let words = vec![
        "at",
        "a",
        "las",
        "la",
        "the",
        "10",
        "4",
        "31",
        "2",
        "0",
        "25:00",
        "10:30",
        "4pm",
        "10h30",
        "half",
        "past",
        "quarter",
        "to",
        "ten",
        "diez",
        "y",
        "media",
        "menos",
        "cuarto",
        "after",
        "before",
        "después",
        "antes",
        "de",
        "desde",
        "hasta",
        "later",
        "than",
        "morning",
        "afternoon",
        "tarde",
        "mañana",
        "por",
        "next",
        "week",
        "semana",
        "31/11",
        "29/02/2027",
        "2020-02-30",
        "9999-12-31",
        "december",
        "diciembre",
        "noviembre",
        "of",
        "31st",
        "tuesday",
        "martes",
        "domingo",
        "cancel",
        "don't",
        "no",
        "move",
        "same",
        "time",
        "misma",
        "hora",
        "first",
        "última",
        "any",
        "with",
        "Ana",
        "I'm",
        "soy",
        "me",
        "llamo",
        "Marta",
        "¿",
        "?",
        "!",
        "💇",
        "tinte",
        "haircut",
        "how",
        "much",
        "long",
        "open",
        "close",
        "parking",
        "STOP",
        "yes",
        "sí",
        "o'clock",
        "pm",
        "am",
        "in",
    ];
    prop::collection::vec(prop::sample::select(words), 0..40).prop_map(|w| w.join(" "))
}

#[test]
fn the_offline_receptionist_reads_anything_quickly() {
    let knowledge = Arc::new(salon());
    let now = Utc.with_ymd_and_hms(2026, 11, 30, 10, 0, 0).unwrap();
    let context = |message: String| AiContext {
        business_name: "Salon".into(),
        timezone: chrono_tz::Europe::Madrid,
        currency: "EUR".into(),
        knowledge: knowledge.clone(),
        customer: CustomerContext::NewCustomer,
        name: None,
        name_asks: 0,
        appointments: Vec::new(),
        history: Vec::new(),
        message,
        pending_booking: None,
        offered: vec!["Tuesday 1 December at 10:00 (Ana García)".into()],
        confirming: Some("cancel their next appointment".into()),
        language: Lang::english(),
        now,
    };
    let read = |message: String| {
        let started = Instant::now();
        let reply = offline::reply(&context(message));
        // Unoptimised test builds are many times slower than a release build.
        prop_assert!(
            started.elapsed() < Duration::from_millis(200),
            "took {:?}",
            started.elapsed()
        );
        prop_assert!(!reply.text.trim().is_empty(), "never silence");
        prop_assert!(!reply.understanding.intents.is_empty());
        Ok(())
    };
    runner(600).run(&salon_words(), read).unwrap();
    runner(300).run(&".{0,300}", read).unwrap();
    runner(20).run(&".{3000,4096}", read).unwrap();
}
