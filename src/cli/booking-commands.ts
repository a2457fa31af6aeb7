// Resources, availability and bookings from the command line: the same store and engine
// functions as the admin API (src/http/admin-resources.ts, admin-bookings.ts).
import type { Command } from 'commander';
import { availability, book, cancelBooking, confirmBooking } from '../engine/bookings.ts';
import { CalsyncError } from '../errors.ts';
import { listBookings, type BookingStatus } from '../store/bookings.ts';
import { withTransaction } from '../store/db.ts';
import { createResource, getResource, listResources, type Resource, type ResourceInput } from '../store/resources.ts';
import { runtimeRunner, type CliDeps } from './deps.ts';
import { json, positiveInteger, table, type Output } from './output.ts';
import { tenantOf, type TenantOption } from './sync-commands.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const statuses: BookingStatus[] = ['held', 'confirmed', 'cancelled', 'expired'];

function hoursText(r: Resource): string {
  return Object.entries(r.workingHours).map(([day, intervals]) => `${day.slice(0, 3)} ${intervals!.map((i) => i.join('-')).join(',')}`).join('; ') || 'closed';
}

function minutes(name: string): (value: string) => number {
  return (value) => {
    if (!/^\d{1,6}$/.test(value)) throw new CalsyncError('USAGE', `${name} takes whole minutes, not ${JSON.stringify(value)}`);
    return Number(value);
  };
}

function workingHoursOption(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new CalsyncError('USAGE', '--hours takes JSON such as \'{"monday": [["09:00", "17:00"]]}\'');
  }
}

