// The delegate's phone home, drawn: the member's standing and its key results with their
// reports (`memberHome`), the outbox's bar and list (`outboxView`), the amendment box, and the
// words the page uses for dates. `delegate.ts` wires them to the session, the live model, the
// outbox and the sheets.

import { computed } from '@preact/signals-core';
import type { ReadonlySignal } from '@preact/signals-core';
import { ApiError, sendWithKey } from '../api';
import type { FixMode } from '../delegate-reports';
import { REPORTS_SHOWN, counting, reasonProblem } from '../delegate-reports';
import { krSource, setDerivedMark, setDerivedNote } from '../derived';
import { h, setText } from '../dom';
import { clearErrors, field, showErrors } from '../forms';
import { count, num, pct } from '../format';
import type { DocModel } from '../model';
import { keysWithPrefix, stableList } from '../model';
import type { Edit } from '../offline-queue';
import { Outbox, newUuid, refusalText } from '../offline-queue';
import { PRIMER_COLOUR, PRIMER_LABEL, PRIMER_TEXT, STATUS_COLOUR, STATUS_LABEL, STATUS_TEXT } from '../palette';
import type { Actual, Primer, PutPrimerResult } from '../protocol';
import { CYCLE_YEARS } from '../protocol';
import { each, watch } from '../reactive';

/** What the page last said about a key result's report: sent, or refused and put aside. */
export interface Note {
  kind: 'ok' | 'err';
  text: string;
}

const dayFormat = new Intl.DateTimeFormat(navigator.language || 'en', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

/** A date ("2026-01-30") for people: "30 Jan 2026". */
function day(iso: string): string {
  const d = new Date(`${iso}T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? iso : dayFormat.format(d);
}

const whenFormat = new Intl.DateTimeFormat(navigator.language || 'en', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });

/** When a report was made, on this phone's clock: "6 Dec 2026, 14:03". */
export function when(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : whenFormat.format(d);
}

/** A primer being amended: the version it amends, and the reason given (null: not an amendment). */
export function amendNote(p: Primer | null): { head: string; reason: string } | null {
  if (!p || p.status !== 'draft' || p.review?.action !== 'amend') return null;
  const note = p.review.note?.trim() ?? '';
  return { head: `Amending version ${Math.max(1, p.version - 1)} as version ${p.version}${note ? ': ' : '.'}`, reason: note };
}

/**
 * An endorsed primer, to its editor: what amending it means, and "Amend" with the reason
 * (required). The primer becomes a draft of its next version; `done` reloads it, and the form
 * opens on the draft.
 */
export function amendBox(code: string, p: Primer, done: (message: string) => void): HTMLElement {
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
export function returnComment(p: Primer | null): string | null {
  const review = p?.status === 'draft' ? p.review : null;
  return review?.action === 'return' && review.note?.trim() ? review.note : null;
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
export function memberHome(model: DocModel, iso3: ReadonlySignal<string>, primer: ReadonlySignal<Primer | null>, period: number, hooks: HomeHooks): { status: HTMLElement; krs: HTMLElement } {
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
  /** The member's key results with a target this period and no report yet (derived ones aside). */
  const dueKeys = stableList(() =>
    keys.value.filter((k) => {
      const d = model.key_results.entry(k).value;
      // A derived key result is never due from people: its actual comes from its database.
      return !!d && d.target != null && d.actual == null && krSource(d) === null;
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
    const derived = h('span', { hidden: true });
    const derivedNote = h('p', { hidden: true, 'data-testid': 'derived-note' });
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
      dueTag.hidden = !(k.target != null && k.actual == null) || krSource(k) !== null;
      setDerivedMark(derived, k);
    });
    watch(() => {
      const t = targets.value.get(krCode) ?? {};
      setText(years, `Targets: ${CYCLE_YEARS.map((y) => `${y}: ${num(t[String(y)], 2)}`).join(' · ')}`, false);
    });
    watch(() => {
      // A derived key result takes no report (the server refuses it): the explanation instead.
      const k = model.key_results.entry(key).value;
      button.hidden = !hooks.editable.value || krSource(k) !== null;
      setDerivedNote(derivedNote, hooks.editable.value ? k : null, key.slice(0, key.indexOf('/')));
    });
    // Its latest reports for the period; the one that counts with Correct and Withdraw for who may edit.
    const history = h('ul', { class: 'kr-reports', 'data-testid': 'kr-reports', 'aria-label': `Reports of ${krCode}`, hidden: true });
    const earlier = h('p', { class: 'muted kr-earlier', hidden: true });
    watch(() => {
      const list = hooks.reports.value.get(krCode) ?? [];
      // A derived key result's old reports are history: its actual comes from its database.
      const derivedKr = krSource(model.key_results.entry(key).value) !== null;
      const can = hooks.editable.value && !derivedKr;
      const unit = model.key_results.entry(key).value?.unit ?? '';
      const now = derivedKr ? null : counting(list);
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
      h('div', { class: 'kr-now' }, 'Actual ', actual, rest, state, derived),
      progress,
      years,
      history,
      earlier,
      note,
      derivedNote,
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
export function outboxView(outbox: ReadonlySignal<Outbox | null>, offline: ReadonlySignal<boolean>, hooks: OutboxHooks): { bar: HTMLElement; section: HTMLElement } {
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
export function primerLocked(p: Primer | null): HTMLElement {
  const why =
    p?.status === 'endorsed'
      ? 'The primer is endorsed. Only the Secretariat can change it now.'
      : 'The primer is submitted. The Secretariat endorses it, or returns it to draft if it needs changes.';
  return h('div', { 'data-testid': 'primer-locked' }, h('h2', {}, 'Primer'), h('p', { class: 'muted' }, why));
}
