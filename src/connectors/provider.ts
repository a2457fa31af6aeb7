// What a provider is to the rest of calsync: how an account connects and lists its
// calendars, how a binding's connector is built, how its push subscriptions are made,
// renewed and stopped, and how its webhook notifications are checked. Each provider
// folder exports one object implementing it (`<folder>/provider.ts`), and
// src/connectors/registry.ts lists them; nothing outside a provider's folder switches on
// its name. The composition root supplies the outside world (ProviderContext), the engine
// and the edges supply the account's sealed credentials (AccountAccess).
import { CalsyncError } from '../errors.ts';
import type { Connector } from './connector.ts';
import type { FetchLike, UrlGuard } from './http-guard.ts';

/** A provider's sealed credentials, opened: its own shape (OAuth tokens, a login, a feed address). */
export type Credentials = Record<string, unknown>;

/** The outside world as the composition root hands it to providers. */
export interface ProviderContext {
  /** fetch for hosts the operator configured (Google's, Graph's): no URL guard. */
  fetch: typeof fetch;
  /** fetch for addresses users give (CalDAV, ICS), connections pinned to checked addresses; not yet wrapped by the guard. */
  userUrlFetch(): Promise<FetchLike>;
  guard: UrlGuard;
  /** The operator's settings by provider name (an OAuth client, a timeout), each read by its own provider. */
  settings: Readonly<Record<string, object | undefined>>;
}

/** What a provider sees of an account. */
export interface ProviderAccount {
  id: string;
  login: string;
  displayName: string;
  serverUrl: string | null;
}

/** An account and its sealed credentials, as the engine or an edge opens them. */
export interface AccountAccess {
  account: ProviderAccount;
  /** The opened credentials; null when the account keeps none. */
  credentials(): Promise<Credentials | null>;
  /** Seals credentials a provider renewed (a refreshed or rotated token, learnt origins) at once. */
  saveCredentials(next: Credentials): Promise<void>;
}

/** A calendar an account can bind, as its provider lists it (providers add members of their own). */
export interface RemoteCalendar {
  remoteCalendarId: string;
  /** Null when the server names none (a CalDAV collection without displayname). */
  displayName: string | null;
  writable: boolean;
}

/** An account a provider has just connected, before calsync stores it. */
export interface ConnectedAccount {
  login: string;
  displayName: string;
  serverUrl: string | null;
  credentials: Credentials;
  /** The account's calendars, when connecting listed them. */
  calendars?: RemoteCalendar[];
  /** The number of event series read, for a feed that was read once to check it. */
  events?: number;
}

/** OAuth 2.0 authorization code with PKCE (Google, Microsoft): consent in a browser, then the code. */
export interface OAuthConnect {
  kind: 'oauth';
  /** The consent URL for `redirectUri` with `state`, and the PKCE verifier to keep until the code comes back. */
  authorize(ctx: ProviderContext, input: { redirectUri: string; state: string; loginHint?: string }): Promise<{ url: string; codeVerifier: string }>;
  /** The code exchanged for tokens; the account's address (`login`) and calendars. */
  complete(ctx: ProviderContext, input: { code: string; codeVerifier: string; redirectUri: string }): Promise<ConnectedAccount & { calendars: RemoteCalendar[] }>;
}

/** A login or an address given in the request (CalDAV, ICS), checked against the server before it is stored. */
export interface CredentialsConnect {
  kind: 'credentials';
  /** The request's fields besides `provider` and `displayName`, as JSON schema (the admin API's body and its documentation). */
  fields: { required: readonly string[]; properties: Readonly<Record<string, object>> };
  /** Probes the server with the fields; the account to store. */
  connect(ctx: ProviderContext, fields: Record<string, string>): Promise<ConnectedAccount>;
}

/** A subscription as the provider made it. */
export interface Subscription {
  id: string;
  /** The provider's id of the watched resource (Google's resourceId, Graph's resource path); stopping may need it. */
  resourceId: string;
  /** Epoch milliseconds: the expiry the provider answered, which may be sooner than asked. */
  expiresAt: number;
  /** The provider's own data about the subscription, stored with it and handed back to `renew`. */
  extras?: Record<string, unknown>;
  /** Making it proved that notifications arrive (Graph validates the address first); else its first message confirms it. */
  confirmed?: boolean;
}

/** What a webhook request looks like to a provider's verifier. */
export interface InboundRequest {
  /** A header's first value, trimmed; '' when absent. */
  header(name: string): string;
  /** The query string's parameters, each its first value. */
  query: Readonly<Record<string, string>>;
  /** The raw body (empty when none), read before anything parses it. */
  body: Buffer;
}

/**
 * One notification a request carries. `kind`: `confirmed` says the subscription works
 * and nothing changed (Google's `sync` message); `changed` asks for a pass; `resubscribe`
 * asks for the subscription to be renewed or made again (Graph's
 * `reauthorizationRequired` and `subscriptionRemoved` lifecycle notifications).
 */
