//! Grants: [`Grant`] (who may use a key for which operations, under which constraints), and
//! grant tokens. A key's grants live in its record (see `KeyRecord::grants`), so they follow
//! its lifecycle: deleted with the key, reset with everything, restored with it.
//!
//! A grant token is opaque to clients but self-describing to the engine: `base64url("KGT" 0x01
//! ‖ nonce (16) ‖ key ARN length (u16 BE) ‖ key ARN ‖ grant ID (32) ‖ HMAC-SHA-256 tag)`,
//! the tag over everything before it under the engine's grant-token key. So a token is valid
//! at once, names its grant without a lookup table, cannot be forged, and differs on every
//! CreateGrant (the nonce) even when a repeated call returns the same grant.

use aws_lc_rs::hmac;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::key::spec::GrantOperation;
use crate::random::RandomSource;
pub use crate::wire::grants::GrantConstraints;

/// One grant on a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// 64 lowercase hex characters.
    pub id: String,
    /// The friendly name, if one was given.
    pub name: Option<String>,
    /// When the grant was made.
    pub created_at: DateTime<Utc>,
    /// The principal the grant is for (or `grantee_service_principal`).
    pub grantee_principal: Option<String>,
    /// The AWS service principal the grant is for.
    pub grantee_service_principal: Option<String>,
    /// The principal that may retire the grant.
    pub retiring_principal: Option<String>,
    /// The AWS service principal that may retire the grant.
    pub retiring_service_principal: Option<String>,
    /// `arn:aws:iam::<account>:root` of the account that made the grant.
    pub issuing_account: String,
    /// What the grant allows, in the order given.
    pub operations: Vec<GrantOperation>,
    /// Encryption context and source ARN constraints.
    pub constraints: Option<GrantConstraints>,
}

impl Grant {
    /// Whether a CreateGrant with these parameters asks for this grant again (the same name
    /// and the same parameters: AWS returns the existing grant).
    pub(crate) fn is_same_request(&self, other: &Grant) -> bool {
        let ops = |g: &Grant| {
            let mut ops: Vec<&str> = g.operations.iter().map(|o| o.as_str()).collect();
            ops.sort_unstable();
            ops.dedup();
            ops
        };
        self.name.is_some()
            && self.name == other.name
            && self.grantee_principal == other.grantee_principal
            && self.grantee_service_principal == other.grantee_service_principal
            && self.retiring_principal == other.retiring_principal
            && self.retiring_service_principal == other.retiring_service_principal
            && self.constraints == other.constraints
            && ops(self) == ops(other)
    }
}

const MAGIC: &[u8; 4] = b"KGT\x01";
const NONCE_LEN: usize = 16;
const GRANT_ID_LEN: usize = 32;
const TAG_LEN: usize = 32;

/// A fresh token for grant `grant_id` (64 hex characters) on the key `key_arn`.
pub(crate) fn token(
    key: &hmac::Key,
    key_arn: &str,
    grant_id: &str,
    random: &dyn RandomSource,
) -> String {
    let mut body = Vec::with_capacity(MAGIC.len() + NONCE_LEN + 2 + key_arn.len() + 64);
    body.extend_from_slice(MAGIC);
    let mut nonce = [0u8; NONCE_LEN];
    random.fill(&mut nonce);
    body.extend_from_slice(&nonce);
    // A key ARN is at most a few hundred bytes.
    body.extend_from_slice(&(key_arn.len() as u16).to_be_bytes());
    body.extend_from_slice(key_arn.as_bytes());
    body.extend_from_slice(&unhex32(grant_id).unwrap_or([0; GRANT_ID_LEN]));
    let tag = hmac::sign(key, &body);
    body.extend_from_slice(tag.as_ref());
    URL_SAFE_NO_PAD.encode(body)
}

/// The key ARN and grant ID a token names, if it is a token this engine made (the tag is
/// checked in constant time). Whether the grant still exists is the caller's to check.
pub(crate) fn open_token(key: &hmac::Key, token: &str) -> Option<(String, String)> {
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    let (body, tag) = bytes.split_at(bytes.len().checked_sub(TAG_LEN)?);
    hmac::verify(key, body, tag).ok()?;
    let rest = body.strip_prefix(MAGIC.as_slice())?.get(NONCE_LEN..)?;
    let (len, rest) = rest.split_at_checked(2)?;
    let len = u16::from_be_bytes([len[0], len[1]]) as usize;
    let (arn, id) = rest.split_at_checked(len)?;
    if id.len() != GRANT_ID_LEN {
        return None;
    }
    Some((
        String::from_utf8(arn.to_vec()).ok()?,
        crate::key::material::hex(id),
    ))
}

/// A fresh grant ID: 32 random bytes as 64 lowercase hex characters.
pub(crate) fn new_grant_id(random: &dyn RandomSource) -> String {
    let mut id = [0u8; GRANT_ID_LEN];
    random.fill(&mut id);
    crate::key::material::hex(&id)
}

/// Whether `id` looks like a grant ID (64 hex characters).
pub(crate) fn is_grant_id(id: &str) -> bool {
    unhex32(id).is_some()
}

fn unhex32(id: &str) -> Option<[u8; GRANT_ID_LEN]> {
    if id.len() != 2 * GRANT_ID_LEN {
        return None;
    }
    let mut out = [0u8; GRANT_ID_LEN];
    for (i, pair) in id.as_bytes().chunks_exact(2).enumerate() {
        let digit = |c: u8| (c as char).to_digit(16);
        out[i] = (digit(pair[0])? * 16 + digit(pair[1])?) as u8;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SeededRandom;

    #[test]
    fn tokens_name_their_grant_and_cannot_be_forged() {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &[1; 32]);
        let random = SeededRandom::new(4);
        let id = new_grant_id(&random);
        assert!(is_grant_id(&id) && id.len() == 64);
        let arn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        let a = token(&key, arn, &id, &random);
        let b = token(&key, arn, &id, &random);
        assert_ne!(a, b, "every token is new");
        assert_eq!(open_token(&key, &a), Some((arn.to_owned(), id.clone())));
        assert_eq!(open_token(&key, &b), Some((arn.to_owned(), id)));
        let other = hmac::Key::new(hmac::HMAC_SHA256, &[2; 32]);
        assert_eq!(open_token(&other, &a), None, "another engine's key");
        let mut bytes = URL_SAFE_NO_PAD.decode(&a).unwrap();
        for i in [0, 20, bytes.len() - 1] {
            bytes[i] ^= 1;
            assert_eq!(open_token(&key, &URL_SAFE_NO_PAD.encode(&bytes)), None);
            bytes[i] ^= 1;
        }
        for junk in ["", "x", "not base64 !", &a[..a.len() / 2]] {
            assert_eq!(open_token(&key, junk), None);
        }
    }

    #[test]
    fn grant_ids_are_64_hex_characters() {
        assert!(is_grant_id(&"a".repeat(64)));
        assert!(!is_grant_id(&"a".repeat(63)));
        assert!(!is_grant_id(&"g".repeat(64)));
    }
}
