// The slow stream of edits: one every few seconds, taking turns between the sides, as
// people would make them in Google's and Outlook's own apps (the emulators' "another
// client" controls) and as an app would through calsync's API; now and then two people
// edit the same event at once (a conflict), or a provider misbehaves for a moment (a
// recovery). Every change is then watched until it is on every side of its calendar,
// and the time it took is printed.
import type { Api } from './api.ts';
import type { Emulators } from './emulators.ts';
import { googleBody } from './sample.ts';
import type { RemoteSide, SandboxCalendar, World } from './setup.ts';
import { calsyncHeld, remoteHeld, type Held } from './sides.ts';

export interface StreamOptions {
  intervalMs: number;
  print(line: string): void;
  /** How long a change may take to reach every side before it is reported missing. */
  watchMs?: number;
}

export interface Stream {
  stop(): Promise<void>;
}

/** A change made, and what must hold once it has reached everywhere. */
interface Change {
  said: string;
  calendar: SandboxCalendar;
  title: string;
  /** The title is on every side (true), or on none (false). */
  present: boolean;
}

type Step = (n: number) => Promise<Change | null>;

const clock = (): string => new Date().toISOString().slice(11, 19);

export function startStream(api: Api, emulators: Emulators, world: World, options: StreamOptions): Stream {
  const [alice, bob, team] = world.calendars as [SandboxCalendar, SandboxCalendar, SandboxCalendar];
  const [googleTeam, outlookTeam] = team.remotes as [RemoteSide, RemoteSide];
  const google = emulators.google.controls;
  const graph = emulators.microsoft.controls;
  const watchMs = options.watchMs ?? 60_000;
  let stopped = false;
  const watching = new Set<Promise<void>>();

  const pick = <T>(items: T[], n: number): T | undefined => items[n % Math.max(1, items.length)];
  const later = (hours: number): { start: Date; end: Date } => {
    const start = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + hours * 3_600_000);
    return { start, end: new Date(start.getTime() + 30 * 60_000) };
  };
  const rename = (title: string, n: number): string => `${title.replace(/ \(edit \d+\)$/, '')} (edit ${n})`;
  // An event renamed by both people keeps its title apart until a person resolves the
  // conflict: editing it again would only wait on that person too.
  const settled = (held: Held[]): Held[] => held.filter((e) => !/\((Alice|Bob)'s \d+\)/.test(e.title));

  async function editRemote(side: RemoteSide, n: number, who: string): Promise<Change | null> {
    const target = pick(settled(await remoteHeld(emulators, side)), n);
    if (!target) return null;
    const title = rename(target.title, n);
    if (side.provider === 'google') google.editEvent(side.calendarId, target.id, { summary: title });
    else graph.editEvent(target.id, { subject: title });
    return { said: `${who} renamed "${target.title}" to "${title}" in ${side.label}`, calendar: calendarOf(side), title, present: true };
  }

  function calendarOf(side: RemoteSide): SandboxCalendar {
    return world.calendars.find((c) => c.remotes.includes(side))!;
  }

  async function editInCalsync(calendar: SandboxCalendar, n: number): Promise<Change | null> {
    const target = pick(settled(await calsyncHeld(api, calendar.calendarId)), n);
    if (!target) return null;
    const title = rename(target.title, n);
    await api.call('PATCH', `/calendar/v3/calendars/${encodeURIComponent(calendar.calendarId)}/events/${encodeURIComponent(target.id)}`, { summary: title });
    return { said: `the app renamed "${target.title}" to "${title}" in calsync '${calendar.name}' (calendar API)`, calendar, title, present: true };
  }

  const steps: Step[] = [
    (n) => editRemote(googleTeam, n, 'Alice'),
    (n) => editInCalsync(alice, n),
    (n) => editRemote(outlookTeam, n, 'Bob'),
    async (n) => {
      const title = `Coffee with Kim ${n}`;
      const { start, end } = later(n % 48);
      google.insertEvent(googleTeam.calendarId, googleBody(title, start, end));
      return { said: `Alice added "${title}" in ${googleTeam.label}`, calendar: team, title, present: true };
    },
    async (n) => {
      // Alice and Bob rename the same Team event at once, in Google and in Outlook.
      const googleSide = pick(settled(await remoteHeld(emulators, googleTeam)), n);
      const twin = googleSide && (await remoteHeld(emulators, outlookTeam)).find((e) => e.title === googleSide.title);
      if (!googleSide || !twin) return null;
      const known = await openConflicts();
      const title = `${googleSide.title.replace(/ \(.*\)$/, '')} (Alice's ${n})`;
      google.editEvent(googleTeam.calendarId, googleSide.id, { summary: title });
      graph.editEvent(twin.id, { subject: `${googleSide.title.replace(/ \(.*\)$/, '')} (Bob's ${n})` });
      options.print(`sandbox ${clock()}: conflict: Alice and Bob renamed "${googleSide.title}" at the same moment, in Google and in Outlook; 'Team' asks a person (policy manual)`);
      const watched = watchConflict(googleSide.title, known);
      watching.add(watched);
      void watched.finally(() => watching.delete(watched));
      return null;
    },
    async (n) => {
      const title = `Budget review ${n}`;
      const { start, end } = later(n % 48 + 1);
      await api.call('POST', `/calendar/v3/calendars/${encodeURIComponent(bob.calendarId)}/events`, googleBody(title, start, end));
      return { said: `the app added "${title}" to calsync '${bob.name}' (calendar API)`, calendar: bob, title, present: true };
    },
    async (n) => {
      const change = await editRemote(outlookTeam, n, 'Bob');
      // Only calsync's writes (events.update is a PUT): the sandbox's own reads are GETs.
      google.setFaults({ retryAfterSeconds: 1, script: [{ kind: 'tooManyRequests', method: 'PUT', times: 2 }] });
      options.print(`sandbox ${clock()}: recovery: Google answers calsync's next 2 updates 429 with Retry-After: 1; calsync waits and writes again`);
      return change;
    },
    async (n) => {
      const own = [...outlookTeam.eventIds.values()];
      const held = await remoteHeld(emulators, outlookTeam);
      const target = held.find((e) => own.includes(e.id) && !e.title.startsWith('Customer demo')) ?? pick(held, n);
      if (!target) return null;
      graph.deleteEvent(target.id);
      return { said: `Bob deleted "${target.title}" in ${outlookTeam.label}`, calendar: team, title: target.title, present: false };
    },
    async (n) => {
      graph.expireDeltaTokens();
      options.print(`sandbox ${clock()}: recovery: Graph forgot every delta token (410 syncStateNotFound); the next pass lists Outlook in full and compares, nothing is wiped`);
      return editRemote(outlookTeam, n, 'Bob');
    },
    async (n) => {
      const title = `Write the report ${n}`;
      const { start, end } = later(n % 48 + 2);
      google.setFaults({ script: [{ kind: 'lostWrite', method: 'POST', route: '/calendar/v3/calendars/:calendarId/events', times: 1 }] });
      await api.call('POST', `/calendar/v3/calendars/${encodeURIComponent(alice.calendarId)}/events`, googleBody(title, start, end));
      options.print(`sandbox ${clock()}: recovery: Google will carry out calsync's next new event but lose the answer (500); the retry reuses the event's id, so no duplicate`);
      return { said: `the app added "${title}" to calsync '${alice.name}' (calendar API)`, calendar: alice, title, present: true };
    },
  ];

  async function sides(calendar: SandboxCalendar): Promise<Array<{ label: string; held: Held[] }>> {
    const remote = await Promise.all(calendar.remotes.map(async (side) => ({ label: side.label, held: await remoteHeld(emulators, side) })));
    return [{ label: `calsync '${calendar.name}'`, held: await calsyncHeld(api, calendar.calendarId) }, ...remote];
  }

  async function watch(change: Change): Promise<void> {
    const started = Date.now();
    while (!stopped && Date.now() - started < watchMs) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const all = await sides(change.calendar).catch(() => null);
      if (all && all.every((s) => s.held.some((e) => e.title === change.title) === change.present)) {
        options.print(`sandbox ${clock()}:   ✓ "${change.title}" ${change.present ? 'is on' : 'is gone from'} every side of '${change.calendar.name}' after ${((Date.now() - started) / 1000).toFixed(1)} s`);
        return;
      }
    }
    if (!stopped) options.print(`sandbox ${clock()}:   ✗ "${change.title}" has not reached every side of '${change.calendar.name}' after ${watchMs / 1000} s: look at the console`);
  }

  async function watchConflict(title: string, known: Set<string>): Promise<void> {
    const started = Date.now();
    while (!stopped && Date.now() - started < watchMs) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const open = await api.call<{ items: Array<{ id: string; field: string }> }>('GET', '/admin/v1/conflicts?state=open').catch(() => null);
      const fresh = open?.items.find((c) => !known.has(c.id));
      if (fresh) {
        options.print(`sandbox ${clock()}:   ! the ${fresh.field} of "${title}" waits for a person: conflict ${fresh.id}, in the console or POST /admin/v1/conflicts/${fresh.id}/resolve`);
        return;
      }
    }
    if (!stopped) options.print(`sandbox ${clock()}:   the renames of "${title}" merged without a conflict (one pass saw both)`);
  }

  async function openConflicts(): Promise<Set<string>> {
    const open = await api.call<{ items: Array<{ id: string }> }>('GET', '/admin/v1/conflicts?state=open');
    return new Set(open.items.map((c) => c.id));
  }

  let n = 0;
  let running: Promise<void> | null = null;
  const tick = (): void => {
    // A step still under way (a slow read on a busy machine) makes this one wait its turn.
    if (running || stopped) return;
    running = (async () => {
      const step = steps[n % steps.length]!;
      n += 1;
      try {
        const change = await step(n);
        if (!change || stopped) return;
        options.print(`sandbox ${clock()}: ${change.said}`);
        const watched = watch(change);
        watching.add(watched);
        void watched.finally(() => watching.delete(watched));
      } catch (error) {
        options.print(`sandbox ${clock()}: an edit failed: ${(error as Error).message}`);
      }
    })().finally(() => { running = null; });
  };
  const timer = setInterval(tick, options.intervalMs);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      await Promise.all(watching);
    },
  };
}
