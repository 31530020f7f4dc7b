//! The shared cryptographic quotas by key class: a request draws on the quota of the key it
//! names (symmetric and HMAC, RSA, ECC, ML-DSA, ML-KEM), so a tiny rate for one class
//! throttles that class's keys and no other.
//!
//! The limiters run on a hand-moved clock (as in `tests/it/throttle.rs`): every count is exact and
//! nothing sleeps. CreateKey's own quota is raised so that setting up keys never throttles.

use crate::common;

use std::time::Duration;

use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    DataKeySpec, EncapsulationAlgorithmSpec, EncryptionAlgorithmSpec, KeyAgreementAlgorithmSpec,
    KeySpec, KeyUsageType, MacAlgorithmSpec, SigningAlgorithmSpec,
};
use common::*;
use kms_emulator::throttle::{FakeRelativeClock, QuotaTable, ThrottleClock};
use kms_emulator::{AppState, Config, RunningServer};

const THROTTLED: &str =
    "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.";

/// A throttling server with `flags` (`--quota` values) whose limiters read a clock that only
/// moves when advanced.
async fn throttled_server(flags: &[&str]) -> (RunningServer, FakeRelativeClock) {
    let mut quotas = QuotaTable::default();
    for f in ["CreateKey=1000"].iter().chain(flags) {
        quotas.apply_flag(f).unwrap();
    }
    let config = Config {
        throttle: true,
        quotas,
        ..Config::default()
    };
    let clock = FakeRelativeClock::default();
    let state = AppState::new(kms_api::Kms::new(), config)
        .with_throttle_clock(ThrottleClock::manual(clock.clone()));
    let server = kms_emulator::start_with_state(state, "127.0.0.1:0")
        .await
        .unwrap();
    (server, clock)
}

#[track_caller]
fn assert_throttled<T: std::fmt::Debug, E, R>(result: Result<T, aws_sdk_kms::error::SdkError<E, R>>)
where
    E: aws_sdk_kms::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    assert_err(result, "ThrottlingException", THROTTLED);
}

async fn create(client: &Client, spec: &str, usage: &str) -> String {
    client
        .create_key()
        .key_spec(KeySpec::from(spec))
        .key_usage(KeyUsageType::from(usage))
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateKey {spec} {usage}: {e:?}"))
        .key_metadata
        .unwrap()
        .key_id
}

/// Keys of every class, in one scope.
struct Keys {
    rsa_sign: String,
    rsa_encrypt: String,
    ecc_sign: String,
    ecc_agree: String,
    ed25519: String,
    ml_dsa: String,
    ml_kem: String,
    hmac: String,
    symmetric: String,
}

async fn keys(client: &Client) -> Keys {
    Keys {
        rsa_sign: create(client, "RSA_2048", "SIGN_VERIFY").await,
        rsa_encrypt: create(client, "RSA_2048", "ENCRYPT_DECRYPT").await,
        ecc_sign: create(client, "ECC_NIST_P256", "SIGN_VERIFY").await,
        ecc_agree: create(client, "ECC_NIST_P256", "KEY_AGREEMENT").await,
        ed25519: create(client, "ECC_NIST_EDWARDS25519", "SIGN_VERIFY").await,
        ml_dsa: create(client, "ML_DSA_44", "SIGN_VERIFY").await,
        ml_kem: create(client, "ML_KEM_768", "ENCAPSULATE_DECAPSULATE").await,
        hmac: create(client, "HMAC_256", "GENERATE_VERIFY_MAC").await,
        symmetric: create_key(client).await,
    }
}

async fn sign(
    client: &Client,
    key_id: &str,
    alg: SigningAlgorithmSpec,
) -> Result<Vec<u8>, (String, String)> {
    client
        .sign()
        .key_id(key_id)
        .message(Blob::new("throttled?"))
        .signing_algorithm(alg)
        .send()
        .await
        .map(|o| o.signature.unwrap().into_inner())
        .map_err(err_parts)
}

fn throttled() -> (String, String) {
    ("ThrottlingException".into(), THROTTLED.into())
}

async fn rsa_sign(client: &Client, keys: &Keys) -> Result<Vec<u8>, (String, String)> {
    sign(
        client,
        &keys.rsa_sign,
        SigningAlgorithmSpec::RsassaPssSha256,
    )
    .await
}

async fn ecc_sign(client: &Client, keys: &Keys) -> Result<Vec<u8>, (String, String)> {
    sign(client, &keys.ecc_sign, SigningAlgorithmSpec::EcdsaSha256).await
}

async fn ml_dsa_sign(client: &Client, keys: &Keys) -> Result<Vec<u8>, (String, String)> {
    sign(client, &keys.ml_dsa, SigningAlgorithmSpec::MlDsaShake256).await
}

