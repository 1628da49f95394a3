// Fakes for the live module's tests: a socket the test drives, a clock the test advances,
// and window events the test fires. No network, no real timers.

import { Live } from '../src/live';
import type { Clock, Environment, LiveOptions, SocketLike } from '../src/live';
import type { Dashboard } from '../src/protocol';

export class FakeSocket implements SocketLike {
  readyState = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code?: number }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  sent: unknown[] = [];
  closed = false;
  constructor(readonly url: string) {}
  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(): void {
    this.closed = true;
    this.readyState = 3;
  }
  // Test side:
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  frame(f: unknown): void {
    this.onmessage?.({ data: JSON.stringify(f) });
  }
  drop(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

export class FakeClock implements Clock {
  t = Date.UTC(2026, 10, 23, 15, 0, 0);
  private timers = new Map<number, { at: number; fn: () => void }>();
  private nextId = 1;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.timers.delete(h as number);
  }
  /** Moves time on, firing due timers in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (let guard = 0; ; guard++) {
      if (guard > 10_000) throw new Error('timers keep firing: a loop at one instant?');
      let due: [number, { at: number; fn: () => void }] | null = null;
      for (const e of this.timers) if (e[1].at <= end && (!due || e[1].at < due[1].at)) due = e;
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = Math.max(this.t, due[1].at);
      due[1].fn();
    }
    this.t = end;
  }
  pending(): number {
    return this.timers.size;
  }
}

export class FakeEnv implements Environment {
  isVisible = true;
  private listeners = new Map<string, Set<() => void>>();
  addEventListener(type: string, fn: () => void): void {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)?.add(fn);
  }
  removeEventListener(type: string, fn: () => void): void {
    this.listeners.get(type)?.delete(fn);
  }
  visible(): boolean {
    return this.isVisible;
  }
  fire(type: string): void {
    for (const fn of this.listeners.get(type) ?? []) fn();
  }
  count(type: string): number {
    return this.listeners.get(type)?.size ?? 0;
  }
}

export function doc(rev: number, period = 2026): Dashboard {
  return {
    rev,
    period,
    generated_at: '2026-11-23T15:00:00Z',
    overall: { score: 0.5, members_scored: 2 },
    pillars: {
      '1': {
        name: 'Catalyzing',
        score: 0.5,
        members_scored: 2,
        krs: 3,
        krs_with_data: 2,
        status_counts: { achieved: 1, on_track: 0, at_risk: 1, off_track: 0, no_data: 1 },
        budget: { planned: 100, spent: 40 },
      },
    },
    members: {
      VNM: {
        name: 'Vietnam',
        primer_status: 'endorsed',
        score: 0.7,
        completeness: 0.5,
        reported: 1,
        expected: 2,
        krs: 2,
        pillars: { '1': { score: 0.7, coverage: 0.5, krs: 2 } },
        status_counts: { achieved: 0, on_track: 1, at_risk: 0, off_track: 0, no_data: 1 },
      },
    },
    focus_areas: {},
    key_results: {},
    completeness: { reported: 1, expected: 2, ratio: 0.5 },
    primers: { none: 20, draft: 0, submitted: 0, endorsed: 1 },
    recent: [],
  };
}

/** A live module on fake sockets (collected in `sockets`) and a fake clock, for period 2026. */
export function fakeLive(sockets: FakeSocket[], clock: FakeClock, extra: Partial<LiveOptions> = {}): Live {
  return new Live({
    url: (period, since) => `ws://test/api/v1/live?period=${period}${since === null ? '' : `&since=${since}`}`,
    period: 2026,
    connect: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    clock,
    random: () => 0.5,
    ...extra,
  });
}
