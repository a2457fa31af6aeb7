// Full listings between one listChanges page and the next: Google's page token and the
// recurring resources held for the last page. One left idle is dropped, and its token
// fails as transient, so the pass lists again from its stored cursor.
import { randomUUID } from 'node:crypto';
import type { HeldListing } from './listing.ts';

export const FULL = 'gf:';

export class HeldListings {
  private readonly open = new Map<string, { listing: HeldListing; timer: NodeJS.Timeout }>();

  constructor(private readonly idleMs: number) {}

  park(listing: HeldListing): string {
    const token = `${FULL}${randomUUID()}`;
    const timer = setTimeout(() => this.open.delete(token), this.idleMs);
    timer.unref();
    this.open.set(token, { listing, timer });
    return token;
  }

  take(token: string): HeldListing | null {
    const entry = this.open.get(token);
    if (!entry) return null;
    clearTimeout(entry.timer);
    this.open.delete(token);
    return entry.listing;
  }

  clear(): void {
    for (const { timer } of this.open.values()) clearTimeout(timer);
    this.open.clear();
  }
}
