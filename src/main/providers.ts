// Provider probes used while connecting an account: Google with the real fetch, CalDAV
// and ICS through the URL guard with connections pinned to checked addresses.
import type { Config } from '../config.ts';
import { discoverCalendars } from '../connectors/caldav/index.ts';
import { guardedFetch } from '../connectors/http-guard.ts';
import type { GoogleCredentials } from '../connectors/google/index.ts';
import { authorizationRequest, exchangeCode, listGoogleCalendars } from '../connectors/google/oauth.ts';
import { createIcsConnector } from '../connectors/ics/index.ts';
import { pinnedFetch } from '../connectors/pinned-fetch.ts';
import { CalsyncError } from '../errors.ts';
import type { GoogleAuthorization, ProviderProbes } from '../http/providers.ts';
import type { CalDavCredentials } from '../store/accounts.ts';
import { googleClientConfig, urlGuard } from './connectors.ts';

/** Google's OAuth flow with calsync's client; its hosts are the operator's configuration, so no URL guard. */
export function googleAuthorization(google: Config['google'] | undefined, fetch: typeof globalThis.fetch = globalThis.fetch): GoogleAuthorization {
  const client = () => ({ ...googleClientConfig(google), fetch });
  return {
    authorizationRequest: (input) => authorizationRequest(client(), input),
    async connect(input) {
      const credentials = await exchangeCode(client(), input);
      return { credentials, ...(await listGoogleCalendars(client(), credentials)) };
    },
  };
}

export function providerProbes(config: Pick<Config, 'allowPrivateUrls' | 'allowedUrlHosts'> & Partial<Pick<Config, 'google' | 'caldavTimeoutSeconds'>>): ProviderProbes {
  const guard = urlGuard(config);
  const fetch = pinnedFetch(guard);
  const discoverCalDav: ProviderProbes['discoverCalDav'] = (login) => discoverCalendars({
    ...login, fetch: guardedFetch(fetch, guard) as typeof globalThis.fetch,
    ...(config.caldavTimeoutSeconds === undefined ? {} : { requestTimeoutMs: config.caldavTimeoutSeconds * 1000 }),
  });
  return {
    google: googleAuthorization(config.google),
    discoverCalDav,
    async listCalendars(account, credentials, save) {
      if (account.provider === 'caldav' && account.serverUrl !== null) {
        const login = credentials as unknown as CalDavCredentials;
        const discovery = await discoverCalDav({ serverUrl: account.serverUrl, username: login.username, password: login.password });
        // Homes a server moved since the account was connected are its origins now.
        if (JSON.stringify(discovery.origins) !== JSON.stringify(login.origins)) await save({ ...login, origins: discovery.origins });
        return discovery.calendars;
      }
      if (account.provider === 'google') {
        const client = { ...googleClientConfig(config.google), fetch: globalThis.fetch, onCredentials: (next: GoogleCredentials) => save({ ...next }) };
        return (await listGoogleCalendars(client, credentials as unknown as GoogleCredentials)).calendars;
      }
      throw new CalsyncError('INVALID_REQUEST', `account ${account.id} is a ${account.provider} account, whose calendars calsync cannot list`, { accountId: account.id });
    },
    async probeIcs(url) {
      const connector = createIcsConnector({ fetch, guard });
      let count = 0;
      let page = await connector.listChanges(url, null);
      for (;;) {
        count += page.items.length;
        if (page.nextPageToken === null) return count;
        page = await connector.listChanges(url, null, page.nextPageToken);
      }
    },
  };
}
