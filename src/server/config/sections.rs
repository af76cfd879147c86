//! Every setting, declared once: its `[section] key` in `Leptos.toml`, its `SECTION_KEY`
//! environment variable, its type, default, checks and README row all come from here.
//! Rules that involve several settings live in `mod.rs`, after every value is read.

use std::net::SocketAddr;
use std::time::Duration;

use chrono_tz::Tz;
use leptos::config::Env;
use serde::Serialize;

use super::declare::{declare_settings, expected, Parse};
use super::{AiProvider, DatabaseUrl, Secret};
use crate::server::i18n::Lang;

declare_settings! {
    [database] DatabaseSection {
        url: DatabaseUrl {
            default: "sqlite://data/frontdesk.db",
            meaning: "`sqlite://path` (file created on first run, WAL mode) or `postgres://user@host/db` (needs the `pg_trgm` extension from PostgreSQL's contrib, which the migrations create)",
        },
        max_connections: u32 {
            default: "8",
            check: at_least_one,
            meaning: "connection pool size",
        },
    }

    [frontdesk] FrontdeskSection {
        admin_email: Option<String> {
            meaning: "first admin, created when no staff account exists (required then)",
        },
        admin_password: Option<Secret> {
            meaning: "that admin's password, at least 8 characters",
        },
        business_name: String {
            default: "Frontdesk Demo Salon",
            meaning: "the business the receptionist speaks for",
        },
        timezone: Tz {
            default: "Europe/Madrid",
            meaning: "IANA time zone of opening hours and appointments",
        },
        language: Lang {
            default: "en",
            meaning: "language customers are written in until theirs is known: a catalog in `locales/` (`en`, `es`)",
        },
        currency: Currency {
            default: "EUR",
            meaning: "three-letter currency of prices",
        },
        country: Country {
            default: "ES",
            meaning: "two-letter ISO 3166 country of the business: phone numbers written without a country code (in a CSV import) are read as this country's",
        },
        demo_data: bool {
            default: "false",
            meaning: "load the demo salon into an empty database; the demo staff accounts sign in only while it is on",
        },
        session_days: Days {
            default: "7",
            check: one_to_ninety,
            meaning: "how long a staff sign-in lasts (1–90)",
        },
        secure_cookies: bool {
            default: "false",
            meaning: "set `true` when served over HTTPS: the session cookie is marked `Secure`",
        },
        dev_mode: bool {
            default: "false",
            meaning: "development conveniences (accept unsigned webhooks); never in production",
        },
        behind_proxy: bool {
            default: "false",
            meaning: "behind a reverse proxy: the client address (for the sign-in throttle) is the last one in `X-Forwarded-For`",
        },
        abandon_after_seconds: Seconds {
            default: "1800",
            meaning: "a booking left unfinished this long is marked abandoned and followed up once",
        },
        human_hold_seconds: Seconds {
            default: "900",
            meaning: "a customer waiting this long for staff gets a holding message and the chat is flagged",
        },
    }

    [scheduler] SchedulerSection {
        workers: usize {
            default: "32",
            check: at_least_one,
            meaning: "background jobs (AI calls, sends, follow-ups) run at once",
        },
        job_lock_seconds: Seconds {
            default: "120",
            check: at_least_one,
            meaning: "a claimed job whose worker died is taken up again after this",
        },
        shutdown_grace_seconds: Seconds {
            default: "10",
            meaning: "on SIGTERM, how long running jobs and campaign sends get to finish; what is left is taken up after the restart",
        },
    }

    [campaigns] CampaignsSection {
        daily_limit: u32 {
            default: "250",
            check: at_least_one,
            meaning: "campaign messages per business day, all campaigns together",
        },
        recency_days: Days {
            default: "7",
            meaning: "skip contacts who got a campaign message this recently",
        },
        booked_recently_days: Days {
            default: "14",
            meaning: "\"booked recently\" (an outcome campaigns leave out by default): a booking made this many days back",
        },
        attribution_days: Days {
            default: "7",
            meaning: "a booking this many days after a delivered campaign message counts for the campaign (last touch)",
        },
        pause_failure_percent: u32 {
            default: "20",
            check: percent,
            meaning: "a campaign pauses itself when this share of its sends fail (after 20 sends)",
        },
        pause_opt_out_percent: u32 {
            default: "5",
            check: percent,
            meaning: "a campaign pauses itself when this share of its recipients opt out after its message (after 20 sends)",
        },
        sends_in_flight: usize {
            default: "16",
            check: at_least_one,
            meaning: "campaign messages handed to WhatsApp at once (the send rate is `WHATSAPP_MESSAGES_PER_SECOND`)",
        },
    }

    [analytics] AnalyticsSection {
        attended_after_hours: u32 {
            default: "24",
            meaning: "an appointment still unmarked (neither attended nor no-show) this many hours after it ended counts as attended",
        },
        recovery_days: Days {
            default: "7",
            meaning: "a booking the bot takes this many days after following up an unfinished one counts as recovered",
        },
        price_input_per_million_tokens: Price {
            default: "0.30",
            meaning: "what the AI provider charges per million prompt tokens, in the business currency (Gemini 2.5 Flash's list price)",
        },
        price_output_per_million_tokens: Price {
            default: "2.50",
            meaning: "per million output tokens",
        },
        price_thinking_per_million_tokens: Price {
            default: "2.50",
            meaning: "per million thinking tokens (Gemini bills them as output)",
        },
        whatsapp_marketing_fee: Price {
            default: "0.06",
            meaning: "WhatsApp's fee per delivered marketing template (templates of any category but utility); check your country's rate",
        },
        whatsapp_utility_fee: Price {
            default: "0.02",
            meaning: "WhatsApp's fee per delivered utility template",
        },
        staff_cost_per_hour: Price {
            default: "15.00",
            meaning: "what an hour of staff time costs the business, to value the time the bot saves",
        },
        minutes_saved_per_conversation: u32 {
            default: "5",
            meaning: "staff minutes a conversation the bot handles alone saves",
        },
        model_prices: ModelPrices {
            default: "",
            shown: "none",
            meaning: "prices per million tokens of particular models, as `provider/model=input/output/thinking` separated by `;` (e.g. `gemini/gemini-2.5-pro=1.25/10.00/10.00`); other models' tokens cost the three prices above",
        },
    }

    [ai] AiSection {
        provider: Option<AiProvider> {
            shown: "`gemini` if a key is set, else `offline`",
            meaning: "`gemini`, `openai` or `offline`",
        },
    }

    [gemini] GeminiSection {
        api_key: Option<Secret> {
            meaning: "required when `AI_PROVIDER=gemini`",
        },
        model: String {
            default: "gemini-2.5-flash",
            meaning: "model name",
        },
        api_base: String {
            default: "https://generativelanguage.googleapis.com",
            meaning: "API base URL",
        },
    }

    [openai] OpenAiSection {
        api_base: Option<String> {
            meaning: "an OpenAI-compatible server (Ollama, vLLM, llama.cpp); required for `openai`",
        },
        api_key: Option<Secret> {
            meaning: "its key, if it needs one",
        },
        model: String {
            default: "llama3.1",
            meaning: "model name",
        },
    }

    [whatsapp] WhatsAppSection {
        verify_token: Option<Secret> {
            meaning: "webhook verification token",
        },
        app_secret: Option<Secret> {
            meaning: "signs webhook posts",
        },
        access_token: Option<Secret> {
            meaning: "Cloud API token; requires `WHATSAPP_PHONE_NUMBER_ID`",
        },
        phone_number_id: Option<String> {
            meaning: "the business number's id",
        },
        business_account_id: Option<String> {
            meaning: "the WhatsApp Business Account id; with the access token, message templates are synced from it",
        },
        api_base: String {
            default: "https://graph.facebook.com",
            meaning: "Graph API base URL",
        },
        api_version: String {
            default: "v23.0",
            meaning: "Graph API version",
        },
        pair_interval_ms: Millis {
            default: "6000",
            meaning: "least time between two messages to the same person (WhatsApp error 131056)",
        },
        messages_per_second: u32 {
            default: "80",
            check: at_least_one,
            meaning: "the business number's send rate (1,000 after an upgrade)",
        },
    }

    /// Field names match [`leptos::config::LeptosOptions`], which is deserialized from this
    /// section, so every option reaches Leptos without being copied by hand.
    #[derive(Serialize)]
    #[serde(rename_all = "kebab-case")]
    [leptos] LeptosSection {
        site_addr: SocketAddr {
            default: "127.0.0.1:3000",
            meaning: "address to serve on",
        },
        site_root: String {
            default: "target/site",
            meaning: "folder of the built site; cargo-leptos sets the `LEPTOS_*` variables when it runs the server",
        },
        site_pkg_dir: String {
            default: "pkg",
            meaning: "the browser bundle's folder inside the site root",
        },
        output_name: String {
            default: "frontdesk",
            meaning: "the browser bundle's file name",
        },
        reload_port: Port {
            default: "3001",
            meaning: "live-reload port of `cargo leptos watch --split`",
        },
        env: LeptosEnv {
            default: "DEV",
            meaning: "`DEV` or `PROD`",
        },
    }
}

