//! [`BucketKeyCache`]: one live bucket key per (bucket, KMS key, partition) for writing, bucket
//! keys by their KMS ciphertext for reading, both time-limited, bounded and stampede-free.
//! [`BucketKey`] seals and opens objects; [`BucketScope`] names what a bucket key is for.

use std::borrow::{Borrow, BorrowMut};
use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::clock::{Clock, SystemClock, saturating_add};
use crate::derive::{KEY_LEN, SALT_LEN};
use crate::envelope::{self, NONCE_LEN};
use crate::error::Error;
use crate::policy::OpenPolicy;
use crate::provider::{
    BoxFuture, DataKey, DataKeyRequest, DecryptRequest, Decrypted, EncryptionContext, KeyProvider,
    ProviderStats, WrappedDataKey,
};
use crate::secret::Secret;
use crate::slots::{Count, PassThrough, Slots, Timing};

/// How long a bucket key is used for writing, and cached for reading, by default: 5 minutes.
/// AWS does not document S3's bucket-key lifetime ("short-lived", "time-limited"); five minutes
/// keeps the KMS call rate per (bucket, KMS key, requester) at one per five minutes while key
/// policy changes (e.g. a disabled key) take effect within that time.
pub const DEFAULT_TTL: Duration = Duration::from_secs(300);
/// How long before expiry one caller starts refreshing a bucket key, by default: 10 seconds (the
/// hierarchical keyring's storm-tracking default).
pub const DEFAULT_GRACE_PERIOD: Duration = Duration::from_secs(10);
/// After a failed refresh in the grace period, how long until the next attempt, by default:
/// 1 second (the storm-tracking default).
pub const DEFAULT_GRACE_INTERVAL: Duration = Duration::from_secs(1);
/// How many bucket keys each side (write, read) holds at most, by default: 1,000 (the
/// hierarchical keyring's default cache size).
pub const DEFAULT_CAPACITY: usize = 1000;
/// The requester partition of [`BucketScope::new`] and [`BucketKeyCache::open`].
pub const DEFAULT_PARTITION: &str = "default";
/// The encryption-context key S3 uses for bucket keys.
pub const S3_ARN_CONTEXT_KEY: &str = "aws:s3:arn";

/// How a bucket key is obtained from KMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyGeneration {
    /// One GenerateDataKey call (plaintext and ciphertext at once). The default.
    #[default]
    GenerateDataKey,
    /// GenerateDataKeyWithoutPlaintext then Decrypt, as the hierarchical keyring creates branch
    /// keys: two calls, but the plaintext only ever comes from Decrypt.
    WithoutPlaintext,
}

/// The settings of a [`BucketKeyCache`]; see [`BucketKeyCache::builder`].
#[derive(Debug, Clone)]
pub struct CacheConfig {
    /// How long a bucket key is used (and cached for reading). Default [`DEFAULT_TTL`]. A
    /// duration `Instant` cannot add (e.g. `Duration::MAX`) means "until the end of time".
    pub ttl: Duration,
    /// Refresh starts this long before expiry. Default [`DEFAULT_GRACE_PERIOD`]; clamped to
    /// half the TTL.
    pub grace_period: Duration,
    /// Pause between refresh attempts after a failure. Default [`DEFAULT_GRACE_INTERVAL`].
    pub grace_interval: Duration,
    /// At most this many objects are sealed under one bucket key. Default: no limit.
    pub max_objects_per_key: Option<u64>,
    /// Bucket keys per side at most, least recently used evicted first. Default
    /// [`DEFAULT_CAPACITY`].
    pub capacity: usize,
    /// Default [`KeyGeneration::GenerateDataKey`].
    pub generation: KeyGeneration,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            ttl: DEFAULT_TTL,
            grace_period: DEFAULT_GRACE_PERIOD,
            grace_interval: DEFAULT_GRACE_INTERVAL,
            max_objects_per_key: None,
            capacity: DEFAULT_CAPACITY,
            generation: KeyGeneration::GenerateDataKey,
        }
    }
}

