//! Typed settings, read once at start-up: `Leptos.toml`, then `.env`, then the environment.
//!
//! Every key `[section] key` in `Leptos.toml` can be overridden by the environment variable
//! `SECTION_KEY` (upper case), e.g. `[frontdesk] timezone` ↔ `FRONTDESK_TIMEZONE`. This matches
//! the `LEPTOS_*` variables cargo-leptos sets, so the dev tools and the file agree.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono_tz::Tz;
use leptos::config::{Env, LeptosOptions};

/// Every key the settings file may hold. An unknown key is an error, so a typo never
/// silently leaves a default in place.
const KEYS: &[(&str, &[&str])] = &[
    (
        "leptos",
        &[
            "output_name",
            "site_root",
            "site_pkg_dir",
            "site_addr",
            "reload_port",
            "env",
        ],
    ),
    ("database", &["url", "max_connections"]),
    (
        "frontdesk",
        &[
            "business_name",
            "timezone",
            "currency",
            "admin_email",
            "admin_password",
            "demo_data",
            "session_days",
            "secure_cookies",
            "dev_mode",
            "abandon_after_seconds",
            "human_hold_seconds",
        ],
    ),
    ("scheduler", &["workers", "job_lock_seconds"]),
    ("campaigns", &["daily_limit", "recency_days"]),
    ("ai", &["provider"]),
    ("gemini", &["api_key", "model", "api_base"]),
    ("openai", &["api_base", "api_key", "model"]),
    (
        "whatsapp",
        &[
            "verify_token",
            "app_secret",
            "access_token",
            "phone_number_id",
            "api_base",
            "api_version",
            "pair_interval_ms",
            "messages_per_second",
        ],
    ),
];

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
        let bad = |why: &str| ConfigError(format!("DATABASE_URL: {why}"));
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
}

#[derive(Clone, Debug)]
pub struct CampaignSettings {
    pub daily_limit: u32,
    pub recency_days: u32,
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
    pub conversations: ConversationSettings,
    pub scheduler: SchedulerSettings,
    pub campaigns: CampaignSettings,
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
        let path = std::env::var("FRONTDESK_CONFIG").unwrap_or_else(|_| "Leptos.toml".into());
        let file = read_optional(Path::new(&path))?;
        Settings::from_sources(&path, file.as_deref(), |name| std::env::var(name).ok())
    }

    /// The pure part of [`Settings::load`], for tests: a file's text and an environment.
    pub fn from_sources(
        file_name: &str,
        file_text: Option<&str>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Settings, ConfigError> {
        let mut raw = match file_text {
            Some(text) => read_file_values(file_name, text)?,
            None => HashMap::new(),
        };
        for (section, keys) in KEYS {
            for key in *keys {
                let name = env_name(section, key);
                if let Some(value) = env(&name) {
                    raw.insert(name, value);
                }
            }
        }
        // An empty value means "not set", so `GEMINI_API_KEY=` in a .env is harmless.
        raw.retain(|_, v| !v.trim().is_empty());
        Values(raw).into_settings()
    }
}

fn read_optional(path: &Path) -> Result<Option<String>, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ConfigError(format!("{}: cannot read ({e})", path.display()))),
    }
}

pub fn env_name(section: &str, key: &str) -> String {
    format!("{section}_{key}").to_uppercase()
}

fn read_file_values(file_name: &str, text: &str) -> Result<HashMap<String, String>, ConfigError> {
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| ConfigError(format!("{file_name}: {}", e.message())))?;
    let mut values = HashMap::new();
    for (section, entries) in &table {
        // cargo-leptos keeps its build settings in Cargo.toml; this file is ours alone.
        let known = KEYS
            .iter()
            .find(|(name, _)| name == section)
            .map(|(_, keys)| *keys)
            .ok_or_else(|| ConfigError(format!("{file_name}: unknown section [{section}]")))?;
        let entries = entries
            .as_table()
            .ok_or_else(|| ConfigError(format!("{file_name}: [{section}] must be a table")))?;
        for (key, value) in entries {
            if !known.contains(&key.as_str()) {
                return Err(ConfigError(format!(
                    "{file_name}: unknown key `{section}.{key}` (known: {})",
                    known.join(", ")
                )));
            }
            let text = match value {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                _ => {
                    return Err(ConfigError(format!(
                        "{file_name}: `{section}.{key}` must be a string, number or boolean"
                    )))
                }
            };
            values.insert(env_name(section, key), text);
        }
    }
    Ok(values)
}

/// Raw values by environment-variable name, turned into typed settings one key at a time.
struct Values(HashMap<String, String>);

impl Values {
    fn text(&self, name: &str) -> Option<String> {
        self.0.get(name).map(|v| v.trim().to_string())
    }

    fn text_or(&self, name: &str, default: &str) -> String {
        self.text(name).unwrap_or_else(|| default.to_string())
    }

    fn secret(&self, name: &str) -> Option<Secret> {
        self.text(name).map(Secret::new)
    }

