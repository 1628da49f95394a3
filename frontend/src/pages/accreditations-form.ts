// The Secretariat's form on /accreditations: pick a record (or start a new one), choose what
// it becomes (only the moves the server allows from its stored status: accreditations-model
// NEXT), fill what that status needs (conferring a certificate: its number, the date, today
// by default, the occasion and the last day it is valid, three years by default), and send
// PUT /accreditations/{id}. The server's 409 (a move it refuses) and 422 (each field it
// refuses) are shown beside the field they name, and nothing was written.

import { ApiError, put } from '../api';
import type { components } from '../generated/api';
import { h } from '../dom';
import { clearErrors, field, input, select, showErrors } from '../forms';
import type { Member } from '../protocol';
import { todayIso } from '../review-steps';
import {
  type AccStatus,
  type Accreditation,
  type AccreditationInput,
  type BodyKind,
  NEXT,
  STATUSES,
  STATUS_TEXT,
  fieldsFor,
  inputOf,
  moveText,
  parseScores,
  scoresText,
  validUntilFrom,
} from './accreditations-model';

type WriteResult = components['schemas']['WriteResult'];

const BLANK: Accreditation = { id: '', iso3: '', body: '', body_kind: 'npo', scheme: 'APO accreditation of NPOs', status: 'applied', criteria_scores: {}, note: '', renewal_due_soon: false };

