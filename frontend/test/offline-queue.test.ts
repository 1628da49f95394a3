import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../src/api';
import { Outbox, membersWithOutbox, newUuid, outboxKey, parseEdits, refusalOf, refusalText } from '../src/offline-queue';
import type { Draft, KeyValueStore } from '../src/offline-queue';

/** A localStorage of one's own. */
class MemoryStore implements KeyValueStore {
  readonly map = new Map<string, string>();
  getItem(k: string) {
    return this.map.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.map.set(k, v);
  }
  removeItem(k: string) {
    this.map.delete(k);
  }
  get length() {
    return this.map.size;
  }
  key(i: number) {
    return [...this.map.keys()][i] ?? null;
  }
}

interface Seen {
  method: string;
  url: string;
  key: string | null;
  body: unknown;
}

/**
 * A fake `fetch`: answers from `script` in turn (a status and body, or 'down' for no answer),
 * and records every request that reached it.
 */
function fakeFetch(script: (number | 'down' | [number, unknown])[]) {
  const seen: Seen[] = [];
  const fn = vi.fn(async (url: string, init: RequestInit) => {
    const headers = init.headers as Record<string, string>;
    seen.push({ method: String(init.method), url, key: headers['Idempotency-Key'] ?? null, body: init.body ? JSON.parse(String(init.body)) : null });
    const next = script.length ? script.shift()! : 200;
    if (next === 'down') throw new TypeError('Failed to fetch');
    const [status, body] = Array.isArray(next) ? next : [next, status2body(next)];
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  });
  vi.stubGlobal('fetch', fn);
  return seen;
}

function status2body(status: number): unknown {
  if (status < 300) return { accepted: 1, rev: 42 };
  if (status === 422) return { error: { code: 'invalid', message: 'the report is invalid', details: [{ field: '[0].value', message: 'must be at least 0' }] } };
  return { error: { code: 'http', message: `status ${status}`, details: [] } };
}

const report = (value: number): Draft => ({ kind: 'report', method: 'POST', path: '/actuals', body: { iso3: 'VNM', kr_code: 'VNM-KR1', year: 2026, value }, label: `VNM-KR1 · 2026: ${value}`, ref: 'VNM/VNM-KR1' });

