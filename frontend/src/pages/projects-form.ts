// The Secretariat's form to publish a project notification or edit one (PUT /projects/{code}),
// on the Secretariat page. Every field of a notification, the lists typed as the workbook's
// projects sheet writes them (projects-form-model.ts). The server's 422 names each field it
// refuses ("closing_dates[1].date", "overseas_limit.virtual"): each message is shown next to
// the field it names, and nothing was changed. Saved, the form says so with a link to the page.

import '../styles/projects.css';
import { ApiError, describeError, get, put } from '../api';
import { h } from '../dom';
import { clearErrors, type Control, field, fieldName, input, plainMessage, select } from '../forms';
import { budgetText, closingText, krsText, limits, memberList, parseBudget, parseClosing, parseKrs, type Problem, splitList, withoutComputed } from './projects-form-model';
import { MODALITY, type Project } from './projects-model';

const MODALITIES = ['virtual', 'face_to_face', 'hybrid'] as const;
const TEXTS = [
  ['objectives', 'Objectives'],
  ['rationale', 'Rationale'],
  ['background', 'Background'],
  ['topics', 'Topics'],
  ['outcome', 'Outcome'],
  ['qualifications', 'Qualifications of participants'],
] as const;

const area = (attrs: Record<string, string> = {}) => h('textarea', { rows: '3', ...attrs });

/** Shows each problem next to the control it names: the exact path, else the list or group it is in. */
function placeErrors(form: HTMLElement, problems: Problem[], general: HTMLElement): void {
  clearErrors(form);
  const unplaced: string[] = [];
  for (const p of problems) {
    const path = p.field.replace(/^\[\d+\]\.?/, '');
    const candidates = [path, path.split('[')[0] ?? path, path.split('.')[0] ?? path];
    const name = candidates.find((c) => c && form.querySelector(`[data-error-for="${CSS.escape(c)}"]`));
    const message = plainMessage(p.message);
    if (!name) {
      unplaced.push(path ? `${fieldName(path)}: ${message}` : message);
      continue;
    }
    const slot = form.querySelector<HTMLElement>(`[data-error-for="${CSS.escape(name)}"]`) as HTMLElement;
    // A row of a list is named, so that "the second closing date" is found in the box.
    const where = name !== path ? `${fieldName(path)}: ` : '';
    slot.textContent = slot.textContent ? `${slot.textContent}; ${where}${message}` : `${where}${message}`;
    form.querySelector(`[data-field="${CSS.escape(name)}"]`)?.setAttribute('aria-invalid', 'true');
  }
  general.textContent = unplaced.length ? unplaced.join(' · ') : 'Nothing was saved: please correct the fields marked above.';
  general.className = 'form-status err';
  form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
}