/// What a bucket key is for: a bucket, the KMS key that protects it and the requester partition
/// (S3 fetches a bucket key at least once per requester so each one's access shows in
/// CloudTrail; callers with different roles use different partitions). Cheap to clone and to
/// look up (its hash is computed once): build it once per bucket and reuse it.
///
/// ```
/// use bucket_key_cache::BucketScope;
///
/// let scope = BucketScope::new("photos", "alias/s3").with_partition("role/uploader");
/// assert_eq!(scope.bucket_arn(), "arn:aws:s3:::photos");
/// ```
#[derive(Clone)]
pub struct BucketScope(Arc<ScopeInner>);

struct ScopeInner {
    bucket: String,
    kms_key_id: String,
    partition: String,
    context: EncryptionContext,
    hash: u64,
}

fn scope_hasher() -> &'static RandomState {
    static STATE: OnceLock<RandomState> = OnceLock::new();
    STATE.get_or_init(RandomState::new)
}

impl BucketScope {
    /// Bucket `bucket` under KMS key `kms_key_id` (key ID, key ARN, alias name or alias ARN),
    /// in partition [`DEFAULT_PARTITION`].
    pub fn new(bucket: impl Into<String>, kms_key_id: impl Into<String>) -> Self {
        Self::build(
            bucket.into(),
            kms_key_id.into(),
            DEFAULT_PARTITION.to_owned(),
        )
    }

    /// The same scope for requester partition `partition`.
    pub fn with_partition(self, partition: impl Into<String>) -> Self {
        Self::build(
            self.0.bucket.clone(),
            self.0.kms_key_id.clone(),
            partition.into(),
        )
    }

    fn build(bucket: String, kms_key_id: String, partition: String) -> Self {
        let hash = scope_hasher().hash_one((&bucket, &kms_key_id, &partition));
        let context =
            EncryptionContext::from([(S3_ARN_CONTEXT_KEY.to_owned(), bucket_arn(&bucket))]);
        Self(Arc::new(ScopeInner {
            bucket,
            kms_key_id,
            partition,
            context,
            hash,
        }))
    }

    /// The bucket name.
    pub fn bucket(&self) -> &str {
        &self.0.bucket
    }

    /// `arn:aws:s3:::<bucket>`.
    pub fn bucket_arn(&self) -> &str {
        &self.0.context[S3_ARN_CONTEXT_KEY]
    }

    /// The KMS key as given.
    pub fn kms_key_id(&self) -> &str {
        &self.0.kms_key_id
    }

    /// The requester partition.
    pub fn partition(&self) -> &str {
        &self.0.partition
    }

    /// `{"aws:s3:arn": "arn:aws:s3:::<bucket>"}`, the context the bucket key is bound to.
    pub fn encryption_context(&self) -> &EncryptionContext {
        &self.0.context
    }
}

impl PartialEq for BucketScope {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
            || (self.0.hash == other.0.hash
                && self.0.bucket == other.0.bucket
                && self.0.kms_key_id == other.0.kms_key_id
                && self.0.partition == other.0.partition)
    }
}

impl Eq for BucketScope {}

impl Hash for BucketScope {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.0.hash);
    }
}

impl fmt::Debug for BucketScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BucketScope")
            .field("bucket", &self.0.bucket)
            .field("kms_key_id", &self.0.kms_key_id)
            .field("partition", &self.0.partition)
            .finish()
    }
}

/// `arn:aws:s3:::<bucket>`.
pub fn bucket_arn(bucket: &str) -> String {
    format!("arn:aws:s3:::{bucket}")
}

/// A bucket key: 32 bytes from KMS (zeroized when the last handle is dropped), the KMS key ARN
/// and the `CiphertextBlob` that travel with every object, and its lifetime. Cheap to clone.
#[derive(Clone)]
pub struct BucketKey(Arc<KeyInner>);

/// The bytes of a bucket key. Unit tests put in their place a type that records its own wiping
/// (`tests::Probe`), so they can observe that evicting, purging or dropping a bucket key reaches
/// the wipe `Secret` runs on drop; everything else about the key is the same code.
#[cfg(not(test))]
type Material = [u8; KEY_LEN];
#[cfg(test)]
type Material = tests::Probe;

