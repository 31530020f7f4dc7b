//! Public-key operations on SIGN_VERIFY and other asymmetric keys: GetPublicKey, Sign and
//! Verify (RSA, ECDSA, Ed25519 and ML-DSA; the families are in `key::family`).

use std::sync::Arc;

use crate::error::KmsError;
use crate::key::family::{self, KeyEngine, MU_LEN};
use crate::key::record::KeyRecord;
use crate::key::spec::{KeySpec, KeyUsage, MessageType, SigningAlgorithm};
use crate::kms::Kms;
use crate::ops::crypto::{current_material, dry_run, incompatible};
use crate::ops::keys::names;
use crate::scope::Scope;
use crate::validate::{self, Violations};
use crate::wire::asymmetric::*;

impl Kms {
    /// Returns the public key of an asymmetric key as DER SubjectPublicKeyInfo, with the
    /// key's spec, usage and algorithms.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.GetPublicKey
    /// {"KeyId":"alias/signer"}
    /// ```
    /// # Errors
    /// `NotFoundException`, `DisabledException`, `KMSInvalidStateException`,
    /// `UnsupportedOperationException` (symmetric and HMAC keys), `ValidationException`.
    pub fn get_public_key(
        &self,
        scope: &Scope,
        req: GetPublicKeyRequest,
    ) -> Result<GetPublicKeyResponse, KmsError> {
        let mut v = Violations::new();
        let key_id = validate::key_id(&mut v, "keyId", &req.key_id);
        crate::ops::grants::grant_tokens_member(&mut v, req.grant_tokens.as_deref());
        v.finish()?;
        self.check_grant_tokens(scope, req.grant_tokens.as_deref())?;
        let key = self.resolve(scope, key_id.unwrap_or_default(), true)?;
        key.check_usable()?;
        if !key.key_spec.is_asymmetric() {
            // AWS answers symmetric and HMAC keys with an empty message.
            return Err(KmsError::UnsupportedOperation(String::new()));
        }
        let public_key = current_material(&key)?.engine()?.public_key_der()?;
        let algorithms = key.key_spec.algorithms(key.key_usage);
        Ok(GetPublicKeyResponse {
            key_id: key.arn.to_string(),
            public_key: Some(public_key),
            customer_master_key_spec: key
                .key_spec
                .is_customer_master_key_spec()
                .then(|| key.key_spec.as_str().into()),
            key_spec: key.key_spec.as_str().into(),
            key_usage: key.key_usage.as_str().into(),
            encryption_algorithms: names(algorithms.encryption),
            signing_algorithms: names(algorithms.signing),
            key_agreement_algorithms: names(algorithms.key_agreement),
            encapsulation_algorithms: names(algorithms.encapsulation),
        })
    }

    /// Signs a message (RAW), a digest (DIGEST) or an ML-DSA mu (EXTERNAL_MU).
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.Sign
    /// {"KeyId":"alias/signer","Message":"aGVsbG8=","SigningAlgorithm":"ECDSA_SHA_256"}
    /// ```
    /// # Errors
    /// `NotFoundException`, `DisabledException`, `KMSInvalidStateException`,
    /// `InvalidKeyUsageException`, `ValidationException`, `DryRunOperationException`.
    pub fn sign(&self, scope: &Scope, req: SignRequest) -> Result<SignResponse, KmsError> {
        let message = req.message.as_ref().map(crate::Secret::expose);
        let (key, alg, kind) = self.signing_request(
            scope,
            SigningMembers {
                key_id: &req.key_id,
                message,
                message_type: &req.message_type,
                signing_algorithm: &req.signing_algorithm,
                grant_tokens: req.grant_tokens.as_deref(),
                signature: None,
            },
            "Sign",
        )?;
        let engine = signing_engine(&key)?;
        dry_run(req.dry_run)?;
        let signature = engine.sign(alg, kind, message.unwrap_or_default())?;
        self.note_use(&key, crate::Operation::Sign);
        Ok(SignResponse {
            key_id: key.arn.to_string(),
            signature: Some(signature),
            signing_algorithm: alg.as_str().into(),
        })
    }

    /// Verifies a signature; a signature that does not verify is
    /// `KMSInvalidSignatureException`, as AWS answers.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.Verify
    /// {"KeyId":"alias/signer","Message":"aGVsbG8=","Signature":"MEUC...","SigningAlgorithm":"ECDSA_SHA_256"}
    /// ```
    /// # Errors
    /// As Sign, and `KMSInvalidSignatureException`.
    pub fn verify(&self, scope: &Scope, req: VerifyRequest) -> Result<VerifyResponse, KmsError> {
        let message = req.message.as_ref().map(crate::Secret::expose);
        let (key, alg, kind) = self.signing_request(
            scope,
            SigningMembers {
                key_id: &req.key_id,
                message,
                message_type: &req.message_type,
                signing_algorithm: &req.signing_algorithm,
                grant_tokens: req.grant_tokens.as_deref(),
                signature: Some(req.signature.as_deref()),
            },
            "Verify",
        )?;
        let engine = signing_engine(&key)?;
        dry_run(req.dry_run)?;
        let signature = req.signature.as_deref().unwrap_or_default();
        if !engine.verify(alg, kind, message.unwrap_or_default(), signature) {
            return Err(KmsError::InvalidSignature);
        }
        self.note_use(&key, crate::Operation::Verify);
        Ok(VerifyResponse {
            key_id: key.arn.to_string(),
            signature_valid: true,
            signing_algorithm: alg.as_str().into(),
        })
    }

