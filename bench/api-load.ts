// Load on the app API at a stated request rate, with p50/p95/p99 printed beside the
// latency table of the sync API PRD this API is measured against (../shared/seeds/003,
// section 4.1) and the targets of 15x under its p99 (single read 20 ms, list of 1,000
// 100 ms, batch of 50 200 ms).
//   node --import tsx bench/api-load.ts [seconds per scenario, default 10]
// Starts `calsync api` on an embedded Postgres in a temporary folder (or DATABASE_URL),
// seeds one calendar with 5,000 events, then runs each scenario open-loop: requests
// start on a fixed schedule whatever the answers do, so a slow answer shows as latency
// instead of lowering the rate (the mistake closed-loop drivers make). Written here
// rather than with autocannon: it reports no p95 and cannot chain a request to the
// previous answer (a sync token).
import os from 'node:os';
import { percentile, startBenchApi } from './calsync-process.ts';

const seconds = Number(process.argv[2] ?? 10);

interface Scenario {
  name: string;
  rate: number;
  prd: { p50: number; p95: number; p99: number };
  target: number | null;
  request(i: number): Promise<Response>;
  /** Whether an answer is a success beyond its status (a batch's parts). */
  ok?(body: string): boolean;
  /** Runs before the scenario's clock starts. */
  prepare?(): Promise<void>;
}

async function run(s: Scenario): Promise<string> {
  await s.prepare?.();
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const pending: Promise<void>[] = [];
  const total = Math.round(s.rate * seconds);
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / s.rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push((async () => {
      const t0 = performance.now();
      try {
        const res = await s.request(i);
        const text = await res.text();
        if (!res.ok || (s.ok && !s.ok(text))) errors++;
      } catch {
        errors++;
      }
      // Measured from when the request was due: a late start counts against calsync.
      latencies.push(performance.now() - Math.min(t0, due));
    })());
  }
  await Promise.all(pending);
  latencies.sort((a, b) => a - b);
  const [p50, p95, p99] = [50, 95, 99].map((p) => percentile(latencies, p).toFixed(1));
  const verdict = s.target === null ? '' : Number(p99) <= s.target ? `≤ ${s.target} ms: met` : `> ${s.target} ms: missed`;
  return `| ${s.name} | ${s.rate}/s | ${p50} | ${p95} | ${p99} | ${s.prd.p50} / ${s.prd.p95} / ${s.prd.p99} | ${verdict} | ${errors} |`;
}

const { base, key, stop } = await startBenchApi('load');
try {
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const api = (p: string, init: RequestInit = {}) => fetch(`${base}${p}`, { ...init, headers: { ...headers, ...(init.headers ?? {}) } });
  const calendar = await (await api('/calendar/v3/calendars', { method: 'POST', body: JSON.stringify({ summary: 'Load', timeZone: 'Europe/Berlin' }) })).json() as { id: string };
  const events = `/calendar/v3/calendars/${calendar.id}/events`;
  const body = (i: number) => JSON.stringify({
    summary: `Appointment ${i}`, description: 'Follow-up visit', location: `Room ${i % 20}`,
    start: { dateTime: `2026-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}T10:00:00`, timeZone: 'Europe/Berlin' },
    end: { dateTime: `2026-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}T10:30:00`, timeZone: 'Europe/Berlin' },
    attendees: [{ email: `patient${i}@example.org` }],
  });
  const ids: string[] = [];
  for (let i = 0; i < 5000; i += 50) {
    const created = await Promise.all(Array.from({ length: 50 }, (_, k) => api(events, { method: 'POST', body: body(i + k) }).then((r) => r.json() as Promise<{ id: string }>)));
    ids.push(...created.map((c) => c.id));
  }
  const full = await (await api(`${events}?maxResults=2500`)).json() as { nextPageToken?: string };
  /** Follows a listing's pages to its nextSyncToken. */
  const tokenAfter = async (query: string, page?: string): Promise<string> => {
    for (;;) {
      const next = await (await api(`${events}?${query}${page ? `&pageToken=${page}` : ''}`)).json() as { nextPageToken?: string; nextSyncToken?: string };
      if (next.nextSyncToken) return next.nextSyncToken;
      page = next.nextPageToken;
    }
  };
  let syncToken = await tokenAfter('maxResults=2500', full.nextPageToken);
  // A client that polls often: caught up, then 10 events changed since its token, so every
  // poll of the scenario answers those 10 (the patch scenario before it would otherwise
  // have left a backlog of hundreds in each answer).
  const tenChangesBehind = async (): Promise<void> => {
    syncToken = await tokenAfter(`syncToken=${syncToken}`);
    for (let k = 0; k < 10; k++) await api(`${events}/${ids[k]}`, { method: 'PATCH', body: JSON.stringify({ summary: `Moved ${k}` }) });
  };
  const batchBody = (i: number): { body: string; type: string } => {
    const boundary = `batch_${i}`;
    const parts = Array.from({ length: 50 }, (_, k) => [
      `--${boundary}`, 'Content-Type: application/http', `Content-ID: <item${k}>`, '',
      `GET /calendar/v3/calendars/${calendar.id}/events/${ids[(i * 50 + k) % ids.length]}`, '', '',
    ].join('\r\n'));
    return { body: `${parts.join('')}--${boundary}--\r\n`, type: `multipart/mixed; boundary=${boundary}` };
  };
  const scenarios: Scenario[] = [
    { name: 'get one event', rate: 200, prd: { p50: 50, p95: 150, p99: 300 }, target: 20, request: (i) => api(`${events}/${ids[i % ids.length]}`) },
    { name: 'patch one event', rate: 50, prd: { p50: 100, p95: 300, p99: 500 }, target: null, request: (i) => api(`${events}/${ids[i % ids.length]}`, { method: 'PATCH', body: JSON.stringify({ summary: `Edited ${i}` }) }) },
    { name: 'list with a sync token (10 changes)', rate: 100, prd: { p50: 100, p95: 300, p99: 600 }, target: null, prepare: tenChangesBehind, request: () => api(`${events}?syncToken=${syncToken}`) },
    { name: 'list of 1,000 events', rate: 5, prd: { p50: 300, p95: 800, p99: 1500 }, target: 100, request: () => api(`${events}?maxResults=1000`) },
    {
      name: 'batch of 50 reads', rate: 5, prd: { p50: 500, p95: 1500, p99: 3000 }, target: 200,
      ok: (text) => (text.match(/^HTTP\/1\.1 200 /gm) ?? []).length === 50,
      request: (i) => {
        const { body: payload, type } = batchBody(i);
        return fetch(`${base}/batch/calendar/v3`, { method: 'POST', body: payload, headers: { authorization: headers.authorization, 'content-type': type } });
      },
    },
  ];
  console.log(`calsync app API under load: ${os.cpus().length} cores, ${seconds} s per scenario, 5,000 events, Node ${process.version}\n`);
  console.log('| request | rate | p50 ms | p95 ms | p99 ms | PRD p50 / p95 / p99 ms | target p99 | errors |');
  console.log('|---|---:|---:|---:|---:|---|---|---:|');
  for (const s of scenarios) console.log(await run(s));
} finally {
  await stop();
}
