// Throughput of the pure core on a deterministic 10,000-event calendar: 80% single
// events, 15% weekly series, 5% series with overrides. Prints events/s for normalise +
// hash and for plan on a quiet pass, a full-listing pass and a pass with 10% changes.
// No assertions: figures depend on the machine.
import type { RemoteItem } from '../src/connectors/connector.ts';
import { hashNormal } from '../src/core/hash.ts';
import type { CanonicalEvent, EventSeries } from '../src/core/model.ts';
import { normaliseSeries } from '../src/core/normalise.ts';
import { plan, type CalendarEvent, type PlanInput, type SyncStatus } from '../src/core/plan.ts';
import { defaultPolicy } from '../src/core/policy.ts';
import { defaultSafety } from '../src/core/safety.ts';

const SIZE = 10_000;
const pad = (n: number) => String(n).padStart(2, '0');

function baseEvent(i: number): CanonicalEvent {
  const day = `2026-${pad(1 + (i % 12))}-${pad(1 + (i % 28))}`;
  const hour = 8 + (i % 10);
  return {
    uid: `bench-${i}@calsync.test`, recurrenceId: null, sequence: i % 3, status: 'confirmed',
    summary: `Meeting ${i}`, description: i % 4 === 0 ? `Agenda for meeting ${i}\nBring notes.` : '',
    descriptionHtml: i % 8 === 0 ? `<p>Agenda for meeting ${i}</p><p>Bring notes.</p>` : null,
    location: i % 3 === 0 ? `Room ${i % 40}` : '', allDay: false,
    start: { local: `${day}T${pad(hour)}:00:00`, tz: 'Europe/Berlin' },
    end: { local: `${day}T${pad(hour + 1)}:00:00`, tz: 'Europe/Berlin' },
    recurrence: null, transparency: 'opaque', visibility: 'default',
    organizer: { email: `owner${i % 50}@example.com`, name: null },
    attendees: Array.from({ length: i % 5 }, (_, k) => ({
      email: `Person${(i + k) % 300}@Example.com`, name: `Person ${k}`, role: 'required' as const,
      response: 'needs-action' as const, respondedAt: null,
    })),
    conference: i % 6 === 0 ? { url: `https://meet.example.com/${i}`, provider: 'meet' } : null,
    reminders: i % 2 === 0 ? [{ method: 'display', minutesBefore: 10 }] : null,
    categories: i % 7 === 0 ? ['work'] : [], color: null, extras: {},
  };
}

function series(i: number): EventSeries {
  const master = baseEvent(i);
  const kind = i % 20; // 0..15 single (80%), 16..18 weekly (15%), 19 weekly with overrides (5%)
  if (kind < 16) return { uid: master.uid, master, overrides: [] };
  master.recurrence = { rrule: ['FREQ=WEEKLY;COUNT=20'], rdate: [], exdate: [] };
  if (kind < 19) return { uid: master.uid, master, overrides: [] };
  const overrides = [7, 14, 21].map((offset) => {
    const start = new Date(`${master.start.local}Z`);
    start.setUTCDate(start.getUTCDate() + offset);
    const local = start.toISOString().slice(0, 19);
    return { ...baseEvent(i), recurrenceId: local, summary: `Moved ${offset}`, start: { local, tz: 'Europe/Berlin' }, end: { local: local.replace(/T(\d\d)/, (_, h) => `T${pad(Number(h) + 1)}`), tz: 'Europe/Berlin' } };
  });
  return { uid: master.uid, master, overrides };
}

// CPU time of this process, not wall time: on a shared machine the wall clock also
// counts other processes (wall figures varied 2x between runs under load, CPU ±10%).
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function measure(label: string, events: number, run: () => unknown): void {
  run(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = cpuMs();
    run();
    times.push(cpuMs() - started);
  }
  const best = Math.min(...times);
  console.log(`${label.padEnd(44)} ${String(Math.round(events / (best / 1000))).padStart(9)} events/s  (${best.toFixed(1)} ms CPU)`);
}

const calendar = Array.from({ length: SIZE }, (_, i) => series(i));
const statuses: SyncStatus[] = calendar.map((s, i) => {
  const base = normaliseSeries(s);
  return { eventId: `ev-${i}`, remoteId: `rem-${i}`, etag: `"${i}"`, base, contentHash: hashNormal(base) };
});
const events: CalendarEvent[] = calendar.map((s, i) => ({ eventId: `ev-${i}`, uid: s.uid, series: s, updatedAt: '2026-03-01T08:00:00Z' }));
const remoteOf = (s: EventSeries, i: number, etag = `"${i}"`): RemoteItem =>
  ({ remoteId: `rem-${i}`, etag, deleted: false, series: s, calsyncId: `ev-${i}`, updatedAt: '2026-03-01T09:00:00Z' });

const input = (calendarEvents: CalendarEvent[], items: RemoteItem[], complete: boolean): PlanInput => ({
  binding: { direction: 'two_way', projection: 'full' }, policy: defaultPolicy,
  safety: { ...defaultSafety, confirmDeletions: true }, statuses, calendar: calendarEvents,
  remote: { items, complete, window: null },
});

// 10% changes: 5% edited in the calendar, 5% on the remote, and a tenth of those on both (merges).
const changedCalendar = events.map((e, i) => (i % 20 === 0 || i % 100 === 1
  ? { ...e, series: { ...e.series!, master: { ...e.series!.master!, summary: `Cal edit ${i}` } } } : e));
const changedRemote = calendar.flatMap((s, i) => (i % 20 === 1
  ? [remoteOf({ ...s, master: { ...s.master!, location: `Remote room ${i}` } }, i, `"r${i}"`)] : []));

console.log(`calsync core throughput, ${SIZE} events (80% single, 15% weekly, 5% weekly with 3 overrides), node ${process.version}`);
measure('normalise + hash', SIZE, () => calendar.forEach((s) => hashNormal(normaliseSeries(s))));
measure('plan: quiet pass (no changes, incremental)', SIZE, () => plan(input(events, [], false)));
measure('plan: full listing, no changes (all echoes)', SIZE, () => plan(input(events, calendar.map((s, i) => remoteOf(s, i)), true)));
measure('plan: 10% changed (5% calendar, 5% remote)', SIZE, () => {
  const planned = plan(input(changedCalendar, changedRemote, false));
  if (planned.actions.length === 0) throw new Error('the changed pass planned nothing');
});
const counts = plan(input(changedCalendar, changedRemote, false)).actions.reduce<Record<string, number>>((acc, a) => ({ ...acc, [`${a.op}:${a.side}`]: (acc[`${a.op}:${a.side}`] ?? 0) + 1 }), {});
console.log(`actions of the 10% pass: ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}`);
