// Fills the emulators with the sample calendars, then connects both accounts and binds
// their calendars through calsync's admin API, as an operator would: the OAuth consent
// runs against the emulators (which answer at once, without a sign-in page).
import type { Api } from './api.ts';
import type { Emulators } from './emulators.ts';
import { googleBody, graphBody, instants, people, samples, type SampleEvent } from './sample.ts';

/** One remote calendar the sandbox edits and reads. */
export interface GoogleCalendarSide { provider: 'google'; label: string; calendarId: string; eventIds: Map<string, string> }
export interface GraphCalendarSide { provider: 'microsoft'; label: string; calendarId: string; eventIds: Map<string, string> }
export type RemoteSide = GoogleCalendarSide | GraphCalendarSide;

/** A calsync calendar and the remote calendars bound to it, two-way. */
export interface SandboxCalendar {
  name: string;
  calendarId: string;
  remotes: RemoteSide[];
  expectedEvents: number;
}

export interface World {
  calendars: SandboxCalendar[];
}

const redirectUri = 'http://127.0.0.1/sandbox-consent';

async function connect(api: Api, provider: 'google' | 'microsoft'): Promise<{ accountId: string; calendars: Array<{ remoteCalendarId: string; displayName: string | null }> }> {
  const { authorizationUrl } = await api.call<{ authorizationUrl: string }>('POST', `/admin/v1/accounts/${provider}/authorize`, { redirectUri });
  // The emulator answers the consent URL with the redirect a browser would follow.
  const consent = await fetch(authorizationUrl, { redirect: 'manual' });
  const location = consent.headers.get('location');
  if (consent.status !== 302 || !location) throw new Error(`${provider} consent answered ${consent.status}`);
  const back = new URL(location);
  const made = await api.call<{ account: { id: string }; calendars: Array<{ remoteCalendarId: string; displayName: string | null }> }>(
    'POST', `/admin/v1/accounts/${provider}`, { code: back.searchParams.get('code'), state: back.searchParams.get('state') });
  return { accountId: made.account.id, calendars: made.calendars };
}

function fillGoogle(emulators: Emulators, calendarId: string, events: SampleEvent[], now: Date): Map<string, string> {
  const ids = new Map<string, string>();
  for (const e of events) {
    const { start, end } = instants(e, now);
    ids.set(e.title, emulators.google.controls.insertEvent(calendarId, googleBody(e.title, start, end)).id);
  }
  return ids;
}

function fillGraph(emulators: Emulators, calendarId: string, events: SampleEvent[], now: Date): Map<string, string> {
  const ids = new Map<string, string>();
  for (const e of events) {
    const { start, end } = instants(e, now);
    ids.set(e.title, emulators.microsoft.controls.insertEvent(calendarId, graphBody(e.title, start, end)).id as string);
  }
  return ids;
}

export async function setUp(api: Api, emulators: Emulators, now: Date): Promise<World> {
  const google = emulators.google.controls;
  const graph = emulators.microsoft.controls;
  const aliceCalendar = google.account;
  const googleTeam = google.addCalendar({ summary: 'Team', timeZone: 'Europe/Berlin' }).id as string;
  const outlookTeam = graph.addCalendar({ name: 'Team' }).id;
  const aliceEvents = fillGoogle(emulators, aliceCalendar, samples.aliceGoogle, now);
  const googleTeamEvents = fillGoogle(emulators, googleTeam, samples.teamGoogle, now);
  const teamOutlookEvents = fillGraph(emulators, outlookTeam, samples.teamOutlook, now);

  const googleAccount = await connect(api, 'google');
  const graphAccount = await connect(api, 'microsoft');
  const bobCalendar = graphAccount.calendars.find((c) => c.displayName === 'Calendar')?.remoteCalendarId;
  if (!bobCalendar) throw new Error('the Graph emulator lists no "Calendar"');
  const bobEvents = fillGraph(emulators, bobCalendar, samples.bobOutlook, now);

  const bind = async (body: Record<string, unknown>): Promise<{ calendarId: string }> => api.call('POST', '/admin/v1/bindings', body);
  const alice = await bind({ accountId: googleAccount.accountId, remoteCalendarId: aliceCalendar, newCalendar: { summary: people.alice.name, timeZone: 'Europe/Berlin' } });
  const bob = await bind({ accountId: graphAccount.accountId, remoteCalendarId: bobCalendar, newCalendar: { summary: people.bob.name, timeZone: 'Europe/London' } });
  // Same-field conflicts on Team go to a person, whichever side's pass meets them first,
  // so the conflict queue has something in it; Alice's and Bob's take the later write.
  const team = await bind({ accountId: googleAccount.accountId, remoteCalendarId: googleTeam, newCalendar: { summary: 'Team', timeZone: 'Europe/Berlin' }, policy: 'manual' });
  await bind({ accountId: graphAccount.accountId, remoteCalendarId: outlookTeam, calendarId: team.calendarId, policy: 'manual' });

  return {
    calendars: [
      { name: people.alice.name, calendarId: alice.calendarId, expectedEvents: samples.aliceGoogle.length, remotes: [{ provider: 'google', label: "alice's Google calendar", calendarId: aliceCalendar, eventIds: aliceEvents }] },
      { name: people.bob.name, calendarId: bob.calendarId, expectedEvents: samples.bobOutlook.length, remotes: [{ provider: 'microsoft', label: "bob's Outlook calendar", calendarId: bobCalendar, eventIds: bobEvents }] },
      {
        name: 'Team', calendarId: team.calendarId, expectedEvents: samples.teamGoogle.length + samples.teamOutlook.length,
        remotes: [
          { provider: 'google', label: "alice's Google 'Team'", calendarId: googleTeam, eventIds: googleTeamEvents },
          { provider: 'microsoft', label: "bob's Outlook 'Team'", calendarId: outlookTeam, eventIds: teamOutlookEvents },
        ],
      },
    ],
  };
}
