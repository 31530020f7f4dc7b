#!/usr/bin/env bash
# What access control costs over HTTP: GenerateDataKey with scripts/load.sh in AUTH=none,
# sigv4 and enforce, interleaved for ROUNDS rounds (default 3) so that all three share the
# machine's state, then each mode's median requests/s and its share of none's.
# The issue's floors: sigv4 >= 85% of none, enforce (a 5-statement policy with conditions,
# scripts/load/enforce_policy.json) >= 80%.
#   scripts/auth-load.sh [duration per run, default 10s] [connections, default 32]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10s}
connections=${2:-32}
rounds=${ROUNDS:-3}
cargo build --release --locked --bin kms-emulator
declare -A runs
for round in $(seq "$rounds"); do
  for mode in none sigv4 enforce; do
    rps=$(AUTH=$mode scripts/load.sh "$duration" "$connections" | awk '/^requests\/s:/ {print $2}')
    echo "round $round: auth $mode: $rps requests/s"
    runs[$mode]="${runs[$mode]:-} $rps"
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
none=$(echo "${runs[none]}" | median)
for mode in none sigv4 enforce; do
  m=$(echo "${runs[$mode]}" | median)
  awk -v m="$m" -v n="$none" -v mode="$mode" 'BEGIN {printf "median auth %-7s %6d requests/s  %5.1f%% of none\n", mode, m, 100 * m / n}'
done
