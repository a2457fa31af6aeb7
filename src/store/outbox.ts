// Jobs caused by a canonical change, added in the same transaction as the change
// (transactional outbox): a committed change always has its follow-up passes queued,
// and a rolled-back one never does. Job keys collapse bursts into one pass per binding.
import type { Queryable } from './db.ts';

export const syncBindingTask = 'sync_binding';

export function passJobKey(bindingId: string): string {
  return `pass:${bindingId}`;
}

/**
 * Queues a pass of every active binding of the calendar except `exceptBindingId`, to
 * run after `delayMs` (the debounce window; a later change pushes it back).
 */
export async function queuePassesForCalendar(db: Queryable, tenantId: string, calendarId: string, exceptBindingId: string | null, delayMs: number): Promise<number> {
  const { rows } = await db.query<{ id: string }>(
    `select graphile_worker.add_job($3, json_build_object('tenantId', b.tenant_id, 'bindingId', b.id, 'trigger', 'change'),
              run_at := now() + make_interval(secs => $5::double precision / 1000), job_key := 'pass:' || b.id, job_key_mode := 'replace') as id
       from bindings b
      where b.tenant_id = $1 and b.calendar_id = $2 and b.state = 'active' and b.direction <> 'import'
        and ($4::uuid is null or b.id <> $4::uuid)`,
    [tenantId, calendarId, syncBindingTask, exceptBindingId, delayMs]);
  return rows.length;
}

/** What an operator confirmed for one pass: mirroring a wipe, deletions beyond the budget. */
export interface PassConfirmation {
  confirmWipe?: boolean;
  confirmDeletions?: boolean;
}

/**
 * Queues a pass of one binding now (replacing a later pending one). A confirmed pass
 * gets a job of its own, outside the binding's `pass:` key: any pass asked for before it
 * starts (a calendar change, a notification, the next poll) would replace a keyed job's
 * payload and drop the confirmation.
 */
export async function queuePass(db: Queryable, tenantId: string, bindingId: string, trigger: 'manual' | 'push' | 'resync', confirm: PassConfirmation = {}): Promise<void> {
  const confirmed = confirm.confirmWipe === true || confirm.confirmDeletions === true;
  await db.query(
    `select graphile_worker.add_job($1, (jsonb_build_object('tenantId', $2::uuid, 'bindingId', $3::uuid, 'trigger', $4::text)
                || case when $5 then jsonb_build_object('confirmWipe', $6::boolean, 'confirmDeletions', $7::boolean) else '{}'::jsonb end)::json,
              job_key := case when $5 then null else 'pass:' || $3 end, job_key_mode := 'replace')`,
    [syncBindingTask, tenantId, bindingId, trigger, confirmed, confirm.confirmWipe === true, confirm.confirmDeletions === true]);
}

export const deliverWatchTask = 'deliver_watch';

export const refreshBusyMirrorTask = 'refresh_busy_mirror';

/**
 * Queues a refresh of every busy mirror rule whose source is the calendar, after
 * `delayMs`: one job per rule (job key `mirror:<rule>`), so a burst of changes is one
 * refresh. A waiting refresh keeps its time, so a steady stream of changes cannot put it
 * off for ever; one already running gets a successor, which reads the newer state.
 */
export async function queueMirrorRefreshes(db: Queryable, tenantId: string, sourceCalendarId: string, delayMs: number): Promise<void> {
  await db.query(
    `select graphile_worker.add_job($3, json_build_object('tenantId', m.tenant_id, 'mirrorId', m.id),
              run_at := now() + make_interval(secs => $4::double precision / 1000), job_key := 'mirror:' || m.id, job_key_mode := 'preserve_run_at')
       from busy_mirrors m where m.tenant_id = $1 and m.source_calendar_id = $2`,
    [tenantId, sourceCalendarId, refreshBusyMirrorTask, delayMs]);
}

