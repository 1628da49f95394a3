// The primer editor: status, national context, focus areas, key results and their targets,
// written as one document with PUT /primers/{iso3}. The server's validation is shown next to
// the field it names ("key_results[2].targets.2027"), in words.
//
// Where the primer allows only a closed list, the form offers the list, never free text: a key
// result's pillar is one of the four, its direction one of two, and its focus area one of the
// focus areas written above it (the list follows the focus areas as they are typed, renamed or
// removed).

import { ApiError, put } from '../api';
import { h } from '../dom';
import { clearErrors, field, input, numberOrText, select, showErrors } from '../forms';
import type { Outcome } from '../offline-queue';
import type { KeyResultInput, Primer, PrimerInput, PrimerStatus } from '../protocol';
import { CYCLE_YEARS } from '../protocol';

const STATUS_NAME: Record<PrimerStatus, string> = { draft: 'Draft (still being written)', submitted: 'Submitted to the Secretariat', endorsed: 'Endorsed' };

export interface PrimerEditorOptions {
  /**
   * Sends the primer (default: PUT now). The delegate page passes its outbox's, which keeps the
   * primer on the phone when the network is down and says so ("queued").
   */
  send?: (body: PrimerInput) => Promise<Outcome<{ rev: number; changed: boolean }>>;
  /** A refusal to show next to the fields as soon as the form is drawn (a failed queued edit being fixed). */
  errors?: ApiError | null;
  /** Drawn open (the phone home while the primer is being drafted). */
  open?: boolean;
}

