// Disconnecting an account: it is marked `disconnected`, its active bindings pause with
// `account disconnected: <reason>` (connecting the account again resumes them, as after
// a revoked grant), their push channels are stopped and its sealed credentials dropped.
// Stopping a Google channel is a request made with the account's credentials, so an
// account with live channels keeps them until src/jobs/disconnect-account.ts has
// stopped the channels; one without drops them in the disconnecting transaction.
import { CalsyncError } from '../errors.ts';
import { isUuid } from './binding-locks.ts';
import { withTransaction, type Db, type Queryable } from './db.ts';
import { recordOperatorAction, type Operator } from './operator-actions.ts';
import { calendarNoticeChannel } from './outbox.ts';

export const disconnectTask = 'disconnect_account';

export interface DisconnectPayload {
  tenantId: string;
  accountId: string;
}

export interface Disconnection {
  accountId: string;
  pausedBindings: string[];
  /** Bindings whose live push channels are still to be stopped. */
  channelsToStop: number;
  credentialsDropped: boolean;
  /** It already was disconnected: nothing changed. */
  already: boolean;
}

/** The channels of an account's bindings still to stop. */
export async function accountChannels(db: Queryable, payload: DisconnectPayload): Promise<Array<{ bindingId: string; id: string; resourceId: string }>> {
  const { rows } = await db.query<{ id: string; channel_id: string; resource_id: string }>(
    `select id, push_subscription ->> 'id' as channel_id, push_subscription ->> 'resourceId' as resource_id from bindings
      where tenant_id = $1 and account_id = $2 and push_subscription ->> 'id' is not null and push_subscription ->> 'resourceId' is not null order by id`,
    [payload.tenantId, payload.accountId]);
  return rows.map((r) => ({ bindingId: r.id, id: r.channel_id, resourceId: r.resource_id }));
}

/** Disconnects the account (see the top of this file); `who.note` is the reason. Asking again queues what is left. */
export async function disconnectAccount(db: Db, tenantId: string, accountId: string, who: Operator): Promise<Disconnection> {
  if (!isUuid(accountId)) throw new CalsyncError('NOT_FOUND', `account ${accountId} not found`, { accountId });
  return withTransaction(db, (tx) => disconnect(tx, tenantId, accountId, who.note ?? null, who.actor));
}

async function disconnect(tx: Queryable, tenantId: string, accountId: string, reason: string | null, actor: string): Promise<Disconnection> {
  const { rows: [account] } = await tx.query<{ id: string; state: string; has_credentials: boolean }>(
    'select id, state, credentials is not null as has_credentials from accounts where tenant_id = $1 and id = $2 for update', [tenantId, accountId]);
  if (!account) throw new CalsyncError('NOT_FOUND', `account ${accountId} not found`, { accountId });
  const channels = await accountChannels(tx, { tenantId, accountId });
  if (account.state === 'disconnected') {
    // Asked again: what is left (a stop that used up its attempts) is queued again.
    if (channels.length > 0) await queueDisconnect(tx, { tenantId, accountId });
    else if (account.has_credentials) await dropCredentials(tx, { tenantId, accountId });
    return { accountId, pausedBindings: [], channelsToStop: channels.length, credentialsDropped: channels.length === 0, already: true };
  }
  const stateReason = reason ? `disconnected by an operator: ${reason}` : 'disconnected by an operator';
  await tx.query(`update accounts set state = 'disconnected', state_reason = $3, updated_at = now() where tenant_id = $1 and id = $2`, [tenantId, accountId, stateReason]);
  const { rows: paused } = await tx.query<{ id: string; calendar_id: string }>(
    `update bindings set state = 'paused', paused_reason = $3, updated_at = now()
      where tenant_id = $1 and account_id = $2 and state = 'active' and unbind_remote_copies is null returning id, calendar_id`,
    [tenantId, accountId, `account ${stateReason}`]);
  for (const calendarId of new Set(paused.map((b) => b.calendar_id))) {
    await tx.query(`select pg_notify($1, json_build_object('tenantId', $2::uuid, 'calendarId', $3::uuid)::text)`, [calendarNoticeChannel, tenantId, calendarId]);
  }
  if (channels.length === 0) await dropCredentials(tx, { tenantId, accountId });
  else await queueDisconnect(tx, { tenantId, accountId });
  await recordOperatorAction(tx, {
    tenantId, accountId, action: 'account.disconnect', actor,
    targets: { bindingIds: paused.map((b) => b.id) }, detail: { before: { state: account.state }, reason, channelsToStop: channels.length },
  });
  return { accountId, pausedBindings: paused.map((b) => b.id), channelsToStop: channels.length, credentialsDropped: channels.length === 0, already: false };
}

/** Forgets the channel of a binding once it was stopped (or given up on: it expires by itself). */
export async function forgetPushChannel(db: Queryable, tenantId: string, bindingId: string, channelId: string): Promise<void> {
  await db.query(
    `update bindings set push_subscription = null, push_expires_at = null, updated_at = now()
      where tenant_id = $1 and id = $2 and push_subscription ->> 'id' = $3`, [tenantId, bindingId, channelId]);
}

/** Drops the sealed credentials of a disconnected account (and of no other). */
export async function dropCredentials(db: Queryable, payload: DisconnectPayload): Promise<void> {
  await db.query(`update accounts set credentials = null, updated_at = now() where tenant_id = $1 and id = $2 and state = 'disconnected'`,
    [payload.tenantId, payload.accountId]);
}

async function queueDisconnect(tx: Queryable, payload: DisconnectPayload): Promise<void> {
  await tx.query(
    `select graphile_worker.add_job($1, json_build_object('tenantId', $2::uuid, 'accountId', $3::uuid),
              job_key := 'disconnect:' || $3, job_key_mode := 'preserve_run_at', max_attempts := 5)`,
    [disconnectTask, payload.tenantId, payload.accountId]);
}
