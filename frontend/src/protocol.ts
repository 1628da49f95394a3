// The wire protocol as the browser uses it: names for the types generated from the server
// (src/generated/api.ts, from the server's OpenAPI document: `npm run gen`), the constants the
// pages need, reading the server's live frames (`parseFrame`) and building the client's
// (`resumeFrame`, `periodFrame`). Nothing here restates a type the server describes: when the
// server changes one, `npm run gen:check` fails until api.ts is regenerated, and `tsc` then
// fails wherever the browser no longer fits.
//
// Fields the server always sends but declares with `Option<…>` come out optional (`score?:
// number | null`): utoipa marks optional fields as not required. Read them with `?? null` or
// `== null`, never `=== null`.

import type { components } from './generated/api';

type Schemas = components['schemas'];

// ---- live frames (src/live/protocol.rs) ----

export type ServerFrame = Schemas['ServerFrame'];
export type ClientFrame = Schemas['ClientFrame'];
export type SnapshotFrame = Extract<ServerFrame, { type: 'snapshot' }>;
export type PatchFrame = Extract<ServerFrame, { type: 'patch' }>;
export type HeartbeatFrame = Extract<ServerFrame, { type: 'heartbeat' }>;
export type ErrorFrame = Extract<ServerFrame, { type: 'error' }>;
/** A heartbeat's word on the server's database: `up`, or `down` with `since` (RFC 3339). */
export type StoreStatus = Schemas['StoreStatus'];
export type ErrorCode = Schemas['ErrorCode'];
/** What a patch says it carries: one reference per edit (the ticker lines come in `recent`). */
export type Event = Schemas['Event'];
export type Op = Schemas['Op'];
export type OpKind = Op['op'];
export type Segment = Schemas['Segment'];

// ---- the dashboard document (src/analytics/document.rs) ----

export type Dashboard = Schemas['Dashboard'];
export type Overall = Schemas['Overall'];
export type PillarDoc = Schemas['PillarDoc'];
export type MemberDoc = Schemas['MemberDoc'];
export type CellDoc = Schemas['CellDoc'];
export type FocusDoc = Schemas['FocusDoc'];
export type KrDoc = Schemas['KrDoc'];
export type Completeness = Schemas['Completeness'];
export type PrimerCounts = Schemas['PrimerCounts'];
export type StatusCounts = Schemas['StatusCounts'];
/** One line of the latest changes, made on the server (its `summary` is what the room reads). */
export type Recent = Schemas['Recent'];
export type Entity = Schemas['Entity'];
export type Action = Schemas['Action'];
export type KrStatus = Schemas['Status'];
/** Where a member's primer stands in the document: its status, or `none`. */
export type PrimerState = Schemas['PrimerState'];

// ---- REST (src/http/, src/model.rs, src/analytics/productivity.rs) ----

export type Member = Schemas['Member'];
export type PillarInfo = Schemas['PillarInfo'];
/** A primer's workflow status (`PUT /primers/{iso3}`): draft, submitted, endorsed. */
export type PrimerStatus = Schemas['PrimerStatus'];
export type PrimerInput = Schemas['PrimerInput'];
export type Primer = Schemas['Primer'];
export type KeyResultInput = Schemas['KeyResult'];
export type PutPrimerResult = Schemas['PutPrimerResult'];
export type ActualInput = Schemas['ActualInput'];
/** `POST /actuals`: the revision the batch created. */
export type Posted = Schemas['Posted'];
/** A stored report (`GET /actuals?iso3=…`), newest first. */
export type Actual = Schemas['Actual'];
export type Budget = Schemas['Budget'];
export type ErrorBody = Schemas['ErrorBody'];
export type ErrorDetail = Schemas['Detail'];
export type YearReport = Schemas['YearReport'];
export type MemberYear = Schemas['MemberYear'];
export type CpiComponents = Schemas['CpiComponents'];
export type SeriesReport = Schemas['SeriesReport'];

// ---- access (src/http/access.rs, src/access/mod.rs) ----

