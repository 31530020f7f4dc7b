#!/usr/bin/env bash
# CreateKey RSA_4096 latency over HTTP on loopback, as one sequential client sees it, against a
# release build of the emulator (and, with LOCAL_KMS=/path/to/local-kms, against local-kms too).
#   scripts/create-key-latency.sh [spaced calls, default 10] [burst calls, default 6]
#
# What it measures. The emulator keeps RSA_POOL_SIZE (2) ready key pairs per RSA size, made by
# one background thread that starts on the first RSA request; a CreateKey that finds the pool
# empty generates its key inline (about a second of one core for RSA_4096, with a wide spread).
# So, over one kept-alive HTTP connection, with the server started with --throttle off (AWS's
# CreateKey quota is 5/s, which the burst would exceed):
#   1. cold: one CreateKey RSA_4096 on a fresh server: the pool is empty, the key is generated
#      inline (this is also what starts the pool);
#   2. then it waits FILL_SECONDS (default 10) for the pool to fill;
#   3. spaced: N calls, each followed by a pause of SPACING_SECONDS (default 3), longer than
#      the refill of one RSA_4096 key, so every call should find a ready key: the latency a
#      client gets at a rate the pool sustains (about one key per refill time);
#   4. it waits FILL_SECONDS again;
#   5. burst: B calls back to back: the first 2 are served from the pool, the rest generate
#      inline while the refill thread competes for the cores: what a client gets past the
#      rate the pool sustains.
# Each phase prints its calls' latencies, median and p90 (nearest rank), and how many took
# over 100 ms (a key generated inline: a pooled key is answered in about a millisecond).
# local-kms has no pool: every one of its RSA_4096 CreateKeys generates inline; its phases are
# the same (its cold call is just the first one).
# Env: FILL_SECONDS, SPACING_SECONDS, LOCAL_KMS (a local-kms binary to measure as well).
# Starts its own servers on free ports and stops them after.
set -euo pipefail
cd "$(dirname "$0")/.."
spaced=${1:-10}
burst=${2:-6}
fill=${FILL_SECONDS:-10}
spacing=${SPACING_SECONDS:-3}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

measure() { # measure NAME URL
  python3 - "$1" "$2" "$spaced" "$burst" "$fill" "$spacing" <<'EOF'
import http.client, json, math, sys, time
name, url, spaced, burst, fill, spacing = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
host, port = url.split("//")[1].rstrip("/").split(":")
headers = {
    "Content-Type": "application/x-amz-json-1.1",
    "X-Amz-Target": "TrentService.CreateKey",
    "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=0",
}
body = json.dumps({"KeySpec": "RSA_4096", "KeyUsage": "SIGN_VERIFY"})
conn = http.client.HTTPConnection(host, int(port), timeout=60)

def create_key():
    start = time.perf_counter()
    conn.request("POST", "/", body, headers)
    response = conn.getresponse()
    data = response.read()
    elapsed = time.perf_counter() - start
    if response.status != 200:
        sys.exit(f"{name}: CreateKey answered HTTP {response.status}: {data[:200]!r}")
    return elapsed * 1000

def report(phase, ms):
    ordered = sorted(ms)
    rank = lambda q: ordered[max(0, math.ceil(q * len(ordered)) - 1)]
    slow = sum(1 for m in ms if m > 100)
    print(f"{name} {phase}: n={len(ms)} median {rank(0.5):.1f} ms, p90 {rank(0.9):.1f} ms, "
          f"min {ordered[0]:.1f} ms, max {ordered[-1]:.1f} ms, over 100 ms: {slow}")
    print("   calls (ms): " + " ".join(f"{m:.1f}" for m in ms))

report("cold (empty pool)", [create_key()])
time.sleep(fill)
spaced_ms = []
for i in range(spaced):
    spaced_ms.append(create_key())
    if i + 1 < spaced:
        time.sleep(spacing)
report(f"spaced (1 call per {spacing:g} s)", spaced_ms)
time.sleep(fill)
report("burst (back to back)", [create_key() for _ in range(burst)])
EOF
}

servers=()
cleanup() {
  for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -n "${lk_data:-}" ] && rm -rf "$lk_data"
  return 0
}
trap cleanup EXIT

cargo build --release --locked --bin kms-emulator
port=$(free_port)
KMS_LOG=warn target/release/kms-emulator --listen "127.0.0.1:$port" --throttle off &
servers+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/_kms/health" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/_kms/health" >/dev/null || { echo "emulator did not become healthy" >&2; exit 1; }
echo "CreateKey RSA_4096: $spaced spaced calls (${spacing} s apart), burst of $burst, pool fill wait ${fill} s"
measure kms-emulator "http://127.0.0.1:$port/"

if [ -n "${LOCAL_KMS:-}" ]; then
  lk_port=$(free_port)
  lk_data=$(mktemp -d)
  # local-kms logs every request at info level and has no flag to quiet it.
  PORT=$lk_port KMS_DATA_PATH=$lk_data "$LOCAL_KMS" >/dev/null 2>&1 &
  servers+=($!)
  for _ in $(seq 100); do
    python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2)' \
      "$lk_port" 2>/dev/null && break
    sleep 0.1
  done
  measure local-kms "http://127.0.0.1:$lk_port/"
fi
