// Bookings under contention: rounds of 500 attempts at one slot from 50 concurrent
// connections (each round a new slot of one resource), then the same number of attempts
// at distinct slots (no contention), against `calsync api` in another process.
// Prints attempts per second, p50/p99 latency and the answers: each contended round must
// end with exactly one 201 and every other attempt 409 SLOT_TAKEN, with no 5xx.
//   node --import tsx bench/booking-contention.ts [rounds, default 5]
// Starts `calsync api` on an embedded Postgres in a temporary folder (or DATABASE_URL).
// Requests use node:http with a keep-alive agent of 50 sockets: 50 connections.
import http from 'node:http';
import os from 'node:os';
import { percentile, startBenchApi } from './calsync-process.ts';

const rounds = Number(process.argv[2] ?? 5);
const attempts = 500;
const connections = 50;
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });

function post(base: string, key: string, route: string, body: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const request = http.request(`${base}${route}`, {
      method: 'POST', agent, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
    }, (response) => {
      let text = '';
      response.on('data', (c) => { text += c; });
      response.on('end', () => resolve({ status: response.statusCode!, body: text }));
    });
    request.on('error', reject);
    request.end(payload);
  });
}

interface Round { seconds: number; latencies: number[]; answers: Record<string, number> }

async function round(call: (i: number) => Promise<{ status: number; body: string }>): Promise<Round> {
  const latencies: number[] = [];
  const answers: Record<string, number> = {};
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: connections }, async () => {
    while (next < attempts) {
      const i = next++;
      const t0 = performance.now();
      const answer = await call(i);
      latencies.push(performance.now() - t0);
      const code = answer.status >= 400 ? (JSON.parse(answer.body).error?.calsync?.code ?? '') : '';
      const key = `${answer.status}${code ? ` ${code}` : ''}`;
      answers[key] = (answers[key] ?? 0) + 1;
    }
  }));
  return { seconds: (performance.now() - started) / 1000, latencies, answers };
}

function line(name: string, rs: Round[]): string {
  const latencies = rs.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const seconds = rs.reduce((n, r) => n + r.seconds, 0);
  const answers: Record<string, number> = {};
  for (const r of rs) for (const [k, v] of Object.entries(r.answers)) answers[k] = (answers[k] ?? 0) + v;
  return `| ${name} | ${latencies.length} | ${(latencies.length / seconds).toFixed(0)} | ${percentile(latencies, 50).toFixed(1)} | ${percentile(latencies, 99).toFixed(1)} | ${Object.entries(answers).map(([k, v]) => `${k}: ${v}`).join(', ')} |`;
}

const { base, key, stop } = await startBenchApi('bookings');
try {
  const calendar = JSON.parse((await post(base, key, '/calendar/v3/calendars', { summary: 'Rooms', timeZone: 'UTC' })).body).id;
  const resource = JSON.parse((await post(base, key, '/admin/v1/resources', {
    name: 'Room', timeZone: 'UTC', bookingCalendarId: calendar, slotMinutes: 15, horizonDays: 730,
    workingHours: Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [['00:00', '24:00']]])),
  })).body).id;
  // Slots from tomorrow on, 15 minutes each: round r contends for slot r.
  const first = Math.ceil((Date.now() + 86_400_000) / 900_000) * 900_000;
  const slot = (n: number) => new Date(first + n * 900_000).toISOString();
  const contended: Round[] = [];
  for (let r = 0; r < rounds; r++) {
    const result = await round(() => post(base, key, '/admin/v1/bookings', { resourceId: resource, start: slot(r) }));
    if (result.answers['201'] !== 1 || result.answers['409 SLOT_TAKEN'] !== attempts - 1) throw new Error(`round ${r}: ${JSON.stringify(result.answers)}`);
    contended.push(result);
  }
  const spread = await round((i) => post(base, key, '/admin/v1/bookings', { resourceId: resource, start: slot(rounds + i) }));
  console.log(`bookings, ${attempts} attempts per round from ${connections} connections, ${os.cpus().length} cores`);
  console.log('| scenario | attempts | attempts/s | p50 ms | p99 ms | answers |');
  console.log('|---|---|---|---|---|---|');
  console.log(line(`one slot, ${rounds} rounds`, contended));
  console.log(line('distinct slots', [spread]));
} finally {
  agent.destroy();
  await stop();
}
