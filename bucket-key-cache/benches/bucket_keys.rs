//! Bucket-key benchmarks, with the floors: per-object key derivation ≤ 1 µs; a cache hit
//! ≤ 200 ns with 2 threads contending on one bucket key; seal/open of 1 MiB ≥ 1 GB/s per core;
//! and the KMS calls saved for 100,000 objects in one bucket (≥ 99.9% fewer), computed with a
//! counting mock KMS and printed.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bucket_key_cache::derive::object_key;
use bucket_key_cache::mock::MOCK_KEY_ARN;
use bucket_key_cache::{BucketKeyCache, BucketScope, MockProvider, OpenPolicy};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn derivation(c: &mut Criterion) {
    let key = [7u8; 32];
    let salt = [9u8; 16];
    c.bench_function("derive/object_key", |b| {
        b.iter(|| {
            object_key(
                black_box(&key),
                black_box("bulk-upload-demo"),
                black_box("uploads/42/object-00000042.bin"),
                black_box(&salt),
            )
            .expect("names shorter than 4 GiB")
        })
    });
}

fn cache_hit(c: &mut Criterion) {
    let cache = BucketKeyCache::new(MockProvider::new());
    let scope = BucketScope::new("bulk-upload-demo", "alias/s3");
    runtime()
        .block_on(cache.encryption_key(&scope))
        .expect("warm");
    c.bench_function("cache_hit/1_thread", |b| {
        let rt = runtime();
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(cache.encryption_key(black_box(&scope)).await.expect("hit"));
                }
                start.elapsed()
            })
        })
    });
    let other = BucketScope::new("another-bucket", "alias/s3");
    runtime()
        .block_on(cache.encryption_key(&other))
        .expect("warm");
    for (name, scopes) in [
        (
            "cache_hit/2_threads_same_key",
            [scope.clone(), scope.clone()],
        ),
        ("cache_hit/2_threads_two_keys", [scope.clone(), other]),
    ] {
        c.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let barrier = Arc::new(std::sync::Barrier::new(2));
                let threads: Vec<_> = scopes
                    .iter()
                    .map(|scope| {
                        let (cache, scope, barrier) =
                            (cache.clone(), scope.clone(), barrier.clone());
                        std::thread::spawn(move || {
                            let rt = runtime();
                            barrier.wait();
                            let start = Instant::now();
                            rt.block_on(async {
                                for _ in 0..iters {
                                    black_box(cache.encryption_key(&scope).await.expect("hit"));
                                }
                            });
                            start.elapsed()
                        })
                    })
                    .collect();
                threads
                    .into_iter()
                    .map(|t| t.join().expect("thread"))
                    .max()
                    .unwrap_or_default()
            })
        });
    }
}

fn seal_open(c: &mut Criterion) {
    let cache = BucketKeyCache::new(MockProvider::new());
    let scope = BucketScope::new("bulk-upload-demo", "alias/s3");
    let key = runtime()
        .block_on(cache.encryption_key(&scope))
        .expect("key");
    let object = vec![0x5au8; 1 << 20];
    let sealed = key.seal("big.bin", &object).expect("seal");
    let mut group = c.benchmark_group("envelope_1MiB");
    group.throughput(Throughput::Bytes(object.len() as u64));
    group.bench_function("seal", |b| {
        b.iter(|| key.seal("big.bin", black_box(&object)).expect("seal"))
    });
    group.bench_function("open", |b| {
        b.iter(|| key.open("big.bin", black_box(&sealed)).expect("open"))
    });
    group.finish();
}

/// Writes and reads 100,000 objects in one bucket through the cache and counts KMS calls; the
/// baseline without bucket keys is one GenerateDataKey per write and one Decrypt per read.
fn savings(c: &mut Criterion) {
    const OBJECTS: usize = 100_000;
    let rt = runtime();
    let run = || {
        let kms = Arc::new(MockProvider::new());
        let writer = BucketKeyCache::new(kms.clone());
        let reader = BucketKeyCache::new(kms.clone());
        let scope = BucketScope::new("bulk-upload-demo", "alias/s3");
        let expected = OpenPolicy::key(MOCK_KEY_ARN);
        rt.block_on(async {
            for i in 0..OBJECTS {
                let name = format!("uploads/object-{i}");
                let sealed = writer
                    .seal(&scope, &name, b"0123456789abcdef")
                    .await
                    .expect("seal");
                reader
                    .open(&expected, "bulk-upload-demo", &name, &sealed)
                    .await
                    .expect("open");
            }
        });
        kms.calls()
    };
    let calls = run();
    let baseline = 2 * OBJECTS as u64;
    let saved = 100.0 * (1.0 - calls as f64 / baseline as f64);
    println!(
        "savings/100k_objects: {calls} KMS calls with bucket keys vs {baseline} without: {saved:.4}% fewer"
    );
    assert!(saved >= 99.9, "only {saved}% fewer KMS calls");
    let mut group = c.benchmark_group("savings");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("write_and_read_100k_objects", |b| b.iter(run));
    group.finish();
}

criterion_group!(benches, derivation, cache_hit, seal_open, savings);
criterion_main!(benches);
