//! Imported key material (BYOK): GetParametersForImport, ImportKeyMaterial,
//! DeleteImportedKeyMaterial, and the expiry of imported material on the engine's clock
//! ([`Kms::expire_imported_material`], run by the scheduler sweep). Rotation of imported
//! symmetric material (RotateKeyOnDemand promoting material pending rotation) is in
//! `ops::rotation`; how material versions record their import is in `key::imported`.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::crypto::import_token::{self, ImportParameters};
use crate::error::KmsError;
use crate::key::family::{self, wrapping};
use crate::key::imported::{self, ImportInfo};
use crate::key::material::KeyMaterial;
use crate::key::record::KeyRecord;
use crate::key::spec::{
    ExpirationModel, ImportType, KeySpec, KeyState, Origin, WrappingAlgorithm, WrappingKeySpec,
};
use crate::kms::Kms;
use crate::scope::Scope;
use crate::secret::Secret;
use crate::validate::{self, Violations};
use crate::wire::import::*;

/// How long a wrapping public key and its import token are valid.
pub const IMPORT_PARAMETERS_VALID_HOURS: i64 = 24;
/// The latest `ValidTo` ImportKeyMaterial accepts, in days from the request.
pub const MAX_VALID_TO_DAYS: i64 = 365;

impl Kms {
    /// Returns a fresh wrapping public key and the import token that goes with it, both valid
    /// for 24 hours on the engine's clock, for importing material into an EXTERNAL key.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.GetParametersForImport
    /// {"KeyId":"1234abcd-...","WrappingAlgorithm":"RSA_AES_KEY_WRAP_SHA_256","WrappingKeySpec":"RSA_4096"}
    /// ```
    ///
    /// ```
    /// use kms_api::{Kms, Scope};
    /// use kms_api::wire::import::GetParametersForImportRequest;
    /// use kms_api::wire::keys::CreateKeyRequest;
    /// let kms = Kms::new();
    /// let scope = Scope::new("111122223333", "us-east-1");
    /// let key = kms.create_key(&scope, CreateKeyRequest {
    ///     origin: Some("EXTERNAL".into()),
    ///     ..Default::default()
    /// }).unwrap().key_metadata;
    /// assert_eq!(key.key_state, "PendingImport");
    /// let params = kms.get_parameters_for_import(&scope, GetParametersForImportRequest {
    ///     key_id: Some(key.key_id),
    ///     wrapping_algorithm: Some("RSAES_OAEP_SHA_256".into()),
    ///     wrapping_key_spec: Some("RSA_2048".into()),
    /// }).unwrap();
    /// assert_eq!(params.public_key.unwrap().len(), 294); // DER SPKI of an RSA 2048 key
    /// ```
    ///
    /// # Errors
    /// `NotFoundException`, `UnsupportedOperationException` (not an EXTERNAL key),
    /// `KMSInvalidStateException` (pending deletion), `ValidationException`.
    pub fn get_parameters_for_import(
        &self,
        scope: &Scope,
        req: GetParametersForImportRequest,
    ) -> Result<GetParametersForImportResponse, KmsError> {
        let mut v = Violations::new();
        let key_id = validate::key_id(&mut v, "keyId", &req.key_id);
        v.required("wrappingAlgorithm", &req.wrapping_algorithm);
        v.required("wrappingKeySpec", &req.wrapping_key_spec);
        let region = scope.region();
        let algorithm = v.enumeration(
            "wrappingAlgorithm",
            req.wrapping_algorithm.as_deref(),
            |s| WrappingAlgorithm::parse(s).filter(|a| a.offered_in(region)),
            || WrappingAlgorithm::enum_set_in(region),
        );
        let spec = v.enumeration(
            "wrappingKeySpec",
            req.wrapping_key_spec.as_deref(),
            |s| WrappingKeySpec::parse(s).filter(|w| w.offered_in(region)),
            || WrappingKeySpec::enum_set_in(region),
        );
        v.finish()?;
        let (Some(algorithm), Some(spec)) = (algorithm, spec) else {
            return Err(KmsError::Internal("validated member missing".into()));
        };
        let key = self.resolve(scope, key_id.unwrap_or_default(), false)?;
        check_external(&key)?;
        key.check_not_pending_deletion()?;
        key.check_not_transient()?;
        check_wrapping_pair(algorithm, spec)?;
        let (private_key, public_key) = wrapping::generate_wrapping_key(spec, self.random())?;
        let valid_to = crate::clock::saturating_add(
            self.now(),
            Duration::hours(IMPORT_PARAMETERS_VALID_HOURS),
        );
        let token = import_token::seal(
            self.import_token_cipher(),
            &key.arn,
            &ImportParameters {
                algorithm,
                wrapping_spec: spec,
                valid_to,
                private_key,
            },
            self.random(),
        )?;
        Ok(GetParametersForImportResponse {
            key_id: key.arn.to_string(),
            import_token: Some(token),
            public_key: Some(public_key),
            parameters_valid_to: valid_to,
        })
    }

