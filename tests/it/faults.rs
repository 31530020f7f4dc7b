//! Fault injection through `/_kms/faults` against a real server, seen by aws-sdk-kms and raw
//! HTTP.

use crate::common;

use std::time::{Duration, Instant};

use aws_sdk_kms::primitives::Blob;
use common::*;
use kms_api::error::THROTTLING_MESSAGE;
use kms_emulator::RunningServer;
use serde_json::{Value, json};

async fn put_faults(server: &RunningServer, rules: Value) -> HttpResponse {
    http_request(
        server,
        "PUT",
        "/_kms/faults",
        &[("Content-Type", "application/json")],
        rules.to_string().as_bytes(),
    )
    .await
}

async fn set_faults(server: &RunningServer, rules: Value) -> Value {
    let resp = put_faults(server, rules).await;
    assert_eq!(
        resp.status,
        200,
        "{:?}",
        String::from_utf8_lossy(&resp.body)
    );
    resp.json()
}

async fn get_faults(server: &RunningServer) -> Value {
    let resp = http_request(server, "GET", "/_kms/faults", &[], b"").await;
    assert_eq!(resp.status, 200);
    resp.json()
}

async fn encrypt(client: &aws_sdk_kms::Client, key_id: &str) -> Blob {
    client
        .encrypt()
        .key_id(key_id)
        .plaintext(Blob::new(b"hello".to_vec()))
        .send()
        .await
        .expect("Encrypt")
        .ciphertext_blob()
        .expect("CiphertextBlob")
        .clone()
}

