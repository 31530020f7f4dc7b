//! The [`Persistence`] hook: every mutation is handed to it before the engine acknowledges it,
//! so a durable store can commit first. Crypto operations never call it. In memory it does
//! nothing ([`InMemory`]).

use crate::key::record::KeyRecord;
use crate::kms::AliasEntry;
use crate::scope::Scope;

/// Where mutations go before they are acknowledged. A returned error aborts the mutation:
/// memory stays as it was and the caller gets `KMSInternalException`.
///
/// ```
/// use kms_api::{InMemory, Kms, Persistence};
/// use std::sync::Arc;
/// let kms = Kms::builder().persistence(Arc::new(InMemory)).build();
/// # let _ = kms;
/// ```
pub trait Persistence: Send + Sync + 'static {
    /// Stores `key` (new or changed), material and all.
    fn put_key(&self, key: &KeyRecord) -> Result<(), String>;
    /// Stores several keys, all or nothing (the scheduler's batches). A store with
    /// transactions should override this to commit once.
    fn put_keys(&self, keys: &[KeyRecord]) -> Result<(), String> {
        keys.iter().try_for_each(|k| self.put_key(k))
    }
    /// Removes a key whose deletion completed.
    fn delete_key(&self, key: &KeyRecord) -> Result<(), String>;
    /// Removes a key whose deletion completed together with its aliases, all or nothing. A
    /// store with transactions should override this; the default removes the aliases first,
    /// so an interruption leaves a due key that the next sweep deletes again.
    fn delete_key_and_aliases(&self, key: &KeyRecord, aliases: &[String]) -> Result<(), String> {
        for name in aliases {
            self.delete_alias(key.scope(), name)?;
        }
        self.delete_key(key)
    }
    /// Stores an alias (new or re-pointed).
    fn put_alias(&self, scope: &Scope, alias: &AliasEntry) -> Result<(), String>;
    /// Removes an alias.
    fn delete_alias(&self, scope: &Scope, name: &str) -> Result<(), String>;
    /// Removes everything.
    fn reset(&self) -> Result<(), String>;
}

/// No persistence: state lives only in memory.
#[derive(Debug, Default, Clone, Copy)]
pub struct InMemory;

impl Persistence for InMemory {
    fn put_key(&self, _: &KeyRecord) -> Result<(), String> {
        Ok(())
    }
    fn delete_key(&self, _: &KeyRecord) -> Result<(), String> {
        Ok(())
    }
    fn put_alias(&self, _: &Scope, _: &AliasEntry) -> Result<(), String> {
        Ok(())
    }
    fn delete_alias(&self, _: &Scope, _: &str) -> Result<(), String> {
        Ok(())
    }
    fn reset(&self) -> Result<(), String> {
        Ok(())
    }
}
