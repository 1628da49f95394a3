// /delegate: the phone home of a delegation. A delegation card lands here as its member's editor:
// the member's own standing comes first (primer status, score, what is reported and what is
// still due this period), then its key results, each with a "Report" button that opens a sheet
// (value, year, Send: two taps and the typing), then the primer. While the primer is being
// drafted (none yet, or a draft) the primer form comes before the key results.
//
// Who may edit what comes from the session (GET /session): an editor (a delegation card) opens
// on their member ("You are editing Viet Nam") and may look at the others, read-only, further
// down; the Secretariat may edit any member; a viewer reads and chooses a member at the top.
// The forms are drawn only for a member the session may edit, and the primer's status offers
// only the moves the server allows the role (access.ts `statusesFor`: never "Endorsed" to an
// editor).
//
// Every report and primer edit goes through the member's outbox (offline-queue.ts): kept on the
// phone until the server answers, shown as "queued" while the network is down, and sent with
// its idempotency key when it returns. A refusal is shown next to the field it names.
//
// Each key result lists its latest reports for the period (GET /actuals: value, when, by whom),
// a withdrawn one marked with its reason; the member's editor (and the Secretariat) may correct
// or withdraw a report, with a reason, from a sheet like the report's. An endorsed primer
// offers its editor "Amend": it becomes a draft of its next version and the form opens.
//
// The overview watches the chosen member's entry and its key results (model.ts); the forms are
// built from the primer (REST) and never redrawn by a patch. The reports are loaded again when
// a patch carries a report of the member.

import '../styles/delegate.css';
import { batch, computed, signal } from '@preact/signals-core';
import type { ReadonlySignal } from '@preact/signals-core';
import { mayEdit, statusesFor } from '../access';
import { ApiError, describeError, get, sendWithKey } from '../api';
import { statusBadge } from '../badge';
import type { FixMode } from '../delegate-reports';
import { REPORTS_SHOWN, counting, countsAfter, fixOf, reasonProblem, reportsByKr } from '../delegate-reports';
import { readValue } from '../delegate-value';
import { h, setText } from '../dom';
import { clearErrors, field, input, select, showErrors } from '../forms';
import { count, num, pct } from '../format';
import { connectLive } from '../live';
import type { DocModel } from '../model';
import { keysWithPrefix, stableList } from '../model';
import { navBar } from '../nav';
import type { Edit } from '../offline-queue';
import { Outbox, membersWithOutbox, newUuid, outboxKey, refusalOf, refusalText } from '../offline-queue';
import { PRIMER_COLOUR, PRIMER_LABEL, PRIMER_TEXT, STATUS_COLOUR, STATUS_LABEL, STATUS_TEXT } from '../palette';
import { initialPeriod } from '../period';
import type { Actual, ActualInput, Member, Posted, Primer, PrimerInput, PutPrimerResult } from '../protocol';
import { CYCLE_YEARS } from '../protocol';
import { each, watch } from '../reactive';
import { session } from '../session';
import { primerEditor } from './primer-form';

const MEMBER_KEY = 'apo.delegate.member';

/** A report a withdrawal or correction names: what the sheet says about it. */
interface ReportRef {
  id: number;
  value: number | null;
  reported_at: string | null;
  year: number | null;
}

/** What the page last said about a key result's report: sent, or refused and put aside. */
interface Note {
  kind: 'ok' | 'err';
  text: string;
}

