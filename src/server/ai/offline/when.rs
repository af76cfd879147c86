//! Days, times and time windows as customers write them, in English and Spanish: "Tuesday
//! at 10", "half past ten", "after 5", "por la tarde", "el 4 de diciembre", "next week".
//! Every function walks the words once, so a long message costs little.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use super::words::Text;

/// When the customer wants to come, as far as the message says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct When {
    /// `YYYY-MM-DD`; a day that does not exist ("31 November") is kept as written, so the
    /// booking code can say so.
    pub date: Option<String>,
    pub date_to: Option<String>,
    /// Minutes after midnight.
    pub time: Option<u32>,
    pub earliest: Option<u32>,
    pub latest: Option<u32>,
}

impl When {
    pub fn is_empty(&self) -> bool {
        *self == When::default()
    }
}

pub fn hh_mm(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

const WEEKDAYS: &[(&str, Weekday)] = &[
    ("monday", Weekday::Mon),
    ("mon", Weekday::Mon),
    ("tuesday", Weekday::Tue),
    ("tue", Weekday::Tue),
    ("tues", Weekday::Tue),
    ("wednesday", Weekday::Wed),
    ("wed", Weekday::Wed),
    ("thursday", Weekday::Thu),
    ("thu", Weekday::Thu),
    ("thur", Weekday::Thu),
    ("thurs", Weekday::Thu),
    ("friday", Weekday::Fri),
    ("fri", Weekday::Fri),
    ("saturday", Weekday::Sat),
    ("sat", Weekday::Sat),
    ("sunday", Weekday::Sun),
    ("sun", Weekday::Sun),
    ("lunes", Weekday::Mon),
    ("martes", Weekday::Tue),
    ("miercoles", Weekday::Wed),
    ("jueves", Weekday::Thu),
    ("viernes", Weekday::Fri),
    ("sabado", Weekday::Sat),
    ("domingo", Weekday::Sun),
];

const MONTHS: &[(&str, u32)] = &[
    ("january", 1),
    ("jan", 1),
    ("february", 2),
    ("feb", 2),
    ("march", 3),
    ("april", 4),
    ("apr", 4),
    ("may", 5),
    ("june", 6),
    ("jun", 6),
    ("july", 7),
    ("jul", 7),
    ("august", 8),
    ("aug", 8),
    ("september", 9),
    ("sept", 9),
    ("sep", 9),
    ("october", 10),
    ("oct", 10),
    ("november", 11),
    ("nov", 11),
    ("december", 12),
    ("dec", 12),
    ("enero", 1),
    ("febrero", 2),
    ("marzo", 3),
    ("abril", 4),
    ("mayo", 5),
    ("junio", 6),
    ("julio", 7),
    ("agosto", 8),
    ("septiembre", 9),
    ("setiembre", 9),
    ("octubre", 10),
    ("noviembre", 11),
    ("diciembre", 12),
];

/// Clock numbers written as words.
const NUMBERS: &[(&str, u32)] = &[
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
    ("eleven", 11),
    ("twelve", 12),
    ("noon", 12),
    ("midday", 12),
    ("una", 1),
    ("dos", 2),
    ("tres", 3),
    ("cuatro", 4),
    ("cinco", 5),
    ("seis", 6),
    ("siete", 7),
    ("ocho", 8),
    ("nueve", 9),
    ("diez", 10),
    ("once", 11),
    ("doce", 12),
    ("mediodia", 12),
];

/// Reads the day, time and window of a message; `today` is the business's local date.
pub fn read(text: &Text, today: NaiveDate) -> When {
    let mut when = When::default();
    read_days(text, today, &mut when);
    read_times(text, &mut when);
    read_parts_of_day(text, &mut when);
    when
}

fn read_days(text: &Text, today: NaiveDate, when: &mut When) {
    let iso = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    let words = &text.words;
    for (i, word) in words.iter().enumerate() {
        if let Some(date) = iso_date(word) {
            when.date = Some(date);
            return;
        }
        if let Some(date) = slash_date(word, today) {
            when.date = Some(date);
            return;
        }
        if let Some(day) = day_number(word) {
            // "4 December", "4 de diciembre", "4th of December".
            let month_at = match words.get(i + 1).map(String::as_str) {
                Some("of" | "de") => i + 2,
                _ => i + 1,
            };
            if let Some(month) = words.get(month_at).and_then(|w| month_named(w)) {
                when.date = Some(match year_after(words, month_at + 1) {
                    Some(year) => format!("{year:04}-{month:02}-{day:02}"),
                    None => day_in_month(today, month, day),
                });
                return;
            }
        }
        if let Some(month) = month_named(word) {
            // "December 4", "December 4th".
            if let Some(day) = words.get(i + 1).and_then(|w| day_number(w)) {
                when.date = Some(day_in_month(today, month, day));
                return;
            }
        }
    }
    let relative = if text.has_any(&["day after tomorrow", "pasado manana"]) {
        Some(2)
    } else if text.has_any(&["tomorrow"]) || tomorrow_in_spanish(text) {
        Some(1)
    } else if text.has_any(&[
        "today",
        "tonight",
        "this morning",
        "this afternoon",
        "this evening",
        "hoy",
        "esta tarde",
        "esta manana",
        "esta noche",
    ]) {
        Some(0)
    } else if text.has_any(&["yesterday", "ayer"]) {
        Some(-1)
    } else {
        None
    };
    if let Some(days) = relative {
        when.date = Some(iso(today + Duration::days(days)));
        return;
    }
    if text.has_any(&[
        "next week",
        "la semana que viene",
        "la proxima semana",
        "la semana proxima",
    ]) {
        let monday = today + Duration::days(7 - i64::from(today.weekday().num_days_from_monday()));
        when.date = Some(iso(monday));
        when.date_to = Some(iso(monday + Duration::days(6)));
        return;
    }
    if text.has_any(&["this week", "esta semana"]) {
        let sunday = today + Duration::days(6 - i64::from(today.weekday().num_days_from_monday()));
        when.date = Some(iso(today));
        when.date_to = Some(iso(sunday));
        return;
    }
    for word in words {
        if let Some((_, weekday)) = WEEKDAYS.iter().find(|(name, _)| name == word) {
            let ahead = (7 + weekday.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
            when.date = Some(iso(today + Duration::days(i64::from(ahead))));
            return;
        }
    }
}

/// A year written after a month: "December 2027", "diciembre de 2027".
fn year_after(words: &[String], at: usize) -> Option<i32> {
    let word = match words.get(at).map(String::as_str) {
        Some("de" | "of") => words.get(at + 1)?,
        _ => words.get(at)?,
    };
    word.parse().ok().filter(|y| (1900..=2999).contains(y))
}

/// "mañana" is tomorrow, except in "por la mañana" / "de la mañana" (the morning).
fn tomorrow_in_spanish(text: &Text) -> bool {
    text.words
        .iter()
        .enumerate()
        .any(|(i, w)| w == "manana" && !(i > 0 && text.words[i - 1] == "la") && !(i > 0 && text.words[i - 1] == "esta"))
}

/// `2026-03-14`, valid or not (a day that does not exist is returned as written).
fn iso_date(word: &str) -> Option<String> {
    let parts: Vec<&str> = word.split('-').collect();
    let [y, m, d] = parts.as_slice() else { return None };
    let (y, m, d): (i32, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    ((1000..=9999).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d))
        .then(|| format!("{y:04}-{m:02}-{d:02}"))
}

/// `14/03` or `14/03/2027`, day first as in Spain and Britain.
fn slash_date(word: &str, today: NaiveDate) -> Option<String> {
    let parts: Vec<&str> = word.split('/').collect();
    let (day, month, year) = match parts.as_slice() {
        [d, m] => (d.parse().ok()?, m.parse().ok()?, None),
        [d, m, y] => (d.parse().ok()?, m.parse().ok()?, Some(y.parse::<i32>().ok()?)),
        _ => return None,
    };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    Some(match year {
        Some(y) if y < 100 => format!("{:04}-{month:02}-{day:02}", 2000 + y),
        Some(y) => format!("{y:04}-{month:02}-{day:02}"),
        None => day_in_month(today, month, day),
    })
}

/// "4", "4th", "31st" as a day of the month.
fn day_number(word: &str) -> Option<u32> {
    let digits = word.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &word[digits.len()..];
    if !matches!(suffix, "" | "st" | "nd" | "rd" | "th" | "o" | "a") {
        return None;
    }
    digits.parse().ok().filter(|d| (1..=31).contains(d))
}

fn month_named(word: &str) -> Option<u32> {
    MONTHS.iter().find(|(name, _)| *name == word).map(|(_, m)| *m)
}

/// The next such day from today (this year, or next year once it has passed); a day the
/// month does not have is kept as written.
fn day_in_month(today: NaiveDate, month: u32, day: u32) -> String {
    let year = match NaiveDate::from_ymd_opt(today.year(), month, day) {
        Some(date) if date < today => today.year() + 1,
        Some(_) => today.year(),
        None if (month, day) < (today.month(), today.day()) => today.year() + 1,
        None => today.year(),
    };
    format!("{year:04}-{month:02}-{day:02}")
}

/// Exact times and windows: "at 10", "a las 10", "10:30", "4pm", "half past ten",
/// "after 5", "antes de las 11".
fn read_times(text: &Text, when: &mut When) {
    let words = &text.words;
    let mut i = 0;
    while i < words.len() {
        let word = words[i].as_str();
        let next = words.get(i + 1).map(String::as_str);
        // What the time expression after a lead word means.
        let (lead_len, slot) = match (word, next) {
            ("after" | "from" | "since", _) => (1, Some(Bound::Earliest)),
            ("later", Some("than")) => (2, Some(Bound::Earliest)),
            ("despues", Some("de")) => (2, Some(Bound::Earliest)),
            ("partir", Some("de")) => (2, Some(Bound::Earliest)),
            ("desde", _) => (1, Some(Bound::Earliest)),
            ("before" | "until" | "till", _) => (1, Some(Bound::Latest)),
            ("earlier", Some("than")) => (2, Some(Bound::Latest)),
            ("antes", Some("de")) => (2, Some(Bound::Latest)),
            ("hasta", _) => (1, Some(Bound::Latest)),
            ("at" | "around" | "about" | "sobre" | "hacia", _) => (1, Some(Bound::Exact)),
            ("a", Some("las" | "la")) => (1, Some(Bound::Exact)),
            _ => (0, None),
        };
        if let Some(bound) = slot {
            if let Some((minutes, used)) = time_at(words, i + lead_len, true) {
                match bound {
                    Bound::Earliest => when.earliest = Some(minutes),
                    Bound::Latest => when.latest = Some(minutes),
                    Bound::Exact => when.time = when.time.or(Some(minutes)),
                }
                i += lead_len + used;
                continue;
            }
        }
        if when.time.is_none() {
            if let Some((minutes, used)) = time_at(words, i, false) {
                when.time = Some(minutes);
                i += used;
                continue;
            }
        }
        i += 1;
    }
}

enum Bound {
    Earliest,
    Latest,
    Exact,
}

/// A time expression starting at `words[at]`, with how many words it took. A bare number
/// ("at 4") counts only after a lead word (`after_lead`); otherwise it is a count or a date.
/// Small bare hours (1–7) are afternoon hours, as people mean them in a salon.
fn time_at(words: &[String], at: usize, after_lead: bool) -> Option<(u32, usize)> {
    let word = |k: usize| words.get(at + k).map(String::as_str);
    let mut used = 0;
    // "las 5", "la una", "the 10:30".
    if matches!(word(0), Some("las" | "la" | "the")) {
        used = 1;
    }
    let first = word(used)?;
    let (mut hour, mut minute, explicit) = if let Some((h, m)) = clock(first) {
        (h, m, true)
    } else if let Some(h) = NUMBERS.iter().find(|(name, _)| *name == first).map(|(_, n)| *n) {
        (h, 0, false)
    } else if let Some((h, m)) = half_past(words, at + used) {
        // "half past ten", "quarter to eleven": three words.
        used += 2;
        (h, m, true)
    } else {
        let number: u32 = first.parse().ok()?;
        if !after_lead || number > 24 {
            return None;
        }
        (number, 0, false)
    };
    used += 1;
    // "ten thirty", "diez y media", "once menos cuarto", "4 pm", "de la tarde", "o'clock".
    match (word(used), word(used + 1)) {
        (Some("thirty"), _) => (minute, used) = (30, used + 1),
        (Some("fifteen"), _) => (minute, used) = (15, used + 1),
        (Some("forty-five"), _) => (minute, used) = (45, used + 1),
        (Some("y"), Some("media")) => (minute, used) = (30, used + 2),
        (Some("y"), Some("cuarto")) => (minute, used) = (15, used + 2),
        (Some("menos"), Some("cuarto")) => {
            hour = hour.checked_sub(1)?;
            (minute, used) = (45, used + 2);
        }
        _ => {}
    }
    let suffix = match (word(used), word(used + 1), word(used + 2)) {
        (Some("am" | "a.m"), _, _) => Some(("am", 1)),
        (Some("pm" | "p.m"), _, _) => Some(("pm", 1)),
        (Some("o'clock"), _, _) => Some(("", 1)),
        (Some("en"), Some("punto"), _) => Some(("", 2)),
        (Some("de" | "por"), Some("la"), Some("tarde" | "noche")) => Some(("pm", 3)),
        (Some("de" | "por"), Some("la"), Some("manana")) => Some(("am", 3)),
        (Some("in"), Some("the"), Some("afternoon" | "evening")) => Some(("pm", 3)),
        (Some("in"), Some("the"), Some("morning")) => Some(("am", 3)),
        _ => None,
    };
    let inline = suffix_of(first);
    let meridiem = suffix.map(|(s, _)| s).or(inline);
    if let Some((_, n)) = suffix {
        used += n;
    }
    if !explicit && !after_lead && meridiem.is_none_or(str::is_empty) {
        return None;
    }
    hour = match meridiem {
        Some("pm") if hour < 12 => hour + 12,
        Some("am") if hour == 12 => 0,
        Some("am" | "pm") => hour,
        // Small bare numbers are afternoon hours: nobody books a haircut at 4 in the morning.
        _ if !first.contains([':', '.']) && (1..=7).contains(&hour) => hour + 12,
        _ => hour,
    };
    (hour <= 24 && minute < 60 && hour * 60 + minute <= 24 * 60).then_some((hour * 60 + minute, used))
}

/// `10:30`, `10.30`, `10h`, `10h30`, `4pm`, `4:30pm`: hour and minute.
fn clock(word: &str) -> Option<(u32, u32)> {
    let body = word.trim_end_matches(|c: char| c.is_ascii_alphabetic() || c == '.');
    if body.is_empty() || !body.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let suffix = &word[body.len()..];
    if let Some((h, m)) = body.split_once([':', '.', 'h']) {
        if m.len() != 2 {
            return None;
        }
        return Some((h.parse().ok()?, m.parse().ok()?));
    }
    match suffix {
        "am" | "pm" | "a.m" | "p.m" | "h" => Some((body.parse().ok()?, 0)),
        _ => word
            .split_once('h')
            .and_then(|(h, m)| Some((h.parse().ok()?, m.parse().ok()?))),
    }
}

fn suffix_of(word: &str) -> Option<&'static str> {
    if word.ends_with("pm") || word.ends_with("p.m") {
        Some("pm")
    } else if word.ends_with("am") || word.ends_with("a.m") {
        Some("am")
    } else {
        None
    }
}

/// "half past ten" (10:30), "quarter past ten" (10:15), "quarter to eleven" (10:45).
fn half_past(words: &[String], at: usize) -> Option<(u32, u32)> {
    let word = |k: usize| words.get(at + k).map(String::as_str);
    let hour_word = word(2)?;
    let hour = NUMBERS
        .iter()
        .find(|(name, _)| *name == hour_word)
        .map(|(_, n)| *n)
        .or_else(|| hour_word.parse().ok())?;
    match (word(0)?, word(1)?) {
        ("half", "past") => Some((hour, 30)),
        ("quarter", "past") => Some((hour, 15)),
        ("quarter", "to") => Some((hour.checked_sub(1)?, 45)),
        _ => None,
    }
}

/// "in the morning", "afternoon", "por la tarde", "evening": a window, unless an exact time
/// or a bound was given.
fn read_parts_of_day(text: &Text, when: &mut When) {
    if when.earliest.is_some() || when.latest.is_some() {
        return;
    }
    // Greetings name parts of the day without asking for them.
    let mut without_greetings = text.folded.clone();
    for greeting in [
        " good morning ",
        " good afternoon ",
        " good evening ",
        " buenos dias ",
        " buenas tardes ",
        " buenas noches ",
    ] {
        without_greetings = without_greetings.replace(greeting, " ");
    }
    let text = &Text::new(&without_greetings);
    let window = if text.has_any(&["por la manana", "de la manana", "esta manana", "morning", "mornings"]) {
        Some((0, 12 * 60))
    } else if text.has_any(&["por la tarde", "de la tarde", "esta tarde", "tarde", "tardes"]) {
        // Spanish "tarde" starts after lunch.
        Some((15 * 60, 21 * 60))
    } else if text.has_any(&["afternoon", "afternoons"]) {
        Some((12 * 60, 17 * 60))
    } else if text.has_any(&[
        "evening",
        "evenings",
        "after work",
        "tonight",
        "por la noche",
        "esta noche",
    ]) {
        Some((17 * 60, 24 * 60))
    } else {
        None
    };
    // "at 4 in the afternoon" is an exact time, not a window.
    if let Some((earliest, latest)) = window.filter(|_| when.time.is_none()) {
        when.earliest = Some(earliest);
        when.latest = Some(latest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn when(text: &str) -> When {
        // A Wednesday.
        read(&Text::new(text), day(2026, 3, 11))
    }

    #[test]
    fn days_people_name() {
        assert_eq!(when("Friday afternoon please").date.as_deref(), Some("2026-03-13"));
        assert_eq!(when("wednesday").date.as_deref(), Some("2026-03-11"));
        assert_eq!(when("tomorrow at 4").date.as_deref(), Some("2026-03-12"));
        assert_eq!(when("on 2026-04-02").date.as_deref(), Some("2026-04-02"));
        assert_eq!(when("14/03").date.as_deref(), Some("2026-03-14"));
        assert_eq!(when("01/02").date.as_deref(), Some("2027-02-01"));
        assert_eq!(when("el martes por la tarde").date.as_deref(), Some("2026-03-17"));
        assert_eq!(when("mañana por la mañana").date.as_deref(), Some("2026-03-12"));
        assert_eq!(when("por la mañana").date, None);
        assert_eq!(when("el 4 de diciembre").date.as_deref(), Some("2026-12-04"));
        assert_eq!(when("December 4th").date.as_deref(), Some("2026-12-04"));
        assert_eq!(when("el 3 de marzo de 2020").date.as_deref(), Some("2020-03-03"));
        assert_eq!(when("the 31st of November").date.as_deref(), Some("2026-11-31"));
        assert_eq!(when("31/11").date.as_deref(), Some("2026-11-31"));
        let next_week = when("sometime next week");
        assert_eq!(
            (next_week.date.as_deref(), next_week.date_to.as_deref()),
            (Some("2026-03-16"), Some("2026-03-22"))
        );
        assert_eq!(when("whenever").date, None);
    }

    #[test]
    fn times_people_write() {
        let time = |text: &str| when(text).time.map(hh_mm);
        assert_eq!(time("16:00 please").as_deref(), Some("16:00"));
        assert_eq!(time("yes, 14.30 works").as_deref(), Some("14:30"));
        assert_eq!(time("4pm").as_deref(), Some("16:00"));
        assert_eq!(time("4:30 pm").as_deref(), Some("16:30"));
        assert_eq!(time("at 4").as_deref(), Some("16:00"));
        assert_eq!(time("Tuesday at 10").as_deref(), Some("10:00"));
        assert_eq!(time("half past ten").as_deref(), Some("10:30"));
        assert_eq!(time("quarter to eleven").as_deref(), Some("10:45"));
        assert_eq!(time("a las diez y media").as_deref(), Some("10:30"));
        assert_eq!(time("a las 5 de la tarde").as_deref(), Some("17:00"));
        assert_eq!(time("a la una").as_deref(), Some("13:00"));
        assert_eq!(time("the 10:30").as_deref(), Some("10:30"));
        assert_eq!(time("I have 2 kids"), None);
        assert_eq!(time("2"), None);
        assert_eq!(time("25:00"), None);
        assert_eq!(time("el 4 de diciembre"), None);
    }

    #[test]
    fn windows_people_ask_for() {
        let window = |text: &str| {
            let w = when(text);
            (w.earliest.map(hh_mm), w.latest.map(hh_mm), w.time.map(hh_mm))
        };
        assert_eq!(window("after 5"), (Some("17:00".into()), None, None));
        assert_eq!(window("anything after 5pm?"), (Some("17:00".into()), None, None));
        assert_eq!(window("before 11"), (None, Some("11:00".into()), None));
        assert_eq!(window("después de las 5"), (Some("17:00".into()), None, None));
        assert_eq!(window("antes de las 11"), (None, Some("11:00".into()), None));
        assert_eq!(
            window("in the morning"),
            (Some("00:00".into()), Some("12:00".into()), None)
        );
        assert_eq!(
            window("por la tarde"),
            (Some("15:00".into()), Some("21:00".into()), None)
        );
        assert_eq!(window("at 4 in the afternoon"), (None, None, Some("16:00".into())));
    }
}
