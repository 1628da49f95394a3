// The one module that owns the live connection (DESIGN.md, "Live").
//
// It holds the dashboard document and its revision, applies the snapshot and then each patch
// whose `base` is the revision held (patches at or below it are ignored; a gap asks the server
// to resume), reconnects with exponential backoff and jitter using `?since=rev`, reconnects at
// once when the browser comes back online or the page becomes visible, and treats a socket that
// has been silent for longer than about two and a half heartbeats as dead (`staleAfterMs`, 35 s,
// until the heartbeat interval has been seen: a server configured to beat every 2 s is found
// dead after 5 s). The server sends one heartbeat with the snapshot, out of step with the
// periodic ones, so the interval is learnt from the second periodic beat on a socket.
// The document is held twice over: as plain JSON (`doc`) and as signals keyed by document path
// (`model`, model.ts), which the pages' elements subscribe to, each to what it shows. A patch is
// applied to the document at once; the signals (and the `subscribe` listeners) hear of patches
// at most every 50 ms: a burst of the server's one-patch-per-change is drawn once, with the ops
// and events of all of it. A patch that cannot be applied (the document no longer follows the
// server) drops the document and reconnects for a fresh snapshot. An error frame (the server
// refusing something this module sent) is logged and kept in `lastError`. Each heartbeat says
// whether the server reaches its database (`store`): while it does not, the document held is the
// server's last before the outage and may be stale (the banner of `store-banner.ts` says so); the
// server sends a heartbeat the moment that changes, and the patches missed follow when it is back.
//
// Everything that touches the outside world (the socket, timers, the clock, randomness, window
// events) is injected, so the tests drive it with fakes.

import { canRead } from './access';
import { get, goSignIn } from './api';
import { DocModel } from './model';
import { mountStoreBanner } from './store-banner';
import type { ClientFrame, Dashboard, ErrorFrame, Event, Op, ServerFrame, SessionInfo, StoreStatus } from './protocol';
import { parseFrame, periodFrame, resumeFrame } from './protocol';

/** The part of a WebSocket this module uses. */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code?: number }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Where `online` and `visibilitychange` come from, and whether the page is visible. */
export interface Environment {
  addEventListener(type: 'online' | 'visibilitychange', fn: () => void): void;
  removeEventListener(type: 'online' | 'visibilitychange', fn: () => void): void;
  visible(): boolean;
}

export type ConnectionState =
  | { kind: 'connecting' }
  | { kind: 'live' }
  | { kind: 'reconnecting' }
  /** No frame since `since` (ms since the epoch) for longer than the stale limit. */
  | { kind: 'stale'; since: number };

/** The server's database as its heartbeats say: up, or down since `since` (ms since the epoch). */
export type StoreState = { state: 'up' } | { state: 'down'; since: number };

export interface Change {
  kind: 'snapshot' | 'patch';
  ops: readonly Op[];
  /** What the patches were about (entity and key of each edit); the ticker lines are in `recent`. */
  events: readonly Event[];
}

export interface LiveOptions {
  /** The socket address for a period, resuming after `since` when given. */
  url(period: number, since: number | null): string;
  period: number;
  connect(url: string): SocketLike;
  clock?: Clock;
  random?: () => number;
  env?: Environment | null;
  /** Silence longer than this means the connection is dead (default 35 s: > 2 heartbeats of 15 s). */
  staleAfterMs?: number;
  /** The least stale limit learned from the heartbeat interval (default 5 s). */
  minStaleAfterMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /**
   * Subscribers hear of patches at most once per this many ms (default 50): the server sends a
   * patch per change, and a burst of them is drawn once, with the ops and events of all. The
   * document and revision themselves are always current.
   */
  notifyEveryMs?: number;
  /**
   * Called when the server closes a socket because the access it was opened with ended (1008:
   * signed out, token revoked, workshop closed). The connection retries as after any close.
   */
  onRefused?: () => void;
}

const OPEN = 1;
/** The close code of a socket whose access ended. */
const POLICY = 1008;

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
};

