// Listings in progress between one listChanges page and the next, each under a token the
// page hands out. One left idle is dropped (and closed, when its connector says how), so
// its token then fails and the pass lists again from its stored cursor.
import { randomUUID } from 'node:crypto';

export class ParkedListings<T> {
  private readonly open = new Map<string, { listing: T; timer: NodeJS.Timeout }>();

  constructor(
    private readonly idleMs: number,
    private readonly options: { tokenPrefix?: string; close?: (listing: T) => Promise<unknown> } = {},
  ) {}

  park(listing: T): string {
    const token = `${this.options.tokenPrefix ?? ''}${randomUUID()}`;
    const timer = setTimeout(() => {
      this.open.delete(token);
      void this.close(listing);
    }, this.idleMs);
    timer.unref();
    this.open.set(token, { listing, timer });
    return token;
  }

  take(token: string): T | null {
    const entry = this.open.get(token);
    if (!entry) return null;
    clearTimeout(entry.timer);
    this.open.delete(token);
    return entry.listing;
  }

  /** Drops every parked listing, closing each. */
  async closeAll(): Promise<void> {
    const entries = [...this.open.values()];
    this.open.clear();
    for (const { listing, timer } of entries) {
      clearTimeout(timer);
      await this.close(listing);
    }
  }

  private async close(listing: T): Promise<void> {
    await this.options.close?.(listing).catch(() => undefined);
  }
}
