//! Per-object key derivation: NIST SP 800-108r1 KDF in counter mode with HMAC-SHA256, the KDF
//! the AWS KMS hierarchical keyring uses for its per-message keys.
//!
//! # Construction
//! [`kdf_ctr_hmac_sha256`] computes, for `i = 1, 2, ...` until `L` bits are produced,
//!
//! ```text
//! K(i) = HMAC-SHA256(K_in, [i]_32 || Label || 0x00 || Context || [L]_32)
//! ```
//!
//! where `[x]_32` is `x` as a 4-byte big-endian integer and `L` the output length in bits
//! (SP 800-108r1 §4.1, counter first, `r = 32`). With `Label = "aws-kms-hierarchy"` and
//! `Context = salt` this is exactly the hierarchical keyring's `DeriveEncryptionKeyFromBranchKey`
//! (checked against its test vector C.1 in the tests below).
//!
//! [`object_key`] derives a 32-byte per-object key (`L = 256`, one HMAC block) from a bucket key
//! with
//!
//! ```text
//! Label   = "bucket-key-cache/v1 object key"                       (ASCII, 30 bytes)
//! Context = salt (16 random bytes, per object)
//!           || [len(bucket)]_32 || bucket                          (UTF-8)
//!           || [len(object)]_32 || object                          (UTF-8)
//! K_obj   = HMAC-SHA256(K_bucket, 0x00000001 || Label || 0x00 || Context || 0x00000100)
//! ```
//!
//! The length prefixes make the context unambiguous, so two different (bucket, object) pairs
//! never share a derivation input; the random salt makes every write of the same object name
//! get a fresh key. Test vectors are in `tests/vectors.rs`.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::secret::Secret;

/// The KDF label of per-object keys.
pub const OBJECT_KEY_LABEL: &[u8] = b"bucket-key-cache/v1 object key";

/// Bytes of the random per-object salt.
pub const SALT_LEN: usize = 16;

/// Bytes of a bucket key and of a per-object key.
pub const KEY_LEN: usize = 32;

type HmacSha256 = Hmac<Sha256>;

/// SP 800-108r1 counter-mode KDF with HMAC-SHA256, filling `out` (`L = 8 * out.len()` bits).
/// `context` is the concatenation of its parts (passed in pieces so callers need not allocate).
///
/// ```
/// use bucket_key_cache::derive::kdf_ctr_hmac_sha256;
///
/// let mut out = [0u8; 32];
/// kdf_ctr_hmac_sha256(&[7u8; 32], b"label", &[b"context"], &mut out);
/// assert_ne!(out, [0u8; 32]);
/// ```
///
/// # Panics
/// If `out` is longer than `u32::MAX / 8` bytes.
pub fn kdf_ctr_hmac_sha256(key: &[u8], label: &[u8], context: &[&[u8]], out: &mut [u8]) {
    let bits = u32::try_from(out.len() * 8).expect("output length fits the 32-bit L field");
    let prf = <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    for (i, chunk) in out.chunks_mut(32).enumerate() {
        // Counter starts at 1; out.len() <= u32::MAX / 8 so i + 1 fits in u32.
        let counter = u32::try_from(i + 1).expect("counter fits in 32 bits");
        let mut mac = prf.clone();
        mac.update(&counter.to_be_bytes());
        mac.update(label);
        mac.update(&[0x00]);
        for part in context {
            mac.update(part);
        }
        mac.update(&bits.to_be_bytes());
        let block: Zeroizing<[u8; 32]> = Zeroizing::new(mac.finalize().into_bytes().into());
        chunk.copy_from_slice(&block[..chunk.len()]);
    }
}

/// The per-object key of `object` in `bucket` under `bucket_key`, with `salt` (see the module
/// docs for the exact construction), as a [`Secret`]: wiped on drop, redacted in `Debug`.
///
/// ```
/// use bucket_key_cache::derive::object_key;
///
/// let a = object_key(&[1u8; 32], "photos", "cat.jpg", &[9u8; 16]);
/// let b = object_key(&[1u8; 32], "photos", "dog.jpg", &[9u8; 16]);
/// assert_ne!(*a, *b);
/// ```
pub fn object_key(
    bucket_key: &[u8; KEY_LEN],
    bucket: &str,
    object: &str,
    salt: &[u8; SALT_LEN],
) -> Secret<[u8; KEY_LEN]> {
    let mut out = Secret::new([0u8; KEY_LEN]);
    // Lengths beyond u32 are rejected by the envelope before deriving; saturate defensively.
    let bucket_len = u32::try_from(bucket.len())
        .unwrap_or(u32::MAX)
        .to_be_bytes();
    let object_len = u32::try_from(object.len())
        .unwrap_or(u32::MAX)
        .to_be_bytes();
    kdf_ctr_hmac_sha256(
        bucket_key,
        OBJECT_KEY_LABEL,
        &[
            salt,
            &bucket_len,
            bucket.as_bytes(),
            &object_len,
            object.as_bytes(),
        ],
        &mut *out,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    /// The hierarchical keyring's test vector C.1 (MPL `TestKDF_TestVectors.dfy`): purpose
    /// "aws-kms-hierarchy", 16-byte info, L = 32 bytes.
    #[test]
    fn matches_the_hierarchical_keyring_vector_c1() {
        let ikm = unhex("7dc9bdfc2534047cfe63e9eb297b77525149ed7d4afce9c6440f350e61ef3ed0");
        let salt = unhex("77dae93e689b581d3e06eb01c8d3ba02");
        let mut out = [0u8; 32];
        kdf_ctr_hmac_sha256(&ikm, b"aws-kms-hierarchy", &[&salt], &mut out);
        assert_eq!(
            hex::encode(out),
            "bce898725589aec08f9834b3b80fdc3ff173907e5574e729fdce127cf76db7cc"
        );
    }

    #[test]
    fn longer_outputs_use_successive_counters() {
        let mut one = [0u8; 32];
        let mut two = [0u8; 64];
        kdf_ctr_hmac_sha256(b"k", b"l", &[b"c"], &mut one);
        kdf_ctr_hmac_sha256(b"k", b"l", &[b"c"], &mut two);
        // L is part of the input, so the first block differs between L=256 and L=512.
        assert_ne!(one[..], two[..32]);
        assert_ne!(two[..32], two[32..]);
    }

    #[test]
    fn object_keys_are_domain_separated() {
        let k = [3u8; 32];
        let s = [4u8; 16];
        let base = object_key(&k, "ab", "c", &s);
        assert_ne!(*base, *object_key(&k, "a", "bc", &s), "length prefixes");
        assert_ne!(*base, *object_key(&k, "ab", "c", &[5u8; 16]), "salt");
        assert_ne!(*base, *object_key(&k, "xb", "c", &s), "bucket");
        assert_ne!(*base, *object_key(&[6u8; 32], "ab", "c", &s), "bucket key");
        assert_eq!(*base, *object_key(&k, "ab", "c", &s), "deterministic");
    }
}
