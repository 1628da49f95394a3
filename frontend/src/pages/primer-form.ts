// The primer editor: status, national context, focus areas, key results and their targets,
// written as one document with PUT /primers/{iso3}. The server's validation is shown next to
// the field it names ("key_results[2].targets.2027").

import { put } from '../api';
import { h } from '../dom';
import { clearErrors, field, input, numberOrText, select, showErrors } from '../forms';
import type { KeyResultInput, Primer, PrimerInput, PrimerStatus } from '../protocol';
import { CYCLE_YEARS } from '../protocol';

const STATUS_NAME: Record<PrimerStatus, string> = { draft: 'Draft', submitted: 'Submitted', endorsed: 'Endorsed' };

/**
 * `statuses` are those the session may save it with (access.ts `statusesFor`: an editor never
 * endorses). `saved` is called with what to tell the person after a save; the page reloads the primer and
 * builds a new editor, passing that message back as `notice` so it stays on screen.
 */
export function primerEditor(iso3: string, primer: Primer | null, statuses: readonly PrimerStatus[], saved: (notice: string) => void, notice = ''): HTMLElement {
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

  const addFocus = (value = '') => {
    const row = h('div', { class: 'focus-row' });
    const inp = input({ value });
    const remove = h('button', { type: 'button', class: 'secondary' }, 'Remove');
    remove.addEventListener('click', () => {
      row.remove();
      renumber();
    });
    row.append(field('Focus area', inp, ''), remove);
    focusList.append(row);
    renumber();
  };
  const addKr = (kr?: KeyResultInput) => {
    krList.append(krFieldset(kr, renumber));
    renumber();
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
  for (const k of primer?.key_results ?? []) addKr(k);

  const addFocusBtn = h('button', { type: 'button', class: 'secondary' }, 'Add focus area');
  addFocusBtn.addEventListener('click', () => addFocus());
  const addKrBtn = h('button', { type: 'button', class: 'secondary' }, 'Add key result');
  addKrBtn.addEventListener('click', () => addKr());

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

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    result.textContent = 'Saving…';
    result.className = 'form-status';
    const body: PrimerInput = {
      status: status.value as PrimerInput['status'],
      national_context: context.value,
      focus_areas: [...focusList.querySelectorAll<HTMLInputElement>('input')].map((i) => i.value),
      key_results: [...krList.children].map((fs) => readKr(fs as HTMLElement)),
    };
    if (primer?.endorsed_on && body.status === 'endorsed') body.endorsed_on = primer.endorsed_on;
    put<{ rev: number; changed: boolean }>(`/primers/${iso3}`, body)
      .then((r) => {
        const message = r.changed ? `Saved (revision ${r.rev})` : 'No changes to save';
        result.textContent = message;
        result.className = 'form-status ok';
        saved(message);
      })
      .catch((e) => showErrors(form, e, result));
  });

  const details = h('details', { class: 'primer-editor', open: primer === null || notice ? true : null }, h('summary', {}, primer ? 'Edit the primer' : 'Draft the primer'), form);
  return h('div', {}, h('h2', {}, 'Primer'), details);
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
    labelled('Focus area', input({ value: kr?.focus_area ?? '' }), 'focus_area'),
    h('div', { class: 'row2' }, labelled('Unit', input({ value: kr?.unit ?? '' }), 'unit'), labelled('Direction', dir, 'direction')),
    h(
      'div',
      { class: 'row3' },
      labelled('Baseline year', input({ value: kr?.baseline_year?.toString() ?? '', inputmode: 'numeric' }), 'baseline_year'),
      labelled('Baseline', input({ value: kr?.baseline_value?.toString() ?? '', inputmode: 'decimal' }), 'baseline_value'),
      labelled('Weight', input({ value: String(kr?.weight ?? 1), inputmode: 'decimal' }), 'weight'),
    ),
    h('div', { class: 'row3' }, ...CYCLE_YEARS.map((y) => labelled(`Target ${y}`, input({ value: kr?.targets?.[String(y)]?.toString() ?? '', inputmode: 'decimal' }), `targets.${y}`))),
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
  };
}
