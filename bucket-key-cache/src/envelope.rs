//! The sealed-object format: a versioned header that holds everything needed to get the
//! per-object key again (KMS key ARN, the bucket key as KMS ciphertext, salt), then the object
//! encrypted with AES-256-GCM under that key.
//!
//! # Format version 1
//! ```text
//! offset  size  field
//! 0       4     magic "BKCE"
//! 4       1     format version = 0x01
//! 5       2     n = length of the KMS key ARN (big-endian u16)
//! 7       n     KMS key ARN (UTF-8) that encrypted the bucket key
//! 7+n     2     m = length of the bucket key ciphertext (big-endian u16)
//! 9+n     m     bucket key ciphertext: the KMS CiphertextBlob, exactly as KMS returned it
//! 9+n+m   16    salt (random per object; see [`derive`](crate::derive))
//! 25+n+m  12    nonce (random per object)
//! 37+n+m  ...   AES-256-GCM ciphertext of the object, then its 16-byte tag
//! ```
//! The per-object key is [`derive::object_key`]`(bucket key, bucket,
//! object name, salt)`. The AAD is the header (bytes `0 .. 37+n+m`) followed by the object name
//! (UTF-8): changing any header byte, the ciphertext, the tag, the object name or the bucket
//! makes [`open`] fail with [`Error::Authentication`]. Since the bucket key's ciphertext travels
//! with every object, reading never depends on what a cache holds.
//!
//! Every length computed here is checked: a truncated, hostile or hand-built value ([`Parsed`]
//! has public fields) gives an [`Error`], never a panic.

use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Aes256Gcm, KeyInit, Nonce, Tag};

use crate::derive::{self, KEY_LEN, SALT_LEN};
use crate::error::Error;

/// The four bytes every envelope starts with.
pub const MAGIC: &[u8; 4] = b"BKCE";
/// The format version this library writes.
pub const VERSION: u8 = 1;
/// Bytes of the AES-GCM nonce.
pub const NONCE_LEN: usize = 12;
/// Bytes of the AES-GCM tag.
pub const TAG_LEN: usize = 16;
/// The longest object AES-GCM can encrypt under one key and nonce: 2^36 - 32 bytes (NIST SP
/// 800-38D, §5.2.1.1).
pub const MAX_OBJECT_LEN: u64 = (1 << 36) - 32;

/// The parsed header of an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header<'a> {
    /// The format version (1).
    pub version: u8,
    /// The KMS key that encrypted the bucket key.
    pub kms_key_arn: &'a str,
    /// The bucket key as KMS ciphertext (decrypt it with encryption context
    /// `{"aws:s3:arn": "arn:aws:s3:::<bucket>"}`).
    pub bucket_key_ciphertext: &'a [u8],
    /// The per-object salt of the key derivation.
    pub salt: [u8; SALT_LEN],
    /// The AES-GCM nonce.
    pub nonce: [u8; NONCE_LEN],
}

/// An envelope split into its header, the header's raw bytes (part of the AAD) and the
/// ciphertext with its tag.
#[derive(Debug, Clone)]
pub struct Parsed<'a> {
    /// The fields.
    pub header: Header<'a>,
    /// The header as it was written.
    pub header_bytes: &'a [u8],
    /// The AES-GCM ciphertext followed by its 16-byte tag.
    pub ciphertext: &'a [u8],
}

/// Splits `envelope` into header and ciphertext without decrypting anything.
///
/// ```
/// use bucket_key_cache::envelope;
///
/// let sealed = envelope::seal_with(&[7u8; 32], "arn:aws:kms:us-east-1:111122223333:key/k",
///     b"blob", "bucket", "a.txt", b"hi", [1; 16], [2; 12]).unwrap();
/// let parsed = envelope::parse(&sealed).unwrap();
/// assert_eq!(parsed.header.kms_key_arn, "arn:aws:kms:us-east-1:111122223333:key/k");
/// assert_eq!(parsed.header.bucket_key_ciphertext, b"blob");
/// ```
///
/// # Errors
/// [`Error::Malformed`], [`Error::UnsupportedVersion`].
pub fn parse(envelope: &[u8]) -> Result<Parsed<'_>, Error> {
    let mut r = Reader(envelope);
    if r.take(4)? != MAGIC {
        return Err(Error::Malformed("not a bucket-key envelope (bad magic)"));
    }
    let version = r.take(1)?[0];
    if version != VERSION {
        return Err(Error::UnsupportedVersion(version));
    }
    let arn_len = usize::from(r.u16()?);
    let kms_key_arn = std::str::from_utf8(r.take(arn_len)?)
        .map_err(|_| Error::Malformed("KMS key ARN is not UTF-8"))?;
    if kms_key_arn.is_empty() {
        return Err(Error::Malformed("empty KMS key ARN"));
    }
    let blob_len = usize::from(r.u16()?);
    if blob_len == 0 {
        return Err(Error::Malformed("empty bucket key ciphertext"));
    }
    let bucket_key_ciphertext = r.take(blob_len)?;
    let salt = r.array::<SALT_LEN>()?;
    let nonce = r.array::<NONCE_LEN>()?;
    let header_len = envelope
        .len()
        .checked_sub(r.0.len())
        .ok_or(Error::Malformed("header longer than the envelope"))?;
    if r.0.len() < TAG_LEN {
        return Err(Error::Malformed("truncated before the tag"));
    }
    Ok(Parsed {
        header: Header {
            version,
            kms_key_arn,
            bucket_key_ciphertext,
            salt,
            nonce,
        },
        header_bytes: &envelope[..header_len],
        ciphertext: r.0,
    })
}

