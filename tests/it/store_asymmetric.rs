//! Durable storage of asymmetric, HMAC and post-quantum keys: after a restart on the same data
//! directory every key has the same public key and secret material (old signatures and MACs
//! verify, an old ML-KEM ciphertext decapsulates to the same secret, ECDH with the same peer
//! gives the same secret, an old RSA ciphertext decrypts), and no private key, seed or HMAC key
//! is on disk in plaintext.

use crate::common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    DataKeyPairSpec, EncapsulationAlgorithmSpec, EncryptionAlgorithmSpec,
    KeyAgreementAlgorithmSpec, KeyMetadata, KeySpec, KeyUsageType, MacAlgorithmSpec, MessageType,
    SigningAlgorithmSpec,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use common::*;
use kms_emulator::store::Store;
use kms_emulator::store::root_key::RootKey;
use kms_emulator::{Config, RunningServer};

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kms-store-{tag}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn root() -> RootKey {
    RootKey::from_bytes(&[42u8; 32])
}

/// A server over a store in `dir`, and a handle on its engine (to read key material the way
/// only the process itself can).
async fn durable_server(dir: &Path) -> (RunningServer, kms_api::Kms) {
    let store = Arc::new(Store::open(dir, root()).unwrap());
    let kms = kms_api::Kms::builder().persistence(store.clone()).build();
    store.restore_into(&kms).unwrap();
    let config = Config {
        data_dir: Some(dir.to_owned()),
        ..Config::default()
    };
    let server = kms_emulator::start(config, kms.clone(), "127.0.0.1:0")
        .await
        .unwrap();
    (server, kms)
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
        .unwrap()
}

async fn describe(client: &Client, key_id: &str) -> KeyMetadata {
    client
        .describe_key()
        .key_id(key_id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
}

async fn public_key(client: &Client, key_id: &str) -> Vec<u8> {
    client
        .get_public_key()
        .key_id(key_id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetPublicKey {key_id}: {e:?}"))
        .public_key
        .unwrap()
        .into_inner()
}

/// The signing cases: (key index, algorithm, message type, message).
const SIGNATURES: &[(usize, &str, &str, &[u8])] = &[
    (0, "RSASSA_PSS_SHA_256", "RAW", b"signed before the restart"),
    (
        0,
        "RSASSA_PKCS1_V1_5_SHA_512",
        "RAW",
        b"signed before the restart",
    ),
    (2, "ED25519_SHA_512", "RAW", b"signed before the restart"),
    (2, "ED25519_PH_SHA_512", "DIGEST", &[0x5a; 64]),
    (3, "ML_DSA_SHAKE_256", "RAW", b"signed before the restart"),
    (3, "ML_DSA_SHAKE_256", "EXTERNAL_MU", &[0xa5; 64]),
];

async fn sign(client: &Client, key_id: &str, alg: &str, kind: &str, message: &[u8]) -> Vec<u8> {
    client
        .sign()
        .key_id(key_id)
        .message(Blob::new(message))
        .message_type(MessageType::from(kind))
        .signing_algorithm(SigningAlgorithmSpec::from(alg))
        .send()
        .await
        .unwrap_or_else(|e| panic!("Sign {alg} {kind}: {e:?}"))
        .signature
        .unwrap()
        .into_inner()
}

async fn verify(
    client: &Client,
    key_id: &str,
    alg: &str,
    kind: &str,
    message: &[u8],
    signature: &[u8],
) -> bool {
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
        Ok(out) => out.signature_valid(),
        Err(e) => {
            let (code, message) = err_parts(e);
            assert_eq!(
                (code.as_str(), message.as_str()),
                ("KMSInvalidSignatureException", "")
            );
            false
        }
    }
}

async fn mac(client: &Client, key_id: &str, message: &[u8]) -> Vec<u8> {
    client
        .generate_mac()
        .key_id(key_id)
        .message(Blob::new(message))
        .mac_algorithm(MacAlgorithmSpec::HmacSha256)
        .send()
        .await
        .unwrap()
        .mac
        .unwrap()
        .into_inner()
}

async fn derive(client: &Client, key_id: &str, peer: &[u8]) -> Vec<u8> {
    client
        .derive_shared_secret()
        .key_id(key_id)
        .key_agreement_algorithm(KeyAgreementAlgorithmSpec::Ecdh)
        .public_key(Blob::new(peer))
        .send()
        .await
        .unwrap()
        .shared_secret
        .unwrap()
        .into_inner()
}

async fn decapsulate(client: &Client, key_id: &str, ciphertext: &[u8]) -> Vec<u8> {
    client
        .decapsulate()
        .key_id(key_id)
        .shared_secret_ciphertext_blob(Blob::new(ciphertext))
        .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
        .send()
        .await
        .unwrap()
        .shared_secret
        .unwrap()
        .into_inner()
}

async fn decrypt(client: &Client, key_id: Option<&str>, alg: &str, blob: &[u8]) -> Vec<u8> {
    client
        .decrypt()
        .set_key_id(key_id.map(str::to_owned))
        .ciphertext_blob(Blob::new(blob))
        .encryption_algorithm(EncryptionAlgorithmSpec::from(alg))
        .send()
        .await
        .unwrap_or_else(|e| panic!("Decrypt {alg}: {e:?}"))
        .plaintext
        .unwrap()
        .into_inner()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A file of the data directory.
struct DiskFile {
    path: PathBuf,
    bytes: Vec<u8>,
    /// Every 8 bytes of the file as a number, sorted: an index that makes looking for many
    /// pieces of a 5 MB database quick in a debug build.
    index: Vec<u64>,
}

fn prefix(bytes: &[u8]) -> u64 {
    u64::from_le_bytes(bytes[..8].try_into().unwrap())
}

impl DiskFile {
    /// Whether `needle` (at least 8 bytes) occurs in the file.
    fn holds(&self, needle: &[u8]) -> bool {
        self.index.binary_search(&prefix(needle)).is_ok() && contains(&self.bytes, needle)
    }
}

/// Every file in `dir`, read.
fn files(dir: &Path) -> Vec<DiskFile> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let mut index: Vec<u64> = bytes.windows(8).map(prefix).collect();
            index.sort_unstable();
            index.dedup();
            DiskFile { path, bytes, index }
        })
        .collect()
}

