//! Shared-secret operations: DeriveSharedSecret (ECDH with KEY_AGREEMENT keys) and
//! Encapsulate / Decapsulate (ML-KEM with ENCAPSULATE_DECAPSULATE keys).

use std::sync::Arc;

use crate::crypto::recipient;
use crate::error::KmsError;
use crate::key::record::KeyRecord;
use crate::key::spec::{EncapsulationAlgorithm, KeyAgreementAlgorithm, KeyUsage};
use crate::kms::Kms;
use crate::ops::crypto::{current_material, dry_run, for_recipient, incompatible};
use crate::scope::Scope;
use crate::validate::{self, Violations};
use crate::wire::asymmetric::*;

impl Kms {
    /// ECDH between the key's private key and a peer's public key (DER SubjectPublicKeyInfo
    /// on the same curve); returns the raw shared secret.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.DeriveSharedSecret
    /// {"KeyId":"alias/ecdh","KeyAgreementAlgorithm":"ECDH","PublicKey":"MFkw..."}
    /// ```
    /// # Errors
    /// `NotFoundException`, `DisabledException`, `KMSInvalidStateException`,
    /// `InvalidKeyUsageException`, `ValidationException` (malformed or wrong-curve public key),
    /// `DryRunOperationException`.
    pub fn derive_shared_secret(
        &self,
        scope: &Scope,
        req: DeriveSharedSecretRequest,
    ) -> Result<DeriveSharedSecretResponse, KmsError> {
        let mut v = Violations::new();
        let key_id = validate::key_id(&mut v, "keyId", &req.key_id);
        v.required("keyAgreementAlgorithm", &req.key_agreement_algorithm);
        let alg = v.enumeration(
            "keyAgreementAlgorithm",
            req.key_agreement_algorithm.as_deref(),
            KeyAgreementAlgorithm::parse,
            KeyAgreementAlgorithm::enum_set,
        );
        v.required("publicKey", &req.public_key);
        v.blob_len("publicKey", req.public_key.as_deref(), 1, 8192);
        crate::ops::grants::grant_tokens_member(&mut v, req.grant_tokens.as_deref());
        v.finish()?;
        self.check_grant_tokens(scope, req.grant_tokens.as_deref())?;
        let recipient = recipient::parse(req.recipient.as_ref())?;
        let key = self.resolve(scope, key_id.unwrap_or_default(), true)?;
        key.check_usable()?;
        key.check_usage(KeyUsage::KeyAgreement, "DeriveSharedSecret")?;
        let alg = alg.unwrap_or(KeyAgreementAlgorithm::Ecdh);
        if !key
            .key_spec
            .algorithms(key.key_usage)
            .key_agreement
            .contains(&alg)
        {
            return Err(incompatible(alg.as_str(), key.key_spec));
        }
        let engine = current_material(&key)?.engine()?;
        let secret = engine
            .derive_shared_secret(req.public_key.as_deref().unwrap_or_default())
            // AWS answers a malformed peer key with an empty message.
            .ok_or_else(|| KmsError::Validation(String::new()))?;
        dry_run(req.dry_run)?;
        let (shared_secret, ciphertext_for_recipient) =
            for_recipient(recipient.as_ref(), secret, self.random())?;
        self.note_use(&key, crate::Operation::DeriveSharedSecret);
        Ok(DeriveSharedSecretResponse {
            key_id: key.arn.to_string(),
            shared_secret,
            ciphertext_for_recipient,
            key_agreement_algorithm: alg.as_str().into(),
            key_origin: key.origin.as_str().into(),
        })
    }

