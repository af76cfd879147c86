//! Reads the business's message templates from Graph
//! (`GET {base}/{version}/{waba_id}/message_templates`, page by page) and stores them as the
//! template library in one transaction.

use std::time::Duration;

use chrono::Utc;
use serde::Deserialize;

use crate::server::config::{Secret, WhatsAppSettings};
use crate::server::db::templates::{self, SyncReport, TemplateDefinition};
use crate::server::db::{Db, DbError};
use crate::server::whatsapp::sender::ErrorResponse;

/// Graph lists at most this many templates a page; a business has a few hundred at most.
const PAGE_SIZE: u32 = 100;
/// A paging chain longer than this is a Graph fault, not a template library.
const MAX_PAGES: usize = 100;

/// Why the templates were not synced, in words an admin can act on. Never holds the token
/// or a URL (the URL names the business account).
#[derive(Debug, thiserror::Error)]
pub enum TemplateSyncError {
    #[error("With the WhatsApp outbox the demo templates are used. To sync templates from WhatsApp, set WHATSAPP_ACCESS_TOKEN, WHATSAPP_PHONE_NUMBER_ID and WHATSAPP_BUSINESS_ACCOUNT_ID.")]
    Outbox,
    #[error("Set WHATSAPP_BUSINESS_ACCOUNT_ID to sync templates from WhatsApp.")]
    NoBusinessAccount,
    #[error("Cannot reach WhatsApp to read the templates ({0}).")]
    Unreachable(&'static str),
    #[error("WhatsApp refused to list the templates ({0}).")]
    Refused(String),
    #[error("WhatsApp's template list could not be read ({0}).")]
    Malformed(&'static str),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The business account's template list on Graph.
#[derive(Debug)]
pub struct TemplateSource {
    http: reqwest::Client,
    api_base: String,
    first_page: String,
    token: Secret,
}

#[derive(Deserialize)]
struct Page {
    data: Vec<GraphTemplate>,
    #[serde(default)]
    paging: Option<Paging>,
}

#[derive(Deserialize)]
struct Paging {
    next: Option<String>,
}

#[derive(Deserialize)]
struct GraphTemplate {
    name: String,
    language: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    components: Vec<Component>,
}

#[derive(Deserialize)]
struct Component {
    #[serde(rename = "type")]
    kind: String,
    text: Option<String>,
}

impl TemplateSource {
    /// The source when the access token and the business account id are set.
    pub fn from_settings(
        settings: &WhatsAppSettings,
        http: reqwest::Client,
    ) -> Result<TemplateSource, TemplateSyncError> {
        let token = settings.access_token.clone().ok_or(TemplateSyncError::Outbox)?;
        let waba = settings
            .business_account_id
            .as_deref()
            .ok_or(TemplateSyncError::NoBusinessAccount)?;
        let api_base = settings.api_base.trim_end_matches('/').to_string();
        let first_page = format!(
            "{api_base}/{}/{waba}/message_templates?fields=name,language,category,status,components,parameter_format&limit={PAGE_SIZE}",
            settings.api_version
        );
        Ok(TemplateSource {
            http,
            api_base,
            first_page,
            token,
        })
    }

    /// Reads every page of the template list.
    pub async fn fetch(&self) -> Result<Vec<TemplateDefinition>, TemplateSyncError> {
        let mut found = Vec::new();
        let mut url = self.first_page.clone();
        for _ in 0..MAX_PAGES {
            let page = self.page(&url).await?;
            found.extend(page.data.into_iter().map(definition));
            match page.paging.and_then(|p| p.next) {
                // Follow only Graph's own links: the token goes with the request.
                Some(next) if next.starts_with(&format!("{}/", self.api_base)) => url = next,
                Some(_) => return Err(TemplateSyncError::Malformed("the next page is on another server")),
                None => return Ok(found),
            }
        }
        Err(TemplateSyncError::Malformed("too many pages"))
    }

    async fn page(&self, url: &str) -> Result<Page, TemplateSyncError> {
        let response = self
            .http
            .get(url)
            .bearer_auth(self.token.expose())
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .map_err(|e| TemplateSyncError::Unreachable(failure(&e)))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| TemplateSyncError::Unreachable(failure(&e)))?;
        if !status.is_success() {
            let detail = match serde_json::from_slice::<ErrorResponse>(&bytes) {
                Ok(ErrorResponse { error }) => format!(
                    "{}: {}",
                    error.code.unwrap_or_else(|| i64::from(status.as_u16())),
                    error.message.unwrap_or_default()
                ),
                Err(_) => format!("HTTP {}", status.as_u16()),
            };
            return Err(TemplateSyncError::Refused(detail));
        }
        serde_json::from_slice(&bytes).map_err(|_| TemplateSyncError::Malformed("not the expected JSON"))
    }

    /// Fetches the list, then makes it the library in one transaction: a failed fetch
    /// changes nothing.
    pub async fn sync(&self, db: &Db) -> Result<SyncReport, TemplateSyncError> {
        let found = self.fetch().await?;
        let report = db
            .transaction(move |tx| {
                Box::pin(async move {
                    // Instances starting together each sync: one after the other, not interleaved.
                    crate::server::db::one_at_a_time(tx, TEMPLATE_SYNC_LOCK).await?;
                    templates::replace_templates(tx, &found, Utc::now()).await
                })
            })
            .await?;
        Ok(report)
    }
}

/// The PostgreSQL advisory lock that keeps two template syncs from interleaving.
const TEMPLATE_SYNC_LOCK: i64 = 0x4644_5445_4d50; // "FDTEMP"

/// reqwest errors can carry the URL, which names the business account: leave it out.
fn failure(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else {
        "request failed"
    }
}

fn definition(template: GraphTemplate) -> TemplateDefinition {
    let body = template
        .components
        .into_iter()
        .find(|c| c.kind.eq_ignore_ascii_case("BODY"))
        .and_then(|c| c.text)
        .unwrap_or_default();
    TemplateDefinition {
        parameters: placeholders(&body),
        name: template.name,
        language: template.language,
        category: template.category.to_ascii_uppercase(),
        status: template.status.to_ascii_uppercase(),
        body,
    }
}

/// The body's placeholders in order of appearance, each once: `{{customer_name}}` →
/// `customer_name`, `{{1}}` → `1`. Anything else between braces is text.
pub fn placeholders(body: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        rest = &rest[start + 2..];
        let Some(end) = rest.find("}}") else { break };
        let name = rest[..end].trim();
        let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if valid && !found.iter().any(|f| f == name) {
            found.push(name.to_string());
        }
        if valid {
            rest = &rest[end + 2..];
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::placeholders;

    #[test]
    fn placeholders_are_read_in_order_once() {
        assert_eq!(placeholders("Hi {{customer_name}}, 20% off"), ["customer_name"]);
        assert_eq!(
            placeholders("{{1}}, see you on {{2}} at {{3}}. Bye {{1}}"),
            ["1", "2", "3"]
        );
        assert_eq!(placeholders("Hi {{ first_name }}!"), ["first_name"]);
        assert!(placeholders("no {{ }} {{a b}} {{unclosed").is_empty());
    }
}
