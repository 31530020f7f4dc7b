//! Cryptographic operations with symmetric keys: Encrypt, Decrypt, ReEncrypt, GenerateDataKey,
//! GenerateDataKeyWithoutPlaintext, GenerateRandom. None of them touches the persistence hook.

use std::sync::Arc;

use crate::crypto::blob::{self, BlobHeader};
use crate::crypto::context::EncryptionContext;
use crate::error::KmsError;
use crate::key::material::KeyMaterial;
use crate::key::record::KeyRecord;
use crate::key::spec::{DataKeySpec, EncryptionAlgorithm, KeySpec, KeyUsage};
use crate::kms::Kms;
use crate::scope::Scope;
use crate::validate::{self, Violations};
use crate::wire::crypto::*;

const SYMMETRIC_DEFAULT: &str = "SYMMETRIC_DEFAULT";

/// A generated data key: the KMS key and material that sealed it, the plaintext, the blob.
type DataKey = (Arc<KeyRecord>, Arc<KeyMaterial>, crate::Secret, Vec<u8>);

impl Kms {
    /// Encrypts up to 4096 bytes under a symmetric key, binding the encryption context.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.Encrypt
    /// {"KeyId":"alias/app","Plaintext":"aGVsbG8=","EncryptionContext":{"tenant":"a"}}
    /// ```
    /// # Errors
    /// `NotFoundException`, `DisabledException`, `KMSInvalidStateException`,
    /// `InvalidKeyUsageException`, `ValidationException`, `DryRunOperationException`.
    pub fn encrypt(&self, scope: &Scope, req: EncryptRequest) -> Result<EncryptResponse, KmsError> {
        let mut v = Violations::new();
        let key_id = validate::key_id(&mut v, "keyId", &req.key_id);
        v.required("plaintext", &req.plaintext);
        v.blob_len(
            "plaintext",
            req.plaintext.as_ref().map(crate::Secret::expose),
            1,
            4096,
        );
        let alg = algorithm_member(&mut v, "encryptionAlgorithm", &req.encryption_algorithm);
        v.list_len("grantTokens", req.grant_tokens.as_deref(), 10);
        v.finish()?;
        let key = self.usable_key(scope, key_id.unwrap_or_default(), "Encrypt")?;
        check_algorithm(&key, alg)?;
        dry_run(req.dry_run)?;
        let material = current_material(&key)?;
        let plaintext = req
            .plaintext
            .as_ref()
            .map(crate::Secret::expose)
            .unwrap_or_default();
        let ciphertext = blob::seal(
            key.id,
            material,
            context(&req.encryption_context),
            plaintext,
            self.random(),
        )?;
        Ok(EncryptResponse {
            ciphertext_blob: Some(ciphertext),
            key_id: key.arn.to_string(),
            encryption_algorithm: SYMMETRIC_DEFAULT.into(),
        })
    }

    /// Decrypts a ciphertext made by Encrypt, GenerateDataKey* or ReEncrypt, with whichever
    /// material version made it.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.Decrypt
    /// {"CiphertextBlob":"AR...","EncryptionContext":{"tenant":"a"}}
    /// ```
    /// # Errors
    /// `InvalidCiphertextException` (malformed, tampered, wrong context), `IncorrectKeyException`
    /// (KeyId names another key), `NotFoundException`, `DisabledException`,
    /// `KMSInvalidStateException`, `ValidationException`, `DryRunOperationException`.
    pub fn decrypt(&self, scope: &Scope, req: DecryptRequest) -> Result<DecryptResponse, KmsError> {
        let mut v = Violations::new();
        v.required("ciphertextBlob", &req.ciphertext_blob);
        v.blob_len("ciphertextBlob", req.ciphertext_blob.as_deref(), 1, 6144);
        v.str_len("keyId", req.key_id.as_deref(), 1, 2048);
        let alg = algorithm_member(&mut v, "encryptionAlgorithm", &req.encryption_algorithm);
        v.list_len("grantTokens", req.grant_tokens.as_deref(), 10);
        v.finish()?;
        no_recipient(&req.recipient)?;
        let blob = req.ciphertext_blob.as_deref().unwrap_or_default();
        let (key, material) = self.source_key(scope, blob, req.key_id.as_deref(), "Decrypt")?;
        check_algorithm(&key, alg)?;
        let plaintext = blob::open(blob, &material, context(&req.encryption_context))?;
        dry_run(req.dry_run)?;
        Ok(DecryptResponse {
            key_id: key.arn.to_string(),
            plaintext: Some(plaintext),
            encryption_algorithm: SYMMETRIC_DEFAULT.into(),
            key_material_id: material.material_id().to_owned(),
        })
    }

