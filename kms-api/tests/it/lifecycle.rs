//! Engine tests without HTTP: key state machine, deletion on the injected clock, the
//! persistence hook's failure path, seeded randomness.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use kms_api::wire::aliases::{AliasRequest, ListAliasesRequest};
use kms_api::wire::crypto::{DecryptRequest, EncryptRequest, EncryptResponse};
use kms_api::wire::keys::*;
use kms_api::{Change, Kms, KmsError, ManualClock, Persistence, Scope, SeededRandom};

const NOW: i64 = 1_800_000_000;

fn scope() -> Scope {
    Scope::new("111122223333", "us-east-1")
}

fn engine() -> (Kms, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::at_epoch_seconds(NOW));
    (Kms::builder().clock(clock.clone()).build(), clock)
}

fn create(kms: &Kms) -> KeyMetadata {
    kms.create_key(&scope(), CreateKeyRequest::default())
        .unwrap()
        .key_metadata
}

fn encrypt(kms: &Kms, key_id: &str) -> Result<EncryptResponse, KmsError> {
    kms.encrypt(
        &scope(),
        EncryptRequest {
            key_id: Some(key_id.into()),
            plaintext: Some(b"p".to_vec().into()),
            ..Default::default()
        },
    )
}

#[test]
fn deletion_completes_when_the_clock_passes_the_deletion_date() {
    let (kms, clock) = engine();
    let key = create(&kms);
    kms.create_alias(
        &scope(),
        AliasRequest {
            alias_name: Some("alias/doomed".into()),
            target_key_id: Some(key.key_id.clone()),
        },
    )
    .unwrap();
    let scheduled = kms
        .schedule_key_deletion(
            &scope(),
            ScheduleKeyDeletionRequest {
                key_id: Some(key.key_id.clone()),
                pending_window_in_days: Some(7),
            },
        )
        .unwrap();
    assert_eq!(
        scheduled.deletion_date.unwrap().timestamp(),
        NOW + 7 * 86_400
    );
    assert_eq!(scheduled.key_state, "PendingDeletion");

    clock.advance_seconds(7 * 86_400 - 1);
    let described = kms
        .describe_key(&scope(), KeyIdRequest::new(&key.key_id))
        .unwrap()
        .key_metadata;
    assert_eq!(described.key_state, "PendingDeletion");
    assert!(!described.enabled);

    clock.advance_seconds(1);
    assert_eq!(
        kms.describe_key(&scope(), KeyIdRequest::new(&key.key_id))
            .unwrap_err(),
        KmsError::NotFound(format!("Key '{}' does not exist", key.arn))
    );
    let aliases = kms
        .list_aliases(&scope(), ListAliasesRequest::default())
        .unwrap();
    assert!(
        aliases.aliases.iter().all(|a| a.target_key_id.is_none()),
        "the key's aliases go with it"
    );
    assert_eq!(
        kms.run_scheduled().deletions,
        1,
        "the scheduler removes it for good"
    );
    assert_eq!(kms.key_count(), 0);
}

