//! S3 Bucket Keys as a library.
//!
//! With SSE-KMS every object costs a KMS call on write (GenerateDataKey) and on read (Decrypt),
//! so bulk uploads hit KMS quotas. S3 Bucket Keys fix this: one short-lived bucket-level key from
//! KMS creates unique data keys for many objects. This crate does the same for any service:
//!
//! - a [`BucketKeyCache`] holds one live bucket key per (bucket, KMS key, requester partition),
//!   obtained with encryption context `{"aws:s3:arn": "arn:aws:s3:::<bucket>"}` as S3 does, for a
//!   bounded time ([`DEFAULT_TTL`]) and optionally a bounded number of objects; near expiry
//!   exactly one caller refreshes it while the others keep using it, and callers that find none
//!   wait on the one fetch;
//! - each object is sealed under its own key, derived from the bucket key with NIST SP 800-108
//!   counter-mode HMAC-SHA256 over a random salt, the bucket and the object name ([`derive`](mod@derive)),
//!   in a versioned [`envelope`] that carries the bucket key's KMS ciphertext, so reading never
//!   depends on the cache;
//! - reading caches bucket keys by their ciphertext: 100,000 objects under one bucket key cost
//!   one KMS Decrypt;
//! - a reader states which KMS keys it expects ([`OpenPolicy`], the Encryption SDK's strict
//!   mode): the envelope names the KMS key of its bucket key, but the writer chose that name, so
//!   an envelope under any other key is refused before KMS is called. Accepting any key is an
//!   explicit, documented-as-dangerous [`OpenPolicy::AnyKey`].
//!
//! KMS is reached only through the [`KeyProvider`] trait: [`AwsSdkProvider`] (feature `aws-sdk`,
//! on by default) over the official `aws-sdk-kms` client, [`InProcessProvider`] (feature
//! `in-process`) over the `kms-api` engine, [`MockProvider`] for tests.
//!
//! ```
//! use std::sync::Arc;
//! use bucket_key_cache::{BucketKeyCache, BucketScope, Error, MockProvider, OpenPolicy};
//!
//! const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
//! const OTHER: &str = "arn:aws:kms:us-east-1:444455556666:key/0000aaaa-00aa-00aa-00aa-0000aaaa0000";
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let kms = Arc::new(MockProvider::new());
//! let cache = BucketKeyCache::new(kms.clone());
//! let photos = BucketScope::new("photos", KEY);
//! let sealed = cache.seal(&photos, "cat.jpg", b"meow").await?;
//! let expected = OpenPolicy::key(KEY); // the reader names the KMS key it trusts
//! assert_eq!(cache.open(&expected, "photos", "cat.jpg", &sealed).await?, b"meow");
//! assert!(cache.open(&expected, "photos", "dog.jpg", &sealed).await.is_err()); // the name is authenticated
//! assert_eq!(kms.calls(), 2); // one GenerateDataKey, one Decrypt
//!
//! // An object whose bucket key is under another KMS key is refused without a KMS call.
//! let forged = cache.seal(&BucketScope::new("photos", OTHER), "cat.jpg", b"woof").await?;
//! let err = cache.open(&expected, "photos", "cat.jpg", &forged).await.unwrap_err();
//! assert_eq!(err, Error::UnexpectedKey { kms_key_arn: OTHER.into() });
//! assert_eq!(kms.decrypt_calls(), 1);
//! # Ok::<(), bucket_key_cache::Error>(())
//! # }).unwrap();
//! ```
//!
//! # Observability
//! Counters through the `metrics` crate (install a recorder before building the cache):
//! `bucket_key_cache_hits_total{side}`, `bucket_key_cache_misses_total{side}`,
//! `bucket_key_cache_refreshes_total{side}`, `bucket_key_cache_evictions_total{side}`,
//! `bucket_key_cache_kms_calls_total{operation}` and, from the providers,
//! `bucket_key_cache_kms_requests_total`, `bucket_key_cache_throttles_total`,
//! `bucket_key_cache_retries_total`. [`BucketKeyCache::stats`] returns the same numbers.
//!
//! # Layout
//! - [`cache`]: [`BucketKeyCache`], [`BucketKey`], [`BucketScope`], settings and stats.
//! - [`derive`](mod@derive): the per-object key derivation.
//! - [`envelope`]: the sealed-object format.
//! - [`policy`]: [`OpenPolicy`], the KMS keys a reader accepts.
//! - [`provider`]: the [`KeyProvider`] trait and its implementations.
//! - [`secret`]: [`Secret`], which holds every key in the crate (redacted `Debug`, wiped on drop).
//! - [`clock`]: [`SystemClock`] and [`ManualClock`].
//! - [`error`]: [`Error`] and [`ProviderError`].

#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod cache;
pub mod clock;
pub mod derive;
pub mod envelope;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod mock;
pub mod policy;
pub mod provider;
pub mod secret;
mod slots;

pub use cache::{
    BucketKey, BucketKeyCache, BucketScope, Builder, CacheConfig, CacheStats, DEFAULT_CAPACITY,
    DEFAULT_GRACE_INTERVAL, DEFAULT_GRACE_PERIOD, DEFAULT_PARTITION, DEFAULT_TTL, KeyGeneration,
    bucket_arn,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Error, ProviderError};
pub use mock::MockProvider;
pub use policy::OpenPolicy;
#[cfg(feature = "in-process")]
pub use provider::in_process::InProcessProvider;
#[cfg(feature = "aws-sdk")]
pub use provider::sdk::{AwsSdkProvider, ThrottleRetry};
pub use provider::{KeyProvider, ProviderStats};
pub use secret::Secret;
