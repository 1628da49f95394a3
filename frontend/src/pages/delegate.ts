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
// a patch carries a report of the member. What the page draws is in `delegate-home.ts`; this module
// wires it to the session, the live model, the outbox and the sheets.

import '../styles/delegate.css';
import { batch, computed, signal } from '@preact/signals-core';
import { mayEdit, statusesFor } from '../access';
import { ApiError, describeError, get } from '../api';
import { statusBadge } from '../badge';
import type { FixMode } from '../delegate-reports';
import { countsAfter, fixOf, reasonProblem, reportsByKr } from '../delegate-reports';
import { readValue } from '../delegate-value';
import { krSource } from '../derived';
import { h } from '../dom';
import { clearErrors, field, input, select, showErrors } from '../forms';
import { num } from '../format';
import { connectLive } from '../live';
import { navBar } from '../nav';
import type { Edit } from '../offline-queue';
import { Outbox, membersWithOutbox, outboxKey, refusalOf } from '../offline-queue';
import { initialPeriod } from '../period';
import type { Actual, ActualInput, Member, Posted, Primer, PrimerInput } from '../protocol';
import { CYCLE_YEARS } from '../protocol';
import { session } from '../session';
import { primerEditor } from './primer-form';
import { amendBox, amendNote, memberHome, outboxView, primerLocked, returnComment, when } from './delegate-home';
import type { Note } from './delegate-home';

const MEMBER_KEY = 'apo.delegate.member';

/** A report a withdrawal or correction names: what the sheet says about it. */
interface ReportRef {
  id: number;
  value: number | null;
  reported_at: string | null;
  year: number | null;
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
  /**
   * Sends what a sheet holds through the outbox. Refused: the message goes next to its field
   * and the sheet stays open with what was typed (the refused edit is not kept twice). Sent or
   * queued: the sheet closes, an edit it was fixing is dropped, and the key result says so.
   */
  function sendSheet(
    s: { box: Outbox; form: HTMLFormElement; status: HTMLElement; send: HTMLButtonElement; key: string; from: Edit | null },
    draft: Parameters<Outbox['submit']>[0],
    said: (rev: number) => string,
    refused: (e: ApiError) => void,
    after: () => void = () => {},
  ): void {
    s.status.textContent = 'Sending…';
    s.send.disabled = true;
    s.box
      .submit<Posted>(draft)
      .then((o) => {
        if (o.state === 'failed') {
          s.box.discard(o.edit.key);
          showErrors(s.form, o.error, s.status);
          refused(o.error);
          return;
        }
        if (s.from) s.box.discard(s.from.key);
        setNote(s.key, o.state === 'sent' ? { kind: 'ok', text: said(o.answer.rev) } : null);
        closeSheet();
        after();
        document.querySelector<HTMLElement>(`[data-report="${CSS.escape(s.key)}"]`)?.focus();
      })
      .catch((e) => showErrors(s.form, e, s.status))
      .finally(() => {
        s.send.disabled = false;
      });
  }

  function openSheet(key: string, from: Edit | null = null): void {
    closeSheet();
    const code = key.slice(0, key.indexOf('/'));
    const krCode = key.slice(key.indexOf('/') + 1);
    const k = model.key_results.peek(key);
    const box = outbox.peek();
    // A derived key result takes no report (derived.ts): its card says why instead.
    if (!box || code !== iso3.peek() || (krSource(k) && !from)) return;
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
      status.className = 'form-status';
      sendSheet(
        { box, form, status, send, key, from },
        { kind: 'report', method: 'POST', path: '/actuals', body: report, label, ref: key },
        (rev) => `Sent: ${label} (revision ${rev}).`,
        () => value.focus(),
      );
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
      sendSheet(
        { box, form, status, send, key, from },
        { kind: 'report', method: 'POST', path: `/actuals/${a.id}/${mode}`, body: sent, label, ref: key },
        (rev) => `${withdraw ? `Withdrawn: ${krCode} · ${year}: ${was}` : `Corrected: ${label.slice('Correction of '.length)}`} (revision ${rev}).`,
        (e) => {
          (e.details.some((d) => d.field === 'value') && value ? value : reason).focus();
          loadReports();
        },
        loadReports,
      );
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
