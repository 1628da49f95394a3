// /wall: the meeting-room projector. No controls, no scrolling; ?rotate=N switches every N
// seconds between the main panel, the productivity panel and the focus-area panel.
//
// Every element watches the part of the document it shows (model.ts): a report on one key
// result redraws that member's heat-map row, its pillar's tile, the totals, the focus area and
// the ticker's new line, and nothing else.

import '../styles/wall.css';
import { get } from '../api';
import { statusBadge } from '../badge';
import { h, setText } from '../dom';
import { count, pct } from '../format';
import { connectLive } from '../live';
import { initialPeriod } from '../period';
import type { YearReport } from '../protocol';
import { watch } from '../reactive';
import { mainPanel } from './wall-main';
import { focusPanel, productivityPanel } from './wall-panels';
import { joinBox, ticker } from './wall-side';
import { session } from '../session';

export function renderWall(root: HTMLElement): void {
  document.documentElement.classList.add('wall-mode');
  document.title = 'APO Productivity Dashboard · Wall';
  const period = initialPeriod();
  const live = connectLive(period);
  const model = live.model;

  const overall = h('span', { class: 'kpi-value', 'data-testid': 'overall-score' });
  const completeness = h('span', { class: 'kpi-value', 'data-testid': 'completeness' });
  const header = h(
    'header',
    { class: 'wall-head' },
    h('h1', {}, 'APO Productivity Dashboard', h('span', { class: 'wall-period' }, h('span', { class: 'wall-sep' }, ' · '), `SPP 2026–28 · ${period}`)),
    h('div', { class: 'kpi' }, h('span', { class: 'kpi-label' }, 'Overall'), overall),
    h('div', { class: 'kpi' }, h('span', { class: 'kpi-label' }, 'Reported'), completeness),
    statusBadge(live),
  );
  watch(() => {
    if (model.loaded.value) setText(overall, pct(model.overall.value?.score));
  });
  watch(() => {
    const c = model.completeness.value;
    if (!c) return;
    // While primers are drafted nothing is expected yet: how many key results there are.
    setText(completeness, c.expected ? `${count(c.reported)} / ${count(c.expected)}` : `${count(model.key_results.keys.value.length)} KRs`);
  });

  const main = mainPanel(model);
  const prodHolder = h('div', { class: 'wall-panel', 'data-panel': 'productivity', hidden: true });
  const panels = [
    h('div', { class: 'wall-panel wall-main', 'data-panel': 'main' }, main.tiles, main.heat, h('div', { class: 'wall-side' }, main.primers, ticker(model.recent), joinBox(live, session()))),
    prodHolder,
    h('div', { class: 'wall-panel', 'data-panel': 'focus', hidden: true }, focusPanel(model)),
  ];
  const wall = h('div', { class: 'wall' }, header, h('main', { class: 'wall-body' }, ...panels));
  root.append(wall);
  // While the data may be old, the room sees it dimmed (the badge says since when).
  live.onState((l) => (wall.dataset.live = l.state.kind));

  get<YearReport>('/productivity')
    .then((r) => prodHolder.append(productivityPanel(r)))
    .catch(() => prodHolder.append(productivityPanel(null)));
  const rotate = Number(new URLSearchParams(location.search).get('rotate'));
  if (Number.isFinite(rotate) && rotate > 0) {
    let shown = 0;
    setInterval(() => {
      panels[shown]?.setAttribute('hidden', '');
      shown = (shown + 1) % panels.length;
      panels[shown]?.removeAttribute('hidden');
    }, Math.max(5, rotate) * 1000);
  }
}
