//! The offline receptionist: deterministic, no network, English and Spanish. It reads each
//! message into the same [`Understanding`] a remote model returns (intents, name, booking
//! wish, choice, negation, language), and answers what needs no decision (greetings,
//! prices, hours, FAQs) from the knowledge tables, in the customer's language.

mod answers;
mod when;
mod words;

use chrono::NaiveDate;

use super::understanding::{BookingFields, Choice, HoursAsked, Question, Understanding};
use super::{clean_name, AiContext, AiReply, TokenUsage};
use crate::model::{Author, Intent, Service, StaffMember};
use crate::server::booking::KnowledgeSnapshot;
use crate::server::i18n::{self, Lang};
use when::hh_mm;
use words::Text;

pub fn reply(context: &AiContext) -> AiReply {
    let understanding = understand(context);
    let lang = understanding
        .language
        .as_deref()
        .and_then(Lang::parse)
        .unwrap_or_else(|| context.language.clone());
    AiReply {
        text: answers::compose(context, &understanding, &lang),
        understanding,
        usage: TokenUsage::default(),
    }
}

/// The offline reading of one message. Each rule adds what it finds, so one message can be
/// a name and a booking at once; STOP alone stands on its own.
pub fn understand(context: &AiContext) -> Understanding {
    let text = Text::new(&context.message);
    let today = context.now.with_timezone(&context.timezone).date_naive();
    let mut u = Understanding {
        language: i18n::detect(&context.message).map(|l| l.code().to_string()),
        ..Understanding::default()
    };
    if text.has_any(words::OPT_OUT) {
        u.intents.push(Intent::OptOut);
        return u;
    }
    if text.has_any(words::HUMAN) {
        u.intents.push(Intent::HumanRequested);
    }
    if context.confirming.is_some() {
        confirmation_answer(&text, &mut u);
    }
    if let Some(name) = stated_name(context, &text) {
        u.customer_name = Some(name);
        u.intents.push(Intent::NameProvided);
    }
    let k = &context.knowledge;
    let when = when::read(&text, today);
    let service = service_in(k, &text).map(|s| s.name.clone());
    let staff = staff_in(k, &text).map(|s| s.name.clone());
    let cancels = text.has_any(words::CANCEL) && !text.has_any(words::POLICY);
    if cancels {
        u.negated = cancel_is_negated(&text);
        if !u.has(Intent::Yes) && !u.has(Intent::No) {
            u.intents.push(Intent::BookingCancelled);
        }
    } else if text.has_any(words::RESCHEDULE) && context.next_appointment().is_some() {
        let mut fields = fields(service, staff, &when);
        if text.has_any(words::SAME_TIME) {
            fields.time = context.next_appointment().map(|a| {
                let local = a.starts_at.with_timezone(&context.timezone);
                local.format("%H:%M").to_string()
            });
        }
        u.booking = Some(fields).filter(|f| !f.is_empty());
        u.intents.push(Intent::BookingReschedule);
    } else if let Some(choice) = (!context.offered.is_empty())
        .then(|| choice_in(&text, k, &when))
        .flatten()
    {
        u.choice = Some(choice);
        u.intents.push(Intent::BookingConfirmed);
    } else if wants_booking(context, &text, service.is_some(), &when) {
        u.booking = Some(fields(service, staff, &when));
        u.intents.push(Intent::BookingRequest);
    }
    if !u.has(Intent::BookingRequest) && !u.has(Intent::BookingReschedule) {
        u.question = question_in(k, &text, today);
        if u.question.is_some() {
            u.intents.push(Intent::Faq);
        }
    }
    if context.pending_booking.is_some() && text.has_any(words::ABANDON) && u.intents.is_empty() {
        u.intents.push(Intent::BookingAbandoned);
    }
    if u.intents.is_empty() && text.has_any(words::GREETINGS) {
        u.intents.push(Intent::Greeting);
    }
    if u.intents.is_empty() {
        u.intents.push(Intent::Other);
    }
    u
}

/// The answer to "Shall I cancel …?": a clear yes, a clear no, or neither.
fn confirmation_answer(text: &Text, u: &mut Understanding) {
    let no = text.has_any(words::NO) || (text.has_any(words::CANCEL) && cancel_is_negated(text));
    if no {
        u.intents.push(Intent::No);
    } else if text.has_any(words::YES) || (text.has_any(words::CANCEL) && text.words.len() <= 6) {
        u.intents.push(Intent::Yes);
    }
}

