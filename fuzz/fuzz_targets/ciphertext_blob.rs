#![no_main]
//! Fuzz target: `kms_api::fuzzing::ciphertext_blob`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| kms_api::fuzzing::ciphertext_blob(data));
