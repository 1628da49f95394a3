#!/usr/bin/env bash
# 1,000 sockets at 20 reports/s on a fresh PostgreSQL database while another session sends
# `NOTIFY apo_revisions, 'storm'` every 10 ms: wakes that find nothing new. (Not a revision
# number, so the server cannot tell it has it: since 2026-12-05 it skips a notification of a
# revision it has, such as '1', without waking the aggregator.) Before 2026-12-05 each such
# wake widened the aggregator's coalescing window, which then stayed at its widest (160 ms) and
# held every report back. Prints the load generator's JSON.
#   benches/notify-storm.sh [BINARY]   (default: the release build)
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh
build
binary="${1:-$bin}"
db="$(fresh_postgres)"
storm=""
cleanup() {
  [ -n "$storm" ] && kill "$storm" 2>/dev/null
  stop_server
  drop_postgres "$db"
}
trap cleanup EXIT
serve_on "$db" 127.0.0.1:18181 "$binary" --
(while true; do echo "NOTIFY apo_revisions, 'storm';"; sleep 0.01; done | psql -q "$db" >/dev/null 2>&1) &
storm=$!
"$loadgen" --url http://127.0.0.1:18181 --server-pid "$server_pid" --clients 1000 --updates 200 --rate 20
