// Builds the connector behind a binding from its account: the composition root is the
// only place that hands connectors the real fetch.
import { createCalDavConnector } from '../connectors/caldav/index.ts';
import type { Connector } from '../connectors/connector.ts';
import { createUrlGuard, guardedFetch, type UrlGuard } from '../connectors/http-guard.ts';
import { createIcsConnector } from '../connectors/ics/index.ts';
import { CalsyncError } from '../errors.ts';
import { getAccount, readCredentials } from '../store/accounts.ts';
import type { Binding } from '../store/bindings.ts';
import type { Db } from '../store/db.ts';
import type { Secrets } from '../store/secrets.ts';

export interface ConnectorFactoryOptions {
  db: Db;
  secrets: Secrets;
  fetch: typeof fetch;
  guard: UrlGuard;
}

export function urlGuard(options: { allowPrivateUrls: boolean; allowedUrlHosts: string[] }): UrlGuard {
  return createUrlGuard({ allowPrivateNetworks: options.allowPrivateUrls, allowedHosts: options.allowedUrlHosts });
}

export function connectorFactory(options: ConnectorFactoryOptions): (binding: Binding) => Promise<Connector> {
  return async (binding) => {
    const account = await getAccount(options.db, binding.tenantId, binding.accountId);
    switch (account.provider) {
      case 'ics':
        return createIcsConnector({ fetch: options.fetch, guard: options.guard });
      case 'caldav': {
        const credentials = await readCredentials<{ username: string; password: string }>(options.db, options.secrets, binding.tenantId, account.id);
        if (!credentials || !account.serverUrl) throw new CalsyncError('INVALID_REQUEST', `CalDAV account ${account.id} has no server or login`, { accountId: account.id });
        return createCalDavConnector({
          serverUrl: account.serverUrl, username: credentials.username, password: credentials.password,
          fetch: guardedFetch(options.fetch, options.guard) as typeof fetch,
        });
      }
      default:
        throw new CalsyncError('INVALID_REQUEST', `no connector for provider ${account.provider} (account ${account.id})`, { accountId: account.id });
    }
  };
}
