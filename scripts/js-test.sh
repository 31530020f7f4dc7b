#!/usr/bin/env bash
# Runs the AWS SDK for JavaScript v3 integration test (tests/js, node:test) against an
# already-built kms-emulator binary. It does not build anything.
#
#   KMS_BIN=target/release/kms-emulator scripts/js-test.sh [extra node --test args]
#
# Environment:
#   KMS_BIN     emulator binary (default: target/release/kms-emulator)
#   NODE        Node.js interpreter (default: node; installed with apt-get when missing)
#
# tests/js/node_modules is (re)installed with `npm ci` only when it is missing or
# tests/js/package-lock.json changed (its sha256 is kept in a stamp file inside node_modules).
# The emulator runs with throttling on (`--throttle aws`): the test lowers a quota itself.
# Exits with the test run's status (2 if the setup itself fails).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

KMS_BIN="${KMS_BIN:-target/release/kms-emulator}"
NODE="${NODE:-node}"
JS_DIR="tests/js"
LOCK="$JS_DIR/package-lock.json"

die() { echo "js-test: $*" >&2; exit 2; }

[[ -x "$KMS_BIN" ]] || die "emulator binary '$KMS_BIN' not found or not executable (build it first, or set KMS_BIN)"

# --- node and npm ----------------------------------------------------------
if ! command -v "$NODE" >/dev/null || ! command -v npm >/dev/null; then
    echo "js-test: installing nodejs and npm with apt-get"
    { apt-get update -qq && apt-get install -y -qq nodejs npm; } || die "could not install nodejs and npm"
fi
major="$("$NODE" -p 'process.versions.node.split(".")[0]')"
(( major >= 20 )) || die "Node.js $("$NODE" --version) is too old: @aws-sdk/client-kms needs 20 or later"

# --- dependencies ----------------------------------------------------------
want="$(sha256sum "$LOCK" | cut -d' ' -f1)"
stamp="$JS_DIR/node_modules/.kms-js-test-lock.sha256"
if [[ ! -d "$JS_DIR/node_modules" || "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]]; then
    echo "js-test: npm ci in $JS_DIR"
    (cd "$JS_DIR" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci in $JS_DIR failed"
    echo "$want" > "$stamp"
fi

# --- server and tests ------------------------------------------------------
# shellcheck source=scripts/lib/emulator.sh
source "$ROOT/scripts/lib/emulator.sh"
start_emulator js-test --account-id 111122223333 --region us-east-1 --throttle aws
run_against_emulator js-test "$NODE" --test "$@" "$JS_DIR/kms.test.mjs"
