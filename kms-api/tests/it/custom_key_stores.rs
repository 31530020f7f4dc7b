//! Custom key stores in the engine, on a manual clock: a CloudHSM key store from creation to
//! deletion (DISCONNECTED, CONNECTING, CONNECTED; keys Unavailable while it is not connected),
//! an external key store with its XksKeyId rules, the uniqueness and state errors, a failed
//! connection injected as a test would, and GenerateRandom from a store.

use std::sync::Arc;

use kms_api::wire::crypto::{EncryptRequest, GenerateRandomRequest};
use kms_api::wire::custom_key_stores::*;
use kms_api::wire::keys::*;
use kms_api::{Clock, Kms, KmsError, ManualClock, Scope, Secret};

fn scope() -> Scope {
    Scope::new("111122223333", "us-east-1")
}

fn engine() -> (Kms, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::at_epoch_seconds(1_800_000_000));
    (Kms::builder().clock(clock.clone()).build(), clock)
}

fn hsm_request(name: &str, cluster: &str) -> CreateCustomKeyStoreRequest {
    CreateCustomKeyStoreRequest {
        custom_key_store_name: Some(name.into()),
        cloud_hsm_cluster_id: Some(cluster.into()),
        trust_anchor_certificate: Some(
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----".into(),
        ),
        key_store_password: Some(Secret::from_slice(b"kmsuser-password")),
        ..Default::default()
    }
}

fn xks_request(name: &str, endpoint: &str) -> CreateCustomKeyStoreRequest {
    CreateCustomKeyStoreRequest {
        custom_key_store_name: Some(name.into()),
        custom_key_store_type: Some("EXTERNAL_KEY_STORE".into()),
        xks_proxy_uri_endpoint: Some(endpoint.into()),
        xks_proxy_uri_path: Some("/example/kms/xks/v1".into()),
        xks_proxy_connectivity: Some("PUBLIC_ENDPOINT".into()),
        xks_proxy_authentication_credential: Some(XksProxyAuthenticationCredential {
            access_key_id: Some("ABCDEFGHIJKLMNOPQRST".into()),
            raw_secret_access_key: Some(Secret::from_slice(&[b'a'; 43])),
        }),
        ..Default::default()
    }
}

fn store(kms: &Kms, id: &str) -> CustomKeyStoresListEntry {
    kms.describe_custom_key_stores(
        &scope(),
        DescribeCustomKeyStoresRequest {
            custom_key_store_id: Some(id.into()),
            ..Default::default()
        },
    )
    .unwrap()
    .custom_key_stores
    .remove(0)
}

fn id_request(id: &str) -> CustomKeyStoreIdRequest {
    CustomKeyStoreIdRequest {
        custom_key_store_id: Some(id.into()),
    }
}

fn connect(kms: &Kms, clock: &ManualClock, id: &str) {
    kms.connect_custom_key_store(&scope(), id_request(id))
        .unwrap();
    assert_eq!(store(kms, id).connection_state, "CONNECTING");
    clock.advance(kms_api::key_store::CONNECT_SECONDS);
    assert!(kms.run_scheduled().settled >= 1);
    assert_eq!(store(kms, id).connection_state, "CONNECTED");
}

fn key_in(
    kms: &Kms,
    store_id: &str,
    origin: &str,
    xks: Option<&str>,
) -> Result<KeyMetadata, KmsError> {
    kms.create_key(
        &scope(),
        CreateKeyRequest {
            origin: Some(origin.into()),
            custom_key_store_id: Some(store_id.into()),
            xks_key_id: xks.map(Into::into),
            ..Default::default()
        },
    )
    .map(|r| r.key_metadata)
}

fn encrypt(kms: &Kms, key_id: &str) -> Result<Vec<u8>, KmsError> {
    kms.encrypt(
        &scope(),
        EncryptRequest {
            key_id: Some(key_id.into()),
            plaintext: Some(b"in the store".to_vec().into()),
            ..Default::default()
        },
    )
    .map(|r| r.ciphertext_blob.unwrap())
}

