//! Cryptographic operations through the official `aws-sdk-kms` client: Encrypt, Decrypt,
//! ReEncrypt, GenerateDataKey(WithoutPlaintext), GenerateRandom.

use crate::common;

use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{DataKeySpec, EncryptionAlgorithmSpec};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use common::*;

const INCORRECT_KEY: &str =
    "The key ID in the request does not identify a CMK that can perform this operation.";
const DRY_RUN: &str = "The request would have succeeded, but the DryRun option is set.";

fn arn(id: &str) -> String {
    key_arn(REGION, DEFAULT_ACCOUNT, id)
}

async fn encrypt(client: &Client, key_id: &str, plaintext: &[u8]) -> Vec<u8> {
    client
        .encrypt()
        .key_id(key_id)
        .plaintext(Blob::new(plaintext))
        .send()
        .await
        .expect("Encrypt")
        .ciphertext_blob()
        .expect("CiphertextBlob")
        .as_ref()
        .to_vec()
}

async fn current_material_id(client: &Client, key_id: &str) -> String {
    client
        .describe_key()
        .key_id(key_id)
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .current_key_material_id()
        .expect("CurrentKeyMaterialId")
        .to_owned()
}

#[tokio::test]
async fn encrypt_decrypt_round_trip() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    let out = client
        .encrypt()
        .key_id(&id)
        .plaintext(Blob::new(b"hello world".to_vec()))
        .send()
        .await
        .unwrap();
    assert_eq!(out.key_id(), Some(arn(&id).as_str()));
    assert_eq!(
        out.encryption_algorithm(),
        Some(&EncryptionAlgorithmSpec::SymmetricDefault)
    );
    let blob = out.ciphertext_blob().unwrap().as_ref().to_vec();
    assert_ne!(blob, b"hello world".to_vec());

    let dec = client
        .decrypt()
        .ciphertext_blob(Blob::new(blob))
        .send()
        .await
        .unwrap();
    assert_eq!(dec.plaintext().unwrap().as_ref(), b"hello world");
    assert_eq!(dec.key_id(), Some(arn(&id).as_str()));
    assert_eq!(
        dec.encryption_algorithm(),
        Some(&EncryptionAlgorithmSpec::SymmetricDefault)
    );
    let material = current_material_id(&client, &id).await;
    assert_eq!(dec.key_material_id(), Some(material.as_str()));
    server.shutdown().await;
}

#[tokio::test]
async fn encrypting_twice_gives_different_ciphertexts() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    let a = encrypt(&client, &id, b"same").await;
    let b = encrypt(&client, &id, b"same").await;
    assert_ne!(a, b, "each ciphertext has a fresh nonce");
    server.shutdown().await;
}

#[tokio::test]
async fn decrypt_with_explicit_key_id_forms() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    client
        .create_alias()
        .alias_name("alias/dec")
        .target_key_id(&id)
        .send()
        .await
        .unwrap();
    let blob = encrypt(&client, &id, b"x").await;
    for key_id in [id.clone(), arn(&id), "alias/dec".to_owned()] {
        let dec = client
            .decrypt()
            .key_id(&key_id)
            .ciphertext_blob(Blob::new(blob.clone()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("Decrypt with KeyId {key_id}: {e:?}"));
        assert_eq!(dec.plaintext().unwrap().as_ref(), b"x");
        assert_eq!(dec.key_id(), Some(arn(&id).as_str()));
    }
    server.shutdown().await;
}

#[tokio::test]
async fn encryption_context_round_trip() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    let blob = client
        .encrypt()
        .key_id(&id)
        .plaintext(Blob::new(b"secret".to_vec()))
        .encryption_context("tenant", "a")
        .encryption_context("purpose", "test")
        .send()
        .await
        .unwrap()
        .ciphertext_blob()
        .unwrap()
        .as_ref()
        .to_vec();
    let dec = client
        .decrypt()
        .ciphertext_blob(Blob::new(blob))
        .encryption_context("purpose", "test")
        .encryption_context("tenant", "a")
        .send()
        .await
        .unwrap();
    assert_eq!(dec.plaintext().unwrap().as_ref(), b"secret");
    server.shutdown().await;
}

