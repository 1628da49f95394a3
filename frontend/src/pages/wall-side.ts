// The wall's right column: the ticker of latest changes (an aria-live region) and the join box
// with the delegate URL, its QR code and the viewer count.

import { h, setText } from '../dom';
import { clock, count } from '../format';
import type { Live } from '../live';
import type { Recent } from '../protocol';
import { qrSvg } from '../qr';

const SHOWN = 6;

export function ticker(): { el: HTMLElement; update(recent: readonly Recent[]): void } {
  const list = h('ol', { class: 'ticker-list', 'aria-live': 'polite', 'aria-relevant': 'additions', 'data-testid': 'ticker' });
  const el = h('section', { class: 'ticker', 'aria-label': 'Latest changes' }, h('h2', {}, 'Latest changes'), list);
  const shown = new Set<string>();
  const empty = h('li', { class: 'ticker-empty' }, 'No changes yet');
  list.append(empty);
  function update(recent: readonly Recent[]): void {
    // Penn World Table series arrive by the hundred in one import: not news for the room.
    const items = recent.filter((r) => r.entity !== 'series').slice(0, SHOWN);
    const fresh = [...items].reverse().filter((r) => !shown.has(keyOf(r)));
    if (items.length) empty.remove();
    for (const r of fresh) {
      shown.add(keyOf(r));
      const li = h(
        'li',
        { class: 'ticker-item flash', 'data-key': keyOf(r) },
        h('span', { class: 'tk-time' }, clock(r.at)),
        h('span', { class: 'tk-who' }, r.actor || 'someone'),
        h('span', { class: 'tk-what' }, r.summary || `${r.action} ${r.entity} ${r.key}`),
      );
      list.prepend(li);
    }
    const keep = new Set(items.map(keyOf));
    for (const li of [...list.querySelectorAll<HTMLElement>('li.ticker-item')]) {
      const k = li.dataset.key ?? '';
      if (!keep.has(k)) {
        li.remove();
        shown.delete(k);
      }
    }
  }
  return { el, update };
}

function keyOf(r: Recent): string {
  return `${r.rev}|${r.entity}|${r.key}|${r.summary}`;
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
