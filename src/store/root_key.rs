//! The root key that wraps key material at rest (AES key wrap with padding, RFC 5649): from
//! `--root-key-file`, `KMS_ROOT_KEY` (base64), or generated on first start into the data
//! directory with mode 0600.

use std::fs;
use std::path::{Path, PathBuf};

use aes_kw::KekAes256;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use kms_api::Secret;

/// The file a generated root key is kept in, inside the data directory.
pub const ROOT_KEY_FILE: &str = "root.key";

// The root key's AES key schedule is wiped on drop only with `aes`'s `zeroize` feature.
const _: fn() = assert_zeroize_on_drop::<aes::Aes256>;
fn assert_zeroize_on_drop<T: zeroize::ZeroizeOnDrop>() {}

/// A 256-bit key-encryption key.
pub struct RootKey {
    kek: KekAes256,
    /// The key itself, only to derive other keys from (never with the key wrap, whose
    /// output for client-chosen material the store holds).
    bytes: Secret,
}

/// Where the root key came from, for the start-up log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootKeySource {
    /// `--root-key-file`.
    File(PathBuf),
    /// `KMS_ROOT_KEY`.
    Environment,
    /// Read from the data directory, where an earlier start generated it.
    DataDir(PathBuf),
    /// Generated now into the data directory.
    Generated(PathBuf),
}

impl std::fmt::Debug for RootKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RootKey(<secret>)")
    }
}