export class Live {
  /** The document as of `rev`; null until the first snapshot of the period. */
  doc: Dashboard | null = null;
  /**
   * The document as signals, for the pages to draw from. It keeps the last document shown
   * while none is held (during a period switch, until that period's snapshot).
   */
  readonly model = new DocModel();
  /** The last error frame the server sent (it refused a frame this module sent). */
  lastError: ErrorFrame | null = null;
  /** The revision `doc` is at; kept across reconnects so the server can resume from it. */
  rev: number | null = null;
  period: number;
  /** Viewer count from the latest heartbeat. */
  viewers: number | null = null;
  /** Whether the server reaches its database, from the latest heartbeat that said (null: not yet said). */
  store: StoreState | null = null;
  /** When the document last changed (snapshot or patch), ms since the epoch. */
  lastUpdate: number | null = null;
  /** Last sign of life (socket opened or a frame arrived): what staleness is measured from. */
  lastAlive: number | null = null;
  state: ConnectionState = { kind: 'connecting' };

  private readonly opts: LiveOptions;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly maxStaleAfter: number;
  private readonly minStaleAfter: number;
  /** Interval between the last two heartbeats on one socket, once seen. */
  private heartbeatEvery: number | null = null;
  private lastHeartbeat: number | null = null;
  /** Heartbeats seen on the current socket (the first comes with the snapshot). */
  private heartbeatsOnSocket = 0;
  private socket: SocketLike | null = null;
  private attempt = 0;
  private retryTimer: unknown = null;
  private staleTimer: unknown = null;
  /** The revision a resume was last asked from, so one gap asks once. */
  private resumeAskedAt: number | null = null;
  /** Set after a period switch until its snapshot arrives: patches meanwhile are the old period's. */
  private awaitingSnapshot = true;
  private stopped = true;
  private startedAt = 0;
  /** When the current socket was made. */
  private socketAt = 0;
  private readonly docListeners = new Set<(doc: Dashboard, change: Change) => void>();
  private readonly notifyEvery: number;
  /** When subscribers last heard of a patch. */
  private lastNotified = -Infinity;
  /** Patches applied since then, not yet told (a timer will). */
  private unnotified: { ops: Op[]; events: Event[] } | null = null;
  private notifyTimer: unknown = null;
  private readonly stateListeners = new Set<(live: Live) => void>();
  private readonly onOnline = () => this.reconnectNow();
  private readonly onVisibility = () => {
    if (!this.opts.env?.visible()) return;
    const silentFor = this.lastAlive === null ? Infinity : this.clock.now() - this.lastAlive;
    if (!this.isOpen() || silentFor > this.staleAfter / 2) this.reconnectNow();
  };

  constructor(opts: LiveOptions) {
    this.opts = opts;
    this.period = opts.period;
    this.clock = opts.clock ?? realClock;
    this.random = opts.random ?? Math.random;
    this.maxStaleAfter = opts.staleAfterMs ?? 35_000;
    this.minStaleAfter = opts.minStaleAfterMs ?? 5_000;
    this.notifyEvery = opts.notifyEveryMs ?? 50;
  }

  /** How long a silence means the connection is dead: 2.5 heartbeats once their interval is known. */
  get staleAfter(): number {
    if (this.heartbeatEvery === null) return this.maxStaleAfter;
    return Math.min(this.maxStaleAfter, Math.max(this.minStaleAfter, 2.5 * this.heartbeatEvery));
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.startedAt = this.clock.now();
    this.opts.env?.addEventListener('online', this.onOnline);
    this.opts.env?.addEventListener('visibilitychange', this.onVisibility);
    this.open();
  }

  stop(): void {
    this.stopped = true;
    this.opts.env?.removeEventListener('online', this.onOnline);
    this.opts.env?.removeEventListener('visibilitychange', this.onVisibility);
    this.clearTimers();
    this.dropSocket();
  }

  /** Calls `fn` with the document now (if held) and after every change. */
  subscribe(fn: (doc: Dashboard, change: Change) => void): () => void {
    this.docListeners.add(fn);
    if (this.doc) fn(this.doc, { kind: 'snapshot', ops: [], events: [] });
    return () => this.docListeners.delete(fn);
  }

  /** Calls `fn` now and whenever the connection state, viewers or last update change. */
  onState(fn: (live: Live) => void): () => void {
    this.stateListeners.add(fn);
    fn(this);
    return () => this.stateListeners.delete(fn);
  }

