// The wire types: what the server sends and accepts. Mirrors src/analytics/document.rs,
// src/live/mod.rs, src/model.rs and src/analytics/productivity.rs (DESIGN.md, "Public contracts").

export type KrStatus = 'achieved' | 'on_track' | 'at_risk' | 'off_track' | 'no_data';
export const KR_STATUSES: readonly KrStatus[] = ['achieved', 'on_track', 'at_risk', 'off_track', 'no_data'];
export type PrimerStatus = 'none' | 'draft' | 'submitted' | 'endorsed';
export const PRIMER_STATUSES: readonly PrimerStatus[] = ['none', 'draft', 'submitted', 'endorsed'];
export const PILLARS = ['1', '2', '3', '4'] as const;
export const CYCLE_YEARS = [2026, 2027, 2028] as const;

export type StatusCounts = Record<KrStatus, number>;

export interface PillarDoc {
  name: string;
  score: number | null;
  members_scored: number;
  krs: number;
  krs_with_data: number;
  status_counts: StatusCounts;
  budget: { planned: number; spent: number };
}

export interface CellDoc {
  score: number | null;
  coverage: number | null;
}

export interface MemberDoc {
  name: string;
  primer_status: PrimerStatus;
  score: number | null;
  completeness: number | null;
  reported: number;
  expected: number;
  krs: number;
  pillars: Record<string, CellDoc>;
  status_counts: StatusCounts;
}

export interface FocusDoc {
  score: number | null;
  members: number;
  chosen_by: number;
  krs: number;
}

export interface KrDoc {
  iso3: string;
  code: string;
  pillar: number;
  focus_area: string;
  title: string;
  unit: string;
  direction: 'increase' | 'decrease';
  weight: number;
  baseline: number | null;
  target: number | null;
  actual: number | null;
  reported_at: string | null;
  progress: number | null;
  status: KrStatus;
}

export interface Recent {
  rev: number;
  at: string;
  actor: string;
  action: string;
  entity: string;
  key: string;
  summary: string;
}

export interface Dashboard {
  rev: number;
  period: number;
  generated_at: string;
  overall: { score: number | null; members_scored: number };
  pillars: Record<string, PillarDoc>;
  members: Record<string, MemberDoc>;
  focus_areas: Record<string, FocusDoc>;
  key_results: Record<string, KrDoc>;
  completeness: { reported: number; expected: number; ratio: number | null };
  primers: Record<PrimerStatus, number>;
  recent: Recent[];
}

export type Op =
  | { op: 'set'; path: string[]; value: unknown }
  | { op: 'remove'; path: string[] };

export interface SnapshotFrame {
  type: 'snapshot';
  rev: number;
  data: Dashboard;
}
export interface PatchFrame {
  type: 'patch';
  rev: number;
  base: number;
  ops: Op[];
  events: Recent[];
}
export interface HeartbeatFrame {
  type: 'heartbeat';
  rev: number;
  viewers: number;
}
export type ServerFrame = SnapshotFrame | PatchFrame | HeartbeatFrame;

export type ClientFrame = { type: 'resume'; since: number } | { type: 'period'; period: number };

/** Reads one text frame; anything that is not a known frame gives null. */
export function parseFrame(text: unknown): ServerFrame | null {
  if (typeof text !== 'string') return null;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const f = v as { type?: unknown; rev?: unknown };
  if (typeof f.rev !== 'number') return null;
  switch (f.type) {
    case 'snapshot':
    case 'patch':
    case 'heartbeat':
      return v as ServerFrame;
    default:
      return null;
  }
}

// ---- REST ----

export interface Member {
  iso3: string;
  iso_num: string;
  name: string;
  short_name: string;
  primer_status: PrimerStatus;
}

export interface Pillar {
  id: number;
  name: string;
}

export interface KeyResultInput {
  code: string;
  pillar: number;
  focus_area: string;
  title: string;
  unit: string;
  direction: 'increase' | 'decrease';
  baseline_year: number | null;
  baseline_value: number | null;
  weight: number;
  targets: Record<string, number>;
}

export interface PrimerInput {
  status: 'draft' | 'submitted' | 'endorsed';
  national_context: string;
  endorsed_on?: string | null;
  focus_areas: string[];
  key_results: KeyResultInput[];
}

export interface Primer extends PrimerInput {
  iso3?: string;
  cycle?: string;
  updated_rev?: number;
  updated_at?: string;
}

export interface Budget {
  pillar: number;
  year: number;
  planned: number;
  spent: number;
  iso3?: string | null;
}

export interface ErrorDetail {
  field?: string | null;
  row?: number | null;
  message: string;
}
export interface ErrorBody {
  error: { code: string; message: string; details?: ErrorDetail[] };
}

export interface CpiComponents {
  level: number | null;
  growth: number | null;
  human_capital: number | null;
  tfp: number | null;
}
export interface MemberYear {
  name: string;
  lp_worker: number | null;
  lp_hour: number | null;
  lp_growth: number | null;
  lp_index: number | null;
  tfp_growth: number | null;
  rank_lp_worker: number | null;
  cpi: { value: number | null; partial: boolean; available: number; components: CpiComponents };
}
export interface YearReport {
  year: number;
  base_year: number;
  members: Record<string, MemberYear>;
  apo21: { lp_worker: number | null; members: number; lp_hour: number | null; members_lp_hour: number };
  source: string;
}
export interface SeriesReport {
  iso3: string;
  measure: string;
  points: { year: number; value: number | null }[];
  source: string;
}