struct KeyInner {
    /// Wiped by `Secret`'s `Drop` when the last handle goes.
    material: Secret<Material>,
    kms_key_arn: String,
    ciphertext: Vec<u8>,
    bucket: String,
    created: Instant,
    refresh_at: Instant,
    expires: Instant,
    max_uses: Option<u64>,
    uses: AtomicU64,
}

impl BucketKey {
    #[allow(clippy::too_many_arguments)]
    fn new(
        material: Secret<Material>,
        kms_key_arn: String,
        ciphertext: Vec<u8>,
        bucket: &str,
        now: Instant,
        config: &CacheConfig,
        max_uses: Option<u64>,
    ) -> Self {
        // A TTL too long for `Instant` (e.g. `Duration::MAX`) saturates: the key never expires.
        let expires = saturating_add(now, config.ttl);
        // Half the lifetime actually granted, so `refresh_at` stays within `now..=expires`.
        let grace = config
            .grace_period
            .min(expires.saturating_duration_since(now) / 2);
        Self(Arc::new(KeyInner {
            material,
            kms_key_arn,
            ciphertext,
            bucket: bucket.to_owned(),
            created: now,
            refresh_at: expires.checked_sub(grace).unwrap_or(now),
            expires,
            max_uses,
            uses: AtomicU64::new(0),
        }))
    }

    /// The ARN of the KMS key that protects this bucket key.
    pub fn kms_key_arn(&self) -> &str {
        &self.0.kms_key_arn
    }

    /// The bucket key as KMS `CiphertextBlob`.
    pub fn ciphertext(&self) -> &[u8] {
        &self.0.ciphertext
    }

    /// The bucket it is for.
    pub fn bucket(&self) -> &str {
        &self.0.bucket
    }

    /// When it was obtained from KMS.
    pub fn created_at(&self) -> Instant {
        self.0.created
    }

    /// When it stops being used.
    pub fn expires_at(&self) -> Instant {
        self.0.expires
    }

    /// Objects this key was handed out for through the cache, counted only when
    /// [`max_objects_per_key`](CacheConfig::max_objects_per_key) is set (0 otherwise).
    pub fn uses(&self) -> u64 {
        self.0.uses.load(Ordering::Relaxed)
    }

    /// Seals `plaintext` as object `object` of this key's bucket, with a random salt and nonce.
    /// See [`envelope`] for the format.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for names longer than 4 GiB.
    pub fn seal(&self, object: &str, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        let mut salt = [0u8; SALT_LEN];
        let mut nonce = [0u8; NONCE_LEN];
        random(&mut salt)?;
        random(&mut nonce)?;
        self.seal_with(object, plaintext, salt, nonce)
    }

    /// [`seal`](Self::seal) with a given salt and nonce (for test vectors; never reuse them).
    ///
    /// # Errors
    /// As [`seal`](Self::seal).
    pub fn seal_with(
        &self,
        object: &str,
        plaintext: &[u8],
        salt: [u8; SALT_LEN],
        nonce: [u8; NONCE_LEN],
    ) -> Result<Vec<u8>, Error> {
        envelope::seal_with(
            self.material(),
            &self.0.kms_key_arn,
            &self.0.ciphertext,
            &self.0.bucket,
            object,
            plaintext,
            salt,
            nonce,
        )
    }

    /// Opens an envelope sealed under this bucket key as object `object`. The bucket key itself
    /// decides what opens: nothing the envelope names is trusted.
    ///
    /// # Errors
    /// [`Error::WrongBucketKey`] when the envelope names another bucket key or KMS key;
    /// [`Error::Authentication`], [`Error::Malformed`], [`Error::UnsupportedVersion`].
    pub fn open(&self, object: &str, sealed: &[u8]) -> Result<Vec<u8>, Error> {
        let parsed = envelope::parse(sealed)?;
        if parsed.header.bucket_key_ciphertext != self.0.ciphertext.as_slice()
            || parsed.header.kms_key_arn != self.0.kms_key_arn
        {
            return Err(Error::WrongBucketKey);
        }
        envelope::open(self.material(), &self.0.bucket, object, &parsed)
    }

