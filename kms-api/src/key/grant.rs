//! Grants: [`Grant`] (who may use a key for which operations, under which constraints), and
//! grant tokens. A key's grants live in its record (see `KeyRecord::grants`), so they follow
//! its lifecycle: deleted with the key, reset with everything, restored with it.
//!
//! A grant token is opaque to clients but self-describing to the engine: `base64url("KGT" 0x01
//! ‖ nonce (16) ‖ key ARN length (u16 BE) ‖ key ARN ‖ grant ID (32) ‖ HMAC-SHA-256 tag)`,
//! the tag over everything before it under the engine's grant-token key. So a token is valid
//! at once, names its grant without a lookup table, cannot be forged, and differs on every
//! CreateGrant (the nonce) even when a repeated call returns the same grant.

use std::collections::HashMap;
use std::sync::Arc;

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::crypto::context::EncryptionContext;
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
    /// The grant's place among its key's grants (1 for the first ever made), so they list in
    /// the order they were made, across restarts too.
    #[serde(default)]
    pub sequence: u64,
}

impl GrantConstraints {
    /// Whether a request's encryption context meets the constraints: every
    /// `EncryptionContextSubset` pair is in it, and it is exactly `EncryptionContextEquals`.
    /// As AWS documents for grant constraints, a pair's key matches whatever its case, its
    /// value only exactly.
    ///
    /// ```
    /// use kms_api::key::grant::GrantConstraints;
    /// let c = GrantConstraints {
    ///     encryption_context_subset: Some([("dept".into(), "IT".into())].into()),
    ///     ..Default::default()
    /// };
    /// assert!(c.allows_context(&[("Dept".into(), "IT".into()), ("x".into(), "1".into())].into()));
    /// assert!(!c.allows_context(&[("dept".into(), "it".into())].into()));
    /// ```
    pub fn allows_context(&self, context: &EncryptionContext) -> bool {
        let holds = |pairs: &EncryptionContext| {
            pairs
                .iter()
                .all(|(k, v)| value_of(context, k) == Some(v.as_str()))
        };
        let subset = self.encryption_context_subset.as_ref().is_none_or(holds);
        let equals = self
            .encryption_context_equals
            .as_ref()
            .is_none_or(|e| e.len() == context.len() && holds(e));
        subset && equals
    }

    /// Whether a grant constrained by `child` allows no request that one constrained by
    /// `parent` refuses: AWS's rule for a grant made with the `CreateGrant` permission of
    /// another grant ("at least as strict as those in the parent grant"). A child may add
    /// pairs to the parent's `EncryptionContextSubset` or turn it into an
    /// `EncryptionContextEquals` that holds them, never drop a pair or loosen `Equals`; it
    /// must keep the parent's `SourceArn`. `None` is no constraint.
    ///
    /// ```
    /// use kms_api::key::grant::GrantConstraints;
    /// let subset = |pairs: &[(&str, &str)]| GrantConstraints {
    ///     encryption_context_subset: Some(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()),
    ///     ..Default::default()
    /// };
    /// let parent = subset(&[("dept", "IT")]);
    /// assert!(GrantConstraints::at_least_as_strict(Some(&subset(&[("dept", "IT"), ("app", "a")])), Some(&parent)));
    /// assert!(!GrantConstraints::at_least_as_strict(None, Some(&parent)));
    /// assert!(!GrantConstraints::at_least_as_strict(Some(&subset(&[("dept", "HR")])), Some(&parent)));
    /// ```
    pub fn at_least_as_strict(child: Option<&Self>, parent: Option<&Self>) -> bool {
        let Some(parent) = parent else {
            return true;
        };
        let unconstrained = Self::default();
        let child = child.unwrap_or(&unconstrained);
        if parent.source_arn.is_some() && child.source_arn != parent.source_arn {
            return false;
        }
        match &child.encryption_context_equals {
            // The child allows one context at most (none when its own subset is not in it).
            Some(only) => !child.allows_context(only) || parent.allows_context(only),
            // The child allows every context holding its subset: the parent must not pin the
            // context, and each of its subset pairs must be one of the child's.
            None => {
                let child_subset = child.encryption_context_subset.as_ref();
                parent.encryption_context_equals.is_none()
                    && parent.encryption_context_subset.as_ref().is_none_or(|p| {
                        p.iter()
                            .all(|(k, v)| child_subset.is_some_and(|c| value_of(c, k) == Some(v)))
                    })
            }
        }
    }
}