export function primerEditor(iso3: string, primer: Primer | null, statuses: readonly PrimerStatus[], saved: (notice: string) => void, notice = '', opts: PrimerEditorOptions = {}): HTMLElement {
  const form = h('form', { class: 'stack', 'data-testid': 'primer-form', novalidate: true });
  const status = select(
    statuses.map((s) => [s, STATUS_NAME[s]]),
    primer?.status && statuses.includes(primer.status) ? primer.status : statuses[0],
  );
  const context = h('textarea', { rows: 5 });
  context.value = primer?.national_context ?? '';
  const focusList = h('div', { class: 'stack' });
  const krList = h('div', { class: 'stack' });
  const result = h('div', { class: notice ? 'form-status ok' : 'form-status', role: 'status' }, notice);

  /** The focus areas as typed now: what a key result's focus area may be. */
  const focusAreas = () => [...focusList.querySelectorAll<HTMLInputElement>('input')].map((i) => i.value.trim()).filter((v) => v !== '');
  /** Every key result's focus-area list redrawn from the focus areas; `renamed` moves the choices of a renamed one. */
  const refreshFocus = (renamed?: [string, string]) => {
    for (const sel of krList.querySelectorAll<HTMLSelectElement>('select[data-name="focus_area"]')) {
      const was = renamed && same(sel.value, renamed[0]) ? renamed[1] : sel.value;
      fillFocus(sel, focusAreas(), was);
    }
  };

  const addFocus = (value = '') => {
    const row = h('div', { class: 'focus-row' });
    const inp = input({ value, autocomplete: 'off' });
    inp.dataset.prev = value.trim();
    inp.addEventListener('input', () => {
      const prev = inp.dataset.prev ?? '';
      inp.dataset.prev = inp.value.trim();
      refreshFocus(prev ? [prev, inp.value.trim()] : undefined);
    });
    const remove = h('button', { type: 'button', class: 'secondary' }, 'Remove');
    remove.addEventListener('click', () => {
      row.remove();
      renumber();
      refreshFocus();
    });
    row.append(field('Focus area', inp, ''), remove);
    focusList.append(row);
    renumber();
    refreshFocus();
    return inp;
  };
  const addKr = (kr?: KeyResultInput) => {
    const fs = krFieldset(kr, renumber);
    krList.append(fs);
    renumber();
    const sel = fs.querySelector<HTMLSelectElement>('select[data-name="focus_area"]');
    if (sel) fillFocus(sel, focusAreas(), kr?.focus_area ?? '');
    return fs;
  };

  /** Field paths follow the position: focus_areas[i], key_results[i].title, … */
  function renumber(): void {
    [...focusList.children].forEach((row, i) => {
      const c = row.querySelector<HTMLInputElement>('input');
      const err = row.querySelector<HTMLElement>('[data-error-for]');
      if (c) c.dataset.field = `focus_areas[${i}]`;
      if (err) err.dataset.errorFor = `focus_areas[${i}]`;
    });
    [...krList.children].forEach((fs, i) => {
      for (const c of fs.querySelectorAll<HTMLElement>('[data-name]')) c.dataset.field = `key_results[${i}].${c.dataset.name}`;
      for (const e of fs.querySelectorAll<HTMLElement>('[data-error-name]')) e.dataset.errorFor = `key_results[${i}].${e.dataset.errorName}`;
      const legend = fs.querySelector('legend');
      if (legend) legend.textContent = `Key result ${i + 1}`;
    });
  }

  for (const f of primer?.focus_areas ?? []) addFocus(f);
  // A primer begun on the phone starts with a focus area to type, not an empty list.
  if (!primer) addFocus();
  for (const k of primer?.key_results ?? []) addKr(k);

  const addFocusBtn = h('button', { type: 'button', class: 'secondary' }, 'Add focus area');
  addFocusBtn.addEventListener('click', () => addFocus().focus());
  const addKrBtn = h('button', { type: 'button', class: 'secondary' }, 'Add key result');
  addKrBtn.addEventListener('click', () => addKr().querySelector<HTMLInputElement>('input')?.focus());

  form.append(
    field('Status', status, 'status'),
    field('National context', context, 'national_context'),
    h('fieldset', {}, h('legend', {}, 'Focus areas'), focusList, addFocusBtn),
    h('h3', {}, 'Key results'),
    h('div', { 'data-error-for': 'key_results', class: 'field-error' }),
    krList,
    addKrBtn,
    h('button', { type: 'submit' }, 'Save primer'),
    result,
  );

  const send = opts.send ?? ((body: PrimerInput) => put<{ rev: number; changed: boolean }>(`/primers/${iso3}`, body).then((answer) => ({ state: 'sent' as const, answer })));
  const submitBtn = form.querySelector<HTMLButtonElement>('button[type=submit]');
  form.addEventListener('input', () => {
    form.dataset.dirty = '1';
  });

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    delete form.dataset.dirty;
    result.textContent = 'Saving…';
    result.className = 'form-status';
    const body: PrimerInput = {
      status: status.value as PrimerInput['status'],
      national_context: context.value,
      focus_areas: [...focusList.querySelectorAll<HTMLInputElement>('input')].map((i) => i.value),
      key_results: [...krList.children].map((fs) => readKr(fs as HTMLElement)),
    };
    if (primer?.endorsed_on && body.status === 'endorsed') body.endorsed_on = primer.endorsed_on;
    if (submitBtn) submitBtn.disabled = true;
    send(body)
      .then((o) => {
        if (o.state === 'sent') {
          const message = o.answer.changed ? `Saved (revision ${o.answer.rev})` : 'No changes to save';
          result.textContent = message;
          result.className = 'form-status ok';
          saved(message);
        } else if (o.state === 'queued') {
          result.textContent = 'Queued on this phone: no network. The primer will be saved as soon as the network is back; keep this page open or come back to it.';
          result.className = 'form-status queued';
        } else {
          showErrors(form, o.error, result);
        }
      })
      .catch((e) => showErrors(form, e, result))
      .finally(() => {
        if (submitBtn) submitBtn.disabled = false;
      });
  });
  if (opts.errors) showErrors(form, opts.errors, result);

  const details = h('details', { class: 'primer-editor', open: primer === null || notice || opts.errors || opts.open ? true : null }, h('summary', {}, primer ? 'Edit the primer' : 'Draft the primer'), form);
  return h('div', {}, h('h2', {}, 'Primer'), details);
}

