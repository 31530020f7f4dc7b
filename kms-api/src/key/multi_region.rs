//! Multi-Region keys: keys with one `mrk-` key ID in several Regions of one account and
//! partition, one primary key and its replicas. Each member is a [`KeyRecord`] of its own in
//! its Region and keeps the set ([`MultiRegionConfig`]); the members share the key ID, so one
//! key lock covers them all. [`Peers`] is the rest of a set during one mutation, and
//! [`Peers::sync`] copies what AWS shares from the primary (key material, automatic rotation)
//! to every replica, so a rotation of the primary reaches them in the same commit.
//!
//! Policy, description, tags, aliases, grants and key state are each member's own.

use std::sync::Arc;

use crate::error::KmsError;
use crate::key::imported::ImportInfo;
use crate::key::record::KeyRecord;
use crate::key::spec::{KeyState, Origin};
use crate::persist::{Change, key_update_changes, new_key_changes};
use chrono::{DateTime, Utc};

/// A multi-Region key's set: which Region holds the primary key and which hold replicas. Each
/// member keeps a copy; the members share the key ID, so one key lock covers them all.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MultiRegionConfig {
    /// The primary key's Region.
    pub primary_region: String,
    /// The replicas' Regions, in the order they were created.
    pub replica_regions: Vec<String>,
}

impl MultiRegionConfig {
    /// Every member's Region, the primary's first.
    pub fn regions(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.primary_region.as_str())
            .chain(self.replica_regions.iter().map(String::as_str))
    }

    /// Whether the set has a member in `region`.
    pub fn contains(&self, region: &str) -> bool {
        self.regions().any(|r| r == region)
    }
}

impl KeyRecord {
    /// Whether the key is a multi-Region primary key.
    pub(crate) fn is_primary(&self) -> bool {
        self.multi_region
            .as_ref()
            .is_some_and(|m| m.primary_region == self.scope.region())
    }

    /// Whether the key is a multi-Region replica key.
    pub(crate) fn is_replica(&self) -> bool {
        self.multi_region
            .as_ref()
            .is_some_and(|m| m.primary_region != self.scope.region())
    }

    /// AWS's answer to an operation only a multi-Region primary key allows (ReplicateKey,
    /// UpdatePrimaryRegion, and the rotation settings of a set).
    pub(crate) fn not_primary(&self) -> KmsError {
        KmsError::UnsupportedOperation(format!("{} is not a multi-region primary key.", self.arn))
    }

    /// After the replica in `region` was deleted (at `deleted_at`): the set no longer has it,
    /// and a primary key waiting for its last replica becomes `PendingDeletion`, its waiting
    /// period starting then.
    pub(crate) fn forget_replica(&mut self, region: &str, deleted_at: DateTime<Utc>) {
        let Some(set) = &mut self.multi_region else {
            return;
        };
        set.replica_regions.retain(|r| r != region);
        let last_gone = set.replica_regions.is_empty();
        if last_gone && self.state == KeyState::PendingReplicaDeletion && self.is_primary() {
            let days = self.pending_window_days.unwrap_or(30);
            self.state = KeyState::PendingDeletion;
            self.deletion_date = Some(crate::clock::days_after(deleted_at, days));
        }
    }

    /// Whether [`KeyRecord::sync_shared_from`] would change this replica.
    fn differs_in_shared(&self, primary: &KeyRecord) -> bool {
        if self.rotation != primary.rotation || self.versions.len() != primary.versions.len() {
            return true;
        }
        self.origin == Origin::External
            && self
                .versions
                .iter()
                .zip(&primary.versions)
                .any(|(mine, theirs)| mine.is_pending_rotation() != theirs.is_pending_rotation())
    }

    /// Copies the properties AWS shares from `primary` to this replica: the automatic
    /// rotation schedule and history, and the material versions. Material KMS generated is
    /// shared as it is (the same `Arc`s). Imported material is each member's own import:
    /// a replica gets an empty slot for each version the primary has (so it must import the
    /// same material), and follows the primary's pending-rotation marks.
    pub(crate) fn sync_shared_from(&mut self, primary: &KeyRecord) {
        if self.rotation != primary.rotation {
            self.rotation = primary.rotation.clone();
        }
        if self.origin != Origin::External {
            let have = self.versions.len();
            self.versions
                .extend(primary.versions.iter().skip(have).map(Arc::clone));
            return;
        }
        // Imported material pending rotation that the primary dropped goes here too.
        self.versions.truncate(primary.versions.len());
        for (i, theirs) in primary.versions.iter().enumerate() {
            let pending = theirs.is_pending_rotation();
            match self.versions.get(i) {
                None => {
                    let info = ImportInfo {
                        valid_to: None,
                        description: theirs.import().and_then(|i| i.description.clone()),
                        pending_rotation: pending,
                    };
                    self.versions.push(Arc::new(theirs.with_import(None, info)));
                }
                Some(mine) if mine.is_pending_rotation() != pending => {
                    let mut info = mine.import().cloned().unwrap_or_default();
                    info.pending_rotation = pending;
                    self.versions[i] = Arc::new(mine.with_import(mine.secret().cloned(), info));
                }
                Some(_) => {}
            }
        }
    }
}

