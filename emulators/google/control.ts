// The control API: what a test or a benchmark changes while the emulator runs, as HTTP
// routes under /emulator (no authentication) and as functions on `app.emulator`.
import type { FastifyInstance } from 'fastify';
import { calendarResource } from './api-routes.ts';
import type { Channel, Channels, Delivery } from './channels.ts';
import { googleErrors } from './errors.ts';
import type { EventService, ImportExisting } from './events.ts';
import type { FaultConfig, Faults } from './faults.ts';
import type { OAuthServer, TokenResponse } from './oauth.ts';
import type { Stats, StatsSnapshot } from './stats.ts';
import type { EmulatorStore, StoredEvent, WriteRecord } from './store.ts';

export interface EmulatorControls {
  /** The account's email, which is also the primary calendar's id. */
  readonly account: string;
  addCalendar(input: { id?: string; summary?: string; description?: string; timeZone?: string }): Record<string, unknown>;
  /** Another client (the user in Google's web UI, another app) creates an event. */
  insertEvent(calendarId: string, event: unknown): StoredEvent;
  /** Another client patches an event: a new etag, a change for sync tokens and channels. */
  editEvent(calendarId: string, eventId: string, patch: unknown): StoredEvent;
  /** Another client deletes an event (or an instance). */
  deleteEvent(calendarId: string, eventId: string): void;
  setFaults(config: FaultConfig): FaultConfig;
  faults(): FaultConfig;
  clearFaults(): void;
  /** Every sync token issued so far answers 410 fullSyncRequired from now on. */
  expireSyncTokens(): void;
  issueGrant(input?: { clientId?: string; scope?: string }): TokenResponse & { refresh_token: string; grant_id: string };
  /** Revoke a grant by id, refresh token or access token: its refresh token gets invalid_grant, its access tokens 401. */
  revokeGrant(token: string): boolean;
  /** Every access token issued so far expires now. */
  expireAccessTokens(): void;
  setImportExisting(mode: ImportExisting): void;
  stats(): StatsSnapshot;
  resetStats(): void;
  writes(): WriteRecord[];
  channels(): Channel[];
  deliveries(): Delivery[];
  /** Resolves once every notification scheduled so far is delivered, failed or dropped. */
  flushNotifications(): Promise<void>;
}

interface Deps {
  store: EmulatorStore;
  events: EventService;
  faults: Faults;
  oauth: OAuthServer;
  stats: Stats;
  channels: Channels;
  setImportExisting: (mode: ImportExisting) => void;
  importExisting: () => ImportExisting;
}

const anotherClient = { ifMatch: null, sendUpdates: null, method: 'anotherClient' as const };

export function controlRoutes(app: FastifyInstance, deps: Deps): EmulatorControls {
  const { store, events, faults, oauth, stats, channels } = deps;
  const controls: EmulatorControls = {
    account: store.account,
    addCalendar: (input) => calendarResource(store.addCalendar(input)),
    insertEvent: (calendarId, event) => events.insert(store.calendar(calendarId), event, anotherClient),
    editEvent: (calendarId, eventId, patch) => events.patch(store.calendar(calendarId), eventId, patch, anotherClient),
    deleteEvent: (calendarId, eventId) => events.delete(store.calendar(calendarId), eventId, anotherClient),
    setFaults: (config) => faults.set(config),
    faults: () => faults.get(),
    clearFaults: () => faults.clear(),
    expireSyncTokens: () => {
      store.tokenGeneration += 1;
    },
    issueGrant: (input) => oauth.issueGrant(input),
    revokeGrant: (token) => oauth.revoke(token),
    expireAccessTokens: () => oauth.expireAccessTokens(),
    setImportExisting: (mode) => {
      if (mode !== 'replace' && mode !== 'conflict') throw googleErrors.invalid('importExisting must be replace or conflict');
      deps.setImportExisting(mode);
    },
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    writes: () => store.writes.map((w) => ({ ...w })),
    channels: () => channels.list(),
    deliveries: () => channels.deliveries.map((d) => ({ ...d })),
    flushNotifications: () => channels.flush(),
  };

  type Params = { calendarId: string; eventId: string };
  const body = (x: unknown): Record<string, unknown> => (typeof x === 'object' && x !== null ? x as Record<string, unknown> : {});

  app.get('/emulator/stats', async () => controls.stats());
  app.post('/emulator/stats/reset', async (_request, reply) => {
    controls.resetStats();
    return reply.code(204).send();
  });
  app.get('/emulator/faults', async () => controls.faults());
  app.post('/emulator/faults', async (request) => controls.setFaults(request.body as FaultConfig));
  app.delete('/emulator/faults', async (_request, reply) => {
    controls.clearFaults();
    return reply.code(204).send();
  });
  app.post('/emulator/sync-tokens/expire', async (_request, reply) => {
    controls.expireSyncTokens();
    return reply.code(204).send();
  });
  app.get('/emulator/settings', async () => ({ importExisting: deps.importExisting() }));
  app.post('/emulator/settings', async (request) => {
    const { importExisting } = body(request.body);
    if (importExisting !== undefined) controls.setImportExisting(importExisting as ImportExisting);
    return { importExisting: deps.importExisting() };
  });
  app.post('/emulator/calendars', async (request) => controls.addCalendar(body(request.body)));
  app.post<{ Params: Params }>('/emulator/calendars/:calendarId/events', async (request) => controls.insertEvent(request.params.calendarId, request.body));
  app.patch<{ Params: Params }>('/emulator/calendars/:calendarId/events/:eventId', async (request) =>
    controls.editEvent(request.params.calendarId, request.params.eventId, request.body));
  app.delete<{ Params: Params }>('/emulator/calendars/:calendarId/events/:eventId', async (request, reply) => {
    controls.deleteEvent(request.params.calendarId, request.params.eventId);
    return reply.code(204).send();
  });
  app.post('/emulator/grants', async (request) => {
    const { clientId, scope } = body(request.body);
    return controls.issueGrant({ ...(typeof clientId === 'string' ? { clientId } : {}), ...(typeof scope === 'string' ? { scope } : {}) });
  });
  app.post('/emulator/grants/revoke', async (request, reply) => {
    const { token } = body(request.body);
    if (typeof token !== 'string' || !controls.revokeGrant(token)) throw googleErrors.notFound();
    return reply.code(204).send();
  });
  app.post('/emulator/access-tokens/expire', async (_request, reply) => {
    controls.expireAccessTokens();
    return reply.code(204).send();
  });
  app.get('/emulator/writes', async () => controls.writes());
  app.get('/emulator/channels', async () => controls.channels());
  app.get('/emulator/notifications', async () => controls.deliveries());
  return controls;
}
