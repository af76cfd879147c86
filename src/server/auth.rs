//! Staff sign-in's helpers: password hashing, session tokens and the login throttle (its
//! counts kept in the database).
//! The session layer that uses them (cookies, the gate) is `session.rs`, which depends on
//! this module and never the other way round.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::Utc;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::db::{limits, to_ms, Db, DbResult};

pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default().hash_password(password.as_bytes(), &salt)?.to_string())
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// A password an admin can read out or type: 16 letters and digits without look-alikes
/// (no 0/O, 1/l/I), about 92 bits from the operating system's generator.
pub fn generate_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..16)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

/// A new random session token for the cookie; only its hash is stored.
pub fn new_session_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Slows down password guessing without locking out the account's owner. Every attempt is
/// counted *before* its password is checked, so parallel guesses cannot slip through
/// together; counts are kept per address and account (a guesser at one address cannot make
/// the owner at another wait) and per address over all accounts (one address trying many
/// accounts). Three tries per account and ten per address are free, then each further one
/// doubles the wait (capped); a quiet quarter of an hour forgets them. The counts live in
/// the database, so they hold whichever instance a guess reaches. At most
/// [`MAX_CONCURRENT_CHECKS`] password checks run at once on an instance, which bounds its
/// memory (each Argon2 check takes about 19 MiB).
#[derive(Debug)]
pub struct LoginThrottle {
    checks: tokio::sync::Semaphore,
    checked: AtomicU64,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle {
            checks: tokio::sync::Semaphore::new(MAX_CONCURRENT_CHECKS),
            checked: AtomicU64::new(0),
        }
    }
}

const FREE_PER_ACCOUNT: u32 = 3;
const FREE_PER_ADDRESS: u32 = 10;
const MAX_WAIT: Duration = Duration::from_secs(300);
const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);
/// Password checks running at once, over all sign-ins.
pub const MAX_CONCURRENT_CHECKS: usize = 4;
/// How long a sign-in waits for a free check before it is told to try again.
const CHECK_QUEUE_WAIT: Duration = Duration::from_secs(5);

/// The throttle's two counts of one attempt, as stored: hashes, not the address or email.
struct AttemptKeys {
    account: String,
    address: String,
}

impl AttemptKeys {
    fn new(address: IpAddr, email: &str) -> AttemptKeys {
        AttemptKeys {
            account: token_hash(&format!("sign-in|{address}|{email}")),
            address: token_hash(&format!("sign-in|{address}")),
        }
    }
}

impl LoginThrottle {
    /// Counts one attempt of `email` from `address`, or says how long to wait first. A
    /// successful sign-in takes its attempt back ([`LoginThrottle::record_success`]).
    pub async fn reserve(&self, db: &Db, address: IpAddr, email: &str) -> DbResult<Result<(), Duration>> {
        let keys = AttemptKeys::new(address, email);
        let now = Utc::now();
        let forget_before = now - chrono::Duration::from_std(FORGET_AFTER).expect("a quarter of an hour");
        db.transaction(move |tx| {
            Box::pin(async move {
                limits::count_sign_in_attempt(
                    tx,
                    &[&keys.account, &keys.address],
                    now,
                    forget_before,
                    |key, attempts| {
                        let free = if key == keys.account {
                            FREE_PER_ACCOUNT
                        } else {
                            FREE_PER_ADDRESS
                        };
                        let required = required_wait(u32::try_from(attempts.count).unwrap_or(u32::MAX), free)?;
                        let since = Duration::from_millis(u64::try_from(to_ms(now) - attempts.last_at).unwrap_or(0));
                        required.checked_sub(since).filter(|d| !d.is_zero())
                    },
                )
                .await
            })
        })
        .await
    }

    /// The right password: this account's attempts from this address are forgotten, and
    /// the address's count loses the attempt that succeeded.
    pub async fn record_success(&self, db: &Db, address: IpAddr, email: &str) -> DbResult<()> {
        let keys = AttemptKeys::new(address, email);
        limits::forget_sign_in_attempt(db, &keys.account, &keys.address).await
    }

    /// Checks a password, at most [`MAX_CONCURRENT_CHECKS`] at a time; `None` when no check
    /// became free in time (the server is busy: try again).
    pub async fn check_password(&self, password: String, hash: String) -> Option<bool> {
        let _permit = tokio::time::timeout(CHECK_QUEUE_WAIT, self.checks.acquire())
            .await
            .ok()?
            .ok()?;
        self.checked.fetch_add(1, Ordering::Relaxed);
        let matches = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
            .await
            .unwrap_or(false);
        Some(matches)
    }

    /// Password checks done since start-up.
    pub fn checks_done(&self) -> u64 {
        self.checked.load(Ordering::Relaxed)
    }
}

fn required_wait(count: u32, free: u32) -> Option<Duration> {
    let over = count.checked_sub(free)?;
    Some(Duration::from_secs(2u64 << over.min(16)).min(MAX_WAIT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("correct horse").unwrap();
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn generated_passwords_are_long_enough_and_differ() {
        let (a, b) = (generate_password(), generate_password());
        assert_eq!(a.chars().count(), 16);
        assert!(a.chars().count() >= crate::model::MIN_PASSWORD_CHARS);
        assert!(
            a.chars().all(|c| c.is_ascii_alphanumeric() && !"0O1lI".contains(c)),
            "{a}"
        );
        assert_ne!(a, b);
    }
}
