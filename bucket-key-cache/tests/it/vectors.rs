//! Published test vectors for the per-object key derivation and the envelope format. Each was
//! computed independently with Python's `hmac`/`hashlib` and `cryptography`'s AESGCM from the
//! construction documented in `src/derive.rs` and `src/envelope.rs`.

use bucket_key_cache::derive::{kdf_ctr_hmac_sha256, object_key};
use bucket_key_cache::envelope;

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).expect("hex")
}

fn arr<const N: usize>(v: Vec<u8>) -> [u8; N] {
    v.try_into().expect("length")
}

/// The AWS KMS hierarchical keyring's KDF test vector C.1 (SP 800-108 counter mode,
/// HMAC-SHA256, label "aws-kms-hierarchy", context = 16-byte salt, L = 256).
#[test]
fn sp800_108_matches_the_hierarchical_keyring() {
    let mut out = [0u8; 32];
    kdf_ctr_hmac_sha256(
        &unhex("7dc9bdfc2534047cfe63e9eb297b77525149ed7d4afce9c6440f350e61ef3ed0"),
        b"aws-kms-hierarchy",
        &[&unhex("77dae93e689b581d3e06eb01c8d3ba02")],
        &mut out,
    )
    .unwrap();
    assert_eq!(
        hex::encode(out),
        "bce898725589aec08f9834b3b80fdc3ff173907e5574e729fdce127cf76db7cc"
    );
}

/// (bucket key, bucket, object, salt) -> per-object key.
const OBJECT_KEY_VECTORS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        "photos",
        "2024/cat.jpg",
        "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
        "6ad9e219e6ac7ba6bf74cfc4244a4aa0da07a1f92894d09f9dd7399abdaa24f3",
    ),
    (
        "4242424242424242424242424242424242424242424242424242424242424242",
        "b",
        "",
        "00000000000000000000000000000000",
        "1eb95df8949c7dba72aef3d267078006249116e9e49156a44d5865c9cc9c45be",
    ),
    (
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "my-bucket",
        "données/été.txt",
        "0f0e0d0c0b0a09080706050403020100",
        "a42304531ba860d4f6f9ca0d016c63c6a2d3dd9ac6467f11dc05c992309de7df",
    ),
];

#[test]
fn object_key_vectors() {
    for (key, bucket, object, salt, expected) in OBJECT_KEY_VECTORS {
        let derived = object_key(&arr(unhex(key)), bucket, object, &arr(unhex(salt))).unwrap();
        assert_eq!(hex::encode(*derived), *expected, "{bucket}/{object}");
    }
}

const ENVELOPE_ARN: &str =
    "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const ENVELOPE_HEX: &str = "424b434501004b61726e3a6177733a6b6d733a75732d656173742d313a3131313132323232333333333a6b65792f31323334616263642d313261622d333463642d353665662d31323334353637383930616200156275636b65742d6b65792d63697068657274657874a0a1a2a3a4a5a6a7a8a9aaabacadaeaf000102030405060708090a0b2654ffd71a8c86d75edf7755c03856a570cc7b2cfffa6a0d8107a14069b2f0193d6a";

/// Format version 1 of "hello, bucket keys" as photos/2024/cat.jpg, bucket key 00..1f,
/// salt a0..af, nonce 00..0b.
#[test]
fn envelope_vector() {
    let bucket_key = arr(unhex(
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
    ));
    let sealed = envelope::seal_with(
        &bucket_key,
        ENVELOPE_ARN,
        b"bucket-key-ciphertext",
        "photos",
        "2024/cat.jpg",
        b"hello, bucket keys",
        arr(unhex("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf")),
        arr(unhex("000102030405060708090a0b")),
    )
    .unwrap();
    assert_eq!(hex::encode(&sealed), ENVELOPE_HEX);
    let parsed = envelope::parse(&sealed).unwrap();
    assert_eq!(parsed.header.version, 1);
    assert_eq!(parsed.header.kms_key_arn, ENVELOPE_ARN);
    assert_eq!(
        parsed.header.bucket_key_ciphertext,
        b"bucket-key-ciphertext"
    );
    assert_eq!(
        envelope::open(&bucket_key, "photos", "2024/cat.jpg", &parsed).unwrap(),
        b"hello, bucket keys"
    );
}
