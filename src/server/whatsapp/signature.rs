//! `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Checks the header against the raw body, in constant time.
pub fn is_valid(app_secret: &[u8], body: &[u8], header: Option<&str>) -> bool {
    let Some(expected) = header
        .and_then(|h| h.trim().strip_prefix("sha256="))
        .and_then(|hex_digest| hex::decode(hex_digest).ok())
    else {
        return false;
    };
    let mut mac = HmacSha256::new_from_slice(app_secret).expect("HMAC takes a key of any length");
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// The header value Meta would send for this body (used by the simulator and tests).
pub fn header_for(app_secret: &[u8], body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(app_secret).expect("HMAC takes a key of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTOR: &str = "sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914";

    #[test]
    fn matches_the_documented_test_vector() {
        assert_eq!(header_for(b"secret", b"test"), VECTOR);
        assert!(is_valid(b"secret", b"test", Some(VECTOR)));
    }

    #[test]
    fn refuses_wrong_missing_or_malformed_signatures() {
        assert!(!is_valid(b"secret", b"test2", Some(VECTOR)), "another body");
        assert!(!is_valid(b"other", b"test", Some(VECTOR)), "another key");
        assert!(!is_valid(b"secret", b"test", None));
        assert!(!is_valid(b"secret", b"test", Some("sha256=zz")));
        assert!(!is_valid(b"secret", b"test", Some(&VECTOR.replace("sha256=", "sha1="))));
    }
}
