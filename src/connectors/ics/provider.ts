// ICS feeds as a provider: an account is one feed address, read once when it connects to
// check it; its one calendar is the feed, named by the label the account keeps in clear
// (the address itself is sealed: a secret address's path is its password). Read-only,
// no push: bindings import and are polled.
import { feedLabel } from '../../core/feed-label.ts';
import { CalsyncError } from '../../errors.ts';
import type { Provider } from '../provider.ts';

const https = (url: string) => url.trim().replace(/^webcal:/i, 'https:');

export const icsProvider: Provider = {
  name: 'ics',
  title: 'ICS',
  readOnly: 'ICS feeds are read-only',
  connect: {
    kind: 'credentials',
    fields: { required: ['url'], properties: { url: { type: 'string', minLength: 8, maxLength: 2048 } } },
    async connect(ctx, { url }) {
      const { createIcsConnector } = await import('./index.ts');
      const connector = createIcsConnector({ fetch: await ctx.userUrlFetch(), guard: ctx.guard });
      let events = 0;
      let page = await connector.listChanges(url!, null);
      for (;;) {
        events += page.items.length;
        if (page.nextPageToken === null) break;
        page = await connector.listChanges(url!, null, page.nextPageToken);
      }
      const label = feedLabel(url!);
      return { login: '', displayName: label, serverUrl: label, credentials: { url }, events };
    },
  },
  async listCalendars(_ctx, { account }) {
    return [{ remoteCalendarId: account.serverUrl ?? '', displayName: account.displayName, writable: false }];
  },
  /** The account's label, for its feed's address (`webcal://` read as `https://`) or that label. */
  async matchCalendar(access, remote) {
    const { account } = access;
    const sealed = await access.credentials() as { url?: string } | null;
    const address = sealed?.url ?? account.serverUrl;
    const label = account.serverUrl;
    if (address !== null && label !== null && (remote === label || https(remote) === https(address))) return label;
    throw new CalsyncError('REMOTE_CALENDAR_UNKNOWN', `account ${account.id} is the feed ${account.serverUrl}, not ${feedLabel(remote)}`, { accountId: account.id });
  },
  async connector(ctx, access, remoteCalendarId) {
    const { account } = access;
    const { createIcsConnector } = await import('./index.ts');
    // A binding names its account's feed by the label the account keeps in clear; one
    // bound before feed addresses were sealed may name another feed by its URL.
    const sealed = await access.credentials() as { url?: string } | null;
    const feedUrl = remoteCalendarId === account.serverUrl ? (sealed?.url ?? account.serverUrl) : remoteCalendarId;
    return createIcsConnector({ feedUrl, fetch: await ctx.userUrlFetch(), guard: ctx.guard });
  },
};
