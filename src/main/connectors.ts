// Builds the connector behind a binding from its account: the composition root is the
// only place that hands providers the real fetch. Requests to user-given URLs (CalDAV,
// ICS) go through the URL guard with connections pinned to the addresses it checked
// (src/connectors/pinned-fetch.ts); Google's and Microsoft's hosts are the operator's configuration.
// Which provider builds it is the registry's answer (src/connectors/registry.ts).
import type { GoogleConfig, MicrosoftConfig } from '../config.ts';
import type { Connector } from '../connectors/connector.ts';
import { createUrlGuard, type FetchLike, type UrlGuard } from '../connectors/http-guard.ts';
import type { ProviderContext, Providers, ProviderSet } from '../connectors/provider.ts';
import { providers as registered } from '../connectors/registry.ts';
import type { PushSettings } from '../engine/push-channels.ts';
import { accountAccess } from '../engine/remote-calendars.ts';
import { CalsyncError } from '../errors.ts';
import { getAccount } from '../store/accounts.ts';
import type { Binding } from '../store/bindings.ts';
import type { Db } from '../store/db.ts';
import type { Secrets } from '../store/secrets.ts';

export interface ProviderContextOptions {
  /** fetch for the operator's configured hosts (Google's, Microsoft's). */
  fetch: typeof fetch;
  guard: UrlGuard;
  /** fetch for user-given URLs, before the guard wraps it; default: pinnedFetch(guard). */
  userUrlFetch?: FetchLike;
  /** calsync's OAuth client at Google; Google accounts fail without its id. */
  google?: GoogleConfig;
  /** calsync's app registration at Microsoft; Microsoft accounts fail without its id. */
  microsoft?: MicrosoftConfig;
  /** Seconds a CalDAV server may take to start answering; the connector's default when unset. */
  caldavTimeoutSeconds?: number;
}

export interface ConnectorFactoryOptions extends ProviderContextOptions {
  db: Db;
  secrets: Secrets;
  /** Default: the registered providers. */
  providers?: Providers;
}

/** The outside world providers are called with; each provider reads its own settings. */
export function providerContext(options: ProviderContextOptions): ProviderContext {
  let userUrlFetch: Promise<FetchLike> | undefined;
  return {
    fetch: options.fetch,
    guard: options.guard,
    // One pinned dispatcher per context, so its connections are reused across passes.
    // undici costs about 0.1 s to load, so only the CalDAV and ICS paths load it.
    userUrlFetch: () => (userUrlFetch ??= options.userUrlFetch
      ? Promise.resolve(options.userUrlFetch)
      : import('../connectors/pinned-fetch.ts').then(({ pinnedFetch }) => pinnedFetch(options.guard))),
    settings: {
      ...(options.google ? { google: options.google } : {}),
      ...(options.microsoft ? { microsoft: options.microsoft } : {}),
      caldav: { timeoutSeconds: options.caldavTimeoutSeconds },
    },
  };
}

/** The registered providers (or `providers`) with a context made from `options`. */
export function providerSet(options: ProviderContextOptions, providers: Providers = registered): ProviderSet {
  return { names: providers.names, get: (name) => providers.get(name), context: providerContext(options) };
}

/** Push subscriptions for a calsync reachable at `webhookUrl`; each provider's arrive at /webhooks/<provider>. */
export function pushSettings(webhookUrl: string): PushSettings {
  return { webhookUrl };
}

export function urlGuard(options: { allowPrivateUrls: boolean; allowedUrlHosts: string[] }): UrlGuard {
  return createUrlGuard({ allowPrivateNetworks: options.allowPrivateUrls, allowedHosts: options.allowedUrlHosts });
}

// Each provider is loaded when a binding first needs it (src/connectors/registry.ts).
export function connectorFactory(options: ConnectorFactoryOptions): (binding: Binding) => Promise<Connector> {
  const providers = options.providers ?? registered;
  const context = providerContext(options);
  return async (binding) => {
    const account = await getAccount(options.db, binding.tenantId, binding.accountId);
    if (!providers.names.includes(account.provider)) {
      throw new CalsyncError('INVALID_REQUEST', `no connector for provider ${account.provider} (account ${account.id})`, { accountId: account.id });
    }
    const provider = await providers.get(account.provider);
    return provider.connector(context, accountAccess(options.db, options.secrets, account), binding.remoteCalendarId);
  };
}
