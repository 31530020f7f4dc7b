//! Rules that follow from a key's type: an alias moves only between keys of the same type and
//! usage, and the deprecated `CustomerMasterKeySpec` knows only the specs that predate it.

use kms_api::wire::aliases::AliasRequest;
use kms_api::wire::keys::{CreateKeyRequest, KeyIdRequest};
use kms_api::{Kms, Scope};

fn scope() -> Scope {
    Scope::new("111122223333", "us-east-1")
}

fn create(kms: &Kms, spec: &str, usage: &str) -> String {
    kms.create_key(
        &scope(),
        CreateKeyRequest {
            key_spec: Some(spec.into()),
            key_usage: Some(usage.into()),
            ..Default::default()
        },
    )
    .unwrap()
    .key_metadata
    .key_id
}

fn alias(name: &str, target: &str) -> AliasRequest {
    AliasRequest {
        alias_name: Some(name.into()),
        target_key_id: Some(target.into()),
    }
}

#[test]
fn an_alias_moves_only_to_a_key_of_the_same_type_and_usage() {
    let kms = Kms::new();
    let symmetric = create(&kms, "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT");
    let other_symmetric = create(&kms, "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT");
    let ecc_signing = create(&kms, "ECC_NIST_P256", "SIGN_VERIFY");
    let hmac = create(&kms, "HMAC_256", "GENERATE_VERIFY_MAC");
    kms.create_alias(&scope(), alias("alias/app", &symmetric))
        .unwrap();
    for other in [&ecc_signing, &hmac] {
        let err = kms
            .update_alias(&scope(), alias("alias/app", other))
            .unwrap_err();
        assert_eq!(err.aws_type(), "ValidationException");
        assert!(
            err.message().contains("same key type and key usage"),
            "{}",
            err.message()
        );
    }
    kms.update_alias(&scope(), alias("alias/app", &other_symmetric))
        .unwrap();
}

#[test]
fn customer_master_key_spec_knows_only_the_older_specs() {
    let kms = Kms::new();
    let err = kms
        .create_key(
            &scope(),
            CreateKeyRequest {
                customer_master_key_spec: Some("ML_DSA_44".into()),
                key_usage: Some("SIGN_VERIFY".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(
        err.message(),
        "1 validation error detected: Value 'ML_DSA_44' at 'customerMasterKeySpec' failed to satisfy constraint: Member must satisfy enum value set: [RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1, SYMMETRIC_DEFAULT, HMAC_224, HMAC_256, HMAC_384, HMAC_512]"
    );
    let ml_dsa = create(&kms, "ML_DSA_44", "SIGN_VERIFY");
    let described = kms
        .describe_key(&scope(), KeyIdRequest::new(&ml_dsa))
        .unwrap();
    assert_eq!(described.key_metadata.customer_master_key_spec, None);
    assert_eq!(described.key_metadata.key_spec, "ML_DSA_44");
    let p384 = create(&kms, "ECC_NIST_P384", "SIGN_VERIFY");
    let described = kms
        .describe_key(&scope(), KeyIdRequest::new(&p384))
        .unwrap();
    assert_eq!(
        described.key_metadata.customer_master_key_spec.as_deref(),
        Some("ECC_NIST_P384")
    );
}
