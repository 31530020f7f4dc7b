//! [`AwsSdkProvider`]: the provider over the official `aws-sdk-kms` client. Works against this
//! emulator (endpoint override) and real AWS (the normal credential chain) alike.
//!
//! Throttling is retried first by the SDK's own retry strategy (standard mode unless the
//! client's config says otherwise), then, when the SDK gives up (its attempts or its retry
//! quota are exhausted), by this provider's bounded loop with full-jitter exponential backoff
//! ([`ThrottleRetry`]). An interceptor counts every attempt the SDK sends and every
//! `ThrottlingException` it receives, so [`KeyProvider::stats`] reports exact numbers.

use std::sync::Arc;
use std::time::Duration;

use crate::error::ProviderError;
use crate::provider::{
    BoxFuture, DataKey, DataKeyRequest, DecryptRequest, Decrypted, KeyProvider, ProviderCounters,
    ProviderStats, WrappedDataKey,
};
use crate::secret::Secret;
use aws_sdk_kms::Client;
use aws_sdk_kms::config::interceptors::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_sdk_kms::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_kms::error::{BoxError, DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_kms::operation::decrypt::DecryptError;
use aws_sdk_kms::operation::generate_data_key::GenerateDataKeyError;
use aws_sdk_kms::operation::generate_data_key_without_plaintext::GenerateDataKeyWithoutPlaintextError;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;
use aws_smithy_runtime_api::client::retries::RequestAttempts;

/// This provider's own retry of throttled calls, on top of the SDK's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleRetry {
    /// Calls into the SDK per KMS operation, the first included (1 = only the SDK retries).
    pub max_calls: u32,
    /// The backoff cap of the first retry; it doubles with each further one.
    pub base: Duration,
    /// The largest backoff cap.
    pub max_backoff: Duration,
}

impl ThrottleRetry {
    /// No retries beyond the SDK's.
    pub const NONE: Self = Self {
        max_calls: 1,
        base: Duration::ZERO,
        max_backoff: Duration::ZERO,
    };

    /// The delay before retry number `retry` (1-based): uniformly random in
    /// `[0, min(base * 2^(retry-1), max_backoff)]` ("full jitter").
    fn delay(&self, retry: u32) -> Duration {
        let cap = self
            .base
            .saturating_mul(1u32 << (retry - 1).min(20))
            .min(self.max_backoff);
        let mut r = [0u8; 4];
        // Jitter needs no cryptographic strength; without OS randomness, wait the full cap.
        let frac = match getrandom::getrandom(&mut r) {
            Ok(()) => f64::from(u32::from_le_bytes(r)) / f64::from(u32::MAX),
            Err(_) => 1.0,
        };
        cap.mul_f64(frac)
    }
}

impl Default for ThrottleRetry {
    /// Up to 10 calls into the SDK, backoff caps from 50 ms doubling to 2 s.
    fn default() -> Self {
        Self {
            max_calls: 10,
            base: Duration::from_millis(50),
            max_backoff: Duration::from_secs(2),
        }
    }
}

/// A [`KeyProvider`] over `aws-sdk-kms`.
///
/// ```no_run
/// use aws_sdk_kms::config::retry::RetryConfig;
/// use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};
/// use bucket_key_cache::{AwsSdkProvider, BucketKeyCache, ThrottleRetry};
///
/// // Against the emulator; for AWS, build the config from `aws_config::load_from_env()`.
/// let config = aws_sdk_kms::Config::builder()
///     .behavior_version(BehaviorVersion::latest())
///     .endpoint_url("http://127.0.0.1:8080")
///     .region(Region::new("us-east-1"))
///     .credentials_provider(Credentials::new("test", "test", None, None, "static"))
///     .retry_config(RetryConfig::standard())
///     .build();
/// let provider = AwsSdkProvider::new(config).with_throttle_retry(ThrottleRetry::default());
/// let cache = BucketKeyCache::new(provider);
/// ```
#[derive(Debug, Clone)]
pub struct AwsSdkProvider {
    client: Client,
    counters: Arc<ProviderCounters>,
    retry: ThrottleRetry,
}

impl AwsSdkProvider {
    /// A provider whose client is built from `config` plus a counting interceptor, with the
    /// default [`ThrottleRetry`].
    pub fn new(config: aws_sdk_kms::Config) -> Self {
        let counters = Arc::new(ProviderCounters::default());
        let config = config
            .to_builder()
            .interceptor(Counting {
                counters: counters.clone(),
            })
            .build();
        Self {
            client: Client::from_conf(config),
            counters,
            retry: ThrottleRetry::default(),
        }
    }

    /// The same provider with another retry of throttled calls.
    pub fn with_throttle_retry(mut self, retry: ThrottleRetry) -> Self {
        self.retry = retry;
        self
    }

