//! In-process engine benchmarks: GenerateDataKey, and Encrypt / Decrypt by plaintext size
//! (the issue's floor: 1 KiB each under 2 µs median), called directly on `Kms` without HTTP.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use kms_api::wire::crypto::{DecryptRequest, EncryptRequest, GenerateDataKeyRequest};
use kms_api::wire::keys::CreateKeyRequest;
use kms_api::{Kms, Scope};

fn setup() -> (Kms, Scope, String) {
    let kms = Kms::new();
    let scope = Scope::new("111122223333", "us-east-1");
    let key = kms
        .create_key(&scope, CreateKeyRequest::default())
        .expect("create key")
        .key_metadata;
    (kms, scope, key.key_id)
}

fn generate_data_key(c: &mut Criterion) {
    let (kms, scope, key_id) = setup();
    c.bench_function("generate_data_key/AES_256", |b| {
        b.iter(|| {
            kms.generate_data_key(
                &scope,
                GenerateDataKeyRequest {
                    key_id: Some(key_id.clone()),
                    key_spec: Some("AES_256".into()),
                    ..Default::default()
                },
            )
            .expect("generate data key")
        })
    });
}

fn encrypt_decrypt(c: &mut Criterion) {
    let (kms, scope, key_id) = setup();
    let mut group = c.benchmark_group("symmetric");
    for size in [32usize, 1024, 4096] {
        let plaintext = vec![0x5a; size];
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("encrypt", size), &plaintext, |b, p| {
            b.iter(|| {
                kms.encrypt(
                    &scope,
                    EncryptRequest {
                        key_id: Some(key_id.clone()),
                        plaintext: Some(p.clone().into()),
                        ..Default::default()
                    },
                )
                .expect("encrypt")
            })
        });
        let blob = kms
            .encrypt(
                &scope,
                EncryptRequest {
                    key_id: Some(key_id.clone()),
                    plaintext: Some(plaintext.into()),
                    ..Default::default()
                },
            )
            .expect("encrypt")
            .ciphertext_blob;
        group.bench_with_input(BenchmarkId::new("decrypt", size), &blob, |b, blob| {
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

fn dispatch_json(c: &mut Criterion) {
    let (kms, scope, key_id) = setup();
    let body = format!(r#"{{"KeyId":"{key_id}","KeySpec":"AES_256"}}"#);
    c.bench_function("dispatch/GenerateDataKey (JSON in, JSON out)", |b| {
        b.iter(|| {
            kms.dispatch(&scope, kms_api::Operation::GenerateDataKey, body.as_bytes())
                .expect("dispatch")
        })
    });
}

criterion_group!(benches, generate_data_key, encrypt_decrypt, dispatch_json);
criterion_main!(benches);