#[test]
fn cancel_leaves_the_key_disabled_and_enable_brings_it_back() {
    let (kms, _) = engine();
    let key = create(&kms);
    kms.schedule_key_deletion(
        &scope(),
        ScheduleKeyDeletionRequest {
            key_id: Some(key.key_id.clone()),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(
        matches!(encrypt(&kms, &key.key_id), Err(KmsError::InvalidState(m)) if m == format!("{} is pending deletion.", key.arn))
    );
    assert!(matches!(
        kms.enable_key(&scope(), KeyIdRequest::new(&key.key_id)),
        Err(KmsError::InvalidState(_))
    ));
    kms.cancel_key_deletion(&scope(), KeyIdRequest::new(&key.key_id))
        .unwrap();
    let described = kms
        .describe_key(&scope(), KeyIdRequest::new(&key.key_id))
        .unwrap()
        .key_metadata;
    assert_eq!(
        (described.key_state.as_str(), described.deletion_date),
        ("Disabled", None)
    );
    assert_eq!(
        encrypt(&kms, &key.key_id).unwrap_err(),
        KmsError::Disabled(format!("{} is disabled.", key.arn))
    );
    kms.enable_key(&scope(), KeyIdRequest::new(&key.key_id))
        .unwrap();
    assert!(encrypt(&kms, &key.key_id).is_ok());
    assert_eq!(
        kms.cancel_key_deletion(&scope(), KeyIdRequest::new(&key.key_id))
            .unwrap_err(),
        KmsError::InvalidState(format!("{} is not pending deletion.", key.arn))
    );
}

#[test]
fn disabled_keys_still_report_state_before_usage_errors() {
    let (kms, _) = engine();
    let key = create(&kms);
    let blob = encrypt(&kms, &key.key_id).unwrap().ciphertext_blob;
    kms.disable_key(&scope(), KeyIdRequest::new(&key.key_id))
        .unwrap();
    let err = kms
        .decrypt(
            &scope(),
            DecryptRequest {
                ciphertext_blob: blob,
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(err, KmsError::Disabled(format!("{} is disabled.", key.arn)));
}

#[test]
fn seeded_engines_are_reproducible() {
    let make = || {
        Kms::builder()
            .random(Arc::new(SeededRandom::new(9)))
            .build()
    };
    let (a, b) = (make(), make());
    assert_eq!(create(&a).key_id, create(&b).key_id);
    assert_ne!(create(&a).key_id, create(&Kms::new()).key_id);
}

/// A store that can be told to fail.
#[derive(Default)]
struct FlakyStore {
    fail: AtomicBool,
}

impl FlakyStore {
    fn check(&self) -> Result<(), String> {
        if self.fail.load(Ordering::SeqCst) {
            Err("injected store failure".into())
        } else {
            Ok(())
        }
    }
}

impl Persistence for FlakyStore {
    fn commit(&self, _: &[Change<'_>]) -> Result<(), String> {
        self.check()
    }
    fn reset(&self) -> Result<(), String> {
        self.check()
    }
}

#[test]
fn a_failed_store_write_changes_nothing_and_is_an_internal_error() {
    let store = Arc::new(FlakyStore::default());
    let kms = Kms::builder().persistence(store.clone()).build();
    let key = create(&kms);
    store.fail.store(true, Ordering::SeqCst);

    let err = kms
        .create_key(&scope(), CreateKeyRequest::default())
        .unwrap_err();
    assert_eq!(err.aws_type(), "KMSInternalException");
    assert_eq!(err.http_status(), 500);
    assert!(
        !err.message().contains("injected"),
        "internal detail stays out of the client message"
    );
    assert_eq!(kms.key_count(), 1);

    assert!(
        kms.disable_key(&scope(), KeyIdRequest::new(&key.key_id))
            .is_err()
    );
    assert!(
        kms.create_alias(
            &scope(),
            AliasRequest {
                alias_name: Some("alias/a".into()),
                target_key_id: Some(key.key_id.clone())
            }
        )
        .is_err()
    );
    assert!(kms.reset().is_err());

    let described = kms
        .describe_key(&scope(), KeyIdRequest::new(&key.key_id))
        .unwrap()
        .key_metadata;
    assert_eq!(described.key_state, "Enabled");
    assert!(
        kms.list_aliases(&scope(), ListAliasesRequest::default())
            .unwrap()
            .aliases
            .iter()
            .all(|a| a.target_key_id.is_none())
    );
    assert!(
        encrypt(&kms, &key.key_id).is_ok(),
        "crypto never touches the store"
    );
}

#[test]
fn concurrent_crypto_and_state_changes_do_not_interfere() {
    let (kms, _) = engine();
    let key = create(&kms);
    let blob = encrypt(&kms, &key.key_id).unwrap().ciphertext_blob;
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..500 {
                    match kms.decrypt(
                        &scope(),
                        DecryptRequest {
                            ciphertext_blob: blob.clone(),
                            ..Default::default()
                        },
                    ) {
                        Ok(r) => assert_eq!(r.plaintext.unwrap().expose(), b"p"),
                        Err(e) => assert_eq!(e.aws_type(), "DisabledException"),
                    }
                }
            });
        }
        s.spawn(|| {
            for i in 0..200 {
                let req = KeyIdRequest::new(&key.key_id);
                if i % 2 == 0 {
                    kms.disable_key(&scope(), req).unwrap();
                } else {
                    kms.enable_key(&scope(), req).unwrap();
                }
            }
        });
    });
    assert_eq!(
        kms.describe_key(&scope(), KeyIdRequest::new(&key.key_id))
            .unwrap()
            .key_metadata
            .key_state,
        "Enabled"
    );
}

