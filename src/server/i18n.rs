//! The languages customers are answered in. Every sentence our code writes to a customer is
//! a message of a Fluent catalog, `locales/<code>/main.ftl`, one per language, built into
//! the binary. This module renders those messages, writes dates, prices and lists the way
//! each language writes them, and guesses a customer's language from what they write.
//!
//! A new language is one new catalog and nothing else: its name, its code for the language
//! detector and the words that give it away are messages of the catalog too, and a test
//! checks that it has every message English has, with the same arguments.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};

use crate::model::{Contact, LanguageChoice};
use crate::server::config::BusinessSettings;

mod detect;
pub use detect::detect;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Fluent wraps each argument in invisible Unicode isolation marks by default; they
        // would reach WhatsApp inside names and times, and break copying and matching.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// A language we have a catalog for. Only [`Lang::parse`] and [`Lang::all`] make one, so
/// every `Lang` can be written in.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Lang(LanguageIdentifier);

/// Every catalog's language, in code order, read once from the loader.
static ALL: LazyLock<Vec<Lang>> = LazyLock::new(|| {
    let mut all: Vec<Lang> = LOCALES.locales().cloned().map(Lang).collect();
    all.sort_by(|a, b| a.code().cmp(b.code()));
    all
});

impl Lang {
    /// The catalog language of a code as people and systems write it: `es`, `ES`, `es-ES`
    /// and `es_ES` are all Spanish. `None` for a language we have no catalog for.
    pub fn parse(code: &str) -> Option<Lang> {
        let language = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        ALL.iter().find(|lang| lang.code() == language).cloned()
    }

    /// The two-letter code stored with a contact and used in settings: `en`, `es`.
    pub fn code(&self) -> &str {
        self.0.language.as_str()
    }

    /// Every language with a catalog. A new catalog folder appears here without code changes.
    pub fn all() -> &'static [Lang] {
        &ALL
    }

    /// The language every other catalog falls back to, and the one a message is written in
    /// when its own catalog fails.
    pub fn english() -> Lang {
        Lang(LOCALES.fallback().clone())
    }

    /// How the language calls itself: "English", "Español".
    pub fn name(&self) -> String {
        text(self, "language-name", &[])
    }
}

/// The languages staff can pick for a contact, as plain data for the browser.
pub fn choices() -> Vec<LanguageChoice> {
    Lang::all()
        .iter()
        .map(|lang| LanguageChoice {
            code: lang.code().to_string(),
            name: lang.name(),
        })
        .collect()
}

/// The language to write to a contact in: theirs when we know it, else the business's.
pub fn language_of(business: &BusinessSettings, contact: &Contact) -> Lang {
    contact
        .language
        .as_deref()
        .and_then(Lang::parse)
        .unwrap_or_else(|| business.language.clone())
}

/// A value for a message's `{ $argument }`.
#[derive(Clone, Debug)]
pub enum Arg<'a> {
    Text(Cow<'a, str>),
    /// Numbers are written by Fluent, and can choose plural forms in a catalog.
    Number(i64),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(text: &'a str) -> Self {
        Arg::Text(Cow::Borrowed(text))
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(text: &'a String) -> Self {
        Arg::Text(Cow::Borrowed(text))
    }
}

impl From<String> for Arg<'_> {
    fn from(text: String) -> Self {
        Arg::Text(Cow::Owned(text))
    }
}

impl From<i64> for Arg<'_> {
    fn from(number: i64) -> Self {
        Arg::Number(number)
    }
}

impl From<u32> for Arg<'_> {
    fn from(number: u32) -> Self {
        Arg::Number(number.into())
    }
}

/// The message `id` in `lang`, with its arguments. A missing message or argument is a bug
/// the catalog tests catch; should one ship anyway, the customer gets the English message
/// (and the log says which), never a panic.
pub fn text(lang: &Lang, id: &str, args: &[(&str, Arg)]) -> String {
    let args: HashMap<&str, FluentValue> = args
        .iter()
        .map(|(name, value)| {
            let value = match value {
                Arg::Text(text) => FluentValue::from(text.as_ref()),
                Arg::Number(number) => FluentValue::from(*number),
            };
            (*name, value)
        })
        .collect();
    match LOCALES.lookup_single_language(&lang.0, id, Some(&args)) {
        Ok(text) => text,
        Err(error) => {
            tracing::error!(message = id, language = lang.code(), %error, "catalog message failed; writing it in English");
            LOCALES
                .lookup_single_language(LOCALES.fallback(), id, Some(&args))
                .unwrap_or_else(|_| id.to_string())
        }
    }
}

