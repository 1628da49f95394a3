#!/usr/bin/env bash
# Ingest (issue 21, point 2): acknowledged `POST /api/v1/actuals`, one report each, sustained for
# SECONDS (default 60) from 32 and from 64 connections by wrk, on SQLite and on PostgreSQL with
# every write fsynced (SQLite synchronous=FULL, PostgreSQL synchronous_commit=on), and in the
# same run the reference: the same load against the same handler with persistence stubbed out
# (`serve --stub-writes`: reports are answered and not stored). Prints one line per run:
# acknowledged writes per second, p50/p90/p99 of the acknowledgement, answers other than 201,
# and the committer's mean group size from /metrics.
#
#   benches/ingest.sh [SECONDS]
#   INGEST_BIN=path benches/ingest.sh        measures another build of apo-dashboard
#   INGEST_CONNECTIONS="32 64"               the connection counts
#   INGEST_RUNS="stub sqlite postgres"       which runs (a ratio needs the stub's in the same run)
#   APO_BENCH_POSTGRES_URL=postgres://...    the PostgreSQL server (default: local, user postgres)
# Needs wrk (Debian: apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/lib.sh
source benches/lib.sh
seconds="${1:-60}"
conns="${INGEST_CONNECTIONS:-32 64}"
runs=" ${INGEST_RUNS:-stub sqlite postgres} "
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
if [ -z "${INGEST_BIN:-}" ]; then
  cargo build --release --locked --bin apo-dashboard >&2
  sync
  INGEST_BIN="$CARGO_TARGET_DIR/release/apo-dashboard"
fi
work="$(mktemp -d)"
pg_dbs=()
cleanup() {
  stop_server
  for db in "${pg_dbs[@]}"; do drop_postgres "$db" || true; done
  rm -rf "$work"
}
trap cleanup EXIT
addr=127.0.0.1:18431
echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; binary $INGEST_BIN; $seconds s per run" >&2

# committer: "writes commits busy_s short long" so far, from /metrics (0 where it says nothing:
# a build from before a metric).
committer() {
  curl -s -H "Authorization: Bearer $APO_TOKEN" "http://$addr/metrics" | awk '
    /^apo_store_group_commit_writes_sum/ {s=$2} /^apo_store_group_commit_writes_count/ {c=$2}
    /^apo_store_committer_busy_seconds_total/ {b=$2}
    /^apo_store_groups_total\{way="short"\}/ {sh=$2} /^apo_store_groups_total\{way="long"\}/ {lo=$2}
    END { printf "%d %d %f %d %d", s, c, b, sh, lo }'
}

# group: mean writes per commit; busy: the committer's share of the run spent running groups;
# short: the share of groups that went the short way (reports alone, one round trip).
printf '%-22s %5s %10s %8s %8s %8s %8s %6s %5s %6s\n' run conns "writes/s" "p50 ms" "p90 ms" "p99 ms" \
  "not 201" group busy short
measure() {
  local label="$1" url="$2"; shift 2
  serve_on "$url" "$addr" "$INGEST_BIN" -- "$@"
  python3 benches/ingest/bodies.py "http://$addr" "$APO_TOKEN" "$work/bodies" 2>/dev/null
  for c in $conns; do
    # A short warm-up, then the measured run.
    INGEST_BODIES="$work/bodies" wrk -t2 -c"$c" -d3s -s benches/ingest/post.lua "http://$addr" >/dev/null 2>&1
    local before after
    before="$(committer)"
    INGEST_BODIES="$work/bodies" wrk -t2 -c"$c" -d"${seconds}s" --timeout 10s -s benches/ingest/post.lua \
      "http://$addr" >"$work/out" 2>"$work/err" || true
    local line
    line="$(grep '^RESULT' "$work/out" || true)"
    if [ -z "$line" ]; then
      echo "$label: wrk said nothing:" >&2; cat "$work/out" "$work/err" >&2; exit 1
    fi
    after="$(committer)"
    eval "${line#RESULT }"
    local during
    during="$(echo "$before $after $took_s" | awk '{
      w = $6 - $1; c = $7 - $2; b = $8 - $3; g = ($9 - $4) + ($10 - $5)
      printf "%s %s %s", (c > 0 ? sprintf("%.1f", w / c) : "-"), sprintf("%.0f%%", 100 * b / $11),
        (g > 0 ? sprintf("%.0f%%", 100 * ($9 - $4) / g) : "-") }')"
    # shellcheck disable=SC2086
    printf '%-22s %5s %10.0f %8s %8s %8s %8s %6s %5s %6s\n' "$label" "$c" "$(echo "$requests / $took_s" | bc -l)" \
      "$p50_ms" "$p90_ms" "$p99_ms" "$((not_201 + errors))" $during
    head -n 3 "$work/err" >&2 || true
  done
  stop_server
}

sqlite_db() { rm -f "$work/$1".db*; echo "sqlite://$work/$1.db"; }

if [[ $runs == *" stub "* ]]; then measure "stubbed (reference)" "$(sqlite_db stub)" --stub-writes; fi
if [[ $runs == *" sqlite "* ]]; then measure "SQLite, fsynced" "$(sqlite_db durable)"; fi
if [[ $runs == *" postgres "* ]]; then
  pg="$(fresh_postgres)"; pg_dbs+=("$pg")
  measure "PostgreSQL, fsynced" "$pg"
fi
