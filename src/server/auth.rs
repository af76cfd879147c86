//! Staff sign-in's pure helpers: password hashing, session tokens and the login throttle.
//! The session layer that uses them (cookies, the gate) is `session.rs`, which depends on
//! this module and never the other way round.

use std::collections::HashMap;
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

/// A new random session token for the cookie; only its hash is stored.
pub fn new_session_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Slows down repeated failed sign-ins per email: three tries are free, then each further
/// failure doubles the wait (capped), and a quiet quarter of an hour forgets them.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, Failures>>,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

const FREE_ATTEMPTS: u32 = 3;
const MAX_WAIT: Duration = Duration::from_secs(300);
const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);
/// Bounds memory if someone tries many different emails.
const MAX_TRACKED: usize = 10_000;

impl LoginThrottle {
    /// How long the caller must still wait before trying this email again.
    pub fn wait_for(&self, email: &str) -> Option<Duration> {
        let failures = self.failures.lock().expect("login throttle lock");
        let record = failures.get(email)?;
        let required = Self::required_wait(record.count)?;
        required.checked_sub(record.last.elapsed()).filter(|d| !d.is_zero())
    }

    pub fn record_failure(&self, email: &str) {
        let mut failures = self.failures.lock().expect("login throttle lock");
        if failures.len() >= MAX_TRACKED {
            failures.retain(|_, f| f.last.elapsed() < FORGET_AFTER);
        }
        let now = Instant::now();
        let record = failures
            .entry(email.to_string())
            .or_insert(Failures { count: 0, last: now });
        if record.last.elapsed() >= FORGET_AFTER {
            record.count = 0;
        }
        record.count += 1;
        record.last = now;
    }

    pub fn record_success(&self, email: &str) {
        self.failures.lock().expect("login throttle lock").remove(email);
    }

    fn required_wait(count: u32) -> Option<Duration> {
        let over = count.checked_sub(FREE_ATTEMPTS + 1)?;
        Some(Duration::from_secs(2u64 << over.min(16)).min(MAX_WAIT))
    }
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
    fn repeated_failures_are_slowed_down_and_success_forgives() {
        let throttle = LoginThrottle::default();
        for _ in 0..FREE_ATTEMPTS {
            assert_eq!(throttle.wait_for("a@b.c"), None);
            throttle.record_failure("a@b.c");
        }
        assert_eq!(throttle.wait_for("a@b.c"), None, "three failures are free");
        throttle.record_failure("a@b.c");
        let wait = throttle
            .wait_for("a@b.c")
            .expect("the fourth failure must be slowed down");
        assert!(wait <= Duration::from_secs(2));
        assert_eq!(throttle.wait_for("other@b.c"), None, "other accounts are not affected");
        throttle.record_success("a@b.c");
        assert_eq!(throttle.wait_for("a@b.c"), None);
    }
}
