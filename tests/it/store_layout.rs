//! The store's layout: a rotation writes one material row (not the key's whole history), a
//! store in the layout before material rows is upgraded on open without losing anything, a
//! refused commit leaves no AWS managed key without its alias, and emulated time never moves
//! back across a restart.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kms_api::key::snapshot::{KeySnapshot, RotationSnapshot};
use kms_api::wire::crypto::{DecryptRequest, EncryptRequest};
use kms_api::wire::keys::KeyIdRequest;
use kms_api::wire::rotation::ListKeyRotationsRequest;
use kms_api::{Kms, Scope, SystemClock};
use kms_emulator::store::Store;
use kms_emulator::store::root_key::RootKey;

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kms-layout-{tag}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn root() -> RootKey {
    RootKey::from_bytes(&[7u8; 32])
}

fn scope() -> Scope {
    Scope::new("111122223333", "us-east-1")
}

/// An engine over the store in `dir`, with everything stored restored.
fn open(dir: &Path) -> (Kms, Arc<Store>) {
    let store = Arc::new(Store::open(dir, root()).unwrap());
    let offset = store.start_clock_offset(0).unwrap();
    let kms = Kms::builder()
        .persistence(store.clone())
        .clock(Arc::new(SystemClock::with_offset_seconds(offset)))
        .build();
    store.restore_into(&kms).unwrap();
    (kms, store)
}

fn encrypt(kms: &Kms, key: &str, text: &[u8]) -> Vec<u8> {
    kms.encrypt(
        &scope(),
        EncryptRequest {
            key_id: Some(key.into()),
            plaintext: Some(text.to_vec().into()),
            ..Default::default()
        },
    )
    .unwrap()
    .ciphertext_blob
    .unwrap()
}

fn decrypt(kms: &Kms, blob: Vec<u8>) -> Vec<u8> {
    kms.decrypt(
        &scope(),
        DecryptRequest {
            ciphertext_blob: Some(blob),
            ..Default::default()
        },
    )
    .unwrap()
    .plaintext
    .unwrap()
    .expose()
    .to_vec()
}

