//! Multi-Region primary keys through the official `aws-sdk-kms` client: CreateKey with
//! `MultiRegion=true` (an `mrk-` key ID, `MultiRegionConfiguration`), its ciphertexts, its
//! place in ListKeys, and its survival across a restart.

mod common;

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeySpec, KeyUsageType, MacAlgorithmSpec, MultiRegionKeyType};
use aws_sdk_kms::Client;
use common::*;

fn is_mrk_id(id: &str) -> bool {
    id.strip_prefix("mrk-").is_some_and(|hex| {
        hex.len() == 32
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

async fn create_multi_region_key(client: &Client) -> aws_sdk_kms::types::KeyMetadata {
    client
        .create_key()
        .multi_region(true)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
}

#[tokio::test]
async fn a_multi_region_key_is_a_primary_with_an_mrk_id() {
    let (server, client) = setup().await;
    let md = create_multi_region_key(&client).await;
    let id = md.key_id();
    assert!(is_mrk_id(id), "{id}");
    assert_eq!(
        md.arn(),
        Some(key_arn(REGION, DEFAULT_ACCOUNT, id).as_str())
    );
    assert_eq!(md.multi_region(), Some(true));
    let config = md
        .multi_region_configuration()
        .expect("MultiRegionConfiguration");
    assert_eq!(
        config.multi_region_key_type(),
        Some(&MultiRegionKeyType::Primary)
    );
    let primary = config.primary_key().unwrap();
    assert_eq!(primary.arn(), md.arn());
    assert_eq!(primary.region(), Some(REGION));
    assert!(config.replica_keys().is_empty());

    // DescribeKey by ID and by ARN says the same.
    for name in [id.to_owned(), md.arn().unwrap().to_owned()] {
        let described = client
            .describe_key()
            .key_id(&name)
            .send()
            .await
            .unwrap()
            .key_metadata
            .unwrap();
        assert_eq!(described.multi_region_configuration(), Some(config));
    }
    // A single-Region key has neither.
    let single = client
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(single.multi_region(), Some(false));
    assert!(single.multi_region_configuration().is_none());
    assert!(!single.key_id().starts_with("mrk-"));

    // ListKeys lists both and pages past an mrk- ID.
    let first = client.list_keys().limit(1).send().await.unwrap();
    assert!(first.truncated());
    let rest = client
        .list_keys()
        .marker(first.next_marker().unwrap())
        .send()
        .await
        .unwrap();
    let mut ids: Vec<&str> = first
        .keys()
        .iter()
        .chain(rest.keys())
        .filter_map(|k| k.key_id())
        .collect();
    ids.sort_unstable();
    let mut expected = vec![id, single.key_id()];
    expected.sort_unstable();
    assert_eq!(ids, expected);
    server.shutdown().await;
}

#[tokio::test]
async fn multi_region_keys_encrypt_and_mac_and_their_ciphertexts_name_them() {
    let (server, client) = setup().await;
    let md = create_multi_region_key(&client).await;
    let sealed = client
        .encrypt()
        .key_id(md.key_id())
        .plaintext(Blob::new("across Regions"))
        .send()
        .await
        .unwrap();
    assert_eq!(sealed.key_id(), md.arn());
    let blob = sealed.ciphertext_blob().unwrap().as_ref().to_vec();
    let opened = client
        .decrypt()
        .ciphertext_blob(Blob::new(blob.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(opened.plaintext().unwrap().as_ref(), b"across Regions");
    assert_eq!(opened.key_id(), md.arn(), "the header names the mrk- key");
    // The header's format byte is part of the key's identity: as a single-Region blob it
    // names a UUID key with the same bytes, which does not exist.
    let mut flipped = blob;
    flipped[0] = 0x01;
    let (code, message) = expect_err(
        client
            .decrypt()
            .ciphertext_blob(Blob::new(flipped))
            .send()
            .await,
    );
    assert_eq!(code, "NotFoundException");
    assert!(!message.contains("mrk-"), "{message}");

    let hmac = client
        .create_key()
        .multi_region(true)
        .key_spec(KeySpec::Hmac256)
        .key_usage(KeyUsageType::GenerateVerifyMac)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert!(is_mrk_id(hmac.key_id()));
    let mac = client
        .generate_mac()
        .key_id(hmac.key_id())
        .mac_algorithm(MacAlgorithmSpec::HmacSha256)
        .message(Blob::new("m"))
        .send()
        .await
        .unwrap();
    let verified = client
        .verify_mac()
        .key_id(hmac.key_id())
        .mac_algorithm(MacAlgorithmSpec::HmacSha256)
        .message(Blob::new("m"))
        .mac(mac.mac().unwrap().clone())
        .send()
        .await
        .unwrap();
    assert!(verified.mac_valid());
    server.shutdown().await;
}

#[tokio::test]
async fn multi_region_keys_survive_a_restart() {
    let dir = std::env::temp_dir().join(format!("kms-mrk-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let server = durable_server(&dir, 9).await;
    let client = client(&server);
    let md = create_multi_region_key(&client).await;
    let sealed = client
        .encrypt()
        .key_id(md.key_id())
        .plaintext(Blob::new("kept"))
        .send()
        .await
        .unwrap();
    server.shutdown().await;

    let server = durable_server(&dir, 9).await;
    let client = common::client(&server);
    let described = client
        .describe_key()
        .key_id(md.key_id())
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(described.multi_region(), Some(true));
    assert_eq!(
        described.multi_region_configuration(),
        md.multi_region_configuration()
    );
    let opened = client
        .decrypt()
        .ciphertext_blob(sealed.ciphertext_blob().unwrap().clone())
        .send()
        .await
        .unwrap();
    assert_eq!(opened.plaintext().unwrap().as_ref(), b"kept");
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
