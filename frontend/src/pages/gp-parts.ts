// Pieces of the GP 2.0 page: the legend of the count shading, and one initiative as people read
// it (title, theme, type, sector, years, status, outcomes with their units).

import { h } from '../dom';
import { count } from '../format';
import { type GpInitiative, NONE, STATUS_LABEL, TYPE_LABEL, countColour, humanize, legendSteps, outcomesText, yearsText } from './gp-model';

/** The shades the map and the matrix use, each with its count, and white for none recorded. */
export function gpLegend(max: number, noun: string, dark = false): HTMLElement {
  const steps = legendSteps(max);
  const items = steps.map((n) => {
    const c = countColour(n, max);
    return h('li', { class: 'gp-key' }, h('span', { class: 'gp-swatch', style: `background:${c.bg}` }), count(n));
  });
  return h(
    'div',
    { class: `gp-legend${dark ? ' dark' : ''}` },
    h('span', { class: 'gp-legend-title' }, `${humanize(noun)}s:`),
    h(
      'ul',
      {},
      h('li', { class: 'gp-key' }, h('span', { class: 'gp-swatch gp-swatch-none', style: `background:${NONE.bg}` }), 'none recorded'),
      ...items,
    ),
    dark ? null : h('span', { class: 'gp-legend-other' }, h('span', { class: 'gp-swatch', style: 'background:#dde3e8' }), 'not an APO member'),
  );
}

export function initiativeItem(i: GpInitiative, themeLabel: (id: string) => string, sectorLabel: (id: string) => string = humanize): HTMLElement {
  const outcomes = outcomesText(i);
  return h(
    'li',
    { class: `gp-item status-${i.status}`, 'data-id': i.id },
    h('span', { class: 'gp-item-title' }, i.title),
    h(
      'p',
      { class: 'gp-item-meta' },
      h('span', { class: 'pill gp-theme-pill' }, themeLabel(i.theme)),
      ` ${TYPE_LABEL[i.type] ?? humanize(i.type)} · ${sectorLabel(i.sector)} · ${yearsText(i.start_year, i.end_year)} · `,
      h('strong', {}, STATUS_LABEL[i.status] ?? humanize(i.status)),
    ),
    outcomes.length ? h('ul', { class: 'gp-outcomes' }, ...outcomes.map((o) => h('li', {}, o))) : h('p', { class: 'muted gp-outcomes-none' }, 'No outcome reported yet.'),
  );
}
