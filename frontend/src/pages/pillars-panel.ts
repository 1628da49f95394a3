// The per-pillar view of the Secretariat page (issue 22, "Done when": per pillar, results beside
// budget beside the projects that serve it, all live). One card per Vision 2030 pillar:
//
// - its result: the score and the key results by status, from the live document (each card
//   watches its pillar in the model, so a patch that moves the score redraws that card alone);
// - its budget of the period's year (GET /budgets/pillars?year=Y): planned and spent, regional
//   and member-level, and how much of it is assigned to projects: project budgets are a
//   breakdown of the pillar budget, so the total never moves when a project's budget does;
// - the projects that serve it (GET /projects?pillar=N), each with its part of that budget and a
//   link to its notification.
//
// The budgets and the projects are fetched again when a live change to a budget or a project
// arrives (or a new document: another period, a reconnect); the figures that changed flash.
// The panel follows the live document, not a replayed revision (the budgets have no replay).

import '../styles/pillars.css';
import { describeError, get } from '../api';
import { flashEl, h, setText } from '../dom';
import { count, money, pct } from '../format';
import type { Live } from '../live';
import { STATUS_COLOUR, STATUS_LABEL, STATUS_TEXT } from '../palette';
import type { ReadonlySignal } from '@preact/signals-core';
import type { KrStatus } from '../protocol';
import { PILLARS } from '../protocol';
import { watch } from '../reactive';
import { dataTable, scrollBox } from '../table';
import { assignedRatio, partsKey, type PillarView, pillarView, touchesBudgets } from './pillars-model';
import { type PillarBudget, type Project, STATUS_TEXT as PROJECT_STATUS } from './projects-model';

const STATUSES: KrStatus[] = ['achieved', 'on_track', 'at_risk', 'off_track', 'no_data'];

/** The elements of one card that change, kept so a redraw sets text (and flashes) rather than rebuilding. */
interface Card {
  el: HTMLElement;
  name: HTMLElement;
  budget: HTMLElement;
  budgetHead: HTMLElement;
  planned: HTMLElement;
  spent: HTMLElement;
  spentShare: HTMLElement;
  assigned: HTMLElement;
  unassigned: HTMLElement;
  bar: HTMLElement;
  barFill: HTMLElement;
  parts: HTMLElement;
  projectsHead: HTMLElement;
  projects: HTMLElement;
}

/** `replaying`: whether the page above shows a past revision (this panel stays live, and says so). */
export function pillarsPanel(live: Live, replaying?: ReadonlySignal<boolean>): HTMLElement {
  const heading = h('h2', { id: 'pillars-heading' }, 'Pillars: results, budget and the projects that serve them');
  const status = h('p', { class: 'muted', role: 'status', 'aria-live': 'polite' }, 'Loading…');
  const liveNote = h('p', { class: 'form-status', hidden: true }, 'These cards stay live: they show the current figures, not the revision being replayed.');
  if (replaying) watch(() => (liveNote.hidden = !replaying.value));
  const cards = PILLARS.map((p) => card(live, Number(p)));
  const section = h(
    'section',
    { class: 'pillars-panel', 'data-testid': 'pillars-panel', 'aria-labelledby': 'pillars-heading' },
    heading,
    liveNote,
    status,
    h('div', { class: 'pillar-cards' }, ...cards.map((c) => c.el)),
  );

  let seq = 0;
  let loads = 0;
  let requested: number | null = null;
  const load = async () => {
    const mine = ++seq;
    const year = live.period;
    requested = year;
    const [budgets, ...lists] = await Promise.all([get<PillarBudget[]>(`/budgets/pillars?year=${year}`), ...PILLARS.map((p) => get<Project[]>(`/projects?pillar=${p}`))]);
    if (mine !== seq) return;
    setText(heading, `Pillars in ${year}: results, budget and the projects that serve them`, false);
    PILLARS.forEach((p, i) => {
      const c = cards[i];
      if (c) drawBudget(c, pillarView(Number(p), year, budgets, lists[i] ?? []));
    });
    status.textContent = '';
    status.className = 'muted';
    section.dataset.year = String(year);
    section.dataset.loads = String(++loads);
  };
  const fail = (e: unknown) => {
    status.className = 'form-status err';
    status.textContent = `Could not load the pillars' budgets and projects: ${describeError(e)}`;
  };
  void load().catch(fail);
  let first = true;
  live.subscribe((_d, change) => {
    // The first snapshot is of the period the load above already asked for.
    const skip = first && change.kind === 'snapshot' && requested === live.period;
    first = false;
    if (!skip && touchesBudgets(change)) void load().catch(fail);
  });
  return section;
}

