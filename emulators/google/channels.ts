// Watch channels (events.watch, channels.stop) and push notifications, as the push guide
// (guides/push) and the events.watch and channels.stop references describe them:
// - watch body: id ("Maximum length: 64 characters"), type "web_hook" (or "webhook"),
//   address, optional token ("Maximum length: 256 characters"), expiration (Unix ms) and
//   params.ttl ("The time-to-live in seconds … Default is 604800 seconds"). The channel's
//   expiration is "determined either by your request or by any Google Calendar API
//   internal limits or defaults (the more restrictive value is used)".
// - the answer: kind "api#channel", id, resourceId, resourceUri, token, expiration. The
//   reference gives expiration as a `long`; the discovery schema (and the official
//   client's types) as an int64 string, which is how JSON carries it by default here.
// - "After creating a notification channel … [Google] sends a sync message … Sync
//   messages always have an X-Goog-Message-Number HTTP header value of 1. Each
//   subsequent notification for this channel has a message number that's larger than
//   the previous one, though the message numbers will not be sequential."
// - headers: X-Goog-Channel-ID, X-Goog-Message-Number, X-Goog-Resource-ID,
//   X-Goog-Resource-State, X-Goog-Resource-URI always; X-Goog-Channel-Expiration ("in
//   human-readable format") and X-Goog-Channel-Token only when defined. The body is
//   empty. Events resources answer `exists` for every change, deletions included.
// - "If your service … returns 500, 502, 503, or 504, the … API retries with exponential
//   backoff"; any other status is a failed delivery.
// - "there's no automatic way to renew a notification channel": an expired channel
//   stops delivering.
import { createHash } from 'node:crypto';
import { Outbox, type Attempt, type DeliveryPolicy } from '../shared/deliveries.ts';
import { googleErrors } from './errors.ts';
import type { Faults } from './faults.ts';
import { isObject } from './resources.ts';
import type { CalendarRecord, EmulatorStore } from './store.ts';

export interface ChannelSettings {
  defaultTtlSeconds: number;
  maxTtlSeconds: number;
  /** Google requires an HTTPS address; tests on loopback usually turn this off (default off). */
  requireHttps: boolean;
  /** How the watch answer carries expiration: an int64 string (discovery) or a number (reference). */
  expirationAs: 'string' | 'number';
  /** Waits before the retries of a delivery answered 500/502/503/504 or not answered. */
  retryDelaysMs: number[];
}

export interface Channel {
  id: string;
  token: string | null;
  address: string;
  calendarId: string;
  resourceId: string;
  resourceUri: string;
  expiration: number;
  lastMessageNumber: number;
  stopped: boolean;
}

/** One notification attempt, for tests and the control API. */
export interface Delivery {
  channelId: string;
  state: 'sync' | 'exists';
  messageNumber: number;
  attempt: number;
  /** The receiver's status, or null when it did not answer. */
  status: number | null;
  outcome: 'delivered' | 'failed' | 'dropped' | 'retrying';
  duplicate: boolean;
  at: string;
}

// Google's rules: these answers are delivered; 500/502/503/504 and no answer are retried.
const DELIVERED = new Set([102, 200, 201, 202, 204]);
const RETRIED = new Set([500, 502, 503, 504]);

/** The resource id of a calendar's events collection: opaque and stable, like Google's. */
export function resourceIdOf(calendarId: string): string {
  return createHash('sha256').update(`events:${calendarId}`).digest('base64url').replace(/[-_]/g, 'x').slice(0, 27);
}

export class Channels {
  private readonly channels = new Map<string, Channel>();
  private readonly pending = new Set<string>();
  private readonly outbox: Outbox;
  readonly deliveries: Delivery[] = [];

  constructor(
    private readonly store: EmulatorStore,
    private readonly faults: Faults,
    fetchImpl: typeof fetch,
    private readonly settings: ChannelSettings,
  ) {
    this.outbox = new Outbox(fetchImpl);
  }

  list(): Channel[] {
    return [...this.channels.values()].map((c) => ({ ...c }));
  }

