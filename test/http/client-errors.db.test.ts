// A request Node's parser cannot read is answered in calsync's shape with
// `Connection: close`, so a keep-alive client's next request goes down a new connection
// instead of one the server has dropped.
import assert from 'node:assert/strict';
import { connect, type AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { Pool } from 'undici';
import { testApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let pool: Pool;

before(async () => {
  t = await testApp();
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  pool = new Pool(`http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`, { connections: 1 });
});
after(async () => {
  await pool.close();
  await t.close();
});

test('a request line past 16 KB is a 431 that closes its connection, and the next request on the pool is answered', async () => {
  for (let round = 0; round < 20; round++) {
    const res = await pool.request({ method: 'GET', path: `/calendar/v3/users/me/calendarList?q=${'x'.repeat(20_000)}` });
    const body = await res.body.json() as { error: { calsync: { code: string } } };
    assert.equal(res.statusCode, 431);
    assert.equal(body.error.calsync.code, 'HEADERS_TOO_LARGE');
    const next = await pool.request({ method: 'GET', path: '/healthz' });
    assert.equal(next.statusCode, 200);
    await next.body.text();
  }
});

test('bytes that are not HTTP are a 400 in the same shape, and the connection closes after it', async () => {
  const socket = connect((t.app.server.address() as AddressInfo).port, '127.0.0.1');
  socket.end('NOT HTTP AT ALL\r\n\r\n');
  let answer = '';
  for await (const chunk of socket) answer += String(chunk);
  assert.match(answer, /^HTTP\/1\.1 400 /);
  assert.match(answer, /\r\nConnection: close\r\n/);
  assert.equal(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).error.calsync.code, 'INVALID_REQUEST');
});
