// Google Calendar as a provider: OAuth with PKCE against calsync's client (the
// operator's CALSYNC_GOOGLE_* settings), calendars from calendarList, watch channels
// for push. The client libraries (oauth.ts, index.ts) load only when an account or a
// binding needs them; this module stays light, as every worker loads it for renewals.
import { CalsyncError } from '../../errors.ts';
import { canSubscribe, type Connector, type PushSubscriptions } from '../connector.ts';
import { listedOrPrimary, requiredCredentials, type Provider, type ProviderContext } from '../provider.ts';
import type { GoogleCredentials } from './client.ts';
import { googleEndpoints, type GoogleEndpoints } from './endpoints.ts';
import { googleWebhook } from './subscribe.ts';

/** The operator's settings (CALSYNC_GOOGLE_*); undefined URLs are Google's own hosts. */
export interface GoogleSettings {
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  apiUrl?: string | undefined;
  oauthUrl?: string | undefined;
}

/** calsync's OAuth client and Google's endpoints, or PROVIDER_NOT_CONFIGURED naming what is missing. */
export function googleClientConfig(settings: GoogleSettings | undefined): { clientId: string; clientSecret: string | undefined; endpoints: GoogleEndpoints } {
  if (!settings?.clientId) throw new CalsyncError('PROVIDER_NOT_CONFIGURED', 'CALSYNC_GOOGLE_CLIENT_ID is not set: Google accounts need calsync\'s OAuth client', { variable: 'CALSYNC_GOOGLE_CLIENT_ID' });
  return { clientId: settings.clientId, clientSecret: settings.clientSecret, endpoints: googleEndpoints({ apiUrl: settings.apiUrl, oauthUrl: settings.oauthUrl }) };
}

// Google's hosts come from the operator's configuration, not from users: no URL guard.
const client = (ctx: ProviderContext) => ({ ...googleClientConfig(ctx.settings.google as GoogleSettings | undefined), fetch: ctx.fetch });

function pushing(connector: Connector): Connector & PushSubscriptions {
  if (!canSubscribe(connector)) throw new TypeError('a Google binding\'s connector has no watch channels');
  return connector;
}

export const googleProvider: Provider = {
  name: 'google',
  title: 'Google',
  connect: {
    kind: 'oauth',
    async authorize(ctx, input) {
      const { authorizationRequest } = await import('./oauth.ts');
      return authorizationRequest(client(ctx), input);
    },
    async complete(ctx, input) {
      const { exchangeCode, listGoogleCalendars } = await import('./oauth.ts');
      const credentials = await exchangeCode(client(ctx), input);
      const { login, calendars } = await listGoogleCalendars(client(ctx), credentials);
      return { login, displayName: login, serverUrl: null, credentials: { ...credentials }, calendars };
    },
  },
  async listCalendars(ctx, access) {
    const credentials = await requiredCredentials<GoogleCredentials>(access);
    const { listGoogleCalendars } = await import('./oauth.ts');
    const listing = await listGoogleCalendars({ ...client(ctx), onCredentials: (next) => access.saveCredentials({ ...next }) }, credentials);
    return listing.calendars;
  },
  // `primary`: Google's alias for the account's own calendar.
  matchCalendar: listedOrPrimary,
  async connector(ctx, access) {
    const { account } = access;
    const credentials = await access.credentials() as GoogleCredentials | null;
    if (!credentials?.refreshToken) throw new CalsyncError('INVALID_REQUEST', `Google account ${account.id} has no refresh token; connect it again`, { accountId: account.id });
    const { createGoogleConnector } = await import('./index.ts');
    return createGoogleConnector({
      ...client(ctx), credentials,
      // Refreshed access tokens (and a rotated refresh token) are sealed again at once.
      onCredentials: async (next) => { await access.saveCredentials({ ...next }); },
    });
  },
  push: {
    // Google's default lifetime for events channels is a week; it never renews one, so a
    // new channel is made a day before the old one ends (then the old one stopped).
    ttlSeconds: 7 * 86_400,
    renewAheadMs: 86_400_000,
    subscribe: (connector, remoteCalendarId, request) => pushing(connector).watch(remoteCalendarId, {
      id: request.id, token: request.secret, address: request.address, ttlSeconds: request.ttlSeconds,
    }),
    unsubscribe: (connector, subscription) => pushing(connector).stopChannel(subscription),
    webhook: googleWebhook,
  },
};
