//! Key families: how each key spec's material is generated, encoded at rest, parsed and used.
//! Everything family-specific lives here, one module per family, behind [`KeyEngine`]; the
//! operations ask the spec table ([`crate::KeySpec::algorithms`]) what a key allows and the
//! engine to do it. Adding a family is a module here, a row in that table and an arm below.
//!
//! Material at rest is a [`Secret`] in one encoding per family:
//!
//! | Family | Encoding |
//! |---|---|
//! | SYMMETRIC_DEFAULT | 32 raw bytes (AES-256) |
//! | HMAC_224/256/384/512 | 28/32/48/64 raw bytes |
//! | RSA, ECC (NIST, secp256k1) | PKCS#8 DER (AWS-LC) |
//! | ECC_NIST_EDWARDS25519 | the 32-byte seed |
//! | ML-DSA | the 32-byte seed (FIPS 204 xi) |
//! | ML-KEM | the 64-byte seed (FIPS 203 d ‖ z) |
//! | SM2 | the 32-byte private scalar |
//!
//! Private keys parsed by AWS-LC are wiped by AWS-LC when freed (`OPENSSL_free` cleanses);
//! the RustCrypto keys used for ML-DSA's external mu, Ed25519ph and ML-KEM zeroize on drop.

mod ecc;
mod ed25519;
mod hmac;
mod ml_dsa;
mod ml_kem;
mod rsa;
pub(crate) mod rsa_pool;
mod sm2;
pub(crate) mod wrapping;

pub(crate) use ml_dsa::MU_LEN;
mod symmetric;

use aes_gcm::Aes256Gcm;

use crate::error::KmsError;
use crate::key::spec::{EncryptionAlgorithm, KeySpec, MessageType, SigningAlgorithm};
use crate::random::RandomSource;
use crate::secret::Secret;

/// A parsed key, ready for its family's operations.
pub(crate) enum KeyEngine {
    /// AES-256-GCM (the expanded key schedule, about 1 KB).
    Symmetric(Box<Aes256Gcm>),
    /// An HMAC key.
    Hmac(Box<hmac::HmacKey>),
    /// An RSA key pair.
    Rsa(Box<rsa::RsaKey>),
    /// An ECDSA / ECDH key pair on a NIST curve or secp256k1.
    Ecc(Box<ecc::EccKey>),
    /// An Ed25519 key pair.
    Ed25519(Box<ed25519::EdKey>),
    /// An ML-DSA key pair.
    MlDsa(Box<ml_dsa::MlDsaKey>),
    /// An ML-KEM key pair.
    MlKem(Box<ml_kem::MlKemKey>),
    /// An SM2 key pair.
    Sm2(Box<sm2::Sm2Key>),
}

/// The length of symmetric material in bytes.
pub(crate) const fn symmetric_len() -> usize {
    symmetric::MATERIAL_LEN
}

/// Fresh SYMMETRIC_DEFAULT material (infallible, unlike [`generate`] in general).
pub(crate) fn generate_symmetric(random: &dyn RandomSource) -> Secret {
    symmetric::generate(random)
}

/// Fresh material for `spec`, in its at-rest encoding. Symmetric, HMAC and post-quantum seeds
/// come from `random`; RSA and ECC keys from AWS-LC's generator (seeded from the OS).
pub(crate) fn generate(spec: KeySpec, random: &dyn RandomSource) -> Result<Secret, KmsError> {
    match spec {
        KeySpec::SymmetricDefault => Ok(symmetric::generate(random)),
        KeySpec::Hmac224 | KeySpec::Hmac256 | KeySpec::Hmac384 | KeySpec::Hmac512 => {
            Ok(hmac::generate(spec, random))
        }
        KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => rsa_pool::take(spec),
        KeySpec::EccNistP256
        | KeySpec::EccNistP384
        | KeySpec::EccNistP521
        | KeySpec::EccSecgP256k1 => ecc::generate(spec),
        KeySpec::EccNistEdwards25519 => Ok(ed25519::generate(random)),
        KeySpec::MlDsa44 | KeySpec::MlDsa65 | KeySpec::MlDsa87 => Ok(ml_dsa::generate(random)),
        KeySpec::MlKem512 | KeySpec::MlKem768 | KeySpec::MlKem1024 => Ok(ml_kem::generate(random)),
        KeySpec::Sm2 => Ok(sm2::generate(random)),
    }
}

