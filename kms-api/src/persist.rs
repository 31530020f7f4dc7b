//! The [`Persistence`] hook: every mutation is handed to it as one list of [`Change`]s before
//! the engine acknowledges it, so a durable store can commit the whole mutation as one
//! transaction first. Crypto operations never call it. In memory it does nothing
//! ([`InMemory`]).
//!
//! A key is stored as its metadata ([`Change::PutKey`]) and one row per material version
//! ([`Change::PutMaterial`]), so a rotation writes one small row and the key's metadata, never
//! the key's whole history again.

use std::sync::Arc;

use crate::key::grant::Grant;
use crate::key::record::KeyRecord;
use crate::key_store::CustomKeyStore;
use crate::kms::AliasEntry;
use crate::scope::Scope;

/// One part of a mutation. A mutation is a slice of changes committed all or nothing.
#[derive(Debug, Clone, Copy)]
pub enum Change<'a> {
    /// A key's metadata, new or changed (state, tags, policy, rotation schedule, ...); never
    /// its material.
    PutKey(&'a KeyRecord),
    /// Material version `u32` (1-based) of the key, new or changed (imported material that
    /// was deleted, re-imported or made current); with the rotation that created it.
    PutMaterial(&'a KeyRecord, u32),
    /// Material version `u32` of the key removed: imported material pending rotation that
    /// was deleted before it became current (it was never used).
    DeleteMaterial(&'a KeyRecord, u32),
    /// A key whose deletion completed: its metadata, every material version and every grant.
    DeleteKey(&'a KeyRecord),
    /// A grant of the key, new.
    PutGrant(&'a KeyRecord, &'a Grant),
    /// A grant of the key (by ID) retired or revoked.
    DeleteGrant(&'a KeyRecord, &'a str),
    /// An alias, new or re-pointed.
    PutAlias(&'a Scope, &'a AliasEntry),
    /// An alias removed.
    DeleteAlias(&'a Scope, &'a str),
    /// The key's last use (GetKeyLastUsage), written lazily by the scheduler.
    PutKeyUsage(&'a KeyRecord),
    /// A custom key store, new or changed.
    PutKeyStore(&'a Scope, &'a CustomKeyStore),
    /// A custom key store (by ID) deleted.
    DeleteKeyStore(&'a Scope, &'a str),
    /// The emulated clock's offset from the system clock in seconds, so that emulated time
    /// never moves back across a restart.
    ClockOffset(i64),
}

/// Where mutations go before they are acknowledged. A returned error aborts the mutation:
/// memory stays as it was and the caller gets `KMSInternalException`.
///
/// ```
/// use kms_api::{Change, InMemory, Kms, Persistence};
/// use std::sync::Arc;
///
/// struct Counting(std::sync::atomic::AtomicUsize);
/// impl Persistence for Counting {
///     fn commit(&self, changes: &[Change<'_>]) -> Result<(), String> {
///         self.0.fetch_add(changes.len(), std::sync::atomic::Ordering::SeqCst);
///         Ok(())
///     }
///     fn reset(&self) -> Result<(), String> { Ok(()) }
/// }
/// let counting = Arc::new(Counting(Default::default()));
/// let kms = Kms::builder().persistence(counting.clone()).build();
/// let scope = kms_api::Scope::new("111122223333", "us-east-1");
/// kms.create_key(&scope, Default::default()).unwrap();
/// // The key's metadata and its first material version, in one commit.
/// assert_eq!(counting.0.load(std::sync::atomic::Ordering::SeqCst), 2);
/// ```
pub trait Persistence: Send + Sync + 'static {
    /// Applies `changes` all or nothing, durably, before returning `Ok`.
    fn commit(&self, changes: &[Change<'_>]) -> Result<(), String>;
    /// Removes everything (keys, material, aliases; the clock offset stays).
    fn reset(&self) -> Result<(), String>;
}

/// No persistence: state lives only in memory.
#[derive(Debug, Default, Clone, Copy)]
pub struct InMemory;

impl Persistence for InMemory {
    fn commit(&self, _: &[Change<'_>]) -> Result<(), String> {
        Ok(())
    }
    fn reset(&self) -> Result<(), String> {
        Ok(())
    }
}

/// The changes that store a new key: its metadata, every material version and grant.
///
/// ```
/// use kms_api::{persist::new_key_changes, Change, Kms, Scope};
/// let kms = Kms::new();
/// let scope = Scope::new("111122223333", "us-east-1");
/// let id = kms.create_key(&scope, Default::default()).unwrap().key_metadata.key_id;
/// let key = kms.export_key(&scope, &id).unwrap();
/// assert!(matches!(new_key_changes(&key)[..], [Change::PutKey(_), Change::PutMaterial(_, 1)]));
/// ```
pub fn new_key_changes(key: &KeyRecord) -> Vec<Change<'_>> {
    let mut changes = Vec::with_capacity(1 + key.versions.len());
    changes.push(Change::PutKey(key));
    changes.extend((1..=key.versions.len() as u32).map(|v| Change::PutMaterial(key, v)));
    changes.extend(key.grants.iter().map(|g| Change::PutGrant(key, g)));
    changes
}

/// The changes that turn `before` into `after` (the same key): its metadata, the material
/// versions `after` added or replaced (imported material deleted, re-imported or made
/// current; found by pointer, so unchanged versions cost nothing) and those it dropped, and
/// the grants it added or removed (compared only when the grant list changed).
pub(crate) fn key_update_changes<'a>(
    before: &'a KeyRecord,
    after: &'a KeyRecord,
) -> Vec<Change<'a>> {
    let old = before.versions.len();
    let new = after.versions.len();
    let mut changes = Vec::with_capacity(1 + new.saturating_sub(old));
    changes.push(Change::PutKey(after));
    for (i, m) in after.versions.iter().enumerate() {
        if before.versions.get(i).is_none_or(|b| !Arc::ptr_eq(b, m)) {
            changes.push(Change::PutMaterial(after, i as u32 + 1));
        }
    }
    changes.extend((new + 1..=old).map(|v| Change::DeleteMaterial(after, v as u32)));
    if !Arc::ptr_eq(&before.grants, &after.grants) {
        grant_changes(before, after, &mut changes);
    }
    changes
}

/// The grant rows that turn `before`'s grants into `after`'s: those added and those removed,
/// found through each list's index by grant ID.
fn grant_changes<'a>(before: &'a KeyRecord, after: &'a KeyRecord, changes: &mut Vec<Change<'a>>) {
    let (old, new) = (&*before.grants, &*after.grants);
    changes.extend(
        new.iter()
            .filter(|g| old.get(&g.id).is_none())
            .map(|g| Change::PutGrant(after, g)),
    );
    changes.extend(
        old.iter()
            .filter(|g| new.get(&g.id).is_none())
            .map(|g| Change::DeleteGrant(after, g.id.as_str())),
    );
}
