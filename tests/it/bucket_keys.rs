//! Bucket keys against the started emulator under a symmetric quota of 100 requests/s: the
//! `bulk_upload` example's workload with bucket keys is never throttled and costs three KMS
//! calls (CreateKey, one GenerateDataKey, one Decrypt); without them the same workload is
//! throttled, and every object still completes and verifies. A reader in strict mode refuses an
//! object whose bucket key is under another KMS key without sending KMS a request.

#[allow(dead_code, unreachable_pub)]
#[path = "../../examples/bulk_upload.rs"]
mod bulk_upload;

use std::sync::Arc;

use bucket_key_cache::{BucketKeyCache, BucketScope, Error, KeyProvider, OpenPolicy};
use bulk_upload::Args;
use clap::Parser;
use kms_emulator::throttle::QuotaTable;
use kms_emulator::{Config, RunningServer};

const OBJECTS: usize = 300;

/// 100/s: the 601 calls of the workload without bucket keys need at least five seconds at this
/// rate, while the workload issues them several times faster even on a loaded machine, so it is
/// throttled for certain (at 200/s a slow run could stay just under the rate).
async fn server_with_symmetric_quota_of_100() -> RunningServer {
    let mut quotas = QuotaTable::default();
    quotas.apply_flag("symmetric=100").unwrap();
    let config = Config {
        throttle: true,
        quotas,
        ..Config::default()
    };
    kms_emulator::start(config, kms_api::Kms::new(), "127.0.0.1:0")
        .await
        .unwrap()
}

fn args(server: &RunningServer, bucket_key: &str) -> Args {
    Args::parse_from([
        "bulk_upload",
        "--endpoint",
        &server.url(),
        "--objects",
        &OBJECTS.to_string(),
        "--concurrency",
        "16",
        "--object-size",
        "256",
        "--bucket-key",
        bucket_key,
        "--no-progress",
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_bucket_keys_a_bulk_upload_is_never_throttled() {
    let server = server_with_symmetric_quota_of_100().await;
    let summary = bulk_upload::run(&args(&server, "on")).await.unwrap();
    assert_eq!(summary.objects, OBJECTS);
    assert_eq!(summary.verified, OBJECTS);
    assert_eq!(summary.throttled, 0, "{summary}");
    assert_eq!(summary.retries, 0, "{summary}");
    assert_eq!(
        summary.kms_calls, 3,
        "CreateKey + GenerateDataKey + Decrypt: {summary}"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_bucket_keys_the_same_workload_is_throttled_but_completes() {
    let server = server_with_symmetric_quota_of_100().await;
    let summary = bulk_upload::run(&args(&server, "off")).await.unwrap();
    assert_eq!(summary.objects, OBJECTS);
    assert_eq!(
        summary.verified, OBJECTS,
        "every object completes: {summary}"
    );
    assert!(summary.throttled > 0, "{summary}");
    assert!(summary.retries >= summary.throttled, "{summary}");
    assert_eq!(
        summary.kms_calls,
        1 + 2 * OBJECTS as u64 + summary.retries,
        "one GenerateDataKey and one Decrypt per object, plus retries: {summary}"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_refuses_an_object_under_another_kms_key_before_calling_kms() {
    let server = kms_emulator::start(Config::default(), kms_api::Kms::new(), "127.0.0.1:0")
        .await
        .unwrap();
    let provider = Arc::new(bulk_upload::provider(&args(&server, "on")));
    let mut keys = Vec::new();
    for _ in 0..2 {
        let created = provider.client().create_key().send().await.unwrap();
        keys.push(created.key_metadata.unwrap().arn.unwrap());
    }
    let (expected_key, other_key) = (&keys[0], &keys[1]);
    let writer = BucketKeyCache::new(provider.clone());
    let forged = writer
        .seal(&BucketScope::new("photos", other_key), "cat.jpg", b"forged")
        .await
        .unwrap();

    let reader = BucketKeyCache::new(provider.clone());
    let sent = provider.stats().requests;
    let err = reader
        .open(&OpenPolicy::key(expected_key), "photos", "cat.jpg", &forged)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        Error::UnexpectedKey {
            kms_key_arn: other_key.clone()
        }
    );
    assert_eq!(provider.stats().requests, sent, "no request reached KMS");
    // What strict mode prevents: in discovery mode the forged object opens.
    let opened = reader
        .open(&OpenPolicy::AnyKey, "photos", "cat.jpg", &forged)
        .await
        .unwrap();
    assert_eq!(opened, b"forged");
    server.shutdown().await;
}

#[test]
fn the_summary_line_has_the_documented_shape() {
    let s = bulk_upload::Summary {
        objects: 5,
        verified: 5,
        kms_calls: 3,
        throttled: 0,
        retries: 0,
        elapsed_ms: 12,
    };
    assert_eq!(
        s.to_string(),
        "objects=5 verified=5 kms_calls=3 throttled=0 retries=0 elapsed_ms=12"
    );
}
