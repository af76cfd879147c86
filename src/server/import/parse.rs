//! Reading a CSV file of contacts: pure and synchronous (no I/O), so it can run off the async
//! runtime and be tested and fuzzed on its own.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use phonenumber::country::{Id as Country, Source};
use phonenumber::Mode;

use crate::model::{RejectedLine, WaId};
use crate::server::db::imports::ImportedContact;

/// The inbox's limits for a contact (see `save_contact`), so an imported contact can be
/// edited there without being refused.
pub const MAX_NAME_CHARS: usize = 60;
pub const MAX_TAGS: usize = 10;
pub const MAX_TAG_CHARS: usize = 30;

/// What the business is, for reading its file.
#[derive(Clone, Copy, Debug)]
pub struct ReadOptions {
    /// Numbers written without a country code are this country's.
    pub country: Country,
    /// A consent date (`2025-03-01`) means midnight of that day here.
    pub timezone: Tz,
    /// Consent "yes" means now; a consent date after now is refused.
    pub now: DateTime<Utc>,
}

/// Why a phone number was not taken.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("no phone number")]
    Missing,
    #[error("not a phone number ({0})")]
    Unreadable(String),
    #[error("not a valid phone number in {0}; write numbers from other countries with their country code, e.g. +44")]
    InvalidHere(String),
    #[error("not a valid phone number for country code +{0}")]
    Invalid(u16),
}

/// Turns a phone number as people write it (`+34 600 123 456`, `600123456`, `0034 600…`,
/// `(201) 555-0123`) into a WhatsApp id: the digits with the country code. A number without
/// one is read as `country`'s.
pub fn normalise_phone(raw: &str, country: Country) -> Result<WaId, PhoneError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(PhoneError::Missing);
    }
    let number = phonenumber::parse(Some(country), raw).map_err(|e| PhoneError::Unreadable(e.to_string()))?;
    if !number.is_valid() {
        return Err(match number.country().source() {
            Source::Default => PhoneError::InvalidHere(country.as_ref().to_string()),
            _ => PhoneError::Invalid(number.code().value()),
        });
    }
    let e164 = number.format().mode(Mode::E164).to_string();
    WaId::parse(&e164).map_err(|_| PhoneError::Unreadable("too many digits".into()))
}

/// Why a file cannot be imported at all. Nothing is written then.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("The file is not UTF-8 text (line {line}). Save it from your spreadsheet as \"CSV UTF-8\" and try again.")]
    NotUtf8 { line: u64 },
    #[error("The file is empty.")]
    Empty,
    #[error("The first line must name the columns, one of them `phone` (others: `name`, `tags`, `consent`).")]
    NoPhoneColumn,
}

/// A file read and checked, ready to write: one entry per distinct number, in file order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReadFile {
    /// Data lines read (the header is not counted).
    pub lines: u64,
    pub contacts: Vec<ImportedContact>,
    /// Lines that repeated an earlier line's number and were merged into it.
    pub duplicates: u64,
    pub rejected: Vec<RejectedLine>,
}

/// Where the columns are; the header names them, in any case and order.
struct Columns {
    phone: usize,
    name: Option<usize>,
    tags: Option<usize>,
    consent: Option<usize>,
}

/// Reads a whole file. Every line is either taken (possibly merged into an earlier line of the
/// same number) or rejected with its line number and reason; only a file that cannot be read
/// as a table of contacts at all is refused as a whole.
pub fn read_file(bytes: &[u8], options: &ReadOptions) -> Result<ReadFile, FileError> {
    let text = std::str::from_utf8(bytes).map_err(|e| FileError::NotUtf8 {
        line: line_of(&bytes[..e.valid_up_to()]),
    })?;
    // The browser decodes a file that is not UTF-8 with replacement characters; a real
    // contact list has none.
    if let Some(at) = text.find('\u{FFFD}') {
        return Err(FileError::NotUtf8 {
            line: line_of(&bytes[..at]),
        });
    }
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(FileError::Empty);
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(text))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let columns = match reader.headers() {
        Ok(headers) => {
            let find = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
            Columns {
                phone: find("phone").ok_or(FileError::NoPhoneColumn)?,
                name: find("name"),
                tags: find("tags"),
                consent: find("consent"),
            }
        }
        Err(_) => return Err(FileError::NoPhoneColumn),
    };

    let mut file = ReadFile::default();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut record = csv::StringRecord::new();
    let mut last_error_line = None;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                file.lines += 1;
                let line = record.position().map_or(0, csv::Position::line);
                match read_line(&record, &columns, options) {
                    Ok(contact) => match seen.get(contact.wa_id.as_str()) {
                        Some(&index) => {
                            file.duplicates += 1;
                            file.contacts[index].merge(contact);
                        }
                        None => {
                            seen.insert(contact.wa_id.as_str().to_string(), file.contacts.len());
                            file.contacts.push(contact);
                        }
                    },
                    Err(reason) => file.rejected.push(RejectedLine { line, reason }),
                }
            }
            Err(error) => {
                let line = error.position().map_or(0, csv::Position::line);
                // A reader that cannot move past a broken line would repeat it forever.
                if last_error_line == Some(line) {
                    break;
                }
                last_error_line = Some(line);
                file.lines += 1;
                let reason = match error.kind() {
                    csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                        format!("malformed CSV line: {len} fields where the header has {expected_len}")
                    }
                    _ => "malformed CSV line".to_string(),
                };
                file.rejected.push(RejectedLine { line, reason });
            }
        }
    }
    Ok(file)
}

