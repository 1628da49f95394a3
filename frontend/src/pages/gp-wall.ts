// The wall's GP 2.0 panel: the member × theme matrix of initiatives, dark and in the wall's rem
// (the back of the room reads every count), under the headline figures: how many members have
// initiatives, and the two outcome totals that rest on the most members, each with its
// coverage. It fetches GET /gp/mapping when the wall opens and again on a live change to an
// initiative or a theme; the cells and figures that changed flash.

import '../styles/gp.css';
import { get } from '../api';
import { h } from '../dom';
import { count } from '../format';
import type { Live } from '../live';
import type { Member } from '../protocol';
import { type GpMapping, cellCounts, changedKeys, headlineTotals, matrixOf, metricLabel, touchesGp, valueText, wallCountColour, wallCoverText } from './gp-model';

/** Outcome totals beside the members' count: what fits the panel's width at 1920×1080. */
const HEADLINES = 2;

export function gpPanel(live: Live): HTMLElement {
  const heads = h('div', { class: 'gp-wall-heads', 'data-testid': 'wall-gp-heads' });
  const matrixEl = h('div', { class: 'gp-wall-matrix', role: 'region', tabindex: '0', 'aria-label': 'GP 2.0 initiatives by member and theme' });
  const el = h(
    'section',
    { class: 'panel-gp', 'aria-label': 'GP 2.0 initiatives', 'data-testid': 'wall-gp' },
    h('h2', {}, 'GP 2.0: Green Productivity initiatives by member and theme'),
    heads,
    matrixEl,
  );
  let members: { iso3: string; name: string }[] = [];
  let shown: Map<string, number> | null = null;
  let shownHeads = new Map<string, string>();

  // Cells are `data-gp-cell`, not the heat map's `data-cell`: the wall's checks read every
  // `data-cell` of the page as a heat-map cell of the dashboard document.
  const draw = (mapping: GpMapping) => {
    const m = matrixOf(mapping, members, { theme: '', type: '' });
    const counts = cellCounts(m);
    const changed = changedKeys(shown, counts);
    shown = counts;
    el.dataset.cells = [...counts].filter(([, n]) => n > 0).map(([k, n]) => `${k}=${n}`).join(' ');

    const boxes: [string, string, string, string][] = [
      ['members', 'Members with initiatives', `${count(mapping.members_with_initiatives)} of ${count(mapping.members_total)}`, `${count(m.rows.reduce((s, r) => s + r.total, 0))} initiatives`],
      ...headlineTotals(mapping.totals, HEADLINES).map((t): [string, string, string, string] => [t.metric, metricLabel(t.metric), valueText(t.metric, t.value, t.unit), wallCoverText(t)]),
    ];
    const next = new Map(boxes.map(([k, , v, c]) => [k, `${v}|${c}`]));
    heads.replaceChildren(
      ...boxes.map(([k, label, value, cover]) =>
        h(
          'div',
          { class: `gp-wall-head${shownHeads.size && shownHeads.get(k) !== next.get(k) ? ' flash' : ''}`, 'data-head': k },
          h('span', { class: 'gp-wall-label' }, label),
          h('span', { class: 'gp-wall-value' }, value),
          h('span', { class: 'gp-wall-cover' }, cover),
        ),
      ),
    );
    shownHeads = next;

    const head = h(
      'tr',
      {},
      h('th', { scope: 'col', class: 'gp-wall-member' }, 'Member'),
      ...m.themes.map((t) => h('th', { scope: 'col' }, t.label)),
      h('th', { scope: 'col', class: 'gp-wall-all' }, 'All'),
    );
    const rows = m.rows.map((r) =>
      h(
        'tr',
        {},
        h('th', { scope: 'row', class: 'gp-wall-member' }, r.name),
        ...r.cells.map((c) => {
          const col = wallCountColour(c.count, m.maxCell);
          const key = `${r.iso3}/${c.theme}`;
          return h('td', { class: `${c.count ? '' : 'is-zero'}${changed.has(key) ? ' flash' : ''}`, style: `background:${col.bg};color:${col.fg}`, 'data-gp-cell': key }, c.count ? count(c.count) : '·');
        }),
        h('td', { class: `gp-wall-all${changed.has(`${r.iso3}/*`) ? ' flash' : ''}`, 'data-gp-cell': `${r.iso3}/*` }, r.total ? count(r.total) : '·'),
      ),
    );
    matrixEl.replaceChildren(h('table', { class: 'gp-wall-table' }, h('thead', {}, head), h('tbody', {}, ...rows)));
  };

  let seq = 0;
  const load = async () => {
    const mine = ++seq;
    const mapping = await get<GpMapping>('/gp/mapping');
    if (mine === seq) draw(mapping);
  };
  get<Member[]>('/members')
    .then((ms) => {
      members = ms.map((x) => ({ iso3: x.iso3, name: x.short_name || x.name }));
      return load();
    })
    .catch(() => {
      heads.replaceChildren(h('p', { class: 'panel-note' }, 'GP 2.0 initiatives unavailable.'));
    });
  live.subscribe((_d, change) => {
    if (!members.length) return;
    const t = touchesGp(change);
    if (change.kind === 'patch' && (t.initiatives || t.themes)) void load().catch(() => undefined);
  });
  return el;
}