export interface Notification {
  subscriptionId: string;
  /** What the provider echoes from the subscription (Google's channel token, Graph's clientState). */
  secret: string;
  /** The watched resource's id when the notification names it; '' when not. */
  resourceId: string;
  kind: 'confirmed' | 'changed' | 'resubscribe';
}

/** The provider's answer to a webhook request: one it gives itself, or the notifications it carries. */
export type WebhookReading =
  /** Answered here, nothing queued: a validation handshake (Graph's `validationToken` echo) or a request that is no notification. */
  | { answer: { status: number; contentType?: string; body?: string | object } }
  | { notifications: Notification[] };

export interface WebhookVerifier {
  /** The largest body accepted (Google's notifications have none; Graph's carry up to hundreds). */
  bodyLimit: number;
  /** What the OpenAPI document says of the route. */
  summary: string;
  /** Reads a request; nothing here touches the database. */
  read(request: InboundRequest): WebhookReading;
  /**
   * Whether the notification proves itself for the subscription calsync stored: the secret
   * it carries against the stored digest, in constant time.
   */
  authentic(notification: Notification, stored: { secretHash: string }): boolean;
}

/** Providers that push change notifications. */
export interface PushSupport {
  /** Lifetime asked for a subscription. */
  ttlSeconds: number;
  /** A subscription expiring within this is renewed. */
  renewAheadMs: number;
  /** Asks the provider to notify `address` of every change of the calendar, echoing `secret`. */
  subscribe(connector: Connector, remoteCalendarId: string, request: { id: string; secret: string; address: string; ttlSeconds: number }): Promise<Subscription>;
  /**
   * Extends a live subscription in place (Graph's PATCH of expirationDateTime). Absent:
   * a renewal makes a new subscription, then stops the old one (Google's channels).
   */
  renew?(connector: Connector, subscription: Subscription, ttlSeconds: number): Promise<Subscription>;
  /** Stops a subscription; one the provider no longer knows is stopped already. */
  unsubscribe(connector: Connector, subscription: { id: string; resourceId: string }): Promise<void>;
  webhook: WebhookVerifier;
}

export interface Provider {
  /** The name accounts store and URLs use (`/webhooks/<name>`, `/admin/v1/accounts/<name>`). */
  name: string;
  /** How people name it in messages. */
  title: string;
  connect: OAuthConnect | CredentialsConnect;
  /** The account's calendars; credentials the listing changed are saved through `access`. */
  listCalendars(ctx: ProviderContext, access: AccountAccess): Promise<RemoteCalendar[]>;
  /**
   * The remote calendar id a binding stores for what the binder named, found among the
   * account's `calendars`; null when none is that one. Absent: the id as listed.
   */
  matchCalendar?(access: AccountAccess, remote: string, calendars: RemoteCalendar[]): Promise<string | null>;
  /** Builds the connector of a binding to `remoteCalendarId` of the account. */
  connector(ctx: ProviderContext, access: AccountAccess, remoteCalendarId: string): Promise<Connector>;
  /** Set for providers calsync cannot write to: their bindings import only, and this says why. */
  readOnly?: string;
  push?: PushSupport;
}

/**
 * `matchCalendar` of providers whose accounts have a default calendar (Google's primary,
 * a mailbox's default calendar): a listed id, or `primary` for the one listed as primary.
 */
export async function listedOrPrimary(_access: AccountAccess, remote: string, calendars: RemoteCalendar[]): Promise<string | null> {
  const found = calendars.find((c) => c.remoteCalendarId === remote)
    ?? (remote === 'primary' ? calendars.find((c) => 'primary' in c && c.primary === true) : undefined);
  return found?.remoteCalendarId ?? null;
}

/** The providers calsync knows, loaded when first asked for. */
export interface Providers {
  readonly names: readonly string[];
  /** The provider of that name; NOT_FOUND for a name no provider has. */
  get(name: string): Promise<Provider>;
}

/** Why bindings of a provider can only import (its `readOnly`), or undefined; for the store's guards. */
export function readOnlyOf(registered: Providers): (provider: string) => Promise<string | undefined> {
  return async (provider) => (registered.names.includes(provider) ? (await registered.get(provider)).readOnly : undefined);
}

/** Providers and the context to call them with, as the composition root hands them to the edges. */
export interface ProviderSet extends Providers {
  context: ProviderContext;
}

/** The credentials an operation cannot go without, or the error that says to connect the account again. */
export async function requiredCredentials<T>(access: AccountAccess): Promise<T> {
  const credentials = await access.credentials();
  if (credentials === null) throw new CalsyncError('INVALID_REQUEST', `account ${access.account.id} has no credentials: connect it again`, { accountId: access.account.id });
  return credentials as T;
}
