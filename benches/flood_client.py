#!/usr/bin/env python3
"""Connection-flood client for benches/flood.sh (issue 19).

Floods a running server with connections, in worker processes (each has its own descriptor
limit), while the main process asks /healthz on a new connection every --probe-ms and samples
the server's resident memory (VmRSS of --pid) every 100 ms. Two phases, one JSON line each:

  idle       --connections sockets that connect and send nothing;
  keepalive  --connections sockets that each send one GET /healthz, read the answer and then
             stay open, idle, as kept-alive HTTP/1.1 connections.

Each phase holds its sockets --hold seconds, closes them, then waits --after seconds and reads
the memory again. Printed per phase: sockets opened, failed to connect, closed by the server
while held; /healthz asks, failures and latency (p50, p99, max, in ms); RSS in MB before the
phase, at its peak, and --after seconds after the sockets were closed.
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import time


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def healthz(host, port, timeout):
    """One /healthz on a new connection: (ok, seconds)."""
    started = time.perf_counter()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        writer.write(f"GET /healthz HTTP/1.1\r\nhost: {host}:{port}\r\nconnection: close\r\n\r\n".encode())
        raw = await asyncio.wait_for(reader.read(-1), timeout)
        writer.close()
        ok = raw.startswith(b"HTTP/1.1 200")
    except (OSError, asyncio.TimeoutError):
        ok = False
    return ok, time.perf_counter() - started


def worker(host, port, n, kind, hold, out):
    """Opens n sockets of the given kind, holds them all for `hold` seconds, reports."""
    out.put(asyncio.run(flood(host, port, n, kind, hold)))


async def flood(host, port, n, kind, hold):
    opened = failed = closed_by_server = answered = 0
    writers = []
    watchers = []
    request = f"GET /healthz HTTP/1.1\r\nhost: {host}:{port}\r\n\r\n".encode()

    async def watch(reader):
        nonlocal closed_by_server
        try:
            while await reader.read(4096):
                pass
        except OSError:
            pass
        closed_by_server += 1

    async def one():
        nonlocal opened, failed, answered
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 30)
        except (OSError, asyncio.TimeoutError):
            failed += 1
            return
        opened += 1
        writers.append(writer)
        if kind == "keepalive":
            try:
                writer.write(request)
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
                length = next(
                    int(l.split(b":", 1)[1])
                    for l in head.split(b"\r\n")
                    if l.lower().startswith(b"content-length:")
                )
                await asyncio.wait_for(reader.readexactly(length), 30)
                answered += 1
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, StopIteration):
                pass
        watchers.append(asyncio.ensure_future(watch(reader)))

    # At most 512 connects in flight per worker: past the listen backlog they would only wait.
    pending = set()
    for _ in range(n):
        if len(pending) >= 512:
            _, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        pending.add(asyncio.ensure_future(one()))
    if pending:
        await asyncio.wait(pending)
    connected_at = time.time()
    await asyncio.sleep(hold)
    held_closed = closed_by_server
    for w in writers:
        w.close()
    for t in watchers:
        t.cancel()
    return {
        "opened": opened,
        "failed": failed,
        "answered": answered,
        "closed_by_server": held_closed,
        "connected_at": connected_at,
    }


def percentile(xs, p):
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


async def phase(args, kind):
    pid = args.pid
    before = rss_mb(pid)
    peak = before
    out = multiprocessing.Queue()
    per = [args.connections // args.workers] * args.workers
    per[0] += args.connections - sum(per)
    procs = [
        multiprocessing.Process(target=worker, args=(args.host, args.port, n, kind, args.hold, out))
        for n in per
    ]
    started = time.time()
    for p in procs:
        p.start()
    latencies, failures = [], 0
    next_probe = time.perf_counter()
    next_rss = time.perf_counter()
    results = []
    while len(results) < len(procs):
        while not out.empty():
            results.append(out.get())
        now = time.perf_counter()
        if now >= next_rss:
            peak = max(peak, rss_mb(pid))
            next_rss = now + 0.1
        if now >= next_probe:
            ok, took = await healthz(args.host, args.port, args.probe_timeout)
            latencies.append(took * 1000)
            failures += 0 if ok else 1
            next_probe = time.perf_counter() + args.probe_ms / 1000
        await asyncio.sleep(0.01)
    for p in procs:
        p.join()
    closed_at = time.time()
    # The memory as the sockets go, then --after seconds later (still asking /healthz, less
    # often, so that the server is not idle in a way it never is in use).
    while time.time() < closed_at + args.after:
        peak = max(peak, rss_mb(pid))
        await healthz(args.host, args.port, args.probe_timeout)
        await asyncio.sleep(1)
    after = rss_mb(pid)
    return {
        "phase": kind,
        "connections": args.connections,
        "opened": sum(r["opened"] for r in results),
        "connect_failed": sum(r["failed"] for r in results),
        "answered": sum(r["answered"] for r in results) if kind == "keepalive" else None,
        "closed_by_server_while_held": sum(r["closed_by_server"] for r in results),
        "connect_s": round(max(r["connected_at"] for r in results) - started, 1),
        "healthz": {
            "asked": len(latencies),
            "failed": failures,
            "p50_ms": round(percentile(latencies, 50), 2),
            "p99_ms": round(percentile(latencies, 99), 2),
            "max_ms": round(max(latencies), 2),
        },
        "rss_mb": {
            "before": round(before, 1),
            "peak": round(peak, 1),
            f"after_{args.after}s": round(after, 1),
        },
    }


async def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, required=True, help="the server's process id (for VmRSS)")
    ap.add_argument("--connections", type=int, default=20_200)
    ap.add_argument("--workers", type=int, default=4, help="processes opening the sockets")
    ap.add_argument("--hold", type=float, default=20.0, help="seconds each worker holds its sockets once all are open")
    ap.add_argument("--after", type=int, default=30, help="seconds after closing them")
    ap.add_argument("--probe-ms", type=float, default=50.0)
    ap.add_argument("--probe-timeout", type=float, default=10.0)
    ap.add_argument("--phases", default="idle,keepalive")
    args = ap.parse_args()
    for kind in args.phases.split(","):
        print(json.dumps(await phase(args, kind)), flush=True)


if __name__ == "__main__":
    multiprocessing.set_start_method("spawn")
    asyncio.run(main())
