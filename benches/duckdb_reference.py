"""DuckDB reference for the aggregation benchmark.

The same full recomputation as `analytics::full` (METRICS.md §1-2 for period 2026: latest report
per key result, progress, score, status, member x pillar cells, members, pillars, focus areas,
completeness), written in SQL for DuckDB over the data `benches/aggregation.rs` generated, with
every result materialised in the engine. Prints the median time and, from Criterion's estimate of
the same run, the ratio ours / DuckDB's, as one JSON line per size.

Usage: python3 benches/duckdb_reference.py TARGET_DIR SIZE [RUNS]
"""

import json
import pathlib
import statistics
import sys
import time

import duckdb

LOAD = """
CREATE TABLE krs AS SELECT * FROM read_csv('{dir}/krs.csv', header = true,
    columns = {{'kr': 'UINTEGER', 'member': 'VARCHAR', 'pillar': 'BIGINT', 'focus': 'VARCHAR',
               'weight': 'DOUBLE', 'increase': 'BOOLEAN', 'baseline': 'DOUBLE',
               'target': 'DOUBLE'}});
CREATE TABLE actuals AS SELECT * FROM read_csv('{dir}/actuals.csv', header = true,
    columns = {{'kr': 'UINTEGER', 'year': 'BIGINT', 'value': 'DOUBLE', 'seq': 'UINTEGER'}});
"""

# One statement per result, as polars computes one frame per result.
QUERIES = [
    """
    CREATE OR REPLACE TEMP TABLE level AS
    WITH latest AS (
        SELECT kr, arg_max(value, seq) AS actual FROM actuals WHERE year = 2026 GROUP BY kr
    ), p AS (
        SELECT k.*, l.actual,
            CASE
                WHEN l.actual IS NULL OR k.target IS NULL THEN NULL
                WHEN k.baseline IS NOT NULL AND k.target <> k.baseline
                    THEN (l.actual - k.baseline) / (k.target - k.baseline)
                WHEN k.increase THEN
                    CASE WHEN l.actual >= k.target THEN 1.0
                         WHEN k.target > 0 THEN l.actual / k.target ELSE 0.0 END
                ELSE
                    CASE WHEN l.actual <= k.target THEN 1.0
                         WHEN l.actual > 0 THEN k.target / l.actual ELSE 0.0 END
            END AS p
        FROM krs k LEFT JOIN latest l USING (kr)
    )
    SELECT *, greatest(least(p, 1.0), 0.0) AS s,
        CASE WHEN p IS NULL THEN 4 WHEN p >= 1 THEN 0 WHEN p >= 0.7 THEN 1
             WHEN p >= 0.4 THEN 2 ELSE 3 END AS status
    FROM p
    """,
    """
    CREATE OR REPLACE TEMP TABLE cells AS
    SELECT member, pillar,
        sum(weight * s) FILTER (WHERE p IS NOT NULL)
            / sum(weight) FILTER (WHERE p IS NOT NULL) AS score,
        count(p) AS with_data, count(*) AS krs
    FROM level GROUP BY member, pillar
    """,
    """
    CREATE OR REPLACE TEMP TABLE member_stats AS
    SELECT member, count(*) AS krs,
        count(*) FILTER (WHERE status = 0) AS achieved,
        count(*) FILTER (WHERE status = 1) AS on_track,
        count(*) FILTER (WHERE status = 2) AS at_risk,
        count(*) FILTER (WHERE status = 3) AS off_track,
        count(*) FILTER (WHERE status = 4) AS no_data,
        count(target) AS expected,
        count(*) FILTER (WHERE target IS NOT NULL AND actual IS NOT NULL) AS reported
    FROM level GROUP BY member
    """,
    """
    CREATE OR REPLACE TEMP TABLE pillar_stats AS
    SELECT pillar, count(*) AS krs, count(p) AS with_data,
        count(*) FILTER (WHERE status = 0) AS achieved,
        count(*) FILTER (WHERE status = 1) AS on_track,
        count(*) FILTER (WHERE status = 2) AS at_risk,
        count(*) FILTER (WHERE status = 3) AS off_track,
        count(*) FILTER (WHERE status = 4) AS no_data
    FROM level GROUP BY pillar
    """,
    """
    CREATE OR REPLACE TEMP TABLE focus AS
    WITH mf AS (
        SELECT member, focus,
            sum(weight * s) FILTER (WHERE p IS NOT NULL)
                / sum(weight) FILTER (WHERE p IS NOT NULL) AS score,
            count(*) AS krs
        FROM level GROUP BY member, focus
    )
    SELECT focus, avg(score) AS score, count(score) AS members, count(*) AS chosen_by,
        sum(krs) AS krs
    FROM mf GROUP BY focus
    """,
    """
    CREATE OR REPLACE TEMP TABLE member_scores AS
    SELECT member, avg(score) AS score FROM cells GROUP BY member
    """,
    """
    CREATE OR REPLACE TEMP TABLE pillar_scores AS
    SELECT pillar, avg(score) AS score, count(score) AS members_scored FROM cells GROUP BY pillar
    """,
]


def main() -> None:
    target, size = pathlib.Path(sys.argv[1]), sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    con = duckdb.connect()
    con.execute(LOAD.format(dir=target / "bench-data" / size))
    for q in QUERIES:  # warm up
        con.execute(q)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        for q in QUERIES:
            con.execute(q)
        times.append((time.perf_counter() - start) * 1000)
    duck = statistics.median(times)
    out = {
        "size": size,
        "duckdb_version": duckdb.__version__,
        "duckdb_full_ms_median": round(duck, 3),
        "runs": runs,
    }
    estimates = target / "criterion" / size / "full_recomputation" / "new" / "estimates.json"
    if estimates.exists():
        ours = json.loads(estimates.read_text())["median"]["point_estimate"] / 1e6
        out["ours_full_ms_median"] = round(ours, 3)
        out["ratio_ours_to_duckdb"] = round(ours / duck, 3)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