/** Who the browser is (`GET /api/v1/session`), the public URL and the open workshop. */
export type SessionInfo = Schemas['SessionInfo'];
export type Role = Schemas['Role'];
export type WorkshopInfo = Schemas['WorkshopInfo'];
export type OpenedWorkshop = Schemas['OpenedWorkshop'];
/** A delegation card as issued (shown once): member, code and the address its QR code holds. */
export type PrintedCard = Schemas['PrintedCard'];
export type TokenInfo = Schemas['TokenInfo'];
export type CreatedToken = Schemas['CreatedToken'];
export type NewToken = Schemas['NewToken'];
export type NewWorkshop = Schemas['NewWorkshop'];

// ---- constants the pages need ----
// Each list is checked against the generated union it enumerates (`satisfies` for the members,
// `Exhaustive` for completeness), so a value added on the server fails `tsc` here.

type Exhaustive<Union, List extends readonly unknown[]> = [Exclude<Union, List[number]>] extends [never] ? List : never;
function exhaustive<Union>() {
  return <const List extends readonly Union[]>(list: Exhaustive<Union, List>): List => list;
}

export const KR_STATUSES = exhaustive<KrStatus>()(['achieved', 'on_track', 'at_risk', 'off_track', 'no_data']);
export const PRIMER_STATES = exhaustive<PrimerState>()(['none', 'draft', 'submitted', 'endorsed']);
export const PRIMER_STATUSES = exhaustive<PrimerStatus>()(['draft', 'submitted', 'endorsed']);
/** The four Vision 2030 pillars, as the document keys them. */
export const PILLARS = ['1', '2', '3', '4'] as const;
/** The SPP cycle (the server's `Year` schema: 2026 to 2028). */
export const CYCLE_YEARS = [2026, 2027, 2028] as const;
/** The kinds of server frame, in the order the server's schema lists them. */
export const SERVER_FRAME_TYPES = exhaustive<ServerFrame['type']>()(['snapshot', 'patch', 'heartbeat', 'error']);
export const ROLES = exhaustive<Role>()(['secretariat', 'editor', 'viewer', 'metrics']);
export const OP_KINDS = exhaustive<OpKind>()(['set', 'remove', 'insert', 'trim']);

// ---- reading server frames ----

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isSegment = (v: unknown): v is Segment => typeof v === 'string' || (isInt(v) && v >= 0);

/** Whether `v` is an op the browser can apply (`path` of keys and indexes, and its operand). */
export function isOp(v: unknown): v is Op {
  if (!isObject(v) || !Array.isArray(v.path) || !v.path.every(isSegment)) return false;
  const kind = v.op as OpKind;
  switch (kind) {
    case 'set':
    case 'insert':
      return 'value' in v;
    case 'remove':
      return true;
    case 'trim':
      return isInt(v.len) && v.len >= 0;
    default:
      return unknownKind(kind);
  }
}

function unknownKind(_kind: never): false {
  return false;
}

/**
 * What each kind of frame must hold to be used: the fields the browser reads, with their
 * types. A field renamed on the server, or a kind added to `ServerFrame`, fails here (and in
 * test/protocol.test.ts, against the server's examples) rather than being read as undefined.
 */
const SHAPE: { [K in ServerFrame['type']]: (f: Json) => boolean } = {
  snapshot: (f) => isInt(f.rev) && isObject(f.data),
  patch: (f) => isInt(f.rev) && isInt(f.base) && Array.isArray(f.ops) && f.ops.every(isOp) && Array.isArray(f.events),
  heartbeat: (f) => isInt(f.rev) && isInt(f.viewers),
  error: (f) => typeof f.code === 'string' && typeof f.message === 'string',
};

/** Reads one text frame; anything that is not a known, well-formed server frame gives null. */
export function parseFrame(text: unknown): ServerFrame | null {
  if (typeof text !== 'string') return null;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(v) || typeof v.type !== 'string' || !Object.hasOwn(SHAPE, v.type)) return null;
  return SHAPE[v.type as ServerFrame['type']](v) ? (v as unknown as ServerFrame) : null;
}

// ---- building client frames ----

/** Asks the server to replay the patches after `since` (or to send a snapshot). */
export function resumeFrame(since: number): ClientFrame {
  return { type: 'resume', since };
}

/** Switches the socket to another cycle year: that period's snapshot follows. */
export function periodFrame(period: number): ClientFrame {
  return { type: 'period', period };
}
