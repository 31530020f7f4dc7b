//! No stampede: 1,000 concurrent callers on an empty cache, at expiry, and in the grace period
//! cause exactly one KMS call; the rest wait on it or keep using the still-valid key.
//!
//! Deterministic: the cache's TTL clock is a [`ManualClock`], and the mock KMS answers after
//! `KMS_LATENCY` of tokio time, which is paused (`start_paused`) and only moves when a test calls
//! `tokio::time::advance` or every task is idle. Each test first lets all callers run until they
//! are parked, checks that exactly one KMS call is in flight while they all are, and only then
//! lets KMS answer.

use std::sync::Arc;
use std::time::Duration;

use bucket_key_cache::mock::MOCK_KEY_ARN;
use bucket_key_cache::{
    BucketKey, BucketKeyCache, BucketScope, Error, ManualClock, MockProvider, OpenPolicy,
    ProviderError,
};
use tokio::task::JoinHandle;

const CALLERS: usize = 1000;
/// How long the mock KMS takes to answer, in (paused) tokio time.
const KMS_LATENCY: Duration = Duration::from_millis(20);

fn setup() -> (BucketKeyCache, Arc<MockProvider>, Arc<ManualClock>) {
    let kms = Arc::new(MockProvider::new().with_delay(KMS_LATENCY));
    let clock = Arc::new(ManualClock::new());
    let cache = BucketKeyCache::builder(kms.clone())
        .clock(clock.clone())
        .ttl(Duration::from_secs(300))
        .grace_period(Duration::from_secs(10))
        .build();
    (cache, kms, clock)
}

