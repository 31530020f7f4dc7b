//! The durable store behind the engine's [`Persistence`] hook: an embedded, transactional,
//! crash-safe `redb` database in the data directory. Every mutation's changes are committed
//! and synced as one transaction before the engine acknowledges it; key material is wrapped
//! under the root key ([`root_key`]) before it is written. Crypto operations never touch the
//! store.
//!
//! Layout of `DIR`: `kms.redb` with the tables
//! - `keys`: a key's metadata, JSON, keyed `account/region/id`;
//! - `materials`: one material version, wrapped, JSON, keyed `account/region/id/vvvvvvvvvv`
//!   (zero-padded version), so a rotation writes one row and the key's metadata;
//! - `aliases`: JSON keyed `account/region/alias/name`;
//! - `grants`: one grant, JSON, keyed `account/region/id/grant-id` (deleted with its key);
//! - `custom_key_stores`: one custom key store (no secret: none is kept), JSON, keyed
//!   `account/region/cks-id`;
//! - `key_usage`: a key's last successful cryptographic operation (GetKeyLastUsage), JSON,
//!   keyed like its key, written lazily by the scheduler (deleted with its key);
//! - `meta`: the emulated clock's offset (`clock_offset_seconds`), so time never moves back
//!   across a restart;
//!
//! and beside it `root.check` (a value wrapped under the root key, to refuse a wrong root key
//! before anything is opened) and `root.key` when the root key was generated. Both files are
//! written atomically (temporary file, fsync, rename, fsync of the directory).
//!
//! Stores written before material versions had rows of their own keep them inside the key's
//! value; [`Store::restore_into`] moves them into `materials` in one transaction.
//!
//! A shared server database (PostgreSQL) for several emulator instances would be another
//! `Persistence` implementation beside this one: the engine only calls the hook.

pub mod atomic_file;
pub mod root_key;
pub mod seed;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use kms_api::key::snapshot::{AliasSnapshot, KeySnapshot, MaterialSnapshot};
use kms_api::persist::new_key_changes;
use kms_api::{AliasEntry, Change, KeyRecord, Kms, Persistence, Scope};
use redb::{Database, ReadableTable, ReadableTableMetadata, TableDefinition};

use root_key::RootKey;

