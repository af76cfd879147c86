//! Typed settings, read once at start-up: `Leptos.toml`, then `.env`, then the environment.
//!
//! Every key `[section] key` in `Leptos.toml` can be overridden by the environment variable
//! `SECTION_KEY` (upper case), e.g. `[frontdesk] timezone` ↔ `FRONTDESK_TIMEZONE`. This matches
//! the `LEPTOS_*` variables cargo-leptos sets, so the dev tools and the file agree.
//!
//! Each setting is declared once, in `sections.rs`; this module turns the typed sections into
//! the [`Settings`] the app uses and checks the rules that involve several settings.

mod declare;
#[cfg(test)]
mod readme;
mod sections;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono_tz::Tz;
use leptos::config::LeptosOptions;

use crate::server::i18n::Lang;

use declare::{env_name, Values};
use sections::{
    AiSection, AnalyticsSection, GeminiSection, LeptosSection, OpenAiSection, Sections, WhatsAppSection, SECTIONS,
};
pub use sections::{EnvOnly, CONFIG_FILE, LOG_FILTER};

/// One clear line naming the setting that is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(String);

/// A value that must never reach a log line or an error message.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite {
        path: PathBuf,
    },
    /// The whole URL is secret: it may carry a password.
    Postgres(Secret),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<DatabaseUrl, ConfigError> {
        DatabaseUrl::parse_text(raw).map_err(|why| ConfigError(format!("DATABASE_URL: {why}")))
    }

    /// Why `raw` is not a database URL, without repeating it: it may hold a password.
    fn parse_text(raw: &str) -> Result<DatabaseUrl, String> {
        let bad = |why: &str| why.to_string();
        if let Some(rest) = raw.strip_prefix("sqlite:") {
            let path = rest.trim_start_matches("//");
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() || path == ":memory:" {
                return Err(bad("a SQLite URL needs a file path, e.g. sqlite://data/frontdesk.db"));
            }
            return Ok(DatabaseUrl::Sqlite {
                path: PathBuf::from(path),
            });
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            let parsed = url::Url::parse(raw).map_err(|e| bad(&format!("not a valid PostgreSQL URL ({e})")))?;
            if parsed.host_str().is_none_or(str::is_empty) {
                return Err(bad(
                    "a PostgreSQL URL needs a host, e.g. postgres://user@localhost/frontdesk",
                ));
            }
            return Ok(DatabaseUrl::Postgres(Secret::new(raw)));
        }
        Err(bad(
            "must start with sqlite:// or postgres:// (the value is not shown: it may hold a password)",
        ))
    }
}

#[derive(Clone, Debug)]
pub struct DatabaseSettings {
    pub url: DatabaseUrl,
    pub max_connections: u32,
}

#[derive(Clone, Debug)]
pub struct BusinessSettings {
    pub name: String,
    pub timezone: Tz,
    pub currency: String,
    /// Phone numbers without a country code are read as this country's.
    pub country: phonenumber::country::Id,
    /// Customers are written to in this language until theirs is known.
    pub language: Lang,
}