/// "Friday", "viernes".
pub fn weekday(lang: &Lang, day: Weekday) -> String {
    text(lang, &format!("weekday-{}", day.number_from_monday()), &[])
}

/// Every week on that day: "Mondays", "los lunes".
pub fn weekday_plural(lang: &Lang, day: Weekday) -> String {
    text(lang, &format!("weekday-plural-{}", day.number_from_monday()), &[])
}

fn month(lang: &Lang, date: NaiveDate) -> String {
    text(lang, &format!("month-{}", date.month()), &[])
}

/// A day: "Friday 4 December", "viernes 4 de diciembre".
pub fn day(lang: &Lang, date: NaiveDate) -> String {
    let args: [(&str, Arg); 3] = [
        ("weekday", weekday(lang, date.weekday()).into()),
        ("day", date.day().into()),
        ("month", month(lang, date).into()),
    ];
    text(lang, "date-day", &args)
}

/// A moment in the business's time zone: "Friday 4 December at 12:30",
/// "viernes 4 de diciembre a las 12:30". Times are 24-hour in every language.
pub fn when(lang: &Lang, tz: Tz, at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&tz);
    let date = local.date_naive();
    let args: [(&str, Arg); 4] = [
        ("weekday", weekday(lang, date.weekday()).into()),
        ("day", date.day().into()),
        ("month", month(lang, date).into()),
        ("time", local.format("%H:%M").to_string().into()),
    ];
    text(lang, "date-when", &args)
}

/// An amount in minor units: "85.00 EUR", "85,00 EUR".
pub fn money(lang: &Lang, cents: i64, currency: &str) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    let args: [(&str, Arg); 3] = [
        ("whole", format!("{sign}{}", cents / 100).into()),
        ("cents", format!("{:02}", cents % 100).into()),
        ("currency", currency.into()),
    ];
    text(lang, "money", &args)
}

/// Choices: "12:00, 14:00 or 17:00", "12:00, 14:00 o 17:00".
pub fn list(lang: &Lang, items: &[String]) -> String {
    join(lang, "list-or", items)
}

/// Everything together: "wash, cut and finish", "lavado, corte y peinado".
pub fn list_and(lang: &Lang, items: &[String]) -> String {
    join(lang, "list-and", items)
}

