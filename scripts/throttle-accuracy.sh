#!/usr/bin/env bash
# Throttling accuracy: GenerateDataKey with wrk at several times a symmetric quota of
# $RATE/s (default 500) for $DURATION (default 10s); prints how many were admitted per second.
# AWS-like admission is RATE per second plus at most one second of burst.
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${RATE:-500}
duration=${DURATION:-10}
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install wrk" >&2; exit 1; }
cargo build --release --locked --bin kms-emulator
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
KMS_LOG=warn target/release/kms-emulator --listen "127.0.0.1:$port" --throttle aws --quota "symmetric=$rate" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/_kms/health" >/dev/null && break; sleep 0.1; done
auth='AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=0'
key=$(curl -sf "http://127.0.0.1:$port/" -H 'Content-Type: application/x-amz-json-1.1' \
  -H 'X-Amz-Target: TrentService.CreateKey' -H "Authorization: $auth" -d '{}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["KeyMetadata"]["KeyId"])')
out=$(KMS_KEY_ID=$key wrk -t1 -c16 -d"${duration}s" -s scripts/load/generate_data_key.lua "http://127.0.0.1:$port/")
echo "$out" | tail -4
elapsed=$(echo "$out" | sed -n 's/.* requests in \([0-9.]*\)s,.*/\1/p')
curl -sf "http://127.0.0.1:$port/metrics" | python3 -c "
import sys
ok = thr = 0.0
for line in sys.stdin:
    if line.startswith('kms_requests_total{operation=\"GenerateDataKey\",outcome=\"ok\"}'): ok = float(line.split()[-1])
    if line.startswith('kms_requests_total{operation=\"GenerateDataKey\",outcome=\"ThrottlingException\"}'): thr = float(line.split()[-1])
rate, secs = $rate, $elapsed
print(f'admitted {ok:.0f}, throttled {thr:.0f} in {secs} s (as wrk measured it)')
print(f'sustained admission after the initial one-second burst: {(ok - rate) / secs:.1f}/s against a quota of {rate}/s ({100 * ((ok - rate) / secs - rate) / rate:+.2f}%)')
print(f'admitted beyond rate x duration: {ok - rate * secs:.0f} (allowed: one second of burst = {rate})')
"
