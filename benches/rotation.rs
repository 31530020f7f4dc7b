//! Rotation benchmarks, called directly on `Kms` without HTTP:
//!
//! - `decrypt/version_1_of_26` vs `decrypt/version_26_of_26`: Decrypt of a 1 KiB ciphertext
//!   made under a key's first material vs its newest, after 25 on-demand rotations (the issue's
//!   floor: the two within 10% of each other).
//! - `scheduler/100k_keys_due`: one scheduler sweep ([`Kms::run_scheduled`]) over 100,000 keys
//!   whose automatic rotation came due on a [`ManualClock`] (the floor: under 2 s).
//!   The keys are created outside the measured time; each sample gets a fresh engine.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, black_box, criterion_group, criterion_main};
use kms_api::wire::crypto::{DecryptRequest, EncryptRequest};
use kms_api::wire::keys::{CreateKeyRequest, KeyIdRequest};
use kms_api::wire::rotation::EnableKeyRotationRequest;
use kms_api::{Kms, ManualClock, Scope};

const ON_DEMAND_ROTATIONS: usize = 25;
const SCHEDULED_KEYS: usize = 100_000;
const PERIOD_DAYS: i64 = 90;
const DAY: i64 = 86_400;
const START: i64 = 1_800_000_000;

fn scope() -> Scope {
    Scope::new("111122223333", "us-east-1")
}

/// Encrypts 1 KiB under the key's current material; returns the blob and its KeyMaterialId.
fn encrypt(kms: &Kms, scope: &Scope, key_id: &str) -> (Option<Vec<u8>>, String) {
    let blob = kms
        .encrypt(
            scope,
            EncryptRequest {
                key_id: Some(key_id.into()),
                plaintext: Some(vec![0x5a; 1024].into()),
                ..Default::default()
            },
        )
        .expect("encrypt")
        .ciphertext_blob;
    let material = decrypt(kms, scope, &blob);
    (blob, material)
}

/// Decrypts `blob`; returns the KeyMaterialId that decrypted it.
fn decrypt(kms: &Kms, scope: &Scope, blob: &Option<Vec<u8>>) -> String {
    kms.decrypt(
        scope,
        DecryptRequest {
            ciphertext_blob: blob.clone(),
            ..Default::default()
        },
    )
    .expect("decrypt")
    .key_material_id
    .expect("symmetric keys report their material")
}

fn decrypt_old_vs_new_material(c: &mut Criterion) {
    let kms = Kms::new();
    let scope = scope();
    let key_id = kms
        .create_key(&scope, CreateKeyRequest::default())
        .expect("create key")
        .key_metadata
        .key_id;
    let (oldest, oldest_material) = encrypt(&kms, &scope, &key_id);
    for _ in 0..ON_DEMAND_ROTATIONS {
        kms.rotate_key_on_demand(&scope, KeyIdRequest::new(&key_id))
            .expect("rotate on demand");
    }
    let (newest, newest_material) = encrypt(&kms, &scope, &key_id);
    assert_ne!(oldest_material, newest_material);
    assert_eq!(decrypt(&kms, &scope, &oldest), oldest_material);

    let mut group = c.benchmark_group("decrypt");
    let versions = ON_DEMAND_ROTATIONS + 1;
    for (name, blob) in [
        (format!("version_1_of_{versions}"), &oldest),
        (format!("version_{versions}_of_{versions}"), &newest),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                kms.decrypt(
                    &scope,
                    DecryptRequest {
                        ciphertext_blob: blob.clone(),
                        ..Default::default()
                    },
                )
                .expect("decrypt")
            })
        });
    }
    group.finish();
}

/// A fresh engine on a manual clock with `SCHEDULED_KEYS` keys rotating every 90 days, and the
/// clock moved one day past their due date.
fn engine_with_due_keys() -> Kms {
    let clock = Arc::new(ManualClock::at_epoch_seconds(START));
    let kms = Kms::builder().clock(clock.clone()).build();
    let scope = scope();
    for _ in 0..SCHEDULED_KEYS {
        let key_id = kms
            .create_key(&scope, CreateKeyRequest::default())
            .expect("create key")
            .key_metadata
            .key_id;
        kms.enable_key_rotation(
            &scope,
            EnableKeyRotationRequest {
                key_id: Some(key_id),
                rotation_period_in_days: Some(PERIOD_DAYS),
            },
        )
        .expect("enable rotation");
    }
    clock.advance_seconds((PERIOD_DAYS + 1) * DAY);
    kms
}

fn scheduler_sweep(c: &mut Criterion) {
    let mut group = c.benchmark_group("scheduler");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function("100k_keys_due", |b| {
        b.iter_custom(|iters| {
            let mut measured = Duration::ZERO;
            for _ in 0..iters {
                let kms = engine_with_due_keys();
                let start = Instant::now();
                let work = black_box(kms.run_scheduled());
                measured += start.elapsed();
                assert_eq!(work.rotations, SCHEDULED_KEYS, "every key rotated once");
                assert_eq!(work.deletions, 0);
                drop(kms);
            }
            measured
        })
    });
    group.finish();
}

criterion_group!(benches, decrypt_old_vs_new_material, scheduler_sweep);
criterion_main!(benches);
