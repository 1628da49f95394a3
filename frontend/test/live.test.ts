import { effect } from '@preact/signals-core';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { Live, liveUrl } from '../src/live';
import { FakeClock, FakeEnv, FakeSocket, doc, fakeLive } from './fakes';

let clock: FakeClock;
let env: FakeEnv;
let sockets: FakeSocket[];
let live: Live;

function last(): FakeSocket {
  const s = sockets[sockets.length - 1];
  if (!s) throw new Error('no socket was opened');
  return s;
}

function make(opts: { staleAfterMs?: number } = {}): Live {
  return fakeLive(sockets, clock, {
    url: liveUrl({ protocol: 'http:', host: 'wall.local:8080' }),
    env,
    staleAfterMs: opts.staleAfterMs ?? 35_000,
  });
}

function connected(rev = 10): FakeSocket {
  live.start();
  const s = last();
  s.open();
  s.frame({ type: 'snapshot', rev, data: doc(rev) });
  return s;
}

beforeEach(() => {
  clock = new FakeClock();
  env = new FakeEnv();
  sockets = [];
  live = make();
});

describe('snapshot and patches', () => {
  it('connects to the period and holds the snapshot and its revision', () => {
    const s = connected(10);
    expect(s.url).toBe('ws://wall.local:8080/api/v1/live?period=2026');
    expect(live.rev).toBe(10);
    expect(live.doc?.members.VNM?.score).toBe(0.7);
    expect(live.state.kind).toBe('live');
    expect(live.lastUpdate).toBe(clock.now());
  });

  it('applies a patch whose base is the revision held, and tells subscribers what changed', () => {
    const s = connected(10);
    const seen: string[] = [];
    live.subscribe((d, c) => seen.push(`${c.kind}:${d.rev}:${c.events.length}`));
    const event = { rev: 11, entity: 'actual', key: 'VNM/VNM-KR1/2026' };
    s.frame({ type: 'patch', rev: 11, base: 10, ops: [{ op: 'set', path: ['members', 'VNM', 'score'], value: 0.8 }], events: [event] });
    expect(live.rev).toBe(11);
    expect(live.doc?.members.VNM?.score).toBe(0.8);
    expect(seen).toEqual(['snapshot:10:0', 'patch:11:1']);
  });

  it('tells subscribers of a burst of patches once per interval, with the ops and events of all', () => {
    const s = connected(10);
    const seen: string[] = [];
    live.subscribe((d, c) => seen.push(`${c.kind}:${d.rev}:${c.ops.length}:${c.events.map((e) => e.rev).join(',')}`));
    const patch = (rev: number) => ({
      type: 'patch' as const,
      rev,
      base: rev - 1,
      ops: [{ op: 'set' as const, path: ['overall', 'members_scored'], value: rev }],
      events: [{ rev, entity: 'actual' as const, key: 'VNM/VNM-KR1/2026' }],
    });
    s.frame(patch(11));
    s.frame(patch(12));
    s.frame(patch(13));
    // The document is always current; subscribers heard of the first patch at once.
    expect(live.rev).toBe(13);
    expect(live.doc?.overall.members_scored).toBe(13);
    expect(seen).toEqual(['snapshot:10:0:', 'patch:11:1:11']);
    clock.advance(49);
    expect(seen).toHaveLength(2);
    clock.advance(1);
    expect(seen).toEqual(['snapshot:10:0:', 'patch:11:1:11', 'patch:13:2:12,13']);
    // After a quiet interval the next patch is told at once again.
    clock.advance(50);
    s.frame(patch(14));
    expect(seen[3]).toBe('patch:14:1:14');
    // A snapshot supersedes what is waiting to be told.
    s.frame(patch(15));
    s.frame({ type: 'snapshot', rev: 20, data: doc(20) });
    clock.advance(100);
    expect(seen.slice(4)).toEqual(['snapshot:20:0:']);
    expect(clock.pending()).toBe(1); // only the stale timer
  });

  it('the signals of the model follow the same pace: a burst redraws once, with everything', () => {
    const s = connected(10);
    let runs = 0;
    const stop = effect(() => {
      void live.model.overall.value;
      runs++;
    });
    const patch = (rev: number) => ({ type: 'patch' as const, rev, base: rev - 1, ops: [{ op: 'set' as const, path: ['overall', 'members_scored'], value: rev }], events: [] });
    s.frame(patch(11));
    expect(runs).toBe(2); // at once
    s.frame(patch(12));
    s.frame(patch(13));
    expect(live.doc?.overall.members_scored).toBe(13);
    expect(live.model.overall.value?.members_scored).toBe(11);
    clock.advance(50);
    expect(runs).toBe(3);
    expect(live.model.overall.value?.members_scored).toBe(13);
    expect(live.model.rev.value).toBe(13);
    stop();
  });

  it('ignores patches at or below the revision held (no double application)', () => {
    const s = connected(10);
    s.frame({ type: 'patch', rev: 11, base: 10, ops: [{ op: 'set', path: ['overall', 'members_scored'], value: 3 }], events: [] });
    s.frame({ type: 'patch', rev: 11, base: 10, ops: [{ op: 'set', path: ['overall', 'members_scored'], value: 99 }], events: [] });
    s.frame({ type: 'patch', rev: 9, base: 8, ops: [{ op: 'set', path: ['overall', 'members_scored'], value: 98 }], events: [] });
    expect(live.doc?.overall.members_scored).toBe(3);
    expect(live.rev).toBe(11);
    expect(s.sent).toEqual([]);
  });

  it('on a gap asks to resume from the revision held, once, and does not apply the patch', () => {
    const s = connected(10);
    s.frame({ type: 'patch', rev: 13, base: 12, ops: [{ op: 'set', path: ['overall', 'members_scored'], value: 7 }], events: [] });
    s.frame({ type: 'patch', rev: 14, base: 13, ops: [], events: [] });
    expect(live.rev).toBe(10);
    expect(live.doc?.overall.members_scored).toBe(2);
    expect(s.sent).toEqual([{ type: 'resume', since: 10 }]);
    // The server replays what was missed; then everything applies in order.
    s.frame({ type: 'patch', rev: 11, base: 10, ops: [{ op: 'set', path: ['overall', 'members_scored'], value: 5 }], events: [] });
    s.frame({ type: 'patch', rev: 12, base: 11, ops: [], events: [] });
    s.frame({ type: 'patch', rev: 13, base: 12, ops: [{ op: 'set', path: ['overall', 'members_scored'], value: 7 }], events: [] });
    expect(live.rev).toBe(13);
    expect(live.doc?.overall.members_scored).toBe(7);
  });

  it('asks to resume when a heartbeat is ahead of the document', () => {
    const s = connected(10);
    s.frame({ type: 'heartbeat', rev: 10, viewers: 4 });
    expect(s.sent).toEqual([]);
    expect(live.viewers).toBe(4);
    s.frame({ type: 'heartbeat', rev: 12, viewers: 5 });
    expect(s.sent).toEqual([{ type: 'resume', since: 10 }]);
  });

  it('a snapshot replaces the document whatever its revision', () => {
    const s = connected(10);
    s.frame({ type: 'snapshot', rev: 20, data: doc(20) });
    expect(live.rev).toBe(20);
  });

  it('ignores frames it cannot read', () => {
    const s = connected(10);
    s.onmessage?.({ data: 'not json' });
    s.onmessage?.({ data: JSON.stringify({ type: 'error', message: 'x' }) }); // no code
    s.onmessage?.({ data: JSON.stringify({ type: 'notice', rev: 11 }) });
    s.onmessage?.({ data: JSON.stringify({ type: 'patch', rev: 11, base: 10, ops: [{ op: 'move', path: [] }], events: [] }) });
    expect(live.rev).toBe(10);
    expect(live.lastError).toBeNull();
  });

  it('keeps and logs an error frame, and stays connected', () => {
    const s = connected(10);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      s.frame({ type: 'error', code: 'invalid', message: 'year 2031 is outside the 2026–2028 cycle', field: 'period' });
      expect(live.lastError).toEqual({ type: 'error', code: 'invalid', message: 'year 2031 is outside the 2026–2028 cycle', field: 'period' });
      expect(warn).toHaveBeenCalledOnce();
      expect(String(warn.mock.calls[0]?.[0])).toContain('outside the 2026–2028 cycle');
      expect(live.state.kind).toBe('live');
      expect(s.closed).toBe(false);
    } finally {
      warn.mockRestore();
    }
  });

  it('a patch it cannot apply drops the document and reconnects for a snapshot', () => {
    const s = connected(10);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      s.frame({ type: 'patch', rev: 11, base: 10, ops: [{ op: 'insert', path: ['overall', 0], value: 1 }], events: [] });
      expect(warn).toHaveBeenCalledOnce();
    } finally {
      warn.mockRestore();
    }
    expect(s.closed).toBe(true);
    expect(live.doc).toBeNull();
    expect(last()).not.toBe(s);
    expect(last().url).toBe('ws://wall.local:8080/api/v1/live?period=2026');
    last().open();
    last().frame({ type: 'snapshot', rev: 12, data: doc(12) });
    expect(live.rev).toBe(12);
  });

  it('switches period over the open socket and waits for the new snapshot', () => {
    const s = connected(10);
    live.setPeriod(2027);
    expect(s.sent).toEqual([{ type: 'period', period: 2027 }]);
    expect(live.doc).toBeNull();
    s.frame({ type: 'patch', rev: 11, base: 10, ops: [], events: [] }); // the old period's
    expect(live.rev).toBeNull();
    s.frame({ type: 'snapshot', rev: 11, data: doc(11, 2027) });
    expect(live.doc?.period).toBe(2027);
  });
});

