// conferenceData and hangoutLink ⇄ Conference. The join link is the `video` entry point
// ("A conference can have zero or one video entry point"), else the read-only
// hangoutLink. The provider is guessed from the link exactly as the iCalendar reader
// guesses it (conferenceProvider), so a Meet link read from Google and from Google's
// ICS export (X-GOOGLE-CONFERENCE) agree; a provider the link does not suggest is kept
// in calsync's private property. Everything else about the conference (phone numbers,
// solution, ids) stays in extras.google.fields verbatim, written back while the link is
// unchanged; a link the model holds that Google did not give is written as an add-on
// conference with one video entry point, the shape Google answers for third-party
// conferences (a connector writing to Google sends it with conferenceDataVersion=1).
import { isDeepStrictEqual } from 'node:util';
import type { Conference } from '../model.ts';
import { conferenceProvider } from '../ical/extras.ts';
import { fail, object, optionalArray, optionalOneOf, optionalString, type Obj } from './checks.ts';
import { fitting, PRIVATE_KEYS, privateJson } from './private-properties.ts';
import type { GoogleConferenceData } from './types.ts';

function videoUri(conferenceData: unknown, check: boolean): string | null {
  if (conferenceData === undefined) return null;
  const o = object(conferenceData, 'conferenceData');
  const points = optionalArray(o.entryPoints, 'conferenceData.entryPoints') ?? [];
  let uri: string | null = null;
  points.forEach((raw, i) => {
    const p = `conferenceData.entryPoints[${i}]`;
    const point = object(raw, p);
    const type = optionalOneOf(point.entryPointType, ['video', 'phone', 'sip', 'more'] as const, `${p}.entryPointType`);
    const link = optionalString(point.uri, `${p}.uri`);
    if (type !== 'video' || link === undefined) return;
    if (check && uri !== null) fail(`${p}.entryPointType`, 'a conference has at most one video entry point');
    if (check && !URL.canParse(link)) fail(`${p}.uri`, `not an absolute URL: "${link}"`);
    uri ??= link;
  });
  return uri;
}

function hangout(link: unknown, check: boolean): string | null {
  const value = optionalString(link, 'hangoutLink');
  if (value === undefined) return null;
  if (check && !URL.canParse(value)) fail('hangoutLink', `not an absolute URL: "${value}"`);
  return value;
}

/** The join link a resource's conference members give. */
const linkOf = (conferenceData: unknown, hangoutLink: unknown, check: boolean): string | null =>
  videoUri(conferenceData, check) ?? hangout(hangoutLink, check);

export function synthesised(url: string): GoogleConferenceData {
  return {
    entryPoints: [{ entryPointType: 'video', uri: url, label: url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '') }],
    conferenceSolution: { key: { type: 'addOn' } },
  };
}

export function readConference(
  resource: Obj,
  privateValue: string | undefined,
): { conference: Conference | null; keep: Obj } {
  const url = linkOf(resource.conferenceData, resource.hangoutLink, true);
  const keep: Obj = {};
  if (resource.hangoutLink !== undefined) keep.hangoutLink = resource.hangoutLink;
  if (resource.conferenceData !== undefined && !(url !== null && isDeepStrictEqual(resource.conferenceData, synthesised(url)))) {
    keep.conferenceData = resource.conferenceData;
  }
  if (url === null) return { conference: null, keep };
  let provider = conferenceProvider(url);
  if (privateValue !== undefined) {
    const at = `extendedProperties.private.${PRIVATE_KEYS.conference}`;
    const kept = object(privateJson(privateValue, PRIVATE_KEYS.conference), at);
    const keptUrl = optionalString(kept.url, `${at}.url`);
    if (kept.provider !== null) optionalString(kept.provider, `${at}.provider`);
    if (keptUrl === url) provider = (kept.provider as string | null | undefined) ?? null;
  }
  return { conference: { url, provider }, keep };
}

/** The conference members to write, from the model and what the source kept. */
export function renderConference(
  conference: Conference | null,
  kept: Obj,
): { members: Obj; privateValue: string | null } {
  const keptUrl = linkOf(kept.conferenceData, kept.hangoutLink, false);
  const url = conference?.url ?? null;
  const members: Obj = {};
  if (url === keptUrl) {
    if (kept.hangoutLink !== undefined) members.hangoutLink = kept.hangoutLink;
    if (kept.conferenceData !== undefined) members.conferenceData = kept.conferenceData;
  }
  if (url !== null && members.conferenceData === undefined && members.hangoutLink === undefined) {
    members.conferenceData = synthesised(url);
  }
  const privateValue = conference !== null && conference.provider !== conferenceProvider(conference.url)
    ? fitting({ url: conference.url, provider: conference.provider })
    : null;
  return { members, privateValue };
}