    fn material(&self) -> &[u8; KEY_LEN] {
        (*self.0.material).borrow()
    }

    pub(crate) fn refresh_at(&self) -> Instant {
        self.0.refresh_at
    }

    /// Counts one use; false when the key has reached its object limit. Without a limit nothing
    /// is counted, so concurrent hits on one key share no written cache line.
    pub(crate) fn try_use(&self) -> bool {
        match self.0.max_uses {
            Some(max) => self.0.uses.fetch_add(1, Ordering::Relaxed) < max,
            None => true,
        }
    }

    pub(crate) fn usable(&self, now: Instant) -> bool {
        now < self.0.expires
            && self
                .0
                .max_uses
                .is_none_or(|max| self.0.uses.load(Ordering::Relaxed) < max)
    }
}

impl fmt::Debug for BucketKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BucketKey")
            .field("bucket", &self.0.bucket)
            .field("kms_key_arn", &self.0.kms_key_arn)
            .field("material", &"<redacted>")
            .field("uses", &self.uses())
            .finish()
    }
}

fn random(buf: &mut [u8]) -> Result<(), Error> {
    getrandom::getrandom(buf).map_err(|_| Error::InvalidInput("the OS random source failed"))
}

/// A snapshot of what a cache has done, for programs (the same numbers go to the `metrics`
/// crate as `bucket_key_cache_*_total` counters).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Calls served by a cached bucket key without waiting for KMS (both sides).
    pub hits: u64,
    /// Calls that waited for a KMS call: their own fetch or the one in flight (both sides).
    pub misses: u64,
    /// KMS operations the cache asked its provider for (GenerateDataKey,
    /// GenerateDataKeyWithoutPlaintext, Decrypt); a provider may send more requests (retries).
    pub kms_calls: u64,
    /// Fetches that replaced an existing (expiring, expired or used-up) bucket key.
    pub refreshes: u64,
    /// Bucket keys dropped for capacity or purged after expiry.
    pub evictions: u64,
    /// `ThrottlingException` answers the provider received.
    pub throttles: u64,
    /// Requests the provider retried.
    pub retries: u64,
    /// Requests the provider sent, retries included.
    pub kms_requests: u64,
    /// Bucket keys held for writing now.
    pub encrypt_keys: usize,
    /// Bucket keys held for reading now.
    pub decrypt_keys: usize,
}

/// S3-Bucket-Key-style caching over a [`KeyProvider`]. Cheap to clone (clones share the cache).
///
/// Writing: [`seal`](Self::seal) (or [`encryption_key`](Self::encryption_key) then
/// [`BucketKey::seal`]) uses one live bucket key per [`BucketScope`], obtained from KMS with
/// GenerateDataKey and encryption context `{"aws:s3:arn": "arn:aws:s3:::<bucket>"}`, for
/// [`ttl`](CacheConfig::ttl) and at most [`max_objects_per_key`](CacheConfig::max_objects_per_key)
/// objects. Each object gets its own key derived from the bucket key with a random salt.
///
/// Reading: [`open`](Self::open) checks that the envelope's KMS key is one the reader expects
/// ([`OpenPolicy`]), decrypts the bucket key named in the envelope with KMS Decrypt once and
/// caches it by its ciphertext, so reading 100,000 objects written under one bucket key costs one
/// Decrypt.
///
/// ```
/// # #[cfg(feature = "in-process")] {
/// use bucket_key_cache::{BucketKeyCache, BucketScope, InProcessProvider, OpenPolicy};
/// use kms_api::{Kms, Scope};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let kms = Kms::new();
/// let account = Scope::new("111122223333", "us-east-1");
/// let key = kms.create_key(&account, Default::default()).unwrap().key_metadata.arn;
/// let cache = BucketKeyCache::new(InProcessProvider::new(kms, account));
/// let bucket = BucketScope::new("invoices", key.as_str());
/// let expected = OpenPolicy::key(key.as_str());
/// for i in 0..1000 {
///     let name = format!("2024/{i}.pdf");
///     let sealed = cache.seal(&bucket, &name, b"%PDF").await.unwrap();
///     assert_eq!(cache.open(&expected, "invoices", &name, &sealed).await.unwrap(), b"%PDF");
/// }
/// assert_eq!(cache.stats().kms_calls, 2); // one GenerateDataKey, one Decrypt
/// # });
/// # }
/// ```
#[derive(Clone)]
pub struct BucketKeyCache {
    inner: Arc<Inner>,
}

