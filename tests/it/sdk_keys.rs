//! Key lifecycle through the official `aws-sdk-kms` client: CreateKey, DescribeKey, ListKeys,
//! UpdateKeyDescription, EnableKey/DisableKey, ScheduleKeyDeletion/CancelKeyDeletion, lookup
//! errors, and account/Region scoping.

use crate::common;

use std::collections::{BTreeSet, HashSet};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_kms::types::{
    EncryptionAlgorithmSpec, KeyManagerType, KeySpec, KeyState, KeyUsageType, OriginType, Tag,
};
use common::*;

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().tag_key(k).tag_value(v).build().unwrap()
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.chars().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit() && !c.is_ascii_uppercase(),
        })
}

#[tokio::test]
async fn create_key_returns_aws_default_metadata() {
    let (server, client) = setup().await;
    let before = now_secs();
    let out = client.create_key().send().await.unwrap();
    let md = out.key_metadata().unwrap();
    let id = md.key_id();
    assert!(is_uuid(id), "KeyId {id} is not a lowercase UUID");
    assert_eq!(md.aws_account_id(), Some(DEFAULT_ACCOUNT));
    assert_eq!(
        md.arn(),
        Some(key_arn(REGION, DEFAULT_ACCOUNT, id).as_str())
    );
    let created = md.creation_date().unwrap().secs();
    assert!(
        created >= before - 5 && created <= now_secs() + 5,
        "CreationDate {created} is not now"
    );
    assert!(md.enabled());
    assert_eq!(md.description(), Some(""));
    assert_eq!(md.key_usage(), Some(&KeyUsageType::EncryptDecrypt));
    assert_eq!(md.key_state(), Some(&KeyState::Enabled));
    assert_eq!(md.origin(), Some(&OriginType::AwsKms));
    assert_eq!(md.key_manager(), Some(&KeyManagerType::Customer));
    assert_eq!(md.key_spec(), Some(&KeySpec::SymmetricDefault));
    #[allow(deprecated)]
    let cmk_spec = md.customer_master_key_spec().map(|s| s.as_str().to_owned());
    assert_eq!(cmk_spec.as_deref(), Some("SYMMETRIC_DEFAULT"));
    assert_eq!(
        md.encryption_algorithms(),
        &[EncryptionAlgorithmSpec::SymmetricDefault]
    );
    assert!(md.signing_algorithms().is_empty());
    assert!(md.mac_algorithms().is_empty());
    assert_eq!(md.multi_region(), Some(false));
    assert!(md.multi_region_configuration().is_none());
    assert!(md.deletion_date().is_none());
    let material = md.current_key_material_id().expect("CurrentKeyMaterialId");
    assert!(!material.is_empty());
    server.shutdown().await;
}

