// /projects: the project notifications, filtered by programme, pillar, member and "open for
// applications" (the filters are the query of GET /projects, kept in the address so a reload
// or a shared link shows the same list). Each closing date is shown with the days left, as
// the server counts them; a row opens /projects/{code}. A live change to any project fetches
// the list again.

import '../styles/projects.css';
import { get } from '../api';
import { statusBadge } from '../badge';
import { h } from '../dom';
import { connectLive } from '../live';
import { navBar } from '../nav';
import { initialPeriod } from '../period';
import type { Member } from '../protocol';
import { CLOSES, type Project, type ProjectFilters, dateText, daysLeftText, filtersFrom, filtersQuery, isOpen, membersText, STATUS_TEXT, touchesProject } from './projects-model';

const PILLARS: [string, string][] = [
  ['', 'Any pillar'],
  ['1', 'Pillar 1'],
  ['2', 'Pillar 2'],
  ['3', 'Pillar 3'],
  ['4', 'Pillar 4'],
];

/** The closing dates of a notification, each with its days left ("closed" once passed). */
export function closingList(p: Project): HTMLElement {
  const rows = p.closing ?? [];
  const list = h('ul', { class: 'closing-list' });
  for (const c of rows) {
    const left = daysLeftText(c.days_left);
    list.append(
      h(
        'li',
        { class: c.days_left < 0 ? 'closed' : 'open', 'data-days-left': String(c.days_left) },
        h('span', { class: 'closing-date' }, dateText(c.date)),
        ' ',
        h('span', { class: `days-left ${c.days_left < 0 ? 'is-closed' : 'is-open'}` }, left),
        c.remark ? h('span', { class: 'muted closing-remark' }, ` · ${c.remark}`) : ` · ${CLOSES[c.for]}`,
      ),
    );
  }
  if (p.open_all_year?.trim()) list.append(h('li', { class: 'open' }, h('span', { class: 'days-left is-open' }, 'open all year'), h('span', { class: 'muted closing-remark' }, ` · ${p.open_all_year}`)));
  if (!list.childElementCount) list.append(h('li', { class: 'muted' }, 'No closing date'));
  return list;
}

export function renderProjects(root: HTMLElement): void {
  document.title = 'APO Dashboard · Projects';
  const live = connectLive(initialPeriod());
  const f = filtersFrom(location.search);
  const programSel = h('select', { id: 'f-program', 'data-testid': 'filter-program' }, h('option', { value: '' }, 'Any programme'));
  const pillarSel = h('select', { id: 'f-pillar', 'data-testid': 'filter-pillar' }, ...PILLARS.map(([v, t]) => h('option', { value: v }, t)));
  const memberSel = h('select', { id: 'f-member', 'data-testid': 'filter-member' }, h('option', { value: '' }, 'Any member'));
  const openBox = h('input', { type: 'checkbox', id: 'f-open', 'data-testid': 'filter-open', checked: f.open });
  const status = h('p', { class: 'muted', role: 'status', 'aria-live': 'polite', 'data-testid': 'projects-status' }, 'Loading…');
  const list = h('ul', { class: 'project-list', 'data-testid': 'project-list' });
  const main = h(
    'main',
    { class: 'page projects-page', 'data-loading': '' },
    h(
      'fieldset',
      { class: 'controls project-filters' },
      h('legend', {}, 'Show'),
      h('label', { for: 'f-program' }, 'Programme', programSel),
      h('label', { for: 'f-pillar' }, 'Pillar', pillarSel),
      h('label', { for: 'f-member' }, 'Member', memberSel),
      h('label', { class: 'check big-check', for: 'f-open' }, openBox, ' Open for applications'),
    ),
    status,
    list,
  );
  root.append(navBar(statusBadge(live), 'Project notifications'), main);

  let names = new Map<string, string>();
  let seq = 0;
  const current = (): ProjectFilters => ({ program: programSel.value, pillar: pillarSel.value, member: memberSel.value, open: openBox.checked });

  const draw = (projects: Project[]) => {
    list.replaceChildren(...projects.map((p) => projectItem(p, names)));
    status.textContent = projects.length ? `${projects.length} notification${projects.length === 1 ? '' : 's'}` : 'No notification matches these filters.';
    main.dataset.codes = projects.map((p) => p.code).join(' ');
  };
  const load = async () => {
    const q = filtersQuery(current());
    const mine = ++seq;
    const projects = await get<Project[]>(`/projects${q}`);
    if (mine !== seq) return;
    draw(projects);
  };
  const fail = (e: unknown) => {
    status.textContent = `Could not load the notifications: ${String(e)}`;
    status.className = 'form-status err';
  };
  const changed = () => {
    history.replaceState(history.state, '', `${location.pathname}${filtersQuery(current())}`);
    void load().catch(fail);
  };
  for (const el of [programSel, pillarSel, memberSel, openBox]) el.addEventListener('change', changed);

  Promise.all([get<Member[]>('/members'), get<Project[]>('/projects')])
    .then(([members, all]) => {
      names = new Map(members.map((m) => [m.iso3, m.name]));
      const programs = [...new Set(all.map((p) => p.program ?? '').filter(Boolean))].sort();
      programSel.append(...programs.map((p) => h('option', { value: p }, p)));
      memberSel.append(...members.map((m) => h('option', { value: m.iso3 }, m.name)));
      programSel.value = programs.includes(f.program) ? f.program : '';
      pillarSel.value = f.pillar;
      memberSel.value = names.has(f.member) ? f.member : '';
      return load();
    })
    .catch(fail)
    .finally(() => main.removeAttribute('data-loading'));

  live.subscribe((_doc, change) => {
    if (names.size && touchesProject(change, null)) void load().catch(fail);
  });
}

/** One notification of the list: a link to its page with what decides whether to read it. */
function projectItem(p: Project, names: ReadonlyMap<string, string>): HTMLElement {
  const href = `/projects/${encodeURIComponent(p.code)}`;
  const open = isOpen(p);
  return h(
    'li',
    { class: `project-item ${open ? 'is-open' : 'is-closed'}`, 'data-code': p.code },
    h(
      'a',
      { class: 'project-link', href },
      h('span', { class: 'project-code' }, p.code),
      h('span', { class: 'project-title' }, p.title),
    ),
    h(
      'p',
      { class: 'project-meta' },
      h('span', { class: 'pill' }, p.program ?? '–'),
      ` Pillar ${p.pillar} · ${STATUS_TEXT[p.status]}`,
      p.reference ? ` · Ref. ${p.reference}` : '',
      ` · Hosts: ${membersText(p.hosts, names)}`,
    ),
    closingList(p),
  );
}
