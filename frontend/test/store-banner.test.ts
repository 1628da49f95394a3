// The banner that says the server's database is out of reach: what it says for each state the
// heartbeats bring, that it appears with the heartbeat saying `down` and goes away by itself with
// the one saying `up`, and that the server's own example heartbeat reads as it should.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Live } from '../src/live';
import { storeState } from '../src/live';
import { storeBannerText } from '../src/store-banner';
import { FakeClock, FakeSocket, doc, fakeLive } from './fakes';

const utcHm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

let clock: FakeClock;
let sockets: FakeSocket[];
let live: Live;

function connected(): FakeSocket {
  live.start();
  const s = sockets[sockets.length - 1];
  if (!s) throw new Error('no socket');
  s.open();
  s.frame({ type: 'snapshot', rev: 10, data: doc(10) });
  return s;
}

beforeEach(() => {
  clock = new FakeClock();
  sockets = [];
  live = fakeLive(sockets, clock);
});

describe('what the banner says', () => {
  it('says nothing until told, and nothing while the database answers', () => {
    expect(storeBannerText(null)).toBeNull();
    expect(storeBannerText({ state: 'up' })).toBeNull();
  });

  it('says since when the database is out of reach, in hours and minutes', () => {
    const since = Date.parse('2026-03-02T09:31:40Z');
    expect(storeBannerText({ state: 'down', since }, utcHm)).toBe('Data may be stale: database unreachable since 09:31');
    // With the page's own clock format: local time, hh:mm.
    expect(storeBannerText({ state: 'down', since })).toMatch(/^Data may be stale: database unreachable since \d\d:\d\d$/);
  });

  it('reads a heartbeat’s store: a down without a readable time counts from when it was heard', () => {
    expect(storeState({ state: 'up' }, 5)).toEqual({ state: 'up' });
    expect(storeState({ state: 'down', since: '2026-03-02T09:31:00Z' }, 5)).toEqual({ state: 'down', since: Date.parse('2026-03-02T09:31:00Z') });
    expect(storeState({ state: 'down', since: 'yesterday-ish' }, 5)).toEqual({ state: 'down', since: 5 });
    expect(storeState({ state: 'down' }, 7)).toEqual({ state: 'down', since: 7 });
  });
});

describe('the banner follows the heartbeats', () => {
  it('appears with a heartbeat saying down and goes away by itself with one saying up', () => {
    const s = connected();
    const seen: (string | null)[] = [];
    live.onState((l) => seen.push(storeBannerText(l.store, utcHm)));
    s.frame({ type: 'heartbeat', rev: 10, viewers: 3, store: { state: 'up' } });
    expect(storeBannerText(live.store)).toBeNull();
    s.frame({ type: 'heartbeat', rev: 10, viewers: 3, store: { state: 'down', since: '2026-11-23T15:02:05Z' } });
    expect(live.store).toEqual({ state: 'down', since: Date.parse('2026-11-23T15:02:05Z') });
    expect(storeBannerText(live.store, utcHm)).toBe('Data may be stale: database unreachable since 15:02');
    // The outage keeps its start across heartbeats and a lost socket.
    clock.advance(20_000);
    s.frame({ type: 'heartbeat', rev: 10, viewers: 3, store: { state: 'down', since: '2026-11-23T15:02:05Z' } });
    s.drop();
    expect(storeBannerText(live.store, utcHm)).toBe('Data may be stale: database unreachable since 15:02');
    // Back: the new socket's first heartbeat says up, and the banner is gone.
    clock.advance(60_000);
    const again = sockets[sockets.length - 1];
    if (!again || again === s) throw new Error('no new socket');
    again.open();
    again.frame({ type: 'heartbeat', rev: 10, viewers: 3, store: { state: 'up' } });
    expect(storeBannerText(live.store)).toBeNull();
    expect(seen).toContain('Data may be stale: database unreachable since 15:02');
    expect(seen[seen.length - 1]).toBeNull();
  });

  it('keeps what it knew when a heartbeat does not say (a server that does not tell)', () => {
    const s = connected();
    s.frame({ type: 'heartbeat', rev: 10, viewers: 3 });
    expect(live.store).toBeNull();
    s.frame({ type: 'heartbeat', rev: 10, viewers: 3, store: { state: 'down', since: '2026-11-23T15:02:05Z' } });
    s.frame({ type: 'heartbeat', rev: 10, viewers: 3 });
    expect(live.store?.state).toBe('down');
  });

  it('reads the server’s example heartbeat (src/generated/frames.json)', () => {
    const frames = JSON.parse(readFileSync(fileURLToPath(new URL('../src/generated/frames.json', import.meta.url)), 'utf8')) as { server: { type: string }[] };
    const beat = frames.server.find((f) => f.type === 'heartbeat');
    if (!beat) throw new Error('no example heartbeat');
    const s = connected();
    s.frame(beat);
    expect(live.store).toEqual({ state: 'down', since: Date.parse('2026-03-02T09:31:00Z') });
    expect(storeBannerText(live.store, utcHm)).toBe('Data may be stale: database unreachable since 09:31');
  });
});
