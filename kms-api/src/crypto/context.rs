//! The encryption context as additional authenticated data: an unambiguous canonical
//! encoding, so that no two different contexts share one encoding.
//!
//! ```text
//! u32be pair_count || for each pair, sorted by key bytes:
//!     u32be key_len || key || u32be value_len || value
//! ```
//! `{"a":"b"}` encodes as `1, 1,"a", 1,"b"` and `{"ab":""}` as `1, 2,"ab", 0`, so neither
//! decrypts what the other encrypted.

use std::collections::BTreeMap;

/// An encryption context; a `BTreeMap` keeps pairs sorted by key bytes.
pub type EncryptionContext = BTreeMap<String, String>;

/// Appends the canonical encoding of `context` to `out`. An empty context encodes as nothing,
/// which is distinct from every non-empty one (they start with a non-zero count).
pub(crate) fn encode_into(context: &EncryptionContext, out: &mut Vec<u8>) {
    if context.is_empty() {
        return;
    }
    out.reserve(
        4 + context
            .iter()
            .map(|(k, v)| 8 + k.len() + v.len())
            .sum::<usize>(),
    );
    out.extend_from_slice(&len_u32(context.len()).to_be_bytes());
    for (key, value) in context {
        out.extend_from_slice(&len_u32(key.len()).to_be_bytes());
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(&len_u32(value.len()).to_be_bytes());
        out.extend_from_slice(value.as_bytes());
    }
}

/// Lengths are bounded by the request body limit, far below `u32::MAX`.
fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(pairs: &[(&str, &str)]) -> Vec<u8> {
        let ctx: EncryptionContext = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut out = Vec::new();
        encode_into(&ctx, &mut out);
        out
    }

    #[test]
    fn golden_bytes() {
        assert_eq!(encode(&[]), b"");
        assert_eq!(encode(&[("a", "b")]), b"\0\0\0\x01\0\0\0\x01a\0\0\0\x01b");
        assert_eq!(
            encode(&[("b", "2"), ("a", "1")]),
            b"\0\0\0\x02\0\0\0\x01a\0\0\0\x011\0\0\0\x01b\0\0\0\x012"
        );
    }

    #[test]
    fn boundary_shifts_do_not_collide() {
        assert_ne!(encode(&[("a", "b")]), encode(&[("ab", "")]));
        assert_ne!(encode(&[("a", "bc")]), encode(&[("ab", "c")]));
        assert_ne!(
            encode(&[("a", ""), ("b", "")]),
            encode(&[("a", "\0\0\0\x01b\0\0\0\0")])
        );
        assert_ne!(encode(&[]), encode(&[("", "")]));
    }

    #[test]
    fn order_of_insertion_does_not_matter() {
        assert_eq!(
            encode(&[("x", "1"), ("y", "2")]),
            encode(&[("y", "2"), ("x", "1")])
        );
    }
}
