//! SM2 keys in the China Regions: every usage (SIGN_VERIFY, ENCRYPT_DECRYPT, KEY_AGREEMENT),
//! `aws-cn` ARNs, SM2 data key pairs, and the Region rules (no SM2 elsewhere, no ML-KEM in
//! China). The independent check of SM2 output is in tests/python/test_sm2.py.

use kms_api::wire::asymmetric::*;
use kms_api::wire::crypto::{DecryptRequest, EncryptRequest};
use kms_api::wire::keys::CreateKeyRequest;
use kms_api::{Kms, Scope, Secret};

fn china() -> Scope {
    Scope::new("111122223333", "cn-north-1")
}

fn create(kms: &Kms, scope: &Scope, spec: &str, usage: &str) -> Result<String, kms_api::KmsError> {
    kms.create_key(
        scope,
        CreateKeyRequest {
            key_spec: Some(spec.into()),
            key_usage: Some(usage.into()),
            ..Default::default()
        },
    )
    .map(|r| r.key_metadata.arn)
}

#[test]
fn sm2_signs_encrypts_and_agrees_in_china() {
    let kms = Kms::new();
    let signer = create(&kms, &china(), "SM2", "SIGN_VERIFY").unwrap();
    assert!(signer.starts_with("arn:aws-cn:kms:cn-north-1:111122223333:key/"));
    for (kind, message) in [("RAW", vec![1u8; 100]), ("DIGEST", vec![2u8; 32])] {
        let signed = kms
            .sign(
                &china(),
                SignRequest {
                    key_id: Some(signer.clone()),
                    message: Some(Secret::new(message.clone())),
                    message_type: Some(kind.into()),
                    signing_algorithm: Some("SM2DSA".into()),
                    ..Default::default()
                },
            )
            .unwrap();
        let verified = kms
            .verify(
                &china(),
                VerifyRequest {
                    key_id: Some(signer.clone()),
                    message: Some(Secret::new(message)),
                    message_type: Some(kind.into()),
                    signature: signed.signature,
                    signing_algorithm: Some("SM2DSA".into()),
                    ..Default::default()
                },
            )
            .unwrap();
        assert!(verified.signature_valid);
    }

    let encrypter = create(&kms, &china(), "SM2", "ENCRYPT_DECRYPT").unwrap();
    let encrypt = |len: usize| {
        kms.encrypt(
            &china(),
            EncryptRequest {
                key_id: Some(encrypter.clone()),
                plaintext: Some(Secret::new(vec![7u8; len])),
                encryption_algorithm: Some("SM2PKE".into()),
                ..Default::default()
            },
        )
    };
    let ciphertext = encrypt(1024).unwrap().ciphertext_blob;
    assert_eq!(
        encrypt(1025).unwrap_err().message(),
        "Algorithm SM2PKE and key spec SM2 cannot encrypt data larger than 1024 bytes."
    );
    let decrypted = kms
        .decrypt(
            &china(),
            DecryptRequest {
                key_id: Some(encrypter.clone()),
                ciphertext_blob: ciphertext,
                encryption_algorithm: Some("SM2PKE".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(decrypted.plaintext.unwrap().expose(), &[7u8; 1024][..]);
    assert_eq!(decrypted.key_material_id, None);

    let a = create(&kms, &china(), "SM2", "KEY_AGREEMENT").unwrap();
    let b = create(&kms, &china(), "SM2", "KEY_AGREEMENT").unwrap();
    let public = |key: &str| {
        kms.get_public_key(
            &china(),
            GetPublicKeyRequest {
                key_id: Some(key.into()),
                ..Default::default()
            },
        )
        .unwrap()
        .public_key
    };
    let derive = |key: &str, peer: Option<Vec<u8>>| {
        kms.derive_shared_secret(
            &china(),
            DeriveSharedSecretRequest {
                key_id: Some(key.into()),
                key_agreement_algorithm: Some("ECDH".into()),
                public_key: peer,
                ..Default::default()
            },
        )
        .unwrap()
        .shared_secret
        .unwrap()
    };
    assert_eq!(
        derive(&a, public(&b)).expose(),
        derive(&b, public(&a)).expose()
    );
}

#[test]
fn sm2_data_key_pairs_in_china_only_and_ml_kem_everywhere_else() {
    let kms = Kms::new();
    let china_key = create(&kms, &china(), "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT").unwrap();
    let pair = kms
        .generate_data_key_pair(
            &china(),
            GenerateDataKeyPairRequest {
                key_id: Some(china_key.clone()),
                key_pair_spec: Some("SM2".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(pair.key_pair_spec, "SM2");
    assert!(pair.public_key.unwrap().len() > 64);
    let ml_kem_in_china = kms
        .generate_data_key_pair(
            &china(),
            GenerateDataKeyPairRequest {
                key_id: Some(china_key),
                key_pair_spec: Some("ML_KEM_768".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(ml_kem_in_china.aws_type(), "ValidationException");
    let (_, set) = ml_kem_in_china
        .message()
        .split_once("enum value set: ")
        .unwrap();
    assert!(set.contains("SM2") && !set.contains("ML_KEM"), "{set}");

    let us = Scope::new("111122223333", "us-east-1");
    let err = create(&kms, &us, "SM2", "SIGN_VERIFY").unwrap_err();
    assert_eq!(err.aws_type(), "ValidationException");
    assert!(err.message().starts_with(
        "1 validation error detected: Value 'SM2' at 'keySpec' failed to satisfy constraint"
    ));
    let err = create(&kms, &china(), "ML_KEM_768", "ENCAPSULATE_DECAPSULATE").unwrap_err();
    assert_eq!(err.aws_type(), "ValidationException");
}
