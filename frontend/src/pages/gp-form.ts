// The form to record a GP 2.0 initiative or correct one (PUT /gp/initiatives/{id}) on /gp, and
// the Delete of an initiative in the page's list (DELETE /gp/initiatives/{id}, after a
// confirmation): for the Secretariat (any member) and for a member's editor (its own), who is
// often a delegate on a phone: one column, boxes 44 px tall, number pads. The outcomes are rows
// of metric (its unit shown), year and value, added and removed. The years are checked as they
// are typed (end not before start; an outcome's year within them and not after this year; one
// row per metric and year; values 0 or more) and nothing is sent while they are wrong. The
// server's refusals are shown beside the field they name (`outcomes[2].value`: that row's
// value), a 403 plainly above the button; nothing was changed then.

import '../styles/gp-form.css';
import { ApiError, del, describeError, put } from '../api';
import { h } from '../dom';
import { clearErrors, field, fieldName, input, plainMessage, select } from '../forms';
import type { Member } from '../protocol';
import {
  draftOf,
  type GpDraft,
  METRICS,
  METRIC_UNIT,
  newOutcome,
  type OutcomeDraft,
  outcomeProblems,
  type Problem,
  proposeId,
  readGpDraft,
  readYear,
  slotCandidates,
  slotPath,
  STATUSES,
  TYPES,
  yearProblems,
} from './gp-form-model';
import type { GpInitiative, GpTheme, OutcomeMetric } from './gp-model';

export interface GpFormContext {
  members: readonly Member[];
  themes: readonly GpTheme[];
  sectors: readonly { id: string; label: string }[];
  /** Every initiative known (their ids are taken). */
  initiatives: readonly GpInitiative[];
}

export interface GpForm {
  /** The panel (a `details` that opens to record or correct an initiative). */
  el: HTMLElement;
  /** Fills the form with a stored initiative, to correct it, and opens it. */
  edit(i: GpInitiative): void;
  /** Empties the form for a new initiative of `iso3`. */
  add(iso3: string): void;
  setContext(c: GpFormContext): void;
  /** An initiative was deleted: if the form holds it, it is emptied (saving would bring it back). */
  deleted(id: string): void;
}

const thisYear = () => new Date().getUTCFullYear();
/** An outcome row's field, named for the row's grid (its error spans the whole row). */
const part = (name: string, el: HTMLElement) => {
  el.classList.add(`gp-f-${name}`);
  return el;
};

/** Puts each problem beside the control whose slot it names; returns what found no slot, as text. */
function placeProblems(form: HTMLElement, problems: readonly Problem[]): string[] {
  const unplaced: string[] = [];
  for (const p of problems) {
    const name = slotCandidates(p.field).find((n) => form.querySelector(`[data-error-for="${CSS.escape(n)}"]`));
    const message = plainMessage(p.message);
    if (!name) {
      unplaced.push(p.field ? `${fieldName(p.field)}: ${message}` : message);
      continue;
    }
    const slot = form.querySelector(`[data-error-for="${CSS.escape(name)}"]`) as HTMLElement;
    if (!slot.textContent?.includes(message)) slot.textContent = slot.textContent ? `${slot.textContent}; ${message}` : message;
    form.querySelector(`[data-field="${CSS.escape(name)}"]`)?.setAttribute('aria-invalid', 'true');
  }
  return unplaced;
}

/**
 * `editableMembers`: the members this session may write for (all for the Secretariat, its own
 * for an editor). `saved` is told after each change, with the revision and the member.
 */
