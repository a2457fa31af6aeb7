// Listings in progress, between one listChanges page and the next. A listing holds
// an open multistatus stream (paused: the server waits on the socket) or a list of
// hrefs still to fetch, never the bodies of later pages. One left idle is closed.
import { randomUUID } from 'node:crypto';
import type { RemoteItem } from '../connector.ts';

/** Yields items and returns the cursor for after them. */
export type Listing = AsyncGenerator<RemoteItem, string, undefined>;

export class ListingPages {
  private readonly open = new Map<string, { listing: Listing; timer: NodeJS.Timeout }>();

  constructor(private readonly idleMs: number) {}

  park(listing: Listing): string {
    const token = randomUUID();
    const timer = setTimeout(() => {
      this.open.delete(token);
      void listing.return('').catch(() => undefined);
    }, this.idleMs);
    timer.unref();
    this.open.set(token, { listing, timer });
    return token;
  }

  take(token: string): Listing | null {
    const entry = this.open.get(token);
    if (!entry) return null;
    clearTimeout(entry.timer);
    this.open.delete(token);
    return entry.listing;
  }

  /** Closes every open listing (their connections are released). */
  async closeAll(): Promise<void> {
    const entries = [...this.open.values()];
    this.open.clear();
    for (const { listing, timer } of entries) {
      clearTimeout(timer);
      await listing.return('').catch(() => undefined);
    }
  }
}
