// Busy mirror rules and their blocks (migration 000016). A rule copies the busy time of
// its source calendar into its target as blocks (src/core/busy-mirror.ts); which block
// stands for which source series is kept in busy_mirror_blocks, so a refresh finds the
// blocks of sources that went and a rule's removal finds all of its blocks. Every query
// names its tenant.
import type { MirrorRule } from '../core/busy-mirror.ts';
import { CalsyncError } from '../errors.ts';
import type { Queryable } from './db.ts';

export interface BusyMirror extends MirrorRule {
  tenantId: string;
  sourceCalendarId: string;
  targetCalendarId: string;
  createdAt: Date;
}

export interface MirrorInput {
  sourceCalendarId: string;
  targetCalendarId: string;
  title?: string;
  includeLocation?: boolean;
  includeDescription?: boolean;
  includeAttendees?: boolean;
  markTentative?: boolean;
  ownerEmail?: string | null;
}

interface MirrorRow {
  id: string; tenant_id: string; source_calendar_id: string; target_calendar_id: string; title: string; include_location: boolean;
  include_description: boolean; include_attendees: boolean; mark_tentative: boolean; owner_email: string | null; created_at: Date;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const emailPattern = /^[^\s@]+@[^\s@]+$/;

function toMirror(row: MirrorRow): BusyMirror {
  return {
    id: row.id, tenantId: row.tenant_id, sourceCalendarId: row.source_calendar_id, targetCalendarId: row.target_calendar_id, title: row.title,
    includeLocation: row.include_location, includeDescription: row.include_description, includeAttendees: row.include_attendees,
    markTentative: row.mark_tentative, ownerEmail: row.owner_email, createdAt: row.created_at,
  };
}

export function mirrorNotFound(id: string): CalsyncError {
  return new CalsyncError('NOT_FOUND', `busy mirror ${id} not found`, { mirrorId: id });
}

/** The input checked, with messages that name the field; the calendars are checked against the tenant's. */
async function checked(db: Queryable, tenantId: string, input: MirrorInput): Promise<MirrorInput> {
  for (const field of ['sourceCalendarId', 'targetCalendarId'] as const) {
    const id = input[field];
    if (typeof id !== 'string' || id === '') throw new CalsyncError('INVALID_REQUEST', `${field} is required`, { field });
    if (!uuidPattern.test(id)) throw new CalsyncError('NOT_FOUND', `calendar ${JSON.stringify(id)} not found`, { calendarId: id });
  }
  const source = input.sourceCalendarId.toLowerCase();
  const target = input.targetCalendarId.toLowerCase();
  if (source === target) throw new CalsyncError('INVALID_REQUEST', 'a calendar cannot mirror its busy time into itself: targetCalendarId must differ from sourceCalendarId', { field: 'targetCalendarId' });
  if (input.title !== undefined && (input.title.trim() === '' || input.title.length > 200)) {
    throw new CalsyncError('INVALID_REQUEST', 'title must be 1 to 200 characters', { field: 'title' });
  }
  const email = input.ownerEmail ?? null;
  if (email !== null && (!emailPattern.test(email) || email.length > 320)) {
    throw new CalsyncError('INVALID_REQUEST', `ownerEmail ${JSON.stringify(email)} is not an address`, { field: 'ownerEmail' });
  }
  const { rows } = await db.query<{ id: string }>(
    'select id from calendars where tenant_id = $1 and id = any($2::uuid[]) and deleted_at is null', [tenantId, [source, target]]);
  const known = new Set(rows.map((r) => r.id));
  for (const id of [source, target]) {
    if (!known.has(id)) throw new CalsyncError('NOT_FOUND', `calendar ${id} not found`, { calendarId: id });
  }
  return { ...input, sourceCalendarId: source, targetCalendarId: target, ownerEmail: email?.toLowerCase() ?? null };
}

/** Creates a rule; MIRROR_EXISTS when the two calendars already have one in this direction. */
export async function insertMirror(db: Queryable, tenantId: string, raw: MirrorInput): Promise<BusyMirror> {
  const input = await checked(db, tenantId, raw);
  const { rows: [row] } = await db.query<MirrorRow>(
    `insert into busy_mirrors (tenant_id, source_calendar_id, target_calendar_id, title, include_location, include_description,
                               include_attendees, mark_tentative, owner_email)
     values ($1, $2, $3, coalesce($4, 'Busy'), $5, $6, $7, $8, $9)
     on conflict (tenant_id, source_calendar_id, target_calendar_id) do nothing
     returning *`,
    [tenantId, input.sourceCalendarId, input.targetCalendarId, input.title ?? null, input.includeLocation ?? false,
      input.includeDescription ?? false, input.includeAttendees ?? false, input.markTentative ?? true, input.ownerEmail]);
  if (!row) {
    throw new CalsyncError('MIRROR_EXISTS', `calendar ${input.sourceCalendarId} already mirrors its busy time into ${input.targetCalendarId}`,
      { sourceCalendarId: input.sourceCalendarId, targetCalendarId: input.targetCalendarId });
  }
  return toMirror(row);
}

/** One rule; `forUpdate` locks it, which serialises the refreshes and the removal of a rule. */
export async function getMirror(db: Queryable, tenantId: string, id: string, options: { forUpdate?: boolean } = {}): Promise<BusyMirror> {
  if (!uuidPattern.test(id)) throw mirrorNotFound(id);
  const { rows: [row] } = await db.query<MirrorRow>(
    `select * from busy_mirrors where tenant_id = $1 and id = $2${options.forUpdate ? ' for update' : ''}`, [tenantId, id]);
  if (!row) throw mirrorNotFound(id);
  return toMirror(row);
}

export async function listMirrors(db: Queryable, tenantId: string): Promise<BusyMirror[]> {
  const { rows } = await db.query<MirrorRow>('select * from busy_mirrors where tenant_id = $1 order by created_at, id limit 1000', [tenantId]);
  return rows.map(toMirror);
}

export async function deleteMirrorRow(db: Queryable, tenantId: string, id: string): Promise<void> {
  await db.query('delete from busy_mirrors where tenant_id = $1 and id = $2', [tenantId, id]);
}

/** Which of the rule's calendars are live (not deleted). */
export async function liveCalendars(db: Queryable, rule: BusyMirror): Promise<{ source: boolean; target: boolean }> {
  const { rows } = await db.query<{ id: string }>(
    'select id from calendars where tenant_id = $1 and id = any($2::uuid[]) and deleted_at is null', [rule.tenantId, [rule.sourceCalendarId, rule.targetCalendarId]]);
  const live = new Set(rows.map((r) => r.id));
  return { source: live.has(rule.sourceCalendarId), target: live.has(rule.targetCalendarId) };
}

/** The rule's blocks, by the source series each stands for. */
export async function mirrorBlocks(db: Queryable, tenantId: string, mirrorId: string): Promise<Map<string, string>> {
  const { rows } = await db.query<{ source_event_id: string; block_event_id: string }>(
    'select source_event_id, block_event_id from busy_mirror_blocks where tenant_id = $1 and mirror_id = $2', [tenantId, mirrorId]);
  return new Map(rows.map((r) => [r.source_event_id, r.block_event_id]));
}

export async function recordBlocks(db: Queryable, tenantId: string, mirrorId: string, blocks: Array<{ sourceEventId: string; blockEventId: string }>): Promise<void> {
  if (blocks.length === 0) return;
  await db.query(
    `insert into busy_mirror_blocks (tenant_id, mirror_id, source_event_id, block_event_id)
     select $1, $2, b.source, b.block from unnest($3::uuid[], $4::uuid[]) as b(source, block)
     on conflict do nothing`, [tenantId, mirrorId, blocks.map((b) => b.sourceEventId), blocks.map((b) => b.blockEventId)]);
}

export async function forgetBlocks(db: Queryable, tenantId: string, mirrorId: string, sourceEventIds: string[]): Promise<void> {
  if (sourceEventIds.length === 0) return;
  await db.query('delete from busy_mirror_blocks where tenant_id = $1 and mirror_id = $2 and source_event_id = any($3::uuid[])', [tenantId, mirrorId, sourceEventIds]);
}

/**
 * The live series of the rule's source calendar a refresh mirrors: every one but the
 * blocks of any rule (no block of a block, whichever rule made it, also when two rules
 * mirror two calendars into each other) and series whose last instance ended before
 * `endedBefore` (their blocks are left as they are). The UID test also keeps out a block
 * whose rule is gone.
 */
export async function mirrorSources(db: Queryable, rule: BusyMirror, endedBefore: Date): Promise<string[]> {
  const { rows } = await db.query<{ series_id: string }>(
    `select e.series_id from events e
      where e.tenant_id = $1 and e.calendar_id = $2 and e.deleted_at is null and e.ical_uid not like 'calsync-mirror-%'
        and not exists (select 1 from busy_mirror_blocks b where b.tenant_id = e.tenant_id and b.block_event_id = e.series_id)
      group by e.series_id
     having max(case when e.kind = 'master' then coalesce(e.series_until_at, 'infinity') else e.end_at end) >= $3
      order by e.series_id`, [rule.tenantId, rule.sourceCalendarId, endedBefore]);
  return rows.map((r) => r.series_id);
}

/** The source series among `ids` that still have a live row in the rule's source calendar. */
export async function liveSources(db: Queryable, rule: BusyMirror, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { rows } = await db.query<{ series_id: string }>(
    `select distinct series_id from events where tenant_id = $1 and calendar_id = $2 and series_id = any($3::uuid[]) and deleted_at is null`,
    [rule.tenantId, rule.sourceCalendarId, ids]);
  return new Set(rows.map((r) => r.series_id));
}