struct Inner {
    provider: Arc<dyn KeyProvider>,
    config: CacheConfig,
    clock: Arc<dyn Clock>,
    encrypt: Slots<BucketScope, PassThrough>,
    decrypt: Slots<Vec<u8>>,
    calls_generate: Count,
    calls_generate_without_plaintext: Count,
    calls_decrypt: Count,
}

/// Builds a [`BucketKeyCache`].
pub struct Builder {
    provider: Arc<dyn KeyProvider>,
    config: CacheConfig,
    clock: Arc<dyn Clock>,
}

impl Builder {
    /// Bucket keys are used for `ttl` ([`DEFAULT_TTL`] if not set). Any duration is accepted:
    /// one too long for `Instant` to add (e.g. `Duration::MAX`) saturates at the latest instant
    /// the platform can represent, so the key never expires by time. Think twice: a bucket key
    /// that never expires means KMS key policy changes (a disabled key, a revoked grant) never
    /// reach writers.
    ///
    /// ```
    /// use std::time::Duration;
    /// use bucket_key_cache::{BucketKeyCache, MockProvider};
    ///
    /// let cache = BucketKeyCache::builder(MockProvider::new()).ttl(Duration::MAX).build();
    /// assert_eq!(cache.config().ttl, Duration::MAX);
    /// ```
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.config.ttl = ttl;
        self
    }

    /// Refresh starts `grace` before expiry ([`DEFAULT_GRACE_PERIOD`]; at most half the TTL).
    pub fn grace_period(mut self, grace: Duration) -> Self {
        self.config.grace_period = grace;
        self
    }

    /// After a failed refresh, wait `interval` before the next ([`DEFAULT_GRACE_INTERVAL`]).
    /// Saturates like [`ttl`](Self::ttl): `Duration::MAX` means no retry before expiry.
    pub fn grace_interval(mut self, interval: Duration) -> Self {
        self.config.grace_interval = interval;
        self
    }

    /// Seal at most `n` objects under one bucket key (no limit by default).
    pub fn max_objects_per_key(mut self, n: u64) -> Self {
        self.config.max_objects_per_key = Some(n.max(1));
        self
    }

    /// Hold at most `n` bucket keys per side ([`DEFAULT_CAPACITY`]).
    pub fn capacity(mut self, n: usize) -> Self {
        self.config.capacity = n.max(1);
        self
    }

    /// How bucket keys are obtained ([`KeyGeneration::GenerateDataKey`]).
    pub fn generation(mut self, generation: KeyGeneration) -> Self {
        self.config.generation = generation;
        self
    }

    /// Where time comes from ([`SystemClock`]); tests pass a [`ManualClock`](crate::ManualClock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The cache.
    pub fn build(self) -> BucketKeyCache {
        let timing = Timing {
            grace_interval: self.config.grace_interval,
        };
        let capacity = self.config.capacity;
        BucketKeyCache {
            inner: Arc::new(Inner {
                provider: self.provider,
                config: self.config,
                clock: self.clock,
                encrypt: Slots::new(capacity, timing, "encrypt"),
                decrypt: Slots::new(capacity, timing, "decrypt"),
                calls_generate: Count::new(metrics::counter!(
                    "bucket_key_cache_kms_calls_total", "operation" => "GenerateDataKey")),
                calls_generate_without_plaintext: Count::new(metrics::counter!(
                    "bucket_key_cache_kms_calls_total",
                    "operation" => "GenerateDataKeyWithoutPlaintext")),
                calls_decrypt: Count::new(metrics::counter!(
                    "bucket_key_cache_kms_calls_total", "operation" => "Decrypt")),
            }),
        }
    }
}

