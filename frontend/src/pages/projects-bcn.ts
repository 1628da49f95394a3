// The BCN desk on the Secretariat page: the applications per closing window (the closing date
// each was filed under) and status, each pending one with approve and decline (a reason is
// needed to decline, as the server also requires), and the network of who learns from whom
// (projects-network.ts). A live change to an application or a notification fetches both again.

import '../styles/projects.css';
import { ApiError, describeError, get, post } from '../api';
import { h } from '../dom';
import type { Live } from '../live';
import type { Member } from '../protocol';
import { chartWithTable, dataTable, scrollBox } from '../table';
import type { components } from '../generated/api';
import { dateText, MODALITY } from './projects-model';
import { type BcnPair, networkChart, networkSummary, networkTable } from './projects-network';

type Application = components['schemas']['BcnApplication'];

const STATUS: Record<Application['status'], string> = { pending: 'Pending', approved: 'Approved', declined: 'Declined' };

/** Applications grouped by notification and closing window, in date order (latest window first). */
export function byWindow(apps: readonly Application[]): [string, Application[]][] {
  const groups = new Map<string, Application[]>();
  for (const a of apps) {
    const key = `${a.project}|${a.closing_date ?? ''}`;
    const list = groups.get(key) ?? [];
    list.push(a);
    groups.set(key, list);
  }
  return [...groups.entries()].sort((a, b) => b[0].split('|')[1]!.localeCompare(a[0].split('|')[1]!) || b[0].localeCompare(a[0]));
}

/** `canDecide`: the Secretariat (others read the applications and the network). */
export function bcnPanel(live: Live, canDecide: boolean): HTMLElement {
  const status = h('p', { class: 'muted', role: 'status', 'aria-live': 'polite' }, 'Loading…');
  const windows = h('div', { class: 'bcn-windows', 'data-testid': 'bcn-windows' });
  const chartEl = h('div', { class: 'chart network-chart', role: 'img', 'aria-label': 'BCN exchanges: sending member to hosting member', 'data-testid': 'bcn-network' });
  const tableBox = scrollBox('BCN exchanges as a table');
  const summary = h('p', { class: 'muted', 'data-testid': 'bcn-network-summary' });
  const section = h(
    'section',
    { class: 'bcn-panel', 'data-testid': 'bcn-panel', 'aria-labelledby': 'bcn-heading' },
    h('h2', { id: 'bcn-heading' }, 'BCN exchanges: applications by closing window'),
    status,
    windows,
    h('h2', {}, 'Who learns from whom: sending → hosting members'),
    chartWithTable(chartEl, tableBox),
    summary,
  );
  const draw = networkChart(chartEl, false, 14);
  let names = new Map<string, string>();
  let seq = 0;
  const load = async () => {
    const mine = ++seq;
    const [apps, pairs] = await Promise.all([get<Application[]>('/bcn/applications'), get<BcnPair[]>('/bcn/network')]);
    if (mine !== seq) return;
    windows.replaceChildren(...byWindow(apps).map(([key, list]) => windowBlock(key, list, names, canDecide ? load : null)));
    status.textContent = apps.length ? '' : 'No application yet.';
    draw(pairs, names);
    tableBox.replaceChildren(networkTable(pairs, names));
    summary.textContent = networkSummary(pairs);
  };
  const fail = (e: unknown) => {
    status.className = 'form-status err';
    status.textContent = `Could not load the BCN applications: ${describeError(e)}`;
  };
  get<Member[]>('/members')
    .then((m) => {
      names = new Map(m.map((x) => [x.iso3, x.name]));
      return load();
    })
    .catch(fail);
  live.subscribe((_d, change) => {
    if (names.size && change.kind === 'patch' && change.events.some((e) => e.entity === 'bcn_application' || e.entity === 'project')) void load().catch(fail);
  });
  return section;
}

function windowBlock(key: string, apps: Application[], names: ReadonlyMap<string, string>, reload: (() => Promise<void>) | null): HTMLElement {
  const [project, closing] = key.split('|') as [string, string];
  const counts = (['pending', 'approved', 'declined'] as const).map((s) => `${apps.filter((a) => a.status === s).length} ${s}`).join(' · ');
  const table = dataTable(
    `${project}, closing ${closing ? dateText(closing) : '(open all year)'}: ${counts}`,
    ['Sending → hosting', 'Topic', 'Modality', 'Overseas participants', 'Dates', 'Status'],
    apps.map((a) => [
      `${names.get(a.sender) ?? a.sender} → ${names.get(a.host) ?? a.host}`,
      h('span', {}, a.topic, h('br'), h('span', { class: 'muted' }, a.level)),
      MODALITY[a.modality],
      String(a.participants),
      `${dateText(a.start_date)} – ${dateText(a.end_date)}`,
      decisionCell(a, reload),
    ]),
    { numericFrom: 99 },
  );
  table.classList.add('bcn-table');
  // On a phone each application is a card: every cell says its column (CSS shows data-label).
  const heads = [...table.querySelectorAll('thead th')].map((th) => th.textContent ?? '');
  for (const tr of table.querySelectorAll('tbody tr')) [...tr.children].forEach((cell, i) => cell.setAttribute('data-label', heads[i] ?? ''));
  return h('div', { class: 'bcn-window', 'data-window': key }, scrollBox(`Applications under ${project}, closing ${closing}`, {}, table));
}

/** The status, and for a pending application: approve, or decline with a reason. */
function decisionCell(a: Application, reload: (() => Promise<void>) | null): HTMLElement {
  const cell = h('div', { class: 'bcn-decision', 'data-application': String(a.id), 'data-status': a.status });
  if (a.status !== 'pending' || !reload) {
    cell.append(h('strong', {}, STATUS[a.status]), a.reason ? h('span', { class: 'muted' }, ` · ${a.reason}`) : '');
    return cell;
  }
  const reasonId = `bcn-reason-${a.id}`;
  const reason = h('input', { type: 'text', id: reasonId, 'data-testid': 'bcn-reason', 'aria-describedby': `${reasonId}-err` });
  const err = h('div', { class: 'field-error', id: `${reasonId}-err`, 'aria-live': 'polite' });
  const approve = h('button', { type: 'button', 'data-testid': 'bcn-approve' }, 'Approve');
  const decline = h('button', { type: 'button', class: 'secondary', 'data-testid': 'bcn-decline' }, 'Decline');
  const send = (verdict: 'approved' | 'declined') => {
    err.textContent = '';
    reason.removeAttribute('aria-invalid');
    const why = reason.value.trim();
    if (verdict === 'declined' && !why) {
      err.textContent = 'A reason is needed to decline: the sending member reads it.';
      reason.setAttribute('aria-invalid', 'true');
      reason.focus();
      return;
    }
    approve.disabled = decline.disabled = true;
    post(`/bcn/applications/${a.id}/decision`, why ? { status: verdict, reason: why } : { status: verdict })
      .then(() => reload())
      .catch((e: unknown) => {
        err.textContent = e instanceof ApiError && e.details.length ? e.details.map((d) => d.message).join('; ') : describeError(e);
        if (e instanceof ApiError && e.details.some((d) => d.field === 'reason')) reason.setAttribute('aria-invalid', 'true');
        approve.disabled = decline.disabled = false;
      });
  };
  approve.addEventListener('click', () => send('approved'));
  decline.addEventListener('click', () => send('declined'));
  cell.append(h('strong', {}, 'Pending'), h('label', { for: reasonId }, 'Reason (needed to decline)'), reason, err, h('div', { class: 'bcn-buttons' }, approve, decline));
  return cell;
}