/// An RSA or EC private key from DER (PKCS#8, PKCS#1 `RSAPrivateKey` or SEC1
/// `ECPrivateKey`), as the spec it is and its at-rest material; `None` when it is none of
/// those on a size or curve KMS offers. For seed files.
pub(crate) fn import_private_key_der(der: &[u8]) -> Option<(KeySpec, Secret)> {
    rsa::import_der(der).or_else(|| ecc::import_der(der))
}

/// Imported material of `spec` (its raw bytes for symmetric and HMAC keys, a PKCS#8 DER
/// private key for RSA, ECC and SM2) in the family's at-rest encoding; `None` when it is not
/// material of that spec (the wrong length, a key of another size or curve, not a key).
pub(crate) fn import_material(spec: KeySpec, bytes: &[u8]) -> Option<Secret> {
    let material = match spec {
        KeySpec::SymmetricDefault
        | KeySpec::Hmac224
        | KeySpec::Hmac256
        | KeySpec::Hmac384
        | KeySpec::Hmac512 => Secret::from_slice(bytes),
        // AWS takes asymmetric private keys as PKCS#8 only; they are re-encoded, so that the
        // same key in another valid PKCS#8 form is the same material (and KeyMaterialId).
        KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => rsa::import_pkcs8(spec, bytes)?,
        KeySpec::EccNistP256
        | KeySpec::EccNistP384
        | KeySpec::EccNistP521
        | KeySpec::EccSecgP256k1 => ecc::import_pkcs8(spec, bytes)?,
        KeySpec::Sm2 => sm2::import_der(bytes)?,
        KeySpec::EccNistEdwards25519
        | KeySpec::MlDsa44
        | KeySpec::MlDsa65
        | KeySpec::MlDsa87
        | KeySpec::MlKem512
        | KeySpec::MlKem768
        | KeySpec::MlKem1024 => return None,
    };
    // The family's own parser has the last word (lengths, curves, key consistency).
    parse(spec, &material).ok()?;
    Some(material)
}

/// Parses material of `spec` from its at-rest encoding.
///
/// # Errors
/// A message naming what is wrong (never the material) when it is not valid for `spec`.
pub(crate) fn parse(spec: KeySpec, material: &Secret) -> Result<KeyEngine, String> {
    Ok(match spec {
        KeySpec::SymmetricDefault => KeyEngine::Symmetric(symmetric::parse(material)?),
        KeySpec::Hmac224 | KeySpec::Hmac256 | KeySpec::Hmac384 | KeySpec::Hmac512 => {
            KeyEngine::Hmac(Box::new(hmac::parse(spec, material)?))
        }
        KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => {
            KeyEngine::Rsa(Box::new(rsa::parse(spec, material)?))
        }
        KeySpec::EccNistP256
        | KeySpec::EccNistP384
        | KeySpec::EccNistP521
        | KeySpec::EccSecgP256k1 => KeyEngine::Ecc(Box::new(ecc::parse(spec, material)?)),
        KeySpec::EccNistEdwards25519 => KeyEngine::Ed25519(Box::new(ed25519::parse(material)?)),
        KeySpec::MlDsa44 | KeySpec::MlDsa65 | KeySpec::MlDsa87 => {
            KeyEngine::MlDsa(Box::new(ml_dsa::parse(spec, material)?))
        }
        KeySpec::MlKem512 | KeySpec::MlKem768 | KeySpec::MlKem1024 => {
            KeyEngine::MlKem(Box::new(ml_kem::parse(spec, material)?))
        }
        KeySpec::Sm2 => KeyEngine::Sm2(Box::new(sm2::parse(material)?)),
    })
}

/// The digest length in bytes a DIGEST message must have for `alg` (`None`: DIGEST is not
/// how the algorithm takes its input).
pub(crate) fn digest_len(alg: SigningAlgorithm) -> Option<usize> {
    use SigningAlgorithm as S;
    match alg {
        S::RsassaPssSha256 | S::RsassaPkcs1V15Sha256 | S::EcdsaSha256 | S::Sm2dsa => Some(32),
        S::RsassaPssSha384 | S::RsassaPkcs1V15Sha384 | S::EcdsaSha384 => Some(48),
        S::RsassaPssSha512 | S::RsassaPkcs1V15Sha512 | S::EcdsaSha512 | S::Ed25519PhSha512 => {
            Some(64)
        }
        S::MlDsaShake256 | S::Ed25519Sha512 => None,
    }
}

