// The phone's outbox: a report or a primer edit is kept on the phone (localStorage, one list per
// member) until the server has answered it, so that nothing typed is lost when the hotel Wi-Fi
// drops, and sent with its idempotency key (made when the edit was made, the same on every
// try), so that nothing is counted twice when an answer, not the request, was lost.
//
// Edits are sent in the order they were made. A network error, a 5xx, 408 or 429 keeps the
// edit queued, to be tried again when the browser says it is online again and every few
// seconds meanwhile; any other refusal (4xx: the edit itself is wrong, or the session ended)
// marks it failed, kept with the server's message so that the delegate can fix it, send it
// again or discard it. Nothing here touches the DOM: the page watches `items`.

import { signal } from '@preact/signals-core';
import type { ReadonlySignal } from '@preact/signals-core';
import { ApiError, describeError, isRetryable, sendWithKey } from './api';
import { fieldName, plainMessage } from './forms';
import type { ErrorDetail } from './protocol';

export type EditKind = 'report' | 'primer';

/** One change made by the person, as kept on the phone. */
export interface Edit {
  /** The idempotency key (a UUID): made with the edit, sent unchanged on every try. */
  key: string;
  kind: EditKind;
  method: 'POST' | 'PUT';
  /** Under /api/v1: "/actuals", "/primers/VNM". */
  path: string;
  body: unknown;
  /** What the person would call it: "VNM-KR1 · 2026: 57.3". */
  label: string;
  /** What it is about, for the page to show it in place (a report's "VNM/VNM-KR1"). */
  ref?: string | undefined;
  /** When the edit was made (ISO 8601). */
  madeAt: string;
  /** Tries that got no answer (network) or one to try again (5xx, 408, 429). */
  tries: number;
  /** Set when the server refused it: what it said, with the fields it named. */
  failed?: { status: number; code: string; message: string; details: ErrorDetail[] } | undefined;
}

/** The server's refusal of a failed edit, as the error the forms show (null: not refused). */
export function refusalOf(edit: Edit): ApiError | null {
  const f = edit.failed;
  return f ? new ApiError(f.status, f.code ?? 'refused', f.message, Array.isArray(f.details) ? f.details : []) : null;
}

/** A failed edit's refusal in a sentence, for the outbox list. */
export function refusalText(edit: Edit): string {
  const r = refusalOf(edit);
  if (!r) return '';
  const fields = r.details.filter((d) => d.message).map((d) => (d.field ? `${fieldName(d.field)}: ${plainMessage(d.message)}` : plainMessage(d.message)));
  return fields.length ? fields.join(' · ') : describeError(r);
}

/** A new edit: what `submit` is given. */
export type Draft = Pick<Edit, 'kind' | 'method' | 'path' | 'body' | 'label' | 'ref'>;

/** What became of an edit just submitted: answered, kept to try again, or refused. */
export type Outcome<T = unknown> =
  | { state: 'sent'; edit: Edit; answer: T }
  | { state: 'queued'; edit: Edit; error: unknown }
  | { state: 'failed'; edit: Edit; error: ApiError };

/** The part of `Storage` used (tests pass a Map-backed one). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface OutboxOptions {
  /** Where the list is kept; null keeps it in memory only (a browser that refuses localStorage). */
  storage?: KeyValueStore | null;
  /** Sends one edit; throws an ApiError for a refusal, anything else for no answer. */
  send?: (edit: Edit) => Promise<unknown>;
  /** Whether the browser thinks it is online (false: do not even try). */
  online?: () => boolean;
  now?: () => Date;
  newKey?: () => string;
  /** How often queued edits are tried again while there are some (ms). */
  retryMs?: number;
  /** Called after an edit queued earlier is answered (not for one `submit` is still waiting on). */
  onSent?: (edit: Edit, answer: unknown) => void;
}

export const OUTBOX_PREFIX = 'apo.outbox.';

/** The storage key of a member's outbox. */
export function outboxKey(iso3: string): string {
  return `${OUTBOX_PREFIX}${iso3}`;
}