/// A variable read straight from the environment, outside any section.
pub struct EnvOnly {
    pub name: &'static str,
    pub default: &'static str,
    /// Only the README test reads it.
    #[cfg(test)]
    pub meaning: &'static str,
}

/// Read by [`super::Settings::load`] before any file, so it cannot live in one.
pub const CONFIG_FILE: EnvOnly = EnvOnly {
    name: "FRONTDESK_CONFIG",
    default: "Leptos.toml",
    #[cfg(test)]
    meaning: "path of the settings file",
};

/// Read by the log subscriber, which `tracing_subscriber` configures from the environment.
pub const LOG_FILTER: EnvOnly = EnvOnly {
    name: "RUST_LOG",
    default: "info,sqlx=warn,tower_http=warn",
    #[cfg(test)]
    meaning: "log filter (phone numbers and message bodies are never logged above debug)",
};

/// The variables that belong to no section, documented after the sections.
#[cfg(test)]
pub(super) const ENVIRONMENT_ONLY: &[&EnvOnly] = &[&CONFIG_FILE, &LOG_FILTER];

/// A whole number of seconds.
pub(super) struct Seconds(pub Duration);

/// A whole number of milliseconds.
pub(super) struct Millis(pub Duration);

/// A whole number of days.
pub(super) struct Days(pub u32);

