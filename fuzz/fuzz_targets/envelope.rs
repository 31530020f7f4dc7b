#![no_main]
//! Fuzz target: bucket-key-cache's object envelope parser, then opening what parsed.
libfuzzer_sys::fuzz_target!(|data: &[u8]| bucket_key_cache::fuzzing::envelope(data));
