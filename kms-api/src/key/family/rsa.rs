//! RSA_2048/3072/4096 material: PKCS#8 DER, used through AWS-LC for RSASSA-PSS (salt as long
//! as the digest, as AWS signs), RSASSA-PKCS1-v1_5 and RSAES-OAEP (SHA-1 or SHA-256 with the
//! same MGF1 hash).

use aws_lc_rs::digest::Digest;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{
    KeyPair, KeySize, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey,
    OaepPublicEncryptingKey, PrivateDecryptingKey,
};
use aws_lc_rs::signature::{self, KeyPair as _, RsaEncoding, UnparsedPublicKey};
use zeroize::Zeroizing;

use super::aws_lc_digest;
use crate::error::KmsError;
use crate::key::spec::{EncryptionAlgorithm, KeySpec, MessageType, SigningAlgorithm};
use crate::secret::Secret;

pub(crate) struct RsaKey {
    signing: KeyPair,
    decrypting: OaepPrivateDecryptingKey,
    encrypting: OaepPublicEncryptingKey,
    /// PKCS#1 RSAPublicKey, as AWS-LC's verifier takes it.
    public_pkcs1: Vec<u8>,
    public_spki: Vec<u8>,
}

fn key_size(spec: KeySpec) -> KeySize {
    match spec {
        KeySpec::Rsa3072 => KeySize::Rsa3072,
        KeySpec::Rsa4096 => KeySize::Rsa4096,
        _ => KeySize::Rsa2048,
    }
}

fn modulus_bits(spec: KeySpec) -> usize {
    key_size(spec).len() * 8
}

/// A new key pair as PKCS#8 DER (slow: a 4096-bit key takes about a second; see `rsa_pool`).
pub(crate) fn generate_now(spec: KeySpec) -> Result<Secret, KmsError> {
    let pair = KeyPair::generate(key_size(spec))
        .map_err(|_| KmsError::Internal("RSA key generation failed".into()))?;
    let der = pair
        .as_der()
        .map_err(|_| KmsError::Internal("RSA key encoding failed".into()))?;
    Ok(Secret::from_slice(der.as_ref()))
}

/// A PKCS#8 or PKCS#1 RSA private key of a size KMS offers, re-encoded as PKCS#8.
pub(super) fn import_der(der: &[u8]) -> Option<(KeySpec, Secret)> {
    let pair = KeyPair::from_pkcs8(der)
        .or_else(|_| KeyPair::from_der(der))
        .ok()?;
    let spec = [KeySpec::Rsa2048, KeySpec::Rsa3072, KeySpec::Rsa4096]
        .into_iter()
        .find(|s| modulus_bits(*s) == pair.public_modulus_len() * 8)?;
    let pkcs8 = pair.as_der().ok()?;
    Some((spec, Secret::from_slice(pkcs8.as_ref())))
}

/// A PKCS#8 RSA private key of `spec`'s size (imported material), re-encoded by AWS-LC so
/// that every valid PKCS#8 form of one key is the same material.
pub(super) fn import_pkcs8(spec: KeySpec, der: &[u8]) -> Option<Secret> {
    let pair = KeyPair::from_pkcs8(der).ok()?;
    if pair.public_modulus_len() * 8 != modulus_bits(spec) {
        return None;
    }
    Some(Secret::from_slice(pair.as_der().ok()?.as_ref()))
}

pub(super) fn parse(spec: KeySpec, material: &Secret) -> Result<RsaKey, String> {
    let bad = |what: &str| format!("{spec} material is not {what}");
    let signing = KeyPair::from_pkcs8(material.expose()).map_err(|_| bad("an RSA PKCS#8 key"))?;
    if signing.public_modulus_len() * 8 != modulus_bits(spec) {
        return Err(bad("of the spec's modulus size"));
    }
    let private =
        PrivateDecryptingKey::from_pkcs8(material.expose()).map_err(|_| bad("an RSA key"))?;
    let public = private.public_key();
    let public_spki = public
        .as_der()
        .map_err(|_| bad("encodable"))?
        .as_ref()
        .to_vec();
    let encrypting = OaepPublicEncryptingKey::new(public).map_err(|_| bad("usable for OAEP"))?;
    let decrypting = OaepPrivateDecryptingKey::new(private).map_err(|_| bad("usable for OAEP"))?;
    Ok(RsaKey {
        public_pkcs1: signing.public_key().as_ref().to_vec(),
        signing,
        decrypting,
        encrypting,
        public_spki,
    })
}

fn encoding(alg: SigningAlgorithm) -> &'static dyn RsaEncoding {
    use SigningAlgorithm as S;
    match alg {
        S::RsassaPssSha384 => &signature::RSA_PSS_SHA384,
        S::RsassaPssSha512 => &signature::RSA_PSS_SHA512,
        S::RsassaPkcs1V15Sha256 => &signature::RSA_PKCS1_SHA256,
        S::RsassaPkcs1V15Sha384 => &signature::RSA_PKCS1_SHA384,
        S::RsassaPkcs1V15Sha512 => &signature::RSA_PKCS1_SHA512,
        _ => &signature::RSA_PSS_SHA256,
    }
}