describe('reconnecting', () => {
  it('tells the page when the server closes the socket because its access ended (1008), and still retries', () => {
    const refused = vi.fn();
    live = fakeLive(sockets, clock, { url: liveUrl({ protocol: 'http:', host: 'wall.local:8080' }), env, onRefused: refused });
    connected(10);
    last().drop(1006);
    expect(refused).not.toHaveBeenCalled();
    clock.advance(400);
    last().open();
    last().drop(1008);
    expect(refused).toHaveBeenCalledTimes(1);
    expect(live.state.kind).toBe('reconnecting');
    clock.advance(2000);
    expect(sockets.length).toBeGreaterThanOrEqual(3);
  });

  it('reconnects after a drop with backoff, resuming from the revision held', () => {
    connected(10);
    last().drop(1001);
    expect(live.state.kind).toBe('reconnecting');
    expect(sockets).toHaveLength(1);
    clock.advance(374); // first delay: 250 fixed + 250 × 0.5 jitter = 375 ms
    expect(sockets).toHaveLength(1);
    clock.advance(1);
    expect(sockets).toHaveLength(2);
    expect(last().url).toBe('ws://wall.local:8080/api/v1/live?period=2026&since=10');
    // Opening with a document held is live again at once: the server resumes from `since`.
    last().open();
    expect(live.state.kind).toBe('live');
  });

  it('backs off exponentially with jitter, up to a ceiling', () => {
    const delays: number[] = [];
    connected(10);
    let before = clock.now();
    for (let i = 0; i < 8; i++) {
      const n = sockets.length;
      last().drop();
      while (sockets.length === n) clock.advance(1);
      delays.push(clock.now() - before);
      before = clock.now();
    }
    expect(delays).toEqual([375, 750, 1500, 3000, 6000, 7500, 7500, 7500]);
  });

  it('jitter spreads the delays between half and all of the ceiling', () => {
    let r = 0;
    const l = new Live({ url: () => 'ws://x', period: 2026, connect: () => new FakeSocket('ws://x'), clock, random: () => r, backoffBaseMs: 1000 });
    r = 0;
    expect(l.backoff()).toBe(500);
    r = 0.999;
    expect(l.backoff()).toBeCloseTo(999.5);
  });

  it('reconnects at once when the browser comes back online', () => {
    connected(10);
    last().drop();
    expect(sockets).toHaveLength(1);
    env.fire('online');
    expect(sockets).toHaveLength(2);
    expect(last().url).toContain('since=10');
  });

  it('reconnects at once when the page becomes visible after a drop, not while it is fresh', () => {
    const s = connected(10);
    env.fire('visibilitychange');
    expect(sockets).toHaveLength(1);
    s.drop();
    env.isVisible = false;
    env.fire('visibilitychange');
    expect(sockets).toHaveLength(1);
    env.isVisible = true;
    env.fire('visibilitychange');
    expect(sockets).toHaveLength(2);
  });

  it('stops cleanly: no more sockets, no timers, no listeners', () => {
    connected(10);
    live.stop();
    expect(last().closed).toBe(true);
    clock.advance(100_000);
    expect(sockets).toHaveLength(1);
    expect(clock.pending()).toBe(0);
    expect(env.count('online')).toBe(0);
  });
});

