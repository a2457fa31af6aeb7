// The calsync command. Handlers get what they need from CliDeps, built by the
// composition root (src/main/cli.ts), so this layer makes no pools or servers itself.
import { Command, CommanderError } from 'commander';
import { CalsyncError } from '../errors.ts';
import { registerAccountCommands } from './account-commands.ts';
import { registerAdminCommands } from './admin-commands.ts';
import { registerBookingCommands } from './booking-commands.ts';
import { registerConflictCommands } from './conflict-commands.ts';
import { registerInboundCommands } from './inbound-commands.ts';
import { registerMirrorCommands } from './mirror-commands.ts';
import { registerOperatorCommands } from './operator-commands.ts';
import { registerServerCommands } from './server-commands.ts';
import { registerSyncCommands } from './sync-commands.ts';
import { asCalsyncError } from '../engine/provider-errors.ts';
import { errorLine, isUnexpected, type Output } from './output.ts';
import type { CliDeps } from './deps.ts';

export function buildProgram(deps: CliDeps, output: Output): Command {
  const program = new Command('calsync')
    .description('Two-way calendar sync engine: keeps your app\'s calendars and your users\' Google, Microsoft 365 / Outlook.com, CalDAV and ICS calendars in agreement.')
    .version(deps.version)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => output.out(s.trimEnd()), writeErr: (s) => output.err(s.trimEnd()) })
    .exitOverride();
  registerServerCommands(program, deps, output);
  registerSyncCommands(program, deps, output);
  registerAccountCommands(program, deps, output);
  registerAdminCommands(program, deps, output);
  registerOperatorCommands(program, deps, output);
  registerConflictCommands(program, deps, output);
  registerBookingCommands(program, deps, output);
  registerInboundCommands(program, deps, output);
  registerMirrorCommands(program, deps, output);
  return program;
}

/** Runs the CLI; returns the process exit code. */
export async function runCli(argv: string[], deps: CliDeps, output: Output): Promise<number> {
  const program = buildProgram(deps, output);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    const failure = asCalsyncError(error);
    if (isUnexpected(failure)) deps.logUnexpected(failure);
    output.err(errorLine(failure));
    return error instanceof CalsyncError && error.code === 'USAGE' ? 2 : 1;
  }
}
