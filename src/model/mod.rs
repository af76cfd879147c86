//! Wire types shared by the server and the browser, by area: serde only, no I/O. Storage
//! rows live in `server::db`; these are what crosses the wire. `access` declares who may
//! call each endpoint, for the server's gate and the pages alike.

pub mod access;
mod analytics;
mod appointments;
mod error;
#[macro_use]
mod string_enum;
mod audit;
mod backoffice;
mod campaign;
mod contact;
mod conversation;
mod inbox;
mod knowledge;
mod schedule;
mod staff;

pub use analytics::*;
pub use appointments::*;
pub use audit::*;
pub use backoffice::*;
pub use campaign::*;
pub use contact::*;
pub use conversation::*;
pub use error::AppError;
pub use inbox::*;
pub use knowledge::*;
pub use schedule::*;
pub use staff::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wa_id_keeps_digits_and_rejects_junk() {
        assert_eq!(WaId::parse("+34 600-123-456").unwrap().as_str(), "34600123456");
        assert!(WaId::parse("12345").is_err());
        assert!(WaId::parse("1234567890123456").is_err());
        assert!(WaId::parse("34600abc456").is_err());
        assert_eq!(
            WaId::parse("US.13491208655302741918").unwrap().as_str(),
            "US.13491208655302741918"
        );
        assert!(WaId::parse("US.1349 1208").is_err());
        assert_eq!(format_wa_id("34600111222"), "+34600111222");
    }

    #[test]
    fn string_enums_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(*role));
        }
        assert_eq!(Outcome::parse("nonsense"), None);
        assert_eq!(serde_json::to_string(&Outcome::OptedOut).unwrap(), "\"opted_out\"");
    }

    #[test]
    fn money_and_minutes_format_for_people() {
        assert_eq!(format_money(5500, "EUR"), "55.00 EUR");
        assert_eq!(format_money(-5, "EUR"), "-0.05 EUR");
        assert_eq!(format_minute_of_day(570), "09:30");
    }
}
