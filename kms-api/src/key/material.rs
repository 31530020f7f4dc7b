//! One version of a key's material: its spec, the secret bytes in the family's at-rest
//! encoding (see `key::family`) and the `KeyMaterialId` AWS reports for it. Zeroized on drop,
//! never `Debug`-printed. Imported material (keys with origin EXTERNAL) also carries its
//! [`ImportInfo`]; its bytes are gone while it is deleted or expired, and its ID stays.
//!
//! The parsed key (the AES-256-GCM key schedule, an RSA or EC key in AWS-LC, ...) is built on
//! first use and kept (`KeyMaterial::engine`): an expanded AES schedule takes about 1 KB and
//! an RSA key a few, so building them eagerly for every version of 100,000 restored keys would
//! be most of the emulator's memory, while parsing on every call would double the cost of a
//! small Encrypt or Sign.

use std::sync::OnceLock;

use aes_gcm::Aes256Gcm;
use chrono::{DateTime, Utc};

use crate::error::KmsError;
use crate::key::family::{self, KeyEngine};
use crate::key::imported::ImportInfo;
use crate::key::spec::KeySpec;
use crate::random::RandomSource;
use crate::secret::Secret;

/// The length of symmetric key material in bytes (AES-256).
pub const MATERIAL_LEN: usize = family::symmetric_len();

/// One version of key material.
pub struct KeyMaterial {
    spec: KeySpec,
    /// 1-based, never reused; the ciphertext blob names it.
    version: u32,
    /// AWS's `KeyMaterialId`: 64 lowercase hex characters.
    material_id: String,
    created_at: DateTime<Utc>,
    /// `None` only for imported material that was deleted or expired.
    bytes: Option<Secret>,
    /// How imported material was imported; `None` for material KMS generated.
    import: Option<ImportInfo>,
    /// The parsed key, built on first use.
    engine: OnceLock<Result<KeyEngine, String>>,
}

impl KeyMaterial {
    /// Fresh symmetric (`SYMMETRIC_DEFAULT`) material for `version`.
    pub(crate) fn generate(version: u32, now: DateTime<Utc>, random: &dyn RandomSource) -> Self {
        Self::with_bytes(
            KeySpec::SymmetricDefault,
            version,
            random_material_id(random),
            now,
            family::generate_symmetric(random),
        )
    }

    /// Fresh material of `spec` for `version`.
    ///
    /// # Errors
    /// `KMSInternalException` when key generation fails; `UnsupportedOperationException` for
    /// a spec this engine cannot make.
    pub(crate) fn generate_for(
        spec: KeySpec,
        version: u32,
        now: DateTime<Utc>,
        random: &dyn RandomSource,
    ) -> Result<Self, KmsError> {
        let bytes = family::generate(spec, random)?;
        Ok(Self::with_bytes(
            spec,
            version,
            random_material_id(random),
            now,
            bytes,
        ))
    }

    /// Material of `spec` with known bytes and ID (restoring from a store or a seed file).
    ///
    /// # Errors
    /// When `bytes` is not material of `spec` (the message never quotes it).
    pub fn from_parts(
        spec: KeySpec,
        version: u32,
        material_id: String,
        created_at: DateTime<Utc>,
        bytes: Secret,
    ) -> Result<Self, String> {
        let material = Self::with_bytes(spec, version, material_id, created_at, bytes);
        if spec == KeySpec::SymmetricDefault {
            // Cheap to check now; other families are parsed (and checked) on first use.
            material
                .engine()
                .map_err(|e| format!("material version {version}: {e}"))?;
        }
        Ok(material)
    }

    fn with_bytes(
        spec: KeySpec,
        version: u32,
        material_id: String,
        created_at: DateTime<Utc>,
        bytes: Secret,
    ) -> Self {
        Self {
            spec,
            version,
            material_id,
            created_at,
            bytes: Some(bytes),
            import: None,
            engine: OnceLock::new(),
        }
    }

    /// Imported material: `bytes` (already checked against `spec`) when it is imported,
    /// `None` while it is deleted or expired.
    pub(crate) fn imported(
        spec: KeySpec,
        version: u32,
        material_id: String,
        created_at: DateTime<Utc>,
        bytes: Option<Secret>,
        import: ImportInfo,
    ) -> Self {
        Self {
            spec,
            version,
            material_id,
            created_at,
            bytes,
            import: Some(import),
            engine: OnceLock::new(),
        }
    }

    /// The same material with other import settings: `bytes` in place of the current ones
    /// (a re-import), or `None` (deleted or expired). The parsed key is built again on use.
    pub(crate) fn with_import(&self, bytes: Option<Secret>, import: ImportInfo) -> Self {
        Self::imported(
            self.spec,
            self.version,
            self.material_id.clone(),
            self.created_at,
            bytes,
            import,
        )
    }

    /// The key spec this material is for.
    pub fn spec(&self) -> KeySpec {
        self.spec
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

    /// The secret, for a store that wraps it before writing; `None` for imported material
    /// that was deleted or expired.
    #[doc(hidden)]
    pub fn secret(&self) -> Option<&Secret> {
        self.bytes.as_ref()
    }

    /// How imported material was imported; `None` for material KMS generated.
    pub fn import(&self) -> Option<&ImportInfo> {
        self.import.as_ref()
    }

    /// Whether this is imported material waiting for RotateKeyOnDemand to make it current.
    pub fn is_pending_rotation(&self) -> bool {
        self.import.as_ref().is_some_and(|i| i.pending_rotation)
    }

    /// The parsed key, built on first use.
    pub(crate) fn engine(&self) -> Result<&KeyEngine, KmsError> {
        self.engine
            .get_or_init(|| match &self.bytes {
                Some(bytes) => family::parse(self.spec, bytes),
                None => Err("imported key material was deleted".into()),
            })
            .as_ref()
            .map_err(|e| KmsError::Internal(format!("unusable key material: {e}")))
    }

    /// The AES-256-GCM cipher of symmetric material.
    pub(crate) fn cipher(&self) -> Result<&Aes256Gcm, KmsError> {
        self.engine()?
            .cipher()
            .ok_or_else(|| KmsError::Internal("not symmetric material".into()))
    }
}

impl std::fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyMaterial")
            .field("spec", &self.spec)
            .field("version", &self.version)
            .field("material_id", &self.material_id)
            .field("import", &self.import)
            .finish_non_exhaustive()
    }
}

fn random_material_id(random: &dyn RandomSource) -> String {
    let mut id = [0u8; 32];
    random.fill(&mut id);
    hex(&id)
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
        let secret = hex(m.secret().unwrap().expose());
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
        assert_ne!(a.secret().unwrap().expose(), b.secret().unwrap().expose());
    }

    #[test]
    fn symmetric_material_of_the_wrong_length_is_refused_at_once() {
        let err = KeyMaterial::from_parts(
            KeySpec::SymmetricDefault,
            1,
            "m".into(),
            Utc::now(),
            Secret::from_slice(&[1; 16]),
        )
        .unwrap_err();
        assert!(err.contains("16 bytes"), "{err}");
        let hmac = KeyMaterial::from_parts(
            KeySpec::Hmac256,
            1,
            "m".into(),
            Utc::now(),
            Secret::from_slice(&[1; 16]),
        )
        .unwrap();
        assert_eq!(
            hmac.engine().err().unwrap().aws_type(),
            "KMSInternalException"
        );
    }
}
