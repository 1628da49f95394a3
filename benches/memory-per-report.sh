#!/usr/bin/env bash
# How the server's memory follows the reports stored: starts BINARY (default: this tree's release
# build) on a fresh SQLite database with the demo data, posts REPORTS (default 60,000) valid
# reports in arrays of 500 (`benches/ingest/bodies.py`'s reports, every cycle year), and prints
# VmRSS and VmHWM after every 20,000. (The soak found memory growing with the reports stored.)
#
#   benches/memory-per-report.sh [BINARY] [REPORTS]
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/lib.sh
binary="${1:-}"
reports="${2:-60000}"
if [ -z "$binary" ]; then build; binary="$bin"; fi
work="$(mktemp -d)"
trap 'stop_server; rm -rf "$work"' EXIT
addr=127.0.0.1:18441
serve_on "sqlite://$work/m.db" "$addr" "$binary" APO_WRITES_PER_SECOND=100000 -- >/dev/null
python3 benches/ingest/bodies.py "http://$addr" "$APO_TOKEN" "$work/bodies" 2>/dev/null
rss() { awk '/^VmRSS|^VmHWM/ {printf "%s %.1f MB  ", $1, $2/1024}' "/proc/$server_pid/status"; }
echo "$(basename "$binary"): 0 reports: $(rss)"
python3 - "$addr" "$APO_TOKEN" "$work/bodies" "$reports" "$server_pid" <<'PY'
import json, sys, urllib.request
addr, token, bodies, total, pid = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
rows = [json.loads(l) for l in open(bodies) if l.strip()]
def rss():
    out = []
    for l in open(f'/proc/{pid}/status'):
        if l.startswith(('VmRSS', 'VmHWM')):
            k, v = l.split(':'); out.append(f'{k} {int(v.split()[0]) / 1024:.1f} MB')
    return '  '.join(out)
sent = 0
while sent < total:
    batch = [dict(rows[(sent + i) % len(rows)]) for i in range(500)]
    for r in batch:
        r.pop('reported_at', None)
    req = urllib.request.Request(f'http://{addr}/api/v1/actuals', json.dumps(batch).encode(),
        {'Content-Type': 'application/json', 'Authorization': f'Bearer {token}'})
    with urllib.request.urlopen(req) as r:
        assert r.status == 201, r.status
    sent += len(batch)
    if sent % 20000 == 0:
        print(f'{sent} reports: {rss()}', flush=True)
PY
