//! Imported key material (keys with origin `EXTERNAL`): how each material version was
//! imported ([`ImportInfo`]), the `KeyMaterialId` AWS derives from the key and the material
//! (`material_id`), and the record-level rules that follow (when a key is fully imported,
//! which material expires next).
//!
//! A key's material versions stay dense (version `n` is `versions[n - 1]`, and the ciphertext
//! blob names it): deleted or expired material keeps its slot and its ID but loses its bytes,
//! and re-importing the same material fills the slot again, so every old ciphertext decrypts
//! again. New material imported for rotation is the last version, marked pending rotation,
//! until RotateKeyOnDemand makes it current.

use crate::key::id::KeyId;
use aws_lc_rs::hmac;
use chrono::{DateTime, Utc};

use crate::key::material::hex;
use crate::key::record::KeyRecord;
use crate::secret::Secret;

/// How one imported material version was imported.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportInfo {
    /// When the material expires (`KEY_MATERIAL_EXPIRES`); `None` when it does not
    /// (`KEY_MATERIAL_DOES_NOT_EXPIRE`).
    pub valid_to: Option<DateTime<Utc>>,
    /// `KeyMaterialDescription` (symmetric keys only).
    pub description: Option<String>,
    /// Imported for rotation and not yet made current by RotateKeyOnDemand.
    pub pending_rotation: bool,
}

impl ImportInfo {
    /// `KEY_MATERIAL_EXPIRES` or `KEY_MATERIAL_DOES_NOT_EXPIRE`.
    pub fn expiration_model(&self) -> &'static str {
        if self.valid_to.is_some() {
            "KEY_MATERIAL_EXPIRES"
        } else {
            "KEY_MATERIAL_DOES_NOT_EXPIRE"
        }
    }
}

/// The label that keys the material ID's HMAC, so the ID is never a plain hash of material.
const MATERIAL_ID_LABEL: &[u8] = b"kms-emulator imported key material id, version 1";

/// AWS's `KeyMaterialId` of imported material: "a unique identifier ... based on the KMS key ID
/// and the imported key material", so importing the same material into the same key gives the
/// same ID. Here: HMAC-SHA-256 under a fixed label of the key ID and the material in its
/// at-rest encoding, as 64 lowercase hex characters.
pub(crate) fn material_id(key_id: KeyId, material: &Secret) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, MATERIAL_ID_LABEL);
    let mut ctx = hmac::Context::with_key(&key);
    // A multi-Region ID is marked, so it never collides with the UUID of the same bytes;
    // single-Region IDs hash as they always did, so stored material IDs still match.
    if key_id.is_multi_region() {
        ctx.update(b"mrk-");
    }
    ctx.update(key_id.as_bytes());
    ctx.update(material.expose());
    hex(ctx.sign().as_ref())
}

impl KeyRecord {
    /// Whether every material version the key depends on (all but one pending rotation) is
    /// imported, so the key can leave `PendingImport`. False for a key with no material.
    pub(crate) fn is_fully_imported(&self) -> bool {
        !self.versions.is_empty()
            && self
                .versions
                .iter()
                .filter(|m| !m.is_pending_rotation())
                .all(|m| m.secret().is_some())
    }

    /// The earliest `ValidTo` of the key's imported material that is still imported (pending
    /// rotation or not): when the scheduler next has work on this key.
    pub(crate) fn next_material_expiry(&self) -> Option<DateTime<Utc>> {
        self.versions
            .iter()
            .filter(|m| m.secret().is_some())
            .filter_map(|m| m.import()?.valid_to)
            .min()
    }

    /// DescribeKey's `ValidTo`: "the earliest time at which any imported key material
    /// permanently associated with this KMS key expires" (material pending rotation is not
    /// permanently associated).
    pub(crate) fn valid_to(&self) -> Option<DateTime<Utc>> {
        self.versions
            .iter()
            .filter(|m| m.secret().is_some() && !m.is_pending_rotation())
            .filter_map(|m| m.import()?.valid_to)
            .min()
    }

    /// The version of the material with `material_id`, if the key has it.
    pub(crate) fn version_of(&self, material_id: &str) -> Option<u32> {
        self.versions
            .iter()
            .find(|m| m.material_id() == material_id)
            .map(|m| m.version())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn material_ids_depend_on_key_and_material_only() {
        let (a, b) = (KeyId::single_region([1; 16]), KeyId::multi_region([1; 16]));
        let m = Secret::from_slice(&[7; 32]);
        let id = material_id(a, &m);
        assert_eq!(id.len(), 64);
        assert!(id.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')));
        assert_eq!(id, material_id(a, &Secret::from_slice(&[7; 32])));
        assert_ne!(id, material_id(b, &m));
        assert_ne!(id, material_id(a, &Secret::from_slice(&[8; 32])));
        assert!(!id.contains(&hex(m.expose())));
    }

    #[test]
    fn expiration_model_names() {
        let mut info = ImportInfo::default();
        assert_eq!(info.expiration_model(), "KEY_MATERIAL_DOES_NOT_EXPIRE");
        info.valid_to = Some(Utc::now());
        assert_eq!(info.expiration_model(), "KEY_MATERIAL_EXPIRES");
    }
}