/// Spreadsheets set to Spanish, French or German save CSV with semicolons; the header shows which.
fn delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or_default();
    if header.matches(';').count() > header.matches(',').count() {
        b';'
    } else {
        b','
    }
}

/// The 1-based line a byte offset falls on.
fn line_of(before: &[u8]) -> u64 {
    before.iter().filter(|&&b| b == b'\n').count() as u64 + 1
}

fn read_line(record: &csv::StringRecord, columns: &Columns, options: &ReadOptions) -> Result<ImportedContact, String> {
    let field = |column: Option<usize>| column.and_then(|c| record.get(c)).unwrap_or_default();
    let wa_id = normalise_phone(field(Some(columns.phone)), options.country).map_err(|e| e.to_string())?;
    let name = field(columns.name).split_whitespace().collect::<Vec<_>>().join(" ");
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!("name longer than {MAX_NAME_CHARS} characters"));
    }
    let tags = read_tags(field(columns.tags))?;
    let consent_at = read_consent(field(columns.consent), options)?;
    Ok(ImportedContact {
        wa_id,
        name: Some(name).filter(|n| !n.is_empty()),
        tags,
        consent_at,
    })
}

/// Tags separated by `;`, `|` or `,` inside the field.
fn read_tags(field: &str) -> Result<Vec<String>, String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in field.split([';', '|', ',']).map(str::trim).filter(|t| !t.is_empty()) {
        if tag.chars().count() > MAX_TAG_CHARS {
            return Err(format!("a tag longer than {MAX_TAG_CHARS} characters"));
        }
        if !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_string());
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(format!("more than {MAX_TAGS} tags"));
    }
    Ok(tags)
}

/// `yes` (now), a date or time (consent given then), or `no` / empty (no consent recorded).
fn read_consent(field: &str, options: &ReadOptions) -> Result<Option<DateTime<Utc>>, String> {
    let at = match field.to_lowercase().as_str() {
        "" | "no" | "n" | "false" | "0" => return Ok(None),
        "yes" | "y" | "true" | "1" | "si" | "sí" => return Ok(Some(options.now)),
        _ => {
            if let Ok(day) = NaiveDate::parse_from_str(field, "%Y-%m-%d") {
                day.and_hms_opt(0, 0, 0)
                    .and_then(|midnight| midnight.and_local_timezone(options.timezone).earliest())
                    .map(|at| at.with_timezone(&Utc))
            } else {
                DateTime::parse_from_rfc3339(field)
                    .ok()
                    .map(|at| at.with_timezone(&Utc))
            }
        }
    };
    match at {
        Some(at) if at > options.now => Err("consent date is in the future".into()),
        Some(at) => Ok(Some(at)),
        None => Err("consent must be yes, no, or the date it was given (YYYY-MM-DD)".into()),
    }
}

impl ImportedContact {
    /// Merges a later line of the same number: its name wins unless blank, tags add up, and
    /// the earliest consent counts.
    fn merge(&mut self, later: ImportedContact) {
        if later.name.is_some() {
            self.name = later.name;
        }
        for tag in later.tags {
            if !self.tags.contains(&tag) {
                self.tags.push(tag);
            }
        }
        self.consent_at = match (self.consent_at, later.consent_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wa(raw: &str, country: Country) -> Result<String, PhoneError> {
        normalise_phone(raw, country).map(|w| w.as_str().to_string())
    }

    #[test]
    fn numbers_are_read_with_the_business_country_when_they_name_none() {
        assert_eq!(wa("+34 600 123 456", Country::ES).unwrap(), "34600123456");
        assert_eq!(wa("600123456", Country::ES).unwrap(), "34600123456");
        assert_eq!(wa("0034 600 123 456", Country::ES).unwrap(), "34600123456");
        assert_eq!(wa("(201) 555-0123", Country::US).unwrap(), "12015550123");
        assert_eq!(wa("+44 7911 123456", Country::ES).unwrap(), "447911123456");
        assert_eq!(wa("", Country::ES), Err(PhoneError::Missing));
        assert!(wa("12", Country::ES).is_err());
        assert!(matches!(wa("call me", Country::ES), Err(PhoneError::Unreadable(_))));
        assert_eq!(wa("123456789", Country::ES), Err(PhoneError::InvalidHere("ES".into())));
    }
}
