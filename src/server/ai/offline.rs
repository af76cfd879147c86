//! The offline receptionist: deterministic, no network. It greets, asks for the name,
//! understands "I'm Sara" / "my name is …", answers prices, hours and FAQs from the knowledge
//! tables, turns booking wishes into booking fields, and recognises STOP and asking for a
//! person. The controller treats its answers exactly like a remote model's.

use chrono::Datelike;

use super::{clean_name, AiContext, AiReply, BookingFields, TokenUsage, MAX_NAME_ASKS};
use crate::model::{format_money, opening_hours_on, Author, Intent, WEEKDAYS};
use crate::server::booking::{self, PartOfDay};

pub fn reply(context: &AiContext) -> AiReply {
    let (intent, text, customer_name, booking) = understand(context);
    let text = with_name_request(context, intent, text);
    AiReply {
        text,
        intent,
        customer_name,
        booking,
        usage: TokenUsage::default(),
    }
}

type Understood = (Intent, String, Option<String>, Option<BookingFields>);

/// The offline receptionist's reading of one message: keywords first (STOP, a person, a
/// cancellation), then a name, a booking, an FAQ. One function on purpose: the order of the
/// rules is the behaviour, and it reads top to bottom.
fn understand(context: &AiContext) -> Understood {
    let message = context.message.trim();
    let lower = message.to_lowercase();
    let k = &context.knowledge;

    if has_any(
        &lower,
        &["unsubscribe", "stop messaging", "stop sending", "no more messages"],
    ) {
        return (
            Intent::OptOut,
            "Understood: you won't receive any more messages from us.".into(),
            None,
            None,
        );
    }
    if has_any(
        &lower,
        &[
            "human",
            "a person",
            "real person",
            "someone",
            "an agent",
            "staff member",
            "talk to",
            "speak to",
            "manager",
        ],
    ) {
        return (
            Intent::HumanRequested,
            "Of course. I'm passing you to a member of our team; they will reply here shortly.".into(),
            None,
            None,
        );
    }
    if has_any(&lower, &["cancel"]) {
        return (
            Intent::BookingCancelled,
            "I'll cancel your appointment.".into(),
            None,
            None,
        );
    }
    if let Some(name) = stated_name(context, message) {
        let text = format!("Nice to meet you, {name}! How can I help you today?");
        return (Intent::NameProvided, text, Some(name), None);
    }
    if let Some(understood) = booking_wish(context, &lower) {
        return understood;
    }
    if let Some(answer) = factual_answer(context, &lower) {
        return (Intent::Faq, answer, None, None);
    }
    if has_any(&lower, &["never mind", "no thanks", "not anymore", "forget it"]) && context.pending_booking.is_some() {
        return (
            Intent::BookingAbandoned,
            "No problem. Write any time you'd like to book.".into(),
            None,
            None,
        );
    }
    if is_greeting(&lower) {
        return (Intent::Greeting, greeting(context), None, None);
    }
    let services: Vec<&str> = k.services.iter().map(|s| s.name.as_str()).collect();
    (
        Intent::Other,
        format!(
            "I can help with prices, opening hours and bookings ({}). What would you like?",
            services.join(", ")
        ),
        None,
        None,
    )
}

fn has_any(text: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| text.contains(n))
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn is_greeting(lower: &str) -> bool {
    let words = words(lower);
    words.iter().any(|w| {
        matches!(
            w.as_str(),
            "hi" | "hello" | "hey" | "hola" | "ciao" | "morning" | "evening"
        )
    })
}

fn greeting(context: &AiContext) -> String {
    match &context.name {
        Some(name) => {
            let last_visit = context
                .appointments
                .iter()
                .filter(|a| a.starts_at <= context.now)
                .max_by_key(|a| a.starts_at);
            match last_visit {
                Some(visit) => format!(
                    "Hi {name}, welcome back! I hope you enjoyed your {} with {}. How can I help you today?",
                    visit.service_name.to_lowercase(),
                    visit.staff_name
                ),
                None => format!("Hi {name}, welcome back! How can I help you today?"),
            }
        }
        None => format!("Hi! Welcome to {}.", context.business_name),
    }
}

