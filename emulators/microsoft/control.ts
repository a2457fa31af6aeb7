// The control API: what a test or a benchmark changes while the emulator runs, as HTTP
// routes under /emulator (no authentication) and as functions on `app.emulator`.
import type { FastifyInstance } from 'fastify';
import type { DeltaRounds, DeltaSettings } from './delta.ts';
import { graphErrors, type ExpiredTokenStyle } from './errors.ts';
import type { EventService, TransactionIdReplay } from './events.ts';
import type { FaultConfig, Faults } from './faults.ts';
import type { IdentityPlatform, TokenResponse } from './oauth.ts';
import { renderItem } from './render.ts';
import type { Stats, StatsSnapshot } from './stats.ts';
import type { CalendarRecord, MailboxStore, WriteRecord } from './store.ts';
import type { Delivery, LifecycleEvent, Subscription, Subscriptions } from './subscriptions.ts';

export interface EmulatorSettings {
  transactionIdReplay: TransactionIdReplay;
  /** Requests one mailbox may have in flight; null: no limit. */
  mailboxConcurrency: number | null;
  expiredDeltaToken: ExpiredTokenStyle;
  cancelledOccurrences: DeltaSettings['cancelledOccurrences'];
  includeSeriesMasters: boolean;
  maxPageSize: number;
  minPageSize: number;
}

export interface EmulatorControls {
  /** The signed-in user's address, id and tenant. */
  readonly account: string;
  readonly userId: string;
  readonly tenantId: string;
  addCalendar(input: { id?: string; name?: string }): CalendarRecord;
  /** Another client (Outlook, another app) creates an event; answers it as Graph would. */
  insertEvent(calendarId: string | null, event: unknown): Record<string, unknown>;
  /** Another client updates an event or an occurrence: a new changeKey, a delta change, notifications. */
  editEvent(eventId: string, patch: unknown): Record<string, unknown>;
  deleteEvent(eventId: string): void;
  /** An attendee answers: their status.response changes, as does the event's changeKey. */
  setAttendeeResponse(eventId: string, address: string, response: 'accepted' | 'tentativelyAccepted' | 'declined' | 'none'): Record<string, unknown>;
  setFaults(config: FaultConfig): FaultConfig;
  faults(): FaultConfig;
  clearFaults(): void;
  /** Every delta and skip token issued so far answers 410 from now on. */
  expireDeltaTokens(): void;
  settings(): EmulatorSettings;
  setSettings(patch: Partial<EmulatorSettings>): EmulatorSettings;
  issueGrant(input?: { clientId?: string; scope?: string }): TokenResponse & { refresh_token: string; grant_id: string };
  /** Revoke by grant id, refresh token or access token: invalid_grant AADSTS50173, access tokens 401. */
  revokeGrant(token: string): boolean;
  expireAccessTokens(): void;
  subscriptions(): Subscription[];
  /** Send a lifecycle notification; subscriptionRemoved also ends the subscription. */
  lifecycle(subscriptionId: string, event: LifecycleEvent): void;
  deliveries(): Delivery[];
  flushNotifications(): Promise<void>;
  stats(): StatsSnapshot;
  resetStats(): void;
  writes(): WriteRecord[];
}

interface Deps {
  store: MailboxStore;
  events: EventService;
  rounds: DeltaRounds;
  faults: Faults;
  oauth: IdentityPlatform;
  stats: Stats;
  subscriptions: Subscriptions;
  settings: EmulatorSettings;
}

const RESPONSES = ['accepted', 'tentativelyAccepted', 'declined', 'none'];
const LIFECYCLE = ['reauthorizationRequired', 'subscriptionRemoved', 'missed'];

