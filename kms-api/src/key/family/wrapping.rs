//! Wrapping keys for imported material: GetParametersForImport's key pair (RSA 2048/3072/4096
//! from the RSA pool, or SM2 in the China Regions) and ImportKeyMaterial's unwrapping with it:
//! RSAES-OAEP (SHA-1 or SHA-256, MGF1 with the same hash) of the material itself, or
//! RSA_AES_KEY_WRAP: RSAES-OAEP of an ephemeral AES key followed, in the same blob, by the
//! material under that key with AES key wrap with padding (RFC 5649), or SM2PKE.

use aes_kw::{KekAes128, KekAes192, KekAes256};

use super::{generate, parse};
use crate::error::KmsError;
use crate::key::spec::{EncryptionAlgorithm, WrappingAlgorithm, WrappingKeySpec};
use crate::random::RandomSource;
use crate::secret::Secret;

/// A fresh wrapping key pair: the private key in its at-rest encoding and the public key as
/// DER SubjectPublicKeyInfo.
pub(crate) fn generate_wrapping_key(
    spec: WrappingKeySpec,
    random: &dyn RandomSource,
) -> Result<(Secret, Vec<u8>), KmsError> {
    let private = generate(spec.key_spec(), random)?;
    let public = parse(spec.key_spec(), &private)
        .map_err(KmsError::Internal)?
        .public_key_der()?;
    Ok((private, public))
}

/// The material inside `wrapped`; `InvalidCiphertextException` when it does not unwrap with
/// this key and algorithm.
pub(crate) fn unwrap(
    spec: WrappingKeySpec,
    private: &Secret,
    algorithm: WrappingAlgorithm,
    wrapped: &[u8],
) -> Result<Secret, KmsError> {
    // The key came out of an authenticated import token; should it not parse (a token from
    // another release, say), the token is what is wrong.
    let engine = parse(spec.key_spec(), private)
        .map_err(|_| KmsError::InvalidImportToken("The import token is invalid.".into()))?;
    let oaep = |hash_256: bool, ciphertext: &[u8]| {
        let alg = if hash_256 {
            EncryptionAlgorithm::RsaesOaepSha256
        } else {
            EncryptionAlgorithm::RsaesOaepSha1
        };
        engine.decrypt(alg, ciphertext)
    };
    match algorithm {
        WrappingAlgorithm::RsaesOaepSha1 => oaep(false, wrapped),
        WrappingAlgorithm::RsaesOaepSha256 => oaep(true, wrapped),
        WrappingAlgorithm::RsaAesKeyWrapSha1 | WrappingAlgorithm::RsaAesKeyWrapSha256 => {
            let modulus = modulus_len(spec);
            if wrapped.len() <= modulus {
                return Err(KmsError::InvalidCiphertext);
            }
            let (rsa_part, kwp_part) = wrapped.split_at(modulus);
            let aes_key = oaep(
                algorithm == WrappingAlgorithm::RsaAesKeyWrapSha256,
                rsa_part,
            )?;
            aes_key_unwrap_with_padding(&aes_key, kwp_part)
        }
        WrappingAlgorithm::Sm2Pke => engine.decrypt(EncryptionAlgorithm::Sm2pke, wrapped),
        WrappingAlgorithm::RsaesPkcs1V15 => Err(KmsError::InvalidCiphertext),
    }
}

/// The RSA modulus length in bytes (the length of the RSA part of an RSA_AES blob).
fn modulus_len(spec: WrappingKeySpec) -> usize {
    match spec {
        WrappingKeySpec::Rsa3072 => 384,
        WrappingKeySpec::Rsa4096 => 512,
        WrappingKeySpec::Rsa2048 | WrappingKeySpec::Sm2 => 256,
    }
}

