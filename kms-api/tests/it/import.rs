//! Imported material in the engine, on a manual clock: the key-state sequences around it
//! (deletion pending, cancelled, disabled), expiry of current and of pending-rotation
//! material, and ciphertexts across delete and re-import. The material is wrapped here with
//! AWS-LC's RSA-OAEP under the public key GetParametersForImport returned.

use std::sync::Arc;

use aws_lc_rs::rsa::{OAEP_SHA256_MGF1SHA256, OaepPublicEncryptingKey, PublicEncryptingKey};
use kms_api::wire::crypto::{DecryptRequest, EncryptRequest};
use kms_api::wire::import::{
    DeleteImportedKeyMaterialRequest, GetParametersForImportRequest, ImportKeyMaterialRequest,
};
use kms_api::wire::keys::{CreateKeyRequest, KeyIdRequest, ScheduleKeyDeletionRequest};
use kms_api::wire::rotation::ListKeyRotationsRequest;
use kms_api::{Kms, ManualClock, Scope, Secret};

const DAY: i64 = 86_400;

fn scope() -> Scope {
    Scope::new("111122223333", "us-east-1")
}

fn engine() -> (Kms, Arc<ManualClock>, String) {
    let clock = Arc::new(ManualClock::at_epoch_seconds(1_800_000_000));
    let kms = Kms::builder().clock(clock.clone()).build();
    let key = kms
        .create_key(
            &scope(),
            CreateKeyRequest {
                origin: Some("EXTERNAL".into()),
                ..Default::default()
            },
        )
        .unwrap()
        .key_metadata
        .key_id;
    (kms, clock, key)
}

/// Imports `material` (new material when `new`), expiring after `days` (or never).
fn import(kms: &Kms, key: &str, material: &[u8], days: Option<i64>, new: bool) -> String {
    let params = kms
        .get_parameters_for_import(
            &scope(),
            GetParametersForImportRequest {
                key_id: Some(key.to_owned()),
                wrapping_algorithm: Some("RSAES_OAEP_SHA_256".into()),
                wrapping_key_spec: Some("RSA_2048".into()),
            },
        )
        .unwrap();
    let public = OaepPublicEncryptingKey::new(
        PublicEncryptingKey::from_der(params.public_key.as_deref().unwrap()).unwrap(),
    )
    .unwrap();
    let mut wrapped = vec![0u8; public.ciphertext_size()];
    let len = public
        .encrypt(&OAEP_SHA256_MGF1SHA256, material, &mut wrapped, None)
        .unwrap()
        .len();
    wrapped.truncate(len);
    let now = kms.now();
    kms.import_key_material(
        &scope(),
        ImportKeyMaterialRequest {
            key_id: Some(key.to_owned()),
            import_token: params.import_token,
            encrypted_key_material: Some(wrapped),
            valid_to: days.map(|d| now + chrono::Duration::seconds(d * DAY)),
            expiration_model: Some(
                if days.is_some() {
                    "KEY_MATERIAL_EXPIRES"
                } else {
                    "KEY_MATERIAL_DOES_NOT_EXPIRE"
                }
                .into(),
            ),
            import_type: new.then(|| "NEW_KEY_MATERIAL".into()),
            ..Default::default()
        },
    )
    .unwrap()
    .key_material_id
}

fn state(kms: &Kms, key: &str) -> String {
    kms.describe_key(&scope(), KeyIdRequest::new(key))
        .unwrap()
        .key_metadata
        .key_state
}

fn delete(kms: &Kms, key: &str) {
    kms.delete_imported_key_material(
        &scope(),
        DeleteImportedKeyMaterialRequest {
            key_id: Some(key.to_owned()),
            key_material_id: None,
        },
    )
    .unwrap();
}

fn encrypt(kms: &Kms, key: &str) -> Vec<u8> {
    kms.encrypt(
        &scope(),
        EncryptRequest {
            key_id: Some(key.to_owned()),
            plaintext: Some(Secret::from_slice(b"kept")),
            ..Default::default()
        },
    )
    .unwrap()
    .ciphertext_blob
    .unwrap()
}

fn decrypts(kms: &Kms, blob: &[u8]) -> Result<(), String> {
    kms.decrypt(
        &scope(),
        DecryptRequest {
            ciphertext_blob: Some(blob.to_vec()),
            ..Default::default()
        },
    )
    .map(|_| ())
    .map_err(|e| e.to_string())
}

#[test]
fn deleting_material_while_deletion_is_pending_keeps_the_state_and_cancel_waits_for_import() {
    let (kms, _clock, key) = engine();
    import(&kms, &key, &[1; 32], None, false);
    kms.schedule_key_deletion(
        &scope(),
        ScheduleKeyDeletionRequest {
            key_id: Some(key.clone()),
            pending_window_in_days: Some(7),
        },
    )
    .unwrap();
    delete(&kms, &key);
    assert_eq!(state(&kms, &key), "PendingDeletion");
    kms.cancel_key_deletion(&scope(), KeyIdRequest::new(&key))
        .unwrap();
    assert_eq!(
        state(&kms, &key),
        "PendingImport",
        "not Disabled: no material"
    );
    import(&kms, &key, &[1; 32], None, false);
    assert_eq!(state(&kms, &key), "Enabled");
}

#[test]
fn a_disabled_key_that_loses_its_material_comes_back_enabled_with_it() {
    let (kms, _clock, key) = engine();
    import(&kms, &key, &[2; 32], None, false);
    let blob = encrypt(&kms, &key);
    kms.disable_key(&scope(), KeyIdRequest::new(&key)).unwrap();
    delete(&kms, &key);
    assert_eq!(state(&kms, &key), "PendingImport");
    assert!(
        decrypts(&kms, &blob)
            .unwrap_err()
            .contains("is pending import.")
    );
    import(&kms, &key, &[2; 32], None, false);
    assert_eq!(state(&kms, &key), "Enabled");
    decrypts(&kms, &blob).unwrap();
}

#[test]
fn expiry_deletes_current_material_and_drops_pending_rotation_material() {
    let (kms, clock, key) = engine();
    let first = import(&kms, &key, &[3; 32], None, false);
    let blob = encrypt(&kms, &key);
    // New material, pending rotation, expiring in 2 days: it goes, the key stays usable.
    import(&kms, &key, &[4; 32], Some(2), true);
    clock.advance_seconds(3 * DAY);
    assert_eq!(kms.run_scheduled().expirations, 1);
    assert_eq!(state(&kms, &key), "Enabled");
    let listed = kms
        .list_key_rotations(
            &scope(),
            ListKeyRotationsRequest {
                key_id: Some(key.clone()),
                include_key_material: Some("ALL_KEY_MATERIAL".into()),
                ..Default::default()
            },
        )
        .unwrap()
        .rotations;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].key_material_id, first);
    // A rotation needs material pending rotation again.
    let err = kms
        .rotate_key_on_demand(&scope(), KeyIdRequest::new(&key))
        .unwrap_err();
    assert_eq!(err.aws_type(), "KMSInvalidStateException");
    // Current material that expires takes the key with it, until it is imported again.
    import(&kms, &key, &[3; 32], Some(1), false);
    clock.advance_seconds(2 * DAY);
    assert_eq!(kms.run_scheduled().expirations, 1);
    assert_eq!(state(&kms, &key), "PendingImport");
    import(&kms, &key, &[3; 32], None, false);
    decrypts(&kms, &blob).unwrap();
    assert_eq!(kms.run_scheduled().expirations, 0, "nothing left to expire");
}
