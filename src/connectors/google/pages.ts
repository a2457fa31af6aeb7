// Full listings between one listChanges page and the next: Google's page token and the
// recurring resources held for the last page. One left idle is dropped, and its token
// fails as transient, so the pass lists again from its stored cursor.
import { ParkedListings } from '../parked-listings.ts';
import type { HeldListing } from './listing.ts';

/** Marks the page tokens of full listings, told apart from Google's own change-listing tokens. */
export const FULL = 'gf:';

export function heldListings(idleMs: number): ParkedListings<HeldListing> {
  return new ParkedListings<HeldListing>(idleMs, { tokenPrefix: FULL });
}
