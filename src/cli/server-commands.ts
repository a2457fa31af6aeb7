// Long-running processes and schema migration.
import type { Command } from 'commander';
import { runtimeRunner, type CliDeps } from './deps.ts';
import { InvalidArgumentError } from 'commander';
import { json, positiveInteger, type Output } from './output.ts';

const sandboxHelp = `
The sandbox runs the Google Calendar and Microsoft Graph emulators in this process, on
127.0.0.1 with free ports, with calendars for two people: Alice's in Google, Bob's in
Outlook, and a Team calendar in both. It connects both accounts through calsync's admin
API, binds their calendars two-way to calsync calendars ('Alice', 'Bob', 'Team'), and
makes an edit every few seconds, in turn in Google, in Outlook and through calsync's
calendar API, with a conflict and a provider fault now and then; each change is followed
until it is on every side. It prints the API key of its tenant ("sandbox") for the
console at / and the API. Ctrl-C (or SIGTERM) stops everything and removes the tenant.

It never runs beside real providers: it refuses while CALSYNC_GOOGLE_CLIENT_ID,
CALSYNC_GOOGLE_CLIENT_SECRET, CALSYNC_MICROSOFT_CLIENT_ID or CALSYNC_MICROSOFT_CLIENT_SECRET
is set, or while the database holds accounts outside its tenant. \`calsync serve\` (npm
start) starts it by itself on a fresh data folder with no provider configured; set
CALSYNC_SANDBOX=off or pass --no-sandbox to serve to start without it.`;

function editSeconds(value: string): number {
  const n = positiveInteger(value);
  if (n > 3600) throw new InvalidArgumentError('must be at most 3600');
  return n;
}

export function registerServerCommands(program: Command, deps: CliDeps, output: Output): void {
  const server = (role: 'all' | 'api' | 'worker') => async (): Promise<void> => deps.serve(deps.loadConfig(), role);
  program.command('serve').description('Run the HTTP API and a queue worker in one process (migrates first). On a fresh data folder with no provider configured it runs the sandbox (see `calsync sandbox --help`).')
    .option('--no-sandbox', 'never start the sandbox (as CALSYNC_SANDBOX=off)')
    .action(async (options: { sandbox: boolean }) => deps.serve(deps.loadConfig(), 'all', options.sandbox ? { mode: 'offer', editSeconds: 5 } : undefined));
  program.command('sandbox')
    .description('Run calsync with emulated Google and Outlook calendars for two people, bound two-way, and a slow stream of edits on every side: sync to watch, nothing to set up.')
    .option('--edit-every <seconds>', 'seconds between two edits (1 to 3600)', editSeconds, 5)
    .addHelpText('after', sandboxHelp)
    .action(async (options: { editEvery: number }) => deps.serve(deps.loadConfig(), 'all', { mode: 'require', editSeconds: options.editEvery }));
  program.command('api').description('Run only the HTTP API; pair it with `calsync worker` processes to scale them apart.').action(server('api'));
  program.command('worker').description('Run only a queue worker; run as many as the load needs, on any machine sharing the database.').action(server('worker'));

  program.command('migrate')
    .description('Apply pending database migrations (calsync serve also does this at start).')
    .option('--json', 'print the result as JSON')
    .action((options: { json?: boolean }) => runtimeRunner(deps)(async (runtime) => {
      const applied = runtime.migrationsApplied;
      if (options.json) output.out(json({ applied }));
      else output.out(applied.length ? `applied ${applied.join(', ')}` : 'the database is up to date');
    }));
}
