//! Campaigns: WhatsApp templates, audiences, the composer's draft, the plan and progress.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

string_enum! {
    /// Where a contact's marketing consent came from.
    ConsentSource {
        Staff => "staff",
        Import => "import",
        Customer => "customer",
    }
}

string_enum! {
    CampaignStatus {
        Preparing => "preparing",
        Sending => "sending",
        Paused => "paused",
        Completed => "completed",
        Cancelled => "cancelled",
    }
}

string_enum! {
    /// Where one recipient stands. `Sending` is in WhatsApp's hands; after a crash it becomes
    /// `Unknown`, shown for a decision and never resent automatically.
    RecipientStatus {
        Scheduled => "scheduled",
        Sending => "sending",
        Sent => "sent",
        Delivered => "delivered",
        Read => "read",
        Replied => "replied",
        Failed => "failed",
        Skipped => "skipped",
        HeldOut => "held_out",
        Unknown => "unknown",
        Expired => "expired",
        Cancelled => "cancelled",
    }
}

string_enum! {
    #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
    /// Why a recipient was not sent to, decided at planning and again just before the send.
    SkipReason {
        OptedOut => "opted_out",
        NoConsent => "no_consent",
        Recency => "recency",
        BookedRecently => "booked_recently",
        UpcomingAppointment => "upcoming_appointment",
        HumanMode => "human_mode",
        WindowClosed => "window_closed",
        Duplicate => "duplicate",
    }
}

impl SkipReason {
    /// What the reason means, for the campaign page.
    pub fn explain(self) -> &'static str {
        match self {
            SkipReason::OptedOut => "opted out of messages",
            SkipReason::NoConsent => "no marketing consent",
            SkipReason::Recency => "got a campaign message recently",
            SkipReason::BookedRecently => "booked recently",
            SkipReason::UpcomingAppointment => "has an upcoming appointment",
            SkipReason::HumanMode => "staff are handling the conversation",
            SkipReason::WindowClosed => "24-hour window closed (free text needs an open window)",
            SkipReason::Duplicate => "same person twice",
        }
    }
}

string_enum! {
    #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
    /// Outcomes a campaign may leave out; opted-out contacts are always left out.
    ExcludedOutcome {
        BookedRecently => "booked_recently",
        UpcomingAppointment => "upcoming_appointment",
    }
}

/// Which contacts a campaign is for. Every condition given must hold; empty means everyone.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Audience {
    /// Contacts with any of these tags.
    pub tags: Vec<String>,
    /// Last visit (an appointment that has started, not cancelled or missed) before / after.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = Date))]
    pub last_visit_before: Option<NaiveDate>,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = Date))]
    pub last_visit_after: Option<NaiveDate>,
    /// Last booking made before / after.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = Date))]
    pub last_booking_before: Option<NaiveDate>,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = Date))]
    pub last_booking_after: Option<NaiveDate>,
    /// Contacts who have booked any of these services.
    pub service_ids: Vec<i64>,
    pub never_booked: bool,
    /// `Some(true)`: only contacts with a name; `Some(false)`: only those without.
    pub named: Option<bool>,
    /// Exactly these contacts (with the other conditions still applied).
    pub contact_ids: Vec<i64>,
}

/// What a marketer composes; the same for the page and `POST /api/campaigns/broadcast`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CampaignDraft {
    pub name: String,
    /// Free text with `{customer_name}`; ignored when a template is chosen.
    #[serde(default)]
    pub text: String,
    /// An approved template's name (its language is the business's, or the first approved).
    #[serde(default)]
    pub template: Option<String>,
    #[serde(default)]
    pub audience: Audience,
    /// Used for `{customer_name}` when a contact has no name, e.g. "there".
    #[serde(default = "default_fallback")]
    pub name_fallback: String,
    /// When to start; now when absent.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = DateTime))]
    pub schedule_at: Option<DateTime<Utc>>,
    #[serde(default = "default_min_delay")]
    pub min_delay_seconds: u32,
    #[serde(default = "default_max_delay")]
    pub max_delay_seconds: u32,
    /// Business-local sending hours, "HH:MM".
    #[serde(default = "default_sending_from")]
    pub sending_from: String,
    #[serde(default = "default_sending_until")]
    pub sending_until: String,
    #[serde(default = "default_excluded")]
    pub excluded_outcomes: Vec<ExcludedOutcome>,
    /// Share of the audience chosen at random and never sent, to measure lift (0–50).
    #[serde(default)]
    pub holdout_percent: u32,
    #[serde(default = "default_expiry_days")]
    pub expires_after_days: u32,
    #[serde(default)]
    pub acknowledge_disclaimer: bool,
}