impl BucketKeyCache {
    /// A cache with the default settings.
    pub fn new(provider: impl KeyProvider + 'static) -> Self {
        Self::builder(provider).build()
    }

    /// A builder for other settings.
    ///
    /// ```
    /// # #[cfg(feature = "in-process")] {
    /// use std::time::Duration;
    /// use bucket_key_cache::{BucketKeyCache, InProcessProvider};
    ///
    /// let provider = InProcessProvider::new(kms_api::Kms::new(), kms_api::Scope::new("111122223333", "us-east-1"));
    /// let cache = BucketKeyCache::builder(provider)
    ///     .ttl(Duration::from_secs(60))
    ///     .max_objects_per_key(10_000)
    ///     .capacity(100)
    ///     .build();
    /// assert_eq!(cache.config().ttl, Duration::from_secs(60));
    /// # }
    /// ```
    pub fn builder(provider: impl KeyProvider + 'static) -> Builder {
        Builder {
            provider: Arc::new(provider),
            config: CacheConfig::default(),
            clock: Arc::new(SystemClock),
        }
    }

    /// The settings.
    pub fn config(&self) -> &CacheConfig {
        &self.inner.config
    }

    /// The live bucket key for `scope`, from the cache or (once, however many callers ask at the
    /// same time) from KMS.
    ///
    /// # Errors
    /// [`Error::Provider`] when KMS fails (after the provider's retries) and no still-valid key
    /// exists; [`Error::InvalidDataKey`].
    pub async fn encryption_key(&self, scope: &BucketScope) -> Result<BucketKey, Error> {
        let inner = &*self.inner;
        inner
            .encrypt
            .get(scope, &*inner.clock, || inner.fetch_for_writing(scope))
            .await
    }

