// HEAD of a calendar's event stream answers at once: the stream's headers, no body, no
// Content-Length, after the same checks as GET. It used to run the stream's handler and
// never answer.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { CalendarNotices } from '../../src/store/calendar-notices.ts';
import { appOn, tenantWithKey, testApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let notices: CalendarNotices;
let base: string;
let auth: { authorization: string };
let calendarId: string;

before(async () => {
  t = await testApp();
  notices = new CalendarNotices(t.database.db);
  await t.app.close();
  t.app = await appOn(t.database, { notices });
  auth = (await tenantWithKey(t, 'head')).auth;
  calendarId = (await t.app.inject({ method: 'POST', url: '/calendar/v3/calendars', headers: auth, payload: { summary: 'Head' } })).json().id;
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
});
after(async () => {
  // The notices hold a pooled connection while listening: closed before the pool ends.
  await t.app.close();
  await notices.close();
  await t.database.drop();
});

/** A HEAD over a socket; fails instead of waiting for ever. */
function head(path: string, headers: Record<string, string> = auth): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const request = http.request(`${base}${path}`, { method: 'HEAD', headers, timeout: 2000 }, (response) => {
      let body = '';
      response.on('data', (chunk) => { body += String(chunk); });
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body, ms: Date.now() - started }));
    });
    request.on('timeout', () => request.destroy(new Error(`HEAD ${path} did not answer within 2 s`)));
    request.on('error', reject);
    request.end();
  });
}

const path = () => `/calendar/v3/calendars/${calendarId}/events/stream`;

test('HEAD answers at once with the stream\'s headers and no body, and subscribes to nothing', async () => {
  const answer = await head(`${path()}?since=0`);
  assert.equal(answer.status, 200);
  assert.match(String(answer.headers['content-type']), /^text\/event-stream/);
  assert.equal(answer.headers['cache-control'], 'no-cache');
  assert.equal(answer.headers['content-length'], undefined, 'no length of a body that never ends');
  assert.equal(answer.body, '');
  assert.ok(answer.ms < 1000, `answered after ${answer.ms} ms`);
  assert.equal(notices.listenerCount(), 0);
  const injected = await t.app.inject({ method: 'HEAD', url: path(), headers: auth });
  assert.equal(injected.statusCode, 200);
  assert.equal(injected.body, '');
});

test('HEAD makes the checks GET makes', async () => {
  assert.equal((await head(path(), {})).status, 401);
  assert.equal((await head('/calendar/v3/calendars/no-such-calendar/events/stream')).status, 404);
  assert.equal((await head(`${path()}?since=999999`)).status, 400);
  assert.equal((await head(`${path()}?since=x`)).status, 400);
  assert.equal(notices.listenerCount(), 0);
});
