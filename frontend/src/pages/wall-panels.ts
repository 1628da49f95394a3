// The wall's other panels for ?rotate=N: productivity (labour productivity per worker, ranked,
// with the APO21 level; from GET /productivity, drawn once) and focus areas (chosen by how
// many members, with their scores; live, each row watching its area). Members by name.

import type { ReadonlySignal } from '@preact/signals-core';
import { computed } from '@preact/signals-core';
import { h, setStyle, setText } from '../dom';
import { count, money, pct, plural } from '../format';
import type { DocModel } from '../model';
import { stableList } from '../model';
import { OKABE_ITO, wallScoreColour } from '../palette';
import type { YearReport } from '../protocol';
import { each, watch } from '../reactive';
import type { NameOf } from './wall-data';

export function productivityPanel(report: YearReport | null, names: ReadonlySignal<NameOf>): HTMLElement {
  const el = h('section', { class: 'panel-prod', 'aria-label': 'Labour productivity' });
  if (!report) {
    el.append(h('h2', {}, 'Labour productivity'), h('p', {}, 'Productivity data unavailable.'));
    return el;
  }
  const rows = Object.entries(report.members)
    .filter(([, m]) => m.lp_worker != null)
    .sort((a, b) => (b[1].lp_worker ?? 0) - (a[1].lp_worker ?? 0));
  const max = Math.max(1, ...rows.map(([, m]) => m.lp_worker ?? 0));
  const apo = report.apo21.lp_worker;
  const half = Math.ceil(rows.length / 2);
  const col = (part: typeof rows) =>
    h(
      'ol',
      { class: 'bars' },
      ...part.map(([iso3, m]) =>
        h(
          'li',
          {},
          h('span', { class: 'bar-rank' }, count(m.rank_lp_worker)),
          nameOf(iso3, names),
          h('span', { class: 'bar-track' }, h('span', { class: 'bar', style: `width:${(100 * (m.lp_worker ?? 0)) / max}%;background:${(m.lp_worker ?? 0) >= (apo ?? 0) ? OKABE_ITO.blue : OKABE_ITO.orange}` })),
          h('span', { class: 'bar-value' }, money(m.lp_worker)),
        ),
      ),
    );
  el.append(
    h('h2', {}, `Output per worker, ${report.year} (2011 US$ at PPP)`),
    h('p', { class: 'panel-note' }, `APO21: ${money(apo)} per worker (${count(report.apo21.members)} members) · blue at or above APO21, orange below`),
    h('div', { class: 'bar-cols' }, col(rows.slice(0, half)), col(rows.slice(half))),
    h('p', { class: 'attribution' }, 'Source: Penn World Table 9.1 (Feenstra, Inklaar and Timmer 2015), www.ggdc.net/pwt, CC BY 4.0'),
  );
  return el;
}

/** Focus areas shown: the most chosen (what fits the panel at 1280×720). */
const FOCUS_SHOWN = 13;

export function focusPanel(model: DocModel): HTMLElement {
  const list = h('ol', { class: 'bars focus-bars' });
  const el = h('section', { class: 'panel-focus', 'aria-label': 'Focus areas' }, h('h2', {}, 'Focus areas: chosen by members, and their score'), list);
  const total = computed(() => model.members.keys.value.length || 21);
  // Which areas, in which order: recomputed when any area changes, but a new order (and so a
  // new list) only when the ranking does; each row watches its own area.
  const order = stableList(() =>
    Object.entries(model.focus_areas.read())
      .sort((a, b) => b[1].chosen_by - a[1].chosen_by || a[0].localeCompare(b[0]))
      .slice(0, FOCUS_SHOWN)
      .map(([name]) => name),
  );
  each(
    list,
    order,
    (name) => {
      const bar = h('span', { class: 'bar', style: `background:${OKABE_ITO.skyBlue}` });
      const counts = h('span', { class: 'bar-value' });
      const score = h('span', { class: 'bar-value focus-score' });
      watch(() => {
        const f = model.focus_areas.entry(name).value;
        if (!f) return;
        setStyle(bar, 'width', `${(100 * f.chosen_by) / total.value}%`);
        setText(counts, `${plural(f.chosen_by, 'member')} · ${plural(f.krs, 'KR')}`);
        const c = wallScoreColour(f.score);
        setStyle(score, 'background', c.bg);
        setStyle(score, 'color', c.fg);
        setText(score, pct(f.score));
      });
      return h('li', { 'data-focus': name }, h('span', { class: 'bar-label focus-label', title: name }, name), h('span', { class: 'bar-track' }, bar), counts, score);
    },
    { empty: h('li', {}, 'No focus areas yet') },
  );
  return el;
}

function nameOf(iso3: string, names: ReadonlySignal<NameOf>): HTMLElement {
  const el = h('span', { class: 'bar-label', title: iso3 });
  watch(() => setText(el, names.value(iso3), false));
  return el;
}
