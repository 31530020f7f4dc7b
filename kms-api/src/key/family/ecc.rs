//! ECC_NIST_P256/P384/P521 and ECC_SECG_P256K1 material: PKCS#8 DER, used through AWS-LC for
//! ECDSA (DER signatures, the curve's hash) and, on the NIST curves, ECDH.

use aws_lc_rs::agreement::{self, ParsedPublicKey, ParsedPublicKeyFormat};
use aws_lc_rs::digest::Digest;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, EcdsaSigningAlgorithm, EcdsaVerificationAlgorithm, KeyPair as _,
    UnparsedPublicKey,
};

use crate::error::KmsError;
use crate::key::spec::{KeySpec, MessageType};
use crate::secret::Secret;

pub(crate) struct EccKey {
    signing: EcdsaKeyPair,
    verification: &'static EcdsaVerificationAlgorithm,
    digest: &'static aws_lc_rs::digest::Algorithm,
    /// The uncompressed point, as AWS-LC's verifier takes it.
    public_point: Vec<u8>,
    public_spki: Vec<u8>,
    /// ECDH on the NIST curves (secp256k1 has no key agreement in KMS).
    agreement: Option<(agreement::PrivateKey, &'static agreement::Algorithm)>,
}

struct Curve {
    signing: &'static EcdsaSigningAlgorithm,
    verification: &'static EcdsaVerificationAlgorithm,
    digest: &'static aws_lc_rs::digest::Algorithm,
    agreement: Option<&'static agreement::Algorithm>,
}

fn curve(spec: KeySpec) -> Curve {
    use aws_lc_rs::digest::{SHA256, SHA384, SHA512};
    match spec {
        KeySpec::EccNistP384 => Curve {
            signing: &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
            verification: &signature::ECDSA_P384_SHA384_ASN1,
            digest: &SHA384,
            agreement: Some(&agreement::ECDH_P384),
        },
        KeySpec::EccNistP521 => Curve {
            signing: &signature::ECDSA_P521_SHA512_ASN1_SIGNING,
            verification: &signature::ECDSA_P521_SHA512_ASN1,
            digest: &SHA512,
            agreement: Some(&agreement::ECDH_P521),
        },
        KeySpec::EccSecgP256k1 => Curve {
            signing: &signature::ECDSA_P256K1_SHA256_ASN1_SIGNING,
            verification: &signature::ECDSA_P256K1_SHA256_ASN1,
            digest: &SHA256,
            agreement: None,
        },
        _ => Curve {
            signing: &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            verification: &signature::ECDSA_P256_SHA256_ASN1,
            digest: &SHA256,
            agreement: Some(&agreement::ECDH_P256),
        },
    }
}

pub(super) fn generate(spec: KeySpec) -> Result<Secret, KmsError> {
    let fail = || KmsError::Internal("ECC key generation failed".into());
    let pair = EcdsaKeyPair::generate(curve(spec).signing).map_err(|_| fail())?;
    let der = pair.to_pkcs8v1().map_err(|_| fail())?;
    Ok(Secret::from_slice(der.as_ref()))
}

/// A PKCS#8 or SEC1 EC private key on a curve KMS offers, re-encoded as PKCS#8.
pub(super) fn import_der(der: &[u8]) -> Option<(KeySpec, Secret)> {
    [
        KeySpec::EccNistP256,
        KeySpec::EccNistP384,
        KeySpec::EccNistP521,
        KeySpec::EccSecgP256k1,
    ]
    .into_iter()
    .find_map(|spec| {
        let pair = EcdsaKeyPair::from_private_key_der(curve(spec).signing, der).ok()?;
        let pkcs8 = pair.to_pkcs8v1().ok()?;
        Some((spec, Secret::from_slice(pkcs8.as_ref())))
    })
}

/// A PKCS#8 EC private key on `spec`'s curve (imported material), re-encoded by AWS-LC so
/// that every valid PKCS#8 form of one key is the same material.
pub(super) fn import_pkcs8(spec: KeySpec, der: &[u8]) -> Option<Secret> {
    let pair = EcdsaKeyPair::from_pkcs8(curve(spec).signing, der).ok()?;
    Some(Secret::from_slice(pair.to_pkcs8v1().ok()?.as_ref()))
}

pub(super) fn parse(spec: KeySpec, material: &Secret) -> Result<EccKey, String> {
    let c = curve(spec);
    let bad = || format!("{spec} material is not a PKCS#8 key on the spec's curve");
    let signing = EcdsaKeyPair::from_pkcs8(c.signing, material.expose()).map_err(|_| bad())?;
    let public_spki = signing
        .public_key()
        .as_der()
        .map_err(|_| bad())?
        .as_ref()
        .to_vec();
    let agreement = match c.agreement {
        Some(alg) => Some((
            agreement::PrivateKey::from_private_key_der(alg, material.expose())
                .map_err(|_| bad())?,
            alg,
        )),
        None => None,
    };
    Ok(EccKey {
        public_point: signing.public_key().as_ref().to_vec(),
        signing,
        verification: c.verification,
        digest: c.digest,
        public_spki,
        agreement,
    })
}

impl EccKey {
    pub(super) fn public_key_der(&self) -> &[u8] {
        &self.public_spki
    }

