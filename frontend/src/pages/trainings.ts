// /trainings (APO-wide) and /trainings?iso3=VNM (one member): the training database (issue 23
// §3) as the room reads it. Headline figures (courses, participants, participant-hours, SMEs,
// certified specialists), then participants by sector, by tripartite group (government,
// enterprises with the SMEs among them, universities and training institutions), by sex and
// over time, each chart with its table; then the courses themselves. From GET
// /trainings/summary and GET /trainings, asked again on every live `training` event, so a
// course saved anywhere shows here without a reload. The Secretariat, and a member's editor for
// its own member, add, correct and delete courses with the form (trainings-form.ts).

import '../styles/trainings.css';
import { describeError, get } from '../api';
import { statusBadge } from '../badge';
import { type Chart, makeChart } from '../charts';
import { h, setText } from '../dom';
import { count, num } from '../format';
import { connectLive } from '../live';
import { navBar } from '../nav';
import { SERIES } from '../palette';
import { initialPeriod } from '../period';
import type { Member } from '../protocol';
import { session } from '../session';
import { chartWithTable, dataTable, scrollBox } from '../table';
import { trainingForm } from './trainings-form';
import { datesText, groupRows, memberFrom, memberQuery, MODE_LABEL, overTime, sectorBars, sectorLabel, SEXES, type SectorInfo, share, total, type Training, type TrainingSummary, touchesTrainings } from './trainings-model';

/** Type on the charts: larger where the chart is wide (a projector), read from the back row. */
const chartFont = (el: HTMLElement) => Math.round(Math.min(20, Math.max(16, el.clientWidth / 45)));

function barChart(el: HTMLElement, horizontal: boolean): Chart {
  const size = chartFont(el);
  const category = { type: 'category', data: [] as string[], axisLabel: { fontSize: size, color: '#222', interval: 0 }, inverse: horizontal };
  // On a phone the value axis's numbers would run into each other: those that would are left out.
  const value = { type: 'value', axisLabel: { fontSize: size - 2, hideOverlap: true } };
  return makeChart(el, {
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    grid: { left: 8, right: 48, top: 32, bottom: 8, containLabel: true },
    xAxis: horizontal ? value : category,
    yAxis: horizontal ? category : value,
    series: [],
  });
}

