#!/usr/bin/env python3
"""Writes one valid report per line for benches/ingest/post.lua: every key result the demo
data has, every year of the cycle, with values inside each key result's range.

    bodies.py URL TOKEN OUT
"""
import json
import random
import sys
import urllib.request

url, token, out = sys.argv[1:4]
req = urllib.request.Request(f"{url}/api/v1/key_results", headers={"Authorization": f"Bearer {token}"})
krs = json.load(urllib.request.urlopen(req))
rng = random.Random(21)
lines = []
for kr in krs:
    lo = kr.get("min_value")
    hi = kr.get("max_value")
    lo = 0.0 if lo is None else lo
    hi = lo + 100.0 if hi is None else hi
    for year in (2026, 2027, 2028):
        for _ in range(8):
            value = round(rng.uniform(lo, hi), 3)
            lines.append(json.dumps({"iso3": kr["iso3"], "kr_code": kr["code"], "year": year, "value": value}))
rng.shuffle(lines)
if not lines:
    sys.exit("no key results: is the demo data loaded?")
with open(out, "w") as f:
    f.write("\n".join(lines) + "\n")
print(f"{len(lines)} bodies over {len(krs)} key results", file=sys.stderr)
