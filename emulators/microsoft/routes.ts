// The /v1.0 routes: the signed-in user, calendars, events, instances, calendarView and its
// delta, subscriptions. /me/calendar is the default calendar wherever a calendar id goes.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DeltaRounds, readWindow, type DeltaPage } from './delta.ts';
import { graphErrors } from './errors.ts';
import type { EventService } from './events.ts';
import { parseExpand, parseFilter, parsePrefer, parseSelect, parseWhole, type Preferences } from './query.ts';
import { renderItem } from './render.ts';
import type { CalendarRecord, MailboxStore } from './store.ts';
import type { Subscriptions } from './subscriptions.ts';
import { instancesOf, itemOf, viewOf } from './view.ts';

interface Deps {
  store: MailboxStore;
  events: EventService;
  rounds: DeltaRounds;
  subscriptions: Subscriptions;
  /** The delta page answered last, for the repeatPage fault. */
  lastDeltaPage: { page: DeltaPage | null };
}

declare module 'fastify' {
  interface FastifyRequest {
    repeatPage: boolean;
    duplicateItem: boolean;
  }
}

type Q = Record<string, unknown>;
type P = { calendarId?: string; eventId?: string; id?: string };

export const baseUrl = (request: FastifyRequest): string => `${request.protocol}://${request.headers.host ?? 'localhost'}`;

/** The link to the next $top/$skip page of a listing: the same request, $skip moved on. */
function nextPage(request: FastifyRequest, top: number, skip: number): string {
  const next = new URL(`${baseUrl(request)}${request.url}`);
  next.searchParams.set('$top', String(top));
  next.searchParams.set('$skip', String(skip + top));
  return next.toString();
}

function calendarJson(store: MailboxStore, c: CalendarRecord): Record<string, unknown> {
  return {
    '@odata.id': `users('${store.user.id}')/calendars('${c.id}')`, id: c.id, name: c.name, color: c.color, hexColor: c.hexColor,
    isDefaultCalendar: c.isDefaultCalendar, changeKey: c.changeKey, canShare: true, canViewPrivateItems: true, canEdit: true,
    allowedOnlineMeetingProviders: ['teamsForBusiness'], defaultOnlineMeetingProvider: 'teamsForBusiness', isTallyingResponses: true,
    isRemovable: !c.isDefaultCalendar, owner: { name: store.user.displayName, address: store.user.mail },
  };
}

function preferApplied(reply: FastifyReply, prefer: Preferences, pageApplied: number | null): void {
  const applied = [
    ...(pageApplied !== null ? [`odata.maxpagesize=${pageApplied}`] : []),
    ...(prefer.zone ? [`outlook.timezone="${prefer.zone.name}"`] : []),
  ];
  if (applied.length > 0) reply.header('preference-applied', applied.join(', '));
}

