//! One version of a key's material: the secret bytes and the `KeyMaterialId` AWS reports for
//! it. Zeroized on drop, never `Debug`-printed.
//!
//! The AES-256-GCM key schedule is expanded on first use and kept ([`KeyMaterial::cipher`]): an
//! expanded schedule takes about 1 KB (the portable fallback's fixsliced round keys share its
//! layout), so building it eagerly for every version of 100,000 restored keys would be most of
//! the emulator's memory, while expanding it on every call would double the cost of a small
//! Encrypt or Decrypt.

use std::sync::OnceLock;

use aes_gcm::{Aes256Gcm, KeyInit};
use chrono::{DateTime, Utc};

use crate::random::RandomSource;
use crate::secret::Secret;

// The cached cipher wipes its expanded key schedule on drop only with `aes`'s `zeroize`
// feature (and GHASH's key with `polyval`'s); fail the build if that is ever lost.
const _: fn() = assert_zeroize_on_drop::<aes::Aes256>;
fn assert_zeroize_on_drop<T: zeroize::ZeroizeOnDrop>() {}

/// The length of symmetric key material in bytes (AES-256).
pub const MATERIAL_LEN: usize = 32;

/// One version of symmetric key material.
pub struct KeyMaterial {
    /// 1-based, never reused; the ciphertext blob names it.
    version: u32,
    /// AWS's `KeyMaterialId`: 64 lowercase hex characters.
    material_id: String,
    created_at: DateTime<Utc>,
    bytes: Secret,
    /// The expanded key, built on first use (`aes` zeroizes it on drop with its `zeroize`
    /// feature).
    cipher: OnceLock<Box<Aes256Gcm>>,
}

impl KeyMaterial {
    /// Fresh random material for `version`.
    pub(crate) fn generate(version: u32, now: DateTime<Utc>, random: &dyn RandomSource) -> Self {
        let bytes = Secret::random(MATERIAL_LEN, random);
        let mut id = [0u8; 32];
        random.fill(&mut id);
        Self {
            version,
            material_id: hex(&id),
            created_at: now,
            bytes,
            cipher: OnceLock::new(),
        }
    }

    /// Material with known bytes and ID (restoring from a store or a seed file).
    ///
    /// # Errors
    /// When `bytes` is not [`MATERIAL_LEN`] long.
    pub fn from_parts(
        version: u32,
        material_id: String,
        created_at: DateTime<Utc>,
        bytes: Secret,
    ) -> Result<Self, String> {
        if bytes.len() != MATERIAL_LEN {
            return Err(format!(
                "material version {version} is {} bytes long, not {MATERIAL_LEN}",
                bytes.len()
            ));
        }
        Ok(Self {
            version,
            material_id,
            created_at,
            bytes,
            cipher: OnceLock::new(),
        })
    }

    /// The 1-based version number.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// AWS's `KeyMaterialId` for this version.
    pub fn material_id(&self) -> &str {
        &self.material_id
    }

    /// When this version was created.
    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    /// The secret, for a store that wraps it before writing.
    #[doc(hidden)]
    pub fn secret(&self) -> &Secret {
        &self.bytes
    }

    /// The AES-256-GCM cipher for this material, expanded on first use.
    pub(crate) fn cipher(&self) -> &Aes256Gcm {
        self.cipher
            // `from_parts` and `generate` guarantee MATERIAL_LEN bytes.
            .get_or_init(|| Box::new(Aes256Gcm::new(self.bytes.expose().into())))
    }
}

impl std::fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyMaterial")
            .field("version", &self.version)
            .field("material_id", &self.material_id)
            .finish_non_exhaustive()
    }
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 0xf) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SeededRandom;

    #[test]
    fn debug_never_shows_the_secret() {
        let m = KeyMaterial::generate(1, Utc::now(), &SeededRandom::new(1));
        let secret = hex(m.secret().expose());
        let printed = format!("{m:?}");
        assert!(!printed.contains(&secret));
        assert!(printed.contains("version: 1"));
    }

    #[test]
    fn material_ids_are_64_hex_chars_and_differ() {
        let r = SeededRandom::new(2);
        let (a, b) = (
            KeyMaterial::generate(1, Utc::now(), &r),
            KeyMaterial::generate(2, Utc::now(), &r),
        );
        assert_eq!(a.material_id().len(), 64);
        assert!(a.material_id().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a.material_id(), b.material_id());
        assert_ne!(a.secret().expose(), b.secret().expose());
    }
}
