// The wall's right column: the ticker of latest changes (an aria-live region) and the join box
// with the delegate URL, its QR code and the viewer count.

import { h, setText } from '../dom';
import { clock, count } from '../format';
import type { Live } from '../live';
import type { Recent } from '../protocol';
import { qrSvg } from '../qr';

const SHOWN = 6;

/** One line of the ticker: who did what (with the value), when. */
export interface TickerItem {
  key: string;
  at: string;
  who: string;
  what: string;
}

/** The document's latest changes as ticker lines, leaving out Penn World Table series imports
 * (they arrive by the hundred in one import and are not news for the room). */
export function fromRecent(recent: readonly Recent[]): TickerItem[] {
  return recent
    .filter((r) => r.entity !== 'series')
    .map((r) => ({ key: `${r.rev}|${r.entity}|${r.key}|${r.summary}`, at: r.at, who: r.actor || 'someone', what: r.summary || `${r.action} ${r.entity} ${r.key}` }));
}

export function ticker(): { el: HTMLElement; update(items: readonly TickerItem[]): void } {
  const list = h('ol', { class: 'ticker-list', 'aria-live': 'polite', 'aria-relevant': 'additions', 'data-testid': 'ticker' });
  const el = h('section', { class: 'ticker', 'aria-label': 'Latest changes' }, h('h2', {}, 'Latest changes'), list);
  const empty = h('li', { class: 'ticker-empty' }, 'No changes yet');
  list.append(empty);
  const lines = new Map<string, HTMLElement>();

  /** Shows the newest items; new lines flash. When only new lines arrived on top, the old ones
   * stay where they are, so a screen reader announces just the additions. */
  function update(all: readonly TickerItem[]): void {
    const items = [...all].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0)).slice(0, SHOWN);
    if (items.length) empty.remove();
    const wanted = new Set(items.map((i) => i.key));
    for (const [k, li] of lines) {
      if (!wanted.has(k)) {
        li.remove();
        lines.delete(k);
      }
    }
    const current = [...list.querySelectorAll<HTMLElement>('li.ticker-item')].map((li) => li.dataset.key ?? '');
    const fresh = items.filter((i) => !lines.has(i.key));
    for (const i of fresh) {
      lines.set(
        i.key,
        h('li', { class: 'ticker-item flash', 'data-key': i.key }, h('span', { class: 'tk-time' }, clock(i.at)), h('span', { class: 'tk-who' }, i.who), h('span', { class: 'tk-what' }, i.what)),
      );
    }
    const order = items.map((i) => i.key);
    const onTop = order.slice(fresh.length).join('\n') === current.join('\n') && order.slice(0, fresh.length).every((k) => !current.includes(k));
    if (onTop) {
      for (const i of [...fresh].reverse()) list.prepend(lines.get(i.key) as HTMLElement);
    } else {
      list.replaceChildren(...order.map((k) => lines.get(k) as HTMLElement));
    }
  }
  return { el, update };
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
