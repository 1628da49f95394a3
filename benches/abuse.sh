#!/usr/bin/env bash
# Issue 19's abuse of bounded work, old against new: the resume amplification (2,000
# {"type":"resume","since":0} on one live socket: bytes out per byte in) and 50 clients asking
# GET /dashboard?rev=<random> on a database of about 22,700 revisions (the demo and a burst of
# reports), with the latency of an unrelated GET /members during it. Prints one JSON line per
# run, labelled.
#
#   benches/abuse.sh [LABEL:BINARY ...]
#
# Without arguments: this tree's release build, labelled "new". The database is built once
# (SQLite, the first binary's schema) and copied for each run; REVISIONS (22700), CLIENTS (50),
# PER_CLIENT (4) and ROUNDS (1) change the sizes, RETRY=1 makes refused clients come back.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh
REVISIONS="${REVISIONS:-22700}"
CLIENTS="${CLIENTS:-50}"
PER_CLIENT="${PER_CLIENT:-4}"
# 1: a client refused with 503 waits Retry-After and asks again (benches/abuse.py history).
RETRY="${RETRY:-0}"
ROUNDS="${ROUNDS:-1}"
runs=("$@")
if [ ${#runs[@]} -eq 0 ]; then
  build
  runs=("new:$bin")
fi
work="$(mktemp -d)"
trap 'stop_server; rm -rf "$work"' EXIT
addr=127.0.0.1:18383

echo "{\"machine\":\"$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)\",\"revisions\":$REVISIONS,\"clients\":$CLIENTS,\"per_client\":$PER_CLIENT,\"retry\":$RETRY}"
first="${runs[0]#*:}"
serve_on "sqlite://$work/base.db" "$addr" "$first" --
python3 benches/abuse.py fill "http://$addr" "$APO_TOKEN" "$REVISIONS" 4 >&2
stop_server

for round in $(seq 1 "$ROUNDS"); do
  for run in "${runs[@]}"; do
    label="${run%%:*}" binary="${run#*:}"
    rm -f "$work"/run.db*
    for f in "$work"/base.db*; do cp "$f" "$work/run.db${f#"$work"/base.db}"; done
    serve_on "sqlite://$work/run.db" "$addr" "$binary" --
    history="$(python3 benches/abuse.py history "http://$addr" "$APO_TOKEN" "$CLIENTS" "$PER_CLIENT" "$RETRY")"
    resume="$(python3 benches/abuse.py resume "http://$addr" "$APO_TOKEN" 2000 5)"
    echo "{\"run\":\"$label\",\"round\":$round,\"history\":$history,\"resume\":$resume}"
    stop_server
  done
done
