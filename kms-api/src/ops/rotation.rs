//! Rotation: EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand,
//! ListKeyRotations, and the scheduler's sweep ([`Kms::run_scheduled`]) that performs automatic
//! rotations and completes deletions when the engine's clock passes their dates.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::error::KmsError;
use crate::key::material::KeyMaterial;
use crate::key::multi_region::Peers;
use crate::key::record::{KeyRecord, MAX_ON_DEMAND_ROTATIONS, RotationEntry};
use crate::key::spec::{KeyState, Origin};
use crate::kms::Kms;
use crate::ops::{index_marker, page_limit};
use crate::persist::{Change, key_update_changes};
use crate::scope::Scope;
use crate::validate::{self, Violations};
use crate::wire::keys::{Empty, KeyIdRequest, KeyIdResponse};
use crate::wire::rotation::*;

/// The automatic rotation period when EnableKeyRotation names none.
pub const DEFAULT_ROTATION_PERIOD_DAYS: u32 = 365;
/// At most this many overdue automatic rotations of one key are caught up per sweep, so a
/// huge clock jump cannot stall the scheduler; the next sweep continues.
const MAX_CATCH_UP_PER_SWEEP: usize = 100;
/// How often a sweep writes the key usage recorded since the last time (GetKeyLastUsage may
/// lag by this much across a restart, as AWS's lags).
const USAGE_FLUSH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(10);
/// Keys rotated per store transaction in a sweep: few enough that the batch's key locks
/// are held briefly, many enough that a large catch-up is not one disk sync per key.
const SWEEP_BATCH: usize = 64;

/// What one sweep of the scheduler did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ScheduledWork {
    /// Automatic rotations performed.
    pub rotations: usize,
    /// Keys whose deletion completed.
    pub deletions: usize,
    /// Imported key materials that expired (and were deleted).
    pub expirations: usize,
    /// Transient states that ended: multi-Region replicas created (`Creating`), keys whose
    /// primary Region changed (`Updating`), custom key stores connected (`CONNECTING`).
    pub settled: usize,
}

impl Kms {
    /// Turns on automatic rotation every `RotationPeriodInDays` (90..=2560, default 365); the
    /// next rotation is due one period from now.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.EnableKeyRotation
    /// {"KeyId":"1234abcd-...","RotationPeriodInDays":90}
    /// ```
    /// # Errors
    /// `NotFoundException`, `DisabledException`, `KMSInvalidStateException`,
    /// `UnsupportedOperationException` (not a symmetric AWS_KMS key), `ValidationException`.
    pub fn enable_key_rotation(
        &self,
        scope: &Scope,
        req: EnableKeyRotationRequest,
    ) -> Result<Empty, KmsError> {
        let mut v = Violations::new();
        let key_id = validate::key_id(&mut v, "keyId", &req.key_id);
        v.range(
            "rotationPeriodInDays",
            req.rotation_period_in_days,
            90,
            2560,
        );
        v.finish()?;
        let days = req
            .rotation_period_in_days
            .map_or(DEFAULT_ROTATION_PERIOD_DAYS, |d| d as u32);
        let key = self.resolve(scope, key_id.unwrap_or_default(), false)?;
        let next = crate::clock::days_after(self.now(), days);
        self.update_key(&key, |k| {
            check_rotatable(k)?;
            check_not_replica(k)?;
            k.rotation.enabled = true;
            k.rotation.period_days = days;
            k.rotation.next_rotation = Some(next);
            Ok(())
        })?;
        Ok(Empty {})
    }

    /// Turns automatic rotation off.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.DisableKeyRotation
    /// {"KeyId":"1234abcd-..."}
    /// ```
    /// # Errors
    /// As EnableKeyRotation.
    pub fn disable_key_rotation(
        &self,
        scope: &Scope,
        req: KeyIdRequest,
    ) -> Result<Empty, KmsError> {
        let key = self.key_named(scope, &req.key_id)?;
        if !key.key_spec.is_rotatable() {
            // AWS answers an asymmetric or HMAC key's DisableKeyRotation with success: its
            // rotation is off already.
            check_rotation_state(&key)?;
            return Ok(Empty {});
        }
        self.update_key(&key, |k| {
            check_rotatable(k)?;
            check_not_replica(k)?;
            k.rotation.enabled = false;
            k.rotation.next_rotation = None;
            Ok(())
        })?;
        Ok(Empty {})
    }

