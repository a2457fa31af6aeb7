// The remote calendars a connected account has, and the check that a binding names one
// of them: a binding of a calendar the account cannot see would fail on every pass, and
// one of another host's CalDAV calendar would have sent the account's login there. Both
// edges (`calsync bind`, POST /admin/v1/bindings) store the id as the listing gives it.
import type { DiscoveredCalendar } from '../connectors/caldav/index.ts';
import type { GoogleCalendarEntry } from '../connectors/google/oauth.ts';
import { CalsyncError } from '../errors.ts';
import { feedLabel, feedRemoteCalendarId, readCredentials, storeRenewedCredentials, type Account } from '../store/accounts.ts';
import type { Db } from '../store/db.ts';
import type { Secrets } from '../store/secrets.ts';
import { asCalsyncError } from './provider-errors.ts';

/** A CalDAV collection, a Google calendar, or an ICS account's one feed. */
export type RemoteCalendar = DiscoveredCalendar | GoogleCalendarEntry | { remoteCalendarId: string; displayName: string; writable: false };

export interface CalendarLister {
  /**
   * The calendars of a CalDAV or Google account, listed with its credentials; credentials
   * the listing changed (a refreshed token, CalDAV origins) are handed to `save`.
   */
  listCalendars(account: Account, credentials: Record<string, unknown>, save: (credentials: Record<string, unknown>) => Promise<void>): Promise<RemoteCalendar[]>;
}

export async function accountCalendars(db: Db, secrets: Secrets, lister: CalendarLister, account: Account): Promise<RemoteCalendar[]> {
  if (account.provider === 'ics') return [{ remoteCalendarId: account.serverUrl ?? '', displayName: account.displayName, writable: false }];
  const credentials = await readCredentials(db, secrets, account.tenantId, account.id);
  if (credentials === null) throw new CalsyncError('INVALID_REQUEST', `account ${account.id} has no credentials: connect it again`, { accountId: account.id });
  try {
    return await lister.listCalendars(account, credentials, async (next) => { await storeRenewedCredentials(db, secrets, account.tenantId, account.id, next); });
  } catch (error) {
    throw asCalsyncError(error);
  }
}

/** The remote calendar id a binding stores for `remote`; REMOTE_CALENDAR_UNKNOWN unless the account has that calendar. */
export async function bindableRemoteCalendar(db: Db, secrets: Secrets, lister: CalendarLister, account: Account, remote: string): Promise<string> {
  if (account.provider === 'ics') {
    const id = await feedRemoteCalendarId(db, secrets, account, remote);
    if (id === null) throw new CalsyncError('REMOTE_CALENDAR_UNKNOWN', `account ${account.id} is the feed ${account.serverUrl}, not ${feedLabel(remote)}`, { accountId: account.id });
    return id;
  }
  const calendars = await accountCalendars(db, secrets, lister, account);
  const wanted = comparable(account, remote);
  const found = calendars.find((c) => comparable(account, c.remoteCalendarId) === wanted)
    // Google's alias for the account's own calendar.
    ?? (account.provider === 'google' && remote === 'primary' ? calendars.find((c) => 'primary' in c && c.primary) : undefined);
  if (found === undefined) {
    const listed = calendars.map((c) => c.remoteCalendarId).join(', ') || 'none';
    throw new CalsyncError('REMOTE_CALENDAR_UNKNOWN', `${remote} is not one of the calendars of account ${account.id} (${listed})`, { accountId: account.id });
  }
  return found.remoteCalendarId;
}

/** CalDAV collections compare as absolute URLs ending in "/" (a path is resolved against the server); other ids as given. */
function comparable(account: Account, id: string): string {
  if (account.provider !== 'caldav' || account.serverUrl === null) return id;
  try {
    const url = new URL(id, account.serverUrl);
    if (!url.pathname.endsWith('/')) url.pathname += '/';
    return url.href;
  } catch {
    return id;
  }
}