fn verification(alg: SigningAlgorithm) -> &'static signature::RsaParameters {
    use SigningAlgorithm as S;
    match alg {
        S::RsassaPssSha384 => &signature::RSA_PSS_2048_8192_SHA384,
        S::RsassaPssSha512 => &signature::RSA_PSS_2048_8192_SHA512,
        S::RsassaPkcs1V15Sha256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        S::RsassaPkcs1V15Sha384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        S::RsassaPkcs1V15Sha512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        _ => &signature::RSA_PSS_2048_8192_SHA256,
    }
}

fn oaep(alg: EncryptionAlgorithm) -> &'static aws_lc_rs::rsa::OaepAlgorithm {
    match alg {
        EncryptionAlgorithm::RsaesOaepSha1 => &OAEP_SHA1_MGF1SHA1,
        _ => &OAEP_SHA256_MGF1SHA256,
    }
}

impl RsaKey {
    pub(super) fn public_key_der(&self) -> &[u8] {
        &self.public_spki
    }

    pub(super) fn sign(
        &self,
        alg: SigningAlgorithm,
        kind: MessageType,
        message: &[u8],
    ) -> Result<Vec<u8>, KmsError> {
        let mut sig = vec![0u8; self.signing.public_modulus_len()];
        let signed = match kind {
            MessageType::Digest => Digest::import_less_safe(message, aws_lc_digest(alg))
                .and_then(|d| self.signing.sign_digest(encoding(alg), &d, &mut sig)),
            _ => self
                .signing
                .sign(encoding(alg), &SystemRandom::new(), message, &mut sig),
        };
        signed.map_err(|_| KmsError::Internal("RSA signing failed".into()))?;
        Ok(sig)
    }

    pub(super) fn verify(
        &self,
        alg: SigningAlgorithm,
        kind: MessageType,
        message: &[u8],
        sig: &[u8],
    ) -> bool {
        let key = UnparsedPublicKey::new(verification(alg), &self.public_pkcs1);
        match kind {
            MessageType::Digest => Digest::import_less_safe(message, aws_lc_digest(alg))
                .and_then(|d| key.verify_digest(&d, sig))
                .is_ok(),
            _ => key.verify(message, sig).is_ok(),
        }
    }

    /// AWS's limit: the OAEP maximum, `k - 2 * hLen - 2`.
    pub(super) fn max_plaintext(&self, alg: EncryptionAlgorithm) -> usize {
        self.encrypting.max_plaintext_size(oaep(alg))
    }

    pub(super) fn encrypt(
        &self,
        alg: EncryptionAlgorithm,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, KmsError> {
        let mut out = vec![0u8; self.encrypting.ciphertext_size()];
        let len = self
            .encrypting
            .encrypt(oaep(alg), plaintext, &mut out, None)
            .map_err(|_| KmsError::Internal("RSA encryption failed".into()))?
            .len();
        out.truncate(len);
        Ok(out)
    }

    pub(super) fn decrypt(
        &self,
        alg: EncryptionAlgorithm,
        ciphertext: &[u8],
    ) -> Result<Secret, KmsError> {
        let mut out = Zeroizing::new(vec![0u8; self.decrypting.min_output_size()]);
        let plaintext = self
            .decrypting
            .decrypt(oaep(alg), ciphertext, &mut out, None)
            .map_err(|_| KmsError::InvalidCiphertext)?;
        Ok(Secret::from_slice(plaintext))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::family::{KeyEngine, assert_signs, parse as parse_engine};

    #[test]
    fn signs_and_encrypts_with_aws_limits() {
        let material = generate_now(KeySpec::Rsa2048).unwrap();
        let engine = parse_engine(KeySpec::Rsa2048, &material).unwrap();
        for alg in KeySpec::Rsa2048
            .algorithms(crate::KeyUsage::SignVerify)
            .signing
        {
            assert_signs(&engine, *alg, MessageType::Raw, b"message");
            let digest = vec![7u8; super::super::digest_len(*alg).unwrap()];
            assert_signs(&engine, *alg, MessageType::Digest, &digest);
        }
        let KeyEngine::Rsa(key) = &engine else {
            unreachable!()
        };
        assert_eq!(key.max_plaintext(EncryptionAlgorithm::RsaesOaepSha1), 214);
        assert_eq!(key.max_plaintext(EncryptionAlgorithm::RsaesOaepSha256), 190);
        let ct = key
            .encrypt(EncryptionAlgorithm::RsaesOaepSha256, b"secret")
            .unwrap();
        assert_eq!(ct.len(), 256);
        let pt = key
            .decrypt(EncryptionAlgorithm::RsaesOaepSha256, &ct)
            .unwrap();
        assert_eq!(pt.expose(), b"secret");
        assert_eq!(
            key.decrypt(EncryptionAlgorithm::RsaesOaepSha1, &ct)
                .err()
                .unwrap(),
            KmsError::InvalidCiphertext
        );
        assert!(
            parse(KeySpec::Rsa3072, &material).is_err(),
            "size is checked"
        );
    }
}
