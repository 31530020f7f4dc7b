//! Key lifecycle operations: CreateKey, DescribeKey, ListKeys, UpdateKeyDescription,
//! EnableKey, DisableKey, ScheduleKeyDeletion, CancelKeyDeletion.

use std::sync::Arc;

use crate::error::KmsError;
use crate::key::id::key_arn;
use crate::key::material::KeyMaterial;
use crate::key::policy::KeyPolicy;
use crate::key::record::{KeyRecord, MultiRegionConfig, RotationSchedule};
use crate::key::spec::{KeySpec, KeyState, KeyUsage, Origin};
use crate::kms::Kms;
use crate::ops::{invalid_marker, page_limit, policies, tags};
use crate::scope::Scope;
use crate::validate::{self, Violations};
use crate::wire::keys::*;

/// Customer managed keys per account and Region (AWS's default resource quota).
pub const MAX_KEYS_PER_SCOPE: usize = 100_000;

impl Kms {
    /// Creates a key of any spec and usage AWS allows: symmetric, HMAC, RSA, ECC, Ed25519,
    /// ML-DSA or ML-KEM (SM2 only in the China Regions, and not yet emulated there).
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.CreateKey
    /// {"Description":"app key","Tags":[{"TagKey":"team","TagValue":"a"}]}
    /// ```
    /// # Errors
    /// `ValidationException`, `TagException`, `MalformedPolicyDocumentException`,
    /// `LimitExceededException`, `UnsupportedOperationException`.
    pub fn create_key(
        &self,
        scope: &Scope,
        req: CreateKeyRequest,
    ) -> Result<CreateKeyResponse, KmsError> {
        let mut v = Violations::new();
        v.str_len("description", req.description.as_deref(), 0, 8192);
        let usage = v.enumeration(
            "keyUsage",
            req.key_usage.as_deref(),
            KeyUsage::parse,
            KeyUsage::enum_set,
        );
        // SM2 exists only in the China Regions and ML-KEM everywhere else: elsewhere they
        // are not in the Region's enum.
        let region = scope.region();
        let in_region = |s: &str| KeySpec::parse(s).filter(|spec| spec.offered_in(region));
        let spec = v.enumeration("keySpec", req.key_spec.as_deref(), in_region, || {
            KeySpec::enum_set_in(region)
        });
        let cmk_spec = v.enumeration(
            "customerMasterKeySpec",
            req.customer_master_key_spec.as_deref(),
            |s| in_region(s).filter(|spec| spec.is_customer_master_key_spec()),
            || KeySpec::customer_master_key_spec_set_in(region),
        );
        let origin = v.enumeration(
            "origin",
            req.origin.as_deref(),
            Origin::parse,
            Origin::enum_set,
        );
        policies::validate_policy_member(&mut v, req.policy.as_deref());
        tags::validate_tag_members(&mut v, req.tags.as_deref());
        v.finish()?;

        if req.key_spec.is_some() && req.customer_master_key_spec.is_some() {
            return Err(KmsError::Validation(
                "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.".into(),
            ));
        }
        let spec = spec.or(cmk_spec).unwrap_or(KeySpec::SymmetricDefault);
        let usage = match usage {
            Some(u) => u,
            None if spec == KeySpec::SymmetricDefault => KeyUsage::EncryptDecrypt,
            None => {
                return Err(KmsError::Validation(
                    "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.".into(),
                ))
            }
        };
        if !spec.allowed_usages().contains(&usage) {
            return Err(KmsError::Validation(format!(
                "KeyUsage {usage} is not compatible with KeySpec {spec}"
            )));
        }
        let origin = origin.unwrap_or(Origin::AwsKms);
        let in_store = crate::ops::custom_key_stores::check_new_key_in_store(
            origin,
            spec,
            usage,
            req.custom_key_store_id.as_deref(),
            req.xks_key_id.as_deref(),
            req.multi_region == Some(true),
        )?;
        if origin == Origin::External && !spec.is_importable() {
            return Err(KmsError::UnsupportedOperation(format!(
                "KeySpec {spec} is not supported for KMS keys with EXTERNAL origin."
            )));
        }
        let multi_region = req.multi_region == Some(true);
        let tags = tags::checked_tags(req.tags.as_deref().unwrap_or_default(), &[])?;
        let policy = match req.policy {
            Some(p) => policies::checked_policy(p)?,
            None => KeyPolicy::new(policies::default_policy(scope)),
        };
        if let Some(state) = self.scope_state(scope) {
            check_key_limit(&state)?;
        }

        let now = self.now();
        // Generated before any lock is taken: an RSA key can take a second when its pool is
        // empty. A key for imported material starts with none, waiting for its import.
        let (versions, state) = if origin == Origin::External {
            (Vec::new(), KeyState::PendingImport)
        } else {
            let material = KeyMaterial::generate_for(spec, 1, now, self.random())?;
            (vec![Arc::new(material)], KeyState::Enabled)
        };
        let id = if multi_region {
            self.new_multi_region_key_id()
        } else {
            self.new_key_id()
        };
        let record = KeyRecord {
            id,
            arn: Arc::from(key_arn(scope, id)),
            scope: scope.clone(),
            created_at: now,
            description: req.description.unwrap_or_default(),
            key_spec: spec,
            key_usage: usage,
            origin,
            state,
            deletion_date: None,
            pending_window_days: None,
            versions,
            tags,
            policy,
            rotation: RotationSchedule {
                period_days: 365,
                ..Default::default()
            },
            aws_managed: false,
            grants: Default::default(),
            multi_region: multi_region.then(|| MultiRegionConfig {
                primary_region: scope.region().to_owned(),
                replica_regions: Vec::new(),
            }),
            custom_key_store: None,
            usage: Arc::new(crate::key::usage::UsageSlot::new(Some(now))),
        };
        let key = match in_store {
            // The store's lock across its checks and the insert: a store is never deleted
            // or disconnected between them.
            Some(store_id) => {
                // No reset, then the store's lock, then the key's (in `insert_key_holding`):
                // the order every custom key store mutation takes them in.
                let no_reset = self.no_reset_guard();
                let state = self.scope_state_or_default(scope);
                let _stores = state.key_store_guard();
                let mut record = record;
                record.custom_key_store = Some(crate::ops::custom_key_stores::membership(
                    &state,
                    store_id,
                    origin,
                    req.xks_key_id.as_deref(),
                )?);
                self.insert_key_holding(record, &no_reset)?
            }
            None => self.insert_key(record)?,
        };
        Ok(CreateKeyResponse {
            key_metadata: metadata(&key),
        })
    }

