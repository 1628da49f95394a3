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
    const message = plainMessage(d.message);
    if (slot) {
      slot.textContent = slot.textContent ? `${slot.textContent}; ${message}` : message;
      form.querySelector(`[data-field="${CSS.escape(f)}"]`)?.setAttribute('aria-invalid', 'true');
    } else {
      unplaced.push(f ? `${fieldName(f)}: ${message}` : message);
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

/**
 * A server message in a delegate's words: the few parser phrases that can reach a form
 * ("invalid type: string \"abc\", expected f64") said plainly; anything else as it came.
 */
export function plainMessage(message: string): string {
  const m = message.trim();
  let r: RegExpExecArray | null;
  if ((r = /^invalid type: string "(.*)", expected (f64|f32|a number|.*float.*)/i.exec(m))) return `“${r[1]}” is not a number: type digits, such as 12.5.`;
  if ((r = /^invalid type: string "(.*)", expected (i64|i32|u64|u32|u16|an integer|.*integer.*)/i.exec(m))) return `“${r[1]}” is not a whole number: type digits, such as 2027.`;
  if (/^invalid type: null, expected/i.test(m)) return 'This is needed.';
  if ((r = /^invalid type: [a-z ]*?(?:`|")?([^`",]*)(?:`|")?, expected (f64|i64|u32|a number)/i.exec(m))) return `This must be a number${r[1] ? ` (not ${r[1]})` : ''}.`;
  if ((r = /^unknown variant `([^`]*)`, expected (.*)$/i.exec(m))) return `“${r[1]}” is not one of the choices: ${(r[2] ?? '').replace(/`/g, '').replace(/ or /g, ', ')}.`;
  if ((r = /^missing field `([^`]*)`/i.exec(m))) return `${fieldName(r[1] ?? '')} is missing.`;
  if ((r = /^invalid value: integer `(-?\d+)`, expected (.*)$/i.exec(m))) return `${r[1]} is not allowed here: ${r[2]}.`;
  // A date and time the server wrote for machines ("2026-12-06T19:29:47.507000Z") as people read one.
  return m.replace(/ at line \d+ column \d+$/, '').replace(/\b\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)/g, (iso) => {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? iso : `${utcFormat.format(d)} UTC`;
  });
}

const utcFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'UTC' });

const FIELD_WORDS: Record<string, string> = {
  kr_code: 'key result',
  year: 'year',
  value: 'value',
  status: 'status',
  national_context: 'national context',
  focus_areas: 'focus areas',
  focus_area: 'focus area',
  key_results: 'key results',
  code: 'code',
  pillar: 'pillar',
  title: 'title',
  unit: 'unit',
  direction: 'direction',
  baseline_year: 'baseline year',
  baseline_value: 'baseline',
  weight: 'weight',
  targets: 'targets',
  endorsed_on: 'endorsement date',
  min_value: 'least value',
  max_value: 'greatest value',
  reason: 'reason',
  reported_at: 'date of the report',
  id: 'report',
  iso3: 'member',
};

/**
 * A server's field path in words: "key_results[2].targets.2027" → "Key result 3, target 2027",
 * "focus_areas[0]" → "Focus area 1", "value" → "Value".
 */
export function fieldName(path: string): string {
  const parts: string[] = [];
  for (const seg of path.replace(/^\[\d+\]\.?/, '').split('.')) {
    if (!seg) continue;
    const r = /^([a-z_]+)\[(\d+)\]$/.exec(seg);
    if (r) {
      const word = (FIELD_WORDS[r[1]!] ?? r[1]!.replace(/_/g, ' ')).replace(/s$/, '');
      parts.push(`${word} ${Number(r[2]) + 1}`);
    } else if (/^\d{4}$/.test(seg) && parts.length && /targets$/.test(parts[parts.length - 1]!)) {
      parts[parts.length - 1] = `target ${seg}`;
    } else {
      parts.push(FIELD_WORDS[seg] ?? seg.replace(/_/g, ' '));
    }
  }
  const s = parts.join(', ');
  return s ? s[0]!.toUpperCase() + s.slice(1) : 'This';
}
