//! In-process benchmarks of the asymmetric, HMAC and post-quantum operations, called directly
//! on `Kms` without HTTP: Sign and Verify per key family (a 64-byte RAW message), GenerateMac /
//! VerifyMac, DeriveSharedSecret, Encapsulate / Decapsulate, RSA OAEP Decrypt, and CreateKey of
//! an RSA_4096 key served from a full key pool against an ECC_NIST_P256 key.
//!
//! Each measurement lasts 2 s after a 1 s warm-up unless the command line says otherwise
//! (`cargo bench --bench asymmetric -- --warm-up-time 0.5 --measurement-time 1`); the
//! CreateKey RSA_4096 group keeps its own settings (see `create_key`).

use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use kms_api::wire::asymmetric::{
    DecapsulateRequest, DeriveSharedSecretRequest, EncapsulateRequest, GenerateMacRequest,
    GetPublicKeyRequest, SignRequest, VerifyMacRequest, VerifyRequest,
};
use kms_api::wire::crypto::{DecryptRequest, EncryptRequest};
use kms_api::wire::keys::CreateKeyRequest;
use kms_api::{Kms, Scope};

/// How long to wait for the RSA key pool to fill (generous: the machine may be busy).
const POOL_TIMEOUT: Duration = Duration::from_secs(120);

const MESSAGE: [u8; 64] = [0x5a; 64];

fn setup() -> (Kms, Scope) {
    (Kms::new(), Scope::new("111122223333", "us-east-1"))
}

fn create_key_request(spec: &str, usage: &str) -> CreateKeyRequest {
    CreateKeyRequest {
        key_spec: Some(spec.into()),
        key_usage: Some(usage.into()),
        ..Default::default()
    }
}

fn create(kms: &Kms, scope: &Scope, spec: &str, usage: &str) -> String {
    kms.create_key(scope, create_key_request(spec, usage))
        .unwrap_or_else(|e| panic!("create {spec} {usage} key: {e:?}"))
        .key_metadata
        .key_id
}

fn sign_request(key_id: &str, algorithm: &str) -> SignRequest {
    SignRequest {
        key_id: Some(key_id.into()),
        message: Some(MESSAGE.to_vec().into()),
        signing_algorithm: Some(algorithm.into()),
        ..Default::default()
    }
}

/// (key spec, signing algorithm) of every family measured.
const SIGNERS: [(&str, &str); 11] = [
    ("RSA_2048", "RSASSA_PSS_SHA_256"),
    ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256"),
    ("RSA_4096", "RSASSA_PSS_SHA_256"),
    ("ECC_NIST_P256", "ECDSA_SHA_256"),
    ("ECC_NIST_P384", "ECDSA_SHA_384"),
    ("ECC_NIST_P521", "ECDSA_SHA_512"),
    ("ECC_SECG_P256K1", "ECDSA_SHA_256"),
    ("ECC_NIST_EDWARDS25519", "ED25519_SHA_512"),
    ("ML_DSA_44", "ML_DSA_SHAKE_256"),
    ("ML_DSA_65", "ML_DSA_SHAKE_256"),
    ("ML_DSA_87", "ML_DSA_SHAKE_256"),
];

