// Builds the connector behind a binding from its account: the composition root is the
// only place that hands connectors the real fetch.
import type { Connector } from '../connectors/connector.ts';
import { createUrlGuard, type UrlGuard } from '../connectors/http-guard.ts';
import { createIcsConnector } from '../connectors/ics/index.ts';
import { CalsyncError } from '../errors.ts';
import { getAccount } from '../store/accounts.ts';
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
      default:
        throw new CalsyncError('INVALID_REQUEST', `no connector for provider ${account.provider} (account ${account.id})`, { accountId: account.id });
    }
  };
}