/// Lets the spawned tasks run until `settled` holds. The test task only yields, so the runtime is
/// never idle and the paused clock cannot auto-advance: no KMS answer arrives meanwhile.
async fn run_until(what: &str, mut settled: impl FnMut() -> bool) {
    for _ in 0..10_000 {
        if settled() {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("never reached: {what}");
}

/// Spawns `n` tasks that each ask for `scope`'s bucket key and seal one object with it.
fn spawn_callers(
    n: usize,
    cache: &BucketKeyCache,
    scope: &BucketScope,
) -> Vec<JoinHandle<Result<BucketKey, Error>>> {
    (0..n)
        .map(|i| {
            let (cache, scope) = (cache.clone(), scope.clone());
            tokio::spawn(async move {
                let key = cache.encryption_key(&scope).await?;
                key.seal(&format!("object-{i}"), b"data")?;
                Ok(key)
            })
        })
        .collect()
}

/// The ciphertexts of the bucket keys the callers got.
async fn used(tasks: Vec<JoinHandle<Result<BucketKey, Error>>>) -> Vec<Vec<u8>> {
    let mut used = Vec::new();
    for t in tasks {
        used.push(
            t.await
                .expect("task")
                .expect("bucket key")
                .ciphertext()
                .to_vec(),
        );
    }
    used
}

fn finished<T>(tasks: &[JoinHandle<T>]) -> usize {
    tasks.iter().filter(|t| t.is_finished()).count()
}

#[tokio::test(start_paused = true)]
async fn a_thousand_callers_on_an_empty_cache_make_one_call() {
    let (cache, kms, _clock) = setup();
    let scope = BucketScope::new("bucket", "alias/k");
    let tasks = spawn_callers(CALLERS, &cache, &scope);
    run_until("every caller waits for KMS", || {
        cache.stats().misses == CALLERS as u64
    })
    .await;
    assert_eq!(
        kms.generate_calls(),
        1,
        "one call in flight for all of them"
    );
    assert_eq!(finished(&tasks), 0);

    tokio::time::advance(KMS_LATENCY).await;
    let used = used(tasks).await;
    assert!(used.iter().all(|c| c == &used[0]));
    assert_eq!(kms.generate_calls(), 1);
    let s = cache.stats();
    assert_eq!((s.kms_calls, s.hits, s.misses), (1, 0, CALLERS as u64));
}

#[tokio::test(start_paused = true)]
async fn a_thousand_callers_at_expiry_make_one_call() {
    let (cache, kms, clock) = setup();
    let scope = BucketScope::new("bucket", "alias/k");
    let old = cache.encryption_key(&scope).await.unwrap();
    clock.advance(Duration::from_secs(300)); // expired: nobody may use it
    let tasks = spawn_callers(CALLERS, &cache, &scope);
    run_until("every caller waits for the new key", || {
        cache.stats().misses == 1 + CALLERS as u64
    })
    .await;
    assert_eq!(
        kms.generate_calls(),
        2,
        "one refresh in flight for all of them"
    );
    assert_eq!(finished(&tasks), 0, "nobody got the expired key");

    tokio::time::advance(KMS_LATENCY).await;
    let used = used(tasks).await;
    assert!(used.iter().all(|c| c == &used[0] && c != old.ciphertext()));
    assert_eq!(kms.generate_calls(), 2);
    assert_eq!(cache.stats().refreshes, 1);
}

#[tokio::test(start_paused = true)]
async fn a_thousand_callers_in_the_grace_period_make_one_call_and_nobody_waits() {
    let (cache, kms, clock) = setup();
    let scope = BucketScope::new("bucket", "alias/k");
    let old = cache.encryption_key(&scope).await.unwrap();
    clock.advance(Duration::from_secs(295)); // 5 s before expiry, inside the 10 s grace period
    let tasks = spawn_callers(CALLERS, &cache, &scope);
    run_until("all but the refreshing caller are done", || {
        finished(&tasks) == CALLERS - 1
    })
    .await;
    assert_eq!(
        kms.generate_calls(),
        2,
        "exactly one refresh, still in flight"
    );

    tokio::time::advance(KMS_LATENCY).await;
    let used = used(tasks).await;
    let on_old = used
        .iter()
        .filter(|c| c.as_slice() == old.ciphertext())
        .count();
    assert_eq!(
        on_old,
        CALLERS - 1,
        "the others kept using the still-valid key"
    );
    let s = cache.stats();
    assert_eq!(s.misses, 1, "only the initial fetch waited for KMS: {s:?}");
    assert_eq!((s.refreshes, s.hits), (1, CALLERS as u64 - 1));
    // afterwards everyone gets the new key
    let now = cache.encryption_key(&scope).await.unwrap();
    assert_ne!(now.ciphertext(), old.ciphertext());
    assert_eq!(kms.generate_calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn waiters_share_a_failed_fetch_and_a_cancelled_one_is_taken_over() {
    let (cache, kms, _clock) = setup();
    let scope = BucketScope::new("bucket", "alias/k");
    kms.fail_next([ProviderError::kms("KMSInternalException", "boom")]);
    let tasks = spawn_callers(100, &cache, &scope);
    run_until("every caller waits for KMS", || cache.stats().misses == 100).await;
    tokio::time::advance(KMS_LATENCY).await;
    for t in tasks {
        let err = t.await.unwrap().unwrap_err();
        assert_eq!(
            err,
            Error::Provider(ProviderError::kms("KMSInternalException", "boom"))
        );
    }
    assert_eq!(
        kms.generate_calls(),
        1,
        "all 100 shared the one failed call"
    );

    // A fetch whose caller is cancelled does not strand the callers waiting on it.
    let scope = BucketScope::new("other", "alias/k");
    let first = spawn_callers(1, &cache, &scope).remove(0);
    run_until("the first caller's fetch is in flight", || {
        kms.generate_calls() == 2
    })
    .await;
    let waiter = spawn_callers(1, &cache, &scope).remove(0);
    run_until("the second caller waits on it", || {
        cache.stats().misses == 102
    })
    .await;
    first.abort();
    run_until("the waiter fetches in its place", || {
        kms.generate_calls() == 3
    })
    .await;
    assert!(first.await.unwrap_err().is_cancelled());
    tokio::time::advance(KMS_LATENCY).await;
    assert!(waiter.await.unwrap().is_ok());
    assert_eq!(kms.generate_calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_thousand_readers_of_a_cold_cache_make_one_decrypt() {
    let kms = Arc::new(MockProvider::new().with_delay(KMS_LATENCY));
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
    run_until("every reader waits for KMS", || {
        reader.stats().misses == CALLERS as u64
    })
    .await;
    assert_eq!(
        kms.decrypt_calls(),
        1,
        "one Decrypt in flight for all of them"
    );
    tokio::time::advance(KMS_LATENCY).await;
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), b"payload");
    }
    assert_eq!(kms.decrypt_calls(), 1);
}