/// The context is a map: the order of its members on the wire does not matter.
#[tokio::test]
async fn encryption_context_order_does_not_matter_on_the_wire() {
    let server = start_server().await;
    let created = kms_call(&server, "CreateKey", b"{}").await.json();
    let id = created["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    let body = format!(
        r#"{{"KeyId":"{id}","Plaintext":"{}","EncryptionContext":{{"a":"1","b":"2","c":"3"}}}}"#,
        B64.encode(b"ordered")
    );
    let enc = kms_call(&server, "Encrypt", body.as_bytes()).await;
    assert_eq!(enc.status, 200, "{:?}", String::from_utf8_lossy(&enc.body));
    let blob = enc.json()["CiphertextBlob"].as_str().unwrap().to_owned();
    let body =
        format!(r#"{{"CiphertextBlob":"{blob}","EncryptionContext":{{"c":"3","a":"1","b":"2"}}}}"#);
    let dec = kms_call(&server, "Decrypt", body.as_bytes()).await;
    assert_eq!(dec.status, 200, "{:?}", String::from_utf8_lossy(&dec.body));
    let plain = B64
        .decode(dec.json()["Plaintext"].as_str().unwrap())
        .unwrap();
    assert_eq!(plain, b"ordered");
    server.shutdown().await;
}

#[tokio::test]
async fn wrong_or_missing_context_is_invalid_ciphertext() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    let blob = client
        .encrypt()
        .key_id(&id)
        .plaintext(Blob::new(b"secret".to_vec()))
        .encryption_context("tenant", "a")
        .send()
        .await
        .unwrap()
        .ciphertext_blob()
        .unwrap()
        .as_ref()
        .to_vec();
    // Missing.
    assert_err(
        client
            .decrypt()
            .ciphertext_blob(Blob::new(blob.clone()))
            .send()
            .await,
        "InvalidCiphertextException",
        "",
    );
    // Wrong value.
    assert_err(
        client
            .decrypt()
            .ciphertext_blob(Blob::new(blob.clone()))
            .encryption_context("tenant", "b")
            .send()
            .await,
        "InvalidCiphertextException",
        "",
    );
    // Extra pair.
    assert_err(
        client
            .decrypt()
            .ciphertext_blob(Blob::new(blob.clone()))
            .encryption_context("tenant", "a")
            .encryption_context("extra", "x")
            .send()
            .await,
        "InvalidCiphertextException",
        "",
    );
    // A context where none was used at encrypt time.
    let plain_blob = encrypt(&client, &id, b"no ctx").await;
    assert_err(
        client
            .decrypt()
            .ciphertext_blob(Blob::new(plain_blob))
            .encryption_context("tenant", "a")
            .send()
            .await,
        "InvalidCiphertextException",
        "",
    );
    server.shutdown().await;
}

#[tokio::test]
async fn tampered_ciphertext_is_invalid_ciphertext() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    let mut blob = encrypt(&client, &id, b"integrity").await;
    *blob.last_mut().unwrap() ^= 0x01;
    assert_err(
        client
            .decrypt()
            .ciphertext_blob(Blob::new(blob))
            .send()
            .await,
        "InvalidCiphertextException",
        "",
    );
    server.shutdown().await;
}

#[tokio::test]
async fn truncated_ciphertext_is_invalid_ciphertext() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    let blob = encrypt(&client, &id, b"integrity").await;
    for len in [blob.len() - 1, blob.len() / 2, 5, 1] {
        assert_err(
            client
                .decrypt()
                .ciphertext_blob(Blob::new(blob[..len].to_vec()))
                .send()
                .await,
            "InvalidCiphertextException",
            "",
        );
    }
    // Garbage that never was a ciphertext.
    assert_err(
        client
            .decrypt()
            .ciphertext_blob(Blob::new(vec![0xAB; 64]))
            .send()
            .await,
        "InvalidCiphertextException",
        "",
    );
    server.shutdown().await;
}

#[tokio::test]
async fn decrypt_with_another_key_id_is_incorrect_key() {
    let (server, client) = setup().await;
    let a = create_key(&client).await;
    let b = create_key(&client).await;
    let blob = encrypt(&client, &a, b"for a").await;
    assert_err(
        client
            .decrypt()
            .key_id(&b)
            .ciphertext_blob(Blob::new(blob.clone()))
            .send()
            .await,
        "IncorrectKeyException",
        INCORRECT_KEY,
    );
    assert_err(
        client
            .re_encrypt()
            .source_key_id(&b)
            .destination_key_id(&a)
            .ciphertext_blob(Blob::new(blob))
            .send()
            .await,
        "IncorrectKeyException",
        INCORRECT_KEY,
    );
    server.shutdown().await;
}

