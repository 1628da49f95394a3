#!/usr/bin/env bash
# Runs the benchmarks and their references in one session, and prints the figures that
# BENCHMARKS.md records: the aggregation (Criterion, DuckDB reference), then the live endpoint
# (benches/live.sh, Node.js ws reference). Extra arguments go to Criterion (e.g. a filter:
# `benches/run.sh workshop`); APO_BENCH_LIVE=0 skips the live runs. The browser's redraw
# benchmark is benches/redraw (see its run.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/apo-dashboard/target}"

python3 -c 'import duckdb' 2>/dev/null || pip install --quiet duckdb

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
cargo bench --locked --bench aggregation -- "$@"
for size in workshop national; do
  if [ -d "$CARGO_TARGET_DIR/bench-data/$size" ]; then
    python3 benches/duckdb_reference.py "$CARGO_TARGET_DIR" "$size"
  fi
done

if [ "${APO_BENCH_LIVE:-1}" != 0 ]; then
  benches/live.sh
fi
