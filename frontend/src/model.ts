// The browser's copy of the dashboard document as signals (@preact/signals-core), keyed by
// document path, so that each element of a page subscribes to the values it shows and a
// patch redraws only what it changed:
//
//   rev, period, generated_at, overall, completeness, primers, recent   one signal each
//   members/<iso3>, pillars/<n>, key_results/<iso3>/<code>,
//   focus_areas/<label>                                                 one signal per entry
//   members, pillars, key_results, focus_areas                          the key set, and the
//                                                                       keys each change touched
//
// A patch's ops are applied to the plain document at once (`apply`), copying each entry they
// change instead of changing it in place (patch.ts), so an entry signal's new value is a new
// object exactly when something in it changed. The signals are told at `flush` (the live
// module flushes at most every 50 ms in a burst), all in one `batch`, so each effect runs once
// per flush. A snapshot (`reset`) sets everything.

import { batch, computed, signal, untracked } from '@preact/signals-core';
import type { ReadonlySignal, Signal } from '@preact/signals-core';
import { applyOps } from './patch';
import type { CopyPolicy } from './patch';
import type { Completeness, Dashboard, FocusDoc, KrDoc, MemberDoc, Op, Overall, PillarDoc, PrimerCounts, Recent } from './protocol';

/** What changed in a keyed section at a flush: the keys touched, or every key (`null`). */
export interface SectionChange {
  /** Counts the flushes that changed the section; consecutive values mean nothing was missed. */
  seq: number;
  keys: ReadonlySet<string> | null;
}

/** A keyed section of the document (members, pillars, key_results, focus_areas). */
export class Keyed<T> {
  private map: Record<string, T> = {};
  private readonly entries = new Map<string, Signal<T | undefined>>();
  private readonly keySignal = signal<readonly string[]>([]);
  private readonly changeSignal = signal<SectionChange>({ seq: 0, keys: null });

  /** The keys, in the document's order: a new array only when an entry is added or removed. */
  get keys(): ReadonlySignal<readonly string[]> {
    return this.keySignal;
  }

  /** What the last flush changed in the section (set at every flush that changed something). */
  get changes(): ReadonlySignal<SectionChange> {
    return this.changeSignal;
  }

  /** The signal of one entry (undefined while there is none): made on first use. */
  entry(key: string): ReadonlySignal<T | undefined> {
    let s = this.entries.get(key);
    if (!s) {
      s = signal(this.map[key]);
      this.entries.set(key, s);
    }
    return s;
  }

  /** The whole section, subscribing to any change in it: for views that scan every entry. */
  read(): Readonly<Record<string, T>> {
    void this.changeSignal.value;
    return this.map;
  }

  /** The entry as it is now, without subscribing. */
  peek(key: string): T | undefined {
    return this.map[key];
  }

  /** @internal Tells the signals: `touched` keys changed (null: the whole section, e.g. a snapshot). */
  publish(map: Record<string, T>, touched: ReadonlySet<string> | null, keysMayChange: boolean): void {
    this.map = map;
    if (touched === null) {
      for (const [k, s] of this.entries) s.value = map[k];
    } else {
      for (const k of touched) {
        const s = this.entries.get(k);
        if (s) s.value = map[k];
      }
    }
    if (keysMayChange || touched === null) {
      const next = Object.keys(map);
      if (!sameList(this.keySignal.peek(), next)) this.keySignal.value = next;
    }
    this.changeSignal.value = { seq: this.changeSignal.peek().seq + 1, keys: touched };
  }
}

const KEYED = ['members', 'pillars', 'key_results', 'focus_areas'] as const;
type KeyedName = (typeof KEYED)[number];
const WHOLE = ['rev', 'period', 'generated_at', 'overall', 'completeness', 'primers', 'recent'] as const;
type WholeName = (typeof WHOLE)[number];
const isKeyed = (s: unknown): s is KeyedName => (KEYED as readonly unknown[]).includes(s);
const isWhole = (s: unknown): s is WholeName => (WHOLE as readonly unknown[]).includes(s);

/** Entries of the keyed sections are copied before a change; the sections' maps are not (20,000 key results). */
const COPY: CopyPolicy = (path, depth) => !(depth === 1 && isKeyed(path[0]));

/** Changes applied to the document but not yet told to the signals. */
interface Pending {
  all: boolean;
  whole: Set<WholeName>;
  keyed: Map<KeyedName, { keys: Set<string> | null; keysMayChange: boolean }>;
}

export class DocModel {
  readonly members = new Keyed<MemberDoc>();
  readonly pillars = new Keyed<PillarDoc>();
  readonly key_results = new Keyed<KrDoc>();
  readonly focus_areas = new Keyed<FocusDoc>();
  readonly rev = signal<number | null>(null);
  readonly period = signal<number | null>(null);
  readonly generated_at = signal<string | null>(null);
  readonly overall = signal<Overall | undefined>(undefined);
  readonly completeness = signal<Completeness | undefined>(undefined);
  readonly primers = signal<PrimerCounts | undefined>(undefined);
  readonly recent = signal<readonly Recent[]>([]);
  /** Counts flushes: for the rare view of the whole document. */
  readonly version = signal(0);
  /** Whether a document is held (false until the first snapshot). */
  readonly loaded = signal(false);

  /** The document as of the last `reset` or `apply` (the signals may lag until `flush`). */
  doc: Dashboard | null = null;
  private pending: Pending | null = null;

