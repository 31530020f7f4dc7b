//! Import tokens: what GetParametersForImport hands out with a wrapping public key, and what
//! ImportKeyMaterial needs back. A token is self-contained: the wrapping algorithm and key spec,
//! the expiry and the wrapping private key, sealed with AES-256-GCM under the engine's import
//! token key and bound to the key's ARN as associated data. So a token works only for its key
//! (a foreign or garbled one fails to open: `InvalidImportTokenException`), expires on the
//! engine's clock (`ExpiredImportTokenException`), needs no storage, and keeps working across
//! a restart when the token key is durable (the server derives it from its root key).
//!
//! Layout: `"KIT" 0x01 ‖ nonce (12) ‖ AES-256-GCM(algorithm ‖ wrapping spec ‖ valid-to
//! millis (i64 BE) ‖ private key) ‖ tag (16)`; associated data `"KIT" 0x01 ‖ key ARN`.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use chrono::{DateTime, Utc};
use zeroize::Zeroizing;

use crate::error::KmsError;
use crate::key::spec::{WrappingAlgorithm, WrappingKeySpec};
use crate::random::RandomSource;
use crate::secret::Secret;

const MAGIC: &[u8; 4] = b"KIT\x01";
const NONCE_LEN: usize = 12;
/// Algorithm, wrapping spec and the expiry before the private key.
const HEADER_LEN: usize = 1 + 1 + 8;

/// What an import token carries (never printed: it holds the wrapping private key).
pub(crate) struct ImportParameters {
    pub(crate) algorithm: WrappingAlgorithm,
    pub(crate) wrapping_spec: WrappingKeySpec,
    pub(crate) valid_to: DateTime<Utc>,
    /// The wrapping private key in its family's at-rest encoding.
    pub(crate) private_key: Secret,
}

/// The token for `params`, bound to `key_arn`.
pub(crate) fn seal(
    cipher: &Aes256Gcm,
    key_arn: &str,
    params: &ImportParameters,
    random: &dyn RandomSource,
) -> Result<Vec<u8>, KmsError> {
    let mut plain = Zeroizing::new(Vec::with_capacity(HEADER_LEN + params.private_key.len()));
    plain.push(algorithm_code(params.algorithm));
    plain.push(spec_code(params.wrapping_spec));
    plain.extend_from_slice(&params.valid_to.timestamp_millis().to_be_bytes());
    plain.extend_from_slice(params.private_key.expose());
    let mut nonce = [0u8; NONCE_LEN];
    random.fill(&mut nonce);
    let aad = associated_data(key_arn);
    let sealed = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: &plain,
                aad: &aad,
            },
        )
        .map_err(|_| KmsError::Internal("import token sealing failed".into()))?;
    let mut token = Vec::with_capacity(MAGIC.len() + NONCE_LEN + sealed.len());
    token.extend_from_slice(MAGIC);
    token.extend_from_slice(&nonce);
    token.extend_from_slice(&sealed);
    Ok(token)
}

/// The parameters in `token` if it is a token for `key_arn` (its expiry is the caller's to
/// check).
///
/// # Errors
/// `InvalidImportTokenException` for anything else.
pub(crate) fn open(
    cipher: &Aes256Gcm,
    key_arn: &str,
    token: &[u8],
) -> Result<ImportParameters, KmsError> {
    let invalid = || {
        KmsError::InvalidImportToken(
            "The import token is invalid or is associated with a different KMS key.".into(),
        )
    };
    let rest = token.strip_prefix(MAGIC.as_slice()).ok_or_else(invalid)?;
    if rest.len() < NONCE_LEN {
        return Err(invalid());
    }
    let (nonce, sealed) = rest.split_at(NONCE_LEN);
    let aad = associated_data(key_arn);
    let plain = Zeroizing::new(
        cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: &aad,
                },
            )
            .map_err(|_| invalid())?,
    );
    if plain.len() <= HEADER_LEN {
        return Err(invalid());
    }
    let algorithm = *WrappingAlgorithm::ALL
        .iter()
        .find(|a| algorithm_code(**a) == plain[0])
        .ok_or_else(invalid)?;
    let wrapping_spec = *WrappingKeySpec::ALL
        .iter()
        .find(|s| spec_code(**s) == plain[1])
        .ok_or_else(invalid)?;
    let mut millis = [0u8; 8];
    millis.copy_from_slice(&plain[2..HEADER_LEN]);
    let valid_to =
        DateTime::from_timestamp_millis(i64::from_be_bytes(millis)).ok_or_else(invalid)?;
    Ok(ImportParameters {
        algorithm,
        wrapping_spec,
        valid_to,
        private_key: Secret::from_slice(&plain[HEADER_LEN..]),
    })
}

