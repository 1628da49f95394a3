#!/usr/bin/env bash
# The big-file import of issue 20 (point 4): `apo-dashboard import FILE` of a long-form series
# file of ROWS rows (default 1,000,000: 21 members, 794 series, 60 years; benches/series_file.py)
# on SQLite and on PostgreSQL, each into a fresh database, then again (a re-import, which changes
# nothing), then a file with 1 % of its values changed; and in the same run the reference: the
# same file loaded by the databases' own bulk loaders into a bare table (sqlite3's `.import
# --csv`, psql's `\copy ... csv header`). Prints one table row per run: wall seconds, peak
# memory of the importing process, and what it reported.
#
#   benches/import.sh [ROWS]
#   IMPORT_BIN=path benches/import.sh       measures another build of apo-dashboard
#   APO_BENCH_POSTGRES_URL=postgres://...   the PostgreSQL server (default: local, user postgres)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/lib.sh
source benches/lib.sh
rows="${1:-1000000}"
if [ -z "${IMPORT_BIN:-}" ]; then
  cargo build --release --locked --bin apo-dashboard >&2
  sync
  IMPORT_BIN="$CARGO_TARGET_DIR/release/apo-dashboard"
fi
work="$(mktemp -d)"
pg_dbs=()
cleanup() {
  for db in "${pg_dbs[@]}"; do drop_postgres "$db" || true; done
  rm -rf "$work"
}
trap cleanup EXIT

python3 benches/series_file.py "$work/big.csv" --rows "$rows"
python3 benches/series_file.py "$work/changed.csv" --rows "$rows" --changed $((rows / 100))
echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; $(wc -l <"$work/big.csv") lines ($(du -h "$work/big.csv" | cut -f1)) in $work/big.csv" >&2

# run LABEL BACKEND COMMAND...: one row of the table (wall seconds and peak RSS from GNU time).
printf '%-10s %-34s %8s %9s  %s\n' backend run seconds "peak MB" "it said"
run() {
  local backend="$1" label="$2"; shift 2
  if ! /usr/bin/time -f '%e %M' -o "$work/time" "$@" >"$work/out" 2>"$work/err"; then
    echo "$backend $label failed:" >&2
    cat "$work/err" >&2
    exit 1
  fi
  read -r secs kb <"$work/time"
  printf '%-10s %-34s %8s %9d  %s\n' "$backend" "$label" "$secs" $((kb / 1024)) "$(tail -n1 "$work/out")"
}

import_runs() {
  local backend="$1" url="$2"
  RUST_LOG=warn run "$backend" "import into an empty table" "$IMPORT_BIN" import --database-url "$url" --actor bench "$work/big.csv"
  RUST_LOG=warn run "$backend" "re-import (changes nothing)" "$IMPORT_BIN" import --database-url "$url" --actor bench "$work/big.csv"
  RUST_LOG=warn run "$backend" "re-import, 1 % of values changed" "$IMPORT_BIN" import --database-url "$url" --actor bench "$work/changed.csv"
}

import_runs sqlite "sqlite://$work/import.db"
run sqlite "reference: sqlite3 .import --csv" sqlite3 "$work/plain.db" \
  "CREATE TABLE series_plain (iso3 TEXT, series TEXT, year INTEGER, value REAL)" \
  ".import --csv --skip 1 $work/big.csv series_plain" "SELECT count(*) || ' rows' FROM series_plain"

pg="$(fresh_postgres)"
pg_dbs+=("$pg")
import_runs postgres "$pg"
plain="$(fresh_postgres)"
pg_dbs+=("$plain")
psql -q "$plain" -c "CREATE TABLE series_plain (iso3 TEXT, series TEXT, year BIGINT, value DOUBLE PRECISION)"
run postgres "reference: psql \\copy csv header" psql -q "$plain" \
  -c "\\copy series_plain FROM '$work/big.csv' csv header" -c "SELECT count(*) || ' rows' FROM series_plain" -At
