//! [`Kms`]: the engine handle. A cheap `Clone` over shared state: per (account, Region) a
//! `DashMap` of `Arc<KeyRecord>` and one of aliases. Crypto operations take an `Arc` of a record
//! and release the map at once, so they never wait on one another; mutations replace a record
//! whole after the [`Persistence`] hook accepted it.

use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard};

use aes_gcm::{Aes256Gcm, KeyInit};
use chrono::{DateTime, Utc};
use dashmap::DashMap;

use crate::clock::{Clock, SystemClock};
use crate::error::KmsError;
use crate::key::id::{KeyId, KeyRef, alias_arn, key_arn};
use crate::key::multi_region::Peers;
use crate::key::record::KeyRecord;
use crate::key_store::CustomKeyStore;
use crate::persist::{Change, InMemory, Persistence, key_update_changes, new_key_changes};
use crate::random::{OsRandom, RandomSource};
use crate::scope::Scope;
use crate::secret::Secret;

/// An in-process AWS KMS.
///
/// ```
/// use kms_api::{Kms, Scope};
/// use kms_api::wire::keys::CreateKeyRequest;
/// use kms_api::wire::crypto::{EncryptRequest, DecryptRequest};
///
/// let kms = Kms::new();
/// let scope = Scope::new("111122223333", "us-east-1");
/// let key = kms.create_key(&scope, CreateKeyRequest::default()).unwrap().key_metadata;
/// let sealed = kms.encrypt(&scope, EncryptRequest {
///     key_id: Some(key.key_id.clone()),
///     plaintext: Some(b"hello".to_vec().into()),
///     ..Default::default()
/// }).unwrap();
/// let opened = kms.decrypt(&scope, DecryptRequest {
///     ciphertext_blob: sealed.ciphertext_blob,
///     ..Default::default()
/// }).unwrap();
/// assert_eq!(opened.plaintext.unwrap().expose(), b"hello");
/// ```
#[derive(Clone)]
pub struct Kms {
    shared: Arc<Shared>,
}

struct Shared {
    scopes: DashMap<Scope, Arc<ScopeState>>,
    clock: Arc<dyn Clock>,
    random: Arc<dyn RandomSource>,
    persistence: Arc<dyn Persistence>,
    /// Every mutation holds it shared, a reset exclusively: a reset never interleaves with a
    /// mutation. Crypto operations never take it.
    reset: RwLock<()>,
    /// Held per key while a mutation of that key is committed and applied, so memory and the
    /// store see one key's changes in the same order, while mutations of other keys go on.
    key_locks: KeyLocks,
    /// Held by a scheduler sweep, so two sweeps (the background one and a clock move's) never
    /// interleave.
    sweep: Mutex<()>,
    /// Seals and opens import tokens (`crypto::import_token`); its key schedule is wiped on
    /// drop.
    import_tokens: Aes256Gcm,
    /// Signs and checks grant tokens (`ops::grants`).
    grant_tokens: aws_lc_rs::hmac::Key,
    /// When the sweep last wrote key usage to the store (`ops::usage`).
    usage_flushed: Mutex<Option<std::time::Instant>>,
}

/// The keys and aliases of one (account, Region).
#[derive(Default)]
pub(crate) struct ScopeState {
    pub(crate) keys: DashMap<KeyId, Arc<KeyRecord>>,
    pub(crate) aliases: DashMap<String, AliasEntry>,
    /// Held while an alias of this scope is committed and applied; always taken after any key
    /// lock, never before one.
    pub(crate) alias_lock: Mutex<()>,
    /// The custom key stores of this scope, by ID.
    pub(crate) key_stores: DashMap<String, Arc<CustomKeyStore>>,
    /// Held while a custom key store of this scope, or a key created in one, is committed and
    /// applied; always taken before any key lock.
    pub(crate) key_store_lock: Mutex<()>,
}