    /// Imports material wrapped under a public key from GetParametersForImport: the first
    /// material of an EXTERNAL key (which is then `Enabled`), the same material again (after
    /// it was deleted or expired, or to change its expiry), or, for symmetric keys, new
    /// material pending rotation (RotateKeyOnDemand makes it current).
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.ImportKeyMaterial
    /// {"KeyId":"1234abcd-...","ImportToken":"...","EncryptedKeyMaterial":"...",
    ///  "ExpirationModel":"KEY_MATERIAL_DOES_NOT_EXPIRE"}
    /// ```
    /// # Errors
    /// `NotFoundException`, `UnsupportedOperationException` (not an EXTERNAL key),
    /// `KMSInvalidStateException`, `InvalidImportTokenException`,
    /// `ExpiredImportTokenException`, `InvalidCiphertextException` (does not unwrap),
    /// `IncorrectKeyMaterialException`, `ValidationException`.
    pub fn import_key_material(
        &self,
        scope: &Scope,
        req: ImportKeyMaterialRequest,
    ) -> Result<ImportKeyMaterialResponse, KmsError> {
        let mut v = Violations::new();
        let key_id = validate::key_id(&mut v, "keyId", &req.key_id);
        v.required("importToken", &req.import_token);
        v.blob_len("importToken", req.import_token.as_deref(), 1, 6144);
        v.required("encryptedKeyMaterial", &req.encrypted_key_material);
        v.blob_len(
            "encryptedKeyMaterial",
            req.encrypted_key_material.as_deref(),
            1,
            6144,
        );
        let model = v.enumeration(
            "expirationModel",
            req.expiration_model.as_deref(),
            ExpirationModel::parse,
            ExpirationModel::enum_set,
        );
        let import_type = v.enumeration(
            "importType",
            req.import_type.as_deref(),
            ImportType::parse,
            ImportType::enum_set,
        );
        v.str_len(
            "keyMaterialDescription",
            req.key_material_description.as_deref(),
            0,
            256,
        );
        v.pattern(
            "keyMaterialDescription",
            req.key_material_description.as_deref(),
            r"^[a-zA-Z0-9:/_\s.-]+$",
            |s| {
                // Java's `\s` is ASCII whitespace only.
                !s.is_empty()
                    && s.bytes().all(|b| {
                        b.is_ascii_alphanumeric()
                            || matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
                            || b":/_.-".contains(&b)
                    })
            },
        );
        material_id_member(&mut v, req.key_material_id.as_deref());
        v.finish()?;
        let key = self.resolve(scope, key_id.unwrap_or_default(), false)?;
        check_external(&key)?;
        key.check_not_pending_deletion()?;
        let now = self.now();
        let valid_to = checked_valid_to(model, req.valid_to, now)?;
        let symmetric = key.key_spec == KeySpec::SymmetricDefault;
        if !symmetric
            && (import_type.is_some()
                || req.key_material_id.is_some()
                || req.key_material_description.is_some())
        {
            return Err(KmsError::Validation(
                "ImportType, KeyMaterialId and KeyMaterialDescription are only valid for symmetric encryption KMS keys.".into(),
            ));
        }
        let token = req.import_token.as_deref().unwrap_or_default();
        let params = import_token::open(self.import_token_cipher(), &key.arn, token)?;
        if params.valid_to <= now {
            return Err(KmsError::ExpiredImportToken(
                "The import token has expired. Use GetParametersForImport to get a new import token and public key."
                    .into(),
            ));
        }
        let wrapped = req.encrypted_key_material.as_deref().unwrap_or_default();
        let plain = wrapping::unwrap(
            params.wrapping_spec,
            &params.private_key,
            params.algorithm,
            wrapped,
        )?;
        let material = family::import_material(key.key_spec, plain.expose()).ok_or_else(|| {
            KmsError::IncorrectKeyMaterial(format!(
                "The key material is not valid for a KMS key with key spec {}.",
                key.key_spec
            ))
        })?;
        drop(plain);
        let material_id = imported::material_id(key.id, &material);
        let import = Import {
            material,
            material_id: &material_id,
            import_type,
            requested_id: req.key_material_id.as_deref(),
            description: req.key_material_description,
            valid_to,
            now,
        };
        let (_, key) = self.update_key(&key, |k| import.apply(k))?;
        Ok(ImportKeyMaterialResponse {
            key_id: key.arn.to_string(),
            key_material_id: material_id,
        })
    }