    /// Seals `plaintext` as object `object` of `scope`'s bucket under its live bucket key.
    ///
    /// # Errors
    /// As [`encryption_key`](Self::encryption_key) and [`BucketKey::seal`].
    pub async fn seal(
        &self,
        scope: &BucketScope,
        object: &str,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, Error> {
        self.encryption_key(scope).await?.seal(object, plaintext)
    }

    /// Opens object `object` of `bucket` in the default partition, if its bucket key is under a
    /// KMS key that `expected` allows.
    ///
    /// ```
    /// use bucket_key_cache::{BucketKeyCache, BucketScope, MockProvider, OpenPolicy};
    ///
    /// const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let cache = BucketKeyCache::new(MockProvider::new());
    /// let sealed = cache.seal(&BucketScope::new("photos", KEY), "cat.jpg", b"meow").await?;
    /// let bytes = cache.open(&OpenPolicy::key(KEY), "photos", "cat.jpg", &sealed).await?;
    /// assert_eq!(bytes, b"meow");
    /// # Ok::<(), bucket_key_cache::Error>(())
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    /// As [`open_in`](Self::open_in).
    pub async fn open(
        &self,
        expected: &OpenPolicy,
        bucket: &str,
        object: &str,
        sealed: &[u8],
    ) -> Result<Vec<u8>, Error> {
        self.open_in(DEFAULT_PARTITION, expected, bucket, object, sealed)
            .await
    }

    /// Opens object `object` of `bucket` for requester `partition`. First the KMS key ARN the
    /// envelope names must be one `expected` allows (nothing else is done otherwise, KMS is not
    /// called); then the bucket key comes from the read-side cache or from one KMS Decrypt (with
    /// the bucket's encryption context and that ARN as `KeyId`), and KMS must report decrypting
    /// with that key.
    ///
    /// ```
    /// use bucket_key_cache::{BucketKeyCache, BucketScope, MockProvider, OpenPolicy};
    ///
    /// const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let cache = BucketKeyCache::new(MockProvider::new());
    /// let scope = BucketScope::new("photos", KEY).with_partition("role/uploader");
    /// let sealed = cache.seal(&scope, "cat.jpg", b"meow").await?;
    /// let bytes = cache
    ///     .open_in("role/reader", &OpenPolicy::key(KEY), "photos", "cat.jpg", &sealed)
    ///     .await?;
    /// assert_eq!(bytes, b"meow");
    /// # Ok::<(), bucket_key_cache::Error>(())
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    /// [`Error::UnexpectedKey`] when the envelope's KMS key is not allowed by `expected` (or KMS
    /// reports another key); [`Error::Malformed`], [`Error::UnsupportedVersion`],
    /// [`Error::Provider`] (e.g. `InvalidCiphertextException` for a bucket key of another
    /// bucket), [`Error::Authentication`].
    pub async fn open_in(
        &self,
        partition: &str,
        expected: &OpenPolicy,
        bucket: &str,
        object: &str,
        sealed: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let parsed = envelope::parse(sealed)?;
        // Before the cache, too: a key cached by a more permissive call must not be served.
        if !expected.allows(parsed.header.kms_key_arn) {
            return Err(Error::UnexpectedKey {
                kms_key_arn: parsed.header.kms_key_arn.to_owned(),
            });
        }
        let id = decrypt_id(partition, bucket, &parsed.header);
        let inner = &*self.inner;
        let key = inner
            .decrypt
            .get(&id, &*inner.clock, || {
                inner.fetch_for_reading(
                    bucket,
                    parsed.header.kms_key_arn,
                    parsed.header.bucket_key_ciphertext,
                )
            })
            .await?;
        envelope::open(key.material(), bucket, object, &parsed)
    }

    /// Drops every expired bucket key now (they are otherwise replaced on next use or evicted);
    /// returns how many.
    pub fn purge_expired(&self) -> usize {
        let now = self.inner.clock.now();
        self.inner.encrypt.purge_expired(now) + self.inner.decrypt.purge_expired(now)
    }

    /// Drops every bucket key (fetches in flight complete normally).
    pub fn clear(&self) {
        self.inner.encrypt.clear();
        self.inner.decrypt.clear();
    }

    /// What the cache (and its provider) have done so far.
    pub fn stats(&self) -> CacheStats {
        let i = &*self.inner;
        let p = i.provider.stats();
        let (e, d) = (&i.encrypt.counters, &i.decrypt.counters);
        CacheStats {
            hits: e.hits.get() + d.hits.get(),
            misses: e.misses.get() + d.misses.get(),
            kms_calls: i.calls_generate.get()
                + i.calls_generate_without_plaintext.get()
                + i.calls_decrypt.get(),
            refreshes: e.refreshes.get() + d.refreshes.get(),
            evictions: e.evictions.get() + d.evictions.get(),
            throttles: p.throttles,
            retries: p.retries,
            kms_requests: p.requests,
            encrypt_keys: i.encrypt.len(),
            decrypt_keys: i.decrypt.len(),
        }
    }

    /// The provider's counts.
    pub fn provider_stats(&self) -> ProviderStats {
        self.inner.provider.stats()
    }
}

impl fmt::Debug for BucketKeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BucketKeyCache")
            .field("config", &self.inner.config)
            .field("stats", &self.stats())
            .finish()
    }
}

impl Inner {
    async fn fetch_for_writing(&self, scope: &BucketScope) -> Result<BucketKey, Error> {
        let req = DataKeyRequest {
            key_id: scope.kms_key_id(),
            encryption_context: scope.encryption_context(),
        };
        let (arn, plaintext, ciphertext) = match self.config.generation {
            KeyGeneration::GenerateDataKey => {
                self.calls_generate.inc();
                let DataKey {
                    key_arn,
                    plaintext,
                    ciphertext,
                } = self.provider.generate_data_key(req).await?;
                (key_arn, plaintext, ciphertext)
            }
            KeyGeneration::WithoutPlaintext => {
                self.calls_generate_without_plaintext.inc();
                let WrappedDataKey {
                    key_arn,
                    ciphertext,
                } = self
                    .provider
                    .generate_data_key_without_plaintext(req)
                    .await?;
                self.calls_decrypt.inc();
                let Decrypted { plaintext, .. } = self
                    .provider
                    .decrypt(DecryptRequest {
                        key_id: &key_arn,
                        ciphertext: &ciphertext,
                        encryption_context: scope.encryption_context(),
                    })
                    .await?;
                (key_arn, plaintext, ciphertext)
            }
        };
        Ok(BucketKey::new(
            material(&plaintext)?,
            arn,
            ciphertext,
            scope.bucket(),
            self.clock.now(),
            &self.config,
            self.config.max_objects_per_key,
        ))
    }

