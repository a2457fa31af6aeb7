// Requests for every operation of the OpenAPI document, each with some parameters,
// headers or body parts replaced by hostile values (test/helpers/hostile-values.ts):
// a seeded generator, so a failure replays from its seed.
import fc from 'fast-check';
import { deepJson, hostileJson, hostileString, segment } from './hostile-values.ts';

export interface Operation {
  method: string;
  /** `/calendar/v3/calendars/{calendarId}/events` */
  path: string;
  parameters: Array<{ name: string; in: 'path' | 'query' | 'header'; schema?: { type?: string } }>;
  bodyTypes: string[];
  bodySchema: Schema | null;
}

type Schema = { type?: string; properties?: Record<string, Schema>; items?: Schema; $ref?: string; enum?: unknown[] };

export interface HostileRequest {
  operation: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/** What the generator fills in where a real value gets a request further than the first check. */
export interface KnownIds {
  calendarId: string;
  otherTenantCalendarId: string;
  eventId: string;
  recurringEventId: string;
  etag: string;
}

export function operationsOf(document: { paths: Record<string, Record<string, any>>; components?: { schemas?: Record<string, Schema> } }): Operation[] {
  const schemas = document.components?.schemas ?? {};
  const resolve = (s: Schema | undefined): Schema | null => (s?.$ref ? schemas[s.$ref.split('/').at(-1)!] ?? null : s ?? null);
  return Object.entries(document.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => {
    const content = op.requestBody?.content ?? {};
    return {
      method: method.toUpperCase(), path, parameters: op.parameters ?? [], bodyTypes: Object.keys(content),
      bodySchema: resolve(content['application/json']?.schema),
    };
  }));
}

const plausibleByName: Record<string, fc.Arbitrary<unknown>> = {
  summary: fc.constantFrom('Standup', 'Review'),
  start: fc.constantFrom({ dateTime: '2026-05-04T09:00:00Z' }, { date: '2026-05-04' }, { dateTime: '2026-05-04T09:00:00', timeZone: 'Europe/Berlin' }),
  end: fc.constantFrom({ dateTime: '2026-05-04T10:00:00Z' }, { date: '2026-05-05' }, { dateTime: '2026-05-04T10:00:00', timeZone: 'Europe/Berlin' }),
  recurrence: fc.constantFrom(['RRULE:FREQ=WEEKLY;COUNT=3'], ['RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30'], ['RRULE:FREQ=SECONDLY;COUNT=1000000000'],
    ['RRULE:FREQ=HOURLY;BYMONTH=4;BYMONTHDAY=31'], ['RRULE:FREQ=DAILY;UNTIL=99991231T235959Z'], ['RRULE:FREQ=WEEKLY', 'EXDATE:20261399T100000Z']),
  timeMin: fc.constantFrom('2026-05-01T00:00:00Z', '0000-01-01T00:00:00Z'),
  timeMax: fc.constantFrom('2026-06-01T00:00:00Z', '9999-12-31T23:59:59Z'),
  items: fc.constantFrom([{ id: 'primary' }], [{ id: '\u0000' }], []),
  timeZone: fc.constantFrom('UTC', 'Europe/Berlin', 'Mars/Olympus_Mons', '\u0000'),
  sequence: fc.constantFrom(0, 2 ** 31, -1, 1e300),
  iCalUID: fc.constantFrom('fuzz@example.org', '\u0000@x', 'x'.repeat(70_000)),
  id: fc.constantFrom('abcdefghij', 'stream', '\u0000', 'x'.repeat(2000)),
  kind: fc.constantFrom('caldav', 'ics', 'google', 'microsoft', 'memory', 'nope'),
  url: fc.constantFrom('http://127.0.0.1:99999/', 'http://169.254.169.254/', 'https://example.invalid/cal.ics', 'file:///etc/passwd'),
  take: fc.constantFrom('calendar', 'remote', 'both'),
  // Graph's notifications (change-notifications-delivery-webhooks): calsync's clientState is `<subscription id>.<secret>`.
  value: fc.constantFrom([], [{}], [{ subscriptionId: 'graph-1', clientState: '9b2f8c1e-4d3a-4f6b-8e7c-2a1d5f3b6c90.secret', changeType: 'updated', resource: 'me/events/x' }],
    [{ subscriptionId: 'graph-1', clientState: '9b2f8c1e-4d3a-4f6b-8e7c-2a1d5f3b6c90.secret', lifecycleEvent: 'reauthorizationRequired' }, { subscriptionId: 'graph-2', clientState: 'no-dot' }],
    [{ subscriptionId: 'graph-1', clientState: `${'x'.repeat(5_000)}.secret` }]),
};

