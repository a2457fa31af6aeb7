// Change notifications for Outlook events (subscription-post-subscriptions,
// resources/subscription, concepts/change-notifications-delivery-webhooks,
// concepts/change-notifications-lifecycle-events):
// - POST /subscriptions with changeType (created, updated, deleted; comma-separated),
//   notificationUrl, resource (me/events, users/{id}/events, me/calendars/{id}/events…),
//   expirationDateTime (required), clientState (≤ 128 characters), lifecycleNotificationUrl.
// - Validation: "Microsoft Graph sends a POST request to the notification URL …
//   ?validationToken={opaqueTokenCreatedByMicrosoftGraph}"; the endpoint must answer
//   "within 10 seconds" with 200, Content-Type text/plain, and the decoded token as the
//   body; otherwise the create fails with 400 ValidationError "Subscription validation
//   request failed. Notification endpoint must respond with 200 OK to validation request."
//   The lifecycleNotificationUrl is validated the same way.
// - Expiry: the maximum for Outlook items is 10,080 minutes (under 7 days; older pages
//   said 4,230). A later expirationDateTime is capped to it, or refused with
//   `subscriptions.tooLong: 'reject'`. PATCH renews (expirationDateTime, notificationUrl);
//   "lifecycleNotificationUrl … can only be set when creating the subscription". An
//   expired or deleted subscription is 404.
// - Notifications: POST {"value": [{subscriptionId, subscriptionExpirationDateTime,
//   changeType, resource, resourceData: {@odata.type, @odata.id, @odata.etag, id},
//   clientState, tenantId}]}; the receiver must answer 2xx within 3 seconds, else Graph
//   retries (for up to 4 hours; here after `retryDelaysMs`). Changes of one moment for one
//   subscription are sent in one POST.
// - Lifecycle notifications (controls): {"value": [{subscriptionId,
//   subscriptionExpirationDateTime, tenantId, clientState, lifecycleEvent}]} with
//   reauthorizationRequired, subscriptionRemoved (the subscription is gone) or missed.
import { randomUUID } from 'node:crypto';
import { Outbox, type Attempt, type DeliveryPolicy } from '../shared/deliveries.ts';
import { graphErrors, GraphError } from './errors.ts';
import type { Faults } from './faults.ts';
import type { ChangeType, MailboxStore, StoredEvent } from './store.ts';
import { isoUtc7 } from './zones.ts';

export interface SubscriptionSettings {
  /** Longest lifetime (default 10080 minutes). */
  maxMinutes: number;
  tooLong: 'cap' | 'reject';
  validationTimeoutMs: number;
  notificationTimeoutMs: number;
  retryDelaysMs: number[];
  requireHttps: boolean;
}

export interface Subscription {
  id: string;
  resource: string;
  /** The calendar whose events it watches; null: every calendar. */
  calendarId: string | null;
  applicationId: string;
  changeType: string;
  clientState: string | null;
  notificationUrl: string;
  lifecycleNotificationUrl: string | null;
  expirationMs: number;
  creatorId: string;
  deleted: boolean;
}

export type LifecycleEvent = 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed';

export interface Delivery {
  subscriptionId: string;
  kind: 'validation' | 'change' | 'lifecycle';
  url: string;
  /** The notifications of the POST (empty for a validation). */
  value: Array<Record<string, unknown>>;
  attempt: number;
  status: number | null;
  outcome: 'delivered' | 'failed' | 'retrying' | 'dropped';
  duplicate: boolean;
  at: string;
}

const CHANGE_TYPES = ['created', 'updated', 'deleted'];
const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const validation = (message: string) => graphErrors.validationError(message);

export class Subscriptions {
  private readonly subs = new Map<string, Subscription>();
  private readonly pending = new Map<string, Array<Record<string, unknown>>>();
  private readonly outbox: Outbox;
  readonly deliveries: Delivery[] = [];

  constructor(
    private readonly store: MailboxStore,
    private readonly faults: Faults,
    private readonly fetchImpl: typeof fetch,
    private readonly settings: SubscriptionSettings,
    private readonly applicationId: string,
  ) {
    this.outbox = new Outbox(fetchImpl);
  }

  /** "must answer 2xx within 3 seconds, else Graph retries": any other answer is retried. */
  private policy(): DeliveryPolicy {
    const { retryDelaysMs, notificationTimeoutMs } = this.settings;
    return { retryDelaysMs, timeoutMs: notificationTimeoutMs, delivered: (status) => status >= 200 && status < 300, retried: () => true };
  }

  private live(id: string): Subscription {
    const sub = this.subs.get(id);
    if (!sub || sub.deleted || sub.expirationMs <= this.store.now()) throw new GraphError(404, 'ResourceNotFound', `The object was not found.`);
    return sub;
  }

  list(): Array<Record<string, unknown>> {
    return [...this.subs.values()].filter((s) => !s.deleted && s.expirationMs > this.store.now()).map((s) => this.resource(s));
  }

