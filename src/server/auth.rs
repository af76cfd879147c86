//! Staff sign-in's pure helpers: password hashing, session tokens and the login throttle.
//! The session layer that uses them (cookies, the gate) is `session.rs`, which depends on
//! this module and never the other way round.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;
use sha2::{Digest, Sha256};

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
/// doubles the wait (capped); a quiet quarter of an hour forgets them. At most
/// [`MAX_CONCURRENT_CHECKS`] password checks run at once, which bounds their memory (each
/// Argon2 check takes about 19 MiB).
#[derive(Debug)]
pub struct LoginThrottle {
    attempts: Mutex<HashMap<String, Attempts>>,
    checks: tokio::sync::Semaphore,
    checked: AtomicU64,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle {
            attempts: Mutex::default(),
            checks: tokio::sync::Semaphore::new(MAX_CONCURRENT_CHECKS),
            checked: AtomicU64::new(0),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Attempts {
    count: u32,
    last: Instant,
}

const FREE_PER_ACCOUNT: u32 = 3;
const FREE_PER_ADDRESS: u32 = 10;
const MAX_WAIT: Duration = Duration::from_secs(300);
const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);
/// Bounds memory if someone tries many different emails or addresses.
const MAX_TRACKED: usize = 10_000;
/// Password checks running at once, over all sign-ins.
pub const MAX_CONCURRENT_CHECKS: usize = 4;
/// How long a sign-in waits for a free check before it is told to try again.
const CHECK_QUEUE_WAIT: Duration = Duration::from_secs(5);

impl LoginThrottle {
    /// Counts one attempt of `email` from `address`, or says how long to wait first. A
    /// successful sign-in takes its attempt back ([`LoginThrottle::record_success`]).
    pub fn reserve(&self, address: IpAddr, email: &str) -> Result<(), Duration> {
        let mut attempts = self.attempts.lock().expect("login throttle lock");
        if attempts.len() >= MAX_TRACKED {
            attempts.retain(|_, a| a.last.elapsed() < FORGET_AFTER);
        }
        let keys = [
            (format!("{address}|{email}"), FREE_PER_ACCOUNT),
            (address.to_string(), FREE_PER_ADDRESS),
        ];
        let wait = keys
            .iter()
            .filter_map(|(key, free)| {
                let record = attempts.get(key).filter(|a| a.last.elapsed() < FORGET_AFTER)?;
                let required = required_wait(record.count, *free)?;
                required.checked_sub(record.last.elapsed()).filter(|d| !d.is_zero())
            })
            .max();
        if let Some(wait) = wait {
            return Err(wait);
        }
        let now = Instant::now();
        for (key, _) in keys {
            let record = attempts.entry(key).or_insert(Attempts { count: 0, last: now });
            if record.last.elapsed() >= FORGET_AFTER {
                record.count = 0;
            }
            record.count += 1;
            record.last = now;
        }
        Ok(())
    }

    /// The right password: this account's attempts from this address are forgotten, and
    /// the address's count loses the attempt that succeeded.
    pub fn record_success(&self, address: IpAddr, email: &str) {
        let mut attempts = self.attempts.lock().expect("login throttle lock");
        attempts.remove(&format!("{address}|{email}"));
        if let Some(record) = attempts.get_mut(&address.to_string()) {
            record.count = record.count.saturating_sub(1);
        }
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

    #[test]
    fn attempts_are_counted_before_the_check_per_address_and_account() {
        let throttle = LoginThrottle::default();
        let guesser: IpAddr = "10.0.0.1".parse().unwrap();
        let owner: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..FREE_PER_ACCOUNT {
            assert_eq!(throttle.reserve(guesser, "a@b.c"), Ok(()));
        }
        let wait = throttle.reserve(guesser, "a@b.c").expect_err("the fourth try waits");
        assert!(wait <= Duration::from_secs(2));
        assert_eq!(
            throttle.reserve(owner, "a@b.c"),
            Ok(()),
            "the owner elsewhere is not locked out"
        );
        throttle.record_success(owner, "a@b.c");
        assert_eq!(
            throttle.reserve(guesser, "other@b.c"),
            Ok(()),
            "other accounts are not affected"
        );

        // One address trying many accounts is slowed down too.
        let sprayer: IpAddr = "10.0.0.3".parse().unwrap();
        for n in 0..FREE_PER_ADDRESS {
            assert_eq!(throttle.reserve(sprayer, &format!("user{n}@b.c")), Ok(()));
        }
        assert!(throttle.reserve(sprayer, "fresh@b.c").is_err());
    }
}
