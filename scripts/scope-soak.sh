#!/usr/bin/env bash
# Soak: drives SOAK_SCOPES distinct 12-digit access keys (default 1,000,000; each one an
# account, so a throttle scope) through the protocol, throttle and metrics layers in process
# and prints the growth of the resident set. Live throttle scopes are capped
# (--max-throttle-scopes, 2,000 by default), so the growth stays near that of 2,000 scopes
# however many keys are used. Takes a few minutes for a million keys in a debug build.
set -euo pipefail
cd "$(dirname "$0")/.."
SOAK_SCOPES="${SOAK_SCOPES:-1000000}" cargo test --locked --test it \
    scope_soak::distinct_access_keys_keep_memory_bounded -- --nocapture 2>&1 | grep -E 'scope soak|test result'
