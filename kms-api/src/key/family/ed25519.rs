//! ECC_NIST_EDWARDS25519 material: the 32-byte seed. ED25519_SHA_512 (pure Ed25519 on RAW
//! messages) runs in AWS-LC; ED25519_PH_SHA_512 (Ed25519ph, RFC 8032, empty context) in
//! `ed25519-dalek`, which AWS-LC's Rust API lacks. As AWS documents, Ed25519ph still hashes
//! the 64-byte DIGEST it is given: the signature is Ed25519ph over those 64 bytes.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{self, Ed25519KeyPair, KeyPair as _, UnparsedPublicKey};
use ed25519_dalek::Digest as _;

use crate::error::KmsError;
use crate::key::spec::SigningAlgorithm;
use crate::random::RandomSource;
use crate::secret::Secret;

const SEED_LEN: usize = 32;

pub(crate) struct EdKey {
    pure: Ed25519KeyPair,
    prehash: ed25519_dalek::SigningKey,
    public_raw: Vec<u8>,
    public_spki: Vec<u8>,
}

pub(super) fn generate(random: &dyn RandomSource) -> Secret {
    Secret::random(SEED_LEN, random)
}

pub(super) fn parse(material: &Secret) -> Result<EdKey, String> {
    let bad = || "ECC_NIST_EDWARDS25519 material is not a 32-byte seed".to_string();
    let seed: &[u8; SEED_LEN] = material.expose().try_into().map_err(|_| bad())?;
    let pure = Ed25519KeyPair::from_seed_unchecked(seed).map_err(|_| bad())?;
    let public_spki = pure
        .public_key()
        .as_der()
        .map_err(|_| bad())?
        .as_ref()
        .to_vec();
    Ok(EdKey {
        public_raw: pure.public_key().as_ref().to_vec(),
        public_spki,
        pure,
        prehash: ed25519_dalek::SigningKey::from_bytes(seed),
    })
}

fn prehashed(message: &[u8]) -> sha2::Sha512 {
    sha2::Sha512::new().chain_update(message)
}

impl EdKey {
    pub(super) fn public_key_der(&self) -> &[u8] {
        &self.public_spki
    }

    pub(super) fn pkcs8(&self) -> Result<Secret, KmsError> {
        let der = self
            .pure
            .to_pkcs8v1()
            .map_err(|_| KmsError::Internal("Ed25519 key encoding failed".into()))?;
        Ok(Secret::from_slice(der.as_ref()))
    }

    pub(super) fn sign(&self, alg: SigningAlgorithm, message: &[u8]) -> Result<Vec<u8>, KmsError> {
        match alg {
            SigningAlgorithm::Ed25519PhSha512 => self
                .prehash
                .sign_prehashed(prehashed(message), None)
                .map(|s| s.to_bytes().to_vec())
                .map_err(|_| KmsError::Internal("Ed25519ph signing failed".into())),
            _ => Ok(self.pure.sign(message).as_ref().to_vec()),
        }
    }

    pub(super) fn verify(&self, alg: SigningAlgorithm, message: &[u8], sig: &[u8]) -> bool {
        match alg {
            SigningAlgorithm::Ed25519PhSha512 => {
                let Ok(sig) = ed25519_dalek::Signature::from_slice(sig) else {
                    return false;
                };
                self.prehash
                    .verifying_key()
                    .verify_prehashed_strict(prehashed(message), None, &sig)
                    .is_ok()
            }
            _ => UnparsedPublicKey::new(&signature::ED25519, &self.public_raw)
                .verify(message, sig)
                .is_ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::family::{assert_signs, parse as parse_engine};
    use crate::key::spec::{KeySpec, MessageType};

    #[test]
    fn rfc_8032_ed25519ph_vector() {
        // RFC 8032, 7.3: Ed25519ph, message "abc".
        let seed = "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42";
        let key = parse(&Secret::new(hex_decode(seed))).unwrap();
        assert_eq!(
            crate::key::material::hex(&key.public_raw),
            "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf"
        );
        let sig = key.sign(SigningAlgorithm::Ed25519PhSha512, b"abc").unwrap();
        assert_eq!(
            crate::key::material::hex(&sig),
            "98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae41\
             31f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406"
        );
        assert!(key.verify(SigningAlgorithm::Ed25519PhSha512, b"abc", &sig));
        assert!(!key.verify(SigningAlgorithm::Ed25519Sha512, b"abc", &sig));
    }

    #[test]
    fn pure_and_prehash_sign_and_verify() {
        let engine = parse_engine(
            KeySpec::EccNistEdwards25519,
            &generate(&crate::random::SeededRandom::new(3)),
        )
        .unwrap();
        assert_signs(
            &engine,
            SigningAlgorithm::Ed25519Sha512,
            MessageType::Raw,
            b"m",
        );
        assert_signs(
            &engine,
            SigningAlgorithm::Ed25519PhSha512,
            MessageType::Digest,
            &[9u8; 64],
        );
    }

    fn hex_decode(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
}
