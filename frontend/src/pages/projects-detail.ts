// /projects/{code}: a notification as people read it, in the order of the APO's own
// notifications (reference 515, 520): reference, date of issue, code, title, timing, hosts,
// venues, modality, implementing organizations, participants and their limits, closing dates
// with remarks, then the long texts; then the pillar it serves, its budget rows beside the
// pillar's budget of the year (a breakdown, never added to it: GET /budgets/pillars), and the
// key results it serves. A live change to this project (an edit of entity `project` keyed by
// its code) fetches it again, and the changed page flashes.

import '../styles/projects.css';
import { ApiError, get } from '../api';
import { statusBadge } from '../badge';
import { flashEl, h } from '../dom';
import { money } from '../format';
import { connectLive } from '../live';
import { navBar } from '../nav';
import { initialPeriod } from '../period';
import type { Dashboard, Member } from '../protocol';
import { dataTable, scrollBox } from '../table';
import { closingList } from './projects';
import { dateText, limitsText, MODALITY, membersText, type PillarBudget, type Project, STATUS_TEXT, timingText, touchesProject } from './projects-model';

export function renderProjectDetail(root: HTMLElement, code: string): void {
  document.title = `APO Dashboard · ${code}`;
  const live = connectLive(initialPeriod());
  const status = h('p', { class: 'muted', role: 'status', 'aria-live': 'polite' }, 'Loading…');
  const body = h('article', { class: 'notification', 'data-testid': 'project', 'aria-labelledby': 'project-title' });
  const main = h('main', { class: 'page projects-page', 'data-loading': '' }, h('p', {}, h('a', { href: '/projects' }, '← All notifications')), status, body);
  root.append(navBar(statusBadge(live), 'Project notification'), main);

  let names = new Map<string, string>();
  let doc: Dashboard | null = null;
  let shown: Project | null = null;
  let seq = 0;
  const load = async () => {
    const mine = ++seq;
    const p = await get<Project>(`/projects/${encodeURIComponent(code)}`);
    const years = [...new Set((p.budget ?? []).map((b) => b.year))].sort();
    const pillars = await Promise.all(years.map((y) => get<PillarBudget[]>(`/budgets/pillars?year=${y}`).catch(() => [] as PillarBudget[])));
    if (mine !== seq) return;
    const before = shown === null ? null : new Map(parts(body).map(([el, text]) => [el.dataset.part, text]));
    shown = p;
    body.replaceChildren(...notification(p, names, pillars.flat(), doc));
    body.dataset.title = p.title;
    body.dataset.rev = String(Number(body.dataset.rev ?? '0') + 1);
    document.title = `APO Dashboard · ${p.code} ${p.title}`;
    status.textContent = '';
    // What a live change altered flashes, not the whole notification.
    if (before) for (const [el, text] of parts(body)) if (before.get(el.dataset.part) !== text) flashEl(el);
  };
  const fail = (e: unknown) => {
    status.className = 'form-status err';
    status.textContent = e instanceof ApiError && e.status === 404 ? `No notification has the code ${code}.` : `Could not load the notification: ${String(e)}`;
  };
  get<Member[]>('/members')
    .then((members) => {
      names = new Map(members.map((m) => [m.iso3, m.name]));
      return load();
    })
    .catch(fail)
    .finally(() => main.removeAttribute('data-loading'));
  live.subscribe((d, change) => {
    const first = doc === null;
    doc = d;
    // The first snapshot brings the key results' titles: drawn again with them.
    if (names.size && (touchesProject(change, code) || (first && shown))) void load().catch(fail);
  });
}

/** Each part of the notification (a description, a section) with its text. */
function parts(body: HTMLElement): [HTMLElement, string][] {
  return [...body.querySelectorAll<HTMLElement>('[data-part]')].map((el) => [el, el.textContent ?? '']);
}

/** A term and its description, left out when there is nothing to say. */
function item(term: string, value: string | Node | null | undefined, testid?: string): HTMLElement[] {
  if (value === null || value === undefined || value === '' || value === '–') return [];
  return [h('dt', {}, term), h('dd', { 'data-testid': testid ?? null, 'data-part': term }, value)];
}

/** A long text, its paragraphs kept. */
function prose(title: string, text: string | undefined, id: string): HTMLElement | null {
  if (!text?.trim()) return null;
  return h('section', { class: 'prose', 'data-testid': `project-${id}`, 'data-part': id }, h('h3', {}, title), ...text.split(/\n\s*\n/).map((para) => h('p', {}, para.trim())));
}

function participantsText(limits: Record<string, number> | undefined, note: string | undefined): string {
  const l = limitsText(limits);
  if (l && note?.trim()) return `${l} (${note.trim()})`;
  return l || note?.trim() || '';
}

