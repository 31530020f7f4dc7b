//! [`MockProvider`]: an in-memory stand-in for KMS that counts calls, can answer late and can be
//! told to fail, for tests and benchmarks of code that uses a [`BucketKeyCache`](crate::BucketKeyCache).
//! Its "ciphertexts" are lookup handles, not encryption: never use it outside tests.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::error::ProviderError;
use crate::provider::{
    BoxFuture, DataKey, DataKeyRequest, DecryptRequest, Decrypted, EncryptionContext, KeyProvider,
    ProviderStats, WrappedDataKey,
};
use crate::secret::Secret;

/// A mock data key: the KMS key it is under, its plaintext and the context it is bound to.
struct MockKey {
    arn: String,
    plaintext: Secret<Vec<u8>>,
    context: EncryptionContext,
}

/// A counting fake KMS. It holds every data key it handed out, so its `Debug` shows only counts.
///
/// Data keys are under the KMS key [`MockProvider::key_arn`] names for the requested `KeyId`, and
/// Decrypt checks it as KMS does: a `KeyId` naming another key gets `IncorrectKeyException`.
///
/// ```
/// use std::time::Duration;
/// use bucket_key_cache::{BucketKeyCache, BucketScope, MockProvider};
/// use std::sync::Arc;
///
/// // Paused tokio time: the mock's delay passes without sleeping.
/// let runtime = tokio::runtime::Builder::new_current_thread()
///     .enable_time()
///     .start_paused(true)
///     .build()
///     .unwrap();
/// # runtime.block_on(async {
/// let kms = Arc::new(MockProvider::new().with_delay(Duration::from_millis(20)));
/// let cache = BucketKeyCache::new(kms.clone());
/// let scope = BucketScope::new("b", "alias/k");
/// for i in 0..100 {
///     cache.seal(&scope, &i.to_string(), b"x").await.unwrap();
/// }
/// assert_eq!(kms.generate_calls(), 1);
/// # });
/// ```
#[derive(Default)]
pub struct MockProvider {
    delay: Duration,
    keys: Mutex<HashMap<Vec<u8>, MockKey>>,
    next: AtomicU64,
    generate: AtomicU64,
    generate_without_plaintext: AtomicU64,
    decrypt: AtomicU64,
    failures: Mutex<Vec<ProviderError>>,
}

/// The ARN of the mock KMS key that key IDs and aliases (anything but a key ARN) refer to.
pub const MOCK_KEY_ARN: &str =
    "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-4000-8000-000000000000";

impl MockProvider {
    /// A mock that answers at once.
    pub fn new() -> Self {
        Self::default()
    }

    /// The same mock answering after `delay` (tokio time, so paused-time tests work).
    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// The next calls fail with these errors, in order, one call each.
    pub fn fail_next(&self, errors: impl IntoIterator<Item = ProviderError>) {
        let mut f = self.failures.lock().expect("not poisoned");
        let mut errors: Vec<_> = errors.into_iter().collect();
        errors.reverse();
        errors.extend(f.drain(..));
        *f = errors;
    }

    /// The key ARN the mock uses for `key_id`: `key_id` itself when it is a key ARN
    /// (`arn:...:key/...`), else [`MOCK_KEY_ARN`], so tests can use several KMS keys by ARN.
    ///
    /// ```
    /// use bucket_key_cache::mock::{MockProvider, MOCK_KEY_ARN};
    ///
    /// let arn = "arn:aws:kms:us-east-1:444455556666:key/b";
    /// assert_eq!(MockProvider::key_arn(arn), arn);
    /// assert_eq!(MockProvider::key_arn("alias/s3"), MOCK_KEY_ARN);
    /// ```
    pub fn key_arn(key_id: &str) -> String {
        let is_key_arn = key_id.starts_with("arn:")
            && key_id
                .rsplit(':')
                .next()
                .is_some_and(|resource| resource.starts_with("key/"));
        if is_key_arn {
            key_id.to_owned()
        } else {
            MOCK_KEY_ARN.to_owned()
        }
    }