export function apiRoutes(api: FastifyInstance, deps: Deps): void {
  const { store, events, rounds, subscriptions } = deps;
  const calendarOf = (params: P): CalendarRecord => (params.calendarId === undefined ? store.defaultCalendar : store.calendar(params.calendarId));
  const context = (request: FastifyRequest, path: string): string => `${baseUrl(request)}/v1.0/$metadata#${path}`;

  api.get('/v1.0/me', async (request) => ({
    '@odata.context': context(request, 'users/$entity'), businessPhones: [], displayName: store.user.displayName, givenName: store.user.givenName,
    jobTitle: null, mail: store.user.mail, mobilePhone: null, officeLocation: null, preferredLanguage: 'en-US', surname: store.user.surname,
    userPrincipalName: store.user.userPrincipalName, id: store.user.id,
  }));

  api.get('/v1.0/me/calendars', async (request) => ({
    '@odata.context': context(request, `users('${store.user.id}')/calendars`),
    value: [...store.calendars.values()].map((c) => calendarJson(store, c)),
  }));
  for (const path of ['/v1.0/me/calendars/:calendarId', '/v1.0/me/calendar']) {
    api.get<{ Params: P }>(path, async (request) => ({
      '@odata.context': context(request, `users('${store.user.id}')/calendars/$entity`), ...calendarJson(store, calendarOf(request.params)),
    }));
  }

  // Events of a calendar (or of the mailbox): single events and series masters, paged by $top/$skip.
  const list = async (request: FastifyRequest<{ Params: P; Querystring: Q }>, calendarId: string | null) => {
    const q = request.query;
    if (q.$orderby !== undefined || q.$search !== undefined) throw graphErrors.badRequest('$orderby and $search are not emulated on event lists.');
    const filter = parseFilter(q.$filter);
    const extended = parseExpand(q.$expand);
    const select = parseSelect(q.$select);
    const top = parseWhole(q.$top, '$top', 1, 1000) ?? 10;
    const skip = parseWhole(q.$skip, '$skip', 0, Number.MAX_SAFE_INTEGER) ?? 0;
    const prefer = parsePrefer(request.headers.prefer);
    const all = [...store.events.values()]
      .filter((e) => !e.deleted && e.type !== 'exception' && (calendarId === null || e.calendarId === calendarId) && (filter === null || filter(e)))
      .sort((a, b) => a.createdMs - b.createdMs || a.id.localeCompare(b.id));
    const page = all.slice(skip, skip + top);
    const out: Record<string, unknown> = { '@odata.context': context(request, `users('${store.user.id}')/events`) };
    if (skip + top < all.length) out['@odata.nextLink'] = nextPage(request, top, skip);
    out.value = page.map((e) => renderItem(store, itemOf(e), { zone: prefer.zone ?? { iana: 'UTC', name: 'UTC' }, extended, select }));
    return out;
  };
  api.get<{ Params: P; Querystring: Q }>('/v1.0/me/events', async (request, reply) => {
    preferApplied(reply, parsePrefer(request.headers.prefer), null);
    return list(request, null);
  });
  for (const path of ['/v1.0/me/calendars/:calendarId/events', '/v1.0/me/calendar/events']) {
    api.get<{ Params: P; Querystring: Q }>(path, async (request, reply) => {
      preferApplied(reply, parsePrefer(request.headers.prefer), null);
      return list(request, calendarOf(request.params).id);
    });
  }

  const create = async (request: FastifyRequest<{ Params: P }>, reply: FastifyReply, calendar: CalendarRecord) => {
    const { event } = events.create(calendar, request.body, { ifMatch: null, method: 'POST' });
    return reply.code(201).send({ '@odata.context': context(request, `users('${store.user.id}')/events/$entity`), ...renderItem(store, itemOf(event), { zone: null }) });
  };
  api.post<{ Params: P }>('/v1.0/me/events', async (request, reply) => create(request, reply, store.defaultCalendar));
  for (const path of ['/v1.0/me/calendars/:calendarId/events', '/v1.0/me/calendar/events']) {
    api.post<{ Params: P }>(path, async (request, reply) => create(request, reply, calendarOf(request.params)));
  }

  for (const path of ['/v1.0/me/events/:eventId', '/v1.0/me/calendars/:calendarId/events/:eventId', '/v1.0/me/calendar/events/:eventId']) {
    api.get<{ Params: P; Querystring: Q }>(path, async (request, reply) => {
      const item = events.find(request.params.eventId!);
      if (request.params.calendarId !== undefined || path.includes('/calendar/')) if (item.source.calendarId !== calendarOf(request.params).id) throw graphErrors.itemNotFound();
      const prefer = parsePrefer(request.headers.prefer);
      preferApplied(reply, prefer, null);
      return {
        '@odata.context': context(request, `users('${store.user.id}')/events/$entity`),
        ...renderItem(store, item, { zone: prefer.zone ?? { iana: 'UTC', name: 'UTC' }, extended: parseExpand(request.query.$expand), select: parseSelect(request.query.$select) }),
      };
    });
    api.patch<{ Params: P }>(path, async (request) => {
      const item = events.update(request.params.eventId!, request.body, { ifMatch: headerOf(request, 'if-match'), method: 'PATCH' });
      return { '@odata.context': context(request, `users('${store.user.id}')/events/$entity`), ...renderItem(store, item, { zone: null }) };
    });
    api.delete<{ Params: P }>(path, async (request, reply) => {
      events.delete(request.params.eventId!, { ifMatch: headerOf(request, 'if-match'), method: 'DELETE' });
      return reply.code(204).send();
    });
  }

  api.get<{ Params: P; Querystring: Q }>('/v1.0/me/events/:eventId/instances', async (request, reply) => {
    const window = readWindow(request.query);
    const item = events.find(request.params.eventId!);
    const prefer = parsePrefer(request.headers.prefer);
    preferApplied(reply, prefer, null);
    const top = parseWhole(request.query.$top, '$top', 1, 1000) ?? 10;
    const skip = parseWhole(request.query.$skip, '$skip', 0, Number.MAX_SAFE_INTEGER) ?? 0;
    const all = item.type === 'seriesMaster' ? instancesOf(store, item.source, window) : [];
    const out: Record<string, unknown> = { '@odata.context': context(request, `users('${store.user.id}')/events('${item.id}')/instances`) };
    if (skip + top < all.length) out['@odata.nextLink'] = nextPage(request, top, skip);
    out.value = all.slice(skip, skip + top).map((i) => renderItem(store, i, { zone: prefer.zone ?? { iana: 'UTC', name: 'UTC' } }));
    return out;
  });

  for (const path of ['/v1.0/me/calendarView', '/v1.0/me/calendars/:calendarId/calendarView', '/v1.0/me/calendar/calendarView']) {
    api.get<{ Params: P; Querystring: Q }>(path, async (request, reply) => {
      const window = readWindow(request.query);
      const calendar = calendarOf(request.params);
      const prefer = parsePrefer(request.headers.prefer);
      preferApplied(reply, prefer, null);
      const top = parseWhole(request.query.$top, '$top', 1, 1000) ?? 10;
      const skip = parseWhole(request.query.$skip, '$skip', 0, Number.MAX_SAFE_INTEGER) ?? 0;
      const all = viewOf(store, calendar.id, window, false);
      const out: Record<string, unknown> = { '@odata.context': context(request, `users('${store.user.id}')/calendarView`) };
      if (skip + top < all.length) out['@odata.nextLink'] = nextPage(request, top, skip);
      out.value = all.slice(skip, skip + top).map((i) => renderItem(store, i, { zone: prefer.zone ?? { iana: 'UTC', name: 'UTC' } }));
      return out;
    });
  }

  for (const path of ['/v1.0/me/calendarView/delta', '/v1.0/me/calendars/:calendarId/calendarView/delta', '/v1.0/me/calendar/calendarView/delta']) {
    api.get<{ Params: P; Querystring: Q }>(path, async (request, reply) => {
      const q = request.query;
      const refused = DeltaRounds.refusedParameter(q);
      if (refused !== null) {
        throw graphErrors.invalidUrlQuery(`The following parameters are not supported with change tracking over the 'CalendarView' resource: '${refused}'.`);
      }
      const calendar = calendarOf(request.params);
      const prefer = parsePrefer(request.headers.prefer);
      const { size, applied } = rounds.pageSize(prefer.maxPageSize);
      const param = (name: string): string | undefined => {
        const v = Object.entries(q).find(([k]) => k.toLowerCase() === name)?.[1];
        return v === undefined ? undefined : String(v);
      };
      const skipToken = param('$skiptoken');
      const deltaToken = param('$deltatoken');
      let page: DeltaPage;
      if (request.repeatPage && deps.lastDeltaPage.page !== null && skipToken !== undefined) {
        page = deps.lastDeltaPage.page;
      } else if (skipToken !== undefined) {
        if (rounds.calendarOfSkipToken(skipToken) !== null && rounds.calendarOfSkipToken(skipToken) !== calendar.id) throw graphErrors.expiredDeltaToken({ code: 'syncStateNotFound', capitalised: false });
        page = rounds.next(skipToken, size);
        const previous = deps.lastDeltaPage.page?.entries.at(-1);
        if (request.duplicateItem && previous !== undefined) page = { ...page, entries: [previous, ...page.entries] };
      } else if (deltaToken !== undefined) {
        page = rounds.start(calendar.id, { deltaToken }, size);
      } else {
        page = rounds.start(calendar.id, { window: readWindow(q) }, size);
      }
      deps.lastDeltaPage.page = page;
      preferApplied(reply, prefer, applied ? size : null);
      const self = `${baseUrl(request)}${request.routeOptions.url!.replace(':calendarId', encodeURIComponent(calendar.id))}`;
      const zone = prefer.zone ?? { iana: 'UTC', name: 'UTC' };
      return {
        '@odata.context': context(request, 'Collection(event)'),
        ...(page.nextSkipToken !== null ? { '@odata.nextLink': `${self}?$skiptoken=${page.nextSkipToken}` } : { '@odata.deltaLink': `${self}?$deltatoken=${page.deltaToken}` }),
        value: page.entries.map((e) => (e.kind === 'removed'
          ? { '@odata.type': '#microsoft.graph.event', id: e.id, '@removed': { reason: 'deleted' } }
          : { '@odata.type': '#microsoft.graph.event', ...renderItem(store, e.item, { zone, skeletal: true }) })),
      };
    });
  }

  api.post('/v1.0/subscriptions', async (request, reply) => {
    const created = await subscriptions.create(request.body, store.user.id);
    return reply.code(201).send({ '@odata.context': context(request, 'subscriptions/$entity'), ...created });
  });
  api.get('/v1.0/subscriptions', async (request) => ({ '@odata.context': context(request, 'subscriptions'), value: subscriptions.list() }));
  api.get<{ Params: P }>('/v1.0/subscriptions/:id', async (request) => ({ '@odata.context': context(request, 'subscriptions/$entity'), ...subscriptions.get(request.params.id!) }));
  api.patch<{ Params: P }>('/v1.0/subscriptions/:id', async (request) => ({
    '@odata.context': context(request, 'subscriptions/$entity'), ...(await subscriptions.update(request.params.id!, request.body)),
  }));
  api.delete<{ Params: P }>('/v1.0/subscriptions/:id', async (request, reply) => {
    subscriptions.delete(request.params.id!);
    return reply.code(204).send();
  });
}

export function headerOf(request: FastifyRequest, name: string): string | null {
  const v = request.headers[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? v.join(', ') : null;
}