export function renderDelegate(root: HTMLElement): void {
  document.title = 'APO Dashboard · Delegate';
  document.body.classList.add('delegate-page');
  const period = initialPeriod();
  const live = connectLive(period);
  const model = live.model;
  const me = session();
  const ownMember = me?.role === 'editor' ? (me.member ?? null) : null;

  /** The member shown, and its primer as GET /primers/{iso3} gave it (null: none yet, or not loaded). */
  const iso3 = signal('');
  const primer = signal<Primer | null>(null);
  const names = signal<ReadonlyMap<string, string>>(new Map());
  /** The outbox of the member shown, when this session may edit it. */
  const outbox = signal<Outbox | null>(null);
  const notes = signal<ReadonlyMap<string, Note>>(new Map());
  /** The reports of the member shown for the period, by key-result code, newest first. */
  const reports = signal<ReadonlyMap<string, readonly Actual[]>>(new Map());
  const offline = signal(typeof navigator !== 'undefined' && navigator.onLine === false);
  window.addEventListener('online', () => (offline.value = false));
  window.addEventListener('offline', () => (offline.value = true));
  const editable = computed(() => !!iso3.value && mayEdit(me, iso3.value));

  const picker = select([['', 'Choose a member…']]);
  picker.id = 'member-picker';
  picker.dataset.testid = 'member-picker';
  const pickerField = h('div', { class: 'field' }, h('label', { for: 'member-picker' }, ownMember ? 'Another member (read-only)' : 'Member'), picker);
  const backHome = h('button', { type: 'button', class: 'secondary', 'data-testid': 'back-home', hidden: true }, 'Back to my member');
  const banner = h('p', { class: 'delegate-who', 'data-testid': 'delegate-who', role: 'status' });
  const editorSlot = h('section', { 'aria-label': 'Primer', class: 'delegate-primer' });
  const home = memberHome(model, iso3, primer, period, {
    own: ownMember,
    editable,
    outbox,
    notes,
    report: (key) => openSheet(key),
    reports,
    fix: (key, a, mode) => openFix(key, a, mode),
  });
  const queue = outboxView(outbox, offline, {
    fix: (e) => fixEdit(e),
  });
  const main = h('main', { class: 'page delegate', id: 'main' }, queue.bar, banner);
  if (!ownMember) main.append(pickerField);
  main.append(home.status, queue.section, home.krs, editorSlot);
  if (ownMember) main.append(h('section', { class: 'delegate-others', 'aria-label': 'Other members' }, h('h2', {}, 'Other members'), pickerField, backHome));
  root.append(navBar(statusBadge(live), 'Delegate'), main);

  backHome.addEventListener('click', () => {
    if (!ownMember) return;
    picker.value = ownMember;
    choose(ownMember);
    window.scrollTo(0, 0);
  });

  /** The editor's last save message, shown again in the editor rebuilt after the reload. */
  let notice = '';
  /** A failed primer edit being fixed in the editor: discarded once the fixed one is sent or queued. */
  let fixingPrimer: string | null = null;

  // ---- outboxes: one per member this session may edit, kept sending while the page is open ----
  const outboxes = new Map<string, Outbox>();
  function outboxFor(code: string): Outbox {
    let o = outboxes.get(code);
    if (!o) {
      o = new Outbox(outboxKey(code), { onSent: (e, answer) => sentLater(code, e, answer) });
      outboxes.set(code, o);
      o.start();
    }
    return o;
  }
  // Edits left on this phone by an earlier visit are sent now, whichever member is shown.
  let stored: Storage | null = null;
  try {
    stored = localStorage;
  } catch {
    stored = null;
  }
  for (const code of membersWithOutbox(stored)) if (mayEdit(me, code)) outboxFor(code);
  if (ownMember) outboxFor(ownMember);

  /** An edit queued earlier has been answered. */
  function sentLater(code: string, e: Edit, answer: unknown): void {
    if (e.kind === 'report' && e.ref) {
      const rev = (answer as Posted | null)?.rev;
      setNote(e.ref, { kind: 'ok', text: `Sent from this phone: ${e.label}${rev ? ` (revision ${rev})` : ''}.` });
    } else if (e.kind === 'primer' && code === iso3.peek()) {
      const rev = (answer as { rev?: number } | null)?.rev;
      const message = `The primer kept on this phone is saved${rev ? ` (revision ${rev})` : ''}.`;
      const form = editorSlot.querySelector<HTMLElement>('[data-testid=primer-form]');
      if (form?.dataset.dirty) {
        const status = form.querySelector<HTMLElement>('.form-status');
        if (status) {
          status.textContent = `${message} Your later changes are not saved yet.`;
          status.className = 'form-status ok';
        }
      } else {
        notice = message;
        loadPrimer();
      }
    }
  }

  function setNote(key: string, note: Note | null): void {
    const next = new Map(notes.peek());
    if (note) next.set(key, note);
    else next.delete(key);
    notes.value = next;
  }

  /** What this session may do with the member chosen, said at the top. */
  function sayWho(code: string): void {
    const name = (c: string) => names.peek().get(c) ?? c;
    banner.className = 'delegate-who';
    backHome.hidden = !ownMember || !code || code === ownMember;
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
      names.value = new Map(members.map((m) => [m.iso3, m.name]));
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
    closeSheet();
    batch(() => {
      iso3.value = code;
      primer.value = null;
      reports.value = new Map();
      outbox.value = code && mayEdit(me, code) ? outboxFor(code) : null;
    });
    notice = '';
    fixingPrimer = null;
    editorSlot.replaceChildren();
    sayWho(code);
    if (!code) return;
    safeSet(MEMBER_KEY, code);
    loadPrimer();
    loadReports();
  }

  // ---- the reports of the member shown, loaded again when a patch carries one of its reports ----
  let reportsSeq = 0;
  function loadReports(): void {
    const code = iso3.peek();
    const seq = ++reportsSeq;
    if (!code) return;
    const y = model.period.peek() ?? period;
    get<Actual[]>(`/actuals?iso3=${encodeURIComponent(code)}&year=${y}&limit=10000`)
      .then((list) => {
        if (seq === reportsSeq && code === iso3.peek()) reports.value = reportsByKr(list);
      })
      .catch(() => {
        // The list stays as it was; the key results' numbers come from the live document.
      });
  }
  live.subscribe((_doc, change) => {
    const code = iso3.peek();
    if (!code) return;
    if (change.kind === 'snapshot' || change.events.some((e) => e.entity === 'actual' && e.key.startsWith(`${code}/`))) loadReports();
  });

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
        drawEditor(code, p);
      })
      .catch((e) => {
        if (code !== iso3.peek()) return;
        editorSlot.replaceChildren(h('h2', {}, 'Primer'), h('p', { class: 'form-status err' }, `Could not load the primer: ${describeError(e)}`));
      });
  }

  /** Drafting (no primer yet, or a draft): the primer form comes before the key results. */
  function placeEditor(drafting: boolean): void {
    if (drafting) main.insertBefore(editorSlot, home.krs);
    else home.krs.after(editorSlot);
  }

  /**
   * The primer editor, built from the primer (REST), not from the live document: a patch never
   * rebuilds it under the delegate's fingers. `fixing`: a failed queued edit loaded into it.
   */
  function drawEditor(code: string, p: Primer | null, fixing: { edit: Edit; errors: ApiError | null } | null = null): void {
    placeEditor(!p || p.status === 'draft');
    if (!mayEdit(me, code)) {
      editorSlot.replaceChildren();
      return;
    }
    const statuses = statusesFor(me?.role, fixing ? null : (p?.status ?? null));
    const box = outboxFor(code);
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
            {
              send: async (body: PrimerInput) => {
                const outcome = await box.submit<{ rev: number; changed: boolean }>({ kind: 'primer', method: 'PUT', path: `/primers/${code}`, body, label: `The primer of ${names.peek().get(code) ?? code}` });
                if (fixingPrimer && outcome.state !== 'failed') box.discard(fixingPrimer);
                if (outcome.state === 'failed') box.discard(outcome.edit.key);
                else fixingPrimer = null;
                return outcome;
              },
              errors: fixing?.errors ?? null,
              open: !p || p.status === 'draft',
            },
          )
        : p?.status === 'endorsed'
          ? amendBox(code, p, (message) => {
              notice = message;
              scrollToEditor = true;
              loadPrimer();
            })
          : primerLocked(p),
    );
    const review = returnComment(p);
    if (review) editorSlot.prepend(h('p', { class: 'delegate-review', 'data-testid': 'review-comment' }, h('strong', {}, 'Returned by the Secretariat: '), review));
    const amending = amendNote(p);
    if (amending) editorSlot.prepend(h('p', { class: 'delegate-amending', 'data-testid': 'amend-note' }, h('strong', {}, amending.head), amending.reason));
    notice = '';
    if (scrollToEditor) {
      scrollToEditor = false;
      editorSlot.scrollIntoView({ block: 'start' });
    }
  }
  /** After an amendment: the form it opened is brought into view. */
  let scrollToEditor = false;

  // ---- the report sheet ----

  let sheet: HTMLDialogElement | null = null;

  function closeSheet(): void {
    if (!sheet) return;
    if (sheet.open) sheet.close();
    sheet.remove();
    sheet = null;
  }

  /**
   * Opens the report sheet for a key result ("VNM/VNM-KR1"): the year (this period first) and
   * the value, focused so that the keyboard is up. `from`: a failed queued report being fixed,
   * its value typed in and the server's message next to its field.
   */
  function openSheet(key: string, from: Edit | null = null): void {
    closeSheet();
    const code = key.slice(0, key.indexOf('/'));
    const krCode = key.slice(key.indexOf('/') + 1);
    const k = model.key_results.peek(key);
    const box = outbox.peek();
    if (!box || code !== iso3.peek()) return;
    const body = (from?.body ?? null) as Partial<ActualInput> | null;
    const current = model.period.peek() ?? period;
    const year = select(
      CYCLE_YEARS.map((y) => [String(y), String(y)]),
      String(body?.year ?? current),
    );
    const unit = k?.unit ? ` (${k.unit})` : '';
    const value = h('input', { type: 'text', inputmode: 'decimal', autocomplete: 'off', enterkeyhint: 'send', 'data-testid': 'report-value' });
    if (body?.value !== undefined && body.value !== null) value.value = String(body.value);
    const status = h('div', { class: 'form-status', role: 'status' });
    const send = h('button', { type: 'submit', class: 'primary' }, 'Send');
    const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
    const targets = primer.peek()?.key_results.find((x) => x.code === krCode)?.targets ?? {};
    const hint = h('p', { class: 'sheet-hint' });
    const sayHint = () => {
      const t = targets[year.value];
      const shown = year.value === String(current) && k?.actual != null ? ` · now ${num(k.actual, 2)}` : '';
      hint.textContent = `Target ${year.value}: ${t == null ? 'none' : `${num(t, 2)}${k?.unit ? ` ${k.unit}` : ''}`}${shown}`;
    };
    sayHint();
    year.addEventListener('change', sayHint);
    const form = h(
      'form',
      { class: 'stack sheet-form', 'data-testid': 'actual-form', novalidate: true },
      h('h2', { id: 'sheet-title' }, 'Report ', h('span', { class: 'nowrap' }, krCode)),
      h('p', { class: 'sheet-kr' }, k?.title ?? ''),
      hint,
      h('div', { class: 'field-error', 'data-error-for': 'kr_code' }),
      field(`Value${unit}`, value, 'value'),
      field('Year', year, 'year'),
      h('div', { class: 'sheet-actions' }, send, cancel),
      status,
    );
    const dialog = h('dialog', { class: 'sheet', 'data-testid': 'report-sheet', 'aria-labelledby': 'sheet-title' }, form);
    sheet = dialog;
    main.append(dialog);
    cancel.addEventListener('click', () => closeSheet());
    dialog.addEventListener('close', () => {
      if (sheet === dialog) {
        dialog.remove();
        sheet = null;
      }
    });
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      clearErrors(form);
      const read = readValue(value.value);
      if (!read.ok) {
        const slot = form.querySelector<HTMLElement>('[data-error-for=value]');
        if (slot) slot.textContent = read.message;
        value.setAttribute('aria-invalid', 'true');
        status.textContent = '';
        status.className = 'form-status';
        value.focus();
        return;
      }
      const y = Number(year.value);
      const report: ActualInput = { iso3: code, kr_code: krCode, year: y, value: read.value };
      const label = `${krCode} · ${y}: ${num(read.value, 2)}${k?.unit ? ` ${k.unit}` : ''}`;
      status.textContent = 'Sending…';
      status.className = 'form-status';
      send.disabled = true;
      box
        .submit<Posted>({ kind: 'report', method: 'POST', path: '/actuals', body: report, label, ref: key })
        .then((o) => {
          if (o.state === 'failed') {
            // The sheet holds what was typed: the refused edit is not kept twice.
            box.discard(o.edit.key);
            showErrors(form, o.error, status);
            value.focus();
            return;
          }
          if (from) box.discard(from.key);
          setNote(key, o.state === 'sent' ? { kind: 'ok', text: `Sent: ${label} (revision ${o.answer.rev}).` } : null);
          closeSheet();
          document.querySelector<HTMLElement>(`[data-report="${CSS.escape(key)}"]`)?.focus();
        })
        .catch((e) => showErrors(form, e, status))
        .finally(() => {
          send.disabled = false;
        });
    });
    dialog.showModal();
    if (from) {
      const refusal = refusalOf(from);
      if (refusal) showErrors(form, refusal, status);
    }
    value.focus();
  }

  /**
   * The sheet that withdraws or corrects a report of a key result ("VNM/VNM-KR1"), with its
   * reason (required: it is kept in the log). A withdrawal says which report counts again; a
   * correction takes the corrected value. Sent through the outbox like a report; a refusal is
   * shown next to its field. `from`: a failed queued one being fixed.
   */
  function openFix(key: string, a: ReportRef, mode: FixMode, from: Edit | null = null): void {
    closeSheet();
    const code = key.slice(0, key.indexOf('/'));
    const krCode = key.slice(key.indexOf('/') + 1);
    const box = outbox.peek();
    if (!box || code !== iso3.peek()) return;
    const k = model.key_results.peek(key);
    const unit = k?.unit ? ` ${k.unit}` : '';
    const body = (from?.body ?? null) as { value?: unknown; reason?: unknown } | null;
    const withdraw = mode === 'withdraw';
    const reason = h('textarea', { rows: 3, maxlength: '500', autocomplete: 'off', 'data-testid': 'fix-reason' });
    if (typeof body?.reason === 'string') reason.value = body.reason;
    const value = withdraw ? null : input({ inputmode: 'decimal', autocomplete: 'off', 'data-testid': 'fix-value', value: String(body?.value ?? a.value ?? '') });
    const was = a.value == null ? 'this report' : `${num(a.value, 2)}${unit}`;
    const dated = a.reported_at ? ` · reported ${when(a.reported_at)}` : '';
    const after = countsAfter(reports.peek().get(krCode) ?? [], a.id);
    const what = withdraw
      ? after
        ? `It stops counting: ${num(after.value, 2)}${unit}, reported ${when(after.reported_at)}, counts again.`
        : 'It stops counting: the key result then has no value for this year.'
      : 'The corrected value takes its place, dated as the report it corrects.';
    const status = h('div', { class: 'form-status', role: 'status' });
    const send = h('button', { type: 'submit', class: withdraw ? 'danger' : 'primary', 'data-testid': 'fix-send' }, withdraw ? 'Withdraw it' : 'Send correction');
    const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
    const title = `${withdraw ? 'Withdraw' : 'Correct'} a report of `;
    const form = h(
      'form',
      { class: 'stack sheet-form', 'data-testid': 'fix-form', 'data-mode': mode, novalidate: true },
      h('h2', { id: 'sheet-title' }, title, h('span', { class: 'nowrap' }, krCode)),
      h('p', { class: 'sheet-kr' }, `${was}${a.year ? ` for ${a.year}` : ''}${dated}`),
      h('p', { class: 'sheet-hint' }, what),
      ...(value ? [field(`Corrected value${k?.unit ? ` (${k.unit})` : ''}`, value, 'value')] : []),
      field(withdraw ? 'Why is it withdrawn?' : 'Why is it corrected?', reason, 'reason'),
      h('div', { class: 'sheet-actions' }, send, cancel),
      status,
    );
    const dialog = h('dialog', { class: 'sheet', 'data-testid': 'fix-sheet', 'aria-labelledby': 'sheet-title' }, form);
    sheet = dialog;
    main.append(dialog);
    cancel.addEventListener('click', () => closeSheet());
    dialog.addEventListener('close', () => {
      if (sheet === dialog) {
        dialog.remove();
        sheet = null;
      }
    });
    const problem = (slot: string, message: string, control: HTMLElement) => {
      const el = form.querySelector<HTMLElement>(`[data-error-for=${slot}]`);
      if (el) el.textContent = message;
      control.setAttribute('aria-invalid', 'true');
    };
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      clearErrors(form);
      status.textContent = '';
      status.className = 'form-status';
      const read = value ? readValue(value.value) : null;
      const why = reasonProblem(reason.value, withdraw ? 'it is withdrawn' : 'it is corrected');
      if (read && !read.ok) problem('value', read.message, value as HTMLElement);
      if (why) problem('reason', why, reason);
      if ((read && !read.ok) || why) {
        ((read && !read.ok ? value : reason) as HTMLElement).focus();
        return;
      }
      const corrected = read && read.ok ? read.value : null;
      const sent: Record<string, unknown> = { reason: reason.value.trim() };
      if (corrected !== null) sent.value = corrected;
      const year = a.year ?? model.period.peek() ?? period;
      const label = withdraw ? `Withdrawal of ${krCode} · ${year}: ${was}` : `Correction of ${krCode} · ${year}: ${a.value == null ? '' : `${num(a.value, 2)} → `}${num(corrected, 2)}${unit}`;
      status.textContent = 'Sending…';
      send.disabled = true;
      box
        .submit<Posted>({ kind: 'report', method: 'POST', path: `/actuals/${a.id}/${mode}`, body: sent, label, ref: key })
        .then((o) => {
          if (o.state === 'failed') {
            // The sheet holds what was typed: the refused edit is not kept twice.
            box.discard(o.edit.key);
            showErrors(form, o.error, status);
            (o.error.details.some((d) => d.field === 'value') && value ? value : reason).focus();
            loadReports();
            return;
          }
          if (from) box.discard(from.key);
          const done = withdraw ? `Withdrawn: ${krCode} · ${year}: ${was}` : `Corrected: ${label.slice('Correction of '.length)}`;
          setNote(key, o.state === 'sent' ? { kind: 'ok', text: `${done} (revision ${o.answer.rev}).` } : null);
          closeSheet();
          loadReports();
          document.querySelector<HTMLElement>(`[data-report="${CSS.escape(key)}"]`)?.focus();
        })
        .catch((e) => showErrors(form, e, status))
        .finally(() => {
          send.disabled = false;
        });
    });
    dialog.showModal();
    if (from) {
      const refusal = refusalOf(from);
      if (refusal) showErrors(form, refusal, status);
    }
    (value ?? reason).focus();
  }

  /** A failed queued edit, back in its form with the server's message next to the field. */
  function fixEdit(e: Edit): void {
    const fix = fixOf(e);
    if (fix && e.ref) {
      const krCode = e.ref.slice(e.ref.indexOf('/') + 1);
      const known = reports.peek().get(krCode)?.find((a) => a.id === fix.id);
      openFix(e.ref, known ?? { id: fix.id, value: null, reported_at: null, year: null }, fix.mode, e);
      return;
    }
    if (e.kind === 'report' && e.ref) {
      openSheet(e.ref, e);
      return;
    }
    if (e.kind === 'primer') {
      const code = iso3.peek();
      const body = e.body as PrimerInput;
      const p: Primer = {
        iso3: code,
        cycle: primer.peek()?.cycle ?? '',
        updated_at: '',
        updated_rev: 0,
        status: body.status,
        national_context: body.national_context ?? '',
        focus_areas: body.focus_areas ?? [],
        key_results: body.key_results ?? [],
        endorsed_on: body.endorsed_on ?? null,
        version: primer.peek()?.version ?? 1,
      };
      fixingPrimer = e.key;
      drawEditor(code, p, { edit: e, errors: refusalOf(e) });
      editorSlot.scrollIntoView({ block: 'start' });
    }
  }
}