fn join(lang: &Lang, id: &str, items: &[String]) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [first @ .., last] => {
            let first = first.join(&text(lang, "list-separator", &[]));
            text(lang, id, &[("first", first.into()), ("last", last.into())])
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use chrono::TimeZone;
    use fluent_syntax::ast;

    use super::*;

    fn es() -> Lang {
        Lang::parse("es").unwrap()
    }

    /// Each catalog's messages and the arguments each one uses, read from the files with
    /// Fluent's own parser.
    fn catalogs() -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/locales");
        let mut catalogs = BTreeMap::new();
        for folder in std::fs::read_dir(root).unwrap() {
            let folder = folder.unwrap().path();
            let code = folder.file_name().unwrap().to_string_lossy().to_string();
            let mut messages = BTreeMap::new();
            for file in std::fs::read_dir(&folder).unwrap() {
                let source = std::fs::read_to_string(file.unwrap().path()).unwrap();
                let resource = fluent_syntax::parser::parse(source.as_str())
                    .unwrap_or_else(|(_, errors)| panic!("{code}: {errors:?}"));
                for entry in resource.body {
                    if let ast::Entry::Message(message) = entry {
                        let mut variables = BTreeSet::new();
                        if let Some(pattern) = &message.value {
                            pattern_variables(pattern, &mut variables);
                        }
                        messages.insert(message.id.name.to_string(), variables);
                    }
                }
            }
            catalogs.insert(code, messages);
        }
        catalogs
    }

    fn pattern_variables(pattern: &ast::Pattern<&str>, found: &mut BTreeSet<String>) {
        for element in &pattern.elements {
            if let ast::PatternElement::Placeable { expression } = element {
                expression_variables(expression, found);
            }
        }
    }

    fn expression_variables(expression: &ast::Expression<&str>, found: &mut BTreeSet<String>) {
        match expression {
            ast::Expression::Select { selector, variants } => {
                inline_variables(selector, found);
                for variant in variants {
                    pattern_variables(&variant.value, found);
                }
            }
            ast::Expression::Inline(inline) => inline_variables(inline, found),
        }
    }

    fn inline_variables(inline: &ast::InlineExpression<&str>, found: &mut BTreeSet<String>) {
        match inline {
            ast::InlineExpression::VariableReference { id } => {
                found.insert(id.name.to_string());
            }
            ast::InlineExpression::FunctionReference { arguments, .. } => {
                for argument in &arguments.positional {
                    inline_variables(argument, found);
                }
            }
            ast::InlineExpression::Placeable { expression } => expression_variables(expression, found),
            _ => {}
        }
    }

    #[test]
    fn every_catalog_has_every_message_with_the_same_arguments() {
        let catalogs = catalogs();
        let english = &catalogs["en"];
        assert!(catalogs.len() >= 2, "{:?}", catalogs.keys());
        for (code, messages) in &catalogs {
            let ids: BTreeSet<&String> = messages.keys().collect();
            let english_ids: BTreeSet<&String> = english.keys().collect();
            assert_eq!(ids, english_ids, "{code} and en have different messages");
            for (id, variables) in messages {
                assert_eq!(variables, &english[id], "{code} {id} takes other arguments than en");
            }
            assert!(Lang::parse(code).is_some(), "{code} is not loaded");
        }
        let loaded: Vec<&str> = Lang::all().iter().map(Lang::code).collect();
        assert_eq!(loaded, catalogs.keys().map(String::as_str).collect::<Vec<_>>());
    }

    #[test]
    fn every_message_renders_without_errors_given_its_arguments() {
        for (code, messages) in catalogs() {
            let lang = Lang::parse(&code).unwrap();
            for (id, variables) in messages {
                let args: HashMap<&str, FluentValue> =
                    variables.iter().map(|v| (v.as_str(), FluentValue::from("x"))).collect();
                let rendered = LOCALES.lookup_single_language(&lang.0, &id, Some(&args));
                let rendered = rendered.unwrap_or_else(|e| panic!("{code} {id}: {e}"));
                assert!(!rendered.trim().is_empty(), "{code} {id} is empty");
                assert!(
                    !rendered.contains(['\u{2068}', '\u{2069}']),
                    "{code} {id} has isolation marks"
                );
            }
            let detector_code = text(&lang, "language-iso639-3", &[]);
            assert!(whatlang::Lang::from_code(detector_code.as_str()).is_some(), "{code}");
        }
    }

    #[test]
    fn codes_are_read_the_way_people_write_them() {
        for code in ["es", "ES", "es-ES", "es_ES", " es "] {
            assert_eq!(
                Lang::parse(code).map(|l| l.code().to_string()),
                Some("es".into()),
                "{code}"
            );
        }
        assert_eq!(Lang::parse("en-GB"), Some(Lang::english()));
        assert_eq!(Lang::english().code(), "en");
        assert_eq!(Lang::parse("xx"), None);
        assert_eq!(Lang::parse(""), None);
        assert_eq!(es().name(), "Español");
        let choices = choices();
        assert_eq!(choices[0].code, "en");
        assert_eq!(choices[0].name, "English");
    }

    #[test]
    fn dates_are_written_the_way_each_language_writes_them() {
        let friday = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        assert_eq!(day(&Lang::english(), friday), "Friday 4 December");
        assert_eq!(day(&es(), friday), "viernes 4 de diciembre");
        let tz = chrono_tz::Europe::Madrid;
        let at = tz.with_ymd_and_hms(2026, 12, 4, 12, 30, 0).unwrap().with_timezone(&Utc);
        assert_eq!(when(&Lang::english(), tz, at), "Friday 4 December at 12:30");
        assert_eq!(when(&es(), tz, at), "viernes 4 de diciembre a las 12:30");
        assert_eq!(weekday_plural(&es(), Weekday::Mon), "los lunes");
        assert_eq!(weekday(&Lang::english(), Weekday::Sun), "Sunday");
    }

    #[test]
    fn prices_and_lists_follow_the_language() {
        assert_eq!(money(&Lang::english(), 8500, "EUR"), "85.00 EUR");
        assert_eq!(money(&es(), 8500, "EUR"), "85,00 EUR");
        assert_eq!(money(&es(), -5, "EUR"), "-0,05 EUR");
        let times: Vec<String> = ["12:00", "14:00", "17:00"].map(String::from).to_vec();
        assert_eq!(list(&Lang::english(), &times), "12:00, 14:00 or 17:00");
        assert_eq!(list(&es(), &times), "12:00, 14:00 o 17:00");
        assert_eq!(list_and(&es(), &times[..2]), "12:00 y 14:00");
        assert_eq!(list(&es(), &times[..1]), "12:00");
        assert_eq!(list(&es(), &[]), "");
    }

    #[test]
    fn a_missing_message_falls_back_without_panicking() {
        assert_eq!(text(&es(), "no-such-message", &[]), "no-such-message");
        assert_eq!(text(&es(), "name-thanks", &[]), "name-thanks");
    }
}