export function checkSettings(current: EmulatorSettings, patch: unknown): EmulatorSettings {
  if (typeof patch !== 'object' || patch === null) throw graphErrors.badRequest('settings must be a JSON object');
  const p = patch as Record<string, unknown>;
  const next = structuredClone(current);
  for (const [key, value] of Object.entries(p)) {
    switch (key) {
      case 'transactionIdReplay':
        if (value !== 'existing' && value !== 'conflict') throw graphErrors.badRequest('transactionIdReplay must be existing or conflict');
        next.transactionIdReplay = value;
        break;
      case 'mailboxConcurrency':
        if (value !== null && !(Number.isInteger(value) && (value as number) >= 1)) throw graphErrors.badRequest('mailboxConcurrency must be a whole number ≥ 1 or null');
        next.mailboxConcurrency = value as number | null;
        break;
      case 'expiredDeltaToken': {
        const v = value as Record<string, unknown>;
        if (typeof v !== 'object' || v === null || !['syncStateNotFound', 'resyncRequired'].includes(v.code as string) || (v.capitalised !== undefined && typeof v.capitalised !== 'boolean')) {
          throw graphErrors.badRequest('expiredDeltaToken must be {code: syncStateNotFound|resyncRequired, capitalised?: boolean}');
        }
        next.expiredDeltaToken = { code: v.code as ExpiredTokenStyle['code'], capitalised: v.capitalised === true };
        break;
      }
      case 'cancelledOccurrences':
        if (value !== 'silent' && value !== 'removed') throw graphErrors.badRequest('cancelledOccurrences must be silent or removed');
        next.cancelledOccurrences = value;
        break;
      case 'includeSeriesMasters':
        if (typeof value !== 'boolean') throw graphErrors.badRequest('includeSeriesMasters must be a boolean');
        next.includeSeriesMasters = value;
        break;
      case 'maxPageSize':
      case 'minPageSize':
        if (!(Number.isInteger(value) && (value as number) >= 1)) throw graphErrors.badRequest(`${key} must be a whole number ≥ 1`);
        next[key] = value as number;
        break;
      default:
        throw graphErrors.badRequest(`unknown setting "${key}"`);
    }
  }
  if (next.minPageSize > next.maxPageSize) throw graphErrors.badRequest('minPageSize must not be above maxPageSize');
  return next;
}

