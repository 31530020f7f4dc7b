//! Asymmetric, HMAC and post-quantum keys through the official `aws-sdk-kms` client: CreateKey
//! for every spec and usage, GetPublicKey, Sign / Verify, GenerateMac / VerifyMac, RSA
//! Encrypt / Decrypt / ReEncrypt, DeriveSharedSecret, Encapsulate / Decapsulate,
//! GenerateDataKeyPair(WithoutPlaintext), DryRun, disabled keys and rotation.
//!
//! Cryptographic output is checked against the emulator's own Verify / Decrypt / Decapsulate
//! here; the independent offline checks (Python `cryptography`) are in
//! `tests/python/test_asymmetric.py`. RSA keys are slow to make: each test creates each RSA key
//! it needs once, and only `every_spec_and_usage_creates_describes_and_works` and
//! `data_key_pairs_of_every_spec` make RSA_3072 and RSA_4096 keys.

use crate::common;

use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    DataKeyPairSpec, EncapsulationAlgorithmSpec, EncryptionAlgorithmSpec,
    KeyAgreementAlgorithmSpec, KeyMetadata, KeySpec, KeyUsageType, MacAlgorithmSpec, MessageType,
    SigningAlgorithmSpec,
};
use common::*;

const DRY_RUN: &str = "The request would have succeeded, but the DryRun option is set.";

const RSA_SIGNING: &[&str] = &[
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
];
const OAEP: &[&str] = &["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"];
const USAGES: &[&str] = &[
    "ENCRYPT_DECRYPT",
    "SIGN_VERIFY",
    "GENERATE_VERIFY_MAC",
    "KEY_AGREEMENT",
    "ENCAPSULATE_DECAPSULATE",
];

/// One (KeySpec, KeyUsage) pair AWS allows, and the algorithm lists its KeyMetadata carries.
#[derive(Debug, Clone, Copy)]
struct KeyType {
    spec: &'static str,
    usage: &'static str,
    encryption: &'static [&'static str],
    signing: &'static [&'static str],
    key_agreement: &'static [&'static str],
    encapsulation: &'static [&'static str],
    mac: &'static [&'static str],
}

const fn kt(spec: &'static str, usage: &'static str) -> KeyType {
    KeyType {
        spec,
        usage,
        encryption: &[],
        signing: &[],
        key_agreement: &[],
        encapsulation: &[],
        mac: &[],
    }
}