const dayFormat = new Intl.DateTimeFormat(navigator.language || 'en', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

/** A date ("2026-01-30") for people: "30 Jan 2026". */
function day(iso: string): string {
  const d = new Date(`${iso}T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? iso : dayFormat.format(d);
}

const whenFormat = new Intl.DateTimeFormat(navigator.language || 'en', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });

/** When a report was made, on this phone's clock: "6 Dec 2026, 14:03". */
function when(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : whenFormat.format(d);
}

/** A primer being amended: the version it amends, and the reason given (null: not an amendment). */
function amendNote(p: Primer | null): { head: string; reason: string } | null {
  if (!p || p.status !== 'draft' || p.review?.action !== 'amend') return null;
  const note = p.review.note?.trim() ?? '';
  return { head: `Amending version ${Math.max(1, p.version - 1)} as version ${p.version}${note ? ': ' : '.'}`, reason: note };
}

/**
 * An endorsed primer, to its editor: what amending it means, and "Amend" with the reason
 * (required). The primer becomes a draft of its next version; `done` reloads it, and the form
 * opens on the draft.
 */
function amendBox(code: string, p: Primer, done: (message: string) => void): HTMLElement {
  const next = p.version + 1;
  const reason = h('textarea', { rows: 3, maxlength: '500', autocomplete: 'off', 'data-testid': 'amend-reason' });
  const status = h('div', { class: 'form-status', role: 'status' });
  const send = h('button', { type: 'submit', 'data-testid': 'amend-send' }, `Reopen as version ${next}`);
  const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
  const form = h(
    'form',
    { class: 'stack amend-form', 'data-testid': 'amend-form', novalidate: true, hidden: true },
    field('Why is the primer amended?', reason, 'reason'),
    h('div', { class: 'sheet-actions' }, send, cancel),
    status,
  );
  const open = h('button', { type: 'button', class: 'secondary amend-open', 'data-testid': 'amend' }, 'Amend the primer');
  open.addEventListener('click', () => {
    open.hidden = true;
    form.hidden = false;
    reason.focus();
  });
  cancel.addEventListener('click', () => {
    form.hidden = true;
    open.hidden = false;
    clearErrors(form);
    status.textContent = '';
    open.focus();
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    status.textContent = '';
    status.className = 'form-status';
    const why = reasonProblem(reason.value, 'the primer is amended');
    if (why) {
      const slot = form.querySelector<HTMLElement>('[data-error-for=reason]');
      if (slot) slot.textContent = why;
      reason.setAttribute('aria-invalid', 'true');
      reason.focus();
      return;
    }
    send.disabled = true;
    status.textContent = 'Sending…';
    sendWithKey<PutPrimerResult>('POST', `/primers/${code}/amend`, { reason: reason.value.trim() }, newUuid())
      .then((r) => done(`Reopened as a draft of version ${r.primer?.version ?? next} (revision ${r.rev}): change it here, then submit it to the Secretariat again.`))
      .catch((e) => {
        if (e instanceof ApiError) showErrors(form, e, status);
        else {
          status.textContent = 'No network: the primer was not reopened. Try again when the network is back.';
          status.className = 'form-status err';
        }
      })
      .finally(() => {
        send.disabled = false;
      });
  });
  const signed = p.endorsed_on ? `, signed ${day(p.endorsed_on)}` : '';
  return h(
    'div',
    { 'data-testid': 'primer-locked', class: 'amend-box' },
    h('h2', {}, 'Primer'),
    h('p', {}, `Version ${p.version} is endorsed${signed}. To change it, amend it: it becomes a draft of version ${next}, which you change here and submit to the Secretariat again. Version ${p.version} stays readable as it was endorsed.`),
    open,
    form,
  );
}

/**
 * The Secretariat's comment on a returned primer, when the server sends one: the primer's
 * latest `review` (action `return`, with its `note`), shown while the primer is a draft again.
 */
function returnComment(p: Primer | null): string | null {
  if (!p || p.status !== 'draft') return null;
  const review = (p as unknown as Record<string, unknown>)['review'];
  if (!review || typeof review !== 'object') return null;
  const o = review as Record<string, unknown>;
  if (o.action !== undefined && o.action !== 'return') return null;
  const c = [o.note, o.comment].find((x) => typeof x === 'string' && x.trim() !== '');
  return typeof c === 'string' ? c : null;
}

interface HomeHooks {
  /** The member this session edits (an editor's), whose name the banner already says. */
  own: string | null;
  editable: ReadonlySignal<boolean>;
  outbox: ReadonlySignal<Outbox | null>;
  notes: ReadonlySignal<ReadonlyMap<string, Note>>;
  report: (key: string) => void;
  /** The member's reports for the period, by key-result code, newest first. */
  reports: ReadonlySignal<ReadonlyMap<string, readonly Actual[]>>;
  /** Opens the sheet that withdraws or corrects a report. */
  fix: (key: string, report: Actual, mode: FixMode) => void;
}

/**
 * The chosen member: its standing (name, primer status, score, reported and still due this
 * period), and its key results, each with a Report button when the session may edit it. Each
 * part watches what it shows: the member's entry, the primer, and one watcher per key result of
 * the member, so a report on another member's key result draws nothing here.
 */
function memberHome(model: DocModel, iso3: ReadonlySignal<string>, primer: ReadonlySignal<Primer | null>, period: number, hooks: HomeHooks): { status: HTMLElement; krs: HTMLElement } {
  const name = h('h2', { class: 'home-name' });
  const pill = h('span', { class: 'pill', 'data-testid': 'primer-status' });
  const signed = h('span', { class: 'home-sub' });
  const score = h('strong', { class: 'home-num', 'data-testid': 'home-score' });
  const reported = h('strong', { class: 'home-num', 'data-testid': 'home-reported' });
  const reportedSub = h('span', { class: 'home-sub' });
  const dueText = h('p', { class: 'home-due-text' });
  const dueChips = h('div', { class: 'due-chips', hidden: true });
  const due = h('div', { class: 'home-due', 'data-testid': 'home-due' }, dueText, dueChips);
  const focus = h('p', { class: 'home-focus', 'data-testid': 'home-focus' });
  const status = h(
    'section',
    { class: 'home-status', 'aria-label': 'Your member', 'data-testid': 'delegate-status', hidden: true },
    name,
    h(
      'dl',
      { class: 'home-facts' },
      h('dt', {}, 'Primer'),
      h('dd', {}, pill, signed),
      h('dt', {}, 'Score'),
      h('dd', {}, score),
      h('dt', {}, 'Reported'),
      h('dd', {}, reported, reportedSub),
    ),
    due,
  );
  const list = h('ul', { class: 'kr-list', 'data-testid': 'delegate-krs' });
  const none = h('p', { class: 'muted' }, 'No key results yet: draft them in the primer.');
  const krHeading = h('h2', {});
  const krs = h('section', { class: 'home-krs', 'aria-label': 'Key results', hidden: true }, krHeading, focus, list, none);
  const keys = keysWithPrefix(model.key_results, () => (iso3.value ? `${iso3.value}/` : ''));
  const year = computed(() => model.period.value ?? period);
  /** The member's key results with a target this period and no report yet. */
  const dueKeys = stableList(() =>
    keys.value.filter((k) => {
      const d = model.key_results.entry(k).value;
      return !!d && d.target != null && d.actual == null;
    }),
  );

  watch(() => {
    const code = iso3.value;
    status.hidden = krs.hidden = !code;
    if (!code) return;
    const m = model.members.entry(code).value;
    const state = m?.primer_status ?? 'none';
    setText(name, m?.name ?? code, false);
    // The banner above already names the delegate's own member.
    name.classList.toggle('sr-only', code === hooks.own);
    pill.style.background = PRIMER_COLOUR[state];
    pill.style.color = PRIMER_TEXT[state];
    // Not flashed: the flash paints its own background under the pill's text colour.
    setText(pill, PRIMER_LABEL[state], false);
    const p = primer.value;
    setText(signed, p?.endorsed_on && state === 'endorsed' ? ` signed ${day(p.endorsed_on)}` : '', false);
    setText(score, pct(m?.score));
    setText(reported, m && m.expected > 0 ? `${count(m.reported)} of ${count(m.expected)}` : '–');
    setText(reportedSub, m && m.expected > 0 ? ` for ${year.value} (${pct(m.completeness)})` : ` nothing expected for ${year.value}`, false);
    setText(krHeading, `Key results (${year.value})`, false);
  });
  watch(() => {
    const code = iso3.value;
    if (!code) return;
    const m = model.members.entry(code).value;
    const state = m?.primer_status ?? 'none';
    const open = dueKeys.value.map((k) => k.slice(k.indexOf('/') + 1));
    let text: string;
    if (state === 'none' || state === 'draft') text = m?.krs ? `Drafting: finish the primer and submit it to the Secretariat. ${open.length ? `${open.length} key result${open.length === 1 ? '' : 's'} could already report for ${year.value}.` : ''}` : 'Drafting: write the primer’s focus areas and key results, then submit it to the Secretariat.';
    else if (!m || m.expected === 0) text = `Nothing is due for ${year.value}: no key result has a target this year.`;
    else if (open.length === 0) text = `Everything due for ${year.value} is reported.`;
    else text = `Due for ${year.value}: ${open.length} key result${open.length === 1 ? '' : 's'} to report${hooks.editable.value ? ':' : ` (${open.join(', ')}).`}`;
    setText(dueText, text.trim(), false);
    due.classList.toggle('done', state !== 'none' && state !== 'draft' && !!m && m.expected > 0 && open.length === 0);
  });
  // The key results still due, each a button that opens its report sheet: one tap from the first screen.
  watch(() => {
    const keysDue = dueKeys.value;
    const can = hooks.editable.value;
    const m = iso3.value ? model.members.entry(iso3.value).peek() : undefined;
    const drafting = !m || m.primer_status === 'none' || m.primer_status === 'draft';
    dueChips.hidden = !can || drafting || keysDue.length === 0;
    dueChips.replaceChildren(
      ...(dueChips.hidden
        ? []
        : keysDue.map((k) => {
            const code = k.slice(k.indexOf('/') + 1);
            const b = h('button', { type: 'button', class: 'due-chip', 'data-due': k, 'aria-label': `Report a value for ${code}` }, code);
            b.addEventListener('click', () => hooks.report(k));
            return b;
          })),
    );
  });
  watch(() => {
    const areas = primer.value?.focus_areas ?? [];
    focus.textContent = areas.length ? `Focus areas: ${areas.join(' · ')}` : '';
    focus.hidden = !areas.length;
  });
  const targets = computed(() => new Map((primer.value?.key_results ?? []).map((k) => [k.code, k.targets ?? {}])));
  watch(() => {
    none.hidden = keys.value.length > 0;
  });
  each(list, keys, (key) => {
    const code = h('strong', {});
    const where = h('span', { class: 'kr-where' });
    const title = h('div', { class: 'kr-title' });
    const actual = h('strong', { 'data-kr': key });
    const rest = h('span', {});
    const state = h('span', { class: 'pill' });
    const bar = h('span', {});
    const progress = h('div', { class: 'progress', role: 'img' }, bar);
    const years = h('div', { class: 'muted kr-years' });
    const dueTag = h('span', { class: 'due-tag', hidden: true }, 'Due');
    const note = h('p', { class: 'kr-note', 'data-testid': 'kr-note', role: 'status', hidden: true });
    const krCode = key.slice(key.indexOf('/') + 1);
    const button = h('button', { type: 'button', class: 'report-btn', 'data-report': key, 'aria-label': `Report a value for ${krCode}`, hidden: true }, 'Report');
    button.addEventListener('click', () => hooks.report(key));
    watch(() => {
      const k = model.key_results.entry(key).value;
      if (!k) return;
      setText(code, k.code, false);
      setText(where, ` · Pillar ${k.pillar} · ${k.focus_area}`, false);
      setText(title, k.title, false);
      setText(actual, k.actual == null ? 'not reported' : `${num(k.actual, 2)} ${k.unit}`);
      setText(rest, ` · target ${num(k.target, 2)} · ${pct(k.progress)} `, false);
      const colour = STATUS_COLOUR[k.status];
      setText(state, STATUS_LABEL[k.status], false);
      state.style.background = colour;
      // White reads on the blue of achieved (5:1); black on the vermillion of off track (white: 3.9:1).
      state.style.color = STATUS_TEXT[k.status];
      progress.setAttribute('aria-label', `progress ${pct(k.progress)}`);
      bar.style.width = `${Math.max(0, Math.min(1, k.progress ?? 0)) * 100}%`;
      bar.style.background = colour;
      dueTag.hidden = !(k.target != null && k.actual == null);
    });
    watch(() => {
      const t = targets.value.get(krCode) ?? {};
      setText(years, `Targets: ${CYCLE_YEARS.map((y) => `${y}: ${num(t[String(y)], 2)}`).join(' · ')}`, false);
    });
    watch(() => {
      button.hidden = !hooks.editable.value;
    });
    // Its latest reports for the period; the one that counts with Correct and Withdraw for who may edit.
    const history = h('ul', { class: 'kr-reports', 'data-testid': 'kr-reports', 'aria-label': `Reports of ${krCode}`, hidden: true });
    const earlier = h('p', { class: 'muted kr-earlier', hidden: true });
    watch(() => {
      const list = hooks.reports.value.get(krCode) ?? [];
      const can = hooks.editable.value;
      const unit = model.key_results.entry(key).value?.unit ?? '';
      const now = counting(list);
      history.hidden = list.length === 0;
      // Only the report that counts is corrected or withdrawn here: an older one counts for nothing.
      history.replaceChildren(...list.slice(0, REPORTS_SHOWN).map((a) => reportItem(a, a === now, unit, can && a === now ? (mode) => hooks.fix(key, a, mode) : null)));
      const more = list.length - REPORTS_SHOWN;
      earlier.hidden = more <= 0;
      setText(earlier, more > 0 ? `and ${more} earlier report${more === 1 ? '' : 's'}` : '', false);
    });
    // What happened to this key result's reports: queued on the phone, refused, or sent.
    watch(() => {
      const box = hooks.outbox.value;
      const mine = (box?.items.value ?? []).filter((e) => e.ref === key);
      const sending = box?.sending.value ?? null;
      const last = mine[mine.length - 1];
      let text = '';
      let kind = '';
      if (last?.failed) {
        text = `Not accepted: ${last.label}. ${refusalText(last)}`;
        kind = 'err';
      } else if (last) {
        text = last.key === sending ? `Sending ${last.label}…` : `Queued on this phone: ${last.label}. It will be sent when the network is back.`;
        kind = 'queued';
      } else {
        const n = hooks.notes.value.get(key);
        if (n) {
          text = n.text;
          kind = n.kind;
        }
      }
      note.hidden = !text;
      note.className = `kr-note ${kind}`;
      setText(note, text, false);
    });
    return h(
      'li',
      { class: 'kr-item' },
      h('div', { class: 'kr-head' }, code, where, dueTag),
      title,
      h('div', { class: 'kr-now' }, 'Actual ', actual, rest, state),
      progress,
      years,
      history,
      earlier,
      note,
      button,
    );
  });
  return { status, krs };
}

/**
 * One report in a key result's list: value, when and by whom; "counts now" on the current one;
 * a withdrawn one struck through with its reason. `fix`: Correct and Withdraw (null: none).
 */
function reportItem(a: Actual, now: boolean, unit: string, fix: ((mode: FixMode) => void) | null): HTMLElement {
  const value = `${num(a.value, 2)}${unit ? ` ${unit}` : ''}`;
  const li = h(
    'li',
    { 'data-actual': String(a.id), class: a.withdrawn ? 'withdrawn' : now ? 'current' : null },
    h('div', { class: 'rep-line' }, h('strong', { class: 'rep-value' }, value), now ? h('span', { class: 'rep-now' }, 'counts now') : null),
    h('div', { class: 'rep-when' }, `${when(a.reported_at)} · by ${a.reported_by}`),
  );
  if (a.withdrawn) {
    const by = a.withdrawn.by === a.reported_by ? '' : `by ${a.withdrawn.by}, `;
    li.append(h('p', { class: 'rep-withdrawn', 'data-testid': 'withdrawn' }, h('strong', {}, 'Withdrawn: '), a.withdrawn.reason, ` (${by}revision ${a.withdrawn.rev})`));
  } else if (fix) {
    const correct = h('button', { type: 'button', class: 'secondary', 'data-correct': String(a.id), 'aria-label': `Correct the report of ${value}, ${when(a.reported_at)}` }, 'Correct');
    const withdraw = h('button', { type: 'button', class: 'secondary danger-outline', 'data-withdraw': String(a.id), 'aria-label': `Withdraw the report of ${value}, ${when(a.reported_at)}` }, 'Withdraw');
    correct.addEventListener('click', () => fix('correct'));
    withdraw.addEventListener('click', () => fix('withdraw'));
    li.append(h('div', { class: 'rep-actions' }, correct, withdraw));
  }
  return li;
}

interface OutboxHooks {
  fix: (e: Edit) => void;
}

/**
 * What is kept on this phone and not yet accepted by the server: each edit, queued (waiting
 * for the network), being sent, or refused (with the server's words, and Fix, Send again and
 * Discard). Hidden while there is nothing; "Offline" said while the browser is offline.
 */
function outboxView(outbox: ReadonlySignal<Outbox | null>, offline: ReadonlySignal<boolean>, hooks: OutboxHooks): { bar: HTMLElement; section: HTMLElement } {
  // A bar that stays at the top of the screen while the phone is offline or holds edits.
  const bar = h('p', { class: 'offline-bar', 'data-testid': 'offline', role: 'status', hidden: true });
  const heading = h('h2', {});
  const list = h('ul', { class: 'outbox-list' });
  const section = h('section', { class: 'outbox', 'data-testid': 'outbox', 'aria-label': 'Kept on this phone', hidden: true }, heading, list);
  const keys = stableList(() => (outbox.value?.items.value ?? []).map((e) => e.key));
  watch(() => {
    const items = outbox.value?.items.value ?? [];
    const off = offline.value;
    const waiting = items.filter((e) => !e.failed).length;
    const failed = items.length - waiting;
    section.hidden = !items.length;
    bar.hidden = !off && !waiting;
    bar.classList.toggle('off', off);
    const kept = waiting ? `${waiting} ${waiting === 1 ? 'edit' : 'edits'} kept on this phone` : '';
    bar.textContent = off ? `Offline. ${kept ? `${kept}, sent` : 'What you report is kept on this phone and sent'} when the network is back.` : waiting ? `Sending: ${kept}…` : '';
    heading.textContent = failed ? `Not sent (${items.length}): ${failed} need${failed === 1 ? 's' : ''} a fix` : `Waiting to send (${items.length})`;
  });
  each(list, keys, (key) => {
    const label = h('strong', {});
    const state = h('span', { class: 'outbox-state', 'data-testid': 'outbox-state' });
    const why = h('p', { class: 'outbox-why', hidden: true });
    const fix = h('button', { type: 'button', class: 'secondary' }, 'Fix');
    const again = h('button', { type: 'button', class: 'secondary' }, 'Send again');
    const drop = h('button', { type: 'button', class: 'secondary danger-outline' }, 'Discard');
    const sure = h('button', { type: 'button', class: 'danger', hidden: true }, 'Yes, discard it');
    const actions = h('div', { class: 'outbox-actions' }, fix, again, drop, sure);
    const item = h('li', { 'data-edit': key }, label, state, why, actions);
    const find = () => outbox.peek()?.items.peek().find((e) => e.key === key) ?? null;
    fix.addEventListener('click', () => {
      const e = find();
      if (e) hooks.fix(e);
    });
    again.addEventListener('click', () => void outbox.peek()?.retry(key));
    drop.addEventListener('click', () => {
      drop.hidden = true;
      sure.hidden = false;
      sure.focus();
    });
    sure.addEventListener('click', () => outbox.peek()?.discard(key));
    watch(() => {
      const box = outbox.value;
      const e = (box?.items.value ?? []).find((x) => x.key === key);
      if (!e) return;
      const sending = box?.sending.value === key;
      const kind = e.failed ? 'failed' : sending ? 'sending' : 'queued';
      item.dataset.state = kind;
      setText(label, e.label, false);
      setText(state, kind === 'failed' ? 'Not accepted' : kind === 'sending' ? 'Sending…' : e.tries ? `Queued (tried ${e.tries} time${e.tries === 1 ? '' : 's'})` : 'Queued', false);
      why.hidden = !e.failed;
      setText(why, e.failed ? refusalText(e) : '', false);
      fix.hidden = !e.failed;
      again.hidden = !e.failed;
    });
    return item;
  });
  return { bar, section };
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
