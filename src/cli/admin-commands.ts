// Operator commands: status, tenants, API keys, secret rotation, queue probes, dead jobs.
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { InvalidArgumentError, type Command } from 'commander';
import { CalsyncError } from '../errors.ts';
import { accountsNeedingAttention } from '../store/accounts.ts';
import { listBindingSummaries } from '../store/bindings.ts';
import { redactUrl, withTransaction } from '../store/db.ts';
import { quarantineCounts } from '../store/quarantine-review.ts';
import { deadJobs, queueCounts, retryDeadJobs } from '../store/queue.ts';
import { rotateSecrets } from '../store/secret-rotation.ts';
import { listStoppedPasses } from '../store/stopped-passes.ts';
import { apiKeyScopes, createApiKey, createTenant, getTenant, listApiKeys, listTenants, revokeApiKey } from '../store/tenants.ts';
import { reconnectCommand } from './connect-oauth.ts';
import { runtimeRunner, type CliDeps } from './deps.ts';
import { json, positiveInteger, table, type Output } from './output.ts';

interface JsonOption { json?: boolean }

/** --scope, repeatable: refused while the command line is read, before anything is stored. */
function scopeOption(value: string, previous: string[]): string[] {
  if (!(apiKeyScopes as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be ${apiKeyScopes.join(' or ')} (repeat --scope for both)`);
  return [...previous, value];
}

export function registerAdminCommands(program: Command, deps: CliDeps, output: Output): void {
  const withRuntime = runtimeRunner(deps);

  program.command('status')
    .description('Show the database, the queue (depth, dead jobs), stopped passes, quarantined items and every binding with its last pass, lag and errors.')
    .option('--json', 'print as JSON')
    .action((options: JsonOption) => withRuntime(async (runtime) => {
      const { rows: [server] } = await runtime.db.query<{ version: string }>("select current_setting('server_version') as version");
      const status = {
        database: { url: redactUrl(runtime.databaseUrl), embedded: runtime.embedded, serverVersion: server!.version },
        queue: await queueCounts(runtime.db),
        deadJobs: await deadJobs(runtime.db),
        accounts: await accountsNeedingAttention(runtime.db),
        stoppedPasses: await listStoppedPasses(runtime.db, null),
        quarantine: await quarantineCounts(runtime.db),
        bindings: await listBindingSummaries(runtime.db),
      };
      if (options.json) return output.out(json(status));
      output.out(`database  ${status.database.embedded ? 'embedded ' : ''}Postgres ${status.database.serverVersion} at ${status.database.url}`);
      const q = status.queue;
      output.out(`queue     ${q.pending} pending, ${q.scheduled} scheduled, ${q.running} running, ${q.retrying} retrying, ${q.dead} dead`);
      output.out('\nDead jobs (replay with `calsync jobs retry ID`):');
      output.out(table(status.deadJobs.map((j) => ({ ...j, lastError: j.lastError?.split('\n')[0] })), ['id', 'task', 'attempts', 'updatedAt', 'lastError']));
      if (status.accounts.length > 0) {
        output.out('\nAccounts that need attention (their bindings are paused until the account is reconnected with the command shown):');
        output.out(table(status.accounts.map((a) => ({ ...a, reconnect: reconnectCommand(a.provider, a.id) })), ['id', 'provider', 'login', 'state', 'since', 'pausedBindings', 'reconnect', 'reason']));
      }
      if (status.stoppedPasses.length > 0) {
        output.out('\nStopped passes (see what they would delete with `calsync stopped show BINDING`, then confirm or dismiss):');
        output.out(table(status.stoppedPasses.map((s) => ({ ...s })), ['bindingId', 'tenantId', 'kind', 'side', 'deletions', 'at', 'message']));
      }
      if (status.quarantine.length > 0) {
        output.out('\nQuarantined items (`calsync quarantine list --tenant ID`; remote: not taken in, held: waiting for a person):');
        output.out(table(status.quarantine.map((q) => ({ ...q })), ['bindingId', 'tenantId', 'remote', 'held']));
      }
      output.out('\nBindings:');
      output.out(table(status.bindings.map((b) => ({ ...b })), ['id', 'calendar', 'provider', 'direction', 'state', 'lastPassAt', 'lagSeconds', 'quarantined', 'lastError', 'pausedReason']));
    }));

  const tenant = program.command('tenant').description('Manage tenants (the organisations using this calsync).');
  tenant.command('create <name>').description('Create a tenant and its first API key, and print the key once (only its hash is stored).')
    .option('--json', 'print as JSON')
    .action((name: string, options: JsonOption) => withRuntime(async (runtime) => {
      // One transaction: a tenant is never left without the key that was shown for it.
      const { created, key, info } = await withTransaction(runtime.db, async (client) => {
        const created = await createTenant(client, name);
        return { created, ...(await createApiKey(client, created.id, 'first key')) };
      });
      if (options.json) return output.out(json({ ...created, apiKey: { ...info, key } }));
      output.out(`created tenant ${created.id} (${created.name}); its first API key:\n${key}\n(key ${info.id}; shown once: store it now)`);
    }));
  tenant.command('list').description('List tenants.').option('--json', 'print as JSON')
    .action((options: JsonOption) => withRuntime(async (runtime) => {
      const tenants = await listTenants(runtime.db);
      output.out(options.json ? json(tenants) : table(tenants.map((t) => ({ ...t })), ['id', 'name', 'apiKeys', 'createdAt']));
    }));

  const apikey = program.command('apikey').description('Manage API keys; every request with a key sees only its tenant\'s data.');
  apikey.command('create').description('Create an API key and print it once (only its hash is stored).')
    .requiredOption('--tenant <id>', 'tenant id').option('--name <name>', 'a label for listings', 'default')
    .option('--scope <scope>', 'what the key may call: admin (the console and /admin/v1) or app (the calendar API); repeat for both (the default)', scopeOption, [])
    .option('--json', 'print as JSON')
    .action((options: JsonOption & { tenant: string; name: string; scope: string[] }) => withRuntime(async (runtime) => {
      const { key, info } = await createApiKey(runtime.db, options.tenant, options.name, options.scope.length > 0 ? options.scope : apiKeyScopes);
      output.out(options.json ? json({ ...info, key }) : `${key}\n(key ${info.id}, scopes ${info.scopes.join(', ')}; shown once: store it now)`);
    }));
  apikey.command('list').description('List a tenant\'s API keys (prefixes only).').requiredOption('--tenant <id>', 'tenant id').option('--json', 'print as JSON')
    .action((options: JsonOption & { tenant: string }) => withRuntime(async (runtime) => {
      const keys = await listApiKeys(runtime.db, options.tenant);
      output.out(options.json ? json(keys) : table(keys.map((k) => ({ ...k, scopes: k.scopes.join(',') })), ['id', 'name', 'prefix', 'scopes', 'createdAt', 'lastUsedAt', 'revokedAt']));
    }));
  apikey.command('revoke <keyId>').description('Revoke an API key at once.').requiredOption('--tenant <id>', 'tenant id').option('--json', 'print the revoked key as JSON')
    .action((keyId: string, options: JsonOption & { tenant: string }) => withRuntime(async (runtime) => {
      await getTenant(runtime.db, options.tenant);
      await revokeApiKey(runtime.db, options.tenant, keyId);
      const revoked = (await listApiKeys(runtime.db, options.tenant)).find((k) => k.id === keyId.toLowerCase());
      output.out(options.json ? json(revoked) : `revoked ${keyId}`);
    }));

  program.command('secrets').description('Manage the keys that encrypt credentials at rest.')
    .command('rotate')
    .description('Re-encrypt every stored credential with CALSYNC_SECRET_KEY; keep the old key in CALSYNC_PREVIOUS_SECRET_KEYS until this finishes.')
    .option('--json', 'print as JSON')
    .action((options: JsonOption) => withRuntime(async (runtime) => {
      const secrets = await deps.loadSecrets(runtime, deps.loadConfig());
      const rotated = await rotateSecrets(runtime.db, secrets, (done) => { if (!options.json && done > 0) output.err(`re-encrypted ${done}`); });
      output.out(options.json ? json({ rotated, keyId: secrets.current.id }) : `re-encrypted ${rotated} values with key ${secrets.current.id}; the previous keys can now be removed`);
    }));

  program.command('queue').description('Inspect the job queue.')
    .command('probe')
    .description('Enqueue no-op jobs, wait until workers ran them all, and report how long it took and which workers ran them.')
    .option('--count <n>', 'jobs to enqueue', positiveInteger, 1000)
    .option('--timeout <seconds>', 'give up after this long', positiveInteger, 300)
    .option('--json', 'print as JSON')
    .action((options: JsonOption & { count: number; timeout: number }) => withRuntime(async (runtime) => {
      const probeId = randomUUID();
      // Loaded here: the queue library costs every other command ~60 ms of start-up.
      const [{ openWorkerUtils }, { queueProbe }, { enqueueMany }] = await Promise.all([
        import('../store/queue-library.ts'), import('../jobs/queue-probe.ts'), import('../jobs/registry.ts'),
      ]);
      const utils = await openWorkerUtils(runtime.db);
      const started = Date.now();
      try {
        await enqueueMany(utils, queueProbe, Array.from({ length: options.count }, (_, seq) => ({ probeId, seq })), { maxAttempts: 5 });
      } finally {
        await utils.release();
      }
      for (;;) {
        const { rows: [row] } = await runtime.db.query<{ runs: string; distinct_jobs: string }>(
          'select count(*) as runs, count(distinct seq) as distinct_jobs from queue_probes where probe_id = $1', [probeId]);
        const runs = Number(row!.runs);
        const seconds = (Date.now() - started) / 1000;
        if (Number(row!.distinct_jobs) >= options.count) {
          const result = { probeId, jobs: options.count, runs, seconds, jobsPerSecond: Math.round(options.count / seconds) };
          output.out(options.json ? json(result) : `${options.count} jobs ran in ${seconds.toFixed(1)} s (${result.jobsPerSecond}/s), ${runs - options.count} ran more than once`);
          return;
        }
        if (seconds > options.timeout) {
          throw new CalsyncError('INTERNAL', `only ${row!.distinct_jobs} of ${options.count} probe jobs ran within ${options.timeout} s: is a worker running (calsync serve or calsync worker)?`);
        }
        await sleep(200);
      }
    }));

  program.command('jobs').description('Manage dead jobs (those that used up their attempts).')
    .command('retry <ids...>').description('Run dead jobs again from their first attempt.').option('--json', 'print as JSON')
    .action((ids: string[], options: JsonOption) => withRuntime(async (runtime) => {
      const bad = ids.filter((id) => !/^\d{1,18}$/.test(id));
      if (bad.length) throw new CalsyncError('USAGE', `job ids are numbers, not ${bad.join(', ')}`);
      const retried = await retryDeadJobs(runtime.db, ids);
      const missing = ids.filter((id) => !retried.includes(id));
      if (missing.length) throw new CalsyncError('JOB_NOT_FOUND', `no job ${missing.join(', ')}`);
      output.out(options.json ? json({ rescheduled: retried }) : `rescheduled ${retried.join(', ')}`);
    }));
}