/** Queues a refresh of one rule now (a new rule makes its blocks at once). */
export async function queueMirrorRefresh(db: Queryable, tenantId: string, mirrorId: string): Promise<void> {
  await db.query(
    `select graphile_worker.add_job($3, json_build_object('tenantId', $1::uuid, 'mirrorId', $2::uuid), job_key := 'mirror:' || $2, job_key_mode := 'replace')`,
    [tenantId, mirrorId, refreshBusyMirrorTask]);
}

/**
 * Everything a committed change of a calendar causes, queued in the changing transaction:
 * a pass of every other binding (debounced), a refresh of the busy mirrors it is the
 * source of (debounced), a delivery to the calendar's live watch channels (one job per
 * calendar: a burst of changes is one round of notifications), and a NOTIFY that wakes
 * the server-sent event streams of this calendar.
 */
export async function calendarChanged(db: Queryable, tenantId: string, calendarId: string, debounceMs: number, exceptBindingId: string | null = null): Promise<void> {
  await queuePassesForCalendar(db, tenantId, calendarId, exceptBindingId, debounceMs);
  await queueMirrorRefreshes(db, tenantId, calendarId, debounceMs);
  await queueWatchDelivery(db, tenantId, calendarId);
  await db.query(`select pg_notify('${calendarNoticeChannel}', json_build_object('tenantId', $1::uuid, 'calendarId', $2::uuid)::text)`, [tenantId, calendarId]);
}

/** The LISTEN/NOTIFY channel that carries `{tenantId, calendarId}` after every committed change. */
export const calendarNoticeChannel = 'calsync_calendar';

/**
 * Queues a delivery round to the calendar's live watch channels, when it has any. A
 * round already waiting keeps its time; one that is running gets a successor, which
 * reads the newer version (graphile-worker gives a locked job's key to the new job).
 * 25 attempts with graphile-worker's backoff (exp(attempts) seconds, at most ~6 h
 * apart) keep retrying a receiver that is down for about four days.
 */
export async function queueWatchDelivery(db: Queryable, tenantId: string, calendarId: string): Promise<void> {
  await db.query(
    `select graphile_worker.add_job($3, json_build_object('tenantId', $1::uuid, 'calendarId', $2::uuid),
              job_key := 'watch:' || $2, job_key_mode := 'preserve_run_at', max_attempts := 25)
      where exists (select 1 from watch_channels
                     where tenant_id = $1 and calendar_id = $2 and stopped_at is null and expires_at > now())`,
    [tenantId, calendarId, deliverWatchTask]);
}

export const deliverBookingWatchTask = 'deliver_booking_watch';

/**
 * Queues a delivery round to the tenant's live booking channels, when it has any. Every
 * change of a booking queues one from the trigger of migration 000019, which names this
 * task and job key too; a new channel queues its first (the `sync` message) here.
 */
export async function queueBookingWatchDelivery(db: Queryable, tenantId: string): Promise<void> {
  await db.query(
    `select graphile_worker.add_job($2, json_build_object('tenantId', $1::uuid),
              job_key := 'booking-watch:' || $1, job_key_mode := 'preserve_run_at', max_attempts := 25)
      where exists (select 1 from booking_channels where tenant_id = $1 and stopped_at is null and expires_at > now())`,
    [tenantId, deliverBookingWatchTask]);
}

export const expireHoldsTask = 'expire_holds';

/**
 * Marks the hold expired when its time is up, so the app hears of it then (a change of
 * the row), not only at the next booking decision of its resource. One job per booking.
 */
export async function queueHoldExpiry(db: Queryable, tenantId: string, resourceId: string, bookingId: string, heldUntil: Date): Promise<void> {
  await db.query(
    `select graphile_worker.add_job($1, json_build_object('tenantId', $2::uuid, 'resourceId', $3::uuid), run_at := $5::timestamptz,
              job_key := 'expire-hold:' || $4, job_key_mode := 'replace', max_attempts := 25)`,
    [expireHoldsTask, tenantId, resourceId, bookingId, heldUntil]);
}

