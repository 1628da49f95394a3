// The connection badge every page shows: live · reconnecting · stale since hh:mm:ss, with the
// time of the last update. `data-state` carries the state for tests and styles; an error frame
// from the server (it refused something the page sent) is kept in `data-error` and the tooltip.

import { h, setText } from './dom';
import { clock } from './format';
import type { Live } from './live';

export function statusBadge(live: Live): HTMLElement {
  const label = h('span', { class: 'badge-label' });
  const updated = h('span', { class: 'badge-updated' });
  const badge = h('div', { class: 'badge', role: 'status', 'data-testid': 'live-badge' }, h('span', { class: 'badge-dot', 'aria-hidden': 'true' }), label, updated);
  live.onState((l) => {
    const s = l.state;
    badge.dataset.state = s.kind;
    const text =
      s.kind === 'live' ? 'Live' : s.kind === 'reconnecting' ? 'Reconnecting…' : s.kind === 'stale' ? `Stale since ${clock(s.since)}` : 'Connecting…';
    setText(label, text, false);
    setText(updated, l.lastUpdate === null ? '' : `updated ${clock(l.lastUpdate)}`, false);
    if (l.lastError) {
      badge.dataset.error = l.lastError.code;
      badge.title = `The server refused a request: ${l.lastError.message}`;
    }
  });
  return badge;
}