/// The first admin account, created on a start with no staff users.
#[derive(Clone, Debug)]
pub struct AdminBootstrap {
    pub email: String,
    pub password: Secret,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AiProvider {
    Gemini,
    OpenAi,
    Offline,
}

#[derive(Clone, Debug)]
pub struct AiSettings {
    pub provider: AiProvider,
    pub gemini_api_key: Option<Secret>,
    pub gemini_model: String,
    pub gemini_api_base: String,
    pub openai_api_base: Option<String>,
    pub openai_api_key: Option<Secret>,
    pub openai_model: String,
}

#[derive(Clone, Debug)]
pub struct WhatsAppSettings {
    pub verify_token: Option<Secret>,
    pub app_secret: Option<Secret>,
    pub access_token: Option<Secret>,
    pub phone_number_id: Option<String>,
    /// Message templates are synced from this WhatsApp Business Account.
    pub business_account_id: Option<String>,
    pub api_base: String,
    pub api_version: String,
    /// WhatsApp allows about one message every 6 s to the same person (error 131056).
    pub pair_interval: Duration,
    /// Messages per second for the business number (80 by default, 1,000 after upgrade).
    pub messages_per_second: u32,
}

/// The conversation rules that keep a customer from being left without an answer.
#[derive(Clone, Debug)]
pub struct ConversationSettings {
    /// A booking left unfinished this long is abandoned and followed up once.
    pub abandon_after: Duration,
    /// A customer waiting this long for staff in human mode gets a holding message.
    pub human_hold: Duration,
}

#[derive(Clone, Debug)]
pub struct SchedulerSettings {
    /// Jobs run at once (AI calls and sends are mostly waiting on the network).
    pub workers: usize,
    /// A claimed job not finished within this time is taken up again (its worker died).
    pub job_lock: Duration,
    /// On shutdown, how long running work gets to finish.
    pub shutdown_grace: Duration,
}

#[derive(Clone, Debug)]
pub struct CampaignSettings {
    pub daily_limit: u32,
    pub recency_days: u32,
    pub booked_recently_days: u32,
    pub attribution_days: u32,
    pub pause_failure_percent: u32,
    pub pause_opt_out_percent: u32,
    pub sends_in_flight: usize,
}

/// Prices and rules of the ROI figures. Amounts are in millionths of the business currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnalyticsSettings {
    /// An appointment still `booked` this long after it ended counts as attended.
    pub attended_after: chrono::Duration,
    /// A bot booking this long after an abandoned-booking follow-up counts as recovered.
    pub recovery: chrono::Duration,
    pub input_token_price_per_million: i64,
    pub output_token_price_per_million: i64,
    pub thinking_token_price_per_million: i64,
    pub marketing_template_fee: i64,
    pub utility_template_fee: i64,
    pub staff_cost_per_hour: i64,
    pub minutes_saved_per_conversation: i64,
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub leptos: LeptosOptions,
    pub database: DatabaseSettings,
    pub business: BusinessSettings,
    pub admin: Option<AdminBootstrap>,
    /// Load the demo salon when the database is empty.
    pub demo_data: bool,
    pub session_days: i64,
    /// Served over HTTPS: the session cookie is marked `Secure`.
    pub secure_cookies: bool,
    /// Development conveniences that must never be on in production (e.g. unsigned webhooks).
    pub dev_mode: bool,
    /// Behind a reverse proxy, which appends the client's address to `X-Forwarded-For`.
    pub behind_proxy: bool,
    pub conversations: ConversationSettings,
    pub scheduler: SchedulerSettings,
    pub campaigns: CampaignSettings,
    pub analytics: AnalyticsSettings,
    pub ai: AiSettings,
    pub whatsapp: WhatsAppSettings,
}