function bodyFor(schema: Schema | null, knownKeys: string[]): fc.Arbitrary<unknown> {
  const keys = [...new Set([...Object.keys(schema?.properties ?? {}), ...knownKeys])];
  if (keys.length === 0) return hostileJson;
  const field = (key: string) => fc.oneof(hostileJson, plausibleByName[key] ?? hostileJson, fc.constant(undefined));
  return fc.oneof(
    { weight: 6, arbitrary: fc.record(Object.fromEntries(keys.map((k) => [k, field(k)])), { requiredKeys: [] }) },
    { weight: 1, arbitrary: hostileJson },
  );
}

const badRawBodies = ['', '{', '{"a":', 'null', '[]', '"x"', '1e400', '{"a":1,"a":2}', `{"summary":"\\u0000"}`, `{"summary":"\\ud800"}`,
  deepJson(2_000), deepJson(2_000, '{"a":', '}'), `{"x":${deepJson(5_000)}}`];

function pathValue(name: string, ids: KnownIds): fc.Arbitrary<string> {
  const plausible = name === 'calendarId' ? [ids.calendarId, ids.otherTenantCalendarId, 'primary']
    : name === 'eventId' ? [ids.eventId, ids.recurringEventId, `${ids.recurringEventId}_20260504T090000Z`, `${ids.recurringEventId}_20261399T100000Z`,
      `${ids.recurringEventId}_00000101`, `${ids.recurringEventId}_99991231T235959Z`, `${ids.recurringEventId}_20260230`, 'stream']
      : ['00000000-0000-0000-0000-000000000000', '9b2f8c1e-4d3a-4f6b-8e7c-2a1d5f3b6c90'];
  return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...plausible) }, { weight: 2, arbitrary: hostileString });
}

function queryValue(name: string): fc.Arbitrary<string> {
  const plausible: Record<string, string[]> = {
    maxResults: ['1', '2500', '0', '-5', '99999999999', '1.5'], singleEvents: ['true', 'false', 'yes'], showDeleted: ['true', 'maybe'],
    orderBy: ['startTime', 'updated', 'nope'], timeMin: ['2026-05-01T00:00:00Z', '0000-01-01T00:00:00Z', '2026-13-01T00:00:00Z'],
    timeMax: ['2026-06-01T00:00:00Z', '1970-01-01T00:00:00Z', '+275760-09-13T00:00:01Z'], pageToken: ['abc', 'eyJ4IjoxfQ', '\u0000'],
    syncToken: ['abc', '0', 'eyJ2IjotMX0'], privateExtendedProperty: ['a=b', '=', 'a'], sharedExtendedProperty: ['a=b', '\u0000=x'],
  };
  return fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...(plausible[name] ?? ['x'])) }, { weight: 2, arbitrary: hostileString });
}

function headerSafe(value: string): string {
  // Node refuses to send control characters and non-Latin-1 in headers; such a request never reaches a server.
  return value.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?').slice(0, 8_000);
}