fn associated_data(key_arn: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(MAGIC.len() + key_arn.len());
    aad.extend_from_slice(MAGIC);
    aad.extend_from_slice(key_arn.as_bytes());
    aad
}

/// Fixed codes, so that tokens outlive a reordering of the enums (they survive restarts).
fn algorithm_code(a: WrappingAlgorithm) -> u8 {
    match a {
        WrappingAlgorithm::RsaesPkcs1V15 => 1,
        WrappingAlgorithm::RsaesOaepSha1 => 2,
        WrappingAlgorithm::RsaesOaepSha256 => 3,
        WrappingAlgorithm::RsaAesKeyWrapSha1 => 4,
        WrappingAlgorithm::RsaAesKeyWrapSha256 => 5,
        WrappingAlgorithm::Sm2Pke => 6,
    }
}

fn spec_code(s: WrappingKeySpec) -> u8 {
    match s {
        WrappingKeySpec::Rsa2048 => 1,
        WrappingKeySpec::Rsa3072 => 2,
        WrappingKeySpec::Rsa4096 => 3,
        WrappingKeySpec::Sm2 => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SeededRandom;
    use aes_gcm::KeyInit;

    fn params() -> ImportParameters {
        ImportParameters {
            algorithm: WrappingAlgorithm::RsaAesKeyWrapSha256,
            wrapping_spec: WrappingKeySpec::Rsa3072,
            valid_to: DateTime::from_timestamp_millis(1_800_000_000_123).unwrap(),
            private_key: Secret::from_slice(b"wrapping private key bytes"),
        }
    }

    #[test]
    fn a_token_opens_for_its_key_only() {
        let cipher = Aes256Gcm::new(&[3u8; 32].into());
        let random = SeededRandom::new(1);
        let token = seal(&cipher, "arn:a", &params(), &random).unwrap();
        assert!(
            !token
                .windows(10)
                .any(|w| w == &b"wrapping private key bytes"[..10])
        );
        let back = open(&cipher, "arn:a", &token).unwrap();
        assert_eq!(back.algorithm, WrappingAlgorithm::RsaAesKeyWrapSha256);
        assert_eq!(back.wrapping_spec, WrappingKeySpec::Rsa3072);
        assert_eq!(back.valid_to, params().valid_to);
        assert_eq!(back.private_key.expose(), b"wrapping private key bytes");

        let invalid = |r: Result<ImportParameters, KmsError>| {
            r.err().map(|e| e.aws_type()) == Some("InvalidImportTokenException")
        };
        assert!(invalid(open(&cipher, "arn:b", &token)), "another key");
        let other = Aes256Gcm::new(&[4u8; 32].into());
        assert!(invalid(open(&other, "arn:a", &token)), "another engine");
        for i in [0, 5, token.len() - 1] {
            let mut bad = token.clone();
            bad[i] ^= 1;
            assert!(invalid(open(&cipher, "arn:a", &bad)), "byte {i} flipped");
        }
        assert!(invalid(open(&cipher, "arn:a", &token[..20])));
        assert!(invalid(open(&cipher, "arn:a", b"")));
    }
}
