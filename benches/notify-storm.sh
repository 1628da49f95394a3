#!/usr/bin/env bash
# 1,000 sockets at 20 reports/s on a fresh PostgreSQL database while another session sends
# `NOTIFY apo_revisions, 'storm'` every 10 ms: wakes that find nothing new. (Not a revision
# number, so the server cannot tell it has it: since 2026-12-05 it skips a notification of a
# revision it has, such as '1', without waking the aggregator.) Before 2026-12-05 each such wake widened the aggregator's coalescing window, which then
# stayed at its widest (160 ms) and held every report back. Prints the load generator's JSON.
#   benches/notify-storm.sh [BINARY]   (default: the release build)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/apo-dashboard/target}"
bin="${1:-$CARGO_TARGET_DIR/release/apo-dashboard}"
admin="${APO_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
db="apo_storm_$$"
ulimit -n "$(ulimit -Hn)"
psql -q "$admin" -c "CREATE DATABASE $db" >/dev/null
RUST_LOG=warn "$bin" serve --demo --addr 127.0.0.1:18181 --database-url "${admin%/*}/$db" >/dev/null 2>&1 &
server=$!
storm=""
cleanup() {
  [ -n "$storm" ] && kill "$storm" 2>/dev/null
  kill "$server" 2>/dev/null; wait "$server" 2>/dev/null
  psql -q "$admin" -c "DROP DATABASE $db WITH (FORCE)" >/dev/null
}
trap cleanup EXIT
for _ in $(seq 1 300); do curl -s -o /dev/null http://127.0.0.1:18181/ && break; sleep 0.1; done
(while true; do echo "NOTIFY apo_revisions, 'storm';"; sleep 0.01; done | psql -q "${admin%/*}/$db" >/dev/null 2>&1) &
storm=$!
"$bin" bench live --url http://127.0.0.1:18181 --server-pid "$server" --clients 1000 --updates 200 --rate 20
