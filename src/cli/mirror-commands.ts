// Busy mirrors from the command line: the same engine and store functions as the admin
// API (src/http/admin-mirrors.ts).
import type { Command } from 'commander';
import { createMirror, removeMirror } from '../engine/busy-mirrors.ts';
import { listMirrors, type BusyMirror } from '../store/busy-mirrors.ts';
import { runtimeRunner, type CliDeps } from './deps.ts';
import { json, table, type Output } from './output.ts';
import { tenantOf, type TenantOption } from './sync-commands.ts';

function shows(m: BusyMirror): string {
  return [m.includeLocation && 'location', m.includeDescription && 'description', m.includeAttendees && 'attendees'].filter(Boolean).join(',') || 'time only';
}

export function registerMirrorCommands(program: Command, deps: CliDeps, output: Output): void {
  const withRuntime = runtimeRunner(deps);
  const mirror = program.command('mirror').description('Busy mirrors: one calendar\'s busy time copied into another as blocks that carry only what the rule allows.');

  mirror.command('add <source> <target>')
    .description('Mirror the busy time of calendar <source> into calendar <target>. Blocks are titled "Busy" and carry no location, description or attendees unless asked; free, cancelled and declined events are left out; blocks are never mirrored again, so add the reverse rule too for both directions.')
    .option('--title <template>', 'the blocks\' title; {summary} stands for the source event\'s title', 'Busy')
    .option('--location', 'copy the source\'s location')
    .option('--description', 'copy the source\'s description')
    .option('--attendees', 'list the source\'s attendees in the block\'s description (never as attendees, who would be invited)')
    .option('--no-tentative', 'mirror tentative events as confirmed blocks (default: tentative blocks)')
    .option('--owner <email>', 'the source calendar owner\'s address: events they declined are left out')
    .option('--tenant <id>', 'tenant id (default: the only tenant)').option('--json', 'print as JSON')
    .action((source: string, target: string, o: TenantOption & { title: string; location?: boolean; description?: boolean; attendees?: boolean; tentative: boolean; owner?: string }) => withRuntime(async (runtime) => {
      const made = await createMirror({ db: runtime.db }, await tenantOf(runtime, o.tenant), {
        sourceCalendarId: source, targetCalendarId: target, title: o.title, includeLocation: o.location === true, includeDescription: o.description === true,
        includeAttendees: o.attendees === true, markTentative: o.tentative, ownerEmail: o.owner ?? null,
      });
      output.out(o.json ? json(made) : `created busy mirror ${made.id}: ${made.sourceCalendarId} -> ${made.targetCalendarId} as "${made.title}" (${shows(made)}); its blocks are written by the worker`);
    }));

  mirror.command('list').description('The tenant\'s busy mirrors.')
    .option('--tenant <id>', 'tenant id (default: the only tenant)').option('--json', 'print as JSON')
    .action((o: TenantOption) => withRuntime(async (runtime) => {
      const items = await listMirrors(runtime.db, await tenantOf(runtime, o.tenant));
      output.out(o.json ? json(items) : table(items.map((m) => ({ ...m, shows: shows(m) })), ['id', 'sourceCalendarId', 'targetCalendarId', 'title', 'shows', 'markTentative']));
    }));

  mirror.command('remove <mirror>').description('Remove a busy mirror and its blocks: they are deleted in the target calendar and, through its bindings, at its providers.')
    .option('--tenant <id>', 'tenant id (default: the only tenant)').option('--json', 'print as JSON')
    .action((id: string, o: TenantOption) => withRuntime(async (runtime) => {
      const { deleted } = await removeMirror({ db: runtime.db, debounceMs: deps.loadConfig().debounceMs }, await tenantOf(runtime, o.tenant), id);
      output.out(o.json ? json({ id, deletedBlockRows: deleted }) : `removed busy mirror ${id} and ${deleted} block event row(s)`);
    }));
}
