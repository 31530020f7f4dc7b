#!/usr/bin/env bash
# Everything CI checks, in the order it checks it: formatting, lints, Rust unit, integration
# and doc tests (the integration tests start the real server and use the official aws-sdk-kms),
# then the Python smoke test with boto3 and the AWS CLI against the started emulator, and a
# short pass of every fuzz target (so they keep building and their corpora keep passing).
# Installs what it needs (a Python venv under .venv) on first run.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt"
cargo fmt --all --check
echo "== cargo clippy"
cargo clippy --locked --workspace --all-targets -- -D warnings
echo "== cargo test"
# Every target but the criterion benches: clippy above type-checks them, and running them in
# test mode (debug builds, an RSA key pool to fill) only costs CI time.
cargo test --locked --workspace --lib --bins --tests --examples
cargo test --locked --workspace --doc
echo "== python smoke test (boto3, AWS CLI)"
cargo build --locked --bin kms-emulator
KMS_BIN=target/debug/kms-emulator scripts/python-smoke.sh
echo "== bulk_upload with bucket keys against the emulator (symmetric quota 200/s)" && scripts/bulk-upload-check.sh
echo "== fuzz smoke: every libFuzzer target on its corpus, 30 s in all" && scripts/fuzz.sh smoke 30
