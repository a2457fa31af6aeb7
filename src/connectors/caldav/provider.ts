// CalDAV as a provider: an account is a server URL and a login, checked by discovery
// when it connects (which also learns the origins the login may be sent to); calendars
// are the collections discovery lists. No push: bindings are polled. Requests go to
// addresses users give, so through the URL guard with connections pinned to the
// addresses it checked.
import { CalsyncError } from '../../errors.ts';
import { guardedFetch } from '../http-guard.ts';
import { requiredCredentials, type Provider, type ProviderContext } from '../provider.ts';
import type { DiscoveredCalendar, Discovery } from './discover.ts';

/** What a CalDAV account keeps sealed: its login, and the origins it may be sent to (discovery's). */
export interface CalDavCredentials {
  username: string;
  password: string;
  /** Absent on accounts connected before origins were kept: the connector learns them once. */
  origins?: string[];
}

/** The operator's settings (CALSYNC_CALDAV_TIMEOUT_SECONDS). */
export interface CalDavSettings {
  /** Seconds a server may take to start answering; the connector's default when unset. */
  timeoutSeconds?: number | undefined;
}

async function login(ctx: ProviderContext, serverUrl: string, username: string, password: string) {
  const timeoutSeconds = (ctx.settings.caldav as CalDavSettings | undefined)?.timeoutSeconds;
  return {
    serverUrl, username, password,
    fetch: guardedFetch(await ctx.userUrlFetch(), ctx.guard) as typeof fetch,
    ...(timeoutSeconds === undefined ? {} : { requestTimeoutMs: timeoutSeconds * 1000 }),
  };
}

async function discover(ctx: ProviderContext, serverUrl: string, username: string, password: string): Promise<Discovery> {
  const { discoverCalendars } = await import('./discover.ts');
  return discoverCalendars(await login(ctx, serverUrl, username, password));
}

/** Collections compare as absolute URLs ending in "/" (a path is resolved against the server); other ids as given. */
function comparable(serverUrl: string | null, id: string): string {
  if (serverUrl === null) return id;
  try {
    const url = new URL(id, serverUrl);
    if (!url.pathname.endsWith('/')) url.pathname += '/';
    return url.href;
  } catch {
    return id;
  }
}

export const caldavProvider: Provider = {
  name: 'caldav',
  title: 'CalDAV',
  connect: {
    kind: 'credentials',
    fields: {
      required: ['serverUrl', 'username', 'password'],
      properties: {
        serverUrl: { type: 'string', minLength: 8, maxLength: 2048 },
        username: { type: 'string', minLength: 1, maxLength: 512 }, password: { type: 'string', minLength: 1, maxLength: 1024 },
      },
    },
    async connect(ctx, { serverUrl, username, password }) {
      const discovery = await discover(ctx, serverUrl!, username!, password!);
      return {
        login: username!, displayName: username!, serverUrl: serverUrl!,
        credentials: { username: username!, password: password!, origins: discovery.origins } satisfies CalDavCredentials, calendars: discovery.calendars,
      };
    },
  },
  async listCalendars(ctx, access): Promise<DiscoveredCalendar[]> {
    const { account } = access;
    const credentials = await requiredCredentials<CalDavCredentials>(access);
    if (account.serverUrl === null) throw new CalsyncError('INVALID_REQUEST', `CalDAV account ${account.id} has no server`, { accountId: account.id });
    const discovery = await discover(ctx, account.serverUrl, credentials.username, credentials.password);
    // Homes a server moved since the account was connected are its origins now.
    if (JSON.stringify(discovery.origins) !== JSON.stringify(credentials.origins)) await access.saveCredentials({ ...credentials, origins: discovery.origins });
    return discovery.calendars;
  },
  async matchCalendar({ account }, remote, calendars) {
    const wanted = comparable(account.serverUrl, remote);
    return calendars.find((c) => comparable(account.serverUrl, c.remoteCalendarId) === wanted)?.remoteCalendarId ?? null;
  },
  async connector(ctx, access) {
    const { account } = access;
    const credentials = await access.credentials() as CalDavCredentials | null;
    if (!credentials || !account.serverUrl) throw new CalsyncError('INVALID_REQUEST', `CalDAV account ${account.id} has no server or login`, { accountId: account.id });
    const { createCalDavConnector, discoverCalendars } = await import('./index.ts');
    const options = await login(ctx, account.serverUrl, credentials.username, credentials.password);
    let origins = credentials.origins;
    if (origins === undefined) {
      // Connected before accounts kept their origins: discovery learns them once.
      origins = (await discoverCalendars(options)).origins;
      await access.saveCredentials({ ...credentials, origins });
    }
    return createCalDavConnector({ ...options, origins });
  },
};