impl ScopeState {
    /// The key store lock (see `key_store_lock`).
    pub(crate) fn key_store_guard(&self) -> MutexGuard<'_, ()> {
        self.key_store_lock
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// The alias lock (see `alias_lock`).
    pub(crate) fn alias_guard(&self) -> MutexGuard<'_, ()> {
        self.alias_lock.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Striped per-key mutation locks: a key's lock is the stripe its ID falls in, so two keys
/// rarely share one, and no per-key state has to be created or cleaned up. Several stripes
/// are always taken in ascending order, so lockers never deadlock.
struct KeyLocks {
    stripes: Box<[Mutex<()>]>,
}

/// Stripes of [`KeyLocks`]; a power of two.
const KEY_LOCK_STRIPES: usize = 1024;

impl KeyLocks {
    fn new() -> Self {
        Self {
            stripes: (0..KEY_LOCK_STRIPES).map(|_| Mutex::new(())).collect(),
        }
    }

    fn stripe(id: KeyId) -> usize {
        // Key IDs are random, so their low bits spread evenly; a multi-Region key and its
        // replicas share their ID, so they share a stripe.
        (id.low_bits() as usize) & (KEY_LOCK_STRIPES - 1)
    }

    /// Locks the stripes of `ids`, each once, in ascending order.
    fn lock(&self, ids: impl IntoIterator<Item = KeyId>) -> Vec<MutexGuard<'_, ()>> {
        let mut stripes: Vec<usize> = ids.into_iter().map(Self::stripe).collect();
        stripes.sort_unstable();
        stripes.dedup();
        stripes
            .into_iter()
            .map(|i| self.stripes[i].lock().unwrap_or_else(|e| e.into_inner()))
            .collect()
    }
}

/// Held while a mutation of some keys is committed and applied (see [`Kms::key_guard`]).
pub(crate) struct KeyGuard<'a> {
    _keys: Vec<MutexGuard<'a, ()>>,
    _no_reset: RwLockReadGuard<'a, ()>,
}

/// An alias: a name in one (account, Region) pointing at one key there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasEntry {
    /// `alias/<name>`.
    pub name: String,
    /// The key it points to.
    pub target: KeyId,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last re-pointed.
    pub updated_at: DateTime<Utc>,
}

/// Builds a [`Kms`] with a chosen clock, randomness and persistence.
///
/// ```
/// use kms_api::{Kms, ManualClock, SeededRandom};
/// use std::sync::Arc;
/// let kms = Kms::builder()
///     .clock(Arc::new(ManualClock::at_epoch_seconds(1_700_000_000)))
///     .random(Arc::new(SeededRandom::new(1)))
///     .build();
/// assert_eq!(kms.now().timestamp(), 1_700_000_000);
/// ```
pub struct KmsBuilder {
    clock: Arc<dyn Clock>,
    random: Arc<dyn RandomSource>,
    persistence: Arc<dyn Persistence>,
    token_key: Option<Secret>,
}

impl KmsBuilder {
    /// The clock every timestamp and deadline comes from.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The source of key material, nonces and IDs.
    pub fn random(mut self, random: Arc<dyn RandomSource>) -> Self {
        self.random = random;
        self
    }

    /// Where mutations are committed before they are acknowledged.
    pub fn persistence(mut self, persistence: Arc<dyn Persistence>) -> Self {
        self.persistence = persistence;
        self
    }

    /// The 32-byte key behind the tokens the engine hands out: it seals import tokens
    /// (GetParametersForImport) and signs grant tokens (CreateGrant), each with a key derived
    /// from it. A durable store gives one that survives a restart, so tokens handed out
    /// before it still work; by default each engine draws a random one.
    ///
    /// ```
    /// let kms = kms_api::Kms::builder()
    ///     .token_key(kms_api::Secret::from_slice(&[7; 32]))
    ///     .build();
    /// # let _ = kms;
    /// ```
    ///
    /// # Panics
    /// When the key is not 32 bytes long.
    pub fn token_key(mut self, key: Secret) -> Self {
        assert_eq!(key.len(), 32, "a token key is 32 bytes");
        self.token_key = Some(key);
        self
    }

