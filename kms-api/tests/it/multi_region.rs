//! Multi-Region keys in the engine, on a manual clock: ReplicateKey (Creating, then Enabled at
//! the next sweep), ciphertexts across Regions, rotations of the primary reaching every
//! replica (on demand and automatic), UpdatePrimaryRegion (Updating), deletion with replicas
//! (PendingReplicaDeletion), imported material in every member, and the errors AWS gives.

use std::sync::Arc;

use aws_lc_rs::rsa::{OAEP_SHA256_MGF1SHA256, OaepPublicEncryptingKey, PublicEncryptingKey};
use kms_api::wire::crypto::{DecryptRequest, EncryptRequest};
use kms_api::wire::import::{GetParametersForImportRequest, ImportKeyMaterialRequest};
use kms_api::wire::keys::*;
use kms_api::wire::multi_region::{ReplicateKeyRequest, UpdatePrimaryRegionRequest};
use kms_api::wire::rotation::{EnableKeyRotationRequest, ListKeyRotationsRequest};
use kms_api::{Clock, Kms, KmsError, ManualClock, Scope};

const NOW: i64 = 1_800_000_000;
const DAY: i64 = 86_400;
const ACCOUNT: &str = "111122223333";

fn east() -> Scope {
    Scope::new(ACCOUNT, "us-east-1")
}

fn west() -> Scope {
    Scope::new(ACCOUNT, "eu-west-1")
}

fn tokyo() -> Scope {
    Scope::new(ACCOUNT, "ap-northeast-1")
}

fn engine() -> (Kms, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::at_epoch_seconds(NOW));
    (Kms::builder().clock(clock.clone()).build(), clock)
}

fn primary(kms: &Kms, origin: Option<&str>) -> String {
    kms.create_key(
        &east(),
        CreateKeyRequest {
            multi_region: Some(true),
            origin: origin.map(Into::into),
            ..Default::default()
        },
    )
    .unwrap()
    .key_metadata
    .key_id
}

fn replicate(kms: &Kms, id: &str, region: &str) -> Result<KeyMetadata, KmsError> {
    kms.replicate_key(
        &east(),
        ReplicateKeyRequest {
            key_id: Some(id.into()),
            replica_region: Some(region.into()),
            ..Default::default()
        },
    )
    .map(|r| r.replica_key_metadata)
}

fn describe(kms: &Kms, scope: &Scope, id: &str) -> KeyMetadata {
    kms.describe_key(scope, KeyIdRequest::new(id))
        .unwrap()
        .key_metadata
}

fn encrypt(kms: &Kms, scope: &Scope, id: &str, text: &[u8]) -> Result<Vec<u8>, KmsError> {
    kms.encrypt(
        scope,
        EncryptRequest {
            key_id: Some(id.into()),
            plaintext: Some(text.to_vec().into()),
            ..Default::default()
        },
    )
    .map(|r| r.ciphertext_blob.unwrap())
}

fn decrypt(kms: &Kms, scope: &Scope, blob: &[u8]) -> Result<Vec<u8>, KmsError> {
    kms.decrypt(
        scope,
        DecryptRequest {
            ciphertext_blob: Some(blob.to_vec()),
            ..Default::default()
        },
    )
    .map(|r| r.plaintext.unwrap().expose().to_vec())
}

/// Waits out a replica's creation on the clock, then runs the scheduler's sweep.
fn settle(kms: &Kms, clock: &ManualClock) -> kms_api::ops::rotation::ScheduledWork {
    clock.advance(kms_api::ops::multi_region::REPLICA_CREATION_SECONDS);
    kms.run_scheduled()
}

fn roles(md: &KeyMetadata) -> (String, String, Vec<String>) {
    let config = md.multi_region_configuration.as_ref().unwrap();
    (
        config.multi_region_key_type.clone(),
        config.primary_key.region.clone(),
        config
            .replica_keys
            .iter()
            .map(|r| r.region.clone())
            .collect(),
    )
}

