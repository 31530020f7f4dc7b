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

[[ -x "$KMS_BIN" ]] || die "emulator binary '$KMS_BIN' not found or not executable (build it first, or set KMS_BIN)"

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

# --- server ----------------------------------------------------------------
PORT="$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
ENDPOINT="http://127.0.0.1:$PORT"
LOG="$(mktemp "${TMPDIR:-/tmp}/kms-emulator-smoke.XXXXXX.log")"
SERVER_PID=""

cleanup() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -f "$LOG"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$KMS_BIN" --listen "127.0.0.1:$PORT" --account-id 111122223333 --region us-east-1 --throttle off >"$LOG" 2>&1 &
SERVER_PID=$!

healthy() {
    "$VENV/bin/python" - "$ENDPOINT/_kms/health" <<'PY' 2>/dev/null
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
    sys.exit(0 if r.status == 200 else 1)
PY
}

ready=""
deadline=$((SECONDS + 30))
while (( SECONDS < deadline )); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "python-smoke: kms-emulator exited before becoming healthy; its output:" >&2
        cat "$LOG" >&2
        exit 2
    fi
    if healthy; then ready=1; break; fi
    sleep 0.2
done
if [[ -z "$ready" ]]; then
    echo "python-smoke: $ENDPOINT/_kms/health did not answer within 30 s; server output:" >&2
    cat "$LOG" >&2
    exit 2
fi
echo "python-smoke: kms-emulator (pid $SERVER_PID) healthy at $ENDPOINT"

# --- tests -----------------------------------------------------------------
set +e
KMS_ENDPOINT="$ENDPOINT" "$VENV/bin/python" -m pytest -q -p no:cacheprovider tests/python "$@"
status=$?
set -e
if (( status != 0 )); then
    echo "python-smoke: pytest exited $status; last server output:" >&2
    tail -n 50 "$LOG" >&2 || true
fi
exit "$status"
