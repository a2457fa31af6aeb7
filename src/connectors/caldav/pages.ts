// Listings in progress, between one listChanges page and the next. A listing holds
// an open multistatus stream (paused: the server waits on the socket) or a list of
// hrefs still to fetch, never the bodies of later pages. One left idle is closed, which
// releases its connection.
import type { RemoteItem, UnreadableItem } from '../connector.ts';
import { ParkedListings } from '../parked-listings.ts';

/** Yields items, and members it could not read, and returns the cursor for after them. */
export type Listing = AsyncGenerator<RemoteItem | UnreadableItem, string, undefined>;

export function listingPages(idleMs: number): ParkedListings<Listing> {
  return new ParkedListings<Listing>(idleMs, { close: (listing) => listing.return('') });
}
