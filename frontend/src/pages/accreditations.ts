// /accreditations: the register of APO accreditation (issue 23 §1), for the Secretariat and
// everyone. The headline ("Accredited: 3 of 21 members"), a map of the 21 members shaded by
// each one's most advanced status with a legend that counts them (members with no record say
// so), the renewals due in the next 6 months, most urgent first, and the register as a table
// filtered by member, status and scheme (kept in the address). The Secretariat also gets the
// form that moves a record on (accreditations-form.ts). Everything is fetched again when the
// live feed carries an `accreditation` event; what changed flashes.

import '../styles/accreditations.css';
import { get } from '../api';
import { statusBadge } from '../badge';
import { flashEl, h } from '../dom';
import { connectLive } from '../live';
import { memberMap } from '../map';
import { navBar } from '../nav';
import { initialPeriod } from '../period';
import type { Member } from '../protocol';
import { session } from '../session';
import { scrollBox } from '../table';
import { accreditationForm } from './accreditations-form';
import {
  type AccFilters,
  type AccStatus,
  type AccSummary,
  type Accreditation,
  BODY_KIND_TEXT,
  NO_RECORD,
  STATUSES,
  STATUS_COLOUR,
  STATUS_TEXT,
  applyFilters,
  dateText,
  daysLeftText,
  filtersFrom,
  filtersQuery,
  legendCounts,
  renewals,
  schemesOf,
  touchesAccreditations,
} from './accreditations-model';

/** A status as a coloured pill that says it in words (never colour alone). */
export function statusPill(s: AccStatus): HTMLElement {
  const c = STATUS_COLOUR[s];
  return h('span', { class: 'acc-pill', 'data-status': s, style: `background:${c.bg};color:${c.fg}` }, STATUS_TEXT[s]);
}

