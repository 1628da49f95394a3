#!/usr/bin/env bash
# Alternating A/B runs of `bench live` against two or more server binaries, each run on a fresh
# release server and a fresh SQLite database with the demo data, as in scripts/bench-live.
# Prints one JSON line per run, labelled. Used for the "alternating" tables of BENCHMARKS.md.
#
#   benches/ab-live.sh ROUNDS LABEL:BINARY[:VAR=VALUE,...] ... -- BENCH-LIVE-FLAGS
#   e.g. benches/ab-live.sh 4 base:/tmp/apo-base new:target/release/apo-dashboard -- \
#          --clients 10000 --updates 20 --rate 1
#
# The load generator is the first binary's unless GEN names another.
set -euo pipefail
[ $# -ge 3 ] || { sed -n 2,10p "$0" >&2; exit 2; }
rounds="$1"; shift
specs=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do specs+=("$1"); shift; done
[ $# -gt 0 ] || { echo "missing -- before the bench flags" >&2; exit 2; }
shift
ulimit -n "$(ulimit -Hn)"
gen="${GEN:-$(echo "${specs[0]}" | cut -d: -f2)}"
server=""; work=""
stop() { if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; server=""; fi; [ -n "$work" ] && rm -rf "$work"; work=""; }
trap stop EXIT
if curl -s -o /dev/null http://127.0.0.1:18181/; then
  echo "something already answers on 127.0.0.1:18181: stop it first" >&2; exit 1
fi
for round in $(seq "$rounds"); do
  for spec in "${specs[@]}"; do
    IFS=: read -r label bin vars <<<"$spec"
    env_vars=(); [ -n "${vars:-}" ] && IFS=, read -ra env_vars <<<"$vars"
    work="$(mktemp -d)"
    env "${env_vars[@]}" RUST_LOG=warn "$bin" serve --demo --addr 127.0.0.1:18181 \
      --database-url "sqlite://$work/live.db" --max-connections 30000 >/dev/null 2>&1 &
    server=$!
    for _ in $(seq 1 300); do curl -s -o /dev/null http://127.0.0.1:18181/ && break; sleep 0.1; done
    echo "{\"label\":\"$label\",\"round\":$round,\"result\":$("$gen" bench live --url http://127.0.0.1:18181 --server-pid "$server" "$@")}"
    stop
  done
done