export function accreditationForm(): { el: HTMLElement; update(records: readonly Accreditation[], members: readonly Member[]): void } {
  const form = h('form', { class: 'stack acc-form', 'data-testid': 'acc-form', novalidate: true });
  const pick = select([['', 'A new record']]);
  pick.dataset.testid = 'acc-pick';
  const c = {
    id: input({ placeholder: 'vnm-vnpi', autocomplete: 'off', 'data-testid': 'acc-id' }),
    iso3: select([]),
    body: input({ 'data-testid': 'acc-body' }),
    body_kind: select([['npo', 'NPO'], ['other', 'Other body']]),
    scheme: input({ 'data-testid': 'acc-scheme' }),
    status: select([]),
    applied_on: input({ type: 'date', 'data-testid': 'acc-applied-on' }),
    assessment_date: input({ type: 'date', 'data-testid': 'acc-assessment-date' }),
    criteria_scores: input({ placeholder: 'governance=82; services=77', 'data-testid': 'acc-scores' }),
    certificate: input({ placeholder: 'APO-ACC-2026-004', autocomplete: 'off', 'data-testid': 'acc-certificate' }),
    conferred_on: input({ type: 'date', 'data-testid': 'acc-conferred-on' }),
    occasion: input({ placeholder: '66th WSM, Seoul', 'data-testid': 'acc-occasion' }),
    valid_until: input({ type: 'date', 'data-testid': 'acc-valid-until' }),
    note: input({ 'data-testid': 'acc-note' }),
  };
  c.status.dataset.testid = 'acc-status-to';
  c.iso3.dataset.testid = 'acc-member';
  const from = h('p', { class: 'acc-from', 'data-testid': 'acc-from' });
  const result = h('p', { class: 'form-status', role: 'status', 'aria-live': 'polite', 'data-testid': 'acc-form-status' });
  const save = h('button', { type: 'submit', 'data-testid': 'acc-save' }, 'Save');
  const identity = h(
    'div',
    { class: 'acc-identity' },
    h('div', { class: 'row2' }, field('Record id', c.id, 'id'), field('Member', c.iso3, 'iso3')),
    h('div', { class: 'row2' }, field('Body', c.body, 'body'), field('Kind of body', c.body_kind, 'body_kind')),
    field('Scheme', c.scheme, 'scheme'),
  );
  const assessment = h('div', { class: 'row2' }, field('Assessment date', c.assessment_date, 'assessment_date'), field('Criteria scores (name=score; …)', c.criteria_scores, 'criteria_scores'));
  const certificate = h(
    'fieldset',
    { class: 'acc-cert-fields' },
    h('legend', {}, 'Certificate'),
    h('div', { class: 'row2' }, field('Certificate number', c.certificate, 'certificate'), field('Conferred on', c.conferred_on, 'conferred_on')),
    h('div', { class: 'row2' }, field('Occasion', c.occasion, 'occasion'), field('Valid until (last day)', c.valid_until, 'valid_until')),
  );
  form.append(
    field('Record', pick, 'record'),
    from,
    identity,
    field('Status', c.status, 'status'),
    field('Applied on', c.applied_on, 'applied_on'),
    assessment,
    certificate,
    field('Note', c.note, 'note'),
    h('div', { class: 'form-actions' }, save),
    result,
  );
  const el = h('section', { class: 'panel acc-form-panel', 'aria-labelledby': 'acc-form-h' }, h('h2', { id: 'acc-form-h' }, 'Change a record (Secretariat)'), form);

  let records: readonly Accreditation[] = [];
  let chosen: Accreditation | null = null;

  /** Shows what the chosen status needs, and fills the certificate's defaults on a conferral. */
  const shape = () => {
    const to = c.status.value as AccStatus;
    const need = fieldsFor(to);
    assessment.hidden = !need.assessment;
    certificate.hidden = !need.certificate;
    const conferring = to === 'accredited' && chosen?.status !== 'accredited';
    if (conferring) {
      if (!c.conferred_on.value || chosen?.status === 'renewal_due') c.conferred_on.value = todayIso();
      if (!c.valid_until.value || chosen?.status === 'renewal_due') c.valid_until.value = validUntilFrom(c.conferred_on.value);
    }
    if (to === 'under_assessment' && !c.assessment_date.value) c.assessment_date.value = todayIso();
    save.textContent = conferring ? (chosen?.status === 'renewal_due' ? 'Renew the accreditation' : 'Confer the certificate') : 'Save';
  };

  const fill = (r: Accreditation | null) => {
    clearErrors(form);
    result.textContent = '';
    chosen = r;
    const v = r ?? BLANK;
    identity.querySelectorAll('input, select').forEach((x) => ((x as HTMLInputElement).disabled = false));
    c.id.value = v.id;
    c.id.readOnly = r !== null;
    c.iso3.value = v.iso3;
    c.body.value = v.body;
    c.body_kind.value = v.body_kind;
    c.scheme.value = v.scheme;
    const moves: AccStatus[] = r ? [r.status, ...NEXT[r.status]] : [...STATUSES].reverse().filter((s) => s !== 'withdrawn');
    c.status.replaceChildren(...moves.map((s) => h('option', { value: s }, r ? moveText(r.status, s) : STATUS_TEXT[s])));
    c.status.value = r ? (NEXT[r.status][0] ?? r.status) : 'applied';
    from.textContent = r ? `Now: ${STATUS_TEXT[r.status]}${r.status === 'withdrawn' ? ' (a withdrawn record moves no further; its details can still be edited)' : ''}` : 'A new record may start in any status.';
    c.applied_on.value = v.applied_on ?? '';
    c.assessment_date.value = v.assessment_date ?? '';
    c.criteria_scores.value = scoresText(v.criteria_scores);
    c.certificate.value = v.certificate ?? '';
    c.conferred_on.value = v.conferred_on ?? '';
    c.occasion.value = v.occasion ?? '';
    c.valid_until.value = v.valid_until ?? '';
    c.note.value = v.note ?? '';
    shape();
  };

  pick.addEventListener('change', () => fill(records.find((r) => r.id === pick.value) ?? null));
  c.status.addEventListener('change', shape);
  c.conferred_on.addEventListener('change', () => {
    if (c.status.value === 'accredited' && c.conferred_on.value && !c.valid_until.dataset.typed) c.valid_until.value = validUntilFrom(c.conferred_on.value);
  });
  c.valid_until.addEventListener('input', () => (c.valid_until.dataset.typed = '1'));

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearErrors(form);
    const scores = parseScores(c.criteria_scores.value);
    if (!scores.ok) {
      const slot = form.querySelector('[data-error-for="criteria_scores"]');
      if (slot) slot.textContent = scores.message;
      c.criteria_scores.setAttribute('aria-invalid', 'true');
      result.textContent = 'Nothing was saved: please correct the field marked above.';
      result.className = 'form-status err';
      return;
    }
    const changes: Partial<AccreditationInput> = {
      id: c.id.value.trim(),
      iso3: c.iso3.value,
      body: c.body.value.trim(),
      body_kind: c.body_kind.value as BodyKind,
      scheme: c.scheme.value.trim(),
      status: c.status.value as AccStatus,
      applied_on: c.applied_on.value,
      assessment_date: c.assessment_date.value,
      criteria_scores: scores.scores,
      certificate: c.certificate.value,
      conferred_on: c.conferred_on.value,
      occasion: c.occasion.value,
      valid_until: c.valid_until.value,
      note: c.note.value.trim(),
    };
    const body = inputOf(chosen ?? BLANK, changes);
    if (!body.id) {
      const slot = form.querySelector('[data-error-for="id"]');
      if (slot) slot.textContent = 'Give the record an id, such as vnm-vnpi.';
      result.textContent = 'Nothing was saved: please correct the field marked above.';
      result.className = 'form-status err';
      return;
    }
    save.disabled = true;
    result.textContent = 'Saving…';
    result.className = 'form-status';
    put<WriteResult>(`/accreditations/${encodeURIComponent(body.id)}`, body)
      .then((w) => {
        result.textContent = w.changed ? `Saved: ${STATUS_TEXT[body.status]} (revision ${w.rev}).` : 'Nothing changed.';
        result.className = 'form-status ok';
        // The register redraws from the live feed; the form follows the record as saved.
        chosen = { ...(chosen ?? BLANK), ...body, note: body.note ?? '', criteria_scores: body.criteria_scores ?? {} };
        pick.value = body.id;
      })
      .catch((err: unknown) => {
        // "criteria_scores.governance" is shown beside the scores: details are placed by their field's head.
        if (err instanceof ApiError) {
          for (const d of err.details) {
            if (!d.field || form.querySelector(`[data-error-for="${CSS.escape(d.field)}"]`)) continue;
            const head = d.field.split(/[.[]/)[0] ?? d.field;
            d.message = `${d.field.slice(head.length).replace(/^\./, '')}: ${d.message}`;
            d.field = head;
          }
        }
        showErrors(form, err, result);
        if (result.textContent === 'Please correct the fields marked above.') result.textContent = 'Nothing was saved: please correct the fields marked above.';
      })
      .finally(() => (save.disabled = false));
  });

  return {
    el,
    update(list, members) {
      records = list;
      if (!c.iso3.options.length) c.iso3.replaceChildren(h('option', { value: '' }, 'Choose a member'), ...members.map((m) => h('option', { value: m.iso3 }, `${m.name} (${m.iso3})`)));
      const keep = pick.value;
      pick.replaceChildren(h('option', { value: '' }, 'A new record'), ...list.map((r) => h('option', { value: r.id }, `${r.iso3} · ${r.body} · ${STATUS_TEXT[r.status]}`)));
      pick.value = list.some((r) => r.id === keep) ? keep : '';
      const stored = list.find((r) => r.id === pick.value) ?? null;
      // A record changed elsewhere (or just saved here) is shown as stored now.
      if (stored && JSON.stringify(stored) !== JSON.stringify(chosen)) {
        const message = result.textContent;
        const cls = result.className;
        fill(stored);
        result.textContent = message;
        result.className = cls;
      } else if (!stored && chosen === null && !c.id.value) fill(null);
    },
  };
}