describe('stale detection', () => {
  it('treats a silent socket as dead: shows stale since the last frame and reconnects', () => {
    const s = connected(10);
    const lastFrameAt = clock.now();
    clock.advance(20_000);
    s.frame({ type: 'heartbeat', rev: 10, viewers: 1 });
    const heartbeatAt = clock.now();
    clock.advance(34_999);
    expect(live.state.kind).toBe('live');
    clock.advance(1);
    expect(live.state).toEqual({ kind: 'stale', since: heartbeatAt });
    expect(heartbeatAt).toBeGreaterThan(lastFrameAt);
    expect(s.closed).toBe(true);
    expect(sockets).toHaveLength(2);
    expect(last().url).toContain('since=10');
    last().open();
    last().frame({ type: 'heartbeat', rev: 10, viewers: 1 });
    expect(live.state.kind).toBe('live');
  });

  /** A heartbeat on `s`, then one more after each of `gaps` (ms). */
  function beats(s: FakeSocket, ...gaps: number[]): void {
    s.frame({ type: 'heartbeat', rev: 10, viewers: 1 });
    for (const gap of gaps) {
      clock.advance(gap);
      s.frame({ type: 'heartbeat', rev: 10, viewers: 1 });
    }
  }

  it('learns the heartbeat interval: with beats every 2 s, 5 s of silence is stale', () => {
    const s = connected(10);
    // The one that comes with the snapshot, then the periodic ones, out of step with it.
    beats(s, 300);
    expect(live.staleAfter).toBe(35_000);
    clock.advance(2_000);
    beats(s);
    expect(live.staleAfter).toBe(5_000);
    clock.advance(4_999);
    expect(live.state.kind).toBe('live');
    clock.advance(1);
    expect(live.state.kind).toBe('stale');
    expect(sockets).toHaveLength(2);
  });

  it('learns the longest gap between beats: one that came early with a patch does not shorten it', () => {
    const s = connected(10);
    beats(s, 300, 4_000);
    expect(live.staleAfter).toBe(10_000);
    // Carried by a patch half an interval on.
    clock.advance(2_000);
    beats(s);
    expect(live.staleAfter).toBe(10_000);
    // A new socket learns afresh (another replica may beat at another pace).
    s.drop();
    clock.advance(1_000);
    const t = last();
    expect(t).not.toBe(s);
    t.open();
    t.frame({ type: 'snapshot', rev: 10, data: doc(10) });
    beats(t, 300, 2_000);
    expect(live.staleAfter).toBe(5_000);
  });

  it('never waits longer than the configured limit, whatever the heartbeat', () => {
    const s = connected(10);
    s.frame({ type: 'heartbeat', rev: 10, viewers: 1 });
    s.frame({ type: 'heartbeat', rev: 10, viewers: 1 });
    clock.advance(30_000);
    s.frame({ type: 'heartbeat', rev: 10, viewers: 1 });
    expect(live.staleAfter).toBe(35_000);
  });

  it('stays reconnecting for a short outage, and turns stale when it lasts', () => {
    const s = connected(10);
    const at = clock.now();
    s.drop();
    for (let i = 0; i < 30; i++) {
      clock.advance(1_000);
      last().drop();
    }
    expect(live.state.kind).toBe('reconnecting');
    clock.advance(5_000);
    expect(live.state).toEqual({ kind: 'stale', since: at });
  });

  it('turns stale when the first connection never answers', () => {
    live.start();
    clock.advance(35_000);
    expect(live.state.kind).toBe('stale');
  });

  it('reports state changes to listeners', () => {
    const kinds: string[] = [];
    live.onState((l) => kinds.push(l.state.kind));
    const s = connected(10);
    s.drop();
    expect(kinds[0]).toBe('connecting');
    expect(kinds).toContain('live');
    expect(kinds[kinds.length - 1]).toBe('reconnecting');
  });
});
