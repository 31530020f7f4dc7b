//! Durable storage: state survives a restart, key material is not readable on disk, a wrong
//! root key is refused without touching anything, a failed store write changes nothing, reset
//! empties the store, and seeding from local-kms's YAML.

use crate::common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use aws_sdk_kms::primitives::Blob;
use common::*;
use kms_emulator::store::Store;
use kms_emulator::store::root_key::RootKey;
use kms_emulator::{Config, RunningServer};

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kms-store-{tag}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn root() -> RootKey {
    RootKey::from_bytes(&[42u8; 32])
}

/// A server over a store in `dir`; the store handle is returned for failure injection.
async fn durable_server(dir: &Path) -> (RunningServer, Arc<Store>) {
    let store = Arc::new(Store::open(dir, root()).unwrap());
    let kms = kms_api::Kms::builder().persistence(store.clone()).build();
    store.restore_into(&kms).unwrap();
    let config = Config {
        data_dir: Some(dir.to_owned()),
        ..Config::default()
    };
    (
        kms_emulator::start(config, kms, "127.0.0.1:0")
            .await
            .unwrap(),
        store,
    )
}

#[tokio::test]
async fn everything_acknowledged_survives_a_restart() {
    let dir = temp_dir("restart");
    let (server, store) = durable_server(&dir).await;
    let client = client(&server);
    let key_id = create_key(&client).await;
    client
        .create_alias()
        .alias_name("alias/kept")
        .target_key_id(&key_id)
        .send()
        .await
        .unwrap();
    client
        .tag_resource()
        .key_id(&key_id)
        .tags(
            aws_sdk_kms::types::Tag::builder()
                .tag_key("team")
                .tag_value("a")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let before = client
        .encrypt()
        .key_id("alias/kept")
        .plaintext(Blob::new("v1"))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    client
        .rotate_key_on_demand()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    client
        .enable_key_rotation()
        .key_id(&key_id)
        .rotation_period_in_days(180)
        .send()
        .await
        .unwrap();
    let after = client
        .encrypt()
        .key_id(&key_id)
        .plaintext(Blob::new("v2"))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    let doomed = create_key(&client).await;
    client
        .schedule_key_deletion()
        .key_id(&doomed)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    let described = client
        .describe_key()
        .key_id(&key_id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    server.shutdown().await;
    drop(store);

    let (server, _store) = durable_server(&dir).await;
    let client = common::client(&server);
    let again = client
        .describe_key()
        .key_id("alias/kept")
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(again.key_id, described.key_id);
    assert_eq!(
        again.current_key_material_id,
        described.current_key_material_id
    );
    assert_eq!(again.creation_date, described.creation_date);
    for (blob, text) in [(before, "v1"), (after, "v2")] {
        let out = client.decrypt().ciphertext_blob(blob).send().await.unwrap();
        assert_eq!(out.plaintext.unwrap().as_ref(), text.as_bytes());
    }
    let status = client
        .get_key_rotation_status()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    assert_eq!(status.rotation_period_in_days, Some(180));
    let tags = client
        .list_resource_tags()
        .key_id(&key_id)
        .send()
        .await
        .unwrap()
        .tags
        .unwrap();
    assert_eq!(tags[0].tag_key, "team");
    let pending = client
        .describe_key()
        .key_id(&doomed)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(pending.key_state.unwrap().as_str(), "PendingDeletion");
    server.shutdown().await;
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn key_material_on_disk_is_wrapped() {
    let dir = temp_dir("grep");
    let seed = dir.join("seed.yaml");
    let material = "5cdaead27fe7da2de47945d73cd6d79e36494e73802f3cd3869f1d2cb0b5d7a9";
    std::fs::write(
        &seed,
        format!("Keys:\n  Symmetric:\n    Aes:\n      - Metadata:\n          KeyId: bc436485-5092-42b8-92a3-0aa8b93536dc\n        BackingKeys:\n          - {material}\n"),
    )
    .unwrap();
    let data = dir.join("data");
    let store = Store::open(&data, root()).unwrap();
    let kms = kms_api::Kms::builder().build();
    let scope = kms_api::Scope::new("111122223333", "us-east-1");
    let out = kms_emulator::store::seed::apply(&seed, &kms, Some(&store), &scope).unwrap();
    assert_eq!(out.keys_added, 1);
    drop(store);
    let raw: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&material[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    for entry in std::fs::read_dir(&data).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!contains(&bytes, &raw), "raw material on disk");
        assert!(
            !contains(&bytes, material.as_bytes()),
            "hex material on disk"
        );
        let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &raw);
        assert!(!contains(&bytes, b64.as_bytes()), "base64 material on disk");
    }
    // And the seeded key is there after reopening, with its exact material: a ciphertext made
    // by one engine decrypts in another loaded from disk.
    let store = Store::open(&data, root()).unwrap();
    let reloaded = kms_api::Kms::new();
    store.restore_into(&reloaded).unwrap();
    let blob = kms
        .encrypt(
            &scope,
            kms_api::wire::crypto::EncryptRequest {
                key_id: Some("bc436485-5092-42b8-92a3-0aa8b93536dc".into()),
                plaintext: Some(b"seeded".to_vec().into()),
                ..Default::default()
            },
        )
        .unwrap()
        .ciphertext_blob;
    let opened = reloaded
        .decrypt(
            &scope,
            kms_api::wire::crypto::DecryptRequest {
                ciphertext_blob: blob,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(opened.plaintext.unwrap().expose(), b"seeded");
    std::fs::remove_dir_all(dir).ok();
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn a_wrong_root_key_is_refused_and_touches_nothing() {
    let dir = temp_dir("wrongkey");
    let store = Store::open(&dir, root()).unwrap();
    let kms = kms_api::Kms::builder().persistence(Arc::new(store)).build();
    kms.create_key(
        &kms_api::Scope::new("111122223333", "us-east-1"),
        Default::default(),
    )
    .unwrap();
    drop(kms);
    let listing = |dir: &Path| {
        let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let p = e.unwrap().path();
                (p.display().to_string(), std::fs::read(&p).unwrap())
            })
            .collect();
        v.sort();
        v
    };
    let before = listing(&dir);
    let err = Store::open(&dir, RootKey::from_bytes(&[7u8; 32])).unwrap_err();
    assert!(err.contains("root key does not match"), "{err}");
    assert_eq!(listing(&dir), before, "nothing on disk changed");
    assert_eq!(Store::open(&dir, root()).unwrap().key_count().unwrap(), 1);
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn a_failed_store_write_changes_neither_memory_nor_disk() {
    let dir = temp_dir("fail");
    let (server, store) = durable_server(&dir).await;
    let client = client(&server);
    let key_id = create_key(&client).await;
    store.set_fail_writes(true);
    assert_err(
        client.create_key().send().await,
        "KMSInternalException",
        "An internal error occurred.",
    );
    let raw = kms_call(
        &server,
        "DisableKey",
        format!(r#"{{"KeyId":"{key_id}"}}"#).as_bytes(),
    )
    .await;
    assert_eq!(raw.status, 500);
    assert_eq!(raw.json()["__type"], "KMSInternalException");
    assert!(
        client
            .create_alias()
            .alias_name("alias/x")
            .target_key_id(&key_id)
            .send()
            .await
            .is_err()
    );
    // Memory is unchanged...
    assert_eq!(
        client.list_keys().send().await.unwrap().keys.unwrap().len(),
        1
    );
    let meta = client
        .describe_key()
        .key_id(&key_id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert!(meta.enabled);
    assert!(
        client
            .list_aliases()
            .send()
            .await
            .unwrap()
            .aliases
            .unwrap()
            .iter()
            .all(|a| a.target_key_id.is_none())
    );
    // ...crypto still works (it never touches the store)...
    client
        .encrypt()
        .key_id(&key_id)
        .plaintext(Blob::new("x"))
        .send()
        .await
        .unwrap();
    store.set_fail_writes(false);
    server.shutdown().await;
    drop(store);
    // ...and so is the disk.
    let (server, _store) = durable_server(&dir).await;
    let client = common::client(&server);
    assert_eq!(
        client.list_keys().send().await.unwrap().keys.unwrap().len(),
        1
    );
    assert!(
        client
            .describe_key()
            .key_id(&key_id)
            .send()
            .await
            .unwrap()
            .key_metadata
            .unwrap()
            .enabled
    );
    server.shutdown().await;
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn reset_empties_the_store() {
    let dir = temp_dir("reset");
    let (server, store) = durable_server(&dir).await;
    let client = client(&server);
    create_key(&client).await;
    let resp = http_request(&server, "POST", "/_kms/reset", &[], b"").await;
    assert_eq!(resp.status, 200);
    assert_eq!(store.key_count().unwrap(), 0);
    let health = http_request(&server, "GET", "/_kms/health", &[], b"")
        .await
        .json();
    assert_eq!(health["storage"], dir.display().to_string());
    server.shutdown().await;
    std::fs::remove_dir_all(dir).ok();
}