/// Words that follow "I'm" without being a name ("I'm looking for…", "I'm fine").
const NOT_NAMES: &[&str] = &[
    "looking",
    "interested",
    "fine",
    "good",
    "great",
    "ok",
    "okay",
    "here",
    "sorry",
    "not",
    "just",
    "trying",
    "wondering",
    "calling",
    "writing",
    "free",
    "available",
    "busy",
    "late",
    "running",
    "going",
    "a",
    "an",
    "the",
    "back",
    "new",
    "still",
    "also",
    "so",
    "very",
    "thinking",
    "asking",
    "in",
    "at",
    "on",
    "sure",
    "glad",
    "happy",
];
/// Words that end a name ("I'm Sara and I'd like…").
const NAME_ENDS: &[&str] = &[
    "and", "but", "i", "i'd", "would", "want", "like", "from", "here", "please", "thanks", "thank",
];

fn stated_name(context: &AiContext, message: &str) -> Option<String> {
    let lower = message.to_lowercase();
    let after = [
        "my name is ",
        "my name's ",
        "i'm ",
        "i am ",
        "im ",
        "this is ",
        "call me ",
        "it's ",
        "name is ",
    ]
    .iter()
    .find_map(|p| {
        let at = lower.find(p)?;
        // Only at the start of a sentence or after a greeting, not "what time is it's…".
        let before = lower[..at].trim_end_matches([' ', ',', '!', '.']);
        (before.is_empty() || is_greeting(before) || before.ends_with(['.', '!', ',']))
            .then(|| &message[at + p.len()..])
    });
    let candidate = match after {
        Some(rest) => rest,
        // A bare answer to our question: "Sara", "Sara López".
        None if context.name.is_none() && bot_just_asked_name(context) && message.split_whitespace().count() <= 3 => {
            message
        }
        None => return None,
    };
    let mut name_words = Vec::new();
    for word in candidate.split_whitespace() {
        let clean = word.trim_matches(|c: char| !c.is_alphabetic() && c != '\'' && c != '-');
        let lower = clean.to_lowercase();
        if clean.is_empty() || NAME_ENDS.contains(&lower.as_str()) {
            break;
        }
        if name_words.is_empty() && (NOT_NAMES.contains(&lower.as_str()) || is_greeting(&lower)) {
            return None;
        }
        name_words.push(capitalize(clean));
        if word.ends_with([',', '.', '!', '?']) || name_words.len() == 3 {
            break;
        }
    }
    clean_name(&name_words.join(" "))
}