    /// Reports whether automatic rotation is on, its period and the next due date.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.GetKeyRotationStatus
    /// {"KeyId":"1234abcd-..."}
    /// ```
    /// # Errors
    /// `NotFoundException`, `UnsupportedOperationException`, `ValidationException`.
    pub fn get_key_rotation_status(
        &self,
        scope: &Scope,
        req: KeyIdRequest,
    ) -> Result<GetKeyRotationStatusResponse, KmsError> {
        let key = self.key_named(scope, &req.key_id)?;
        if key.key_spec.is_rotatable() {
            check_spec_rotatable(&key, Rotation::Automatic)?;
        }
        // Asymmetric and HMAC keys never rotate: AWS reports rotation off for them.
        let enabled = key.rotation.enabled && key.key_spec.is_rotatable();
        Ok(GetKeyRotationStatusResponse {
            key_id: key.arn.to_string(),
            key_rotation_enabled: enabled,
            rotation_period_in_days: enabled.then_some(key.rotation.period_days),
            next_rotation_date: key.rotation.next_rotation.filter(|_| enabled),
            on_demand_rotation_start_date: None,
        })
    }

    /// Rotates the key's material now (at most 25 times per key). Old ciphertexts keep
    /// decrypting; new ones use the new material. The automatic schedule is not changed. A
    /// key with imported material rotates to the material imported for it (pending rotation).
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.RotateKeyOnDemand
    /// {"KeyId":"1234abcd-..."}
    /// ```
    /// # Errors
    /// `NotFoundException`, `DisabledException`, `KMSInvalidStateException`,
    /// `UnsupportedOperationException`, `LimitExceededException`.
    pub fn rotate_key_on_demand(
        &self,
        scope: &Scope,
        req: KeyIdRequest,
    ) -> Result<KeyIdResponse, KmsError> {
        let key = self.key_named(scope, &req.key_id)?;
        let now = self.now();
        let (_, key) = self.update_key_set(&key, |k, peers| {
            check_rotation_state(k)?;
            check_spec_rotatable(k, Rotation::OnDemand)?;
            check_not_replica(k)?;
            // Imported material rotates to material imported for it (pending rotation); a
            // multi-Region key's replicas must have it too.
            let pending = if k.origin == Origin::External {
                match k.versions.last().filter(|m| m.is_pending_rotation()) {
                    Some(m) => {
                        let missing = peers.iter().find(|p| {
                            p.material(m.version()).is_none_or(|pm| pm.secret().is_none())
                        });
                        if let Some(replica) = missing {
                            return Err(KmsError::InvalidState(format!(
                                "The key material pending rotation (id: {}) has not been imported into the replica key {}.",
                                m.material_id(),
                                replica.arn
                            )));
                        }
                        Some(Arc::clone(m))
                    }
                    None => {
                        return Err(KmsError::InvalidState(format!(
                            "No available key material pending rotation for the key: {}.",
                            k.arn
                        )))
                    }
                }
            } else {
                None
            };
            let on_demand = k.rotation.history.iter().filter(|r| r.on_demand).count();
            if on_demand >= MAX_ON_DEMAND_ROTATIONS as usize {
                return Err(KmsError::LimitExceeded(format!(
                    "The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: {}",
                    k.arn
                )));
            }
            match pending {
                None => self.add_version(k, now, true),
                Some(m) => {
                    let mut info = m.import().cloned().unwrap_or_default();
                    info.pending_rotation = false;
                    let version = m.version();
                    let promoted = m.with_import(m.secret().cloned(), info);
                    k.versions[version as usize - 1] = Arc::new(promoted);
                    k.rotation.history.push(RotationEntry {
                        version,
                        date: now,
                        on_demand: true,
                    });
                }
            }
            Ok(())
        })?;
        Ok(KeyIdResponse {
            key_id: key.arn.to_string(),
        })
    }

