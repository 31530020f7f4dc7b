//! [`InProcessProvider`]: the provider over the `kms-api` engine, without HTTP (feature
//! `in-process`). The engine does not throttle, so nothing is ever retried.

use std::sync::Arc;

use crate::error::ProviderError;
use crate::provider::{
    BoxFuture, DataKey, DataKeyRequest, DecryptRequest, Decrypted, KeyProvider, ProviderCounters,
    ProviderStats, WrappedDataKey,
};
use crate::secret::Secret;
use kms_api::wire::crypto::{DecryptRequest as KmsDecrypt, GenerateDataKeyRequest};
use kms_api::{Kms, KmsError, Scope};

/// A [`KeyProvider`] calling a [`Kms`] engine directly, acting in one account and Region.
///
/// ```
/// use bucket_key_cache::{BucketKeyCache, BucketScope, InProcessProvider, OpenPolicy};
/// use kms_api::{Kms, Scope};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let kms = Kms::new();
/// let scope = Scope::new("111122223333", "us-east-1");
/// let key = kms.create_key(&scope, Default::default()).unwrap().key_metadata.arn;
/// let cache = BucketKeyCache::new(InProcessProvider::new(kms, scope));
/// let bucket = BucketScope::new("photos", key.as_str());
/// let sealed = cache.seal(&bucket, "cat.jpg", b"meow").await.unwrap();
/// let expected = OpenPolicy::key(key.as_str());
/// assert_eq!(cache.open(&expected, "photos", "cat.jpg", &sealed).await.unwrap(), b"meow");
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct InProcessProvider {
    kms: Kms,
    scope: Scope,
    counters: Arc<ProviderCounters>,
}

impl InProcessProvider {
    /// A provider acting in `scope` (account and Region) of `kms`.
    pub fn new(kms: Kms, scope: Scope) -> Self {
        Self {
            kms,
            scope,
            counters: Arc::new(ProviderCounters::default()),
        }
    }

    fn data_key_request(req: &DataKeyRequest<'_>) -> GenerateDataKeyRequest {
        GenerateDataKeyRequest {
            key_id: Some(req.key_id.to_owned()),
            encryption_context: Some(req.encryption_context.clone()),
            key_spec: Some("AES_256".into()),
            ..Default::default()
        }
    }
}

fn provider_error(e: KmsError) -> ProviderError {
    ProviderError::kms(e.aws_type(), e.to_string())
}

impl KeyProvider for InProcessProvider {
    fn generate_data_key<'a>(
        &'a self,
        req: DataKeyRequest<'a>,
    ) -> BoxFuture<'a, Result<DataKey, ProviderError>> {
        Box::pin(async move {
            self.counters.request();
            let out = self
                .kms
                .generate_data_key(&self.scope, Self::data_key_request(&req))
                .map_err(provider_error)?;
            Ok(DataKey {
                key_arn: out.key_id,
                plaintext: out.plaintext.map_or_else(
                    || Secret::new(Vec::new()),
                    |p| Secret::from_zeroizing(p.into_zeroizing()),
                ),
                ciphertext: out.ciphertext_blob.unwrap_or_default(),
            })
        })
    }

    fn generate_data_key_without_plaintext<'a>(
        &'a self,
        req: DataKeyRequest<'a>,
    ) -> BoxFuture<'a, Result<WrappedDataKey, ProviderError>> {
        Box::pin(async move {
            self.counters.request();
            let out = self
                .kms
                .generate_data_key_without_plaintext(&self.scope, Self::data_key_request(&req))
                .map_err(provider_error)?;
            Ok(WrappedDataKey {
                key_arn: out.key_id,
                ciphertext: out.ciphertext_blob.unwrap_or_default(),
            })
        })
    }

    fn decrypt<'a>(
        &'a self,
        req: DecryptRequest<'a>,
    ) -> BoxFuture<'a, Result<Decrypted, ProviderError>> {
        Box::pin(async move {
            self.counters.request();
            let out = self
                .kms
                .decrypt(
                    &self.scope,
                    KmsDecrypt {
                        key_id: Some(req.key_id.to_owned()),
                        ciphertext_blob: Some(req.ciphertext.to_vec()),
                        encryption_context: Some(req.encryption_context.clone()),
                        ..Default::default()
                    },
                )
                .map_err(provider_error)?;
            Ok(Decrypted {
                key_arn: out.key_id,
                plaintext: out.plaintext.map_or_else(
                    || Secret::new(Vec::new()),
                    |p| Secret::from_zeroizing(p.into_zeroizing()),
                ),
            })
        })
    }

    fn stats(&self) -> ProviderStats {
        self.counters.snapshot()
    }
}
