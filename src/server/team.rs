//! The Team page's changes to staff accounts: invitations, roles, passwords and
//! deactivation. Input is checked whole before anything is written; each change is one
//! transaction with its audit entry (`db::users`). Passwords are never logged: a generated
//! one is returned once, for the admin to hand over.

use chrono::{DateTime, Utc};

use super::auth::{generate_password, hash_password};
use super::db::audit::Actor;
use super::db::users::{self, NewUser, RoleChangeError};
use super::db::{Db, DbError};
use crate::model::{AppError, InviteForm, Role, StaffUser, MIN_PASSWORD_CHARS};

/// Longest display name and email.
const NAME_MAX_CHARS: usize = 80;
const EMAIL_MAX_CHARS: usize = 254;
/// Argon2 takes any length; this only bounds the work one request can ask for.
const PASSWORD_MAX_CHARS: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    /// The form's input is wrong; the message says how.
    #[error("{0}")]
    Invalid(String),
    /// The change would leave the business without an active admin.
    #[error(transparent)]
    LastAdmin(RoleChangeError),
    #[error("hashing a password failed: {0}")]
    Hashing(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<RoleChangeError> for TeamError {
    fn from(error: RoleChangeError) -> Self {
        match error {
            RoleChangeError::Db(error) => TeamError::Db(error),
            last => TeamError::LastAdmin(last),
        }
    }
}

impl From<TeamError> for AppError {
    fn from(error: TeamError) -> Self {
        match error {
            TeamError::Invalid(message) => AppError::Invalid(message),
            TeamError::LastAdmin(error) => AppError::Conflict(error.to_string()),
            TeamError::Db(error) => error.into(),
            hashing @ TeamError::Hashing(_) => super::error::internal(&hashing),
        }
    }
}

/// A new account, and its password when it was generated (to show the admin once).
#[derive(Debug)]
pub struct Invited {
    pub user: StaffUser,
    pub generated_password: Option<String>,
}

/// Creates a staff account from an admin's form.
pub async fn invite(db: &Db, form: &InviteForm, actor: &Actor, now: DateTime<Utc>) -> Result<Invited, TeamError> {
    let email = valid_email(&form.email)?;
    let name = form.display_name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(TeamError::Invalid(
            "Write the person's name as the team will see it.".into(),
        ));
    }
    if name.chars().count() > NAME_MAX_CHARS {
        return Err(TeamError::Invalid(format!(
            "The name can be at most {NAME_MAX_CHARS} characters."
        )));
    }
    let role = valid_role(&form.role)?;
    let (password, generated) = chosen_password(&form.password)?;
    let hash = hashed(password).await?;
    let new = NewUser {
        email: &email,
        display_name: &name,
        role,
        password_hash: &hash,
    };
    let user = users::invite(db, new, actor, now).await.map_err(|error| match error {
        DbError::Conflict(_) => TeamError::Invalid(format!(
            "There is already an account for {email}. Change that one's role or password instead."
        )),
        other => other.into(),
    })?;
    tracing::info!(user_id = user.id, role = role.as_str(), "staff account invited");
    Ok(Invited {
        user,
        generated_password: generated,
    })
}

/// Gives an account another role; the last active admin keeps theirs.
pub async fn change_role(
    db: &Db,
    user_id: i64,
    role: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), TeamError> {
    let role = valid_role(role)?;
    users::set_role(db, user_id, role, actor, now).await?;
    Ok(())
}

/// Sets a new password (`password` empty: a generated one, returned to show once) and ends
/// the account's sessions.
pub async fn reset_password(
    db: &Db,
    user_id: i64,
    password: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Option<String>, TeamError> {
    let (password, generated) = chosen_password(password)?;
    let hash = hashed(password).await?;
    users::set_password(db, user_id, &hash, actor, now).await?;
    tracing::info!(user_id, "password reset");
    Ok(generated)
}

/// Deactivates (signing the account out at once) or reactivates an account; the last active
/// admin stays active.
pub async fn set_active(
    db: &Db,
    user_id: i64,
    active: bool,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), TeamError> {
    users::set_active(db, user_id, active, actor, now).await?;
    tracing::info!(user_id, active, "staff account standing changed");
    Ok(())
}

/// A plausible address, lowercased: one `@` with something before it and a dotted domain
/// after it, no spaces. Whether it receives mail is not ours to know.
fn valid_email(text: &str) -> Result<String, TeamError> {
    let email = users::normalize_email(text);
    let plausible = email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
    });
    if !plausible || email.chars().any(char::is_whitespace) || email.chars().count() > EMAIL_MAX_CHARS {
        return Err(TeamError::Invalid(
            "Write a valid email address, like ana@example.com.".into(),
        ));
    }
    Ok(email)
}

fn valid_role(text: &str) -> Result<Role, TeamError> {
    Role::parse(text.trim()).ok_or_else(|| TeamError::Invalid("Choose a role: admin, agent or marketer.".into()))
}

/// The password typed, or a generated one when nothing was typed (`true` then).
fn chosen_password(typed: &str) -> Result<(String, Option<String>), TeamError> {
    if typed.is_empty() {
        let generated = generate_password();
        return Ok((generated.clone(), Some(generated)));
    }
    let length = typed.chars().count();
    if length < MIN_PASSWORD_CHARS {
        return Err(TeamError::Invalid(format!(
            "The password needs at least {MIN_PASSWORD_CHARS} characters (or leave it empty to generate one)."
        )));
    }
    if length > PASSWORD_MAX_CHARS {
        return Err(TeamError::Invalid(format!(
            "The password can be at most {PASSWORD_MAX_CHARS} characters."
        )));
    }
    Ok((typed.to_string(), None))
}

/// Argon2 takes a fair share of a core: off the async workers.
async fn hashed(password: String) -> Result<String, TeamError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|error| TeamError::Hashing(error.to_string()))?
        .map_err(|error| TeamError::Hashing(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_and_lowercased() {
        assert_eq!(valid_email(" Ana@Example.COM ").unwrap(), "ana@example.com");
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "a b@example.com",
            "a@b@c.com",
            "a@.com",
        ] {
            assert!(valid_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_password_is_typed_long_enough_or_generated() {
        assert!(chosen_password("short").is_err());
        assert_eq!(
            chosen_password("long enough").unwrap(),
            ("long enough".to_string(), None)
        );
        let (password, generated) = chosen_password("").unwrap();
        assert_eq!(generated.as_deref(), Some(password.as_str()));
        assert!(valid_role("boss").is_err());
        assert_eq!(valid_role("agent").unwrap(), Role::Agent);
    }
}
