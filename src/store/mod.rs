//! The durable store behind the engine's [`Persistence`] hook: an embedded, transactional,
//! crash-safe `redb` database in the data directory. Every mutation is committed and synced
//! before the engine acknowledges it; key material is wrapped under the root key
//! ([`root_key`]) before it is written. Crypto operations never touch the store.
//!
//! Layout of `DIR`: `kms.redb` (tables `keys` and `aliases`, JSON values keyed by
//! `account/region/id-or-alias`), `root.check` (a value wrapped under the root key, to refuse
//! a wrong root key before anything is opened), and `root.key` when the root key was generated.
//!
//! A shared server database (PostgreSQL) for several emulator instances would be another
//! `Persistence` implementation beside this one: the engine only calls the hook.

pub mod root_key;
pub mod seed;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use kms_api::key::snapshot::{AliasSnapshot, KeySnapshot};
use kms_api::{AliasEntry, KeyRecord, Kms, Persistence, Scope};
use redb::{Database, ReadableTable, ReadableTableMetadata, TableDefinition};

use root_key::RootKey;

const KEYS: TableDefinition<&str, &[u8]> = TableDefinition::new("keys");
const ALIASES: TableDefinition<&str, &[u8]> = TableDefinition::new("aliases");
/// The database file.
pub const DB_FILE: &str = "kms.redb";
const CACHE_BYTES: usize = 16 * 1024 * 1024;
/// Holds a value wrapped under the root key; its presence marks an initialised directory.
pub const CHECK_FILE: &str = "root.check";
const CHECK_VALUE: &[u8] = b"kms-emulator root key check, format 1";

