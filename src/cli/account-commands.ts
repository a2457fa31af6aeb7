// Connected provider accounts and the remote calendars each can bind. Feed accounts show
// their address only as its origin: the address itself is sealed.
import type { Command } from 'commander';
import { accountCalendars } from '../engine/remote-calendars.ts';
import { getAccount, listAccounts } from '../store/accounts.ts';
import { runtimeRunner, type CliDeps } from './deps.ts';
import { json, table, type Output } from './output.ts';
import { tenantOf, type TenantOption } from './sync-commands.ts';

export function registerAccountCommands(program: Command, deps: CliDeps, output: Output): void {
  const withRuntime = runtimeRunner(deps);
  const account = program.command('account').description('List connected provider accounts and their calendars; disconnect one.');

  account.command('list').description('List the accounts (a feed\'s address shown as its origin only).')
    .option('--tenant <id>', 'tenant id (default: the only tenant)').option('--json', 'print as JSON')
    .action((options: TenantOption) => withRuntime(async (runtime) => {
      const accounts = await listAccounts(runtime.db, await tenantOf(runtime, options.tenant));
      output.out(options.json ? json(accounts) : table(accounts.map((a) => ({ ...a })), ['id', 'provider', 'displayName', 'login', 'serverUrl', 'state', 'stateReason']));
    }));

  account.command('calendars <accountId>').description('List the remote calendars of an account, as `calsync bind --remote` takes them (asks the provider).')
    .option('--tenant <id>', 'tenant id (default: the only tenant)').option('--json', 'print as JSON')
    .action((accountId: string, options: TenantOption) => withRuntime(async (runtime) => {
      const config = deps.loadConfig();
      const found = await getAccount(runtime.db, await tenantOf(runtime, options.tenant), accountId);
      const calendars = await accountCalendars(runtime.db, await deps.loadSecrets(runtime, config), deps.providers(config), found);
      output.out(options.json ? json(calendars) : table(calendars.map((c) => ({ ...c })), ['remoteCalendarId', 'displayName', 'writable']));
    }));
}
