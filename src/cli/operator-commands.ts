// Settling what the engine could not, from the command line, for one tenant at a time
// (--tenant, or the only one): quarantined items, stopped passes, an event's history,
// pausing, resuming, changing and unbinding bindings, listing and disconnecting
// accounts, and the operators' audit trail. The same store functions as the admin API;
// the work the API leaves to a job (unbinding, stopping a disconnected account's
// channels) runs here in the command's own process. Actions are audited as `cli`.
import { InvalidArgumentError, type Command } from 'commander';
import { readOnlyOf } from '../connectors/provider.ts';
import { CalsyncError } from '../errors.ts';
import { finishDisconnect } from '../jobs/disconnect-account.ts';
import { carryOutUnbind } from '../jobs/unbind-binding.ts';
import { disconnectAccount } from '../store/account-disconnect.ts';
import { changeBinding, pauseBinding, resumeBinding, type BindingChange } from '../store/binding-controls.ts';
import { bindingView, type LockedBinding } from '../store/binding-locks.ts';
import type { Direction } from '../store/bindings.ts';
import { eventHistory } from '../store/event-history.ts';
import { listOperatorActions, type Operator } from '../store/operator-actions.ts';
import { liftQuarantined, listQuarantine, retryQuarantined, type QuarantineKind } from '../store/quarantine-review.ts';
import { confirmStoppedPass, dismissStoppedPass, getStoppedPass, listDeletions, listStoppedPasses } from '../store/stopped-passes.ts';
import { getTenant } from '../store/tenants.ts';
import { requestUnbind, type RemoteCopies } from '../store/unbinding.ts';
import { runtimeRunner, type CliDeps, type CommandRuntime } from './deps.ts';
import { json, policyOption, positiveInteger, table, type Output } from './output.ts';
import { tenantOf } from './sync-commands.ts';

interface TenantOption { tenant?: string; json?: boolean }

const cli = (note?: string): Operator => ({ actor: 'cli', note: note ?? null });

