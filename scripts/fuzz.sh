#!/usr/bin/env bash
# Coverage-guided fuzzing with libFuzzer, on the stable toolchain (no nightly, no cargo-fuzz):
# the fuzz targets are built with the SanitizerCoverage instrumentation cargo-fuzz uses with
# `--sanitizer none` (all stable -C flags), plus debug assertions and overflow checks.
#
#   scripts/fuzz.sh build                       build every target
#   scripts/fuzz.sh run TARGET [SECONDS] [ARGS] fuzz one target (default 60 s) on its corpus
#   scripts/fuzz.sh smoke [SECONDS]             every target for SECONDS/6 each (default 60 s),
#                                               seeded with FUZZ_SEED (default 1)
#
# Targets: dispatch ciphertext_blob credential seed quotas envelope. Corpora live in
# fuzz/corpus/TARGET (kept in the repository; new finds are added there); crashes go to
# fuzz/artifacts/TARGET. `-runs=N` in ARGS stops after N executions instead of SECONDS.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
TARGETS=(dispatch ciphertext_blob credential seed quotas envelope)
export RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cdebug-assertions -Coverflow-checks"
export CARGO_TARGET_DIR="$PWD/target"
# An explicit --target keeps RUSTFLAGS off build scripts and proc macros (as cargo-fuzz does).
HOST=$(rustc -vV | sed -n 's/^host: //p')
BIN="target/$HOST/release"

# Not --locked: fuzz/Cargo.lock follows the workspace's and picks up its new dependencies.
build() { cargo build --release --bins --target "$HOST"; }

run() {
  local target=$1 seconds=${2:-60}
  shift $(( $# < 2 ? $# : 2 ))
  mkdir -p "corpus/$target" "artifacts/$target"
  "$BIN/$target" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="artifacts/$target/" "$@" "corpus/$target"
}

case "${1:-smoke}" in
  build) build ;;
  run) build; shift; run "$@" ;;
  smoke)
    # A smoke pass wants the targets built quickly more than run fast.
    export CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_DEBUG=0
    build
    each=$(( ${2:-60} / ${#TARGETS[@]} ))
    for t in "${TARGETS[@]}"; do
      echo "== fuzz $t for ${each}s"
      # A smoke pass must not grow the committed corpus: new finds go to a scratch directory.
      scratch=$(mktemp -d)
      mkdir -p "artifacts/$t"
      # A fixed seed (FUZZ_SEED, 1 unless set): the smoke pass in CI checks that the corpus
      # and the mutations next to it still pass, the same ones each run; exploring new
      # ground at random is `run`'s job, where a find is a bug report rather than a red CI.
      "$BIN/$t" -max_total_time="$each" -seed="${FUZZ_SEED:-1}" -artifact_prefix="artifacts/$t/" \
        "$scratch" "corpus/$t" 2>&1 | tail -n 3
      rm -rf "$scratch"
    done
    ;;
  *) echo "usage: $0 build | run TARGET [SECONDS] [ARGS] | smoke [SECONDS]" >&2; exit 2 ;;
esac