/** A pillar's card: its result drawn from the live model at once; the budget and projects when loaded. */
function card(live: Live, pillar: number): Card {
  const key = String(pillar);
  const name = h('span', { class: 'pillar-name' });
  const score = h('span', { class: 'pillar-score', 'data-testid': `pillar-score-${pillar}` }, '–');
  const scored = h('span', { class: 'muted' });
  const krs = h('p', { class: 'pillar-krs' });
  const counts = STATUSES.map(() => h('span', { class: 'n' }, '–'));
  const statusList = h(
    'ul',
    { class: 'status-counts', 'aria-label': 'Key results by status' },
    ...STATUSES.map((s, i) => h('li', { 'data-status': s, style: `background:${STATUS_COLOUR[s]};color:${STATUS_TEXT[s]}` }, counts[i] ?? '', ` ${STATUS_LABEL[s]}`)),
  );
  const result = h('div', { class: 'pillar-result', 'data-testid': `pillar-result-${pillar}` }, h('p', { class: 'pillar-score-line' }, score, scored), statusList, krs);

  watch(() => {
    const x = live.model.pillars.entry(key).value;
    if (!x) return;
    setText(name, x.name, false);
    setText(score, pct(x.score));
    setText(scored, ` score · ${count(x.members_scored)} ${x.members_scored === 1 ? 'member' : 'members'} scored`, false);
    setText(krs, `Key results with data: ${count(x.krs_with_data)} of ${count(x.krs)}`);
    // A count that changes rings its pill: a yellow flash behind white type would hide it.
    STATUSES.forEach((s, i) => {
      const c = counts[i];
      const text = count(x.status_counts[s]);
      if (!c || c.textContent === text) return;
      const first = c.textContent === '–';
      setText(c, text, false);
      if (!first && c.parentElement) flashEl(c.parentElement);
    });
    result.dataset.score = x.score === null ? '' : String(x.score);
    result.dataset.counts = STATUSES.map((s) => `${s}:${x.status_counts[s]}`).join(' ');
  });

  const planned = h('strong', { class: 'fig' }, '–');
  const spent = h('strong', { class: 'fig' }, '–');
  const spentShare = h('span', { class: 'fig-note' });
  const assigned = h('strong', { class: 'fig', 'data-testid': `pillar-assigned-${pillar}` }, '–');
  const unassigned = h('strong', { class: 'fig' }, '–');
  const barFill = h('span', { class: 'assign-fill' });
  const bar = h('div', { class: 'assign-bar', role: 'img', 'aria-label': 'Share of the planned budget assigned to projects' }, barFill);
  const parts = h('div', { class: 'budget-parts' });
  const budgetHead = h('h4', {}, 'Budget');
  const budget = h(
    'div',
    { class: 'pillar-budget', 'data-testid': `pillar-budget-${pillar}` },
    budgetHead,
    h('dl', { class: 'budget-figures' }, h('div', {}, h('dt', {}, 'Planned'), h('dd', {}, planned)), h('div', {}, h('dt', {}, 'Spent'), h('dd', {}, spent, spentShare))),
    bar,
    h('dl', { class: 'budget-figures' }, h('div', { class: 'to-projects' }, h('dt', {}, 'To projects'), h('dd', {}, assigned)), h('div', { class: 'not-assigned' }, h('dt', {}, 'Not assigned'), h('dd', {}, unassigned))),
    parts,
  );
  const projectsHead = h('h4', {}, 'Projects serving it');
  const projects = h('ul', { class: 'pillar-projects', 'data-testid': `pillar-projects-${pillar}` });
  const el = h(
    'article',
    { class: 'pillar-card', 'data-pillar': key, 'aria-labelledby': `pillar-card-${pillar}` },
    h('h3', { id: `pillar-card-${pillar}` }, h('span', { class: 'pillar-no' }, `Pillar ${pillar}`), name),
    result,
    budget,
    h('div', { class: 'pillar-projects-box' }, projectsHead, projects),
  );
  return { el, name, budget, budgetHead, planned, spent, spentShare, assigned, unassigned, bar, barFill, parts, projectsHead, projects };
}

