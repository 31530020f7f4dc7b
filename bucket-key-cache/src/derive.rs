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
//!
//! Lengths that do not fit their 32-bit fields (an output of 2^32 bits or more, a name of 4 GiB
//! or more) are an [`Error::InvalidInput`], never a panic and never a silently truncated field.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::error::Error;
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
/// kdf_ctr_hmac_sha256(&[7u8; 32], b"label", &[b"context"], &mut out)?;
/// assert_ne!(out, [0u8; 32]);
/// # Ok::<(), bucket_key_cache::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidInput`] when `L` does not fit its 32-bit field (`out` of 2^29 bytes or more).
pub fn kdf_ctr_hmac_sha256(
    key: &[u8],
    label: &[u8],
    context: &[&[u8]],
    out: &mut [u8],
) -> Result<(), Error> {
    let bits = out
        .len()
        .checked_mul(8)
        .and_then(|bits| u32::try_from(bits).ok())
        .ok_or(Error::InvalidInput(
            "KDF output must be shorter than 2^32 bits",
        ))?;
    kdf(key, label, context, out, bits)
}

/// [`kdf_ctr_hmac_sha256`] with `bits == 8 * out.len()` already checked to fit in 32 bits, so the
/// block counter (at most `bits / 256`) does too.
fn kdf(
    key: &[u8],
    label: &[u8],
    context: &[&[u8]],
    out: &mut [u8],
    bits: u32,
) -> Result<(), Error> {
    let prf = <HmacSha256 as KeyInit>::new_from_slice(key)
        .map_err(|_| Error::InvalidInput("HMAC key length"))?;
    // The counter starts at 1; `zip` with a bounded range stops rather than overflowing.
    for (chunk, counter) in out.chunks_mut(32).zip(1..=u32::MAX) {
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
    Ok(())
}

/// The per-object key of `object` in `bucket` under `bucket_key`, with `salt` (see the module
/// docs for the exact construction), as a [`Secret`]: wiped on drop, redacted in `Debug`.
///
/// ```
/// use bucket_key_cache::derive::object_key;
///
/// let a = object_key(&[1u8; 32], "photos", "cat.jpg", &[9u8; 16])?;
/// let b = object_key(&[1u8; 32], "photos", "dog.jpg", &[9u8; 16])?;
/// assert_ne!(*a, *b);
/// # Ok::<(), bucket_key_cache::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidInput`] when the bucket or object name is 4 GiB or longer (its length would
/// not fit the 32-bit prefix, and a saturated prefix would make the context ambiguous).
pub fn object_key(
    bucket_key: &[u8; KEY_LEN],
    bucket: &str,
    object: &str,
    salt: &[u8; SALT_LEN],
) -> Result<Secret<[u8; KEY_LEN]>, Error> {
    let name_len = |name: &str| {
        u32::try_from(name.len())
            .map(u32::to_be_bytes)
            .map_err(|_| Error::InvalidInput("bucket and object names must be shorter than 4 GiB"))
    };
    let bucket_len = name_len(bucket)?;
    let object_len = name_len(object)?;
    let mut out = Secret::new([0u8; KEY_LEN]);
    kdf(
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
        8 * KEY_LEN as u32,
    )?;
    Ok(out)
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
        kdf_ctr_hmac_sha256(&ikm, b"aws-kms-hierarchy", &[&salt], &mut out).unwrap();
        assert_eq!(
            hex::encode(out),
            "bce898725589aec08f9834b3b80fdc3ff173907e5574e729fdce127cf76db7cc"
        );
    }

    #[test]
    fn longer_outputs_use_successive_counters() {
        let mut one = [0u8; 32];
        let mut two = [0u8; 64];
        kdf_ctr_hmac_sha256(b"k", b"l", &[b"c"], &mut one).unwrap();
        kdf_ctr_hmac_sha256(b"k", b"l", &[b"c"], &mut two).unwrap();
        // L is part of the input, so the first block differs between L=256 and L=512.
        assert_ne!(one[..], two[..32]);
        assert_ne!(two[..32], two[32..]);
    }

    #[test]
    fn object_keys_are_domain_separated() {
        let k = [3u8; 32];
        let s = [4u8; 16];
        let key = |k: &[u8; 32], b: &str, o: &str, s: &[u8; 16]| *object_key(k, b, o, s).unwrap();
        let base = key(&k, "ab", "c", &s);
        assert_ne!(base, key(&k, "a", "bc", &s), "length prefixes");
        assert_ne!(base, key(&k, "ab", "c", &[5u8; 16]), "salt");
        assert_ne!(base, key(&k, "xb", "c", &s), "bucket");
        assert_ne!(base, key(&[6u8; 32], "ab", "c", &s), "bucket key");
        assert_eq!(base, key(&k, "ab", "c", &s), "deterministic");
    }

    /// `L` is a 32-bit field: 2^29 bytes are 2^32 bits, one too many. This used to panic (and
    /// `out.len() * 8` could overflow before the check). The buffer is zero-filled lazily, so the
    /// test costs no real memory.
    #[cfg(target_pointer_width = "64")]
    #[test]
    fn an_output_too_long_for_the_length_field_is_an_error() {
        let mut out = vec![0u8; 1 << 29];
        assert!(matches!(
            kdf_ctr_hmac_sha256(b"k", b"l", &[], &mut out),
            Err(Error::InvalidInput(_))
        ));
        let mut fits = [0u8; 64];
        kdf_ctr_hmac_sha256(b"k", b"l", &[], &mut fits).unwrap();
    }
}