    async fn fetch_for_reading(
        &self,
        bucket: &str,
        kms_key_arn: &str,
        ciphertext: &[u8],
    ) -> Result<BucketKey, Error> {
        let context =
            EncryptionContext::from([(S3_ARN_CONTEXT_KEY.to_owned(), bucket_arn(bucket))]);
        self.calls_decrypt.inc();
        let out = self
            .provider
            .decrypt(DecryptRequest {
                key_id: kms_key_arn,
                ciphertext,
                encryption_context: &context,
            })
            .await?;
        // KMS names the key that decrypted; it must be the one asked for (as the Encryption SDK
        // checks), or the caller's policy check was about another key.
        if out.key_arn != kms_key_arn {
            return Err(Error::UnexpectedKey {
                kms_key_arn: out.key_arn,
            });
        }
        Ok(BucketKey::new(
            material(&out.plaintext)?,
            kms_key_arn.to_owned(),
            ciphertext.to_vec(),
            bucket,
            self.clock.now(),
            &self.config,
            None,
        ))
    }
}

fn material(plaintext: &[u8]) -> Result<Secret<Material>, Error> {
    if plaintext.len() != KEY_LEN {
        return Err(Error::InvalidDataKey {
            len: plaintext.len(),
        });
    }
    // Copied straight into the `Secret`, not through a temporary.
    let mut key = Secret::new(Material::from([0u8; KEY_LEN]));
    let bytes: &mut [u8; KEY_LEN] = (*key).borrow_mut();
    bytes.copy_from_slice(plaintext);
    Ok(key)
}

/// The read-side cache key: partition, bucket and KMS key ARN, each prefixed with its length as
/// a 64-bit integer (so no split of the bytes between them is ambiguous, whatever their length),
/// then the bucket key ciphertext.
fn decrypt_id(partition: &str, bucket: &str, header: &envelope::Header<'_>) -> Vec<u8> {
    let parts = [
        partition.as_bytes(),
        bucket.as_bytes(),
        header.kms_key_arn.as_bytes(),
    ];
    // Only a capacity hint: saturating is harmless.
    let capacity = parts
        .iter()
        .fold(header.bucket_key_ciphertext.len(), |n, p| {
            n.saturating_add(8).saturating_add(p.len())
        });
    let mut id = Vec::with_capacity(capacity);
    for part in parts {
        // usize is at most 64 bits on every platform Rust supports.
        id.extend_from_slice(&u64::try_from(part.len()).unwrap_or(u64::MAX).to_be_bytes());
        id.extend_from_slice(part);
    }
    id.extend_from_slice(header.bucket_key_ciphertext);
    id
}

impl<P: KeyProvider + ?Sized> KeyProvider for Arc<P> {
    fn generate_data_key<'a>(
        &'a self,
        req: DataKeyRequest<'a>,
    ) -> BoxFuture<'a, Result<DataKey, crate::ProviderError>> {
        (**self).generate_data_key(req)
    }

    fn generate_data_key_without_plaintext<'a>(
        &'a self,
        req: DataKeyRequest<'a>,
    ) -> BoxFuture<'a, Result<WrappedDataKey, crate::ProviderError>> {
        (**self).generate_data_key_without_plaintext(req)
    }

    fn decrypt<'a>(
        &'a self,
        req: DecryptRequest<'a>,
    ) -> BoxFuture<'a, Result<Decrypted, crate::ProviderError>> {
        (**self).decrypt(req)
    }

    fn stats(&self) -> ProviderStats {
        (**self).stats()
    }
}

#[cfg(test)]
mod tests;