#[tokio::test]
async fn plaintext_size_limit() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    let big = vec![7u8; 4096];
    let blob = encrypt(&client, &id, &big).await;
    let dec = client
        .decrypt()
        .ciphertext_blob(Blob::new(blob))
        .send()
        .await
        .unwrap();
    assert_eq!(dec.plaintext().unwrap().as_ref(), big.as_slice());

    assert_err(
        client
            .encrypt()
            .key_id(&id)
            .plaintext(Blob::new(vec![7u8; 4097]))
            .send()
            .await,
        "ValidationException",
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096",
    );
    server.shutdown().await;
}

#[tokio::test]
async fn disabled_key_refuses_crypto() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    let blob = encrypt(&client, &id, b"before").await;
    client.disable_key().key_id(&id).send().await.unwrap();
    let msg = format!("{} is disabled.", arn(&id));
    assert_err(
        client
            .encrypt()
            .key_id(&id)
            .plaintext(Blob::new(b"x".to_vec()))
            .send()
            .await,
        "DisabledException",
        &msg,
    );
    assert_err(
        client
            .decrypt()
            .ciphertext_blob(Blob::new(blob.clone()))
            .send()
            .await,
        "DisabledException",
        &msg,
    );
    assert_err(
        client
            .generate_data_key()
            .key_id(&id)
            .key_spec(DataKeySpec::Aes256)
            .send()
            .await,
        "DisabledException",
        &msg,
    );
    // Enabling again restores it.
    client.enable_key().key_id(&id).send().await.unwrap();
    let dec = client
        .decrypt()
        .ciphertext_blob(Blob::new(blob))
        .send()
        .await
        .unwrap();
    assert_eq!(dec.plaintext().unwrap().as_ref(), b"before");
    server.shutdown().await;
}

#[tokio::test]
async fn key_pending_deletion_refuses_crypto() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    let blob = encrypt(&client, &id, b"before").await;
    client
        .schedule_key_deletion()
        .key_id(&id)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    let msg = format!("{} is pending deletion.", arn(&id));
    assert_err(
        client
            .encrypt()
            .key_id(&id)
            .plaintext(Blob::new(b"x".to_vec()))
            .send()
            .await,
        "KMSInvalidStateException",
        &msg,
    );
    assert_err(
        client
            .decrypt()
            .ciphertext_blob(Blob::new(blob))
            .send()
            .await,
        "KMSInvalidStateException",
        &msg,
    );
    assert_err(
        client
            .generate_data_key()
            .key_id(&id)
            .number_of_bytes(16)
            .send()
            .await,
        "KMSInvalidStateException",
        &msg,
    );
    server.shutdown().await;
}

#[tokio::test]
async fn generate_data_key_sizes() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    let material = current_material_id(&client, &id).await;
    for (spec, n, len) in [
        (Some(DataKeySpec::Aes256), None, 32usize),
        (Some(DataKeySpec::Aes128), None, 16),
        (None, Some(64), 64),
        (None, Some(1), 1),
        (None, Some(1024), 1024),
    ] {
        let out = client
            .generate_data_key()
            .key_id(&id)
            .set_key_spec(spec.clone())
            .set_number_of_bytes(n)
            .send()
            .await
            .unwrap();
        let plain = out.plaintext().unwrap().as_ref().to_vec();
        assert_eq!(plain.len(), len, "{spec:?} {n:?}");
        assert_eq!(out.key_id(), Some(arn(&id).as_str()));
        assert_eq!(out.key_material_id(), Some(material.as_str()));
        let dec = client
            .decrypt()
            .ciphertext_blob(out.ciphertext_blob().unwrap().clone())
            .send()
            .await
            .unwrap();
        assert_eq!(dec.plaintext().unwrap().as_ref(), plain.as_slice());
        assert_eq!(dec.key_id(), Some(arn(&id).as_str()));
    }
    server.shutdown().await;
}

#[tokio::test]
async fn generate_data_key_with_context() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    let out = client
        .generate_data_key()
        .key_id(&id)
        .key_spec(DataKeySpec::Aes256)
        .encryption_context("k", "v")
        .send()
        .await
        .unwrap();
    let blob = out.ciphertext_blob().unwrap().clone();
    assert_err(
        client.decrypt().ciphertext_blob(blob.clone()).send().await,
        "InvalidCiphertextException",
        "",
    );
    let dec = client
        .decrypt()
        .ciphertext_blob(blob)
        .encryption_context("k", "v")
        .send()
        .await
        .unwrap();
    assert_eq!(
        dec.plaintext().unwrap().as_ref(),
        out.plaintext().unwrap().as_ref()
    );
    server.shutdown().await;
}

