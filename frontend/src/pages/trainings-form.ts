// The form to add a delivered course or correct one (PUT /trainings/{id}), and to delete one
// (DELETE /trainings/{id}, after a confirmation), on /trainings: for the Secretariat and for a
// member's own editor, who is often a delegate on a phone (one column, big boxes, number pads).
// The counts must add up (female + male + not specified = government + enterprises +
// universities; SMEs among enterprises; certified among participants): they are checked as
// they are typed, with the difference said in words, and nothing is sent while they do not.
// The server's refusals are shown next to the field they name (a 422's `details[].field`), a
// 403 plainly above the button; nothing was changed then.

import { ApiError, del, describeError, put } from '../api';
import { h } from '../dom';
import { clearErrors, field, fieldName, input, plainMessage, select } from '../forms';
import type { Member } from '../protocol';
import { draftOf, GROUPS, MODES, nextId, type Problem, readDraft, SECTORS, SEXES, sumProblems, readCount, type Training, type TrainingDraft, total } from './trainings-model';

export interface TrainingForm {
  /** The panel (a `details` that opens when a course is edited or added). */
  el: HTMLElement;
  /** Fills the form with a stored course, to correct it. */
  edit(t: Training): void;
  /** Empties the form for a new course of `iso3`. */
  add(iso3: string): void;
  /** The members the form offers, and the courses known (for the next free id). */
  setContext(members: readonly Member[], courses: readonly Training[]): void;
}

const count = (testid: string) => input({ inputmode: 'numeric', autocomplete: 'off', 'data-testid': testid, enterkeyhint: 'next' });

/**
 * `editableMembers`: the members this session may write for (all for the Secretariat, its own
 * for an editor). `saved` is told after each change, with the revision.
 */
