// How long availability takes to answer: one resource whose two calendars hold a working
// clinic's year (2,000 single appointments and 50 weekly recurring series), asked for the
// free slots of one week and of four weeks; then three such resources at once (all free,
// any free). Closed-loop, one request at a time, against `calsync api` in another process.
//   node --import tsx bench/availability.ts [requests per scenario, default 200]
// Starts `calsync api` on an embedded Postgres in a temporary folder (or DATABASE_URL).
import os from 'node:os';
import { percentile, startBenchApi } from './calsync-process.ts';

const requests = Number(process.argv[2] ?? 200);

const { base, key, stop } = await startBenchApi('availability');
try {
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const post = async (route: string, body: unknown) => {
    const res = await fetch(`${base}${route}`, { method: 'POST', headers, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${route}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<any>;
  };
  // From this week's Monday, a year of appointments and series.
  const monday = new Date();
  monday.setUTCHours(0, 0, 0, 0);
  monday.setUTCDate(monday.getUTCDate() + 7 + ((8 - monday.getUTCDay()) % 7) - 7);
  const day = (n: number) => new Date(monday.getTime() + n * 86_400_000).toISOString().slice(0, 10);
  const resources: string[] = [];
  for (let r = 0; r < 3; r++) {
    const clinic = (await post('/calendar/v3/calendars', { summary: `Clinic ${r}`, timeZone: 'Europe/Berlin' })).id;
    const personal = (await post('/calendar/v3/calendars', { summary: `Personal ${r}`, timeZone: 'Europe/Berlin' })).id;
    for (let i = 0; i < 2000; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, k) => {
        const n = i + k;
        const hour = String(8 + (n % 9)).padStart(2, '0');
        return post(`/calendar/v3/calendars/${clinic}/events`, {
          summary: `Appointment ${n}`, start: { dateTime: `${day(n % 365)}T${hour}:${n % 2 ? '30' : '00'}:00`, timeZone: 'Europe/Berlin' },
          end: { dateTime: `${day(n % 365)}T${hour}:${n % 2 ? '50' : '20'}:00`, timeZone: 'Europe/Berlin' },
        });
      }));
    }
    for (let s = 0; s < 50; s++) {
      await post(`/calendar/v3/calendars/${personal}/events`, {
        summary: `Weekly ${s}`, recurrence: ['RRULE:FREQ=WEEKLY;COUNT=52'],
        start: { dateTime: `${day(s % 7)}T${String(7 + (s % 12)).padStart(2, '0')}:15:00`, timeZone: 'Europe/Berlin' },
        end: { dateTime: `${day(s % 7)}T${String(7 + (s % 12)).padStart(2, '0')}:45:00`, timeZone: 'Europe/Berlin' },
      });
    }
    resources.push((await post('/admin/v1/resources', {
      name: `Practitioner ${r}`, timeZone: 'Europe/Berlin', bookingCalendarId: clinic, busyCalendarIds: [personal], slotMinutes: 20, bufferAfterMinutes: 5, horizonDays: 180,
    })).id);
  }
  const scenarios: Array<[string, () => Promise<any>]> = [
    ['one resource, one week', () => post(`/admin/v1/resources/${resources[0]}/availability`, { timeMin: `${day(7)}T00:00:00Z`, timeMax: `${day(14)}T00:00:00Z` })],
    ['one resource, four weeks', () => post(`/admin/v1/resources/${resources[0]}/availability`, { timeMin: `${day(7)}T00:00:00Z`, timeMax: `${day(35)}T00:00:00Z` })],
    ['three resources all free, one week', () => post('/admin/v1/availability', { resourceIds: resources, mode: 'all', timeMin: `${day(7)}T00:00:00Z`, timeMax: `${day(14)}T00:00:00Z` })],
    ['three resources any free, one week', () => post('/admin/v1/availability', { resourceIds: resources, mode: 'any', timeMin: `${day(7)}T00:00:00Z`, timeMax: `${day(14)}T00:00:00Z` })],
  ];
  console.log(`availability, ${requests} requests per scenario one at a time, 2,000 appointments and 50 weekly series per resource, ${os.cpus().length} cores`);
  console.log('| scenario | slots | p50 ms | p99 ms |');
  console.log('|---|---:|---:|---:|');
  for (const [name, ask] of scenarios) {
    const latencies: number[] = [];
    let slots = 0;
    for (let i = 0; i < requests; i++) {
      const t0 = performance.now();
      slots = (await ask()).slots.length;
      latencies.push(performance.now() - t0);
    }
    latencies.sort((a, b) => a - b);
    console.log(`| ${name} | ${slots} | ${percentile(latencies, 50).toFixed(1)} | ${percentile(latencies, 99).toFixed(1)} |`);
  }
} finally {
  await stop();
}