    /// Describes a key, found by key ID, key ARN, alias name or alias ARN.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.DescribeKey
    /// {"KeyId":"alias/app"}
    /// ```
    /// # Errors
    /// `NotFoundException`, `ValidationException`.
    pub fn describe_key(
        &self,
        scope: &Scope,
        req: KeyIdRequest,
    ) -> Result<DescribeKeyResponse, KmsError> {
        let mut v = Violations::new();
        let key_id = validate::key_id(&mut v, "keyId", &req.key_id);
        crate::ops::grants::grant_tokens_member(&mut v, req.grant_tokens.as_deref());
        v.finish()?;
        self.check_grant_tokens(scope, req.grant_tokens.as_deref())?;
        let key = self.resolve(scope, key_id.unwrap_or_default(), true)?;
        Ok(DescribeKeyResponse {
            key_metadata: metadata(&key),
        })
    }

    /// Lists the keys of the account and Region, a page at a time (ordered by key ID).
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.ListKeys
    /// {"Limit":10,"Marker":"<NextMarker of the previous page>"}
    /// ```
    /// # Errors
    /// `ValidationException`, `InvalidMarkerException`.
    pub fn list_keys(
        &self,
        scope: &Scope,
        req: ListKeysRequest,
    ) -> Result<ListKeysResponse, KmsError> {
        let mut v = Violations::new();
        v.range("limit", req.limit, 1, 1000);
        v.str_len("marker", req.marker.as_deref(), 1, 1024);
        v.finish()?;
        let limit = page_limit(req.limit, 100);
        let after = match req.marker.as_deref() {
            Some(m) => Some(m.parse::<crate::KeyId>().map_err(|_| invalid_marker())?),
            None => None,
        };
        let now = self.now();
        let mut ids: Vec<(crate::KeyId, Arc<str>)> = self
            .scope_state(scope)
            .map(|s| {
                s.keys
                    .iter()
                    .filter(|k| !k.is_due_for_deletion(now))
                    .map(|k| (k.id, Arc::clone(&k.arn)))
                    .collect()
            })
            .unwrap_or_default();
        ids.sort_unstable_by_key(|(id, _)| *id);
        let start = after.map_or(0, |m| ids.partition_point(|(id, _)| *id <= m));
        let page: Vec<KeyListEntry> = ids[start..]
            .iter()
            .take(limit)
            .map(|(id, arn)| KeyListEntry {
                key_id: id.to_string(),
                key_arn: arn.to_string(),
            })
            .collect();
        let truncated = start + page.len() < ids.len();
        Ok(ListKeysResponse {
            next_marker: truncated
                .then(|| page.last().map(|e| e.key_id.clone()))
                .flatten(),
            keys: page,
            truncated,
        })
    }

