//! The machinery behind the one declaration in `sections.rs`: from each entry come the file
//! key, the environment name, the default, the parser, the checks and the README row.

use std::collections::HashMap;
use std::net::SocketAddr;

use super::{ConfigError, Secret};

/// One setting, as the file reader and the README see it. The README test is the only
/// reader of the documentation fields, so the server does not carry them.
pub(super) struct Declared {
    pub key: &'static str,
    /// The text used when no source sets the value, parsed like any other.
    #[cfg(test)]
    pub default: Option<&'static str>,
    /// What the README says instead of a plain default (e.g. a default that depends on
    /// another setting).
    #[cfg(test)]
    pub shown: Option<&'static str>,
    #[cfg(test)]
    pub meaning: &'static str,
    #[cfg(test)]
    pub secret: bool,
}

/// A `[section]` of the settings file and its keys, in the order they are documented.
pub(super) struct Section {
    pub name: &'static str,
    pub settings: &'static [Declared],
}

/// `[frontdesk] timezone` ↔ `FRONTDESK_TIMEZONE`: the single mapping between the two.
pub(super) fn env_name(section: &str, key: &str) -> String {
    format!("{section}_{key}").to_uppercase()
}

/// A value a setting can hold, read from its text. The error is what follows
/// `VARIABLE: ` in the start-up message, and never repeats a secret.
pub(super) trait Parse: Sized {
    /// Secrets are marked in the README; their type keeps them out of logs.
    #[cfg(test)]
    const SECRET: bool = false;
    fn parse(text: &str) -> Result<Self, String>;
}

/// A setting's value from its text, or from nothing: `Option` settings may stay unset.
pub(super) trait FromRaw: Sized {
    #[cfg(test)]
    const SECRET: bool;
    fn from_raw(raw: Option<&str>) -> Result<Self, String>;
}

impl<T: Parse> FromRaw for T {
    #[cfg(test)]
    const SECRET: bool = T::SECRET;
    fn from_raw(raw: Option<&str>) -> Result<Self, String> {
        // Only a declaration without a default can get here; the defaults test catches it.
        T::parse(raw.ok_or("required")?)
    }
}

impl<T: Parse> FromRaw for Option<T> {
    #[cfg(test)]
    const SECRET: bool = T::SECRET;
    fn from_raw(raw: Option<&str>) -> Result<Self, String> {
        raw.map(T::parse).transpose()
    }
}

/// The usual complaint about a value that does not parse.
pub(super) fn expected(what: &str, got: &str) -> String {
    format!("expected {what}, got `{got}`")
}

impl Parse for String {
    fn parse(text: &str) -> Result<Self, String> {
        Ok(text.to_string())
    }
}

impl Parse for Secret {
    #[cfg(test)]
    const SECRET: bool = true;
    fn parse(text: &str) -> Result<Self, String> {
        Ok(Secret::new(text))
    }
}

impl Parse for u32 {
    fn parse(text: &str) -> Result<Self, String> {
        text.parse().map_err(|_| expected("a whole number", text))
    }
}

impl Parse for usize {
    fn parse(text: &str) -> Result<Self, String> {
        text.parse().map_err(|_| expected("a whole number", text))
    }
}

impl Parse for bool {
    fn parse(text: &str) -> Result<Self, String> {
        match text.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            other => Err(expected("true or false", other)),
        }
    }
}

impl Parse for SocketAddr {
    fn parse(text: &str) -> Result<Self, String> {
        text.parse()
            .map_err(|_| expected("an address such as 127.0.0.1:3000", text))
    }
}

/// A check on a parsed value; the error follows `VARIABLE: ` like a parse error.
pub(super) type Check<T> = fn(&T) -> Result<(), String>;

/// Raw values by environment-variable name: the file's, overridden by the environment's.
pub(super) struct Values(HashMap<String, String>);