async fn encapsulate(client: &Client, keys: &Keys) -> Result<(Vec<u8>, Vec<u8>), (String, String)> {
    client
        .encapsulate()
        .key_id(&keys.ml_kem)
        .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
        .send()
        .await
        .map(|o| {
            (
                o.shared_secret_ciphertext_blob.unwrap().into_inner(),
                o.shared_secret.unwrap().into_inner(),
            )
        })
        .map_err(err_parts)
}

/// The symmetric class: GenerateDataKey with the symmetric key, and Decrypt of its result
/// without a KeyId (the body names no key), succeed `n` times.
async fn symmetric_work(client: &Client, keys: &Keys, n: usize) {
    for _ in 0..n {
        let blob = client
            .generate_data_key()
            .key_id(&keys.symmetric)
            .key_spec(DataKeySpec::Aes256)
            .send()
            .await
            .expect("GenerateDataKey is not in the throttled class")
            .ciphertext_blob
            .expect("CiphertextBlob");
        client
            .decrypt()
            .ciphertext_blob(blob)
            .send()
            .await
            .expect("Decrypt without KeyId is not in the throttled class");
    }
}

fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| {
            l.strip_prefix(series)
                .map(|v| v.trim().parse::<f64>().unwrap())
        })
        .unwrap_or(0.0)
}

async fn throttled_count(server: &RunningServer, quota: &str) -> f64 {
    let metrics = http_request(server, "GET", "/metrics", &[], b"").await;
    let text = String::from_utf8(metrics.body).unwrap();
    metric(&text, &format!("kms_throttled_total{{quota=\"{quota}\"}}"))
}

#[tokio::test]
async fn the_rsa_class_throttles_rsa_keys_only() {
    let (server, clock) = throttled_server(&["rsa=1"]).await;
    let client = client(&server);
    let keys = keys(&client).await;

    // One RSA request a second: the first is admitted...
    let signature = rsa_sign(&client, &keys)
        .await
        .expect("the first RSA request");
    // ...and every other RSA request in that second is refused, whatever the operation.
    assert_eq!(rsa_sign(&client, &keys).await, Err(throttled()));
    assert_throttled(
        client
            .verify()
            .key_id(&keys.rsa_sign)
            .message(Blob::new("throttled?"))
            .signature(Blob::new(signature.clone()))
            .signing_algorithm(SigningAlgorithmSpec::RsassaPssSha256)
            .send()
            .await,
    );
    assert_throttled(
        client
            .encrypt()
            .key_id(&keys.rsa_encrypt)
            .plaintext(Blob::new("x"))
            .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
            .send()
            .await,
    );
    assert_throttled(
        client
            .decrypt()
            .key_id(&keys.rsa_encrypt)
            .ciphertext_blob(Blob::new(vec![1u8; 256]))
            .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
            .send()
            .await,
    );
    // ReEncrypt to an RSA key draws on the RSA class, though its source is symmetric.
    let blob = client
        .encrypt()
        .key_id(&keys.symmetric)
        .plaintext(Blob::new("x"))
        .send()
        .await
        .expect("symmetric Encrypt")
        .ciphertext_blob
        .unwrap();
    assert_throttled(
        client
            .re_encrypt()
            .ciphertext_blob(blob)
            .destination_key_id(&keys.rsa_encrypt)
            .destination_encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha1)
            .send()
            .await,
    );

    // Other classes, and GetPublicKey (its own per-API quota), are untouched.
    for _ in 0..5 {
        ecc_sign(&client, &keys).await.expect("ECC Sign");
        ml_dsa_sign(&client, &keys).await.expect("ML-DSA Sign");
        encapsulate(&client, &keys).await.expect("Encapsulate");
        client
            .get_public_key()
            .key_id(&keys.rsa_sign)
            .send()
            .await
            .expect("GetPublicKey of the RSA key");
    }
    symmetric_work(&client, &keys, 5).await;
    assert_eq!(throttled_count(&server, "rsa").await, 5.0);
    assert_eq!(throttled_count(&server, "ecc").await, 0.0);

    // A second later, one more RSA request.
    clock.advance(Duration::from_secs(1));
    client
        .verify()
        .key_id(&keys.rsa_sign)
        .message(Blob::new("throttled?"))
        .signature(Blob::new(signature))
        .signing_algorithm(SigningAlgorithmSpec::RsassaPssSha256)
        .send()
        .await
        .expect("admitted after a second");
    assert_eq!(rsa_sign(&client, &keys).await, Err(throttled()));
    server.shutdown().await;
}

