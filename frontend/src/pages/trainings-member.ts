// On a member's page, a compact "Training" section: what GET /trainings/summary?iso3= says of the
// member's delivered courses in one paragraph (courses, participants, the tripartite split, SMEs,
// women, certified specialists), its latest courses, and a link to the full view
// (/trainings?iso3=…). Fetched again on a live `training` event.

import '../styles/trainings.css';
import { describeError, get } from '../api';
import { h } from '../dom';
import { count } from '../format';
import type { Live } from '../live';
import { datesText, memberQuery, share, total, type Training, type TrainingSummary, touchesTrainings } from './trainings-model';

/** The latest courses shown on the member page. */
const SHOWN = 3;

export function memberTrainings(iso3: string, live: Live): HTMLElement {
  const body = h('div', { 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading…'));
  const link = h('a', { class: 'button', href: `/trainings${memberQuery(iso3)}`, 'data-testid': 'member-trainings-link' }, 'All courses, by sector, group and sex');
  const section = h('section', { class: 'member-trainings', 'data-testid': 'member-trainings', 'aria-labelledby': 'trainings-heading' }, h('h2', { id: 'trainings-heading' }, 'Training'), body, link);

  const draw = (s: TrainingSummary, courses: Training[]) => {
    if (!s.courses) {
      body.replaceChildren(h('p', { class: 'muted' }, 'No course recorded yet.'));
      return;
    }
    const latest = [...courses].sort((a, b) => b.end_date.localeCompare(a.end_date)).slice(0, SHOWN);
    body.replaceChildren(
      h(
        'p',
        { class: 'tr-line', 'data-testid': 'member-trainings-line' },
        h('strong', {}, `${count(s.courses)} course${s.courses === 1 ? '' : 's'}, ${count(s.participants)} participants`),
        ` (${count(s.hours)} participant-hours): government ${count(s.by_group.government)}, enterprises ${count(s.by_group.enterprises)} of whom ${count(s.smes)} from SMEs, universities and training institutions ${count(s.by_group.universities)}; ${share(s.by_sex.female ?? 0, s.participants)} women; ${count(s.certified_specialists)} certified specialists.`,
      ),
      h('ul', {}, ...latest.map((t) => h('li', { 'data-id': t.id }, h('strong', {}, t.title), ` · ${datesText(t.start_date, t.end_date)} · ${count(total(t.participants))} participants`))),
    );
  };
  const load = () =>
    Promise.all([get<TrainingSummary>(`/trainings/summary${memberQuery(iso3)}`), get<Training[]>(`/trainings${memberQuery(iso3)}`)])
      .then(([s, c]) => draw(s, c))
      .catch((e) => body.replaceChildren(h('p', { class: 'form-status err' }, `Could not load the courses: ${describeError(e)}`)));
  void load();
  live.subscribe((_doc, change) => {
    if (touchesTrainings(change)) void load();
  });
  return section;
}
