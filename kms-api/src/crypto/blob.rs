//! The ciphertext blob: which key and material version sealed it, and the AES-256-GCM output.
//!
//! ```text
//! offset  len  field
//! 0       1    format version: 0x01 for a single-Region key, 0x02 for a multi-Region key
//! 1       16   key ID (the UUID's bytes, or the 32 hex digits after `mrk-` as bytes)
//! 17      4    material version, u32 big-endian (1-based)
//! 21      12   nonce (random per call)
//! 33      n    ciphertext
//! 33+n    16   GCM tag
//! ```
//! The AAD is the 21-byte header followed by the canonical encryption context
//! ([`super::context`]), so neither the header nor the context can be changed undetected.

use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Nonce, Tag};

use crate::crypto::context::{self, EncryptionContext};
use crate::error::KmsError;
use crate::key::id::KeyId;
use crate::key::material::KeyMaterial;
use crate::random::RandomSource;
use crate::secret::Secret;

/// The blob format this engine writes for a single-Region key.
pub const FORMAT_V1: u8 = 0x01;
/// The same layout, for a multi-Region key (the ID's kind is part of the format, so the
/// header names the key exactly and every member of a multi-Region set reads it alike).
pub const FORMAT_V1_MULTI_REGION: u8 = 0x02;
const HEADER_LEN: usize = 1 + 16 + 4;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// Bytes a blob adds to its plaintext.
pub const OVERHEAD: usize = HEADER_LEN + NONCE_LEN + TAG_LEN;

/// What a blob's header says, read before any key is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobHeader {
    /// The key that sealed the blob.
    pub key_id: KeyId,
    /// The material version that sealed it.
    pub version: u32,
}

impl BlobHeader {
    /// Reads the header; anything that is not a V1 blob is `InvalidCiphertextException`.
    pub fn parse(blob: &[u8]) -> Result<Self, KmsError> {
        if blob.len() < OVERHEAD {
            return Err(KmsError::InvalidCiphertext);
        }
        let multi_region = match blob[0] {
            FORMAT_V1 => false,
            FORMAT_V1_MULTI_REGION => true,
            _ => return Err(KmsError::InvalidCiphertext),
        };
        let mut id = [0u8; 16];
        id.copy_from_slice(&blob[1..17]);
        let mut version = [0u8; 4];
        version.copy_from_slice(&blob[17..21]);
        Ok(Self {
            key_id: if multi_region {
                KeyId::multi_region(id)
            } else {
                KeyId::single_region(id)
            },
            version: u32::from_be_bytes(version),
        })
    }
}

/// Seals `plaintext` under `material` of key `key_id`.
pub(crate) fn seal(
    key_id: KeyId,
    material: &KeyMaterial,
    context: &EncryptionContext,
    plaintext: &[u8],
    random: &dyn RandomSource,
) -> Result<Vec<u8>, KmsError> {
    let mut out = Vec::with_capacity(OVERHEAD + plaintext.len());
    out.push(if key_id.is_multi_region() {
        FORMAT_V1_MULTI_REGION
    } else {
        FORMAT_V1
    });
    out.extend_from_slice(key_id.as_bytes());
    out.extend_from_slice(&material.version().to_be_bytes());
    let mut nonce = [0u8; NONCE_LEN];
    random.fill(&mut nonce);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(plaintext);
    let (head, body) = out.split_at_mut(HEADER_LEN + NONCE_LEN);
    let tag = with_aad(&head[..HEADER_LEN], context, |aad| {
        material
            .cipher()?
            .encrypt_in_place_detached(Nonce::from_slice(&nonce), aad, body)
            .map_err(|_| KmsError::Internal("AES-GCM encryption failed".into()))
    })?;
    out.extend_from_slice(&tag);
    Ok(out)
}

/// Opens a blob whose header was read as `header`, with the material it names.
pub(crate) fn open(
    blob: &[u8],
    material: &KeyMaterial,
    context: &EncryptionContext,
) -> Result<Secret, KmsError> {
    let header = &blob[..HEADER_LEN];
    let nonce = Nonce::from_slice(&blob[HEADER_LEN..HEADER_LEN + NONCE_LEN]);
    let body = &blob[HEADER_LEN + NONCE_LEN..blob.len() - TAG_LEN];
    let tag = Tag::from_slice(&blob[blob.len() - TAG_LEN..]);
    let mut plaintext = Secret::from_slice(body);
    with_aad(header, context, |aad| {
        material
            .cipher()?
            .decrypt_in_place_detached(nonce, aad, plaintext.expose_mut(), tag)
            .map_err(|_| KmsError::InvalidCiphertext)
    })?;
    Ok(plaintext)
}