  watch(calendar: CalendarRecord, raw: unknown, rootUrl: string): Record<string, unknown> {
    if (!isObject(raw)) throw googleErrors.required('Required');
    const { id, type, address, token, expiration, params } = raw;
    if (typeof id !== 'string' || id === '') throw googleErrors.required('Required channel id.');
    if (id.length > 64) throw googleErrors.invalid('Channel id must be at most 64 characters.');
    if (type !== 'web_hook' && type !== 'webhook') throw googleErrors.invalid(`Unknown channel type: ${String(type)}`);
    if (typeof address !== 'string' || !URL.canParse(address)) throw googleErrors.required('Required channel address.');
    if (this.settings.requireHttps && new URL(address).protocol !== 'https:') throw googleErrors.invalid(`WebHook callback must be HTTPS: ${address}`);
    if (token !== undefined && (typeof token !== 'string' || token.length > 256)) throw googleErrors.invalid('Channel token must be a string of at most 256 characters.');
    const live = this.channels.get(id);
    if (live && !live.stopped && live.expiration > this.store.now()) throw googleErrors.channelIdNotUnique(id);

    const now = this.store.now();
    let ttl = this.settings.defaultTtlSeconds;
    if (isObject(params) && params.ttl !== undefined) {
      if (!/^\d+$/.test(String(params.ttl))) throw googleErrors.invalid('Invalid ttl parameter.');
      ttl = Number(params.ttl);
    }
    let until = now + ttl * 1000;
    if (expiration !== undefined && expiration !== null) {
      const requested = Number(expiration);
      if (!Number.isSafeInteger(requested)) throw googleErrors.invalid('Invalid expiration.');
      until = requested;
    }
    until = Math.min(until, now + this.settings.maxTtlSeconds * 1000);
    if (until <= now) throw googleErrors.invalid('Channel expiration must be in the future.');

    const channel: Channel = {
      id, token: typeof token === 'string' ? token : null, address, calendarId: calendar.id,
      resourceId: resourceIdOf(calendar.id),
      resourceUri: `${rootUrl}/calendar/v3/calendars/${encodeURIComponent(calendar.id)}/events?alt=json`,
      expiration: until, lastMessageNumber: 0, stopped: false,
    };
    this.channels.set(id, channel);
    this.send(channel, 'sync', 1);
    return {
      kind: 'api#channel', id, resourceId: channel.resourceId, resourceUri: channel.resourceUri,
      ...(channel.token !== null ? { token: channel.token } : {}),
      expiration: this.settings.expirationAs === 'string' ? String(until) : until,
    };
  }

  /** channels.stop: "Stop watching resources through this channel" — needs id and resourceId. */
  stop(raw: unknown): void {
    if (!isObject(raw) || typeof raw.id !== 'string' || raw.id === '') throw googleErrors.required('Required channel id.');
    if (typeof raw.resourceId !== 'string' || raw.resourceId === '') throw googleErrors.required('Required resourceId.');
    const channel = this.channels.get(raw.id);
    if (!channel || channel.stopped || channel.resourceId !== raw.resourceId) throw googleErrors.channelNotFound(raw.id);
    channel.stopped = true;
  }

  /** A calendar's events changed: its channels get one `exists` message (changes of one moment coalesce). */
  changed(calendarId: string): void {
    this.pending.add(calendarId);
    this.outbox.coalesce(() => {
      const calendars = [...this.pending];
      this.pending.clear();
      const now = this.store.now();
      for (const channel of this.channels.values()) {
        if (channel.stopped || !calendars.includes(channel.calendarId)) continue;
        if (channel.expiration <= now) {
          channel.stopped = true;
          continue;
        }
        this.send(channel, 'exists', channel.lastMessageNumber + this.faults.messageNumberStep());
      }
    });
  }

  /** Resolves when every notification scheduled so far has been delivered, retried out or dropped. */
  flush(): Promise<void> {
    return this.outbox.flush();
  }

  private send(channel: Channel, state: 'sync' | 'exists', messageNumber: number): void {
    channel.lastMessageNumber = messageNumber;
    const fate = this.faults.notificationFate();
    const headers: Record<string, string> = {
      'content-type': 'application/json; utf-8',
      'x-goog-channel-id': channel.id,
      ...(channel.token !== null ? { 'x-goog-channel-token': channel.token } : {}),
      'x-goog-channel-expiration': new Date(channel.expiration).toUTCString(),
      'x-goog-resource-id': channel.resourceId,
      'x-goog-resource-uri': channel.resourceUri,
      'x-goog-resource-state': state,
      'x-goog-message-number': String(messageNumber),
    };
    const record = (d: Attempt): void => {
      this.deliveries.push({ channelId: channel.id, state, messageNumber, at: new Date(this.store.now()).toISOString(), ...d });
    };
    const policy: DeliveryPolicy = { retryDelaysMs: this.settings.retryDelaysMs, delivered: (status) => DELIVERED.has(status), retried: (status) => status === null || RETRIED.has(status) };
    this.outbox.send(fate, channel.address, headers, '', policy, record);
  }
}