    /// Replaces a key's description.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.UpdateKeyDescription
    /// {"KeyId":"1234abcd-...","Description":"new text"}
    /// ```
    /// # Errors
    /// `NotFoundException`, `KMSInvalidStateException` (pending deletion), `ValidationException`.
    pub fn update_key_description(
        &self,
        scope: &Scope,
        req: UpdateKeyDescriptionRequest,
    ) -> Result<Empty, KmsError> {
        let mut v = Violations::new();
        let key_id = validate::key_id(&mut v, "keyId", &req.key_id);
        v.required("description", &req.description);
        v.str_len("description", req.description.as_deref(), 0, 8192);
        v.finish()?;
        let key = self.resolve(scope, key_id.unwrap_or_default(), false)?;
        let description = req.description.unwrap_or_default();
        self.update_key(&key, |k| {
            k.check_not_pending_deletion()?;
            k.description = description;
            Ok(())
        })?;
        Ok(Empty {})
    }

    /// Enables a key.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.EnableKey
    /// {"KeyId":"1234abcd-..."}
    /// ```
    /// # Errors
    /// `NotFoundException`, `KMSInvalidStateException` (pending deletion or import).
    pub fn enable_key(&self, scope: &Scope, req: KeyIdRequest) -> Result<Empty, KmsError> {
        self.set_enabled(scope, req, KeyState::Enabled)
    }

    /// Disables a key: cryptographic operations with it fail with `DisabledException`.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.DisableKey
    /// {"KeyId":"1234abcd-..."}
    /// ```
    /// # Errors
    /// `NotFoundException`, `KMSInvalidStateException` (pending deletion or import).
    pub fn disable_key(&self, scope: &Scope, req: KeyIdRequest) -> Result<Empty, KmsError> {
        self.set_enabled(scope, req, KeyState::Disabled)
    }

    fn set_enabled(
        &self,
        scope: &Scope,
        req: KeyIdRequest,
        target: KeyState,
    ) -> Result<Empty, KmsError> {
        let key = self.key_named(scope, &req.key_id)?;
        let now = self.now();
        self.update_key(&key, |k| match k.state {
            KeyState::Enabled | KeyState::Disabled | KeyState::Unavailable => {
                // A rotation that came due while the key was disabled happens once, right
                // after it is enabled again, and the schedule restarts from then (AWS).
                let overdue = k.rotation.next_rotation.is_some_and(|d| d < now);
                if target == KeyState::Enabled && k.state != KeyState::Enabled && overdue {
                    k.rotation.next_rotation = Some(now);
                }
                k.state = target;
                Ok(())
            }
            other => Err(k.invalid_state(other)),
        })?;
        Ok(Empty {})
    }

