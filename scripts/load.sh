#!/usr/bin/env bash
# Load test over loopback with wrk, against a release build of the emulator.
#   scripts/load.sh [duration, default 10s] [connections, default 32]
# SCRIPT=generate_data_key (default), create_key or sign picks scripts/load/<SCRIPT>.lua;
# SCRIPT=sign creates a SIGN_VERIFY key of KMS_KEY_SPEC (default ECC_NIST_P256) and signs with
# KMS_SIGNING_ALGORITHM (default: the spec's usual one); pass KMS_EMULATOR_ARGS="--throttle off"
# to measure past the 1,000/s asymmetric quota;
# KMS_ENDPOINT=http://127.0.0.1:PORT/ drives a server that is already running (e.g. local-kms)
# instead of building and starting one;
# KMS_EMULATOR_ARGS adds server flags (e.g. "--throttle off", "--data-dir /tmp/kms-load").
# Needs wrk (apt-get install wrk). Starts its own server on a free port and stops it after.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10s}
connections=${2:-32}
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install wrk" >&2; exit 1; }
script=${SCRIPT:-generate_data_key}
create_body='{}'
if [ "$script" = sign ]; then
  spec=${KMS_KEY_SPEC:-ECC_NIST_P256}
  create_body="{\"KeySpec\":\"$spec\",\"KeyUsage\":\"SIGN_VERIFY\"}"
  if [ -z "${KMS_SIGNING_ALGORITHM:-}" ]; then
    case $spec in
      RSA_*) KMS_SIGNING_ALGORITHM=RSASSA_PSS_SHA_256 ;;
      ECC_NIST_P384) KMS_SIGNING_ALGORITHM=ECDSA_SHA_384 ;;
      ECC_NIST_P521) KMS_SIGNING_ALGORITHM=ECDSA_SHA_512 ;;
      ECC_NIST_EDWARDS25519) KMS_SIGNING_ALGORITHM=ED25519_SHA_512 ;;
      ML_DSA_*) KMS_SIGNING_ALGORITHM=ML_DSA_SHAKE_256 ;;
      SM2) KMS_SIGNING_ALGORITHM=SM2DSA ;;
      *) KMS_SIGNING_ALGORITHM=ECDSA_SHA_256 ;;
    esac
  fi
  export KMS_SIGNING_ALGORITHM
fi
if [ -n "${KMS_ENDPOINT:-}" ]; then
  url=$KMS_ENDPOINT
else
cargo build --release --locked --bin kms-emulator
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
KMS_LOG=warn target/release/kms-emulator --listen "127.0.0.1:$port" ${KMS_EMULATOR_ARGS:-} &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/_kms/health" >/dev/null && break; sleep 0.1; done
url="http://127.0.0.1:$port/"
fi
key=$(curl -sf "$url" -H 'Content-Type: application/x-amz-json-1.1' \
  -H 'X-Amz-Target: TrentService.CreateKey' \
  -H 'Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=0' \
  -d "$create_body" | python3 -c 'import json,sys; print(json.load(sys.stdin)["KeyMetadata"]["KeyId"])')
echo "$script, wrk -t1 -c$connections -d$duration, key $key, server flags: ${KMS_EMULATOR_ARGS:-none}"
if [ "$script" = sign ]; then
  echo "key spec $spec, signing algorithm $KMS_SIGNING_ALGORITHM${KMS_ENDPOINT:+, server $KMS_ENDPOINT}"
fi
KMS_KEY_ID=$key wrk -t1 -c"$connections" -d"$duration" -s "scripts/load/$script.lua" "$url"