    /// Decrypts a ciphertext and encrypts the plaintext again under the destination key (or
    /// the newest material of the same key), without exposing it.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.ReEncrypt
    /// {"CiphertextBlob":"AR...","DestinationKeyId":"alias/new"}
    /// ```
    /// # Errors
    /// As Decrypt for the source and Encrypt for the destination.
    pub fn re_encrypt(
        &self,
        scope: &Scope,
        req: ReEncryptRequest,
    ) -> Result<ReEncryptResponse, KmsError> {
        let mut v = Violations::new();
        v.required("ciphertextBlob", &req.ciphertext_blob);
        v.blob_len("ciphertextBlob", req.ciphertext_blob.as_deref(), 1, 6144);
        v.str_len("sourceKeyId", req.source_key_id.as_deref(), 1, 2048);
        let dest_id = validate::key_id(&mut v, "destinationKeyId", &req.destination_key_id);
        let src_alg = algorithm_member(
            &mut v,
            "sourceEncryptionAlgorithm",
            &req.source_encryption_algorithm,
        );
        let dst_alg = algorithm_member(
            &mut v,
            "destinationEncryptionAlgorithm",
            &req.destination_encryption_algorithm,
        );
        v.list_len("grantTokens", req.grant_tokens.as_deref(), 10);
        v.finish()?;
        let blob = req.ciphertext_blob.as_deref().unwrap_or_default();
        let (source, source_material) =
            self.source_key(scope, blob, req.source_key_id.as_deref(), "ReEncrypt")?;
        check_algorithm(&source, src_alg)?;
        let plaintext = blob::open(
            blob,
            &source_material,
            context(&req.source_encryption_context),
        )?;
        let dest = self.usable_key(scope, dest_id.unwrap_or_default(), "ReEncrypt")?;
        check_algorithm(&dest, dst_alg)?;
        dry_run(req.dry_run)?;
        let dest_material = current_material(&dest)?;
        let ciphertext = blob::seal(
            dest.id,
            dest_material,
            context(&req.destination_encryption_context),
            plaintext.expose(),
            self.random(),
        )?;
        Ok(ReEncryptResponse {
            ciphertext_blob: Some(ciphertext),
            source_key_id: source.arn.to_string(),
            key_id: dest.arn.to_string(),
            source_encryption_algorithm: SYMMETRIC_DEFAULT.into(),
            destination_encryption_algorithm: SYMMETRIC_DEFAULT.into(),
            source_key_material_id: source_material.material_id().to_owned(),
            destination_key_material_id: dest_material.material_id().to_owned(),
        })
    }

    /// Returns a fresh data key, in plaintext and encrypted under the KMS key.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.GenerateDataKey
    /// {"KeyId":"alias/app","KeySpec":"AES_256"}
    /// ```
    /// # Errors
    /// As Encrypt; `ValidationException` unless exactly one of KeySpec and NumberOfBytes is given.
    pub fn generate_data_key(
        &self,
        scope: &Scope,
        req: GenerateDataKeyRequest,
    ) -> Result<GenerateDataKeyResponse, KmsError> {
        let (key, material, plaintext, ciphertext) =
            self.data_key(scope, req, "GenerateDataKey")?;
        Ok(GenerateDataKeyResponse {
            ciphertext_blob: Some(ciphertext),
            plaintext: Some(plaintext),
            key_id: key.arn.to_string(),
            key_material_id: material.material_id().to_owned(),
        })
    }

    /// Returns a fresh data key encrypted under the KMS key, and not in plaintext.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.GenerateDataKeyWithoutPlaintext
    /// {"KeyId":"alias/app","NumberOfBytes":64}
    /// ```
    /// # Errors
    /// As GenerateDataKey.
    pub fn generate_data_key_without_plaintext(
        &self,
        scope: &Scope,
        req: GenerateDataKeyRequest,
    ) -> Result<GenerateDataKeyWithoutPlaintextResponse, KmsError> {
        let (key, material, _plaintext, ciphertext) =
            self.data_key(scope, req, "GenerateDataKeyWithoutPlaintext")?;
        Ok(GenerateDataKeyWithoutPlaintextResponse {
            ciphertext_blob: Some(ciphertext),
            key_id: key.arn.to_string(),
            key_material_id: material.material_id().to_owned(),
        })
    }

    /// Returns 1 to 1024 random bytes from the CSPRNG.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.GenerateRandom
    /// {"NumberOfBytes":32}
    /// ```
    /// # Errors
    /// `ValidationException`.
    pub fn generate_random(
        &self,
        _scope: &Scope,
        req: GenerateRandomRequest,
    ) -> Result<GenerateRandomResponse, KmsError> {
        let Some(n) = req.number_of_bytes else {
            return Err(KmsError::Validation("NumberOfBytes is required.".into()));
        };
        let mut v = Violations::new();
        v.range("numberOfBytes", Some(n), 1, 1024);
        v.str_len(
            "customKeyStoreId",
            req.custom_key_store_id.as_deref(),
            1,
            64,
        );
        v.finish()?;
        if let Some(id) = &req.custom_key_store_id {
            return Err(KmsError::CustomKeyStoreNotFound(format!(
                "Custom key store '{id}' does not exist: custom key stores are not emulated."
            )));
        }
        no_recipient(&req.recipient)?;
        Ok(GenerateRandomResponse {
            plaintext: Some(crate::Secret::random(n as usize, self.random())),
        })
    }