/// Seals `plaintext` as object `object` of `bucket` under `bucket_key` with the given salt and
/// nonce. Programs use [`BucketKey::seal`](crate::BucketKey::seal), which draws both at random;
/// this form exists for test vectors.
///
/// # Errors
/// [`Error::InvalidInput`] when the ARN or ciphertext is empty or longer than 65,535 bytes, the
/// bucket or object name longer than `u32::MAX` bytes, or the object longer than
/// [`MAX_OBJECT_LEN`].
#[allow(clippy::too_many_arguments)]
pub fn seal_with(
    bucket_key: &[u8; KEY_LEN],
    kms_key_arn: &str,
    bucket_key_ciphertext: &[u8],
    bucket: &str,
    object: &str,
    plaintext: &[u8],
    salt: [u8; SALT_LEN],
    nonce: [u8; NONCE_LEN],
) -> Result<Vec<u8>, Error> {
    let arn_len = u16::try_from(kms_key_arn.len())
        .ok()
        .filter(|&n| n > 0)
        .ok_or(Error::InvalidInput("KMS key ARN must be 1..=65535 bytes"))?;
    let blob_len = u16::try_from(bucket_key_ciphertext.len())
        .ok()
        .filter(|&n| n > 0)
        .ok_or(Error::InvalidInput(
            "bucket key ciphertext must be 1..=65535 bytes",
        ))?;
    check_names(bucket, object)?;
    if u64::try_from(plaintext.len()).map_or(true, |n| n > MAX_OBJECT_LEN) {
        return Err(Error::InvalidInput(
            "object too large for AES-GCM (at most 2^36 - 32 bytes)",
        ));
    }
    // At most 4 + 1 + 2 + 65,535 + 2 + 65,535 + 16 + 12 bytes: the two lengths are u16.
    let header_len = MAGIC.len()
        + 1
        + 2
        + usize::from(arn_len)
        + 2
        + usize::from(blob_len)
        + SALT_LEN
        + NONCE_LEN;
    let capacity = header_len
        .checked_add(plaintext.len())
        .and_then(|n| n.checked_add(TAG_LEN))
        .ok_or(Error::InvalidInput(
            "envelope longer than memory can address",
        ))?;
    let mut out = Vec::with_capacity(capacity);
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    out.extend_from_slice(&arn_len.to_be_bytes());
    out.extend_from_slice(kms_key_arn.as_bytes());
    out.extend_from_slice(&blob_len.to_be_bytes());
    out.extend_from_slice(bucket_key_ciphertext);
    out.extend_from_slice(&salt);
    out.extend_from_slice(&nonce);
    debug_assert_eq!(out.len(), header_len);
    let aad = aad(&out, object)?;
    out.extend_from_slice(plaintext);
    let cipher = object_cipher(bucket_key, bucket, object, &salt)?;
    let tag = cipher
        .encrypt_in_place_detached(Nonce::from_slice(&nonce), &aad, &mut out[header_len..])
        .map_err(|_| Error::InvalidInput("object too large for AES-GCM"))?;
    out.extend_from_slice(&tag);
    Ok(out)
}

/// Opens `parsed` (from [`parse`]) as object `object` of `bucket` with `bucket_key`, the
/// plaintext of its header's bucket key ciphertext.
///
/// # Errors
/// [`Error::Authentication`] when anything was changed or the name or bucket is wrong;
/// [`Error::Malformed`] when `parsed.ciphertext` is shorter than the tag (possible only for a
/// `Parsed` built by hand); [`Error::InvalidInput`] for names longer than `u32::MAX` bytes.
pub fn open(
    bucket_key: &[u8; KEY_LEN],
    bucket: &str,
    object: &str,
    parsed: &Parsed<'_>,
) -> Result<Vec<u8>, Error> {
    check_names(bucket, object)?;
    let split = parsed
        .ciphertext
        .len()
        .checked_sub(TAG_LEN)
        .ok_or(Error::Malformed("truncated before the tag"))?;
    let (body, tag) = parsed.ciphertext.split_at(split);
    let aad = aad(parsed.header_bytes, object)?;
    let mut out = body.to_vec();
    let cipher = object_cipher(bucket_key, bucket, object, &parsed.header.salt)?;
    cipher
        .decrypt_in_place_detached(
            Nonce::from_slice(&parsed.header.nonce),
            &aad,
            &mut out,
            Tag::from_slice(tag),
        )
        .map_err(|_| Error::Authentication)?;
    Ok(out)
}