    /// Validates a Sign or Verify request and finds its key, in AWS's order: members, key
    /// state, key usage, algorithm, message type and length.
    fn signing_request(
        &self,
        scope: &Scope,
        m: SigningMembers<'_>,
        operation: &str,
    ) -> Result<(Arc<KeyRecord>, SigningAlgorithm, MessageType), KmsError> {
        let mut v = Violations::new();
        let key_id = validate::key_id(&mut v, "keyId", m.key_id);
        v.required("message", &m.message);
        v.blob_len("message", m.message, 1, 4096);
        let kind = v.enumeration(
            "messageType",
            m.message_type.as_deref(),
            MessageType::parse,
            MessageType::enum_set,
        );
        if let Some(signature) = m.signature {
            v.required("signature", &signature);
            v.blob_len("signature", signature, 1, 6144);
        }
        v.required("signingAlgorithm", m.signing_algorithm);
        let alg = v.enumeration(
            "signingAlgorithm",
            m.signing_algorithm.as_deref(),
            SigningAlgorithm::parse,
            SigningAlgorithm::enum_set,
        );
        crate::ops::grants::grant_tokens_member(&mut v, m.grant_tokens);
        v.finish()?;
        self.check_grant_tokens(scope, m.grant_tokens)?;
        let (Some(alg), message) = (alg, m.message.unwrap_or_default()) else {
            return Err(KmsError::Internal("validated member missing".into()));
        };
        let key = self.resolve(scope, key_id.unwrap_or_default(), true)?;
        key.check_usable()?;
        key.check_usage(KeyUsage::SignVerify, operation)?;
        if !key
            .key_spec
            .algorithms(key.key_usage)
            .signing
            .contains(&alg)
        {
            return Err(incompatible(alg.as_str(), key.key_spec));
        }
        let kind = kind.unwrap_or(MessageType::Raw);
        check_message(key.key_spec, alg, kind, message.len())?;
        Ok((key, alg, kind))
    }
}

/// The members Sign and Verify share.
struct SigningMembers<'a> {
    key_id: &'a Option<String>,
    message: Option<&'a [u8]>,
    message_type: &'a Option<String>,
    signing_algorithm: &'a Option<String>,
    grant_tokens: Option<&'a [String]>,
    /// Verify's signature member (`None` for Sign).
    signature: Option<Option<&'a [u8]>>,
}

fn signing_engine(key: &KeyRecord) -> Result<&KeyEngine, KmsError> {
    current_material(key)?.engine()
}

/// AWS's rules for MessageType: DIGEST is exactly the algorithm's hash length; Ed25519 takes
/// RAW with ED25519_SHA_512 and DIGEST with ED25519_PH_SHA_512; EXTERNAL_MU is a 64-byte mu
/// for ML-DSA only, which signs RAW messages otherwise. The Ed25519 and ML-DSA texts were
/// measured against AWS by another emulator's tests (floci); the EXTERNAL_MU ones are our best
/// reading of AWS's pattern.
fn check_message(
    spec: KeySpec,
    alg: SigningAlgorithm,
    kind: MessageType,
    len: usize,
) -> Result<(), KmsError> {
    use SigningAlgorithm as S;
    let invalid = |text: String| Err(KmsError::Validation(text));
    let incompatible_type =
        |what: &str| invalid(format!("Message type {kind} is incompatible with {what}."));
    match (alg, kind) {
        (S::Ed25519Sha512, MessageType::Raw) | (S::MlDsaShake256, MessageType::Raw) => Ok(()),
        (S::Ed25519Sha512, _) => incompatible_type(&format!("algorithm {alg}")),
        (S::Ed25519PhSha512, MessageType::Digest) if len == 64 => Ok(()),
        (S::Ed25519PhSha512, MessageType::Digest) => invalid(digest_length(alg)),
        (S::Ed25519PhSha512, _) => incompatible_type(&format!("algorithm {alg}")),
        (S::MlDsaShake256, MessageType::ExternalMu) if len == MU_LEN => Ok(()),
        (S::MlDsaShake256, MessageType::ExternalMu) => invalid(format!(
            "External Mu is invalid length for algorithm {alg}."
        )),
        (S::MlDsaShake256, _) => incompatible_type(&format!("key spec {spec}")),
        (_, MessageType::ExternalMu) => incompatible_type(&format!("algorithm {alg}")),
        (_, MessageType::Digest) if Some(len) != family::digest_len(alg) => {
            invalid(digest_length(alg))
        }
        _ => Ok(()),
    }
}

fn digest_length(alg: SigningAlgorithm) -> String {
    format!("Digest is invalid length for algorithm {alg}.")
}