impl Settings {
    /// Reads the settings file named by `FRONTDESK_CONFIG` (default `Leptos.toml`), then
    /// `.env`, then the process environment.
    pub fn load() -> Result<Settings, ConfigError> {
        // `.env` never overrides a variable the environment already has.
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => return Err(ConfigError(format!(".env: {e}"))),
        }
        let names = std::env::vars_os().filter_map(|(name, _)| name.into_string().ok());
        refuse_unknown_variables(names)?;
        let path = std::env::var(CONFIG_FILE.name).unwrap_or_else(|_| CONFIG_FILE.default.into());
        let file = read_optional(Path::new(&path))?;
        Settings::from_sources(&path, file.as_deref(), |name| std::env::var(name).ok())
    }

    /// The pure part of [`Settings::load`], for tests: a file's text and an environment.
    pub fn from_sources(
        file_name: &str,
        file_text: Option<&str>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Settings, ConfigError> {
        let values = Values::gather(SECTIONS, file_name, file_text, env)?;
        Settings::from_sections(Sections::read(&values)?)
    }

    /// Applies the rules that involve several settings and arranges them as the app uses them.
    fn from_sections(sections: Sections) -> Result<Settings, ConfigError> {
        let Sections {
            database,
            frontdesk,
            scheduler,
            campaigns,
            analytics,
            ai,
            gemini,
            openai,
            whatsapp,
            leptos,
        } = sections;
        Ok(Settings {
            leptos: leptos_options(&leptos)?,
            database: DatabaseSettings {
                url: database.url,
                max_connections: database.max_connections,
            },
            admin: admin_bootstrap(frontdesk.admin_email, frontdesk.admin_password)?,
            business: BusinessSettings {
                name: frontdesk.business_name,
                timezone: frontdesk.timezone,
                currency: frontdesk.currency.0,
                country: frontdesk.country.0,
                language: frontdesk.language,
            },
            demo_data: frontdesk.demo_data,
            session_days: i64::from(frontdesk.session_days.0),
            secure_cookies: frontdesk.secure_cookies,
            dev_mode: frontdesk.dev_mode,
            behind_proxy: frontdesk.behind_proxy,
            conversations: ConversationSettings {
                abandon_after: frontdesk.abandon_after_seconds.0,
                human_hold: frontdesk.human_hold_seconds.0,
            },
            scheduler: SchedulerSettings {
                workers: scheduler.workers,
                job_lock: scheduler.job_lock_seconds.0,
                shutdown_grace: scheduler.shutdown_grace_seconds.0,
            },
            campaigns: CampaignSettings {
                daily_limit: campaigns.daily_limit,
                recency_days: campaigns.recency_days.0,
                booked_recently_days: campaigns.booked_recently_days.0,
                attribution_days: campaigns.attribution_days.0,
                pause_failure_percent: campaigns.pause_failure_percent,
                pause_opt_out_percent: campaigns.pause_opt_out_percent,
                sends_in_flight: campaigns.sends_in_flight,
            },
            analytics: analytics_settings(&analytics),
            ai: ai_settings(ai, gemini, openai)?,
            whatsapp: whatsapp_settings(whatsapp)?,
        })
    }
}

fn analytics_settings(section: &AnalyticsSection) -> AnalyticsSettings {
    AnalyticsSettings {
        attended_after: chrono::Duration::hours(i64::from(section.attended_after_hours)),
        recovery: chrono::Duration::days(i64::from(section.recovery_days.0)),
        input_token_price_per_million: section.price_input_per_million_tokens.0,
        output_token_price_per_million: section.price_output_per_million_tokens.0,
        thinking_token_price_per_million: section.price_thinking_per_million_tokens.0,
        marketing_template_fee: section.whatsapp_marketing_fee.0,
        utility_template_fee: section.whatsapp_utility_fee.0,
        staff_cost_per_hour: section.staff_cost_per_hour.0,
        minutes_saved_per_conversation: i64::from(section.minutes_saved_per_conversation),
    }
}

/// A variable named like one of our sections (`FRONTDESK_…`, `WHATSAPP_…`) that is no
/// setting is a typo that would leave a default silently in place: start-up stops and names
/// it. `LEPTOS_…` is left alone, because cargo-leptos sets variables of its own there.
fn refuse_unknown_variables(names: impl Iterator<Item = String>) -> Result<(), ConfigError> {
    let ours = |name: &str| {
        SECTIONS
            .iter()
            .any(|section| section.name != "leptos" && name.starts_with(&format!("{}_", section.name.to_uppercase())))
    };
    let declared = |name: &str| {
        name == CONFIG_FILE.name
            || SECTIONS
                .iter()
                .any(|section| section.settings.iter().any(|s| env_name(section.name, s.key) == name))
    };
    let mut unknown: Vec<String> = names.filter(|n| ours(n) && !declared(n)).collect();
    unknown.sort();
    match unknown.first() {
        None => Ok(()),
        Some(name) => Err(ConfigError(format!(
            "{name}: no such setting (a typo? the README's configuration table lists them all)"
        ))),
    }
}

fn read_optional(path: &Path) -> Result<Option<String>, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ConfigError(format!("{}: cannot read ({e})", path.display()))),
    }
}

