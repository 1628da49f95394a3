// On a member's page, what it takes part in among the APO's programmes (GET
// /members/{iso3}/programmes): its Centers of Excellence with their phase today, the project
// notifications it hosts or joins (those for all members included) with the next closing date,
// the BCN exchanges it sends and hosts, and its COE proposals. Fetched again on a live change
// to any of them.

import '../styles/projects.css';
import { describeError, get } from '../api';
import { h } from '../dom';
import type { components } from '../generated/api';
import type { Live } from '../live';
import type { Member } from '../protocol';
import { dataTable, scrollBox } from '../table';
import { currentText } from './coes-timeline';
import { closingList } from './projects';
import { dateText, isOpen, MODALITY, type Project } from './projects-model';

type Programmes = components['schemas']['MemberProgrammes'];
type Application = components['schemas']['BcnApplication'];

const ENTITIES = new Set(['project', 'bcn_application', 'coe', 'coe_proposal']);

export function memberProgrammes(iso3: string, live: Live): HTMLElement {
  const status = h('p', { class: 'muted', role: 'status', 'aria-live': 'polite' }, 'Loading…');
  const body = h('div', { class: 'member-programmes' });
  const section = h('section', { class: 'programmes-panel', 'data-testid': 'member-programmes', 'aria-labelledby': 'programmes-heading' }, h('h2', { id: 'programmes-heading' }, 'Programmes: Centers of Excellence, projects, exchanges'), status, body);
  let names = new Map<string, string>();
  const name = (c: string) => names.get(c) ?? c;

  const exchangeTable = (caption: string, apps: Application[], other: (a: Application) => string, otherHead: string) =>
    scrollBox(
      caption,
      {},
      dataTable(
        caption,
        [otherHead, 'Topic', 'Modality', 'Participants', 'Dates', 'Status'],
        apps.map((a) => [name(other(a)), a.topic, MODALITY[a.modality], String(a.participants), `${dateText(a.start_date)} – ${dateText(a.end_date)}`, a.status === 'declined' && a.reason ? `Declined: ${a.reason}` : a.status[0]!.toUpperCase() + a.status.slice(1)]),
        { numericFrom: 99 },
      ),
    );

  const draw = (p: Programmes) => {
    // Those still taking applications first.
    const projects = [...(p.projects as Project[])].sort((a, b) => Number(isOpen(b)) - Number(isOpen(a)));
    body.replaceChildren(
      h('h3', {}, 'Centers of Excellence'),
      p.coes.length
        ? h('ul', { class: 'programme-list', 'data-testid': 'member-coes' }, ...p.coes.map((c) => h('li', { 'data-coe': c.id }, h('strong', {}, c.area), ` · ${c.institution}`, h('br'), `Designated ${dateText(c.designated)} · ${currentText(c)}`)))
        : h('p', { class: 'muted' }, 'No Center of Excellence.'),
      h('h3', {}, 'Project notifications it hosts or joins'),
      projects.length
        ? h(
            'ul',
            { class: 'project-list', 'data-testid': 'member-projects' },
            ...projects.map((x) =>
              h('li', { class: `project-item ${isOpen(x) ? 'is-open' : 'is-closed'}`, 'data-code': x.code }, h('a', { class: 'project-link', href: `/projects/${encodeURIComponent(x.code)}` }, h('span', { class: 'project-code' }, x.code), h('span', { class: 'project-title' }, x.title)), closingList(x)),
            ),
          )
        : h('p', { class: 'muted' }, 'None.'),
      h('h3', {}, 'BCN exchanges'),
      p.bcn_sent.length ? exchangeTable(`Sent by ${name(iso3)}`, p.bcn_sent, (a) => a.host, 'Hosting member') : h('p', { class: 'muted' }, 'No exchange sent.'),
      p.bcn_hosted.length ? exchangeTable(`Hosted by ${name(iso3)}`, p.bcn_hosted, (a) => a.sender, 'Sending member') : h('p', { class: 'muted' }, 'No exchange hosted.'),
      ...(p.coe_proposals.length
        ? [h('h3', {}, 'COE proposals'), h('ul', {}, ...p.coe_proposals.map((x) => h('li', {}, `${x.title} (${x.coe ? 'by an existing COE' : 'a new COE'}, filed ${dateText(x.filed_on)})`)))]
        : []),
    );
    section.dataset.counts = `coes:${p.coes.length} projects:${projects.length} sent:${p.bcn_sent.length} hosted:${p.bcn_hosted.length}`;
    status.textContent = '';
  };
  const load = () => get<Programmes>(`/members/${iso3}/programmes`).then(draw);
  const fail = (e: unknown) => {
    status.className = 'form-status err';
    status.textContent = `Could not load the programmes: ${describeError(e)}`;
  };
  get<Member[]>('/members')
    .then((m) => {
      names = new Map(m.map((x) => [x.iso3, x.name]));
      return load();
    })
    .catch(fail);
  live.subscribe((_d, change) => {
    if (names.size && change.kind === 'patch' && change.events.some((e) => ENTITIES.has(e.entity))) void load().catch(fail);
  });
  return section;
}
