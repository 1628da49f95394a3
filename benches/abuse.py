#!/usr/bin/env python3
"""Issue 19's abuse measurements, against a running server (Python's standard library only).

  abuse.py fill URL TOKEN TARGET_REV [WRITERS]
      posts reports (random key results of the database, values within their ranges) until
      the revision reaches TARGET_REV; prints the revision reached and the time taken.
  abuse.py history URL TOKEN [CLIENTS] [PER_CLIENT] [RETRY]
      CLIENTS threads each ask GET /api/v1/dashboard?period=2026&rev=<random> PER_CLIENT
      times, while one more asks GET /api/v1/members every 50 ms; prints one JSON line: the
      latencies (ms) of each (of all answers, and of the 200s alone), and the answers'
      statuses. With RETRY=1 a client refused with 503 waits Retry-After seconds and asks
      again, until served: "until_served_ms" is then the time from its first ask.
  abuse.py resume URL TOKEN [MESSAGES] [SECONDS]
      one live socket: after its first frame, MESSAGES {"type":"resume","since":0} as fast as
      it can, then reads for SECONDS (or until the server closes); prints one JSON line: bytes
      sent and received after the first frame, their ratio, frames by type, the close code.

The token is a Secretariat's (`apo-dashboard token create --role secretariat`).
"""

import base64
import http.client
import json
import os
import random
import socket
import statistics
import struct
import sys
import threading
import time
import urllib.parse


def connection(url):
    u = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(u.hostname, u.port or 80, timeout=120)


def request(conn, method, path, token, body=None):
    headers = {"Authorization": f"Bearer {token}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
        body = json.dumps(body)
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    return resp.status, dict(resp.getheaders()), data


def fill(url, token, target, writers=4):
    conn = connection(url)
    _, _, data = request(conn, "GET", "/api/v1/key_results", token)
    krs = [
        k
        for k in json.loads(data)
        if k.get("min_value") is None or k.get("max_value") is None or k["max_value"] > k["min_value"]
    ]
    _, _, data = request(conn, "GET", "/api/v1/dashboard?period=2026", token)
    rev = json.loads(data)["rev"]
    lock = threading.Lock()
    state = {"rev": rev, "errors": 0}
    started = time.monotonic()

    def writer(seed):
        rng = random.Random(seed)
        c = connection(url)
        while True:
            with lock:
                if state["rev"] >= target:
                    return
            k = rng.choice(krs)
            lo = k.get("min_value")
            hi = k.get("max_value")
            lo = 0.0 if lo is None else lo
            hi = lo + 100.0 if hi is None else hi
            body = {
                "iso3": k["iso3"],
                "kr_code": k["code"],
                "year": 2026,
                "value": round(rng.uniform(lo, hi), 2),
            }
            status, _, data = request(c, "POST", "/api/v1/actuals", token, body)
            with lock:
                if status == 201:
                    state["rev"] = max(state["rev"], json.loads(data)["rev"])
                else:
                    state["errors"] += 1
                    if state["errors"] > 100:
                        raise SystemExit(f"refused: {status} {data[:300]!r}")

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps({"rev": state["rev"], "seconds": round(time.monotonic() - started, 1),
                      "refused": state["errors"]}))


def percentile(values, q):
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))], 1)