  /** Switches to another period: the server answers with that period's snapshot. */
  setPeriod(period: number): void {
    if (period === this.period) return;
    this.period = period;
    this.doc = null;
    this.rev = null;
    this.resumeAskedAt = null;
    this.awaitingSnapshot = true;
    if (this.isOpen()) this.send(periodFrame(period));
    else this.reconnectNow();
  }

  /** Drops the current socket (if any) and connects again without waiting. */
  reconnectNow(): void {
    if (this.stopped) return;
    this.attempt = 0;
    this.dropSocket();
    this.clearRetry();
    this.open();
  }

  private isOpen(): boolean {
    return this.socket !== null && this.socket.readyState === OPEN;
  }

  private open(): void {
    if (this.stopped) return;
    const since = this.doc ? this.rev : null;
    let socket: SocketLike;
    try {
      socket = this.opts.connect(this.opts.url(this.period, since));
    } catch {
      this.lost();
      return;
    }
    this.socket = socket;
    this.socketAt = this.clock.now();
    this.lastHeartbeat = null;
    this.heartbeatsOnSocket = 0;
    socket.onmessage = (ev) => {
      if (this.socket === socket) this.receive(ev.data);
    };
    socket.onclose = (ev) => {
      if (this.socket !== socket) return;
      if (ev?.code === POLICY) this.opts.onRefused?.();
      this.lost();
    };
    socket.onerror = () => {
      // A close event always follows an error; the retry is scheduled there.
    };
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.alive();
      // With a document held, the server resumes from `since`: what is on screen is current
      // (a resume that misses nothing sends nothing until the next heartbeat).
      if (this.doc) {
        this.attempt = 0;
        this.setState({ kind: 'live' });
      }
    };
    this.armStaleTimer();
  }

  private receive(data: unknown): void {
    const frame = parseFrame(data);
    if (!frame) return;
    const now = this.clock.now();
    this.handle(frame, now);
    this.alive();
    if (this.state.kind !== 'live' && this.doc) {
      this.attempt = 0;
      this.setState({ kind: 'live' });
    } else {
      this.emitState();
    }
  }

  private handle(frame: ServerFrame, now: number): void {
    switch (frame.type) {
      case 'snapshot': {
        this.doc = frame.data;
        this.model.reset(frame.data);
        this.rev = frame.rev;
        this.awaitingSnapshot = false;
        this.resumeAskedAt = null;
        this.lastUpdate = now;
        this.emitDoc({ kind: 'snapshot', ops: [], events: [] });
        return;
      }
      case 'patch': {
        if (this.awaitingSnapshot || !this.doc || this.rev === null) return;
        if (frame.rev <= this.rev) return; // already applied
        if (frame.base !== this.rev) {
          this.askResume();
          return;
        }
        try {
          this.model.apply(frame.ops);
        } catch (e) {
          // Half applied: what is held no longer follows the server. Start again from a snapshot.
          console.warn(`live: patch ${frame.rev} could not be applied, reloading: ${String(e)}`);
          this.resync();
          return;
        }
        this.doc = this.model.doc as Dashboard;
        this.rev = frame.rev;
        this.doc.rev = frame.rev;
        this.model.touchRev();
        this.resumeAskedAt = null;
        this.lastUpdate = now;
        this.emitDoc({ kind: 'patch', ops: frame.ops, events: frame.events ?? [] });
        return;
      }
      case 'heartbeat': {
        this.viewers = frame.viewers;
        if (frame.store != null) this.store = storeState(frame.store, now);
        this.heartbeatsOnSocket += 1;
        // Between two periodic beats: the first on a socket is the one sent with the snapshot.
        // The longest gap on this socket: a beat that rides along with a patch may come from
        // half the interval on, so a single gap can be shorter than the interval.
        if (this.heartbeatsOnSocket >= 3 && this.lastHeartbeat !== null) {
          const gap = now - this.lastHeartbeat;
          this.heartbeatEvery = this.heartbeatsOnSocket === 3 ? gap : Math.max(gap, this.heartbeatEvery ?? gap);
        }
        this.lastHeartbeat = now;
        // A heartbeat ahead of the document means a patch went missing.
        if (this.doc && this.rev !== null && !this.awaitingSnapshot && frame.rev > this.rev) this.askResume();
        return;
      }
      case 'error': {
        // Not dropped silently: the server refused a frame this module sent (a bug here, or a
        // server that changed), which the page cannot fix; the badge shows it as a tooltip.
        this.lastError = frame;
        console.warn(`live: the server refused a frame: ${frame.code}${frame.field ? ` (${frame.field})` : ''}: ${frame.message}`);
        return;
      }
    }
  }

  /** Drops the document and connects again without `since`: the server answers with a snapshot. */
  private resync(): void {
    this.doc = null;
    this.rev = null;
    this.resumeAskedAt = null;
    this.awaitingSnapshot = true;
    this.dropUnnotified();
    this.reconnectNow();
  }

  private alive(): void {
    this.lastAlive = this.clock.now();
    this.armStaleTimer();
  }

  private askResume(): void {
    if (this.rev === null || this.resumeAskedAt === this.rev) return;
    this.resumeAskedAt = this.rev;
    this.send(resumeFrame(this.rev));
  }

  private send(frame: ClientFrame): void {
    if (!this.isOpen()) return;
    try {
      this.socket?.send(JSON.stringify(frame));
    } catch {
      // The close event that follows schedules the reconnect.
    }
  }

  /** The socket closed or could not be made: try again after a backoff. */
  private lost(): void {
    this.dropSocket();
    if (this.stopped) return;
    this.resumeAskedAt = null;
    if (this.state.kind !== 'stale') this.setState({ kind: 'reconnecting' });
    this.armStaleTimer();
    this.clearRetry();
    const delay = this.backoff();
    this.attempt++;
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = null;
      this.open();
    }, delay);
  }

  /** Exponential backoff with "equal jitter": half fixed, half random. */
  backoff(): number {
    const base = this.opts.backoffBaseMs ?? 500;
    const max = this.opts.backoffMaxMs ?? 10_000;
    const ceiling = Math.min(max, base * 2 ** Math.min(this.attempt, 20));
    return ceiling / 2 + (ceiling / 2) * this.random();
  }

  /**
   * One watchdog for two deadlines: the data on screen turns stale when nothing has been heard
   * for `staleAfter`; a socket (open or still connecting) that has been silent that long is
   * dead and is replaced.
   */
  private armStaleTimer(): void {
    if (this.staleTimer !== null) this.clock.clearTimeout(this.staleTimer);
    this.staleTimer = null;
    if (this.stopped) return;
    const deadlines: number[] = [];
    if (this.state.kind !== 'stale') deadlines.push((this.lastAlive ?? this.startedAt) + this.staleAfter);
    if (this.socket) deadlines.push(Math.max(this.lastAlive ?? 0, this.socketAt) + this.staleAfter);
    if (deadlines.length === 0) return;
    const wait = Math.max(0, Math.min(...deadlines) - this.clock.now());
    this.staleTimer = this.clock.setTimeout(() => {
      this.staleTimer = null;
      this.watchdog();
    }, wait);
  }

  private watchdog(): void {
    if (this.stopped) return;
    const now = this.clock.now();
    const heard = this.lastAlive ?? this.startedAt;
    if (this.state.kind !== 'stale' && now - heard >= this.staleAfter) {
      this.setState({ kind: 'stale', since: heard });
    }
    if (this.socket && now - Math.max(this.lastAlive ?? 0, this.socketAt) >= this.staleAfter) {
      // Silent but "open": a dead connection (sleeping laptop, vanished Wi-Fi). Start over.
      this.dropSocket();
      this.clearRetry();
      this.attempt = 0;
      this.open();
      return; // open() re-arms
    }
    this.armStaleTimer();
  }

  private dropSocket(): void {
    const s = this.socket;
    this.socket = null;
    if (!s) return;
    s.onopen = s.onmessage = s.onclose = s.onerror = null;
    try {
      s.close(1000);
    } catch {
      // already closed
    }
  }

  private clearRetry(): void {
    if (this.retryTimer !== null) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private clearTimers(): void {
    this.clearRetry();
    this.dropUnnotified();
    if (this.staleTimer !== null) this.clock.clearTimeout(this.staleTimer);
    this.staleTimer = null;
  }

  private setState(s: ConnectionState): void {
    this.state = s;
    this.emitState();
  }

  private emitState(): void {
    for (const fn of this.stateListeners) fn(this);
  }

  /**
   * Tells subscribers of a change: a snapshot at once (it supersedes any patch not yet told), a
   * patch at once unless one was told within `notifyEvery`, else with the others at its end.
   */
  private emitDoc(change: Change): void {
    if (change.kind === 'snapshot') {
      this.dropUnnotified();
      this.notify(change);
      return;
    }
    if (this.unnotified) {
      this.unnotified.ops.push(...change.ops);
      this.unnotified.events.push(...change.events);
      return;
    }
    const wait = this.lastNotified + this.notifyEvery - this.clock.now();
    if (wait <= 0) {
      this.lastNotified = this.clock.now();
      this.notify(change);
      return;
    }
    this.unnotified = { ops: [...change.ops], events: [...change.events] };
    this.notifyTimer = this.clock.setTimeout(() => {
      this.notifyTimer = null;
      const batch = this.unnotified;
      this.unnotified = null;
      if (!batch) return;
      this.lastNotified = this.clock.now();
      this.notify({ kind: 'patch', ...batch });
    }, wait);
  }

  /** Forgets the patches not yet told (a snapshot supersedes them; a stopped Live tells none). */
  private dropUnnotified(): void {
    if (this.notifyTimer !== null) this.clock.clearTimeout(this.notifyTimer);
    this.notifyTimer = null;
    this.unnotified = null;
  }

  private notify(change: Change): void {
    const doc = this.doc;
    if (!doc) return;
    // The signals first (their effects run at the end of this call), then the listeners.
    this.model.flush();
    for (const fn of this.docListeners) fn(doc, change);
  }
}

