import assert from 'node:assert/strict';
import type { LookupOptions } from 'node:dns';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { isConnectorError } from '../../src/connectors/connector.ts';
import { classifyAddress, createUrlGuard, guardedFetch, type FetchLike, type Lookup } from '../../src/connectors/http-guard.ts';
import { pinnedFetch } from '../../src/connectors/pinned-fetch.ts';
import { requestFailureOf } from '../../src/connectors/request-failures.ts';

// No real DNS: every name the tests use resolves here or fails like a missing name.
const zone: Record<string, string[]> = {
  'feeds.example.com': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
  'internal.example.com': ['10.0.0.5'],
  'metadata.example.com': ['169.254.169.254'],
  'mixed.example.com': ['93.184.216.34', '192.168.1.20'],
  'mapped.example.com': ['::ffff:127.0.0.1'],
  'ula.example.com': ['fd12:3456:789a::1'],
};
const lookup: Lookup = async (host) => {
  const addresses = zone[host];
  if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

const refused = (pattern?: RegExp) => (e: unknown) =>
  isConnectorError(e, 'permanent') && (pattern === undefined || pattern.test(e.message));

test('http guard: every reserved IPv4 range is classified', () => {
  const cases: [string, string | null][] = [
    ['0.0.0.0', 'unspecified'], ['0.1.2.3', 'unspecified'],
    ['10.0.0.5', 'private'], ['10.255.255.255', 'private'],
    ['100.64.0.1', 'shared'], ['100.127.255.254', 'shared'], ['100.128.0.1', null], ['100.63.255.255', null],
    ['127.0.0.1', 'loopback'], ['127.255.0.9', 'loopback'],
    ['169.254.169.254', 'link-local'], ['169.254.0.1', 'link-local'],
    ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['172.15.255.255', null], ['172.32.0.1', null],
    ['192.0.0.170', 'reserved'], ['192.0.2.1', 'documentation'], ['198.51.100.7', 'documentation'], ['203.0.113.9', 'documentation'],
    ['192.168.1.1', 'private'], ['198.18.0.1', 'reserved'], ['198.19.255.255', 'reserved'],
    ['224.0.0.251', 'multicast'], ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'], ['255.255.255.255', 'reserved'],
    ['8.8.8.8', null], ['93.184.216.34', null], ['1.1.1.1', null],
  ];
  for (const [address, kind] of cases) assert.equal(classifyAddress(address), kind, address);
});

test('http guard: IPv6 forms, including IPv4 carried inside IPv6', () => {
  const cases: [string, string | null][] = [
    ['::', 'unspecified'], ['::1', 'loopback'], ['0:0:0:0:0:0:0:1', 'loopback'],
    ['fc00::1', 'unique-local'], ['fd12:3456:789a::1', 'unique-local'],
    ['fe80::1', 'link-local'], ['fe80::1%eth0', 'link-local'], ['febf::1', 'link-local'], ['fec0::1', 'private'],
    ['ff02::1', 'multicast'], ['2001:db8::1', 'documentation'], ['100::1', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'], ['::ffff:7f00:1', 'loopback'], ['::ffff:10.0.0.5', 'private'],
    ['::ffff:169.254.169.254', 'link-local'], ['::ffff:8.8.8.8', null],
    ['::10.0.0.5', 'private'], ['64:ff9b::a9fe:a9fe', 'link-local'], ['64:ff9b:1::1', 'private'],
    ['2002:c0a8:0101::1', 'private'], ['2002:0808:0808::1', null],
    ['2606:4700:4700::1111', null], ['2a00:1450:4001:80b::200e', null],
  ];
  for (const [address, kind] of cases) assert.equal(classifyAddress(address), kind, address);
});

test('http guard: public hosts pass; private, link-local and mixed answers are refused with the reason', async () => {
  const guard = createUrlGuard({ lookup });
  assert.equal((await guard.check('https://feeds.example.com/team.ics')).hostname, 'feeds.example.com');
  await assert.rejects(guard.check('https://10.0.0.5/secret/feed.ics'), refused(/^https:\/\/10\.0\.0\.5\/… resolves to a private address; set CALSYNC_ALLOW_PRIVATE_URLS=1 to allow$/));
  await assert.rejects(guard.check('https://internal.example.com/'), refused(/private address \(10\.0\.0\.5\)/));
  await assert.rejects(guard.check('http://metadata.example.com/latest/meta-data/'), refused(/link-local address \(169\.254\.169\.254\); add metadata\.example\.com to CALSYNC_ALLOWED_URL_HOSTS/));
  await assert.rejects(guard.check('https://mixed.example.com/feed.ics'), refused(/192\.168\.1\.20/), 'one private answer is enough');
  await assert.rejects(guard.check('https://mapped.example.com/'), refused(/loopback/));
  await assert.rejects(guard.check('https://ula.example.com/'), refused(/unique-local/));
  for (const url of ['http://127.0.0.1:8080/', 'http://[::1]/', 'http://[::ffff:127.0.0.1]/', 'http://2130706433/', 'http://0x7f.1/', 'http://[fe80::1]/', 'http://0.0.0.0/', 'http://224.0.0.1/']) {
    await assert.rejects(guard.check(url), refused(), url);
  }
});

test('http guard: only http and https, valid URLs and resolvable names', async () => {
  const guard = createUrlGuard({ lookup });
  for (const url of ['file:///etc/passwd', 'ftp://feeds.example.com/a.ics', 'gopher://feeds.example.com/', 'webcal://feeds.example.com/a.ics']) {
    await assert.rejects(guard.check(url), refused(/not an http or https URL/), url);
  }
  await assert.rejects(guard.check('not a url'), refused(/not a valid URL/));
  await assert.rejects(guard.check('https://nowhere.example.com/'), refused(/does not resolve \(ENOTFOUND\)/));
  const flaky = createUrlGuard({ lookup: async () => { throw Object.assign(new Error('try again'), { code: 'EAI_AGAIN' }); } });
  await assert.rejects(flaky.check('https://feeds.example.com/'), (e: unknown) => isConnectorError(e, 'transient'));
});

test('http guard: allowed when configured', async () => {
  const privateOk = createUrlGuard({ lookup, allowPrivateNetworks: true });
  for (const url of ['http://127.0.0.1:5232/', 'http://[::1]/', 'https://internal.example.com/', 'http://100.100.1.1/', 'https://ula.example.com/', 'https://mapped.example.com/']) {
    await privateOk.check(url);
  }
  await assert.rejects(privateOk.check('http://169.254.169.254/'), refused(/link-local/), 'metadata stays closed with private networks open');
  await assert.rejects(privateOk.check('http://224.0.0.1/'), refused(/multicast/));

  const listed = createUrlGuard({ lookup, allowedHosts: ['metadata.example.com', '10.0.0.5', '[::1]'] });
  await listed.check('http://metadata.example.com/');
  await listed.check('https://10.0.0.5/');
  await listed.check('http://[::1]:8000/');
  await assert.rejects(listed.check('https://internal.example.com/'), refused(), 'a listed address does not open names resolving to it');
});

function scriptedFetch(answers: Record<string, () => Response>) {
  const requests: { url: string; init: RequestInit }[] = [];
  const fetch: FetchLike = async (input, init = {}) => {
    const url = String(input);
    requests.push({ url, init });
    const answer = answers[url];
    if (!answer) throw new Error(`unexpected request to ${url}`);
    return answer();
  };
  return { fetch, requests };
}

const redirect = (location: string, status = 302) => () => new Response(null, { status, headers: { location } });

test('guarded fetch: checks the first URL before any request', async () => {
  const { fetch, requests } = scriptedFetch({});
  await assert.rejects(guardedFetch(fetch, createUrlGuard({ lookup }))('http://10.1.2.3/feed.ics'), refused(/private/));
  assert.equal(requests.length, 0);
});

test('guarded fetch: follows redirects itself, checking each hop', async () => {
  const { fetch, requests } = scriptedFetch({
    'https://feeds.example.com/old.ics': redirect('/new.ics', 301),
    'https://feeds.example.com/new.ics': () => new Response('BEGIN:VCALENDAR', { status: 200 }),
  });
  const response = await guardedFetch(fetch, createUrlGuard({ lookup }))('https://feeds.example.com/old.ics', { headers: { authorization: 'Basic eDp5' } });
  assert.equal(await response.text(), 'BEGIN:VCALENDAR');
  assert.deepEqual(requests.map((r) => [r.url, r.init.redirect, new Headers(r.init.headers).get('authorization')]), [
    ['https://feeds.example.com/old.ics', 'manual', 'Basic eDp5'],
    ['https://feeds.example.com/new.ics', 'manual', 'Basic eDp5'],
  ]);
});

test('guarded fetch: a redirect to a private address is refused without requesting it', async () => {
  const { fetch, requests } = scriptedFetch({
    'https://feeds.example.com/a.ics': redirect('http://169.254.169.254/latest/meta-data/iam/'),
    'https://feeds.example.com/b.ics': redirect('https://internal.example.com/feed.ics', 307),
  });
  const guarded = guardedFetch(fetch, createUrlGuard({ lookup }));
  await assert.rejects(guarded('https://feeds.example.com/a.ics'), refused(/^http:\/\/169\.254\.169\.254\/… resolves to a link-local address/));
  await assert.rejects(guarded('https://feeds.example.com/b.ics'), refused(/private address \(10\.0\.0\.5\)/));
  assert.deepEqual(requests.map((r) => r.url), ['https://feeds.example.com/a.ics', 'https://feeds.example.com/b.ics']);
});

test('guarded fetch: at most five redirects; credentials dropped across origins; 303 turns into GET', async () => {
  const loop: Record<string, () => Response> = {};
  for (let i = 0; i < 7; i++) loop[`https://feeds.example.com/${i}`] = redirect(`/${i + 1}`);
  const looping = scriptedFetch(loop);
  await assert.rejects(guardedFetch(looping.fetch, createUrlGuard({ lookup }))('https://feeds.example.com/0'), refused(/redirected more than 5 times/));
  assert.equal(looping.requests.length, 6);

  const hopping = scriptedFetch({
    'https://feeds.example.com/post': redirect('http://internal.example.com/done', 303),
    'http://internal.example.com/done': () => new Response('ok'),
  });
  const guard = createUrlGuard({ lookup, allowPrivateNetworks: true });
  await guardedFetch(hopping.fetch, guard)('https://feeds.example.com/post', {
    method: 'POST', body: 'x', headers: { authorization: 'Basic eDp5', 'content-type': 'text/plain', accept: 'text/calendar' },
  });
  const second = hopping.requests[1]!.init;
  const headers = new Headers(second.headers);
  assert.equal(second.method, 'GET');
  assert.equal(second.body, null);
  assert.equal(headers.get('authorization'), null);
  assert.equal(headers.get('content-type'), null);
  assert.equal(headers.get('accept'), 'text/calendar');
});

test('guarded fetch: a redirect without Location is the answer itself', async () => {
  const { fetch } = scriptedFetch({ 'https://feeds.example.com/x': () => new Response(null, { status: 304 }) });
  assert.equal((await guardedFetch(fetch, createUrlGuard({ lookup }))('https://feeds.example.com/x')).status, 304);
});

test('guarded fetch: with redirect manual the redirect is the answer, for callers that follow it themselves', async () => {
  const { fetch, requests } = scriptedFetch({ 'https://feeds.example.com/old': redirect('https://elsewhere.example.com/new') });
  const response = await guardedFetch(fetch, createUrlGuard({ lookup }))('https://feeds.example.com/old', { redirect: 'manual' });
  assert.equal(response.status, 302);
  assert.equal(requests.length, 1);
});

/** A server on 127.0.0.1 that counts the connections it accepted. */
async function countingServer(): Promise<{ port: number; connections(): number; close(): Promise<void> }> {
  let connections = 0;
  const server = http.createServer((request, response) => response.end(`hello ${request.headers.host}`));
  server.on('connection', () => { connections++; });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

test('pinned fetch: a name that answers a public address to the check and 127.0.0.1 to the connection never reaches 127.0.0.1', async () => {
  const server = await countingServer();
  try {
    // "localhost" resolves to 127.0.0.1 in the system's resolver too: a fetch that
    // resolved the name again by itself, as fetch does, would connect there.
    const answers = [[{ address: '93.184.216.34', family: 4 }], [{ address: '127.0.0.1', family: 4 }]];
    let asked = 0;
    const rebinding: Lookup = async () => answers[Math.min(asked++, 1)]!;
    const guard = createUrlGuard({ lookup: rebinding });
    await assert.rejects(guardedFetch(pinnedFetch(guard), guard)(`http://localhost:${server.port}/`), refused(/^localhost resolves to a loopback address \(127\.0\.0\.1\); set CALSYNC_ALLOW_PRIVATE_URLS=1/));
    assert.equal(asked, 2, 'checked, then resolved again for the connection');
    assert.equal(server.connections(), 0);
  } finally {
    await server.close();
  }
});

test('pinned fetch: connects to the address the guard checked, for a name no other resolver knows', async () => {
  const server = await countingServer();
  try {
    const guard = createUrlGuard({ lookup: async () => [{ address: '127.0.0.1', family: 4 }], allowPrivateNetworks: true });
    const response = await guardedFetch(pinnedFetch(guard), guard)(`http://calendar.example.test:${server.port}/`);
    assert.equal(await response.text(), `hello calendar.example.test:${server.port}`);
    assert.equal(server.connections(), 1);
  } finally {
    await server.close();
  }
});

test('pinned fetch: one refused address among the answers refuses the connection', async () => {
  const server = await countingServer();
  try {
    const guard = createUrlGuard({ lookup: async () => [{ address: '127.0.0.1', family: 4 }, { address: '169.254.169.254', family: 4 }], allowPrivateNetworks: true });
    await assert.rejects(pinnedFetch(guard)(`http://localhost:${server.port}/`), (e: unknown) => requestFailureOf(e)?.reason === 'url-refused');
    assert.equal(server.connections(), 0);
  } finally {
    await server.close();
  }
});

test('connect lookup: every checked address with all, the first of the family asked for without', async () => {
  const guard = createUrlGuard({ lookup });
  const ask = (host: string, options: LookupOptions) => new Promise<unknown[]>((resolve, reject) => {
    guard.connectLookup(host, options, (error, address, family) => (error ? reject(error) : resolve([address, family])));
  });
  assert.deepEqual(await ask('feeds.example.com', { all: true }), [[{ address: '93.184.216.34', family: 4 }, { address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 }], undefined]);
  assert.deepEqual(await ask('feeds.example.com', { family: 6 }), ['2606:2800:220:1:248:1893:25c8:1946', 6]);
  assert.deepEqual(await ask('feeds.example.com', {}), ['93.184.216.34', 4]);
  await assert.rejects(ask('mixed.example.com', { all: true }), refused(/192\.168\.1\.20/));
  await assert.rejects(ask('nowhere.example.com', {}), (e: unknown) => requestFailureOf(e)?.reason === 'host-unknown');
  const listed = createUrlGuard({ lookup, allowedHosts: ['metadata.example.com'] });
  const open = await new Promise<string>((resolve, reject) => listed.connectLookup('metadata.example.com', {}, (error, address) => (error ? reject(error) : resolve(address as string))));
  assert.equal(open, '169.254.169.254');
});
