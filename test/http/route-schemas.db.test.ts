// Every route declares its path and query parameters as schemas, which Fastify checks and
// the OpenAPI document shows: a route registered without them fails at start; a parameter
// given twice is 400 naming it unless it is documented as repeatable; an operator route
// refuses parameters it does not take; an over-long path parameter is 400 naming it. All
// of them before the route runs, so nothing changes.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Fastify from 'fastify';
import { missingSchemas, noParameters, pathParams, requireRouteSchemas } from '../../src/http/route-schemas.ts';
import { testApp, tenantWithKey, type TestApp } from '../helpers/app.ts';
import { snapshot } from '../helpers/snapshot.ts';

type Parameter = { name: string; in: string; schema: { anyOf?: unknown[]; maxLength?: number } };
type Operation = { security?: unknown[]; parameters?: Parameter[] };

let t: TestApp;
let auth: { authorization: string };
let operations: Array<{ method: string; path: string; operation: Operation }>;

before(async () => {
  t = await testApp();
  auth = (await tenantWithKey(t, 'schemas')).auth;
  // The document lists every registered route and only those (openapi.db.test.ts).
  const document = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, Operation>> };
  operations = Object.entries(document.paths).flatMap(([path, byMethod]) => Object.entries(byMethod).map(([method, operation]) => ({ method: method.toUpperCase(), path, operation })));
});
after(async () => { await t.close(); });

async function send(method: string, url: string): Promise<{ status: number; body: any }> {
  const withBody = method !== 'GET' && method !== 'DELETE';
  const res = await t.app.inject({ method: method as 'GET', url, headers: { ...auth, ...(withBody ? { 'content-type': 'application/json' } : {}) }, ...(withBody ? { payload: '{}' } : {}) });
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null };
}

const filled = (path: string, value = 'x') => path.replace(/\{\w+\}/g, value);

test('a route registered without its parameter schemas, or a body schema or reader, fails at start', async () => {
  const cases: Array<[string, (app: ReturnType<typeof Fastify>) => void, RegExp]> = [
    ['no querystring', (app) => app.get('/a', async () => 'ok'), /GET \/a has no querystring schema/],
    ['no params', (app) => app.get('/a/:id', { schema: { querystring: noParameters } }, async () => 'ok'), /GET \/a\/:id has no params schema/],
    ['no body', (app) => app.post('/a', { schema: { querystring: noParameters } }, async () => 'ok'), /POST \/a has no body \(or config.bodyReadBy\) schema/],
  ];
  for (const [what, register, message] of cases) {
    const app = Fastify();
    requireRouteSchemas(app);
    await assert.rejects(async () => { register(app); await app.ready(); }, message, what);
    await app.close().catch(() => undefined);
  }
  assert.deepEqual(missingSchemas({ method: 'POST', url: '/a/:id', schema: { params: pathParams('id'), querystring: noParameters }, config: { bodyReadBy: 'the core' } }), []);
});

test('every path parameter of every route has a schema: an over-long one is 400 naming it, before the route runs', async () => {
  const before = await snapshot(t.database.db);
  let checked = 0;
  for (const { method, path, operation } of operations) {
    const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    for (const name of names) {
      const declared = operation.parameters?.find((p) => p.in === 'path' && p.name === name);
      assert.equal(declared?.schema.maxLength, 2048, `${method} ${path}: ${name} is declared with its length`);
      const url = path.replace(/\{(\w+)\}/g, (_, n: string) => (n === name ? 'a'.repeat(2049) : 'x'));
      const res = await send(method, url);
      assert.equal(res.status, 400, `${method} ${path} ${name}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.errors[0].location, name, `${method} ${path}`);
      checked++;
    }
  }
  assert.ok(checked >= 35, `checked ${checked} path parameters`);
  assert.deepEqual(await snapshot(t.database.db), before);
});

test('every documented query parameter given twice is 400 naming it, unless documented as repeatable', async () => {
  const before = await snapshot(t.database.db);
  const repeatable: string[] = [];
  let checked = 0;
  for (const { method, path, operation } of operations) {
    for (const parameter of operation.parameters?.filter((p) => p.in === 'query') ?? []) {
      if (parameter.schema.anyOf) {
        repeatable.push(`${method} ${path} ${parameter.name}`);
        continue;
      }
      const res = await send(method, `${filled(path)}?${parameter.name}=1&${parameter.name}=2`);
      assert.equal(res.status, 400, `${method} ${path} ${parameter.name}: ${JSON.stringify(res.body)}`);
      assert.deepEqual([res.body.error.errors[0].locationType, res.body.error.errors[0].location], ['parameter', parameter.name], `${method} ${path}`);
      assert.equal(res.body.error.message, `${parameter.name} was given more than once; give it once`);
      checked++;
    }
  }
  assert.ok(checked >= 35, `checked ${checked} parameters`);
  assert.deepEqual(repeatable.sort(), [
    'GET /calendar/v3/calendars/{calendarId}/events privateExtendedProperty',
    'GET /calendar/v3/calendars/{calendarId}/events sharedExtendedProperty',
    'GET /calendar/v3/calendars/{calendarId}/events/{eventId}/instances privateExtendedProperty',
    'GET /calendar/v3/calendars/{calendarId}/events/{eventId}/instances sharedExtendedProperty',
  ]);
  assert.deepEqual(await snapshot(t.database.db), before);
});

test('operator routes refuse a parameter they do not take; Google-shaped ones ignore it, as Google does', async () => {
  const before = await snapshot(t.database.db);
  let named = 0;
  for (const { method, path } of operations.filter((o) => o.path.startsWith('/admin/'))) {
    const res = await send(method, `${filled(path)}?since=1`);
    assert.equal(res.status, 400, `${method} ${path}: ${JSON.stringify(res.body)}`);
    // Fastify checks the body before the query string: where an empty body is refused, that is named first.
    if ((await send(method, filled(path))).status === 400) continue;
    assert.deepEqual([res.body.error.errors[0].location, res.body.error.message], ['since', 'since is not a parameter of this route'], `${method} ${path}`);
    named++;
  }
  assert.ok(named >= 12, `${named} operator routes named the parameter`);
  assert.deepEqual(await snapshot(t.database.db), before);
  const calendarId = (await t.app.inject({ method: 'POST', url: '/calendar/v3/calendars?alt=json&alt=json', headers: auth, payload: { summary: 'Work' } })).json().id;
  const listed = await send('GET', `/calendar/v3/calendars/${calendarId}/events?alt=json&prettyPrint=false&privateExtendedProperty=a%3Db&privateExtendedProperty=c%3Dd`);
  assert.deepEqual([listed.status, listed.body.items], [200, []]);
});

test('a body that breaks its schema names the member', async () => {
  const res = await send('POST', '/calendar/v3/freeBusy');
  assert.equal(res.status, 400);
  assert.deepEqual([res.body.error.message, res.body.error.calsync.field], ['timeMin is required', 'timeMin']);
  const nested = await t.app.inject({ method: 'POST', url: '/calendar/v3/freeBusy', headers: auth, payload: { timeMin: '2026-03-01T00:00:00Z', timeMax: '2026-03-02T00:00:00Z', items: [{ id: 'a' }, { id: 7 }] } });
  assert.deepEqual([nested.statusCode, nested.json().error.calsync.field], [400, 'items[1].id']);
});
