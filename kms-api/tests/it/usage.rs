//! GetKeyLastUsage in the engine, on a manual clock: nothing before the first use, each
//! tracked operation once it succeeds (failures and dry runs are not uses), the request ID
//! and CloudTrail event ID of a request run through `with_request_id`, both keys of a
//! ReEncrypt, and the lazy flush to the persistence hook.

use std::sync::{Arc, Mutex};

use kms_api::key::usage::{cloudtrail_event_id, with_request_id};
use kms_api::wire::crypto::*;
use kms_api::wire::keys::CreateKeyRequest;
use kms_api::wire::usage::GetKeyLastUsageRequest;
use kms_api::{Change, Clock, Kms, ManualClock, Persistence, Scope};

const NOW: i64 = 1_800_000_000;

fn scope() -> Scope {
    Scope::new("111122223333", "us-east-1")
}

#[derive(Default)]
struct UsageRows(Mutex<Vec<String>>);

impl Persistence for UsageRows {
    fn commit(&self, changes: &[Change<'_>]) -> Result<(), String> {
        for change in changes {
            if let Change::PutKeyUsage(key) = change {
                let last = key.last_usage().map(|u| u.operation.name());
                self.0
                    .lock()
                    .unwrap()
                    .push(format!("{} {last:?}", key.id()));
            }
        }
        Ok(())
    }
    fn reset(&self) -> Result<(), String> {
        Ok(())
    }
}

fn engine() -> (Kms, Arc<ManualClock>, Arc<UsageRows>) {
    let clock = Arc::new(ManualClock::at_epoch_seconds(NOW));
    let rows = Arc::new(UsageRows::default());
    let kms = Kms::builder()
        .clock(clock.clone())
        .persistence(rows.clone())
        .build();
    (kms, clock, rows)
}

fn last(kms: &Kms, key: &str) -> kms_api::wire::usage::GetKeyLastUsageResponse {
    kms.get_key_last_usage(
        &scope(),
        GetKeyLastUsageRequest {
            key_id: Some(key.into()),
        },
    )
    .unwrap()
}

fn encrypt(kms: &Kms, key: &str, dry_run: bool) -> Result<Vec<u8>, kms_api::KmsError> {
    kms.encrypt(
        &scope(),
        EncryptRequest {
            key_id: Some(key.into()),
            plaintext: Some(b"x".to_vec().into()),
            dry_run: dry_run.then_some(true),
            ..Default::default()
        },
    )
    .map(|r| r.ciphertext_blob.unwrap())
}

#[test]
fn the_last_successful_operation_with_its_request_and_event() {
    let (kms, clock, rows) = engine();
    let key = kms
        .create_key(&scope(), CreateKeyRequest::default())
        .unwrap()
        .key_metadata;
    let fresh = last(&kms, &key.key_id);
    assert_eq!(fresh.key_last_usage, Default::default());
    assert_eq!(fresh.key_id, key.arn);
    assert_eq!(fresh.tracking_start_date, key.creation_date);
    assert_eq!(fresh.key_creation_date, key.creation_date);
    assert_eq!(
        serde_json::to_value(&fresh).unwrap()["KeyLastUsage"],
        serde_json::json!({})
    );

    // A dry run is not a use.
    assert!(encrypt(&kms, &key.key_id, true).is_err());
    assert_eq!(last(&kms, &key.key_id).key_last_usage.operation, None);
    clock.advance(5);
    let blob = encrypt(&kms, &key.key_id, false).unwrap();
    let used = last(&kms, &key.key_id).key_last_usage;
    assert_eq!(used.operation.as_deref(), Some("Encrypt"));
    assert_eq!(used.timestamp.unwrap().timestamp(), NOW + 5);
    assert_eq!(used.kms_request_id, None, "no request: an in-process call");

    // Through the server, a request has its ID; its CloudTrail event ID follows from it.
    let request = uuid::Uuid::new_v4();
    clock.advance(5);
    with_request_id(request, || {
        kms.decrypt(
            &scope(),
            DecryptRequest {
                ciphertext_blob: Some(blob.clone()),
                ..Default::default()
            },
        )
        .unwrap()
    });
    let used = last(&kms, &key.key_id).key_last_usage;
    assert_eq!(used.operation.as_deref(), Some("Decrypt"));
    assert_eq!(used.timestamp.unwrap().timestamp(), NOW + 10);
    assert_eq!(used.kms_request_id, Some(request.to_string()));
    assert_eq!(
        used.cloud_trail_event_id,
        Some(cloudtrail_event_id(request).to_string())
    );

    // A failed operation is not a use: a wrong encryption context.
    let failed = kms.decrypt(
        &scope(),
        DecryptRequest {
            ciphertext_blob: Some(blob.clone()),
            encryption_context: Some([("a".to_owned(), "b".to_owned())].into()),
            ..Default::default()
        },
    );
    assert!(failed.is_err());
    assert_eq!(
        last(&kms, &key.key_id).key_last_usage.kms_request_id,
        Some(request.to_string())
    );

    // ReEncrypt is a use of both keys.
    let other = kms
        .create_key(&scope(), CreateKeyRequest::default())
        .unwrap()
        .key_metadata;
    kms.re_encrypt(
        &scope(),
        ReEncryptRequest {
            ciphertext_blob: Some(blob),
            destination_key_id: Some(other.key_id.clone()),
            ..Default::default()
        },
    )
    .unwrap();
    for k in [&key.key_id, &other.key_id] {
        assert_eq!(
            last(&kms, k).key_last_usage.operation.as_deref(),
            Some("ReEncrypt")
        );
    }

    // The flush writes each used key once, and nothing until it is used again.
    assert_eq!(kms.flush_key_usage(), 2);
    assert_eq!(kms.flush_key_usage(), 0);
    let written = rows.0.lock().unwrap().clone();
    assert_eq!(written.len(), 2);
    assert!(
        written.iter().all(|r| r.ends_with("Some(\"ReEncrypt\")")),
        "{written:?}"
    );
}
