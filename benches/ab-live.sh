#!/usr/bin/env bash
# Alternating A/B runs of the load generator against two or more server binaries, each run on
# a fresh release server and a fresh SQLite database with the demo data, as in
# benches/live.sh. Prints one JSON line per run, labelled. Used for the "alternating" tables of
# BENCHMARKS.md.
#
#   benches/ab-live.sh ROUNDS LABEL:BINARY[:VAR=VALUE,...] ... -- LOADGEN-FLAGS
#   e.g. benches/ab-live.sh 4 base:/tmp/apo-base new:target/release/apo-dashboard -- \
#          --clients 10000 --updates 20 --rate 1
#
# Every run is driven by the same load generator: this tree's release apo-loadgen (built
# first), or GEN=path. It reads the frames of servers from before the protocol module too.
set -euo pipefail
[ $# -ge 3 ] || { sed -n 2,13p "$0" >&2; exit 2; }
cd "$(dirname "$0")/.."
. benches/lib.sh
rounds="$1"; shift
specs=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do specs+=("$1"); shift; done
[ $# -gt 0 ] || { echo "missing -- before the load generator's flags" >&2; exit 2; }
shift
if [ -z "${GEN:-}" ]; then build; gen="$loadgen"; else gen="$GEN"; fi
work=""
cleanup() { stop_server; [ -n "$work" ] && rm -rf "$work"; work=""; }
trap cleanup EXIT
for round in $(seq "$rounds"); do
  for spec in "${specs[@]}"; do
    IFS=: read -r label binary vars <<<"$spec"
    env_vars=(); [ -n "${vars:-}" ] && IFS=, read -ra env_vars <<<"$vars"
    work="$(mktemp -d)"
    serve_on "sqlite://$work/live.db" 127.0.0.1:18181 "$binary" "${env_vars[@]}" --
    echo "{\"label\":\"$label\",\"round\":$round,\"result\":$("$gen" --url http://127.0.0.1:18181 --server-pid "$server_pid" "$@")}"
    cleanup
  done
done