export function projectFormPanel(): HTMLElement {
  const form = h('form', { class: 'stack project-form', 'data-testid': 'project-form', novalidate: true });
  const pick = select([['', 'A new notification']]);
  pick.id = 'project-pick';
  pick.dataset.testid = 'project-pick';
  const c = {
    code: input({ placeholder: '27-SN-03-GE-BCN-C', autocomplete: 'off', 'data-testid': 'pf-code' }),
    title: input({ 'data-testid': 'pf-title' }),
    reference: input({ inputmode: 'numeric', 'data-testid': 'pf-reference' }),
    issued: input({ type: 'date' }),
    pillar: select([['1', 'Pillar 1'], ['2', 'Pillar 2'], ['3', 'Pillar 3'], ['4', 'Pillar 4']]),
    status: select([['planned', 'Planned'], ['active', 'Active'], ['completed', 'Completed'], ['cancelled', 'Cancelled']]),
    start_date: input({ type: 'date' }),
    end_date: input({ type: 'date' }),
    hosts: input({ placeholder: '* or VNM; THA' }),
    venues: input({ placeholder: 'Hanoi; Bangkok' }),
    modality: select([['', 'Not set'], ...MODALITIES.map((m) => [m, MODALITY[m]] as [string, string])]),
    implementing: input({ placeholder: 'NPO of Viet Nam; APO Secretariat' }),
    participants: input({ placeholder: '* or VNM; THA' }),
    overseas_note: input(),
    local_note: input(),
    closing_dates: area({ rows: '4', placeholder: '2027-03-31 applications: First closing date for application', 'data-testid': 'pf-closing' }),
    open_all_year: input({ placeholder: 'Application for the establishment of new COE: throughout the year' }),
    budget: area({ placeholder: '2027 APO: 100000\n2027 VNM: 5000' }),
    key_results: input({ placeholder: 'VNM/VNM-KR1; SGP/SGP-KR7' }),
  };
  const overseas = Object.fromEntries(MODALITIES.map((m) => [m, input({ inputmode: 'numeric', 'data-testid': `pf-overseas-${m}` })])) as Record<(typeof MODALITIES)[number], HTMLInputElement>;
  const local = Object.fromEntries(MODALITIES.map((m) => [m, input({ inputmode: 'numeric' })])) as Record<(typeof MODALITIES)[number], HTMLInputElement>;
  const texts = Object.fromEntries(TEXTS.map(([k]) => [k, area({ rows: '4' })])) as Record<(typeof TEXTS)[number][0], HTMLTextAreaElement>;
  const status = h('p', { class: 'form-status', role: 'status', 'aria-live': 'polite', 'data-testid': 'project-form-status' });
  const save = h('button', { type: 'submit', 'data-testid': 'project-save' }, 'Publish');
  const limitGroup = (legend: string, boxes: Record<string, Control>, name: string, note: Control) =>
    h('fieldset', { class: 'limits' }, h('legend', {}, legend), h('div', { class: 'row3' }, ...MODALITIES.map((m) => field(MODALITY[m], boxes[m] as Control, `${name}.${m}`))), field('As the notification says it', note, `${name.replace('limit', 'note')}`));

  form.append(
    h('div', { class: 'row2' }, field('Project code', c.code, 'code'), field('Reference no.', c.reference, 'reference')),
    field('Title', c.title, 'title'),
    h('div', { class: 'row3' }, field('Date of issue', c.issued, 'issued'), field('Pillar', c.pillar, 'pillar'), field('Status', c.status, 'status')),
    h('div', { class: 'row2' }, field('Starts', c.start_date, 'start_date'), field('Ends', c.end_date, 'end_date')),
    field('Hosting members (ISO3 codes separated by ;, or * for all)', c.hosts, 'hosts'),
    field('Venues (separated by ;)', c.venues, 'venues'),
    field('Modality', c.modality, 'modality'),
    field('Implementing organizations (separated by ;)', c.implementing, 'implementing'),
    field('Participating members (ISO3 codes separated by ;, or * for all)', c.participants, 'participants'),
    limitGroup('Overseas participants: at most, by modality', overseas, 'overseas_limit', c.overseas_note),
    limitGroup('Local participants: at most, by modality', local, 'local_limit', c.local_note),
    field('Closing dates, one a line: date, what it closes (applications, proposals), a remark', c.closing_dates, 'closing_dates'),
    field('Taken all year (in the notification’s words; empty if not)', c.open_all_year, 'open_all_year'),
    ...TEXTS.map(([k, label]) => field(label, texts[k], k)),
    field('Budget rows, one a line: year, APO (regional) or a member, amount', c.budget, 'budget'),
    field('Key results it serves (member/key result, separated by ;)', c.key_results, 'key_results'),
    h('div', { class: 'form-actions' }, save),
    status,
  );

  const fill = (p: Project | null) => {
    clearErrors(form);
    c.code.value = p?.code ?? '';
    c.code.readOnly = p !== null;
    c.title.value = p?.title ?? '';
    c.reference.value = p?.reference ? String(p.reference) : '';
    c.issued.value = p?.issued ?? '';
    c.pillar.value = String(p?.pillar ?? 1);
    c.status.value = p?.status ?? 'planned';
    c.start_date.value = p?.start_date ?? '';
    c.end_date.value = p?.end_date ?? '';
    c.hosts.value = (p?.hosts?.length ? p.hosts : p?.host_iso3 ? [p.host_iso3] : []).join('; ');
    c.venues.value = (p?.venues ?? []).join('; ');
    c.modality.value = p?.modality ?? '';
    c.implementing.value = (p?.implementing ?? []).join('; ');
    c.participants.value = (p?.participants ?? []).join('; ');
    for (const m of MODALITIES) {
      overseas[m].value = p?.overseas_limit?.[m] !== undefined ? String(p.overseas_limit[m]) : '';
      local[m].value = p?.local_limit?.[m] !== undefined ? String(p.local_limit[m]) : '';
    }
    c.overseas_note.value = p?.overseas_note ?? '';
    c.local_note.value = p?.local_note ?? '';
    c.closing_dates.value = closingText(p?.closing_dates);
    c.open_all_year.value = p?.open_all_year ?? '';
    for (const [k] of TEXTS) texts[k].value = p?.[k] ?? '';
    c.budget.value = budgetText(p?.budget);
    c.key_results.value = krsText(p?.key_results);
    save.textContent = p ? 'Save changes' : 'Publish';
  };

  const body = (problems: Problem[]): Project => {
    const ref = c.reference.value.trim();
    const p: Project = {
      code: c.code.value.trim(),
      title: c.title.value.trim(),
      pillar: Number(c.pillar.value) as Project['pillar'],
      status: c.status.value as Project['status'],
      reference: ref ? Number(ref) : null,
      issued: c.issued.value || null,
      start_date: c.start_date.value || null,
      end_date: c.end_date.value || null,
      hosts: memberList(c.hosts.value),
      venues: splitList(c.venues.value),
      modality: (c.modality.value || null) as Project['modality'],
      implementing: splitList(c.implementing.value),
      participants: memberList(c.participants.value),
      overseas_limit: limits(Object.fromEntries(MODALITIES.map((m) => [m, overseas[m].value])), 'overseas_limit', problems),
      overseas_note: c.overseas_note.value.trim(),
      local_limit: limits(Object.fromEntries(MODALITIES.map((m) => [m, local[m].value])), 'local_limit', problems),
      local_note: c.local_note.value.trim(),
      closing_dates: parseClosing(c.closing_dates.value, problems),
      open_all_year: c.open_all_year.value.trim(),
      budget: parseBudget(c.budget.value, problems),
      key_results: parseKrs(c.key_results.value, problems),
    };
    if (ref && !Number.isInteger(p.reference)) problems.push({ field: 'reference', message: `“${ref}” is not a whole number` });
    if (!p.code) problems.push({ field: 'code', message: 'the project code is needed, as 27-SN-03-GE-BCN-C' });
    for (const [k] of TEXTS) p[k] = texts[k].value.trim();
    return p;
  };

  let list: Project[] = [];
  const loadList = () =>
    get<Project[]>('/projects').then((all) => {
      list = all;
      const chosen = pick.value;
      pick.replaceChildren(h('option', { value: '' }, 'A new notification'), ...all.map((p) => h('option', { value: p.code }, `${p.code} · ${p.title}`)));
      pick.value = all.some((p) => p.code === chosen) ? chosen : '';
    });
  pick.addEventListener('change', () => {
    status.textContent = '';
    fill(list.find((p) => p.code === pick.value) ?? null);
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const problems: Problem[] = [];
    const p = body(problems);
    if (problems.length) return placeErrors(form, problems, status);
    clearErrors(form);
    save.disabled = true;
    status.className = 'form-status';
    status.textContent = 'Saving…';
    put<{ rev: number }>(`/projects/${encodeURIComponent(p.code)}`, withoutComputed(p))
      .then((r) => {
        status.className = 'form-status ok';
        status.replaceChildren(`Saved as revision ${r.rev}: `, h('a', { href: `/projects/${encodeURIComponent(p.code)}` }, `${p.code} as people read it`), '.');
        return loadList().then(() => {
          pick.value = p.code;
          fill(list.find((x) => x.code === p.code) ?? p);
        });
      })
      .catch((e: unknown) => {
        if (e instanceof ApiError && e.details.length) placeErrors(form, e.details.map((d) => ({ field: d.field ?? '', message: d.message })), status);
        else {
          status.className = 'form-status err';
          status.textContent = describeError(e);
        }
      })
      .finally(() => {
        save.disabled = false;
      });
  });
  fill(null);
  void loadList().catch((e) => {
    status.className = 'form-status err';
    status.textContent = `Could not load the notifications: ${describeError(e)}`;
  });
  return h(
    'details',
    { class: 'panel project-form-panel', 'data-testid': 'project-form-panel' },
    h('summary', {}, h('h2', { class: 'inline' }, 'Publish or edit a project notification')),
    h('div', { class: 'controls' }, h('label', { for: 'project-pick' }, 'Notification', pick)),
    form,
  );
}