fn internal(what: &str) -> KmsError {
    KmsError::Internal(format!("{what} failed"))
}

impl KeyEngine {
    /// The AES-256-GCM cipher of symmetric material.
    pub(crate) fn cipher(&self) -> Option<&Aes256Gcm> {
        match self {
            Self::Symmetric(c) => Some(c),
            _ => None,
        }
    }

    /// The DER SubjectPublicKeyInfo of an asymmetric key.
    pub(crate) fn public_key_der(&self) -> Result<Vec<u8>, KmsError> {
        match self {
            Self::Rsa(k) => Ok(k.public_key_der().to_vec()),
            Self::Ecc(k) => Ok(k.public_key_der().to_vec()),
            Self::Ed25519(k) => Ok(k.public_key_der().to_vec()),
            Self::MlDsa(k) => Ok(k.public_key_der().to_vec()),
            Self::MlKem(k) => k.public_key_der(),
            Self::Sm2(k) => Ok(k.public_key_der().to_vec()),
            Self::Symmetric(_) | Self::Hmac(_) => Err(internal("public key of a symmetric key")),
        }
    }

    /// The private key as PKCS#8 DER (data key pairs).
    pub(crate) fn private_key_pkcs8(&self, material: &Secret) -> Result<Secret, KmsError> {
        match self {
            Self::Rsa(_) | Self::Ecc(_) => Ok(Secret::from_slice(material.expose())),
            Self::Ed25519(k) => k.pkcs8(),
            Self::MlKem(k) => k.pkcs8(),
            Self::Sm2(k) => k.pkcs8(),
            Self::MlDsa(_) | Self::Symmetric(_) | Self::Hmac(_) => {
                Err(internal("PKCS#8 export of this family"))
            }
        }
    }

    /// Signs `message` (already checked against the algorithm and message type).
    pub(crate) fn sign(
        &self,
        alg: SigningAlgorithm,
        kind: MessageType,
        message: &[u8],
    ) -> Result<Vec<u8>, KmsError> {
        match self {
            Self::Rsa(k) => k.sign(alg, kind, message),
            Self::Ecc(k) => k.sign(kind, message),
            Self::Ed25519(k) => k.sign(alg, message),
            Self::MlDsa(k) => k.sign(kind, message),
            Self::Sm2(k) => k.sign(kind, message),
            _ => Err(internal("signing with a key that cannot sign")),
        }
    }

    /// Whether `signature` is valid for `message`.
    pub(crate) fn verify(
        &self,
        alg: SigningAlgorithm,
        kind: MessageType,
        message: &[u8],
        signature: &[u8],
    ) -> bool {
        match self {
            Self::Rsa(k) => k.verify(alg, kind, message, signature),
            Self::Ecc(k) => k.verify(kind, message, signature),
            Self::Ed25519(k) => k.verify(alg, message, signature),
            Self::MlDsa(k) => k.verify(kind, message, signature),
            Self::Sm2(k) => k.verify(kind, message, signature),
            _ => false,
        }
    }

    /// The MAC of `message`.
    pub(crate) fn mac(&self, message: &[u8]) -> Result<Vec<u8>, KmsError> {
        match self {
            Self::Hmac(k) => Ok(k.mac(message)),
            _ => Err(internal("MAC with a non-HMAC key")),
        }
    }

    /// Whether `mac` is the MAC of `message`, compared in constant time.
    pub(crate) fn verify_mac(&self, message: &[u8], mac: &[u8]) -> bool {
        match self {
            Self::Hmac(k) => k.verify(message, mac),
            _ => false,
        }
    }

    /// The largest plaintext `alg` encrypts with this key.
    pub(crate) fn max_plaintext(&self, alg: EncryptionAlgorithm) -> usize {
        match self {
            Self::Rsa(k) => k.max_plaintext(alg),
            Self::Sm2(_) => sm2::MAX_PLAINTEXT,
            _ => 0,
        }
    }

