//! The back office: what an admin edits of the business's services, FAQs and tags, and the
//! checks on it that need no database.

use serde::{Deserialize, Serialize};

use super::{Faq, Service, StaffMember};

/// A service as the back office lists it: with who performs it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceEntry {
    pub service: Service,
    pub staff_ids: Vec<i64>,
}

/// A tag with how many contacts carry it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagEntry {
    pub id: i64,
    pub name: String,
    pub color: String,
    pub contacts: i64,
}

/// Everything the back office page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackOffice {
    pub currency: String,
    pub services: Vec<ServiceEntry>,
    pub staff: Vec<StaffMember>,
    pub faqs: Vec<Faq>,
    pub tags: Vec<TagEntry>,
}

/// A service as the form sends it: duration and price still as typed, checked on the server
/// by [`ServiceForm::validate`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceForm {
    /// `None` for a new service.
    pub id: Option<i64>,
    pub name: String,
    pub description: String,
    pub duration_minutes: String,
    /// Money as typed: "35.50" (a comma works too: "35,50").
    pub price: String,
    pub active: bool,
    pub staff_ids: Vec<i64>,
}

/// A service form that passed its checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidService {
    pub id: Option<i64>,
    pub name: String,
    pub description: String,
    pub duration_minutes: i64,
    pub price_cents: i64,
    pub active: bool,
    pub staff_ids: Vec<i64>,
}

pub const PRICE_INVALID: &str = "The price must be a positive amount, like 35.50.";
pub const DURATION_INVALID: &str = "The duration must be a whole number of minutes between 5 and 720, like 45.";
pub const NAME_MAX_CHARS: usize = 80;

impl ServiceForm {
    pub fn validate(&self) -> Result<ValidService, String> {
        let name = required_name(&self.name, "service")?;
        let duration_minutes = self
            .duration_minutes
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|m| (5..=720).contains(m))
            .ok_or_else(|| DURATION_INVALID.to_string())?;
        let price_cents = parse_price(&self.price).ok_or_else(|| PRICE_INVALID.to_string())?;
        let mut staff_ids = self.staff_ids.clone();
        staff_ids.sort_unstable();
        staff_ids.dedup();
        Ok(ValidService {
            id: self.id,
            name,
            description: self.description.trim().to_string(),
            duration_minutes,
            price_cents,
            active: self.active,
            staff_ids,
        })
    }
}

/// A name trimmed, neither empty nor too long; `what` names it in the message.
pub fn required_name(text: &str, what: &str) -> Result<String, String> {
    let name = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(format!("Give the {what} a name."));
    }
    if name.chars().count() > NAME_MAX_CHARS {
        return Err(format!("The {what} name can be at most {NAME_MAX_CHARS} characters."));
    }
    Ok(name)
}

/// An amount of money typed by a person, in cents: "35", "35.5", "35.50" or "35,50". `None`
/// for anything else: negative, more than two decimals, not a number, or absurdly large.
pub fn parse_price(text: &str) -> Option<i64> {
    let text = text.trim();
    let (whole, fraction) = match text.split_once(['.', ',']) {
        Some((whole, fraction)) => (whole, fraction),
        None => (text, ""),
    };
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || whole.len() > 7 || !digits(whole) || fraction.len() > 2 || !digits(fraction) {
        return None;
    }
    let cents = match fraction.len() {
        0 => 0,
        1 => fraction.parse::<i64>().ok()? * 10,
        _ => fraction.parse::<i64>().ok()?,
    };
    Some(whole.parse::<i64>().ok()? * 100 + cents)
}

/// "35.50" for 3550: how a price is shown in the form.
pub fn price_input(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// A tag colour as the colour picker sends it: "#rrggbb".
pub fn valid_color(text: &str) -> Option<String> {
    let text = text.trim();
    let hex = text.strip_prefix('#')?;
    (hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit())).then(|| text.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_read_as_people_type_them() {
        assert_eq!(parse_price("35.50"), Some(3550));
        assert_eq!(parse_price(" 35,5 "), Some(3550));
        assert_eq!(parse_price("35"), Some(3500));
        assert_eq!(parse_price("0"), Some(0));
        assert_eq!(parse_price("35."), Some(3500));
        for bad in ["-5", "abc", "", "35.505", "1e3", ".5", "3 5", "+5", "99999999"] {
            assert_eq!(parse_price(bad), None, "{bad}");
        }
        assert_eq!(price_input(3550), "35.50");
    }

    #[test]
    fn a_service_form_says_what_is_wrong() {
        let form = ServiceForm {
            name: "  Beard   trim ".into(),
            duration_minutes: "20".into(),
            price: "12.5".into(),
            active: true,
            staff_ids: vec![2, 1, 2],
            ..ServiceForm::default()
        };
        let valid = form.validate().unwrap();
        assert_eq!(valid.name, "Beard trim");
        assert_eq!(valid.price_cents, 1250);
        assert_eq!(valid.staff_ids, vec![1, 2]);
        let negative = ServiceForm {
            price: "-3".into(),
            ..form.clone()
        };
        assert_eq!(negative.validate(), Err(PRICE_INVALID.to_string()));
        let no_name = ServiceForm {
            name: " ".into(),
            ..form.clone()
        };
        assert_eq!(no_name.validate(), Err("Give the service a name.".to_string()));
        let long = ServiceForm {
            duration_minutes: "0".into(),
            ..form
        };
        assert_eq!(long.validate(), Err(DURATION_INVALID.to_string()));
        assert_eq!(valid_color("#AbCdEf").as_deref(), Some("#abcdef"));
        assert_eq!(valid_color("red"), None);
    }
}