export function renderAccreditations(root: HTMLElement): void {
  document.title = 'APO Dashboard · Accreditation';
  const live = connectLive(initialPeriod());
  const f = filtersFrom(location.search);
  const memberSel = h('select', { id: 'acc-f-member', 'data-testid': 'acc-filter-member' }, h('option', { value: '' }, 'Any member'));
  const statusSel = h('select', { id: 'acc-f-status', 'data-testid': 'acc-filter-status' }, h('option', { value: '' }, 'Any status'), ...STATUSES.map((s) => h('option', { value: s }, STATUS_TEXT[s])));
  const schemeSel = h('select', { id: 'acc-f-scheme', 'data-testid': 'acc-filter-scheme' }, h('option', { value: '' }, 'Any scheme'));
  const headline = h('p', { class: 'acc-headline', 'data-testid': 'acc-headline', 'aria-live': 'polite' }, 'Loading…');
  const mapBox = h('div', { class: 'acc-map', 'data-testid': 'acc-map' });
  const legend = h('ul', { class: 'acc-legend', 'data-testid': 'acc-legend', 'aria-label': 'Members by their most advanced status' });
  const noRecord = h('p', { class: 'acc-none muted', 'data-testid': 'acc-no-record' });
  const renewList = h('ol', { class: 'acc-renewals', 'data-testid': 'acc-renewals' });
  const status = h('p', { class: 'muted', role: 'status', 'aria-live': 'polite', 'data-testid': 'acc-status' });
  const tbody = h('tbody', {});
  const table = h(
    'table',
    { class: 'data acc-table', 'data-testid': 'acc-register' },
    h('caption', { class: 'sr-only' }, 'The accreditation register'),
    h('thead', {}, h('tr', {}, ...['Member', 'Body', 'Scheme', 'Status', 'Certificate', 'Conferred', 'Valid until'].map((t) => h('th', { scope: 'col' }, t)))),
    tbody,
  );
  const isSecretariat = session()?.role === 'secretariat';
  const form = isSecretariat ? accreditationForm() : null;
  const main = h(
    'main',
    { class: 'page acc-page', 'data-loading': '' },
    headline,
    h(
      'div',
      { class: 'acc-top' },
      // The map, with its legend (the counts) beside it on a projector and under it on a phone.
      h('section', { class: 'acc-map-box', 'aria-labelledby': 'acc-map-h' }, h('h2', { id: 'acc-map-h' }, 'Members by status'), h('div', { class: 'acc-figure' }, mapBox, h('div', { class: 'acc-key' }, legend, noRecord))),
      h('section', { class: 'acc-renew-box', 'aria-labelledby': 'acc-renew-h' }, h('h2', { id: 'acc-renew-h' }, 'Renewals due in the next 6 months'), renewList),
    ),
    h(
      'section',
      { 'aria-labelledby': 'acc-reg-h' },
      h('h2', { id: 'acc-reg-h' }, 'Register'),
      h(
        'fieldset',
        { class: 'controls acc-filters' },
        h('legend', {}, 'Show'),
        h('label', { for: 'acc-f-member' }, 'Member', memberSel),
        h('label', { for: 'acc-f-status' }, 'Status', statusSel),
        h('label', { for: 'acc-f-scheme' }, 'Scheme', schemeSel),
      ),
      status,
      scrollBox('The accreditation register', { class: 'table-scroll acc-scroll' }, table),
    ),
    form?.el ?? null,
  );
  root.append(navBar(statusBadge(live), 'NPO accreditation'), main);

  let members: Member[] = [];
  let names = new Map<string, string>();
  let records: Accreditation[] = [];
  let summary: AccSummary | null = null;
  /** Each record as last drawn (JSON), and each member's status, to flash what a change altered. */
  let drawn = new Map<string, string>();
  let drawnStatus = new Map<string, AccStatus | 'none'>();
  let seq = 0;
  /** Loads drawn (the e2e waits for a live one). */
  let loads = 0;
  const current = (): AccFilters => ({ member: memberSel.value, status: statusSel.value as AccStatus | '', scheme: schemeSel.value });
  const nameOf = (iso3: string) => names.get(iso3) ?? iso3;

  const drawTable = (changed: ReadonlySet<string>) => {
    const shown = applyFilters(records, current(), nameOf);
    tbody.replaceChildren(...shown.map((r) => registerRow(r, nameOf(r.iso3), changed.has(r.id))));
    status.textContent = shown.length ? `${shown.length} of ${records.length} record${records.length === 1 ? '' : 's'}` : records.length ? 'No record matches these filters.' : 'No accreditation is recorded yet.';
    main.dataset.ids = shown.map((r) => r.id).join(' ');
  };

  const drawMap = (byMember: Readonly<Record<string, AccStatus>>, first: boolean) => {
    const data = members.map((m) => {
      const s = byMember[m.iso3];
      const c = s ? STATUS_COLOUR[s].bg : NO_RECORD.bg;
      return { isoNum: m.iso_num, label: m.iso3, colour: c, title: `${m.name}: ${s ? STATUS_TEXT[s] : 'no record'}` };
    });
    mapBox.replaceChildren(memberMap(data, `The 21 members shaded by their most advanced accreditation status`));
    const counts = legendCounts(byMember, members.map((m) => m.iso3));
    legend.replaceChildren(
      ...counts.map(({ status: s, count }) => {
        const c = s === 'none' ? NO_RECORD : STATUS_COLOUR[s];
        return h('li', { 'data-status': s, 'data-count': String(count) }, h('span', { class: `acc-swatch${s === 'none' ? ' none' : ''}`, style: `background:${c.bg}` }), `${s === 'none' ? 'No record' : STATUS_TEXT[s]}: `, h('strong', {}, String(count)));
      }),
    );
    const none = members.filter((m) => !byMember[m.iso3]);
    noRecord.textContent = none.length ? `No record: ${none.map((m) => m.name).join('; ')}.` : 'Every member has a record.';
    // Flash the members whose status moved (not on the first drawing).
    const now = new Map(members.map((m) => [m.iso3, byMember[m.iso3] ?? ('none' as const)]));
    if (!first) {
      for (const [iso3, s] of now) {
        if (drawnStatus.get(iso3) === s) continue;
        for (const el of mapBox.querySelectorAll(`[data-member="${iso3}"]`)) el.classList.add('acc-moved');
        const item = legend.querySelector(`[data-status="${s}"]`);
        if (item) flashEl(item);
      }
    }
    drawnStatus = now;
  };

  const load = async (first: boolean) => {
    const mine = ++seq;
    const [list, sum] = await Promise.all([get<Accreditation[]>('/accreditations'), get<AccSummary>('/accreditations/summary')]);
    if (mine !== seq) return;
    records = list;
    summary = sum;
    const now = new Map(list.map((r) => [r.id, JSON.stringify(r)]));
    const changed = new Set(first ? [] : [...now].filter(([id, j]) => drawn.get(id) !== j).map(([id]) => id));
    drawn = now;
    const before = schemeSel.value;
    schemeSel.replaceChildren(h('option', { value: '' }, 'Any scheme'), ...schemesOf(list).map((s) => h('option', { value: s }, s)));
    schemeSel.value = schemesOf(list).includes(before) ? before : '';
    const headText = `Accredited: ${sum.accredited_members} of ${sum.members} members`;
    if (headline.textContent !== headText) {
      headline.textContent = headText;
      if (!first) flashEl(headline);
    }
    drawMap(sum.by_member, first);
    const due = renewals(list);
    renewList.replaceChildren(...(due.length ? due.map((r) => renewalItem(r, nameOf(r.iso3), changed.has(r.id))) : [h('li', { class: 'muted' }, 'No renewal is due in the next 6 months.')]));
    drawTable(changed);
    form?.update(list, members);
    main.dataset.loads = String(++loads);
  };
  const fail = (e: unknown) => {
    status.textContent = `Could not load the register: ${String(e)}`;
    status.className = 'form-status err';
  };
  const filtered = () => {
    history.replaceState(history.state, '', `${location.pathname}${filtersQuery(current())}`);
    drawTable(new Set());
  };
  for (const el of [memberSel, statusSel, schemeSel]) el.addEventListener('change', filtered);

  get<Member[]>('/members')
    .then(async (ms) => {
      members = ms;
      names = new Map(ms.map((m) => [m.iso3, m.name]));
      memberSel.append(...ms.map((m) => h('option', { value: m.iso3 }, m.name)));
      memberSel.value = names.has(f.member) ? f.member : '';
      statusSel.value = f.status;
      await load(true);
      if (f.scheme && schemesOf(records).includes(f.scheme)) {
        schemeSel.value = f.scheme;
        drawTable(new Set());
      }
    })
    .catch(fail)
    .finally(() => main.removeAttribute('data-loading'));

  live.subscribe((_doc, change) => {
    if (members.length && summary && touchesAccreditations(change)) void load(false).catch(fail);
  });
}