    /// Public-key encryption (RSAES-OAEP, SM2PKE).
    pub(crate) fn encrypt(
        &self,
        alg: EncryptionAlgorithm,
        plaintext: &[u8],
        random: &dyn RandomSource,
    ) -> Result<Vec<u8>, KmsError> {
        match self {
            Self::Rsa(k) => k.encrypt(alg, plaintext),
            Self::Sm2(k) => k.encrypt(plaintext, random),
            _ => Err(internal("public-key encryption with this key")),
        }
    }

    /// Private-key decryption; `InvalidCiphertextException` when it fails.
    pub(crate) fn decrypt(
        &self,
        alg: EncryptionAlgorithm,
        ciphertext: &[u8],
    ) -> Result<Secret, KmsError> {
        match self {
            Self::Rsa(k) => k.decrypt(alg, ciphertext),
            Self::Sm2(k) => k.decrypt(ciphertext),
            _ => Err(KmsError::InvalidCiphertext),
        }
    }

    /// ECDH with a peer's DER SubjectPublicKeyInfo; `None` when the peer key is malformed or
    /// on another curve.
    pub(crate) fn derive_shared_secret(&self, peer_spki: &[u8]) -> Option<Secret> {
        match self {
            Self::Ecc(k) => k.agree(peer_spki),
            Self::Sm2(k) => k.agree(peer_spki),
            _ => None,
        }
    }

    /// ML-KEM encapsulation: `(ciphertext, shared secret)`.
    pub(crate) fn encapsulate(
        &self,
        random: &dyn RandomSource,
    ) -> Result<(Vec<u8>, Secret), KmsError> {
        match self {
            Self::MlKem(k) => Ok(k.encapsulate(random)),
            _ => Err(internal("encapsulation with a non-ML-KEM key")),
        }
    }

    /// ML-KEM decapsulation; `None` when the ciphertext has the wrong length.
    pub(crate) fn decapsulate(&self, ciphertext: &[u8]) -> Option<Secret> {
        match self {
            Self::MlKem(k) => k.decapsulate(ciphertext),
            _ => None,
        }
    }
}

/// Which hash a signing algorithm uses, for DIGEST messages.
fn aws_lc_digest(alg: SigningAlgorithm) -> &'static aws_lc_rs::digest::Algorithm {
    use aws_lc_rs::digest;
    match digest_len(alg) {
        Some(48) => &digest::SHA384,
        Some(64) => &digest::SHA512,
        _ => &digest::SHA256,
    }
}