/// A TCP port, kept as a number for [`leptos::config::LeptosOptions`].
#[derive(Serialize)]
#[serde(transparent)]
pub(super) struct Port(u16);

/// An amount of money or a price, at most six decimals, kept in millionths.
pub(super) struct Price(pub i64);

/// Token prices of particular models: `provider/model=input/output/thinking;…`.
pub(super) struct ModelPrices(pub Vec<(String, super::TokenPrices)>);

/// A three-letter currency code such as EUR.
pub(super) struct Currency(pub String);

/// A two-letter ISO 3166 country code such as ES, one the phone number metadata knows.
pub(super) struct Country(pub phonenumber::country::Id);

/// Leptos' environment, accepted in any case and in its long form too.
#[derive(Serialize)]
#[serde(transparent)]
pub(super) struct LeptosEnv(Env);

impl Parse for Seconds {
    fn parse(text: &str) -> Result<Self, String> {
        let seconds = text.parse().map_err(|_| expected("a whole number of seconds", text))?;
        Ok(Seconds(Duration::from_secs(seconds)))
    }
}

impl Parse for Millis {
    fn parse(text: &str) -> Result<Self, String> {
        let millis = text.parse().map_err(|_| expected("milliseconds", text))?;
        Ok(Millis(Duration::from_millis(millis)))
    }
}

impl Parse for Days {
    fn parse(text: &str) -> Result<Self, String> {
        text.parse()
            .map(Days)
            .map_err(|_| expected("a whole number of days", text))
    }
}

