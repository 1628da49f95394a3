// The wall's right column, the same beside every panel and every rotation: the ticker of
// latest changes (an aria-live region) and the join box with the open workshop's join code and
// QR code (or the delegate page's), and the viewer count.
//
// The ticker shows the document's `recent` as the server wrote it: each line's words are made
// on the server (src/analytics/ticker.rs: "Viet Nam · SMEs trained: 395 companies in 2026, 79 %
// of target"), so every screen, and a wall reloaded later, reads the same. A report's line
// carries the status that report gave its key result (`status`, also made on the server), which
// the wall shows as a coloured label at the start of the line, and the member's name that starts
// a line is set in bold.

import { computed } from '@preact/signals-core';
import { codeHalves, shortUrl, wallJoin } from '../access';
import { get } from '../api';
import { derivedMark, krKeyOf } from '../derived';
import { h, setText } from '../dom';
import { clockShort, count } from '../format';
import type { Live } from '../live';
import type { DocModel } from '../model';
import { stableList } from '../model';
import { STATUS_COLOUR, STATUS_LABEL } from '../palette';
import type { KrStatus, Recent, SessionInfo } from '../protocol';
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

/** The status label a line starts with: a report's, except "no data" (a report without a target). */
export function lineStatus(r: Recent): KrStatus | null {
  return r.status && r.status !== 'no_data' ? r.status : null;
}

/** The "derived from …" mark of a line about a key result whose actual is computed (derived.ts), before the line's words (a long line is cut at its end). */
function derivedOf(model: DocModel, r: Recent): HTMLElement | null {
  const key = krKeyOf(r);
  return key ? derivedMark(model.key_results.peek(key)) : null;
}

export function ticker(model: DocModel): HTMLElement {
  const recent = model.recent;
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
      const shownStatus = lineStatus(r);
      const status = shownStatus ? h('span', { class: 'tk-status', 'data-status': shownStatus }, STATUS_LABEL[shownStatus]) : null;
      status?.style.setProperty('--c', STATUS_COLOUR[shownStatus as KrStatus]);
      const li = h(
        'li',
        { class: added ? 'ticker-item flash' : 'ticker-item', 'data-key': key, title: r.actor ? `by ${r.actor}` : null },
        h('span', { class: 'tk-what' }, h('span', { class: 'tk-time' }, clockShort(r.at)), ' ', status, who ? h('strong', { class: 'tk-who' }, who) : null, derivedOf(model, r), rest),
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

/** How often the wall asks whether a workshop has opened or closed (it is not in the live document). */
const SESSION_EVERY_MS = 20_000;

/**
 * The join box: the QR code of the open workshop's join URL with its join code in large type
 * beside it (in two halves, read from the back of the room), and where to type it; without an
 * open workshop, the QR code of the delegate page. Both from `GET /session` (the server's
 * public URL, never this browser's address), asked again every 20 s.
 */
export function joinBox(live: Live, first: SessionInfo | null): HTMLElement {
  const viewers = h('div', { class: 'viewers', 'data-testid': 'viewers' });
  live.onState((l) => setText(viewers, l.viewers === null ? 'Viewers: –' : `${count(l.viewers)} watching`, false));
  const qr = h('div', { class: 'qr', 'data-testid': 'join-qr' });
  const text = h('div', { class: 'join-text' });
  const how = h('p', { class: 'join-how' });
  const box = h('section', { class: 'join', 'aria-label': 'Join on your phone' }, qr, text, how, viewers);
  let shown = '';
  const draw = (s: SessionInfo) => {
    const j = wallJoin(s);
    const key = JSON.stringify(j);
    if (key === shown) return;
    shown = key;
    box.dataset.workshop = j.code ? 'open' : 'none';
    qr.replaceChildren(qrSvg(j.qr, `QR code for ${j.qr}`));
    qr.dataset.url = j.qr;
    if (j.code) {
      const [a, b] = codeHalves(j.code);
      text.replaceChildren(
        h('div', { class: 'join-lead' }, 'Join code'),
        h('div', { class: 'join-code', 'data-testid': 'join-code', 'aria-label': `Join code ${[...j.code].join(' ')}` }, h('span', {}, a), h('span', {}, b)),
      );
      how.replaceChildren('Scan the QR code, or type the code at ', h('strong', { class: 'join-url', 'data-testid': 'join-url' }, ...breakable(shortUrl(j.typeAt))));
    } else {
      text.replaceChildren(h('div', { class: 'join-lead' }, 'Follow on your phone'));
      how.replaceChildren('Scan, or open ', h('strong', { class: 'join-url', 'data-testid': 'join-url' }, ...breakable(shortUrl(j.qr))));
    }
  };
  if (first) draw(first);
  const timer = setInterval(() => {
    get<SessionInfo>('/session')
      .then(draw)
      .catch(() => {
        // Out of reach: the box keeps what it shows; the badge says the wall is reconnecting.
      });
  }, SESSION_EVERY_MS);
  onDispose(() => clearInterval(timer));
  return box;
}

/** A short URL that may break only before its path ("10.0.0.5:8080" "/delegate"), never inside a word. */
function breakable(url: string): (string | HTMLElement)[] {
  const i = url.indexOf('/');
  return i > 0 ? [url.slice(0, i), h('wbr'), url.slice(i)] : [url];
}