def history(url, token, clients=50, per_client=4, retry=0):
    conn = connection(url)
    _, _, data = request(conn, "GET", "/api/v1/dashboard?period=2026", token)
    top = json.loads(data)["rev"]
    lock = threading.Lock()
    rev_ms, served_ms, until_ms, statuses, retry_after = [], [], [], {}, set()
    members_ms, members_status = [], {}
    done = threading.Event()
    barrier = threading.Barrier(clients + 1)

    def client(seed):
        rng = random.Random(seed)
        c = connection(url)
        barrier.wait()
        for _ in range(per_client):
            rev = rng.randint(0, top)
            first = time.monotonic()
            while True:
                t0 = time.monotonic()
                status, headers, _ = request(c, "GET", f"/api/v1/dashboard?period=2026&rev={rev}", token)
                ms = (time.monotonic() - t0) * 1000
                wait = headers.get("retry-after") or headers.get("Retry-After")
                with lock:
                    rev_ms.append(ms)
                    statuses[status] = statuses.get(status, 0) + 1
                    if status == 200:
                        served_ms.append(ms)
                    if status == 503:
                        retry_after.add(wait)
                if status == 503 and retry and wait:
                    time.sleep(float(wait))
                    continue
                with lock:
                    until_ms.append((time.monotonic() - first) * 1000)
                break

    def members():
        c = connection(url)
        barrier.wait()
        while not done.is_set():
            t0 = time.monotonic()
            status, _, _ = request(c, "GET", "/api/v1/members", token)
            ms = (time.monotonic() - t0) * 1000
            with lock:
                members_ms.append(ms)
                members_status[status] = members_status.get(status, 0) + 1
            time.sleep(0.05)

    # /members alone first: its latency without the load.
    quiet = []
    for _ in range(20):
        t0 = time.monotonic()
        request(conn, "GET", "/api/v1/members", token)
        quiet.append((time.monotonic() - t0) * 1000)
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    m = threading.Thread(target=members)
    for t in threads:
        t.start()
    m.start()
    started = time.monotonic()
    for t in threads:
        t.join()
    wall = time.monotonic() - started
    done.set()
    m.join()
    served = [ms for ms in rev_ms]
    print(json.dumps({
        "revisions": top, "clients": clients, "requests": len(rev_ms), "seconds": round(wall, 1),
        "rev_ms": {"p50": percentile(served, 0.5), "p90": percentile(served, 0.9),
                   "max": percentile(served, 1.0)},
        "served_ms": {"p50": percentile(served_ms, 0.5), "p90": percentile(served_ms, 0.9),
                      "max": percentile(served_ms, 1.0), "n": len(served_ms)},
        "until_served_ms": {"p50": percentile(until_ms, 0.5), "p90": percentile(until_ms, 0.9),
                            "max": percentile(until_ms, 1.0)} if retry else None,
        "statuses": statuses, "retry_after": sorted(x for x in retry_after if x),
        "members_quiet_ms": {"p50": percentile(quiet, 0.5), "max": percentile(quiet, 1.0)},
        "members_ms": {"p50": percentile(members_ms, 0.5), "p90": percentile(members_ms, 0.9),
                       "max": percentile(members_ms, 1.0), "n": len(members_ms)},
        "members_statuses": members_status,
    }))


def ws_frame(text):
    payload = text.encode()
    mask = os.urandom(4)
    head = bytes([0x81])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    else:
        head += bytes([0x80 | 126]) + struct.pack(">H", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


class Reader:
    """Reads the server's frames from a raw socket, counting bytes."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.received = 0

    def fill(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise EOFError
            self.received += len(chunk)
            self.buf += chunk

    def frame(self):
        self.fill(2)
        op = self.buf[0] & 0x0F
        n = self.buf[1] & 0x7F
        at = 2
        if n == 126:
            self.fill(4)
            n = struct.unpack(">H", self.buf[2:4])[0]
            at = 4
        elif n == 127:
            self.fill(10)
            n = struct.unpack(">Q", self.buf[2:10])[0]
            at = 10
        self.fill(at + n)
        payload = self.buf[at:at + n]
        self.buf = self.buf[at + n:]
        return op, payload


def resume(url, token, messages=2000, seconds=5.0):
    u = urllib.parse.urlsplit(url)
    sock = socket.create_connection((u.hostname, u.port or 80))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (f"GET /api/v1/live?period=2026 HTTP/1.1\r\nHost: {u.netloc}\r\nUpgrade: websocket\r\n"
         f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
         f"Authorization: Bearer {token}\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    if b" 101 " not in head.split(b"\r\n")[0]:
        raise SystemExit(f"no upgrade: {head!r}")
    reader = Reader(sock)
    reader.frame()
    before = reader.received - len(reader.buf)
    message = ws_frame('{"type":"resume","since":0}')
    sent = 0

    def send():
        nonlocal sent
        try:
            for _ in range(messages):
                sock.sendall(message)
                sent += len(message)
        except OSError:
            pass

    sender = threading.Thread(target=send)
    sender.start()
    kinds, close = {}, None
    deadline = time.monotonic() + seconds
    sock.settimeout(0.5)
    try:
        while time.monotonic() < deadline:
            try:
                op, payload = reader.frame()
            except socket.timeout:
                continue
            if op == 0x8:
                close = {"code": struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None,
                         "reason": payload[2:].decode(errors="replace")}
                break
            if op == 0x9:
                continue
            if op == 0x1:
                kind = json.loads(payload).get("type")
                if kind == "error":
                    kind = "error:" + json.loads(payload).get("code", "?")
                kinds[kind] = kinds.get(kind, 0) + 1
    except (EOFError, OSError):
        pass
    sender.join()
    received = reader.received - before
    print(json.dumps({"messages": messages, "sent_bytes": sent, "received_bytes": received,
                      "ratio": round(received / max(sent, 1), 2), "frames": kinds, "close": close}))
    sock.close()


if __name__ == "__main__":
    what, url, token, *rest = sys.argv[1:]
    if what == "fill":
        fill(url, token, int(rest[0]), *(int(x) for x in rest[1:]))
    elif what == "history":
        history(url, token, *(int(x) for x in rest))
    elif what == "resume":
        resume(url, token, *(int(rest[0]),) if rest else (), *(float(x) for x in rest[1:]))
    else:
        raise SystemExit(__doc__)