impl RootKey {
    /// A root key from 32 bytes.
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        Self {
            kek: KekAes256::from(*bytes),
            bytes: Secret::from_slice(bytes),
        }
    }

    /// A root key from a secret of 32 bytes.
    fn from_secret(secret: &Secret) -> Result<Self, String> {
        KekAes256::try_from(secret.expose())
            .map(|kek| Self {
                kek,
                bytes: secret.clone(),
            })
            .map_err(|_| format!("the root key must be 32 bytes, got {}", secret.len()))
    }

    /// Parses base64 (or, from a file, 32 raw bytes).
    pub fn parse(text: &[u8]) -> Result<Self, String> {
        if text.len() == 32 && std::str::from_utf8(text).is_err() {
            return Self::from_secret(&Secret::from_slice(text));
        }
        let trimmed = std::str::from_utf8(text)
            .map_err(|_| "the root key is neither base64 nor 32 raw bytes".to_owned())?
            .trim();
        let bytes = Secret::new(
            STANDARD
                .decode(trimmed)
                .map_err(|_| "the root key is not valid base64".to_owned())?,
        );
        Self::from_secret(&bytes)
    }

    /// Chooses the root key: the file, else the environment value, else the data directory's
    /// (generating one there on first start).
    pub fn load(
        file: Option<&Path>,
        env: Option<&[u8]>,
        data_dir: &Path,
    ) -> Result<(Self, RootKeySource), String> {
        if let Some(path) = file {
            let text =
                Zeroizing::new(fs::read(path).map_err(|e| {
                    format!("cannot read the root key file {}: {e}", path.display())
                })?);
            return Ok((
                Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?,
                RootKeySource::File(path.to_owned()),
            ));
        }
        if let Some(value) = env {
            return Ok((
                Self::parse(value).map_err(|e| format!("KMS_ROOT_KEY: {e}"))?,
                RootKeySource::Environment,
            ));
        }
        let path = data_dir.join(ROOT_KEY_FILE);
        if path.exists() {
            let text = Zeroizing::new(
                fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?,
            );
            return Ok((
                Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?,
                RootKeySource::DataDir(path),
            ));
        }
        if data_dir.join(super::CHECK_FILE).exists() || data_dir.join(super::DB_FILE).exists() {
            return Err(format!(
                "{} holds data but no {ROOT_KEY_FILE}: give the root key it was created with (--root-key-file or KMS_ROOT_KEY)",
                data_dir.display()
            ));
        }
        let bytes = Secret::random(32, &kms_api::OsRandom);
        let encoded = Zeroizing::new(STANDARD.encode(bytes.expose()));
        super::atomic_file::write(&path, encoded.as_bytes(), true)?;
        Ok((Self::from_secret(&bytes)?, RootKeySource::Generated(path)))
    }

    /// Wraps one secret of any length (key material of every kind).
    pub fn wrap(&self, secret: &Secret) -> Result<Vec<u8>, String> {
        self.kek
            .wrap_with_padding_vec(secret.expose())
            .map_err(|e| format!("key wrap failed: {e:?}"))
    }

    /// Unwraps one secret; a wrong root key or a damaged value fails its integrity check.
    pub fn unwrap(&self, wrapped: &[u8]) -> Result<Secret, String> {
        self.kek
            .unwrap_with_padding_vec(wrapped)
            .map(Secret::new)
            .map_err(|_| "key unwrap failed: wrong root key or damaged data".to_owned())
    }

    /// A 32-byte key for `purpose`, derived from the root key with HMAC-SHA-256, so it is
    /// the same on every start with this root key and unknowable without it (the token key:
    /// tokens handed out before a restart keep working). Not derived with the key wrap: the
    /// store holds the key wrap's output for material a client chose, which could be the
    /// label.
    pub fn derive_key(&self, purpose: &str) -> Secret {
        self.bytes
            .derive_key(format!("kms-emulator derived key, version 1, for {purpose}").as_bytes())
    }

    /// Wraps arbitrary bytes (the store's root-key check value).
    pub(crate) fn wrap_bytes(&self, data: &[u8]) -> Result<Vec<u8>, String> {
        self.kek
            .wrap_with_padding_vec(data)
            .map_err(|e| format!("key wrap failed: {e:?}"))
    }

    /// Unwraps arbitrary bytes.
    pub(crate) fn unwrap_bytes(&self, data: &[u8]) -> Option<Vec<u8>> {
        self.kek.unwrap_with_padding_vec(data).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_keys_are_stable_per_root_key_and_purpose() {
        let a = RootKey::from_bytes(&[1u8; 32]);
        let b = RootKey::from_bytes(&[2u8; 32]);
        let k = a.derive_key("import tokens");
        assert_eq!(k.len(), 32);
        assert_eq!(k.expose(), a.derive_key("import tokens").expose());
        assert_ne!(k.expose(), a.derive_key("other").expose());
        assert_ne!(k.expose(), b.derive_key("import tokens").expose());
        // Nothing the key wrap outputs (which the store keeps, for any material) is the key.
        let label = b"kms-emulator derived key, version 1, for import tokens";
        let wrapped = a.wrap_bytes(label).unwrap();
        assert!(!wrapped.windows(32).any(|w| w == k.expose()));
    }

    #[test]
    fn wrap_round_trips_and_the_wrong_key_fails() {
        let a = RootKey::from_bytes(&[1u8; 32]);
        let b = RootKey::from_bytes(&[2u8; 32]);
        for len in [32, 1, 2400] {
            let secret = Secret::new(vec![9u8; len]);
            let wrapped = a.wrap(&secret).unwrap();
            assert!(
                !wrapped
                    .windows(len.min(8))
                    .any(|w| w == &secret.expose()[..len.min(8)])
            );
            assert_eq!(a.unwrap(&wrapped).unwrap().expose(), secret.expose());
            assert!(b.unwrap(&wrapped).is_err());
        }
    }

    #[test]
    fn parses_base64_and_rejects_bad_lengths() {
        assert!(RootKey::parse(STANDARD.encode([7u8; 32]).as_bytes()).is_ok());
        assert!(RootKey::parse(format!("{}\n", STANDARD.encode([7u8; 32])).as_bytes()).is_ok());
        assert!(
            RootKey::parse(STANDARD.encode([7u8; 16]).as_bytes())
                .unwrap_err()
                .contains("32 bytes")
        );
        assert!(RootKey::parse(b"%%%").is_err());
    }

    #[test]
    fn a_generated_key_is_private_and_reused() {
        let dir = std::env::temp_dir().join(format!("kms-root-{}", uuid::Uuid::new_v4()));
        fs::create_dir_all(&dir).unwrap();
        let (first, source) = RootKey::load(None, None, &dir).unwrap();
        assert!(matches!(source, RootKeySource::Generated(_)));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.join(ROOT_KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (second, source) = RootKey::load(None, None, &dir).unwrap();
        assert!(matches!(source, RootKeySource::DataDir(_)));
        let wrapped = first.wrap(&Secret::from_slice(&[3u8; 32])).unwrap();
        assert_eq!(second.unwrap(&wrapped).unwrap().expose(), &[3u8; 32]);
        fs::remove_dir_all(dir).unwrap();
    }
}