/// "don't cancel", "no la canceles", "I do not want to cancel": a negation shortly before
/// the word "cancel".
fn cancel_is_negated(text: &Text) -> bool {
    let Some(at) = text
        .words
        .iter()
        .position(|w| w.starts_with("cancel") || w.starts_with("anul"))
    else {
        return false;
    };
    text.words[at.saturating_sub(4)..at]
        .iter()
        .any(|w| words::NEGATIONS.contains(&w.as_str()) || w.ends_with("n't"))
}

fn fields(service: Option<String>, staff: Option<String>, when: &when::When) -> BookingFields {
    BookingFields {
        service,
        date: when.date.clone(),
        date_to: when.date_to.clone(),
        time: when.time.map(hh_mm),
        earliest: when.earliest.map(hh_mm),
        latest: when.latest.map(hh_mm),
        staff,
    }
}

fn wants_booking(context: &AiContext, text: &Text, service: bool, when: &when::When) -> bool {
    let asks_about = text.has_any(words::PRICE) || text.has_any(words::DURATION) || asks_hours(text);
    let wish = text.has_any(words::BOOKING) && !asks_about;
    let continuing = context.pending_booking.is_some() && (service || !when.is_empty());
    wish || continuing || (service && !when.is_empty())
}

/// A reference to one of the offered times: "the first one", "2", "the 10:30", "with Ana",
/// "any is fine". A new day is a new request, not a choice.
fn choice_in(text: &Text, k: &KnowledgeSnapshot, when: &when::When) -> Option<Choice> {
    if when.date.is_some() {
        return None;
    }
    let index = words::ORDINALS
        .iter()
        .find(|(word, _)| text.words.iter().any(|w| w == word))
        .map(|(_, index)| *index)
        .or_else(|| {
            // A bare number in a short answer: "2", "option 2", "la 2".
            (text.words.len() <= 4)
                .then(|| text.words.iter().find_map(|w| w.parse::<i64>().ok()))
                .flatten()
                .filter(|n| (1..=9).contains(n))
        });
    let choice = Choice {
        index,
        time: when.time.map(hh_mm),
        staff: staff_in(k, text).map(|s| s.name.clone()),
        any: text.has_any(words::ANY) || (text.has_any(words::YES) && text.words.len() <= 3),
    };
    let chose = choice.index.is_some() || choice.time.is_some() || choice.staff.is_some() || choice.any;
    chose.then_some(choice)
}

/// The service named in the message: by its name or one of its aliases, the longest match
/// winning ("men's haircut" over "haircut").
fn service_in<'k>(k: &'k KnowledgeSnapshot, text: &Text) -> Option<&'k Service> {
    k.services
        .iter()
        .flat_map(|s| {
            std::iter::once(s.name.as_str())
                .chain(s.aliases.split(','))
                .map(move |phrase| (s, words::folded(phrase)))
        })
        .filter(|(_, phrase)| !phrase.is_empty() && text.has(phrase))
        .max_by_key(|(_, phrase)| phrase.len())
        .map(|(s, _)| s)
}

/// A staff member named by first or full name.
fn staff_in<'k>(k: &'k KnowledgeSnapshot, text: &Text) -> Option<&'k StaffMember> {
    k.staff.iter().find(|s| {
        let full = words::folded(&s.name);
        let first = full.split_whitespace().next().unwrap_or_default();
        text.has(&full) || (!first.is_empty() && text.has(first))
    })
}

fn asks_hours(text: &Text) -> bool {
    text.has_any(words::HOURS)
}

/// A question the knowledge answers: hours (on a day), a price, a duration, an FAQ.
fn question_in(k: &KnowledgeSnapshot, text: &Text, today: NaiveDate) -> Option<Question> {
    let service = service_in(k, text);
    if text.has_any(words::DURATION) {
        if let Some(service) = service {
            return Some(Question::Duration { service: service.id });
        }
    }
    if text.has_any(words::PRICE) {
        return Some(Question::Price {
            service: service.map(|s| s.id),
        });
    }
    if asks_hours(text) {
        let asks = if text.has_any(words::OPENING) {
            HoursAsked::Opening
        } else if text.has_any(words::CLOSING) {
            HoursAsked::Closing
        } else {
            HoursAsked::Open
        };
        return Some(Question::Hours {
            date: when::read(text, today).date,
            asks,
        });
    }
    faq_in(k, text).map(|id| Question::Faq { id })
}