/// The other members of a key's multi-Region set during one mutation of it: each as it was,
/// and a copy once the mutation edits it (or a new member, from ReplicateKey). Empty for a
/// single-Region key, so a mutation of one costs nothing more.
#[derive(Default)]
pub(crate) struct Peers {
    members: Vec<Peer>,
}

/// A member: `before` as stored (`None` for a new one) and `record` as the mutation leaves it;
/// the same `Arc` until the mutation edits it (`Arc::make_mut` copies it then).
struct Peer {
    before: Option<Arc<KeyRecord>>,
    record: Arc<KeyRecord>,
}

impl Peer {
    fn edit(&mut self) -> &mut KeyRecord {
        Arc::make_mut(&mut self.record)
    }

    fn is_changed(&self) -> bool {
        self.before
            .as_ref()
            .is_none_or(|b| !Arc::ptr_eq(b, &self.record))
    }
}

impl Peers {
    /// The members as they are now (`before`), in the set's Region order.
    pub(crate) fn new(before: Vec<Arc<KeyRecord>>) -> Self {
        Self {
            members: before
                .into_iter()
                .map(|k| Peer {
                    before: Some(Arc::clone(&k)),
                    record: k,
                })
                .collect(),
        }
    }

    /// Every other member, as the mutation has left it so far.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &KeyRecord> {
        self.members.iter().map(|p| &*p.record)
    }

    /// A copy of the member in `region` to edit.
    pub(crate) fn edit(&mut self, region: &str) -> Option<&mut KeyRecord> {
        self.members
            .iter_mut()
            .find(|p| p.record.scope.region() == region)
            .map(Peer::edit)
    }

    /// Copies of every member, to edit.
    pub(crate) fn edit_all(&mut self) -> impl Iterator<Item = &mut KeyRecord> {
        self.members.iter_mut().map(Peer::edit)
    }

    /// A new member (a replica that ReplicateKey creates).
    pub(crate) fn add(&mut self, key: KeyRecord) {
        self.members.push(Peer {
            before: None,
            record: Arc::new(key),
        });
    }

    /// After a mutation of `target`: copies the shared properties from whichever member is
    /// now the primary to every other member that differs from it.
    pub(crate) fn sync(&mut self, target: &mut KeyRecord) {
        if self.members.is_empty() {
            return;
        }
        if target.is_primary() {
            for peer in &mut self.members {
                if peer.record.differs_in_shared(target) {
                    peer.edit().sync_shared_from(target);
                }
            }
            return;
        }
        let Some(p) = self.members.iter().position(|m| m.record.is_primary()) else {
            return;
        };
        let primary = Arc::clone(&self.members[p].record);
        let stale = target.differs_in_shared(&primary)
            || self
                .members
                .iter()
                .enumerate()
                .any(|(i, m)| i != p && m.record.differs_in_shared(&primary));
        if !stale {
            return;
        }
        target.sync_shared_from(&primary);
        for (i, peer) in self.members.iter_mut().enumerate() {
            if i != p && peer.record.differs_in_shared(&primary) {
                peer.edit().sync_shared_from(&primary);
            }
        }
    }

    /// Runs the record invariants on every edited member.
    pub(crate) fn check_invariants(&self) {
        for peer in self.members.iter().filter(|p| p.is_changed()) {
            peer.record.check_invariants();
        }
    }

    /// The store changes of every edited or new member.
    pub(crate) fn changes(&self) -> Vec<Change<'_>> {
        let mut changes = Vec::new();
        for peer in &self.members {
            match &peer.before {
                _ if !peer.is_changed() => {}
                Some(before) => changes.extend(key_update_changes(before, &peer.record)),
                None => changes.extend(new_key_changes(&peer.record)),
            }
        }
        changes
    }

    /// The edited and new members, to put in place once the store accepted them.
    pub(crate) fn into_changed(self) -> impl Iterator<Item = Arc<KeyRecord>> {
        self.members
            .into_iter()
            .filter(Peer::is_changed)
            .map(|p| p.record)
    }
}