fn default_fallback() -> String {
    "there".into()
}
fn default_min_delay() -> u32 {
    20
}
fn default_max_delay() -> u32 {
    90
}
fn default_sending_from() -> String {
    "09:00".into()
}
fn default_sending_until() -> String {
    "20:00".into()
}
fn default_excluded() -> Vec<ExcludedOutcome> {
    ExcludedOutcome::ALL.to_vec()
}
fn default_expiry_days() -> u32 {
    3
}

impl Default for CampaignDraft {
    fn default() -> CampaignDraft {
        CampaignDraft {
            name: String::new(),
            text: String::new(),
            template: None,
            audience: Audience::default(),
            name_fallback: default_fallback(),
            schedule_at: None,
            min_delay_seconds: default_min_delay(),
            max_delay_seconds: default_max_delay(),
            sending_from: default_sending_from(),
            sending_until: default_sending_until(),
            excluded_outcomes: default_excluded(),
            holdout_percent: 0,
            expires_after_days: default_expiry_days(),
            acknowledge_disclaimer: false,
        }
    }
}

/// How many recipients skip for one reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SkipCount {
    pub reason: SkipReason,
    pub count: u64,
}

/// What launching would do (or did): who is sent to today, on later days, held out, skipped.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CampaignPlan {
    pub audience: u64,
    pub sending_today: u64,
    pub later_days: u64,
    pub held_out: u64,
    pub skipped: Vec<SkipCount>,
    /// The first recipients' messages exactly as they will read.
    pub preview: Vec<PreviewMessage>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PreviewMessage {
    pub contact_name: Option<String>,
    pub wa_id: String,
    pub text: String,
}

/// Campaign messages sent today (business day) against the daily limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyCounter {
    pub sent_today: u64,
    pub limit: u64,
}

/// Recipients by where they stand, for the progress bar.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignProgress {
    pub total: u64,
    pub scheduled: u64,
    pub sent: u64,
    pub delivered: u64,
    pub read: u64,
    pub replied: u64,
    pub booked: u64,
    pub failed: u64,
    pub skipped: u64,
    pub held_out: u64,
    pub unknown: u64,
    pub expired: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignSummary {
    pub id: i64,
    pub name: String,
    pub status: CampaignStatus,
    pub pause_reason: Option<String>,
    pub message_text: String,
    pub template: Option<String>,
    pub created_at: DateTime<Utc>,
    pub starts_at: DateTime<Utc>,
    pub progress: CampaignProgress,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientRow {
    pub id: i64,
    pub contact_id: i64,
    pub contact_name: Option<String>,
    pub wa_id: String,
    pub status: RecipientStatus,
    pub reason: Option<String>,
    pub text: String,
    pub sent_at: Option<DateTime<Utc>>,
}

/// An approved-or-not WhatsApp template, as the library shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageTemplate {
    pub id: i64,
    pub name: String,
    pub language: String,
    pub category: String,
    pub status: String,
    pub body: String,
    /// The body's placeholders in order: names (`customer_name`) or numbers (`1`).
    pub parameters: Vec<String>,
}

impl MessageTemplate {
    pub fn is_approved(&self) -> bool {
        self.status.eq_ignore_ascii_case("APPROVED")
    }

    /// The parameter `{customer_name}` fills: the one named so, or the first positional one.
    pub fn name_parameter(&self) -> Option<&str> {
        self.parameters
            .iter()
            .find(|p| p.as_str() == "customer_name")
            .or_else(|| self.parameters.iter().find(|p| p.as_str() == "1"))
            .map(String::as_str)
    }

    /// True when the name is all it needs: no parameters, or only the name parameter. The
    /// inbox can send only these; nothing else knows what to put in the others.
    pub fn needs_only_a_name(&self) -> bool {
        let name = self.name_parameter();
        self.parameters.iter().all(|p| Some(p.as_str()) == name)
    }

    /// The body as the customer reads it with `name` in the name parameter.
    pub fn render(&self, name: &str) -> String {
        match self.name_parameter() {
            Some(parameter) => self.body.replace(&format!("{{{{{parameter}}}}}"), name),
            None => self.body.clone(),
        }
    }
}

/// An integrator's API token, as the token list shows it (never the token itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked: bool,
}

/// What the campaigns page lists: campaigns with progress and the daily counter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignsOverview {
    pub campaigns: Vec<CampaignSummary>,
    pub counter: DailyCounter,
}

