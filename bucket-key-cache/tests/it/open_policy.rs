//! Strict mode: a reader names the KMS keys it expects ([`OpenPolicy`]); an envelope whose bucket
//! key is under any other KMS key is refused before KMS is called, whatever the read-side cache
//! holds, and KMS must report decrypting with the key it was asked for.

use std::sync::Arc;

use bucket_key_cache::mock::MOCK_KEY_ARN;
use bucket_key_cache::provider::{
    BoxFuture, DataKey, DataKeyRequest, DecryptRequest, Decrypted, WrappedDataKey,
};
use bucket_key_cache::{
    BucketKeyCache, BucketScope, Error, KeyProvider, MockProvider, OpenPolicy, ProviderError,
};

/// The reader's KMS key.
const KEY_A: &str = "arn:aws:kms:us-east-1:111122223333:key/aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa";
/// A key the writer of a forged object controls (and has let the reader Decrypt with).
const KEY_B: &str = "arn:aws:kms:us-east-1:444455556666:key/bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb";

fn unexpected(arn: &str) -> Error {
    Error::UnexpectedKey {
        kms_key_arn: arn.to_owned(),
    }
}

#[tokio::test]
async fn an_object_under_another_kms_key_is_refused_before_any_kms_call() {
    let kms = Arc::new(MockProvider::new());
    let writer = BucketKeyCache::new(kms.clone());
    let forged = writer
        .seal(&BucketScope::new("photos", KEY_B), "cat.jpg", b"forged")
        .await
        .unwrap();
    let calls_before = kms.calls();

    let reader = BucketKeyCache::new(kms.clone());
    let expected = OpenPolicy::key(KEY_A);
    assert_eq!(
        reader.open(&expected, "photos", "cat.jpg", &forged).await,
        Err(unexpected(KEY_B))
    );
    assert_eq!(
        reader
            .open_in("role/other", &expected, "photos", "cat.jpg", &forged)
            .await,
        Err(unexpected(KEY_B))
    );
    assert_eq!(kms.decrypt_calls(), 0, "no Decrypt reached the provider");
    assert_eq!(kms.calls(), calls_before);
    let stats = reader.stats();
    assert_eq!((stats.kms_calls, stats.decrypt_keys), (0, 0));

    // The same reader opens what was sealed under the key it expects.
    let genuine = writer
        .seal(&BucketScope::new("photos", KEY_A), "cat.jpg", b"meow")
        .await
        .unwrap();
    assert_eq!(
        reader
            .open(&expected, "photos", "cat.jpg", &genuine)
            .await
            .unwrap(),
        b"meow"
    );
    assert_eq!(kms.decrypt_calls(), 1);
}

#[tokio::test]
async fn a_bucket_key_cached_by_a_permissive_read_is_not_served_to_a_strict_one() {
    let kms = Arc::new(MockProvider::new());
    let cache = BucketKeyCache::new(kms.clone());
    let sealed = cache
        .seal(&BucketScope::new("photos", KEY_B), "cat.jpg", b"x")
        .await
        .unwrap();
    // Discovery mode must be asked for by name, and then opens it.
    let any = OpenPolicy::AnyKey;
    assert_eq!(
        cache
            .open(&any, "photos", "cat.jpg", &sealed)
            .await
            .unwrap(),
        b"x"
    );
    assert_eq!(kms.decrypt_calls(), 1);
    assert_eq!(
        cache.stats().decrypt_keys,
        1,
        "B's bucket key is cached now"
    );
    assert_eq!(
        cache
            .open(&OpenPolicy::key(KEY_A), "photos", "cat.jpg", &sealed)
            .await,
        Err(unexpected(KEY_B))
    );
    assert_eq!(kms.decrypt_calls(), 1);
}

#[tokio::test]
async fn strict_mode_accepts_every_listed_key_and_nothing_else() {
    let kms = Arc::new(MockProvider::new());
    let cache = BucketKeyCache::new(kms.clone());
    let under_a = cache
        .seal(&BucketScope::new("b", KEY_A), "o", b"a")
        .await
        .unwrap();
    let under_b = cache
        .seal(&BucketScope::new("b", KEY_B), "o", b"b")
        .await
        .unwrap();
    let both = OpenPolicy::keys([KEY_A, KEY_B]);
    assert_eq!(cache.open(&both, "b", "o", &under_a).await.unwrap(), b"a");
    assert_eq!(cache.open(&both, "b", "o", &under_b).await.unwrap(), b"b");
    let none = OpenPolicy::keys(Vec::<String>::new());
    assert_eq!(
        cache.open(&none, "b", "o", &under_a).await,
        Err(unexpected(KEY_A))
    );
    // Aliases and key IDs never match: the envelope holds the key ARN KMS returned.
    let by_alias = cache
        .seal(&BucketScope::new("b", "alias/s3"), "o", b"c")
        .await
        .unwrap();
    assert_eq!(
        cache
            .open(&OpenPolicy::key("alias/s3"), "b", "o", &by_alias)
            .await,
        Err(unexpected(MOCK_KEY_ARN))
    );
    assert_eq!(kms.decrypt_calls(), 2);
}

/// A provider whose Decrypt claims another KMS key did the work.
struct Misreporting(MockProvider);

impl KeyProvider for Misreporting {
    fn generate_data_key<'a>(
        &'a self,
        req: DataKeyRequest<'a>,
    ) -> BoxFuture<'a, Result<DataKey, ProviderError>> {
        self.0.generate_data_key(req)
    }

    fn generate_data_key_without_plaintext<'a>(
        &'a self,
        req: DataKeyRequest<'a>,
    ) -> BoxFuture<'a, Result<WrappedDataKey, ProviderError>> {
        self.0.generate_data_key_without_plaintext(req)
    }

    fn decrypt<'a>(
        &'a self,
        req: DecryptRequest<'a>,
    ) -> BoxFuture<'a, Result<Decrypted, ProviderError>> {
        Box::pin(async move {
            let mut out = self.0.decrypt(req).await?;
            out.key_arn = KEY_B.to_owned();
            Ok(out)
        })
    }
}

#[tokio::test]
async fn kms_must_report_decrypting_with_the_key_it_was_asked_for() {
    let cache = BucketKeyCache::new(Misreporting(MockProvider::new()));
    let sealed = cache
        .seal(&BucketScope::new("b", KEY_A), "o", b"x")
        .await
        .unwrap();
    assert_eq!(
        cache.open(&OpenPolicy::key(KEY_A), "b", "o", &sealed).await,
        Err(unexpected(KEY_B))
    );
    assert_eq!(cache.stats().decrypt_keys, 0, "nothing cached");
}
