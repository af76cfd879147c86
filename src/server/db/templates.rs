//! The WhatsApp message template library: replaced as a whole by each sync from Graph (or
//! by the demo data), read by the campaign composer and the inbox.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::{id_list, to_ms, DbError, DbExecutor, DbResult};
use crate::model::MessageTemplate;

/// What the library knows of one template, as Graph (or the demo) describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateDefinition {
    pub name: String,
    pub language: String,
    pub category: String,
    pub status: String,
    pub body: String,
    /// The body's placeholders in order of appearance, each once.
    pub parameters: Vec<String>,
}

/// The status of a template Graph no longer lists that a campaign still refers to.
pub const DELETED: &str = "DELETED";

/// What a sync changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Templates stored (new or updated).
    pub stored: usize,
    /// Templates gone from Graph and removed.
    pub removed: usize,
    /// Templates gone from Graph but kept as `DELETED` because a campaign refers to them.
    pub retired: usize,
}

#[derive(FromRow)]
struct TemplateRow {
    id: i64,
    name: String,
    language: String,
    category: String,
    status: String,
    body: String,
    parameters: String,
}

impl From<TemplateRow> for MessageTemplate {
    fn from(row: TemplateRow) -> MessageTemplate {
        MessageTemplate {
            id: row.id,
            name: row.name,
            language: row.language,
            category: row.category,
            status: row.status,
            body: row.body,
            parameters: row
                .parameters
                .split(',')
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect(),
        }
    }
}

const COLUMNS: &str = "id, name, language, category, status, body, parameters";

/// Makes the library `templates`: each is inserted or updated by name and language; the
/// others are removed, or marked `DELETED` when a campaign refers to them. Several writes:
/// run it in a transaction.
pub async fn replace_templates(
    mut db: impl DbExecutor,
    templates: &[TemplateDefinition],
    now: DateTime<Utc>,
) -> DbResult<SyncReport> {
    let mut conn = db.writer().await?;
    for template in templates {
        sqlx::query(
            "INSERT INTO message_templates (name, language, category, status, body, parameters, synced_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (name, language) DO UPDATE SET category = excluded.category, status = excluded.status, \
             body = excluded.body, parameters = excluded.parameters, synced_at = excluded.synced_at",
        )
        .bind(&template.name)
        .bind(&template.language)
        .bind(&template.category)
        .bind(&template.status)
        .bind(&template.body)
        .bind(template.parameters.join(","))
        .bind(to_ms(now))
        .execute(&mut *conn)
        .await?;
    }
    let stored: Vec<(i64, String, String)> = sqlx::query_as("SELECT id, name, language FROM message_templates")
        .fetch_all(&mut *conn)
        .await?;
    let gone: Vec<i64> = stored
        .into_iter()
        .filter(|(_, name, language)| !templates.iter().any(|t| t.name == *name && t.language == *language))
        .map(|(id, _, _)| id)
        .collect();
    if gone.is_empty() {
        return Ok(SyncReport {
            stored: templates.len(),
            ..SyncReport::default()
        });
    }
    let ids = id_list(&gone);
    let removed = sqlx::query(&format!(
        "DELETE FROM message_templates WHERE id IN ({ids}) \
         AND NOT EXISTS (SELECT 1 FROM campaigns c WHERE c.template_id = message_templates.id)"
    ))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    // What is left of them is referred to by a campaign, which still shows what it sent.
    let retired = sqlx::query(&format!(
        "UPDATE message_templates SET status = $1, synced_at = $2 WHERE id IN ({ids})"
    ))
    .bind(DELETED)
    .bind(to_ms(now))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(SyncReport {
        stored: templates.len(),
        removed: removed as usize,
        retired: retired as usize,
    })
}

/// Every template, approved or not, by name and language.
pub async fn list_templates(mut db: impl DbExecutor) -> DbResult<Vec<MessageTemplate>> {
    let rows: Vec<TemplateRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM message_templates ORDER BY name, language"
    ))
    .fetch_all(&mut *db.reader().await?)
    .await?;
    Ok(rows.into_iter().map(MessageTemplate::from).collect())
}

pub async fn get_template(mut db: impl DbExecutor, id: i64) -> DbResult<MessageTemplate> {
    let row: Option<TemplateRow> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM message_templates WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *db.reader().await?)
        .await?;
    row.map(MessageTemplate::from).ok_or(DbError::NotFound("template"))
}

/// The approved template called `name` in the first of `languages` it exists in (`es`
/// also finds `es_ES`), else in any language; `None` when no approved one has that name.
pub async fn find_approved(
    mut db: impl DbExecutor,
    name: &str,
    languages: &[&str],
) -> DbResult<Option<MessageTemplate>> {
    let rows: Vec<TemplateRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM message_templates WHERE name = $1 AND status = 'APPROVED' ORDER BY language"
    ))
    .bind(name)
    .fetch_all(&mut *db.reader().await?)
    .await?;
    let candidates: Vec<MessageTemplate> = rows.into_iter().map(MessageTemplate::from).collect();
    let base = |code: &str| code.split(['_', '-']).next().unwrap_or(code).to_ascii_lowercase();
    let preferred = languages.iter().find_map(|wanted| {
        candidates
            .iter()
            .find(|t| t.language.eq_ignore_ascii_case(wanted))
            .or_else(|| candidates.iter().find(|t| base(&t.language) == base(wanted)))
    });
    Ok(preferred.or(candidates.first()).cloned())
}
