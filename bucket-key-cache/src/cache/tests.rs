//! Unit tests of the cache: TTL and object limits on a manual clock, grace-period refresh,
//! LRU bounds, wiping on eviction and drop, failures.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use zeroize::Zeroize;

use super::*;
use crate::clock::ManualClock;
use crate::error::ProviderError;
use crate::mock::{MOCK_KEY_ARN, MockProvider};

/// The bucket-key bytes in unit tests (see `cache::Material`): 32 bytes like the real ones, whose
/// `zeroize`, the wipe `Secret`'s `Drop` runs, logs which key it wiped. A wipe that never runs
/// (a key the cache keeps alive after eviction, a `Secret` that does not wipe on drop, material
/// held outside a `Secret`) leaves no entry.
pub(super) struct Probe([u8; KEY_LEN]);

/// Keys wiped so far, by their bytes before the wipe, with whether the wipe left only zeros.
/// Keys are random, so tests running at the same time do not see each other's entries.
static WIPED: Mutex<Vec<([u8; KEY_LEN], bool)>> = Mutex::new(Vec::new());

impl Zeroize for Probe {
    fn zeroize(&mut self) {
        let before = self.0;
        self.0.zeroize();
        let all_zero = self.0 == [0; KEY_LEN];
        WIPED.lock().unwrap().push((before, all_zero));
    }
}

impl From<[u8; KEY_LEN]> for Probe {
    fn from(bytes: [u8; KEY_LEN]) -> Self {
        Self(bytes)
    }
}

