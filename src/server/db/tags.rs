//! Tags staff put on contacts ("VIP", "colour client", …).

use sqlx::{Connection, FromRow};

use super::{DbExecutor, DbResult};

#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct Tag {
    pub id: i64,
    pub name: String,
    pub color: String,
}

pub async fn create_tag(mut db: impl DbExecutor, name: &str, color: &str) -> DbResult<Tag> {
    let tag = sqlx::query_as("INSERT INTO tags (name, color) VALUES ($1, $2) RETURNING id, name, color")
        .bind(name)
        .bind(color)
        .fetch_one(&mut *db.writer().await?)
        .await?;
    Ok(tag)
}

pub async fn list_tags(mut db: impl DbExecutor) -> DbResult<Vec<Tag>> {
    Ok(sqlx::query_as("SELECT id, name, color FROM tags ORDER BY name")
        .fetch_all(&mut *db.reader().await?)
        .await?)
}

pub async fn tag_contact(mut db: impl DbExecutor, contact_id: i64, tag_id: i64) -> DbResult<()> {
    sqlx::query("INSERT INTO contact_tags (contact_id, tag_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(contact_id)
        .bind(tag_id)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(())
}

pub async fn untag_contact(mut db: impl DbExecutor, contact_id: i64, tag_id: i64) -> DbResult<()> {
    sqlx::query("DELETE FROM contact_tags WHERE contact_id = $1 AND tag_id = $2")
        .bind(contact_id)
        .bind(tag_id)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(())
}

pub async fn tags_for_contact(mut db: impl DbExecutor, contact_id: i64) -> DbResult<Vec<Tag>> {
    Ok(sqlx::query_as(
        "SELECT t.id, t.name, t.color FROM tags t JOIN contact_tags ct ON ct.tag_id = t.id \
         WHERE ct.contact_id = $1 ORDER BY t.name",
    )
    .bind(contact_id)
    .fetch_all(&mut *db.reader().await?)
    .await?)
}

/// Replaces a contact's tags with `names` (creating tags that do not exist yet), all or nothing.
pub async fn replace_contact_tags(mut db: impl DbExecutor, contact_id: i64, names: &[String]) -> DbResult<()> {
    let mut conn = db.writer().await?;
    let mut tx = conn.begin().await?;
    sqlx::query("DELETE FROM contact_tags WHERE contact_id = $1")
        .bind(contact_id)
        .execute(&mut *tx)
        .await?;
    for name in names {
        sqlx::query("INSERT INTO tags (name) VALUES ($1) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        let tag_id: i64 = sqlx::query_scalar("SELECT id FROM tags WHERE name = $1")
            .bind(name)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO contact_tags (contact_id, tag_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(contact_id)
            .bind(tag_id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}
