// The wall's right column: the ticker of latest changes (an aria-live region) and the join box
// with the delegate URL, its QR code and the viewer count.
//
// The ticker shows the document's `recent` as the server wrote it: each line's words are made
// on the server (src/analytics/ticker.rs), so every screen, and a wall reloaded later, reads
// the same. Nothing is added or reworded here; the member's name that starts a line is only
// set in bold.

import type { ReadonlySignal } from '@preact/signals-core';
import { computed } from '@preact/signals-core';
import { h, setText } from '../dom';
import { clock, count } from '../format';
import type { Live } from '../live';
import { stableList } from '../model';
import type { Recent } from '../protocol';
import { qrSvg } from '../qr';
import { each, onDispose } from '../reactive';

/** Lines drawn at most; those that do not fit the column whole are hidden (see `wholeLines`). */
export const SHOWN = 8;

/** A line's identity across patches: its revision and what it is about (one revision can carry several edits). */
export function recentKeys(recent: readonly Recent[]): string[] {
  const seen = new Map<string, number>();
  return recent.map((r) => {
    const base = `${r.rev}|${r.entity}|${r.key}`;
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return n ? `${base}|${n}` : base;
  });
}

/** The line split into the member's name (when the line starts with it) and the rest. */
export function lineParts(r: Recent): [string, string] {
  const who = r.member ?? '';
  return who && r.summary.startsWith(who) ? [who, r.summary.slice(who.length)] : ['', r.summary];
}

export function ticker(recent: ReadonlySignal<readonly Recent[]>): HTMLElement {
  const list = h('ol', { class: 'ticker-list', 'aria-live': 'polite', 'aria-relevant': 'additions', 'data-testid': 'ticker' });
  const el = h('section', { class: 'ticker', 'aria-label': 'Latest changes' }, h('h2', {}, 'Latest changes'), list);
  const shown = computed(() => {
    const items = recent.value.slice(0, SHOWN);
    const keys = recentKeys(items);
    return new Map(keys.map((k, i) => [k, items[i] as Recent]));
  });
  const keys = stableList(() => [...shown.value.keys()]);
  const fit = wholeLines(list);
  // Lines that arrive after the first drawing flash; the first ones are simply there.
  each(
    list,
    keys,
    (key, added) => {
      const r = shown.peek().get(key) as Recent;
      const [who, rest] = lineParts(r);
      const li = h(
        'li',
        { class: added ? 'ticker-item flash' : 'ticker-item', 'data-key': key, title: r.actor ? `by ${r.actor}` : null },
        h('span', { class: 'tk-time' }, clock(r.at)),
        h('span', { class: 'tk-what' }, who ? h('strong', { class: 'tk-who' }, who) : null, rest),
      );
      fit?.observe(li);
      onDispose(() => fit?.unobserve(li));
      return li;
    },
    { empty: h('li', { class: 'ticker-empty' }, 'No changes yet') },
  );
  return el;
}

/**
 * Hides the lines the bottom of the list would cut: the room reads whole lines or none (how
 * many fit depends on how long the server's lines are). Measured by an IntersectionObserver
 * after the browser's own layout, so a patch never forces one; a hidden line keeps its place
 * (`visibility`), so it is seen again when it fits.
 */
function wholeLines(list: HTMLElement): IntersectionObserver | null {
  if (typeof IntersectionObserver === 'undefined') return null;
  return new IntersectionObserver(
    (entries) => {
      for (const e of entries) (e.target as HTMLElement).style.visibility = e.intersectionRatio >= 0.99 ? '' : 'hidden';
    },
    { root: list, threshold: [0, 0.99] },
  );
}

export function joinBox(live: Live): HTMLElement {
  const url = `${location.origin}/delegate`;
  const viewers = h('div', { class: 'viewers', 'data-testid': 'viewers' });
  live.onState((l) => setText(viewers, l.viewers === null ? 'Viewers: –' : `${count(l.viewers)} watching`, false));
  return h(
    'section',
    { class: 'join', 'aria-label': 'Join on your phone' },
    h('div', { class: 'qr' }, qrSvg(url, `QR code for ${url}`)),
    h('div', { class: 'join-text' }, h('div', {}, 'Join on your phone'), h('div', { class: 'join-url', 'data-testid': 'join-url' }, url.replace(/^https?:\/\//, '')), viewers),
  );
}