export function requestArbitrary(op: Operation, ids: KnownIds, auth: string): fc.Arbitrary<HostileRequest> {
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  return fc.record({
    path: fc.tuple(...pathParams.map((p) => pathValue(p.name, ids))),
    query: fc.array(fc.tuple(fc.constantFrom(...queryParams.map((p) => p.name), 'unknownParam', 'maxResults'), fc.oneof(...(queryParams.length ? queryParams.map((p) => queryValue(p.name)) : [hostileString]))), { maxLength: 4 }),
    body: op.bodyTypes.length === 0 && op.method === 'GET' ? fc.constant(undefined)
      : fc.oneof({ weight: 6, arbitrary: bodyFor(op.bodySchema, op.path.includes('/events') ? ['summary', 'start', 'end', 'recurrence', 'sequence', 'iCalUID', 'id'] : op.path.startsWith('/webhooks/') ? ['value'] : []).map((b) => JSON.stringify(b) ?? 'null') },
        { weight: 1, arbitrary: fc.constantFrom(...badRawBodies) }),
    contentType: fc.constantFrom('application/json', 'application/json', 'application/json', 'text/plain', 'multipart/mixed; boundary=x', 'application/json; charset=utf-16'),
    ifMatch: fc.option(fc.oneof(fc.constant(ids.etag), hostileString.map(headerSafe)), { freq: 3 }),
    goog: fc.record({ channel: hostileString.map(headerSafe), resource: hostileString.map(headerSafe), state: fc.constantFrom('sync', 'exists', 'not_exists', '') }),
  }).map(({ path, query, body, contentType, ifMatch, goog }) => {
    let url = op.path;
    pathParams.forEach((p, i) => { url = url.replace(`{${p.name}}`, segment(path[i]!)); });
    if (query.length > 0) url += `?${query.map(([k, v]) => `${k}=${segment(v)}`).join('&')}`;
    const headers: Record<string, string> = { authorization: auth };
    if (body !== undefined) headers['content-type'] = contentType;
    if (ifMatch !== null) headers['if-match'] = ifMatch;
    if (op.path.startsWith('/webhooks/')) Object.assign(headers, { 'x-goog-channel-id': goog.channel, 'x-goog-resource-id': goog.resource, 'x-goog-resource-state': goog.state, 'x-goog-message-number': '1' });
    return { operation: `${op.method} ${op.path}`, method: op.method, path: url, headers, body };
  });
}

/** A batch of other operations' hostile requests, in calsync's JSON form or Google's multipart form, and nested batches. */
function batchArbitrary(op: Operation, parts: fc.Arbitrary<HostileRequest>, auth: string): fc.Arbitrary<HostileRequest> {
  const nested = fc.constantFrom('/batch', '../../batch', '/%62atch', '/calendar/v3/../../batch/calendar/v3', '%2e%2e/%2e%2e/batch', '/BATCH', '/calendar/v3/calendars/primary/events/stream');
  const part = fc.oneof({ weight: 4, arbitrary: parts.map((r) => ({ method: r.method, path: r.path, headers: r.headers, body: r.body })) },
    { weight: 1, arbitrary: fc.tuple(nested, fc.constantFrom('GET', 'POST', 'HEAD')).map(([path, method]) => ({ method, path, headers: {}, body: undefined as string | undefined })) });
  return fc.record({ parts: fc.array(part, { minLength: 0, maxLength: 6 }), multipart: fc.boolean() }).map(({ parts: list, multipart }) => {
    if (!multipart) {
      const requests = list.map((r, i) => ({ id: `p${i}`, method: r.method, path: r.path, headers: r.headers, ...(r.body === undefined ? {} : { body: safeParse(r.body) }) }));
      return { operation: `${op.method} ${op.path}`, method: 'POST', path: op.path, headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify({ requests }) };
    }
    const body = list.map((r, i) => [`--fuzz`, 'Content-Type: application/http', `Content-ID: <p${i}>`, '',
      `${r.method} ${r.path} HTTP/1.1`, ...(r.body === undefined ? [] : ['Content-Type: application/json', '', r.body])].join('\r\n')).join('\r\n') + '\r\n--fuzz--';
    return { operation: `${op.method} ${op.path}`, method: 'POST', path: op.path, headers: { authorization: auth, 'content-type': 'multipart/mixed; boundary=fuzz' }, body };
  });
}

function safeParse(text: string): unknown {
  // Deeply nested text stays text: parsed, it would overflow this side's JSON.stringify.
  if (text.length > 1_000) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Every operation's requests, round-robin, `count` in all. */
export function hostileRequests(operations: Operation[], ids: KnownIds, auth: string, count: number, seed: number): HostileRequest[] {
  const per = Math.ceil(count / operations.length);
  const plain = operations.filter((op) => !op.path.startsWith('/batch'));
  const anyPart = fc.oneof(...plain.map((op) => requestArbitrary(op, ids, auth)));
  const lists = operations.map((op, i) => fc.sample(op.path.startsWith('/batch') ? batchArbitrary(op, anyPart, auth) : requestArbitrary(op, ids, auth), { seed: seed + i, numRuns: per }));
  const out: HostileRequest[] = [];
  for (let i = 0; out.length < count; i++) for (const list of lists) if (out.length < count && list[i]) out.push(list[i]!);
  return out;
}

