// The banner every page shows while the server cannot reach its database: "Data may be stale:
// database unreachable since 20:51". The live connection's heartbeats say so (`Live.store`,
// sent by the server the moment its database goes or comes back); the banner goes away by
// itself with the first heartbeat that says `up`, and the patches the page missed follow on the
// same socket. It sits above the page in the flow, never over it: on the wall it takes its
// height from the wall's (styles/banner.css), elsewhere it is the first thing of the page.
// `role="status"` is on the element from the start (empty while the database answers), so that
// a screen reader announces the text when it appears.

import './styles/banner.css';
import { h, setText } from './dom';
import { clockShort } from './format';
import type { Live, StoreState } from './live';

/** What the banner says for the store's state, or null when there is nothing to say. */
export function storeBannerText(store: StoreState | null, time: (ms: number) => string = clockShort): string | null {
  if (store === null || store.state === 'up') return null;
  return `Data may be stale: database unreachable since ${time(store.since)}`;
}

/** The banner for `live`: empty (and not shown) while the database answers. */
export function storeBanner(live: Live): HTMLElement {
  const el = h('div', { class: 'store-banner', role: 'status', 'data-testid': 'store-banner' });
  live.onState((l) => {
    const text = storeBannerText(l.store);
    setText(el, text ?? '', false);
    el.dataset.state = l.store?.state ?? 'unknown';
    document.documentElement.classList.toggle('store-down', text !== null);
  });
  return el;
}

/** Puts the banner for `live` at the top of the page, once. */
export function mountStoreBanner(live: Live, parent: HTMLElement = document.body): void {
  if (parent.querySelector(':scope > .store-banner')) return;
  parent.prepend(storeBanner(live));
}
