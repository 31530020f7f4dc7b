#!/usr/bin/env bash
# CI check of S3-Bucket-Key-style caching end to end: starts the emulator with a symmetric
# quota of 200 requests/s, runs the bulk_upload example with bucket keys on for 2,000 objects,
# and requires every object verified and not one ThrottlingException.
# Uses the debug builds (the test step has built them); set OBJECTS to change the size.
set -euo pipefail
cd "$(dirname "$0")/.."

OBJECTS="${OBJECTS:-2000}"
cargo build --locked --workspace --bin kms-emulator --example bulk_upload
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
target/debug/kms-emulator --listen "127.0.0.1:$port" --quota symmetric=200 >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done

out=$(target/debug/examples/bulk_upload --endpoint "http://127.0.0.1:$port" \
    --objects "$OBJECTS" --concurrency 32 --bucket-key on --no-progress)
last=$(printf '%s\n' "$out" | tail -n 1)
echo "bulk_upload (bucket keys on): $last"
expected="^objects=$OBJECTS verified=$OBJECTS kms_calls=[0-9]+ throttled=0 retries=[0-9]+ elapsed_ms=[0-9]+$"
if [[ ! "$last" =~ $expected ]]; then
    echo "bulk_upload check FAILED: expected every object verified and throttled=0" >&2
    cat "$log" >&2
    exit 1
fi
echo "bulk_upload check passed"