export function gpForm(editableMembers: () => readonly string[], saved: (rev: number, iso3: string) => void): GpForm {
  const form = h('form', { class: 'stack gp-form', 'data-testid': 'gp-form', novalidate: true });
  const c = {
    iso3: select([]),
    title: input({ 'data-testid': 'gf-title', autocomplete: 'off' }),
    id: input({ autocomplete: 'off', spellcheck: 'false', 'data-testid': 'gf-id' }),
    theme: select([]),
    type: select(TYPES),
    sector: select([]),
    start_year: input({ inputmode: 'numeric', autocomplete: 'off', maxlength: '4', 'data-testid': 'gf-start' }),
    end_year: input({ inputmode: 'numeric', autocomplete: 'off', maxlength: '4', 'data-testid': 'gf-end' }),
    status: select(STATUSES),
  };
  c.iso3.dataset.testid = 'gf-iso3';
  c.theme.dataset.testid = 'gf-theme';
  c.type.dataset.testid = 'gf-type';
  c.sector.dataset.testid = 'gf-sector';
  c.status.dataset.testid = 'gf-status';
  const rowsBox = h('ol', { class: 'gp-outcome-rows', 'data-testid': 'gf-outcomes' });
  const addRow = h('button', { type: 'button', class: 'secondary', 'data-testid': 'gf-add-outcome' }, '+ Add an outcome');
  const status = h('p', { class: 'form-status', role: 'status', 'aria-live': 'polite', 'data-testid': 'gp-form-status' });
  const save = h('button', { type: 'submit', class: 'primary', 'data-testid': 'gp-save' }, 'Record the initiative');
  const clear = h('button', { type: 'button', class: 'secondary' }, 'Clear');
  const summaryText = h('span', {}, 'Record an initiative');

  form.append(
    h('div', { class: 'row2' }, field('Member', c.iso3, 'iso3'), field('Title', c.title, 'title')),
    h('div', { class: 'row2' }, field('Theme', c.theme, 'theme'), field('Type', c.type, 'type')),
    h('div', { class: 'row2' }, field('Sector', c.sector, 'sector'), field('Status', c.status, 'status')),
    h('div', { class: 'row2 gp-years' }, field('First year', c.start_year, 'start_year'), field('Last year', c.end_year, 'end_year')),
    h(
      'fieldset',
      { class: 'gp-outcomes-set' },
      h('legend', {}, 'Outcomes reached'),
      h('p', { class: 'muted gp-form-hint' }, 'One row per metric and year, for the years reached so far.'),
      rowsBox,
      h('div', { class: 'field-error', 'data-error-for': 'outcomes' }),
      addRow,
    ),
    field('Id (made from the member and the title)', c.id, 'id'),
    h('div', { class: 'form-actions' }, save, clear),
    status,
  );

  let rows: OutcomeDraft[] = [];
  let stored: GpInitiative | null = null;
  /** Whether the id box holds the id the form proposed (it follows the member and the title). */
  let autoId = true;
  let ctx: GpFormContext = { members: [], themes: [], sectors: [], initiatives: [] };

  const readRows = () => {
    rows = [...rowsBox.querySelectorAll<HTMLElement>('[data-row]')].map((li) => ({
      metric: (li.querySelector('select') as HTMLSelectElement).value,
      year: (li.querySelector('[data-part=year]') as HTMLInputElement).value,
      value: (li.querySelector('[data-part=value]') as HTMLInputElement).value,
    }));
  };
  const draft = (): GpDraft => {
    readRows();
    return { id: c.id.value, iso3: c.iso3.value, title: c.title.value, theme: c.theme.value, type: c.type.value, sector: c.sector.value, start_year: c.start_year.value, end_year: c.end_year.value, status: c.status.value, outcomes: rows };
  };

  /** The years and the outcome rows, checked as they are typed; said beside them at once. */
  const check = () => {
    const d = draft();
    const names = ['start_year', 'end_year', 'outcomes', ...rows.flatMap((_, i) => ['metric', 'year', 'value'].map((p) => `outcomes[${i}].${p}`))];
    for (const n of names) {
      const slot = form.querySelector<HTMLElement>(`[data-error-for="${CSS.escape(n)}"]`);
      if (slot) slot.textContent = '';
      form.querySelector(`[data-field="${CSS.escape(n)}"]`)?.removeAttribute('aria-invalid');
    }
    // A year being typed (fewer than four digits) is not yet wrong.
    const typing = (raw: string) => raw.trim() !== '' && raw.trim().length < 4 && /^\d+$/.test(raw.trim());
    const years = yearProblems(d.start_year, d.end_year).filter((p) => !(p.field === 'start_year' ? typing(d.start_year) || d.start_year.trim() === '' : typing(d.end_year) || d.end_year.trim() === ''));
    const typedRows = d.outcomes.map((o) => (typing(o.year) ? { ...o, year: '' } : o));
    // Only what was typed is judged as it is typed: an empty year or value is said on saving.
    const outs = outcomeProblems(typedRows, readYear(d.start_year), readYear(d.end_year), thisYear()).filter((p) => !/the year it was reached|the value reached|choose what was measured/.test(p.message));
    placeProblems(form, [...years, ...outs]);
  };

  const rowEl = (o: OutcomeDraft, i: number): HTMLElement => {
    const metric = select([['', 'Choose…'], ...METRICS.map(([m, l]) => [m, l] as [string, string])], o.metric);
    metric.dataset.testid = `gf-metric-${i}`;
    const year = input({ inputmode: 'numeric', autocomplete: 'off', maxlength: '4', 'data-part': 'year', 'data-testid': `gf-year-${i}` });
    year.value = o.year;
    const value = input({ inputmode: 'decimal', autocomplete: 'off', 'data-part': 'value', 'data-testid': `gf-value-${i}` });
    value.value = o.value;
    const unit = h('span', { class: 'gp-unit', 'aria-hidden': 'true' }, METRIC_UNIT[o.metric as OutcomeMetric] ?? '');
    metric.addEventListener('change', () => {
      unit.textContent = METRIC_UNIT[metric.value as OutcomeMetric] ?? '';
    });
    const remove = h('button', { type: 'button', class: 'secondary gp-remove', 'data-testid': `gf-remove-${i}`, 'aria-label': `Remove outcome row ${i + 1}` }, 'Remove');
    remove.addEventListener('click', () => {
      readRows();
      rows.splice(i, 1);
      drawRows();
      (rowsBox.querySelector<HTMLElement>(`[data-row="${Math.min(i, rows.length - 1)}"] select`) ?? addRow).focus();
    });
    const valueField = field('Value', value, `outcomes[${i}].value`);
    valueField.querySelector('label')?.after(h('span', { class: 'gp-value-box' }));
    // The unit beside the box, so "340.5 MWh" reads as one.
    const box = valueField.querySelector('.gp-value-box') as HTMLElement;
    box.append(value, unit);
    return h(
      'li',
      { class: 'gp-outcome-row', 'data-row': String(i) },
      h('div', { class: 'gp-outcome-fields' }, part('metric', field(`Outcome ${i + 1}: metric`, metric, `outcomes[${i}].metric`)), part('year', field('Year', year, `outcomes[${i}].year`)), part('value', valueField)),
      remove,
    );
  };
  const drawRows = () => {
    rowsBox.replaceChildren(...rows.map(rowEl));
    check();
  };
  addRow.addEventListener('click', () => {
    readRows();
    rows.push(newOutcome(c.start_year.value, c.end_year.value, thisYear()));
    drawRows();
    rowsBox.querySelector<HTMLElement>(`[data-row="${rows.length - 1}"] select`)?.focus();
  });
  form.addEventListener('input', (e) => {
    const t = e.target as HTMLElement;
    if (t === c.id) autoId = false;
    if (t === c.title && autoId && !stored) c.id.value = proposeId(c.iso3.value, c.title.value, taken());
    if (t === c.start_year || t === c.end_year || rowsBox.contains(t)) check();
  });
  form.addEventListener('change', (e) => {
    if (rowsBox.contains(e.target as Node)) check();
  });
  c.iso3.addEventListener('change', () => {
    if (autoId && !stored) c.id.value = proposeId(c.iso3.value, c.title.value, taken());
  });

  const taken = () => new Set(ctx.initiatives.map((i) => i.id));

  const fillOptions = (current: GpDraft) => {
    const may = new Set(editableMembers());
    const list = ctx.members.filter((m) => may.has(m.iso3) || m.iso3 === current.iso3);
    c.iso3.replaceChildren(...list.map((m) => h('option', { value: m.iso3 }, `${m.name} (${m.iso3})`)));
    if (current.iso3 && !list.some((m) => m.iso3 === current.iso3)) c.iso3.append(h('option', { value: current.iso3 }, current.iso3));
    c.iso3.value = current.iso3;
    c.theme.replaceChildren(h('option', { value: '' }, 'Choose a theme'), ...ctx.themes.map((t) => h('option', { value: t.id }, t.label)));
    if (current.theme && !ctx.themes.some((t) => t.id === current.theme)) c.theme.append(h('option', { value: current.theme }, current.theme));
    c.theme.value = current.theme;
    c.sector.replaceChildren(h('option', { value: '' }, 'Choose a sector'), ...ctx.sectors.map((s) => h('option', { value: s.id }, s.label)));
    if (current.sector && !ctx.sectors.some((s) => s.id === current.sector)) c.sector.append(h('option', { value: current.sector }, current.sector));
    c.sector.value = current.sector;
  };

  const fill = (i: GpInitiative | null, iso3: string) => {
    stored = i;
    clearErrors(form);
    const d = draftOf(i, iso3, thisYear());
    autoId = i === null;
    fillOptions(d);
    c.title.value = d.title;
    c.id.value = i ? d.id : proposeId(d.iso3, d.title, taken());
    c.id.readOnly = i !== null;
    c.type.value = d.type;
    c.status.value = d.status;
    c.start_year.value = d.start_year;
    c.end_year.value = d.end_year;
    rows = d.outcomes;
    drawRows();
    summaryText.textContent = i ? `Correct “${i.title}”` : 'Record an initiative';
    save.textContent = i ? 'Save the changes' : 'Record the initiative';
  };

  /** The server's refusal: each detail beside its field (outcome indexes turned into rows), else plainly above the button. */
  const refused = (e: unknown, sentRows: readonly number[]) => {
    clearErrors(form);
    status.className = 'form-status err';
    if (e instanceof ApiError && e.details.length) {
      const unplaced = placeProblems(
        form,
        e.details.map((d) => ({ field: slotPath(d.field ?? '', sentRows), message: d.message })),
      );
      status.textContent = unplaced.length ? `Nothing was saved. ${unplaced.join(' · ')}` : 'Nothing was saved: please correct the fields marked above.';
      form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
    } else {
      status.textContent = `Nothing was saved. ${describeError(e)}`;
    }
  };

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const { body, problems, rows: sentRows } = readGpDraft(
      draft(),
      ctx.themes.map((t) => t.id),
      thisYear(),
    );
    // A new initiative must not write over another one (the list's ids are known).
    if (!stored && taken().has(body.id)) problems.push({ field: 'id', message: `${body.id} is already an initiative’s id: change the title or the id` });
    if (problems.length) {
      const unplaced = placeProblems(form, problems);
      status.className = 'form-status err';
      status.textContent = unplaced.length ? `Nothing was sent. ${unplaced.join(' · ')}` : 'Nothing was sent: please correct the fields marked above.';
      form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
      return;
    }
    save.disabled = true;
    status.className = 'form-status';
    status.textContent = 'Saving…';
    put<{ rev: number }>(`/gp/initiatives/${encodeURIComponent(body.id)}`, body)
      .then((r) => {
        status.className = 'form-status ok';
        status.textContent = `Saved: ${body.title} (${body.id}), revision ${r.rev}.`;
        stored = { ...body, outcomes: (body.outcomes ?? []).map((o) => ({ ...o, unit: METRIC_UNIT[o.metric] })) };
        c.id.readOnly = true;
        summaryText.textContent = `Correct “${body.title}”`;
        save.textContent = 'Save the changes';
        saved(r.rev, body.iso3);
      })
      .catch((e: unknown) => refused(e, sentRows))
      .finally(() => {
        save.disabled = false;
      });
  });
  clear.addEventListener('click', () => {
    status.textContent = '';
    fill(null, c.iso3.value || editableMembers()[0] || '');
  });

  const el = h('details', { class: 'panel gp-form-panel', 'data-testid': 'gp-form-panel' }, h('summary', {}, h('h2', { class: 'inline' }, summaryText)), form);
  return {
    el,
    edit(i) {
      status.textContent = '';
      fill(i, i.iso3);
      (el as HTMLDetailsElement).open = true;
      el.scrollIntoView({ block: 'start' });
      c.title.focus({ preventScroll: true });
    },
    add(iso3) {
      status.textContent = '';
      fill(null, iso3);
    },
    deleted(id) {
      if (stored?.id !== id) return;
      const iso3 = stored.iso3;
      fill(null, iso3);
      status.className = 'form-status';
      status.textContent = `${id} was deleted; the form is empty.`;
    },
    setContext(next) {
      const d = draft();
      ctx = next;
      fillOptions(d.iso3 ? d : { ...d, iso3: editableMembers()[0] ?? '' });
      if (autoId && !stored) c.id.value = proposeId(c.iso3.value, c.title.value, taken());
    },
  };
}