/** Focus areas compare as the server compares them: trimmed, case-folded. */
function same(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/**
 * A key result's focus-area list: the primer's focus areas, with `value` chosen. A value that is
 * none of them (an old primer, or a focus area just removed) stays chosen, marked, so that the
 * delegate sees it and picks another, and the server's message says why.
 */
function fillFocus(sel: HTMLSelectElement, areas: readonly string[], value: string): void {
  const v = value.trim();
  const known = areas.find((a) => same(a, v));
  const options: [string, string][] = [['', areas.length ? 'Choose one of the focus areas…' : 'Write a focus area above first']];
  for (const a of areas) options.push([a, a]);
  if (v && !known) options.push([v, `${v} (not one of the focus areas)`]);
  const want = known ?? v;
  const now = [...sel.options].map((o) => [o.value, o.textContent ?? '']);
  if (JSON.stringify(now) !== JSON.stringify(options)) sel.replaceChildren(...options.map(([val, text]) => h('option', { value: val }, text)));
  sel.value = want;
}

function named(control: HTMLElement, name: string): HTMLElement {
  control.dataset.name = name;
  return control;
}

function labelled(label: string, control: HTMLElement, name: string): HTMLElement {
  named(control, name);
  const wrap = field(label, control as HTMLInputElement, name);
  const err = wrap.querySelector<HTMLElement>('[data-error-for]');
  if (err) err.dataset.errorName = name;
  return wrap;
}

function krFieldset(kr: KeyResultInput | undefined, changed: () => void): HTMLElement {
  const fs = h('fieldset', { class: 'kr-edit' }, h('legend', {}, 'Key result'));
  const dir = select(
    [
      ['increase', 'Increase'],
      ['decrease', 'Decrease'],
    ],
    kr?.direction ?? 'increase',
  );
  const pillar = select(
    [
      ['1', '1 Stakeholder collaboration'],
      ['2', '2 Strategic planning support'],
      ['3', '3 Capacity empowerment'],
      ['4', '4 Knowledge and information'],
    ],
    String(kr?.pillar ?? 1),
  );
  fs.append(
    h('div', { class: 'row2' }, labelled('Code', input({ value: kr?.code ?? '' }), 'code'), labelled('Pillar', pillar, 'pillar')),
    labelled('Title', input({ value: kr?.title ?? '' }), 'title'),
    labelled('Focus area', select([]), 'focus_area'),
    h('div', { class: 'row2' }, labelled('Unit', input({ value: kr?.unit ?? '' }), 'unit'), labelled('Direction', dir, 'direction')),
    h(
      'div',
      { class: 'row3' },
      labelled('Baseline year', input({ value: kr?.baseline_year?.toString() ?? '', inputmode: 'numeric' }), 'baseline_year'),
      labelled('Baseline', input({ value: kr?.baseline_value?.toString() ?? '', inputmode: 'decimal' }), 'baseline_value'),
      labelled('Weight', input({ value: String(kr?.weight ?? 1), inputmode: 'decimal' }), 'weight'),
    ),
    h('div', { class: 'row3' }, ...CYCLE_YEARS.map((y) => labelled(`Target ${y}`, input({ value: kr?.targets?.[String(y)]?.toString() ?? '', inputmode: 'decimal' }), `targets.${y}`))),
    // The range a report may take (blank: no limit on that side). A new key result starts at
    // 0 or more: a count cannot be negative; a percentage also takes 100 as its greatest value.
    h(
      'div',
      { class: 'row2 kr-range' },
      labelled('Least value', input({ value: rangeText(kr ? kr.min_value : 0), inputmode: 'decimal', autocomplete: 'off' }), 'min_value'),
      labelled('Greatest value', input({ value: rangeText(kr?.max_value), inputmode: 'decimal', autocomplete: 'off' }), 'max_value'),
    ),
    h('p', { class: 'muted kr-range-hint' }, 'Reports outside the least and greatest value are refused. Leave one blank for no limit on that side.'),
  );
  const remove = h('button', { type: 'button', class: 'secondary' }, 'Remove key result');
  remove.addEventListener('click', () => {
    fs.remove();
    changed();
  });
  fs.append(remove);
  return fs;
}

function readKr(fs: HTMLElement): KeyResultInput {
  const v = (name: string) => fs.querySelector<HTMLInputElement | HTMLSelectElement>(`[data-name="${name}"]`)?.value ?? '';
  const targets: Record<string, number> = {};
  for (const y of CYCLE_YEARS) {
    const t = numberOrText(v(`targets.${y}`));
    if (t !== null) targets[String(y)] = t as number;
  }
  return {
    code: v('code').trim(),
    pillar: Number(v('pillar')),
    focus_area: v('focus_area'),
    title: v('title'),
    unit: v('unit'),
    direction: v('direction') as KeyResultInput['direction'],
    baseline_year: numberOrText(v('baseline_year')) as number | null,
    baseline_value: numberOrText(v('baseline_value')) as number | null,
    weight: (numberOrText(v('weight')) ?? 1) as number,
    targets,
    min_value: numberOrText(v('min_value')) as number | null,
    max_value: numberOrText(v('max_value')) as number | null,
  };
}

/** A range bound as typed in its field: blank for none. */
function rangeText(v: number | null | undefined): string {
  return v === null || v === undefined ? '' : String(v);
}