fn check_names(bucket: &str, object: &str) -> Result<(), Error> {
    if u32::try_from(bucket.len()).is_err() || u32::try_from(object.len()).is_err() {
        return Err(Error::InvalidInput(
            "bucket and object names must be shorter than 4 GiB",
        ));
    }
    Ok(())
}

fn aad(header: &[u8], object: &str) -> Result<Vec<u8>, Error> {
    let len = header
        .len()
        .checked_add(object.len())
        .ok_or(Error::InvalidInput(
            "header and object name longer than memory can address",
        ))?;
    let mut aad = Vec::with_capacity(len);
    aad.extend_from_slice(header);
    aad.extend_from_slice(object.as_bytes());
    Ok(aad)
}

/// AES-256-GCM under the per-object key; the cipher's key schedule is zeroized on drop
/// (`aes-gcm`'s `zeroize` feature) and so is the derived key.
fn object_cipher(
    bucket_key: &[u8; KEY_LEN],
    bucket: &str,
    object: &str,
    salt: &[u8; SALT_LEN],
) -> Result<Aes256Gcm, Error> {
    let key = derive::object_key(bucket_key, bucket, object, salt)?;
    Ok(Aes256Gcm::new((&*key).into()))
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        if self.0.len() < n {
            return Err(Error::Malformed("truncated header"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn u16(&mut self) -> Result<u16, Error> {
        Ok(u16::from_be_bytes(self.array::<2>()?))
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let bytes = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const KEY: [u8; 32] = [0x42; 32];

    fn sealed(plaintext: &[u8]) -> Vec<u8> {
        seal_with(
            &KEY,
            ARN,
            b"kms-ciphertext",
            "bucket",
            "dir/a.txt",
            plaintext,
            [1; 16],
            [2; 12],
        )
        .unwrap()
    }

    fn open_as(bucket: &str, object: &str, env: &[u8]) -> Result<Vec<u8>, Error> {
        open(&KEY, bucket, object, &parse(env)?)
    }

    #[test]
    fn round_trip_including_empty_objects() {
        for pt in [&b""[..], b"x", &[7u8; 100_000]] {
            let env = sealed(pt);
            assert_eq!(
                env.len(),
                5 + 2 + ARN.len() + 2 + 14 + 16 + 12 + pt.len() + 16
            );
            assert_eq!(open_as("bucket", "dir/a.txt", &env).unwrap(), pt);
        }
    }

    #[test]
    fn every_flipped_byte_fails_cleanly() {
        let env = sealed(b"hello, bucket keys");
        for i in 0..env.len() {
            let mut bad = env.clone();
            bad[i] ^= 0x01;
            let err = open_as("bucket", "dir/a.txt", &bad).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::Authentication | Error::Malformed(_) | Error::UnsupportedVersion(_)
                ),
                "byte {i}: {err:?}"
            );
        }
    }

    #[test]
    fn wrong_object_name_or_bucket_fails_authentication() {
        let env = sealed(b"payload");
        assert_eq!(
            open_as("bucket", "dir/b.txt", &env),
            Err(Error::Authentication)
        );
        assert_eq!(
            open_as("other", "dir/a.txt", &env),
            Err(Error::Authentication)
        );
    }

    #[test]
    fn truncation_and_junk_are_malformed() {
        let env = sealed(b"payload");
        for len in 0..(env.len() - 7 - 16) {
            assert!(open_as("bucket", "dir/a.txt", &env[..len]).is_err());
        }
        assert!(matches!(parse(b"nope"), Err(Error::Malformed(_))));
        let mut v2 = env;
        v2[4] = 2;
        assert_eq!(parse(&v2).unwrap_err(), Error::UnsupportedVersion(2));
    }

    /// `Parsed` has public fields, so `open` must not trust its lengths.
    #[test]
    fn a_hand_built_parsed_is_an_error_not_a_panic() {
        let env = sealed(b"payload");
        let good = parse(&env).unwrap();
        for len in 0..TAG_LEN {
            let short = Parsed {
                ciphertext: &good.ciphertext[..len],
                ..good.clone()
            };
            assert_eq!(
                open(&KEY, "bucket", "dir/a.txt", &short),
                Err(Error::Malformed("truncated before the tag")),
                "{len}-byte ciphertext"
            );
        }
        let no_header = Parsed {
            header_bytes: &[],
            ..good.clone()
        };
        assert_eq!(
            open(&KEY, "bucket", "dir/a.txt", &no_header),
            Err(Error::Authentication)
        );
        let just_a_tag = Parsed {
            ciphertext: &good.ciphertext[good.ciphertext.len() - TAG_LEN..],
            ..good
        };
        assert_eq!(
            open(&KEY, "bucket", "dir/a.txt", &just_a_tag),
            Err(Error::Authentication)
        );
    }

    #[test]
    fn oversized_inputs_are_rejected() {
        let long = "a".repeat(70_000);
        let err = seal_with(&KEY, &long, b"c", "b", "o", b"", [0; 16], [0; 12]).unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)));
        let err = seal_with(&KEY, ARN, b"", "b", "o", b"", [0; 16], [0; 12]).unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)));
    }
}