#[test]
fn a_replica_is_created_then_enabled_and_decrypts_what_the_primary_encrypted() {
    let (kms, clock) = engine();
    let id = primary(&kms, None);
    let replica = replicate(&kms, &id, "eu-west-1").unwrap();
    assert_eq!(replica.key_id, id);
    assert_eq!(
        replica.arn,
        format!("arn:aws:kms:eu-west-1:{ACCOUNT}:key/{id}")
    );
    assert_eq!(replica.key_state, "Creating");
    assert!(!replica.enabled);
    assert_eq!(replica.description, "");
    assert!(replica.current_key_material_id.is_none());
    assert_eq!(
        roles(&replica),
        (
            "REPLICA".into(),
            "us-east-1".into(),
            vec!["eu-west-1".into()]
        )
    );
    assert_eq!(
        roles(&describe(&kms, &east(), &id)),
        (
            "PRIMARY".into(),
            "us-east-1".into(),
            vec!["eu-west-1".into()]
        )
    );

    // Creating: not usable yet, as AWS says ("retry on KMSInvalidStateException").
    let sealed = encrypt(&kms, &east(), &id, b"across regions").unwrap();
    assert_eq!(
        decrypt(&kms, &west(), &sealed).unwrap_err(),
        KmsError::InvalidState(format!("{} is creating.", replica.arn))
    );
    assert_eq!(settle(&kms, &clock).settled, 1);
    let replica = describe(&kms, &west(), &id);
    assert_eq!(replica.key_state, "Enabled");
    assert_eq!(
        replica.current_key_material_id,
        describe(&kms, &east(), &id).current_key_material_id
    );
    assert_eq!(decrypt(&kms, &west(), &sealed).unwrap(), b"across regions");
    let back = encrypt(&kms, &west(), &id, b"and back").unwrap();
    assert_eq!(decrypt(&kms, &east(), &back).unwrap(), b"and back");

    // A second replica lists the whole set everywhere.
    replicate(&kms, &id, "ap-northeast-1").unwrap();
    settle(&kms, &clock);
    for scope in [east(), west(), tokyo()] {
        let (_, primary_region, replicas) = roles(&describe(&kms, &scope, &id));
        assert_eq!(primary_region, "us-east-1");
        assert_eq!(replicas, ["eu-west-1", "ap-northeast-1"]);
    }
    assert_eq!(decrypt(&kms, &tokyo(), &back).unwrap(), b"and back");
}

