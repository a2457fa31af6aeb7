// Disconnecting an account of the key's tenant (src/store/account-disconnect.ts): its
// bindings pause, their push channels are stopped, its credentials dropped. Listing
// accounts is GET /admin/v1/accounts (admin-sync.ts).
import type { FastifyInstance } from 'fastify';
import { disconnectAccount } from '../store/account-disconnect.ts';
import type { Db } from '../store/db.ts';
import { absentBodyIsEmpty, actorOf, adminTags, errorAnswer, note } from './admin-schemas.ts';
import { tenantOf } from './auth.ts';
import { noParameters, pathParams } from './route-schemas.ts';

export interface AdminAccountsDeps {
  db: Db;
}

export function adminAccountRoutes(app: FastifyInstance, deps: AdminAccountsDeps): void {
  app.post<{ Params: { accountId: string }; Body: { reason?: string } }>('/admin/v1/accounts/:accountId/disconnect', {
    preValidation: absentBodyIsEmpty,
    schema: {
      summary: 'Disconnect an account: pause its bindings, stop their push channels, drop its credentials', tags: adminTags,
      description: 'Its active bindings pause with `account disconnected by an operator: <reason>`; connecting the account again resumes them. '
        + 'Credentials are dropped at once, or, when push channels are to be stopped with them first, by a disconnect_account job right after. Asking again is harmless.',
      params: pathParams('accountId'), querystring: noParameters,
      body: { type: 'object', additionalProperties: false, properties: { reason: note } },
      response: {
        200: {
          type: 'object',
          properties: {
            accountId: { type: 'string' }, state: { type: 'string' },
            pausedBindings: { type: 'array', items: { type: 'string' } },
            channelsToStop: { type: 'integer' }, credentialsDropped: { type: 'boolean' },
            already: { type: 'boolean', description: 'It was disconnected already.' },
          },
        },
        400: errorAnswer('A malformed body; nothing was changed.'), 404: errorAnswer('No such account for this tenant.'),
      },
    },
  }, async (request) => {
    const done = await disconnectAccount(deps.db, tenantOf(request), request.params.accountId, { actor: actorOf(request), note: request.body.reason });
    return { ...done, state: 'disconnected' };
  });
}