    /// Schedules a key for deletion after 7 to 30 days (default 30). Until then it can be
    /// cancelled; after that the key, its material and aliases are gone. A multi-Region
    /// primary key with replicas is `PendingReplicaDeletion` instead: its waiting period
    /// starts when its last replica is deleted.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.ScheduleKeyDeletion
    /// {"KeyId":"1234abcd-...","PendingWindowInDays":7}
    /// ```
    /// # Errors
    /// `NotFoundException`, `KMSInvalidStateException` (already pending deletion), `ValidationException`.
    pub fn schedule_key_deletion(
        &self,
        scope: &Scope,
        req: ScheduleKeyDeletionRequest,
    ) -> Result<ScheduleKeyDeletionResponse, KmsError> {
        let mut v = Violations::new();
        let key_id = validate::key_id(&mut v, "keyId", &req.key_id);
        v.range("pendingWindowInDays", req.pending_window_in_days, 7, 30);
        v.finish()?;
        let days = req.pending_window_in_days.unwrap_or(30) as u32;
        let key = self.resolve(scope, key_id.unwrap_or_default(), false)?;
        let deletion_date = crate::clock::days_after(self.now(), days);
        let (_, key) = self.update_key(&key, |k| {
            if matches!(
                k.state,
                KeyState::PendingDeletion | KeyState::PendingReplicaDeletion | KeyState::Updating
            ) {
                return Err(k.invalid_state(k.state));
            }
            // AWS does not delete a primary key before its replicas: it waits for them, and
            // its own waiting period starts when the last one is gone.
            let has_replicas = k
                .multi_region
                .as_ref()
                .is_some_and(|m| k.is_primary() && !m.replica_regions.is_empty());
            if has_replicas {
                k.state = KeyState::PendingReplicaDeletion;
                k.deletion_date = None;
            } else {
                k.state = KeyState::PendingDeletion;
                k.deletion_date = Some(deletion_date);
            }
            k.pending_window_days = Some(days);
            Ok(())
        })?;
        Ok(ScheduleKeyDeletionResponse {
            key_id: key.arn.to_string(),
            deletion_date: key.deletion_date,
            key_state: key.state.as_str().into(),
            pending_window_in_days: days,
        })
    }

    /// Cancels a scheduled deletion; the key is then `Disabled`, as AWS leaves it (or
    /// `PendingImport`, when its imported material is missing).
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.CancelKeyDeletion
    /// {"KeyId":"1234abcd-..."}
    /// ```
    /// # Errors
    /// `NotFoundException`, `KMSInvalidStateException` (not pending deletion).
    pub fn cancel_key_deletion(
        &self,
        scope: &Scope,
        req: KeyIdRequest,
    ) -> Result<KeyIdResponse, KmsError> {
        let key = self.key_named(scope, &req.key_id)?;
        let (_, key) = self.update_key(&key, |k| {
            if !matches!(
                k.state,
                KeyState::PendingDeletion | KeyState::PendingReplicaDeletion
            ) {
                return Err(KmsError::InvalidState(format!(
                    "{} is not pending deletion.",
                    k.arn
                )));
            }
            // A key whose imported material is gone goes back to waiting for it.
            k.state = if k.origin == Origin::External && !k.is_fully_imported() {
                KeyState::PendingImport
            } else {
                KeyState::Disabled
            };
            k.deletion_date = None;
            k.pending_window_days = None;
            Ok(())
        })?;
        Ok(KeyIdResponse {
            key_id: key.arn.to_string(),
        })
    }
}

