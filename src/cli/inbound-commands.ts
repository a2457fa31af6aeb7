// Signed inbound sources from the command line: the same store functions as the admin API
// (src/http/admin-inbound.ts). `add` prints the path to give the booking tool (the full
// URL with CALSYNC_WEBHOOK_URL set) and, for the generic scheme, the generated secret once.
import type { Command } from 'commander';
import { CalsyncError } from '../errors.ts';
import { withTransaction } from '../store/db.ts';
import {
  createInboundSource, deleteInboundSource, getInboundSource, listDeliveries, listInboundSources, type DeliveryState, type InboundSource, type InboundSourceInput,
} from '../store/inbound-sources.ts';
import { runtimeRunner, type CliDeps } from './deps.ts';
import { json, positiveInteger, table, type Output } from './output.ts';
import { tenantOf, type TenantOption } from './sync-commands.ts';

const states: DeliveryState[] = ['queued', 'done', 'ignored', 'failed'];

function seconds(value: string): number {
  if (!/^\d{1,5}$/.test(value)) throw new CalsyncError('USAGE', `--tolerance takes whole seconds, not ${JSON.stringify(value)}`);
  return Number(value);
}

export function registerInboundCommands(program: Command, deps: CliDeps, output: Output): void {
  const withRuntime = runtimeRunner(deps);
  const where = (s: InboundSource): string => {
    const path = `/webhooks/in/${s.id}`;
    const base = deps.loadConfig().webhookUrl;
    return base === undefined ? path : new URL(path, base).toString();
  };
  const inbound = program.command('inbound').description('Signed inbound sources: a booking tool (Calendly, or any that signs with an HMAC) posts bookings of a resource to /webhooks/in/ID.');

  inbound.command('add <scheme> <resource>')
    .description('Add a source of SCHEME (calendly or hmac) that books RESOURCE. Calendly needs --secret: the signing key of its webhook subscription. The generic scheme generates a secret unless one is given.')
    .option('--name <text>', 'a name to tell sources apart')
    .option('--secret <text>', 'the shared signing secret (16 to 512 characters)')
    .option('--tolerance <seconds>', 'how far a signed timestamp may be from now (default 180)', seconds)
    .option('--signature-header <name>', 'hmac: the header carrying the digest (default X-Signature)')
    .option('--timestamp-header <name>', 'hmac: a header carrying unix seconds, signed as "<t>.<body>"')
    .option('--encoding <hex|base64>', 'hmac: how the digest is written (default hex)')
    .option('--tenant <id>', 'tenant id (default: the only tenant)').option('--json', 'print as JSON')
    .action((scheme: string, resourceId: string, o: TenantOption & { name?: string; secret?: string; tolerance?: number; signatureHeader?: string; timestampHeader?: string; encoding?: string }) => withRuntime(async (runtime) => {
      const input: InboundSourceInput = {
        scheme: scheme as InboundSourceInput['scheme'], resourceId, ...(o.name === undefined ? {} : { name: o.name }), ...(o.secret === undefined ? {} : { secret: o.secret }),
        ...(o.tolerance === undefined ? {} : { toleranceSeconds: o.tolerance }), ...(o.signatureHeader === undefined ? {} : { signatureHeader: o.signatureHeader }),
        ...(o.timestampHeader === undefined ? {} : { timestampHeader: o.timestampHeader }), ...(o.encoding === undefined ? {} : { digestEncoding: o.encoding as 'hex' }),
      };
      const tenantId = await tenantOf(runtime, o.tenant);
      const secrets = await deps.loadSecrets(runtime, deps.loadConfig());
      const { source, generatedSecret } = await withTransaction(runtime.db, (tx) => createInboundSource(tx, secrets, tenantId, input));
      if (o.json) return output.out(json({ ...source, url: where(source), secret: generatedSecret }));
      output.out(`added ${source.scheme} source ${source.id}; the booking tool posts to ${where(source)}`);
      if (generatedSecret !== null) output.out(`secret (shown once): ${generatedSecret}`);
    }));

  inbound.command('list').description('The tenant\'s inbound sources.')
    .option('--tenant <id>', 'tenant id (default: the only tenant)').option('--json', 'print as JSON')
    .action((o: TenantOption) => withRuntime(async (runtime) => {
      const items = (await listInboundSources(runtime.db, await tenantOf(runtime, o.tenant))).map((s) => ({ ...s, url: where(s) }));
      output.out(o.json ? json(items) : table(items, ['id', 'name', 'scheme', 'resourceId', 'url']));
    }));

  inbound.command('remove <source>').description('Remove a source and its deliveries\' records; its URL refuses posts from then on (the bookings it made stay).')
    .option('--tenant <id>', 'tenant id (default: the only tenant)').option('--json', 'print as JSON')
    .action((id: string, o: TenantOption) => withRuntime(async (runtime) => {
      await deleteInboundSource(runtime.db, await tenantOf(runtime, o.tenant), id);
      output.out(o.json ? json({ removed: id }) : `removed inbound source ${id}`);
    }));

  inbound.command('deliveries <source>').description('What a source delivered, newest first, and how each was mapped (a failed one says why, e.g. SLOT_TAKEN).')
    .option('--state <state>', `one of ${states.join(', ')}`).option('--limit <n>', 'at most this many', positiveInteger, 50)
    .option('--tenant <id>', 'tenant id (default: the only tenant)').option('--json', 'print as JSON')
    .action((id: string, o: TenantOption & { state?: string; limit: number }) => withRuntime(async (runtime) => {
      if (o.state !== undefined && !states.includes(o.state as DeliveryState)) throw new CalsyncError('USAGE', `--state must be one of ${states.join(', ')}`);
      const tenantId = await tenantOf(runtime, o.tenant);
      const source = await getInboundSource(runtime.db, tenantId, id);
      const items = await listDeliveries(runtime.db, tenantId, source.id, { state: o.state as DeliveryState | undefined, limit: Math.min(o.limit, 1000) });
      output.out(o.json ? json(items) : table(items.map((d) => ({ ...d, receivedAt: d.receivedAt.toISOString(), why: d.errorCode ?? d.error ?? '' })), ['receivedAt', 'kind', 'state', 'bookingId', 'why']));
    }));
}