let keyNo = 0;
const opts = (storage: MemoryStore, online = () => true) => ({ storage, online, newKey: () => `key-${++keyNo}`, now: () => new Date('2026-05-01T09:00:00Z') });

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the outbox', () => {
  it('sends an edit at once, with its idempotency key, and keeps nothing once it is answered', async () => {
    const seen = fakeFetch([200]);
    const store = new MemoryStore();
    const box = new Outbox(outboxKey('VNM'), opts(store));
    const o = await box.submit<{ rev: number }>(report(12.5));
    expect(o.state).toBe('sent');
    expect(o.state === 'sent' && o.answer.rev).toBe(42);
    expect(seen).toEqual([{ method: 'POST', url: '/api/v1/actuals', key: o.edit.key, body: { iso3: 'VNM', kr_code: 'VNM-KR1', year: 2026, value: 12.5 } }]);
    expect(box.items.value).toEqual([]);
    expect(store.getItem('apo.outbox.VNM')).toBeNull();
  });

  it('keeps an edit made offline on the phone without trying, and sends it once, with the same key, when online', async () => {
    const seen = fakeFetch([]);
    const store = new MemoryStore();
    let online = false;
    const box = new Outbox(outboxKey('VNM'), opts(store, () => online));
    const o = await box.submit(report(7));
    expect(o.state).toBe('queued');
    expect(seen).toHaveLength(0);
    expect(parseEdits(store.getItem('apo.outbox.VNM'))).toHaveLength(1);
    await box.flush();
    expect(seen).toHaveLength(0);
    online = true;
    await box.flush();
    await box.flush();
    expect(seen.map((s) => s.key)).toEqual([o.edit.key]);
    expect(box.items.value).toEqual([]);
  });

  it('keeps an edit queued when the network drops, the server fails or asks to wait, and retries with the same key', async () => {
    const seen = fakeFetch(['down', 500, 503, 429, 408, 200]);
    const store = new MemoryStore();
    const box = new Outbox(outboxKey('VNM'), opts(store));
    const o = await box.submit(report(3));
    expect(o.state).toBe('queued');
    for (let i = 0; i < 4; i++) {
      await box.flush();
      expect(box.items.value).toHaveLength(1);
      expect(box.items.value[0]!.failed).toBeUndefined();
    }
    expect(box.items.value[0]!.tries).toBe(5);
    await box.flush();
    expect(box.items.value).toHaveLength(0);
    expect(new Set(seen.map((s) => s.key))).toEqual(new Set([o.edit.key]));
    expect(seen).toHaveLength(6);
  });

  it('marks a refused edit failed with the server’s words, keeps it, and goes on with the next', async () => {
    const seen = fakeFetch([]);
    const store = new MemoryStore();
    let online = false;
    const box = new Outbox(outboxKey('VNM'), opts(store, () => online));
    await box.submit(report(-1));
    await box.submit(report(2));
    fakeFetch([422, 200]);
    online = true;
    await box.flush();
    const left = box.items.value;
    expect(left).toHaveLength(1);
    expect(left[0]!.failed).toMatchObject({ status: 422, details: [{ field: '[0].value', message: 'must be at least 0' }] });
    const refusal = refusalOf(left[0]!);
    expect(refusal).toBeInstanceOf(ApiError);
    expect(refusalText(left[0]!)).toBe('Value: must be at least 0');
    // Not tried again by a later flush: only a retry sends it.
    const again = fakeFetch([200]);
    await box.flush();
    expect(again).toHaveLength(0);
    await box.retry(left[0]!.key);
    expect(again.map((s) => s.key)).toEqual([left[0]!.key]);
    expect(box.items.value).toEqual([]);
    expect(seen).toHaveLength(0);
  });

  it('says "failed" to the submitter of an edit the server refuses at once', async () => {
    fakeFetch([422]);
    const box = new Outbox(outboxKey('VNM'), opts(new MemoryStore()));
    const o = await box.submit(report(-5));
    expect(o.state).toBe('failed');
    expect(o.state === 'failed' && o.error.details[0]!.field).toBe('[0].value');
  });

  it('sends queued edits in the order they were made', async () => {
    fakeFetch([]);
    const store = new MemoryStore();
    let online = false;
    const box = new Outbox(outboxKey('VNM'), opts(store, () => online));
    for (const v of [1, 2, 3]) await box.submit(report(v));
    const seen = fakeFetch([200, 200, 200]);
    online = true;
    await box.flush();
    expect(seen.map((s) => (s.body as { value: number }).value)).toEqual([1, 2, 3]);
  });

  it('stops at an edit that gets no answer, so that a later one never overtakes it', async () => {
    fakeFetch([]);
    let online = false;
    const box = new Outbox(outboxKey('VNM'), opts(new MemoryStore(), () => online));
    for (const v of [1, 2]) await box.submit(report(v));
    const seen = fakeFetch(['down']);
    online = true;
    await box.flush();
    expect(seen).toHaveLength(1);
    expect(box.items.value.map((e) => (e.body as { value: number }).value)).toEqual([1, 2]);
  });

  it('survives a reload: a new outbox over the same storage holds and sends what was queued', async () => {
    fakeFetch([]);
    const store = new MemoryStore();
    const first = new Outbox(outboxKey('VNM'), opts(store, () => false));
    const o = await first.submit(report(9));
    const seen = fakeFetch([200]);
    const second = new Outbox(outboxKey('VNM'), opts(store));
    expect(second.items.value.map((e) => e.key)).toEqual([o.edit.key]);
    await second.flush();
    expect(seen.map((s) => s.key)).toEqual([o.edit.key]);
    expect(store.getItem('apo.outbox.VNM')).toBeNull();
  });

  it('sends each edit once when a submit comes while a flush is under way', async () => {
    fakeFetch([]);
    const store = new MemoryStore();
    let online = false;
    const box = new Outbox(outboxKey('VNM'), opts(store, () => online));
    await box.submit(report(1));
    const seen = fakeFetch([200, 200]);
    online = true;
    const a = box.flush();
    const b = box.submit(report(2));
    const c = box.flush();
    await Promise.all([a, b, c]);
    expect(seen.map((s) => (s.body as { value: number }).value)).toEqual([1, 2]);
    expect((await b).state).toBe('sent');
  });

  it('forgets a discarded edit', async () => {
    fakeFetch([]);
    const box = new Outbox(outboxKey('VNM'), opts(new MemoryStore(), () => false));
    const o = await box.submit(report(4));
    box.discard(o.edit.key);
    expect(box.items.value).toEqual([]);
  });

  it('tries again when the browser comes back online, and on a timer while edits wait', async () => {
    fakeFetch([]);
    const listeners = new Map<string, () => void>();
    let tick: (() => void) | null = null;
    const win = {
      addEventListener: (t: string, f: () => void) => listeners.set(t, f),
      removeEventListener: (t: string) => listeners.delete(t),
      setInterval: (f: () => void) => {
        tick = f;
        return 1;
      },
      clearInterval: () => {
        tick = null;
      },
    } as unknown as Window;
    let online = false;
    const box = new Outbox(outboxKey('VNM'), { ...opts(new MemoryStore(), () => online), retryMs: 5000 });
    const stop = box.start(win);
    await box.submit(report(1));
    await box.submit(report(2));
    const seen = fakeFetch(['down', 200, 200]);
    online = true;
    const settle = () => new Promise((r) => setTimeout(r, 10));
    listeners.get('online')!();
    await settle();
    expect(seen).toHaveLength(1);
    expect(box.items.value).toHaveLength(2);
    tick!();
    await settle();
    expect(seen).toHaveLength(3);
    expect(seen[0]!.key).toBe(seen[1]!.key);
    expect(box.items.value).toEqual([]);
    stop();
    expect(listeners.size).toBe(0);
    expect(tick).toBeNull();
  });

  it('reads what it wrote and drops anything damaged', () => {
    expect(parseEdits(null)).toEqual([]);
    expect(parseEdits('not json')).toEqual([]);
    expect(parseEdits('{"a":1}')).toEqual([]);
    const good = { key: 'k', kind: 'report', method: 'POST', path: '/actuals', body: {}, label: 'x', madeAt: '2026-01-01T00:00:00Z', tries: 2 };
    expect(parseEdits(JSON.stringify([good, { key: 1 }, null, { ...good, kind: 'other' }]))).toEqual([good]);
  });

  it('finds the members with edits left on the phone', () => {
    const s = new MemoryStore();
    s.setItem('apo.outbox.VNM', '[]');
    s.setItem('apo.delegate.member', 'VNM');
    s.setItem('apo.outbox.THA', '[]');
    expect(membersWithOutbox(s).sort()).toEqual(['THA', 'VNM']);
    expect(membersWithOutbox(null)).toEqual([]);
  });
});

describe('idempotency keys', () => {
  it('are random version-4 UUIDs (made without crypto.randomUUID, which plain HTTP lacks)', () => {
    const keys = new Set(Array.from({ length: 200 }, () => newUuid()));
    expect(keys.size).toBe(200);
    for (const k of keys) expect(k).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('what is worth trying again', () => {
  it('is no answer, a server failure, a wait, or the same key still being served', async () => {
    const { isRetryable } = await import('../src/api');
    expect(isRetryable(new TypeError('Failed to fetch'))).toBe(true);
    for (const s of [500, 502, 503, 408, 429]) expect(isRetryable(new ApiError(s, 'x', 'm', []))).toBe(true);
    expect(isRetryable(new ApiError(409, 'conflict', 'a request with this Idempotency-Key is being served: retry in a moment', []))).toBe(true);
    for (const s of [400, 401, 403, 404, 409, 410, 422]) expect(isRetryable(new ApiError(s, 'x', 'refused', []))).toBe(false);
  });
});