    pub(super) fn sign(&self, kind: MessageType, message: &[u8]) -> Result<Vec<u8>, KmsError> {
        let sig = match kind {
            MessageType::Digest => Digest::import_less_safe(message, self.digest)
                .and_then(|d| self.signing.sign_digest(&d)),
            _ => self.signing.sign(&SystemRandom::new(), message),
        }
        .map_err(|_| KmsError::Internal("ECDSA signing failed".into()))?;
        Ok(sig.as_ref().to_vec())
    }

    pub(super) fn verify(&self, kind: MessageType, message: &[u8], sig: &[u8]) -> bool {
        let key = UnparsedPublicKey::new(self.verification, &self.public_point);
        match kind {
            MessageType::Digest => Digest::import_less_safe(message, self.digest)
                .and_then(|d| key.verify_digest(&d, sig))
                .is_ok(),
            _ => key.verify(message, sig).is_ok(),
        }
    }

    /// ECDH with a peer SubjectPublicKeyInfo on the same curve: the raw shared secret (the
    /// x-coordinate), as KMS returns it.
    pub(super) fn agree(&self, peer_spki: &[u8]) -> Option<Secret> {
        let (private, alg) = self.agreement.as_ref()?;
        let peer =
            ParsedPublicKey::try_from(&agreement::UnparsedPublicKey::new(alg, peer_spki)).ok()?;
        if peer.format() != ParsedPublicKeyFormat::X509 {
            return None;
        }
        agreement::agree(private, peer, (), |secret| Ok(Secret::from_slice(secret))).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::family::{assert_signs, parse as parse_engine};
    use crate::key::spec::SigningAlgorithm;

    #[test]
    fn every_curve_signs_raw_and_digest_messages() {
        for (spec, alg, len) in [
            (KeySpec::EccNistP256, SigningAlgorithm::EcdsaSha256, 32),
            (KeySpec::EccNistP384, SigningAlgorithm::EcdsaSha384, 48),
            (KeySpec::EccNistP521, SigningAlgorithm::EcdsaSha512, 64),
            (KeySpec::EccSecgP256k1, SigningAlgorithm::EcdsaSha256, 32),
        ] {
            let engine = parse_engine(spec, &generate(spec).unwrap()).unwrap();
            assert_signs(&engine, alg, MessageType::Raw, b"hello");
            assert_signs(&engine, alg, MessageType::Digest, &vec![3u8; len]);
        }
    }

    #[test]
    fn ecdh_agrees_both_ways_and_rejects_other_curves_and_raw_points() {
        let a = parse(
            KeySpec::EccNistP256,
            &generate(KeySpec::EccNistP256).unwrap(),
        )
        .unwrap();
        let b = parse(
            KeySpec::EccNistP256,
            &generate(KeySpec::EccNistP256).unwrap(),
        )
        .unwrap();
        let ab = a.agree(b.public_key_der()).unwrap();
        let ba = b.agree(a.public_key_der()).unwrap();
        assert_eq!(ab.expose(), ba.expose());
        assert_eq!(ab.len(), 32);
        let p384 = parse(
            KeySpec::EccNistP384,
            &generate(KeySpec::EccNistP384).unwrap(),
        )
        .unwrap();
        assert!(a.agree(p384.public_key_der()).is_none(), "wrong curve");
        assert!(a.agree(&b.public_point).is_none(), "not an SPKI");
        assert!(a.agree(b"garbage").is_none());
        let k1 = parse(
            KeySpec::EccSecgP256k1,
            &generate(KeySpec::EccSecgP256k1).unwrap(),
        )
        .unwrap();
        assert!(
            k1.agree(a.public_key_der()).is_none(),
            "no ECDH on secp256k1"
        );
    }
}
