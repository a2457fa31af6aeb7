// The sandbox's tenant (src/main/sandbox/): what tells it apart from a real setup, and
// its removal. A tenant is the sandbox's only when it has the sandbox's name and every
// account in it is an emulated one, whose logins are in the reserved `.invalid` domain
// (RFC 2606) no provider can hand out; a tenant that fails either test is never removed.
import type { Queryable } from './db.ts';

export const sandboxTenantName = 'sandbox';
/** Domain of the emulated people's logins. */
export const sandboxLoginDomain = 'sandbox.invalid';

const sandboxTenants = `
  select t.id from tenants t
   where t.name = '${sandboxTenantName}'
     and not exists (select 1 from accounts a where a.tenant_id = t.id and a.login not like '%@${sandboxLoginDomain}')`;

export interface RealSetup {
  /** Accounts outside the sandbox's tenants. */
  accounts: number;
  /** Calendars outside the sandbox's tenants (an app's own, without accounts). */
  calendars: number;
}

/** What has been set up outside the sandbox: nothing, on a fresh install. */
export async function realSetup(db: Queryable): Promise<RealSetup> {
  const { rows: [row] } = await db.query<{ accounts: string; calendars: string }>(
    `with sandbox as (${sandboxTenants})
     select (select count(*) from accounts where tenant_id not in (select id from sandbox)) as accounts,
            (select count(*) from calendars where tenant_id not in (select id from sandbox)) as calendars`);
  return { accounts: Number(row!.accounts), calendars: Number(row!.calendars) };
}

/** Removes the sandbox's tenants with everything in them (the foreign keys cascade); returns how many. */
export async function removeSandboxTenants(db: Queryable): Promise<number> {
  const { rowCount } = await db.query(`delete from tenants where id in (${sandboxTenants})`);
  return rowCount ?? 0;
}

/** Ids of the sandbox's tenants, which a command's default tenant and the first start's "local" tenant leave aside. */
export async function sandboxTenantIds(db: Queryable): Promise<Set<string>> {
  const { rows } = await db.query<{ id: string }>(sandboxTenants);
  return new Set(rows.map((r) => r.id));
}