/// What the composer offers: tags, services and templates to choose from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComposerOptions {
    pub tags: Vec<String>,
    pub services: Vec<(i64, String)>,
    pub templates: Vec<MessageTemplate>,
    /// A fresh idempotency key for the next launch from this composer.
    pub launch_key: String,
}

/// One campaign with its recipients (filtered by status).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignDetail {
    pub summary: CampaignSummary,
    pub recipients: Vec<RecipientRow>,
    pub can_act: bool,
}

string_enum! {
    /// What staff can do to a campaign.
    CampaignAction {
        Pause => "pause",
        Resume => "resume",
        Cancel => "cancel",
        RetryFailed => "retry_failed",
        ResendUnknown => "resend_unknown",
    }
}

/// What a template calls a customer without a name in the inbox ("Hi there").
pub const NAME_FALLBACK: &str = "there";

/// The contact's name for a template, or [`NAME_FALLBACK`] when they have none.
pub fn name_or_fallback(name: Option<&str>) -> &str {
    name.map(str::trim).filter(|n| !n.is_empty()).unwrap_or(NAME_FALLBACK)
}

/// The one placeholder campaigns know.
pub const CUSTOMER_NAME: &str = "customer_name";

/// Why a message text cannot be sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("Unknown placeholder {{{name}}} at character {position}: the only placeholder is {{customer_name}}.")]
    UnknownPlaceholder { name: String, position: usize },
    #[error("An unclosed {{ at character {position}: write placeholders as {{customer_name}}.")]
    Unclosed { position: usize },
}

/// Checks a campaign text: every `{…}` must be `{customer_name}`. Positions count characters
/// from 1, as an editor shows them.
pub fn check_placeholders(text: &str) -> Result<(), TextError> {
    let mut chars = text.char_indices().enumerate().peekable();
    while let Some((position, (_, c))) = chars.next() {
        if c != '{' {
            continue;
        }
        let mut name = String::new();
        loop {
            match chars.next() {
                Some((_, (_, '}'))) => break,
                Some((_, (_, ch))) if name.chars().count() < 40 && ch != '{' && ch != '\n' => name.push(ch),
                _ => return Err(TextError::Unclosed { position: position + 1 }),
            }
        }
        if name != CUSTOMER_NAME {
            return Err(TextError::UnknownPlaceholder {
                name,
                position: position + 1,
            });
        }
    }
    Ok(())
}

/// The text with `{customer_name}` filled in; the name, or the fallback for a nameless contact.
pub fn render_text(text: &str, name: Option<&str>, fallback: &str) -> String {
    let name = name.map(str::trim).filter(|n| !n.is_empty()).unwrap_or(fallback);
    text.replace("{customer_name}", name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_checked_with_their_position() {
        assert_eq!(check_placeholders("Hi {customer_name}, 20% off"), Ok(()));
        assert_eq!(check_placeholders("no placeholder"), Ok(()));
        assert_eq!(
            check_placeholders("Hi {customer_nme}!"),
            Err(TextError::UnknownPlaceholder {
                name: "customer_nme".into(),
                position: 4
            })
        );
        assert_eq!(
            check_placeholders("Olá {customer_name} {x}"),
            Err(TextError::UnknownPlaceholder {
                name: "x".into(),
                position: 21
            })
        );
        assert_eq!(check_placeholders("a { b"), Err(TextError::Unclosed { position: 3 }));
        let message = check_placeholders("Hi {customer_nme}").unwrap_err().to_string();
        assert!(
            message.contains("{customer_nme}") && message.contains("character 4"),
            "{message}"
        );
    }

    #[test]
    fn rendering_fills_the_name_or_the_fallback() {
        assert_eq!(render_text("Hi {customer_name}!", Some("Sara"), "there"), "Hi Sara!");
        assert_eq!(render_text("Hi {customer_name}!", None, "there"), "Hi there!");
        assert_eq!(render_text("Hi {customer_name}!", Some("  "), "friend"), "Hi friend!");
    }

    #[test]
    fn templates_fill_their_name_parameter() {
        let mut template = MessageTemplate {
            id: 1,
            name: "offer".into(),
            language: "en".into(),
            category: "MARKETING".into(),
            status: "APPROVED".into(),
            body: "Hi {{customer_name}}, 20% off".into(),
            parameters: vec!["customer_name".into()],
        };
        assert_eq!(template.render("Ana"), "Hi Ana, 20% off");
        template.body = "Hi {{1}}, see you".into();
        template.parameters = vec!["1".into()];
        assert_eq!(template.render("Ana"), "Hi Ana, see you");
    }
}
