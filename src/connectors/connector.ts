// The interface every provider connector implements (Google Calendar v3, Microsoft
// Graph, CalDAV, ICS feeds, the in-memory fake). A sync pass only talks to providers
// through it; test/connectors/contract.ts states its behaviour as tests that every
// connector runs.
import type { CalsyncId, EventSeries, RemoteItem } from '../core/model.ts';

// One item as the provider holds it: defined with the model, since the planner reads it.
export type { RemoteDeletedItem, RemoteItem, RemoteLiveItem } from '../core/model.ts';

/**
 * An item the provider holds that its connector could not read: iCalendar that does not
 * parse, several UIDs in one CalDAV resource, a payload the map refuses. A pass
 * quarantines it with its reason and goes on with its neighbours; in a complete listing
 * it still counts as present, so its calendar copy (if any) is not deleted.
 */
export interface UnreadableItem {
  remoteId: string;
  etag: string | null;
  /** Why it could not be read, in words an operator can act on. */
  reason: string;
  /** The payload as the provider sent it, cut to `maxUnreadableRaw` characters, or null. */
  raw: string | null;
  calsyncId: CalsyncId | null;
  updatedAt: string | null;
}

/** How much of an unreadable item's payload is kept for the operator. */
export const maxUnreadableRaw = 64 * 1024;

export function unreadableItem(remoteId: string, reason: string, raw: string | null, extra: Partial<Pick<UnreadableItem, 'etag' | 'calsyncId' | 'updatedAt'>> = {}): UnreadableItem {
  return {
    remoteId, reason, raw: raw === null ? null : raw.slice(0, maxUnreadableRaw),
    etag: extra.etag ?? null, calsyncId: extra.calsyncId ?? null, updatedAt: extra.updatedAt ?? null,
  };
}

export interface ChangePage {
  items: RemoteItem[];
  /** Items of this page that could not be read; absent means none. */
  unreadable?: UnreadableItem[];
  /** Pass back to `listChanges` with the same cursor for the next page; null on the last. */
  nextPageToken: string | null;
  /** On the last page: the cursor to store after the pass has applied every page. */
  nextCursor: string | null;
  /**
   * True when the listing (cursor null) holds every live item, so an item missing from
   * it is gone; false for incremental changes, where absence means "unchanged".
   */
  complete: boolean;
}

export interface WriteResult {
  remoteId: string;
  etag: string;
  /** The written version's last-modified instant, when the answer carries one (Google, Graph; not CalDAV). */
  updatedAt?: string | null;
}

export interface ConnectorCapabilities {
  /** The provider pushes change notifications (Google watch, Graph subscriptions). */
  push: boolean;
  /** Incremental reads with a cursor (Google syncToken, Graph deltaLink, RFC 6578). */
  syncTokens: boolean;
  /** create/update/delete are available (false for ICS feeds). */
  writable: boolean;
  /** update and delete honour `ifMatch`. */
  conditionalWrites: boolean;
  /** A listing only covers a time window (Graph calendarView delta); absence outside it is not deletion. */
  windowed: boolean;
  /**
   * A change listing is the difference between the snapshots at two cursors, so an item
   * made after a cursor and deleted before the next listing is never reported (Xandikos's
   * sync-collection, an ICS feed's digests). Google and Graph report such deletions.
   * A connector may know better for a given cursor: `keepsDeletionsSince`.
   */
  snapshotDiffs: boolean;
}

export type ConnectorErrorKind =
  /** The cursor is no longer valid (Google 410, Graph syncStateNotFound, WebDAV valid-sync-token): resync in full. */
  | 'cursor-expired'
  /** `ifMatch` did not match (HTTP 412): pull and merge, then write again. */
  | 'precondition-failed'
  /** Slow down (HTTP 429, Google 403 rateLimitExceeded); `retryAfterSeconds` when the provider said. */
  | 'rate-limited'
  /** The grant or password no longer works (401, invalid_grant): pause the binding. */
  | 'auth-revoked'
  /** The item does not exist (update of a deleted item). */
  | 'not-found'
  /** Retrying will not help (400, 403 forbidden, unsupported content). */
  | 'permanent'
  /** Retrying may help (5xx, network). */
  | 'transient';

