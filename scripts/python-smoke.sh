#!/usr/bin/env bash
# Runs the boto3 + AWS CLI smoke tests (tests/python) against an already-built
# kms-emulator binary. It does not build anything.
#
#   KMS_BIN=target/release/kms-emulator scripts/python-smoke.sh [extra pytest args]
#
# Environment:
#   KMS_BIN     emulator binary (default: target/release/kms-emulator)
#   KMS_VENV    virtualenv to create/reuse (default: .venv in the repo root)
#   PYTHON      interpreter used to create the venv (default: python3)
#
# The venv's packages are reinstalled only when tests/python/requirements.txt
# changes (its sha256 is kept in a stamp file inside the venv).
# Exits with pytest's status (2 if the setup itself fails).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

KMS_BIN="${KMS_BIN:-target/release/kms-emulator}"
export KMS_BIN
VENV="${KMS_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
REQ="tests/python/requirements.txt"

die() { echo "python-smoke: $*" >&2; exit 2; }

# --- virtualenv ------------------------------------------------------------
if [[ ! -x "$VENV/bin/python" ]]; then
    echo "python-smoke: creating venv at $VENV"
    "$PYTHON" -m venv "$VENV" || die "could not create venv at $VENV"
fi
want="$(sha256sum "$REQ" | cut -d' ' -f1)"
stamp="$VENV/.kms-smoke-requirements.sha256"
if [[ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]]; then
    echo "python-smoke: installing $REQ into $VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$REQ" \
        || die "pip install -r $REQ failed"
    echo "$want" > "$stamp"
fi

# KMS_SMOKE_PREPARE_ONLY=1: only the venv (scripts/test.sh prepares it while Rust builds).
[[ -n "${KMS_SMOKE_PREPARE_ONLY:-}" ]] && exit 0

# --- server and tests ------------------------------------------------------
[[ -x "$KMS_BIN" ]] || die "emulator binary '$KMS_BIN' not found or not executable (build it first, or set KMS_BIN)"
# shellcheck source=scripts/lib/emulator.sh
source "$ROOT/scripts/lib/emulator.sh"
start_emulator python-smoke --account-id 111122223333 --region us-east-1 --throttle off
# KMS_SMOKE_TESTS: which test files or directories (all of tests/python by default).
# shellcheck disable=SC2086 # a list of paths, split on purpose
run_against_emulator python-smoke "$VENV/bin/python" -m pytest -q -p no:cacheprovider \
    ${KMS_SMOKE_TESTS:-tests/python} "$@"