/** The members that have an outbox in `storage` (edits left from an earlier visit). */
export function membersWithOutbox(storage: { length: number; key(i: number): string | null } | null): string[] {
  const found: string[] = [];
  if (!storage) return found;
  for (let i = 0; i < storage.length; i++) {
    const k = storage.key(i);
    if (k?.startsWith(OUTBOX_PREFIX)) found.push(k.slice(OUTBOX_PREFIX.length));
  }
  return found;
}

/**
 * A random UUID (version 4). `crypto.randomUUID` exists only in a secure context (HTTPS or
 * localhost), and a meeting room's LAN serves plain HTTP: `getRandomValues` works in both.
 */
export function newUuid(): string {
  const b = new Uint8Array(16);
  globalThis.crypto.getRandomValues(b);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Reads a stored list; anything damaged or of another shape is dropped, item by item. */
export function parseEdits(text: string | null): Edit[] {
  if (!text) return [];
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(v)) return [];
  return v.filter((e): e is Edit => {
    if (typeof e !== 'object' || e === null) return false;
    const o = e as Record<string, unknown>;
    return (
      typeof o.key === 'string' &&
      (o.kind === 'report' || o.kind === 'primer') &&
      (o.method === 'POST' || o.method === 'PUT') &&
      typeof o.path === 'string' &&
      typeof o.label === 'string' &&
      typeof o.madeAt === 'string' &&
      'body' in o
    );
  }).map((e) => ({ ...e, tries: typeof e.tries === 'number' ? e.tries : 0 }));
}

function browserStorage(): KeyValueStore | null {
  try {
    const s = globalThis.localStorage;
    const probe = '__apo_probe';
    s.setItem(probe, '1');
    s.removeItem(probe);
    return s;
  } catch {
    return null;
  }
}

export class Outbox {
  private readonly list = signal<readonly Edit[]>([]);
  private readonly inFlight = signal<string | null>(null);
  private readonly storage: KeyValueStore | null;
  private readonly send: (edit: Edit) => Promise<unknown>;
  private readonly online: () => boolean;
  private readonly now: () => Date;
  private readonly newKey: () => string;
  private readonly retryMs: number;
  private readonly onSent: ((edit: Edit, answer: unknown) => void) | undefined;
  /** Flushes run one after another: a flush asked for while one runs starts when it ends. */
  private chain: Promise<void> = Promise.resolve();
  /** Answers to edits a `submit` is waiting on, by key. */
  private readonly waiting = new Map<string, { answer: unknown } | null>();
  private stopFns: (() => void)[] = [];

  constructor(
    readonly storageKey: string,
    opts: OutboxOptions = {},
  ) {
    this.storage = opts.storage === undefined ? browserStorage() : opts.storage;
    this.send = opts.send ?? ((e) => sendWithKey(e.method, e.path, e.body, e.key));
    this.online = opts.online ?? (() => (typeof navigator === 'undefined' ? true : navigator.onLine !== false));
    this.now = opts.now ?? (() => new Date());
    this.newKey = opts.newKey ?? newUuid;
    this.retryMs = opts.retryMs ?? 5000;
    this.onSent = opts.onSent;
    this.reload();
  }

  /** The edits kept, oldest first: queued ones and failed ones. */
  get items(): ReadonlySignal<readonly Edit[]> {
    return this.list;
  }

  /** The key of the edit being sent now, if any. */
  get sending(): ReadonlySignal<string | null> {
    return this.inFlight;
  }

  /** Reads the list again from storage (another tab changed it). */
  reload(): void {
    if (!this.storage) return;
    let text: string | null = null;
    try {
      text = this.storage.getItem(this.storageKey);
    } catch {
      text = null;
    }
    this.list.value = parseEdits(text);
  }

  private write(next: readonly Edit[]): void {
    this.list.value = next;
    if (!this.storage) return;
    try {
      if (next.length) this.storage.setItem(this.storageKey, JSON.stringify(next));
      else this.storage.removeItem(this.storageKey);
    } catch {
      // Storage full or refused: the list stays in memory for as long as the page is open.
    }
  }