/// Shared by every family's tests: sign, verify, and reject a flipped signature.
#[cfg(test)]
pub(crate) fn assert_signs(
    engine: &KeyEngine,
    alg: SigningAlgorithm,
    kind: MessageType,
    msg: &[u8],
) {
    let sig = engine.sign(alg, kind, msg).expect("sign");
    assert!(engine.verify(alg, kind, msg, &sig), "{alg} verifies");
    let mut bad = sig;
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert!(
        !engine.verify(alg, kind, msg, &bad),
        "{alg} rejects a flipped bit"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SeededRandom;

    #[test]
    fn every_spec_generates_and_parses() {
        let random = SeededRandom::new(7);
        for spec in KeySpec::ALL {
            let material = generate(*spec, &random).unwrap();
            let engine = parse(*spec, &material).unwrap();
            assert_eq!(
                spec.is_asymmetric(),
                engine.public_key_der().is_ok(),
                "{spec}"
            );
        }
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.trim().len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// The public keys of fixed private keys, against digests made by OpenSSL and Python
    /// `cryptography` (see `golden/README.md`): the encodings clients parse are pinned.
    #[test]
    fn golden_public_key_encodings() {
        use sha2::Digest as _;
        let seed32: Vec<u8> = (0..32).collect();
        let seed64: Vec<u8> = (0..64).collect();
        let cases = [
            (
                KeySpec::Rsa2048,
                unhex(include_str!("golden/rsa_2048.pkcs8.hex")),
                294,
                "ddd47280e196479997d1867550ceb087c7c1fc713c424cdd44818757ece5dd2a",
            ),
            (
                KeySpec::EccNistP256,
                unhex(include_str!("golden/ecc_nist_p256.pkcs8.hex")),
                91,
                "67d4f575f5307d0c92c232493de52e3efd6ff1dd9cc5dfd1ae25cd600b6f85cc",
            ),
            (
                KeySpec::EccNistEdwards25519,
                seed32.clone(),
                44,
                "a050837d85070582ccf7394b0988847cc312cb88259b894899f6f239cf1791a5",
            ),
            (
                KeySpec::MlDsa44,
                seed32.clone(),
                1334,
                "837832708c5236d951581f1fddf2b79991b3424a0486d16da1ddad0fd69701be",
            ),
            (
                KeySpec::MlDsa65,
                seed32.clone(),
                1974,
                "b8b62131bfbe84433efb2273d7f5b87f7a22854a2cfd366fc2aead86d837c52d",
            ),
            (
                KeySpec::MlDsa87,
                seed32,
                2614,
                "07e57c4f14dbad1267f621ec3777b4e2e6c4fbc4c22fbb87510ff8e0b3c6a642",
            ),
            (
                KeySpec::MlKem768,
                seed64.clone(),
                1206,
                "c23e23dd3d485a9256cda09358a4a286e00b373db10761eadf99f710649ca31c",
            ),
            (
                KeySpec::MlKem1024,
                seed64.clone(),
                1590,
                "d2b7480ae006a14b37c1e8a8e45ea39022e32a9b1a7b90d594c84d869c6ac420",
            ),
        ];
        for (spec, material, len, digest) in cases {
            let der = parse(spec, &Secret::new(material))
                .unwrap()
                .public_key_der()
                .unwrap();
            assert_eq!(der.len(), len, "{spec}");
            assert_eq!(
                crate::key::material::hex(&sha2::Sha256::digest(&der)),
                digest,
                "{spec}"
            );
        }
        // ML-KEM's private key in a data key pair is the seed-form PKCS#8 `cryptography` writes.
        let secret = Secret::new(seed64);
        let pkcs8 = parse(KeySpec::MlKem768, &secret)
            .unwrap()
            .private_key_pkcs8(&secret)
            .unwrap();
        assert_eq!(
            crate::key::material::hex(pkcs8.expose()),
            "3054020100300b060960864801650304040204428040000102030405060708090a0b0c0d0e0f\
             101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435\
             363738393a3b3c3d3e3f"
        );
    }

    #[test]
    fn imported_asymmetric_material_is_pkcs8_of_the_spec_only() {
        let pkcs8 = unhex(include_str!("golden/rsa_2048.pkcs8.hex"));
        // PrivateKeyInfo's header (sequence, version, rsaEncryption, octet string) is 26
        // bytes; what follows is the bare PKCS#1 RSAPrivateKey.
        let pkcs1 = &pkcs8[26..];
        assert!(rsa::import_der(pkcs1).is_some(), "seed files take PKCS#1");
        assert!(
            import_material(KeySpec::Rsa2048, pkcs1).is_none(),
            "imports do not"
        );
        let imported = import_material(KeySpec::Rsa2048, &pkcs8).unwrap();
        assert!(parse(KeySpec::Rsa2048, &imported).is_ok());
        assert!(
            import_material(KeySpec::Rsa3072, &pkcs8).is_none(),
            "another size"
        );
        let ec = unhex(include_str!("golden/ecc_nist_p256.pkcs8.hex"));
        assert!(import_material(KeySpec::EccNistP256, &ec).is_some());
        assert!(
            import_material(KeySpec::EccNistP384, &ec).is_none(),
            "another curve"
        );
        assert!(import_material(KeySpec::EccNistEdwards25519, &[1; 32]).is_none());
    }

    #[test]
    fn material_of_another_spec_is_rejected_without_quoting_it() {
        let random = SeededRandom::new(8);
        let ecc = generate(KeySpec::EccNistP256, &random).unwrap();
        for spec in [
            KeySpec::Rsa2048,
            KeySpec::EccNistP384,
            KeySpec::SymmetricDefault,
        ] {
            let err = parse(spec, &ecc).err().expect("rejected");
            assert!(!err.contains(&format!("{:?}", &ecc.expose()[..8])), "{err}");
        }
    }
}