  all(): Subscription[] {
    return [...this.subs.values()].map((s) => ({ ...s }));
  }

  get(id: string): Record<string, unknown> {
    return this.resource(this.live(id));
  }

  resource(s: Subscription): Record<string, unknown> {
    return {
      id: s.id, resource: s.resource, applicationId: s.applicationId, changeType: s.changeType, clientState: s.clientState,
      notificationUrl: s.notificationUrl, notificationQueryOptions: null, lifecycleNotificationUrl: s.lifecycleNotificationUrl,
      expirationDateTime: isoUtc7(s.expirationMs), creatorId: s.creatorId, includeResourceData: null, latestSupportedTlsVersion: 'v1_2',
      encryptionCertificate: null, encryptionCertificateId: null, notificationUrlAppId: null,
    };
  }

  private calendarOf(resource: string): string | null {
    const parts = resource.replace(/^\//, '').split('/');
    const user = this.store.user;
    const unsupported = (): GraphError =>
      new GraphError(400, 'ExtensionError', `Operation: Create; Exception: [Status Code: BadRequest; Reason: The resource '${resource}' is not supported.]`);
    let rest: string[];
    if (parts[0]?.toLowerCase() === 'me') rest = parts.slice(1);
    else if (parts[0]?.toLowerCase() === 'users' && [user.id, user.userPrincipalName].some((x) => x.toLowerCase() === decodeURIComponent(parts[1] ?? '').toLowerCase())) rest = parts.slice(2);
    else throw unsupported();
    const lower = rest.map((p) => p.toLowerCase());
    if (rest.length === 1 && lower[0] === 'events') return null;
    if (rest.length === 2 && lower[0] === 'calendar' && lower[1] === 'events') return this.store.defaultCalendar.id;
    if (rest.length === 3 && lower[0] === 'calendars' && lower[2] === 'events') return this.store.calendar(decodeURIComponent(rest[1]!)).id;
    throw unsupported();
  }

  private expiration(raw: unknown): number {
    if (typeof raw !== 'string' || Number.isNaN(Date.parse(raw))) throw validation('expirationDateTime is required and must be an ISO 8601 date and time.');
    const now = this.store.now();
    const requested = Date.parse(raw);
    if (requested <= now) throw validation('Subscription expiration can only be in the future.');
    const max = now + this.settings.maxMinutes * 60_000;
    if (requested > max) {
      if (this.settings.tooLong === 'reject') throw validation(`Subscription expiration can only be ${this.settings.maxMinutes} minutes in the future.`);
      return max;
    }
    return requested;
  }

  private checkUrl(raw: unknown, name: string): string {
    if (typeof raw !== 'string' || !URL.canParse(raw) || !/^https?:$/.test(new URL(raw).protocol)) throw validation(`${name} must be an absolute URL.`);
    if (this.settings.requireHttps && new URL(raw).protocol !== 'https:') throw validation(`${name} must be an HTTPS URL.`);
    return raw;
  }

  async create(raw: unknown, creatorId: string): Promise<Record<string, unknown>> {
    if (!isObject(raw)) throw graphErrors.unreadableBody();
    const known = ['changeType', 'notificationUrl', 'resource', 'expirationDateTime', 'clientState', 'lifecycleNotificationUrl', 'latestSupportedTlsVersion', 'includeResourceData', '@odata.type'];
    for (const key of Object.keys(raw)) if (!known.includes(key)) throw graphErrors.unknownProperty(key, 'microsoft.graph.subscription');
    if (raw.includeResourceData === true) throw validation('Rich notifications (includeResourceData) are not emulated for events.');
    const changeType = raw.changeType;
    if (typeof changeType !== 'string' || changeType.split(',').some((c) => !CHANGE_TYPES.includes(c.trim()))) throw validation('changeType must be created, updated or deleted, comma-separated.');
    if (typeof raw.resource !== 'string' || raw.resource === '') throw validation('resource is required.');
    const calendarId = this.calendarOf(raw.resource);
    const notificationUrl = this.checkUrl(raw.notificationUrl, 'notificationUrl');
    const lifecycleNotificationUrl = raw.lifecycleNotificationUrl === undefined || raw.lifecycleNotificationUrl === null ? null : this.checkUrl(raw.lifecycleNotificationUrl, 'lifecycleNotificationUrl');
    if (raw.clientState !== undefined && raw.clientState !== null && (typeof raw.clientState !== 'string' || raw.clientState.length > 128)) throw validation('clientState must be a string of at most 128 characters.');
    const expirationMs = this.expiration(raw.expirationDateTime);
    const id = randomUUID();
    await this.validate(id, notificationUrl);
    if (lifecycleNotificationUrl !== null) await this.validate(id, lifecycleNotificationUrl);
    const sub: Subscription = {
      id, resource: raw.resource, calendarId, applicationId: this.applicationId, changeType: changeType.split(',').map((c) => c.trim()).join(','),
      clientState: typeof raw.clientState === 'string' ? raw.clientState : null, notificationUrl, lifecycleNotificationUrl, expirationMs, creatorId, deleted: false,
    };
    this.subs.set(id, sub);
    return this.resource(sub);
  }

  async update(id: string, raw: unknown): Promise<Record<string, unknown>> {
    const sub = this.live(id);
    if (!isObject(raw)) throw graphErrors.unreadableBody();
    for (const key of Object.keys(raw)) {
      if (key === 'lifecycleNotificationUrl') throw validation('lifecycleNotificationUrl can only be set when the subscription is created.');
      if (key !== 'expirationDateTime' && key !== 'notificationUrl' && key !== '@odata.type') throw validation(`${key} cannot be changed; only expirationDateTime and notificationUrl can.`);
    }
    const expirationMs = raw.expirationDateTime === undefined ? sub.expirationMs : this.expiration(raw.expirationDateTime);
    let notificationUrl = sub.notificationUrl;
    if (raw.notificationUrl !== undefined) {
      notificationUrl = this.checkUrl(raw.notificationUrl, 'notificationUrl');
      if (notificationUrl !== sub.notificationUrl) await this.validate(id, notificationUrl);
    }
    sub.expirationMs = expirationMs;
    sub.notificationUrl = notificationUrl;
    return this.resource(sub);
  }

  delete(id: string): void {
    this.live(id).deleted = true;
  }

  /** The validation handshake; a wrong answer is the documented 400. */
  private async validate(id: string, url: string): Promise<void> {
    const token = `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()}`;
    const target = new URL(url);
    target.searchParams.set('validationToken', token);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.settings.validationTimeoutMs);
    let status: number | null = null;
    let ok = false;
    try {
      const response = await this.fetchImpl(target.toString(), { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' }, body: '', signal: controller.signal });
      status = response.status;
      const text = await response.text();
      ok = status === 200 && /^text\/plain\b/i.test(response.headers.get('content-type') ?? '') && text === token;
    } catch {
      ok = false;
    } finally {
      clearTimeout(timer);
    }
    this.deliveries.push({ subscriptionId: id, kind: 'validation', url, value: [], attempt: 1, status, outcome: ok ? 'delivered' : 'failed', duplicate: false, at: new Date(this.store.now()).toISOString() });
    if (!ok) throw graphErrors.subscriptionValidationFailed();
  }

  /** An event changed: every live subscription that watches it hears of it. */
  changed(event: StoredEvent, change: ChangeType): void {
    const now = this.store.now();
    for (const sub of this.subs.values()) {
      if (sub.deleted || sub.expirationMs <= now || !sub.changeType.split(',').includes(change)) continue;
      if (sub.calendarId !== null && sub.calendarId !== event.calendarId) continue;
      const path = `Users/${this.store.user.id}/Events/${event.id}`;
      const list = this.pending.get(sub.id) ?? [];
      list.push({
        subscriptionId: sub.id, subscriptionExpirationDateTime: isoUtc7(sub.expirationMs), changeType: change, resource: path,
        resourceData: { '@odata.type': '#Microsoft.Graph.Event', '@odata.id': path, '@odata.etag': `W/"${event.changeKey}"`, id: event.id },
        clientState: sub.clientState, tenantId: this.store.tenantId,
      });
      this.pending.set(sub.id, list);
    }
    if (this.pending.size === 0) return;
    this.outbox.coalesce(() => {
      for (const [id, value] of this.pending) {
        const sub = this.subs.get(id)!;
        this.send(sub, 'change', sub.notificationUrl, value);
      }
      this.pending.clear();
    });
  }

  /** A lifecycle notification, to lifecycleNotificationUrl. subscriptionRemoved ends the subscription. */
  lifecycle(id: string, event: LifecycleEvent): void {
    const sub = this.live(id);
    if (event === 'subscriptionRemoved') sub.deleted = true;
    if (sub.lifecycleNotificationUrl === null) return;
    this.send(sub, 'lifecycle', sub.lifecycleNotificationUrl, [{
      subscriptionId: sub.id, subscriptionExpirationDateTime: isoUtc7(sub.expirationMs), tenantId: this.store.tenantId,
      clientState: sub.clientState, lifecycleEvent: event,
    }]);
  }

  flush(): Promise<void> {
    return this.outbox.flush();
  }

  private send(sub: Subscription, kind: 'change' | 'lifecycle', url: string, value: Array<Record<string, unknown>>): void {
    const record = (d: Attempt): void => {
      this.deliveries.push({ subscriptionId: sub.id, kind, url, value, at: new Date(this.store.now()).toISOString(), ...d });
    };
    this.outbox.send(this.faults.notificationFate(), url, { 'content-type': 'application/json; charset=utf-8' }, JSON.stringify({ value }), this.policy(), record);
  }
}
