// Conflicts from the command line (the same engine function as the admin API): fields both
// sides of a binding changed that its policy sends to a person, and edits against
// deletes under `ask`. Resolutions are audited as `cli`.
import type { Command } from 'commander';
import { resolveConflict, type ConflictChoice } from '../engine/conflicts.ts';
import { CalsyncError } from '../errors.ts';
import { getConflict, listConflicts, type Conflict, type ConflictState } from '../store/conflicts.ts';
import { runtimeRunner, type CliDeps } from './deps.ts';
import { json, positiveInteger, table, type Output } from './output.ts';
import { tenantOf, type TenantOption } from './sync-commands.ts';

const states: ConflictState[] = ['open', 'resolved', 'dismissed'];

/** A value as a person types it: JSON when it parses (a time, a list), else the text itself. */
function valueOf(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const shown = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

function lines(c: Conflict): string[] {
  return [
    `conflict ${c.id} (${c.state}) on ${c.field} of event ${c.eventId}, binding ${c.bindingId}`,
    `  base:     ${shown(c.base)}`,
    `  calendar: ${shown(c.calendar)}`,
    `  remote:   ${shown(c.remote)}`,
    ...(c.resolvedBy ? [`  resolved by ${c.resolvedBy}: ${shown(c.resolution)}`] : []),
  ];
}

export function registerConflictCommands(program: Command, deps: CliDeps, output: Output): void {
  const withRuntime = runtimeRunner(deps);
  const conflicts = program.command('conflicts').description('Fields both sides changed that a binding\'s policy sends to a person: list, show, resolve.');

  conflicts.command('list').description('List conflicts (open by default), newest first.')
    .option('--state <state>', `one of ${states.join(', ')}`, 'open').option('--binding <id>', 'only this binding').option('--event <id>', 'only this event (series id)')
    .option('--limit <n>', 'at most this many', positiveInteger, 100).option('--tenant <id>', 'tenant id (default: the only tenant)').option('--json', 'print as JSON')
    .action((options: TenantOption & { state: string; binding?: string; event?: string; limit: number }) => withRuntime(async (runtime) => {
      if (!states.includes(options.state as ConflictState)) throw new CalsyncError('USAGE', `--state must be one of ${states.join(', ')}`);
      const items = await listConflicts(runtime.db, await tenantOf(runtime, options.tenant), {
        state: options.state as ConflictState, bindingId: options.binding, eventId: options.event, limit: Math.min(options.limit, 1000),
      });
      output.out(options.json ? json(items) : table(items.map((c) => ({ ...c, base: shown(c.base), calendar: shown(c.calendar), remote: shown(c.remote) })),
        ['id', 'bindingId', 'eventId', 'field', 'base', 'calendar', 'remote', 'createdAt']));
    }));

  conflicts.command('show <conflict>').description('One conflict with its base, calendar and remote values.')
    .option('--tenant <id>', 'tenant id (default: the only tenant)').option('--json', 'print as JSON')
    .action((id: string, options: TenantOption) => withRuntime(async (runtime) => {
      const found = await getConflict(runtime.db, await tenantOf(runtime, options.tenant), id);
      output.out(options.json ? json(found) : lines(found).join('\n'));
    }));

  conflicts.command('resolve <conflict>')
    .description('Resolve a conflict: --take calendar|remote, or --value (JSON or text); the choice reaches every binding of the calendar.')
    .option('--take <side>', 'calendar or remote').option('--value <value>', 'the value to hold, as the conflict shows it (JSON, or plain text for a text field)')
    .option('--note <text>', 'why, for the audit trail').option('--tenant <id>', 'tenant id (default: the only tenant)').option('--json', 'print as JSON')
    .action((id: string, options: TenantOption & { take?: string; value?: string; note?: string }) => withRuntime(async (runtime) => {
      if ((options.take === undefined) === (options.value === undefined)) throw new CalsyncError('USAGE', 'pass exactly one of --take calendar|remote and --value VALUE');
      if (options.take !== undefined && options.take !== 'calendar' && options.take !== 'remote') throw new CalsyncError('USAGE', '--take must be calendar or remote');
      const choice: ConflictChoice = options.take ? { take: options.take as 'calendar' | 'remote' } : { value: valueOf(options.value!) };
      const resolved = await resolveConflict({ db: runtime.db, debounceMs: deps.loadConfig().debounceMs }, await tenantOf(runtime, options.tenant), id, choice, 'cli', options.note ?? null);
      output.out(options.json ? json(resolved) : `${lines(resolved).join('\n')}\nqueued passes of the calendar's bindings to carry it out`);
    }));
}
