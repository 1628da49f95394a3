// The wall's BCN panel: who learns from whom (projects-network.ts), dark and in type the back
// of the room reads (the wall's rem), with the pairs most exchanged beside it as bars. It
// fetches GET /bcn/network when the wall opens and again when an application changes.

import '../styles/projects.css';
import { get } from '../api';
import { h } from '../dom';
import type { Live } from '../live';
import type { Member } from '../protocol';
import { type BcnPair, exchanges, networkChart, networkSummary } from './projects-network';

/** Pairs listed beside the picture: what fits the panel's height at 1920×1080. */
const PAIRS_SHOWN = 8;

export function exchangesPanel(live: Live): HTMLElement {
  const chartEl = h('div', { class: 'wall-network', role: 'img', 'aria-label': 'BCN exchanges: sending member to hosting member', 'data-testid': 'wall-bcn-network' });
  const list = h('ol', { class: 'bars wall-pairs' });
  const note = h('p', { class: 'panel-note' });
  const el = h(
    'section',
    { class: 'panel-exchanges', 'aria-label': 'BCN exchanges' },
    h('h2', {}, 'BCN exchanges: who learns from whom (sending → hosting member)'),
    h('div', { class: 'exchanges-body' }, chartEl, list),
    note,
  );
  const rem = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
  let draw: ReturnType<typeof networkChart> | null = null;
  let names = new Map<string, string>();
  const load = async () => {
    const pairs = await get<BcnPair[]>('/bcn/network');
    // Drawn once the panel has a size (it may be hidden when the wall opens).
    draw ??= networkChart(chartEl, true, Math.round(rem * 0.8));
    draw(pairs, names);
    const top = pairs.filter((p) => exchanges(p) > 0).sort((a, b) => exchanges(b) - exchanges(a)).slice(0, PAIRS_SHOWN);
    const max = Math.max(1, ...top.map(exchanges));
    list.replaceChildren(
      ...top.map((p) =>
        h(
          'li',
          {},
          h('span', { class: 'bar-label pair-label' }, `${names.get(p.sender) ?? p.sender} → ${names.get(p.host) ?? p.host}`),
          h('span', { class: 'bar-track' }, h('span', { class: 'bar', style: `width:${(100 * exchanges(p)) / max}%;background:#56B4E9` })),
          h('span', { class: 'bar-value' }, String(exchanges(p))),
        ),
      ),
    );
    note.textContent = networkSummary(pairs);
  };
  get<Member[]>('/members')
    .then((m) => {
      names = new Map(m.map((x) => [x.iso3, x.name]));
      return load();
    })
    .catch(() => {
      note.textContent = 'BCN exchanges unavailable.';
    });
  live.subscribe((_d, change) => {
    if (names.size && change.kind === 'patch' && change.events.some((e) => e.entity === 'bcn_application')) void load().catch(() => undefined);
  });
  return el;
}
