// Request options Graph reads besides the path: the Prefer header and the OData query
// options the emulator answers on event reads.
// - Prefer: `odata.maxpagesize=N` and `outlook.timezone="…"` (several in one header,
//   comma-separated, or several headers). An unknown zone is not applied: times stay UTC
//   and no Preference-Applied names it.
// - $expand=singleValueExtendedProperties($filter=id eq '…' [or id eq '…'])
//   (singlevaluelegacyextendedproperty-get: "GET /me/events/{id}?$expand=
//   singleValueExtendedProperties($filter=id eq '{id_value}')").
// - $filter=singleValueExtendedProperties/Any(ep: ep/id eq '…' and ep/value eq '…')
//   ("Get resource instances … filtered by a string property"), and iCalUId eq '…'.
//   Other filters are refused with a 400 saying the emulator does not evaluate them.
import { graphErrors } from './errors.ts';
import type { StoredEvent } from './store.ts';
import { resolveZone, type Zone } from './zones.ts';

export interface Preferences {
  maxPageSize: number | null;
  zone: Zone | null;
}

export function parsePrefer(header: string | string[] | undefined): Preferences {
  const text = Array.isArray(header) ? header.join(',') : header ?? '';
  const out: Preferences = { maxPageSize: null, zone: null };
  for (const m of text.matchAll(/\s*([A-Za-z.\-]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^,;]*))?\s*(?:,|$)/g)) {
    const name = m[1]!.toLowerCase();
    const value = (m[2] ?? '').trim().replace(/^"(.*)"$/, '$1');
    if (name === 'odata.maxpagesize' && /^\d+$/.test(value) && Number(value) > 0) out.maxPageSize = Number(value);
    if (name === 'outlook.timezone') out.zone = resolveZone(value);
  }
  return out;
}

const quoted = (s: string): string => s.replace(/''/g, '\'');

/** The extended property ids a $expand asks for; null when it asks for none. */
export function parseExpand(expand: unknown): string[] | null {
  if (expand === undefined) return null;
  const text = String(expand).trim();
  const m = /^singleValueExtendedProperties\s*\(\s*\$filter\s*=\s*(.+)\)$/i.exec(text);
  if (!m) throw graphErrors.badRequest(`Parsing OData Select and Expand failed: the emulator expands only singleValueExtendedProperties($filter=id eq '…'), not '${text}'.`);
  const ids = [...m[1]!.matchAll(/id\s+eq\s+'((?:[^']|'')*)'/gi)].map((x) => quoted(x[1]!));
  if (ids.length === 0) throw graphErrors.badRequest(`Invalid filter clause in $expand: ${m[1]}`);
  return ids;
}

export type EventFilter = (event: StoredEvent) => boolean;

export function parseFilter(filter: unknown): EventFilter | null {
  if (filter === undefined) return null;
  const text = String(filter).trim();
  const any = /^singleValueExtendedProperties\/any\s*\(\s*(\w+)\s*:\s*\1\/id\s+eq\s+'((?:[^']|'')*)'\s+and\s+\1\/value\s+eq\s+'((?:[^']|'')*)'\s*\)$/i.exec(text);
  if (any) {
    const id = quoted(any[2]!).toLowerCase();
    const value = quoted(any[3]!);
    return (e) => e.extended.some((p) => p.id.toLowerCase() === id && p.value === value);
  }
  const uid = /^iCalUId\s+eq\s+'((?:[^']|'')*)'$/i.exec(text);
  if (uid) {
    const value = quoted(uid[1]!);
    return (e) => e.iCalUId === value;
  }
  throw graphErrors.badRequest(`Invalid filter clause: the emulator evaluates singleValueExtendedProperties/Any(ep: ep/id eq '…' and ep/value eq '…') and iCalUId eq '…' only, not '${text}'.`);
}

export function parseSelect(select: unknown): string[] | null {
  if (select === undefined) return null;
  return String(select).split(',').map((s) => s.trim()).filter((s) => s !== '');
}

export function parseWhole(value: unknown, name: string, min: number, max: number): number | null {
  if (value === undefined) return null;
  if (!/^\d+$/.test(String(value)) || Number(value) < min || Number(value) > max) throw graphErrors.badRequest(`Invalid value '${String(value)}' for query option ${name}; a whole number from ${min} to ${max} is expected.`);
  return Number(value);
}