/// Leptos reads its options with serde, so the `[leptos]` section is handed over the same way
/// rather than field by field; options we do not declare keep Leptos' own defaults.
fn leptos_options(section: &LeptosSection) -> Result<LeptosOptions, ConfigError> {
    serde_json::to_value(section)
        .and_then(serde_json::from_value)
        .map_err(|e| ConfigError(format!("[leptos]: {e}")))
}

fn admin_bootstrap(email: Option<String>, password: Option<Secret>) -> Result<Option<AdminBootstrap>, ConfigError> {
    match (email, password) {
        (Some(email), Some(password)) => {
            if !email.contains('@') {
                return Err(ConfigError(format!(
                    "FRONTDESK_ADMIN_EMAIL: `{email}` is not an email address"
                )));
            }
            if password.expose().chars().count() < crate::model::MIN_PASSWORD_CHARS {
                return Err(ConfigError(format!(
                    "FRONTDESK_ADMIN_PASSWORD: must be at least {} characters",
                    crate::model::MIN_PASSWORD_CHARS
                )));
            }
            Ok(Some(AdminBootstrap { email, password }))
        }
        (Some(_), None) => Err(ConfigError(
            "FRONTDESK_ADMIN_PASSWORD: required when FRONTDESK_ADMIN_EMAIL is set".into(),
        )),
        (None, Some(_)) => Err(ConfigError(
            "FRONTDESK_ADMIN_EMAIL: required when FRONTDESK_ADMIN_PASSWORD is set".into(),
        )),
        (None, None) => Ok(None),
    }
}

fn ai_settings(ai: AiSection, gemini: GeminiSection, openai: OpenAiSection) -> Result<AiSettings, ConfigError> {
    // Without a choice, use Gemini when a key is there and the offline receptionist otherwise.
    let provider = match ai.provider {
        Some(provider) => provider,
        None if gemini.api_key.is_some() => AiProvider::Gemini,
        None => AiProvider::Offline,
    };
    if provider == AiProvider::Gemini && gemini.api_key.is_none() {
        return Err(ConfigError("GEMINI_API_KEY: required when AI_PROVIDER=gemini".into()));
    }
    if provider == AiProvider::OpenAi && openai.api_base.is_none() {
        return Err(ConfigError(
            "OPENAI_API_BASE: required when AI_PROVIDER=openai (e.g. http://127.0.0.1:11434 for Ollama)".into(),
        ));
    }
    Ok(AiSettings {
        provider,
        gemini_api_key: gemini.api_key,
        gemini_model: gemini.model,
        gemini_api_base: gemini.api_base,
        openai_api_base: openai.api_base,
        openai_api_key: openai.api_key,
        openai_model: openai.model,
    })
}

