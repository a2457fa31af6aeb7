// Connecting providers, binding remote calendars to calendars, and running passes.
import type { Command } from 'commander';
import { CalsyncError } from '../errors.ts';
import { syncBinding, type PassResult } from '../engine/sync-pass.ts';
import { bindableRemoteCalendar } from '../engine/remote-calendars.ts';
import type { CredentialsConnect, ProviderSet, RemoteCalendar } from '../connectors/provider.ts';
import { createAccount, getAccount } from '../store/accounts.ts';
import { bindingsOfCalendarById, createBinding, findBinding, type Binding, type Direction } from '../store/bindings.ts';
import { createCalendar, getCalendar, listCalendars } from '../store/calendars.ts';
import { queuePass } from '../store/outbox.ts';
import { queuePushChannel } from '../store/push-channels.ts';
import { sandboxTenantIds } from '../store/sandbox-tenants.ts';
import { listTenants } from '../store/tenants.ts';
import { registerOAuthConnectCommands } from './connect-oauth.ts';
import { runtimeRunner, type CliDeps, type CommandRuntime } from './deps.ts';
import { passesUntilQuiet } from './until-quiet.ts';
import { calendarVersion } from '../store/events.ts';
import { json, policyOption, positiveInteger, table, type Output } from './output.ts';

export interface TenantOption { tenant?: string; json?: boolean }

/** The tenant to act for: --tenant, or the only one (the embedded "local" tenant); the sandbox's is never the default. */
export async function tenantOf(runtime: CommandRuntime, option: string | undefined): Promise<string> {
  if (option) return option;
  const sandbox = await sandboxTenantIds(runtime.db);
  const tenants = (await listTenants(runtime.db)).filter((t) => !sandbox.has(t.id));
  if (tenants.length === 1) return tenants[0]!.id;
  throw new CalsyncError('USAGE', tenants.length === 0 ? 'there is no tenant yet: create one with `calsync tenant create NAME`' : 'there are several tenants: pass --tenant ID');
}

const directions: Direction[] = ['two_way', 'import', 'export'];

/** Connects an account of a provider that takes credentials or an address (CalDAV, ICS): probed, not yet stored. */
async function connectWith(providers: ProviderSet, name: string, fields: Record<string, string>) {
  const provider = await providers.get(name);
  return (provider.connect as CredentialsConnect).connect(providers.context, fields);
}

