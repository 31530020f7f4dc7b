# Sourced by the client test scripts (python-smoke.sh, js-test.sh): starts "$KMS_BIN" on a free
# loopback port, waits for /_kms/health, stops it when the script exits, and runs the tests
# against it. Needs python3 (the standard library only) for the port and the health check.
#
#   start_emulator TAG [server flags...]   sets ENDPOINT, SERVER_PID, SERVER_LOG; exits 2 if
#                                          the server dies or is not healthy within 30 s
#   run_against_emulator TAG COMMAND...    runs COMMAND with KMS_ENDPOINT set and exits with
#                                          its status, showing the server's last output on failure

SERVER_PID=""
SERVER_LOG=""

stop_emulator() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [[ -n "$SERVER_LOG" ]]; then rm -f "$SERVER_LOG"; fi
}

emulator_healthy() {
    python3 - "$ENDPOINT/_kms/health" <<'PY' 2>/dev/null
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
    sys.exit(0 if r.status == 200 else 1)
PY
}

start_emulator() {
    local tag=$1 port
    shift
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
    ENDPOINT="http://127.0.0.1:$port"
    SERVER_LOG="$(mktemp "${TMPDIR:-/tmp}/kms-emulator-$tag.XXXXXX.log")"
    trap stop_emulator EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    "$KMS_BIN" --listen "127.0.0.1:$port" "$@" >"$SERVER_LOG" 2>&1 &
    SERVER_PID=$!
    local deadline=$((SECONDS + 30))
    while (( SECONDS < deadline )); do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "$tag: kms-emulator exited before becoming healthy; its output:" >&2
            cat "$SERVER_LOG" >&2
            exit 2
        fi
        if emulator_healthy; then
            echo "$tag: kms-emulator (pid $SERVER_PID) healthy at $ENDPOINT"
            return 0
        fi
        sleep 0.2
    done
    echo "$tag: $ENDPOINT/_kms/health did not answer within 30 s; server output:" >&2
    cat "$SERVER_LOG" >&2
    exit 2
}

run_against_emulator() {
    local tag=$1 status
    shift
    set +e
    KMS_ENDPOINT="$ENDPOINT" "$@"
    status=$?
    set -e
    if (( status != 0 )); then
        echo "$tag: $1 exited $status; last server output:" >&2
        tail -n 50 "$SERVER_LOG" >&2 || true
    fi
    exit "$status"
}