function oneOf<T extends string>(values: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(values as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${values.join(', ')}`);
    return value as T;
  };
}

function upTo(max: number): (value: string) => number {
  return (value) => {
    const n = positiveInteger(value);
    if (n > max) throw new InvalidArgumentError(`must be at most ${max}`);
    return n;
  };
}

async function tenantFor(runtime: CommandRuntime, option: string | undefined): Promise<string> {
  return (await getTenant(runtime.db, await tenantOf(runtime, option))).id;
}

function bindingLine(b: LockedBinding): string {
  return `binding ${b.id}: ${b.state}${b.pausedReason ? ` (${b.pausedReason})` : ''}, ${b.direction}, polled every ${b.pollIntervalSeconds} s`;
}

const tenantHelp = 'tenant id (default: the only tenant)';

export function registerOperatorCommands(program: Command, deps: CliDeps, output: Output): void {
  const withRuntime = runtimeRunner(deps);
  const withTenant = <O extends TenantOption>(work: (runtime: CommandRuntime, tenantId: string, options: O) => Promise<void>) =>
    (options: O) => withRuntime(async (runtime) => work(runtime, await tenantFor(runtime, options.tenant), options));

  const quarantine = program.command('quarantine').description('Items a binding could not take in, and bound items held for a person.');
  quarantine.command('list').description('List quarantined items of both kinds, oldest first.')
    .option('--binding <id>', 'only this binding').option('--kind <kind>', 'remote or held', oneOf(['remote', 'held'] as const))
    .option('--raw', 'show remote items\' payloads').option('--limit <n>', 'at most this many (up to 1000)', upTo(1000), 100)
    .option('--tenant <id>', tenantHelp).option('--json', 'print as JSON')
    .action(withTenant<TenantOption & { binding?: string; kind?: QuarantineKind; raw?: boolean; limit: number }>(async (runtime, tenantId, options) => {
      const page = await listQuarantine(runtime.db, tenantId, { bindingId: options.binding, kind: options.kind, raw: options.raw, limit: options.limit });
      if (options.json) return output.out(json(page.items));
      output.out(table(page.items.map((i) => ({ ...i, about: i.summary ?? '' })), ['kind', 'bindingId', 'remoteId', 'about', 'reason', 'since', 'retryRequestedAt', 'conflictId']));
      if (options.raw) for (const item of page.items.filter((i) => i.raw)) output.out(`\n${item.remoteId}:\n${item.raw}`);
      if (page.next) output.out(`(more: narrow with --binding or --kind, or raise --limit)`);
    }));
  quarantine.command('retry <binding> <remoteIds...>').description('Read quarantined remote items again in the next pass (queued now).')
    .option('--note <text>', 'why, for the audit trail').option('--tenant <id>', tenantHelp).option('--json', 'print as JSON')
    .action((bindingId: string, remoteIds: string[], options: TenantOption & { note?: string }) => withRuntime(async (runtime) => {
      const done = await retryQuarantined(runtime.db, { tenantId: await tenantFor(runtime, options.tenant), bindingId }, remoteIds, cli(options.note));
      output.out(options.json ? json(done) : `${remoteIds.length} item(s) of binding ${done.bindingId} will be read again; a pass is queued`);
    }));
  quarantine.command('lift <binding> <remoteIds...>')
    .description('Lift quarantined items: --kind remote dismisses them (until a new version comes); --kind held releases them to the next pass (queued now).')
    .requiredOption('--kind <kind>', 'remote or held', oneOf(['remote', 'held'] as const))
    .option('--note <text>', 'why, for the audit trail').option('--tenant <id>', tenantHelp).option('--json', 'print as JSON')
    .action((bindingId: string, remoteIds: string[], options: TenantOption & { kind: QuarantineKind; note?: string }) => withRuntime(async (runtime) => {
      const done = await liftQuarantined(runtime.db, { tenantId: await tenantFor(runtime, options.tenant), bindingId }, options.kind, remoteIds, cli(options.note));
      output.out(options.json ? json(done) : done.kind === 'held'
        ? `released ${remoteIds.length} held item(s) of binding ${done.bindingId}; a pass is queued`
        : `dismissed ${remoteIds.length} item(s) of binding ${done.bindingId}`);
    }));

  const stopped = program.command('stopped').description('Passes the brakes stopped (a wipe, more deletions than the budget): confirm or dismiss them.');
  stopped.command('list').description('List bindings whose last pass was stopped.').option('--tenant <id>', tenantHelp).option('--json', 'print as JSON')
    .action(withTenant(async (runtime, tenantId, options) => {
      const items = await listStoppedPasses(runtime.db, tenantId);
      output.out(options.json ? json(items) : table(items.map((s) => ({ ...s })), ['bindingId', 'kind', 'side', 'deletions', 'at', 'passId', 'message']));
    }));
  stopped.command('show <binding>').description('Show a stopped pass and what it would delete.')
    .option('--limit <n>', 'deletions to show (up to 1000)', upTo(1000), 100).option('--tenant <id>', tenantHelp).option('--json', 'print as JSON')
    .action((bindingId: string, options: TenantOption & { limit: number }) => withRuntime(async (runtime) => {
      const tenantId = await tenantFor(runtime, options.tenant);
      const stop = { ...(await getStoppedPass(runtime.db, { tenantId, bindingId })), tenantId };
      const page = await listDeletions(runtime.db, stop, { limit: options.limit });
      if (options.json) return output.out(json({ ...stop, items: page.items }));
      output.out(`binding ${stop.bindingId}: ${stop.message} (pass ${stop.passId}, ${stop.at})`);
      output.out(`it would delete ${stop.deletions} item(s)${page.next ? `; the first ${page.items.length}` : ''}:`);
      output.out(table(page.items.map((d) => ({ ...d })), ['side', 'eventId', 'remoteId', 'summary', 'rule']));
      output.out(`confirm with \`calsync stopped confirm ${stop.bindingId}\`, or give the items back with \`calsync stopped dismiss ${stop.bindingId}\``);
    }));
  stopped.command('confirm <binding>').description('Queue a pass that mirrors the wipe or the deletions.')
    .option('--pass <id>', 'the stopped pass you looked at (refused if it is no longer the one)').option('--note <text>', 'why, for the audit trail')
    .option('--tenant <id>', tenantHelp).option('--json', 'print as JSON')
    .action((bindingId: string, options: TenantOption & { pass?: string; note?: string }) => withRuntime(async (runtime) => {
      const done = await confirmStoppedPass(runtime.db, { tenantId: await tenantFor(runtime, options.tenant), bindingId }, options.pass, cli(options.note));
      output.out(options.json ? json(done) : `confirmed pass ${done.passId} of binding ${done.bindingId}; a pass with the confirmation is queued (or run it now: calsync sync ${done.bindingId} --confirm-${done.confirmation.confirmWipe ? 'wipe' : 'deletions'})`);
    }));
  stopped.command('dismiss <binding>').description('Delete nothing: the side that lost the items gets them back, and a pass is queued.')
    .option('--pass <id>', 'the stopped pass you looked at (refused if it is no longer the one)').option('--note <text>', 'why, for the audit trail')
    .option('--tenant <id>', tenantHelp).option('--json', 'print as JSON')
    .action((bindingId: string, options: TenantOption & { pass?: string; note?: string }) => withRuntime(async (runtime) => {
      const config = deps.loadConfig();
      const done = await dismissStoppedPass(runtime.db, { tenantId: await tenantFor(runtime, options.tenant), bindingId }, options.pass, { ...cli(options.note), debounceMs: config.debounceMs });
      output.out(options.json ? json(done) : `dismissed pass ${done.passId} of binding ${done.bindingId}: ${done.recreated.length} item(s) go back to the remote, ${done.restored.length} event(s) restored in the calendar; a pass is queued`);
    }));

  program.command('history <calendar> <event>').description('Why an event changed: every version with its pass, binding, side, rule and reason.')
    .option('--tenant <id>', tenantHelp).option('--json', 'print as JSON')
    .action((calendarId: string, eventId: string, options: TenantOption) => withRuntime(async (runtime) => {
      const history = await eventHistory(runtime.db, await tenantFor(runtime, options.tenant), calendarId, eventId);
      if (options.json) return output.out(json(history));
      output.out(table(history.versions.map((v) => ({
        ...v, changed: v.changes.map((c) => c.field).join(', '), instance: v.originalStart ?? '',
      })), ['version', 'recordedAt', 'operation', 'instance', 'actor', 'passId', 'rule', 'reason', 'changed']));
      output.out(`\n${history.operations.length} decision(s) of passes (--json shows them with merge decisions and content)`);
    }));

  const binding = program.command('binding').description('Pause, resume or change a binding.');
  binding.command('pause <binding>').description('Pause a binding: no pass runs until it is resumed.')
    .requiredOption('--reason <text>', 'why; shown as "paused by an operator: <text>"').option('--tenant <id>', tenantHelp).option('--json', 'print as JSON')
    .action((bindingId: string, options: TenantOption & { reason: string }) => withRuntime(async (runtime) => {
      const done = await pauseBinding(runtime.db, { tenantId: await tenantFor(runtime, options.tenant), bindingId }, options.reason, cli());
      output.out(options.json ? json(bindingView(done)) : bindingLine(done));
    }));
  binding.command('resume <binding>').description('Resume a paused binding and queue a pass.').option('--tenant <id>', tenantHelp).option('--json', 'print as JSON')
    .action((bindingId: string, options: TenantOption) => withRuntime(async (runtime) => {
      const done = await resumeBinding(runtime.db, { tenantId: await tenantFor(runtime, options.tenant), bindingId }, cli());
      output.out(options.json ? json(bindingView(done)) : bindingLine(done));
    }));
  binding.command('set <binding>').description('Change a binding\'s merge policy, direction or poll interval.')
    .option('--policy <policy>', 'default, manual, calendar-wins, remote-wins, or a JSON policy')
    .option('--direction <direction>', 'two_way, import or export', oneOf(['two_way', 'import', 'export'] as const))
    .option('--poll-interval <seconds>', 'base polling interval (30 to 86400)', positiveInteger)
    .option('--tenant <id>', tenantHelp).option('--json', 'print as JSON')
    .action((bindingId: string, options: TenantOption & { policy?: string; direction?: Direction; pollInterval?: number }) => withRuntime(async (runtime) => {
      const change: BindingChange = { direction: options.direction, pollIntervalSeconds: options.pollInterval };
      if (options.policy === undefined && options.direction === undefined && options.pollInterval === undefined) {
        throw new CalsyncError('USAGE', 'give at least one of --policy, --direction and --poll-interval');
      }
      if (options.pollInterval !== undefined && (options.pollInterval < 30 || options.pollInterval > 86_400)) throw new CalsyncError('USAGE', '--poll-interval must be from 30 to 86400 seconds');
      if (options.policy !== undefined) change.conflictPolicy = policyOption(options.policy);
      const done = await changeBinding(runtime.db, { tenantId: await tenantFor(runtime, options.tenant), bindingId }, change, cli(), readOnlyOf(deps.providers(deps.loadConfig())));
      output.out(options.json ? json(bindingView(done)) : bindingLine(done));
    }));

  program.command('unbind <binding>')
    .description('Unbind a remote calendar: stop its push channel, keep or delete the remote items it syncs, and remove the binding (the calendar and its events stay). Runs here, now.')
    .requiredOption('--remote-copies <what>', 'keep, or delete (through the provider; a copy changed there since the last pass is kept)', oneOf(['keep', 'delete'] as const))
    .option('--note <text>', 'why, for the audit trail').option('--tenant <id>', tenantHelp).option('--json', 'print as JSON')
    .action((bindingId: string, options: TenantOption & { remoteCopies: RemoteCopies; note?: string }) => withRuntime(async (runtime) => {
      const tenantId = await tenantFor(runtime, options.tenant);
      const asked = await requestUnbind(runtime.db, { tenantId, bindingId }, options.remoteCopies, cli(options.note), { queue: false, readOnlyOf: readOnlyOf(deps.providers(deps.loadConfig())) });
      const outcome = asked.removed
        ? { removed: true, remoteCopies: options.remoteCopies, deleted: 0, kept: [], channelStopped: null }
        : await carryOutUnbind(await deps.engineFor(runtime, deps.loadConfig()), { tenantId, bindingId: asked.bindingId, actor: 'cli' });
      if (options.json) return output.out(json({ bindingId: asked.bindingId, ...outcome }));
      output.out(`unbound ${asked.bindingId}: remote copies ${options.remoteCopies === 'keep' ? 'kept' : `deleted (${outcome.deleted})`}`
        + `${outcome.kept.length ? `, ${outcome.kept.length} kept because they changed there or were refused` : ''}${outcome.channelStopped === false ? '; its push channel could not be stopped and expires by itself' : ''}`);
    }));

  // `account list` and `account calendars` are in account-commands.ts, registered first.
  const account = program.commands.find((c) => c.name() === 'account') ?? program.command('account').description('Provider accounts.');
  account.command('disconnect <account>').description('Disconnect an account: pause its bindings, stop their push channels, drop its credentials.')
    .option('--reason <text>', 'why, shown on the account and its paused bindings').option('--tenant <id>', tenantHelp).option('--json', 'print as JSON')
    .action((accountId: string, options: TenantOption & { reason?: string }) => withRuntime(async (runtime) => {
      const tenantId = await tenantFor(runtime, options.tenant);
      const done = await disconnectAccount(runtime.db, tenantId, accountId, cli(options.reason));
      const stops = done.channelsToStop > 0 ? await finishDisconnect(await deps.engineFor(runtime, deps.loadConfig()), { tenantId, accountId: done.accountId }, false) : null;
      if (options.json) return output.out(json({ ...done, channels: stops }));
      output.out(`${done.already ? 'already disconnected' : 'disconnected'} ${done.accountId}: ${done.pausedBindings.length} binding(s) paused`
        + (stops ? `, ${stops.stopped} push channel(s) stopped${stops.left ? `, ${stops.left} left to the queued disconnect_account job (credentials dropped after it)` : ', credentials dropped'}` : ', credentials dropped'));
    }));

  program.command('audit').description('What operators did (retries, lifts, confirmations, dismissals, pauses, changes, unbinds, disconnects), newest first.')
    .option('--binding <id>', 'only this binding').option('--account <id>', 'only this account').option('--limit <n>', 'at most this many (up to 1000)', upTo(1000), 50)
    .option('--tenant <id>', tenantHelp).option('--json', 'print as JSON')
    .action(withTenant<TenantOption & { binding?: string; account?: string; limit: number }>(async (runtime, tenantId, options) => {
      for (const [name, id] of [['--binding', options.binding], ['--account', options.account]] as const) {
        if (id !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw new CalsyncError('USAGE', `${name} takes an id (a uuid), not ${id}`);
      }
      const actions = await listOperatorActions(runtime.db, tenantId, { bindingId: options.binding, accountId: options.account, limit: options.limit });
      output.out(options.json ? json(actions) : table(actions.map((a) => ({ ...a, about: a.bindingId ?? a.accountId, note: a.detail.note ?? a.detail.reason ?? '' })),
        ['createdAt', 'action', 'about', 'actor', 'note']));
    }));
}

