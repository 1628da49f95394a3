// /delegate: phone first. The delegate sees their member's primer status, focus areas and key
// results with targets and progress, reports an actual, and drafts or edits the primer.
//
// Who may edit what comes from the session (GET /session): an editor (a delegation card)
// opens on their member ("You are editing Viet Nam") and may read the others; the Secretariat
// may edit any member; a viewer reads. The forms are drawn only for a member the session may
// edit, and the primer's status offers only the moves the server allows the role.
//
// The overview watches the chosen member's entry and its key results (model.ts); the forms are
// built from the primer (REST) and never redrawn by a patch.

import { batch, computed, signal } from '@preact/signals-core';
import type { ReadonlySignal } from '@preact/signals-core';
import { mayEdit, statusesFor } from '../access';
import { ApiError, describeError, get, post } from '../api';
import { statusBadge } from '../badge';
import { clear, h, setText } from '../dom';
import { clearErrors, field, input, numberOrText, select, showErrors } from '../forms';
import { count, num, pct } from '../format';
import { connectLive } from '../live';
import type { DocModel } from '../model';
import { keysWithPrefix } from '../model';
import { navBar } from '../nav';
import { PRIMER_COLOUR, PRIMER_LABEL, PRIMER_TEXT, STATUS_COLOUR, STATUS_LABEL } from '../palette';
import { initialPeriod } from '../period';
import type { Member, Posted, Primer } from '../protocol';
import { CYCLE_YEARS } from '../protocol';
import { each, watch } from '../reactive';
import { session } from '../session';
import { primerEditor } from './primer-form';

const MEMBER_KEY = 'apo.delegate.member';

export function renderDelegate(root: HTMLElement): void {
  document.title = 'APO Dashboard · Delegate';
  const period = initialPeriod();
  const live = connectLive(period);
  const model = live.model;
  const picker = select([['', 'Choose your member…']]);
  const reportSlot = h('section', { 'aria-label': 'Report an actual' });
  const editorSlot = h('section', { 'aria-label': 'Primer' });
  /** The member chosen, and its primer as GET /primers/{iso3} gave it (null: none yet, or not loaded). */
  const iso3 = signal('');
  const primer = signal<Primer | null>(null);
  const overview = memberOverview(model, iso3, primer, period);
  const me = session();
  const ownMember = me?.role === 'editor' ? (me.member ?? null) : null;
  const banner = h('p', { class: 'delegate-who', 'data-testid': 'delegate-who', role: 'status' });
  // On a phone the report form comes right after the member's standing, before the list.
  root.append(
    navBar(statusBadge(live), 'Delegate'),
    h('main', { class: 'page delegate' }, banner, h('div', { class: 'field' }, h('label', { for: 'member-picker' }, ownMember ? 'Member (others read-only)' : 'Member'), picker), overview.head, reportSlot, overview.body, editorSlot),
  );
  picker.id = 'member-picker';
  picker.dataset.testid = 'member-picker';

  /** The editor's last save message, shown again in the editor rebuilt after the reload. */
  let notice = '';
  let names = new Map<string, string>();

  /** What this session may do with the member chosen, said at the top. */
  function sayWho(code: string): void {
    const name = (c: string) => names.get(c) ?? c;
    banner.className = 'delegate-who';
    if (ownMember) {
      banner.textContent = code && code !== ownMember ? `You are editing ${name(ownMember)}. ${name(code)} is shown read-only.` : `You are editing ${name(ownMember)}.`;
      banner.classList.add('editing');
    } else if (me?.role === 'secretariat') {
      banner.textContent = 'Signed in as the Secretariat: you may edit every member.';
    } else if (me?.role === 'viewer') {
      banner.textContent = 'You are following as a viewer. Delegates report with their delegation card.';
    } else {
      banner.textContent = 'Read-only: sign in with your delegation card to report.';
    }
  }

  get<Member[]>('/members')
    .then((members) => {
      for (const m of members) picker.append(h('option', { value: m.iso3 }, `${m.name} (${m.iso3})`));
      names = new Map(members.map((m) => [m.iso3, m.name]));
      // An editor opens on their member; else the one the address names (?member=), else the one remembered.
      const asked = new URLSearchParams(location.search).get('member')?.toUpperCase() ?? null;
      const first = [ownMember, asked, safeGet(MEMBER_KEY)].find((c) => c && members.some((m) => m.iso3 === c));
      if (first) {
        picker.value = first;
        choose(first);
      } else {
        sayWho('');
      }
    })
    .catch((e) => banner.replaceChildren(h('span', { class: 'form-status err' }, `Could not load members: ${describeError(e)}`)));

  picker.addEventListener('change', () => choose(picker.value));

  function choose(code: string): void {
    batch(() => {
      iso3.value = code;
      primer.value = null;
    });
    notice = '';
    clear(reportSlot);
    clear(editorSlot);
    sayWho(code);
    if (!code) return;
    safeSet(MEMBER_KEY, code);
    loadPrimer();
  }

  function loadPrimer(): void {
    const code = iso3.peek();
    get<Primer>(`/primers/${code}`)
      .then((p) => p)
      .catch((e) => {
        if (e instanceof ApiError && e.status === 404) return null;
        throw e;
      })
      .then((p) => {
        if (code !== iso3.peek()) return;
        primer.value = p;
        drawForms(code, p);
      })
      .catch((e) => reportSlot.replaceChildren(h('p', { class: 'form-status err' }, `Could not load the primer: ${describeError(e)}`)));
  }

  /** The forms are built from the primer (REST), not from the live document: a patch never rebuilds them under the delegate's fingers. */
  function drawForms(code: string, p: Primer | null): void {
    if (!mayEdit(me, code)) {
      reportSlot.replaceChildren();
      editorSlot.replaceChildren();
      return;
    }
    reportSlot.replaceChildren(reportForm(code, p, period));
    const statuses = statusesFor(me?.role, p?.status ?? null);
    editorSlot.replaceChildren(
      statuses.length
        ? primerEditor(
            code,
            p,
            statuses,
            (message) => {
              notice = message;
              loadPrimer();
            },
            notice,
          )
        : primerLocked(p),
    );
    notice = '';
  }
}

