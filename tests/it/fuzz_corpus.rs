//! Every committed fuzz input, replayed as an ordinary test: each line of
//! `fuzz/corpus/<target>.seeds` (one base64 input per line) goes through the same function its
//! libFuzzer target calls (the targets in `fuzz/fuzz_targets` are one-liners into these
//! `fuzzing` modules), so a regression on any seed fails the normal test run without the
//! instrumented build. Time-boxed fuzzing that grows the seeds is `scripts/fuzz.sh`, outside
//! per-commit CI.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// A fuzz target's name (its seed file's) and the function it calls.
type Target = (&'static str, fn(&[u8]));

/// Every fuzz target.
const TARGETS: [Target; 6] = [
    ("ciphertext_blob", kms_api::fuzzing::ciphertext_blob),
    ("credential", kms_emulator::fuzzing::credential),
    ("dispatch", kms_api::fuzzing::dispatch),
    ("envelope", bucket_key_cache::fuzzing::envelope),
    ("quotas", kms_emulator::fuzzing::quotas),
    ("seed", kms_emulator::fuzzing::seed),
];

/// The seed inputs of `target`, with their line numbers.
fn seeds(target: &str) -> Vec<(usize, Vec<u8>)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(format!("{target}.seeds"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
        .map(|(n, line)| {
            let input = STANDARD
                .decode(line)
                .unwrap_or_else(|e| panic!("{}:{}: not base64: {e}", path.display(), n + 1));
            (n + 1, input)
        })
        .collect()
}

/// Runs every input of `target`, all of them even after a failure, and names the failures
/// by line.
fn replay(target: &str, run: fn(&[u8])) {
    let inputs = seeds(target);
    assert!(
        !inputs.is_empty(),
        "fuzz/corpus/{target}.seeds holds no inputs"
    );
    let failed: Vec<usize> = inputs
        .iter()
        .filter(|(_, data)| catch_unwind(AssertUnwindSafe(|| run(data))).is_err())
        .map(|(line, _)| *line)
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} inputs of fuzz/corpus/{target}.seeds failed, on lines {failed:?}",
        failed.len(),
        inputs.len()
    );
}

#[test]
fn ciphertext_blob_corpus() {
    replay(TARGETS[0].0, TARGETS[0].1);
}

#[test]
fn credential_corpus() {
    replay(TARGETS[1].0, TARGETS[1].1);
}

#[test]
fn dispatch_corpus() {
    replay(TARGETS[2].0, TARGETS[2].1);
}

#[test]
fn envelope_corpus() {
    replay(TARGETS[3].0, TARGETS[3].1);
}

#[test]
fn quotas_corpus() {
    replay(TARGETS[4].0, TARGETS[4].1);
}

#[test]
fn seed_corpus() {
    replay(TARGETS[5].0, TARGETS[5].1);
}

/// The table covers every fuzz target there is, so a new target cannot go unreplayed.
#[test]
fn every_fuzz_target_is_replayed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/fuzz_targets");
    let mut targets: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| Some(p.file_stem()?.to_str()?.to_owned()))
        .collect();
    targets.sort();
    let replayed: Vec<&str> = TARGETS.iter().map(|(name, _)| *name).collect();
    assert_eq!(targets, replayed);
}
