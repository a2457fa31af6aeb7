// Reading what each side holds, by title: the emulators through their own public APIs
// (with a grant of their own, as another client), calsync through its calendar API.
import type { Api } from './api.ts';
import type { Emulators } from './emulators.ts';
import type { RemoteSide } from './setup.ts';

export interface Held { id: string; title: string }

async function getJson(url: string, token: string): Promise<any> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  return response.json();
}

export async function remoteHeld(emulators: Emulators, side: RemoteSide): Promise<Held[]> {
  if (side.provider === 'google') {
    const google = emulators.google;
    const body = await getJson(`${google.url}/calendar/v3/calendars/${encodeURIComponent(side.calendarId)}/events?maxResults=2500`, google.controls.issueGrant().access_token);
    return (body.items as Array<{ id: string; summary?: string; status?: string }>)
      .filter((e) => e.status !== 'cancelled').map((e) => ({ id: e.id, title: e.summary ?? '' }));
  }
  const graph = emulators.microsoft;
  const token = graph.controls.issueGrant().access_token;
  const held: Held[] = [];
  for (let next: string | undefined = `${graph.url}/v1.0/me/calendars/${encodeURIComponent(side.calendarId)}/events?$top=100`; next;) {
    const body = await getJson(next, token);
    held.push(...(body.value as Array<{ id: string; subject?: string }>).map((e) => ({ id: e.id, title: e.subject ?? '' })));
    next = body['@odata.nextLink'];
  }
  return held;
}

export async function calsyncHeld(api: Api, calendarId: string): Promise<Held[]> {
  const body = await api.call<{ items: Array<{ id: string; summary?: string }> }>('GET', `/calendar/v3/calendars/${encodeURIComponent(calendarId)}/events?maxResults=2500`);
  return body.items.map((e) => ({ id: e.id, title: e.summary ?? '' }));
}
