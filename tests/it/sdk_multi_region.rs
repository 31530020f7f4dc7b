//! Multi-Region keys through the official `aws-sdk-kms` client: CreateKey with
//! `MultiRegion=true` (an `mrk-` key ID, `MultiRegionConfiguration`), its ciphertexts, its
//! place in ListKeys; ReplicateKey and UpdatePrimaryRegion with clients in two Regions
//! (ciphertexts cross, rotations reach the replica), and a set's survival across a restart.

use crate::common;

use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    KeySpec, KeyState, KeyUsageType, MacAlgorithmSpec, MultiRegionKeyType, Tag,
};
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

async fn decrypt_text(client: &Client, blob: &Blob) -> Vec<u8> {
    client
        .decrypt()
        .ciphertext_blob(blob.clone())
        .send()
        .await
        .unwrap()
        .plaintext()
        .unwrap()
        .as_ref()
        .to_vec()
}

async fn encrypt_text(client: &Client, key_id: &str, text: &str) -> Blob {
    client
        .encrypt()
        .key_id(key_id)
        .plaintext(Blob::new(text))
        .send()
        .await
        .unwrap()
        .ciphertext_blob()
        .unwrap()
        .clone()
}

async fn state_of(client: &Client, key_id: &str) -> KeyState {
    client
        .describe_key()
        .key_id(key_id)
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .key_state()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_replica_in_another_region_shares_the_key_and_swaps_roles() {
    let (server, east) = setup().await;
    let west = client_for(&server, "AKIDEXAMPLE", OTHER_REGION);
    let md = create_multi_region_key(&east).await;
    let id = md.key_id();
    let out = east
        .replicate_key()
        .key_id(id)
        .replica_region(OTHER_REGION)
        .description("the west copy")
        .tags(
            Tag::builder()
                .tag_key("team")
                .tag_value("dr")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let replica = out.replica_key_metadata().unwrap();
    assert_eq!(replica.key_id(), id);
    assert_eq!(
        replica.arn(),
        Some(key_arn(OTHER_REGION, DEFAULT_ACCOUNT, id).as_str())
    );
    assert_eq!(replica.key_state(), Some(&KeyState::Creating));
    assert_eq!(replica.description(), Some("the west copy"));
    let config = replica.multi_region_configuration().unwrap();
    assert_eq!(
        config.multi_region_key_type(),
        Some(&MultiRegionKeyType::Replica)
    );
    assert_eq!(config.primary_key().unwrap().arn(), md.arn());
    let policy: serde_json::Value = serde_json::from_str(out.replica_policy().unwrap()).unwrap();
    assert_eq!(
        policy["Statement"][0]["Principal"]["AWS"],
        format!("arn:aws:iam::{DEFAULT_ACCOUNT}:root")
    );
    assert_eq!(out.replica_tags().len(), 1);
    assert_eq!(out.replica_tags()[0].tag_key(), "team");

    // Again into the same Region: AWS's AlreadyExistsException.
    let (code, message) = expect_err(
        east.replicate_key()
            .key_id(id)
            .replica_region(OTHER_REGION)
            .send()
            .await,
    );
    assert_eq!(code, "AlreadyExistsException");
    assert_eq!(
        message,
        "You can create only one replica of each primary key in each AWS Region."
    );

    // The next sweep (a clock step's, or the once-a-second one) ends Creating.
    advance_clock(&server, 2).await;
    assert_eq!(state_of(&west, id).await, KeyState::Enabled);
    let from_east = encrypt_text(&east, id, "written in us-east-1").await;
    assert_eq!(
        decrypt_text(&west, &from_east).await,
        b"written in us-east-1"
    );

    // A rotation of the primary reaches the replica.
    east.rotate_key_on_demand().key_id(id).send().await.unwrap();
    let rotated = encrypt_text(&east, id, "after rotation").await;
    assert_eq!(decrypt_text(&west, &rotated).await, b"after rotation");

    // UpdatePrimaryRegion: the west key is the primary, both Updating until the next sweep.
    east.update_primary_region()
        .key_id(id)
        .primary_region(OTHER_REGION)
        .send()
        .await
        .unwrap();
    assert!(matches!(
        state_of(&east, id).await,
        KeyState::Updating | KeyState::Enabled // the once-a-second sweep may come first
    ));
    advance_clock(&server, 2).await;
    assert_eq!(state_of(&east, id).await, KeyState::Enabled);
    let west_md = west
        .describe_key()
        .key_id(id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let config = west_md.multi_region_configuration().unwrap();
    assert_eq!(
        config.multi_region_key_type(),
        Some(&MultiRegionKeyType::Primary)
    );
    assert_eq!(config.replica_keys()[0].region(), Some(REGION));
    let from_west = encrypt_text(&west, id, "written in us-west-2").await;
    assert_eq!(
        decrypt_text(&east, &from_west).await,
        b"written in us-west-2"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_replica_set_survives_a_restart_and_keeps_rotating_together() {
    let dir = std::env::temp_dir().join(format!("kms-mrk-set-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let server = durable_server(&dir, 4).await;
    let east = client(&server);
    let id = create_multi_region_key(&east).await.key_id().to_owned();
    east.replicate_key()
        .key_id(&id)
        .replica_region(OTHER_REGION)
        .send()
        .await
        .unwrap();
    advance_clock(&server, 2).await;
    east.rotate_key_on_demand()
        .key_id(&id)
        .send()
        .await
        .unwrap();
    let before = encrypt_text(&east, &id, "before the restart").await;
    server.shutdown().await;

    let server = durable_server(&dir, 4).await;
    let (east, west) = (
        client(&server),
        client_for(&server, "AKIDEXAMPLE", OTHER_REGION),
    );
    assert_eq!(state_of(&west, &id).await, KeyState::Enabled);
    assert_eq!(decrypt_text(&west, &before).await, b"before the restart");
    east.rotate_key_on_demand()
        .key_id(&id)
        .send()
        .await
        .unwrap();
    let after = encrypt_text(&east, &id, "after the restart").await;
    assert_eq!(decrypt_text(&west, &after).await, b"after the restart");
    let rotations = |c: Client| {
        let id = id.clone();
        async move {
            c.list_key_rotations()
                .key_id(id)
                .send()
                .await
                .unwrap()
                .rotations()
                .iter()
                .map(|r| r.key_material_id().unwrap_or_default().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let (east_list, west_list) = (rotations(east.clone()).await, rotations(west.clone()).await);
    assert_eq!(east_list.len(), 2);
    assert_eq!(east_list, west_list);
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_primary_with_a_replica_waits_for_its_deletion() {
    let (server, east) = setup().await;
    let west = client_for(&server, "AKIDEXAMPLE", OTHER_REGION);
    let id = create_multi_region_key(&east).await.key_id().to_owned();
    east.replicate_key()
        .key_id(&id)
        .replica_region(OTHER_REGION)
        .send()
        .await
        .unwrap();
    advance_clock(&server, 2).await;
    let scheduled = east
        .schedule_key_deletion()
        .key_id(&id)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    assert_eq!(
        scheduled.key_state(),
        Some(&KeyState::PendingReplicaDeletion)
    );
    assert!(scheduled.deletion_date().is_none());
    let md = east
        .describe_key()
        .key_id(&id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(md.pending_deletion_window_in_days(), Some(7));
    west.schedule_key_deletion()
        .key_id(&id)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    advance_clock(&server, 7 * 86_400).await;
    let (code, _) = expect_err(west.describe_key().key_id(&id).send().await);
    assert_eq!(code, "NotFoundException");
    let md = east
        .describe_key()
        .key_id(&id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(md.key_state(), Some(&KeyState::PendingDeletion));
    assert!(md.deletion_date().is_some());
    assert!(
        md.multi_region_configuration()
            .unwrap()
            .replica_keys()
            .is_empty()
    );
    advance_clock(&server, 7 * 86_400).await;
    let (code, _) = expect_err(east.describe_key().key_id(&id).send().await);
    assert_eq!(code, "NotFoundException");
    server.shutdown().await;
}
