// What the wall needs besides the live document: the members' short names (GET /members, for
// tight places such as the heat map's rows), and the primers as drafted (GET /primers and GET
// /primers/{iso3}): the focus areas each primer chose, and its key results in the order they
// were written, for the drafting phase. The document counts focus areas from key results
// only, so an area a primer chose before writing a key result under it would be missing.
//
// A primer is read again when a line about it arrives in the document's latest changes, so
// the drafting panel follows the room within a second or so.

import { computed, signal } from '@preact/signals-core';
import type { ReadonlySignal } from '@preact/signals-core';
import { get } from '../api';
import type { DocModel } from '../model';
import type { KeyResultInput, Member, Primer, PrimerState } from '../protocol';
import { watch } from '../reactive';

/** The phase the wall is in: primers being drafted (no actuals for the period yet), or monitoring. */
export type Phase = 'drafting' | 'monitoring';

/**
 * The wall's phase: `?phase=drafting|monitoring` when given (a Secretariat running a drafting
 * workshop over a database with reports), else drafting while nothing has been reported for
 * the period (nothing to score: DESIGN.md, "Two phases").
 */
export function wallPhase(reported: number | undefined, search: string = location.search): Phase {
  const asked = new URLSearchParams(search).get('phase');
  if (asked === 'drafting' || asked === 'monitoring') return asked;
  return (reported ?? 0) > 0 ? 'monitoring' : 'drafting';
}

/** A member's short name ("ROK", "Hong Kong"), else its name, else its code. */
export type NameOf = (iso3: string) => string;

export function memberNames(model: DocModel): ReadonlySignal<NameOf> {
  const short = signal<Record<string, string>>({});
  get<Member[]>('/members')
    .then((ms) => (short.value = Object.fromEntries(ms.map((m) => [m.iso3, m.short_name || m.name]))))
    .catch(() => {
      // The document's names are used instead.
    });
  return computed(() => {
    const s = short.value;
    void model.members.keys.value;
    return (iso3: string) => s[iso3] ?? model.members.peek(iso3)?.name ?? iso3;
  });
}

/** One primer as the drafting panel uses it. */
export interface DraftPrimer {
  iso3: string;
  status: string;
  rev: number;
  focusAreas: readonly string[];
  keyResults: readonly KeyResultInput[];
}

/** A focus area as the primers chose it: its label as first written, and who chose it. */
export interface ChosenArea {
  label: string;
  members: readonly string[];
}

/** Labels that differ only in case and spacing are one area (as the server counts them). */
export function areaKey(label: string): string {
  return label.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** The focus areas the primers chose, most chosen first (then by label). */
export function chosenAreas(primers: Iterable<DraftPrimer>): ChosenArea[] {
  const areas = new Map<string, { label: string; members: Set<string> }>();
  for (const p of primers) {
    for (const label of p.focusAreas) {
      const k = areaKey(label);
      if (!k) continue;
      let a = areas.get(k);
      if (!a) areas.set(k, (a = { label: label.trim().replace(/\s+/g, ' '), members: new Set() }));
      a.members.add(p.iso3);
    }
  }
  return [...areas.values()]
    .map((a) => ({ label: a.label, members: [...a.members].sort() }))
    .sort((a, b) => b.members.length - a.members.length || a.label.localeCompare(b.label));
}

export interface DraftedKr {
  iso3: string;
  code: string;
  pillar: number;
  title: string;
}

/**
 * The latest drafted key results: the last key result of each primer, the primer changed last
 * first, then the one before the last of each, and so on (the server keeps no time per key
 * result, only per primer; a primer's key results are in the order they were written).
 */
export function latestDrafted(primers: Iterable<DraftPrimer>, n: number): DraftedKr[] {
  const out: DraftedKr[] = [];
  const byRev = [...primers].filter((p) => p.keyResults.length).sort((a, b) => b.rev - a.rev || a.iso3.localeCompare(b.iso3));
  for (let depth = 1; out.length < n && byRev.some((p) => p.keyResults.length >= depth); depth++) {
    for (const p of byRev) {
      const k = p.keyResults[p.keyResults.length - depth];
      if (!k) continue;
      out.push({ iso3: p.iso3, code: k.code, pillar: k.pillar, title: k.title });
      if (out.length >= n) break;
    }
  }
  return out;
}

/** How long a burst of primer edits is gathered before the primers are read again. */
const REREAD_MS = 300;

/**
 * The primers of the cycle, read once and again for each member whose primer a line of the
 * latest changes is about. Empty until read (or when they cannot be read: the panel then
 * falls back on the document).
 */
export function draftPrimers(model: DocModel): ReadonlySignal<ReadonlyMap<string, DraftPrimer>> {
  const held = signal<ReadonlyMap<string, DraftPrimer>>(new Map());
  const readOne = (iso3: string) =>
    get<Primer>(`/primers/${encodeURIComponent(iso3)}`).then(
      (p): DraftPrimer => ({ iso3: p.iso3, status: p.status, rev: p.updated_rev, focusAreas: p.focus_areas, keyResults: p.key_results }),
    );
  const store = (ps: DraftPrimer[]) => {
    const next = new Map(held.peek());
    for (const p of ps) next.set(p.iso3, p);
    held.value = next;
  };
  let seenRev = 0;
  let started = false;
  const pending = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | null = null;
  const reread = () => {
    timer = null;
    const isos = [...pending];
    pending.clear();
    Promise.all(isos.map((m) => readOne(m).catch(() => null)))
      .then((ps) => store(ps.filter((p): p is DraftPrimer => p !== null)))
      .catch(() => undefined);
  };
  watch(() => {
    const recent = model.recent.value;
    if (!model.loaded.value) return;
    const top = recent[0]?.rev ?? 0;
    if (!started) {
      started = true;
      seenRev = top;
      get<{ iso3: string }[]>('/primers')
        .then((list) => Promise.all(list.map((s) => readOne(s.iso3).catch(() => null))))
        .then((ps) => store(ps.filter((p): p is DraftPrimer => p !== null)))
        .catch(() => undefined);
      return;
    }
    for (const r of recent) {
      if (r.rev <= seenRev) break;
      if (r.entity === 'primer' && r.iso3) pending.add(r.iso3);
    }
    seenRev = Math.max(seenRev, top);
    if (pending.size && !timer) timer = setTimeout(reread, REREAD_MS);
  });
  return held;
}

/** Primer states in the order the drafting panel shows them (furthest along first). */
export const DRAFT_ORDER: readonly PrimerState[] = ['endorsed', 'submitted', 'draft', 'none'];

/** The Vision 2030 pillars in a few words, for the wall's tiles (the full name is the tile's title). */
export const PILLAR_SHORT: Record<string, string> = {
  '1': 'Collaboration',
  '2': 'Strategic planning',
  '3': 'Capacity empowerment',
  '4': 'Knowledge creation',
};

/** A pillar's name on the wall: its short form, else the document's. */
export function pillarName(p: string, name: string): string {
  return PILLAR_SHORT[p] ?? name;
}
