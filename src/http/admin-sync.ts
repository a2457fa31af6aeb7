// Operator endpoints for connecting accounts, binding remote calendars and running
// passes, scoped to the key's tenant. The same operations as `calsync connect`, `bind`
// and `sync`.
import type { FastifyInstance } from 'fastify';
import { parsePolicy } from '../core/policy.ts';
import { isIanaZone } from '../core/timezones.ts';
import { asCalsyncError } from '../engine/provider-errors.ts';
import { CalsyncError } from '../errors.ts';
import { accountCalendars, bindableRemoteCalendar } from '../engine/remote-calendars.ts';
import { createAccount, getAccount, listAccounts, type Account } from '../store/accounts.ts';
import { createBinding, getBinding, listBindings, type Binding, type Direction } from '../store/bindings.ts';
import { createCalendar, getCalendar } from '../store/calendars.ts';
import type { Db } from '../store/db.ts';
import { queuePass } from '../store/outbox.ts';
import { queuePushChannel } from '../store/push-channels.ts';
import type { Secrets } from '../store/secrets.ts';
import { absentBodyIsEmpty } from './admin-schemas.ts';
import { tenantOf } from './auth.ts';
import { noParameters, pathParams } from './route-schemas.ts';
import type { CredentialsConnect, Provider, ProviderSet } from '../connectors/provider.ts';

export interface AdminSyncDeps {
  db: Db;
  secrets: Secrets;
  providers: ProviderSet;
  /** The registered providers, loaded: those connected with credentials or an address are POST /admin/v1/accounts's bodies. */
  loaded: readonly Provider[];
}

/** One body per provider that connects with credentials or an address: its fields, `provider` naming it. */
function accountBody(providers: readonly Provider[]): object {
  return {
    oneOf: providers.flatMap(({ name, connect }) => connect.kind !== 'credentials' ? [] : [{
      type: 'object', additionalProperties: false, required: ['provider', ...connect.fields.required],
      properties: { provider: { const: name }, ...connect.fields.properties, displayName: { type: 'string', maxLength: 200 } },
    }]),
  };
}

const bindingBody = {
  type: 'object', additionalProperties: false, required: ['accountId', 'remoteCalendarId'],
  properties: {
    accountId: { type: 'string', maxLength: 64 },
    remoteCalendarId: { type: 'string', minLength: 1, maxLength: 2048 },
    calendarId: { type: 'string', maxLength: 64 },
    newCalendar: {
      type: 'object', additionalProperties: false, required: ['summary'],
      properties: { summary: { type: 'string', minLength: 1, maxLength: 1024 }, timeZone: { type: 'string', maxLength: 64 } },
    },
    direction: { enum: ['two_way', 'import', 'export'] },
    policy: {},
    projection: { enum: ['full', 'busy-only'] },
    pollIntervalSeconds: { type: 'integer', minimum: 30, maximum: 86_400 },
  },
} as const;

export function accountResource(account: Account): object {
  const { id, provider, displayName, login, serverUrl, state, stateReason, createdAt } = account;
  return { id, provider, displayName, login, serverUrl, state, stateReason, createdAt };
}

function bindingResource(binding: Binding): object {
  const { id, calendarId, accountId, remoteCalendarId, remoteName, direction, projection, conflictPolicy, state, pausedReason, pollIntervalSeconds } = binding;
  return { id, calendarId, accountId, remoteCalendarId, remoteName, direction, projection, conflictPolicy, state, pausedReason, pollIntervalSeconds };
}

async function probe<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw asCalsyncError(error);
  }
}