impl Borrow<[u8; KEY_LEN]> for Probe {
    fn borrow(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl BorrowMut<[u8; KEY_LEN]> for Probe {
    fn borrow_mut(&mut self) -> &mut [u8; KEY_LEN] {
        &mut self.0
    }
}

/// How many times a bucket key with these bytes has been wiped to zeros.
fn wipes(key: &[u8; KEY_LEN]) -> usize {
    let wiped = WIPED.lock().unwrap();
    assert!(
        wiped.iter().all(|(_, all_zero)| *all_zero),
        "a wipe left bytes behind"
    );
    wiped.iter().filter(|(k, _)| k == key).count()
}

/// The KMS key of every mock bucket key made for a key ID or alias, as readers expect it.
fn mock_key() -> OpenPolicy {
    OpenPolicy::key(MOCK_KEY_ARN)
}

fn setup(
    configure: impl FnOnce(Builder) -> Builder,
) -> (BucketKeyCache, Arc<MockProvider>, Arc<ManualClock>) {
    let kms = Arc::new(MockProvider::new());
    let clock = Arc::new(ManualClock::new());
    let cache = configure(BucketKeyCache::builder(kms.clone()).clock(clock.clone())).build();
    (cache, kms, clock)
}

#[tokio::test]
async fn one_bucket_key_serves_many_objects_within_the_ttl() {
    let (cache, kms, clock) = setup(|b| {
        b.ttl(Duration::from_secs(60))
            .grace_period(Duration::from_secs(5))
    });
    let scope = BucketScope::new("b", "alias/k");
    let first = cache.encryption_key(&scope).await.unwrap();
    for _ in 0..100 {
        clock.advance(Duration::from_millis(500)); // 50 s in total: before the grace period
        let k = cache.encryption_key(&scope).await.unwrap();
        assert_eq!(k.ciphertext(), first.ciphertext());
    }
    assert_eq!(kms.generate_calls(), 1);
    assert_eq!(first.uses(), 0, "not counted without a limit");
    let s = cache.stats();
    assert_eq!((s.hits, s.misses, s.kms_calls), (100, 1, 1));
}

#[tokio::test]
async fn an_expired_key_is_replaced() {
    let (cache, kms, clock) = setup(|b| b.ttl(Duration::from_secs(60)));
    let scope = BucketScope::new("b", "alias/k");
    let first = cache.encryption_key(&scope).await.unwrap();
    clock.advance(Duration::from_secs(60));
    let second = cache.encryption_key(&scope).await.unwrap();
    assert_ne!(first.ciphertext(), second.ciphertext());
    assert_eq!(kms.generate_calls(), 2);
    assert_eq!(cache.stats().refreshes, 1);
    // objects sealed under the old key still open: the envelope carries its ciphertext
    let sealed = first.seal("o", b"old").unwrap();
    assert_eq!(
        cache.open(&mock_key(), "b", "o", &sealed).await.unwrap(),
        b"old"
    );
}

#[tokio::test]
async fn in_the_grace_period_one_caller_refreshes() {
    let (cache, kms, clock) = setup(|b| {
        b.ttl(Duration::from_secs(60))
            .grace_period(Duration::from_secs(10))
    });
    let scope = BucketScope::new("b", "alias/k");
    let first = cache.encryption_key(&scope).await.unwrap();
    clock.advance(Duration::from_secs(51)); // inside the grace period, still valid
    let refreshed = cache.encryption_key(&scope).await.unwrap();
    assert_ne!(
        refreshed.ciphertext(),
        first.ciphertext(),
        "this caller refreshed"
    );
    let again = cache.encryption_key(&scope).await.unwrap();
    assert_eq!(again.ciphertext(), refreshed.ciphertext());
    assert_eq!(kms.generate_calls(), 2);
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_valid_key_and_backs_off() {
    let (cache, kms, clock) = setup(|b| {
        b.ttl(Duration::from_secs(60))
            .grace_period(Duration::from_secs(10))
            .grace_interval(Duration::from_secs(1))
    });
    let scope = BucketScope::new("b", "alias/k");
    let first = cache.encryption_key(&scope).await.unwrap();
    clock.advance(Duration::from_secs(55));
    kms.fail_next([ProviderError::kms("ThrottlingException", "slow down")]);
    let k = cache.encryption_key(&scope).await.unwrap();
    assert_eq!(
        k.ciphertext(),
        first.ciphertext(),
        "fell back to the valid key"
    );
    // within the grace interval nobody retries
    for _ in 0..10 {
        assert_eq!(
            cache.encryption_key(&scope).await.unwrap().ciphertext(),
            first.ciphertext()
        );
    }
    assert_eq!(kms.generate_calls(), 2);
    clock.advance(Duration::from_secs(1));
    let k = cache.encryption_key(&scope).await.unwrap();
    assert_ne!(k.ciphertext(), first.ciphertext());
    assert_eq!(kms.generate_calls(), 3);
}

/// `Instant + Duration` panics on overflow; every duration setting must saturate instead.
#[tokio::test]
async fn durations_too_long_for_instant_saturate_instead_of_panicking() {
    const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
    let scope = BucketScope::new("b", "alias/k");

    // The system clock, write and read side.
    let kms = Arc::new(MockProvider::new());
    let cache = BucketKeyCache::builder(kms.clone())
        .ttl(Duration::MAX)
        .grace_period(Duration::MAX)
        .grace_interval(Duration::MAX)
        .build();
    let key = cache.encryption_key(&scope).await.unwrap();
    assert!(key.expires_at() > Instant::now() + CENTURY);
    let sealed = cache.seal(&scope, "o", b"x").await.unwrap();
    assert_eq!(
        cache.open(&mock_key(), "b", "o", &sealed).await.unwrap(),
        b"x"
    );
    assert_eq!(kms.generate_calls(), 1);

    // A century later the key is still in use.
    let (cache, kms, clock) = setup(|b| b.ttl(Duration::MAX).grace_period(Duration::MAX));
    let first = cache.encryption_key(&scope).await.unwrap();
    clock.advance(CENTURY);
    let later = cache.encryption_key(&scope).await.unwrap();
    assert_eq!(later.ciphertext(), first.ciphertext());
    assert_eq!(kms.generate_calls(), 1);

    // A failed fetch, and a failed refresh in the grace period, add the grace interval.
    let (cache, kms, clock) = setup(|b| {
        b.ttl(Duration::from_secs(60))
            .grace_period(Duration::from_secs(10))
            .grace_interval(Duration::MAX)
    });
    kms.fail_next([ProviderError::kms("KMSInternalException", "boom")]);
    assert!(cache.encryption_key(&scope).await.is_err());
    let first = cache.encryption_key(&scope).await.unwrap();
    clock.advance(Duration::from_secs(55));
    kms.fail_next([ProviderError::kms("KMSInternalException", "boom")]);
    let k = cache.encryption_key(&scope).await.unwrap();
    assert_eq!(
        k.ciphertext(),
        first.ciphertext(),
        "fell back to the valid key"
    );
    let k = cache.encryption_key(&scope).await.unwrap();
    assert_eq!(k.ciphertext(), first.ciphertext(), "no retry before expiry");
    assert_eq!(kms.generate_calls(), 3);
    clock.advance(Duration::from_secs(5));
    let k = cache.encryption_key(&scope).await.unwrap();
    assert_ne!(k.ciphertext(), first.ciphertext(), "expired: fetched anew");
    assert_eq!(kms.generate_calls(), 4);
}

#[tokio::test]
async fn a_failed_fetch_with_no_key_is_an_error_and_the_next_call_retries() {
    let (cache, kms, _clock) = setup(|b| b);
    let scope = BucketScope::new("b", "alias/k");
    kms.fail_next([ProviderError::kms("DisabledException", "disabled")]);
    let err = cache.encryption_key(&scope).await.unwrap_err();
    assert_eq!(
        err,
        Error::Provider(ProviderError::kms("DisabledException", "disabled"))
    );
    assert_eq!(cache.stats().encrypt_keys, 0);
    cache.encryption_key(&scope).await.unwrap();
    assert_eq!(kms.generate_calls(), 2);
}

#[tokio::test]
async fn max_objects_per_key_forces_a_new_key() {
    let (cache, kms, _clock) = setup(|b| b.max_objects_per_key(10));
    let scope = BucketScope::new("b", "alias/k");
    let mut blobs = Vec::new();
    for i in 0..35 {
        let k = cache.encryption_key(&scope).await.unwrap();
        blobs.push(k.ciphertext().to_vec());
        assert!(k.uses() <= 10, "object {i}: {} uses", k.uses());
    }
    assert_eq!(kms.generate_calls(), 4);
    for chunk in blobs.chunks(10) {
        assert!(chunk.iter().all(|b| b == &chunk[0]));
    }
    assert_ne!(blobs[9], blobs[10]);
}

#[tokio::test]
async fn scopes_are_independent_per_bucket_key_and_partition() {
    let (cache, kms, _clock) = setup(|b| b);
    let a = BucketScope::new("a", "alias/k");
    let keys = [
        cache.encryption_key(&a).await.unwrap(),
        cache
            .encryption_key(&BucketScope::new("b", "alias/k"))
            .await
            .unwrap(),
        cache
            .encryption_key(&BucketScope::new("a", "alias/other"))
            .await
            .unwrap(),
        cache
            .encryption_key(&a.clone().with_partition("role/x"))
            .await
            .unwrap(),
        cache
            .encryption_key(&BucketScope::new("a", "alias/k"))
            .await
            .unwrap(),
    ];
    assert_eq!(kms.generate_calls(), 4);
    assert_eq!(keys[0].ciphertext(), keys[4].ciphertext());
}

#[tokio::test]
async fn lru_keeps_at_most_capacity_and_evicts_the_least_recently_used() {
    let (cache, kms, _clock) = setup(|b| b.capacity(3));
    let scopes: Vec<_> = (0..4)
        .map(|i| BucketScope::new(format!("b{i}"), "k"))
        .collect();
    for s in &scopes[..3] {
        cache.encryption_key(s).await.unwrap();
    }
    cache.encryption_key(&scopes[0]).await.unwrap(); // b0 most recent; b1 least
    cache.encryption_key(&scopes[3]).await.unwrap(); // evicts b1
    let s = cache.stats();
    assert_eq!((s.encrypt_keys, s.evictions), (3, 1));
    assert_eq!(kms.generate_calls(), 4);
    cache.encryption_key(&scopes[0]).await.unwrap();
    cache.encryption_key(&scopes[2]).await.unwrap();
    assert_eq!(kms.generate_calls(), 4, "b0 and b2 still cached");
    cache.encryption_key(&scopes[1]).await.unwrap();
    assert_eq!(kms.generate_calls(), 5, "b1 was evicted");
    assert_eq!(cache.stats().encrypt_keys, 3);
}

/// Evicting, purging and dropping bucket keys reaches the wipe of their bytes, and nothing
/// before that does.
#[tokio::test]
async fn evicting_purging_and_dropping_bucket_keys_wipes_them() {
    let (cache, _kms, clock) = setup(|b| b.capacity(1).ttl(Duration::from_secs(10)));
    let key_bytes = |k: BucketKey| *k.material();

    let a = key_bytes(
        cache
            .encryption_key(&BucketScope::new("a", "k"))
            .await
            .unwrap(),
    );
    assert_eq!(wipes(&a), 0, "cached, so not wiped");
    // Capacity 1: the key for "b" evicts the one for "a".
    let b = key_bytes(
        cache
            .encryption_key(&BucketScope::new("b", "k"))
            .await
            .unwrap(),
    );
    assert_eq!(cache.stats().evictions, 1);
    assert_eq!(wipes(&a), 1, "evicted, so wiped");
    assert_eq!(wipes(&b), 0);
    // Expired and purged.
    clock.advance(Duration::from_secs(10));
    assert_eq!(cache.purge_expired(), 1);
    assert_eq!(wipes(&b), 1, "purged, so wiped");

    // A write-side key and the read-side copy decrypted from its ciphertext, both cached until
    // the cache is dropped.
    let scope = BucketScope::new("c", "k");
    let key = cache.encryption_key(&scope).await.unwrap();
    let sealed = key.seal("o", b"x").unwrap();
    let c = key_bytes(key);
    assert_eq!(
        cache.open(&mock_key(), "c", "o", &sealed).await.unwrap(),
        b"x"
    );
    assert_eq!(cache.stats().decrypt_keys, 1);
    assert_eq!(wipes(&c), 0);
    drop(cache);
    assert_eq!(wipes(&c), 2, "both copies wiped when the cache is dropped");
}

#[tokio::test]
async fn reading_costs_one_decrypt_per_bucket_key() {
    let (writer, kms, _clock) = setup(|b| b);
    let scope = BucketScope::new("b", "alias/k");
    let mut sealed = Vec::new();
    for i in 0..500 {
        sealed.push(
            writer
                .seal(&scope, &format!("o{i}"), &[i as u8; 10])
                .await
                .unwrap(),
        );
    }
    let reader = BucketKeyCache::new(kms.clone());
    for (i, s) in sealed.iter().enumerate() {
        assert_eq!(
            reader
                .open(&mock_key(), "b", &format!("o{i}"), s)
                .await
                .unwrap(),
            [i as u8; 10]
        );
    }
    assert_eq!((kms.generate_calls(), kms.decrypt_calls()), (1, 1));
    // another partition is another requester: its own Decrypt
    reader
        .open_in("role/other", &mock_key(), "b", "o0", &sealed[0])
        .await
        .unwrap();
    assert_eq!(kms.decrypt_calls(), 2);
    // the bucket is bound through the encryption context and the derivation
    let err = reader
        .open(&mock_key(), "other-bucket", "o0", &sealed[0])
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "KMS call failed: InvalidCiphertextException: "
    );
    assert_eq!(
        reader.open(&mock_key(), "b", "o1", &sealed[0]).await,
        Err(Error::Authentication)
    );
}

#[tokio::test]
async fn without_plaintext_generation_uses_two_calls() {
    let (cache, kms, _clock) = setup(|b| b.generation(KeyGeneration::WithoutPlaintext));
    let scope = BucketScope::new("b", "alias/k");
    let sealed = cache.seal(&scope, "o", b"x").await.unwrap();
    assert_eq!(
        (kms.generate_without_plaintext_calls(), kms.decrypt_calls()),
        (1, 1)
    );
    assert_eq!(
        cache.open(&mock_key(), "b", "o", &sealed).await.unwrap(),
        b"x"
    );
    assert_eq!(cache.stats().kms_calls, 3);
}

#[tokio::test]
async fn bucket_key_open_checks_the_bucket_key() {
    let (cache, _kms, _clock) = setup(|b| b);
    let k1 = cache
        .encryption_key(&BucketScope::new("b", "k1"))
        .await
        .unwrap();
    let k2 = cache
        .encryption_key(&BucketScope::new("b", "k2"))
        .await
        .unwrap();
    let sealed = k1.seal("o", b"x").unwrap();
    assert_eq!(k1.open("o", &sealed).unwrap(), b"x");
    assert_eq!(k2.open("o", &sealed), Err(Error::WrongBucketKey));
    assert!(!format!("{k1:?}").contains(&format!("{:?}", &k1.material()[..4])));
}

#[test]
fn invalid_data_key_lengths_are_rejected() {
    assert_eq!(
        material(&[0u8; 16]).unwrap_err(),
        Error::InvalidDataKey { len: 16 }
    );
}
