// Passes the brakes stopped (bindings.stopped, src/core/safety.ts) and what they would
// have deleted, for a person to confirm or dismiss:
//   confirm: a pass is queued with the confirmation, and mirrors the deletions;
//   dismiss: the deletions are not mirrored, and the side that lost the items gets them
//            back. Items the remote deleted lose their sync statuses, so the next pass
//            finds calendar events without a status and creates them on the remote again;
//            events the calendar deleted are restored from their tombstones (a calendar
//            write by `operator`, which every binding of the calendar is told of).
// The deletions a stopped pass held are its sync_operations rows `delete`/`skipped` with
// a reason starting `held: `. A wipe stopped before anything was planned holds none: it
// would have deleted every item both sides agreed on, on the other side.
import { CalsyncError } from '../errors.ts';
import { isUuid, lockBinding, replanEvents, type LockedBinding, type StopRecord } from './binding-locks.ts';
import type { BindingRef } from './bindings.ts';
import { withTransaction, type Db, type Queryable } from './db.ts';
import { writeSeriesBatch } from './event-writes.ts';
import { getTombstones } from './events.ts';
import { recordOperatorAction, type Operator } from './operator-actions.ts';
import { calendarChanged, queuePass, type PassConfirmation } from './outbox.ts';

export interface StoppedPass extends StopRecord {
  bindingId: string;
  calendarId: string;
  /** Deletions the pass would have made (held, or for an early wipe every agreed item). */
  deletions: number;
}

/** One deletion a stopped pass would have made: on `side`, of the event and/or remote item. */
export interface HeldDeletion {
  side: 'calendar' | 'remote';
  eventId: string | null;
  remoteId: string | null;
  summary: string | null;
  rule: string;
}

/** The side a wipe of `side` would delete on: the other one. */
function deletedSide(stop: StopRecord): 'calendar' | 'remote' {
  return stop.side === 'calendar' ? 'remote' : 'calendar';
}

const heldWhere = `o.tenant_id = $1 and o.binding_id = $2 and o.pass_id = $3::uuid and o.operation = 'delete' and o.status = 'skipped' and starts_with(o.reason, 'held: ')`;

async function countDeletions(db: Queryable, tenantId: string, bindingId: string, stop: StopRecord): Promise<number> {
  const { rows: [held] } = await db.query<{ n: string }>(`select count(*) as n from sync_operations o where ${heldWhere}`, [tenantId, bindingId, stop.passId]);
  if (Number(held!.n) > 0 || stop.kind !== 'wipe') return Number(held!.n);
  const { rows: [agreed] } = await db.query<{ n: string }>('select count(*) as n from sync_status where tenant_id = $1 and binding_id = $2 and not pending', [tenantId, bindingId]);
  return Number(agreed!.n);
}

/** Bindings of a tenant (or, without one, of every tenant: `calsync status`) whose last pass the brakes stopped. */
export async function listStoppedPasses(db: Queryable, tenantId: string | null, options: { bindingId?: string } = {}): Promise<Array<StoppedPass & { tenantId: string }>> {
  if (options.bindingId !== undefined && !isUuid(options.bindingId)) return [];
  const { rows } = await db.query<{ id: string; tenant_id: string; calendar_id: string; stopped: StopRecord }>(
    `select id, tenant_id, calendar_id, stopped from bindings
      where stopped is not null and ($1::uuid is null or tenant_id = $1) and ($2::uuid is null or id = $2)
      order by stopped ->> 'at', id`, [tenantId, options.bindingId ?? null]);
  const stopped = [];
  for (const r of rows) {
    stopped.push({ ...r.stopped, tenantId: r.tenant_id, bindingId: r.id, calendarId: r.calendar_id, deletions: await countDeletions(db, r.tenant_id, r.id, r.stopped) });
  }
  return stopped;
}

/** The binding's stopped pass; PASS_NOT_STOPPED when it has none. */
export async function getStoppedPass(db: Queryable, ref: BindingRef): Promise<StoppedPass> {
  if (!isUuid(ref.bindingId)) throw new CalsyncError('NOT_FOUND', `binding ${ref.bindingId} not found`, { bindingId: ref.bindingId });
  const { rows: [row] } = await db.query<{ id: string; calendar_id: string; stopped: StopRecord | null }>(
    'select id, calendar_id, stopped from bindings where tenant_id = $1 and id = $2', [ref.tenantId, ref.bindingId]);
  if (!row) throw new CalsyncError('NOT_FOUND', `binding ${ref.bindingId} not found`, { bindingId: ref.bindingId });
  if (!row.stopped) throw new CalsyncError('PASS_NOT_STOPPED', `binding ${row.id} has no stopped pass`, { bindingId: row.id });
  return { ...row.stopped, bindingId: row.id, calendarId: row.calendar_id, deletions: await countDeletions(db, ref.tenantId, row.id, row.stopped) };
}