export function renderTrainings(root: HTMLElement): void {
  const live = connectLive(initialPeriod());
  let iso3 = memberFrom(location.search);
  const who = session();
  const mayWrite = (m: string) => who?.signed_in === true && (who.role === 'secretariat' || (who.role === 'editor' && who.member === m));
  const editable = () => (who?.role === 'secretariat' ? members.map((m) => m.iso3) : who?.role === 'editor' && who.member ? [who.member] : []);

  const picker = h('select', { id: 'tr-member', 'data-testid': 'training-member' }, h('option', { value: '' }, 'All members (APO-wide)'));
  const status = h('p', { class: 'muted', role: 'status', 'aria-live': 'polite', 'data-testid': 'trainings-status' }, 'Loading…');
  const figures = h('dl', { class: 'training-figures', 'data-testid': 'training-figures' });
  const sectorEl = h('div', { class: 'chart tr-chart', role: 'img', 'data-testid': 'chart-sector' });
  const groupEl = h('div', { class: 'chart tr-chart-short', role: 'img', 'data-testid': 'chart-group' });
  const sexEl = h('div', { class: 'chart tr-chart-short', role: 'img', 'data-testid': 'chart-sex' });
  const timeEl = h('div', { class: 'chart', role: 'img', 'data-testid': 'chart-time' });
  const sectorTable = scrollBox('Participants by sector as a table');
  const groupTable = scrollBox('Participants by group as a table');
  const sexTable = scrollBox('Participants by sex as a table');
  const timeTable = scrollBox('Participants over time as a table');
  const timeHead = h('h2', {}, 'Participants over time');
  const list = h('ul', { class: 'training-list', 'data-testid': 'training-list' });
  const listHead = h('h2', {}, 'Courses');
  const form = trainingForm(editable, () => void load().catch(fail));
  // Without a course there is nothing to chart: the charts are hidden (the status line says so).
  const charts = h(
    'div',
    {},
    h('div', { class: 'tr-grid' }, h('section', {}, h('h2', {}, 'Participants by sector'), chartWithTable(sectorEl, sectorTable)), h('section', {}, h('h2', {}, 'By tripartite group, with the SMEs among enterprises'), chartWithTable(groupEl, groupTable), h('h2', {}, 'By sex'), chartWithTable(sexEl, sexTable))),
    h('section', {}, timeHead, chartWithTable(timeEl, timeTable)),
  );
  const canWriteAny = who?.signed_in === true && (who.role === 'secretariat' || (who.role === 'editor' && !!who.member));
  const main = h(
    'main',
    { class: 'page trainings-page', 'data-loading': '' },
    h('div', { class: 'controls' }, h('label', { for: 'tr-member' }, 'Member', picker)),
    h('p', { class: 'muted lead' }, 'Courses delivered by the NPOs and their partners: who took part, from which sectors, and when. No personal data is kept, only counts.'),
    status,
    figures,
    canWriteAny ? form.el : null,
    charts,
    h('section', {}, listHead, list),
  );
  root.append(navBar(statusBadge(live), 'Trainings'), main);

  const sector = barChart(sectorEl, true);
  const group = barChart(groupEl, true);
  const sex = barChart(sexEl, true);
  const time = barChart(timeEl, false);

  let members: Member[] = [];
  let names = new Map<string, string>();
  let labels = new Map<string, string>();
  let seq = 0;
  const memberName = (c: string) => names.get(c) ?? c;
  const heading = () => (iso3 ? memberName(iso3) : 'All APO members');

  const drawFigures = (s: TrainingSummary) => {
    const items: [string, string, string][] = [
      ['courses', count(s.courses), s.courses === 1 ? 'course' : 'courses'],
      ['participants', count(s.participants), 'participants'],
      ['hours', count(s.hours), 'participant-hours'],
      ['smes', count(s.smes), 'from SMEs'],
      ['female', share(s.by_sex.female ?? 0, s.participants), 'women'],
      ['certified', count(s.certified_specialists), 'certified specialists'],
    ];
    // Made once, then updated: a figure a live change moved flashes, so the room sees what changed.
    if (!figures.childElementCount) figures.append(...items.map(([k]) => h('div', { class: 'figure', 'data-figure': k }, h('dt', {}), h('dd', {}))));
    for (const [k, v, label] of items) {
      const box = figures.querySelector(`[data-figure="${k}"]`);
      if (!box) continue;
      setText(box.querySelector('dt') as HTMLElement, label, false);
      setText(box.querySelector('dd') as HTMLElement, v);
    }
  };

  const drawCharts = (s: TrainingSummary, courses: Training[]) => {
    const size = chartFont(sectorEl);
    const bars = sectorBars(s, labels);
    sectorEl.setAttribute('aria-label', `Participants by sector: ${bars.map(([l, n]) => `${l} ${n}`).join(', ') || 'none'}`);
    sectorEl.style.height = `${Math.max(200, 48 + bars.length * Math.round(size * 2.4))}px`;
    sector.resize();
    sector.setOption({
      yAxis: { data: bars.map(([l]) => l), axisLabel: { fontSize: size } },
      series: [{ name: 'Participants', type: 'bar', barMaxWidth: 56, data: bars.map(([, n]) => n), itemStyle: { color: SERIES[0] }, label: { show: true, position: 'right', fontSize: size, color: '#000' } }],
    });
    sectorTable.replaceChildren(dataTable(`Participants by sector, ${heading()}`, ['Sector', 'Participants', 'Share'], bars.map(([l, n]) => [l, count(n), share(n, s.participants)])));

    const rows = groupRows(s);
    groupEl.setAttribute('aria-label', `Participants by group: ${rows.map((r) => `${r.label} ${r.n}${r.smes !== null ? `, of whom ${r.smes} from SMEs` : ''}`).join('; ')}`);
    group.setOption({
      legend: { show: true, top: 0, right: 0, textStyle: { fontSize: size - 2 } },
      yAxis: { data: rows.map((r) => (r.id === 'universities' ? 'Universities and\ntraining institutions' : r.label)), axisLabel: { fontSize: size - 1, lineHeight: Math.round(size * 1.2) } },
      series: [
        { name: 'SMEs', type: 'bar', barMaxWidth: 56, stack: 'g', data: rows.map((r) => r.smes ?? 0), itemStyle: { color: SERIES[1] } },
        { name: 'Other participants', type: 'bar', barMaxWidth: 56, stack: 'g', data: rows.map((r) => r.n - (r.smes ?? 0)), itemStyle: { color: SERIES[0] }, label: { show: true, position: 'right', fontSize: size, color: '#000', formatter: (p: { dataIndex: number }) => count(rows[p.dataIndex]?.n ?? 0) } },
      ],
    });
    groupTable.replaceChildren(dataTable(`Participants by group, ${heading()}`, ['Group', 'Participants', 'Of whom from SMEs', 'Share'], rows.map((r) => [r.label, count(r.n), r.smes === null ? '–' : count(r.smes), share(r.n, s.participants)])));

    sexEl.setAttribute('aria-label', `Participants by sex: ${SEXES.map(([k, l]) => `${l} ${s.by_sex[k] ?? 0}`).join(', ')}`);
    sex.setOption({
      yAxis: { data: SEXES.map(([, l]) => l), axisLabel: { fontSize: size - 1 } },
      series: [{ name: 'Participants', type: 'bar', barMaxWidth: 56, data: SEXES.map(([k], i) => ({ value: s.by_sex[k] ?? 0, itemStyle: { color: [SERIES[4], SERIES[2], SERIES[7]][i] } })), label: { show: true, position: 'right', fontSize: size, color: '#000', formatter: (p: { value: number }) => `${count(p.value)} (${share(p.value, s.participants)})` } }],
    });
    sexTable.replaceChildren(dataTable(`Participants by sex, ${heading()}`, ['Sex', 'Participants', 'Share'], SEXES.map(([k, l]) => [l, count(s.by_sex[k] ?? 0), share(s.by_sex[k] ?? 0, s.participants)])));

    const t = overTime(courses);
    setText(timeHead, `Participants over time, by the ${t.by} a course ended`, false);
    timeEl.setAttribute('aria-label', `Participants by ${t.by}: ${t.labels.map((l, i) => `${l} ${t.values[i]}`).join(', ') || 'none'}`);
    time.setOption({
      xAxis: { data: t.labels, axisLabel: { fontSize: size - 2, interval: 'auto', hideOverlap: true } },
      series: [{ name: 'Participants', type: 'bar', barMaxWidth: 56, data: t.values, itemStyle: { color: SERIES[0] }, label: { show: t.labels.length <= 14, position: 'top', fontSize: size - 2, color: '#000', formatter: (p: { value: number }) => (p.value ? count(p.value) : '') } }],
    });
    timeTable.replaceChildren(dataTable(`Participants by ${t.by}, ${heading()}`, [t.by === 'month' ? 'Month' : 'Year', 'Participants'], t.labels.map((l, i) => [l, count(t.values[i] ?? 0)])));
  };

  const drawList = (courses: Training[]) => {
    const sorted = [...courses].sort((a, b) => b.end_date.localeCompare(a.end_date) || a.id.localeCompare(b.id));
    setText(listHead, `Courses (${sorted.length})`, false);
    const before = new Set(shownIds);
    list.replaceChildren(...sorted.map((t) => courseItem(t, shownIds.length > 0 && !before.has(t.id))));
    shownIds = sorted.map((t) => t.id);
    if (!sorted.length) list.append(h('li', { class: 'muted' }, iso3 ? `No course of ${memberName(iso3)} yet.` : 'No course yet.'));
    main.dataset.ids = sorted.map((t) => t.id).join(' ');
  };

  /** The courses shown, so that one arriving live is flashed (none before the first drawing). */
  let shownIds: string[] = [];
  const courseItem = (t: Training, arrived: boolean) => {
    const people = total(t.participants);
    const edit = mayWrite(t.iso3) ? h('button', { type: 'button', class: 'secondary', 'data-edit': t.id, 'aria-label': `Correct or delete ${t.title}` }, 'Correct') : null;
    edit?.addEventListener('click', () => form.edit(t));
    return h(
      'li',
      { class: arrived ? 'training-item flash' : 'training-item', 'data-id': t.id },
      h('p', { class: 'tr-title' }, h('strong', {}, t.title), iso3 ? null : h('span', { class: 'muted' }, ` · ${memberName(t.iso3)}`)),
      h('p', { class: 'tr-meta' }, `${datesText(t.start_date, t.end_date)} · ${sectorLabel(t.sector, labels)} · ${t.topic || '–'} · ${MODE_LABEL[t.mode] ?? t.mode}, ${num(t.hours, 1)} h · ${t.provider}`),
      h(
        'p',
        { class: 'tr-counts' },
        h('strong', { 'data-participants': String(people) }, `${count(people)} participants`),
        `: government ${t.participants.government}, enterprises ${t.participants.enterprises} (SMEs ${t.smes}), universities and training institutions ${t.participants.universities} · women ${t.by_sex.female}, men ${t.by_sex.male}${t.by_sex.unspecified ? `, not specified ${t.by_sex.unspecified}` : ''}${t.certified_specialists ? ` · ${t.certified_specialists} certified` : ''}`,
      ),
      edit,
    );
  };

  const load = async () => {
    const mine = ++seq;
    const q = memberQuery(iso3);
    const [s, courses] = await Promise.all([get<TrainingSummary>(`/trainings/summary${q}`), get<Training[]>(`/trainings${q}`)]);
    if (mine !== seq) return;
    status.textContent = s.courses ? `${heading()}: ${count(s.courses)} course${s.courses === 1 ? '' : 's'} delivered, ${count(s.participants)} participants.` : `${heading()}: no course recorded yet.`;
    status.className = 'muted';
    drawFigures(s);
    charts.hidden = s.courses === 0;
    drawCharts(s, courses);
    drawList(courses);
    // The whole list for the next free id: APO-wide, the member's own courses are among them.
    form.setContext(members, courses);
    main.removeAttribute('data-loading');
  };
  const fail = (e: unknown) => {
    status.textContent = `Could not load the courses: ${describeError(e)}`;
    status.className = 'form-status err';
    main.removeAttribute('data-loading');
  };
  const title = () => {
    document.title = `APO Dashboard · Trainings · ${heading()}`;
    const h1 = root.querySelector('.page-title');
    if (h1) setText(h1, iso3 ? `Trainings · ${memberName(iso3)}` : 'Trainings', false);
  };
  picker.addEventListener('change', () => {
    iso3 = picker.value || null;
    shownIds = [];
    history.replaceState(history.state, '', `${location.pathname}${memberQuery(iso3)}`);
    title();
    if (iso3 && mayWrite(iso3)) form.add(iso3);
    void load().catch(fail);
  });

  Promise.all([get<Member[]>('/members'), get<SectorInfo[]>('/trainings/sectors').catch(() => [] as SectorInfo[])])
    .then(([ms, sectors]) => {
      members = ms;
      names = new Map(ms.map((m) => [m.iso3, m.name]));
      labels = new Map(sectors.map((s) => [s.id, s.label]));
      picker.append(...ms.map((m) => h('option', { value: m.iso3 }, `${m.name} (${m.iso3})`)));
      if (iso3 && !names.has(iso3)) iso3 = null;
      picker.value = iso3 ?? '';
      title();
      form.setContext(ms, []);
      const own = who?.role === 'editor' && who.member ? who.member : iso3;
      if (own && mayWrite(own)) form.add(own);
      else if (editable().length) form.add(editable()[0] as string);
      return load();
    })
    .catch(fail);

  live.subscribe((_doc, change) => {
    if (names.size && touchesTrainings(change)) void load().catch(fail);
  });
}