    /// The engine.
    pub fn build(self) -> Kms {
        let token_key = self
            .token_key
            .unwrap_or_else(|| Secret::random(32, &*self.random));
        let import_tokens = Aes256Gcm::new(token_key.derive_key(b"import tokens").expose().into());
        let grant_tokens = aws_lc_rs::hmac::Key::new(
            aws_lc_rs::hmac::HMAC_SHA256,
            token_key.derive_key(b"grant tokens").expose(),
        );
        Kms {
            shared: Arc::new(Shared {
                scopes: DashMap::new(),
                clock: self.clock,
                random: self.random,
                persistence: self.persistence,
                reset: RwLock::new(()),
                key_locks: KeyLocks::new(),
                sweep: Mutex::new(()),
                import_tokens,
                grant_tokens,
                usage_flushed: Mutex::new(None),
            }),
        }
    }
}

impl Default for Kms {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Kms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kms")
            .field("keys", &self.key_count())
            .finish_non_exhaustive()
    }
}

impl Kms {
    /// An in-memory engine on the system clock and the OS CSPRNG.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A builder, starting from the defaults of [`Kms::new`].
    pub fn builder() -> KmsBuilder {
        KmsBuilder {
            clock: Arc::new(SystemClock::default()),
            random: Arc::new(OsRandom),
            persistence: Arc::new(InMemory),
            token_key: None,
        }
    }

