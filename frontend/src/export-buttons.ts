// The export links: "Download Excel" and "Download CSV (zip)", plain links to
// `GET /api/v1/export?format=xlsx|csv` (the whole data on /secretariat, one member's with
// `&iso3=` on its page), for the period the page shows. The session cookie is the credential;
// the server's answer is an attachment (Content-Disposition), so the browser saves it.

import { h } from './dom';
import { watch } from './reactive';
import './styles/import.css';

export interface ExportOptions {
  /** One member's data only. */
  iso3?: string;
  /** The period of the view sheets: read in a watcher, so a signal read here keeps the links current. */
  period?: () => number | null | undefined;
}

/** The address of an export. */
export function exportUrl(format: 'xlsx' | 'csv', iso3?: string, period?: number | null): string {
  const q = new URLSearchParams({ format });
  if (iso3) q.set('iso3', iso3);
  if (period != null) q.set('period', String(period));
  return `/api/v1/export?${q.toString()}`;
}

/** The two links, side by side, in a group named for what they download. */
export function exportButtons(opts: ExportOptions = {}): HTMLElement {
  // On a member's page (read by delegates more than downloaded) the links stay quiet: outlined.
  const xlsx = h('a', { class: opts.iso3 ? 'button secondary' : 'button', 'data-testid': 'export-xlsx' }, 'Download Excel');
  const csv = h('a', { class: 'button secondary', 'data-testid': 'export-csv' }, 'Download CSV (zip)');
  watch(() => {
    const period = opts.period?.();
    xlsx.href = exportUrl('xlsx', opts.iso3, period);
    csv.href = exportUrl('csv', opts.iso3, period);
  });
  const what = opts.iso3 ? `Download the data of ${opts.iso3}` : 'Download the whole data';
  // On a member's page the links say whose data they are; the Secretariat's panel says it in its text.
  const lead = opts.iso3 ? h('span', { class: 'export-lead' }, `${opts.iso3}’s data:`) : null;
  return h('div', { class: 'actions export-buttons', role: 'group', 'aria-label': what, 'data-testid': 'export-buttons' }, lead, xlsx, csv);
}

/** The Secretariat page's panel: what an export holds, and the two links. */
export function exportPanel(opts: ExportOptions = {}): HTMLElement {
  return h(
    'section',
    { class: 'panel export-panel', 'aria-labelledby': 'export-h', 'data-testid': 'export-panel' },
    h('h2', { id: 'export-h' }, 'Export'),
    h(
      'p',
      { class: 'muted' },
      'The dashboard’s tables as people read them, and the raw data (primers, key results, targets, every report with its history, budgets, projects, series) in the format the import takes, as of now.',
    ),
    exportButtons(opts),
  );
}
