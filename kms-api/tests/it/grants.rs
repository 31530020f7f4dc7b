//! Grants in the engine: AWS's grants-per-key quota, grants across accounts by key ARN, tokens
//! of another engine refused, and grants gone with their key.

use std::sync::Arc;

use kms_api::wire::crypto::EncryptRequest;
use kms_api::wire::grants::{CreateGrantRequest, ListGrantsRequest};
use kms_api::wire::keys::ScheduleKeyDeletionRequest;
use kms_api::{Kms, ManualClock, Scope, Secret};

fn scope() -> Scope {
    Scope::new("111122223333", "us-east-1")
}

fn grant(kms: &Kms, scope: &Scope, key: &str, grantee: &str) -> Result<String, kms_api::KmsError> {
    kms.create_grant(
        scope,
        CreateGrantRequest {
            key_id: Some(key.to_owned()),
            grantee_principal: Some(grantee.to_owned()),
            operations: Some(vec!["Encrypt".into()]),
            ..Default::default()
        },
    )
    .map(|g| g.grant_token)
}

fn encrypt_with(kms: &Kms, scope: &Scope, key: &str, token: &str) -> Result<(), kms_api::KmsError> {
    kms.encrypt(
        scope,
        EncryptRequest {
            key_id: Some(key.to_owned()),
            plaintext: Some(Secret::from_slice(b"x")),
            grant_tokens: Some(vec![token.to_owned()].into()),
            ..Default::default()
        },
    )
    .map(|_| ())
}

#[test]
fn a_key_has_at_most_50_000_grants() {
    let kms = Kms::new();
    let key = kms
        .create_key(&scope(), Default::default())
        .unwrap()
        .key_metadata;
    // One real grant, then the key restored (as a store would) with 49,999 more.
    grant(
        &kms,
        &scope(),
        &key.key_id,
        "arn:aws:iam::111122223333:role/r",
    )
    .unwrap();
    let mut record = kms.export_key(&scope(), &key.key_id).unwrap();
    let first = record.grants()[0].as_ref().clone();
    let grants = (0..kms_api::ops::grants::MAX_GRANTS_PER_KEY)
        .map(|i| kms_api::key::grant::Grant {
            id: format!("{i:064x}"),
            ..first.clone()
        })
        .collect();
    record.restore_grants(grants);
    kms.restore_key(record);
    let err = grant(
        &kms,
        &scope(),
        &key.key_id,
        "arn:aws:iam::111122223333:role/a",
    )
    .unwrap_err();
    assert_eq!(err.aws_type(), "LimitExceededException");
    // Another key still takes grants.
    let other = kms
        .create_key(&scope(), Default::default())
        .unwrap()
        .key_metadata;
    grant(
        &kms,
        &scope(),
        &other.key_id,
        "arn:aws:iam::111122223333:role/a",
    )
    .unwrap();
}

#[test]
fn grants_on_another_accounts_key_by_arn() {
    let kms = Kms::new();
    let owner = scope();
    let other = Scope::new("444455556666", "us-east-1");
    let key = kms
        .create_key(&owner, Default::default())
        .unwrap()
        .key_metadata;
    let token = grant(&kms, &other, &key.arn, "arn:aws:iam::444455556666:root").unwrap();
    let listed = kms
        .list_grants(
            &owner,
            ListGrantsRequest {
                key_id: Some(key.key_id.clone()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        listed.grants[0].issuing_account,
        "arn:aws:iam::444455556666:root"
    );
    encrypt_with(&kms, &other, &key.arn, &token).unwrap();
    // Another engine's token (a different token key) is not a token here.
    let stranger = Kms::new();
    let theirs = stranger
        .create_key(&owner, Default::default())
        .unwrap()
        .key_metadata;
    let foreign = grant(&stranger, &owner, &theirs.key_id, "arn:aws:iam::1:root").unwrap();
    let err = encrypt_with(&kms, &owner, &key.key_id, &foreign).unwrap_err();
    assert_eq!(err.aws_type(), "InvalidGrantTokenException");
}

#[test]
fn grants_go_with_their_key() {
    let clock = Arc::new(ManualClock::at_epoch_seconds(1_800_000_000));
    let kms = Kms::builder().clock(clock.clone()).build();
    let key = kms
        .create_key(&scope(), Default::default())
        .unwrap()
        .key_metadata;
    let other = kms
        .create_key(&scope(), Default::default())
        .unwrap()
        .key_metadata;
    let token = grant(
        &kms,
        &scope(),
        &key.key_id,
        "arn:aws:iam::111122223333:role/a",
    )
    .unwrap();
    kms.schedule_key_deletion(
        &scope(),
        ScheduleKeyDeletionRequest {
            key_id: Some(key.key_id),
            pending_window_in_days: Some(7),
        },
    )
    .unwrap();
    // A token for a key pending deletion still names a grant that exists.
    encrypt_with(&kms, &scope(), &other.key_id, &token).unwrap();
    clock.advance_seconds(8 * 86_400);
    kms.run_scheduled();
    let err = encrypt_with(&kms, &scope(), &other.key_id, &token).unwrap_err();
    assert_eq!(err.aws_type(), "InvalidGrantTokenException");
}
