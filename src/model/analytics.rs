//! The owner's ROI figures for a range of business-local days, as the analytics server
//! function and `GET /api/analytics/roi` return them. Money is in cents of the business's
//! currency; how each figure is computed is said on its field.

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// A range of business-local days, both ends included, at most two years long.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl DayRange {
    /// Reads `from` and `to` as `YYYY-MM-DD`; the error is the reason, for a 400.
    pub fn parse(from: &str, to: &str) -> Result<DayRange, String> {
        let day = |name: &str, text: &str| {
            NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
                .map_err(|_| format!("`{name}` must be a date like 2026-01-31, not `{text}`."))
        };
        let range = DayRange {
            from: day("from", from)?,
            to: day("to", to)?,
        };
        if range.from > range.to {
            return Err(format!("`from` ({}) is after `to` ({}).", range.from, range.to));
        }
        if range
            .from
            .checked_add_months(Months::new(24))
            .is_none_or(|limit| range.to > limit)
        {
            return Err("The range is longer than two years; ask for a shorter one.".into());
        }
        Ok(range)
    }

    /// Every day of the range, in order.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> {
        let to = self.to;
        self.from.iter_days().take_while(move |day| *day <= to)
    }
}

/// Everything the ROI page shows for a range: the totals and the same figures day by day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RoiReport {
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = Date))]
    pub from: NaiveDate,
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = Date))]
    pub to: NaiveDate,
    /// Three-letter code of every amount's currency.
    pub currency: String,
    pub totals: RoiFigures,
    /// One entry per day of the range, in order, empty days included.
    pub days: Vec<RoiDay>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RoiDay {
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = Date))]
    pub day: NaiveDate,
    pub figures: RoiFigures,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RoiFigures {
    pub conversations: ConversationFigures,
    /// Appointments the bot booked (not a campaign's), on the day they were booked.
    pub bot_bookings: BookingFigures,
    /// The bot's bookings made within `ANALYTICS_RECOVERY_DAYS` after the bot followed up a
    /// booking the customer had left unfinished: a part of `bot_bookings`, not added to it.
    pub recovered_bookings: BookingFigures,
    pub campaigns: CampaignFigures,
    pub costs: CostFigures,
    /// Staff time the bot saved: conversations it handled alone × `ANALYTICS_MINUTES_SAVED_PER_CONVERSATION`,
    /// valued at `ANALYTICS_STAFF_COST_PER_HOUR`. Shown beside ROI, not counted in it.
    pub time_saved: TimeSaved,
    /// Attended value of the bot's and the campaigns' bookings.
    pub revenue_cents: i64,
    /// (revenue − costs) / costs; none without costs.
    pub roi: Option<f64>,
}

/// Conversations with a customer message in the range, each counted on the day of its
/// first one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ConversationFigures {
    pub total: i64,
    /// The bot answered and no person was involved in the range.
    pub bot_only: i64,
    /// Staff wrote, or the customer asked for a person, in the range.
    pub handed_over: i64,
    /// From a customer's message to the bot's first answer to it, in whole seconds (nearest
    /// rank over the messages of the range).
    pub first_reply_p50_seconds: Option<i64>,
    pub first_reply_p90_seconds: Option<i64>,
}

/// Appointments booked in the range, cancelled ones left out. Attended: marked completed, or
/// still `booked` `ANALYTICS_ATTENDED_AFTER_HOURS` after it ended; a no-show counts for nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BookingFigures {
    pub count: i64,
    pub booked_cents: i64,
    pub attended: i64,
    pub attended_cents: i64,
}

/// Campaign messages planned in the range (each on the day it was sent, or planned for a
/// held-out recipient). Each stage counts the recipients who reached at least that far.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CampaignFigures {
    pub sent: i64,
    pub delivered: i64,
    pub read: i64,
    pub replied: i64,
    /// Recipients with a booking attributed to the campaign that messaged them.
    pub booked: i64,
    pub attended: i64,
    /// Bookings attributed to a campaign made in the range (last touch, at booking time).
    pub attributed: BookingFigures,
    pub holdout: Holdout,
}

/// Campaigns with a holdout: the booking rate of the recipients messaged against the rate
/// of those held out (any booking within the campaign's attribution days of the planned send).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Holdout {
    pub messaged: i64,
    pub messaged_booked: i64,
    pub held_out: i64,
    pub held_out_booked: i64,
    pub messaged_rate: Option<f64>,
    pub held_out_rate: Option<f64>,
    /// `messaged_rate − held_out_rate`: bookings the campaigns added per recipient.
    pub lift: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CostFigures {
    pub prompt_tokens: i64,
    pub output_tokens: i64,
    pub thinking_tokens: i64,
    /// Tokens × `ANALYTICS_PRICE_*_PER_MILLION_TOKENS`.
    pub ai_cents: i64,
    /// Campaign templates delivered, by WhatsApp's pricing category.
    pub marketing_templates: i64,
    pub utility_templates: i64,
    /// Delivered templates × `ANALYTICS_WHATSAPP_*_FEE`.
    pub whatsapp_cents: i64,
    pub total_cents: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TimeSaved {
    pub minutes: i64,
    pub value_cents: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_is_two_dates_in_order_at_most_two_years_apart() {
        let range = DayRange::parse("2026-01-01", "2026-01-31").unwrap();
        assert_eq!(range.days().count(), 31);
        assert!(DayRange::parse("2024-02-29", "2026-02-28").is_ok());
        assert!(DayRange::parse("2026-02-01", "2026-01-31")
            .unwrap_err()
            .contains("after"));
        assert!(DayRange::parse("2024-01-01", "2026-01-02")
            .unwrap_err()
            .contains("two years"));
        assert!(DayRange::parse("2026-13-01", "2026-12-31")
            .unwrap_err()
            .contains("`from`"));
        assert!(DayRange::parse("2026-01-01", "tomorrow").unwrap_err().contains("`to`"));
    }
}