fn sign_verify(c: &mut Criterion) {
    // RSA keys come from the pool: fill it first so that setup does not wait on generation.
    kms_api::rsa_pool_ready(POOL_TIMEOUT);
    let (kms, scope) = setup();
    let keys: Vec<(String, &str, String, Vec<u8>)> = SIGNERS
        .iter()
        .map(|&(spec, alg)| {
            let key_id = create(&kms, &scope, spec, "SIGN_VERIFY");
            let signature = kms
                .sign(&scope, sign_request(&key_id, alg))
                .unwrap_or_else(|e| panic!("sign {spec} {alg}: {e:?}"))
                .signature
                .expect("signature");
            (format!("{spec}/{alg}"), alg, key_id, signature)
        })
        .collect();

    let mut group = c.benchmark_group("sign");
    for (name, alg, key_id, _) in &keys {
        group.bench_function(name.as_str(), |b| {
            b.iter(|| kms.sign(&scope, sign_request(key_id, alg)).expect("sign"))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("verify");
    for (name, alg, key_id, signature) in &keys {
        group.bench_function(name.as_str(), |b| {
            b.iter(|| {
                kms.verify(
                    &scope,
                    VerifyRequest {
                        key_id: Some(key_id.clone()),
                        message: Some(MESSAGE.to_vec().into()),
                        signature: Some(signature.clone()),
                        signing_algorithm: Some((*alg).into()),
                        ..Default::default()
                    },
                )
                .expect("verify")
            })
        });
    }
    group.finish();
}

fn mac(c: &mut Criterion) {
    let (kms, scope) = setup();
    let key_id = create(&kms, &scope, "HMAC_256", "GENERATE_VERIFY_MAC");
    let request = || GenerateMacRequest {
        key_id: Some(key_id.clone()),
        message: Some(MESSAGE.to_vec().into()),
        mac_algorithm: Some("HMAC_SHA_256".into()),
        ..Default::default()
    };
    let tag = kms
        .generate_mac(&scope, request())
        .expect("generate mac")
        .mac
        .expect("mac");
    let mut group = c.benchmark_group("mac");
    group.bench_function("generate_mac/HMAC_256", |b| {
        b.iter(|| kms.generate_mac(&scope, request()).expect("generate mac"))
    });
    group.bench_function("verify_mac/HMAC_256", |b| {
        b.iter(|| {
            kms.verify_mac(
                &scope,
                VerifyMacRequest {
                    key_id: Some(key_id.clone()),
                    message: Some(MESSAGE.to_vec().into()),
                    mac_algorithm: Some("HMAC_SHA_256".into()),
                    mac: Some(tag.clone()),
                    ..Default::default()
                },
            )
            .expect("verify mac")
        })
    });
    group.finish();
}

fn shared_secrets(c: &mut Criterion) {
    let (kms, scope) = setup();
    let mut group = c.benchmark_group("shared_secret");

    // The peer is a second KEY_AGREEMENT key: its DER SubjectPublicKeyInfo from GetPublicKey.
    let key_id = create(&kms, &scope, "ECC_NIST_P256", "KEY_AGREEMENT");
    let peer = create(&kms, &scope, "ECC_NIST_P256", "KEY_AGREEMENT");
    let peer_public_key = kms
        .get_public_key(
            &scope,
            GetPublicKeyRequest {
                key_id: Some(peer),
                ..Default::default()
            },
        )
        .expect("get public key")
        .public_key
        .expect("public key");
    group.bench_function("derive_shared_secret/ECC_NIST_P256", |b| {
        b.iter(|| {
            kms.derive_shared_secret(
                &scope,
                DeriveSharedSecretRequest {
                    key_id: Some(key_id.clone()),
                    key_agreement_algorithm: Some("ECDH".into()),
                    public_key: Some(peer_public_key.clone()),
                    ..Default::default()
                },
            )
            .expect("derive shared secret")
        })
    });

    let kem = create(&kms, &scope, "ML_KEM_768", "ENCAPSULATE_DECAPSULATE");
    let encapsulate = || EncapsulateRequest {
        key_id: Some(kem.clone()),
        encapsulation_algorithm: Some("ML_KEM".into()),
        ..Default::default()
    };
    let ciphertext = kms
        .encapsulate(&scope, encapsulate())
        .expect("encapsulate")
        .shared_secret_ciphertext_blob
        .expect("ciphertext");
    group.bench_function("encapsulate/ML_KEM_768", |b| {
        b.iter(|| kms.encapsulate(&scope, encapsulate()).expect("encapsulate"))
    });
    group.bench_function("decapsulate/ML_KEM_768", |b| {
        b.iter(|| {
            kms.decapsulate(
                &scope,
                DecapsulateRequest {
                    key_id: Some(kem.clone()),
                    shared_secret_ciphertext_blob: Some(ciphertext.clone()),
                    encapsulation_algorithm: Some("ML_KEM".into()),
                    ..Default::default()
                },
            )
            .expect("decapsulate")
        })
    });
    group.finish();
}

fn rsa_decrypt(c: &mut Criterion) {
    kms_api::rsa_pool_ready(POOL_TIMEOUT);
    let (kms, scope) = setup();
    let key_id = create(&kms, &scope, "RSA_2048", "ENCRYPT_DECRYPT");
    let blob = kms
        .encrypt(
            &scope,
            EncryptRequest {
                key_id: Some(key_id.clone()),
                plaintext: Some(vec![0x5a; 32].into()),
                encryption_algorithm: Some("RSAES_OAEP_SHA_256".into()),
                ..Default::default()
            },
        )
        .expect("encrypt")
        .ciphertext_blob;
    c.bench_function("decrypt/RSA_2048/RSAES_OAEP_SHA_256", |b| {
        b.iter(|| {
            kms.decrypt(
                &scope,
                DecryptRequest {
                    ciphertext_blob: blob.clone(),
                    key_id: Some(key_id.clone()),
                    encryption_algorithm: Some("RSAES_OAEP_SHA_256".into()),
                    ..Default::default()
                },
            )
            .expect("decrypt")
        })
    });
}

/// CreateKey RSA_4096 as a client sees it while the pool keeps up, against ECC_NIST_P256
/// (generated inline: tens of microseconds).
///
/// The pool holds `RSA_POOL_SIZE` keys per size and needs about a second of one core to make
/// each RSA_4096 key, so back-to-back iterations would soon measure inline generation instead.
/// Each timed sample is therefore one CreateKey taken from a full pool: the routine waits
/// (untimed) until the pool is full, times a single call and reports it as the time of each of
/// the iterations criterion asked for. Criterion's statistics are then over samples of one call
/// each (10 samples after a few warm-up calls); the run takes about a refill per sample.
fn create_key(c: &mut Criterion) {
    let (kms, scope) = setup();
    let mut group = c.benchmark_group("create_key");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1));
    group.bench_function("RSA_4096 (full pool)", |b| {
        b.iter_custom(|iters| {
            assert!(
                kms_api::rsa_pool_ready(POOL_TIMEOUT),
                "the RSA key pool did not fill in {POOL_TIMEOUT:?}"
            );
            let start = Instant::now();
            let created = kms.create_key(&scope, create_key_request("RSA_4096", "SIGN_VERIFY"));
            let elapsed = start.elapsed();
            created.expect("create RSA_4096 key");
            elapsed.mul_f64(iters as f64)
        })
    });
    group.finish();

    // A scope holds at most 100,000 keys: empty the engine (untimed) well before that.
    let mut created = 0usize;
    c.bench_function("create_key/ECC_NIST_P256", |b| {
        b.iter_custom(|iters| {
            let mut elapsed = Duration::ZERO;
            for _ in 0..iters {
                if created == 50_000 {
                    kms.reset().expect("reset");
                    created = 0;
                }
                let start = Instant::now();
                let key =
                    kms.create_key(&scope, create_key_request("ECC_NIST_P256", "SIGN_VERIFY"));
                elapsed += start.elapsed();
                key.expect("create ECC_NIST_P256 key");
                created += 1;
            }
            elapsed
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
    targets = sign_verify, mac, shared_secrets, rsa_decrypt, create_key
}
criterion_main!(benches);
