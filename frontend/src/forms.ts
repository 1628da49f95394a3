// Form plumbing shared by the delegate's forms: labelled fields that carry the server's field
// path (`data-field`), and showing an ApiError's details next to the fields they name.

import { ApiError, describeError } from './api';
import { h } from './dom';

let seq = 0;

export type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

/** A label, the control, and a slot for its error; `field` is the server's path for it. */
export function field(label: string, control: Control, fieldPath: string): HTMLElement {
  const id = control.id || `f${++seq}`;
  control.id = id;
  control.dataset.field = fieldPath;
  const err = h('div', { class: 'field-error', id: `${id}-err`, 'data-error-for': fieldPath, 'aria-live': 'polite' });
  control.setAttribute('aria-describedby', err.id);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, err);
}

export function input(attrs: Record<string, string> = {}): HTMLInputElement {
  return h('input', { type: 'text', ...attrs });
}

export function select(options: [string, string][], value?: string): HTMLSelectElement {
  const s = h('select', {}, ...options.map(([v, t]) => h('option', { value: v }, t)));
  if (value !== undefined) s.value = value;
  return s;
}

export function clearErrors(form: HTMLElement): void {
  for (const e of form.querySelectorAll('[data-error-for]')) e.textContent = '';
  for (const c of form.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid');
}

/**
 * Shows each detail next to the control whose `data-field` it names (a batch row prefix such as
 * "[0]." is ignored); what names no control goes to `general`.
 */
export function showErrors(form: HTMLElement, err: unknown, general: HTMLElement): void {
  clearErrors(form);
  if (!(err instanceof ApiError)) {
    general.textContent = describeError(err);
    general.className = 'form-status err';
    return;
  }
  const unplaced: string[] = [];
  // Without details (a refusal such as 403 "an editor of VNM may not change THA's data", or 429),
  // the whole message, with what to do, goes to `general`.
  for (const d of err.details.length ? err.details : [{ field: null, message: describeError(err) }]) {
    const f = (d.field ?? '').replace(/^\[\d+\]\.?/, '');
    const slot = f ? form.querySelector<HTMLElement>(`[data-error-for="${CSS.escape(f)}"]`) : null;
    if (slot) {
      slot.textContent = slot.textContent ? `${slot.textContent}; ${d.message}` : d.message;
      form.querySelector(`[data-field="${CSS.escape(f)}"]`)?.setAttribute('aria-invalid', 'true');
    } else {
      unplaced.push(f ? `${f}: ${d.message}` : d.message);
    }
  }
  general.textContent = unplaced.length ? unplaced.join(' · ') : 'Please correct the fields marked above.';
  general.className = 'form-status err';
}

/** A number typed by a person; text that is not a number goes to the server as typed, so its validation answers. */
export function numberOrText(v: string): number | string | null {
  const t = v.trim().replace(/,/g, '');
  if (t === '') return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : v;
}
