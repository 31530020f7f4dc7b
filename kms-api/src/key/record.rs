//! [`KeyRecord`]: everything KMS knows about one key (metadata, material versions, tags,
//! policy, rotation schedule) and the state rules AWS applies to it.
//!
//! Records are immutable once shared: a mutation clones the record, changes the clone and
//! replaces it whole, so readers never wait. Material versions sit behind `Arc`, so the clone
//! is cheap and never copies secrets.

use std::sync::Arc;

use crate::key::id::KeyId;
use chrono::{DateTime, Utc};

use crate::error::KmsError;
use crate::key::grant::{Grant, KeyGrants};
use crate::key::material::KeyMaterial;
pub use crate::key::multi_region::MultiRegionConfig;
use crate::key::spec::{KeySpec, KeyState, KeyUsage, Origin};
use crate::key::usage::UsageSlot;
use crate::key_store::StoreMembership;
use crate::scope::Scope;

/// The most on-demand rotations AWS allows per key (since February 2026).
pub const MAX_ON_DEMAND_ROTATIONS: u32 = 25;

/// One KMS key.
#[derive(Debug, Clone)]
pub struct KeyRecord {
    pub(crate) id: KeyId,
    pub(crate) arn: Arc<str>,
    pub(crate) scope: Scope,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) description: String,
    pub(crate) key_spec: KeySpec,
    pub(crate) key_usage: KeyUsage,
    pub(crate) origin: Origin,
    pub(crate) state: KeyState,
    pub(crate) deletion_date: Option<DateTime<Utc>>,
    pub(crate) pending_window_days: Option<u32>,
    /// `versions[i]` is version `i + 1`; the last one encrypts, all decrypt.
    pub(crate) versions: Vec<Arc<KeyMaterial>>,
    /// In the order they were first set; a re-set key keeps its place.
    pub(crate) tags: Vec<(String, String)>,
    pub(crate) policy: crate::key::policy::KeyPolicy,
    pub(crate) rotation: RotationSchedule,
    /// An AWS managed key (`alias/aws/<service>`), created on first use; `KeyManager` `AWS`.
    pub(crate) aws_managed: bool,
    /// The key's grants, oldest first. Behind one `Arc`, so cloning the record for a
    /// mutation that does not touch them costs nothing.
    pub(crate) grants: Arc<KeyGrants>,
    /// The multi-Region set the key belongs to (a key with an `mrk-` ID); `None` for a
    /// single-Region key.
    pub(crate) multi_region: Option<MultiRegionConfig>,
    /// The custom key store the key is in (origin `AWS_CLOUDHSM` or `EXTERNAL_KEY_STORE`).
    pub(crate) custom_key_store: Option<StoreMembership>,
    /// The last successful cryptographic operation (GetKeyLastUsage); shared by every
    /// version of the record, written without a lock.
    pub(crate) usage: Arc<UsageSlot>,
}

/// Automatic rotation settings and the history of rotations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RotationSchedule {
    /// Whether automatic rotation is on.
    pub enabled: bool,
    /// The automatic rotation period in days (90..=2560).
    pub period_days: u32,
    /// When the next automatic rotation is due, while enabled.
    pub next_rotation: Option<DateTime<Utc>>,
    /// Every rotation so far, oldest first.
    pub history: Vec<RotationEntry>,
}

/// One rotation, as `ListKeyRotations` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationEntry {
    /// The material version the rotation created.
    pub version: u32,
    /// When it happened.
    pub date: DateTime<Utc>,
    /// Whether it was on demand (`ON_DEMAND`) or scheduled (`AUTOMATIC`).
    pub on_demand: bool,
}

impl KeyRecord {
    /// The key ID.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// The key ARN.
    pub fn arn(&self) -> &str {
        &self.arn
    }

    /// The account and Region the key belongs to.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The key state.
    pub fn state(&self) -> KeyState {
        self.state
    }

    /// The key spec.
    pub fn key_spec(&self) -> KeySpec {
        self.key_spec
    }

    /// Every material version, oldest first.
    pub fn versions(&self) -> &[Arc<KeyMaterial>] {
        &self.versions
    }

    /// The key's last successful cryptographic operation (GetKeyLastUsage).
    pub fn last_usage(&self) -> Option<crate::key::usage::LastUsage> {
        self.usage.last()
    }

    /// The key's grants, oldest first.
    pub fn grants(&self) -> &[Arc<Grant>] {
        self.grants.as_slice()
    }

    /// Restores the key's grants (from a store), oldest first.
    #[doc(hidden)]
    pub fn restore_grants(&mut self, grants: Vec<Grant>) {
        self.grants = Arc::new(KeyGrants::from_grants(grants));
    }

    /// The material new ciphertexts use: the newest, unless that is imported material
    /// pending rotation (then the one before it).
    pub(crate) fn current(&self) -> Option<&Arc<KeyMaterial>> {
        match self.versions.last() {
            Some(m) if m.is_pending_rotation() => self.versions.iter().rev().nth(1),
            last => last,
        }
    }