export class ConnectorError extends Error {
  override readonly name = 'ConnectorError';
  readonly retryAfterSeconds: number | null;
  readonly remoteId: string | null;
  constructor(
    readonly kind: ConnectorErrorKind,
    message: string,
    options: { retryAfterSeconds?: number | null; remoteId?: string | null; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryAfterSeconds = options.retryAfterSeconds ?? null;
    this.remoteId = options.remoteId ?? null;
  }
}

export function isConnectorError(error: unknown, kind?: ConnectorErrorKind): error is ConnectorError {
  return error instanceof ConnectorError && (kind === undefined || error.kind === kind);
}

export interface Connector {
  readonly capabilities: ConnectorCapabilities;

  /**
   * One page of changes. `cursor` null lists every live item (`complete`); a cursor lists
   * what changed since it, deletions included. Throws `cursor-expired` when the cursor is
   * too old. Items reflect their state when read; the same item may appear more than once
   * and in any order, so callers keep the last occurrence of each remote id.
   */
  listChanges(remoteCalendarId: string, cursor: string | null, pageToken?: string): Promise<ChangePage>;

  /**
   * Creates the item stamped with `calsyncId`. Idempotent: while an item stamped with the
   * same calsyncId exists in the remote calendar, it is returned instead of a second one
   * (Google client-chosen id, Graph transactionId, CalDAV If-None-Match on a
   * deterministic href).
   */
  create(remoteCalendarId: string, series: EventSeries, options: { calsyncId: CalsyncId }): Promise<WriteResult>;

  /**
   * Replaces the item. With `ifMatch`, throws `precondition-failed` unless it is the
   * current etag. Throws `not-found` when the item is gone (with `ifMatch`, a connector
   * may answer `precondition-failed` instead, as HTTP's 412 does). Keeps the calsync stamp.
   */
  update(remoteCalendarId: string, remoteId: string, series: EventSeries, options: { ifMatch: string | null }): Promise<WriteResult>;

  /**
   * Deletes the item. With `ifMatch`, throws `precondition-failed` unless it is the
   * current etag. Deleting an item that is already gone succeeds, so a retry is safe.
   */
  delete(remoteCalendarId: string, remoteId: string, options: { ifMatch: string | null }): Promise<void>;

  /**
   * One item as the provider holds it now, or a deleted item when it is gone. Optional:
   * a pass uses it after a write was refused by If-Match, to merge with what is there in
   * the same pass instead of waiting for a listing (which may never show it, when a
   * provider's listing lagged or skipped that version).
   */
  read?(remoteCalendarId: string, remoteId: string): Promise<RemoteItem>;

  /**
   * Where `capabilities.snapshotDiffs` is true: whether listings since this cursor report
   * items made after it and deleted since all the same (a server that keeps a history of
   * deletions, as Radicale does for its sync tokens). Optional: absent, they do not.
   */
  keepsDeletionsSince?(cursor: string): boolean;
}

/** A push channel a provider made for one remote calendar (Google `events.watch`). */
export interface PushChannel {
  id: string;
  /** The provider's id of the watched resource; stopping a channel needs it. */
  resourceId: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/** Connectors whose provider pushes change notifications (`capabilities.push`). */
export interface PushSubscriptions {
  /** Asks the provider to POST a notification to `address` after every change of the calendar. */
  watch(remoteCalendarId: string, channel: { id: string; token: string; address: string; ttlSeconds: number }): Promise<PushChannel>;
  /** Stops a channel; one the provider no longer knows is stopped already. */
  stopChannel(channel: { id: string; resourceId: string }): Promise<void>;
}

export function canSubscribe(connector: Connector): connector is Connector & PushSubscriptions {
  return connector.capabilities.push && typeof (connector as Partial<PushSubscriptions>).watch === 'function';
}