export function registerSyncCommands(program: Command, deps: CliDeps, output: Output): void {
  const withRuntime = runtimeRunner(deps);

  const calendar = program.command('calendar').description('Manage calendars (the canonical calendars calsync keeps).');
  calendar.command('create <name>').description('Create a calendar.').option('--tenant <id>', 'tenant id (default: the only tenant)')
    .option('--time-zone <iana>', 'the calendar\'s zone, e.g. Europe/Berlin', 'UTC').option('--json', 'print as JSON')
    .action((name: string, options: TenantOption & { timeZone: string }) => withRuntime(async (runtime) => {
      const created = await createCalendar(runtime.db, await tenantOf(runtime, options.tenant), { summary: name, timeZone: options.timeZone });
      output.out(options.json ? json(created) : `created calendar ${created.id} (${created.summary})`);
    }));
  calendar.command('list').description('List calendars.').option('--tenant <id>', 'tenant id (default: the only tenant)').option('--json', 'print as JSON')
    .action((options: TenantOption) => withRuntime(async (runtime) => {
      const calendars = await listCalendars(runtime.db, await tenantOf(runtime, options.tenant));
      output.out(options.json ? json(calendars) : table(calendars.map((c) => ({ ...c })), ['id', 'summary', 'timeZone', 'version']));
    }));

  const connect = program.command('connect').description('Connect a provider account and list its calendars.');
  connect.command('caldav')
    .description('Connect a CalDAV server (iCloud, Fastmail, Nextcloud, Radicale, Xandikos…) and list its calendars.')
    .requiredOption('--url <url>', 'the server URL, e.g. https://caldav.icloud.com/')
    .requiredOption('--username <name>', 'the login')
    .requiredOption('--password-env <VAR>', 'the environment variable holding the password (iCloud: an app-specific password)')
    .option('--tenant <id>', 'tenant id (default: the only tenant)').option('--json', 'print as JSON')
    .action((options: TenantOption & { url: string; username: string; passwordEnv: string }) => withRuntime(async (runtime) => {
      const password = process.env[options.passwordEnv];
      if (!password) throw new CalsyncError('USAGE', `the environment variable ${options.passwordEnv} is empty or not set`);
      const config = deps.loadConfig();
      const connected = await connectWith(deps.providers(config), 'caldav', { serverUrl: options.url, username: options.username, password });
      const secrets = await deps.loadSecrets(runtime, config);
      const account = await createAccount(runtime.db, secrets, await tenantOf(runtime, options.tenant), { provider: 'caldav', ...connected });
      const calendars = (connected.calendars ?? []) as Array<RemoteCalendar & { supportsSyncCollection?: boolean }>;
      if (options.json) return output.out(json({ account, calendars }));
      output.out(`connected account ${account.id}; its calendars (bind one with: calsync bind --account ${account.id} --remote URL --new-calendar NAME):`);
      output.out(table(calendars.map((c) => ({ ...c, sync: c.supportsSyncCollection ? 'sync-collection' : 'ctag+etag' })), ['remoteCalendarId', 'displayName', 'sync', 'writable']));
    }));
  registerOAuthConnectCommands(connect, deps, output);
  connect.command('ics')
    .description('Subscribe to an ICS feed (read-only): checks that it can be read, then stores it.')
    .requiredOption('--url <url>', 'the feed URL (webcal:// is read as https://)')
    .option('--name <name>', 'a label for listings').option('--tenant <id>', 'tenant id (default: the only tenant)').option('--json', 'print as JSON')
    .action((options: TenantOption & { url: string; name?: string }) => withRuntime(async (runtime) => {
      const { events, ...connected } = await connectWith(deps.providers(deps.loadConfig()), 'ics', { url: options.url });
      const secrets = await deps.loadSecrets(runtime, deps.loadConfig());
      const account = await createAccount(runtime.db, secrets, await tenantOf(runtime, options.tenant), {
        provider: 'ics', ...connected, ...(options.name ? { displayName: options.name } : {}),
      });
      output.out(options.json ? json({ account, events }) : `connected feed ${account.id} (${events} events); bind it with: calsync bind --account ${account.id} --remote '${account.serverUrl}' --new-calendar NAME --direction import`);
    }));

  program.command('bind')
    .description('Bind a remote calendar to a calendar (existing or new) and queue its first pass.')
    .requiredOption('--account <id>', 'the account (from calsync connect)')
    .requiredOption('--remote <id>', 'the remote calendar: its URL for CalDAV and ICS')
    .option('--calendar <id>', 'an existing calendar')
    .option('--new-calendar <name>', 'create a calendar with this name')
    .option('--direction <direction>', `one of ${directions.join(', ')}`, 'two_way')
    .option('--policy <mode>', 'merge policy: default, manual, calendar-wins or remote-wins', 'default')
    .option('--busy-only', 'show only busy times on the remote (projection)')
    .option('--poll-interval <seconds>', 'base polling interval', positiveInteger, 300)
    .option('--tenant <id>', 'tenant id (default: the only tenant)').option('--json', 'print as JSON')
    .action((options: TenantOption & { account: string; remote: string; calendar?: string; newCalendar?: string; direction: string; policy: string; busyOnly?: boolean; pollInterval: number }) => withRuntime(async (runtime) => {
      if (!directions.includes(options.direction as Direction)) throw new CalsyncError('USAGE', `--direction must be one of ${directions.join(', ')}`);
      if (Boolean(options.calendar) === Boolean(options.newCalendar)) throw new CalsyncError('USAGE', 'pass exactly one of --calendar ID and --new-calendar NAME');
      const policy = policyOption(options.policy);
      const tenantId = await tenantOf(runtime, options.tenant);
      const account = await getAccount(runtime.db, tenantId, options.account);
      const config = deps.loadConfig();
      const providers = deps.providers(config);
      const provider = await providers.get(account.provider);
      if (provider.readOnly && options.direction !== 'import') throw new CalsyncError('USAGE', `${provider.readOnly}: bind them with --direction import`);
      const { remoteCalendarId, remoteName } = await bindableRemoteCalendar(runtime.db, await deps.loadSecrets(runtime, config), providers, account, options.remote);
      const calendarId = options.calendar
        ? (await getCalendar(runtime.db, tenantId, options.calendar)).id
        : (await createCalendar(runtime.db, tenantId, { summary: options.newCalendar! })).id;
      const binding = await createBinding(runtime.db, tenantId, {
        calendarId, accountId: account.id, remoteCalendarId, remoteName, direction: options.direction as Direction,
        projection: { mode: options.busyOnly ? 'busy-only' : 'full' }, conflictPolicy: policy, pollIntervalSeconds: options.pollInterval,
      });
      await queuePass(runtime.db, binding.tenantId, binding.id, 'manual');
      // A provider that pushes changes: the subscription is made now, not at the next minutely renewal.
      if (provider.push) await queuePushChannel(runtime.db, { tenantId: binding.tenantId, bindingId: binding.id });
      output.out(options.json ? json(binding) : `bound ${remoteCalendarId} to calendar ${calendarId} as binding ${binding.id}; a first pass is queued (or run it now: calsync sync ${binding.id})`);
    }));

  program.command('sync [binding]')
    .description('Run a pass of a binding now, in this process, with progress; or, with --calendar, passes of all its bindings until a round writes nothing.')
    .option('--calendar <id>', 'every binding of this calendar at once, each again whenever the calendar moved, until quiet (at most 10 passes each)')
    .option('--confirm-wipe', 'allow mirroring a side that lists nothing (after checking it is meant)')
    .option('--confirm-deletions', 'allow more deletions than the per-pass budget')
    .option('--json', 'print the result as JSON')
    .action((bindingId: string | undefined, options: { calendar?: string; confirmWipe?: boolean; confirmDeletions?: boolean; json?: boolean }) => withRuntime(async (runtime) => {
      if (Boolean(bindingId) === Boolean(options.calendar)) throw new CalsyncError('USAGE', 'pass a binding id or --calendar ID, not both');
      const engine = await deps.engineFor(runtime, deps.loadConfig());
      const started = Date.now();
      const run = async (binding: Binding) => {
        const result = await syncBinding(engine, {
          tenantId: binding.tenantId, bindingId: binding.id, trigger: 'manual',
          confirmWipe: options.confirmWipe ?? false, confirmDeletions: options.confirmDeletions ?? false,
          onProgress: options.json ? undefined : (p) => output.err(`${binding.id} ${p.phase}: ${p.pulled} pulled, ${p.stats.calendarWrites} calendar writes, ${p.stats.remoteWrites} remote writes`),
        });
        if (!options.json) report(binding, result);
        return result;
      };
      const report = (binding: Binding, result: PassResult) => {
        const s = result.stats;
        output.out(`${binding.id}: ${result.outcome}: ${s.pulled} pulled, ${s.calendarWrites} calendar writes, ${s.remoteWrites} remote writes, ${s.skipped} unchanged, ${s.conflicts} conflicts, ${s.quarantined} quarantined, ${s.failed} failed`);
        if (result.stop) output.out(`  stopped: ${result.stop.message}; rerun with --confirm-${result.stop.kind === 'wipe' ? 'wipe' : 'deletions'} if that is meant`);
        if (result.error) output.out(`  error: ${result.error.kind}: ${result.error.message}`);
      };
      const results: Array<PassResult & { bindingId: string }> = [];
      if (bindingId) {
        const binding = await findBinding(runtime.db, bindingId);
        results.push({ ...(await run(binding)), bindingId: binding.id });
      } else {
        const calendarBindings = await bindingsOfCalendarById(runtime.db, options.calendar!);
        if (calendarBindings.length === 0) throw new CalsyncError('NOT_FOUND', `calendar ${options.calendar} has no bindings`);
        // Passes run at once, as workers run them, each again as soon as the calendar moved
        // (until-quiet.ts): one binding's pushes overlap another's pull, and the engine
        // keeps concurrent passes of one calendar from overwriting each other.
        const tenantId = calendarBindings[0]!.tenantId;
        const byId = new Map(calendarBindings.map((b) => [b.id, b]));
        results.push(...await passesUntilQuiet(calendarBindings.map((b) => b.id), {
          run: async (id) => {
            const result = await run(byId.get(id)!);
            return { ...result, wrote: result.stats.calendarWrites + result.stats.remoteWrites > 0 };
          },
          version: () => calendarVersion(runtime.db, tenantId, options.calendar!),
        }, { maxPasses: 10, idleWaitMs: 200 }));
      }
      const seconds = (Date.now() - started) / 1000;
      if (options.json) output.out(json({ passes: results, seconds }));
      else output.out(`done in ${seconds.toFixed(1)} s`);
      const failed = results.find((r) => r.outcome === 'failed');
      if (failed) throw new CalsyncError(failed.error?.code ?? 'INTERNAL', `a pass of binding ${failed.bindingId} failed: ${failed.error?.message ?? 'unknown'}`, { bindingId: failed.bindingId });
      // A pass the brakes stopped mirrored nothing: a script must not take that for success.
      const stopped = results.find((r) => r.outcome === 'stopped');
      if (stopped) throw new CalsyncError('PASS_STOPPED', `the pass of binding ${stopped.bindingId} stopped: ${stopped.stop?.message ?? 'a brake'}`, { bindingId: stopped.bindingId });
    }));
}
