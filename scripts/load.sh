#!/usr/bin/env bash
# Load test over loopback with wrk, against a release build of the emulator.
#   scripts/load.sh [duration, default 10s] [connections, default 32]
# SCRIPT=generate_data_key (default) or create_key picks scripts/load/<SCRIPT>.lua;
# KMS_EMULATOR_ARGS adds server flags (e.g. "--throttle off", "--data-dir /tmp/kms-load").
# Needs wrk (apt-get install wrk). Starts its own server on a free port and stops it after.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10s}
connections=${2:-32}
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install wrk" >&2; exit 1; }
cargo build --release --locked --bin kms-emulator
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
KMS_LOG=warn target/release/kms-emulator --listen "127.0.0.1:$port" ${KMS_EMULATOR_ARGS:-} &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/_kms/health" >/dev/null && break; sleep 0.1; done
key=$(curl -sf "http://127.0.0.1:$port/" -H 'Content-Type: application/x-amz-json-1.1' \
  -H 'X-Amz-Target: TrentService.CreateKey' \
  -H 'Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=0' \
  -d '{}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["KeyMetadata"]["KeyId"])')
script=${SCRIPT:-generate_data_key}
echo "$script, wrk -t1 -c$connections -d$duration, key $key, server flags: ${KMS_EMULATOR_ARGS:-none}"
KMS_KEY_ID=$key wrk -t1 -c"$connections" -d"$duration" -s "scripts/load/$script.lua" "http://127.0.0.1:$port/"