#[tokio::test]
async fn the_ml_dsa_class_throttles_ml_dsa_keys_only() {
    let (server, _clock) = throttled_server(&["ml-dsa=1"]).await;
    let client = client(&server);
    let keys = keys(&client).await;
    let signature = ml_dsa_sign(&client, &keys)
        .await
        .expect("the first ML-DSA request");
    assert_eq!(ml_dsa_sign(&client, &keys).await, Err(throttled()));
    assert_throttled(
        client
            .verify()
            .key_id(&keys.ml_dsa)
            .message(Blob::new("throttled?"))
            .signature(Blob::new(signature))
            .signing_algorithm(SigningAlgorithmSpec::MlDsaShake256)
            .send()
            .await,
    );
    for _ in 0..5 {
        rsa_sign(&client, &keys).await.expect("RSA Sign");
        ecc_sign(&client, &keys).await.expect("ECC Sign");
        encapsulate(&client, &keys).await.expect("Encapsulate");
    }
    symmetric_work(&client, &keys, 5).await;
    assert_eq!(throttled_count(&server, "ml-dsa").await, 2.0);
    server.shutdown().await;
}

#[tokio::test]
async fn the_ml_kem_class_throttles_ml_kem_keys_only() {
    let (server, _clock) = throttled_server(&["ml-kem=1"]).await;
    let client = client(&server);
    let keys = keys(&client).await;
    let (ciphertext, _) = encapsulate(&client, &keys)
        .await
        .expect("the first ML-KEM request");
    assert_eq!(encapsulate(&client, &keys).await, Err(throttled()));
    assert_throttled(
        client
            .decapsulate()
            .key_id(&keys.ml_kem)
            .shared_secret_ciphertext_blob(Blob::new(ciphertext))
            .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
            .send()
            .await,
    );
    for _ in 0..5 {
        ml_dsa_sign(&client, &keys).await.expect("ML-DSA Sign");
        rsa_sign(&client, &keys).await.expect("RSA Sign");
        ecc_sign(&client, &keys).await.expect("ECC Sign");
    }
    symmetric_work(&client, &keys, 5).await;
    assert_eq!(throttled_count(&server, "ml-kem").await, 2.0);
    server.shutdown().await;
}

#[tokio::test]
async fn the_ecc_class_holds_ecdsa_ecdh_and_ed25519_keys_named_any_way() {
    let (server, _clock) = throttled_server(&["ecc=1"]).await;
    let client = client(&server);
    let keys = keys(&client).await;
    client
        .create_alias()
        .alias_name("alias/ecc")
        .target_key_id(&keys.ecc_sign)
        .send()
        .await
        .unwrap();
    // Named by alias: still an ECC key.
    sign(&client, "alias/ecc", SigningAlgorithmSpec::EcdsaSha256)
        .await
        .expect("the first ECC request");
    let arn = key_arn(REGION, DEFAULT_ACCOUNT, &keys.ecc_sign);
    assert_eq!(
        sign(&client, &arn, SigningAlgorithmSpec::EcdsaSha256).await,
        Err(throttled())
    );
    assert_eq!(
        sign(&client, &keys.ed25519, SigningAlgorithmSpec::Ed25519Sha512).await,
        Err(throttled())
    );
    let peer = client
        .get_public_key()
        .key_id(&keys.ecc_sign)
        .send()
        .await
        .expect("GetPublicKey is not in the class")
        .public_key
        .unwrap();
    assert_throttled(
        client
            .derive_shared_secret()
            .key_id(&keys.ecc_agree)
            .key_agreement_algorithm(KeyAgreementAlgorithmSpec::Ecdh)
            .public_key(peer)
            .send()
            .await,
    );
    for _ in 0..5 {
        rsa_sign(&client, &keys).await.expect("RSA Sign");
        ml_dsa_sign(&client, &keys).await.expect("ML-DSA Sign");
    }
    symmetric_work(&client, &keys, 5).await;
    assert_eq!(throttled_count(&server, "ecc").await, 3.0);
    server.shutdown().await;
}

#[tokio::test]
async fn hmac_keys_draw_on_the_symmetric_class() {
    let (server, _clock) = throttled_server(&["symmetric=1"]).await;
    let client = client(&server);
    let keys = keys(&client).await;
    let generate_mac = || {
        client
            .generate_mac()
            .key_id(&keys.hmac)
            .message(Blob::new("m"))
            .mac_algorithm(MacAlgorithmSpec::HmacSha256)
            .send()
    };
    generate_mac().await.expect("the first symmetric request");
    assert_throttled(generate_mac().await);
    assert_throttled(
        client
            .generate_data_key()
            .key_id(&keys.symmetric)
            .key_spec(DataKeySpec::Aes256)
            .send()
            .await,
    );
    for _ in 0..5 {
        rsa_sign(&client, &keys).await.expect("RSA Sign");
        ecc_sign(&client, &keys).await.expect("ECC Sign");
        ml_dsa_sign(&client, &keys).await.expect("ML-DSA Sign");
        encapsulate(&client, &keys).await.expect("Encapsulate");
    }
    assert_eq!(throttled_count(&server, "symmetric").await, 2.0);
    server.shutdown().await;
}
