//! Rotation on the engine's injected clock: automatic rotations fire when due (dated when
//! due), every earlier ciphertext keeps decrypting, on-demand limits, ListKeyRotations paging.

use std::sync::Arc;

use kms_api::wire::crypto::{DecryptRequest, EncryptRequest, ReEncryptRequest};
use kms_api::wire::keys::*;
use kms_api::wire::rotation::*;
use kms_api::{Kms, KmsError, ManualClock, Scope};

const NOW: i64 = 1_800_000_000;
const DAY: i64 = 86_400;

fn scope() -> Scope {
    Scope::new("111122223333", "us-east-1")
}

fn engine() -> (Kms, Arc<ManualClock>, KeyMetadata) {
    let clock = Arc::new(ManualClock::at_epoch_seconds(NOW));
    let kms = Kms::builder().clock(clock.clone()).build();
    let key = kms
        .create_key(&scope(), CreateKeyRequest::default())
        .unwrap()
        .key_metadata;
    (kms, clock, key)
}

fn encrypt(kms: &Kms, key_id: &str, text: &[u8]) -> Vec<u8> {
    kms.encrypt(
        &scope(),
        EncryptRequest {
            key_id: Some(key_id.into()),
            plaintext: Some(text.to_vec().into()),
            ..Default::default()
        },
    )
    .unwrap()
    .ciphertext_blob
    .unwrap()
}

fn decrypt(kms: &Kms, blob: &[u8]) -> kms_api::wire::crypto::DecryptResponse {
    kms.decrypt(
        &scope(),
        DecryptRequest {
            ciphertext_blob: Some(blob.to_vec()),
            ..Default::default()
        },
    )
    .unwrap()
}

fn current_material(kms: &Kms, key_id: &str) -> String {
    kms.describe_key(&scope(), KeyIdRequest::new(key_id))
        .unwrap()
        .key_metadata
        .current_key_material_id
        .unwrap()
}