impl Parse for Price {
    fn parse(text: &str) -> Result<Self, String> {
        let wrong = || expected("an amount such as 2.50 (not negative, at most six decimals)", text);
        let (units, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if units.is_empty() || units.len() > 9 || fraction.len() > 6 || !digits(units) || !digits(fraction) {
            return Err(wrong());
        }
        let units: i64 = units.parse().map_err(|_| wrong())?;
        let fraction: i64 = format!("{fraction:0<6}").parse().map_err(|_| wrong())?;
        Ok(Price(units * 1_000_000 + fraction))
    }
}

impl Parse for ModelPrices {
    fn parse(text: &str) -> Result<Self, String> {
        let wrong = |entry: &str| {
            expected(
                "`provider/model=input/output/thinking` entries separated by `;`, such as gemini/gemini-2.5-pro=1.25/10/10",
                entry,
            )
        };
        let mut prices = Vec::new();
        for entry in text.split(';').map(str::trim).filter(|e| !e.is_empty()) {
            let (model, amounts) = entry.split_once('=').ok_or_else(|| wrong(entry))?;
            let amounts: Vec<&str> = amounts.split('/').map(str::trim).collect();
            let [input, output, thinking] = amounts[..] else {
                return Err(wrong(entry));
            };
            let price = |amount: &str| Price::parse(amount).map(|p| p.0);
            let model = model.trim();
            if !model.contains('/') {
                return Err(wrong(entry));
            }
            prices.push((
                model.to_string(),
                super::TokenPrices {
                    input: price(input)?,
                    output: price(output)?,
                    thinking: price(thinking)?,
                },
            ));
        }
        Ok(ModelPrices(prices))
    }
}

impl Parse for Port {
    fn parse(text: &str) -> Result<Self, String> {
        text.parse().map(Port).map_err(|_| expected("a port number", text))
    }
}

impl Parse for Currency {
    fn parse(text: &str) -> Result<Self, String> {
        if text.len() == 3 && text.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Currency(text.to_string()))
        } else {
            Err(expected("a three-letter code such as EUR", text))
        }
    }
}

impl Parse for Country {
    fn parse(text: &str) -> Result<Self, String> {
        let known = text.len() == 2 && text.bytes().all(|b| b.is_ascii_uppercase());
        match text.parse() {
            Ok(id) if known => Ok(Country(id)),
            _ => Err(expected("a two-letter country code such as ES", text)),
        }
    }
}

impl Parse for LeptosEnv {
    fn parse(text: &str) -> Result<Self, String> {
        match text.to_ascii_uppercase().as_str() {
            "DEV" | "DEVELOPMENT" => Ok(LeptosEnv(Env::DEV)),
            "PROD" | "PRODUCTION" => Ok(LeptosEnv(Env::PROD)),
            other => Err(expected("DEV or PROD", other)),
        }
    }
}

impl Parse for Tz {
    fn parse(text: &str) -> Result<Self, String> {
        text.parse()
            .map_err(|_| format!("unknown time zone `{text}` (use an IANA name such as Europe/Madrid)"))
    }
}

impl Parse for Lang {
    fn parse(text: &str) -> Result<Self, String> {
        Lang::parse(text).ok_or_else(|| {
            let supported: Vec<&str> = Lang::all().iter().map(Lang::code).collect();
            format!(
                "no catalog for language `{text}` (supported: {}; a language is a folder in locales/)",
                supported.join(", ")
            )
        })
    }
}

impl Parse for DatabaseUrl {
    fn parse(text: &str) -> Result<Self, String> {
        DatabaseUrl::parse_text(text)
    }
}

impl Parse for AiProvider {
    fn parse(text: &str) -> Result<Self, String> {
        match text {
            "gemini" => Ok(AiProvider::Gemini),
            "openai" => Ok(AiProvider::OpenAi),
            "offline" => Ok(AiProvider::Offline),
            other => Err(expected("gemini, openai or offline", other)),
        }
    }
}

/// Amounts where zero would stop the work altogether.
trait Amount {
    fn is_zero(&self) -> bool;
}

impl Amount for u32 {
    fn is_zero(&self) -> bool {
        *self == 0
    }
}

impl Amount for usize {
    fn is_zero(&self) -> bool {
        *self == 0
    }
}

impl Amount for Seconds {
    fn is_zero(&self) -> bool {
        self.0.is_zero()
    }
}

fn at_least_one<T: Amount>(value: &T) -> Result<(), String> {
    if value.is_zero() {
        Err("must be at least 1".into())
    } else {
        Ok(())
    }
}

fn one_to_ninety(days: &Days) -> Result<(), String> {
    if (1..=90).contains(&days.0) {
        Ok(())
    } else {
        Err("must be between 1 and 90".into())
    }
}

fn percent(value: &u32) -> Result<(), String> {
    if (1..=100).contains(value) {
        Ok(())
    } else {
        Err("must be a percentage from 1 to 100".into())
    }
}
