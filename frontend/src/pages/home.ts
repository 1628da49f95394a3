// The landing page: what each view is for.

import { statusBadge } from '../badge';
import { h } from '../dom';
import { connectLive } from '../live';
import { navBar } from '../nav';
import { initialPeriod } from '../period';

const VIEWS: [string, string, string][] = [
  ['/wall', 'Wall', 'the meeting-room projector: pillars, members × pillars, primers, latest changes'],
  ['/delegate', 'Delegate', 'your member: primer, key results, report an actual (phone friendly)'],
  ['/secretariat', 'Secretariat', 'results beside budgets, completeness, off-track and missing reports, replay'],
  ['/members/VNM', 'Members', 'one member: key results with progress, pillar scores, national context'],
  ['/productivity', 'Productivity', 'labour productivity, ranks, composite index and map (Penn World Table)'],
];

export function renderHome(root: HTMLElement): void {
  const live = connectLive(initialPeriod());
  document.title = 'APO Productivity Dashboard';
  root.append(
    navBar(statusBadge(live), 'APO Productivity Dashboard'),
    h('main', { class: 'page' }, h('ul', { class: 'views' }, ...VIEWS.map(([href, name, what]) => h('li', {}, h('a', { href }, name), ` — ${what}`)))),
  );
}
