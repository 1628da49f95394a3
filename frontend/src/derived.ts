// The "derived" mark of a key result whose actual is not reported by people but computed from
// a database (issue 23 §4): its `source` says which. Wherever a key result's actual is shown
// (member page, delegate view, Secretariat review and tables, the wall's latest changes) the
// pages call these helpers, so the words and their look are the same everywhere; the delegate's
// report button gives way to the explanation, since the server refuses reports for such a key
// result (422 on `kr_code`).
//
// `source` is read from whatever the page holds: the dashboard document's key result
// (`"trainings" | "gp_initiatives" | null`) or the primer's (`{dataset, measure, …}` or absent).

import './styles/derived.css';
import { h } from './dom';

export type KrSource = 'trainings' | 'gp_initiatives';

/** The key result's source dataset, from the document's string or the primer's object (null: reported by people). */
export function krSource(k: unknown): KrSource | null {
  if (typeof k !== 'object' || k === null || !('source' in k)) return null;
  const s = (k as { source?: unknown }).source;
  const name = typeof s === 'string' ? s : typeof s === 'object' && s !== null ? (s as { dataset?: unknown }).dataset : null;
  return name === 'trainings' || name === 'gp_initiatives' ? name : null;
}

/** The mark's words: "derived from training database", "derived from GP initiatives". */
export function derivedText(source: KrSource): string {
  return source === 'trainings' ? 'derived from training database' : 'derived from GP initiatives';
}

/** Where the delegate goes instead of reporting: what to change for the actual to move. */
export function derivedExplanation(source: KrSource): string {
  return source === 'trainings'
    ? 'Its actual is derived from the training database: it changes when courses are added or corrected, so it takes no reports.'
    : 'Its actual is derived from the GP initiatives: it changes when initiatives and their outcomes are recorded, so it takes no reports.';
}

/** Where the data behind a derived actual is kept, for a link beside the explanation. */
export function derivedHref(source: KrSource, iso3: string): string {
  return source === 'trainings' ? `/trainings?iso3=${encodeURIComponent(iso3)}` : `/gp?iso3=${encodeURIComponent(iso3)}`;
}

/** The small textual mark for `k`, or null when its actual is reported by people. */
export function derivedMark(k: unknown): HTMLElement | null {
  const s = krSource(k);
  return s ? h('span', { class: 'derived-mark', 'data-derived': s }, derivedText(s)) : null;
}

/**
 * Keeps `slot` holding the mark of `k` (empty and hidden when it has none), for elements that
 * are kept and updated as the document changes rather than drawn again.
 */
export function setDerivedMark(slot: HTMLElement, k: unknown): void {
  const s = krSource(k);
  const now = slot.dataset.derived ?? '';
  if (now === (s ?? '')) return;
  slot.className = 'derived-mark';
  slot.hidden = !s;
  slot.textContent = s ? derivedText(s) : '';
  if (s) slot.dataset.derived = s;
  else delete slot.dataset.derived;
}

/** " · derived from training database", for a line of text (a table cell, a ticker line). */
export function derivedSuffix(k: unknown): string {
  const s = krSource(k);
  return s ? ` · ${derivedText(s)}` : '';
}

/**
 * Keeps `slot` holding, for a delegate who may report, why a derived key result takes no
 * report and where its data is changed instead (hidden for a key result that takes reports).
 */
export function setDerivedNote(slot: HTMLElement, k: unknown, iso3: string): void {
  const s = krSource(k);
  slot.hidden = !s;
  if (!s) {
    slot.replaceChildren();
    delete slot.dataset.derived;
    return;
  }
  if (slot.dataset.derived === s) return;
  slot.dataset.derived = s;
  slot.className = 'derived-note';
  slot.replaceChildren(`${derivedExplanation(s)} `, h('a', { href: derivedHref(s, iso3) }, s === 'trainings' ? 'Open the courses' : 'Open the initiatives'));
}

/** " (derived from training database)", after a key result's code in a list. */
export function derivedAside(k: unknown): string {
  const s = krSource(k);
  return s ? ` (${derivedText(s)})` : '';
}

/**
 * The key result a line of the latest changes is about (`VNM/VNM-KR1` of a report's
 * `VNM/VNM-KR1/2026`), to find its source in the document; null for lines about anything else.
 */
export function krKeyOf(r: { entity: string; key: string }): string | null {
  if (r.entity !== 'actual') return null;
  const m = /^([A-Z]{3})\/([^/]+)(?:\/.*)?$/.exec(r.key);
  return m ? `${m[1]}/${m[2]}` : null;
}