export function adminSyncRoutes(app: FastifyInstance, deps: AdminSyncDeps): void {
  const byName = new Map(deps.loaded.map((p) => [p.name, p]));
  app.post('/admin/v1/accounts', { schema: { querystring: noParameters, body: accountBody(deps.loaded) } }, async (request, reply) => {
    const tenantId = tenantOf(request);
    const { provider: name, displayName, ...fields } = request.body as { provider: string; displayName?: string } & Record<string, string>;
    const provider = byName.get(name)!;
    const connected = await probe(() => (provider.connect as CredentialsConnect).connect(deps.providers.context, fields));
    const account = await createAccount(deps.db, deps.secrets, tenantId, {
      provider: name, serverUrl: connected.serverUrl, login: connected.login, displayName: displayName ?? connected.displayName, credentials: connected.credentials,
    });
    return reply.status(201).send({
      account: accountResource(account),
      ...(connected.calendars === undefined ? {} : { calendars: connected.calendars }), ...(connected.events === undefined ? {} : { events: connected.events }),
    });
  });

  app.get('/admin/v1/accounts', { schema: { querystring: noParameters } }, async (request) => ({ items: (await listAccounts(deps.db, tenantOf(request))).map(accountResource) }));

  app.get<{ Params: { accountId: string } }>('/admin/v1/accounts/:accountId/calendars', { schema: { params: pathParams('accountId'), querystring: noParameters } }, async (request) => {
    const account = await getAccount(deps.db, tenantOf(request), request.params.accountId);
    return { items: await accountCalendars(deps.db, deps.secrets, deps.providers, account) };
  });

  app.post('/admin/v1/bindings', { schema: { querystring: noParameters, body: bindingBody } }, async (request, reply) => {
    const tenantId = tenantOf(request);
    const body = request.body as {
      accountId: string; remoteCalendarId: string; calendarId?: string; newCalendar?: { summary: string; timeZone?: string };
      direction?: Direction; policy?: unknown; projection?: 'full' | 'busy-only'; pollIntervalSeconds?: number;
    };
    if (Boolean(body.calendarId) === Boolean(body.newCalendar)) throw new CalsyncError('INVALID_REQUEST', 'give exactly one of calendarId and newCalendar');
    // Checked before anything is asked or made: a calendar in an unknown zone fails every pass.
    const zone = body.newCalendar?.timeZone;
    if (zone !== undefined && !isIanaZone(zone)) {
      throw new CalsyncError('INVALID_REQUEST', `newCalendar.timeZone ${JSON.stringify(zone)} is not an IANA time zone name such as Europe/Berlin`, { field: 'newCalendar.timeZone' });
    }
    let policy;
    try {
      policy = parsePolicy(body.policy ?? null);
    } catch (error) {
      throw new CalsyncError('INVALID_REQUEST', `policy: ${(error as Error).message}`);
    }
    const account = await getAccount(deps.db, tenantId, body.accountId);
    const provider = await deps.providers.get(account.provider);
    const direction = body.direction ?? (provider.readOnly ? 'import' : 'two_way');
    if (provider.readOnly && direction !== 'import') throw new CalsyncError('INVALID_REQUEST', `${provider.readOnly}: bind them with direction "import"`);
    const { remoteCalendarId, remoteName } = await bindableRemoteCalendar(deps.db, deps.secrets, deps.providers, account, body.remoteCalendarId);
    const calendarId = body.calendarId
      ? (await getCalendar(deps.db, tenantId, body.calendarId)).id
      : (await createCalendar(deps.db, tenantId, { summary: body.newCalendar!.summary, timeZone: body.newCalendar!.timeZone })).id;
    const binding = await createBinding(deps.db, tenantId, {
      calendarId, accountId: account.id, remoteCalendarId, remoteName, direction,
      projection: { mode: body.projection ?? 'full' }, conflictPolicy: policy, pollIntervalSeconds: body.pollIntervalSeconds,
    });
    await queuePass(deps.db, tenantId, binding.id, 'manual');
    // A provider that pushes changes: the subscription is made now, not at the next minutely renewal.
    if (provider.push) await queuePushChannel(deps.db, { tenantId, bindingId: binding.id });
    return reply.status(201).send(bindingResource(binding));
  });

  app.get('/admin/v1/bindings', { schema: { querystring: noParameters } }, async (request) => ({ items: (await listBindings(deps.db, tenantOf(request))).map(bindingResource) }));

  app.get<{ Params: { bindingId: string } }>('/admin/v1/bindings/:bindingId', { schema: { params: pathParams('bindingId'), querystring: noParameters } }, async (request) =>
    bindingResource(await getBinding(deps.db, tenantOf(request), request.params.bindingId)));

  app.post<{ Params: { bindingId: string }; Body: { confirmWipe?: boolean; confirmDeletions?: boolean } }>('/admin/v1/bindings/:bindingId/sync', {
    preValidation: absentBodyIsEmpty,
    schema: {
      params: pathParams('bindingId'), querystring: noParameters,
      body: {
        type: 'object', additionalProperties: false,
        properties: {
          confirmWipe: { type: 'boolean', description: 'Mirror a side that lists nothing (after checking it is meant); confirms its deletions too.' },
          confirmDeletions: { type: 'boolean', description: 'Allow more deletions than the per-pass budget.' },
        },
      },
    },
  }, async (request, reply) => {
    const binding = await getBinding(deps.db, tenantOf(request), request.params.bindingId);
    const confirm = { confirmWipe: request.body.confirmWipe === true, confirmDeletions: request.body.confirmDeletions === true };
    await queuePass(deps.db, binding.tenantId, binding.id, 'manual', confirm);
    return reply.status(202).send({ bindingId: binding.id, queued: true, ...confirm });
  });
}
