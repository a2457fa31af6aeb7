// Microsoft 365 and Outlook.com calendars through Microsoft Graph as a provider: OAuth
// with PKCE against calsync's app registration (the operator's CALSYNC_MICROSOFT_*
// settings), calendars from /me/calendars, subscriptions for push. The connector and
// OAuth modules load only when an account or a binding needs them.
import { CalsyncError } from '../../errors.ts';
import { canSubscribe, ConnectorError, isConnectorError, type Connector, type PushChannel, type PushSubscriptions } from '../connector.ts';
import { listedOrPrimary, requiredCredentials, type Provider, type ProviderContext } from '../provider.ts';
import type { GraphEndpoints, MicrosoftCredentials } from './client.ts';
import { clientStateOf, graphWebhook } from './webhook.ts';

/** The operator's settings (CALSYNC_MICROSOFT_*); undefined URLs are Microsoft's own hosts. */
export interface MicrosoftSettings {
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  /** Graph's root with its version. */
  graphUrl?: string | undefined;
  /** The identity platform's root. */
  authorityUrl?: string | undefined;
  /** `common` (default), `organizations`, `consumers` or a tenant id. */
  tenant?: string | undefined;
}

/** calsync's app registration and Microsoft's endpoints, or PROVIDER_NOT_CONFIGURED naming what is missing. */
export function microsoftClientConfig(settings: MicrosoftSettings | undefined): { clientId: string; clientSecret?: string; endpoints: GraphEndpoints } {
  if (!settings?.clientId) throw new CalsyncError('PROVIDER_NOT_CONFIGURED', 'CALSYNC_MICROSOFT_CLIENT_ID is not set: Microsoft accounts need calsync\'s app registration', { variable: 'CALSYNC_MICROSOFT_CLIENT_ID' });
  return {
    clientId: settings.clientId,
    ...(settings.clientSecret ? { clientSecret: settings.clientSecret } : {}),
    endpoints: {
      graphUrl: (settings.graphUrl ?? 'https://graph.microsoft.com/v1.0').replace(/\/+$/, ''),
      authorityUrl: (settings.authorityUrl ?? 'https://login.microsoftonline.com').replace(/\/+$/, ''),
      tenant: settings.tenant ?? 'common',
    },
  };
}

// Microsoft's hosts come from the operator's configuration, not from users: no URL guard.
const client = (ctx: ProviderContext) => ({ ...microsoftClientConfig(ctx.settings.microsoft as MicrosoftSettings | undefined), fetch: ctx.fetch });

type Renewing = Connector & PushSubscriptions & { renew(channel: PushChannel, ttlSeconds: number): Promise<PushChannel | null> };

function pushing(connector: Connector): Renewing {
  if (!canSubscribe(connector) || !('renew' in connector)) throw new TypeError('a Microsoft binding\'s connector has no subscriptions');
  return connector as Renewing;
}

export const microsoftProvider: Provider = {
  name: 'microsoft',
  title: 'Microsoft',
  connect: {
    kind: 'oauth',
    async authorize(ctx, input) {
      const { authorizationRequest } = await import('./oauth.ts');
      return authorizationRequest(client(ctx), input);
    },
    async complete(ctx, input) {
      const { exchangeCode, listMicrosoftCalendars } = await import('./oauth.ts');
      const credentials = await exchangeCode(client(ctx), input);
      const { login, calendars } = await listMicrosoftCalendars(client(ctx), credentials);
      return { login, displayName: login, serverUrl: null, credentials: { ...credentials }, calendars };
    },
  },
  async listCalendars(ctx, access) {
    const credentials = await requiredCredentials<MicrosoftCredentials>(access);
    const { listMicrosoftCalendars } = await import('./oauth.ts');
    const listing = await listMicrosoftCalendars({ ...client(ctx), onCredentials: (next) => access.saveCredentials({ ...next }) }, credentials);
    return listing.calendars;
  },
  // `primary`: the mailbox's default calendar, as for Google.
  matchCalendar: listedOrPrimary,
  async connector(ctx, access) {
    const { account } = access;
    const credentials = await access.credentials() as MicrosoftCredentials | null;
    if (!credentials?.refreshToken) throw new CalsyncError('INVALID_REQUEST', `Microsoft account ${account.id} has no refresh token; connect it again`, { accountId: account.id });
    const { createMicrosoftConnector } = await import('./index.ts');
    return createMicrosoftConnector({
      ...client(ctx), credentials,
      // Every refresh rotates the refresh token: it is sealed again before it is used.
      onCredentials: async (next) => { await access.saveCredentials({ ...next }); },
    });
  },
  push: {
    // Outlook event subscriptions live at most 10,080 minutes; Graph grants less when it
    // chooses. Three days asked, renewed in place (PATCH) a day before they end.
    ttlSeconds: 3 * 86_400,
    renewAheadMs: 86_400_000,
    async subscribe(connector, remoteCalendarId, request) {
      const made = await pushing(connector).watch(remoteCalendarId, {
        id: request.id, token: clientStateOf(request.id, request.secret), address: request.address, ttlSeconds: request.ttlSeconds,
      });
      // Graph made it only after the address echoed its validation request: it works.
      return { ...made, confirmed: true };
    },
    async renew(connector, subscription, ttlSeconds) {
      const renewed = await pushing(connector).renew(subscription, ttlSeconds);
      // PATCH answered 404: Graph no longer knows it (expired or removed): the engine makes a new one.
      if (renewed === null) throw new ConnectorError('not-found', `Graph no longer knows subscription ${subscription.resourceId}`, { remoteId: subscription.resourceId });
      return { ...subscription, expiresAt: renewed.expiresAt };
    },
    async unsubscribe(connector, subscription) {
      try {
        await pushing(connector).stopChannel(subscription);
      } catch (error) {
        if (!isConnectorError(error, 'not-found')) throw error;
      }
    },
    webhook: graphWebhook,
  },
};
