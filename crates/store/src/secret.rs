//! Secrets: random tokens (shown once, stored as SHA-256), argon2id passwords, constant-time
//! comparison.
//!
//! A token reads `caulk_<kind>_<id>_<64 hex digits>`: the id finds the row (not secret), the
//! SHA-256 of the hex digits is compared with the stored digest in constant time. SHA-256 is
//! enough for 256 random bits (nothing to brute-force); passwords, chosen by people, get argon2.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::{Error, Refusal, Result, TokenId};

/// Which credential a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Api,
    Enrolment,
    Agent,
}

impl TokenKind {
    fn tag(self) -> &'static str {
        match self {
            TokenKind::Api => "api",
            TokenKind::Enrolment => "enr",
            TokenKind::Agent => "agt",
        }
    }
}

/// A freshly made credential: its id and the token, which the store does not keep.
#[derive(Clone, PartialEq, Eq)]
pub struct NewSecret {
    pub id: TokenId,
    pub token: String,
}

impl std::fmt::Debug for NewSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSecret")
            .field("id", &self.id)
            .field("token", &"<redacted>")
            .finish()
    }
}

const SECRET_HEX: usize = 64;

/// 32 random bytes from the OS, as 64 lowercase hex digits.
pub(crate) fn random_secret() -> String {
    let mut b = [0u8; 32];
    OsRng.fill_bytes(&mut b);
    hex(&b)
}

pub(crate) fn hex(b: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for &x in b {
        s.push(D[(x >> 4) as usize] as char);
        s.push(D[(x & 15) as usize] as char);
    }
    s
}

pub(crate) fn sha256(b: &[u8]) -> [u8; 32] {
    Sha256::digest(b).into()
}

pub(crate) fn format_token(kind: TokenKind, id: i64, secret: &str) -> String {
    format!("caulk_{}_{id}_{secret}", kind.tag())
}

/// The id and secret digest of a token of `kind`, or `Refused(Malformed)`.
pub(crate) fn parse_token(kind: TokenKind, token: &str) -> Result<(TokenId, [u8; 32])> {
    let malformed = Error::Refused(Refusal::Malformed);
    let rest = token
        .strip_prefix("caulk_")
        .and_then(|r| r.strip_prefix(kind.tag()))
        .and_then(|r| r.strip_prefix('_'))
        .ok_or(Error::Refused(Refusal::Malformed))?;
    let (id, secret) = rest
        .split_once('_')
        .ok_or(Error::Refused(Refusal::Malformed))?;
    if id.is_empty() || id.len() > 18 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed);
    }
    if secret.len() != SECRET_HEX
        || !secret
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return Err(malformed);
    }
    let id: i64 = id.parse().map_err(|_| Error::Refused(Refusal::Malformed))?;
    Ok((TokenId(id), sha256(secret.as_bytes())))
}

/// Constant-time equality of a presented digest and a stored one (any stored length).
pub(crate) fn digest_matches(presented: &[u8; 32], stored: &[u8]) -> bool {
    stored.len() == 32 && bool::from(presented.ct_eq(stored))
}

/// Argon2id (the crate's defaults: 19 MiB, 2 passes) of a password, as a PHC string. CPU
/// heavy (tens of ms): runs on the blocking pool.
pub(crate) async fn hash_password(password: &str) -> Result<String> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2::Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::PasswordHash(e.to_string()))
    })
    .await
    .map_err(|e| Error::PasswordHash(e.to_string()))?
}

/// Check a password against a PHC string; with `None` (no such user) a fixed hash is checked
/// so that an unknown name costs as long as a wrong password.
pub(crate) async fn verify_password(password: &str, phc: Option<String>) -> Result<bool> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        let known = phc.is_some();
        let phc = phc.unwrap_or_else(|| DUMMY_PHC.to_string());
        let parsed =
            PasswordHash::new(&phc).map_err(|e| Error::Corrupt(format!("password hash: {e}")))?;
        let ok = argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(known && ok)
    })
    .await
    .map_err(|e| Error::PasswordHash(e.to_string()))?
}

/// Argon2id (defaults) of a random password nobody knows.
const DUMMY_PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0pNaaR5Ix/ZJkBb6jHq5mBdYTTlUpVgv3k1tgsYWhgI";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_refuse_near_misses() {
        let s = random_secret();
        let t = format_token(TokenKind::Api, 42, &s);
        let (id, d) = parse_token(TokenKind::Api, &t).expect("parses");
        assert_eq!(id, TokenId(42));
        assert!(digest_matches(&d, &sha256(s.as_bytes())));
        for bad in [
            format_token(TokenKind::Enrolment, 42, &s),
            t.replace("_42_", "_x_"),
            t[..t.len() - 1].to_string(),
            t.to_uppercase(),
            String::new(),
            "caulk_api__".into(),
        ] {
            assert!(
                matches!(
                    parse_token(TokenKind::Api, &bad),
                    Err(Error::Refused(Refusal::Malformed))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_dummy_hash_is_a_valid_phc_string() {
        assert!(PasswordHash::new(DUMMY_PHC).is_ok());
    }
}