  private update(key: string, fn: (e: Edit) => Edit | null): void {
    // Read from storage first: another tab may have sent or added edits meanwhile.
    this.reload();
    const next: Edit[] = [];
    for (const e of this.list.peek()) {
      if (e.key !== key) next.push(e);
      else {
        const changed = fn(e);
        if (changed) next.push(changed);
      }
    }
    this.write(next);
  }

  /**
   * Keeps a new edit and tries to send it now (after any edit queued before it). Says what
   * became of it: sent (with the server's answer), queued (no answer: it will be tried again),
   * or failed (refused: kept, with the server's message, until fixed or discarded).
   */
  async submit<T = unknown>(draft: Draft): Promise<Outcome<T>> {
    const edit: Edit = { ...draft, key: this.newKey(), madeAt: this.now().toISOString(), tries: 0 };
    this.reload();
    this.write([...this.list.peek(), edit]);
    this.waiting.set(edit.key, null);
    let lastError: unknown = new Error('offline');
    await this.flush((e, err) => {
      if (e.key === edit.key) lastError = err;
    });
    const answered = this.waiting.get(edit.key);
    this.waiting.delete(edit.key);
    if (answered) return { state: 'sent', edit, answer: answered.answer as T };
    const kept = this.list.peek().find((e) => e.key === edit.key);
    const refusal = kept ? refusalOf(kept) : null;
    if (kept && refusal) return { state: 'failed', edit: kept, error: lastError instanceof ApiError ? lastError : refusal };
    return { state: 'queued', edit: kept ?? edit, error: lastError };
  }

  /** Sends the queued edits, in order, until one gets no answer. Resolves when done. */
  flush(seen?: (edit: Edit, error: unknown) => void): Promise<void> {
    const run = this.chain.then(() => this.drain(seen));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async drain(seen?: (edit: Edit, error: unknown) => void): Promise<void> {
    if (!this.online()) return;
    this.reload();
    const tried = new Set<string>();
    for (;;) {
      const next = this.list.peek().find((e) => !e.failed && !tried.has(e.key));
      if (!next) return;
      tried.add(next.key);
      this.inFlight.value = next.key;
      let answer: unknown;
      try {
        answer = await this.send(next);
      } catch (err) {
        this.inFlight.value = null;
        seen?.(next, err);
        if (isRetryable(err)) {
          this.update(next.key, (e) => ({ ...e, tries: e.tries + 1 }));
          return;
        }
        const refusal = err as ApiError;
        this.update(next.key, (e) => ({ ...e, failed: { status: refusal.status, code: refusal.code, message: refusal.message, details: refusal.details } }));
        continue;
      }
      this.inFlight.value = null;
      this.update(next.key, () => null);
      if (this.waiting.has(next.key)) this.waiting.set(next.key, { answer });
      else this.onSent?.(next, answer);
    }
  }

  /** A failed edit sent again as it is (e.g. after signing in again), with its own key. */
  retry(key: string): Promise<void> {
    this.update(key, (e) => ({ ...e, failed: undefined }));
    return this.flush();
  }

  /** Forgets an edit (queued or failed): it will not be sent. */
  discard(key: string): void {
    this.update(key, () => null);
  }

  /**
   * Tries the queued edits now, whenever the browser comes back online, every `retryMs` while
   * some are queued, and keeps the list in step with other tabs. Returns a stop function.
   */
  start(win: Pick<Window, 'addEventListener' | 'removeEventListener' | 'setInterval' | 'clearInterval'> = window): () => void {
    const onOnline = () => void this.flush();
    const onStorage = (ev: Event) => {
      if ((ev as StorageEvent).key === this.storageKey) this.reload();
    };
    win.addEventListener('online', onOnline);
    win.addEventListener('storage', onStorage);
    const timer = win.setInterval(() => {
      if (this.list.peek().some((e) => !e.failed) && this.inFlight.peek() === null) void this.flush();
    }, this.retryMs);
    const stop = () => {
      win.removeEventListener('online', onOnline);
      win.removeEventListener('storage', onStorage);
      win.clearInterval(timer);
    };
    this.stopFns.push(stop);
    void this.flush();
    return stop;
  }

  stop(): void {
    for (const f of this.stopFns.splice(0)) f();
  }
}