const KEYS: TableDefinition<&str, &[u8]> = TableDefinition::new("keys");
const MATERIALS: TableDefinition<&str, &[u8]> = TableDefinition::new("materials");
const ALIASES: TableDefinition<&str, &[u8]> = TableDefinition::new("aliases");
const GRANTS: TableDefinition<&str, &[u8]> = TableDefinition::new("grants");
const KEY_STORES: TableDefinition<&str, &[u8]> = TableDefinition::new("custom_key_stores");
const KEY_USAGE: TableDefinition<&str, &[u8]> = TableDefinition::new("key_usage");
const META: TableDefinition<&str, i64> = TableDefinition::new("meta");
const CLOCK_OFFSET: &str = "clock_offset_seconds";
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
        let db_path = dir.join(DB_FILE);
        Self::open_with(dir, root, |builder| {
            if !db_path.exists() {
                create_database_atomically(builder, dir, &db_path)?;
            }
            builder.create(&db_path).map_err(err)
        })
    }

    /// [`Store::open`] with the database on `backend` rather than `DIR/kms.redb` (the
    /// power-loss tests put it on a disk that forgets unsynced writes); `root.check` stays in
    /// `dir`.
    #[doc(hidden)]
    pub fn open_with_backend(
        dir: &Path,
        root: RootKey,
        backend: impl redb::StorageBackend,
    ) -> Result<Self, String> {
        Self::open_with(dir, root, |builder| {
            builder.create_with_backend(backend).map_err(err)
        })
    }

    fn open_with(
        dir: &Path,
        root: RootKey,
        create: impl FnOnce(&mut redb::Builder) -> Result<Database, String>,
    ) -> Result<Self, String> {
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
                atomic_file::write(&check_path, &root.wrap_bytes(CHECK_VALUE)?, false)?;
            }
            Err(e) => return Err(format!("cannot read {}: {e}", check_path.display())),
        }
        // The engine keeps every key in memory; redb's page cache only needs to hold the pages
        // a commit touches, so it stays small (its default is 1 GiB).
        // redb asserts on some damage rather than reporting it; a damaged file must stop the
        // start with a message, never a panic.
        let mut builder = Database::builder();
        builder.set_cache_size(CACHE_BYTES);
        let db = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| create(&mut builder)))
            .unwrap_or_else(|_| Err("the database file is damaged".to_owned()))
            .map_err(|e| format!("cannot open {}: {e}", db_path.display()))?;
        let txn = db.begin_write().map_err(err)?;
        txn.open_table(KEYS).map_err(err)?;
        txn.open_table(MATERIALS).map_err(err)?;
        txn.open_table(ALIASES).map_err(err)?;
        txn.open_table(GRANTS).map_err(err)?;
        txn.open_table(KEY_STORES).map_err(err)?;
        txn.open_table(KEY_USAGE).map_err(err)?;
        txn.open_table(META).map_err(err)?;
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

    /// The key behind import and grant tokens ([`kms_api::KmsBuilder::token_key`]): derived
    /// from the root key, so tokens handed out before a restart keep working after it.
    pub fn token_key(&self) -> kms_api::Secret {
        self.root.derive_key("import and grant tokens")
    }

    /// Loads every key and alias into `kms`; returns how many of each. Keys stored in the
    /// format before material versions had rows of their own are rewritten in the current
    /// one, all in one transaction, before anything is loaded.
    pub fn restore_into(&self, kms: &Kms) -> Result<(usize, usize), String> {
        let (records, legacy) = self.read_keys()?;
        if !legacy.is_empty() {
            let upgraded: Vec<&KeyRecord> = records
                .iter()
                .filter(|r| legacy.contains(&r.id()))
                .collect();
            let changes: Vec<Change<'_>> =
                upgraded.iter().flat_map(|r| new_key_changes(r)).collect();
            self.commit(&changes)
                .map_err(|e| format!("cannot upgrade the store's layout: {e}"))?;
            tracing::info!(
                keys = upgraded.len(),
                "moved material versions into rows of their own"
            );
        }
        // Custom key stores first: their keys share their connection state.
        let txn = self.db.begin_read().map_err(err)?;
        let stores = txn.open_table(KEY_STORES).map_err(err)?;
        for row in stores.iter().map_err(err)? {
            let (name, value) = row.map_err(err)?;
            let name = name.value();
            let store: kms_api::key_store::CustomKeyStore =
                serde_json::from_slice(value.value())
                    .map_err(|e| format!("custom key store {name}: {}", redacted(&e)))?;
            let mut parts = name.splitn(3, '/');
            let (Some(account), Some(region)) = (parts.next(), parts.next()) else {
                return Err(format!("custom key store {name}: not account/region/id"));
            };
            kms.restore_key_store(&Scope::new(account, region), store);
        }
        let key_count = records.len();
        for record in records {
            kms.restore_key(record);
        }
        let usage = txn.open_table(KEY_USAGE).map_err(err)?;
        for row in usage.iter().map_err(err)? {
            let (name, value) = row.map_err(err)?;
            let name = name.value();
            let snapshot: kms_api::key::usage::UsageSnapshot =
                serde_json::from_slice(value.value())
                    .map_err(|e| format!("key usage {name}: {}", redacted(&e)))?;
            let mut parts = name.splitn(3, '/');
            let (Some(account), Some(region), Some(id)) =
                (parts.next(), parts.next(), parts.next())
            else {
                return Err(format!("key usage {name}: not account/region/id"));
            };
            let (Ok(id), Some(last)) = (id.parse::<kms_api::KeyId>(), snapshot.usage()) else {
                continue; // an operation or key ID this version does not know
            };
            kms.restore_key_usage(&Scope::new(account, region), id, last);
        }
        let aliases = txn.open_table(ALIASES).map_err(err)?;
        let mut alias_count = 0;
        for row in aliases.iter().map_err(err)? {
            let (name, value) = row.map_err(err)?;
            let snapshot: AliasSnapshot = serde_json::from_slice(value.value())
                .map_err(|e| format!("alias {}: {}", name.value(), redacted(&e)))?;
            let (scope, alias) = snapshot.into_parts();
            kms.restore_alias(&scope, alias);
            alias_count += 1;
        }
        Ok((key_count, alias_count))
    }

    /// Every key with its material; and the IDs of those stored in the old layout.
    fn read_keys(&self) -> Result<(Vec<KeyRecord>, Vec<kms_api::KeyId>), String> {
        let txn = self.db.begin_read().map_err(err)?;
        let keys = txn.open_table(KEYS).map_err(err)?;
        let materials = txn.open_table(MATERIALS).map_err(err)?;
        let grants = txn.open_table(GRANTS).map_err(err)?;
        let mut records = Vec::new();
        let mut legacy = Vec::new();
        for row in keys.iter().map_err(err)? {
            let (id, value) = row.map_err(err)?;
            let id = id.value();
            let snapshot: KeySnapshot = serde_json::from_slice(value.value())
                .map_err(|e| format!("key {id}: {}", redacted(&e)))?;
            if !snapshot.materials.is_empty() {
                legacy.push(snapshot.id);
            }
            let prefix = format!("{id}/");
            let end = format!("{id}0"); // '0' follows '/'
            let mut rows = Vec::new();
            for row in materials
                .range(prefix.as_str()..end.as_str())
                .map_err(err)?
            {
                let (name, value) = row.map_err(err)?;
                let m: MaterialSnapshot = serde_json::from_slice(value.value())
                    .map_err(|e| format!("material {}: {}", name.value(), redacted(&e)))?;
                rows.push(m);
            }
            let mut record = KeyRecord::from_snapshot(snapshot, rows, |w| self.root.unwrap(w))
                .map_err(|e| format!("key {id}: {e}"))?;
            let mut key_grants = Vec::new();
            for row in grants.range(prefix.as_str()..end.as_str()).map_err(err)? {
                let (name, value) = row.map_err(err)?;
                let grant: kms_api::key::grant::Grant = serde_json::from_slice(value.value())
                    .map_err(|e| format!("grant {}: {}", name.value(), redacted(&e)))?;
                key_grants.push(grant);
            }
            record.restore_grants(key_grants);
            records.push(record);
        }
        Ok((records, legacy))
    }

    /// The emulated clock's offset saved with the data (0 when none was saved).
    pub fn clock_offset(&self) -> Result<i64, String> {
        let txn = self.db.begin_read().map_err(err)?;
        let meta = txn.open_table(META).map_err(err)?;
        Ok(meta
            .get(CLOCK_OFFSET)
            .map_err(err)?
            .map_or(0, |v| v.value()))
    }

    /// The clock offset to start with: the one saved with the data, unless `requested` is
    /// further ahead (then that one is saved first). Emulated time never moves back across a
    /// restart.
    pub fn start_clock_offset(&self, requested: i64) -> Result<i64, String> {
        let max = kms_api::clock::MAX_OFFSET_SECONDS;
        let requested = requested.clamp(-max, max);
        let saved = self.clock_offset()?;
        if requested > saved {
            self.commit(&[Change::ClockOffset(requested)])?;
            return Ok(requested);
        }
        if requested < saved {
            tracing::info!(
                "emulated time continues {saved} s ahead of the system clock, as saved in the data directory (it never moves back)"
            );
        }
        Ok(saved)
    }

    /// How many keys are stored.
    pub fn key_count(&self) -> Result<u64, String> {
        let txn = self.db.begin_read().map_err(err)?;
        txn.open_table(KEYS).map_err(err)?.len().map_err(err)
    }

    /// How many material versions are stored, over all keys.
    pub fn material_count(&self) -> Result<u64, String> {
        let txn = self.db.begin_read().map_err(err)?;
        txn.open_table(MATERIALS).map_err(err)?.len().map_err(err)
    }

    /// Writes new keys (with all their material) and aliases in one transaction: all or
    /// nothing (seeding).
    pub fn put_batch(
        &self,
        keys: &[KeyRecord],
        aliases: &[(Scope, AliasEntry)],
    ) -> Result<(), String> {
        let mut changes: Vec<Change<'_>> = keys.iter().flat_map(new_key_changes).collect();
        changes.extend(aliases.iter().map(|(s, a)| Change::PutAlias(s, a)));
        self.commit(&changes)
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

/// One row operation of a commit, encoded (and material wrapped) before the transaction.
enum Row {
    Put(
        TableDefinition<'static, &'static str, &'static [u8]>,
        String,
        Vec<u8>,
    ),
    Remove(
        TableDefinition<'static, &'static str, &'static [u8]>,
        String,
    ),
    /// Every row whose name starts with the prefix.
    RemovePrefix(
        TableDefinition<'static, &'static str, &'static [u8]>,
        String,
    ),
    ClockOffset(i64),
}

impl Store {
    fn encode(&self, change: &Change<'_>) -> Result<Row, String> {
        Ok(match *change {
            Change::PutKey(key) => Row::Put(
                KEYS,
                key_row(key),
                serde_json::to_vec(&key.to_snapshot()).map_err(|e| e.to_string())?,
            ),
            Change::PutMaterial(key, version) => {
                let m = key.material_snapshot(version, |secret| self.root.wrap(secret))?;
                Row::Put(
                    MATERIALS,
                    material_row(key, version),
                    serde_json::to_vec(&m).map_err(|e| e.to_string())?,
                )
            }
            Change::DeleteMaterial(key, version) => {
                Row::Remove(MATERIALS, material_row(key, version))
            }
            Change::PutGrant(key, grant) => Row::Put(
                GRANTS,
                grant_row(key, &grant.id),
                serde_json::to_vec(grant).map_err(|e| e.to_string())?,
            ),
            Change::DeleteGrant(key, id) => Row::Remove(GRANTS, grant_row(key, id)),
            Change::DeleteKey(key) => Row::RemovePrefix(MATERIALS, format!("{}/", key_row(key))),
            Change::PutAlias(scope, alias) => {
                let (name, value) = encode_alias(scope, alias)?;
                Row::Put(ALIASES, name, value)
            }
            Change::DeleteAlias(scope, name) => Row::Remove(ALIASES, alias_key(scope, name)),
            Change::PutKeyStore(scope, store) => Row::Put(
                KEY_STORES,
                record_key(scope, &store.id),
                serde_json::to_vec(store).map_err(|e| e.to_string())?,
            ),
            Change::DeleteKeyStore(scope, id) => Row::Remove(KEY_STORES, record_key(scope, id)),
            Change::PutKeyUsage(key) => match key.last_usage() {
                Some(usage) => Row::Put(
                    KEY_USAGE,
                    key_row(key),
                    serde_json::to_vec(&kms_api::key::usage::UsageSnapshot::of(&usage))
                        .map_err(|e| e.to_string())?,
                ),
                None => Row::Remove(KEY_USAGE, key_row(key)),
            },
            Change::ClockOffset(seconds) => Row::ClockOffset(seconds),
        })
    }
}

impl Persistence for Store {
    fn commit(&self, changes: &[Change<'_>]) -> Result<(), String> {
        let mut rows = Vec::with_capacity(changes.len() + 1);
        for change in changes {
            if let Change::DeleteKey(key) = change {
                rows.push(Row::Remove(KEYS, key_row(key)));
                rows.push(Row::RemovePrefix(GRANTS, format!("{}/", key_row(key))));
                rows.push(Row::Remove(KEY_USAGE, key_row(key)));
            }
            rows.push(self.encode(change)?);
        }
        self.write(|txn| {
            for row in &rows {
                match row {
                    Row::Put(table, name, value) => {
                        txn.open_table(*table)
                            .map_err(err)?
                            .insert(name.as_str(), value.as_slice())
                            .map_err(err)?;
                    }
                    Row::Remove(table, name) => {
                        txn.open_table(*table)
                            .map_err(err)?
                            .remove(name.as_str())
                            .map_err(err)?;
                    }
                    Row::RemovePrefix(table, prefix) => {
                        let end = format!("{}0", &prefix[..prefix.len() - 1]); // '0' follows '/'
                        txn.open_table(*table)
                            .map_err(err)?
                            .retain_in(prefix.as_str()..end.as_str(), |_, _| false)
                            .map_err(err)?;
                    }
                    Row::ClockOffset(seconds) => {
                        txn.open_table(META)
                            .map_err(err)?
                            .insert(CLOCK_OFFSET, *seconds)
                            .map_err(err)?;
                    }
                }
            }
            Ok(())
        })
    }

    fn reset(&self) -> Result<(), String> {
        self.write(|txn| {
            for table in [KEYS, MATERIALS, ALIASES, GRANTS, KEY_STORES, KEY_USAGE] {
                txn.delete_table(table).map_err(err)?;
                txn.open_table(table).map_err(err)?;
            }
            Ok(())
        })
    }
}

fn key_row(key: &KeyRecord) -> String {
    record_key(key.scope(), &key.id().to_string())
}

fn material_row(key: &KeyRecord, version: u32) -> String {
    format!("{}/{version:010}", key_row(key))
}

fn grant_row(key: &KeyRecord, grant_id: &str) -> String {
    format!("{}/{grant_id}", key_row(key))
}

/// A serde error without the value it quotes (a damaged row could quote wrapped material).
fn redacted(e: &serde_json::Error) -> String {
    format!(
        "malformed JSON ({:?} at line {} column {})",
        e.classify(),
        e.line(),
        e.column()
    )
}

/// Creates an empty database with its tables under a temporary name, then renames it to
/// `db_path`: a power loss during the creation leaves no half-made `kms.redb` (which would
/// refuse to open), only a temporary file that the next start removes.
fn create_database_atomically(
    builder: &redb::Builder,
    dir: &Path,
    db_path: &Path,
) -> Result<(), String> {
    let prefix = format!("{DB_FILE}.tmp-");
    for entry in fs::read_dir(dir).map_err(err)? {
        let entry = entry.map_err(err)?;
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            fs::remove_file(entry.path()).map_err(err)?;
        }
    }
    let temp = dir.join(format!("{prefix}{}", uuid::Uuid::new_v4().simple()));
    {
        let db = builder.create(&temp).map_err(err)?;
        let txn = db.begin_write().map_err(err)?;
        for table in [KEYS, MATERIALS, ALIASES, GRANTS] {
            txn.open_table(table).map_err(err)?;
        }
        txn.open_table(META).map_err(err)?;
        txn.commit().map_err(err)?;
    }
    fs::rename(&temp, db_path).map_err(err)?;
    atomic_file::sync_dir(dir)
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