#[tokio::test]
async fn internal_error_on_decrypt_leaves_encrypt_alone() {
    let (server, client) = setup().await;
    let key = create_key(&client).await;
    let blob = encrypt(&client, &key).await;

    let stored = set_faults(
        &server,
        json!({"rules": [{"operation": "Decrypt", "error": "KMSInternalException"}]}),
    )
    .await;
    assert_eq!(stored["rules"][0]["operation"], "Decrypt");
    assert_eq!(stored["rules"][0]["error"], "KMSInternalException");
    assert_eq!(stored["rules"][0]["probability"], 1.0);

    let result = client.decrypt().ciphertext_blob(blob.clone()).send().await;
    let (code, _) = expect_err(result);
    assert_eq!(code, "KMSInternalException");

    let raw = kms_call(&server, "Decrypt", b"{}").await;
    assert_eq!(raw.status, 500);
    assert_eq!(raw.json()["__type"], "KMSInternalException");
    assert!(raw.header("x-amzn-requestid").is_some());

    // Encrypt is not affected.
    let other = encrypt(&client, &key).await;
    assert!(!other.as_ref().is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn key_scoped_rule_affects_only_that_key() {
    let (server, client) = setup().await;
    let target = create_key(&client).await;
    let bystander = create_key(&client).await;
    set_faults(
        &server,
        json!([{"operation": "*", "key_id": target, "error": "KeyUnavailableException",
                "message": "HSM unplugged"}]),
    )
    .await;

    let result = client
        .encrypt()
        .key_id(&target)
        .plaintext(Blob::new(b"x".to_vec()))
        .send()
        .await;
    assert_err(result, "KeyUnavailableException", "HSM unplugged");

    // By ARN too.
    let arn = key_arn(REGION, DEFAULT_ACCOUNT, &target);
    let result = client.describe_key().key_id(&arn).send().await;
    assert_err(result, "KeyUnavailableException", "HSM unplugged");

    // The other key, and calls naming no key, work.
    encrypt(&client, &bystander).await;
    client
        .describe_key()
        .key_id(&bystander)
        .send()
        .await
        .expect("DescribeKey");
    client.list_keys().send().await.expect("ListKeys");
    server.shutdown().await;
}

#[tokio::test]
async fn latency_rule_delays_the_answer() {
    let (server, client) = setup().await;
    set_faults(
        &server,
        json!([{"operation": "GenerateRandom", "latency_ms": 300}]),
    )
    .await;
    let started = Instant::now();
    let out = client
        .generate_random()
        .number_of_bytes(16)
        .send()
        .await
        .expect("GenerateRandom succeeds, late");
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(out.plaintext().expect("Plaintext").as_ref().len(), 16);
    server.shutdown().await;
}

#[tokio::test]
async fn injected_throttling_looks_like_aws_throttling() {
    let (server, client) = setup().await;
    let stored = set_faults(
        &server,
        json!([{"operation": "ListKeys", "error": "ThrottlingException"}]),
    )
    .await;
    assert_eq!(stored["rules"][0]["message"], THROTTLING_MESSAGE);

    let result = client.list_keys().send().await;
    assert_err(result, "ThrottlingException", THROTTLING_MESSAGE);

    let raw = kms_call(&server, "ListKeys", b"{}").await;
    assert_eq!(raw.status, 400);
    assert_eq!(
        raw.json(),
        json!({"__type": "ThrottlingException", "message": THROTTLING_MESSAGE})
    );
    server.shutdown().await;
}

#[tokio::test]
async fn delete_clears_the_rules() {
    let (server, client) = setup().await;
    set_faults(
        &server,
        json!([{"operation": "*", "error": "DependencyTimeoutException"}]),
    )
    .await;
    let (code, _) = expect_err(client.list_keys().send().await);
    assert_eq!(code, "DependencyTimeoutException");
    assert_eq!(kms_call(&server, "ListKeys", b"{}").await.status, 500);

    let resp = http_request(&server, "DELETE", "/_kms/faults", &[], b"").await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json(), json!({"rules": []}));
    assert_eq!(get_faults(&server).await, json!({"rules": []}));

    client
        .list_keys()
        .send()
        .await
        .expect("ListKeys after DELETE");
    let key = create_key(&client).await;
    let blob = encrypt(&client, &key).await;
    client
        .decrypt()
        .ciphertext_blob(blob)
        .send()
        .await
        .expect("Decrypt after DELETE");
    server.shutdown().await;
}

#[tokio::test]
async fn bad_rules_are_rejected_and_change_nothing() {
    let (server, client) = setup().await;
    let good = set_faults(
        &server,
        json!({"rules": [{"operation": "Sign", "error": "KMSInternalException", "message": "boom"}]}),
    )
    .await;
    assert_eq!(get_faults(&server).await, good);

    let cases = [
        (
            json!([{"operation": "Decrypt", "error": "NoSuchException"}]),
            "NoSuchException",
        ),
        (
            json!([{"operation": "Decrypt", "error": "KMSInternalException", "probability": 2}]),
            "probability",
        ),
        (json!([{"operation": "Decrypt"}]), "error and/or"),
        (
            json!([{"operation": "Decrypt", "latency_ms": 100}, {"operation": "Nope", "latency_ms": 1}]),
            "rules[1]",
        ),
    ];
    for (rules, needle) in cases {
        let resp = put_faults(&server, rules.clone()).await;
        assert_eq!(resp.status, 400, "{rules}");
        let message = resp.json()["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(message.contains(needle), "{rules}: {message:?}");
        assert_eq!(get_faults(&server).await, good, "after {rules}");
    }
    let resp = http_request(&server, "PUT", "/_kms/faults", &[], b"{not json").await;
    assert_eq!(resp.status, 400);
    assert!(resp.json()["message"].is_string());
    assert_eq!(get_faults(&server).await, good);

    // The rejected Decrypt rules never took effect.
    let key = create_key(&client).await;
    let blob = encrypt(&client, &key).await;
    client
        .decrypt()
        .ciphertext_blob(blob)
        .send()
        .await
        .expect("Decrypt");
    server.shutdown().await;
}

#[tokio::test]
async fn rules_round_trip_and_first_match_wins() {
    let (server, client) = setup().await;
    let stored = set_faults(
        &server,
        json!([
            {"operation": "ListAliases", "probability": 0, "error": "AccessDeniedException"},
            {"operation": "*", "error": "NotFoundException", "message": "first"},
            {"operation": "ListAliases", "error": "KMSInternalException"},
        ]),
    )
    .await;
    // The normalized form PUTs back unchanged.
    assert_eq!(set_faults(&server, stored.clone()).await, stored);
    assert_eq!(get_faults(&server).await, stored);
    assert_err(
        client.list_aliases().send().await,
        "NotFoundException",
        "first",
    );
    server.shutdown().await;
}
