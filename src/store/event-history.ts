// "Why did this event change": every calendar version of an event (event_history) with
// what caused it (the pass, binding, side, rule and reason of the sync operation that
// wrote it, a merge's per-field decisions, the operator action that restored it, or the
// app), the content it had after and the fields that changed; and every decision passes
// made about it on either side (sync_operations), writes to remotes included.
import type { CanonicalEvent } from '../core/model.ts';
import { CalsyncError } from '../errors.ts';
import type { Queryable } from './db.ts';
import { isUuid } from './binding-locks.ts';

export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

export interface EventVersion {
  version: number;
  recordedAt: Date;
  operation: 'create' | 'update' | 'delete' | 'restore';
  /** `app`, `binding:<id>`, `operator`. */
  actor: string;
  /** The row: the master (or single event), or an override (its originalStart). */
  rowId: string;
  originalStart: string | null;
  passId: string | null;
  bindingId: string | null;
  side: 'calendar' | 'remote' | null;
  rule: string | null;
  reason: string | null;
  /** A merge's per-field decisions: which side each field took and why. */
  decisions: unknown[] | null;
  operatorActionId: string | null;
  /** The row after this version; null once deleted. */
  content: CanonicalEvent | null;
  /** Fields that differ from the row's previous version (every field for the first). */
  changes: FieldChange[];
}

export interface SyncDecision {
  id: string;
  passId: string;
  bindingId: string;
  remoteId: string | null;
  side: 'calendar' | 'remote';
  operation: string;
  rule: string;
  reason: string;
  status: string;
  error: unknown;
  decisions: unknown[] | null;
  at: Date;
}

export interface EventHistory {
  calendarId: string;
  /** The series id (also the calsync id stamped on remote copies). */
  eventId: string;
  versions: EventVersion[];
  /** The newest `operationsLimit` decisions of passes about the event, oldest first. */
  operations: SyncDecision[];
}

const operationsLimit = 500;

/**
 * The series (and, for an instance's id, that row) an id names in a calendar: a series
 * id, or an id apps see (a series' or an override's api id). NOT_FOUND otherwise,
 * also for another tenant's calendar.
 */
async function resolve(db: Queryable, tenantId: string, calendarId: string, id: string): Promise<{ seriesId: string; rowId: string | null }> {
  const notFound = new CalsyncError('NOT_FOUND', `event ${id} not found in calendar ${calendarId}`, { calendarId, eventId: id });
  if (!isUuid(calendarId)) throw notFound;
  const { rows: [row] } = await db.query<{ series_id: string; id: string; kind: string }>(
    `select series_id, id, kind from events
      where tenant_id = $1 and calendar_id = $2 and (api_id = $3 or ($4::uuid is not null and series_id = $4::uuid))
      order by api_id = $3 desc, kind = 'override' limit 1`, [tenantId, calendarId, id, isUuid(id) ? id : null]);
  if (!row) throw notFound;
  return { seriesId: row.series_id, rowId: row.kind === 'override' && !isUuid(id) ? row.id : null };
}

function fieldChanges(before: CanonicalEvent | null, after: CanonicalEvent | null): FieldChange[] {
  const fields = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  const changes: FieldChange[] = [];
  for (const field of fields) {
    const b = before ? (before as unknown as Record<string, unknown>)[field] ?? null : null;
    const a = after ? (after as unknown as Record<string, unknown>)[field] ?? null : null;
    if (JSON.stringify(b) !== JSON.stringify(a)) changes.push({ field, before: b, after: a });
  }
  return changes;
}

/** The rule and reason of a version: its pass's decision, the operator's action, or the app. */
function cause(r: { actor: string; side: EventVersion['side']; rule: string | null; reason: string | null; operator_action: string | null; operator_note: string | null }): Pick<EventVersion, 'side' | 'rule' | 'reason'> {
  if (r.actor === 'app') return { side: 'calendar', rule: 'app', reason: 'written through the app API' };
  if (r.actor === 'operator') {
    const why = r.operator_action === 'stopped-pass.dismiss' ? 'restored by an operator who dismissed a stopped pass' : 'written by an operator';
    return { side: 'calendar', rule: r.operator_action ?? 'operator', reason: r.operator_note ? `${why}: ${r.operator_note}` : why };
  }
  return { side: r.side, rule: r.rule, reason: r.reason };
}

