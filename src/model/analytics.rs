//! The owner's ROI figures for a range of business-local days, as the analytics server
//! function and `GET /api/analytics/roi` return them. Money is in cents of the business's
//! currency; how each figure is computed is said on its field.

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{format_decimal, Role};

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
    /// The parts of the figures the caller's role may see; the others are left at zero.
    pub parts: RoiParts,
    pub totals: RoiFigures,
    /// One entry per day of the range, in order, empty days included.
    pub days: Vec<RoiDay>,
}

/// What a role sees of the ROI figures: admins (the owner) everything; marketers the
/// campaigns, their funnel and the revenue attributed to them; agents the conversations and
/// the bot's bookings, without money.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RoiParts {
    pub conversations: bool,
    pub bookings: bool,
    pub campaigns: bool,
    /// Revenue, costs, ROI and the value of the time saved.
    pub money: bool,
}

impl RoiParts {
    pub const ALL: RoiParts = RoiParts {
        conversations: true,
        bookings: true,
        campaigns: true,
        money: true,
    };

    pub fn for_role(role: Role) -> RoiParts {
        match role {
            Role::Admin => RoiParts::ALL,
            Role::Marketer => RoiParts {
                conversations: false,
                bookings: false,
                campaigns: true,
                money: false,
            },
            Role::Agent => RoiParts {
                conversations: true,
                bookings: true,
                campaigns: false,
                money: false,
            },
        }
    }
}

impl RoiReport {
    /// The report as `role` may see it: the other parts zeroed, and `parts` saying which.
    pub fn seen_by(mut self, role: Role) -> RoiReport {
        let parts = RoiParts::for_role(role);
        self.parts = parts;
        self.totals = self.totals.only(parts);
        for day in &mut self.days {
            day.figures = std::mem::take(&mut day.figures).only(parts);
        }
        self
    }
}

impl RoiReport {
    /// The daily series as CSV: a header, then a row per day, with the columns of the parts
    /// this report holds. Amounts are plain decimals of `currency` (a spreadsheet adds them).
    pub fn csv(&self) -> String {
        let parts = self.parts;
        let mut columns: Vec<Column> = vec![];
        if parts.conversations {
            columns.extend([
                column("conversations", |f| f.conversations.total.to_string()),
                column("bot_only", |f| f.conversations.bot_only.to_string()),
                column("handed_over", |f| f.conversations.handed_over.to_string()),
                column("first_reply_p50_seconds", |f| {
                    optional(f.conversations.first_reply_p50_seconds)
                }),
                column("first_reply_p90_seconds", |f| {
                    optional(f.conversations.first_reply_p90_seconds)
                }),
                column("minutes_saved", |f| f.time_saved.minutes.to_string()),
            ]);
        }
        if parts.bookings {
            columns.extend([
                column("bot_bookings", |f| f.bot_bookings.count.to_string()),
                column("bot_bookings_attended", |f| f.bot_bookings.attended.to_string()),
                column("recovered_bookings", |f| f.recovered_bookings.count.to_string()),
            ]);
        }
        if parts.bookings && parts.money {
            columns.extend([
                column("bot_booked_value", |f| format_decimal(f.bot_bookings.booked_cents)),
                column("bot_attended_value", |f| format_decimal(f.bot_bookings.attended_cents)),
                column("recovered_attended_value", |f| {
                    format_decimal(f.recovered_bookings.attended_cents)
                }),
            ]);
        }
        if parts.campaigns {
            columns.extend([
                column("campaign_sent", |f| f.campaigns.sent.to_string()),
                column("campaign_delivered", |f| f.campaigns.delivered.to_string()),
                column("campaign_read", |f| f.campaigns.read.to_string()),
                column("campaign_replied", |f| f.campaigns.replied.to_string()),
                column("campaign_booked", |f| f.campaigns.booked.to_string()),
                column("campaign_attended", |f| f.campaigns.attended.to_string()),
                column("campaign_attributed_value", |f| {
                    format_decimal(f.campaigns.attributed.attended_cents)
                }),
            ]);
        }
        if parts.money {
            columns.extend([
                column("ai_cost", |f| format_decimal(f.costs.ai_cents)),
                column("whatsapp_cost", |f| format_decimal(f.costs.whatsapp_cents)),
                column("total_cost", |f| format_decimal(f.costs.total_cents)),
                column("time_saved_value", |f| format_decimal(f.time_saved.value_cents)),
                column("attended_revenue", |f| format_decimal(f.revenue_cents)),
                column("roi", |f| f.roi.map_or(String::new(), |roi| format!("{roi:.4}"))),
            ]);
        }
        let mut csv = String::from("day");
        for (name, _) in &columns {
            csv.push(',');
            csv.push_str(name);
        }
        csv.push('\n');
        for day in &self.days {
            csv.push_str(&day.day.to_string());
            for (_, value) in &columns {
                csv.push(',');
                csv.push_str(&value(&day.figures));
            }
            csv.push('\n');
        }
        csv
    }
}

