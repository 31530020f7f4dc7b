//! The entry point of the `envelope` fuzz target in `fuzz/` (a one-liner into this module),
//! also replayed over the committed corpus by the server's tests. It panics only on what must
//! never happen: a panic inside the envelope parser or the opening of a parsed envelope.

use crate::envelope;

/// An object envelope: parsed, then opened under a fixed bucket key, bucket and object name.
///
/// ```
/// bucket_key_cache::fuzzing::envelope(b"not an envelope");
/// ```
pub fn envelope(data: &[u8]) {
    if let Ok(parsed) = envelope::parse(data) {
        let _ = envelope::open(&[7u8; 32], "bucket", "object", &parsed);
    }
}