fn bot_just_asked_name(context: &AiContext) -> bool {
    context
        .history
        .iter()
        .rev()
        .find(|t| t.author != Author::Customer)
        .is_some_and(|t| t.text.to_lowercase().contains("your name"))
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

const BOOKING_WORDS: &[&str] = &[
    "book",
    "appointment",
    "slot",
    "available",
    "reserve",
    "free at",
    "schedule",
    "come in",
];
const YES_WORDS: &[&str] = &[
    "yes",
    "ok",
    "okay",
    "sure",
    "perfect",
    "great",
    "that works",
    "sounds good",
    "please",
    "confirm",
];

fn booking_wish(context: &AiContext, lower: &str) -> Option<Understood> {
    let k = &context.knowledge;
    let today = context.now.with_timezone(&context.timezone).date_naive();
    let service = k.find_service(lower).map(|s| s.name.clone());
    let day = booking::parse_day(lower, today);
    let time = booking::parse_time(lower);
    let part = PartOfDay::parse(lower);
    let staff = k
        .staff
        .iter()
        .find(|s| {
            let first = s.name.split_whitespace().next().unwrap_or_default().to_lowercase();
            words(lower).contains(&first)
        })
        .map(|s| s.name.clone());
    let wants_booking = has_any(lower, BOOKING_WORDS) || (service.is_some() && (day.is_some() || time.is_some()));
    let continuing = context.pending_booking.is_some()
        && (day.is_some()
            || time.is_some()
            || part.is_some()
            || service.is_some()
            || staff.is_some()
            || has_any(lower, YES_WORDS));
    if !wants_booking && !continuing {
        return None;
    }
    let said = BookingFields {
        service,
        date: day.map(|d| d.format("%Y-%m-%d").to_string()),
        time: time.map(|(h, m)| format!("{h:02}:{m:02}")),
        part_of_day: part.map(|p| p.as_str().to_string()),
        staff,
    };
    let fields = match &context.pending_booking {
        Some(pending) => said.merged_over(pending),
        None => said,
    };
    let complete = fields.service.is_some() && fields.date.is_some() && fields.time.is_some();
    let (intent, text) = if complete {
        (Intent::BookingConfirmed, "Let me book that for you.".to_string())
    } else if fields.service.is_none() {
        let names: Vec<&str> = k.services.iter().map(|s| s.name.as_str()).collect();
        (
            Intent::BookingRequest,
            format!(
                "Happy to book you in! Which service would you like? We offer {}.",
                names.join(", ")
            ),
        )
    } else if fields.date.is_none() {
        (
            Intent::BookingRequest,
            "Happy to book you in! Which day suits you?".to_string(),
        )
    } else {
        (Intent::BookingRequest, "Let me check which times are free.".to_string())
    };
    Some((intent, text, None, Some(fields)))
}

fn factual_answer(context: &AiContext, lower: &str) -> Option<String> {
    let k = &context.knowledge;
    if has_any(lower, &["how much", "price", "cost", "prices"]) {
        return Some(match k.find_service(lower) {
            Some(s) => format!(
                "A {} is {} and takes about {} minutes.",
                s.name.to_lowercase(),
                format_money(s.price_cents, &context.currency),
                s.duration_minutes
            ),
            None => {
                let list: Vec<String> = k
                    .services
                    .iter()
                    .map(|s| format!("{} {}", s.name, format_money(s.price_cents, &context.currency)))
                    .collect();
                format!("Our prices: {}.", list.join(", "))
            }
        });
    }
    if has_any(lower, &["open", "hours", "close", "closing"]) {
        let days: Vec<String> = WEEKDAYS
            .iter()
            .enumerate()
            .map(|(day, name)| {
                let hours = opening_hours_on(&k.hours, day);
                format!("{} {hours}", &name[..3])
            })
            .collect();
        let today = context.now.with_timezone(&context.timezone).weekday();
        return Some(format!("Our opening hours: {} (today is {}).", days.join("; "), today));
    }
    let message_words = words(lower);
    k.faqs
        .iter()
        .find(|faq| {
            words(&faq.question)
                .iter()
                .filter(|w| {
                    w.len() >= 4 && !matches!(w.as_str(), "what" | "your" | "have" | "there" | "where" | "with")
                })
                .any(|w| {
                    message_words
                        .iter()
                        .any(|m| m.starts_with(w.as_str()) || w.starts_with(m.as_str()) && m.len() >= 4)
                })
        })
        .map(|faq| faq.answer.clone())
}

/// While the name is unknown the receptionist asks for it — at most twice in all.
fn with_name_request(context: &AiContext, intent: Intent, text: String) -> String {
    let asks = context.name.is_none()
        && context.name_asks < MAX_NAME_ASKS
        && !matches!(
            intent,
            Intent::NameProvided | Intent::OptOut | Intent::HumanRequested | Intent::BookingConfirmed
        );
    if asks {
        format!("{text} May I have your name?")
    } else {
        text
    }
}