/** One row of the register; `changed` flashes it (a live edit). */
function registerRow(r: Accreditation, member: string, changed: boolean): HTMLElement {
  const valid = r.valid_until
    ? h('td', { 'data-label': 'Valid until' }, dateText(r.valid_until), r.days_left !== null && r.days_left !== undefined ? h('span', { class: `acc-days${r.renewal_due_soon ? ' soon' : ''}${r.days_left < 0 ? ' past' : ''}` }, daysLeftText(r.days_left)) : null)
    : h('td', { 'data-label': 'Valid until', class: 'muted empty' }, '–');
  const row = h(
    'tr',
    { 'data-id': r.id, 'data-status': r.status },
    h('th', { scope: 'row', 'data-label': 'Member' }, member),
    h('td', { 'data-label': 'Body' }, r.body, h('span', { class: 'acc-kind' }, BODY_KIND_TEXT[r.body_kind] ?? r.body_kind)),
    h('td', { 'data-label': 'Scheme' }, r.scheme),
    h('td', { 'data-label': 'Status' }, statusPill(r.status)),
    h('td', { 'data-label': 'Certificate', class: r.certificate ? 'acc-cert' : 'muted empty' }, r.certificate || '–'),
    h('td', { 'data-label': 'Conferred', class: r.conferred_on ? null : 'muted empty' }, r.conferred_on ? dateText(r.conferred_on) : '–', r.occasion ? h('span', { class: 'acc-occasion' }, r.occasion) : null),
    valid,
  );
  if (changed) flashEl(row);
  return row;
}

function renewalItem(r: Accreditation, member: string, changed: boolean): HTMLElement {
  const li = h(
    'li',
    { 'data-id': r.id, 'data-days-left': r.days_left === null || r.days_left === undefined ? '' : String(r.days_left) },
    h('span', { class: 'acc-renew-days' }, daysLeftText(r.days_left) || 'no date'),
    h('span', { class: 'acc-renew-who' }, h('strong', {}, member), ` · ${r.body}`),
    h('span', { class: 'acc-renew-until' }, r.valid_until ? `valid until ${dateText(r.valid_until)}` : '', ' ', statusPill(r.status)),
  );
  if (changed) flashEl(li);
  return li;
}