/// A CSV column: its name and how a day's figures fill it.
type Column = (&'static str, fn(&RoiFigures) -> String);

fn column(name: &'static str, value: fn(&RoiFigures) -> String) -> Column {
    (name, value)
}

fn optional(value: Option<i64>) -> String {
    value.map_or(String::new(), |v| v.to_string())
}

impl RoiFigures {
    fn only(self, parts: RoiParts) -> RoiFigures {
        let RoiFigures {
            conversations,
            bot_bookings,
            recovered_bookings,
            campaigns,
            costs,
            mut time_saved,
            revenue_cents,
            roi,
        } = self;
        let unless_money = |mut bookings: BookingFigures| {
            if !parts.money {
                bookings.booked_cents = 0;
                bookings.attended_cents = 0;
            }
            bookings
        };
        if !parts.money {
            time_saved.value_cents = 0;
        }
        RoiFigures {
            conversations: if parts.conversations {
                conversations
            } else {
                Default::default()
            },
            bot_bookings: if parts.bookings {
                unless_money(bot_bookings)
            } else {
                Default::default()
            },
            recovered_bookings: if parts.bookings {
                unless_money(recovered_bookings)
            } else {
                Default::default()
            },
            // What the campaigns earned belongs to the campaigns part: marketers see it.
            campaigns: if parts.campaigns { campaigns } else { Default::default() },
            costs: if parts.money { costs } else { Default::default() },
            time_saved: if parts.conversations {
                time_saved
            } else {
                Default::default()
            },
            revenue_cents: if parts.money { revenue_cents } else { 0 },
            roi: if parts.money { roi } else { None },
        }
    }
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

    fn report(parts: RoiParts) -> RoiReport {
        let day = |d: u32, conversations: i64, revenue_cents: i64| RoiDay {
            day: NaiveDate::from_ymd_opt(2026, 1, d).unwrap(),
            figures: RoiFigures {
                conversations: ConversationFigures {
                    total: conversations,
                    ..Default::default()
                },
                revenue_cents,
                ..Default::default()
            },
        };
        RoiReport {
            from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 1, 2).unwrap(),
            currency: "EUR".into(),
            parts,
            totals: RoiFigures::default(),
            days: vec![day(1, 3, 5500), day(2, 0, -5)],
        }
    }

    #[test]
    fn the_csv_has_a_row_per_day_and_only_the_columns_a_role_may_see() {
        let csv = report(RoiParts::ALL).csv();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3);
        let header: Vec<&str> = lines[0].split(',').collect();
        let first: Vec<&str> = lines[1].split(',').collect();
        let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
        assert_eq!(first[0], "2026-01-01");
        assert_eq!(first[column("conversations")], "3");
        assert_eq!(first[column("attended_revenue")], "55.00");
        assert_eq!(lines[2].split(',').nth(column("attended_revenue")), Some("-0.05"));
        let agents = report(RoiParts::for_role(Role::Agent)).csv();
        assert!(agents.starts_with("day,conversations,"));
        assert!(!agents.contains("revenue") && !agents.contains("campaign"));
        let marketers = report(RoiParts::for_role(Role::Marketer)).csv();
        assert!(marketers.contains("campaign_sent") && !marketers.contains("conversations"));
    }

    #[test]
    fn a_role_sees_only_its_part_of_the_figures() {
        let mut full = report(RoiParts::ALL);
        full.totals.revenue_cents = 900;
        full.totals.campaigns.sent = 4;
        full.totals.bot_bookings.count = 2;
        full.totals.bot_bookings.attended_cents = 900;
        let agent = full.clone().seen_by(Role::Agent);
        assert_eq!((agent.totals.revenue_cents, agent.totals.campaigns.sent), (0, 0));
        assert_eq!(
            (
                agent.totals.bot_bookings.count,
                agent.totals.bot_bookings.attended_cents
            ),
            (2, 0)
        );
        assert_eq!(agent.days[0].figures.conversations.total, 3);
        let marketer = full.clone().seen_by(Role::Marketer);
        assert_eq!(marketer.totals.campaigns.sent, 4);
        assert_eq!(
            (
                marketer.totals.bot_bookings.count,
                marketer.days[0].figures.conversations.total
            ),
            (0, 0)
        );
        assert_eq!(full.clone().seen_by(Role::Admin), full);
    }

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
