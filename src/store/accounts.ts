// Provider accounts. Credentials (OAuth tokens, CalDAV passwords, webhook secrets) and
// ICS feed addresses (often secret addresses: the path is the password) are sealed with
// the account id as context, so they only open on their own row.
import { randomUUID } from 'node:crypto';
import { feedLabel } from '../core/feed-label.ts';
import { CalsyncError } from '../errors.ts';
import { withTransaction, type Db, type Queryable } from './db.ts';
import { calendarNoticeChannel } from './outbox.ts';
import type { Secrets } from './secrets.ts';

export { feedLabel };

/** A provider's name (src/connectors/registry.ts lists them). */
export type Provider = string;

export interface Account {
  id: string;
  tenantId: string;
  provider: Provider;
  displayName: string;
  login: string;
  serverUrl: string | null;
  state: 'active' | 'revoked' | 'error';
  stateReason: string | null;
  createdAt: Date;
}

export interface AccountInput {
  provider: Provider;
  displayName?: string;
  login?: string;
  serverUrl?: string | null;
  credentials?: Record<string, unknown> | null;
}

interface AccountRow {
  id: string; tenant_id: string; provider: Provider; display_name: string; login: string; server_url: string | null;
  state: Account['state']; state_reason: string | null; created_at: Date;
}

const columns = 'id, tenant_id, provider, display_name, login, server_url, state, state_reason, created_at';
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toAccount(row: AccountRow): Account {
  return {
    id: row.id, tenantId: row.tenant_id, provider: row.provider, displayName: row.display_name, login: row.login,
    serverUrl: row.server_url, state: row.state, stateReason: row.state_reason, createdAt: row.created_at,
  };
}

export async function createAccount(db: Queryable, secrets: Secrets, tenantId: string, input: AccountInput): Promise<Account> {
  const id = randomUUID();
  const sealed = input.credentials ? secrets.seal(JSON.stringify(input.credentials), `account:${id}`) : null;
  const { rows: [row] } = await db.query<AccountRow>(
    `insert into accounts (id, tenant_id, provider, display_name, login, server_url, credentials)
     values ($1, $2, $3, $4, $5, $6, $7) returning ${columns}`,
    [id, tenantId, input.provider, input.displayName ?? '', input.login ?? '', input.serverUrl ?? null, sealed]);
  return toAccount(row!);
}

/**
 * Seals the addresses of feed accounts stored in clear (before addresses were sealed):
 * the account keeps the label, and so do its bindings of that address and a display
 * name that was the address. Each account in its own transaction; run again, it finds
 * nothing left. Returns how many were sealed.
 */
export async function sealFeedAddresses(db: Db, secrets: Secrets): Promise<number> {
  const { rows } = await db.query<{ id: string; tenant_id: string; server_url: string }>(
    `select id, tenant_id, server_url from accounts where provider = 'ics' and credentials is null and server_url is not null`);
  for (const row of rows) {
    const label = feedLabel(row.server_url);
    await withTransaction(db, async (client) => {
      await client.query(
        `update accounts set credentials = $3, server_url = $4, display_name = case when display_name = $5 then $4 else display_name end, updated_at = now()
          where tenant_id = $1 and id = $2 and credentials is null`,
        [row.tenant_id, row.id, secrets.seal(JSON.stringify({ url: row.server_url }), `account:${row.id}`), label, row.server_url]);
      await client.query('update bindings set remote_calendar_id = $4, updated_at = now() where tenant_id = $1 and account_id = $2 and remote_calendar_id = $3',
        [row.tenant_id, row.id, row.server_url, label]);
    });
  }
  return rows.length;
}

export async function getAccount(db: Queryable, tenantId: string, id: string): Promise<Account> {
  if (!uuidPattern.test(id)) throw new CalsyncError('NOT_FOUND', `account ${id} not found`, { accountId: id });
  const { rows: [row] } = await db.query<AccountRow>(`select ${columns} from accounts where tenant_id = $1 and id = $2`, [tenantId, id]);
  if (!row) throw new CalsyncError('NOT_FOUND', `account ${id} not found`, { accountId: id });
  return toAccount(row);
}

export async function listAccounts(db: Queryable, tenantId: string): Promise<Account[]> {
  const { rows } = await db.query<AccountRow>(`select ${columns} from accounts where tenant_id = $1 order by created_at, id`, [tenantId]);
  return rows.map(toAccount);
}

export async function readCredentials<T = Record<string, unknown>>(db: Queryable, secrets: Secrets, tenantId: string, id: string): Promise<T | null> {
  const { rows: [row] } = await db.query<{ credentials: Buffer | null }>('select credentials from accounts where tenant_id = $1 and id = $2', [tenantId, id]);
  if (!row) throw new CalsyncError('NOT_FOUND', `account ${id} not found`, { accountId: id });
  return row.credentials ? (JSON.parse(secrets.open(row.credentials, `account:${id}`).toString('utf8')) as T) : null;
}

