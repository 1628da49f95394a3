#!/usr/bin/env python3
"""Writes a long-form series file (iso3,series,year,value) of ROWS rows for the import benchmark
(benches/import.sh): the 21 APO members, as many series as it takes (named like a member's own
indexes: "bench.s0001", ...), 60 years each (1960-2019), values of a few significant digits
that drift from year to year as real indexes do. The same seed gives the same file; --changed
N rewrites N values (spread over the file) so that a re-import has something to do.

    benches/series_file.py OUT [--rows 1000000] [--seed 20] [--changed 0]
"""

import argparse
import random

MEMBERS = [
    "BGD", "KHM", "TWN", "FJI", "HKG", "IND", "IDN", "IRN", "JPN", "KOR", "LAO",
    "MYS", "MNG", "NPL", "PAK", "PHL", "SGP", "LKA", "THA", "TUR", "VNM",
]
YEARS = range(1960, 2020)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out")
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=20)
    p.add_argument("--changed", type=int, default=0, help="values to change (a re-import's work)")
    a = p.parse_args()
    rng = random.Random(a.seed)
    every = a.rows // a.changed if a.changed else 0
    per_series = len(MEMBERS) * len(YEARS)
    n_series = -(-a.rows // per_series)
    written = 0
    with open(a.out, "w", encoding="utf-8", newline="") as f:
        f.write("iso3,series,year,value\n")
        lines = []
        for s in range(1, n_series + 1):
            name = f"bench.s{s:04d}"
            for m in MEMBERS:
                level = rng.uniform(10, 1000)
                for y in YEARS:
                    if written == a.rows:
                        break
                    level *= 1 + rng.gauss(0.02, 0.03)
                    value = float(f"{level:.6g}")
                    if every and written % every == every // 2:
                        value = float(f"{value * 1.01:.6g}")
                    lines.append(f"{m},{name},{y},{value!r}\n")
                    written += 1
                if len(lines) > 100_000:
                    f.writelines(lines)
                    lines.clear()
        f.writelines(lines)


if __name__ == "__main__":
    main()
