#!/usr/bin/env bash
# Everything CI checks, in the order it checks it: formatting, lints, Rust unit, integration
# and doc tests (the integration tests start the real server and use the official aws-sdk-kms),
# then the Python smoke test with boto3 and the AWS CLI and the JavaScript SDK v3 test against
# the started emulator, and Terraform's AWS provider (scripts/terraform-test.sh, skipped where
# terraform is not installed). Every committed fuzz input is replayed by the Rust tests
# (tests/it/fuzz_corpus.rs); time-boxed fuzzing is scripts/fuzz.sh, outside CI. Installs what
# it needs (a Python venv under .venv, tests/js/node_modules) on first run. The dashboard test (tests/it/dashboard.rs) needs headless Chromium (apt-get install
# chromium); .ci/run installs it.
set -euo pipefail
cd "$(dirname "$0")/.."
# Line tables are enough for backtraces; full debug info makes each test binary (the server's
# links the server and aws-sdk-kms) several times slower to link on a 2-core machine.
export CARGO_PROFILE_DEV_DEBUG="${CARGO_PROFILE_DEV_DEBUG:-line-tables-only}"
export CARGO_PROFILE_TEST_DEBUG="${CARGO_PROFILE_TEST_DEBUG:-line-tables-only}"

# Each stage says when it starts (seconds since this script began), so a slow one shows.
stage() { echo "== $* [${SECONDS}s]"; }
stage "cargo fmt"
cargo fmt --all --check
# The Python venv (pip install, about 15 s) is prepared in the background while Rust builds.
venv_log=$(mktemp)
KMS_SMOKE_PREPARE_ONLY=1 scripts/python-smoke.sh > "$venv_log" 2>&1 &
venv_job=$!
stage "cargo clippy"
cargo clippy --locked --workspace --all-targets -- -D warnings
stage "cargo test"
# Every target but the criterion benches: clippy above type-checks them, and running them in
# test mode (debug builds, an RSA key pool to fill) only costs CI time.
cargo test --locked --workspace --lib --bins --tests --examples --no-run
# Terraform (apply, plan, destroy: mostly the provider waiting for reads to settle) runs on its
# own emulator from here on, beside the Rust, Python and JavaScript tests; the integration
# tests built the emulator binary it needs (the same one python-smoke.sh uses).
wait "$venv_job" || { cat "$venv_log"; exit 1; }
rm -f "$venv_log"
terraform_log=$(mktemp)
KMS_BIN=target/debug/kms-emulator scripts/terraform-test.sh > "$terraform_log" 2>&1 &
terraform_job=$!
# A stage that fails ends the run: the Terraform test (and its emulator) goes with it.
trap 'kill "$terraform_job" 2>/dev/null || true' EXIT
cargo test --locked --workspace --lib --bins --tests --examples
cargo test --locked --workspace --doc
stage "python smoke test (boto3, AWS CLI), in two halves on two emulators at once"
# With the example and --workspace, in one build: the features are then those the tests built
# with (every member's dev-dependencies unified), so nothing is rebuilt here or in
# bulk-upload-check.sh.
cargo build --locked --workspace --bin kms-emulator --example bulk_upload
# The suite mostly waits on the emulator and the AWS CLI's start-up, so two halves of about
# 30 s each (by file; a new file goes to the second) share the two cores well.
first_half="tests/python/test_import.py
tests/python/test_cli_asymmetric.py
tests/python/test_throttling.py
tests/python/test_rotation.py
tests/python/test_auth.py
tests/python/test_sts.py
tests/python/test_model_coverage.py"
second_half=$(ls tests/python/test_*.py | grep -vxF "$first_half" | tr '\n' ' ')
python_logs=$(mktemp -d)
KMS_SMOKE_TESTS="$first_half" KMS_BIN=target/debug/kms-emulator scripts/python-smoke.sh \
    > "$python_logs/first" 2>&1 &
first_job=$!
KMS_SMOKE_TESTS="$second_half" KMS_BIN=target/debug/kms-emulator scripts/python-smoke.sh \
    > "$python_logs/second" 2>&1 &
second_job=$!
python_status=0
wait "$first_job" || python_status=$?
wait "$second_job" || python_status=$?
cat "$python_logs/first" "$python_logs/second"
rm -rf "$python_logs"
[[ $python_status == 0 ]] || exit "$python_status"
stage "JavaScript SDK v3 test (@aws-sdk/client-kms, node:test)"
KMS_BIN=target/debug/kms-emulator scripts/js-test.sh
stage "bulk_upload with bucket keys against the emulator (symmetric quota 200/s)" && scripts/bulk-upload-check.sh
stage "Terraform: apply, plan, destroy (tests/terraform/main.tf, started after the Rust build)"
terraform_status=0
wait "$terraform_job" || terraform_status=$?
cat "$terraform_log"
rm -f "$terraform_log"
[[ $terraform_status == 0 ]] || exit "$terraform_status"
stage "done"
