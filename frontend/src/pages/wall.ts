// /wall: the meeting-room projector. No controls, no scrolling; ?rotate=N switches every N
// seconds between the main panel, the productivity panel and the focus-area panel.

import '../styles/wall.css';
import { get } from '../api';
import { statusBadge } from '../badge';
import { h, setText } from '../dom';
import { count, pct } from '../format';
import { connectLive } from '../live';
import { initialPeriod } from '../period';
import type { Dashboard, KrDoc, Op, Recent, YearReport } from '../protocol';
import { mainPanel } from './wall-main';
import { focusPanel, productivityPanel } from './wall-panels';
import type { TickerItem } from './wall-side';
import { fromRecent, joinBox, ticker } from './wall-side';

export function renderWall(root: HTMLElement): void {
  document.documentElement.classList.add('wall-mode');
  document.title = 'APO Productivity Dashboard · Wall';
  const period = initialPeriod();
  const live = connectLive(period);

  const overall = h('span', { class: 'kpi-value', 'data-testid': 'overall-score' });
  const completeness = h('span', { class: 'kpi-value', 'data-testid': 'completeness' });
  const header = h(
    'header',
    { class: 'wall-head' },
    h('h1', {}, 'APO Productivity Dashboard', h('span', { class: 'wall-period' }, ` · SPP 2026–28 · ${period}`)),
    h('div', { class: 'kpi' }, h('span', { class: 'kpi-label' }, 'Overall'), overall),
    h('div', { class: 'kpi' }, h('span', { class: 'kpi-label' }, 'Reported'), completeness),
    statusBadge(live),
  );

  const main = mainPanel();
  const tick = ticker();
  const focus = focusPanel();
  const prodHolder = h('div', { class: 'wall-panel', 'data-panel': 'productivity', hidden: true });
  const panels = [
    h('div', { class: 'wall-panel wall-main', 'data-panel': 'main' }, main.tiles, main.heat, h('div', { class: 'wall-side' }, main.primers, tick.el, joinBox(live))),
    prodHolder,
    h('div', { class: 'wall-panel', 'data-panel': 'focus', hidden: true }, focus.el),
  ];
  const wall = h('div', { class: 'wall' }, header, h('main', { class: 'wall-body' }, ...panels));
  root.append(wall);
  // While the data may be old, the room sees it dimmed (the badge says since when).
  live.onState((l) => (wall.dataset.live = l.state.kind));

  // Key results that appear in a patch (a primer being drafted in the room) get a ticker line of
  // their own: the audit log only says that the primer changed.
  let drafted: TickerItem[] = [];
  live.subscribe((doc, change) => {
    if (change.kind === 'snapshot') drafted = [];
    drafted = [...newKeyResults(doc, change.ops, change.events), ...drafted].slice(0, 12);
    main.update(doc);
    tick.update([...drafted, ...fromRecent(doc.recent)]);
    focus.update(doc);
    setText(overall, pct(doc.overall.score));
    const c = doc.completeness;
    setText(completeness, c.expected ? `${count(c.reported)} / ${count(c.expected)}` : `${count(Object.values(doc.key_results).length)} KRs`);
  });

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

function newKeyResults(doc: Dashboard, ops: readonly Op[], events: readonly Recent[]): TickerItem[] {
  const primerEvent = events.find((e) => e.entity === 'primer');
  const at = primerEvent?.at ?? new Date().toISOString();
  return ops
    .filter((o) => o.op === 'set' && o.path.length === 2 && o.path[0] === 'key_results')
    .map((o) => doc.key_results[o.path[1] as string])
    .filter((k): k is KrDoc => k !== undefined)
    .map((k) => ({ key: `kr|${k.iso3}/${k.code}|${at}`, at, who: primerEvent?.actor || k.iso3, what: `new key result ${k.code}: ${k.title}` }));
}