const fn enc(spec: &'static str, algs: &'static [&'static str]) -> KeyType {
    KeyType {
        encryption: algs,
        ..kt(spec, "ENCRYPT_DECRYPT")
    }
}

const fn sig(spec: &'static str, algs: &'static [&'static str]) -> KeyType {
    KeyType {
        signing: algs,
        ..kt(spec, "SIGN_VERIFY")
    }
}

const fn ecdh(spec: &'static str) -> KeyType {
    KeyType {
        key_agreement: &["ECDH"],
        ..kt(spec, "KEY_AGREEMENT")
    }
}

const fn kem(spec: &'static str) -> KeyType {
    KeyType {
        encapsulation: &["ML_KEM"],
        ..kt(spec, "ENCAPSULATE_DECAPSULATE")
    }
}

const fn hmac(spec: &'static str, alg: &'static [&'static str]) -> KeyType {
    KeyType {
        mac: alg,
        ..kt(spec, "GENERATE_VERIFY_MAC")
    }
}

/// Every (spec, usage) pair AWS allows outside the China Regions (SM2 is China-only).
const KEY_TYPES: &[KeyType] = &[
    enc("SYMMETRIC_DEFAULT", &["SYMMETRIC_DEFAULT"]),
    hmac("HMAC_224", &["HMAC_SHA_224"]),
    hmac("HMAC_256", &["HMAC_SHA_256"]),
    hmac("HMAC_384", &["HMAC_SHA_384"]),
    hmac("HMAC_512", &["HMAC_SHA_512"]),
    enc("RSA_2048", OAEP),
    sig("RSA_2048", RSA_SIGNING),
    enc("RSA_3072", OAEP),
    sig("RSA_3072", RSA_SIGNING),
    enc("RSA_4096", OAEP),
    sig("RSA_4096", RSA_SIGNING),
    sig("ECC_NIST_P256", &["ECDSA_SHA_256"]),
    ecdh("ECC_NIST_P256"),
    sig("ECC_NIST_P384", &["ECDSA_SHA_384"]),
    ecdh("ECC_NIST_P384"),
    sig("ECC_NIST_P521", &["ECDSA_SHA_512"]),
    ecdh("ECC_NIST_P521"),
    sig("ECC_SECG_P256K1", &["ECDSA_SHA_256"]),
    sig(
        "ECC_NIST_EDWARDS25519",
        &["ED25519_SHA_512", "ED25519_PH_SHA_512"],
    ),
    sig("ML_DSA_44", &["ML_DSA_SHAKE_256"]),
    sig("ML_DSA_65", &["ML_DSA_SHAKE_256"]),
    sig("ML_DSA_87", &["ML_DSA_SHAKE_256"]),
    kem("ML_KEM_512"),
    kem("ML_KEM_768"),
    kem("ML_KEM_1024"),
];

/// The length of a spec's DER SubjectPublicKeyInfo (RSA with e = 65537, ECC uncompressed).
fn spki_len(spec: &str) -> usize {
    match spec {
        "RSA_2048" => 294,
        "RSA_3072" => 422,
        "RSA_4096" => 550,
        "ECC_NIST_P256" => 91,
        "ECC_NIST_P384" => 120,
        "ECC_NIST_P521" => 158,
        "ECC_SECG_P256K1" => 88,
        "ECC_NIST_EDWARDS25519" => 44,
        // The raw key plus 22 bytes of SubjectPublicKeyInfo around it.
        "ML_DSA_44" => 1312 + 22,
        "ML_DSA_65" => 1952 + 22,
        "ML_DSA_87" => 2592 + 22,
        "ML_KEM_512" => 800 + 22,
        "ML_KEM_768" => 1184 + 22,
        "ML_KEM_1024" => 1568 + 22,
        other => panic!("no public key for {other}"),
    }
}

/// The values of the deprecated CustomerMasterKeySpec enum: the specs added since (ML-DSA,
/// Ed25519, ML-KEM) are not in it.
const CMK_SPECS: &[&str] = &[
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "SYMMETRIC_DEFAULT",
    "HMAC_224",
    "HMAC_256",
    "HMAC_384",
    "HMAC_512",
    "SM2",
];

/// CustomerMasterKeySpec repeats KeySpec where the deprecated enum has the spec; for newer
/// specs what AWS sends is not recorded, so it may be absent or the spec.
#[track_caller]
fn check_cmk_spec(spec: &str, cmk_spec: Option<&str>) {
    if CMK_SPECS.contains(&spec) {
        assert_eq!(cmk_spec, Some(spec));
    } else {
        assert!(cmk_spec.is_none() || cmk_spec == Some(spec), "{cmk_spec:?}");
    }
}

fn arn(id: &str) -> String {
    key_arn(REGION, DEFAULT_ACCOUNT, id)
}

fn usage_error(key_id: &str, usage: &str, operation: &str) -> String {
    format!(
        "{} key usage is {usage} which is not valid for {operation}.",
        arn(key_id)
    )
}

fn incompatible(alg: &str, spec: &str) -> String {
    format!("Algorithm {alg} is incompatible with key spec {spec}.")
}

/// Deterministic test bytes.
fn bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// `data` with one bit of byte `len / 2` flipped.
fn flip(data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    let i = out.len() / 2;
    out[i] ^= 0x01;
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn names<T: AsRef<str>>(list: &[T]) -> Vec<String> {
    list.iter().map(|a| a.as_ref().to_owned()).collect()
}

/// An algorithm list compared without its order: AWS's documentation lists RSA's
/// PKCS1 algorithms before PSS, the emulator the other way round; no client relies on it.
fn sorted<T: AsRef<str>>(list: &[T]) -> Vec<String> {
    let mut v = names(list);
    v.sort();
    v
}

async fn create(client: &Client, spec: &str, usage: &str) -> KeyMetadata {
    client
        .create_key()
        .key_spec(KeySpec::from(spec))
        .key_usage(KeyUsageType::from(usage))
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateKey {spec} {usage}: {e:?}"))
        .key_metadata
        .expect("KeyMetadata")
}

async fn create_id(client: &Client, spec: &str, usage: &str) -> String {
    create(client, spec, usage).await.key_id
}

async fn public_key(client: &Client, key_id: &str) -> Vec<u8> {
    client
        .get_public_key()
        .key_id(key_id)
        .send()
        .await
        .expect("GetPublicKey")
        .public_key
        .expect("PublicKey")
        .into_inner()
}

async fn sign(client: &Client, key_id: &str, alg: &str, kind: &str, message: &[u8]) -> Vec<u8> {
    let out = client
        .sign()
        .key_id(key_id)
        .message(Blob::new(message))
        .message_type(MessageType::from(kind))
        .signing_algorithm(SigningAlgorithmSpec::from(alg))
        .send()
        .await
        .unwrap_or_else(|e| panic!("Sign {alg} {kind}: {e:?}"));
    assert_eq!(
        out.signing_algorithm().map(|a| a.as_str()),
        Some(alg),
        "{alg}"
    );
    assert!(out.key_id().unwrap().ends_with(key_id));
    out.signature.expect("Signature").into_inner()
}

/// Verify; `Ok(())` when the signature is valid, the error's (code, message) otherwise.
async fn verify(
    client: &Client,
    key_id: &str,
    alg: &str,
    kind: &str,
    message: &[u8],
    signature: &[u8],
) -> Result<(), (String, String)> {
    match client
        .verify()
        .key_id(key_id)
        .message(Blob::new(message))
        .message_type(MessageType::from(kind))
        .signature(Blob::new(signature))
        .signing_algorithm(SigningAlgorithmSpec::from(alg))
        .send()
        .await
    {
        Ok(out) => {
            assert!(out.signature_valid(), "{alg} {kind}");
            assert_eq!(out.signing_algorithm().map(|a| a.as_str()), Some(alg));
            assert!(out.key_id().unwrap().ends_with(key_id));
            Ok(())
        }
        Err(e) => Err(err_parts(e)),
    }
}

fn invalid_signature() -> Result<(), (String, String)> {
    Err(("KMSInvalidSignatureException".into(), String::new()))
}

/// The digest length of a hash-then-sign algorithm.
fn digest_len(alg: &str) -> usize {
    if alg.ends_with("256") {
        32
    } else if alg.ends_with("384") {
        48
    } else {
        assert!(alg.ends_with("512"), "{alg}");
        64
    }
}

/// The (algorithm, message type, message length) cases a SIGN_VERIFY key of `spec` accepts.
fn sign_cases(spec: &str, algorithms: &[&'static str]) -> Vec<(&'static str, &'static str, usize)> {
    let mut cases = Vec::new();
    for &alg in algorithms {
        match alg {
            "ED25519_SHA_512" => cases.push((alg, "RAW", 300)),
            "ED25519_PH_SHA_512" => cases.push((alg, "DIGEST", 64)),
            "ML_DSA_SHAKE_256" => {
                cases.push((alg, "RAW", 4096));
                cases.push((alg, "EXTERNAL_MU", 64));
            }
            _ => {
                assert!(
                    alg.starts_with("RSASSA_") || alg.starts_with("ECDSA_"),
                    "{spec} {alg}"
                );
                cases.push((alg, "RAW", 1));
                cases.push((alg, "DIGEST", digest_len(alg)));
            }
        }
    }
    cases
}

/// The length of a signature, where it is fixed.
fn signature_len(spec: &str) -> Option<usize> {
    match spec {
        "RSA_2048" => Some(256),
        "RSA_3072" => Some(384),
        "RSA_4096" => Some(512),
        "ECC_NIST_EDWARDS25519" => Some(64),
        "ML_DSA_44" => Some(2420),
        "ML_DSA_65" => Some(3309),
        "ML_DSA_87" => Some(4627),
        _ => None,
    }
}

/// Signs with every algorithm and message type the key allows, verifies each signature, and
/// checks a tampered signature, another message and another message type are rejected.
async fn sign_verify_matrix(client: &Client, key_id: &str, kt: &KeyType) {
    for (alg, kind, len) in sign_cases(kt.spec, kt.signing) {
        let case = format!("{} {alg} {kind}", kt.spec);
        let message = bytes(len, len as u8);
        let signature = sign(client, key_id, alg, kind, &message).await;
        match signature_len(kt.spec) {
            Some(n) => assert_eq!(signature.len(), n, "{case}"),
            // ECDSA: a DER Ecdsa-Sig-Value.
            None => assert_eq!(signature[0], 0x30, "{case}"),
        }
        assert_eq!(
            verify(client, key_id, alg, kind, &message, &signature).await,
            Ok(()),
            "{case}"
        );
        assert_eq!(
            verify(client, key_id, alg, kind, &message, &flip(&signature)).await,
            invalid_signature(),
            "{case}: tampered signature"
        );
        assert_eq!(
            verify(client, key_id, alg, kind, &flip(&message), &signature).await,
            invalid_signature(),
            "{case}: other message"
        );
        if kind != "RAW" && (alg.starts_with("RSASSA_") || alg.starts_with("ECDSA_")) {
            // The same bytes as a RAW message are hashed first: another message.
            assert_eq!(
                verify(client, key_id, alg, "RAW", &message, &signature).await,
                invalid_signature(),
                "{case}: as RAW"
            );
        }
    }
}

/// The largest RSAES-OAEP plaintext: k - 2 hLen - 2.
fn oaep_max(spec: &str, alg: &str) -> usize {
    let k = match spec {
        "RSA_2048" => 256,
        "RSA_3072" => 384,
        "RSA_4096" => 512,
        other => panic!("{other}"),
    };
    let h = if alg == "RSAES_OAEP_SHA_1" { 20 } else { 32 };
    k - 2 * h - 2
}

async fn rsa_encrypt(client: &Client, key_id: &str, alg: &str, plaintext: &[u8]) -> Vec<u8> {
    let out = client
        .encrypt()
        .key_id(key_id)
        .plaintext(Blob::new(plaintext))
        .encryption_algorithm(EncryptionAlgorithmSpec::from(alg))
        .send()
        .await
        .unwrap_or_else(|e| panic!("Encrypt {alg}: {e:?}"));
    assert_eq!(out.key_id(), Some(arn(key_id).as_str()));
    assert_eq!(out.encryption_algorithm().map(|a| a.as_str()), Some(alg));
    out.ciphertext_blob.unwrap().into_inner()
}

async fn rsa_decrypt(client: &Client, key_id: &str, alg: &str, ciphertext: &[u8]) -> Vec<u8> {
    let out = client
        .decrypt()
        .key_id(key_id)
        .ciphertext_blob(Blob::new(ciphertext))
        .encryption_algorithm(EncryptionAlgorithmSpec::from(alg))
        .send()
        .await
        .unwrap_or_else(|e| panic!("Decrypt {alg}: {e:?}"));
    assert_eq!(out.key_id(), Some(arn(key_id).as_str()));
    assert_eq!(out.encryption_algorithm().map(|a| a.as_str()), Some(alg));
    assert_eq!(out.key_material_id(), None, "RSA keys report no material");
    out.plaintext.unwrap().into_inner()
}

/// Encrypt / Decrypt with both OAEP hashes, at the plaintext limit and one byte over it.
async fn rsa_round_trips(client: &Client, key_id: &str, spec: &str) {
    for &alg in OAEP {
        let max = oaep_max(spec, alg);
        for plaintext in [b"short".to_vec(), bytes(max, 9)] {
            let ciphertext = rsa_encrypt(client, key_id, alg, &plaintext).await;
            assert_eq!(
                ciphertext.len(),
                signature_len(spec).unwrap(),
                "{spec} {alg}: one modulus long"
            );
            assert_eq!(
                rsa_decrypt(client, key_id, alg, &ciphertext).await,
                plaintext
            );
        }
        assert_err(
            client
                .encrypt()
                .key_id(key_id)
                .plaintext(Blob::new(bytes(max + 1, 1)))
                .encryption_algorithm(EncryptionAlgorithmSpec::from(alg))
                .send()
                .await,
            "ValidationException",
            &format!(
                "Algorithm {alg} and key spec {spec} cannot encrypt data larger than {max} bytes."
            ),
        );
    }
}

// ----------------------------------------------------------------------------------------------
// CreateKey, DescribeKey, GetPublicKey, and each key's own operations
// ----------------------------------------------------------------------------------------------

#[tokio::test]
async fn every_spec_and_usage_creates_describes_and_works() {
    let (server, client) = setup().await;
    let mut public_keys: Vec<Vec<u8>> = Vec::new();
    for kt in KEY_TYPES {
        let case = format!("{} {}", kt.spec, kt.usage);
        let md = create(&client, kt.spec, kt.usage).await;
        assert_eq!(md.arn(), Some(arn(&md.key_id).as_str()), "{case}");
        assert_eq!(md.key_spec().map(|s| s.as_str()), Some(kt.spec), "{case}");
        assert_eq!(md.key_usage().map(|u| u.as_str()), Some(kt.usage), "{case}");
        assert_eq!(md.key_state().map(|s| s.as_str()), Some("Enabled"));
        assert_eq!(md.origin().map(|o| o.as_str()), Some("AWS_KMS"));
        assert_eq!(md.key_manager().map(|m| m.as_str()), Some("CUSTOMER"));
        assert!(md.enabled());
        #[allow(deprecated)]
        check_cmk_spec(kt.spec, md.customer_master_key_spec().map(|s| s.as_str()));
        assert_eq!(
            sorted(md.encryption_algorithms()),
            sorted(kt.encryption),
            "{case}"
        );
        assert_eq!(
            sorted(md.signing_algorithms()),
            sorted(kt.signing),
            "{case}"
        );
        assert_eq!(
            names(md.key_agreement_algorithms()),
            names(kt.key_agreement),
            "{case}"
        );
        assert_eq!(
            names(md.encapsulation_algorithms()),
            names(kt.encapsulation),
            "{case}"
        );
        assert_eq!(names(md.mac_algorithms()), names(kt.mac), "{case}");
        assert_eq!(
            md.current_key_material_id().is_some(),
            kt.spec == "SYMMETRIC_DEFAULT",
            "{case}: CurrentKeyMaterialId only for symmetric encryption keys"
        );
        let described = client
            .describe_key()
            .key_id(&md.key_id)
            .send()
            .await
            .unwrap()
            .key_metadata
            .unwrap();
        assert_eq!(
            described, md,
            "{case}: DescribeKey says what CreateKey said"
        );

        if kt.spec == "SYMMETRIC_DEFAULT" || kt.spec.starts_with("HMAC_") {
            // AWS answers symmetric and HMAC keys with an empty message.
            assert_err(
                client.get_public_key().key_id(&md.key_id).send().await,
                "UnsupportedOperationException",
                "",
            );
            continue;
        }
        let out = client
            .get_public_key()
            .key_id(arn(&md.key_id))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GetPublicKey {case}: {e:?}"));
        assert_eq!(out.key_id(), md.arn(), "{case}");
        assert_eq!(out.key_spec().map(|s| s.as_str()), Some(kt.spec), "{case}");
        #[allow(deprecated)]
        check_cmk_spec(kt.spec, out.customer_master_key_spec().map(|s| s.as_str()));
        assert_eq!(out.key_usage().map(|u| u.as_str()), Some(kt.usage));
        assert_eq!(
            sorted(out.encryption_algorithms()),
            sorted(kt.encryption),
            "{case}"
        );
        assert_eq!(sorted(out.signing_algorithms()), sorted(kt.signing));
        assert_eq!(
            names(out.key_agreement_algorithms()),
            names(kt.key_agreement)
        );
        assert_eq!(
            names(out.encapsulation_algorithms()),
            names(kt.encapsulation)
        );
        let der = out.public_key.unwrap().into_inner();
        assert_eq!(der[0], 0x30, "{case}: a DER SEQUENCE");
        assert_eq!(der.len(), spki_len(kt.spec), "{case}: SPKI length");
        assert_eq!(
            public_key(&client, &md.key_id).await,
            der,
            "{case}: the same key every time"
        );
        assert!(
            !public_keys.contains(&der),
            "{case}: every key has its own pair"
        );
        public_keys.push(der);

        match kt.usage {
            "SIGN_VERIFY" => sign_verify_matrix(&client, &md.key_id, kt).await,
            "ENCRYPT_DECRYPT" => rsa_round_trips(&client, &md.key_id, kt.spec).await,
            _ => {}
        }
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_usage_the_spec_does_not_allow_is_a_validation_error() {
    let (server, client) = setup().await;
    let specs: Vec<&str> = KEY_TYPES.iter().map(|k| k.spec).collect();
    let mut checked = 0;
    for (i, spec) in specs.iter().enumerate() {
        if specs[..i].contains(spec) {
            continue;
        }
        for usage in USAGES {
            if KEY_TYPES
                .iter()
                .any(|k| k.spec == *spec && k.usage == *usage)
            {
                continue;
            }
            assert_err(
                client
                    .create_key()
                    .key_spec(KeySpec::from(*spec))
                    .key_usage(KeyUsageType::from(*usage))
                    .send()
                    .await,
                "ValidationException",
                &format!("KeyUsage {usage} is not compatible with KeySpec {spec}"),
            );
            checked += 1;
        }
        if *spec != "SYMMETRIC_DEFAULT" {
            assert_err(
                client
                    .create_key()
                    .key_spec(KeySpec::from(*spec))
                    .send()
                    .await,
                "ValidationException",
                "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.",
            );
        }
    }
    // 19 specs x 5 usages, less the 25 pairs allowed.
    assert_eq!(checked, 19 * 5 - KEY_TYPES.len());
    let keys = client.list_keys().send().await.unwrap().keys.unwrap();
    assert!(keys.is_empty(), "nothing was created: {keys:?}");
    server.shutdown().await;
}

// ----------------------------------------------------------------------------------------------
// Sign / Verify errors
// ----------------------------------------------------------------------------------------------

#[tokio::test]
async fn sign_and_verify_errors() {
    let (server, client) = setup().await;
    let rsa = create_id(&client, "RSA_2048", "SIGN_VERIFY").await;
    let rsa_enc = create_id(&client, "RSA_2048", "ENCRYPT_DECRYPT").await;
    let p256 = create_id(&client, "ECC_NIST_P256", "SIGN_VERIFY").await;
    let p384_ka = create_id(&client, "ECC_NIST_P384", "KEY_AGREEMENT").await;
    let ed = create_id(&client, "ECC_NIST_EDWARDS25519", "SIGN_VERIFY").await;
    let ml_dsa = create_id(&client, "ML_DSA_44", "SIGN_VERIFY").await;
    let ml_kem = create_id(&client, "ML_KEM_512", "ENCAPSULATE_DECAPSULATE").await;
    let hmac = create_id(&client, "HMAC_256", "GENERATE_VERIFY_MAC").await;
    let symmetric = create_key(&client).await;

    let sign_call = |key: &str, alg: &str, kind: &str, message: Vec<u8>| {
        client
            .sign()
            .key_id(key)
            .message(Blob::new(message))
            .message_type(MessageType::from(kind))
            .signing_algorithm(SigningAlgorithmSpec::from(alg))
            .send()
    };
    let verify_call = |key: &str, alg: &str, kind: &str, message: Vec<u8>| {
        client
            .verify()
            .key_id(key)
            .message(Blob::new(message))
            .message_type(MessageType::from(kind))
            .signature(Blob::new(vec![0x30; 64]))
            .signing_algorithm(SigningAlgorithmSpec::from(alg))
            .send()
    };

    // A digest of the wrong length, one byte short and one long.
    for (key, alg) in [
        (&rsa, "RSASSA_PSS_SHA_256"),
        (&rsa, "RSASSA_PKCS1_V1_5_SHA_384"),
        (&rsa, "RSASSA_PSS_SHA_512"),
        (&p256, "ECDSA_SHA_256"),
        (&ed, "ED25519_PH_SHA_512"),
    ] {
        let text = format!("Digest is invalid length for algorithm {alg}.");
        for len in [digest_len(alg) - 1, digest_len(alg) + 1] {
            assert_err(
                sign_call(key, alg, "DIGEST", bytes(len, 0)).await,
                "ValidationException",
                &text,
            );
            assert_err(
                verify_call(key, alg, "DIGEST", bytes(len, 0)).await,
                "ValidationException",
                &text,
            );
        }
    }

    // An algorithm the key's spec does not offer.
    for (key, spec, alg) in [
        (&p256, "ECC_NIST_P256", "ECDSA_SHA_384"),
        (&p256, "ECC_NIST_P256", "RSASSA_PSS_SHA_256"),
        (&rsa, "RSA_2048", "ECDSA_SHA_256"),
        (&rsa, "RSA_2048", "ML_DSA_SHAKE_256"),
        (&ed, "ECC_NIST_EDWARDS25519", "ECDSA_SHA_512"),
        (&ml_dsa, "ML_DSA_44", "ED25519_SHA_512"),
    ] {
        assert_err(
            sign_call(key, alg, "RAW", b"m".to_vec()).await,
            "InvalidKeyUsageException",
            &incompatible(alg, spec),
        );
        assert_err(
            verify_call(key, alg, "RAW", b"m".to_vec()).await,
            "InvalidKeyUsageException",
            &incompatible(alg, spec),
        );
    }

    // A key whose usage is not SIGN_VERIFY.
    for (key, usage) in [
        (&rsa_enc, "ENCRYPT_DECRYPT"),
        (&p384_ka, "KEY_AGREEMENT"),
        (&ml_kem, "ENCAPSULATE_DECAPSULATE"),
        (&hmac, "GENERATE_VERIFY_MAC"),
        (&symmetric, "ENCRYPT_DECRYPT"),
    ] {
        assert_err(
            sign_call(key, "ECDSA_SHA_256", "RAW", b"m".to_vec()).await,
            "InvalidKeyUsageException",
            &usage_error(key, usage, "Sign"),
        );
        assert_err(
            verify_call(key, "ECDSA_SHA_256", "RAW", b"m".to_vec()).await,
            "InvalidKeyUsageException",
            &usage_error(key, usage, "Verify"),
        );
    }

    // Message types an algorithm does not take.
    for (key, alg, kind, len, text) in [
        (
            &ed,
            "ED25519_SHA_512",
            "DIGEST",
            64,
            "Message type DIGEST is incompatible with algorithm ED25519_SHA_512.",
        ),
        (
            &ed,
            "ED25519_PH_SHA_512",
            "RAW",
            64,
            "Message type RAW is incompatible with algorithm ED25519_PH_SHA_512.",
        ),
        (
            &ml_dsa,
            "ML_DSA_SHAKE_256",
            "DIGEST",
            64,
            "Message type DIGEST is incompatible with key spec ML_DSA_44.",
        ),
        (
            &ml_dsa,
            "ML_DSA_SHAKE_256",
            "EXTERNAL_MU",
            63,
            "External Mu is invalid length for algorithm ML_DSA_SHAKE_256.",
        ),
        (
            &p256,
            "ECDSA_SHA_256",
            "EXTERNAL_MU",
            64,
            "Message type EXTERNAL_MU is incompatible with algorithm ECDSA_SHA_256.",
        ),
        (
            &rsa,
            "RSASSA_PSS_SHA_512",
            "EXTERNAL_MU",
            64,
            "Message type EXTERNAL_MU is incompatible with algorithm RSASSA_PSS_SHA_512.",
        ),
    ] {
        assert_err(
            sign_call(key, alg, kind, bytes(len, 3)).await,
            "ValidationException",
            text,
        );
    }

    // A signature from another key of the same spec does not verify.
    let other = create_id(&client, "ECC_NIST_P256", "SIGN_VERIFY").await;
    let signature = sign(&client, &other, "ECDSA_SHA_256", "RAW", b"hello").await;
    assert_eq!(
        verify(&client, &p256, "ECDSA_SHA_256", "RAW", b"hello", &signature).await,
        invalid_signature()
    );
    // MessageType defaults to RAW.
    let out = client
        .sign()
        .key_id(&p256)
        .message(Blob::new("hello"))
        .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
        .send()
        .await
        .unwrap();
    let signature = out.signature.unwrap().into_inner();
    assert_eq!(
        verify(&client, &p256, "ECDSA_SHA_256", "RAW", b"hello", &signature).await,
        Ok(())
    );
    server.shutdown().await;
}

// ----------------------------------------------------------------------------------------------
// HMAC
// ----------------------------------------------------------------------------------------------

#[tokio::test]
async fn generate_and_verify_mac_with_every_hmac_spec() {
    let (server, client) = setup().await;
    let mut macs = Vec::new();
    for (spec, alg, len) in [
        ("HMAC_224", "HMAC_SHA_224", 28),
        ("HMAC_256", "HMAC_SHA_256", 32),
        ("HMAC_384", "HMAC_SHA_384", 48),
        ("HMAC_512", "HMAC_SHA_512", 64),
    ] {
        let key = create_id(&client, spec, "GENERATE_VERIFY_MAC").await;
        let generate = |message: &'static [u8]| {
            client
                .generate_mac()
                .key_id(&key)
                .message(Blob::new(message))
                .mac_algorithm(MacAlgorithmSpec::from(alg))
                .send()
        };
        let out = generate(b"the message").await.unwrap();
        assert_eq!(out.key_id(), Some(arn(&key).as_str()));
        assert_eq!(out.mac_algorithm().map(|a| a.as_str()), Some(alg));
        let mac = out.mac.unwrap().into_inner();
        assert_eq!(mac.len(), len, "{spec}");
        let again = generate(b"the message").await.unwrap().mac.unwrap();
        assert_eq!(again.as_ref(), mac, "{spec}: HMAC is deterministic");
        let other = generate(b"the messagf").await.unwrap().mac.unwrap();
        assert_ne!(other.as_ref(), mac, "{spec}");

        let verify_mac = |message: &'static [u8], mac: Vec<u8>| {
            client
                .verify_mac()
                .key_id(&key)
                .message(Blob::new(message))
                .mac(Blob::new(mac))
                .mac_algorithm(MacAlgorithmSpec::from(alg))
                .send()
        };
        let ok = verify_mac(b"the message", mac.clone()).await.unwrap();
        assert!(ok.mac_valid());
        assert_eq!(ok.key_id(), Some(arn(&key).as_str()));
        assert_eq!(ok.mac_algorithm().map(|a| a.as_str()), Some(alg));
        for bad in [flip(&mac), mac[..len - 1].to_vec()] {
            assert_err(
                verify_mac(b"the message", bad).await,
                "KMSInvalidMacException",
                "",
            );
        }
        assert_err(
            verify_mac(b"the messagf", mac.clone()).await,
            "KMSInvalidMacException",
            "",
        );
        // Another HMAC algorithm than the key's.
        let wrong = if alg == "HMAC_SHA_256" {
            "HMAC_SHA_512"
        } else {
            "HMAC_SHA_256"
        };
        assert_err(
            client
                .generate_mac()
                .key_id(&key)
                .message(Blob::new("m"))
                .mac_algorithm(MacAlgorithmSpec::from(wrong))
                .send()
                .await,
            "InvalidKeyUsageException",
            &incompatible(wrong, spec),
        );
        macs.push(mac);
    }
    // Each key has its own material (HMAC_256's MAC is not HMAC_224's, even truncated).
    assert!(!macs[1].starts_with(&macs[0]));

    // A key of another usage.
    let signer = create_id(&client, "ECC_NIST_P256", "SIGN_VERIFY").await;
    assert_err(
        client
            .generate_mac()
            .key_id(&signer)
            .message(Blob::new("m"))
            .mac_algorithm(MacAlgorithmSpec::HmacSha256)
            .send()
            .await,
        "InvalidKeyUsageException",
        &usage_error(&signer, "SIGN_VERIFY", "GenerateMac"),
    );
    let symmetric = create_key(&client).await;
    assert_err(
        client
            .verify_mac()
            .key_id(&symmetric)
            .message(Blob::new("m"))
            .mac(Blob::new(vec![0u8; 32]))
            .mac_algorithm(MacAlgorithmSpec::HmacSha256)
            .send()
            .await,
        "InvalidKeyUsageException",
        &usage_error(&symmetric, "ENCRYPT_DECRYPT", "VerifyMac"),
    );
    server.shutdown().await;
}

// ----------------------------------------------------------------------------------------------
// RSA encryption
// ----------------------------------------------------------------------------------------------

#[tokio::test]
async fn rsa_encrypt_decrypt_and_re_encrypt() {
    let (server, client) = setup().await;
    let rsa = create_id(&client, "RSA_2048", "ENCRYPT_DECRYPT").await;
    let symmetric = create(&client, "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT").await;
    let sym = symmetric.key_id.clone();
    let sym_material = symmetric.current_key_material_id().unwrap().to_owned();

    for alg in OAEP {
        let a = rsa_encrypt(&client, &rsa, alg, b"hello rsa").await;
        let b = rsa_encrypt(&client, &rsa, alg, b"hello rsa").await;
        assert_ne!(a, b, "OAEP is randomized");
        assert_eq!(rsa_decrypt(&client, &rsa, alg, &a).await, b"hello rsa");
        assert_eq!(rsa_decrypt(&client, &rsa, alg, &b).await, b"hello rsa");
    }
    // AWS's limit text, for the case the brief quotes.
    assert_err(
        client
            .encrypt()
            .key_id(&rsa)
            .plaintext(Blob::new(vec![7u8; 191]))
            .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
            .send()
            .await,
        "ValidationException",
        "Algorithm RSAES_OAEP_SHA_256 and key spec RSA_2048 cannot encrypt data larger than 190 bytes.",
    );
    assert_eq!(
        rsa_encrypt(&client, &rsa, "RSAES_OAEP_SHA_1", &[7u8; 214])
            .await
            .len(),
        256
    );
    // Without an algorithm, Encrypt uses SYMMETRIC_DEFAULT, which an RSA key does not offer.
    assert_err(
        client
            .encrypt()
            .key_id(&rsa)
            .plaintext(Blob::new("x"))
            .send()
            .await,
        "InvalidKeyUsageException",
        &incompatible("SYMMETRIC_DEFAULT", "RSA_2048"),
    );
    // And a symmetric key does not do OAEP.
    assert_err(
        client
            .encrypt()
            .key_id(&sym)
            .plaintext(Blob::new("x"))
            .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha1)
            .send()
            .await,
        "InvalidKeyUsageException",
        &incompatible("RSAES_OAEP_SHA_1", "SYMMETRIC_DEFAULT"),
    );

    // An RSA ciphertext is random bytes; one whose first byte is a symmetric blob's format
    // byte (0x01 or 0x02, about 1 in 100) reads, without a KeyId, as a blob naming a key that
    // does not exist (NotFoundException, as any such blob). The case checked below is the other.
    let mut ciphertext = rsa_encrypt(&client, &rsa, "RSAES_OAEP_SHA_256", b"secret").await;
    while matches!(ciphertext[0], 0x01 | 0x02) {
        ciphertext = rsa_encrypt(&client, &rsa, "RSAES_OAEP_SHA_256", b"secret").await;
    }
    // Decrypt with the RSA key but no algorithm: AWS cannot read the ciphertext.
    assert_err(
        client
            .decrypt()
            .key_id(&rsa)
            .ciphertext_blob(Blob::new(ciphertext.clone()))
            .send()
            .await,
        "InvalidCiphertextException",
        "",
    );
    // The other OAEP hash, or a tampered ciphertext, does not decrypt.
    for (alg, blob) in [
        ("RSAES_OAEP_SHA_1", ciphertext.clone()),
        ("RSAES_OAEP_SHA_256", flip(&ciphertext)),
    ] {
        assert_err(
            client
                .decrypt()
                .key_id(&rsa)
                .ciphertext_blob(Blob::new(blob))
                .encryption_algorithm(EncryptionAlgorithmSpec::from(alg))
                .send()
                .await,
            "InvalidCiphertextException",
            "",
        );
    }
    // Without KeyId the raw RSA ciphertext names no key.
    assert_err(
        client
            .decrypt()
            .ciphertext_blob(Blob::new(ciphertext.clone()))
            .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
            .send()
            .await,
        "InvalidCiphertextException",
        "",
    );

    // RSA -> symmetric.
    let out = client
        .re_encrypt()
        .ciphertext_blob(Blob::new(ciphertext.clone()))
        .source_key_id(&rsa)
        .source_encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
        .destination_key_id(&sym)
        .send()
        .await
        .unwrap();
    assert_eq!(out.source_key_id(), Some(arn(&rsa).as_str()));
    assert_eq!(out.key_id(), Some(arn(&sym).as_str()));
    assert_eq!(
        out.source_encryption_algorithm().map(|a| a.as_str()),
        Some("RSAES_OAEP_SHA_256")
    );
    assert_eq!(
        out.destination_encryption_algorithm().map(|a| a.as_str()),
        Some("SYMMETRIC_DEFAULT")
    );
    assert_eq!(out.source_key_material_id(), None);
    assert_eq!(
        out.destination_key_material_id(),
        Some(sym_material.as_str())
    );
    let sym_blob = out.ciphertext_blob.unwrap();
    let dec = client
        .decrypt()
        .ciphertext_blob(sym_blob.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(dec.key_id(), Some(arn(&sym).as_str()));
    assert_eq!(dec.plaintext.unwrap().as_ref(), b"secret");

    // Symmetric -> RSA, with SHA-1 this time.
    let back = client
        .re_encrypt()
        .ciphertext_blob(sym_blob)
        .destination_key_id(&rsa)
        .destination_encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha1)
        .send()
        .await
        .unwrap();
    assert_eq!(back.source_key_id(), Some(arn(&sym).as_str()));
    assert_eq!(back.key_id(), Some(arn(&rsa).as_str()));
    assert_eq!(
        back.source_encryption_algorithm().map(|a| a.as_str()),
        Some("SYMMETRIC_DEFAULT")
    );
    assert_eq!(
        back.destination_encryption_algorithm().map(|a| a.as_str()),
        Some("RSAES_OAEP_SHA_1")
    );
    assert_eq!(back.source_key_material_id(), Some(sym_material.as_str()));
    assert_eq!(back.destination_key_material_id(), None);
    let rsa_blob = back.ciphertext_blob.unwrap().into_inner();
    assert_eq!(
        rsa_decrypt(&client, &rsa, "RSAES_OAEP_SHA_1", &rsa_blob).await,
        b"secret"
    );

    // RSA -> the same RSA key with the other hash.
    let same = client
        .re_encrypt()
        .ciphertext_blob(Blob::new(rsa_blob))
        .source_key_id(&rsa)
        .source_encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha1)
        .destination_key_id(&rsa)
        .destination_encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
        .send()
        .await
        .unwrap();
    let blob = same.ciphertext_blob.unwrap().into_inner();
    assert_eq!(
        rsa_decrypt(&client, &rsa, "RSAES_OAEP_SHA_256", &blob).await,
        b"secret"
    );

    // A symmetric ciphertext too large for the RSA destination.
    let big = client
        .encrypt()
        .key_id(&sym)
        .plaintext(Blob::new(vec![1u8; 191]))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    assert_err(
        client
            .re_encrypt()
            .ciphertext_blob(big)
            .destination_key_id(&rsa)
            .destination_encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
            .send()
            .await,
        "ValidationException",
        "Algorithm RSAES_OAEP_SHA_256 and key spec RSA_2048 cannot encrypt data larger than 190 bytes.",
    );

    // An RSA signing key does not encrypt.
    let signer = create_id(&client, "RSA_2048", "SIGN_VERIFY").await;
    assert_err(
        client
            .encrypt()
            .key_id(&signer)
            .plaintext(Blob::new("x"))
            .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
            .send()
            .await,
        "InvalidKeyUsageException",
        &usage_error(&signer, "SIGN_VERIFY", "Encrypt"),
    );
    assert_err(
        client
            .decrypt()
            .key_id(&signer)
            .ciphertext_blob(Blob::new(ciphertext))
            .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
            .send()
            .await,
        "InvalidKeyUsageException",
        &usage_error(&signer, "SIGN_VERIFY", "Decrypt"),
    );
    server.shutdown().await;
}

// ----------------------------------------------------------------------------------------------
// ECDH
// ----------------------------------------------------------------------------------------------

#[tokio::test]
async fn derive_shared_secret_between_two_kms_keys() {
    let (server, client) = setup().await;
    let derive = |key: String, peer: Vec<u8>| {
        client
            .derive_shared_secret()
            .key_id(key)
            .key_agreement_algorithm(KeyAgreementAlgorithmSpec::Ecdh)
            .public_key(Blob::new(peer))
            .send()
    };
    let mut by_curve = Vec::new();
    for (spec, secret_len) in [
        ("ECC_NIST_P256", 32),
        ("ECC_NIST_P384", 48),
        ("ECC_NIST_P521", 66),
    ] {
        let a = create_id(&client, spec, "KEY_AGREEMENT").await;
        let b = create_id(&client, spec, "KEY_AGREEMENT").await;
        let a_pub = public_key(&client, &a).await;
        let b_pub = public_key(&client, &b).await;
        let ab = derive(a.clone(), b_pub.clone()).await.unwrap();
        assert_eq!(ab.key_id(), Some(arn(&a).as_str()));
        assert_eq!(
            ab.key_agreement_algorithm().map(|k| k.as_str()),
            Some("ECDH")
        );
        assert_eq!(ab.key_origin().map(|o| o.as_str()), Some("AWS_KMS"));
        let ab = ab.shared_secret.unwrap().into_inner();
        let ba = derive(b.clone(), a_pub.clone())
            .await
            .unwrap()
            .shared_secret
            .unwrap()
            .into_inner();
        assert_eq!(ab.len(), secret_len, "{spec}");
        assert_eq!(ab, ba, "{spec}: both sides derive the same secret");
        assert_ne!(ab, vec![0u8; secret_len]);
        // A key agreeing with itself gives yet another secret.
        let aa = derive(a.clone(), a_pub.clone())
            .await
            .unwrap()
            .shared_secret;
        assert_ne!(aa.unwrap().into_inner(), ab, "{spec}");
        // A malformed peer key: ValidationException with an empty message.
        for bad in [
            b"definitely not DER".to_vec(),
            a_pub[..a_pub.len() - 1].to_vec(),
        ] {
            assert_err(derive(a.clone(), bad).await, "ValidationException", "");
        }
        by_curve.push((a, a_pub));
    }
    // A public key on another curve, or an RSA key, is no peer either.
    let (p256, p256_pub) = by_curve[0].clone();
    let (p384, _) = by_curve[1].clone();
    assert_err(
        derive(p384.clone(), p256_pub).await,
        "ValidationException",
        "",
    );
    let rsa = create_id(&client, "RSA_2048", "ENCRYPT_DECRYPT").await;
    let rsa_pub = public_key(&client, &rsa).await;
    assert_err(
        derive(p256.clone(), rsa_pub).await,
        "ValidationException",
        "",
    );

    // A key whose usage is not KEY_AGREEMENT.
    let signer = create_id(&client, "ECC_NIST_P256", "SIGN_VERIFY").await;
    let peer = by_curve[0].1.clone();
    assert_err(
        derive(signer.clone(), peer.clone()).await,
        "InvalidKeyUsageException",
        &usage_error(&signer, "SIGN_VERIFY", "DeriveSharedSecret"),
    );
    assert_err(
        derive(rsa.clone(), peer).await,
        "InvalidKeyUsageException",
        &usage_error(&rsa, "ENCRYPT_DECRYPT", "DeriveSharedSecret"),
    );
    server.shutdown().await;
}

// ----------------------------------------------------------------------------------------------
// ML-KEM
// ----------------------------------------------------------------------------------------------

#[tokio::test]
async fn encapsulate_decapsulate_round_trip() {
    let (server, client) = setup().await;
    let encapsulate = |key: String| {
        client
            .encapsulate()
            .key_id(key)
            .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
            .send()
    };
    let decapsulate = |key: String, ciphertext: Vec<u8>| {
        client
            .decapsulate()
            .key_id(key)
            .shared_secret_ciphertext_blob(Blob::new(ciphertext))
            .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
            .send()
    };
    for (spec, ciphertext_len) in [
        ("ML_KEM_512", 768),
        ("ML_KEM_768", 1088),
        ("ML_KEM_1024", 1568),
    ] {
        let key = create_id(&client, spec, "ENCAPSULATE_DECAPSULATE").await;
        let out = encapsulate(key.clone()).await.unwrap();
        assert_eq!(out.key_id(), Some(arn(&key).as_str()));
        assert_eq!(
            out.encapsulation_algorithm().map(|a| a.as_str()),
            Some("ML_KEM")
        );
        let secret = out.shared_secret.unwrap().into_inner();
        let ciphertext = out.shared_secret_ciphertext_blob.unwrap().into_inner();
        assert_eq!(secret.len(), 32, "{spec}");
        assert_eq!(ciphertext.len(), ciphertext_len, "{spec}");

        let dec = decapsulate(key.clone(), ciphertext.clone()).await.unwrap();
        assert_eq!(dec.key_id(), Some(arn(&key).as_str()));
        assert_eq!(
            dec.encapsulation_algorithm().map(|a| a.as_str()),
            Some("ML_KEM")
        );
        assert_eq!(dec.shared_secret.unwrap().into_inner(), secret, "{spec}");

        // Each encapsulation is fresh.
        let again = encapsulate(key.clone()).await.unwrap();
        assert_ne!(again.shared_secret.unwrap().into_inner(), secret);
        // An altered ciphertext of the right length decapsulates to another secret (implicit
        // rejection), the same one each time; a wrong length is InvalidCiphertextException.
        let altered = decapsulate(key.clone(), flip(&ciphertext))
            .await
            .unwrap()
            .shared_secret
            .unwrap()
            .into_inner();
        assert_ne!(altered, secret);
        let altered_again = decapsulate(key.clone(), flip(&ciphertext))
            .await
            .unwrap()
            .shared_secret
            .unwrap()
            .into_inner();
        assert_eq!(altered, altered_again);
        for bad in [
            ciphertext[..ciphertext_len - 1].to_vec(),
            [ciphertext.clone(), vec![0]].concat(),
        ] {
            assert_err(
                decapsulate(key.clone(), bad).await,
                "InvalidCiphertextException",
                "",
            );
        }
        // Another key of the same spec gets another secret.
        let other = create_id(&client, spec, "ENCAPSULATE_DECAPSULATE").await;
        let theirs = decapsulate(other, ciphertext).await.unwrap().shared_secret;
        assert_ne!(theirs.unwrap().into_inner(), secret, "{spec}");
    }
    // Keys of other usages.
    let signer = create_id(&client, "ML_DSA_44", "SIGN_VERIFY").await;
    assert_err(
        encapsulate(signer.clone()).await,
        "InvalidKeyUsageException",
        &usage_error(&signer, "SIGN_VERIFY", "Encapsulate"),
    );
    let symmetric = create_key(&client).await;
    assert_err(
        decapsulate(symmetric.clone(), vec![1u8; 1088]).await,
        "InvalidKeyUsageException",
        &usage_error(&symmetric, "ENCRYPT_DECRYPT", "Decapsulate"),
    );
    server.shutdown().await;
}

// ----------------------------------------------------------------------------------------------
// Data key pairs
// ----------------------------------------------------------------------------------------------

/// Every DataKeyPairSpec but SM2 (China Regions only).
const DATA_KEY_PAIR_SPECS: &[&str] = &[
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "ECC_NIST_EDWARDS25519",
    "ML_KEM_512",
    "ML_KEM_768",
    "ML_KEM_1024",
];

/// A PKCS#8 PrivateKeyInfo of `spec`, as far as can be told without a crypto library: a DER
/// SEQUENCE with version 0 that, for RSA and ECC, holds the public key too.
fn check_pkcs8(spec: &str, pkcs8: &[u8], public_key: &[u8]) {
    assert_eq!(pkcs8[0], 0x30, "{spec}: a DER SEQUENCE");
    let (header, len) = match pkcs8[1] {
        n @ 0..=0x7f => (2, usize::from(n)),
        0x81 => (3, usize::from(pkcs8[2])),
        0x82 => (4, usize::from(pkcs8[2]) << 8 | usize::from(pkcs8[3])),
        other => panic!("{spec}: DER length byte {other:#x}"),
    };
    assert_eq!(
        pkcs8.len(),
        header + len,
        "{spec}: one SEQUENCE, nothing after it"
    );
    assert_eq!(
        &pkcs8[header..header + 3],
        [0x02, 0x01, 0x00],
        "{spec}: version 0"
    );
    match spec {
        // 48 bytes: the PKCS#8 v1 of a 32-byte seed.
        "ECC_NIST_EDWARDS25519" => assert_eq!(pkcs8.len(), 48),
        // The 64-byte seed form: SEQUENCE { 0, AlgorithmIdentifier, OCTET STRING { [0] seed } }.
        s if s.starts_with("ML_KEM_") => assert_eq!(pkcs8.len(), 86, "{spec}"),
        // RSA: the modulus is in the private key; ECC: the public point.
        _ => {
            let middle = public_key.len() / 2;
            let window = if spec.starts_with("RSA_") {
                &public_key[middle..middle + 64]
            } else {
                &public_key[public_key.len() - 64..]
            };
            assert!(
                contains(pkcs8, window),
                "{spec}: the private key holds the public key"
            );
        }
    }
}

#[tokio::test]
async fn data_key_pairs_of_every_spec() {
    let (server, client) = setup().await;
    let symmetric = create(&client, "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT").await;
    let key = symmetric.key_id.clone();
    let material = symmetric.current_key_material_id().unwrap().to_owned();
    let decrypt = |blob: Vec<u8>, context: &'static str| {
        client
            .decrypt()
            .ciphertext_blob(Blob::new(blob))
            .encryption_context("pair", context)
            .send()
    };
    let mut public_keys = Vec::new();
    for spec in DATA_KEY_PAIR_SPECS {
        let out = client
            .generate_data_key_pair()
            .key_id(&key)
            .key_pair_spec(DataKeyPairSpec::from(*spec))
            .encryption_context("pair", *spec)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GenerateDataKeyPair {spec}: {e:?}"));
        assert_eq!(out.key_id(), Some(arn(&key).as_str()), "{spec}");
        assert_eq!(out.key_pair_spec().map(|s| s.as_str()), Some(*spec));
        assert_eq!(out.key_material_id(), Some(material.as_str()), "{spec}");
        let public = out.public_key.unwrap().into_inner();
        assert_eq!(public.len(), spki_len(spec), "{spec}: SPKI length");
        let plaintext = out.private_key_plaintext.unwrap().into_inner();
        check_pkcs8(spec, &plaintext, &public);
        let blob = out.private_key_ciphertext_blob.unwrap().into_inner();
        assert!(!contains(&blob, &plaintext), "{spec}: encrypted");
        let dec = decrypt(blob.clone(), spec).await.unwrap();
        assert_eq!(dec.key_id(), Some(arn(&key).as_str()));
        assert_eq!(dec.key_material_id(), Some(material.as_str()));
        assert_eq!(
            dec.plaintext.unwrap().into_inner(),
            plaintext,
            "{spec}: the ciphertext is the PKCS#8 private key"
        );
        assert_err(
            decrypt(blob, "another context").await,
            "InvalidCiphertextException",
            "",
        );
        public_keys.push(public);

        let without = client
            .generate_data_key_pair_without_plaintext()
            .key_id(arn(&key))
            .key_pair_spec(DataKeyPairSpec::from(*spec))
            .encryption_context("pair", *spec)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GenerateDataKeyPairWithoutPlaintext {spec}: {e:?}"));
        assert_eq!(without.key_id(), Some(arn(&key).as_str()));
        assert_eq!(without.key_pair_spec().map(|s| s.as_str()), Some(*spec));
        assert_eq!(without.key_material_id(), Some(material.as_str()));
        let public = without.public_key.unwrap().into_inner();
        assert_eq!(public.len(), spki_len(spec));
        let private = decrypt(
            without.private_key_ciphertext_blob.unwrap().into_inner(),
            spec,
        )
        .await
        .unwrap()
        .plaintext
        .unwrap()
        .into_inner();
        check_pkcs8(spec, &private, &public);
        assert_ne!(private, plaintext, "{spec}: a fresh pair each call");
        public_keys.push(public);
    }
    let mut distinct = public_keys.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), public_keys.len(), "every pair is new");
    server.shutdown().await;
}