#[test]
fn replicate_key_refuses_what_aws_refuses() {
    let (kms, _) = engine();
    let id = primary(&kms, None);
    replicate(&kms, &id, "eu-west-1").unwrap();
    let arn = |scope: &Scope| format!("arn:aws:kms:{}:{ACCOUNT}:key/{id}", scope.region());
    let already = KmsError::AlreadyExists(
        "You can create only one replica of each primary key in each AWS Region.".into(),
    );
    assert_eq!(replicate(&kms, &id, "eu-west-1").unwrap_err(), already);
    assert_eq!(replicate(&kms, &id, "us-east-1").unwrap_err(), already);
    // Only a primary key is replicated.
    let from_replica = kms
        .replicate_key(
            &west(),
            ReplicateKeyRequest {
                key_id: Some(id.clone()),
                replica_region: Some("ap-northeast-1".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(
        from_replica,
        KmsError::UnsupportedOperation(format!(
            "{} is not a multi-region primary key.",
            arn(&west())
        ))
    );
    let single = kms
        .create_key(&east(), CreateKeyRequest::default())
        .unwrap()
        .key_metadata;
    assert_eq!(
        replicate(&kms, &single.key_id, "eu-west-1").unwrap_err(),
        KmsError::UnsupportedOperation(format!(
            "{} is not a multi-region primary key.",
            single.arn
        ))
    );
    // Regions that do not exist, or are in another partition.
    for region in ["us-east-9", "cn-north-1", "us-gov-west-1"] {
        assert_eq!(
            replicate(&kms, &id, region).unwrap_err().aws_type(),
            "UnsupportedOperationException",
            "{region}"
        );
    }
    let bad = replicate(&kms, &id, "Mars").unwrap_err();
    assert!(
        bad.message().contains("at 'replicaRegion' failed to satisfy constraint: Member must satisfy regular expression pattern"),
        "{}",
        bad.message()
    );
    // The primary must be enabled.
    kms.disable_key(&east(), KeyIdRequest::new(&id)).unwrap();
    assert_eq!(
        replicate(&kms, &id, "ap-northeast-1").unwrap_err(),
        KmsError::Disabled(format!("{} is disabled.", arn(&east())))
    );
    // Nothing half-made: Tokyo has no key, the set still has one replica.
    assert!(!kms.has_key(&tokyo(), id.parse().unwrap()));
    assert_eq!(roles(&describe(&kms, &east(), &id)).2, ["eu-west-1"]);
}

#[test]
fn rotations_of_the_primary_reach_every_replica() {
    let (kms, clock) = engine();
    let id = primary(&kms, None);
    replicate(&kms, &id, "eu-west-1").unwrap();
    settle(&kms, &clock);

    // Rotation is set on the primary for the whole set; a replica refuses it.
    let on_replica = kms
        .enable_key_rotation(
            &west(),
            EnableKeyRotationRequest {
                key_id: Some(id.clone()),
                rotation_period_in_days: Some(90),
            },
        )
        .unwrap_err();
    assert_eq!(on_replica.aws_type(), "UnsupportedOperationException");
    assert!(
        kms.rotate_key_on_demand(&west(), KeyIdRequest::new(&id))
            .is_err()
    );
    kms.enable_key_rotation(
        &east(),
        EnableKeyRotationRequest {
            key_id: Some(id.clone()),
            rotation_period_in_days: Some(90),
        },
    )
    .unwrap();
    let status = kms
        .get_key_rotation_status(&west(), KeyIdRequest::new(&id))
        .unwrap();
    assert!(status.key_rotation_enabled);
    assert_eq!(status.rotation_period_in_days, Some(90));

    // On demand: a ciphertext made in the primary after the rotation decrypts in the replica.
    kms.rotate_key_on_demand(&east(), KeyIdRequest::new(&id))
        .unwrap();
    let after_on_demand = encrypt(&kms, &east(), &id, b"v2").unwrap();
    assert_eq!(decrypt(&kms, &west(), &after_on_demand).unwrap(), b"v2");

    // Automatic: 90 days on, the sweep rotates the primary and the replica with it.
    clock.advance(90 * DAY);
    assert_eq!(settle(&kms, &clock).rotations, 1);
    let after_automatic = encrypt(&kms, &east(), &id, b"v3").unwrap();
    assert_eq!(decrypt(&kms, &west(), &after_automatic).unwrap(), b"v3");
    let list = |scope: &Scope| -> Vec<(String, Option<String>)> {
        kms.list_key_rotations(
            scope,
            ListKeyRotationsRequest {
                key_id: Some(id.clone()),
                include_key_material: Some("ALL_KEY_MATERIAL".into()),
                ..Default::default()
            },
        )
        .unwrap()
        .rotations
        .into_iter()
        .map(|r| (r.key_material_id, r.rotation_type))
        .collect()
    };
    assert_eq!(list(&east()).len(), 3);
    assert_eq!(list(&east()), list(&west()));
    assert_eq!(
        describe(&kms, &east(), &id).current_key_material_id,
        describe(&kms, &west(), &id).current_key_material_id
    );
    // A replica's own state is its own: disabling it leaves the primary enabled.
    kms.disable_key(&west(), KeyIdRequest::new(&id)).unwrap();
    assert_eq!(describe(&kms, &east(), &id).key_state, "Enabled");
}

#[test]
fn update_primary_region_swaps_the_roles_through_updating() {
    let (kms, clock) = engine();
    let id = primary(&kms, None);
    replicate(&kms, &id, "eu-west-1").unwrap();
    replicate(&kms, &id, "ap-northeast-1").unwrap();
    let update = |scope: &Scope, region: &str| {
        kms.update_primary_region(
            scope,
            UpdatePrimaryRegionRequest {
                key_id: Some(id.clone()),
                primary_region: Some(region.into()),
            },
        )
    };
    // The new primary must be usable: a replica being created is not.
    assert_eq!(
        update(&east(), "eu-west-1").unwrap_err(),
        KmsError::InvalidState(format!(
            "arn:aws:kms:eu-west-1:{ACCOUNT}:key/{id} is creating."
        ))
    );
    settle(&kms, &clock);
    assert_eq!(
        update(&east(), "sa-east-1").unwrap_err().aws_type(),
        "NotFoundException"
    );
    update(&east(), "eu-west-1").unwrap();
    let (old, new) = (describe(&kms, &east(), &id), describe(&kms, &west(), &id));
    assert_eq!(
        (old.key_state.as_str(), new.key_state.as_str()),
        ("Updating", "Updating")
    );
    assert_eq!(
        roles(&old),
        (
            "REPLICA".into(),
            "eu-west-1".into(),
            vec!["ap-northeast-1".into(), "us-east-1".into()]
        )
    );
    assert_eq!(roles(&new).0, "PRIMARY");
    assert_eq!(roles(&describe(&kms, &tokyo(), &id)).1, "eu-west-1");
    // Updating keys still encrypt and decrypt, but are not enabled, disabled or replicated.
    let sealed = encrypt(&kms, &east(), &id, b"during").unwrap();
    assert_eq!(decrypt(&kms, &west(), &sealed).unwrap(), b"during");
    assert_eq!(
        kms.disable_key(&west(), KeyIdRequest::new(&id))
            .unwrap_err(),
        KmsError::InvalidState(format!("{} is updating.", new.arn))
    );
    assert_eq!(settle(&kms, &clock).settled, 2);
    assert_eq!(describe(&kms, &east(), &id).key_state, "Enabled");
    // The old primary is a replica now: only the new one replicates.
    assert_eq!(
        replicate(&kms, &id, "sa-east-1").unwrap_err().aws_type(),
        "UnsupportedOperationException"
    );
    kms.replicate_key(
        &west(),
        ReplicateKeyRequest {
            key_id: Some(id.clone()),
            replica_region: Some("sa-east-1".into()),
            ..Default::default()
        },
    )
    .unwrap();
}

#[test]
fn a_primary_with_replicas_waits_for_their_deletion() {
    let (kms, clock) = engine();
    let id = primary(&kms, None);
    replicate(&kms, &id, "eu-west-1").unwrap();
    settle(&kms, &clock);
    let schedule = |scope: &Scope| {
        kms.schedule_key_deletion(
            scope,
            ScheduleKeyDeletionRequest {
                key_id: Some(id.clone()),
                pending_window_in_days: Some(7),
            },
        )
        .unwrap()
    };
    let scheduled = schedule(&east());
    assert_eq!(scheduled.key_state, "PendingReplicaDeletion");
    assert!(scheduled.deletion_date.is_none());
    assert_eq!(scheduled.pending_window_in_days, 7);
    let md = describe(&kms, &east(), &id);
    assert_eq!(md.key_state, "PendingReplicaDeletion");
    assert_eq!(md.pending_deletion_window_in_days, Some(7));
    assert!(md.deletion_date.is_none());
    assert_eq!(
        encrypt(&kms, &east(), &id, b"x").unwrap_err(),
        KmsError::InvalidState(format!("{} is pending deletion.", md.arn))
    );
    // Cancelled, it is Disabled, as after any cancelled deletion.
    kms.cancel_key_deletion(&east(), KeyIdRequest::new(&id))
        .unwrap();
    assert_eq!(describe(&kms, &east(), &id).key_state, "Disabled");
    schedule(&east());

    // The replica goes on its own schedule; then the primary's waiting period starts.
    let replica_due = schedule(&west()).deletion_date.unwrap();
    clock.advance(7 * DAY);
    assert_eq!(settle(&kms, &clock).deletions, 1);
    assert!(!kms.has_key(&west(), id.parse().unwrap()));
    let md = describe(&kms, &east(), &id);
    assert_eq!(md.key_state, "PendingDeletion");
    assert_eq!(
        md.deletion_date,
        Some(replica_due + chrono::Duration::days(7))
    );
    assert!(roles(&md).2.is_empty());
    clock.advance(7 * DAY);
    assert_eq!(settle(&kms, &clock).deletions, 1);
    assert_eq!(kms.key_count(), 0);
}

/// Imports `material` into the key `id` of `scope`, wrapped with RSA-OAEP-SHA-256.
fn import(kms: &Kms, scope: &Scope, id: &str, material: &[u8]) -> Result<String, KmsError> {
    let params = kms.get_parameters_for_import(
        scope,
        GetParametersForImportRequest {
            key_id: Some(id.to_owned()),
            wrapping_algorithm: Some("RSAES_OAEP_SHA_256".into()),
            wrapping_key_spec: Some("RSA_2048".into()),
        },
    )?;
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
    kms.import_key_material(
        scope,
        ImportKeyMaterialRequest {
            key_id: Some(id.to_owned()),
            import_token: params.import_token,
            encrypted_key_material: Some(wrapped),
            expiration_model: Some("KEY_MATERIAL_DOES_NOT_EXPIRE".into()),
            ..Default::default()
        },
    )
    .map(|r| r.key_material_id)
}

#[test]
fn imported_material_must_be_imported_into_every_replica() {
    let (kms, clock) = engine();
    let id = primary(&kms, Some("EXTERNAL"));
    let material = [7u8; 32];
    let material_id = import(&kms, &east(), &id, &material).unwrap();
    replicate(&kms, &id, "eu-west-1").unwrap();
    settle(&kms, &clock);
    // The replica is created without material and waits for it.
    assert_eq!(describe(&kms, &west(), &id).key_state, "PendingImport");
    let sealed = encrypt(&kms, &east(), &id, b"imported").unwrap();
    assert_eq!(
        decrypt(&kms, &west(), &sealed).unwrap_err().aws_type(),
        "KMSInvalidStateException"
    );
    // Other material is refused; the primary's material fills the replica.
    let other = import(&kms, &west(), &id, &[8u8; 32]).unwrap_err();
    assert_eq!(other.aws_type(), "IncorrectKeyMaterialException");
    assert_eq!(import(&kms, &west(), &id, &material).unwrap(), material_id);
    let md = describe(&kms, &west(), &id);
    assert_eq!(md.key_state, "Enabled");
    assert_eq!(md.origin, "EXTERNAL");
    assert_eq!(decrypt(&kms, &west(), &sealed).unwrap(), b"imported");
}
