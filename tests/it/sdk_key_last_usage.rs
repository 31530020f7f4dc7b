//! GetKeyLastUsage through the official `aws-sdk-kms` client: the request ID the SDK got
//! for the last successful cryptographic operation, each member of a multi-Region set on its
//! own, and the record surviving a restart of a durable server (written at shutdown).

use crate::common;

use aws_sdk_kms::operation::RequestId;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::KeyLastUsageTrackingOperation as Tracked;
use common::*;

#[tokio::test]
async fn the_last_use_is_per_key_and_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("kms-usage-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let server = durable_server(&dir, 8).await;
    let (east, west) = (
        client(&server),
        client_for(&server, "AKIDEXAMPLE", OTHER_REGION),
    );
    let id = east
        .create_key()
        .multi_region(true)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id()
        .to_owned();
    let fresh = east.get_key_last_usage().key_id(&id).send().await.unwrap();
    let empty = fresh.key_last_usage().unwrap();
    assert!(empty.operation().is_none() && empty.kms_request_id().is_none());
    assert_eq!(fresh.tracking_start_date(), fresh.key_creation_date());

    east.replicate_key()
        .key_id(&id)
        .replica_region(OTHER_REGION)
        .send()
        .await
        .unwrap();
    advance_clock(&server, 2).await;
    let sealed = east
        .encrypt()
        .key_id(&id)
        .plaintext(Blob::new("x"))
        .send()
        .await
        .unwrap();
    let decrypted = west
        .decrypt()
        .ciphertext_blob(sealed.ciphertext_blob().unwrap().clone())
        .send()
        .await
        .unwrap();
    let last = |c: aws_sdk_kms::Client| {
        let id = id.clone();
        async move {
            let out = c.get_key_last_usage().key_id(id).send().await.unwrap();
            let usage = out.key_last_usage().unwrap();
            (
                usage.operation().cloned(),
                usage.kms_request_id().map(str::to_owned),
            )
        }
    };
    assert_eq!(
        last(east.clone()).await,
        (
            Some(Tracked::Encrypt),
            sealed.request_id().map(str::to_owned)
        )
    );
    assert_eq!(
        last(west.clone()).await,
        (
            Some(Tracked::Decrypt),
            decrypted.request_id().map(str::to_owned)
        )
    );
    server.shutdown().await;

    let server = durable_server(&dir, 8).await;
    let east = client(&server);
    assert_eq!(
        last(east).await,
        (
            Some(Tracked::Encrypt),
            sealed.request_id().map(str::to_owned)
        )
    );
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn sign_and_generate_mac_are_uses_too() {
    let (server, client) = setup().await;
    let signing = client
        .create_key()
        .key_spec(aws_sdk_kms::types::KeySpec::EccNistP256)
        .key_usage(aws_sdk_kms::types::KeyUsageType::SignVerify)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id()
        .to_owned();
    let signed = client
        .sign()
        .key_id(&signing)
        .message(Blob::new("m"))
        .signing_algorithm(aws_sdk_kms::types::SigningAlgorithmSpec::EcdsaSha256)
        .send()
        .await
        .unwrap();
    let mac_key = client
        .create_key()
        .key_spec(aws_sdk_kms::types::KeySpec::Hmac256)
        .key_usage(aws_sdk_kms::types::KeyUsageType::GenerateVerifyMac)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id()
        .to_owned();
    let mac = client
        .generate_mac()
        .key_id(&mac_key)
        .message(Blob::new("m"))
        .mac_algorithm(aws_sdk_kms::types::MacAlgorithmSpec::HmacSha256)
        .send()
        .await
        .unwrap();
    for (key, op, request) in [
        (&signing, Tracked::Sign, signed.request_id()),
        (&mac_key, Tracked::GenerateMac, mac.request_id()),
    ] {
        let out = client
            .get_key_last_usage()
            .key_id(key)
            .send()
            .await
            .unwrap();
        let usage = out.key_last_usage().unwrap();
        assert_eq!(usage.operation(), Some(&op));
        assert_eq!(usage.kms_request_id(), request);
        assert!(usage.timestamp().is_some() && usage.cloud_trail_event_id().is_some());
    }
    server.shutdown().await;
}
