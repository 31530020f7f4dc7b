//! No key material in `Debug` output: every public type that holds a bucket key, a per-object
//! key or a plaintext data key is formatted with `{:?}` and `{:#?}`, and the secret bytes must not
//! appear in it, neither as hex nor as the decimal list a derived `Debug` of bytes prints nor raw.

use std::sync::Arc;

use bucket_key_cache::derive::object_key;
use bucket_key_cache::provider::{DataKeyRequest, DecryptRequest, KeyProvider};
use bucket_key_cache::{BucketKeyCache, BucketScope, MockProvider, Secret};

/// Fails if `secret` shows up in `text` in any of the forms a `Debug` impl would print it.
fn assert_redacted(what: &str, text: &str, secret: &[u8]) {
    assert!(
        secret.len() >= 16,
        "{what}: a secret long enough to be unambiguous"
    );
    let hex = hex::encode(secret);
    assert!(
        !text.to_lowercase().contains(&hex),
        "{what} shows the secret as hex: {text}"
    );
    assert!(
        !text.as_bytes().windows(secret.len()).any(|w| w == secret),
        "{what} shows the raw secret bytes: {text}"
    );
    // A derived `Debug` of bytes prints them in decimal (`[12, 34, ...]`, or one per line with
    // `{:#?}`): look for the secret as a run of the numbers in the text, whatever separates them.
    let numbers: Vec<u64> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect();
    let secret: Vec<u64> = secret.iter().map(|&b| u64::from(b)).collect();
    assert!(
        !numbers
            .windows(secret.len())
            .any(|w| w == secret.as_slice()),
        "{what} shows the secret as decimal bytes: {text}"
    );
}

fn assert_debug_redacted(what: &str, value: &dyn std::fmt::Debug, secret: &[u8]) {
    assert_redacted(what, &format!("{value:?}"), secret);
    assert_redacted(what, &format!("{value:#?}"), secret);
}

#[tokio::test]
async fn debug_output_never_contains_key_material() {
    let kms = Arc::new(MockProvider::new());
    let cache = BucketKeyCache::new(kms.clone());
    let scope = BucketScope::new("photos", "alias/s3");

    // A plaintext data key as the provider hands it out, and the same key from Decrypt.
    let data_key = kms
        .generate_data_key(DataKeyRequest {
            key_id: "alias/s3",
            encryption_context: scope.encryption_context(),
        })
        .await
        .unwrap();
    let data_key_bytes = data_key.plaintext.to_vec();
    let decrypted = kms
        .decrypt(DecryptRequest {
            key_id: &data_key.key_arn,
            ciphertext: &data_key.ciphertext,
            encryption_context: scope.encryption_context(),
        })
        .await
        .unwrap();
    assert_eq!(&decrypted.plaintext[..], &data_key_bytes[..]);
    assert_debug_redacted("DataKey", &data_key, &data_key_bytes);
    assert_debug_redacted("DataKey::plaintext", &data_key.plaintext, &data_key_bytes);
    assert_debug_redacted("Decrypted", &decrypted, &data_key_bytes);
    assert_debug_redacted(
        "Decrypted::plaintext",
        &decrypted.plaintext,
        &data_key_bytes,
    );
    assert_debug_redacted("MockProvider", &*kms, &data_key_bytes);

    // A bucket key in the cache: its material is the plaintext KMS gives for its ciphertext.
    let bucket_key = cache.encryption_key(&scope).await.unwrap();
    let material = kms
        .decrypt(DecryptRequest {
            key_id: bucket_key.kms_key_arn(),
            ciphertext: bucket_key.ciphertext(),
            encryption_context: scope.encryption_context(),
        })
        .await
        .unwrap()
        .plaintext
        .to_vec();
    assert_debug_redacted("BucketKey", &bucket_key, &material);
    assert_debug_redacted("BucketKeyCache", &cache, &material);
    assert_debug_redacted("MockProvider", &*kms, &material);

    // A per-object key.
    let bucket_key_bytes: [u8; 32] = material.as_slice().try_into().unwrap();
    let object = object_key(&bucket_key_bytes, "photos", "cat.jpg", &[9; 16]).unwrap();
    assert_debug_redacted("object_key", &object, &object[..]);

    // The wrapper itself, whatever it holds.
    assert_debug_redacted("Secret", &Secret::new(material.clone()), &material);
}
