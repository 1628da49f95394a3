#!/usr/bin/env bash
# The live benchmarks of BENCHMARKS.md, each against our release server (fresh SQLite database
# with the demo data) and, where the issue names it, against the Node.js `ws` reference
# (benches/node-ws-reference), both driven by `apo-dashboard bench live` on this machine.
# Prints one JSON line per run, labelled. Takes a few minutes.
# `scripts/bench-live WORD` runs only the runs whose label contains WORD (e.g. fan-out).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/apo-dashboard/target}"
# 19,000 sockets need as many descriptors in the server and in the load generator.
ulimit -n "$(ulimit -Hn)"

cargo build --release --locked --bin apo-dashboard
bin="$CARGO_TARGET_DIR/release/apo-dashboard"
npm --prefix benches/node-ws-reference ci --no-audit --no-fund --silent
# A build can leave tens of MB of dirty pages (85 MB once), which the kernel writes back some
# 30 s later, during the first runs, beside the databases' fsyncs. Written now instead. (On
# 2026-12-05 the first run after a build had p99 292 ms against about 11 ms in the next ones.)
sync

only="${1:-}"
skip() { [ -n "$only" ] && [[ "$1" != *"$only"* ]]; }
work="$(mktemp -d)"
server_pid=""
stop() { if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; server_pid=""; fi; }
trap 'stop; rm -rf "$work"' EXIT

# A server left on the port would answer in place of the one started, and be measured.
port_free() {
  if curl -s -o /dev/null "http://$1/"; then
    echo "something already answers on $1: stop it first" >&2; exit 1
  fi
}

wait_for() {
  for _ in $(seq 1 300); do
    if curl -s -o /dev/null "http://$1/api/v1/live" 2>/dev/null || curl -s -o /dev/null "http://$1/"; then return 0; fi
    sleep 0.1
  done
  echo "server at $1 did not start" >&2; exit 1
}

# ours LABEL [taskset CPU list or ""] [serve flags...] -- [bench flags...]
ours() {
  local label="$1" cpus="$2"; shift 2
  skip "$label" && return 0
  local serve=() bench=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do serve+=("$1"); shift; done
  shift; bench=("$@")
  rm -f "$work"/live.db*
  port_free 127.0.0.1:18181
  local pin=(); [ -n "$cpus" ] && pin=(taskset -c "$cpus")
  # (The dashboard pages are not needed here: no warning that they are not built.)
  RUST_LOG=warn,apo_dashboard::http::site=error "${pin[@]}" "$bin" serve --demo --addr 127.0.0.1:18181 \
    --database-url "${DB_URL:-sqlite://$work/live.db}" --max-connections 30000 "${serve[@]}" >/dev/null &
  server_pid=$!
  wait_for 127.0.0.1:18181
  local gen=(); [ -n "$cpus" ] && gen=(taskset -c "$(other_cpus "$cpus")")
  echo "{\"run\":\"$label\",\"server\":\"apo-dashboard\",\"result\":$("${gen[@]}" "$bin" bench live --url http://127.0.0.1:18181 --server-pid "$server_pid" "${bench[@]}")}"
  stop
}

# ours_pg LABEL [bench flags...]: ours on a fresh PostgreSQL database (APO_BENCH_POSTGRES_URL,
# default the local server), dropped afterwards.
ours_pg() {
  local label="$1"; shift
  skip "$label" && return 0
  port_free 127.0.0.1:18181
  local admin="${APO_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
  local name="apo_bench_$$"
  psql -q "$admin" -c "CREATE DATABASE $name" >/dev/null
  DB_URL="${admin%/*}/$name" ours "$label" "" -- "$@"
  psql -q "$admin" -c "DROP DATABASE $name WITH (FORCE)" >/dev/null
}

# node_ref LABEL [taskset CPU list or ""] [bench flags...]
node_ref() {
  local label="$1" cpus="$2"; shift 2
  skip "$label" && return 0
  local pin=() gen=(); [ -n "$cpus" ] && pin=(taskset -c "$cpus") && gen=(taskset -c "$(other_cpus "$cpus")")
  port_free 127.0.0.1:18282
  "${pin[@]}" node benches/node-ws-reference/server.mjs 127.0.0.1:18282 >/dev/null &
  server_pid=$!
  wait_for 127.0.0.1:18282
  echo "{\"run\":\"$label\",\"server\":\"node-ws\",\"result\":$("${gen[@]}" "$bin" bench live --url http://127.0.0.1:18282 --server-pid "$server_pid" "$@")}"
  stop
}

other_cpus() { if [ "$1" = 0 ]; then echo 1; else echo 0; fi; }

echo "{\"machine\":\"$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)\",\"node\":\"$(node --version)\"}"
ours     "1k-20/s"    "" -- --clients 1000 --updates 200 --rate 20
node_ref "1k-20/s"    "" --clients 1000 --updates 200 --rate 20
ours_pg  "1k-20/s-postgres" --clients 1000 --updates 200 --rate 20
ours     "10k-1/s"    "" -- --clients 10000 --updates 20 --rate 1
node_ref "10k-1/s"    "" --clients 10000 --updates 20 --rate 1
ours     "1k-20/s-10%-stalled" "" -- --clients 1000 --updates 200 --rate 20 --stalled 0.1
node_ref "1k-20/s-10%-stalled" "" --clients 1000 --updates 200 --rate 20 --stalled 0.1
ours     "19k-idle"   "" -- --clients 19000 --updates 0
node_ref "19k-idle"   "" --clients 19000 --updates 0
# Fan-out on one core: the server pinned to CPU 0, the load generator to CPU 1. 10,000
# sockets and 40 reports a second offer 400,000 deliveries a second, above the 200,000 target,
# so the figure is what the server can do rather than what it is offered.
ours     "fan-out-10k-40/s-one-core" 0 -- --clients 10000 --updates 200 --rate 40
node_ref "fan-out-10k-40/s-one-core" 0 --clients 10000 --updates 200 --rate 40
