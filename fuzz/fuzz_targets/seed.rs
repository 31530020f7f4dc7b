#![no_main]
//! Fuzz target: `kms_emulator::fuzzing::seed`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| kms_emulator::fuzzing::seed(data));