export function controlRoutes(app: FastifyInstance, deps: Deps): EmulatorControls {
  const { store, events, rounds, faults, oauth, stats, subscriptions } = deps;
  const another = { ifMatch: null, method: 'anotherClient' as const };
  const rendered = (id: string): Record<string, unknown> => renderItem(store, events.find(id), { zone: null });
  const controls: EmulatorControls = {
    account: store.user.mail,
    userId: store.user.id,
    tenantId: store.tenantId,
    addCalendar: (input) => store.addCalendar(input),
    insertEvent: (calendarId, event) => rendered(events.create(calendarId === null ? store.defaultCalendar : store.calendar(calendarId), event, another).event.id),
    editEvent: (eventId, patch) => rendered(events.update(eventId, patch, another).id),
    deleteEvent: (eventId) => events.delete(eventId, another),
    setAttendeeResponse: (eventId, address, response) => {
      if (!RESPONSES.includes(response)) throw graphErrors.badRequest(`response must be one of ${RESPONSES.join(', ')}`);
      const item = events.find(eventId);
      const attendees = (item.source.fields.attendees ?? []) as Array<{ emailAddress: { address: string }; status: unknown }>;
      if (!attendees.some((a) => a.emailAddress.address.toLowerCase() === address.toLowerCase())) throw graphErrors.itemNotFound();
      const next = attendees.map((a) => (a.emailAddress.address.toLowerCase() === address.toLowerCase()
        ? { ...a, status: { response, time: new Date(store.now()).toISOString().replace(/\.\d{3}Z$/, 'Z') } } : a));
      const saved = structuredClone(item.source);
      saved.fields.attendees = next;
      store.save(saved, 'updated');
      return rendered(saved.id);
    },
    setFaults: (config) => faults.set(config),
    faults: () => faults.get(),
    clearFaults: () => faults.clear(),
    expireDeltaTokens: () => rounds.expireAll(),
    settings: () => structuredClone(deps.settings),
    setSettings: (patch) => {
      Object.assign(deps.settings, checkSettings(deps.settings, patch));
      return structuredClone(deps.settings);
    },
    issueGrant: (input) => oauth.issueGrant(input),
    revokeGrant: (token) => oauth.revoke(token),
    expireAccessTokens: () => oauth.expireAccessTokens(),
    subscriptions: () => subscriptions.all(),
    lifecycle: (id, event) => {
      if (!LIFECYCLE.includes(event)) throw graphErrors.badRequest(`lifecycleEvent must be one of ${LIFECYCLE.join(', ')}`);
      subscriptions.lifecycle(id, event);
    },
    deliveries: () => subscriptions.deliveries.map((d) => ({ ...d })),
    flushNotifications: () => subscriptions.flush(),
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    writes: () => store.writes.map((w) => ({ ...w })),
  };

  type Params = { calendarId: string; eventId: string; id: string };
  const body = (x: unknown): Record<string, unknown> => (typeof x === 'object' && x !== null ? x as Record<string, unknown> : {});
  const noContent = { code: 204 };

  app.get('/emulator/stats', async () => controls.stats());
  app.post('/emulator/stats/reset', async (_r, reply) => { controls.resetStats(); return reply.code(noContent.code).send(); });
  app.get('/emulator/faults', async () => controls.faults());
  app.post('/emulator/faults', async (request) => controls.setFaults(request.body as FaultConfig));
  app.delete('/emulator/faults', async (_r, reply) => { controls.clearFaults(); return reply.code(204).send(); });
  app.post('/emulator/delta-tokens/expire', async (_r, reply) => { controls.expireDeltaTokens(); return reply.code(204).send(); });
  app.get('/emulator/settings', async () => controls.settings());
  app.post('/emulator/settings', async (request) => controls.setSettings(body(request.body)));
  app.post('/emulator/calendars', async (request) => controls.addCalendar(body(request.body)));
  app.post('/emulator/events', async (request, reply) => reply.code(201).send(controls.insertEvent(typeof body(request.body).calendarId === 'string' ? body(request.body).calendarId as string : null, body(request.body).event)));
  app.patch<{ Params: Params }>('/emulator/events/:eventId', async (request) => controls.editEvent(request.params.eventId, request.body));
  app.delete<{ Params: Params }>('/emulator/events/:eventId', async (request, reply) => { controls.deleteEvent(request.params.eventId); return reply.code(204).send(); });
  app.post<{ Params: Params }>('/emulator/events/:eventId/attendee-response', async (request) => {
    const { address, response } = body(request.body);
    return controls.setAttendeeResponse(request.params.eventId, String(address), response as 'accepted');
  });
  app.post('/emulator/grants', async (request) => {
    const { clientId, scope } = body(request.body);
    return controls.issueGrant({ ...(typeof clientId === 'string' ? { clientId } : {}), ...(typeof scope === 'string' ? { scope } : {}) });
  });
  app.post('/emulator/grants/revoke', async (request, reply) => {
    const { token } = body(request.body);
    if (typeof token !== 'string' || !controls.revokeGrant(token)) throw graphErrors.itemNotFound();
    return reply.code(204).send();
  });
  app.post('/emulator/access-tokens/expire', async (_r, reply) => { controls.expireAccessTokens(); return reply.code(204).send(); });
  app.get('/emulator/subscriptions', async () => controls.subscriptions());
  app.post<{ Params: Params }>('/emulator/subscriptions/:id/lifecycle', async (request, reply) => {
    controls.lifecycle(request.params.id, body(request.body).lifecycleEvent as LifecycleEvent);
    return reply.code(204).send();
  });
  app.get('/emulator/notifications', async () => controls.deliveries());
  app.get('/emulator/writes', async () => controls.writes());
  return controls;
}
