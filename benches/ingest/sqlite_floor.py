#!/usr/bin/env python3
"""What SQLite itself needs for one group commit of the ingest benchmark, without the server:
the same statements as the committer (lock the revision row, read the key results, insert N
reports and their N audit rows in one statement each, move the revision row, COMMIT with
synchronous=FULL in WAL mode) from Python's sqlite3, on a database made by this tree's
migrations, in the same directory the benchmark uses (mktemp -d). Prints p50/mean/p99 of each
part over ROUNDS groups.

    python3 benches/ingest/sqlite_floor.py [N=30] [ROUNDS=1500] [DB BODIES [CHECKPOINT_S]]

With DB and BODIES, it works on a copy of DB (the benchmark's database after a run, so that the
tables and their indexes are as large) and reports on the key results of BODIES (the lines
benches/ingest/bodies.py wrote, taken in turn from a random start as post.lua takes them), so
that each group's rows land on as many index pages as the benchmark's do; the group is the
committer's short way (BEGIN IMMEDIATE, the inserts and the revision row's move, COMMIT).
With CHECKPOINT_S, a second connection copies the log back every CHECKPOINT_S seconds meanwhile
(`PRAGMA wal_checkpoint(PASSIVE)`), as the server's background task does every second.
"""
import glob, json, os, random, shutil, statistics, sqlite3, sys, tempfile, threading, time

n = int(sys.argv[1]) if len(sys.argv) > 1 else 30
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 1500
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
work = tempfile.mkdtemp()
bodies = None
if len(sys.argv) > 4:
    shutil.copy(sys.argv[3], os.path.join(work, 'floor.db'))
    bodies = [json.loads(line) for line in open(sys.argv[4])]
db = sqlite3.connect(os.path.join(work, 'floor.db'), isolation_level=None)
db.execute('PRAGMA journal_mode=wal')
db.execute('PRAGMA synchronous=FULL')
db.execute('PRAGMA wal_autocheckpoint=0')
if bodies is None:
    for f in sorted(glob.glob(os.path.join(root, 'migrations', 'sqlite', '*.sql'))):
        db.executescript(open(f).read())
    db.execute('INSERT OR IGNORE INTO revision (id, rev) VALUES (1, 0)')
else:
    db.execute('PRAGMA wal_checkpoint(TRUNCATE)')
next_body = random.randrange(len(bodies)) if bodies else 0
checkpoints = []
if len(sys.argv) > 5:
    every = float(sys.argv[5])
    done = threading.Event()

    def checkpoint():
        other = sqlite3.connect(os.path.join(work, 'floor.db'), isolation_level=None, check_same_thread=False)
        while not done.wait(every):
            t = time.perf_counter()
            other.execute('PRAGMA wal_checkpoint(PASSIVE)').fetchall()
            checkpoints.append(time.perf_counter() - t)

    threading.Thread(target=checkpoint, daemon=True).start()
actuals = 'INSERT INTO actuals (iso3, kr_code, year, value, reported_at, reported_by, rev) VALUES '
audit = ('INSERT INTO audit_log (rev, at, actor, action, entity, entity_key, old_value, new_value, '
         'role, scope, credential, request_id, member, note) VALUES ')
at = '2026-12-07T06:00:00.000000Z'


def report(i):
    """The i-th report of a group: (member, key result, year, value)."""
    global next_body
    if bodies is None:
        return 'VNM', 'VNM-KR1', 2026, 1.5 + i
    b = bodies[next_body]
    next_body = (next_body + 1) % len(bodies)
    return b['iso3'], b['kr_code'], b['year'], b['value']


def short_group():
    """The committer's short way: the key results are known; one query, then COMMIT."""
    t0 = time.perf_counter()
    rev = db.execute('SELECT rev FROM revision WHERE id = 1').fetchone()[0] + 1
    a, l = rows(rev)
    t1 = time.perf_counter()
    db.execute('BEGIN IMMEDIATE')
    db.execute(actuals + ','.join(['(?,?,?,?,?,?,?)'] * n), a)
    db.execute(audit + ','.join(['(' + ','.join('?' * 14) + ')'] * n), l)
    db.execute('UPDATE revision SET rev = ? WHERE id = 1 AND rev = ? RETURNING rev', (rev + n - 1, rev - 1)).fetchall()
    t2 = time.perf_counter()
    db.execute('COMMIT')
    return t1 - t0, t2 - t1, time.perf_counter() - t2


def rows(rev):
    a, l = [], []
    for i in range(n):
        iso3, code, year, value = report(i)
        a += [iso3, code, year, value, at, 'bench', rev + i]
        new = json.dumps({'iso3': iso3, 'code': code, 'year': year, 'value': value, 'reported_at': at})
        l += [rev + i, at, 'bench', 'append', 'actual', f'{iso3}/{code}/{year}', None, new, 'secretariat',
              None, 'tok-1', f'req-{i}', iso3, None]
    return a, l


def group():
    t0 = time.perf_counter()
    db.execute('BEGIN')
    rev = db.execute('UPDATE revision SET rev = rev + 1 WHERE id = 1 RETURNING rev').fetchone()[0]
    db.execute('SELECT iso3, code, min_value, max_value FROM key_results').fetchall()
    t1 = time.perf_counter()
    a, l = rows(rev)
    db.execute(actuals + ','.join(['(?,?,?,?,?,?,?)'] * n), a)
    db.execute(audit + ','.join(['(' + ','.join('?' * 14) + ')'] * n), l)
    db.execute('UPDATE revision SET rev = ? WHERE id = 1', (rev + n - 1,))
    t2 = time.perf_counter()
    db.execute('COMMIT')
    return t1 - t0, t2 - t1, time.perf_counter() - t2


if bodies is None:
    times = [group() for _ in range(rounds)]
    parts = ['begin, lock, key results', 'inserts, revision row', 'commit (fsync)']
else:
    times = [short_group() for _ in range(rounds)]
    parts = ['rows made (Python)', 'begin, inserts, move', 'commit (fsync)']
print(f'{n} reports a group, {rounds} groups, {work}')
if checkpoints:
    print(f'checkpoints meanwhile: {len(checkpoints)}, mean {statistics.mean(checkpoints) * 1e3:.1f} ms')
totals = sorted(t[1] + t[2] for t in times)
print(f'{"database, all":28s} p50 {totals[len(totals) // 2] * 1e3:.3f} ms  mean {statistics.mean(totals) * 1e3:.3f} ms')
for k, name in enumerate(parts):
    v = sorted(t[k] for t in times)
    print(f'{name:28s} p50 {v[len(v) // 2] * 1e3:.3f} ms  mean {statistics.mean(v) * 1e3:.3f} ms  '
          f'p99 {v[int(len(v) * 0.99)] * 1e3:.3f} ms')