/// RFC 5649 unwrapping under a 128-, 192- or 256-bit AES key (AWS documents a 256-bit one).
fn aes_key_unwrap_with_padding(key: &Secret, wrapped: &[u8]) -> Result<Secret, KmsError> {
    let bad = |_| KmsError::InvalidCiphertext;
    // RFC 5649 output is whole 64-bit blocks, at least two. `aes-kw` 0.2 underflows (a panic
    // with overflow checks) on a single block that carries the padding IV, so shorter or
    // ragged input never reaches it.
    if wrapped.len() < 16 || wrapped.len() % 8 != 0 {
        return Err(KmsError::InvalidCiphertext);
    }
    let plain = match key.len() {
        16 => KekAes128::try_from(key.expose())
            .map_err(bad)?
            .unwrap_with_padding_vec(wrapped),
        24 => KekAes192::try_from(key.expose())
            .map_err(bad)?
            .unwrap_with_padding_vec(wrapped),
        32 => KekAes256::try_from(key.expose())
            .map_err(bad)?
            .unwrap_with_padding_vec(wrapped),
        _ => return Err(KmsError::InvalidCiphertext),
    }
    .map_err(bad)?;
    Ok(Secret::new(plain))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::spec::KeySpec;
    use crate::random::SeededRandom;

    /// RFC 5649 section 6, the second example (7 octets under a 192-bit KEK): AES-KWP is
    /// checked against the standard's own vector, not only against itself.
    #[test]
    fn rfc_5649_vector_unwraps() {
        let unhex = |s: &str| -> Vec<u8> {
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
                .collect()
        };
        let kek = Secret::new(unhex("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8"));
        let wrapped = unhex("afbeb0f07dfbf5419200f2ccb50bb24f");
        let plain = aes_key_unwrap_with_padding(&kek, &wrapped).unwrap();
        assert_eq!(plain.expose(), unhex("466f7250617369"));
        let mut tampered = wrapped;
        tampered[3] ^= 1;
        assert_eq!(
            aes_key_unwrap_with_padding(&kek, &tampered).err(),
            Some(KmsError::InvalidCiphertext)
        );
    }

    #[test]
    fn short_or_ragged_key_wrap_input_is_invalid_ciphertext() {
        let kek = Secret::new(vec![1; 32]);
        for wrapped in [
            &[0xa6, 0x59, 0x59, 0xa6, 0, 0, 0, 0][..],
            &[0xa6, 0x59, 0x59, 0xa6, 0, 0, 0, 8],
            &[0; 17],
            &[],
        ] {
            assert_eq!(
                aes_key_unwrap_with_padding(&kek, wrapped).err(),
                Some(KmsError::InvalidCiphertext)
            );
        }
    }

    #[test]
    fn rsa_wrapping_keys_unwrap_what_their_public_key_wrapped() {
        let random = SeededRandom::new(5);
        let (private, public) = generate_wrapping_key(WrappingKeySpec::Rsa2048, &random).unwrap();
        assert!(!public.is_empty());
        let material = [9u8; 32];
        let engine = parse(KeySpec::Rsa2048, &private).unwrap();
        let wrapped = engine
            .encrypt(EncryptionAlgorithm::RsaesOaepSha256, &material, &random)
            .unwrap();
        let out = unwrap(
            WrappingKeySpec::Rsa2048,
            &private,
            WrappingAlgorithm::RsaesOaepSha256,
            &wrapped,
        )
        .unwrap();
        assert_eq!(out.expose(), material);
        // The same blob under the other OAEP hash does not unwrap.
        assert_eq!(
            unwrap(
                WrappingKeySpec::Rsa2048,
                &private,
                WrappingAlgorithm::RsaesOaepSha1,
                &wrapped,
            )
            .err(),
            Some(KmsError::InvalidCiphertext)
        );
        // An RSA_AES blob too short to hold its RSA part.
        assert_eq!(
            unwrap(
                WrappingKeySpec::Rsa2048,
                &private,
                WrappingAlgorithm::RsaAesKeyWrapSha256,
                &wrapped,
            )
            .err(),
            Some(KmsError::InvalidCiphertext)
        );
    }
}
