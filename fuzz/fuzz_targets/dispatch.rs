#![no_main]
//! Fuzz target: `kms_api::fuzzing::dispatch`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| kms_api::fuzzing::dispatch(data));