    /// Deletes imported material (the current material, or the one `KeyMaterialId` names):
    /// the key waits for it again (`PendingImport`, unless it is pending deletion) and keeps
    /// the material's ID, so re-importing the same material brings back every ciphertext made
    /// under it. Material pending rotation is removed altogether.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.DeleteImportedKeyMaterial
    /// {"KeyId":"1234abcd-..."}
    /// ```
    /// # Errors
    /// `NotFoundException`, `UnsupportedOperationException` (not an EXTERNAL key),
    /// `ValidationException`.
    pub fn delete_imported_key_material(
        &self,
        scope: &Scope,
        req: DeleteImportedKeyMaterialRequest,
    ) -> Result<DeleteImportedKeyMaterialResponse, KmsError> {
        let mut v = Violations::new();
        let key_id = validate::key_id(&mut v, "keyId", &req.key_id);
        material_id_member(&mut v, req.key_material_id.as_deref());
        v.finish()?;
        let key = self.resolve(scope, key_id.unwrap_or_default(), false)?;
        check_external(&key)?;
        let requested = req.key_material_id.as_deref();
        let (deleted, key) = self.update_key(&key, |k| {
            k.check_not_transient()?;
            let version = match requested {
                Some(id) => Some(k.version_of(id).ok_or_else(|| {
                    KmsError::NotFound(format!(
                        "Key material '{id}' is not associated with key '{}'.",
                        k.arn
                    ))
                })?),
                None => k.current().map(|m| m.version()),
            };
            let Some(version) = version else {
                return Ok(None); // nothing imported yet: no effect
            };
            let index = version as usize - 1;
            let material = Arc::clone(&k.versions[index]);
            if material.is_pending_rotation() {
                k.versions.truncate(index);
            } else {
                forget_material(k, index);
            }
            Ok(Some(material.material_id().to_owned()))
        })?;
        Ok(DeleteImportedKeyMaterialResponse {
            key_id: key.arn.to_string(),
            key_material_id: deleted,
        })
    }

    /// Deletes every imported material whose `ValidTo` has passed on the engine's clock, as
    /// AWS does: its key waits for it again (`PendingImport`). Returns how many materials
    /// expired. Part of the scheduler's sweep ([`Kms::run_scheduled`]).
    pub fn expire_imported_material(&self) -> usize {
        let now = self.now();
        let mut expired = 0;
        // Runs every second: only EXTERNAL keys are looked at, and only due ones are cloned.
        let due: Vec<Arc<KeyRecord>> = self
            .scopes_snapshot()
            .iter()
            .flat_map(|state| {
                state
                    .keys
                    .iter()
                    .filter(|k| k.origin == Origin::External)
                    .filter(|k| k.next_material_expiry().is_some_and(|t| t <= now))
                    .map(|k| Arc::clone(&k))
                    .collect::<Vec<_>>()
            })
            .collect();
        for key in due {
            let result = self.update_key(&key, |k| {
                let mut count = 0;
                for index in (0..k.versions.len()).rev() {
                    let m = &k.versions[index];
                    let is_due = m.secret().is_some()
                        && m.import()
                            .and_then(|i| i.valid_to)
                            .is_some_and(|t| t <= now);
                    if !is_due {
                        continue;
                    }
                    if m.is_pending_rotation() {
                        k.versions.truncate(index);
                    } else {
                        forget_material(k, index);
                    }
                    count += 1;
                }
                Ok(count)
            });
            match result {
                Ok((count, _)) => expired += count,
                Err(e) => {
                    tracing::warn!(key = %key.arn(), error = %e, "could not expire imported key material; retrying next sweep")
                }
            }
        }
        expired
    }
}

/// One ImportKeyMaterial, checked and unwrapped, to apply to the key's current record.
struct Import<'a> {
    material: Secret,
    material_id: &'a str,
    import_type: Option<ImportType>,
    requested_id: Option<&'a str>,
    description: Option<String>,
    valid_to: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
}