impl Values {
    /// Reads the file's declared keys (refusing any other) and the environment variables of
    /// every declared key. Environment variables of no declared key are left alone: cargo-leptos
    /// sets several `LEPTOS_*` variables of its own.
    pub fn gather(
        sections: &[Section],
        file_name: &str,
        file_text: Option<&str>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Values, ConfigError> {
        let mut raw = match file_text {
            Some(text) => read_file(sections, file_name, text)?,
            None => HashMap::new(),
        };
        for section in sections {
            for setting in section.settings {
                let name = env_name(section.name, setting.key);
                if let Some(value) = env(&name) {
                    raw.insert(name, value);
                }
            }
        }
        // An empty value means "not set", so `GEMINI_API_KEY=` in a .env is harmless.
        raw.retain(|_, v| !v.trim().is_empty());
        Ok(Values(raw))
    }

    /// The typed value of `[section] key`: its text from the sources or the default, parsed
    /// and checked, with any complaint naming the variable.
    pub fn read<T: FromRaw>(
        &self,
        section: &str,
        key: &str,
        default: Option<&str>,
        checks: &[Check<T>],
    ) -> Result<T, ConfigError> {
        let name = env_name(section, key);
        let text = self.0.get(&name).map(|v| v.trim()).or(default);
        let value = T::from_raw(text).map_err(|why| ConfigError(format!("{name}: {why}")))?;
        for check in checks {
            check(&value).map_err(|why| ConfigError(format!("{name}: {why}")))?;
        }
        Ok(value)
    }
}

fn read_file(sections: &[Section], file_name: &str, text: &str) -> Result<HashMap<String, String>, ConfigError> {
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| ConfigError(format!("{file_name}: {}", e.message())))?;
    let mut values = HashMap::new();
    for (name, entries) in &table {
        // cargo-leptos keeps its build settings in Cargo.toml; this file is ours alone.
        let section = sections
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| ConfigError(format!("{file_name}: unknown section [{name}]")))?;
        let entries = entries
            .as_table()
            .ok_or_else(|| ConfigError(format!("{file_name}: [{name}] must be a table")))?;
        for (key, value) in entries {
            if !section.settings.iter().any(|s| s.key == key) {
                let known: Vec<&str> = section.settings.iter().map(|s| s.key).collect();
                return Err(ConfigError(format!(
                    "{file_name}: unknown key `{name}.{key}` (known: {})",
                    known.join(", ")
                )));
            }
            let text = match value {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                _ => {
                    return Err(ConfigError(format!(
                        "{file_name}: `{name}.{key}` must be a string, number or boolean"
                    )))
                }
            };
            values.insert(env_name(name, key), text);
        }
    }
    Ok(values)
}

/// Declares the settings file's sections and their settings, once. For each section it makes
/// a struct of typed fields and its reader, and it makes [`Section`] descriptions of them all
/// (`SECTIONS`) for the file reader and the README. Each setting is
/// `key: Type { default: "text", shown: "README text", check: function, meaning: "README text" }`,
/// where only `meaning` is required; an `Option` type may stay unset.
macro_rules! declare_settings {
    ($(
        $(#[$meta:meta])*
        [$section:ident] $Section:ident {
            $($key:ident: $ty:ty {
                $(default: $default:literal,)?
                $(shown: $shown:literal,)?
                $(check: $check:path,)?
                meaning: $meaning:literal $(,)?
            }),* $(,)?
        }
    )*) => {
        $(
            $(#[$meta])*
            pub(super) struct $Section {
                $(#[doc = $meaning] pub(super) $key: $ty,)*
            }

            impl $Section {
                fn read(values: &$crate::server::config::declare::Values) -> Result<Self, $crate::server::config::ConfigError> {
                    Ok(Self {
                        $($key: values.read(
                            stringify!($section),
                            stringify!($key),
                            $crate::server::config::declare::optional!($($default)?),
                            &[$($check)?],
                        )?,)*
                    })
                }
            }
        )*

        /// Every section, read and typed; cross-setting rules are checked after.
        pub(super) struct Sections {
            $(pub(super) $section: $Section,)*
        }

        impl Sections {
            pub(super) fn read(values: &$crate::server::config::declare::Values) -> Result<Sections, $crate::server::config::ConfigError> {
                Ok(Sections { $($section: $Section::read(values)?,)* })
            }
        }

        /// The sections in the order the README documents them.
        pub(super) const SECTIONS: &[$crate::server::config::declare::Section] = &[$(
            $crate::server::config::declare::Section {
                name: stringify!($section),
                settings: &[$($crate::server::config::declare::Declared {
                    key: stringify!($key),
                    #[cfg(test)]
                    default: $crate::server::config::declare::optional!($($default)?),
                    #[cfg(test)]
                    shown: $crate::server::config::declare::optional!($($shown)?),
                    #[cfg(test)]
                    meaning: $meaning,
                    #[cfg(test)]
                    secret: <$ty as $crate::server::config::declare::FromRaw>::SECRET,
                }),*],
            }
        ),*];
    };
}

/// `Some(literal)` when the declaration gives one, `None` otherwise.
macro_rules! optional {
    () => {
        None
    };
    ($value:literal) => {
        Some($value)
    };
}

pub(super) use declare_settings;
pub(super) use optional;
