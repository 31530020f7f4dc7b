//! Encryption operations: Encrypt, Decrypt and ReEncrypt (symmetric and RSA keys),
//! GenerateDataKey, GenerateDataKeyWithoutPlaintext (symmetric keys), GenerateRandom. None of them touches the persistence hook.

use std::sync::Arc;

use crate::crypto::blob::{self, BlobHeader};
use crate::crypto::context::EncryptionContext;
use crate::crypto::recipient;
use crate::error::KmsError;
use crate::key::material::KeyMaterial;
use crate::key::record::KeyRecord;
use crate::key::spec::{DataKeySpec, EncryptionAlgorithm, KeySpec, KeyUsage};
use crate::kms::Kms;
use crate::scope::Scope;
use crate::validate::{self, Violations};
use crate::wire::crypto::*;

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
        crate::ops::grants::grant_tokens_member(&mut v, req.grant_tokens.as_deref());
        v.finish()?;
        self.check_grant_tokens(scope, req.grant_tokens.as_deref())?;
        let key = self.encryption_key(scope, key_id.unwrap_or_default(), "Encrypt")?;
        let plaintext = req
            .plaintext
            .as_ref()
            .map(crate::Secret::expose)
            .unwrap_or_default();
        let sealed = self.seal_any(&key, alg, &req.encryption_context, plaintext, req.dry_run)?;
        self.note_use(&key, crate::Operation::Encrypt);
        Ok(EncryptResponse {
            ciphertext_blob: Some(sealed.ciphertext),
            key_id: key.arn.to_string(),
            encryption_algorithm: sealed.algorithm.as_str().into(),
        })
    }

    /// Decrypts a ciphertext made by Encrypt, GenerateDataKey* or ReEncrypt, with whichever
    /// material version made it. RSA ciphertexts carry no key ID, so they need `KeyId` and
    /// their `EncryptionAlgorithm`; data encrypted offline under the public key decrypts too.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.Decrypt
    /// {"CiphertextBlob":"AR...","EncryptionContext":{"tenant":"a"}}
    /// ```
    /// # Errors
    /// `InvalidCiphertextException` (malformed, tampered, wrong context), `IncorrectKeyException`
    /// (KeyId names another key), `NotFoundException`, `DisabledException`,
    /// `KMSInvalidStateException`, `InvalidKeyUsageException`, `ValidationException`,
    /// `DryRunOperationException`.
    pub fn decrypt(&self, scope: &Scope, req: DecryptRequest) -> Result<DecryptResponse, KmsError> {
        let mut v = Violations::new();
        v.required("ciphertextBlob", &req.ciphertext_blob);
        v.blob_len("ciphertextBlob", req.ciphertext_blob.as_deref(), 1, 6144);
        v.str_len("keyId", req.key_id.as_deref(), 1, 2048);
        let alg = algorithm_member(&mut v, "encryptionAlgorithm", &req.encryption_algorithm);
        crate::ops::grants::grant_tokens_member(&mut v, req.grant_tokens.as_deref());
        v.finish()?;
        self.check_grant_tokens(scope, req.grant_tokens.as_deref())?;
        let recipient = recipient::parse(req.recipient.as_ref())?;
        let blob = req.ciphertext_blob.as_deref().unwrap_or_default();
        let opened = self.open_any(
            scope,
            blob,
            req.key_id.as_deref(),
            alg,
            &req.encryption_context,
            "Decrypt",
        )?;
        dry_run(req.dry_run)?;
        let (plaintext, ciphertext_for_recipient) =
            for_recipient(recipient.as_ref(), opened.plaintext, self.random())?;
        self.note_use(&opened.key, crate::Operation::Decrypt);
        Ok(DecryptResponse {
            key_id: opened.key.arn.to_string(),
            plaintext,
            ciphertext_for_recipient,
            encryption_algorithm: opened.algorithm.as_str().into(),
            key_material_id: opened.material_id,
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
        crate::ops::grants::grant_tokens_member(&mut v, req.grant_tokens.as_deref());
        v.finish()?;
        self.check_grant_tokens(scope, req.grant_tokens.as_deref())?;
        let blob = req.ciphertext_blob.as_deref().unwrap_or_default();
        let opened = self.open_any(
            scope,
            blob,
            req.source_key_id.as_deref(),
            src_alg,
            &req.source_encryption_context,
            "ReEncrypt",
        )?;
        let dest = self.encryption_key(scope, dest_id.unwrap_or_default(), "ReEncrypt")?;
        let sealed = self.seal_any(
            &dest,
            dst_alg,
            &req.destination_encryption_context,
            opened.plaintext.expose(),
            req.dry_run,
        )?;
        self.note_use(&opened.key, crate::Operation::ReEncrypt);
        self.note_use(&dest, crate::Operation::ReEncrypt);
        Ok(ReEncryptResponse {
            ciphertext_blob: Some(sealed.ciphertext),
            source_key_id: opened.key.arn.to_string(),
            key_id: dest.arn.to_string(),
            source_encryption_algorithm: opened.algorithm.as_str().into(),
            destination_encryption_algorithm: sealed.algorithm.as_str().into(),
            source_key_material_id: opened.material_id,
            destination_key_material_id: sealed.material_id,
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
        let recipient = recipient::parse(req.recipient.as_ref())?;
        let (key, material, plaintext, ciphertext) =
            self.data_key(scope, req, "GenerateDataKey")?;
        let (plaintext, ciphertext_for_recipient) =
            for_recipient(recipient.as_ref(), plaintext, self.random())?;
        self.note_use(&key, crate::Operation::GenerateDataKey);
        Ok(GenerateDataKeyResponse {
            ciphertext_blob: Some(ciphertext),
            plaintext,
            ciphertext_for_recipient,
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
        self.note_use(&key, crate::Operation::GenerateDataKeyWithoutPlaintext);
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
        scope: &Scope,
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
            crate::ops::custom_key_stores::check_random_source(self, scope, id)?;
        }
        let recipient = recipient::parse(req.recipient.as_ref())?;
        let (plaintext, ciphertext_for_recipient) = for_recipient(
            recipient.as_ref(),
            crate::Secret::random(n as usize, self.random()),
            self.random(),
        )?;
        Ok(GenerateRandomResponse {
            plaintext,
            ciphertext_for_recipient,
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
        crate::ops::grants::grant_tokens_member(&mut v, req.grant_tokens.as_deref());
        v.finish()?;
        self.check_grant_tokens(scope, req.grant_tokens.as_deref())?;
        let len = match (spec, req.number_of_bytes) {
            (Some(spec), None) => spec.byte_len(),
            (None, Some(n)) => n as usize,
            _ => {
                return Err(KmsError::Validation(
                    "Please specify either number of bytes or key spec.".into(),
                ));
            }
        };
        let key = self.data_key_encryption_key(scope, key_id.unwrap_or_default(), operation)?;
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

    /// Resolves a symmetric encryption key (GenerateDataKey*): state first, then usage, as
    /// AWS checks.
    pub(crate) fn data_key_encryption_key(
        &self,
        scope: &Scope,
        key_id: &str,
        operation: &str,
    ) -> Result<Arc<KeyRecord>, KmsError> {
        let key = self.encryption_key(scope, key_id, operation)?;
        symmetric_only(&key, operation)?;
        Ok(key)
    }

    /// Resolves an ENCRYPT_DECRYPT key of any family (Encrypt, and ReEncrypt's destination).
    pub(crate) fn encryption_key(
        &self,
        scope: &Scope,
        key_id: &str,
        operation: &str,
    ) -> Result<Arc<KeyRecord>, KmsError> {
        let key = self.resolve(scope, key_id, true)?;
        key.check_usable()?;
        key.check_usage(KeyUsage::EncryptDecrypt, operation)?;
        Ok(key)
    }

    /// Encrypts under `key`: a symmetric blob bound to `context`, or RSAES-OAEP with AWS's
    /// plaintext limit.
    fn seal_any(
        &self,
        key: &KeyRecord,
        alg: Option<EncryptionAlgorithm>,
        context_member: &Option<EncryptionContext>,
        plaintext: &[u8],
        dry_run_flag: Option<bool>,
    ) -> Result<Sealed, KmsError> {
        let alg = check_algorithm(key, alg)?;
        let material = current_material(key)?;
        if alg == EncryptionAlgorithm::SymmetricDefault {
            dry_run(dry_run_flag)?;
            let ciphertext = blob::seal(
                key.id,
                material,
                context(context_member),
                plaintext,
                self.random(),
            )?;
            return Ok(Sealed {
                ciphertext,
                algorithm: alg,
                material_id: Some(material.material_id().to_owned()),
            });
        }
        let engine = material.engine()?;
        let max = engine.max_plaintext(alg);
        if plaintext.len() > max {
            return Err(KmsError::Validation(format!(
                "Algorithm {alg} and key spec {} cannot encrypt data larger than {max} bytes.",
                key.key_spec
            )));
        }
        dry_run(dry_run_flag)?;
        Ok(Sealed {
            ciphertext: engine.encrypt(alg, plaintext, self.random())?,
            algorithm: alg,
            material_id: None,
        })
    }

    /// Decrypts for Decrypt and ReEncrypt. A symmetric blob names its key and material; an
    /// asymmetric ciphertext is raw, so `requested` must name the key.
    fn open_any(
        &self,
        scope: &Scope,
        blob: &[u8],
        requested: Option<&str>,
        alg: Option<EncryptionAlgorithm>,
        context_member: &Option<EncryptionContext>,
        operation: &str,
    ) -> Result<Opened, KmsError> {
        let requested = match requested {
            Some(key_id) => Some(self.resolve(scope, key_id, true)?),
            None => None,
        };
        if let Some(key) = requested.as_ref().filter(|k| k.key_spec.is_asymmetric()) {
            key.check_usable()?;
            key.check_usage(KeyUsage::EncryptDecrypt, operation)?;
            // AWS reads the ciphertext before the algorithm: without an asymmetric algorithm it
            // cannot, and answers InvalidCiphertextException.
            if matches!(alg, None | Some(EncryptionAlgorithm::SymmetricDefault)) {
                return Err(KmsError::InvalidCiphertext);
            }
            let alg = check_algorithm(key, alg)?;
            let plaintext = current_material(key)?.engine()?.decrypt(alg, blob)?;
            return Ok(Opened {
                key: Arc::clone(key),
                material_id: None,
                plaintext,
                algorithm: alg,
            });
        }
        let (key, material) = self.source_key(scope, blob, requested, operation)?;
        let alg = check_algorithm(&key, alg)?;
        let plaintext = blob::open(blob, &material, context(context_member))?;
        Ok(Opened {
            key,
            material_id: Some(material.material_id().to_owned()),
            plaintext,
            algorithm: alg,
        })
    }

    /// The key and material that made `blob`; `requested` (the key a KeyId member named)
    /// must be that key.
    fn source_key(
        &self,
        scope: &Scope,
        blob: &[u8],
        requested: Option<Arc<KeyRecord>>,
        operation: &str,
    ) -> Result<(Arc<KeyRecord>, Arc<KeyMaterial>), KmsError> {
        let header = BlobHeader::parse(blob)?;
        let key = match requested {
            Some(key) => {
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

pub(crate) fn current_material(key: &KeyRecord) -> Result<&Arc<KeyMaterial>, KmsError> {
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

/// The algorithm to use with `key`: the one requested (default `SYMMETRIC_DEFAULT`, as AWS
/// defaults it), which must be one the key offers.
fn check_algorithm(
    key: &KeyRecord,
    alg: Option<EncryptionAlgorithm>,
) -> Result<EncryptionAlgorithm, KmsError> {
    let alg = alg.unwrap_or(EncryptionAlgorithm::SymmetricDefault);
    if key
        .key_spec
        .algorithms(key.key_usage)
        .encryption
        .contains(&alg)
    {
        Ok(alg)
    } else {
        Err(incompatible(alg.as_str(), key.key_spec))
    }
}

/// `InvalidKeyUsageException` for an algorithm the key's spec does not offer.
pub(crate) fn incompatible(alg: &str, spec: KeySpec) -> KmsError {
    KmsError::InvalidKeyUsage(format!(
        "Algorithm {alg} is incompatible with key spec {spec}."
    ))
}

/// Data keys are made only under symmetric encryption keys (the text is local-kms's, whose
/// other texts match AWS's recordings).
fn symmetric_only(key: &KeyRecord, operation: &str) -> Result<(), KmsError> {
    if key.key_spec == KeySpec::SymmetricDefault {
        Ok(())
    } else {
        Err(KmsError::InvalidKeyUsage(format!(
            "{} key KeySpec is {} which is not valid for {operation}.",
            key.arn, key.key_spec
        )))
    }
}

/// What `seal_any` made.
struct Sealed {
    ciphertext: Vec<u8>,
    algorithm: EncryptionAlgorithm,
    material_id: Option<String>,
}

/// What `open_any` found.
struct Opened {
    key: Arc<KeyRecord>,
    material_id: Option<String>,
    plaintext: crate::Secret,
    algorithm: EncryptionAlgorithm,
}

pub(crate) fn dry_run(flag: Option<bool>) -> Result<(), KmsError> {
    if flag == Some(true) {
        Err(KmsError::DryRunOperation)
    } else {
        Ok(())
    }
}

/// A secret for the response: in plaintext, or, with a `Recipient`, only sealed to the
/// enclave's key (`CiphertextForRecipient`), as AWS answers.
pub(crate) fn for_recipient(
    recipient: Option<&recipient::Recipient>,
    secret: crate::Secret,
    random: &dyn crate::random::RandomSource,
) -> Result<(Option<crate::Secret>, Option<Vec<u8>>), KmsError> {
    match recipient {
        None => Ok((Some(secret), None)),
        Some(r) => Ok((None, Some(r.seal(secret.expose(), random)?))),
    }
}

static EMPTY_CONTEXT: EncryptionContext = EncryptionContext::new();

pub(crate) fn context(ctx: &Option<EncryptionContext>) -> &EncryptionContext {
    ctx.as_ref().unwrap_or(&EMPTY_CONTEXT)
}