impl Import<'_> {
    fn apply(&self, k: &mut KeyRecord) -> Result<(), KmsError> {
        k.check_not_pending_deletion()?;
        if k.state == KeyState::Creating {
            return Err(k.invalid_state(k.state));
        }
        let existing = k.version_of(self.material_id);
        if k.is_replica() {
            // A replica takes only what its primary key has (its slots, synced from the
            // primary): new material goes into the primary key first.
            if existing.is_none() {
                let primary = k
                    .multi_region
                    .as_ref()
                    .map_or("", |m| m.primary_region.as_str());
                return Err(KmsError::IncorrectKeyMaterial(format!(
                    "The key material is not the key material of the multi-Region primary key {}. Import new key material into the primary key first.",
                    crate::key::id::key_arn(&k.scope.with_region(primary), k.id)
                )));
            }
            self.reimport(k, existing)?;
            if k.state == KeyState::PendingImport && k.is_fully_imported() {
                k.state = KeyState::Enabled;
            }
            return Ok(());
        }
        let import_type = self.import_type.unwrap_or(if k.versions.is_empty() {
            ImportType::NewKeyMaterial
        } else {
            ImportType::ExistingKeyMaterial
        });
        if import_type == ImportType::NewKeyMaterial && self.requested_id.is_some() {
            // Asked for, or the default of a first import: NEW_KEY_MATERIAL takes no ID.
            return Err(KmsError::Validation(
                "You cannot specify a key material ID with ImportType set to NEW_KEY_MATERIAL."
                    .into(),
            ));
        }
        match import_type {
            ImportType::NewKeyMaterial => self.add_new(k, existing)?,
            ImportType::ExistingKeyMaterial => self.reimport(k, existing)?,
        }
        if k.state == KeyState::PendingImport && k.is_fully_imported() {
            k.state = KeyState::Enabled;
        }
        Ok(())
    }

    /// The key's first material, or a symmetric key's next one (pending rotation).
    fn add_new(&self, k: &mut KeyRecord, existing: Option<u32>) -> Result<(), KmsError> {
        if existing.is_some() {
            return Err(KmsError::IncorrectKeyMaterial(
                "The key material is already associated with this KMS key. Import it with ImportType EXISTING_KEY_MATERIAL.".into(),
            ));
        }
        let pending_rotation = !k.versions.is_empty();
        if pending_rotation {
            if k.key_spec != KeySpec::SymmetricDefault {
                return Err(KmsError::IncorrectKeyMaterial(format!(
                    "The key material of a {} KMS key cannot be changed after it was first imported.",
                    k.key_spec
                )));
            }
            if let Some(pending) = k.versions.last().filter(|m| m.is_pending_rotation()) {
                return Err(KmsError::InvalidState(format!(
                    "New key material (id: {}) cannot be imported into KMS key {}, because another key material (id: {}) is pending rotation.",
                    self.material_id,
                    k.arn,
                    pending.material_id()
                )));
            }
        }
        let version = k.versions.len() as u32 + 1;
        k.versions.push(Arc::new(KeyMaterial::imported(
            k.key_spec,
            version,
            self.material_id.to_owned(),
            self.now,
            Some(self.material.clone()),
            ImportInfo {
                valid_to: self.valid_to,
                description: self.description.clone(),
                pending_rotation,
            },
        )));
        Ok(())
    }

    /// Material the key had before, again (its expiry and description may change).
    fn reimport(&self, k: &mut KeyRecord, existing: Option<u32>) -> Result<(), KmsError> {
        if k.versions.is_empty() {
            return Err(KmsError::IncorrectKeyMaterial(
                "No key material has been imported into this KMS key yet. Import it with ImportType NEW_KEY_MATERIAL.".into(),
            ));
        }
        if let Some(requested) = self.requested_id.filter(|id| *id != self.material_id) {
            return Err(KmsError::IncorrectKeyMaterial(format!(
                "The key material does not match the key material ID {requested}."
            )));
        }
        let Some(version) = existing else {
            return Err(KmsError::IncorrectKeyMaterial(
                "The key material is not the key material previously imported into this KMS key."
                    .into(),
            ));
        };
        let index = version as usize - 1;
        let old = &k.versions[index];
        let before = old.import().cloned().unwrap_or_default();
        let info = ImportInfo {
            valid_to: self.valid_to,
            description: self.description.clone().or(before.description),
            pending_rotation: before.pending_rotation,
        };
        k.versions[index] = Arc::new(old.with_import(Some(self.material.clone()), info));
        Ok(())
    }
}

/// Drops the bytes of material `index` (deleted or expired); the key then waits for them.
fn forget_material(k: &mut KeyRecord, index: usize) {
    let m = &k.versions[index];
    let info = m.import().cloned().unwrap_or_default();
    k.versions[index] = Arc::new(m.with_import(None, info));
    if k.state != KeyState::PendingDeletion {
        k.state = KeyState::PendingImport;
    }
}