/// The `KeyMetadata` AWS returns for `key`: its algorithm lists come from the spec table.
pub(crate) fn metadata(key: &KeyRecord) -> KeyMetadata {
    let symmetric = key.key_spec == KeySpec::SymmetricDefault;
    let algorithms = key.key_spec.algorithms(key.key_usage);
    // Imported material reports its expiration model while it is there.
    let current_import = key
        .current()
        .filter(|m| m.secret().is_some())
        .and_then(|m| m.import());
    KeyMetadata {
        aws_account_id: key.scope.account().to_owned(),
        key_id: key.id.to_string(),
        arn: key.arn.to_string(),
        creation_date: key.created_at,
        enabled: key.effective_state() == KeyState::Enabled,
        description: key.description.clone(),
        key_usage: key.key_usage.as_str().into(),
        key_state: key.effective_state().as_str().into(),
        deletion_date: key.deletion_date,
        origin: key.origin.as_str().into(),
        custom_key_store_id: key
            .custom_key_store
            .as_ref()
            .map(|m| m.link.id().to_owned()),
        cloud_hsm_cluster_id: key
            .custom_key_store
            .as_ref()
            .and_then(|m| m.link.cluster_id()),
        xks_key_configuration: key
            .custom_key_store
            .as_ref()
            .and_then(|m| m.xks_key_id.clone())
            .map(|id| XksKeyConfiguration { id }),
        key_manager: if key.aws_managed { "AWS" } else { "CUSTOMER" }.into(),
        customer_master_key_spec: key
            .key_spec
            .is_customer_master_key_spec()
            .then(|| key.key_spec.as_str().into()),
        key_spec: key.key_spec.as_str().into(),
        encryption_algorithms: names(algorithms.encryption),
        signing_algorithms: names(algorithms.signing),
        key_agreement_algorithms: names(algorithms.key_agreement),
        encapsulation_algorithms: names(algorithms.encapsulation),
        mac_algorithms: names(algorithms.mac),
        multi_region: key.multi_region.is_some(),
        multi_region_configuration: key.multi_region.as_ref().map(|m| {
            let member = |region: &str| MultiRegionKey {
                arn: key_arn(&key.scope.with_region(region), key.id),
                region: region.to_owned(),
            };
            MultiRegionConfiguration {
                multi_region_key_type: if m.primary_region == key.scope.region() {
                    "PRIMARY"
                } else {
                    "REPLICA"
                }
                .into(),
                primary_key: member(&m.primary_region),
                replica_keys: m.replica_regions.iter().map(|r| member(r)).collect(),
            }
        }),
        // A primary key waiting for its replicas' deletion says how long it will wait after.
        pending_deletion_window_in_days: key
            .pending_window_days
            .filter(|_| key.state == KeyState::PendingReplicaDeletion),
        expiration_model: current_import.map(|i| i.expiration_model().into()),
        valid_to: key.valid_to(),
        // AWS reports the current material only for symmetric encryption keys, and not for a
        // replica being created.
        current_key_material_id: (symmetric && key.state != KeyState::Creating)
            .then(|| key.current().map(|m| m.material_id().to_owned()))
            .flatten(),
    }
}

/// An algorithm list as AWS sends it, absent when empty.
pub(crate) fn names<T: Copy + std::fmt::Display>(list: &[T]) -> Option<Vec<String>> {
    (!list.is_empty()).then(|| list.iter().map(|a| a.to_string()).collect())
}

/// AWS's limit of keys per account and Region.
pub(crate) fn check_key_limit(state: &crate::kms::ScopeState) -> Result<(), KmsError> {
    if state.keys.len() >= MAX_KEYS_PER_SCOPE {
        return Err(KmsError::LimitExceeded(format!(
            "The request was rejected because the account has reached the limit of {MAX_KEYS_PER_SCOPE} KMS keys in this Region."
        )));
    }
    Ok(())
}