    /// Material `version` (1-based), if the key has it.
    pub(crate) fn material(&self, version: u32) -> Option<&Arc<KeyMaterial>> {
        let index = usize::try_from(version).ok()?.checked_sub(1)?;
        self.versions.get(index)
    }

    /// The key state AWS reports: a key of a custom key store that is not connected is
    /// `Unavailable`, whatever it is underneath (enabled or disabled, which it is again once
    /// the store connects).
    pub fn effective_state(&self) -> KeyState {
        match (&self.custom_key_store, self.state) {
            (Some(store), KeyState::Enabled | KeyState::Disabled) if !store.link.is_connected() => {
                KeyState::Unavailable
            }
            (_, state) => state,
        }
    }

    /// AWS's rule for cryptographic operations: only an enabled key may be used, and the
    /// state check comes before any other check on the key.
    pub(crate) fn check_usable(&self) -> Result<(), KmsError> {
        match self.effective_state() {
            KeyState::Enabled | KeyState::Updating => Ok(()),
            KeyState::Disabled => Err(KmsError::Disabled(format!("{} is disabled.", self.arn))),
            other => Err(self.invalid_state(other)),
        }
    }

    /// AWS's rule for management operations that any key not pending deletion allows
    /// (tagging, descriptions, aliases).
    pub(crate) fn check_not_pending_deletion(&self) -> Result<(), KmsError> {
        match self.state {
            KeyState::PendingDeletion | KeyState::PendingReplicaDeletion => {
                Err(self.invalid_state(self.state))
            }
            _ => Ok(()),
        }
    }

    /// AWS's rule for the import operations that a multi-Region key in a transient state
    /// (a replica being created, a primary Region changing) refuses.
    pub(crate) fn check_not_transient(&self) -> Result<(), KmsError> {
        match self.state {
            KeyState::Creating | KeyState::Updating => Err(self.invalid_state(self.state)),
            _ => Ok(()),
        }
    }

    /// `KMSInvalidStateException` with AWS's text for `state`.
    pub(crate) fn invalid_state(&self, state: KeyState) -> KmsError {
        let what = match state {
            KeyState::PendingDeletion | KeyState::PendingReplicaDeletion => "is pending deletion.",
            KeyState::PendingImport => "is pending import.",
            KeyState::Unavailable => "is unavailable.",
            KeyState::Creating => "is creating.",
            KeyState::Updating => "is updating.",
            KeyState::Disabled => "is disabled.",
            KeyState::Enabled => "is enabled.",
        };
        KmsError::InvalidState(format!("{} {what}", self.arn))
    }

    /// `UnsupportedOperationException` for an operation the key's origin does not allow
    /// (AWS's `<arn> origin is AWS_KMS which is not valid for this operation.`).
    pub(crate) fn unsupported_origin(&self) -> KmsError {
        KmsError::UnsupportedOperation(format!(
            "{} origin is {} which is not valid for this operation.",
            self.arn, self.origin
        ))
    }

    /// `InvalidKeyUsageException` unless the key's usage is `usage`.
    pub(crate) fn check_usage(&self, usage: KeyUsage, operation: &str) -> Result<(), KmsError> {
        if self.key_usage == usage {
            Ok(())
        } else {
            Err(KmsError::InvalidKeyUsage(format!(
                "{} key usage is {} which is not valid for {operation}.",
                self.arn, self.key_usage
            )))
        }
    }

    /// True when the key is pending deletion and its deletion date has passed.
    pub(crate) fn is_due_for_deletion(&self, now: DateTime<Utc>) -> bool {
        self.state == KeyState::PendingDeletion && self.deletion_date.is_some_and(|d| d <= now)
    }

    /// The record's invariants; run in debug builds after every mutation and in tests.
    pub(crate) fn check_invariants(&self) {
        let last = self.versions.len();
        for (i, v) in self.versions.iter().enumerate() {
            assert_eq!(
                v.version() as usize,
                i + 1,
                "material versions are 1-based and dense"
            );
            assert_eq!(
                v.import().is_some(),
                self.origin == Origin::External,
                "imported material exactly in EXTERNAL keys"
            );
            assert!(
                v.secret().is_some() || v.import().is_some(),
                "only imported material can lose its bytes"
            );
            assert!(
                !v.is_pending_rotation() || (i + 1 == last && last > 1),
                "only the newest of several versions can be pending rotation"
            );
        }
        if self.origin == Origin::External
            && matches!(self.state, KeyState::Enabled | KeyState::Disabled)
        {
            assert!(
                self.is_fully_imported(),
                "an enabled or disabled EXTERNAL key has all its material"
            );
        }
        assert_eq!(
            self.deletion_date.is_some(),
            self.state == KeyState::PendingDeletion,
            "a deletion date exactly while pending deletion"
        );
        assert_eq!(
            self.id.is_multi_region(),
            self.multi_region.is_some(),
            "a multi-Region set exactly for an mrk- key ID"
        );
        assert!(
            self.tags.len() <= crate::ops::tags::MAX_TAGS,
            "at most 50 tags"
        );
        if self.rotation.enabled {
            assert!(
                self.rotation.next_rotation.is_some(),
                "enabled rotation has a due date"
            );
        }
    }
}
