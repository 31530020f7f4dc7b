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
# AUTH=sigv4 starts the server with --auth sigv4 and one principal, and signs every request for
# real (scripts/load/sigv4_headers.py; wrk replays the signed request, so each one is verified in
# full); compare with the default AUTH=none in the same session.
# AUTH=enforce does the same with --auth enforce, and creates the key with the 5-statement policy
# in scripts/load/enforce_policy.json (conditions on kms:CallerAccount, aws:SourceIp,
# kms:GrantIsForAWSResource and aws:PrincipalAccount), so every request is verified and authorized.
# Needs wrk (apt-get install wrk). Starts its own server on a free port and stops it after.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10s}
connections=${2:-32}
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install wrk" >&2; exit 1; }
script=${SCRIPT:-generate_data_key}
create_body='{}'
if [ "${AUTH:-none}" = enforce ]; then
  create_body=$(python3 -c 'import json,sys; print(json.dumps({"Policy": json.dumps(json.load(open(sys.argv[1])))}))' scripts/load/enforce_policy.json)
fi
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
auth_args=()
if [ "${AUTH:-none}" != none ]; then
  auth_args=(--auth "$AUTH" --principal "AKIDEXAMPLE:load-test-secret:arn:aws:iam::111122223333:user/load")
fi
KMS_LOG=warn target/release/kms-emulator --listen "127.0.0.1:$port" "${auth_args[@]}" ${KMS_EMULATOR_ARGS:-} &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/_kms/health" >/dev/null && break; sleep 0.1; done
url="http://127.0.0.1:$port/"
fi
host=${url#http://}; host=${host%/}
# A real signature (checked only with AUTH=sigv4 or enforce; any server accepts it).
signed_headers() { scripts/load/sigv4_headers.py "$1" "$2" "$host"; }
{ read -r amz_date; read -r authorization; } < <(signed_headers CreateKey "$create_body")
key=$(curl -sf "$url" -H 'Content-Type: application/x-amz-json-1.1' \
  -H 'X-Amz-Target: TrentService.CreateKey' -H "X-Amz-Date: $amz_date" \
  -H "Authorization: $authorization" \
  -d "$create_body" | python3 -c 'import json,sys; print(json.load(sys.stdin)["KeyMetadata"]["KeyId"])')
if [ "$script" = generate_data_key ]; then
  { read -r KMS_AMZ_DATE; read -r KMS_AUTHORIZATION; } < <(signed_headers GenerateDataKey "{\"KeyId\":\"$key\",\"KeySpec\":\"AES_256\"}")
  export KMS_AMZ_DATE KMS_AUTHORIZATION
fi
echo "$script, wrk -t1 -c$connections -d$duration, key $key, auth ${AUTH:-none}, server flags: ${KMS_EMULATOR_ARGS:-none}"
if [ "$script" = sign ]; then
  echo "key spec $spec, signing algorithm $KMS_SIGNING_ALGORITHM${KMS_ENDPOINT:+, server $KMS_ENDPOINT}"
fi
KMS_KEY_ID=$key wrk -t1 -c"$connections" -d"$duration" -s "scripts/load/$script.lua" "$url"