/**
 * Passes asked for soon, several bindings in one statement, each to run `delayMs` from
 * now, or sooner if one already is due sooner: passes asked for by push notifications,
 * and a pass that found another pass of its binding running. A pass already waiting to
 * run by then is left as it is (it starts after the change it is asked for, so it reads
 * it): `replace` would push it back on every notification, for as long as they come, and
 * `preserve_run_at` would leave a binding's next poll (minutes away, under the same key)
 * where it is. A running pass is not waiting: graphile-worker gives its key to the new
 * job, which runs after it.
 */
export async function queuePassesSoon(db: Queryable, passes: Array<{ tenantId: string; bindingId: string }>, delayMs: number, trigger: 'push' | 'change' = 'push'): Promise<void> {
  if (passes.length === 0) return;
  await db.query(
    `select graphile_worker.add_job($2, json_build_object('tenantId', p.tenant_id, 'bindingId', p.binding_id, 'trigger', $4::text),
              run_at := now() + make_interval(secs => $3::double precision / 1000), job_key := 'pass:' || p.binding_id, job_key_mode := 'replace')
       from jsonb_to_recordset($1::jsonb) as p(tenant_id uuid, binding_id uuid)
      where not exists (select 1 from graphile_worker.jobs j
                         where j.key = 'pass:' || p.binding_id and j.locked_at is null and j.run_at <= now() + make_interval(secs => $3::double precision / 1000))`,
    [JSON.stringify(passes.map((p) => ({ tenant_id: p.tenantId, binding_id: p.bindingId }))), syncBindingTask, delayMs, trigger]);
}

export const stopPushChannelTask = 'stop_push_channel';

/** Stops, with the binding's account, a channel of it calsync no longer uses (once per channel id). */
export async function queueChannelStop(db: Queryable, binding: { tenantId: string; bindingId: string }, channel: { id: string; resourceId: string }): Promise<void> {
  await db.query(
    `select graphile_worker.add_job($1, json_build_object('tenantId', $2::uuid, 'bindingId', $3::uuid, 'channelId', $4::text, 'resourceId', $5::text),
              job_key := 'stop-channel:' || $4, job_key_mode := 'preserve_run_at', max_attempts := 5)`,
    [stopPushChannelTask, binding.tenantId, binding.bindingId, channel.id, channel.resourceId]);
}

/**
 * Queues a pass, now, of every active binding no pass will otherwise reach: one whose
 * next poll is due or whose last pass died holding the lease (its lease lapsed), and for
 * which no job is waiting to run. A job a killed worker held stays locked for hours in
 * graphile-worker; `replace` then makes a new job beside it. Across tenants, as the
 * queue is: only the sweep job calls it. Returns the bindings queued.
 */
export async function queueForgottenPasses(db: Queryable, leaseSeconds: number): Promise<Array<{ tenantId: string; bindingId: string }>> {
  // A job locked less than a lease ago may be a live worker's pass that has not taken
  // the lease yet; one locked longer ago whose pass holds no live lease is a dead one's.
  const { rows } = await db.query<{ tenant_id: string; id: string }>(
    `with forgotten as (
       select b.tenant_id, b.id from bindings b
        where b.state = 'active'
          and (b.next_poll_at <= now() or (b.lease_owner is not null and b.lease_expires_at < now()))
          and not (b.lease_owner is not null and b.lease_expires_at >= now())
          and not exists (select 1 from graphile_worker.jobs j
                           where j.key = 'pass:' || b.id and (j.locked_at is null or j.locked_at > now() - make_interval(secs => $2)))
        order by b.next_poll_at nulls first limit 1000)
     select f.tenant_id, f.id, graphile_worker.add_job($1, json_build_object('tenantId', f.tenant_id, 'bindingId', f.id, 'trigger', 'poll'),
              job_key := 'pass:' || f.id, job_key_mode := 'replace')
       from forgotten f`, [syncBindingTask, leaseSeconds]);
  return rows.map((r) => ({ tenantId: r.tenant_id, bindingId: r.id }));
}
