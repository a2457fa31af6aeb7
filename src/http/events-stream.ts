// A Server-Sent Events stream per calendar, for apps that cannot receive webhooks:
//   id: <calendar version>
//   event: changed
//   data: {"version": <calendar version>}
// one event whenever the calendar moved past what the client last saw (like a watch
// notification, it says "list with your sync token"; a burst of changes may be one
// event). Resumable: `Last-Event-ID` (sent by a reconnecting EventSource) or
// `?since=<version>` gets an event at once when the calendar moved past it; without
// either, the stream starts at the current version. A comment line every 25 s keeps
// proxies from closing an idle connection (most close after 60 s).
// A binding of the calendar that stops or resumes syncing (its account's grant was
// revoked or expired, or it was reconnected) is an event of its own, without an id:
//   event: binding
//   data: {"bindingId": …, "accountId": …, "state": "paused", "reason": "account revoked: …"}
// A stream starts with one such event per binding that is not active.
// HEAD makes the same checks and answers the stream's headers without a body (and without
// a Content-Length, which would have to be the length of a body that never ends). A batch
// cannot carry a stream: its part is refused before the handler runs (batch-part.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CalsyncError } from '../errors.ts';
import { calendarVersions } from '../store/app-events.ts';
import { bindingStatesOfCalendar, type BindingState } from '../store/bindings.ts';
import type { CalendarNotices } from '../store/calendar-notices.ts';
import type { Db } from '../store/db.ts';
import { tenantOf } from './auth.ts';
import { refusedInBatch } from './batch-part.ts';
import { calendarOf } from './calendar-scope.ts';
import { streamQuery } from './google-parameters.ts';
import { pathParams } from './route-schemas.ts';

export interface EventStreamDeps {
  db: Db;
  notices: CalendarNotices;
  heartbeatMs: number;
  /** Ends every open stream; the app calls them all when it closes. */
  openStreams: Set<() => void>;
}

function sinceOf(request: FastifyRequest<{ Querystring: { since?: string } }>): number | null {
  // A reconnecting EventSource sends Last-Event-ID and the URL it first used: the header is newer.
  const header = request.headers['last-event-id'];
  const [raw, parameter] = header !== undefined ? [String(header), 'Last-Event-ID'] : [request.query.since, 'since'];
  if (raw === undefined || raw.trim() === '') return null;
  if (!/^\d{1,15}$/.test(raw.trim())) throw new CalsyncError('INVALID_REQUEST', `${parameter} must be a calendar version (a whole number), not ${raw}`, { parameter });
  return Number(raw.trim());
}

const streamHeaders = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache',
  Connection: 'keep-alive',
  // nginx buffers responses unless told not to; events would arrive in bursts.
  'X-Accel-Buffering': 'no',
};

const notInBatch = refusedInBatch('an event stream never ends, so it cannot be a batch part: open it with a GET of its own');

export function eventStreamRoutes(app: FastifyInstance, deps: EventStreamDeps): void {
  // Fastify answers HEAD with this handler too (exposeHeadRoutes), hooks included.
  app.get<{ Params: { calendarId: string }; Querystring: { since?: string } }>('/calendar/v3/calendars/:calendarId/events/stream', {
    onRequest: notInBatch, schema: { params: pathParams('calendarId'), querystring: streamQuery },
  }, async (request, reply) => {
    const calendar = await calendarOf(deps.db, request, request.params.calendarId);
    const tenantId = tenantOf(request);
    const since = sinceOf(request);
    if (since !== null && since > calendar.version) {
      throw new CalsyncError('INVALID_REQUEST', `version ${since} is ahead of the calendar (at ${calendar.version}): start without one`, { parameter: 'since' });
    }
    if (request.method === 'HEAD') {
      reply.hijack();
      reply.raw.writeHead(200, streamHeaders).end();
      return;
    }
    let sent = since ?? calendar.version;
    // Binding states as last told: active ones need no telling at the start.
    const told = new Map<string, string>();
    const bindingEvent = (b: BindingState): string =>
      `event: binding\ndata: ${JSON.stringify({ bindingId: b.bindingId, accountId: b.accountId, state: b.state, reason: b.pausedReason })}\n\n`;
    let ended = false;
    let checking = false;
    let again = false;
    const stream = reply.raw;
    const write = (text: string): void => {
      if (!ended) stream.write(text);
    };

    // One read at a time; a notice that comes during a read makes one more read after it.
    const check = async (): Promise<void> => {
      if (checking) {
        again = true;
        return;
      }
      checking = true;
      try {
        do {
          again = false;
          const versions = await calendarVersions(deps.db, tenantId, calendar.id);
          if (!versions) return end();
          if (versions.version > sent) {
            sent = versions.version;
            write(`id: ${sent}\nevent: changed\ndata: ${JSON.stringify({ version: sent })}\n\n`);
          }
          for (const binding of await bindingStatesOfCalendar(deps.db, tenantId, calendar.id)) {
            if ((told.get(binding.bindingId) ?? 'active') !== binding.state) write(bindingEvent(binding));
            told.set(binding.bindingId, binding.state);
          }
        } while (again && !ended);
      } catch (error) {
        request.log.warn({ err: error, tenantId, calendarId: calendar.id }, 'event stream could not read the calendar version');
      } finally {
        checking = false;
      }
    };
    const unsubscribe = await deps.notices.subscribe(tenantId, calendar.id, () => void check());
    const heartbeat = setInterval(() => write(': heartbeat\n\n'), deps.heartbeatMs).unref();
    function end(): void {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      unsubscribe();
      deps.openStreams.delete(end);
      stream.end();
    }
    deps.openStreams.add(end);
    reply.hijack();
    stream.on('close', end);
    stream.writeHead(200, streamHeaders);
    write(`: calendar ${calendar.id} from version ${sent}\n\n`);
    await check();
  });
}