/// The FAQ sharing the most distinctive words with the message (a word matches another
/// that starts with it: "pay" and "paying").
fn faq_in(k: &KnowledgeSnapshot, text: &Text) -> Option<i64> {
    const COMMON: &[&str] = &[
        "what", "your", "have", "there", "where", "with", "that", "this", "how", "can", "you", "the", "are", "for",
        "and", "any", "who", "why", "when", "como", "que", "hay", "los", "las", "del", "una", "puedo", "para", "con",
        "vuestra", "vuestro", "cual", "tiene", "teneis",
    ];
    let distinctive = |w: &&String| w.len() >= 3 && !COMMON.contains(&w.as_str());
    let message: Vec<&String> = text.words.iter().filter(distinctive).collect();
    k.faqs
        .iter()
        .map(|faq| {
            let question = Text::new(&faq.question);
            let shared = question
                .words
                .iter()
                .filter(distinctive)
                .filter(|w| {
                    message
                        .iter()
                        .any(|m| m.starts_with(w.as_str()) || (m.len() >= 4 && w.starts_with(m.as_str())))
                })
                .count();
            (faq.id, shared)
        })
        .filter(|(_, shared)| *shared > 0)
        .max_by_key(|(id, shared)| (*shared, -id))
        .map(|(id, _)| id)
}

/// Words that follow "I'm" / "soy" without being a name ("I'm looking for…", "soy nueva").
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
    "nueva",
    "nuevo",
    "cliente",
    "clienta",
    "de",
    "la",
    "el",
    "un",
    "una",
    "yo",
    "muy",
    "tu",
    "su",
    "yes",
    "no",
    "si",
    "vale",
];
/// Words that end a name ("I'm Sara and I'd like…", "soy Lucía y quiero…").
const NAME_ENDS: &[&str] = &[
    "and", "but", "i", "i'd", "would", "want", "like", "from", "here", "please", "thanks", "thank", "y", "quiero",
    "quisiera", "me", "para", "necesito", "tengo", "gracias", "por",
];
/// What comes before a name, with whether it must be at the start of a sentence.
const NAME_LEADS: &[&str] = &[
    "my name is",
    "my name's",
    "name is",
    "i'm",
    "i am",
    "im",
    "this is",
    "call me",
    "it's",
    "me llamo",
    "mi nombre es",
    "soy",
    "llamame",
];

fn stated_name(context: &AiContext, text: &Text) -> Option<String> {
    let original: Vec<&str> = context
        .message
        .split(|c: char| c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    let lead_end = NAME_LEADS.iter().find_map(|lead| {
        let at = text.find(lead)?;
        // Only at the start of a sentence or after a greeting: not "what time is it's…".
        let before = &text.words[..at];
        let starts_sentence = before.is_empty()
            || before.iter().all(|w| words::GREETINGS.contains(&w.as_str()))
            || original_ends_sentence(&original, at);
        starts_sentence.then(|| at + lead.split_whitespace().count())
    });
    let start = match lead_end {
        Some(end) => end,
        // A bare answer to our question: "Sara", "Sara López".
        None if context.name.is_none() && bot_just_asked_name(context) && text.words.len() <= 3 => 0,
        None => return None,
    };
    let mut name_words = Vec::new();
    for (i, word) in text.words.iter().enumerate().skip(start) {
        if NAME_ENDS.contains(&word.as_str()) {
            break;
        }
        if name_words.is_empty() && (NOT_NAMES.contains(&word.as_str()) || words::GREETINGS.contains(&word.as_str())) {
            return None;
        }
        // The name as the customer wrote it (accents and all), capitalised.
        let written = original
            .get(i)
            .map(|w| w.trim_matches(|c: char| !c.is_alphabetic() && c != '\'' && c != '-'))
            .filter(|w| words::folded(w) == *word)
            .unwrap_or(word);
        name_words.push(capitalize(written));
        if original.get(i).is_some_and(|w| w.ends_with([',', '.', '!', '?'])) || name_words.len() == 3 {
            break;
        }
    }
    clean_name(&name_words.join(" "))
}

/// Whether the original word before `index` ends a sentence ("Hi. I'm…"). Word positions of
/// the folded text and the original match while the message has no punctuation-only words.
fn original_ends_sentence(original: &[&str], index: usize) -> bool {
    index > 0
        && original
            .get(index - 1)
            .is_some_and(|w| w.ends_with(['.', '!', ',', '?']))
}

fn bot_just_asked_name(context: &AiContext) -> bool {
    let asked: Vec<String> = Lang::all()
        .iter()
        .map(|lang| i18n::text(lang, "ask-name", &[]))
        .collect();
    context
        .history
        .iter()
        .rev()
        .find(|t| t.author != Author::Customer)
        .is_some_and(|t| asked.iter().any(|a| t.text.contains(a.as_str())))
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
