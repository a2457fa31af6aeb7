// Google push into calsync, measured two ways:
//   1. change to write: a change made in Google (the emulator) to calsync's write of it
//      on the other Google calendar bound to the same calendar, through the whole path
//      (notification → webhook route → queued pass → listing → calendar write → pass of
//      the other binding → its write), with CALSYNC_DEBOUNCE_MS=0 so the debounce, which
//      an operator chooses, is left out;
//   2. the receiver: POST /webhooks/google at a stated rate, open-loop (requests start
//      on schedule whatever the answers do, so slowness shows as latency), from this
//      process against `calsync api` in another, on valid channels of 48 bindings.
//   node --import tsx bench/webhook-ingress.ts [seconds per rate, default 10] [rates, default 1000,2500,4000,6000]
// Starts `calsync serve` on an embedded Postgres in a temporary folder with the Google
// emulator (emulators/google) in this process as Google: it connects an account through
// the admin API's OAuth pair, binds 48 emulator calendars, waits for the push channels
// (the cron task makes them within a minute), measures (1), then swaps `serve` for `calsync
// api` on the same data and measures (2). Requests use node:http with a keep-alive agent:
// fetch's per-request cost (about 60 µs) would eat into the rates a 2-core machine can offer.
import fs from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { build } from '../emulators/google/app.ts';
import { percentile, startCalsync } from './calsync-process.ts';

const seconds = Number(process.argv[2] ?? 10);
const rates = (process.argv[3] ?? '1000,2500,4000,6000').split(',').map(Number);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'calsync-webhooks-'));
fs.chmodSync(dataDir, 0o755);
const bindingsWanted = 48;

async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    if (![5232, 5233, 8090].includes(port)) return port;
  }
}

const emulator = build({ timeZone: 'Europe/Berlin', fetch: (input, init) => fetch(input, init) });
await emulator.listen({ host: '127.0.0.1', port: 0 });
const google = `http://127.0.0.1:${(emulator.server.address() as { port: number }).port}`;
const port = await freePort();
const env = {
  ...process.env, CALSYNC_DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn', CALSYNC_DEBOUNCE_MS: '0',
  CALSYNC_GOOGLE_CLIENT_ID: 'emulator-client', CALSYNC_GOOGLE_CLIENT_SECRET: 'emulator-secret',
  CALSYNC_GOOGLE_API_URL: google, CALSYNC_GOOGLE_OAUTH_URL: google, CALSYNC_WEBHOOK_URL: `http://127.0.0.1:${port}`,
};
let server = startCalsync('serve', env);
try {
  const base = await server.url;
  const key = fs.readFileSync(path.join(dataDir, 'api-key'), 'utf8').trim();
  const api = async (p: string, body: unknown) => {
    const res = await fetch(`${base}${p}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${p}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, any>>;
  };
  // A Google account through the admin API: the emulator's consent redirects at once.
  const { authorizationUrl, state } = await api('/admin/v1/accounts/google/authorize', { redirectUri: 'https://app.example.com/callback' });
  const code = new URL((await fetch(authorizationUrl, { redirect: 'manual' })).headers.get('location')!).searchParams.get('code');
  const { account } = await api('/admin/v1/accounts/google', { code, state });
  const remotes = Array.from({ length: bindingsWanted }, (_, i) => emulator.emulator.addCalendar({ summary: `cal ${i}`, timeZone: 'Europe/Berlin' }).id as string);
  const first = await api('/admin/v1/bindings', { accountId: account.id, remoteCalendarId: remotes[0], newCalendar: { summary: 'Front desk', timeZone: 'Europe/Berlin' } });
  await api('/admin/v1/bindings', { accountId: account.id, remoteCalendarId: remotes[1], calendarId: first.calendarId });
  for (const remote of remotes.slice(2)) await api('/admin/v1/bindings', { accountId: account.id, remoteCalendarId: remote, newCalendar: { summary: remote } });

  const live = () => emulator.emulator.channels().filter((c) => !c.stopped);
  const deadline = Date.now() + 150_000;
  while (new Set(live().map((c) => c.calendarId)).size < bindingsWanted) {
    if (Date.now() > deadline) throw new Error(`only ${live().length} channels after 150 s`);
    await new Promise((r) => setTimeout(r, 500));
  }
  await emulator.emulator.flushNotifications();
  await new Promise((r) => setTimeout(r, 3000));

  // 1. Change to write.
  const latencies: number[] = [];
  for (let i = 0; i < 30; i++) {
    const before = emulator.emulator.writes().length;
    const t0 = Date.now();
    emulator.emulator.insertEvent(remotes[0]!, { summary: `Visit ${i}`, start: { dateTime: `2026-04-${String(1 + (i % 28)).padStart(2, '0')}T09:00:00+02:00` }, end: { dateTime: `2026-04-${String(1 + (i % 28)).padStart(2, '0')}T09:30:00+02:00` } });
    for (;;) {
      const write = emulator.emulator.writes().slice(before).find((w) => w.calendarId === remotes[1] && (w.method === 'insert' || w.method === 'import'));
      if (write) {
        latencies.push(Date.parse(write.at) - t0);
        break;
      }
      if (Date.now() - t0 > 30_000) throw new Error(`change ${i} did not reach the other calendar within 30 s`);
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 700));
  }
  latencies.sort((a, b) => a - b);
  console.log(`Google push into calsync: ${os.cpus().length} cores, Node ${process.version}, ${bindingsWanted} bindings with push channels\n`);
  console.log(`change in Google → calsync's write on the other bound Google calendar (CALSYNC_DEBOUNCE_MS=0, ${latencies.length} changes): p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, max ${latencies.at(-1)} ms\n`);

  // 2. The receiver alone: `calsync api` on the same data.
  const channels = live().map((c) => ({ id: c.id, token: c.token!, resourceId: c.resourceId }));
  await server.stop();
  server = startCalsync('api', env);
  const receiver = new URL(await server.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
  const post = (i: number): Promise<number> => new Promise((resolve, reject) => {
    const c = channels[i % channels.length]!;
    const request = http.request({
      host: receiver.hostname, port: receiver.port, path: '/webhooks/google', method: 'POST', agent,
      headers: {
        'content-length': '0', 'x-goog-channel-id': c.id, 'x-goog-channel-token': c.token, 'x-goog-resource-id': c.resourceId,
        'x-goog-resource-state': 'exists', 'x-goog-message-number': String(1000 + i),
      },
    }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
    request.end();
  });
  for (let i = 0; i < 500; i++) await post(i);
  console.log('| offered rate | achieved | p50 ms | p99 ms | max ms | errors |');
  console.log('|---:|---:|---:|---:|---:|---:|');
  for (const rate of rates) {
    const total = Math.round(rate * seconds);
    const times: number[] = [];
    let errors = 0;
    const pending: Promise<void>[] = [];
    const started = performance.now();
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const t0 = performance.now();
      // Measured from when the request was due (or sent, if earlier): a late start counts against calsync.
      pending.push(post(i).then((status) => {
        if (status !== 200) errors++;
      }, () => { errors++; }).finally(() => { times.push(performance.now() - Math.min(t0, due)); }));
    }
    await Promise.all(pending);
    const elapsed = (performance.now() - started) / 1000;
    times.sort((a, b) => a - b);
    console.log(`| ${rate}/s | ${Math.round(total / elapsed)}/s | ${percentile(times, 50).toFixed(1)} | ${percentile(times, 99).toFixed(1)} | ${times.at(-1)!.toFixed(1)} | ${errors} |`);
  }
  agent.destroy();
} finally {
  await server.stop();
  await emulator.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