    /// The SDK client; requests sent through it are counted too.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Calls `op` until it succeeds, fails with something other than throttling, or
    /// `max_calls` calls were made, sleeping with backoff in between.
    async fn with_retries<T, E, F, Fut>(&self, mut op: F) -> Result<T, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, SdkError<E>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let mut call = 1;
        loop {
            let err = match op().await {
                Ok(v) => return Ok(v),
                Err(e) => provider_error(e),
            };
            if !err.is_throttling() || call >= self.retry.max_calls.max(1) {
                return Err(err);
            }
            tokio::time::sleep(self.retry.delay(call)).await;
            call += 1;
            self.counters.retry();
        }
    }
}

impl KeyProvider for AwsSdkProvider {
    fn generate_data_key<'a>(
        &'a self,
        req: DataKeyRequest<'a>,
    ) -> BoxFuture<'a, Result<DataKey, ProviderError>> {
        Box::pin(async move {
            let out = self
                .with_retries(|| {
                    self.client
                        .generate_data_key()
                        .key_id(req.key_id)
                        .set_encryption_context(Some(
                            req.encryption_context.clone().into_iter().collect(),
                        ))
                        .key_spec(DataKeySpec::Aes256)
                        .send()
                })
                .await?;
            let plaintext = out
                .plaintext
                .map(|b| Secret::new(b.into_inner()))
                .ok_or_else(|| ProviderError::Transport("GenerateDataKey: no Plaintext".into()))?;
            Ok(DataKey {
                key_arn: out.key_id.unwrap_or_default(),
                plaintext,
                ciphertext: out
                    .ciphertext_blob
                    .map(Blob::into_inner)
                    .ok_or_else(|| missing("GenerateDataKey", "CiphertextBlob"))?,
            })
        })
    }

    fn generate_data_key_without_plaintext<'a>(
        &'a self,
        req: DataKeyRequest<'a>,
    ) -> BoxFuture<'a, Result<WrappedDataKey, ProviderError>> {
        Box::pin(async move {
            let out = self
                .with_retries(|| {
                    self.client
                        .generate_data_key_without_plaintext()
                        .key_id(req.key_id)
                        .set_encryption_context(Some(
                            req.encryption_context.clone().into_iter().collect(),
                        ))
                        .key_spec(DataKeySpec::Aes256)
                        .send()
                })
                .await?;
            Ok(WrappedDataKey {
                key_arn: out.key_id.unwrap_or_default(),
                ciphertext: out
                    .ciphertext_blob
                    .map(Blob::into_inner)
                    .ok_or_else(|| missing("GenerateDataKeyWithoutPlaintext", "CiphertextBlob"))?,
            })
        })
    }

    fn decrypt<'a>(
        &'a self,
        req: DecryptRequest<'a>,
    ) -> BoxFuture<'a, Result<Decrypted, ProviderError>> {
        Box::pin(async move {
            let out = self
                .with_retries(|| {
                    self.client
                        .decrypt()
                        .key_id(req.key_id)
                        .ciphertext_blob(Blob::new(req.ciphertext))
                        .set_encryption_context(Some(
                            req.encryption_context.clone().into_iter().collect(),
                        ))
                        .send()
                })
                .await?;
            Ok(Decrypted {
                key_arn: out.key_id.unwrap_or_default(),
                plaintext: out
                    .plaintext
                    .map(|b| Secret::new(b.into_inner()))
                    .ok_or_else(|| missing("Decrypt", "Plaintext"))?,
            })
        })
    }

    fn stats(&self) -> ProviderStats {
        self.counters.snapshot()
    }
}

fn missing(op: &str, member: &str) -> ProviderError {
    ProviderError::Transport(format!("{op}: no {member} in the response"))
}

fn provider_error<E>(err: SdkError<E>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match err
        .as_service_error()
        .and_then(|e| e.code().map(|c| (c, e)))
    {
        Some((code, e)) => ProviderError::kms(code, e.message().unwrap_or_default()),
        None => ProviderError::Transport(DisplayErrorContext(&err).to_string()),
    }
}

/// Counts attempts (requests sent), retries (attempts after the first of an operation) and
/// `ThrottlingException` answers.
#[derive(Debug)]
struct Counting {
    counters: Arc<ProviderCounters>,
}

impl Intercept for Counting {
    fn name(&self) -> &'static str {
        "bucket-key-cache::Counting"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.counters.request();
        if cfg
            .load::<RequestAttempts>()
            .is_some_and(|a| a.attempts() > 1)
        {
            self.counters.retry();
        }
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(Err(err)) = context.output_or_error() else {
            return Ok(());
        };
        let Some(op) = err.as_operation_error() else {
            return Ok(());
        };
        let code = op
            .downcast_ref::<GenerateDataKeyError>()
            .and_then(|e| e.code())
            .or_else(|| {
                op.downcast_ref::<GenerateDataKeyWithoutPlaintextError>()
                    .and_then(|e| e.code())
            })
            .or_else(|| op.downcast_ref::<DecryptError>().and_then(|e| e.code()))
            .or_else(|| {
                op.downcast_ref::<aws_sdk_kms::operation::create_key::CreateKeyError>()
                    .and_then(|e| e.code())
            });
        if code == Some(crate::error::THROTTLING_EXCEPTION) {
            self.counters.throttle();
        }
        Ok(())
    }
}
