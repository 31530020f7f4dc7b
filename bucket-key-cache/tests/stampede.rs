//! No stampede: 1,000 concurrent callers on an empty cache, at expiry, and in the grace period
//! cause exactly one KMS call; the rest wait on it or keep using the still-valid key.

use std::sync::Arc;
use std::time::Duration;

use bucket_key_cache::mock::MOCK_KEY_ARN;
use bucket_key_cache::{
    BucketKeyCache, BucketScope, ManualClock, MockProvider, OpenPolicy, ProviderError,
};

const CALLERS: usize = 1000;

fn setup() -> (BucketKeyCache, Arc<MockProvider>, Arc<ManualClock>) {
    let kms = Arc::new(MockProvider::new().with_delay(Duration::from_millis(20)));
    let clock = Arc::new(ManualClock::new());
    let cache = BucketKeyCache::builder(kms.clone())
        .clock(clock.clone())
        .ttl(Duration::from_secs(300))
        .grace_period(Duration::from_secs(10))
        .build();
    (cache, kms, clock)
}

/// Starts `CALLERS` tasks that each seal one object; returns the ciphertexts of the bucket keys
/// they used.
async fn stampede(cache: &BucketKeyCache, scope: &BucketScope) -> Vec<Vec<u8>> {
    let barrier = Arc::new(tokio::sync::Barrier::new(CALLERS));
    let tasks: Vec<_> = (0..CALLERS)
        .map(|i| {
            let (cache, scope, barrier) = (cache.clone(), scope.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                let key = cache.encryption_key(&scope).await.expect("bucket key");
                key.seal(&format!("object-{i}"), b"data").expect("seal");
                key.ciphertext().to_vec()
            })
        })
        .collect();
    let mut used = Vec::new();
    for t in tasks {
        used.push(t.await.expect("task"));
    }
    used
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_callers_on_an_empty_cache_make_one_call() {
    let (cache, kms, _clock) = setup();
    let scope = BucketScope::new("bucket", "alias/k");
    let used = stampede(&cache, &scope).await;
    assert_eq!(kms.generate_calls(), 1);
    assert!(used.iter().all(|c| c == &used[0]));
    let s = cache.stats();
    assert_eq!(s.kms_calls, 1);
    assert_eq!(s.hits + s.misses, CALLERS as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_callers_at_expiry_make_one_call() {
    let (cache, kms, clock) = setup();
    let scope = BucketScope::new("bucket", "alias/k");
    let old = cache.encryption_key(&scope).await.unwrap();
    clock.advance(Duration::from_secs(300)); // expired: nobody may use it
    let used = stampede(&cache, &scope).await;
    assert_eq!(kms.generate_calls(), 2);
    assert!(used.iter().all(|c| c == &used[0] && c != old.ciphertext()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_callers_in_the_grace_period_make_one_call_and_nobody_waits() {
    let (cache, kms, clock) = setup();
    let scope = BucketScope::new("bucket", "alias/k");
    let old = cache.encryption_key(&scope).await.unwrap();
    clock.advance(Duration::from_secs(295)); // 5 s before expiry, inside the 10 s grace period
    let used = stampede(&cache, &scope).await;
    assert_eq!(kms.generate_calls(), 2, "exactly one refresh");
    let on_old = used
        .iter()
        .filter(|c| c.as_slice() == old.ciphertext())
        .count();
    assert!(on_old >= 1, "others kept using the still-valid key");
    let s = cache.stats();
    assert_eq!(s.misses, 1, "only the initial fetch waited for KMS: {s:?}");
    assert_eq!(s.refreshes, 1);
    // afterwards everyone gets the new key
    let now = cache.encryption_key(&scope).await.unwrap();
    assert_ne!(now.ciphertext(), old.ciphertext());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn waiters_share_a_failed_fetch_and_a_cancelled_one_is_taken_over() {
    let (cache, kms, _clock) = setup();
    let scope = BucketScope::new("bucket", "alias/k");
    kms.fail_next([ProviderError::kms("KMSInternalException", "boom")]);
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let (cache, scope) = (cache.clone(), scope.clone());
            tokio::spawn(async move { cache.encryption_key(&scope).await })
        })
        .collect();
    let mut failed = 0;
    for t in tasks {
        if t.await.unwrap().is_err() {
            failed += 1;
        }
    }
    assert!(failed >= 1);
    assert!(kms.generate_calls() <= 2, "{} calls", kms.generate_calls());

    // a fetch whose caller is cancelled does not strand the waiters
    let scope = BucketScope::new("other", "alias/k");
    let first = {
        let (cache, scope) = (cache.clone(), scope.clone());
        tokio::spawn(async move { cache.encryption_key(&scope).await })
    };
    tokio::time::sleep(Duration::from_millis(5)).await;
    let waiter = {
        let (cache, scope) = (cache.clone(), scope.clone());
        tokio::spawn(async move { cache.encryption_key(&scope).await })
    };
    tokio::time::sleep(Duration::from_millis(2)).await;
    first.abort();
    assert!(waiter.await.unwrap().is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_readers_of_a_cold_cache_make_one_decrypt() {
    let kms = Arc::new(MockProvider::new().with_delay(Duration::from_millis(20)));
    let writer = BucketKeyCache::new(kms.clone());
    let reader = BucketKeyCache::new(kms.clone());
    let scope = BucketScope::new("bucket", "alias/k");
    let sealed = Arc::new(writer.seal(&scope, "o", b"payload").await.unwrap());
    let expected = Arc::new(OpenPolicy::key(MOCK_KEY_ARN));
    let tasks: Vec<_> = (0..CALLERS)
        .map(|_| {
            let (reader, sealed, expected) = (reader.clone(), sealed.clone(), expected.clone());
            tokio::spawn(async move { reader.open(&expected, "bucket", "o", &sealed).await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), b"payload");
    }
    assert_eq!(kms.decrypt_calls(), 1);
}