#[test]
fn ten_automatic_rotations_over_ten_years_keep_every_ciphertext_decryptable() {
    let (kms, clock, key) = engine();
    kms.enable_key_rotation(
        &scope(),
        EnableKeyRotationRequest {
            key_id: Some(key.key_id.clone()),
            rotation_period_in_days: None,
        },
    )
    .unwrap();
    let status = kms
        .get_key_rotation_status(&scope(), KeyIdRequest::new(&key.key_id))
        .unwrap();
    assert!(status.key_rotation_enabled);
    assert_eq!(status.rotation_period_in_days, Some(365));
    assert_eq!(
        status.next_rotation_date.unwrap().timestamp(),
        NOW + 365 * DAY
    );

    let mut sealed = vec![(
        encrypt(&kms, &key.key_id, b"year 0"),
        current_material(&kms, &key.key_id),
    )];
    for year in 1..=10 {
        clock.advance_seconds(365 * DAY);
        let work = kms.run_scheduled();
        assert_eq!(work.rotations, 1, "year {year}");
        let material = current_material(&kms, &key.key_id);
        assert!(
            sealed.iter().all(|(_, m)| *m != material),
            "year {year} has new material"
        );
        sealed.push((
            encrypt(&kms, &key.key_id, format!("year {year}").as_bytes()),
            material,
        ));
    }
    assert_eq!(kms.run_scheduled().rotations, 0, "nothing more is due");
    for (year, (blob, material)) in sealed.iter().enumerate() {
        let opened = decrypt(&kms, blob);
        assert_eq!(
            opened.plaintext.unwrap().expose(),
            format!("year {year}").as_bytes()
        );
        assert_eq!(
            opened.key_material_id.as_ref(),
            Some(material),
            "decrypt reports the material that sealed it"
        );
    }
    let rotations = kms
        .list_key_rotations(
            &scope(),
            ListKeyRotationsRequest {
                key_id: Some(key.key_id),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(rotations.rotations.len(), 10);
    for (i, r) in rotations.rotations.iter().enumerate() {
        assert_eq!(r.rotation_type.as_deref(), Some("AUTOMATIC"));
        assert_eq!(
            r.rotation_date.unwrap().timestamp(),
            NOW + (i as i64 + 1) * 365 * DAY,
            "dated when due"
        );
        assert_eq!(
            r.key_material_state,
            if i == 9 { "CURRENT" } else { "NON_CURRENT" }
        );
    }
}

#[test]
fn a_long_clock_jump_catches_up_every_missed_rotation() {
    let (kms, clock, key) = engine();
    kms.enable_key_rotation(
        &scope(),
        EnableKeyRotationRequest {
            key_id: Some(key.key_id.clone()),
            rotation_period_in_days: Some(90),
        },
    )
    .unwrap();
    clock.advance_seconds(90 * DAY * 5 + 1);
    assert_eq!(kms.run_scheduled().rotations, 5);
    let status = kms
        .get_key_rotation_status(&scope(), KeyIdRequest::new(&key.key_id))
        .unwrap();
    assert_eq!(
        status.next_rotation_date.unwrap().timestamp(),
        NOW + 90 * DAY * 6
    );
}

#[test]
fn on_demand_rotation_is_limited_to_25_and_keeps_the_schedule() {
    let (kms, _, key) = engine();
    let first = encrypt(&kms, &key.key_id, b"first");
    for _ in 0..25 {
        let out = kms
            .rotate_key_on_demand(&scope(), KeyIdRequest::new(&key.key_id))
            .unwrap();
        assert_eq!(out.key_id, key.arn);
    }
    assert_eq!(
        kms.rotate_key_on_demand(&scope(), KeyIdRequest::new(&key.key_id))
            .unwrap_err(),
        KmsError::LimitExceeded(format!(
            "The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: {}",
            key.arn
        ))
    );
    assert_eq!(decrypt(&kms, &first).plaintext.unwrap().expose(), b"first");
    let status = kms
        .get_key_rotation_status(&scope(), KeyIdRequest::new(&key.key_id))
        .unwrap();
    assert!(!status.key_rotation_enabled);
    assert_eq!(
        (status.rotation_period_in_days, status.next_rotation_date),
        (None, None)
    );
}

#[test]
fn re_encrypt_onto_the_same_key_moves_to_the_newest_material() {
    let (kms, _, key) = engine();
    let old = encrypt(&kms, &key.key_id, b"data");
    let old_material = decrypt(&kms, &old).key_material_id;
    kms.rotate_key_on_demand(&scope(), KeyIdRequest::new(&key.key_id))
        .unwrap();
    let moved = kms
        .re_encrypt(
            &scope(),
            ReEncryptRequest {
                ciphertext_blob: Some(old),
                destination_key_id: Some(key.key_id.clone()),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(
        old_material.is_some(),
        "symmetric keys report their material"
    );
    assert_eq!(moved.source_key_material_id, old_material);
    assert_eq!(
        moved.destination_key_material_id,
        Some(current_material(&kms, &key.key_id))
    );
    assert_ne!(
        moved.source_key_material_id,
        moved.destination_key_material_id
    );
    assert_eq!(
        decrypt(&kms, &moved.ciphertext_blob.unwrap())
            .plaintext
            .unwrap()
            .expose(),
        b"data"
    );
}

#[test]
fn rotation_checks_state_first_and_validates_the_period() {
    let (kms, _, key) = engine();
    for days in [89, 2561] {
        let err = kms
            .enable_key_rotation(
                &scope(),
                EnableKeyRotationRequest {
                    key_id: Some(key.key_id.clone()),
                    rotation_period_in_days: Some(days),
                },
            )
            .unwrap_err();
        assert_eq!(err.aws_type(), "ValidationException", "{days}");
    }
    kms.disable_key(&scope(), KeyIdRequest::new(&key.key_id))
        .unwrap();
    let disabled = KmsError::Disabled(format!("{} is disabled.", key.arn));
    assert_eq!(
        kms.rotate_key_on_demand(&scope(), KeyIdRequest::new(&key.key_id))
            .unwrap_err(),
        disabled
    );
    assert_eq!(
        kms.enable_key_rotation(
            &scope(),
            EnableKeyRotationRequest {
                key_id: Some(key.key_id.clone()),
                ..Default::default()
            }
        )
        .unwrap_err(),
        disabled
    );
    assert!(
        kms.get_key_rotation_status(&scope(), KeyIdRequest::new(&key.key_id))
            .is_ok(),
        "status works on disabled keys"
    );
}

#[test]
fn list_key_rotations_pages_and_includes_original_material_on_request() {
    let (kms, _, key) = engine();
    for _ in 0..5 {
        kms.rotate_key_on_demand(&scope(), KeyIdRequest::new(&key.key_id))
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut marker = None;
    loop {
        let page = kms
            .list_key_rotations(
                &scope(),
                ListKeyRotationsRequest {
                    key_id: Some(key.key_id.clone()),
                    include_key_material: Some("ALL_KEY_MATERIAL".into()),
                    limit: Some(2),
                    marker: marker.take(),
                },
            )
            .unwrap();
        assert!(page.rotations.len() <= 2);
        seen.extend(
            page.rotations
                .into_iter()
                .map(|r| (r.key_material_id, r.rotation_type)),
        );
        if !page.truncated {
            break;
        }
        marker = page.next_marker;
    }
    assert_eq!(seen.len(), 6);
    assert_eq!(seen[0].1, None, "the original material has no rotation");
    assert!(
        seen[1..]
            .iter()
            .all(|(_, t)| t.as_deref() == Some("ON_DEMAND"))
    );
    let err = kms
        .list_key_rotations(
            &scope(),
            ListKeyRotationsRequest {
                key_id: Some(key.key_id),
                marker: Some("nope".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(err.aws_type(), "InvalidMarkerException");
}

#[test]
fn the_scheduler_completes_due_deletions() {
    let (kms, clock, key) = engine();
    kms.schedule_key_deletion(
        &scope(),
        ScheduleKeyDeletionRequest {
            key_id: Some(key.key_id),
            pending_window_in_days: Some(7),
        },
    )
    .unwrap();
    clock.advance_seconds(7 * DAY);
    assert_eq!(kms.run_scheduled().deletions, 1);
    assert_eq!(kms.key_count(), 0);
}

#[test]
fn decrypt_of_the_oldest_of_26_versions_works() {
    let (kms, _, key) = engine();
    let oldest = encrypt(&kms, &key.key_id, b"v1");
    for _ in 0..25 {
        kms.rotate_key_on_demand(&scope(), KeyIdRequest::new(&key.key_id))
            .unwrap();
    }
    let newest = encrypt(&kms, &key.key_id, b"v26");
    assert_eq!(decrypt(&kms, &oldest).plaintext.unwrap().expose(), b"v1");
    assert_eq!(decrypt(&kms, &newest).plaintext.unwrap().expose(), b"v26");
}

#[test]
fn disabled_keys_do_not_rotate_and_rotate_once_when_enabled_again() {
    let (kms, clock, key) = engine();
    kms.enable_key_rotation(
        &scope(),
        EnableKeyRotationRequest {
            key_id: Some(key.key_id.clone()),
            rotation_period_in_days: Some(90),
        },
    )
    .unwrap();
    kms.disable_key(&scope(), KeyIdRequest::new(&key.key_id))
        .unwrap();
    clock.advance_seconds(365 * DAY);
    assert_eq!(
        kms.run_scheduled().rotations,
        0,
        "a disabled key is not rotated"
    );
    kms.enable_key(&scope(), KeyIdRequest::new(&key.key_id))
        .unwrap();
    assert_eq!(
        kms.run_scheduled().rotations,
        1,
        "one overdue rotation, not four"
    );
    let status = kms
        .get_key_rotation_status(&scope(), KeyIdRequest::new(&key.key_id))
        .unwrap();
    assert_eq!(
        status.next_rotation_date.unwrap().timestamp(),
        NOW + 365 * DAY + 90 * DAY,
        "the schedule restarts"
    );
}
