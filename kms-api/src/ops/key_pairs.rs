//! Data key pairs: GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext. A fresh key
//! pair of any DataKeyPairSpec, its PKCS#8 private key encrypted under a symmetric KMS key.

use std::sync::Arc;

use crate::crypto::blob;
use crate::crypto::recipient;
use crate::error::KmsError;
use crate::key::family;
use crate::key::material::KeyMaterial;
use crate::key::record::KeyRecord;
use crate::key::spec::DataKeyPairSpec;
use crate::kms::Kms;
use crate::ops::crypto::{context, current_material, dry_run, for_recipient};
use crate::scope::Scope;
use crate::validate::{self, Violations};
use crate::wire::asymmetric::*;

/// A generated pair: the KMS key, its material, the spec, the PKCS#8 private key in plaintext
/// and encrypted, and the public key.
struct DataKeyPair {
    key: Arc<KeyRecord>,
    material: Arc<KeyMaterial>,
    spec: DataKeyPairSpec,
    private_plaintext: crate::Secret,
    private_ciphertext: Vec<u8>,
    public_key: Vec<u8>,
}

impl Kms {
    /// Generates a key pair for use outside KMS: the PKCS#8 DER private key in plaintext and
    /// encrypted under a symmetric KMS key, and the DER SubjectPublicKeyInfo public key.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.GenerateDataKeyPair
    /// {"KeyId":"alias/app","KeyPairSpec":"ECC_NIST_P256"}
    /// ```
    /// # Errors
    /// `NotFoundException`, `DisabledException`, `KMSInvalidStateException`,
    /// `InvalidKeyUsageException`, `ValidationException`, `UnsupportedOperationException`
    /// (SM2), `DryRunOperationException`.
    pub fn generate_data_key_pair(
        &self,
        scope: &Scope,
        req: GenerateDataKeyPairRequest,
    ) -> Result<GenerateDataKeyPairResponse, KmsError> {
        let recipient = recipient::parse(req.recipient.as_ref())?;
        let pair = self.data_key_pair(scope, req, "GenerateDataKeyPair")?;
        let (private_key_plaintext, ciphertext_for_recipient) =
            for_recipient(recipient.as_ref(), pair.private_plaintext, self.random())?;
        self.note_use(&pair.key, crate::Operation::GenerateDataKeyPair);
        Ok(GenerateDataKeyPairResponse {
            private_key_ciphertext_blob: Some(pair.private_ciphertext),
            private_key_plaintext,
            ciphertext_for_recipient,
            public_key: Some(pair.public_key),
            key_id: pair.key.arn.to_string(),
            key_pair_spec: pair.spec.as_str().into(),
            key_material_id: pair.material.material_id().to_owned(),
        })
    }

    /// As GenerateDataKeyPair, without the plaintext private key.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.GenerateDataKeyPairWithoutPlaintext
    /// {"KeyId":"alias/app","KeyPairSpec":"RSA_2048"}
    /// ```
    /// # Errors
    /// As GenerateDataKeyPair.
    pub fn generate_data_key_pair_without_plaintext(
        &self,
        scope: &Scope,
        req: GenerateDataKeyPairRequest,
    ) -> Result<GenerateDataKeyPairWithoutPlaintextResponse, KmsError> {
        let pair = self.data_key_pair(scope, req, "GenerateDataKeyPairWithoutPlaintext")?;
        self.note_use(
            &pair.key,
            crate::Operation::GenerateDataKeyPairWithoutPlaintext,
        );
        Ok(GenerateDataKeyPairWithoutPlaintextResponse {
            private_key_ciphertext_blob: Some(pair.private_ciphertext),
            public_key: Some(pair.public_key),
            key_id: pair.key.arn.to_string(),
            key_pair_spec: pair.spec.as_str().into(),
            key_material_id: pair.material.material_id().to_owned(),
        })
    }

    fn data_key_pair(
        &self,
        scope: &Scope,
        req: GenerateDataKeyPairRequest,
        operation: &str,
    ) -> Result<DataKeyPair, KmsError> {
        let mut v = Violations::new();
        let key_id = validate::key_id(&mut v, "keyId", &req.key_id);
        v.required("keyPairSpec", &req.key_pair_spec);
        let region = scope.region();
        let spec = v.enumeration(
            "keyPairSpec",
            req.key_pair_spec.as_deref(),
            |s| DataKeyPairSpec::parse(s).filter(|p| p.key_spec().offered_in(region)),
            || DataKeyPairSpec::enum_set_in(region),
        );
        crate::ops::grants::grant_tokens_member(&mut v, req.grant_tokens.as_deref());
        v.finish()?;
        self.check_grant_tokens(scope, req.grant_tokens.as_deref())?;
        let Some(spec) = spec else {
            return Err(KmsError::Internal("validated member missing".into()));
        };
        let key = self.data_key_encryption_key(scope, key_id.unwrap_or_default(), operation)?;
        dry_run(req.dry_run)?;
        let material = Arc::clone(current_material(&key)?);
        let pair_material = family::generate(spec.key_spec(), self.random())?;
        let engine = family::parse(spec.key_spec(), &pair_material).map_err(KmsError::Internal)?;
        let public_key = engine.public_key_der()?;
        let private_plaintext = engine.private_key_pkcs8(&pair_material)?;
        let private_ciphertext = blob::seal(
            key.id,
            &material,
            context(&req.encryption_context),
            private_plaintext.expose(),
            self.random(),
        )?;
        Ok(DataKeyPair {
            key,
            material,
            spec,
            private_plaintext,
            private_ciphertext,
            public_key,
        })
    }
}
