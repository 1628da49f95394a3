// The wall's monitoring panel: four pillar tiles (score, members scored, key results with
// data, the pillar's budget planned and spent, and its key results by status), and the 21 × 4
// members × pillars heat map, each cell a score with its coverage ("73% 5/8": key results with
// data of key results, so that a 100 % on three of eight does not look complete), with the
// primers' statuses under it. Built once; each tile, each heat-map row and the legend watch
// the entries of the document they show (model.ts), so a patch redraws what it changed only
// (changed values flash).

import type { ReadonlySignal } from '@preact/signals-core';
import { computed } from '@preact/signals-core';
import { h, setStyle, setText } from '../dom';
import { count, moneyShort, pct, plural } from '../format';
import { wallScaleLegend } from '../legend';
import type { DocModel } from '../model';
import { stableList } from '../model';
import { PRIMER_COLOUR, PRIMER_LABEL, STATUS_COLOUR, STATUS_LABEL, wallScoreColour } from '../palette';
import type { CellDoc, MemberDoc } from '../protocol';
import { KR_STATUSES, PILLARS } from '../protocol';
import { each, watch } from '../reactive';
import type { NameOf } from './wall-data';
import { DRAFT_ORDER, pillarName } from './wall-data';

export function mainPanel(model: DocModel, names: ReadonlySignal<NameOf>): HTMLElement {
  const memberCount = computed(() => model.members.keys.value.length);

  const tiles = h('section', { class: 'tiles', 'aria-label': 'Pillars' });
  for (const p of PILLARS) {
    const name = h('h2', { class: 'tile-name' });
    const score = h('div', { class: 'tile-score', 'data-testid': `pillar-${p}-score` });
    const scored = h('div', { class: 'tile-sub' });
    const krs = h('div', { class: 'tile-sub' });
    const budget = budgetStrip(p);
    const chips = KR_STATUSES.map((s) => h('span', { class: 'chip', title: STATUS_LABEL[s], style: `--c:${STATUS_COLOUR[s]}`, 'data-status': s }));
    tiles.append(
      h(
        'article',
        { class: 'tile', 'data-pillar': p },
        h('div', { class: 'tile-head' }, h('span', { class: 'tile-num' }, p), name),
        h('div', { class: 'tile-body' }, score, h('div', { class: 'tile-subs' }, scored, krs)),
        budget.el,
        h('div', { class: 'chips' }, ...chips),
      ),
    );
    watch(() => {
      const d = model.pillars.entry(p).value;
      if (!d) return;
      setText(name, pillarName(p, d.name), false);
      name.title = d.name;
      setText(score, pct(d.score));
      setText(scored, `${count(d.members_scored)}/${count(memberCount.value)} members`);
      setText(krs, `${count(d.krs_with_data)}/${plural(d.krs, 'KR')} with data`);
      budget.draw(d.budget?.planned ?? 0, d.budget?.spent ?? 0);
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

  const headRow = h(
    'tr',
    {},
    h('th', { scope: 'col', class: 'hm-member' }, 'Member'),
    ...PILLARS.map((p) => h('th', { scope: 'col' }, `P${p}`)),
    h('th', { scope: 'col' }, 'All'),
  );
  const body = h('tbody');
  const primerLegend = PRIMER_STATES_SHOWN.map((s) => {
    const n = h('strong', { class: 'pl-count', 'data-testid': `primers-${s}` });
    return { s, n, el: h('span', { class: 'legend-item' }, h('span', { class: 'dot', style: `background:${PRIMER_COLOUR[s]}` }), `${s === 'none' ? 'No primer' : PRIMER_LABEL[s]} `, n) };
  });
  const heat = h(
    'section',
    { class: 'heat', 'aria-label': 'Members × pillars' },
    h(
      'table',
      { class: 'heatmap', 'data-testid': 'heatmap' },
      h('caption', { class: 'sr-only' }, 'Score of each member in each pillar, with the key results that have data of all its key results'),
      h('thead', {}, headRow),
      body,
    ),
    h('div', { class: 'heat-legends' }, wallScaleLegend('0%', '100%', 'no score'), h('span', { class: 'cov-legend' }, '5/8: key results with data')),
    h('div', { class: 'legend primer-legend', 'aria-label': 'Primers' }, h('span', { class: 'pl-title' }, 'Primers:'), ...primerLegend.map((r) => r.el)),
  );
  watch(() => {
    const counts = model.primers.value;
    if (!counts) return;
    for (const r of primerLegend) setText(r.n, count(counts[r.s] ?? 0));
  });

  const rows = stableList(() => [...model.members.keys.value].sort());
  each(body, rows, (iso3) => {
    const status = h('span', { class: 'dot' });
    const label = h('span', { class: 'hm-name' });
    const cells = PILLARS.map((p) => h('td', { 'data-cell': `${iso3}-${p}` }));
    const all = h('td', { class: 'all', 'data-cell': `${iso3}-all` });
    watch(() => setText(label, names.value(iso3), false));
    watch(() => {
      const m = model.members.entry(iso3).value;
      if (!m) return;
      PILLARS.forEach((p, i) => {
        const td = cells[i];
        if (td) paint(td, m.pillars[p]);
      });
      paint(all, memberCell(m));
      setStyle(status, 'background', PRIMER_COLOUR[m.primer_status] ?? '#999');
      status.title = `Primer: ${PRIMER_LABEL[m.primer_status] ?? m.primer_status}`;
    });
    return h('tr', { 'data-member': iso3 }, h('th', { scope: 'row', title: iso3 }, status, label), ...cells, all);
  });

  return h('div', { class: 'wall-monitor' }, tiles, heat);
}

const PRIMER_STATES_SHOWN = DRAFT_ORDER;

/** A pillar's budget for the period: spent of planned, as a bar and in words. */
function budgetStrip(p: string): { el: HTMLElement; draw: (planned: number, spent: number) => void } {
  const bar = h('span', { class: 'bud-bar' });
  const text = h('span', { class: 'bud-text', 'data-testid': `pillar-${p}-budget` });
  const el = h('div', { class: 'budget' }, h('span', { class: 'bud-label' }, 'Budget'), h('span', { class: 'bud-track' }, bar), text);
  return {
    el,
    draw: (planned, spent) => {
      setText(text, budgetText(planned, spent));
      setStyle(bar, 'width', `${planned > 0 ? Math.min(100, (100 * spent) / planned) : 0}%`);
      el.classList.toggle('over', planned > 0 && spent > planned);
    },
  };
}

/** "$0.8M of $1.2M" (spent of planned); "none planned" without a budget. */
export function budgetText(planned: number, spent: number): string {
  if (!(planned > 0) && !(spent > 0)) return 'none planned';
  return `${moneyShort(spent)} of ${moneyShort(planned)}`;
}

/** Key results with data in a cell: its coverage times its key results. */
export function withData(c: Pick<CellDoc, 'coverage' | 'krs'> | undefined): number {
  if (!c || !c.krs) return 0;
  return Math.round((c.coverage ?? 0) * c.krs);
}

/** The member's "All" cell: its score, and its key results with data of all of them. */
export function memberCell(m: MemberDoc): { score: number | null; krs: number; with: number } {
  let w = 0;
  for (const p of PILLARS) w += withData(m.pillars[p]);
  return { score: m.score ?? null, krs: m.krs, with: w };
}

/** A heat-map cell: the score in the wall's colours and, beside it, its coverage. */
function paint(td: HTMLElement, c: Pick<CellDoc, 'coverage' | 'krs' | 'score'> | { score: number | null; krs: number; with: number } | undefined): void {
  const score = c?.score ?? null;
  const krs = c?.krs ?? 0;
  const w = c && 'with' in c ? c.with : withData(c as CellDoc | undefined);
  const { bg, fg } = wallScoreColour(score);
  setStyle(td, 'background', krs > 0 ? bg : 'transparent');
  setStyle(td, 'color', fg);
  td.classList.toggle('no-score', score === null);
  td.classList.toggle('empty', krs === 0);
  const [s, cov] = cellText(score, krs, w);
  let sEl = td.firstElementChild as HTMLElement | null;
  let cEl = td.lastElementChild as HTMLElement | null;
  if (!sEl || !cEl || sEl === cEl) {
    sEl = h('span', { class: 'cell-score' });
    cEl = h('span', { class: 'cell-cov' });
    td.replaceChildren(sEl, cEl);
  }
  setText(sEl, s);
  setText(cEl, cov);
}

/**
 * What a heat-map cell shows: the score ("73%", "–" without one) and its coverage ("5/8"),
 * or nothing at all where the member has no key result in the pillar.
 */
export function cellText(score: number | null | undefined, krs: number, withDataCount: number): [string, string] {
  if (!krs) return ['', ''];
  return [pct(score), `${count(withDataCount)}/${count(krs)}`];
}