/// The value of `key` in a grant constraint's sense: the key matched without regard to ASCII
/// case (an exact match first, so a context whose keys differ only by case still finds its own).
fn value_of<'c>(context: &'c EncryptionContext, key: &str) -> Option<&'c str> {
    context
        .get(key)
        .or_else(|| {
            context
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        })
        .map(String::as_str)
}

/// A key's grants, oldest first, with an index by grant ID (a request's grant tokens are
/// found in O(1) however many grants the key has).
#[derive(Debug, Clone, Default)]
pub struct KeyGrants {
    list: Vec<Arc<Grant>>,
    by_id: HashMap<String, usize>,
}

impl KeyGrants {
    /// The grants, oldest first.
    pub fn as_slice(&self) -> &[Arc<Grant>] {
        &self.list
    }

    /// The grants, oldest first.
    pub fn iter(&self) -> std::slice::Iter<'_, Arc<Grant>> {
        self.list.iter()
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The grant with this ID.
    pub fn get(&self, id: &str) -> Option<&Arc<Grant>> {
        self.by_id.get(id).map(|&i| &self.list[i])
    }

    /// The `sequence` of the next grant.
    pub(crate) fn next_sequence(&self) -> u64 {
        self.list.last().map_or(1, |g| g.sequence.saturating_add(1))
    }

    /// Adds a grant (the newest).
    pub(crate) fn push(&mut self, grant: Arc<Grant>) {
        self.by_id.insert(grant.id.clone(), self.list.len());
        self.list.push(grant);
    }

    /// Removes the grant with this ID; whether it was there.
    pub(crate) fn remove(&mut self, id: &str) -> bool {
        let Some(index) = self.by_id.remove(id) else {
            return false;
        };
        self.list.remove(index);
        for later in &self.list[index..] {
            if let Some(i) = self.by_id.get_mut(&later.id) {
                *i -= 1;
            }
        }
        true
    }

    /// Grants in any order (from a store), put in the order they were made.
    pub(crate) fn from_grants(mut grants: Vec<Grant>) -> Self {
        grants.sort_by(|a, b| {
            (a.sequence, a.created_at, &a.id).cmp(&(b.sequence, b.created_at, &b.id))
        });
        let mut out = Self::default();
        for g in grants {
            out.push(Arc::new(g));
        }
        out
    }
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
    fn grants_restore_in_the_order_they_were_made() {
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let grant = |id: &str, sequence| Grant {
            id: id.repeat(64),
            name: None,
            created_at: at,
            grantee_principal: None,
            grantee_service_principal: None,
            retiring_principal: None,
            retiring_service_principal: None,
            issuing_account: String::new(),
            operations: Vec::new(),
            constraints: None,
            sequence,
        };
        // Made in one instant: only the sequence orders them.
        let mut grants = KeyGrants::from_grants(vec![grant("c", 1), grant("a", 3), grant("b", 2)]);
        let order = |g: &KeyGrants| g.iter().map(|g| g.id[..1].to_owned()).collect::<String>();
        assert_eq!(order(&grants), "cba");
        assert_eq!(grants.next_sequence(), 4);
        assert!(grants.remove(&"b".repeat(64)));
        assert!(!grants.remove(&"b".repeat(64)));
        assert_eq!(order(&grants), "ca");
        assert_eq!(grants.get(&"a".repeat(64)).map(|g| g.sequence), Some(3));
    }

    #[test]
    fn grant_ids_are_64_hex_characters() {
        assert!(is_grant_id(&"a".repeat(64)));
        assert!(!is_grant_id(&"a".repeat(63)));
        assert!(!is_grant_id(&"g".repeat(64)));
    }
}