interface DeletionRow { key: string; side: 'calendar' | 'remote'; event_id: string | null; remote_id: string | null; rule: string; summary: string | null }

const summaryOf = (eventColumn: string) => `(select ev.summary from events ev
    where ev.tenant_id = $1 and ev.calendar_id = $4 and ev.series_id = ${eventColumn}
    order by ev.kind = 'override', ev.deleted_at desc nulls first limit 1)`;

/**
 * What the stopped pass would delete, `limit` at a time after `after` (the previous
 * page's `next`): its held deletions in the order it planned them (keys `h:<row id>`),
 * or, for a wipe that stopped before planning, every item both sides agreed on, on the
 * other side (keys `s:<remote id>`). A key of the other source is INVALID_REQUEST.
 */
export async function listDeletions(db: Queryable, stop: StoppedPass & { tenantId: string }, options: { after?: string | null; limit: number }): Promise<{ items: HeldDeletion[]; next: string | null }> {
  const held = await hasHeld(db, stop);
  const agreed = !held && stop.kind === 'wipe';
  const after = options.after ?? null;
  if (after !== null && !(held ? /^h:\d{1,18}$/ : /^s:/).test(after)) {
    throw new CalsyncError('INVALID_REQUEST', 'pageToken is not one this stopped pass gave out', { parameter: 'pageToken' });
  }
  const params = [stop.tenantId, stop.bindingId, stop.passId, stop.calendarId, after?.slice(2) ?? null, options.limit + 1];
  const { rows } = agreed
    ? await db.query<DeletionRow>(
      `select 's:' || s.remote_id as key, $7::text as side, s.event_id, s.remote_id, $8::text as rule, ${summaryOf('s.event_id')} as summary
         from sync_status s where s.tenant_id = $1 and s.binding_id = $2 and not s.pending and $3::uuid is not null
          and ($5::text is null or s.remote_id > $5) order by s.remote_id limit $6`,
      [...params, deletedSide(stop), `wipe:${stop.side}`])
    : await db.query<DeletionRow>(
      `select 'h:' || o.id as key, o.side, o.event_id, o.remote_id, o.rule, ${summaryOf('o.event_id')} as summary
         from sync_operations o where ${heldWhere} and ($5::bigint is null or o.id > $5::bigint) order by o.id limit $6`, params);
  const page = rows.slice(0, options.limit);
  return {
    items: page.map((r) => ({ side: r.side, eventId: r.event_id, remoteId: r.remote_id, summary: r.summary, rule: r.rule })),
    next: rows.length > options.limit ? page.at(-1)!.key : null,
  };
}

async function hasHeld(db: Queryable, stop: StoppedPass & { tenantId: string }): Promise<boolean> {
  const { rows } = await db.query(`select 1 from sync_operations o where ${heldWhere} limit 1`, [stop.tenantId, stop.bindingId, stop.passId]);
  return rows.length > 0;
}

/** Locks the binding and checks it has the stopped pass the operator looked at. */
async function lockStopped(tx: Queryable, ref: BindingRef, passId: string | undefined, idle: boolean): Promise<LockedBinding & { stopped: StopRecord }> {
  const binding = await lockBinding(tx, ref, { idle });
  if (!binding.stopped) throw new CalsyncError('PASS_NOT_STOPPED', `binding ${binding.id} has no stopped pass`, { bindingId: binding.id });
  if (passId !== undefined && passId !== binding.stopped.passId) {
    throw new CalsyncError('PASS_NOT_STOPPED', `pass ${passId} is no longer the stopped pass of binding ${binding.id} (${binding.stopped.passId} is)`, { bindingId: binding.id, passId });
  }
  return binding as LockedBinding & { stopped: StopRecord };
}

