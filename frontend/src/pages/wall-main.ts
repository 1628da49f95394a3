// The wall's main panel: four pillar tiles, the 21 × 4 members × pillars heat map, and the
// primer status board. Built once; each tile, each heat-map row and the board watch the
// entries of the document they show (model.ts), so a patch redraws what it changed only
// (changed values flash).

import { computed } from '@preact/signals-core';
import { h, setStyle, setText } from '../dom';
import { count, pct } from '../format';
import { scaleLegend } from '../legend';
import type { DocModel } from '../model';
import { stableList } from '../model';
import { PRIMER_COLOUR, PRIMER_LABEL, STATUS_COLOUR, STATUS_LABEL, scoreColour } from '../palette';
import { KR_STATUSES, PILLARS, PRIMER_STATES } from '../protocol';
import { each, watch } from '../reactive';

export interface MainPanel {
  tiles: HTMLElement;
  heat: HTMLElement;
  primers: HTMLElement;
}

export function mainPanel(model: DocModel): MainPanel {
  const memberCount = computed(() => model.members.keys.value.length);

  const tiles = h('section', { class: 'tiles', 'aria-label': 'Pillars' });
  for (const p of PILLARS) {
    const name = h('h2', { class: 'tile-name' });
    const score = h('div', { class: 'tile-score', 'data-testid': `pillar-${p}-score` });
    const scored = h('div', { class: 'tile-sub' });
    const krs = h('div', { class: 'tile-sub' });
    const chips = KR_STATUSES.map((s) => h('span', { class: 'chip', title: STATUS_LABEL[s], style: `--c:${STATUS_COLOUR[s]}`, 'data-status': s }));
    tiles.append(
      h('article', { class: 'tile', 'data-pillar': p }, h('div', { class: 'tile-num' }, p), name, h('div', { class: 'tile-body' }, score, h('div', {}, scored, krs)), h('div', { class: 'chips' }, ...chips)),
    );
    watch(() => {
      const d = model.pillars.entry(p).value;
      if (!d) return;
      setText(name, d.name, false);
      setText(score, pct(d.score));
      setText(scored, `${count(d.members_scored)} of ${count(memberCount.value)} members scored`);
      setText(krs, `${count(d.krs)} key results · ${count(d.krs_with_data)} with data`);
      KR_STATUSES.forEach((s, j) => {
        const chip = chips[j];
        if (chip) setText(chip, count(d.status_counts[s]));
      });
    });
  }
  tiles.append(
    h(
      'div',
      { class: 'legend' },
      ...KR_STATUSES.map((s) => h('span', { class: 'legend-item' }, h('span', { class: 'swatch', style: `background:${STATUS_COLOUR[s]}` }), STATUS_LABEL[s])),
    ),
  );

  const headRow = h('tr', {}, h('th', { scope: 'col' }, 'Member'), ...PILLARS.map((p) => h('th', { scope: 'col' }, `P${p}`)), h('th', { scope: 'col' }, 'All'));
  const body = h('tbody');
  const heat = h(
    'section',
    { class: 'heat', 'aria-label': 'Members × pillars' },
    h('table', { class: 'heatmap', 'data-testid': 'heatmap' }, h('caption', { class: 'sr-only' }, 'Score of each member in each pillar'), h('thead', {}, headRow), body),
    scaleLegend('0%', '100%', 'no score yet'),
  );
  const rows = stableList(() => [...model.members.keys.value].sort());
  each(body, rows, (iso3) => {
    const status = h('span', { class: 'dot' });
    const cells = PILLARS.map((p) => h('td', { 'data-cell': `${iso3}-${p}` }));
    const all = h('td', { class: 'all', 'data-cell': `${iso3}-all` });
    watch(() => {
      const m = model.members.entry(iso3).value;
      if (!m) return;
      PILLARS.forEach((p, i) => {
        const c = m.pillars[p];
        const td = cells[i];
        if (td) paint(td, c?.score, c?.krs ?? 0);
      });
      paint(all, m.score, m.krs);
      setStyle(status, 'background', PRIMER_COLOUR[m.primer_status] ?? '#999');
      status.title = `Primer: ${PRIMER_LABEL[m.primer_status] ?? m.primer_status}`;
    });
    return h('tr', { 'data-member': iso3 }, h('th', { scope: 'row' }, status, iso3), ...cells, all);
  });

  const primerRows = PRIMER_STATES.map((s) => {
    const n = h('span', { class: 'pb-count', 'data-testid': `primers-${s}` });
    const bar = h('span', { class: 'pb-bar', style: `background:${PRIMER_COLOUR[s]}` });
    return { s, n, bar, row: h('div', { class: 'pb-row' }, h('span', { class: 'pb-label' }, PRIMER_LABEL[s]), h('span', { class: 'pb-track' }, bar), n) };
  });
  const primers = h('section', { class: 'primer-board', 'aria-label': 'Primers' }, h('h2', {}, 'Primers'), ...primerRows.map((r) => r.row));
  watch(() => {
    const counts = model.primers.value;
    const total = memberCount.value;
    if (!counts) return;
    for (const r of primerRows) {
      const n = counts[r.s] ?? 0;
      setText(r.n, `${count(n)} / ${count(total)}`);
      setStyle(r.bar, 'width', `${total ? (100 * n) / total : 0}%`);
    }
  });

  return { tiles, heat, primers };
}

/** A score as a percentage; without one (while primers are drafted), how many key results the cell holds. */
function paint(td: HTMLElement, score: number | null | undefined, krs: number): void {
  const { bg, fg } = scoreColour(score);
  setStyle(td, 'background', bg);
  setStyle(td, 'color', fg);
  td.classList.toggle('no-score', score === null || score === undefined);
  setText(td, cellText(score, krs));
}

/** What a heat-map cell shows: the score, else the number of key results ("3 KR"), else nothing. */
export function cellText(score: number | null | undefined, krs: number): string {
  if (score !== null && score !== undefined) return pct(score);
  return krs > 0 ? `${count(krs)} KR` : '';
}
