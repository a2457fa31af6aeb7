// Long-running processes and schema migration.
import type { Command } from 'commander';
import { runtimeRunner, type CliDeps } from './deps.ts';
import { json, type Output } from './output.ts';

export function registerServerCommands(program: Command, deps: CliDeps, output: Output): void {
  const server = (role: 'all' | 'api' | 'worker') => async (): Promise<void> => deps.serve(deps.loadConfig(), role);
  program.command('serve').description('Run the HTTP API and a queue worker in one process (migrates first).').action(server('all'));
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