export async function eventHistory(db: Queryable, tenantId: string, calendarId: string, id: string): Promise<EventHistory> {
  const { seriesId, rowId } = await resolve(db, tenantId, calendarId, id);
  const { rows } = await db.query<{
    version: string; recorded_at: Date; operation: EventVersion['operation']; actor: string; row_id: string; original_start: string | null;
    pass_id: string | null; binding_id: string | null; side: EventVersion['side']; rule: string | null; reason: string | null; decisions: unknown[] | null;
    operator_action_id: string | null; operator_action: string | null; operator_note: string | null; content: CanonicalEvent | null;
  }>(
    `select h.version, h.recorded_at, h.operation, h.actor, h.event_id as row_id, e.original_start, h.pass_id,
            coalesce(p.binding_id::text, substring(h.actor from '^binding:(.*)$')) as binding_id,
            o.side, o.rule, o.reason, o.after -> 'decisions' as decisions,
            a.id::text as operator_action_id, a.action as operator_action, a.detail ->> 'note' as operator_note, h.content
       from event_history h
       join events e on e.tenant_id = h.tenant_id and e.id = h.event_id
       left join sync_passes p on p.tenant_id = h.tenant_id and p.id = h.pass_id
       left join lateral (select o.side, o.operation, o.rule, o.reason, o.after from sync_operations o
                           where o.tenant_id = h.tenant_id and o.pass_id = h.pass_id and o.event_id = e.series_id and o.side = 'calendar'
                             and o.status = 'applied' and o.operation in ('create', 'update', 'delete', 'merge')
                           order by o.id limit 1) o on h.pass_id is not null
       left join lateral (select a.id, a.action, a.detail from operator_actions a
                           where a.tenant_id = h.tenant_id and a.created_at = h.recorded_at and a.targets -> 'eventIds' ? e.series_id::text
                           order by a.id limit 1) a on h.actor = 'operator'
      where h.tenant_id = $1 and h.calendar_id = $2 and e.series_id = $3 and ($4::uuid is null or h.event_id = $4)
      order by h.version`, [tenantId, calendarId, seriesId, rowId]);
  const previous = new Map<string, CanonicalEvent | null>();
  const versions = rows.map((r): EventVersion => {
    const before = previous.get(r.row_id) ?? null;
    previous.set(r.row_id, r.content);
    return {
      version: Number(r.version), recordedAt: r.recorded_at, operation: r.operation, actor: r.actor, rowId: r.row_id, originalStart: r.original_start,
      passId: r.pass_id, bindingId: r.binding_id, ...cause(r), decisions: r.decisions,
      operatorActionId: r.operator_action_id, content: r.content, changes: fieldChanges(before, r.content),
    };
  });
  const { rows: ops } = await db.query<{
    id: string; pass_id: string; binding_id: string; remote_id: string | null; side: SyncDecision['side']; operation: string; rule: string; reason: string;
    status: string; error: unknown; decisions: unknown[] | null; started_at: Date;
  }>(
    `select * from (select o.id::text, o.pass_id, o.binding_id, o.remote_id, o.side, o.operation, o.rule, o.reason, o.status, o.error,
                           o.after -> 'decisions' as decisions, o.started_at, o.id as seq
                      from sync_operations o join bindings b on b.tenant_id = o.tenant_id and b.id = o.binding_id
                     where o.tenant_id = $1 and b.calendar_id = $2 and o.event_id = $3 and o.operation <> 'skip'
                     order by o.id desc limit $4) newest order by seq`, [tenantId, calendarId, seriesId, operationsLimit]);
  return {
    calendarId, eventId: seriesId, versions,
    operations: ops.map((o) => ({
      id: o.id, passId: o.pass_id, bindingId: o.binding_id, remoteId: o.remote_id, side: o.side, operation: o.operation, rule: o.rule,
      reason: o.reason, status: o.status, error: o.error, decisions: o.decisions, at: o.started_at,
    })),
  };
}