/// Runs `f` with header || canonical(context) as AAD; no allocation without a context.
fn with_aad<T>(header: &[u8], context: &EncryptionContext, f: impl FnOnce(&[u8]) -> T) -> T {
    if context.is_empty() {
        return f(header);
    }
    let mut aad = Vec::with_capacity(HEADER_LEN + 64);
    aad.extend_from_slice(header);
    context::encode_into(context, &mut aad);
    f(&aad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SeededRandom;
    use chrono::DateTime;

    const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

    fn material() -> KeyMaterial {
        KeyMaterial::from_parts(
            crate::KeySpec::SymmetricDefault,
            3,
            "m".into(),
            DateTime::UNIX_EPOCH,
            Secret::from_slice(&[7u8; 32]),
        )
        .unwrap()
    }

    fn ctx(pairs: &[(&str, &str)]) -> EncryptionContext {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn golden_bytes_pin_the_format() {
        let id: KeyId = KEY_ID.parse().unwrap();
        let blob = seal(
            id,
            &material(),
            &ctx(&[("a", "b")]),
            b"hello",
            &SeededRandom::new(42),
        )
        .unwrap();
        let hex = crate::key::material::hex(&blob);
        // header: version 01, key id, material version 3
        assert_eq!(&hex[..42], "011234abcd12ab34cd56ef1234567890ab00000003");
        assert_eq!(blob.len(), OVERHEAD + 5);
        // Pinned output for fixed key, nonce source, context and plaintext: any change to the
        // layout, the AAD or the cipher changes these bytes.
        assert_eq!(
            hex,
            GOLDEN_BLOB_HEX.trim(),
            "ciphertext blob format changed; old ciphertexts would no longer decrypt"
        );
        assert_eq!(
            open(&blob, &material(), &ctx(&[("a", "b")]))
                .unwrap()
                .expose(),
            b"hello"
        );
    }

    const GOLDEN_BLOB_HEX: &str = include_str!("golden_blob_v1.hex");

    #[test]
    fn header_parses_and_rejects_foreign_blobs() {
        let id: KeyId = KEY_ID.parse().unwrap();
        let blob = seal(id, &material(), &ctx(&[]), b"x", &SeededRandom::new(1)).unwrap();
        assert_eq!(
            BlobHeader::parse(&blob).unwrap(),
            BlobHeader {
                key_id: id,
                version: 3
            }
        );
        assert_eq!(
            BlobHeader::parse(&blob[..OVERHEAD - 1]),
            Err(KmsError::InvalidCiphertext)
        );
        let mut foreign = blob.clone();
        foreign[0] = 0x03;
        assert_eq!(
            BlobHeader::parse(&foreign),
            Err(KmsError::InvalidCiphertext)
        );
        // 0x02 is the same layout naming a multi-Region key of the same bytes.
        let mut multi = blob;
        multi[0] = FORMAT_V1_MULTI_REGION;
        assert_eq!(
            BlobHeader::parse(&multi).unwrap().key_id,
            KeyId::multi_region(*id.as_bytes())
        );
    }

    #[test]
    fn multi_region_keys_seal_with_their_format_byte_and_open() {
        let id: KeyId = "mrk-1234abcd12ab34cd56ef1234567890ab".parse().unwrap();
        let blob = seal(id, &material(), &ctx(&[]), b"x", &SeededRandom::new(1)).unwrap();
        assert_eq!(blob[0], FORMAT_V1_MULTI_REGION);
        assert_eq!(BlobHeader::parse(&blob).unwrap().key_id, id);
        assert_eq!(open(&blob, &material(), &ctx(&[])).unwrap().expose(), b"x");
    }

    #[test]
    fn every_tampered_byte_is_rejected() {
        let id: KeyId = KEY_ID.parse().unwrap();
        let blob = seal(
            id,
            &material(),
            &ctx(&[("k", "v")]),
            b"secret",
            &SeededRandom::new(1),
        )
        .unwrap();
        for i in 17..blob.len() {
            let mut t = blob.clone();
            t[i] ^= 0x01;
            assert_eq!(
                open(&t, &material(), &ctx(&[("k", "v")])).err().unwrap(),
                KmsError::InvalidCiphertext,
                "byte {i}"
            );
        }
    }

    #[test]
    fn context_must_match_exactly() {
        let id: KeyId = KEY_ID.parse().unwrap();
        let blob = seal(
            id,
            &material(),
            &ctx(&[("a", "b")]),
            b"p",
            &SeededRandom::new(1),
        )
        .unwrap();
        for wrong in [
            ctx(&[]),
            ctx(&[("ab", "")]),
            ctx(&[("a", "B")]),
            ctx(&[("a", "b"), ("c", "d")]),
        ] {
            assert_eq!(
                open(&blob, &material(), &wrong).err().unwrap(),
                KmsError::InvalidCiphertext
            );
        }
    }

    #[test]
    fn nonces_are_unique_per_call() {
        let id: KeyId = KEY_ID.parse().unwrap();
        let r = crate::random::OsRandom;
        let a = seal(id, &material(), &ctx(&[]), b"same", &r).unwrap();
        let b = seal(id, &material(), &ctx(&[]), b"same", &r).unwrap();
        assert_ne!(a[21..33], b[21..33]);
        assert_ne!(a, b);
    }
}