    /// The engine's current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.shared.clock.now()
    }

    /// The engine's clock (the admin API moves it).
    pub fn clock(&self) -> &dyn Clock {
        &*self.shared.clock
    }

    /// How many keys exist, in every account and Region.
    pub fn key_count(&self) -> usize {
        self.shared.scopes.iter().map(|s| s.keys.len()).sum()
    }

    /// Every account and Region that holds keys, with how many, sorted by account then
    /// Region.
    ///
    /// ```
    /// use kms_api::{Kms, Operation, Scope};
    /// let kms = Kms::new();
    /// let scope = Scope::new("111122223333", "eu-west-1");
    /// kms.dispatch(&scope, Operation::CreateKey, b"{}").unwrap();
    /// assert_eq!(kms.scopes_with_keys(), vec![(scope, 1)]);
    /// ```
    pub fn scopes_with_keys(&self) -> Vec<(Scope, usize)> {
        let mut scopes: Vec<(Scope, usize)> = self
            .shared
            .scopes
            .iter()
            .map(|s| (s.key().clone(), s.value().keys.len()))
            .filter(|(_, keys)| *keys > 0)
            .collect();
        scopes.sort_by(|a, b| (a.0.account(), a.0.region()).cmp(&(b.0.account(), b.0.region())));
        scopes
    }

    /// Removes every key and alias everywhere (the emulator's `POST /_kms/reset`).
    ///
    /// # Errors
    /// `KMSInternalException` when the persistence hook fails; memory is then unchanged.
    pub fn reset(&self) -> Result<(), KmsError> {
        let _exclusive = self.shared.reset.write().unwrap_or_else(|e| e.into_inner());
        self.shared
            .persistence
            .reset()
            .map_err(KmsError::Internal)?;
        self.shared.scopes.clear();
        Ok(())
    }

    pub(crate) fn random(&self) -> &dyn RandomSource {
        &*self.shared.random
    }

    /// The cipher of import tokens.
    pub(crate) fn import_token_cipher(&self) -> &Aes256Gcm {
        &self.shared.import_tokens
    }

    /// The key of grant tokens' MACs.
    pub(crate) fn grant_token_key(&self) -> &aws_lc_rs::hmac::Key {
        &self.shared.grant_tokens
    }

    /// Commits one mutation's changes to the persistence hook, all or nothing.
    pub(crate) fn commit(&self, changes: &[Change<'_>]) -> Result<(), KmsError> {
        self.shared
            .persistence
            .commit(changes)
            .map_err(KmsError::Internal)
    }

    /// A fresh random (version 4) key ID.
    pub(crate) fn new_key_id(&self) -> KeyId {
        let mut bytes = [0u8; 16];
        self.random().fill(&mut bytes);
        uuid::Builder::from_random_bytes(bytes).into_uuid().into()
    }

    /// A fresh random multi-Region key ID (`mrk-` and 32 hex digits).
    pub(crate) fn new_multi_region_key_id(&self) -> KeyId {
        let mut bytes = [0u8; 16];
        self.random().fill(&mut bytes);
        KeyId::multi_region(bytes)
    }

    pub(crate) fn scope_state(&self, scope: &Scope) -> Option<Arc<ScopeState>> {
        self.shared.scopes.get(scope).map(|s| Arc::clone(&s))
    }

    /// Held by every mutation: no reset meanwhile.
    pub(crate) fn no_reset_guard(&self) -> RwLockReadGuard<'_, ()> {
        self.shared.reset.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The locks of the keys `ids` (and no reset meanwhile), for a mutation of those keys.
    /// Take it before any scope's alias lock.
    pub(crate) fn key_guard(&self, ids: impl IntoIterator<Item = KeyId>) -> KeyGuard<'_> {
        let no_reset = self.no_reset_guard();
        KeyGuard {
            _keys: self.shared.key_locks.lock(ids),
            _no_reset: no_reset,
        }
    }

    /// Whether `every` has passed since the last key usage flush (and, if so, that one
    /// starts now).
    pub(crate) fn usage_flush_due(&self, every: std::time::Duration) -> bool {
        let mut last = self
            .shared
            .usage_flushed
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let now = std::time::Instant::now();
        if last.is_some_and(|t| now.duration_since(t) < every) {
            return false;
        }
        *last = Some(now);
        true
    }

    pub(crate) fn sweep_guard(&self) -> MutexGuard<'_, ()> {
        self.shared.sweep.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn scope_state_or_default(&self, scope: &Scope) -> Arc<ScopeState> {
        if let Some(state) = self.scope_state(scope) {
            return state;
        }
        Arc::clone(&self.shared.scopes.entry(scope.clone()).or_default())
    }

    /// Finds the key `key_id` names, as AWS resolves a `KeyId` member. Aliases are accepted
    /// only where the operation accepts them.
    pub(crate) fn resolve(
        &self,
        scope: &Scope,
        key_id: &str,
        allow_alias: bool,
    ) -> Result<Arc<KeyRecord>, KmsError> {
        match KeyRef::parse(key_id)? {
            KeyRef::Id(id) => self.find_key(scope, id),
            KeyRef::KeyArn {
                region,
                account,
                id,
            } => {
                if region != scope.region() {
                    return Err(KmsError::NotFound(format!("Invalid arn {region}")));
                }
                if account == scope.account() {
                    self.find_key(scope, id)
                } else {
                    self.find_key(&scope.with_account(account), id)
                }
            }
            KeyRef::AliasName(_) | KeyRef::AliasArn { .. } if !allow_alias => {
                Err(KmsError::NotFound(format!("Invalid keyId '{key_id}'")))
            }
            KeyRef::AliasName(name) => self.find_alias_target(scope, name),
            KeyRef::AliasArn {
                region,
                account,
                name,
            } => {
                if region != scope.region() {
                    return Err(KmsError::NotFound(format!("Invalid arn {region}")));
                }
                if account == scope.account() {
                    self.find_alias_target(scope, name)
                } else {
                    self.find_alias_target(&scope.with_account(account), name)
                }
            }
        }
    }

    /// The key `id` in `scope`; a key whose deletion date passed is deleted now and not found.
    pub(crate) fn find_key(&self, scope: &Scope, id: KeyId) -> Result<Arc<KeyRecord>, KmsError> {
        let not_found =
            || KmsError::NotFound(format!("Key '{}' does not exist", key_arn(scope, id)));
        let state = self.scope_state(scope).ok_or_else(not_found)?;
        let key = state
            .keys
            .get(&id)
            .map(|k| Arc::clone(&k))
            .ok_or_else(not_found)?;
        // A key whose waiting period is over is gone; the scheduler removes it (within a
        // second), so a cryptographic request never waits for a store write here. The clock
        // is read only for a key pending deletion: reading it costs more than the rest of a
        // lookup on some virtual machines.
        if key.state == crate::KeyState::PendingDeletion && key.is_due_for_deletion(self.now()) {
            return Err(not_found());
        }
        Ok(key)
    }

    /// Records a successful cryptographic `operation` with `key`, for GetKeyLastUsage: a few
    /// atomic writes, no lock, no store write.
    pub(crate) fn note_use(&self, key: &KeyRecord, operation: crate::Operation) {
        key.usage.record(operation, self.now());
    }

    /// Whether `scope` has a key `id` that is not past its deletion date.
    pub fn has_key(&self, scope: &Scope, id: KeyId) -> bool {
        self.find_key(scope, id).is_ok()
    }

    /// Whether naming `key_id` in `scope` would create an AWS managed key: an
    /// `alias/aws/<service>` name (or alias ARN) that does not exist yet. The server runs such
    /// requests as mutations (off its async workers, under the CreateKey quota).
    ///
    /// ```
    /// let kms = kms_api::Kms::new();
    /// let scope = kms_api::Scope::new("111122223333", "us-east-1");
    /// assert!(kms.would_create_aws_managed_key(&scope, "alias/aws/s3"));
    /// assert!(!kms.would_create_aws_managed_key(&scope, "alias/app"));
    /// ```
    pub fn would_create_aws_managed_key(&self, scope: &Scope, key_id: &str) -> bool {
        let name = match KeyRef::parse(key_id) {
            Ok(KeyRef::AliasName(name)) => name,
            Ok(KeyRef::AliasArn {
                region,
                account,
                name,
            }) if region == scope.region() && account == scope.account() => name,
            _ => return false,
        };
        is_aws_managed_alias(name) && !self.has_alias(scope, name)
    }

    /// The spec of the key `key_id` names, without side effects (an AWS managed key that does
    /// not exist yet is symmetric); `None` when nothing is found. The server charges a
    /// cryptographic request to its key's quota class with this.
    ///
    /// ```
    /// use kms_api::{KeySpec, Kms, Scope};
    /// let kms = Kms::new();
    /// let scope = Scope::new("111122223333", "us-east-1");
    /// assert_eq!(kms.key_spec_of(&scope, "alias/aws/s3"), Some(KeySpec::SymmetricDefault));
    /// assert_eq!(kms.key_spec_of(&scope, "alias/missing"), None);
    /// assert!(!kms.has_alias(&scope, "alias/aws/s3"), "nothing was created");
    /// ```
    pub fn key_spec_of(&self, scope: &Scope, key_id: &str) -> Option<crate::KeySpec> {
        if self.would_create_aws_managed_key(scope, key_id) {
            return Some(crate::KeySpec::SymmetricDefault);
        }
        self.resolve(scope, key_id, true).ok().map(|k| k.key_spec)
    }

    /// Whether `scope` has an alias called `name`.
    pub fn has_alias(&self, scope: &Scope, name: &str) -> bool {
        self.scope_state(scope)
            .is_some_and(|s| s.aliases.contains_key(name))
    }

    fn find_alias_target(&self, scope: &Scope, name: &str) -> Result<Arc<KeyRecord>, KmsError> {
        let not_found =
            || KmsError::NotFound(format!("Alias {} is not found.", alias_arn(scope, name)));
        let target = self
            .scope_state(scope)
            .and_then(|state| state.aliases.get(name).map(|a| a.target));
        match target {
            Some(target) => self.find_key(scope, target).map_err(|_| not_found()),
            None if is_aws_managed_alias(name) => self.create_aws_managed_key(scope, name),
            None => Err(not_found()),
        }
    }

    /// AWS creates an AWS managed key (`alias/aws/<service>`) in an account the first time it
    /// is used; so does this engine, the first time such an alias is named.
    fn create_aws_managed_key(
        &self,
        scope: &Scope,
        name: &str,
    ) -> Result<Arc<KeyRecord>, KmsError> {
        let _no_reset = self.no_reset_guard();
        let state = self.scope_state_or_default(scope);
        let _aliases = state.alias_guard();
        if let Some(target) = state.aliases.get(name).map(|a| a.target) {
            return state
                .keys
                .get(&target)
                .map(|k| Arc::clone(&k))
                .ok_or_else(|| {
                    KmsError::NotFound(format!("Alias {} is not found.", alias_arn(scope, name)))
                });
        }
        // Inside the limits of CreateKey: the keys of a scope, and a bound on the AWS managed
        // keys a caller can summon by naming aliases.
        crate::ops::keys::check_key_limit(&state)?;
        let managed = state.keys.iter().filter(|k| k.aws_managed).count();
        if managed >= MAX_AWS_MANAGED_KEYS_PER_SCOPE {
            return Err(KmsError::LimitExceeded(format!(
                "The request was rejected because the account has reached the limit of {MAX_AWS_MANAGED_KEYS_PER_SCOPE} AWS managed keys in this Region."
            )));
        }
        let now = self.now();
        let id = self.new_key_id();
        let service = name.trim_start_matches("alias/aws/");
        let record = KeyRecord {
            id,
            arn: Arc::from(key_arn(scope, id)),
            scope: scope.clone(),
            created_at: now,
            description: format!(
                "Default key that protects my {service} data when no other key is defined"
            ),
            key_spec: crate::KeySpec::SymmetricDefault,
            key_usage: crate::KeyUsage::EncryptDecrypt,
            origin: crate::Origin::AwsKms,
            state: crate::KeyState::Enabled,
            deletion_date: None,
            pending_window_days: None,
            versions: vec![Arc::new(crate::key::material::KeyMaterial::generate(
                1,
                now,
                self.random(),
            ))],
            tags: Vec::new(),
            policy: crate::key::policy::KeyPolicy::new(crate::ops::policies::default_policy(scope)),
            // AWS managed keys rotate every year.
            rotation: crate::key::record::RotationSchedule {
                enabled: true,
                period_days: 365,
                next_rotation: Some(crate::clock::days_after(now, 365)),
                history: Vec::new(),
            },
            aws_managed: true,
            grants: Default::default(),
            multi_region: None,
            custom_key_store: None,
            usage: Arc::new(crate::key::usage::UsageSlot::new(Some(now))),
        };
        let alias = AliasEntry {
            name: name.to_owned(),
            target: id,
            created_at: now,
            updated_at: now,
        };
        // The key, its material and its alias in one commit: a crash never orphans a key.
        let mut changes = new_key_changes(&record);
        changes.push(Change::PutAlias(scope, &alias));
        self.commit(&changes)?;
        let record = Arc::new(record);
        state.keys.insert(id, Arc::clone(&record));
        state.aliases.insert(name.to_owned(), alias);
        Ok(record)
    }

    /// Deletes a key whose waiting period is over, with its aliases. The other members of
    /// its multi-Region set forget it in the same commit, and a primary key that waited for
    /// its last replica (`PendingReplicaDeletion`) starts its own waiting period then. Best
    /// effort towards the store: if the store refuses, the key is still due and is deleted
    /// again after a restart.
    pub(crate) fn complete_deletion(&self, state: &ScopeState, key: &KeyRecord) {
        let _key = self.key_guard([key.id]);
        let _aliases = state.alias_guard();
        let Some(current) = state
            .keys
            .get(&key.id)
            .map(|k| Arc::clone(&k))
            .filter(|k| k.is_due_for_deletion(self.now()))
        else {
            return; // already deleted, or cancelled meanwhile
        };
        let aliases: Vec<String> = state
            .aliases
            .iter()
            .filter(|a| a.target == key.id)
            .map(|a| a.name.clone())
            .collect();
        let mut peers = self.peers_of(&current);
        let deleted_at = current.deletion_date.unwrap_or_else(|| self.now());
        for peer in peers.edit_all() {
            peer.forget_replica(current.scope.region(), deleted_at);
        }
        let mut changes = vec![Change::DeleteKey(&current)];
        changes.extend(
            aliases
                .iter()
                .map(|name| Change::DeleteAlias(&current.scope, name)),
        );
        changes.extend(peers.changes());
        if let Err(e) = self.shared.persistence.commit(&changes) {
            tracing::warn!(key = %key.arn(), error = %e, "could not delete a key from the store; retrying next sweep");
            return;
        }
        drop(changes);
        state.keys.remove(&key.id);
        for name in aliases {
            state.aliases.remove(&name);
        }
        self.put_peers(peers);
    }

    /// Every scope with its state (a snapshot, so no map lock is held while working).
    pub(crate) fn scopes_with_state(&self) -> Vec<(Scope, Arc<ScopeState>)> {
        self.shared
            .scopes
            .iter()
            .map(|s| (s.key().clone(), Arc::clone(s.value())))
            .collect()
    }

    /// Every scope's state (a snapshot of `Arc`s, so no map lock is held while working).
    pub(crate) fn scopes_snapshot(&self) -> Vec<Arc<ScopeState>> {
        self.shared.scopes.iter().map(|s| Arc::clone(&s)).collect()
    }

    /// Deletes every key in every scope whose deletion date has passed; returns how many.
    pub fn purge_due_deletions(&self) -> usize {
        let now = self.now();
        let mut purged = 0;
        for state in self.scopes_snapshot() {
            let due: Vec<Arc<KeyRecord>> = state
                .keys
                .iter()
                .filter(|k| k.is_due_for_deletion(now))
                .map(|k| Arc::clone(&k))
                .collect();
            for key in due {
                self.complete_deletion(&state, &key);
                purged += 1;
            }
        }
        purged
    }

    /// Adds a new key after the store accepted it.
    pub(crate) fn insert_key(&self, key: KeyRecord) -> Result<Arc<KeyRecord>, KmsError> {
        let no_reset = self.no_reset_guard();
        self.insert_key_holding(key, &no_reset)
    }

    /// [`Kms::insert_key`] for a caller that already holds the no-reset guard (a second read
    /// lock could wait behind a waiting reset and deadlock).
    pub(crate) fn insert_key_holding(
        &self,
        key: KeyRecord,
        _no_reset: &RwLockReadGuard<'_, ()>,
    ) -> Result<Arc<KeyRecord>, KmsError> {
        let _key = self.shared.key_locks.lock([key.id]);
        debug_assert!({
            key.check_invariants();
            true
        });
        self.commit(&new_key_changes(&key))?;
        let key = Arc::new(key);
        self.scope_state_or_default(&key.scope)
            .keys
            .insert(key.id, Arc::clone(&key));
        Ok(key)
    }

    /// Changes a key: `f` edits a copy of the current record (and may refuse); the copy
    /// replaces the record once the store accepted it. Concurrent changes to one key are
    /// serialized; other keys are not held up. A change to a multi-Region primary key that
    /// AWS shares (a rotation) reaches its replicas in the same commit.
    pub(crate) fn update_key<T>(
        &self,
        key: &KeyRecord,
        f: impl FnOnce(&mut KeyRecord) -> Result<T, KmsError>,
    ) -> Result<(T, Arc<KeyRecord>), KmsError> {
        self.update_key_set(key, |k, _| f(k))
    }

    /// [`Kms::update_key`] for a mutation that may also edit the other members of the key's
    /// multi-Region set (`peers`; none for a single-Region key) or add one. Afterwards the
    /// properties AWS shares are copied from the primary key to every replica, and all the
    /// members' changes are one commit.
    pub(crate) fn update_key_set<T>(
        &self,
        key: &KeyRecord,
        f: impl FnOnce(&mut KeyRecord, &mut Peers) -> Result<T, KmsError>,
    ) -> Result<(T, Arc<KeyRecord>), KmsError> {
        let not_found = || KmsError::NotFound(format!("Key '{}' does not exist", key.arn()));
        // The key's lock first (a reset may replace the scope meanwhile), and no map guard
        // across the store commit: readers of the same shard never wait for a disk sync. The
        // members of a multi-Region set share the key ID, so this lock holds them all.
        let _key = self.key_guard([key.id]);
        let state = self.scope_state(&key.scope).ok_or_else(not_found)?;
        let current = state
            .keys
            .get(&key.id)
            .map(|k| Arc::clone(&k))
            .ok_or_else(not_found)?;
        let mut peers = self.peers_of(&current);
        let mut next = KeyRecord::clone(&current);
        let out = f(&mut next, &mut peers)?;
        peers.sync(&mut next);
        debug_assert!({
            next.check_invariants();
            peers.check_invariants();
            true
        });
        let mut changes = key_update_changes(&current, &next);
        changes.extend(peers.changes());
        self.commit(&changes)?;
        drop(changes);
        let next = Arc::new(next);
        state.keys.insert(key.id, Arc::clone(&next));
        self.put_peers(peers);
        Ok((out, next))
    }

    /// The other members of `key`'s multi-Region set, as they are now (none for a
    /// single-Region key). Call with the key's lock held.
    pub(crate) fn peers_of(&self, key: &KeyRecord) -> Peers {
        let Some(set) = &key.multi_region else {
            return Peers::default();
        };
        Peers::new(
            set.regions()
                .filter(|r| *r != key.scope.region())
                .filter_map(|r| {
                    let scope = key.scope.with_region(r);
                    self.scope_state(&scope)?
                        .keys
                        .get(&key.id)
                        .map(|k| Arc::clone(&k))
                })
                .collect(),
        )
    }

    /// Puts the edited and new members of a set in place (after the store accepted them).
    pub(crate) fn put_peers(&self, peers: Peers) {
        for peer in peers.into_changed() {
            self.scope_state_or_default(&peer.scope)
                .keys
                .insert(peer.id, peer);
        }
    }

    /// A copy of a key's record, material and all (for exporting to a store).
    #[doc(hidden)]
    pub fn export_key(&self, scope: &Scope, key_id: &str) -> Result<KeyRecord, KmsError> {
        self.resolve(scope, key_id, true)
            .map(|k| KeyRecord::clone(&k))
    }

    /// Inserts an already-built key record as it is (restoring from a store or a seed).
    #[doc(hidden)]
    /// A key of a custom key store shares the store's link, so restore the store first.
    pub fn restore_key(&self, mut key: KeyRecord) {
        if key.usage.tracking_since().is_none() {
            key.usage = Arc::new(crate::key::usage::UsageSlot::new(Some(self.now())));
        }
        let state = self.scope_state_or_default(&key.scope);
        if let Some(membership) = &mut key.custom_key_store {
            if let Some(store) = state.key_stores.get(membership.link.id()) {
                membership.link = Arc::clone(store.link());
            }
        }
        state.keys.insert(key.id, Arc::new(key));
    }

    /// Puts back a key's last use (restoring from a store); nothing when the key is gone.
    #[doc(hidden)]
    pub fn restore_key_usage(&self, scope: &Scope, id: KeyId, usage: crate::key::usage::LastUsage) {
        if let Some(key) = self
            .scope_state(scope)
            .and_then(|s| s.keys.get(&id).map(|k| Arc::clone(&k)))
        {
            key.usage.restore(usage);
        }
    }

    /// Inserts a custom key store as it is (restoring from a store), before its keys.
    #[doc(hidden)]
    pub fn restore_key_store(&self, scope: &Scope, mut store: CustomKeyStore) {
        store.relink();
        self.scope_state_or_default(scope)
            .key_stores
            .insert(store.id.clone(), Arc::new(store));
    }

    /// Inserts an alias as it is (restoring from a store or a seed).
    #[doc(hidden)]
    pub fn restore_alias(&self, scope: &Scope, alias: AliasEntry) {
        self.scope_state_or_default(scope)
            .aliases
            .insert(alias.name.clone(), alias);
    }
}

/// At most this many AWS managed keys per (account, Region): AWS has one per integrated
/// service (a few dozen), and each is created merely by naming its alias.
pub const MAX_AWS_MANAGED_KEYS_PER_SCOPE: usize = 256;

/// `alias/aws/<service>`: the name of an AWS managed key.
fn is_aws_managed_alias(name: &str) -> bool {
    name.strip_prefix("alias/aws/").is_some_and(|service| {
        !service.is_empty()
            && service.len() <= 240
            && service
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
    })
}