export async function writeCredentials(db: Queryable, secrets: Secrets, tenantId: string, id: string, credentials: Record<string, unknown>): Promise<void> {
  const { rowCount } = await db.query('update accounts set credentials = $3, updated_at = now() where tenant_id = $1 and id = $2',
    [tenantId, id, secrets.seal(JSON.stringify(credentials), `account:${id}`)]);
  if (rowCount === 0) throw new CalsyncError('NOT_FOUND', `account ${id} not found`, { accountId: id });
}

/**
 * Credentials a connector renewed while it worked (a refreshed OAuth token, CalDAV
 * origins learnt): written unless the account was disconnected meanwhile, whose
 * credentials must stay dropped. Returns whether they were written.
 */
export async function storeRenewedCredentials(db: Queryable, secrets: Secrets, tenantId: string, id: string, credentials: Record<string, unknown>): Promise<boolean> {
  const { rowCount } = await db.query(`update accounts set credentials = $3, updated_at = now() where tenant_id = $1 and id = $2 and state <> 'disconnected'`,
    [tenantId, id, secrets.seal(JSON.stringify(credentials), `account:${id}`)]);
  return rowCount === 1;
}

const pausedByAccount = 'account ';

/**
 * Marks an account revoked or failing; its bindings pause with the same reason, and the
 * streams of their calendars are woken so apps learn of it (events-stream.ts sends a
 * `binding` event). Only this account's bindings pause: other accounts on the same
 * calendars go on.
 */
export async function setAccountState(db: Queryable, tenantId: string, id: string, state: Account['state'], reason: string | null): Promise<void> {
  await db.query('update accounts set state = $3, state_reason = $4, updated_at = now() where tenant_id = $1 and id = $2', [tenantId, id, state, reason]);
  if (state === 'active') return;
  const { rows } = await db.query<{ calendar_id: string }>(
    `update bindings set state = 'paused', paused_reason = $3, updated_at = now() where tenant_id = $1 and account_id = $2 and state = 'active'
     returning calendar_id`,
    [tenantId, id, `${pausedByAccount}${state}: ${reason ?? ''}`.trim()]);
  await notifyCalendars(db, tenantId, rows.map((r) => r.calendar_id));
}

/**
 * A reconnected account: new credentials, active again, and the bindings its state had
 * paused resumed (bindings paused for another reason stay paused). Returns those bindings.
 */
export async function reactivateAccount(db: Queryable, secrets: Secrets, tenantId: string, id: string, credentials: Record<string, unknown>): Promise<string[]> {
  await writeCredentials(db, secrets, tenantId, id, credentials);
  await db.query(`update accounts set state = 'active', state_reason = null, updated_at = now() where tenant_id = $1 and id = $2`, [tenantId, id]);
  const { rows } = await db.query<{ id: string; calendar_id: string }>(
    `update bindings set state = 'active', paused_reason = null, updated_at = now()
      where tenant_id = $1 and account_id = $2 and state = 'paused' and starts_with(paused_reason, $3) returning id, calendar_id`,
    [tenantId, id, pausedByAccount]);
  await notifyCalendars(db, tenantId, rows.map((r) => r.calendar_id));
  return rows.map((r) => r.id);
}

async function notifyCalendars(db: Queryable, tenantId: string, calendarIds: string[]): Promise<void> {
  for (const calendarId of new Set(calendarIds)) {
    await db.query(`select pg_notify($1, json_build_object('tenantId', $2::uuid, 'calendarId', $3::uuid)::text)`, [calendarNoticeChannel, tenantId, calendarId]);
  }
}

export interface AccountAttention {
  id: string;
  tenantId: string;
  provider: Provider;
  login: string;
  state: Account['state'];
  reason: string | null;
  since: Date;
  pausedBindings: number;
}

/** Accounts that are not active, across tenants, for `calsync status` (an operator's view). */
export async function accountsNeedingAttention(db: Queryable): Promise<AccountAttention[]> {
  const { rows } = await db.query<{ id: string; tenant_id: string; provider: Provider; login: string; state: Account['state']; state_reason: string | null; updated_at: Date; paused: string }>(
    `select a.id, a.tenant_id, a.provider, a.login, a.state, a.state_reason, a.updated_at,
            (select count(*) from bindings b where b.tenant_id = a.tenant_id and b.account_id = a.id and b.state = 'paused') as paused
       from accounts a where a.state <> 'active' order by a.updated_at desc, a.id`);
  return rows.map((r) => ({
    id: r.id, tenantId: r.tenant_id, provider: r.provider, login: r.login, state: r.state, reason: r.state_reason, since: r.updated_at, pausedBindings: Number(r.paused),
  }));
}