#[test]
fn rotations_add_one_material_row_each_and_survive_a_restart() {
    let dir = temp_dir("rows");
    let (kms, store) = open(&dir);
    let key = kms
        .create_key(&scope(), Default::default())
        .unwrap()
        .key_metadata
        .key_id;
    let first = encrypt(&kms, &key, b"under version 1");
    for _ in 0..25 {
        kms.rotate_key_on_demand(&scope(), KeyIdRequest::new(&key))
            .unwrap();
    }
    assert_eq!(store.material_count().unwrap(), 26);
    assert_eq!(store.key_count().unwrap(), 1);
    let last = encrypt(&kms, &key, b"under version 26");
    drop(kms);
    drop(store);

    let (kms, store) = open(&dir);
    assert_eq!(store.material_count().unwrap(), 26, "nothing rewritten");
    assert_eq!(decrypt(&kms, first), b"under version 1");
    assert_eq!(decrypt(&kms, last), b"under version 26");
    let rotations = kms
        .list_key_rotations(
            &scope(),
            ListKeyRotationsRequest {
                key_id: Some(key.clone()),
                limit: Some(1000),
                ..Default::default()
            },
        )
        .unwrap()
        .rotations;
    assert_eq!(rotations.len(), 25);
    assert!(
        rotations
            .iter()
            .all(|r| r.rotation_type.as_deref() == Some("ON_DEMAND"))
    );
    kms.schedule_key_deletion(
        &scope(),
        kms_api::wire::keys::ScheduleKeyDeletionRequest {
            key_id: Some(key),
            pending_window_in_days: Some(7),
        },
    )
    .unwrap();
    kms.advance_clock(8 * 86_400).unwrap();
    assert_eq!(store.key_count().unwrap(), 0);
    assert_eq!(store.material_count().unwrap(), 0, "material rows go too");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_store_in_the_old_layout_is_upgraded_without_loss() {
    let dir = temp_dir("legacy");
    // Write a key the way the store did before material versions had rows of their own: one
    // value holding the metadata, every wrapped version and the rotation history.
    let (kms, store) = open(&dir);
    let key = kms
        .create_key(&scope(), Default::default())
        .unwrap()
        .key_metadata
        .key_id;
    kms.rotate_key_on_demand(&scope(), KeyIdRequest::new(&key))
        .unwrap();
    let sealed = encrypt(&kms, &key, b"old layout");
    let record = kms.export_key(&scope(), &key).unwrap();
    let mut legacy: KeySnapshot = record.to_snapshot();
    legacy.materials = (1..=2)
        .map(|v| {
            let mut m = record
                .material_snapshot(v, |secret| root().wrap(secret))
                .unwrap();
            m.rotation = None;
            m
        })
        .collect();
    let history = kms
        .list_key_rotations(
            &scope(),
            ListKeyRotationsRequest {
                key_id: Some(key.clone()),
                ..Default::default()
            },
        )
        .unwrap()
        .rotations;
    legacy.rotation = RotationSnapshot {
        history: vec![(2, history[0].rotation_date.unwrap(), true)],
        ..legacy.rotation
    };
    drop(kms);
    drop(store);
    {
        let db = redb::Database::open(dir.join(kms_emulator::store::DB_FILE)).unwrap();
        let txn = db.begin_write().unwrap();
        txn.delete_table(redb::TableDefinition::<&str, &[u8]>::new("materials"))
            .unwrap();
        {
            let mut keys = txn
                .open_table(redb::TableDefinition::<&str, &[u8]>::new("keys"))
                .unwrap();
            let row = format!("111122223333/us-east-1/{key}");
            keys.insert(
                row.as_str(),
                serde_json::to_vec(&legacy).unwrap().as_slice(),
            )
            .unwrap();
        }
        txn.commit().unwrap();
    }

    let (kms, store) = open(&dir);
    assert_eq!(store.material_count().unwrap(), 2, "moved into rows");
    assert_eq!(decrypt(&kms, sealed), b"old layout");
    let rotations = kms
        .list_key_rotations(
            &scope(),
            ListKeyRotationsRequest {
                key_id: Some(key.clone()),
                ..Default::default()
            },
        )
        .unwrap()
        .rotations;
    assert_eq!(rotations.len(), 1);
    assert_eq!(rotations[0].rotation_type.as_deref(), Some("ON_DEMAND"));
    drop(kms);
    drop(store);
    // And the upgraded store opens again as it is.
    let (kms, store) = open(&dir);
    assert_eq!(store.material_count().unwrap(), 2);
    assert!(kms.has_key(&scope(), key.parse().unwrap()));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_failed_store_write_leaves_neither_the_aws_managed_key_nor_its_alias() {
    // That the key, its material and its alias are one commit is shown on the engine's side
    // (`kms-api/tests/it/persistence.rs`); here, that a refused commit leaves nothing behind and
    // a later one keeps both across a restart.
    let dir = temp_dir("managed");
    let (kms, store) = open(&dir);
    store.set_fail_writes(true);
    let describe = |kms: &Kms| kms.describe_key(&scope(), KeyIdRequest::new("alias/aws/s3"));
    let err = describe(&kms).unwrap_err();
    assert_eq!(err.aws_type(), "KMSInternalException");
    assert_eq!(kms.key_count(), 0, "no key without its alias");
    assert!(!kms.has_alias(&scope(), "alias/aws/s3"));
    store.set_fail_writes(false);
    let key = describe(&kms).unwrap().key_metadata;
    assert_eq!(key.key_manager, "AWS");
    drop(kms);
    drop(store);
    let (kms, _store) = open(&dir);
    assert_eq!(
        describe(&kms).unwrap().key_metadata.key_id,
        key.key_id,
        "the same key after a restart"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn emulated_time_never_moves_back_across_a_restart() {
    let dir = temp_dir("clock");
    let (kms, store) = open(&dir);
    kms.advance_clock(90 * 86_400).unwrap();
    assert_eq!(kms.clock().offset(), 90 * 86_400);
    drop(kms);
    drop(store);

    let (kms, store) = open(&dir);
    assert_eq!(kms.clock().offset(), 90 * 86_400, "restored");
    assert_eq!(
        store.start_clock_offset(30 * 86_400).unwrap(),
        90 * 86_400,
        "a smaller start offset does not move time back"
    );
    assert_eq!(
        store.start_clock_offset(100 * 86_400).unwrap(),
        100 * 86_400,
        "a larger one moves it on"
    );
    drop(kms);
    drop(store);
    let (kms, _store) = open(&dir);
    assert_eq!(kms.clock().offset(), 100 * 86_400, "and is kept");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_half_created_database_is_only_ever_a_temporary_file() {
    let dir = temp_dir("create");
    // What a power loss during the first start leaves: root.check and a half-made temporary
    // database, never a half-made kms.redb.
    drop(Store::open(&dir, root()).unwrap());
    std::fs::remove_file(dir.join(kms_emulator::store::DB_FILE)).unwrap();
    let stale = dir.join(format!("{}.tmp-0123", kms_emulator::store::DB_FILE));
    std::fs::write(&stale, b"half a database").unwrap();
    let (kms, store) = open(&dir);
    assert!(!stale.exists(), "the leftover is removed");
    kms.create_key(&scope(), Default::default()).unwrap();
    assert_eq!(store.key_count().unwrap(), 1);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_damaged_database_stops_the_start_with_a_message() {
    let dir = temp_dir("damaged");
    drop(Store::open(&dir, root()).unwrap());
    let db = dir.join(kms_emulator::store::DB_FILE);
    let mut bytes = std::fs::read(&db).unwrap();
    bytes.truncate(bytes.len() / 3);
    for b in bytes.iter_mut().skip(64).step_by(7) {
        *b ^= 0xa5;
    }
    std::fs::write(&db, bytes).unwrap();
    let err = Store::open(&dir, root()).unwrap_err();
    assert!(err.starts_with("cannot open"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}