export function trainingForm(editableMembers: () => readonly string[], saved: (rev: number) => void): TrainingForm {
  const form = h('form', { class: 'stack training-form', 'data-testid': 'training-form', novalidate: true });
  const c = {
    id: input({ autocomplete: 'off', spellcheck: 'false', 'data-testid': 'tf-id' }),
    iso3: select([]),
    title: input({ 'data-testid': 'tf-title' }),
    provider: input({ 'data-testid': 'tf-provider' }),
    sector: select([['', 'Choose a sector'], ...SECTORS.map(([id, label]) => [id, label] as [string, string])]),
    topic: input({ 'data-testid': 'tf-topic' }),
    start_date: input({ type: 'date', 'data-testid': 'tf-start' }),
    end_date: input({ type: 'date', 'data-testid': 'tf-end' }),
    mode: select(MODES.map(([id, label]) => [id, label] as [string, string])),
    hours: input({ inputmode: 'decimal', autocomplete: 'off', 'data-testid': 'tf-hours' }),
    smes: count('tf-smes'),
    certified_specialists: count('tf-certified'),
  };
  c.iso3.dataset.testid = 'tf-iso3';
  c.sector.dataset.testid = 'tf-sector';
  c.mode.dataset.testid = 'tf-mode';
  const groups = Object.fromEntries(GROUPS.map(([g]) => [g, count(`tf-${g}`)])) as Record<(typeof GROUPS)[number][0], HTMLInputElement>;
  const sexes = Object.fromEntries(SEXES.map(([s]) => [s, count(`tf-${s}`)])) as Record<(typeof SEXES)[number][0], HTMLInputElement>;
  const totalLine = h('p', { class: 'sum-line', 'aria-live': 'polite', 'data-testid': 'tf-total' });
  const status = h('p', { class: 'form-status', role: 'status', 'aria-live': 'polite', 'data-testid': 'training-form-status' });
  const save = h('button', { type: 'submit', class: 'primary', 'data-testid': 'training-save' }, 'Save the course');
  const cancel = h('button', { type: 'button', class: 'secondary' }, 'Clear');
  const remove = h('button', { type: 'button', class: 'danger', 'data-testid': 'training-delete', hidden: true }, 'Delete this course');
  const confirmBox = h('div', { class: 'confirm', role: 'alertdialog', 'aria-live': 'assertive', 'data-testid': 'training-confirm', hidden: true });
  const summaryText = h('span', {}, 'Add a course');

  form.append(
    h('div', { class: 'row2' }, field('Member', c.iso3, 'iso3'), field('Course id (lower case, as vnm-tr-2026-014)', c.id, 'id')),
    field('Title', c.title, 'title'),
    h('div', { class: 'row2' }, field('Provider', c.provider, 'provider'), field('Topic', c.topic, 'topic')),
    h('div', { class: 'row2' }, field('Sector', c.sector, 'sector'), field('Mode', c.mode, 'mode')),
    h('div', { class: 'row3' }, field('First day', c.start_date, 'start_date'), field('Last day', c.end_date, 'end_date'), field('Hours of training', c.hours, 'hours')),
    h('fieldset', { class: 'counts' }, h('legend', {}, 'Participants by group'), h('div', { class: 'row3' }, ...GROUPS.map(([g, label]) => field(label, groups[g], `participants.${g}`))), h('div', { class: 'field-error', 'data-error-for': 'participants' })),
    h('fieldset', { class: 'counts' }, h('legend', {}, 'The same participants by sex'), h('div', { class: 'row3' }, ...SEXES.map(([s, label]) => field(label, sexes[s], `by_sex.${s}`))), totalLine, h('div', { class: 'field-error', 'data-error-for': 'by_sex', 'data-testid': 'tf-by-sex-error' })),
    h('div', { class: 'row2' }, field('SMEs among the enterprises', c.smes, 'smes'), field('Certified specialists', c.certified_specialists, 'certified_specialists')),
    h('div', { class: 'form-actions' }, save, cancel, remove),
    confirmBox,
    status,
  );

  const draft = (): TrainingDraft => ({
    id: c.id.value,
    iso3: c.iso3.value,
    title: c.title.value,
    provider: c.provider.value,
    sector: c.sector.value,
    topic: c.topic.value,
    start_date: c.start_date.value,
    end_date: c.end_date.value,
    mode: c.mode.value,
    hours: c.hours.value,
    participants: Object.fromEntries(GROUPS.map(([g]) => [g, groups[g].value])) as TrainingDraft['participants'],
    by_sex: Object.fromEntries(SEXES.map(([s]) => [s, sexes[s].value])) as TrainingDraft['by_sex'],
    smes: c.smes.value,
    certified_specialists: c.certified_specialists.value,
  });

  /** Puts each problem beside the control that names it (else the group's slot, else the status line). */
  const place = (problems: Problem[], general: boolean) => {
    const unplaced: string[] = [];
    for (const p of problems) {
      const path = p.field.replace(/^\[\d+\]\.?/, '');
      const name = [path, path.split('.')[0] ?? path].find((n) => n && form.querySelector(`[data-error-for="${CSS.escape(n)}"]`));
      const message = plainMessage(p.message);
      if (!name) {
        unplaced.push(path ? `${fieldName(path)}: ${message}` : message);
        continue;
      }
      const slot = form.querySelector<HTMLElement>(`[data-error-for="${CSS.escape(name)}"]`) as HTMLElement;
      slot.textContent = slot.textContent ? `${slot.textContent}; ${message}` : message;
      form.querySelector(`[data-field="${CSS.escape(name)}"]`)?.setAttribute('aria-invalid', 'true');
    }
    if (!general) return;
    status.textContent = unplaced.length ? `Nothing was saved. ${unplaced.join(' · ')}` : 'Nothing was saved: please correct the fields marked above.';
    status.className = 'form-status err';
  };

  /** As the counts are typed: the total, and whether the sums hold, said beside them at once. */
  const checkSums = () => {
    const read = (box: HTMLInputElement) => {
      const r = readCount(box.value);
      return r.ok ? r.value : NaN;
    };
    const participants = Object.fromEntries(GROUPS.map(([g]) => [g, read(groups[g])])) as Record<(typeof GROUPS)[number][0], number>;
    const bySex = Object.fromEntries(SEXES.map(([s]) => [s, read(sexes[s])])) as Record<(typeof SEXES)[number][0], number>;
    const people = total(participants);
    totalLine.textContent = Number.isFinite(people) ? `${people} participant${people === 1 ? '' : 's'} in all` : '';
    for (const name of ['by_sex', 'smes', 'certified_specialists']) {
      const slot = form.querySelector<HTMLElement>(`[data-error-for="${name}"]`);
      if (slot) slot.textContent = '';
      form.querySelector(`[data-field="${name}"]`)?.removeAttribute('aria-invalid');
    }
    const problems = sumProblems(participants, bySex, read(c.smes), read(c.certified_specialists));
    totalLine.classList.toggle('bad', problems.some((p) => p.field === 'by_sex'));
    place(problems, false);
    return problems;
  };
  for (const box of [...Object.values(groups), ...Object.values(sexes), c.smes, c.certified_specialists]) box.addEventListener('input', checkSums);

  let stored: Training | null = null;
  /** Whether the id box holds the id the form proposed (kept in step with the member and the courses known). */
  let autoId = false;
  c.id.addEventListener('input', () => {
    autoId = false;
  });
  let members: readonly Member[] = [];
  let courses: readonly Training[] = [];
  const memberOptions = (current: string) => {
    const may = new Set(editableMembers());
    const list = members.filter((m) => may.has(m.iso3) || m.iso3 === current);
    c.iso3.replaceChildren(...list.map((m) => h('option', { value: m.iso3 }, `${m.name} (${m.iso3})`)));
    if (!list.some((m) => m.iso3 === current) && current) c.iso3.append(h('option', { value: current }, current));
    c.iso3.value = current;
  };
  const fill = (t: Training | null, iso3: string) => {
    stored = t;
    clearErrors(form);
    confirmBox.hidden = true;
    const year = new Date().getUTCFullYear();
    const d = draftOf(t, iso3, t ? '' : nextId(courses, iso3, year));
    autoId = t === null;
    memberOptions(d.iso3);
    c.id.value = d.id;
    c.id.readOnly = t !== null;
    c.title.value = d.title;
    c.provider.value = d.provider;
    c.sector.value = d.sector;
    c.topic.value = d.topic;
    c.start_date.value = d.start_date;
    c.end_date.value = d.end_date;
    c.mode.value = d.mode;
    c.hours.value = d.hours;
    for (const [g] of GROUPS) groups[g].value = d.participants[g];
    for (const [s] of SEXES) sexes[s].value = d.by_sex[s];
    c.smes.value = d.smes;
    c.certified_specialists.value = d.certified_specialists;
    remove.hidden = t === null;
    summaryText.textContent = t ? `Correct the course ${t.id}` : 'Add a course';
    save.textContent = t ? 'Save the changes' : 'Save the course';
    checkSums();
  };
  // A new course's id follows its member.
  c.iso3.addEventListener('change', () => {
    if (!stored && autoId) c.id.value = nextId(courses, c.iso3.value, new Date().getUTCFullYear());
  });
  const refused = (e: unknown) => {
    if (e instanceof ApiError && e.details.length) {
      clearErrors(form);
      place(
        e.details.map((d) => ({ field: d.field ?? '', message: d.message })),
        true,
      );
      form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
    } else {
      status.className = 'form-status err';
      status.textContent = `Nothing was saved. ${describeError(e)}`;
    }
  };

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const { body, problems } = readDraft(draft());
    if (problems.length) {
      place(problems, true);
      form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
      return;
    }
    save.disabled = true;
    status.className = 'form-status';
    status.textContent = 'Saving…';
    put<{ rev: number }>(`/trainings/${encodeURIComponent(body.id)}`, body)
      .then((r) => {
        status.className = 'form-status ok';
        status.textContent = `Saved: ${body.title} (${body.id}), revision ${r.rev}.`;
        stored = { ...body };
        c.id.readOnly = true;
        remove.hidden = false;
        saved(r.rev);
      })
      .catch(refused)
      .finally(() => {
        save.disabled = false;
      });
  });
  cancel.addEventListener('click', () => {
    status.textContent = '';
    fill(null, c.iso3.value || editableMembers()[0] || '');
  });
  remove.addEventListener('click', () => {
    if (!stored) return;
    const t = stored;
    const yes = h('button', { type: 'button', class: 'danger', 'data-testid': 'training-delete-yes' }, 'Yes, delete it');
    const no = h('button', { type: 'button', class: 'secondary' }, 'No, keep it');
    confirmBox.replaceChildren(h('p', {}, `Delete “${t.title}” (${t.id}), with its ${total(t.participants)} participants? Its figures leave the totals and any key result derived from them.`), h('div', { class: 'form-actions' }, yes, no));
    confirmBox.hidden = false;
    no.addEventListener('click', () => {
      confirmBox.hidden = true;
      remove.focus();
    });
    yes.addEventListener('click', () => {
      yes.disabled = true;
      del<{ rev: number }>(`/trainings/${encodeURIComponent(t.id)}`)
        .then((r) => {
          fill(null, t.iso3);
          status.className = 'form-status ok';
          status.textContent = `Deleted: ${t.title} (${t.id}), revision ${r?.rev ?? '–'}.`;
          saved(r?.rev ?? 0);
        })
        .catch((e: unknown) => {
          confirmBox.hidden = true;
          refused(e);
        });
    });
    no.focus();
  });

  const el = h('details', { class: 'panel training-form-panel', 'data-testid': 'training-form-panel' }, h('summary', {}, h('h2', { class: 'inline' }, summaryText)), form);
  return {
    el,
    edit(t) {
      status.textContent = '';
      fill(t, t.iso3);
      (el as HTMLDetailsElement).open = true;
      el.scrollIntoView({ block: 'start' });
      c.title.focus({ preventScroll: true });
    },
    add(iso3) {
      status.textContent = '';
      fill(null, iso3);
    },
    setContext(ms, cs) {
      members = ms;
      courses = cs;
      if (stored) return;
      memberOptions(c.iso3.value || editableMembers()[0] || '');
      if (autoId && c.iso3.value) c.id.value = nextId(courses, c.iso3.value, new Date().getUTCFullYear());
    },
  };
}