/// The import operations need a key with origin EXTERNAL.
fn check_external(key: &KeyRecord) -> Result<(), KmsError> {
    if key.origin == Origin::External {
        Ok(())
    } else {
        Err(key.unsupported_origin())
    }
}

/// AWS no longer accepts RSAES_PKCS1_V1_5 (since October 2023); SM2PKE goes with the SM2
/// wrapping key only, and the RSA algorithms with RSA wrapping keys.
fn check_wrapping_pair(
    algorithm: WrappingAlgorithm,
    spec: WrappingKeySpec,
) -> Result<(), KmsError> {
    if algorithm == WrappingAlgorithm::RsaesPkcs1V15 {
        return Err(KmsError::Validation(
            "The RSAES_PKCS1_V1_5 wrapping algorithm is no longer supported. Use RSAES_OAEP_SHA_256, RSAES_OAEP_SHA_1, RSA_AES_KEY_WRAP_SHA_256 or RSA_AES_KEY_WRAP_SHA_1.".into(),
        ));
    }
    if (algorithm == WrappingAlgorithm::Sm2Pke) != (spec == WrappingKeySpec::Sm2) {
        return Err(KmsError::Validation(format!(
            "Wrapping algorithm {algorithm} is not compatible with wrapping key spec {spec}."
        )));
    }
    Ok(())
}

/// The material's `ValidTo` under `model` (default `KEY_MATERIAL_EXPIRES`): required and at
/// most 365 days ahead when it expires, absent when it does not.
fn checked_valid_to(
    model: Option<ExpirationModel>,
    valid_to: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, KmsError> {
    match (
        model.unwrap_or(ExpirationModel::KeyMaterialExpires),
        valid_to,
    ) {
        (ExpirationModel::KeyMaterialExpires, None) => Err(KmsError::Validation(
            "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES".into(),
        )),
        (ExpirationModel::KeyMaterialExpires, Some(t)) => {
            if t <= now {
                Err(KmsError::Validation(
                    "The validTo date must be in the future.".into(),
                ))
            } else if t > crate::clock::saturating_add(now, Duration::days(MAX_VALID_TO_DAYS)) {
                Err(KmsError::Validation(format!(
                    "The validTo date must be no more than {MAX_VALID_TO_DAYS} days in the future."
                )))
            } else {
                Ok(Some(t))
            }
        }
        (ExpirationModel::KeyMaterialDoesNotExpire, Some(_)) => Err(KmsError::Validation(
            "A validTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE"
                .into(),
        )),
        (ExpirationModel::KeyMaterialDoesNotExpire, None) => Ok(None),
    }
}

/// `KeyMaterialId`: 64 lowercase hex characters.
fn material_id_member(v: &mut Violations, id: Option<&str>) {
    v.str_len("keyMaterialId", id, 64, 64);
    v.pattern("keyMaterialId", id, "^[a-f0-9]+$", |s| {
        !s.is_empty() && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_to_rules() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let day = Duration::days(1);
        let expires = Some(ExpirationModel::KeyMaterialExpires);
        let never = Some(ExpirationModel::KeyMaterialDoesNotExpire);
        assert!(
            checked_valid_to(None, None, now)
                .unwrap_err()
                .message()
                .starts_with("A validTo date must be set")
        );
        assert_eq!(
            checked_valid_to(None, Some(now + day), now).unwrap(),
            Some(now + day)
        );
        assert!(checked_valid_to(expires, Some(now), now).is_err());
        assert!(checked_valid_to(expires, Some(now + day * 365), now).is_ok());
        assert!(checked_valid_to(expires, Some(now + day * 366), now).is_err());
        assert_eq!(checked_valid_to(never, None, now).unwrap(), None);
        assert!(checked_valid_to(never, Some(now + day), now).is_err());
    }

    #[test]
    fn wrapping_pairs() {
        use WrappingAlgorithm as A;
        use WrappingKeySpec as S;
        assert!(check_wrapping_pair(A::RsaAesKeyWrapSha256, S::Rsa4096).is_ok());
        assert!(check_wrapping_pair(A::RsaesOaepSha1, S::Rsa2048).is_ok());
        assert!(check_wrapping_pair(A::Sm2Pke, S::Sm2).is_ok());
        assert!(check_wrapping_pair(A::Sm2Pke, S::Rsa2048).is_err());
        assert!(check_wrapping_pair(A::RsaesOaepSha256, S::Sm2).is_err());
        assert!(check_wrapping_pair(A::RsaesPkcs1V15, S::Rsa2048).is_err());
    }
}