#[tokio::test]
async fn generate_data_key_needs_exactly_one_size() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    let (code, _) = expect_err(client.generate_data_key().key_id(&id).send().await);
    assert_eq!(
        code, "ValidationException",
        "neither KeySpec nor NumberOfBytes"
    );
    let (code, _) = expect_err(
        client
            .generate_data_key()
            .key_id(&id)
            .key_spec(DataKeySpec::Aes256)
            .number_of_bytes(32)
            .send()
            .await,
    );
    assert_eq!(
        code, "ValidationException",
        "both KeySpec and NumberOfBytes"
    );
    assert_err(
        client
            .generate_data_key()
            .key_id(&id)
            .number_of_bytes(1025)
            .send()
            .await,
        "ValidationException",
        "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024",
    );
    assert_err(
        client
            .generate_data_key()
            .key_id(&id)
            .number_of_bytes(0)
            .send()
            .await,
        "ValidationException",
        "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    server.shutdown().await;
}

#[tokio::test]
async fn generate_data_key_without_plaintext() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    let out = client
        .generate_data_key_without_plaintext()
        .key_id(&id)
        .key_spec(DataKeySpec::Aes256)
        .send()
        .await
        .unwrap();
    assert_eq!(out.key_id(), Some(arn(&id).as_str()));
    let dec = client
        .decrypt()
        .ciphertext_blob(out.ciphertext_blob().unwrap().clone())
        .send()
        .await
        .unwrap();
    assert_eq!(dec.plaintext().unwrap().as_ref().len(), 32);

    let out = client
        .generate_data_key_without_plaintext()
        .key_id(&id)
        .number_of_bytes(64)
        .send()
        .await
        .unwrap();
    let dec = client
        .decrypt()
        .ciphertext_blob(out.ciphertext_blob().unwrap().clone())
        .send()
        .await
        .unwrap();
    assert_eq!(dec.plaintext().unwrap().as_ref().len(), 64);
    server.shutdown().await;
}

