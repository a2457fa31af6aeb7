// Provider probes used while connecting an account, with the real fetch and the URL guard.
import type { Config } from '../config.ts';
import { discoverCalendars } from '../connectors/caldav/index.ts';
import { guardedFetch } from '../connectors/http-guard.ts';
import { createIcsConnector } from '../connectors/ics/index.ts';
import type { ProviderProbes } from '../http/providers.ts';
import { urlGuard } from './connectors.ts';

export function providerProbes(config: Pick<Config, 'allowPrivateUrls' | 'allowedUrlHosts'>): ProviderProbes {
  const guard = urlGuard(config);
  return {
    discoverCalDav: (login) => discoverCalendars({ ...login, fetch: guardedFetch(globalThis.fetch, guard) as typeof fetch }),
    async probeIcs(url) {
      const connector = createIcsConnector({ fetch: globalThis.fetch, guard });
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