fn whatsapp_settings(whatsapp: WhatsAppSection) -> Result<WhatsAppSettings, ConfigError> {
    if whatsapp.access_token.is_some() && whatsapp.phone_number_id.is_none() {
        return Err(ConfigError(
            "WHATSAPP_PHONE_NUMBER_ID: required when WHATSAPP_ACCESS_TOKEN is set".into(),
        ));
    }
    Ok(WhatsAppSettings {
        verify_token: whatsapp.verify_token,
        app_secret: whatsapp.app_secret,
        access_token: whatsapp.access_token,
        phone_number_id: whatsapp.phone_number_id,
        business_account_id: whatsapp.business_account_id,
        api_base: whatsapp.api_base,
        api_version: whatsapp.api_version,
        pair_interval: whatsapp.pair_interval_ms.0,
        messages_per_second: whatsapp.messages_per_second,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use leptos::config::Env;

    use super::*;

    fn load(file: &str, env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let env: HashMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_sources("Leptos.toml", Some(file), move |name| env.get(name).cloned())
    }

    #[test]
    fn defaults_are_sqlite_offline_and_the_lowest_whatsapp_tier() {
        let s = load("", &[]).unwrap();
        assert_eq!(
            s.database.url,
            DatabaseUrl::Sqlite {
                path: "data/frontdesk.db".into()
            }
        );
        assert_eq!(s.ai.provider, AiProvider::Offline);
        assert_eq!(s.campaigns.daily_limit, 250);
        assert_eq!(s.campaigns.recency_days, 7);
        assert!(!s.demo_data, "demo data only when asked for");
        assert_eq!(s.business.language, Lang::english());
    }

    #[test]
    fn the_default_language_must_have_a_catalog() {
        let s = load("[frontdesk]\nlanguage = \"es-ES\"\n", &[]).unwrap();
        assert_eq!(s.business.language.code(), "es");
        let err = load("", &[("FRONTDESK_LANGUAGE", "klingon")]).unwrap_err().to_string();
        assert_eq!(
            err,
            "FRONTDESK_LANGUAGE: no catalog for language `klingon` (supported: en, es; a language is a folder in locales/)"
        );
    }

    #[test]
    fn environment_overrides_the_file() {
        let file = "[frontdesk]\ntimezone = \"Europe/London\"\n[campaigns]\ndaily_limit = 100\n";
        let s = load(file, &[("CAMPAIGNS_DAILY_LIMIT", "1000")]).unwrap();
        assert_eq!(s.business.timezone, chrono_tz::Europe::London);
        assert_eq!(s.campaigns.daily_limit, 1000);
    }

    #[test]
    fn a_misspelt_variable_is_named() {
        let names = |list: &[&str]| list.iter().map(|n| n.to_string()).collect::<Vec<_>>().into_iter();
        let error = refuse_unknown_variables(names(&["PATH", "FRONTDESK_TIMEZON", "DATABASE_URL"])).unwrap_err();
        assert!(
            error.to_string().starts_with("FRONTDESK_TIMEZON: no such setting"),
            "{error}"
        );
        let fine = [
            "DATABASE_URL",
            "FRONTDESK_CONFIG",
            "LEPTOS_WATCH",
            "WHATSAPP_APP_SECRET",
            "HOME",
        ];
        assert!(refuse_unknown_variables(names(&fine)).is_ok());
    }

    #[test]
    fn an_unknown_key_is_named() {
        let err = load("[frontdesk]\ntimezon = \"UTC\"\n", &[]).unwrap_err().to_string();
        assert!(err.contains("unknown key `frontdesk.timezon`"), "{err}");
        let err = load("[frontdsk]\n", &[]).unwrap_err().to_string();
        assert!(err.contains("unknown section [frontdsk]"), "{err}");
    }

    #[test]
    fn a_bad_database_url_is_named_without_echoing_it() {
        let err = load("", &[("DATABASE_URL", "mysql://root:hunter2@db/x")])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("DATABASE_URL:"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        assert!(load("", &[("DATABASE_URL", "postgres://")]).is_err());
        assert!(load("", &[("DATABASE_URL", "postgres://u@127.0.0.1:5432/x")]).is_ok());
    }

    #[test]
    fn a_missing_secret_for_an_enabled_feature_stops_start_up() {
        let err = load("", &[("AI_PROVIDER", "gemini")]).unwrap_err().to_string();
        assert!(err.starts_with("GEMINI_API_KEY:"), "{err}");
        let err = load("", &[("WHATSAPP_ACCESS_TOKEN", "t")]).unwrap_err().to_string();
        assert!(err.starts_with("WHATSAPP_PHONE_NUMBER_ID:"), "{err}");
        let err = load("", &[("FRONTDESK_ADMIN_EMAIL", "a@b.c")]).unwrap_err().to_string();
        assert!(err.starts_with("FRONTDESK_ADMIN_PASSWORD:"), "{err}");
    }

    #[test]
    fn bad_values_name_their_variable() {
        let err = load("", &[("FRONTDESK_TIMEZONE", "Mars/Olympus")])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("FRONTDESK_TIMEZONE:"), "{err}");
        let err = load("", &[("CAMPAIGNS_DAILY_LIMIT", "lots")]).unwrap_err().to_string();
        assert!(err.starts_with("CAMPAIGNS_DAILY_LIMIT:"), "{err}");
    }

    #[test]
    fn secrets_never_print() {
        let s = load(
            "",
            &[
                ("GEMINI_API_KEY", "AIza-very-secret"),
                ("FRONTDESK_ADMIN_EMAIL", "a@b.c"),
                ("FRONTDESK_ADMIN_PASSWORD", "pa55word!"),
            ],
        )
        .unwrap();
        let printed = format!("{s:?}");
        assert!(!printed.contains("AIza-very-secret"));
        assert!(!printed.contains("pa55word!"));
    }

    #[test]
    fn the_shipped_settings_file_is_valid() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Leptos.toml")).unwrap();
        load(&text, &[]).unwrap();
    }

    #[test]
    fn the_leptos_section_reaches_leptos_options() {
        let file = "[leptos]\noutput_name = \"desk\"\nsite_root = \"site\"\nenv = \"production\"\n";
        let s = load(
            file,
            &[
                ("LEPTOS_SITE_ADDR", "0.0.0.0:8080"),
                ("LEPTOS_SITE_PKG_DIR", "bundle"),
                ("LEPTOS_RELOAD_PORT", "4001"),
            ],
        )
        .unwrap();
        assert_eq!(&*s.leptos.output_name, "desk");
        assert_eq!(&*s.leptos.site_root, "site");
        assert_eq!(&*s.leptos.site_pkg_dir, "bundle");
        assert_eq!(s.leptos.site_addr, "0.0.0.0:8080".parse().unwrap());
        assert_eq!(s.leptos.reload_port, 4001);
        assert_eq!(s.leptos.env, Env::PROD);
        let err = load("", &[("LEPTOS_ENV", "staging")]).unwrap_err().to_string();
        assert_eq!(err, "LEPTOS_ENV: expected DEV or PROD, got `STAGING`");
    }

    #[test]
    fn variables_of_no_declared_setting_are_left_alone() {
        // cargo-leptos sets these when it runs the server; an empty value means "not set".
        let s = load(
            "[gemini]\nmodel = \"gemini-pro\"\n",
            &[("LEPTOS_WATCH", "true"), ("LEPTOS_BIN_DIR", "x"), ("GEMINI_MODEL", " ")],
        )
        .unwrap();
        assert_eq!(s.ai.gemini_model, "gemini-2.5-flash");
    }

    #[test]
    fn single_value_rules_name_their_variable() {
        let cases = [
            (
                "DATABASE_MAX_CONNECTIONS",
                "0",
                "DATABASE_MAX_CONNECTIONS: must be at least 1",
            ),
            (
                "FRONTDESK_SESSION_DAYS",
                "91",
                "FRONTDESK_SESSION_DAYS: must be between 1 and 90",
            ),
            ("SCHEDULER_WORKERS", "0", "SCHEDULER_WORKERS: must be at least 1"),
            (
                "SCHEDULER_JOB_LOCK_SECONDS",
                "0",
                "SCHEDULER_JOB_LOCK_SECONDS: must be at least 1",
            ),
            (
                "WHATSAPP_MESSAGES_PER_SECOND",
                "0",
                "WHATSAPP_MESSAGES_PER_SECOND: must be at least 1",
            ),
            (
                "FRONTDESK_CURRENCY",
                "euro",
                "FRONTDESK_CURRENCY: expected a three-letter code such as EUR, got `euro`",
            ),
            (
                "FRONTDESK_DEMO_DATA",
                "Maybe",
                "FRONTDESK_DEMO_DATA: expected true or false, got `maybe`",
            ),
            (
                "WHATSAPP_PAIR_INTERVAL_MS",
                "6s",
                "WHATSAPP_PAIR_INTERVAL_MS: expected milliseconds, got `6s`",
            ),
        ];
        for (name, value, message) in cases {
            assert_eq!(load("", &[(name, value)]).unwrap_err().to_string(), message);
        }
    }
}