function drawBudget(c: Card, v: PillarView): void {
  const b = v.budget;
  const t = b?.total;
  setText(c.budgetHead, `Budget ${v.year}`, false);
  setText(c.planned, money(t?.planned));
  setText(c.spent, money(t?.spent));
  setText(c.spentShare, t && t.planned > 0 ? `${pct(t.spent / t.planned)} of planned` : '');
  setText(c.assigned, money(t?.assigned));
  setText(c.unassigned, t && t.unassigned < 0 ? `${money(-t.unassigned)} over` : money(t?.unassigned));
  c.unassigned.classList.toggle('over', Boolean(t && t.unassigned < 0));
  const ratio = assignedRatio(b);
  c.barFill.style.width = `${Math.round((ratio ?? 0) * 1000) / 10}%`;
  c.bar.setAttribute('aria-label', ratio === null ? 'Nothing planned' : `${pct(t ? t.assigned / t.planned : null)} of the planned budget assigned to projects`);
  // Raw figures for the e2e to compare with the API.
  Object.assign(c.budget.dataset, {
    year: String(v.year),
    planned: String(t?.planned ?? ''),
    spent: String(t?.spent ?? ''),
    assigned: String(t?.assigned ?? ''),
    unassigned: String(t?.unassigned ?? ''),
    regional: b ? `${b.regional.planned}/${b.regional.spent}/${b.regional.assigned}` : '',
    members: b ? `${b.members.planned}/${b.members.spent}/${b.members.assigned}` : '',
    consistent: String(v.consistent),
  });
  const before = texts(c.parts, 'td');
  const beforeProjects = new Map([...c.projects.querySelectorAll<HTMLElement>('li[data-code]')].map((li) => [li.dataset.code, li.textContent]));
  // Of which regional and member-level: a row per figure, a column per part (the totals are the
  // figures above, so not repeated: narrow enough for a phone).
  c.parts.replaceChildren(
    b
      ? scrollBox(
          `Pillar ${v.pillar} budget by part`,
          {},
          dataTable(
            `Of which, in ${v.year}`,
            ['', 'Regional', 'Members'],
            [
              ['Planned', money(b.regional.planned), money(b.members.planned)],
              ['Spent', money(b.regional.spent), money(b.members.spent)],
              ['To projects', money(b.regional.assigned), money(b.members.assigned)],
              ['Not assigned', money(b.regional.unassigned), money(b.members.unassigned)],
            ],
            { className: 'data budget-parts-table' },
          ),
        )
      : h('p', { class: 'muted' }, `No budget entered for ${v.year}.`),
  );

  setText(c.projectsHead, `Projects serving it (${count(v.projects.length)})`, false);
  c.projects.dataset.parts = partsKey(v.projects);
  c.projects.replaceChildren(
    ...(v.projects.length
      ? v.projects.map((p) =>
          h(
            'li',
            { 'data-code': p.code },
            h('a', { href: `/projects/${encodeURIComponent(p.code)}`, class: 'pillar-project-link' }, h('span', { class: 'project-code' }, p.code), h('span', { class: 'project-title' }, p.title)),
            h(
              'span',
              { class: 'pillar-project-amount' },
              p.total > 0 ? `${money(p.total)} in ${v.year}` : `No budget in ${v.year}`,
              p.regional > 0 && p.members > 0 ? h('span', { class: 'muted' }, ` (regional ${money(p.regional)}, members ${money(p.members)})`) : p.members > 0 ? h('span', { class: 'muted' }, ' (from members)') : '',
              p.status ? h('span', { class: 'muted' }, ` · ${PROJECT_STATUS[p.status]}`) : '',
            ),
          ),
        )
      : [h('li', { class: 'muted' }, 'No project serves this pillar yet.')]),
  );
  // What a live change altered flashes (not on the first drawing).
  if (before.length) texts(c.parts, 'td').forEach((t, i) => t !== before[i] && flashEl(c.parts.querySelectorAll('td')[i] as Element));
  if (beforeProjects.size) for (const li of c.projects.querySelectorAll<HTMLElement>('li[data-code]')) if (beforeProjects.get(li.dataset.code) !== li.textContent) flashEl(li);
}

function texts(root: Element, selector: string): string[] {
  return [...root.querySelectorAll(selector)].map((e) => e.textContent ?? '');
}
