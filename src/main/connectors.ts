// Builds the connector behind a binding from its account: the composition root is the
// only place that hands connectors the real fetch. Requests to user-given URLs (CalDAV,
// ICS) go through the URL guard with connections pinned to the addresses it checked
// (src/connectors/pinned-fetch.ts); Google's hosts are the operator's configuration.
import type { GoogleConfig } from '../config.ts';
import type { Connector } from '../connectors/connector.ts';
import { googleEndpoints } from '../connectors/google/endpoints.ts';
import type { GoogleCredentials } from '../connectors/google/index.ts';
import { createUrlGuard, guardedFetch, type FetchLike, type UrlGuard } from '../connectors/http-guard.ts';
import type { PushSettings } from '../engine/push-channels.ts';
import { CalsyncError } from '../errors.ts';
import { getAccount, readCredentials, storeRenewedCredentials, type CalDavCredentials } from '../store/accounts.ts';
import type { Binding } from '../store/bindings.ts';
import type { Db } from '../store/db.ts';
import type { Secrets } from '../store/secrets.ts';

export interface ConnectorFactoryOptions {
  db: Db;
  secrets: Secrets;
  /** fetch for the operator's configured hosts (Google). */
  fetch: typeof fetch;
  guard: UrlGuard;
  /** fetch for user-given URLs, before the guard wraps it; default: pinnedFetch(guard). */
  userUrlFetch?: FetchLike;
  /** calsync's OAuth client at Google; Google accounts fail without its id. */
  google?: GoogleConfig;
  /** Seconds a CalDAV server may take to start answering; the connector's default when unset. */
  caldavTimeoutSeconds?: number;
}

/** The OAuth client and endpoints Google accounts use, or a PROVIDER_NOT_CONFIGURED error naming what is missing. */
export function googleClientConfig(google: GoogleConfig | undefined): { clientId: string; clientSecret: string | undefined; endpoints: ReturnType<typeof googleEndpoints> } {
  if (!google?.clientId) throw new CalsyncError('PROVIDER_NOT_CONFIGURED', 'CALSYNC_GOOGLE_CLIENT_ID is not set: Google accounts need calsync\'s OAuth client', { variable: 'CALSYNC_GOOGLE_CLIENT_ID' });
  return { clientId: google.clientId, clientSecret: google.clientSecret, endpoints: googleEndpoints({ apiUrl: google.apiUrl, oauthUrl: google.oauthUrl }) };
}

/** Push channels for a calsync reachable at `webhookUrl`: a week each, renewed a day before they end. */
export function pushSettings(webhookUrl: string): PushSettings {
  return { googleAddress: new URL('webhooks/google', webhookUrl.replace(/\/*$/, '/')).toString(), ttlSeconds: 7 * 86_400, renewAheadMs: 86_400_000 };
}

export function urlGuard(options: { allowPrivateUrls: boolean; allowedUrlHosts: string[] }): UrlGuard {
  return createUrlGuard({ allowPrivateNetworks: options.allowPrivateUrls, allowedHosts: options.allowedUrlHosts });
}

// Each provider's connector is loaded when a binding first needs it: Google's client
// libraries alone take about 40 ms to load, a seventh of a quiet CalDAV `calsync sync`.
export function connectorFactory(options: ConnectorFactoryOptions): (binding: Binding) => Promise<Connector> {
  let userUrlFetch: Promise<FetchLike> | undefined;
  // One pinned dispatcher per factory, so its connections are reused across passes.
  const rawUserUrlFetch = (): Promise<FetchLike> => (userUrlFetch ??= options.userUrlFetch
    ? Promise.resolve(options.userUrlFetch)
    : import('../connectors/pinned-fetch.ts').then(({ pinnedFetch }) => pinnedFetch(options.guard)));
  return async (binding) => {
    const account = await getAccount(options.db, binding.tenantId, binding.accountId);
    switch (account.provider) {
      case 'ics': {
        const { createIcsConnector } = await import('../connectors/ics/index.ts');
        // A binding names its account's feed by the label the account keeps in clear; one
        // bound before feed addresses were sealed may name another feed by its URL.
        const sealed = await readCredentials<{ url: string }>(options.db, options.secrets, binding.tenantId, account.id);
        const feedUrl = binding.remoteCalendarId === account.serverUrl ? (sealed?.url ?? account.serverUrl) : binding.remoteCalendarId;
        return createIcsConnector({ feedUrl, fetch: await rawUserUrlFetch(), guard: options.guard });
      }
      case 'caldav': {
        const { createCalDavConnector, discoverCalendars } = await import('../connectors/caldav/index.ts');
        const credentials = await readCredentials<CalDavCredentials>(options.db, options.secrets, binding.tenantId, account.id);
        if (!credentials || !account.serverUrl) throw new CalsyncError('INVALID_REQUEST', `CalDAV account ${account.id} has no server or login`, { accountId: account.id });
        const login = {
          serverUrl: account.serverUrl, username: credentials.username, password: credentials.password,
          fetch: guardedFetch(await rawUserUrlFetch(), options.guard) as typeof fetch,
          ...(options.caldavTimeoutSeconds === undefined ? {} : { requestTimeoutMs: options.caldavTimeoutSeconds * 1000 }),
        };
        let origins = credentials.origins;
        if (origins === undefined) {
          // Connected before accounts kept their origins: discovery learns them once.
          origins = (await discoverCalendars(login)).origins;
          await storeRenewedCredentials(options.db, options.secrets, binding.tenantId, account.id, { ...credentials, origins });
        }
        return createCalDavConnector({ ...login, origins });
      }
      case 'google': {
        const credentials = await readCredentials<GoogleCredentials>(options.db, options.secrets, binding.tenantId, account.id);
        if (!credentials?.refreshToken) throw new CalsyncError('INVALID_REQUEST', `Google account ${account.id} has no refresh token; connect it again`, { accountId: account.id });
        const { createGoogleConnector } = await import('../connectors/google/index.ts');
        // Google's hosts come from the operator's configuration, not from users: no URL guard.
        return createGoogleConnector({
          ...googleClientConfig(options.google), credentials, fetch: options.fetch,
          // Refreshed access tokens (and a rotated refresh token) are sealed again at once.
          onCredentials: async (next) => { await storeRenewedCredentials(options.db, options.secrets, binding.tenantId, account.id, { ...next }); },
        });
      }
      default:
        throw new CalsyncError('INVALID_REQUEST', `no connector for provider ${account.provider} (account ${account.id})`, { accountId: account.id });
    }
  };
}