    /// ML-KEM encapsulation to the key's public key: a fresh shared secret and the ciphertext
    /// that carries it.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.Encapsulate
    /// {"KeyId":"alias/kem","EncapsulationAlgorithm":"ML_KEM"}
    /// ```
    /// # Errors
    /// `NotFoundException`, `DisabledException`, `KMSInvalidStateException`,
    /// `InvalidKeyUsageException`, `ValidationException`, `DryRunOperationException`.
    pub fn encapsulate(
        &self,
        scope: &Scope,
        req: EncapsulateRequest,
    ) -> Result<EncapsulateResponse, KmsError> {
        let (key, alg) = self.kem_request(
            scope,
            &req.key_id,
            &req.encapsulation_algorithm,
            req.grant_tokens.as_deref(),
            None,
            "Encapsulate",
        )?;
        let engine = current_material(&key)?.engine()?;
        dry_run(req.dry_run)?;
        let (ciphertext, secret) = engine.encapsulate(self.random())?;
        self.note_use(&key, crate::Operation::Encapsulate);
        Ok(EncapsulateResponse {
            key_id: key.arn.to_string(),
            shared_secret: Some(secret),
            shared_secret_ciphertext_blob: Some(ciphertext),
            encapsulation_algorithm: alg.as_str().into(),
        })
    }

    /// ML-KEM decapsulation with the key's private key.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.Decapsulate
    /// {"KeyId":"alias/kem","SharedSecretCiphertextBlob":"...","EncapsulationAlgorithm":"ML_KEM"}
    /// ```
    /// # Errors
    /// As Encapsulate, and `InvalidCiphertextException` for a ciphertext of the wrong length.
    pub fn decapsulate(
        &self,
        scope: &Scope,
        req: DecapsulateRequest,
    ) -> Result<DecapsulateResponse, KmsError> {
        let (key, alg) = self.kem_request(
            scope,
            &req.key_id,
            &req.encapsulation_algorithm,
            req.grant_tokens.as_deref(),
            Some(req.shared_secret_ciphertext_blob.as_deref()),
            "Decapsulate",
        )?;
        let engine = current_material(&key)?.engine()?;
        let secret = engine
            .decapsulate(
                req.shared_secret_ciphertext_blob
                    .as_deref()
                    .unwrap_or_default(),
            )
            .ok_or(KmsError::InvalidCiphertext)?;
        dry_run(req.dry_run)?;
        self.note_use(&key, crate::Operation::Decapsulate);
        Ok(DecapsulateResponse {
            key_id: key.arn.to_string(),
            shared_secret: Some(secret),
            encapsulation_algorithm: alg.as_str().into(),
        })
    }

    fn kem_request(
        &self,
        scope: &Scope,
        key_id: &Option<String>,
        algorithm: &Option<String>,
        grant_tokens: Option<&[String]>,
        ciphertext: Option<Option<&[u8]>>,
        operation: &str,
    ) -> Result<(Arc<KeyRecord>, EncapsulationAlgorithm), KmsError> {
        let mut v = Violations::new();
        let key_id = validate::key_id(&mut v, "keyId", key_id);
        if let Some(ciphertext) = ciphertext {
            v.required("sharedSecretCiphertextBlob", &ciphertext);
            v.blob_len("sharedSecretCiphertextBlob", ciphertext, 1, 6144);
        }
        v.required("encapsulationAlgorithm", algorithm);
        let alg = v.enumeration(
            "encapsulationAlgorithm",
            algorithm.as_deref(),
            EncapsulationAlgorithm::parse,
            EncapsulationAlgorithm::enum_set,
        );
        crate::ops::grants::grant_tokens_member(&mut v, grant_tokens);
        v.finish()?;
        self.check_grant_tokens(scope, grant_tokens)?;
        let alg = alg.unwrap_or(EncapsulationAlgorithm::MlKem);
        let key = self.resolve(scope, key_id.unwrap_or_default(), true)?;
        key.check_usable()?;
        key.check_usage(KeyUsage::EncapsulateDecapsulate, operation)?;
        if !key
            .key_spec
            .algorithms(key.key_usage)
            .encapsulation
            .contains(&alg)
        {
            return Err(incompatible(alg.as_str(), key.key_spec));
        }
        Ok((key, alg))
    }
}