    /// The shared part of the GenerateDataKey operations.
    fn data_key(
        &self,
        scope: &Scope,
        req: GenerateDataKeyRequest,
        operation: &str,
    ) -> Result<DataKey, KmsError> {
        let mut v = Violations::new();
        let key_id = validate::key_id(&mut v, "keyId", &req.key_id);
        v.range("numberOfBytes", req.number_of_bytes, 1, 1024);
        let spec = v.enumeration(
            "keySpec",
            req.key_spec.as_deref(),
            DataKeySpec::parse,
            DataKeySpec::enum_set,
        );
        v.list_len("grantTokens", req.grant_tokens.as_deref(), 10);
        v.finish()?;
        let len = match (spec, req.number_of_bytes) {
            (Some(spec), None) => spec.byte_len(),
            (None, Some(n)) => n as usize,
            _ => {
                return Err(KmsError::Validation(
                    "Please specify either number of bytes or key spec.".into(),
                ))
            }
        };
        no_recipient(&req.recipient)?;
        let key = self.usable_key(scope, key_id.unwrap_or_default(), operation)?;
        dry_run(req.dry_run)?;
        let material = Arc::clone(current_material(&key)?);
        let plaintext = crate::Secret::random(len, self.random());
        let ciphertext = blob::seal(
            key.id,
            &material,
            context(&req.encryption_context),
            plaintext.expose(),
            self.random(),
        )?;
        Ok((key, material, plaintext, ciphertext))
    }

    /// Resolves a key for a cryptographic operation: state first, then usage, as AWS checks.
    fn usable_key(
        &self,
        scope: &Scope,
        key_id: &str,
        operation: &str,
    ) -> Result<Arc<KeyRecord>, KmsError> {
        let key = self.resolve(scope, key_id, true)?;
        key.check_usable()?;
        key.check_usage(KeyUsage::EncryptDecrypt, operation)?;
        if key.key_spec != KeySpec::SymmetricDefault {
            return Err(KmsError::UnsupportedOperation(format!(
                "{operation} with KeySpec {} is not supported by this emulator yet.",
                key.key_spec
            )));
        }
        Ok(key)
    }

    /// The key and material that made `blob`; `requested` (a KeyId member) must name that key.
    fn source_key(
        &self,
        scope: &Scope,
        blob: &[u8],
        requested: Option<&str>,
        operation: &str,
    ) -> Result<(Arc<KeyRecord>, Arc<KeyMaterial>), KmsError> {
        let header = BlobHeader::parse(blob)?;
        let key = match requested {
            Some(key_id) => {
                let key = self.resolve(scope, key_id, true)?;
                if key.id != header.key_id {
                    return Err(KmsError::IncorrectKey);
                }
                key
            }
            None => self.find_key(scope, header.key_id)?,
        };
        key.check_usable()?;
        key.check_usage(KeyUsage::EncryptDecrypt, operation)?;
        let material = key
            .material(header.version)
            .ok_or(KmsError::InvalidCiphertext)?;
        Ok((Arc::clone(&key), Arc::clone(material)))
    }
}

fn current_material(key: &KeyRecord) -> Result<&Arc<KeyMaterial>, KmsError> {
    key.current()
        .ok_or_else(|| KmsError::Internal(format!("{} has no key material", key.arn)))
}

fn algorithm_member(
    v: &mut Violations,
    field: &str,
    value: &Option<String>,
) -> Option<EncryptionAlgorithm> {
    v.enumeration(
        field,
        value.as_deref(),
        EncryptionAlgorithm::parse,
        EncryptionAlgorithm::enum_set,
    )
}

/// Symmetric keys only take `SYMMETRIC_DEFAULT`.
fn check_algorithm(key: &KeyRecord, alg: Option<EncryptionAlgorithm>) -> Result<(), KmsError> {
    match alg {
        None | Some(EncryptionAlgorithm::SymmetricDefault) => Ok(()),
        Some(other) => Err(KmsError::InvalidKeyUsage(format!(
            "Algorithm {other} is incompatible with key spec {}.",
            key.key_spec
        ))),
    }
}

fn dry_run(flag: Option<bool>) -> Result<(), KmsError> {
    if flag == Some(true) {
        Err(KmsError::DryRunOperation)
    } else {
        Ok(())
    }
}

fn no_recipient(recipient: &Option<serde_json::Value>) -> Result<(), KmsError> {
    match recipient {
        None | Some(serde_json::Value::Null) => Ok(()),
        Some(_) => Err(KmsError::UnsupportedOperation(
            "Recipient (Nitro Enclaves attestation) is not supported by this emulator.".into(),
        )),
    }
}

static EMPTY_CONTEXT: EncryptionContext = EncryptionContext::new();

fn context(ctx: &Option<EncryptionContext>) -> &EncryptionContext {
    ctx.as_ref().unwrap_or(&EMPTY_CONTEXT)
}
