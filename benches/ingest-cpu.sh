#!/usr/bin/env bash
# Where an acknowledged report's time goes (issue 21, point 2): one release server on a fresh
# SQLite database, wrk posting single reports from CONNECTIONS connections for SECONDS after a
# 3 s warm-up, as in benches/ingest.sh. Prints wrk's result line; the committer's groups, mean
# group size, time in the commit (statement and fsync) and busy time per group (/metrics); the
# server's CPU per report by thread kind (utime and stime from /proc/PID/task/*/stat); where the
# aggregator took its changes from (memory or the log); and the CPU time the hypervisor stole
# from the machine meanwhile (`steal` in /proc/stat, in 1/100 s), which moves every figure.
#
#   benches/ingest-cpu.sh [CONNECTIONS] [SECONDS] [serve flags...]     e.g. 32 10 --stub-writes
#   INGEST_BIN=path benches/ingest-cpu.sh ...      measures another build of apo-dashboard
# Needs wrk (Debian: apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/lib.sh
source benches/lib.sh
conns="${1:-32}"; seconds="${2:-10}"; shift $(($# < 2 ? $# : 2))
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
if [ -z "${INGEST_BIN:-}" ]; then
  cargo build --release --locked --bin apo-dashboard >&2
  INGEST_BIN="$CARGO_TARGET_DIR/release/apo-dashboard"
fi
work="$(mktemp -d)"
trap 'stop_server; rm -rf "$work"' EXIT
addr=127.0.0.1:18432
serve_on "sqlite://$work/db.sqlite" "$addr" "$INGEST_BIN" -- "$@"
python3 benches/ingest/bodies.py "http://$addr" "$APO_TOKEN" "$work/bodies" 2>/dev/null
INGEST_BODIES="$work/bodies" wrk -t2 -c"$conns" -d3s -s benches/ingest/post.lua "http://$addr" >/dev/null 2>&1
metrics() {
  curl -s -H "Authorization: Bearer $APO_TOKEN" "http://$addr/metrics" | awk '
    /^apo_store_commit_seconds_sum/ {a=$2} /^apo_store_commit_seconds_count/ {b=$2}
    /^apo_store_committer_busy_seconds_total/ {c=$2} /^apo_store_group_commit_writes_sum/ {d=$2}
    /^apo_feed_reads_total\{source="memory"\}/ {m=$2} /^apo_feed_reads_total\{source="log"\}/ {l=$2}
    END { print a + 0, b + 0, c + 0, d + 0, m + 0, l + 0 }'
}
threads() {
  for t in /proc/"$server_pid"/task/*; do
    echo "$(basename "$t"):$(tr ' ' _ <"$t/comm") $(awk '{print $14, $15}' "$t/stat")"
  done | sort
}
steal() { awk '/^cpu / {print $9}' /proc/stat; }
threads >"$work/t0"; before="$(metrics)"; s0="$(steal)"
INGEST_BODIES="$work/bodies" wrk -t2 -c"$conns" -d"${seconds}s" -s benches/ingest/post.lua \
  "http://$addr" >"$work/out" 2>&1
after="$(metrics)"; s1="$(steal)"; threads >"$work/t1"
grep '^RESULT' "$work/out"
echo "$before $after" | awk '{ g = $8 - $2; if (g > 0) printf "groups %d, %.1f writes a group, commit %.3f ms a group, busy %.3f ms a group\n", g, ($10 - $4) / g, 1000 * ($7 - $1) / g, 1000 * ($9 - $3) / g;
  printf "aggregator updates from memory %d, from the log %d\n", $11 - $5, $12 - $6 }'
reports="$(grep -o 'requests=[0-9]*' "$work/out" | cut -d= -f2)"
join "$work/t0" "$work/t1" | awk -v n="$reports" '{ split($1, k, ":"); u[k[2]] += $4 - $2; s[k[2]] += $5 - $3 }
  END { for (t in u) if (u[t] + s[t] > 0) printf "  %-16s user %4.0f us, system %4.0f us a report\n", t, u[t] * 1e4 / n, s[t] * 1e4 / n }' | sort
echo "steal: $((s1 - s0)) (1/100 s, both cores)"
