//! [`KeyProvider`]: the KMS calls a bucket key needs (GenerateDataKey,
//! GenerateDataKeyWithoutPlaintext, Decrypt), asynchronous and object-safe so a cache can hold
//! an `Arc<dyn KeyProvider>`. Providers: [`AwsSdkProvider`](crate::AwsSdkProvider) over the
//! official `aws-sdk-kms` client (feature `aws-sdk`, default) and
//! [`InProcessProvider`](crate::InProcessProvider) over the `kms-api` engine (feature
//! `in-process`).

#[cfg(feature = "in-process")]
pub mod in_process;
#[cfg(feature = "aws-sdk")]
pub mod sdk;

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::ProviderError;
use crate::secret::Secret;

/// A boxed, sendable future, the return type of [`KeyProvider`]'s methods.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A KMS encryption context.
pub type EncryptionContext = BTreeMap<String, String>;

/// Input of GenerateDataKey and GenerateDataKeyWithoutPlaintext (always `KeySpec: AES_256`).
#[derive(Debug, Clone, Copy)]
pub struct DataKeyRequest<'a> {
    /// The KMS key: key ID, key ARN, alias name or alias ARN.
    pub key_id: &'a str,
    /// Bound to the data key's ciphertext; Decrypt must present the same.
    pub encryption_context: &'a EncryptionContext,
}

/// Input of Decrypt.
#[derive(Debug, Clone, Copy)]
pub struct DecryptRequest<'a> {
    /// The KMS key that must have encrypted `ciphertext` (sent as `KeyId`).
    pub key_id: &'a str,
    /// The `CiphertextBlob`.
    pub ciphertext: &'a [u8],
    /// The context given when the data key was generated.
    pub encryption_context: &'a EncryptionContext,
}

/// A data key as plaintext and as KMS ciphertext.
pub struct DataKey {
    /// The ARN of the KMS key that encrypted it.
    pub key_arn: String,
    /// The plaintext key: zeroized on drop, redacted in `Debug`.
    pub plaintext: Secret<Vec<u8>>,
    /// The `CiphertextBlob`.
    pub ciphertext: Vec<u8>,
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataKey")
            .field("key_arn", &self.key_arn)
            .field("plaintext", &"<redacted>")
            .field("ciphertext_len", &self.ciphertext.len())
            .finish()
    }
}

/// A data key as KMS ciphertext only.
#[derive(Debug, Clone)]
pub struct WrappedDataKey {
    /// The ARN of the KMS key that encrypted it.
    pub key_arn: String,
    /// The `CiphertextBlob`.
    pub ciphertext: Vec<u8>,
}

/// The answer of Decrypt.
pub struct Decrypted {
    /// The ARN of the KMS key that decrypted.
    pub key_arn: String,
    /// The plaintext: zeroized on drop, redacted in `Debug`.
    pub plaintext: Secret<Vec<u8>>,
}

impl fmt::Debug for Decrypted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decrypted")
            .field("key_arn", &self.key_arn)
            .field("plaintext", &"<redacted>")
            .finish()
    }
}

/// What a provider has sent and seen since it was made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProviderStats {
    /// KMS requests sent, retries included.
    pub requests: u64,
    /// `ThrottlingException` answers received.
    pub throttles: u64,
    /// Requests that were retries of an earlier one.
    pub retries: u64,
}

/// The KMS calls a bucket key needs.
///
/// Implementations retry what is worth retrying (throttling, transient failures) themselves and
/// report in [`stats`](KeyProvider::stats) what they sent.
///
/// ```
/// use bucket_key_cache::provider::{
///     BoxFuture, DataKey, DataKeyRequest, DecryptRequest, Decrypted, KeyProvider, WrappedDataKey,
/// };
/// use bucket_key_cache::ProviderError;
///
/// /// A provider that always says KMS is unavailable.
/// struct Down;
///
/// impl KeyProvider for Down {
///     fn generate_data_key<'a>(&'a self, _: DataKeyRequest<'a>)
///         -> BoxFuture<'a, Result<DataKey, ProviderError>> {
///         Box::pin(async { Err(ProviderError::kms("KMSInternalException", "down")) })
///     }
///     fn generate_data_key_without_plaintext<'a>(&'a self, _: DataKeyRequest<'a>)
///         -> BoxFuture<'a, Result<WrappedDataKey, ProviderError>> {
///         Box::pin(async { Err(ProviderError::kms("KMSInternalException", "down")) })
///     }
///     fn decrypt<'a>(&'a self, _: DecryptRequest<'a>)
///         -> BoxFuture<'a, Result<Decrypted, ProviderError>> {
///         Box::pin(async { Err(ProviderError::kms("KMSInternalException", "down")) })
///     }
/// }
/// ```
pub trait KeyProvider: Send + Sync {
    /// GenerateDataKey with `KeySpec: AES_256`.
    fn generate_data_key<'a>(
        &'a self,
        req: DataKeyRequest<'a>,
    ) -> BoxFuture<'a, Result<DataKey, ProviderError>>;

    /// GenerateDataKeyWithoutPlaintext with `KeySpec: AES_256`.
    fn generate_data_key_without_plaintext<'a>(
        &'a self,
        req: DataKeyRequest<'a>,
    ) -> BoxFuture<'a, Result<WrappedDataKey, ProviderError>>;

    /// Decrypt.
    fn decrypt<'a>(
        &'a self,
        req: DecryptRequest<'a>,
    ) -> BoxFuture<'a, Result<Decrypted, ProviderError>>;

    /// Requests sent, throttles and retries seen so far. Zero unless the provider counts.
    fn stats(&self) -> ProviderStats {
        ProviderStats::default()
    }
}

/// Counters a provider keeps for [`KeyProvider::stats`] and mirrors into the `metrics` crate
/// (`bucket_key_cache_kms_requests_total`, `bucket_key_cache_throttles_total`,
/// `bucket_key_cache_retries_total`).
#[derive(Debug)]
pub struct ProviderCounters {
    requests: AtomicU64,
    throttles: AtomicU64,
    retries: AtomicU64,
    requests_metric: metrics::Counter,
    throttles_metric: metrics::Counter,
    retries_metric: metrics::Counter,
}

impl Default for ProviderCounters {
    fn default() -> Self {
        Self {
            requests: AtomicU64::new(0),
            throttles: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            requests_metric: metrics::counter!("bucket_key_cache_kms_requests_total"),
            throttles_metric: metrics::counter!("bucket_key_cache_throttles_total"),
            retries_metric: metrics::counter!("bucket_key_cache_retries_total"),
        }
    }
}

impl ProviderCounters {
    /// Counts one request sent.
    pub fn request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.requests_metric.increment(1);
    }

    /// Counts one `ThrottlingException` received.
    pub fn throttle(&self) {
        self.throttles.fetch_add(1, Ordering::Relaxed);
        self.throttles_metric.increment(1);
    }

    /// Counts one retry.
    pub fn retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
        self.retries_metric.increment(1);
    }

    /// The counts so far.
    pub fn snapshot(&self) -> ProviderStats {
        ProviderStats {
            requests: self.requests.load(Ordering::Relaxed),
            throttles: self.throttles.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
        }
    }
}
