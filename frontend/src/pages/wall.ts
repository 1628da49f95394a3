// /wall: the meeting-room projector. No controls, no scrolling, no mouse cursor. The panel on
// the left follows the phase (wall-data.ts, `wallPhase`): while primers are drafted, what is
// being written (wall-drafting.ts); once actuals arrive, the scores (wall-main.ts). ?rotate=N
// switches every N seconds between that panel, the productivity panel and (while monitoring)
// the focus-area panel; the right column, the latest changes and the join code with its QR
// code, stays beside every one of them.
//
// Every element watches the part of the document it shows (model.ts): a report on one key
// result redraws that member's heat-map row, its pillar's tile, the totals, the focus area and
// the ticker's new line, and nothing else.

import '../styles/wall.css';
import { computed } from '@preact/signals-core';
import { get } from '../api';
import { statusBadge } from '../badge';
import { h, setText } from '../dom';
import { count, pct } from '../format';
import { connectLive } from '../live';
import { initialPeriod } from '../period';
import type { YearReport } from '../protocol';
import { watch } from '../reactive';
import { session } from '../session';
import { draftPrimers, memberNames, wallPhase } from './wall-data';
import type { Phase } from './wall-data';
import { draftingPanel } from './wall-drafting';
import { mainPanel } from './wall-main';
import { focusPanel, productivityPanel } from './wall-panels';
import { exchangesPanel } from './projects-wall';
import { accreditationBox } from './accreditations-wall';
import { gpPanel } from './gp-wall';
import { joinBox, ticker } from './wall-side';

export function renderWall(root: HTMLElement): void {
  document.documentElement.classList.add('wall-mode');
  document.title = 'APO Productivity Dashboard · Wall';
  const period = initialPeriod();
  const live = connectLive(period);
  const model = live.model;
  const names = memberNames(model);
  const phase = computed<Phase>(() => (model.loaded.value ? wallPhase(model.completeness.value?.reported) : 'monitoring'));

  // The header's two numbers: the score and what is reported while monitoring; while
  // drafting, primers in (submitted or endorsed) and key results written.
  const kpi = (label: string, testid: string) => {
    const value = h('span', { class: 'kpi-value', 'data-testid': testid });
    return { value, el: h('div', { class: 'kpi' }, h('span', { class: 'kpi-label' }, label), value) };
  };
  const overall = kpi('Overall', 'overall-score');
  const reported = kpi('Reported', 'completeness');
  const primersIn = kpi('Primers in', 'kpi-primers');
  const krsWritten = kpi('Key results', 'kpi-krs');
  const header = h(
    'header',
    { class: 'wall-head' },
    h('h1', {}, 'APO Productivity Dashboard', h('span', { class: 'wall-period' }, h('span', { class: 'wall-sep' }, ' · '), `SPP 2026–28 · ${period}`)),
    overall.el,
    reported.el,
    primersIn.el,
    krsWritten.el,
    statusBadge(live),
  );
  watch(() => {
    const drafting = phase.value === 'drafting';
    overall.el.hidden = drafting;
    reported.el.hidden = drafting;
    primersIn.el.hidden = !drafting;
    krsWritten.el.hidden = !drafting;
  });
  watch(() => {
    if (model.loaded.value) setText(overall.value, pct(model.overall.value?.score));
  });
  watch(() => {
    const c = model.completeness.value;
    if (c) setText(reported.value, `${count(c.reported)} / ${count(c.expected)}`);
  });
  watch(() => {
    const p = model.primers.value;
    if (p) setText(primersIn.value, `${count(p.submitted + p.endorsed)} / ${count(model.members.keys.value.length)}`);
  });
  watch(() => {
    if (model.loaded.value) setText(krsWritten.value, count(model.key_results.keys.value.length));
  });

  const prodHolder = h('div', { class: 'wall-panel', 'data-panel': 'productivity', hidden: true });
  const monitor = h('div', { class: 'wall-panel', 'data-panel': 'main' }, mainPanel(model, names));
  const drafting = h('div', { class: 'wall-panel', 'data-panel': 'drafting', hidden: true }, draftingPanel(model, names, draftPrimers(model)));
  const focus = h('div', { class: 'wall-panel', 'data-panel': 'focus', hidden: true }, focusPanel(model));
  const bcn = h('div', { class: 'wall-panel', 'data-panel': 'exchanges', hidden: true }, exchangesPanel(live));
  // GP 2.0 (issue 23): initiatives by member and theme, in the monitoring rotation.
  const gp = h('div', { class: 'wall-panel', 'data-panel': 'gp', hidden: true }, gpPanel(live));
  // Accreditation (issue 23): in the right column, so a certificate conferred is seen whatever panel shows.
  const side = h('div', { class: 'wall-side' }, ticker(model), accreditationBox(live), joinBox(live, session()));
  const panels = h('div', { class: 'wall-panels' }, monitor, drafting, prodHolder, focus, bcn, gp);
  const wall = h('div', { class: 'wall' }, header, h('main', { class: 'wall-body' }, panels, side));
  root.append(wall);
  // While the data may be old, the room sees it dimmed (the badge says since when).
  live.onState((l) => (wall.dataset.live = l.state.kind));

  get<YearReport>('/productivity')
    .then((r) => prodHolder.append(productivityPanel(r, names)))
    .catch(() => prodHolder.append(productivityPanel(null, names)));

  // What rotates: the phase's own panel first, then the others.
  const slots = computed(() => (phase.value === 'drafting' ? [drafting, prodHolder] : [monitor, prodHolder, focus, bcn, gp]));
  let shown = 0;
  const show = () => {
    const list = slots.peek();
    const current = list[shown % list.length];
    for (const p of [monitor, drafting, prodHolder, focus, bcn, gp]) p.hidden = p !== current;
    wall.dataset.phase = phase.peek();
    wall.dataset.showing = current?.dataset.panel ?? '';
  };
  watch(() => {
    void slots.value;
    show();
  });
  const rotate = Number(new URLSearchParams(location.search).get('rotate'));
  if (Number.isFinite(rotate) && rotate > 0) {
    setInterval(() => {
      shown = (shown + 1) % slots.peek().length;
      show();
    }, Math.max(5, rotate) * 1000);
  }
}