#[test]
fn a_cloudhsm_key_store_from_creation_to_deletion() {
    let (kms, clock) = engine();
    let id = kms
        .create_custom_key_store(&scope(), hsm_request("hsm", "cluster-234567abcdefg"))
        .unwrap()
        .custom_key_store_id;
    assert!(id.starts_with("cks-") && id.len() == 21, "{id}");
    let listed = store(&kms, &id);
    assert_eq!(listed.connection_state, "DISCONNECTED");
    assert_eq!(listed.custom_key_store_type, "AWS_CLOUDHSM");
    assert_eq!(
        listed.cloud_hsm_cluster_id.as_deref(),
        Some("cluster-234567abcdefg")
    );
    assert!(listed.xks_proxy_configuration.is_none());
    let json = serde_json::to_string(&listed).unwrap();
    assert!(!json.contains("kmsuser-password"), "{json}");

    // Keys only in a connected store.
    let err = key_in(&kms, &id, "AWS_CLOUDHSM", None).unwrap_err();
    assert_eq!(err.aws_type(), "CustomKeyStoreInvalidStateException");
    connect(&kms, &clock, &id);
    let key = key_in(&kms, &id, "AWS_CLOUDHSM", None).unwrap();
    assert_eq!(key.origin, "AWS_CLOUDHSM");
    assert_eq!(key.custom_key_store_id.as_deref(), Some(id.as_str()));
    assert_eq!(
        key.cloud_hsm_cluster_id.as_deref(),
        Some("cluster-234567abcdefg")
    );
    assert_eq!(key.key_state, "Enabled");
    let sealed = encrypt(&kms, &key.key_id).unwrap();

    // Disconnected: the key is Unavailable, and comes back as it was.
    kms.disconnect_custom_key_store(&scope(), id_request(&id))
        .unwrap();
    assert_eq!(
        encrypt(&kms, &key.key_id).unwrap_err(),
        KmsError::InvalidState(format!("{} is unavailable.", key.arn))
    );
    let described = kms
        .describe_key(&scope(), KeyIdRequest::new(&key.key_id))
        .unwrap()
        .key_metadata;
    assert_eq!(
        (described.key_state.as_str(), described.enabled),
        ("Unavailable", false)
    );
    assert_eq!(
        kms.disconnect_custom_key_store(&scope(), id_request(&id))
            .unwrap_err()
            .aws_type(),
        "CustomKeyStoreInvalidStateException"
    );
    connect(&kms, &clock, &id);
    let opened = kms
        .decrypt(
            &scope(),
            kms_api::wire::crypto::DecryptRequest {
                ciphertext_blob: Some(sealed),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(opened.plaintext.unwrap().expose(), b"in the store");

    // Deleting: only when disconnected and empty.
    assert_eq!(
        kms.delete_custom_key_store(&scope(), id_request(&id))
            .unwrap_err()
            .aws_type(),
        "CustomKeyStoreInvalidStateException"
    );
    kms.disconnect_custom_key_store(&scope(), id_request(&id))
        .unwrap();
    assert_eq!(
        kms.delete_custom_key_store(&scope(), id_request(&id))
            .unwrap_err()
            .aws_type(),
        "CustomKeyStoreHasCMKsException"
    );
    kms.schedule_key_deletion(
        &scope(),
        ScheduleKeyDeletionRequest {
            key_id: Some(key.key_id),
            pending_window_in_days: Some(7),
        },
    )
    .unwrap();
    clock.advance(7 * 86_400);
    kms.run_scheduled();
    kms.delete_custom_key_store(&scope(), id_request(&id))
        .unwrap();
    assert_eq!(
        kms.describe_custom_key_stores(
            &scope(),
            DescribeCustomKeyStoresRequest {
                custom_key_store_id: Some(id.clone()),
                ..Default::default()
            }
        )
        .unwrap_err(),
        KmsError::CustomKeyStoreNotFound(format!("Custom key store '{id}' does not exist."))
    );
}

#[test]
fn an_external_key_store_backs_each_kms_key_with_its_own_external_key() {
    let (kms, clock) = engine();
    let id = kms
        .create_custom_key_store(&scope(), xks_request("xks", "https://xks.example.com"))
        .unwrap()
        .custom_key_store_id;
    let listed = store(&kms, &id);
    let proxy = listed.xks_proxy_configuration.unwrap();
    assert_eq!(proxy.connectivity, "PUBLIC_ENDPOINT");
    assert_eq!(proxy.access_key_id, "ABCDEFGHIJKLMNOPQRST");
    assert_eq!(proxy.uri_path, "/example/kms/xks/v1");
    connect(&kms, &clock, &id);
    let key = key_in(&kms, &id, "EXTERNAL_KEY_STORE", Some("external-key-1")).unwrap();
    assert_eq!(key.origin, "EXTERNAL_KEY_STORE");
    assert_eq!(key.xks_key_configuration.unwrap().id, "external-key-1");
    encrypt(&kms, &key.key_id).unwrap();
    assert_eq!(
        key_in(&kms, &id, "EXTERNAL_KEY_STORE", Some("external-key-1"))
            .unwrap_err()
            .aws_type(),
        "XksKeyAlreadyInUseException"
    );
    // The origin must be the store's, with an XksKeyId exactly for external stores.
    for (origin, xks, code) in [
        ("AWS_CLOUDHSM", None, "UnsupportedOperationException"),
        ("EXTERNAL_KEY_STORE", None, "ValidationException"),
        ("AWS_KMS", Some("k"), "ValidationException"),
    ] {
        assert_eq!(
            key_in(&kms, &id, origin, xks).unwrap_err().aws_type(),
            code,
            "{origin}"
        );
    }
    let asymmetric = kms
        .create_key(
            &scope(),
            CreateKeyRequest {
                origin: Some("EXTERNAL_KEY_STORE".into()),
                custom_key_store_id: Some(id.clone()),
                xks_key_id: Some("k2".into()),
                key_spec: Some("ECC_NIST_P256".into()),
                key_usage: Some("SIGN_VERIFY".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(asymmetric.aws_type(), "UnsupportedOperationException");
    assert_eq!(
        key_in(&kms, "cks-00000000000000000", "AWS_CLOUDHSM", None)
            .unwrap_err()
            .aws_type(),
        "CustomKeyStoreNotFoundException"
    );
    // GenerateRandom draws from CloudHSM key stores only.
    let random = |store: &str| {
        kms.generate_random(
            &scope(),
            GenerateRandomRequest {
                number_of_bytes: Some(16),
                custom_key_store_id: Some(store.into()),
                ..Default::default()
            },
        )
    };
    assert_eq!(
        random(&id).unwrap_err().aws_type(),
        "UnsupportedOperationException"
    );
    let hsm = kms
        .create_custom_key_store(&scope(), hsm_request("hsm", "cluster-234567abcdefg"))
        .unwrap()
        .custom_key_store_id;
    assert_eq!(
        random(&hsm).unwrap_err().aws_type(),
        "CustomKeyStoreInvalidStateException"
    );
    connect(&kms, &clock, &hsm);
    assert_eq!(random(&hsm).unwrap().plaintext.unwrap().len(), 16);
}

#[test]
fn names_clusters_and_proxy_uris_are_unique_and_settings_need_a_disconnected_store() {
    let (kms, clock) = engine();
    let hsm = kms
        .create_custom_key_store(&scope(), hsm_request("one", "cluster-234567abcdefg"))
        .unwrap()
        .custom_key_store_id;
    let create = |req| {
        kms.create_custom_key_store(&scope(), req)
            .unwrap_err()
            .aws_type()
    };
    assert_eq!(
        create(hsm_request("one", "cluster-334567abcdefg")),
        "CustomKeyStoreNameInUseException"
    );
    assert_eq!(
        create(hsm_request("two", "cluster-234567abcdefg")),
        "CloudHsmClusterInUseException"
    );
    kms.create_custom_key_store(&scope(), xks_request("x1", "https://xks.example.com"))
        .unwrap();
    assert_eq!(
        create(xks_request("x2", "https://xks.example.com")),
        "XksProxyUriInUseException"
    );
    let mut other_path = xks_request("x3", "https://xks.example.com");
    other_path.xks_proxy_uri_path = Some("/kms/xks/v1".into());
    assert_eq!(create(other_path), "XksProxyUriEndpointInUseException");
    // Shapes: the model's patterns, and each type's required members.
    let mut bad = hsm_request("three", "cluster-nope");
    bad.key_store_password = Some(Secret::from_slice(b"short"));
    let message = kms.create_custom_key_store(&scope(), bad).unwrap_err();
    assert!(
        message
            .message()
            .starts_with("3 validation errors detected"),
        "{}",
        message.message()
    );
    assert!(
        !message.message().contains("short"),
        "the password is never quoted"
    );
    let mut missing = xks_request("four", "https://other.example.com");
    missing.xks_proxy_authentication_credential = None;
    assert_eq!(create(missing), "ValidationException");

    // A connected store takes a new name, not a new cluster.
    connect(&kms, &clock, &hsm);
    let update = |req: UpdateCustomKeyStoreRequest| kms.update_custom_key_store(&scope(), req);
    update(UpdateCustomKeyStoreRequest {
        custom_key_store_id: Some(hsm.clone()),
        new_custom_key_store_name: Some("renamed".into()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(store(&kms, &hsm).custom_key_store_name, "renamed");
    let err = update(UpdateCustomKeyStoreRequest {
        custom_key_store_id: Some(hsm.clone()),
        cloud_hsm_cluster_id: Some("cluster-434567abcdefg".into()),
        ..Default::default()
    })
    .unwrap_err();
    assert_eq!(err.aws_type(), "CustomKeyStoreInvalidStateException");
    let err = update(UpdateCustomKeyStoreRequest {
        custom_key_store_id: Some(hsm),
        new_custom_key_store_name: Some("x1".into()),
        ..Default::default()
    })
    .unwrap_err();
    assert_eq!(err.aws_type(), "CustomKeyStoreNameInUseException");
}

#[test]
fn a_failed_connection_is_injected_and_recovered_as_aws_documents() {
    let (kms, clock) = engine();
    let id = kms
        .create_custom_key_store(&scope(), hsm_request("hsm", "cluster-234567abcdefg"))
        .unwrap()
        .custom_key_store_id;
    connect(&kms, &clock, &id);
    let key = key_in(&kms, &id, "AWS_CLOUDHSM", None).unwrap();
    kms.set_key_store_connection(&scope(), &id, Some("INSUFFICIENT_CLOUDHSM_HSMS"))
        .unwrap();
    let listed = store(&kms, &id);
    assert_eq!(listed.connection_state, "FAILED");
    assert_eq!(
        listed.connection_error_code.as_deref(),
        Some("INSUFFICIENT_CLOUDHSM_HSMS")
    );
    assert_eq!(
        encrypt(&kms, &key.key_id).unwrap_err(),
        KmsError::InvalidState(format!("{} is unavailable.", key.arn))
    );
    // A FAILED store is disconnected before it connects again.
    assert_eq!(
        kms.connect_custom_key_store(&scope(), id_request(&id))
            .unwrap_err()
            .aws_type(),
        "CustomKeyStoreInvalidStateException"
    );
    kms.disconnect_custom_key_store(&scope(), id_request(&id))
        .unwrap();
    assert!(store(&kms, &id).connection_error_code.is_none());
    connect(&kms, &clock, &id);
    encrypt(&kms, &key.key_id).unwrap();
    assert_eq!(
        kms.set_key_store_connection(&scope(), &id, Some("BOGUS"))
            .unwrap_err()
            .aws_type(),
        "ValidationException"
    );
}