  /** A whole document (a snapshot): every signal is set at the next flush. */
  reset(doc: Dashboard): void {
    this.doc = doc;
    this.pending = { all: true, whole: new Set(), keyed: new Map() };
  }

  /** Applies a patch's ops to the document; the signals they touch are set at the next flush. */
  apply(ops: readonly Op[]): void {
    if (!this.doc) throw new Error('a patch needs a document');
    this.doc = applyOps(this.doc, ops, COPY);
    const p = (this.pending ??= { all: false, whole: new Set(), keyed: new Map() });
    if (p.all) return;
    for (const op of ops) {
      const [section, key] = op.path;
      if (section === undefined) {
        p.all = true;
        return;
      }
      if (isWhole(section)) {
        p.whole.add(section);
      } else if (isKeyed(section)) {
        let t = p.keyed.get(section);
        if (!t) p.keyed.set(section, (t = { keys: new Set<string>(), keysMayChange: false }));
        if (key === undefined) {
          t.keys = null;
          t.keysMayChange = true;
        } else {
          t.keys?.add(String(key));
          if (op.path.length === 2) t.keysMayChange = true;
        }
      }
    }
  }

  /** Marks the revision as changed (the live module sets `doc.rev` itself after a patch). */
  touchRev(): void {
    (this.pending ??= { all: false, whole: new Set(), keyed: new Map() }).whole.add('rev');
  }

  /** Tells the signals what changed since the last flush, in one batch. */
  flush(): void {
    const p = this.pending;
    const doc = this.doc;
    this.pending = null;
    if (!p || !doc) return;
    batch(() => {
      const d = doc as unknown as Record<string, unknown>;
      for (const name of WHOLE) {
        if (p.all || p.whole.has(name)) (this[name] as Signal<unknown>).value = d[name] ?? defaults[name];
      }
      for (const name of KEYED) {
        const map = (d[name] ?? {}) as Record<string, never>;
        if (p.all) this[name].publish(map, null, true);
        else {
          const t = p.keyed.get(name);
          if (t) this[name].publish(map, t.keys, t.keysMayChange);
        }
      }
      this.loaded.value = true;
      this.version.value++;
    });
  }
}

const defaults: Record<WholeName, unknown> = {
  rev: null,
  period: null,
  generated_at: null,
  overall: undefined,
  completeness: undefined,
  primers: undefined,
  recent: [],
};

export function sameList<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A computed list that keeps its previous array (and so tells no one) while the items are the same. */
export function stableList<T>(fn: () => readonly T[]): ReadonlySignal<readonly T[]> {
  let prev: readonly T[] = [];
  return computed(() => {
    const next = fn();
    if (sameList(prev, next)) return prev;
    prev = next;
    return next;
  });
}

/**
 * The keys of a section's entries that pass `test`, ordered by `compare`: kept up to date from
 * the keys each flush touched (a key that joins is put in place by binary search), with a full
 * pass only after a snapshot or a missed flush; so a report on one of 20,000 key results costs
 * one test and a few comparisons, not 20,000.
 */
export function filteredKeys<T>(section: Keyed<T>, test: (v: T) => boolean, compare: (a: string, b: string) => number): ReadonlySignal<readonly string[]> {
  const inside = new Set<string>();
  let seen = -1;
  let list: readonly string[] = [];
  const passes = (k: string) => {
    const v = section.peek(k);
    return v !== undefined && test(v);
  };
  return computed(() => {
    const change = section.changes.value;
    return untracked(() => {
      const full = change.keys === null || change.seq !== seen + 1;
      seen = change.seq;
      if (full) {
        inside.clear();
        for (const k of Object.keys(section.read())) if (passes(k)) inside.add(k);
        const next = [...inside].sort(compare);
        if (!sameList(list, next)) list = next;
        return list;
      }
      let next: string[] | null = null;
      for (const k of change.keys ?? []) {
        const now = passes(k);
        if (now === inside.has(k)) continue;
        next ??= [...list];
        if (now) {
          inside.add(k);
          next.splice(sortedIndex(next, k, compare), 0, k);
        } else {
          inside.delete(k);
          const i = sortedIndex(next, k, compare);
          if (next[i] === k) next.splice(i, 1);
          else next.splice(next.indexOf(k), 1);
        }
      }
      if (next) list = next;
      return list;
    });
  });
}

/** Where `k` is, or goes, in the sorted `list`: the first index whose item is not before it. */
function sortedIndex(list: readonly string[], k: string, compare: (a: string, b: string) => number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compare(list[mid] as string, k) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const collator = new Intl.Collator(undefined, { numeric: true });

/** Keys ordered as people expect codes ("VNM-KR2" before "VNM-KR10"). */
export function naturalOrder(a: string, b: string): number {
  return collator.compare(a, b);
}

/**
 * The keys of a section that start with `prefix()` (e.g. one member's key results,
 * `VNM/…`), in natural order: a new list only when one of those keys comes or goes, so a key
 * result added to another member does not redraw this member's list.
 */
export function keysWithPrefix<T>(section: Keyed<T>, prefix: () => string): ReadonlySignal<readonly string[]> {
  return stableList(() => {
    const p = prefix();
    if (!p) return [];
    return section.keys.value.filter((k) => k.startsWith(p)).sort(naturalOrder);
  });
}
