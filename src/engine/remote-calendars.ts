// The remote calendars a connected account has, and the check that a binding names one
// of them: a binding of a calendar the account cannot see would fail on every pass, and
// one of another host's CalDAV calendar would have sent the account's login there. Both
// edges (`calsync bind`, POST /admin/v1/bindings) store the id as the listing gives it.
// What a calendar is and how two ids compare is each provider's (src/connectors/<name>/provider.ts).
import type { AccountAccess, ProviderSet, RemoteCalendar } from '../connectors/provider.ts';
import { CalsyncError } from '../errors.ts';
import { readCredentials, storeRenewedCredentials, type Account } from '../store/accounts.ts';
import type { Db } from '../store/db.ts';
import type { Secrets } from '../store/secrets.ts';
import { asCalsyncError } from './provider-errors.ts';

export type { RemoteCalendar } from '../connectors/provider.ts';

/** An account with its sealed credentials, opened and sealed again on the provider's asking. */
export function accountAccess(db: Db, secrets: Secrets, account: Account): AccountAccess {
  return {
    account,
    credentials: () => readCredentials(db, secrets, account.tenantId, account.id),
    saveCredentials: async (next) => { await storeRenewedCredentials(db, secrets, account.tenantId, account.id, next); },
  };
}

export async function accountCalendars(db: Db, secrets: Secrets, providers: ProviderSet, account: Account): Promise<RemoteCalendar[]> {
  const provider = await providers.get(account.provider);
  try {
    return await provider.listCalendars(providers.context, accountAccess(db, secrets, account));
  } catch (error) {
    throw asCalsyncError(error);
  }
}

/**
 * The remote calendar id a binding stores for `remote`, and the name the provider lists it
 * with (empty when it has none); REMOTE_CALENDAR_UNKNOWN unless the account has that calendar.
 */
export async function bindableRemoteCalendar(db: Db, secrets: Secrets, providers: ProviderSet, account: Account, remote: string): Promise<{ remoteCalendarId: string; remoteName: string }> {
  const provider = await providers.get(account.provider);
  const calendars = await accountCalendars(db, secrets, providers, account);
  const found = provider.matchCalendar
    ? await provider.matchCalendar(accountAccess(db, secrets, account), remote, calendars)
    : calendars.find((c) => c.remoteCalendarId === remote)?.remoteCalendarId ?? null;
  if (found === null) {
    const listed = calendars.map((c) => c.remoteCalendarId).join(', ') || 'none';
    throw new CalsyncError('REMOTE_CALENDAR_UNKNOWN', `${remote} is not one of the calendars of account ${account.id} (${listed})`, { accountId: account.id });
  }
  return { remoteCalendarId: found, remoteName: calendars.find((c) => c.remoteCalendarId === found)?.displayName ?? '' };
}