function notification(p: Project, names: ReadonlyMap<string, string>, pillars: PillarBudget[], doc: Dashboard | null): Node[] {
  const facts = h(
    'dl',
    { class: 'facts' },
    ...item('Reference no.', p.reference ? String(p.reference) : null, 'project-reference'),
    ...item('Date of issue', p.issued ? dateText(p.issued) : null),
    ...item('Project code', p.code, 'project-code'),
    ...item('Programme', p.program),
    ...item('Status', STATUS_TEXT[p.status]),
    ...item('Timing', timingText(p.start_date, p.end_date)),
    ...item('Hosting members', membersText(p.hosts?.length ? p.hosts : p.host_iso3 ? [p.host_iso3] : [], names)),
    ...item('Venues', (p.venues ?? []).join('; ')),
    ...item('Modality', p.modality ? MODALITY[p.modality] : null),
    ...item('Implementing organizations', (p.implementing ?? []).join('; ')),
    ...item('Participating members', membersText(p.participants, names)),
    ...item('Overseas participants', participantsText(p.overseas_limit, p.overseas_note), 'project-overseas'),
    ...item('Local participants', participantsText(p.local_limit, p.local_note)),
  );
  const closing = h('section', { class: 'closing', 'data-testid': 'project-closing', 'data-part': 'closing' }, h('h3', {}, 'Closing dates'), closingList(p));
  return [
    h('h2', { id: 'project-title', class: 'notification-title', 'data-testid': 'project-title', 'data-part': 'title' }, p.title),
    facts,
    closing,
    prose('Objectives', p.objectives, 'objectives'),
    prose('Rationale', p.rationale, 'rationale'),
    prose('Background', p.background, 'background'),
    prose('Topics', p.topics, 'topics'),
    prose('Outcome', p.outcome, 'outcome'),
    prose('Qualifications of participants', p.qualifications, 'qualifications'),
    pillarSection(p, names, pillars),
    keyResults(p, names, doc),
  ].filter((n): n is HTMLElement => n !== null);
}

/** The pillar, the project's budget rows, and the pillar's budget of each of those years they are part of. */
function pillarSection(p: Project, names: ReadonlyMap<string, string>, pillars: PillarBudget[]): HTMLElement {
  const mine = pillars.filter((b) => b.pillar === p.pillar);
  const name = mine[0]?.name;
  const rows = (p.budget ?? []).map((b) => [String(b.year), b.iso3 ? `${names.get(b.iso3) ?? b.iso3} (member allocation)` : 'Regional', money(b.amount)]);
  const section = h('section', { class: 'pillar', 'data-testid': 'project-budget', 'data-part': 'budget' }, h('h3', {}, `Pillar ${p.pillar}${name ? `: ${name}` : ''}`));
  if (!rows.length) {
    section.append(h('p', { class: 'muted' }, 'No budget assigned to this project.'));
    return section;
  }
  section.append(scrollBox('Project budget', {}, dataTable('Budget of this project (a part of the pillar budget)', ['Year', 'From', 'Amount'], rows, { numericFrom: 2 })));
  if (mine.length) {
    // A row per figure and a column per year: narrow enough for a phone without scrolling.
    const share = (b: PillarBudget) => {
      const s = b.projects.find((x) => x.code === p.code);
      return (s?.regional ?? 0) + (s?.members ?? 0);
    };
    const pillarRows: string[][] = [
      ['Planned for the pillar', ...mine.map((b) => money(b.total.planned))],
      ['Assigned to projects', ...mine.map((b) => money(b.total.assigned))],
      ['Of which this project', ...mine.map((b) => money(share(b)))],
      ['Not assigned', ...mine.map((b) => money(b.total.unassigned))],
    ];
    section.append(scrollBox('Pillar budget', {}, dataTable(`Pillar ${p.pillar} budget, of which this project is a part`, ['', ...mine.map((b) => String(b.year))], pillarRows)));
  }
  return section;
}

function keyResults(p: Project, names: ReadonlyMap<string, string>, doc: Dashboard | null): HTMLElement {
  const krs = p.key_results ?? [];
  const section = h('section', { class: 'krs', 'data-testid': 'project-krs', 'data-part': 'krs' }, h('h3', {}, 'Key results it serves'));
  if (!krs.length) {
    section.append(h('p', { class: 'muted' }, 'None named.'));
    return section;
  }
  const all = doc ? Object.values(doc.key_results) : [];
  section.append(
    h(
      'ul',
      { class: 'kr-links' },
      ...krs.map((k) => {
        const kr = all.find((d) => d.iso3 === k.iso3 && d.code === k.kr_code);
        return h('li', {}, h('a', { href: `/members/${k.iso3}` }, `${names.get(k.iso3) ?? k.iso3} · ${k.kr_code}`), kr ? ` ${kr.title}` : '');
      }),
    ),
  );
  return section;
}