    fn parsed<T: std::str::FromStr>(&self, name: &str, default: T, expected: &str) -> Result<T, ConfigError> {
        match self.text(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| ConfigError(format!("{name}: expected {expected}, got `{v}`"))),
        }
    }

    fn flag(&self, name: &str, default: bool) -> Result<bool, ConfigError> {
        match self.text(name).as_deref().map(str::to_ascii_lowercase).as_deref() {
            None => Ok(default),
            Some("true" | "1" | "yes" | "on") => Ok(true),
            Some("false" | "0" | "no" | "off") => Ok(false),
            Some(other) => Err(ConfigError(format!("{name}: expected true or false, got `{other}`"))),
        }
    }

    fn into_settings(self) -> Result<Settings, ConfigError> {
        let leptos = self.leptos_options()?;

        let database = DatabaseSettings {
            url: DatabaseUrl::parse(&self.text_or("DATABASE_URL", "sqlite://data/frontdesk.db"))?,
            max_connections: self.parsed("DATABASE_MAX_CONNECTIONS", 8, "a whole number")?,
        };
        if database.max_connections == 0 {
            return Err(ConfigError("DATABASE_MAX_CONNECTIONS: must be at least 1".into()));
        }

        let timezone_name = self.text_or("FRONTDESK_TIMEZONE", "Europe/Madrid");
        let timezone: Tz = timezone_name.parse().map_err(|_| {
            ConfigError(format!(
                "FRONTDESK_TIMEZONE: unknown time zone `{timezone_name}` (use an IANA name such as Europe/Madrid)"
            ))
        })?;
        let currency = self.text_or("FRONTDESK_CURRENCY", "EUR");
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(ConfigError(format!(
                "FRONTDESK_CURRENCY: expected a three-letter code such as EUR, got `{currency}`"
            )));
        }
        let business = BusinessSettings {
            name: self.text_or("FRONTDESK_BUSINESS_NAME", "Frontdesk Demo Salon"),
            timezone,
            currency,
        };

        let admin = match (
            self.text("FRONTDESK_ADMIN_EMAIL"),
            self.secret("FRONTDESK_ADMIN_PASSWORD"),
        ) {
            (Some(email), Some(password)) => {
                if !email.contains('@') {
                    return Err(ConfigError(format!(
                        "FRONTDESK_ADMIN_EMAIL: `{email}` is not an email address"
                    )));
                }
                if password.expose().chars().count() < 8 {
                    return Err(ConfigError(
                        "FRONTDESK_ADMIN_PASSWORD: must be at least 8 characters".into(),
                    ));
                }
                Some(AdminBootstrap { email, password })
            }
            (Some(_), None) => {
                return Err(ConfigError(
                    "FRONTDESK_ADMIN_PASSWORD: required when FRONTDESK_ADMIN_EMAIL is set".into(),
                ))
            }
            (None, Some(_)) => {
                return Err(ConfigError(
                    "FRONTDESK_ADMIN_EMAIL: required when FRONTDESK_ADMIN_PASSWORD is set".into(),
                ))
            }
            (None, None) => None,
        };

        let session_days: i64 = self.parsed("FRONTDESK_SESSION_DAYS", 7, "a whole number of days")?;
        if !(1..=90).contains(&session_days) {
            return Err(ConfigError("FRONTDESK_SESSION_DAYS: must be between 1 and 90".into()));
        }

        let campaigns = CampaignSettings {
            daily_limit: self.parsed("CAMPAIGNS_DAILY_LIMIT", 250, "a whole number")?,
            recency_days: self.parsed("CAMPAIGNS_RECENCY_DAYS", 7, "a whole number of days")?,
        };
        if campaigns.daily_limit == 0 {
            return Err(ConfigError("CAMPAIGNS_DAILY_LIMIT: must be at least 1".into()));
        }

        let conversations = ConversationSettings {
            abandon_after: Duration::from_secs(self.parsed(
                "FRONTDESK_ABANDON_AFTER_SECONDS",
                1800,
                "a whole number of seconds",
            )?),
            human_hold: Duration::from_secs(self.parsed(
                "FRONTDESK_HUMAN_HOLD_SECONDS",
                900,
                "a whole number of seconds",
            )?),
        };
        let scheduler = SchedulerSettings {
            workers: self.parsed("SCHEDULER_WORKERS", 32, "a whole number")?,
            job_lock: Duration::from_secs(self.parsed(
                "SCHEDULER_JOB_LOCK_SECONDS",
                120,
                "a whole number of seconds",
            )?),
        };
        if scheduler.workers == 0 || scheduler.job_lock.is_zero() {
            return Err(ConfigError(
                "SCHEDULER_WORKERS and SCHEDULER_JOB_LOCK_SECONDS: must be at least 1".into(),
            ));
        }

        let ai = self.ai_settings()?;
        let whatsapp = self.whatsapp_settings()?;

        Ok(Settings {
            leptos,
            database,
            business,
            admin,
            demo_data: self.flag("FRONTDESK_DEMO_DATA", true)?,
            session_days,
            secure_cookies: self.flag("FRONTDESK_SECURE_COOKIES", false)?,
            dev_mode: self.flag("FRONTDESK_DEV_MODE", false)?,
            conversations,
            scheduler,
            campaigns,
            ai,
            whatsapp,
        })
    }

    fn leptos_options(&self) -> Result<LeptosOptions, ConfigError> {
        let site_addr: SocketAddr = self.parsed(
            "LEPTOS_SITE_ADDR",
            SocketAddr::from(([127, 0, 0, 1], 3000)),
            "an address such as 127.0.0.1:3000",
        )?;
        let env = match self.text_or("LEPTOS_ENV", "DEV").to_ascii_uppercase().as_str() {
            "DEV" | "DEVELOPMENT" => Env::DEV,
            "PROD" | "PRODUCTION" => Env::PROD,
            other => return Err(ConfigError(format!("LEPTOS_ENV: expected DEV or PROD, got `{other}`"))),
        };
        Ok(LeptosOptions::builder()
            .output_name(self.text_or("LEPTOS_OUTPUT_NAME", "frontdesk"))
            .site_root(self.text_or("LEPTOS_SITE_ROOT", "target/site"))
            .site_pkg_dir(self.text_or("LEPTOS_SITE_PKG_DIR", "pkg"))
            .site_addr(site_addr)
            .reload_port(self.parsed("LEPTOS_RELOAD_PORT", 3001, "a port number")?)
            .env(env)
            .build())
    }

    fn ai_settings(&self) -> Result<AiSettings, ConfigError> {
        let gemini_api_key = self.secret("GEMINI_API_KEY");
        let openai_api_base = self.text("OPENAI_API_BASE");
        // Without a choice, use Gemini when a key is there and the offline receptionist otherwise.
        let provider = match self.text("AI_PROVIDER").as_deref() {
            None if gemini_api_key.is_some() => AiProvider::Gemini,
            None | Some("offline") => AiProvider::Offline,
            Some("gemini") => AiProvider::Gemini,
            Some("openai") => AiProvider::OpenAi,
            Some(other) => {
                return Err(ConfigError(format!(
                    "AI_PROVIDER: expected gemini, openai or offline, got `{other}`"
                )))
            }
        };
        if provider == AiProvider::Gemini && gemini_api_key.is_none() {
            return Err(ConfigError("GEMINI_API_KEY: required when AI_PROVIDER=gemini".into()));
        }
        if provider == AiProvider::OpenAi && openai_api_base.is_none() {
            return Err(ConfigError(
                "OPENAI_API_BASE: required when AI_PROVIDER=openai (e.g. http://127.0.0.1:11434 for Ollama)".into(),
            ));
        }
        Ok(AiSettings {
            provider,
            gemini_api_key,
            gemini_model: self.text_or("GEMINI_MODEL", "gemini-2.5-flash"),
            gemini_api_base: self.text_or("GEMINI_API_BASE", "https://generativelanguage.googleapis.com"),
            openai_api_base,
            openai_api_key: self.secret("OPENAI_API_KEY"),
            openai_model: self.text_or("OPENAI_MODEL", "llama3.1"),
        })
    }

    fn whatsapp_settings(&self) -> Result<WhatsAppSettings, ConfigError> {
        let settings = WhatsAppSettings {
            verify_token: self.secret("WHATSAPP_VERIFY_TOKEN"),
            app_secret: self.secret("WHATSAPP_APP_SECRET"),
            access_token: self.secret("WHATSAPP_ACCESS_TOKEN"),
            phone_number_id: self.text("WHATSAPP_PHONE_NUMBER_ID"),
            api_base: self.text_or("WHATSAPP_API_BASE", "https://graph.facebook.com"),
            api_version: self.text_or("WHATSAPP_API_VERSION", "v23.0"),
            pair_interval: Duration::from_millis(self.parsed("WHATSAPP_PAIR_INTERVAL_MS", 6000, "milliseconds")?),
            messages_per_second: self.parsed("WHATSAPP_MESSAGES_PER_SECOND", 80, "a whole number")?,
        };
        if settings.messages_per_second == 0 {
            return Err(ConfigError("WHATSAPP_MESSAGES_PER_SECOND: must be at least 1".into()));
        }
        if settings.access_token.is_some() && settings.phone_number_id.is_none() {
            return Err(ConfigError(
                "WHATSAPP_PHONE_NUMBER_ID: required when WHATSAPP_ACCESS_TOKEN is set".into(),
            ));
        }
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
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
        assert!(s.demo_data);
    }

    #[test]
    fn environment_overrides_the_file() {
        let file = "[frontdesk]\ntimezone = \"Europe/London\"\n[campaigns]\ndaily_limit = 100\n";
        let s = load(file, &[("CAMPAIGNS_DAILY_LIMIT", "1000")]).unwrap();
        assert_eq!(s.business.timezone, chrono_tz::Europe::London);
        assert_eq!(s.campaigns.daily_limit, 1000);
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
}
