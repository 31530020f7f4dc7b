//! The multi-Region operations: ReplicateKey and UpdatePrimaryRegion, and the end of their
//! transient key states (`Creating`, `Updating`) in the scheduler's sweep
//! ([`Kms::settle_transient_states`]). The set itself and what its members share are in
//! `key::multi_region`; CreateKey makes a primary key (`MultiRegion=true`), and deletion
//! (`PendingReplicaDeletion`) is in `ops::keys` and `Kms::complete_deletion`.

use std::sync::Arc;

use crate::error::KmsError;
use crate::key::id::key_arn;
use crate::key::policy::KeyPolicy;
use crate::key::record::KeyRecord;
use crate::key::spec::{KeyState, Origin};
use crate::kms::Kms;
use crate::ops::keys::{check_key_limit, metadata};
use crate::ops::{policies, tags};
use crate::regions;
use crate::scope::Scope;
use crate::validate::{self, Violations};
use crate::wire::keys::Empty;
use crate::wire::multi_region::*;

/// How long a new replica stays `Creating`, in seconds of the engine's clock ("a few seconds"
/// in AWS): the first scheduler sweep after that makes it usable.
pub const REPLICA_CREATION_SECONDS: i64 = 2;

/// The model's pattern of a Region name (`ReplicaRegion`, `PrimaryRegion`).
const REGION_PATTERN: &str = "^([a-z]+-){2,3}\\d+$";

impl Kms {
    /// Creates a replica of a multi-Region primary key in another Region of the same account
    /// and partition: the same key ID, key spec, usage, origin, material and rotation; its own
    /// description, policy and tags. The replica is `Creating` for
    /// [`REPLICA_CREATION_SECONDS`]; the scheduler sweep after that makes it `Enabled` (or
    /// `PendingImport`, for imported material, which must then be imported into the replica
    /// too).
    ///
    /// ```
    /// use kms_api::{Clock, Kms, ManualClock, Scope};
    /// use kms_api::wire::keys::{CreateKeyRequest, KeyIdRequest};
    /// use kms_api::wire::multi_region::ReplicateKeyRequest;
    /// use std::sync::Arc;
    ///
    /// let clock = Arc::new(ManualClock::at_epoch_seconds(1_800_000_000));
    /// let kms = Kms::builder().clock(clock.clone()).build();
    /// let east = Scope::new("111122223333", "us-east-1");
    /// let primary = kms.create_key(&east, CreateKeyRequest {
    ///     multi_region: Some(true),
    ///     ..Default::default()
    /// }).unwrap().key_metadata;
    /// let replica = kms.replicate_key(&east, ReplicateKeyRequest {
    ///     key_id: Some(primary.key_id.clone()),
    ///     replica_region: Some("eu-west-1".into()),
    ///     ..Default::default()
    /// }).unwrap().replica_key_metadata;
    /// assert_eq!(replica.key_id, primary.key_id);
    /// assert_eq!(replica.key_state, "Creating");
    /// clock.advance(2);
    /// kms.run_scheduled();
    /// let west = Scope::new("111122223333", "eu-west-1");
    /// let replica = kms.describe_key(&west, KeyIdRequest::new(&primary.key_id)).unwrap();
    /// assert_eq!(replica.key_metadata.key_state, "Enabled");
    /// ```
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.ReplicateKey
    /// {"KeyId":"mrk-1234abcd...","ReplicaRegion":"eu-west-1"}
    /// ```
    /// # Errors
    /// `NotFoundException`, `UnsupportedOperationException` (not a multi-Region primary key,
    /// or a Region outside the key's partition), `AlreadyExistsException` (the Region has a
    /// member of the set), `DisabledException`, `KMSInvalidStateException`,
    /// `MalformedPolicyDocumentException`, `TagException`, `LimitExceededException`,
    /// `ValidationException`.
    pub fn replicate_key(
        &self,
        scope: &Scope,
        req: ReplicateKeyRequest,
    ) -> Result<ReplicateKeyResponse, KmsError> {
        let mut v = Violations::new();
        let key_id = validate::key_id(&mut v, "keyId", &req.key_id);
        region_member(&mut v, "replicaRegion", &req.replica_region);
        policies::validate_policy_member(&mut v, req.policy.as_deref());
        v.str_len("description", req.description.as_deref(), 0, 8192);
        tags::validate_tag_members(&mut v, req.tags.as_deref());
        v.finish()?;
        let region = req.replica_region.as_deref().unwrap_or_default();
        let key = self.resolve(scope, key_id.unwrap_or_default(), false)?;
        if !key.is_primary() {
            return Err(key.not_primary());
        }
        let replica_scope = key.scope.with_region(region);
        if !regions::is_known(region) || replica_scope.partition() != key.scope.partition() {
            return Err(KmsError::UnsupportedOperation(format!(
                "{region} is not a Region of the {} partition that {} can be replicated to.",
                key.scope.partition(),
                key.arn
            )));
        }
        let given_tags = req.tags.unwrap_or_default();
        let tag_list = tags::checked_tags(&given_tags, &[])?;
        let policy = match req.policy {
            Some(p) => policies::checked_policy(p)?,
            None => KeyPolicy::new(policies::default_policy(&replica_scope)),
        };
        if let Some(state) = self.scope_state(&replica_scope) {
            check_key_limit(&state)?;
        }
        let now = self.now();
        self.update_key_set(&key, |k, peers| {
            // Again under the lock: the primary Region may have changed meanwhile.
            if !k.is_primary() {
                return Err(k.not_primary());
            }
            match k.state {
                KeyState::Enabled => {}
                KeyState::Disabled => {
                    return Err(KmsError::Disabled(format!("{} is disabled.", k.arn)));
                }
                other => return Err(k.invalid_state(other)),
            }
            let Some(set) = k.multi_region.as_mut() else {
                return Err(k.not_primary());
            };
            if set.contains(region) {
                return Err(KmsError::AlreadyExists(
                    "You can create only one replica of each primary key in each AWS Region."
                        .into(),
                ));
            }
            set.replica_regions.push(region.to_owned());
            let set = set.clone();
            for peer in peers.edit_all() {
                peer.multi_region = Some(set.clone());
            }
            peers.add(KeyRecord {
                id: k.id,
                arn: Arc::from(key_arn(&replica_scope, k.id)),
                scope: replica_scope.clone(),
                created_at: now,
                description: req.description.clone().unwrap_or_default(),
                key_spec: k.key_spec,
                key_usage: k.key_usage,
                origin: k.origin,
                state: KeyState::Creating,
                deletion_date: None,
                pending_window_days: None,
                // Shared after this closure (`Peers::sync`): generated material as it is,
                // imported material as empty slots to import into.
                versions: Vec::new(),
                tags: tag_list.clone(),
                policy: policy.clone(),
                rotation: k.rotation.clone(),
                aws_managed: false,
                grants: Default::default(),
                multi_region: Some(set),
                custom_key_store: None,
                usage: Arc::new(crate::key::usage::UsageSlot::new(Some(now))),
            });
            Ok(())
        })?;
        let replica = self.find_key(&replica_scope, key.id)?;
        Ok(ReplicateKeyResponse {
            replica_key_metadata: metadata(&replica),
            replica_policy: replica.policy.text().to_owned(),
            replica_tags: (!given_tags.is_empty()).then(|| {
                replica
                    .tags
                    .iter()
                    .map(|(k, v)| crate::wire::Tag {
                        tag_key: Some(k.clone()),
                        tag_value: Some(v.clone()),
                    })
                    .collect()
            }),
        })
    }

