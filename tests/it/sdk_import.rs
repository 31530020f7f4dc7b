//! Imported key material over HTTP with aws-sdk-kms: the import ceremony with each RSA
//! wrapping algorithm (material wrapped here with AWS-LC's RSA-OAEP and RFC 5649 from
//! `aes-kw`, not by the emulator), the import errors, and a restart on the same data directory:
//! imported material, import tokens handed out before it, deleted material and material
//! pending rotation all come back, and no imported material is on disk in plaintext.

use crate::common;

use std::path::PathBuf;

use aws_lc_rs::rsa::{
    OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepPublicEncryptingKey, PublicEncryptingKey,
};
use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::{Blob, DateTime};
use aws_sdk_kms::types::{
    AlgorithmSpec, ExpirationModelType, ImportType, KeyState, OriginType, WrappingKeySpec,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use common::*;

const DAY: i64 = 86_400;

async fn external_key(client: &Client) -> String {
    client
        .create_key()
        .origin(OriginType::External)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id
}

/// The wrapping public key and import token for `key_id`.
async fn parameters(
    client: &Client,
    key_id: &str,
    algorithm: &AlgorithmSpec,
    spec: WrappingKeySpec,
) -> (Vec<u8>, Vec<u8>) {
    let out = client
        .get_parameters_for_import()
        .key_id(key_id)
        .wrapping_algorithm(algorithm.clone())
        .wrapping_key_spec(spec)
        .send()
        .await
        .unwrap();
    (
        out.public_key.unwrap().into_inner(),
        out.import_token.unwrap().into_inner(),
    )
}

fn oaep(public_key: &[u8], sha256: bool, plaintext: &[u8]) -> Vec<u8> {
    let key =
        OaepPublicEncryptingKey::new(PublicEncryptingKey::from_der(public_key).unwrap()).unwrap();
    let alg = if sha256 {
        &OAEP_SHA256_MGF1SHA256
    } else {
        &OAEP_SHA1_MGF1SHA1
    };
    let mut out = vec![0u8; key.ciphertext_size()];
    let len = key.encrypt(alg, plaintext, &mut out, None).unwrap().len();
    out.truncate(len);
    out
}

/// `material` wrapped under `public_key` the way `algorithm` says.
fn wrap(public_key: &[u8], algorithm: &AlgorithmSpec, material: &[u8]) -> Vec<u8> {
    match algorithm {
        AlgorithmSpec::RsaesOaepSha1 => oaep(public_key, false, material),
        AlgorithmSpec::RsaesOaepSha256 => oaep(public_key, true, material),
        AlgorithmSpec::RsaAesKeyWrapSha1 | AlgorithmSpec::RsaAesKeyWrapSha256 => {
            let aes_key: [u8; 32] = std::array::from_fn(|i| (i as u8).wrapping_mul(37) ^ 0x5c);
            let mut blob = oaep(
                public_key,
                *algorithm == AlgorithmSpec::RsaAesKeyWrapSha256,
                &aes_key,
            );
            blob.extend(
                aes_kw::KekAes256::from(aes_key)
                    .wrap_with_padding_vec(material)
                    .unwrap(),
            );
            blob
        }
        other => panic!("no wrapping for {other:?}"),
    }
}

/// The whole ceremony: parameters, wrap, import (material that does not expire).
async fn import(client: &Client, key_id: &str, material: &[u8]) -> String {
    let alg = AlgorithmSpec::RsaesOaepSha256;
    let (public, token) = parameters(client, key_id, &alg, WrappingKeySpec::Rsa2048).await;
    client
        .import_key_material()
        .key_id(key_id)
        .import_token(Blob::new(token))
        .encrypted_key_material(Blob::new(wrap(&public, &alg, material)))
        .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
        .send()
        .await
        .unwrap()
        .key_material_id
        .unwrap()
}

async fn state(client: &Client, key_id: &str) -> KeyState {
    client
        .describe_key()
        .key_id(key_id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_state
        .unwrap()
}

#[tokio::test]
async fn the_import_ceremony_with_every_rsa_wrapping_algorithm() {
    let (_server, client) = setup().await;
    for (alg, spec) in [
        (AlgorithmSpec::RsaesOaepSha1, WrappingKeySpec::Rsa2048),
        (AlgorithmSpec::RsaesOaepSha256, WrappingKeySpec::Rsa2048),
        (AlgorithmSpec::RsaAesKeyWrapSha1, WrappingKeySpec::Rsa3072),
        (AlgorithmSpec::RsaAesKeyWrapSha256, WrappingKeySpec::Rsa4096),
    ] {
        let key_id = external_key(&client).await;
        let arn = key_arn(REGION, DEFAULT_ACCOUNT, &key_id);
        assert_eq!(state(&client, &key_id).await, KeyState::PendingImport);
        assert_err(
            client
                .encrypt()
                .key_id(&key_id)
                .plaintext(Blob::new("x"))
                .send()
                .await,
            "KMSInvalidStateException",
            &format!("{arn} is pending import."),
        );
        let (public, token) = parameters(&client, &key_id, &alg, spec.clone()).await;
        let material = [0x42u8; 32];
        let out = client
            .import_key_material()
            .key_id(&key_id)
            .import_token(Blob::new(token))
            .encrypted_key_material(Blob::new(wrap(&public, &alg, &material)))
            .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{alg:?} {spec:?}: {e:?}"));
        assert_eq!(out.key_id(), Some(arn.as_str()));
        let md = client
            .describe_key()
            .key_id(&key_id)
            .send()
            .await
            .unwrap()
            .key_metadata
            .unwrap();
        assert_eq!(md.key_state, Some(KeyState::Enabled));
        assert_eq!(md.current_key_material_id, out.key_material_id);
        assert_eq!(
            md.expiration_model,
            Some(ExpirationModelType::KeyMaterialDoesNotExpire)
        );
        let blob = client
            .encrypt()
            .key_id(&key_id)
            .plaintext(Blob::new("imported"))
            .send()
            .await
            .unwrap()
            .ciphertext_blob
            .unwrap();
        let dec = client.decrypt().ciphertext_blob(blob).send().await.unwrap();
        assert_eq!(dec.plaintext.unwrap().as_ref(), b"imported");
    }
}

#[tokio::test]
async fn import_errors() {
    let (server, client) = setup().await;
    let generated = create_key(&client).await;
    let generated_arn = key_arn(REGION, DEFAULT_ACCOUNT, &generated);
    let alg = AlgorithmSpec::RsaesOaepSha256;
    assert_err(
        client
            .get_parameters_for_import()
            .key_id(&generated)
            .wrapping_algorithm(alg.clone())
            .wrapping_key_spec(WrappingKeySpec::Rsa2048)
            .send()
            .await,
        "UnsupportedOperationException",
        &format!("{generated_arn} origin is AWS_KMS which is not valid for this operation."),
    );
    let a = external_key(&client).await;
    let b = external_key(&client).await;
    let (public, token) = parameters(&client, &a, &alg, WrappingKeySpec::Rsa2048).await;
    let wrapped = wrap(&public, &alg, &[7u8; 32]);
    let attempt = |key: &str, token: Vec<u8>, wrapped: Vec<u8>| {
        client
            .import_key_material()
            .key_id(key)
            .import_token(Blob::new(token))
            .encrypted_key_material(Blob::new(wrapped))
            .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
            .send()
    };
    let (code, _) = expect_err(attempt(&b, token.clone(), wrapped.clone()).await);
    assert_eq!(code, "InvalidImportTokenException", "another key's token");
    assert_err(
        attempt(&a, token.clone(), vec![1; 256]).await,
        "InvalidCiphertextException",
        "",
    );
    let (code, message) =
        expect_err(attempt(&a, token.clone(), wrap(&public, &alg, &[7; 16])).await);
    assert_eq!(code, "IncorrectKeyMaterialException", "{message}");
    assert_err(
        client
            .import_key_material()
            .key_id(&a)
            .import_token(Blob::new(token.clone()))
            .encrypted_key_material(Blob::new(wrapped.clone()))
            .send()
            .await,
        "ValidationException",
        "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES",
    );
    let (code, _) = expect_err(
        client
            .delete_imported_key_material()
            .key_id(&a)
            .key_material_id("0".repeat(64))
            .send()
            .await,
    );
    assert_eq!(code, "NotFoundException");
    // 24 hours on, the token has expired.
    advance_clock(&server, DAY + 1).await;
    let (code, _) = expect_err(attempt(&a, token, wrapped).await);
    assert_eq!(code, "ExpiredImportTokenException");
    assert_eq!(state(&client, &a).await, KeyState::PendingImport);
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kms-import-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn imported_material_and_import_tokens_survive_a_restart() {
    let dir = temp_dir();
    let server = durable_server(&dir, 9).await;
    let client = client(&server);
    let (first, second, deleted_material) = ([0x11u8; 32], [0x22u8; 32], [0x33u8; 32]);

    // A key with imported material, ValidTo 10 days on, and new material pending rotation.
    let kept = external_key(&client).await;
    let alg = AlgorithmSpec::RsaAesKeyWrapSha256;
    let (public, token) = parameters(&client, &kept, &alg, WrappingKeySpec::Rsa3072).await;
    let now = DateTime::from_secs(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64,
    );
    let valid_to = DateTime::from_secs(now.secs() + 10 * DAY);
    let first_id = client
        .import_key_material()
        .key_id(&kept)
        .import_token(Blob::new(token))
        .encrypted_key_material(Blob::new(wrap(&public, &alg, &first)))
        .valid_to(valid_to)
        .send()
        .await
        .unwrap()
        .key_material_id
        .unwrap();
    let (public, token) = parameters(&client, &kept, &alg, WrappingKeySpec::Rsa3072).await;
    let second_id = client
        .import_key_material()
        .key_id(&kept)
        .import_token(Blob::new(token))
        .encrypted_key_material(Blob::new(wrap(&public, &alg, &second)))
        .import_type(ImportType::NewKeyMaterial)
        .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
        .send()
        .await
        .unwrap()
        .key_material_id
        .unwrap();
    let blob = client
        .encrypt()
        .key_id(&kept)
        .plaintext(Blob::new("across restarts"))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    // A key whose material was deleted, and one with parameters but no import yet.
    let emptied = external_key(&client).await;
    import(&client, &emptied, &deleted_material).await;
    client
        .delete_imported_key_material()
        .key_id(&emptied)
        .send()
        .await
        .unwrap();
    let waiting = external_key(&client).await;
    let oaep256 = AlgorithmSpec::RsaesOaepSha256;
    let (waiting_public, waiting_token) =
        parameters(&client, &waiting, &oaep256, WrappingKeySpec::Rsa2048).await;
    server.shutdown().await;

    for file in std::fs::read_dir(&dir).unwrap() {
        let path = file.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        for secret in [&first[..], &second, &deleted_material] {
            for needle in [
                secret.to_vec(),
                hex(secret).into_bytes(),
                B64.encode(secret).into_bytes(),
            ] {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_slice()),
                    "imported material in {}",
                    path.display()
                );
            }
        }
    }

    let server = durable_server(&dir, 9).await;
    let client = common::client(&server);
    let md = client
        .describe_key()
        .key_id(&kept)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(md.key_state, Some(KeyState::Enabled));
    assert_eq!(
        md.current_key_material_id.as_deref(),
        Some(first_id.as_str())
    );
    assert_eq!(md.valid_to.map(|t| t.secs()), Some(valid_to.secs()));
    let dec = client
        .decrypt()
        .ciphertext_blob(blob.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(dec.plaintext.unwrap().as_ref(), b"across restarts");
    // The material pending rotation came back pending, and rotates now.
    client
        .rotate_key_on_demand()
        .key_id(&kept)
        .send()
        .await
        .unwrap();
    let md = client
        .describe_key()
        .key_id(&kept)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(md.current_key_material_id, Some(second_id));

    assert_eq!(state(&client, &emptied).await, KeyState::PendingImport);
    import(&client, &emptied, &deleted_material).await;
    assert_eq!(state(&client, &emptied).await, KeyState::Enabled);

    // A token from before the restart still works.
    client
        .import_key_material()
        .key_id(&waiting)
        .import_token(Blob::new(waiting_token))
        .encrypted_key_material(Blob::new(wrap(&waiting_public, &oaep256, &[0x44; 32])))
        .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
        .send()
        .await
        .unwrap();
    assert_eq!(state(&client, &waiting).await, KeyState::Enabled);
    server.shutdown().await;
    std::fs::remove_dir_all(&dir).ok();
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