/**
 * The chosen member: name, primer status, score and reporting, focus areas, and its key
 * results. Each part watches what it shows: the member's entry, the primer, and one watcher
 * per key result of the member, so a report on another member's key result draws nothing here.
 */
function memberOverview(model: DocModel, iso3: ReadonlySignal<string>, primer: ReadonlySignal<Primer | null>, period: number): { head: HTMLElement; body: HTMLElement } {
  const name = h('h2', {});
  const pill = h('span', { class: 'pill', 'data-testid': 'primer-status' });
  const line = h('span', {});
  const focus = h('div', {});
  const list = h('ul', { class: 'kr-list', 'data-testid': 'delegate-krs' });
  const none = h('p', { class: 'muted' }, 'No key results yet: draft them in the primer below.');
  const head = h('section', { 'aria-label': 'Your member', hidden: true }, name, h('p', {}, 'Primer: ', pill, line));
  const body = h('section', { 'aria-label': 'Focus areas and key results', hidden: true }, h('h3', {}, 'Focus areas'), focus, h('h3', {}, `Key results (${period})`), list, none);
  watch(() => {
    const code = iso3.value;
    head.hidden = body.hidden = !code;
    if (!code) return;
    const m = model.members.entry(code).value;
    const status = m?.primer_status ?? 'none';
    setText(name, m?.name ?? code, false);
    pill.style.background = PRIMER_COLOUR[status];
    pill.style.color = PRIMER_TEXT[status];
    setText(pill, PRIMER_LABEL[status]);
    setText(line, ` · score ${pct(m?.score)} · reported ${count(m?.reported)} of ${count(m?.expected)} for ${model.period.value ?? period}`);
  });
  watch(() => {
    const areas = primer.value?.focus_areas ?? [];
    focus.replaceChildren(areas.length ? h('ul', {}, ...areas.map((f) => h('li', {}, f))) : h('p', { class: 'muted' }, 'None yet.'));
  });
  const targets = computed(() => new Map((primer.value?.key_results ?? []).map((k) => [k.code, k.targets ?? {}])));
  const keys = keysWithPrefix(model.key_results, () => (iso3.value ? `${iso3.value}/` : ''));
  watch(() => {
    none.hidden = keys.value.length > 0;
  });
  each(list, keys, (key) => {
    const code = h('strong', {});
    const where = h('span', {});
    const title = h('div', {});
    const actual = h('strong', { 'data-kr': key });
    const rest = h('span', {});
    const status = h('span', { class: 'pill' });
    const bar = h('span', {});
    const progress = h('div', { class: 'progress', role: 'img' }, bar);
    const years = h('div', { class: 'muted' });
    watch(() => {
      const k = model.key_results.entry(key).value;
      if (!k) return;
      setText(code, k.code, false);
      setText(where, ` · P${k.pillar} · ${k.focus_area}`, false);
      setText(title, k.title, false);
      setText(actual, k.actual == null ? 'not reported' : `${num(k.actual, 2)} ${k.unit}`);
      setText(rest, ` · target ${num(k.target, 2)} · progress ${pct(k.progress)} `, false);
      const colour = STATUS_COLOUR[k.status];
      setText(status, STATUS_LABEL[k.status], false);
      status.style.background = colour;
      status.style.color = k.status === 'achieved' || k.status === 'off_track' ? '#fff' : '#000';
      progress.setAttribute('aria-label', `progress ${pct(k.progress)}`);
      bar.style.width = `${Math.max(0, Math.min(1, k.progress ?? 0)) * 100}%`;
      bar.style.background = colour;
    });
    watch(() => {
      const t = targets.value.get(key.slice(key.indexOf('/') + 1)) ?? {};
      setText(years, `Targets: ${CYCLE_YEARS.map((y) => `${y}: ${num(t[String(y)], 2)}`).join(' · ')}`, false);
    });
    return h('li', {}, h('div', {}, code, where), title, h('div', {}, 'Actual ', actual, rest, status), progress, years);
  });
  return { head, body };
}