    /// Makes the replica in `PrimaryRegion` the primary key of its set and the current
    /// primary key a replica. Both keys are `Updating` (still usable in cryptographic
    /// operations) until the next scheduler sweep.
    ///
    /// ```
    /// use kms_api::{Clock, Kms, ManualClock, Scope};
    /// use kms_api::wire::keys::{CreateKeyRequest, KeyIdRequest};
    /// use kms_api::wire::multi_region::{ReplicateKeyRequest, UpdatePrimaryRegionRequest};
    /// use std::sync::Arc;
    ///
    /// let clock = Arc::new(ManualClock::at_epoch_seconds(1_800_000_000));
    /// let kms = Kms::builder().clock(clock.clone()).build();
    /// let east = Scope::new("111122223333", "us-east-1");
    /// let id = kms.create_key(&east, CreateKeyRequest {
    ///     multi_region: Some(true),
    ///     ..Default::default()
    /// }).unwrap().key_metadata.key_id;
    /// kms.replicate_key(&east, ReplicateKeyRequest {
    ///     key_id: Some(id.clone()),
    ///     replica_region: Some("eu-west-1".into()),
    ///     ..Default::default()
    /// }).unwrap();
    /// clock.advance(2);
    /// kms.run_scheduled(); // the replica is Enabled
    /// kms.update_primary_region(&east, UpdatePrimaryRegionRequest {
    ///     key_id: Some(id.clone()),
    ///     primary_region: Some("eu-west-1".into()),
    /// }).unwrap();
    /// let west = Scope::new("111122223333", "eu-west-1");
    /// let described = kms.describe_key(&west, KeyIdRequest {
    ///     key_id: Some(id),
    ///     ..Default::default()
    /// }).unwrap().key_metadata;
    /// assert_eq!(described.multi_region_configuration.unwrap().multi_region_key_type, "PRIMARY");
    /// ```
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.UpdatePrimaryRegion
    /// {"KeyId":"mrk-1234abcd...","PrimaryRegion":"eu-west-1"}
    /// ```
    /// # Errors
    /// `NotFoundException` (no replica in that Region), `UnsupportedOperationException` (not a
    /// multi-Region primary key), `DisabledException`, `KMSInvalidStateException`,
    /// `ValidationException`.
    pub fn update_primary_region(
        &self,
        scope: &Scope,
        req: UpdatePrimaryRegionRequest,
    ) -> Result<Empty, KmsError> {
        let mut v = Violations::new();
        let key_id = validate::key_id(&mut v, "keyId", &req.key_id);
        region_member(&mut v, "primaryRegion", &req.primary_region);
        v.finish()?;
        let region = req.primary_region.as_deref().unwrap_or_default();
        let key = self.resolve(scope, key_id.unwrap_or_default(), false)?;
        if !key.is_primary() {
            return Err(key.not_primary());
        }
        self.update_key_set(&key, |k, peers| {
            if !k.is_primary() {
                return Err(k.not_primary());
            }
            // AWS's key-state table: UpdatePrimaryRegion works on Enabled and Updating keys.
            k.check_usable()?;
            if region == k.scope.region() {
                return Err(KmsError::UnsupportedOperation(format!(
                    "{} is already the primary key in {region}.",
                    k.arn
                )));
            }
            let Some(new_primary) = peers.edit(region) else {
                return Err(KmsError::NotFound(format!(
                    "Key '{}' does not exist",
                    key_arn(&k.scope.with_region(region), k.id)
                )));
            };
            new_primary.check_usable()?;
            new_primary.state = KeyState::Updating;
            k.state = KeyState::Updating;
            let Some(set) = k.multi_region.as_mut() else {
                return Err(k.not_primary());
            };
            let old_primary = std::mem::replace(&mut set.primary_region, region.to_owned());
            set.replica_regions.retain(|r| r != region);
            set.replica_regions.push(old_primary);
            let set = set.clone();
            for peer in peers.edit_all() {
                peer.multi_region = Some(set.clone());
            }
            Ok(())
        })?;
        Ok(Empty {})
    }