    /// GenerateDataKey calls so far.
    pub fn generate_calls(&self) -> u64 {
        self.generate.load(Ordering::SeqCst)
    }

    /// GenerateDataKeyWithoutPlaintext calls so far.
    pub fn generate_without_plaintext_calls(&self) -> u64 {
        self.generate_without_plaintext.load(Ordering::SeqCst)
    }

    /// Decrypt calls so far.
    pub fn decrypt_calls(&self) -> u64 {
        self.decrypt.load(Ordering::SeqCst)
    }

    /// All calls so far.
    pub fn calls(&self) -> u64 {
        self.generate_calls() + self.generate_without_plaintext_calls() + self.decrypt_calls()
    }

    async fn answer(&self, counter: &AtomicU64) -> Result<(), ProviderError> {
        counter.fetch_add(1, Ordering::SeqCst);
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        match self.failures.lock().expect("not poisoned").pop() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn new_key(&self, arn: &str, context: &EncryptionContext) -> (Secret<Vec<u8>>, Vec<u8>) {
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        let mut plaintext = Secret::new(vec![0u8; 32]);
        getrandom::getrandom(&mut plaintext).expect("OS randomness");
        let ciphertext = format!("mock-ciphertext-{n}").into_bytes();
        self.keys.lock().expect("not poisoned").insert(
            ciphertext.clone(),
            MockKey {
                arn: arn.to_owned(),
                plaintext: plaintext.clone(),
                context: context.clone(),
            },
        );
        (plaintext, ciphertext)
    }
}

impl fmt::Debug for MockProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = self.keys.lock().map_or(0, |k| k.len());
        let pending_failures = self.failures.lock().map_or(0, |f| f.len());
        f.debug_struct("MockProvider")
            .field("delay", &self.delay)
            .field("keys", &keys)
            .field("generate_calls", &self.generate_calls())
            .field(
                "generate_without_plaintext_calls",
                &self.generate_without_plaintext_calls(),
            )
            .field("decrypt_calls", &self.decrypt_calls())
            .field("pending_failures", &pending_failures)
            .finish()
    }
}

impl KeyProvider for MockProvider {
    fn generate_data_key<'a>(
        &'a self,
        req: DataKeyRequest<'a>,
    ) -> BoxFuture<'a, Result<DataKey, ProviderError>> {
        Box::pin(async move {
            self.answer(&self.generate).await?;
            let key_arn = Self::key_arn(req.key_id);
            let (plaintext, ciphertext) = self.new_key(&key_arn, req.encryption_context);
            Ok(DataKey {
                key_arn,
                plaintext,
                ciphertext,
            })
        })
    }

    fn generate_data_key_without_plaintext<'a>(
        &'a self,
        req: DataKeyRequest<'a>,
    ) -> BoxFuture<'a, Result<WrappedDataKey, ProviderError>> {
        Box::pin(async move {
            self.answer(&self.generate_without_plaintext).await?;
            let key_arn = Self::key_arn(req.key_id);
            let (_, ciphertext) = self.new_key(&key_arn, req.encryption_context);
            Ok(WrappedDataKey {
                key_arn,
                ciphertext,
            })
        })
    }

    fn decrypt<'a>(
        &'a self,
        req: DecryptRequest<'a>,
    ) -> BoxFuture<'a, Result<Decrypted, ProviderError>> {
        Box::pin(async move {
            self.answer(&self.decrypt).await?;
            let keys = self.keys.lock().expect("not poisoned");
            match keys.get(req.ciphertext) {
                Some(key) if key.arn != Self::key_arn(req.key_id) => Err(ProviderError::kms(
                    "IncorrectKeyException",
                    "the ciphertext is under another KMS key",
                )),
                Some(key) if key.context == *req.encryption_context => Ok(Decrypted {
                    key_arn: key.arn.clone(),
                    plaintext: key.plaintext.clone(),
                }),
                _ => Err(ProviderError::kms("InvalidCiphertextException", "")),
            }
        })
    }

    fn stats(&self) -> ProviderStats {
        ProviderStats {
            requests: self.calls(),
            ..ProviderStats::default()
        }
    }
}