#[tokio::test]
async fn data_key_pairs_need_a_symmetric_encryption_key() {
    let (server, client) = setup().await;
    let rsa = create_id(&client, "RSA_2048", "ENCRYPT_DECRYPT").await;
    let signer = create_id(&client, "ECC_NIST_P256", "SIGN_VERIFY").await;
    let hmac = create_id(&client, "HMAC_256", "GENERATE_VERIFY_MAC").await;
    let kem = create_id(&client, "ML_KEM_768", "ENCAPSULATE_DECAPSULATE").await;
    for op in ["GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext"] {
        for (key, message) in [
            (
                &rsa,
                format!(
                    "{} key KeySpec is RSA_2048 which is not valid for {op}.",
                    arn(&rsa)
                ),
            ),
            (&signer, usage_error(&signer, "SIGN_VERIFY", op)),
            (&hmac, usage_error(&hmac, "GENERATE_VERIFY_MAC", op)),
            (&kem, usage_error(&kem, "ENCAPSULATE_DECAPSULATE", op)),
        ] {
            let (code, text) = if op == "GenerateDataKeyPair" {
                expect_err(
                    client
                        .generate_data_key_pair()
                        .key_id(key)
                        .key_pair_spec(DataKeyPairSpec::EccNistP256)
                        .send()
                        .await,
                )
            } else {
                expect_err(
                    client
                        .generate_data_key_pair_without_plaintext()
                        .key_id(key)
                        .key_pair_spec(DataKeyPairSpec::EccNistP256)
                        .send()
                        .await,
                )
            };
            assert_eq!(
                (code.as_str(), text.as_str()),
                ("InvalidKeyUsageException", message.as_str())
            );
        }
    }
    // SM2 is not a DataKeyPairSpec outside the China Regions.
    let symmetric = create_key(&client).await;
    let (code, text) = expect_err(
        client
            .generate_data_key_pair()
            .key_id(&symmetric)
            .key_pair_spec(DataKeyPairSpec::Sm2)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(text.contains("'SM2' at 'keyPairSpec'"), "{text}");
    server.shutdown().await;
}

// ----------------------------------------------------------------------------------------------
// DryRun, disabled keys, rotation
// ----------------------------------------------------------------------------------------------

#[tokio::test]
async fn dry_run_answers_dry_run_operation_exception() {
    let (server, client) = setup().await;
    let signer = create_id(&client, "ECC_NIST_P256", "SIGN_VERIFY").await;
    let hmac = create_id(&client, "HMAC_256", "GENERATE_VERIFY_MAC").await;
    let ka = create_id(&client, "ECC_NIST_P256", "KEY_AGREEMENT").await;
    let kem = create_id(&client, "ML_KEM_768", "ENCAPSULATE_DECAPSULATE").await;
    let symmetric = create_key(&client).await;
    assert_err(
        client
            .sign()
            .key_id(&signer)
            .message(Blob::new("m"))
            .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
            .dry_run(true)
            .send()
            .await,
        "DryRunOperationException",
        DRY_RUN,
    );
    let signature = sign(&client, &signer, "ECDSA_SHA_256", "RAW", b"m").await;
    assert_err(
        client
            .verify()
            .key_id(&signer)
            .message(Blob::new("m"))
            .signature(Blob::new(signature))
            .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
            .dry_run(true)
            .send()
            .await,
        "DryRunOperationException",
        DRY_RUN,
    );
    assert_err(
        client
            .generate_mac()
            .key_id(&hmac)
            .message(Blob::new("m"))
            .mac_algorithm(MacAlgorithmSpec::HmacSha256)
            .dry_run(true)
            .send()
            .await,
        "DryRunOperationException",
        DRY_RUN,
    );
    let peer = public_key(&client, &ka).await;
    assert_err(
        client
            .derive_shared_secret()
            .key_id(&ka)
            .key_agreement_algorithm(KeyAgreementAlgorithmSpec::Ecdh)
            .public_key(Blob::new(peer))
            .dry_run(true)
            .send()
            .await,
        "DryRunOperationException",
        DRY_RUN,
    );
    assert_err(
        client
            .encapsulate()
            .key_id(&kem)
            .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
            .dry_run(true)
            .send()
            .await,
        "DryRunOperationException",
        DRY_RUN,
    );
    assert_err(
        client
            .generate_data_key_pair()
            .key_id(&symmetric)
            .key_pair_spec(DataKeyPairSpec::EccNistP256)
            .dry_run(true)
            .send()
            .await,
        "DryRunOperationException",
        DRY_RUN,
    );
    // A dry run still checks the request first.
    assert_err(
        client
            .sign()
            .key_id(&signer)
            .message(Blob::new("m"))
            .signing_algorithm(SigningAlgorithmSpec::EcdsaSha384)
            .dry_run(true)
            .send()
            .await,
        "InvalidKeyUsageException",
        &incompatible("ECDSA_SHA_384", "ECC_NIST_P256"),
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_disabled_key_neither_signs_nor_shows_its_public_key() {
    let (server, client) = setup().await;
    let signer = create_id(&client, "ECC_NIST_EDWARDS25519", "SIGN_VERIFY").await;
    let signature = sign(&client, &signer, "ED25519_SHA_512", "RAW", b"m").await;
    client.disable_key().key_id(&signer).send().await.unwrap();
    let disabled = format!("{} is disabled.", arn(&signer));
    assert_err(
        client
            .sign()
            .key_id(&signer)
            .message(Blob::new("m"))
            .signing_algorithm(SigningAlgorithmSpec::Ed25519Sha512)
            .send()
            .await,
        "DisabledException",
        &disabled,
    );
    assert_eq!(
        verify(&client, &signer, "ED25519_SHA_512", "RAW", b"m", &signature).await,
        Err(("DisabledException".into(), disabled.clone()))
    );
    assert_err(
        client.get_public_key().key_id(&signer).send().await,
        "DisabledException",
        &disabled,
    );
    let hmac = create_id(&client, "HMAC_384", "GENERATE_VERIFY_MAC").await;
    client.disable_key().key_id(&hmac).send().await.unwrap();
    assert_err(
        client
            .generate_mac()
            .key_id(&hmac)
            .message(Blob::new("m"))
            .mac_algorithm(MacAlgorithmSpec::HmacSha384)
            .send()
            .await,
        "DisabledException",
        &format!("{} is disabled.", arn(&hmac)),
    );
    client.enable_key().key_id(&signer).send().await.unwrap();
    assert_eq!(
        verify(&client, &signer, "ED25519_SHA_512", "RAW", b"m", &signature).await,
        Ok(()),
        "enabled again, with the same key pair"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn asymmetric_and_hmac_keys_do_not_rotate() {
    let (server, client) = setup().await;
    for (spec, usage) in [
        ("RSA_2048", "SIGN_VERIFY"),
        ("ECC_NIST_P384", "KEY_AGREEMENT"),
        ("ML_DSA_65", "SIGN_VERIFY"),
        ("ML_KEM_1024", "ENCAPSULATE_DECAPSULATE"),
        ("HMAC_512", "GENERATE_VERIFY_MAC"),
    ] {
        let md = create(&client, spec, usage).await;
        let id = md.key_id.clone();
        assert_err(
            client.enable_key_rotation().key_id(&id).send().await,
            "UnsupportedOperationException",
            "",
        );
        assert_err(
            client
                .enable_key_rotation()
                .key_id(&id)
                .rotation_period_in_days(90)
                .send()
                .await,
            "UnsupportedOperationException",
            "",
        );
        assert_err(
            client.rotate_key_on_demand().key_id(&id).send().await,
            "UnsupportedOperationException",
            "",
        );
        let status = client
            .get_key_rotation_status()
            .key_id(&id)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GetKeyRotationStatus {spec}: {e:?}"));
        assert!(!status.key_rotation_enabled(), "{spec}");
        client
            .disable_key_rotation()
            .key_id(&id)
            .send()
            .await
            .unwrap_or_else(|e| panic!("DisableKeyRotation {spec}: {e:?}"));
        let after = client
            .describe_key()
            .key_id(&id)
            .send()
            .await
            .unwrap()
            .key_metadata
            .unwrap();
        assert_eq!(after, md, "{spec}: nothing changed");
    }
    server.shutdown().await;
}
