// Whether the sandbox may start. It never starts next to real providers: not with an
// OAuth client of Google's or Microsoft's configured, and not on a database that holds
// accounts outside the sandbox's own tenant. Asked for (`calsync sandbox`) it refuses
// with the reason; offered (`calsync serve` on a fresh install) it just does not start.
import type { Config } from '../../config.ts';
import { CalsyncError } from '../../errors.ts';
import type { Queryable } from '../../store/db.ts';
import { realSetup } from '../../store/sandbox-tenants.ts';

export type SandboxMode = 'offer' | 'require';

/** The variables that configure a real provider, of those set. */
export function realProviderSettings(config: Config): string[] {
  return [
    config.google.clientId !== undefined ? 'CALSYNC_GOOGLE_CLIENT_ID' : null,
    config.google.clientSecret !== undefined ? 'CALSYNC_GOOGLE_CLIENT_SECRET' : null,
    config.microsoft.clientId !== undefined ? 'CALSYNC_MICROSOFT_CLIENT_ID' : null,
    config.microsoft.clientSecret !== undefined ? 'CALSYNC_MICROSOFT_CLIENT_SECRET' : null,
  ].filter((name): name is string => name !== null);
}

/** Refuses `calsync sandbox` beside a configured provider, before anything is opened. */
export function checkSandboxConfig(config: Config): void {
  const set = realProviderSettings(config);
  if (set.length > 0) {
    throw new CalsyncError('SANDBOX_REFUSED', `the sandbox does not start next to real providers: ${set.join(' and ')} ${set.length === 1 ? 'is' : 'are'} set`, { variables: set });
  }
}

/** Whether `serve` may offer the sandbox before it opens the database: embedded, not turned off, no provider configured. */
export function mayOfferSandbox(config: Config): boolean {
  return config.sandbox === 'auto' && config.databaseUrl === undefined && realProviderSettings(config).length === 0;
}

/** With the database open: whether the sandbox starts (offer), or throws why not (require). */
export async function sandboxAllowed(db: Queryable, mode: SandboxMode): Promise<boolean> {
  const setup = await realSetup(db);
  if (mode === 'require') {
    if (setup.accounts > 0) {
      throw new CalsyncError('SANDBOX_REFUSED', `the sandbox does not start next to real providers: the database holds ${setup.accounts} account${setup.accounts === 1 ? '' : 's'} outside the sandbox's tenant`, { accounts: setup.accounts });
    }
    return true;
  }
  // Offered only where nothing is set up yet: an app's own calendars count too.
  return setup.accounts === 0 && setup.calendars === 0;
}
