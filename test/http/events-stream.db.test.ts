// The Server-Sent Events stream of a calendar over a real socket: an event with the new
// version after a change, resuming with since or Last-Event-ID, heartbeats, one LISTEN
// connection however many streams, and clean ends on disconnect and on app.close().
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { appOn, tenantWithKey, testApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let base: string;
let auth: { authorization: string };
let calendarId: string;

before(async () => {
  t = await testApp({ streamHeartbeatMs: 100 });
  auth = (await tenantWithKey(t, 'app')).auth;
  calendarId = (await t.app.inject({ method: 'POST', url: '/calendar/v3/calendars', headers: auth, payload: { summary: 'Front desk' } })).json().id;
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
});
after(async () => { await t.close(); });

interface StreamEvent {
  id: string;
  event: string;
  data: string;
}

interface Stream {
  status: number;
  headers: http.IncomingHttpHeaders;
  events: StreamEvent[];
  comments: string[];
  ended: Promise<void>;
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  close(): void;
}

function openStream(path: string, headers: Record<string, string> = {}, url = base): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${url}${path}`, { headers: { ...auth, accept: 'text/event-stream', ...headers } }, (response) => {
      let buffer = '';
      let ended!: () => void;
      const stream: Stream = {
        status: response.statusCode!, headers: response.headers, events: [], comments: [],
        ended: new Promise((r) => { ended = r; }),
        async waitFor(count, timeoutMs = 5000) {
          for (const start = Date.now(); stream.events.length < count && Date.now() - start < timeoutMs;) await new Promise((r) => setTimeout(r, 10));
          assert.ok(stream.events.length >= count, `${count} events arrived (got ${stream.events.length})`);
        },
        close: () => request.destroy(),
      };
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = new Map<string, string>();
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) stream.comments.push(line.slice(1).trim());
            else fields.set(line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim());
          }
          if (fields.size > 0) stream.events.push({ id: fields.get('id') ?? '', event: fields.get('event') ?? '', data: fields.get('data') ?? '' });
        }
      });
      response.on('end', () => ended());
      response.on('close', () => ended());
      resolve(stream);
    });
    request.on('error', (error) => (error.message === 'socket hang up' ? undefined : reject(error)));
  });
}

async function addEvent(summary: string): Promise<number> {
  await t.app.inject({ method: 'POST', url: `/calendar/v3/calendars/${calendarId}/events`, headers: auth, payload: { summary, start: { date: '2026-03-02' }, end: { date: '2026-03-03' } } });
  const { rows: [row] } = await t.database.db.query<{ version: number }>('select version::int from calendars where id = $1', [calendarId]);
  return row!.version;
}

async function listenConnections(): Promise<number> {
  const { rows: [row] } = await t.database.db.query<{ n: number }>(
    `select count(*)::int as n from pg_stat_activity where datname = current_database() and query ilike 'listen calsync_calendar'`);
  return row!.n;
}

const path = () => `/calendar/v3/calendars/${calendarId}/events/stream`;

test('since=0 gets the current version at once, then an event for each change, with heartbeats in between', async () => {
  const first = await addEvent('Before the stream');
  const stream = await openStream(`${path()}?since=0`);
  try {
    assert.equal(stream.status, 200);
    assert.match(String(stream.headers['content-type']), /^text\/event-stream/);
    await stream.waitFor(1);
    assert.deepEqual(stream.events[0], { id: String(first), event: 'changed', data: JSON.stringify({ version: first }) });
    const second = await addEvent('While streaming');
    await stream.waitFor(2);
    assert.deepEqual(stream.events[1], { id: String(second), event: 'changed', data: JSON.stringify({ version: second }) });
    await new Promise((r) => setTimeout(r, 250));
    assert.ok(stream.comments.filter((c) => c === 'heartbeat').length >= 1, 'a heartbeat comment while idle');
  } finally {
    stream.close();
  }
});

test('a reconnect with Last-Event-ID gets nothing old, then what changes next; one LISTEN connection serves every stream', async () => {
  const seen = await addEvent('Seen before the reconnect');
  const resumed = await openStream(path(), { 'last-event-id': String(seen) });
  const other = await openStream(`${path()}?since=${seen}`);
  try {
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(resumed.events.length, 0, 'nothing the client already saw');
    assert.equal(await listenConnections(), 1);
    const next = await addEvent('After the reconnect');
    await resumed.waitFor(1);
    await other.waitFor(1);
    assert.equal(resumed.events[0]!.id, String(next));
    assert.equal(other.events[0]!.id, String(next));
  } finally {
    resumed.close();
    other.close();
  }
});

test('a client that disconnects leaves no open connection behind', async () => {
  const stream = await openStream(path());
  stream.close();
  await stream.ended;
  let open = -1;
  for (let i = 0; i < 100 && open !== 0; i++) {
    await new Promise((r) => setTimeout(r, 20));
    open = await new Promise<number>((resolve) => t.app.server.getConnections((_, n) => resolve(n)));
  }
  assert.equal(open, 0);
});

test('the stream needs a key, the tenant\'s own calendar and a sensible version', async () => {
  const anonymous = await fetch(`${base}${path()}`);
  assert.equal(anonymous.status, 401);
  const other = await tenantWithKey(t, 'other');
  assert.equal((await fetch(`${base}${path()}`, { headers: other.auth })).status, 404);
  const bad = await fetch(`${base}${path()}?since=yesterday`, { headers: auth });
  assert.equal(bad.status, 400);
  assert.equal(((await bad.json()) as { error: { errors: Array<{ location: string }> } }).error.errors[0]!.location, 'since');
  assert.equal((await fetch(`${base}${path()}`, { headers: { ...auth, 'last-event-id': '999999' } })).status, 400, 'ahead of the calendar');
  const shadowed = await t.app.inject({ method: 'POST', url: `/calendar/v3/calendars/${calendarId}/events`, headers: auth, payload: { id: 'stream', summary: 'x', start: { date: '2026-03-02' }, end: { date: '2026-03-03' } } });
  assert.equal(shadowed.statusCode, 400, 'no event may take the id the stream\'s path uses');
});

test('app.close() ends open streams and the LISTEN connection', async () => {
  const second = await appOn(t.database);
  await second.listen({ host: '127.0.0.1', port: 0 });
  const stream = await openStream(path(), {}, `http://127.0.0.1:${(second.server.address() as { port: number }).port}`);
  assert.equal(stream.status, 200);
  const started = Date.now();
  await second.close();
  await stream.ended;
  assert.ok(Date.now() - started < 2000, 'close did not wait for the stream');
  let listening = -1;
  for (let i = 0; i < 100 && listening !== 1; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 20));
    listening = await listenConnections();
  }
  assert.equal(listening, 1, 'only the first app\'s LISTEN connection is left');
});
