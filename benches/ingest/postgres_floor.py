#!/usr/bin/env python3
"""What PostgreSQL itself needs for one group commit of the ingest benchmark, without the server:
the committer's short way (one statement that moves the revision row and inserts N reports and
their N audit rows, in its own transaction, committed with synchronous_commit=on), sent ROUNDS
times one after the other by psql, each waiting for the one before, as the committer does. The
reports are those of BODIES (the lines benches/ingest/bodies.py wrote), taken in turn from a
random start. Prints the mean time of a group (psql's own share included: it parses nothing
but the answers).

    python3 benches/ingest/postgres_floor.py URL BODIES [N=16] [ROUNDS=2000]

URL is a database made by the server (after a benchmark run, so that the tables and their
indexes are as large as the benchmark's); the script writes to it.
"""
import json
import random
import subprocess
import sys
import tempfile
import time

url, bodies_file = sys.argv[1:3]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 16
rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 2000
bodies = [json.loads(line) for line in open(bodies_file)]
at = '2026-12-07T06:00:00.000000Z'


def lit(v):
    if v is None:
        return 'NULL::text'
    if isinstance(v, str):
        return "'" + v.replace("'", "''") + "'"
    return repr(v)


def psql(*args, stdin=None):
    return subprocess.run(['psql', '-qAtX', '-v', 'ON_ERROR_STOP=1', url, *args], check=True,
                          capture_output=True, text=True, input=stdin).stdout.strip()


rev = int(psql('-c', 'SELECT rev FROM revision WHERE id = 1'))
start = rev
k = random.randrange(len(bodies))
statements = []
for _ in range(rounds):
    acts, auds = [], []
    for i in range(n):
        b = bodies[k]
        k = (k + 1) % len(bodies)
        r = rev + 1 + i
        acts.append('(' + ','.join(lit(v) for v in [b['iso3'], b['kr_code'], b['year'], float(b['value']), at, 'bench', r]) + ')')
        new = json.dumps({'iso3': b['iso3'], 'code': b['kr_code'], 'year': b['year'], 'value': b['value'], 'reported_at': at})
        auds.append('(' + ','.join(lit(v) for v in [r, at, 'bench', 'append', 'actual',
                                                     f"{b['iso3']}/{b['kr_code']}/{b['year']}", None, new,
                                                     'secretariat', None, 'tok-1', f'req-{i}', b['iso3'], None]) + ')')
    statements.append(
        f'WITH r AS (UPDATE revision SET rev = {rev + n} WHERE id = 1 AND rev = {rev} RETURNING rev), '
        'w0 AS (INSERT INTO actuals (iso3, kr_code, year, value, reported_at, reported_by, rev) '
        f'SELECT * FROM (VALUES {",".join(acts)}) AS v WHERE EXISTS (SELECT 1 FROM r)), '
        'w1 AS (INSERT INTO audit_log (rev, at, actor, action, entity, entity_key, old_value, new_value, '
        'role, scope, credential, request_id, member, note) '
        f'SELECT * FROM (VALUES {",".join(auds)}) AS v WHERE EXISTS (SELECT 1 FROM r)) SELECT rev FROM r;')
    rev += n
with tempfile.NamedTemporaryFile('w', suffix='.sql') as f:
    f.write('SET synchronous_commit = on;\n' + '\n'.join(statements) + '\n')
    f.flush()
    t0 = time.perf_counter()
    out = psql('-f', f.name)
    took = time.perf_counter() - t0
moved = int(psql('-c', 'SELECT rev FROM revision WHERE id = 1')) - start
if moved != rounds * n or len(out.split()) != rounds:
    sys.exit(f'the revision moved by {moved}, not {rounds * n}: another writer? ({len(out.split())} answers)')
print(f'{n} reports a group, {rounds} groups: {took / rounds * 1e3:.3f} ms a group '
      f'({rounds * n / took:.0f} reports/s), psql included')