/**
 * The Delete of one initiative in the list: asks first (what goes with it), then DELETE; `done`
 * is told the revision. A refusal (403, 404) is said in the item.
 */
export function deleteControl(i: GpInitiative, done: (rev: number) => void): HTMLElement {
  const remove = h('button', { type: 'button', class: 'danger', 'data-delete': i.id, 'aria-label': `Delete ${i.title}` }, 'Delete');
  const box = h('div', { class: 'gp-confirm', role: 'alertdialog', 'aria-live': 'assertive', 'data-testid': 'gp-confirm', hidden: true });
  const said = h('p', { class: 'form-status', role: 'status' });
  remove.addEventListener('click', () => {
    const yes = h('button', { type: 'button', class: 'danger', 'data-testid': 'gp-delete-yes' }, 'Yes, delete it');
    const no = h('button', { type: 'button', class: 'secondary' }, 'No, keep it');
    const n = (i.outcomes ?? []).length;
    box.replaceChildren(h('p', {}, `Delete “${i.title}” (${i.id})${n ? `, with its ${n} outcome${n === 1 ? '' : 's'}` : ''}? It leaves the map, the matrix, the totals and any key result derived from it.`), h('div', { class: 'form-actions' }, yes, no));
    box.hidden = false;
    said.textContent = '';
    no.addEventListener('click', () => {
      box.hidden = true;
      remove.focus();
    });
    yes.addEventListener('click', () => {
      yes.disabled = true;
      del<{ rev: number }>(`/gp/initiatives/${encodeURIComponent(i.id)}`)
        .then((r) => {
          box.hidden = true;
          said.className = 'form-status ok';
          said.textContent = `Deleted, revision ${r?.rev ?? '–'}.`;
          done(r?.rev ?? 0);
        })
        .catch((e: unknown) => {
          box.hidden = true;
          said.className = 'form-status err';
          said.textContent = `Not deleted. ${describeError(e)}`;
        });
    });
    no.focus();
  });
  return h('div', { class: 'gp-item-delete' }, remove, box, said);
}
