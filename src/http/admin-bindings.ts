// What an operator changes of the key's tenant's bindings: pause, resume, policy,
// direction and poll interval (src/store/binding-controls.ts), and unbinding
// (src/store/unbinding.ts, src/jobs/unbind-binding.ts). Every change is audited.
import type { FastifyInstance } from 'fastify';
import { parsePolicy } from '../core/policy.ts';
import { CalsyncError } from '../errors.ts';
import { bindingView } from '../store/binding-locks.ts';
import { changeBinding, pauseBinding, resumeBinding, type BindingChange } from '../store/binding-controls.ts';
import type { Direction } from '../store/bindings.ts';
import { readOnlyOf, type Providers } from '../connectors/provider.ts';
import type { Db } from '../store/db.ts';
import { requestUnbind, type RemoteCopies } from '../store/unbinding.ts';
import { absentBodyIsEmpty, actorOf, adminTags, anyObject, errorAnswer, note, nullableString } from './admin-schemas.ts';
import { tenantOf } from './auth.ts';
import { noParameters, pathParams } from './route-schemas.ts';

export interface AdminBindingsDeps {
  db: Db;
  /** The registered providers: whether a binding's can be written to. */
  providers: Providers;
}

const binding = {
  type: 'object',
  properties: {
    id: { type: 'string' }, calendarId: { type: 'string' }, accountId: { type: 'string' }, remoteCalendarId: { type: 'string' },
    direction: { type: 'string', enum: ['two_way', 'import', 'export'] }, conflictPolicy: anyObject,
    state: { type: 'string', enum: ['active', 'paused', 'error'] }, pausedReason: nullableString, pollIntervalSeconds: { type: 'integer' },
  },
} as const;

const notFound = errorAnswer('No such binding for this tenant.');
const unbinding = errorAnswer('The binding is being unbound (BINDING_UNBINDING); nothing was changed.');

export function adminBindingRoutes(app: FastifyInstance, deps: AdminBindingsDeps): void {
  const ref = (request: { params: { bindingId: string } } & Parameters<typeof tenantOf>[0]) => ({ tenantId: tenantOf(request), bindingId: request.params.bindingId });

  app.patch<{ Params: { bindingId: string }; Body: { policy?: unknown; direction?: Direction; pollIntervalSeconds?: number } }>('/admin/v1/bindings/:bindingId', {
    schema: {
      summary: 'Change a binding\'s merge policy, direction or poll interval', tags: adminTags,
      description: 'A direction that starts writing the remote makes the next pass send every calendar event the remote lacks; one that starts writing the calendar makes it list the remote in full. An ICS feed stays `import`.',
      params: pathParams('bindingId'), querystring: noParameters,
      body: {
        type: 'object', additionalProperties: false, minProperties: 1,
        properties: {
          policy: { description: 'A mode name (default, manual, calendar-wins, remote-wins) or {mode, fields, editVsDelete}.' },
          direction: { type: 'string', enum: ['two_way', 'import', 'export'] },
          pollIntervalSeconds: { type: 'integer', minimum: 30, maximum: 86_400 },
        },
      },
      response: {
        200: binding, 400: errorAnswer('An invalid policy, direction or interval, or an ICS feed not `import`; nothing was changed.'), 404: notFound,
        409: errorAnswer('A new direction needs the binding idle: a pass is running (BINDING_BUSY); or it is being unbound; nothing was changed.'),
      },
    },
  }, async (request) => {
    const change: BindingChange = { direction: request.body.direction, pollIntervalSeconds: request.body.pollIntervalSeconds };
    if (request.body.policy !== undefined) {
      try {
        change.conflictPolicy = parsePolicy(request.body.policy);
      } catch (error) {
        throw new CalsyncError('INVALID_REQUEST', `policy: ${(error as Error).message}`);
      }
    }
    return bindingView(await changeBinding(deps.db, ref(request), change, { actor: actorOf(request) }, readOnlyOf(deps.providers)));
  });

  app.post<{ Params: { bindingId: string }; Body: { reason: string } }>('/admin/v1/bindings/:bindingId/pause', {
    schema: {
      summary: 'Pause a binding: no pass runs until it is resumed; its reason reads `paused by an operator: <reason>`', tags: adminTags,
      params: pathParams('bindingId'), querystring: noParameters,
      body: { type: 'object', additionalProperties: false, required: ['reason'], properties: { reason: note } },
      response: { 200: binding, 400: errorAnswer('No reason given; nothing was changed.'), 404: notFound, 409: unbinding },
    },
  }, async (request) => bindingView(await pauseBinding(deps.db, ref(request), request.body.reason, { actor: actorOf(request) })));

  app.post<{ Params: { bindingId: string } }>('/admin/v1/bindings/:bindingId/resume', {
    preValidation: absentBodyIsEmpty,
    schema: {
      summary: 'Resume a paused binding and queue a pass', tags: adminTags, params: pathParams('bindingId'), querystring: noParameters,
      body: { type: 'object', additionalProperties: false, properties: {} },
      response: {
        200: binding, 404: notFound,
        409: errorAnswer('Its account is revoked or disconnected (ACCOUNT_NOT_ACTIVE: connect it again), or it is being unbound; nothing was changed.'),
      },
    },
  }, async (request) => bindingView(await resumeBinding(deps.db, ref(request), { actor: actorOf(request) })));

  app.post<{ Params: { bindingId: string }; Body: { remoteCopies: RemoteCopies; note?: string } }>('/admin/v1/bindings/:bindingId/unbind', {
    schema: {
      summary: 'Unbind a remote calendar: keep or delete the remote copies calsync made, stop its push channel, remove the binding', tags: adminTags,
      description: 'The calendar and its events stay. `delete` removes, through the provider, the remote items calsync holds sync statuses for; one changed on the remote since calsync last synced it is kept. '
        + 'Answered 200 once the binding is gone (keep, without a push channel), else 202: the binding is paused and an unbind_binding job finishes the work.',
      params: pathParams('bindingId'), querystring: noParameters,
      body: { type: 'object', additionalProperties: false, required: ['remoteCopies'], properties: { remoteCopies: { type: 'string', enum: ['keep', 'delete'] }, note } },
      response: {
        200: { type: 'object', properties: { bindingId: { type: 'string' }, remoteCopies: { type: 'string' }, removed: { type: 'boolean' } } },
        202: { type: 'object', properties: { bindingId: { type: 'string' }, remoteCopies: { type: 'string' }, removed: { type: 'boolean' } } },
        400: errorAnswer('remoteCopies missing or not keep/delete, or delete asked of a binding that only imports; nothing was changed.'), 404: notFound,
        409: errorAnswer('A pass is running (BINDING_BUSY), or it is already being unbound the other way (BINDING_UNBINDING); nothing was changed.'),
      },
    },
  }, async (request, reply) => {
    const { remoteCopies } = request.body;
    const { bindingId, removed } = await requestUnbind(deps.db, ref(request), remoteCopies, { actor: actorOf(request), note: request.body.note }, { queue: true, readOnlyOf: readOnlyOf(deps.providers) });
    return reply.status(removed ? 200 : 202).send({ bindingId, remoteCopies, removed });
  });
}