#[test]
fn well_formed_multi_region_ids_do_not_exist_and_malformed_ones_are_invalid() {
    let (kms, _) = engine();
    let id = "mrk-1234abcd12ab34cd56ef1234567890ab";
    assert_eq!(
        kms.describe_key(&scope(), KeyIdRequest::new(id))
            .unwrap_err(),
        KmsError::NotFound(format!(
            "Key 'arn:aws:kms:us-east-1:111122223333:key/{id}' does not exist"
        ))
    );
    assert_eq!(
        kms.describe_key(&scope(), KeyIdRequest::new("mrk-fake-key-id"))
            .unwrap_err(),
        KmsError::NotFound("Invalid keyId 'mrk-fake-key-id'".into())
    );
}

#[test]
fn a_key_past_its_deletion_date_is_gone_before_the_scheduler_runs() {
    let (kms, clock) = engine();
    let key = create(&kms);
    kms.schedule_key_deletion(
        &scope(),
        ScheduleKeyDeletionRequest {
            key_id: Some(key.key_id.clone()),
            pending_window_in_days: Some(7),
        },
    )
    .unwrap();
    clock.advance_seconds(7 * 86_400);
    assert!(matches!(
        encrypt(&kms, &key.key_id),
        Err(KmsError::NotFound(_))
    ));
    assert!(
        kms.list_keys(&scope(), ListKeysRequest::default())
            .unwrap()
            .keys
            .is_empty()
    );
    assert_eq!(kms.purge_due_deletions(), 1);
    assert_eq!(kms.key_count(), 0);
}

#[test]
fn aws_managed_keys_are_created_on_first_use() {
    let (kms, _) = engine();
    let first = encrypt(&kms, "alias/aws/s3").unwrap();
    let second = encrypt(&kms, "alias/aws/s3").unwrap();
    assert_eq!(
        first.key_id, second.key_id,
        "one AWS managed key per service"
    );
    let meta = kms
        .describe_key(&scope(), KeyIdRequest::new("alias/aws/s3"))
        .unwrap()
        .key_metadata;
    assert_eq!(meta.key_manager, "AWS");
    assert_eq!(meta.arn, first.key_id);
    let status = kms
        .get_key_rotation_status(&scope(), KeyIdRequest::new(&meta.key_id))
        .unwrap();
    assert!(
        status.key_rotation_enabled,
        "AWS managed keys rotate yearly"
    );
    let aliases: Vec<_> = kms
        .list_aliases(&scope(), ListAliasesRequest::default())
        .unwrap()
        .aliases
        .into_iter()
        .filter(|a| a.target_key_id.is_some())
        .collect();
    assert_eq!(aliases.len(), 1);
    assert_eq!(
        (
            aliases[0].alias_name.as_str(),
            aliases[0].target_key_id.as_deref()
        ),
        ("alias/aws/s3", Some(meta.key_id.as_str()))
    );
    // Customers still cannot create aliases in that space, and odd names are not created.
    let err = kms
        .create_alias(
            &scope(),
            AliasRequest {
                alias_name: Some("alias/aws/mine".into()),
                target_key_id: Some(meta.key_id),
            },
        )
        .unwrap_err();
    assert_eq!(err.aws_type(), "NotAuthorizedException");
    assert!(matches!(
        encrypt(&kms, "alias/aws/"),
        Err(KmsError::NotFound(_))
    ));
    assert_eq!(kms.key_count(), 1);
}
