//! The language a customer writes in, guessed from their message: `whatlang` where there is
//! enough text, the catalogs' telling words where there is not.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::{text, Lang};

/// Below this many letters the detector's statistics say more about chance than about the
/// language ("ok", "vale"): only the telling words decide.
const MIN_LETTERS_FOR_DETECTOR: usize = 12;
/// Enough text to tell a language; the rest of a long message would only cost time.
const MAX_ANALYSED_CHARS: usize = 400;

/// What language detection needs from the catalogs, read once.
struct Detection {
    /// `whatlang`, allowed only the languages we can answer in.
    detector: whatlang::Detector,
    /// The catalog language of each language the detector may answer.
    languages: Vec<(whatlang::Lang, Lang)>,
    /// Each catalog's telling words (`language-words`); a word in two catalogs tells nothing.
    words: HashMap<String, Lang>,
}

static DETECTION: LazyLock<Detection> = LazyLock::new(|| {
    let mut languages = Vec::new();
    let mut words: HashMap<String, Option<Lang>> = HashMap::new();
    for lang in Lang::all() {
        let iso = text(lang, "language-iso639-3", &[]);
        match whatlang::Lang::from_code(iso.trim()) {
            Some(detected) => languages.push((detected, lang.clone())),
            None => tracing::error!(
                language = lang.code(),
                "the catalog's language-iso639-3 is unknown to whatlang"
            ),
        }
        for word in text(lang, "language-words", &[]).split(',') {
            let word = word.trim().to_lowercase();
            if !word.is_empty() {
                words
                    .entry(word)
                    .and_modify(|known| {
                        if known.as_ref() != Some(lang) {
                            *known = None;
                        }
                    })
                    .or_insert_with(|| Some(lang.clone()));
            }
        }
    }
    Detection {
        detector: whatlang::Detector::with_allowlist(languages.iter().map(|(detected, _)| *detected).collect()),
        languages,
        words: words.into_iter().filter_map(|(w, lang)| Some((w, lang?))).collect(),
    }
});

/// The language a customer wrote in, among those we have catalogs for; `None` when the
/// message does not say ("ok", "2", an emoji) or the detector is unsure. Only the start of a
/// long message is read.
pub fn detect(message: &str) -> Option<Lang> {
    let detection = &*DETECTION;
    let end = message
        .char_indices()
        .nth(MAX_ANALYSED_CHARS)
        .map_or(message.len(), |(at, _)| at);
    let sample = &message[..end];
    if sample.chars().filter(|c| c.is_alphabetic()).count() >= MIN_LETTERS_FOR_DETECTOR {
        let detected = detection.detector.detect(sample).filter(whatlang::Info::is_reliable);
        if let Some(info) = detected {
            let lang = detection.languages.iter().find(|(l, _)| *l == info.lang());
            if let Some((_, lang)) = lang {
                return Some(lang.clone());
            }
        }
    }
    telling_words(detection, sample)
}

/// The language whose telling words the message has most of, if one has more than the others.
fn telling_words(detection: &Detection, sample: &str) -> Option<Lang> {
    let mut hits: Vec<(&Lang, usize)> = Vec::new();
    for word in sample.split(|c: char| !c.is_alphabetic()).filter(|w| !w.is_empty()) {
        if let Some(lang) = detection.words.get(&word.to_lowercase()) {
            match hits.iter_mut().find(|(l, _)| *l == lang) {
                Some((_, count)) => *count += 1,
                None => hits.push((lang, 1)),
            }
        }
    }
    hits.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
    match hits.as_slice() {
        [(lang, _)] => Some((*lang).clone()),
        [(lang, most), (_, next), ..] if most > next => Some((*lang).clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_of_a_message() {
        let cases = [
            ("Hola, me llamo Carmen", Some("es")),
            (
                "Quiero una cita para un corte de pelo el martes por la tarde",
                Some("es"),
            ),
            ("¿Cuánto cuesta el tinte?", Some("es")),
            ("Hi, I'm Marta. I'd like highlights on Tuesday at 10", Some("en")),
            ("hola", Some("es")),
            ("Gracias!", Some("es")),
            ("Sí", Some("es")),
            ("buenas", Some("es")),
            ("vale", Some("es")),
            ("hello", Some("en")),
            ("Thanks!", Some("en")),
            ("yes", Some("en")),
            ("please", Some("en")),
            ("Can I book a women's haircut on Friday afternoon?", Some("en")),
            ("¿Tenéis hueco mañana?", Some("es")),
            ("ok gracias", Some("es")),
            ("Vale, perfecto", Some("es")),
            ("2", None),
            ("👍", None),
            ("ok", None),
            ("", None),
        ];
        for (message, expected) in cases {
            assert_eq!(detect(message).as_ref().map(Lang::code), expected, "{message}");
        }
    }

    #[test]
    fn detection_reads_only_the_start_of_a_long_message() {
        let long = "Quiero una cita para un corte de pelo el martes por la tarde. ".repeat(70);
        let long: String = long.chars().take(4096).collect();
        detect(&long); // the catalogs and the detector are read once, before the clock starts
        let runs = 50;
        let started = std::time::Instant::now();
        for _ in 0..runs {
            assert_eq!(detect(&long).as_ref().map(Lang::code), Some("es"));
        }
        let each = started.elapsed() / runs;
        // whatlang is optimised in test builds too (Cargo.toml), so this is close to production:
        // about 30 µs.
        assert!(each < std::time::Duration::from_millis(1), "{each:?} per message");
    }
}
