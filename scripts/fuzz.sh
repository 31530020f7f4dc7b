#!/usr/bin/env bash
# Coverage-guided fuzzing with libFuzzer, on the stable toolchain (no nightly, no cargo-fuzz):
# the fuzz targets are built with the SanitizerCoverage instrumentation cargo-fuzz uses with
# `--sanitizer none` (all stable -C flags), plus debug assertions and overflow checks.
#
#   scripts/fuzz.sh build                       build every target
#   scripts/fuzz.sh run TARGET [SECONDS] [ARGS] fuzz one target (default 60 s), then merge its
#                                               new finds into the seed set where they add coverage
#   scripts/fuzz.sh merge TARGET                merge fuzz/corpus-local/TARGET into the seed set
#                                               (only the inputs that add coverage)
#   scripts/fuzz.sh minimize TARGET [DIR]       shrink the seed set (with DIR's inputs added) to
#                                               the fewest inputs with the same edge coverage
#   scripts/fuzz.sh cov TARGET [DIR]            libFuzzer's cov:/ft: figures for a corpus (the
#                                               seed set by default), without fuzzing
#   scripts/fuzz.sh smoke [SECONDS]             every target for SECONDS/6 each (default 60 s),
#                                               seeded with FUZZ_SEED (default 1)
#
# Targets: dispatch ciphertext_blob credential seed quotas envelope. Each target's seed set is
# committed as one text file, fuzz/corpus/TARGET.seeds: one input per line in base64 (lines
# starting with # are comments), the fewest inputs that cover every edge the grown corpus
# covered. A file per input would be 2,700 files for the same coverage (dispatch alone needs
# 1,672 inputs), so the seeds are lines: diffs show which inputs a merge added, and the normal
# test run replays every one of them through the same function (`cargo test --test it
# fuzz_corpus::`). What a fuzzing run grows goes to fuzz/corpus-local/TARGET, ignored by git,
# and reaches the seed set only through `merge`. Crashes go to fuzz/artifacts/TARGET.
# `-runs=N` in ARGS stops after N executions instead of SECONDS. Per-commit CI does not fuzz;
# run this before a release or after touching a parser.
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

known() {
  local t
  for t in "${TARGETS[@]}"; do [[ $t == "$1" ]] && return 0; done
  echo "unknown target ${1:-(none)}: expected one of ${TARGETS[*]}" >&2
  exit 2
}

# The seed set of TARGET as files in DIR (created empty), one per line of TARGET.seeds.
unpack() {
  local target=$1 dir=$2 line
  rm -rf "$dir" && mkdir -p "$dir"
  [[ -f "corpus/$target.seeds" ]] || return 0
  while IFS= read -r line; do
    [[ -z $line || $line == \#* ]] && continue
    printf '%s' "$line" | base64 -d > "$dir/in"
    mv "$dir/in" "$dir/$(sha1sum "$dir/in" | cut -c1-40)"
  done < "corpus/$target.seeds"
}

# The files of DIR as TARGET.seeds: one base64 line each, sorted, under a header.
pack() {
  local target=$1 dir=$2 f
  {
    echo "# Seed inputs of the $target fuzz target: one base64 input per line (scripts/fuzz.sh)."
    for f in "$dir"/*; do [[ -f $f ]] && base64 -w0 < "$f" && echo; done | sort -u
  } > "corpus/$target.seeds.tmp"
  mv "corpus/$target.seeds.tmp" "corpus/$target.seeds"
}

count() { grep -cv '^#' "corpus/$1.seeds" 2>/dev/null || echo 0; }

# New finds that add coverage, from corpus-local into the seed set.
merge() {
  local target=$1 before seeds="corpus-local/.seeds/$1"
  mkdir -p "corpus-local/$target"
  before=$(count "$target")
  unpack "$target" "$seeds"
  # Edges, not hit counts: an input that only hits a known edge more often is not kept.
  "$BIN/$target" -merge=1 -use_counters=0 "$seeds" "corpus-local/$target" 2>&1 | grep -E '^MERGE-OUTER: [0-9]+ new files' || true
  pack "$target" "$seeds"
  echo "fuzz/corpus/$target.seeds: $before -> $(count "$target") inputs"
}

run() {
  local target=$1 seconds=${2:-60} seeds="corpus-local/.seeds/$1"
  shift $(( $# < 2 ? $# : 2 ))
  mkdir -p "corpus-local/$target" "artifacts/$target"
  unpack "$target" "$seeds"
  # The first directory takes the new finds; the seeds are read only.
  "$BIN/$target" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="artifacts/$target/" "$@" "corpus-local/$target" "$seeds"
  merge "$target"
}

# `cov: N ft: M` of the inputs in a directory (the unpacked seed set by default), after
# loading them all and fuzzing nothing.
cov() {
  local dir=${2:-}
  if [[ -z $dir ]]; then dir="corpus-local/.seeds/$1"; unpack "$1" "$dir"; fi
  "$BIN/$1" -runs=0 "$dir" 2>&1 | grep -E '^#[0-9]+[[:space:]]+INITED' | sed -E 's/.*(cov: [0-9]+ ft: [0-9]+).*/\1/'
}

case "${1:-smoke}" in
  build) build ;;
  run) build; shift; known "${1:-}"; run "$@" ;;
  merge) build; known "${2:-}"; merge "$2" ;;
  cov) build; known "${2:-}"; echo "$2 ${3:-corpus/$2.seeds}: $(cov "$2" "${3:-}")" ;;
  minimize)
    # The fewest inputs covering every edge (set cover over edges, not hit counts), from the
    # seed set and, if given, a directory of more inputs (a grown corpus).
    build; known "${2:-}"
    t=$2 seeds="corpus-local/.seeds/$2" minimal=$(mktemp -d)
    unpack "$t" "$seeds"
    [[ -n ${3:-} ]] && cp "$3"/* "$seeds/"
    full="$(cov "$t" "$seeds") in $(ls "$seeds" | wc -l) inputs"
    "$BIN/$t" -set_cover_merge=1 -use_counters=0 "$minimal" "$seeds" 2>&1 \
      | grep -E '^MERGE-OUTER: [0-9]+ new files' || true
    pack "$t" "$minimal"
    echo "$t: before $full; after $(cov "$t" "$minimal") in $(count "$t") inputs"
    rm -rf "$minimal"
    ;;
  smoke)
    # A smoke pass wants the targets built quickly more than run fast.
    export CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_DEBUG=0
    build
    each=$(( ${2:-60} / ${#TARGETS[@]} ))
    for t in "${TARGETS[@]}"; do
      echo "== fuzz $t for ${each}s"
      # A smoke pass must not grow the seed set: new finds go to a scratch directory.
      scratch=$(mktemp -d)
      mkdir -p "artifacts/$t"
      unpack "$t" "corpus-local/.seeds/$t"
      # A fixed seed (FUZZ_SEED, 1 unless set): the same mutations each run; exploring new
      # ground at random is `run`'s job.
      "$BIN/$t" -max_total_time="$each" -seed="${FUZZ_SEED:-1}" -artifact_prefix="artifacts/$t/" \
        "$scratch" "corpus-local/.seeds/$t" 2>&1 | tail -n 3
      rm -rf "$scratch"
    done
    ;;
  *) echo "usage: $0 build | run TARGET [SECONDS] [ARGS] | merge TARGET | minimize TARGET | cov TARGET [DIR] | smoke [SECONDS]" >&2; exit 2 ;;
esac