    /// Lists a key's rotations, oldest first; with `ALL_KEY_MATERIAL` the original material too.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.ListKeyRotations
    /// {"KeyId":"1234abcd-...","Limit":10}
    /// ```
    /// # Errors
    /// `NotFoundException`, `InvalidMarkerException`, `UnsupportedOperationException`,
    /// `ValidationException`.
    pub fn list_key_rotations(
        &self,
        scope: &Scope,
        req: ListKeyRotationsRequest,
    ) -> Result<ListKeyRotationsResponse, KmsError> {
        let mut v = Violations::new();
        let key_id = validate::key_id(&mut v, "keyId", &req.key_id);
        let include_all = v.enumeration(
            "includeKeyMaterial",
            req.include_key_material.as_deref(),
            |s| match s {
                "ALL_KEY_MATERIAL" => Some(true),
                "ROTATIONS_ONLY" => Some(false),
                _ => None,
            },
            || "[ALL_KEY_MATERIAL, ROTATIONS_ONLY]".into(),
        );
        v.range("limit", req.limit, 1, 1000);
        v.str_len("marker", req.marker.as_deref(), 1, 1024);
        v.finish()?;
        let key = self.resolve(scope, key_id.unwrap_or_default(), false)?;
        check_spec_rotatable(&key, Rotation::OnDemand)?;
        let current = key.current().map(|m| m.version());
        let key_id = key.id.to_string();
        let entry =
            |version: u32, rotation: Option<&RotationEntry>| -> Option<RotationsListEntry> {
                let material = key.material(version)?;
                let state = if material.is_pending_rotation() {
                    "PENDING_ROTATION"
                } else if Some(version) == current {
                    "CURRENT"
                } else {
                    "NON_CURRENT"
                };
                // Imported material also says whether it is there and when it expires.
                let import = material.import();
                Some(RotationsListEntry {
                    key_id: key_id.clone(),
                    key_material_id: material.material_id().to_owned(),
                    key_material_description: import.and_then(|i| i.description.clone()),
                    import_state: import.map(|_| {
                        if material.secret().is_some() {
                            "IMPORTED"
                        } else {
                            "PENDING_IMPORT"
                        }
                        .into()
                    }),
                    key_material_state: state.into(),
                    expiration_model: import.map(|i| i.expiration_model().into()),
                    valid_to: import.and_then(|i| i.valid_to),
                    rotation_date: rotation.map(|r| r.date),
                    rotation_type: rotation.map(|r| {
                        if r.on_demand {
                            "ON_DEMAND"
                        } else {
                            "AUTOMATIC"
                        }
                        .into()
                    }),
                })
            };
        let mut all: Vec<RotationsListEntry> = Vec::with_capacity(key.rotation.history.len() + 2);
        if include_all == Some(true) {
            all.extend(entry(1, None));
        }
        all.extend(
            key.rotation
                .history
                .iter()
                .filter_map(|r| entry(r.version, Some(r))),
        );
        // With ALL_KEY_MATERIAL, "any imported key material pending rotation" too.
        if include_all == Some(true) {
            if let Some(pending) = key.versions.last().filter(|m| m.is_pending_rotation()) {
                all.extend(entry(pending.version(), None));
            }
        }
        let start = index_marker(req.marker.as_deref(), all.len())?;
        let limit = page_limit(req.limit, 100);
        let end = (start + limit).min(all.len());
        let truncated = end < all.len();
        Ok(ListKeyRotationsResponse {
            rotations: all.drain(start..end).collect(),
            next_marker: truncated.then(|| end.to_string()),
            truncated,
        })
    }

    /// One sweep of the scheduler: performs every automatic rotation whose date has passed
    /// on the engine's clock (dated when it was due) and completes every deletion whose
    /// waiting period is over. The server runs it every second and after the clock moves.
    pub fn run_scheduled(&self) -> ScheduledWork {
        let _sweep = self.sweep_guard();
        self.sweep()
    }

    /// Moves the engine's clock forward by `seconds` and runs the work that came due, as one
    /// step: no other sweep runs in between, so the returned work is all that the move caused.
    /// The new offset is committed to the persistence hook before the clock moves, so emulated
    /// time never moves back across a restart.
    ///
    /// # Errors
    /// `UnsupportedOperationException` when the clock cannot be moved or `seconds` is
    /// negative; `KMSInternalException` when the offset could not be stored (the clock then
    /// stays where it was).
    pub fn advance_clock(&self, seconds: i64) -> Result<ScheduledWork, KmsError> {
        let _sweep = self.sweep_guard();
        if !self.clock().is_movable() {
            return Err(KmsError::UnsupportedOperation(
                "this engine's clock cannot be moved".into(),
            ));
        }
        if seconds < 0 {
            return Err(KmsError::UnsupportedOperation(
                "emulated time only moves forward".into(),
            ));
        }
        let offset = self
            .clock()
            .offset()
            .saturating_add(seconds)
            .min(crate::clock::MAX_OFFSET_SECONDS);
        {
            let _no_reset = self.no_reset_guard();
            self.commit(&[Change::ClockOffset(offset)])?;
        }
        self.clock().advance(seconds);
        Ok(self.sweep())
    }