function reportForm(iso3: string, primer: Primer | null, period: number): HTMLElement {
  const krs = primer?.key_results ?? [];
  const form = h('form', { class: 'stack', 'data-testid': 'actual-form', novalidate: true });
  if (!krs.length) return h('div', {}, h('h2', {}, 'Report an actual'), h('p', { class: 'muted' }, 'The primer has no key results to report on yet.'));
  const kr = select(krs.map((k) => [k.code, `${k.code} · ${k.title}`]));
  const year = select(CYCLE_YEARS.map((y) => [String(y), String(y)]), String(period));
  const value = input({ inputmode: 'decimal', autocomplete: 'off' });
  const status = h('div', { class: 'form-status', role: 'status' });
  form.append(field('Key result', kr, 'kr_code'), field('Year', year, 'year'), field('Value', value, 'value'), h('button', { type: 'submit' }, 'Report'), status);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    status.textContent = 'Sending…';
    status.className = 'form-status';
    const body = { iso3, kr_code: kr.value, year: Number(year.value), value: numberOrText(value.value) };
    post<Posted>('/actuals', body)
      .then((r) => {
        status.textContent = `Reported ${kr.value} ${year.value}: ${value.value} (revision ${r.rev})`;
        status.className = 'form-status ok';
        value.value = '';
      })
      .catch((e) => showErrors(form, e, status));
  });
  return h('div', {}, h('h2', {}, 'Report an actual'), form);
}

/** An editor's view of a primer it may no longer change: submitted or endorsed. */
function primerLocked(p: Primer | null): HTMLElement {
  const why =
    p?.status === 'endorsed'
      ? 'The primer is endorsed. Only the Secretariat can change it now.'
      : 'The primer is submitted. The Secretariat endorses it, or returns it to draft if it needs changes.';
  return h('div', { 'data-testid': 'primer-locked' }, h('h2', {}, 'Primer'), h('p', { class: 'muted' }, why));
}

function safeGet(k: string): string | null {
  try {
    return localStorage.getItem(k);
  } catch {
    return null;
  }
}
function safeSet(k: string, v: string): void {
  try {
    localStorage.setItem(k, v);
  } catch {
    // private mode: not remembered
  }
}