/// The durable store.
pub struct Store {
    db: Database,
    root: RootKey,
    dir: PathBuf,
    /// Test hook: make every write fail (the store-failure tests).
    fail_writes: AtomicBool,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (or creates) the store in `dir`. A root key other than the one the directory was
    /// created with is refused before the database is opened, so nothing is touched.
    pub fn open(dir: &Path, root: RootKey) -> Result<Self, String> {
        fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create the data directory {}: {e}", dir.display()))?;
        let check_path = dir.join(CHECK_FILE);
        let db_path = dir.join(DB_FILE);
        match fs::read(&check_path) {
            Ok(wrapped) => {
                if root.unwrap_bytes(&wrapped).as_deref() != Some(CHECK_VALUE) {
                    return Err(format!(
                        "the root key does not match the one {} was created with; nothing was changed",
                        dir.display()
                    ));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if db_path.exists() {
                    return Err(format!(
                        "{} has a database but no {CHECK_FILE}; refusing to guess the root key",
                        dir.display()
                    ));
                }
                write_synced(&check_path, &root.wrap_bytes(CHECK_VALUE)?)?;
                sync_dir(dir)?;
            }
            Err(e) => return Err(format!("cannot read {}: {e}", check_path.display())),
        }
        // The engine keeps every key in memory; redb's page cache only needs to hold the pages
        // a commit touches, so it stays small (its default is 1 GiB).
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .create(&db_path)
            .map_err(|e| format!("cannot open {}: {e}", db_path.display()))?;
        let txn = db.begin_write().map_err(err)?;
        txn.open_table(KEYS).map_err(err)?;
        txn.open_table(ALIASES).map_err(err)?;
        txn.commit().map_err(err)?;
        Ok(Self {
            db,
            root,
            dir: dir.to_owned(),
            fail_writes: AtomicBool::new(false),
        })
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Loads every key and alias into `kms`; returns how many of each.
    pub fn restore_into(&self, kms: &Kms) -> Result<(usize, usize), String> {
        let txn = self.db.begin_read().map_err(err)?;
        let keys = txn.open_table(KEYS).map_err(err)?;
        let mut key_count = 0;
        for row in keys.iter().map_err(err)? {
            let (id, value) = row.map_err(err)?;
            let snapshot: KeySnapshot = serde_json::from_slice(value.value())
                .map_err(|e| format!("key {}: {e}", id.value()))?;
            let record = KeyRecord::from_snapshot(snapshot, |w| self.root.unwrap(w))
                .map_err(|e| format!("key {}: {e}", id.value()))?;
            kms.restore_key(record);
            key_count += 1;
        }
        let aliases = txn.open_table(ALIASES).map_err(err)?;
        let mut alias_count = 0;
        for row in aliases.iter().map_err(err)? {
            let (name, value) = row.map_err(err)?;
            let snapshot: AliasSnapshot = serde_json::from_slice(value.value())
                .map_err(|e| format!("alias {}: {e}", name.value()))?;
            let (scope, alias) = snapshot.into_parts();
            kms.restore_alias(&scope, alias);
            alias_count += 1;
        }
        Ok((key_count, alias_count))
    }

    /// How many keys are stored.
    pub fn key_count(&self) -> Result<u64, String> {
        let txn = self.db.begin_read().map_err(err)?;
        txn.open_table(KEYS).map_err(err)?.len().map_err(err)
    }

    /// Writes keys and aliases in one transaction: all or nothing (seeding).
    pub fn put_batch(
        &self,
        keys: &[KeyRecord],
        aliases: &[(Scope, AliasEntry)],
    ) -> Result<(), String> {
        let keys = keys
            .iter()
            .map(|k| self.encode_key(k))
            .collect::<Result<Vec<_>, _>>()?;
        let aliases = aliases
            .iter()
            .map(|(scope, alias)| encode_alias(scope, alias))
            .collect::<Result<Vec<_>, _>>()?;
        self.write(|txn| {
            for (table, rows) in [(KEYS, &keys), (ALIASES, &aliases)] {
                if rows.is_empty() {
                    continue;
                }
                let mut table = txn.open_table(table).map_err(err)?;
                for (id, value) in rows {
                    table.insert(id.as_str(), value.as_slice()).map_err(err)?;
                }
            }
            Ok(())
        })
    }

    /// Makes every following write fail (`true`) or work again; for failure tests.
    #[doc(hidden)]
    pub fn set_fail_writes(&self, fail: bool) {
        self.fail_writes.store(fail, Ordering::SeqCst);
    }

    fn check_writable(&self) -> Result<(), String> {
        if self.fail_writes.load(Ordering::SeqCst) {
            Err("injected store failure".into())
        } else {
            Ok(())
        }
    }

    fn encode_key(&self, key: &KeyRecord) -> Result<(String, Vec<u8>), String> {
        let snapshot = key.to_snapshot(|secret| self.root.wrap(secret))?;
        let value = serde_json::to_vec(&snapshot).map_err(|e| e.to_string())?;
        Ok((record_key(key.scope(), &key.id().to_string()), value))
    }

    fn write(
        &self,
        f: impl FnOnce(&redb::WriteTransaction) -> Result<(), String>,
    ) -> Result<(), String> {
        self.check_writable()?;
        let txn = self.db.begin_write().map_err(err)?;
        f(&txn)?;
        txn.commit().map_err(err)
    }
}

impl Persistence for Store {
    fn put_key(&self, key: &KeyRecord) -> Result<(), String> {
        self.put_keys(std::slice::from_ref(key))
    }

    fn put_keys(&self, keys: &[KeyRecord]) -> Result<(), String> {
        self.put_batch(keys, &[])
    }

    fn delete_key(&self, key: &KeyRecord) -> Result<(), String> {
        let id = record_key(key.scope(), &key.id().to_string());
        self.write(|txn| {
            txn.open_table(KEYS)
                .map_err(err)?
                .remove(id.as_str())
                .map_err(err)?;
            Ok(())
        })
    }

    fn delete_key_and_aliases(&self, key: &KeyRecord, aliases: &[String]) -> Result<(), String> {
        let id = record_key(key.scope(), &key.id().to_string());
        let names: Vec<String> = aliases.iter().map(|n| alias_key(key.scope(), n)).collect();
        self.write(|txn| {
            txn.open_table(KEYS)
                .map_err(err)?
                .remove(id.as_str())
                .map_err(err)?;
            let mut table = txn.open_table(ALIASES).map_err(err)?;
            for name in &names {
                table.remove(name.as_str()).map_err(err)?;
            }
            Ok(())
        })
    }

    fn put_alias(&self, scope: &Scope, alias: &AliasEntry) -> Result<(), String> {
        self.put_batch(&[], &[(scope.clone(), alias.clone())])
    }

    fn delete_alias(&self, scope: &Scope, name: &str) -> Result<(), String> {
        let name = alias_key(scope, name);
        self.write(|txn| {
            txn.open_table(ALIASES)
                .map_err(err)?
                .remove(name.as_str())
                .map_err(err)?;
            Ok(())
        })
    }

    fn reset(&self) -> Result<(), String> {
        self.write(|txn| {
            txn.delete_table(KEYS).map_err(err)?;
            txn.delete_table(ALIASES).map_err(err)?;
            txn.open_table(KEYS).map_err(err)?;
            txn.open_table(ALIASES).map_err(err)?;
            Ok(())
        })
    }
}

fn record_key(scope: &Scope, id: &str) -> String {
    format!("{}/{}/{id}", scope.account(), scope.region())
}

/// An alias row: its key and JSON value.
fn encode_alias(scope: &Scope, alias: &AliasEntry) -> Result<(String, Vec<u8>), String> {
    let value = serde_json::to_vec(&AliasSnapshot::of(scope, alias)).map_err(|e| e.to_string())?;
    Ok((alias_key(scope, &alias.name), value))
}

fn alias_key(scope: &Scope, name: &str) -> String {
    format!("{}/{}/{name}", scope.account(), scope.region())
}

fn err(e: impl std::fmt::Display) -> String {
    format!("store: {e}")
}

/// Syncs a directory, so a file just created in it survives a power loss.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), String> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| format!("cannot sync {}: {e}", dir.display()))
}

/// Writes a new file and syncs it.
fn write_synced(path: &Path, contents: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let mut file =
        fs::File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