    fn sweep(&self) -> ScheduledWork {
        let now = self.now();
        let mut work = ScheduledWork {
            deletions: self.purge_due_deletions(),
            expirations: self.expire_imported_material(),
            ..Default::default()
        };
        work.settled = self.settle_transient_states() + self.settle_key_store_connections();
        if self.usage_flush_due(USAGE_FLUSH_INTERVAL) {
            self.flush_key_usage();
        }
        // AWS does not rotate a key that is disabled or pending deletion; rotation resumes
        // when the key is enabled again (see `set_enabled`). A multi-Region key rotates as
        // its primary key does, with its replicas.
        let due = |k: &KeyRecord| {
            k.state == KeyState::Enabled
                && !k.is_replica()
                && k.rotation.enabled
                && k.rotation.next_rotation.is_some_and(|d| d <= now)
        };
        let candidates: Vec<Arc<KeyRecord>> =
            self.all_keys().into_iter().filter(|k| due(k)).collect();
        for batch in candidates.chunks(SWEEP_BATCH) {
            // One store transaction per batch, holding only the batch's key locks: mutations
            // of other keys go on meanwhile.
            let _keys = self.key_guard(batch.iter().map(|k| k.id));
            let mut rotated: Vec<(Arc<KeyRecord>, KeyRecord, Peers)> =
                Vec::with_capacity(batch.len());
            let mut count = 0;
            for key in batch {
                let Some(current) = self
                    .scope_state(&key.scope)
                    .and_then(|s| s.keys.get(&key.id).map(|k| Arc::clone(&k)))
                else {
                    continue;
                };
                if !due(&current) {
                    continue;
                }
                let mut next = KeyRecord::clone(&current);
                let mut done = 0;
                while done < MAX_CATCH_UP_PER_SWEEP {
                    let Some(when) = next.rotation.next_rotation.filter(|d| *d <= now) else {
                        break;
                    };
                    self.add_version(&mut next, when, false);
                    next.rotation.next_rotation =
                        Some(crate::clock::days_after(when, next.rotation.period_days))
                            .filter(|d| *d > when);
                    done += 1;
                }
                let mut peers = self.peers_of(&current);
                peers.sync(&mut next);
                debug_assert!({
                    next.check_invariants();
                    peers.check_invariants();
                    true
                });
                count += done;
                rotated.push((current, next, peers));
            }
            let changes: Vec<Change<'_>> = rotated
                .iter()
                .flat_map(|(current, next, peers)| {
                    let mut changes = key_update_changes(current, next);
                    changes.extend(peers.changes());
                    changes
                })
                .collect();
            match self.commit(&changes) {
                Ok(()) => {
                    drop(changes);
                    for (_, next, peers) in rotated {
                        if let Some(state) = self.scope_state(&next.scope) {
                            state.keys.insert(next.id, Arc::new(next));
                        }
                        self.put_peers(peers);
                    }
                    work.rotations += count;
                }
                Err(e) => {
                    tracing::warn!(error = %e, keys = rotated.len(), "automatic rotations failed; retrying next sweep")
                }
            }
        }
        work
    }

    /// Every key in every scope (a snapshot of `Arc`s).
    pub(crate) fn all_keys(&self) -> Vec<Arc<KeyRecord>> {
        self.scopes_snapshot()
            .iter()
            .flat_map(|s| s.keys.iter().map(|k| Arc::clone(&k)).collect::<Vec<_>>())
            .collect()
    }

    /// Appends a new material version and its history entry.
    fn add_version(&self, k: &mut KeyRecord, date: DateTime<Utc>, on_demand: bool) {
        let version = k.versions.len() as u32 + 1;
        k.versions.push(Arc::new(KeyMaterial::generate(
            version,
            date,
            self.random(),
        )));
        k.rotation.history.push(RotationEntry {
            version,
            date,
            on_demand,
        });
    }
}

/// AWS rotates only symmetric keys with AWS_KMS origin; the state check comes first.
fn check_rotatable(k: &KeyRecord) -> Result<(), KmsError> {
    check_rotation_state(k)?;
    check_spec_rotatable(k, Rotation::Automatic)
}

/// A multi-Region key's rotation is set and performed on its primary key, for the whole set.
fn check_not_replica(k: &KeyRecord) -> Result<(), KmsError> {
    if k.is_replica() {
        Err(k.not_primary())
    } else {
        Ok(())
    }
}

/// Rotation operations need an enabled key (or one whose primary Region is changing),
/// checked before the spec.
fn check_rotation_state(k: &KeyRecord) -> Result<(), KmsError> {
    match k.state {
        KeyState::Enabled | KeyState::Updating => Ok(()),
        KeyState::Disabled => Err(KmsError::Disabled(format!("{} is disabled.", k.arn))),
        other => Err(k.invalid_state(other)),
    }
}

/// Which rotation an operation is about: automatic rotation is for AWS_KMS material only;
/// on-demand rotation (and ListKeyRotations) also for imported (EXTERNAL) material (AWS, 2025).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rotation {
    Automatic,
    OnDemand,
}

/// Only symmetric keys rotate, and only with an origin that `rotation` allows.
fn check_spec_rotatable(k: &KeyRecord, rotation: Rotation) -> Result<(), KmsError> {
    if !k.key_spec.is_rotatable() {
        return Err(KmsError::UnsupportedOperation(String::new()));
    }
    match (k.origin, rotation) {
        (Origin::AwsKms, _) | (Origin::External, Rotation::OnDemand) => Ok(()),
        _ => Err(k.unsupported_origin()),
    }
}
