// Connecting an account of an OAuth provider (Google, Microsoft) through the admin API,
// for apps that run the consent in their own web pages: calsync gives the consent URL and
// a state, the app's redirect handler receives `code` and `state` and hands both back.
// The state is the PKCE verifier and the redirect URI sealed with calsync's key for this
// tenant and provider (AES-256-GCM authenticates it), so nothing is stored between the
// two calls and a state is good for one tenant, one provider, one redirect URI and 10
// minutes (Google's and Microsoft's codes live as long). Every provider whose `connect`
// is OAuth gets the two routes, /admin/v1/accounts/<provider>/authorize and
// /admin/v1/accounts/<provider>.
import type { FastifyInstance } from 'fastify';
import { asCalsyncError } from '../engine/provider-errors.ts';
import { CalsyncError } from '../errors.ts';
import { createAccount, getAccount, reactivateAccount } from '../store/accounts.ts';
import { queuePass } from '../store/outbox.ts';
import type { Db } from '../store/db.ts';
import type { Secrets } from '../store/secrets.ts';
import { accountResource } from './admin-sync.ts';
import { tenantOf } from './auth.ts';
import { noParameters } from './route-schemas.ts';
import type { OAuthConnect, Provider, ProviderContext } from '../connectors/provider.ts';

export interface AdminOAuthDeps {
  db: Db;
  secrets: Secrets;
  /** The registered providers; those that connect with OAuth get routes. */
  providers: readonly Provider[];
  context: ProviderContext;
  now?: () => Date;
}

const STATE_TTL_MS = 10 * 60_000;

interface SealedState {
  verifier: string;
  redirectUri: string;
  expiresAt: number;
}

const authorizeBody = {
  type: 'object', additionalProperties: false, required: ['redirectUri'],
  properties: { redirectUri: { type: 'string', minLength: 8, maxLength: 2048, pattern: '^https?://' }, loginHint: { type: 'string', maxLength: 320 } },
} as const;

const connectBody = {
  type: 'object', additionalProperties: false, required: ['code', 'state'],
  properties: {
    code: { type: 'string', minLength: 1, maxLength: 4096 }, state: { type: 'string', minLength: 1, maxLength: 4096 },
    displayName: { type: 'string', maxLength: 200 },
    /** Reconnect this account (its grant was revoked or expired): its paused bindings resume. */
    accountId: { type: 'string', maxLength: 64 },
  },
} as const;

async function reported<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw asCalsyncError(error);
  }
}

export function adminOAuthRoutes(app: FastifyInstance, deps: AdminOAuthDeps): void {
  for (const provider of deps.providers) {
    if (provider.connect.kind === 'oauth') oauthRoutes(app, deps, provider, provider.connect);
  }
}

function oauthRoutes(app: FastifyInstance, deps: AdminOAuthDeps, provider: Provider, oauth: OAuthConnect): void {
  const now = () => (deps.now ?? (() => new Date()))().getTime();
  const context = (tenantId: string) => `${provider.name}-oauth-state:${tenantId}`;
  const base = `/admin/v1/accounts/${provider.name}`;

  app.post(`${base}/authorize`, { schema: { querystring: noParameters, body: authorizeBody } }, async (request) => {
    const tenantId = tenantOf(request);
    const { redirectUri, loginHint } = request.body as { redirectUri: string; loginHint?: string };
    // The state seals the verifier the URL is made with, so it is put in afterwards.
    const { url, codeVerifier } = await reported(() => oauth.authorize(deps.context, { redirectUri, state: '', ...(loginHint ? { loginHint } : {}) }));
    const expiresAt = now() + STATE_TTL_MS;
    const sealed: SealedState = { verifier: codeVerifier, redirectUri, expiresAt };
    const state = deps.secrets.seal(JSON.stringify(sealed), context(tenantId)).toString('base64url');
    const authorizationUrl = new URL(url);
    authorizationUrl.searchParams.set('state', state);
    return { authorizationUrl: authorizationUrl.toString(), state, expiresAt: new Date(expiresAt).toISOString() };
  });

  app.post(base, { schema: { querystring: noParameters, body: connectBody } }, async (request, reply) => {
    const tenantId = tenantOf(request);
    const body = request.body as { code: string; state: string; displayName?: string; accountId?: string };
    const existing = body.accountId ? await getAccount(deps.db, tenantId, body.accountId) : null;
    if (existing && existing.provider !== provider.name) throw new CalsyncError('INVALID_REQUEST', `account ${existing.id} is a ${existing.provider} account, not a ${provider.title} one`);
    let state: SealedState;
    try {
      state = JSON.parse(deps.secrets.open(Buffer.from(body.state, 'base64url'), context(tenantId)).toString('utf8')) as SealedState;
    } catch {
      throw new CalsyncError('OAUTH_NOT_COMPLETED', `the state was not issued by calsync for this tenant (start again with ${base}/authorize)`);
    }
    if (state.expiresAt <= now()) throw new CalsyncError('OAUTH_NOT_COMPLETED', 'the state expired: authorizations must finish within 10 minutes');
    const connection = await reported(() => oauth.complete(deps.context, { code: body.code, codeVerifier: state.verifier, redirectUri: state.redirectUri }));
    if (existing) {
      if (existing.login !== '' && existing.login !== connection.login) {
        throw new CalsyncError('INVALID_REQUEST', `account ${existing.id} is ${existing.login}, but ${provider.title} granted access for ${connection.login}`);
      }
      const resumed = await reactivateAccount(deps.db, deps.secrets, tenantId, existing.id, connection.credentials);
      for (const bindingId of resumed) await queuePass(deps.db, tenantId, bindingId, 'manual');
      return reply.status(200).send({ account: accountResource(await getAccount(deps.db, tenantId, existing.id)), resumedBindings: resumed, calendars: connection.calendars });
    }
    const account = await createAccount(deps.db, deps.secrets, tenantId, {
      provider: provider.name, login: connection.login, displayName: body.displayName ?? connection.displayName, serverUrl: connection.serverUrl, credentials: connection.credentials,
    });
    return reply.status(201).send({ account: accountResource(account), calendars: connection.calendars });
  });
}
