#!/usr/bin/env bash
# The live benchmarks of BENCHMARKS.md, each against our release server (fresh SQLite database
# with the demo data) and, where the issue names it, against the Node.js `ws` reference
# (benches/node-ws-reference), both driven by the load generator (apo-loadgen) on this machine.
# Prints one JSON line per run, labelled. Takes a few minutes.
# `benches/live.sh WORD` runs only the runs whose label contains WORD (e.g. fan-out).
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh
build
npm --prefix benches/node-ws-reference ci --no-audit --no-fund --silent

only="${1:-}"
skip() { [ -n "$only" ] && [[ "$1" != *"$only"* ]]; }
work="$(mktemp -d)"
trap 'stop_server; rm -rf "$work"' EXIT
other_cpus() { if [ "$1" = 0 ]; then echo 1; else echo 0; fi; }

# ours LABEL [taskset CPU list or ""] [serve flags...] -- [bench flags...]
ours() {
  local label="$1" cpus="$2"; shift 2
  skip "$label" && return 0
  local serve=() bench=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do serve+=("$1"); shift; done
  shift; bench=("$@")
  rm -f "$work"/live.db*
  local gen=()
  pin=()
  [ -n "$cpus" ] && pin=(taskset -c "$cpus") && gen=(taskset -c "$(other_cpus "$cpus")")
  serve_on "${DB_URL:-sqlite://$work/live.db}" 127.0.0.1:18181 "$bin" -- "${serve[@]}"
  pin=()
  echo "{\"run\":\"$label\",\"server\":\"apo-dashboard\",\"result\":$("${gen[@]}" "$loadgen" --url http://127.0.0.1:18181 --server-pid "$server_pid" "${bench[@]}")}"
  stop_server
}

# ours_pg LABEL [bench flags...]: ours on a fresh PostgreSQL database, dropped afterwards.
ours_pg() {
  local label="$1"; shift
  skip "$label" && return 0
  local url; url="$(fresh_postgres)"
  DB_URL="$url" ours "$label" "" -- "$@"
  drop_postgres "$url"
}

# node_ref LABEL [taskset CPU list or ""] [bench flags...]
node_ref() {
  local label="$1" cpus="$2"; shift 2
  skip "$label" && return 0
  local cpu_pin=() gen=()
  [ -n "$cpus" ] && cpu_pin=(taskset -c "$cpus") && gen=(taskset -c "$(other_cpus "$cpus")")
  port_free 127.0.0.1:18282
  "${cpu_pin[@]}" node benches/node-ws-reference/server.mjs 127.0.0.1:18282 >/dev/null &
  server_pid=$!
  wait_for 127.0.0.1:18282
  echo "{\"run\":\"$label\",\"server\":\"node-ws\",\"result\":$("${gen[@]}" "$loadgen" --url http://127.0.0.1:18282 --server-pid "$server_pid" "$@")}"
  stop_server
}

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