/// Asserts `secret` is nowhere in `files`: not whole (raw, hex or base64), and no 16-byte
/// piece of it that is not also part of the public key (a PKCS#8 RSA or ECC key holds its
/// public key, which is no secret).
fn assert_not_on_disk(what: &str, secret: &[u8], public_key: &[u8], files: &[DiskFile]) {
    assert!(secret.len() >= 16, "{what}: {} bytes", secret.len());
    for file in files {
        let at = file.path.display();
        assert!(!file.holds(secret), "{what} raw in {at}");
        assert!(!file.holds(hex(secret).as_bytes()), "{what} as hex in {at}");
        assert!(
            !file.holds(B64.encode(secret).as_bytes()),
            "{what} as base64 in {at}"
        );
        for piece in secret.chunks_exact(16) {
            if contains(public_key, piece) {
                continue;
            }
            assert!(!file.holds(piece), "a piece of {what} raw in {at}");
        }
    }
}

#[tokio::test]
async fn asymmetric_keys_survive_a_restart_and_stay_wrapped_on_disk() {
    let dir = temp_dir("asym");
    let (server, kms) = durable_server(&dir).await;
    let client = client(&server);
    let types = [
        ("RSA_2048", "SIGN_VERIFY"),
        ("ECC_NIST_P256", "KEY_AGREEMENT"),
        ("ECC_NIST_EDWARDS25519", "SIGN_VERIFY"),
        ("ML_DSA_44", "SIGN_VERIFY"),
        ("ML_KEM_768", "ENCAPSULATE_DECAPSULATE"),
        ("HMAC_256", "GENERATE_VERIFY_MAC"),
        ("RSA_2048", "ENCRYPT_DECRYPT"),
    ];
    let mut keys = Vec::new();
    for (spec, usage) in types {
        keys.push(create(&client, spec, usage).await);
    }
    let ids: Vec<String> = keys.iter().map(|k| k.key_id.clone()).collect();
    let symmetric = create_key(&client).await;

    let mut public_keys = Vec::new();
    for (i, (spec, _)) in types.iter().enumerate() {
        if spec.starts_with("HMAC_") {
            public_keys.push(Vec::new());
        } else {
            public_keys.push(public_key(&client, &ids[i]).await);
        }
    }
    let mut signatures = Vec::new();
    for &(i, alg, kind, message) in SIGNATURES {
        signatures.push(sign(&client, &ids[i], alg, kind, message).await);
    }
    let mac_before = mac(&client, &ids[5], b"mac before the restart").await;
    let encapsulated = client
        .encapsulate()
        .key_id(&ids[4])
        .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
        .send()
        .await
        .unwrap();
    let kem_secret = encapsulated.shared_secret.unwrap().into_inner();
    let kem_ciphertext = encapsulated
        .shared_secret_ciphertext_blob
        .unwrap()
        .into_inner();
    // The ECDH peer: a data key pair on the same curve, whose private key is kept encrypted.
    let pair = client
        .generate_data_key_pair()
        .key_id(&symmetric)
        .key_pair_spec(DataKeyPairSpec::EccNistP256)
        .send()
        .await
        .unwrap();
    let peer = pair.public_key.unwrap().into_inner();
    let pair_private = pair.private_key_plaintext.unwrap().into_inner();
    let pair_ciphertext = pair.private_key_ciphertext_blob.unwrap().into_inner();
    let ecdh_before = derive(&client, &ids[1], &peer).await;
    let rsa_ciphertext = client
        .encrypt()
        .key_id(&ids[6])
        .plaintext(Blob::new("encrypted before the restart"))
        .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap()
        .into_inner();
    let described: Vec<KeyMetadata> = {
        let mut v = Vec::new();
        for id in &ids {
            v.push(describe(&client, id).await);
        }
        v
    };

    // The material as the engine holds it: PKCS#8 (RSA, ECC), seeds (Ed25519, ML-DSA, ML-KEM)
    // and the raw HMAC key.
    let scope = kms_api::Scope::new(DEFAULT_ACCOUNT, REGION);
    let materials: Vec<Vec<u8>> = ids
        .iter()
        .map(|id| {
            let key = kms.export_key(&scope, id).unwrap();
            assert_eq!(key.versions().len(), 1);
            key.versions()[0].secret().unwrap().expose().to_vec()
        })
        .collect();
    server.shutdown().await;
    drop(kms);

    // On disk: the key IDs are there (the right files are read, and they are not opaque as a
    // whole), the secrets are not.
    let on_disk = files(&dir);
    let db = &on_disk
        .iter()
        .find(|f| f.path.ends_with(kms_emulator::store::DB_FILE))
        .expect("the database file")
        .bytes;
    for id in &ids {
        assert!(contains(db, id.as_bytes()), "key {id} is in the database");
    }
    for (i, (spec, usage)) in types.iter().enumerate() {
        let what = format!("the {spec} {usage} key material");
        assert_not_on_disk(&what, &materials[i], &public_keys[i], &on_disk);
    }
    assert_not_on_disk(
        "the data key pair's private key",
        &pair_private,
        &peer,
        &on_disk,
    );

    // Restart on the same directory.
    let (server, _kms) = durable_server(&dir).await;
    let client = common::client(&server);
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(describe(&client, id).await, described[i], "{:?}", types[i]);
        if !types[i].0.starts_with("HMAC_") {
            assert_eq!(
                public_key(&client, id).await,
                public_keys[i],
                "{:?}: the same public key",
                types[i]
            );
        }
    }
    for (n, &(i, alg, kind, message)) in SIGNATURES.iter().enumerate() {
        assert!(
            verify(&client, &ids[i], alg, kind, message, &signatures[n]).await,
            "{alg} {kind}: a signature made before the restart verifies"
        );
        let fresh = sign(&client, &ids[i], alg, kind, message).await;
        assert!(verify(&client, &ids[i], alg, kind, message, &fresh).await);
    }
    let ok = client
        .verify_mac()
        .key_id(&ids[5])
        .message(Blob::new("mac before the restart"))
        .mac(Blob::new(mac_before.clone()))
        .mac_algorithm(MacAlgorithmSpec::HmacSha256)
        .send()
        .await
        .unwrap();
    assert!(ok.mac_valid());
    assert_eq!(
        mac(&client, &ids[5], b"mac before the restart").await,
        mac_before,
        "the same HMAC key"
    );
    assert_eq!(
        decapsulate(&client, &ids[4], &kem_ciphertext).await,
        kem_secret,
        "an ML-KEM ciphertext from before the restart gives the same secret"
    );
    assert_eq!(
        derive(&client, &ids[1], &peer).await,
        ecdh_before,
        "ECDH with the same peer gives the same secret"
    );
    assert_eq!(
        decrypt(
            &client,
            Some(&ids[6]),
            "RSAES_OAEP_SHA_256",
            &rsa_ciphertext
        )
        .await,
        b"encrypted before the restart"
    );
    assert_eq!(
        decrypt(&client, None, "SYMMETRIC_DEFAULT", &pair_ciphertext).await,
        pair_private,
        "the data key pair's private key decrypts"
    );
    server.shutdown().await;
    std::fs::remove_dir_all(dir).ok();
}