    /// Ends the transient states of multi-Region keys (each sweep of the scheduler does
    /// this): a replica `Creating` for [`REPLICA_CREATION_SECONDS`] becomes `Enabled`, or
    /// `PendingImport` while its imported material is missing; keys whose primary Region
    /// changed (`Updating`) are `Enabled` again. Returns how many keys changed.
    pub fn settle_transient_states(&self) -> usize {
        let created_by = crate::clock::saturating_add(
            self.now(),
            chrono::Duration::seconds(-REPLICA_CREATION_SECONDS),
        );
        let transient: Vec<Arc<KeyRecord>> = self
            .all_keys()
            .into_iter()
            .filter(|k| match k.state {
                KeyState::Creating => k.created_at <= created_by,
                KeyState::Updating => true,
                _ => false,
            })
            .collect();
        let mut settled = 0;
        for key in transient {
            let result = self.update_key(&key, |k| {
                k.state = match k.state {
                    KeyState::Creating
                        if k.origin == Origin::External && !k.is_fully_imported() =>
                    {
                        KeyState::PendingImport
                    }
                    KeyState::Creating | KeyState::Updating => KeyState::Enabled,
                    other => other, // changed meanwhile
                };
                Ok(())
            });
            match result {
                Ok(_) => settled += 1,
                Err(e) => {
                    tracing::warn!(key = %key.arn(), error = %e, "could not end a transient key state; retrying next sweep")
                }
            }
        }
        settled
    }
}

/// A required Region member: 1..32 characters of the model's pattern.
fn region_member(v: &mut Violations, field: &str, value: &Option<String>) {
    v.required(field, value);
    v.str_len(field, value.as_deref(), 1, 32);
    v.pattern(field, value.as_deref(), REGION_PATTERN, is_region_name);
}

/// `^([a-z]+-){2,3}\d+$`: two or three lowercase words each followed by a dash, then digits.
fn is_region_name(s: &str) -> bool {
    let Some((words, number)) = s.rsplit_once('-') else {
        return false;
    };
    let words: Vec<&str> = words.split('-').collect();
    !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
        && (2..=3).contains(&words.len())
        && words
            .iter()
            .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names_follow_the_model_pattern() {
        for ok in [
            "us-east-1",
            "us-gov-west-1",
            "eu-isoe-west-1",
            "ap-southeast-7",
        ] {
            assert!(is_region_name(ok), "{ok}");
        }
        for bad in [
            "",
            "us-east",
            "us-1",
            "US-east-1",
            "us-east-1a",
            "a-b-c-d-1",
            "us--east-1",
            "-us-east-1",
            "us-east-",
        ] {
            assert!(!is_region_name(bad), "{bad}");
        }
    }
}