/**
 * A heartbeat's `store` as this module keeps it. A `down` without a readable `since` counts from
 * `now` (when it was heard).
 */
export function storeState(store: StoreStatus, now: number): StoreState {
  if (store.state === 'up') return { state: 'up' };
  const since = store.since == null ? NaN : Date.parse(store.since);
  return { state: 'down', since: Number.isNaN(since) ? now : since };
}

/** The socket address on this page's server. */
export function liveUrl(loc: { protocol: string; host: string }): (period: number, since: number | null) => string {
  return (period, since) => {
    const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
    const q = since === null ? '' : `&since=${since}`;
    return `${scheme}//${loc.host}/api/v1/live?period=${period}${q}`;
  };
}

/** The browser's window and document as the environment. */
export function browserEnv(): Environment {
  return {
    addEventListener: (type, fn) => (type === 'online' ? window : document).addEventListener(type, fn),
    removeEventListener: (type, fn) => (type === 'online' ? window : document).removeEventListener(type, fn),
    visible: () => document.visibilityState === 'visible',
  };
}

/**
 * A Live connection for this page, started. A socket the server refuses (its upgrade answered
 * 401, or closed with 1008 when the access ended) looks like any lost connection, so while it
 * reconnects the session is asked about (at most every 15 s): one that may no longer read goes
 * to the sign-in page rather than retrying for ever.
 */
export function connectLive(period: number): Live {
  let asked = -Infinity;
  const check = (now: boolean) => {
    if (!now && Date.now() - asked < 15_000) return;
    asked = Date.now();
    get<SessionInfo>('/session')
      .then((s) => {
        if (!canRead(s)) goSignIn(s.signed_in ? undefined : 'Your session has ended: sign in again.');
      })
      .catch(() => {
        // The server is out of reach: the connection keeps retrying.
      });
  };
  const live = new Live({
    url: liveUrl(location),
    period,
    connect: (url) => new WebSocket(url) as unknown as SocketLike,
    env: browserEnv(),
    onRefused: () => check(true),
  });
  live.onState((l) => {
    if (l.state.kind === 'reconnecting') check(false);
  });
  // Every page with a live connection shows when the server's database is out of reach.
  mountStoreBanner(live);
  live.start();
  return live;
}
