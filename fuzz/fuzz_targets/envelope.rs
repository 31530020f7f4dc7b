#![no_main]
//! Fuzz target: bucket-key-cache's object envelope parser, then opening what parsed.
use bucket_key_cache::envelope;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = envelope::parse(data) {
        let _ = envelope::open(&[7u8; 32], "bucket", "object", &parsed);
    }
});
