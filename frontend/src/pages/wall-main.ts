// The wall's main panel: four pillar tiles, the 21 × 4 members × pillars heat map, and the
// primer status board. Built once; `update` writes only the values (changed ones flash).

import { h, setText } from '../dom';
import { scaleLegend } from '../legend';
import { count, pct } from '../format';
import { PRIMER_COLOUR, PRIMER_LABEL, STATUS_COLOUR, STATUS_LABEL, scoreColour } from '../palette';
import type { Dashboard } from '../protocol';
import { KR_STATUSES, PILLARS, PRIMER_STATUSES } from '../protocol';

export interface MainPanel {
  tiles: HTMLElement;
  heat: HTMLElement;
  primers: HTMLElement;
  update(doc: Dashboard): void;
}

export function mainPanel(): MainPanel {
  const tiles = h('section', { class: 'tiles', 'aria-label': 'Pillars' });
  const tileParts = PILLARS.map((p) => {
    const name = h('h2', { class: 'tile-name' });
    const score = h('div', { class: 'tile-score', 'data-testid': `pillar-${p}-score` });
    const scored = h('div', { class: 'tile-sub' });
    const krs = h('div', { class: 'tile-sub' });
    const chips = KR_STATUSES.map((s) => h('span', { class: 'chip', title: STATUS_LABEL[s], style: `--c:${STATUS_COLOUR[s]}`, 'data-status': s }));
    tiles.append(
      h('article', { class: 'tile', 'data-pillar': p }, h('div', { class: 'tile-num' }, p), name, h('div', { class: 'tile-body' }, score, h('div', {}, scored, krs)), h('div', { class: 'chips' }, ...chips)),
    );
    return { name, score, scored, krs, chips };
  });
  const legend = h(
    'div',
    { class: 'legend' },
    ...KR_STATUSES.map((s) => h('span', { class: 'legend-item' }, h('span', { class: 'swatch', style: `background:${STATUS_COLOUR[s]}` }), STATUS_LABEL[s])),
  );
  tiles.append(legend);

  const headRow = h('tr', {}, h('th', { scope: 'col' }, 'Member'), ...PILLARS.map((p) => h('th', { scope: 'col' }, `P${p}`)), h('th', { scope: 'col' }, 'All'));
  const body = h('tbody');
  const heat = h(
    'section',
    { class: 'heat', 'aria-label': 'Members × pillars' },
    h('table', { class: 'heatmap', 'data-testid': 'heatmap' }, h('caption', { class: 'sr-only' }, 'Score of each member in each pillar'), h('thead', {}, headRow), body),
    scaleLegend('0%', '100%', 'no score yet'),
  );
  const rows = new Map<string, { cells: HTMLElement[]; all: HTMLElement; status: HTMLElement }>();

  const primerRows = PRIMER_STATUSES.map((s) => {
    const n = h('span', { class: 'pb-count', 'data-testid': `primers-${s}` });
    const bar = h('span', { class: 'pb-bar', style: `background:${PRIMER_COLOUR[s]}` });
    return { s, n, bar, row: h('div', { class: 'pb-row' }, h('span', { class: 'pb-label' }, PRIMER_LABEL[s]), h('span', { class: 'pb-track' }, bar), n) };
  });
  const primers = h('section', { class: 'primer-board', 'aria-label': 'Primers' }, h('h2', {}, 'Primers'), ...primerRows.map((r) => r.row));

  function rowFor(iso3: string): { cells: HTMLElement[]; all: HTMLElement; status: HTMLElement } {
    let r = rows.get(iso3);
    if (r) return r;
    const status = h('span', { class: 'dot' });
    const cells = PILLARS.map((p) => h('td', { 'data-cell': `${iso3}-${p}` }));
    const all = h('td', { class: 'all', 'data-cell': `${iso3}-all` });
    body.append(h('tr', { 'data-member': iso3 }, h('th', { scope: 'row' }, status, iso3), ...cells, all));
    r = { cells, all, status };
    rows.set(iso3, r);
    return r;
  }

  /** A score as a percentage; without one (while primers are drafted), how many key results the cell holds. */
  function paint(td: HTMLElement, score: number | null | undefined, krs: number): void {
    const { bg, fg } = scoreColour(score);
    td.style.background = bg;
    td.style.color = fg;
    td.classList.toggle('no-score', score === null || score === undefined);
    setText(td, cellText(score, krs));
  }

  function update(doc: Dashboard): void {
    const total = Object.keys(doc.members).length;
    PILLARS.forEach((p, i) => {
      const t = tileParts[i];
      const d = doc.pillars[p];
      if (!t || !d) return;
      setText(t.name, d.name, false);
      setText(t.score, pct(d.score));
      setText(t.scored, `${count(d.members_scored)} of ${count(total)} members scored`);
      setText(t.krs, `${count(d.krs)} key results · ${count(d.krs_with_data)} with data`);
      KR_STATUSES.forEach((s, j) => {
        const chip = t.chips[j];
        if (chip) setText(chip, count(d.status_counts[s]));
      });
    });
    const krCount = new Map<string, number>();
    for (const k of Object.values(doc.key_results)) {
      for (const key of [`${k.iso3}-${k.pillar}`, `${k.iso3}-all`]) krCount.set(key, (krCount.get(key) ?? 0) + 1);
    }
    for (const iso3 of Object.keys(doc.members).sort()) {
      const m = doc.members[iso3];
      if (!m) continue;
      const r = rowFor(iso3);
      PILLARS.forEach((p, i) => {
        const c = m.pillars[p];
        const td = r.cells[i];
        if (td) paint(td, c?.score, krCount.get(`${iso3}-${p}`) ?? 0);
      });
      paint(r.all, m.score, krCount.get(`${iso3}-all`) ?? 0);
      r.status.style.background = PRIMER_COLOUR[m.primer_status] ?? '#999';
      r.status.title = `Primer: ${PRIMER_LABEL[m.primer_status] ?? m.primer_status}`;
    }
    for (const r of primerRows) {
      const n = doc.primers[r.s] ?? 0;
      setText(r.n, `${count(n)} / ${count(total)}`);
      r.bar.style.width = `${total ? (100 * n) / total : 0}%`;
    }
  }

  return { tiles, heat, primers, update };
}

/** What a heat-map cell shows: the score, else the number of key results ("3 KR"), else nothing. */
export function cellText(score: number | null | undefined, krs: number): string {
  if (score !== null && score !== undefined) return pct(score);
  return krs > 0 ? `${count(krs)} KR` : '';
}
