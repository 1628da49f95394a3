#!/usr/bin/env python3
"""What SQLite itself needs for one group commit of the ingest benchmark, without the server:
the same statements as the committer (lock the revision row, read the key results, insert N
reports and their N audit rows in one statement each, move the revision row, COMMIT with
synchronous=FULL in WAL mode) from Python's sqlite3, on a database made by this tree's
migrations, in the same directory the benchmark uses (mktemp -d). Prints p50/mean/p99 of each
part over ROUNDS groups.

    python3 benches/ingest/sqlite_floor.py [N=30] [ROUNDS=1500]
"""
import glob, json, os, statistics, sqlite3, sys, tempfile, time

n = int(sys.argv[1]) if len(sys.argv) > 1 else 30
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 1500
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
work = tempfile.mkdtemp()
db = sqlite3.connect(os.path.join(work, 'floor.db'), isolation_level=None)
db.execute('PRAGMA journal_mode=wal')
db.execute('PRAGMA synchronous=FULL')
for f in sorted(glob.glob(os.path.join(root, 'migrations', 'sqlite', '*.sql'))):
    db.executescript(open(f).read())
db.execute('INSERT OR IGNORE INTO revision (id, rev) VALUES (1, 0)')
actuals = 'INSERT INTO actuals (iso3, kr_code, year, value, reported_at, reported_by, rev) VALUES '
audit = ('INSERT INTO audit_log (rev, at, actor, action, entity, entity_key, old_value, new_value, '
         'role, scope, credential, request_id, member, note) VALUES ')
at = '2026-12-07T06:00:00.000000Z'


def group():
    t0 = time.perf_counter()
    db.execute('BEGIN')
    rev = db.execute('UPDATE revision SET rev = rev + 1 WHERE id = 1 RETURNING rev').fetchone()[0]
    db.execute('SELECT iso3, code, min_value, max_value FROM key_results').fetchall()
    t1 = time.perf_counter()
    a, l = [], []
    for i in range(n):
        value = 1.5 + i
        a += ['VNM', 'VNM-KR1', 2026, value, at, 'bench', rev + i]
        new = json.dumps({'iso3': 'VNM', 'code': 'VNM-KR1', 'year': 2026, 'value': value, 'reported_at': at})
        l += [rev + i, at, 'bench', 'append', 'actual', 'VNM/VNM-KR1/2026', None, new, 'secretariat',
              None, 'tok-1', f'req-{i}', 'VNM', None]
    db.execute(actuals + ','.join(['(?,?,?,?,?,?,?)'] * n), a)
    db.execute(audit + ','.join(['(' + ','.join('?' * 14) + ')'] * n), l)
    db.execute('UPDATE revision SET rev = ? WHERE id = 1', (rev + n - 1,))
    t2 = time.perf_counter()
    db.execute('COMMIT')
    return t1 - t0, t2 - t1, time.perf_counter() - t2


times = [group() for _ in range(rounds)]
print(f'{n} reports a group, {rounds} groups, {work}')
for k, name in enumerate(['begin, lock, key results', 'inserts, revision row', 'commit (fsync)']):
    v = sorted(t[k] for t in times)
    print(f'{name:28s} p50 {v[len(v) // 2] * 1e3:.3f} ms  mean {statistics.mean(v) * 1e3:.3f} ms  '
          f'p99 {v[int(len(v) * 0.99)] * 1e3:.3f} ms')