/** Queues a pass that may mirror what the brakes stopped: a wipe (and the deletions it is made of), or deletions beyond the budget. */
export async function confirmStoppedPass(db: Db, ref: BindingRef, passId: string | undefined, who: Operator): Promise<{ bindingId: string; passId: string; confirmation: PassConfirmation }> {
  return withTransaction(db, async (tx) => {
    const binding = await lockStopped(tx, ref, passId, false);
    if (binding.state !== 'active') {
      throw new CalsyncError('BINDING_PAUSED', `binding ${binding.id} is ${binding.state}${binding.pausedReason ? ` (${binding.pausedReason})` : ''}: its confirmed pass would not run`, { bindingId: binding.id });
    }
    const confirmation: PassConfirmation = binding.stopped.kind === 'wipe' ? { confirmWipe: true } : { confirmDeletions: true };
    await queuePass(tx, binding.tenantId, binding.id, 'manual', confirmation);
    await recordOperatorAction(tx, {
      tenantId: binding.tenantId, bindingId: binding.id, action: 'stopped-pass.confirm', actor: who.actor,
      targets: { passId: binding.stopped.passId }, detail: { stop: binding.stopped, confirmation, note: who.note ?? null },
    });
    return { bindingId: binding.id, passId: binding.stopped.passId, confirmation };
  });
}

export interface Dismissal {
  bindingId: string;
  passId: string;
  /** Events the remote had deleted: their statuses dropped, to be created on the remote again. */
  recreated: string[];
  /** Events the calendar had deleted: restored from their tombstones. */
  restored: string[];
}

/**
 * Dismisses the stopped pass (see the top of this file) in one transaction with the
 * binding locked idle, clears the stop and queues a pass. Deletions of remote items
 * that belong to no event (a duplicate copy) are left to the next pass, which plans
 * them again.
 */
export async function dismissStoppedPass(db: Db, ref: BindingRef, passId: string | undefined, who: Operator & { debounceMs: number }): Promise<Dismissal> {
  return withTransaction(db, async (tx) => {
    const binding = await lockStopped(tx, ref, passId, true);
    const stop: StoppedPass & { tenantId: string } = { ...binding.stopped, tenantId: binding.tenantId, bindingId: binding.id, calendarId: binding.calendarId, deletions: 0 };
    const deletions: HeldDeletion[] = [];
    for (let after: string | null = null; ;) {
      const page = await listDeletions(tx, stop, { after, limit: 5000 });
      deletions.push(...page.items);
      if (page.next === null) break;
      after = page.next;
    }
    const lostRemotely = deletions.filter((d) => d.side === 'calendar' && d.eventId !== null);
    const { rows: dropped } = await tx.query<{ event_id: string }>(
      `delete from sync_status s using unnest($3::uuid[], $4::text[]) as d(event_id, remote_id)
        where s.tenant_id = $1 and s.binding_id = $2 and s.event_id = d.event_id and s.remote_id = d.remote_id returning s.event_id`,
      [binding.tenantId, binding.id, lostRemotely.map((d) => d.eventId), lostRemotely.map((d) => d.remoteId)]);
    const recreated = dropped.map((r) => r.event_id);
    await replanEvents(tx, binding, recreated);

    const lostInCalendar = [...new Set(deletions.filter((d) => d.side === 'remote' && d.eventId !== null).map((d) => d.eventId!))];
    const tombstones = (await getTombstones(tx, binding.tenantId, binding.calendarId, lostInCalendar)).filter((t) => t.lastSeries !== null);
    const written = await writeSeriesBatch(tx, { tenantId: binding.tenantId, calendarId: binding.calendarId, actor: 'operator' },
      tombstones.map((t) => ({ eventId: t.eventId, series: t.lastSeries! })));
    const restored = written.filter((w) => w.changed > 0).map((w) => w.eventId);
    if (restored.length > 0) await calendarChanged(tx, binding.tenantId, binding.calendarId, who.debounceMs);

    await tx.query('update bindings set stopped = null, updated_at = now() where tenant_id = $1 and id = $2', [binding.tenantId, binding.id]);
    await queuePass(tx, binding.tenantId, binding.id, 'manual');
    // The restored versions' history rows share this transaction's time: the event
    // history finds this row by it, with the events it names.
    await recordOperatorAction(tx, {
      tenantId: binding.tenantId, bindingId: binding.id, action: 'stopped-pass.dismiss', actor: who.actor,
      targets: { passId: binding.stopped.passId, eventIds: [...recreated, ...restored] },
      detail: { stop: binding.stopped, recreated, restored, note: who.note ?? null },
    });
    return { bindingId: binding.id, passId: binding.stopped.passId, recreated, restored };
  });
}