export function registerBookingCommands(program: Command, deps: CliDeps, output: Output): void {
  const withRuntime = runtimeRunner(deps);
  const resource = program.command('resource').description('Bookable resources (a person, a room): their rules and calendars.');

  resource.command('create <name>').description('Create a resource; its busy time is counted from --busy-calendar calendars and --booking-calendar, where confirmed bookings become events.')
    .option('--time-zone <zone>', 'IANA zone its working hours are in', 'UTC')
    .option('--booking-calendar <id>', 'calendar confirmed bookings are written to')
    .option('--busy-calendar <id...>', 'more calendars whose busy time counts')
    .option('--email <address>', 'its address among attendees: events it declined are free')
    .option('--hours <json>', 'working hours by weekday, e.g. \'{"monday": [["09:00", "17:00"]]}\' (default Monday to Friday 09:00-17:00)', workingHoursOption)
    .option('--slot <minutes>', 'slot length', minutes('--slot'))
    .option('--buffer-before <minutes>', 'kept free before each booking', minutes('--buffer-before'))
    .option('--buffer-after <minutes>', 'kept free after each booking', minutes('--buffer-after'))
    .option('--notice <minutes>', 'minimum notice', minutes('--notice'))
    .option('--horizon <days>', 'how many days ahead bookings may start', minutes('--horizon'))
    .option('--tenant <id>', 'tenant id (default: the only tenant)').option('--json', 'print as JSON')
    .action((name: string, o: TenantOption & { timeZone: string; bookingCalendar?: string; busyCalendar?: string[]; email?: string; hours?: unknown; slot?: number; bufferBefore?: number; bufferAfter?: number; notice?: number; horizon?: number }) => withRuntime(async (runtime) => {
      const input: ResourceInput = {
        name, timeZone: o.timeZone, bookingCalendarId: o.bookingCalendar ?? null, busyCalendarIds: o.busyCalendar ?? [], email: o.email ?? null,
        ...(o.hours === undefined ? {} : { workingHours: o.hours }), ...(o.slot === undefined ? {} : { slotMinutes: o.slot }),
        ...(o.bufferBefore === undefined ? {} : { bufferBeforeMinutes: o.bufferBefore }), ...(o.bufferAfter === undefined ? {} : { bufferAfterMinutes: o.bufferAfter }),
        ...(o.notice === undefined ? {} : { minimumNoticeMinutes: o.notice }), ...(o.horizon === undefined ? {} : { horizonDays: o.horizon }),
      };
      const tenantId = await tenantOf(runtime, o.tenant);
      const made = await withTransaction(runtime.db, (tx) => createResource(tx, tenantId, input));
      output.out(o.json ? json(made) : `created resource ${made.name} (${made.id}); working hours ${hoursText(made)} in ${made.timeZone}`);
    }));

  resource.command('list').description('The tenant\'s resources.')
    .option('--tenant <id>', 'tenant id (default: the only tenant)').option('--json', 'print as JSON')
    .action((o: TenantOption) => withRuntime(async (runtime) => {
      const items = await listResources(runtime.db, await tenantOf(runtime, o.tenant));
      output.out(o.json ? json(items) : table(items.map((r) => ({ ...r, hours: hoursText(r), calendars: r.busyCalendarIds.length })), ['id', 'name', 'timeZone', 'hours', 'slotMinutes', 'calendars']));
    }));

  program.command('availability <resource...>')
    .description('Free slots of one resource, or of several (--any: where any is free; default: where all are).')
    .requiredOption('--from <time>', 'RFC 3339 start of the window').requiredOption('--to <time>', 'RFC 3339 end of the window (at most 93 days later)')
    .option('--duration <minutes>', 'slot length (default the first resource\'s)', minutes('--duration')).option('--any', 'slots where any of the resources is free')
    .option('--tenant <id>', 'tenant id (default: the only tenant)').option('--json', 'print as JSON')
    .action((ids: string[], o: TenantOption & { from: string; to: string; duration?: number; any?: boolean }) => withRuntime(async (runtime) => {
      const tenantId = await tenantOf(runtime, o.tenant);
      const found = await availability({ db: runtime.db }, tenantId, {
        resourceIds: ids, mode: o.any ? 'any' : 'all', timeMin: o.from, timeMax: o.to, ...(o.duration === undefined ? {} : { durationMinutes: o.duration }),
      });
      const slots = found.slots.map((s) => ({ start: iso(s.start), end: iso(s.end), resourceIds: s.resourceIds }));
      output.out(o.json ? json(slots) : table(slots.map((s) => ({ ...s, resourceIds: s.resourceIds.join(' ') })), ['start', 'end', ...(ids.length > 1 ? ['resourceIds'] : [])]));
    }));

  const booking = program.command('booking').description('Bookings of resources: make, list, confirm, cancel.');

  booking.command('create <resource> <start>').description('Book a resource at START (RFC 3339); confirmed at once unless --hold.')
    .option('--end <time>', 'RFC 3339 end (default: the resource\'s slot length)').option('--hold <seconds>', 'hold the slot this long instead of confirming it', positiveInteger)
    .option('--summary <text>', 'the event\'s title').option('--key <key>', 'an idempotency key: running the command again books once')
    .option('--tenant <id>', 'tenant id (default: the only tenant)').option('--json', 'print as JSON')
    .action((resourceId: string, start: string, o: TenantOption & { end?: string; hold?: number; summary?: string; key?: string }) => withRuntime(async (runtime) => {
      const tenantId = await tenantOf(runtime, o.tenant);
      const { booking: made, replayed } = await book({ db: runtime.db, debounceMs: deps.loadConfig().debounceMs }, tenantId, {
        resourceId, start, ...(o.end ? { end: o.end } : {}), ...(o.hold ? { holdSeconds: o.hold } : {}), ...(o.summary ? { summary: o.summary } : {}),
      }, o.key ?? null);
      output.out(o.json ? json(made) : `${replayed ? 'already booked' : made.status} booking ${made.id} of ${(await getResource(runtime.db, tenantId, made.resourceId)).name}, ${iso(made.start)} to ${iso(made.end)}`);
    }));

  booking.command('list').description('Bookings by start time.')
    .option('--resource <id>', 'only this resource').option('--status <status>', `one of ${statuses.join(', ')}`)
    .option('--limit <n>', 'at most this many', positiveInteger, 100).option('--tenant <id>', 'tenant id (default: the only tenant)').option('--json', 'print as JSON')
    .action((o: TenantOption & { resource?: string; status?: string; limit: number }) => withRuntime(async (runtime) => {
      if (o.status !== undefined && !statuses.includes(o.status as BookingStatus)) throw new CalsyncError('USAGE', `--status must be one of ${statuses.join(', ')}`);
      const items = await listBookings(runtime.db, await tenantOf(runtime, o.tenant), { resourceId: o.resource, status: o.status as BookingStatus | undefined, limit: Math.min(o.limit, 1000) }, new Date());
      output.out(o.json ? json(items) : table(items.map((b) => ({ ...b, start: iso(b.start), end: iso(b.end) })), ['id', 'resourceId', 'status', 'start', 'end', 'summary']));
    }));

  for (const [name, what, run] of [
    ['confirm', 'Confirm a held booking: it becomes an event in the booking calendar.', confirmBooking],
    ['cancel', 'Cancel a booking: its time is free again and its event is deleted everywhere.', cancelBooking],
  ] as const) {
    booking.command(`${name} <booking>`).description(what)
      .option('--tenant <id>', 'tenant id (default: the only tenant)').option('--json', 'print as JSON')
      .action((id: string, o: TenantOption) => withRuntime(async (runtime) => {
        const done = await run({ db: runtime.db, debounceMs: deps.loadConfig().debounceMs }, await tenantOf(runtime, o.tenant), id);
        output.out(o.json ? json(done) : `booking ${done.id} is ${done.status}`);
      }));
  }
}