/// The raw KeyMetadata has exactly the members AWS returns for a symmetric key.
#[tokio::test]
async fn create_key_metadata_has_exactly_aws_members() {
    let server = start_server().await;
    let resp = kms_call(&server, "CreateKey", b"{}").await;
    assert_eq!(resp.status, 200);
    let json = resp.json();
    let md = json["KeyMetadata"].as_object().expect("KeyMetadata object");
    let keys: BTreeSet<&str> = md.keys().map(String::as_str).collect();
    let expected: BTreeSet<&str> = [
        "AWSAccountId",
        "Arn",
        "CreationDate",
        "CurrentKeyMaterialId",
        "CustomerMasterKeySpec",
        "Description",
        "Enabled",
        "EncryptionAlgorithms",
        "KeyId",
        "KeyManager",
        "KeySpec",
        "KeyState",
        "KeyUsage",
        "MultiRegion",
        "Origin",
    ]
    .into_iter()
    .collect();
    assert_eq!(keys, expected);
    assert_eq!(md["MultiRegion"], serde_json::json!(false));
    assert_eq!(
        md["EncryptionAlgorithms"],
        serde_json::json!(["SYMMETRIC_DEFAULT"])
    );
    assert!(
        md["CreationDate"].is_number(),
        "CreationDate is epoch seconds"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn create_key_with_description_tags_and_policy() {
    let (server, client) = setup().await;
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"x","Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"*"}]}"#;
    let out = client
        .create_key()
        .description("app key")
        .tags(tag("team", "a"))
        .tags(tag("env", "test"))
        .policy(policy)
        .send()
        .await
        .unwrap();
    let md = out.key_metadata().unwrap();
    assert_eq!(md.description(), Some("app key"));
    let id = md.key_id().to_owned();

    let described = client.describe_key().key_id(&id).send().await.unwrap();
    assert_eq!(
        described.key_metadata().unwrap().description(),
        Some("app key")
    );

    let tags = client
        .list_resource_tags()
        .key_id(&id)
        .send()
        .await
        .unwrap();
    let pairs: Vec<(&str, &str)> = tags
        .tags()
        .iter()
        .map(|t| (t.tag_key(), t.tag_value()))
        .collect();
    assert_eq!(pairs, vec![("team", "a"), ("env", "test")]);

    let got = client
        .get_key_policy()
        .key_id(&id)
        .policy_name("default")
        .send()
        .await
        .unwrap();
    assert_eq!(got.policy(), Some(policy));
    server.shutdown().await;
}

#[tokio::test]
async fn create_key_invalid_key_usage_is_validation_error() {
    let (server, client) = setup().await;
    let (code, message) = expect_err(
        client
            .create_key()
            .key_usage(KeyUsageType::from("RANDOM"))
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    let prefix = "1 validation error detected: Value 'RANDOM' at 'keyUsage' failed to satisfy constraint: Member must satisfy enum value set: [";
    assert!(message.starts_with(prefix), "{message}");
    assert!(
        message.starts_with(&format!(
            "{prefix}ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC"
        )),
        "AWS lists ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC first: {message}"
    );
    assert!(message.ends_with(']'), "{message}");
    let listed: BTreeSet<&str> = message[prefix.len()..message.len() - 1]
        .split(", ")
        .collect();
    let model: BTreeSet<&str> = KeyUsageType::values().iter().copied().collect();
    assert_eq!(
        listed, model,
        "the enum set must be the API model's KeyUsageType"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn create_key_invalid_key_spec_is_validation_error() {
    let (server, client) = setup().await;
    let (code, message) = expect_err(
        client
            .create_key()
            .key_spec(KeySpec::from("HMAC_random"))
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    let prefix = "1 validation error detected: Value 'HMAC_random' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [";
    assert!(message.starts_with(prefix), "{message}");
    assert!(
        message.starts_with(&format!("{prefix}RSA_2048, ECC_NIST_P384, ECC_NIST_P256, ECC_NIST_P521, HMAC_384, RSA_3072, ECC_SECG_P256K1, RSA_4096, SYMMETRIC_DEFAULT, HMAC_256, HMAC_224, HMAC_512")),
        "{message}"
    );
    assert!(message.ends_with(']'), "{message}");
    let listed: BTreeSet<&str> = message[prefix.len()..message.len() - 1]
        .split(", ")
        .collect();
    // SM2 is offered only in the China Regions, so us-east-1's set is the model's without it.
    let model: BTreeSet<&str> = KeySpec::values()
        .iter()
        .copied()
        .filter(|s| *s != "SM2")
        .collect();
    assert_eq!(
        listed, model,
        "the enum set must be the API model's KeySpec in this Region"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn create_key_hmac_without_usage_needs_key_usage() {
    let (server, client) = setup().await;
    assert_err(
        client.create_key().key_spec(KeySpec::Hmac256).send().await,
        "ValidationException",
        "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.",
    );
    server.shutdown().await;
}

#[tokio::test]
async fn create_key_sm2_outside_china_is_not_in_the_regions_enum() {
    let (server, client) = setup().await;
    let (code, message) = expect_err(
        client
            .create_key()
            .key_spec(KeySpec::Sm2)
            .key_usage(KeyUsageType::SignVerify)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(
        message.starts_with(
            "1 validation error detected: Value 'SM2' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: ["
        ),
        "{message}"
    );
    assert!(!message.contains(", SM2"), "{message}");
    // Nothing was created.
    let keys = client.list_keys().send().await.unwrap();
    assert!(keys.keys().is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn describe_key_by_id_arn_alias_name_and_alias_arn() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    let arn = key_arn(REGION, DEFAULT_ACCOUNT, &id);
    client
        .create_alias()
        .alias_name("alias/app")
        .target_key_id(&id)
        .send()
        .await
        .unwrap();
    for key_id in [
        id.clone(),
        arn.clone(),
        "alias/app".to_owned(),
        alias_arn(REGION, DEFAULT_ACCOUNT, "alias/app"),
    ] {
        let out = client.describe_key().key_id(&key_id).send().await.unwrap();
        let md = out.key_metadata().unwrap();
        assert_eq!(md.key_id(), id, "via {key_id}");
        assert_eq!(md.arn(), Some(arn.as_str()), "via {key_id}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn list_keys_pages_through_every_key_once() {
    let (server, client) = setup().await;
    let mut created = HashSet::new();
    for _ in 0..5 {
        created.insert(create_key(&client).await);
    }
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    let mut pages = 0;
    loop {
        let out = client
            .list_keys()
            .limit(2)
            .set_marker(marker.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        for k in out.keys() {
            let id = k.key_id().unwrap().to_owned();
            assert_eq!(
                k.key_arn(),
                Some(key_arn(REGION, DEFAULT_ACCOUNT, &id).as_str())
            );
            seen.push(id);
        }
        if pages < 3 {
            assert_eq!(out.keys().len(), 2, "page {pages}");
            assert!(out.truncated(), "page {pages} is truncated");
            assert!(out.next_marker().is_some(), "page {pages} has a NextMarker");
            marker = out.next_marker().map(str::to_owned);
        } else {
            assert_eq!(out.keys().len(), 1, "last page");
            assert!(!out.truncated(), "last page is not truncated");
            assert_eq!(out.next_marker(), None);
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 5);
    let seen_set: HashSet<String> = seen.into_iter().collect();
    assert_eq!(seen_set, created);
    server.shutdown().await;
}

#[tokio::test]
async fn list_keys_without_limit_returns_all_untruncated() {
    let (server, client) = setup().await;
    let a = create_key(&client).await;
    let b = create_key(&client).await;
    let out = client.list_keys().send().await.unwrap();
    let ids: HashSet<&str> = out.keys().iter().filter_map(|k| k.key_id()).collect();
    assert_eq!(ids, HashSet::from([a.as_str(), b.as_str()]));
    assert!(!out.truncated());
    assert_eq!(out.next_marker(), None);
    server.shutdown().await;
}

#[tokio::test]
async fn update_key_description_replaces_it() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    client
        .update_key_description()
        .key_id(&id)
        .description("new text")
        .send()
        .await
        .unwrap();
    let md = client.describe_key().key_id(&id).send().await.unwrap();
    assert_eq!(md.key_metadata().unwrap().description(), Some("new text"));
    server.shutdown().await;
}

#[tokio::test]
async fn disable_and_enable_key() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    client.disable_key().key_id(&id).send().await.unwrap();
    let md = client.describe_key().key_id(&id).send().await.unwrap();
    let md = md.key_metadata().unwrap();
    assert!(!md.enabled());
    assert_eq!(md.key_state(), Some(&KeyState::Disabled));

    client.enable_key().key_id(&id).send().await.unwrap();
    let md = client.describe_key().key_id(&id).send().await.unwrap();
    let md = md.key_metadata().unwrap();
    assert!(md.enabled());
    assert_eq!(md.key_state(), Some(&KeyState::Enabled));
    server.shutdown().await;
}

#[tokio::test]
async fn schedule_key_deletion_defaults_to_30_days() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    let arn = key_arn(REGION, DEFAULT_ACCOUNT, &id);
    let before = now_secs();
    let out = client
        .schedule_key_deletion()
        .key_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(out.key_id(), Some(arn.as_str()));
    assert_eq!(out.key_state(), Some(&KeyState::PendingDeletion));
    assert_eq!(out.pending_window_in_days(), Some(30));
    let when = out.deletion_date().unwrap().secs();
    let expected = before + 30 * 86_400;
    assert!(
        (expected - 5..=now_secs() + 30 * 86_400 + 5).contains(&when),
        "DeletionDate {when} is not 30 days out"
    );

    let md = client.describe_key().key_id(&id).send().await.unwrap();
    let md = md.key_metadata().unwrap();
    assert!(!md.enabled());
    assert_eq!(md.key_state(), Some(&KeyState::PendingDeletion));
    assert_eq!(md.deletion_date().map(|d| d.secs()), Some(when));
    server.shutdown().await;
}

#[tokio::test]
async fn schedule_key_deletion_with_7_days() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    let before = now_secs();
    let out = client
        .schedule_key_deletion()
        .key_id(&id)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.key_id(),
        Some(key_arn(REGION, DEFAULT_ACCOUNT, &id).as_str())
    );
    assert_eq!(out.pending_window_in_days(), Some(7));
    assert_eq!(out.key_state(), Some(&KeyState::PendingDeletion));
    let when = out.deletion_date().unwrap().secs();
    assert!(
        (before + 7 * 86_400 - 5..=now_secs() + 7 * 86_400 + 5).contains(&when),
        "DeletionDate {when} is not 7 days out"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn schedule_key_deletion_window_out_of_range() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    assert_err(
        client
            .schedule_key_deletion()
            .key_id(&id)
            .pending_window_in_days(6)
            .send()
            .await,
        "ValidationException",
        "1 validation error detected: Value '6' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value greater than or equal to 7",
    );
    assert_err(
        client
            .schedule_key_deletion()
            .key_id(&id)
            .pending_window_in_days(31)
            .send()
            .await,
        "ValidationException",
        "1 validation error detected: Value '31' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value less than or equal to 30",
    );
    // The key is untouched.
    let md = client.describe_key().key_id(&id).send().await.unwrap();
    assert_eq!(
        md.key_metadata().unwrap().key_state(),
        Some(&KeyState::Enabled)
    );
    server.shutdown().await;
}

#[tokio::test]
async fn schedule_key_deletion_twice_is_invalid_state() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    client
        .schedule_key_deletion()
        .key_id(&id)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    assert_err(
        client
            .schedule_key_deletion()
            .key_id(&id)
            .pending_window_in_days(7)
            .send()
            .await,
        "KMSInvalidStateException",
        &format!(
            "{} is pending deletion.",
            key_arn(REGION, DEFAULT_ACCOUNT, &id)
        ),
    );
    server.shutdown().await;
}

#[tokio::test]
async fn cancel_key_deletion_leaves_key_disabled() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    let arn = key_arn(REGION, DEFAULT_ACCOUNT, &id);
    client
        .schedule_key_deletion()
        .key_id(&id)
        .send()
        .await
        .unwrap();
    let out = client
        .cancel_key_deletion()
        .key_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(out.key_id(), Some(arn.as_str()));
    let md = client.describe_key().key_id(&id).send().await.unwrap();
    let md = md.key_metadata().unwrap();
    assert_eq!(md.key_state(), Some(&KeyState::Disabled));
    assert!(!md.enabled());
    assert!(md.deletion_date().is_none());
    server.shutdown().await;
}

#[tokio::test]
async fn cancel_key_deletion_when_not_pending_is_invalid_state() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    let (code, message) = expect_err(client.cancel_key_deletion().key_id(&id).send().await);
    assert_eq!(code, "KMSInvalidStateException");
    assert!(
        message.contains(&key_arn(REGION, DEFAULT_ACCOUNT, &id)),
        "{message}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn enable_key_pending_deletion_is_invalid_state() {
    let (server, client) = setup().await;
    let id = create_key(&client).await;
    client
        .schedule_key_deletion()
        .key_id(&id)
        .send()
        .await
        .unwrap();
    assert_err(
        client.enable_key().key_id(&id).send().await,
        "KMSInvalidStateException",
        &format!(
            "{} is pending deletion.",
            key_arn(REGION, DEFAULT_ACCOUNT, &id)
        ),
    );
    server.shutdown().await;
}

#[tokio::test]
async fn missing_key_not_found_texts() {
    let (server, client) = setup().await;
    let id = "11111111-2222-4333-8444-555555555555";
    let arn = key_arn(REGION, DEFAULT_ACCOUNT, id);
    let expected = format!("Key '{arn}' does not exist");
    assert_err(
        client.describe_key().key_id(id).send().await,
        "NotFoundException",
        &expected,
    );
    assert_err(
        client.describe_key().key_id(&arn).send().await,
        "NotFoundException",
        &expected,
    );
    assert_err(
        client.describe_key().key_id("fake-key-id").send().await,
        "NotFoundException",
        "Invalid keyId 'fake-key-id'",
    );
    assert_err(
        client
            .describe_key()
            .key_id("134f2428cec14b25a1ae9048164dba47")
            .send()
            .await,
        "NotFoundException",
        "Invalid keyId '134f2428cec14b25a1ae9048164dba47'",
    );
    assert_err(
        client.enable_key().key_id(id).send().await,
        "NotFoundException",
        &expected,
    );
    server.shutdown().await;
}

#[tokio::test]
async fn keys_are_scoped_to_their_region() {
    let server = start_server().await;
    let west = client_for(&server, "AKIDEXAMPLE", OTHER_REGION);
    let east = client_for(&server, "AKIDEXAMPLE", REGION);
    let out = west.create_key().send().await.unwrap();
    let md = out.key_metadata().unwrap();
    let id = md.key_id().to_owned();
    let west_arn = key_arn(OTHER_REGION, DEFAULT_ACCOUNT, &id);
    assert_eq!(md.arn(), Some(west_arn.as_str()));

    // Bare ID from the other Region: not found, named with the caller's Region.
    assert_err(
        east.describe_key().key_id(&id).send().await,
        "NotFoundException",
        &format!(
            "Key '{}' does not exist",
            key_arn(REGION, DEFAULT_ACCOUNT, &id)
        ),
    );
    // An ARN naming another Region.
    assert_err(
        east.describe_key().key_id(&west_arn).send().await,
        "NotFoundException",
        "Invalid arn us-west-2",
    );
    assert!(east.list_keys().send().await.unwrap().keys().is_empty());
    let west_keys = west.list_keys().send().await.unwrap();
    assert_eq!(west_keys.keys().len(), 1);
    assert_eq!(west_keys.keys()[0].key_id(), Some(id.as_str()));
    server.shutdown().await;
}

#[tokio::test]
async fn keys_are_scoped_to_their_account() {
    let server = start_server().await;
    let mine = client(&server);
    let theirs = client_for(&server, OTHER_ACCOUNT, REGION);
    let id = create_key(&mine).await;

    assert!(theirs.list_keys().send().await.unwrap().keys().is_empty());
    assert_err(
        theirs.describe_key().key_id(&id).send().await,
        "NotFoundException",
        &format!(
            "Key '{}' does not exist",
            key_arn(REGION, OTHER_ACCOUNT, &id)
        ),
    );

    // A key created by the other account carries that account.
    let out = theirs.create_key().send().await.unwrap();
    let md = out.key_metadata().unwrap();
    assert_eq!(md.aws_account_id(), Some(OTHER_ACCOUNT));
    assert_eq!(
        md.arn(),
        Some(key_arn(REGION, OTHER_ACCOUNT, md.key_id()).as_str())
    );
    let listed = mine.list_keys().send().await.unwrap();
    assert_eq!(listed.keys().len(), 1);
    assert_eq!(listed.keys()[0].key_id(), Some(id.as_str()));
    server.shutdown().await;
}
