// The OpenAPI document: valid OpenAPI 3, every registered route in it (and nothing else),
// reachable without a key, and its word on which routes need a key borne out.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import { testApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let document: { openapi: string; paths: Record<string, Record<string, { security?: unknown[]; summary?: string; requestBody?: { content: Record<string, { schema: { $ref?: string } }> } }>> };

before(async () => {
  t = await testApp();
  const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
  assert.equal(res.statusCode, 200, 'served without a key');
  assert.match(String(res.headers['content-type']), /^application\/json/);
  document = res.json();
});
after(async () => { await t.close(); });

/**
 * "METHOD /path/{param}" of every route the app registered, read from printRoutes'
 * tree: each line is a path segment under the line above it with less indent, followed
 * by its methods. HEAD routes are Fastify's automatic twins of GET routes.
 */
function registeredRoutes(tree: string): string[] {
  const routes: string[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^((?:[│ ] {3})*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    stack.length = depth;
    stack.push(match[2]!);
    const path = stack.join('').replace(/:(\w+)/g, '{$1}');
    for (const method of match[3]?.split(', ') ?? []) if (method !== 'HEAD') routes.push(`${method} ${path}`);
  }
  return routes.sort();
}

test('the document is valid OpenAPI 3', async () => {
  assert.match(document.openapi, /^3\./);
  await SwaggerParser.validate(structuredClone(document) as never);
});

test('it lists every registered route, and only those', () => {
  const registered = registeredRoutes(t.app.printRoutes({ commonPrefix: false }));
  assert.ok(registered.length >= 29, `read ${registered.length} routes from printRoutes`);
  const documented = Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`)).sort();
  assert.deepEqual(documented, registered);
  for (const route of ['GET /calendar/v3/calendars/{calendarId}/events', 'POST /batch/calendar/v3', 'POST /batch', 'POST /admin/v1/bindings/{bindingId}/sync', 'POST /admin/v1/mirrors', 'DELETE /admin/v1/mirrors/{mirrorId}', 'POST /admin/v1/bookings/watch', 'POST /admin/v1/bookings/watch/stop', 'GET /readyz', 'GET /metrics']) {
    assert.ok(documented.includes(route), route);
  }
});

test('the Google resources are described once and referenced', () => {
  const insert = document.paths['/calendar/v3/calendars/{calendarId}/events']!.post!;
  assert.equal(insert.summary, 'events.insert');
  assert.equal(insert.requestBody!.content['application/json']!.schema.$ref, '#/components/schemas/Event');
  const batch = document.paths['/batch/calendar/v3']!.post!;
  assert.deepEqual(Object.keys(batch.requestBody!.content).sort(), ['application/json', 'multipart/mixed']);
});

test('what it says about keys holds: routes without security answer without a key, every other one is 401 without', async () => {
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const url = path.replace(/\{\w+\}/g, 'someid');
      const res = await t.app.inject({ method: method.toUpperCase() as 'GET', url });
      // An inbound source's post needs no key; its signature is checked instead, and a post without one is refused as unsigned.
      if (Array.isArray(operation.security) && operation.security.length === 0) {
        if (res.statusCode === 401) assert.equal(res.json().error.calsync.code, 'INBOUND_SIGNATURE_INVALID', `${method} ${path}`);
      }
      else assert.equal(res.statusCode, 401, `${method} ${path}`);
    }
  }
});