/// GenerateDataKeyWithoutPlaintext's response has no Plaintext member at all.
#[tokio::test]
async fn generate_data_key_without_plaintext_wire_has_no_plaintext() {
    let server = start_server().await;
    let created = kms_call(&server, "CreateKey", b"{}").await.json();
    let id = created["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    let resp = kms_call(
        &server,
        "GenerateDataKeyWithoutPlaintext",
        format!(r#"{{"KeyId":"{id}","KeySpec":"AES_256"}}"#).as_bytes(),
    )
    .await;
    assert_eq!(resp.status, 200);
    let json = resp.json();
    assert!(json.get("Plaintext").is_none(), "{json}");
    assert!(json["CiphertextBlob"].is_string());
    assert_eq!(json["KeyId"], serde_json::json!(arn(&id)));
    server.shutdown().await;
}

#[tokio::test]
async fn re_encrypt_to_another_key() {
    let (server, client) = setup().await;
    let a = create_key(&client).await;
    let b = create_key(&client).await;
    let blob = client
        .encrypt()
        .key_id(&a)
        .plaintext(Blob::new(b"move me".to_vec()))
        .encryption_context("from", "a")
        .send()
        .await
        .unwrap()
        .ciphertext_blob()
        .unwrap()
        .clone();
    let out = client
        .re_encrypt()
        .ciphertext_blob(blob)
        .source_encryption_context("from", "a")
        .destination_key_id(&b)
        .destination_encryption_context("to", "b")
        .send()
        .await
        .unwrap();
    assert_eq!(out.source_key_id(), Some(arn(&a).as_str()));
    assert_eq!(out.key_id(), Some(arn(&b).as_str()));
    assert_eq!(
        out.source_encryption_algorithm(),
        Some(&EncryptionAlgorithmSpec::SymmetricDefault)
    );
    assert_eq!(
        out.destination_encryption_algorithm(),
        Some(&EncryptionAlgorithmSpec::SymmetricDefault)
    );
    let new_blob = out.ciphertext_blob().unwrap().clone();

    assert_err(
        client
            .decrypt()
            .ciphertext_blob(new_blob.clone())
            .send()
            .await,
        "InvalidCiphertextException",
        "",
    );
    let dec = client
        .decrypt()
        .ciphertext_blob(new_blob)
        .encryption_context("to", "b")
        .send()
        .await
        .unwrap();
    assert_eq!(dec.plaintext().unwrap().as_ref(), b"move me");
    assert_eq!(dec.key_id(), Some(arn(&b).as_str()));
    server.shutdown().await;
}

#[tokio::test]
async fn generate_random_lengths() {
    let (server, client) = setup().await;
    for n in [1, 12, 44, 91, 1024] {
        let out = client
            .generate_random()
            .number_of_bytes(n)
            .send()
            .await
            .unwrap();
        assert_eq!(out.plaintext().unwrap().as_ref().len(), n as usize);
    }
    let a = client
        .generate_random()
        .number_of_bytes(32)
        .send()
        .await
        .unwrap();
    let b = client
        .generate_random()
        .number_of_bytes(32)
        .send()
        .await
        .unwrap();
    assert_ne!(
        a.plaintext().unwrap().as_ref(),
        b.plaintext().unwrap().as_ref()
    );
    server.shutdown().await;
}

#[tokio::test]
async fn generate_random_out_of_range() {
    let (server, client) = setup().await;
    assert_err(
        client.generate_random().number_of_bytes(0).send().await,
        "ValidationException",
        "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    assert_err(
        client.generate_random().number_of_bytes(1025).send().await,
        "ValidationException",
        "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024",
    );
    assert_err(
        client.generate_random().send().await,
        "ValidationException",
        "NumberOfBytes is required.",
    );
    server.shutdown().await;
}

#[tokio::test]
async fn dry_run_is_dry_run_operation_exception() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    assert_err(
        client
            .encrypt()
            .key_id(&id)
            .plaintext(Blob::new(b"x".to_vec()))
            .dry_run(true)
            .send()
            .await,
        "DryRunOperationException",
        DRY_RUN,
    );
    let blob = encrypt(&client, &id, b"x").await;
    assert_err(
        client
            .decrypt()
            .ciphertext_blob(Blob::new(blob.clone()))
            .dry_run(true)
            .send()
            .await,
        "DryRunOperationException",
        DRY_RUN,
    );
    assert_err(
        client
            .generate_data_key()
            .key_id(&id)
            .key_spec(DataKeySpec::Aes256)
            .dry_run(true)
            .send()
            .await,
        "DryRunOperationException",
        DRY_RUN,
    );
    let other = create_key(&client).await;
    assert_err(
        client
            .re_encrypt()
            .ciphertext_blob(Blob::new(blob))
            .destination_key_id(&other)
            .dry_run(true)
            .send()
            .await,
        "DryRunOperationException",
        DRY_RUN,
    );
    // DryRun=false is an ordinary call.
    client
        .encrypt()
        .key_id(&id)
        .plaintext(Blob::new(b"x".to_vec()))
        .dry_run(false)
        .send()
        .await
        .unwrap();
    server.shutdown().await;
}

#[tokio::test]
async fn encrypt_via_alias_name_and_arn() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    client
        .create_alias()
        .alias_name("alias/app")
        .target_key_id(&id)
        .send()
        .await
        .unwrap();
    for key_id in [
        "alias/app".to_owned(),
        alias_arn(REGION, DEFAULT_ACCOUNT, "alias/app"),
    ] {
        let out = client
            .encrypt()
            .key_id(&key_id)
            .plaintext(Blob::new(b"via alias".to_vec()))
            .send()
            .await
            .unwrap();
        assert_eq!(out.key_id(), Some(arn(&id).as_str()), "via {key_id}");
        let dec = client
            .decrypt()
            .ciphertext_blob(out.ciphertext_blob().unwrap().clone())
            .send()
            .await
            .unwrap();
        assert_eq!(dec.plaintext().unwrap().as_ref(), b"via alias");
        assert_eq!(dec.key_id(), Some(arn(&id).as_str()));
    }
    assert_err(
        client
            .encrypt()
            .key_id("alias/nope")
            .plaintext(Blob::new(b"x".to_vec()))
            .send()
            .await,
        "NotFoundException",
        &format!(
            "Alias {} is not found.",
            alias_arn(REGION, DEFAULT_ACCOUNT, "alias/nope")
        ),
    );
    server.shutdown().await;
}
